//! The `simsgd` binary end to end: exit codes and one-line errors on bad
//! input, the shape of `--json` and `--csv`, determinism across thread counts,
//! `landscapes` and `--help`. Every run is small (a few thousand trials).

use serde_json::Value;
use simsgd::landscape::AnyLandscape;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args` (no progress bar, backtraces on so that a
/// panic could not hide).
fn simsgd(args: &[&str]) -> Output {
    simsgd_env(args, &[])
}

/// The same, with extra environment variables.
fn simsgd_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simsgd"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .envs(env.iter().copied())
        .output()
        .expect("the simsgd binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// `simsgd run ARGS... --trials 2000 -q` (ARGS may override the trials).
fn run_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run"];
    v.extend_from_slice(args);
    if !args.contains(&"--trials") {
        v.extend_from_slice(&["--trials", "2000"]);
    }
    v.push("-q");
    v
}

/// Asserts the run succeeds, with nothing on stderr, and returns its stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = simsgd(args);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "simsgd {args:?} failed with {:?}: {stderr}", out.status.code());
    assert!(stderr.is_empty(), "simsgd {args:?} wrote to stderr: {stderr}");
    text(&out.stdout)
}

/// Asserts the run prints exactly one JSON object on stdout, and returns it.
#[track_caller]
fn json(args: &[&str]) -> Value {
    let mut full = run_args(args);
    full.push("--json");
    let stdout = ok(&full);
    let values: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("simsgd {full:?}: stdout is not JSON ({e}): {stdout}"));
    assert_eq!(values.len(), 1, "simsgd {full:?}: expected one JSON value, got {}: {stdout}", values.len());
    let v = values.into_iter().next().unwrap();
    assert!(v.is_object(), "simsgd {full:?}: not an object: {v}");
    v
}

/// Asserts bad input: exit code 2, exactly one line on stderr starting with
/// `simsgd: error:`, nothing on stdout, no panic.
#[track_caller]
fn usage_error(args: &[&str]) {
    one_line_error(args, &simsgd(args));
}

#[track_caller]
fn one_line_error(args: &[&str], out: &Output) {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "simsgd {args:?}: exit status {:?}, stderr: {stderr}", out.status.code());
    assert!(stdout.is_empty(), "simsgd {args:?}: stdout not empty: {stdout}");
    let lower = stderr.to_lowercase();
    assert!(!lower.contains("panicked") && !lower.contains("backtrace"), "simsgd {args:?} panicked: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "simsgd {args:?}: expected one line on stderr, got: {stderr:?}");
    assert!(stderr.starts_with("simsgd: error:") && stderr.ends_with('\n'), "simsgd {args:?}: stderr is {stderr:?}");
    assert!(stderr.trim_end().len() > "simsgd: error:".len(), "simsgd {args:?}: empty message");
}

/// A fresh directory for this test process and `name`, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("simsgd-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// File names in the directory, sorted.
    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read temp dir")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- bad input

/// Without a subcommand: one line that names every subcommand.
#[test]
fn missing_subcommand_names_every_subcommand() {
    usage_error(&[]);
    let stderr = text(&simsgd(&[]).stderr);
    assert!(stderr.contains("(run, merge, bench, stats, predict, figure, landscapes)"), "{stderr}");
}

#[test]
fn unknown_landscape_is_a_usage_error() {
    usage_error(&run_args(&["no-such-landscape"]));
}

#[test]
fn unknown_param_name_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--param", "H=1"]));
    usage_error(&run_args(&["mean-estimation", "--param", "Q=1"]));
}

#[test]
fn malformed_param_is_a_usage_error() {
    usage_error(&run_args(&["mean-estimation", "--param", "H"]));
    usage_error(&run_args(&["mean-estimation", "--param", "H=abc"]));
    usage_error(&run_args(&["mean-estimation", "--param", "H="]));
}

#[test]
fn non_finite_param_is_a_usage_error() {
    usage_error(&run_args(&["mean-estimation", "--param", "H=nan"]));
    usage_error(&run_args(&["mean-estimation", "--param", "S=inf"]));
}

#[test]
fn non_positive_or_non_finite_eta_is_a_usage_error() {
    for eta in ["0", "-0.1", "nan", "inf", "-inf"] {
        usage_error(&run_args(&["gauss", "--eta", eta]));
    }
}

#[test]
fn zero_trials_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--trials", "0"]));
}

#[test]
fn batch_not_dividing_n_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--train-size", "10", "--batch", "3"]));
}

#[test]
fn malformed_init_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--init", "1,2"]));
    usage_error(&run_args(&["archimedes", "--init", "1,2"]));
    usage_error(&run_args(&["gauss", "--init", "a"]));
    usage_error(&run_args(&["gauss", "--init", "nan"]));
    usage_error(&run_args(&["shifting-valleys", "--init", "1,inf"]));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--no-such-flag"]));
    usage_error(&["no-such-command"]);
    usage_error(&[]);
}

#[test]
fn zero_record_every_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--record-every", "0"]));
}

#[test]
fn zero_substeps_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--optimizer", "sde", "--substeps", "0"]));
    usage_error(&run_args(&["gauss", "--optimizer", "ode", "--substeps", "0"]));
}

#[test]
fn non_positive_diverge_at_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--diverge-at", "0"]));
    usage_error(&run_args(&["gauss", "--diverge-at", "nan"]));
}

#[test]
fn gd_with_batch_and_no_compare_is_a_usage_error() {
    usage_error(&run_args(&["gauss", "--optimizer", "gd", "--batch", "2"]));
}

#[test]
fn csv_into_a_missing_directory_is_a_usage_error() {
    let dir = TempDir::new("missing-dir");
    let target = dir.path().join("missing").join("out.csv");
    let target = target.to_str().unwrap();
    usage_error(&run_args(&["gauss", "--csv", target]));
    assert!(dir.entries().is_empty(), "left behind: {:?}", dir.entries());
}

// ---------------------------------------------------------------- --json

#[track_caller]
fn assert_number(v: &Value, what: &str) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// A summary: mean and stderr numbers (stderr may be null), ci95 two numbers.
#[track_caller]
fn assert_summary(v: &Value, what: &str, with_ci: bool) {
    assert!(v.is_object(), "{what} is not an object: {v}");
    let mean = assert_number(&v["mean"], &format!("{what}.mean"));
    assert!(v["stderr"].is_null() || v["stderr"].is_f64() || v["stderr"].is_u64(), "{what}.stderr: {}", v["stderr"]);
    if with_ci {
        let ci = v["ci95"].as_array().unwrap_or_else(|| panic!("{what}.ci95 is not an array: {v}"));
        assert_eq!(ci.len(), 2, "{what}.ci95: {v}");
        let lo = assert_number(&ci[0], &format!("{what}.ci95[0]"));
        let hi = assert_number(&ci[1], &format!("{what}.ci95[1]"));
        assert!(lo <= mean && mean <= hi, "{what}: mean outside its CI: {v}");
    }
}

#[track_caller]
fn assert_metrics(m: &Value, weights: usize, what: &str) {
    for key in ["test_loss", "train_loss", "gen_gap"] {
        assert_summary(&m[key], &format!("{what}.{key}"), true);
    }
    let theta = m["theta"].as_array().unwrap_or_else(|| panic!("{what}.theta is not an array: {m}"));
    assert_eq!(theta.len(), weights, "{what}.theta: one entry per weight");
    for (i, t) in theta.iter().enumerate() {
        assert_summary(t, &format!("{what}.theta[{i}]"), true);
    }
}

#[test]
fn json_report_has_the_documented_keys() {
    let v = json(&["archimedes", "--seed", "3"]);
    for key in [
        "landscape",
        "optimizer",
        "backend",
        "eta",
        "steps",
        "train_size",
        "batch",
        "epochs",
        "trials",
        "seed",
        "diverged",
        "elapsed_s",
        "metrics",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}: {v}");
    }
    assert_eq!(v["landscape"], "archimedes");
    assert_eq!(v["optimizer"], "sgd");
    assert_eq!(v["backend"], "cpu");
    assert_eq!(v["eta"].as_f64(), Some(0.1));
    assert_eq!(v["steps"].as_u64(), Some(10));
    assert_eq!(v["train_size"].as_u64(), Some(10));
    assert_eq!(v["batch"].as_u64(), Some(1));
    assert_eq!(v["epochs"].as_u64(), Some(1));
    assert_eq!(v["trials"].as_u64(), Some(2000));
    assert_eq!(v["seed"].as_u64(), Some(3));
    assert_eq!(v["diverged"].as_u64(), Some(0));
    assert!(assert_number(&v["elapsed_s"], "elapsed_s") >= 0.0);
    assert_metrics(&v["metrics"], 3, "metrics");
    assert!(v.get("paired").is_none(), "paired without --compare: {v}");
    assert!(v.get("curve").is_none(), "curve without --record-every: {v}");
}

/// The registry's description of a landscape at its defaults.
fn describe(name: &str) -> simsgd::landscape::Description {
    AnyLandscape::from_name(name, &[]).unwrap().describe()
}

#[test]
fn json_theta_has_one_entry_per_weight() {
    for landscape in AnyLandscape::NAMES {
        let v = json(&[landscape, "--eta", "0.01"]);
        assert_eq!(v["landscape"], *landscape);
        assert_metrics(&v["metrics"], describe(landscape).weights.len(), landscape);
    }
}

#[test]
fn json_with_compare_reports_paired_differences() {
    let v = json(&["shifting-valleys", "--compare", "gd"]);
    let p = &v["paired"];
    assert!(p.is_object(), "no paired object: {v}");
    assert_eq!(p["optimizer"], "gd");
    assert_summary(&p["test_loss_diff"], "paired.test_loss_diff", true);
    assert_summary(&p["gen_gap_diff"], "paired.gen_gap_diff", true);
    assert_metrics(&p["metrics"], 2, "paired.metrics");
}

#[test]
fn json_with_record_every_reports_the_curve() {
    let v = json(&["archimedes", "--record-every", "2", "--steps", "10"]);
    let curve = v["curve"].as_array().unwrap_or_else(|| panic!("no curve array: {v}"));
    let steps: Vec<u64> = curve.iter().map(|c| c["step"].as_u64().expect("step is an integer")).collect();
    assert_eq!(steps, [0, 2, 4, 6, 8, 10]);
    for c in curve {
        let what = format!("curve step {}", c["step"]);
        assert_summary(&c["test_loss"], &format!("{what} test_loss"), false);
        let theta = c["theta"].as_array().expect("curve theta is an array");
        assert_eq!(theta.len(), 3, "{what}: one theta per weight");
        for t in theta {
            assert_summary(t, &format!("{what} theta"), false);
        }
    }
    // The last point of the curve is the final state.
    let last = curve.last().unwrap();
    assert_eq!(last["test_loss"]["mean"], v["metrics"]["test_loss"]["mean"]);
}

#[test]
fn zero_steps_reports_the_exact_loss_at_the_init() {
    // l(A, B) = A + B² = 2 at (1, 1); every trial sits at the init.
    let v = json(&["shifting-valleys", "--steps", "0"]);
    assert_eq!(v["steps"].as_u64(), Some(0));
    let t = &v["metrics"]["test_loss"];
    assert_eq!(t["mean"].as_f64(), Some(2.0), "test loss: {t}");
    assert!(t["stderr"].is_null() || t["stderr"].as_f64() == Some(0.0), "stderr of identical trials: {t}");
    for (i, th) in v["metrics"]["theta"].as_array().unwrap().iter().enumerate() {
        assert_eq!(th["mean"].as_f64(), Some(1.0), "theta[{i}]: {th}");
    }
}

// ---------------------------------------------------------------- --csv

/// The measurement's columns; the resolved spec's follow (`diverged,
/// landscape`, the parameters, `eta, …, version`).
const CSV_HEADER: &str = "optimizer,arm,kind,observable,step,n,mean,stderr,ci95_lo,ci95_hi,theory,diverged,landscape,";

