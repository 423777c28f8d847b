//! The CPU backend: the reference simulator.
//!
//! Trials run in blocks of [`LANES`] as structure-of-arrays loops (one array
//! per weight, one element per trial) that LLVM vectorises; an AVX2 build of
//! the same code is chosen at run time where the processor has it. Blocks are
//! grouped in chunks whose size depends only on the number of trials, and the
//! driver (`super::driver`) runs chunks side by side on this simulator's
//! thread pool and merges them in chunk order, so a run's numbers do not
//! depend on the thread count or the vector width.

use super::simulator::{Chunk, Simulator, Status};
use crate::drift::DriftWindow;
use crate::error::{usage, Error, Result};
use crate::experiment::Experiment;
use crate::landscape::derivatives::hessian;
use crate::landscape::limits::MAX_SAMPLE;
use crate::landscape::{Landscape, Visitor};
use crate::linalg::solve;
use crate::memory;
use crate::observables::CurvePoint;
use crate::optimizer::{Dynamics, Optimizer, Update};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::quadrature::empirical_weights;
use crate::rng::{self, Stream};
use std::array::from_fn;
use std::ops::Range;

pub use super::footprint::LANES;
use super::footprint::{chunk_trials, NOISE_SUBSTEPS};

type Lanes = [f64; LANES];

/// Most quadrature nodes a landscape's train-loss rule may have.
const MAX_NODES: usize = crate::quadrature::MAX_NODES;

/// One block's per-lane results for one plan.
struct BlockResult<const D: usize> {
    test: Lanes,
    train: Lanes,
    theta: [Lanes; D],
    diverged: [bool; LANES],
    /// Whether the final θ or a loss is not finite (a subset of `diverged`).
    nonfinite: [bool; LANES],
    /// The drift estimators (`crate::drift`): least-squares slope and mean
    /// conditional step, per weight and lane.
    slope: [Lanes; D],
    step: [Lanes; D],
}

/// Buffers reused from block to block.
#[derive(Default)]
struct Workspace {
    /// Training points: coordinate c of point n of each lane at
    /// `xs[n * k + c][lane]` (k the sample's coordinates).
    xs: Vec<Lanes>,
    /// Per-lane visiting order of the current epoch, `order[lane * N + k]`.
    order: Vec<u32>,
    /// SDE increments of up to [`NOISE_SUBSTEPS`] substeps of one step,
    /// `noise[(s * M + j) * LANES + lane]` for substep s (from the batch's
    /// first) and quadrature node j < M.
    noise: Vec<f64>,
}

/// |x| <= limit, false for NaN: the divergence rule.
#[inline(always)]
fn within(x: f64, limit: f64) -> bool {
    x.abs() <= limit
}

fn lane_theta<const D: usize>(th: &[Lanes; D], lane: usize) -> [f64; D] {
    from_fn(|d| th[d][lane])
}

/// Training point `i` of one lane, its k coordinates first (`Workspace::xs`).
fn lane_point(xs: &[Lanes], i: usize, k: usize, lane: usize) -> [f64; MAX_SAMPLE] {
    from_fn(|c| if c < k { xs[i * k + c][lane] } else { 0.0 })
}

