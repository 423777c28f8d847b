//! Sharded runs (`run --shard I/N`) and their exact merge (`simsgd merge`).
//!
//! A run's trials are cut into chunks by its experiment alone
//! ([`Layout`]), and the one-process run folds the chunks' tallies in chunk
//! order (Chan's and Pébay's merges, `crate::observables`). Floating-point
//! merges are not associative, so a shard holds its chunks' tallies one by
//! one, not folded: shard I of N runs chunks ⌊I·C/N⌋ … ⌊(I+1)·C/N⌋ − 1 of
//! the C chunks, and a merge lays the chunks of all shards end to end and
//! folds them as the one process does, bit for bit the same numbers.
//!
//! A shard's `--json` report carries its [`State`] (`"shard"`) beside its own
//! numbers, and a checksum of the whole report (`"checksum"`, FNV-1a over its
//! canonical JSON): a truncated or altered report is refused. A merge's
//! report carries the merged state, so merges merge again: the result is the
//! same whatever the grouping and the order of the files.

use crate::backend::driver::Layout;
use crate::error::{usage, Result};
use crate::observables::Outcome;
use crate::study::records::Parts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ops::Range;

/// The layout of [`State`]; a report of another is refused.
pub const FORMAT: u32 = 1;

/// Shard `index` of `count` (`--shard I/N`, I from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || usage(format!("--shard '{text}': expected I/N, shard I (from 0) of N, as 0/4"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 {
            return Err(usage(format!("--shard '{text}': N must be at least 1")));
        }
        if index >= count {
            return Err(usage(format!("--shard '{text}': I counts from 0, so it must be below N = {count}")));
        }
        Ok(Shard { index, count })
    }

    /// [`Shard::parse`] as clap's value parser.
    pub fn value_parser(text: &str) -> std::result::Result<Self, String> {
        crate::error::for_clap("--shard", &format!("'{text}'"), Self::parse(text))
    }

    /// This shard's chunks of `layout`: ⌊I·C/N⌋ … ⌊(I+1)·C/N⌋ − 1. Refused
    /// where there are fewer chunks than shards (a shard is whole chunks).
    pub fn chunks(&self, layout: &Layout) -> Result<Range<u64>> {
        let c = layout.chunks();
        if self.count > c {
            return Err(usage(format!(
                "--shard {}/{}: this run has {c} chunk{s} of {} trials, and a shard is whole chunks; use at most {c} shard{s}",
                self.index,
                self.count,
                layout.chunk,
                s = if c == 1 { "" } else { "s" },
            )));
        }
        Ok(self.share(c))
    }

    /// This shard's runs of a network study of `runs` runs: ⌊I·R/N⌋ …
    /// ⌊(I+1)·R/N⌋ − 1 (each run trains alone, so any split merges exactly).
    pub fn runs(&self, runs: u64) -> Result<Range<u64>> {
        if self.count > runs {
            return Err(usage(format!("--shard {self}: the study has {runs} runs; use at most {runs} shards")));
        }
        Ok(self.share(runs))
    }

    /// Its share of `0..total` (at least N): ⌊I·total/N⌋ … ⌊(I+1)·total/N⌋ − 1.
    fn share(&self, total: u64) -> Range<u64> {
        let at = |i: u64| (i as u128 * total as u128 / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a merge needs of one point of a sharded run: the run's arguments
/// (parsed again by the merge), where it ran, its layout, and the tallies
/// of its chunks `first..first + outcomes.len()`, each alone, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// simsgd's version, which wrote it.
    pub version: String,
    /// `simsgd run`'s arguments (after `run`).
    pub args: Vec<String>,
    /// The shards it holds (one, or those merged into it), in order.
    pub shards: Vec<Shard>,
    /// This point's place among the run's points (a sweep's), from 0.
    pub point: usize,
    pub points: usize,
    pub backend: String,
    pub adapter: Option<String>,
    pub threads: usize,
    pub trials_per_chunk: u64,
    /// Chunks in the whole run.
    pub chunks: u64,
    /// The first chunk held.
    pub first: u64,
    /// Seconds of simulation of the chunks held (summed over shards).
    pub elapsed_s: f64,
    pub outcomes: Vec<Outcome>,
}

impl State {
    /// The layout of the run it is part of.
    pub fn layout(&self, trials: u64) -> Layout {
        Layout { trials, chunk: self.trials_per_chunk }
    }

    /// The chunks held.
    pub fn held(&self) -> Range<u64> {
        self.first..self.first + self.outcomes.len() as u64
    }

    /// The chunks' tallies folded in chunk order: the one-process run's
    /// numbers over these chunks.
    pub fn folded(&self) -> Option<Outcome> {
        let mut chunks = self.outcomes.iter();
        let mut total = chunks.next()?.clone();
        chunks.for_each(|o| total.merge(o));
        Some(total)
    }

    /// Refuses a state whose JSON would not read back as itself (a value
    /// that JSON cannot carry: an infinite or NaN moment), so that a shard
    /// never writes what no merge could read.
    pub fn check_round_trip(&self) -> Result<()> {
        let back: Option<State> = serde_json::to_string(self).ok().and_then(|t| serde_json::from_str(&t).ok());
        if back.as_ref() == Some(self) {
            Ok(())
        } else {
            Err(usage(
                "a shard's tallies hold a value JSON cannot carry exactly (an infinite moment); lower --diverge-at",
            ))
        }
    }
}

/// What a merge needs of a shard of the network study (`run mlp|li-…
/// --shard I/N`): the run's arguments, where it ran, and every value of
/// its runs `first..first + count` of `runs` (a run trains alone, so any
/// split of the runs merges exactly; quantiles are exact over the values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyState {
    pub format: u32,
    pub version: String,
    pub args: Vec<String>,
    pub shards: Vec<Shard>,
    pub backend: String,
    pub adapter: Option<String>,
    pub threads: usize,
    /// Runs in the whole study.
    pub runs: u64,
    pub first: u64,
    pub count: u64,
    pub elapsed_s: f64,
    /// The runs' records ([`crate::study::records::Records::parts`]), each
    /// f64 as the 16 hex digits of its bits (NaN marks a diverged run).
    pub records: Encoded,
}

