//! What a network study reports: the setting, and per recorded step the
//! distribution over runs of each observable (seed 003, sec. 5), as a table,
//! one JSON object, or a tidy CSV.

use super::adaptive::AdaptiveReport;
use super::curvature::CurvatureReport;
use super::distribution::{key, near_loss_quantiles, Distribution};
use super::loss_change::LossChange;
use super::pac_bayes::PacBayesReport;
use super::records::Records;
use super::spec::{Resolved, Source};
use crate::network::mlp::Init;
use crate::network::options::{Metric, Sampling, TestMetric};
use crate::network::pac_bayes::PriorMean;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The network and its data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Network {
    /// Weights and biases p.
    pub p: usize,
    /// Layer widths, inputs to classes.
    pub widths: Vec<usize>,
    pub classes: usize,
    /// Training points n.
    pub n: usize,
    /// Features d.
    pub dim: usize,
    pub source: Source,
    pub label_noise: f64,
    /// Training labels the noise actually changed.
    pub labels_changed: usize,
    /// Training points whose label was redrawn (some redraws keep the label).
    pub labels_redrawn: usize,
    pub standardized: bool,
    /// Held-out test points (0: none).
    pub test_size: usize,
    pub init: Init,
}

/// The runs' SGD.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sgd {
    pub eta: f64,
    pub batch: usize,
    pub steps: u64,
    pub sampling: Sampling,
    pub seed: u64,
    pub record_every: u64,
    /// Every step up to this one is recorded too.
    pub record_all_until: u64,
    pub test_every: u64,
}

/// One recorded step: each observable's distribution over runs, and the
/// gradient norm and cosine of the runs near each loss quantile (Fig. 8).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub step: u64,
    #[serde(flatten)]
    pub metrics: BTreeMap<&'static str, Distribution>,
    /// Loss quantile q → mean ‖g‖ and cosine of the runs near it.
    pub at_loss_quantile: BTreeMap<String, BTreeMap<&'static str, f64>>,
}

/// One test step: test loss and accuracy over runs (true and noisy labels).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestPoint {
    pub step: u64,
    #[serde(flatten)]
    pub metrics: BTreeMap<&'static str, Distribution>,
}

/// A network study's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudyReport {
    pub landscape: String,
    pub network: Network,
    pub sgd: Sgd,
    pub runs: u64,
    /// Runs whose loss or gradient became non-finite: counted, never averaged.
    pub diverged: usize,
    pub quantiles: Vec<f64>,
    pub curve: Vec<Point>,
    pub test: Vec<TestPoint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loss_change: Vec<LossChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curvature: Option<CurvatureReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pac_bayes: Option<PacBayesReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveReport>,
    /// Where the runs trained: `cpu` or `gpu`.
    pub backend: String,
    /// The GPU adapter that trained them, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// CPU threads (the CPU's training, and the loss-change replays).
    pub threads: usize,
    pub seconds: f64,
    /// Bytes the per-run records took.
    pub memory_bytes: u64,
    /// A shard's (or a merge's) runs' records, for `simsgd merge`; the
    /// report then also carries a checksum ([`crate::shard::seal`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::StudyState>,
}

