//! What the commands report, each a value rendered as text or JSON (serde
//! types: the JSON's shape is theirs). Here `run`'s [`RunReport`], rendered
//! as a table ([`table`]), JSON or CSV ([`csv`]); `predict`'s, `stats`'s and
//! `landscapes`'s in [`predict`], [`stats`] and [`landscapes`].

pub mod csv;
pub mod landscapes;
pub mod predict;
pub mod stats;
pub mod table;

use crate::data_law::{per_coordinate, DataLaw, SIMULATOR_NODES};
use crate::experiment::Experiment;
use crate::observables::{Outcome, Tally};
use crate::optimizer::{Optimizer, Update};
use crate::plan::Plan;
use crate::stats::{heaviest_tail, share_heavy_tails, HeavyTail, Interval, Proportion, Rules, Summary};
use crate::theory::corollary::ValleyDrift;
use crate::theory::predict::Prediction;
use crate::theory::resum::Resum;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Mean, SE and CI of the final observables, each with its `warnings` (a
/// heavy tail, its own or another observable's of the same trials; the
/// precision floor), where any apply.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    pub test_loss: Summary,
    pub train_loss: Summary,
    pub gen_gap: Summary,
    pub theta: Vec<Summary>,
}

/// One recorded step of the learning curve.
#[derive(Clone, Debug, Serialize)]
pub struct CurvePoint {
    pub step: usize,
    pub test_loss: Summary,
    pub train_loss: Summary,
    pub gen_gap: Summary,
    pub theta: Vec<Summary>,
}

/// The compared arm (`--compare`) and the paired differences (primary −
/// compared).
#[derive(Clone, Debug, Serialize)]
pub struct PairedReport {
    /// Each arm's name where the two are told apart: the optimizer and the
    /// settings in which they differ (`sgd (batch=1)`, `sgd (batch=5)`).
    pub labels: [String; 2],
    pub optimizer: Optimizer,
    #[serde(flatten)]
    pub update: UpdateParams,
    pub eta: f64,
    pub schedule: String,
    pub train_size: usize,
    pub batch: usize,
    pub epochs: usize,
    pub shuffle: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substeps: Option<u32>,
    pub diverged: u64,
    pub diverged_nonfinite: u64,
    pub metrics: Metrics,
    pub test_loss_diff: Summary,
    pub gen_gap_diff: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub curve: Vec<CurvePoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
    /// The compared arm's own prediction (`--theory`; the differences' are
    /// in the run's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<Theory>,
}

/// Predicted values beside the measured means (`run --theory`).
#[derive(Clone, Debug, Serialize)]
pub struct Theory {
    pub order: usize,
    /// How the sums over steps were done, for re-summed predictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resummed: Option<Resum>,
    pub test_loss: f64,
    pub train_loss: f64,
    pub gen_gap: f64,
    pub theta: Vec<f64>,
    /// (MC mean − prediction) / SE for each, the SE being that of the CI as
    /// reported (`Summary::z`); null where it is 0.
    pub z: TheoryZ,
    /// Predicted paired difference of test loss (primary − compared), with `--compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss_diff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gen_gap_diff: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TheoryZ {
    pub test_loss: f64,
    pub train_loss: f64,
    pub gen_gap: f64,
    pub theta: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss_diff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gen_gap_diff: Option<f64>,
}