/// A study shard's values and divergences, exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoded {
    pub values: String,
    pub tests: String,
    pub diverged_at: Vec<Option<u64>>,
}

impl Encoded {
    /// `values`, `tests` and the divergences, encoded.
    pub fn new((values, tests, diverged_at): (&[f64], &[f64], &[Option<u64>])) -> Self {
        Encoded { values: hex(values), tests: hex(tests), diverged_at: diverged_at.to_vec() }
    }

    /// The values, tests and divergences; `None` where a text is not hex
    /// digits in groups of 16.
    pub fn decode(&self) -> Option<Parts> {
        Some((unhex(&self.values)?, unhex(&self.tests)?, self.diverged_at.clone()))
    }
}

/// Each value's bits as 16 hex digits.
fn hex(values: &[f64]) -> String {
    let mut out = String::with_capacity(16 * values.len());
    for v in values {
        out.push_str(&format!("{:016x}", v.to_bits()));
    }
    out
}

/// [`hex`] read back.
fn unhex(text: &str) -> Option<Vec<f64>> {
    if !text.len().is_multiple_of(16) || !text.is_ascii() {
        return None;
    }
    (0..text.len() / 16).map(|i| u64::from_str_radix(&text[16 * i..16 * i + 16], 16).ok().map(f64::from_bits)).collect()
}

/// The study states of one study from several files laid end to end by
/// their runs (overlaps and gaps refused); the records they hold, by first run.
pub fn combine_study(mut parts: Vec<(String, StudyState)>, partial: bool) -> Result<(StudyState, Vec<(u64, Encoded)>)> {
    parts.sort_by_key(|(_, s)| s.first);
    let held: Vec<(&str, Range<u64>)> = parts.iter().map(|(f, s)| (f.as_str(), s.first..s.first + s.count)).collect();
    end_to_end(&held, parts[0].1.runs, "runs", "", partial)?;
    let mut total = StudyState { shards: Vec::new(), elapsed_s: 0.0, count: 0, ..parts[0].1.clone() };
    let mut blocks = Vec::with_capacity(parts.len());
    for (_, s) in parts {
        total.count += s.count;
        total.shards.extend(s.shards);
        total.elapsed_s += s.elapsed_s;
        blocks.push((s.first, s.records));
    }
    total.shards.sort_by_key(|s| (s.count, s.index));
    Ok((total, blocks))
}

