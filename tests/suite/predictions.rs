//! The diagram engine's coefficients against exact values computed
//! independently: Mean Estimation's closed forms on every grid and for the
//! SDE and ODE, and seed 000's printed second-order claims (wrong in places).
//! (Shifting Valleys' exact polynomials are checked in shifting_valleys.rs,
//! Gauss at T = 1 in src/theory/predict.rs.)

use crate::common;

use common::mean_estimation::{self, Exact};
use common::poly::Poly;
use common::{assert_coefficients, prediction, resolve};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;
use simsgd::theory::statistics;

const ORDER: usize = 4;

/// Mean Estimation at H = 0.8, S = 1.2 from θ₀ = 0.5.
fn me() -> Spec {
    mean_estimation::spec(0.8, 1.2, 0.5)
}

fn check(spec: Spec, exact: &Exact) {
    let p = prediction(&spec, ORDER);
    let flags = spec.command_line();
    assert_coefficients(&p.test_loss, &exact.test.taylor(ORDER), &format!("test loss, {flags}"));
    assert_coefficients(&p.gen_gap, &exact.gap.taylor(ORDER), &format!("gap, {flags}"));
    let train = &exact.test - &exact.gap;
    assert_coefficients(&p.train_loss, &train.taylor(ORDER), &format!("train loss, {flags}"));
    assert_coefficients(&p.theta[0], &exact.theta.taylor(ORDER), &format!("θ, {flags}"));
}

fn discrete(n: usize, batches: Vec<Vec<usize>>) -> Exact {
    mean_estimation::discrete(0.8, 1.2, 0.5, n, &batches)
}

#[test]
fn mean_estimation_on_every_grid() {
    check(Spec { steps: Some(10), ..me() }, &discrete(10, (0..10).map(|t| vec![t]).collect()));
    check(
        Spec { train_size: Some(12), batch: Some(3), epochs: Some(1), ..me() },
        &discrete(12, (0..4).map(|t| vec![3 * t, 3 * t + 1, 3 * t + 2]).collect()),
    );
    check(Spec { train_size: Some(4), epochs: Some(3), ..me() }, &discrete(4, (0..12).map(|t| vec![t % 4]).collect()));
    check(
        Spec { train_size: Some(4), batch: Some(2), epochs: Some(3), ..me() },
        &discrete(4, (0..6).map(|t| vec![2 * (t % 2), 2 * (t % 2) + 1]).collect()),
    );
    check(
        Spec { optimizer: Optimizer::Gd, train_size: Some(6), steps: Some(8), ..me() },
        &discrete(6, vec![(0..6).collect(); 8]),
    );
}

