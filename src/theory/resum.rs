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
//! with h the complete homogeneous symmetric polynomial: an entry of the
//! (j+1)-square bidiagonal matrix power M^(T) (diag (1, ρ…), ones above), no
//! sum over steps, any T (`transfer_sum`). Remark 2's approximation replaces
//! sums by integrals and K^t by e^(−ηHt): the entry of the matrix exponential
//! instead (and GD's coincident steps, of measure zero, drop out).
//!
//! Momentum (seed 002 §4.3) is the same split on the heavy ball's linear
//! recurrence, Δ_{t+1} = (1 + β − ηH) Δ_t − β Δ_{t−1} − η δ̃_t: a deviation
//! started at step s reaches step s + n with the impulse response R_n
//! (R_0 = 0, R_1 = 1, R_{n+1} = (1 + β − ηλ) R_n − β R_{n−1}), the first entry
//! of A^(n−1)(1, 0) for A the 2×2 companion matrix. With Nesterov's look-ahead
//! the recurrence is (1 + β)(1 − ηH) Δ_t − β(1 − ηH) Δ_{t−1} and a node reads
//! (1 + β) R_n − β R_{n−1}, the deviation at its look-ahead point (the root
//! reads θ_T). At ηH = 0 these are momentum's kernel (1 − β^n)/(1 − β) and
//! its Nesterov shift κ(n + 1) ([`super::embedding::Kernel`]). Each edge then
//! carries a 2-vector state, and the gap's state is their tensor product: the
//! same matrix power with blocks of side 2^(open edges), as exact for any T and
//! with no case split for complex or repeated roots of the companion
//! polynomial.
//!
//! Grids: fresh-sample SGD (B = E = 1: each step its own sample, so the time
//! classes are the blocks), GD (every step all N samples: the classes are any
//! weak order of the nodes, N(N−1)⋯ sample choices), and the SDE and ODE as
//! fresh grids of T·K substeps of η/K; momentum on the first two.

use super::diagram::{plane_trees, Diagram, NO_BLOCK};
use super::embedding::{falling, weak_orders};
use super::law::{Law, Sampling, MAX_ORDER};
use super::prediction::{Growth, Prediction, Terms};
use super::value::{diagram_value, Root};
use crate::error::{usage, Result};
use crate::linalg::{exp, power, symmetric_eigen};
use crate::optimizer::{Dynamics, Optimizer, Update};
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

/// ∫_{0<τ_0<…<τ_{j−1}<T} ∏_g e^(−r_g (τ_{g+1} − τ_g)) dτ (τ_j = T): the (0, j)
/// entry of e^(T·A), A bidiagonal with diagonal (0, −r_0, …), by scaling and squaring.
pub fn simplex_integral(rates: &[f64], t: f64) -> f64 {
    let diagonal: Vec<f64> = std::iter::once(0.0).chain(rates.iter().map(|r| -r)).collect();
    let size = diagonal.len();
    let a: Vec<f64> = bidiagonal(&diagonal).iter().map(|x| x * t).collect();
    exp(&a, size)[size - 1]
}

/// How one update acts on a deviation along an eigen-direction of H (λ):
/// a linear recurrence whose impulse response the edges carry.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Recurrence {
    /// Δ_{t+1} = (1 − rλ) Δ_t (SGD, GD, and the SDE's and ODE's substeps).
    Plain,
    /// Heavy ball, Δ_{t+1} = (1 + β − ηλ) Δ_t − β Δ_{t−1}; with Nesterov's
    /// look-ahead (1 + β)(1 − ηλ) Δ_t − β(1 − ηλ) Δ_{t−1}, and the nodes read
    /// the deviation at the look-ahead point, (1 + β) Δ_t − β Δ_{t−1}.
    HeavyBall { beta: f64, nesterov: bool },
}

/// One edge's propagation along one eigen-direction: a deviation a node
/// starts at step s is read n steps later as ℓᵀ A^(n−1) r. For the plain
/// recurrence A = 1 − rλ and ℓ = r = 1, so the edge carries K^(n−1); for the
/// heavy ball A is the companion matrix on (Δ_t, Δ_{t−1}), r = (1, 0) (the
/// impulse reaches Δ_{s+1} with weight 1, Δ_s with 0), and ℓ reads Δ (or
/// Nesterov's look-ahead, for an edge into a node).
struct Propagator {
    side: usize,
    a: Vec<f64>,
    r: Vec<f64>,
    l: Vec<f64>,
}

