//! Binary logistic regression (seed 003, Example 2, eq. (19), Table 1's last
//! column), the smooth non-quadratic model where the paper's statements can
//! be checked exactly: yᵢ ∈ {0, 1}, pᵢ = s(zᵢ) with zᵢ = xᵢᵀθ and
//! s(z) = 1/(1 + e^{−z}) (the link of (19); App. B.4.2 writes the other
//! sign, docs/seed003-slips.md S8), and
//!
//! ```text
//! f(θ) = (1/n)Σ [−yᵢ ln pᵢ − (1 − yᵢ) ln(1 − pᵢ)] = (1/n)Σ ln(1 + e^{−uᵢ}),
//! ```
//!
//! uᵢ = zᵢ for yᵢ = 1 and −zᵢ for yᵢ = 0 (the signed margin; 1 − s(z) =
//! s(−z)). With σᵢ = pᵢ(1 − pᵢ): ∇ℓᵢ = (pᵢ − yᵢ)xᵢ, H_f = (1/n)Σ σᵢ xᵢxᵢᵀ,
//! M = (1/n)Σ (pᵢ − yᵢ)² xᵢxᵢᵀ. For H_p = (1/n)Σ ∇²qᵢ/qᵢ, with the
//! likelihood qᵢ = p(yᵢ | xᵢ, θ) = s(uᵢ): s′ = s(1 − s), s″ = s(1 − s)(1 − 2s),
//! and u = ±z has ∇u∇uᵀ = xᵢxᵢᵀ, so
//!
//! ```text
//! ∇²qᵢ/qᵢ = s″(uᵢ)/s(uᵢ) xᵢxᵢᵀ = s(−uᵢ)(s(−uᵢ) − s(uᵢ)) xᵢxᵢᵀ = (pᵢ − yᵢ)(2pᵢ − 1) xᵢxᵢᵀ,
//! ```
//!
//! which equals Table 1's [(pᵢ − yᵢ)² − σᵢ] (for y = 1: (1 − p)² − p(1 − p)
//! = (1 − p)(1 − 2p); for y = 0: p² − p(1 − p) = p(2p − 1)). Everything is
//! computed from s(±u), never from 1 − s, so that it stays exact where
//! |z| is large (Example 2's limit).

use super::least_squares::Table1;
use super::theorem1::Smooth;
use crate::linalg::dot;

/// s(z) = 1/(1 + e^{−z}) without overflow.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^t) without overflow or cancellation.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// Logistic regression on n labelled points of d features.
#[derive(Clone, Debug, PartialEq)]
pub struct Logistic {
    /// X, n × d row-major.
    x: Vec<f64>,
    y: Vec<bool>,
    d: usize,
}

impl Logistic {
    /// The model of design `x` (n × d row-major) and labels `y` (true for
    /// yᵢ = 1).
    pub fn new(x: Vec<f64>, y: Vec<bool>, d: usize) -> Self {
        assert_eq!(x.len(), y.len() * d, "X is n × d");
        Logistic { x, y, d }
    }

    /// The signed margin uᵢ = ±xᵢᵀθ (+ for yᵢ = 1): qᵢ = s(uᵢ).
    pub fn margin(&self, theta: &[f64], i: usize) -> f64 {
        let z = dot(self.row(i), theta);
        if self.y[i] {
            z
        } else {
            -z
        }
    }

    /// Table 1's logistic column: H_f with σᵢ = s(uᵢ)s(−uᵢ), M with
    /// (pᵢ − yᵢ)² = s(−uᵢ)², and H_p from ∇²qᵢ/qᵢ = s(−uᵢ)(s(−uᵢ) − s(uᵢ))
    /// (the module's derivation).
    pub fn table1(&self, theta: &[f64]) -> Table1 {
        Table1::linear(&self.x, self.d, |i| {
            let u = self.margin(theta, i);
            let (hit, miss) = (sigmoid(u), sigmoid(-u));
            (hit * miss, miss * miss, miss * (miss - hit))
        })
    }

    /// ℓᵢ(θ) = ln(1 + e^{−uᵢ}) over any dual number (the AD reference).
    #[cfg(test)]
    pub(super) fn sample_loss_ad<D: num_dual::DualNum<Primitive = f64> + Copy>(&self, theta: &[D], i: usize) -> D {
        let z = self.row(i).iter().zip(theta).fold(D::from(0.0), |s, (&x, &t)| s + t * x);
        let u = if self.y[i] { z } else { -z };
        (-u).exp().ln_1p()
    }
}

