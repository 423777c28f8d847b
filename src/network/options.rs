//! What a network study's runs do: SGD's step size, batches and length,
//! how batches are drawn, θ₀, and which steps are recorded (seed 003,
//! App. A.1 "Training" and Table 2; sec. 5's observables).

use super::mlp::Init;
use crate::error::{usage, Result};
use crate::rng::STREAM_LENGTH;

/// How a run draws its mini-batches from the n training points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// m points i.i.d. uniform with replacement at every step (App. A.1:
    /// "random samples with replacement"): sample s of step t is point
    /// `below(word(t·m + s), n)` of [`crate::rng::Stream::Batch`].
    #[default]
    Replacement,
    /// Shuffled epochs: the steps read m consecutive positions of a sequence
    /// of per-epoch random permutations (position q = t·m + s is place q mod n
    /// of epoch ⌊q/n⌋'s order, [`crate::rng::shuffle`]), so a batch may span
    /// two epochs and every point is seen once per epoch; needs m ≤ n.
    Shuffled,
}

/// A study's SGD and what it records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Constant step size η.
    pub eta: f64,
    /// Mini-batch size m.
    pub batch: usize,
    /// SGD steps T: θ₀ … θ_T.
    pub steps: u64,
    /// How batches are drawn.
    pub sampling: Sampling,
    /// θ₀'s distribution.
    pub init: Init,
    /// The run seed: θ₀, batches and orders of run r are keyed by (seed, r).
    pub seed: u64,
    /// Record every this many steps (and at step 0 and T).
    pub record_every: u64,
    /// Record every step up to this one as well: the fast early phase
    /// (seed 003's Fig. 9(a) follows iterations 1 to 15).
    pub record_all_until: u64,
    /// Test-set loss and accuracy every this many steps (and at 0 and T);
    /// 0: never.
    pub test_every: u64,
}

/// One of the values recorded per run at each recorded step t (sec. 5, Fig. 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// f(θ_t): the mean loss over the training set (with its training labels).
    TrainLoss,
    /// Accuracy on the training set (its training labels).
    TrainAccuracy,
    /// ‖g_t‖: the stochastic gradient of step t's batch at θ_t.
    GradNorm,
    /// cos(g_t, g_{t−1}); NaN at t = 0 (no g₋₁) or where a gradient is 0.
    Cos,
    /// Δ_t = f(θ_{t+1}) − f(θ_t) (Fig. 9); at t = T, θ_{T+1} is the step T
    /// would take (its batch T), so Δ_T is defined like the others.
    Delta,
}

impl Metric {
    /// Every metric, in storage order.
    pub const ALL: [Metric; 5] =
        [Metric::TrainLoss, Metric::TrainAccuracy, Metric::GradNorm, Metric::Cos, Metric::Delta];

    /// The name in reports (`train_loss`, …, as the JSON's curve keys).
    pub fn name(self) -> &'static str {
        ["train_loss", "train_accuracy", "grad_norm", "cos", "delta"][self as usize]
    }
}

/// One of the values recorded per run at each test step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMetric {
    /// Mean loss on the test set's true labels.
    TestLoss,
    /// Accuracy on the test set's true labels.
    TestAccuracy,
    /// Mean loss on the test set's noisy labels (the training noise rate).
    NoisyTestLoss,
    /// Accuracy on the test set's noisy labels.
    NoisyTestAccuracy,
}

impl TestMetric {
    /// Every test metric, in storage order.
    pub const ALL: [TestMetric; 4] =
        [TestMetric::TestLoss, TestMetric::TestAccuracy, TestMetric::NoisyTestLoss, TestMetric::NoisyTestAccuracy];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        ["test_loss", "test_accuracy", "noisy_test_loss", "noisy_test_accuracy"][self as usize]
    }
}

