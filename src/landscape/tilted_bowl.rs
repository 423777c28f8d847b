//! Tilted Bowl (for tests, not listed): l_x(a, b) = ½(a² + 2b²) + ½x²·ab + S x (a + b).
//!
//! E x² = 1, so the test loss is the bowl l(a, b) = ½(a² + 2b²) + ½ab, whose
//! axes the cross term tilts: constant Hessian H = [[1, ½], [½, 2]], G = Hθ.
//! The gradient noise g_x − G = S x (1, 1) + ½(x² − 1)(b, a) has, with
//! Cov(x, x²) = 0 and Var x² = 2, covariance C = S²(1, 1)(1, 1)ᵀ + ½(b, a)(b, a)ᵀ,
//! and each sample's Hessian [[1, ½x²], [½x², 2]] is random.
//!
//! It is the worked example of adding a landscape: this file, its WGSL beside
//! it and one line in the `registry!`; the registry-iterating tests run it on
//! both backends and through the theory.

use super::definition::{BuiltIn, Param};
use num_dual::DualNum;

#[derive(Clone, Copy, Debug)]
pub struct TiltedBowl {
    /// Noise scale S along (1, 1).
    pub s: f64,
}

impl BuiltIn<2> for TiltedBowl {
    const NAME: &'static str = "tilted-bowl";
    const FORMULA: &'static str = "l_x(a,b) = ½(a² + 2b²) + ½x²·ab + S·x·(a + b)";
    const WEIGHTS: [&'static str; 2] = ["a", "b"];
    const PARAMS: &'static [Param] = &[Param { name: "S", default: 1.0, meaning: "noise scale along (1, 1)" }];
    const INIT: [f64; 2] = [1.0, 1.0];
    const DEGREE: usize = 2;
    const WGSL: &'static str = include_str!("tilted_bowl.wgsl");
    const STABLE_ETA: f64 = 0.1;
    const LISTED: bool = false;

    fn from_params(values: &[f64]) -> Self {
        TiltedBowl { s: values[0] }
    }

    /// l = ½(a² + 2b²) + ½ab, positive definite ([[1, ½], [½, 2]]): ≥ 0.
    fn test_loss_floor(&self) -> Option<f64> {
        Some(0.0)
    }

    fn params(&self) -> Vec<f64> {
        vec![self.s]
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [a, b]: [T; 2], x: f64) -> T {
        (a * a + b * b * 2.0) * 0.5 + a * b * (0.5 * x * x) + (a + b) * (self.s * x)
    }

    /// With q = ½x², n = S x: ∂a = a + q b + n, ∂b = 2b + q a + n.
    #[inline(always)]
    fn grad(&self, [a, b]: [f64; 2], x: f64) -> [f64; 2] {
        let q = 0.5 * x * x;
        let n = self.s * x;
        [a + q * b + n, 2.0 * b + q * a + n]
    }
}
