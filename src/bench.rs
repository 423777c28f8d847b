//! `simsgd bench`: trajectory-steps per second of every backend on the same
//! work, side by side with the Python peers: NumPy (benches/numpy_peer.py),
//! JAX in float32 and float64 (benches/jax_peer.py) and, where PyTorch exists
//! and sees CUDA, PyTorch eager and compiled (benches/torch_peer.py, on the
//! device `SIMSGD_TORCH_DEVICE` names, CUDA by default); `--peers` chooses them.

use crate::backend::cpu::Cpu;
#[cfg(feature = "gpu")]
use crate::backend::gpu::network::GpuStudy;
use crate::backend::{driver, open_gpu, Simulator};
#[cfg(feature = "gpu")]
use crate::backend::{Backends, Choice};
use crate::error::{usage, Result};
use crate::experiment::{Experiment, Spec};
use crate::grid::MAX_GRID;
use crate::landscape::formula::FormulaArgs;
use crate::landscape::AnyLandscape;
use crate::network::train::Study;
use crate::optimizer::Optimizer;
use crate::progress::Progress;
use crate::study::spec::Preset;
use crate::study::StudySpec;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The benchmark workloads (issue #4): the same four grids on every landscape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// Fresh-sample SGD: N = T, B = E = 1.
    Sgd,
    /// SGD on N = 10 points for E = 10 epochs.
    SgdEpochs,
    /// GD on N = 10 points.
    Gd,
    /// SDE with K = 16 substeps.
    Sde,
    /// The network study's SGD (`--landscape li-gauss10` etc.).
    #[value(skip)]
    Network,
}

impl Workload {
    const ALL: [Workload; 4] = [Workload::Sgd, Workload::SgdEpochs, Workload::Gd, Workload::Sde];

    fn name(self) -> &'static str {
        match self {
            Workload::Sgd => "sgd",
            Workload::SgdEpochs => "sgd N=10 E=10",
            Workload::Gd => "gd N=10",
            Workload::Sde => "sde K=16",
            Workload::Network => "mlp sgd m=5",
        }
    }

    /// Default steps: fresh SGD runs 10x longer (its steps are the cheapest).
    fn steps(self, quick: bool) -> usize {
        let t = if self == Workload::Sgd { 1000 } else { 100 };
        if quick {
            t / 5
        } else {
            t
        }
    }

    fn optimizer(self) -> Optimizer {
        match self {
            Workload::Sgd | Workload::SgdEpochs => Optimizer::Sgd,
            Workload::Gd => Optimizer::Gd,
            Workload::Sde => Optimizer::Sde,
            Workload::Network => unreachable!("the network study is not a scalar landscape's grid"),
        }
    }
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Small sizes: the whole bench in under a minute on two cores.
    #[arg(long)]
    pub quick: bool,
    /// Only this landscape.
    #[arg(long, conflicts_with_all = ["loss", "landscape_file"])]
    pub landscape: Option<String>,
    /// Only this formula landscape (to time it against its built-in twin).
    #[command(flatten)]
    pub formula: FormulaArgs,
    /// Only this workload.
    #[arg(long, value_enum)]
    pub workload: Option<Workload>,
    /// Trials per run [default: 10^5, 2·10^4 with --quick; 10^6 on a hardware GPU].
    #[arg(long, allow_negative_numbers = true)]
    pub trials: Option<u64>,
    /// Steps per run [default: 1000 for sgd, 100 otherwise; a fifth with --quick; ten times on a hardware GPU].
    #[arg(long, allow_negative_numbers = true)]
    pub steps: Option<usize>,
    /// Timed repeats after one warm-up [default: 5, 3 with --quick].
    #[arg(long, allow_negative_numbers = true)]
    pub repeats: Option<usize>,
    /// Only these backends [default: every one present].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub backend: Vec<BenchBackend>,
    /// Only these Python peers, comma-separated [default: numpy, jax and
    /// jax-f64, and torch and torch-compiled where PyTorch sees CUDA, or
    /// where it runs on the device SIMSGD_TORCH_DEVICE names].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub peers: Option<Vec<Peer>>,
    /// No Python peers (the same as an empty --peers).
    #[arg(long)]
    pub no_peers: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    Cpu,
    Gpu,
}

