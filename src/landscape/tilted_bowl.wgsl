// Tilted Bowl: l_x(a, b) = (a^2 + 2 b^2) / 2 + x^2 a b / 2 + S x (a + b), param S
// (src/landscape/tilted_bowl.rs).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    let q = 0.5 * x * x;
    return 0.5 * (t.x * t.x + 2.0 * t.y * t.y) + q * t.x * t.y + param_S() * x * (t.x + t.y);
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    let q = 0.5 * x * x;
    let n = param_S() * x;
    return vec4<f32>(t.x + q * t.y + n, 2.0 * t.y + q * t.x + n, 0.0, 0.0);
}

// [[1, q], [q, 2]], q = x^2 / 2.
fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    let q = 0.5 * x * x;
    return mat3x3<f32>(1.0, q, 0.0, q, 2.0, 0.0, 0.0, 0.0, 0.0);
}
