//! Streaming count, mean and sum of squared deviations: Welford's update
//! (Welford, Technometrics 4, 1962) and the pairwise merge of Chan, Golub and
//! LeVeque ("Algorithms for computing the sample variance", 1983), so no
//! precision is lost to catastrophic cancellation however many values are
//! summed. Their summary (Student's t interval) is in `summary`.

/// Count, mean and sum of squared deviations of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::of;

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
}
