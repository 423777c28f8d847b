//! Gauss quadrature rules for expectations over a training point's law
//! (`crate::data_law`): Gauss–Hermite for x ~ N(0, 1), and any symmetric law
//! from the recurrence of its orthogonal polynomials (Golub–Welsch).
//!
//! With n nodes a rule is exact for polynomials of degree at most 2n - 1.
//! Where a landscape's per-sample loss is a polynomial in x (its `degree`;
//! every built-in's), its expectations, gradient covariance and higher
//! statistics are exact to rounding with a few nodes.

use std::sync::{Mutex, OnceLock};

/// Most nodes a landscape's rule may have: the simulators keep one gradient
/// per node in fixed-size arrays (CPU) and registers (GPU). The registry
/// rejects, when the crate is compiled, a landscape whose rule is larger.
pub const MAX_NODES: usize = 16;

/// Nodes of the smallest Gauss rule exact for polynomials of degree `degree`.
pub const fn nodes_exact_for(degree: usize) -> usize {
    degree / 2 + 1
}

/// Nodes and weights of a quadrature rule for a probability law (weights sum to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Rule {
    /// The n-point rule (n >= 1), by Newton's method on the physicists'
    /// Hermite polynomial H_n with the asymptotic first guesses of Numerical
    /// Recipes' `gauher`, rescaled to the standard normal.
    pub fn hermite(n: usize) -> Self {
        assert!(n >= 1);
        let pim4 = std::f64::consts::PI.powf(-0.25);
        let nf = n as f64;
        let mut t = vec![0.0; n];
        let mut w = vec![0.0; n];
        let mut z = 0.0f64;
        for i in 0..n.div_ceil(2) {
            z = match i {
                0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
                1 => z - 1.14 * nf.powf(0.426) / z,
                2 => 1.86 * z - 0.86 * t[0],
                3 => 1.91 * z - 0.91 * t[1],
                _ => 2.0 * z - t[i - 2],
            };
            let mut pp = 0.0;
            for _ in 0..100 {
                // Orthonormal recurrence for H_j / sqrt(2^j j! sqrt(pi)).
                let (mut p1, mut p2) = (pim4, 0.0);
                for j in 1..=n {
                    let p3 = p2;
                    p2 = p1;
                    p1 = z * (2.0 / j as f64).sqrt() * p2 - ((j as f64 - 1.0) / j as f64).sqrt() * p3;
                }
                pp = (2.0 * nf).sqrt() * p2;
                let dz = p1 / pp;
                z -= dz;
                if dz.abs() <= 1e-15 * z.abs().max(1.0) {
                    break;
                }
            }
            t[i] = z;
            t[n - 1 - i] = -z;
            w[i] = 2.0 / (pp * pp);
            w[n - 1 - i] = w[i];
        }
        if n % 2 == 1 {
            // The middle node is exactly 0.
            t[n / 2] = 0.0;
        }
        let norm = std::f64::consts::PI.sqrt();
        Rule {
            nodes: t.iter().map(|ti| ti * std::f64::consts::SQRT_2).collect(),
            weights: w.iter().map(|wi| wi / norm).collect(),
        }
    }

    /// The smallest Gauss–Hermite rule exact for polynomials of degree
    /// `degree` (computed once per process for degrees up to 63).
    pub fn hermite_exact_for(degree: usize) -> &'static Self {
        static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
        &RULES.get_or_init(|| (1..=32).map(Rule::hermite).collect())[nodes_exact_for(degree) - 1]
    }

    /// The Gauss rule of a probability law symmetric about 0 whose monic
    /// orthogonal polynomials satisfy p_{k+1} = x p_k − β_k p_{k−1}
    /// (`betas` = β_1..β_{n−1}, all positive): n nodes, exact for degree
    /// 2n − 1 (Golub & Welsch, Math. Comp. 23 (1969)). The nodes are the
    /// eigenvalues of the Jacobi matrix (zero diagonal, √β_k beside it), found
    /// to rounding by Sturm-sequence bisection; the weights by
    /// Christoffel's formula 1 / Σ_{k<n} p̃_k(x)² over the orthonormal p̃_k,
    /// accurate in relative terms even where tiny (the tails).
    pub fn symmetric(betas: &[f64]) -> Self {
        assert!(betas.iter().all(|&b| b > 0.0 && b.is_finite()), "recurrence coefficients must be positive");
        let n = betas.len() + 1;
        // Eigenvalues below x: the sign changes of the Sturm sequence (LDLᵀ pivots).
        let below = |x: f64| -> usize {
            let mut count = 0;
            let mut q = -x;
            for k in 0..n {
                if k > 0 {
                    q = -x - betas[k - 1] / if q == 0.0 { f64::MIN_POSITIVE } else { q };
                }
                count += usize::from(q < 0.0);
            }
            count
        };
        let radius = 2.0 * betas.iter().fold(0.0f64, |m, b| m.max(b.sqrt())) + 1.0;
        let mut nodes: Vec<f64> = (0..n)
            .map(|k| {
                let (mut lo, mut hi) = (-radius, radius);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    if below(mid) > k {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                0.5 * (lo + hi)
            })
            .collect();
        // Exact symmetry: the law is symmetric, so is the rule.
        for k in 0..n / 2 {
            let a = 0.5 * (nodes[n - 1 - k] - nodes[k]);
            (nodes[k], nodes[n - 1 - k]) = (-a, a);
        }
        if n % 2 == 1 {
            nodes[n / 2] = 0.0;
        }
        let weights = nodes
            .iter()
            .map(|&x| {
                let (mut p_prev, mut p, mut sum) = (0.0, 1.0, 1.0);
                for k in 1..n {
                    let beta_prev = if k == 1 { 0.0 } else { betas[k - 2] };
                    let next = (x * p - beta_prev.sqrt() * p_prev) / betas[k - 1].sqrt();
                    (p_prev, p) = (p, next);
                    sum += p * p;
                }
                1.0 / sum
            })
            .collect();
        Rule { nodes, weights }
    }

    /// The rule moved to the law of a + b·x.
    pub fn affine(&self, a: f64, b: f64) -> Self {
        Rule { nodes: self.nodes.iter().map(|x| a + b * x).collect(), weights: self.weights.clone() }
    }

    /// E f(x) under the rule's law, exact for polynomial f within its degree.
    pub fn expect<F: FnMut(f64) -> f64>(&self, mut f: F) -> f64 {
        self.nodes.iter().zip(&self.weights).map(|(&x, &w)| w * f(x)).sum()
    }
}

