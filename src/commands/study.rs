//! `simsgd run mlp | li-…`: the network study of seed 003 — train the runs
//! in chunks on the CPU backend's threads or on the GPU (`--backend`), gather
//! every run's records, and report distributions over runs (and, if asked,
//! the loss change from frozen runs, replayed on the CPU).

use super::run::{Ran, Sharding};
use crate::atomic;
use crate::backend::cpu::Cpu;
#[cfg(feature = "gpu")]
use crate::backend::gpu::network::GpuStudy;
use crate::backend::{Backends, Choice, Simulator};
use crate::error::{Error, Result};
use crate::network::train::{Study, Trace};
use crate::progress::Progress;
use crate::shard::{self, Encoded, StudyState};
use crate::study::records::Records;
use crate::study::{adaptive, curvature, loss_change, pac_bayes};
use crate::study::{Resolved, StudyReport, StudySpec};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

/// Runs trained per chunk on the CPU: progress moves, and a chunk's trace
/// (copied into the records) stays small beside them. The GPU's chunks are
/// its own ([`GpuStudy::chunk_runs`]), large enough to fill it.
const CHUNK_RUNS: u64 = 4096;

/// How and where a study runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub backend: Choice,
    /// CPU threads (0: all cores).
    pub threads: usize,
    pub quiet: bool,
    /// Files the report will be written to, checked before the runs.
    pub outputs: Vec<PathBuf>,
}

