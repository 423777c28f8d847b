//! `gdc`: GD with Corollary 3's regularizer (GDC) against SGD and plain GD on
//! the same training sets (seed 001 Fig. 3 center): |SGD − GD| and
//! |SGD − GDC| in expected test loss across η, paired, on Shifting Valleys and
//! Valley of Death. GDC matches SGD to order η², so its gap to SGD is far
//! smaller and shrinks one order faster.

use super::lab::{difference_series, log_space, measured, provenance, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::predict::value;

pub const FIGURE: Figure = Figure {
    name: "gdc",
    about: "|SGD − GD| and |SGD − GDC| test loss vs η, paired, T = N = 10, on shifting-valleys and valley-of-death (001 Fig. 3 center, Cor. 3)",
    build,
};

/// |mean| with its CI folded to the positive side (a CI that straddles 0
/// keeps its upper end only).
fn magnitude(x: f64, s: &crate::stats::Summary) -> Point {
    let (lo, hi) = if s.mean >= 0.0 { (s.ci95[0], s.ci95[1]) } else { (-s.ci95[1], -s.ci95[0]) };
    Point::with_ci(x, s.mean.abs(), lo.max(0.0), hi)
}

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((3, 20_000), (6, 400_000));
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (name, lo, hi) in [("shifting-valleys", 0.002, 0.05), ("valley-of-death", 0.0001, 0.001)] {
        let mut s: Vec<Vec<Point>> = vec![Vec::new(); 3];
        for (i, eta) in log_space(lo, hi, points).into_iter().enumerate() {
            for (k, other) in [Optimizer::Gd, Optimizer::Gdc].into_iter().enumerate() {
                let spec = Spec { eta, compare: Some(other.into()), trials, seed: 500 + i as u64, ..Spec::new(name) };
                let (exp, out) = lab.run(&spec)?;
                let d = out.compare.as_ref().expect("paired").1.test_loss_diff.summary();
                let order = if other == Optimizer::Gdc { 2 } else { 3 };
                let theory = value(&difference_series(&exp, order)?, eta);
                let mut row = vec![("landscape", name.into()), ("compare", other.name().into()), ("eta", eta.into())];
                row.extend([("T", 10usize.into()), ("N", 10usize.into())]);
                row.extend(measured(&d));
                row.extend([("theory", theory.into()), ("theory_order", order.into())]);
                row.extend(provenance(&spec));
                table.push(row);
                s[k].push(magnitude(eta, &d));
            }
        }
        let setup = Spec { compare: Some(Optimizer::Gd.into()), ..Spec::new(name) };
        let coefficients = difference_series(&setup.resolve()?, 3)?;
        s[2].extend(log_space(lo, hi, 40).into_iter().map(|eta| Point::new(eta, value(&coefficients, eta).abs())));
        let [gd, gdc, theory] = [s.remove(0), s.remove(0), s.remove(0)];
        panels.push(Chart {
            title: format!("{name}, T = N = 10 ({trials} paired trials)"),
            x_label: "learning rate η".into(),
            y_label: "|E[l(θ₁₀)]: SGD − other|".into(),
            x_log: true,
            y_log: true,
            y_symlog: None,
            series: vec![
                // SGD − GD measured and predicted in one colour.
                Series::new("SGD − GD (95% CI)", Style::Markers, gd).coloured(0),
                Series::new("SGD − GDC (95% CI)", Style::Markers, gdc).coloured(1),
                Series::new("SGD − GD, order 3", Style::Dashed, theory).coloured(0),
            ],
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
