//! Exact Mean Estimation (l_x = ½Hθ² + xSθ) as polynomials in η, for any
//! batch schedule and for the SDE and ODE's substeps.
//!
//! With a = 1 − ηH the SGD update is θ' = aθ − (ηS/B) Σ_batch x_n, so
//! θ_T = a^T θ0 − Σ_n κ_n x_n with κ_n = (ηS/B) Σ_{t: n ∈ batch t} a^(T−1−t):
//! E θ_T = a^T θ0, E θ_T² = a^(2T) θ0² + Σ κ_n², the test loss is ½H θ², and
//! the train loss ½Hθ² + Sθ m1 has E gap = −S E[θ_T m1] = (S/N) Σ κ_n.

use super::poly::Poly;
use simsgd::experiment::Spec;
use std::ops::{Add, Mul};

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
    momentum(h, s, theta0, n, batches, 0.0, false)
}

/// Heavy-ball momentum β (with Nesterov's look-ahead if `nesterov`) over
/// `batches`: θ_{t+1} = c₁θ_t + c₂θ_{t−1} − (ηS/B) Σ_batch x_n with
/// c₁ = 1 + β − ηH, c₂ = −β (Nesterov, the gradient at θ_t + β(θ_t − θ_{t−1}):
/// c₁ = (1 + β)(1 − ηH), c₂ = −β(1 − ηH)) and θ_{−1} = θ_0. θ_T is linear in
/// the x's: θ_T = φ_T θ0 − Σ_n κ_n x_n, with φ the solution from
/// φ_{−1} = φ_0 = 1, ψ the impulse response (ψ_0 = 1, ψ_1 = c₁,
/// ψ_k = c₁ψ_{k−1} + c₂ψ_{k−2}) and κ_n = (ηS/B) Σ_{t: n ∈ batch t} ψ_{T−1−t}.
/// β = 0 is SGD: ψ_k = φ_k = (1 − ηH)^k.
pub fn momentum(h: f64, s: f64, theta0: f64, n: usize, batches: &[Vec<usize>], beta: f64, nesterov: bool) -> Exact {
    let [test, gap, theta] = moments(Poly::var(0), h, s, theta0, n, batches, beta, nesterov);
    Exact { test, gap, theta }
}

/// [`momentum`]'s E[test loss], E[gap] and E[θ_T] at one η, in floating point:
/// the polynomials' coefficients grow like (1/(1 − β))^k, so evaluating them
/// at η cancels catastrophically once T is a few tens.
#[allow(clippy::too_many_arguments)]
pub fn momentum_at(
    eta: f64,
    h: f64,
    s: f64,
    theta0: f64,
    n: usize,
    batches: &[Vec<usize>],
    beta: f64,
    nesterov: bool,
) -> [f64; 3] {
    moments(Coefficient(eta), h, s, theta0, n, batches, beta, nesterov).map(|c| c.0)
}

/// A number the recursion runs on: a polynomial in η, or η's value.
pub trait Ring: Clone + Default
where
    for<'a> &'a Self: Add<&'a Self, Output = Self> + Mul<&'a Self, Output = Self>,
{
    fn constant(c: f64) -> Self;
    fn scale(&self, k: f64) -> Self;
}

impl Ring for Poly {
    fn constant(c: f64) -> Self {
        Poly::constant(c)
    }
    fn scale(&self, k: f64) -> Self {
        Poly::scale(self, k)
    }
}

/// A plain value as a [`Ring`].
#[derive(Clone, Copy, Default)]
pub struct Coefficient(f64);

impl Add for &Coefficient {
    type Output = Coefficient;
    fn add(self, other: &Coefficient) -> Coefficient {
        Coefficient(self.0 + other.0)
    }
}

impl Mul for &Coefficient {
    type Output = Coefficient;
    fn mul(self, other: &Coefficient) -> Coefficient {
        Coefficient(self.0 * other.0)
    }
}

impl Ring for Coefficient {
    fn constant(c: f64) -> Self {
        Coefficient(c)
    }
    fn scale(&self, k: f64) -> Self {
        Coefficient(self.0 * k)
    }
}

