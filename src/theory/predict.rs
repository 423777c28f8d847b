//! Predictions: the Taylor coefficients in η of E[test loss], E[train loss],
//! E\[gen gap\] and E\[θ_T\] − θ₀ for a plan's exact grid, from the landscape's
//! derivative tensors at θ₀ (seed 001, App. A; docs/THEORY.md derives it).
//!
//! The coefficient of η^k is a sum over the diagrams of order k
//! ([`super::diagram`]): Taylor weight × (−1/B)^k × number of embeddings into
//! the grid ([`super::embedding`], closed form) × value (the product over the
//! diagram's blocks of one sample's expected tensors, [`super::law`],
//! contracted along the tree's edges). The train loss's root is a training
//! point (1/N Σ_m), the test loss's root the population loss, θ's root the
//! identity. SDE and ODE are fresh-sample grids of T·K substeps of η/K whose
//! samples are the population loss plus Gaussian noise of covariance (K/B)·C,
//! or the population loss alone. GDC adds the first-order effect of its
//! regularizer (Corollary 3), so it is predicted to order 2.

use super::diagram::{plane_trees, Diagram};
use super::embedding::{count, weighted_count, weighted_terms, Kernel, Shape, MAX_WEIGHTED_TERMS};
use super::law::{Law, Sampling};
use super::prediction::Terms;
use super::statistics;
use super::value::{diagram_value, Root};
use crate::error::{usage, Result};
use crate::linalg::{dot, mat_vec};
use crate::optimizer::{self, Dynamics, Optimizer};
use crate::plan::Plan;

pub use super::law::MAX_ORDER;
pub use super::prediction::{value, Prediction};

/// Highest order of GDC's prediction: its regularizer enters at first order.
pub const GDC_MAX_ORDER: usize = 2;

/// The order `predict` and `run --theory` use unless told: 3, or GDC's highest.
pub fn default_order(plans: &[&Plan]) -> usize {
    if plans.iter().any(|p| p.optimizer == Optimizer::Gdc) {
        GDC_MAX_ORDER
    } else {
        3
    }
}

/// How a plan looks to the diagrams.
struct Expansion {
    shape: Shape,
    /// The factor per node besides η: −1/B, or −1/K for substeps.
    per_node: f64,
    sampling: Sampling,
    /// Whether there is a training set (not for SDE and ODE).
    train: bool,
}

impl Expansion {
    fn of(plan: &Plan) -> Self {
        match plan.dynamics() {
            Dynamics::Discrete => Expansion {
                shape: Shape::of(&plan.grid),
                per_node: -1.0 / plan.grid.batch as f64,
                sampling: Sampling::Data,
                train: true,
            },
            Dynamics::Continuous { substeps, noise } => {
                let k = substeps as f64;
                Expansion {
                    shape: Shape::fresh(plan.steps() * substeps as usize),
                    per_node: -1.0 / k,
                    sampling: if noise {
                        Sampling::Gaussian { variance: k / plan.grid.batch as f64 }
                    } else {
                        Sampling::Flow
                    },
                    train: false,
                }
            }
        }
    }
}

/// How the step uses the batch gradient, as the diagrams see it.
enum Update {
    /// Every embedding counts 1.
    Gradient,
    /// Embeddings weighted by momentum's kernel and the schedule's rates.
    Weighted(Kernel),
    /// Each diagram also with its same-step marks, λ per mark.
    InverseHessian(f64),
}

