//! Least squares, the smooth model where seed 003's statements are exact
//! (Example 1, Table 1, with σ = 1): f(θ) = (1/2n)Σ (xᵢᵀθ − yᵢ)², per-sample
//! gradients ∇ℓᵢ = xᵢ rᵢ (rᵢ = xᵢᵀθ − yᵢ), H = XᵀX/n, M = (1/n)Σ rᵢ² xᵢxᵢᵀ
//! and H_p = M − H = (1/n)Σ (rᵢ² − 1) xᵢxᵢᵀ. The loss is quadratic, so one
//! SGD step's loss change has exactly Theorem 1's mean
//! ([`super::theorem1`]): the check that the theorem, and this code, are
//! right before they are used on ReLU networks.

use super::theorem1::Step;
use crate::rng::{below, word, Stream};

/// Least squares on n points of d features.
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquares {
    /// X, n × d row-major.
    x: Vec<f64>,
    y: Vec<f64>,
    d: usize,
}

impl LeastSquares {
    /// The model of design `x` (n × d row-major) and responses `y`.
    pub fn new(x: Vec<f64>, y: Vec<f64>, d: usize) -> Self {
        assert_eq!(x.len(), y.len() * d, "X is n × d");
        LeastSquares { x, y, d }
    }

    /// Points n.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Parameters p = d.
    pub fn dim(&self) -> usize {
        self.d
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..][..self.d]
    }

    /// rᵢ = xᵢᵀθ − yᵢ.
    pub fn residual(&self, theta: &[f64], i: usize) -> f64 {
        self.row(i).iter().zip(theta).map(|(x, t)| x * t).sum::<f64>() - self.y[i]
    }

    /// f(θ).
    pub fn loss(&self, theta: &[f64]) -> f64 {
        (0..self.len()).map(|i| self.residual(theta, i).powi(2)).sum::<f64>() / (2 * self.len()) as f64
    }

    /// The per-sample gradients as the columns of a p × n matrix.
    pub fn gradients(&self, theta: &[f64]) -> Vec<f64> {
        let n = self.len();
        let mut g = vec![0.0; self.d * n];
        for i in 0..n {
            let r = self.residual(theta, i);
            for (j, x) in self.row(i).iter().enumerate() {
                g[j * n + i] = x * r;
            }
        }
        g
    }

    /// `out` = H v = XᵀX v / n.
    pub fn hvp(&self, v: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        let n = self.len() as f64;
        for i in 0..self.len() {
            let xv: f64 = self.row(i).iter().zip(v).map(|(x, v)| x * v).sum();
            out.iter_mut().zip(self.row(i)).for_each(|(o, x)| *o += x * xv / n);
        }
    }

    /// The mini-batch gradient over the points `batch`.
    pub fn batch_gradient(&self, theta: &[f64], batch: &[usize]) -> Vec<f64> {
        let mut g = vec![0.0; self.d];
        for &i in batch {
            let r = self.residual(theta, i) / batch.len() as f64;
            g.iter_mut().zip(self.row(i)).for_each(|(g, x)| *g += x * r);
        }
        g
    }

    /// Δ = f(θ − η g_B) − f(θ) over `batches` fresh batches of m points
    /// drawn with replacement: batch b's sample s is word b·m + s of
    /// [`Stream::FreshBatch`] keyed by `(seed, trial)`.
    pub fn fresh_deltas(&self, theta: &[f64], step: Step, batches: u64, (seed, trial): (u64, u64)) -> Vec<f64> {
        assert!(!step.without_replacement, "batches drawn with replacement");
        let (f0, m, n) = (self.loss(theta), step.batch as u64, self.len() as u32);
        let mut deltas = Vec::with_capacity(batches as usize);
        for b in 0..batches {
            let batch: Vec<usize> =
                (0..m).map(|s| below(word(seed, trial, Stream::FreshBatch, b * m + s), n) as usize).collect();
            let g = self.batch_gradient(theta, &batch);
            let moved: Vec<f64> = theta.iter().zip(&g).map(|(t, g)| t - step.eta * g).collect();
            deltas.push(self.loss(&moved) - f0);
        }
        deltas
    }
}
