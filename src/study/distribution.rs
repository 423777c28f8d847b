//! A distribution over runs at one step: the mean with its standard error
//! and 95% interval (the rules of [`crate::stats`]), and exact quantiles
//! with their distribution-free intervals.

use crate::stats::{quantiles, Moments, Sample, Summary};
use serde::Serialize;
use std::collections::BTreeMap;

/// The finite values of one observable over runs at one step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Distribution {
    /// n (finite values), mean, SE, 95% CI and warnings.
    #[serde(flatten)]
    pub summary: Summary,
    /// Quantile q (keyed "0.1", "0.5", …) over the runs.
    pub quantiles: BTreeMap<String, f64>,
    /// Each quantile's distribution-free 95% interval.
    pub quantile_ci95: BTreeMap<String, [f64; 2]>,
}

/// How a quantile level is keyed in reports: "0.1", "0.25", "0.5".
pub fn key(q: f64) -> String {
    format!("{q}")
}

impl Distribution {
    /// The distribution of the finite `values` at quantile levels `qs`.
    pub fn of(values: &[f64], qs: &[f64]) -> Self {
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let mut sample = Sample::default();
        for &v in &finite {
            sample.push(v);
        }
        let summary = if finite.len() >= 2 { sample.summary() } else { sample.moments.summary() };
        let qs = quantiles(&mut finite, qs);
        Distribution {
            summary,
            quantiles: qs.iter().map(|q| (key(q.q), q.value)).collect(),
            quantile_ci95: qs.iter().map(|q| (key(q.q), q.ci95)).collect(),
        }
    }

    /// Quantile `q`'s value (NaN if it was not asked for).
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantiles.get(&key(q)).copied().unwrap_or(f64::NAN)
    }
}

/// Seed 003's Fig. 8: the mean of `other` over the runs whose `loss` is near
/// its q-quantile (ranks within ±1% of the runs, at least one each side of
/// q·(n − 1)), for each q; NaN where no such run has a finite `other`.
pub fn near_loss_quantiles(loss: &[f64], other: &[f64], qs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..loss.len()).filter(|&r| loss[r].is_finite()).collect();
    order.sort_unstable_by(|&a, &b| loss[a].total_cmp(&loss[b]));
    let n = order.len();
    qs.iter()
        .map(|&q| {
            if n == 0 {
                return f64::NAN;
            }
            let centre = (q * (n - 1) as f64).round() as usize;
            let half = (n / 100).max(1);
            let window = &order[centre.saturating_sub(half)..(centre + half + 1).min(n)];
            let mut m = Moments::default();
            for &r in window.iter().filter(|&&r| other[r].is_finite()) {
                m.push(other[r]);
            }
            if m.n == 0 {
                f64::NAN
            } else {
                m.mean
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values 1..=100 with two NaN: n = 100, mean 50.5, the median 50.5
    /// (NumPy's), SE = √(841.67/100) = 2.9011.
    #[test]
    fn a_distribution_skips_non_finite_values() {
        let mut v: Vec<f64> = (1..=100).map(|i| i as f64).collect();
        v.extend([f64::NAN, f64::INFINITY]);
        let d = Distribution::of(&v, &[0.1, 0.5]);
        assert_eq!(d.summary.n, 100);
        assert!((d.summary.mean - 50.5).abs() < 1e-12);
        assert!((d.summary.stderr - (101.0 * 100.0 / 12.0 / 100.0f64).sqrt()).abs() < 1e-9, "{}", d.summary.stderr);
        assert_eq!((d.quantile(0.5), d.quantile(0.1)), (50.5, 10.9));
        assert!(d.quantile(0.3).is_nan());
    }

    /// Loss = run index, other = 10 · run index: near the median of 201
    /// runs (ranks 98..=102) the mean of other is 1000.
    #[test]
    fn the_runs_near_a_loss_quantile() {
        let loss: Vec<f64> = (0..201).map(|r| r as f64).collect();
        let other: Vec<f64> = loss.iter().map(|l| 10.0 * l).collect();
        let got = near_loss_quantiles(&loss, &other, &[0.0, 0.5, 1.0]);
        assert_eq!(got, [10.0 * 1.0, 1000.0, 10.0 * 199.0]);
        assert!(near_loss_quantiles(&[f64::NAN], &[1.0], &[0.5])[0].is_nan());
    }
}
