//! The device's random numbers and landscape derivatives, read back for
//! comparison with `crate::rng` and `crate::landscape::derivatives`.

use super::device::{bind, layout, pipelines, Gpu};
use super::shader::{self, Multiply, MAX_PARAMS, WG};
use crate::error::Result;
use crate::landscape::limits::MAX_SAMPLE;
use crate::landscape::Landscape;
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

/// The uniform block of shaders/derivatives.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DerivativesProbe {
    params: [[f32; 4]; MAX_PARAMS / 4],
    count: u32,
    pad: [u32; 3],
}

/// A per-sample gradient ∇l_x(θ) and Hessian ∇²l_x(θ) as the device computes
/// them (f32, widened).
pub struct Derivatives<const D: usize> {
    pub grad: [f64; D],
    pub hess: [[f64; D]; D],
    /// The largest |entry| of the device's `vec4` gradient and 3×3 Hessian
    /// beyond the D weights: 0, as the kernels' padded solve needs.
    pub beyond: f64,
}

/// The landscape's WGSL `grad` and `hess` at each point (θ, x), x's
/// coordinates first (one for a scalar sample), with its parameters as the
/// simulator passes them (f32).
pub fn derivatives<L: Landscape<D>, const D: usize>(
    gpu: &Gpu,
    landscape: &L,
    points: &[([f64; D], [f64; MAX_SAMPLE])],
) -> Result<Vec<Derivatives<D>>> {
    let module = gpu.module(landscape.name(), shader::derivatives(landscape))?;
    let layout = layout(gpu, 3);
    let [pipeline] = pipelines(gpu, &module, &layout, ["probe_derivatives"], &[])?;
    let mut cfg = DerivativesProbe { params: [[0.0; 4]; MAX_PARAMS / 4], count: points.len() as u32, pad: [0; 3] };
    for (i, v) in landscape.params().into_iter().enumerate() {
        cfg.params[i / 4][i % 4] = v as f32;
    }
    let thetas: Vec<[f32; 4]> =
        points.iter().map(|(theta, _)| std::array::from_fn(|d| theta.get(d).map_or(0.0, |t| *t as f32))).collect();
    let samples: Vec<[f32; 4]> = points.iter().map(|(_, x)| x.map(|v| v as f32)).collect();
    let uniform = gpu.uniform("derivatives", bytemuck::bytes_of(&cfg));
    let input = gpu.storage("points", 16 * points.len() as u64);
    gpu.queue.write_buffer(&input, 0, bytemuck::cast_slice(&thetas));
    let xs = gpu.storage("samples", 16 * points.len() as u64);
    gpu.queue.write_buffer(&xs, 0, bytemuck::cast_slice(&samples));
    let out = gpu.storage("derivatives", 64 * points.len() as u64);
    let group = bind(gpu, &layout, &[&uniform, &input, &xs, &out]);
    gpu.dispatch(&pipeline, &group, ((points.len() as u32).div_ceil(WG as u32).max(1), 1), None)?;
    let raw: Vec<[[f32; 4]; 4]> = gpu.read(&out, points.len())?;
    Ok(raw
        .iter()
        .map(|[g, h @ ..]| {
            let outside = (0..4)
                .map(|a| if a < D { 0.0 } else { g[a] })
                .chain((0..3).flat_map(|a| (0..3).map(move |b| if a < D && b < D { 0.0 } else { h[b][a] })));
            Derivatives {
                grad: std::array::from_fn(|a| g[a] as f64),
                hess: std::array::from_fn(|a| std::array::from_fn(|b| h[b][a] as f64)),
                beyond: outside.fold(0.0f64, |m, v| m.max((v as f64).abs())),
            }
        })
        .collect())
}
