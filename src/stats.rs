//! Streaming statistics and confidence intervals.
//!
//! Means and variances are accumulated with Welford's update and merged across
//! blocks with Chan et al.'s pairwise formula, so no precision is lost to
//! catastrophic cancellation however many trials are summed ([`Moments`]:
//! learning curves and drift estimators, with a Student-t interval).
//!
//! The final values of a run go into a [`Sample`]: the same moments, plus the
//! third and fourth central moments (Pébay's merge formulas), a compensated
//! sum, and the [`EXTREMES`] largest and smallest values, all in memory
//! independent of the number of trials and merged exactly or in a fixed order
//! (the driver folds chunks in trial order), so the result does not depend on
//! the chunking. From these, [`Sample::summary_with`] gives:
//!
//! * the interval ([`Interval`]): Hall's skewness-corrected interval
//!   ([`skew_interval`], the default: it removes the n^(-1/2) coverage error a
//!   skewed law gives Student's t) or Student's t;
//! * a heavy-tail warning ([`HeavyTail`]) when a generalized Pareto fit to the
//!   largest or smallest values rejects a finite variance;
//! * the precision floor ([`Rules::floor`]): a CI narrower than what the
//!   backend's arithmetic resolves is widened to it, with a warning.
//!
//! docs/ARCHITECTURE.md ("Statistics") states the rules and their measured
//! coverage, detection and false-alarm rates (results/COVERAGE.md).

use clap::ValueEnum;
use serde::ser::SerializeSeq;
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

    /// Mean, standard error and Student's 95% confidence interval.
    pub fn summary(&self) -> Summary {
        let se = self.stderr();
        let half = t_quantile_975(self.n) * se;
        Summary {
            n: self.n,
            mean: self.mean_or_nan(),
            stderr: se,
            ci95: [self.mean - half, self.mean + half],
            warnings: Warnings::default(),
        }
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

/// Which 95% interval a [`Sample`] reports (`simsgd run --interval`).
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

/// How many of the largest (and of the smallest) values a [`Sample`] keeps:
/// the tail fit uses the `EXTREMES − 1` largest above the `EXTREMES`-th.
pub const EXTREMES: usize = 32;

/// The heavy-tail rule's sample size floor: below it no tail is fitted.
pub const TAIL_MIN_N: u64 = 10 * EXTREMES as u64;

/// The `EXTREMES` largest values pushed, in decreasing order: the same array
/// whatever the order of pushes and merges (it is the top of a multiset).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extremes {
    values: [f64; EXTREMES],
    len: usize,
}

impl Default for Extremes {
    fn default() -> Self {
        Extremes { values: [0.0; EXTREMES], len: 0 }
    }
}

impl Extremes {
    /// The values kept, largest first.
    pub fn values(&self) -> &[f64] {
        &self.values[..self.len]
    }

    #[inline]
    pub fn push(&mut self, x: f64) {
        if self.len == EXTREMES {
            // The common case once full: x is not among the largest.
            if x <= self.values[EXTREMES - 1] {
                return;
            }
        } else {
            self.len += 1;
        }
        // Insert x before the first smaller value (after equal ones),
        // dropping the smallest when full.
        let mut i = self.len - 1;
        while i > 0 && self.values[i - 1] < x {
            self.values[i] = self.values[i - 1];
            i -= 1;
        }
        self.values[i] = x;
    }

    /// The largest of both.
    pub fn merge(&mut self, other: &Extremes) {
        let (a, b) = (self.values(), other.values());
        let mut out = [0.0; EXTREMES];
        let (mut i, mut j, mut len) = (0, 0, 0);
        while len < EXTREMES && (i < a.len() || j < b.len()) {
            let take_a = j == b.len() || (i < a.len() && a[i] >= b[j]);
            out[len] = if take_a { a[i] } else { b[j] };
            if take_a {
                i += 1;
            } else {
                j += 1;
            }
            len += 1;
        }
        *self = Extremes { values: out, len };
    }
}

