//! Branch-free f64 `exp`, `ln` and `sincos` that the compiler can vectorise.
//!
//! The CPU backend runs blocks of trials as structure-of-arrays loops. Calls into
//! libm stop LLVM from vectorising such a loop, so the few transcendental
//! functions the landscapes and the normal sampler need are written here as
//! range reduction plus a polynomial, using only arithmetic, comparisons and
//! integer bit operations that AVX2 has. Accuracy is that of libm to within
//! about 2 ulp over the documented domains (tests compare against `std`).

// The split constants are quoted as published (Cephes, fdlibm).
#![allow(clippy::excessive_precision)]

/// 1.5 * 2^52: adding it rounds a double of magnitude below 2^51 to an integer
/// held in the low bits of the sum's representation.
pub(crate) const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// [`exp`]'s constants, which the network kernels' vector builds repeat
/// (`network::simd`): ln 2 split for Cody–Waite reduction, and the
/// factorials of its Taylor series, highest term first.
pub(crate) mod exp_constants {
    pub(crate) use super::ROUND_MAGIC;
    pub(crate) const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    pub(crate) const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    pub(crate) const LEADING: f64 = 6_227_020_800.0;
    pub(crate) const DIVISORS: [f64; 13] =
        [479_001_600.0, 39_916_800.0, 3_628_800.0, 362_880.0, 40_320.0, 5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0];
}

/// Rounds `x` (|x| < 2^51) to the nearest integer; returns it as f64 and as i64.
#[inline(always)]
fn round_split(x: f64) -> (f64, i64) {
    let y = x + ROUND_MAGIC;
    let k = (y.to_bits() as i64).wrapping_sub(ROUND_MAGIC.to_bits() as i64);
    (y - ROUND_MAGIC, k)
}

/// Converts a small integer to f64 without `cvtsi2sd`, which AVX2 lacks for i64.
#[inline(always)]
fn small_int_to_f64(k: i64) -> f64 {
    f64::from_bits((ROUND_MAGIC.to_bits() as i64).wrapping_add(k) as u64) - ROUND_MAGIC
}

/// e^x for finite x; results below e^-708 flush to about 2^-1021, above e^709 saturate.
/// NaN propagates.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    use exp_constants::*;
    let x = x.clamp(-708.0, 709.0);
    let (kf, k) = round_split(x * std::f64::consts::LOG2_E);
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // Taylor series of e^r, |r| <= ln2/2: the r^14 term is below 4e-18.
    let mut p = 1.0 / LEADING;
    for d in DIVISORS {
        p = p * r + 1.0 / d;
    }
    p * f64::from_bits(((k + 1023) as u64) << 52)
}

/// Natural logarithm of a positive normal double (the sampler feeds it (0, 1]).
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & MANTISSA) | 1.0f64.to_bits());
    // Bring m into [sqrt(1/2), sqrt(2)).
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = small_int_to_f64(e + big as i64);
    // ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.1716: terms to s^21.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 21.0;
    for d in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p * s2 + 1.0 / d;
    }
    e * std::f64::consts::LN_2 + 2.0 * s * p
}

/// (sin x, cos x) for |x| up to about 1e8 (Cody–Waite reduction by pi/2).
#[inline(always)]
pub fn sincos(x: f64) -> (f64, f64) {
    // pi/2 split so that k * P1 and k * P2 are exact for |k| < 2^26 (Cephes).
    const P1: f64 = 1.570_796_251_296_997_070_31;
    const P2: f64 = 7.549_789_415_861_596_353_36e-8;
    const P3: f64 = 5.390_302_858_158_119_052_90e-15;
    let (kf, k) = round_split(x * std::f64::consts::FRAC_2_PI);
    let r = ((x - kf * P1) - kf * P2) - kf * P3;
    let r2 = r * r;
    // Taylor series on |r| <= pi/4: the first omitted terms are below 1e-19.
    let mut s = -1.0 / 121_645_100_408_832_000.0; // -1/19!
    for d in [
        355_687_428_096_000.0,
        -1_307_674_368_000.0,
        6_227_020_800.0,
        -39_916_800.0,
        362_880.0,
        -5040.0,
        120.0,
        -6.0,
        1.0,
    ] {
        s = s * r2 + 1.0 / d;
    }
    let s = s * r;
    let mut c = -1.0 / 6_402_373_705_728_000.0; // -1/18!
    for d in [20_922_789_888_000.0, -87_178_291_200.0, 479_001_600.0, -3_628_800.0, 40_320.0, -720.0, 24.0, -2.0, 1.0] {
        c = c * r2 + 1.0 / d;
    }
    // Quadrant k mod 4: swap on odd k, then fix signs through the sign bit.
    let q = k as u64;
    let odd = q & 1 == 1;
    let (sn, cs) = if odd { (c, s) } else { (s, c) };
    let sin_sign = (q & 2) << 62;
    let cos_sign = (q.wrapping_add(1) & 2) << 62;
    (f64::from_bits(sn.to_bits() ^ sin_sign), f64::from_bits(cs.to_bits() ^ cos_sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        let scale = b.abs().max(f64::MIN_POSITIVE);
        (a - b).abs() / (scale * f64::EPSILON)
    }

    fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64)
    }

    #[test]
    fn exp_matches_std() {
        for x in grid(-700.0, 700.0, 200_001) {
            assert!(ulps(exp(x), x.exp()) < 3.0, "exp({x}) = {} vs {}", exp(x), x.exp());
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn ln_matches_std() {
        for x in grid(1e-10, 1.0, 200_000).chain(grid(1.0, 1e6, 100_000)).chain([2f64.powi(-33), 0.5, 2.0]) {
            let err = (ln(x) - x.ln()).abs();
            assert!(err <= 3.0 * f64::EPSILON * x.ln().abs().max(1.0), "ln({x}) = {} vs {}", ln(x), x.ln());
        }
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn sincos_matches_std() {
        for x in grid(-1000.0, 1000.0, 400_001).chain(grid(-1e-6, 1e-6, 101)) {
            let (s, c) = sincos(x);
            // Absolute error: the reduction leaves about 1 ulp of |x| relative error.
            let tol = 4.0 * f64::EPSILON * x.abs().max(1.0);
            assert!((s - x.sin()).abs() <= tol, "sin({x}) = {s} vs {}", x.sin());
            assert!((c - x.cos()).abs() <= tol, "cos({x}) = {c} vs {}", x.cos());
        }
        assert_eq!(sincos(0.0), (0.0, 1.0));
    }
}
