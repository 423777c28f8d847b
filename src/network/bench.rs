//! The network study's throughput, for `simsgd bench`: the reference
//! workload is Gauss-10 (p = 1150) at m = 5, recording every 10 steps (every
//! record: train loss and accuracy at θ_t and θ_{t+1}, ‖g‖, cosine),
//! reported in run-steps per second.

use super::gauss_k::GaussK;
use super::mlp::Mlp;
use super::options::Options;
use super::train::Study;
use crate::error::Result;
use std::time::Instant;

/// One timing of [`Study::run`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Timing {
    /// Runs trained.
    pub runs: u64,
    /// SGD steps per run.
    pub steps: u64,
    /// Wall-clock seconds of the training (data generation excluded).
    pub seconds: f64,
    /// runs × steps / seconds.
    pub run_steps_per_s: f64,
}

/// Times `runs` runs of `steps` steps of the paper's Gauss-10 setting (clean
/// labels, standardised, η = 0.1, m = 5, no test set) recording every
/// `record_every` steps, on the current rayon pool.
pub fn gauss10(runs: u64, steps: u64, record_every: u64) -> Result<Timing> {
    let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.0) }.generate()?;
    let mlp = Mlp::paper(10)?;
    let study = Study::new(&mlp, &data, Options { record_every, ..Options::paper(0.1, steps) })?;
    let start = Instant::now();
    let trace = study.run(0..runs, &|_| {})?;
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(trace);
    Ok(Timing { runs, steps, seconds, run_steps_per_s: (runs * steps) as f64 / seconds })
}
