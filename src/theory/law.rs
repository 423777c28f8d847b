//! The law of one sample's derivative tensors at θ₀: what a diagram's value
//! integrates against (seed 001, App. A.1: a diagram's value is a product,
//! over its partition's blocks, of the expectation of the block's tensors
//! evaluated at one shared sample).
//!
//! Where l_x is a polynomial in x (every built-in) so is every ∇^k l_x(θ₀),
//! and the expectation of a product of up to `MAX_ORDER + 1` of them is
//! exact on the data law's Gauss rule of enough nodes (a loss that is not
//! takes `THEORY_NODES`, not exactly): the law stores each node's tensors
//! ∇⁰..∇⁴ (automatic differentiation) and weight.
//!
//! Three kinds of sample ([`Sampling`]) share the law:
//! * `Data`: a training point x (SGD, GD, batches, epochs);
//! * `Flow`: the population loss l itself, deterministic (the ODE's substeps);
//! * `Gaussian`: the SDE's substep loss l + s·Z, Z the centred Gaussian field
//!   with the covariance of the per-sample tensors, Cov(∇^a l_x, ∇^b l_x).
//!   Its expectations follow from Wick's theorem.

use crate::error::Result;
use crate::landscape::derivatives::{fourth, gradient, hessian, third};
use crate::landscape::{Landscape, Visitor};
use crate::quadrature::Cubature;
use crate::theory::statistics;

/// Highest order of the diagram expansion implemented (any T: the embedding
/// counts are closed forms); the law carries the tensors its diagrams use.
pub const MAX_ORDER: usize = 4;

/// Highest derivative a diagram of order `MAX_ORDER` uses (a node with
/// `MAX_ORDER − 1` children: ∇^MAX_ORDER l, or the root with `MAX_ORDER` children).
pub const MAX_DERIVATIVE: usize = MAX_ORDER;

/// ∇^k l at one point, k = 0..=MAX_DERIVATIVE, each flattened row-major (D^k
/// entries), then the centred Hessian ∇²l_x − H at [`CENTERED_HESSIAN`].
pub type Tensors = Vec<Vec<f64>>;

/// Where [`Tensors`] keep h_x − H (re-summed values use it: the mean Hessian
/// lives in the propagators I − ηH).
pub const CENTERED_HESSIAN: usize = MAX_DERIVATIVE + 1;

/// One factor of a block: the tensor ∇^k and a flat index into it.
pub type Factor = (usize, usize);

/// What the sample of a block is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// A training point x from the landscape's law (`crate::data_law`).
    Data,
    /// The population loss, no randomness.
    Flow,
    /// l + s·Z with s² = `variance`, Z Gaussian with the per-sample covariance.
    Gaussian { variance: f64 },
}

/// Derivative tensors at θ₀ under the sample law.
#[derive(Clone, Debug)]
pub struct Law {
    pub theta: Vec<f64>,
    pub dim: usize,
    /// Quadrature nodes: weight and ∇^k l_x(θ₀).
    pub nodes: Vec<(f64, Tensors)>,
    /// ∇^k l(θ₀) = E ∇^k l_x(θ₀).
    pub population: Tensors,
}

/// All flat multi-indices of order k in dimension d, row-major.
fn indices(d: usize, k: usize) -> Vec<Vec<usize>> {
    (0..d.pow(k as u32)).map(|flat| (0..k).rev().map(|p| flat / d.pow(p as u32) % d).collect()).collect()
}

/// ∇⁰..∇^MAX_DERIVATIVE of l_x at θ.
fn tensors<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64]) -> Tensors {
    (0..=MAX_DERIVATIVE)
        .map(|k| {
            indices(D, k)
                .into_iter()
                .map(|i| match k {
                    0 => l.loss(theta, x),
                    1 => gradient(l, theta, x)[i[0]],
                    2 => hessian(l, theta, x)[i[0]][i[1]],
                    3 => third(l, theta, x, [i[0], i[1], i[2]]),
                    _ => fourth(l, theta, x, [i[0], i[1], i[2], i[3]]),
                })
                .collect()
        })
        .collect()
}

