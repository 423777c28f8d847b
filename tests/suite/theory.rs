//! Predictions against Monte Carlo.
//!
//! * For every landscape and dynamics at small η·T, the highest-order
//!   prediction (order 4; 2 for GDC) agrees with the measured test loss, gap
//!   and θ within 3 SE, where the first-order prediction is excluded.
//! * The error of the order-d prediction shrinks like η^(d+1) as η halves
//!   (d = 2 and 3 in Monte Carlo, d = 1..4 on the deterministic ODE): it is
//!   the truncation of the η-series, not a wrong coefficient. Common random
//!   numbers (one seed for both η) make the Monte Carlo ratios sharp.

use crate::common;

use common::{mean_estimation, prediction, resolve, run};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;
use simsgd::theory::predict::{self, MAX_ORDER};

const TRIALS: u64 = 400_000;

/// `name` for T = 10 steps.
fn ten_steps(name: &str) -> Spec {
    Spec { steps: Some(10), ..Spec::new(name) }
}

/// MC mean − order-d prediction of the test loss, and its standard error.
fn error(setup: &Spec, eta: f64, order: usize) -> (f64, f64) {
    let spec = Spec { eta, trials: TRIALS, seed: 5, ..setup.clone() };
    let p = prediction(&spec, order);
    let s = run(&resolve(&spec)).primary.test_loss.summary();
    (s.mean - p.at(eta).0, s.stderr)
}

fn assert_error_ratio(setup: &Spec, eta: f64, order: usize, range: std::ops::Range<f64>) {
    let flags = setup.command_line();
    let (e1, se1) = error(setup, eta, order);
    let (e2, se2) = error(setup, eta / 2.0, order);
    assert!(e1.abs() > 15.0 * se1 && e2.abs() > 5.0 * se2, "{flags}, order {order}: {e1} ± {se1}, {e2} ± {se2}");
    let ratio = e1 / e2;
    assert!(range.contains(&ratio), "{flags}, order {order}: error ratio {ratio} ({e1} vs {e2})");
}

#[test]
fn order_two_error_shrinks_like_eta_cubed() {
    for setup in [
        ten_steps("gauss"),
        ten_steps("archimedes"),
        Spec { optimizer: Optimizer::Gd, steps: Some(10), ..mean_estimation::spec(0.8, 1.2, 0.5) },
        Spec { optimizer: Optimizer::Sde, substeps: 4, ..ten_steps("archimedes") },
        Spec { train_size: Some(5), epochs: Some(2), shuffle: true, ..Spec::new("shifting-valleys") },
    ] {
        assert_error_ratio(&setup, 0.02, 2, 5.5..11.0);
    }
}

#[test]
fn order_three_error_shrinks_like_eta_to_the_fourth() {
    for (setup, eta) in [
        (ten_steps("archimedes"), 0.02),
        (Spec { optimizer: Optimizer::Sde, substeps: 4, ..ten_steps("archimedes") }, 0.02),
        (Spec { train_size: Some(5), epochs: Some(2), shuffle: true, ..Spec::new("archimedes") }, 0.04),
        (Spec { optimizer: Optimizer::Gd, train_size: Some(10), ..ten_steps("archimedes") }, 0.02),
    ] {
        assert_error_ratio(&setup, eta, 3, 10.5..22.0);
    }
}

/// Momentum's kernel-weighted diagrams and invhess's marked ones on a
/// non-quadratic landscape: the order-2 error falls like η³ (8x when η
/// halves, within the η⁴ term's share) on Archimedes, SGD and GD grids.
#[test]
fn momentum_and_invhess_errors_shrink_like_the_next_power() {
    let momentum = Spec { optimizer: Optimizer::Momentum, beta: Some(0.5), ..ten_steps("archimedes") };
    let invhess = Spec { optimizer: Optimizer::Invhess, lambda: Some(1.0), ..ten_steps("archimedes") };
    for (setup, eta) in [
        (momentum.clone(), 0.01),
        (Spec { train_size: Some(10), batch: Some(10), nesterov: true, ..momentum }, 0.01),
        (invhess.clone(), 0.02),
        (Spec { train_size: Some(10), batch: Some(5), epochs: Some(2), steps: None, ..invhess }, 0.02),
    ] {
        assert_error_ratio(&setup, eta, 2, 5.5..11.0);
    }
}

