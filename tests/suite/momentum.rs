//! Momentum and the Hessian-based update (seed 002, sec. 4.3) against exact
//! values: heavy-ball and Nesterov SGD and GD on Mean Estimation (linear
//! recursions, tests/suite/common/mean_estimation.rs), invhess on Gauss at
//! T = 1 by quadrature and on Mean Estimation (SGD at a rescaled η), and
//! the β = 0 and λ = 0 runs equal to SGD's bit for bit. The exact checks
//! take the backend's runner ([`Runner`]): tests/suite/gpu.rs runs them on
//! the GPU too.

use crate::common;

use common::{assert_within, mean_estimation, resolve, run};
use simsgd::experiment::{Experiment, Spec};
use simsgd::observables::Outcome;
use simsgd::optimizer::Optimizer;

/// Mean Estimation at H = 2, S = 1 from θ₀ = 1 (the setting).
fn me(optimizer: Optimizer) -> Spec {
    Spec { optimizer, trials: 200_000, eta: 0.05, steps: Some(10), ..mean_estimation::spec(2.0, 1.0, 1.0) }
}

/// A backend's runs: the CPU's ([`run`]) here, the GPU's in tests/suite/gpu.rs.
pub(crate) type Runner<'a> = &'a dyn Fn(&Experiment) -> Outcome;

/// The run's test loss and gap within 4 SE of the exact momentum values on
/// `n` points visited in `batches`, and its test loss more than 20 SE from
/// plain SGD's exact value there (β is not ignored).
fn check(run: Runner, spec: Spec, n: usize, batches: &[Vec<usize>], beta: f64, nesterov: bool) {
    let exact = mean_estimation::momentum(2.0, 1.0, 1.0, n, batches, beta, nesterov);
    let at = [spec.eta, 0.0, 0.0];
    let flags = spec.command_line();
    let out = run(&resolve(&spec));
    assert_eq!(out.primary.diverged, 0, "{flags}");
    assert_within(&out.primary.test_loss.summary(), exact.test.eval(at), 4.0, &format!("test loss, {flags}"));
    assert_within(&out.primary.gen_gap.summary(), exact.gap.eval(at), 4.0, &format!("gap, {flags}"));
    assert_within(&out.primary.theta[0].summary(), exact.theta.eval(at), 4.0, &format!("θ_T, {flags}"));
    let sgd = mean_estimation::discrete(2.0, 1.0, 1.0, n, batches).test.eval(at);
    let z = out.primary.test_loss.summary().z(sgd);
    assert!(z.abs() > 20.0, "{flags}: indistinguishable from SGD's {sgd} (z = {z:.1})");
}

#[test]
fn heavy_ball_sgd_on_mean_estimation_is_exact() {
    heavy_ball_sgd_on_mean_estimation(&run);
}

pub(crate) fn heavy_ball_sgd_on_mean_estimation(run: Runner) {
    // T = 10 fresh points, η = 0.05: the exact test loss is 0.1331 for SGD,
    // 0.0301 for β = 0.5 (the effective rate η/(1 − β) doubles the descent)
    // and 0.4292 for β = 0.9 (ηH/(1 − β) = 1: θ overshoots and oscillates),
    // 0.1820 with Nesterov's look-ahead at β = 0.9.
    let fresh: Vec<Vec<usize>> = (0..10).map(|t| vec![t]).collect();
    for beta in [0.5, 0.9] {
        check(run, Spec { beta: Some(beta), ..me(Optimizer::Momentum) }, 10, &fresh, beta, false);
    }
    check(run, Spec { beta: Some(0.9), nesterov: true, ..me(Optimizer::Momentum) }, 10, &fresh, 0.9, true);
}

#[test]
fn heavy_ball_gd_and_epochs_on_mean_estimation_are_exact() {
    heavy_ball_gd_and_epochs_on_mean_estimation(&run);
}

pub(crate) fn heavy_ball_gd_and_epochs_on_mean_estimation(run: Runner) {
    // GD on N = 5 points (B = N, E = T = 10), and 3 epochs of batches of 2
    // on 6 points.
    let gd = Spec { train_size: Some(5), batch: Some(5), ..me(Optimizer::Momentum) };
    check(run, Spec { beta: Some(0.5), ..gd.clone() }, 5, &vec![(0..5).collect(); 10], 0.5, false);
    check(run, Spec { beta: Some(0.9), ..gd }, 5, &vec![(0..5).collect(); 10], 0.9, false);
    let epochs = Spec { train_size: Some(6), batch: Some(2), steps: None, epochs: Some(3), ..me(Optimizer::Momentum) };
    let batches: Vec<Vec<usize>> = (0..9).map(|t| vec![2 * (t % 3), 2 * (t % 3) + 1]).collect();
    check(run, Spec { beta: Some(0.7), nesterov: true, ..epochs }, 6, &batches, 0.7, true);
}

#[test]
fn beta_zero_and_lambda_zero_are_sgd_bit_for_bit() {
    for grid in [
        Spec { steps: Some(12), ..Spec::new("archimedes") },
        Spec { train_size: Some(6), batch: Some(2), epochs: Some(3), shuffle: true, ..Spec::new("shifting-valleys") },
        Spec { train_size: Some(4), batch: Some(4), steps: Some(5), ..Spec::new("gauss") },
    ] {
        let sgd = resolve(&Spec { trials: 64, ..grid.clone() });
        let want = common::trials(&sgd, &sgd.plan, 0..64);
        for variant in [
            Spec { optimizer: Optimizer::Momentum, beta: Some(0.0), ..grid.clone() },
            Spec { optimizer: Optimizer::Momentum, beta: Some(0.0), nesterov: true, ..grid.clone() },
            Spec { optimizer: Optimizer::Invhess, lambda: Some(0.0), ..grid.clone() },
        ] {
            let exp = resolve(&Spec { trials: 64, ..variant });
            let got = common::trials(&exp, &exp.plan, 0..64);
            let same = got.iter().zip(&want).all(|(a, b)| {
                a.test_loss.to_bits() == b.test_loss.to_bits()
                    && a.train_loss.to_bits() == b.train_loss.to_bits()
                    && a.theta.iter().zip(&b.theta).all(|(x, y)| x.to_bits() == y.to_bits())
            });
            assert!(same, "{} differs from sgd", exp.plan.optimizer.name());
        }
    }
}

