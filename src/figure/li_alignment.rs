//! `li-alignment`: seed 003's overlap of the top subspaces of the loss
//! Hessian H_f(θ_t) and the stochastic gradients' second moment M_t
//! (sec. 4.2, Figs. 2 and 15): the cosines of the principal angles between
//! the top-q eigenvector spaces (q = 15 for Gauss-10, 5 for Gauss-2) over
//! the iterations, mean over runs with its 95% CI, the across-run 10–90%
//! band of the index the paper calls aligned (cos γ₁₀ and cos γ₂), and the
//! top eigenvalues of both matrices. H_f's pairs come from Lanczos on exact
//! Hessian-vector products, M's from its 100 × 100 Gram matrix
//! (`crate::study::curvature`). The paper: cos γ₁ … cos γ₁₀ ≈ 1 throughout
//! training on Gauss-10, cos γ₁, cos γ₂ ≈ 1 on Gauss-2.

use super::lab::{distribution_columns, quantile_bands, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{subscript, Chart, Point, Series, Style};
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-alignment",
    about: "Gauss-10 (q = 15) and Gauss-2 (q = 5) MLPs, clean labels: cosines of the principal angles between the top-q subspaces of H_f and M over iterations, and their top eigenvalues (003 Figs. 2, 15)",
    build,
};

/// One setting: label, preset, the number of leading cosines the paper
/// calls ≈ 1, the indices drawn, the seed, and the measured steps.
struct Setting {
    label: &'static str,
    preset: &'static str,
    aligned: usize,
    drawn: &'static [usize],
    seed: u64,
    at: &'static [u64],
}

const SETTINGS: [Setting; 2] = [
    Setting {
        label: "Gauss-10 clean",
        preset: "li-gauss10",
        aligned: 10,
        drawn: &[1, 2, 5, 8, 10, 12, 15],
        seed: 320,
        at: &[0, 1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 350, 400],
    },
    Setting {
        label: "Gauss-2 clean",
        preset: "li-gauss2",
        aligned: 2,
        drawn: &[1, 2, 3, 4, 5],
        seed: 321,
        at: &[0, 1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    },
];

/// The study of `s`: 1000 runs measured at every step of `s.at` in full
/// mode (about five minutes on two cores), 40 runs at every other step in
/// quick mode.
fn spec(lab: &Lab, s: &Setting) -> StudySpec {
    let runs = lab.size(40, 1000);
    let at: Vec<u64> =
        if lab.quick { s.at.iter().step_by(2).chain(s.at.last()).copied().collect() } else { s.at.to_vec() };
    StudySpec { runs, seed: s.seed, test_size: Some(0), curvature_at: at, ..StudySpec::new(s.preset) }
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (row, s) in SETTINGS.iter().enumerate() {
        let spec = spec(lab, s);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let c = report.curvature.as_ref().expect("the spec asks for curvature");
        let setting = |kind: &str, statistic: String, step: u64, diverged: usize| -> Vec<(&'static str, Cell)> {
            vec![
                ("kind", kind.into()),
                ("setting", s.label.into()),
                ("landscape", s.preset.into()),
                ("runs", (c.runs as usize).into()),
                ("top", c.top.into()),
                ("diverged", diverged.into()),
                ("statistic", statistic.into()),
                ("step", (step as usize).into()),
            ]
        };
        for snap in &c.snapshots {
            let lists = [
                ("cos_gamma", &snap.cosines),
                ("hessian_lambda", &snap.hessian_top),
                ("moment_lambda", &snap.moment_top),
            ];
            for (name, list) in lists {
                for (i, d) in list.iter().enumerate() {
                    let mut r = setting("curve", format!("{name}_{}", i + 1), snap.step, snap.diverged);
                    r.extend(distribution_columns(d));
                    let claim = if name == "cos_gamma" && i < s.aligned { 1.0 } else { f64::NAN };
                    r.push(("paper_claim", claim.into()));
                    r.extend(provenance.clone());
                    table.push(r);
                }
            }
        }
        // The verdict: each aligned cosine at the last step and its mean over
        // the steps after the first tenth of training.
        let last = c.snapshots.last().expect("snapshots");
        let late: Vec<_> = c.snapshots.iter().filter(|p| p.step * 10 >= report.sgd.steps && p.step > 0).collect();
        for i in 0..s.aligned.min(c.top) {
            let mut r = setting("verdict_last_step", format!("cos_gamma_{}", i + 1), last.step, last.diverged);
            r.extend(distribution_columns(&last.cosines[i]));
            let over: f64 = late.iter().map(|p| p.cosines[i].summary.mean).sum::<f64>() / late.len().max(1) as f64;
            r.extend([("mean_over_training", over.into()), ("paper_claim", 1.0.into())]);
            r.extend(provenance.clone());
            table.push(r);
        }
        let title = |what: &str| format!("{}, m={}, {} runs: {what}", s.label, report.sgd.batch, c.runs);
        // Steps on a log axis: t = 0 is drawn at ½.
        let x = |t: u64| if t == 0 { 0.5 } else { t as f64 };
        let mean_series = |pick: &dyn Fn(&crate::study::curvature::Snapshot) -> &Vec<_>, style: Style, name: &str| {
            // `name` ends in the index, as a subscript where it ends in `_`.
            s.drawn
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let points = c
                        .snapshots
                        .iter()
                        .filter_map(|p| {
                            pick(p).get(i - 1).map(|d: &crate::study::distribution::Distribution| (p.step, d))
                        })
                        .filter(|(_, d)| d.summary.mean.is_finite())
                        .map(|(t, d)| Point::with_ci(x(t), d.summary.mean, d.summary.ci95[0], d.summary.ci95[1]))
                        .collect();
                    let label = match name.strip_suffix('_') {
                        Some(stem) => format!("{stem}{}", subscript(&i.to_string())),
                        None => format!("{name}{i}"),
                    };
                    Series::new(label, style, points).coloured(k)
                })
                .collect::<Vec<_>>()
        };
        panels.push(Chart {
            title: title("cos γᵢ (mean, 95% CI)"),
            x_label: "iteration t (0 at ½)".into(),
            y_label: "cos γᵢ between top-q of ∇²f and M".into(),
            x_log: true,
            series: mean_series(&|p| &p.cosines, Style::Band, "i = "),
            ..Default::default()
        });
        let band = c.snapshots.iter().filter_map(|p| p.cosines.get(s.aligned - 1).map(|d| (x(p.step), d)));
        let mut series = quantile_bands("", row, band);
        series.push(
            Series::new("paper: ≈ 1", Style::Dashed, vec![Point::new(0.5, 1.0), Point::new(x(last.step), 1.0)])
                .coloured(6),
        );
        panels.push(Chart {
            title: title(&format!("cos γ{} across runs", subscript(&s.aligned.to_string()))),
            x_label: "iteration t (0 at ½)".into(),
            y_label: format!("cos γ{}", subscript(&s.aligned.to_string())),
            x_log: true,
            series,
            ..Default::default()
        });
        let mut eig = mean_series(&|p| &p.hessian_top, Style::Line, "∇²f λ_");
        eig.extend(mean_series(&|p| &p.moment_top, Style::Dashed, "M λ_"));
        panels.push(Chart {
            title: title("top eigenvalues, ∇²f solid, M dashed"),
            x_label: "iteration t (0 at ½)".into(),
            y_label: "mean eigenvalue".into(),
            x_log: true,
            y_log: true,
            series: eig,
            ..Default::default()
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
