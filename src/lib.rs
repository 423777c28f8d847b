//! simsgd: Monte Carlo tests of the perturbative theory of SGD (seed 001,
//! "A Perturbative Analysis of Stochastic Descent") on artificial landscapes.
//!
//! The pieces: [`landscape`] (per-sample losses, their derivatives and exact
//! expectations), [`grid`] (the space-time grid every optimizer is),
//! [`rng`] (the counter-based random streams all backends share),
//! [`backend`] (simulators), [`stats`] and [`observables`] (what a run
//! measures, with standard errors), [`report`] (what each command reports:
//! table, JSON, CSV), [`commands`] (the work behind each subcommand, which
//! [`cli`] calls). [`network`] trains seed 003's networks (deep-net
//! SGD over many runs); [`study`] turns those runs into distributions over
//! runs (`simsgd run mlp`, `run li-…`).

// Index loops over lanes and coordinates are the structure-of-arrays idiom
// that LLVM vectorises; iterator rewrites obscure the kernels.
#![allow(clippy::needless_range_loop)]

pub mod alternative;
pub mod atomic;
pub mod backend;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod data_law;
pub mod davis_kahan;
pub mod drift;
pub mod eigen;
pub mod error;
pub mod experiment;
pub mod fastmath;
pub mod figure;
pub mod formula;
pub mod grid;
pub mod interrupt;
pub mod landscape;
pub mod linalg;
pub mod memory;
pub mod network;
pub mod observables;
pub mod optimizer;
pub mod plan;
pub mod plot;
pub mod progress;
pub mod quadrature;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod shard;
pub mod stats;
pub mod study;
pub mod sweep;
pub mod theory;
