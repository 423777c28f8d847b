//! The measured drift per step over the late part of a run (Corollary 1,
//! seed 001 §2: SGD drifts along Archimedes' valley of minima at a constant
//! velocity).
//!
//! Two per-trial estimators over the window of recorded steps t ≥ T/2, both
//! linear in the recorded states, so each backend accumulates them as it
//! records the learning curve and the means come with honest standard errors
//! (trials are independent; the steps of one trial are not):
//!
//! * the least-squares slope of θ(t) against t, Σ_r w_r θ(t_r) with
//!   w_r = (t_r − t̄)/Σ(t_s − t̄)²;
//! * the mean conditional step: E[θ_{t+1} − θ_t | θ_t] = −η G(θ_t) for SGD
//!   on one epoch (fresh samples each step; G the exact mean gradient),
//!   averaged over the window's recorded states before T. It drops the
//!   martingale part of the steps. Grids that revisit their training points
//!   (GD, epochs, GDC) condition on the training set too, and the SDE and ODE
//!   take K substeps whose mean is the average of G over them, not G(θ_t):
//!   they get the slope alone.
//!
//! [`DriftWindow::expected`] applies the same weights to a predicted mean
//! trajectory, so measurement and theory are the same functional of θ(t)
//! even before the drift is stationary.

use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::plan::Plan;

/// Fewest recorded steps in the window for a slope worth reporting.
pub const MIN_RECORDS: usize = 3;

/// The per-record weights of the two estimators, indexed like the recorded
/// steps (zero outside the window).
#[derive(Clone, Debug, PartialEq)]
pub struct DriftWindow {
    /// First and last step of the window.
    pub from: usize,
    pub to: usize,
    /// Recorded steps in the window.
    pub records: usize,
    /// Least-squares weights w_r of θ(t_r).
    pub slope: Vec<f64>,
    /// Weights of the mean gradient G(θ(t_r)) in the mean conditional step
    /// (−η_t / the number of records in [from, T)); `None` where the
    /// estimator does not apply.
    pub step: Option<Vec<f64>>,
}

impl DriftWindow {
    /// The window of the late half of `record_steps` under `plan`, if it holds
    /// at least [`MIN_RECORDS`] records.
    pub fn new(plan: &Plan, record_steps: &[usize]) -> Option<Self> {
        let steps = plan.steps();
        let late = |t: usize| 2 * t >= steps;
        let window: Vec<usize> = record_steps.iter().copied().filter(|&t| late(t)).collect();
        if window.len() < MIN_RECORDS {
            return None;
        }
        let mean = window.iter().sum::<usize>() as f64 / window.len() as f64;
        let ss: f64 = window.iter().map(|&t| (t as f64 - mean).powi(2)).sum();
        let slope = record_steps.iter().map(|&t| if late(t) { (t as f64 - mean) / ss } else { 0.0 }).collect();
        let fresh = plan.optimizer == Optimizer::Sgd && plan.grid.epochs == 1;
        let before_end = window.iter().filter(|&&t| t < steps).count();
        let step = fresh.then(|| {
            let w = |t: usize| -plan.eta_at(t) / before_end as f64;
            record_steps.iter().map(|&t| if late(t) && t < steps { w(t) } else { 0.0 }).collect()
        });
        Some(DriftWindow { from: window[0], to: window[window.len() - 1], records: window.len(), slope, step })
    }

    /// What the two estimators read on a predicted mean trajectory, `theta(t)`
    /// = E\[θ_t\]: Σ_r w_r E\[θ(t_r)\], and the mean over the window's records
    /// before T of E[θ(t_r + 1) − θ(t_r)] (the conditional step's
    /// expectation).
    pub fn expected(
        &self,
        record_steps: &[usize],
        theta: impl Fn(usize) -> Result<Vec<f64>>,
    ) -> Result<(Vec<f64>, Option<Vec<f64>>)> {
        let slope = weighted_sum(record_steps, &self.slope, &theta)?;
        let step = match &self.step {
            Some(weights) => {
                let change = |t: usize| -> Result<Vec<f64>> {
                    let (a, b) = (theta(t)?, theta(t + 1)?);
                    Ok(b.iter().zip(&a).map(|(b, a)| b - a).collect())
                };
                let eta = -weights.iter().sum::<f64>();
                let per_record: Vec<f64> = weights.iter().map(|w| -w / eta).collect();
                Some(weighted_sum(record_steps, &per_record, &change)?)
            }
            None => None,
        };
        Ok((slope, step))
    }
}

/// Records at which [`DriftWindow::expected`] evaluates a prediction exactly;
/// with more, it evaluates at this many evenly spaced ones and interpolates
/// linearly between them (the predictions are smooth in t).
pub const EXACT_RECORDS: usize = 200;