/// One step of the grid with the batch's summed gradient Σ ∇l_n (and
/// Hessian, for invhess) at θ, or at the look-ahead for Nesterov:
/// θ ← θ − (η/B) Σ_{batch} ∇l_n(θ) and the variants of [`Update`].
/// `prev` is θ_{t−1} (momentum only).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn discrete_step<L: Landscape<D>, const D: usize>(
    l: &L,
    plan: &Plan,
    seed: u64,
    trial0: u64,
    t: usize,
    ws: &mut Workspace,
    th: &mut [Lanes; D],
    prev: &mut [Lanes; D],
) {
    let grid = &plan.grid;
    let n = grid.train_size;
    let k = l.sample_dim();
    let (epoch, positions) = grid.step(t);
    let at = match plan.update {
        Update::HeavyBall { beta, nesterov: true } if beta != 0.0 => {
            from_fn(|d| from_fn(|lane| th[d][lane] + beta * (th[d][lane] - prev[d][lane])))
        }
        _ => *th,
    };
    let curvature = matches!(plan.update, Update::InverseHessian { lambda } if lambda != 0.0);
    let mut acc = [[0.0; LANES]; D];
    let mut hess = [[[0.0; LANES]; D]; D];
    // Adds the gradients (and Hessians) at the block's points `x` (its k
    // coordinates' rows), one per lane, in position order per lane.
    let mut add = |x: &[Lanes]| {
        let g = l.grad_lanes(&at, x);
        for d in 0..D {
            for lane in 0..LANES {
                acc[d][lane] += g[d][lane];
            }
        }
        if curvature {
            for lane in 0..LANES {
                let point: [f64; MAX_SAMPLE] = from_fn(|c| x.get(c).map_or(0.0, |row| row[lane]));
                let h = hessian(l, lane_theta(&at, lane), &point[..x.len()]);
                for a in 0..D {
                    for b in 0..D {
                        hess[a][b][lane] += h[a][b];
                    }
                }
            }
        }
    };
    if grid.shuffle {
        if positions.start == 0 {
            for (lane, order) in ws.order.chunks_exact_mut(n).enumerate() {
                rng::shuffle(seed, trial0 + lane as u64, epoch as u64, order);
            }
        }
        for p in positions {
            let x: [Lanes; MAX_SAMPLE] = from_fn(|c| {
                from_fn(|lane| if c < k { ws.xs[ws.order[lane * n + p] as usize * k + c][lane] } else { 0.0 })
            });
            add(&x[..k]);
        }
    } else {
        for p in positions {
            add(&ws.xs[p * k..(p + 1) * k]);
        }
    }
    let eta = plan.eta_at(t);
    if plan.optimizer == Optimizer::Gdc {
        gdc_correction(l, eta, n, &ws.xs, th, &mut acc);
    }
    let scale = eta / grid.batch as f64;
    if curvature {
        // (η⁻¹ I + λ h̄) s = ḡ is (I + (ηλ/B) Σh) (B s/η) = Σg: solve for the
        // summed gradient so that λ = 0 would give SGD's step exactly.
        let Update::InverseHessian { lambda } = plan.update else { unreachable!("an invhess plan") };
        let c = scale * lambda;
        for lane in 0..LANES {
            let m: [[f64; D]; D] = from_fn(|a| from_fn(|b| f64::from(u8::from(a == b)) + c * hess[a][b][lane]));
            let step = solve(m, from_fn(|d| acc[d][lane])).unwrap_or([f64::NAN; D]);
            for d in 0..D {
                acc[d][lane] = step[d];
            }
        }
    }
    for d in 0..D {
        for lane in 0..LANES {
            let before = th[d][lane];
            th[d][lane] -= scale * acc[d][lane];
            if let Update::HeavyBall { beta, .. } = plan.update {
                if beta != 0.0 {
                    th[d][lane] += beta * (before - prev[d][lane]);
                }
                prev[d][lane] = before;
            }
        }
    }
}

/// GDC (Corollary 3): adds to the summed batch gradient `acc` (all N points)
/// N·α·∇tr Ĉ with α = η(N−1)/(4N) and ∇tr Ĉ = 2/(N−1) Σ_n h_n (g_n − ḡ),
/// i.e. (η/2) Σ_n h_n (g_n − ḡ), so that the step is θ ← θ − η ∇(L_train + α tr Ĉ).
/// Per-sample Hessians come from dual numbers (the CPU backend only).
fn gdc_correction<L: Landscape<D>, const D: usize>(
    l: &L,
    eta: f64,
    n: usize,
    xs: &[Lanes],
    th: &[Lanes; D],
    acc: &mut [Lanes; D],
) {
    let k = l.sample_dim();
    for lane in 0..LANES {
        let theta = lane_theta(th, lane);
        let mean: [f64; D] = from_fn(|d| acc[d][lane] / n as f64);
        let mut sum = [0.0; D];
        for p in 0..n {
            let point = lane_point(xs, p, k, lane);
            let x = &point[..k];
            let g = l.grad(theta, x);
            let h = hessian(l, theta, x);
            for a in 0..D {
                sum[a] += (0..D).map(|b| h[a][b] * (g[b] - mean[b])).sum::<f64>();
            }
        }
        for d in 0..D {
            acc[d][lane] += 0.5 * eta * sum[d];
        }
    }
}

