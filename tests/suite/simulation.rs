//! The CPU backend against exact results: Gauss's closed form, Mean
//! Estimation under every grid (and SDE/ODE), divergence accounting,
//! determinism and the common-random-numbers layout.

use crate::common;

use common::{assert_within, mean_estimation, resolve, run};
use simsgd::backend::cpu::Cpu;
use simsgd::backend::driver;
use simsgd::experiment::Spec;
use simsgd::landscape::{AnyLandscape, Landscape, Visitor};
use simsgd::optimizer::Optimizer;
use simsgd::progress::Progress;
use simsgd::rng::{self, Stream};

#[test]
fn gauss_one_step_matches_its_closed_form() {
    // h_1 = −(η/2)(1 − x²), so E h_1 = 0 and
    // E e^(−h_1) = e^(η/2) E e^(−η x²/2) = e^(η/2)/√(1 + η):
    // E l(h_1) = ½ e^(η/2)/√(1 + η).
    let eta: f64 = 0.1;
    let exact = 0.5 * (eta / 2.0).exp() / (1.0 + eta).sqrt();
    let out = run(&resolve(&Spec { trials: 200_000, eta: 0.1, ..Spec::new("gauss") }));
    let s = out.primary.test_loss.summary();
    assert!(s.stderr < 2e-5, "stderr {}", s.stderr);
    assert!(s.covers(exact), "CI {:?} misses {exact}", s.ci95);
    assert!((s.mean - 0.50117).abs() < 5e-5);
    assert_within(&s, exact, 5.0, "gauss test loss");
}

/// Exact Mean Estimation at η (tests/common/mean_estimation.rs): (test loss, gap).
fn mean_estimation_exact(h: f64, s: f64, eta: f64, theta0: f64, n: usize, batches: &[Vec<usize>]) -> (f64, f64) {
    let exact = mean_estimation::discrete(h, s, theta0, n, batches);
    (exact.test.eval([eta, 0.0, 0.0]), exact.gap.eval([eta, 0.0, 0.0]))
}

/// Mean Estimation at H = 0.8, S = 1.2 from θ₀ = 0.5, 100000 trials.
fn me() -> Spec {
    Spec { trials: 100_000, ..mean_estimation::spec(0.8, 1.2, 0.5) }
}

fn check_mean_estimation(spec: Spec, n: usize, batches: Vec<Vec<usize>>) {
    let (test, gap) = mean_estimation_exact(0.8, 1.2, 0.1, 0.5, n, &batches);
    let spec = Spec { eta: 0.1, ..spec };
    let flags = spec.command_line();
    let out = run(&resolve(&spec));
    assert_eq!(out.primary.diverged, 0);
    assert_within(&out.primary.test_loss.summary(), test, 5.0, &format!("test loss, {flags}"));
    assert_within(&out.primary.gen_gap.summary(), gap, 5.0, &format!("gap, {flags}"));
}

#[test]
fn mean_estimation_fresh_sgd() {
    check_mean_estimation(Spec { steps: Some(10), ..me() }, 10, (0..10).map(|t| vec![t]).collect());
}

#[test]
fn mean_estimation_batched_sgd() {
    check_mean_estimation(
        Spec { train_size: Some(12), batch: Some(3), epochs: Some(1), ..me() },
        12,
        (0..4).map(|t| vec![3 * t, 3 * t + 1, 3 * t + 2]).collect(),
    );
}

#[test]
fn mean_estimation_multi_epoch_sgd() {
    check_mean_estimation(
        Spec { train_size: Some(4), epochs: Some(3), ..me() },
        4,
        (0..12).map(|t| vec![t % 4]).collect(),
    );
}

#[test]
fn mean_estimation_gd() {
    check_mean_estimation(
        Spec { optimizer: Optimizer::Gd, train_size: Some(6), steps: Some(8), ..me() },
        6,
        vec![(0..6).collect(); 8],
    );
}

#[test]
fn mean_estimation_shuffled_epochs_average_over_permutations() {
    // N = 3, E = 2: the 36 pairs of epoch orders are equally likely. At
    // η = 0.5 the order matters by 4% of the test loss.
    let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let (mut test, mut gap) = (0.0, 0.0);
    for p in &perms {
        for q in &perms {
            let batches: Vec<Vec<usize>> = p.iter().chain(q).map(|&n| vec![n]).collect();
            let (t, g) = mean_estimation_exact(0.8, 1.2, 0.5, 0.5, 3, &batches);
            test += t / 36.0;
            gap += g / 36.0;
        }
    }
    let out = run(&resolve(&Spec { train_size: Some(3), epochs: Some(2), shuffle: true, eta: 0.5, ..me() }));
    assert_within(&out.primary.test_loss.summary(), test, 5.0, "shuffled test loss");
    assert_within(&out.primary.gen_gap.summary(), gap, 5.0, "shuffled gap");
    // Shuffling matters here: the unshuffled order gives a different value.
    let fixed = mean_estimation_exact(0.8, 1.2, 0.5, 0.5, 3, &[0, 1, 2, 0, 1, 2].map(|n| vec![n]));
    assert!(out.primary.test_loss.summary().z(fixed.0).abs() > 5.0, "shuffle made no difference");
}