impl Update {
    /// The plan's update on the expansion's grid `shape`, refused where
    /// its expansion is not implemented: momentum or a schedule on a grid
    /// too long to list, invhess with a schedule.
    fn of(plan: &Plan, shape: &Shape, order: usize) -> Result<Self> {
        let scheduled = !plan.schedule.is_constant();
        let (beta, nesterov, what) = match plan.update {
            optimizer::Update::Gradient if !scheduled => return Ok(Update::Gradient),
            optimizer::Update::InverseHessian { .. } if scheduled => {
                return Err(usage("the theory of invhess with a --schedule is not implemented (drop --theory)"))
            }
            optimizer::Update::InverseHessian { lambda } => return Ok(Update::InverseHessian(lambda)),
            optimizer::Update::Gradient => (0.0, false, "a --schedule"),
            optimizer::Update::HeavyBall { beta, nesterov } => (beta, nesterov, "momentum"),
        };
        let terms = weighted_terms(order, shape);
        if terms > MAX_WEIGHTED_TERMS {
            return Err(usage(format!(
                "the theory of {what} lists its embeddings, and T = {} at order {order} needs {terms:.1e} step \
                 tuples per diagram (at most {MAX_WEIGHTED_TERMS:e}): use fewer steps or a lower --order",
                plan.steps()
            )));
        }
        // The grid's steps: the substeps of sde and ode, each at its step's rate.
        let total = shape.slots * shape.epochs;
        let per_step = total / plan.steps().max(1);
        let kernel = Kernel::new(beta, nesterov, total);
        Ok(Update::Weighted(if scheduled {
            kernel.with_rates((0..total).map(|u| plan.schedule.rate(u / per_step, plan.steps())).collect())
        } else {
            kernel
        }))
    }

    /// The diagrams `d` stands for: itself, and for invhess its markings.
    fn variants(&self, d: &Diagram) -> Vec<Diagram> {
        match self {
            Update::InverseHessian(_) => d.markings(),
            _ => vec![d.clone()],
        }
    }

    /// The (weighted) number of embeddings of `d` and the factor it carries
    /// besides its Taylor weight and −η/B per node: λ per mark.
    fn embeddings(&self, d: &Diagram, shape: &Shape) -> (f64, f64) {
        match self {
            Update::Gradient => (count(d, shape), 1.0),
            Update::Weighted(kernel) => (weighted_count(d, shape, kernel), 1.0),
            Update::InverseHessian(lambda) => (count(d, shape), lambda.powi(d.marks() as i32)),
        }
    }
}

/// The prediction for `plan` from the law at θ₀, to `order` (at most
/// [`MAX_ORDER`]; [`GDC_MAX_ORDER`] for GDC).
pub fn predict(law: &Law, plan: &Plan, order: usize) -> Result<Prediction> {
    if order > MAX_ORDER {
        return Err(usage(format!("--order {order}: the diagram expansion is implemented to order {MAX_ORDER}")));
    }
    if plan.optimizer == Optimizer::Gdc && order > GDC_MAX_ORDER {
        return Err(usage(format!("--order {order}: GDC is predicted to order {GDC_MAX_ORDER} (Corollary 3)")));
    }
    let ex = Expansion::of(plan);
    let update = Update::of(plan, &ex.shape, order)?;
    let n_train = plan.grid.train_size as f64;
    let l = law.population[0][0];
    let mut terms = Terms::default();
    terms.add("test_loss", 0, "L".into(), 1.0, l);
    let mut theta: Vec<Vec<f64>> = law.theta.iter().map(|&t| vec![t]).collect();
    for k in 1..=order {
        theta.iter_mut().for_each(|c| c.push(0.0));
        for tree in plane_trees(k) {
            for d in Diagram::partitions_of(&tree, false).iter().flat_map(|d| update.variants(d)) {
                let (embeddings, factor) = update.embeddings(&d, &ex.shape);
                if embeddings == 0.0 {
                    continue;
                }
                let weight = d.taylor_weight() * ex.per_node.powi(k as i32) * factor;
                let test = weight * diagram_value(law, ex.sampling, &d, Root::Population, false, |_| 1.0);
                terms.add("test_loss", k, d.notation("L"), embeddings, embeddings * test);
                if d.children[0].len() == 1 {
                    for (i, c) in theta.iter_mut().enumerate() {
                        c[k] += weight
                            * embeddings
                            * diagram_value(law, ex.sampling, &d, Root::Coordinate(i), false, |_| 1.0);
                    }
                }
            }
            if ex.train {
                for d in Diagram::partitions_of(&tree, true).iter().flat_map(|d| update.variants(d)) {
                    let (embeddings, factor) = update.embeddings(&d, &ex.shape);
                    if embeddings == 0.0 {
                        continue;
                    }
                    let weight = d.taylor_weight() * ex.per_node.powi(k as i32) * factor / n_train;
                    let train = weight * diagram_value(law, ex.sampling, &d, Root::Sample, false, |_| 1.0);
                    terms.add("train_loss", k, d.notation("L"), embeddings, embeddings * train);
                }
            }
        }
    }
    if ex.train {
        terms.add("train_loss", 0, "L_a".into(), 1.0, l);
    }
    if plan.optimizer == Optimizer::Gdc && order >= 2 {
        gdc_correction(law, plan, &mut terms, &mut theta);
    }
    let coefficients = |obs: &str| -> Vec<f64> { (0..=order).map(|k| terms.coefficient(obs, k)).collect() };
    let test_loss = coefficients("test_loss");
    // Without a training set the "train loss" is the loss itself.
    let train_loss = if ex.train { coefficients("train_loss") } else { test_loss.clone() };
    let gen_gap = test_loss.iter().zip(&train_loss).map(|(a, b)| a - b).collect();
    Ok(Prediction {
        order,
        resummed: None,
        test_loss,
        train_loss,
        gen_gap,
        theta,
        velocity: None,
        unstable: None,
        terms: terms.0,
    })
}

