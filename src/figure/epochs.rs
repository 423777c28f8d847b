//! `epochs`: M epochs of SGD at η/M against one epoch at η on the same N = 10
//! points (seed 001 Fig. 9 left, Corollary 4), paired per trial: the
//! difference of the final θ along the valley, against η, beside the η² law
//! η²N(M−1)/(2M)·E[h_x g_x] and the engine's order-3 difference.

use super::lab::{ci_point, log_space, measured, paired_provenance, series, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::{corollary, statistics};

pub const FIGURE: Figure = Figure {
    name: "epochs",
    about: "M-epoch (2, 3, 5, 8) SGD at η/M minus one epoch at η, N = 10, paired, θ₀ vs η, with the η² law and order 3 (001 Fig. 9 left, Cor. 4)",
    build,
};

const N: usize = 10;
const EPOCHS: [usize; 4] = [2, 3, 5, 8];

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((4, 50_000), (7, 1_000_000));
    let mut table = Table::default();
    let mut chart_series = Vec::new();
    // One seed per point: with a shared seed every point would repeat one
    // draw of the training sets (the effect is η² times a function of them).
    for (i, m) in EPOCHS.into_iter().enumerate() {
        let (mut marks, mut laws, mut engine) = (Vec::new(), Vec::new(), Vec::new());
        for (j, eta) in log_space(0.0005, 0.01, points).into_iter().enumerate() {
            let spec =
                Spec { train_size: Some(N), eta, trials, seed: (100 * i + j) as u64, ..Spec::new("shifting-valleys") };
            let many_spec = Spec { epochs: Some(m), eta: eta / m as f64, ..spec.clone() };
            let (many, one) = (many_spec.resolve()?, spec.resolve()?);
            let d = lab.paired(&many, &many.plan, &one.plan, |t| t.theta[0])?;
            // Corollary 4 as `predict` prints it (theory::corollary): the
            // engine's order-3 difference and the η² law.
            let stats = many.landscape.visit(statistics::Exact(&many.init))?;
            let p = series(&many, &many.plan, 3)?;
            let c = corollary::corollaries(&stats, &many.plan, &p, |plan| series(&many, plan, 3))?
                .epochs
                .expect("SGD on M > 1 epochs");
            let (law, order3) = (c.theta_law.expect("B = 1")[0], c.theta_diff[0]);
            let mut row = vec![("observable", "theta0_M_minus_one".into()), ("epochs", m.into()), ("eta", eta.into())];
            row.push(("N", N.into()));
            row.extend(measured(&d));
            row.extend([("theory_eta2_law", law.into()), ("theory_order3", order3.into())]);
            row.extend(paired_provenance(&many_spec, &spec));
            table.push(row);
            marks.push(ci_point(eta, &d));
            laws.push(Point::new(eta, law));
            engine.push(Point::new(eta, order3));
        }
        // One colour per M, measured and predicted alike.
        chart_series.push(Series::new(format!("M = {m}, measured (95% CI)"), Style::Markers, marks).coloured(i));
        chart_series.push(Series::new(format!("M = {m}, order 3"), Style::Line, engine).coloured(i));
        if m == EPOCHS[EPOCHS.len() - 1] {
            chart_series.push(Series::new("M = 8, η² law (M−1)N/(2M)·η²·E[h g]", Style::Dashed, laws).coloured(i));
        }
    }
    let chart = Chart {
        title: format!("Shifting Valleys, N = {N}: M epochs at η/M − one epoch at η, paired ({trials} trials)"),
        x_label: "learning rate η (one epoch)".into(),
        y_label: "E[θ₀(M epochs) − θ₀(one epoch)]".into(),
        x_log: true,
        y_log: true,
        y_symlog: None,
        series: chart_series,
    };
    Ok(Drawing { table, plot: Plot::Panels(vec![chart]) })
}
