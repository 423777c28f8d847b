//! The panel two figures share: the change of the expected test loss after T
//! steps, E[l(θ_T)] − l(θ₀), against η, measured beside the η-series to
//! orders 1, 2 and 3. Each order's line is drawn while it stays within the
//! measured range (widened by half of it, on the drawn axis): past that it
//! has broken down. An order that predicts no change (order 1 at a minimum)
//! is drawn at 0 throughout.
//!
//! Both axes are logarithmic where the claims are made. η is log-spaced, and
//! the claims are about small η, where the change is 10⁻⁵..10⁻³ and a
//! linear axis draws it as zero beside the large-η points. The change is
//! not of one sign, though: it falls on Shifting Valleys and rises at a
//! minimum, and the orders' lines cross zero where they break down (order 3
//! on Gauss). |Δ| on a log axis would fold a negative prediction onto a
//! positive measurement and draw a spike at each sign change, so the y axis
//! is symmetric-log (sign(y)·log₁₀(1 + |y|/c), as a paper's `symlog`) with
//! its linear threshold c a decade or more below the smallest measured
//! |change|: every measurement lies in the logarithmic part, read as on a
//! log axis, and the sign stays visible.

use super::lab::{ci_point, log_space, loss_change_label, measured, order_series, provenance, series, Lab};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::experiment::Spec;
use crate::plot::{symlog, Chart, Point};

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
            row.extend(provenance(&spec));
            self.table.push(row);
            marks.push(ci_point(eta, &excess));
        }
        let c = threshold(&marks);
        let drawn = |y: f64| symlog(y, c);
        let (lo, hi) =
            marks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(drawn(p.lo)), b.max(drawn(p.hi))));
        let (lo, hi) = (lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo));
        let (first, last) = (self.etas[0], self.etas[self.etas.len() - 1]);
        let grid = log_space(0.8 * first, 1.1 * last, 60);
        let line = |order: usize| -> Vec<Point> {
            grid.iter()
                .map(|&e| (e, orders[order - 1].at(e).0 - l0))
                // An order predicting no change at all (order 1 at a
                // minimum) is drawn at 0 whatever the measured range.
                .take_while(|(_, y)| *y == 0.0 || (lo..=hi).contains(&drawn(*y)))
                .map(|(e, y)| Point::new(e, y))
                .collect()
        };
        Ok(Chart {
            title: self.title,
            x_label: "learning rate η".into(),
            y_label: loss_change_label(exp.plan.steps()),
            x_log: true,
            y_log: false,
            y_symlog: Some(c),
            series: order_series(marks, [line(1), line(2), line(3)]),
        })
    }
}

/// The symmetric-log threshold for `marks`: the largest power of ten at
/// most a tenth of the smallest nonzero |mean| (1 where there is none).
fn threshold(marks: &[Point]) -> f64 {
    let smallest = marks.iter().map(|p| p.y.abs()).filter(|y| *y > 0.0 && y.is_finite()).fold(f64::INFINITY, f64::min);
    if smallest.is_finite() {
        10f64.powf((0.1 * smallest).log10().floor())
    } else {
        1.0
    }
}