impl Recurrence {
    /// The companion polynomial z² − a z + b of one step along λ (b = 0 for
    /// the plain recurrence, whose only root is a = 1 − rλ).
    fn companion(self, rate_lambda: f64) -> (f64, f64) {
        match self {
            Recurrence::Plain => (1.0 - rate_lambda, 0.0),
            Recurrence::HeavyBall { beta, nesterov: false } => (1.0 + beta - rate_lambda, beta),
            Recurrence::HeavyBall { beta, nesterov: true } => {
                ((1.0 + beta) * (1.0 - rate_lambda), beta * (1.0 - rate_lambda))
            }
        }
    }

    /// The propagator along λ of an edge into a node, or into the root
    /// (which reads θ_T itself).
    fn propagator(self, rate_lambda: f64, to_root: bool) -> Propagator {
        let (a, b) = self.companion(rate_lambda);
        match self {
            Recurrence::Plain => Propagator { side: 1, a: vec![a], r: vec![1.0], l: vec![1.0] },
            Recurrence::HeavyBall { beta, nesterov } => Propagator {
                side: 2,
                a: vec![a, -b, 1.0, 0.0],
                r: vec![1.0, 0.0],
                l: if nesterov && !to_root { vec![1.0 + beta, -beta] } else { vec![1.0, 0.0] },
            },
        }
    }

    /// The largest modulus of the companion polynomial's roots: the factor
    /// by which a deviation along λ grows per update in the long run.
    fn growth(self, rate_lambda: f64) -> f64 {
        let (a, b) = self.companion(rate_lambda);
        let discriminant = a * a - 4.0 * b;
        if discriminant >= 0.0 {
            (a.abs() + discriminant.sqrt()) / 2.0
        } else {
            b.abs().sqrt()
        }
    }
}

/// An edge in one time order: (child's class, parent's class or the root's, eigen-index).
type TimedEdge = (usize, usize, usize);

/// The propagators of one plan.
struct Propagators {
    mode: Resum,
    recurrence: Recurrence,
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
            Resum::Exact => self.recurrence.growth(self.rate * lambda),
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
    /// eigen-index) of the edge's propagator over its span.
    fn time_sum(&self, edges: &[TimedEdge], classes: usize) -> f64 {
        match self.mode {
            Resum::Exact => {
                let propagators: Vec<Propagator> = edges
                    .iter()
                    .map(|&(_, p, mu)| self.recurrence.propagator(self.rate * self.lambda[mu], p == classes))
                    .collect();
                transfer_sum(&propagators, edges, classes, self.steps)
            }
            Resum::Integral => {
                let spans = |g: usize| edges.iter().filter(move |&&(c, p, _)| c <= g && g < p);
                let rates: Vec<f64> =
                    (0..classes).map(|g| spans(g).map(|&(_, _, mu)| self.rate * self.lambda[mu]).sum()).collect();
                simplex_integral(&rates, self.steps as f64)
            }
        }
    }
}

/// Σ over steps 0 ≤ t_0 < … < t_{j−1} < T (j = `classes`; the root at T) of
/// ∏_e ℓ_eᵀ A_e^(t_parent − t_child − 1) r_e, by a transfer matrix over the
/// T steps: between classes g − 1 and g the state is the tensor product of the
/// edges open there (child class < g ≤ parent class); a step with no node
/// advances each open edge by A_e, and class g's step reads the edges that end
/// there (ℓ_e), advances those that pass and starts those that begin (r_e).
/// The sum over all placements is one block of the block-bidiagonal
/// matrix's T-th power (binary powering: any T). With the plain recurrence
/// every state is a scalar and this is h_{T−j}(1, ρ_0, …, ρ_{j−1}) times
/// ∏_e K_e^(span_e − 1) (ρ_g the product of the K's open across gap g).
fn transfer_sum(propagators: &[Propagator], edges: &[TimedEdge], classes: usize, steps: usize) -> f64 {
    let open: Vec<Vec<usize>> =
        (0..=classes).map(|g| (0..edges.len()).filter(|&e| edges[e].0 < g && g <= edges[e].1).collect()).collect();
    let sides = |set: &[usize]| -> Vec<usize> { set.iter().map(|&e| propagators[e].side).collect() };
    let sizes: Vec<usize> = open.iter().map(|set| sides(set).iter().product()).collect();
    let offsets: Vec<usize> = sizes.iter().scan(0, |at, &s| Some(std::mem::replace(at, *at + s))).collect();
    let n: usize = sizes.iter().sum();
    // The entry (out, in) of a step from the edges `from` to the edges `to`.
    let block = |from: &[usize], to: &[usize], out: usize, inn: usize| -> f64 {
        let (din, dout) = (digits(inn, &sides(from)), digits(out, &sides(to)));
        let mut value = 1.0;
        for (k, &e) in from.iter().enumerate() {
            let p = &propagators[e];
            value *= match to.iter().position(|&f| f == e) {
                Some(j) => p.a[dout[j] * p.side + din[k]],
                None => p.l[din[k]],
            };
        }
        for (j, &e) in to.iter().enumerate() {
            if !from.contains(&e) {
                value *= propagators[e].r[dout[j]];
            }
        }
        value
    };
    let mut m = vec![0.0; n * n];
    for g in 0..=classes {
        let targets: &[usize] = if g < classes { &[g, g + 1] } else { &[g] };
        for &h in targets {
            for out in 0..sizes[h] {
                for inn in 0..sizes[g] {
                    m[(offsets[h] + out) * n + offsets[g] + inn] = block(&open[g], &open[h], out, inn);
                }
            }
        }
    }
    // From the empty state before the first class; the root reads the rest.
    let column = power(&m, steps, n);
    let last = classes;
    (0..sizes[last]).map(|i| column[(offsets[last] + i) * n] * block(&open[last], &[], 0, i)).sum()
}

