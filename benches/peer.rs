//! simsgd's CPU backend against the vectorised NumPy peer
//! (`benches/numpy_peer.py`) on the same work, side by side.
//!
//! Workloads: fresh-sample SGD (N = T, B = E = 1) on `archimedes` and `gauss`,
//! 10^5 trials × T = 1000 steps, η = 0.1, seed 0. The throughput is
//! trajectory-steps per second, trials · T / seconds, from the median run.
//!
//! - simsgd: the experiment is built from the command line exactly as
//!   `simsgd run` builds it, then `backend::driver::run` on the CPU is timed in-process:
//!   1 warm-up and 5 timed repeats on all cores (`SIMSGD_BENCH_THREADS=k`
//!   picks another thread count).
//! - NumPy: `python3 benches/numpy_peer.py` (`SIMSGD_BENCH_PYTHON` picks
//!   another interpreter), 1 warm-up and 3 timed repeats. Its time is the
//!   `seconds` the script reports: the simulation itself, without interpreter
//!   start-up or `import numpy`. NumPy's element-wise operations run on one
//!   core. Without python3 or NumPy the peer is skipped, with a line saying
//!   so, and simsgd's numbers are still reported.
//!
//! `SIMSGD_BENCH_QUICK=1` shrinks every workload to 2·10^4 trials × 200 steps
//! (a smoke test). Run with `cargo bench --bench peer`.

use simsgd::backend::cpu::Cpu;
use simsgd::backend::driver;
use simsgd::experiment::{Experiment, Spec};
use simsgd::progress::Progress;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process;
use std::time::Instant;

const ETA: f64 = 0.1;
const SEED: u64 = 0;
const LANDSCAPES: [&str; 2] = ["archimedes", "gauss"];
const SIMSGD_WARMUPS: usize = 1;
const SIMSGD_REPEATS: usize = 5;
const PEER_WARMUPS: usize = 1;
const PEER_REPEATS: usize = 3;

/// Minimum and median of some timings, in seconds.
struct Timing {
    min: f64,
    median: f64,
}

impl Timing {
    fn of(mut seconds: Vec<f64>) -> Self {
        assert!(!seconds.is_empty());
        seconds.sort_by(f64::total_cmp);
        let n = seconds.len();
        let median = if n % 2 == 1 { seconds[n / 2] } else { 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]) };
        Timing { min: seconds[0], median }
    }
}

