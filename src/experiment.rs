//! An experiment: a landscape, one or two optimizer plans on shared training
//! sets, the number of trials and the seed. Everything is validated here, so
//! backends can trust it.

use crate::drift::DriftWindow;
use crate::error::{usage, Result};
use crate::grid::Grid;
use crate::landscape::AnyLandscape;
use crate::optimizer::{Dynamics, Optimizer};

/// One optimizer's run: its grid and step rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub optimizer: Optimizer,
    pub grid: Grid,
    pub eta: f64,
    /// K, for `sde` and `ode`.
    pub substeps: u32,
}

impl Plan {
    pub fn steps(&self) -> usize {
        self.grid.steps()
    }

    pub fn dynamics(&self) -> Dynamics {
        self.optimizer.dynamics(self.substeps)
    }

    /// Whether only the CPU backend runs it: GDC needs per-sample Hessians.
    pub fn cpu_only(&self) -> bool {
        self.optimizer == Optimizer::Gdc
    }

    /// Whether every step draws fresh noise, independent of the past: SGD
    /// on one epoch (each point used once) and the SDE and ODE (which never
    /// see a training set). Corollary 1's stationary drift needs it.
    pub fn fresh_noise(&self) -> bool {
        match self.dynamics() {
            Dynamics::Continuous { .. } => true,
            Dynamics::Discrete => self.optimizer == Optimizer::Sgd && self.grid.epochs == 1,
        }
    }
}

/// A full experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub landscape: AnyLandscape,
    pub init: Vec<f64>,
    pub plan: Plan,
    /// A second optimizer on the same training sets (`--compare`).
    pub compare: Option<Plan>,
    pub trials: u64,
    pub seed: u64,
    /// Record the learning curve every k steps.
    pub record_every: Option<usize>,
    /// A trial diverges once |loss| or |θ_i| exceeds this, or stops being finite.
    pub diverge_at: f64,
}

impl Experiment {
    /// The recorded steps: 0, k, 2k, ... up to T (T included).
    pub fn record_steps(&self) -> Vec<usize> {
        let Some(k) = self.record_every else {
            return Vec::new();
        };
        let t = self.plan.steps();
        let mut steps: Vec<usize> = (0..=t).step_by(k).collect();
        if steps.last() != Some(&t) {
            steps.push(t);
        }
        steps
    }

    /// Whether only the CPU backend runs it (a plan is [`Plan::cpu_only`]).
    pub fn cpu_only(&self) -> bool {
        std::iter::once(&self.plan).chain(&self.compare).any(Plan::cpu_only)
    }

    /// The drift estimators' window for `plan`, where the recorded steps
    /// allow one.
    pub fn drift_window(&self, plan: &Plan) -> Option<DriftWindow> {
        DriftWindow::new(plan, &self.record_steps())
    }

    /// Checks what the types cannot.
    pub fn validate(&self) -> Result<()> {
        if self.trials == 0 {
            return Err(usage("--trials must be at least 1"));
        }
        if self.trials > u32::MAX as u64 {
            return Err(usage(format!("--trials must be at most {} (trial indices are 32-bit)", u32::MAX)));
        }
        if self.diverge_at.is_nan() || self.diverge_at <= 0.0 {
            return Err(usage("--diverge-at must be positive"));
        }
        if self.init.len() != self.landscape.dim() || self.init.iter().any(|x| !x.is_finite()) {
            let d = self.landscape.describe();
            return Err(usage(format!(
                "--init needs {} finite numbers for {} ({})",
                d.weights.len(),
                d.name,
                d.weights.join(", ")
            )));
        }
        if self.record_every == Some(0) {
            return Err(usage("--record-every must be at least 1"));
        }
        for plan in std::iter::once(&self.plan).chain(&self.compare) {
            if !(plan.eta.is_finite() && plan.eta > 0.0) {
                return Err(usage(format!("--eta must be positive and finite, got {}", plan.eta)));
            }
            if plan.substeps == 0 {
                return Err(usage("--substeps must be at least 1"));
            }
            if plan.steps() > u32::MAX as usize / 4 || plan.grid.train_size > u32::MAX as usize / 4 {
                return Err(usage("steps and training set size must be below 2^30"));
            }
        }
        if let Some(c) = &self.compare {
            if c.steps() != self.plan.steps() {
                return Err(usage("the compared optimizers must run the same number of steps"));
            }
        }
        Ok(())
    }
}

/// The grid flags as given on the command line (unset ones are `None`).
#[derive(Clone, Copy, Debug, Default)]
pub struct GridFlags {
    pub steps: Option<usize>,
    pub train_size: Option<usize>,
    pub batch: Option<usize>,
    pub epochs: Option<usize>,
    pub shuffle: bool,
}

