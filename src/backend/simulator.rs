//! The boundary every backend implements: simulate one plan over a chunk of
//! trials and say what it cannot do. Everything else (chunking, tallies,
//! pairing, curves, drift, progress) is the driver's (`super::driver`), the
//! same for every backend.

use crate::error::Result;
use crate::experiment::Experiment;
use crate::observables::{empty_curve, CurvePoint, Trial};
use crate::plan::Plan;
use crate::progress::Progress;
use std::ops::Range;

/// A trial's end state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Never diverged: its final values count.
    Finite,
    /// Diverged (|θ_i| or |loss| beyond the limit at some check) with finite
    /// final values.
    Diverged,
    /// Diverged with a final θ or loss that is not finite.
    NonFinite,
}

impl Status {
    /// The status of a trial that `diverged` or not, with final values that
    /// are `nonfinite` or not.
    pub fn of(diverged: bool, nonfinite: bool) -> Self {
        match (diverged, nonfinite) {
            (false, _) => Status::Finite,
            (true, false) => Status::Diverged,
            (true, true) => Status::NonFinite,
        }
    }
}

/// One plan's results over a chunk of trials, in trial order; per-trial
/// vectors of weights are laid out trial-major (`theta[i * dim + d]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chunk {
    /// Weights per trial.
    pub dim: usize,
    pub test_loss: Vec<f64>,
    pub train_loss: Vec<f64>,
    pub theta: Vec<f64>,
    pub status: Vec<Status>,
    /// The drift estimators per trial (`crate::drift`), when recorded: the
    /// least-squares slope, and the mean conditional step (empty where it
    /// does not apply).
    pub slope: Vec<f64>,
    pub step: Vec<f64>,
    /// The learning curve over this chunk's trials alive at each recorded step
    /// (empty when not recorded).
    pub curve: Vec<CurvePoint>,
}

impl Chunk {
    /// An empty chunk for `trials` trials of `dim` weights, with an empty
    /// curve at `record_steps`.
    pub fn new(dim: usize, trials: usize, record_steps: &[usize]) -> Self {
        Chunk {
            dim,
            test_loss: Vec::with_capacity(trials),
            train_loss: Vec::with_capacity(trials),
            theta: Vec::with_capacity(trials * dim),
            status: Vec::with_capacity(trials),
            curve: empty_curve(dim, record_steps),
            ..Default::default()
        }
    }

    /// Appends the next trial's final values.
    pub fn push(&mut self, test_loss: f64, train_loss: f64, theta: impl IntoIterator<Item = f64>, status: Status) {
        self.test_loss.push(test_loss);
        self.train_loss.push(train_loss);
        self.theta.extend(theta);
        self.status.push(status);
    }

    /// Trials in the chunk.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// Trial `i`'s final θ.
    pub fn theta(&self, i: usize) -> &[f64] {
        &self.theta[i * self.dim..(i + 1) * self.dim]
    }

    /// Trial `i` on its own.
    pub fn trial(&self, i: usize) -> Trial {
        Trial {
            test_loss: self.test_loss[i],
            train_loss: self.train_loss[i],
            theta: self.theta(i).to_vec(),
            diverged: self.status[i] != Status::Finite,
        }
    }
}

/// A backend: it simulates trajectories, nothing else.
pub trait Simulator: Sync {
    /// "cpu" or "gpu", as reports name it.
    fn kind(&self) -> &'static str;

    /// The device it runs on, for reports (a GPU adapter), if any.
    fn adapter(&self) -> Option<String> {
        None
    }

    /// Whether it runs on a hardware accelerator (a GPU that is not a
    /// software rasteriser), whose work is sized larger (`simsgd bench`).
    fn accelerator(&self) -> bool {
        false
    }

    /// The unit roundoff of the arithmetic that produced its values (2⁻⁵³
    /// for f64, 2⁻²⁴ for f32): what the reports' precision floor scales.
    fn unit_roundoff(&self) -> f64;

    /// Why it cannot run `exp`, if it cannot (an optimizer it lacks, a
    /// training set too large for its memory).
    fn supports(&self, exp: &Experiment) -> Result<()>;

    /// Trials per chunk for `exp`: a function of the experiment alone, so
    /// that results do not depend on scheduling.
    fn chunk_trials(&self, exp: &Experiment) -> Result<u64>;

    /// The thread pool that runs chunks side by side, for a backend that can;
    /// `None` runs them one after another.
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        None
    }

    /// The time its kernels have run so far, measured on the device
    /// (timestamp queries), where it can measure it; `simsgd bench` reports
    /// it beside the wall time.
    fn kernel_seconds(&self) -> Option<f64> {
        None
    }

    /// Simulates `plan` of `exp` on `trials`, with the learning curve and the
    /// drift estimators at `exp.record_steps()` when `record`; advances
    /// `progress` by the trials done.
    fn simulate(
        &self,
        exp: &Experiment,
        plan: &Plan,
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Chunk>;

    /// Simulates each of `jobs` (an experiment and one of its plans) on the
    /// same `trials`, in order, with the numbers each would have alone: a
    /// sweep's points, which a backend may run side by side (the GPU fuses
    /// points into one set of dispatches); by default one after another.
    fn simulate_points(
        &self,
        jobs: &[(&Experiment, &Plan)],
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Vec<Chunk>> {
        jobs.iter().map(|(exp, plan)| self.simulate(exp, plan, trials.clone(), record, progress)).collect()
    }
}
