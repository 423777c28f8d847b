//! The theory side: what SGD *should* do, from the landscape's statistics.
//!
//! * [`statistics`]: the statistics themselves, exact or estimated from
//!   samples without bias (seed 001, App. C.6);
//! * [`diagram`], [`embedding`], [`law`]: the diagram expansion (App. A):
//!   trees with partitions, their embeddings into a grid counted in closed
//!   form, and the sample law their values integrate against;
//! * [`predict`]: the Taylor coefficients in η of every observable;
//! * [`resum`]: re-summed values for long training (Theorem 1, Remark 2);
//! * [`corollary`]: the paper's corollaries as named predictions.

pub mod corollary;
pub mod diagram;
pub mod embedding;
pub mod law;
pub mod predict;
pub mod resum;
pub mod statistics;
