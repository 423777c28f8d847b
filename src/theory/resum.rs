//! Re-summed values (seed 001 §2, Theorem 1 and Remark 2): the diagram
//! expansion with the mean Hessian summed to all orders, for long training.
//!
//! Split each step's linear part: −η ĥ_t Δ = −η H Δ − η (ĥ_t − H) Δ. Solving the
//! first part exactly, Δ_t = Σ_{s<t} K^{t−1−s} δ̃_s with K = I − ηH, so every
//! edge of a diagram from a node at step s to its parent at step t (the root
//! sits at T) carries K^{t−s−1}, and a node with one child carries the centred
//! h_x − H (Theorem 1's irreducible diagrams: such a node alone in its block
//! vanishes). In the eigenbasis of H, K is diagonal, k_μ = 1 − ηλ_μ, so for one
//! assignment of eigen-indices to the edges and one time order of the
//! diagram's steps (classes 0..j, the root after them) the sum over times is
//!
//!   ∏_e k_e^(span_e − 1) · h_{T−j}(1, ρ_0, …, ρ_{j−1}),  ρ_g = ∏_{e spans gap g} k_e,
//!
//! with h the complete homogeneous symmetric polynomial, computed as an entry
//! of the j+1-square bidiagonal matrix power M^(T) (diag (1, ρ…), ones above):
//! no sum over steps, any T. Remark 2's approximation replaces sums by
//! integrals and K^t by e^(−ηHt): the entry of the matrix exponential instead
//! (and GD's coincident steps, of measure zero, drop out).
//!
//! Grids: fresh-sample SGD (B = E = 1: each step its own sample, so the time
//! classes are the blocks), GD (every step all N samples: the classes are any
//! weak order of the nodes, N(N−1)⋯ sample choices), and the SDE and ODE as
//! fresh grids of T·K substeps of η/K.

use super::diagram::{plane_trees, Diagram, NO_BLOCK};
use super::embedding::{falling, weak_orders};
use super::law::{Law, Sampling, MAX_ORDER};
use super::prediction::{Growth, Prediction, Terms};
use super::value::{diagram_value, Root};
use crate::error::{usage, Result};
use crate::linalg::{exp, power, symmetric_eigen};
use crate::optimizer::{Dynamics, Optimizer};
use crate::plan::Plan;

pub use super::prediction::Resum;

/// The bidiagonal matrix with `diagonal` and ones above it.
fn bidiagonal(diagonal: &[f64]) -> Vec<f64> {
    let n = diagonal.len();
    (0..n * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            if i == j {
                diagonal[i]
            } else {
                f64::from(u8::from(j == i + 1))
            }
        })
        .collect()
}

/// h_n(x_0, …, x_j) = Σ_{a_0+…+a_j = n} ∏ x_i^(a_i), as the (0, j) entry of
/// M^(n+j) for M the bidiagonal matrix of the x's (binary powering).
pub fn complete_homogeneous(x: &[f64], n: usize) -> f64 {
    let size = x.len();
    power(&bidiagonal(x), n + size - 1, size)[size - 1]
}

/// ∫_{0<τ_0<…<τ_{j−1}<T} ∏_g e^(−r_g (τ_{g+1} − τ_g)) dτ (τ_j = T): the (0, j)
/// entry of e^(T·A), A bidiagonal with diagonal (0, −r_0, …), by scaling and squaring.
pub fn simplex_integral(rates: &[f64], t: f64) -> f64 {
    let diagonal: Vec<f64> = std::iter::once(0.0).chain(rates.iter().map(|r| -r)).collect();
    let size = diagonal.len();
    let a: Vec<f64> = bidiagonal(&diagonal).iter().map(|x| x * t).collect();
    exp(&a, size)[size - 1]
}

/// The propagators of one plan.
struct Propagators {
    mode: Resum,
    /// Steps (substeps for SDE/ODE).
    steps: usize,
    /// The learning rate on H per step: η, or η/K.
    rate: f64,
    /// Eigenvalues of H.
    lambda: Vec<f64>,
}