#[test]
fn invhess_on_gauss_at_one_step_matches_quadrature() {
    invhess_on_gauss_at_one_step(&run);
}

pub(crate) fn invhess_on_gauss_at_one_step(run: Runner) {
    // From h = 0: g_x = ½(1 − x²), ∇∇l_x = ½x², so (η⁻¹ + λx²/2) s = ½(1 − x²)
    // gives h_1 = −η(1 − x²)/(2 + ηλx²). E ½(h_1 + e^{−h_1}) over x ~ N(0, 1)
    // by the trapezoid rule on [−14, 14] (spectrally accurate for this
    // smooth, fast-decaying integrand). SGD's value, ½e^{η/2}/√(1 + η), is
    // far outside the run's CI.
    let (eta, lambda) = (0.5, 1.0);
    let h1 = |x: f64| -eta * (1.0 - x * x) / (2.0 + eta * lambda * x * x);
    let points = 200_000;
    let dx = 28.0 / points as f64;
    let exact: f64 = (0..=points)
        .map(|i| {
            let x = -14.0 + i as f64 * dx;
            let h = h1(x);
            let w = if i == 0 || i == points { 0.5 } else { 1.0 };
            w * dx * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt() * 0.5 * (h + (-h).exp())
        })
        .sum();
    let spec = Spec { optimizer: Optimizer::Invhess, lambda: Some(lambda), eta, trials: 200_000, ..Spec::new("gauss") };
    let s = run(&resolve(&spec)).primary.test_loss.summary();
    assert_within(&s, exact, 4.0, "invhess on gauss, T = 1");
    let sgd = 0.5 * (eta / 2.0).exp() / (1.0 + eta).sqrt();
    assert!(s.z(sgd).abs() > 20.0, "λ has no visible effect: {} vs sgd {sgd}", s.mean);
}

#[test]
fn invhess_on_mean_estimation_is_sgd_at_a_smaller_rate() {
    invhess_on_mean_estimation(&run);
}

/// ∇∇l = H for every point, so s = η ḡ/(1 + ηλH): SGD at η/(1 + ηλH),
/// on every grid; here GD on 5 points and 2 epochs of batches of 3.
pub(crate) fn invhess_on_mean_estimation(run: Runner) {
    let (eta, lambda) = (0.3, 2.0);
    let effective = eta / (1.0 + eta * lambda * 2.0);
    for (spec, n, batches) in [
        (
            Spec { train_size: Some(5), batch: Some(5), steps: Some(10), ..me(Optimizer::Invhess) },
            5,
            vec![(0..5).collect(); 10],
        ),
        (
            Spec { train_size: Some(6), batch: Some(3), epochs: Some(2), steps: None, ..me(Optimizer::Invhess) },
            6,
            (0..4).map(|t| (3 * (t % 2)..3 * (t % 2) + 3).collect()).collect(),
        ),
    ] {
        let exact = mean_estimation::discrete(2.0, 1.0, 1.0, n, &batches);
        let spec = Spec { eta, lambda: Some(lambda), ..spec };
        let out = run(&resolve(&spec));
        let at = [effective, 0.0, 0.0];
        assert_within(&out.primary.test_loss.summary(), exact.test.eval(at), 4.0, &spec.command_line());
        assert_within(&out.primary.gen_gap.summary(), exact.gap.eval(at), 4.0, &spec.command_line());
    }
}

#[test]
fn a_singular_invhess_step_counts_the_trial_as_diverged() {
    let out = run(&resolve(&singular_invhess()));
    assert_eq!(out.primary.diverged, 1000);
}

/// 1000 trials of invhess whose every step is singular: H = −1, η = 0.5,
/// λ = 2 make η⁻¹ + λH = 0 for every batch.
pub(crate) fn singular_invhess() -> Spec {
    Spec {
        optimizer: Optimizer::Invhess,
        lambda: Some(2.0),
        eta: 0.5,
        trials: 1000,
        ..mean_estimation::spec(-1.0, 1.0, 1.0)
    }
}

#[test]
fn momentum_pairs_with_sgd_on_the_same_training_sets() {
    // --compare sgd: the paired difference of test losses has the exact mean
    // (momentum's exact value minus SGD's) and a smaller SE than unpaired.
    let spec = Spec { beta: Some(0.5), compare: Some(Optimizer::Sgd.into()), ..me(Optimizer::Momentum) };
    let out = run(&resolve(&spec));
    let fresh: Vec<Vec<usize>> = (0..10).map(|t| vec![t]).collect();
    let at = [0.05, 0.0, 0.0];
    let want = mean_estimation::momentum(2.0, 1.0, 1.0, 10, &fresh, 0.5, false).test.eval(at)
        - mean_estimation::discrete(2.0, 1.0, 1.0, 10, &fresh).test.eval(at);
    let (sgd, paired) = out.compare.as_ref().unwrap();
    let d = paired.test_loss_diff.summary();
    assert_within(&d, want, 4.0, "paired momentum − sgd");
    let (a, b) = (out.primary.test_loss.summary(), sgd.test_loss.summary());
    assert!(d.stderr < 0.8 * (a.stderr.powi(2) + b.stderr.powi(2)).sqrt());
}
