//! `simsgd run`: simulate an experiment on a backend and report the means,
//! with the theory's predictions beside them if asked.

use super::theory;
use crate::atomic;
use crate::backend::driver::{self, Layout};
use crate::backend::{Backends, Choice, Selection, Simulator};
use crate::error::{Error, Result};
use crate::experiment::{Experiment, Spec};
use crate::observables::Outcome;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::{DriftReport, RunReport, SweepPlace, Theory};
use crate::shard::{self, Shard, State};
use crate::theory::predict::Prediction;
use crate::theory::resum::{self, Resum};
use crate::theory::{corollary, law, statistics, validity};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

/// How and where a spec is run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where to simulate.
    pub backend: Choice,
    /// The GPU adapters (`--devices`; `None`: the best one).
    pub devices: Option<Selection>,
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
    let mut reports = run_all(vec![Point { spec, coords: Vec::new() }], options, None, None)?;
    Ok(reports.remove(0))
}

/// One shard of a run (`--shard I/N`): the shard, and the run's arguments,
/// which its state carries for the merge ([`crate::shard::State`]).
#[derive(Clone, Debug)]
pub struct Sharding {
    pub shard: Shard,
    pub args: Vec<String>,
}

/// A point ready to run: its experiment, its predictions (with `--theory`)
/// and its coordinates in the sweep.
pub struct Prepared {
    pub exp: Experiment,
    predictions: Option<(law::Law, Prediction, Option<Prediction>)>,
    /// Where the predictions' rule is not exact, the line stating its error
    /// (`super::predict::quadrature`).
    quadrature: Option<String>,
    coords: Vec<(String, f64)>,
}

/// Resolves every point and makes its predictions, so that a bad spec or
/// an unsupported order fails before anything runs.
pub fn prepare(points: Vec<Point>, options: &Options) -> Result<Vec<Prepared>> {
    let mut prepared = Vec::with_capacity(points.len());
    for point in points {
        let exp = point.spec.resolve()?;
        let (predictions, quadrature) = match &options.theory {
            Some(theory) => {
                let law = exp.landscape.visit(law::Exact(&exp.init))?;
                let plans: Vec<&Plan> = std::iter::once(&exp.plan).chain(&exp.compare).collect();
                let mut p = theory.predict(&law, &plans)?;
                let q = (p.len() > 1).then(|| p.remove(1));
                let p = p.remove(0);
                let quadrature = super::predict::quadrature(&exp, &exp.plan, &p, *theory)?;
                (Some((law, p, q)), quadrature)
            }
            None => (None, None),
        };
        prepared.push(Prepared { exp, predictions, quadrature, coords: point.coords });
    }
    Ok(prepared)
}

/// Where and how long a run (or a network study's training) ran, as its
/// report says.
#[derive(Clone, Debug)]
pub struct Ran {
    pub backend: String,
    pub adapter: Option<String>,
    /// CPU threads.
    pub threads: usize,
    pub seconds: f64,
}

/// What was measured of one point, and where.
pub struct Measured {
    pub outcome: Outcome,
    /// The trials the outcome is over (a shard's or a partial merge's, or all).
    pub trials: u64,
    pub ran: Ran,
    /// A shard's or a merge's state, for the report to carry.
    pub state: Option<State>,
}

