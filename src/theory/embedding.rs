//! Embeddings of a diagram into a space-time grid (seed 001, App. A.2),
//! counted in closed form rather than listed.
//!
//! An embedding puts each non-root node v on a cell (step t_v, sample n_v)
//! of the grid (n_v in step t_v's batch) so that children sit at strictly
//! earlier steps than their parents, and nodes share a sample exactly when
//! they share a block; a train-loss root also picks its training point.
//!
//! Step t = e·P + p (epoch e < E, slot p < P = N/B), and sample n sits in slot
//! σ_e(n) of epoch e, σ_e putting B samples in each slot. The m blocks take m
//! distinct samples; the number of ways whose slots form a given weak order π
//! (j distinct slots, in increasing order, with |g| samples in slot group g)
//! is C(P, j)·∏_g B(B−1)⋯(B−|g|+1), which sums to N(N−1)⋯(N−m+1). Given the
//! slots, the nodes' epochs form a weak order ρ with C(E, |ρ|) realisations,
//! and an edge child → parent holds iff e_child < e_parent, or the epochs are
//! equal and the child's slot is earlier. So the count is a finite sum over
//! (π, ρ) of products of binomials, whatever T:
//! * unshuffled: one σ for every epoch, Σ_π Σ_ρ w(π) C(E, |ρ|) [edges hold];
//! * shuffled (a fresh uniform σ_e per epoch): N⋯(N−m+1) Σ_ρ C(E, |ρ|) ∏ over
//!   ρ's classes of the probability that that epoch's random slots order the
//!   edges inside the class, itself a sum over weak orders of its blocks.
//!
//! Fresh-sample SGD (P = T, B = E = 1), GD (P = 1, B = N, E = T) and the
//! continuous dynamics' substeps (P = T·K, B = E = 1) are all such grids.

use super::diagram::{Diagram, NO_BLOCK};
use crate::grid::Grid;
use std::sync::OnceLock;

/// The grid as the counting sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// P = N/B steps per epoch.
    pub slots: usize,
    /// B samples per step.
    pub batch: usize,
    /// E epochs.
    pub epochs: usize,
    /// A fresh visiting order every epoch.
    pub shuffle: bool,
}

impl Shape {
    pub fn of(grid: &Grid) -> Self {
        Shape { slots: grid.batches_per_epoch(), batch: grid.batch, epochs: grid.epochs, shuffle: grid.shuffle }
    }

    /// `steps` steps, each with one fresh sample.
    pub fn fresh(steps: usize) -> Self {
        Shape { slots: steps, batch: 1, epochs: 1, shuffle: false }
    }

    fn train_size(&self) -> f64 {
        (self.slots * self.batch) as f64
    }

    /// Whether the visiting order changes between epochs (one shuffled
    /// epoch is an unshuffled one: the samples are exchangeable).
    fn shuffled(&self) -> bool {
        self.shuffle && self.epochs > 1
    }
}

/// C(n, k) for real n.
fn choose(n: f64, k: usize) -> f64 {
    (0..k).map(|i| (n - i as f64) / (i + 1) as f64).product()
}

/// n(n−1)⋯(n−k+1).
pub(super) fn falling(n: f64, k: usize) -> f64 {
    (0..k).map(|i| n - i as f64).product()
}

/// A weak order of k items: each item's rank, ranks onto 0..classes.
pub(super) struct WeakOrder {
    pub rank: Vec<usize>,
    pub classes: usize,
}

/// All weak orders (ordered set partitions) of k ≤ 6 items (Fubini numbers: 1, 1, 3, 13, 75, 541, 4683).
pub(super) fn weak_orders(k: usize) -> &'static [WeakOrder] {
    const MAX: usize = 6;
    static ORDERS: OnceLock<Vec<Vec<WeakOrder>>> = OnceLock::new();
    assert!(k <= MAX, "weak orders of at most {MAX} items");
    &ORDERS.get_or_init(|| {
        (0..=MAX)
            .map(|k| {
                (0..k.pow(k as u32).max(1))
                    .map(|code| (0..k).map(|i| code / k.pow(i as u32) % k).collect::<Vec<usize>>())
                    .filter_map(|rank| {
                        let classes = rank.iter().max().map_or(0, |m| m + 1);
                        (0..classes).all(|c| rank.contains(&c)).then_some(WeakOrder { rank, classes })
                    })
                    .collect()
            })
            .collect()
    })[k]
}

