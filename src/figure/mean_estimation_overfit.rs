//! `mean-estimation-overfit`: GD's overfitting on Mean Estimation across
//! curvatures at fixed gradient noise (seed 001 Fig. 3, Corollary 2):
//! measured beside the re-summed prediction C(1 − (1 − ηH)^T)²/(2HN), the
//! paper's integral form and the η-series; the gap beside its T → ∞ limit
//! tr(CH⁻¹)/N (TIC).

use super::lab::{ci_point, law, log_space, measured, provenance, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::optimizer::Optimizer;
use crate::plot::{subscript, Chart, Point, Series, Style};
use crate::theory::resum::{self, Resum};
use crate::theory::{corollary, predict, statistics};

pub const FIGURE: Figure = Figure {
    name: "mean-estimation-overfit",
    about: "GD overfitting and gap vs H (log axes) at C = 100, N = 10, T = 100, η = 0.1: measured vs Cor. 2, with the TIC limit (001 Fig. 3)",
    build,
};

const N: usize = 10;
const STEPS: usize = 100;
const ETA: f64 = 0.1;
/// Noise scale: C = S² = 100, as in seed 001 App. C.3.
const S: f64 = 10.0;

/// The setup at curvature `h`, without trials and seed.
fn setup(h: f64) -> Spec {
    Spec {
        params: vec![("H".into(), h), ("S".into(), S)],
        init: Some(vec![0.0]),
        optimizer: Optimizer::Gd,
        train_size: Some(N),
        steps: Some(STEPS),
        eta: ETA,
        ..Spec::new("mean-estimation")
    }
}

/// The predictions of overfitting and gap, each [re-summed, integral, order-3
/// η-series, TIC limit (gap only; NaN for overfitting)], from one law.
fn predictions(exp: &Experiment) -> Result<[[f64; 4]; 2]> {
    let law = law(exp)?;
    let l0 = predict::predict(&law, &exp.plan, 0)?.test_loss[0];
    let exact = resum::predict(&law, &exp.plan, 2, Resum::Exact)?.at(ETA);
    let integral = resum::predict(&law, &exp.plan, 2, Resum::Integral)?.at(ETA);
    let order3 = predict::predict(&law, &exp.plan, 3)?.at(ETA);
    let tic = corollary::tic_gap(&exp.landscape.visit(statistics::Exact(&exp.init))?, N).unwrap_or(f64::NAN);
    Ok([[exact.0 - l0, integral.0 - l0, order3.0 - l0, f64::NAN], [exact.2, integral.2, order3.2, tic]])
}

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((6, 20_000), (15, 100_000));
    let mut table = Table::default();
    let mut s = vec![Vec::new(); 8];
    for (i, h) in log_space(1e-4, 4.0, points).into_iter().enumerate() {
        let spec = Spec { trials, seed: 21 + i as u64, ..setup(h) };
        let (exp, out) = lab.run(&spec)?;
        let l0 = predict::predict(&law(&exp)?, &exp.plan, 0)?.test_loss[0];
        let overfit = out.primary.test_loss.summary().affine(1.0, -l0);
        let gap = out.primary.gen_gap.summary();
        for ((observable, m), theory) in
            [("overfitting", &overfit), ("gen_gap", &gap)].into_iter().zip(predictions(&exp)?)
        {
            let mut row =
                vec![("observable", observable.into()), ("H", h.into()), ("C", (S * S).into()), ("N", N.into())];
            row.extend([("T", STEPS.into()), ("eta", ETA.into())]);
            row.extend(measured(m));
            row.extend([("theory_resummed", theory[0].into()), ("theory_integral", theory[1].into())]);
            row.extend([("theory_order3", theory[2].into()), ("theory_tic", theory[3].into())]);
            row.extend(provenance(&spec));
            table.push(row);
            let k = if observable == "overfitting" { 0 } else { 4 };
            s[k].push(ci_point(h, m));
        }
    }
    // The predictions as lines over a dense grid of H: overfitting re-summed,
    // integral and order 3; gap re-summed, integral and TIC.
    for h in log_space(1e-4, 4.0, 60) {
        let [overfit, gap] = predictions(&setup(h).resolve()?)?;
        for (k, y) in [(1, overfit[0]), (2, overfit[1]), (3, overfit[2]), (5, gap[0]), (6, gap[1]), (7, gap[3])] {
            s[k].push(Point::new(h, y));
        }
    }
    let mut s = s.into_iter();
    let mut next = || s.next().expect("eight series");
    let chart = |title: &str, y: &str, series| Chart {
        title: title.into(),
        x_label: "curvature H (C = 100)".into(),
        y_label: y.into(),
        x_log: true,
        y_log: true,
        y_symlog: None,
        series,
    };
    let panels = vec![
        chart(
            &format!("GD overfitting, N = {N}, T = {STEPS}, η = {ETA} ({trials} trials)"),
            &format!("E[l(θ{})] − l(θ*)", subscript(&STEPS.to_string())),
            vec![
                Series::new("measured (95% CI)", Style::Markers, next()),
                Series::new("re-summed C(1 − (1 − ηH)ᵀ)²/(2HN)", Style::Line, next()),
                Series::new("integral C(1 − exp(−ηTH))²/(2HN)", Style::Dashed, next()),
                Series::new("η-series, order 3", Style::Dashed, next()),
            ],
        ),
        chart(
            "generalization gap",
            "E[test − train loss]",
            vec![
                Series::new("measured (95% CI)", Style::Markers, next()),
                Series::new("re-summed", Style::Line, next()),
                Series::new("integral", Style::Dashed, next()),
                Series::new("T → ∞: tr(CH⁻¹)/N (TIC)", Style::Dashed, next()),
            ],
        ),
    ];
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
