//! What the CPU backend holds in memory for a run, so that a run too large
//! for the machine is refused before it starts ([`Shape::check`], from each
//! backend's `supports`, which the driver asks before simulating) rather than
//! aborted by the allocator halfway through.
//!
//! The CPU backend simulates [`LANES`] trials at a time; each thread in its
//! pool runs one chunk of trials ([`chunk_trials`]) at a time, and the driver
//! keeps at most [`HELD_PER_THREAD`] finished chunks per thread waiting to be
//! merged in order. A thread simulating a plan holds (see
//! [`Shape::per_thread`]):
//!
//! | buffer | bytes |
//! | --- | --- |
//! | training points `xs` | N · LANES · 8 |
//! | visiting orders (`--shuffle`) | N · LANES · 4 |
//! | SDE increments | min(K, [`NOISE_SUBSTEPS`]) · M · LANES · 8 |
//! | per-trial results | chunk · (17 + 24 D) |
//! | learning curve of the chunk | R · (point) |
//! | recorded steps, drift weights | 5 · R · 8 |
//!
//! with N points per training set, K substeps, M quadrature nodes, D weights,
//! R recorded steps and a curve point of (1 + D) moments. Each chunk's tally
//! (the thread's own, or finished and waiting to be merged; the first becomes
//! the run's result) holds one curve per plan, and the report R · (1 + D)
//! moments ([`RENDER_BYTES_PER_SUMMARY`] each: the report's numbers and
//! their text). Everything else is a few kilobytes. The buffers are sized by
//! N, K and R, never by T or the number of trials, which only set how long a
//! run takes. The estimate is within a factor of two of the peak resident
//! memory measured on runs dominated by each term.

use crate::error::Result;
use crate::memory::{self, Available};
use crate::observables::CurvePoint;
use crate::stats::Moments;

/// Trials simulated together in one structure-of-arrays block (defined
/// beside the landscapes' limits, whose `Landscape::grad_lanes` takes a block).
pub use crate::landscape::limits::LANES;

/// Substeps of SDE noise drawn at once: the increments of a step are drawn
/// this many substeps at a time, so their buffer does not grow with K.
pub const NOISE_SUBSTEPS: usize = 1024;

/// Finished chunks per thread that may wait for their turn to be merged.
pub const HELD_PER_THREAD: usize = 8;

/// Bytes per reported moment (mean, standard error, interval) in the report
/// and its rendered text, at the peak of writing it: about 110 (table), 210
/// (CSV) and 340 (JSON) on `run gauss --steps 1000000 --record-every 1`, all
/// terms counted; on the low side, so as not to refuse what would run.
pub const RENDER_BYTES_PER_SUMMARY: u64 = 128;

/// Bookkeeping bytes of each heap allocation.
const ALLOCATION: u64 = 16;

/// Trials per chunk: a function of the trial count alone (determinism), small
/// enough for load balance and progress, large enough to amortise.
pub fn chunk_trials(trials: u64) -> u64 {
    let target = trials.div_ceil(64).next_multiple_of(LANES as u64);
    target.clamp(16 * LANES as u64, 1 << 14)
}

/// One plan as its buffers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanShape {
    /// N, points per training set (0 for dynamics without one).
    pub train_size: usize,
    pub shuffle: bool,
    /// K, for SDE (0 where no noise is drawn).
    pub noise_substeps: usize,
    /// M, quadrature nodes of the landscape.
    pub nodes: usize,
}

/// A run's buffers: its plans (one, or two with `--compare`), weights, trials
/// and recorded steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub plans: Vec<PlanShape>,
    pub dim: usize,
    pub trials: u64,
    pub records: usize,
}

/// The largest part of a footprint, for the message that refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Footprint {
    pub bytes: u64,
    /// What takes most of it, in words.
    pub largest: String,
}

fn add(a: u64, b: u64) -> u64 {
    a.saturating_add(b)
}

fn mul(a: u64, b: u64) -> u64 {
    a.saturating_mul(b)
}

impl Shape {
    /// Bytes of one point of a learning curve: its moments on the heap.
    fn point(&self) -> u64 {
        let moments = (self.dim * std::mem::size_of::<Moments>()) as u64 + ALLOCATION;
        std::mem::size_of::<CurvePoint>() as u64 + moments
    }

