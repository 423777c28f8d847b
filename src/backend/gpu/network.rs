//! The network study on the GPU (seed 003, issue 14): shaders/network.wgsl
//! driven over chunks of runs and dispatches of steps, into the same
//! [`Trace`] as the CPU's [`Study::run`](crate::network::train::Study::run).
//!
//! # Design: one workgroup per run, its state in workgroup memory
//!
//! A run's θ (p = 1150 for Gauss-10) is far beyond one invocation's
//! registers, and each step reads it several times (forward, backward,
//! update; twice more at a recorded step). The two layouts that keep it
//! close:
//!
//! * **Runs interleaved in global memory**, one invocation per run, `θ[q]`
//!   of consecutive runs adjacent (coalesced): every step streams θ from
//!   memory twice and back once (≈ 14 KB per run-step for p = 1150), and the
//!   activations of a batch (m × 50 values) spill from registers too. On an
//!   H100 (≈ 3 TB/s) that is a memory-bound ≈ 2·10^8 run-steps/s before any
//!   record, and the test set's 10^4-point evaluations multiply it.
//! * **One workgroup per run** (chosen): θ, this step's and the last step's
//!   gradient and one tile's pre-activations and δ live in workgroup memory
//!   (≈ 28 KB for Gauss-10: [`GpuStudy::workgroup_bytes`]); the WG = 64
//!   invocations split each pass (a layer's (unit, sample) dot products, the
//!   p gradient sums, the samples' softmax). Within a kernel nothing but the
//!   data points leaves the SM, and those are the same few kilobytes for
//!   every run (Gauss-k's 20 KB stay in a GPU's L1/L2; they are read from
//!   storage, not copied into workgroup memory, which keeps room for more
//!   resident workgroups and lets a user's larger data set run too). θ moves
//!   between workgroup memory and the run's `state` once per kernel: about
//!   five kernels per ten steps at the default records, ≈ 3 KB per
//!   run-step, a fifth of the interleaved layout's traffic. An H100 SM
//!   (228 KB) holds up to eight such workgroups; each step is a chain of
//!   about ten barriers between short passes of shared-memory FMAs (≈ 15k
//!   per run-step at m = 5), latency- rather than bandwidth-bound, which the
//!   resident workgroups interleave to hide.
//!
//! The host runs each chunk of runs through five kernels: `init` (θ₀),
//! `steps` (the steps between records; at a record its one step, with ‖g_t‖
//! and cos(g_t, g_{t−1})), `evaluate` (tiles of the training or test set at
//! θ), `record` and `record_test` (the recorded values and the divergence
//! test). Splitting evaluations from steps bounds each dispatch's work: by
//! time on a GPU (`MAX_DISPATCH_WORK`), and on llvmpipe by the loop
//! iterations it allows an invocation (`SOFTWARE_LOOPS`), which one
//! evaluation of the default 10^4 test points alone exceeds.
//!
//! Samples go in tiles of [`TILE`] (a batch of m ≤ 32 is one tile; an
//! evaluation of n points is ⌈n/32⌉ tiles), a tile's per-unit values padded
//! to a stride of 33 so that consecutive units of a sample fall on different
//! banks. The network's shape is compiled in (a generated prelude of its
//! sizes and layer offsets), the run's settings come in a uniform block.
//!
//! # Agreement with the CPU
//!
//! The same random numbers (θ₀ from [`Stream::Init`], batches from
//! [`Stream::Batch`] or the shuffled epochs of [`Stream::Shuffle`], Philox
//! words bit for bit and normals to a few f32 ulps), the same passes in the
//! same order, in f32: a run's recorded values are the CPU's to f32 rounding
//! while its trajectory stays near the CPU's, and the rounding grows with the
//! steps through SGD's own sensitivity. Where a ReLU's pre-activation lies
//! within rounding of 0 the two may take different sides of the kink, and
//! that run's later values differ by O(η) (rare on short horizons; late in
//! long runs a visible share of runs: compare distributions there, not
//! runs). f32 also bounds what is finite: a run whose loss or ‖g‖ passes
//! 3.4·10^38 diverges here, where the CPU's f64 lasts longer (and a step
//! size beyond f32's range diverges at once).

