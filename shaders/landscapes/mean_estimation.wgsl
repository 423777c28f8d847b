// Mean Estimation: l_x(theta) = H theta^2 / 2 + x S theta, params (H, S)
// (src/landscape/mean_estimation.rs).

const DIM: u32 = 1u;

fn loss(t: vec4<f32>, x: f32) -> f32 {
    return 0.5 * cfg.params.x * t.x * t.x + x * cfg.params.y * t.x;
}

fn grad(t: vec4<f32>, x: f32) -> vec4<f32> {
    return vec4<f32>(cfg.params.x * t.x + x * cfg.params.y, 0.0, 0.0, 0.0);
}
