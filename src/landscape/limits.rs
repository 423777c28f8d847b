//! What a landscape may ask of the simulators' kernels, checked for every
//! registry entry when the crate is compiled (`registry!`), whether or not the
//! GPU backend is built: a landscape is valid for every backend or none.
//! Also the CPU kernels' block width, which a landscape's
//! `Landscape::grad_lanes` evaluates at once.

/// Most weights a landscape may have: on the GPU θ is one `vec4<f32>`, and a
/// curve record packs (test loss, θ) into another.
pub const MAX_DIM: usize = 3;
/// Most parameters a landscape may have: the GPU's uniform block packs them
/// into `MAX_PARAMS / 4` `vec4<f32>`.
pub const MAX_PARAMS: usize = 4;

/// Most coordinates of a training point (x1..x4): on the GPU a vector sample
/// is one `vec4<f32>`, drawn from one Philox block.
pub const MAX_SAMPLE: usize = 4;

/// Trials simulated together in one structure-of-arrays block by the CPU
/// backend (`crate::backend::footprint::LANES`): the width of
/// `Landscape::grad_lanes`.
pub const LANES: usize = 8;