/// The final values of one observable over a run's trials: [`Moments`] (the
/// reported mean and SE, bit for bit those of `Moments`), the third and
/// fourth central moments, a compensated sum (the mean's rounding, for the
/// precision floor) and the [`EXTREMES`] largest and smallest values (the
/// tail fit). Dereferences to its `Moments`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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

    /// The summary with the default [`Rules`] (skew-corrected interval, f64
    /// precision floor) and this sample's own heavy-tail warning.
    pub fn summary(&self) -> Summary {
        self.summary_with(&Rules::default())
    }

    /// Mean, SE, the 95% interval of `rules`, widened to the precision floor
    /// where it is narrower, with the warnings that apply to this sample
    /// alone (a heavy tail of another observable of the same trials is
    /// [`share_heavy_tails`]' business).
    pub fn summary_with(&self, rules: &Rules) -> Summary {
        let m = &self.moments;
        let mut s = m.summary();
        if rules.interval == Interval::Skew {
            if let Some(ci) = skew_interval(m.n, m.mean, m.m2, self.m3, self.m4) {
                s.ci95 = ci;
            }
        }
        s.warnings.heavy_tail = self.tail().filter(|t| t.xi > heavy_tail_threshold()).map(|t| HeavyTail {
            xi: t.xi,
            upper: t.upper,
            source: None,
        });
        if m.n >= 2 {
            let floor = rules.floor(self);
            let (lo, hi) = (s.mean - floor, s.mean + floor);
            if lo < s.ci95[0] || hi > s.ci95[1] {
                s.ci95 = [s.ci95[0].min(lo), s.ci95[1].max(hi)];
                s.warnings.floor = Some(floor);
            }
        }
        s
    }
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

/// A generalized Pareto fit to one tail: its shape ξ (tail index α = 1/ξ;
/// ξ > 1/2: infinite variance; ξ > 1: infinite mean) and which tail.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TailFit {
    pub xi: f64,
    /// The upper tail (the largest values) or the lower.
    pub upper: bool,
}

/// z of the one-sided 5% test in [`heavy_tail_threshold`].
const TAIL_TEST_Z: f64 = 1.644_853_626_951_472_2;

/// The heavy-tail rule's threshold on ξ̂: the maximum-likelihood ξ̂ of k
/// exceedances has asymptotic SE (1 + ξ)/√k, so ξ̂ > ξ* with
/// (ξ* − 1/2)/((1 + ξ*)/√k) = 1.645 rejects a finite variance (ξ ≤ 1/2) at
/// one-sided 5%: ξ* = (1/2 + 1.645/√k)/(1 − 1.645/√k) = 1.129 for k = 31.
pub fn heavy_tail_threshold() -> f64 {
    let c = TAIL_TEST_Z / ((EXTREMES - 1) as f64).sqrt();
    (0.5 + c) / (1.0 - c)
}

/// The maximum-likelihood shape ξ ≥ 0 of a generalized Pareto law fitted to
/// the exceedances `y` (≥ 0) over a threshold; 0 where the exponential law
/// (ξ = 0) fits best or the exceedances are all 0.
///
/// The density is (1/σ)(1 + ξ y/σ)^(−1/ξ − 1). With θ = ξ/σ the likelihood
/// is maximised over ξ in closed form, ξ(θ) = mean ln(1 + θ y), leaving the
/// profile log-likelihood ℓ(θ) = −k ln(ξ(θ)/θ) − k − k ξ(θ) (Grimshaw,
/// Technometrics 35, 1993), searched over θ > 0 (ξ > 0; ℓ(0⁺) is the
/// exponential's −k ln ȳ − k) on a log grid refined by golden section:
/// deterministic, no starting point.
pub fn gpd_shape(y: &[f64]) -> f64 {
    let k = y.len() as f64;
    let mean = y.iter().sum::<f64>() / k;
    if !(mean > 0.0 && mean.is_finite()) {
        return 0.0;
    }
    // Exceedances in units of their mean: ℓ(0⁺) = −k.
    let xi = |t: f64| y.iter().map(|v| (t * v / mean).ln_1p()).sum::<f64>() / k;
    let profile = |t: f64| {
        let x = xi(t);
        -k * (x / t).ln() - k - k * x
    };
    const GRID: usize = 121;
    let at = |i: usize| 10f64.powf(-4.0 + 11.0 * i as f64 / (GRID - 1) as f64);
    let (best, value) =
        (0..GRID).map(|i| (i, profile(at(i)))).fold(
            (0, f64::NEG_INFINITY),
            |b, (i, v)| {
                if v > b.1 {
                    (i, v)
                } else {
                    b
                }
            },
        );
    // Not above the exponential's ℓ(0⁺) = −k (or NaN): ξ = 0.
    if value.is_nan() || value <= -k {
        return 0.0;
    }
    let (mut lo, mut hi) = (at(best.saturating_sub(1)).ln(), at((best + 1).min(GRID - 1)).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let (c, d) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if profile(c.exp()) > profile(d.exp()) {
            hi = d;
        } else {
            lo = c;
        }
    }
    xi(((lo + hi) / 2.0).exp()).max(0.0)
}

