//! The device's random numbers, read back for comparison with `crate::rng`.

use super::device::{bind, layout, pipelines, Gpu};
use super::shader::{self, Multiply, WG};
use crate::error::Result;
use crate::rng::{key, Stream};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Probe {
    seed: [u32; 2],
    trial: u32,
    stream: u32,
    count: u32,
    pad: [u32; 3],
}

/// Blocks of a random stream as the device computes them.
pub struct Blocks {
    /// The four Philox words of each block.
    pub words: Vec<[u32; 4]>,
    /// The four normals of each block.
    pub normals: Vec<[f32; 4]>,
}

/// Blocks `0..count` of `(seed, trial, stream)`, as the device computes them
/// with its products formed the `multiply` way.
pub fn rng_blocks(gpu: &Gpu, multiply: Multiply, seed: u64, trial: u32, stream: Stream, count: u32) -> Result<Blocks> {
    let module = gpu.module("probe", shader::probe(multiply))?;
    let layout = layout(gpu, 2);
    let [pipeline] = pipelines(gpu, &module, &layout, ["probe_rng"], &[])?;
    let cfg = Probe { seed: key(seed), trial, stream: stream as u32, count, pad: [0; 3] };
    let uniform = gpu.uniform("probe", bytemuck::bytes_of(&cfg));
    let words = gpu.storage("words", 16 * count as u64);
    let normals = gpu.storage("normals", 16 * count as u64);
    let group = bind(gpu, &layout, &[&uniform, &words, &normals]);
    gpu.dispatch(&pipeline, &group, (count.div_ceil(WG as u32), 1), None)?;
    Ok(Blocks { words: gpu.read(&words, count as usize)?, normals: gpu.read(&normals, count as usize)? })
}
