//! Least squares, the smooth model where seed 003's statements are exact
//! (Example 1, Table 1's second column, with σ = 1):
//! f(θ) = (1/2n)Σ (xᵢᵀθ − yᵢ)², per-sample gradients ∇ℓᵢ = xᵢ rᵢ
//! (rᵢ = xᵢᵀθ − yᵢ), H_f = XᵀX/n, M = (1/n)Σ rᵢ² xᵢxᵢᵀ and
//! H_p = (1/n)Σ ∇²pᵢ/pᵢ = (1/n)Σ (rᵢ² − 1) xᵢxᵢᵀ for the Gaussian likelihood
//! pᵢ ∝ exp(−rᵢ²/2). The loss is quadratic, so one SGD step's loss change
//! has exactly Theorem 1's mean ([`super::theorem1`]): the check that the
//! theorem, and this code, are right before they are used on ReLU networks.

use super::theorem1::Smooth;
use crate::linalg::dot;

/// Least squares on n points of d features.
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquares {
    /// X, n × d row-major.
    x: Vec<f64>,
    y: Vec<f64>,
    d: usize,
}

/// Table 1's three p × p matrices at one θ (row-major): H_f = ∇²f, the
/// gradients' second moment M = (1/n)Σ ∇ℓᵢ∇ℓᵢᵀ, and H_p = (1/n)Σ ∇²pᵢ/pᵢ
/// from the likelihood pᵢ = p(yᵢ | xᵢ, θ) = e^{−ℓᵢ} (Proposition 1:
/// H_f = M − H_p). Each is computed from its own closed form.
#[derive(Clone, Debug, PartialEq)]
pub struct Table1 {
    pub hessian: Vec<f64>,
    pub moment: Vec<f64>,
    pub likelihood: Vec<f64>,
}

impl Table1 {
    /// A linear model's three matrices (1/n)Σ wᵢ xᵢxᵢᵀ, each from its
    /// weight per point `(h, m, l)`, over the rows of `x` (n × d).
    pub(super) fn linear(x: &[f64], d: usize, weights: impl Fn(usize) -> (f64, f64, f64)) -> Self {
        let n = x.len() / d;
        let mut t = Table1 { hessian: vec![0.0; d * d], moment: vec![0.0; d * d], likelihood: vec![0.0; d * d] };
        for i in 0..n {
            let row = &x[i * d..][..d];
            let (h, m, l) = weights(i);
            for a in 0..d {
                for b in 0..d {
                    let xx = row[a] * row[b] / n as f64;
                    t.hessian[a * d + b] += h * xx;
                    t.moment[a * d + b] += m * xx;
                    t.likelihood[a * d + b] += l * xx;
                }
            }
        }
        t
    }
}

impl LeastSquares {
    /// The model of design `x` (n × d row-major) and responses `y`.
    pub fn new(x: Vec<f64>, y: Vec<f64>, d: usize) -> Self {
        assert_eq!(x.len(), y.len() * d, "X is n × d");
        LeastSquares { x, y, d }
    }

    /// Table 1's least-squares column at σ = 1: H_f = (1/n)Σ xᵢxᵢᵀ,
    /// M = (1/n)Σ rᵢ² xᵢxᵢᵀ, and H_p = (1/n)Σ (rᵢ² − 1) xᵢxᵢᵀ, from
    /// pᵢ ∝ e^{−rᵢ²/2}: ∇pᵢ = −rᵢ pᵢ xᵢ and ∇²pᵢ = (rᵢ² − 1) pᵢ xᵢxᵢᵀ.
    pub fn table1(&self, theta: &[f64]) -> Table1 {
        Table1::linear(&self.x, self.d, |i| {
            let r2 = self.residual(theta, i).powi(2);
            (1.0, r2, r2 - 1.0)
        })
    }

    /// ℓᵢ(θ) = rᵢ²/2 over any dual number (the AD reference).
    #[cfg(test)]
    pub(super) fn sample_loss_ad<D: num_dual::DualNum<Primitive = f64> + Copy>(&self, theta: &[D], i: usize) -> D {
        let z = self.row(i).iter().zip(theta).fold(D::from(-self.y[i]), |s, (&x, &t)| s + t * x);
        z * z * 0.5
    }
}

impl Smooth for LeastSquares {
    fn len(&self) -> usize {
        self.y.len()
    }

