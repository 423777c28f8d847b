//! `archimedes-drift`: SGD drifts along Archimedes' valley of minima
//! (seed 001 Fig. 3, Corollary 1): mean z against the step for several η,
//! and the drift per step against η, measured beside the re-summed order-3
//! prediction and the paper's leading law η²/6.

use super::lab::{ci_point, law, measured, provenance, resummed, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::optimizer::Optimizer;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::corollary::{self, ValleyDrift};
use crate::theory::resum::{self, Resum};
use crate::theory::statistics;

pub const FIGURE: Figure = Figure {
    name: "archimedes-drift",
    about: "mean z vs step for several η (95% CI bands) with the re-summed order-3 prediction; drift per step ÷ η² of SGD and SDE vs η, with 1/6 (001 Fig. 3, Cor. 1)",
    build,
};

const ETAS: [f64; 3] = [0.02, 0.05, 0.1];

/// What the drift estimators of `exp` read on the re-summed order-3 E[z(t)]
/// (`crate::drift::DriftWindow::expected`): (slope, conditional step).
fn expected_drift(exp: &Experiment) -> Result<(f64, Option<f64>)> {
    let law = law(exp)?;
    let window = exp.drift_window(&exp.plan).expect("the late half holds records");
    let (slope, step) =
        window.expected(&exp.record_steps(), |t| resum::theta_at(&law, &exp.plan, 3, Resum::Exact, t))?;
    Ok((slope[2], step.map(|s| s[2])))
}

fn build(lab: &Lab) -> Result<Drawing> {
    let (steps, trials, every) = lab.size((2000, 1000, 50), (10_000, 20_000, 100));
    let mut table = Table::default();
    let (mut curves, mut drift) = (Vec::new(), Vec::new());
    for (i, eta) in ETAS.into_iter().enumerate() {
        let spec = Spec {
            eta,
            steps: Some(steps),
            trials,
            record_every: Some(every),
            seed: 10 + i as u64,
            ..Spec::new("archimedes")
        };
        let (exp, out) = lab.run(&spec)?;
        let (mut band, mut line) = (Vec::new(), Vec::new());
        for c in &out.primary.curve {
            let s = c.theta[2].summary();
            let plan = Spec { eta, steps: Some(c.step), ..Spec::new("archimedes") }.resolve()?.plan;
            let predicted = if c.step == 0 { 0.0 } else { resummed(&exp, &plan, 3, Resum::Exact)?.at(eta).3[2] };
            let t = c.step as f64;
            let mut row = vec![("kind", "curve".into()), ("eta", eta.into()), ("step", c.step.into())];
            row.extend(measured(&s));
            row.extend([("theory_resummed", predicted.into()), ("theory_leading", (eta * eta / 6.0 * t).into())]);
            row.extend(provenance(&spec));
            table.push(row);
            band.push(ci_point(t, &s));
            line.push(Point::new(t, predicted));
        }
        // One colour per η, measured and predicted alike.
        curves.push(Series::new(format!("η = {eta}, measured"), Style::Band, band).coloured(i));
        curves.push(Series::new(format!("η = {eta}, re-summed"), Style::Dashed, line).coloured(i));
        let (slope, step) = expected_drift(&exp)?;
        let tally = out.primary.drift.as_ref().expect("the late half holds records");
        for (kind, m, expected) in [
            ("drift_slope", &tally.slope[2], slope),
            ("drift_conditional", &tally.step[2], step.expect("one-epoch SGD")),
        ] {
            let s = m.summary();
            let mut row = vec![("kind", kind.into()), ("eta", eta.into()), ("step", steps.into())];
            row.extend(measured(&s));
            row.extend([("theory_resummed", expected.into()), ("theory_leading", (eta * eta / 6.0).into())]);
            row.extend(provenance(&spec));
            table.push(row);
            if kind == "drift_slope" {
                drift.push(ci_point(eta, &s));
            }
        }
    }
    // The drift per step in units of η², where the laws differ visibly:
    // SGD and its SDE (K = 16, a tenth of the trials: 16 substeps a step).
    let mut sde = Vec::new();
    for (i, eta) in ETAS.into_iter().enumerate() {
        let spec = Spec {
            optimizer: Optimizer::Sde,
            substeps: 16,
            eta,
            steps: Some(steps),
            trials: (trials / 10).max(100),
            record_every: Some(every),
            seed: 20 + i as u64,
            ..Spec::new("archimedes")
        };
        let (exp, out) = lab.run(&spec)?;
        let s = out.primary.drift.as_ref().expect("the late half holds records").slope[2].summary();
        let mut row = vec![("kind", "drift_slope_sde".into()), ("eta", eta.into()), ("step", steps.into())];
        row.extend(measured(&s));
        row.extend([("theory_resummed", expected_drift(&exp)?.0.into()), ("theory_leading", (eta * eta / 6.0).into())]);
        row.extend(provenance(&spec));
        table.push(row);
        sde.push(ci_point(eta, &s));
    }
    let per_eta2 = |points: Vec<Point>| -> Vec<Point> {
        points
            .into_iter()
            .map(|p| Point::with_ci(p.x, p.y / (p.x * p.x), p.lo / (p.x * p.x), p.hi / (p.x * p.x)))
            .collect()
    };
    let grid: Vec<f64> = (0..=24).map(|i| 0.005 * i as f64).collect();
    // Corollary 1 (theory::corollary) ÷ η², for K substeps per step.
    let stats = Spec::new("archimedes").resolve()?;
    let stats = stats.landscape.visit(statistics::Exact(&stats.init))?;
    let law = |k: u32, f: fn(&ValleyDrift) -> f64| -> Vec<Point> {
        grid.iter()
            .skip(1)
            .filter_map(|&e| corollary::valley_drift(&stats, e, 1, k, true).map(|d| Point::new(e, f(&d) / (e * e))))
            .collect()
    };
    let panels = vec![
        Chart {
            title: format!("Archimedes, SGD from θ = 0: mean z ({trials} trials)"),
            x_label: "step t".into(),
            y_label: "E[zₜ]".into(),
            series: curves,
            ..Default::default()
        },
        Chart {
            title: format!("drift of z per step over steps {}..{steps}, ÷ η²", steps / 2),
            x_label: "learning rate η".into(),
            y_label: "(dz/dt) / η²".into(),
            // SGD in one colour, its SDE in another, measured and predicted
            // alike; the leading law, common to both, in black.
            series: vec![
                Series::new("SGD, measured (95% CI)", Style::Markers, per_eta2(drift)).coloured(0),
                Series::new("SDE K = 16, measured (95% CI)", Style::Markers, per_eta2(sde)).coloured(1),
                Series::new("SGD, Corollary 1 discrete: 1/(2(3 − 2η))", Style::Line, law(1, |d| d.resummed[2]))
                    .coloured(0),
                Series::new("SDE, Corollary 1 discrete: 1/(2(3 − 2η/16))", Style::Line, law(16, |d| d.resummed[2]))
                    .coloured(1),
                Series::new("leading law (seed 001): 1/6", Style::Dashed, law(1, |d| d.leading[2])).coloured(6),
            ],
            ..Default::default()
        },
    ];
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