/// Runs each point (one backend, one progress bar) and reports each; a
/// sweep's reports carry their place in it (`sweep`: the base seed, and
/// whether the points share it); with `sharding`, only that shard's chunks
/// run, and each report carries the shard's state. Everything that can be
/// checked before the runs is: every spec and prediction, the outputs, then
/// the backends, the memory (by [`Backends::for_experiment`], before its
/// notices are printed) and the shard's place.
pub fn run_all(
    points: Vec<Point>,
    options: &Options,
    sweep: Option<(u64, bool)>,
    sharding: Option<&Sharding>,
) -> Result<Vec<RunReport>> {
    let prepared = prepare(points, options)?;
    for path in &options.outputs {
        atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    let backends = Backends::open_devices(options.backend, options.devices.as_ref(), options.threads, options.quiet)?;
    for p in &prepared {
        backends.for_experiment(&p.exp)?;
    }
    let sims = prepared.iter().map(|p| backends.for_experiment(&p.exp)).collect::<Result<Vec<_>>>()?;
    // Each point's chunks: all, or the shard's.
    let mut chunks = Vec::with_capacity(prepared.len());
    for (p, &sim) in prepared.iter().zip(&sims) {
        let layout = Layout::of(sim, &p.exp)?;
        let held = match sharding {
            Some(s) => s.shard.chunks(&layout)?,
            None => 0..layout.chunks(),
        };
        chunks.push((layout, held));
    }
    let first = &prepared[0].exp;
    let mut label = format!("{} {}", first.landscape.describe().name, first.plan.optimizer.name());
    if prepared.len() > 1 {
        label += &format!(" ({} points)", prepared.len());
    }
    if let Some(s) = sharding {
        label += &format!(" [shard {}]", s.shard);
    }
    let arms = |p: &Prepared| 1 + p.exp.compare.is_some() as u64;
    let count_of = |(layout, held): &(Layout, Range<u64>)| {
        let trials = layout.trials_of(held.clone());
        trials.end - trials.start
    };
    let progress_total = prepared.iter().zip(&chunks).map(|(p, c)| count_of(c) * arms(p)).sum();
    let progress = Progress::new(progress_total, &label, options.quiet);
    let count = prepared.len();
    // Consecutive points on one backend run together (a GPU fuses them:
    // `driver::run_chunks`); each point's time is its share, by trials, of
    // its group's.
    let mut measured = Vec::with_capacity(count);
    let mut start = 0;
    while start < count {
        let sim = sims[start];
        let same = |s: &&&dyn Simulator| std::ptr::addr_eq(**s as *const dyn Simulator, sim as *const dyn Simulator);
        let end = start + sims[start..].iter().take_while(same).count();
        let exps: Vec<&Experiment> = prepared[start..end].iter().map(|p| &p.exp).collect();
        let clock = Instant::now();
        // A whole run folds its chunks as they come; a shard keeps them.
        let mut held: Vec<Vec<Outcome>> = vec![Vec::new(); exps.len()];
        let mut totals: Vec<Option<Outcome>> = match sharding {
            None => driver::run_points(sim, &exps, &progress)?.into_iter().map(Some).collect(),
            Some(s) => {
                let wanted = |layout: &Layout| s.shard.chunks(layout).expect("checked above");
                driver::run_chunks(sim, &exps, wanted, &progress, |j, o| held[j].push(o))?;
                vec![None; exps.len()]
            }
        };
        let seconds = clock.elapsed().as_secs_f64();
        let group_trials: u64 = chunks[start..end].iter().map(count_of).sum();
        for (j, outcomes) in held.into_iter().enumerate() {
            let (layout, range) = &chunks[start + j];
            let trials = count_of(&chunks[start + j]);
            let seconds = seconds * trials as f64 / group_trials as f64;
            let ran = Ran {
                backend: sim.kind().to_string(),
                adapter: sim.adapter(),
                threads: backends.cpu().threads(),
                seconds,
            };
            let state = sharding.map(|s| State {
                format: shard::FORMAT,
                version: env!("CARGO_PKG_VERSION").to_string(),
                args: s.args.clone(),
                shards: vec![s.shard],
                point: start + j,
                points: count,
                backend: ran.backend.clone(),
                adapter: ran.adapter.clone(),
                threads: ran.threads,
                trials_per_chunk: layout.chunk,
                chunks: layout.chunks(),
                first: range.start,
                elapsed_s: seconds,
                outcomes,
            });
            let outcome = match (totals[j].take(), &state) {
                (Some(total), _) => total,
                (None, state) => {
                    let state = state.as_ref().expect("a run is whole or a shard");
                    state.check_round_trip()?;
                    state.folded().expect("a shard holds at least one chunk")
                }
            };
            measured.push(Measured { outcome, trials, ran, state });
        }
        start = end;
    }
    progress.finish();
    report_all(prepared, measured, sweep)
}

/// The reports of prepared points from what was measured of each (by
/// [`run_all`], or a merge of shards): the numbers, the sweep's place and
/// the theory beside them.
pub fn report_all(
    prepared: Vec<Prepared>,
    measured: Vec<Measured>,
    sweep: Option<(u64, bool)>,
) -> Result<Vec<RunReport>> {
    let count = prepared.len();
    let mut reports = Vec::with_capacity(count);
    for (index, (p, m)) in prepared.into_iter().zip(measured).enumerate() {
        // The numbers are over the trials measured (a shard's, or all).
        let exp = Experiment { trials: m.trials, ..p.exp };
        let mut report = RunReport::new(&exp, &m.outcome, m.ran.backend, m.ran.threads, m.ran.seconds);
        report.adapter = m.ran.adapter;
        report.shard = m.state;
        report.sweep = sweep.map(|(base_seed, same_seed)| SweepPlace {
            index,
            points: count,
            at: p.coords.into_iter().collect(),
            base_seed,
            same_seed,
        });
        if let Some((law, prediction, q)) = &p.predictions {
            set_theory(&mut report, &exp, law, prediction, q.as_ref())?;
            report.warnings.extend(p.quadrature.clone());
        }
        reports.push(report);
    }
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
    let stats = exp.landscape.visit(statistics::Exact(&exp.init))?;
    drift.set_theory(plan.eta, p.order, velocity, expected, corollary::valley_drift_of(&stats, plan));
    Ok(())
}