#[test]
fn mean_estimation_sde_and_ode_are_exact_discretisations() {
    let at = |p: &common::poly::Poly| p.eval([0.1, 0.0, 0.0]);
    let sde_exact = at(&mean_estimation::continuous(0.8, 1.2, 0.5, 10, 16, true).test);
    let ode_exact = at(&mean_estimation::continuous(0.8, 1.2, 0.5, 10, 16, false).test);
    let sde = run(&resolve(&Spec { eta: 0.1, optimizer: Optimizer::Sde, steps: Some(10), substeps: 16, ..me() }));
    assert_within(&sde.primary.test_loss.summary(), sde_exact, 5.0, "SDE test loss");
    // The SDE never sees the training set: its gap has mean zero.
    assert_within(&sde.primary.gen_gap.summary(), 0.0, 5.0, "SDE gap");
    let ode = run(&resolve(&Spec {
        eta: 0.1,
        optimizer: Optimizer::Ode,
        steps: Some(10),
        trials: 100,
        ..mean_estimation::spec(0.8, 1.2, 0.5)
    }));
    let s = ode.primary.test_loss.summary();
    assert!((s.mean - ode_exact).abs() < 1e-13 && s.stderr < 1e-15, "ODE {} vs {ode_exact}", s.mean);
}

#[test]
fn learning_curve_follows_the_exact_second_moment() {
    // Fresh SGD: E θ_t² = a^(2t) θ0² + η²S² Σ_{k<t} a^(2k), a = 1 − ηH.
    let out = run(&resolve(&Spec { eta: 0.1, steps: Some(10), record_every: Some(3), ..me() }));
    let steps: Vec<usize> = out.primary.curve.iter().map(|c| c.step).collect();
    assert_eq!(steps, [0, 3, 6, 9, 10]);
    let a: f64 = 1.0 - 0.08;
    for c in &out.primary.curve {
        let t = c.step as i32;
        let second = a.powi(2 * t) * 0.25 + (0..t).map(|k| a.powi(2 * k)).sum::<f64>() * 0.0144;
        assert_within(&c.test_loss.summary(), 0.4 * second, 5.0, &format!("curve at step {t}"));
    }
    assert_eq!(out.primary.curve.last().unwrap().test_loss, out.primary.test_loss.moments);
}

#[test]
fn valley_of_death_divergence_is_counted_not_averaged() {
    // η = 0.01, T = 10: about 6% of trials end non-finite and about a third
    // pass |·| > 1e8 (an independent NumPy simulation gives 5.9% and 33%).
    let out = run(&resolve(&Spec { eta: 0.01, ..Spec::new("valley-of-death") }));
    let p = &out.primary;
    let frac = |k: u64| k as f64 / 100_000.0;
    assert!((0.045..0.075).contains(&frac(p.diverged_nonfinite)), "non-finite {}", p.diverged_nonfinite);
    assert!((0.28..0.38).contains(&frac(p.diverged)), "diverged {}", p.diverged);
    assert_eq!(p.trials(), 100_000);
    for s in [p.test_loss.summary(), p.train_loss.summary(), p.gen_gap.summary()] {
        assert!(s.mean.is_finite() && s.stderr.is_finite() && s.mean.abs() < 1e8, "{s:?}");
    }
    let out = run(&resolve(&Spec { eta: 0.05, ..Spec::new("valley-of-death") }));
    assert!(frac(out.primary.diverged) > 0.8, "diverged {}", out.primary.diverged);
    assert!(out.primary.test_loss.summary().mean.is_finite());
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let exp = resolve(&Spec {
        steps: Some(50),
        trials: 3001,
        record_every: Some(10),
        compare: Some(Optimizer::Sde.into()),
        substeps: 2,
        ..Spec::new("archimedes")
    });
    let one = driver::run(&Cpu::new(1).unwrap(), &exp, &Progress::hidden()).unwrap();
    let two = driver::run(&Cpu::new(2).unwrap(), &exp, &Progress::hidden()).unwrap();
    let three = driver::run(&Cpu::new(3).unwrap(), &exp, &Progress::hidden()).unwrap();
    assert_eq!(one, two);
    assert_eq!(one, three);
}

/// Train losses recomputed from the documented streams: training point n of
/// trial i is normal element n of (seed, i, Data).
struct DirectTrainLoss {
    seed: u64,
    theta: Vec<f64>,
    trial: u64,
    n: usize,
}

impl Visitor for DirectTrainLoss {
    type Output = f64;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> f64 {
        let theta: [f64; D] = self.theta.try_into().unwrap();
        (0..self.n).map(|e| l.loss(theta, &[rng::normal(self.seed, self.trial, Stream::Data, e as u64)])).sum::<f64>()
            / self.n as f64
    }
}