    fn dim(&self) -> usize {
        self.d
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..][..self.d]
    }

    /// rᵢ = xᵢᵀθ − yᵢ.
    fn residual(&self, theta: &[f64], i: usize) -> f64 {
        dot(self.row(i), theta) - self.y[i]
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        (0..self.len()).map(|i| self.residual(theta, i).powi(2)).sum::<f64>() / (2 * self.len()) as f64
    }

    /// H v = XᵀX v / n, whatever θ.
    fn hvp(&self, _theta: &[f64], v: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        let n = self.len() as f64;
        for i in 0..self.len() {
            let xv = dot(self.row(i), v);
            out.iter_mut().zip(self.row(i)).for_each(|(o, x)| *o += x * xv / n);
        }
    }
}

/// Table 1's three matrices by automatic differentiation of the per-sample
/// losses `loss(θ, i)` (hyper-dual numbers: ε₁ on θ_a, ε₂ on θ_b), each from
/// its definition: H_f = (1/n)Σ∇²ℓᵢ, M = (1/n)Σ∇ℓᵢ∇ℓᵢᵀ and
/// H_p = (1/n)Σ∇²qᵢ/qᵢ with qᵢ = e^{−ℓᵢ} (a constant factor in qᵢ cancels).
#[cfg(test)]
pub(super) fn table1_ad(
    theta: &[f64],
    n: usize,
    loss: impl Fn(&[num_dual::HyperDual64], usize) -> num_dual::HyperDual64,
) -> Table1 {
    use num_dual::{DualNum, HyperDual64};
    let p = theta.len();
    let mut t = Table1 { hessian: vec![0.0; p * p], moment: vec![0.0; p * p], likelihood: vec![0.0; p * p] };
    for a in 0..p {
        for b in 0..p {
            let th: Vec<HyperDual64> = (0..p)
                .map(|q| HyperDual64::new(theta[q], f64::from(u8::from(q == a)), f64::from(u8::from(q == b)), 0.0))
                .collect();
            for i in 0..n {
                let l = loss(&th, i);
                let q = (-l).exp();
                t.hessian[a * p + b] += l.eps1eps2 / n as f64;
                t.moment[a * p + b] += l.eps1 * l.eps2 / n as f64;
                t.likelihood[a * p + b] += q.eps1eps2 / q.re / n as f64;
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::theorem1::Step;
    use super::*;
    use crate::linalg::symmetric_eigen;
    use crate::rng::{below, normal, word, Stream};

    fn frobenius(m: &[f64]) -> f64 {
        m.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    fn distance(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt()
    }

    /// X (n × d, entries N(0, 1/d)) from `seed`'s Features stream.
    fn design(seed: u64, n: usize, d: usize) -> Vec<f64> {
        (0..n * d).map(|e| normal(seed, 0, Stream::Features, e as u64) / (d as f64).sqrt()).collect()
    }

    /// The min-norm solution of Xθ = y (n < d): θ = Xᵀ(XXᵀ)⁻¹y.
    fn min_norm(x: &[f64], y: &[f64], d: usize) -> Vec<f64> {
        let n = y.len();
        let gram: Vec<f64> = (0..n * n).map(|e| dot(&x[e / n * d..][..d], &x[e % n * d..][..d])).collect();
        let (lambda, v) = symmetric_eigen(&gram, n);
        let c: Vec<f64> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|k| v[i * n + k] * dot(&(0..n).map(|j| v[j * n + k]).collect::<Vec<_>>(), y) / lambda[k])
                    .sum()
            })
            .collect();
        (0..d).map(|j| (0..n).map(|i| x[i * d + j] * c[i]).sum()).collect()
    }

    #[test]
    fn table_1_least_squares_column_is_right() {
        // n = 20, p = 5, y = Xθ* + ε, at a random θ (r ≠ 0): Table 1's
        // H_f = XᵀX/n, M = (1/n)Σrᵢ²xᵢxᵢᵀ and H_p = (1/n)Σ(rᵢ² − 1)xᵢxᵢᵀ
        // (σ = 1) against each one's definition by AD, and Proposition 1,
        // H_f = M − H_p, with H_p from its own formula.
        let (n, d) = (20, 5);
        let x = design(21, n, d);
        let y: Vec<f64> = (0..n).map(|i| normal(21, 1, Stream::Features, i as u64)).collect();
        let ls = LeastSquares::new(x, y, d);
        let theta: Vec<f64> = (0..d).map(|j| normal(21, 2, Stream::Features, j as u64)).collect();
        let closed = ls.table1(&theta);
        let ad = table1_ad(&theta, n, |t, i| ls.sample_loss_ad(t, i));
        let scale = frobenius(&closed.hessian);
        for (name, a, b) in [
            ("H_f", &closed.hessian, &ad.hessian),
            ("M", &closed.moment, &ad.moment),
            ("H_p", &closed.likelihood, &ad.likelihood),
        ] {
            assert!(distance(a, b) < 1e-12 * scale, "{name}: {}", distance(a, b));
        }
        let m_minus_hp: Vec<f64> = closed.moment.iter().zip(&closed.likelihood).map(|(m, l)| m - l).collect();
        assert!(distance(&closed.hessian, &m_minus_hp) < 1e-12 * scale);
        // The three are of comparable size here (the test is not vacuous).
        assert!(frobenius(&closed.moment) > 0.1 * scale && frobenius(&closed.likelihood) > 0.1 * scale);
        // H_f is the Hessian of `loss`, and the gradients' mean is μ.
        let mut hv = vec![0.0; d];
        ls.hvp(&theta, &[1.0, 0.0, 0.0, 0.0, 0.0], &mut hv);
        assert!((0..d).all(|a| (hv[a] - closed.hessian[a * d]).abs() < 1e-14));
    }

    #[test]
    fn example_1_at_an_interpolant_m_vanishes_and_h_p_is_minus_h_f() {
        // n = 10 < p = 30, noisy y; θ̂ the min-norm solution of Xθ = y.
        // Eq. (18): M(θ̂) = 0 and H_p(θ̂) = −XᵀX/n = −H_f(θ̂), so H_f ≠ M.
        let (n, d) = (10, 30);
        let x = design(22, n, d);
        let y: Vec<f64> = (0..n).map(|i| normal(22, 1, Stream::Features, i as u64)).collect();
        let theta = min_norm(&x, &y, d);
        let ls = LeastSquares::new(x, y, d);
        let worst = (0..n).map(|i| ls.residual(&theta, i).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-12, "max |r| {worst}");
        let t = ls.table1(&theta);
        let scale = frobenius(&t.hessian);
        assert!(frobenius(&t.moment) < 1e-24 * scale, "‖M‖ {}", frobenius(&t.moment));
        let sum: Vec<f64> = t.likelihood.iter().zip(&t.hessian).map(|(l, h)| l + h).collect();
        assert!(frobenius(&sum) < 1e-12 * scale, "‖H_p + H_f‖ {}", frobenius(&sum));
        assert!(scale > 0.1, "‖H_f‖ {scale}");
    }

    #[test]
    fn corollary_1_bounds_the_exact_mean_along_an_sgd_path() {
        // S12: n = 10 < p = 30, y = Xθ* + 0.3ε, α = λ_min(XXᵀ/n),
        // β = max‖xᵢ‖², L = λ_max(XᵀX/n), η = α/(βL) (the statement's
        // constants). For a quadratic, Theorem 1's mean is exact, and
        //   E[Δ|θ] = −η‖μ‖² + (η²/2)Tr(H M^(m))
        //          ≤ (‖r‖²/n)(−ηα + η²Lβ/2) = −α²‖r‖²/(2βLn),
        // using ‖μ‖² = rᵀXXᵀr/n² ≥ α‖r‖²/n and Tr(H M^(m)) ≤ L Tr M ≤ Lβ‖r‖²/n.
        // Checked at every step of 300 SGD steps (m = 1 and m = 5, with
        // replacement), with the exact m = 1 mean also by enumeration.
        let (n, d) = (10, 30);
        let x = design(23, n, d);
        let star: Vec<f64> = (0..d).map(|j| normal(23, 1, Stream::Features, j as u64)).collect();
        let y: Vec<f64> =
            (0..n).map(|i| dot(&x[i * d..][..d], &star) + 0.3 * normal(23, 2, Stream::Features, i as u64)).collect();
        let gram: Vec<f64> = (0..n * n).map(|e| dot(&x[e / n * d..][..d], &x[e % n * d..][..d]) / n as f64).collect();
        let (lambda, _) = symmetric_eigen(&gram, n);
        let alpha = lambda.iter().cloned().fold(f64::INFINITY, f64::min);
        let big_l = lambda.iter().cloned().fold(0.0, f64::max);
        let beta = (0..n).map(|i| dot(&x[i * d..][..d], &x[i * d..][..d])).fold(0.0, f64::max);
        let ls = LeastSquares::new(x, y, d);
        let eta = alpha / (beta * big_l);
        assert!(alpha > 0.05 * big_l, "α {alpha} L {big_l}");
        let mut tightest = 0.0f64;
        for m in [1usize, 5] {
            let step = Step { eta, batch: m, without_replacement: false };
            let mut theta = vec![0.0; d];
            let f0 = ls.loss(&theta);
            for t in 0..300u64 {
                let r2: f64 = (0..n).map(|i| ls.residual(&theta, i).powi(2)).sum();
                let bound = -alpha * alpha * r2 / (2.0 * beta * big_l * n as f64);
                let mean = ls.predict(&theta, step, big_l).mean;
                if m == 1 {
                    let exact = ls.exact_mean_single(&theta, eta);
                    assert!((exact - mean).abs() < 1e-12 * mean.abs(), "{exact} vs {mean}");
                }
                assert!(mean <= bound, "m {m}, t {t}: E[Δ|θ] {mean} > bound {bound}");
                tightest = tightest.max(bound / mean);
                let batch: Vec<usize> = (0..m as u64)
                    .map(|s| below(word(23, m as u64, Stream::Batch, t * m as u64 + s), n as u32) as usize)
                    .collect();
                let g = ls.batch_gradient(&theta, &batch);
                theta.iter_mut().zip(&g).for_each(|(w, g)| *w -= eta * g);
            }
            // SGD at this η does make progress.
            assert!(ls.loss(&theta) < 0.9 * f0, "m {m}: {} vs {f0}", ls.loss(&theta));
        }
        eprintln!("corollary 1: α {alpha:.4} β {beta:.4} L {big_l:.4} η {eta:.4}; bound/E[Δ] at most {tightest:.4}");
    }

    #[test]
    fn at_a_stationary_point_the_mean_change_is_the_noise_term() {
        // S11: overdetermined least squares (n = 40 > p = 5, noisy y) at its
        // solution θ̂ = (XᵀX)⁻¹Xᵀy: μ = 0 but Σ ≠ 0. Then
        // E[Δ|θ̂] = (η²/2m)Tr(HΣ) > 0 exactly, and every Δ = (η²/2)ξᵀHξ ≥ 0:
        // f rises in every step, not in the band ±(η²/2)L Tr M the paper's
        // two tails give. 10⁵ fresh batches of m = 4 at η = 0.3.
        let (n, d) = (40, 5);
        let x = design(24, n, d);
        let y: Vec<f64> = (0..n).map(|i| normal(24, 1, Stream::Features, i as u64)).collect();
        let ls = LeastSquares::new(x.clone(), y.clone(), d);
        // θ̂ through XᵀX's eigenvectors (the normal equations).
        let xtx: Vec<f64> = (0..d * d).map(|e| (0..n).map(|i| x[i * d + e / d] * x[i * d + e % d]).sum()).collect();
        let xty: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[i * d + j] * y[i]).sum()).collect();
        let (lambda, v) = symmetric_eigen(&xtx, d);
        let theta: Vec<f64> = (0..d)
            .map(|a| {
                (0..d).map(|k| v[a * d + k] * (0..d).map(|b| v[b * d + k] * xty[b]).sum::<f64>() / lambda[k]).sum()
            })
            .collect();
        let step = Step { eta: 0.3, batch: 4, without_replacement: false };
        let pred = ls.predict(&theta, step, 0.0);
        assert!(pred.grad_sq < 1e-28, "‖μ‖² {}", pred.grad_sq);
        // Tr(H M^(m)) = Tr(HΣ)/m at μ = 0.
        let expected = 0.5 * step.eta * step.eta * pred.trace_hessian_moment;
        let deltas = ls.fresh_deltas(&theta, step, 100_000, (24, 0));
        let mut moments = crate::stats::Moments::default();
        deltas.iter().for_each(|&x| moments.push(x));
        eprintln!(
            "stationary point: E[Δ] {:.4e} ± {:.1e} vs (η²/2m)Tr(HΣ) {expected:.4e}",
            moments.mean,
            moments.stderr()
        );
        assert!(expected > 0.0 && (moments.mean - expected).abs() < 3.0 * moments.stderr());
        assert!(deltas.iter().all(|&x| x >= -1e-15), "every step raises f");
    }
}
