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
    self, DIVERGED, DYNAMICS_GRID, DYNAMICS_ODE, DYNAMICS_SDE, MAX_FUSED, MAX_PARAMS, NONFINITE, UPDATE_GRADIENT,
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
pub(super) const HOST_THREADS: usize = 2;
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
    stride: u32,
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
    points: u32,
    pad2: u32,
    params: [[f32; 4]; MAX_PARAMS / 4],
    init: [f32; 4],
    nodes: [[f32; 4]; MAX_NODES / 4],
    weights: [[f32; 4]; MAX_NODES / 4],
}

/// The kernels of one landscape, specialised for one dynamics
/// (`shader::DYNAMICS_*`) and update rule (`shader::UPDATE_*`), for one
/// point or a fused sweep's several.
struct Kernels {
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    run_steps: wgpu::ComputePipeline,
    record_curve: wgpu::ComputePipeline,
    finish: wgpu::ComputePipeline,
}

/// Compiled kernels by (landscape, dynamics, update, fused), reused across
/// runs; the landscape by its own part of the source
/// ([`shader::landscape_source`]: prelude and WGSL), so that two landscapes
/// of one name but different WGSL never share kernels.
type KernelCache = Mutex<HashMap<(String, u32, u32, bool), Arc<Kernels>>>;

impl Kernels {
    /// Compiled once per simulator and reused.
    fn get<L: Landscape<D>, const D: usize>(
        gpu: &Gpu,
        cache: &KernelCache,
        landscape: &L,
        dynamics: u32,
        update: u32,
        fused: bool,
    ) -> Result<Arc<Self>> {
        let own = shader::landscape_source(landscape);
        let key = (own, dynamics, update, fused);
        if let Some(k) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(k.clone());
        }
        let module = gpu.module(landscape.name(), shader::simulate(gpu.multiply(), &key.0))?;
        let layout = layout(gpu, 7);
        let entries = ["init", "run_steps", "record_curve", "finish"];
        let constants = [("DYNAMICS", dynamics as f64), ("UPDATE", update as f64), ("FUSED", fused as u8 as f64)];
        let [init, run_steps, record_curve, finish] = pipelines(gpu, &module, &layout, entries, &constants)?;
        let kernels = Arc::new(Kernels { layout, init, run_steps, record_curve, finish });
        cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, kernels.clone());
        Ok(kernels)
    }
}

/// How the device forms the train loss, as (`by_weights`, `presummed`):
/// from the Lagrange sums (shaders/simulate.wgsl's `lagrange`) on a rule of
/// at most four nodes (one vec4 of sums per trial) where they are exact
/// (`lagrange`: `Landscape::lagrange_train_loss`) rather than by replaying
/// the training set. The sums are taken by `init` over the whole training
/// set (`presummed`) where a learning curve needs the train loss at every
/// record, else during epoch 0 on grids that take steps (T = E·N/B > 0, so
/// epoch 0 visits every point).
fn train_loss_mode(plan: &Plan, nodes: usize, lagrange: bool, record: bool) -> (u32, u32) {
    let weights = lagrange && nodes <= 4;
    let presummed = record && weights;
    let by_weights = presummed || (plan.dynamics() == Dynamics::Discrete && plan.steps() > 0 && weights);
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

/// One point of a (fused) run: a plan of an experiment on a landscape of
/// the run's type.
struct Member<'a, L> {
    landscape: L,
    exp: &'a Experiment,
    plan: &'a Plan,
}

/// What one run over one chunk of trials needs: the points it runs side by
/// side in one set of dispatches (one, or a fused sweep's, which differ only
/// in what a [`Config`] holds: see [`fusion_key`]).
struct ChunkRun<'a, L, const D: usize> {
    gpu: &'a Gpu,
    kernels: &'a KernelCache,
    points: Vec<Member<'a, L>>,
}

