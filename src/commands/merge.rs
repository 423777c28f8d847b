//! `simsgd merge`: the reports of a sharded run's shards (`run --shard I/N
//! --json`) combined into the report of the whole run, with the numbers the
//! one-process run prints, bit for bit ([`crate::shard`]).
//!
//! Everything is checked before anything is written: every file whole and
//! unaltered (its checksum), written by this version, a shard of the same
//! run (the same resolved points, prediction and sweep), on the same backend
//! and chunking, the chunks of every point laid end to end without overlap
//! or gap. A refusal names the file and the reason in one line.

use super::run::{self, Measured, Options, Point, Ran};
use super::study;
use crate::backend::{Backends, Choice};
use crate::error::{usage, Error, Result};
use crate::experiment::Experiment;
use crate::network::train::Study;
use crate::observables::{Outcome, Paired, Tally};
use crate::report::RunReport;
use crate::shard::{self, Encoded, State, StudyState};
use crate::study::records::Records;
use crate::study::{StudyReport, StudySpec};
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

/// A run's arguments as `crate::cli` parses them: a run of a landscape, or
/// a network study.
pub enum Parsed {
    Run(Run),
    Study(Box<StudySpec>),
}

/// What a merge gives: the run's reports (one per point), or the study's.
pub enum Merged {
    Runs(Vec<RunReport>),
    Study(Box<StudyReport>),
}

/// A run as its arguments describe it: the points, the options and the
/// sweep's seed.
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

/// The merged reports (the run's, one per point, or the study's), each
/// carrying the merged state. `parse` turns a state's `run` arguments
/// into what they describe.
pub fn merge(request: &Request, parse: impl Fn(&[String]) -> Result<Parsed>) -> Result<Merged> {
    let states = read(&request.files)?;
    let study = |(_, v): &(String, Value)| v.get("records").is_some();
    if states.iter().all(study) {
        let states = decode(states)?;
        return merge_study(request, states, parse).map(|r| Merged::Study(Box::new(r)));
    }
    if let Some((file, _)) = states.iter().find(|s| study(s)) {
        return Err(usage(format!("{file}: a network study's shard, among a run's")));
    }
    merge_runs(request, decode(states)?, parse).map(Merged::Runs)
}

/// Each file's state read as `T`; errors name the file.
fn decode<T: serde::de::DeserializeOwned>(states: Vec<(String, Value)>) -> Result<Vec<(String, T)>> {
    let state = |(file, v): (String, Value)| {
        let s = serde_json::from_value(v).map_err(|e| usage(format!("{file}: unreadable shard state: {e}")))?;
        Ok((file, s))
    };
    states.into_iter().map(state).collect()
}

/// The run of `args` as `parse` reads them; errors name `file`.
fn parsed(parse: &impl Fn(&[String]) -> Result<Parsed>, file: &str, args: &[String]) -> Result<Parsed> {
    parse(args).map_err(|e| usage(format!("{file}: the run's arguments ({}) no longer parse: {e}", args.join(" "))))
}

/// What the first of `sources` (file, version, `run` arguments) describes,
/// as `parse_as` reads its arguments; refused where a source was written by
/// another version of simsgd, or its arguments describe another `what` (a
/// run, a study: compared by `key`). Each distinct argument list is parsed
/// once.
fn one_run<T, K: PartialEq>(
    sources: &[(&str, &str, &[String])],
    parse_as: impl Fn(&str, &[String]) -> Result<T>,
    key: impl Fn(&T) -> K,
    what: &str,
) -> Result<T> {
    let (first_file, _, first_args) = sources[0];
    let described = parse_as(first_file, first_args)?;
    let want = key(&described);
    let mut same: Vec<&[String]> = vec![first_args];
    let this = env!("CARGO_PKG_VERSION");
    for &(file, version, args) in sources {
        if version != this {
            return Err(usage(format!("{file}: written by simsgd {version}; this is simsgd {this}")));
        }
        if !same.contains(&args) {
            if key(&parse_as(file, args)?) != want {
                return Err(usage(format!(
                    "{file}: a shard of another {what} (run {}), not of {first_file}'s (run {})",
                    args.join(" "),
                    first_args.join(" ")
                )));
            }
            same.push(args);
        }
    }
    Ok(described)
}