impl Theory {
    /// The prediction `p` at η beside `metrics` (and the compared arm's
    /// prediction `q`, at its own η).
    pub fn new(p: &Prediction, eta: f64, metrics: &Metrics, paired: Option<(&Prediction, &PairedReport)>) -> Self {
        let (test, train, gap, theta) = p.at(eta);
        let diffs = paired.map(|(q, r)| {
            let (qt, _, qg, _) = q.at(r.eta);
            ((test - qt, r.test_loss_diff.z(test - qt)), (gap - qg, r.gen_gap_diff.z(gap - qg)))
        });
        Theory {
            order: p.order,
            resummed: p.resummed,
            test_loss: test,
            train_loss: train,
            gen_gap: gap,
            z: TheoryZ {
                test_loss: metrics.test_loss.z(test),
                train_loss: metrics.train_loss.z(train),
                gen_gap: metrics.gen_gap.z(gap),
                theta: metrics.theta.iter().zip(&theta).map(|(s, x)| s.z(*x)).collect(),
                test_loss_diff: diffs.map(|d| d.0 .1),
                gen_gap_diff: diffs.map(|d| d.1 .1),
            },
            theta,
            test_loss_diff: diffs.map(|d| d.0 .0),
            gen_gap_diff: diffs.map(|d| d.1 .0),
        }
    }
}

/// The measured drift per step over the late window (`crate::drift`),
/// beside the predicted velocity (Corollary 1).
#[derive(Clone, Debug, Serialize)]
pub struct DriftReport {
    pub from_step: usize,
    pub to_step: usize,
    pub records: usize,
    /// Least-squares slope of θ per step, per coordinate.
    pub slope: Vec<Summary>,
    /// Mean conditional step −η G(θ) over the window's states (fresh-sample
    /// dynamics only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional: Option<Vec<Summary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<DriftTheory>,
}

/// The predictions of the drift and their distance from the measurement.
#[derive(Clone, Debug, Serialize)]
pub struct DriftTheory {
    /// The re-summed engine's order (Theorem 1).
    pub order: usize,
    /// E[θ_T − θ_(T−1)]: the velocity at the end of the run.
    pub velocity: Vec<f64>,
    /// What each estimator reads on the engine's E[θ(t)] (the same weights
    /// over the same records, `crate::drift::DriftWindow::expected`).
    pub expected_slope: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_conditional: Option<Vec<f64>>,
    /// (measured − expected)/SE of each estimator.
    pub z_slope: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_conditional: Option<Vec<f64>>,
    /// Corollary 1's law along the valley: leading (small η) and discrete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corollary_1: Option<ValleyDrift>,
    /// (leading law − measured)/measured, the measurement being the
    /// estimator with the smaller SE (NaN where the law is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leading_relative_error: Option<Vec<f64>>,
    /// The theory's own error estimate per coordinate: the omitted diagrams
    /// (five edges and more) are a relative O(η), so η·|expected|.
    pub error_estimate: Vec<f64>,
    /// Whether the best measurement is within 3 SE plus that estimate.
    pub consistent: Vec<bool>,
}

/// The engine's expectations of the two estimators: (slope, conditional).
pub type Expected = (Vec<f64>, Option<Vec<f64>>);

impl DriftReport {
    fn new(exp: &Experiment, plan: &Plan, tally: &Tally) -> Option<Self> {
        let (window, drift) = (exp.drift_window(plan)?, tally.drift.as_ref()?);
        let summaries = |m: &[crate::stats::Moments]| m.iter().map(|m| m.summary()).collect::<Vec<_>>();
        Some(DriftReport {
            from_step: window.from,
            to_step: window.to,
            records: window.records,
            slope: summaries(&drift.slope),
            conditional: window.step.is_some().then(|| summaries(&drift.step)),
            theory: None,
        })
    }

