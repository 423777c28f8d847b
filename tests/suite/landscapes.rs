//! Every registered landscape's derivatives against finite differences and the
//! hand-written hot gradient, and its exact expectations against Monte Carlo
//! means (the registry iterated, so a new landscape is checked unasked); each
//! landscape's expectations against a closed form derived by hand (in the
//! comments).

use crate::common;

use simsgd::experiment::Spec;
use simsgd::landscape::archimedes::Archimedes;
use simsgd::landscape::derivatives::{gradient, hessian, third};
use simsgd::landscape::gauss::Gauss;
use simsgd::landscape::mean_estimation::MeanEstimation;
use simsgd::landscape::shifting_valleys::ShiftingValleys;
use simsgd::landscape::tilted_bowl::TiltedBowl;
use simsgd::landscape::valley_of_death::ValleyOfDeath;
use simsgd::landscape::{AnyLandscape, Landscape, Visitor};
use simsgd::optimizer::Optimizer;
use simsgd::rng::{self, Stream};
use simsgd::stats::Moments;
use std::f64::consts::FRAC_1_SQRT_2;

/// Points θ at which derivatives are checked: the init and a few others.
fn points<const D: usize>(init: [f64; D]) -> Vec<[f64; D]> {
    let mut v = vec![init];
    for k in 1..4 {
        v.push(std::array::from_fn(|d| init[d] + 0.3 * k as f64 * ((d + k) as f64).sin()));
    }
    v
}

const XS: [f64; 5] = [-2.1, -0.4, 0.0, 0.7, 1.9];

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// ∇ by dual numbers = hand-written hot gradient = central differences of the
/// loss; Hessian = differences of the gradient; third derivative = differences
/// of the Hessian.
fn check_derivatives<L: Landscape<D>, const D: usize>(l: &L) {
    let h = 1e-5;
    for theta in points(l.init()) {
        for x in XS {
            let x: &[f64] = &[x];
            let g = gradient(l, theta, x);
            let hot = l.grad(theta, x);
            let hess = hessian(l, theta, x);
            for i in 0..D {
                assert!(close(g[i], hot[i], 1e-13), "{}: hot ∂{i} {} vs AD {}", l.name(), hot[i], g[i]);
                let shift = |s: f64| {
                    let mut t = theta;
                    t[i] += s;
                    t
                };
                let fd = (l.loss(shift(h), x) - l.loss(shift(-h), x)) / (2.0 * h);
                assert!(close(g[i], fd, 1e-8), "{}: ∂{i} AD {} vs FD {fd}", l.name(), g[i]);
                for j in 0..D {
                    let fd = (gradient(l, shift(h), x)[j] - gradient(l, shift(-h), x)[j]) / (2.0 * h);
                    assert!(close(hess[i][j], fd, 1e-8), "{}: H{i}{j} AD {} vs FD {fd}", l.name(), hess[i][j]);
                    assert!(close(hess[i][j], hess[j][i], 1e-14));
                    for k in 0..D {
                        let fd = (hessian(l, shift(h), x)[j][k] - hessian(l, shift(-h), x)[j][k]) / (2.0 * h);
                        let t3 = third(l, theta, x, [i, j, k]);
                        assert!(close(t3, fd, 1e-7), "{}: J{i}{j}{k} AD {t3} vs FD {fd}", l.name());
                    }
                }
            }
        }
    }
}

/// Every registered landscape, with its parameters moved off their defaults
/// (±0.3 alternately: Mean Estimation's H = 0.7, S = 1.3).
fn every_landscape() -> Vec<AnyLandscape> {
    AnyLandscape::NAMES
        .iter()
        .map(|name| {
            let params = AnyLandscape::from_name(name, &[]).unwrap().describe().params;
            let moved: Vec<(String, f64)> = params
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name.clone(), p.value + if i % 2 == 0 { -0.3 } else { 0.3 }))
                .collect();
            AnyLandscape::from_name(name, &moved).unwrap()
        })
        .collect()
}

struct Derivatives;

impl Visitor for Derivatives {
    type Output = ();
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) {
        check_derivatives(l);
    }
}

