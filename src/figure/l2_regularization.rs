//! `l2-regularization`: tuning an l₂ coefficient with Corollary 2 (seed 001
//! Fig. 9 right, App. C.1 and C.7). Mean Estimation, C = S² = 100, GD on
//! N = 10 points for T = 100 steps from θ₀ = 10 (the true minimum is 0), on
//! the regularized per-sample loss ½(H + λ)θ² + xSθ. Each trial picks its λ
//! by minimizing its own estimate of the test loss: the training loss after T
//! steps plus Corollary 2's gap, Ĉ(1 − (1 − η(H + λ))^T)/((H + λ)N), with Ĉ
//! the unbiased variance of its N gradients. For fixed λ that estimate is
//! unbiased (θ_T is linear in the sample mean x̄, Ĉ independent of x̄), so
//! the tuned λ approaches the oracle's as N grows.
//!
//! GD is linear here, θ_T(λ) = θ₀k^T − S x̄ (1 − k^T)/(H + λ) with
//! k = 1 − η(H + λ), so each trial's tuned run is evaluated in closed form
//! on the training points of `simsgd run` (the same random stream); plain GD
//! comes from `simsgd run` itself, and the CSV carries both plain-GD means.

use super::lab::{ci_point, figure_provenance, log_space, measured, provenance, Drawing, Figure, Lab, Plot};
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;
use crate::plot::{subscript, Chart, Point, Series, Style};
use crate::rng::{self, Stream};
use crate::stats::Moments;
use rayon::prelude::*;

pub const FIGURE: Figure = Figure {
    name: "l2-regularization",
    about: "Mean Estimation, C = 100, θ₀ 10 from the minimum: GD vs GD with λ tuned on Cor. 2's gap estimate, over H (a variant of 001 Fig. 9 right: λ minimized over a grid, not descended)",
    build,
};

const N: usize = 10;
const STEPS: i32 = 100;
const ETA: f64 = 0.1;
const S: f64 = 10.0;
const INIT: f64 = 10.0;
/// Seeds: one per curvature, from this one.
const SEED: u64 = 900;

/// θ_T of GD with coefficient λ given the sample mean.
fn theta(h: f64, lambda: f64, mean: f64) -> f64 {
    let k = (1.0 - ETA * (h + lambda)).powi(STEPS);
    INIT * k - S * mean * (1.0 - k) / (h + lambda)
}

/// The λ grid: 0 and a log grid below the stability limit η(H + λ) < 2.
fn lambdas(h: f64) -> Vec<f64> {
    let top = 1.9 / ETA - h;
    std::iter::once(0.0).chain(log_space(1e-4, top.max(2e-4), 160)).collect()
}

/// Per trial: (test loss of plain GD, of tuned GD, the tuned λ).
fn trial(h: f64, xs: &[f64], grid: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let c_hat = S * S * var;
    let test = |t: f64| 0.5 * h * t * t;
    let estimate = |lambda: f64| {
        let t = theta(h, lambda, mean);
        let k = (1.0 - ETA * (h + lambda)).powi(STEPS);
        0.5 * h * t * t + S * mean * t + c_hat * (1.0 - k) / ((h + lambda) * n)
    };
    let best = grid.iter().copied().min_by(|a, b| estimate(*a).total_cmp(&estimate(*b))).expect("a grid");
    (test(theta(h, 0.0, mean)), test(theta(h, best, mean)), best)
}