impl Propagators {
    /// The fastest-growing direction, if any grows (see [`Growth`]).
    fn growth(&self) -> Option<Growth> {
        let factor = |lambda: f64| match self.mode {
            Resum::Exact => (1.0 - self.rate * lambda).abs(),
            Resum::Integral => (-self.rate * lambda).exp(),
        };
        self.lambda
            .iter()
            .map(|&eigenvalue| Growth { eigenvalue, factor_per_update: factor(eigenvalue) })
            .filter(|g| g.factor_per_update > 1.0)
            .max_by(|a, b| a.factor_per_update.total_cmp(&b.factor_per_update))
    }

    /// Σ over times of the classes 0..classes (in order, the root at T) of
    /// ∏ over edges (child class, parent class or `classes` for the root,
    /// eigen-index) of K^(t_parent − t_child − 1).
    fn time_sum(&self, edges: &[(usize, usize, usize)], classes: usize) -> f64 {
        let Some(free) = self.steps.checked_sub(classes) else { return 0.0 };
        let spans = |g: usize| edges.iter().filter(move |&&(c, p, _)| c <= g && g < p);
        match self.mode {
            Resum::Exact => {
                let k = |mu: usize| 1.0 - self.rate * self.lambda[mu];
                let prefactor: f64 = edges.iter().map(|&(c, p, mu)| k(mu).powi((p - c - 1) as i32)).product();
                let x: Vec<f64> = std::iter::once(1.0)
                    .chain((0..classes).map(|g| spans(g).map(|&(_, _, mu)| k(mu)).product()))
                    .collect();
                prefactor * complete_homogeneous(&x, free)
            }
            Resum::Integral => {
                let rates: Vec<f64> =
                    (0..classes).map(|g| spans(g).map(|&(_, _, mu)| self.rate * self.lambda[mu]).sum()).collect();
                simplex_integral(&rates, self.steps as f64)
            }
        }
    }
}

/// How a plan's steps look to the re-summed diagrams.
enum Steps {
    /// One fresh sample per step: time classes are the blocks.
    Fresh,
    /// All N samples every step: time classes are any weak order of the nodes.
    Full { n: usize },
}

/// The time orders of `d`'s steps that respect its edges: for each, the class
/// of every node (the root excluded) and the number of classes. With
/// integrals over times, nodes of GD that share a step form a set of measure
/// zero and drop out (Remark 2), so only total orders remain.
fn time_orders(d: &Diagram, steps: &Steps, mode: Resum) -> Vec<(Vec<usize>, usize)> {
    let n = d.order();
    let parent_ok = |class: &dyn Fn(usize) -> usize| (1..=n).all(|v| d.parent[v] == 0 || class(v) < class(d.parent[v]));
    match steps {
        Steps::Fresh => weak_orders(d.blocks)
            .iter()
            .filter(|o| o.classes == d.blocks && parent_ok(&|v| o.rank[d.block[v]]))
            .map(|o| {
                ((0..=n).map(|v| if d.block[v] == NO_BLOCK { 0 } else { o.rank[d.block[v]] }).collect(), o.classes)
            })
            .collect(),
        Steps::Full { .. } => weak_orders(n)
            .iter()
            .filter(|o| parent_ok(&|v| o.rank[v - 1]) && (mode == Resum::Exact || o.classes == n))
            .map(|o| (std::iter::once(0).chain(o.rank.iter().copied()).collect(), o.classes))
            .collect(),
    }
}

/// The re-summed prediction for `plan`, orders 0..=`order`: each entry of the
/// returned vectors is that order's contribution at the plan's η; with the
/// drift of the last step, E[θ_T − θ_{T−1}] (Corollary 1's velocity once it is
/// stationary).
pub fn predict(law: &Law, plan: &Plan, order: usize, mode: Resum) -> Result<Prediction> {
    let mut p = expand(law, plan, order, mode, 0)?;
    if plan.steps() > 0 {
        let before = expand(law, plan, order, mode, 1)?.at(plan.eta).3;
        p.velocity = Some(p.at(plan.eta).3.iter().zip(before).map(|(a, b)| a - b).collect());
    }
    Ok(p)
}

