//! Seed 003's Hessian-based PAC-Bayes bound (sec. 6, App. H): the
//! posterior of Assumption 2, the KL divergence to the prior and its two
//! scale-invariant terms (Theorem 4, eq. (51)), the Langford–Seeger kl
//! inversion that turns (51) into a bound on the error, the Gibbs
//! classifier's errors, and Corollary 3's α-scaling.
//!
//! With prior N(θ₀, diag σ_j²) and posterior Q_θ = N(θ, diag 1/ν_j),
//! ν_j = max(H_f[j, j], 1/σ_j²) (Assumption 2),
//!
//!   2 KL(Q_θ‖P) = Σ_j [1/(σ_j²ν_j) − 1] + Σ_j (θ_j − θ₀_j)²/σ_j² + Σ_j ln(σ_j²ν_j)
//!               = dropped + WN + EC,
//!
//! where only the d̃ sharp coordinates (H_jj > 1/σ_j²) enter EC = Σ ln(H_jj σ_j²)
//! and `dropped` = Σ (1/(H_jj σ_j²) − 1) ≤ 0, which (51) leaves out (App. H,
//! eq. (106); docs/seed003-slips.md S22).

use super::data::Dataset;
use super::mlp::Mlp;
use crate::rng::{self, Stream};

/// Where the prior is centred: the paper's 0 (sec. 6, "θ₀ = 0"), or the
/// run's own θ₀ (legitimate: drawn independently of S; the reading its text
/// describes, docs/seed003-slips.md S24).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PriorMean {
    #[default]
    Zero,
    Init,
}

/// The prior N(mean, diag sd²).
#[derive(Clone, Copy, Debug)]
pub struct Prior<'a> {
    pub mean: &'a [f64],
    pub sd: &'a [f64],
}

/// The terms of 2 KL(Q_θ‖P) (eq. (106)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Terms {
    /// d̃: the coordinates whose H_jj exceeds the prior precision 1/σ_j².
    pub sharp: usize,
    /// EC = Σ_sharp ln(H_jj σ_j²) ≥ 0, (51)'s effective curvature.
    pub effective_curvature: f64,
    /// WN = Σ_j (θ_j − θ₀_j)²/σ_j², (51)'s precision-weighted norm.
    pub weighted_norm: f64,
    /// Σ_sharp (1/(H_jj σ_j²) − 1) ≤ 0, the part of 2 KL that (51) drops.
    pub dropped: f64,
    /// KL(Q_θ‖P) = ½(EC + WN + dropped), exactly.
    pub kl: f64,
}

/// The posterior precisions ν_j = max(H_jj, 1/σ_j²) (Assumption 2).
pub fn precision(diagonal: &[f64], prior: Prior) -> Vec<f64> {
    diagonal.iter().zip(prior.sd).map(|(&h, &s)| h.max(1.0 / (s * s))).collect()
}

impl Terms {
    /// The terms at θ with Hessian diagonal `diagonal`.
    pub fn new(theta: &[f64], diagonal: &[f64], prior: Prior) -> Self {
        let (mut sharp, mut ec, mut wn, mut dropped) = (0, 0.0, 0.0, 0.0);
        for j in 0..theta.len() {
            let s2 = prior.sd[j] * prior.sd[j];
            let d = theta[j] - prior.mean[j];
            wn += d * d / s2;
            let hs = diagonal[j] * s2;
            if hs > 1.0 {
                sharp += 1;
                ec += hs.ln();
                dropped += 1.0 / hs - 1.0;
            }
        }
        Terms { sharp, effective_curvature: ec, weighted_norm: wn, dropped, kl: 0.5 * (ec + wn + dropped) }
    }

    /// The right side of (51): (EC + WN)/(2n) + ln((n + 1)/δ)/n.
    pub fn bound_51(&self, n: usize, delta: f64) -> f64 {
        (self.effective_curvature + self.weighted_norm) / (2.0 * n as f64) + confidence(n, delta)
    }

    /// The same bound with the exact KL: (KL + ln((n + 1)/δ))/n, which
    /// (51) relaxes (`dropped` ≤ 0).
    pub fn bound_kl(&self, n: usize, delta: f64) -> f64 {
        self.kl / n as f64 + confidence(n, delta)
    }
}

/// ln((n + 1)/δ)/n, the confidence term of Langford–Seeger's bound.
fn confidence(n: usize, delta: f64) -> f64 {
    ((n as f64 + 1.0) / delta).ln() / n as f64
}

