//! What every figure shares: the [`Figure`] entry, the [`Drawing`] it
//! returns, the [`Lab`] that runs its experiments on the chosen backend, and
//! the helpers for predictions, measured and provenance (seed and command)
//! columns, labels and chart series.

use super::table::Cell;
use super::table::Table;
use crate::backend::{driver, Backends, Choice};
use crate::commands::study as study_command;
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::observables::{Outcome, Trial};
use crate::plan::Plan;
use crate::plot::{self, Chart, Heatmap, Series, Style};
use crate::progress::Progress;
use crate::stats::Summary;
use crate::study::distribution::Distribution;
use crate::study::spec::FROZEN_QUANTILES;
use crate::study::{StudyReport, StudySpec};
use crate::theory::law::{self, Law};
use crate::theory::predict::{self, Prediction};
use crate::theory::resum::{self, Resum};

/// A named figure.
pub struct Figure {
    pub name: &'static str,
    /// What it shows, and from which paper.
    pub about: &'static str,
    pub(super) build: fn(&Lab) -> Result<Drawing>,
}

/// What a figure draws.
pub enum Plot {
    /// One or more charts side by side.
    Panels(Vec<Chart>),
    /// Heat maps in a grid, `columns` per row, on one colour scale.
    Heatmaps { maps: Vec<Heatmap>, columns: usize },
}

/// A figure's data and picture.
pub struct Drawing {
    pub table: Table,
    pub plot: Plot,
}

/// Where figures run their experiments: the size (quick or full) and the
/// backend.
pub struct Lab {
    pub quick: bool,
    pub backends: Backends,
    pub quiet: bool,
    /// The landscape a figure about the user's own landscape draws
    /// (`--loss`, `--landscape-file`, `--param`): `eta-sweep`.
    pub subject: Option<Spec>,
}

impl Lab {
    /// `quick` in `--quick` mode, else `full`.
    pub fn size<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }

    /// Runs `spec` on the lab's backend.
    pub fn run(&self, spec: &Spec) -> Result<(Experiment, Outcome)> {
        let exp = spec.resolve()?;
        let progress = Progress::new(exp.trials * (1 + exp.compare.is_some() as u64), &spec.command_line(), self.quiet);
        let out = driver::run(self.backends.for_experiment(&exp)?, &exp, &progress)?;
        progress.finish();
        Ok((exp, out))
    }

    /// Runs the network study `spec` (seed 003) on the lab's CPU threads,
    /// whatever the backend: the study has no GPU kernel yet. Unless quiet,
    /// the `simsgd run` command that reproduces it goes to stderr first.
    pub fn study(&self, spec: &StudySpec) -> Result<StudyReport> {
        let options = study_command::Options {
            backend: Choice::Cpu,
            threads: self.backends.cpu().threads(),
            quiet: self.quiet,
            outputs: Vec::new(),
        };
        if !self.quiet {
            eprintln!("simsgd: {}", study_command_line(spec));
        }
        study_command::run(spec, &options, None)
    }

    /// Per-trial differences f(a) − f(b) of `plan_a` and `plan_b` on the same
    /// trials (the same training sets), over the trials where neither
    /// diverged: a paired comparison of grids that `--compare` cannot pair
    /// (different T).
    pub fn paired(&self, exp: &Experiment, a: &Plan, b: &Plan, f: impl Fn(&Trial) -> f64 + Sync) -> Result<Summary> {
        let pair = Experiment { plan: a.clone(), compare: Some(b.clone()), ..exp.clone() };
        let sim = self.backends.for_experiment(&pair)?;
        Ok(driver::paired(sim, exp, a, b, f)?.summary())
    }
}

/// The exact sample law at the experiment's init.
pub fn law(exp: &Experiment) -> Result<Law> {
    exp.landscape.visit(law::Exact(&exp.init))
}

/// The η-series prediction of `plan` to `order`.
pub fn series(exp: &Experiment, plan: &Plan, order: usize) -> Result<Prediction> {
    predict::predict(&law(exp)?, plan, order)
}

/// The η-series coefficients, to `order`, of the predicted paired difference
/// of expected test loss (primary − compared) of a `--compare` experiment,
/// from one law; evaluate them at any η with `predict::value`.
pub fn difference_series(exp: &Experiment, order: usize) -> Result<Vec<f64>> {
    let law = law(exp)?;
    let compare = exp.compare.as_ref().expect("a paired experiment");
    let (a, b) = (predict::predict(&law, &exp.plan, order)?, predict::predict(&law, compare, order)?);
    Ok(a.test_loss.iter().zip(&b.test_loss).map(|(x, y)| x - y).collect())
}

/// The re-summed prediction of `plan` to `order`.
pub fn resummed(exp: &Experiment, plan: &Plan, order: usize, mode: Resum) -> Result<Prediction> {
    resum::predict(&law(exp)?, plan, order, mode)
}

