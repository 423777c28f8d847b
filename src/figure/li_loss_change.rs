//! `li-loss-change`: seed 003's loss change Δ_t = f(θ_{t+1}) − f(θ_t)
//! (sec. 5, Figs. 9, 10, 24): its distribution across runs at each recorded
//! step (each run's own batch), and its law given θ_t — the runs at the
//! 10%, 50% and 90% loss quantiles frozen at a few steps, from the first
//! (Fig. 9(a) follows iterations 1 to 15), each stepped from θ_t with many
//! fresh batches — with the variance of both. Rows: Gauss-10 with m = 5
//! (Figs. 9, 10), clean labels (`li-gauss10`) against 15% label noise
//! (`li-gauss10-noisy`), then Gauss-2 with m = 50 (Fig. 24), clean against
//! 20% noise. Δ takes both signs over many decades: it is drawn on a
//! symmetric-log axis.

use super::lab::{distribution_columns, frozen_series, quantile_bands, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::study::spec::FROZEN_QUANTILES;
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-loss-change",
    about: "Gauss-10 (m = 5) and Gauss-2 (m = 50) MLPs, clean vs noisy labels: Δ = f(θ_{t+1}) − f(θ_t) across runs, given θ_t at the 10/50/90% loss runs (fresh batches), and their variances (003 Figs. 9, 10, 24)",
    build,
};

/// One setting: its label, preset, mini-batch size (the preset's where
/// `None`), seed, the symmetric-log threshold of its Δ axes, and its sizes
/// in quick and full mode.
struct Setting {
    label: &'static str,
    preset: &'static str,
    batch: Option<usize>,
    seed: u64,
    symlog: f64,
    quick: Sizes,
    full: Sizes,
}

/// Runs, steps (the preset's where `None`), the record cadence and the
/// steps at which the loss-quantile runs are frozen.
struct Sizes {
    runs: u64,
    steps: Option<u64>,
    record_every: u64,
    at: &'static [u64],
}

