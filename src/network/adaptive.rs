//! Theorem 3's adaptive steps (seed 003, sec. 5.4, eqs. (35)–(36), App. G):
//! a step θ′ = θ − A v (v the batch gradient, A = diag(a_j)) has, when
//! ‖H‖₂ ≤ L,
//!
//! ```text
//! E[Δ | θ] ≤ B(A) = Σ_j (−a_j μ_j² + (L/2) a_j² M^(m)_jj),   M^(m) = μμᵀ + cΣ/m,
//! ```
//!
//! since vᵀAHAv ≤ L‖Av‖² and E v vᵀ = M^(m) (c = 1 with replacement,
//! (n − m)/(n − 1) without). With A = ηI this is Theorem 1's bound,
//! minimised by the scalar oracle η* = ‖μ‖²/(L Tr M^(m)) where it is
//! −‖μ‖⁴/(2L Tr M^(m)); coordinate by coordinate it is minimised by
//! a_j* = μ_j²/(L M^(m)_jj), where it is −Σ_j μ_j⁴/(2L M^(m)_jj). Both are
//! ≤ 0: the loss is a supermartingale while L bounds the curvature. The
//! paper builds (35)–(36) with M_t in place of M^(m) (safe, but smaller by
//! up to a factor m late in training; docs/seed003-slips.md S17, S18).

use super::curvature::{Curvature, Head};
use super::data::Dataset;
use super::mlp::Mlp;
use super::options::{Options, Sampling};
use super::sampler::Sampler;
use serde::Serialize;

/// Which adaptive step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// One step size for all coordinates, η_t = ‖μ_t‖²/(L Tr M_t^(m)) (35).
    Oracle,
    /// Per coordinate, a_j = μ_j²/(L M^(m)_jj) (36).
    Diagonal,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Oracle => "oracle",
            Rule::Diagonal => "diagonal",
        }
    }
}

/// μ and the diagonal of M^(m) at θ.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    pub mu: Vec<f64>,
    /// M^(m)_jj = μ_j² + c(M_jj − μ_j²)/m.
    pub batch_diagonal: Vec<f64>,
}

impl Moments {
    /// From the per-sample gradients `g` (p × n row-major, column i =
    /// ∇ℓ_i) for batches of m, drawn with replacement or not.
    pub fn new(g: &[f64], p: usize, n: usize, m: usize, sampling: Sampling) -> Self {
        let c = match sampling {
            Sampling::Shuffled if n > 1 => (n - m) as f64 / (n - 1) as f64,
            _ => 1.0,
        };
        let (mut mu, mut batch_diagonal) = (Vec::with_capacity(p), Vec::with_capacity(p));
        for row in g.chunks_exact(n).take(p) {
            let mean = row.iter().sum::<f64>() / n as f64;
            let second = row.iter().map(|x| x * x).sum::<f64>() / n as f64;
            mu.push(mean);
            batch_diagonal.push(mean * mean + c * (second - mean * mean).max(0.0) / m as f64);
        }
        Moments { mu, batch_diagonal }
    }

    /// The rule's a_j at smoothness L (0 where M^(m)_jj = 0, and everywhere
    /// at a stationary point of the oracle).
    pub fn rates(&self, rule: Rule, smoothness: f64) -> Vec<f64> {
        let ratio = |num: f64, den: f64| if den > 0.0 { num / (smoothness * den) } else { 0.0 };
        match rule {
            Rule::Oracle => {
                let eta = ratio(self.mu.iter().map(|x| x * x).sum(), self.batch_diagonal.iter().sum());
                vec![eta; self.mu.len()]
            }
            Rule::Diagonal => self.mu.iter().zip(&self.batch_diagonal).map(|(m, d)| ratio(m * m, *d)).collect(),
        }
    }

    /// B(A) = Σ_j (−a_j μ_j² + (L/2) a_j² M^(m)_jj): the bound on E[Δ | θ].
    pub fn bound(&self, rates: &[f64], smoothness: f64) -> f64 {
        self.mu
            .iter()
            .zip(&self.batch_diagonal)
            .zip(rates)
            .map(|((m, d), a)| -a * m * m + 0.5 * smoothness * a * a * d)
            .sum()
    }
}

