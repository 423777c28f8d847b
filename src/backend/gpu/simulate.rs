//! The GPU simulator: shaders/simulate.wgsl driven over chunks of trials and
//! dispatches of steps, with f64 statistics merged on the host.
//!
//! * One invocation per trial keeps θ in registers for a whole dispatch of
//!   steps and draws its random numbers in registers (no per-step memory
//!   traffic beyond a shuffled epoch's order).
//! * Steps are split into dispatches of bounded work, so no driver watchdog
//!   fires; trials into chunks whose buffers fit the device's binding limits.
//! * Learning curves are reduced on the device: one (count, mean, M2) partial
//!   per workgroup and record, merged on the host in f64 (Chan), so memory does
//!   not grow with trials × recorded steps.
//! * Grid steps follow the plan's [`Update`] (SGD's step, heavy-ball and
//!   Nesterov momentum, invhess), each a pipeline of its own
//!   (shaders/simulate.wgsl's `descend`); momentum keeps θ_{t−1} per trial
//!   in a buffer of its own across dispatches.
//! * Final θ and train loss come back per trial (f32), widened to f64, and
//!   the test loss is recomputed from θ in f64 on the host; the driver (`crate::backend::driver`) tallies them in trial order, so the
//!   statistics do not depend on scheduling.

use super::device::{bind, grid_2d, layout, pipelines, Gpu};
use super::shader::{
    self, DIVERGED, DYNAMICS_GRID, DYNAMICS_ODE, DYNAMICS_SDE, MAX_PARAMS, NONFINITE, UPDATE_GRADIENT,
    UPDATE_HEAVY_BALL, UPDATE_INVERSE_HESSIAN, UPDATE_NESTEROV, WG,
};
use crate::backend::simulator::{Chunk, Simulator, Status};
use crate::error::{usage, Error, Result};
use crate::experiment::Experiment;
use crate::landscape::{Landscape, Visitor};
use crate::memory;
use crate::observables::CurvePoint;
use crate::optimizer::{Dynamics, Update};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::quadrature::MAX_NODES;
use crate::rng::key;
use crate::schedule::Schedule;
use crate::stats::Moments;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Gradient evaluations in a chunk's first dispatch of steps (about 0.1 s
/// on lavapipe, well under a millisecond on a GPU); later ones are sized by
/// [`Pace`].
const FIRST_DISPATCH_WORK: u64 = 1 << 24;
/// Gradient evaluations per dispatch at most, however fast the device
/// (about 0.1 s on a discrete GPU), so that no watchdog fires.
const MAX_DISPATCH_WORK: u64 = 1 << 34;
/// The time a dispatch of steps should take on a hardware GPU: long enough
/// that a dispatch's fixed cost (tens of microseconds) is a fraction of a
/// per cent, short enough that progress moves and no watchdog fires.
const DISPATCH_TIME: Duration = Duration::from_millis(20);
/// The same on a software adapter, whose dispatches cost milliseconds each
/// (lavapipe: `run archimedes --trials 100000 --steps 1000` took 1.53 s at
/// 20 ms a dispatch, 1.02 s at 100 ms, 0.94 s at 300 ms).
const DISPATCH_TIME_SOFTWARE: Duration = Duration::from_millis(300);
/// Gradient evaluations a trial per dispatch at most on a software adapter
/// (lavapipe's loop limiter, see [`Pace::new`]).
const SOFTWARE_LOOPS: u64 = 1 << 14;
/// Trials per chunk at most.
const MAX_CHUNK: u64 = 1 << 23;
/// Trials per chunk at most on a hardware GPU: 4096 workgroups, enough to
/// fill one (an H100 holds about 4224 of them resident), and small enough
/// that a run of 10^6 trials has several chunks, so that the host tallies one
/// while the device runs the next (see [`HOST_THREADS`]).
const MAX_CHUNK_ACCELERATOR: u64 = 1 << 18;
/// Host threads that submit chunks and tally their results side by side.
const HOST_THREADS: usize = 2;
/// Bytes of curve partials per dispatch at most.
const MAX_PARTIALS: u64 = 64 << 20;
/// Bytes per partial: the count, then mean and M2 of (test loss, θ) and of
/// (train loss, gap), as five vec4<f32>.
const PARTIAL_BYTES: u64 = 80;

