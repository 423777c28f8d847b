//! `li-spectra`: seed 003's full eigen-spectra of the loss Hessian H_f, the
//! second moment M_t and Proposition 1's residual H_p = (1/n)Σ∇²p_i/p_i
//! (sec. 4.1, Fig. 1), each the mean over runs per sorted index, at the
//! first (t = 0), a middle (T/2) and the last iteration (T), on Gauss-10 with
//! clean and with 15% noisy labels. Each matrix is exact and dense (H_f and
//! H_p from p Hessian-vector products each, on their own heads; faer's
//! eigensolver); the largest ‖H_f − (M − H_p)‖_F/‖·‖ over the runs checks
//! Proposition 1 at every snapshot. The paper: H_p stays significant after
//! convergence and approaches −H_f; with clean labels M's eigenvalues
//! vanish, with noisy labels M keeps a handful an order of magnitude below
//! H_f's top.

use super::lab::{measured, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-spectra",
    about: "Gauss-10 MLP, clean vs 15% noisy labels: full spectra of H_f, M and H_p (mean per sorted index over runs) at t = 0, T/2, T, with Proposition 1's residual (003 Fig. 1)",
    build,
};

/// (label, preset, seed, quick T).
const SETTINGS: [(&str, &str, u64, u64); 2] =
    [("Gauss-10 clean", "li-gauss10", 330, 400), ("Gauss-10 noisy", "li-gauss10-noisy", 331, 2000)];

/// The matrices: (CSV name, label).
const MATRICES: [(&str, &str); 3] = [("H_f", "∇²f"), ("M", "M"), ("H_p", "Hₚ")];

/// Symmetric-log threshold of the eigenvalue axes.
const SYMLOG: f64 = 1e-4;

/// 100 runs in full mode (about three minutes on two cores), 8 and a
/// shorter noisy run in quick mode.
pub(super) fn spec(lab: &Lab, preset: &str, seed: u64, quick_steps: u64) -> StudySpec {
    let base = StudySpec::new(preset);
    let steps = if lab.quick { quick_steps } else { crate::study::preset(preset).expect("a preset").steps };
    StudySpec {
        runs: lab.size(8, 100),
        seed,
        steps: lab.quick.then_some(steps),
        record_every: Some(steps / 20),
        test_size: Some(0),
        curvature_at: vec![0, steps / 2, steps],
        full_spectra: true,
        ..base
    }
}

/// The indices written to the CSV: the first and last 50, every tenth
/// between.
fn written(p: usize) -> impl Iterator<Item = usize> {
    (0..p).filter(move |&i| i < 50 || i + 50 >= p || i % 10 == 9)
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (label, preset, seed, quick_steps) in SETTINGS {
        let spec = spec(lab, preset, seed, quick_steps);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let c = report.curvature.as_ref().expect("the spec asks for curvature");
        let mut lines: [Vec<Series>; 3] = Default::default();
        for (k, snap) in c.snapshots.iter().enumerate() {
            let sp = snap.spectra.as_ref().expect("dense spectra");
            let setting = |statistic: String, index: usize| -> Vec<(&'static str, Cell)> {
                vec![
                    ("setting", label.into()),
                    ("landscape", preset.into()),
                    ("label_noise", report.network.label_noise.into()),
                    ("runs", (c.runs as usize).into()),
                    ("diverged", snap.diverged.into()),
                    ("step", (snap.step as usize).into()),
                    ("statistic", statistic.into()),
                    ("index", index.into()),
                ]
            };
            let mut check = setting("proposition_1_max_relative_residual".into(), 0);
            check.push(("mean", sp.proposition_1.into()));
            check.extend(provenance.clone());
            table.push(check);
            for (name, d) in [("hessian_trace", &sp.hessian_trace), ("moment_trace", &snap.moment_trace)] {
                let mut r = setting(name.into(), 0);
                r.extend(measured(&d.summary));
                r.extend(provenance.clone());
                table.push(r);
            }
            for (m, ((name, _), spectrum)) in MATRICES.iter().zip([&sp.hessian, &sp.moment, &sp.residual]).enumerate() {
                for i in written(spectrum.len()) {
                    let mut r = setting(format!("{name}_eigenvalue"), i + 1);
                    r.extend(measured(&spectrum[i].summary));
                    r.extend(provenance.clone());
                    table.push(r);
                }
                let points =
                    spectrum.iter().enumerate().map(|(i, d)| Point::new((i + 1) as f64, d.summary.mean)).collect();
                lines[m].push(Series::new(format!("t = {}", snap.step), Style::Line, points).coloured(k));
            }
        }
        for ((_, name), series) in MATRICES.iter().zip(lines) {
            panels.push(Chart {
                title: format!("{label} ({} runs): spectrum of {name}", c.runs),
                x_label: "index (largest first)".into(),
                y_label: format!("mean eigenvalue of {name}"),
                y_symlog: Some(SYMLOG),
                series,
                ..Default::default()
            });
        }
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