/// Heavy-ball and Nesterov momentum: the diagrams with momentum's kernel on
/// every edge give the exact Taylor coefficients of the linear recursion
/// (tests/suite/common/mean_estimation.rs), to order 4, on fresh, batched,
/// multi-epoch, shuffled and full-batch grids.
#[test]
fn momentum_on_mean_estimation_is_exact() {
    let exact = |n: usize, batches: Vec<Vec<usize>>, beta: f64, nesterov: bool| {
        mean_estimation::momentum(0.8, 1.2, 0.5, n, &batches, beta, nesterov)
    };
    let momentum =
        |beta: f64, nesterov: bool| Spec { optimizer: Optimizer::Momentum, beta: Some(beta), nesterov, ..me() };
    let fresh: Vec<Vec<usize>> = (0..10).map(|t| vec![t]).collect();
    for (beta, nesterov) in [(0.5, false), (0.9, false), (0.9, true), (0.0, true)] {
        check(Spec { steps: Some(10), ..momentum(beta, nesterov) }, &exact(10, fresh.clone(), beta, nesterov));
    }
    check(
        Spec { train_size: Some(5), batch: Some(5), steps: Some(10), ..momentum(0.9, false) },
        &exact(5, vec![(0..5).collect(); 10], 0.9, false),
    );
    check(
        Spec { train_size: Some(4), batch: Some(2), epochs: Some(3), ..momentum(0.7, true) },
        &exact(4, (0..6).map(|t| vec![2 * (t % 2), 2 * (t % 2) + 1]).collect(), 0.7, true),
    );
    // One shuffled epoch is an unshuffled one.
    check(Spec { steps: Some(6), shuffle: true, ..momentum(0.5, false) }, &exact(6, fresh[..6].to_vec(), 0.5, false));
    // Several shuffled epochs: the exact average over every pair of visiting
    // orders (6² on N = 3, B = 1; 24² on N = 4, B = 2).
    for (n, b, beta, nesterov) in [(3, 1, 0.5, false), (3, 1, 0.7, true), (4, 2, 0.9, false)] {
        let perms = permutations(n);
        let batches = |order: &[usize]| -> Vec<Vec<usize>> { order.chunks(b).map(|c| c.to_vec()).collect() };
        let all: Vec<Exact> = perms
            .iter()
            .flat_map(|p| perms.iter().map(move |q| [batches(p), batches(q)].concat()))
            .map(|schedule| exact(n, schedule, beta, nesterov))
            .collect();
        let spec =
            Spec { train_size: Some(n), batch: Some(b), epochs: Some(2), shuffle: true, ..momentum(beta, nesterov) };
        check(spec, &Exact::mean(&all));
    }
}

/// Every permutation of 0..n.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    permutations(n - 1).into_iter().flat_map(|p| (0..n).map(move |i| [&p[..i], &[n - 1], &p[i..]].concat())).collect()
}

/// p(q(η)) to `order`, for q(0) = 0.
fn compose(p: &Poly, q: &Poly, order: usize) -> Vec<f64> {
    let mut power = Poly::constant(1.0);
    let mut out = Poly::default();
    for c in p.taylor(order) {
        out = &out + &power.scale(c);
        power = &power * q;
    }
    out.taylor(order)
}

/// invhess on Mean Estimation: every point's Hessian is H, so the step is
/// SGD's at η' = η/(1 + ηλH) = Σ_k (−λH)^(k−1) η^k. The diagrams with
/// same-step marks (λ per mark) give SGD's exact coefficients composed with
/// η', on batched, multi-epoch and full-batch grids (marked edges join
/// different points of one batch there).
#[test]
fn invhess_on_mean_estimation_is_sgd_at_a_rescaled_rate() {
    let (h, lambda): (f64, f64) = (0.8, 2.0);
    let rate = (1..=ORDER)
        .fold(Poly::default(), |acc, k| &acc + &Poly::monomial((-lambda * h).powi(k as i32 - 1), [k as u32, 0, 0]));
    for (spec, n, batches) in [
        (Spec { steps: Some(8), ..me() }, 8, (0..8).map(|t| vec![t]).collect::<Vec<_>>()),
        (
            Spec { train_size: Some(4), batch: Some(2), epochs: Some(3), ..me() },
            4,
            (0..6).map(|t| vec![2 * (t % 2), 2 * (t % 2) + 1]).collect(),
        ),
        (Spec { train_size: Some(5), batch: Some(5), steps: Some(6), ..me() }, 5, vec![(0..5).collect(); 6]),
    ] {
        let spec = Spec { optimizer: Optimizer::Invhess, lambda: Some(lambda), ..spec };
        let sgd = discrete(n, batches);
        let p = prediction(&spec, ORDER);
        let flags = spec.command_line();
        assert_coefficients(&p.test_loss, &compose(&sgd.test, &rate, ORDER), &format!("test loss, {flags}"));
        assert_coefficients(&p.gen_gap, &compose(&sgd.gap, &rate, ORDER), &format!("gap, {flags}"));
        assert_coefficients(&p.theta[0], &compose(&sgd.theta, &rate, ORDER), &format!("θ, {flags}"));
    }
}

