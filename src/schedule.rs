//! Learning-rate schedules (`--schedule`): step t of T takes η_t = η·s(t).
//!
//! * `constant`: s(t) = 1 (the papers' SGD);
//! * `step:K:γ`: s(t) = γ^⌊t/K⌋, η multiplied by γ every K steps;
//! * `cosine`: s(t) = (1 + cos(π t/T))/2, from η at the first step towards 0;
//! * `1/t` or `1/t:τ`: s(t) = τ/(τ + t), η/(1 + t) for τ = 1.
//!
//! The simulators take η_t at each step (an SDE or ODE step's K substeps
//! all take its η_t); the diagram expansion weights each node at step t by
//! s(t) ([`crate::theory::embedding::Kernel`]), since every gradient enters
//! θ multiplied by its step's rate.

use crate::error::{usage, Result};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Schedule {
    #[default]
    Constant,
    /// η·γ^⌊t/K⌋.
    Step { every: usize, factor: f64 },
    /// η·(1 + cos(π t/T))/2.
    Cosine,
    /// η·τ/(τ + t).
    Inverse { tau: f64 },
}

impl Schedule {
    /// Parses `constant`, `step:K:γ`, `cosine`, `1/t` or `1/t:τ`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| usage(format!("--schedule {text}: {why}"));
        let number = |s: &str, what: &str| -> Result<f64> {
            match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
                _ => Err(bad(&format!("{what} must be a positive number, got '{s}'"))),
            }
        };
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        match parts[..] {
            ["constant"] => Ok(Schedule::Constant),
            ["cosine"] => Ok(Schedule::Cosine),
            ["1/t"] => Ok(Schedule::Inverse { tau: 1.0 }),
            ["1/t", tau] => Ok(Schedule::Inverse { tau: number(tau, "τ")? }),
            ["step", every, factor] => {
                let every = every
                    .parse::<usize>()
                    .ok()
                    .filter(|&k| k > 0)
                    .ok_or_else(|| bad(&format!("K must be a whole number of steps, at least 1, got '{every}'")))?;
                Ok(Schedule::Step { every, factor: number(factor, "γ")? })
            }
            _ => Err(bad("schedules are constant, step:K:γ (η·γ^⌊t/K⌋), cosine and 1/t or 1/t:τ (η·τ/(τ + t))")),
        }
    }

    /// The clap value parser of `--schedule` (clap's message names the
    /// flag and value).
    pub fn value_parser(text: &str) -> std::result::Result<Self, String> {
        crate::error::for_clap("--schedule", text, Schedule::parse(text))
    }

    /// s(t), the factor of η at step t (0-based) of T.
    pub fn rate(&self, t: usize, steps: usize) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Step { every, factor } => factor.powi((t / every).min(i32::MAX as usize) as i32),
            Schedule::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * t as f64 / steps.max(1) as f64).cos()),
            Schedule::Inverse { tau } => tau / (tau + t as f64),
        }
    }

    /// s(t) for t = 0 .. T − 1.
    pub fn rates(&self, steps: usize) -> Vec<f64> {
        (0..steps).map(|t| self.rate(t, steps)).collect()
    }

    pub fn is_constant(&self) -> bool {
        *self == Schedule::Constant
    }
}

impl fmt::Display for Schedule {
    /// The `--schedule` argument that gives this schedule back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => write!(f, "constant"),
            Schedule::Step { every, factor } => write!(f, "step:{every}:{factor}"),
            Schedule::Cosine => write!(f, "cosine"),
            Schedule::Inverse { tau } if *tau == 1.0 => write!(f, "1/t"),
            Schedule::Inverse { tau } => write!(f, "1/t:{tau}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for text in ["constant", "step:5:0.5", "cosine", "1/t", "1/t:20"] {
            assert_eq!(Schedule::parse(text).unwrap().to_string(), text);
        }
        let e = |t: &str| Schedule::parse(t).unwrap_err().to_string();
        assert_eq!(e("step:0:0.5"), "--schedule step:0:0.5: K must be a whole number of steps, at least 1, got '0'");
        assert_eq!(e("step:5:-1"), "--schedule step:5:-1: γ must be a positive number, got '-1'");
        assert_eq!(e("1/t:nan"), "--schedule 1/t:nan: τ must be a positive number, got 'nan'");
        assert!(e("linear").starts_with("--schedule linear: schedules are constant, step:K:γ"));
    }

    #[test]
    fn rates_are_the_documented_ones() {
        assert_eq!(Schedule::Constant.rates(3), [1.0; 3]);
        assert_eq!(Schedule::Step { every: 2, factor: 0.5 }.rates(5), [1.0, 1.0, 0.5, 0.5, 0.25]);
        let cosine = Schedule::Cosine.rates(4);
        let want = [1.0, 0.5 + 0.5 * 0.5f64.sqrt(), 0.5, 0.5 - 0.5 * 0.5f64.sqrt()];
        assert!(cosine.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{cosine:?}");
        assert_eq!(Schedule::Inverse { tau: 1.0 }.rates(4), [1.0, 0.5, 1.0 / 3.0, 0.25]);
        assert_eq!(Schedule::Inverse { tau: 2.0 }.rate(2, 10), 0.5);
    }
}