impl Law {
    /// The law of `l` at θ: on a rule exact for products of MAX_ORDER + 1
    /// per-sample tensors (for a loss not polynomial in x, one of
    /// `THEORY_NODES`: `crate::commands::predict` states its error); an
    /// error where the data law has no moments of that order (Student-t
    /// with small ν).
    pub fn exact<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D]) -> Result<Self> {
        let what = "the diagram expansion (products of five per-sample derivatives)";
        Ok(Law::on_rule(l, theta, statistics::theory_rule(l, theta, MAX_ORDER + 1, what)?.rule))
    }

    /// The law of `l` at θ on `rule` (exact where the rule integrates the
    /// products exactly).
    pub fn on_rule<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], rule: &Cubature) -> Self {
        let nodes: Vec<(f64, Tensors)> = rule.iter().map(|(x, w)| (w, tensors(l, theta, x))).collect();
        Law::with_centred_hessians(theta.to_vec(), D, nodes)
    }

    /// The law of `nodes`' tensors ∇⁰..∇^MAX_DERIVATIVE: adds the population
    /// tensors and the centred Hessians.
    fn with_centred_hessians(theta: Vec<f64>, dim: usize, mut nodes: Vec<(f64, Tensors)>) -> Self {
        let mean = |nodes: &[(f64, Tensors)], k: usize| -> Vec<f64> {
            (0..dim.pow(k as u32)).map(|i| nodes.iter().map(|(w, t)| w * t[k][i]).sum()).collect()
        };
        let mut population: Tensors = (0..=MAX_DERIVATIVE).map(|k| mean(&nodes, k)).collect();
        for (_, t) in &mut nodes {
            t.truncate(CENTERED_HESSIAN);
            let centred = t[2].iter().zip(&population[2]).map(|(h, m)| h - m).collect();
            t.push(centred);
        }
        population.push(vec![0.0; dim * dim]);
        Law { theta, dim, nodes, population }
    }

    /// The same law in the orthonormal basis whose vectors are the columns of
    /// `q` (row-major D×D): every tensor index transformed by qᵀ.
    pub fn rotated(&self, q: &[f64]) -> Self {
        let d = self.dim;
        let rotate = |k: usize, t: &[f64]| -> Vec<f64> {
            let mut out = t.to_vec();
            // Transform one index (mode) at a time: mode m has stride d^(k−1−m).
            for m in 0..k as u32 {
                let stride = d.pow(k as u32 - 1 - m);
                let prev = out.clone();
                for (flat, o) in out.iter_mut().enumerate() {
                    let i = flat / stride % d;
                    let base = flat - i * stride;
                    *o = (0..d).map(|j| q[j * d + i] * prev[base + j * stride]).sum();
                }
            }
            out
        };
        let nodes = self
            .nodes
            .iter()
            .map(|(w, t)| (*w, t[..CENTERED_HESSIAN].iter().enumerate().map(|(k, x)| rotate(k, x)).collect()))
            .collect();
        Law::with_centred_hessians(self.theta.clone(), d, nodes)
    }

    /// E_x of a function of one sample's tensors.
    pub fn expect(&self, f: impl Fn(&Tensors) -> f64) -> f64 {
        self.nodes.iter().map(|(w, t)| w * f(t)).sum()
    }

    /// The population entry ∇^k l\[i\].
    pub fn mean(&self, (k, i): Factor) -> f64 {
        self.population[k][i]
    }

    /// E[∏ factors] over one sample of kind `sampling`.
    pub fn moment(&self, sampling: Sampling, factors: &[Factor]) -> f64 {
        match sampling {
            Sampling::Data => self.expect(|t| factors.iter().map(|&(k, i)| t[k][i]).product()),
            Sampling::Flow => factors.iter().map(|&f| self.mean(f)).product(),
            Sampling::Gaussian { variance } => self.wick(variance, factors),
        }
    }

    /// Cov(∇^a l_x\[i\], ∇^b l_x\[j\]).
    fn covariance(&self, u: Factor, v: Factor) -> f64 {
        let (mu, mv) = (self.mean(u), self.mean(v));
        self.expect(|t| (t[u.0][u.1] - mu) * (t[v.0][v.1] - mv))
    }

    /// E ∏_i (A_i + s Z_i) by Gaussian integration by parts (Wick):
    /// m(S) = A_i m(S∖i) + s² Σ_{j∈S∖i} Cov(Z_i, Z_j) m(S∖{i, j}).
    fn wick(&self, variance: f64, factors: &[Factor]) -> f64 {
        let Some((&first, rest)) = factors.split_first() else { return 1.0 };
        let mut m = self.mean(first) * self.wick(variance, rest);
        for j in 0..rest.len() {
            let others: Vec<Factor> = rest.iter().enumerate().filter(|&(i, _)| i != j).map(|(_, &f)| f).collect();
            m += variance * self.covariance(first, rest[j]) * self.wick(variance, &others);
        }
        m
    }
}

