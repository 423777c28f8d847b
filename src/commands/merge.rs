//! `simsgd merge`: the reports of a sharded run's shards (`run --shard I/N
//! --json`) combined into the report of the whole run, with the numbers the
//! one-process run prints, bit for bit ([`crate::shard`]).
//!
//! Everything is checked before anything is written: every file whole and
//! unaltered (its checksum), written by this version, a shard of the same
//! run (the same resolved points, prediction and sweep), on the same backend
//! and chunking, the chunks of every point laid end to end without overlap
//! or gap. A refusal names the file and the reason in one line.

use super::run::{self, Measured, Options, Point};
use crate::error::{usage, Error, Result};
use crate::experiment::Experiment;
use crate::observables::{Outcome, Paired, Tally};
use crate::report::RunReport;
use crate::shard::{self, State};
use serde_json::Value;
use std::path::PathBuf;

/// The files to merge.
#[derive(Clone, Debug)]
pub struct Request {
    pub files: Vec<PathBuf>,
    /// Merge a part of the run (shards that leave chunks at either end),
    /// whose report is over the trials held; the result merges again.
    pub partial: bool,
}

/// A run as its arguments describe it (`crate::cli` parses them): the
/// points, the options and the sweep's seed.
pub struct Run {
    pub points: Vec<Point>,
    pub options: Options,
    pub sweep: Option<(u64, bool)>,
}

impl Run {
    /// What must agree for shards to be of one run: every point's resolved
    /// spec, the prediction beside it and the sweep's seed.
    fn fingerprint(&self) -> String {
        let specs: Vec<_> = self.points.iter().map(|p| &p.spec).collect();
        format!("{:?}", (specs, self.options.theory, self.sweep))
    }
}

/// The merged reports, one per point, each carrying the merged state.
/// `parse` turns a state's `run` arguments into the [`Run`].
pub fn merge(request: &Request, parse: impl Fn(&[String]) -> Result<Run>) -> Result<Vec<RunReport>> {
    let states = read(&request.files)?;
    let (first_file, first) = &states[0];
    let parse = |file: &str, args: &[String]| {
        parse(args).map_err(|e| usage(format!("{file}: the run's arguments ({}) no longer parse: {e}", args.join(" "))))
    };
    let run = parse(first_file, &first.args)?;
    let fingerprint = run.fingerprint();
    let mut same_run = vec![first.args.clone()];
    let version = env!("CARGO_PKG_VERSION");
    for (file, s) in &states {
        if s.version != version {
            return Err(usage(format!("{file}: written by simsgd {}; this is simsgd {version}", s.version)));
        }
        if !same_run.contains(&s.args) {
            if parse(file, &s.args)?.fingerprint() != fingerprint {
                return Err(usage(format!(
                    "{file}: a shard of another run (run {}), not of {first_file}'s (run {})",
                    s.args.join(" "),
                    first.args.join(" ")
                )));
            }
            same_run.push(s.args.clone());
        }
        let differs = |what: &str, a: String, b: String| {
            usage(format!("{file}: {what} {a}, where {first_file} has {b}: not shards of one run"))
        };
        if s.backend != first.backend {
            return Err(differs("ran on", s.backend.clone(), first.backend.clone()));
        }
        if (s.trials_per_chunk, s.chunks) != (first.trials_per_chunk, first.chunks) {
            let chunking = |s: &State| format!("{} chunks of {} trials", s.chunks, s.trials_per_chunk);
            return Err(differs("has", chunking(s), chunking(first)));
        }
        if s.points != run.points.len() || s.point >= s.points {
            return Err(differs("is point", format!("{} of {}", s.point, s.points), format!("{}", run.points.len())));
        }
    }
    let points = run.points.len();
    let mut by_point: Vec<Vec<(String, State)>> = vec![Vec::new(); points];
    for (file, s) in states {
        by_point[s.point].push((file, s));
    }
    if let Some(missing) = by_point.iter().position(Vec::is_empty) {
        return Err(usage(format!("no file holds point {missing} of the sweep's {points}")));
    }
    let prepared = run::prepare(run.points, &run.options)?;
    let mut measured = Vec::with_capacity(points);
    for (p, parts) in prepared.iter().zip(by_point) {
        let files: Vec<String> = parts.iter().map(|(f, _)| f.clone()).collect();
        let state = shard::combine(parts, request.partial)?;
        let layout = state.layout(p.exp.trials);
        let want = shape(&empty(&p.exp));
        if layout.chunks() != state.chunks || state.outcomes.iter().any(|o| shape(o) != want) {
            return Err(usage(format!(
                "{}: the state does not fit its run's trials and observables",
                files.join(", ")
            )));
        }
        let trials = layout.trials_of(state.held());
        measured.push(Measured {
            outcome: state.folded().expect("a point holds at least one chunk"),
            trials: trials.end - trials.start,
            backend: state.backend.clone(),
            adapter: state.adapter.clone(),
            threads: state.threads,
            seconds: state.elapsed_s,
            state: Some(state),
        });
    }
    run::report_all(prepared, measured, run.sweep)
}

/// Every report in `files` (a JSON object, an array of them, or JSON
/// Lines) with its state, checksums checked; errors name the file.
fn read(files: &[PathBuf]) -> Result<Vec<(String, State)>> {
    let mut states = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: file.clone(), source })?;
        let mut reports = Vec::new();
        for value in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
            match value.map_err(|e| usage(format!("{file}: not a whole JSON report ({e}): truncated?")))? {
                Value::Array(items) => reports.extend(items),
                one => reports.push(one),
            }
        }
        if reports.is_empty() {
            return Err(usage(format!("{file}: empty, no report")));
        }
        for report in &reports {
            states.push((file.clone(), shard::unseal(&file, report)?));
        }
    }
    if states.is_empty() {
        return Err(usage("no files to merge"));
    }
    Ok(states)
}

/// An outcome of `exp` with no trial: the sizes a chunk's must have.
fn empty(exp: &Experiment) -> Outcome {
    let tally = |plan| Tally::new(exp.init.len(), &exp.record_steps(), exp.drift_window(plan).as_ref());
    Outcome {
        primary: tally(&exp.plan),
        compare: exp.compare.as_ref().map(|plan| (tally(plan), Paired::default())),
        unit_roundoff: 0.0,
    }
}

/// The sizes of an outcome's parts: weights, the curve's steps and
/// weights, the drift estimators', and whether it has a compared arm.
fn shape(o: &Outcome) -> Vec<usize> {
    let tally = |t: &Tally| {
        let mut s = vec![t.theta.len(), t.curve.len()];
        s.extend(t.curve.iter().flat_map(|c| [c.step, c.theta.len()]));
        s.extend(t.drift.iter().flat_map(|d| [d.slope.len(), d.step.len()]));
        s
    };
    let mut s = tally(&o.primary);
    s.extend(o.compare.iter().flat_map(|(t, _)| tally(t)));
    s.push(o.compare.is_some() as usize);
    s
}