use super::device::{bind, grid_2d, layout, pipelines, Gpu};
use super::shader::{self, WG};
use crate::error::{usage, Result};
use crate::network::data::Data;
use crate::network::mlp::{Init, Mlp};
use crate::network::options::{Metric, Options, Sampling, TestMetric};
use crate::network::train::Trace;
use crate::rng::{key, Stream};
use std::fmt::Write;
use std::ops::Range;

/// Samples of one tile of the kernels' passes: a whole batch of the paper's
/// m = 5 in one tile, and a tile's values fill 32 banks.
pub const TILE: usize = 32;
/// Runs per chunk at most on a hardware GPU: 65536 workgroups, dozens of
/// waves of the ≈ 1000 an H100 holds resident, so that the last wave's idle
/// tail is a few per cent.
const MAX_CHUNK_ACCELERATOR: u64 = 1 << 16;
/// Runs per chunk at most on a software adapter, whose chunks take minutes:
/// progress moves.
const MAX_CHUNK_SOFTWARE: u64 = 1 << 12;
/// Multiply-adds per dispatch at most on a hardware GPU (about 10 ms on an
/// H100), so that no watchdog fires and progress moves.
const MAX_DISPATCH_WORK: u64 = 1 << 37;
/// The same on a software adapter (about a second on lavapipe's two cores).
const MAX_DISPATCH_WORK_SOFTWARE: u64 = 1 << 27;
/// Loop iterations one invocation may run in a dispatch on a software
/// adapter. llvmpipe ends a shader invocation silently after 65535 loop
/// iterations in all (Mesa's `LP_MAX_TGSI_LOOP_ITERATIONS`, one counter for
/// every loop of the shader: the later records simply never come), so
/// dispatches are sized by the bounds of [`Loops`] to half of it: on a step
/// llvmpipe counted up to 16% more than those bounds (measured at m = 1, 5
/// and 20 by the step at which the values stop), on an evaluation tile 3%
/// less. A hardware GPU has no such limit.
const SOFTWARE_LOOPS: u64 = 32_768;
/// Rounds of Philox4x32-10: the loop of each random block drawn.
const PHILOX_ROUNDS: u64 = 10;
/// The kernel's "none" (no divergence, no epoch held).
const NONE: u32 = u32::MAX;
/// Per-run f32 values of the kernels' `state` beyond θ and the last
/// gradient: the norms (4) and three slots of TILE partial sums (vec4).
const STATE_EXTRA: u64 = 4 + 12 * TILE as u64;

/// The uniform block of shaders/network.wgsl (same field order and layout).
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Config {
    seed: [u32; 2],
    runs: u32,
    run0: u32,
    t0: u32,
    t1: u32,
    steps: u32,
    batch: u32,
    n: u32,
    n_test: u32,
    test_x: u32,
    record: u32,
    slot: u32,
    tile0: u32,
    tile1: u32,
    index: u32,
    records: u32,
    tests: u32,
    shuffled: u32,
    he: u32,
    groups_x: u32,
    eta: f32,
    pad: [u32; 2],
}

/// The loop iterations one invocation runs in the kernels' passes, each
/// loop of shaders/network.wgsl at its largest trip count, for
/// [`SOFTWARE_LOOPS`].
struct Loops<'a> {
    mlp: &'a Mlp,
    /// Points of the training set (a shuffled epoch's order costs 2n).
    n: u64,
    shuffled: bool,
}

