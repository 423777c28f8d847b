//! `li-theorem1`: seed 003's Theorem 1 (sec. 5.2) against Monte Carlo. Given
//! θ_t, one SGD step's loss change Δ has mean −η‖μ‖² + (η²/2)Tr(H M^(m))
//! to second order (the proof's form; the statement's Tr M_t is a slip) and
//! at most −η‖μ‖² + (η²/2)L Tr M^(m) with L = ‖H‖₂, and variance
//! η²(μ − ηHμ)ᵀ(Σ/m)(μ − ηHμ) at leading order (`network::theorem1`).
//! Rows: least squares on Gauss-2's standardised features with the labels as
//! responses (quadratic: the mean is exact, so the measurement must agree
//! within its SE), then the Gauss-10 network with clean and 15% noisy
//! labels, its runs at the 10/50/90% loss quantiles frozen at several steps
//! and stepped with fresh batches (`study::loss_change`), L = ‖H_f(θ_t)‖₂ by
//! Lanczos. Reported: each measured mean's distance from the second-order
//! value in SEs, and whether the bound fails (the 95% CI above it).

use super::lab::{figure_provenance, frozen_series, measured, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::network::gauss_k::GaussK;
use crate::network::least_squares::LeastSquares;
use crate::network::theorem1::{Prediction, Smooth, Step};
use crate::plot::{Chart, Point, Series, Style};
use crate::rng::{below, word, Stream};
use crate::stats::Moments;
use crate::study::spec::FROZEN_QUANTILES;
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-theorem1",
    about: "Theorem 1 vs Monte Carlo: E[Δ | θ_t] and Var[Δ | θ_t] of one SGD step against −η‖μ‖² + (η²/2)Tr(H M^(m)), its bound with L = ‖H‖₂ and the variance's leading term; least squares (exact) and the Gauss-10 MLP, clean vs noisy (003 sec. 5.2)",
    build,
};

/// Network settings: (label, preset, seed, symlog threshold, frozen steps
/// full, quick T and frozen steps quick).
struct Setting {
    label: &'static str,
    preset: &'static str,
    seed: u64,
    symlog: f64,
    at: &'static [u64],
    quick_steps: u64,
    quick_at: &'static [u64],
}

const SETTINGS: [Setting; 2] = [
    Setting {
        label: "Gauss-10 clean",
        preset: "li-gauss10",
        seed: 340,
        symlog: 1e-9,
        at: &[1, 5, 10, 25, 50, 100, 200, 400],
        quick_steps: 400,
        quick_at: &[1, 10, 100, 400],
    },
    Setting {
        label: "Gauss-10 noisy",
        preset: "li-gauss10-noisy",
        seed: 341,
        symlog: 1e-6,
        at: &[1, 10, 100, 1000, 5000, 10_000],
        quick_steps: 1000,
        quick_at: &[1, 100, 1000],
    },
];

/// The least-squares row: η·λ_max(H) (stable: below 2), m, and the frozen
/// steps of its SGD path.
const LS_ETA_LAMBDA: f64 = 0.5;
const LS_BATCH: usize = 5;
const LS_AT: [u64; 6] = [0, 1, 5, 20, 50, 100];
/// The least-squares row's seed: its Lanczos start, SGD path and fresh
/// batches.
const LS_SEED: u64 = 342;

fn spec(lab: &Lab, s: &Setting) -> StudySpec {
    StudySpec {
        runs: lab.size(200, 1000),
        seed: s.seed,
        steps: lab.quick.then_some(s.quick_steps),
        record_every: Some(if lab.quick { 10 } else { 50 }),
        test_size: Some(0),
        loss_change_at: if lab.quick { s.quick_at } else { s.at }.to_vec(),
        loss_change_batches: lab.size(1000, 10_000),
        ..StudySpec::new(s.preset)
    }
}

/// The verdict columns of a measured mean Δ against Theorem 1 at θ_t.
fn verdict(d: &Moments, t: &Prediction) -> Vec<(&'static str, Cell)> {
    let (se, variance) = (d.stderr(), d.variance());
    vec![
        ("theorem1_mean", t.mean.into()),
        ("z_second_order", ((d.mean - t.mean) / se).into()),
        ("theorem1_bound", t.bound.into()),
        ("smoothness_l", t.smoothness.into()),
        ("bound_fails", f64::from(u8::from(d.mean - 1.96 * se > t.bound)).into()),
        ("variance", variance.into()),
        ("theorem1_variance", t.variance.into()),
        ("variance_ratio", (variance / t.variance).into()),
        ("theorem1_variance_second_order", t.variance_second_order.into()),
        ("grad_sq", t.grad_sq.into()),
        ("trace_moment_m", t.trace_moment.into()),
    ]
}

