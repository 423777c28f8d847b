//! The landscape traits: [`Landscape`], what generic code (the backends, the
//! theory, the reports) asks of a landscape, all of it through an instance so
//! that a landscape known only at run time can answer; and [`BuiltIn`], what
//! one landscape file defines (its loss, once, generic over the number type;
//! its hand-written gradient; its constants), which makes it a [`Landscape`].
//! Also the exact expectations every landscape gets from quadrature.

use super::limits::{LANES, MAX_SAMPLE};
use crate::data_law::DataLaw;
use crate::error::Result;
use crate::quadrature::{Cubature, MAX_NODES};
use num_dual::DualNum;
use std::borrow::Cow;

/// A built-in landscape's parameter: name, default value, meaning.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    pub meaning: &'static str,
}

/// A parameter as [`Description`] reports it: name, default, meaning and the
/// value in effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub default: f64,
    pub meaning: String,
    /// The value this landscape was built with.
    pub value: f64,
}

/// What `simsgd landscapes` and the reports say about a landscape.
#[derive(Clone, Debug)]
pub struct Description {
    pub name: String,
    pub formula: String,
    pub weights: Vec<String>,
    /// Settable parameters with their values, in the order they are packed
    /// (the GPU's parameter slots).
    pub params: Vec<Parameter>,
    pub init: Vec<f64>,
    pub default_steps: usize,
    /// [`BuiltIn::STABLE_ETA`].
    pub stable_eta: f64,
    /// [`BuiltIn::LISTED`].
    pub listed: bool,
    /// [`Landscape::test_loss_floor`].
    pub test_loss_floor: Option<f64>,
    /// [`Landscape::law`].
    pub law: DataLaw,
    /// [`Landscape::sample_dim`].
    pub sample_dim: usize,
}

impl Description {
    /// How a rule's nodes count for its sample: "" for a scalar x, " per
    /// coordinate of x1..xk" for a vector (the rule is their tensor product).
    pub fn per_coordinate(&self) -> String {
        match self.sample_dim {
            1 => String::new(),
            k => format!(" per coordinate of x1..x{k}"),
        }
    }
}

