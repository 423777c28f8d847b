//! Simulators behind one boundary ([`Simulator`]: "simulate this chunk of
//! trials"), one driver over them ([`driver`]: chunks, tallies, pairing,
//! curves, drift, progress) and one place that opens them from the user's
//! choice ([`Backends`]). The CPU backend is the reference; the GPU backend
//! (cargo feature `gpu`, on by default) is checked against it trial by trial.

pub mod cpu;
pub mod driver;
pub mod footprint;
#[cfg(feature = "gpu")]
pub mod gpu;
mod select;
mod selection;
mod simulator;

pub use select::{open_gpu, Backends, Choice};
pub use selection::Selection;
pub use simulator::{Chunk, Simulator, Status};
