//! The loss change of one SGD step from a frozen θ_t (seed 003, sec. 5 and
//! Theorem 1; Figs. 9, 10, 24): the runs at the 10%, 50% and 90% loss
//! quantiles at a step t are replayed to θ_t, and many fresh batches each
//! give Δ = f(θ_t − η·g_B(θ_t)) − f(θ_t). Its distribution conditioned on θ_t
//! (mean, variance, quantiles) is set beside the spread of Δ_t across runs at
//! the same step, which mixes that randomness with the runs' different θ_t.

use super::distribution::Distribution;
use super::records::Records;
use super::spec::{Resolved, FROZEN_QUANTILES};
use crate::eigen;
use crate::network::curvature::{Curvature, Head};
use crate::network::options::{Metric, Sampling};
use crate::network::theorem1::{self, Prediction, Step};
use crate::network::train::Study;
use crate::rng::{below, word, Stream};
use crate::stats::Moments;
use rayon::prelude::*;
use serde::Serialize;

/// Δ from one frozen run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LossChange {
    /// The step t at which the run is frozen.
    pub step: u64,
    /// The loss quantile whose run it is.
    pub quantile: f64,
    /// The run (its index).
    pub run: u64,
    /// f(θ_t) of that run.
    pub train_loss: f64,
    /// Fresh batches drawn.
    pub batches: u64,
    /// Δ over the fresh batches.
    pub delta: Distribution,
    /// Variance of Δ over the fresh batches (unbiased).
    pub variance: f64,
    /// Variance of Δ_t across the runs at step t (each run's own batch).
    pub variance_across_runs: f64,
    /// Theorem 1 at θ_t, with L = ‖H_f(θ_t)‖₂ (None where θ_t is not finite).
    pub theorem1: Option<Prediction>,
}

/// The loss-change study at every step of `resolved.loss_change_at`.
pub fn frozen(study: &Study, resolved: &Resolved, records: &Records) -> Vec<LossChange> {
    let mut out = Vec::new();
    for (i, &t) in resolved.loss_change_at.iter().enumerate() {
        let k = records.steps.iter().position(|&s| s == t).expect("a recorded step (checked by resolve)");
        let loss = records.column(Metric::TrainLoss, k);
        let mut across = Moments::default();
        for &d in records.column(Metric::Delta, k).iter().filter(|d| d.is_finite()) {
            across.push(d);
        }
        let mut order: Vec<usize> = (0..loss.len()).filter(|&r| loss[r].is_finite()).collect();
        order.sort_unstable_by(|&a, &b| loss[a].total_cmp(&loss[b]));
        if order.is_empty() {
            continue;
        }
        for (j, &q) in FROZEN_QUANTILES.iter().enumerate() {
            let run = order[(q * (order.len() - 1) as f64).round() as usize] as u64;
            let slot = (i * FROZEN_QUANTILES.len() + j) as u64;
            let theta = study.replay(run, t);
            let rates = vec![resolved.options.eta; theta.len()];
            let deltas = fresh_deltas(resolved, &theta, &rates, (run, slot), resolved.loss_change_batches);
            let delta = Distribution::of(&deltas, &resolved.quantiles);
            out.push(LossChange {
                step: t,
                quantile: q,
                run,
                train_loss: loss[run as usize],
                batches: resolved.loss_change_batches,
                variance: delta.summary.stderr.powi(2) * delta.summary.n as f64,
                delta,
                variance_across_runs: across.variance(),
                theorem1: theorem1(resolved, &theta, run),
            });
        }
    }
    out
}

/// Δ = f(θ − A g_B) − f(θ) of `run` frozen at θ for each of `batches` fresh
/// batches, A = diag(`rates`) (η I for SGD): batch b's sample s is word
/// (slot·B + b)·m + s of [`Stream::FreshBatch`] keyed by (seed, run), drawn
/// as the run's own batches are (with replacement, or m distinct points by a
/// partial Fisher–Yates for shuffled epochs).
pub(super) fn fresh_deltas(
    resolved: &Resolved,
    theta: &[f64],
    rates: &[f64],
    (run, slot): (u64, u64),
    batches: u64,
) -> Vec<f64> {
    let (mlp, train, o) = (&resolved.mlp, &resolved.data.train, &resolved.options);
    let f0 = mlp.evaluate(theta, train).loss;
    let (n, m) = (train.len(), o.batch);
    (0..batches)
        .into_par_iter()
        .map_init(
            || (vec![0.0; theta.len()], (0..n).collect::<Vec<usize>>()),
            |(grad, points), b| {
                let draw = |s: usize| word(o.seed, run, Stream::FreshBatch, (slot * batches + b) * m as u64 + s as u64);
                let batch: Vec<usize> = match o.sampling {
                    Sampling::Replacement => (0..m).map(|s| below(draw(s), n as u32) as usize).collect(),
                    Sampling::Shuffled => {
                        // From the identity each time, so that batch b does
                        // not depend on the batches drawn before it.
                        for (j, p) in points.iter_mut().enumerate() {
                            *p = j;
                        }
                        for s in 0..m {
                            let j = s + below(draw(s), (n - s) as u32) as usize;
                            points.swap(s, j);
                        }
                        points[..m].to_vec()
                    }
                };
                mlp.loss_grad(theta, train, &batch, grad);
                let moved: Vec<f64> = theta.iter().zip(rates).zip(grad.iter()).map(|((w, a), g)| w - a * g).collect();
                mlp.evaluate(&moved, train).loss - f0
            },
        )
        .collect()
}

/// Theorem 1 at θ_t of `run` on the full training set, with L = ‖H_f(θ_t)‖₂
/// (the larger of |λ_max| and |λ_min|, each by Lanczos).
fn theorem1(resolved: &Resolved, theta: &[f64], run: u64) -> Option<Prediction> {
    let (mlp, train, o) = (&resolved.mlp, &resolved.data.train, &resolved.options);
    let (p, n) = (mlp.params(), train.len());
    let all: Vec<usize> = (0..n).collect();
    let c = Curvature::new(mlp, theta, train, &all, Head::Loss);
    if !c.loss().is_finite() || theta.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let l = eigen::spectral_norm(p, 1e-6, (o.seed, run), |v, out| c.hvp(v, out)).ok()?;
    let step = Step { eta: o.eta, batch: o.batch, without_replacement: o.sampling == Sampling::Shuffled };
    Some(theorem1::predict(&c.sample_gradients(), p, n, step, l, |v, out| c.hvp(v, out)))
}