    /// The buffers of one block of [`LANES`] trials under `p` (what one
    /// thread reuses from block to block): training points, visiting orders,
    /// SDE increments.
    fn block(p: &PlanShape) -> (u64, u64, u64) {
        let lanes = LANES as u64;
        let xs = mul(mul(p.train_size as u64, lanes), 8);
        let order = if p.shuffle { mul(mul(p.train_size as u64, lanes), 4) } else { 0 };
        let noise = mul(mul(p.noise_substeps.min(NOISE_SUBSTEPS) as u64, p.nodes as u64), lanes * 8);
        (xs, order, noise)
    }

    /// Bytes one thread holds at most besides the tallies: the largest
    /// plan's block buffers (a plan's are freed before the next one's), and
    /// both plans' chunk results and curves (the first is kept to pair with
    /// the second).
    pub fn per_thread(&self) -> u64 {
        let blocks = self.plans.iter().map(|p| {
            let (xs, order, noise) = Self::block(p);
            add(add(xs, order), noise)
        });
        let block = blocks.max().unwrap_or(0);
        let chunk = chunk_trials(self.trials).min(self.trials);
        let results = mul(chunk, 17 + 24 * self.dim as u64);
        let records = self.records as u64;
        let curves = add(mul(records, self.point()), mul(records, 5 * 8));
        add(block, mul(self.plans.len() as u64, add(results, curves)))
    }

    /// Bytes held once, however many threads: the report.
    pub fn shared(&self) -> u64 {
        // (1 + D) moments per recorded step, and test loss, train loss, gap and θ.
        let summaries = add(mul(self.records as u64, 1 + self.dim as u64), 3 + self.dim as u64);
        mul(self.plans.len() as u64, mul(summaries, RENDER_BYTES_PER_SUMMARY))
    }

    /// The chunks of the run.
    pub fn chunks(&self) -> u64 {
        self.trials.div_ceil(chunk_trials(self.trials)).max(1)
    }

    /// The bytes a run on `threads` threads needs at its peak: each busy
    /// thread's buffers, the tallies of a wave of chunks (at least one per
    /// busy thread), and what is held once. Threads beyond the number of
    /// chunks stay idle.
    pub fn bytes(&self, threads: usize) -> u64 {
        let busy = (threads.max(1) as u64).min(self.chunks());
        let held = mul(busy, HELD_PER_THREAD as u64).min(self.chunks());
        let tallies = mul(held, mul(self.plans.len() as u64, mul(self.records as u64, self.point())));
        add(add(mul(busy, self.per_thread()), tallies), self.shared())
    }

    /// [`Shape::bytes`] with the largest part named.
    pub fn footprint(&self, threads: usize) -> Footprint {
        let busy = (threads.max(1) as u64).min(self.chunks());
        let on = if busy == 1 { "on one thread".to_string() } else { format!("on each of {busy} threads") };
        let widest = self.plans.iter().max_by_key(|p| Self::block(p)).copied();
        let (xs, order, noise) = widest.map_or((0, 0, 0), |p| Self::block(&p));
        let n = widest.map_or(0, |p| p.train_size);
        let rest = self.bytes(threads).saturating_sub(mul(busy, add(add(xs, order), noise)));
        let rest_is = match self.records {
            0 => "per-trial results and the report".to_string(),
            r => format!("learning curves of {r} recorded steps"),
        };
        let parts = [
            (mul(busy, xs), format!("training sets of {n} points for {LANES} trials at a time {on}")),
            (mul(busy, order), format!("visiting orders of {n} points for {LANES} trials at a time {on}")),
            (mul(busy, noise), format!("SDE increments of {NOISE_SUBSTEPS} substeps at a time {on}")),
            (rest, rest_is),
        ];
        let largest = parts.into_iter().max_by_key(|p| p.0).map(|p| p.1).unwrap_or_default();
        Footprint { bytes: self.bytes(threads), largest }
    }
}

impl Shape {
    /// The buffers left on the host when a device simulates: no training
    /// sets, orders or increments (the device draws them), the rest as on the
    /// CPU with one chunk at a time.
    pub fn host_of_device(&self) -> Shape {
        let plans = self.plans.iter().map(|p| PlanShape { train_size: 0, shuffle: false, noise_substeps: 0, ..*p });
        Shape { plans: plans.collect(), ..self.clone() }
    }

