//! The paper's corollaries as named predictions, each derived in
//! docs/THEORY.md from the statistics at a minimum and pinned to the diagram
//! engine by tests (`tests/corollaries.rs`).

use super::prediction::Prediction;
use super::statistics::Statistics;
use crate::error::Result;
use crate::grid::Grid;
use crate::linalg::symmetric_eigen;
use crate::optimizer::{Dynamics, Optimizer, Update};
use crate::plan::Plan;
use serde::Serialize;

/// Corollary 1: the velocity along a valley of minima (the null space of H)
/// of SGD started on the valley, per step, once the transverse fluctuation is
/// stationary.
///
/// To order three the mean step is −η G(θ) = −(η/2) J:Σ along the valley, Σ
/// the stationary covariance of the transverse displacement. With B samples
/// per step and K substeps per step (SGD: K = 1; an SDE: K substeps of η/K
/// with noise (η²/K) C/B), Σ solves the discrete Lyapunov equation
/// Σ = kΣk + (η²/K) C/B, k = I − (η/K)H, i.e. in H's eigenbasis
/// Σ_μν = η² C_μν / (B K (1 − k_μ k_ν)): the re-summed (Theorem 1) velocity.
/// Its small-η limit Σ_μν = η C_μν / (B (λ_μ + λ_ν)) (HΣ + ΣH = ηC/B) gives
/// the leading law, η²/6 along z on Archimedes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ValleyDrift {
    /// Per step, per coordinate: the leading law and the discrete one.
    pub leading: Vec<f64>,
    pub resummed: Vec<f64>,
}

/// Relative size below which an eigenvalue or a gradient counts as zero.
const FLAT: f64 = 1e-9;

fn scale(s: &Statistics) -> f64 {
    s.h.iter().flatten().chain(s.c.iter().flatten()).fold(1e-300f64, |m, x| m.max(x.abs()))
}

/// Corollary 1 for a plan with η, batch B and K substeps (`noise` false for
/// the ODE, whose Σ is 0). `None` away from a minimum (G ≠ 0, or H not
/// positive semi-definite), at an isolated minimum (no flat direction), where
/// the steps are unstable (ηλ/K ≥ 2) or where the noise pushes along the
/// valley itself (C ≠ 0 there: diffusion, not drift).
pub fn valley_drift(s: &Statistics, eta: f64, batch: usize, substeps: u32, noise: bool) -> Option<ValleyDrift> {
    let d = s.theta.len();
    let tiny = FLAT * scale(s);
    if s.g.iter().any(|g| g.abs() > tiny) {
        return None;
    }
    let (lambda, q) = symmetric_eigen(&s.h.concat(), d);
    let flat: Vec<usize> = (0..d).filter(|&mu| lambda[mu].abs() <= tiny).collect();
    let unstable = |l: f64| eta * l / substeps as f64 >= 2.0;
    if flat.is_empty() || lambda.iter().any(|&l| l < -tiny || unstable(l)) {
        return None;
    }
    // C in the eigenbasis.
    let rotate = |m: &dyn Fn(usize, usize) -> f64, mu: usize, nu: usize| {
        (0..d).flat_map(|a| (0..d).map(move |b| (a, b))).map(|(a, b)| q[a * d + mu] * m(a, b) * q[b * d + nu]).sum()
    };
    let c = |a: usize, b: usize| s.c[a][b];
    let k = |mu: usize| 1.0 - eta * lambda[mu] / substeps as f64;
    let noise = if noise { 1.0 / batch as f64 } else { 0.0 };
    let (mut leading, mut resummed) = (vec![vec![0.0; d]; d], vec![vec![0.0; d]; d]);
    for mu in 0..d {
        for nu in 0..d {
            let c_rot: f64 = rotate(&c, mu, nu);
            if lambda[mu] + lambda[nu] <= tiny {
                if c_rot.abs() > tiny && noise > 0.0 {
                    return None;
                }
                continue;
            }
            leading[mu][nu] = noise * eta * c_rot / (lambda[mu] + lambda[nu]);
            resummed[mu][nu] = noise * eta * eta * c_rot / (substeps as f64 * (1.0 - k(mu) * k(nu)));
        }
    }
    // v_i = −(η/2) Σ_μν J'_iμν Σ_μν, J' = J with its last two indices rotated,
    // projected on the valley (the null space of H).
    let velocity = |sigma: &[Vec<f64>]| -> Vec<f64> {
        let force: Vec<f64> = (0..d)
            .map(|i| {
                let j = |a: usize, b: usize| s.j[i][a][b];
                let js: f64 = (0..d)
                    .flat_map(|mu| (0..d).map(move |nu| (mu, nu)))
                    .map(|(mu, nu)| rotate(&j, mu, nu) * sigma[mu][nu])
                    .sum();
                -0.5 * eta * js
            })
            .collect();
        (0..d)
            .map(|i| flat.iter().map(|&mu| q[i * d + mu] * (0..d).map(|a| q[a * d + mu] * force[a]).sum::<f64>()).sum())
            .collect()
    };
    Some(ValleyDrift { leading: velocity(&leading), resummed: velocity(&resummed) })
}