/// One step of SDE or ODE: K Euler–Maruyama substeps of length η/K with the
/// exact mean gradient G and noise of covariance (η²/K) C / B. The noise is
/// Σ_j √w_j (g_j − G) ξ_j over the M quadrature nodes x_j (g_j = ∇l_{x_j}):
/// its covariance is exactly C, rank-deficient C included, with no
/// factorisation and one normal per node.
#[inline(always)]
fn continuous_step<L: Landscape<D>, const D: usize>(
    l: &L,
    plan: &Plan,
    seed: u64,
    trial0: u64,
    t: usize,
    ws: &mut Workspace,
    th: &mut [Lanes; D],
) {
    let Dynamics::Continuous { substeps, noise } = plan.dynamics() else { unreachable!("a continuous plan") };
    let rule = l.rule();
    let m = rule.len();
    let k = substeps as usize;
    let eta = plan.eta_at(t);
    let h = eta / k as f64;
    let sigma = eta / ((k * plan.grid.batch) as f64).sqrt();
    let root_w: Vec<f64> = rule.weights.iter().map(|w| w.sqrt()).collect();
    let mut g = vec![[0.0; D]; m];
    for s in 0..k {
        // Noise elements (t·K + s)·M + j, drawn NOISE_SUBSTEPS substeps at a time.
        let in_batch = s % NOISE_SUBSTEPS;
        if noise && in_batch == 0 {
            ws.noise.resize(NOISE_SUBSTEPS.min(k - s) * m * LANES, 0.0);
            rng::fill_normals::<LANES>(seed, trial0, Stream::Noise, ((t * k + s) * m) as u64, &mut ws.noise);
        }
        for lane in 0..LANES {
            let theta = lane_theta(th, lane);
            let mut mean = [0.0; D];
            for j in 0..m {
                g[j] = l.grad(theta, rule.point(j));
                for d in 0..D {
                    mean[d] += rule.weights[j] * g[j][d];
                }
            }
            let mut next: [f64; D] = from_fn(|d| theta[d] - h * mean[d]);
            if noise {
                for j in 0..m {
                    let xi = root_w[j] * ws.noise[(in_batch * m + j) * LANES + lane];
                    for d in 0..D {
                        next[d] += sigma * xi * (g[j][d] - mean[d]);
                    }
                }
            }
            for d in 0..D {
                th[d][lane] = next[d];
            }
        }
    }
}