/// The Python peers (benches/*_peer.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Peer {
    /// Vectorised NumPy (benches/numpy_peer.py).
    Numpy,
    /// JAX, float32: one jitted scan over the steps (benches/jax_peer.py).
    Jax,
    /// JAX, float64 (jax_enable_x64).
    JaxF64,
    /// PyTorch, eager, on CUDA or SIMSGD_TORCH_DEVICE (benches/torch_peer.py).
    Torch,
    /// PyTorch, `torch.compile`d blocks of 32 steps (benches/torch_peer.py
    /// --compile): the strongest fair peer.
    TorchCompiled,
}

/// torch-compiled's block: 32 steps of SGD (of GD and the SDE, as many as
/// hold 32 gradient evaluations, at least one). Longer blocks gain little and
/// take longer to compile.
const TORCH_COMPILE: &str = "--compile=32";

impl Peer {
    const ALL: [Peer; 5] = [Peer::Numpy, Peer::Jax, Peer::JaxF64, Peer::Torch, Peer::TorchCompiled];

    /// Whether it needs PyTorch (and, on CUDA, a device that PyTorch sees).
    fn torch(self) -> bool {
        matches!(self, Peer::Torch | Peer::TorchCompiled)
    }

    /// The script and its extra arguments.
    fn script(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Peer::Numpy => ("numpy_peer.py", &[]),
            Peer::Jax => ("jax_peer.py", &["--dtype=float32"]),
            Peer::JaxF64 => ("jax_peer.py", &["--dtype=float64"]),
            Peer::Torch => ("torch_peer.py", &[]),
            Peer::TorchCompiled => ("torch_peer.py", &[TORCH_COMPILE]),
        }
    }

    /// Its row label, with the device the peer reported where it ran.
    fn label(self, device: Option<&str>) -> String {
        let on = device.map_or(String::new(), |d| format!("{d}, "));
        match self {
            Peer::Numpy => "numpy".into(),
            Peer::Jax => format!("jax ({on}f32)"),
            Peer::JaxF64 => format!("jax ({on}f64)"),
            Peer::Torch => format!("pytorch ({on}eager)"),
            Peer::TorchCompiled => format!("pytorch ({on}compiled)"),
        }
    }
}

/// Trials of a hardware GPU's runs when the sizes are not given: 10^6.
const GPU_TRIALS: u64 = 1_000_000;
/// Its steps, over the default's: 10^4 for fresh SGD, 10^3 otherwise.
const GPU_STEPS_FACTOR: usize = 10;

/// One measured (workload, backend).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub landscape: String,
    pub workload: Workload,
    pub trials: u64,
    pub steps: usize,
    pub backend: String,
    pub min_s: f64,
    pub median_s: f64,
    pub traj_steps_per_s: f64,
    /// This backend's rate over the NumPy peer's on the same work.
    pub vs_numpy: Option<f64>,
    /// A compiling peer's warm-up, compilation included (the median of the
    /// `compile_seconds` its timed runs report; not in min_s and median_s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile_s: Option<f64>,
    /// The median time the device's kernels ran (timestamp queries), for
    /// a GPU that measures it: the rate without the host's share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_s: Option<f64>,
    /// Why a peer did not run, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole bench.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub cpu: String,
    pub threads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<String>,
    pub repeats: usize,
    pub rows: Vec<Row>,
}

/// The workload `w` on the landscape of `base` (a built-in's name or a
/// formula), at the landscape's step size (`Description::stable_eta`, at
/// which few trials diverge).
fn experiment(base: &Spec, w: Workload, trials: u64, steps: usize) -> Result<Experiment> {
    let t = steps;
    let base = base.clone();
    let grid = match w {
        Workload::Sgd | Workload::Sde => Spec { steps: Some(t), ..base },
        Workload::SgdEpochs => Spec { train_size: Some(10), epochs: Some(t.div_ceil(10)), ..base },
        Workload::Gd => Spec { train_size: Some(10), steps: Some(t), ..base },
        Workload::Network => return Err(usage("the network study is benched by network::run")),
    };
    let eta = AnyLandscape::build(&grid.landscape, grid.formula.as_deref(), &[])?.describe().stable_eta;
    Spec { optimizer: w.optimizer(), eta, trials, ..grid }.resolve()
}

