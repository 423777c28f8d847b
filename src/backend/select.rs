//! The one place a backend is opened from the user's choice, and the one
//! place an experiment is matched with the simulator that can run it.

use super::cpu::Cpu;
#[cfg(feature = "gpu")]
use super::gpu::{Devices, Gpu};
use super::selection::Selection;
use super::simulator::Simulator;
#[cfg(not(feature = "gpu"))]
use crate::error::usage;
#[cfg(feature = "gpu")]
use crate::error::Error;
use crate::error::Result;
use crate::experiment::Experiment;
use clap::ValueEnum;
#[cfg(feature = "gpu")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Where trajectories are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Choice {
    /// Multi-threaded, vectorised f64 reference.
    Cpu,
    /// WGSL compute shaders on a Vulkan adapter (f32); an error if none opens.
    Gpu,
    /// A hardware GPU adapter if one opens, else the CPU (with a notice).
    Auto,
}

/// The GPU simulator on the best adapter (or the one `$SIMSGD_ADAPTER`
/// names), and the adapter's name; an error where none opens or this build
/// has no GPU backend.
pub fn open_gpu() -> Result<(Box<dyn Simulator>, String)> {
    #[cfg(feature = "gpu")]
    {
        let sim = Devices::open(None)?;
        let name = sim.first().device().name().to_string();
        Ok((Box::new(sim), name))
    }
    #[cfg(not(feature = "gpu"))]
    Err(usage(format!("{WITHOUT_GPU}; rebuild with it (cargo build --release) or use --backend cpu")))
}

#[cfg(not(feature = "gpu"))]
const WITHOUT_GPU: &str = "this simsgd was built without the GPU backend (cargo feature `gpu`)";

/// The simulators a command may use: the CPU always, a GPU where one was
/// chosen and opened.
///
/// The notices about the choice (no GPU adapter, a software one, an
/// experiment the GPU cannot run) wait until an experiment is matched with a
/// simulator that can run it ([`Backends::for_experiment`]): an invocation
/// refused before it simulates prints its one-line error and nothing else.
pub struct Backends {
    cpu: Cpu,
    /// Notices not yet printed (none when quiet).
    notices: Mutex<Vec<String>>,
    #[cfg(feature = "gpu")]
    gpu: Option<Devices>,
    /// The user asked for the GPU: what it cannot run is an error, not a
    /// fallback to the CPU.
    #[cfg(feature = "gpu")]
    required: bool,
    #[cfg(feature = "gpu")]
    quiet: bool,
    /// Whether the GPU adapter in use was named on stderr yet.
    #[cfg(feature = "gpu")]
    announced: AtomicBool,
}

impl Backends {
    /// Opens what `choice` asks for, with the CPU on `threads` threads (0: all
    /// cores). `auto` takes a hardware adapter; where none opens (or only a
    /// software one), it says so on stderr (unless `quiet`) and uses the CPU.
    pub fn open(choice: Choice, threads: usize, quiet: bool) -> Result<Self> {
        Self::open_devices(choice, None, threads, quiet)
    }

