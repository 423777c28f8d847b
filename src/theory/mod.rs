//! The theory side: what SGD *should* do, from the landscape's statistics.
//!
//! So far: the statistics themselves ([`statistics`]), exact or estimated
//! from samples without bias (seed 001, App. C.6).

pub mod predict;
pub mod statistics;
