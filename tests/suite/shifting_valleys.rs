//! Shifting Valleys is quadratic in θ, so SGD and GD propagate moments exactly:
//! the expected test loss (and GD's expected gap) are polynomials in η,
//! derived here and compared with `run` within 4 SE.
//!
//! l_x(A, B) = A + (B − Ax)² − A² has ∇l_x = (1 − 2A − 2Bx + 2Ax², 2B − 2Ax),
//! so one step with datapoint x is affine: θ' = M(x) θ + c with
//! M(x) = M0 + x M1 + x² M2, M0 = [[1 + 2η, 0], [0, 1 − 2η]],
//! M1 = [[0, 2η], [2η, 0]], M2 = [[−2η, 0], [0, 0]], c = (−η, 0).

use crate::common;

use common::poly::{normal_moment, Poly};
use common::{prediction, resolve, run};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;

type Vec2 = [Poly; 2];
type Mat2 = [[Poly; 2]; 2];

fn eta() -> Poly {
    Poly::var(0)
}

fn c(k: f64) -> Poly {
    Poly::constant(k)
}

fn mat_vec(m: &Mat2, v: &Vec2) -> Vec2 {
    std::array::from_fn(|i| &(&m[i][0] * &v[0]) + &(&m[i][1] * &v[1]))
}

/// M_a S M_bᵀ.
fn sandwich(a: &Mat2, s: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let mut acc = Poly::default();
            for k in 0..2 {
                for l in 0..2 {
                    acc = &acc + &(&(&a[i][k] * &s[k][l]) * &b[j][l]);
                }
            }
            acc
        })
    })
}

fn step_matrices() -> [Mat2; 3] {
    let e = eta();
    let z = Poly::default;
    [
        [[&c(1.0) + &e.scale(2.0), z()], [z(), &c(1.0) - &e.scale(2.0)]],
        [[z(), e.scale(2.0)], [e.scale(2.0), z()]],
        [[e.scale(-2.0), z()], [z(), z()]],
    ]
}

/// E[A_T + B_T²] for fresh-sample SGD from (1, 1): propagate m = E θ and
/// S = E θθᵀ, using E x^k = 0, 1, 0, 3 for k = 1..4 and independence of
/// x_t from θ_t:
/// m' = (M0 + M2) m + c,
/// S' = Σ_ab E[x^(a+b)] M_a S M_bᵀ + M̄ m cᵀ + c mᵀ M̄ᵀ + c cᵀ, M̄ = M0 + M2.
fn sgd_test_loss(steps: usize) -> Poly {
    let ms = step_matrices();
    let cv: Vec2 = [eta().scale(-1.0), Poly::default()];
    let mut m: Vec2 = [c(1.0), c(1.0)];
    let mut s: Mat2 = [[c(1.0), c(1.0)], [c(1.0), c(1.0)]];
    let mbar: Mat2 = std::array::from_fn(|i| std::array::from_fn(|j| &ms[0][i][j] + &ms[2][i][j]));
    for _ in 0..steps {
        let mut next: Mat2 = Default::default();
        for a in 0..3 {
            for b in 0..3 {
                let mu = normal_moment((a + b) as u32);
                if mu != 0.0 {
                    let t = sandwich(&ms[a], &s, &ms[b]);
                    next = std::array::from_fn(|i| std::array::from_fn(|j| &next[i][j] + &t[i][j].scale(mu)));
                }
            }
        }
        let mm = mat_vec(&mbar, &m);
        next = std::array::from_fn(|i| {
            std::array::from_fn(|j| &(&(&next[i][j] + &(&mm[i] * &cv[j])) + &(&cv[i] * &mm[j])) + &(&cv[i] * &cv[j]))
        });
        m = std::array::from_fn(|i| &mm[i] + &cv[i]);
        s = next;
    }
    &m[0] + &s[1][1]
}

