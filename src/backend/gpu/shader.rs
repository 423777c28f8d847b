//! WGSL sources, assembled at load time, and the Rust ↔ WGSL contract.
//!
//! The shared kernels live under shaders/ (philox, math, simulate, network,
//! probe, derivatives); each landscape's `loss`, `grad` and `hess` live beside its Rust file
//! ([`Landscape::wgsl`]). Everything both sides must agree on is a Rust
//! constant, here or in its Rust home (`crate::rng`, `crate::quadrature`), and
//! reaches the shaders only through a generated prelude, so the two cannot
//! drift:
//!
//! * [`constants`]: the workgroup size, the divergence flag bits, the
//!   `DYNAMICS` and `UPDATE` codes, the random streams' ids, Philox's constants and the
//!   array bounds of the uniform block ([`MAX_FUSED`] configurations);
//! * the network study's sizes, layer offsets and streams, per network
//!   (`super::network`'s prelude);
//! * [`landscape`]: per landscape, `DIM` and one accessor per parameter by
//!   name, `fn param_H() -> f32` (reading `param_slot(i)`, which the kernel
//!   it is assembled into defines), so a landscape's WGSL never indexes its
//!   parameters by position.
//!
//! What a landscape may ask of the kernels ([`MAX_DIM`], [`MAX_PARAMS`],
//! `crate::quadrature::MAX_NODES`) is checked when the crate is compiled, by
//! the `registry!` of `crate::landscape`.

use crate::landscape::Landscape;
use crate::quadrature::MAX_NODES;
use crate::rng::{self, Stream};
use std::fmt::Write;

const PHILOX: &str = include_str!("../../../shaders/philox.wgsl");
const MATH: &str = include_str!("../../../shaders/math.wgsl");
const SIMULATE: &str = include_str!("../../../shaders/simulate.wgsl");
const PROBE: &str = include_str!("../../../shaders/probe.wgsl");
const DERIVATIVES: &str = include_str!("../../../shaders/derivatives.wgsl");
const NETWORK: &str = include_str!("../../../shaders/network.wgsl");
const MULHI_NATIVE: &str = include_str!("../../../shaders/mulhi_native.wgsl");
const MULHI_EMULATED: &str = include_str!("../../../shaders/mulhi_emulated.wgsl");

/// How Philox's 32×32 → 64-bit products are formed on a device: both give
/// the same words bit for bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multiply {
    /// One 64-bit multiply, where the adapter has `SHADER_INT64`.
    Native,
    /// From 16-bit halves (WGSL core has no 64-bit integers).
    Emulated,
}

impl Multiply {
    fn source(self) -> &'static str {
        match self {
            Multiply::Native => MULHI_NATIVE,
            Multiply::Emulated => MULHI_EMULATED,
        }
    }
}

/// Invocations per workgroup of every kernel.
pub const WG: u64 = 64;
/// Flag bit of a trial whose weights or losses left the bounds (or are not finite).
pub const DIVERGED: u32 = 1;
/// Flag bit, set with [`DIVERGED`], of a trial whose final θ or a loss is not finite.
pub const NONFINITE: u32 = 2;
/// `DYNAMICS` code of a pipeline for grid steps (SGD, GD).
pub const DYNAMICS_GRID: u32 = 0;
/// `DYNAMICS` code of a pipeline for SDE substeps.
pub const DYNAMICS_SDE: u32 = 1;
/// `DYNAMICS` code of a pipeline for ODE substeps.
pub const DYNAMICS_ODE: u32 = 2;
/// `UPDATE` code of a grid pipeline whose steps are θ ← θ − η ḡ
/// ([`Update::Gradient`](crate::optimizer::Update::Gradient), and momentum at
/// β = 0, invhess at λ = 0).
pub const UPDATE_GRADIENT: u32 = 0;
/// `UPDATE` code of heavy-ball steps θ_{t+1} = θ_t − η ḡ_t + β(θ_t − θ_{t−1}).
pub const UPDATE_HEAVY_BALL: u32 = 1;
/// `UPDATE` code of heavy-ball steps with ḡ_t at θ_t + β(θ_t − θ_{t−1}) (Nesterov).
pub const UPDATE_NESTEROV: u32 = 2;
/// `UPDATE` code of invhess steps θ ← θ − s, (η⁻¹ I + λ h̄_t) s = ḡ_t.
pub const UPDATE_INVERSE_HESSIAN: u32 = 3;
pub use crate::landscape::limits::{MAX_DIM, MAX_PARAMS};
/// Points of a sweep that one dispatch of shaders/simulate.wgsl runs at most:
/// the length of its uniform array of configurations (`cfgs`, 272 bytes
/// each, 8.5 KiB in all, within the 16 KiB every adapter binds).
pub const MAX_FUSED: usize = 32;

const _: () = assert!(
    MAX_PARAMS.is_multiple_of(4) && MAX_NODES.is_multiple_of(4),
    "the uniform block packs params and nodes by vec4"
);

