//! Test data shared by the statistics' unit tests.

use super::moments::Moments;
use super::sample::Sample;

pub(super) fn of(xs: &[f64]) -> Moments {
    let mut m = Moments::default();
    xs.iter().for_each(|&x| m.push(x));
    m
}

pub(super) fn sample(xs: &[f64]) -> Sample {
    let mut m = Sample::default();
    xs.iter().for_each(|&x| m.push(x));
    m
}

/// Skewed, shifted values: the third and fourth moments are not small.
pub(super) fn skewed(n: usize) -> Vec<f64> {
    (0..n).map(|i| 3.0 + (1.0 + (i as f64 * 0.731).sin()).powi(3) * (i as f64 * 0.173).cos().abs()).collect()
}

/// Uniform (0, 1) numbers from the Philox stream of (seed, rep).
pub(super) fn uniforms(seed: u64, rep: u64, n: usize) -> impl Iterator<Item = f64> {
    (0..n.div_ceil(4) as u32)
        .flat_map(move |b| crate::rng::block(seed, rep, crate::rng::Stream::Data, b))
        .take(n)
        .map(|w| (w as f64 + 0.5) * 2f64.powi(-32))
}

pub(super) fn exponential(seed: u64, rep: u64, n: usize) -> Vec<f64> {
    uniforms(seed, rep, n).map(|u| -u.ln()).collect()
}