    /// Refuses, as a usage error, a run on `threads` threads that needs more
    /// than `available` (see [`memory::check`]), naming its largest part:
    /// "this run needs about 64.0 GiB of memory (mostly the training sets of
    /// … on one thread), but 21.9 GiB is available (MemAvailable)".
    pub fn check(&self, threads: usize, available: Option<Available>) -> Result<()> {
        let f = self.footprint(threads);
        memory::check("this run", f.bytes, &format!("mostly the {}", f.largest), available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd(n: usize, shuffle: bool) -> PlanShape {
        PlanShape { train_size: n, shuffle, noise_substeps: 0, nodes: 3 }
    }

    fn shape(plans: Vec<PlanShape>, trials: u64, records: usize) -> Shape {
        Shape { plans, dim: 1, trials, records }
    }

    #[test]
    fn training_sets_dominate_large_grids() {
        // One trial of 2^30 − 1 fresh samples: 8 lanes of 8 bytes per point.
        let s = shape(vec![sgd((1 << 30) - 1, false)], 1, 0);
        let b = s.bytes(1);
        assert!((64 * ((1 << 30) - 1)..(64 << 30) + (1 << 20)).contains(&b), "{b}");
        // One chunk: more threads change nothing.
        assert_eq!(s.bytes(16), b);
        assert!(s.footprint(1).largest.starts_with("training sets of 1073741823 points"));
        // Shuffling adds the visiting orders, half as large again.
        let shuffled = shape(vec![sgd(1 << 29, true)], 1, 0).bytes(1);
        assert!((96 << 29..(96 << 29) + (1 << 20)).contains(&shuffled), "{shuffled}");
    }

    #[test]
    fn threads_multiply_their_buffers_up_to_the_chunks() {
        let s = shape(vec![sgd(1_000_000, false)], 100_000, 0);
        assert_eq!(s.chunks(), 64);
        let one = s.bytes(1);
        assert!(one > 64_000_000);
        assert_eq!(s.bytes(4) - s.shared(), 4 * (one - s.shared()));
        assert_eq!(s.bytes(1000), s.bytes(64));
        assert!(s.footprint(4).largest.ends_with("on each of 4 threads"));
    }

    #[test]
    fn sde_noise_is_bounded_in_k() {
        let sde = |k| PlanShape { train_size: 0, shuffle: false, noise_substeps: k, nodes: 5 };
        let small = shape(vec![sde(16)], 1, 0).bytes(1);
        let big = shape(vec![sde(100_000_000)], 1, 0).bytes(1);
        assert_eq!(big - small, ((NOISE_SUBSTEPS - 16) * 5 * LANES * 8) as u64);
    }

    #[test]
    fn curves_grow_with_records_and_waiting_chunks() {
        let s = shape(vec![sgd(10, false)], 1, 100_000_000);
        // The chunk's curve and its tally, the recorded steps, and the report.
        let per_record = 2 * s.point() + 5 * 8 + 2 * RENDER_BYTES_PER_SUMMARY;
        assert!((100_000_000 * per_record..100_000_000 * (per_record + 1)).contains(&s.bytes(1)));
        assert!(s.footprint(1).largest.starts_with("learning curves of 100000000 recorded steps"));
        let many = shape(vec![sgd(10, false)], 1 << 30, 1000);
        assert_eq!(many.bytes(2) - many.bytes(1), many.per_thread() + 8 * 1000 * many.point());
        // Saturates rather than wrapping.
        let huge = shape(vec![sgd(usize::MAX, true); 2], u64::MAX, usize::MAX);
        assert_eq!(huge.bytes(usize::MAX), u64::MAX);
    }

    #[test]
    fn refusals_name_the_memory_and_its_largest_part() {
        let gib = |g: u64| Some(Available { bytes: g << 30, source: "MemAvailable" });
        let s = shape(vec![sgd((1 << 30) - 1, false)], 1, 0);
        assert!(s.check(1, gib(65)).is_ok() && s.check(1, None).is_ok());
        let e = s.check(1, gib(4)).unwrap_err().to_string();
        assert_eq!(
            e,
            "this run needs about 64.0 GiB of memory (mostly the training sets of 1073741823 points for 8 trials \
             at a time on one thread), but 4.0 GiB is available (MemAvailable)"
        );
        // A device holds the training sets itself.
        assert!(s.host_of_device().check(1, gib(1)).is_ok());
        let e = shape(vec![sgd(1_000_000, false)], 100_000, 0).check(8, gib(0)).unwrap_err().to_string();
        assert!(e.contains("on each of 8 threads"), "{e}");
    }
}
