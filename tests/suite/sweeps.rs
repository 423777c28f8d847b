//! Issue 18: sweeps in one command (lists and ranges of flags, one seed
//! stream per point), output that describes itself (`--csv -`, `--jsonl`,
//! the spec in every row), and the warnings of `run` (most trials diverged;
//! the theory outside its range or far from the measurement).

use crate::common::child::simsgd;
use serde_json::Value;
use std::collections::HashMap;

/// `simsgd run ARGS --backend cpu -q`: its stdout (exit 0, stderr empty).
#[track_caller]
fn run(args: &[&str]) -> String {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--backend", "cpu", "-q"]);
    let out = simsgd(&full);
    assert!(out.status.is_some_and(|s| s.success()), "simsgd {full:?}: {:?} {}", out.status, out.stderr);
    assert!(out.stderr.is_empty(), "simsgd {full:?} wrote to stderr: {}", out.stderr);
    out.stdout
}

/// The CSV's rows as column → value maps.
fn rows(csv_text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(String::from).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("a well-formed row").iter().map(String::from)).collect())
        .collect()
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column].parse().unwrap_or_else(|_| panic!("{column} of {row:?}"))
}

/// The JSON object of a single run.
fn json(args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    serde_json::from_str(&run(&full)).expect("one JSON object")
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"].as_array().expect("warnings").iter().map(|w| w.as_str().unwrap().to_string()).collect()
}

/// Issue 18's must-hold: `--eta 0.05..0.25:lin:5 --csv -` prints one tidy
/// table on stdout, five final rows per metric, each with its η and seed;
/// each point is the single run of its η and seed, reproduced exactly.
#[test]
fn an_eta_range_is_one_tidy_table_of_reproducible_points() {
    let text = run(&["gauss", "--eta", "0.05..0.25:lin:5", "--trials", "4000", "--csv", "-"]);
    let all = rows(&text);
    let test: Vec<_> = all.iter().filter(|r| r["kind"] == "final" && r["observable"] == "test_loss").collect();
    assert_eq!(test.len(), 5, "{text}");
    let etas: Vec<&str> = test.iter().map(|r| r["eta"].as_str()).collect();
    assert_eq!(etas, ["0.05", "0.1", "0.15", "0.2", "0.25"]);
    for metric in ["train_loss", "gen_gap", "h"] {
        assert_eq!(all.iter().filter(|r| r["kind"] == "final" && r["observable"] == metric).count(), 5, "{metric}");
    }
    for r in &all {
        assert!(r["landscape"] == "gauss" && r["trials"] == "4000" && r["steps"] == "1" && r["train_size"] == "1");
        assert!(r["backend"] == "cpu" && !r["version"].is_empty() && r["diverged"] == "0", "{r:?}");
    }
    let mut seeds: Vec<&str> = test.iter().map(|r| r["seed"].as_str()).collect();
    seeds.dedup();
    assert_eq!(seeds.len(), 5, "each point its own stream: {seeds:?}");
    // The row's seed reproduces it as a single run.
    let third = test[2];
    let single = json(&["gauss", "--eta", "0.15", "--trials", "4000", "--seed", &third["seed"]]);
    assert_eq!(single["metrics"]["test_loss"]["mean"].as_f64(), Some(num(third, "mean")));
    assert!(single["sweep"].is_null());
}

/// `--same-seed` runs every point on --seed (common random numbers), and
/// `--jsonl` prints one compact object per point with its place.
#[test]
fn same_seed_and_json_lines() {
    let text = run(&["gauss", "--eta", "0.1,0.2", "--trials", "2000", "--seed", "7", "--same-seed", "--jsonl"]);
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("one object a line")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (i, (v, eta)) in lines.iter().zip([0.1, 0.2]).enumerate() {
        assert_eq!(v["seed"].as_u64(), Some(7));
        assert_eq!(v["eta"].as_f64(), Some(eta));
        assert_eq!(v["sweep"]["index"].as_u64(), Some(i as u64));
        assert_eq!(v["sweep"]["at"]["eta"].as_f64(), Some(eta));
        assert_eq!(v["sweep"]["same_seed"].as_bool(), Some(true));
    }
    // The same training sets: θ after one step of gauss is −η·x, so the
    // mean of h at η = 0.2 is twice that at η = 0.1, to rounding.
    let h = |v: &Value| v["metrics"]["theta"][0]["mean"].as_f64().unwrap();
    assert!((h(&lines[1]) - 2.0 * h(&lines[0])).abs() < 1e-12, "{} {}", h(&lines[0]), h(&lines[1]));
}