/// A reported mean: sample size, mean, standard error, 95% CI, and the
/// warnings that say when the CI cannot be trusted as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    pub stderr: f64,
    pub ci95: [f64; 2],
    #[serde(skip_serializing_if = "Warnings::is_empty")]
    pub warnings: Warnings,
}

/// Why a [`Summary`]'s interval is not to be taken at face value. In JSON,
/// a list of sentences.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Warnings {
    /// A heavy tail of this observable or of another of the same trials.
    pub heavy_tail: Option<HeavyTail>,
    /// The half-width the CI was widened to: the precision floor.
    pub floor: Option<f64>,
}

/// A tail heavier than a finite variance allows (ξ̂ above
/// [`heavy_tail_threshold`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeavyTail {
    pub xi: f64,
    pub upper: bool,
    /// The observable of the same trials whose tail it is; `None`: this one's.
    pub source: Option<&'static str>,
}

impl Warnings {
    pub fn is_empty(&self) -> bool {
        self.heavy_tail.is_none() && self.floor.is_none()
    }

    /// One sentence per warning.
    pub fn sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = self.heavy_tail {
            let side = if h.upper { "largest" } else { "smallest" };
            out.push(match h.source {
                None => format!(
                    "heavy tail: the {} {side} values fit a Pareto tail of shape ξ = {:.2} (index α = {:.2}); \
                     ξ > {:.2} rejects a finite variance, so the CI cannot be trusted",
                    EXTREMES - 1,
                    h.xi,
                    1.0 / h.xi,
                    heavy_tail_threshold()
                ),
                Some(source) => format!(
                    "heavy tail in {source} (the same trials; ξ = {:.2}, α = {:.2}): rare extreme trials may \
                     carry this mean too, so the CI cannot be trusted",
                    h.xi,
                    1.0 / h.xi
                ),
            });
        }
        if let Some(f) = self.floor {
            out.push(format!(
                "CI at the backend's precision floor: widened to ±{f:.2e} ({FLOOR_ULPS}·u·RMS of the values plus the \
                 mean's rounding)"
            ));
        }
        out
    }
}

impl Serialize for Warnings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sentences = self.sentences();
        let mut seq = serializer.serialize_seq(Some(sentences.len()))?;
        for s in &sentences {
            seq.serialize_element(s)?;
        }
        seq.end()
    }
}

