//! Simulators. The CPU backend is the reference; others are checked against it
//! trial by trial.

pub mod cpu;
pub mod gpu;