/// One side's result on one workload.
struct Measured {
    timing: Timing,
    /// Mean test loss and generalization gap over the trials (a sanity check
    /// that both sides solve the same problem; the random streams differ).
    test_loss: f64,
    gen_gap: f64,
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn fail(msg: String) -> ! {
    eprintln!("peer bench: {msg}");
    process::exit(1);
}

/// The experiment of `simsgd run LANDSCAPE --trials .. --steps .. --eta .. --seed ..`.
fn experiment(landscape: &str, trials: u64, steps: usize) -> Experiment {
    let spec = Spec { trials, steps: Some(steps), eta: ETA, seed: SEED, ..Spec::new(landscape) };
    let exp = spec.resolve().unwrap_or_else(|e| fail(format!("{landscape}: {e}")));
    let g = &exp.plan.grid;
    assert!(
        g.steps() == steps && g.train_size == steps && g.batch == 1 && g.epochs == 1 && !g.shuffle,
        "{landscape}: not fresh-sample SGD: {g:?}"
    );
    exp
}

fn time_simsgd(exp: &Experiment, threads: usize) -> Measured {
    let progress = Progress::hidden();
    let cpu = Cpu::new(threads).unwrap_or_else(|e| fail(format!("simsgd cpu: {e}")));
    let run = || driver::run(&cpu, black_box(exp), &progress).unwrap_or_else(|e| fail(format!("simsgd cpu run: {e}")));
    for _ in 0..SIMSGD_WARMUPS {
        black_box(run());
    }
    let mut seconds = Vec::with_capacity(SIMSGD_REPEATS);
    let mut last = None;
    for _ in 0..SIMSGD_REPEATS {
        let start = Instant::now();
        let outcome = black_box(run());
        seconds.push(start.elapsed().as_secs_f64());
        last = Some(outcome);
    }
    let tally = last.expect("at least one repeat").primary;
    if tally.diverged > 0 {
        println!("  note: simsgd: {} trials diverged", tally.diverged);
    }
    Measured { timing: Timing::of(seconds), test_loss: tally.test_loss.mean, gen_gap: tally.gen_gap.mean }
}

/// The interpreter and NumPy version, or why the peer cannot run.
fn python_with_numpy(python: &str) -> Result<String, String> {
    let out = process::Command::new(python)
        .args(["-c", "import numpy, sys; print(numpy.__version__, sys.version.split()[0])"])
        .output()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!("`{python}` cannot import numpy ({last})"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let numpy = words.next().unwrap_or("?");
    let version = words.next().unwrap_or("?");
    Ok(format!("NumPy {numpy} on Python {version} (`{python}`)"))
}

/// One run of the peer script: (seconds, mean test loss, mean gen gap).
fn peer_once(
    python: &str,
    script: &Path,
    landscape: &str,
    trials: u64,
    steps: usize,
) -> Result<(f64, f64, f64), String> {
    let out = process::Command::new(python)
        .arg(script)
        .arg(landscape)
        .args(["--trials", &trials.to_string()])
        .args(["--steps", &steps.to_string()])
        .args(["--eta", &ETA.to_string()])
        .args(["--seed", &SEED.to_string()])
        .output()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("unreadable output {line:?}: {e}"))?;
    let field = |k: &str| json[k].as_f64().ok_or_else(|| format!("no number `{k}` in {line}"));
    Ok((field("seconds")?, field("test_loss_mean")?, field("gen_gap_mean")?))
}

fn time_peer(python: &str, script: &Path, landscape: &str, trials: u64, steps: usize) -> Result<Measured, String> {
    for _ in 0..PEER_WARMUPS {
        peer_once(python, script, landscape, trials, steps)?;
    }
    let mut seconds = Vec::with_capacity(PEER_REPEATS);
    let (mut test_loss, mut gen_gap) = (f64::NAN, f64::NAN);
    for _ in 0..PEER_REPEATS {
        let (s, t, g) = peer_once(python, script, landscape, trials, steps)?;
        seconds.push(s);
        (test_loss, gen_gap) = (t, g);
    }
    Ok(Measured { timing: Timing::of(seconds), test_loss, gen_gap })
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Trajectory-steps per second, in millions.
fn mega(rate: f64) -> String {
    format!("{:.1} M", rate / 1e6)
}

fn main() {
    let quick = env_flag("SIMSGD_BENCH_QUICK");
    let (trials, steps): (u64, usize) = if quick { (20_000, 200) } else { (100_000, 1000) };
    let threads = match std::env::var("SIMSGD_BENCH_THREADS") {
        Ok(v) if !v.is_empty() => {
            v.parse::<usize>().unwrap_or_else(|_| fail(format!("SIMSGD_BENCH_THREADS={v:?} is not a number")))
        }
        _ => 0,
    };
    // What `Cpu::new(0)` gets: rayon's default (all cores, or
    // RAYON_NUM_THREADS).
    let used_threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let python = std::env::var("SIMSGD_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "benches", "numpy_peer.py"].iter().collect();

    println!("# simsgd cpu vs NumPy peer");
    println!();
    match std::thread::available_parallelism() {
        Ok(n) => println!("- available_parallelism: {n}"),
        Err(e) => println!("- available_parallelism: unknown ({e})"),
    }
    println!("- cpu: {}", cpu_model().unwrap_or_else(|| "unknown (/proc/cpuinfo unreadable)".to_string()));
    println!("- simsgd threads: {used_threads}");
    println!(
        "- work: fresh-sample SGD, {trials} trials x T = {steps} steps, eta {ETA}, seed {SEED}{}",
        if quick { " (SIMSGD_BENCH_QUICK)" } else { "" }
    );
    println!(
        "- simsgd: {SIMSGD_WARMUPS} warm-up + {SIMSGD_REPEATS} timed runs of backend::driver::run (CPU) in-process"
    );
    let peer = match python_with_numpy(&python) {
        Ok(versions) => {
            println!(
                "- numpy: {versions}, {PEER_WARMUPS} warm-up + {PEER_REPEATS} timed runs of {} (its own `seconds`)",
                script.display()
            );
            true
        }
        Err(why) => {
            println!("- numpy: PEER SKIPPED: {why}; reporting simsgd only");
            false
        }
    };
    println!();

    let work = (trials as f64) * (steps as f64);
    let mut rows = Vec::new();
    for landscape in LANDSCAPES {
        let exp = experiment(landscape, trials, steps);
        let ours = time_simsgd(&exp, threads);
        println!(
            "{landscape:<10} simsgd: min {:.3} s, median {:.3} s, {} traj-steps/s; test loss {:.6}, gen gap {:.3e}",
            ours.timing.min,
            ours.timing.median,
            mega(work / ours.timing.median),
            ours.test_loss,
            ours.gen_gap
        );
        let theirs = if peer {
            match time_peer(&python, &script, landscape, trials, steps) {
                Ok(m) => {
                    println!(
                        "{landscape:<10} numpy:  min {:.3} s, median {:.3} s, {} traj-steps/s; test loss {:.6}, gen gap {:.3e}",
                        m.timing.min,
                        m.timing.median,
                        mega(work / m.timing.median),
                        m.test_loss,
                        m.gen_gap
                    );
                    Some(m)
                }
                Err(why) => {
                    println!("{landscape:<10} numpy:  PEER SKIPPED: {why}");
                    None
                }
            }
        } else {
            None
        };
        rows.push((landscape, ours, theirs));
    }

    println!();
    println!("| workload | simsgd cpu ({used_threads} threads) traj-steps/s | numpy traj-steps/s | ratio |");
    println!("|---|---:|---:|---:|");
    for (landscape, ours, theirs) in &rows {
        let ours_rate = work / ours.timing.median;
        let (numpy, ratio) = match theirs {
            Some(m) => {
                let rate = work / m.timing.median;
                (mega(rate), format!("{:.1}x", ours_rate / rate))
            }
            None => ("skipped".to_string(), "n/a".to_string()),
        };
        println!("| {landscape} sgd {trials}x{steps} | {} | {numpy} | {ratio} |", mega(ours_rate));
    }
}
