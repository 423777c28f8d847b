//! `invhess`: the Hessian-based update θ ← θ − (η⁻¹ + λ∇∇l_t)⁻¹∇l_t (seed 002
//! sec. 4.3, Fig. 4; seed 001's conclusion) on Gauss at T = 1 and Archimedes
//! at T = 10: the test loss change against λ at fixed η, and against η at
//! λ = 1, measured beside the diagram expansion to orders 1–3 (λ as
//! same-step marked edges, the second kind of node; docs/THEORY.md).

use super::lab::{log_space, Drawing, Figure, Lab, Plot};
use super::loss_vs_eta::LossVsEta;
use super::parameter_sweep::ParameterSweep;
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;

pub const FIGURE: Figure = Figure {
    name: "invhess",
    about: "Hessian-based update: test loss vs λ on gauss (T = 1, η = 0.03) and archimedes (T = 10, η = 0.01), and vs η at λ = 1, orders 1-3 (002 Fig. 4)",
    build,
};

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((4, 50_000), (9, 1_000_000));
    let mut table = Table::default();
    let mut panels = Vec::new();
    let lambdas: Vec<f64> = (0..points).map(|k| 4.0 * k as f64 / (points - 1) as f64).collect();
    for (i, (name, steps, eta)) in [("gauss", 1, 0.03), ("archimedes", 10, 0.01)].into_iter().enumerate() {
        let setup = Spec { optimizer: Optimizer::Invhess, steps: Some(steps), eta, ..Spec::new(name) };
        let panel = ParameterSweep {
            column: "lambda",
            x_label: "λ",
            points: lambdas.iter().map(|&l| (l, Spec { lambda: Some(l), ..setup.clone() })).collect(),
            trials,
            seed: 1700 + 100 * i as u64,
            title: format!("invhess on {name}, η = {eta}, T = {steps} ({trials} trials)"),
            columns: vec![("landscape", name.into()), ("sweep", "lambda".into()), ("T", steps.into())],
            table: &mut table,
        };
        panels.push(panel.chart(lab)?);
    }
    let panel = LossVsEta {
        setup: Spec { optimizer: Optimizer::Invhess, lambda: Some(1.0), steps: Some(10), ..Spec::new("archimedes") },
        etas: log_space(0.005, 0.2, points),
        trials,
        seed: 1900,
        title: format!("invhess on archimedes, λ = 1, T = 10 ({trials} trials)"),
        columns: vec![
            ("landscape", "archimedes".into()),
            ("sweep", "eta".into()),
            ("T", 10usize.into()),
            ("lambda", 1.0.into()),
        ],
        table: &mut table,
    };
    panels.push(panel.chart(lab)?);
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
