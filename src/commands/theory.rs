//! Which prediction a command makes (`predict`, `run --theory`): its order
//! and, for long training, its re-summation.

use crate::error::{usage, Result};
use crate::plan::Plan;
use crate::theory::law::Law;
use crate::theory::predict::{self, Prediction};
use crate::theory::resum::{self, Resum};

/// The order (power of η) and the re-summation of a prediction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Highest order [default: [`predict::default_order`] of the plans].
    pub order: Option<usize>,
    /// Re-summed values (exact geometric sums or their integral
    /// approximation) instead of the Taylor series.
    pub resum: Option<Resum>,
}

impl Options {
    /// The prediction for each plan, all to one order. `--order 0` is
    /// refused: it would predict θ₀'s own values, nothing of training (and
    /// the corollaries beside it are of order 1 and 2).
    pub fn predict(&self, law: &Law, plans: &[&Plan]) -> Result<Vec<Prediction>> {
        if self.order == Some(0) {
            return Err(usage("--order must be at least 1 (order 0 is the value at θ₀, before any step)"));
        }
        let order = self.order.unwrap_or_else(|| predict::default_order(plans));
        plans.iter().map(|plan| self.predict_to(law, plan, order)).collect()
    }

    /// The prediction for `plan` to `order`.
    pub fn predict_to(&self, law: &Law, plan: &Plan, order: usize) -> Result<Prediction> {
        match self.resum {
            Some(mode) => resum::predict(law, plan, order, mode),
            None => predict::predict(law, plan, order),
        }
    }
}
