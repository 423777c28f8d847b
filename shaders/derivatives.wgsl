// A landscape's WGSL derivatives, for checking against the CPU's exact ones
// (src/backend/gpu/probe.rs): for point i < count, theta in the xyz of
// points[i] and the sample x in samples[i] (a scalar in its x; a vector
// sample's coordinates in order), out[4 i] = grad(theta, x) and out[4 i + 1 + c] =
// column c of hess(theta, x). Assembled after the generated constants,
// math.wgsl, the landscape's generated DIM and param_NAME() and its WGSL.

struct Config {
    params: array<vec4<f32>, MAX_PARAMS / 4u>, // read through param_NAME()
    count: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read_write> points: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> samples: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

// The landscape's parameter slot i (its generated param_NAME()).
fn param_slot(i: u32) -> f32 {
    return cfg.params[i >> 2u][i & 3u];
}

@compute @workgroup_size(WG)
fn probe_derivatives(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < cfg.count) {
        let t = vec4<f32>(points[i].xyz, 0.0);
        let x = point_of(samples[i], 0u);
        let h = hess(t, x);
        out[4u * i] = grad(t, x);
        out[4u * i + 1u] = vec4<f32>(h[0], 0.0);
        out[4u * i + 2u] = vec4<f32>(h[1], 0.0);
        out[4u * i + 3u] = vec4<f32>(h[2], 0.0);
    }
}
