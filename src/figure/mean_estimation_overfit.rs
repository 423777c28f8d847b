//! `mean-estimation-overfit`: GD's overfitting on Mean Estimation across
//! curvatures at fixed gradient noise (seed 001 Fig. 3, Corollary 2):
//! measured beside the re-summed prediction C(1 − (1 − ηH)^T)²/(2HN), the
//! paper's integral form and the η-series; the gap beside its T → ∞ limit
//! tr(CH⁻¹)/N (TIC).

use super::table::Table;
use super::{ci_point, log_space, measured, resummed, series, Drawing, Figure, Lab, Plot};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::theory::{corollary, resum::Resum, statistics};

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

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((6, 20_000), (15, 100_000));
    let mut table = Table::default();
    let mut s = vec![Vec::new(); 8];
    for (i, h) in log_space(1e-4, 4.0, points).into_iter().enumerate() {
        let base = format!(
            "mean-estimation --param H={h},S={S} --init 0 --optimizer gd --train-size {N} --steps {STEPS} --eta {ETA}"
        );
        let (exp, out) = lab.run(&format!("{base} --trials {trials} --seed {}", 21 + i))?;
        let l0 = series(&exp, &exp.plan, 0)?.test_loss[0];
        let exact = resummed(&exp, &exp.plan, 2, Resum::Exact)?.at(ETA);
        let integral = resummed(&exp, &exp.plan, 2, Resum::Integral)?.at(ETA);
        let order3 = series(&exp, &exp.plan, 3)?.at(ETA);
        let stats = exp.landscape.visit(statistics::Exact(&exp.init));
        let tic = corollary::tic_gap(&stats, N).unwrap_or(f64::NAN);
        let (test, gap) = (out.primary.test_loss.summary(), out.primary.gen_gap.summary());
        let overfit =
            crate::stats::Summary { mean: test.mean - l0, ci95: [test.ci95[0] - l0, test.ci95[1] - l0], ..test };
        for (observable, m, theory) in [
            ("overfitting", &overfit, [exact.0 - l0, integral.0 - l0, order3.0 - l0, f64::NAN]),
            ("gen_gap", &gap, [exact.2, integral.2, order3.2, tic]),
        ] {
            let mut row =
                vec![("observable", observable.into()), ("H", h.into()), ("C", (S * S).into()), ("N", N.into())];
            row.extend([("T", STEPS.into()), ("eta", ETA.into())]);
            row.extend(measured(m));
            row.extend([("theory_resummed", theory[0].into()), ("theory_integral", theory[1].into())]);
            row.extend([("theory_order3", theory[2].into()), ("theory_tic", theory[3].into())]);
            table.push(row);
            let k = if observable == "overfitting" { 0 } else { 4 };
            s[k].push(ci_point(h, m));
        }
    }
    // The predictions as lines over a dense grid of H.
    for (k, h) in [1, 2, 3, 5, 6, 7].into_iter().flat_map(|k| log_space(1e-4, 4.0, 60).into_iter().map(move |h| (k, h)))
    {
        if h == 1e-4 {
            s[k].clear();
        }
        let exp = lab.experiment(&format!(
            "mean-estimation --param H={h},S={S} --init 0 --optimizer gd --train-size {N} --steps {STEPS} --eta {ETA}"
        ))?;
        let l0 = series(&exp, &exp.plan, 0)?.test_loss[0];
        let stats = exp.landscape.visit(statistics::Exact(&exp.init));
        let y = match k {
            1 | 5 => resummed(&exp, &exp.plan, 2, Resum::Exact)?.at(ETA),
            2 | 6 => resummed(&exp, &exp.plan, 2, Resum::Integral)?.at(ETA),
            3 => series(&exp, &exp.plan, 3)?.at(ETA),
            _ => (f64::NAN, 0.0, corollary::tic_gap(&stats, N).unwrap_or(f64::NAN), Vec::new()),
        };
        s[k].push(Point::new(h, if k < 4 { y.0 - l0 } else { y.2 }));
    }
    let mut s = s.into_iter();
    let mut next = || s.next().expect("eight series");
    let chart = |title: &str, y: &str, series| Chart {
        title: title.into(),
        x_label: "curvature H (C = 100)".into(),
        y_label: y.into(),
        x_log: true,
        y_log: true,
        series,
    };
    let panels = vec![
        chart(
            &format!("GD overfitting, N = {N}, T = {STEPS}, η = {ETA} ({trials} trials)"),
            "E[l(θ_T)] − l(θ*)",
            vec![
                Series::new("measured (95% CI)", Style::Markers, next()),
                Series::new("re-summed C(1 − (1 − ηH)^T)²/(2HN)", Style::Line, next()),
                Series::new("integral C(1 − e^(−ηTH))²/(2HN)", Style::Dashed, next()),
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