/// [`Law::exact`] for any landscape, at `theta` (validated by the caller).
pub struct Exact<'a>(pub &'a [f64]);

impl Visitor for Exact<'_> {
    type Output = Result<Law>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Result<Law> {
        Law::exact(l, self.0.try_into().expect("θ of the landscape's dimension"))
    }
}

/// Where the law's rule is not exact (a loss not polynomial in x under a
/// continuous data law, `DataLaw::exact`): the law at `theta` on the data
/// law's rule of `nodes` nodes per coordinate of the sample, whose
/// predictions beside [`Exact`]'s state their quadrature error. `None` where
/// the rule is exact.
pub struct Coarse<'a>(pub &'a [f64], pub usize);

impl Visitor for Coarse<'_> {
    type Output = Option<Law>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Option<Law> {
        if l.law().exact(l.degree()) {
            return None;
        }
        let rule = Cubature::tensor(l.law().gauss(self.1)?, l.sample_dim());
        Some(Law::on_rule(l, self.0.try_into().expect("θ of the landscape's dimension"), rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::archimedes::Archimedes;
    use crate::landscape::valley_of_death::ValleyOfDeath;

    /// The fourth derivative by nested hyper-duals equals a central difference
    /// of the third, and the tensors are symmetric.
    #[test]
    fn fourth_derivative_matches_finite_differences() {
        let l = Archimedes;
        let theta = [0.3, -0.2, 0.5];
        let x = &[0.7];
        let h = 1e-4;
        for i in indices(3, 4) {
            let mut up = theta;
            let mut down = theta;
            up[i[3]] += h;
            down[i[3]] -= h;
            let fd = (third(&l, up, x, [i[0], i[1], i[2]]) - third(&l, down, x, [i[0], i[1], i[2]])) / (2.0 * h);
            let ad = fourth(&l, theta, x, [i[0], i[1], i[2], i[3]]);
            assert!((fd - ad).abs() < 1e-5 * (1.0 + ad.abs()), "{i:?}: {fd} vs {ad}");
            assert_eq!(ad, fourth(&l, theta, x, [i[3], i[1], i[0], i[2]]));
        }
    }

    /// Wick's rule reproduces the Gaussian moments of a sample of the law:
    /// E(A + sZ)² = A² + s²Var, E(A + sZ)³ = A³ + 3A s² Var, and cross terms.
    #[test]
    fn gaussian_moments() {
        let law = Law::exact(&ValleyOfDeath, [0.7, -0.3]).unwrap();
        let (g0, h01) = ((1, 0), (2, 1));
        let s2 = 2.5;
        let a = law.mean(g0);
        let var = law.covariance(g0, g0);
        let m2 = law.moment(Sampling::Gaussian { variance: s2 }, &[g0, g0]);
        assert!((m2 - (a * a + s2 * var)).abs() < 1e-12 * m2.abs());
        let m3 = law.moment(Sampling::Gaussian { variance: s2 }, &[g0, g0, g0]);
        assert!((m3 - (a.powi(3) + 3.0 * a * s2 * var)).abs() < 1e-12 * m3.abs().max(1.0));
        let b = law.mean(h01);
        let cross = law.moment(Sampling::Gaussian { variance: s2 }, &[g0, h01]);
        assert!((cross - (a * b + s2 * law.covariance(g0, h01))).abs() < 1e-12);
        // Flow ignores the noise; Data sees the full law.
        assert_eq!(law.moment(Sampling::Flow, &[g0, g0]), a * a);
        assert!((law.moment(Sampling::Data, &[g0, g0]) - (a * a + var)).abs() < 1e-12);
    }
}
