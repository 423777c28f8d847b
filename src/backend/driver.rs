//! The one driver over every backend: splits the trials into chunks, has the
//! simulator run each plan on each chunk, tallies the chunk in trial order,
//! pairs the two plans trial by trial, and merges the chunks' tallies in chunk
//! order (Chan). Chunk sizes depend on the experiment alone, so a run's
//! numbers do not depend on the thread count or on scheduling.

use super::footprint::HELD_PER_THREAD;
use super::simulator::{Chunk, Simulator, Status};
use crate::error::{Error, Result};
use crate::experiment::Experiment;
use crate::observables::{Outcome, Paired, Tally, Trial};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::stats::Moments;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// Trials per chunk of a paired per-trial comparison ([`paired`]).
const PAIRED_CHUNK: u64 = 1 << 14;

/// Runs `exp` on `sim`: every chunk of trials under the primary plan and, on
/// the same trials (the same training sets), the compared plan.
///
/// Chunks are merged into the total in chunk order as soon as their turn
/// comes (`fold_in_order`), with at most [`HELD_PER_THREAD`] per thread
/// started ahead of the next to merge: the same numbers as merging all at the
/// end, with a bounded number of finished chunks (and their learning curves)
/// held at once, however many trials.
pub fn run(sim: &dyn Simulator, exp: &Experiment, progress: &Progress) -> Result<Outcome> {
    let mut outcomes = run_points(sim, &[exp], progress)?;
    Ok(outcomes.remove(0))
}

/// Runs several experiments (a sweep's points) as [`run`] runs each, with
/// the same numbers: points of equal trial and chunk counts go chunk by
/// chunk together, each chunk's plans in one [`Simulator::simulate_points`]
/// (which the GPU runs fused); the others one after another.
pub fn run_points(sim: &dyn Simulator, exps: &[&Experiment], progress: &Progress) -> Result<Vec<Outcome>> {
    let mut totals: Vec<Option<Outcome>> = vec![None; exps.len()];
    let all = |_: &Layout| 0..u64::MAX;
    run_chunks(sim, exps, all, progress, |j, o| match &mut totals[j] {
        Some(t) => t.merge(&o),
        None => totals[j] = Some(o),
    })?;
    Ok(totals.into_iter().map(|t| t.expect("at least one trial")).collect())
}

/// How a run's trials are cut into chunks: what a shard of it is made of
/// (`crate::shard`), since only whole chunks merge into exactly the run's
/// numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub trials: u64,
    /// Trials per chunk (the last may have fewer).
    pub chunk: u64,
}

impl Layout {
    /// `exp`'s layout on `sim` ([`Simulator::chunk_trials`]), `exp` checked
    /// against `sim`'s limits.
    pub fn of(sim: &dyn Simulator, exp: &Experiment) -> Result<Self> {
        sim.supports(exp)?;
        Ok(Layout { trials: exp.trials, chunk: sim.chunk_trials(exp)? })
    }

    /// Chunks in the run.
    pub fn chunks(&self) -> u64 {
        self.trials.div_ceil(self.chunk)
    }

    /// The trials of chunks `chunks`.
    pub fn trials_of(&self, chunks: Range<u64>) -> Range<u64> {
        (chunks.start * self.chunk).min(self.trials)..(chunks.end * self.chunk).min(self.trials)
    }
}

/// Each experiment's chunks in `chunks(layout)` (clipped to its chunks),
/// each chunk's [`Outcome`] handed to `sink(experiment index, outcome)` in
/// chunk order: experiments of one layout go chunk by chunk together (see
/// [`run_points`]).
pub fn run_chunks(
    sim: &dyn Simulator,
    exps: &[&Experiment],
    chunks: impl Fn(&Layout) -> Range<u64>,
    progress: &Progress,
    mut sink: impl FnMut(usize, Outcome) + Send,
) -> Result<()> {
    let mut groups: Vec<(Layout, Vec<usize>)> = Vec::new();
    for (j, exp) in exps.iter().enumerate() {
        let layout = Layout::of(sim, exp)?;
        match groups.iter_mut().find(|(l, _)| *l == layout) {
            Some((_, members)) => members.push(j),
            None => groups.push((layout, vec![j])),
        }
    }
    for (layout, members) in groups {
        let group: Vec<&Experiment> = members.iter().map(|&j| exps[j]).collect();
        let wanted = chunks(&layout);
        let range = wanted.start.min(layout.chunks())..wanted.end.min(layout.chunks());
        let fold = |outcomes: Vec<Outcome>| members.iter().zip(outcomes).for_each(|(&j, o)| sink(j, o));
        fold_chunks(sim, layout, range, |trials| run_chunk(sim, &group, trials, progress), fold)?;
    }
    Ok(())
}