/// Simulates trials `trial0 .. trial0 + LANES` under `plan`, adding the
/// first `valid` trials' test loss and θ at each recorded step to `curve`
/// (those still alive), lane by lane: no buffer grows with the records.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn simulate_block<L: Landscape<D>, const D: usize>(
    l: &L,
    exp: &Experiment,
    plan: &Plan,
    record_steps: &[usize],
    drift: Option<&DriftWindow>,
    trial0: u64,
    valid: usize,
    curve: &mut [CurvePoint],
    ws: &mut Workspace,
) -> BlockResult<D> {
    let n = plan.grid.train_size;
    let k = l.sample_dim();
    ws.xs.resize(n * k, [0.0; LANES]);
    l.law().fill::<LANES>(exp.seed, trial0, k, ws.xs.as_flattened_mut());
    if plan.grid.shuffle {
        ws.order.resize(n * LANES, 0);
    }
    let mut th: [Lanes; D] = from_fn(|d| [exp.init[d]; LANES]);
    // θ_{t−1} for momentum, θ_{−1} = θ_0.
    let mut prev = th;
    let mut diverged = [false; LANES];
    let limit = exp.diverge_at;
    let mut records = record_steps.iter().peekable();
    // Test and train loss from the same degree + 1 loss evaluations: the
    // rule's weights give E_x, each lane's empirical Lagrange weights (of its
    // training set, computed once) the training-set mean (exact: l_x is a
    // polynomial of that degree in x). Where it is not, the train loss
    // evaluates l_x at every training point.
    let rule = l.rule();
    let m = rule.len();
    let by_weights = l.lagrange_train_loss();
    // A scalar sample's rule (by_weights): its points are the base nodes.
    let mut lagrange = [[0.0; MAX_NODES]; LANES];
    if by_weights {
        assert!(k == 1 && m <= MAX_NODES);
        for (lane, w) in lagrange.iter_mut().enumerate() {
            empirical_weights(&rule.base.nodes, (0..n).map(|i| ws.xs[i][lane]), &mut w[..m]);
        }
    }
    // The training sets, kept for the train loss where it evaluates every point.
    let xs: Vec<Lanes> = if by_weights { Vec::new() } else { ws.xs.clone() };
    let losses = |th: &[Lanes; D]| -> (Lanes, Lanes) {
        let (mut test, mut train) = ([0.0; LANES], [0.0; LANES]);
        for lane in 0..LANES {
            let theta = lane_theta(th, lane);
            for (j, (x, w)) in rule.iter().enumerate() {
                let lj = l.loss(theta, x);
                test[lane] += w * lj;
                if by_weights {
                    train[lane] += lagrange[lane][j] * lj;
                }
            }
            if !by_weights {
                train[lane] = (0..n).map(|i| l.loss(theta, &lane_point(&xs, i, k, lane)[..k])).sum::<f64>() / n as f64;
            }
        }
        (test, train)
    };
    let (mut slope, mut step) = ([[0.0; LANES]; D], [[0.0; LANES]; D]);
    // A record also applies the divergence rule to the test and train loss
    // and adds the state to the drift estimators.
    let mut recorded = 0;
    let mut record = |th: &[Lanes; D], diverged: &mut [bool; LANES]| {
        let r = recorded;
        recorded += 1;
        let (test, train) = losses(th);
        for lane in 0..LANES {
            diverged[lane] |= !(within(test[lane], limit) && within(train[lane], limit));
        }
        if let Some(w) = drift {
            for lane in 0..LANES {
                let g = match &w.step {
                    Some(weights) if weights[r] != 0.0 => l.mean_gradient(lane_theta(th, lane)).map(|g| weights[r] * g),
                    _ => [0.0; D],
                };
                for d in 0..D {
                    slope[d][lane] += w.slope[r] * th[d][lane];
                    step[d][lane] += g[d];
                }
            }
        }
        let point = &mut curve[r];
        for lane in 0..valid {
            if !diverged[lane] {
                point.push(test[lane], train[lane], (0..D).map(|d| th[d][lane]));
            }
        }
    };
    let dynamics = plan.dynamics();
    for t in 0..plan.steps() {
        if records.next_if_eq(&&t).is_some() {
            record(&th, &mut diverged);
        }
        match dynamics {
            Dynamics::Discrete => discrete_step(l, plan, exp.seed, trial0, t, ws, &mut th, &mut prev),
            Dynamics::Continuous { .. } => continuous_step(l, plan, exp.seed, trial0, t, ws, &mut th),
        }
        for d in 0..D {
            for lane in 0..LANES {
                diverged[lane] |= !within(th[d][lane], limit);
            }
        }
    }
    if records.next().is_some() {
        record(&th, &mut diverged);
    }
    let (test, train) = losses(&th);
    let mut nonfinite = [false; LANES];
    for lane in 0..LANES {
        let theta = lane_theta(&th, lane);
        diverged[lane] |= !(within(test[lane], limit) && within(train[lane], limit));
        nonfinite[lane] = !(test[lane].is_finite() && train[lane].is_finite() && theta.iter().all(|x| x.is_finite()));
    }
    BlockResult { test, train, theta: th, diverged, nonfinite, slope, step }
}

