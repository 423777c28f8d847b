//! Streaming moments and confidence intervals.
//!
//! Means and variances are accumulated with Welford's update and merged across
//! blocks with Chan et al.'s pairwise formula, so no precision is lost to
//! catastrophic cancellation however many trials are summed. Every reported
//! mean carries its standard error and a 95% Student-t interval.

use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// Count, mean and sum of squared deviations of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    /// Σ (x − mean)².
    pub m2: f64,
}

impl Moments {
    /// Adds one observation (Welford).
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Merges another sample's moments (Chan, Golub and LeVeque).
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let w = other.n as f64 / n as f64;
        self.mean += delta * w;
        self.m2 += other.m2 + delta * delta * self.n as f64 * w;
        self.n = n;
    }

    /// Unbiased sample variance (NaN below two observations).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// Standard error of the mean.
    pub fn stderr(&self) -> f64 {
        (self.variance() / self.n as f64).sqrt()
    }

    /// Mean, standard error and 95% confidence interval.
    pub fn summary(&self) -> Summary {
        let se = self.stderr();
        let half = t_quantile_975(self.n) * se;
        Summary { n: self.n, mean: self.mean_or_nan(), stderr: se, ci95: [self.mean - half, self.mean + half] }
    }

    fn mean_or_nan(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }
}

/// The 0.975 quantile of Student's t with n − 1 degrees of freedom: the
/// Cornish–Fisher expansion as a start, polished by Newton steps on statrs's
/// CDF (its own `inverse_cdf` is off by 1e-4 at large degrees of freedom).
fn t_quantile_975(n: u64) -> f64 {
    const Z: f64 = 1.959_963_984_540_054;
    if n < 2 {
        return f64::NAN;
    }
    let nu = (n - 1) as f64;
    let Ok(t) = StudentsT::new(0.0, 1.0, nu) else {
        return f64::NAN;
    };
    let z3 = Z * Z * Z;
    let mut q = Z + (z3 + Z) / (4.0 * nu) + (5.0 * z3 * Z * Z + 16.0 * z3 + 3.0 * Z) / (96.0 * nu * nu);
    if nu < 4.0 {
        // The expansion is poor at tiny ν; bisection-based statrs is fine there.
        q = t.inverse_cdf(0.975);
    }
    for _ in 0..4 {
        q -= (t.cdf(q) - 0.975) / t.pdf(q);
    }
    q
}

/// A reported mean: sample size, mean, standard error, 95% CI.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    pub stderr: f64,
    pub ci95: [f64; 2],
}

impl Summary {
    /// Whether the 95% interval contains `x`.
    pub fn covers(&self, x: f64) -> bool {
        self.ci95[0] <= x && x <= self.ci95[1]
    }

    /// (mean − x) / stderr.
    pub fn z(&self, x: f64) -> f64 {
        (self.mean - x) / self.stderr
    }

    /// The summary of `scale`·X + `shift` (the interval reordered when
    /// `scale` is negative).
    pub fn affine(&self, scale: f64, shift: f64) -> Summary {
        let [a, b] = self.ci95.map(|c| scale * c + shift);
        Summary {
            n: self.n,
            mean: scale * self.mean + shift,
            stderr: scale.abs() * self.stderr,
            ci95: [a.min(b), a.max(b)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(xs: &[f64]) -> Moments {
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.push(x));
        m
    }

    #[test]
    fn affine_maps_mean_stderr_and_interval() {
        let s = Summary { n: 9, mean: 2.0, stderr: 0.5, ci95: [1.0, 3.0] };
        assert_eq!(s.affine(-2.0, 1.0), Summary { n: 9, mean: -3.0, stderr: 1.0, ci95: [-5.0, -1.0] });
        assert_eq!(s.affine(1.0, -2.0), Summary { n: 9, mean: 0.0, stderr: 0.5, ci95: [-1.0, 1.0] });
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| 1e9 + (i as f64 * 0.37).sin()).collect();
        // Reference: two passes over the exactly shifted values x − 1e9.
        let shifted: Vec<f64> = xs.iter().map(|x| x - 1e9).collect();
        let mean = shifted.iter().sum::<f64>() / 1000.0;
        let var = shifted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        let m = of(&xs);
        assert!((m.mean - 1e9 - mean).abs() < 1e-6);
        assert!((m.variance() - var).abs() < 1e-6 * var, "{} vs {var}", m.variance());
    }

    #[test]
    fn merge_equals_single_pass() {
        let xs: Vec<f64> = (0..777).map(|i| (i as f64).sqrt() * (i as f64 * 1.3).cos()).collect();
        let whole = of(&xs);
        let mut merged = of(&xs[..100]);
        merged.merge(&of(&xs[100..500]));
        merged.merge(&Moments::default());
        merged.merge(&of(&xs[500..]));
        assert_eq!(merged.n, whole.n);
        assert!((merged.mean - whole.mean).abs() < 1e-12);
        assert!((merged.m2 - whole.m2).abs() < 1e-9 * whole.m2);
    }

    #[test]
    fn student_t_interval() {
        // n = 5: t_{0.975, 4} = 2.776445.
        let m = of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let s = m.summary();
        let se = (2.5f64 / 5.0).sqrt();
        assert!((s.ci95[1] - 3.0 - 2.776445 * se).abs() < 1e-5, "{:?}", s);
        assert!(s.covers(3.0) && !s.covers(6.0));
        // Table values of t_{0.975, ν}; large n approaches 1.959964.
        for (nu, want) in [
            (1, 12.706205),
            (2, 4.302653),
            (5, 2.570582),
            (10, 2.228139),
            (30, 2.042272),
            (100, 1.983972),
            (1000, 1.962339),
        ] {
            let q = t_quantile_975(nu + 1);
            assert!((q - want).abs() < 2e-6 * want, "ν = {nu}: {q} vs {want}");
        }
        let q = t_quantile_975(1_000_001);
        assert!((q - 1.959966).abs() < 1e-5, "{q}");
    }

    #[test]
    fn tiny_samples_are_nan_not_panics() {
        assert!(Moments::default().summary().mean.is_nan());
        assert!(of(&[1.0]).summary().stderr.is_nan());
    }
}