/// (min, median) of some timings.
fn min_median(mut t: Vec<f64>) -> (f64, f64) {
    t.sort_by(f64::total_cmp);
    (t[0], t[t.len() / 2])
}

/// (min, median) of `repeats` timings after one warm-up.
fn time(repeats: usize, mut f: impl FnMut() -> Result<f64>) -> Result<(f64, f64)> {
    f()?;
    Ok(min_median((0..repeats).map(|_| f()).collect::<Result<_>>()?))
}

fn seconds(run: impl FnOnce() -> Result<crate::observables::Outcome>) -> Result<f64> {
    let start = Instant::now();
    run()?;
    Ok(start.elapsed().as_secs_f64())
}

/// The exit status of a peer script that does not implement the landscape
/// (`UNSUPPORTED` in benches/numpy_peer.py).
const PEER_UNSUPPORTED: i32 = 4;

/// A Python peer's timings.
struct PeerRun {
    /// (min, median) seconds of the timed runs.
    seconds: (f64, f64),
    /// The device it reported.
    device: Option<String>,
    /// The median of its runs' `compile_seconds`, where it compiles.
    compile_s: Option<f64>,
}

/// A Python peer's timings, or why it did not run (a missing script, Python
/// or library, or a landscape the peer does not implement).
fn peer(script: &str, extra: &[&str], landscape: &str, exp: &Experiment, repeats: usize) -> Result<PeerRun, String> {
    let path = peer_script(script)?;
    let grid = &exp.plan.grid;
    let optimizer = match exp.plan.optimizer {
        Optimizer::Sgd => "sgd",
        Optimizer::Gd => "gd",
        _ => "sde",
    };
    let mut args: Vec<String> = vec![
        path.display().to_string(),
        landscape.into(),
        format!("--optimizer={optimizer}"),
        format!("--trials={}", exp.trials),
        format!("--steps={}", exp.plan.steps()),
        format!("--train-size={}", grid.train_size),
        format!("--epochs={}", if exp.plan.optimizer == Optimizer::Sgd { grid.epochs } else { 1 }),
        format!("--eta={}", exp.plan.eta),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let python = python();
    let once = || -> Result<(f64, Option<String>, Option<f64>), String> {
        let out = Command::new(&python).args(&args).output().map_err(|e| format!("{python}: {e}"))?;
        if out.status.code() == Some(PEER_UNSUPPORTED) {
            return Err(format!("{script} does not implement {landscape}"));
        }
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(err.lines().last().unwrap_or("failed").to_string());
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        let seconds = v["seconds"].as_f64().ok_or_else(|| "no seconds in its output".to_string())?;
        Ok((seconds, v["device"].as_str().map(String::from), v["compile_seconds"].as_f64()))
    };
    let (_, device, _) = once()?;
    let runs: Vec<_> = (0..repeats).map(|_| once()).collect::<Result<_, _>>()?;
    let compile: Vec<f64> = runs.iter().filter_map(|r| r.2).collect();
    Ok(PeerRun {
        seconds: min_median(runs.iter().map(|r| r.0).collect()),
        device,
        compile_s: (!compile.is_empty()).then(|| min_median(compile).1),
    })
}

/// The peers' interpreter: `SIMSGD_PYTHON`, else python3.
fn python() -> String {
    std::env::var("SIMSGD_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A peer script's path: in `SIMSGD_PEER_DIR`, else in benches/.
fn peer_script(script: &str) -> Result<PathBuf, String> {
    let dir = std::env::var_os("SIMSGD_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches"));
    let path = dir.join(script);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} not found", path.display()))
    }
}

