//! WGSL sources, one file per concern under shaders/, assembled at load time.

const PHILOX: &str = include_str!("../../../shaders/philox.wgsl");
const MATH: &str = include_str!("../../../shaders/math.wgsl");
const SIMULATE: &str = include_str!("../../../shaders/simulate.wgsl");
const PROBE: &str = include_str!("../../../shaders/probe.wgsl");

/// The trajectory kernels for a landscape given by its WGSL.
pub fn simulate(landscape: &str) -> String {
    [PHILOX, MATH, landscape, SIMULATE].join("\n")
}

/// The random-number probe.
pub fn probe() -> String {
    [PHILOX, MATH, PROBE].join("\n")
}
