//! The GPU backend: WGSL compute shaders through wgpu (Vulkan), f32 on the
//! device, statistics in f64 on the host. It reproduces the CPU backend's
//! random streams (`crate::rng`) and grid semantics, so a CPU and a GPU run of
//! one seed are the same experiment to f32 rounding. The network study
//! ([`network`]) runs there too, one workgroup per run.

mod device;
mod devices;
pub mod network;
pub mod probe;
pub mod shader;
mod simulate;

pub use device::{Gpu, ADAPTER_VAR};
pub use devices::Devices;
pub use simulate::GpuSimulator;
