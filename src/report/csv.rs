//! The run as a tidy CSV: one row per (optimizer, kind, observable, step).
//!
//! Columns: `optimizer, kind, observable, step, n, mean, stderr, ci95_lo,
//! ci95_hi, theory`. `kind` is `final` (θ_T and the losses after T steps),
//! `curve` (`--record-every`), `drift_slope` and `drift_conditional` (the
//! drift per step over the late window, at its last step) or `paired`
//! (primary − compared, optimizer `a-b`); `theory` is the prediction
//! (`--theory`) on the final rows of the primary, the paired rows and the
//! drift rows (what the estimator reads on the re-summed E[θ(t)]), empty
//! elsewhere.

use super::{CurvePoint, DriftReport, Metrics, RunReport, Theory};
use crate::stats::Summary;

struct Rows {
    out: csv::Writer<Vec<u8>>,
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

impl Rows {
    fn row(&mut self, optimizer: &str, kind: &str, observable: &str, step: usize, s: &Summary, theory: Option<f64>) {
        let record = [
            optimizer.to_string(),
            kind.to_string(),
            observable.to_string(),
            step.to_string(),
            s.n.to_string(),
            num(s.mean),
            num(s.stderr),
            num(s.ci95[0]),
            num(s.ci95[1]),
            theory.map(num).unwrap_or_default(),
        ];
        self.out.write_record(&record).expect("writing to memory");
    }

    fn metrics(&mut self, optimizer: &str, step: usize, weights: &[&str], m: &Metrics, theory: Option<&Theory>) {
        self.row(optimizer, "final", "test_loss", step, &m.test_loss, theory.map(|t| t.test_loss));
        self.row(optimizer, "final", "train_loss", step, &m.train_loss, theory.map(|t| t.train_loss));
        self.row(optimizer, "final", "gen_gap", step, &m.gen_gap, theory.map(|t| t.gen_gap));
        for (d, (w, s)) in weights.iter().zip(&m.theta).enumerate() {
            self.row(optimizer, "final", w, step, s, theory.map(|t| t.theta[d]));
        }
    }

    fn curve(&mut self, optimizer: &str, weights: &[&str], curve: &[CurvePoint]) {
        for c in curve {
            self.row(optimizer, "curve", "test_loss", c.step, &c.test_loss, None);
            for (w, s) in weights.iter().zip(&c.theta) {
                self.row(optimizer, "curve", w, c.step, s, None);
            }
        }
    }

    fn drift(&mut self, optimizer: &str, weights: &[&str], d: Option<&DriftReport>) {
        let Some(d) = d else { return };
        let t = d.theory.as_ref();
        let expected = [t.map(|t| &t.expected_slope), t.and_then(|t| t.expected_conditional.as_ref())];
        for ((kind, estimates), expected) in
            [("drift_slope", Some(&d.slope)), ("drift_conditional", d.conditional.as_ref())].into_iter().zip(expected)
        {
            for (i, s) in estimates.into_iter().flatten().enumerate() {
                self.row(optimizer, kind, weights[i], d.to_step, s, expected.map(|e| e[i]));
            }
        }
    }
}

/// The report's CSV text.
pub fn render(r: &RunReport) -> Vec<u8> {
    let mut rows = Rows { out: csv::Writer::from_writer(Vec::new()) };
    let header = ["optimizer", "kind", "observable", "step", "n", "mean", "stderr", "ci95_lo", "ci95_hi", "theory"];
    rows.out.write_record(header).expect("writing to memory");
    let a = r.optimizer.name();
    rows.metrics(a, r.steps, &r.weights, &r.metrics, r.theory.as_ref());
    rows.curve(a, &r.weights, &r.curve);
    rows.drift(a, &r.weights, r.drift.as_ref());
    if let Some(p) = &r.paired {
        let b = p.optimizer.name();
        rows.metrics(b, r.steps, &r.weights, &p.metrics, None);
        rows.curve(b, &r.weights, &p.curve);
        rows.drift(b, &r.weights, p.drift.as_ref());
        let pair = format!("{a}-{b}");
        let theory = r.theory.as_ref();
        rows.row(&pair, "paired", "test_loss", r.steps, &p.test_loss_diff, theory.and_then(|t| t.test_loss_diff));
        rows.row(&pair, "paired", "gen_gap", r.steps, &p.gen_gap_diff, theory.and_then(|t| t.gen_gap_diff));
    }
    rows.out.into_inner().expect("writing to memory")
}
