//! `li-adaptive`: seed 003's adaptive steps (sec. 5.4, Theorem 3, eqs.
//! (35)–(36)) on Gauss-10 with clean labels: the scalar oracle η_t =
//! ‖μ_t‖²/(L Tr M_t^(m)) and the diagonal a_j = μ_j²/(L M^(m)_jj) trained
//! from the same θ₀ on the same batches as SGD at constant η = 0.1
//! (`crate::study::adaptive`), with L = 2.5, the mean top Hessian eigenvalue
//! at θ₀ (li-alignment: 2.47). Over the iterations: the mean training loss
//! of each optimizer, the step sizes, and at nine steps the conditional
//! mean loss change E[Δ | θ_t] (2000 fresh batches per run) beside the
//! bound B(A_t) it obeys when L bounds ‖H_f‖₂ along the step. The paper:
//! E[Δ | θ_t] ≤ B(A_t) < 0, so f(θ_t) is a supermartingale and the mean
//! loss never rises. A ReLU network is not L-smooth (its Hessian jumps at
//! the kinks), which is what the checks measure.

use super::lab::{distribution_columns, study_provenance, Drawing, Figure, Lab, Plot};
use super::table::{Cell, Table};
use crate::error::Result;
use crate::network::adaptive::Rule;
use crate::plot::{Chart, Point, Series, Style};
use crate::study::StudySpec;

pub const FIGURE: Figure = Figure {
    name: "li-adaptive",
    about: "Gauss-10 MLP, clean labels: Theorem 3's oracle and diagonal adaptive steps beside constant η: mean loss, step sizes, and E[Δ|θ_t] against its bound (003 sec. 5.4)",
    build,
};

/// L: the mean λ₁(H_f) at θ₀ on Gauss-10 (li-alignment), rounded up.
const SMOOTHNESS: f64 = 2.5;

