// Shifting Valleys: l_x(A, B) = A + (B - A x)^2 - A^2 (src/landscape/shifting_valleys.rs).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    let r = t.y - t.x * x;
    return t.x + r * r - t.x * t.x;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    let r = t.y - t.x * x;
    return vec4<f32>(1.0 - 2.0 * x * r - 2.0 * t.x, 2.0 * r, 0.0, 0.0);
}

// With r = B - A x: d2/dA2 = 2 x^2 - 2, d2/dAdB = -2 x, d2/dB2 = 2.
fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    let ab = -2.0 * x;
    return mat3x3<f32>(2.0 * x * x - 2.0, ab, 0.0, ab, 2.0, 0.0, 0.0, 0.0, 0.0);
}