/// Σ over weak orders π of `blocks` distinct samples' slots that satisfy
/// `holds(π)`, of the number of sample choices realising π: C(P, j)·∏ B⋯(B−|g|+1).
fn slot_orders(shape: &Shape, blocks: usize, holds: impl Fn(&[usize]) -> bool) -> f64 {
    weak_orders(blocks)
        .iter()
        .filter(|pi| holds(&pi.rank))
        .map(|pi| {
            let sizes = (0..pi.classes).map(|c| pi.rank.iter().filter(|&&r| r == c).count());
            choose(shape.slots as f64, pi.classes) * sizes.map(|s| falling(shape.batch as f64, s)).product::<f64>()
        })
        .sum()
}

/// An edge child → parent between non-root nodes (indexed by v − 1).
struct Edge {
    child: usize,
    parent: usize,
    /// Marked: the child at its parent's step (the Hessian-based update).
    same_step: bool,
}

impl Edge {
    /// Whether two positions of child and parent in one order allow the
    /// edge: strictly earlier, or equal for a marked edge.
    fn ordered(&self, child: usize, parent: usize) -> bool {
        if self.same_step {
            child == parent
        } else {
            child < parent
        }
    }

    /// Whether epochs `rank` and slots `slot` of an unshuffled grid allow
    /// the edge: the child's step t = e·P + slot before the parent's (equal
    /// for a marked edge).
    fn holds(&self, rank: &[usize], slot: impl Fn(usize) -> usize) -> bool {
        let (ec, ep) = (rank[self.child], rank[self.parent]);
        if self.same_step {
            ec == ep && slot(self.child) == slot(self.parent)
        } else {
            ec < ep || (ec == ep && slot(self.child) < slot(self.parent))
        }
    }
}

/// The edges of `d` between non-root nodes.
fn edges(d: &Diagram) -> Vec<Edge> {
    (1..=d.order())
        .filter(|&v| d.parent[v] != 0)
        .map(|v| Edge { child: v - 1, parent: d.parent[v] - 1, same_step: d.same_step[v] })
        .collect()
}

/// The number of embeddings of `d` into the grid `shape` (averaged over the
/// visiting orders when shuffled).
pub fn count(d: &Diagram, shape: &Shape) -> f64 {
    if d.blocks > shape.slots * shape.batch {
        return 0.0; // more distinct samples than the training set has
    }
    let n = d.order();
    let edges = edges(d);
    let block = |v: usize| d.block[v + 1];
    let epochs = shape.epochs as f64;
    if !shape.shuffle {
        return weak_orders(d.blocks)
            .iter()
            .map(|pi| {
                let slot = |v: usize| pi.rank[block(v)];
                let w = slot_orders(shape, d.blocks, |r| r == pi.rank.as_slice());
                let e: f64 = weak_orders(n)
                    .iter()
                    .filter(|rho| edges.iter().all(|e| e.holds(&rho.rank, slot)))
                    .map(|rho| choose(epochs, rho.classes))
                    .sum();
                w * e
            })
            .sum();
    }
    let per_epoch: f64 = weak_orders(n)
        .iter()
        .filter(|rho| {
            edges.iter().all(|e| {
                if e.same_step {
                    rho.rank[e.child] == rho.rank[e.parent]
                } else {
                    rho.rank[e.child] <= rho.rank[e.parent]
                }
            })
        })
        .map(|rho| {
            let mut product = choose(epochs, rho.classes);
            for class in 0..rho.classes {
                let inside: Vec<&Edge> =
                    edges.iter().filter(|e| rho.rank[e.child] == class && rho.rank[e.parent] == class).collect();
                if inside.is_empty() || product == 0.0 {
                    continue;
                }
                // The blocks with a node in this epoch, renumbered 0..k.
                let mut present: Vec<usize> = (0..n).filter(|&v| rho.rank[v] == class).map(block).collect();
                present.sort_unstable();
                present.dedup();
                let local = |v: usize| present.binary_search(&block(v)).expect("present");
                let holds = |r: &[usize]| inside.iter().all(|e| e.ordered(r[local(e.child)], r[local(e.parent)]));
                product *= slot_orders(shape, present.len(), holds) / falling(shape.train_size(), present.len());
            }
            product
        })
        .sum();
    falling(shape.train_size(), d.blocks) * per_epoch
}