/// The CSV's data rows (header checked) as string records.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let raw = std::fs::read_to_string(path).expect("the CSV exists");
    let header = raw.lines().next().unwrap_or_default();
    assert!(header.starts_with(CSV_HEADER) && header.ends_with(",trials,seed,backend,version"), "header of {raw}");
    let columns = header.split(',').count();
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed CSV row");
            assert_eq!(r.len(), columns, "row {r:?}");
            // The arm (column 1) follows from the optimizer and kind; the
            // callers read the rest by position.
            let (optimizer, arm, kind) = (&r[0], &r[1], &r[2]);
            let want = match kind {
                "paired" => "paired",
                _ if optimizer == "sgd" || !raw.contains(",compared,") => "primary",
                _ => "compared",
            };
            assert_eq!(arm, want, "row {r:?}");
            r.iter().enumerate().filter(|&(i, _)| i != 1).map(|(_, x)| x.to_string()).collect()
        })
        .collect()
}

fn rows<'a>(rows: &'a [Vec<String>], optimizer: &str, kind: &str) -> Vec<&'a Vec<String>> {
    rows.iter().filter(|r| r[0] == optimizer && r[1] == kind).collect()
}

fn observables(rows: &[&Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| r[2].clone()).collect()
}

#[test]
fn csv_has_final_paired_and_curve_rows_and_no_temporary() {
    let dir = TempDir::new("csv");
    let path = dir.path().join("out.csv");
    let p = path.to_str().unwrap();
    let v = json(&["archimedes", "--compare", "gd", "--record-every", "5", "--steps", "10", "--csv", p]);
    assert_eq!(dir.entries(), ["out.csv"], "temporary left behind");
    let all = read_csv(&path);

    let final_sgd = rows(&all, "sgd", "final");
    assert_eq!(observables(&final_sgd), ["test_loss", "train_loss", "gen_gap", "u", "v", "z"]);
    for r in &final_sgd {
        assert_eq!(r[3], "10", "final rows are at step T: {r:?}");
        assert_eq!(r[4], "2000", "n: {r:?}");
        let [mean, se, lo, hi] = [&r[5], &r[6], &r[7], &r[8]].map(|x| x.parse::<f64>().unwrap());
        assert!(se >= 0.0 && lo <= mean && mean <= hi, "row {r:?}");
    }
    // The CSV carries the same numbers as the JSON.
    let test_mean: f64 = final_sgd[0][5].parse().unwrap();
    assert_eq!(Some(test_mean), v["metrics"]["test_loss"]["mean"].as_f64(), "CSV and JSON test-loss means");

    assert_eq!(observables(&rows(&all, "gd", "final")), ["test_loss", "train_loss", "gen_gap", "u", "v", "z"]);
    let paired = rows(&all, "sgd-gd", "paired");
    assert_eq!(observables(&paired), ["test_loss", "gen_gap"]);
    let diff: f64 = paired[0][5].parse().unwrap();
    assert_eq!(Some(diff), v["paired"]["test_loss_diff"]["mean"].as_f64(), "CSV and JSON paired test-loss difference");

    let curve = rows(&all, "sgd", "curve");
    let mut points: Vec<(String, String)> = curve.iter().map(|r| (r[3].clone(), r[2].clone())).collect();
    points.sort();
    let mut expected: Vec<(String, String)> = ["0", "5", "10"]
        .iter()
        .flat_map(|s| {
            ["test_loss", "train_loss", "gen_gap", "u", "v", "z"].iter().map(move |o| (s.to_string(), o.to_string()))
        })
        .collect();
    expected.sort();
    assert_eq!(points, expected, "curve rows");

    // Without --compare and --record-every: only the final rows; the file is
    // replaced whole.
    ok(&run_args(&["gauss", "--csv", p]));
    assert_eq!(dir.entries(), ["out.csv"], "temporary left behind");
    let all = read_csv(&path);
    assert!(all.iter().all(|r| r[0] == "sgd" && r[1] == "final"));
    assert_eq!(observables(&all.iter().collect::<Vec<_>>()), ["test_loss", "train_loss", "gen_gap", "h"]);
}