/// invhess on Gauss at T = 1 from h = 0, λ = 1: h₁ = −η(1 − x²)/(2 + ηλx²)
/// = −(η/2)(1 − x²) Σ_k (−ηλx²/2)^k. With E x^(2k) = (2k − 1)!!, E h₁ =
/// −(η/2)·0 + (η²λ/4)(1 − 3) − (η³λ²/8)(3 − 15) = −η²/2 + (3/2)η³, and
/// expanding ½(h₁ + e^{−h₁}) and ½(h₁ + x²e^{−h₁}) to η³ the same way gives
/// E test loss = ½ + η²/8 − (17/24)η³ and E train loss (N = 1) =
/// ½ − η/2 + (15/8)η² − (251/24)η³. Non-quadratic: third and fourth
/// derivatives meet the marks.
#[test]
fn invhess_on_gauss_at_one_step_matches_its_expansion() {
    let spec = Spec { optimizer: Optimizer::Invhess, lambda: Some(1.0), ..Spec::new("gauss") };
    let p = prediction(&spec, 3);
    assert_coefficients(&p.test_loss, &[0.5, 0.0, 0.125, -17.0 / 24.0], "test loss");
    assert_coefficients(&p.train_loss, &[0.5, -0.5, 15.0 / 8.0, -251.0 / 24.0], "train loss");
    assert_coefficients(&p.theta[0], &[0.0, 0.0, -0.5, 1.5], "h");
}

/// Shuffled epochs: the exact average over all 6² pairs of visiting orders.
#[test]
fn mean_estimation_shuffled_epochs() {
    let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let all: Vec<Exact> = perms
        .iter()
        .flat_map(|p| perms.iter().map(move |q| discrete(3, p.iter().chain(q).map(|&n| vec![n]).collect())))
        .collect();
    let shuffled = Exact::mean(&all);
    check(Spec { train_size: Some(3), epochs: Some(2), shuffle: true, ..me() }, &shuffled);
    // Here the visiting order first matters at order 4: the unshuffled grid differs there.
    let fixed = discrete(3, [0, 1, 2, 0, 1, 2].map(|n| vec![n]).to_vec());
    let (a, b) = (shuffled.test.taylor(ORDER), fixed.test.taylor(ORDER));
    assert!((a[4] - b[4]).abs() > 1e-3 * a[4].abs(), "order 4: {a:?} vs {b:?}");
}

#[test]
fn mean_estimation_sde_and_ode() {
    check(
        Spec { optimizer: Optimizer::Sde, steps: Some(10), substeps: 16, ..me() },
        &mean_estimation::continuous(0.8, 1.2, 0.5, 10, 16, true),
    );
    check(
        Spec { optimizer: Optimizer::Ode, steps: Some(10), substeps: 4, ..me() },
        &mean_estimation::continuous(0.8, 1.2, 0.5, 10, 4, false),
    );
}

/// The error of the order-d truncation of an exact polynomial shrinks like
/// η^(d+1): halving η divides it by 2^(d+1) (to 10% at these η).
#[test]
fn truncation_error_shrinks_like_the_next_power() {
    let exact = discrete(6, vec![(0..6).collect(); 8]).test;
    let p = prediction(&Spec { optimizer: Optimizer::Gd, train_size: Some(6), steps: Some(8), ..me() }, ORDER);
    let error =
        |d: usize, eta: f64| exact.eval([eta, 0.0, 0.0]) - simsgd::theory::predict::value(&p.test_loss[..=d], eta);
    for d in 1..=ORDER {
        let ratio = error(d, 0.002) / error(d, 0.001);
        let want = 2f64.powi(d as i32 + 1);
        assert!((ratio / want - 1.0).abs() < 0.1, "order {d}: ratio {ratio}, want {want}");
    }
}

