//! Several GPUs in one process (`--backend gpu --devices all|0,2`): one
//! simulator over the adapters that open, the run's chunks shared out among
//! them and merged in chunk order by the driver as one device's would be.
//!
//! Chunks are the smallest any device takes ([`Simulator::chunk_trials`]),
//! chunk c runs on device c mod n, and the host tallies with
//! `HOST_THREADS` threads per device, so every device has a chunk in flight
//! while the host tallies another's. The numbers depend on the devices only
//! through their arithmetic: on n devices of one model they are those of one
//! of them, bit for bit, whenever the chunks are the same.

use super::device::Gpu;
use super::simulate::{GpuSimulator, HOST_THREADS};
use crate::backend::selection::Selection;
use crate::backend::simulator::{Chunk, Simulator};
use crate::error::{Error, Result};
use crate::experiment::Experiment;
use crate::plan::Plan;
use crate::progress::Progress;
use std::ops::Range;

/// The GPU backend on one device or several.
pub struct Devices {
    sims: Vec<GpuSimulator>,
    /// The host threads of several devices (one device uses its own).
    pool: Option<rayon::ThreadPool>,
}

impl Devices {
    /// The best adapter ([`GpuSimulator::open`]) or, with a selection, the
    /// adapters it names.
    pub fn open(selection: Option<&Selection>) -> Result<Self> {
        let sims = match selection {
            None => vec![GpuSimulator::open()?],
            Some(Selection::All) => GpuSimulator::open_several(None)?,
            Some(Selection::Indices(indices)) => GpuSimulator::open_several(Some(indices))?,
        };
        Self::of(sims)
    }

    /// One simulator over `sims` (at least one).
    pub fn of(sims: Vec<GpuSimulator>) -> Result<Self> {
        let pool = match sims.len() {
            0 => return Err(Error::Gpu("no adapter opened".into())),
            1 => None,
            n => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(HOST_THREADS * n)
                    .build()
                    .map_err(|e| Error::Gpu(format!("cannot start the GPU backend's host threads: {e}")))?,
            ),
        };
        Ok(Devices { sims, pool })
    }

    /// The first device: the one work that is not split runs on (the
    /// network study).
    pub fn first(&self) -> &GpuSimulator {
        &self.sims[0]
    }

    /// The open devices.
    pub fn devices(&self) -> impl Iterator<Item = &Gpu> {
        self.sims.iter().map(GpuSimulator::device)
    }

    /// Whether every device is a software rasteriser.
    pub fn is_software(&self) -> bool {
        self.devices().all(Gpu::is_software)
    }

    /// The devices, as reports name them.
    pub fn describe(&self) -> String {
        self.devices().map(Gpu::describe).collect::<Vec<_>>().join(" + ")
    }

    /// The device of the chunk `trials`: its index (its start over its
    /// length, for every chunk but a shorter last one) mod the devices.
    fn device_of(&self, trials: &Range<u64>) -> &GpuSimulator {
        let chunk = (trials.end - trials.start).max(1);
        &self.sims[(trials.start / chunk) as usize % self.sims.len()]
    }
}

impl Simulator for Devices {
    fn kind(&self) -> &'static str {
        "gpu"
    }

    fn adapter(&self) -> Option<String> {
        Some(self.describe())
    }

    fn accelerator(&self) -> bool {
        self.sims.iter().all(Simulator::accelerator)
    }

    fn unit_roundoff(&self) -> f64 {
        self.first().unit_roundoff()
    }

    /// Every device can, with the host tallying for all of them.
    fn supports(&self, exp: &Experiment) -> Result<()> {
        let threads = HOST_THREADS * self.sims.len();
        self.sims.iter().try_for_each(|s| s.supports_with(exp, threads))
    }

    /// The smallest of the devices' chunks.
    fn chunk_trials(&self, exp: &Experiment) -> Result<u64> {
        let sizes = self.sims.iter().map(|s| s.chunk_trials(exp)).collect::<Result<Vec<_>>>()?;
        Ok(sizes.into_iter().min().expect("at least one device"))
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.as_ref().or_else(|| self.first().pool())
    }

    fn kernel_seconds(&self) -> Option<f64> {
        self.sims.iter().map(Simulator::kernel_seconds).sum()
    }

    fn simulate(
        &self,
        exp: &Experiment,
        plan: &Plan,
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Chunk> {
        self.device_of(&trials).simulate(exp, plan, trials, record, progress)
    }

    fn simulate_points(
        &self,
        jobs: &[(&Experiment, &Plan)],
        trials: Range<u64>,
        record: bool,
        progress: &Progress,
    ) -> Result<Vec<Chunk>> {
        self.device_of(&trials).simulate_points(jobs, trials, record, progress)
    }
}
