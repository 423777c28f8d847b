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
//! * the mean conditional step: E[θ_{t+1} − θ_t | θ_t] = −η G(θ_t) for every
//!   dynamics that draws fresh noise each step (SGD with E = 1, SDE, ODE;
//!   G the exact mean gradient), averaged over the window's recorded states
//!   before T. It drops the martingale part of the steps, which is most of
//!   the slope's variance. Grids that revisit their training points (GD,
//!   epochs, GDC) condition on the training set too, so they get the slope
//!   alone.

use crate::experiment::Plan;
use crate::optimizer::Optimizer;

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
    /// (−η / the number of records in [from, T)); `None` where the
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
        let fresh = plan.grid.epochs == 1 && plan.optimizer != Optimizer::Gdc;
        let before_end = window.iter().filter(|&&t| t < steps).count();
        let step = fresh.then(|| {
            let w = -plan.eta / before_end as f64;
            record_steps.iter().map(|&t| if late(t) && t < steps { w } else { 0.0 }).collect()
        });
        Some(DriftWindow { from: window[0], to: window[window.len() - 1], records: window.len(), slope, step })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;

    fn plan(optimizer: Optimizer, grid: Grid) -> Plan {
        Plan { optimizer, grid, eta: 0.1, substeps: 4 }
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

    #[test]
    fn revisiting_grids_get_the_slope_only() {
        let records: Vec<usize> = (0..=20).collect();
        assert!(DriftWindow::new(&plan(Optimizer::Gd, Grid::gd(10, 20).unwrap()), &records).unwrap().step.is_none());
        let epochs = Grid::new(10, 1, 2, false).unwrap();
        assert!(DriftWindow::new(&plan(Optimizer::Sgd, epochs), &records).unwrap().step.is_none());
        let sde = plan(Optimizer::Sde, Grid::new(20, 1, 1, false).unwrap());
        assert!(DriftWindow::new(&sde, &records).unwrap().step.is_some());
        assert!(DriftWindow::new(&sde, &[0, 10, 20]).is_none(), "two late records are too few");
    }
}