/// Σ_r w_r f(t_r) over the records with w_r ≠ 0, f vector-valued.
fn weighted_sum(record_steps: &[usize], weights: &[f64], f: &dyn Fn(usize) -> Result<Vec<f64>>) -> Result<Vec<f64>> {
    let used: Vec<usize> = (0..weights.len()).filter(|&r| weights[r] != 0.0).collect();
    let stride = used.len().div_ceil(EXACT_RECORDS).max(1);
    let mut knots: Vec<usize> = used.iter().copied().step_by(stride).collect();
    if knots.last() != used.last() {
        knots.extend(used.last());
    }
    let values: Vec<(f64, Vec<f64>)> =
        knots.iter().map(|&r| Ok((record_steps[r] as f64, f(record_steps[r])?))).collect::<Result<_>>()?;
    let dim = values.first().map_or(0, |v| v.1.len());
    let mut sum = vec![0.0; dim];
    for &r in &used {
        let t = record_steps[r] as f64;
        let k = values.partition_point(|v| v.0 < t).min(values.len() - 1);
        for (d, s) in sum.iter_mut().enumerate() {
            let y = if values[k].0 == t || k == 0 {
                values[k].1[d]
            } else {
                let (a, b) = (&values[k - 1], &values[k]);
                let u = (t - a.0) / (b.0 - a.0);
                (1.0 - u) * a.1[d] + u * b.1[d]
            };
            *s += weights[r] * y;
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;

    fn plan(optimizer: Optimizer, grid: Grid) -> Plan {
        Plan { optimizer, grid, eta: 0.1, substeps: 4, update: Default::default(), schedule: Default::default() }
    }

    #[test]
    fn slope_weights_recover_a_line() {
        let p = plan(Optimizer::Sgd, Grid::new(100, 1, 1, false).unwrap());
        let records: Vec<usize> = (0..=100).step_by(7).chain([100]).collect();
        let w = DriftWindow::new(&p, &records).unwrap();
        assert_eq!((w.from, w.to, w.records), (56, 100, 8));
        let line: f64 = records.iter().zip(&w.slope).map(|(&t, w)| w * (3.0 - 0.25 * t as f64)).sum();
        assert!((line + 0.25).abs() < 1e-12, "{line}");
        let step = w.step.unwrap();
        assert!((step.iter().sum::<f64>() + 0.1).abs() < 1e-12);
        assert_eq!(step.last(), Some(&0.0), "the state at T has no step after it");
    }

    /// On a trajectory θ(t) = a + b t + c t² the slope weights give the LS
    /// slope b + c·(Σ(t − t̄)t²/Σ(t − t̄)²) and the step weights the mean of
    /// b + c(2t + 1): the same functionals as on the measurements, exactly or,
    /// past `EXACT_RECORDS`, to interpolation error.
    #[test]
    fn expected_applies_the_same_weights() {
        let f = |t: usize| -> Result<Vec<f64>> {
            let t = t as f64;
            Ok(vec![1.0 + 0.5 * t + 1e-4 * t * t])
        };
        for (steps, every, tolerance) in [(100, 7, 1e-12), (10_000, 1, 1e-7)] {
            let p = plan(Optimizer::Sgd, Grid::new(steps, 1, 1, false).unwrap());
            let records: Vec<usize> = (0..=steps).step_by(every).chain([steps]).collect();
            let records: Vec<usize> = records
                .iter()
                .copied()
                .enumerate()
                .filter(|&(i, t)| i == 0 || t != records[i - 1])
                .map(|(_, t)| t)
                .collect();
            let w = DriftWindow::new(&p, &records).unwrap();
            let (slope, step) = w.expected(&records, f).unwrap();
            let window: Vec<f64> = records.iter().filter(|&&t| t >= w.from).map(|&t| t as f64).collect();
            let mean = window.iter().sum::<f64>() / window.len() as f64;
            let ss: f64 = window.iter().map(|t| (t - mean).powi(2)).sum();
            let want = 0.5 + 1e-4 * window.iter().map(|t| (t - mean) * t * t).sum::<f64>() / ss;
            assert!((slope[0] - want).abs() < tolerance * want, "T = {steps}: slope {} vs {want}", slope[0]);
            let before: Vec<f64> = window.iter().copied().filter(|&t| t < steps as f64).collect();
            let want = before.iter().map(|t| 0.5 + 1e-4 * (2.0 * t + 1.0)).sum::<f64>() / before.len() as f64;
            assert!((step.unwrap()[0] - want).abs() < tolerance * want, "T = {steps}: step");
        }
    }

    #[test]
    fn revisiting_grids_get_the_slope_only() {
        let records: Vec<usize> = (0..=20).collect();
        assert!(DriftWindow::new(&plan(Optimizer::Gd, Grid::gd(10, 20).unwrap()), &records).unwrap().step.is_none());
        let epochs = Grid::new(10, 1, 2, false).unwrap();
        assert!(DriftWindow::new(&plan(Optimizer::Sgd, epochs), &records).unwrap().step.is_none());
        let sgd = plan(Optimizer::Sgd, Grid::new(20, 4, 1, false).unwrap());
        assert!(DriftWindow::new(&sgd, &records[..6]).unwrap().step.is_some(), "fresh batches");
        let sde = plan(Optimizer::Sde, Grid::new(20, 1, 1, false).unwrap());
        assert!(DriftWindow::new(&sde, &records).unwrap().step.is_none(), "K substeps: the slope alone");
        assert!(DriftWindow::new(&sde, &[0, 10, 20]).is_none(), "two late records are too few");
    }
}