impl Loops<'_> {
    /// ⌈items / WG⌉: a pass's items per invocation.
    fn per(items: u64) -> u64 {
        items.div_ceil(WG)
    }

    /// θ in or out of workgroup memory, with the last gradient.
    fn transfer(&self) -> u64 {
        Self::per(self.mlp.params() as u64)
    }

    /// `forward` of a tile of s samples.
    fn forward(&self, s: u64) -> u64 {
        self.mlp.layers().iter().map(|l| Self::per(s * l.outputs as u64) * (l.inputs as u64 + 1) + 1).sum()
    }

    /// One `head` (its three loops over the classes).
    fn head(&self) -> u64 {
        3 * self.mlp.classes() as u64 + 3
    }

    /// One SGD step on m samples, with its norms.
    fn step(&self, m: u64) -> u64 {
        let p = self.mlp.params() as u64;
        let layers = self.mlp.layers();
        let tiles = m.div_ceil(TILE as u64);
        let s = m.min(TILE as u64);
        let backward: u64 =
            layers[1..].iter().map(|l| Self::per(s * l.inputs as u64) * (l.outputs as u64 + 1) + 1).sum::<u64>() + 1;
        let accumulate = Self::per(p) * (layers.len() as u64 + s + 1);
        // One random block; shuffled, invocation 0 draws the tile and at most
        // ⌈s/n⌉ + 1 epochs' orders (2n, and a block every four points).
        let epoch = 2 * self.n + 1 + (self.n / 4 + 2) * PHILOX_ROUNDS;
        let draw = if self.shuffled { s + (s.div_ceil(self.n) + 1) * epoch } else { PHILOX_ROUNDS };
        let tile = draw + self.forward(s) + self.head() + backward + accumulate + 1;
        // Two passes over p (largest entries, then sums), each with a reduction.
        let norms = 2 * (Self::per(p) + WG.ilog2() as u64 + 1);
        tiles * tile + norms + Self::per(p) + 1
    }

    /// One tile of an evaluation (two heads: the test set's two label sets).
    fn tile(&self) -> u64 {
        self.forward(TILE as u64) + 2 * self.head() + 1
    }
}

/// A network study compiled for one device, its data sets uploaded: trains
/// any range of runs into a [`Trace`].
pub struct GpuStudy<'a> {
    gpu: &'a Gpu,
    options: Options,
    records: Vec<u64>,
    tests: Vec<u64>,
    params: u64,
    n: u64,
    n_test: u64,
    test_x: u64,
    kernels: Kernels,
    /// The training features, then the test features.
    data: wgpu::Buffer,
    /// The training labels, the test set's clean labels, its noisy labels.
    labels: wgpu::Buffer,
    /// Runs per chunk.
    chunk: u64,
    /// Steps per dispatch of `steps` at most, and evaluation tiles per
    /// dispatch of `evaluate`, at one run (fewer with more: `MAX_DISPATCH_WORK`).
    loop_steps: u64,
    loop_tiles: u64,
    /// Multiply-adds of one run's step and of one evaluation tile.
    step_work: u64,
    tile_work: u64,
}

/// The pipelines of the five kernels.
struct Kernels {
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    steps: wgpu::ComputePipeline,
    evaluate: wgpu::ComputePipeline,
    record: wgpu::ComputePipeline,
    record_test: wgpu::ComputePipeline,
}

