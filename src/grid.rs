//! The space-time grid (seed 001, App. A.2): the spine of every optimizer.
//!
//! A grid is N training points (drawn once per trial), a batch size B dividing
//! N, E epochs and a shuffle flag; it has T = E·N/B steps. Step t belongs to
//! epoch e = t / (N/B) and uses the batch of positions k·B .. (k+1)·B,
//! k = t mod (N/B), in that epoch's visiting order (the identity, or a fresh
//! uniform permutation per epoch with `shuffle`). The cells (n, t) with point
//! n in step t's batch are what the theory's diagrams embed into.
//!
//! | optimizer | grid |
//! | --- | --- |
//! | fresh-sample SGD | N = T, B = E = 1 |
//! | multi-epoch / batched SGD | N, B, E, shuffle as given |
//! | GD on N points for T steps | N, B = N, E = T |

use crate::error::{usage, Result};
use serde::Serialize;
use std::ops::Range;

/// The largest T, N, B and E (below 2^30): indices fit 32 bits on every
/// backend with room, and no product of two of them overflows 64 bits.
pub const MAX_GRID: usize = (1 << 30) - 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Grid {
    /// N: training points per trial.
    pub train_size: usize,
    /// B: points per step.
    pub batch: usize,
    /// E: passes over the training set.
    pub epochs: usize,
    /// Whether each epoch visits the points in a fresh random order.
    pub shuffle: bool,
}

impl Grid {
    /// A grid, checked: N >= 1, 1 <= B, B divides N, T = E·N/B <= [`MAX_GRID`].
    pub fn new(train_size: usize, batch: usize, epochs: usize, shuffle: bool) -> Result<Self> {
        if train_size == 0 {
            return Err(usage("the training set must have at least one point"));
        }
        if batch == 0 {
            return Err(usage("batch size must be at least 1"));
        }
        if !train_size.is_multiple_of(batch) {
            return Err(usage(format!("--batch {batch} does not divide the training set size N = {train_size}")));
        }
        match epochs.checked_mul(train_size / batch) {
            Some(t) if t <= MAX_GRID => Ok(Grid { train_size, batch, epochs, shuffle }),
            _ => Err(usage(format!(
                "T = E·N/B = {epochs}·{train_size}/{batch} steps is out of range (--epochs, --train-size, --batch): \
                 steps must be below 2^30"
            ))),
        }
    }

    /// GD: every step uses all N points, for T steps.
    pub fn gd(train_size: usize, steps: usize) -> Result<Self> {
        Self::new(train_size, train_size, steps, false)
    }

    /// T = E·N/B (saturating: a grid not made by [`Grid::new`] may be out of
    /// range, which `Experiment::validate` refuses).
    pub fn steps(&self) -> usize {
        self.epochs.saturating_mul(self.batches_per_epoch())
    }

    /// N/B.
    pub fn batches_per_epoch(&self) -> usize {
        self.train_size / self.batch
    }

    /// Epoch of step t and the positions (in that epoch's order) of its batch.
    #[inline]
    pub fn step(&self, t: usize) -> (usize, Range<usize>) {
        let per = self.batches_per_epoch();
        let k = t % per;
        (t / per, k * self.batch..(k + 1) * self.batch)
    }

    /// The cells (n, t) of an unshuffled grid: point n is in step t's batch.
    /// (With `shuffle` the cells are random; the theory averages over them.)
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.steps()).flat_map(move |t| self.step(t).1.map(move |n| (n, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_gd_and_epochs_are_grids() {
        let fresh = Grid::new(10, 1, 1, false).unwrap();
        assert_eq!(fresh.steps(), 10);
        assert!(fresh.cells().eq((0..10).map(|t| (t, t))));

        let gd = Grid::gd(3, 4).unwrap();
        assert_eq!(gd.steps(), 4);
        assert_eq!(gd.cells().count(), 12);
        assert!(gd.cells().all(|(n, _)| n < 3));

        let batched = Grid::new(6, 2, 3, false).unwrap();
        assert_eq!(batched.steps(), 9);
        assert_eq!(batched.step(4), (1, 2..4));
        // Every point is used exactly once per epoch.
        for n in 0..6 {
            assert_eq!(batched.cells().filter(|&(m, _)| m == n).count(), 3);
        }
    }

    #[test]
    fn batch_must_divide_n() {
        assert!(Grid::new(10, 3, 1, false).is_err());
        assert!(Grid::new(10, 0, 1, false).is_err());
        assert!(Grid::new(0, 1, 1, false).is_err());
        assert_eq!(Grid::new(5, 1, 0, false).unwrap().steps(), 0);
    }

    #[test]
    fn steps_beyond_2_to_the_30_are_refused_not_wrapped() {
        assert_eq!(Grid::new(2, 1, MAX_GRID / 2, false).unwrap().steps(), MAX_GRID - 1);
        let e = Grid::new(2, 1, 1 << 63, false).unwrap_err().to_string();
        assert!(e.contains("--epochs, --train-size, --batch") && e.contains("2^30"), "{e}");
        assert!(Grid::new(4, 2, 1 << 29, false).is_err());
        assert!(Grid::gd(10, MAX_GRID + 1).is_err());
        let wide = Grid { train_size: 2, batch: 1, epochs: usize::MAX, shuffle: false };
        assert_eq!(wide.steps(), usize::MAX);
    }
}
