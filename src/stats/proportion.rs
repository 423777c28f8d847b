//! A proportion k/n with Wilson's score interval: the divergence rate, the
//! figure of merit of a run where trials diverge.

use serde::Serialize;

/// k of n, the rate k/n and its 95% Wilson score interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Proportion {
    pub k: u64,
    pub n: u64,
    pub rate: f64,
    pub ci95: [f64; 2],
}

impl Proportion {
    /// k of n (n > 0). Wilson's interval: the p with |k/n − p| ≤
    /// z·√(p(1 − p)/n), z = 1.959964 (the normal quantile); unlike the
    /// Wald interval it stays inside [0, 1] and is not empty at k = 0 or n.
    pub fn new(k: u64, n: u64) -> Self {
        const Z: f64 = 1.959_963_984_540_054;
        let (kf, nf) = (k as f64, n as f64);
        let p = kf / nf;
        let z2 = Z * Z;
        let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
        let half = Z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        Proportion { k, n, rate: p, ci95: [(centre - half).max(0.0), (centre + half).min(1.0)] }
    }
}

#[cfg(test)]
mod tests {
    use super::Proportion;

    /// Wilson's interval for 0 of 10 is [0, z²/(n + z²)] = [0, 0.27754];
    /// for 5 of 10, 0.5 ± z·√(0.25·10 + z²/4)/(10 + z²) = [0.23659, 0.76341].
    #[test]
    fn wilson_intervals_match_their_closed_forms() {
        let z2 = 1.959_963_984_540_054f64.powi(2);
        let zero = Proportion::new(0, 10);
        assert_eq!(zero.ci95[0], 0.0);
        assert!((zero.ci95[1] - z2 / (10.0 + z2)).abs() < 1e-12);
        assert!((zero.ci95[1] - 0.277_54).abs() < 1e-5);
        let half = Proportion::new(5, 10);
        assert!((half.ci95[0] - 0.236_59).abs() < 1e-5 && (half.ci95[1] - 0.763_41).abs() < 1e-5, "{half:?}");
        let all = Proportion::new(10, 10);
        assert!((all.ci95[1] - 1.0).abs() < 1e-12 && (all.ci95[0] - 10.0 / (10.0 + z2)).abs() < 1e-12);
    }
}