impl<'a> GpuStudy<'a> {
    /// The study of `mlp` on `data` under `options`, compiled for `gpu`; a
    /// usage error where the study is invalid (as
    /// [`Study::new`](crate::network::train::Study::new)) or the device
    /// cannot run it: the network's workgroup memory beyond the adapter's,
    /// counters beyond 32 bits, a data set or a run's buffers beyond its
    /// binding size, or (on a software adapter) a step or an evaluation tile
    /// beyond its loop limit.
    pub fn new(gpu: &'a Gpu, mlp: &Mlp, data: &Data, options: &Options) -> Result<Self> {
        mlp.check(&data.train)?;
        options.validate(data.train.len())?;
        let (n, d) = (data.train.len() as u64, data.train.dim() as u64);
        let refuse =
            |what: String| Err(usage(format!("{what} on the GPU backend ({}); use --backend cpu", gpu.name())));
        let words = (options.steps + 1) * options.batch as u64 + n;
        if words > 1 << 32 {
            return refuse(format!("{words} batch and shuffle words per run are beyond the 32-bit counters"));
        }
        let need = Self::workgroup_bytes(mlp);
        let have = gpu.device.limits().max_compute_workgroup_storage_size as u64;
        if need > have {
            return refuse(format!(
                "a network of p = {} needs {need} bytes of workgroup memory, more than the adapter's {have}",
                mlp.params()
            ));
        }
        let test = data.test.as_ref();
        let n_test = test.map_or(0, |t| t.clean.len() as u64);
        let tests = if n_test > 0 { options.test_steps() } else { Vec::new() };
        let records = options.record_steps();
        let p = mlp.params() as u64;
        let marks = 2 + if options.sampling == Sampling::Shuffled { n } else { 0 };
        let slots = (Metric::ALL.len() * records.len() + TestMetric::ALL.len() * tests.len()) as u64;
        let per_run = 4 * (2 * p + STATE_EXTRA).max(marks).max(slots);
        let max = gpu.max_binding();
        if per_run > max || 4 * (n + n_test) * d > max {
            return refuse(format!("a run's records or the data sets need more than the {max}-byte buffers allowed"));
        }
        let loops = Loops { mlp, n, shuffled: options.sampling == Sampling::Shuffled };
        let (loop_steps, loop_tiles) = if gpu.is_software() {
            let budget = SOFTWARE_LOOPS - 2 * loops.transfer() - 2;
            let (step, tile) = (loops.step(options.batch as u64), loops.tile());
            if step.max(tile) > budget {
                return refuse(format!(
                    "a step or an evaluation tile runs {} loop iterations, beyond a software adapter's {budget}",
                    step.max(tile)
                ));
            }
            (budget / step, budget / tile)
        } else {
            (u64::MAX, u64::MAX)
        };
        let features: Vec<f32> = std::iter::once(data.train.features())
            .chain(test.map(|t| t.clean.features()))
            .flatten()
            .map(|&x| x as f32)
            .collect();
        let labels: Vec<u32> = std::iter::once(data.train.labels())
            .chain(test.map(|t| t.clean.labels()))
            .chain(test.map(|t| t.noisy.labels()))
            .flatten()
            .copied()
            .collect();
        let upload = |label: &str, bytes: &[u8]| {
            let buffer = gpu.storage(label, bytes.len() as u64);
            gpu.queue.write_buffer(&buffer, 0, bytes);
            buffer
        };
        let module = gpu.module("network", shader::network(gpu.multiply(), &prelude(mlp)))?;
        let layout = layout(gpu, 5);
        let [init, steps, evaluate, record, record_test] =
            pipelines(gpu, &module, &layout, ["init", "steps", "evaluate", "record", "record_test"], &[])?;
        let limit = if gpu.is_software() { MAX_CHUNK_SOFTWARE } else { MAX_CHUNK_ACCELERATOR };
        // Multiply-adds: a step's forward, backward and gradient over m
        // samples; an evaluation tile's forward.
        let macs: u64 = mlp.layers().iter().map(|l| (l.inputs * l.outputs) as u64).sum();
        let study = GpuStudy {
            gpu,
            options: *options,
            records,
            tests,
            params: p,
            n,
            n_test,
            test_x: n * d,
            kernels: Kernels { layout, init, steps, evaluate, record, record_test },
            data: upload("network features", bytemuck::cast_slice(&features)),
            labels: upload("network labels", bytemuck::cast_slice(&labels)),
            chunk: limit.min(max / per_run),
            loop_steps,
            loop_tiles,
            step_work: 3 * macs * options.batch as u64,
            tile_work: macs * TILE as u64,
        };
        gpu.check()?;
        Ok(study)
    }

