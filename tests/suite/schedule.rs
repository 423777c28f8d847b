//! Learning-rate schedules (`--schedule`, issue 18): the simulators take
//! η_t = η·s(t) at every step, and the diagram expansion, each node weighted
//! by its step's s(t), gives the exact Taylor coefficients; both are checked
//! on Mean Estimation, where θ_T is linear in the data and the expectations
//! are polynomials in η (tests/suite/common/mean_estimation.rs, `scheduled`).

use crate::common::child::simsgd;
use crate::common::mean_estimation::{self, Exact};
use crate::common::{assert_coefficients, assert_within, prediction, resolve, run};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;
use simsgd::schedule::Schedule;

const SCHEDULES: [Schedule; 3] =
    [Schedule::Step { every: 3, factor: 0.5 }, Schedule::Cosine, Schedule::Inverse { tau: 2.0 }];

/// Mean Estimation at H = 0.8, S = 1.2 from θ₀ = 0.5 on N = 10 points, T = 10.
fn me(schedule: Schedule) -> Spec {
    Spec { schedule, train_size: Some(10), steps: Some(10), ..mean_estimation::spec(0.8, 1.2, 0.5) }
}

/// The grids: one pass (B = 1), batches of 2 over two epochs, and GD.
fn grids(schedule: Schedule) -> [(Spec, Vec<Vec<usize>>); 3] {
    [
        (me(schedule), (0..10).map(|t| vec![t]).collect()),
        (Spec { batch: Some(2), ..me(schedule) }, (0..10).map(|t| vec![2 * (t % 5), 2 * (t % 5) + 1]).collect()),
        (Spec { optimizer: Optimizer::Gd, ..me(schedule) }, vec![(0..10).collect(); 10]),
    ]
}

fn exact(schedule: Schedule, batches: &[Vec<usize>]) -> Exact {
    mean_estimation::scheduled(0.8, 1.2, 0.5, 10, batches, &schedule.rates(batches.len()))
}

/// The predicted coefficients of η^0..η^4 are the exact polynomial's, on
/// every grid and schedule (and a constant schedule gives the plain
/// expansion's).
#[test]
fn predictions_are_the_exact_taylor_coefficients() {
    for schedule in SCHEDULES.into_iter().chain([Schedule::Constant]) {
        for (spec, batches) in grids(schedule) {
            let p = prediction(&spec, 4);
            let (exact, flags) = (exact(schedule, &batches), spec.command_line());
            assert_coefficients(&p.test_loss, &exact.test.taylor(4), &format!("test loss, {flags}"));
            assert_coefficients(&p.gen_gap, &exact.gap.taylor(4), &format!("gap, {flags}"));
            assert_coefficients(&p.theta[0], &exact.theta.taylor(4), &format!("θ, {flags}"));
        }
    }
}

/// The CPU simulator meets the exact expectations at η = 0.3 within 5 SE.
#[test]
fn simulations_meet_the_exact_expectations() {
    for schedule in SCHEDULES {
        for (spec, batches) in grids(schedule) {
            let spec = Spec { eta: 0.3, trials: 100_000, ..spec };
            let out = run(&resolve(&spec));
            let exact = exact(schedule, &batches);
            let at = |p: &crate::common::poly::Poly| p.eval([0.3, 0.0, 0.0]);
            let flags = spec.command_line();
            assert_within(&out.primary.test_loss.summary(), at(&exact.test), 5.0, &format!("test loss, {flags}"));
            assert_within(&out.primary.gen_gap.summary(), at(&exact.gap), 5.0, &format!("gap, {flags}"));
            assert_within(&out.primary.theta[0].summary(), at(&exact.theta), 5.0, &format!("θ, {flags}"));
        }
    }
}

/// A step schedule with γ = 1 is the constant one, trial by trial.
#[test]
fn a_unit_step_schedule_is_constant_eta() {
    let constant = run(&resolve(&Spec { trials: 2000, ..me(Schedule::Constant) }));
    let unit = run(&resolve(&Spec { trials: 2000, ..me(Schedule::Step { every: 2, factor: 1.0 }) }));
    assert_eq!(constant.primary.test_loss.summary().mean, unit.primary.test_loss.summary().mean);
}

/// The schedule is part of the spec: in the CSV, in `--compare`'s labels and
/// in the command line that reproduces a run.
#[test]
fn the_schedule_is_reported() {
    let args = ["run", "mean-estimation", "--schedule", "cosine", "--compare", "schedule=constant", "--trials", "500"];
    let out = simsgd(&[&args[..], &["--backend", "cpu", "-q", "--csv", "-"]].concat());
    assert!(out.status.is_some_and(|s| s.success()), "{}", out.stderr);
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let arms: Vec<(String, String)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[col("observable")] == "test_loss")
        .map(|r| (r[col("arm")].to_string(), r[col("schedule")].to_string()))
        .collect();
    let want = [("primary", "cosine"), ("compared", "constant"), ("paired", "cosine")];
    assert_eq!(arms, want.map(|(a, s)| (a.to_string(), s.to_string())));
    let text = simsgd(&[&args[..], &["--backend", "cpu", "-q"]].concat()).stdout;
    assert!(text.contains("η = 0.1 (cosine schedule)"), "{text}");
    assert!(text.contains("paired difference sgd (schedule=cosine) − sgd (schedule=constant)"), "{text}");
    let spec = Spec { schedule: Schedule::Step { every: 5, factor: 0.5 }, ..Spec::new("gauss") };
    assert_eq!(spec.command_line(), "simsgd run gauss --schedule step:5:0.5");
}