/// Heavy-ball momentum's weights (seed 002 sec. 4.3). With Δ_t = θ_{t+1} − θ_t
/// = βΔ_{t−1} − ηḡ_t, θ_t − θ₀ = −η Σ_{s<t} κ(t − s) ḡ_s with
/// κ(j) = Σ_{i<j} β^i = (1 − β^j)/(1 − β): momentum is SGD whose every
/// gradient reaches θ through this linear filter. So in the expansion an
/// edge child → parent carries κ(t_parent − t_child), and an edge to the
/// root (θ_T, at T) κ(T − t_child). Nesterov's look-ahead θ_t + β(θ_t − θ_{t−1})
/// adds β^j: κ(j) + β^j = κ(j + 1) on the edges between nodes.
///
/// A learning-rate schedule (`crate::schedule`) weights each node by its
/// step's rate s(t): θ_t − θ₀ = −η Σ_{s<t} s(s) κ(t − s) ḡ_s.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// κ(j) for j = 0 ..= T + 1.
    sums: Vec<f64>,
    nesterov: bool,
    /// s(t) for each step t of the grid; empty for a constant η.
    rates: Vec<f64>,
}

impl Kernel {
    pub fn new(beta: f64, nesterov: bool, steps: usize) -> Self {
        let mut sums = vec![0.0];
        let mut power = 1.0;
        for _ in 0..=steps {
            sums.push(sums.last().unwrap() + power);
            power *= beta;
        }
        Kernel { sums, nesterov, rates: Vec::new() }
    }

    /// The kernel with a node at step t weighted by `rates[t]`.
    pub fn with_rates(self, rates: Vec<f64>) -> Self {
        Kernel { rates, ..self }
    }

    /// The product of the nodes' rates at `steps`.
    fn nodes(&self, steps: &[usize]) -> f64 {
        if self.rates.is_empty() {
            1.0
        } else {
            steps.iter().map(|&t| self.rates[t]).product()
        }
    }

    /// The weight of a node j steps before its parent.
    fn edge(&self, j: usize) -> f64 {
        self.sums[j + usize::from(self.nesterov)]
    }

    /// The weight of a node j steps before θ_T.
    fn root(&self, j: usize) -> f64 {
        self.sums[j]
    }
}

/// The most slot-and-epoch tuples [`weighted_count`] lists per weak order
/// (order 3 on 100 fresh steps is 1.7·10⁵; each diagram lists them for each
/// of its few weak orders).
pub const MAX_WEIGHTED_TERMS: f64 = 1e6;

/// Σ_{k=1..nodes} C(n, k): the increasing tuples of at most `nodes` of 0..n.
fn tuples(n: usize, nodes: usize) -> f64 {
    (1..=nodes).map(|k| choose(n as f64, k)).sum()
}

/// The slot-and-epoch tuples [`weighted_count`] lists per weak order for a
/// diagram of `nodes` non-root nodes on `shape`, at most: for each weak
/// order of the nodes' epochs, its epoch tuples times the slot tuples of the
/// nodes (of each epoch's nodes apart when the epochs are shuffled).
pub fn weighted_terms(nodes: usize, shape: &Shape) -> f64 {
    weak_orders(nodes)
        .iter()
        .map(|rho| {
            let slots = if shape.shuffled() {
                (0..rho.classes).map(|c| tuples(shape.slots, rho.rank.iter().filter(|&&r| r == c).count())).product()
            } else {
                tuples(shape.slots, nodes)
            };
            slots * choose(shape.epochs as f64, rho.classes)
        })
        .fold(0.0, f64::max)
}

