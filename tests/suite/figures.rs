//! `simsgd figure --all --quick`: every figure renders (CSV, PNG, SVG), its
//! CSV has the documented columns, and where the theory is meant to hold
//! the measurement and the prediction agree within their tolerance; one
//! failing figure does not lose the others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn simsgd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_simsgd")).args(args).output().expect("runs")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simsgd-figures-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The CSV as rows of column → value (quoted fields, such as a command
/// line's comma lists, read whole).
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader.headers().expect("a header").iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(r.len(), header.len(), "{}: a ragged row", path.display());
            header.iter().cloned().zip(r.iter().map(String::from)).collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row.get(column).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no number in {column}: {row:?}"))
}

/// Decodes the PNG and checks that it is a real picture.
fn check_png(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("png exists")));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert!(info.width >= 800 && info.height >= 500, "{}: {}x{}", path.display(), info.width, info.height);
    let colours: std::collections::HashSet<&[u8]> = buf.chunks(info.line_size / info.width as usize).collect();
    assert!(colours.len() > 50, "{}: only {} colours: blank?", path.display(), colours.len());
}

#[track_caller]
fn agree(row: &HashMap<String, String>, theory: &str, k: f64, slack: f64) {
    let (mean, se, want) = (num(row, "mean"), num(row, "stderr"), num(row, theory));
    assert!((mean - want).abs() <= k * se + slack, "{theory}: {mean} ± {se} vs {want} in {row:?}");
}

