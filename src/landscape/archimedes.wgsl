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

// With w_z = c v - s u (the z-derivative of w, whose second is -w) and
// S = a u + b v: d2/du2 = 1 + c^2, d2/dudv = c s, d2/dv2 = 1 + s^2,
// d2/dudz = c w_z - s w - x b, d2/dvdz = s w_z + c w + x a,
// d2/dz2 = w_z^2 - w^2 - x S.
fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    let sc = sincos(t.z);
    let s = sc.x;
    let c = sc.y;
    let w = c * t.x + s * t.y;
    let wz = c * t.y - s * t.x;
    let a = FRAC_1_SQRT_2 * (c + s);
    let b = FRAC_1_SQRT_2 * (s - c);
    let uv = c * s;
    let uz = c * wz - s * w - x * b;
    let vz = s * wz + c * w + x * a;
    let zz = wz * wz - w * w - x * (a * t.x + b * t.y);
    return mat3x3<f32>(1.0 + c * c, uv, uz, uv, 1.0 + s * s, vz, uz, vz, zz);
}
