//! Seed 003's PAC-Bayes bound measured over runs (sec. 6, Theorem 4,
//! Figs. 11, 25): each run replayed to θ_T, its exact Hessian diagonal, the
//! posterior of Assumption 2, the effective curvature EC, the weighted norm
//! WN, the exact KL, bound (51) turned into a bound on the Gibbs
//! classifier's 0–1 error by kl inversion, and the measured errors, each a
//! distribution over runs. The loss in the kl bound is the 0–1 error (it
//! must lie in [0, 1]; docs/seed003-slips.md S23) on the training labels'
//! law: the test set's noisy labels.

use super::distribution::Distribution;
use super::spec::{PacBayesPlan as Plan, Resolved};
use crate::error::{Error, Result};
use crate::network::curvature::{Curvature, Head};
use crate::network::pac_bayes::{self, Prior, PriorMean, Terms};
use crate::network::train::Study;
use crate::progress::Progress;
use rayon::prelude::*;
use serde::Serialize;

/// The thresholds x of [`PacBayesReport::diagonal_survival`]: 10^(k/4),
/// k = −24 … 12.
fn survival_grid() -> Vec<f64> {
    (-24..=12).map(|k| 10f64.powf(k as f64 / 4.0)).collect()
}

/// The study's quantile levels and 0.05, 0.1, …, 0.95 (the quantile
/// functions of Figs. 11 and 25's distributions over runs).
fn quantile_levels(study: &[f64]) -> Vec<f64> {
    let mut qs: Vec<f64> = study.iter().copied().chain((1..20).map(|k| k as f64 / 20.0)).collect();
    qs.sort_by(f64::total_cmp);
    qs.dedup();
    qs
}

/// The PAC-Bayes report of the runs at their last step T.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PacBayesReport {
    pub runs: u64,
    pub step: u64,
    pub prior_sd: f64,
    pub prior_mean: PriorMean,
    pub delta: f64,
    /// Draws from each run's posterior for its Gibbs errors.
    pub draws: u64,
    /// Runs whose θ_T or loss is not finite: counted, left out.
    pub diverged: usize,
    /// d̃, the coordinates with H_jj > 1/σ².
    pub sharp: Distribution,
    /// EC = Σ_sharp ln(H_jj σ²).
    pub effective_curvature: Distribution,
    /// WN = ‖θ_T − θ₀‖²/σ² (θ₀ the prior mean).
    pub weighted_norm: Distribution,
    /// ‖θ_T − θ₀‖²/σ² with θ₀ the run's init, whatever the prior's mean:
    /// WN of the init-centred prior, "the distance of the parameter θ from
    /// initialization" of the paper's text (S24).
    pub distance_from_init: Distribution,
    /// KL(Q_θ‖P), exact.
    pub kl: Distribution,
    /// Σ_sharp (1/(H_jj σ²) − 1) ≤ 0, left out of (51).
    pub dropped: Distribution,
    /// (51)'s right side: (EC + WN)/(2n) + ln((n + 1)/δ)/n.
    pub bound_51: Distribution,
    /// sup{e : kl(ê_S‖e) ≤ (51)}: the bound on the Gibbs test error.
    pub error_bound: Distribution,
    /// The same with the exact KL in place of EC + WN.
    pub error_bound_kl: Distribution,
    /// Share of runs whose `error_bound` is below chance, 1 − 1/k (k
    /// classes): the runs where the bound says anything.
    pub below_chance: f64,
    /// The network's own 0–1 error at θ_T on the training set.
    pub train_error: Distribution,
    /// The Gibbs classifier's 0–1 error on the training set, ê_S.
    pub gibbs_train_error: Distribution,
    /// With a test set: the network's test error (noisy labels, as trained;
    /// and clean), the Gibbs test error, its gap to ê_S, and the share of
    /// runs whose Gibbs test error is at most the bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<TestErrors>,
    /// (x, share of all runs' coordinates with H_jj > x), x = 10^(k/4) for
    /// k = −24 … 12: the pooled diagonal of Fig. 11(a).
    pub diagonal_survival: Vec<(f64, f64)>,
}

/// The runs' errors on the held-out test set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestErrors {
    pub test_error: Distribution,
    pub clean_test_error: Distribution,
    /// The network's generalization gap: test error (noisy) − training error.
    pub gap: Distribution,
    pub gibbs_test_error: Distribution,
    /// Gibbs test error − ê_S.
    pub gibbs_gap: Distribution,
    /// Share of runs with Gibbs test error ≤ `error_bound`.
    pub bound_holds: f64,
}

impl PacBayesReport {
    /// Every distribution over runs, by its statistic's name (the table's
    /// and the CSV's rows).
    pub fn distributions(&self) -> Vec<(&'static str, &Distribution)> {
        let mut out = vec![
            ("sharp", &self.sharp),
            ("effective_curvature", &self.effective_curvature),
            ("weighted_norm", &self.weighted_norm),
            ("distance_from_init", &self.distance_from_init),
            ("kl", &self.kl),
            ("dropped", &self.dropped),
            ("bound_51", &self.bound_51),
            ("train_error", &self.train_error),
            ("gibbs_train_error", &self.gibbs_train_error),
        ];
        if let Some(t) = &self.test {
            out.extend([
                ("test_error", &t.test_error),
                ("clean_test_error", &t.clean_test_error),
                ("gap", &t.gap),
                ("gibbs_test_error", &t.gibbs_test_error),
                ("gibbs_gap", &t.gibbs_gap),
            ]);
        }
        out.extend([("error_bound", &self.error_bound), ("error_bound_kl", &self.error_bound_kl)]);
        out
    }
}

