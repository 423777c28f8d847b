//! Vector samples x1..xk of formula landscapes (issue 19): a training point
//! of k independent coordinates, each with the landscape's data law. The
//! linear model l_x(w) = ½ (w·x)² has an exact test loss after T SGD steps
//! for any law and k, which pins the samples (each coordinate's second and
//! fourth moments and their independence enter it), the product rules (the
//! test loss is their expectation) and the theory (its η-coefficients).

use crate::common;

use common::{prediction, resolve};
use simsgd::data_law::DataLaw;
use simsgd::experiment::Spec;
use simsgd::landscape::formula::Definition;
use simsgd::landscape::{AnyLandscape, Landscape, Visitor};
use simsgd::optimizer::Optimizer;
use simsgd::theory::statistics;

/// l_x(w) = ½ (w₁x₁ + … + w_k x_k)² with x from `law`, w₀ = `init`, T
/// fresh-sample SGD steps.
pub fn linear(law: DataLaw, init: &[f64], eta: f64, steps: usize, trials: u64) -> Spec {
    let k = init.len();
    let weights: Vec<String> = (1..=k).map(|c| format!("w{c}")).collect();
    let dot: Vec<String> = (1..=k).map(|c| format!("w{c}*x{c}")).collect();
    let def = Definition::inline(&format!("0.5*({})^2", dot.join(" + ")), &weights, &[], law);
    Spec { init: Some(init.to_vec()), eta, steps: Some(steps), trials, seed: 14, ..Spec::on_formula(def) }
}

/// Centred laws with their moments m₂ = E x², m₄ = E x⁴: N(0, 1) 1 and 3;
/// U(−1, 1) 1/3 and 1/5; Rademacher 1 and 1; Student-t(12) 1.2 and 5.4
/// (`crate::laws::LAWS`).
const LAWS: [(DataLaw, f64, f64); 4] = [
    (DataLaw::Normal, 1.0, 3.0),
    (DataLaw::Uniform { lo: -1.0, hi: 1.0 }, 1.0 / 3.0, 0.2),
    (DataLaw::Rademacher, 1.0, 1.0),
    (DataLaw::StudentT { nu: 12.0 }, 1.2, 5.4),
];

/// Starting points: k = 2 and k = 3 coordinates (and weights), |w₀|² = 1.
const INITS: [&[f64]; 2] = [&[1.0, 0.0], &[0.6, 0.0, 0.8]];

/// The η-coefficients of E l(w_T) for l_x(w) = ½ (w·x)² with k i.i.d.
/// centred coordinates. A step is w ← (I − η x xᵀ) w, so M = E w wᵀ becomes
/// M − η(m₂M + M m₂) + η² E[x xᵀ M x xᵀ]. By independence and symmetry
/// E x_i x_j x_a x_b = m₂²(δ_ia δ_jb + δ_ib δ_ja + δ_ij δ_ab) + (m₄ − 3m₂²) δ_ijab,
/// so E[x xᵀ M x xᵀ] = m₂²(2M + tr M · I) + (m₄ − 3m₂²) diag M, whose trace
/// is (m₄ + (k − 1) m₂²) tr M. Hence tr M_T = (1 − 2ηm₂ + η²(m₄ + (k − 1)m₂²))^T
/// |w₀|², and as l(w) = ½ m₂ |w|², E l(w_T) = ½ m₂ |w₀|² r^T: a polynomial in
/// η: `crate::laws`'s product landscape's (k = 1) with m₄ + (k − 1)m₂² for m₄.
fn exact_coefficients(m2: f64, m4: f64, k: usize, steps: usize) -> Vec<f64> {
    crate::laws::exact_coefficients(m2, m4 + (k as f64 - 1.0) * m2 * m2, steps)
}

fn at(poly: &[f64], eta: f64) -> f64 {
    poly.iter().enumerate().map(|(j, c)| c * eta.powi(j as i32)).sum()
}

/// Monte Carlo: the mean test loss after T = 4 steps at η = 0.2 matches the
/// closed form within 5 SE for each law, with 2 and 3 coordinates.
#[test]
fn vector_samples_give_the_exact_test_loss_of_the_linear_model() {
    let (eta, steps) = (0.2, 4);
    for (law, m2, m4) in LAWS {
        for init in INITS {
            let exp = resolve(&linear(law, init, eta, steps, 100_000));
            let out = common::run(&exp);
            let exact = at(&exact_coefficients(m2, m4, init.len(), steps), eta);
            common::assert_within(
                &out.primary.test_loss.summary(),
                exact,
                5.0,
                &format!("{law:?}, k = {}", init.len()),
            );
        }
    }
}

/// The diagram expansion on the product rules: the predicted coefficients of
/// E l(θ_T) to order 3 are the closed form's to 1e-9.
#[test]
fn vector_samples_predict_the_closed_forms_coefficients() {
    let steps = 5;
    for (law, m2, m4) in LAWS {
        for init in INITS {
            let p = prediction(&linear(law, init, 0.01, steps, 1), 3);
            let exact = exact_coefficients(m2, m4, init.len(), steps);
            common::assert_coefficients(&p.test_loss[..4], &exact[..4], &format!("{law:?}, k = {}", init.len()));
        }
    }
}