/// The uniform block of shaders/simulate.wgsl (same field order and layout;
/// the array bounds are the generated constants of `shader::constants`).
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Config {
    seed: [u32; 2],
    trials: u32,
    trial0: u32,
    n: u32,
    batch: u32,
    shuffle: u32,
    pad3: u32,
    t0: u32,
    t1: u32,
    substeps: u32,
    slot: u32,
    groups_x: u32,
    groups: u32,
    by_weights: u32,
    presummed: u32,
    eta: f32,
    diverge_at: f32,
    drift_slope: f32,
    drift_step: f32,
    beta: f32,
    lambda: f32,
    schedule: u32,
    every: u32,
    schedule_param: f32,
    steps: u32,
    pad1: u32,
    pad2: u32,
    params: [[f32; 4]; MAX_PARAMS / 4],
    init: [f32; 4],
    nodes: [[f32; 4]; MAX_NODES / 4],
    weights: [[f32; 4]; MAX_NODES / 4],
}

/// The kernels of one landscape, specialised for one dynamics
/// (`shader::DYNAMICS_*`) and update rule (`shader::UPDATE_*`).
struct Kernels {
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    run_steps: wgpu::ComputePipeline,
    record_curve: wgpu::ComputePipeline,
    finish: wgpu::ComputePipeline,
}

/// Compiled kernels by (landscape, dynamics, update), reused across runs.
type KernelCache = Mutex<HashMap<(&'static str, u32, u32), Arc<Kernels>>>;

impl Kernels {
    /// Compiled once per simulator and reused.
    fn get<L: Landscape<D>, const D: usize>(
        gpu: &Gpu,
        cache: &KernelCache,
        dynamics: u32,
        update: u32,
    ) -> Result<Arc<Self>> {
        let key = (L::NAME, dynamics, update);
        if let Some(k) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(k.clone());
        }
        let module = gpu.module(L::NAME, shader::simulate::<L, D>(gpu.multiply()))?;
        let layout = layout(gpu, 7);
        let entries = ["init", "run_steps", "record_curve", "finish"];
        let constants = [("DYNAMICS", dynamics as f64), ("UPDATE", update as f64)];
        let [init, run_steps, record_curve, finish] = pipelines(gpu, &module, &layout, entries, &constants)?;
        let kernels = Arc::new(Kernels { layout, init, run_steps, record_curve, finish });
        cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, kernels.clone());
        Ok(kernels)
    }
}

/// How the device forms the train loss, as (`by_weights`, `presummed`):
/// from the Lagrange sums (shaders/simulate.wgsl's `lagrange`) on a rule of
/// at most four nodes (one vec4 of sums per trial) rather than by replaying
/// the training set. The sums are taken by `init` over the whole training
/// set (`presummed`) where a learning curve needs the train loss at every
/// record, else during epoch 0 on grids that take steps (T = E·N/B > 0, so
/// epoch 0 visits every point).
fn train_loss_mode(plan: &Plan, nodes: usize, record: bool) -> (u32, u32) {
    let presummed = record && nodes <= 4;
    let by_weights = presummed || (plan.dynamics() == Dynamics::Discrete && plan.steps() > 0 && nodes <= 4);
    (by_weights as u32, presummed as u32)
}

/// The `DYNAMICS` constant of a plan.
fn dynamics_code(plan: &Plan) -> u32 {
    match plan.dynamics() {
        Dynamics::Discrete => DYNAMICS_GRID,
        Dynamics::Continuous { noise: true, .. } => DYNAMICS_SDE,
        Dynamics::Continuous { noise: false, .. } => DYNAMICS_ODE,
    }
}

/// The `UPDATE` constant of a plan: β = 0 and λ = 0 are SGD's step (as on
/// the CPU, which skips their terms).
fn update_code(plan: &Plan) -> u32 {
    match plan.update {
        Update::HeavyBall { beta, nesterov } if beta != 0.0 => {
            if nesterov {
                UPDATE_NESTEROV
            } else {
                UPDATE_HEAVY_BALL
            }
        }
        Update::InverseHessian { lambda } if lambda != 0.0 => UPDATE_INVERSE_HESSIAN,
        _ => UPDATE_GRADIENT,
    }
}

