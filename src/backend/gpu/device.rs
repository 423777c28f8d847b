//! Opening a wgpu adapter and device, buffers and read-back, and turning every
//! device error (validation, out of memory, device loss, a hung queue) into a
//! one-line [`Error::Gpu`] instead of a panic or a hang.

use super::shader::Multiply;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Environment variable: a substring of the adapter name to use.
pub const ADAPTER_VAR: &str = "SIMSGD_ADAPTER";

/// The longest a single queue wait may take before the run is abandoned.
const WAIT: Duration = Duration::from_secs(300);

/// Passes a [`Timer`] times before its timestamps are read back.
const TIMED_PASSES: u32 = 64;

/// An open device and its queue.
pub struct Gpu {
    pub(super) device: wgpu::Device,
    pub(super) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    errors: Arc<Mutex<Vec<String>>>,
    multiply: Multiply,
    /// Nanoseconds per timestamp tick, where the device has timestamp queries.
    tick_ns: Option<f64>,
    /// Kernel time measured so far, in nanoseconds.
    kernel_ns: AtomicU64,
    /// Compute passes submitted so far.
    passes: AtomicU64,
}

/// Timestamps of compute passes: a pair of queries per pass, resolved into
/// 256-byte slots ([`wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT`]) and read back
/// every [`TIMED_PASSES`] passes, or when the owner finishes.
pub(super) struct Timer {
    set: wgpu::QuerySet,
    resolved: wgpu::Buffer,
    used: u32,
}

/// A GPU error on one line (wgpu's messages span several).
fn gpu_error(message: impl Into<String>) -> Error {
    Error::Gpu(message.into().split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Vulkan's adapters, in its order; an error where there are none.
fn adapters() -> Result<Vec<wgpu::Adapter>> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN));
    if adapters.is_empty() {
        return Err(gpu_error("no Vulkan adapter found (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers)"));
    }
    Ok(adapters)
}

/// Preference among adapter kinds: real GPUs first, software last.
fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

impl Gpu {
    /// Opens the best adapter (or the one whose name contains `$SIMSGD_ADAPTER`).
    pub fn open() -> Result<Gpu> {
        let wanted = std::env::var(ADAPTER_VAR).ok().filter(|s| !s.is_empty());
        let adapters = adapters()?;
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        let adapter = adapters
            .into_iter()
            .filter(|a| wanted.as_ref().is_none_or(|w| a.get_info().name.to_lowercase().contains(&w.to_lowercase())))
            .min_by_key(|a| rank(a.get_info().device_type))
            .ok_or_else(|| {
                gpu_error(format!(
                    "no adapter matches {ADAPTER_VAR}={} (found: {})",
                    wanted.as_deref().unwrap_or(""),
                    names.join(", ")
                ))
            })?;
        Self::on(adapter)
    }

    /// Opens the adapters at `indices` of Vulkan's list (`--devices 0,2`),
    /// or (`None`) every hardware adapter, or every adapter where none is
    /// hardware (`--devices all`); an index beyond the list is an error that
    /// lists them.
    pub fn open_several(indices: Option<&[usize]>) -> Result<Vec<Gpu>> {
        let adapters = adapters()?;
        let chosen: Vec<&wgpu::Adapter> = match indices {
            Some(indices) => {
                let listed = || {
                    let names = adapters.iter().enumerate().map(|(i, a)| format!("{i}: {}", a.get_info().name));
                    names.collect::<Vec<_>>().join(", ")
                };
                let at = |&i: &usize| {
                    adapters.get(i).ok_or_else(|| {
                        crate::error::usage(format!("--devices {i}: there is no adapter {i} (found {})", listed()))
                    })
                };
                indices.iter().map(at).collect::<Result<_>>()?
            }
            None => {
                let hardware = |a: &&wgpu::Adapter| a.get_info().device_type != wgpu::DeviceType::Cpu;
                let hard: Vec<&wgpu::Adapter> = adapters.iter().filter(hardware).collect();
                if hard.is_empty() {
                    adapters.iter().collect()
                } else {
                    hard
                }
            }
        };
        chosen.into_iter().map(|a| Self::on(a.clone())).collect()
    }

