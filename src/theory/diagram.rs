//! Diagrams (seed 001, App. A.1): the terms of the η-expansion of E[X(θ_T)].
//!
//! Expanding θ_T − θ₀ = Σ_t δ_t with δ_t = −(η/B) Σ_{n∈b_t} Σ_j (1/j!) ∇^{j+1}l_n[Δ_t^{⊗j}],
//! Δ_t = Σ_{s<t} δ_s, and X(θ_T) = Σ_j (1/j!) ∇^j X[Δ_T^{⊗j}], every term is a rooted
//! plane tree: the root is the observable X, every other node a gradient
//! evaluation ∇^{j+1}l at one (step, sample) cell whose j children are
//! evaluated at strictly earlier steps; it carries (−η/B) per node and 1/j!
//! per node with j children. Its expectation over the samples depends only on
//! which nodes share a sample: the partition of the nodes into blocks. A
//! diagram is a tree with such a partition; its order is its number of
//! non-root nodes (the power of η).
//!
//! The Hessian-based update (seed 002 sec. 4.3; seed 001's conclusion)
//! steps by −η(I + ηλh̄_t)⁻¹ḡ_t = −η Σ_j (−ηλ)^j h̄_t^j ḡ_t: a chain of batch
//! Hessians ∇²l_m(θ_t) applied to the batch gradient at the *same* step. Its
//! diagrams are the same trees with some edges marked "same step" (the
//! second kind of node the paper names): a marked child sits at its
//! parent's step, not earlier, and is contracted into one of the parent's
//! derivative slots like any child; each mark carries λ, each node still
//! −η/B, and a node has at most one marked child (the chain). Summing over
//! where the marked child sits among a node's j plane-ordered children turns
//! the Hessian's own Taylor factor 1/(j−1)! into the 1/j! of the unmarked tree.

/// Marks the root when it is not a sample (test loss, θ).
pub const NO_BLOCK: usize = usize::MAX;

/// A rooted plane tree, nodes in preorder (node 0 is the root), with a
/// partition of its nodes into samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// parent\[v\] for v ≥ 1 (parent\[0\] is unused).
    pub parent: Vec<usize>,
    /// Children of each node, in plane order.
    pub children: Vec<Vec<usize>>,
    /// Block (sample) of each node, numbered 0.. in order of first appearance;
    /// `NO_BLOCK` for a root that is not a sample.
    pub block: Vec<usize>,
    /// Number of blocks.
    pub blocks: usize,
    /// same_step\[v\]: v's edge to its parent is marked (v at its parent's
    /// step: the Hessian-based update's chains); false for the root.
    pub same_step: Vec<bool>,
}

/// Plane forests with `size` nodes in preorder: each node's parent, `None` for a top-level tree.
fn forests(size: usize) -> Vec<Vec<Option<usize>>> {
    if size == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for first in 1..=size {
        for sub in forests(first - 1) {
            for rest in forests(size - first) {
                let mut f = vec![None];
                f.extend(sub.iter().map(|p| Some(p.map_or(0, |q| q + 1))));
                f.extend(rest.iter().map(|p| p.map(|q| q + first)));
                out.push(f);
            }
        }
    }
    out
}

/// The rooted plane trees with `n` non-root nodes (Catalan(n) of them), as parent arrays.
pub fn plane_trees(n: usize) -> Vec<Vec<usize>> {
    forests(n)
        .into_iter()
        .map(|f| std::iter::once(0).chain(f.iter().map(|p| p.map_or(0, |q| q + 1))).collect())
        .collect()
}

/// Set partitions of `k` labelled items as restricted growth strings.
pub fn set_partitions(k: usize) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for _ in 0..k {
        out = out
            .into_iter()
            .flat_map(|p: Vec<usize>| {
                let next = p.iter().max().map_or(0, |m| m + 1);
                (0..=next).map(move |b| {
                    let mut q = p.clone();
                    q.push(b);
                    q
                })
            })
            .collect();
    }
    out
}

impl Diagram {
    /// The tree `parent` with `block` per node.
    pub fn new(parent: Vec<usize>, block: Vec<usize>) -> Self {
        let mut children = vec![Vec::new(); parent.len()];
        for (v, &p) in parent.iter().enumerate().skip(1) {
            children[p].push(v);
        }
        let blocks = block.iter().filter(|&&b| b != NO_BLOCK).max().map_or(0, |m| m + 1);
        let same_step = vec![false; parent.len()];
        Diagram { parent, children, block, blocks, same_step }
    }

    /// Every marking of this diagram's edges as "same step" (the
    /// Hessian-based update's chains) with at most one marked child per
    /// node and none at the root, the unmarked diagram first.
    pub fn markings(&self) -> Vec<Diagram> {
        let mut out = vec![self.clone()];
        for v in 1..self.parent.len() {
            let p = self.parent[v];
            if p == 0 {
                continue;
            }
            let more: Vec<Diagram> = out
                .iter()
                .filter(|d| !d.children[p].iter().any(|&c| d.same_step[c]))
                .map(|d| {
                    let mut m = d.clone();
                    m.same_step[v] = true;
                    m
                })
                .collect();
            out.extend(more);
        }
        out
    }

    /// Number of marked edges: the power of λ.
    pub fn marks(&self) -> usize {
        self.same_step.iter().filter(|&&m| m).count()
    }

