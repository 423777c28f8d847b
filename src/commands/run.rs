//! `simsgd run`: simulate an experiment on a backend and report the means,
//! with the theory's predictions beside them if asked.

use super::theory;
use crate::atomic;
use crate::backend::{driver, Backends, Choice, Simulator};
use crate::error::{Error, Result};
use crate::experiment::{Experiment, Spec};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::{DriftReport, RunReport, SweepPlace, Theory};
use crate::theory::predict::Prediction;
use crate::theory::resum::{self, Resum};
use crate::theory::{corollary, law, statistics, validity};
use std::path::PathBuf;
use std::time::Instant;

/// How and where a spec is run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where to simulate.
    pub backend: Choice,
    /// CPU threads (0: all cores).
    pub threads: usize,
    /// No progress bar.
    pub quiet: bool,
    /// Set this prediction beside each measured mean.
    pub theory: Option<theory::Options>,
    /// Files the report will be written to (`--csv`): checked before the
    /// run ([`atomic::check_writable`]), so that a path that cannot be
    /// written costs no simulation.
    pub outputs: Vec<PathBuf>,
}

/// A point of a sweep: its spec, and the swept flags' values there
/// ([`crate::cli::SetupArgs::axes`]; none for a single run).
#[derive(Clone, Debug)]
pub struct Point {
    pub spec: Spec,
    pub coords: Vec<(String, f64)>,
}

/// Runs `spec` and reports it.
pub fn run(spec: Spec, options: &Options) -> Result<RunReport> {
    let mut reports = run_all(vec![Point { spec, coords: Vec::new() }], options, None)?;
    Ok(reports.remove(0))
}