/// A run's shards merged: one report per point.
fn merge_runs(
    request: &Request,
    states: Vec<(String, State)>,
    parse: impl Fn(&[String]) -> Result<Parsed>,
) -> Result<Vec<RunReport>> {
    let (first_file, first) = &states[0];
    let as_run = |file: &str, args: &[String]| match parsed(&parse, file, args)? {
        Parsed::Run(run) => Ok(run),
        Parsed::Study(_) => Err(usage(format!("{file}: a run's state with a network study's arguments"))),
    };
    let sources: Vec<(&str, &str, &[String])> =
        states.iter().map(|(f, s)| (f.as_str(), s.version.as_str(), &s.args[..])).collect();
    let run = one_run(&sources, as_run, Run::fingerprint, "run")?;
    for (file, s) in &states {
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
            ran: Ran {
                backend: state.backend.clone(),
                adapter: state.adapter.clone(),
                threads: state.threads,
                seconds: state.elapsed_s,
            },
            state: Some(state),
        });
    }
    run::report_all(prepared, measured, run.sweep)
}

/// The state of every report in `files` (a JSON object, an array of them,
/// or JSON Lines), checksums checked; errors name the file.
fn read(files: &[PathBuf]) -> Result<Vec<(String, Value)>> {
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

/// A network study's shards merged: every run's records laid end to end,
/// then the report of the whole study as one process makes it (the loss
/// change, curvature, adaptive steps and PAC-Bayes bound computed here, on
/// the CPU), or of the part held (`--partial`).
fn merge_study(
    request: &Request,
    states: Vec<(String, StudyState)>,
    parse: impl Fn(&[String]) -> Result<Parsed>,
) -> Result<StudyReport> {
    let (first_file, first) = &states[0];
    let as_study = |file: &str, args: &[String]| match parsed(&parse, file, args)? {
        Parsed::Study(spec) => Ok(spec),
        Parsed::Run(_) => Err(usage(format!("{file}: a network study's state with a run's arguments"))),
    };
    let sources: Vec<(&str, &str, &[String])> =
        states.iter().map(|(f, s)| (f.as_str(), s.version.as_str(), &s.args[..])).collect();
    let spec = one_run(&sources, as_study, |spec| spec.clone(), "study")?;
    for (file, s) in &states {
        if (&s.backend, s.runs) != (&first.backend, first.runs) {
            return Err(usage(format!(
                "{file}: {} runs on {}, where {first_file} has {} on {}: not shards of one study",
                s.runs, s.backend, first.runs, first.backend
            )));
        }
    }
    let resolved = spec.resolve()?;
    let (mut total, blocks) = shard::combine_study(states, request.partial)?;
    let o = &resolved.options;
    let tests = if resolved.data.test.is_some() { o.test_steps() } else { Vec::new() };
    let held = total.first..total.first + total.count;
    let mut records = Records::covering(held.clone(), o.record_steps(), tests.clone());
    for (first, block) in blocks {
        let runs = first..first + block.diverged_at.len() as u64;
        let part = block.decode().and_then(|parts| Records::from_parts(runs, o.record_steps(), tests.clone(), parts));
        let part = part.ok_or_else(|| usage(format!("the records of runs from {first} do not fit the study")))?;
        records.absorb_records(&part);
    }
    let trained = Ran {
        backend: total.backend.clone(),
        adapter: total.adapter.clone(),
        threads: total.threads,
        seconds: total.elapsed_s,
    };
    total.records = Encoded::new(records.parts());
    if held != (0..resolved.runs) {
        return Ok(study::part(&resolved, &records, total, trained));
    }
    let backends = Backends::open(Choice::Cpu, 0, true)?;
    let net = Study::new(&resolved.mlp, &resolved.data, resolved.options)?;
    let mut report = study::report(&net, &resolved, &records, backends.cpu(), false, trained)?;
    report.shard = Some(total);
    Ok(report)
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