impl StudyReport {
    /// The report of `records`, the runs of `resolved`.
    pub fn new(resolved: &Resolved, records: &Records, loss_change: Vec<LossChange>) -> Self {
        let data = &resolved.data;
        let qs = &resolved.quantiles;
        // Each record sorts its columns: side by side on the caller's pool.
        let curve = (0..records.steps.len())
            .into_par_iter()
            .map(|k| {
                let metrics =
                    Metric::ALL.iter().map(|&m| (m.name(), Distribution::of(records.column(m, k), qs))).collect();
                let loss = records.column(Metric::TrainLoss, k);
                let norms = near_loss_quantiles(loss, records.column(Metric::GradNorm, k), qs);
                let cosines = near_loss_quantiles(loss, records.column(Metric::Cos, k), qs);
                let at_loss_quantile = qs
                    .iter()
                    .zip(norms.iter().zip(&cosines))
                    .map(|(&q, (&g, &c))| (key(q), BTreeMap::from([("grad_norm", g), ("cos", c)])))
                    .collect();
                Point { step: records.steps[k], metrics, at_loss_quantile }
            })
            .collect();
        let test = (0..records.test_steps.len())
            .into_par_iter()
            .map(|k| TestPoint {
                step: records.test_steps[k],
                metrics: TestMetric::ALL
                    .iter()
                    .map(|&m| (m.name(), Distribution::of(records.test_column(m, k), qs)))
                    .collect(),
            })
            .collect();
        let o = &resolved.options;
        let widths: Vec<usize> = std::iter::once(resolved.mlp.inputs())
            .chain(resolved.mlp.hidden())
            .chain(std::iter::once(resolved.mlp.classes()))
            .collect();
        StudyReport {
            landscape: resolved.preset.name.to_string(),
            network: Network {
                p: resolved.mlp.params(),
                widths,
                classes: data.train.classes(),
                n: data.train.len(),
                dim: data.train.dim(),
                source: resolved.source.clone(),
                label_noise: data.noise.rate,
                labels_changed: data.noise.changed,
                labels_redrawn: data.noise.relabelled,
                standardized: data.standardization.is_some(),
                test_size: data.test.as_ref().map_or(0, |t| t.clean.len()),
                init: o.init,
            },
            sgd: Sgd {
                eta: o.eta,
                batch: o.batch,
                steps: o.steps,
                sampling: o.sampling,
                seed: o.seed,
                record_every: o.record_every,
                record_all_until: o.record_all_until,
                test_every: o.test_every,
            },
            runs: resolved.runs,
            diverged: records.diverged(),
            quantiles: qs.clone(),
            curve,
            test,
            loss_change,
            curvature: None,
            pac_bayes: None,
            adaptive: None,
            backend: "cpu".to_string(),
            adapter: None,
            threads: 0,
            seconds: 0.0,
            memory_bytes: resolved.bytes(),
            shard: None,
        }
    }

    /// One JSON object (sealed with its checksum where it carries a
    /// shard's state).
    pub fn to_json(&self) -> String {
        if self.shard.is_none() {
            return serde_json::to_string_pretty(self).expect("reports serialise");
        }
        let mut value = serde_json::to_value(self).expect("reports serialise");
        crate::shard::seal(&mut value);
        serde_json::to_string_pretty(&value).expect("reports serialise")
    }
}

