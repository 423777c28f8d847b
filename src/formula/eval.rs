//! Running a [`Tape`]: over any dual number type (the loss, for exact
//! derivatives of every order), and over blocks of trials in f64 (the
//! gradient, for the simulators' hot loop) with one dispatch per operation
//! and block, so the arithmetic vectorises across trials as a built-in's does.

use crate::fastmath;
use crate::formula::graph::{Function, Node, Tape, NO_PARTNER};
use num_dual::DualNum;
use std::cell::RefCell;

/// The tape's first output at (θ, parameters, x), over dual numbers.
pub fn dual<T: DualNum<Primitive = f64> + Copy>(tape: &Tape, theta: &[T], params: &[f64], x: &[f64]) -> T {
    let mut v: Vec<T> = Vec::with_capacity(tape.ops.len());
    for op in &tape.ops {
        let r = match *op {
            Node::Const(bits) => T::from(f64::from_bits(bits)),
            Node::Weight(i) => theta[i as usize],
            Node::Param(k) => T::from(params[k as usize]),
            Node::X(c) => T::from(x[c as usize]),
            Node::Add(a, b) => v[a as usize] + v[b as usize],
            Node::Sub(a, b) => v[a as usize] - v[b as usize],
            Node::Mul(a, b) => v[a as usize] * v[b as usize],
            Node::Div(a, b) => v[a as usize] / v[b as usize],
            Node::Powi(a, n) => v[a as usize].powi(n),
            Node::Call(f, a) => f.apply(v[a as usize]),
        };
        v.push(r);
    }
    v[tape.outputs[0] as usize]
}

/// f over a block of lanes in f64 (the hot path), the dispatch on f outside
/// the loop so that each function's loop vectorises: e^a, log a, sin and cos
/// by the vectorisable kernels of [`fastmath`] (the built-ins' own), the rest
/// by the standard library.
#[inline(always)]
fn call_lanes<const W: usize>(f: Function, a: &[f64; W], r: &mut [f64; W]) {
    #[inline(always)]
    fn each<const W: usize>(a: &[f64; W], r: &mut [f64; W], g: impl Fn(f64) -> f64) {
        for l in 0..W {
            r[l] = g(a[l]);
        }
    }
    match f {
        Function::Neg => each(a, r, |v| -v),
        Function::Exp => each(a, r, fastmath::exp),
        Function::Sin => each(a, r, |v| fastmath::sincos(v).0),
        Function::Cos => each(a, r, |v| fastmath::sincos(v).1),
        Function::Sigmoid => each(a, r, |v| 1.0 / (1.0 + fastmath::exp(-v))),
        Function::Sqrt => each(a, r, f64::sqrt),
        // fastmath::ln is for positive normal numbers only.
        Function::Log => each(a, r, |v| if v.is_normal() && v > 0.0 { fastmath::ln(v) } else { v.ln() }),
        _ => each(a, r, |v| f.apply(v)),
    }
}