/// What must agree for two points to run in one set of dispatches: the
/// kernels (the landscape's own source, dynamics, update rule), the dispatch structure (the
/// grid, T, K, the recorded steps, whether drift is estimated; with them the
/// train loss's mode). The rest (η, the schedule, the seed, parameters, init,
/// β, λ, the divergence bound) is per point, in its [`Config`].
fn fusion_key(exp: &Experiment, plan: &Plan, record: bool) -> impl PartialEq {
    let records = if record { exp.record_steps() } else { Vec::new() };
    (
        exp.landscape.visit(Source),
        dynamics_code(plan),
        update_code(plan),
        plan.grid,
        plan.substeps,
        record && exp.drift_window(plan).is_some(),
        records,
    )
}

/// A landscape's own part of its kernels' source ([`shader::landscape_source`]).
struct Source;

impl Visitor for Source {
    type Output = String;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> String {
        shader::landscape_source(l)
    }
}

impl<L: Landscape<D>, const D: usize> ChunkRun<'_, L, D> {
    /// Point `m`'s configuration on `trials`, as if it ran alone.
    fn config(m: &Member<'_, L>, trials: Range<u64>, record: bool) -> Config {
        let rule = m.landscape.rule();
        let mut nodes = [[0.0f32; 4]; MAX_NODES / 4];
        let mut weights = [[0.0f32; 4]; MAX_NODES / 4];
        for (j, (x, w)) in rule.base.nodes.iter().zip(&rule.base.weights).enumerate() {
            nodes[j / 4][j % 4] = *x as f32;
            weights[j / 4][j % 4] = *w as f32;
        }
        let substeps = match m.plan.dynamics() {
            Dynamics::Discrete => 1,
            Dynamics::Continuous { substeps, .. } => substeps,
        };
        // Slot i of the landscape's parameters, read by the generated param_NAME().
        let mut params = [[0.0f32; 4]; MAX_PARAMS / 4];
        for (i, v) in m.landscape.params().into_iter().enumerate() {
            params[i / 4][i % 4] = v as f32;
        }
        let mut init = [0.0f32; 4];
        for (p, v) in init.iter_mut().zip(&m.exp.init) {
            *p = *v as f32;
        }
        let grid = &m.plan.grid;
        let (beta, lambda) = match m.plan.update {
            Update::Gradient => (0.0, 0.0),
            Update::HeavyBall { beta, .. } => (beta as f32, 0.0),
            Update::InverseHessian { lambda } => (0.0, lambda as f32),
        };
        // The schedule's code (shaders/simulate.wgsl's `eta_at`) and parameters.
        let (schedule, every, schedule_param) = match m.plan.schedule {
            Schedule::Constant => (0, 1, 0.0),
            Schedule::Step { every, factor } => (1, every.min(u32::MAX as usize) as u32, factor as f32),
            Schedule::Cosine => (2, 1, 0.0),
            Schedule::Inverse { tau } => (3, 1, tau as f32),
        };
        let records = record && !m.exp.record_steps().is_empty();
        let (by_weights, presummed) = train_loss_mode(m.plan, rule.len(), m.landscape.lagrange_train_loss(), records);
        Config {
            seed: key(m.exp.seed),
            trials: (trials.end - trials.start) as u32,
            trial0: trials.start as u32,
            n: grid.train_size as u32,
            batch: grid.batch as u32,
            shuffle: grid.shuffle as u32,
            substeps,
            by_weights,
            presummed,
            eta: m.plan.eta as f32,
            schedule,
            every,
            schedule_param,
            steps: m.plan.steps() as u32,
            diverge_at: m.exp.diverge_at.min(f32::MAX as f64) as f32,
            beta,
            lambda,
            params,
            init,
            nodes,
            weights,
            ..Default::default()
        }
    }

    /// Gradient evaluations per trial-step (the same at every point).
    fn work_per_step(&self) -> u64 {
        let plan = self.points[0].plan;
        match plan.dynamics() {
            Dynamics::Discrete => plan.grid.batch as u64,
            Dynamics::Continuous { substeps, .. } => {
                substeps as u64 * (self.points[0].landscape.rule().len() as u64 + 1)
            }
        }
    }

    /// Runs every point on trials `range`, point p on lanes p·stride ..
    /// (p + 1)·stride of each dispatch; with `record`, the curves (merged
    /// from the device's partials, each point's own workgroups) and the
    /// drift estimators too. Each point's numbers are those of a run of it
    /// alone: the same lanes compute the same trials, and its workgroups the
    /// same partials.
    fn run(&self, range: Range<u64>, record: bool, progress: &Progress) -> Result<Vec<Chunk>> {
        let gpu = self.gpu;
        let (first_point, k) = (&self.points[0], self.points.len());
        let plan = first_point.plan;
        let count = range.end - range.start;
        let per_point = count.div_ceil(WG) as u32;
        let stride = per_point as u64 * WG;
        let groups = per_point * k as u32;
        let lanes = stride * k as u64;
        let (gx, gy) = grid_2d(groups);
        let steps = plan.steps();
        let n = plan.grid.train_size as u64;
        let records = if record { first_point.exp.record_steps() } else { Vec::new() };
        let windows: Vec<_> =
            self.points.iter().map(|m| if record { m.exp.drift_window(m.plan) } else { None }).collect();
        let drifts = windows[0].is_some();
        let mut out: Vec<Chunk> = (0..k).map(|_| Chunk::new(D, count as usize, &records)).collect();
        let slots = (MAX_PARTIALS / (groups as u64 * PARTIAL_BYTES)).clamp(1, records.len().max(1) as u64) as u32;
        let update = update_code(plan);
        let kernels = Kernels::get(gpu, self.kernels, &first_point.landscape, dynamics_code(plan), update, k > 1)?;
        let mut cfgs = [Config::default(); MAX_FUSED];
        for (cfg, m) in cfgs.iter_mut().zip(&self.points) {
            let alone = Self::config(m, range.clone(), record);
            *cfg = Config { groups_x: gx, groups, stride: stride as u32, points: k as u32, ..alone };
        }
        let uniform = gpu.uniform("config", bytemuck::bytes_of(&cfgs));
        let state = gpu.storage("state", 16 * lanes);
        let flags = gpu.storage("flags", 4 * lanes);
        let order = gpu.storage("order", if plan.grid.shuffle { 4 * n * lanes } else { 16 });
        let partials = gpu.storage("partials", slots as u64 * groups as u64 * PARTIAL_BYTES);
        let results = gpu.storage("results", 16 * lanes);
        let drift = gpu.storage("drift", if drifts { 32 * lanes } else { 32 });
        let momentum = matches!(update, UPDATE_HEAVY_BALL | UPDATE_NESTEROV);
        let previous = gpu.storage("previous", if momentum { 16 * lanes } else { 16 });
        gpu.check()?;
        let buffers = [&uniform, &state, &flags, &order, &partials, &results, &drift, &previous];
        let group = bind(gpu, &kernels.layout, &buffers);
        let mut timer = gpu.timer();
        // Each dispatch is its own submission, after its own configuration.
        let mut dispatch = |pipeline: &wgpu::ComputePipeline, cfgs: &[Config; MAX_FUSED]| {
            gpu.queue.write_buffer(&uniform, 0, bytemuck::bytes_of(cfgs));
            gpu.dispatch(pipeline, &group, (gx, gy), timer.as_mut())
        };
        // Merges the `filled` slots of partials, records first.., into the
        // curves, each point's from its own workgroups.
        let mut merge = |first: usize, filled: usize| -> Result<()> {
            let parts: Vec<[f32; 4]> = gpu.read(&partials, filled * groups as usize * 5)?;
            for slot in 0..filled {
                for (p, chunk) in out.iter_mut().enumerate() {
                    let point = &mut chunk.curve[first + slot];
                    for wg in p * per_point as usize..(p + 1) * per_point as usize {
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
            }
            Ok(())
        };
        dispatch(&kernels.init, &cfgs)?;
        let mut pace = Pace::new(gpu, lanes * self.work_per_step(), self.work_per_step());
        // The dispatch of steps still running, and its step count.
        let mut running: Option<(wgpu::SubmissionIndex, usize)> = None;
        let (mut next, mut first) = (0, 0);
        let mut t = 0;
        let trials_done = |done: usize| (k as u64 * count) as f64 * done as f64 / steps as f64;
        loop {
            // Records due at step t, then steps up to the next record.
            while records.get(next) == Some(&t) {
                for (cfg, window) in cfgs.iter_mut().zip(&windows) {
                    cfg.slot = (next - first) as u32;
                    if let Some(w) = window {
                        cfg.drift_slope = w.slope[next] as f32;
                        cfg.drift_step = w.step.as_ref().map_or(0.0, |s| s[next] as f32);
                    }
                }
                dispatch(&kernels.record_curve, &cfgs)?;
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
            for cfg in &mut cfgs {
                (cfg.t0, cfg.t1) = (t as u32, t1 as u32);
            }
            let index = dispatch(&kernels.run_steps, &cfgs)?;
            // Two dispatches in flight: the device starts this one while the
            // host waits for the one before.
            if let Some((before, done)) = running.replace((index, t1 - t)) {
                gpu.wait_for(before)?;
                pace.finished(done);
                progress.advance_fraction(trials_done(done));
            }
            t = t1;
        }
        if next > first {
            merge(first, next - first)?;
        }
        let index = dispatch(&kernels.finish, &cfgs)?;
        gpu.wait_for(index)?;
        if let Some(t) = timer.as_mut() {
            gpu.harvest(t)?;
        }
        match running {
            Some((_, done)) => progress.advance_fraction(trials_done(done)),
            None => progress.advance_fraction((k as u64 * count) as f64),
        }
        let theta: Vec<[f32; 4]> = gpu.read(&state, lanes as usize)?;
        let flags: Vec<u32> = gpu.read(&flags, lanes as usize)?;
        let losses: Vec<[f32; 4]> = gpu.read(&results, lanes as usize)?;
        let drift: Vec<[[f32; 4]; 2]> = if drifts { gpu.read(&drift, lanes as usize)? } else { Vec::new() };
        // Widened to f64 on the host; the driver tallies in f64. The test
        // loss of a finite trial is recomputed in f64 from its θ (the
        // device's f32 quadrature only decided divergence), so its error is
        // θ's rounding alone.
        let wide = |v: &[f32; 4]| v[..D].iter().map(|&x| x as f64).collect::<Vec<_>>();
        for (p, (chunk, member)) in out.iter_mut().zip(&self.points).enumerate() {
            for i in p * stride as usize..p * stride as usize + count as usize {
                let status = Status::of(flags[i] & DIVERGED != 0, flags[i] & NONFINITE != 0);
                let th = wide(&theta[i]);
                let test = match status {
                    Status::Finite => member.landscape.test_loss(std::array::from_fn(|d| th[d])),
                    _ => losses[i][0] as f64,
                };
                chunk.push(test, losses[i][1] as f64, th, status);
                if let Some([slope, step]) = drift.get(i) {
                    chunk.slope.extend(wide(slope));
                    chunk.step.extend(wide(step));
                }
            }
        }
        Ok(out)
    }
}

/// Trials (lanes) per chunk: the device's binding limits and `limit`
/// ([`MAX_CHUNK`], or [`MAX_CHUNK_ACCELERATOR`] for one point's chunks on a
/// hardware GPU).
fn chunk_size(gpu: &Gpu, exp: &Experiment, plan: &Plan, limit: u64) -> Result<u64> {
    let max = gpu.max_binding();
    // The largest per-trial buffer: the drift estimators' two vec4 per trial
    // where they are recorded, else θ's one vec4.
    let per_trial = if exp.drift_window(plan).is_some() { 32 } else { 16 };
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
    /// Whether a sweep's points run fused ([`GpuSimulator::set_fusion`]).
    fusion: bool,
}

impl GpuSimulator {
    /// Opens the best adapter (or the one `$SIMSGD_ADAPTER` names).
    pub fn open() -> Result<Self> {
        let fuse = fuse_setting()?;
        Self::on(Gpu::open()?, fuse)
    }

    /// Opens the adapters `--devices` names ([`Gpu::open_several`]).
    pub fn open_several(indices: Option<&[usize]>) -> Result<Vec<Self>> {
        let fuse = fuse_setting()?;
        Gpu::open_several(indices)?.into_iter().map(|gpu| Self::on(gpu, fuse)).collect()
    }

    /// The simulator on `gpu`, fused per `fuse` (default: on a hardware GPU).
    fn on(gpu: Gpu, fuse: Option<bool>) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(HOST_THREADS)
            .build()
            .map_err(|e| Error::Gpu(format!("cannot start the GPU backend's host threads: {e}")))?;
        let fusion = fuse.unwrap_or(!gpu.is_software());
        Ok(GpuSimulator { gpu, kernels: Default::default(), pool, fusion })
    }

    /// Whether a sweep's points that can share dispatches do
    /// ([`Simulator::simulate_points`]). On by default on a hardware GPU,
    /// where a point of 10^5 trials fills a fraction of the device; off on a
    /// software adapter, which is busy either way and whose fused kernels
    /// read each lane's configuration apart (`run archimedes --eta
    /// 0.01..0.2:log:8 --trials 100000 --steps 200` on lavapipe: 2.79 s
    /// fused, 1.84 s for as much work unfused). `$SIMSGD_FUSE=0` or `1` sets
    /// it at [`GpuSimulator::open`]; the numbers are the same either way.
    pub fn set_fusion(&mut self, on: bool) {
        self.fusion = on;
    }

    /// The open device.
    pub fn device(&self) -> &Gpu {
        &self.gpu
    }
}

/// `$SIMSGD_FUSE`: 0 or 1 forces a sweep's fusion off or on; unset, the
/// default ([`GpuSimulator::set_fusion`]); anything else is refused.
fn fuse_setting() -> Result<Option<bool>> {
    match std::env::var("SIMSGD_FUSE") {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(v) if v == "0" || v == "1" => Ok(Some(v == "1")),
        Ok(v) => Err(usage(format!("$SIMSGD_FUSE must be 0 or 1, got '{v}'"))),
        Err(_) => Err(usage("$SIMSGD_FUSE must be 0 or 1, got a value that is not UTF-8")),
    }
}

/// The chunk of trials `range` under each of `jobs`' plans, run as one
/// fused set of dispatches (the jobs share a [`fusion_key`]).
struct SimulatePoints<'a> {
    sim: &'a GpuSimulator,
    jobs: Vec<(&'a Experiment, &'a Plan)>,
    range: Range<u64>,
    record: bool,
    progress: &'a Progress,
}

