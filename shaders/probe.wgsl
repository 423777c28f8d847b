// Device random numbers for checking against the CPU's (src/backend/gpu/probe.rs):
// for block b < count, the words and normals of (seed, trial, stream, b).

struct Probe {
    seed: vec2<u32>,
    trial: u32,
    stream: u32,
    count: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> probe: Probe;
@group(0) @binding(1) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> normals: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn probe_rng(@builtin(global_invocation_id) gid: vec3<u32>) {
    let b = gid.x;
    if (b < probe.count) {
        let w = rng_block(probe.seed, probe.trial, probe.stream, b);
        words[b] = w;
        normals[b] = normals4(w);
    }
}