#[test]
fn derivatives_agree_with_finite_differences() {
    for l in every_landscape() {
        l.visit(Derivatives);
    }
}

/// Closed forms: test loss l(θ), mean gradient G(θ), gradient covariance C(θ).
type Exact<const D: usize> = fn([f64; D]) -> (f64, [f64; D], [[f64; D]; D]);

/// Quadrature expectations equal the closed forms to rounding.
fn check_expectations<L: Landscape<D>, const D: usize>(l: &L, exact: Exact<D>) {
    for theta in points(l.init()) {
        let (loss, g, c) = exact(theta);
        let (qg, qc) = l.gradient_moments(theta);
        assert!(close(l.test_loss(theta), loss, 1e-12), "{}: quadrature l {} vs {loss}", l.name(), l.test_loss(theta));
        for i in 0..D {
            assert!(close(qg[i], g[i], 1e-12), "{}: G{i} {} vs {}", l.name(), qg[i], g[i]);
            for j in 0..D {
                assert!(close(qc[i][j], c[i][j], 1e-11), "{}: C{i}{j} {} vs {}", l.name(), qc[i][j], c[i][j]);
            }
        }
    }
}

/// Monte Carlo means of l_x, ∇l_x and the gradient covariance over 200k
/// Philox normals agree with the exact (quadrature) expectations within 5 SE,
/// at the init and one other point.
struct MonteCarlo;

impl Visitor for MonteCarlo {
    type Output = ();
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) {
        for (p, theta) in points(l.init()).into_iter().take(2).enumerate() {
            let loss = l.test_loss(theta);
            let (g, c) = l.gradient_moments(theta);
            let mut ml = Moments::default();
            let mut mg = [Moments::default(); D];
            let mut mc = vec![vec![Moments::default(); D]; D];
            for e in 0..200_000 {
                let x: &[f64] = &[rng::normal(11, p as u64, Stream::Data, e)];
                ml.push(l.loss(theta, x));
                let gx = l.grad(theta, x);
                for i in 0..D {
                    mg[i].push(gx[i]);
                    for j in 0..D {
                        mc[i][j].push((gx[i] - g[i]) * (gx[j] - g[j]));
                    }
                }
            }
            common::assert_within(&ml.summary(), loss, 5.0, &format!("{} E l at {theta:?}", l.name()));
            for i in 0..D {
                common::assert_within(&mg[i].summary(), g[i], 5.0, &format!("{} G{i}", l.name()));
                for j in 0..D {
                    if mc[i][j].stderr() > 0.0 {
                        common::assert_within(&mc[i][j].summary(), c[i][j], 5.0, &format!("{} C{i}{j}", l.name()));
                    }
                }
            }
        }
    }
}

#[test]
fn expectations_agree_with_monte_carlo() {
    for l in every_landscape() {
        l.visit(MonteCarlo);
    }
}

#[test]
fn gauss_expectations() {
    // E x² = 1: l = ½(h + e^-h); g_x = ½(1 − x² e^-h), so G = ½(1 − e^-h) and
    // Var g_x = ¼ e^-2h Var x² = ½ e^-2h.
    check_expectations(&Gauss, |[h]| (0.5 * (h + (-h).exp()), [0.5 * (1.0 - (-h).exp())], [[0.5 * (-2.0 * h).exp()]]));
}

#[test]
fn archimedes_expectations() {
    // E x = 0: l = ½H, G = ∇(½H); g_x − G = x ∇S, so C = ∇S ∇Sᵀ.
    check_expectations(&Archimedes, |[u, v, z]| {
        let (s, c) = z.sin_cos();
        let w = c * u + s * v;
        let a = FRAC_1_SQRT_2 * (c + s);
        let b = FRAC_1_SQRT_2 * (s - c);
        let ds = [a, b, a * v - b * u];
        (
            0.5 * (u * u + v * v + w * w),
            [u + w * c, v + w * s, w * (c * v - s * u)],
            std::array::from_fn(|i| std::array::from_fn(|j| ds[i] * ds[j])),
        )
    });
}

