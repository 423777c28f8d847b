//! Loss landscapes: one definition per file, several consumers.
//!
//! A landscape is a distribution over per-sample losses `l_x(θ)`, x ~ N(0, 1)
//! (seed 001, App. C.1; a formula may draw x from another law,
//! `crate::data_law`). Each one is written once, generic over its number
//! type ([`Landscape::loss`]); gradients, Hessians and third derivatives come
//! from forward-mode automatic differentiation ([`derivatives`]), and the exact
//! expectations (test loss, mean gradient, gradient covariance) from
//! Gauss quadrature, exact where l_x is a polynomial in x
//! ([`Landscape::degree`]; every built-in's is). The hot loops use [`Landscape::grad`] (and
//! [`Landscape::grad_lanes`], a block of trials at once), a hand-written
//! gradient that a test pins to the automatic one.
//!
//! Generic code asks everything of a landscape through an instance
//! ([`Landscape`]: its name, degree, WGSL, parameters), so a landscape known
//! only at run time can be one; the built-in ones state theirs as constants
//! ([`BuiltIn`]), which the registry checks when the crate is compiled.
//!
//! Adding a landscape: one file here implementing [`BuiltIn`] (with its WGSL
//! `loss`, `grad` and `hess` beside it, `foo.wgsl`, for the GPU backend) and one line
//! in the `registry!` below. The registry checks the entry against the GPU
//! kernels' limits when the crate is compiled; the generic tests (derivatives,
//! quadrature against Monte Carlo, CPU against GPU, the CLI) iterate the
//! registry, and the bench and tests take their step size from
//! [`BuiltIn::STABLE_ETA`] ([`Description::stable_eta`]).

mod definition;
pub mod derivatives;
pub mod formula;
pub mod limits;

use crate::error::{usage, Result};
use crate::quadrature::{nodes_exact_for, MAX_NODES};
pub use definition::{gradient_moments, BuiltIn, Description, Landscape, Param, Parameter};
use formula::{Definition, Formula};
use limits::{MAX_DIM, MAX_PARAMS};
use std::sync::Arc;

/// One landscape, its parameters set: what the CLI and the backends hold.
/// Generic code reaches the concrete type through [`AnyLandscape::visit`].
/// An entry `Variant(module::Type, D)` declares `pub mod module` (the file
/// `module.rs` here) and the variant `AnyLandscape::Variant(module::Type)`.
///
/// Each entry is checked when the crate is compiled: at most [`MAX_DIM`]
/// weights, [`MAX_PARAMS`] parameters named as WGSL identifiers, a quadrature
/// rule of at most [`MAX_NODES`] nodes, and WGSL that reads no `cfg` (its
/// parameters only by name).
macro_rules! registry {
    ($($variant:ident($module:ident::$name:ident, $dim:literal)),+ $(,)?) => {
        $(pub mod $module;)+
        registry!(@entries $($variant($module::$name, $dim)),+);
    };
    (@entries $($variant:ident($ty:ty, $dim:literal)),+) => {
        #[derive(Clone, Debug)]
        pub enum AnyLandscape {
            $($variant($ty),)+
            /// A formula on one weight (`formula`).
            Formula1(formula::Formula<1>),
            /// A formula on two weights.
            Formula2(formula::Formula<2>),
            /// A formula on three weights.
            Formula3(formula::Formula<3>),
        }

        $(const _: () = {
            let c = EntryCheck::of::<$ty, $dim>();
            assert!(c.dim, concat!(stringify!($variant), ": more weights than the GPU kernels hold (MAX_DIM)"));
            assert!(c.params, concat!(stringify!($variant), ": more parameters than the GPU config packs (MAX_PARAMS)"));
            assert!(c.names, concat!(stringify!($variant), ": a parameter name is not an identifier (param_NAME in WGSL)"));
            assert!(c.rule, concat!(stringify!($variant), ": a quadrature rule beyond MAX_NODES nodes (DEGREE too high)"));
            assert!(c.wgsl, concat!(stringify!($variant), ": its WGSL reads cfg or defines DIM (use the generated param_NAME(), DIM)"));
        };)+

        /// Generic code over every landscape (a backend, a printer).
        pub trait Visitor {
            type Output;
            fn visit<L: Landscape<D>, const D: usize>(self, landscape: &L) -> Self::Output;
        }

        impl AnyLandscape {
            /// Names of all landscapes in registry order, unlisted ones included.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as BuiltIn<$dim>>::NAME),+];

            /// Names of the landscapes `simsgd landscapes` lists, in listing order.
            pub const LISTED: &'static [&'static str] = &listed::<{ count(&[$(<$ty as BuiltIn<$dim>>::LISTED),+]) }>(
                Self::NAMES,
                &[$(<$ty as BuiltIn<$dim>>::LISTED),+],
            );

            /// Calls `visitor` with the concrete landscape.
            pub fn visit<V: Visitor>(&self, visitor: V) -> V::Output {
                match self {
                    $(AnyLandscape::$variant(l) => visitor.visit(l),)+
                    AnyLandscape::Formula1(l) => visitor.visit(l),
                    AnyLandscape::Formula2(l) => visitor.visit(l),
                    AnyLandscape::Formula3(l) => visitor.visit(l),
                }
            }

            /// Builds a landscape by name from `name=value` assignments.
            pub fn from_name(name: &str, assignments: &[(String, f64)]) -> Result<Self> {
                $(if name == <$ty as BuiltIn<$dim>>::NAME {
                    let declared: Vec<(&str, f64)> =
                        <$ty as BuiltIn<$dim>>::PARAMS.iter().map(|p| (p.name, p.default)).collect();
                    let values = param_values(&declared, name, assignments)?;
                    return Ok(AnyLandscape::$variant(<$ty as BuiltIn<$dim>>::from_params(&values)));
                })+
                Err(usage(format!("unknown landscape '{name}' (known: {})", Self::LISTED.join(", "))))
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
    TiltedBowl(tilted_bowl::TiltedBowl, 2),
}

/// A registry entry against the GPU kernels' limits and the WGSL contract,
/// evaluated when the crate is compiled (the `registry!` asserts each field).
struct EntryCheck {
    /// 1 ≤ D ≤ [`MAX_DIM`].
    dim: bool,
    /// At most [`MAX_PARAMS`] parameters.
    params: bool,
    /// Every parameter name an ASCII identifier (its WGSL accessor `param_NAME`).
    names: bool,
    /// A quadrature rule of at most [`MAX_NODES`] nodes.
    rule: bool,
    /// WGSL that reads no `cfg` (parameters by name only) and defines no `DIM`.
    wgsl: bool,
}

impl EntryCheck {
    const fn of<L: BuiltIn<D>, const D: usize>() -> Self {
        let mut names = true;
        let mut i = 0;
        while i < L::PARAMS.len() {
            names &= is_identifier(L::PARAMS[i].name);
            i += 1;
        }
        EntryCheck {
            dim: D >= 1 && D <= MAX_DIM,
            params: L::PARAMS.len() <= MAX_PARAMS,
            names,
            rule: nodes_exact_for(2 * L::DEGREE) <= MAX_NODES,
            wgsl: !contains(L::WGSL, "cfg") && !contains(L::WGSL, "const DIM"),
        }
    }
}

/// Whether `s` is an ASCII identifier (a WGSL function name once prefixed).
const fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            return false;
        }
        i += 1;
    }
    !b.is_empty()
}

