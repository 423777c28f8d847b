//! The work behind each subcommand. `crate::cli` turns the flags into these
//! functions' inputs: nothing here parses flags or writes to stdout.
//!
//! * [`theory`]: which prediction (order, re-summation) `run` and `predict` make.

pub mod theory;
