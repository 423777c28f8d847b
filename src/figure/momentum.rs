//! `momentum`: heavy-ball SGD and GD (seed 002 sec. 4.3, Fig. 4) on
//! Archimedes, T = 10: the test loss change against η at β = 0.5 and
//! against β at η = 0.005, measured beside the diagram expansion to orders
//! 1–3 (momentum's kernel on every edge, docs/THEORY.md). The series holds
//! while the effective step η/(1 − β) is small and breaks down as β → 1.

use super::lab::{log_space, Drawing, Figure, Lab, Plot};
use super::loss_vs_eta::LossVsEta;
use super::parameter_sweep::ParameterSweep;
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;

pub const FIGURE: Figure = Figure {
    name: "momentum",
    about: "heavy-ball SGD and GD on archimedes, T = 10: test loss vs η (β = 0.5) and vs β (η = 0.005), orders 1-3 (002 Fig. 4)",
    build,
};

/// The two grids: SGD on T = 10 fresh points, GD on N = 10 points.
fn grids() -> [(&'static str, Spec); 2] {
    let base = Spec { optimizer: Optimizer::Momentum, steps: Some(10), ..Spec::new("archimedes") };
    [("SGD", base.clone()), ("GD", Spec { train_size: Some(10), batch: Some(10), ..base })]
}

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((4, 50_000), (8, 1_000_000));
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (i, (grid, setup)) in grids().into_iter().enumerate() {
        let panel = LossVsEta {
            setup: Spec { beta: Some(0.5), ..setup.clone() },
            etas: log_space(0.002, 0.05, points),
            trials,
            seed: 1600 + 100 * i as u64,
            title: format!("momentum {grid}, β = 0.5, T = 10 ({trials} trials)"),
            columns: vec![("grid", grid.into()), ("sweep", "eta".into()), ("beta", 0.5.into())],
            table: &mut table,
        };
        panels.push(panel.chart(lab)?);
        let betas: Vec<f64> = (0..points).map(|k| 0.9 * k as f64 / (points - 1) as f64).collect();
        let panel = ParameterSweep {
            column: "beta",
            x_label: "momentum β",
            points: betas.into_iter().map(|b| (b, Spec { eta: 0.005, beta: Some(b), ..setup.clone() })).collect(),
            trials,
            seed: 1650 + 100 * i as u64,
            title: format!("momentum {grid}, η = 0.005, T = 10 ({trials} trials)"),
            columns: vec![("grid", grid.into()), ("sweep", "beta".into())],
            table: &mut table,
        };
        panels.push(panel.chart(lab)?);
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