/// One run.
struct Measured {
    terms: Terms,
    from_init: f64,
    bound_51: f64,
    error_bound: f64,
    error_bound_kl: f64,
    train_error: f64,
    gibbs_train: f64,
    /// test error (noisy, clean), Gibbs test error.
    test: Option<[f64; 3]>,
    /// Per threshold of the survival grid, this run's coordinates above it.
    above: Vec<usize>,
}

/// The PAC-Bayes terms and errors of `plan.runs` runs at step T, on the
/// caller's rayon pool, advancing `progress` by one per run.
pub fn measure(study: &Study, resolved: &Resolved, plan: &Plan, progress: &Progress) -> Result<PacBayesReport> {
    let grid = survival_grid();
    let measured: Vec<Option<Measured>> = (0..plan.runs)
        .into_par_iter()
        .map(|run| {
            let m = one(study, resolved, plan, &grid, run);
            progress.advance(1);
            m.map_err(|e| Error::Failed(format!("run {run}: {e}")))
        })
        .collect::<Result<_>>()?;
    let ok: Vec<&Measured> = measured.iter().flatten().collect();
    let qs = quantile_levels(&resolved.quantiles);
    let of = |f: &dyn Fn(&Measured) -> f64| Distribution::of(&ok.iter().map(|m| f(m)).collect::<Vec<_>>(), &qs);
    let p = resolved.mlp.params() as f64;
    let chance = 1.0 - 1.0 / resolved.mlp.classes() as f64;
    let test = resolved.data.test.as_ref().map(|_| {
        let t = |m: &Measured| m.test.expect("a test set");
        TestErrors {
            test_error: of(&|m| t(m)[0]),
            clean_test_error: of(&|m| t(m)[1]),
            gap: of(&|m| t(m)[0] - m.train_error),
            gibbs_test_error: of(&|m| t(m)[2]),
            gibbs_gap: of(&|m| t(m)[2] - m.gibbs_train),
            bound_holds: ok.iter().filter(|m| t(m)[2] <= m.error_bound).count() as f64 / ok.len().max(1) as f64,
        }
    });
    let diagonal_survival = grid
        .iter()
        .enumerate()
        .map(|(k, &x)| (x, ok.iter().map(|m| m.above[k]).sum::<usize>() as f64 / (p * ok.len().max(1) as f64)))
        .collect();
    Ok(PacBayesReport {
        runs: plan.runs,
        step: resolved.options.steps,
        prior_sd: plan.sd,
        prior_mean: plan.mean,
        delta: plan.delta,
        draws: plan.draws,
        diverged: measured.len() - ok.len(),
        sharp: of(&|m| m.terms.sharp as f64),
        effective_curvature: of(&|m| m.terms.effective_curvature),
        weighted_norm: of(&|m| m.terms.weighted_norm),
        distance_from_init: of(&|m| m.from_init),
        kl: of(&|m| m.terms.kl),
        dropped: of(&|m| m.terms.dropped),
        bound_51: of(&|m| m.bound_51),
        error_bound: of(&|m| m.error_bound),
        error_bound_kl: of(&|m| m.error_bound_kl),
        below_chance: ok.iter().filter(|m| m.error_bound < chance).count() as f64 / ok.len().max(1) as f64,
        train_error: of(&|m| m.train_error),
        gibbs_train_error: of(&|m| m.gibbs_train),
        test,
        diagonal_survival,
    })
}

/// Run `run` at step T; `None` where θ_T or its loss is not finite.
fn one(study: &Study, resolved: &Resolved, plan: &Plan, grid: &[f64], run: u64) -> Result<Option<Measured>> {
    let (mlp, data) = (&resolved.mlp, &resolved.data);
    let (p, n) = (mlp.params(), data.train.len());
    let o = &resolved.options;
    let theta = study.replay(run, o.steps);
    let all: Vec<usize> = (0..n).collect();
    let hf = Curvature::new(mlp, &theta, &data.train, &all, Head::Loss);
    if !hf.loss().is_finite() || theta.iter().any(|x| !x.is_finite()) {
        return Ok(None);
    }
    let diagonal = hf.diagonal();
    let init = mlp.init(o.init, o.seed, run);
    let from_init = theta.iter().zip(&init).map(|(t, i)| (t - i) * (t - i)).sum::<f64>() / (plan.sd * plan.sd);
    let mean = match plan.mean {
        PriorMean::Zero => vec![0.0; p],
        PriorMean::Init => init,
    };
    let sd = vec![plan.sd; p];
    let prior = Prior { mean: &mean, sd: &sd };
    let terms = Terms::new(&theta, &diagonal, prior);
    let nu = pac_bayes::precision(&diagonal, prior);
    let mut sets = vec![&data.train];
    if let Some(t) = &data.test {
        sets.push(&t.noisy);
    }
    let gibbs = pac_bayes::gibbs_errors(mlp, &theta, &nu, &sets, plan.draws, (o.seed, run));
    let bound_51 = terms.bound_51(n, plan.delta);
    let test = data.test.as_ref().map(|t| {
        let error = |set| 1.0 - mlp.evaluate(&theta, set).accuracy;
        [error(&t.noisy), error(&t.clean), gibbs[1]]
    });
    Ok(Some(Measured {
        terms,
        from_init,
        bound_51,
        error_bound: pac_bayes::kl_upper(gibbs[0], bound_51),
        error_bound_kl: pac_bayes::kl_upper(gibbs[0], terms.bound_kl(n, plan.delta)),
        train_error: 1.0 - mlp.evaluate(&theta, &data.train).accuracy,
        gibbs_train: gibbs[0],
        test,
        above: grid.iter().map(|&x| diagonal.iter().filter(|&&h| h > x).count()).collect(),
    }))
}
