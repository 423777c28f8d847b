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

#[cfg(test)]
mod tests {
    use super::super::gauss_k::GaussK;
    use super::super::options::Sampling;
    use super::super::sampler::Sampler;
    use super::*;

    fn gauss10(noise: f64, test_points: usize) -> (Mlp, Data) {
        (Mlp::paper(10).unwrap(), GaussK { test_points, ..GaussK::paper(10, noise) }.generate().unwrap())
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// SGD written plainly on the one-network API: θ₀, batches from
    /// [`Sampler`], θ ← θ − η g; per step (f(θ_t), ‖g_t‖, Δ_t) and θ_T.
    fn plain(mlp: &Mlp, data: &Data, o: &Options, run: u64) -> (Vec<[f64; 3]>, Vec<f64>) {
        let mut theta = mlp.init(o.init, o.seed, run);
        let mut sampler = Sampler::new(o, data.train.len());
        let mut g = vec![0.0; mlp.params()];
        let mut rows = Vec::new();
        for t in 0..=o.steps {
            let f = mlp.evaluate(&theta, &data.train).loss;
            mlp.loss_grad(&theta, &data.train, &sampler.batch(run, t), &mut g);
            let next: Vec<f64> = theta.iter().zip(&g).map(|(th, g)| (-o.eta).mul_add(*g, *th)).collect();
            let norm = g.iter().fold(0.0, |a: f64, g| g.mul_add(*g, a)).sqrt();
            rows.push([f, norm, mlp.evaluate(&next, &data.train).loss - f]);
            if t < o.steps {
                theta = next;
            }
        }
        (rows, theta)
    }

    #[test]
    fn runs_equal_plain_sgd_bit_for_bit_on_any_threads_and_chunks() {
        let (mlp, data) = gauss10(0.15, 500);
        for sampling in [Sampling::Replacement, Sampling::Shuffled] {
            let o = Options { record_every: 1, test_every: 4, sampling, batch: 7, ..Options::paper(0.1, 12) };
            let study = Study::new(&mlp, &data, o).unwrap();
            let whole = pool(2).install(|| study.run(0..9, &|_| {}).unwrap());
            let part = pool(1).install(|| study.run(3..6, &|_| {}).unwrap());
            for (k, _) in whole.steps.iter().enumerate() {
                for m in Metric::ALL {
                    let (a, b) = (&whole.values(m, k)[3..6], part.values(m, k));
                    assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{m:?} {a:?} {b:?}");
                }
            }
            for run in [0, 4, 8] {
                let (rows, theta) = plain(&mlp, &data, &o, run);
                for (k, row) in rows.iter().enumerate() {
                    let got =
                        [Metric::TrainLoss, Metric::GradNorm, Metric::Delta].map(|m| whole.values(m, k)[run as usize]);
                    assert_eq!(got, *row, "run {run} step {k}");
                }
                assert_eq!(study.replay(run, o.steps), theta);
                let test = &data.test.as_ref().unwrap();
                for (k, &t) in whole.test_steps.iter().enumerate() {
                    let at = study.replay(run, t);
                    let (clean, noisy) = (mlp.evaluate(&at, &test.clean), mlp.evaluate(&at, &test.noisy));
                    let got = TestMetric::ALL.map(|m| whole.test_values(m, k)[run as usize]);
                    assert_eq!(got, [clean.loss, clean.accuracy, noisy.loss, noisy.accuracy]);
                }
            }
            assert_eq!(whole.test_steps, [0, 4, 8, 12]);
        }
    }

    #[test]
    fn records_are_consistent() {
        let (mlp, data) = gauss10(0.0, 0);
        let o = Options { record_every: 1, ..Options::paper(0.1, 30) };
        let trace = Study::new(&mlp, &data, o).unwrap().run(0..8, &|_| {}).unwrap();
        assert!(trace.test_steps.is_empty() && trace.diverged() == 0);
        for k in 0..30 {
            let (f, next, delta) = (
                trace.values(Metric::TrainLoss, k),
                trace.values(Metric::TrainLoss, k + 1),
                trace.values(Metric::Delta, k),
            );
            for r in 0..8 {
                // Δ_t is f(θ_{t+1}) − f(θ_t), the next record's loss.
                assert_eq!(delta[r], next[r] - f[r]);
            }
            let cos = trace.values(Metric::Cos, k);
            assert!(cos.iter().all(|c| if k == 0 { c.is_nan() } else { c.abs() <= 1.0 }), "{cos:?}");
            let accuracy = trace.values(Metric::TrainAccuracy, k);
            assert!(accuracy.iter().all(|a| (0.0..=1.0).contains(a) && (a * 100.0 - (a * 100.0).round()).abs() < 1e-9));
        }
    }

    #[test]
    fn exploding_runs_are_marked_diverged_and_never_valued() {
        let data = GaussK { standardize: false, test_points: 0, ..GaussK::paper(10, 0.0) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        let o = Options { record_every: 5, ..Options::paper(1e200, 20) };
        let trace = Study::new(&mlp, &data, o).unwrap().run(0..12, &|_| {}).unwrap();
        assert_eq!(trace.diverged(), 12);
        for (r, at) in trace.diverged_at.iter().enumerate() {
            let at = at.unwrap();
            for (k, &t) in trace.steps.iter().enumerate() {
                let v = trace.values(Metric::TrainLoss, k)[r];
                assert_eq!(v.is_nan(), t >= at, "run {r} step {t}: {v}");
                assert!(v.is_nan() || v.is_finite());
            }
        }
    }
}