/// Simulates `plan` on the trials of `range`, block by block, into a chunk:
/// per-trial results in trial order and, with `record`, the curve over the
/// trials alive at each recorded step. Inlined (with everything hot below it)
/// into `simulate_chunk_avx2`, so that the AVX2 build really is compiled for
/// AVX2.
#[inline(always)]
fn simulate_chunk<L: Landscape<D>, const D: usize>(
    l: &L,
    exp: &Experiment,
    plan: &Plan,
    range: Range<u64>,
    record: bool,
) -> Chunk {
    let steps = if record { exp.record_steps() } else { Vec::new() };
    let drift = if record { exp.drift_window(plan) } else { None };
    let mut out = Chunk::new(D, (range.end - range.start) as usize, &steps);
    let mut ws = Workspace::default();
    for trial0 in range.clone().step_by(LANES) {
        let valid = (range.end - trial0).min(LANES as u64) as usize;
        let b = simulate_block(l, exp, plan, &steps, drift.as_ref(), trial0, valid, &mut out.curve, &mut ws);
        for lane in 0..valid {
            let status = Status::of(b.diverged[lane], b.nonfinite[lane]);
            out.push(b.test[lane], b.train[lane], lane_theta(&b.theta, lane), status);
            if drift.is_some() {
                out.slope.extend(lane_theta(&b.slope, lane));
                out.step.extend(lane_theta(&b.step, lane));
            }
        }
    }
    out
}

/// `simulate_chunk` compiled for AVX2, chosen at run time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn simulate_chunk_avx2<L: Landscape<D>, const D: usize>(
    l: &L,
    exp: &Experiment,
    plan: &Plan,
    range: Range<u64>,
    record: bool,
) -> Chunk {
    simulate_chunk(l, exp, plan, range, record)
}

/// The chunk of trials `range` under `plan`, on the best build for this
/// processor.
struct SimulateChunk<'a> {
    exp: &'a Experiment,
    plan: &'a Plan,
    range: Range<u64>,
    record: bool,
}

impl Visitor for SimulateChunk<'_> {
    type Output = Chunk;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Chunk {
        let SimulateChunk { exp, plan, range, record } = self;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2, checked just above.
            return unsafe { simulate_chunk_avx2(l, exp, plan, range, record) };
        }
        simulate_chunk(l, exp, plan, range, record)
    }
}

/// The CPU simulator: chunks side by side on a pool of threads.
pub struct Cpu {
    pool: rayon::ThreadPool,
}

/// Most threads per core [`Cpu::new`] accepts: more only slow a run down
/// (and a mistyped `--threads 100000` would spend minutes starting them).
pub const THREADS_PER_CORE: usize = 4;

/// The most threads [`Cpu::new`] accepts on a machine of `cores` cores.
pub fn max_threads(cores: usize) -> usize {
    THREADS_PER_CORE * cores.max(1)
}

impl Cpu {
    /// A simulator on `threads` threads (0: all cores); a usage error above
    /// [`max_threads`] of the cores this process may use.
    pub fn new(threads: usize) -> Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads > max_threads(cores) {
            return Err(usage(format!(
                "--threads {threads} is too many: this machine has {cores} cores, and more than {} threads only \
                 slow a run down",
                max_threads(cores)
            )));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::System(format!("cannot start {threads} threads: {e}")))?;
        Ok(Cpu { pool })
    }

    /// Threads in its pool.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}

impl Simulator for Cpu {
    fn kind(&self) -> &'static str {
        "cpu"
    }

    /// f64 throughout.
    fn unit_roundoff(&self) -> f64 {
        f64::EPSILON / 2.0
    }

    /// Every experiment (the CPU is the reference) whose buffers on this
    /// pool's threads fit in the memory available ([`Shape::check`](super::footprint::Shape::check)).
    fn supports(&self, exp: &Experiment) -> Result<()> {
        exp.shape().check(self.threads(), memory::available())
    }

    fn chunk_trials(&self, exp: &Experiment) -> Result<u64> {
        Ok(chunk_trials(exp.trials))
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        Some(&self.pool)
    }

    fn simulate(
        &self,
        exp: &Experiment,
        plan: &Plan,
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Chunk> {
        let count = trials.end - trials.start;
        let chunk = exp.landscape.visit(SimulateChunk { exp, plan, range: trials, record });
        progress.advance(count);
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--threads 100000` spent minutes starting threads; beyond four per
    /// core it is refused at once.
    #[test]
    fn thread_counts_are_capped() {
        assert_eq!((max_threads(0), max_threads(1), max_threads(16)), (4, 4, 64));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(Cpu::new(max_threads(cores)).is_ok());
        let e = Cpu::new(100_000).err().expect("refused").to_string();
        assert!(e.starts_with("--threads 100000 is too many"), "{e}");
        assert!(Cpu::new(max_threads(cores) + 1).is_err());
    }
}
