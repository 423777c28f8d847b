//! Predictions: the Taylor coefficients in η of E[test loss], E[train loss],
//! E[gen gap] and E[θ_T] − θ₀ for a plan's exact grid, from the landscape's
//! statistics at θ₀ (docs/THEORY.md derives every formula here).
//!
//! Orders 0 to 2 for every grid and for SDE/ODE. A term of order k is a sum
//! over k-tuples of steps of a product of per-sample derivative tensors; its
//! expectation depends only on which factors share a training point (seed
//! 001's diagrams: a tree of derivatives and a partition of samples), and the
//! number of tuples with each pattern depends on the grid through T, B, N and
//! the batch overlaps c_st = |b_s ∩ b_t|. At order 2 only Σ_{s,t} c_st = Σ_n u_n²
//! (u_n = uses of point n; N·E² for every grid here) and Σ_t c_tt = T·B enter.

use super::statistics::Statistics;
use crate::error::{usage, Result};
use crate::experiment::Plan;
use crate::optimizer::{Dynamics, Optimizer};
use serde::Serialize;

/// Highest order implemented.
pub const MAX_ORDER: usize = 2;

/// One term of a coefficient: which pattern of samples and derivatives, how
/// many embeddings into the grid (tuples of steps, weighted by the batch
/// averaging), its value per embedding, and its contribution to the coefficient.
#[derive(Clone, Debug, Serialize)]
pub struct Term {
    pub observable: &'static str,
    pub order: usize,
    /// The product's expectation, in seed 000's notation.
    pub diagram: &'static str,
    pub embeddings: f64,
    pub value: f64,
    pub contribution: f64,
}

/// Coefficients c_0..c_order (E[X] = Σ c_k η^k) and the terms behind them.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    pub order: usize,
    pub test_loss: Vec<f64>,
    pub train_loss: Vec<f64>,
    pub gen_gap: Vec<f64>,
    /// Per coordinate, E[θ_T] (c_0 = θ₀).
    pub theta: Vec<Vec<f64>>,
    #[serde(skip)]
    pub terms: Vec<Term>,
}

/// Σ_k c_k η^k.
pub fn value(coefficients: &[f64], eta: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * eta + c)
}