/// A landscape on `D`-dimensional weights, as generic code uses it: every
/// property is asked of the instance, so a landscape whose name, weights,
/// parameters, degree and WGSL are known only at run time implements it as
/// well as a [`BuiltIn`] one (which implements it through the blanket impl
/// below).
pub trait Landscape<const D: usize>: Clone + Send + Sync + 'static {
    /// Name on the command line.
    fn name(&self) -> &str;

    /// Name, formula, weights, parameters with their values, default init
    /// and the rest of what `simsgd landscapes` and the reports say about it.
    fn describe(&self) -> Description;

    /// Degree of l_x(θ) as a polynomial in x (fixes the quadrature rule);
    /// `None` for a formula that is not a polynomial in x, whose expectations
    /// come from rules of many nodes (`DataLaw::cubature_for`).
    fn degree(&self) -> Option<usize>;

    /// Its WGSL for the GPU backend: `loss(θ, x)`, `grad(θ, x)` and
    /// `hess(θ, x)` (see [`BuiltIn::WGSL`] for the contract).
    fn wgsl(&self) -> Cow<'static, str>;

    /// Default initialization.
    fn init(&self) -> [f64; D];

    /// Its parameter values, in the order of [`Description::params`] (the
    /// GPU's parameter slots).
    fn params(&self) -> Vec<f64>;

    /// The infimum over θ of the test loss l(θ) = E_x l_x(θ), where it is
    /// bounded below: a predicted test loss under it is outside the loss's
    /// range (`crate::theory::validity`). `None`: unbounded below, or not
    /// known.
    fn test_loss_floor(&self) -> Option<f64>;

    /// The per-sample loss l_x(θ) at a training point x of
    /// [`Landscape::sample_dim`] coordinates, generic over the number type so
    /// that dual numbers give its derivatives.
    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, theta: [T; D], x: &[f64]) -> T;

    /// ∇l_x(θ), for the hot loops; pinned to automatic differentiation by tests.
    fn grad(&self, theta: [f64; D], x: &[f64]) -> [f64; D];

    /// ∇l_x(θ) for a block of [`LANES`] trials at once (structure of arrays:
    /// `theta[d][lane]`, coordinate c of each lane's point `x[c][lane]`),
    /// lane by lane through [`Landscape::grad`] unless a landscape evaluates
    /// a whole block faster.
    #[inline(always)]
    fn grad_lanes(&self, theta: &[[f64; LANES]; D], x: &[[f64; LANES]]) -> [[f64; LANES]; D] {
        let mut out = [[0.0; LANES]; D];
        for lane in 0..LANES {
            let point: [f64; MAX_SAMPLE] = std::array::from_fn(|c| x.get(c).map_or(0.0, |row| row[lane]));
            let g = self.grad(std::array::from_fn(|d| theta[d][lane]), &point[..x.len()]);
            for d in 0..D {
                out[d][lane] = g[d];
            }
        }
        out
    }

    /// Coordinates of a training point x (1 to [`MAX_SAMPLE`]): independent,
    /// each with the law [`Landscape::law`]. 1 unless a formula writes
    /// x1..xk.
    fn sample_dim(&self) -> usize {
        1
    }

    /// The law of a training point x: N(0, 1) unless a formula says otherwise.
    fn law(&self) -> DataLaw {
        DataLaw::Normal
    }

    /// The rule for expectations of products of `factors` per-sample
    /// quantities, over the sample's [`Landscape::sample_dim`] coordinates
    /// (`DataLaw::cubature_for`; `what` names the consumer in its errors).
    fn cubature(&self, factors: usize, what: &str) -> Result<&'static Cubature> {
        self.law().cubature_for(self.degree(), factors, self.sample_dim(), what)
    }

    /// The quadrature rule of l_x, ∇l_x and products of two gradients:
    /// exact for a loss polynomial in x (`DataLaw::cubature_for`).
    fn rule(&self) -> &'static Cubature {
        self.cubature(2, "the simulators")
            .expect("a landscape's law has the moments of twice its degree (checked when it is made)")
    }

    /// Whether the training-set mean of l_x is exact from the rule's nodes
    /// (empirical Lagrange weights: l_x polynomial in a scalar x, or a
    /// Rademacher law whose points are the nodes) rather than by evaluating
    /// l_x at every point.
    fn lagrange_train_loss(&self) -> bool {
        self.sample_dim() == 1 && self.law().exact(self.degree())
    }

    /// Where expectations are not exact (`DataLaw::exact`): the largest
    /// difference of l, G and C at θ between the simulators' rule and one of
    /// three quarters its nodes, which bounds the simulators' rule's
    /// quadrature error wherever the error falls with the nodes (the smooth
    /// losses a formula writes). `None` where exact.
    fn quadrature_error(&self, theta: [f64; D]) -> Option<f64> {
        let law = self.law();
        if law.exact(self.degree()) {
            return None;
        }
        let rule = self.rule();
        let coarse = Cubature::tensor(law.gauss(3 * rule.base.nodes.len() / 4)?, self.sample_dim());
        let stats = |rule: &Cubature| {
            let (g, c) = gradient_moments(rule, |x| self.grad(theta, x));
            let mut v = vec![rule.expect(|x| self.loss(theta, x))];
            v.extend(g);
            v.extend(c.iter().flatten());
            v
        };
        Some(stats(rule).iter().zip(stats(coarse)).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
    }

    /// Test loss l(θ) = E_x l_x(θ).
    fn test_loss(&self, theta: [f64; D]) -> f64 {
        self.rule().expect(|x| self.loss(theta, x))
    }

    /// Mean gradient G(θ) = E_x ∇l_x(θ), exact.
    fn mean_gradient(&self, theta: [f64; D]) -> [f64; D] {
        let rule = self.rule();
        let mut g = [0.0; D];
        for (x, w) in rule.iter() {
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
        gradient_moments(self.rule(), |x| self.grad(theta, x))
    }
}

/// A landscape compiled into simsgd: one file defining its constants, loss
/// and gradient, and one line in the `registry!` (`crate::landscape`), which
/// checks the constants against the GPU kernels' limits when the crate is
/// compiled. Every `BuiltIn` is a [`Landscape`].
pub trait BuiltIn<const D: usize>: Clone + Send + Sync + 'static {
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

    /// The per-sample loss l_x(θ) (x a scalar: a built-in's sample is),
    /// generic over the number type so that dual numbers give its derivatives.
    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, theta: [T; D], x: f64) -> T;

    /// ∇l_x(θ), hand-written for the hot loops with vectorisable arithmetic
    /// (`crate::fastmath`); pinned to automatic differentiation by tests.
    fn grad(&self, theta: [f64; D], x: f64) -> [f64; D];
}