    /// Per coordinate, the estimator with the smaller standard error, and the
    /// matching entry of `expected` (slope, conditional).
    pub fn best<'a>(&'a self, expected: Option<(&'a [f64], Option<&'a [f64]>)>) -> Vec<(Summary, Option<f64>)> {
        (0..self.slope.len())
            .map(|d| {
                let slope = (self.slope[d], expected.map(|e| e.0[d]));
                match (&self.conditional, expected.map(|e| e.1)) {
                    (Some(c), e) if c[d].stderr < self.slope[d].stderr => (c[d], e.flatten().map(|e| e[d])),
                    _ => slope,
                }
            })
            .collect()
    }

    /// Sets the predictions for a run at `eta` beside the measurement.
    pub fn set_theory(
        &mut self,
        eta: f64,
        order: usize,
        velocity: Vec<f64>,
        (slope, conditional): Expected,
        corollary_1: Option<ValleyDrift>,
    ) {
        let z = |s: &[Summary], e: &[f64]| s.iter().zip(e).map(|(s, e)| s.z(*e)).collect::<Vec<_>>();
        let best = self.best(Some((&slope, conditional.as_deref())));
        let relative = corollary_1.as_ref().map(|c| {
            best.iter()
                .zip(&c.leading)
                .map(|((m, _), l)| if *l != 0.0 { (l - m.mean) / m.mean } else { f64::NAN })
                .collect()
        });
        let error: Vec<f64> = best.iter().map(|(_, e)| eta * e.unwrap_or(f64::NAN).abs()).collect();
        let consistent = best
            .iter()
            .zip(&error)
            .map(|((m, e), err)| (m.mean - e.unwrap_or(f64::NAN)).abs() <= 3.0 * m.stderr + err)
            .collect();
        self.theory = Some(DriftTheory {
            order,
            velocity,
            z_slope: z(&self.slope, &slope),
            z_conditional: self.conditional.as_deref().zip(conditional.as_deref()).map(|(s, e)| z(s, e)),
            expected_slope: slope,
            expected_conditional: conditional,
            corollary_1,
            leading_relative_error: relative,
            error_estimate: error,
            consistent,
        });
    }
}

/// Everything `simsgd run` reports.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// simsgd's version, which produced these numbers.
    pub version: &'static str,
    pub landscape: String,
    /// The law of a training point where it is not N(0, 1) (`crate::data_law`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    pub params: BTreeMap<String, f64>,
    pub weights: Vec<String>,
    pub init: Vec<f64>,
    pub optimizer: Optimizer,
    #[serde(flatten)]
    pub update: UpdateParams,
    pub backend: String,
    /// The GPU adapter that ran it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    pub threads: usize,
    pub eta: f64,
    /// η_t = η·s(t) (`--schedule`; `constant`).
    pub schedule: String,
    pub steps: usize,
    pub train_size: usize,
    pub batch: usize,
    pub epochs: usize,
    pub shuffle: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substeps: Option<u32>,
    pub trials: u64,
    pub seed: u64,
    pub diverge_at: f64,
    pub diverged: u64,
    /// Of the diverged trials, those that ended with a non-finite θ or loss
    /// (the rest passed `diverge_at`).
    pub diverged_nonfinite: u64,
    /// diverged/trials with its 95% (Wilson) interval: the figure of merit
    /// where most trials diverge.
    pub divergence: Proportion,
    pub elapsed_s: f64,
    /// The 95% interval of the final means (the curve and drift use Student's t).
    pub interval: Interval,
    /// The unit roundoff of the backend's values: the precision floor's scale.
    pub unit_roundoff: f64,
    pub metrics: Metrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub curve: Vec<CurvePoint>,
    /// The drift per step over the late window (`--record-every`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
    /// The prediction beside the measurement (`--theory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<Theory>,
    /// This run's place in a sweep (lists and ranges of flags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepPlace>,
    /// Why the numbers may mislead, one sentence each: most trials diverged
    /// (the means are the survivors'), the theory outside its range or far
    /// from the measurement ([`crate::theory::validity`]).
    pub warnings: Vec<String>,
    /// A shard's (or a merge's) exact state, for `simsgd merge`; the report
    /// then also carries a checksum ([`crate::shard::seal`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::State>,
}

/// A run's place in a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPlace {
    /// 0-based, in the grid's order (the first swept flag slowest).
    pub index: usize,
    pub points: usize,
    /// The swept flags' values here (`eta`, `batch`, a parameter's name, …).
    pub at: BTreeMap<String, f64>,
    /// `--seed`: each point's seed is derived from it and the point
    /// ([`crate::sweep::point_seed`]), unless `same_seed`.
    pub base_seed: u64,
    /// Whether every point used `base_seed` (common random numbers).
    pub same_seed: bool,
}

