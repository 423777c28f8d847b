//! Corollary 1 on Archimedes: SGD drifts along the valley of minima (+z)
//! forever, at a velocity that the re-summed order-3 diagram (a J node fed by
//! two gradient nodes of one sample, the stationary noise ΣK^t C K^t) gives
//! as η²/(2(3 − 2η)) per step: η²/6 to leading order (seed 001's law), times
//! the discreteness factor 1/(1 − 2η/3). The SDE with the same θ-dependent
//! covariance drifts too, at η²/(2(3 − 2η/K)): the drift is a property of the
//! gradient noise's covariance turning with z, and SGD's discreteness only
//! adds the factor (an SDE analysis with constant C would predict 0).

mod common;

use common::experiment;
use rayon::prelude::*;
use simsgd::backend::cpu;
use simsgd::stats::Moments;
use simsgd::theory::law;
use simsgd::theory::resum::{self, Resum};

/// Per-trial drift of z per step over the second half of T steps,
/// (z_T − z_{T/2})/(T/2), from runs of T and T/2 steps on the same samples
/// (fresh SGD and the SDE draw step t's randomness from its own counter).
fn measured_velocity(flags: &str, eta: f64, steps: usize, trials: u64) -> (f64, f64) {
    let args = |t: usize| format!("{flags} --eta {eta} --steps {t} --seed 9");
    let (full, half) = (experiment(&args(steps)), experiment(&args(steps / 2)));
    let chunks: Vec<u64> = (0..trials).step_by(256).collect();
    let moments = chunks
        .par_iter()
        .map(|&start| {
            let range = start..(start + 256).min(trials);
            let (a, b) = (cpu::trials(&full, &full.plan, range.clone()), cpu::trials(&half, &half.plan, range));
            let mut m = Moments::default();
            for (x, y) in a.iter().zip(&b) {
                m.push((x.theta[2] - y.theta[2]) / (steps / 2) as f64);
            }
            m
        })
        .reduce(Moments::default, |mut a, b| {
            a.merge(&b);
            a
        });
    (moments.mean, moments.stderr())
}

/// The re-summed order-3 prediction of the same quantity.
fn predicted_velocity(flags: &str, eta: f64, steps: usize) -> f64 {
    let z = |t: usize| {
        let exp = experiment(&format!("{flags} --eta {eta} --steps {t}"));
        let p = resum::predict(&exp.landscape.visit(law::Exact(&exp.init)), &exp.plan, 3, Resum::Exact).unwrap();
        p.at(eta).3[2]
    };
    (z(steps) - z(steps / 2)) / (steps / 2) as f64
}

#[test]
fn archimedes_drifts_at_the_resummed_velocity() {
    let steps = 10_000;
    let mut deviations = Vec::new();
    for eta in [0.02, 0.05, 0.1] {
        let predicted = predicted_velocity("archimedes", eta, steps);
        assert!(
            (predicted - eta * eta / (2.0 * (3.0 - 2.0 * eta))).abs() < 1e-12 * predicted,
            "η = {eta}: {predicted}"
        );
        let (v, se) = measured_velocity("archimedes", eta, steps, 6000);
        // The order-3 prediction's own error is relative O(η) (the next
        // diagrams that grow with T have five edges): allow η/10 of it.
        assert!((v - predicted).abs() < 3.0 * se + 0.1 * eta * predicted, "η = {eta}: {v} ± {se} vs {predicted}");
        let leading = eta * eta / 6.0;
        deviations.push((v - leading) / leading);
        println!(
            "η = {eta}: measured {v:.6e} ± {se:.1e}, re-summed {predicted:.6e} ({:+.2}%), η²/6 {leading:.6e} ({:.2}% low)",
            100.0 * (predicted / v - 1.0),
            100.0 * (v - leading) / v
        );
        if eta >= 0.05 {
            assert!((v - leading).abs() > 5.0 * se, "η = {eta}: η²/6 should be resolved as too small: {v} ± {se}");
        }
    }
    // The leading law's relative error shrinks with η (+1.3%, +3.2%, +6.6% measured).
    assert!(deviations[0] < deviations[1] && deviations[1] < deviations[2], "{deviations:?}");
}

#[test]
fn sde_drifts_too_and_sgd_is_faster_by_its_discreteness() {
    let (eta, steps) = (0.1, 10_000);
    let sde = "archimedes --optimizer sde --substeps 16";
    let predicted = predicted_velocity(sde, eta, steps);
    let k = 16.0;
    assert!((predicted - eta * eta / (2.0 * (3.0 - 2.0 * eta / k))).abs() < 1e-12 * predicted, "{predicted}");
    let (v, se) = measured_velocity(sde, eta, steps, 1000);
    assert!((v - predicted).abs() < 3.0 * se + 0.1 * eta * predicted, "SDE: {v} ± {se} vs {predicted}");
    let (v_sgd, se_sgd) = measured_velocity("archimedes", eta, steps, 1000);
    let gap = v_sgd - v;
    let gap_se = (se * se + se_sgd * se_sgd).sqrt();
    assert!(gap > 10.0 * gap_se, "SGD − SDE velocity {gap} ± {gap_se}");
    let predicted_gap = predicted_velocity("archimedes", eta, steps) - predicted;
    println!("η = {eta}: SDE {v:.6e} ± {se:.1e} (predicted {predicted:.6e}); SGD {v_sgd:.6e} ± {se_sgd:.1e}; SGD − SDE {gap:.3e} ± {gap_se:.1e}, predicted {predicted_gap:.3e}");
    assert!((gap / predicted_gap - 1.0).abs() < 0.15, "SGD − SDE {gap} vs predicted {predicted_gap}");
}

/// Corollary 5 / seed 001 Fig. 9 (center): on Gauss at its minimum h = 0,
/// SGD − SDE (K = 16) in paired runs (the same samples drive both) is
/// negative and matches the order-4 prediction within 3 SE for η in
/// 0.05..0.25 at T = 1; order 3 has the right sign and magnitude (within
/// 2.5x: the order-4 term is 15–75% of it here).
/// (At T = 10 and η ≥ 0.15 SGD's test loss has a heavy tail — rare trials with
/// e^(−h) huge — and the paired mean has no usable standard error.)
#[test]
fn gauss_sgd_minus_sde_follows_orders_three_and_four() {
    for eta in [0.05, 0.15, 0.25] {
        let args = format!("gauss --steps 1 --eta {eta} --compare sde --substeps 16 --trials 1000000 --seed 3");
        let exp = experiment(&args);
        let out = common::run(&exp);
        let d = out.compare.expect("paired").1.test_loss_diff.summary();
        let law = exp.landscape.visit(law::Exact(&exp.init));
        let difference = |order: usize| {
            let sgd = simsgd::theory::predict::predict(&law, &exp.plan, order).unwrap().at(eta).0;
            let sde = simsgd::theory::predict::predict(&law, exp.compare.as_ref().unwrap(), order).unwrap().at(eta).0;
            sgd - sde
        };
        let (three, four) = (difference(3), difference(4));
        println!("η = {eta}: SGD − SDE {:.4e} ± {:.1e}; order 3 {three:.4e}, order 4 {four:.4e}", d.mean, d.stderr);
        assert!(d.mean < -3.0 * d.stderr, "η = {eta}: SGD − SDE = {} ± {}", d.mean, d.stderr);
        common::assert_within(&d, four, 3.0, &format!("η = {eta}: order 4"));
        assert!(three < 0.0 && (0.4..2.5).contains(&(d.mean / three)), "η = {eta}: order 3 {three} vs {}", d.mean);
    }
}
