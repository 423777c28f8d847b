//! `li-pac-bayes`: seed 003's Hessian-based PAC-Bayes bound (sec. 6,
//! Theorem 4; Figs. 11 and 25) on Gauss-10 with clean and 15% noisy labels,
//! m = 5 and m = 50: over runs at T, the pooled Hessian diagonal against the
//! prior precision 1/σ² (Fig. 11(a)), the effective curvature EC (b), the
//! weighted norm WN = ‖θ‖²/σ² (c), the generalization gap (d), and bound
//! (51) inverted into a bound on the Gibbs classifier's error beside its
//! measured test error (`crate::study::pac_bayes`). Prior N(0, I) (σ = 1,
//! the paper's "θ₀ = 0"), δ = 0.05. The paper: with 15% noise EC, WN and the
//! generalization error all shift up; it gives no value of the bound, which
//! with σ = 1 is vacuous (docs/seed003-slips.md S24).

use super::lab::{distribution_columns, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::plot::{Chart, Point, Series, Style};
use crate::study::distribution::Distribution;
use crate::study::pac_bayes::PacBayesReport;
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-pac-bayes",
    about: "Gauss-10 MLP, clean vs 15% noisy labels, m = 5 and 50: Hessian diagonal, effective curvature, weighted norm, generalization gap and the PAC-Bayes bound (51) over runs (003 Figs. 11, 25)",
    build,
};

/// One setting: label, preset, batch, seed, runs in full mode, T in quick
/// mode.
struct Setting {
    label: &'static str,
    preset: &'static str,
    batch: usize,
    seed: u64,
    runs: u64,
    quick_steps: u64,
}

const SETTINGS: [Setting; 4] = [
    Setting { label: "clean, m=5", preset: "li-gauss10", batch: 5, seed: 370, runs: 500, quick_steps: 400 },
    Setting { label: "15% noise, m=5", preset: "li-gauss10-noisy", batch: 5, seed: 371, runs: 500, quick_steps: 1000 },
    Setting { label: "clean, m=50", preset: "li-gauss10", batch: 50, seed: 372, runs: 200, quick_steps: 400 },
    Setting {
        label: "15% noise, m=50",
        preset: "li-gauss10-noisy",
        batch: 50,
        seed: 373,
        runs: 200,
        quick_steps: 1000,
    },
];

/// The statistics compared between clean and noisy labels (the paper: each
/// higher with noise).
const SHIFTED: [&str; 5] = ["effective_curvature", "weighted_norm", "distance_from_init", "gap", "gibbs_gap"];

/// The study of `s`: its runs in full mode (m = 50 runs cost ten times as
/// much to replay; about ten minutes on two cores in all), 12 runs and a
/// shorter T in quick mode.
fn spec(lab: &Lab, s: &Setting) -> StudySpec {
    StudySpec {
        runs: lab.size(12, s.runs),
        seed: s.seed,
        batch: Some(s.batch),
        steps: lab.quick.then_some(s.quick_steps),
        test_size: Some(lab.size(1000, 10_000)),
        pac_bayes: true,
        ..StudySpec::new(s.preset)
    }
}

/// A distribution's quantile function at 0.05 … 0.95.
fn quantile_function(d: &Distribution) -> Vec<Point> {
    (1..20).map(|k| k as f64 / 20.0).map(|q| Point::new(q, d.quantile(q))).filter(|p| p.y.is_finite()).collect()
}