impl Options {
    /// The paper's SGD (App. A.1): η, m = 5 with replacement, T steps, θ₀ ~
    /// N(0, I), run seed 0, a record every 10 steps, no test evaluations.
    pub fn paper(eta: f64, steps: u64) -> Self {
        Options {
            eta,
            batch: 5,
            steps,
            sampling: Sampling::Replacement,
            init: Init::Normal,
            seed: 0,
            record_every: 10,
            record_all_until: 0,
            test_every: 0,
        }
    }

    /// A usage error for a step size that is not finite and positive, an
    /// empty batch, a batch larger than the `n` points without replacement,
    /// `record_every` 0, or more batch draws than a random stream holds.
    pub fn validate(&self, n: usize) -> Result<()> {
        if !(self.eta.is_finite() && self.eta > 0.0) {
            return Err(usage(format!("--eta must be finite and positive, not {}", self.eta)));
        }
        if self.batch == 0 {
            return Err(usage("--batch must be at least 1"));
        }
        if self.sampling == Sampling::Shuffled && self.batch > n {
            return Err(usage(format!(
                "--batch {} exceeds the {n} training points, which shuffled epochs draw without replacement",
                self.batch
            )));
        }
        if self.record_every == 0 {
            return Err(usage("--record-every must be at least 1"));
        }
        let draws = (self.steps as u128 + 1) * self.batch as u128;
        if draws > STREAM_LENGTH as u128 {
            return Err(usage(format!(
                "{} steps of batches of {} draw {draws} samples per run, more than a random stream's {STREAM_LENGTH}",
                self.steps, self.batch
            )));
        }
        Ok(())
    }

    /// The recorded steps: 0, 1, … up to `record_all_until`, then r, 2r, …
    /// and T.
    pub fn record_steps(&self) -> Vec<u64> {
        let early = self.record_all_until.min(self.steps);
        let grid = every(self.record_every, self.steps).into_iter().filter(|&t| t > early);
        (0..=early).chain(grid).collect()
    }

    /// The test steps: 0, c, 2c, … and T; none when `test_every` is 0.
    pub fn test_steps(&self) -> Vec<u64> {
        match self.test_every {
            0 => Vec::new(),
            c => every(c, self.steps),
        }
    }
}

/// 0, c, 2c, … up to `last`, and `last`.
fn every(c: u64, last: u64) -> Vec<u64> {
    let mut steps: Vec<u64> = (0..=last / c).map(|i| i * c).collect();
    if steps.last() != Some(&last) {
        steps.push(last);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_include_both_ends() {
        let o = Options { test_every: 250, ..Options::paper(0.1, 400) };
        assert_eq!(o.record_steps().len(), 41);
        assert_eq!(o.test_steps(), [0, 250, 400]);
        assert_eq!(Options { record_every: 7, ..Options::paper(0.1, 20) }.record_steps(), [0, 7, 14, 20]);
        assert_eq!(Options::paper(0.1, 0).record_steps(), [0]);
        let early = Options { record_all_until: 12, ..Options::paper(0.1, 40) };
        assert_eq!(early.record_steps(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30, 40]);
        assert_eq!(Options { record_all_until: 99, ..early }.record_steps(), (0..=40).collect::<Vec<_>>());
        assert!(Options::paper(0.1, 0).test_steps().is_empty());
    }

    #[test]
    fn bad_options_are_usage_errors() {
        let err = |o: Options| o.validate(100).unwrap_err().to_string();
        let o = Options::paper(0.1, 400);
        assert_eq!(err(Options { eta: f64::NAN, ..o }), "--eta must be finite and positive, not NaN");
        assert_eq!(err(Options { batch: 0, ..o }), "--batch must be at least 1");
        assert_eq!(
            err(Options { batch: 101, sampling: Sampling::Shuffled, ..o }),
            "--batch 101 exceeds the 100 training points, which shuffled epochs draw without replacement"
        );
        assert!(Options { batch: 101, ..o }.validate(100).is_ok());
        assert_eq!(err(Options { record_every: 0, ..o }), "--record-every must be at least 1");
        assert!(err(Options { steps: 1 << 33, ..o }).ends_with("more than a random stream's 17179869184"));
    }
}