    /// Every diagram on `tree`: each partition of its non-root nodes, and of
    /// the root too when `root_is_sample` (the train loss's training point).
    pub fn partitions_of(tree: &[usize], root_is_sample: bool) -> Vec<Diagram> {
        let n = tree.len() - 1;
        if root_is_sample {
            set_partitions(n + 1).into_iter().map(|b| Diagram::new(tree.to_vec(), b)).collect()
        } else {
            set_partitions(n)
                .into_iter()
                .map(|b| Diagram::new(tree.to_vec(), std::iter::once(NO_BLOCK).chain(b).collect()))
                .collect()
        }
    }

    /// Number of non-root nodes: the power of η.
    pub fn order(&self) -> usize {
        self.parent.len() - 1
    }

    /// ∏ 1/j_v! over nodes with j_v children (the Taylor factors).
    pub fn taylor_weight(&self) -> f64 {
        self.children.iter().map(|c| 1.0 / (1..=c.len()).product::<usize>() as f64).product()
    }

    /// Bracket notation, canonical over child order and block names: each node
    /// is its sample's letter followed by its children in parentheses; the
    /// root is `root` (with its letter as a subscript when it is a sample).
    /// `L(a(b), a)`: test loss, a sample a used twice, once after a sample b.
    pub fn notation(&self, root: &str) -> String {
        let letters = |perm: &[usize]| -> String {
            fn node(d: &Diagram, v: usize, perm: &[usize]) -> String {
                let mut kids: Vec<String> = d.children[v].iter().map(|&c| node(d, c, perm)).collect();
                kids.sort();
                let name = if d.block[v] == NO_BLOCK {
                    String::new()
                } else {
                    let mark = if d.same_step[v] { "λ" } else { "" };
                    format!("{mark}{}", (b'a' + perm[d.block[v]] as u8) as char)
                };
                if kids.is_empty() {
                    name
                } else {
                    format!("{name}({})", kids.join(", "))
                }
            }
            node(self, 0, perm)
        };
        let best = permutations(self.blocks).iter().map(|p| letters(p)).min().unwrap_or_default();
        if self.block[0] == NO_BLOCK {
            format!("{root}{best}")
        } else {
            format!("{root}_{best}")
        }
    }
}

/// All permutations of 0..k.
fn permutations(k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    permutations(k - 1)
        .into_iter()
        .flat_map(|p| {
            (0..k).map(move |i| {
                let mut q = p.clone();
                q.insert(i, k - 1);
                q
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalan_trees_and_bell_partitions() {
        let counts: Vec<usize> = (0..=5).map(|n| plane_trees(n).len()).collect();
        assert_eq!(counts, [1, 1, 2, 5, 14, 42]);
        let bell: Vec<usize> = (0..=5).map(|k| set_partitions(k).len()).collect();
        assert_eq!(bell, [1, 1, 2, 5, 15, 52]);
        // Preorder: every parent precedes its children.
        for t in plane_trees(4) {
            assert!(t.iter().enumerate().skip(1).all(|(v, &p)| p < v), "{t:?}");
        }
    }

    /// L(·, ·) carries 1/2! (its root has two children), L(·(·)) carries 1.
    #[test]
    fn taylor_weights() {
        let w: Vec<f64> =
            plane_trees(2).iter().map(|t| Diagram::new(t.clone(), vec![NO_BLOCK, 0, 1]).taylor_weight()).collect();
        assert_eq!(w, [0.5, 1.0]);
    }

    #[test]
    fn notation_is_canonical() {
        // L(a, b(a)) = L(b, a(b)) written with the blocks swapped or the children reordered.
        let d1 = Diagram::new(vec![0, 0, 0, 2], vec![NO_BLOCK, 0, 1, 0]);
        let d2 = Diagram::new(vec![0, 0, 1, 0], vec![NO_BLOCK, 0, 1, 1]);
        assert_eq!(d1.notation("L"), d2.notation("L"));
        assert_eq!(d1.notation("L"), "L(a(b), b)");
        let train = Diagram::new(vec![0, 0], vec![0, 0]);
        assert_eq!(train.notation("L"), "L_a(a)");
    }

    #[test]
    fn markings_form_chains() {
        // L(a(b(c))): the edges b→a and c→b can each be marked, together
        // too (a chain h h g); L(a(b, c)): one of b, c at a time.
        let chain = Diagram::new(vec![0, 0, 1, 2], vec![NO_BLOCK, 0, 1, 2]);
        let names: Vec<String> = chain.markings().iter().map(|d| d.notation("L")).collect();
        assert_eq!(names, ["L(a(b(c)))", "L(a(λb(c)))", "L(a(b(λc)))", "L(a(λb(λc)))"]);
        assert_eq!(chain.markings().iter().map(Diagram::marks).collect::<Vec<_>>(), [0, 1, 1, 2]);
        let fork = Diagram::new(vec![0, 0, 1, 1], vec![NO_BLOCK, 0, 1, 2]);
        assert_eq!(fork.markings().len(), 3);
        // The root's children are never marked.
        assert_eq!(Diagram::new(vec![0, 0, 0], vec![NO_BLOCK, 0, 1]).markings().len(), 1);
    }
}
