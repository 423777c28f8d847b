//! `simsgd figure`: each experiment of the source papers on the artificial
//! landscapes as a named, reproducible figure. One call runs the simulations
//! (on the GPU where one is open), computes the predictions, and writes
//! `<name>.csv` (tidy: one row per point), `<name>.png` and `<name>.svg`,
//! the three together ([`make`]), into a folder checked before anything is
//! simulated ([`check_outputs`]).
//!
//! Every simulation is a [`Spec`](crate::experiment::Spec); its [`Spec::command_line`](crate::experiment::Spec::command_line) (the label of
//! its progress bar) reproduces each point by hand, and each CSV row it
//! measures carries it with the run's seed (`command` and `seed`:
//! `lab::provenance`).

mod archimedes_drift;
mod breakdown_map;
mod epochs;
mod eta_sweep;
mod gauss_sgd_vs_sde;
mod gdc;
mod invhess;
mod l2_regularization;
mod lab;
mod li_adaptive;
mod li_alignment;
mod li_davis_kahan;
mod li_dynamics;
mod li_layers;
mod li_loss_change;
mod li_pac_bayes;
mod li_spectra;
mod li_theorem1;
mod loss_vs_eta;
mod mean_estimation_overfit;
mod momentum;
mod parameter_sweep;
pub mod table;
mod test_loss_vs_eta;
mod valley_of_death;

use crate::atomic;
use crate::error::{one_line, usage, Error, Result};
use crate::plot;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use lab::{Drawing, Figure, Lab, Plot};

/// The figures, in gallery order.
pub const FIGURES: &[Figure] = &[
    archimedes_drift::FIGURE,
    mean_estimation_overfit::FIGURE,
    gauss_sgd_vs_sde::FIGURE,
    epochs::FIGURE,
    gdc::FIGURE,
    momentum::FIGURE,
    invhess::FIGURE,
    test_loss_vs_eta::FIGURE,
    eta_sweep::FIGURE,
    valley_of_death::FIGURE,
    l2_regularization::FIGURE,
    breakdown_map::FIGURE,
    li_dynamics::FIGURE,
    li_loss_change::FIGURE,
    li_spectra::FIGURE,
    li_alignment::FIGURE,
    li_davis_kahan::FIGURE,
    li_layers::FIGURE,
    li_theorem1::FIGURE,
    li_pac_bayes::FIGURE,
    li_adaptive::FIGURE,
];

/// Looks a figure up by name.
pub fn find(name: &str) -> Result<&'static Figure> {
    FIGURES.iter().find(|f| f.name == name).ok_or_else(|| {
        let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        usage(format!("unknown figure '{name}' (known: {})", names.join(", ")))
    })
}

/// Builds `figure` and writes its CSV, PNG and SVG under `out` (created
/// where missing), the three together ([`atomic::write_together`]: an
/// interrupt leaves all three old files or all three new ones); returns the
/// number of rows.
pub fn make(figure: &Figure, lab: &Lab, out: &Path) -> Result<usize> {
    let drawing = (figure.build)(lab)?;
    let images = match &drawing.plot {
        Plot::Panels(charts) if charts.len() == 1 => plot::chart_images(&charts[0])?,
        Plot::Panels(charts) => plot::panels_images(charts)?,
        Plot::Heatmaps { maps, columns } => plot::heatmap_panels_images(maps, *columns)?,
    };
    std::fs::create_dir_all(out).map_err(|source| Error::Io { path: out.display().to_string(), source })?;
    let [csv, png, svg] = files(figure, out);
    atomic::write_together(&[(csv, drawing.table.csv()), (png, images.png), (svg, images.svg.into_bytes())])
        .map_err(|(path, source)| Error::Io { path: path.display().to_string(), source })?;
    Ok(drawing.table.rows.len())
}

/// The CSV, PNG and SVG `figure` writes under `out`.
pub fn files(figure: &Figure, out: &Path) -> [PathBuf; 3] {
    ["csv", "png", "svg"].map(|ext| out.join(format!("{}.{ext}", figure.name)))
}

/// Checks, before anything is simulated, that the figures' files can be
/// written under `out`: a directory (or a path `mkdir -p` would create), in
/// which a file can be made, and where each figure's CSV, PNG and SVG is a
/// path [`atomic`] writes (not a directory, not a link to nothing).
pub fn check_outputs(figures: &[&Figure], out: &Path) -> Result<()> {
    let io = |path: &Path, source| Error::Io { path: path.display().to_string(), source };
    atomic::check_directory(out).map_err(|e| io(out, e))?;
    if out.is_dir() {
        for file in figures.iter().flat_map(|f| files(f, out)) {
            if std::fs::symlink_metadata(&file).is_ok() {
                atomic::check_writable(&file).map_err(|e| io(&file, e))?;
            }
        }
    }
    Ok(())
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
                one_line(&out.join(figure.name).display().to_string())
            ),
            Err(e) => {
                eprintln!("simsgd: figure {}: failed: {}", figure.name, one_line(&e.to_string()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Backends, Choice};
    use crate::error::usage;
    use crate::plot::{Chart, Point, Series, Style};

    fn fails(_: &Lab) -> Result<Drawing> {
        Err(usage("this figure fails"))
    }

    fn draws(_: &Lab) -> Result<Drawing> {
        let mut table = table::Table::default();
        table.push(vec![("x", 1.0.into()), ("y", 2.0.into())]);
        let series = vec![Series::new("y", Style::Line, vec![Point::new(1.0, 2.0), Point::new(2.0, 3.0)])];
        let chart = Chart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_log: false,
            y_log: false,
            y_symlog: None,
            series,
        };
        Ok(Drawing { table, plot: Plot::Panels(vec![chart]) })
    }

    /// A figure that fails fails alone: the others are written (their three
    /// files, together, into the folder made for them), and the error names
    /// it.
    #[test]
    fn one_failure_does_not_lose_the_others() {
        let out = std::env::temp_dir().join(format!("simsgd-make-all-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let bad = Figure { name: "bad", about: "", build: fails };
        let good = Figure { name: "good", about: "", build: draws };
        let lab =
            Lab { quick: true, backends: Backends::open(Choice::Cpu, 1, true).unwrap(), quiet: true, subject: None };
        let e = make_all(&[&bad, &good], &lab, &out.join("sub")).unwrap_err();
        assert_eq!(e.to_string(), "1 of 2 figures failed: bad");
        let mut written: Vec<String> = std::fs::read_dir(out.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(written, ["good.csv", "good.png", "good.svg"]);
        assert_eq!(std::fs::read_to_string(out.join("sub/good.csv")).unwrap(), "x,y\n1,2\n");
        std::fs::remove_dir_all(&out).unwrap();
    }
}
