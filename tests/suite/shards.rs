//! Issue 17: sharded runs (`run --shard I/N`) and `simsgd merge`. Four
//! shards merged equal the one-process run's report in every number, for
//! `--compare`, `--record-every` (the curve and the drift), `--theory`, a
//! sweep and the network study (its exact quantiles, loss change, curvature
//! and PAC-Bayes bound), whatever the order and grouping of the files; mixed runs,
//! overlaps, gaps and altered or truncated files are refused in one line
//! with exit 2, and nothing is written. The GPU's shards, at chunks small
//! enough to shard, are checked in `gpu.rs` through the driver.

use crate::common::child::simsgd;
use crate::common::scratch::Scratch;
use serde_json::Value;
use std::path::Path;

/// The reports in `text`: a JSON object, an array of them, or JSON Lines.
fn reports(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match v.unwrap_or_else(|e| panic!("not JSON ({e}): {text}")) {
            Value::Array(items) => out.extend(items),
            one => out.push(one),
        }
    }
    out
}

/// `simsgd ARGS`, which must succeed; its stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = simsgd(args);
    assert!(out.status.is_some_and(|s| s.success()), "simsgd {args:?}: {}", out.stderr);
    out.stdout
}

/// Writes each shard of `run ARGS` (`--json`, or `--jsonl` for `lines`) to
/// `dir/shard-I.json`; their paths.
fn shards(dir: &Scratch, args: &[&str], count: u64, lines: bool) -> Vec<String> {
    (0..count)
        .map(|i| {
            let shard = format!("{i}/{count}");
            let mut full = vec!["run"];
            full.extend_from_slice(args);
            full.extend_from_slice(&["--shard", &shard, if lines { "--jsonl" } else { "--json" }, "-q"]);
            let path = dir.join(&format!("shard-{i}.json"));
            std::fs::write(&path, ok(&full)).unwrap();
            path.display().to_string()
        })
        .collect()
}

/// `merge FILES --json`'s reports.
fn merged(files: &[&str], extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["merge"];
    args.extend_from_slice(files);
    args.extend_from_slice(extra);
    args.push("--json");
    reports(&ok(&args))
}

/// Asserts that `merged` has every field of `whole` with the same value, but
/// the timing (`elapsed_s`, a study's `seconds`) and the thread count.
#[track_caller]
fn assert_same_report(whole: &[Value], merged: &[Value], what: &str) {
    assert_eq!(whole.len(), merged.len(), "{what}: points");
    for (w, m) in whole.iter().zip(merged) {
        for (key, value) in w.as_object().unwrap() {
            if !["elapsed_s", "seconds", "threads"].contains(&key.as_str()) {
                assert_eq!(Some(value), m.get(key), "{what}: \"{key}\" differs");
            }
        }
        assert!(m.get("shard").is_some() && m.get("checksum").is_some(), "{what}: the merge carries no state");
    }
}

#[test]
fn four_shards_merge_into_the_whole_runs_report_in_any_order_and_grouping() {
    let dir = Scratch::new("shards-equal");
    let cases: [(&str, &[&str]); 3] = [
        (
            "compare, curve, drift and theory",
            &["archimedes", "--trials", "3000", "--steps", "12", "--record-every", "3", "--compare", "gd", "--theory"],
        ),
        ("a sweep", &["gauss", "--trials", "2500", "--steps", "4", "--eta", "0.05,0.2", "--theory"]),
        (
            "the network study",
            &[
                "li-gauss2-noisy",
                "--trials",
                "40",
                "--steps",
                "20",
                "--record-every",
                "5",
                "--loss-change-at",
                "10",
                "--curvature-at",
                "10",
                "--curvature-runs",
                "3",
                "--pac-bayes",
                "--quantiles",
                "0.1,0.5",
            ],
        ),
    ];
    for (what, args) in cases {
        let mut whole_args = vec!["run"];
        whole_args.extend_from_slice(args);
        whole_args.extend_from_slice(&["--backend", "cpu", "--json", "-q"]);
        let whole = reports(&ok(&whole_args));
        let mut args = args.to_vec();
        args.extend_from_slice(&["--backend", "cpu"]);
        let files = shards(&dir, &args, 4, what == "a sweep");
        let f: Vec<&str> = files.iter().map(String::as_str).collect();
        // A shard's report is over its own trials (a study's: runs).
        let first = &reports(&std::fs::read_to_string(&files[0]).unwrap())[0];
        let count = |r: &Value| r.get("trials").or(r.get("runs")).and_then(Value::as_u64).unwrap();
        assert!(count(first) < count(&whole[0]) / 2, "{what}: shard 0 reports {} trials", count(first));

        assert_same_report(&whole, &merged(&[f[2], f[0], f[3], f[1]], &[]), what);
        // Merges merge again: ((0 1) (2 3)) and (0 (1 (2 3))).
        let save = |name: &str, v: &[Value]| {
            let path = dir.join(name);
            std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
            path.display().to_string()
        };
        let low = save("low.json", &merged(&[f[0], f[1]], &["--partial"]));
        let high = save("high.json", &merged(&[f[3], f[2]], &["--partial"]));
        assert_same_report(&whole, &merged(&[&high, &low], &[]), what);
        let right = save("right.json", &merged(&[f[1], &high], &["--partial"]));
        assert_same_report(&whole, &merged(&[&right, f[0]], &[]), what);
    }
}