/// Steps per dispatch, sized by time: each finished dispatch's rate (steps
/// per second between one completion and the next, the device being kept
/// busy by the dispatch queued behind it) sets the next size, to last about
/// [`DISPATCH_TIME`] ([`DISPATCH_TIME_SOFTWARE`] on a software adapter), growing at most fourfold at a time. Dispatch sizes do
/// not change the numbers: every step's random numbers are keyed by the step.
struct Pace {
    steps: usize,
    max: usize,
    time: Duration,
    since: Instant,
}

impl Pace {
    /// For dispatches of `work` gradient evaluations per step
    /// (`work_per_trial` of them a trial) on `gpu`.
    fn new(gpu: &Gpu, work: u64, work_per_trial: u64) -> Self {
        let per = |limit: u64| (limit / work.max(1)).max(1) as usize;
        let (time, max) = if gpu.is_software() {
            // lavapipe silently ends a shader after 65,535 loop iterations,
            // all loops counted: a few loop iterations per gradient evaluation
            // a trial, so at most 2^14 evaluations a trial per dispatch.
            (
                DISPATCH_TIME_SOFTWARE,
                per(MAX_DISPATCH_WORK).min((SOFTWARE_LOOPS / work_per_trial.max(1)).max(1) as usize),
            )
        } else {
            (DISPATCH_TIME, per(MAX_DISPATCH_WORK))
        };
        Pace { steps: per(FIRST_DISPATCH_WORK).min(max), max, time, since: Instant::now() }
    }

    /// Steps in the next dispatch.
    fn steps(&self) -> usize {
        self.steps
    }

    /// A dispatch of `done` steps finished now.
    fn finished(&mut self, done: usize) {
        let now = Instant::now();
        let seconds = now.duration_since(self.since).as_secs_f64().max(1e-6);
        self.since = now;
        let wanted = (done as f64 * self.time.as_secs_f64() / seconds) as usize;
        self.steps = wanted.clamp(1, (4 * self.steps).min(self.max));
    }
}

/// What one plan's run over one chunk needs.
struct ChunkRun<'a, L, const D: usize> {
    gpu: &'a Gpu,
    kernels: &'a KernelCache,
    landscape: &'a L,
    exp: &'a Experiment,
    plan: &'a Plan,
}