    /// [`Backends::open`] with the GPU on the adapters `devices` names
    /// (`--devices`: with `--backend gpu` only), all of them running each
    /// experiment's chunks ([`Devices`]).
    #[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
    pub fn open_devices(choice: Choice, devices: Option<&Selection>, threads: usize, quiet: bool) -> Result<Self> {
        let mut notices = Vec::new();
        let mut say = |message: String| {
            if !quiet {
                notices.push(format!("simsgd: {message}"));
            }
        };
        let cpu = Cpu::new(threads)?;
        #[cfg(feature = "gpu")]
        {
            let required = choice == Choice::Gpu;
            let gpu = match choice {
                Choice::Cpu => None,
                Choice::Gpu => Some(Devices::open(devices)?),
                Choice::Auto => match Devices::open(None) {
                    Ok(sim) if sim.is_software() => {
                        let name = sim.first().device().name().to_string();
                        say(format!("only a software adapter ({name}) opened; running on the CPU backend"));
                        None
                    }
                    Ok(sim) => Some(sim),
                    // A bad setting ($SIMSGD_FUSE) is the user's to fix, not a missing GPU.
                    Err(e @ Error::Usage(_)) => return Err(e),
                    Err(e) => {
                        say(format!("no GPU adapter opened ({e}); running on the CPU backend"));
                        None
                    }
                },
            };
            Ok(Backends { cpu, notices: Mutex::new(notices), gpu, required, quiet, announced: AtomicBool::new(false) })
        }
        #[cfg(not(feature = "gpu"))]
        {
            match choice {
                Choice::Gpu => return open_gpu().map(|_| Backends { cpu, notices: Mutex::new(Vec::new()) }),
                Choice::Auto => say(format!("{WITHOUT_GPU}; running on the CPU backend")),
                Choice::Cpu => {}
            }
            Ok(Backends { cpu, notices: Mutex::new(notices) })
        }
    }

    /// The CPU simulator.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The simulator for `exp`: the GPU where one is open and can run it
    /// (named on stderr the first time), else the CPU (with a notice); an
    /// error where the user required the GPU and it cannot, or where the
    /// CPU cannot ([`Simulator::supports`]: memory). The notices of
    /// [`Backends::open`] are printed here, once a simulator is found.
    #[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
    pub fn for_experiment(&self, exp: &Experiment) -> Result<&dyn Simulator> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.gpu {
            match gpu.supports(exp) {
                Ok(()) => {
                    self.print_notices();
                    if !self.quiet && !self.announced.swap(true, Ordering::Relaxed) {
                        eprintln!("simsgd: using GPU adapter {}", gpu.describe());
                    }
                    return Ok(gpu);
                }
                Err(e) if self.required => return Err(e),
                Err(e) => {
                    self.cpu.supports(exp)?;
                    self.print_notices();
                    if !self.quiet {
                        eprintln!("simsgd: {e}; this run uses the CPU backend");
                    }
                    return Ok(&self.cpu);
                }
            }
        }
        self.cpu.supports(exp)?;
        self.print_notices();
        Ok(&self.cpu)
    }

    /// The GPU for work that is not an [`Experiment`] (the network study):
    /// what `open` builds on the open adapter (which is named on stderr the
    /// first time), or `None` for the CPU: no GPU was chosen or opened, or
    /// `open` refused it under `auto` (said on stderr). Where the user
    /// required the GPU, its refusal is the error. The notices of
    /// [`Backends::open`] are printed here, as by [`Backends::for_experiment`].
    #[cfg(feature = "gpu")]
    pub fn for_gpu<'a, T>(&'a self, open: impl FnOnce(&'a Gpu) -> Result<T>) -> Result<Option<T>> {
        let Some(gpu) = &self.gpu else {
            self.print_notices();
            return Ok(None);
        };
        let first = gpu.first().device();
        match open(first) {
            Ok(built) => {
                self.print_notices();
                if !self.quiet && !self.announced.swap(true, Ordering::Relaxed) {
                    eprintln!("simsgd: using GPU adapter {}", first.describe());
                }
                Ok(Some(built))
            }
            Err(e) if self.required => Err(e),
            Err(e) => {
                self.print_notices();
                if !self.quiet {
                    eprintln!("simsgd: {e}; this run uses the CPU backend");
                }
                Ok(None)
            }
        }
    }

    /// Prints the notices of [`Backends::open`] for work that is not an
    /// [`Experiment`] (the network study), which this build runs on the CPU.
    #[cfg(not(feature = "gpu"))]
    pub fn for_cpu(&self) {
        self.print_notices();
    }

    /// Prints the notices not yet printed.
    fn print_notices(&self) {
        let mut notices = self.notices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for notice in notices.drain(..) {
            eprintln!("{notice}");
        }
    }
}