    /// Workgroup memory of the kernels for `mlp`: θ and two gradients (3p),
    /// a tile's pre-activations and δ (2 × units × 33), the tile's points and
    /// the reduction's WG vec4, and two flags.
    pub fn workgroup_bytes(mlp: &Mlp) -> u64 {
        let units: usize = mlp.layers().iter().map(|l| l.outputs).sum();
        4 * (3 * mlp.params() + 2 * units * (TILE + 1) + TILE + 4 * WG as usize + 2) as u64
    }

    /// The adapter, as reports name it.
    pub fn adapter(&self) -> String {
        self.gpu.describe()
    }

    /// Whether the adapter is a software one (lavapipe).
    pub fn is_software(&self) -> bool {
        self.gpu.is_software()
    }

    /// Runs per chunk: the device's binding size and a cap, 65536 on a
    /// hardware GPU (enough waves to fill it), 4096 on a software adapter.
    pub fn chunk_runs(&self) -> u64 {
        self.chunk
    }

    /// Trains runs `runs` (below 2^32), a chunk at a time, calling `progress`
    /// with the runs' share of each finished dispatch of steps (in runs).
    pub fn run(&self, runs: Range<u64>, progress: &dyn Fn(f64)) -> Result<Trace> {
        if runs.end > 1 << 32 {
            return Err(usage(format!("run indices go up to 2^32, not {}", runs.end)));
        }
        let count = (runs.end - runs.start) as usize;
        let (nv, nt) = (Metric::ALL.len() * self.records.len(), TestMetric::ALL.len() * self.tests.len());
        let mut values = vec![0.0; nv * count];
        let mut tests = vec![0.0; nt * count];
        let mut diverged_at = Vec::with_capacity(count);
        for first in (runs.start..runs.end).step_by(self.chunk as usize) {
            let chunk = first..(first + self.chunk).min(runs.end);
            let c = (chunk.end - chunk.start) as usize;
            let at = (first - runs.start) as usize;
            let (out, diverged) = self.train_chunk(chunk, progress)?;
            // Rows of the chunk (metric × record, runs innermost) into the
            // trace's rows, widened to f64.
            let (head, tail) = out.split_at(nv * c);
            for (from, to, rows) in [(head, &mut values, nv), (tail, &mut tests, nt)] {
                for row in 0..rows {
                    let dst = &mut to[row * count + at..][..c];
                    dst.iter_mut().zip(&from[row * c..][..c]).for_each(|(y, &x)| *y = x as f64);
                }
            }
            diverged_at.extend(diverged);
        }
        Ok(Trace::from_parts(runs, self.records.clone(), self.tests.clone(), values, tests, diverged_at))
    }