impl<L: Landscape<D>, const D: usize> ChunkRun<'_, L, D> {
    fn config(&self, trials: Range<u64>, groups: u32) -> Config {
        let rule = L::rule();
        let mut nodes = [[0.0f32; 4]; MAX_NODES / 4];
        let mut weights = [[0.0f32; 4]; MAX_NODES / 4];
        for (j, (x, w)) in rule.nodes.iter().zip(&rule.weights).enumerate() {
            nodes[j / 4][j % 4] = *x as f32;
            weights[j / 4][j % 4] = *w as f32;
        }
        let substeps = match self.plan.dynamics() {
            Dynamics::Discrete => 1,
            Dynamics::Continuous { substeps, .. } => substeps,
        };
        // Slot i of the landscape's parameters, read by the generated param_NAME().
        let mut params = [[0.0f32; 4]; MAX_PARAMS / 4];
        for (i, v) in self.landscape.params().into_iter().enumerate() {
            params[i / 4][i % 4] = v as f32;
        }
        let mut init = [0.0f32; 4];
        for (p, v) in init.iter_mut().zip(&self.exp.init) {
            *p = *v as f32;
        }
        let grid = &self.plan.grid;
        let (beta, lambda) = match self.plan.update {
            Update::Gradient => (0.0, 0.0),
            Update::HeavyBall { beta, .. } => (beta as f32, 0.0),
            Update::InverseHessian { lambda } => (0.0, lambda as f32),
        };
        // The schedule's code (shaders/simulate.wgsl's `eta_at`) and parameters.
        let (schedule, every, schedule_param) = match self.plan.schedule {
            Schedule::Constant => (0, 1, 0.0),
            Schedule::Step { every, factor } => (1, every.min(u32::MAX as usize) as u32, factor as f32),
            Schedule::Cosine => (2, 1, 0.0),
            Schedule::Inverse { tau } => (3, 1, tau as f32),
        };
        Config {
            seed: key(self.exp.seed),
            trials: (trials.end - trials.start) as u32,
            trial0: trials.start as u32,
            n: grid.train_size as u32,
            batch: grid.batch as u32,
            shuffle: grid.shuffle as u32,
            substeps,
            groups_x: grid_2d(groups).0,
            groups,
            eta: self.plan.eta as f32,
            schedule,
            every,
            schedule_param,
            steps: self.plan.steps() as u32,
            diverge_at: self.exp.diverge_at.min(f32::MAX as f64) as f32,
            beta,
            lambda,
            params,
            init,
            nodes,
            weights,
            ..Default::default()
        }
    }

    /// Gradient evaluations per trial-step.
    fn work_per_step(&self) -> u64 {
        match self.plan.dynamics() {
            Dynamics::Discrete => self.plan.grid.batch as u64,
            Dynamics::Continuous { substeps, .. } => substeps as u64 * (L::rule().nodes.len() as u64 + 1),
        }
    }

    /// Runs the plan on trials `range`; with `record`, the curve (merged from
    /// the device's partials) and the drift estimators too.
    fn run(&self, range: Range<u64>, record: bool, progress: &Progress) -> Result<Chunk> {
        let gpu = self.gpu;
        let count = range.end - range.start;
        let groups = count.div_ceil(WG) as u32;
        let (gx, gy) = grid_2d(groups);
        let steps = self.plan.steps();
        let n = self.plan.grid.train_size as u64;
        let records = if record { self.exp.record_steps() } else { Vec::new() };
        let window = if record { self.exp.drift_window(self.plan) } else { None };
        let mut out = Chunk::new(D, count as usize, &records);
        let slots = (MAX_PARTIALS / (groups as u64 * PARTIAL_BYTES)).clamp(1, records.len().max(1) as u64) as u32;
        let update = update_code(self.plan);
        let kernels = Kernels::get::<L, D>(gpu, self.kernels, dynamics_code(self.plan), update)?;
        let mut cfg = self.config(range.clone(), groups);
        (cfg.by_weights, cfg.presummed) = train_loss_mode(self.plan, L::rule().nodes.len(), !records.is_empty());
        let uniform = gpu.uniform("config", bytemuck::bytes_of(&cfg));
        let state = gpu.storage("state", 16 * count);
        let flags = gpu.storage("flags", 4 * count);
        let order = gpu.storage("order", if self.plan.grid.shuffle { 4 * n * groups as u64 * WG } else { 16 });
        let partials = gpu.storage("partials", slots as u64 * groups as u64 * PARTIAL_BYTES);
        let results = gpu.storage("results", 16 * count);
        let drift = gpu.storage("drift", if window.is_some() { 32 * count } else { 32 });
        let momentum = matches!(update, UPDATE_HEAVY_BALL | UPDATE_NESTEROV);
        let previous = gpu.storage("previous", if momentum { 16 * count } else { 16 });
        gpu.check()?;
        let buffers = [&uniform, &state, &flags, &order, &partials, &results, &drift, &previous];
        let group = bind(gpu, &kernels.layout, &buffers);
        let mut timer = gpu.timer();
        // Each dispatch is its own submission, after its own configuration.
        let mut dispatch = |pipeline: &wgpu::ComputePipeline, cfg: &Config| {
            gpu.queue.write_buffer(&uniform, 0, bytemuck::bytes_of(cfg));
            gpu.dispatch(pipeline, &group, (gx, gy), timer.as_mut())
        };
        // Merges the `filled` slots of partials, records first.., into the curve.
        let mut merge = |first: usize, filled: usize| -> Result<()> {
            let parts: Vec<[f32; 4]> = gpu.read(&partials, filled * groups as usize * 5)?;
            for slot in 0..filled {
                let point = &mut out.curve[first + slot];
                for wg in 0..groups as usize {
                    let base = (slot * groups as usize + wg) * 5;
                    let n = parts[base][0] as u64;
                    let m = |v: usize, q: usize| Moments {
                        n,
                        mean: parts[base + v][q] as f64,
                        m2: parts[base + v + 1][q] as f64,
                    };
                    point.merge(&CurvePoint {
                        step: point.step,
                        test_loss: m(1, 0),
                        train_loss: m(3, 0),
                        gen_gap: m(3, 1),
                        theta: (0..D).map(|d| m(1, 1 + d)).collect(),
                    });
                }
            }
            Ok(())
        };
        dispatch(&kernels.init, &cfg)?;
        let mut pace = Pace::new(gpu, count * self.work_per_step(), self.work_per_step());
        // The dispatch of steps still running, and its step count.
        let mut running: Option<(wgpu::SubmissionIndex, usize)> = None;
        let (mut next, mut first) = (0, 0);
        let mut t = 0;
        loop {
            // Records due at step t, then steps up to the next record.
            while records.get(next) == Some(&t) {
                cfg.slot = (next - first) as u32;
                if let Some(w) = &window {
                    cfg.drift_slope = w.slope[next] as f32;
                    cfg.drift_step = w.step.as_ref().map_or(0.0, |s| s[next] as f32);
                }
                dispatch(&kernels.record_curve, &cfg)?;
                next += 1;
                if next - first == slots as usize {
                    merge(first, next - first)?;
                    first = next;
                }
            }
            if t == steps {
                break;
            }
            let t1 = (t + pace.steps()).min(records.get(next).copied().unwrap_or(steps));
            (cfg.t0, cfg.t1) = (t as u32, t1 as u32);
            let index = dispatch(&kernels.run_steps, &cfg)?;
            // Two dispatches in flight: the device starts this one while the
            // host waits for the one before.
            if let Some((before, done)) = running.replace((index, t1 - t)) {
                gpu.wait_for(before)?;
                pace.finished(done);
                progress.advance_fraction(count as f64 * done as f64 / steps as f64);
            }
            t = t1;
        }
        if next > first {
            merge(first, next - first)?;
        }
        let index = dispatch(&kernels.finish, &cfg)?;
        gpu.wait_for(index)?;
        if let Some(t) = timer.as_mut() {
            gpu.harvest(t)?;
        }
        match running {
            Some((_, done)) => progress.advance_fraction(count as f64 * done as f64 / steps as f64),
            None => progress.advance_fraction(count as f64),
        }
        let theta: Vec<[f32; 4]> = gpu.read(&state, count as usize)?;
        let flags: Vec<u32> = gpu.read(&flags, count as usize)?;
        let losses: Vec<[f32; 4]> = gpu.read(&results, count as usize)?;
        let drift: Vec<[[f32; 4]; 2]> = if window.is_some() { gpu.read(&drift, count as usize)? } else { Vec::new() };
        // Widened to f64 on the host; the driver tallies in f64. The test
        // loss of a finite trial is recomputed in f64 from its θ (the
        // device's f32 quadrature only decided divergence), so its error is
        // θ's rounding alone.
        let wide = |v: &[f32; 4]| v[..D].iter().map(|&x| x as f64).collect::<Vec<_>>();
        for i in 0..count as usize {
            let status = Status::of(flags[i] & DIVERGED != 0, flags[i] & NONFINITE != 0);
            let th = wide(&theta[i]);
            let test = match status {
                Status::Finite => self.landscape.test_loss(std::array::from_fn(|d| th[d])),
                _ => losses[i][0] as f64,
            };
            out.push(test, losses[i][1] as f64, th, status);
            if let Some([slope, step]) = drift.get(i) {
                out.slope.extend(wide(slope));
                out.step.extend(wide(step));
            }
        }
        Ok(out)
    }
}