#[test]
fn mean_estimation_expectations() {
    // l = ½Hθ², G = Hθ, C = S² (here H = 0.7, S = 1.3).
    check_expectations(&MeanEstimation { h: 0.7, s: 1.3 }, |[t]| (0.35 * t * t, [0.7 * t], [[1.69]]));
}

#[test]
fn shifting_valleys_expectations() {
    // r = B − Ax: E r² = B² + A², so l = A + B² (seed 000 agrees).
    // g = (1 − 2A − 2Bx + 2Ax², 2B − 2Ax) = g0 + x g1 + x² g2 with
    // g1 = (−2B, −2A), g2 = (2A, 0); Cov(x, x²) = 0, Var x² = 2, so
    // C = g1 g1ᵀ + 2 g2 g2ᵀ and G = g0 + g2 = (1, 2B).
    check_expectations(&ShiftingValleys, |[a, b]| {
        (a + b * b, [1.0, 2.0 * b], [[4.0 * b * b + 8.0 * a * a, 4.0 * a * b], [4.0 * a * b, 4.0 * a * a]])
    });
}

#[test]
fn valley_of_death_expectations() {
    // r = B − Ax ~ N(B, A²): E r⁴ = B⁴ + 6A²B² + 3A⁴, so l = A + 6A²B² + B⁴
    // (seed 000 prints 2A²B², which is wrong: see the next test).
    // g_A = 1 − 12A³ − 4x r³, g_B = 4r³. With the normal moments:
    // E x r³ = −3A(A² + B²), E r³ = B³ + 3A²B,
    // Var r³ = 9A²B⁴ + 36A⁴B² + 15A⁶,
    // Var x r³ = B⁶ + 36A²B⁴ + 207A⁴B² + 96A⁶,
    // Cov(x r³, r³) = −(3AB⁵ + 48A³B³ + 81A⁵B).
    check_expectations(&ValleyOfDeath, |[a, b]| {
        let (a2, b2) = (a * a, b * b);
        let caa = 16.0 * (b2 * b2 * b2 + 36.0 * a2 * b2 * b2 + 207.0 * a2 * a2 * b2 + 96.0 * a2 * a2 * a2);
        let cab = 16.0 * (3.0 * a * b2 * b2 * b + 48.0 * a2 * a * b2 * b + 81.0 * a2 * a2 * a * b);
        let cbb = 16.0 * (9.0 * a2 * b2 * b2 + 36.0 * a2 * a2 * b2 + 15.0 * a2 * a2 * a2);
        (a + 6.0 * a2 * b2 + b2 * b2, [1.0 + 12.0 * a * b2, 12.0 * a2 * b + 4.0 * b2 * b], [[caa, cab], [cab, cbb]])
    });
}

#[test]
fn tilted_bowl_expectations() {
    // E x² = 1: l = ½(a² + 2b²) + ½ab = ½θᵀHθ with H = [[1, ½], [½, 2]], G = Hθ.
    // g_x − G = S x (1, 1) + ½(x² − 1)(b, a); Cov(x, x²) = 0, Var x² = 2, so
    // C = S²(1, 1)(1, 1)ᵀ + ½(b, a)(b, a)ᵀ (here S = 0.7).
    check_expectations(&TiltedBowl { s: 0.7 }, |[a, b]| {
        let s2 = 0.49;
        (
            0.5 * (a * a + 2.0 * b * b) + 0.5 * a * b,
            [a + 0.5 * b, 2.0 * b + 0.5 * a],
            [[s2 + 0.5 * b * b, s2 + 0.5 * a * b], [s2 + 0.5 * a * b, s2 + 0.5 * a * a]],
        )
    });
}

