// Archimedes: l_x(u, v, z) = H/2 + x S (src/landscape/archimedes.rs).

const FRAC_1_SQRT_2: f32 = 0.70710678118654752;

fn loss(t: vec4<f32>, x: f32) -> f32 {
    let sc = sincos(t.z);
    let w = sc.y * t.x + sc.x * t.y;
    let s = FRAC_1_SQRT_2 * ((sc.y + sc.x) * t.x + (sc.x - sc.y) * t.y);
    return 0.5 * (t.x * t.x + t.y * t.y + w * w) + x * s;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    let sc = sincos(t.z);
    let s = sc.x;
    let c = sc.y;
    let w = c * t.x + s * t.y;
    let a = FRAC_1_SQRT_2 * (c + s);
    let b = FRAC_1_SQRT_2 * (s - c);
    return vec4<f32>(
        t.x + w * c + x * a,
        t.y + w * s + x * b,
        w * (c * t.y - s * t.x) + x * (a * t.y - b * t.x),
        0.0,
    );
}
