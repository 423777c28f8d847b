//! `simsgd run mlp | li-…`: the network study of seed 003 — train the runs
//! on the CPU backend's threads in chunks, gather every run's records, and
//! report distributions over runs (and, if asked, the loss change from
//! frozen runs).

use crate::atomic;
use crate::backend::cpu::Cpu;
use crate::backend::{Choice, Simulator};
use crate::error::{usage, Error, Result};
use crate::network::train::Study;
use crate::progress::Progress;
use crate::study::loss_change;
use crate::study::records::Records;
use crate::study::{StudyReport, StudySpec};
use std::path::PathBuf;
use std::time::Instant;

/// Runs trained per chunk: progress moves, and a chunk's trace (copied
/// into the records) stays small beside them.
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

/// Runs the study `spec` and reports it.
pub fn run(spec: &StudySpec, options: &Options) -> Result<StudyReport> {
    let resolved = spec.resolve()?;
    if options.backend == Choice::Gpu {
        return Err(usage("the network study runs on the CPU backend only (its WGSL kernel is not built yet)"));
    }
    for path in &options.outputs {
        atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    let cpu = Cpu::new(options.threads)?;
    let pool = cpu.pool().expect("the CPU backend has a pool");
    let study = Study::new(&resolved.mlp, &resolved.data, resolved.options)?;
    let o = &resolved.options;
    let tests = if resolved.data.test.is_some() { o.test_steps() } else { Vec::new() };
    let mut records = Records::new(resolved.runs as usize, o.record_steps(), tests);
    let progress = Progress::new(resolved.runs, resolved.preset.name, options.quiet);
    let start = Instant::now();
    let mut first = 0;
    while first < resolved.runs {
        let runs = first..(first + CHUNK_RUNS).min(resolved.runs);
        let trace = pool.install(|| study.run(runs.clone(), &|n| progress.advance(n)))?;
        records.absorb(&trace);
        first = runs.end;
    }
    progress.finish();
    let frozen = pool.install(|| loss_change::frozen(&study, &resolved, &records));
    let mut report = pool.install(|| StudyReport::new(&resolved, &records, frozen));
    report.threads = cpu.threads();
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}
