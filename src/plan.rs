//! One optimizer's run: its space-time grid, step rule, η and K (seed 001,
//! App. A.2). What the simulators step through and the theory embeds diagrams
//! into.

use crate::grid::Grid;
use crate::optimizer::{Dynamics, Optimizer, Update};
use crate::schedule::Schedule;

/// One optimizer's run: its grid and step rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub optimizer: Optimizer,
    pub grid: Grid,
    pub eta: f64,
    /// K, for `sde` and `ode`.
    pub substeps: u32,
    /// What a step does with the batch's gradient: [`Update::Gradient`]
    /// except for `momentum` and `invhess`.
    pub update: Update,
    /// η_t = η·s(t) (`--schedule`).
    pub schedule: Schedule,
}

impl Plan {
    pub fn steps(&self) -> usize {
        self.grid.steps()
    }

    /// η_t, the learning rate of step t.
    pub fn eta_at(&self, t: usize) -> f64 {
        self.eta * self.schedule.rate(t, self.steps())
    }

    pub fn dynamics(&self) -> Dynamics {
        self.optimizer.dynamics(self.substeps)
    }

    /// Whether only the CPU backend runs it: GDC, whose correction sums
    /// per-sample Hessians times gradients over the whole training set every
    /// step (momentum and invhess run on both backends).
    pub fn cpu_only(&self) -> bool {
        self.optimizer == Optimizer::Gdc
    }

    /// Whether every step draws fresh noise, independent of the past: SGD
    /// on one epoch (each point used once) and the SDE and ODE (which never
    /// see a training set). Corollary 1's stationary drift needs it.
    pub fn fresh_noise(&self) -> bool {
        match self.dynamics() {
            Dynamics::Continuous { .. } => true,
            Dynamics::Discrete => self.optimizer == Optimizer::Sgd && self.grid.epochs == 1,
        }
    }
}