/// A parameter's list and a batch list span a Cartesian grid (the grid's
/// flags slower than the parameters); the table ends with the sweep's summary.
#[test]
fn parameters_and_grids_sweep() {
    let args = [
        "mean-estimation",
        "--param",
        "H=0.5,1,S=2",
        "--batch",
        "1,2",
        "--train-size",
        "4",
        "--epochs",
        "1",
        "--trials",
        "1000",
    ];
    let mut csv_args = args.to_vec();
    csv_args.extend(["--csv", "-"]);
    let all = rows(&run(&csv_args));
    let test: Vec<_> = all.iter().filter(|r| r["kind"] == "final" && r["observable"] == "test_loss").collect();
    let grid: Vec<(&str, &str, &str, &str)> =
        test.iter().map(|r| (r["batch"].as_str(), r["H"].as_str(), r["S"].as_str(), r["steps"].as_str())).collect();
    assert_eq!(grid, [("1", "0.5", "2", "4"), ("1", "1", "2", "4"), ("2", "0.5", "2", "2"), ("2", "1", "2", "2")]);
    let table = run(&args);
    assert!(table.contains("sweep: 4 points; each point its own seed stream, derived from --seed 0"), "{table}");
}

/// Issue 18's must-hold: the Valley of Death at its default η diverges in
/// most trials, and says that its means are the survivors'.
#[test]
fn most_trials_diverging_is_a_warning() {
    let v = json(&["valley-of-death", "--trials", "20000"]);
    let (diverged, trials) = (v["diverged"].as_u64().unwrap(), 20000);
    assert!(diverged > trials / 2, "{diverged}");
    let d = &v["divergence"];
    assert_eq!(d["k"].as_u64(), Some(diverged));
    let rate = diverged as f64 / trials as f64;
    assert!(d["ci95"][0].as_f64().unwrap() < rate && rate < d["ci95"][1].as_f64().unwrap(), "{d}");
    let w = warnings(&v);
    assert!(w.len() == 1 && w[0].contains("survivors only") && w[0].contains("divergence rate"), "{w:?}");
    let table = run(&["valley-of-death", "--trials", "20000"]);
    assert!(table.contains("survivors' mean") && table.contains("warning: "), "{table}");
    // Gauss at its default η: no warning.
    assert!(warnings(&json(&["gauss", "--trials", "2000"])).is_empty());
}

/// Issue 18's must-hold: the series far outside its range (Mean Estimation
/// under GD, ηTH = 2.5: a negative predicted loss, z in the thousands) and
/// the README's Archimedes example (z ≈ 14) warn, naming --resum; the
/// re-summed prediction agrees and does not.
#[test]
fn the_theory_says_when_it_does_not_apply() {
    let me = ["mean-estimation", "--optimizer", "gd", "--param", "H=0.5,S=2", "--train-size", "20", "--steps", "50"];
    let mut args = me.to_vec();
    args.extend(["--trials", "20000", "--theory"]);
    let w = warnings(&json(&args));
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].contains("η·T·λ_max(H) = 2.5") && w[1].contains("below 0"), "{w:?}");
    assert!(w[2].contains("theory and Monte Carlo disagree") && w.iter().all(|w| w.contains("--resum")), "{w:?}");
    args.push("--resum");
    let v = json(&args);
    assert!(warnings(&v).is_empty(), "{:?}", warnings(&v));
    assert!(v["theory"]["z"]["test_loss"].as_f64().unwrap().abs() < 5.0);

    let v = json(&["archimedes", "--eta", "0.02", "--theory"]);
    let w = warnings(&v);
    assert!(w.len() == 1 && w[0].contains("disagree") && w[0].contains("--resum"), "{w:?}");
    let table = run(&["archimedes", "--eta", "0.02", "--theory"]);
    assert!(table.contains("warning: theory and Monte Carlo disagree"), "{table}");
}