/// A number for the table: 6 significant digits, n/a when not finite.
fn g(x: f64) -> String {
    if !x.is_finite() {
        "n/a".to_string()
    } else if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// At most `rows` of `len` indices, evenly spaced, first and last included.
fn spaced(len: usize, rows: usize) -> Vec<usize> {
    if len <= rows {
        return (0..len).collect();
    }
    let mut out: Vec<usize> = (0..rows).map(|i| i * (len - 1) / (rows - 1)).collect();
    out.dedup();
    out
}

/// Rows of the table per observable.
const TABLE_ROWS: usize = 9;

/// The table: the setting, then each observable's mean ± SE and quantiles
/// over runs at up to nine recorded steps.
pub fn render(r: &StudyReport) -> String {
    let n = &r.network;
    let s = &r.sgd;
    let widths: Vec<String> = n.widths.iter().map(|w| w.to_string()).collect();
    let data = match &n.source {
        Source::GaussK { seed } => format!("Gauss-{} (data seed {seed})", n.classes),
        Source::File { path } => path.clone(),
    };
    let mut out = format!(
        "{}: MLP {} (p = {}) on {data}: n = {}, d = {}, {} of {} labels changed by {}% noise{}\n",
        r.landscape,
        widths.join("-"),
        n.p,
        n.n,
        n.dim,
        n.labels_changed,
        n.n,
        100.0 * n.label_noise,
        if n.standardized { ", features standardised" } else { ", raw features" },
    );
    let sampling = match s.sampling {
        Sampling::Replacement => "drawn with replacement",
        Sampling::Shuffled => "from shuffled epochs",
    };
    out += &format!(
        "SGD η = {}, m = {} {sampling}, T = {}, θ₀ {}; {} runs ({} diverged); {}, {:.2} s\n",
        s.eta,
        s.batch,
        s.steps,
        match n.init {
            Init::Normal => "~ N(0, I)",
            Init::He => "He",
        },
        r.runs,
        r.diverged,
        match &r.adapter {
            Some(adapter) => format!("{} backend ({adapter})", r.backend),
            None => format!("{} backend, {} threads", r.backend, r.threads),
        },
        r.seconds
    );
    if let Some(state) = &r.shard {
        let shards: Vec<String> = state.shards.iter().map(|s| s.to_string()).collect();
        if state.count == state.runs {
            out += &format!("merged from shards {}\n", shards.join(", "));
        } else {
            out += &format!(
                "shard {}: runs {}..{} of {} (the distributions are over these runs; `simsgd merge` combines the shards' --json reports)\n",
                shards.join(", "),
                state.first,
                state.first + state.count,
                state.runs
            );
        }
    }
    let qs: Vec<String> = r.quantiles.iter().map(|q| format!("q{}", key(*q))).collect();
    let header = |title: &str| {
        let mut h = format!("\n{title:<16} {:>7} {:>11} {:>10}", "step", "mean", "± SE");
        for q in &qs {
            h += &format!(" {q:>10}");
        }
        h + "\n"
    };
    let row = |step: u64, d: &Distribution| {
        let mut line = format!("{:<16} {step:>7} {:>11} {:>10}", "", g(d.summary.mean), g(d.summary.stderr));
        for q in &r.quantiles {
            line += &format!(" {:>10}", g(d.quantile(*q)));
        }
        line + "\n"
    };
    for m in Metric::ALL {
        out += &header(m.name());
        for k in spaced(r.curve.len(), TABLE_ROWS) {
            out += &row(r.curve[k].step, &r.curve[k].metrics[m.name()]);
        }
    }
    for m in TestMetric::ALL {
        if r.test.is_empty() {
            break;
        }
        out += &header(m.name());
        for k in spaced(r.test.len(), TABLE_ROWS.min(4)) {
            out += &row(r.test[k].step, &r.test[k].metrics[m.name()]);
        }
    }
    if !r.loss_change.is_empty() {
        out += &loss_change_table(&r.loss_change, r.sgd.eta);
    }
    if let Some(c) = &r.curvature {
        out += &curvature_table(c);
    }
    if let Some(b) = &r.pac_bayes {
        out += &pac_bayes_table(b, &r.quantiles);
    }
    if let Some(a) = &r.adaptive {
        out += &adaptive_table(a, r);
    }
    out
}

/// The loss-change section: per frozen run the measured E[Δ | θ_t] beside
/// Theorem 1's second-order mean (z in SE) and bound, and a note where the
/// second order does not describe the step.
fn loss_change_table(changes: &[LossChange], eta: f64) -> String {
    let mut out = format!(
        "\nloss change Δ = f(θ_t − η g_B) − f(θ_t) over fresh batches, runs frozen at loss quantiles; Theorem 1 with L = ‖H_f‖₂\n{:>7} {:>6} {:>9} {:>11} {:>11} {:>10} {:>11} {:>6} {:>11} {:>11} {:>13}\n",
        "step", "q", "run", "f(θ_t)", "mean Δ", "± SE", "2nd order", "z", "bound", "var Δ", "var across"
    );
    let (mut off, mut curvature) = (0, 0.0f64);
    for c in changes {
        let sm = &c.delta.summary;
        let (second, z, bound) =
            c.theorem1.as_ref().map_or((f64::NAN, f64::NAN, f64::NAN), |t| (t.mean, sm.z(t.mean), t.bound));
        if z.abs() > 5.0 {
            off += 1;
            curvature = curvature.max(eta * c.theorem1.as_ref().map_or(0.0, |t| t.smoothness));
        }
        out += &format!(
            "{:>7} {:>6} {:>9} {:>11} {:>11} {:>10} {:>11} {:>6.1} {:>11} {:>11} {:>13}\n",
            c.step,
            key(c.quantile),
            c.run,
            g(c.train_loss),
            g(sm.mean),
            g(sm.stderr),
            g(second),
            z,
            g(bound),
            g(c.variance),
            g(c.variance_across_runs)
        );
    }
    if off > 0 {
        out += &format!(
            "note: at {off} of {} frozen runs E[Δ | θ_t] lies more than 5 SE from Theorem 1's second-order mean: \
             the step is not small there (η‖H_f‖₂ up to {}), so its η³ terms matter\n",
            changes.len(),
            g(curvature)
        );
    }
    out
}

/// The adaptive-step section: per rule the mean loss beside constant η's at
/// a few records, and the conditional checks.
fn adaptive_table(a: &AdaptiveReport, r: &StudyReport) -> String {
    let mut out = format!(
        "\nadaptive steps (Theorem 3, L = {}) of the first {} runs, same θ₀ and batches as SGD; E[Δ|θ_t] from {} fresh batches\n{:<9} {:>7} {:>11} {:>10} {:>11} {:>11}\n",
        a.smoothness, a.runs, a.batches, "rule", "step", "f(θ_t)", "± SE", "mean a_j", "SGD f(θ_t)"
    );
    for rule in &a.rules {
        for k in spaced(rule.curve.len(), TABLE_ROWS) {
            let p = &rule.curve[k];
            let sgd =
                r.curve.iter().find(|c| c.step == p.step).map_or(f64::NAN, |c| c.metrics["train_loss"].summary.mean);
            out += &format!(
                "{:<9} {:>7} {:>11} {:>10} {:>11} {:>11}\n",
                rule.rule.name(),
                p.step,
                g(p.train_loss.summary.mean),
                g(p.train_loss.summary.stderr),
                g(p.rate.summary.mean),
                g(sgd)
            );
        }
        let checked: usize = rule.checks.iter().map(|c| c.delta.summary.n as usize).sum();
        out += &format!(
            "{:<9} mean loss rose (> 2 SE) at {} of {} records (largest z {:.1}); E[Δ|θ_t] > 0 in {} and above B(A_t) in {} of {} checks; {} diverged\n",
            rule.rule.name(),
            rule.rising_records,
            rule.curve.len().saturating_sub(1),
            rule.largest_rise_z,
            rule.checks.iter().map(|c| c.positive).sum::<usize>(),
            rule.checks.iter().map(|c| c.above_bound).sum::<usize>(),
            checked,
            rule.diverged
        );
        let above: usize = rule.checks.iter().map(|c| c.above_bound).sum();
        if above > 0 {
            out += &format!(
                "note: {}: E[Δ|θ_t] exceeds B(A_t) by more than 2 SE in {above} checks, so L = {} does not bound the \
                 curvature along those steps (Theorem 3 assumes ‖H_f‖₂ ≤ L)\n",
                rule.rule.name(),
                a.smoothness
            );
        }
    }
    out
}

/// The PAC-Bayes section of the table: each term and error over runs.
fn pac_bayes_table(b: &PacBayesReport, quantiles: &[f64]) -> String {
    let mut out = format!(
        "
PAC-Bayes (sec. 6) of the first {} runs at T = {}: prior N({}, {}²I), δ = {}, {} posterior draws each ({} diverged)
{:<20} {:>11} {:>10}",
        b.runs,
        b.step,
        match b.prior_mean {
            PriorMean::Zero => "0",
            PriorMean::Init => "θ₀",
        },
        b.prior_sd,
        b.delta,
        b.draws,
        b.diverged,
        "",
        "mean",
        "± SE"
    );
    for q in quantiles {
        out += &format!(" {:>10}", format!("q{}", key(*q)));
    }
    out += "\n";
    for (name, d) in b.distributions() {
        out += &format!("{name:<20} {:>11} {:>10}", g(d.summary.mean), g(d.summary.stderr));
        for q in quantiles {
            out += &format!(" {:>10}", g(d.quantile(*q)));
        }
        out += "\n";
    }
    out += &format!("the error bound is below chance in {:.1}% of runs", 100.0 * b.below_chance);
    if let Some(t) = &b.test {
        out += &format!("; the Gibbs test error is within it in {:.1}%", 100.0 * t.bound_holds);
    }
    out += "\n";
    out
}

/// The curvature section of the table: per step, the mean cos γ_i (the top
/// q subspaces of H_f and M) and λ_i of both, for a few i.
fn curvature_table(c: &CurvatureReport) -> String {
    let shown: Vec<usize> = spaced(c.top, 5);
    let mut out = format!(
        "\ncurvature of the first {} runs (full batch): top-{} subspaces of H_f (Lanczos) and M, mean ± SE over runs\n{:>7} {:>5} {:>9} {:>10} {:>11} {:>11} {:>11}\n",
        c.runs, c.top, "step", "i", "cos γ_i", "± SE", "λ_i(H_f)", "λ_i(M)", "Tr M"
    );
    for s in &c.snapshots {
        for &i in &shown {
            let cos = s.cosines.get(i);
            out += &format!(
                "{:>7} {:>5} {:>9} {:>10} {:>11} {:>11} {:>11}\n",
                s.step,
                i + 1,
                g(cos.map_or(f64::NAN, |d| d.summary.mean)),
                g(cos.map_or(f64::NAN, |d| d.summary.stderr)),
                g(s.hessian_top[i].summary.mean),
                g(s.moment_top[i].summary.mean),
                g(s.moment_trace.summary.mean)
            );
        }
        if let Some(sp) = &s.spectra {
            out += &format!(
                "{:>7} dense: Tr H_f {}, λ_max(H_p) {}, λ_min(H_p) {}; Proposition 1 residual ≤ {:.1e} (relative)\n",
                s.step,
                g(sp.hessian_trace.summary.mean),
                g(sp.residual.first().map_or(f64::NAN, |d| d.summary.mean)),
                g(sp.residual.last().map_or(f64::NAN, |d| d.summary.mean)),
                sp.proposition_1
            );
        }
        let dk = &s.davis_kahan;
        let means = |list: &[Distribution]| list.iter().map(|d| g(d.summary.mean)).collect::<Vec<_>>().join(" ");
        out += &format!(
            "{:>7} Davis–Kahan (Δ = H_p, ‖H_p‖₂ {}): |v_rᵀṽ_r| {}, bound (56) {}; ‖sin Θ‖_F (s = 1…) {}, bound (59{}) {}\n",
            s.step,
            g(dk.residual_norm.summary.mean),
            means(&dk.cosines[..dk.cosines.len().min(3)]),
            means(&dk.vector_bound[..dk.vector_bound.len().min(3)]),
            means(&dk.subspace_sine),
            if dk.frobenius { ", ‖H_p‖_F" } else { ", √s‖H_p‖₂" },
            means(&dk.subspace_bound),
        );
        if s.diverged > 0 {
            out += &format!("{:>7} {} runs diverged (left out)\n", s.step, s.diverged);
        }
    }
    out
}

/// The tidy CSV: one row per (set, statistic, step): `set` is `train`
/// (every record) or `test`; columns n, mean, stderr, ci95_lo, ci95_hi,
/// then one column per quantile (`q0.1`, …), and the setting's own columns
/// (landscape, p, classes, n_train, label_noise, eta, batch, seed, runs), so
/// that files from several runs concatenate into one table.
pub fn csv(r: &StudyReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = [
        "landscape",
        "p",
        "classes",
        "n_train",
        "label_noise",
        "eta",
        "batch",
        "seed",
        "runs",
        "set",
        "statistic",
        "step",
    ]
    .map(String::from)
    .to_vec();
    head.extend(["n", "mean", "stderr", "ci95_lo", "ci95_hi"].map(String::from));
    head.extend(r.quantiles.iter().map(|q| format!("q{}", key(*q))));
    w.write_record(&head).expect("writing to memory");
    let num = |x: f64| if x.is_finite() { format!("{x:e}") } else { String::new() };
    let setting = [
        r.landscape.clone(),
        r.network.p.to_string(),
        r.network.classes.to_string(),
        r.network.n.to_string(),
        r.network.label_noise.to_string(),
        r.sgd.eta.to_string(),
        r.sgd.batch.to_string(),
        r.sgd.seed.to_string(),
        r.runs.to_string(),
    ];
    let mut row = |set: &str, name: &str, step: u64, d: &Distribution| {
        let s = &d.summary;
        let mut rec: Vec<String> = setting.to_vec();
        rec.extend([set.to_string(), name.to_string(), step.to_string(), s.n.to_string()]);
        rec.extend([s.mean, s.stderr, s.ci95[0], s.ci95[1]].map(num));
        rec.extend(r.quantiles.iter().map(|q| num(d.quantile(*q))));
        w.write_record(&rec).expect("writing to memory");
    };
    for p in &r.curve {
        for (name, d) in &p.metrics {
            row("train", name, p.step, d);
        }
    }
    for p in &r.test {
        for (name, d) in &p.metrics {
            row("test", name, p.step, d);
        }
    }
    // Curvature: statistic `cos_gamma_<i>`, `hessian_lambda_<i>`,
    // `moment_lambda_<i>` (i from 1, largest first), `moment_trace`, the
    // Davis–Kahan `dk_cos_<r>` (|v_rᵀṽ_r|), `dk_vector_bound_<r>` (56),
    // `dk_subspace_sine_<s>`, `dk_subspace_bound_<s>` (59) and
    // `residual_norm` (‖H_p‖₂), and with dense spectra `*_spectrum_<i>` for
    // H_f, M and H_p (`residual`).
    for s in r.curvature.iter().flat_map(|c| &c.snapshots) {
        let dk = &s.davis_kahan;
        let lists = [
            ("cos_gamma", &s.cosines),
            ("hessian_lambda", &s.hessian_top),
            ("moment_lambda", &s.moment_top),
            ("dk_cos", &dk.cosines),
            ("dk_vector_bound", &dk.vector_bound),
            ("dk_subspace_sine", &dk.subspace_sine),
            ("dk_subspace_bound", &dk.subspace_bound),
        ];
        for (name, list) in lists {
            for (i, d) in list.iter().enumerate() {
                row("curvature", &format!("{name}_{}", i + 1), s.step, d);
            }
        }
        row("curvature", "moment_trace", s.step, &s.moment_trace);
        row("curvature", "residual_norm", s.step, &dk.residual_norm);
        if let Some(sp) = &s.spectra {
            row("curvature", "hessian_trace", s.step, &sp.hessian_trace);
            for (name, list) in [("hessian", &sp.hessian), ("moment", &sp.moment), ("residual", &sp.residual)] {
                for (i, d) in list.iter().enumerate() {
                    row("curvature", &format!("{name}_spectrum_{}", i + 1), s.step, d);
                }
            }
        }
    }
    // Adaptive steps: set `adaptive_<rule>`, statistics `train_loss` and
    // `rate` per record, `conditional_delta` and `bound` per checked step.
    for rule in r.adaptive.iter().flat_map(|a| &a.rules) {
        let set = format!("adaptive_{}", rule.rule.name());
        for p in &rule.curve {
            row(&set, "train_loss", p.step, &p.train_loss);
            row(&set, "rate", p.step, &p.rate);
        }
        for c in &rule.checks {
            row(&set, "conditional_delta", c.step, &c.delta);
            row(&set, "bound", c.step, &c.bound);
        }
    }
    // PAC-Bayes: set `pac_bayes`, at step T, one row per term and error.
    for b in r.pac_bayes.iter() {
        for (name, d) in b.distributions() {
            row("pac_bayes", name, b.step, d);
        }
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8")
}