/// GDC's regularizer α tr Ĉ, α = η(N−1)/(4N), at first order: it moves θ by
/// −ηTα ∇tr C (E ∇tr Ĉ = ∇tr C = 2(E[hg] − HG)), the test loss by −ηTα·TEM and
/// the train loss by −ηTα E[ĝ_train·∇tr Ĉ], with E[ĝ_train·∇tr Ĉ] =
/// (2/N)(Q₃ − PER + (N−2)(G·E[hg] − GᵀHG) − GᵀHG) (docs/THEORY.md), where
/// G·E[hg] − GᵀHG = TEM/2. TEM and PER are formed as `stats` forms them.
fn gdc_correction(law: &Law, plan: &Plan, terms: &mut Terms, theta: &mut [Vec<f64>]) {
    let dim = law.dim;
    let (g, h) = (&law.population[1], &law.population[2]);
    let hg = mat_vec(h, g, dim);
    let hg_mixed: Vec<f64> = (0..dim).map(|a| law.expect(|t| mat_vec(&t[2], &t[1], dim)[a])).collect();
    let ghg = dot(g, &hg);
    let g_ehg = dot(g, &hg_mixed);
    let q3 = law.expect(|t| dot(&t[1], &mat_vec(&t[2], &t[1], dim)));
    let per = statistics::per(law.expect(|t| dot(&t[1], &mat_vec(h, &t[1], dim))), ghg);
    let tem = statistics::tem(g_ehg, ghg);
    let n = plan.grid.train_size as f64;
    let a = plan.steps() as f64 * (n - 1.0) / (4.0 * n);
    terms.add("test_loss", 2, "GDC regularizer: −G·∇tr C = −TEM".into(), a, -a * tem);
    let train = 2.0 / n * (q3 - per + (n - 2.0) * (tem / 2.0) - ghg);
    terms.add("train_loss", 2, "GDC regularizer: −E[ĝ·∇tr Ĉ]".into(), a, -a * train);
    for (d, c) in theta.iter_mut().enumerate() {
        c[2] -= a * 2.0 * (hg_mixed[d] - hg[d]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::GridFlags;
    use crate::landscape::gauss::Gauss;
    use crate::landscape::mean_estimation::MeanEstimation;
    use crate::landscape::shifting_valleys::ShiftingValleys;
    use crate::optimizer::Optimizer;
    use crate::plan::Plan;
    use crate::theory::law::Law;

    fn plan(optimizer: Optimizer, steps: usize, n: Option<usize>) -> Plan {
        let flags = GridFlags { steps: Some(steps), train_size: n, ..Default::default() };
        Plan {
            optimizer,
            grid: flags.resolve(optimizer, steps).unwrap(),
            eta: 0.1,
            substeps: 16,
            update: Default::default(),
            schedule: Default::default(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + b.abs())
    }

    /// The exact Shifting Valleys polynomials of tests/shifting_valleys.rs at
    /// T = N = 10: SGD [2, −50, 800, …], GD [2, −50, 890, …], GD gap [0, 16, −432.4, …].
    #[test]
    fn shifting_valleys_polynomials() {
        let s = Law::exact(&ShiftingValleys, [1.0, 1.0]).unwrap();
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

    /// Gauss at h = 0, T = 1: h_1 = −(η/2)(1 − x²), so E l(h_1) = ½ E[h_1 + e^(−h_1)]
    /// = ½ e^(η/2)/√(1 + η) = ½ + η²/8 − η³/12 + 5η⁴/64 + …: every order.
    #[test]
    fn gauss_one_step() {
        // Taylor series of e^(η/2) and (1 + η)^(−1/2), multiplied.
        let exp: Vec<f64> =
            (0..=MAX_ORDER).map(|k| 0.5f64.powi(k as i32) / (1..=k).product::<usize>() as f64).collect();
        let root: Vec<f64> =
            (0..=MAX_ORDER).map(|k| (0..k).map(|i| (-0.5 - i as f64) / (i + 1) as f64).product()).collect();
        let exact: Vec<f64> =
            (0..=MAX_ORDER).map(|k| 0.5 * (0..=k).map(|i| exp[i] * root[k - i]).sum::<f64>()).collect();
        assert!(close(exact[3], -1.0 / 12.0) && close(exact[4], 5.0 / 64.0), "{exact:?}");
        let p = predict(&Law::exact(&Gauss, [0.0]).unwrap(), &plan(Optimizer::Sgd, 1, None), MAX_ORDER).unwrap();
        for k in 0..=MAX_ORDER {
            assert!((p.test_loss[k] - exact[k]).abs() < 1e-12, "c{k}: {:?} vs {exact:?}", p.test_loss);
        }
    }

    /// Mean Estimation under GD from θ = 0: θ_T = −S m1 (1 − a^T)/H, a = 1 − ηH, so
    /// E test = S²(1 − a^T)²/(2HN) = η² H S² T²/(2N) + O(η³), and the gap is
    /// S² (1 − a^T)/(HN) = η S² T/N + O(η²).
    #[test]
    fn mean_estimation_gd() {
        let l = MeanEstimation { h: 0.7, s: 1.3 };
        let p = predict(&Law::exact(&l, [0.0]).unwrap(), &plan(Optimizer::Gd, 8, Some(5)), 2).unwrap();
        assert!(close(p.test_loss[2], 0.7 * 1.69 * 64.0 / 10.0), "{:?}", p.test_loss);
        assert!(close(p.gen_gap[1], 1.69 * 8.0 / 5.0), "{:?}", p.gen_gap);
    }

    /// Corollary 3: GDC's expected test loss equals fresh SGD's (N = T) to order η².
    #[test]
    fn gdc_matches_sgd_to_second_order() {
        use crate::landscape::archimedes::Archimedes;
        use crate::landscape::valley_of_death::ValleyOfDeath;
        let stats = [
            Law::exact(&ShiftingValleys, [1.0, 1.0]).unwrap(),
            Law::exact(&ValleyOfDeath, [0.7, -0.3]).unwrap(),
            Law::exact(&Archimedes, [0.3, -0.2, 0.5]).unwrap(),
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
    fn unsupported_orders_are_refused() {
        let s = Law::exact(&Gauss, [0.0]).unwrap();
        assert!(predict(&s, &plan(Optimizer::Sgd, 1, None), MAX_ORDER + 1).is_err());
        assert!(predict(&s, &plan(Optimizer::Gdc, 1, Some(1)), 3).is_err());
    }
}