/// The train loss of a GD run (N = 7, its points regenerated from the
/// documented layout: coordinate c of point i is element 4i + c of the data
/// stream) is the mean of l_x over them at the final θ, to rounding.
#[test]
fn train_losses_use_each_points_coordinates() {
    struct Direct<'a>(&'a [f64], u64);
    impl Visitor for Direct<'_> {
        type Output = f64;
        fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> f64 {
            let theta: [f64; D] = self.0.try_into().unwrap();
            let k = l.sample_dim();
            (0..7).map(|i| l.loss(theta, &l.law().point(14, self.1, i, k)[..k])).sum::<f64>() / 7.0
        }
    }
    for law in [DataLaw::Normal, DataLaw::StudentT { nu: 12.0 }] {
        let spec = Spec { optimizer: Optimizer::Gd, train_size: Some(7), ..linear(law, &[0.6, 0.0, 0.8], 0.1, 5, 10) };
        let exp = resolve(&spec);
        for (i, t) in common::trials(&exp, &exp.plan, 3..9).iter().enumerate() {
            let direct = exp.landscape.visit(Direct(&t.theta, 3 + i as u64));
            assert!(
                (t.train_loss - direct).abs() < 1e-12 * (1.0 + direct),
                "{law:?} trial {i}: {} vs {direct}",
                t.train_loss
            );
        }
    }
}

/// The exact statistics (product rule) against their Monte Carlo estimates
/// from the law's points (`stats --estimate`), within 5 SE, for a linear
/// model with a label: l = ½ (a x₁ + b x₂ − x₁ − ½ x₃)² at (a, b) = (0.3, −0.4).
#[test]
fn vector_statistics_match_their_estimates() {
    let def = Definition::inline(
        "0.5*(a*x1 + b*x2 - x1 - 0.5*x3)^2",
        &["a".to_string(), "b".to_string()],
        &[],
        DataLaw::Uniform { lo: -1.0, hi: 1.0 },
    );
    let l = AnyLandscape::build("formula", Some(&def), &[]).unwrap();
    struct Check;
    impl Visitor for Check {
        type Output = ();
        fn visit<L: Landscape<D>, const D: usize>(self, l: &L) {
            let theta: [f64; D] = std::array::from_fn(|d| [0.3, -0.4][d]);
            let exact = statistics::flatten(&statistics::exact_at(l, theta).unwrap());
            let estimates = statistics::estimate_at(l, theta, 200_000, 3);
            let mut checked = 0;
            for e in &estimates {
                if let Some((_, want)) = exact.iter().find(|(name, _)| *name == e.name) {
                    let z = (e.value - want) / e.stderr.max(1e-300);
                    assert!(
                        z.abs() < 5.0 || (e.value - want).abs() < 1e-12,
                        "{}: {} ± {} vs {want}",
                        e.name,
                        e.value,
                        e.stderr
                    );
                    checked += 1;
                }
            }
            assert!(checked >= 5, "only {checked} statistics compared");
            // l(θ) = ½ E (−0.7 x₁ − 0.4 x₂ − 0.5 x₃)² = ½ (0.49 + 0.16 + 0.25)/3 = 0.15.
            assert!((l.test_loss(theta) - 0.15).abs() < 1e-14, "{}", l.test_loss(theta));
        }
    }
    l.visit(Check);
}

/// l_x(w) = ½w² − w cos(x₁ + x₂) with x ~ N(0, I₂), w₀ = 1: a loss not
/// polynomial in a vector sample.
pub fn cosine_of_sum() -> Spec {
    let def = Definition::inline("0.5*w^2 - w*cos(x1 + x2)", &["w".to_string()], &[], DataLaw::Normal);
    Spec { init: Some(vec![1.0]), eta: 0.1, steps: Some(10), trials: 1, seed: 15, ..Spec::on_formula(def) }
}

/// A loss not polynomial in x on a product rule of 16 nodes per coordinate:
/// l = ½w² − w cos(x₁ + x₂), x ~ N(0, I₂), has l(w) = ½w² − w e^{−1} (x₁ + x₂
/// ~ N(0, 2), E cos = e^{−1}), and the stated error bounds the actual one.
#[test]
fn nonpolynomial_vector_losses_are_integrated_on_product_rules() {
    let l = resolve(&cosine_of_sum()).landscape;
    let AnyLandscape::Formula1(f) = &l else { panic!("one weight") };
    assert_eq!((f.sample_dim(), f.rule().len(), f.rule().base.nodes.len()), (2, 256, 16));
    let want = 0.5 * 0.7 * 0.7 - 0.7 * (-1.0f64).exp();
    let error = (f.test_loss([0.7]) - want).abs();
    let stated = l.quadrature_error(&[0.7]).expect("stated");
    assert!(error < 1e-9 && error <= stated.max(1e-15), "error {error}, stated {stated}");
}

/// What a sample cannot be is refused in one line: a fifth coordinate, x
/// beside x1, and a product rule beyond the points the simulators allow.
#[test]
fn vector_sample_refusals() {
    let refusal = |loss: &str, weights: &[&str]| {
        let w: Vec<String> = weights.iter().map(|s| s.to_string()).collect();
        let spec = Spec::on_formula(Definition::inline(loss, &w, &[], DataLaw::Normal));
        match spec.resolve() {
            Ok(_) => panic!("{loss} accepted"),
            Err(e) => e.to_string(),
        }
    };
    assert!(refusal("w*x5", &["w"]).contains("coordinates x1..x4"));
    assert!(refusal("w*x1 + x^2", &["w"]).contains("not both"));
    // Degree 12 in four coordinates: 13 nodes each, 13⁴ = 28561 points.
    let e = refusal("w^2*(x1*x2*x3*x4)^3", &["w"]);
    assert!(e.contains("13^4 = 28561 points"), "{e}");
}