// ---------------------------------------------------------------- determinism

/// The report without what legitimately differs between runs.
fn numbers(mut v: Value) -> Value {
    let obj = v.as_object_mut().unwrap();
    obj.remove("elapsed_s");
    obj.remove("threads");
    v
}

#[test]
fn same_seed_gives_the_same_numbers_on_any_thread_count() {
    for args in [
        &["archimedes", "--compare", "gd", "--record-every", "3", "--seed", "7"][..],
        &["gauss", "--optimizer", "sde", "--compare", "sgd", "--seed", "7"][..],
        &["shifting-valleys", "--train-size", "6", "--batch", "2", "--epochs", "3", "--shuffle"][..],
    ] {
        let one = json(&[args, &["--threads", "1", "--trials", "3001"][..]].concat());
        let two = json(&[args, &["--threads", "2", "--trials", "3001"][..]].concat());
        assert_eq!(one["metrics"], two["metrics"], "{args:?}: metrics differ");
        assert_eq!(numbers(one), numbers(two), "{args:?}: reports differ");
    }
}

#[test]
fn different_seeds_give_different_numbers() {
    let a = json(&["gauss", "--seed", "1"]);
    let b = json(&["gauss", "--seed", "2"]);
    let (ma, mb) =
        (a["metrics"]["test_loss"]["mean"].as_f64().unwrap(), b["metrics"]["test_loss"]["mean"].as_f64().unwrap());
    assert_ne!(ma, mb, "seeds 1 and 2 gave the same test loss");
    // And the same seed twice is the same run.
    let c = json(&["gauss", "--seed", "1"]);
    assert_eq!(a["metrics"], c["metrics"]);
}

