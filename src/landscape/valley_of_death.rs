//! Valley of Death (seed 000, §2.1): l_x(A, B) = A + (B − A x)⁴ − 3 A⁴.
//!
//! E (B − A x)⁴ = B⁴ + 6 A² B² + 3 A⁴ (odd moments vanish, E x² = 1,
//! E x⁴ = 3), so the test loss is l(A, B) = A + 6 A² B² + B⁴. Seed 000 prints
//! A + 2 A² B² + B⁴, which is wrong; a test checks 6 against Monte Carlo.
//! The quartic tails make SGD diverge for moderate η: the divergence rule's
//! test case.

use super::definition::{BuiltIn, Param};
use num_dual::DualNum;

#[derive(Clone, Copy, Debug, Default)]
pub struct ValleyOfDeath;

impl BuiltIn<2> for ValleyOfDeath {
    const NAME: &'static str = "valley-of-death";
    const FORMULA: &'static str = "l_x(A,B) = A + (B − A·x)⁴ − 3·A⁴";
    const WEIGHTS: [&'static str; 2] = ["A", "B"];
    const PARAMS: &'static [Param] = &[];
    const INIT: [f64; 2] = [1.0, 1.0];
    const DEGREE: usize = 4;
    const WGSL: &'static str = include_str!("valley_of_death.wgsl");
    const STABLE_ETA: f64 = 0.002;

    fn from_params(_: &[f64]) -> Self {
        ValleyOfDeath
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [a, b]: [T; 2], x: f64) -> T {
        let r = b - a * x;
        let r2 = r * r;
        let a2 = a * a;
        a + r2 * r2 - a2 * a2 * 3.0
    }

    /// With r = B − A x: ∂A = 1 − 4 x r³ − 12 A³, ∂B = 4 r³.
    #[inline(always)]
    fn grad(&self, [a, b]: [f64; 2], x: f64) -> [f64; 2] {
        let r = b - a * x;
        let r3 = r * r * r;
        [1.0 - 4.0 * x * r3 - 12.0 * a * a * a, 4.0 * r3]
    }
}
