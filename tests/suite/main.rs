//! The integration tests, one binary: each file below is a module (one link of
//! the library and wgpu instead of eleven).

// Index loops over coordinates mirror the formulas they check.
#![allow(clippy::needless_range_loop)]

mod architecture;
mod cli;
mod common;
mod compare;
mod corollaries;
mod figures;
mod formulas;
mod gdc;
#[cfg(feature = "gpu")]
mod gpu;
mod intervals;
mod landscapes;
mod laws;
mod malformed;
mod momentum;
mod nonpolynomial;
mod predictions;
mod reliability;
mod resum;
mod schedule;
mod shards;
mod shifting_valleys;
mod simulation;
mod study;
mod sweeps;
mod theory;
mod vectors;