/// One GD step on N points from θ₀ on the Tilted Bowl, in closed form: the test
/// loss is ½θᵀHθ exactly (H constant) and θ₁ = θ₀ − η ḡ with E ḡ = G,
/// Cov ḡ = C/N, so E l(θ₁) = l(θ₀) − η GᵀG + ½η² (GᵀHG + tr(HC)/N), exactly (no
/// η³ or higher). The train loss's η coefficient is −E ḡᵀḡ = −(GᵀG + tr C/N).
/// At θ₀ = (1, 1), S = 1, N = 5: l = 2, G = (3/2, 5/2), GᵀG = 17/2,
/// GᵀHG = 37/2, C = (3/2)·(1, 1)(1, 1)ᵀ, tr C = 3, tr(HC) = 6: E l(θ₁) =
/// 2 − 8.5 η + 9.85 η². `simsgd predict` gives these coefficients, and Monte
/// Carlo agrees at η = 0.1 (1.2485).
#[test]
fn tilted_bowl_one_gd_step_in_closed_form() {
    let spec = Spec {
        optimizer: Optimizer::Gd,
        train_size: Some(5),
        steps: Some(1),
        eta: 0.1,
        trials: 200_000,
        ..Spec::new("tilted-bowl")
    };
    let p = common::prediction(&spec, 4);
    common::assert_coefficients(&p.test_loss, &[2.0, -8.5, 9.85, 0.0, 0.0], "E l(θ₁)");
    assert!((p.train_loss[1] + 9.1).abs() < 1e-12, "train loss c1 {}", p.train_loss[1]);
    let out = common::run(&common::resolve(&spec));
    common::assert_within(&out.primary.test_loss.summary(), 2.0 - 0.85 + 0.0985, 5.0, "E l(θ₁) at η = 0.1");
}

#[test]
fn seed_000_valley_of_death_test_loss_is_wrong() {
    // At (A, B) = (1, 1) the notes' A + 2A²B² + B⁴ = 4; the truth is 8.
    let l = ValleyOfDeath;
    let mut m = Moments::default();
    for e in 0..400_000 {
        m.push(l.loss([1.0, 1.0], &[rng::normal(5, 0, Stream::Data, e)]));
    }
    let s = m.summary();
    common::assert_within(&s, 8.0, 5.0, "E l(1, 1)");
    assert!(s.z(4.0).abs() > 50.0, "the notes' value 4 is excluded: z = {}", s.z(4.0));
}

/// A landscape's test-loss floor (the warnings' "below the least value the
/// loss takes") is a lower bound at 2,000 points θ spread over [−5, 5]^D
/// around the init, and it is attained: a crude descent from the init gets
/// within 1e-6 of it.
struct Floor;

impl Visitor for Floor {
    type Output = ();
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) {
        let Some(floor) = l.test_loss_floor() else { return };
        for k in 0..2000 {
            let theta: [f64; D] = std::array::from_fn(|d| 5.0 * ((k * (2 * d + 3)) as f64 * 0.618).sin());
            let value = l.test_loss(theta);
            assert!(value >= floor - 1e-12, "{}: l({theta:?}) = {value} < floor {floor}", l.name());
        }
        let mut theta = l.init().map(|t| t + 0.5);
        for _ in 0..20_000 {
            let g = l.mean_gradient(theta);
            theta = std::array::from_fn(|d| theta[d] - 0.05 * g[d]);
        }
        let reached = l.test_loss(theta);
        assert!((reached - floor).abs() < 1e-6, "{}: descent reaches {reached}, floor {floor}", l.name());
    }
}

#[test]
fn test_loss_floors_are_attained_lower_bounds() {
    let floors: Vec<(String, Option<f64>)> =
        every_landscape().iter().map(|l| (l.describe().name, l.describe().test_loss_floor)).collect();
    // Bounded below: gauss ½, archimedes and the tilted bowl 0, Mean Estimation 0 (H = 0.7);
    // Shifting Valleys (A + B²) and the Valley of Death (A + B⁴ + 6A²B²) fall without bound as A → −∞.
    for (name, floor) in &floors {
        let want = match name.as_str() {
            "gauss" => Some(0.5),
            "archimedes" | "tilted-bowl" | "mean-estimation" => Some(0.0),
            _ => None,
        };
        assert_eq!(*floor, want, "{name}");
    }
    for l in every_landscape() {
        l.visit(Floor);
    }
}
