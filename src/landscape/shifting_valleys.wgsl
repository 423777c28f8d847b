// Shifting Valleys: l_x(A, B) = A + (B - A x)^2 - A^2 (src/landscape/shifting_valleys.rs).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    let r = t.y - t.x * x;
    return t.x + r * r - t.x * t.x;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    let r = t.y - t.x * x;
    return vec4<f32>(1.0 - 2.0 * x * r - 2.0 * t.x, 2.0 * r, 0.0, 0.0);
}
