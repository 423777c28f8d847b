//! The 95% intervals for a mean: Student's t (its quantile by Cornish–Fisher
//! and Newton) and Hall's skewness-corrected interval (Hall, *The Bootstrap
//! and Edgeworth Expansion*, 1992, §2.6; "On the removal of skewness by
//! transformation", JRSS B 54, 1992), and which of them a run reports.

use clap::ValueEnum;
use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// Which 95% interval a [`Sample`](super::Sample) reports (`simsgd run --interval`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// Hall's skewness-corrected interval ([`skew_interval`]); Student's t
    /// where the sample is too small or constant.
    #[default]
    Skew,
    /// Student's t: mean ± t_{0.975, n−1} · SE.
    Student,
}

impl Interval {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Interval::Skew => "Hall skew-corrected",
            Interval::Student => "Student t",
        }
    }
}

/// The 0.975 quantile of Student's t with n − 1 degrees of freedom: the
/// Cornish–Fisher expansion as a start, polished by Newton steps on statrs's
/// CDF (its own `inverse_cdf` is off by 1e-4 at large degrees of freedom).
pub(super) fn t_quantile_975(n: u64) -> f64 {
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

/// Hall's skewness-corrected 95% interval for the mean, from n, the mean and
/// the central sums M2, M3, M4; `None` (Student's t applies) below 20 values
/// or for a constant sample.
///
/// # Derivation
///
/// Let T = √n (X̄ − μ)/σ̂ with σ̂² = M2/n, γ the skewness and κ the excess
/// kurtosis of X. The Edgeworth expansion of the studentized mean (Hall,
/// *The Bootstrap and Edgeworth Expansion*, 1992, §2.6) is
///
/// ```text
/// P(T ≤ x) = Φ(x) + n^(-1/2) p₁(x) φ(x) + n^(-1) p₂(x) φ(x) + O(n^(-3/2)),
/// p₁(x) = γ (2x² + 1)/6,
/// p₂(x) = x [κ (x² − 3)/12 − γ² (x⁴ + 2x² − 3)/18 − (x² + 3)/4]
/// ```
///
/// (checked against Monte Carlo by the test `edgeworth_expansion_of_the_studentized_mean`).
/// For γ > 0, T is skewed to the left (a sample that missed the right tail
/// has both a low mean and a low σ̂), so Student's interval misses μ above
/// it more often than below. Inverting (Cornish–Fisher), the quantile of T
/// at Φ(z) is
///
/// ```text
/// w(z) = z − n^(-1/2) p₁(z) + n^(-1) [p₁ p₁′ − z p₁²/2 − p₂](z) + O(n^(-3/2)),
/// ```
///
/// and μ ∈ [X̄ − σ̂ w(z)/√n, X̄ − σ̂ w(−z)/√n] with z = Φ⁻¹(0.975) covers
/// with error O(n^(-3/2)) on each side. Polynomials in γ̂ are not monotone and
/// misbehave for large γ̂, so the n^(-1/2) term is taken in Hall's monotone
/// form (Hall, "On the removal of skewness by transformation", JRSS B 54,
/// 1992): with b = γ/(6√n) and a = 2b,
///
/// ```text
/// g(t) = t + a t² + a² t³/3 + b = ((1 + a t)³ − 1)/(3a) + b,   g′(t) = (1 + a t)² ≥ 0,
/// g⁻¹(y) = ((1 + 3a(y − b))^(1/3) − 1)/a = 3(y − b)/(c² + c + 1),   c = (1 + 3a(y − b))^(1/3)
/// ```
///
/// (the last form is stable as a → 0). g(T) is N(0, 1) to O(1/n):
/// g⁻¹(z) = z − b(2z² + 1) + b²(4z + 20z³/3) + O(n^(-3/2)), whose n^(-1/2)
/// term is w's. The n^(-1) part of w not already in g⁻¹ is
///
/// ```text
/// [p₁p₁′ − z p₁²/2 − p₂](z) − n b² (4z + 20z³/3)
///   = z γ² (20z² − 5)/72 − z γ² (5z² + 3)/27 − z κ (z² − 3)/12 + z (z² + 3)/4
///   = z [γ² (20z² − 39)/216 − κ (z² − 3)/12] + z (z² + 3)/4.
/// ```
///
/// The last term is what Student's quantile and the n − 1 divisor give to
/// this order: with s² = n σ̂²/(n − 1) and q = t_{n−1, 0.975} =
/// z + (z³ + z)/(4n) + O(n⁻²), s q = σ̂ (z + z (z² + 3)/(4n) + O(n⁻²)). So,
/// with SE = s/√n (the reported standard error), q in place of z, and
/// r = (q/n) [γ̂² (20q² − 39)/216 − κ̂ (q² − 3)/12],
///
/// ```text
/// lo = X̄ − SE (g⁻¹(q) + r),   hi = X̄ − SE (g⁻¹(−q) − r),
/// ```
///
/// with the plug-in γ̂ = √n M3/M2^(3/2) and κ̂ = n M4/M2² − 3. For γ̂ = κ̂ = 0
/// it is Student's interval exactly. Both half-widths stay positive: |γ̂| <
/// √n makes b < 1/6, and κ̂ < n bounds r's negative part by q (q² − 3)/12
/// (0.14 at n ≥ 20 and more). Coverage: results/COVERAGE.md.
pub fn skew_interval(n: u64, mean: f64, m2: f64, m3: f64, m4: f64) -> Option<[f64; 2]> {
    if n < 20 || m2.is_nan() || m2 <= 0.0 || !(m3.is_finite() && m4.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let q = t_quantile_975(n);
    let se = (m2 / (nf - 1.0) / nf).sqrt();
    let gamma = nf.sqrt() * m3 / m2.powf(1.5);
    let kappa = nf * m4 / (m2 * m2) - 3.0;
    let b = gamma / (6.0 * nf.sqrt());
    let a = 2.0 * b;
    let inverse = |y: f64| {
        let s = y - b;
        let c = (1.0 + 3.0 * a * s).cbrt();
        3.0 * s / (c * c + c + 1.0)
    };
    let r = q / nf * (gamma * gamma * (20.0 * q * q - 39.0) / 216.0 - kappa * (q * q - 3.0) / 12.0);
    let ci = [mean - se * (inverse(q) + r), mean - se * (inverse(-q) - r)];
    (ci[0].is_finite() && ci[1].is_finite() && ci[0] <= mean && mean <= ci[1]).then_some(ci)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{exponential, of, sample};
    use crate::stats::{Rules, F64_UNIT_ROUNDOFF};

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

    fn lognormal(seed: u64, rep: u64, n: usize) -> Vec<f64> {
        (0..n as u64).map(|e| crate::rng::normal(seed, rep, crate::rng::Stream::Data, e).exp()).collect()
    }

    /// The Edgeworth expansion the interval is built on, against Monte
    /// Carlo: P(T ≤ x) of the studentized mean (σ̂ with divisor n) of 200
    /// exponentials (γ = 2, κ = 6). The two-term expansion is within 4 SE of
    /// the frequency where the one-term one is not (so both terms are needed
    /// and right).
    #[test]
    fn edgeworth_expansion_of_the_studentized_mean() {
        let (n, reps) = (200usize, 100_000u64);
        let ts: Vec<f64> = (0..reps)
            .map(|r| {
                let m = sample(&exponential(7, r, n));
                (n as f64).sqrt() * (m.mean - 1.0) / (m.moments.m2 / n as f64).sqrt()
            })
            .collect();
        let (g, k, nf) = (2.0f64, 6.0f64, n as f64);
        let normal = statrs::distribution::Normal::new(0.0, 1.0).unwrap();
        let mut one_term_off = 0;
        for x in [-1.96f64, -1.0, 1.0, 1.96] {
            let p1 = g * (2.0 * x * x + 1.0) / 6.0;
            let p2 =
                x * (k * (x * x - 3.0) / 12.0 - g * g * (x.powi(4) + 2.0 * x * x - 3.0) / 18.0 - (x * x + 3.0) / 4.0);
            let phi = normal.pdf(x);
            let first = normal.cdf(x) + p1 * phi / nf.sqrt();
            let second = first + p2 * phi / nf;
            let freq = ts.iter().filter(|&&t| t <= x).count() as f64 / reps as f64;
            let se = (second * (1.0 - second) / reps as f64).sqrt();
            assert!((freq - second).abs() < 4.0 * se, "x = {x}: MC {freq} vs Edgeworth {second} ± {se}");
            one_term_off += ((freq - first).abs() > 4.0 * se) as usize;
        }
        assert!(one_term_off >= 2, "the n^-1 term made no difference");
    }

    /// Coverage over replications, (below, above): how often μ lies below
    /// the interval and above it.
    fn misses(reps: u64, draw: impl Fn(u64) -> Vec<f64>, mu: f64, interval: Interval) -> (f64, f64) {
        let (mut below, mut above) = (0, 0);
        for r in 0..reps {
            let s = sample(&draw(r)).summary_with(&Rules { interval, unit_roundoff: F64_UNIT_ROUNDOFF });
            below += (mu < s.ci95[0]) as u64;
            above += (mu > s.ci95[1]) as u64;
        }
        (below as f64 / reps as f64, above as f64 / reps as f64)
    }

    /// On skewed laws Student's t misses μ above the interval far more often
    /// than 2.5% (and below far less); the skew-corrected interval misses
    /// about 2.5% on each side and covers 95%. Tolerances: 4 binomial SE.
    #[test]
    fn skew_corrected_interval_covers_skewed_laws() {
        let reps = 4000u64;
        let se = |p: f64| (p * (1.0 - p) / reps as f64).sqrt();
        type Draw = Box<dyn Fn(u64) -> Vec<f64>>;
        let laws: [(&str, f64, Draw); 2] = [
            ("exponential, n = 50", 1.0, Box::new(|r| exponential(11, r, 50))),
            ("lognormal, n = 200", 0.5f64.exp(), Box::new(|r| lognormal(12, r, 200))),
        ];
        for (what, mu, draw) in &laws {
            let (lo, hi) = misses(reps, draw, *mu, Interval::Skew);
            let (s_lo, s_hi) = misses(reps, draw, *mu, Interval::Student);
            assert!((lo + hi - 0.05).abs() < 4.0 * se(0.05), "{what}: skew-corrected misses {lo} + {hi}");
            assert!((hi - 0.025).abs() < 4.0 * se(0.025) + 0.005, "{what}: above {hi}");
            assert!(s_hi - 0.025 > 4.0 * se(0.025) && s_lo < 0.025, "{what}: Student {s_lo} / {s_hi}");
            assert!(s_lo + s_hi > lo + hi, "{what}: Student covers better");
        }
    }

    /// Symmetric samples: the skew correction is small; γ = 0 and κ = 0 give
    /// Student's interval exactly; tiny or constant samples fall back to it.
    #[test]
    fn skew_interval_reduces_to_student() {
        let (n, mean, m2) = (100u64, 1.0, 99.0 * 4.0);
        // κ = n M4/M2² − 3 = 0.
        let m4 = 3.0 * m2 * m2 / n as f64;
        let ci = skew_interval(n, mean, m2, 0.0, m4).unwrap();
        let half = t_quantile_975(n) * (m2 / 99.0 / 100.0).sqrt();
        assert!((ci[0] - (mean - half)).abs() < 1e-12 && (ci[1] - (mean + half)).abs() < 1e-12, "{ci:?}");
        assert_eq!(skew_interval(19, mean, m2, 0.0, m4), None);
        assert_eq!(skew_interval(100, mean, 0.0, 0.0, 0.0), None);
        // Right skew moves the interval up; the extreme skewness and
        // kurtosis a sample allows keep both half-widths positive.
        let xs: Vec<f64> = (0..2000).map(|i| if i == 0 { 1e6 } else { 1.0 }).collect();
        let m = sample(&xs);
        let ci = skew_interval(2000, m.mean, m.moments.m2, m.m3(), m.m4()).unwrap();
        let student = m.moments.summary().ci95;
        assert!(ci[0] < m.mean && m.mean < ci[1] && ci[1] > student[1], "{ci:?} vs {student:?}");
        let ys: Vec<f64> = xs.iter().map(|x| -x).collect();
        let m = sample(&ys);
        let ci = skew_interval(2000, m.mean, m.moments.m2, m.m3(), m.m4()).unwrap();
        assert!(ci[0] < m.mean && m.mean < ci[1] && ci[0] < m.moments.summary().ci95[0], "{ci:?}");
    }
}
