//! The final values of one observable over a run's trials: Welford/Chan
//! moments, the third and fourth central moments (Terriberry's update and
//! Pébay's merge, Pébay, Sandia report SAND2008-6212), a Neumaier-compensated
//! sum and the extreme values, in memory independent of the number of trials.

use super::extremes::{Extremes, EXTREMES};
use super::moments::Moments;
use super::tail::{gpd_shape, TailFit, TAIL_MIN_N};

/// The final values of one observable over a run's trials: [`Moments`] (the
/// reported mean and SE, bit for bit those of `Moments`), the third and
/// fourth central moments, a compensated sum (the mean's rounding, for the
/// precision floor) and the [`EXTREMES`] largest and smallest values (the
/// tail fit). Dereferences to its `Moments`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub moments: Moments,
    /// Σ (x − mean)³ and Σ (x − mean)⁴.
    m3: f64,
    m4: f64,
    /// Σ x as a Neumaier-compensated pair (sum + carry).
    sum: f64,
    carry: f64,
    largest: Extremes,
    /// The largest of −x.
    smallest: Extremes,
}

impl std::ops::Deref for Sample {
    type Target = Moments;
    fn deref(&self) -> &Moments {
        &self.moments
    }
}

/// Neumaier's compensated addition: (sum, carry) += x.
#[inline]
fn add_compensated(sum: &mut f64, carry: &mut f64, x: f64) {
    let t = *sum + x;
    *carry += if sum.abs() >= x.abs() { (*sum - t) + x } else { (x - t) + *sum };
    *sum = t;
}

impl Sample {
    /// Adds one observation: Welford for the mean and M2 (as [`Moments`]),
    /// Terriberry's update of M3 and M4 (Pébay 2008, eq. 2.1, one point).
    #[inline]
    pub fn push(&mut self, x: f64) {
        let n1 = self.moments.n as f64;
        let n = n1 + 1.0;
        let delta = x - self.moments.mean;
        let dn = delta / n;
        let dn2 = dn * dn;
        let term = delta * dn * n1;
        let m2 = self.moments.m2;
        self.m4 += term * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * m2 - 4.0 * dn * self.m3;
        self.m3 += term * dn * (n - 2.0) - 3.0 * dn * m2;
        self.moments.push(x);
        add_compensated(&mut self.sum, &mut self.carry, x);
        self.largest.push(x);
        self.smallest.push(-x);
    }

