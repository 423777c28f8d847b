//! `gauss-sgd-vs-sde`: SGD against its SDE on Gauss at the minimum h = 0,
//! one step, paired on the same samples (seed 001 Fig. 9 center,
//! Corollary 5): the difference of test losses against η, beside the
//! order-3 and order-4 predictions (the order-3 term carries the noise's
//! skewness, −(T/6)·J·S).

use super::lab::{ci_point, difference_series, measured, provenance, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::predict::value;

pub const FIGURE: Figure = Figure {
    name: "gauss-sgd-vs-sde",
    about: "SGD − SDE (K = 16) test loss vs η on Gauss at h = 0, T = 1, paired, with order-3/4 predictions (001 Fig. 9 center, Cor. 5)",
    build,
};

fn build(lab: &Lab) -> Result<Drawing> {
    let trials = lab.size(400_000, 4_000_000);
    let mut table = Table::default();
    let mut points = Vec::new();
    let setup = Spec { steps: Some(1), compare: Some(Optimizer::Sde.into()), substeps: 16, ..Spec::new("gauss") };
    for (i, eta) in [0.05, 0.1, 0.15, 0.2, 0.25].into_iter().enumerate() {
        let spec = Spec { eta, trials, seed: 300 + i as u64, ..setup.clone() };
        let (exp, out) = lab.run(&spec)?;
        let d = out.compare.as_ref().expect("paired").1.test_loss_diff.summary();
        let diff = |order| -> Result<f64> { Ok(value(&difference_series(&exp, order)?, eta)) };
        let mut row = vec![("observable", "test_loss_sgd_minus_sde".into()), ("eta", eta.into()), ("T", 1usize.into())];
        row.extend([("substeps", 16usize.into())]);
        row.extend(measured(&d));
        row.extend([("theory_order3", diff(3)?.into()), ("theory_order4", diff(4)?.into())]);
        row.extend(provenance(&spec));
        table.push(row);
        points.push(ci_point(eta, &d));
    }
    let exp = setup.resolve()?;
    let line = |order| -> Result<Vec<Point>> {
        let coefficients = difference_series(&exp, order)?;
        Ok((1..=28).map(|i| 0.01 * i as f64).map(|eta| Point::new(eta, value(&coefficients, eta))).collect())
    };
    let chart = Chart {
        title: format!("Gauss at h = 0, one step: SGD − SDE (K = 16), paired ({trials} trials)"),
        x_label: "learning rate η".into(),
        y_label: "E[l(θ₁)]: SGD − SDE".into(),
        series: vec![
            Series::new("measured (95% CI)", Style::Markers, points),
            Series::new("order 3 (skewness term)", Style::Dashed, line(3)?),
            Series::new("order 4", Style::Line, line(4)?),
        ],
        ..Default::default()
    };
    Ok(Drawing { table, plot: Plot::Panels(vec![chart]) })
}