/// Refuses `held` ranges of `what` (chunks, runs), each with its file and
/// sorted by start, that overlap or leave a gap, or (unless `partial`) do
/// not cover `0..whole`; `place` says where (a sweep's point).
fn end_to_end(held: &[(&str, Range<u64>)], whole: u64, what: &str, place: &str, partial: bool) -> Result<()> {
    for pair in held.windows(2) {
        let ((a_file, a), (b_file, b)) = (&pair[0], &pair[1]);
        if b.start < a.end {
            let (from, to) = (b.start, a.end.min(b.end));
            return Err(usage(format!(
                "{a_file} and {b_file} both hold {what} {from}..{to}{place}: overlapping shards"
            )));
        }
        if b.start > a.end {
            let (from, to) = (a.end, b.start);
            return Err(usage(format!("no file holds {what} {from}..{to} of {whole}{place}: a shard is missing")));
        }
    }
    let covered = held[0].1.start..held[held.len() - 1].1.end;
    if !partial && covered != (0..whole) {
        let missing = if covered.start > 0 { 0..covered.start } else { covered.end..whole };
        return Err(usage(format!(
            "no file holds {what} {}..{} of {whole}{place}: a shard is missing (--partial merges a part)",
            missing.start, missing.end
        )));
    }
    Ok(())
}

/// FNV-1a (64 bits) of `bytes`: the checksum of a sharded report.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The checksum of a report object: FNV-1a of its compact JSON without its
/// `checksum` field.
fn checksum_of(report: &serde_json::Map<String, Value>) -> String {
    let mut rest = report.clone();
    rest.remove("checksum");
    let text = serde_json::to_string(&rest).expect("JSON values serialise");
    format!("fnv1a64:{:016x}", fnv1a(text.as_bytes()))
}

/// Adds `"checksum"` to a report object.
pub fn seal(report: &mut Value) {
    if let Value::Object(map) = report {
        let sum = checksum_of(map);
        map.insert("checksum".into(), Value::String(sum));
    }
}

/// The state of a sealed report object (a [`State`] or a [`StudyState`]),
/// its checksum checked; errors name `file`.
pub fn unseal<T: serde::de::DeserializeOwned>(file: &str, report: &Value) -> Result<T> {
    let Value::Object(map) = report else {
        return Err(usage(format!("{file}: not a report of a sharded run (a JSON object was expected)")));
    };
    let state = map.get("shard").ok_or_else(|| {
        usage(format!("{file}: not a report of a sharded run (no \"shard\" state: run it with --shard I/N --json)"))
    })?;
    let format = state.get("format").and_then(Value::as_u64);
    if format != Some(FORMAT as u64) {
        return Err(usage(format!(
            "{file}: shard state of format {format:?}, not {FORMAT} (written by another version of simsgd)"
        )));
    }
    match map.get("checksum").and_then(Value::as_str) {
        Some(sum) if sum == checksum_of(map) => {}
        Some(_) => {
            return Err(usage(format!("{file}: checksum mismatch: the report was altered after it was written")))
        }
        None => return Err(usage(format!("{file}: no checksum: not a report simsgd wrote"))),
    }
    serde_json::from_value(state.clone()).map_err(|e| usage(format!("{file}: unreadable shard state: {e}")))
}