#[test]
fn train_loss_is_the_mean_over_the_documented_training_set() {
    for name in AnyLandscape::NAMES {
        let setup = Spec { eta: 0.01, seed: 9, ..Spec::new(name) };
        for spec in [
            Spec { steps: Some(7), ..setup.clone() },
            Spec { optimizer: Optimizer::Gd, train_size: Some(5), steps: Some(3), ..setup.clone() },
            Spec { train_size: Some(6), batch: Some(2), epochs: Some(2), shuffle: true, ..setup.clone() },
        ] {
            let exp = resolve(&spec);
            let trials = common::trials(&exp, &exp.plan, 5..17);
            for (i, t) in trials.iter().enumerate() {
                let direct = exp.landscape.visit(DirectTrainLoss {
                    seed: 9,
                    theta: t.theta.clone(),
                    trial: 5 + i as u64,
                    n: exp.plan.grid.train_size,
                });
                assert!(
                    (t.train_loss - direct).abs() <= 1e-10 * (1.0 + direct.abs()),
                    "{}: {} vs {direct}",
                    spec.command_line(),
                    t.train_loss
                );
            }
        }
    }
}

#[test]
fn paired_runs_share_training_sets() {
    let exp = resolve(&Spec { trials: 50_000, compare: Some(Optimizer::Gd.into()), ..Spec::new("shifting-valleys") });
    let out = run(&exp);
    let (gd, paired) = out.compare.as_ref().unwrap();
    let d = paired.test_loss_diff.summary();
    let (a, b) = (out.primary.test_loss.summary(), gd.test_loss.summary());
    assert_eq!(d.n, 50_000);
    assert!((d.mean - (a.mean - b.mean)).abs() < 1e-12);
    // Common random numbers: the paired SE is below the independent one.
    assert!(d.stderr < (a.stderr.powi(2) + b.stderr.powi(2)).sqrt());
    // Trial by trial, sgd and gd see the same points: at T = 0 both report the
    // same train loss.
    let exp = resolve(&Spec {
        trials: 100,
        steps: Some(0),
        train_size: Some(10),
        compare: Some(Optimizer::Gd.into()),
        ..Spec::new("shifting-valleys")
    });
    let (sgd, gd) =
        (common::trials(&exp, &exp.plan, 0..100), common::trials(&exp, exp.compare.as_ref().unwrap(), 0..100));
    assert!(sgd.iter().zip(&gd).all(|(a, b)| a.train_loss == b.train_loss));
}

#[test]
fn zero_steps_report_the_init() {
    // Shifting Valleys at (1, 1): l = A + B² = 2 for every trial.
    let out = run(&resolve(&Spec { steps: Some(0), trials: 1000, ..Spec::new("shifting-valleys") }));
    let s = out.primary.test_loss.summary();
    assert_eq!((s.mean, s.stderr), (2.0, 0.0));
    // Train loss: the mean of l_x(1, 1) = 1 + (1 − x)² − 1 over N = 1 point,
    // an unbiased estimate of 2.
    assert_within(&out.primary.train_loss.summary(), 2.0, 5.0, "train loss at init");
}

/// The learning curve records train loss and gap too (issue 18): at step t
/// of one pass over N = 10 points, the train loss is over all ten points
/// (five of them not yet visited), and its exact expectation is that of the
/// run stopped after the first t batches on the same N points; at T the
/// curve's values are the final ones.
#[test]
fn learning_curves_record_train_loss_and_gap() {
    let spec = Spec { train_size: Some(10), epochs: Some(1), record_every: Some(5), trials: 200_000, ..me() };
    let out = run(&resolve(&spec));
    let steps: Vec<usize> = out.primary.curve.iter().map(|c| c.step).collect();
    assert_eq!(steps, [0, 5, 10]);
    let fresh: Vec<Vec<usize>> = (0..10).map(|t| vec![t]).collect();
    for c in &out.primary.curve {
        let exact = mean_estimation::discrete(0.8, 1.2, 0.5, 10, &fresh[..c.step]);
        let at = |p: &common::poly::Poly| p.eval([spec.eta, 0.0, 0.0]);
        let (test, gap) = (at(&exact.test), at(&exact.gap));
        assert_within(&c.test_loss.summary(), test, 5.0, &format!("test loss at {}", c.step));
        assert_within(&c.train_loss.summary(), test - gap, 5.0, &format!("train loss at {}", c.step));
        assert_within(&c.gen_gap.summary(), gap, 5.0, &format!("gap at {}", c.step));
    }
    let last = out.primary.curve.last().unwrap();
    for (curve, last_value) in [(&last.train_loss, &out.primary.train_loss), (&last.gen_gap, &out.primary.gen_gap)] {
        let (a, b) = (curve.summary(), last_value.summary());
        assert!(a.n == b.n && (a.mean - b.mean).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}
