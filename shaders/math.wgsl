// f32 sin and cos with explicit range reduction. Vulkan only promises 2^-11
// absolute error for the built-ins, so the landscapes and the sampler use these.

// (sin a, cos a) for |a| <= pi/4: Taylor series to a^9 and a^10.
fn sincos_reduced(a: f32) -> vec2<f32> {
    let a2 = a * a;
    var s = 1.0 / 362880.0;
    s = s * a2 - 1.0 / 5040.0;
    s = s * a2 + 1.0 / 120.0;
    s = s * a2 - 1.0 / 6.0;
    s = s * a2 + 1.0;
    var c = -1.0 / 3628800.0;
    c = c * a2 + 1.0 / 40320.0;
    c = c * a2 - 1.0 / 720.0;
    c = c * a2 + 1.0 / 24.0;
    c = c * a2 - 0.5;
    c = c * a2 + 1.0;
    return vec2<f32>(s * a, c);
}

// (sin x, cos x): Cody-Waite reduction by pi/2 (accurate for |x| up to ~1e4).
fn sincos(x: f32) -> vec2<f32> {
    let k = round(x * 0.6366197723675814);
    let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
    let sc = sincos_reduced(r);
    let q = u32(i32(k) & 3);
    var out = sc;
    if (q == 1u) {
        out = vec2<f32>(sc.y, -sc.x);
    } else if (q == 2u) {
        out = vec2<f32>(-sc.x, -sc.y);
    } else if (q == 3u) {
        out = vec2<f32>(-sc.y, sc.x);
    }
    return out;
}

// Whether x is inf or NaN (by its bits: WGSL may assume NaN-free comparisons).
fn nonfinite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7F800000u) == 0x7F800000u;
}