/// Runs `simsgd ARGS`, which must fail with exit 2 and one line on stderr
/// containing `says`, and print nothing.
#[track_caller]
fn refused<S: AsRef<str> + std::fmt::Debug>(args: &[S], says: &str) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = simsgd(&args);
    assert_eq!(out.status.and_then(|s| s.code()), Some(2), "simsgd {args:?}: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "simsgd {args:?}: {}", out.stderr);
    assert!(out.stderr.contains(says), "simsgd {args:?}: {} (expected: {says})", out.stderr);
    assert!(out.stdout.is_empty(), "simsgd {args:?} printed {}", out.stdout);
}

#[test]
fn bad_shards_are_refused_and_nothing_is_written() {
    let dir = Scratch::new("shards-refused");
    let base = ["gauss", "--trials", "2000", "--steps", "3", "--backend", "cpu"];
    let f = shards(&dir, &base, 4, false);
    let mut other_eta = base.to_vec();
    other_eta.extend_from_slice(&["--eta", "0.2"]);
    let other_dir = Scratch::new("shards-other");
    let other = shards(&other_dir, &other_eta, 4, false);
    let moved = dir.join("other-1.json").display().to_string();
    std::fs::copy(&other[1], &moved).unwrap();
    let text = std::fs::read_to_string(&f[2]).unwrap();
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    let truncated = write("truncated.json", &text[..text.len() / 2]);
    // The first mean's last digit changed.
    let at = text.find("\"mean\": ").unwrap() + 9;
    let digit = text[at..].find(|c: char| c.is_ascii_digit()).unwrap() + at;
    let mut altered = text.clone();
    altered.replace_range(digit..digit + 1, if &text[digit..digit + 1] == "1" { "2" } else { "1" });
    let altered = write("altered.json", &altered);
    let whole = write("whole.json", &ok(&["run", "gauss", "--trials", "2000", "--steps", "3", "--json", "-q"]));
    let csv = dir.join("merged.csv").display().to_string();
    let study = write(
        "study.json",
        &ok(&[
            "run",
            "li-gauss2",
            "--trials",
            "8",
            "--steps",
            "2",
            "--backend",
            "cpu",
            "--shard",
            "0/2",
            "--json",
            "-q",
        ]),
    );

    let merge = |files: &[&str]| -> Vec<String> {
        let tail = ["--json", "--csv", &csv];
        std::iter::once("merge").chain(files.iter().copied()).chain(tail).map(String::from).collect()
    };
    refused(&merge(&[&f[0], &moved, &f[2], &f[3]]), "a shard of another run");
    refused(&merge(&[&f[0], &f[1], &f[1], &f[2], &f[3]]), "both hold chunks 4..8 (point 0): overlapping shards");
    refused(&merge(&[&f[0], &f[1], &f[3]]), "no file holds chunks 8..12 of 16 (point 0): a shard is missing");
    refused(&merge(&[&f[0], &f[1], &f[2]]), "no file holds chunks 12..16 of 16");
    refused(&merge(&[&f[0], &f[1], &truncated, &f[3]]), "truncated.json: not a whole JSON report");
    refused(&merge(&[&f[0], &f[1], &altered, &f[3]]), "altered.json: checksum mismatch");
    refused(&merge(&[&whole]), "whole.json: not a report of a sharded run");
    refused(&merge(&[&f[0], &study]), "study.json: a network study's shard, among a run's");
    refused(&merge(&[&study]), "no file holds runs 4..8 of 8: a shard is missing");
    refused(&merge(&[&dir.join("none.json").display().to_string()]), "none.json: No such file");
    refused(&["merge"], "the following required arguments were not provided");
    assert!(!Path::new(&csv).exists(), "a refused merge wrote its CSV");

    let run = |extra: &[&str]| -> Vec<String> {
        std::iter::once("run").chain(base).chain(extra.iter().copied()).map(String::from).collect()
    };
    refused(&run(&["--shard", "4/4"]), "I counts from 0, so it must be below N = 4");
    refused(&run(&["--shard", "0/0"]), "N must be at least 1");
    refused(&run(&["--shard", "1"]), "expected I/N");
    refused(&run(&["--shard", "0/17"]), "this run has 16 chunks of 128 trials, and a shard is whole chunks");
}
