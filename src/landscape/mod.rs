//! Loss landscapes: one definition per file, several consumers.
//!
//! A landscape is a distribution over per-sample losses `l_x(θ)`, x ~ N(0, 1)
//! (seed 001, App. C.1). Each one is written once, generic over its number
//! type ([`Landscape::loss`]); gradients, Hessians and third derivatives come
//! from forward-mode automatic differentiation ([`derivatives`]), and the exact
//! expectations (test loss, mean gradient, gradient covariance) from
//! Gauss–Hermite quadrature, exact because every l_x is a polynomial in x
//! ([`Landscape::DEGREE`]). The hot loops use [`Landscape::grad`], a
//! hand-written gradient that a test pins to the automatic one.

pub mod archimedes;
pub mod derivatives;
pub mod gauss;
pub mod mean_estimation;
pub mod shifting_valleys;
pub mod valley_of_death;

use crate::error::{usage, Result};
use crate::quadrature::GaussHermite;
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
    /// Its WGSL for the GPU backend: `DIM`, `loss(θ, x)` and `grad(θ, x)` on
    /// `vec4<f32>` weights (shaders/landscapes/), pinned to `loss` by tests.
    const WGSL: &'static str;
    /// Steps T when `--steps` is not given.
    const DEFAULT_STEPS: usize = 10;

    /// Builds the landscape from parameter values in `PARAMS` order.
    fn from_params(values: &[f64]) -> Self;

    /// Its parameter values, in `PARAMS` order.
    fn params(&self) -> Vec<f64> {
        Vec::new()
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
/// most 16 nodes (no allocation: the SDE calls this every substep).
pub fn gradient_moments<const D: usize>(
    rule: &GaussHermite,
    mut g: impl FnMut(f64) -> [f64; D],
) -> ([f64; D], [[f64; D]; D]) {
    const MAX_NODES: usize = 16;
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

/// One landscape, its parameters set: what the CLI and the backends hold.
/// Generic code reaches the concrete type through [`AnyLandscape::visit`].
macro_rules! registry {
    ($($variant:ident($ty:ty, $dim:literal)),+ $(,)?) => {
        #[derive(Clone, Debug)]
        pub enum AnyLandscape {
            $($variant($ty)),+
        }

        /// Generic code over every landscape (a backend, a printer).
        pub trait Visitor {
            type Output;
            fn visit<L: Landscape<D>, const D: usize>(self, landscape: &L) -> Self::Output;
        }

        impl AnyLandscape {
            /// Names of all landscapes, in listing order.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as Landscape<$dim>>::NAME),+];

            /// Calls `visitor` with the concrete landscape.
            pub fn visit<V: Visitor>(&self, visitor: V) -> V::Output {
                match self {
                    $(AnyLandscape::$variant(l) => visitor.visit(l)),+
                }
            }

            /// Builds a landscape by name from `name=value` assignments.
            pub fn from_name(name: &str, assignments: &[(String, f64)]) -> Result<Self> {
                $(if name == <$ty as Landscape<$dim>>::NAME {
                    let values = param_values(<$ty as Landscape<$dim>>::PARAMS, name, assignments)?;
                    return Ok(AnyLandscape::$variant(<$ty as Landscape<$dim>>::from_params(&values)));
                })+
                Err(usage(format!("unknown landscape '{name}' (known: {})", Self::NAMES.join(", "))))
            }
        }
    };
}

registry! {
    Gauss(gauss::Gauss, 1),
    Archimedes(archimedes::Archimedes, 3),
    MeanEstimation(mean_estimation::MeanEstimation, 1),
    ShiftingValleys(shifting_valleys::ShiftingValleys, 2),
    ValleyOfDeath(valley_of_death::ValleyOfDeath, 2),
}

/// Parameter values in `params` order: defaults overridden by `assignments`.
fn param_values(params: &[Param], landscape: &str, assignments: &[(String, f64)]) -> Result<Vec<f64>> {
    let mut values: Vec<f64> = params.iter().map(|p| p.default).collect();
    for (key, value) in assignments {
        let Some(i) = params.iter().position(|p| p.name == key) else {
            let known: Vec<&str> = params.iter().map(|p| p.name).collect();
            let known =
                if known.is_empty() { "it has none".to_string() } else { format!("known: {}", known.join(", ")) };
            return Err(usage(format!("unknown parameter '{key}' for {landscape} ({known})")));
        };
        if !value.is_finite() {
            return Err(usage(format!("parameter {key} must be finite, got {value}")));
        }
        values[i] = *value;
    }
    Ok(values)
}

/// What `simsgd landscapes` and the reports say about a landscape.
#[derive(Clone, Debug)]
pub struct Description {
    pub name: &'static str,
    pub formula: &'static str,
    pub weights: Vec<&'static str>,
    pub params: Vec<(Param, f64)>,
    pub init: Vec<f64>,
    pub default_steps: usize,
}

struct Describe;

impl Visitor for Describe {
    type Output = Description;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Description {
        Description {
            name: L::NAME,
            formula: L::FORMULA,
            weights: L::WEIGHTS.to_vec(),
            params: L::PARAMS.iter().copied().zip(l.params()).collect(),
            init: L::INIT.to_vec(),
            default_steps: L::DEFAULT_STEPS,
        }
    }
}

impl AnyLandscape {
    /// Name, formula, weights, parameter values and default init.
    pub fn describe(&self) -> Description {
        self.visit(Describe)
    }

    /// Number of weights.
    pub fn dim(&self) -> usize {
        self.describe().weights.len()
    }
}
