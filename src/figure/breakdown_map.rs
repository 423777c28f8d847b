//! `breakdown-map`: where the theory holds. Over a grid of (η, T), fresh-
//! sample SGD's measured test loss against each prediction, as
//! log₁₀ |MC − prediction|/SE: the η-series to orders 1, 2 and 3, and the
//! re-summed order-3 value (Theorem 1), per landscape. Below log₁₀ 3 ≈ 0.5
//! the prediction is within 3 SE; cells beyond are framed in red (the
//! prediction rejected), and cells whose test loss has a heavy tail (the
//! Summary's `heavy_tail` warning) are hatched: their SE, and so their
//! distance in SEs, is unreliable, and a huge SE can pass for agreement
//! (no paper has this map).

use super::lab::{measured, provenance, resummed, series, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::plot::{CellMarks, Heatmap};
use crate::theory::resum::Resum;

pub const FIGURE: Figure = Figure {
    name: "breakdown-map",
    about: "heat maps over (η, T) of log10 |MC − prediction|/SE for orders 1-3 and re-summed, fresh SGD, per landscape (new)",
    build,
};

/// The landscapes and their scales of η (Valley of Death is sharp).
const LANDSCAPES: [(&str, f64); 5] = [
    ("gauss", 1.0),
    ("archimedes", 1.0),
    ("mean-estimation", 1.0),
    ("shifting-valleys", 1.0),
    ("valley-of-death", 0.005),
];
const METHODS: [&str; 4] = ["order 1", "order 2", "order 3", "re-summed"];
/// Each method's CSV columns: its prediction, the distance in SEs, and
/// whether that rejects it ([`REJECT_Z`]).
const COLUMNS: [[&str; 3]; 4] = [
    ["theory_order1", "z_order1", "rejected_3se_order1"],
    ["theory_order2", "z_order2", "rejected_3se_order2"],
    ["theory_order3", "z_order3", "rejected_3se_order3"],
    ["theory_resummed", "z_resummed", "rejected_3se_resummed"],
];
/// A prediction more than this many SEs from the measurement is rejected.
const REJECT_Z: f64 = 3.0;

fn build(lab: &Lab) -> Result<Drawing> {
    let (etas, steps, trials): (&[f64], &[usize], u64) = lab.size(
        (&[0.005, 0.03, 0.2][..], &[1, 10, 100][..], 4000),
        (&[0.005, 0.01, 0.02, 0.05, 0.1, 0.2][..], &[1, 3, 10, 30, 100][..], 100_000),
    );
    let mut table = Table::default();
    let mut maps = Vec::new();
    for (name, scale) in LANDSCAPES {
        let etas: Vec<f64> = etas.iter().map(|e| e * scale).collect();
        let (nan, no) = (vec![vec![f64::NAN; etas.len()]; steps.len()], vec![vec![false; etas.len()]; steps.len()]);
        let (mut values, mut rejected, mut heavy) = (vec![nan; METHODS.len()], vec![no.clone(); METHODS.len()], no);
        for (iy, &t) in steps.iter().enumerate() {
            let setup = Spec { steps: Some(t), ..Spec::new(name) };
            let exp = setup.resolve()?;
            let orders = [1, 2, 3].map(|d| series(&exp, &exp.plan, d));
            let [o1, o2, o3] = orders;
            let orders = [o1?, o2?, o3?];
            for (ix, &eta) in etas.iter().enumerate() {
                let spec = Spec { eta, trials, seed: (1000 + 100 * iy + ix) as u64, ..setup.clone() };
                let (exp, out) = lab.run(&spec)?;
                let s = out.primary.test_loss.summary();
                heavy[iy][ix] = s.warnings.heavy_tail.is_some();
                let mut predictions: Vec<f64> = orders.iter().map(|p| p.at(eta).0).collect();
                predictions.push(resummed(&exp, &exp.plan, 3, Resum::Exact)?.at(eta).0);
                let mut row = vec![("landscape", name.into()), ("eta", eta.into()), ("T", t.into())];
                row.push(("diverged", (out.primary.diverged as f64).into()));
                row.extend(measured(&s));
                row.push(("heavy_tail", heavy[iy][ix].into()));
                for (k, (p, [theory, z_column, rejected_column])) in predictions.iter().zip(COLUMNS).enumerate() {
                    let z = s.z(*p);
                    values[k][iy][ix] = z.abs().log10();
                    rejected[k][iy][ix] = z.abs() > REJECT_Z;
                    row.extend([(theory, (*p).into()), (z_column, z.into())]);
                    row.push((rejected_column, rejected[k][iy][ix].into()));
                }
                row.extend(provenance(&spec));
                table.push(row);
            }
        }
        for ((method, v), rejected) in METHODS.iter().zip(values).zip(rejected) {
            maps.push(Heatmap {
                title: format!("{name}: {method}"),
                x_label: "learning rate η".into(),
                y_label: "steps T (N = T)".into(),
                x_log: true,
                y_log: true,
                x: etas.clone(),
                y: steps.iter().map(|&t| t as f64).collect(),
                values: v,
                value_label: "log₁₀ |MC − theory| / SE".into(),
                outlined: CellMarks { cells: rejected, label: "rejected:\n|MC − theory|\n> 3 SE".into() },
                hatched: CellMarks { cells: heavy.clone(), label: "heavy tail:\nSE unreliable".into() },
            });
        }
    }
    Ok(Drawing { table, plot: Plot::Heatmaps { maps, columns: METHODS.len() } })
}
