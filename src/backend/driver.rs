//! The one driver over every backend: splits the trials into chunks, has the
//! simulator run each plan on each chunk, tallies the chunk in trial order,
//! pairs the two plans trial by trial, and merges the chunks' tallies in chunk
//! order (Chan). Chunk sizes depend on the experiment alone, so a run's
//! numbers do not depend on the thread count or on scheduling.

use super::footprint::HELD_PER_THREAD;
use super::simulator::{Chunk, Simulator, Status};
use crate::error::Result;
use crate::experiment::Experiment;
use crate::observables::{Outcome, Paired, Tally, Trial};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::stats::Moments;
use rayon::prelude::*;
use std::ops::Range;

/// Trials per chunk of a paired per-trial comparison ([`paired`]).
const PAIRED_CHUNK: u64 = 1 << 14;

/// Runs `exp` on `sim`: every chunk of trials under the primary plan and, on
/// the same trials (the same training sets), the compared plan.
///
/// Chunks run in waves of [`HELD_PER_THREAD`] per thread, each wave merged
/// into the total in chunk order before the next starts: the same numbers as
/// merging all at the end, with at most a wave of finished chunks (and their
/// learning curves) held at once, however many trials.
pub fn run(sim: &dyn Simulator, exp: &Experiment, progress: &Progress) -> Result<Outcome> {
    sim.supports(exp)?;
    let chunk = sim.chunk_trials(exp)?;
    let count = exp.trials.div_ceil(chunk);
    let wave = sim.pool().map_or(1, |p| p.current_num_threads() * HELD_PER_THREAD) as u64;
    let mut total: Option<Outcome> = None;
    for first in (0..count).step_by(wave as usize) {
        let chunks = first..(first + wave).min(count);
        let outcomes = map_range(sim, chunks, chunk, exp.trials, |range| run_chunk(sim, exp, range, progress))?;
        for o in outcomes {
            match &mut total {
                Some(t) => t.merge(&o),
                None => total = Some(o),
            }
        }
    }
    Ok(total.expect("at least one trial"))
}

/// Per-trial results of `plan` on `trials`: what backends are checked against
/// each other with, trial by trial.
pub fn trials(sim: &dyn Simulator, exp: &Experiment, plan: &Plan, trials: Range<u64>) -> Result<Vec<Trial>> {
    let alone = Experiment { plan: plan.clone(), compare: None, record_every: None, ..exp.clone() };
    sim.supports(&alone)?;
    let chunk = sim.chunk_trials(&alone)?;
    let hidden = Progress::hidden();
    let mut out = Vec::with_capacity((trials.end - trials.start) as usize);
    let mut start = trials.start;
    while start < trials.end {
        let range = start..(start + chunk).min(trials.end);
        let c = sim.simulate(&alone, plan, range.clone(), false, &hidden)?;
        out.extend((0..c.len()).map(|i| c.trial(i)));
        start = range.end;
    }
    Ok(out)
}

/// Per-trial differences f(a) − f(b) of plans `a` and `b` on the same trials
/// (the same training sets), over the trials where neither diverged: a paired
/// comparison of grids that `--compare` cannot pair (different T).
pub fn paired(
    sim: &dyn Simulator,
    exp: &Experiment,
    a: &Plan,
    b: &Plan,
    f: impl Fn(&Trial) -> f64 + Sync,
) -> Result<Moments> {
    let parts = map_chunks(sim, exp.trials, PAIRED_CHUNK, |range| {
        let (x, y) = (trials(sim, exp, a, range.clone())?, trials(sim, exp, b, range)?);
        let mut m = Moments::default();
        x.iter().zip(&y).filter(|(p, q)| !p.diverged && !q.diverged).for_each(|(p, q)| m.push(f(p) - f(q)));
        Ok(m)
    })?;
    let mut total = Moments::default();
    parts.iter().for_each(|m| total.merge(m));
    Ok(total)
}

/// `f` over the chunks of `trials` trials, `chunk` at a time, side by side on
/// the simulator's pool where it has one; results in chunk order.
fn map_chunks<T: Send>(
    sim: &dyn Simulator,
    trials: u64,
    chunk: u64,
    f: impl Fn(Range<u64>) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    map_range(sim, 0..trials.div_ceil(chunk), chunk, trials, f)
}

/// `f` over chunks `chunks` of `trials` trials, `chunk` at a time, as
/// [`map_chunks`].
fn map_range<T: Send>(
    sim: &dyn Simulator,
    chunks: Range<u64>,
    chunk: u64,
    trials: u64,
    f: impl Fn(Range<u64>) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let range = |c: u64| c * chunk..((c + 1) * chunk).min(trials);
    match sim.pool() {
        Some(pool) => pool.install(|| chunks.into_par_iter().map(|c| f(range(c))).collect()),
        None => chunks.map(|c| f(range(c))).collect(),
    }
}

/// Both plans on one chunk, tallied.
fn run_chunk(sim: &dyn Simulator, exp: &Experiment, range: Range<u64>, progress: &Progress) -> Result<Outcome> {
    let tally = |plan: &Plan| -> Result<(Tally, Chunk)> {
        let chunk = sim.simulate(exp, plan, range.clone(), true, progress)?;
        let mut t = Tally::new(chunk.dim, &exp.record_steps(), exp.drift_window(plan).as_ref());
        tally_chunk(&mut t, &chunk);
        Ok((t, chunk))
    };
    let (primary, a) = tally(&exp.plan)?;
    let compare = match &exp.compare {
        Some(plan) => {
            let (t, b) = tally(plan)?;
            let mut paired = Paired::default();
            for i in 0..a.len() {
                if a.status[i] == Status::Finite && b.status[i] == Status::Finite {
                    let pair = |c: &Chunk| (c.test_loss[i], c.test_loss[i] - c.train_loss[i]);
                    paired.push(pair(&a), pair(&b));
                }
            }
            Some((t, paired))
        }
        None => None,
    };
    Ok(Outcome { primary, compare })
}

/// Adds a chunk to a tally: final values of the trials that never diverged,
/// in trial order, and the chunk's learning curve.
fn tally_chunk(tally: &mut Tally, c: &Chunk) {
    let d = c.dim;
    for i in 0..c.len() {
        match c.status[i] {
            Status::Finite => {
                tally.push(c.test_loss[i], c.train_loss[i], c.theta(i));
                if let Some(drift) = &mut tally.drift {
                    let step = if c.step.is_empty() { &[][..] } else { &c.step[i * d..(i + 1) * d] };
                    drift.push(&c.slope[i * d..(i + 1) * d], step);
                }
            }
            status => tally.push_diverged(status == Status::NonFinite),
        }
    }
    for (point, chunk_point) in tally.curve.iter_mut().zip(&c.curve) {
        point.test_loss.merge(&chunk_point.test_loss);
        for (m, cm) in point.theta.iter_mut().zip(&chunk_point.theta) {
            m.merge(cm);
        }
    }
}