/// [test, gap, θ] of [`momentum`] with η the ring element `eta`.
#[allow(clippy::too_many_arguments)]
fn moments<R: Ring>(
    eta: R,
    h: f64,
    s: f64,
    theta0: f64,
    n: usize,
    batches: &[Vec<usize>],
    beta: f64,
    nesterov: bool,
) -> [R; 3]
where
    for<'a> &'a R: Add<&'a R, Output = R> + Mul<&'a R, Output = R>,
{
    let a = &R::constant(1.0) + &eta.scale(-h);
    let (c1, c2) =
        if nesterov { (a.scale(1.0 + beta), a.scale(-beta)) } else { (&a + &R::constant(beta), R::constant(-beta)) };
    let t = batches.len();
    let recurse = |first: R, second: R| -> Vec<R> {
        let mut out = vec![first, second];
        while out.len() < t + 2 {
            let k = out.len();
            out.push(&(&c1 * &out[k - 1]) + &(&c2 * &out[k - 2]));
        }
        out
    };
    // Index k holds φ_{k−1} and ψ_{k−1}: φ from φ_{−1} = φ_0 = 1, ψ from ψ_{−1} = 0, ψ_0 = 1.
    let phi = recurse(R::constant(1.0), R::constant(1.0));
    let psi = recurse(R::default(), R::constant(1.0));
    let mut kappa = vec![R::default(); n];
    for (step, batch) in batches.iter().enumerate() {
        let term = &eta.scale(s / batch.len() as f64) * &psi[t - step];
        for &p in batch {
            kappa[p] = &kappa[p] + &term;
        }
    }
    ending(phi[t + 1].scale(theta0), &kappa, h, s)
}

/// [test, gap, θ] from θ_T = θ − Σ_n κ_n x_n (θ the noiseless part): test
/// loss ½H(θ² + Σκ_n²) and gap (S/N)Σκ_n (a training point's own noise
/// lowers its loss by S·E[x_n θ_T] = −S κ_n).
fn ending<R: Ring>(theta: R, kappa: &[R], h: f64, s: f64) -> [R; 3]
where
    for<'a> &'a R: Add<&'a R, Output = R> + Mul<&'a R, Output = R>,
{
    let noise = kappa.iter().fold(R::default(), |acc, k| &acc + &(k * k));
    let test = (&(&theta * &theta) + &noise).scale(0.5 * h);
    let gap = kappa.iter().fold(R::default(), |acc, k| &acc + k).scale(s / kappa.len() as f64);
    [test, gap, theta]
}

/// SGD over `batches` with the learning-rate schedule η_t = η·rates\[t\]:
/// θ_{t+1} = (1 − η_t H)θ_t − (η_t S/B) Σ_batch x_n, so θ_T = φθ0 − Σ_n κ_n x_n
/// with φ = Π_t (1 − η_t H) and κ_n = Σ_{t: n ∈ batch t} (η_t S/B) Π_{u>t} (1 − η_u H).
pub fn scheduled(h: f64, s: f64, theta0: f64, n: usize, batches: &[Vec<usize>], rates: &[f64]) -> Exact {
    let eta = Poly::var(0);
    let t = batches.len();
    // tail[k] = Π_{u ≥ k} (1 − η s_u H).
    let mut tail = vec![Poly::constant(1.0); t + 1];
    for u in (0..t).rev() {
        tail[u] = &(&Poly::constant(1.0) + &eta.scale(-h * rates[u])) * &tail[u + 1];
    }
    let mut kappa = vec![Poly::default(); n];
    for (step, batch) in batches.iter().enumerate() {
        let term = &eta.scale(s * rates[step] / batch.len() as f64) * &tail[step + 1];
        for &p in batch {
            kappa[p] = &kappa[p] + &term;
        }
    }
    let [test, gap, theta] = ending(tail[0].scale(theta0), &kappa, h, s);
    Exact { test, gap, theta }
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