/// E[m1^a m2^b] for the sample moments m1 = x̄, m2 = (1/N) Σ x_n² of N
/// standard normals: m2 = x̄² + S/N with x̄ ~ N(0, 1/N) independent of
/// S ~ χ²_{N−1}, E S^p = Π_{i<p} (N − 1 + 2i).
fn sample_moment(n: usize, a: u32, b: u32) -> f64 {
    let nf = n as f64;
    let xbar = |k: u32| normal_moment(k) * nf.powf(-(k as f64) / 2.0);
    let chi = |p: u32| (0..p).map(|i| (nf - 1.0 + 2.0 * i as f64) / nf).product::<f64>();
    let binom = |n: u32, k: u32| (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    (0..=b).map(|k| binom(b, k) * xbar(a + 2 * k) * chi(b - k)).sum()
}

/// GD on N points: the step is θ' = M̄ θ + c with
/// M̄ = [[1 + 2η − 2η m2, 2η m1], [2η m1, 1 − 2η]]; iterate θ_T symbolically
/// in (η, m1, m2), then average over the training set's (m1, m2).
/// Test loss A + B²; train loss A + B² − 2AB m1 + A²(m2 − 1), so the gap is
/// 2AB m1 − A²(m2 − 1).
fn gd_test_loss_and_gap(n: usize, steps: usize) -> (Poly, Poly) {
    let (e, m1, m2) = (eta(), Poly::var(1), Poly::var(2));
    let mbar: Mat2 = [
        [&(&c(1.0) + &e.scale(2.0)) - &(&e * &m2).scale(2.0), (&e * &m1).scale(2.0)],
        [(&e * &m1).scale(2.0), &c(1.0) - &e.scale(2.0)],
    ];
    let mut th: Vec2 = [c(1.0), c(1.0)];
    for _ in 0..steps {
        let next = mat_vec(&mbar, &th);
        th = [&next[0] - &e, next[1].clone()];
    }
    let [a, b] = th;
    let test = &a + &(&b * &b);
    let gap = &(&(&a * &b) * &m1).scale(2.0) - &(&(&a * &a) * &(&m2 - &c(1.0)));
    let avg = |p: &Poly| p.expect_over(|i, j| sample_moment(n, i, j));
    (avg(&test), avg(&gap))
}

#[test]
fn sample_moments_are_right() {
    // E m1² = 1/N, E m2 = 1, E m2² = 1 + 2/N, E m1² m2 = (N + 2)/N².
    let n = 10;
    assert!((sample_moment(n, 2, 0) - 0.1).abs() < 1e-15);
    assert!((sample_moment(n, 0, 1) - 1.0).abs() < 1e-15);
    assert!((sample_moment(n, 0, 2) - 1.2).abs() < 1e-14);
    assert!((sample_moment(n, 2, 1) - 0.12).abs() < 1e-15);
}

#[test]
fn polynomials_start_right() {
    // η⁰: l(1, 1) = 2. η¹: −T |G|² = −T (1 + 4) for both optimizers.
    let sgd = sgd_test_loss(10).coefficients();
    let (gd, gap) = gd_test_loss_and_gap(10, 10);
    let gd = gd.coefficients();
    assert!((sgd[0] - 2.0).abs() < 1e-12 && (gd[0] - 2.0).abs() < 1e-12);
    assert!((sgd[1] + 50.0).abs() < 1e-9 && (gd[1] + 50.0).abs() < 1e-9, "{} {}", sgd[1], gd[1]);
    // The gap vanishes at η = 0 (θ_0 does not depend on the data).
    assert!(gap.coefficients()[0].abs() < 1e-12);
}

#[test]
fn sgd_matches_the_exact_polynomial() {
    for eta in [0.05, 0.1] {
        let exact = sgd_test_loss(10).eval([eta, 0.0, 0.0]);
        let out =
            run(&resolve(&Spec { eta, steps: Some(10), trials: 100_000, seed: 3, ..Spec::new("shifting-valleys") }));
        common::assert_within(&out.primary.test_loss.summary(), exact, 4.0, &format!("SGD test loss at η = {eta}"));
    }
}

#[test]
fn gd_matches_the_exact_polynomials() {
    for eta in [0.05, 0.1] {
        let (test, gap) = gd_test_loss_and_gap(10, 10);
        let out = run(&resolve(&Spec {
            optimizer: Optimizer::Gd,
            train_size: Some(10),
            eta,
            steps: Some(10),
            trials: 100_000,
            seed: 4,
            ..Spec::new("shifting-valleys")
        }));
        common::assert_within(&out.primary.test_loss.summary(), test.eval([eta, 0.0, 0.0]), 4.0, "GD test loss");
        common::assert_within(&out.primary.gen_gap.summary(), gap.eval([eta, 0.0, 0.0]), 4.0, "GD gap");
    }
}

/// The diagram engine's coefficients to order 4 equal the exact polynomials':
/// SGD [2, −50, 800, −10200, 93060], GD [2, −50, 890, −11841.6, …] and GD's gap
/// at T = N = 10, and again at T = 3, N = 4 (the counts are closed forms in T).
#[test]
fn the_diagram_engine_expands_the_polynomials() {
    let order = 4;
    for (steps, n) in [(10, 10), (3, 4)] {
        let sgd = prediction(&Spec { steps: Some(steps), ..Spec::new("shifting-valleys") }, order);
        common::assert_coefficients(&sgd.test_loss, &sgd_test_loss(steps).taylor(order), "SGD test loss");
        let (test, gap) = gd_test_loss_and_gap(n, steps);
        let gd = prediction(
            &Spec {
                optimizer: Optimizer::Gd,
                train_size: Some(n),
                steps: Some(steps),
                ..Spec::new("shifting-valleys")
            },
            order,
        );
        common::assert_coefficients(&gd.test_loss, &test.taylor(order), &format!("GD test loss, N = {n}, T = {steps}"));
        common::assert_coefficients(&gd.gen_gap, &gap.taylor(order), &format!("GD gap, N = {n}, T = {steps}"));
    }
}
