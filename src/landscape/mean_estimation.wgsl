// Mean Estimation: l_x(theta) = H theta^2 / 2 + x S theta, params (H, S)
// (src/landscape/mean_estimation.rs), read by name (param_H, param_S).

fn loss(t: vec4<f32>, x: f32) -> f32 {
    return 0.5 * param_H() * t.x * t.x + x * param_S() * t.x;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    return vec4<f32>(param_H() * t.x + x * param_S(), 0.0, 0.0, 0.0);
}

fn hess(t: vec4<f32>, x: f32) -> mat3x3<f32> {
    return mat3x3<f32>(param_H(), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}
