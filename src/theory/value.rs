//! A diagram's value under the sample law (seed 001, App. A.1): the sum over
//! its edges' indices of the product, over its partition's blocks, of one
//! sample's expected tensors, contracted along the tree's edges.

use super::diagram::Diagram;
use super::law::{Factor, Law, Sampling, CENTERED_HESSIAN};

/// What the root of a diagram is.
#[derive(Clone, Copy)]
pub(super) enum Root {
    /// The test loss l: population tensors.
    Population,
    /// The train loss: a training point, in the diagram's partition.
    Sample,
    /// Coordinate i of θ_T − θ₀ (the root has one child).
    Coordinate(usize),
}

/// A diagram's value: Σ over the edge indices of ∏ over blocks of the block's
/// expected tensors (root factor included), each index assignment weighted by
/// `weight` (1 for uvalues; the sum over times of the propagators for
/// rvalues, [`super::resum`]). With `centered`, nodes with one child carry
/// h_x − H (the Hessian's mean is re-summed into the propagators).
pub(super) fn diagram_value(
    law: &Law,
    sampling: Sampling,
    d: &Diagram,
    root: Root,
    centered: bool,
    weight: impl Fn(&[usize]) -> f64,
) -> f64 {
    let n = d.order();
    let dim = law.dim;
    let mut index = vec![0usize; n + 1];
    let mut total = 0.0;
    for code in 0..dim.pow(n as u32) {
        for v in 1..=n {
            index[v] = code / dim.pow((v - 1) as u32) % dim;
        }
        let factor = |v: usize| -> Factor {
            let own = (v > 0).then_some(index[v]);
            let flat = own.into_iter().chain(d.children[v].iter().map(|&c| index[c])).fold(0, |f, i| f * dim + i);
            let k = d.children[v].len() + usize::from(v > 0);
            (if centered && v > 0 && k == 2 { CENTERED_HESSIAN } else { k }, flat)
        };
        let mut product = match root {
            Root::Population => law.mean(factor(0)),
            Root::Sample => 1.0,
            Root::Coordinate(i) => f64::from(u8::from(index[d.children[0][0]] == i)),
        };
        for b in 0..d.blocks {
            if product == 0.0 {
                break;
            }
            let factors: Vec<Factor> = (0..=n).filter(|&v| d.block[v] == b).map(factor).collect();
            product *= law.moment(sampling, &factors);
        }
        if product != 0.0 {
            total += product * weight(&index);
        }
    }
    total
}
