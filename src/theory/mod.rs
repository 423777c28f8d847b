//! The theory side: what SGD *should* do, from the landscape's statistics.
//!
//! * [`statistics`]: the statistics themselves, exact or estimated from
//!   samples without bias (seed 001, App. C.6);
//! * [`diagram`], [`embedding`], [`law`]: the diagram expansion (App. A):
//!   trees with partitions, their embeddings into a grid counted in closed
//!   form, and the sample law their values integrate against;
//! * [`value`]: a diagram's value, its blocks' expected tensors contracted
//!   along its edges;
//! * [`prediction`]: what a prediction is (coefficients or re-summed
//!   contributions, and the terms behind them), however it is made;
//! * [`predict`]: the Taylor coefficients in η of every observable;
//! * [`resum`]: re-summed values for long training (Theorem 1, Remark 2);
//! * [`corollary`]: the paper's corollaries as named predictions.
//!
//! Dependencies point one way: `embedding` on `diagram`; `value` on
//! `diagram` and `law`; `predict` and `resum` on those and on `prediction`;
//! `corollary` on `prediction` and `statistics`. The small dense linear
//! algebra (eigen-decomposition, matrix powers and exponentials) is
//! [`crate::linalg`].

pub mod corollary;
pub mod diagram;
pub mod embedding;
pub mod law;
pub mod predict;
pub mod prediction;
pub mod resum;
pub mod statistics;
pub mod validity;
pub mod value;