/// Trials per chunk: the device's binding limits and [`MAX_CHUNK`] (or
/// [`MAX_CHUNK_ACCELERATOR`] on a hardware GPU).
fn chunk_size(gpu: &Gpu, exp: &Experiment, plan: &Plan) -> Result<u64> {
    let max = gpu.max_binding();
    // The largest per-trial buffer: the drift estimators' two vec4 per trial
    // where they are recorded, else θ's one vec4.
    let per_trial = if exp.drift_window(plan).is_some() { 32 } else { 16 };
    let limit = if gpu.is_software() { MAX_CHUNK } else { MAX_CHUNK_ACCELERATOR };
    let mut chunk = limit.min(max / per_trial);
    if plan.grid.shuffle {
        chunk = chunk.min(max / (4 * plan.grid.train_size as u64));
    }
    let chunk = chunk / WG * WG;
    if chunk == 0 {
        return Err(Error::Gpu(format!(
            "a training set of {} points is too large to shuffle on this device",
            plan.grid.train_size
        )));
    }
    Ok(chunk)
}

/// Whether the 32-bit counters of shaders/simulate.wgsl stay in range for
/// `plan` on a landscape of `nodes` quadrature nodes: the SDE's noise element
/// (t·K + s)·M, the shuffle's word e·N + j, and K·B.
fn counters_fit(plan: &Plan, nodes: u64) -> Result<()> {
    const LIMIT: u64 = 1 << 32;
    let grid = &plan.grid;
    let (t, k) = (plan.steps() as u64, plan.substeps as u64);
    let refuse = |what: String| Err(usage(format!("{what} is beyond the GPU backend's 32-bit counters")));
    if let Dynamics::Continuous { noise, .. } = plan.dynamics() {
        if k * grid.batch as u64 >= LIMIT {
            return refuse(format!("K·B = {}", k * grid.batch as u64));
        }
        if noise && t * k * nodes > LIMIT {
            return refuse(format!("the SDE's T·K·M = {} normals per trial", t * k * nodes));
        }
    }
    let words = grid.epochs as u64 * grid.train_size as u64;
    if grid.shuffle && words > LIMIT {
        return refuse(format!("--shuffle's E·N = {words} words per trial"));
    }
    Ok(())
}