/// Above this share of diverged trials, the means describe the survivors,
/// not the optimizer.
pub const SURVIVORSHIP: f64 = 0.5;

/// The warning on an arm (`name`) of which most trials diverged.
fn survivorship(name: &str, diverged: u64, trials: u64) -> Option<String> {
    let d = Proportion::new(diverged, trials);
    (d.rate > SURVIVORSHIP).then(|| {
        format!(
            "{diverged} of {trials} trials of {name} diverged ({:.2}%, 95% CI [{:.2}%, {:.2}%]): its means are over the \
             {} survivors only, a selected sample, not the optimizer's expected values; the divergence rate is the \
             figure of merit here (or lower η, or raise --diverge-at)",
            100.0 * d.rate,
            100.0 * d.ci95[0],
            100.0 * d.ci95[1],
            trials - diverged
        )
    })
}

/// β and Nesterov of momentum, λ of invhess: an arm's update, where it
/// has them (JSON `beta`, `nesterov`, `lambda` beside `optimizer`).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct UpdateParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nesterov: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda: Option<f64>,
}

impl UpdateParams {
    fn of(plan: &Plan) -> Self {
        match plan.update {
            Update::Gradient => UpdateParams::default(),
            Update::HeavyBall { beta, nesterov } => {
                UpdateParams { beta: Some(beta), nesterov: Some(nesterov), lambda: None }
            }
            Update::InverseHessian { lambda } => UpdateParams { lambda: Some(lambda), ..Default::default() },
        }
    }
}

/// The final observables of one optimizer's trials, under `rules`; a heavy
/// tail of one is shared with the others ([`share_heavy_tails`]).
fn metrics(t: &Tally, rules: &Rules, weights: &[String]) -> Metrics {
    let mut m = Metrics {
        test_loss: t.test_loss.summary_with(rules),
        train_loss: t.train_loss.summary_with(rules),
        gen_gap: t.gen_gap.summary_with(rules),
        theta: t.theta.iter().map(|m| m.summary_with(rules)).collect(),
    };
    let Metrics { test_loss, train_loss, gen_gap, theta } = &mut m;
    let mut items = vec![("test loss", test_loss), ("train loss", train_loss), ("gen gap", gen_gap)];
    items.extend(weights.iter().map(|w| intern(w)).zip(theta.iter_mut()));
    share_heavy_tails(&mut items);
    m
}

/// The named summaries of `m`.
fn named<'a>(m: &'a Metrics, weights: &[String]) -> Vec<(&'static str, &'a Summary)> {
    let mut items = vec![("test loss", &m.test_loss), ("train loss", &m.train_loss), ("gen gap", &m.gen_gap)];
    items.extend(weights.iter().map(|w| intern(w)).zip(&m.theta));
    items
}

/// `name` as a `&'static str`, each distinct name allocated once for the
/// process: a heavy tail names the observable it comes from by a static
/// string ([`HeavyTail::source`]), and a landscape's weight names are its
/// description's, known only at run time for some landscapes.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&known) = names.get(name) {
        return known;
    }
    let new: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(new);
    new
}

fn curve(t: &Tally) -> Vec<CurvePoint> {
    t.curve
        .iter()
        .map(|c| CurvePoint {
            step: c.step,
            test_loss: c.test_loss.summary(),
            train_loss: c.train_loss.summary(),
            gen_gap: c.gen_gap.summary(),
            theta: c.theta.iter().map(|m| m.summary()).collect(),
        })
        .collect()
}

