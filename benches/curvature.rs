//! Seed 003's curvature on one core (issue 15's speed targets): at a
//! Gauss-10 run's θ₀ (p = 1150, n = 100, He init), the exact Hessian H_f
//! from p Hessian-vector products, its full eigendecomposition by faer, the
//! top 15 pairs by Lanczos, and M's spectrum through its 100 × 100 Gram
//! matrix. Each is timed as the best of five in this one thread (the figures
//! spread runs over cores with rayon; nothing here is parallel). Run with
//! `cargo bench --bench curvature`.

use simsgd::eigen;
use simsgd::network::curvature::{Curvature, Head};
use simsgd::network::gauss_k::GaussK;
use simsgd::network::mlp::{Init, Mlp};
use std::time::Instant;

/// The best of five timings of `work`, in seconds, and its last result.
fn best<T>(mut work: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut fastest = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        out = Some(work());
        fastest = fastest.min(start.elapsed().as_secs_f64());
    }
    (fastest, out.expect("five runs"))
}

fn main() {
    let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.0) }.generate().expect("Gauss-10");
    let mlp = Mlp::paper(10).expect("the paper's MLP");
    let p = mlp.params();
    let theta = mlp.init(Init::He, 1, 0);
    let all: Vec<usize> = (0..data.train.len()).collect();
    let c = Curvature::new(&mlp, &theta, &data.train, &all, Head::Loss);
    println!("# seed 003 curvature, Gauss-10 (p = {p}, n = {}), one thread, best of 5", all.len());
    let mut out = vec![0.0; p];
    let (t, _) = best(|| c.hvp(&theta, &mut out));
    println!("- one Hessian-vector product: {:.3} ms", t * 1e3);
    let (t_h, h) = best(|| c.hessian());
    println!("- exact Hessian (p products): {t_h:.3} s");
    let (t_e, e) = best(|| eigen::pairs(&h, p).expect("eigenpairs"));
    println!("- full eigendecomposition (faer): {t_e:.3} s; Hessian + eigenpairs {:.3} s", t_h + t_e);
    let (t_v, _) = best(|| eigen::values(&h, p).expect("eigenvalues"));
    println!("- eigenvalues only (faer): {t_v:.3} s");
    let (t_l, l) = best(|| eigen::lanczos(p, 15, 1e-8, (1, 0), |v, o| c.hvp(v, o)).expect("Lanczos"));
    let gap = (l.eigen.values[14] - e.values[14]).abs() / e.values[0];
    println!("- Lanczos top 15: {:.1} ms, {} products, λ₁₅ off by {gap:.1e} of λ₁", t_l * 1e3, l.products);
    let (t_m, m) = best(|| eigen::gram(&c.sample_gradients(), p, all.len(), all.len() as f64).expect("Gram"));
    println!("- M's spectrum through the Gram matrix: {:.1} ms ({} nonzero)", t_m * 1e3, m.values.len());
}