/// `fold(f(trials of chunk c))` for the chunks `c` in `chunks` of `layout`,
/// in chunk order, computed side by side on the simulator's pool where it
/// has one ([`fold_in_order`]).
fn fold_chunks<T: Send>(
    sim: &dyn Simulator,
    layout: Layout,
    chunks: Range<u64>,
    f: impl Fn(Range<u64>) -> Result<T> + Sync,
    fold: impl FnMut(T) + Send,
) -> Result<()> {
    let first = chunks.start;
    let count = chunks.end.saturating_sub(first);
    fold_in_order(sim.pool(), count, |c| f(layout.trials_of(first + c..first + c + 1)), fold)
}

/// `fold(f(0))`, `fold(f(1))`, … in that order, the `f(c)` computed side by
/// side on `pool` (one after another without one). Workers take chunks in
/// increasing order and start chunk c only once c < (the next to fold) +
/// [`HELD_PER_THREAD`] · threads, so at most that many results wait; the
/// chunk next to fold never waits, so the fold always advances. On an error,
/// no later chunk starts, every earlier one still runs, and the error of the
/// lowest failing chunk is returned (as one after another would).
fn fold_in_order<T: Send>(
    pool: Option<&rayon::ThreadPool>,
    count: u64,
    f: impl Fn(u64) -> Result<T> + Sync,
    fold: impl FnMut(T) + Send,
) -> Result<()> {
    let Some(pool) = pool else {
        let mut fold = fold;
        for c in 0..count {
            fold(f(c)?);
        }
        return Ok(());
    };
    struct State<T, F> {
        folded: u64,
        waiting: BTreeMap<u64, T>,
        fold: F,
        error: Option<(u64, Error)>,
    }
    let threads = pool.current_num_threads();
    let window = (threads * HELD_PER_THREAD) as u64;
    let next = AtomicU64::new(0);
    let state = Mutex::new(State { folded: 0, waiting: BTreeMap::new(), fold, error: None });
    let turn = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    pool.scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= count {
                    return;
                }
                // An error in an earlier chunk ends this worker; one in a
                // later chunk does not (this one may fail first).
                let failed_before = |st: &State<T, _>| st.error.as_ref().is_some_and(|(k, _)| *k < c);
                let mut st = lock();
                while c >= st.folded + window && !failed_before(&st) {
                    st = turn.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                if failed_before(&st) {
                    return;
                }
                drop(st);
                let result = f(c);
                let mut guard = lock();
                let st = &mut *guard;
                match result {
                    Ok(v) => {
                        st.waiting.insert(c, v);
                        while let Some(v) = st.waiting.remove(&st.folded) {
                            (st.fold)(v);
                            st.folded += 1;
                        }
                    }
                    Err(e) => {
                        if st.error.as_ref().is_none_or(|(k, _)| c < *k) {
                            st.error = Some((c, e));
                        }
                    }
                }
                turn.notify_all();
            });
        }
    });
    match state.into_inner().unwrap_or_else(|p| p.into_inner()).error {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// Per-trial results of `plan` on `trials`: what backends are checked against
/// each other with, trial by trial.
pub fn trials(sim: &dyn Simulator, exp: &Experiment, plan: &Plan, trials: Range<u64>) -> Result<Vec<Trial>> {
    let alone = alone(sim, exp, plan)?;
    trials_of(sim, &alone, trials)
}

/// `exp` with `plan` alone and nothing recorded, checked against `sim`'s
/// limits: what per-trial results are simulated under.
fn alone(sim: &dyn Simulator, exp: &Experiment, plan: &Plan) -> Result<Experiment> {
    let alone = Experiment { plan: plan.clone(), compare: None, record_every: None, ..exp.clone() };
    sim.supports(&alone)?;
    Ok(alone)
}

/// Per-trial results of `alone`'s plan on `trials`, `alone` already checked.
fn trials_of(sim: &dyn Simulator, alone: &Experiment, trials: Range<u64>) -> Result<Vec<Trial>> {
    let chunk = sim.chunk_trials(alone)?;
    let hidden = Progress::hidden();
    let mut out = Vec::with_capacity((trials.end - trials.start) as usize);
    let mut start = trials.start;
    while start < trials.end {
        let range = start..(start + chunk).min(trials.end);
        let c = sim.simulate(alone, &alone.plan, range.clone(), false, &hidden)?;
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
    // Checked once, not per chunk (the check reads the memory available).
    let (a, b) = (alone(sim, exp, a)?, alone(sim, exp, b)?);
    let part = |range: Range<u64>| -> Result<Moments> {
        let (x, y) = (trials_of(sim, &a, range.clone())?, trials_of(sim, &b, range)?);
        let mut m = Moments::default();
        x.iter().zip(&y).filter(|(p, q)| !p.diverged && !q.diverged).for_each(|(p, q)| m.push(f(p) - f(q)));
        Ok(m)
    };
    let mut total = Moments::default();
    let layout = Layout { trials: exp.trials, chunk: PAIRED_CHUNK };
    fold_chunks(sim, layout, 0..layout.chunks(), part, |m| total.merge(&m))?;
    Ok(total)
}

/// Both plans of each experiment on one chunk, tallied: the primary plans
/// in one [`Simulator::simulate_points`], then the compared plans in another.
fn run_chunk(
    sim: &dyn Simulator,
    exps: &[&Experiment],
    range: Range<u64>,
    progress: &Progress,
) -> Result<Vec<Outcome>> {
    let primaries: Vec<(&Experiment, &Plan)> = exps.iter().map(|&e| (e, &e.plan)).collect();
    let compared: Vec<(&Experiment, &Plan)> = exps.iter().filter_map(|&e| Some((e, e.compare.as_ref()?))).collect();
    let a = sim.simulate_points(&primaries, range.clone(), true, progress)?;
    let mut b = sim.simulate_points(&compared, range, true, progress)?.into_iter();
    let tally = |exp: &Experiment, plan: &Plan, chunk: &Chunk| {
        let mut t = Tally::new(chunk.dim, &exp.record_steps(), exp.drift_window(plan).as_ref());
        tally_chunk(&mut t, chunk);
        t
    };
    let mut out = Vec::with_capacity(exps.len());
    for (&exp, a) in exps.iter().zip(&a) {
        let primary = tally(exp, &exp.plan, a);
        let compare = match &exp.compare {
            Some(plan) => {
                let b = b.next().expect("one compared chunk per compared plan");
                let mut paired = Paired::default();
                for i in 0..a.len() {
                    if a.status[i] == Status::Finite && b.status[i] == Status::Finite {
                        let pair = |c: &Chunk| (c.test_loss[i], c.test_loss[i] - c.train_loss[i]);
                        paired.push(pair(a), pair(&b));
                    }
                }
                Some((tally(exp, plan, &b), paired))
            }
            None => None,
        };
        out.push(Outcome { primary, compare, unit_roundoff: sim.unit_roundoff() });
    }
    Ok(out)
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
        point.merge(chunk_point);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::usage;
    use std::sync::atomic::AtomicUsize;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// Results fold in order whatever order they finish in, and no more than
    /// the window are ever started ahead of the fold.
    #[test]
    fn folds_in_order_with_a_bounded_window() {
        for threads in [1, 2, 3, 8] {
            let pool = pool(threads);
            let window = threads * HELD_PER_THREAD;
            let (folded, started) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let mut seen = Vec::new();
            let f = |c: u64| {
                let ahead = started.fetch_add(1, Ordering::SeqCst) + 1 - folded.load(Ordering::SeqCst);
                assert!(ahead <= window, "{ahead} chunks started ahead of the fold, window {window}");
                // Later chunks finish first now and then.
                std::thread::sleep(std::time::Duration::from_micros((c * 7919 % 13) * 50));
                Ok(c)
            };
            fold_in_order(Some(&pool), 300, f, |c| {
                seen.push(c);
                folded.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
            assert_eq!(seen, (0..300).collect::<Vec<_>>(), "{threads} threads");
        }
        let mut none = Vec::new();
        fold_in_order(Some(&pool(2)), 0, Ok, |c| none.push(c)).unwrap();
        fold_in_order(None, 5, Ok, |c| none.push(c)).unwrap();
        assert_eq!(none, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_lowest_chunks_error_is_returned() {
        let pool = pool(4);
        // Chunk 7 fails last: later chunks' errors come first.
        let f = |c: u64| {
            if c == 7 {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            if c % 10 == 7 {
                Err(usage(format!("chunk {c}")))
            } else {
                Ok(c)
            }
        };
        let mut folded = Vec::new();
        let e = fold_in_order(Some(&pool), 1000, f, |c| folded.push(c)).unwrap_err();
        assert_eq!(e.to_string(), "chunk 7");
        assert_eq!(folded, [0, 1, 2, 3, 4, 5, 6]);
    }
}
