//! Shifting Valleys (seed 000, §2.0): l_x(A, B) = A + (B − A x)² − A².
//!
//! E (B − A x)² = B² + A², so the test loss is l(A, B) = A + B² (seed 000's
//! value, confirmed). Quadratic in θ, so E θ and E θθᵀ propagate exactly under
//! SGD and GD: the exact polynomials live in the tests.

use super::definition::{BuiltIn, Param};
use num_dual::DualNum;

#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftingValleys;

impl BuiltIn<2> for ShiftingValleys {
    const NAME: &'static str = "shifting-valleys";
    const FORMULA: &'static str = "l_x(A,B) = A + (B − A·x)² − A²";
    const WEIGHTS: [&'static str; 2] = ["A", "B"];
    const PARAMS: &'static [Param] = &[];
    const INIT: [f64; 2] = [1.0, 1.0];
    const DEGREE: usize = 2;
    const WGSL: &'static str = include_str!("shifting_valleys.wgsl");
    const STABLE_ETA: f64 = 0.01;

    fn from_params(_: &[f64]) -> Self {
        ShiftingValleys
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [a, b]: [T; 2], x: f64) -> T {
        let r = b - a * x;
        a + r * r - a * a
    }

    /// With r = B − A x: ∂A = 1 − 2 x r − 2 A, ∂B = 2 r.
    #[inline(always)]
    fn grad(&self, [a, b]: [f64; 2], x: f64) -> [f64; 2] {
        let r = b - a * x;
        [1.0 - 2.0 * x * r - 2.0 * a, 2.0 * r]
    }
}