impl Smooth for Logistic {
    fn len(&self) -> usize {
        self.y.len()
    }

    fn dim(&self) -> usize {
        self.d
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..][..self.d]
    }

    /// pᵢ − yᵢ = ∓s(−uᵢ) (− for yᵢ = 1).
    fn residual(&self, theta: &[f64], i: usize) -> f64 {
        let miss = sigmoid(-self.margin(theta, i));
        if self.y[i] {
            -miss
        } else {
            miss
        }
    }

    fn loss(&self, theta: &[f64]) -> f64 {
        (0..self.len()).map(|i| softplus(-self.margin(theta, i))).sum::<f64>() / self.len() as f64
    }

    /// H_f v = (1/n)Σ σᵢ xᵢ (xᵢᵀv).
    fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        let n = self.len() as f64;
        for i in 0..self.len() {
            let u = self.margin(theta, i);
            let w = sigmoid(u) * sigmoid(-u) * dot(self.row(i), v) / n;
            out.iter_mut().zip(self.row(i)).for_each(|(o, x)| *o += x * w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::least_squares::table1_ad;
    use super::super::theorem1::Step;
    use super::*;
    use crate::linalg::symmetric_eigen;
    use crate::rng::{normal, word, Stream};
    use crate::stats::Moments;

    fn frobenius(m: &[f64]) -> f64 {
        m.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    fn distance(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt()
    }

    fn y_of(lr: &Logistic, i: usize) -> f64 {
        f64::from(u8::from(lr.y[i]))
    }

    /// n points of d features N(0, 1/d)·`scale` from `seed`, labels by fair
    /// coins.
    fn random(seed: u64, n: usize, d: usize, scale: f64) -> Logistic {
        let x = (0..n * d).map(|e| scale * normal(seed, 0, Stream::Features, e as u64) / (d as f64).sqrt()).collect();
        let y = (0..n).map(|i| word(seed, 1, Stream::Relabel, i as u64) & 1 == 1).collect();
        Logistic::new(x, y, d)
    }

    #[test]
    fn table_1_logistic_column_is_right() {
        // n = 20, p = 5, random labels, at a random θ (|zᵢ| up to ~3):
        // Table 1's H_f = (1/n)Σσᵢxᵢxᵢᵀ, M = (1/n)Σ(pᵢ − yᵢ)²xᵢxᵢᵀ and
        // H_p = (1/n)Σ[(pᵢ − yᵢ)² − σᵢ]xᵢxᵢᵀ (in the module's form
        // s(−u)(s(−u) − s(u))) against each one's definition by AD
        // (H_p = (1/n)Σ∇²qᵢ/qᵢ), and Proposition 1 H_f = M − H_p.
        let (n, d) = (20, 5);
        let lr = random(31, n, d, 2.0);
        let theta: Vec<f64> = (0..d).map(|j| normal(31, 2, Stream::Features, j as u64)).collect();
        let closed = lr.table1(&theta);
        let ad = table1_ad(&theta, n, |t, i| lr.sample_loss_ad(t, i));
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
        // Table 1's own expression [(pᵢ − yᵢ)² − σᵢ] with pᵢ = s(zᵢ) as
        // printed, and the form (pᵢ − yᵢ)(2pᵢ − 1).
        for form in [|p: f64, y: f64| (p - y).powi(2) - p * (1.0 - p), |p: f64, y: f64| (p - y) * (2.0 * p - 1.0)] {
            let printed = Table1::linear(&lr.x, d, |i| {
                let p = sigmoid(dot(lr.row(i), &theta));
                (p * (1.0 - p), (p - y_of(&lr, i)).powi(2), form(p, y_of(&lr, i)))
            });
            assert!(distance(&printed.likelihood, &closed.likelihood) < 1e-12 * scale);
            assert!(distance(&printed.hessian, &closed.hessian) < 1e-12 * scale);
            assert!(distance(&printed.moment, &closed.moment) < 1e-12 * scale);
        }
        // Not vacuous: all three are of the same order, and the loss,
        // gradients and H_f v agree with AD's.
        assert!(frobenius(&closed.moment) > 0.1 * scale && frobenius(&closed.likelihood) > 0.1 * scale);
        let g = lr.gradients(&theta);
        let mut hv = vec![0.0; d];
        for a in 0..d {
            let t: Vec<num_dual::Dual64> =
                (0..d).map(|q| num_dual::Dual64::new(theta[q], f64::from(u8::from(q == a)))).collect();
            let l: num_dual::Dual64 = (0..n).map(|i| lr.sample_loss_ad(&t, i)).sum::<num_dual::Dual64>() / n as f64;
            assert!((l.re - lr.loss(&theta)).abs() < 1e-14);
            assert!((l.eps - g[a * n..][..n].iter().sum::<f64>() / n as f64).abs() < 1e-14);
            let e: Vec<f64> = (0..d).map(|q| f64::from(u8::from(q == a))).collect();
            lr.hvp(&theta, &e, &mut hv);
            assert!((0..d).all(|b| (hv[b] - ad.hessian[b * d + a]).abs() < 1e-14));
        }
    }

    #[test]
    fn example_2_m_vanishes_against_h_f_on_separable_data() {
        // n = 10 < p = 30. (a) w the min-norm solution of Xw = 2y − 1, so
        // every signed margin is uᵢ = c at θ = c·w: then σᵢ = s(c)s(−c) and
        // (pᵢ − yᵢ)² = s(−c)², so M = (s(−c)/s(c)) H_f = e^{−c} H_f exactly
        // and H_p + H_f = M: the ratio e^{−c}. (b) w random, y = 1[xᵢᵀw > 0]:
        // per point (pᵢ − yᵢ)²/σᵢ = s(−uᵢ)/s(uᵢ) = e^{−uᵢ}, hence
        // e^{−c·u_max} H_f ⪯ M ⪯ e^{−c·u_min} H_f (u at c = 1), and the
        // Frobenius ratio lies between those. σᵢ ≈ e^{−uᵢ} while
        // (pᵢ − yᵢ)² ≈ e^{−2uᵢ}: both vanish, M one order of e^{−u} faster.
        let (n, d) = (10, 30);
        let base = random(32, n, d, 1.0);
        let signs: Vec<f64> = base.y.iter().map(|&y| if y { 1.0 } else { -1.0 }).collect();
        // w = Xᵀ(XXᵀ)⁻¹s through the Gram matrix's eigenvectors.
        let gram: Vec<f64> = (0..n * n).map(|e| dot(base.row(e / n), base.row(e % n))).collect();
        let (lambda, v) = symmetric_eigen(&gram, n);
        let coef: Vec<f64> = (0..n)
            .map(|i| {
                (0..n).map(|k| v[i * n + k] * (0..n).map(|j| v[j * n + k] * signs[j]).sum::<f64>() / lambda[k]).sum()
            })
            .collect();
        let w: Vec<f64> = (0..d).map(|j| (0..n).map(|i| base.x[i * d + j] * coef[i]).sum()).collect();
        assert!((0..n).all(|i| (base.margin(&w, i) - 1.0).abs() < 1e-12));
        let random_w: Vec<f64> = (0..d).map(|j| normal(32, 3, Stream::Features, j as u64)).collect();
        let by_sign = Logistic::new(base.x.clone(), (0..n).map(|i| dot(base.row(i), &random_w) > 0.0).collect(), d);
        let margins: Vec<f64> = (0..n).map(|i| by_sign.margin(&random_w, i)).collect();
        let (umin, umax) = margins.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &u| (a.min(u), b.max(u)));
        eprintln!("example 2 (random w): margins at c = 1 from {umin:.3e} to {umax:.3e}");
        let mut previous = f64::INFINITY;
        for c in [1.0, 10.0, 100.0] {
            for (k, (model, dir)) in [(&base, &w), (&by_sign, &random_w)].into_iter().enumerate() {
                let theta: Vec<f64> = dir.iter().map(|w| c * w).collect();
                let t = model.table1(&theta);
                let h = frobenius(&t.hessian);
                let ratio = frobenius(&t.moment) / h;
                let sum: Vec<f64> = t.likelihood.iter().zip(&t.hessian).map(|(l, h)| l + h).collect();
                let off = frobenius(&sum) / h;
                eprintln!(
                    "example 2 ({}), c = {c}: ‖H_f‖ {h:.3e}, ‖M‖/‖H_f‖ {ratio:.3e}, ‖H_p + H_f‖/‖H_f‖ {off:.3e}",
                    ["equal margins", "random w"][k]
                );
                assert!(h > 0.0 && h.is_finite());
                // Proposition 1 to rounding, so H_p → −H_f as M/H_f → 0.
                let m_minus_hp: Vec<f64> = t.moment.iter().zip(&t.likelihood).map(|(m, l)| m - l).collect();
                assert!(distance(&t.hessian, &m_minus_hp) <= 1e-12 * h, "H_f = M − H_p");
                assert!(off <= ratio + 1e-12, "{off} vs {ratio}");
                if k == 0 {
                    assert!((ratio / (-c).exp() - 1.0).abs() < 1e-9, "c = {c}: {ratio} vs e^-c {}", (-c).exp());
                } else {
                    let (lo, hi) = ((-c * umax).exp(), (-c * umin).exp());
                    assert!(lo * (1.0 - 1e-9) <= ratio && ratio <= hi * (1.0 + 1e-9), "{lo} ≤ {ratio} ≤ {hi}");
                }
                // With equal margins it falls by orders per decade of c; with
                // a random w only as fast as the smallest margin allows.
                assert!(k == 1 || ratio < 1e-3 * previous, "{ratio} vs {previous}");
                if k == 0 {
                    previous = ratio;
                }
            }
        }
    }

    #[test]
    fn theorem_1_on_logistic_regression_is_right_to_third_order() {
        // θ frozen at a random point of a non-separable problem (n = 20,
        // p = 5, random labels); Δ = f(θ − ηg_B) − f(θ). Theorem 1's
        // −η‖μ‖² + (η²/2)Tr(H M^(m)) is Taylor's second order, so
        // E[Δ|θ] − it = (η³/6)E[∇³f[g_B, g_B, g_B]] + O(η⁴): ×8 when η
        // doubles. (a) m = 1, E[Δ|θ] exact by enumerating the n one-point
        // steps: the error's ratio between η = 0.1 and 0.05 is 8 to within
        // the O(η) correction. (b) m = 5, 10⁵ fresh batches (the same
        // batches at both η): the measured error at 0.1 is about 8× that at
        // 0.05, or both lie within 4 SE.
        let (n, d) = (20, 5);
        let lr = random(33, n, d, 3.0);
        let theta: Vec<f64> = (0..d).map(|j| normal(33, 2, Stream::Features, j as u64)).collect();
        let t = lr.table1(&theta);
        let big_l = symmetric_eigen(&t.hessian, d).0.into_iter().fold(0.0, f64::max);
        let single = |eta: f64| {
            let pred = lr.predict(&theta, Step { eta, batch: 1, without_replacement: false }, big_l);
            (lr.exact_mean_single(&theta, eta) - pred.mean, pred.mean)
        };
        let (e1, p1) = single(0.05);
        let (e2, p2) = single(0.1);
        let (e3, _) = single(0.025);
        eprintln!("theorem 1 (m = 1, exact): η 0.025/0.05/0.1: error {e3:.3e} {e1:.3e} {e2:.3e} (means {p1:.3e} {p2:.3e}), ratios {:.3} {:.3}", e1 / e3, e2 / e1);
        assert!(e2.abs() > 1e-3 * p2.abs(), "a visible third-order term");
        assert!((e2 / e1 - 8.0).abs() < 1.5 && (e1 / e3 - 8.0).abs() < 0.75, "{} {}", e2 / e1, e1 / e3);
        // (b): Δ's mean against Theorem 1, and, with each batch's own
        // second-order step −ημᵀg_B + (η²/2)g_BᵀHg_B as a control variate
        // (its mean is Theorem 1's exactly), the remainder's mean, which is
        // the same error with a far smaller SE.
        let mu: Vec<f64> = (0..d).map(|q| lr.gradients(&theta)[q * n..][..n].iter().sum::<f64>() / n as f64).collect();
        let mut errors = Vec::new();
        for eta in [0.05, 0.1] {
            let step = Step { eta, batch: 5, without_replacement: false };
            let pred = lr.predict(&theta, step, big_l);
            let (mut raw, mut rest) = (Moments::default(), Moments::default());
            let mut hg = vec![0.0; d];
            lr.fresh_steps(&theta, step, 100_000, (33, 0), |g, delta| {
                lr.hvp(&theta, g, &mut hg);
                raw.push(delta);
                rest.push(delta - (-eta * dot(&mu, g) + 0.5 * eta * eta * dot(g, &hg)));
            });
            errors.push((raw.mean - pred.mean, raw.stderr(), rest.mean, rest.stderr()));
            // The second-order bound holds (it is not exact here).
            assert!(raw.mean < pred.bound + 4.0 * raw.stderr(), "{raw:?} {pred:?}");
        }
        let [(a, sa, ca, sca), (b, sb, cb, scb)] = [errors[0], errors[1]];
        eprintln!(
            "theorem 1 (m = 5, 10⁵ batches): error at η 0.05 {a:.3e} ± {sa:.1e}, at 0.1 {b:.3e} ± {sb:.1e}; \
             with the control variate {ca:.3e} ± {sca:.1e} and {cb:.3e} ± {scb:.1e}, ratio {:.3}",
            cb / ca
        );
        assert!((a.abs() < 4.0 * sa && b.abs() < 4.0 * sb) || (b / a - 8.0).abs() < 2.0, "{a} ± {sa}, {b} ± {sb}");
        assert!(ca.abs() > 10.0 * sca && (cb / ca - 8.0).abs() < 1.5, "{ca} ± {sca}, {cb} ± {scb}");
        // Both measured errors agree with the control-variate ones.
        assert!((a - ca).abs() < 4.0 * sa && (b - cb).abs() < 4.0 * sb);
    }

    #[test]
    fn corollary_2_bounds_the_exact_mean_along_an_sgd_path() {
        // S13: n = 10 < p = 30 (separable), α = λ_min(XXᵀ/n) (the proof's
        // matrix; the statement's (1/n)Σxᵢxᵢᵀ is p × p of rank n, so its
        // λ_min is 0), β = max‖xᵢ‖², L = λ_max(XᵀX/n)/4 ≥ ‖H_f(θ)‖₂ for every
        // θ (σᵢ ≤ ¼), η = α/(βL). Taylor with that L and the S12 algebra
        // with r = p_θ − y: E[Δ|θ] ≤ −α²Σ(yᵢ − pᵢ)²/(2βLn). At m = 1 the
        // exact E[Δ|θ] is the average over the n one-point steps; checked
        // at each of 300 SGD steps (m = 1).
        let (n, d) = (10, 30);
        let lr = random(34, n, d, 1.0);
        let gram: Vec<f64> = (0..n * n).map(|e| dot(lr.row(e / n), lr.row(e % n)) / n as f64).collect();
        let (lambda, _) = symmetric_eigen(&gram, n);
        let alpha = lambda.iter().cloned().fold(f64::INFINITY, f64::min);
        let big_l = lambda.iter().cloned().fold(0.0, f64::max) / 4.0;
        let beta = (0..n).map(|i| dot(lr.row(i), lr.row(i))).fold(0.0, f64::max);
        let wide: Vec<f64> = (0..d * d)
            .map(|e| (0..n).map(|i| lr.x[i * d + e / d] * lr.x[i * d + e % d]).sum::<f64>() / n as f64)
            .collect();
        let (wide_lambda, _) = symmetric_eigen(&wide, d);
        assert!(
            wide_lambda.iter().cloned().fold(f64::INFINITY, f64::min) < 1e-12 * 4.0 * big_l,
            "the statement's α is 0"
        );
        let eta = alpha / (beta * big_l);
        let mut theta = vec![0.0; d];
        let f0 = lr.loss(&theta);
        let mut tightest = 0.0f64;
        for t in 0..300u64 {
            let r2: f64 = (0..n).map(|i| lr.residual(&theta, i).powi(2)).sum();
            let bound = -alpha * alpha * r2 / (2.0 * beta * big_l * n as f64);
            let exact = lr.exact_mean_single(&theta, eta);
            assert!(exact <= bound, "t {t}: E[Δ|θ] {exact} > bound {bound}");
            tightest = tightest.max(bound / exact);
            let i = crate::rng::below(word(34, 2, Stream::Batch, t), n as u32) as usize;
            let g = lr.batch_gradient(&theta, &[i]);
            theta.iter_mut().zip(&g).for_each(|(w, g)| *w -= eta * g);
        }
        eprintln!("corollary 2: α {alpha:.4} β {beta:.4} L {big_l:.4} η {eta:.4}; bound/E[Δ] at most {tightest:.4}; f {f0:.4} → {:.4}", lr.loss(&theta));
        assert!(lr.loss(&theta) < 0.9 * f0);
    }
}