/// The columns of a measured mean: n, mean, stderr, ci95_lo, ci95_hi.
pub fn measured(s: &Summary) -> Vec<(&'static str, Cell)> {
    vec![
        ("n", (s.n as f64).into()),
        ("mean", s.mean.into()),
        ("stderr", s.stderr.into()),
        ("ci95_lo", s.ci95[0].into()),
        ("ci95_hi", s.ci95[1].into()),
    ]
}

/// The provenance columns of a row measured by `spec`'s run: its seed and
/// the `simsgd run` command that regenerates the row (add `--csv -` or
/// `--json`, and the figure's `--backend`).
pub fn provenance(spec: &Spec) -> Vec<(&'static str, Cell)> {
    source(spec.seed, spec.command_line())
}

/// [`provenance`] of a row measured by the network study `spec`.
pub fn study_provenance(spec: &StudySpec) -> Vec<(&'static str, Cell)> {
    source(spec.seed, study_command_line(spec))
}

/// [`provenance`] of a paired difference of two runs on the same trials
/// that `--compare` cannot pair ([`Lab::paired`]: different T): the shared
/// seed and both runs' commands, joined by `&&`; the row's mean is the
/// first's minus the second's, trial by trial.
pub fn paired_provenance(a: &Spec, b: &Spec) -> Vec<(&'static str, Cell)> {
    debug_assert_eq!(a.seed, b.seed, "a paired comparison shares its trials");
    source(a.seed, format!("{} && {}", a.command_line(), b.command_line()))
}

/// [`provenance`] of a row the figure computes itself from draws of `seed`
/// (no `simsgd run` prints it): `simsgd figure NAME` at the lab's size.
pub fn figure_provenance(lab: &Lab, figure: &str, seed: u64) -> Vec<(&'static str, Cell)> {
    source(seed, format!("simsgd figure {figure}{}", if lab.quick { " --quick" } else { "" }))
}

/// The `seed` and `command` columns.
fn source(seed: u64, command: String) -> Vec<(&'static str, Cell)> {
    vec![("seed", seed.into()), ("command", command.into())]
}

/// The y label of a test loss change after `steps` steps, E[l(θ_T)] − l(θ₀)
/// with T written out as a subscript (Unicode has no subscript capital T).
pub fn loss_change_label(steps: usize) -> String {
    format!("E[l(θ{})] − l(θ₀)", plot::subscript(&steps.to_string()))
}

/// A measured quantity's markers beside its η-series to orders 1–3 (order
/// 1 and 2 dashed, 3 solid): each in its own palette colour, the same in
/// every figure (measured 0, order k colour k).
pub fn order_series(measured: Vec<plot::Point>, orders: [Vec<plot::Point>; 3]) -> Vec<Series> {
    let [o1, o2, o3] = orders;
    vec![
        Series::new("measured (95% CI)", Style::Markers, measured).coloured(0),
        Series::new("order 1", Style::Dashed, o1).coloured(1),
        Series::new("order 2", Style::Dashed, o2).coloured(2),
        Series::new("order 3", Style::Line, o3).coloured(3),
    ]
}

/// A chart point with the 95% CI of a measured mean.
pub fn ci_point(x: f64, s: &Summary) -> plot::Point {
    plot::Point::with_ci(x, s.mean, s.ci95[0], s.ci95[1])
}

/// `n` values from `a` to `b`, evenly spaced on a log scale.
pub fn log_space(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| a * (b / a).powf(i as f64 / (n - 1).max(1) as f64)).collect()
}

