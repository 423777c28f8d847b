//! `simsgd bench --landscape li-gauss10` (or another network preset): the
//! network study's throughput in run-steps per second (issue 14: Gauss-10,
//! m = 5, the train loss of every run every 10 steps, no test set), on the
//! CPU backend, beside the NumPy and JAX peers of the same training
//! (benches/mlp_peer.py).

use super::{min_median, peer_script, python, time, BenchArgs, Peer, Report, Row, Workload};
use crate::backend::cpu::Cpu;
use crate::backend::Simulator;
use crate::error::{usage, Result};
use crate::network::train::Study;
use crate::study::spec::Preset;
use crate::study::StudySpec;
use std::process::Command;
use std::time::Instant;

/// The NumPy peer trains this fraction of the runs (it is 20–50 times
/// slower; its rate is per run-step all the same).
const NUMPY_SHARE: u64 = 10;

/// The network rows of the bench.
pub fn run(args: &BenchArgs, preset: &'static Preset, quiet: bool) -> Result<Report> {
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
    let timing = time(repeats, || {
        let start = Instant::now();
        pool.install(|| study.run(0..runs, &|_| {}))?;
        Ok(start.elapsed().as_secs_f64())
    })?;
    rows.push(row(format!("cpu ({threads} threads)"), runs, timing));
    let peers: Vec<Peer> = match &args.peers {
        _ if args.no_peers => Vec::new(),
        Some(list) => list.clone(),
        None => vec![Peer::Numpy, Peer::Jax],
    };
    let o = &resolved.options;
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
    Ok(Report { cpu: super::cpu_model(), threads, gpu: None, repeats, rows })
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
