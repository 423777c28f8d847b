//! The panel `momentum` and `invhess` share: the change of the expected test
//! loss after T steps, E[l(θ_T)] − l(θ₀), against an optimizer's parameter
//! (β or λ) at a fixed η, measured beside the η-series to orders 1, 2 and 3
//! of the same plan.

use super::lab::{ci_point, loss_change_label, measured, order_series, provenance, series, Lab};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::experiment::Spec;
use crate::plot::{Chart, Point};

/// What one panel measures: each point is the parameter's value and the
/// run at it (trials and seed overridden: point i gets seed `seed + i`);
/// `columns` start every row, `column` names the parameter's.
pub struct ParameterSweep<'a> {
    pub column: &'static str,
    pub x_label: &'static str,
    pub points: Vec<(f64, Spec)>,
    pub trials: u64,
    pub seed: u64,
    pub title: String,
    pub columns: Vec<(&'static str, Cell)>,
    pub table: &'a mut Table,
}

impl ParameterSweep<'_> {
    /// Runs the points, adds their rows and returns the chart.
    pub fn chart(self, lab: &Lab) -> Result<Chart> {
        let mut marks = Vec::new();
        let mut lines: [Vec<Point>; 3] = Default::default();
        let mut steps = 0;
        for (i, (x, setup)) in self.points.into_iter().enumerate() {
            let spec = Spec { trials: self.trials, seed: self.seed + i as u64, ..setup };
            let (exp, out) = lab.run(&spec)?;
            let [p1, p2, p3] = [1, 2, 3].map(|order| series(&exp, &exp.plan, order));
            let orders = [p1?, p2?, p3?];
            let l0 = orders[0].test_loss[0];
            let excess = out.primary.test_loss.summary().affine(1.0, -l0);
            let mut row = self.columns.clone();
            row.extend([(self.column, x.into()), ("eta", spec.eta.into()), ("l0", l0.into())]);
            row.push(("diverged", (out.primary.diverged as f64).into()));
            row.extend(measured(&excess));
            for (k, (column, p)) in
                ["theory_order1", "theory_order2", "theory_order3"].into_iter().zip(orders).enumerate()
            {
                let y = p.at(spec.eta).0 - l0;
                row.push((column, y.into()));
                lines[k].push(Point::new(x, y));
            }
            row.extend(provenance(&spec));
            self.table.push(row);
            marks.push(ci_point(x, &excess));
            steps = exp.plan.steps();
        }
        Ok(Chart {
            title: self.title,
            x_label: self.x_label.into(),
            y_label: loss_change_label(steps),
            x_log: false,
            y_log: false,
            y_symlog: None,
            series: order_series(marks, lines),
        })
    }
}