/// The heaviest tail among `items`' own (not shared) heavy tails, with the
/// name of its observable.
pub fn heaviest_tail(items: &[(&'static str, &Summary)]) -> Option<(&'static str, HeavyTail)> {
    items.iter().filter_map(|(name, s)| s.warnings.heavy_tail.filter(|h| h.source.is_none()).map(|h| (*name, h))).fold(
        None,
        |best, (name, h)| match best {
            Some((_, b)) if b.xi >= h.xi => best,
            _ => Some((name, h)),
        },
    )
}

/// Gives every summary of `items` (named observables of the same trials)
/// without a heavy tail of its own the heaviest tail among the others, named:
/// a trial's final values are one draw, so rare extreme trials seen in one
/// observable (a train loss that includes the sample that threw θ far) may
/// carry the mean of another where this run happened not to show them.
pub fn share_heavy_tails(items: &mut [(&'static str, &mut Summary)]) {
    let view: Vec<(&'static str, &Summary)> = items.iter().map(|(name, s)| (*name, &**s)).collect();
    if let Some((name, h)) = heaviest_tail(&view) {
        for (_, s) in items.iter_mut().filter(|(_, s)| s.warnings.heavy_tail.is_none()) {
            s.warnings.heavy_tail = Some(HeavyTail { source: Some(name), ..h });
        }
    }
}

impl Summary {
    /// Whether the 95% interval contains `x`.
    pub fn covers(&self, x: f64) -> bool {
        self.ci95[0] <= x && x <= self.ci95[1]
    }

    /// (mean − x) / SE, with the SE of the interval as reported: the
    /// half-width on x's side over the t quantile, so |z| ≤ t_{0.975, n−1}
    /// exactly when the CI covers x (the plain SE for Student's interval; the
    /// skew-corrected or floor-widened half-width otherwise). NaN (null in
    /// JSON, n/a in tables), never infinite, where that width is 0 or the
    /// sample too small.
    pub fn z(&self, x: f64) -> f64 {
        let half = if x <= self.mean { self.mean - self.ci95[0] } else { self.ci95[1] - self.mean };
        let se = half / t_quantile_975(self.n);
        let z = (self.mean - x) / se;
        if z.is_finite() && se > 0.0 {
            z
        } else {
            f64::NAN
        }
    }

    /// The summary of `scale`·X + `shift` (the interval reordered when
    /// `scale` is negative).
    pub fn affine(&self, scale: f64, shift: f64) -> Summary {
        let [a, b] = self.ci95.map(|c| scale * c + shift);
        let mut warnings = self.warnings;
        warnings.floor = warnings.floor.map(|f| scale.abs() * f);
        Summary {
            n: self.n,
            mean: scale * self.mean + shift,
            stderr: scale.abs() * self.stderr,
            ci95: [a.min(b), a.max(b)],
            warnings,
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
        let w = Warnings { heavy_tail: None, floor: Some(0.25) };
        let s = Summary { n: 9, mean: 2.0, stderr: 0.5, ci95: [1.0, 3.0], warnings: w };
        let floor = |f| Warnings { floor: Some(f), ..w };
        assert_eq!(
            s.affine(-2.0, 1.0),
            Summary { n: 9, mean: -3.0, stderr: 1.0, ci95: [-5.0, -1.0], warnings: floor(0.5) }
        );
        assert_eq!(s.affine(1.0, -2.0), Summary { n: 9, mean: 0.0, stderr: 0.5, ci95: [-1.0, 1.0], warnings: w });
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

    // ------------------------------------------------------------ Sample

    fn sample(xs: &[f64]) -> Sample {
        let mut m = Sample::default();
        xs.iter().for_each(|&x| m.push(x));
        m
    }

    /// Σ (x − mean)^p by two passes over exactly shifted values.
    fn central(xs: &[f64], p: i32) -> f64 {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - mean).powi(p)).sum()
    }

    /// Skewed, shifted values: the third and fourth moments are not small.
    fn skewed(n: usize) -> Vec<f64> {
        (0..n).map(|i| 3.0 + (1.0 + (i as f64 * 0.731).sin()).powi(3) * (i as f64 * 0.173).cos().abs()).collect()
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

    // -------------------------------------------------- skew-corrected interval

    /// Uniform (0, 1) numbers from the Philox stream of (seed, rep).
    fn uniforms(seed: u64, rep: u64, n: usize) -> impl Iterator<Item = f64> {
        (0..n.div_ceil(4) as u32)
            .flat_map(move |b| crate::rng::block(seed, rep, crate::rng::Stream::Data, b))
            .take(n)
            .map(|w| (w as f64 + 0.5) * 2f64.powi(-32))
    }

    fn exponential(seed: u64, rep: u64, n: usize) -> Vec<f64> {
        uniforms(seed, rep, n).map(|u| -u.ln()).collect()
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

    // ------------------------------------------------------------ heavy tails

    /// Pareto samples of n = 2000 (ξ = 1/α): the mean fitted ξ̂ over 100
    /// replications is within 0.1 (1 + ξ) of ξ (ML at k = 31 is biased low by
    /// about half that); exponential samples give ξ̂ near 0.
    #[test]
    fn gpd_shape_recovers_known_tails() {
        let fit = |xs: &[f64]| sample(xs).tail().unwrap();
        for (i, xi) in [0.5, 1.0, 2.0].into_iter().enumerate() {
            let fits: Vec<TailFit> = (0..100)
                .map(|r| fit(&uniforms(30 + i as u64, r, 2000).map(|u| u.powf(-xi)).collect::<Vec<_>>()))
                .collect();
            let mean = fits.iter().map(|f| f.xi).sum::<f64>() / 100.0;
            assert!((mean - xi).abs() < 0.1 * (1.0 + xi), "ξ = {xi}: mean fit {mean}");
            assert!(fits.iter().all(|f| f.upper));
        }
        let mean = (0..100).map(|r| fit(&exponential(33, r, 2000)).xi).sum::<f64>() / 100.0;
        assert!(mean < 0.1, "exponential: {mean}");
        // Bounded or constant exceedances.
        assert_eq!(gpd_shape(&(1..=31).map(|i| i as f64).collect::<Vec<_>>()), 0.0);
        assert_eq!(gpd_shape(&[0.0; 31]), 0.0);
        // Ties: no fit where the extremes take few values.
        assert_eq!(sample(&[1.0; 400]).tail(), None);
        let levels: Vec<f64> =
            (0..2000).map(|i| [0.0, 1.0, 1e3][(i % 997 == 0) as usize + (i == 5) as usize]).collect();
        assert_eq!(sample(&levels).tail(), None);
        let mut one_side = exponential(34, 0, 2000);
        one_side.extend([-1.0; 40]);
        assert!(sample(&one_side).tail().is_some_and(|t| t.upper));
    }

    /// The rule on n = 2000: it fires on most replications of a Pareto law of
    /// index 1/2 (ξ = 2; 92% expected), on none of 100 normal and 100
    /// exponential samples, and not below `TAIL_MIN_N` values.
    #[test]
    fn heavy_tail_rule_separates_pareto_from_light_laws() {
        let fires = |xs: Vec<f64>| sample(&xs).summary().warnings.heavy_tail.is_some();
        let pareto = |r| uniforms(21, r, 2000).map(|u| u.powf(-2.0)).collect::<Vec<_>>();
        let hits = (0..50).filter(|&r| fires(pareto(r))).count();
        assert!(hits >= 40, "{hits} of 50");
        // The lower tail too.
        assert_eq!((0..50).filter(|&r| fires(pareto(r).iter().map(|x| -x).collect())).count(), hits);
        let normal = |r| (0..2000).map(|e| crate::rng::normal(22, r, crate::rng::Stream::Data, e)).collect::<Vec<_>>();
        assert_eq!((0..100).filter(|&r| fires(normal(r)) || fires(exponential(23, r, 2000))).count(), 0);
        assert!(!fires(pareto(0)[..TAIL_MIN_N as usize - 1].to_vec()));
        assert!((heavy_tail_threshold() - 1.129).abs() < 1e-3, "{}", heavy_tail_threshold());
    }

    #[test]
    fn heavy_tails_are_shared_with_the_other_observables() {
        let light = sample(&exponential(1, 0, 2000)).summary();
        let heavy = |xi| Summary {
            warnings: Warnings { heavy_tail: Some(HeavyTail { xi, upper: true, source: None }), floor: None },
            ..light
        };
        let (mut a, mut b, mut c, mut d) = (light, heavy(1.5), heavy(2.5), light);
        share_heavy_tails(&mut [("a", &mut a), ("b", &mut b), ("c", &mut c), ("d", &mut d)]);
        assert_eq!(a.warnings.heavy_tail, Some(HeavyTail { xi: 2.5, upper: true, source: Some("c") }));
        assert_eq!(d.warnings.heavy_tail, a.warnings.heavy_tail);
        assert_eq!((b.warnings.heavy_tail.unwrap().source, c.warnings.heavy_tail.unwrap().source), (None, None));
        let json = serde_json::to_value(a).unwrap();
        let text = json["warnings"][0].as_str().unwrap();
        assert!(text.starts_with("heavy tail in c (the same trials"), "{text}");
        let (mut e, mut f) = (light, light);
        share_heavy_tails(&mut [("e", &mut e), ("f", &mut f)]);
        assert_eq!((e, f), (light, light));
        assert!(serde_json::to_value(light).unwrap().get("warnings").is_none(), "no warnings, no key");
    }
}
