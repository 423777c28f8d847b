// Gauss: l_x(h) = (h + x^2 e^-h) / 2 (src/landscape/gauss.rs).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    return 0.5 * (t.x + x * x * exp(-t.x));
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    return vec4<f32>(0.5 * (1.0 - x * x * exp(-t.x)), 0.0, 0.0, 0.0);
}

// d^2/dh^2: x^2 e^-h / 2.
fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    return mat3x3<f32>(0.5 * x * x * exp(-t.x), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}
