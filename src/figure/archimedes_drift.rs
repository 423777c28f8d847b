//! `archimedes-drift`: SGD drifts along Archimedes' valley of minima
//! (seed 001 Fig. 3, Corollary 1): mean z against the step for several η,
//! and the drift per step against η, measured beside the re-summed order-3
//! prediction and the paper's leading law η²/6.

use super::table::Table;
use super::{ci_point, log_space, measured, resummed, Drawing, Figure, Lab, Plot};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::resum::Resum;

pub const FIGURE: Figure = Figure {
    name: "archimedes-drift",
    about: "mean z vs step for several η (95% CI bands) with the re-summed order-3 prediction; drift per step vs η with η²/6 (001 Fig. 3, Cor. 1)",
    build,
};

const ETAS: [f64; 3] = [0.02, 0.05, 0.1];

fn build(lab: &Lab) -> Result<Drawing> {
    let (steps, trials, every) = lab.size((2000, 1000, 50), (10_000, 20_000, 100));
    let mut table = Table::default();
    let (mut curves, mut drift) = (Vec::new(), Vec::new());
    for eta in ETAS {
        let flags = format!("archimedes --eta {eta} --steps {steps} --trials {trials} --record-every {every} --seed 1");
        let (exp, out) = lab.run(&flags)?;
        let (mut band, mut line) = (Vec::new(), Vec::new());
        for c in &out.primary.curve {
            let s = c.theta[2].summary();
            let plan = lab.experiment(&format!("archimedes --eta {eta} --steps {}", c.step))?.plan;
            let predicted = if c.step == 0 { 0.0 } else { resummed(&exp, &plan, 3, Resum::Exact)?.at(eta).3[2] };
            let t = c.step as f64;
            let mut row = vec![("kind", "curve".into()), ("eta", eta.into()), ("step", c.step.into())];
            row.extend(measured(&s));
            row.extend([("theory_resummed", predicted.into()), ("theory_leading", (eta * eta / 6.0 * t).into())]);
            table.push(row);
            band.push(ci_point(t, &s));
            line.push(Point::new(t, predicted));
        }
        curves.push(Series::new(format!("η = {eta}, measured"), Style::Band, band));
        curves.push(Series::new(format!("η = {eta}, re-summed"), Style::Dashed, line));
        let velocity = resummed(&exp, &exp.plan, 3, Resum::Exact)?.velocity.expect("T > 0")[2];
        let tally = out.primary.drift.as_ref().expect("the late half holds records");
        for (kind, m) in [("drift_slope", &tally.slope[2]), ("drift_conditional", &tally.step[2])] {
            let s = m.summary();
            let mut row = vec![("kind", kind.into()), ("eta", eta.into()), ("step", steps.into())];
            row.extend(measured(&s));
            row.extend([("theory_resummed", velocity.into()), ("theory_leading", (eta * eta / 6.0).into())]);
            table.push(row);
            if kind == "drift_slope" {
                drift.push(ci_point(eta, &s));
            }
        }
    }
    let grid = log_space(0.01, 0.15, 30);
    let law = |f: fn(f64) -> f64| grid.iter().map(|&e| Point::new(e, f(e))).collect::<Vec<_>>();
    let panels = vec![
        Chart {
            title: format!("Archimedes, SGD from θ = 0: mean z ({trials} trials)"),
            x_label: "step t".into(),
            y_label: "E[z_t]".into(),
            series: curves,
            ..Default::default()
        },
        Chart {
            title: "drift of z per step (late half)".into(),
            x_label: "learning rate η".into(),
            y_label: "dz/dt per step".into(),
            x_log: true,
            y_log: true,
            series: vec![
                Series::new("measured (LS slope, 95% CI)", Style::Markers, drift),
                Series::new("re-summed η²/(2(3 − 2η))", Style::Line, law(|e| e * e / (2.0 * (3.0 - 2.0 * e)))),
                Series::new("seed 001: η²/6", Style::Dashed, law(|e| e * e / 6.0)),
            ],
        },
    ];
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
