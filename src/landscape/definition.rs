//! The [`Landscape`] trait: what one landscape file defines (its loss, once,
//! generic over the number type; its hand-written gradient; its constants),
//! and the exact expectations every landscape gets from quadrature.

use crate::quadrature::{GaussHermite, MAX_NODES};
use num_dual::DualNum;

/// A landscape parameter: name, default value, meaning.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    pub meaning: &'static str,
}

/// A landscape on `D`-dimensional weights.
pub trait Landscape<const D: usize>: Clone + Send + Sync + 'static {
    /// Name on the command line.
    const NAME: &'static str;
    /// The per-sample loss as a formula, for `simsgd landscapes`.
    const FORMULA: &'static str;
    /// Names of the weights.
    const WEIGHTS: [&'static str; D];
    /// Settable parameters, in the order `from_params` takes them.
    const PARAMS: &'static [Param];
    /// Default initialization.
    const INIT: [f64; D];
    /// Degree of l_x(θ) as a polynomial in x (fixes the quadrature rule).
    const DEGREE: usize;
    /// Its WGSL for the GPU backend, `include_str!` of the `.wgsl` beside its
    /// file: `loss(θ, x)`, `grad(θ, x)` on `vec4<f32>` weights and
    /// `hess(θ, x) -> mat3x3<f32>` (zero beyond `DIM`; invhess's steps), the
    /// derivatives pinned to `loss`'s automatic ones by tests (through
    /// `crate::backend::gpu::probe::derivatives`). The generated prelude
    /// (`crate::backend::gpu::shader`) gives it `DIM` and, per parameter
    /// `NAME`, `param_NAME() -> f32`; it never reads `cfg` itself (the
    /// registry rejects that when compiled).
    const WGSL: &'static str;
    /// Steps T when `--steps` is not given.
    const DEFAULT_STEPS: usize = 10;
    /// A step size at which few trials diverge over a thousand SGD steps from
    /// `INIT`: the bench's and the generic tests' η.
    const STABLE_ETA: f64;
    /// Whether `simsgd landscapes` lists it (a test-only landscape is not
    /// listed, but resolves by name like any other).
    const LISTED: bool = true;

    /// Builds the landscape from parameter values in `PARAMS` order.
    fn from_params(values: &[f64]) -> Self;

    /// Its parameter values, in `PARAMS` order.
    fn params(&self) -> Vec<f64> {
        Vec::new()
    }

    /// The infimum over θ of the test loss l(θ) = E_x l_x(θ), where it is
    /// bounded below (derived in each landscape's docs): a predicted test
    /// loss under it is outside the loss's range
    /// (`crate::theory::validity`). `None`: unbounded below, or not known.
    fn test_loss_floor(&self) -> Option<f64> {
        None
    }

    /// The per-sample loss l_x(θ), generic over the number type so that dual
    /// numbers give its derivatives.
    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, theta: [T; D], x: f64) -> T;

    /// ∇l_x(θ), hand-written for the hot loops with vectorisable arithmetic
    /// (`crate::fastmath`); pinned to automatic differentiation by tests.
    fn grad(&self, theta: [f64; D], x: f64) -> [f64; D];

    /// The quadrature rule that makes expectations of l_x, ∇l_x and products of
    /// two gradients exact.
    fn rule() -> &'static GaussHermite {
        GaussHermite::exact_for(2 * Self::DEGREE)
    }

    /// Test loss l(θ) = E_x l_x(θ).
    fn test_loss(&self, theta: [f64; D]) -> f64 {
        Self::rule().expect(|x| self.loss(theta, x))
    }

    /// Mean gradient G(θ) = E_x ∇l_x(θ), exact.
    fn mean_gradient(&self, theta: [f64; D]) -> [f64; D] {
        let rule = Self::rule();
        let mut g = [0.0; D];
        for (&x, &w) in rule.nodes.iter().zip(&rule.weights) {
            let gx = self.grad(theta, x);
            for d in 0..D {
                g[d] += w * gx[d];
            }
        }
        g
    }

    /// Mean gradient G(θ) = E_x ∇l_x(θ) and gradient covariance
    /// C(θ) = E_x (∇l_x - G)(∇l_x - G)ᵀ, both exact.
    fn gradient_moments(&self, theta: [f64; D]) -> ([f64; D], [[f64; D]; D]) {
        gradient_moments(Self::rule(), |x| self.grad(theta, x))
    }
}

/// Mean and covariance of a vector function of x under a quadrature rule of at
/// most [`MAX_NODES`] nodes (no allocation: the SDE calls this every substep).
pub fn gradient_moments<const D: usize>(
    rule: &GaussHermite,
    mut g: impl FnMut(f64) -> [f64; D],
) -> ([f64; D], [[f64; D]; D]) {
    let m = rule.nodes.len();
    assert!(m <= MAX_NODES, "quadrature rule too large");
    let mut gs = [[0.0; D]; MAX_NODES];
    let mut mean = [0.0; D];
    for k in 0..m {
        gs[k] = g(rule.nodes[k]);
        for d in 0..D {
            mean[d] += rule.weights[k] * gs[k][d];
        }
    }
    let mut cov = [[0.0; D]; D];
    for k in 0..m {
        for i in 0..D {
            for j in 0..D {
                cov[i][j] += rule.weights[k] * (gs[k][i] - mean[i]) * (gs[k][j] - mean[j]);
            }
        }
    }
    (mean, cov)
}
