//! What a run measures, accumulated over trials: per-trial test loss, train
//! loss, generalization gap and θ_T; learning curves; divergences; paired
//! differences between two optimizers on the same training sets.

use crate::stats::{Moments, Sample};
use serde::{Deserialize, Serialize};

/// One trial's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    pub test_loss: f64,
    pub train_loss: f64,
    pub theta: Vec<f64>,
    pub diverged: bool,
}

impl Trial {
    pub fn gen_gap(&self) -> f64 {
        self.test_loss - self.train_loss
    }
}

/// Moments of test loss, train loss, generalization gap and θ at one
/// recorded step, over the trials alive there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub step: usize,
    pub test_loss: Moments,
    pub train_loss: Moments,
    pub gen_gap: Moments,
    pub theta: Vec<Moments>,
}

impl CurvePoint {
    /// Adds one live trial's values at this step.
    pub fn push(&mut self, test_loss: f64, train_loss: f64, theta: impl IntoIterator<Item = f64>) {
        self.test_loss.push(test_loss);
        self.train_loss.push(train_loss);
        self.gen_gap.push(test_loss - train_loss);
        for (m, x) in self.theta.iter_mut().zip(theta) {
            m.push(x);
        }
    }

    /// Chan's merge of another chunk's point at the same step.
    pub fn merge(&mut self, o: &CurvePoint) {
        self.test_loss.merge(&o.test_loss);
        self.train_loss.merge(&o.train_loss);
        self.gen_gap.merge(&o.gen_gap);
        for (m, om) in self.theta.iter_mut().zip(&o.theta) {
            m.merge(om);
        }
    }
}

/// A learning curve at `record_steps` with no trial yet, for `dim` weights.
pub fn empty_curve(dim: usize, record_steps: &[usize]) -> Vec<CurvePoint> {
    record_steps
        .iter()
        .map(|&step| CurvePoint { step, theta: vec![Moments::default(); dim], ..Default::default() })
        .collect()
}

/// One optimizer's accumulated observables. Diverged trials are counted and
/// excluded from the final means; a curve point averages the trials that had
/// not diverged by its step (its `n` says how many). Final values are
/// [`Sample`]s (moments to the fourth, extremes: the skew-corrected interval
/// and the heavy-tail rule), curve points and drift estimators [`Moments`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub test_loss: Sample,
    pub train_loss: Sample,
    pub gen_gap: Sample,
    pub theta: Vec<Sample>,
    pub diverged: u64,
    /// Of the diverged trials, those whose final θ or loss is not finite.
    pub diverged_nonfinite: u64,
    pub curve: Vec<CurvePoint>,
    /// The drift estimators over the late window (`crate::drift`), per
    /// coordinate, of the trials that never diverged.
    pub drift: Option<DriftTally>,
}

/// Per-coordinate moments of the per-trial drift estimators.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftTally {
    /// Least-squares slope of θ over the window.
    pub slope: Vec<Moments>,
    /// Mean conditional step −η G(θ) over the window's states (empty where it
    /// does not apply).
    pub step: Vec<Moments>,
}

impl DriftTally {
    /// Adds one trial's slope and mean conditional step (`step` empty where
    /// it does not apply).
    pub fn push(&mut self, slope: &[f64], step: &[f64]) {
        push_all(&mut self.slope, slope);
        push_all(&mut self.step, step);
    }
}

/// A per-coordinate accumulator, [`Moments`] or [`Sample`], for the
/// coordinate-wise helpers below.
trait Accumulator {
    fn push(&mut self, x: f64);
    fn merge(&mut self, other: &Self);
}

/// `Accumulator` by the types' inherent `push` and `merge`.
macro_rules! accumulator {
    ($($t:ident),*) => {$(
        impl Accumulator for $t {
            #[inline]
            fn push(&mut self, x: f64) {
                $t::push(self, x);
            }

            fn merge(&mut self, other: &Self) {
                $t::merge(self, other);
            }
        }
    )*};
}

accumulator!(Moments, Sample);

/// Pushes `xs[d]` into `acc[d]`, coordinate by coordinate.
fn push_all<A: Accumulator>(acc: &mut [A], xs: &[f64]) {
    for (a, &x) in acc.iter_mut().zip(xs) {
        a.push(x);
    }
}

/// Merges `b[d]` into `a[d]`, coordinate by coordinate.
fn merge_all<A: Accumulator>(a: &mut [A], b: &[A]) {
    for (x, y) in a.iter_mut().zip(b) {
        x.merge(y);
    }
}

impl Tally {
    /// An empty tally for `dim` weights, a curve at `record_steps` and, with
    /// `drift`, the drift estimators (`conditional`: the mean step too).
    pub fn new(dim: usize, record_steps: &[usize], drift: Option<&crate::drift::DriftWindow>) -> Self {
        Tally {
            theta: vec![Sample::default(); dim],
            curve: empty_curve(dim, record_steps),
            drift: drift.map(|w| DriftTally {
                slope: vec![Moments::default(); dim],
                step: if w.step.is_some() { vec![Moments::default(); dim] } else { Vec::new() },
            }),
            ..Default::default()
        }
    }

    /// Adds one finite trial's final values.
    pub fn push(&mut self, test_loss: f64, train_loss: f64, theta: &[f64]) {
        self.test_loss.push(test_loss);
        self.train_loss.push(train_loss);
        self.gen_gap.push(test_loss - train_loss);
        push_all(&mut self.theta, theta);
    }

    /// Counts one diverged trial.
    pub fn push_diverged(&mut self, nonfinite: bool) {
        self.diverged += 1;
        self.diverged_nonfinite += nonfinite as u64;
    }

    pub fn merge(&mut self, o: &Tally) {
        self.test_loss.merge(&o.test_loss);
        self.train_loss.merge(&o.train_loss);
        self.gen_gap.merge(&o.gen_gap);
        merge_all(&mut self.theta, &o.theta);
        self.diverged += o.diverged;
        self.diverged_nonfinite += o.diverged_nonfinite;
        for (c, oc) in self.curve.iter_mut().zip(&o.curve) {
            c.merge(oc);
        }
        if let (Some(d), Some(od)) = (&mut self.drift, &o.drift) {
            merge_all(&mut d.slope, &od.slope);
            merge_all(&mut d.step, &od.step);
        }
    }

    /// Trials counted (finite or diverged).
    pub fn trials(&self) -> u64 {
        self.test_loss.n + self.diverged
    }
}

/// Paired differences (primary − compared) over trials where neither diverged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub test_loss_diff: Sample,
    pub gen_gap_diff: Sample,
}

impl Paired {
    /// Adds one trial's (test loss, gen gap) under both optimizers, both finite.
    pub fn push(&mut self, (test_a, gap_a): (f64, f64), (test_b, gap_b): (f64, f64)) {
        self.test_loss_diff.push(test_a - test_b);
        self.gen_gap_diff.push(gap_a - gap_b);
    }

    pub fn merge(&mut self, o: &Paired) {
        self.test_loss_diff.merge(&o.test_loss_diff);
        self.gen_gap_diff.merge(&o.gen_gap_diff);
    }
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub primary: Tally,
    pub compare: Option<(Tally, Paired)>,
    /// The unit roundoff of the simulator's values
    /// (`crate::backend::Simulator::unit_roundoff`): the precision floor's scale.
    pub unit_roundoff: f64,
}

impl Outcome {
    pub fn merge(&mut self, o: &Outcome) {
        self.primary.merge(&o.primary);
        if let (Some((t, p)), Some((ot, op))) = (&mut self.compare, &o.compare) {
            t.merge(ot);
            p.merge(op);
        }
    }
}