// ---------------------------------------------------------------- landscapes, help

/// The listed landscapes are listed; the test-only ones resolve by name but
/// are not.
#[test]
fn landscapes_lists_the_listed_names() {
    let out = ok(&["landscapes"]);
    let first_words: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for name in AnyLandscape::NAMES {
        let listed = describe(name).listed;
        assert_eq!(AnyLandscape::LISTED.contains(name), listed, "{name}");
        assert_eq!(first_words.contains(name), listed, "{name} listed: {listed}, output:\n{out}");
    }
    assert!(AnyLandscape::LISTED.len() >= 5, "the paper's five landscapes");
}

#[test]
fn landscapes_json_is_an_array_of_the_listed_descriptions() {
    let out = ok(&["landscapes", "--json"]);
    let v: Value = serde_json::from_str(&out).expect("landscapes --json parses");
    let list = v.as_array().expect("an array");
    let names: Vec<&str> = list.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, AnyLandscape::LISTED);
    for l in list {
        for key in ["name", "formula", "weights", "params", "init"] {
            assert!(l.get(key).is_some(), "missing {key}: {l}");
        }
        assert!(l["formula"].as_str().is_some_and(|f| !f.is_empty()));
        let weights = l["weights"].as_array().expect("weights array");
        let init = l["init"].as_array().expect("init array");
        assert_eq!(weights.len(), init.len(), "{l}");
        let params: Vec<&str> = l["params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        let want: Vec<String> = describe(l["name"].as_str().unwrap()).params.iter().map(|p| p.name.clone()).collect();
        assert_eq!(params, want, "{l}");
    }
}

#[test]
fn help_exits_zero() {
    let out = ok(&["--help"]);
    assert!(out.contains("run") && out.contains("landscapes"), "{out}");
    let out = ok(&["run", "--help"]);
    assert!(out.contains("--eta") && out.contains("--json"), "{out}");
}

#[test]
fn gpu_backend_without_a_matching_adapter_is_a_one_line_error() {
    let args = ["run", "gauss", "--backend", "gpu", "--trials", "100"];
    let out = simsgd_env(&args, &[("SIMSGD_ADAPTER", "no-such-adapter-xyz")]);
    one_line_error(&args, &out);
    assert!(text(&out.stderr).contains("GPU"), "{}", text(&out.stderr));
}

/// `$SIMSGD_FUSE` (a sweep's fused dispatches on the GPU) is 0 or 1; anything
/// else is the user's mistake, refused under `auto` too rather than taken
/// for a missing GPU.
#[cfg(feature = "gpu")]
#[test]
fn a_bad_fuse_setting_is_a_one_line_error() {
    for backend in ["gpu", "auto"] {
        let args = ["run", "gauss", "--backend", backend, "--trials", "100"];
        let out = simsgd_env(&args, &[("SIMSGD_FUSE", "yes")]);
        one_line_error(&args, &out);
        assert!(text(&out.stderr).contains("$SIMSGD_FUSE must be 0 or 1, got 'yes'"), "{}", text(&out.stderr));
    }
}

#[test]
fn auto_backend_falls_back_to_the_cpu_with_a_notice() {
    let args = ["run", "gauss", "--backend", "auto", "--trials", "100", "--json"];
    let out = simsgd_env(&args, &[("SIMSGD_ADAPTER", "no-such-adapter-xyz")]);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let notice = if cfg!(feature = "gpu") { "no GPU adapter opened" } else { "this simsgd was built without the GPU" };
    assert!(stderr.starts_with(&format!("simsgd: {notice}")), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "cpu");
    assert!(v.get("adapter").is_none());
}