/// The shared constants, as WGSL.
pub fn constants() -> String {
    let decimal: [(&str, u64); 16] = [
        ("WG", WG),
        ("DIVERGED", DIVERGED.into()),
        ("NONFINITE", NONFINITE.into()),
        ("DYNAMICS_GRID", DYNAMICS_GRID.into()),
        ("DYNAMICS_SDE", DYNAMICS_SDE.into()),
        ("DYNAMICS_ODE", DYNAMICS_ODE.into()),
        ("UPDATE_GRADIENT", UPDATE_GRADIENT.into()),
        ("UPDATE_HEAVY_BALL", UPDATE_HEAVY_BALL.into()),
        ("UPDATE_NESTEROV", UPDATE_NESTEROV.into()),
        ("UPDATE_INVERSE_HESSIAN", UPDATE_INVERSE_HESSIAN.into()),
        ("STREAM_DATA", Stream::Data as u64),
        ("STREAM_NOISE", Stream::Noise as u64),
        ("STREAM_SHUFFLE", Stream::Shuffle as u64),
        ("MAX_NODES", MAX_NODES as u64),
        ("MAX_PARAMS", MAX_PARAMS as u64),
        ("MAX_FUSED", MAX_FUSED as u64),
    ];
    let hex: [(&str, u64); 4] =
        [("PHILOX_M0", rng::M0), ("PHILOX_M1", rng::M1), ("PHILOX_W0", rng::W0.into()), ("PHILOX_W1", rng::W1.into())];
    let mut out = String::from("// Generated from the Rust constants (src/backend/gpu/shader.rs).\n");
    for (name, value) in decimal {
        let _ = writeln!(out, "const {name}: u32 = {}u;", u32::try_from(value).expect("fits a u32"));
    }
    for (name, value) in hex {
        let _ = writeln!(out, "const {name}: u32 = {:#X}u;", u32::try_from(value).expect("fits a u32"));
    }
    out
}

/// What a landscape's WGSL may use besides the shared kernels: `DIM`, its
/// quadrature rule's point count `RULE_LEN` (loops over points unrolled), the
/// nodes per coordinate `RULE_BASE` and the sample's coordinates
/// `SAMPLE_DIM`; the sample's type `Point` (`f32`, or `vec4<f32>` for x1..x4)
/// with `POINTS_PER_BLOCK` points per `data4` block (4 scalars, or one vector
/// from a block's first coordinates) and `point_of(z, i)`, point i of block z;
/// and an accessor `param_NAME()` per parameter, reading its slot
/// `param_slot(i)`.
pub fn landscape<L: Landscape<D>, const D: usize>(l: &L) -> String {
    let rule = l.rule();
    let k = l.sample_dim();
    let mut out = format!(
        "// Generated for {} from its Rust definition.\nconst DIM: u32 = {D}u;\nconst RULE_LEN: u32 = {}u;\n\
         const RULE_BASE: u32 = {}u;\nconst SAMPLE_DIM: u32 = {k}u;\n",
        l.name(),
        rule.len(),
        rule.base.nodes.len(),
    );
    out.push_str(if k == 1 {
        "alias Point = f32;\nconst POINTS_PER_BLOCK: u32 = 4u;\n\
         fn point_of(z: vec4<f32>, i: u32) -> Point {\n    \
         return select(select(z.x, z.y, i == 1u), select(z.z, z.w, i == 3u), i >= 2u);\n}\n"
    } else {
        "alias Point = vec4<f32>;\nconst POINTS_PER_BLOCK: u32 = 1u;\n\
         fn point_of(z: vec4<f32>, i: u32) -> Point {\n    return z;\n}\n"
    });
    for (i, p) in l.describe().params.iter().enumerate() {
        let _ = writeln!(out, "fn param_{}() -> f32 {{ return param_slot({i}u); }}", p.name);
    }
    out
}

/// Everything of a landscape's own in its kernels: the generated prelude
/// ([`landscape`]), its WGSL and its training points' law (`data4`,
/// `crate::data_law`). Two landscapes with the same source share compiled
/// kernels (`super::simulate`'s cache) and may run fused.
pub fn landscape_source<L: Landscape<D>, const D: usize>(l: &L) -> String {
    [landscape(l).as_str(), &l.wgsl(), &l.law().wgsl()].join("\n")
}

/// The trajectory kernels of a landscape whose [`landscape_source`] is `own`.
pub fn simulate(multiply: Multiply, own: &str) -> String {
    [&constants(), multiply.source(), PHILOX, MATH, own, SIMULATE].join("\n")
}

/// The network study's kernel, after its network's generated `prelude`
/// (`super::network`).
pub fn network(multiply: Multiply, prelude: &str) -> String {
    [&constants(), multiply.source(), PHILOX, MATH, prelude, NETWORK].join("\n")
}

/// The random-number probe.
pub fn probe(multiply: Multiply) -> String {
    [&constants(), multiply.source(), PHILOX, MATH, PROBE].join("\n")
}

/// The derivatives probe of a landscape: its WGSL `grad` and `hess` at given points.
pub fn derivatives<L: Landscape<D>, const D: usize>(l: &L) -> String {
    [&constants(), MATH, &landscape(l), &l.wgsl(), DERIVATIVES].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::mean_estimation::MeanEstimation;

    #[test]
    fn parameters_are_read_by_name_from_their_slots() {
        let prelude = landscape(&MeanEstimation { h: 1.0, s: 1.0 });
        assert!(prelude.contains("const DIM: u32 = 1u;"), "{prelude}");
        assert!(prelude.contains("fn param_H() -> f32 { return param_slot(0u); }"), "{prelude}");
        assert!(prelude.contains("fn param_S() -> f32 { return param_slot(1u); }"), "{prelude}");
    }

    #[test]
    fn constants_are_the_rust_values() {
        let c = constants();
        for line in ["const WG: u32 = 64u;", "const STREAM_SHUFFLE: u32 = 2u;", "const PHILOX_M0: u32 = 0xD2511F53u;"] {
            assert!(c.contains(line), "{line} missing from\n{c}");
        }
    }
}
