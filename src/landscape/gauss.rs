//! Gauss (seed 001, App. C.1): fit N(0, σ²) to standard normal data with
//! h = log σ², l_x(h) = ½ (h + x² e^(-h)).
//!
//! Test loss l(h) = ½ (h + e^(-h)), minimised at h = 0. The gradient
//! g_x = ½ (1 - x² e^(-h)) is an affine function of a χ²₁, hence skewed noise:
//! G = ½ (1 - e^(-h)), C = ½ e^(-2h).

use super::definition::{BuiltIn, Param};
use crate::fastmath;
use num_dual::DualNum;

#[derive(Clone, Copy, Debug, Default)]
pub struct Gauss;

impl BuiltIn<1> for Gauss {
    const NAME: &'static str = "gauss";
    const FORMULA: &'static str = "l_x(h) = ½(h + x²·e^(−h))";
    const WEIGHTS: [&'static str; 1] = ["h"];
    const PARAMS: &'static [Param] = &[];
    const INIT: [f64; 1] = [0.0];
    const DEGREE: usize = 2;
    const WGSL: &'static str = include_str!("gauss.wgsl");
    const STABLE_ETA: f64 = 0.1;
    const DEFAULT_STEPS: usize = 1;

    fn from_params(_: &[f64]) -> Self {
        Gauss
    }

    /// l(h) = ½(h + e^(−h)) ≥ ½, at h = 0 (l' = ½(1 − e^(−h))).
    fn test_loss_floor(&self) -> Option<f64> {
        Some(0.5)
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [h]: [T; 1], x: f64) -> T {
        (h + (-h).exp() * (x * x)) * 0.5
    }

    #[inline(always)]
    fn grad(&self, [h]: [f64; 1], x: f64) -> [f64; 1] {
        [0.5 * (1.0 - x * x * fastmath::exp(-h))]
    }
}
