//! Every run's values at every recorded step, gathered from the chunks of
//! runs in run order: what exact quantiles over runs need (seed 003's
//! distributions over runs, sec. 5).

use crate::network::options::{Metric, TestMetric};
use crate::network::train::Trace;
use std::ops::Range;

/// Every value, every test value and the divergences of some runs, as
/// [`Records::parts`] lays them out.
pub type Parts = (Vec<f64>, Vec<f64>, Vec<Option<u64>>);

/// Per-run values of runs `first..first + runs` (all of them, or a shard's:
/// `crate::shard::StudyState`), `values[(m · steps + k) · runs + r]` for
/// metric m at record k of run first + r (NaN where the run had diverged,
/// and for the cosine at t = 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Records {
    first: u64,
    runs: usize,
    /// The recorded steps.
    pub steps: Vec<u64>,
    /// The test steps.
    pub test_steps: Vec<u64>,
    values: Vec<f64>,
    tests: Vec<f64>,
    /// Per run, the step at which it diverged, if it did.
    pub diverged_at: Vec<Option<u64>>,
}

impl Records {
    /// Room for `runs` runs recorded at `steps` and tested at `test_steps`.
    pub fn new(runs: usize, steps: Vec<u64>, test_steps: Vec<u64>) -> Self {
        Self::covering(0..runs as u64, steps, test_steps)
    }

    /// Room for runs `runs` (a shard's).
    pub fn covering(runs: Range<u64>, steps: Vec<u64>, test_steps: Vec<u64>) -> Self {
        let (first, runs) = (runs.start, (runs.end - runs.start) as usize);
        Records {
            first,
            runs,
            values: vec![f64::NAN; Metric::ALL.len() * steps.len() * runs],
            tests: vec![f64::NAN; TestMetric::ALL.len() * test_steps.len() * runs],
            steps,
            test_steps,
            diverged_at: vec![None; runs],
        }
    }

    /// Copies a chunk's trace into its runs' places.
    pub fn absorb(&mut self, trace: &Trace) {
        let n = trace.diverged_at.len();
        let place = (trace.runs.start - self.first) as usize;
        self.place(place, n, |m, k| trace.values(m, k), |m, k| trace.test_values(m, k), &trace.diverged_at);
    }

    /// Copies another's runs (a shard's, of the same steps) into their places.
    pub fn absorb_records(&mut self, other: &Records) {
        let place = (other.first - self.first) as usize;
        let (values, tests) = (|m, k| other.column(m, k), |m, k| other.test_column(m, k));
        self.place(place, other.runs, values, tests, &other.diverged_at);
    }

    /// Copies `n` runs' values (`values(m, k)`, `tests(m, k)`) and
    /// divergences into places `r0..r0 + n`.
    fn place<'a>(
        &mut self,
        r0: usize,
        n: usize,
        values: impl Fn(Metric, usize) -> &'a [f64],
        tests: impl Fn(TestMetric, usize) -> &'a [f64],
        diverged_at: &[Option<u64>],
    ) {
        for m in Metric::ALL {
            for k in 0..self.steps.len() {
                let at = (m as usize * self.steps.len() + k) * self.runs + r0;
                self.values[at..at + n].copy_from_slice(values(m, k));
            }
        }
        for m in TestMetric::ALL {
            for k in 0..self.test_steps.len() {
                let at = (m as usize * self.test_steps.len() + k) * self.runs + r0;
                self.tests[at..at + n].copy_from_slice(tests(m, k));
            }
        }
        self.diverged_at[r0..r0 + n].copy_from_slice(diverged_at);
    }

    /// The runs held.
    pub fn runs(&self) -> Range<u64> {
        self.first..self.first + self.runs as u64
    }

    /// Its values as they are laid out (every value, then every test value)
    /// and the divergences: what a shard's state carries.
    pub fn parts(&self) -> (&[f64], &[f64], &[Option<u64>]) {
        (&self.values, &self.tests, &self.diverged_at)
    }

    /// Records of runs `runs` from [`Records::parts`]; `None` where their
    /// sizes do not fit.
    pub fn from_parts(
        runs: Range<u64>,
        steps: Vec<u64>,
        test_steps: Vec<u64>,
        (values, tests, diverged_at): Parts,
    ) -> Option<Self> {
        let empty = Self::covering(runs, steps, test_steps);
        let fits = empty.values.len() == values.len()
            && empty.tests.len() == tests.len()
            && empty.diverged_at.len() == diverged_at.len();
        fits.then_some(Records { values, tests, diverged_at, ..empty })
    }

    /// The runs' values of `metric` at record `k`, in run order.
    pub fn column(&self, metric: Metric, k: usize) -> &[f64] {
        let at = (metric as usize * self.steps.len() + k) * self.runs;
        &self.values[at..at + self.runs]
    }

    /// The runs' values of `metric` at test step `k`, in run order.
    pub fn test_column(&self, metric: TestMetric, k: usize) -> &[f64] {
        let at = (metric as usize * self.test_steps.len() + k) * self.runs;
        &self.tests[at..at + self.runs]
    }

    /// How many runs diverged.
    pub fn diverged(&self) -> usize {
        self.diverged_at.iter().filter(|d| d.is_some()).count()
    }
}
