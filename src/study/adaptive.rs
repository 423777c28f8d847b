//! Theorem 3's adaptive steps as optimizers beside the study's constant η
//! (seed 003, sec. 5.4, eqs. (35)–(36); `crate::network::adaptive`): each
//! rule trains the first runs from the same θ₀ on the same batches as
//! their SGD runs, and the report gives their mean training loss over the
//! recorded steps, whether it ever rises (paired per-run differences of
//! consecutive records), and at a few steps the conditional mean loss
//! change E[Δ | θ_t] by fresh batches beside the bound B(A_t) it should
//! not exceed (exactly so only where L bounds ‖H_f‖₂ along the step).

use super::distribution::Distribution;
use super::loss_change::fresh_deltas;
use super::spec::{AdaptivePlan as Plan, Resolved};
use crate::network::adaptive::{self, Moments, Rule};
use crate::network::curvature::{Curvature, Head};
use crate::progress::Progress;
use rayon::prelude::*;
use serde::Serialize;

/// Runs whose conditional loss change is checked (the first ones).
pub const CHECKED_RUNS: u64 = 10;

/// Steps at which it is checked: at most this many records, evenly spaced.
const CHECKED_STEPS: usize = 9;

/// The adaptive-step report: one entry per rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdaptiveReport {
    pub smoothness: f64,
    pub runs: u64,
    /// Fresh batches per checked (run, step).
    pub batches: u64,
    pub rules: Vec<RuleReport>,
}

/// One rule's runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleReport {
    pub rule: Rule,
    /// Runs whose loss became non-finite: counted, left out.
    pub diverged: usize,
    pub curve: Vec<Point>,
    /// Records k whose mean f(θ_{k+1}) − f(θ_k) over runs is more than
    /// 2 SE above 0: where the mean loss rose.
    pub rising_records: usize,
    /// The largest z = mean/SE of those differences over the records.
    pub largest_rise_z: f64,
    pub checks: Vec<Check>,
}

/// The rule's runs at one recorded step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub step: u64,
    /// f(θ_t) over runs.
    pub train_loss: Distribution,
    /// The step sizes' mean over coordinates, (1/p)Σ a_j (η_t for the oracle).
    pub rate: Distribution,
}

/// E[Δ | θ_t] of the checked runs at one step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub step: u64,
    /// Each run's mean Δ over the fresh batches, over runs.
    pub delta: Distribution,
    /// B(A_t) = Σ_j(−a_jμ_j² + (L/2)a_j²M^(m)_jj), over runs.
    pub bound: Distribution,
    /// Runs whose mean Δ is more than 2 SE above 0.
    pub positive: usize,
    /// Runs whose mean Δ is more than 2 SE above B(A_t): L is exceeded.
    pub above_bound: usize,
}

/// One run: f and the mean rate at each record, and its checks.
struct Trained {
    loss: Vec<f64>,
    rate: Vec<f64>,
    /// (mean Δ, its SE, B) at each checked step.
    checks: Vec<(f64, f64, f64)>,
}

/// The plan's rules on the caller's rayon pool, advancing `progress` by one
/// per (rule, run).
pub fn measure(resolved: &Resolved, plan: &Plan, progress: &Progress) -> AdaptiveReport {
    let records = resolved.options.record_steps();
    // θ_T takes no step: the checks are at the records before it.
    let checked: Vec<u64> = spaced(&records[..records.len() - 1], CHECKED_STEPS);
    let rules = plan
        .rules
        .iter()
        .map(|&rule| {
            let trained: Vec<Trained> = (0..plan.runs)
                .into_par_iter()
                .map(|run| {
                    let t = one(resolved, plan, rule, run, &records, &checked);
                    progress.advance(1);
                    t
                })
                .collect();
            summarise(rule, &records, &checked, &trained, &resolved.quantiles)
        })
        .collect();
    AdaptiveReport { smoothness: plan.smoothness, runs: plan.runs, batches: plan.batches, rules }
}

/// At most `k` of `steps`, evenly spaced, the first included.
fn spaced(steps: &[u64], k: usize) -> Vec<u64> {
    let (len, k) = (steps.len(), k.min(steps.len()));
    let mut out: Vec<u64> = (0..k).map(|i| steps[i * len / k]).collect();
    out.dedup();
    out
}

fn one(resolved: &Resolved, plan: &Plan, rule: Rule, run: u64, records: &[u64], checked: &[u64]) -> Trained {
    let (mlp, train, o) = (&resolved.mlp, &resolved.data.train, &resolved.options);
    let (p, n) = (mlp.params(), train.len());
    let all: Vec<usize> = (0..n).collect();
    let mut out = Trained { loss: Vec::new(), rate: Vec::new(), checks: Vec::new() };
    adaptive::train(mlp, train, o, (rule, plan.smoothness), run, |t, theta, rates| {
        if records.contains(&t) {
            let loss = mlp.evaluate(theta, train).loss;
            out.loss.push(if theta.iter().all(|x| x.is_finite()) { loss } else { f64::NAN });
            out.rate.push(if rates.is_empty() { f64::NAN } else { rates.iter().sum::<f64>() / p as f64 });
        }
        if run < CHECKED_RUNS.min(plan.runs) && !rates.is_empty() {
            if let Some(k) = checked.iter().position(|&s| s == t) {
                let g = Curvature::new(mlp, theta, train, &all, Head::Loss).sample_gradients();
                let bound = Moments::new(&g, p, n, o.batch, o.sampling).bound(rates, plan.smoothness);
                let d = Distribution::of(&fresh_deltas(resolved, theta, rates, (run, k as u64), plan.batches), &[]);
                out.checks.push((d.summary.mean, d.summary.stderr, bound));
            }
        }
    });
    out
}

fn summarise(rule: Rule, records: &[u64], checked: &[u64], trained: &[Trained], qs: &[f64]) -> RuleReport {
    let ok: Vec<&Trained> = trained.iter().filter(|t| t.loss.iter().all(|x| x.is_finite())).collect();
    let over = |f: &dyn Fn(&Trained) -> f64| Distribution::of(&ok.iter().map(|t| f(t)).collect::<Vec<_>>(), qs);
    let curve = (0..records.len())
        .map(|k| Point { step: records[k], train_loss: over(&|t| t.loss[k]), rate: over(&|t| t.rate[k]) })
        .collect();
    let rises: Vec<f64> = (1..records.len())
        .map(|k| {
            let d = over(&|t| t.loss[k] - t.loss[k - 1]).summary;
            if d.stderr > 0.0 {
                d.mean / d.stderr
            } else {
                0.0
            }
        })
        .collect();
    let checks = checked
        .iter()
        .enumerate()
        .map(|(k, &step)| {
            let done: Vec<(f64, f64, f64)> = ok.iter().filter_map(|t| t.checks.get(k).copied()).collect();
            Check {
                step,
                delta: Distribution::of(&done.iter().map(|c| c.0).collect::<Vec<_>>(), qs),
                bound: Distribution::of(&done.iter().map(|c| c.2).collect::<Vec<_>>(), qs),
                positive: done.iter().filter(|(d, se, _)| *d > 2.0 * se).count(),
                above_bound: done.iter().filter(|(d, se, b)| d - b > 2.0 * se).count(),
            }
        })
        .collect();
    RuleReport {
        rule,
        diverged: trained.len() - ok.len(),
        curve,
        rising_records: rises.iter().filter(|&&z| z > 2.0).count(),
        largest_rise_z: rises.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        checks,
    }
}
