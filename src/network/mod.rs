//! Deep-net SGD as a stochastic process (seed 003, Li et al., "Hessian based
//! analysis of SGD for Deep Nets"): one small ReLU network trained many times
//! on one data set, every run recorded, for distributions over runs (sec. 5,
//! Figs. 8–10; the setup of App. A.1 and Table 2).
//!
//! * [`data`]: labelled data sets, label noise, standardisation;
//!   [`gauss_k`]: the synthetic Gauss-k blobs; [`loaders`]: the user's data
//!   (CSV, MNIST's IDX files).
//! * [`mlp`]: the network's shape, θ's layout, θ₀, the AD reference;
//!   [`analytic`]: one network's loss, gradient and accuracy;
//!   [`curvature`]: its exact Hessian-vector products, H_f, H_p and the
//!   per-sample gradients behind M (sec. 4); [`theorem1`]: the loss
//!   change's law given θ_t at second order (Theorem 1);
//!   [`least_squares`]: the smooth model where it is exact (Example 1);
//!   [`logistic`]: the smooth non-quadratic one (Example 2), both with
//!   Table 1's closed forms of H_f, M and H_p;
//!   [`pac_bayes`]: the Hessian-based posterior, its KL and bound (sec. 6);
//!   [`adaptive`]: Theorem 3's oracle and diagonal step sizes (sec. 5.4).
//! * [`options`]: SGD's η, m, T, sampling, and the recorded steps;
//!   [`sampler`]: which points each step's batch holds;
//!   [`train`]: many runs in parallel ([`train::Study`]) into a
//!   [`train::Trace`]; [`mod@bench`]: their throughput.
//! * `kernel` and `block`: the vectorised passes and the SGD loop of a block
//!   of runs; `simd`: their register type.

pub mod adaptive;
pub mod analytic;
pub mod bench;
mod block;
pub mod curvature;
pub mod data;
pub mod gauss_k;
mod kernel;
pub mod least_squares;
pub mod loaders;
pub mod logistic;
pub mod mlp;
pub mod options;
pub mod pac_bayes;
pub mod sampler;
mod simd;
pub mod theorem1;
pub mod train;

#[cfg(test)]
mod tests;