/// Full mode runs the clean settings at the paper's 10⁴ runs and the noisy
/// ones (T = 10⁴ and 3000, recorded every 50 steps) at 10³, and freezes the
/// 10/50/90% runs from the first step on (steps off the record grid are
/// recorded with all before them); quick mode fewer runs and steps.
const SETTINGS: [Setting; 4] = [
    Setting {
        label: "Gauss-10 clean",
        preset: "li-gauss10",
        batch: None,
        seed: 310,
        symlog: 1e-9,
        quick: Sizes { runs: 300, steps: None, record_every: 10, at: &[1, 10, 50, 400] },
        full: Sizes { runs: 10_000, steps: None, record_every: 10, at: &[1, 5, 10, 15, 25, 50, 100, 200, 400] },
    },
    Setting {
        label: "Gauss-10 noisy",
        preset: "li-gauss10-noisy",
        batch: None,
        seed: 311,
        symlog: 1e-6,
        quick: Sizes { runs: 100, steps: Some(2000), record_every: 50, at: &[50, 500, 2000] },
        full: Sizes {
            runs: 1000,
            steps: None,
            record_every: 50,
            at: &[1, 10, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
        },
    },
    Setting {
        label: "Gauss-2 clean",
        preset: "li-gauss2",
        batch: Some(50),
        seed: 312,
        symlog: 1e-9,
        quick: Sizes { runs: 300, steps: None, record_every: 5, at: &[1, 10, 50, 100] },
        full: Sizes { runs: 10_000, steps: None, record_every: 5, at: &[1, 5, 10, 20, 50, 100] },
    },
    Setting {
        label: "Gauss-2 noisy",
        preset: "li-gauss2-noisy",
        batch: Some(50),
        seed: 313,
        symlog: 1e-6,
        quick: Sizes { runs: 100, steps: Some(1000), record_every: 50, at: &[50, 500, 1000] },
        full: Sizes { runs: 1000, steps: None, record_every: 50, at: &[1, 10, 50, 100, 500, 1000, 3000] },
    },
];

/// The interquartile range of a normal law in standard deviations.
const IQR_PER_SD: f64 = 1.3489795003921634;

/// The study of `s` at the lab's size (fresh batches: 300 quick, 4000 full).
fn spec(lab: &Lab, s: &Setting) -> StudySpec {
    let sizes = if lab.quick { &s.quick } else { &s.full };
    StudySpec {
        runs: sizes.runs,
        seed: s.seed,
        batch: s.batch,
        steps: sizes.steps,
        record_every: Some(sizes.record_every),
        test_size: Some(0),
        loss_change_at: sizes.at.to_vec(),
        loss_change_batches: lab.size(300, 4000),
        ..StudySpec::new(s.preset)
    }
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (row, s) in SETTINGS.iter().enumerate() {
        let spec = spec(lab, s);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let n = &report.network;
        let setting = |kind: &str, step: u64| -> Vec<(&'static str, Cell)> {
            vec![
                ("kind", kind.into()),
                ("setting", s.label.into()),
                ("landscape", s.preset.into()),
                ("label_noise", n.label_noise.into()),
                ("labels_changed", n.labels_changed.into()),
                ("runs", (report.runs as usize).into()),
                ("diverged", report.diverged.into()),
                ("step", (step as usize).into()),
            ]
        };
        // Across runs: Δ_t of every run (its own batch) at each record.
        let (mut variance_across, mut robust_across) = (Vec::new(), Vec::new());
        for p in &report.curve {
            let d = &p.metrics["delta"];
            let variance = d.summary.stderr.powi(2) * d.summary.n as f64;
            // The variance a normal law with the same interquartile range
            // would have: blind to the rare huge Δ that dominate `variance`.
            let robust = ((d.quantile(0.75) - d.quantile(0.25)) / IQR_PER_SD).powi(2);
            let mut r = setting("across_runs", p.step);
            r.extend([("loss_quantile", f64::NAN.into()), ("run", f64::NAN.into())]);
            r.push(("train_loss_median", p.metrics["train_loss"].quantile(0.5).into()));
            r.extend(distribution_columns(d));
            r.extend([("variance", variance.into()), ("variance_iqr", robust.into())]);
            r.extend(provenance.clone());
            table.push(r);
            if p.step > 0 {
                variance_across.push(Point::new(p.step as f64, variance));
                robust_across.push(Point::new(p.step as f64, robust));
            }
        }
        // Given θ_t: the frozen runs over fresh batches.
        let mut given: Vec<Vec<Point>> = vec![Vec::new(); FROZEN_QUANTILES.len()];
        let mut variance_given: Vec<Vec<Point>> = vec![Vec::new(); FROZEN_QUANTILES.len()];
        for c in &report.loss_change {
            let j = FROZEN_QUANTILES.iter().position(|&q| q == c.quantile).expect("a frozen quantile");
            let d = &c.delta;
            let (q10, q50, q90) = (d.quantile(0.1), d.quantile(0.5), d.quantile(0.9));
            let mut r = setting("given_theta", c.step);
            r.extend([("loss_quantile", c.quantile.into()), ("run", (c.run as usize).into())]);
            r.push(("train_loss", c.train_loss.into()));
            r.extend(distribution_columns(d));
            r.extend([
                ("variance", c.variance.into()),
                ("variance_across_runs", c.variance_across_runs.into()),
                // > 1: the lower half of the law spreads further than the upper.
                ("lower_over_upper_spread", ((q50 - q10) / (q90 - q50)).into()),
                ("batches", (c.batches as usize).into()),
            ]);
            r.extend(provenance.clone());
            table.push(r);
            // Dodged on the log x axis so that the three runs' bars do not
            // overlap.
            let x = c.step as f64 * [0.9, 1.0, 1.1][j];
            given[j].push(Point::with_ci(x, q50, q10, q90));
            variance_given[j].push(Point::new(c.step as f64, c.variance));
        }
        let title = |what: &str| match n.labels_changed {
            0 => format!("{}, m={}, {} runs: {what}", s.label, report.sgd.batch, report.runs),
            changed => format!("{} ({changed}/{}), m={}, {} runs: {what}", s.label, n.n, report.sgd.batch, report.runs),
        };
        let across = report.curve.iter().filter(|p| p.step > 0).map(|p| (p.step as f64, &p.metrics["delta"]));
        panels.push(Chart {
            title: title("Δₜ across runs"),
            x_label: "iteration t".into(),
            y_label: "Δₜ = f(θₜ₊₁) − f(θₜ)".into(),
            x_log: true,
            y_symlog: Some(s.symlog),
            series: quantile_bands("", row, across),
            ..Default::default()
        });
        panels.push(Chart {
            title: title("Δ given θₜ"),
            x_label: "iteration t (frozen)".into(),
            y_label: "Δ over fresh batches: median, 10–90%".into(),
            x_log: true,
            y_symlog: Some(s.symlog),
            series: frozen_series("at the", given, Style::Markers),
            ..Default::default()
        });
        let mut series = vec![
            Series::new("across runs", Style::Line, variance_across).coloured(row),
            Series::new("across runs, (IQR/1.349)²", Style::Dashed, robust_across).coloured(row),
        ];
        series.extend(frozen_series("given θₜ at the", variance_given, Style::Markers));
        panels.push(Chart {
            title: title("variance of Δ"),
            x_label: "iteration t".into(),
            y_label: "Var Δ".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
