//! Every run's values at every recorded step, gathered from the chunks of
//! runs in run order: what exact quantiles over runs need (seed 003's
//! distributions over runs, sec. 5).

use crate::network::options::{Metric, TestMetric};
use crate::network::train::Trace;

/// Per-run values of all runs, `values[(m · steps + k) · runs + r]` for
/// metric m at record k of run r (NaN where the run had diverged, and for
/// the cosine at t = 0).
pub struct Records {
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
        Records {
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
        let r0 = trace.runs.start as usize;
        let n = trace.diverged_at.len();
        for m in Metric::ALL {
            for k in 0..self.steps.len() {
                let at = (m as usize * self.steps.len() + k) * self.runs + r0;
                self.values[at..at + n].copy_from_slice(trace.values(m, k));
            }
        }
        for m in TestMetric::ALL {
            for k in 0..self.test_steps.len() {
                let at = (m as usize * self.test_steps.len() + k) * self.runs + r0;
                self.tests[at..at + n].copy_from_slice(trace.test_values(m, k));
            }
        }
        self.diverged_at[r0..r0 + n].copy_from_slice(&trace.diverged_at);
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