/// [`valley_drift`] for a plan's η, batch and substeps, where its steps draw
/// fresh noise (`Plan::fresh_noise`).
pub fn valley_drift_of(s: &Statistics, plan: &Plan) -> Option<ValleyDrift> {
    if !plan.fresh_noise() || !plan.schedule.is_constant() {
        return None;
    }
    let (substeps, noise) = match plan.dynamics() {
        Dynamics::Discrete => (1, true),
        Dynamics::Continuous { substeps, noise } => (substeps, noise),
    };
    valley_drift(s, plan.eta, plan.grid.batch, substeps, noise)
}

/// Corollary 2's T → ∞ limit: GD on N points from a minimum with H positive
/// definite ends at the training minimum, whose gap is tr(C H⁻¹)/N (Takeuchi's
/// information criterion; Akaike's d/N where C = H). `None` away from a
/// minimum or where H is not positive definite.
pub fn tic_gap(s: &Statistics, train_size: usize) -> Option<f64> {
    let d = s.theta.len();
    let tiny = FLAT * scale(s);
    if s.g.iter().any(|g| g.abs() > tiny) {
        return None;
    }
    let (lambda, q) = symmetric_eigen(&s.h.concat(), d);
    if lambda.iter().any(|&l| l <= tiny) {
        return None;
    }
    let trace: f64 = (0..d)
        .map(|mu| {
            let c: f64 = (0..d)
                .flat_map(|a| (0..d).map(move |b| (a, b)))
                .map(|(a, b)| q[a * d + mu] * s.c[a][b] * q[b * d + mu])
                .sum();
            c / lambda[mu]
        })
        .sum();
    Some(trace / train_size as f64)
}

/// Corollary 4: M epochs of SGD at η on N points against one epoch at Mη on
/// the same points (the same total learning). To order 2 their θ differ by
/// (Mη)² N (M−1)/(2M) · E[h_x g_x] (docs/THEORY.md); the engine gives the
/// difference at the prediction's order.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Epochs {
    pub epochs: usize,
    pub one_epoch_eta: f64,
    /// E[M epochs] − E[one epoch] at the prediction's order.
    pub test_loss_diff: f64,
    pub theta_diff: Vec<f64>,
    /// The η² law for θ (B = 1; with batches, pairs of points that share a
    /// step differ between the two grids too, and the law has an HG term more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta_law: Option<Vec<f64>>,
}

/// Corollary 5: SGD against the SDE (same K) and the ODE on the same grid:
/// the differences of the expected test loss at the prediction's order, and
/// their Taylor coefficients where the prediction is a series.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Continuous {
    pub substeps: u32,
    pub sgd_minus_sde: f64,
    pub sgd_minus_ode: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sgd_minus_sde_coefficients: Option<Vec<f64>>,
}

/// Momentum's effective learning rate (docs/THEORY.md): to first order in
/// η, heavy-ball momentum at η is SGD on the same grid at
/// η_eff = (η/(1 − β))(1 − β(1 − β^T)/(T(1 − β))), whose T → ∞ limit is
/// η/(1 − β); the test loss of momentum at η minus SGD's at η_eff, and its
/// coefficients in η (0 at first order), are what momentum adds beyond it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EffectiveRate {
    pub beta: f64,
    pub effective_eta: f64,
    pub asymptotic_eta: f64,
    pub test_loss_diff: f64,
    pub test_loss_diff_coefficients: Vec<f64>,
}