/// The expected test loss for a fixed λ, and its minimum over the grid (the oracle).
fn oracle(h: f64) -> (f64, f64) {
    let expected = |lambda: f64| {
        let k = (1.0 - ETA * (h + lambda)).powi(STEPS);
        0.5 * h * ((INIT * k).powi(2) + S * S / N as f64 * ((1.0 - k) / (h + lambda)).powi(2))
    };
    let best = lambdas(h).into_iter().min_by(|a, b| expected(*a).total_cmp(&expected(*b))).expect("a grid");
    (expected(best), best)
}

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((6, 20_000u64), (15, 200_000));
    let mut table = Table::default();
    let mut s: Vec<Vec<Point>> = vec![Vec::new(); 4];
    for (i, h) in log_space(1e-4, 4.0, points).into_iter().enumerate() {
        let seed = SEED + i as u64;
        let spec = Spec {
            params: vec![("H".into(), h), ("S".into(), S)],
            init: Some(vec![INIT]),
            optimizer: Optimizer::Gd,
            train_size: Some(N),
            steps: Some(STEPS as usize),
            eta: ETA,
            trials,
            seed,
            ..Spec::new("mean-estimation")
        };
        let (_, out) = lab.run(&spec)?;
        let gd = out.primary.test_loss.summary();
        let grid = lambdas(h);
        const LANES: usize = 8;
        let blocks: Vec<u64> = (0..trials).step_by(LANES).collect();
        let [plain, tuned, diff, lambda] = blocks
            .par_iter()
            .map(|&t0| {
                let mut xs = vec![0.0; N * LANES];
                rng::fill_normals::<LANES>(seed, t0, Stream::Data, 0, &mut xs);
                let mut m = [Moments::default(), Moments::default(), Moments::default(), Moments::default()];
                for lane in 0..((trials - t0) as usize).min(LANES) {
                    let x: Vec<f64> = (0..N).map(|i| xs[i * LANES + lane]).collect();
                    let (a, b, l) = trial(h, &x, &grid);
                    [a, b, b - a, l].iter().zip(&mut m).for_each(|(v, m)| m.push(*v));
                }
                m
            })
            .collect::<Vec<_>>()
            // Merged in block order, so the numbers do not depend on scheduling.
            .iter()
            .fold([Moments::default(), Moments::default(), Moments::default(), Moments::default()], |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
                a
            })
            .map(|m| m.summary());
        let (best, best_lambda) = oracle(h);
        for (observable, m) in
            [("test_loss_gd", &gd), ("test_loss_tuned", &tuned), ("tuned_minus_gd", &diff), ("lambda_tuned", &lambda)]
        {
            let mut row =
                vec![("observable", observable.into()), ("H", h.into()), ("C", (S * S).into()), ("N", N.into())];
            row.extend([("T", (STEPS as usize).into()), ("eta", ETA.into()), ("init", INIT.into())]);
            row.extend(measured(m));
            row.extend([
                ("gd_closed_form_mean", plain.mean.into()),
                ("oracle_test_loss", best.into()),
                ("oracle_lambda", best_lambda.into()),
            ]);
            // Plain GD is the run's; the tuned runs are the figure's, in
            // closed form on the run's training sets.
            row.extend(match observable {
                "test_loss_gd" => provenance(&spec),
                _ => figure_provenance(lab, FIGURE.name, seed),
            });
            table.push(row);
        }
        s[0].push(ci_point(h, &gd));
        s[1].push(ci_point(h, &tuned));
        s[2].push(Point::new(h, best));
        s[3].push(Point::with_ci(h, diff.mean / gd.mean, diff.ci95[0] / gd.mean, diff.ci95[1] / gd.mean));
    }
    let [gd, tuned, best, diff] = [s.remove(0), s.remove(0), s.remove(0), s.remove(0)];
    let loss = format!("l(θ{})", subscript(&STEPS.to_string()));
    let chart = |title: String, y: &str, y_log, series| Chart {
        title,
        x_label: "curvature H (C = 100)".into(),
        y_label: y.into(),
        x_log: true,
        y_log,
        y_symlog: None,
        series,
    };
    let panels = vec![
        chart(
            format!("GD, N = {N}, T = {STEPS}, η = {ETA}, θ₀ = {INIT} ({trials} trials)"),
            &format!("E[{loss}]"),
            true,
            vec![
                Series::new("plain GD (95% CI)", Style::Markers, gd),
                Series::new("λ tuned on Cor. 2 (95% CI)", Style::Markers, tuned),
                Series::new("oracle λ (expected)", Style::Dashed, best),
            ],
        ),
        chart(
            "tuned − plain GD, paired, relative (< 0: tuning helps)".into(),
            &format!("E[{loss}]: (tuned − GD) / GD"),
            false,
            vec![Series::new("tuned − GD (95% CI)", Style::Markers, diff)],
        ),
    ];
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
