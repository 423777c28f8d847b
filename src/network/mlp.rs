//! The multi-layer perceptron of seed 003 (App. A.1, Table 2; App. B.5.1).
//!
//! d → h₁ → … → k: dense layers with biases, ReLU between them (σ′(0) = ½
//! as the paper's autograd convention, eq. (70) ff.), softmax cross-entropy
//! on the k logits. The paper's Gauss-k network is 50 → 10 → 30 → k:
//! p = 510 + 330 + 31k (902 for k = 2, 1150 for k = 10).
//!
//! # Parameter layout
//! θ is flat, layer by layer from the input: first the weights `W[o][i]`
//! (output-major, row o holds the weights into unit o), then the biases `b[o]`.
//! Part 2's Hessians and layer loadings read this order ([`Mlp::layers`]).

use super::data::Dataset;
use crate::error::{usage, Result};
use crate::rng::{self, Stream};
use num_dual::{Dual64, DualNum};

/// The paper's hidden widths (Table 2: "[10, 30]").
pub const PAPER_HIDDEN: [usize; 2] = [10, 30];

/// Where one layer's parameters sit in θ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Inputs (the width below).
    pub inputs: usize,
    /// Outputs (this layer's width).
    pub outputs: usize,
    /// Offset of `W[0][0]`; `W[o][i]` is at `weights + o * inputs + i`.
    pub weights: usize,
    /// Offset of `b[0]` (= `weights + inputs * outputs`).
    pub biases: usize,
}

/// The distribution of θ₀, a fresh draw per run from [`Stream::Init`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// θ₀ ~ N(0, I), weights and biases alike (App. A.1, "Training").
    #[default]
    Normal,
    /// He et al.: weights N(0, 2/fan-in) (every layer, the output's too),
    /// biases 0.
    He,
}

/// A network's shape: the layers from d inputs through the hidden widths to
/// k classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    layers: Vec<Layer>,
}

/// The mean loss and accuracy of a network on a set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean softmax cross-entropy.
    pub loss: f64,
    /// Fraction of points whose largest logit (the first, on ties) is their label.
    pub accuracy: f64,
}

impl Mlp {
    /// d → hidden… → k; a usage error for a zero width or fewer than 2 classes.
    pub fn new(inputs: usize, hidden: &[usize], classes: usize) -> Result<Self> {
        if classes < 2 {
            return Err(usage(format!("a network needs at least 2 classes, not {classes}")));
        }
        if inputs == 0 {
            return Err(usage("a network needs at least one input feature"));
        }
        if let Some(h) = hidden.iter().position(|&w| w == 0) {
            return Err(usage(format!("hidden layer {} has width 0", h + 1)));
        }
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let (mut below, mut offset) = (inputs, 0);
        for &outputs in hidden.iter().chain([&classes]) {
            let weights = offset;
            offset += (below + 1) * outputs;
            layers.push(Layer { inputs: below, outputs, weights, biases: weights + below * outputs });
            below = outputs;
        }
        Ok(Mlp { layers })
    }

    /// The paper's network for `classes` classes: 50 → 10 → 30 → k.
    pub fn paper(classes: usize) -> Result<Self> {
        Mlp::new(50, &PAPER_HIDDEN, classes)
    }

    /// The layers, input first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The number of parameters p (weights and biases).
    pub fn params(&self) -> usize {
        let last = self.layers.last().unwrap();
        last.biases + last.outputs
    }

    /// Input features d.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    /// Classes k.
    pub fn classes(&self) -> usize {
        self.layers.last().unwrap().outputs
    }

    /// The hidden widths.
    pub fn hidden(&self) -> Vec<usize> {
        self.layers[..self.layers.len() - 1].iter().map(|l| l.outputs).collect()
    }

    /// A usage error unless `data` has this network's inputs and classes.
    pub fn check(&self, data: &Dataset) -> Result<()> {
        if (data.dim(), data.classes()) != (self.inputs(), self.classes()) {
            return Err(usage(format!(
                "the data have {} features and {} classes, the network {} inputs and {} outputs",
                data.dim(),
                data.classes(),
                self.inputs(),
                self.classes()
            )));
        }
        Ok(())
    }

    /// Parameter q of θ₀ under `init` from its standard normal z: z
    /// (N(0, I)), or √(2/fan-in)·z for a weight and exactly 0 for a bias (He).
    pub fn init_param(&self, init: Init, q: usize, z: f64) -> f64 {
        match init {
            Init::Normal => z,
            Init::He => {
                let layer = self.layers.iter().find(|l| q < l.biases + l.outputs).unwrap();
                if q < layer.biases {
                    (2.0 / layer.inputs as f64).sqrt() * z
                } else {
                    0.0
                }
            }
        }
    }

    /// θ₀ of run `run`: parameter q from normal element q of
    /// `(seed, run, Stream::Init)` ([`Self::init_param`]).
    pub fn init(&self, init: Init, seed: u64, run: u64) -> Vec<f64> {
        (0..self.params()).map(|q| self.init_param(init, q, rng::normal(seed, run, Stream::Init, q as u64))).collect()
    }

    /// The mean loss over `indices`, written once over any dual number type
    /// (the automatic-differentiation reference): plain log-sum-exp and the
    /// ReLU as max(z, 0) with σ′(0) = ½ (z·½ at an exact 0).
    pub fn loss_ad<D: DualNum<Primitive = f64> + Copy>(&self, theta: &[D], data: &Dataset, indices: &[usize]) -> D {
        let mut total = D::from(0.0);
        for &j in indices {
            let mut a: Vec<D> = data.point(j).iter().map(|&v| D::from(v)).collect();
            for (h, layer) in self.layers.iter().enumerate() {
                a = (0..layer.outputs)
                    .map(|o| {
                        let w = &theta[layer.weights + o * layer.inputs..][..layer.inputs];
                        let z = w.iter().zip(&a).fold(theta[layer.biases + o], |acc, (&w, &x)| acc + w * x);
                        match z.re() {
                            _ if h + 1 == self.layers.len() => z,
                            r if r > 0.0 => z,
                            r if r < 0.0 => D::from(0.0),
                            _ => z * 0.5,
                        }
                    })
                    .collect();
            }
            let top = a.iter().map(|z| z.re()).fold(f64::NEG_INFINITY, f64::max);
            let sum = a.iter().fold(D::from(0.0), |s, &z| s + (z - top).exp());
            total += sum.ln() + top - a[data.labels()[j] as usize];
        }
        total / indices.len() as f64
    }

    /// The gradient of the mean loss over `indices` by forward-mode AD
    /// ([`Self::loss_ad`] on one dual number per parameter: p passes).
    pub fn gradient_ad(&self, theta: &[f64], data: &Dataset, indices: &[usize]) -> Vec<f64> {
        let mut t: Vec<Dual64> = theta.iter().map(|&v| Dual64::from(v)).collect();
        (0..theta.len())
            .map(|q| {
                t[q] = t[q].derivative();
                let g = self.loss_ad(&t, data, indices).eps;
                t[q] = Dual64::from(theta[q]);
                g
            })
            .collect()
    }
}