fn build(lab: &Lab) -> Result<Drawing> {
    let mut table = Table::default();
    let (mut reports, mut provenances): (Vec<PacBayesReport>, Vec<_>) = (Vec::new(), Vec::new());
    for s in &SETTINGS {
        let spec = spec(lab, s);
        let report = lab.study(&spec)?;
        let provenance = study_provenance(&spec);
        let b = report.pac_bayes.expect("the spec asks for PAC-Bayes");
        for (name, d) in b.distributions() {
            let mut r: Vec<(&'static str, Cell)> = vec![
                ("kind", "distribution".into()),
                ("setting", s.label.into()),
                ("landscape", s.preset.into()),
                ("batch", s.batch.into()),
                ("runs", (b.runs as usize).into()),
                ("diverged", b.diverged.into()),
                ("step", (b.step as usize).into()),
                ("statistic", name.into()),
            ];
            r.extend(distribution_columns(d));
            r.extend(provenance.clone());
            table.push(r);
        }
        reports.push(b);
        provenances.push(provenance);
    }
    // The verdicts: noisy − clean per batch size (a difference of two
    // studies, each with its seed and command on its own rows, so none
    // here), and how often the bound holds and is below 1.
    for (clean, noisy) in [(0, 1), (2, 3)] {
        let (c, n) = (&reports[clean], &reports[noisy]);
        let pairs = c.distributions().into_iter().zip(n.distributions());
        for ((name, dc), (_, dn)) in pairs.filter(|((name, _), _)| SHIFTED.contains(name)) {
            let diff = dn.summary.mean - dc.summary.mean;
            let se = dn.summary.stderr.hypot(dc.summary.stderr);
            // Heavy tails (a few runs far out) make the means noisy: the
            // medians with their distribution-free 95% intervals as well.
            let median_ci = |d: &Distribution| d.quantile_ci95.get("0.5").copied().unwrap_or([f64::NAN; 2]);
            let (ci_c, ci_n) = (median_ci(dc), median_ci(dn));
            let median_verdict = if ci_n[0] > ci_c[1] {
                "higher"
            } else if ci_n[1] < ci_c[0] {
                "lower"
            } else {
                "intervals overlap"
            };
            table.push(vec![
                ("kind", "noisy_minus_clean".into()),
                ("setting", format!("m={}", SETTINGS[clean].batch).into()),
                ("statistic", name.into()),
                ("mean", diff.into()),
                ("stderr", se.into()),
                ("z", (diff / se).into()),
                ("paper_claim", "higher with noise".into()),
                ("verdict", (if diff > 2.0 * se { "higher" } else { "not higher" }).into()),
                ("median_clean", dc.quantile(0.5).into()),
                ("median_noisy", dn.quantile(0.5).into()),
                ("median_verdict", median_verdict.into()),
            ]);
        }
    }
    for ((s, b), provenance) in SETTINGS.iter().zip(&reports).zip(provenances) {
        let mut r: Vec<(&'static str, Cell)> = vec![
            ("kind", "bound".into()),
            ("setting", s.label.into()),
            ("statistic", "error_bound".into()),
            ("mean", b.error_bound.summary.mean.into()),
            ("share_bound_holds", b.test.as_ref().map_or(f64::NAN, |t| t.bound_holds).into()),
            ("share_below_chance", b.below_chance.into()),
        ];
        r.extend(provenance);
        table.push(r);
    }
    Ok(Drawing { table, plot: Plot::Panels(panels(&reports)) })
}

/// Figs. 11 and 25's panels: the diagonal's survival, then the quantile
/// functions of EC, WN, the gap and the Gibbs errors with their bound.
fn panels(reports: &[PacBayesReport]) -> Vec<Chart> {
    let colour = |k: usize| k % 2;
    let style = |k: usize| if k < 2 { Style::Line } else { Style::Dashed };
    let sigma2 = 1.0 / (reports[0].prior_sd * reports[0].prior_sd);
    let mut diagonal: Vec<Series> = SETTINGS
        .iter()
        .zip(reports)
        .enumerate()
        .map(|(k, (s, b))| {
            let points = b.diagonal_survival.iter().filter(|(_, f)| *f > 0.0).map(|&(x, f)| Point::new(x, f)).collect();
            Series::new(s.label, style(k), points).coloured(colour(k))
        })
        .collect();
    diagonal.push(
        Series::new("1/σ² (prior precision)", Style::Dashed, vec![Point::new(sigma2, 1e-6), Point::new(sigma2, 1.0)])
            .coloured(3),
    );
    let mut charts = vec![Chart {
        title: "(a) Hessian diagonal, pooled over runs: share of Hⱼⱼ above x".into(),
        x_label: "x".into(),
        y_label: "share of coordinates with Hⱼⱼ > x".into(),
        x_log: true,
        y_log: true,
        series: diagonal,
        ..Default::default()
    }];
    let quantiles = |name: &str| -> Vec<Series> {
        SETTINGS
            .iter()
            .zip(reports)
            .enumerate()
            .filter_map(|(k, (s, b))| {
                let d = b.distributions().into_iter().find(|(n, _)| *n == name)?.1;
                Some(Series::new(s.label, style(k), quantile_function(d)).coloured(colour(k)))
            })
            .collect()
    };
    let runs = |k: usize| reports[k].runs;
    let across = format!("quantile over runs ({}/{} runs at m = 5/50)", runs(0), runs(2));
    for (title, y, name) in [
        ("(b) effective curvature EC", "Σ ln(Hⱼⱼσ²) over sharp j", "effective_curvature"),
        ("(c) weighted norm WN (prior mean 0)", "‖θ‖²/σ² at the last step", "weighted_norm"),
        ("(c′) distance from init (WN of a prior at θ₀)", "‖θ − θ₀‖²/σ² at the last step", "distance_from_init"),
        ("(d) generalization gap at the last step", "test − training error", "gap"),
    ] {
        charts.push(Chart {
            title: title.into(),
            x_label: across.clone(),
            y_label: y.into(),
            series: quantiles(name),
            ..Default::default()
        });
    }
    let mut bound = Vec::new();
    for (k, (s, b)) in SETTINGS.iter().zip(reports).enumerate() {
        if let Some(t) = &b.test {
            bound.push(Series::new(s.label, Style::Line, quantile_function(&t.gibbs_test_error)).coloured(k));
        }
        bound.push(
            Series::new(format!("bound, {}", s.label), Style::Dashed, quantile_function(&b.error_bound)).coloured(k),
        );
    }
    charts.push(Chart {
        title: "(e) Gibbs test error and bound (51) on it (δ = 0.05)".into(),
        x_label: across,
        y_label: "0–1 error".into(),
        series: bound,
        ..Default::default()
    });
    charts
}
