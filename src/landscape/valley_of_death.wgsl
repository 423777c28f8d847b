// Valley of Death: l_x(A, B) = A + (B - A x)^4 - 3 A^4 (src/landscape/valley_of_death.rs).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    let r = t.y - t.x * x;
    let r2 = r * r;
    let a2 = t.x * t.x;
    return t.x + r2 * r2 - 3.0 * a2 * a2;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    let r = t.y - t.x * x;
    let r3 = r * r * r;
    return vec4<f32>(1.0 - 4.0 * x * r3 - 12.0 * t.x * t.x * t.x, 4.0 * r3, 0.0, 0.0);
}

// With r = B - A x: d2/dA2 = 12 x^2 r^2 - 36 A^2, d2/dAdB = -12 x r^2, d2/dB2 = 12 r^2.
fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    let r = t.y - t.x * x;
    let r2 = 12.0 * r * r;
    let ab = -x * r2;
    return mat3x3<f32>(x * x * r2 - 36.0 * t.x * t.x, ab, 0.0, ab, r2, 0.0, 0.0, 0.0, 0.0);
}