impl Prediction {
    /// The truncated values at η: (test, train, gap, θ).
    pub fn at(&self, eta: f64) -> (f64, f64, f64, Vec<f64>) {
        (
            value(&self.test_loss, eta),
            value(&self.train_loss, eta),
            value(&self.gen_gap, eta),
            self.theta.iter().map(|c| value(c, eta)).collect(),
        )
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

/// Collects terms and sums them into coefficients.
struct Terms(Vec<Term>);

impl Terms {
    fn add(&mut self, observable: &'static str, order: usize, diagram: &'static str, embeddings: f64, value: f64) {
        if embeddings != 0.0 {
            self.0.push(Term { observable, order, diagram, embeddings, value, contribution: embeddings * value });
        }
    }

    fn coefficient(&self, observable: &str, order: usize) -> f64 {
        self.0.iter().filter(|t| t.observable == observable && t.order == order).map(|t| t.contribution).sum()
    }
}

/// The prediction for `plan` from the statistics at θ₀, to `order` (at most [`MAX_ORDER`]).
pub fn predict(s: &Statistics, plan: &Plan, order: usize) -> Result<Prediction> {
    if order > MAX_ORDER {
        return Err(usage(format!("--order {order}: orders above {MAX_ORDER} are not implemented yet")));
    }
    let dim = s.theta.len();
    let t = plan.steps() as f64;
    let b = plan.grid.batch as f64;
    let n = plan.grid.train_size as f64;
    let e = plan.grid.epochs as f64;
    let hg = mat_vec(&s.h, &s.g);
    let ghg = dot(&s.g, &hg);
    let g_ehg = dot(&s.g, &s.hg_mixed);
    let (int, unc, tem, per, q3) = (s.named.INT, s.named.UNC, s.named.TEM, s.named.PER, s.ghg_mixed);
    let pairs = t * (t - 1.0) / 2.0;
    let mut terms = Terms(Vec::new());
    terms.add("test_loss", 0, "l", 1.0, s.l);
    terms.add("train_loss", 0, "l", 1.0, s.l);
    terms.add("test_loss", 1, "−⟨(a)⟩⟨(a)⟩ = −INT", t, -int);
    let mut theta2 = hg.clone();
    let continuous = match plan.dynamics() {
        Dynamics::Discrete => None,
        Dynamics::Continuous { substeps, noise } => Some((substeps as f64, noise)),
    };
    match continuous {
        None => {
            terms.add("train_loss", 1, "−⟨(a)⟩⟨(a)⟩ = −INT", t, -int);
            terms.add("train_loss", 1, "−⟨(a)(a)⟩_c/N = −UNC/N", t / n, -unc);
            // Overlap sums: Σ_{s,t} c_st = N E², Σ_t c_tt = T B.
            let all = n * e * e;
            let before = (all - t * b) / 2.0;
            let (b2, nb2) = (b * b, n * b * b);
            terms.add("test_loss", 2, "⟨(a)⟩⟨(ab)⟩⟨(b)⟩, s<t, distinct points", pairs, ghg);
            terms.add("test_loss", 2, "TEM/2, s<t, shared point", before / b2, tem / 2.0);
            terms.add("test_loss", 2, "½⟨(a)⟩⟨(ab)⟩⟨(b)⟩, all s,t", t * t / 2.0, ghg);
            terms.add("test_loss", 2, "½PER, all s,t, shared point", all / b2 / 2.0, per);
            // Train loss: E[g_mᵀ h_n g_p] (s<t) and E[g_nᵀ h_m g_p] (all s,t), by
            // the pattern of (train point m, step points n, p); see docs/THEORY.md.
            let x_dist = |pairs: f64, shared: f64| nb2 * pairs - n * shared - 2.0 * b2 * pairs + 2.0 * shared;
            let w = 1.0 / nb2;
            terms.add("train_loss", 2, "Q₃ = ⟨(a)(ab)(b)⟩, s<t, m = n = p", w * before, q3);
            terms.add("train_loss", 2, "G·E[hg], s<t, n = p ≠ m", w * before * (n - 1.0), g_ehg);
            terms.add(
                "train_loss",
                2,
                "G·E[hg] + PER + GᵀHG, s<t, m = n or m = p",
                w * (pairs * b2 - before),
                g_ehg + per + ghg,
            );
            terms.add("train_loss", 2, "GᵀHG, s<t, distinct points", w * x_dist(pairs, before), ghg);
            terms.add("train_loss", 2, "½Q₃, all s,t, m = n = p", w * all / 2.0, q3);
            terms.add("train_loss", 2, "½(PER + GᵀHG), all s,t, n = p ≠ m", w * all * (n - 1.0) / 2.0, per + ghg);
            terms.add("train_loss", 2, "G·E[hg], all s,t, m = n or m = p", w * (t * t * b2 - all), g_ehg);
            terms.add("train_loss", 2, "½GᵀHG, all s,t, distinct points", w * x_dist(t * t, all) / 2.0, ghg);
            for (d, x) in theta2.iter_mut().enumerate() {
                *x = pairs * hg[d] + before / b2 * (s.hg_mixed[d] - hg[d]);
            }
            if plan.optimizer == Optimizer::Gdc {
                // The regularizer α tr Ĉ, α = η(N−1)/(4N), moves θ by −ηTα ∇tr Ĉ at
                // first order, with E ∇tr Ĉ = ∇tr C = 2(E[hg] − HG) and
                // E[ĝ_train · ∇tr Ĉ] = (2/N)(Q₃ − PER + (N−2)(G·E[hg] − GᵀHG) − GᵀHG).
                let a = t * (n - 1.0) / (4.0 * n);
                terms.add("test_loss", 2, "−G·∇tr C = −TEM, GDC regularizer", a, -tem);
                let train = 2.0 / n * (q3 - per + (n - 2.0) * (g_ehg - ghg) - ghg);
                terms.add("train_loss", 2, "−E[ĝ·∇tr Ĉ], GDC regularizer", a, -train);
                for (d, x) in theta2.iter_mut().enumerate() {
                    *x -= a * 2.0 * (s.hg_mixed[d] - hg[d]);
                }
            }
        }
        Some((k, noise)) => {
            // Gradient flow in K substeps of η/K; the SDE adds ½ tr(H Cov) of its
            // noise, T·PER/(2B). It never sees the training set: train = test.
            let flow = t * (t - 1.0 / k) / 2.0;
            terms.add("test_loss", 2, "⟨(a)⟩⟨(ab)⟩⟨(b)⟩, substeps s<t", flow, ghg);
            terms.add("test_loss", 2, "½⟨(a)⟩⟨(ab)⟩⟨(b)⟩, all substeps", t * t / 2.0, ghg);
            if noise {
                terms.add("test_loss", 2, "½PER from the SDE noise", t / (2.0 * b), per);
            }
            for x in terms.0.clone().into_iter().filter(|x| x.observable == "test_loss" && x.order > 0) {
                terms.add("train_loss", x.order, x.diagram, x.embeddings, x.value);
            }
            theta2.iter_mut().for_each(|x| *x *= flow);
        }
    }
    let coefficients = |obs: &str| -> Vec<f64> { (0..=order).map(|k| terms.coefficient(obs, k)).collect() };
    let test_loss = coefficients("test_loss");
    let train_loss = coefficients("train_loss");
    let gen_gap = test_loss.iter().zip(&train_loss).map(|(a, b)| a - b).collect();
    let theta = (0..dim).map(|d| [s.theta[d], -t * s.g[d], theta2[d]][..=order].to_vec()).collect();
    terms.0.retain(|x| x.order <= order);
    Ok(Prediction { order, test_loss, train_loss, gen_gap, theta, terms: terms.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{GridFlags, Plan};
    use crate::landscape::gauss::Gauss;
    use crate::landscape::mean_estimation::MeanEstimation;
    use crate::landscape::shifting_valleys::ShiftingValleys;
    use crate::optimizer::Optimizer;
    use crate::theory::statistics::exact_at;

    fn plan(optimizer: Optimizer, steps: usize, n: Option<usize>) -> Plan {
        let flags = GridFlags { steps: Some(steps), train_size: n, ..Default::default() };
        Plan { optimizer, grid: flags.resolve(optimizer, steps).unwrap(), eta: 0.1, substeps: 16 }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + b.abs())
    }

    /// The exact Shifting Valleys polynomials of tests/shifting_valleys.rs at
    /// T = N = 10: SGD [2, −50, 800, …], GD [2, −50, 890, …], GD gap [0, 16, −432.4, …].
    #[test]
    fn shifting_valleys_polynomials() {
        let s = exact_at(&ShiftingValleys, [1.0, 1.0]);
        let sgd = predict(&s, &plan(Optimizer::Sgd, 10, None), 2).unwrap();
        assert!(
            close(sgd.test_loss[0], 2.0) && close(sgd.test_loss[1], -50.0) && close(sgd.test_loss[2], 800.0),
            "{:?}",
            sgd.test_loss
        );
        let gd = predict(&s, &plan(Optimizer::Gd, 10, Some(10)), 2).unwrap();
        assert!(close(gd.test_loss[2], 890.0), "{:?}", gd.test_loss);
        assert!(close(gd.gen_gap[1], 16.0) && close(gd.gen_gap[2], -432.4), "{:?}", gd.gen_gap);
    }

    /// Gauss at h = 0, T = 1: E l(h_1) = ½ e^(η/2)/√(1 + η) = ½ + η²/8 + O(η³).
    #[test]
    fn gauss_one_step() {
        let p = predict(&exact_at(&Gauss, [0.0]), &plan(Optimizer::Sgd, 1, None), 2).unwrap();
        assert!(
            close(p.test_loss[0], 0.5) && close(p.test_loss[1], 0.0) && close(p.test_loss[2], 0.125),
            "{:?}",
            p.test_loss
        );
    }

    /// Mean Estimation under GD from θ = 0: θ_T = −S m1 (1 − a^T)/H, a = 1 − ηH, so
    /// E test = S²(1 − a^T)²/(2HN) = η² H S² T²/(2N) + O(η³), and the gap is
    /// S² (1 − a^T)/(HN) = η S² T/N + O(η²).
    #[test]
    fn mean_estimation_gd() {
        let l = MeanEstimation { h: 0.7, s: 1.3 };
        let p = predict(&exact_at(&l, [0.0]), &plan(Optimizer::Gd, 8, Some(5)), 2).unwrap();
        assert!(close(p.test_loss[2], 0.7 * 1.69 * 64.0 / 10.0), "{:?}", p.test_loss);
        assert!(close(p.gen_gap[1], 1.69 * 8.0 / 5.0), "{:?}", p.gen_gap);
    }

    /// Corollary 3: GDC's expected test loss equals fresh SGD's (N = T) to order η².
    #[test]
    fn gdc_matches_sgd_to_second_order() {
        use crate::landscape::archimedes::Archimedes;
        use crate::landscape::valley_of_death::ValleyOfDeath;
        let stats = [
            exact_at(&ShiftingValleys, [1.0, 1.0]),
            exact_at(&ValleyOfDeath, [0.7, -0.3]),
            exact_at(&Archimedes, [0.3, -0.2, 0.5]),
        ];
        for s in &stats {
            let sgd = predict(s, &plan(Optimizer::Sgd, 10, None), 2).unwrap();
            let gdc = predict(s, &plan(Optimizer::Gdc, 10, Some(10)), 2).unwrap();
            let gd = predict(s, &plan(Optimizer::Gd, 10, Some(10)), 2).unwrap();
            for k in 0..3 {
                assert!(close(gdc.test_loss[k], sgd.test_loss[k]), "c{k}: {:?} vs {:?}", gdc.test_loss, sgd.test_loss);
            }
            assert!((gd.test_loss[2] - sgd.test_loss[2]).abs() > 1e-6, "GD differs from SGD at order 2");
        }
    }

    #[test]
    fn orders_above_two_are_refused() {
        let s = exact_at(&Gauss, [0.0]);
        assert!(predict(&s, &plan(Optimizer::Sgd, 1, None), 3).is_err());
    }
}