/// η_eff/η = (1/T) Σ_{j=1}^{T} κ(j), κ(j) = (1 − β^j)/(1 − β).
pub fn effective_rate_factor(beta: f64, steps: usize) -> f64 {
    let t = steps as f64;
    (1.0 - beta * (1.0 - beta.powi(steps as i32)) / (t * (1.0 - beta))) / (1.0 - beta)
}

/// The corollaries that apply to a plan, as `predict` prints them.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Corollaries {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valley_drift: Option<ValleyDrift>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tic_gap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs: Option<Epochs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous: Option<Continuous>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum: Option<EffectiveRate>,
}

impl Corollaries {
    pub fn is_empty(&self) -> bool {
        *self == Corollaries::default()
    }
}

/// The corollaries for `plan`, whose prediction `p` was made by `predict`
/// (the same order and re-summation are used for the compared plans).
pub fn corollaries(
    s: &Statistics,
    plan: &Plan,
    p: &Prediction,
    predict: impl Fn(&Plan) -> Result<Prediction>,
) -> Result<Corollaries> {
    let grid = &plan.grid;
    // Each corollary is derived for a constant η.
    if !plan.schedule.is_constant() {
        return Ok(Corollaries::default());
    }
    let mut c = Corollaries { valley_drift: valley_drift_of(s, plan), ..Default::default() };
    if plan.optimizer == Optimizer::Gd {
        c.tic_gap = tic_gap(s, grid.train_size);
    }
    if plan.optimizer == Optimizer::Sgd && grid.epochs > 1 && p.resummed.is_none() {
        let m = grid.epochs;
        let one = Plan { grid: Grid::new(grid.train_size, grid.batch, 1, false)?, eta: plan.eta * m as f64, ..*plan };
        let q = predict(&one)?;
        let (a, b) = (p.at(plan.eta), q.at(one.eta));
        let scale = one.eta * one.eta * grid.train_size as f64 * (m - 1) as f64 / (2.0 * m as f64);
        c.epochs = Some(Epochs {
            epochs: m,
            one_epoch_eta: one.eta,
            test_loss_diff: a.0 - b.0,
            theta_diff: a.3.iter().zip(&b.3).map(|(x, y)| x - y).collect(),
            theta_law: (grid.batch == 1).then(|| s.hg_mixed.iter().map(|hg| scale * hg).collect()),
        });
    }
    if let Update::HeavyBall { beta, .. } = plan.update {
        if plan.steps() > 0 && p.resummed.is_none() {
            let factor = effective_rate_factor(beta, plan.steps());
            let sgd = Plan { optimizer: Optimizer::Sgd, update: Update::Gradient, eta: plan.eta * factor, ..*plan };
            let q = predict(&sgd)?;
            c.momentum = Some(EffectiveRate {
                beta,
                effective_eta: sgd.eta,
                asymptotic_eta: plan.eta / (1.0 - beta),
                test_loss_diff: p.at(plan.eta).0 - q.at(sgd.eta).0,
                test_loss_diff_coefficients: p
                    .test_loss
                    .iter()
                    .zip(&q.test_loss)
                    .enumerate()
                    .map(|(k, (a, b))| a - b * factor.powi(k as i32))
                    .collect(),
            });
        }
    }
    if plan.optimizer == Optimizer::Sgd && grid.epochs == 1 {
        let sde = predict(&Plan { optimizer: Optimizer::Sde, ..*plan })?;
        let ode = predict(&Plan { optimizer: Optimizer::Ode, ..*plan })?;
        let test = p.at(plan.eta).0;
        c.continuous = Some(Continuous {
            substeps: plan.substeps,
            sgd_minus_sde: test - sde.at(plan.eta).0,
            sgd_minus_ode: test - ode.at(plan.eta).0,
            sgd_minus_sde_coefficients: p
                .resummed
                .is_none()
                .then(|| p.test_loss.iter().zip(&sde.test_loss).map(|(a, b)| a - b).collect()),
        });
    }
    Ok(c)
}
