//! `li-layers`: seed 003's layer-wise Hessian (sec. 4.4, Figs. 5–7) on
//! Gauss-10 with clean and 15% noisy labels: the spectra of the diagonal
//! blocks G_h of H_f (layer h's weights and biases; h = 0 the input layer,
//! 2 the output) and of the trailing blocks H_h (the sub-network from layer
//! h on, in the CSV), mean per sorted index over runs at t = 0, T/2 and T,
//! and the layer loading `‖v_i[h]‖²/p_h` of H_f's top 15 eigenvectors. The
//! paper: every G_h is PSD (eq. (21): with σ″ = 0 the network is piecewise
//! linear in one layer's parameters, so G_h is a Gauss–Newton block, exactly
//! PSD) and their top eigenvalues share an order of magnitude; the output
//! layer carries the largest loading on clean labels, while with noisy
//! labels the layers end up nearly equal.

use super::lab::{measured, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{subscript, Chart, Point, Series, Style};

pub const FIGURE: Figure = Figure {
    name: "li-layers",
    about: "Gauss-10 MLP, clean vs 15% noisy labels: spectra of H_f's layer blocks G_h (and trailing H_h) at t = 0, T/2, T, and the per-layer loading of its top 15 eigenvectors (003 Figs. 6, 7)",
    build,
};

/// (label, preset, seed, quick T).
const SETTINGS: [(&str, &str, u64, u64); 2] =
    [("Gauss-10 clean", "li-gauss10", 350, 400), ("Gauss-10 noisy", "li-gauss10-noisy", 351, 2000)];

/// Symmetric-log threshold of the eigenvalue axes.
const SYMLOG: f64 = 1e-4;

/// Eigenvalues written per block spectrum: the first and last 20.
const WRITTEN: usize = 20;

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = Vec::new();
    for (label, preset, seed, quick_steps) in SETTINGS {
        // The sizes of li-spectra's dense study, with this figure's seeds.
        let spec = super::li_spectra::spec(lab, preset, seed, quick_steps);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let c = report.curvature.as_ref().expect("the spec asks for curvature");
        let layers = c.snapshots[0].layer_loading.len();
        let mut block_lines: Vec<Vec<Series>> = vec![Vec::new(); layers];
        let mut loading_lines = Vec::new();
        for (k, snap) in c.snapshots.iter().enumerate() {
            let sp = snap.spectra.as_ref().expect("dense spectra");
            let row = |statistic: String, layer: usize, index: usize| -> Vec<(&'static str, Cell)> {
                vec![
                    ("setting", label.into()),
                    ("landscape", preset.into()),
                    ("runs", (c.runs as usize).into()),
                    ("diverged", snap.diverged.into()),
                    ("step", (snap.step as usize).into()),
                    ("statistic", statistic.into()),
                    ("layer", layer.into()),
                    ("index", index.into()),
                ]
            };
            let named = [("G_h", &sp.blocks, 0), ("H_h", &sp.trailing, 1)];
            for (name, spectra, first_layer) in named {
                for (j, spectrum) in spectra.iter().enumerate() {
                    let len = spectrum.len();
                    for i in (0..len).filter(|&i| i < WRITTEN || i + WRITTEN >= len) {
                        let mut r = row(format!("{name}_eigenvalue"), j + first_layer, i + 1);
                        r.extend(measured(&spectrum[i].summary));
                        r.extend(provenance.clone());
                        table.push(r);
                    }
                }
            }
            for (h, spectrum) in sp.blocks.iter().enumerate() {
                let points =
                    spectrum.iter().enumerate().map(|(i, d)| Point::new((i + 1) as f64, d.summary.mean)).collect();
                block_lines[h].push(Series::new(format!("t = {}", snap.step), Style::Line, points).coloured(k));
            }
            for (h, loads) in snap.layer_loading.iter().enumerate() {
                for (i, d) in loads.iter().enumerate() {
                    let mut r = row("loading".into(), h, i + 1);
                    r.extend(measured(&d.summary));
                    r.extend(provenance.clone());
                    table.push(r);
                }
                if k == 0 || k + 1 == c.snapshots.len() {
                    let points = loads
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            Point::with_ci((i + 1) as f64, d.summary.mean, d.summary.ci95[0], d.summary.ci95[1])
                        })
                        .collect();
                    let style = if k == 0 { Style::Dashed } else { Style::Band };
                    loading_lines.push(Series::new(format!("layer {h}, t = {}", snap.step), style, points).coloured(h));
                }
            }
        }
        for (h, series) in block_lines.into_iter().enumerate() {
            panels.push(Chart {
                title: format!("{label} ({} runs): spectrum of G{}", c.runs, subscript(&h.to_string())),
                x_label: "index (largest first)".into(),
                y_label: format!("mean eigenvalue of G{}", subscript(&h.to_string())),
                y_symlog: Some(SYMLOG),
                series,
                ..Default::default()
            });
        }
        panels.push(Chart {
            title: format!("{label}: loading ‖vᵢ[h]‖²/pₕ of ∇²f's top eigenvectors"),
            x_label: "eigenvector i".into(),
            y_label: "mean loading per parameter".into(),
            y_log: true,
            series: loading_lines,
            ..Default::default()
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