/// Where the runs train.
enum Trainer<'a> {
    /// The CPU backend's pool.
    Cpu(&'a rayon::ThreadPool, &'a Study<'a>),
    /// The GPU (shaders/network.wgsl).
    #[cfg(feature = "gpu")]
    Gpu(Box<GpuStudy<'a>>),
}

impl<'a> Trainer<'a> {
    /// The GPU where `--backend` chose one and it can run the study (`auto`
    /// takes a hardware adapter only), else the CPU, with the notices of
    /// [`Backends`].
    fn choose(backends: &'a Backends, study: &'a Study<'a>, resolved: &'a Resolved) -> Result<Self> {
        let cpu = Trainer::Cpu(backends.cpu().pool().expect("the CPU backend has a pool"), study);
        #[cfg(feature = "gpu")]
        {
            let open = |gpu| GpuStudy::new(gpu, &resolved.mlp, &resolved.data, &resolved.options);
            Ok(backends.for_gpu(open)?.map_or(cpu, |gpu| Trainer::Gpu(Box::new(gpu))))
        }
        #[cfg(not(feature = "gpu"))]
        {
            let _ = resolved;
            backends.for_cpu();
            Ok(cpu)
        }
    }

    /// Runs per chunk.
    fn chunk(&self) -> u64 {
        match self {
            Trainer::Cpu(..) => CHUNK_RUNS,
            #[cfg(feature = "gpu")]
            Trainer::Gpu(gpu) => gpu.chunk_runs(),
        }
    }

    /// Trains `runs`, advancing `progress` by the runs done.
    fn run(&self, runs: Range<u64>, progress: &Progress) -> Result<Trace> {
        match self {
            Trainer::Cpu(pool, study) => pool.install(|| study.run(runs, &|n| progress.advance(n))),
            #[cfg(feature = "gpu")]
            Trainer::Gpu(gpu) => gpu.run(runs, &|n| progress.advance_fraction(n)),
        }
    }

    /// The report's backend and adapter.
    fn describe(&self) -> (&'static str, Option<String>) {
        match self {
            Trainer::Cpu(..) => ("cpu", None),
            #[cfg(feature = "gpu")]
            Trainer::Gpu(gpu) => ("gpu", Some(gpu.adapter())),
        }
    }
}

/// Runs the study `spec` and reports it; with `sharding`, only that shard's
/// runs, reported over themselves with the state `simsgd merge` combines
/// (the loss change, curvature, adaptive steps and PAC-Bayes bound, which
/// need every run, are then the merge's).
pub fn run(spec: &StudySpec, options: &Options, sharding: Option<&Sharding>) -> Result<StudyReport> {
    let resolved = spec.resolve()?;
    for path in &options.outputs {
        atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    let runs = match sharding {
        Some(s) => s.shard.runs(resolved.runs)?,
        None => 0..resolved.runs,
    };
    let backends = Backends::open(options.backend, options.threads, options.quiet)?;
    let study = Study::new(&resolved.mlp, &resolved.data, resolved.options)?;
    let trainer = Trainer::choose(&backends, &study, &resolved)?;
    let o = &resolved.options;
    let tests = if resolved.data.test.is_some() { o.test_steps() } else { Vec::new() };
    let mut records = Records::covering(runs.clone(), o.record_steps(), tests);
    let progress = Progress::new(runs.end - runs.start, resolved.preset.name, options.quiet);
    let start = Instant::now();
    let mut first = runs.start;
    while first < runs.end {
        let chunk = first..(first + trainer.chunk()).min(runs.end);
        records.absorb(&trainer.run(chunk.clone(), &progress)?);
        first = chunk.end;
    }
    progress.finish();
    let (backend, adapter) = trainer.describe();
    let trained = Ran {
        backend: backend.to_string(),
        adapter,
        threads: backends.cpu().threads(),
        seconds: start.elapsed().as_secs_f64(),
    };
    let Some(s) = sharding else {
        let mut whole = report(&study, &resolved, &records, backends.cpu(), options.quiet, trained)?;
        whole.seconds = start.elapsed().as_secs_f64();
        return Ok(whole);
    };
    let state = StudyState {
        format: shard::FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        args: s.args.clone(),
        shards: vec![s.shard],
        backend: trained.backend.clone(),
        adapter: trained.adapter.clone(),
        threads: trained.threads,
        runs: resolved.runs,
        first: runs.start,
        count: runs.end - runs.start,
        elapsed_s: trained.seconds,
        records: Encoded::new(records.parts()),
    };
    Ok(part(&resolved, &records, state, trained))
}

/// The report of a part of the study (a shard's runs, or a partial merge's):
/// the distributions over its runs, and its state.
pub fn part(resolved: &Resolved, records: &Records, state: StudyState, trained: Ran) -> StudyReport {
    let mut report = StudyReport::new(resolved, records, Vec::new());
    report.runs = state.count;
    report.shard = Some(state);
    stamp(&mut report, trained);
    report
}

/// Sets where and how long `report`'s runs trained.
fn stamp(report: &mut StudyReport, ran: Ran) {
    report.backend = ran.backend;
    report.adapter = ran.adapter;
    report.threads = ran.threads;
    report.seconds = ran.seconds;
}

/// The report of every run's `records`: the distributions, then (on the
/// CPU's pool) the loss change from frozen runs, the curvature, the
/// adaptive steps and the PAC-Bayes bound where asked.
pub fn report(
    study: &Study,
    resolved: &Resolved,
    records: &Records,
    cpu: &Cpu,
    quiet: bool,
    trained: Ran,
) -> Result<StudyReport> {
    let pool = cpu.pool().expect("the CPU backend has a pool");
    let frozen = pool.install(|| loss_change::frozen(study, resolved, records));
    let mut report = pool.install(|| StudyReport::new(resolved, records, frozen));
    if let Some(plan) = &resolved.curvature {
        let progress = Progress::new(plan.runs * plan.at.len() as u64, "curvature", quiet);
        report.curvature = Some(pool.install(|| curvature::measure(study, resolved, plan, &progress))?);
        progress.finish();
    }
    if let Some(plan) = &resolved.adaptive {
        let progress = Progress::new(plan.runs * plan.rules.len() as u64, "adaptive steps", quiet);
        report.adaptive = Some(pool.install(|| adaptive::measure(resolved, plan, &progress)));
        progress.finish();
    }
    if let Some(plan) = &resolved.pac_bayes {
        let progress = Progress::new(plan.runs, "PAC-Bayes", quiet);
        report.pac_bayes = Some(pool.install(|| pac_bayes::measure(study, resolved, plan, &progress))?);
        progress.finish();
    }
    stamp(&mut report, trained);
    Ok(report)
}
