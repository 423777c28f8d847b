//! Many SGD runs of one network on one data set (seed 003, sec. 5 and
//! App. A.1: "10,000 different runs"), recorded per run for distributions
//! over runs.
//!
//! [`Study::run`] trains a range of runs in blocks of [`LANES`] on the
//! current rayon pool (a caller installs its own with
//! `ThreadPool::install`) and returns their [`Trace`]. Run r's numbers
//! depend only on (options, data, r): the same on any thread count, chunking
//! or processor (fused multiply-adds are exactly rounded everywhere; an
//! AVX2+FMA build of the loop is chosen at run time where the processor has
//! it).

use super::block::{self, BlockOut, Job};
use super::data::Data;
use super::kernel::{self, Lane};
use super::mlp::Mlp;
use super::options::{Metric, Options, TestMetric};
use super::simd::Reg;
use crate::error::{usage, Result};
use rayon::prelude::*;
use std::ops::Range;

/// Runs trained side by side in one block (one AVX vector of four f64 per value).
pub const LANES: usize = 4;

/// A validated study: the network, the data and the options.
pub struct Study<'a> {
    mlp: &'a Mlp,
    data: &'a Data,
    /// The training and test sets' features, tiled for the kernels.
    train_x: Vec<f64>,
    test_x: Vec<f64>,
    options: Options,
    records: Vec<u64>,
    tests: Vec<u64>,
}

/// Per-run values of a range of runs at the recorded steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The runs, in order.
    pub runs: Range<u64>,
    /// The recorded steps ([`Options::record_steps`]).
    pub steps: Vec<u64>,
    /// The test steps ([`Options::test_steps`]; none without a test set).
    pub test_steps: Vec<u64>,
    /// `values[(m * steps + k) * runs + r]`: metric m at record k of run r.
    values: Vec<f64>,
    /// `tests[(m * test_steps + k) * runs + r]`.
    tests: Vec<f64>,
    /// Per run, the first recorded step whose f(θ_t), ‖g_t‖ or f(θ_{t+1})
    /// (or a test step's test loss) is not finite: a diverged run. Its values
    /// from that record on are NaN: count such runs, never average them.
    pub diverged_at: Vec<Option<u64>>,
}

impl Trace {
    /// The runs' values of `metric` at record `k` (`steps[k]`), in run order.
    pub fn values(&self, metric: Metric, k: usize) -> &[f64] {
        let n = self.diverged_at.len();
        let at = (metric as usize * self.steps.len() + k) * n;
        &self.values[at..at + n]
    }

    /// The runs' values of `metric` at test step `k` (`test_steps[k]`).
    pub fn test_values(&self, metric: TestMetric, k: usize) -> &[f64] {
        let n = self.diverged_at.len();
        let at = (metric as usize * self.test_steps.len() + k) * n;
        &self.tests[at..at + n]
    }

    /// How many runs diverged.
    pub fn diverged(&self) -> usize {
        self.diverged_at.iter().filter(|d| d.is_some()).count()
    }
}

#[cfg(feature = "gpu")]
impl Trace {
    /// A trace of runs trained elsewhere (the GPU backend,
    /// `crate::backend::gpu::network`), its values in this layout.
    pub(crate) fn from_parts(
        runs: Range<u64>,
        steps: Vec<u64>,
        test_steps: Vec<u64>,
        values: Vec<f64>,
        tests: Vec<f64>,
        diverged_at: Vec<Option<u64>>,
    ) -> Self {
        let n = diverged_at.len();
        debug_assert_eq!(
            (values.len(), tests.len(), n as u64),
            (Metric::ALL.len() * steps.len() * n, TestMetric::ALL.len() * test_steps.len() * n, runs.end - runs.start)
        );
        Trace { runs, steps, test_steps, values, tests, diverged_at }
    }
}

