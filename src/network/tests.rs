//! Tests across the network modules: training against plain SGD written on
//! the one-network API, the records, divergence, the batch gradient's
//! covariance, and the paper's Gauss-10 settings.

use super::data::Data;
use super::gauss_k::GaussK;
use super::mlp::Mlp;
use super::options::{Metric, Options, Sampling, TestMetric};
use super::sampler::Sampler;
use super::train::{Build, Study};

fn gauss10(noise: f64, test_points: usize) -> (Mlp, Data) {
    (Mlp::paper(10).unwrap(), GaussK { test_points, ..GaussK::paper(10, noise) }.generate().unwrap())
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

/// SGD written plainly on the one-network API: θ₀, batches from
/// [`Sampler`], θ ← θ − η g; per step (f(θ_t), ‖g_t‖, cos(g_t, g_{t−1}),
/// Δ_t) and θ_T.
fn plain(mlp: &Mlp, data: &Data, o: &Options, run: u64) -> (Vec<[f64; 4]>, Vec<f64>) {
    let mut theta = mlp.init(o.init, o.seed, run);
    let mut sampler = Sampler::new(o, data.train.len());
    let (mut g, mut prev) = (vec![0.0; mlp.params()], vec![0.0; mlp.params()]);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).fold(0.0, |s: f64, (x, y)| x.mul_add(*y, s));
    let mut rows = Vec::new();
    for t in 0..=o.steps {
        let f = mlp.evaluate(&theta, &data.train).loss;
        mlp.loss_grad(&theta, &data.train, &sampler.batch(run, t), &mut g);
        let next: Vec<f64> = theta.iter().zip(&g).map(|(th, g)| (-o.eta).mul_add(*g, *th)).collect();
        let cos = if t == 0 { f64::NAN } else { dot(&g, &prev) / (dot(&g, &g) * dot(&prev, &prev)).sqrt() };
        rows.push([f, dot(&g, &g).sqrt(), cos, mlp.evaluate(&next, &data.train).loss - f]);
        if t < o.steps {
            theta = next;
        }
        std::mem::swap(&mut g, &mut prev);
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
                let metrics = [Metric::TrainLoss, Metric::GradNorm, Metric::Cos, Metric::Delta];
                let got = metrics.map(|m| whole.values(m, k)[run as usize]);
                assert_eq!(got.map(f64::to_bits), row.map(f64::to_bits), "run {run} step {k}: {got:?} {row:?}");
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

/// Every build of the loop this processor runs (AVX-512's eight runs a
/// block, AVX2's four, the portable four) gives the same trace, bit for bit,
/// test-set evaluations included, for a run count that leaves a partial
/// block in each.
#[test]
fn every_build_gives_the_same_bits() {
    let (mlp, data) = gauss10(0.15, 300);
    let o = Options { record_every: 3, record_all_until: 4, test_every: 5, ..Options::paper(0.1, 15) };
    let study = Study::new(&mlp, &data, o).unwrap();
    let traces: Vec<_> = Build::available()
        .into_iter()
        .map(|build| (build, pool(2).install(|| study.run_on(build, 2..13, &|_| {}).unwrap())))
        .collect();
    let (best, reference) = &traces[0];
    assert_eq!(reference.steps, [0, 1, 2, 3, 4, 6, 9, 12, 15]);
    for (build, trace) in &traces[1..] {
        for (k, _) in reference.steps.iter().enumerate() {
            for m in Metric::ALL {
                let (a, b) = (reference.values(m, k), trace.values(m, k));
                assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{best:?} vs {build:?}: {m:?}");
            }
        }
        for (k, _) in reference.test_steps.iter().enumerate() {
            for m in TestMetric::ALL {
                assert_eq!(reference.test_values(m, k), trace.test_values(m, k), "{best:?} vs {build:?}: {m:?}");
            }
        }
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
    // η = 1e30: θ grows by ~30 orders of magnitude a step until f64 overflows.
    let (mlp, data) = gauss10(0.0, 200);
    let o = Options { record_every: 1, test_every: 1, ..Options::paper(1e30, 12) };
    let trace = Study::new(&mlp, &data, o).unwrap().run(0..12, &|_| {}).unwrap();
    assert_eq!(trace.diverged(), 12);
    let at: Vec<u64> = trace.diverged_at.iter().map(|a| a.unwrap()).collect();
    assert!(at.iter().all(|&a| a >= 1) && at.iter().any(|&a| a >= 2), "{at:?}");
    for (r, &at) in at.iter().enumerate() {
        for (k, &t) in trace.steps.iter().enumerate() {
            for m in [Metric::TrainLoss, Metric::GradNorm, Metric::Delta] {
                let v = trace.values(m, k)[r];
                assert!(if t < at { v.is_finite() } else { v.is_nan() }, "run {r} step {t}: {m:?} {v}");
            }
            let test = trace.test_values(TestMetric::TestLoss, k)[r];
            assert!(if t < at { test.is_finite() } else { test.is_nan() }, "run {r} step {t}: {test}");
        }
    }
}

/// Sample mean and covariance of draws of K values, with standard errors
/// estimated from the draws themselves.
struct Moments<const K: usize> {
    mean: [f64; K],
    cov: [[f64; K]; K],
    se_mean: [f64; K],
    se_cov: [[f64; K]; K],
}

fn moments<const K: usize>(a: &[[f64; K]]) -> Moments<K> {
    let n = a.len() as f64;
    let mean: [f64; K] = std::array::from_fn(|i| a.iter().map(|r| r[i]).sum::<f64>() / n);
    let prod = |r: &[f64; K], i: usize, j: usize| (r[i] - mean[i]) * (r[j] - mean[j]);
    let cov: [[f64; K]; K] =
        std::array::from_fn(|i| std::array::from_fn(|j| a.iter().map(|r| prod(r, i, j)).sum::<f64>() / n));
    let se_mean = std::array::from_fn(|i| (cov[i][i] / n).sqrt());
    let se_cov = std::array::from_fn(|i| {
        std::array::from_fn(|j| (a.iter().map(|r| (prod(r, i, j) - cov[i][j]).powi(2)).sum::<f64>() / n / n).sqrt())
    });
    Moments { mean, cov, se_mean, se_cov }
}

#[test]
fn batch_gradients_with_replacement_have_covariance_sigma_over_m() {
    // θ mid-training on noisy labels: per-sample gradients differ widely.
    let (mlp, data) = gauss10(0.15, 0);
    let o = Options::paper(0.1, 30);
    let theta = Study::new(&mlp, &data, o).unwrap().replay(0, 30);
    let (n, p) = (data.train.len(), mlp.params());
    let per_sample: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let mut g = vec![0.0; p];
            mlp.loss_grad(&theta, &data.train, &[j], &mut g);
            g
        })
        .collect();
    let mean: Vec<f64> = (0..p).map(|q| per_sample.iter().map(|g| g[q]).sum::<f64>() / n as f64).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let unit = |v: Vec<f64>| {
        let norm = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / norm).collect::<Vec<f64>>()
    };
    // Directions: the mean gradient, one sample's deviation, a random one.
    let dirs = [
        unit(mean.clone()),
        unit(per_sample[7].iter().zip(&mean).map(|(g, m)| g - m).collect()),
        unit((0..p as u64).map(|q| crate::rng::normal(5, 0, crate::rng::Stream::Init, q)).collect()),
    ];
    // Σ/m projected: u_iᵀ Σ u_j / m, with Σ = (1/n) Σ_j (g_j − ḡ)(g_j − ḡ)ᵀ.
    let dev: Vec<[f64; 3]> =
        per_sample.iter().map(|g| std::array::from_fn(|i| dot(&dirs[i], g) - dot(&dirs[i], &mean))).collect();
    let m = o.batch as f64;
    let want: [[f64; 3]; 3] =
        std::array::from_fn(|i| std::array::from_fn(|j| dev.iter().map(|d| d[i] * d[j]).sum::<f64>() / n as f64 / m));
    let trace_sigma =
        per_sample.iter().map(|g| g.iter().zip(&mean).map(|(x, y)| (x - y).powi(2)).sum::<f64>()).sum::<f64>()
            / n as f64;
    // 20 000 batches of the sampler, each through the analytic batch gradient.
    let mut sampler = Sampler::new(&o, n);
    let mut draws = Vec::new();
    let mut spread = Vec::new();
    let mut g = vec![0.0; p];
    for run in 0..400 {
        for t in 0..50 {
            mlp.loss_grad(&theta, &data.train, &sampler.batch(run, t), &mut g);
            draws.push(std::array::from_fn::<f64, 3, _>(|i| dot(&dirs[i], &g)));
            spread.push([g.iter().zip(&mean).map(|(x, y)| (x - y).powi(2)).sum::<f64>()]);
        }
    }
    let got = moments(&draws);
    for i in 0..3 {
        let z = (got.mean[i] - dot(&dirs[i], &mean)) / got.se_mean[i];
        assert!(z.abs() < 4.0, "mean along {i}: z = {z}");
        for j in 0..3 {
            let z = (got.cov[i][j] - want[i][j]) / got.se_cov[i][j];
            assert!(z.abs() < 4.0, "cov {i} {j}: {} vs {} (z = {z})", got.cov[i][j], want[i][j]);
        }
    }
    // The whole covariance's trace: E‖g_B − ḡ‖² = tr Σ / m.
    let spread = moments(&spread);
    let z = (spread.mean[0] - trace_sigma / m) / spread.se_mean[0];
    assert!(z.abs() < 4.0, "trace: {} vs {} (z = {z})", spread.mean[0], trace_sigma / m);
    // Not vacuous: a batch of 1 would be 5 times as spread.
    assert!((spread.mean[0] - trace_sigma).abs() / spread.se_mean[0] > 100.0);
}

/// The median of the finite values.
fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn gauss10_converges_with_clean_labels_and_not_with_noisy_ones() {
    // The paper's Gauss-10 settings at T = 400 (sec. 5, Fig. 8), 200 runs.
    let o = Options { record_every: 100, ..Options::paper(0.1, 400) };
    let mut medians = Vec::new();
    for noise in [0.0, 0.15] {
        let (mlp, data) = gauss10(noise, 0);
        let trace = Study::new(&mlp, &data, o).unwrap().run(0..200, &|_| {}).unwrap();
        assert_eq!((trace.steps.len(), trace.diverged()), (5, 0));
        medians.push(median(trace.values(Metric::TrainLoss, 4)));
        assert!(median(trace.values(Metric::TrainLoss, 0)) > 20.0, "N(0, I) starts far off");
    }
    // Measured: 1.5e-3 clean, 0.74 noisy (12 of 15 relabelled points changed).
    assert!(medians[0] < 0.01, "{medians:?}");
    assert!(medians[1] > 0.3, "{medians:?}");
}
