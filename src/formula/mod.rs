//! Formulas: a per-sample loss written as text, compiled once into what every
//! consumer needs (issue 19).
//!
//! `compile` parses the text ([`parse`]) into a hash-consed expression
//! [`graph`], differentiates it symbolically (gradient and Hessian, simplified
//! as they are built), and cuts straight-line [`Tape`]s out of it: the loss,
//! run over dual numbers for exact derivatives of every order ([`eval::dual`],
//! what the theory uses); the gradient, run over blocks of trials in f64
//! ([`eval::lanes`], the CPU simulator's hot loop); and all three emitted as
//! WGSL ([`wgsl`], the GPU's). The degree of the loss as a polynomial in x is
//! read off the graph, which fixes the quadrature rule that makes the
//! landscape's expectations exact.
//!
//! A formula is data, never code: its text is bounded
//! ([`parse::MAX_LENGTH`], [`parse::MAX_DEPTH`]), so is its graph with every
//! derivative ([`graph::MAX_NODES`]), and it names nothing but its weights,
//! parameters, x, constants and the functions of [`graph::Function`].

pub mod eval;
pub mod graph;
pub mod parse;
pub mod wgsl;

use graph::{Graph, Id, Tape, TooLarge};
use parse::{Names, ParseError};

/// A formula compiled for D = `weights.len()` weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// l_x(θ).
    pub loss: Tape,
    /// ∂l_x/∂θ_i, i < D.
    pub grad: Tape,
    /// ∂²l_x/∂θ_i∂θ_j, i ≤ j, row by row.
    pub hess: Tape,
    /// The degree of l_x in x, `None` where it is not a polynomial in x.
    pub degree: Option<u32>,
    /// Whether l_x depends on x at all (where not, SGD has no noise).
    pub noisy: bool,
    /// Coordinates of the sample: 1 for x, K for a formula whose highest
    /// coordinate is xK.
    pub sample_dim: usize,
    /// Whether l_x depends on each weight.
    pub uses: Vec<bool>,
    /// `loss`, `grad` and `hess` in WGSL.
    pub wgsl: String,
}

/// Parses and differentiates `text` over these weights and parameters.
pub fn compile(text: &str, weights: &[String], params: &[String]) -> Result<Compiled, ParseError> {
    let mut g = Graph::default();
    let loss = parse::parse(text, &Names { weights, params }, &mut g)?;
    let too_large = |TooLarge| ParseError {
        message: format!("the formula's derivatives are too large (over {} nodes)", graph::MAX_NODES),
        column: 0,
    };
    let grad: Vec<Id> =
        (0..weights.len()).map(|i| g.derivative(loss, i)).collect::<Result<_, _>>().map_err(too_large)?;
    let mut hess = Vec::new();
    for i in 0..weights.len() {
        for j in i..weights.len() {
            hess.push(g.derivative(grad[i], j).map_err(too_large)?);
        }
    }
    let (loss_tape, grad_tape, hess_tape) = (g.tape(&[loss]), g.tape(&grad), g.tape(&hess));
    let sample_dim = loss_tape
        .ops
        .iter()
        .filter_map(|op| match op {
            graph::Node::X(c) => Some(*c as usize + 1),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let wgsl = wgsl::source(&loss_tape, &grad_tape, &hess_tape, weights.len(), params, sample_dim, text);
    Ok(Compiled {
        degree: g.degree_in_x(loss),
        noisy: g.depends_on(loss, |n| matches!(n, graph::Node::X(_))),
        sample_dim,
        uses: (0..weights.len()).map(|i| g.depends_on(loss, |n| n == graph::Node::Weight(i as u8))).collect(),
        loss: loss_tape,
        grad: grad_tape,
        hess: hess_tape,
        wgsl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn gauss_compiles_to_degree_two_with_its_closed_form_gradient() {
        let c = compile("0.5*(h + x^2*exp(-h))", &names(&["h"]), &[]).unwrap();
        assert_eq!(c.degree, Some(2));
        assert!(c.noisy);
        let (h, x): (f64, f64) = (0.3, 1.7);
        let mut g = [[0.0; 1]];
        eval::lanes::<1>(&c.grad, &[[h]], &[], &[[x]], &mut g);
        // ∂h = ½(1 − x² e^(−h)).
        assert!((g[0][0] - 0.5 * (1.0 - x * x * (-h).exp())).abs() < 1e-15);
        let mut hh = [[0.0; 1]];
        eval::lanes::<1>(&c.hess, &[[h]], &[], &[[x]], &mut hh);
        assert!((hh[0][0] - 0.5 * x * x * (-h).exp()).abs() < 1e-15);
        assert!(c.wgsl.contains("fn grad(t: vec4<f32>, x: f32) -> vec4<f32>"), "{}", c.wgsl);
    }

    #[test]
    fn a_loss_without_x_is_not_noisy() {
        let c = compile("(h - c)^2", &names(&["h"]), &names(&["c"])).unwrap();
        assert!(!c.noisy);
        assert_eq!(c.degree, Some(0));
    }

    #[test]
    fn hessian_entries_fill_the_upper_triangle() {
        // l = u²v + x·v·z: H = [[2v, 2u, 0], [2u, 0, x], [0, x, 0]].
        let c = compile("u^2*v + x*v*z", &names(&["u", "v", "z"]), &[]).unwrap();
        let (u, v, z, x) = (1.5, -0.5, 2.0, 0.25);
        let mut h = [[0.0; 1]; 6];
        eval::lanes::<1>(&c.hess, &[[u], [v], [z]], &[], &[[x]], &mut h);
        let want = [2.0 * v, 2.0 * u, 0.0, 0.0, x, 0.0];
        for k in 0..6 {
            assert_eq!(h[k][0], want[k], "entry {k}");
        }
        assert!(c.wgsl.contains("mat3x3<f32>("), "{}", c.wgsl);
    }
}
