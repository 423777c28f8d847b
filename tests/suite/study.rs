//! The network study of seed 003 through `simsgd run` (issue 14): the
//! paper's presets, what the JSON and CSV carry, the paper's claims on
//! Gauss-10, and the loss change from frozen runs against its exact mean.

use crate::common::child::simsgd;
use simsgd::backend::Choice;
use simsgd::commands::study;
use simsgd::network::train::Study;
use simsgd::study::StudySpec;

/// `simsgd run ARGS --json -q --backend cpu` as JSON.
fn run_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["run"];
    all.extend(args);
    all.extend(["--json", "-q", "--backend", "cpu"]);
    let out = simsgd(&all);
    assert_eq!(out.status.and_then(|s| s.code()), Some(0), "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

/// The paper's sizes: p = 902 for Gauss-2, 1150 for Gauss-10
/// (50·10 + 10 + 10·30 + 30 + 30·k + k); Gauss-10 with 15% noise redraws
/// 15 of the 100 labels, of which about 9/10 change.
#[test]
fn presets_have_the_papers_networks() {
    let two = run_json(&["li-gauss2", "--trials", "8", "--steps", "10", "--test-size", "0"]);
    assert_eq!((two["network"]["p"].as_u64(), two["network"]["classes"].as_u64()), (Some(902), Some(2)));
    assert_eq!(two["network"]["widths"], serde_json::json!([50, 10, 30, 2]));
    assert_eq!((two["sgd"]["eta"].as_f64(), two["sgd"]["batch"].as_u64()), (Some(0.1), Some(5)));
    let noisy = run_json(&["li-gauss10-noisy", "--trials", "8", "--steps", "10", "--test-size", "100"]);
    let net = &noisy["network"];
    assert_eq!((net["p"].as_u64(), net["labels_redrawn"].as_u64()), (Some(1150), Some(15)));
    let changed = net["labels_changed"].as_u64().unwrap();
    assert!((8..=15).contains(&changed), "{changed} of 15 redrawn labels changed");
    // Ten recorded steps apart by default: 0, 10; the test set at 0 and 10.
    assert_eq!(noisy["curve"].as_array().unwrap().len(), 2);
    assert_eq!(noisy["test"].as_array().unwrap().len(), 2);
    assert_eq!(noisy["sgd"]["steps"].as_u64(), Some(10));
}

/// Seed 003 sec. 5 on Gauss-10 (standardised features, η = 0.1, m = 5): the
/// clean runs reach a median train loss below 0.01 by t = 400; with 15% of
/// the labels noisy the median stays far above it at t = 400 (the noisy
/// points must be memorised). Measured over 200 runs: the median's whole
/// 95% interval must lie below 0.01 (clean) and above 0.1 (noisy).
#[test]
fn gauss10_converges_with_clean_labels_only() {
    let median = |v: &serde_json::Value| {
        let last = v["curve"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["step"].as_u64(), Some(400));
        let ci = &last["train_loss"]["quantile_ci95"]["0.5"];
        (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap())
    };
    let clean = run_json(&["li-gauss10", "--trials", "200", "--test-size", "0"]);
    assert_eq!(clean["diverged"].as_u64(), Some(0));
    let (_, hi) = median(&clean);
    assert!(hi < 0.01, "clean median's interval reaches {hi}");
    let noisy = run_json(&["li-gauss10-noisy", "--trials", "200", "--steps", "400", "--test-size", "0"]);
    let (lo, _) = median(&noisy);
    assert!(lo > 0.1, "noisy median's interval starts at {lo}");
}

/// Every observable at every record has its distribution: n, mean, SE, CI
/// and the asked quantiles in order; the cosine is undefined at t = 0 (no
/// previous gradient) and so has n = 0 there. The CSV has one row per
/// (set, statistic, step) with the setting in its columns.
#[test]
fn json_and_csv_describe_every_record() {
    let dir = crate::common::scratch::Scratch::new("study-csv");
    let csv = dir.join("s.csv");
    let v = run_json(&[
        "mlp",
        "--classes",
        "3",
        "--train-size",
        "30",
        "--dim",
        "4",
        "--hidden",
        "6",
        "--trials",
        "50",
        "--steps",
        "20",
        "--record-every",
        "5",
        "--test-size",
        "200",
        "--test-every",
        "10",
        "--quantiles",
        "0.05,0.5,0.95",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(v["network"]["p"].as_u64(), Some(4 * 6 + 6 + 6 * 3 + 3));
    let curve = v["curve"].as_array().unwrap();
    assert_eq!(curve.iter().map(|p| p["step"].as_u64().unwrap()).collect::<Vec<_>>(), [0, 5, 10, 15, 20]);
    for p in curve {
        for m in ["train_loss", "train_accuracy", "grad_norm", "cos", "delta"] {
            let d = &p[m];
            let n = d["n"].as_u64().unwrap();
            if m == "cos" && p["step"] == 0 {
                assert_eq!(n, 0);
                continue;
            }
            assert_eq!(n, 50, "{m} at {}", p["step"]);
            let q: Vec<f64> = ["0.05", "0.5", "0.95"].iter().map(|k| d["quantiles"][k].as_f64().unwrap()).collect();
            assert!(q[0] <= q[1] && q[1] <= q[2], "{m}: {q:?}");
        }
    }
    let acc = curve[4]["train_accuracy"]["mean"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(v["test"].as_array().unwrap().len(), 3);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("landscape,p,classes,n_train,label_noise,eta,batch,seed,runs,set,statistic,step,n,mean"));
    assert!(head.ends_with("q0.05,q0.5,q0.95"), "{head}");
    // 5 records × 5 train statistics + 3 test steps × 4 test statistics.
    assert_eq!(lines.count(), 5 * 5 + 3 * 4);
}

/// The loss change from a frozen run (Figs. 9, 10): with m = 1 the law of
/// Δ given θ_t is uniform over the n points, so its exact mean is
/// (1/n) Σ_i [f(θ_t − η ∇f_i(θ_t)) − f(θ_t)]. The fresh-batch mean must lie
/// within 5 SE of it, at each frozen quantile; the runs frozen are those at
/// the 10/50/90% loss quantiles, in increasing loss.
#[test]
fn fresh_batch_loss_change_matches_its_exact_mean() {
    let spec = StudySpec {
        train_size: Some(40),
        dim: Some(5),
        hidden: Some(vec![8]),
        classes: Some(3),
        test_size: Some(0),
        batch: Some(1),
        steps: Some(30),
        runs: 64,
        loss_change_at: vec![20],
        loss_change_batches: 4000,
        ..StudySpec::new("mlp")
    };
    let options = study::Options { backend: Choice::Cpu, threads: 2, quiet: true, outputs: vec![] };
    let report = study::run(&spec, &options, None).unwrap();
    assert_eq!(report.loss_change.len(), 3);
    let resolved = spec.resolve().unwrap();
    let st = Study::new(&resolved.mlp, &resolved.data, resolved.options).unwrap();
    let (mlp, train, eta) = (&resolved.mlp, &resolved.data.train, resolved.options.eta);
    let mut last_loss = f64::NEG_INFINITY;
    for c in &report.loss_change {
        assert!(c.train_loss >= last_loss, "frozen runs in increasing loss");
        last_loss = c.train_loss;
        let theta = st.replay(c.run, 20);
        let f0 = mlp.evaluate(&theta, train).loss;
        assert!((f0 - c.train_loss).abs() <= 1e-12 * f0.abs().max(1.0), "the replayed run is the recorded one");
        let mut grad = vec![0.0; theta.len()];
        let exact: f64 = (0..train.len())
            .map(|i| {
                mlp.loss_grad(&theta, train, &[i], &mut grad);
                let moved: Vec<f64> = theta.iter().zip(&grad).map(|(w, g)| w - eta * g).collect();
                mlp.evaluate(&moved, train).loss - f0
            })
            .sum::<f64>()
            / train.len() as f64;
        let s = &c.delta.summary;
        assert!(
            (s.mean - exact).abs() <= 5.0 * s.stderr + 1e-12,
            "q {}: {} ± {} vs exact {exact}",
            c.quantile,
            s.mean,
            s.stderr
        );
        assert_eq!(s.n, 4000);
    }
}