    /// Opens a device on `adapter`.
    fn on(adapter: wgpu::Adapter) -> Result<Gpu> {
        let info = adapter.get_info();
        // 64-bit integers where the adapter has them: Philox's products in one multiply.
        let int64 = adapter.features() & wgpu::Features::SHADER_INT64;
        let multiply = if int64.is_empty() { Multiply::Emulated } else { Multiply::Native };
        // Kernel times from timestamps around each compute pass, where it has them.
        let timestamps = adapter.features() & wgpu::Features::TIMESTAMP_QUERY;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("simsgd"),
            required_features: int64 | timestamps,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| gpu_error(format!("cannot open {}: {e}", info.name)))?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(e.to_string());
        }));
        let sink = errors.clone();
        device.set_device_lost_callback(move |reason, message| {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(format!("device lost ({reason:?}): {message}"));
        });
        let tick_ns = (!timestamps.is_empty()).then(|| queue.get_timestamp_period() as f64);
        Ok(Gpu {
            device,
            queue,
            info,
            errors,
            multiply,
            tick_ns,
            kernel_ns: AtomicU64::new(0),
            passes: AtomicU64::new(0),
        })
    }

    /// "name (backend, driver info)".
    pub fn describe(&self) -> String {
        let i = &self.info;
        let driver = [i.driver.as_str(), i.driver_info.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            "{} ({:?}, {:?}{})",
            i.name,
            i.backend,
            i.device_type,
            if driver.is_empty() { String::new() } else { format!(", {driver}") }
        )
    }

    /// How its kernels form Philox's 64-bit products.
    pub fn multiply(&self) -> Multiply {
        self.multiply
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Whether this is a software rasteriser (lavapipe), not a real GPU.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Largest storage buffer binding the device allows.
    pub(super) fn max_binding(&self) -> u64 {
        self.device.limits().max_storage_buffer_binding_size.min(self.device.limits().max_buffer_size)
    }

    /// Fails with the first error the device reported since the last check.
    pub(super) fn check(&self) -> Result<()> {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        let first = errors.drain(..).next();
        match first {
            Some(e) => Err(gpu_error(e)),
            None => Ok(()),
        }
    }

    /// Waits, with a time limit, for submission `index` (and those before it).
    pub(super) fn wait_for(&self, index: wgpu::SubmissionIndex) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: Some(WAIT) })
            .map_err(|e| gpu_error(format!("the device did not finish its work: {e}")))?;
        self.check()
    }

    /// Kernel time measured so far by timestamp queries, in seconds; `None`
    /// where the device has no timestamp queries.
    pub fn kernel_seconds(&self) -> Option<f64> {
        self.tick_ns.map(|_| self.kernel_ns.load(Ordering::Relaxed) as f64 * 1e-9)
    }

    /// Compute passes submitted so far (`Gpu::dispatch`): what a fused
    /// sweep saves, counted.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// A timer for compute passes, where the device has timestamp queries.
    pub(super) fn timer(&self) -> Option<Timer> {
        self.tick_ns?;
        let set = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("kernel times"),
            ty: wgpu::QueryType::Timestamp,
            count: 2 * TIMED_PASSES,
        });
        let resolved = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resolved kernel times"),
            size: TIMED_PASSES as u64 * wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        Some(Timer { set, resolved, used: 0 })
    }

    /// Adds the passes `timer` has timed to the kernel time and empties it
    /// (waiting for them to finish).
    pub(super) fn harvest(&self, timer: &mut Timer) -> Result<()> {
        if timer.used == 0 {
            return Ok(());
        }
        const STRIDE: usize = (wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT / 8) as usize;
        let ticks: Vec<u64> = self.read(&timer.resolved, timer.used as usize * STRIDE)?;
        let total: u64 = ticks.chunks(STRIDE).map(|slot| slot[1].saturating_sub(slot[0])).sum();
        let ns = total as f64 * self.tick_ns.unwrap_or(0.0);
        self.kernel_ns.fetch_add(ns as u64, Ordering::Relaxed);
        timer.used = 0;
        Ok(())
    }

    /// Submits one compute pass of `pipeline` over `groups` workgroups (x, y)
    /// with `group` bound, timed by `timer` if given.
    pub(super) fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        (gx, gy): (u32, u32),
        mut timer: Option<&mut Timer>,
    ) -> Result<wgpu::SubmissionIndex> {
        if let Some(t) = timer.as_deref_mut().filter(|t| t.used == TIMED_PASSES) {
            self.harvest(t)?;
        }
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let timestamp_writes = timer.as_deref().map(|t| wgpu::ComputePassTimestampWrites {
                query_set: &t.set,
                beginning_of_pass_write_index: Some(2 * t.used),
                end_of_pass_write_index: Some(2 * t.used + 1),
            });
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        if let Some(t) = timer {
            let slot = t.used as u64 * wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT;
            encoder.resolve_query_set(&t.set, 2 * t.used..2 * t.used + 2, &t.resolved, slot);
            t.used += 1;
        }
        self.passes.fetch_add(1, Ordering::Relaxed);
        Ok(self.queue.submit([encoder.finish()]))
    }

    /// A storage buffer of `bytes` (at least 16) that can be copied from.
    pub(super) fn storage(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(16).next_multiple_of(16),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A uniform buffer holding `value`'s bytes, updated with `queue.write_buffer`.
    pub(super) fn uniform(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.len() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, bytes);
        buffer
    }

    /// Copies the first `count` elements of `src` back to the host.
    pub(super) fn read<T: bytemuck::Pod>(&self, src: &wgpu::Buffer, count: usize) -> Result<Vec<T>> {
        let bytes = (count * std::mem::size_of::<T>()) as u64;
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size: bytes.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(src, 0, &staging, 0, staging.size());
        let index = self.queue.submit([encoder.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait_for(index)?;
        rx.recv()
            .map_err(|_| gpu_error("read-back was cancelled"))?
            .map_err(|e| gpu_error(format!("cannot map a read-back buffer: {e}")))?;
        let view = staging.slice(..).get_mapped_range().map_err(|e| gpu_error(format!("cannot read back: {e}")))?;
        let out = bytemuck::cast_slice::<u8, T>(&view[..bytes as usize]).to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }

    /// Compiles WGSL, reporting a validation error as an [`Error::Gpu`].
    pub(super) fn module(&self, label: &str, source: String) -> Result<wgpu::ShaderModule> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(gpu_error(format!("shader {label} does not compile: {e}"))),
            None => Ok(module),
        }
    }
}

