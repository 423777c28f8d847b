//! The panel two figures share: the change of the expected test loss after T
//! steps, E[l(θ_T)] − l(θ₀), against η, measured beside the η-series to
//! orders 1, 2 and 3. Each order's line is drawn while it stays within the
//! measured range (widened by half of it): past that it has broken down.

use super::lab::{ci_point, log_space, measured, series, Lab};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::experiment::Spec;
use crate::plot::{Chart, Point, Series, Style};

/// What one panel measures: `setup` is the run without η, trials or seed
/// (which it overrides); each η gets seed `seed + its index`; `columns`
/// start every row.
pub struct LossVsEta<'a> {
    pub setup: Spec,
    pub etas: Vec<f64>,
    pub trials: u64,
    pub seed: u64,
    pub title: String,
    pub columns: Vec<(&'static str, Cell)>,
    pub table: &'a mut Table,
}

impl LossVsEta<'_> {
    /// Runs the points, adds their rows and returns the chart.
    pub fn chart(self, lab: &Lab) -> Result<Chart> {
        let exp = self.setup.resolve()?;
        let [p1, p2, p3] = [1, 2, 3].map(|order| series(&exp, &exp.plan, order));
        let orders = [p1?, p2?, p3?];
        let l0 = orders[0].test_loss[0];
        let mut marks = Vec::new();
        for (i, &eta) in self.etas.iter().enumerate() {
            let spec = Spec { eta, trials: self.trials, seed: self.seed + i as u64, ..self.setup.clone() };
            let (_, out) = lab.run(&spec)?;
            let s = out.primary.test_loss.summary();
            let excess = s.affine(1.0, -l0);
            let mut row = self.columns.clone();
            row.extend([("eta", eta.into()), ("l0", l0.into()), ("diverged", (out.primary.diverged as f64).into())]);
            row.extend(measured(&excess));
            for (column, p) in ["theory_order1", "theory_order2", "theory_order3"].into_iter().zip(&orders) {
                row.push((column, (p.at(eta).0 - l0).into()));
            }
            self.table.push(row);
            marks.push(ci_point(eta, &excess));
        }
        let (lo, hi) = marks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.lo), b.max(p.hi)));
        let (lo, hi) = (lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo));
        let (first, last) = (self.etas[0], self.etas[self.etas.len() - 1]);
        let grid = log_space(0.8 * first, 1.1 * last, 60);
        let line = |order: usize| -> Vec<Point> {
            grid.iter()
                .map(|&e| (e, orders[order - 1].at(e).0 - l0))
                .take_while(|(_, y)| (lo..=hi).contains(y))
                .map(|(e, y)| Point::new(e, y))
                .collect()
        };
        Ok(Chart {
            title: self.title,
            x_label: "learning rate η".into(),
            y_label: "E[l(θ_T)] − l(θ₀)".into(),
            x_log: true,
            y_log: false,
            y_symlog: None,
            series: vec![
                Series::new("measured (95% CI)", Style::Markers, marks),
                Series::new("order 1", Style::Dashed, line(1)),
                Series::new("order 2", Style::Dashed, line(2)),
                Series::new("order 3", Style::Line, line(3)),
            ],
        })
    }
}
