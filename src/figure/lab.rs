//! What every figure shares: the [`Figure`] entry, the [`Drawing`] it
//! returns, the [`Lab`] that runs its experiments on the chosen backend, and
//! the helpers for predictions, measured columns and chart points.

use super::table::Cell;
use super::table::Table;
use crate::backend::{driver, Backends};
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::observables::{Outcome, Trial};
use crate::plan::Plan;
use crate::plot::{self, Chart, Heatmap};
use crate::progress::Progress;
use crate::stats::Summary;
use crate::theory::law::{self, Law};
use crate::theory::predict::{self, Prediction};
use crate::theory::resum::{self, Resum};

/// A named figure.
pub struct Figure {
    pub name: &'static str,
    /// What it shows, and from which paper.
    pub about: &'static str,
    pub(super) build: fn(&Lab) -> Result<Drawing>,
}

/// What a figure draws.
pub enum Plot {
    /// One or more charts side by side.
    Panels(Vec<Chart>),
    /// Heat maps in a grid, `columns` per row, on one colour scale.
    Heatmaps { maps: Vec<Heatmap>, columns: usize },
}

/// A figure's data and picture.
pub struct Drawing {
    pub table: Table,
    pub plot: Plot,
}

/// Where figures run their experiments: the size (quick or full) and the
/// backend.
pub struct Lab {
    pub quick: bool,
    pub backends: Backends,
    pub quiet: bool,
}

impl Lab {
    /// `quick` in `--quick` mode, else `full`.
    pub fn size<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }

    /// Runs `spec` on the lab's backend.
    pub fn run(&self, spec: &Spec) -> Result<(Experiment, Outcome)> {
        let exp = spec.resolve()?;
        let progress = Progress::new(exp.trials * (1 + exp.compare.is_some() as u64), &spec.command_line(), self.quiet);
        let out = driver::run(self.backends.for_experiment(&exp)?, &exp, &progress)?;
        progress.finish();
        Ok((exp, out))
    }

    /// Per-trial differences f(a) − f(b) of `plan_a` and `plan_b` on the same
    /// trials (the same training sets), over the trials where neither
    /// diverged: a paired comparison of grids that `--compare` cannot pair
    /// (different T).
    pub fn paired(&self, exp: &Experiment, a: &Plan, b: &Plan, f: impl Fn(&Trial) -> f64 + Sync) -> Result<Summary> {
        let pair = Experiment { plan: a.clone(), compare: Some(b.clone()), ..exp.clone() };
        let sim = self.backends.for_experiment(&pair)?;
        Ok(driver::paired(sim, exp, a, b, f)?.summary())
    }
}

/// The exact sample law at the experiment's init.
pub fn law(exp: &Experiment) -> Law {
    exp.landscape.visit(law::Exact(&exp.init))
}

/// The η-series prediction of `plan` to `order`.
pub fn series(exp: &Experiment, plan: &Plan, order: usize) -> Result<Prediction> {
    predict::predict(&law(exp), plan, order)
}

/// The η-series coefficients, to `order`, of the predicted paired difference
/// of expected test loss (primary − compared) of a `--compare` experiment,
/// from one law; evaluate them at any η with `predict::value`.
pub fn difference_series(exp: &Experiment, order: usize) -> Result<Vec<f64>> {
    let law = law(exp);
    let compare = exp.compare.as_ref().expect("a paired experiment");
    let (a, b) = (predict::predict(&law, &exp.plan, order)?, predict::predict(&law, compare, order)?);
    Ok(a.test_loss.iter().zip(&b.test_loss).map(|(x, y)| x - y).collect())
}

/// The re-summed prediction of `plan` to `order`.
pub fn resummed(exp: &Experiment, plan: &Plan, order: usize, mode: Resum) -> Result<Prediction> {
    resum::predict(&law(exp), plan, order, mode)
}

/// The columns of a measured mean: n, mean, stderr, ci95_lo, ci95_hi.
pub fn measured(s: &Summary) -> Vec<(&'static str, Cell)> {
    vec![
        ("n", (s.n as f64).into()),
        ("mean", s.mean.into()),
        ("stderr", s.stderr.into()),
        ("ci95_lo", s.ci95[0].into()),
        ("ci95_hi", s.ci95[1].into()),
    ]
}

/// A chart point with the 95% CI of a measured mean.
pub fn ci_point(x: f64, s: &Summary) -> plot::Point {
    plot::Point::with_ci(x, s.mean, s.ci95[0], s.ci95[1])
}

/// `n` values from `a` to `b`, evenly spaced on a log scale.
pub fn log_space(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| a * (b / a).powf(i as f64 / (n - 1).max(1) as f64)).collect()
}