/// z = (MC − prediction)/SE at the highest order within 3 for the test loss
/// and the gap, and within 4 for each coordinate of θ (18 landscapes and
/// dynamics × 2–3 coordinates: a family of ~50 z-values, in which one beyond 3
/// is expected by chance); and the order-1 prediction of the test loss
/// excluded (|z| > 5), so that the check has power.
fn assert_agrees(setup: &Spec, eta: f64) {
    let flags = setup.command_line();
    let spec = Spec { eta, trials: TRIALS, seed: 11, ..setup.clone() };
    let exp = resolve(&spec);
    let order = if exp.plan.optimizer == Optimizer::Gdc { predict::GDC_MAX_ORDER } else { MAX_ORDER };
    let p = prediction(&spec, order);
    let out = run(&exp);
    assert_eq!(out.primary.diverged, 0, "{flags}");
    let m = out.primary;
    let (test, _, gap, theta) = p.at(eta);
    let mut checks = vec![("test loss", m.test_loss.summary(), test, 3.0), ("gap", m.gen_gap.summary(), gap, 3.0)];
    checks.extend(theta.iter().enumerate().map(|(i, &t)| ("θ", m.theta[i].summary(), t, 4.0)));
    for (what, s, predicted, k) in checks {
        if s.stderr > 0.0 {
            let z = s.z(predicted);
            assert!(
                z.abs() < k,
                "{flags} η = {eta}, order {order}: {what} {} ± {} vs {predicted} (z = {z:.2})",
                s.mean,
                s.stderr
            );
        }
    }
    let first = predict::value(&p.test_loss[..2], eta);
    let z1 = m.test_loss.summary().z(first);
    assert!(z1.abs() > 5.0, "{flags} η = {eta}: the test is too weak (order 1 gives z = {z1:.1})");
}

#[test]
fn highest_order_agrees_with_monte_carlo_on_every_landscape() {
    let gd = |name| Spec { optimizer: Optimizer::Gd, train_size: Some(10), ..ten_steps(name) };
    let gdc = |name| Spec { optimizer: Optimizer::Gdc, train_size: Some(10), ..ten_steps(name) };
    let sde = |name| Spec { optimizer: Optimizer::Sde, substeps: 4, ..ten_steps(name) };
    let me = Spec { steps: Some(10), ..mean_estimation::spec(0.8, 1.2, 0.5) };
    for (setup, eta) in [
        (ten_steps("gauss"), 0.02),
        (gd("gauss"), 0.02),
        (sde("gauss"), 0.02),
        (ten_steps("archimedes"), 0.005),
        (gd("archimedes"), 0.005),
        (sde("archimedes"), 0.005),
        (
            Spec { train_size: Some(6), batch: Some(2), epochs: Some(3), shuffle: true, ..Spec::new("archimedes") },
            0.005,
        ),
        (me.clone(), 0.03),
        (Spec { optimizer: Optimizer::Gd, train_size: Some(5), ..me }, 0.03),
        (ten_steps("shifting-valleys"), 0.005),
        (gd("shifting-valleys"), 0.005),
        (sde("shifting-valleys"), 0.005),
        (Spec { train_size: Some(5), epochs: Some(2), shuffle: true, ..Spec::new("shifting-valleys") }, 0.005),
        (gdc("shifting-valleys"), 0.001),
        (ten_steps("valley-of-death"), 0.0001),
        (gd("valley-of-death"), 0.0001),
        (sde("valley-of-death"), 0.0001),
        (gdc("valley-of-death"), 0.00005),
    ] {
        assert_agrees(&setup, eta);
    }
}

/// The ODE is deterministic, so its truncation errors are measured without
/// noise: halving η divides the order-d error by 2^(d+1) (to 10%) for every
/// d up to 4, on two landscapes.
#[test]
fn ode_errors_shrink_like_the_next_power_at_every_order() {
    for (setup, eta) in [
        (
            Spec {
                optimizer: Optimizer::Ode,
                init: Some(vec![0.3, -0.2, 0.5]),
                substeps: 4,
                ..ten_steps("archimedes")
            },
            0.0004,
        ),
        (Spec { optimizer: Optimizer::Ode, ..ten_steps("valley-of-death") }, 0.0002),
    ] {
        let flags = setup.command_line();
        let errors = |eta: f64| -> Vec<f64> {
            let spec = Spec { eta, trials: 8, ..setup.clone() };
            let measured = run(&resolve(&spec)).primary.test_loss.summary().mean;
            let p = prediction(&spec, MAX_ORDER);
            (1..=MAX_ORDER).map(|d| measured - predict::value(&p.test_loss[..=d], eta)).collect()
        };
        let (e1, e2) = (errors(eta), errors(eta / 2.0));
        for d in 1..=MAX_ORDER {
            let (ratio, want) = (e1[d - 1] / e2[d - 1], 2f64.powi(d as i32 + 1));
            assert!(
                (ratio / want - 1.0).abs() < 0.1,
                "{flags}, order {d}: ratio {ratio}, want {want} ({e1:?} / {e2:?})"
            );
        }
    }
}