/// Least squares on Gauss-2's standardised training features (y = the 0/1
/// labels): one SGD path from θ = 0 (batches of [`Stream::Batch`], seed
/// [`LS_SEED`]), frozen at [`LS_AT`], each with fresh batches.
fn least_squares(lab: &Lab, table: &mut Table) -> Result<Chart> {
    let data = GaussK { test_points: 0, ..GaussK::paper(2, 0.0) }.generate()?;
    let train = &data.train;
    let ls = LeastSquares::new(
        train.features().to_vec(),
        train.labels().iter().map(|&y| f64::from(y)).collect(),
        train.dim(),
    );
    let (n, d, m) = (ls.len(), ls.dim(), LS_BATCH as u64);
    let lmax = crate::eigen::lanczos(d, 1, 1e-12, (LS_SEED, 0), |v, o| ls.hvp(&[], v, o))?.eigen.values[0];
    let step = Step { eta: LS_ETA_LAMBDA / lmax, batch: LS_BATCH, without_replacement: false };
    let batches = lab.size(20_000, 200_000);
    let (mut theta, mut t) = (vec![0.0; d], 0);
    let (mut measured_points, mut predicted) = (Vec::new(), Vec::new());
    for &at in &LS_AT {
        while t < at {
            let batch: Vec<usize> =
                (0..m).map(|s| below(word(LS_SEED, 0, Stream::Batch, t * m + s), n as u32) as usize).collect();
            let g = ls.batch_gradient(&theta, &batch);
            theta.iter_mut().zip(&g).for_each(|(w, g)| *w -= step.eta * g);
            t += 1;
        }
        let pred = ls.predict(&theta, step, lmax);
        let mut deltas = Moments::default();
        ls.fresh_deltas(&theta, step, batches, (LS_SEED, 1 + at)).into_iter().for_each(|x| deltas.push(x));
        let mut r: Vec<(&'static str, Cell)> = vec![
            ("kind", "least_squares".into()),
            ("setting", "least squares, Gauss-2 features".into()),
            ("step", (at as usize).into()),
            ("loss_quantile", f64::NAN.into()),
            ("run", f64::NAN.into()),
            ("train_loss", ls.loss(&theta).into()),
        ];
        r.extend(measured(&deltas.summary()));
        r.extend(verdict(&deltas, &pred));
        r.extend(figure_provenance(lab, FIGURE.name, LS_SEED));
        table.push(r);
        let x = if at == 0 { 0.5 } else { at as f64 };
        let se = deltas.stderr();
        measured_points.push(Point::with_ci(x, deltas.mean, deltas.mean - 1.96 * se, deltas.mean + 1.96 * se));
        predicted.push(Point::new(x, pred.mean));
    }
    Ok(Chart {
        title: format!("least squares, η = {LS_ETA_LAMBDA}/λₘₐₓ, m = {}: E[Δ | θₜ]", step.batch),
        x_label: "iteration t (0 at ½)".into(),
        y_label: "E[Δ | θₜ]".into(),
        x_log: true,
        y_symlog: Some(1e-3),
        series: vec![
            Series::new(format!("Monte Carlo, {batches} batches (95% CI)"), Style::Markers, measured_points),
            Series::new("Theorem 1 (exact here): −η‖μ‖² + (η²/2)Tr(H M⁽ᵐ⁾)", Style::Dashed, predicted),
        ],
        ..Default::default()
    })
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let mut panels = vec![least_squares(lab, &mut table)?];
    for s in &SETTINGS {
        let spec = spec(lab, s);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let mut means: Vec<Vec<Point>> = vec![Vec::new(); 3];
        let mut second: Vec<Vec<Point>> = vec![Vec::new(); 3];
        let mut bounds: Vec<Vec<Point>> = vec![Vec::new(); 3];
        let mut variances: Vec<Vec<Point>> = vec![Vec::new(); 3];
        let mut leading: Vec<Vec<Point>> = vec![Vec::new(); 3];
        for c in &report.loss_change {
            let Some(t) = &c.theorem1 else { continue };
            let j = FROZEN_QUANTILES.iter().position(|&q| q == c.quantile).expect("a frozen quantile");
            let sm = &c.delta.summary;
            let moments = Moments { n: sm.n, mean: sm.mean, m2: c.variance * (sm.n as f64 - 1.0) };
            let mut r: Vec<(&'static str, Cell)> = vec![
                ("kind", "network".into()),
                ("setting", s.label.into()),
                ("step", (c.step as usize).into()),
                ("loss_quantile", c.quantile.into()),
                ("run", (c.run as usize).into()),
                ("train_loss", c.train_loss.into()),
            ];
            r.extend(measured(sm));
            r.extend(verdict(&moments, t));
            r.extend(provenance.clone());
            table.push(r);
            let x = c.step as f64 * [0.9, 1.0, 1.1][j];
            means[j].push(Point::with_ci(x, sm.mean, sm.ci95[0], sm.ci95[1]));
            second[j].push(Point::new(c.step as f64, t.mean));
            bounds[j].push(Point::new(c.step as f64, t.bound));
            variances[j].push(Point::new(c.step as f64, c.variance));
            leading[j].push(Point::new(c.step as f64, t.variance));
        }
        let title = |what: &str| format!("{}, m={}, η={}: {what}", s.label, report.sgd.batch, report.sgd.eta);
        let mut series = frozen_series("measured,", means, Style::Markers);
        series.extend(frozen_series("2nd order,", second, Style::Dashed));
        series.extend(frozen_series("bound (L = ‖H‖₂),", bounds, Style::Line));
        panels.push(Chart {
            title: title("E[Δ | θₜ]"),
            x_label: "iteration t (frozen)".into(),
            y_label: "E[Δ | θₜ]".into(),
            x_log: true,
            y_symlog: Some(s.symlog),
            series,
            ..Default::default()
        });
        let mut series = frozen_series("measured,", variances, Style::Markers);
        series.extend(frozen_series("leading term,", leading, Style::Dashed));
        panels.push(Chart {
            title: title("Var[Δ | θₜ]"),
            x_label: "iteration t (frozen)".into(),
            y_label: "Var[Δ | θₜ]".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        });
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