/// E\[θ_t\] after `t` ≤ T steps of `plan`, re-summed to `order`.
pub fn theta_at(law: &Law, plan: &Plan, order: usize, mode: Resum, t: usize) -> Result<Vec<f64>> {
    Ok(expand(law, plan, order, mode, plan.steps() - t.min(plan.steps()))?.at(plan.eta).3)
}

/// [`predict`] for `fewer` steps less than the plan's.
fn expand(law: &Law, plan: &Plan, order: usize, mode: Resum, fewer: usize) -> Result<Prediction> {
    if order > MAX_ORDER {
        return Err(usage(format!("--order {order}: the diagram expansion is implemented to order {MAX_ORDER}")));
    }
    let eta = plan.eta;
    let (steps, sampling, rate, per_node, total_steps, train) = match plan.dynamics() {
        Dynamics::Continuous { substeps, noise } => {
            let k = f64::from(substeps);
            let sampling =
                if noise { Sampling::Gaussian { variance: k / plan.grid.batch as f64 } } else { Sampling::Flow };
            (Steps::Fresh, sampling, eta / k, -eta / k, (plan.steps() - fewer) * substeps as usize, false)
        }
        Dynamics::Discrete if plan.optimizer == Optimizer::Gd => {
            let n = plan.grid.train_size;
            (Steps::Full { n }, Sampling::Data, eta, -eta / n as f64, plan.steps() - fewer, true)
        }
        Dynamics::Discrete if plan.optimizer == Optimizer::Sgd && plan.grid.batch == 1 && plan.grid.epochs == 1 => {
            (Steps::Fresh, Sampling::Data, eta, -eta, plan.steps() - fewer, true)
        }
        _ => {
            return Err(usage(
                "--resum: re-summed values are implemented for fresh-sample SGD (B = E = 1), GD, SDE and ODE",
            ))
        }
    };
    let dim = law.dim;
    let (lambda, q) = symmetric_eigen(&law.population[2], dim);
    let rotated = law.rotated(&q);
    let prop = Propagators { mode, steps: total_steps, rate, lambda };
    let n_train = plan.grid.train_size as f64;
    let l = law.population[0][0];
    let mut terms = Terms::default();
    terms.add("test_loss", 0, "L".into(), 1.0, l);
    if train {
        terms.add("train_loss", 0, "L_a".into(), 1.0, l);
    }
    // θ in the eigenbasis, rotated back at the end.
    let mut theta_eigen: Vec<Vec<f64>> = vec![vec![0.0; order + 1]; dim];
    for k in 1..=order {
        for tree in plane_trees(k) {
            let roots: &[bool] = if train { &[false, true] } else { &[false] };
            for &sample_root in roots {
                for d in Diagram::partitions_of(&tree, sample_root) {
                    // A one-child node alone in its block has E[h_x − H] = 0.
                    if (1..=k)
                        .any(|v| d.children[v].len() == 1 && (0..=k).filter(|&u| d.block[u] == d.block[v]).count() == 1)
                    {
                        continue;
                    }
                    let orders = time_orders(&d, &steps, mode);
                    if orders.is_empty() {
                        continue;
                    }
                    let multiplicity = match steps {
                        Steps::Fresh => 1.0,
                        Steps::Full { n } => falling(n as f64, d.blocks),
                    };
                    let weight = d.taylor_weight() * per_node.powi(k as i32) * multiplicity;
                    let times = |index: &[usize]| -> f64 {
                        orders
                            .iter()
                            .map(|(class, classes)| {
                                let edges: Vec<(usize, usize, usize)> = (1..=k)
                                    .map(|v| {
                                        let p = d.parent[v];
                                        (class[v], if p == 0 { *classes } else { class[p] }, index[v])
                                    })
                                    .collect();
                                prop.time_sum(&edges, *classes)
                            })
                            .sum()
                    };
                    if sample_root {
                        let value = weight / n_train * diagram_value(&rotated, sampling, &d, Root::Sample, true, times);
                        terms.add("train_loss", k, d.notation("L"), f64::NAN, value);
                        continue;
                    }
                    let value = weight * diagram_value(&rotated, sampling, &d, Root::Population, true, times);
                    terms.add("test_loss", k, d.notation("L"), f64::NAN, value);
                    if d.children[0].len() == 1 {
                        for (mu, c) in theta_eigen.iter_mut().enumerate() {
                            c[k] += weight * diagram_value(&rotated, sampling, &d, Root::Coordinate(mu), true, times);
                        }
                    }
                }
            }
        }
    }
    let contributions = |obs: &str| -> Vec<f64> { (0..=order).map(|k| terms.coefficient(obs, k)).collect() };
    let test_loss = contributions("test_loss");
    let train_loss = if train { contributions("train_loss") } else { test_loss.clone() };
    let gen_gap = test_loss.iter().zip(&train_loss).map(|(a, b)| a - b).collect();
    let theta =
        (0..dim)
            .map(|i| {
                (0..=order)
                    .map(|k| {
                        if k == 0 {
                            law.theta[i]
                        } else {
                            (0..dim).map(|mu| q[i * dim + mu] * theta_eigen[mu][k]).sum()
                        }
                    })
                    .collect()
            })
            .collect();
    Ok(Prediction {
        order,
        resummed: Some(mode),
        test_loss,
        train_loss,
        gen_gap,
        theta,
        velocity: None,
        unstable: prop.growth(),
        terms: terms.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// h_n against its definition, distinct and repeated variables.
    #[test]
    fn complete_homogeneous_polynomials() {
        let brute = |x: &[f64], n: usize| -> f64 {
            match x.len() {
                1 => x[0].powi(n as i32),
                2 => (0..=n).map(|a| x[0].powi(a as i32) * x[1].powi((n - a) as i32)).sum(),
                _ => (0..=n)
                    .flat_map(|a| (0..=n - a).map(move |b| (a, b)))
                    .map(|(a, b)| x[0].powi(a as i32) * x[1].powi(b as i32) * x[2].powi((n - a - b) as i32))
                    .sum(),
            }
        };
        for x in [vec![0.9], vec![1.0, 0.8], vec![1.0, 0.95, 0.95], vec![1.0, 1.0, 0.5]] {
            for n in [0, 1, 5, 40] {
                let (a, b) = (complete_homogeneous(&x, n), brute(&x, n));
                assert!((a - b).abs() < 1e-12 * b.abs().max(1.0), "{x:?} {n}: {a} vs {b}");
            }
        }
        // h_n(1, 1, 1) = C(n + 2, 2) at n = 10^7.
        let n = 10_000_000usize;
        let want = ((n + 2) * (n + 1) / 2) as f64;
        assert!((complete_homogeneous(&[1.0, 1.0, 1.0], n) / want - 1.0).abs() < 1e-12);
    }

    #[test]
    fn simplex_integrals() {
        // ∫_0^T e^(−r(T−τ)) dτ = (1 − e^(−rT))/r; two rates: by the divided difference.
        let (r, t) = (0.3, 7.0);
        assert!((simplex_integral(&[r], t) - (1.0 - (-r * t).exp()) / r).abs() < 1e-12);
        assert!((simplex_integral(&[0.0, 0.0], t) - t * t / 2.0).abs() < 1e-11);
        // Two rates: against a midpoint sum over the triangle (half weight on its diagonal).
        let (a, b) = (0.3, 1.1);
        let steps = 2000;
        let h = t / steps as f64;
        let mut sum = 0.0;
        for i in 0..steps {
            let t0 = (i as f64 + 0.5) * h;
            for j in 0..steps {
                let t1 = (j as f64 + 0.5) * h;
                let w = if j > i {
                    1.0
                } else if j == i {
                    0.5
                } else {
                    0.0
                };
                sum += w * (-a * (t1 - t0)).exp() * (-b * (t - t1)).exp() * h * h;
            }
        }
        assert!((simplex_integral(&[a, b], t) - sum).abs() < 1e-5 * sum, "{} vs {sum}", simplex_integral(&[a, b], t));
    }
}