impl<'a> Study<'a> {
    /// A study of `mlp` on `data`; a usage error if the options are invalid
    /// for its n training points or the network does not fit the data.
    pub fn new(mlp: &'a Mlp, data: &'a Data, options: Options) -> Result<Self> {
        mlp.check(&data.train)?;
        options.validate(data.train.len())?;
        let tests = if data.test.is_some() { options.test_steps() } else { Vec::new() };
        let train_x = kernel::tiled(data.train.features(), data.train.dim());
        let test_x = data.test.as_ref().map_or(Vec::new(), |t| kernel::tiled(t.clean.features(), t.clean.dim()));
        Ok(Study { mlp, data, train_x, test_x, options, records: options.record_steps(), tests })
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    fn job(&self, record: bool) -> Job<'_> {
        let (records, tests): (&[u64], &[u64]) = if record { (&self.records, &self.tests) } else { (&[], &[]) };
        let (train_x, test_x) = (&self.train_x, &self.test_x);
        Job { mlp: self.mlp, data: self.data, train_x, test_x, options: &self.options, records, tests }
    }

    /// Trains runs `runs` (run indices below 2^32), calling `progress` with
    /// the number of runs each finished block completes.
    pub fn run(&self, runs: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Result<Trace> {
        if runs.end > 1 << 32 {
            return Err(usage(format!("run indices go up to 2^32, not {}", runs.end)));
        }
        let job = self.job(true);
        let steps = self.options.steps;
        let blocks: Vec<BlockOut<LANES>> = (runs.start..runs.end)
            .step_by(LANES)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|run0| {
                let out = dispatch::<LANES, Fast>(&job, run0, steps);
                progress((runs.end - run0).min(LANES as u64));
                out
            })
            .collect();
        let n = (runs.end - runs.start) as usize;
        let (nv, nt) = (Metric::ALL.len() * self.records.len(), TestMetric::ALL.len() * self.tests.len());
        let mut trace = Trace {
            runs: runs.clone(),
            steps: self.records.clone(),
            test_steps: self.tests.clone(),
            values: vec![0.0; nv * n],
            tests: vec![0.0; nt * n],
            diverged_at: Vec::with_capacity(n),
        };
        for (b, out) in blocks.iter().enumerate() {
            let lanes = (n - b * LANES).min(LANES);
            let scatter = |from: &[Lane<LANES>], to: &mut [f64]| {
                for (row, v) in from.iter().enumerate() {
                    to[row * n + b * LANES..][..lanes].copy_from_slice(&v[..lanes]);
                }
            };
            scatter(&out.values, &mut trace.values);
            scatter(&out.tests, &mut trace.tests);
            trace.diverged_at.extend_from_slice(&out.diverged_at[..lanes]);
        }
        Ok(trace)
    }

    /// θ_t of run `run`, replayed (bit for bit the θ its training reached at
    /// step t): for snapshots at chosen steps, such as the runs at loss
    /// quantiles whose Δ distribution is drawn afresh (Figs. 9, 10).
    pub fn replay(&self, run: u64, step: u64) -> Vec<f64> {
        assert!(step <= self.options.steps && run < 1 << 32, "a step of the study and a 32-bit run");
        dispatch::<1, [f64; 1]>(&self.job(false), run, step).theta.into_iter().map(|[t]| t).collect()
    }
}

/// The register type of a block of [`LANES`] in the AVX2+FMA build.
#[cfg(target_arch = "x86_64")]
type Fast = super::simd::Avx;
#[cfg(not(target_arch = "x86_64"))]
type Fast = [f64; LANES];

/// [`block::run`] on the best build for this processor: compiled for AVX2
/// and FMA with registers `R` where the processor has them, else portable
/// (`[f64; L]` registers).
fn dispatch<const L: usize, R: Reg<L>>(job: &Job, run0: u64, until: u64) -> BlockOut<L> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { run_fma::<L, R>(job, run0, until) };
    }
    block::run::<L, [f64; L]>(job, run0, until)
}

/// [`block::run`] compiled for AVX2 and FMA (everything below it is inlined).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_fma<const L: usize, R: Reg<L>>(job: &Job, run0: u64, until: u64) -> BlockOut<L> {
    block::run::<L, R>(job, run0, until)
}
