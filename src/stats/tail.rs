//! The heavy-tail rule: a generalized Pareto fit to a tail's largest values
//! (maximum likelihood by Grimshaw's profile, Technometrics 35, 1993) and the
//! threshold on its shape that rejects a finite variance.

use super::extremes::EXTREMES;

/// The heavy-tail rule's sample size floor: below it no tail is fitted.
pub const TAIL_MIN_N: u64 = 10 * EXTREMES as u64;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{exponential, sample, uniforms};

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
}
