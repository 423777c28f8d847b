//! `simsgd run`: simulate an experiment on a backend and report the means,
//! with the theory's predictions beside them if asked.

use super::theory;
use crate::atomic;
use crate::backend::{driver, Backends, Choice};
use crate::error::{Error, Result};
use crate::experiment::{Experiment, Spec};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::{DriftReport, RunReport, Theory};
use crate::theory::predict::Prediction;
use crate::theory::resum::{self, Resum};
use crate::theory::{corollary, law, statistics};
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

/// Runs `spec` and reports it. Everything that can be checked before the
/// run is: the spec, the prediction, the outputs, then the backends and the
/// memory (by [`Backends::for_experiment`], before its notices are printed).
pub fn run(spec: Spec, options: &Options) -> Result<RunReport> {
    let exp = spec.resolve()?;
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
    for path in &options.outputs {
        atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    let backends = Backends::open(options.backend, options.threads, options.quiet)?;
    let sim = backends.for_experiment(&exp)?;
    let label = format!("{} {}", exp.landscape.describe().name, exp.plan.optimizer.name());
    let trials = exp.trials * (1 + exp.compare.is_some() as u64);
    let progress = Progress::new(trials, &label, options.quiet);
    let start = Instant::now();
    let outcome = driver::run(sim, &exp, &progress)?;
    progress.finish();
    let threads = backends.cpu().threads();
    let mut report = RunReport::new(&exp, &outcome, sim.kind().to_string(), threads, start.elapsed().as_secs_f64());
    report.adapter = sim.adapter();
    if let Some((law, p, q)) = &predictions {
        report.theory = Some(Theory::new(p, exp.plan.eta, &report.metrics, q.as_ref().zip(report.paired.as_ref())));
        if let Some(drift) = &mut report.drift {
            set_drift_theory(drift, &exp, law, &exp.plan, p)?;
        }
        if let (Some(paired), Some(plan), Some(q)) = (&mut report.paired, &exp.compare, q) {
            if let Some(drift) = &mut paired.drift {
                set_drift_theory(drift, &exp, law, plan, q)?;
            }
        }
    }
    Ok(report)
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