/// Default N for `gd`.
pub const GD_TRAIN_SIZE: usize = 10;

impl GridFlags {
    /// The grid of `optimizer`, with `default_steps` when T is not given.
    ///
    /// SGD, SDE and ODE: T = E·N/B; any two of T, N, E fix the third
    /// (defaults B = 1, E = 1, T = the landscape's). GD: N (default 10) points,
    /// every one in every one of the T steps; `--batch`, `--epochs` and
    /// `--shuffle` are SGD's (see [`GridFlags::sgd_only`]).
    pub fn resolve(&self, optimizer: Optimizer, default_steps: usize) -> Result<Grid> {
        let b = self.batch.unwrap_or(1);
        if optimizer.full_batch() {
            return Grid::gd(self.train_size.unwrap_or(GD_TRAIN_SIZE), self.steps.unwrap_or(default_steps));
        }
        let divide = |num: usize, den: usize, what: &str| -> Result<usize> {
            if den == 0 || !num.is_multiple_of(den) {
                Err(usage(format!(
                    "{what} is not a whole number: give --steps, --train-size, --batch and --epochs with T = E·N/B"
                )))
            } else {
                Ok(num / den)
            }
        };
        let (n, e) = match (self.train_size, self.epochs, self.steps) {
            (Some(n), Some(e), t) => {
                if let Some(t) = t {
                    if t * b != e * n {
                        return Err(usage(format!("--steps {t} disagrees with T = E·N/B = {e}·{n}/{b}")));
                    }
                }
                (n, e)
            }
            (Some(n), None, Some(t)) => (n, divide(t * b, n, "E = T·B/N")?),
            (Some(n), None, None) => (n, 1),
            (None, e, t) => {
                let e = e.unwrap_or(1);
                let t = t.unwrap_or(default_steps);
                if t == 0 {
                    (b, 0)
                } else {
                    (divide(t * b, e, "N = T·B/E")?, e)
                }
            }
        };
        Grid::new(n, b, e, self.shuffle)
    }

    /// Whether flags that only SGD-like grids use were given.
    pub fn sgd_only(&self) -> bool {
        self.batch.is_some() || self.epochs.is_some() || self.shuffle
    }

    /// The compared optimizer's grid: the primary's training set (N) and T.
    pub fn resolve_compare(&self, optimizer: Optimizer, primary: &Grid) -> Result<Grid> {
        let t = primary.steps();
        if optimizer.full_batch() {
            return Grid::gd(primary.train_size, t);
        }
        let flags = GridFlags { train_size: Some(primary.train_size), steps: Some(t), epochs: None, ..*self };
        flags.resolve(optimizer, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(steps: Option<usize>, n: Option<usize>, b: Option<usize>, e: Option<usize>) -> GridFlags {
        GridFlags { steps, train_size: n, batch: b, epochs: e, shuffle: false }
    }

    #[test]
    fn sgd_grids_resolve() {
        let g = flags(None, None, None, None).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!((g.train_size, g.batch, g.epochs), (10, 1, 1));
        let g = flags(None, Some(10), None, Some(3)).resolve(Optimizer::Sgd, 1).unwrap();
        assert_eq!((g.steps(), g.train_size), (30, 10));
        let g = flags(Some(20), Some(10), Some(2), None).resolve(Optimizer::Sgd, 1).unwrap();
        assert_eq!(g.epochs, 4);
        let g = flags(Some(0), None, None, None).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!((g.steps(), g.train_size), (0, 1));
        assert!(flags(Some(10), None, Some(3), Some(4)).resolve(Optimizer::Sgd, 1).is_err());
        assert!(flags(Some(7), Some(10), None, Some(1)).resolve(Optimizer::Sgd, 1).is_err());
        assert!(flags(None, Some(10), Some(3), None).resolve(Optimizer::Sgd, 1).is_err());
    }

    #[test]
    fn gd_and_compare_share_the_training_set() {
        let f = flags(Some(10), None, None, None);
        let sgd = f.resolve(Optimizer::Sgd, 1).unwrap();
        let gd = f.resolve_compare(Optimizer::Gd, &sgd).unwrap();
        assert_eq!((gd.train_size, gd.batch, gd.steps()), (10, 10, 10));
        let f = flags(Some(5), Some(10), Some(2), None);
        let gd = f.resolve(Optimizer::Gd, 1).unwrap();
        let sgd = f.resolve_compare(Optimizer::Sgd, &gd).unwrap();
        assert!(sgd.steps() == 5 && sgd.train_size == 10 && sgd.batch == 2);
        assert!(f.sgd_only() && flags(None, None, None, None).resolve_compare(Optimizer::Sgd, &gd).is_err());
    }
}