/// Whether `haystack` contains `needle`.
const fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let mut i = 0;
    while i + n.len() <= h.len() {
        let mut j = 0;
        while j < n.len() && h[i + j] == n[j] {
            j += 1;
        }
        if j == n.len() {
            return true;
        }
        i += 1;
    }
    false
}

/// How many flags are set.
const fn count(flags: &[bool]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < flags.len() {
        n += flags[i] as usize;
        i += 1;
    }
    n
}

/// The names whose flag is set, in order (`N` of them).
const fn listed<const N: usize>(names: &[&'static str], flags: &[bool]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut k) = (0, 0);
    while i < names.len() {
        if flags[i] {
            out[k] = names[i];
            k += 1;
        }
        i += 1;
    }
    out
}

impl AnyLandscape {
    /// The landscape a spec names: its formula where it has one, otherwise
    /// the built-in called `name`; parameters set by `assignments`.
    pub fn build(name: &str, formula: Option<&Definition>, assignments: &[(String, f64)]) -> Result<Self> {
        let Some(definition) = formula else { return Self::from_name(name, assignments) };
        let compiled = Arc::new(definition.compile()?);
        let declared: Vec<(&str, f64)> = definition.params.iter().map(|p| (p.name.as_str(), p.default)).collect();
        let values = param_values(&declared, &definition.name, assignments)?;
        let definition = Arc::new(definition.clone());
        Ok(match definition.weights.len() {
            1 => AnyLandscape::Formula1(Formula::new(definition, compiled, values)),
            2 => AnyLandscape::Formula2(Formula::new(definition, compiled, values)),
            _ => AnyLandscape::Formula3(Formula::new(definition, compiled, values)),
        })
    }
}

/// Parameter values in declaration order (`(name, default)`): defaults
/// overridden by `assignments`.
fn param_values(params: &[(&str, f64)], landscape: &str, assignments: &[(String, f64)]) -> Result<Vec<f64>> {
    let mut values: Vec<f64> = params.iter().map(|p| p.1).collect();
    for (k, (key, value)) in assignments.iter().enumerate() {
        let Some(i) = params.iter().position(|p| p.0 == key) else {
            let known: Vec<&str> = params.iter().map(|p| p.0).collect();
            let known =
                if known.is_empty() { "it has none".to_string() } else { format!("known: {}", known.join(", ")) };
            return Err(usage(format!("unknown parameter '{key}' for {landscape} ({known})")));
        };
        if let Some((_, first)) = assignments[..k].iter().find(|(other, _)| other == key) {
            return Err(usage(format!("--param {key} is given twice ({key}={first}, then {key}={value})")));
        }
        if !value.is_finite() {
            return Err(usage(format!("--param {key} must be finite, got {value}")));
        }
        values[i] = *value;
    }
    Ok(values)
}

struct Describe;

impl Visitor for Describe {
    type Output = Description;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Description {
        l.describe()
    }
}

impl AnyLandscape {
    /// Name, formula, weights, parameter values, default init and the rest of
    /// what the trait says about it.
    pub fn describe(&self) -> Description {
        self.visit(Describe)
    }

    /// Number of weights.
    pub fn dim(&self) -> usize {
        self.describe().weights.len()
    }

    /// [`Landscape::quadrature_error`] at `theta` (of the landscape's dimension).
    pub fn quadrature_error(&self, theta: &[f64]) -> Option<f64> {
        self.visit(QuadratureError(theta))
    }
}

struct QuadratureError<'a>(&'a [f64]);

impl Visitor for QuadratureError<'_> {
    type Output = Option<f64>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Option<f64> {
        l.quadrature_error(self.0.try_into().expect("θ of the landscape's dimension"))
    }
}
