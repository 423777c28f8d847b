//! What a prediction is, whichever way it is made: the Taylor coefficients
//! in η of the observables ([`super::predict`]) or each order's re-summed
//! contribution ([`super::resum`]), with the diagrams (terms) behind them.

use clap::ValueEnum;
use serde::Serialize;

/// How the sums over steps of a re-summed prediction are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resum {
    /// Exact geometric sums of K^t (Theorem 1).
    Exact,
    /// Integrals of e^(−ηHt) (Remark 2).
    Integral,
}

impl Resum {
    pub fn name(self) -> &'static str {
        match self {
            Resum::Exact => "exact",
            Resum::Integral => "integral",
        }
    }
}

/// The diagrams of one shape (isomorphic trees and partitions merged) in one
/// coefficient: embeddings × value = contribution.
#[derive(Clone, Debug, Serialize)]
pub struct Term {
    pub observable: &'static str,
    pub order: usize,
    /// Bracket notation ([`super::diagram::Diagram::notation`]).
    pub diagram: String,
    /// Embeddings into the grid of one representative.
    pub embeddings: f64,
    /// Contribution per embedding: Taylor weights, (−1/B)^k, 1/N and the
    /// expected contracted tensors.
    pub value: f64,
    pub contribution: f64,
}

/// Coefficients c_0..c_order (E\[X\] = Σ c_k η^k) and the terms behind them;
/// or, when `resummed`, each order's re-summed contribution at the plan's η
/// ([`super::resum`]), done the [`Resum`] way.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    pub order: usize,
    pub resummed: Option<Resum>,
    pub test_loss: Vec<f64>,
    pub train_loss: Vec<f64>,
    pub gen_gap: Vec<f64>,
    /// Per coordinate, E\[θ_T\] (c_0 = θ₀).
    pub theta: Vec<Vec<f64>>,
    /// E[θ_T − θ_{T−1}] per coordinate (re-summed predictions).
    pub velocity: Option<Vec<f64>>,
    /// Where the re-summed propagators grow: the linearised dynamics are
    /// unstable at θ₀ (re-summed predictions only).
    pub unstable: Option<Growth>,
    #[serde(skip)]
    pub terms: Vec<Term>,
}

/// A direction along which the re-summed propagator grows: H's eigenvalue λ
/// at θ₀ and the factor by which one update multiplies a deviation along it,
/// |1 − rλ| for exact sums or e^(−rλ) for integrals (r = η, or η/K for the
/// SDE and ODE), the largest over H's eigenvalues and above 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Growth {
    pub eigenvalue: f64,
    pub factor_per_update: f64,
}

/// Σ_k c_k η^k.
pub fn value(coefficients: &[f64], eta: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * eta + c)
}

impl Prediction {
    /// The truncated values at η: (test, train, gap, θ). Re-summed
    /// predictions are for their plan's η, which `eta` must be.
    pub fn at(&self, eta: f64) -> (f64, f64, f64, Vec<f64>) {
        let sum = |c: &[f64]| if self.resummed.is_some() { c.iter().sum() } else { value(c, eta) };
        (sum(&self.test_loss), sum(&self.train_loss), sum(&self.gen_gap), self.theta.iter().map(|c| sum(c)).collect())
    }
}

/// Collects terms, merging isomorphic diagrams.
#[derive(Default)]
pub(super) struct Terms(pub Vec<Term>);

impl Terms {
    pub(super) fn add(
        &mut self,
        observable: &'static str,
        order: usize,
        diagram: String,
        embeddings: f64,
        contribution: f64,
    ) {
        if contribution == 0.0 {
            return;
        }
        match self.0.iter_mut().find(|t| t.observable == observable && t.order == order && t.diagram == diagram) {
            Some(t) => {
                t.contribution += contribution;
                t.value = t.contribution / t.embeddings;
            }
            None => self.0.push(Term {
                observable,
                order,
                diagram,
                embeddings,
                value: contribution / embeddings,
                contribution,
            }),
        }
    }

    pub(super) fn coefficient(&self, observable: &str, order: usize) -> f64 {
        self.0.iter().filter(|t| t.observable == observable && t.order == order).map(|t| t.contribution).sum()
    }
}