impl<L: BuiltIn<D>, const D: usize> Landscape<D> for L {
    fn name(&self) -> &str {
        L::NAME
    }

    fn describe(&self) -> Description {
        Description {
            name: L::NAME.to_string(),
            formula: L::FORMULA.to_string(),
            weights: L::WEIGHTS.iter().map(|w| w.to_string()).collect(),
            params: L::PARAMS
                .iter()
                .zip(<L as BuiltIn<D>>::params(self))
                .map(|(p, value)| Parameter {
                    name: p.name.to_string(),
                    default: p.default,
                    meaning: p.meaning.to_string(),
                    value,
                })
                .collect(),
            init: L::INIT.to_vec(),
            default_steps: L::DEFAULT_STEPS,
            stable_eta: L::STABLE_ETA,
            listed: L::LISTED,
            test_loss_floor: <L as BuiltIn<D>>::test_loss_floor(self),
            law: DataLaw::Normal,
            sample_dim: 1,
        }
    }

    fn degree(&self) -> Option<usize> {
        Some(L::DEGREE)
    }

    fn wgsl(&self) -> Cow<'static, str> {
        Cow::Borrowed(L::WGSL)
    }

    fn init(&self) -> [f64; D] {
        L::INIT
    }

    fn params(&self) -> Vec<f64> {
        <L as BuiltIn<D>>::params(self)
    }

    fn test_loss_floor(&self) -> Option<f64> {
        <L as BuiltIn<D>>::test_loss_floor(self)
    }

    #[inline(always)]
    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, theta: [T; D], x: &[f64]) -> T {
        <L as BuiltIn<D>>::loss(self, theta, x[0])
    }

    #[inline(always)]
    fn grad(&self, theta: [f64; D], x: &[f64]) -> [f64; D] {
        <L as BuiltIn<D>>::grad(self, theta, x[0])
    }

    /// Lane by lane through the hand-written scalar gradient.
    #[inline(always)]
    fn grad_lanes(&self, theta: &[[f64; LANES]; D], x: &[[f64; LANES]]) -> [[f64; LANES]; D] {
        let x = &x[0];
        let mut out = [[0.0; LANES]; D];
        for lane in 0..LANES {
            let g = <L as BuiltIn<D>>::grad(self, std::array::from_fn(|d| theta[d][lane]), x[lane]);
            for d in 0..D {
                out[d][lane] = g[d];
            }
        }
        out
    }
}

/// Mean and covariance of a vector function of x under a quadrature rule,
/// in two passes (the covariance about the mean): the first [`MAX_NODES`]
/// points' values kept on the stack (no allocation), any beyond (a product
/// rule's) evaluated again in the second pass.
pub fn gradient_moments<const D: usize>(
    rule: &Cubature,
    mut g: impl FnMut(&[f64]) -> [f64; D],
) -> ([f64; D], [[f64; D]; D]) {
    let mut gs = [[0.0; D]; MAX_NODES];
    let mut mean = [0.0; D];
    for (k, (x, w)) in rule.iter().enumerate() {
        let gk = g(x);
        if k < MAX_NODES {
            gs[k] = gk;
        }
        for d in 0..D {
            mean[d] += w * gk[d];
        }
    }
    let mut cov = [[0.0; D]; D];
    for (k, (x, w)) in rule.iter().enumerate() {
        let gk = if k < MAX_NODES { gs[k] } else { g(x) };
        for i in 0..D {
            for j in 0..D {
                cov[i][j] += w * (gk[i] - mean[i]) * (gk[j] - mean[j]);
            }
        }
    }
    (mean, cov)
}
