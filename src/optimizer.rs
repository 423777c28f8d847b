//! The optimizers, each a dynamics over a space-time grid.
//!
//! * `sgd`: θ ← θ − η · mean over step t's batch of ∇l_n(θ) (seed 001, eq. 1).
//! * `gd`: the same rule on the grid N, B = N, E = T.
//! * `sde`: Euler–Maruyama with K substeps per step, drift −(η/K) G(θ) with
//!   the exact mean gradient and Gaussian noise of covariance (η²/K) C(θ)/B,
//!   so one step's noise matches SGD's first two moments (App. C.4).
//! * `ode`: K substeps of −(η/K) G(θ), no noise (gradient flow).
//! * `gdc`: GD on the training loss plus η(N−1)/(4N) · tr Ĉ(θ), Ĉ the unbiased
//!   covariance of the N training points' gradients (Corollary 3, App. C.4):
//!   its expected test loss equals fresh-sample SGD's (N = T) to order η²
//!   (docs/THEORY.md derives the coefficient).
//! * `momentum`: heavy ball on SGD's grid (seed 002, sec. 4.3),
//!   θ_{t+1} = θ_t − η ḡ_t + β(θ_t − θ_{t−1}) with θ_{−1} = θ_0; Nesterov's
//!   variant takes ḡ_t at θ_t + β(θ_t − θ_{t−1}).
//! * `invhess`: the Hessian-based update of seed 002 sec. 4.3 (seed 001's
//!   conclusion) on SGD's grid, θ ← θ − s with (η⁻¹ I + λ h̄_t) s = ḡ_t, h̄_t
//!   the batch's mean Hessian.

use clap::ValueEnum;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    Sgd,
    Gd,
    Sde,
    Ode,
    Gdc,
    Momentum,
    Invhess,
}

/// What a discrete step does with the batch's mean gradient ḡ_t (and, for
/// invhess, mean Hessian h̄_t).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Update {
    /// θ ← θ − η ḡ_t.
    #[default]
    Gradient,
    /// θ_{t+1} = θ_t − η ḡ_t + β(θ_t − θ_{t−1}), ḡ_t at θ_t + β(θ_t − θ_{t−1})
    /// when `nesterov`.
    HeavyBall { beta: f64, nesterov: bool },
    /// θ ← θ − s, (η⁻¹ I + λ h̄_t) s = ḡ_t.
    InverseHessian { lambda: f64 },
}

/// How a step moves θ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dynamics {
    /// A step of the grid: the batch's mean per-sample gradient.
    Discrete,
    /// K substeps with the exact mean gradient, plus Gaussian noise if `noise`.
    Continuous { substeps: u32, noise: bool },
}

impl Optimizer {
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Gd => "gd",
            Optimizer::Sde => "sde",
            Optimizer::Ode => "ode",
            Optimizer::Gdc => "gdc",
            Optimizer::Momentum => "momentum",
            Optimizer::Invhess => "invhess",
        }
    }

    /// Whether every step uses all N points (GD and GDC).
    pub fn full_batch(self) -> bool {
        matches!(self, Optimizer::Gd | Optimizer::Gdc)
    }

    /// Whether it steps through SGD's grid (batches, epochs, shuffle):
    /// sgd, momentum and invhess.
    pub fn stochastic(self) -> bool {
        matches!(self, Optimizer::Sgd | Optimizer::Momentum | Optimizer::Invhess)
    }

    pub fn dynamics(self, substeps: u32) -> Dynamics {
        match self {
            Optimizer::Sgd | Optimizer::Gd | Optimizer::Gdc | Optimizer::Momentum | Optimizer::Invhess => {
                Dynamics::Discrete
            }
            Optimizer::Sde => Dynamics::Continuous { substeps, noise: true },
            Optimizer::Ode => Dynamics::Continuous { substeps, noise: false },
        }
    }
}
