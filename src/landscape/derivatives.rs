//! Exact derivatives of a landscape's per-sample loss by forward-mode automatic
//! differentiation (num-dual): one directional dual number per derivative
//! index, so no derivative is ever written by hand twice.

use super::definition::Landscape;
use num_dual::{Dual64, HyperDual, HyperDual64, HyperHyperDual64};

/// Lifts θ into a dual number type, with `seed(d, x)` building coordinate d.
fn lift<T, const D: usize>(theta: [f64; D], seed: impl Fn(usize, f64) -> T) -> [T; D] {
    std::array::from_fn(|d| seed(d, theta[d]))
}

/// ∇l_x(θ) by dual numbers.
pub fn gradient<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64]) -> [f64; D] {
    std::array::from_fn(|i| {
        let t = lift(theta, |d, v| if d == i { Dual64::from_re(v).derivative() } else { Dual64::from_re(v) });
        l.loss(t, x).eps
    })
}

/// ∇²l_x(θ) by hyper-dual numbers.
pub fn hessian<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64]) -> [[f64; D]; D] {
    std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let t = lift(theta, |d, v| {
                let mut h = HyperDual64::from_re(v);
                if d == i {
                    h = h.derivative1();
                }
                if d == j {
                    h = h.derivative2();
                }
                h
            });
            l.loss(t, x).eps1eps2
        })
    })
}

/// The third derivative ∂³l_x/∂θ_i∂θ_j∂θ_k by hyper-hyper-dual numbers.
pub fn third<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64], [i, j, k]: [usize; 3]) -> f64 {
    let t = lift(theta, |d, v| {
        let mut h = HyperHyperDual64::from_re(v);
        if d == i {
            h = h.derivative1();
        }
        if d == j {
            h = h.derivative2();
        }
        if d == k {
            h = h.derivative3();
        }
        h
    });
    l.loss(t, x).eps1eps2eps3
}

/// The fourth derivative ∂⁴l_x/∂θ_i∂θ_j∂θ_k∂θ_m by hyper-dual numbers nested in
/// hyper-dual numbers (the inner pair carries i, j; the outer pair k, m).
pub fn fourth<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64], [i, j, k, m]: [usize; 4]) -> f64 {
    let unit = |on: bool| if on { 1.0 } else { 0.0 };
    let t = lift(theta, |d, v| {
        let inner = HyperDual64::new(v, unit(d == i), unit(d == j), 0.0);
        HyperDual::new(inner, HyperDual64::from(unit(d == k)), HyperDual64::from(unit(d == m)), HyperDual64::from(0.0))
    });
    l.loss(t, x).eps1eps2.eps1eps2
}
