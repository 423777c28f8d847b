//! `test-loss-vs-eta`: the expected test loss after T = 10 SGD steps against
//! η on three landscapes, measured beside the order-1, -2 and -3
//! predictions (seed 001 Fig. 3 left, on the artificial landscapes): each
//! order holds at small η and breaks down where the next one takes over.

use super::table::Table;
use super::{ci_point, log_space, measured, series, Drawing, Figure, Lab, Plot};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};

pub const FIGURE: Figure = Figure {
    name: "test-loss-vs-eta",
    about: "test loss change after T = 10 steps vs η with order-1/2/3 predictions, on gauss, shifting-valleys and archimedes (001 Fig. 3 left)",
    build,
};

const LANDSCAPES: [&str; 3] = ["gauss", "shifting-valleys", "archimedes"];

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((5, 100_000), (9, 1_000_000));
    let mut table = Table::default();
    let mut panels = Vec::new();
    for name in LANDSCAPES {
        let exp = lab.experiment(&format!("{name} --steps 10"))?;
        let predictions = [1, 2, 3].map(|order| series(&exp, &exp.plan, order));
        let [p1, p2, p3] = predictions;
        let (p1, p2, p3) = (p1?, p2?, p3?);
        let l0 = p3.test_loss[0];
        let mut marks = Vec::new();
        for (i, eta) in log_space(0.005, 0.2, points).into_iter().enumerate() {
            let (_, out) = lab.run(&format!("{name} --steps 10 --eta {eta} --trials {trials} --seed {}", 700 + i))?;
            let s = out.primary.test_loss.summary();
            let excess = crate::stats::Summary { mean: s.mean - l0, ci95: [s.ci95[0] - l0, s.ci95[1] - l0], ..s };
            let mut row = vec![("landscape", name.into()), ("eta", eta.into()), ("T", 10usize.into())];
            row.push(("l0", l0.into()));
            row.extend(measured(&excess));
            for (column, p) in [("theory_order1", &p1), ("theory_order2", &p2), ("theory_order3", &p3)] {
                row.push((column, (p.at(eta).0 - l0).into()));
            }
            table.push(row);
            marks.push(ci_point(eta, &excess));
        }
        // Each order's line is drawn where it stays within the measured
        // range (widened by half of it): past that it has broken down.
        let (lo, hi) = marks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.lo), b.max(p.hi)));
        let (lo, hi) = (lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo));
        let grid = log_space(0.004, 0.22, 60);
        let line = |p: &crate::theory::predict::Prediction| {
            grid.iter()
                .map(|&e| p.at(e).0 - l0)
                .zip(&grid)
                .take_while(|(y, _)| (lo..=hi).contains(y))
                .map(|(y, &e)| Point::new(e, y))
                .collect()
        };
        panels.push(Chart {
            title: format!("{name}, SGD, T = 10 ({trials} trials)"),
            x_label: "learning rate η".into(),
            y_label: "E[l(θ_T)] − l(θ₀)".into(),
            x_log: true,
            y_log: false,
            series: vec![
                Series::new("measured (95% CI)", Style::Markers, marks),
                Series::new("order 1", Style::Dashed, line(&p1)),
                Series::new("order 2", Style::Dashed, line(&p2)),
                Series::new("order 3", Style::Line, line(&p3)),
            ],
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