#[test]
fn bench_measures_every_workload() {
    let stdout = ok(&[
        "bench",
        "--landscape",
        "archimedes",
        "--trials",
        "1000",
        "--steps",
        "4",
        "--repeats",
        "1",
        "--no-peers",
        "--backend",
        "cpu",
        "--json",
        "-q",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let workloads: Vec<&str> = rows.iter().map(|r| r["workload"].as_str().unwrap()).collect();
    assert_eq!(workloads, ["sgd", "sgd-epochs", "gd", "sde"]);
    for r in rows {
        assert!(r["traj_steps_per_s"].as_f64().unwrap() > 0.0 && r["min_s"].as_f64() <= r["median_s"].as_f64());
        assert_eq!(r["trials"], 1000);
    }
    usage_error(&["bench", "--trials", "0"]);
    usage_error(&["bench", "--landscape", "nope"]);
}

/// A network preset benches the network study: run-steps per second of the
/// CPU backend and the NumPy peer (which trains a tenth of the runs), and
/// the PyTorch peers skipped with the reason.
#[test]
fn bench_measures_the_network_study() {
    let stdout = ok(&[
        "bench",
        "--landscape",
        "li-gauss2",
        "--trials",
        "40",
        "--steps",
        "20",
        "--repeats",
        "1",
        "--peers",
        "numpy,torch",
        "--json",
        "-q",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let all = v["rows"].as_array().unwrap();
    // The GPU's row, where an adapter opens (lavapipe trains 40 / 20 runs).
    let (gpu, rows): (Vec<&Value>, Vec<&Value>) =
        all.iter().partition(|r| r["backend"].as_str().unwrap().starts_with("gpu"));
    if std::env::var("SIMSGD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        assert_eq!(gpu.len(), 1, "{all:?}");
    }
    for g in &gpu {
        assert!(g["trials"].as_u64() == Some(40) || g["trials"].as_u64() == Some(2), "{g}");
        assert!(g["traj_steps_per_s"].as_f64().unwrap() > 0.0, "{g}");
    }
    let backends: Vec<&str> = rows.iter().map(|r| r["backend"].as_str().unwrap()).collect();
    assert_eq!(backends.len(), 3, "{backends:?}");
    assert!(backends[0].starts_with("cpu"), "{backends:?}");
    assert_eq!((rows[0]["workload"].as_str(), rows[0]["trials"].as_u64()), (Some("network"), Some(40)));
    assert!(rows[0]["traj_steps_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(rows[1]["trials"], 4);
    assert!(rows[1]["note"].is_null() && rows[1]["traj_steps_per_s"].as_f64().unwrap() > 0.0, "{}", rows[1]);
    assert!(rows[2]["note"].as_str().unwrap().contains("no PyTorch peer of the network study"));
    usage_error(&["bench", "--landscape", "li-gauss2", "--workload", "sgd"]);
}

/// A landscape that benches/numpy_peer.py does not implement (the test-only
/// Tilted Bowl, or any new one) is benched all the same, the peer skipped with
/// a note.
#[test]
fn bench_skips_a_peer_without_the_landscape() {
    let stdout = ok(&[
        "bench",
        "--landscape",
        "tilted-bowl",
        "--workload",
        "sgd",
        "--trials",
        "200",
        "--steps",
        "2",
        "--repeats",
        "1",
        "--backend",
        "cpu",
        "--json",
        "-q",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["backend"].as_str().unwrap().starts_with("cpu") && r.get("note").is_none()));
    let numpy = rows.iter().find(|r| r["backend"] == "numpy").expect("a numpy row");
    let note = numpy["note"].as_str().expect("a note");
    assert!(note.starts_with("peer skipped: "), "{note}");
    let has_numpy = Command::new(std::env::var("SIMSGD_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_numpy {
        assert!(note.contains("numpy_peer.py does not implement tilted-bowl"), "{note}");
    }
}

/// `--peers jax`: a JAX row with a rate where JAX is importable, otherwise a
/// row saying that JAX is missing; a Python whose `import jax` fails (a stand-in
/// package on PYTHONPATH) always gives the latter. `--peers` refuses unknown
/// names and `--no-peers` beside it.
#[test]
fn bench_runs_the_chosen_peers() {
    let args = [
        "bench",
        "--quick",
        "--landscape",
        "archimedes",
        "--workload",
        "sgd",
        "--peers",
        "jax",
        "--backend",
        "cpu",
        "--repeats",
        "1",
        "--json",
        "-q",
    ];
    let jax_row = |out: &Output| -> Value {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[0]["backend"].as_str().unwrap().starts_with("cpu"));
        let r = rows[1].clone();
        let label = r["backend"].as_str().unwrap();
        assert!(label.starts_with("jax (") && label.ends_with("f32)"), "{label}");
        r
    };
    let has_jax = Command::new(std::env::var("SIMSGD_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", "import jax"])
        .output()
        .is_ok_and(|o| o.status.success());
    let r = jax_row(&simsgd(&args));
    if has_jax {
        assert!(r.get("note").is_none(), "{r}");
        assert!(r["traj_steps_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["vs_numpy"].is_null(), "{r}");
    } else {
        let note = r["note"].as_str().expect("a note");
        assert!(note.starts_with("peer skipped: ") && note.contains("jax is missing"), "{note}");
    }
    let fake = std::env::temp_dir().join(format!("simsgd-no-jax-{}", std::process::id()));
    std::fs::create_dir_all(fake.join("jax")).unwrap();
    std::fs::write(fake.join("jax").join("__init__.py"), "raise ImportError('no jax here')\n").unwrap();
    let out = simsgd_env(&args, &[("PYTHONPATH", fake.to_str().unwrap())]);
    std::fs::remove_dir_all(&fake).unwrap();
    let r = jax_row(&out);
    let note = r["note"].as_str().expect("a note");
    assert!(note.contains("jax is missing"), "{note}");
    usage_error(&["bench", "--peers", "nope"]);
    usage_error(&["bench", "--peers", "numpy", "--no-peers"]);
}

#[test]
fn stats_reports_exact_statistics_and_unbiased_estimates() {
    let stdout = ok(&["stats", "shifting-valleys", "--json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    // l = A + B² = 2, G = (1, 2B), INT = 5, UNC = tr C = 16 at (1, 1) (derived in src/theory/statistics.rs).
    assert!((v["exact"]["l"].as_f64().unwrap() - 2.0).abs() < 1e-12);
    assert!((v["exact"]["named"]["INT"].as_f64().unwrap() - 5.0).abs() < 1e-12);
    assert!((v["exact"]["named"]["UNC"].as_f64().unwrap() - 16.0).abs() < 1e-12);
    for name in AnyLandscape::NAMES {
        let stdout = ok(&["stats", name, "--estimate", "--samples", "20000", "--seed", "4", "--json"]);
        let v: Value = serde_json::from_str(&stdout).unwrap();
        let exact = &v["exact"];
        let flat = |key: &str| -> Vec<f64> {
            let mut out = Vec::new();
            let mut stack = vec![&exact[key]];
            while let Some(x) = stack.pop() {
                match x {
                    Value::Array(a) => stack.extend(a.iter().rev()),
                    Value::Number(n) => out.push(n.as_f64().unwrap()),
                    _ => {}
                }
            }
            out
        };
        let mut want: Vec<f64> = ["l", "g", "h", "j", "c", "s", "hg_mixed"].iter().flat_map(|k| flat(k)).collect();
        want.push(exact["ghg_mixed"].as_f64().unwrap());
        want.extend(["INT", "UNC", "PAS", "TEM", "PER"].map(|k| exact["named"][k].as_f64().unwrap()));
        let est = v["estimate"]["values"].as_array().unwrap();
        assert_eq!(est.len(), want.len());
        for (e, w) in est.iter().zip(want) {
            let (value, se) = (e["value"].as_f64().unwrap(), e["stderr"].as_f64().unwrap());
            let ok =
                if se == 0.0 { (value - w).abs() < 1e-9 * (1.0 + w.abs()) } else { ((value - w) / se).abs() < 5.0 };
            assert!(ok, "{name} {}: {value} ± {se} vs exact {w}", e["name"]);
        }
    }
    usage_error(&["stats", "gauss", "--at", "nan"]);
    usage_error(&["stats", "archimedes", "--at", "1,2"]);
    usage_error(&["stats", "gauss", "--estimate", "--samples", "5"]);
}

/// `simsgd predict` on every registered landscape: its series starts at the
/// test loss of the init (c0 = l(θ0), the run at T = 0).
#[test]
fn predict_runs_on_every_landscape() {
    for name in AnyLandscape::NAMES {
        let v: Value = serde_json::from_str(&ok(&["predict", name, "--json"])).unwrap();
        let c0 = v["coefficients"]["test_loss"][0].as_f64().unwrap();
        let at_init = json(&[name, "--steps", "0", "--trials", "1"])["metrics"]["test_loss"]["mean"].as_f64().unwrap();
        assert!((c0 - at_init).abs() <= 1e-12 * (1.0 + c0.abs()), "{name}: c0 {c0} vs l(θ0) {at_init}");
    }
}

#[test]
fn predict_gives_the_exact_coefficients_and_run_sets_them_beside_the_measurement() {
    let coefficients = |args: &[&str]| -> Value {
        let stdout = ok(args);
        serde_json::from_str::<Value>(&stdout).unwrap()["coefficients"].clone()
    };
    let num = |v: &Value, i: usize| v[i].as_f64().unwrap();
    // The exact Shifting Valleys polynomials (tests/shifting_valleys.rs).
    let sgd = coefficients(&["predict", "shifting-valleys", "--steps", "10", "--json"]);
    assert!((num(&sgd["test_loss"], 2) - 800.0).abs() < 1e-9, "{sgd}");
    let gd = coefficients(&["predict", "shifting-valleys", "--optimizer", "gd", "--steps", "10", "--json"]);
    assert!((num(&gd["test_loss"], 2) - 890.0).abs() < 1e-9 && (num(&gd["gen_gap"], 2) + 432.4).abs() < 1e-9);
    assert_eq!(gd["theta"].as_array().unwrap().len(), 2);
    let three =
        coefficients(&["predict", "shifting-valleys", "--optimizer", "gd", "--steps", "10", "--order", "3", "--json"]);
    assert!((num(&three["test_loss"], 3) + 11841.6).abs() < 1e-8, "{three}");
    // Gauss, T = 1: c2 = 1/8 from the one diagram L(a, a) (½ E g² H).
    let text = ok(&["predict", "gauss", "--explain"]);
    assert!(text.contains("order 3") && text.contains("L(a, a)"), "{text}");
    usage_error(&["predict", "gauss", "--order", "5"]);
    usage_error(&["predict", "shifting-valleys", "--optimizer", "gdc", "--order", "3"]);
    assert!(ok(&["predict", "shifting-valleys", "--optimizer", "gdc"]).contains("order 2"));

    let v = json(&["shifting-valleys", "--eta", "0.01", "--compare", "gd", "--theory", "--backend", "cpu"]);
    let t = &v["theory"];
    assert_eq!(t["order"], 3);
    for key in ["test_loss", "train_loss", "gen_gap", "test_loss_diff"] {
        assert!(t[key].is_number() && t["z"][key].is_number(), "{key}: {t}");
    }
    assert_eq!(t["theta"].as_array().unwrap().len(), 2);
}

#[test]
fn gdc_runs_on_the_cpu_only() {
    usage_error(&["run", "shifting-valleys", "--optimizer", "gdc", "--backend", "gpu", "--trials", "100"]);
    let v = json(&["shifting-valleys", "--optimizer", "gdc", "--compare", "sgd"]);
    assert_eq!(v["backend"], "cpu");
    assert_eq!(v["optimizer"], "gdc");
    assert_eq!(v["batch"], 10);
}

/// `run --record-every --theory` on Archimedes reports the drift of z per
/// step (both per-trial estimators, with SEs) beside the re-summed velocity
/// and Corollary 1's laws, in JSON and CSV.
#[test]
fn archimedes_drift_report() {
    let dir = TempDir::new("drift");
    let csv = dir.path().join("drift.csv");
    let csv = csv.to_str().unwrap();
    let eta = 0.05;
    let v = json(&[
        "archimedes",
        "--steps",
        "2000",
        "--record-every",
        "10",
        "--eta",
        "0.05",
        "--theory",
        "--resum",
        "--backend",
        "cpu",
        "--compare",
        "sde",
        "--substeps",
        "8",
        "--csv",
        csv,
    ]);
    let d = &v["drift"];
    assert_eq!(
        (d["from_step"].as_u64(), d["to_step"].as_u64(), d["records"].as_u64()),
        (Some(1000), Some(2000), Some(101))
    );
    let velocity = d["theory"]["velocity"][2].as_f64().unwrap();
    assert!((velocity - eta * eta / (2.0 * (3.0 - 2.0 * eta))).abs() < 1e-12, "{velocity}");
    for estimator in ["slope", "conditional"] {
        let (mean, se) = (d[estimator][2]["mean"].as_f64().unwrap(), d[estimator][2]["stderr"].as_f64().unwrap());
        // What the estimator reads on the engine's E[θ(t)]: stationary by
        // T/2 here, so the velocity; the measurement within 4 SE, allowing
        // the theory's own O(η) relative error (docs/THEORY.md).
        let expected = d["theory"][format!("expected_{estimator}")][2].as_f64().unwrap();
        assert!((expected / velocity - 1.0).abs() < 1e-6, "{estimator}: {expected} vs {velocity}");
        assert!((mean - expected).abs() < 4.0 * se + 0.1 * eta * expected, "{estimator}: {mean} ± {se} vs {expected}");
        assert!(se < 0.02 * velocity, "{estimator}: SE {se} does not resolve the drift");
    }
    assert!((d["theory"]["error_estimate"][2].as_f64().unwrap() / (eta * velocity) - 1.0).abs() < 1e-6);
    assert_eq!(d["theory"]["consistent"], serde_json::json!([true, true, true]));
    let leading = d["theory"]["corollary_1"]["leading"][2].as_f64().unwrap();
    assert!((leading - eta * eta / 6.0).abs() < 1e-15);
    let relative = d["theory"]["leading_relative_error"][2].as_f64().unwrap();
    assert!((-0.06..-0.01).contains(&relative), "η²/6 is low by about 2η/3: {relative}");
    assert!(d["theory"]["leading_relative_error"][0].is_null(), "no law for u");
    // The SDE: its own velocity, and the slope alone (its K substeps' mean
    // step is not −ηG(θ_t)).
    let sde = &v["paired"]["drift"];
    let sde_velocity = sde["theory"]["velocity"][2].as_f64().unwrap();
    assert!((sde_velocity - eta * eta / (2.0 * (3.0 - 2.0 * eta / 8.0))).abs() < 1e-12, "{sde}");
    assert!(sde.get("conditional").is_none(), "{sde}");
    let text = std::fs::read_to_string(csv).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(",drift_")).collect();
    assert_eq!(rows.len(), 9, "SGD: slope and conditional, SDE: slope; 3 weights: {rows:?}");
    let expected = d["theory"]["expected_conditional"][2].as_f64().unwrap();
    let theory_of = |r: &str| r.split(',').nth(10).unwrap().parse::<f64>().unwrap();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("sgd,primary,drift_conditional,z,2000,")
                && (theory_of(r) / expected - 1.0).abs() < 1e-12),
        "{rows:?}"
    );
}

/// In the transient (T·ηλ small) the window's average drift is below the
/// velocity at T; the theory applies the estimators' own weights to E[θ(t)].
#[test]
fn drift_theory_uses_the_estimators_weights() {
    let v = json(&[
        "archimedes",
        "--steps",
        "100",
        "--record-every",
        "1",
        "--eta",
        "0.01",
        "--trials",
        "100000",
        "--theory",
        "--resum",
        "--backend",
        "cpu",
    ]);
    let t = &v["drift"]["theory"];
    let (velocity, expected) = (t["velocity"][2].as_f64().unwrap(), t["expected_slope"][2].as_f64().unwrap());
    assert!(expected < 0.95 * velocity, "window average {expected} vs velocity at T {velocity}");
    let (mean, se) =
        (v["drift"]["slope"][2]["mean"].as_f64().unwrap(), v["drift"]["slope"][2]["stderr"].as_f64().unwrap());
    assert!((mean - expected).abs() < 4.0 * se + 0.01 * expected, "{mean} ± {se} vs {expected}");
    assert!((mean - velocity).abs() > 10.0 * se, "the velocity at T would be refuted: {mean} ± {se} vs {velocity}");
    assert_eq!(t["consistent"], serde_json::json!([true, true, true]));
}

/// `predict` names the corollaries that apply to the plan, in text and JSON.
#[test]
fn predict_prints_the_corollaries_that_apply() {
    let corollaries = |args: &[&str]| -> Value {
        let stdout = ok(&[&["predict"], args, &["--json"]].concat());
        serde_json::from_str::<Value>(&stdout).unwrap()["corollaries"].clone()
    };
    let c = corollaries(&["archimedes", "--eta", "0.1", "--steps", "1000", "--resum"]);
    assert!((c["valley_drift"]["leading"][2].as_f64().unwrap() - 0.01 / 6.0).abs() < 1e-15, "{c}");
    assert!((c["valley_drift"]["resummed"][2].as_f64().unwrap() - 0.01 / 5.6).abs() < 1e-15, "{c}");
    assert!(c["continuous"]["sgd_minus_sde"].is_number() && c.get("epochs").is_none(), "{c}");
    let c = corollaries(&["mean-estimation", "--param", "H=2,S=3", "--optimizer", "gd", "--train-size", "5"]);
    assert!((c["tic_gap"].as_f64().unwrap() - 9.0 / 10.0).abs() < 1e-12, "{c}");
    let c = corollaries(&["shifting-valleys", "--train-size", "10", "--epochs", "2", "--eta", "0.001"]);
    assert_eq!(c["epochs"]["epochs"], 2);
    assert!(c["epochs"]["theta_law"].as_array().unwrap().len() == 2 && c.get("continuous").is_none(), "{c}");
    // Gauss at its isolated minimum: no valley to drift along; Corollary 5's
    // SGD − SDE starts at order 3 (docs/THEORY.md).
    let c = corollaries(&["gauss", "--steps", "1", "--order", "4"]);
    assert!(c.get("valley_drift").is_none(), "{c}");
    let diff = &c["continuous"]["sgd_minus_sde_coefficients"];
    // T(½H²C(1 − 1/K) − J·S/6) with H = C = ½, J = −½, S = −1, K = 16 (docs/THEORY.md).
    let c3 = 0.5 * 0.25 * 0.5 * (1.0 - 1.0 / 16.0) - 0.5 / 6.0;
    assert!(diff[2].as_f64().unwrap().abs() < 1e-12 && (diff[3].as_f64().unwrap() - c3).abs() < 1e-9, "{c}");
    let text = ok(&["predict", "archimedes", "--eta", "0.1", "--steps", "1000", "--resum"]);
    assert!(text.contains("1. drift per step along the valley") && text.contains("5. test loss, SGD − SDE"), "{text}");
}

/// Where a loss is not polynomial in x, `stats` and `run --theory` state
/// their rules' error as `predict` and `run` do (a number in the JSON, a
/// line in the warnings); a polynomial's statistics carry none.
#[test]
fn stats_and_theory_state_their_quadrature_error() {
    let cosine = ["--loss", "0.5*w^2 - w*cos(x)", "--weights", "w"];
    let stats = |loss: &str| -> Value {
        serde_json::from_str(&ok(&["stats", "--loss", loss, "--weights", "w", "--at", "1", "--json"])).unwrap()
    };
    let error = stats(cosine[1])["quadrature_error"].as_f64().expect("stated");
    assert!(error < 1e-9, "{error}");
    assert!(stats("0.5*w^2*x^2").get("quadrature_error").is_none());
    let run = json(&[&cosine[..], &["--init", "1", "--trials", "1000", "--steps", "3", "--theory"]].concat());
    let warnings: Vec<&str> = run["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings.iter().any(|w| w.contains("the coefficients come from a 32-node Gauss rule")), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains("test losses (and the SDE's noise) come from a 16-node")),
        "{warnings:?}"
    );
}

/// A landscape file's bad `law` is refused in one line naming the file, as
/// `--law` is (the same parser): exit 2, nothing on stdout.
#[test]
fn a_landscape_files_bad_law_names_the_file() {
    let dir = TempDir::new("bad-law");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "name = \"bad\"\nweights = [\"w\"]\nloss = \"w*x\"\nlaw = \"cauchy\"\n").unwrap();
    let path = file.to_str().unwrap();
    let args = ["run", "--landscape-file", path, "--backend", "cpu", "-q"];
    let out = simsgd(&args);
    one_line_error(&args, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "simsgd: error: {path}: law 'cauchy': expected normal, uniform, uniform(a,b), rademacher or student-t(nu)"
    );
    assert_eq!(stderr.trim_end(), want);
}

/// A formula's parse error (issue 19) is the one error line, then the
/// formula and a caret under the column: three lines, exit 2.
#[test]
fn a_formula_error_points_at_its_column() {
    let out = simsgd(&["run", "--loss", "0.5*(h + y^2)", "--weights", "h", "--backend", "cpu", "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with("simsgd: error: --loss: unknown name 'y'") && lines[0].ends_with("(column 10)"));
    assert_eq!(lines[1..], ["  0.5*(h + y^2)", "           ^"]);
    assert!(out.stdout.is_empty());
}