    /// One chunk of runs through all steps: its records (the trace's rows
    /// over the chunk) and each run's step of divergence.
    fn train_chunk(&self, runs: Range<u64>, progress: &dyn Fn(f64)) -> Result<(Vec<f32>, Vec<Option<u64>>)> {
        let gpu = self.gpu;
        let o = &self.options;
        let count = runs.end - runs.start;
        let (gx, gy) = grid_2d(count as u32);
        let shuffled = o.sampling == Sampling::Shuffled;
        let marks_per_run = 2 + if shuffled { self.n } else { 0 };
        let slots =
            (Metric::ALL.len() * self.records.len() + TestMetric::ALL.len() * self.tests.len()) * count as usize;
        let state = gpu.storage("network state", 4 * (2 * self.params + STATE_EXTRA) * count);
        let marks = gpu.storage("network marks", 4 * marks_per_run * count);
        let out = gpu.storage("network records", 4 * slots as u64);
        // Records of diverged runs stay NaN, as on the CPU.
        gpu.queue.write_buffer(&out, 0, bytemuck::cast_slice(&vec![f32::NAN; slots]));
        let base = Config {
            seed: key(o.seed),
            runs: count as u32,
            run0: runs.start as u32,
            steps: o.steps as u32,
            batch: o.batch as u32,
            n: self.n as u32,
            n_test: self.n_test as u32,
            test_x: self.test_x as u32,
            records: self.records.len() as u32,
            tests: self.tests.len() as u32,
            shuffled: shuffled as u32,
            he: (o.init == Init::He) as u32,
            groups_x: gx,
            eta: o.eta as f32,
            ..Default::default()
        };
        let uniform = gpu.uniform("network config", bytemuck::bytes_of(&base));
        gpu.check()?;
        let k = &self.kernels;
        let group = bind(gpu, &k.layout, &[&uniform, &self.data, &self.labels, &state, &marks, &out]);
        let cap = if gpu.is_software() { MAX_DISPATCH_WORK_SOFTWARE } else { MAX_DISPATCH_WORK };
        let max_steps = self.loop_steps.min(cap / (count * self.step_work)).max(1);
        let max_tiles = self.loop_tiles.min(cap / (count * self.tile_work)).max(1);
        let steps = o.steps + 1;
        let mut queue = Queue {
            gpu,
            uniform: &uniform,
            group: &group,
            grid: (gx, gy),
            running: None,
            progress: &|done| progress(count as f64 * done as f64 / steps as f64),
        };
        // Evaluation `slot` of a set of `points` points.
        let evaluate = |queue: &mut Queue, slot: u32, points: u64| -> Result<()> {
            let tiles = points.div_ceil(TILE as u64);
            for tile0 in (0..tiles).step_by(max_tiles as usize) {
                let tile1 = (tile0 + max_tiles).min(tiles);
                queue.dispatch(&k.evaluate, Config { slot, tile0: tile0 as u32, tile1: tile1 as u32, ..base }, 0)?;
            }
            Ok(())
        };
        queue.dispatch(&k.init, base, 0)?;
        let (mut kr, mut kt) = (0, 0);
        // The step whose θ's training-set evaluation is in slot (step & 1).
        let mut known = None;
        let mut t = 0;
        while t < steps {
            let at = Config { t0: t as u32, ..base };
            if self.tests.get(kt) == Some(&t) {
                evaluate(&mut queue, 2, self.n_test)?;
                queue.dispatch(&k.record_test, Config { index: kt as u32, ..at }, 0)?;
                kt += 1;
            }
            if self.records.get(kr) == Some(&t) {
                if known != Some(t) {
                    evaluate(&mut queue, (t & 1) as u32, self.n)?;
                }
                queue.dispatch(&k.steps, Config { t1: t as u32 + 1, record: 1, ..at }, 1)?;
                evaluate(&mut queue, ((t + 1) & 1) as u32, self.n)?;
                queue.dispatch(&k.record, Config { index: kr as u32, ..at }, 0)?;
                (kr, known, t) = (kr + 1, Some(t + 1), t + 1);
            } else {
                let next = [self.records.get(kr), self.tests.get(kt)].into_iter().flatten().min().copied();
                let t1 = next.unwrap_or(steps).min(t + max_steps);
                queue.dispatch(&k.steps, Config { t1: t1 as u32, ..at }, t1 - t)?;
                t = t1;
            }
        }
        queue.finish()?;
        let values: Vec<f32> = gpu.read(&out, slots)?;
        let marks: Vec<u32> = gpu.read(&marks, (marks_per_run * count) as usize)?;
        let diverged = marks.chunks(marks_per_run as usize).map(|m| (m[0] != NONE).then_some(m[0] as u64)).collect();
        Ok((values, diverged))
    }
}