/// Σ over the embeddings of `d` into the grid `shape` of the product of
/// `kernel`'s weights on its edges (at β = 0 every weight is 1 and this is
/// [`count`]), averaged over the visiting orders when shuffled. The sums
/// over slots and epochs have no closed form here, so they are listed: for
/// each weak order ρ of the nodes' epochs and each weak order π of the
/// blocks' slots, the increasing epoch and slot tuples that realise them,
/// each weighted by the sample choices that put the blocks in those slots
/// (∏_g B⋯(B−|g|+1) for slot group g). Unshuffled, a block has one slot in
/// every epoch: one π over all blocks. Shuffled (several epochs), each epoch
/// visits the samples in its own uniform order, so each of ρ's classes has
/// its own π over the blocks present in it, and the sample choices become
/// probabilities: N⋯(N−m+1) ∏_classes (∏_g B⋯(B−|g|+1))/(N⋯(N−k+1)) for k
/// blocks present. A training point used by no node (a train-loss root alone
/// in its block) only counts its choices.
pub fn weighted_count(d: &Diagram, shape: &Shape, kernel: &Kernel) -> f64 {
    if d.blocks > shape.slots * shape.batch {
        return 0.0;
    }
    let n = d.order();
    let lone_root = d.block[0] != NO_BLOCK && (1..=n).all(|v| d.block[v] != d.block[0]);
    // Blocks with nodes, renumbered 0..m (the lone root's block dropped).
    let used: Vec<usize> = (0..d.blocks).filter(|&b| !(lone_root && b == d.block[0])).collect();
    let m = used.len();
    // Each non-root node's block among `used` (node v at index v − 1).
    let node_block: Vec<usize> =
        (1..=n).map(|v| used.iter().position(|&b| b == d.block[v]).expect("a node's block")).collect();
    let edges = edges(d);
    let roots: Vec<usize> = (1..=n).filter(|&v| d.parent[v] == 0).map(|v| v - 1).collect();
    let (slots, total, batch) = (shape.slots, shape.slots * shape.epochs, shape.batch as f64);
    let shuffled = shape.shuffled();
    let mut steps = vec![0; n];
    let mut sum = 0.0;
    for rho in weak_orders(n) {
        // The slot groups: each epoch class's own order when shuffled, else one.
        let group = |v: usize| if shuffled { rho.rank[v] } else { 0 };
        let groups = if shuffled { rho.classes } else { 1 };
        let members: Vec<Vec<usize>> = (0..groups)
            .map(|g| {
                let mut present: Vec<usize> = (0..n).filter(|&v| group(v) == g).map(|v| node_block[v]).collect();
                present.sort_unstable();
                present.dedup();
                present
            })
            .collect();
        let local: Vec<usize> =
            (0..n).map(|v| members[group(v)].binary_search(&node_block[v]).expect("present")).collect();
        each_combination(&members.iter().map(|b| weak_orders(b.len()).len()).collect::<Vec<_>>(), &mut |pick| {
            let pis: Vec<&WeakOrder> = (0..groups).map(|g| &weak_orders(members[g].len())[pick[g]]).collect();
            let slot_class: Vec<usize> = (0..n).map(|v| pis[group(v)].rank[local[v]]).collect();
            if !edges.iter().all(|e| e.holds(&rho.rank, |v| slot_class[v])) {
                return;
            }
            let samples: f64 = pis
                .iter()
                .map(|pi| {
                    let sizes = (0..pi.classes).map(|c| pi.rank.iter().filter(|&&r| r == c).count());
                    let ways: f64 = sizes.map(|s| falling(batch, s)).product();
                    if shuffled {
                        ways / falling(shape.train_size(), pi.rank.len())
                    } else {
                        ways
                    }
                })
                .product();
            // Node v's slot is entry `at[v]` of the concatenated slot tuples.
            let lengths: Vec<usize> = pis.iter().map(|pi| pi.classes).collect();
            let start: Vec<usize> = lengths.iter().scan(0, |at, &k| Some(std::mem::replace(at, *at + k))).collect();
            let at: Vec<usize> = (0..n).map(|v| start[group(v)] + slot_class[v]).collect();
            let mut part = 0.0;
            increasing(shape.epochs, rho.classes, |e| {
                each_slot_tuple(slots, &lengths, &mut |s| {
                    for (v, step) in steps.iter_mut().enumerate() {
                        *step = e[rho.rank[v]] * slots + s[at[v]];
                    }
                    let inner: f64 = edges.iter().map(|x| kernel.edge(steps[x.parent] - steps[x.child])).product();
                    let root: f64 = roots.iter().map(|&v| kernel.root(total - steps[v])).product();
                    part += inner * root * kernel.nodes(&steps);
                });
            });
            sum += samples * part;
        });
    }
    if shuffled {
        sum *= falling(shape.train_size(), m);
    }
    if lone_root {
        sum *= shape.train_size() - m as f64;
    }
    sum
}

