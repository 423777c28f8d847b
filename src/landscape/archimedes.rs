//! Archimedes (seed 001, App. C.1 and §3): a screw-symmetric valley of global
//! minima along the z axis, l_x(u, v, z) = ½ H(θ) + x S(θ) with
//! H = u² + v² + (cos z·u + sin z·v)², S = cos(z − π/4)·u + sin(z − π/4)·v.
//!
//! Test loss ½ H; gradient noise is x ∇S, so C = ∇S ∇Sᵀ has rank one and turns
//! with z: the anisotropy behind SGD's drift along +z (Corollary 1).

use super::definition::{BuiltIn, Param};
use crate::fastmath;
use num_dual::DualNum;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_4};

#[derive(Clone, Copy, Debug, Default)]
pub struct Archimedes;

impl BuiltIn<3> for Archimedes {
    const NAME: &'static str = "archimedes";
    const FORMULA: &'static str = "l_x(u,v,z) = ½(u² + v² + (cos z·u + sin z·v)²) + x·(cos(z−π/4)·u + sin(z−π/4)·v)";
    const WEIGHTS: [&'static str; 3] = ["u", "v", "z"];
    const PARAMS: &'static [Param] = &[];
    const INIT: [f64; 3] = [0.0; 3];
    const DEGREE: usize = 1;
    const WGSL: &'static str = include_str!("archimedes.wgsl");
    const STABLE_ETA: f64 = 0.1;

    fn from_params(_: &[f64]) -> Self {
        Archimedes
    }

    /// E x = 0, so l = ½(u² + v² + (cos z·u + sin z·v)²) ≥ 0.
    fn test_loss_floor(&self) -> Option<f64> {
        Some(0.0)
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [u, v, z]: [T; 3], x: f64) -> T {
        let w = z.cos() * u + z.sin() * v;
        let s = (z - FRAC_PI_4).cos() * u + (z - FRAC_PI_4).sin() * v;
        (u * u + v * v + w * w) * 0.5 + s * x
    }

    /// With c = cos z, s = sin z, w = c u + s v, cos(z − π/4) = (c + s)/√2 and
    /// sin(z − π/4) = (s − c)/√2:
    /// ∂u = u + w c + x (c + s)/√2, ∂v = v + w s + x (s − c)/√2,
    /// ∂z = w (c v − s u) + x ((c + s) v − (s − c) u)/√2.
    #[inline(always)]
    fn grad(&self, [u, v, z]: [f64; 3], x: f64) -> [f64; 3] {
        let (s, c) = fastmath::sincos(z);
        let w = c * u + s * v;
        let a = FRAC_1_SQRT_2 * (c + s);
        let b = FRAC_1_SQRT_2 * (s - c);
        [u + w * c + x * a, v + w * s + x * b, w * (c * v - s * u) + x * (a * v - b * u)]
    }
}