/// The `simsgd run` command that runs the network study `spec`: its preset
/// and each setting that differs from the preset's.
pub fn study_command_line(spec: &StudySpec) -> String {
    let base = StudySpec::new(&spec.preset);
    let list = |v: &[u64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",");
    let mut line = format!("simsgd run {} --trials {} --seed {}", spec.preset, spec.runs, spec.seed);
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            line += &format!(" --{name}{}{v}", if v.is_empty() { "" } else { " " });
        }
    };
    flag("data", spec.data.as_ref().map(|p| p.display().to_string()));
    flag("classes", spec.classes.map(|k| k.to_string()));
    flag("label-noise", spec.label_noise.map(|r| r.to_string()));
    flag("train-size", spec.train_size.map(|n| n.to_string()));
    flag("dim", spec.dim.map(|d| d.to_string()));
    flag("test-size", spec.test_size.map(|n| n.to_string()));
    flag("data-seed", (spec.data_seed != base.data_seed).then(|| spec.data_seed.to_string()));
    flag("raw-features", spec.raw_features.then(String::new));
    flag("hidden", spec.hidden.as_ref().map(|h| h.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")));
    flag("init", (spec.init != base.init).then(|| format!("{:?}", spec.init).to_lowercase()));
    flag("eta", spec.eta.map(|e| e.to_string()));
    flag("batch", spec.batch.map(|m| m.to_string()));
    flag("steps", spec.steps.map(|t| t.to_string()));
    flag("shuffle", spec.shuffle.then(String::new));
    flag("record-every", spec.record_every.map(|k| k.to_string()));
    flag("record-all-until", spec.record_all_until.map(|t| t.to_string()));
    flag("test-every", spec.test_every.map(|c| c.to_string()));
    flag(
        "quantiles",
        (spec.quantiles != base.quantiles)
            .then(|| spec.quantiles.iter().map(|q| q.to_string()).collect::<Vec<_>>().join(",")),
    );
    flag("loss-change-at", (!spec.loss_change_at.is_empty()).then(|| list(&spec.loss_change_at)));
    flag(
        "loss-change-batches",
        (!spec.loss_change_at.is_empty() && spec.loss_change_batches != base.loss_change_batches)
            .then(|| spec.loss_change_batches.to_string()),
    );
    flag("curvature-at", (!spec.curvature_at.is_empty()).then(|| list(&spec.curvature_at)));
    flag("curvature-runs", spec.curvature_runs.map(|r| r.to_string()));
    flag("top", spec.top.map(|q| q.to_string()));
    flag("full-spectra", spec.full_spectra.then(String::new));
    flag("pac-bayes", spec.pac_bayes.then(String::new));
    flag("prior-sd", spec.prior_sd.map(|s| s.to_string()));
    flag("prior-mean", spec.prior_mean.map(|m| format!("{m:?}").to_lowercase()));
    flag("delta", spec.delta.map(|d| d.to_string()));
    flag("gibbs-draws", spec.gibbs_draws.map(|k| k.to_string()));
    flag(
        "adaptive",
        (!spec.adaptive.is_empty()).then(|| spec.adaptive.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")),
    );
    flag("smoothness", spec.smoothness.map(|l| l.to_string()));
    line
}

/// The quantile levels of the network figures' bands over runs, and their
/// CSV columns.
pub const BAND_QUANTILES: [(f64, &str); 5] =
    [(0.1, "q0.1"), (0.25, "q0.25"), (0.5, "q0.5"), (0.75, "q0.75"), (0.9, "q0.9")];

/// The columns of a distribution over runs: those of [`measured`], the
/// quantiles of [`BAND_QUANTILES`], and the median's distribution-free 95%
/// interval.
pub fn distribution_columns(d: &Distribution) -> Vec<(&'static str, Cell)> {
    let mut row = measured(&d.summary);
    row.extend(BAND_QUANTILES.iter().map(|&(q, name)| (name, d.quantile(q).into())));
    let median = d.quantile_ci95.get("0.5").copied().unwrap_or([f64::NAN; 2]);
    row.extend([("q0.5_ci95_lo", median[0].into()), ("q0.5_ci95_hi", median[1].into())]);
    row
}

/// Quantile bands over runs in palette colour `colour`: 10–90% and 25–75%
/// shaded (darker where they overlap), the median a line; points whose
/// median is not finite are left out.
pub fn quantile_bands<'a>(
    prefix: &str,
    colour: usize,
    points: impl IntoIterator<Item = (f64, &'a Distribution)>,
) -> Vec<Series> {
    let points: Vec<(f64, &Distribution)> = points.into_iter().filter(|(_, d)| d.quantile(0.5).is_finite()).collect();
    let band = |lo: f64, hi: f64| -> Vec<plot::Point> {
        points.iter().map(|(x, d)| plot::Point::with_ci(*x, d.quantile(0.5), d.quantile(lo), d.quantile(hi))).collect()
    };
    vec![
        Series::new(format!("{prefix}10–90% of runs"), Style::Shade, band(0.1, 0.9)).coloured(colour),
        Series::new(format!("{prefix}25–75%"), Style::Shade, band(0.25, 0.75)).coloured(colour),
        Series::new(format!("{prefix}median"), Style::Line, band(0.5, 0.5)).coloured(colour),
    ]
}

/// Palette colours of the runs frozen at the 10%, 50% and 90% loss
/// quantiles ([`FROZEN_QUANTILES`]).
const FROZEN_COLOURS: [usize; 3] = [2, 4, 3];

/// One series per frozen loss-quantile run, named "`{name}` q% loss run" and
/// coloured by its quantile: `points[j]` belongs to `FROZEN_QUANTILES[j]`
/// (li-loss-change, li-theorem1).
pub fn frozen_series(name: &str, points: Vec<Vec<plot::Point>>, style: Style) -> Vec<Series> {
    FROZEN_QUANTILES
        .iter()
        .zip(points)
        .zip(FROZEN_COLOURS)
        .map(|((q, p), k)| Series::new(format!("{name} {:.0}% loss run", q * 100.0), style, p).coloured(k))
        .collect()
}
