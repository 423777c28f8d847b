//! Mean Estimation (seed 001, App. C.1): l_x(θ) = ½ H θ² + x S θ.
//!
//! Hessian H, gradient covariance C = S²; test loss ½ H θ². The family on
//! which Corollary 2 compares flat and sharp minima.

use super::definition::{BuiltIn, Param};
use num_dual::DualNum;

#[derive(Clone, Copy, Debug)]
pub struct MeanEstimation {
    /// Curvature H.
    pub h: f64,
    /// Noise scale S (C = S²).
    pub s: f64,
}

impl BuiltIn<1> for MeanEstimation {
    const NAME: &'static str = "mean-estimation";
    const FORMULA: &'static str = "l_x(θ) = ½·H·θ² + x·S·θ";
    const WEIGHTS: [&'static str; 1] = ["θ"];
    const PARAMS: &'static [Param] = &[
        Param { name: "H", default: 1.0, meaning: "Hessian (curvature)" },
        Param { name: "S", default: 1.0, meaning: "noise scale: gradient covariance C = S²" },
    ];
    const INIT: [f64; 1] = [0.0];
    const DEGREE: usize = 1;
    const WGSL: &'static str = include_str!("mean_estimation.wgsl");
    const STABLE_ETA: f64 = 0.1;

    fn from_params(values: &[f64]) -> Self {
        MeanEstimation { h: values[0], s: values[1] }
    }

    fn params(&self) -> Vec<f64> {
        vec![self.h, self.s]
    }

    /// l = ½Hθ² ≥ 0 for H ≥ 0 (unbounded below for H < 0).
    fn test_loss_floor(&self) -> Option<f64> {
        (self.h >= 0.0).then_some(0.0)
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, [t]: [T; 1], x: f64) -> T {
        t * t * (0.5 * self.h) + t * (x * self.s)
    }

    #[inline(always)]
    fn grad(&self, [t]: [f64; 1], x: f64) -> [f64; 1] {
        [self.h * t + x * self.s]
    }
}
