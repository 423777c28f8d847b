//! `li-dynamics`: seed 003's SGD dynamics on Gauss-10 (sec. 5, Fig. 8):
//! the train loss, the stochastic gradient's norm ‖g_t‖ and the cosine of
//! consecutive stochastic gradients, as quantile bands over runs against
//! the iteration, with clean labels (`li-gauss10`) and 15% label noise
//! (`li-gauss10-noisy`). The paper: the cosine settles near 0.25 with clean
//! labels and near 0 with noisy ones.

use super::lab::{distribution_columns, quantile_bands, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::study::distribution::Distribution;
use crate::study::{StudyReport, StudySpec};

pub const FIGURE: Figure = Figure {
    name: "li-dynamics",
    about: "Gauss-10 MLP, clean vs 15% noisy labels: train loss, ‖g‖ and cos(g_t, g_{t−1}) as 10/25/50/75/90% bands over runs vs iteration (003 Fig. 8)",
    build,
};

/// The two settings: (label, preset, the paper's late cosine, seed).
const SETTINGS: [(&str, &str, f64, u64); 2] =
    [("clean", "li-gauss10", 0.25, 300), ("noisy", "li-gauss10-noisy", 0.0, 301)];

/// The observables drawn: (report name, axis label, log axis).
const PANELS: [(&str, &str, bool); 3] =
    [("train_loss", "train loss f(θₜ)", true), ("grad_norm", "‖gₜ‖", true), ("cos", "cos(gₜ, gₜ₋₁)", false)];

/// The settings' studies: full mode runs the clean setting at the paper's
/// 10⁴ runs and the noisy one (T = 10⁴) at 10³ runs, recorded every 50
/// steps (about a minute on two cores); quick mode runs fewer runs and the
/// noisy setting to T = 2000. No test set: the figure shows training.
fn spec(lab: &Lab, preset: &str, seed: u64) -> StudySpec {
    let noisy = preset.ends_with("noisy");
    let (runs, steps, record_every) = match (noisy, lab.quick) {
        (false, true) => (500, None, 10),
        (false, false) => (10_000, None, 10),
        (true, true) => (150, Some(2000), 20),
        (true, false) => (1000, None, 50),
    };
    StudySpec { runs, seed, steps, record_every: Some(record_every), test_size: Some(0), ..StudySpec::new(preset) }
}

/// The late window: the records of the last quarter of the steps.
fn late(report: &StudyReport) -> impl Iterator<Item = &crate::study::report::Point> {
    let from = 3 * report.sgd.steps / 4;
    report.curve.iter().filter(move |p| p.step >= from && p.step > 0)
}

/// The mean over the late window of `f` at each record.
fn late_mean(report: &StudyReport, f: impl Fn(&crate::study::report::Point) -> f64) -> (f64, usize) {
    let values: Vec<f64> = late(report).map(f).filter(|v| v.is_finite()).collect();
    (values.iter().sum::<f64>() / values.len().max(1) as f64, values.len())
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (row, (label, preset, paper_cos, seed)) in SETTINGS.into_iter().enumerate() {
        let spec = spec(lab, preset, seed);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let n = &report.network;
        let setting = |kind: &str, statistic: &str, step: u64| -> Vec<(&'static str, Cell)> {
            vec![
                ("kind", kind.into()),
                ("setting", label.into()),
                ("landscape", preset.into()),
                ("label_noise", n.label_noise.into()),
                ("labels_changed", n.labels_changed.into()),
                ("runs", (report.runs as usize).into()),
                ("diverged", report.diverged.into()),
                ("statistic", statistic.into()),
                ("step", (step as usize).into()),
            ]
        };
        for (name, _, _) in PANELS {
            for p in &report.curve {
                let mut r = setting("curve", name, p.step);
                r.extend(distribution_columns(&p.metrics[name]));
                // Fig. 8: the mean of the runs near each loss quantile.
                if name != "train_loss" {
                    for (q, column) in [(0.1, "at_loss_q0.1"), (0.5, "at_loss_q0.5"), (0.9, "at_loss_q0.9")] {
                        let v = p.at_loss_quantile.get(&format!("{q}")).and_then(|m| m.get(name)).copied();
                        r.push((column, v.unwrap_or(f64::NAN).into()));
                    }
                }
                if name == "cos" {
                    r.push(("paper_claim", paper_cos.into()));
                }
                r.extend(provenance.clone());
                table.push(r);
            }
        }
        // The verdict: each statistic of the cosine averaged over the late
        // window (one number per record, so no SE: the records of a run are
        // correlated).
        fn cos(p: &crate::study::report::Point) -> &Distribution {
            &p.metrics["cos"]
        }
        let at = |q: &'static str| {
            move |p: &crate::study::report::Point| p.at_loss_quantile.get(q).map_or(f64::NAN, |m| m["cos"])
        };
        let stats: [(&str, (f64, usize)); 6] = [
            ("cos_mean", late_mean(&report, |p| cos(p).summary.mean)),
            ("cos_median", late_mean(&report, |p| cos(p).quantile(0.5))),
            ("cos_q0.9", late_mean(&report, |p| cos(p).quantile(0.9))),
            ("cos_at_loss_q0.1", late_mean(&report, at("0.1"))),
            ("cos_at_loss_q0.5", late_mean(&report, at("0.5"))),
            ("cos_at_loss_q0.9", late_mean(&report, at("0.9"))),
        ];
        let last = report.curve.last().expect("records");
        for (statistic, (value, records)) in stats {
            let mut r = setting("late_window", statistic, last.step);
            r.extend([
                ("n", records.into()),
                ("mean", value.into()),
                ("stderr", f64::NAN.into()),
                ("ci95_lo", f64::NAN.into()),
                ("ci95_hi", f64::NAN.into()),
                ("paper_claim", paper_cos.into()),
            ]);
            r.extend(provenance.clone());
            table.push(r);
        }
        for (name, axis, log) in PANELS {
            let points = report.curve.iter().map(|p| (p.step as f64, &p.metrics[name]));
            let mut series = quantile_bands("", row, points);
            if name == "cos" {
                let mean: Vec<Point> = report
                    .curve
                    .iter()
                    .filter(|p| p.metrics[name].summary.mean.is_finite())
                    .map(|p| Point::new(p.step as f64, p.metrics[name].summary.mean))
                    .collect();
                let ends = [0.0, report.sgd.steps as f64].map(|t| Point::new(t, paper_cos));
                series.push(Series::new("mean over runs", Style::Line, mean).coloured(3));
                series.push(Series::new(format!("paper: ≈ {paper_cos}"), Style::Dashed, ends.to_vec()).coloured(6));
            }
            panels.push(Chart {
                title: match label {
                    "clean" => format!("clean, {} runs: {}", report.runs, short(name)),
                    _ => format!("noisy ({}/{} labels), {} runs: {}", n.labels_changed, n.n, report.runs, short(name)),
                },
                x_label: "iteration t".into(),
                y_label: axis.into(),
                y_log: log,
                series,
                ..Default::default()
            });
        }
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}

fn short(name: &str) -> &'static str {
    match name {
        "train_loss" => "train loss",
        "grad_norm" => "‖g‖",
        _ => "cos of consecutive SGs",
    }
}