    /// Merges another sample (Pébay 2008, eqs. 2.1–2.2 for M3 and M4; Chan
    /// for the mean and M2, as [`Moments::merge`]).
    pub fn merge(&mut self, o: &Sample) {
        if o.moments.n == 0 {
            return;
        }
        if self.moments.n == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.moments.n as f64, o.moments.n as f64);
        let n = na + nb;
        let d = o.moments.mean - self.moments.mean;
        let (m2a, m2b) = (self.moments.m2, o.moments.m2);
        let (m3a, m3b) = (self.m3, o.m3);
        self.m4 += o.m4
            + d.powi(4) * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6.0 * d * d * (na * na * m2b + nb * nb * m2a) / (n * n)
            + 4.0 * d * (na * m3b - nb * m3a) / n;
        self.m3 += m3b + d.powi(3) * na * nb * (na - nb) / (n * n) + 3.0 * d * (na * m2b - nb * m2a) / n;
        self.moments.merge(&o.moments);
        add_compensated(&mut self.sum, &mut self.carry, o.sum);
        self.carry += o.carry;
        self.largest.merge(&o.largest);
        self.smallest.merge(&o.smallest);
    }

    /// Σ (x − mean)³.
    pub fn m3(&self) -> f64 {
        self.m3
    }

    /// Σ (x − mean)⁴.
    pub fn m4(&self) -> f64 {
        self.m4
    }

    /// The sample skewness g₁ = √n M3 / M2^(3/2) (NaN for a constant sample).
    pub fn skewness(&self) -> f64 {
        let m = &self.moments;
        (m.n as f64).sqrt() * self.m3 / m.m2.powf(1.5)
    }

    /// The sample excess kurtosis g₂ = n M4 / M2² − 3.
    pub fn excess_kurtosis(&self) -> f64 {
        let m = &self.moments;
        m.n as f64 * self.m4 / (m.m2 * m.m2) - 3.0
    }

    /// The mean of the compensated sum: within a few ulps of the exact mean
    /// of the values, whatever their number.
    pub fn compensated_mean(&self) -> f64 {
        (self.sum + self.carry) / self.moments.n as f64
    }

    /// The largest values, largest first (at most [`EXTREMES`]).
    pub fn largest(&self) -> Vec<f64> {
        self.largest.values().to_vec()
    }

    /// The smallest values, smallest first (at most [`EXTREMES`]).
    pub fn smallest(&self) -> Vec<f64> {
        self.smallest.values().iter().map(|x| -x).collect()
    }

    /// The heavier of the two tails' generalized Pareto fits
    /// ([`gpd_shape`]), where the sample has at least [`TAIL_MIN_N`] values.
    /// A tail whose [`EXTREMES`] values take fewer than half as many distinct
    /// values is not fitted: ties mean a discrete law or values at the
    /// arithmetic's resolution (f32 values near a bound), where the
    /// continuous fit reads the gaps between a few levels as a heavy tail.
    pub fn tail(&self) -> Option<TailFit> {
        if self.moments.n < TAIL_MIN_N {
            return None;
        }
        let fit = |e: &Extremes| {
            let v = e.values();
            let distinct = 1 + v.windows(2).filter(|w| w[0] != w[1]).count();
            (distinct >= EXTREMES / 2).then(|| {
                let threshold = v[EXTREMES - 1];
                gpd_shape(&v[..EXTREMES - 1].iter().map(|x| x - threshold).collect::<Vec<_>>())
            })
        };
        let upper = fit(&self.largest).map(|xi| TailFit { xi, upper: true });
        let lower = fit(&self.smallest).map(|xi| TailFit { xi, upper: false });
        match (upper, lower) {
            (Some(u), Some(l)) => Some(if u.xi >= l.xi { u } else { l }),
            (u, l) => u.or(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{of, sample, skewed};
    use crate::stats::{Interval, Rules, F64_UNIT_ROUNDOFF};

    /// Σ (x − mean)^p by two passes over exactly shifted values.
    fn central(xs: &[f64], p: i32) -> f64 {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - mean).powi(p)).sum()
    }

    #[test]
    fn third_and_fourth_moments_match_two_pass() {
        let xs = skewed(1001);
        let m = sample(&xs);
        for (p, got) in [(2, m.moments.m2), (3, m.m3()), (4, m.m4())] {
            let want = central(&xs, p);
            assert!(
                (got - want).abs() <= 1e-11 * want.abs().max(central(&xs, 2).powf(p as f64 / 2.0)),
                "M{p}: {got} vs {want}"
            );
        }
        let (n, m2, m3, m4) = (1001.0f64, central(&xs, 2), central(&xs, 3), central(&xs, 4));
        assert!((m.skewness() - n.sqrt() * m3 / m2.powf(1.5)).abs() < 1e-10);
        assert!((m.excess_kurtosis() - (n * m4 / (m2 * m2) - 3.0)).abs() < 1e-9);
    }

    /// Pébay's merge equals one pass, for uneven splits and empty parts; the
    /// mean and M2 are those of `Moments::merge` exactly, and the extremes
    /// are the same array whatever the split.
    #[test]
    fn pebay_merge_equals_single_pass() {
        let xs = skewed(2000);
        let whole = sample(&xs);
        for cuts in [vec![1, 2, 1999], vec![100, 1000, 1700], vec![0, 0, 1000], vec![640, 1280, 1920]] {
            let mut merged = Sample::default();
            let mut moments = Moments::default();
            let mut start = 0;
            for &end in cuts.iter().chain([&xs.len()]) {
                merged.merge(&sample(&xs[start..end]));
                moments.merge(&of(&xs[start..end]));
                start = end;
            }
            assert_eq!(merged.moments, moments, "{cuts:?}");
            assert_eq!((merged.largest, merged.smallest), (whole.largest, whole.smallest), "{cuts:?}");
            for (a, b) in [(merged.m3(), whole.m3()), (merged.m4(), whole.m4()), (merged.moments.m2, whole.moments.m2)]
            {
                assert!((a - b).abs() <= 1e-11 * b.abs(), "{cuts:?}: {a} vs {b}");
            }
            assert!((merged.compensated_mean() - whole.compensated_mean()).abs() <= 1e-15 * whole.mean.abs());
        }
    }

    #[test]
    fn extremes_are_the_largest_and_smallest_values() {
        let xs: Vec<f64> = (0..500).map(|i| ((i * 7919) % 503) as f64 - 250.0).collect();
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        let m = sample(&xs);
        assert_eq!(m.smallest(), sorted[..EXTREMES].to_vec());
        assert_eq!(m.largest(), sorted.iter().rev().take(EXTREMES).copied().collect::<Vec<_>>());
        let few = sample(&[3.0, 1.0, 2.0, 2.0]);
        assert_eq!((few.largest(), few.smallest()), (vec![3.0, 2.0, 2.0, 1.0], vec![1.0, 2.0, 2.0, 3.0]));
    }

    /// Values that barely differ: Welford's running mean drops increments
    /// below half an ulp; the compensated sum does not, and the precision
    /// floor covers the difference.
    #[test]
    fn compensated_mean_keeps_what_welford_drops() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|i| 0.5 + if i % 100 == 0 { 1e-12 } else { 1e-15 }).collect();
        let exact = 0.5 + (1e-12 + 99.0 * 1e-15) / 100.0;
        let m = sample(&xs);
        assert!((m.compensated_mean() - exact).abs() <= 2.0 * f64::EPSILON * 0.5, "{}", m.compensated_mean());
        let welford = (m.mean - exact).abs();
        assert!(welford > 20.0 * f64::EPSILON, "Welford did not drift: {welford:e}");
        let s = m.summary_with(&Rules { interval: Interval::Student, unit_roundoff: F64_UNIT_ROUNDOFF });
        assert!(s.covers(exact) && s.warnings.floor.is_some(), "{s:?} vs {exact}");
    }
}
