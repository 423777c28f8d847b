//! Issue 18: `--compare` takes a whole alternative (`batch=5`,
//! `eta=0.05,optimizer=sde`). The compared arm is exactly the run of its
//! own settings on the same trials (the same training sets), its exact
//! expectation is met, and `--theory` predicts both arms, each at its own η,
//! and their difference.

use crate::common::child::simsgd;
use crate::common::{assert_within, mean_estimation, prediction, resolve, run};
use simsgd::alternative::Alternative;
use simsgd::backend::Choice;
use simsgd::commands::{run as run_command, theory};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;

/// Mean Estimation at H = 0.8, S = 1.2 from θ₀ = 0.5: one pass over N = 10
/// points (T = 10) at η = 0.1.
fn me() -> Spec {
    Spec { trials: 40_000, train_size: Some(10), epochs: Some(1), ..mean_estimation::spec(0.8, 1.2, 0.5) }
}

/// Each alternative's arm equals, bit for bit, the standalone run of its
/// settings with the same seed (the same trials and training sets), the
/// primary arm is unchanged by the comparison, and the paired difference is
/// the difference of the arms' means (no trial diverges).
#[test]
fn the_compared_arm_is_its_own_run_on_the_same_trials() {
    let on_steps = |spec: Spec| Spec { steps: Some(10), epochs: None, ..spec };
    let cases = [
        ("batch=5", on_steps(Spec { batch: Some(5), ..me() })),
        ("eta=0.05", Spec { eta: 0.05, ..me() }),
        ("momentum,beta=0.5", Spec { optimizer: Optimizer::Momentum, beta: Some(0.5), ..me() }),
        ("batch=2,shuffle=true", on_steps(Spec { batch: Some(2), shuffle: true, ..me() })),
        ("optimizer=sde,substeps=4,eta=0.2", Spec { optimizer: Optimizer::Sde, substeps: 4, eta: 0.2, ..me() }),
    ];
    let primary = run(&resolve(&me())).primary;
    for (alt, alone) in cases {
        let out = run(&resolve(&Spec { compare: Some(Alternative::parse(alt).unwrap()), ..me() }));
        let (arm, pairs) = out.compare.as_ref().expect("paired");
        let alone = run(&resolve(&alone)).primary;
        for (what, x, y) in [
            ("test loss", arm.test_loss.summary(), alone.test_loss.summary()),
            ("train loss", arm.train_loss.summary(), alone.train_loss.summary()),
            ("theta", arm.theta[0].summary(), alone.theta[0].summary()),
            ("primary", out.primary.test_loss.summary(), primary.test_loss.summary()),
        ] {
            assert_eq!((x.n, x.mean, x.stderr), (y.n, y.mean, y.stderr), "{alt}: {what}");
        }
        let (a, b, d) = (out.primary.test_loss.summary(), arm.test_loss.summary(), pairs.test_loss_diff.summary());
        assert_eq!(d.n, 40_000, "{alt}");
        assert!((d.mean - (a.mean - b.mean)).abs() < 1e-12, "{alt}: {} vs {}", d.mean, a.mean - b.mean);
    }
}

/// B = 1 against B = 5 on the same 10 points: the batched arm (T = 10 steps,
/// E = 5 passes over the batches {0..4}, {5..9}) meets its exact expected
/// test loss and gap (Mean Estimation is linear in θ: the expectation is a
/// polynomial in η, tests/suite/common/mean_estimation.rs).
#[test]
fn batch_five_meets_its_exact_expectation() {
    let spec = Spec { trials: 200_000, compare: Some(Alternative::parse("batch=5").unwrap()), ..me() };
    let out = run(&resolve(&spec));
    let (arm, _) = out.compare.as_ref().unwrap();
    let batches: Vec<Vec<usize>> = (0..10).map(|t| (5 * (t % 2)..5 * (t % 2) + 5).collect()).collect();
    let exact = mean_estimation::discrete(0.8, 1.2, 0.5, 10, &batches);
    assert_within(&arm.test_loss.summary(), exact.test.eval([0.1, 0.0, 0.0]), 5.0, "B = 5 test loss");
    assert_within(&arm.gen_gap.summary(), exact.gap.eval([0.1, 0.0, 0.0]), 5.0, "B = 5 gap");
    // And the primary (B = 1, fresh points) its own.
    let fresh: Vec<Vec<usize>> = (0..10).map(|t| vec![t]).collect();
    let exact = mean_estimation::discrete(0.8, 1.2, 0.5, 10, &fresh);
    assert_within(&out.primary.test_loss.summary(), exact.test.eval([0.1, 0.0, 0.0]), 5.0, "B = 1 test loss");
}

/// `run --compare eta=0.05,optimizer=sde --theory`: each arm's prediction is
/// `predict`'s for its own plan at its own η, and the difference's is theirs.
#[test]
fn theory_predicts_both_arms_and_the_difference() {
    let spec = Spec {
        trials: 20_000,
        compare: Some(Alternative::parse("eta=0.05,optimizer=sde").unwrap()),
        ..Spec::new("gauss")
    };
    let options = run_command::Options {
        backend: Choice::Cpu,
        devices: None,
        threads: 0,
        quiet: true,
        theory: Some(theory::Options::default()),
        outputs: Vec::new(),
    };
    let report = run_command::run(spec.clone(), &options).unwrap();
    let paired = report.paired.as_ref().unwrap();
    assert_eq!(paired.labels, ["sgd (eta=0.1)", "sde (eta=0.05)"]);
    assert_eq!((paired.optimizer, paired.eta, paired.substeps), (Optimizer::Sde, 0.05, Some(16)));
    let (t, q) = (report.theory.as_ref().unwrap(), paired.theory.as_ref().unwrap());
    let sgd = prediction(&Spec { compare: None, ..spec.clone() }, 3).at(0.1);
    let sde = prediction(&Spec { optimizer: Optimizer::Sde, eta: 0.05, compare: None, ..spec }, 3).at(0.05);
    assert_eq!((t.test_loss, q.test_loss), (sgd.0, sde.0));
    assert_eq!((t.gen_gap, q.gen_gap), (sgd.2, sde.2));
    assert_eq!(t.test_loss_diff, Some(sgd.0 - sde.0));
    // gauss at T = 1: each arm's series is within a few SE of its measurement.
    for z in [t.z.test_loss, q.z.test_loss, t.z.test_loss_diff.unwrap()] {
        assert!(z.abs() < 5.0, "z = {z}");
    }
}

/// The CSV of `--compare batch=5`: the arms' rows carry their own B and E
/// (`arm` primary, compared, paired), the paired rows the difference.
#[test]
fn the_csv_tells_the_arms_apart() {
    let args = ["run", "mean-estimation", "--train-size", "10", "--epochs", "1", "--compare", "batch=5"];
    let out = simsgd(&[&args[..], &["--trials", "2000", "--backend", "cpu", "-q", "--csv", "-"]].concat());
    assert!(out.status.is_some_and(|s| s.success()), "{}", out.stderr);
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let test_rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .filter(|r| &r[col("observable")] == "test_loss" && &r[col("kind")] != "curve")
        .map(|r| (&r[col("optimizer")], &r[col("arm")], &r[col("batch")], &r[col("epochs")]))
        .collect();
    assert_eq!(
        test_rows,
        [("sgd", "primary", "1", "1"), ("sgd", "compared", "5", "5"), ("sgd-sgd", "paired", "1", "1")]
    );
}