/// The landscape as the concrete type `T`, if it is one.
struct As<T>(std::marker::PhantomData<T>);

impl<T: Clone + 'static> Visitor for As<T> {
    type Output = Option<T>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Option<T> {
        (l as &dyn std::any::Any).downcast_ref::<T>().cloned()
    }
}

impl Visitor for SimulatePoints<'_> {
    type Output = Result<Vec<Chunk>>;
    fn visit<L: Landscape<D>, const D: usize>(self, _: &L) -> Result<Vec<Chunk>> {
        let points = self
            .jobs
            .iter()
            .map(|&(exp, plan)| {
                let landscape = exp.landscape.visit(As::<L>(Default::default()));
                let landscape = landscape.ok_or_else(|| Error::Gpu("fused points on different landscapes".into()))?;
                Ok(Member { landscape, exp, plan })
            })
            .collect::<Result<Vec<_>>>()?;
        let run = ChunkRun::<L, D> { gpu: &self.sim.gpu, kernels: &self.sim.kernels, points };
        run.run(self.range, self.record, self.progress)
    }
}

impl GpuSimulator {
    /// [`Simulator::supports`] with `host_threads` tallying chunks at once
    /// (more than its own with several devices: `super::devices`).
    pub(super) fn supports_with(&self, exp: &Experiment, host_threads: usize) -> Result<()> {
        if exp.cpu_only() {
            return Err(usage("gdc runs on the CPU backend only"));
        }
        let shape = exp.shape();
        let nodes = shape.plans.first().map_or(0, |p| p.nodes) as u64;
        for plan in std::iter::once(&exp.plan).chain(&exp.compare) {
            counters_fit(plan, nodes)?;
        }
        shape.host_of_device().check(host_threads, memory::available())
    }