/// Calls `f` with every tuple (i_0, …) with i_g < `sizes[g]`.
fn each_combination(sizes: &[usize], f: &mut dyn FnMut(&[usize])) {
    let mut pick = vec![0; sizes.len()];
    if sizes.contains(&0) {
        return;
    }
    loop {
        f(&pick);
        let Some(g) = (0..sizes.len()).rev().find(|&g| pick[g] + 1 < sizes[g]) else { return };
        pick[g] += 1;
        pick[g + 1..].iter_mut().for_each(|p| *p = 0);
    }
}

/// Calls `f` with one increasing tuple of 0..n per entry of `lengths`,
/// concatenated, for every combination of them.
fn each_slot_tuple(n: usize, lengths: &[usize], f: &mut dyn FnMut(&[usize])) {
    fn go(n: usize, lengths: &[usize], chosen: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
        match lengths.split_first() {
            None => f(chosen),
            Some((&k, rest)) => increasing(n, k, |t| {
                let at = chosen.len();
                chosen.extend_from_slice(t);
                go(n, rest, chosen, f);
                chosen.truncate(at);
            }),
        }
    }
    go(n, lengths, &mut Vec::with_capacity(lengths.iter().sum()), f);
}

/// Calls `f` with every increasing k-tuple of 0..n.
pub(super) fn increasing(n: usize, k: usize, mut f: impl FnMut(&[usize])) {
    if k > n {
        return;
    }
    let mut t: Vec<usize> = (0..k).collect();
    loop {
        f(&t);
        let Some(i) = (0..k).rev().find(|&i| t[i] < n - k + i) else { return };
        t[i] += 1;
        for j in i + 1..k {
            t[j] = t[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::diagram::{plane_trees, Diagram};

    /// Lists the embeddings of `d` when the samples of epoch e visit the slots
    /// in the order `orders[e]` (sample at position i of epoch e: orders[e][i]).
    fn brute_force(d: &Diagram, grid: &Grid, orders: &[Vec<usize>]) -> usize {
        brute_force_weighted(d, grid, orders, |_| 1.0) as usize
    }

    /// The same, each embedding weighted by `weight` of its nodes' steps
    /// (index v − 1 for node v).
    fn brute_force_weighted(d: &Diagram, grid: &Grid, orders: &[Vec<usize>], weight: impl Fn(&[usize]) -> f64) -> f64 {
        let n = d.order();
        let cells: Vec<(usize, usize)> = (0..grid.steps())
            .flat_map(|t| {
                let (e, positions) = grid.step(t);
                positions.map(move |i| (orders[e][i], t))
            })
            .collect();
        let root_choices = if d.block[0] == crate::theory::diagram::NO_BLOCK {
            vec![None]
        } else {
            (0..grid.train_size).map(Some).collect()
        };
        let mut total = 0.0;
        let mut pick = vec![0usize; n];
        loop {
            for &root in &root_choices {
                let sample = |v: usize| if v == 0 { root.expect("a sample root") } else { cells[pick[v - 1]].0 };
                let nodes: Vec<usize> = (0..=n).filter(|&v| v > 0 || root.is_some()).collect();
                let partition_ok = nodes
                    .iter()
                    .all(|&u| nodes.iter().all(|&v| (sample(u) == sample(v)) == (d.block[u] == d.block[v])));
                let time_ok = (1..=n).all(|v| {
                    let (c, p) = (cells[pick[v - 1]].1, d.parent[v].checked_sub(1).map(|p| cells[pick[p]].1));
                    p.is_none_or(|p| if d.same_step[v] { c == p } else { c < p })
                });
                if partition_ok && time_ok {
                    let steps: Vec<usize> = pick.iter().map(|&i| cells[i].1).collect();
                    total += weight(&steps);
                }
            }
            // Next tuple of cells.
            let mut i = 0;
            while i < n && pick[i] + 1 == cells.len() {
                pick[i] = 0;
                i += 1;
            }
            if i == n {
                return total;
            }
            pick[i] += 1;
        }
    }

    /// Every permutation of 0..k.
    /// Momentum's weight of one listing of `d`'s steps, edge by edge: the
    /// kernel Σ_{i<j} β^i over each node's gap to its parent's step (to T for
    /// the root's children; one more step with Nesterov's look-ahead).
    fn listed_weight(d: &Diagram, t: usize, beta: f64, nesterov: bool) -> impl Fn(&[usize]) -> f64 + '_ {
        let sum = move |j: usize| (0..j).map(|i| beta.powi(i as i32)).sum::<f64>();
        move |steps: &[usize]| {
            (1..=d.order())
                .map(|v| match d.parent[v] {
                    0 => sum(t - steps[v - 1]),
                    p => sum(steps[p - 1] - steps[v - 1] + usize::from(nesterov)),
                })
                .product()
        }
    }

    fn permutations(k: usize) -> Vec<Vec<usize>> {
        if k == 0 {
            return vec![vec![]];
        }
        permutations(k - 1)
            .into_iter()
            .flat_map(|p| (0..k).map(move |i| [&p[..i], &[k - 1], &p[i..]].concat()))
            .collect()
    }

    fn all_diagrams(max_order: usize) -> Vec<Diagram> {
        (1..=max_order)
            .flat_map(plane_trees)
            .flat_map(|t| [Diagram::partitions_of(&t, false), Diagram::partitions_of(&t, true)].concat())
            .collect()
    }

    #[test]
    fn unshuffled_counts_equal_listed_embeddings() {
        for (n, b, e, order) in [(4, 1, 1, 4), (3, 3, 3, 4), (4, 2, 2, 3), (6, 2, 1, 3), (2, 1, 3, 3)] {
            let grid = Grid::new(n, b, e, false).unwrap();
            let identity: Vec<Vec<usize>> = vec![(0..n).collect(); e];
            for d in all_diagrams(order) {
                let want = brute_force(&d, &grid, &identity) as f64;
                let got = count(&d, &Shape::of(&grid));
                assert!((got - want).abs() < 1e-9 * want.max(1.0), "N={n} B={b} E={e} {d:?}: {got} vs {want}");
            }
        }
    }

    /// Shuffled: the average over every visiting order of every epoch.
    #[test]
    fn shuffled_counts_average_over_permutations() {
        for (n, b, e) in [(4, 2, 2), (3, 1, 2)] {
            let grid = Grid::new(n, b, e, true).unwrap();
            let perms = permutations(n);
            for d in all_diagrams(3) {
                let mut sum = 0usize;
                let mut runs = 0usize;
                for p0 in &perms {
                    for p1 in &perms {
                        sum += brute_force(&d, &grid, &[p0.clone(), p1.clone()]);
                        runs += 1;
                    }
                }
                let want = sum as f64 / runs as f64;
                let got = count(&d, &Shape::of(&grid));
                assert!((got - want).abs() < 1e-9 * want.max(1.0), "N={n} B={b} E={e} {d:?}: {got} vs {want}");
            }
        }
    }

    /// One shuffled epoch is an unshuffled one (the samples are exchangeable).
    #[test]
    fn one_shuffled_epoch_is_unshuffled() {
        let shuffled = Shape { slots: 5, batch: 2, epochs: 1, shuffle: true };
        let fixed = Shape { shuffle: false, ..shuffled };
        for d in all_diagrams(4) {
            let (a, b) = (count(&d, &shuffled), count(&d, &fixed));
            assert!((a - b).abs() < 1e-9 * b.max(1.0), "{d:?}: {a} vs {b}");
        }
    }

    /// Momentum's kernel-weighted sums equal the listed embeddings, each
    /// weighted by Π κ over its edges (κ(j + 1) between nodes with Nesterov)
    /// and κ(T − t) to the root; at β = 0 they are the plain counts.
    #[test]
    fn weighted_counts_equal_listed_embeddings() {
        for (n, b, e) in [(4, 1, 1), (3, 3, 3), (4, 2, 2), (2, 1, 3)] {
            let grid = Grid::new(n, b, e, false).unwrap();
            let identity: Vec<Vec<usize>> = vec![(0..n).collect(); e];
            let t = grid.steps();
            for (beta, nesterov) in [(0.6, false), (0.3, true)] {
                let kernel = Kernel::new(beta, nesterov, t);
                for d in all_diagrams(3) {
                    let want = brute_force_weighted(&d, &grid, &identity, listed_weight(&d, t, beta, nesterov));
                    let got = weighted_count(&d, &Shape::of(&grid), &kernel);
                    assert!((got - want).abs() < 1e-9 * want.max(1.0), "N={n} B={b} E={e} {d:?}: {got} vs {want}");
                    let plain = weighted_count(&d, &Shape::of(&grid), &Kernel::new(0.0, false, t));
                    assert!((plain - count(&d, &Shape::of(&grid))).abs() < 1e-9 * plain.max(1.0));
                }
            }
        }
    }

    /// Shuffled epochs: momentum's weighted sums equal the listed weighted
    /// embeddings averaged over every visiting order of every epoch.
    #[test]
    fn shuffled_weighted_counts_average_over_permutations() {
        for (n, b, e, beta, nesterov) in [(4, 2, 2, 0.6, false), (3, 1, 2, 0.3, true), (2, 1, 3, 0.5, false)] {
            let grid = Grid::new(n, b, e, true).unwrap();
            let t = grid.steps();
            let kernel = Kernel::new(beta, nesterov, t);
            let perms = permutations(n);
            // Every tuple of one visiting order per epoch.
            let mut schedules: Vec<Vec<Vec<usize>>> = vec![vec![]];
            for _ in 0..e {
                schedules = schedules
                    .into_iter()
                    .flat_map(|s| perms.iter().map(move |p| [s.clone(), vec![p.clone()]].concat()))
                    .collect();
            }
            for d in all_diagrams(3) {
                let weight = listed_weight(&d, t, beta, nesterov);
                let want = schedules.iter().map(|orders| brute_force_weighted(&d, &grid, orders, &weight)).sum::<f64>()
                    / schedules.len() as f64;
                let got = weighted_count(&d, &Shape::of(&grid), &kernel);
                assert!((got - want).abs() < 1e-9 * want.max(1.0), "N={n} B={b} E={e} {d:?}: {got} vs {want}");
                let plain = weighted_count(&d, &Shape::of(&grid), &Kernel::new(0.0, false, t));
                assert!((plain - count(&d, &Shape::of(&grid))).abs() < 1e-9 * plain.max(1.0), "{d:?}");
            }
        }
    }

    /// Same-step marks (the Hessian-based update's chains): the closed-form
    /// counts equal the listed embeddings, unshuffled and shuffled.
    #[test]
    fn marked_counts_equal_listed_embeddings() {
        let marked = || all_diagrams(3).into_iter().flat_map(|d| d.markings().into_iter().skip(1));
        assert!(marked().count() > 20);
        for (n, b, e) in [(4, 2, 2), (3, 3, 3), (4, 1, 2)] {
            let grid = Grid::new(n, b, e, false).unwrap();
            let identity: Vec<Vec<usize>> = vec![(0..n).collect(); e];
            for d in marked() {
                let want = brute_force(&d, &grid, &identity) as f64;
                let got = count(&d, &Shape::of(&grid));
                assert!((got - want).abs() < 1e-9 * want.max(1.0), "N={n} B={b} E={e} {d:?}: {got} vs {want}");
            }
        }
        let grid = Grid::new(4, 2, 2, true).unwrap();
        let every = permutations(4);
        for d in marked() {
            let mut sum = 0.0;
            for p0 in &every {
                for p1 in &every {
                    sum += brute_force(&d, &grid, &[p0.clone(), p1.clone()]) as f64;
                }
            }
            let want = sum / (every.len() * every.len()) as f64;
            let got = count(&d, &Shape::of(&grid));
            assert!((got - want).abs() < 1e-9 * want.max(1.0), "shuffled {d:?}: {got} vs {want}");
        }
    }

    #[test]
    fn closed_forms() {
        // L(a(b)) on fresh SGD: pairs s < t, C(T, 2); on GD, C(T, 2)·N(N−1).
        let chain = Diagram::new(vec![0, 0, 1], vec![crate::theory::diagram::NO_BLOCK, 0, 1]);
        assert_eq!(count(&chain, &Shape::fresh(1000)), 499_500.0);
        let gd = Grid::gd(7, 1000).unwrap();
        assert_eq!(count(&chain, &Shape::of(&gd)), 499_500.0 * 42.0);
    }
}