/// Dispatches of one chunk, each after its own configuration, two in flight:
/// the device starts one while the host waits for the one before.
struct Queue<'q> {
    gpu: &'q Gpu,
    uniform: &'q wgpu::Buffer,
    group: &'q wgpu::BindGroup,
    grid: (u32, u32),
    /// The submission still running before the last, and the steps it ran.
    running: Option<(wgpu::SubmissionIndex, u64)>,
    /// Called with the steps of each finished submission.
    progress: &'q dyn Fn(u64),
}

impl Queue<'_> {
    /// Submits `pipeline` under `cfg`, a dispatch of `steps` SGD steps (0 for
    /// the others), and waits for the one before it.
    fn dispatch(&mut self, pipeline: &wgpu::ComputePipeline, cfg: Config, steps: u64) -> Result<()> {
        self.gpu.queue.write_buffer(self.uniform, 0, bytemuck::bytes_of(&cfg));
        let index = self.gpu.dispatch(pipeline, self.group, self.grid, None)?;
        if let Some((before, done)) = self.running.replace((index, steps)) {
            self.gpu.wait_for(before)?;
            (self.progress)(done);
        }
        Ok(())
    }

    /// Waits for the last dispatch.
    fn finish(&mut self) -> Result<()> {
        if let Some((last, done)) = self.running.take() {
            self.gpu.wait_for(last)?;
            (self.progress)(done);
        }
        Ok(())
    }
}

/// The kernel's view of `mlp`: sizes as constants (they size its workgroup
/// arrays), the random streams it draws, and `layer(h)`: layer h's inputs,
/// outputs, weight and bias offsets in θ, and the unit offsets of its inputs
/// and outputs among the tile's pre-activations (hidden layers, then logits).
fn prelude(mlp: &Mlp) -> String {
    let layers = mlp.layers();
    let units: usize = layers.iter().map(|l| l.outputs).sum();
    let mut out = String::from("// Generated from the network's shape (src/backend/gpu/network.rs).\n");
    let constants = [
        ("P", mlp.params()),
        ("D", mlp.inputs()),
        ("K", mlp.classes()),
        ("NL", layers.len()),
        ("U", units),
        ("TILE", TILE),
        ("STREAM_INIT", Stream::Init as usize),
        ("STREAM_BATCH", Stream::Batch as usize),
    ];
    for (name, value) in constants {
        let _ = writeln!(out, "const {name}: u32 = {value}u;");
    }
    out += "struct Layer {\n    inputs: u32,\n    outputs: u32,\n    weights: u32,\n    biases: u32,\n    zin: u32,\n    zout: u32,\n}\n";
    out += "fn layer(h: u32) -> Layer {\n    switch h {\n";
    let (mut zin, mut zout) = (0, 0);
    for (h, l) in layers.iter().enumerate() {
        let case = if h + 1 == layers.len() { "default".to_string() } else { format!("case {h}u") };
        let _ = writeln!(
            out,
            "        {case}: {{ return Layer({}u, {}u, {}u, {}u, {zin}u, {zout}u); }}",
            l.inputs, l.outputs, l.weights, l.biases
        );
        (zin, zout) = (zout, zout + l.outputs);
    }
    out + "    }\n}\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelude_describes_the_layers() {
        let mlp = Mlp::paper(10).unwrap();
        let p = prelude(&mlp);
        for line in [
            "const P: u32 = 1150u;",
            "const U: u32 = 50u;",
            "case 0u: { return Layer(50u, 10u, 0u, 500u, 0u, 0u); }",
            "case 1u: { return Layer(10u, 30u, 510u, 810u, 0u, 10u); }",
            "default: { return Layer(30u, 10u, 840u, 1140u, 10u, 40u); }",
        ] {
            assert!(p.contains(line), "{line} missing from\n{p}");
        }
        // θ, two gradients and a tile's values: about 28 KB, within every
        // desktop GPU's 32–64 KB.
        assert_eq!(GpuStudy::workgroup_bytes(&mlp), 4 * (3 * 1150 + 2 * 50 * 33 + 32 + 256 + 2));
    }
}
