//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod child;
pub mod mean_estimation;
pub mod poly;
pub mod scratch;

use simsgd::backend::cpu::Cpu;
use simsgd::backend::driver;
use simsgd::experiment::{Experiment, Spec};
use simsgd::landscape::AnyLandscape;
use simsgd::observables::{Outcome, Trial};
use simsgd::plan::Plan;
use simsgd::progress::Progress;
use simsgd::stats::Summary;
use simsgd::theory::law;
use simsgd::theory::predict::{self, Prediction};
use std::sync::OnceLock;

/// The experiment `spec` describes (a test's specs are valid).
pub fn resolve(spec: &Spec) -> Experiment {
    spec.resolve().expect("valid experiment")
}

/// The η-series prediction of `spec`'s primary plan to `order`, as
/// `simsgd predict --order ORDER` makes it.
pub fn prediction(spec: &Spec, order: usize) -> Prediction {
    let exp = resolve(spec);
    predict::predict(&exp.landscape.visit(law::Exact(&exp.init)).unwrap(), &exp.plan, order).expect("a supported order")
}

/// Asserts that coefficients agree to 1e-9 relative (a coefficient that
/// vanishes exactly may show rounding of 1e-13 of the largest).
#[track_caller]
pub fn assert_coefficients(got: &[f64], want: &[f64], what: &str) {
    let scale = want.iter().fold(1.0f64, |m, c| m.max(c.abs()));
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let tolerance = 1e-9 * w.abs() + 1e-13 * scale;
        assert!((g - w).abs() <= tolerance, "{what}: c{k} = {g}, exact {w} ({got:?} vs {want:?})");
    }
}

/// The CPU backend with all threads, opened once.
pub fn cpu() -> &'static Cpu {
    static CPU: OnceLock<Cpu> = OnceLock::new();
    CPU.get_or_init(|| Cpu::new(0).expect("threads"))
}

/// Runs on the CPU backend with all threads.
pub fn run(exp: &Experiment) -> Outcome {
    driver::run(cpu(), exp, &Progress::hidden()).expect("runs")
}

/// Per-trial results of `plan` on the CPU backend (the reference).
pub fn trials(exp: &Experiment, plan: &Plan, range: std::ops::Range<u64>) -> Vec<Trial> {
    driver::trials(cpu(), exp, plan, range).expect("runs")
}

/// `grid` on landscape `name` at its `STABLE_ETA`, seed 12, its parameters
/// moved off their defaults (so that a swapped slot shows).
pub fn on_landscape(name: &str, grid: &Spec) -> Spec {
    let d = AnyLandscape::from_name(name, &[]).unwrap().describe();
    let params: Vec<(String, f64)> = d
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), p.value + if i % 2 == 0 { -0.3 } else { 0.3 }))
        .collect();
    Spec { landscape: name.to_string(), params, eta: d.stable_eta, seed: 12, ..grid.clone() }
}

/// Asserts that two runs of the same trials agree: divergence exactly, and
/// θ_T, test and train loss within `relative`·(1 + |want|).
#[track_caller]
pub fn assert_same_trials(want: &[Trial], got: &[Trial], relative: f64, label: &str) {
    let close = |a: f64, b: f64| (a - b).abs() <= relative * (1.0 + b.abs());
    assert_eq!(want.len(), got.len(), "{label}: trial counts");
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        assert_eq!(w.diverged, g.diverged, "{label} trial {i}: divergence");
        if w.diverged {
            continue;
        }
        for d in 0..w.theta.len() {
            assert!(close(g.theta[d], w.theta[d]), "{label} trial {i}: θ{d} {} vs {}", g.theta[d], w.theta[d]);
        }
        assert!(close(g.test_loss, w.test_loss), "{label} trial {i}: test {} vs {}", g.test_loss, w.test_loss);
        assert!(close(g.train_loss, w.train_loss), "{label} trial {i}: train {} vs {}", g.train_loss, w.train_loss);
    }
}

/// Asserts that a Monte Carlo mean agrees with an exact value within `k` SE
/// (to rounding where every sample was the same).
#[track_caller]
pub fn assert_within(s: &Summary, exact: f64, k: f64, what: &str) {
    if s.stderr == 0.0 {
        assert!((s.mean - exact).abs() <= 1e-12 * (1.0 + exact.abs()), "{what}: constant {} vs exact {exact}", s.mean);
        return;
    }
    let z = s.z(exact);
    assert!(z.abs() < k, "{what}: MC {} ± {} vs exact {exact} (z = {z:.2})", s.mean, s.stderr);
}