    /// `jobs` in groups that run fused: in order of first appearance, each
    /// job joins the first group of its [`fusion_key`] with room (at most
    /// [`MAX_FUSED`] points, whose lanes fit the device's bindings), as
    /// indices into `jobs`; each alone with fusion off.
    fn fusion_groups(&self, jobs: &[(&Experiment, &Plan)], trials: u64, record: bool) -> Result<Vec<Vec<usize>>> {
        let stride = trials.div_ceil(WG) * WG;
        let mut groups: Vec<(Vec<usize>, u64)> = Vec::new();
        if !self.fusion {
            return Ok((0..jobs.len()).map(|i| vec![i]).collect());
        }
        let keys: Vec<_> = jobs.iter().map(|(exp, plan)| fusion_key(exp, plan, record)).collect();
        for (i, (exp, plan)) in jobs.iter().enumerate() {
            let lanes = chunk_size(&self.gpu, exp, plan, MAX_CHUNK)?;
            let room = |(g, limit): &(Vec<usize>, u64)| {
                keys[g[0]] == keys[i] && g.len() < MAX_FUSED && (g.len() as u64 + 1) * stride <= *limit
            };
            match groups.iter_mut().find(|g| room(g)) {
                Some((g, limit)) => {
                    g.push(i);
                    *limit = (*limit).min(lanes);
                }
                None => groups.push((vec![i], lanes)),
            }
        }
        Ok(groups.into_iter().map(|(g, _)| g).collect())
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
        self.supports_with(exp, HOST_THREADS)
    }

