//! The rules a [`Sample`]'s summary follows (`summary`): which interval, and
//! the precision floor, under which a CI narrower than what the backend's
//! arithmetic resolves is widened to it (its constant measured in
//! docs/ARCHITECTURE.md, "Statistics").

use super::interval::Interval;
use super::sample::Sample;

/// How a [`Sample`] is summarised: the interval, and the unit roundoff of
/// the arithmetic that produced its values (the precision floor's scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    pub interval: Interval,
    /// 2⁻⁵³ for f64 values (the CPU), 2⁻²⁴ for f32 (the GPU):
    /// `crate::backend::Simulator::unit_roundoff`.
    pub unit_roundoff: f64,
}

impl Default for Rules {
    /// The default interval on f64 values.
    fn default() -> Self {
        Rules { interval: Interval::default(), unit_roundoff: F64_UNIT_ROUNDOFF }
    }
}

/// The unit roundoff of f64, 2⁻⁵³.
pub const F64_UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The precision floor's constant c: a mean of values computed with unit
/// roundoff u is resolved to about c·u·RMS (RMS: the root mean square of the
/// values), plus the rounding of the streaming mean itself. Chosen by
/// measurement (docs/ARCHITECTURE.md, "Statistics"): the largest error seen
/// on constant or near-constant runs was 4·u·RMS (CPU, Gauss at η = 1e-12,
/// the theory's own rounding included) and 0.34·u·RMS (GPU, f32).
pub const FLOOR_ULPS: f64 = 8.0;

impl Rules {
    /// The precision floor of `s`: FLOOR_ULPS·u·RMS, plus the distance
    /// between the streaming (Welford) mean and the compensated sum's mean,
    /// which is the rounding the streaming mean accumulated (it loses the
    /// increments below half an ulp of the running mean when the values
    /// barely differ).
    pub fn floor(&self, s: &Sample) -> f64 {
        let m = &s.moments;
        if m.n == 0 {
            return 0.0;
        }
        let rms = (m.mean * m.mean + m.m2 / m.n as f64).sqrt();
        FLOOR_ULPS * self.unit_roundoff * rms + (m.mean - s.compensated_mean()).abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::interval::t_quantile_975;
    use crate::stats::testing::{sample, skewed};
    use crate::stats::{Interval, Moments, Warnings};

    /// Identical values: SE 0, the CI widened to the floor, z finite or n/a.
    #[test]
    fn constant_samples_get_the_precision_floor() {
        for (rules, x) in [(Rules::default(), 2.0), (Rules { unit_roundoff: 2f64.powi(-24), ..Rules::default() }, -3.0)]
        {
            let s = sample(&vec![x; 1000]).summary_with(&rules);
            let floor = FLOOR_ULPS * rules.unit_roundoff * x.abs();
            assert_eq!((s.mean, s.stderr), (x, 0.0));
            assert_eq!(s.ci95, [x - floor, x + floor]);
            assert_eq!(s.warnings.floor, Some(floor));
            assert_eq!(s.z(x), 0.0);
            assert!((s.z(x + floor) + t_quantile_975(1000)).abs() < 1e-9, "{}", s.z(x + floor));
        }
        let zero = sample(&[0.0; 10]).summary();
        assert_eq!(zero.ci95, [0.0, 0.0]);
        assert!(zero.z(0.0).is_nan() && zero.z(1.0).is_nan(), "z of a zero-width interval is n/a");
        assert!(Moments::default().summary().z(0.0).is_nan() && sample(&[1.0]).summary().z(0.0).is_nan());
    }

    /// A wide interval is left alone, and Student's z is the plain one.
    #[test]
    fn the_floor_leaves_ordinary_intervals_alone() {
        let xs = skewed(500);
        let m = sample(&xs);
        let s = m.summary_with(&Rules { interval: Interval::Student, unit_roundoff: 2f64.powi(-24) });
        assert_eq!((s.ci95, s.warnings), (m.moments.summary().ci95, Warnings::default()));
        let x = s.mean + 0.3;
        assert!((s.z(x) - (s.mean - x) / s.stderr).abs() < 1e-9);
    }
}
