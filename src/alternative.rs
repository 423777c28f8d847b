//! `--compare`'s second arm: what differs from the primary run, as a user
//! writes it (`gd`, `batch=5`, `eta=0.05,optimizer=sde`).
//!
//! Both arms share the landscape, θ₀, N and T, and so the training sets:
//! trial i of each arm draws its data from the same keys (seed, trial,
//! datapoint), so their difference is paired trial by trial
//! ([`crate::backend::driver`]). What may differ is everything else about
//! the optimizer: which one, η and its schedule, B (E follows from
//! T = E·N/B), the shuffle, K, β, Nesterov and λ.

use crate::error::{usage, Result};
use crate::optimizer::Optimizer;
use crate::schedule::Schedule;
use clap::ValueEnum;
use std::fmt;

/// The compared arm's settings; `None` keeps the primary's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alternative {
    pub optimizer: Option<Optimizer>,
    pub eta: Option<f64>,
    pub schedule: Option<Schedule>,
    pub batch: Option<usize>,
    pub shuffle: Option<bool>,
    pub substeps: Option<u32>,
    pub beta: Option<f64>,
    pub nesterov: Option<bool>,
    pub lambda: Option<f64>,
}

/// The keys `--compare` takes, for its errors and help.
pub const KEYS: &str = "optimizer, eta, schedule, batch, shuffle, substeps, beta, nesterov, lambda";

impl From<Optimizer> for Alternative {
    fn from(optimizer: Optimizer) -> Self {
        Alternative { optimizer: Some(optimizer), ..Alternative::default() }
    }
}

impl Alternative {
    /// Parses `gd` (an optimizer) or `key=value,...` (see [`KEYS`]); a bare
    /// optimizer may lead a list (`sde,eta=0.05`).
    pub fn parse(text: &str) -> Result<Self> {
        let mut alt = Alternative::default();
        if text.trim().is_empty() {
            return Err(usage(format!("--compare takes an optimizer or key=value pairs ({KEYS})")));
        }
        for (i, item) in text.split(',').map(str::trim).enumerate() {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None if i == 0 => ("optimizer", item),
                None => {
                    return Err(usage(format!("--compare {text}: '{item}' is not key=value (keys: {KEYS})")));
                }
            };
            let bad = |what: &str| usage(format!("--compare {text}: {key}={value} is not {what}"));
            let taken = match key {
                "optimizer" => alt
                    .optimizer
                    .replace(Optimizer::from_str(value, true).map_err(|_| bad("an optimizer (sgd, gd, sde, ...)"))?)
                    .is_some(),
                "eta" => alt.eta.replace(value.parse().map_err(|_| bad("a number"))?).is_some(),
                "schedule" => {
                    let schedule = Schedule::parse(value).map_err(|e| usage(format!("--compare {text}: {e}")))?;
                    alt.schedule.replace(schedule).is_some()
                }
                "batch" => alt.batch.replace(value.parse().map_err(|_| bad("a whole number"))?).is_some(),
                "shuffle" => alt.shuffle.replace(value.parse().map_err(|_| bad("true or false"))?).is_some(),
                "substeps" => alt.substeps.replace(value.parse().map_err(|_| bad("a whole number"))?).is_some(),
                "beta" => alt.beta.replace(value.parse().map_err(|_| bad("a number"))?).is_some(),
                "nesterov" => alt.nesterov.replace(value.parse().map_err(|_| bad("true or false"))?).is_some(),
                "lambda" => alt.lambda.replace(value.parse().map_err(|_| bad("a number"))?).is_some(),
                "steps" | "train-size" | "train_size" | "epochs" | "init" | "param" => {
                    return Err(usage(format!(
                        "--compare {text}: {key} cannot differ: both arms run T steps on the same N points (the \
                         same training sets, paired trial by trial), and E = T·B/N follows from batch; sweep \
                         --{} instead",
                        key.replace('_', "-")
                    )));
                }
                _ => return Err(usage(format!("--compare {text}: unknown key '{key}' (keys: {KEYS})"))),
            };
            if taken {
                return Err(usage(format!("--compare {text}: {key} is given twice")));
            }
        }
        Ok(alt)
    }

    /// The clap value parser of `--compare` (clap's message names the flag
    /// and value: the reason follows it).
    pub fn value_parser(text: &str) -> std::result::Result<Self, String> {
        crate::error::for_clap("--compare", text, Alternative::parse(text))
    }
}

impl fmt::Display for Alternative {
    /// The `--compare` argument that gives this alternative back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items: Vec<String> = self.optimizer.iter().map(|o| o.name().to_string()).collect();
        let mut put = |key: &str, value: Option<String>| items.extend(value.map(|v| format!("{key}={v}")));
        put("eta", self.eta.map(|x| x.to_string()));
        put("schedule", self.schedule.map(|x| x.to_string()));
        put("batch", self.batch.map(|x| x.to_string()));
        put("shuffle", self.shuffle.map(|x| x.to_string()));
        put("substeps", self.substeps.map(|x| x.to_string()));
        put("beta", self.beta.map(|x| x.to_string()));
        put("nesterov", self.nesterov.map(|x| x.to_string()));
        put("lambda", self.lambda.map(|x| x.to_string()));
        write!(f, "{}", items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_optimizer_or_pairs() {
        assert_eq!(Alternative::parse("gd").unwrap(), Optimizer::Gd.into());
        let a = Alternative::parse("eta=0.05, optimizer=sde").unwrap();
        assert_eq!((a.optimizer, a.eta, a.batch), (Some(Optimizer::Sde), Some(0.05), None));
        let a = Alternative::parse("momentum,beta=0.5,nesterov=true").unwrap();
        assert_eq!((a.optimizer, a.beta, a.nesterov), (Some(Optimizer::Momentum), Some(0.5), Some(true)));
        assert_eq!(Alternative::parse("batch=5").unwrap(), Alternative { batch: Some(5), ..Default::default() });
        for text in ["gd", "sde,eta=0.05", "batch=5,shuffle=true", "momentum,beta=0.5,nesterov=false,lambda=2"] {
            assert_eq!(Alternative::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn refuses_what_it_cannot_pair_or_read() {
        let e = |t: &str| Alternative::parse(t).unwrap_err().to_string();
        assert_eq!(e("sgdd"), "--compare sgdd: optimizer=sgdd is not an optimizer (sgd, gd, sde, ...)");
        assert_eq!(e("batch=two"), "--compare batch=two: batch=two is not a whole number");
        assert!(e("steps=20").starts_with("--compare steps=20: steps cannot differ: both arms run T steps"));
        assert!(e("train_size=5").ends_with("sweep --train-size instead"));
        assert_eq!(e("eta=0.1,eta=0.2"), "--compare eta=0.1,eta=0.2: eta is given twice");
        assert_eq!(e("gd,sde"), format!("--compare gd,sde: 'sde' is not key=value (keys: {KEYS})"));
        assert_eq!(e("colour=red"), format!("--compare colour=red: unknown key 'colour' (keys: {KEYS})"));
        assert!(e("").starts_with("--compare takes an optimizer"));
    }
}