/// A bind group layout of one uniform buffer (binding 0) and `storage` storage
/// buffers (bindings 1..), for compute.
pub(super) fn layout(gpu: &Gpu, storage: u32) -> wgpu::BindGroupLayout {
    let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    };
    let entries: Vec<_> = std::iter::once(entry(0, wgpu::BufferBindingType::Uniform))
        .chain((1..=storage).map(|b| entry(b, wgpu::BufferBindingType::Storage { read_only: false })))
        .collect();
    gpu.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: None, entries: &entries })
}

/// Compute pipelines for the named entry points of `module`, on `layout`,
/// with the given values of its `override` constants.
pub(super) fn pipelines<const N: usize>(
    gpu: &Gpu,
    module: &wgpu::ShaderModule,
    layout: &wgpu::BindGroupLayout,
    entries: [&str; N],
    constants: &[(&str, f64)],
) -> Result<[wgpu::ComputePipeline; N]> {
    let pipeline_layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: None,
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = entries.map(|entry| {
        gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pipeline_layout),
            module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions { constants, ..Default::default() },
            cache: None,
        })
    });
    match pollster::block_on(scope.pop()) {
        Some(e) => Err(gpu_error(format!("cannot build the compute pipelines: {e}"))),
        None => Ok(out),
    }
}

/// A bind group of `buffers` in binding order (the first is the uniform).
pub(super) fn bind(gpu: &Gpu, layout: &wgpu::BindGroupLayout, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<_> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
        .collect();
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout, entries: &entries })
}

/// Workgroup counts (x, y) covering `groups` workgroups within the 65535 limit per dimension.
pub(super) fn grid_2d(groups: u32) -> (u32, u32) {
    let x = groups.clamp(1, 65535);
    (x, groups.div_ceil(x))
}