/// Run `run` trained by `rule` at smoothness L for `options.steps` steps
/// from its θ₀, on the batches its SGD run draws (common random numbers);
/// `visit(t, θ_t, rates_t)` sees every θ_t, t = 0 … T (rates empty at T).
/// Each step costs n per-sample gradients.
pub fn train(
    mlp: &Mlp,
    data: &Dataset,
    options: &Options,
    (rule, smoothness): (Rule, f64),
    run: u64,
    mut visit: impl FnMut(u64, &[f64], &[f64]),
) {
    let (p, n) = (mlp.params(), data.len());
    let all: Vec<usize> = (0..n).collect();
    let mut sampler = Sampler::new(options, n);
    let mut theta = mlp.init(options.init, options.seed, run);
    let mut v = vec![0.0; p];
    for t in 0..options.steps {
        let g = Curvature::new(mlp, &theta, data, &all, Head::Loss).sample_gradients();
        let rates = Moments::new(&g, p, n, options.batch, options.sampling).rates(rule, smoothness);
        visit(t, &theta, &rates);
        mlp.loss_grad(&theta, data, &sampler.batch(run, t), &mut v);
        theta.iter_mut().zip(&rates).zip(&v).for_each(|((w, a), g)| *w -= a * g);
    }
    visit(options.steps, &theta, &[]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eigen;
    use crate::network::least_squares::LeastSquares;
    use crate::network::theorem1::Smooth;
    use crate::rng::{self, Stream};

    /// Least squares, n = 40 points of d = 6 features, noisy responses, at a
    /// θ away from the solution; with L = ‖H‖₂ = λ_max(XᵀX/n).
    fn setting() -> (LeastSquares, Vec<f64>, f64) {
        let (n, d) = (40, 6);
        let z = |e: usize| rng::normal(17, 0, Stream::Features, e as u64);
        let x: Vec<f64> = (0..n * d).map(z).collect();
        let y: Vec<f64> = (0..n).map(|i| x[i * d] - 0.5 * x[i * d + 1] + z(n * d + i)).collect();
        let ls = LeastSquares::new(x, y, d);
        let theta: Vec<f64> = (0..d).map(|j| 0.3 * z(2 * n * d + j)).collect();
        let l = eigen::spectral_norm(d, 1e-12, (1, 0), |v, out| ls.hvp(&theta, v, out)).unwrap();
        (ls, theta, l)
    }

    /// E[Δ | θ] for the step θ − A v exactly (f quadratic): −Σ a_j μ_j² +
    /// ½ E[vᵀAHAv] = −Σ a_jμ_j² + ½ Tr(AHA M^(m)), M^(m) = μμᵀ + Σ/m.
    fn exact_mean(ls: &LeastSquares, theta: &[f64], a: &[f64], m: usize) -> f64 {
        let (p, n) = (ls.dim(), ls.len());
        let g = ls.gradients(theta);
        let column = |i: usize| -> Vec<f64> { (0..p).map(|j| g[j * n + i] * a[j]).collect() };
        let mu: Vec<f64> = (0..p).map(|j| g[j * n..][..n].iter().sum::<f64>() / n as f64).collect();
        let amu: Vec<f64> = mu.iter().zip(a).map(|(m, a)| m * a).collect();
        let quad = |u: &[f64]| {
            let mut hu = vec![0.0; p];
            ls.hvp(theta, u, &mut hu);
            crate::linalg::dot(u, &hu)
        };
        // E[(Av)ᵀH(Av)] = (Aμ)ᵀH(Aμ) + (1/m)[(1/n)Σ (Ag_i)ᵀH(Ag_i) − (Aμ)ᵀH(Aμ)].
        let second = (0..n).map(|i| quad(&column(i))).sum::<f64>() / n as f64;
        let first = quad(&amu);
        -mu.iter().zip(&amu).map(|(m, am)| m * am).sum::<f64>() + 0.5 * (first + (second - first) / m as f64)
    }

    /// Δ over `batches` fresh batches (with replacement) for the step θ − A v.
    fn deltas(ls: &LeastSquares, theta: &[f64], a: &[f64], m: usize, batches: u64) -> (f64, f64) {
        let (f0, n) = (ls.loss(theta), ls.len() as u32);
        let mut s = crate::stats::Moments::default();
        for b in 0..batches {
            let batch: Vec<usize> = (0..m as u64)
                .map(|k| rng::below(rng::word(3, 0, Stream::FreshBatch, b * m as u64 + k), n) as usize)
                .collect();
            let v = ls.batch_gradient(theta, &batch);
            let moved: Vec<f64> = theta.iter().zip(a).zip(&v).map(|((t, a), v)| t - a * v).collect();
            s.push(ls.loss(&moved) - f0);
        }
        (s.mean, (s.variance() / batches as f64).sqrt())
    }

    #[test]
    fn adaptive_steps_decrease_the_loss_in_expectation() {
        // Least squares is quadratic with ‖H‖₂ = L, so E[Δ|θ] is exactly
        // exact_mean, ≤ B(A) ≤ 0 for both rules (module docs), and 10⁵
        // fresh batches agree with it within 4 SE.
        let (ls, theta, l) = setting();
        let (p, n, m) = (ls.dim(), ls.len(), 5);
        let moments = Moments::new(&ls.gradients(&theta), p, n, m, Sampling::Replacement);
        for rule in [Rule::Oracle, Rule::Diagonal] {
            let a = moments.rates(rule, l);
            let (exact, bound) = (exact_mean(&ls, &theta, &a, m), moments.bound(&a, l));
            let (mc, se) = deltas(&ls, &theta, &a, m, 100_000);
            assert!((mc - exact).abs() < 4.0 * se, "{rule:?}: Monte Carlo {mc} ± {se} vs exact {exact}");
            assert!(exact <= bound + 1e-15 && bound < 0.0, "{rule:?}: E[Δ] {exact} ≤ B {bound} < 0");
            // B at the optimum: −‖μ‖⁴/(2L Tr M^(m)) or −Σ μ_j⁴/(2L M^(m)_jj).
            let mu2: Vec<f64> = moments.mu.iter().map(|x| x * x).collect();
            let optimum = match rule {
                Rule::Oracle => {
                    -mu2.iter().sum::<f64>().powi(2) / (2.0 * l * moments.batch_diagonal.iter().sum::<f64>())
                }
                Rule::Diagonal => {
                    -mu2.iter().zip(&moments.batch_diagonal).map(|(u, d)| u * u / d).sum::<f64>() / (2.0 * l)
                }
            };
            assert!((bound - optimum).abs() < 1e-12 * optimum.abs(), "{rule:?}: B {bound} vs {optimum}");
        }
        // A scan of scalar steps η = c·η*: B is smallest at c = 1, and
        // B(cη*) = c(c/2 − 1)‖μ‖⁴/(L Tr M^(m)), positive beyond c = 2.
        let star = moments.rates(Rule::Oracle, l)[0];
        let b = |c: f64| moments.bound(&vec![c * star; p], l);
        for c in [0.5, 0.9, 1.1, 1.5] {
            assert!(b(c) > b(1.0));
        }
        assert!(b(2.1) > 0.0 && b(1.9) < 0.0);
        // The diagonal rule's bound is at least as low as the oracle's (it
        // minimises over a larger set).
        assert!(moments.bound(&moments.rates(Rule::Diagonal, l), l) <= b(1.0));
    }

    #[test]
    fn moments_follow_the_sampling() {
        // Two points, one coordinate: g = (1, 3), μ = 2, M = 5, Σ = 1.
        // With replacement, m = 2: M^(2) = 4 + 1/2; without: c = 0 (the
        // batch is the whole set), M^(2) = μ² = 4.
        let g = [1.0, 3.0];
        assert_eq!(Moments::new(&g, 1, 2, 2, Sampling::Replacement).batch_diagonal, vec![4.5]);
        assert_eq!(Moments::new(&g, 1, 2, 2, Sampling::Shuffled).batch_diagonal, vec![4.0]);
        let m = Moments::new(&g, 1, 2, 1, Sampling::Replacement);
        assert_eq!(m.rates(Rule::Oracle, 2.0), vec![4.0 / (2.0 * 5.0)]);
        assert_eq!(Moments { mu: vec![0.0], batch_diagonal: vec![0.0] }.rates(Rule::Diagonal, 1.0), vec![0.0]);
    }
}