/// Seed 000 prints, with C(T, k) binomials,
///   E L_SGD = () + η C(T,1) INT + η² (C(T,2)(PAS/2 + PAS/4) + C(T,1)(PAS/4 + PER/2)),
///   E L_GD  = () + η C(T,1) INT + η² (C(T,2)(PAS/2 + TEM/2N + PAS/4 + PER/2N) + C(T,1)(PAS/4 + PER/2N)).
/// The engine (and the exact Shifting Valleys polynomials) say: the η term is
/// −T·INT; with PAS read as 2GᵀHG (the notes' own definition, 2G·E[hg], fits
/// nothing) the C(T,1) terms are right, but the C(T,2) term of SGD is PAS (not
/// 3PAS/4) and GD's is PAS + TEM/2N + PER/N (not 3PAS/4 + TEM/2N + PER/2N).
/// So at N = T, E L_GD − E L_SGD = η²(T−1)·TEM/4: PER cancels, where the notes'
/// forms give (T−1)(TEM − PER)/4.
#[test]
fn seed_000_second_order_claims() {
    for (name, init) in
        [("valley-of-death", [1.0, 1.0]), ("valley-of-death", [0.7, -0.3]), ("shifting-valleys", [1.0, 1.0])]
    {
        let t = 10.0;
        let spec = Spec { init: Some(init.to_vec()), steps: Some(10), ..Spec::new(name) };
        let exp = resolve(&spec);
        let s = exp.landscape.visit(statistics::Exact(&exp.init)).unwrap();
        let (int, tem, per) = (s.named.INT, s.named.TEM, s.named.PER);
        let ghg: f64 = (0..2).map(|a| (0..2).map(|b| s.g[a] * s.h[a][b] * s.g[b]).sum::<f64>()).sum();
        let pas = 2.0 * ghg;
        let (pairs, n) = (t * (t - 1.0) / 2.0, t);
        let sgd = prediction(&spec, 2).test_loss;
        let gd = prediction(&Spec { optimizer: Optimizer::Gd, train_size: Some(10), ..spec }, 2).test_loss;
        let right_sgd = [s.l, -t * int, pairs * pas + t * (pas / 4.0 + per / 2.0)];
        let right_gd = [s.l, -t * int, pairs * (pas + tem / (2.0 * n) + per / n) + t * (pas / 4.0 + per / (2.0 * n))];
        assert_coefficients(&sgd, &right_sgd, &format!("{name} at {init:?}: SGD"));
        assert_coefficients(&gd, &right_gd, &format!("{name} at {init:?}: GD"));
        let notes_sgd = pairs * (pas / 2.0 + pas / 4.0) + t * (pas / 4.0 + per / 2.0);
        let notes_gd =
            pairs * (pas / 2.0 + tem / (2.0 * n) + pas / 4.0 + per / (2.0 * n)) + t * (pas / 4.0 + per / (2.0 * n));
        assert!(
            (sgd[2] - notes_sgd).abs() > 0.05 * sgd[2].abs(),
            "{name}: the notes' SGD c2 {notes_sgd} vs {}",
            sgd[2]
        );
        assert!((gd[2] - notes_gd).abs() > 0.05 * gd[2].abs(), "{name}: the notes' GD c2 {notes_gd} vs {}", gd[2]);
        assert!((sgd[1] - t * int).abs() > 1.0, "the notes' sign of the η term");
        let difference = gd[2] - sgd[2];
        assert!((difference - (t - 1.0) * tem / 4.0).abs() < 1e-9 * (1.0 + difference.abs()), "{name}: GD − SGD");
        assert!((difference - (t - 1.0) * (tem - per) / 4.0).abs() > 1e-3 * per.abs(), "{name}: PER cancels");
    }
}

/// The η-polynomial of a Poly at the exact order (a sanity check of the helper).
#[test]
fn taylor_pads_and_truncates() {
    let p = &Poly::constant(2.0) + &Poly::var(0).scale(3.0);
    assert_eq!(p.taylor(3), [2.0, 3.0, 0.0, 0.0]);
    assert_eq!(p.taylor(0), [2.0]);
}