/// Runs each point (one backend, one progress bar) and reports each; a
/// sweep's reports carry their place in it (`sweep`: the base seed, and
/// whether the points share it). Everything that can be checked before the
/// runs is: every spec and prediction, the outputs, then the backends and
/// the memory (by [`Backends::for_experiment`], before its notices are
/// printed).
pub fn run_all(points: Vec<Point>, options: &Options, sweep: Option<(u64, bool)>) -> Result<Vec<RunReport>> {
    let mut prepared = Vec::with_capacity(points.len());
    for point in points {
        let exp = point.spec.resolve()?;
        // Predictions first, so that an unsupported order fails before the run.
        let predictions = match &options.theory {
            Some(theory) => {
                let law = exp.landscape.visit(law::Exact(&exp.init));
                let plans: Vec<&Plan> = std::iter::once(&exp.plan).chain(&exp.compare).collect();
                let mut p = theory.predict(&law, &plans)?;
                let q = (p.len() > 1).then(|| p.remove(1));
                Some((law, p.remove(0), q))
            }
            None => None,
        };
        prepared.push((exp, predictions, point.coords));
    }
    for path in &options.outputs {
        atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    let backends = Backends::open(options.backend, options.threads, options.quiet)?;
    for (exp, _, _) in &prepared {
        backends.for_experiment(exp)?;
    }
    let first = &prepared[0].0;
    let mut label = format!("{} {}", first.landscape.describe().name, first.plan.optimizer.name());
    if prepared.len() > 1 {
        label += &format!(" ({} points)", prepared.len());
    }
    let trials = prepared.iter().map(|(exp, _, _)| exp.trials * (1 + exp.compare.is_some() as u64)).sum();
    let progress = Progress::new(trials, &label, options.quiet);
    let count = prepared.len();
    // Consecutive points on one backend run together (a GPU fuses them:
    // `driver::run_points`); each point's time is its share, by trials, of
    // its group's.
    let sims = prepared.iter().map(|(exp, _, _)| backends.for_experiment(exp)).collect::<Result<Vec<_>>>()?;
    let mut outcomes = Vec::with_capacity(count);
    let mut start = 0;
    while start < count {
        let sim = sims[start];
        let same = |s: &&&dyn Simulator| std::ptr::addr_eq(**s as *const dyn Simulator, sim as *const dyn Simulator);
        let end = start + sims[start..].iter().take_while(same).count();
        let exps: Vec<&Experiment> = prepared[start..end].iter().map(|(exp, _, _)| exp).collect();
        let clock = Instant::now();
        let group = driver::run_points(sim, &exps, &progress)?;
        let seconds = clock.elapsed().as_secs_f64();
        let trials: u64 = exps.iter().map(|e| e.trials).sum();
        outcomes.extend(group.into_iter().zip(&exps).map(|(o, e)| (o, seconds * e.trials as f64 / trials as f64)));
        start = end;
    }
    let mut reports = Vec::with_capacity(count);
    for (index, ((exp, predictions, coords), (outcome, seconds))) in prepared.into_iter().zip(outcomes).enumerate() {
        let sim = sims[index];
        let threads = backends.cpu().threads();
        let mut report = RunReport::new(&exp, &outcome, sim.kind().to_string(), threads, seconds);
        report.adapter = sim.adapter();
        report.sweep = sweep.map(|(base_seed, same_seed)| SweepPlace {
            index,
            points: count,
            at: coords.into_iter().collect(),
            base_seed,
            same_seed,
        });
        if let Some((law, p, q)) = &predictions {
            set_theory(&mut report, &exp, law, p, q.as_ref())?;
        }
        reports.push(report);
    }
    progress.finish();
    Ok(reports)
}

/// Sets the predictions beside `report`'s measurements, and their warnings.
fn set_theory(
    report: &mut RunReport,
    exp: &Experiment,
    law: &law::Law,
    p: &Prediction,
    q: Option<&Prediction>,
) -> Result<()> {
    let theory = Theory::new(p, exp.plan.eta, &report.metrics, q.zip(report.paired.as_ref()));
    let compared = q.zip(report.paired.as_ref()).map(|(q, r)| Theory::new(q, r.eta, &r.metrics, None));
    report.warnings.extend(theory_warnings(exp, law, p, q, &theory, compared.as_ref()));
    report.theory = Some(theory);
    if let Some(paired) = &mut report.paired {
        paired.theory = compared;
    }
    if let Some(drift) = &mut report.drift {
        set_drift_theory(drift, exp, law, &exp.plan, p)?;
    }
    if let (Some(paired), Some(plan), Some(q)) = (&mut report.paired, &exp.compare, q) {
        if let Some(drift) = &mut paired.drift {
            set_drift_theory(drift, exp, law, plan, q)?;
        }
    }
    Ok(())
}

/// The theory's warnings ([`validity`]): each arm's prediction by itself
/// (the compared arm's named as such), then each arm's largest |z| (the
/// paired differences' with the primary's).
fn theory_warnings(
    exp: &Experiment,
    law: &law::Law,
    p: &Prediction,
    q: Option<&Prediction>,
    t: &Theory,
    compared: Option<&Theory>,
) -> Vec<String> {
    let d = exp.landscape.describe();
    let mut out = validity::prediction(law, &exp.plan, p, d.test_loss_floor);
    let zs = |t: &Theory| {
        let mut z = vec![
            ("test loss".to_string(), t.z.test_loss),
            ("train loss".to_string(), t.z.train_loss),
            ("gen gap".to_string(), t.z.gen_gap),
        ];
        z.extend(d.weights.iter().map(|w| w.to_string()).zip(t.z.theta.iter().copied()));
        z.extend(t.z.test_loss_diff.map(|z| ("the paired test-loss difference".to_string(), z)));
        z.extend(t.z.gen_gap_diff.map(|z| ("the paired gen-gap difference".to_string(), z)));
        z
    };
    let mut agreement: Vec<String> = validity::agreement(&exp.plan, p, &zs(t)).into_iter().collect();
    if let (Some(plan), Some(q), Some(c)) = (&exp.compare, q, compared) {
        let arm = crate::report::labels(&exp.plan, plan)[1].clone();
        let named = |w: String| format!("{arm} (compared): {w}");
        out.extend(validity::prediction(law, plan, q, d.test_loss_floor).into_iter().map(named));
        agreement.extend(validity::agreement(plan, q, &zs(c)).map(named));
    }
    out.extend(agreement);
    out
}

/// The predicted drift beside a measured one: what each estimator reads on the
/// re-summed engine's E[θ(t)] at the prediction's order (its mode where it is
/// re-summed, else exact), and Corollary 1's laws. Nothing for grids the
/// re-summation does not cover.
fn set_drift_theory(
    drift: &mut DriftReport,
    exp: &Experiment,
    law: &law::Law,
    plan: &Plan,
    p: &Prediction,
) -> Result<()> {
    let mode = p.resummed.unwrap_or(Resum::Exact);
    // The prediction's own velocity where it is re-summed.
    let velocity = match &p.velocity {
        Some(v) => v.clone(),
        None => match resum::predict(law, plan, p.order, mode) {
            Ok(end) => end.velocity.unwrap_or_default(),
            Err(_) => return Ok(()),
        },
    };
    let window = exp.drift_window(plan).expect("a drift report has a window");
    let expected = window.expected(&exp.record_steps(), |t| resum::theta_at(law, plan, p.order, mode, t))?;
    let stats = exp.landscape.visit(statistics::Exact(&exp.init));
    drift.set_theory(plan.eta, p.order, velocity, expected, corollary::valley_drift_of(&stats, plan));
    Ok(())
}
