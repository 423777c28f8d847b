//! Data laws of formula landscapes (issue 19): x uniform, Rademacher or
//! Student-t instead of N(0, 1). A landscape whose exact test loss after T
//! SGD steps is known in closed form for any law pins the samples (their
//! second and fourth moments enter it), the rules (the test loss is their
//! expectation) and the theory (its η-coefficients).

use crate::common;

use common::{prediction, resolve};
use simsgd::data_law::DataLaw;
use simsgd::experiment::Spec;
use simsgd::landscape::formula::Definition;

/// l_x(w) = ½ w² x² with x from `law`, w₀ = 1, T fresh-sample SGD steps.
pub fn product(law: DataLaw, eta: f64, steps: usize, trials: u64) -> Spec {
    let def = Definition::inline("0.5*w^2*x^2", &["w".to_string()], &[], law);
    Spec { init: Some(vec![1.0]), eta, steps: Some(steps), trials, seed: 8, ..Spec::on_formula(def) }
}

/// The laws checked, with their moments m₂ = E x² and m₄ = E x⁴: uniform on
/// [a, b] has m_k = (b^{k+1} − a^{k+1}) / ((k + 1)(b − a)), so on [−1, 2]
/// m₂ = 9/9 = 1 and m₄ = 33/15 = 2.2; Rademacher m₂ = m₄ = 1; Student-t(12)
/// m₂ = ν/(ν − 2) = 1.2 and m₄ = 3ν²/((ν − 2)(ν − 4)) = 432/80 = 5.4.
pub const LAWS: [(DataLaw, f64, f64); 3] = [
    (DataLaw::Uniform { lo: -1.0, hi: 2.0 }, 1.0, 2.2),
    (DataLaw::Rademacher, 1.0, 1.0),
    (DataLaw::StudentT { nu: 12.0 }, 1.2, 5.4),
];

/// The η-coefficients of E l(w_T) for l_x(w) = ½ w² x², w₀ = 1: each step
/// multiplies w by 1 − η x_t², independent of w, so E w_T² = (E(1 − ηx²)²)^T
/// = (1 − 2η m₂ + η² m₄)^T and, as l(w) = ½ m₂ w², E l(w_T) =
/// ½ m₂ (1 − 2η m₂ + η² m₄)^T: a polynomial in η, expanded here.
/// (`crate::vectors` passes m₄ + (k − 1)m₂² as `m4` for the linear model
/// on k coordinates.)
pub fn exact_coefficients(m2: f64, m4: f64, steps: usize) -> Vec<f64> {
    let mut poly = vec![0.5 * m2];
    for _ in 0..steps {
        let mut next = vec![0.0; poly.len() + 2];
        for (k, c) in poly.iter().enumerate() {
            next[k] += c;
            next[k + 1] -= 2.0 * m2 * c;
            next[k + 2] += m4 * c;
        }
        poly = next;
    }
    poly
}

/// Monte Carlo: the mean test loss after T = 4 steps at η = 0.2 matches the
/// closed form within 5 SE for each law (the samples' m₂ and m₄, and the
/// rule's expectation of l, all enter).
#[test]
fn each_law_gives_the_exact_test_loss_of_the_product_landscape() {
    let (eta, steps) = (0.2, 4);
    for (law, m2, m4) in LAWS {
        let exp = resolve(&product(law, eta, steps, 100_000));
        let out = common::run(&exp);
        let exact: f64 =
            exact_coefficients(m2, m4, steps).iter().enumerate().map(|(k, c)| c * eta.powi(k as i32)).sum();
        common::assert_within(&out.primary.test_loss.summary(), exact, 5.0, &format!("{law:?}"));
    }
}

/// The diagram expansion under each law: the predicted coefficients of
/// E l(θ_T) to order 3 are the closed form's to 1e-9.
#[test]
fn each_law_predicts_the_closed_forms_coefficients() {
    let steps = 5;
    for (law, m2, m4) in LAWS {
        let p = prediction(&product(law, 0.01, steps, 1), 3);
        common::assert_coefficients(&p.test_loss[..4], &exact_coefficients(m2, m4, steps)[..4], &format!("{law:?}"));
    }
}

/// What a law cannot give is refused, naming the moment: Student-t(3) has
/// no E x⁴, which the test loss and gradient covariance of a loss of degree
/// 2 need; Student-t(8) has those but not the E x¹⁰ of the diagrams.
#[test]
fn missing_moments_are_refused() {
    let spec = product(DataLaw::StudentT { nu: 3.0 }, 0.1, 3, 10);
    let Err(e) = spec.resolve() else { panic!("Student-t(3) accepted") };
    let e = e.to_string();
    assert!(e.contains("E x^k for k up to 4") && e.contains("Student-t(3)"), "{e}");
    let spec = product(DataLaw::StudentT { nu: 8.0 }, 0.1, 3, 10);
    let exp = resolve(&spec);
    let Err(e) = exp.landscape.visit(simsgd::theory::law::Exact(&exp.init)) else { panic!("Student-t(8) accepted") };
    let e = e.to_string();
    assert!(e.contains("diagram expansion") && e.contains("up to 10"), "{e}");
}