fn build(lab: &Lab) -> Result<Drawing> {
    let spec = StudySpec {
        runs: lab.size(12, 200),
        seed: 380,
        steps: lab.quick.then_some(100),
        test_size: Some(0),
        loss_change_batches: lab.size(500, 2000),
        adaptive: vec![Rule::Oracle, Rule::Diagonal],
        smoothness: Some(SMOOTHNESS),
        ..StudySpec::new("li-gauss10")
    };
    let report = lab.study(&spec)?;
    let provenance = study_provenance(&spec);
    let a = report.adaptive.as_ref().expect("the spec asks for adaptive steps");
    let mut table = Table::default();
    let head = |kind: &str, optimizer: &str, statistic: &str, step: u64| -> Vec<(&'static str, Cell)> {
        vec![
            ("kind", kind.into()),
            ("optimizer", optimizer.into()),
            ("runs", (a.runs as usize).into()),
            ("smoothness_l", a.smoothness.into()),
            ("statistic", statistic.into()),
            ("step", (step as usize).into()),
        ]
    };
    let x = |t: u64| if t == 0 { 0.5 } else { t as f64 };
    let band = |points: Vec<(u64, &crate::study::distribution::Distribution)>| -> Vec<Point> {
        points
            .into_iter()
            .filter(|(_, d)| d.summary.mean.is_finite())
            .map(|(t, d)| Point::with_ci(x(t), d.summary.mean, d.summary.ci95[0], d.summary.ci95[1]))
            .collect()
    };
    let sgd: Vec<_> = report.curve.iter().map(|p| (p.step, &p.metrics["train_loss"])).collect();
    for (step, d) in &sgd {
        let mut r = head("curve", "sgd", "train_loss", *step);
        r.extend(distribution_columns(d));
        r.extend(provenance.clone());
        table.push(r);
    }
    let mut losses = vec![Series::new(format!("SGD, η = {}", report.sgd.eta), Style::Band, band(sgd)).coloured(0)];
    let mut rates = vec![Series::new(
        format!("SGD η = {}", report.sgd.eta),
        Style::Dashed,
        vec![Point::new(0.5, report.sgd.eta), Point::new(report.sgd.steps as f64, report.sgd.eta)],
    )
    .coloured(0)];
    let mut changes = Vec::new();
    for (k, rule) in a.rules.iter().enumerate() {
        let name = rule.rule.name();
        for p in &rule.curve {
            for (statistic, d) in [("train_loss", &p.train_loss), ("rate", &p.rate)] {
                let mut r = head("curve", name, statistic, p.step);
                r.extend(distribution_columns(d));
                r.extend(provenance.clone());
                table.push(r);
            }
        }
        for c in &rule.checks {
            for (statistic, d) in [("conditional_delta", &c.delta), ("bound", &c.bound)] {
                let mut r = head("check", name, statistic, c.step);
                r.extend(distribution_columns(d));
                r.extend([("runs_positive", c.positive.into()), ("runs_above_bound", c.above_bound.into())]);
                r.extend(provenance.clone());
                table.push(r);
            }
        }
        let mut verdict = head("verdict", name, "mean_loss_rises", report.sgd.steps);
        verdict.extend([
            ("rising_records", rule.rising_records.into()),
            ("largest_rise_z", rule.largest_rise_z.into()),
            ("checks", rule.checks.iter().map(|c| c.delta.summary.n as usize).sum::<usize>().into()),
            ("checks_positive", rule.checks.iter().map(|c| c.positive).sum::<usize>().into()),
            ("checks_above_bound", rule.checks.iter().map(|c| c.above_bound).sum::<usize>().into()),
            ("diverged", rule.diverged.into()),
            ("paper_claim", "mean loss non-increasing; E[Δ|θ_t] ≤ B(A_t) ≤ 0".into()),
        ]);
        verdict.extend(provenance.clone());
        table.push(verdict);
        let colour = k + 1;
        losses.push(
            Series::new(name, Style::Band, band(rule.curve.iter().map(|p| (p.step, &p.train_loss)).collect()))
                .coloured(colour),
        );
        rates.push(
            Series::new(
                format!("{name}: mean aⱼ"),
                Style::Band,
                band(rule.curve.iter().map(|p| (p.step, &p.rate)).collect()),
            )
            .coloured(colour),
        );
        changes.push(
            Series::new(
                format!("{name}: E[Δ | θₜ]"),
                Style::Markers,
                band(rule.checks.iter().map(|c| (c.step, &c.delta)).collect()),
            )
            .coloured(colour),
        );
        changes.push(
            Series::new(
                format!("{name}: bound B(Aₜ)"),
                Style::Dashed,
                band(rule.checks.iter().map(|c| (c.step, &c.bound)).collect()),
            )
            .coloured(colour),
        );
    }
    let title =
        |what: &str| format!("Gauss-10 clean, m = {}, {} runs, L = {}: {what}", report.sgd.batch, a.runs, a.smoothness);
    let panels = vec![
        Chart {
            title: title("mean training loss (95% CI)"),
            x_label: "iteration t (0 at ½)".into(),
            y_label: "f(θₜ)".into(),
            x_log: true,
            y_log: true,
            series: losses,
            ..Default::default()
        },
        Chart {
            title: title("step sizes"),
            x_label: "iteration t (0 at ½)".into(),
            y_label: "mean over coordinates of aⱼ".into(),
            x_log: true,
            y_log: true,
            series: rates,
            ..Default::default()
        },
        Chart {
            title: title(&format!("E[Δ | θₜ] of the first {} runs and its bound", rule_runs(a))),
            x_label: "iteration t (0 at ½)".into(),
            y_label: "mean over runs".into(),
            x_log: true,
            y_symlog: Some(1e-4),
            series: changes,
            ..Default::default()
        },
    ];
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}

/// The runs checked at each step.
fn rule_runs(a: &crate::study::adaptive::AdaptiveReport) -> usize {
    a.rules.first().and_then(|r| r.checks.first()).map_or(0, |c| c.delta.summary.n as usize)
}