/// Most points a [`Cubature`] may have: the theory evaluates every
/// derivative tensor at each point, the simulators a gradient per point and
/// step (SDE) and a loss per point and record.
pub const MAX_POINTS: usize = 4096;

/// A rule for a sample of `dim` independent coordinates, each with the law
/// of the one-dimensional rule `base`: the tensor product of `base` with
/// itself, n^dim points. A monomial ∏ x_c^{a_c} of total degree at most
/// 2n − 1 has every a_c ≤ 2n − 1, so its expectation, a product of the
/// coordinates' moments, is exact: the product rule is exact wherever
/// `base` is, for polynomials of that total degree. Point j has coordinate c
/// at `base.nodes[(j / n^c) mod n]` (the GPU decodes j the same way) and
/// weight the product of those nodes' weights. With `dim` = 1 it is `base`.
#[derive(Debug)]
pub struct Cubature {
    pub base: &'static Rule,
    pub dim: usize,
    /// Point j's coordinates at `points[j * dim ..][.. dim]`.
    points: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Cubature {
    /// The tensor product of `base` in `dim` ≥ 1 coordinates, computed once
    /// per process (`base` is itself a cached rule).
    pub fn tensor(base: &'static Rule, dim: usize) -> &'static Cubature {
        static CACHE: Mutex<Vec<&'static Cubature>> = Mutex::new(Vec::new());
        assert!(dim >= 1);
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&c) = cache.iter().find(|c| std::ptr::eq(c.base, base) && c.dim == dim) {
            return c;
        }
        let n = base.nodes.len();
        let len = n.pow(dim as u32);
        let mut points = Vec::with_capacity(len * dim);
        let mut weights = Vec::with_capacity(len);
        for j in 0..len {
            let mut w = 1.0;
            for c in 0..dim {
                let k = j / n.pow(c as u32) % n;
                points.push(base.nodes[k]);
                w *= base.weights[k];
            }
            weights.push(w);
        }
        let c: &'static Cubature = Box::leak(Box::new(Cubature { base, dim, points, weights }));
        cache.push(c);
        c
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether it has no points (never: a rule has a node).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Point j's coordinates.
    pub fn point(&self, j: usize) -> &[f64] {
        &self.points[j * self.dim..(j + 1) * self.dim]
    }

    /// (point, weight) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&[f64], f64)> + '_ {
        self.points.chunks_exact(self.dim).zip(self.weights.iter().copied())
    }

    /// E f(x) under the product law, exact for polynomial f within the
    /// base rule's degree.
    pub fn expect<F: FnMut(&[f64]) -> f64>(&self, mut f: F) -> f64 {
        self.iter().map(|(x, w)| w * f(x)).sum()
    }
}

/// Weights w_j = (1/N) Σ_n ℓ_j(x_n) of the Lagrange basis ℓ_j on `nodes`:
/// then (1/N) Σ_n p(x_n) = Σ_j w_j p(nodes_j) for every polynomial p of degree
/// below `nodes.len()`. Used for train losses: p + 1 loss evaluations instead
/// of N, exact to rounding for losses polynomial in x.
pub fn empirical_weights(nodes: &[f64], xs: impl Iterator<Item = f64>, w: &mut [f64]) {
    let m = nodes.len();
    let basis = |j: usize, x: f64| -> f64 {
        (0..m).filter(|&k| k != j).map(|k| (x - nodes[k]) / (nodes[j] - nodes[k])).product()
    };
    w.fill(0.0);
    let mut count = 0usize;
    for x in xs {
        count += 1;
        for (j, wj) in w.iter_mut().enumerate() {
            *wj += basis(j, x);
        }
    }
    w.iter_mut().for_each(|wj| *wj /= count as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E x^k = (k - 1)!! for even k, 0 for odd k.
    fn normal_moment(k: u32) -> f64 {
        if k % 2 == 1 {
            0.0
        } else {
            (1..k).step_by(2).map(f64::from).product()
        }
    }

    #[test]
    fn rules_integrate_moments_exactly() {
        for n in 1..=20 {
            let q = Rule::hermite(n);
            assert!((q.weights.iter().sum::<f64>() - 1.0).abs() < 1e-13, "n = {n}");
            for k in 0..(2 * n as u32) {
                let got = q.expect(|x| x.powi(k as i32));
                let want = normal_moment(k);
                let scale = q.expect(|x| x.abs().powi(k as i32));
                assert!((got - want).abs() <= 1e-13 * scale.max(1.0), "n = {n}, k = {k}: {got} vs {want}");
            }
        }
    }

    /// The recurrence of the normal's monic Hermite polynomials is β_k = k:
    /// Golub–Welsch gives the Newton-built Gauss–Hermite rule.
    #[test]
    fn recurrence_rules_match_hermite() {
        for n in [1, 2, 5, 12, 31] {
            let betas: Vec<f64> = (1..n).map(|k| k as f64).collect();
            let (a, b) = (Rule::symmetric(&betas), Rule::hermite(n));
            // `hermite` lists its nodes from the largest down.
            for k in 0..n {
                let j = n - 1 - k;
                assert!((a.nodes[k] - b.nodes[j]).abs() < 1e-12 * b.nodes[j].abs().max(1.0), "n = {n}, node {k}");
                assert!((a.weights[k] / b.weights[j] - 1.0).abs() < 1e-10, "n = {n}, weight {k}");
            }
        }
    }

    #[test]
    fn empirical_weights_reproduce_sample_means() {
        let q = Rule::hermite_exact_for(6);
        let nodes = &q.nodes;
        assert_eq!(nodes.len(), 4);
        let xs: Vec<f64> = (0..50).map(|i| 3.0 * ((i as f64) * 0.71).sin() + 0.2).collect();
        let mut w = [0.0; 4];
        empirical_weights(nodes, xs.iter().copied(), &mut w);
        let p = |x: f64| 2.0 - x + 0.5 * x * x - 0.25 * x * x * x;
        let direct = xs.iter().map(|&x| p(x)).sum::<f64>() / 50.0;
        let via: f64 = (0..4).map(|j| w[j] * p(nodes[j])).sum();
        assert!((direct - via).abs() < 1e-12, "{direct} vs {via}");
    }

    #[test]
    fn exact_for_degree() {
        for degree in 0..12 {
            let q = Rule::hermite_exact_for(degree);
            assert!(2 * q.nodes.len() > degree);
            assert_eq!(q.nodes.len(), nodes_exact_for(degree));
        }
    }

    /// The product of the 4-node Gauss–Hermite rule (exact to degree 7) in
    /// three coordinates integrates every monomial x^a y^b z^c of total
    /// degree ≤ 7 under N(0, I₃) exactly: E = m_a m_b m_c, m_k = (k − 1)!!
    /// for even k, 0 for odd; and its point j decodes as the GPU's does.
    #[test]
    fn tensor_rules_integrate_product_moments() {
        let q = Cubature::tensor(Rule::hermite_exact_for(7), 3);
        assert_eq!((q.len(), q.dim), (64, 3));
        assert!(std::ptr::eq(q, Cubature::tensor(Rule::hermite_exact_for(7), 3)), "cached");
        let m = |k: u32| normal_moment(k);
        for a in 0..=7u32 {
            for b in 0..=7 - a {
                for c in 0..=7 - a - b {
                    let got = q.expect(|x| x[0].powi(a as i32) * x[1].powi(b as i32) * x[2].powi(c as i32));
                    let want = m(a) * m(b) * m(c);
                    assert!((got - want).abs() < 1e-12 * want.abs().max(1.0), "x^{a} y^{b} z^{c}: {got} vs {want}");
                }
            }
        }
        let n = q.base.nodes.len();
        assert_eq!(q.point(1 + 2 * n + 3 * n * n), [q.base.nodes[1], q.base.nodes[2], q.base.nodes[3]]);
        let one = Cubature::tensor(Rule::hermite_exact_for(7), 1);
        assert_eq!((one.len(), &one.weights), (n, &q.base.weights));
    }
}