/// Whether the PyTorch peers can run (`torch_peer.py --check`: PyTorch
/// imports and, on a CUDA device, sees CUDA), or why not.
fn torch_ready() -> Result<(), String> {
    let path = peer_script("torch_peer.py")?;
    let python = python();
    let out = Command::new(&python).arg(path).arg("--check").output().map_err(|e| format!("{python}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(err.lines().last().unwrap_or("torch_peer.py --check failed").to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Runs the bench; progress lines go to stderr unless `quiet`. Every
/// workload is resolved and checked against the CPU's memory before a GPU is
/// opened or anything is printed.
pub fn run(args: &BenchArgs, quiet: bool) -> Result<Report> {
    if args.no_peers && args.peers.is_some() {
        return Err(usage("--peers and --no-peers cannot be used together (--no-peers is an empty --peers)"));
    }
    let trials = args.trials.unwrap_or(if args.quick { 20_000 } else { 100_000 });
    let repeats = args.repeats.unwrap_or(if args.quick { 3 } else { 5 });
    for (flag, value) in [("--trials", trials as usize), ("--repeats", repeats), ("--steps", args.steps.unwrap_or(1))] {
        if value == 0 {
            return Err(usage(format!("{flag} must be at least 1")));
        }
    }
    if args.quick && args.trials.is_some() && args.steps.is_some() && args.repeats.is_some() {
        return Err(usage("--quick sets the defaults of --trials, --steps and --repeats, and all three are given"));
    }
    // sgd-epochs rounds T up to whole epochs of N = 10.
    if let Some(t) = args.steps.filter(|&t| t > MAX_GRID / 10 * 10) {
        return Err(usage(format!("--steps {t} is out of range: steps must be below 2^30")));
    }
    if let Some(preset) = args.landscape.as_deref().and_then(crate::study::preset) {
        return run_network(args, preset, quiet);
    }
    let landscapes: Vec<Spec> = match (&args.landscape, args.formula.definition(&[])?) {
        (_, Some(formula)) => vec![Spec::on_formula(formula)],
        (Some(l), None) => vec![Spec::new(&AnyLandscape::from_name(l, &[])?.describe().name)],
        (None, None) => AnyLandscape::LISTED.iter().map(|n| Spec::new(n)).collect(),
    };
    let workloads: Vec<Workload> = args.workload.map_or(Workload::ALL.to_vec(), |w| vec![w]);
    let mut runs = Vec::new();
    for landscape in &landscapes {
        for &w in &workloads {
            runs.push((landscape, w, experiment(landscape, w, trials, args.steps.unwrap_or(w.steps(args.quick)))?));
        }
    }
    let want = |b| args.backend.is_empty() || args.backend.contains(&b);
    let threads = rayon::current_num_threads();
    // Each backend present, with its row label.
    let mut sims: Vec<(String, Box<dyn Simulator>)> = Vec::new();
    if want(BenchBackend::Cpu) {
        let cpu = Cpu::new(0)?;
        for (_, _, exp) in &runs {
            cpu.supports(exp)?;
        }
        sims.push((format!("cpu ({threads} threads)"), Box::new(cpu)));
    }
    if want(BenchBackend::Gpu) {
        match open_gpu() {
            Ok((sim, name)) => {
                let short = name.split(" (").next().unwrap_or("");
                sims.push((format!("gpu: {short}"), sim));
            }
            Err(e) if !args.backend.is_empty() => return Err(e),
            Err(e) => {
                if !quiet {
                    eprintln!("simsgd: bench: no GPU backend ({e})");
                }
            }
        }
    }
    let gpu = sims.iter().find_map(|(_, sim)| sim.adapter());
    // The peers to run: those asked for, or numpy, jax, jax-f64 and, where
    // PyTorch can run (on CUDA unless SIMSGD_TORCH_DEVICE says otherwise),
    // torch and torch-compiled. Asked for by name where PyTorch cannot, the
    // PyTorch peers' rows say why.
    let mut peers: Vec<Peer> = match &args.peers {
        _ if args.no_peers => Vec::new(),
        Some(list) => Peer::ALL.into_iter().filter(|p| list.contains(p)).collect(),
        None => Peer::ALL.to_vec(),
    };
    let torch = if peers.iter().any(|p| p.torch()) { torch_ready() } else { Ok(()) };
    if args.peers.is_none() && torch.is_err() {
        peers.retain(|p| !p.torch());
    }
    let hidden = Progress::hidden();
    // A hardware GPU gets work of its size unless the sizes were chosen.
    let gpu_sized = !args.quick && args.trials.is_none() && args.steps.is_none();
    let mut rows = Vec::new();
    for (base, w, exp) in runs {
        let landscape = base.landscape.as_str();
        let steps = exp.plan.steps();
        if !quiet {
            eprintln!("simsgd: bench: {landscape} {} ({trials} trials x {steps} steps)", w.name());
        }
        // A row of `exp` (or a GPU's `e`); vs_numpy is set once NumPy has run.
        let row = |backend: String, (min_s, median_s): (f64, f64), note, e: &Experiment| Row {
            landscape: landscape.to_string(),
            workload: w,
            trials: e.trials,
            steps: e.plan.steps(),
            backend,
            min_s,
            median_s,
            traj_steps_per_s: e.trials as f64 * e.plan.steps() as f64 / median_s,
            vs_numpy: None,
            compile_s: None,
            kernel_s: None,
            note,
        };
        let first = rows.len();
        for (label, sim) in &sims {
            let sized = if gpu_sized && sim.accelerator() {
                Some(experiment(base, w, GPU_TRIALS, GPU_STEPS_FACTOR * w.steps(false))?)
            } else {
                None
            };
            let e = sized.as_ref().unwrap_or(&exp);
            let mut kernel = Vec::new();
            let timing = time(repeats, || {
                let before = sim.kernel_seconds();
                let wall = seconds(|| driver::run(sim.as_ref(), e, &hidden))?;
                kernel.extend(before.zip(sim.kernel_seconds()).map(|(a, b)| b - a));
                Ok(wall)
            })?;
            // The warm-up's kernels are not timed.
            let kernel_s = (kernel.len() > 1).then(|| min_median(kernel[1..].to_vec()).1);
            rows.push(Row { kernel_s, ..row(label.clone(), timing, None, e) });
        }
        let mut numpy_rate = None;
        for &p in &peers {
            let (script, extra) = p.script();
            let ran = match &torch {
                Err(why) if p.torch() => Err(why.clone()),
                _ => peer(script, extra, landscape, &exp, repeats),
            };
            rows.push(match ran {
                Ok(run) => {
                    Row { compile_s: run.compile_s, ..row(p.label(run.device.as_deref()), run.seconds, None, &exp) }
                }
                Err(e) => row(p.label(None), (f64::NAN, f64::NAN), Some(format!("peer skipped: {e}")), &exp),
            });
            if p == Peer::Numpy {
                numpy_rate = rows.last().map(|r| r.traj_steps_per_s).filter(|r| r.is_finite());
            }
        }
        // Rates, so that a row sized for a GPU compares with the others.
        for r in &mut rows[first..] {
            r.vs_numpy = numpy_rate.map(|n| r.traj_steps_per_s / n).filter(|x| x.is_finite());
        }
    }
    Ok(Report { cpu: cpu_model(), threads, gpu, repeats, rows })
}

/// The NumPy peer trains this fraction of the runs (it is 20–50 times
/// slower; its rate is per run-step all the same).
const NUMPY_SHARE: u64 = 10;

/// The network rows of the bench (`--landscape li-gauss10` or another
/// network preset): the network study's run-steps per second (issue 14:
/// Gauss-10, m = 5, the train loss of every run every 10 steps, no test
/// set) on the CPU backend and on the GPU where one opens (shaders/
/// network.wgsl; a software adapter trains a twentieth of the runs, at the
/// same rate per run-step), beside the NumPy and JAX peers of the same
/// training (benches/mlp_peer.py).
fn run_network(args: &BenchArgs, preset: &'static Preset, quiet: bool) -> Result<Report> {
    if args.workload.is_some() {
        return Err(usage(format!(
            "--workload chooses a scalar landscape's grid; {} trains its MLP by SGD",
            preset.name
        )));
    }
    let runs = args.trials.unwrap_or(if args.quick { 1_000 } else { 10_000 });
    let steps = args.steps.unwrap_or(if args.quick { 100 } else { 400 }) as u64;
    let repeats = args.repeats.unwrap_or(if args.quick { 1 } else { 3 });
    let spec = StudySpec { runs, steps: Some(steps), test_size: Some(0), ..StudySpec::new(preset.name) };
    let resolved = spec.resolve()?;
    let cpu = Cpu::new(0)?;
    let threads = cpu.threads();
    let pool = cpu.pool().expect("the CPU backend has a pool");
    let study = Study::new(&resolved.mlp, &resolved.data, resolved.options)?;
    let row = |backend: String, trials: u64, (min_s, median_s): (f64, f64)| Row {
        landscape: preset.name.to_string(),
        workload: Workload::Network,
        trials,
        steps: steps as usize,
        backend,
        min_s,
        median_s,
        traj_steps_per_s: trials as f64 * steps as f64 / median_s,
        vs_numpy: None,
        compile_s: None,
        kernel_s: None,
        note: None,
    };
    if !quiet {
        eprintln!("simsgd: bench: {} ({runs} runs x {steps} steps, m = 5, loss every 10 steps)", preset.name);
    }
    let mut rows = Vec::new();
    let o = &resolved.options;
    let want = |b| args.backend.is_empty() || args.backend.contains(&b);
    if want(BenchBackend::Cpu) {
        let timing = time(repeats, || {
            let start = Instant::now();
            pool.install(|| study.run(0..runs, &|_| {}))?;
            Ok(start.elapsed().as_secs_f64())
        })?;
        rows.push(row(format!("cpu ({threads} threads)"), runs, timing));
    }
    #[cfg_attr(not(feature = "gpu"), allow(unused_mut))]
    let mut gpu_name = None;
    #[cfg(feature = "gpu")]
    if want(BenchBackend::Gpu) {
        let required = args.backend.contains(&BenchBackend::Gpu);
        let opened = Backends::open(Choice::Gpu, 1, true).and_then(|backends| {
            let gpu = backends.for_gpu(|gpu| GpuStudy::new(gpu, &resolved.mlp, &resolved.data, o))?;
            let gpu = gpu.expect("the GPU was required");
            let n = if gpu.is_software() { (runs / 20).max(1) } else { runs };
            let timing = time(repeats, || {
                let start = Instant::now();
                gpu.run(0..n, &|_| {})?;
                Ok(start.elapsed().as_secs_f64())
            })?;
            Ok((gpu.adapter(), n, timing))
        });
        match opened {
            Ok((adapter, n, timing)) => {
                let short = adapter.split(" (").next().unwrap_or("").to_string();
                rows.push(row(format!("gpu: {short}"), n, timing));
                gpu_name = Some(adapter);
            }
            Err(e) if required => return Err(e),
            Err(e) => {
                if !quiet {
                    eprintln!("simsgd: bench: no GPU row ({e})");
                }
            }
        }
    }
    let peers: Vec<Peer> = match &args.peers {
        _ if args.no_peers => Vec::new(),
        Some(list) => list.clone(),
        None => vec![Peer::Numpy, Peer::Jax],
    };
    for p in peers {
        let dtype = if p == Peer::JaxF64 { "float64" } else { "float32" };
        let (framework, n) = match p {
            Peer::Numpy => ("numpy", (runs / NUMPY_SHARE).max(1)),
            Peer::Jax | Peer::JaxF64 => ("jax", runs),
            Peer::Torch | Peer::TorchCompiled => {
                rows.push(Row {
                    note: Some("peer skipped: no PyTorch peer of the network study".into()),
                    ..row(p.label(None), runs, (f64::NAN, f64::NAN))
                });
                continue;
            }
        };
        let args = [
            format!("--framework={framework}"),
            format!("--runs={n}"),
            format!("--steps={steps}"),
            format!("--batch={}", o.batch),
            format!("--eta={}", o.eta),
            format!("--classes={}", resolved.data.train.classes()),
            format!("--record-every={}", o.record_every),
            format!("--dtype={}", if framework == "numpy" { "float64" } else { dtype }),
        ];
        rows.push(match mlp_peer(&args, repeats) {
            Ok((seconds, compile_s)) => Row { compile_s, ..row(p.label(None), n, seconds) },
            Err(e) => Row { note: Some(format!("peer skipped: {e}")), ..row(p.label(None), n, (f64::NAN, f64::NAN)) },
        });
    }
    let numpy = rows.iter().find(|r| r.backend == "numpy").map(|r| r.traj_steps_per_s).filter(|r| r.is_finite());
    for r in &mut rows {
        r.vs_numpy = numpy.map(|n| r.traj_steps_per_s / n).filter(|x| x.is_finite());
    }
    Ok(Report { cpu: cpu_model(), threads, gpu: gpu_name, repeats, rows })
}

/// benches/mlp_peer.py's (min, median) seconds over `repeats` runs (each
/// with its own warm-up where it compiles) and median compile time, or why
/// it did not run.
fn mlp_peer(args: &[String], repeats: usize) -> Result<((f64, f64), Option<f64>), String> {
    let path = peer_script("mlp_peer.py")?;
    let python = python();
    let once = || -> Result<(f64, f64), String> {
        let out = Command::new(&python).arg(&path).args(args).output().map_err(|e| format!("{python}: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(err.lines().last().unwrap_or("failed").to_string());
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        let seconds = v["seconds"].as_f64().ok_or_else(|| "no seconds in its output".to_string())?;
        Ok((seconds, v["compile_seconds"].as_f64().unwrap_or(0.0)))
    };
    let runs: Vec<(f64, f64)> = (0..repeats).map(|_| once()).collect::<Result<_, _>>()?;
    let compile = min_median(runs.iter().map(|r| r.1).collect()).1;
    Ok((min_median(runs.iter().map(|r| r.0).collect()), (compile > 0.0).then_some(compile)))
}

/// The bench as a table.
pub fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "cpu: {} ({} threads)", r.cpu, r.threads);
    if let Some(g) = &r.gpu {
        let _ = writeln!(out, "gpu: {g}");
    }
    let _ = writeln!(out, "timings: 1 warm-up, then min and median of {} repeats\n", r.repeats);
    let _ = writeln!(
        out,
        "{:<17} {:<14} {:>7} {:>6}  {:<26} {:>9} {:>9} {:>15} {:>9}",
        "landscape", "workload", "trials", "T", "backend", "min s", "median s", "traj-steps/s", "vs numpy"
    );
    for row in &r.rows {
        let what = format!(
            "{:<17} {:<14} {:>7} {:>6}  {:<26}",
            row.landscape,
            row.workload.name(),
            row.trials,
            row.steps,
            row.backend
        );
        let _ = match &row.note {
            Some(note) => writeln!(out, "{what} {note}"),
            None => {
                let ratio = row.vs_numpy.map_or("-".to_string(), |x| format!("{x:.1}x"));
                let (min, median, rate) = (row.min_s, row.median_s, row.traj_steps_per_s);
                let kernel = row.kernel_s.map_or(String::new(), |k| {
                    format!("  (kernels {k:.3} s: {:.3e}/s)", row.trials as f64 * row.steps as f64 / k)
                });
                writeln!(out, "{what} {min:>9.3} {median:>9.3} {rate:>15.3e} {ratio:>9}{kernel}")
            }
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PyTorch peers asked for by name: rows with rates where PyTorch can
    /// run (a compiled block of 32 steps and one of 2), else rows that say why
    /// (no PyTorch, or no CUDA on the default device); the CPU's row either way.
    #[test]
    fn bench_runs_or_skips_the_torch_peers() {
        let args = BenchArgs {
            quick: false,
            landscape: Some("archimedes".into()),
            formula: Default::default(),
            workload: Some(Workload::Sgd),
            trials: Some(200),
            steps: Some(34),
            repeats: Some(1),
            backend: vec![BenchBackend::Cpu],
            peers: Some(vec![Peer::TorchCompiled, Peer::Torch]),
            no_peers: false,
            json: false,
        };
        let rows = run(&args, true).unwrap().rows;
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows[0].backend.starts_with("cpu") && rows[0].note.is_none(), "{rows:?}");
        let ready = torch_ready();
        for (r, kind) in rows[1..].iter().zip(["eager)", "compiled)"]) {
            assert!(r.backend.starts_with("pytorch (") && r.backend.ends_with(kind), "{r:?}");
            match &ready {
                Ok(()) => assert!(r.note.is_none() && r.traj_steps_per_s > 0.0, "{r:?}"),
                Err(why) => assert_eq!(r.note, Some(format!("peer skipped: {why}")), "{r:?}"),
            }
            assert_eq!(r.vs_numpy, None, "{r:?}");
        }
    }
}