/// kl(q‖p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)) between Bernoulli
/// laws (0 ln 0 = 0).
pub fn kl_bernoulli(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| if a == 0.0 { 0.0 } else { a * (a / b).ln() };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

/// sup{e ∈ [q, 1] : kl(q‖e) ≤ c}: the largest error the kl bound allows
/// given the empirical error q (by bisection; kl(q‖·) increases on [q, 1]).
pub fn kl_upper(q: f64, c: f64) -> f64 {
    let (mut lo, mut hi) = (q, 1.0);
    if kl_bernoulli(q, hi) <= c {
        return 1.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if kl_bernoulli(q, mid) <= c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The Gibbs classifier's 0–1 error on each set, by `draws` draws
/// θ′ = θ + z/√ν from Q_θ (draw k's coordinate j is normal `k·p + j` of
/// (seed, run, [`Stream::Posterior`])): each set's error averaged over the
/// same draws.
pub fn gibbs_errors(mlp: &Mlp, theta: &[f64], nu: &[f64], sets: &[&Dataset], draws: u64, key: (u64, u64)) -> Vec<f64> {
    let p = theta.len() as u64;
    let mut errors = vec![0.0; sets.len()];
    let mut draw = vec![0.0; theta.len()];
    for k in 0..draws {
        for (j, d) in draw.iter_mut().enumerate() {
            let z = rng::normal(key.0, key.1, Stream::Posterior, k * p + j as u64);
            *d = theta[j] + z / nu[j].sqrt();
        }
        for (e, set) in errors.iter_mut().zip(sets) {
            *e += 1.0 - mlp.evaluate(&draw, set).accuracy;
        }
    }
    errors.iter().map(|e| e / draws as f64).collect()
}

/// Corollary 3's α-scaling as the diagonal A = diag(a_j) of T_α(θ) = Aθ:
/// layer h's weights scale by α_h and its biases by α_1⋯α_h, which leaves
/// the network's function unchanged when α_1⋯α_L = 1 (relu(cz) = c·relu(z)
/// for c > 0). Scaling the biases by α_h alone, as Definition 1 reads,
/// changes it (docs/seed003-slips.md S25).
pub fn alpha_scaling(mlp: &Mlp, alphas: &[f64]) -> Vec<f64> {
    assert_eq!(alphas.len(), mlp.layers().len(), "one α per layer");
    let mut a = vec![0.0; mlp.params()];
    let mut product = 1.0;
    for (layer, &alpha) in mlp.layers().iter().zip(alphas) {
        product *= alpha;
        a[layer.weights..layer.biases].fill(alpha);
        a[layer.biases..layer.biases + layer.outputs].fill(product);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::curvature::{Curvature, Head};
    use crate::network::gauss_k::GaussK;
    use crate::network::mlp::Init;

    fn normal(stream_key: u64, e: u64) -> f64 {
        rng::normal(41, stream_key, Stream::Features, e)
    }

    #[test]
    fn kl_equals_a_monte_carlo_kl_and_splits_into_its_terms() {
        // KL(Q‖P) = E_Q[ln q(x) − ln p(x)], estimated from 2·10⁵ draws of Q,
        // against ½(EC + WN + dropped). p = 12 coordinates, 5 of them sharp
        // (H_jj σ_j² between 2 and 40), σ_j and θ₀ varying.
        let p = 12usize;
        let theta: Vec<f64> = (0..p).map(|j| normal(0, j as u64)).collect();
        let mean: Vec<f64> = (0..p).map(|j| 0.5 * normal(1, j as u64)).collect();
        let sd: Vec<f64> = (0..p).map(|j| 0.5 + 0.1 * j as f64).collect();
        let diag: Vec<f64> = (0..p)
            .map(|j| {
                let s2 = sd[j] * sd[j];
                if j % 2 == 0 && j < 10 {
                    (2.0 + 9.5 * j as f64) / s2
                } else {
                    0.3 / s2 * normal(2, j as u64).abs()
                }
            })
            .collect();
        let prior = Prior { mean: &mean, sd: &sd };
        let t = Terms::new(&theta, &diag, prior);
        assert_eq!(t.sharp, 5);
        assert!(t.dropped < 0.0 && t.effective_curvature > 0.0);
        let nu = precision(&diag, prior);
        let draws = 200_000u64;
        let (mut sum, mut sum2) = (0.0, 0.0);
        for k in 0..draws {
            let mut log_ratio = 0.0;
            for j in 0..p {
                let z = normal(3 + k, j as u64);
                let x = theta[j] + z / nu[j].sqrt();
                let s2 = sd[j] * sd[j];
                // ln q(x) − ln p(x) per coordinate (the 2π's cancel).
                log_ratio += 0.5 * (nu[j] * s2).ln() - 0.5 * z * z + 0.5 * (x - mean[j]).powi(2) / s2;
            }
            sum += log_ratio;
            sum2 += log_ratio * log_ratio;
        }
        let m = sum / draws as f64;
        let se = ((sum2 / draws as f64 - m * m) / draws as f64).sqrt();
        assert!((m - t.kl).abs() < 5.0 * se, "Monte Carlo KL {m} ± {se} vs {}", t.kl);
        // (51)'s relaxation is above the exact-KL bound by −dropped/(2n).
        let gap = t.bound_51(100, 0.05) - t.bound_kl(100, 0.05);
        assert!((gap + t.dropped / 200.0).abs() < 1e-12);
    }

    #[test]
    fn kl_inversion() {
        // kl(0‖e) = −ln(1 − e), so the bound at zero error is 1 − e^{−c}.
        for c in [0.01, 0.5, 5.8] {
            assert!((kl_upper(0.0, c) - (1.0 - (-c).exp())).abs() < 1e-12);
        }
        for (q, c) in [(0.1, 0.05), (0.3, 0.2), (0.02, 1e-3)] {
            let e = kl_upper(q, c);
            assert!(e > q && (kl_bernoulli(q, e) - c).abs() < 1e-10, "q {q} c {c}: e {e}");
        }
        assert_eq!(kl_upper(1.0, 0.1), 1.0);
        assert!((kl_upper(0.5, 10.0) - (1.0 - 0.25 * (-20.0f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn gibbs_error_of_a_sharp_posterior_is_the_networks() {
        let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.0) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        // θ after 300 full-batch gradient steps (η = 0.1) from He's init.
        let mut theta = mlp.init(Init::He, 2, 0);
        let all: Vec<usize> = (0..data.train.len()).collect();
        let mut g = vec![0.0; theta.len()];
        for _ in 0..300 {
            mlp.loss_grad(&theta, &data.train, &all, &mut g);
            theta.iter_mut().zip(&g).for_each(|(t, g)| *t -= 0.1 * g);
        }
        let exact = 1.0 - mlp.evaluate(&theta, &data.train).accuracy;
        let sharp = vec![1e30; theta.len()];
        assert_eq!(gibbs_errors(&mlp, &theta, &sharp, &[&data.train], 3, (1, 0)), vec![exact]);
        // A flat posterior (ν = 1, σ = 1 as the paper's prior) moves θ by
        // as much as θ₀'s own spread: the error is no longer the network's.
        let flat = vec![1.0; theta.len()];
        let e = gibbs_errors(&mlp, &theta, &flat, &[&data.train], 20, (1, 0))[0];
        assert!(exact < 0.1 && e > exact + 0.3, "flat posterior error {e} vs {exact}");
    }

    #[test]
    fn alpha_scaling_keeps_the_function_and_the_kl_not_the_hessian() {
        // Corollary 3 (docs/seed003-slips.md S25): with α = (2, 0.25, 2)
        // (product 1), weights by α_h and biases by α_1⋯α_h, the loss is the
        // same, H_jj → H_jj/a_j², θ_j → a_jθ_j; with the prior pushed forward
        // (mean a_jθ₀_j, sd a_jσ) EC, WN and KL are unchanged; with the prior
        // kept at N(θ₀, σ²I) they change, and so does the function if the
        // biases scale by α_h alone.
        let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.0) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        let p = mlp.params();
        let theta = mlp.init(Init::Normal, 4, 1);
        let all: Vec<usize> = (0..data.train.len()).collect();
        let a = alpha_scaling(&mlp, &[2.0, 0.25, 2.0]);
        let scaled: Vec<f64> = theta.iter().zip(&a).map(|(t, a)| t * a).collect();
        let (before, after) = (mlp.evaluate(&theta, &data.train), mlp.evaluate(&scaled, &data.train));
        assert!((before.loss - after.loss).abs() < 1e-12 * before.loss, "{before:?} vs {after:?}");
        assert_eq!(before.accuracy, after.accuracy);
        let diag = Curvature::new(&mlp, &theta, &data.train, &all, Head::Loss).diagonal();
        let diag_scaled = Curvature::new(&mlp, &scaled, &data.train, &all, Head::Loss).diagonal();
        for j in 0..p {
            let want = diag[j] / (a[j] * a[j]);
            assert!((diag_scaled[j] - want).abs() <= 1e-9 * want.abs().max(1e-12), "H_{j}{j}");
        }
        let (centre, sd) = (vec![0.1; p], vec![0.7; p]);
        let t = Terms::new(&theta, &diag, Prior { mean: &centre, sd: &sd });
        assert!(t.sharp > 0 && t.sharp < p, "some coordinates sharp, some flat: {}", t.sharp);
        let pushed_mean: Vec<f64> = centre.iter().zip(&a).map(|(m, a)| m * a).collect();
        let pushed_sd: Vec<f64> = sd.iter().zip(&a).map(|(s, a)| s * a).collect();
        let pushed = Terms::new(&scaled, &diag_scaled, Prior { mean: &pushed_mean, sd: &pushed_sd });
        assert_eq!(pushed.sharp, t.sharp);
        for (x, y) in [
            (pushed.effective_curvature, t.effective_curvature),
            (pushed.weighted_norm, t.weighted_norm),
            (pushed.kl, t.kl),
        ] {
            assert!((x - y).abs() < 1e-9 * y, "{x} vs {y}");
        }
        let fixed = Terms::new(&scaled, &diag_scaled, Prior { mean: &centre, sd: &sd });
        assert!((fixed.kl - t.kl).abs() > 0.01 * t.kl, "a fixed prior changes KL: {} vs {}", fixed.kl, t.kl);
        let mut literal = scaled.clone();
        for (layer, alpha) in mlp.layers().iter().zip([2.0, 0.25, 2.0]) {
            (layer.biases..layer.biases + layer.outputs).for_each(|j| literal[j] = theta[j] * alpha);
        }
        let changed = mlp.evaluate(&literal, &data.train).loss;
        assert!((changed - before.loss).abs() > 1e-6 * before.loss, "biases by α_h alone change the function");
    }
}
