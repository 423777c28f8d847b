//! Exact Mean Estimation (l_x = ½Hθ² + xSθ) as polynomials in η, for any
//! batch schedule and for the SDE and ODE's substeps.
//!
//! With a = 1 − ηH the SGD update is θ' = aθ − (ηS/B) Σ_batch x_n, so
//! θ_T = a^T θ0 − Σ_n κ_n x_n with κ_n = (ηS/B) Σ_{t: n ∈ batch t} a^(T−1−t):
//! E θ_T = a^T θ0, E θ_T² = a^(2T) θ0² + Σ κ_n², the test loss is ½H θ², and
//! the train loss ½Hθ² + Sθ m1 has E gap = −S E[θ_T m1] = (S/N) Σ κ_n.

use super::poly::Poly;
use simsgd::experiment::Spec;

/// The run on Mean Estimation with curvature `h`, noise scale `s` and init
/// `theta0` (`mean-estimation --param H=h,S=s --init theta0`).
pub fn spec(h: f64, s: f64, theta0: f64) -> Spec {
    Spec { params: vec![("H".into(), h), ("S".into(), s)], init: Some(vec![theta0]), ..Spec::new("mean-estimation") }
}

/// E[test loss], E[gap] and E[θ_T] as polynomials in η (variable 0).
pub struct Exact {
    pub test: Poly,
    pub gap: Poly,
    pub theta: Poly,
}

impl Exact {
    /// The average of several schedules' values (e.g. over shuffles).
    pub fn mean(all: &[Exact]) -> Exact {
        let w = 1.0 / all.len() as f64;
        let sum = |f: fn(&Exact) -> &Poly| all.iter().fold(Poly::default(), |acc, e| &acc + &f(e).scale(w));
        Exact { test: sum(|e| &e.test), gap: sum(|e| &e.gap), theta: sum(|e| &e.theta) }
    }
}

fn power(p: &Poly, k: usize) -> Poly {
    (0..k).fold(Poly::constant(1.0), |acc, _| &acc * p)
}

/// SGD over `batches` (the points of each step) on `n` training points.
pub fn discrete(h: f64, s: f64, theta0: f64, n: usize, batches: &[Vec<usize>]) -> Exact {
    let eta = Poly::var(0);
    let a = &Poly::constant(1.0) - &eta.scale(h);
    let t = batches.len();
    let mut kappa = vec![Poly::default(); n];
    for (step, batch) in batches.iter().enumerate() {
        let term = &eta.scale(s / batch.len() as f64) * &power(&a, t - 1 - step);
        for &p in batch {
            kappa[p] = &kappa[p] + &term;
        }
    }
    let noise = kappa.iter().fold(Poly::default(), |acc, k| &acc + &(k * k));
    let test = (&power(&a, 2 * t).scale(theta0 * theta0) + &noise).scale(0.5 * h);
    let gap = kappa.iter().fold(Poly::default(), |acc, k| &acc + k).scale(s / n as f64);
    Exact { test, gap, theta: power(&a, t).scale(theta0) }
}

/// `steps` steps of K = `substeps` substeps θ ← bθ + (η/√K) S ξ, b = 1 − ηH/K
/// (the SDE with B = 1), or without the noise (ODE):
/// E θ² = b^(2TK) θ0² + (η² S²/K) Σ_{j<TK} b^(2j). No training set: gap 0.
pub fn continuous(h: f64, s: f64, theta0: f64, steps: usize, substeps: usize, noise: bool) -> Exact {
    let eta = Poly::var(0);
    let b = &Poly::constant(1.0) - &eta.scale(h / substeps as f64);
    let n = steps * substeps;
    let mut second = power(&b, 2 * n).scale(theta0 * theta0);
    if noise {
        let b2 = &b * &b;
        let sum = (0..n).fold(Poly::default(), |acc, j| &acc + &power(&b2, j));
        second = &second + &(&(&eta * &eta) * &sum).scale(s * s / substeps as f64);
    }
    Exact { test: second.scale(0.5 * h), gap: Poly::default(), theta: power(&b, n).scale(theta0) }
}
