//! `simsgd figure`: each experiment of the source papers on the artificial
//! landscapes as a named, reproducible figure. One call runs the simulations
//! (on the GPU where one is open), computes the predictions, and writes
//! `<name>.csv` (tidy: one row per point), `<name>.png` and `<name>.svg`,
//! each atomically.
//!
//! Every simulation is a [`Spec`]; its [`Spec::command_line`] (the label of
//! its progress bar) reproduces each point by hand.

mod archimedes_drift;
mod breakdown_map;
mod epochs;
mod gauss_sgd_vs_sde;
mod gdc;
mod l2_regularization;
mod lab;
mod loss_vs_eta;
mod mean_estimation_overfit;
pub mod table;
mod test_loss_vs_eta;
mod valley_of_death;

use crate::atomic;
use crate::error::{usage, Error, Result};
use crate::plot;
use std::path::Path;
use std::time::Instant;

pub use lab::{Drawing, Figure, Lab, Plot};

/// The figures, in gallery order.
pub const FIGURES: &[Figure] = &[
    archimedes_drift::FIGURE,
    mean_estimation_overfit::FIGURE,
    gauss_sgd_vs_sde::FIGURE,
    epochs::FIGURE,
    gdc::FIGURE,
    test_loss_vs_eta::FIGURE,
    valley_of_death::FIGURE,
    l2_regularization::FIGURE,
    breakdown_map::FIGURE,
];

/// Looks a figure up by name.
pub fn find(name: &str) -> Result<&'static Figure> {
    FIGURES.iter().find(|f| f.name == name).ok_or_else(|| {
        let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        usage(format!("unknown figure '{name}' (known: {})", names.join(", ")))
    })
}

/// Builds `figure` and writes its CSV, PNG and SVG under `out`; returns the
/// number of rows.
pub fn make(figure: &Figure, lab: &Lab, out: &Path) -> Result<usize> {
    let drawing = (figure.build)(lab)?;
    std::fs::create_dir_all(out).map_err(|source| Error::Io { path: out.display().to_string(), source })?;
    let stem = out.join(figure.name);
    let csv = stem.with_extension("csv");
    atomic::write(&csv, &drawing.table.csv())
        .map_err(|source| Error::Io { path: csv.display().to_string(), source })?;
    match &drawing.plot {
        Plot::Panels(charts) if charts.len() == 1 => plot::render(&charts[0], &stem)?,
        Plot::Panels(charts) => plot::render_panels(charts, &stem)?,
        Plot::Heatmaps { maps, columns } => plot::render_heatmap_panels(maps, *columns, &stem)?,
    }
    Ok(drawing.table.rows.len())
}

/// Makes each named figure, reporting each one's status on stderr; fails
/// (after trying them all) if any failed.
pub fn make_all(figures: &[&Figure], lab: &Lab, out: &Path) -> Result<()> {
    let mut failed = Vec::new();
    for (k, figure) in figures.iter().enumerate() {
        if !lab.quiet && figures.len() > 1 {
            eprintln!("simsgd: figure {} ({} of {})…", figure.name, k + 1, figures.len());
        }
        let start = Instant::now();
        match make(figure, lab, out) {
            Ok(rows) => eprintln!(
                "simsgd: figure {}: ok, {rows} rows, {:.1} s → {}.{{csv,png,svg}}",
                figure.name,
                start.elapsed().as_secs_f64(),
                out.join(figure.name).display()
            ),
            Err(e) => {
                eprintln!("simsgd: figure {}: failed: {e}", figure.name);
                failed.push(figure.name);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Failed(format!("{} of {} figures failed: {}", failed.len(), figures.len(), failed.join(", "))))
    }
}