/// The GPU simulator: an open device, the kernels compiled on it, and the
/// host threads that feed it.
pub struct GpuSimulator {
    gpu: Gpu,
    kernels: KernelCache,
    pool: rayon::ThreadPool,
}

impl GpuSimulator {
    /// Opens the best adapter (or the one `$SIMSGD_ADAPTER` names).
    pub fn open() -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(HOST_THREADS)
            .build()
            .map_err(|e| Error::Gpu(format!("cannot start the GPU backend's host threads: {e}")))?;
        Ok(GpuSimulator { gpu: Gpu::open()?, kernels: Default::default(), pool })
    }

    /// The open device.
    pub fn device(&self) -> &Gpu {
        &self.gpu
    }
}

/// The chunk of trials `range` under `plan`.
struct SimulateChunk<'a> {
    sim: &'a GpuSimulator,
    exp: &'a Experiment,
    plan: &'a Plan,
    range: Range<u64>,
    record: bool,
    progress: &'a Progress,
}

impl Visitor for SimulateChunk<'_> {
    type Output = Result<Chunk>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Result<Chunk> {
        let run = ChunkRun::<L, D> {
            gpu: &self.sim.gpu,
            kernels: &self.sim.kernels,
            landscape: l,
            exp: self.exp,
            plan: self.plan,
        };
        run.run(self.range, self.record, self.progress)
    }
}

impl Simulator for GpuSimulator {
    fn kind(&self) -> &'static str {
        "gpu"
    }

    fn adapter(&self) -> Option<String> {
        Some(self.gpu.describe())
    }

    fn accelerator(&self) -> bool {
        !self.gpu.is_software()
    }

    /// The trajectories run in f32.
    fn unit_roundoff(&self) -> f64 {
        f32::EPSILON as f64 / 2.0
    }

    /// Everything but GDC (its correction sums per-sample Hessians times
    /// gradients over the whole training set every step), and grids whose
    /// 32-bit counters would wrap (`counters_fit`), where the host has the
    /// memory for the results ([`Shape::host_of_device`](crate::backend::footprint::Shape::host_of_device)).
    fn supports(&self, exp: &Experiment) -> Result<()> {
        if exp.cpu_only() {
            return Err(usage("gdc runs on the CPU backend only"));
        }
        let shape = exp.shape();
        let nodes = shape.plans.first().map_or(0, |p| p.nodes) as u64;
        for plan in std::iter::once(&exp.plan).chain(&exp.compare) {
            counters_fit(plan, nodes)?;
        }
        shape.host_of_device().check(HOST_THREADS, memory::available())
    }

    /// The device's binding limits and `MAX_CHUNK`, over both plans.
    fn chunk_trials(&self, exp: &Experiment) -> Result<u64> {
        let sizes = std::iter::once(&exp.plan).chain(&exp.compare).map(|p| chunk_size(&self.gpu, exp, p));
        sizes.collect::<Result<Vec<_>>>().map(|s| s.into_iter().min().unwrap_or(MAX_CHUNK))
    }

    /// Two host threads: one chunk's results are tallied while the
    /// device runs the next.
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        Some(&self.pool)
    }

    fn kernel_seconds(&self) -> Option<f64> {
        self.gpu.kernel_seconds()
    }

    fn simulate(
        &self,
        exp: &Experiment,
        plan: &Plan,
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Chunk> {
        exp.landscape.visit(SimulateChunk { sim: self, exp, plan, range: trials, record, progress })
    }
}
