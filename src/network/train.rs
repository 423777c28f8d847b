//! Many SGD runs of one network on one data set (seed 003, sec. 5 and
//! App. A.1: "10,000 different runs"), recorded per run for distributions
//! over runs.
//!
//! [`Study::run`] trains a range of runs in blocks of runs side by side on
//! the current rayon pool (a caller installs its own with
//! `ThreadPool::install`) and returns their [`Trace`]. The loop's [`Build`]
//! is chosen at run time: eight runs a block in AVX-512 registers, four in
//! AVX2's, or four portably. Run r's numbers depend only on (options, data,
//! r): the same on any thread count, chunking, build or processor (fused
//! multiply-adds are exactly rounded everywhere, and lanes never mix).

use super::block::{self, BlockOut, Job};
use super::data::Data;
use super::kernel::{self, Lane};
use super::mlp::Mlp;
use super::options::{Metric, Options, TestMetric};
use super::simd::Reg;
#[cfg(target_arch = "x86_64")]
use super::simd::{Avx, Avx512};
use crate::error::{usage, Result};
use rayon::prelude::*;
use std::ops::Range;

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

    /// Trains runs `runs` (run indices below 2^32) on the best [`Build`],
    /// calling `progress` with the number of runs each finished block
    /// completes.
    pub fn run(&self, runs: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Result<Trace> {
        self.run_on(Build::best(), runs, progress)
    }

    /// [`Self::run`] on `build` (one of [`Build::available`]).
    pub fn run_on(&self, build: Build, runs: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Result<Trace> {
        if runs.end > 1 << 32 {
            return Err(usage(format!("run indices go up to 2^32, not {}", runs.end)));
        }
        assert!(Build::available().contains(&build), "{build:?} does not run on this processor");
        Ok(match build {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the processor has AVX-512F, AVX2 and FMA (asserted above).
            Build::Avx512 => {
                self.blocks::<8>(runs, progress, |job, run0, until| unsafe { run_avx512(job, run0, until) })
            }
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the processor has AVX2 and FMA (asserted above).
            Build::Avx2 => {
                self.blocks::<4>(runs, progress, |job, run0, until| unsafe { run_fma::<4, Avx>(job, run0, until) })
            }
            Build::Portable => self.blocks::<4>(runs, progress, block::run::<4, [f64; 4]>),
        })
    }

    /// Trains `runs` in blocks of L by `block`, gathered into one trace.
    fn blocks<const L: usize>(
        &self,
        runs: Range<u64>,
        progress: &(dyn Fn(u64) + Sync),
        block: impl Fn(&Job, u64, u64) -> BlockOut<L> + Sync,
    ) -> Trace {
        let job = self.job(true);
        let steps = self.options.steps;
        let blocks: Vec<BlockOut<L>> = (runs.start..runs.end)
            .step_by(L)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|run0| {
                let out = block(&job, run0, steps);
                progress((runs.end - run0).min(L as u64));
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
            let lanes = (n - b * L).min(L);
            let scatter = |from: &[Lane<L>], to: &mut [f64]| {
                for (row, v) in from.iter().enumerate() {
                    to[row * n + b * L..][..lanes].copy_from_slice(&v[..lanes]);
                }
            };
            scatter(&out.values, &mut trace.values);
            scatter(&out.tests, &mut trace.tests);
            trace.diverged_at.extend_from_slice(&out.diverged_at[..lanes]);
        }
        trace
    }

    /// θ_t of run `run`, replayed (bit for bit the θ its training reached at
    /// step t): for snapshots at chosen steps, such as the runs at loss
    /// quantiles whose Δ distribution is drawn afresh (Figs. 9, 10).
    pub fn replay(&self, run: u64, step: u64) -> Vec<f64> {
        assert!(step <= self.options.steps && run < 1 << 32, "a step of the study and a 32-bit run");
        let job = self.job(false);
        let out = match Build::best() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: AVX-512 and AVX2 builds run where the processor has AVX2 and FMA.
            Build::Avx512 | Build::Avx2 => unsafe { run_fma::<1, [f64; 1]>(&job, run, step) },
            Build::Portable => block::run::<1, [f64; 1]>(&job, run, step),
        };
        out.theta.into_iter().map(|[t]| t).collect()
    }
}

/// A build of the training loop: how many runs go side by side in a block,
/// in which registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// Eight runs in AVX-512 registers (x86-64 with AVX-512F, AVX2, FMA).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// Four runs in AVX2 registers (x86-64 with AVX2 and FMA).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Four runs in `[f64; 4]`, on any processor.
    Portable,
}

impl Build {
    /// The builds this processor runs, widest first.
    pub fn available() -> Vec<Build> {
        let mut builds = Vec::new();
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            if std::is_x86_feature_detected!("avx512f") {
                builds.push(Build::Avx512);
            }
            builds.push(Build::Avx2);
        }
        builds.push(Build::Portable);
        builds
    }

    /// The widest build this processor runs.
    pub fn best() -> Build {
        Build::available()[0]
    }
}

/// [`block::run`] compiled for AVX2 and FMA (everything below it is inlined).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_fma<const L: usize, R: Reg<L>>(job: &Job, run0: u64, until: u64) -> BlockOut<L> {
    block::run::<L, R>(job, run0, until)
}

/// [`block::run`] of eight runs compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn run_avx512(job: &Job, run0: u64, until: u64) -> BlockOut<8> {
    block::run::<8, Avx512>(job, run0, until)
}