thread_local! {
    /// Each thread's slots for [`lanes`], grown once to the largest tape.
    static SLOTS: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Every output of the tape for `W` trials at once: `theta[i][lane]`,
/// coordinate c of the sample `x[c][lane]`; `out[k][lane]` is output k.
pub fn lanes<const W: usize>(tape: &Tape, theta: &[[f64; W]], params: &[f64], x: &[[f64; W]], out: &mut [[f64; W]]) {
    SLOTS.with_borrow_mut(|slots| {
        if slots.len() < tape.ops.len() * W {
            slots.resize(tape.ops.len() * W, 0.0);
        }
        for (k, op) in tape.ops.iter().enumerate() {
            let (done, rest) = slots.split_at_mut(k * W);
            let r: &mut [f64; W] = (&mut rest[..W]).try_into().expect("W slots");
            let s = |a: u32| -> &[f64; W] { done[a as usize * W..][..W].try_into().expect("W slots") };
            match *op {
                Node::Const(bits) => *r = [f64::from_bits(bits); W],
                Node::Weight(i) => *r = theta[i as usize],
                Node::Param(p) => *r = [params[p as usize]; W],
                Node::X(c) => *r = x[c as usize],
                Node::Add(a, b) => {
                    let (a, b) = (s(a), s(b));
                    for l in 0..W {
                        r[l] = a[l] + b[l];
                    }
                }
                Node::Sub(a, b) => {
                    let (a, b) = (s(a), s(b));
                    for l in 0..W {
                        r[l] = a[l] - b[l];
                    }
                }
                Node::Mul(a, b) => {
                    let (a, b) = (s(a), s(b));
                    for l in 0..W {
                        r[l] = a[l] * b[l];
                    }
                }
                Node::Div(a, b) => {
                    let (a, b) = (s(a), s(b));
                    for l in 0..W {
                        r[l] = a[l] / b[l];
                    }
                }
                Node::Powi(a, n) => {
                    let a = s(a);
                    for l in 0..W {
                        r[l] = powi(a[l], n);
                    }
                }
                Node::Call(f @ (Function::Sin | Function::Cos), a) if tape.partner[k] != NO_PARTNER => {
                    // The first of sin(a), cos(a) fills both; the second is done.
                    let p = tape.partner[k] as usize;
                    if p > k {
                        let a = s(a);
                        let (mut sin, mut cos) = ([0.0; W], [0.0; W]);
                        for l in 0..W {
                            (sin[l], cos[l]) = fastmath::sincos(a[l]);
                        }
                        let (mine, theirs) = if f == Function::Sin { (sin, cos) } else { (cos, sin) };
                        rest[..W].copy_from_slice(&mine);
                        rest[(p - k) * W..][..W].copy_from_slice(&theirs);
                    }
                }
                Node::Call(f, a) => call_lanes(f, s(a), (&mut rest[..W]).try_into().expect("W slots")),
            }
        }
        for (o, &slot) in out.iter_mut().zip(&tape.outputs) {
            o.copy_from_slice(&slots[slot as usize * W..][..W]);
        }
    });
}

/// a^n by multiplications (a division for n < 0): inlined and vectorisable,
/// unlike `f64::powi`.
#[inline(always)]
fn powi(a: f64, n: i32) -> f64 {
    match n {
        2 => a * a,
        3 => a * a * a,
        4 => (a * a) * (a * a),
        -1 => 1.0 / a,
        -2 => 1.0 / (a * a),
        _ => a.powi(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formula::graph::Graph;
    use num_dual::Dual64;

    /// l = x² e^(−h) + sin(h)·w / (1 + h²) + cos(h): the lane evaluator and the dual
    /// one agree with the closed form and with each other, and the dual
    /// derivative is the symbolic one.
    #[test]
    fn lanes_and_duals_agree_with_the_closed_form() {
        let mut g = Graph::default();
        let (h, w, x) = (g.weight(0).unwrap(), g.weight(1).unwrap(), g.x(0).unwrap());
        let x2 = g.powi(x, 2).unwrap();
        let mh = g.call(Function::Neg, h).unwrap();
        let e = g.call(Function::Exp, mh).unwrap();
        let a = g.mul(x2, e).unwrap();
        let s = g.call(Function::Sin, h).unwrap();
        let sw = g.mul(s, w).unwrap();
        let one = g.num(1.0).unwrap();
        let h2 = g.powi(h, 2).unwrap();
        let d = g.add(one, h2).unwrap();
        let q = g.div(sw, d).unwrap();
        let c = g.call(Function::Cos, h).unwrap();
        let aq = g.add(a, q).unwrap();
        let l = g.add(aq, c).unwrap();
        let dh = g.derivative(l, 0).unwrap();
        let closed = |h: f64, w: f64, x: f64| x * x * (-h).exp() + h.sin() * w / (1.0 + h * h) + h.cos();
        let (hs, ws, xs) = ([0.3, -1.2, 2.0, 0.0], [1.0, 0.5, -2.0, 3.0], [0.7, -1.1, 2.5, 0.0]);
        let tape = g.tape(&[l, dh]);
        // sin(h) and cos(h) are partners: one sincos fills both.
        assert_eq!(tape.partner.iter().filter(|&&p| p != NO_PARTNER).count(), 2);
        let mut out = [[0.0; 4]; 2];
        lanes::<4>(&tape, &[hs, ws], &[], &[xs], &mut out);
        for k in 0..4 {
            let want = closed(hs[k], ws[k], xs[k]);
            assert!((out[0][k] - want).abs() < 1e-14, "{} vs {want}", out[0][k]);
            let t = [Dual64::from_re(hs[k]).derivative(), Dual64::from_re(ws[k])];
            let dl = dual(&g.tape(&[l]), &t, &[], &[xs[k]]);
            assert!((dl.re - want).abs() < 1e-14);
            assert!((dl.eps - out[1][k]).abs() < 1e-13, "∂h dual {} vs symbolic {}", dl.eps, out[1][k]);
        }
    }
}
