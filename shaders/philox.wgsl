// Philox4x32-10 and the normal sampler: the device side of src/rng.rs.
//
// mulhi (the high word of a 32x32 -> 64-bit product) comes before this file:
// native where the adapter has 64-bit integers (mulhi_native.wgsl), else
// built from 16-bit halves (mulhi_emulated.wgsl), chosen when the pipeline is
// built (src/backend/gpu/shader.rs). The words equal the CPU's bit for bit; the normals agree to a
// few f32 ulps (the CPU works in f64). PHILOX_M0, PHILOX_M1, PHILOX_W0 and
// PHILOX_W1 come from src/rng.rs through the generated prelude
// (src/backend/gpu/shader.rs).

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round++) {
        if (round > 0u) {
            k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
        }
        let hi0 = mulhi(PHILOX_M0, c.x);
        let lo0 = PHILOX_M0 * c.x;
        let hi1 = mulhi(PHILOX_M1, c.z);
        let lo1 = PHILOX_M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

const TWO_M32: f32 = 2.3283064365386963e-10;

// The Fisher-Yates swap partner of position j (top down) in epoch `epoch`'s
// order of n items for `id`: floor(word(epoch n + j) (j + 1) / 2^32) of
// Stream::Shuffle (src/rng.rs's `shuffle`). `block` and `words` carry the
// current Philox block from one call to the next (start with block NONE).
fn shuffle_partner(seed: vec2<u32>, id: u32, epoch: u32, n: u32, j: u32, block: ptr<function, u32>, words: ptr<function, vec4<u32>>) -> u32 {
    let e = epoch * n + j;
    if ((e >> 2u) != *block) {
        *block = e >> 2u;
        *words = rng_block(seed, id, STREAM_SHUFFLE, *block);
    }
    return mulhi((*words)[e & 3u], j + 1u);
}

// atanh(s) for |s| <= 1/3, by its odd series up to s^17 (error below 1e-9):
// the logarithms near 1 below (and the network kernel's log1p) go through it.
fn atanh_small(s: f32) -> f32 {
    let s2 = s * s;
    var p = 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    return s * p;
}

// -2 ln u for u = (r + 1/2) 2^-32, accurate to f32 rounding over all of (0, 1):
// for u >= 1/2, ln u = ln(1 - y) = -2 atanh(y / (2 - y)) with y formed exactly.
fn neg2_ln_uniform(r: u32) -> f32 {
    if (r < 0x80000000u) {
        return -2.0 * log((f32(r) + 0.5) * TWO_M32);
    }
    let y = (f32(~r) + 0.5) * TWO_M32;
    return 4.0 * atanh_small(y / (2.0 - y));
}

// (cos 2 pi phi, sin 2 pi phi) for phi = r 2^-32: the quadrant is the top two
// bits of r and the rest is folded to [0, pi/4], so the reduction is exact.
fn turn_cos_sin(r: u32) -> vec2<f32> {
    var f = r & 0x3FFFFFFFu;
    let upper = f > 0x20000000u;
    if (upper) {
        f = 0x40000000u - f;
    }
    let folded = sincos_reduced(f32(f) * 1.4629180792671596e-9); // 2^-30 * pi/2
    // (sin a, cos a) of the angle a within the quadrant.
    var sc = folded;
    if (upper) {
        sc = vec2<f32>(folded.y, folded.x);
    }
    let q = r >> 30u;
    var cs = vec2<f32>(sc.y, sc.x);
    if (q == 1u) {
        cs = vec2<f32>(-sc.x, sc.y);
    } else if (q == 2u) {
        cs = vec2<f32>(-sc.y, -sc.x);
    } else if (q == 3u) {
        cs = vec2<f32>(sc.x, -sc.y);
    }
    return cs;
}

fn box_muller(r_radius: u32, r_angle: u32) -> vec2<f32> {
    return sqrt(neg2_ln_uniform(r_radius)) * turn_cos_sin(r_angle);
}

fn normals4(w: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(box_muller(w.x, w.y), box_muller(w.z, w.w));
}

// Block `block` of (trial, stream), keyed by the seed.
fn rng_block(seed: vec2<u32>, trial: u32, stream: u32, block: u32) -> vec4<u32> {
    return philox(vec4<u32>(block, trial, stream, 0u), seed);
}