/// The states of one point from several files, each named by its file,
/// laid end to end: refused where they overlap or leave a gap between
/// them, and (unless `partial`) where they do not cover the whole run.
pub fn combine(mut parts: Vec<(String, State)>, partial: bool) -> Result<State> {
    parts.sort_by_key(|(_, s)| s.first);
    let held: Vec<(&str, Range<u64>)> = parts.iter().map(|(f, s)| (f.as_str(), s.held())).collect();
    let (whole, place) = (parts[0].1.chunks, format!(" (point {})", parts[0].1.point));
    end_to_end(&held, whole, "chunks", &place, partial)?;
    let mut parts = parts.into_iter().map(|(_, s)| s);
    let mut total = parts.next().expect("at least one part");
    for s in parts {
        total.shards.extend(s.shards);
        total.elapsed_s += s.elapsed_s;
        total.outcomes.extend(s.outcomes);
    }
    total.shards.sort_by_key(|s| (s.count, s.index));
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observables::Tally;

    #[test]
    fn shards_parse_and_cover_the_chunks_once() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2", "1/2/3", ""] {
            let e = Shard::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--shard '{bad}'")), "{e}");
        }
        for chunks in [1u64, 2, 7, 64, 611] {
            let layout = Layout { trials: chunks * 100 - 3, chunk: 100 };
            for count in 1..=chunks.min(9) {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.chunks(&layout).unwrap();
                    assert_eq!(r.start, next);
                    assert!(!r.is_empty(), "shard {index}/{count} of {chunks} chunks is empty");
                    next = r.end;
                }
                assert_eq!(next, chunks);
            }
        }
        let e = Shard { index: 0, count: 9 }.chunks(&Layout { trials: 800, chunk: 100 }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--shard 0/9: this run has 8 chunks of 100 trials, and a shard is whole chunks; use at most 8 shards"
        );
    }

    fn state(first: u64, n: usize, index: u64) -> State {
        let outcome = |c: u64| {
            let mut primary = Tally::new(1, &[], None);
            primary.push(c as f64 * 0.37, 1.0 / (1.0 + c as f64), &[c as f64]);
            primary.push(-(c as f64).sqrt(), 0.5, &[0.1]);
            Outcome { primary, compare: None, unit_roundoff: 1e-16 }
        };
        State {
            format: FORMAT,
            version: "v".into(),
            args: vec!["gauss".into()],
            shards: vec![Shard { index, count: 3 }],
            point: 0,
            points: 1,
            backend: "cpu".into(),
            adapter: None,
            threads: 2,
            trials_per_chunk: 2,
            chunks: 6,
            first,
            elapsed_s: 1.0,
            outcomes: (first..first + n as u64).map(outcome).collect(),
        }
    }

    /// Merges are exact, whatever the grouping and the order of the files;
    /// overlaps and gaps are refused, a part only with `partial`.
    #[test]
    fn combining_is_exact_associative_and_refuses_overlaps_and_gaps() {
        let (a, b, c) = (state(0, 2, 0), state(2, 1, 1), state(3, 3, 2));
        let named = |s: &State| (format!("f{}", s.first), s.clone());
        let whole = combine(vec![named(&c), named(&a), named(&b)], false).unwrap();
        assert_eq!(whole.held(), 0..6);
        assert_eq!(whole.shards.len(), 3);
        assert_eq!(whole.elapsed_s, 3.0);
        let ab = combine(vec![named(&b), named(&a)], true).unwrap();
        let bc = combine(vec![named(&b), named(&c)], true).unwrap();
        let left = combine(vec![named(&ab), named(&c)], false).unwrap();
        let right = combine(vec![named(&bc), named(&a)], false).unwrap();
        assert_eq!(left.outcomes, whole.outcomes);
        assert_eq!(right.folded(), whole.folded());
        let one_process = {
            let mut all = a.outcomes.clone();
            all.extend(b.outcomes.clone());
            all.extend(c.outcomes.clone());
            State { outcomes: all, ..a.clone() }.folded()
        };
        assert_eq!(whole.folded(), one_process);

        let e = combine(vec![named(&a), named(&ab)], false).unwrap_err().to_string();
        assert!(e.contains("both hold chunks 0..2"), "{e}");
        let e = combine(vec![named(&a), named(&c)], false).unwrap_err().to_string();
        assert_eq!(e, "no file holds chunks 2..3 of 6 (point 0): a shard is missing");
        let e = combine(vec![named(&a), named(&b)], false).unwrap_err().to_string();
        assert!(e.starts_with("no file holds chunks 3..6 of 6"), "{e}");
    }

    #[test]
    fn a_seal_detects_any_change() {
        let mut report = serde_json::json!({"metrics": {"mean": 0.1}, "shard": state(0, 2, 0)});
        seal(&mut report);
        let text = serde_json::to_string_pretty(&report).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(unseal::<State>("f", &back).unwrap(), state(0, 2, 0));
        let altered: Value = serde_json::from_str(&text.replacen("0.1", "0.2", 1)).unwrap();
        assert_eq!(
            unseal::<State>("f", &altered).unwrap_err().to_string(),
            "f: checksum mismatch: the report was altered after it was written"
        );
        let e = unseal::<State>("f", &serde_json::json!({"metrics": 1})).unwrap_err().to_string();
        assert!(e.starts_with("f: not a report of a sharded run"), "{e}");
    }
}