/// The two arms' names: each optimizer's, with the settings in which the
/// arms differ beyond it (`sgd (eta=0.1)` and `sgd (eta=0.05)`; `sgd` and
/// `gd` where only the optimizer differs).
pub fn labels(a: &Plan, b: &Plan) -> [String; 2] {
    // A setting's key, whether the arms differ in it, and an arm's value.
    type Key = (&'static str, bool, fn(&Plan, &UpdateParams) -> String);
    let (ua, ub) = (UpdateParams::of(a), UpdateParams::of(b));
    let sgd_grid = !a.optimizer.full_batch() && !b.optimizer.full_batch();
    let keys: [Key; 8] = [
        ("eta", a.eta != b.eta, |p, _| p.eta.to_string()),
        ("schedule", a.schedule != b.schedule, |p, _| p.schedule.to_string()),
        ("batch", sgd_grid && a.grid.batch != b.grid.batch, |p, _| p.grid.batch.to_string()),
        ("shuffle", sgd_grid && a.grid.shuffle != b.grid.shuffle, |p, _| p.grid.shuffle.to_string()),
        ("substeps", substeps(a).zip(substeps(b)).is_some_and(|(x, y)| x != y), |p, _| p.substeps.to_string()),
        ("beta", ua.beta.zip(ub.beta).is_some_and(|(x, y)| x != y), |_, u| u.beta.unwrap_or_default().to_string()),
        ("nesterov", ua.nesterov.zip(ub.nesterov).is_some_and(|(x, y)| x != y), |_, u| {
            u.nesterov.unwrap_or_default().to_string()
        }),
        ("lambda", ua.lambda.zip(ub.lambda).is_some_and(|(x, y)| x != y), |_, u| {
            u.lambda.unwrap_or_default().to_string()
        }),
    ];
    let label = |p: &Plan, u: &UpdateParams| {
        let differ: Vec<String> = keys.iter().filter(|k| k.1).map(|(key, _, v)| format!("{key}={}", v(p, u))).collect();
        if differ.is_empty() {
            p.optimizer.name().to_string()
        } else {
            format!("{} ({})", p.optimizer.name(), differ.join(", "))
        }
    };
    [label(a, &ua), label(b, &ub)]
}

fn substeps(plan: &Plan) -> Option<u32> {
    matches!(plan.optimizer, Optimizer::Sde | Optimizer::Ode).then_some(plan.substeps)
}

impl RunReport {
    pub fn new(exp: &Experiment, outcome: &Outcome, backend: String, threads: usize, elapsed_s: f64) -> Self {
        let d = exp.landscape.describe();
        let plan = &exp.plan;
        let rules = Rules { interval: exp.interval, unit_roundoff: outcome.unit_roundoff };
        let primary = metrics(&outcome.primary, &rules, &d.weights);
        let paired = exp.compare.as_ref().zip(outcome.compare.as_ref()).map(|(p, (tally, pairs))| {
            let compared = metrics(tally, &rules, &d.weights);
            let mut test_loss_diff = pairs.test_loss_diff.summary_with(&rules);
            let mut gen_gap_diff = pairs.gen_gap_diff.summary_with(&rules);
            // The differences are of both optimizers' trials: a heavy tail
            // of either flags them.
            let mut sources = named(&primary, &d.weights);
            sources.extend(named(&compared, &d.weights));
            sources.extend([("test-loss difference", &test_loss_diff), ("gen-gap difference", &gen_gap_diff)]);
            if let Some((name, h)) = heaviest_tail(&sources) {
                for s in [&mut test_loss_diff, &mut gen_gap_diff] {
                    if s.warnings.heavy_tail.is_none() {
                        s.warnings.heavy_tail = Some(HeavyTail { source: Some(name), ..h });
                    }
                }
            }
            PairedReport {
                labels: labels(plan, p),
                optimizer: p.optimizer,
                update: UpdateParams::of(p),
                eta: p.eta,
                schedule: p.schedule.to_string(),
                train_size: p.grid.train_size,
                batch: p.grid.batch,
                epochs: p.grid.epochs,
                shuffle: p.grid.shuffle,
                substeps: substeps(p),
                diverged: tally.diverged,
                diverged_nonfinite: tally.diverged_nonfinite,
                metrics: compared,
                test_loss_diff,
                gen_gap_diff,
                curve: curve(tally),
                drift: DriftReport::new(exp, p, tally),
                theory: None,
            }
        });
        let name = paired.as_ref().map_or(plan.optimizer.name().to_string(), |p| p.labels[0].clone());
        let mut warnings: Vec<String> = survivorship(&name, outcome.primary.diverged, exp.trials).into_iter().collect();
        if let Some(error) = exp.landscape.quadrature_error(&exp.init) {
            let nodes = per_coordinate(SIMULATOR_NODES, d.sample_dim);
            warnings.push(format!(
                "l_x is not a polynomial in x: test losses (and the SDE's noise) come from a {nodes}-node Gauss rule\
                 {} of x ~ {}, not exactly; at θ₀ its l, G and C differ from a {}-node rule's by at most \
                 {error:.1e}",
                d.per_coordinate(),
                d.law.describe(),
                3 * nodes / 4
            ));
        }
        if let Some(p) = &paired {
            warnings.extend(survivorship(&p.labels[1], p.diverged, exp.trials));
        }
        RunReport {
            version: env!("CARGO_PKG_VERSION"),
            landscape: d.name,
            law: (d.law != DataLaw::Normal).then(|| d.law.describe()),
            params: d.params.iter().map(|p| (p.name.clone(), p.value)).collect(),
            weights: d.weights,
            init: exp.init.clone(),
            optimizer: plan.optimizer,
            update: UpdateParams::of(plan),
            backend,
            adapter: None,
            threads,
            eta: plan.eta,
            schedule: plan.schedule.to_string(),
            steps: plan.steps(),
            train_size: plan.grid.train_size,
            batch: plan.grid.batch,
            epochs: plan.grid.epochs,
            shuffle: plan.grid.shuffle,
            substeps: substeps(plan),
            trials: exp.trials,
            seed: exp.seed,
            diverge_at: exp.diverge_at,
            diverged: outcome.primary.diverged,
            diverged_nonfinite: outcome.primary.diverged_nonfinite,
            divergence: Proportion::new(outcome.primary.diverged, exp.trials),
            elapsed_s,
            interval: exp.interval,
            unit_roundoff: outcome.unit_roundoff,
            metrics: primary,
            paired,
            curve: curve(&outcome.primary),
            drift: DriftReport::new(exp, plan, &outcome.primary),
            theory: None,
            sweep: None,
            warnings,
            shard: None,
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        match self.sealed() {
            Some(value) => serde_json::to_string_pretty(&value),
            None => serde_json::to_string_pretty(self),
        }
        .expect("reports serialise")
    }

    /// The report as one JSON object on one line (`--jsonl`).
    pub fn to_json_line(&self) -> String {
        match self.sealed() {
            Some(value) => serde_json::to_string(&value),
            None => serde_json::to_string(self),
        }
        .expect("reports serialise")
    }

    /// Several reports (a sweep's) as one JSON array.
    pub fn to_json_array(reports: &[RunReport]) -> String {
        if reports.iter().all(|r| r.shard.is_none()) {
            return serde_json::to_string_pretty(reports).expect("reports serialise");
        }
        let values: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| r.sealed().unwrap_or_else(|| serde_json::to_value(r).expect("reports serialise")))
            .collect();
        serde_json::to_string_pretty(&values).expect("reports serialise")
    }

    /// The report as a JSON value sealed with its checksum
    /// ([`crate::shard::seal`]), where it carries a shard's state.
    fn sealed(&self) -> Option<serde_json::Value> {
        self.shard.as_ref()?;
        let mut value = serde_json::to_value(self).expect("reports serialise");
        crate::shard::seal(&mut value);
        Some(value)
    }
}