/// `index` in mixed radix `sides` (the first side most significant).
fn digits(mut index: usize, sides: &[usize]) -> Vec<usize> {
    let mut d = vec![0; sides.len()];
    for (k, &side) in sides.iter().enumerate().rev() {
        d[k] = index % side;
        index /= side;
    }
    d
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

/// How the re-summation sees a plan: its recurrence, steps and law.
struct Layout {
    recurrence: Recurrence,
    steps: Steps,
    sampling: Sampling,
    /// The learning rate on H per update: η, or η/K.
    rate: f64,
    /// The factor per node: −η, −η/N on GD's grid, −η/K for substeps.
    per_node: f64,
    /// Updates (substeps for SDE/ODE).
    total_steps: usize,
    /// Whether there is a training set.
    train: bool,
}

/// Whether `--resum` (`mode`) covers `plan`: the same test [`predict`] makes.
pub fn covers(plan: &Plan, mode: Resum) -> bool {
    layout(plan, mode, 0).is_ok()
}

/// The plan's [`Layout`] for `fewer` steps less, or why it is not re-summed.
fn layout(plan: &Plan, mode: Resum, fewer: usize) -> Result<Layout> {
    if !plan.schedule.is_constant() {
        return Err(usage(
            "--resum: the re-summation is for a constant η; a --schedule's η-series is not (drop --resum)",
        ));
    }
    let eta = plan.eta;
    let recurrence =
        match plan.update {
            Update::Gradient => Recurrence::Plain,
            Update::HeavyBall { beta, nesterov } if mode == Resum::Exact => Recurrence::HeavyBall { beta, nesterov },
            Update::HeavyBall { .. } => return Err(usage(
                "--resum integral: Remark 2's integrals are for plain steps; momentum is re-summed exactly (--resum)",
            )),
            Update::InverseHessian { .. } => {
                return Err(usage(
                    "--resum: the Hessian-based update (invhess) is not re-summed; its η-series is (drop --resum)",
                ))
            }
        };
    let grid = &plan.grid;
    let discrete = |steps, rate, per_node| Layout {
        recurrence,
        steps,
        sampling: Sampling::Data,
        rate,
        per_node,
        total_steps: plan.steps() - fewer,
        train: true,
    };
    Ok(match plan.dynamics() {
        Dynamics::Continuous { substeps, noise } => {
            let k = f64::from(substeps);
            Layout {
                recurrence,
                steps: Steps::Fresh,
                sampling: if noise { Sampling::Gaussian { variance: k / grid.batch as f64 } } else { Sampling::Flow },
                rate: eta / k,
                per_node: -eta / k,
                total_steps: (plan.steps() - fewer) * substeps as usize,
                train: false,
            }
        }
        Dynamics::Discrete if plan.optimizer != Optimizer::Gdc && grid.batch == grid.train_size => {
            let n = grid.train_size;
            discrete(Steps::Full { n }, eta, -eta / n as f64)
        }
        Dynamics::Discrete if plan.optimizer != Optimizer::Gdc && grid.batch == 1 && grid.epochs == 1 => {
            discrete(Steps::Fresh, eta, -eta)
        }
        _ => {
            return Err(usage(
                "--resum: re-summed values are implemented for fresh-sample SGD (B = E = 1), GD (B = N), SDE and \
                 ODE, and momentum on the first two",
            ))
        }
    })
}

/// [`predict`] for `fewer` steps less than the plan's.
fn expand(law: &Law, plan: &Plan, order: usize, mode: Resum, fewer: usize) -> Result<Prediction> {
    if order > MAX_ORDER {
        return Err(usage(format!("--order {order}: the diagram expansion is implemented to order {MAX_ORDER}")));
    }
    let Layout { recurrence, steps, sampling, rate, per_node, total_steps, train } = layout(plan, mode, fewer)?;
    let dim = law.dim;
    let (lambda, q) = symmetric_eigen(&law.population[2], dim);
    let rotated = law.rotated(&q);
    let prop = Propagators { mode, recurrence, steps: total_steps, rate, lambda };
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
                                let edges: Vec<TimedEdge> = (1..=k)
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
    use crate::theory::embedding::increasing;

    /// The transfer-matrix sum against a loop over every placement of the
    /// classes' steps and a direct product of each edge's ℓᵀ A^(n−1) r, for a
    /// chain, a star and GD-like shared classes, plain and heavy-ball (with
    /// and without Nesterov) recurrences, with real and complex companion roots.
    #[test]
    fn transfer_sums_every_placement() {
        let direct = |p: &Propagator, n: usize| -> f64 {
            let mut v = p.r.clone();
            for _ in 1..n {
                v = (0..p.side).map(|i| (0..p.side).map(|j| p.a[i * p.side + j] * v[j]).sum()).collect();
            }
            p.l.iter().zip(&v).map(|(a, b)| a * b).sum()
        };
        let shapes: [(&[TimedEdge], usize); 4] = [
            (&[(0, 1, 0), (1, 2, 1), (2, 3, 0)], 3),
            (&[(0, 3, 0), (1, 3, 1), (2, 3, 1)], 3),
            (&[(0, 1, 1), (0, 2, 0), (1, 2, 1)], 2),
            (&[(0, 2, 0), (1, 2, 1)], 2),
        ];
        let recurrences = [
            Recurrence::Plain,
            Recurrence::HeavyBall { beta: 0.5, nesterov: false },
            Recurrence::HeavyBall { beta: 0.9, nesterov: true },
        ];
        let lambda = [0.3, 2.5];
        for recurrence in recurrences {
            for (edges, classes) in shapes {
                for steps in [0, 2, 3, 7] {
                    let propagators: Vec<Propagator> =
                        edges.iter().map(|&(_, p, mu)| recurrence.propagator(0.1 * lambda[mu], p == classes)).collect();
                    // Every increasing tuple of `classes` steps below `steps`, the root at `steps`.
                    let mut brute = 0.0;
                    increasing(steps, classes, |t| {
                        let at = |c: usize| if c == classes { steps } else { t[c] };
                        brute += edges
                            .iter()
                            .zip(&propagators)
                            .map(|(&(c, p, _), prop)| direct(prop, at(p) - at(c)))
                            .product::<f64>();
                    });
                    let sum = transfer_sum(&propagators, edges, classes, steps);
                    assert!(
                        (sum - brute).abs() < 1e-12 * brute.abs().max(1.0),
                        "{recurrence:?} {edges:?} T = {steps}: {sum} vs {brute}"
                    );
                }
            }
        }
        // With K = 1 the star counts the pairs of steps, C(T, 2), at T = 10^7.
        let t = 10_000_000usize;
        let ones: Vec<Propagator> = (0..2).map(|_| Recurrence::Plain.propagator(0.0, true)).collect();
        let pairs = (t * (t - 1) / 2) as f64;
        assert!((transfer_sum(&ones, &[(0, 2, 0), (1, 2, 0)], 2, t) / pairs - 1.0).abs() < 1e-12);
    }

    /// The heavy ball's growth is its companion roots' largest modulus:
    /// √β when they are complex, and |1 − rλ| for plain steps.
    #[test]
    fn companion_growth() {
        let hb = Recurrence::HeavyBall { beta: 0.81, nesterov: false };
        assert!((hb.growth(0.5) - 0.9).abs() < 1e-15);
        // rλ = 4: z² + 2.19 z + 0.81 has the real roots −0.47… and −1.72…
        let (a, b) = hb.companion(4.0);
        let z = -hb.growth(4.0);
        assert!((z * z - a * z + b).abs() < 1e-12 && (1.7..1.75).contains(&-z), "{z}");
        assert!((Recurrence::Plain.growth(2.5) - 1.5).abs() < 1e-15);
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