    /// The device's binding limits and `MAX_CHUNK`, over both plans.
    fn chunk_trials(&self, exp: &Experiment) -> Result<u64> {
        let limit = if self.gpu.is_software() { MAX_CHUNK } else { MAX_CHUNK_ACCELERATOR };
        let sizes = std::iter::once(&exp.plan).chain(&exp.compare).map(|p| chunk_size(&self.gpu, exp, p, limit));
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
        let mut chunks = self.simulate_points(&[(exp, plan)], trials, record, progress)?;
        Ok(chunks.remove(0))
    }

    /// The points in as few sets of dispatches as the device allows: those
    /// that differ only in what a point's configuration holds (η, the seed,
    /// parameters, the schedule, β, λ) run fused, point p on lanes
    /// p·stride .. (p + 1)·stride, where fusion is on
    /// ([`GpuSimulator::set_fusion`]).
    fn simulate_points(
        &self,
        jobs: &[(&Experiment, &Plan)],
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Vec<Chunk>> {
        let mut out: Vec<Option<Chunk>> = vec![None; jobs.len()];
        for group in self.fusion_groups(jobs, trials.end - trials.start, record)? {
            let members = group.iter().map(|&i| jobs[i]).collect();
            let (exp, _) = jobs[group[0]];
            let points = SimulatePoints { sim: self, jobs: members, range: trials.clone(), record, progress };
            for (i, chunk) in group.into_iter().zip(exp.landscape.visit(points)?) {
                out[i] = Some(chunk);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}