#[test]
fn every_figure_renders_and_agrees_where_the_theory_holds() {
    let out = out_dir("all");
    let o = simsgd(&["figure", "--all", "--quick", "--backend", "cpu", "-q", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let listed = String::from_utf8_lossy(&simsgd(&["figure", "--list"]).stdout).to_string();
    let names: Vec<&str> = listed.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(names.len() >= 4, "{listed}");
    for name in &names {
        assert!(stderr.contains(&format!("figure {name}: ok")), "{name}: {stderr}");
        check_png(&out.join(format!("{name}.png")));
        let svg = std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.matches("<text").count() > 10, "{name}.svg");
        let rows = rows(&out.join(format!("{name}.csv")));
        assert!(!rows.is_empty());
        for column in ["n", "mean", "stderr", "ci95_lo", "ci95_hi"] {
            assert!(rows[0].contains_key(column), "{name}.csv lacks {column}");
        }
        rows.iter().for_each(|r| check_provenance(name, r));
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Corollary 1: the drift per step within 4 SE, allowing the theory's
    // relative O(η) error (docs/THEORY.md).
    let drift: Vec<_> =
        rows(&out.join("archimedes-drift.csv")).into_iter().filter(|r| r["kind"] == "drift_slope").collect();
    assert_eq!(drift.len(), 3);
    for r in &drift {
        agree(r, "theory_resummed", 4.0, 0.1 * num(r, "eta") * num(r, "theory_resummed"));
    }
    // Corollary 2 over the whole range of H.
    let overfit: Vec<_> = rows(&out.join("mean-estimation-overfit.csv"))
        .into_iter()
        .filter(|r| r["observable"] == "overfitting")
        .collect();
    assert_eq!(overfit.len(), 6, "six curvatures");
    for r in &overfit {
        agree(r, "theory_resummed", 4.0, 0.0);
    }
    // Corollary 5: order 4 within 4 SE.
    for r in &rows(&out.join("gauss-sgd-vs-sde.csv")) {
        agree(r, "theory_order4", 4.0, 0.0);
        assert!(num(r, "theory_order3") < 0.0 && num(r, "mean") < 0.0, "{r:?}");
    }
    // Small η·T: order 3 within 4 SE.
    // (At η = 0.0126, ηT = 0.13, Archimedes' order 3 is already 6 SE off.)
    let small: Vec<_> = rows(&out.join("test-loss-vs-eta.csv")).into_iter().filter(|r| num(r, "eta") < 0.006).collect();
    assert_eq!(small.len(), 3, "the smallest η of each landscape");
    for r in &small {
        agree(r, "theory_order3", 4.0, 0.0);
    }
    // Corollary 4: the engine's order 3 within 4 SE at the smallest η, and
    // the η² law its limit (within 2% there).
    let epochs: Vec<_> = rows(&out.join("epochs.csv")).into_iter().filter(|r| num(r, "eta") < 6e-4).collect();
    assert_eq!(epochs.len(), 4, "the smallest η of each M");
    for r in &epochs {
        agree(r, "theory_order3", 4.0, 0.0);
        assert!((num(r, "theory_eta2_law") / num(r, "theory_order3") - 1.0).abs() < 0.02, "{r:?}");
    }
    // Momentum (002 Fig. 4): order 3 within 4 SE at the smallest η; against
    // β at η = 0.005, within 4 SE plus 3% (1.8% at β = 0.9 with 10⁶ trials).
    let momentum = rows(&out.join("momentum.csv"));
    assert_eq!(momentum.len(), 16, "two grids × (4 η + 4 β)");
    for r in &momentum {
        match r["sweep"].as_str() {
            "eta" if num(r, "eta") < 0.0025 => agree(r, "theory_order3", 4.0, 0.0),
            "beta" => agree(r, "theory_order3", 4.0, 0.03 * num(r, "theory_order3").abs()),
            _ => {}
        }
    }
    // invhess: at λ = 0 it is SGD (order 3 within 4 SE on gauss at
    // η = 0.03); λ lowers the loss, measured and predicted.
    let invhess = rows(&out.join("invhess.csv"));
    let gauss: Vec<_> = invhess.iter().filter(|r| r["landscape"] == "gauss").collect();
    agree(gauss[0], "theory_order3", 4.0, 0.0);
    let last = gauss.last().unwrap();
    assert!(num(last, "mean") < num(gauss[0], "mean") && num(last, "theory_order3") < num(gauss[0], "theory_order3"));
    // Corollary 3: GDC is far closer to SGD than GD is, at every η; at the
    // smallest η SGD − GD matches its order-3 prediction.
    let gdc = rows(&out.join("gdc.csv"));
    for pair in gdc.chunks(2) {
        let (gd, gdc) = (&pair[0], &pair[1]);
        assert_eq!((gd["compare"].as_str(), gdc["compare"].as_str()), ("gd", "gdc"));
        assert!(num(gdc, "mean").abs() < 0.5 * num(gd, "mean").abs(), "{gd:?} vs {gdc:?}");
    }
    let smallest: Vec<_> =
        gdc.iter().filter(|r| r["compare"] == "gd" && [0.002, 0.0001].contains(&num(r, "eta"))).collect();
    assert_eq!(smallest.len(), 2, "the smallest η of each landscape");
    for r in smallest {
        agree(r, "theory", 4.0, 0.05 * num(r, "theory").abs());
    }
    // Seed 000 on Valley of Death: order 2 at the smallest η; GD − SGD per η²
    // against (T − 1)·TEM/4 on every init (the printed (TEM − PER) form is
    // refuted where it is resolved).
    let vod = rows(&out.join("valley-of-death.csv"));
    let small: Vec<_> = vod.iter().filter(|r| r["panel"] == "test_loss" && num(r, "eta") < 2e-5).collect();
    assert_eq!(small.len(), 1, "η = 1e-5");
    for r in small {
        agree(r, "theory_order2", 4.0, 0.0);
    }
    assert_eq!(vod.iter().filter(|r| r["panel"] != "test_loss").count(), 14, "7 inits, 2 panels");
    for r in vod.iter().filter(|r| r["panel"] != "test_loss") {
        agree(r, "theory_order_law", 4.0, 0.05 * num(r, "theory_order_law"));
    }
    let refuted = vod
        .iter()
        .filter(|r| r["panel"] == "gd_minus_sgd_per_eta2")
        .filter(|r| (num(r, "mean") - num(r, "seed000_printed")).abs() > 5.0 * num(r, "stderr"));
    assert!(refuted.count() >= 3, "the printed form should be excluded on several inits");
    // l2: plain GD from `run` equals its closed form, and tuning helps.
    let l2 = rows(&out.join("l2-regularization.csv"));
    assert_eq!(l2.iter().filter(|r| r["observable"] == "tuned_minus_gd").count(), 6, "six curvatures");
    for r in l2.iter().filter(|r| r["observable"] == "test_loss_gd") {
        assert!((num(r, "mean") / num(r, "gd_closed_form_mean") - 1.0).abs() < 1e-9, "{r:?}");
    }
    for r in l2.iter().filter(|r| r["observable"] == "tuned_minus_gd") {
        assert!(num(r, "ci95_hi") < 0.0, "tuning should help at H = {}: {r:?}", r["H"]);
    }
    // The breakdown map: the re-summed prediction of Mean Estimation (exact
    // for a quadratic) holds on the whole grid; at T = 1 and the smallest η
    // order 3 holds on every landscape (and at T = 1 over Valley of Death's η).
    let map = rows(&out.join("breakdown-map.csv"));
    for r in map.iter().filter(|r| r["landscape"] == "mean-estimation") {
        assert!(num(r, "z_resummed").abs() < 4.0, "{r:?}");
    }
    let corner: Vec<_> = map.iter().filter(|r| num(r, "T") == 1.0 && num(r, "eta") <= 0.005).collect();
    assert_eq!(corner.len(), 7, "one cell per landscape, all three of Valley of Death (its η are smaller)");
    for r in corner {
        assert!(num(r, "z_order3").abs() < 4.0, "{r:?}");
    }
    check_li_dynamics(&rows(&out.join("li-dynamics.csv")));
    check_li_loss_change(&rows(&out.join("li-loss-change.csv")));
    check_li_spectra(&rows(&out.join("li-spectra.csv")));
    check_li_alignment(&rows(&out.join("li-alignment.csv")));
    check_li_davis_kahan(&rows(&out.join("li-davis-kahan.csv")));
    check_li_theorem1(&rows(&out.join("li-theorem1.csv")));
    check_li_layers(&rows(&out.join("li-layers.csv")));
    check_li_pac_bayes(&rows(&out.join("li-pac-bayes.csv")));
    check_li_adaptive(&rows(&out.join("li-adaptive.csv")));
    let _ = std::fs::remove_dir_all(&out);
}

/// A row with a measured mean names the seed of the run behind it and the
/// command that regenerates it (issue 18): `simsgd run …`, or `simsgd
/// figure …` for what a figure computes itself. Only li-pac-bayes' noisy −
/// clean verdicts, differences of two studies whose own rows name them,
/// have neither.
#[track_caller]
fn check_provenance(name: &str, r: &HashMap<String, String>) {
    if r.get("mean").is_none_or(|m| m.is_empty()) || r.get("kind").is_some_and(|k| k == "noisy_minus_clean") {
        return;
    }
    assert!(r.get("seed").and_then(|s| s.parse::<u64>().ok()).is_some(), "{name}: no seed in {r:?}");
    let command = r.get("command").map_or("", String::as_str);
    assert!(["simsgd run ", "simsgd figure "].iter().any(|c| command.starts_with(c)), "{name}: no command in {r:?}");
}

/// The `simsgd run` of a figure row's command on the CPU backend, as CSV
/// rows.
fn rerun(command: &str) -> Vec<HashMap<String, String>> {
    let words = shell_words(command);
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    assert_eq!(args[..2], ["simsgd", "run"], "{command}");
    let o = simsgd(&[&args[1..], &["--backend", "cpu", "--csv", "-", "-q"][..]].concat());
    assert!(o.status.success(), "{command}: {}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_reader(&o.stdout[..]);
    let header: Vec<String> = reader.headers().expect("a header").iter().map(String::from).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

/// A command line's words as a POSIX shell splits them: '…' quotes
/// literally (a formula), a backslash escapes the next character.
fn shell_words(command: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => (quoted, started) = (!quoted, true),
            '\\' if !quoted => word.extend(chars.next()),
            c if c.is_whitespace() && !quoted => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// The mean of `observable` in `arm` of a `simsgd run` CSV.
fn run_mean(rows: &[HashMap<String, String>], arm: &str, observable: &str) -> f64 {
    let row = rows.iter().find(|r| r["arm"] == arm && r["observable"] == observable && r["kind"] != "curve");
    num(row.unwrap_or_else(|| panic!("no {arm} {observable} in {rows:?}")), "mean")
}

/// A figure row's command regenerates it exactly (issue 18): each
/// gauss-sgd-vs-sde row (a paired `--compare` run) is its run's paired test
/// loss, and each test-loss-vs-eta row at the smallest η its run's test loss
/// less the row's l(θ₀), to the last bit.
#[test]
fn a_rows_command_regenerates_its_mean() {
    let out = out_dir("provenance");
    for name in ["gauss-sgd-vs-sde", "test-loss-vs-eta"] {
        let o = simsgd(&["figure", name, "--quick", "--backend", "cpu", "-q", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let paired = rows(&out.join("gauss-sgd-vs-sde.csv"));
    assert_eq!(paired.len(), 5);
    for r in &paired {
        assert_eq!(run_mean(&rerun(&r["command"]), "paired", "test_loss"), num(r, "mean"), "{r:?}");
    }
    let small: Vec<_> = rows(&out.join("test-loss-vs-eta.csv")).into_iter().filter(|r| num(r, "eta") < 0.006).collect();
    assert_eq!(small.len(), 3, "the smallest η of each landscape");
    for r in &small {
        assert_eq!(run_mean(&rerun(&r["command"]), "primary", "test_loss") - num(r, "l0"), num(r, "mean"), "{r:?}");
        assert_eq!(num(r, "seed"), 700.0, "{r:?}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// `figure eta-sweep` on a landscape given as one line (issue 19): l_x(w) =
/// ¼w⁴ + ½w² + c·x·w from w₀ = 1, T = 5. At the smallest η (0.005, ηT·l''
/// = 0.1) the measured change agrees with order 3 within 4 SE; each row's
/// command regenerates it to the last bit; and the figure's landscape
/// flags are refused on any other figure, T = 0 with them.
#[test]
fn eta_sweep_draws_a_formula_with_its_theory() {
    let out = out_dir("eta-sweep");
    let formula = ["--loss", "0.25*w^4 + 0.5*w^2 + c*x*w", "--weights", "w", "--param", "c=0.8", "--init", "1"];
    let base = ["figure", "eta-sweep", "--steps", "5", "--quick", "--backend", "cpu", "-q", "--out"];
    let o = simsgd(&[&base[..], &[out.to_str().unwrap()], &formula[..]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = rows(&out.join("eta-sweep.csv"));
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!((r["landscape"].as_str(), r["T"].as_str()), ("formula", "5"), "{r:?}");
        assert!((num(r, "l0") - 0.75).abs() < 1e-12, "l(1) = ¼ + ½: {r:?}");
        check_provenance("eta-sweep", r);
    }
    assert_eq!(num(&rows[0], "eta"), 0.005);
    agree(&rows[0], "theory_order3", 4.0, 0.0);
    // Order 1 is −ηT·l'(1)² = −0.1 there.
    assert!((num(&rows[0], "theory_order1") + 0.1).abs() < 1e-12, "{:?}", rows[0]);
    let rerun_mean = run_mean(&rerun(&rows[0]["command"]), "primary", "test_loss");
    assert_eq!(rerun_mean - num(&rows[0], "l0"), num(&rows[0], "mean"));
    for refused in [&["figure", "test-loss-vs-eta", "--init", "1"][..], &["figure", "eta-sweep", "--steps", "0"]] {
        let o = simsgd(refused);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{refused:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Seed 003's dynamics (quick: 500 clean runs to T = 400, 150 noisy ones to
/// T = 2000): the bands are ordered quantiles over every run; clean labels
/// are fitted (median loss below 0.01 by t = 400, issue 14) and noisy ones
/// are not; the cosine settles, averaged over the last quarter, between 0.1
/// and 0.25 with clean labels (the paper: ≈ 0.25; its median run is near 0)
/// and within 0.05 of 0 with noisy ones.
fn check_li_dynamics(rows: &[HashMap<String, String>]) {
    let curve = |setting: &str, statistic: &str| -> Vec<&HashMap<String, String>> {
        rows.iter().filter(|r| r["kind"] == "curve" && r["setting"] == setting && r["statistic"] == statistic).collect()
    };
    let (clean, noisy) = (curve("clean", "train_loss"), curve("noisy", "train_loss"));
    assert_eq!((clean.len(), noisy.len()), (41, 101), "records every 10 steps to 400 and every 20 to 2000");
    for statistic in ["train_loss", "grad_norm", "cos"] {
        assert_eq!(curve("clean", statistic).len(), 41, "{statistic}");
        assert_eq!(curve("noisy", statistic).len(), 101, "{statistic}");
    }
    assert_eq!(rows.len(), 3 * (41 + 101) + 12, "curves and six late-window statistics per setting");
    for r in clean.iter().chain(&noisy) {
        assert_eq!((num(r, "n"), num(r, "runs"), num(r, "diverged")), (num(r, "runs"), num(r, "runs"), 0.0), "{r:?}");
        let q: Vec<f64> = ["q0.1", "q0.25", "q0.5", "q0.75", "q0.9"].iter().map(|c| num(r, c)).collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]) && q[0] > 0.0, "{r:?}");
        assert!(num(r, "q0.5_ci95_lo") <= q[2] && q[2] <= num(r, "q0.5_ci95_hi"), "{r:?}");
        assert!(r["command"].starts_with("simsgd run li-gauss10"), "{r:?}");
    }
    let (clean_end, noisy_end) = (clean.last().unwrap(), noisy.last().unwrap());
    assert_eq!((num(clean_end, "step"), num(noisy_end, "step")), (400.0, 2000.0));
    assert!(num(clean_end, "q0.5") < 0.01, "clean median loss at t = 400: {clean_end:?}");
    assert!(num(noisy_end, "q0.5") > 0.1, "noisy median loss at t = 2000: {noisy_end:?}");
    assert!(num(noisy_end, "q0.5") > 100.0 * num(clean_end, "q0.5"), "{noisy_end:?} vs {clean_end:?}");
    let late = |setting: &str, statistic: &str| -> f64 {
        let r =
            rows.iter().find(|r| r["kind"] == "late_window" && r["setting"] == setting && r["statistic"] == statistic);
        num(r.unwrap_or_else(|| panic!("no late {statistic} of {setting}")), "mean")
    };
    assert!((0.1..0.25).contains(&late("clean", "cos_mean")), "{}", late("clean", "cos_mean"));
    assert!(late("clean", "cos_median").abs() < 0.02 && late("clean", "cos_q0.9") > 0.9, "a bimodal cosine");
    assert!(late("noisy", "cos_mean").abs() < 0.05, "{}", late("noisy", "cos_mean"));
    let claims: Vec<f64> = ["clean", "noisy"].iter().map(|s| num(curve(s, "cos")[1], "paper_claim")).collect();
    assert_eq!(claims, [0.25, 0.0]);
}

/// Seed 003's loss change (quick: Gauss-10 runs frozen at t = 1, 10, 50,
/// 400 clean and 50, 500, 2000 noisy; Gauss-2 with m = 50 at 1, 10, 50, 100
/// clean and 50, 500, 1000 noisy; 300 fresh batches each): Δ given θ_t has
/// the batches' count and a positive variance; with clean labels that
/// variance falls by orders of magnitude as the loss falls — from one frozen
/// step to the next, and from the 90% to the 10% loss run at each — and is
/// skewed to the negative side late; across runs it falls too. A frozen
/// step off the record grid (t = 1) is recorded with every step before it.
fn check_li_loss_change(rows: &[HashMap<String, String>]) {
    let kind = |kind: &str, setting: &str| -> Vec<&HashMap<String, String>> {
        rows.iter().filter(|r| r["kind"] == kind && r["setting"] == setting).collect()
    };
    let settings = ["Gauss-10 clean", "Gauss-10 noisy", "Gauss-2 clean", "Gauss-2 noisy"];
    let records = settings.map(|s| kind("across_runs", s).len());
    assert_eq!(records, [42, 41, 22, 21], "records 0, 1, 10, … 400; 0, 50, … 2000; 0, 1, 5, … 100; 0, 50, … 1000");
    let frozen = settings.map(|s| kind("given_theta", s).len());
    assert_eq!(frozen, [12, 9, 12, 9], "the steps × the 10/50/90% loss runs");
    let (clean, noisy) = (kind("given_theta", settings[0]), kind("given_theta", settings[1]));
    for r in clean.iter().chain(&noisy) {
        assert_eq!((num(r, "n"), num(r, "batches")), (300.0, 300.0), "{r:?}");
        assert!(num(r, "variance") > 0.0 && num(r, "q0.1") <= num(r, "q0.9"), "{r:?}");
        let se2n = num(r, "stderr").powi(2) * num(r, "n");
        assert!((se2n / num(r, "variance") - 1.0).abs() < 1e-9, "{r:?}");
    }
    for s in [settings[2], settings[3]] {
        let across = kind("across_runs", s);
        let (first, last) = (num(across[1], "variance"), num(across[across.len() - 1], "variance"));
        assert!(first > 1e3 * last, "{s}: across runs {first} at the first step, {last} at the last");
    }
    let at = |t: f64, q: f64| -> &HashMap<String, String> {
        clean.iter().find(|r| num(r, "step") == t && num(r, "loss_quantile") == q).expect("a frozen run")
    };
    for q in [0.1, 0.5, 0.9] {
        let vars: Vec<f64> = [10.0, 50.0, 400.0].iter().map(|&t| num(at(t, q), "variance")).collect();
        assert!(vars[0] > 100.0 * vars[1] && vars[1] > 100.0 * vars[2], "q = {q}: {vars:?}");
    }
    for t in [10.0, 50.0, 400.0] {
        let (low, high) = (at(t, 0.1), at(t, 0.9));
        assert!(num(low, "train_loss") < num(high, "train_loss"), "t = {t}");
        assert!(num(low, "variance") < num(high, "variance"), "t = {t}: {low:?} {high:?}");
    }
    for q in [0.1, 0.5, 0.9] {
        let late = at(400.0, q);
        assert!(num(late, "mean") < 0.0 && num(late, "lower_over_upper_spread") > 1.0, "{late:?}");
    }
    let across = kind("across_runs", settings[0]);
    assert!(num(across[1], "variance") > 1e4 * num(across[41], "variance"), "{:?} vs {:?}", across[1], across[41]);
}

/// A figure whose file cannot be written is refused before anything is
/// simulated (issue 12, item 5: it used to fail only after its
/// simulations), with one line and exit 2, and nothing written. (That a
/// figure failing while it is made does not lose the others is
/// `figure::tests::one_failure_does_not_lose_the_others`.)
#[test]
fn unwritable_figures_are_refused_first() {
    let out = out_dir("failure");
    std::fs::create_dir_all(out.join("gauss-sgd-vs-sde.csv")).unwrap();
    let start = std::time::Instant::now();
    let o = simsgd(&["figure", "--all", "--quick", "--backend", "cpu", "-q", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("gauss-sgd-vs-sde.csv: a directory") && stderr.lines().count() == 1, "{stderr}");
    assert!(start.elapsed().as_secs_f64() < 10.0, "refused after {:?}", start.elapsed());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "nothing written");
    let o = simsgd(&["figure", "no-such-figure"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown figure 'no-such-figure' (known: archimedes-drift"));
    let _ = std::fs::remove_dir_all(&out);
}

/// Seed 003's spectra (quick: 8 runs, t = 0, T/2, T): Proposition 1 holds
/// to rounding at every snapshot; each mean spectrum is sorted; M is PSD
/// with rank ≤ n = 100 (its eigenvalues beyond the 100th are exactly 0);
/// with clean labels Tr M falls by orders of magnitude by t = T.
fn check_li_spectra(rows: &[HashMap<String, String>]) {
    let checks: Vec<_> = rows.iter().filter(|r| r["statistic"] == "proposition_1_max_relative_residual").collect();
    assert_eq!(checks.len(), 6, "two settings × three snapshots");
    for r in &checks {
        assert!(num(r, "mean") < 1e-9 && num(r, "diverged") == 0.0, "{r:?}");
    }
    for setting in ["Gauss-10 clean", "Gauss-10 noisy"] {
        for step in checks.iter().filter(|r| r["setting"] == setting).map(|r| r["step"].clone()) {
            for name in ["H_f", "M", "H_p"] {
                let spectrum: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| {
                        r["setting"] == setting && r["step"] == step && r["statistic"] == format!("{name}_eigenvalue")
                    })
                    .map(|r| (num(r, "index"), num(r, "mean")))
                    .collect();
                assert_eq!(spectrum.len(), 50 + 50 + 105, "{setting} {step} {name}: first and last 50, every tenth");
                assert!(spectrum.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1), "{setting} {step} {name}");
                if name == "M" {
                    assert!(
                        spectrum.iter().all(|&(i, l)| if i > 100.0 { l == 0.0 } else { l >= -1e-12 }),
                        "{setting} {step}"
                    );
                }
            }
        }
    }
    let trace = |step: f64| {
        let r = rows
            .iter()
            .find(|r| r["setting"] == "Gauss-10 clean" && r["statistic"] == "moment_trace" && num(r, "step") == step);
        num(r.expect("a trace row"), "mean")
    };
    assert!(trace(400.0) < 1e-3 * trace(0.0), "Tr M: {} at 400, {} at 0", trace(400.0), trace(0.0));
}

/// Seed 003's alignment (quick: 40 runs at 9 steps on Gauss-10, q = 15, and
/// 8 on Gauss-2, q = 5): cosines lie in [0, 1], are missing only for the few
/// runs whose M has fewer than i numerically nonzero eigenvalues, and the
/// leading ones fall with the index; the leading pair is aligned on Gauss-10 at t = 400
/// (cos γ₁ > 0.99), and the verdict rows compare the paper's ten (two)
/// cosines ≈ 1 with the measurement, whatever it is.
fn check_li_alignment(rows: &[HashMap<String, String>]) {
    let curve = |setting: &str, statistic: &str| -> Vec<&HashMap<String, String>> {
        rows.iter().filter(|r| r["kind"] == "curve" && r["setting"] == setting && r["statistic"] == statistic).collect()
    };
    for (setting, q, steps) in [("Gauss-10 clean", 15, 9), ("Gauss-2 clean", 5, 8)] {
        let mut previous: Option<Vec<f64>> = None;
        for i in 1..=q {
            let c = curve(setting, &format!("cos_gamma_{i}"));
            assert_eq!(c.len(), steps, "{setting} cos γ_{i}");
            let means: Vec<f64> = c.iter().map(|r| num(r, "mean")).collect();
            for r in &c {
                // A run whose M has numerical rank below i has no cos γ_i;
                // on Gauss-10 M keeps rank ≥ 1 (Gauss-2's runs reach losses
                // of 10⁻¹⁰⁰, where every gradient is 0 to double precision).
                let n = num(r, "n");
                assert!(n <= 40.0 && (i > 1 || q == 5 || n == 40.0), "{r:?}");
                assert!(n == 0.0 || (num(r, "q0.1") >= 0.0 && num(r, "q0.9") <= 1.0), "{r:?}");
            }
            // The leading cosines, which (nearly) every run has, fall with i.
            if let (Some(p), true) = (&previous, i <= 3 && q == 15) {
                assert!(p.iter().zip(&means).all(|(a, b)| a >= b), "{setting}: cos γ_{i} above cos γ_{}", i - 1);
            }
            previous = Some(means);
            assert_eq!(curve(setting, &format!("hessian_lambda_{i}")).len(), steps);
        }
        let verdicts = rows.iter().filter(|r| r["kind"] == "verdict_last_step" && r["setting"] == setting).count();
        assert_eq!(verdicts, if q == 15 { 10 } else { 2 }, "{setting}");
    }
    let first = curve("Gauss-10 clean", "cos_gamma_1");
    let last = first.last().unwrap();
    assert_eq!(num(last, "step"), 400.0);
    assert!(num(last, "mean") > 0.99, "{last:?}");
}

/// Davis–Kahan (quick: 20 runs at 6 steps, Gauss-10 and Gauss-2, m = 5 and
/// 50): |v_rᵀṽ_r| lies in [0, 1] and its angle is written in degrees; (56)
/// holds run by run, so the median sin θ₁ lies below the median bound where
/// every run has ṽ₁ (Gauss-10; 1% for the median's interpolation); the
/// subspace bounds (59) for s = 2, 3 are ≥ 1 in nearly every cell on
/// Gauss-10, as the paper says; each setting has its verdict rows.
fn check_li_davis_kahan(rows: &[HashMap<String, String>]) {
    for (setting, batch) in
        [("Gauss-10 clean", 5.0), ("Gauss-2 clean", 5.0), ("Gauss-10 clean", 50.0), ("Gauss-2 clean", 50.0)]
    {
        let of = |kind: &str| -> Vec<&HashMap<String, String>> {
            rows.iter().filter(|r| r["kind"] == kind && r["setting"] == setting && num(r, "batch") == batch).collect()
        };
        let curve = of("curve");
        let named = |statistic: &str| -> Vec<&HashMap<String, String>> {
            curve.iter().copied().filter(|r| r["statistic"] == statistic).collect()
        };
        for r in 1..=3 {
            for statistic in ["cos_theta", "vector_bound", "subspace_sine", "subspace_bound"] {
                assert_eq!(named(&format!("{statistic}_{r}")).len(), 6, "{setting} m={batch} {statistic}_{r}");
            }
            for row in named(&format!("cos_theta_{r}")).into_iter().filter(|row| num(row, "n") > 0.0) {
                assert!(num(row, "q0.1") >= 0.0 && num(row, "q0.9") <= 1.0, "{row:?}");
                let angle = num(row, "mean").acos().to_degrees();
                assert!((num(row, "angle_of_mean_deg") - angle).abs() < 1e-9, "{row:?}");
                assert!(num(row, "residual_norm") > 0.0, "{row:?}");
            }
        }
        if setting.starts_with("Gauss-10") {
            for (cos, bound) in named("cos_theta_1").iter().zip(named("vector_bound_1")) {
                assert_eq!(num(cos, "n"), num(cos, "runs"), "{cos:?}");
                let sine = (1.0 - num(cos, "q0.5").powi(2)).sqrt();
                assert!(sine <= 1.01 * num(bound, "q0.5"), "(56): {cos:?} {bound:?}");
            }
            for r in of("verdict_above_one").iter().filter(|r| r["statistic"].starts_with("subspace_bound_")) {
                let s: usize = r["statistic"]["subspace_bound_".len()..].parse().unwrap();
                assert!(s == 1 || num(r, "share_above_one") >= 0.9, "{r:?}");
            }
        }
        assert_eq!(of("verdict_above_one").len(), 6, "{setting} m={batch}");
        let late = of("verdict_late_angle");
        assert_eq!(late.len(), 1, "{setting} m={batch}");
        let angle = num(late[0], "angle_of_mean_deg");
        assert!((0.0..=90.0).contains(&angle), "{late:?}");
    }
}

/// The PAC-Bayes bound (quick: 12 runs per setting): per setting the KL's
/// mean is ½(EC + WN + dropped)'s (eq. (106)), the dropped part is ≤ 0,
/// (51)'s right side is at least its confidence term ln(101/0.05)/100, the
/// error bound lies in [0, 1] and holds for every run's Gibbs test error;
/// noisy labels widen the generalization gap at m = 5.
fn check_li_pac_bayes(rows: &[HashMap<String, String>]) {
    let stat = |setting: &str, statistic: &str| -> &HashMap<String, String> {
        let found: Vec<_> = rows
            .iter()
            .filter(|r| r["kind"] == "distribution" && r["setting"] == setting && r["statistic"] == statistic)
            .collect();
        assert_eq!(found.len(), 1, "{setting} {statistic}");
        found[0]
    };
    for setting in ["clean, m=5", "15% noise, m=5", "clean, m=50", "15% noise, m=50"] {
        let mean = |statistic: &str| num(stat(setting, statistic), "mean");
        let halves = 0.5 * (mean("effective_curvature") + mean("weighted_norm") + mean("dropped"));
        assert!((mean("kl") - halves).abs() < 1e-9 * mean("kl"), "{setting}: KL {} vs {halves}", mean("kl"));
        assert!(num(stat(setting, "dropped"), "q0.9") <= 0.0, "{setting}");
        assert!(num(stat(setting, "bound_51"), "q0.1") >= (101.0f64 / 0.05).ln() / 100.0, "{setting}");
        let bound = stat(setting, "error_bound");
        assert!(num(bound, "q0.1") >= 0.0 && num(bound, "q0.9") <= 1.0, "{bound:?}");
        assert!(num(stat(setting, "gibbs_test_error"), "mean") <= num(bound, "mean"), "{setting}");
    }
    let holds: Vec<_> = rows.iter().filter(|r| r["kind"] == "bound").collect();
    assert_eq!(holds.len(), 4);
    assert!(holds.iter().all(|r| num(r, "share_bound_holds") == 1.0), "{holds:?}");
    let gap: Vec<_> = rows.iter().filter(|r| r["kind"] == "noisy_minus_clean" && r["statistic"] == "gap").collect();
    assert_eq!(gap.len(), 2);
    assert!(num(gap[0], "z") > 3.0, "{:?}", gap[0]);
}

/// The adaptive steps (quick: 12 runs to T = 100): both rules train without
/// diverging, their mean loss never rises by more than 2 SE between
/// records, E[Δ|θ_t] is checked on 10 runs at 9 steps, and by the last
/// checked step it is negative on average, as the bound B(A_t) is.
fn check_li_adaptive(rows: &[HashMap<String, String>]) {
    for rule in ["oracle", "diagonal"] {
        let verdict: Vec<_> = rows.iter().filter(|r| r["kind"] == "verdict" && r["optimizer"] == rule).collect();
        assert_eq!(verdict.len(), 1, "{rule}");
        let v = verdict[0];
        assert_eq!((num(v, "diverged"), num(v, "rising_records"), num(v, "checks")), (0.0, 0.0, 90.0), "{v:?}");
        let last = |statistic: &str| -> f64 {
            let of: Vec<_> = rows
                .iter()
                .filter(|r| r["kind"] == "check" && r["optimizer"] == rule && r["statistic"] == statistic)
                .collect();
            assert_eq!(of.len(), 9, "{rule} {statistic}");
            num(of[8], "mean")
        };
        assert!(last("bound") < 0.0 && last("conditional_delta") < 0.0, "{rule}");
    }
}

/// Theorem 1 (quick: least squares with 2·10⁴ fresh batches at 6 steps of
/// one SGD path; the Gauss-10 runs frozen at the 10/50/90% loss quantiles):
/// on least squares the mean Δ is the exact second-order value within 4 SE
/// and the variance the whole second-order variance within 5%; the bound
/// with L = ‖H‖₂ holds there; every network row carries the prediction.
fn check_li_theorem1(rows: &[HashMap<String, String>]) {
    let ls: Vec<_> = rows.iter().filter(|r| r["kind"] == "least_squares").collect();
    assert_eq!(ls.len(), 6, "six frozen steps");
    for r in &ls {
        assert!(num(r, "z_second_order").abs() < 4.0, "{r:?}");
        let ratio = num(r, "variance") / num(r, "theorem1_variance_second_order");
        assert!((ratio - 1.0).abs() < 0.05, "{ratio}: {r:?}");
        assert_eq!(num(r, "bound_fails"), 0.0, "{r:?}");
    }
    let net: Vec<_> = rows.iter().filter(|r| r["kind"] == "network").collect();
    assert_eq!(net.len(), 3 * (4 + 3), "three runs at each frozen step");
    assert!(net.iter().all(|r| num(r, "theorem1_mean").is_finite() && num(r, "smoothness_l") > 0.0));
}

/// The layer-wise Hessian (quick: 8 runs at t = 0, T/2, T): every diagonal
/// block G_h is PSD (eq. (21): σ″ = 0 makes the network piecewise linear in
/// one layer's parameters), so its mean smallest eigenvalue is ≥ 0 to
/// rounding, and the loadings of the top 15 eigenvectors are written for
/// the three layers.
fn check_li_layers(rows: &[HashMap<String, String>]) {
    for setting in ["Gauss-10 clean", "Gauss-10 noisy"] {
        let blocks: Vec<_> =
            rows.iter().filter(|r| r["setting"] == setting && r["statistic"] == "G_h_eigenvalue").collect();
        assert_eq!(blocks.len(), 3 * 3 * 40, "{setting}: 3 snapshots × 3 layers × (first and last 20)");
        for r in &blocks {
            let top = blocks
                .iter()
                .filter(|t| t["step"] == r["step"] && t["layer"] == r["layer"] && num(t, "index") == 1.0)
                .map(|t| num(t, "mean"))
                .next()
                .unwrap();
            assert!(num(r, "mean") >= -1e-12 * top, "G_h not PSD: {r:?} (top {top})");
        }
        let loadings = rows.iter().filter(|r| r["setting"] == setting && r["statistic"] == "loading").count();
        assert_eq!(loadings, 3 * 3 * 15, "{setting}");
        let trailing = rows.iter().filter(|r| r["setting"] == setting && r["statistic"] == "H_h_eigenvalue").count();
        assert_eq!(trailing, 3 * 2 * 40, "{setting}: H_1 and H_2");
    }
}
