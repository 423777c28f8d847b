//! `simsgd predict`'s output: the coefficients as a table (and, with
//! `--explain`, the diagrams behind each), or one JSON object.

use crate::landscape::Description;
use crate::optimizer::Optimizer;
use crate::plan::Plan;
use crate::theory::corollary::{Continuous, Corollaries, EffectiveRate, Epochs, ValleyDrift};
use crate::theory::predict::Prediction;
use crate::theory::prediction::Growth;
use crate::theory::resum::Resum;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A coefficient: about ten significant digits, fixed-point where readable;
/// "n/a" where it overflowed (an unstable re-summation, a huge T).
fn coefficient(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let x = x + 0.0; // −0 prints as 0
    if x == 0.0 || (1e-3..1e7).contains(&x.abs()) {
        let digits = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
        format!("{x:.*}", (9 - digits).clamp(1, 10) as usize)
    } else {
        format!("{x:.9e}")
    }
}

/// What `predict` reports: the prediction for a plan, from the landscape at
/// `init`, and the corollaries that apply.
#[derive(Clone, Debug)]
pub struct PredictReport {
    pub landscape: Description,
    pub init: Vec<f64>,
    pub plan: Plan,
    pub prediction: Prediction,
    pub corollaries: Corollaries,
    /// List the terms (diagrams) behind the coefficients.
    pub explain: bool,
    /// Why the prediction may not hold ([`crate::theory::validity`]).
    pub warnings: Vec<String>,
}

// The JSON: the run's parameters, `order`, `coefficients{…}` (or, re-summed,
// `resummed{…}`) and `prediction{…}` (E[X] = Σ c_k η^k), the `corollaries`
// that apply and, with `explain`, the `terms`; keys in alphabetical order at
// every level.

#[derive(Serialize)]
struct Json<'a> {
    batch: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    coefficients: Option<PerOrder<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corollaries: Option<CorollariesJson<'a>>,
    epochs: usize,
    eta: f64,
    init: &'a [f64],
    landscape: &'a str,
    optimizer: Optimizer,
    order: usize,
    params: BTreeMap<&'a str, f64>,
    prediction: Values,
    #[serde(skip_serializing_if = "Option::is_none")]
    resummed: Option<Resummed<'a>>,
    shuffle: bool,
    steps: usize,
    substeps: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    terms: Option<Vec<TermJson<'a>>>,
    train_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    unstable: Option<Growth>,
    warnings: &'a [String],
}

/// Per observable, one number per order: the coefficients c_k, or each
/// order's re-summed contribution.
#[derive(Serialize)]
struct PerOrder<'a> {
    gen_gap: &'a [f64],
    test_loss: &'a [f64],
    theta: &'a [Vec<f64>],
    train_loss: &'a [f64],
}

/// The predicted values at η.
#[derive(Serialize)]
struct Values {
    gen_gap: f64,
    test_loss: f64,
    theta: Vec<f64>,
    train_loss: f64,
}

#[derive(Serialize)]
struct Resummed<'a> {
    contributions: PerOrder<'a>,
    mode: Resum,
    velocity: Option<&'a [f64]>,
}

#[derive(Serialize)]
struct TermJson<'a> {
    contribution: f64,
    diagram: &'a str,
    embeddings: f64,
    observable: &'static str,
    order: usize,
    value: f64,
}

#[derive(Serialize)]
struct CorollariesJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    continuous: Option<ContinuousJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    epochs: Option<EpochsJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    momentum: Option<&'a EffectiveRate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tic_gap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valley_drift: Option<ValleyDriftJson<'a>>,
}

#[derive(Serialize)]
struct ContinuousJson<'a> {
    sgd_minus_ode: f64,
    sgd_minus_sde: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sgd_minus_sde_coefficients: Option<&'a [f64]>,
    substeps: u32,
}

#[derive(Serialize)]
struct EpochsJson<'a> {
    epochs: usize,
    one_epoch_eta: f64,
    test_loss_diff: f64,
    theta_diff: &'a [f64],
    #[serde(skip_serializing_if = "Option::is_none")]
    theta_law: Option<&'a [f64]>,
}

#[derive(Serialize)]
struct ValleyDriftJson<'a> {
    leading: &'a [f64],
    resummed: &'a [f64],
}

impl<'a> From<&'a Corollaries> for CorollariesJson<'a> {
    fn from(c: &'a Corollaries) -> Self {
        // Every field, so that a new corollary is a compile error here.
        let Corollaries { valley_drift, tic_gap, epochs, continuous, momentum } = c;
        CorollariesJson {
            continuous: continuous.as_ref().map(|k| {
                let Continuous { substeps, sgd_minus_sde, sgd_minus_ode, sgd_minus_sde_coefficients } = k;
                ContinuousJson {
                    sgd_minus_ode: *sgd_minus_ode,
                    sgd_minus_sde: *sgd_minus_sde,
                    sgd_minus_sde_coefficients: sgd_minus_sde_coefficients.as_deref(),
                    substeps: *substeps,
                }
            }),
            epochs: epochs.as_ref().map(|e| {
                let Epochs { epochs, one_epoch_eta, test_loss_diff, theta_diff, theta_law } = e;
                EpochsJson {
                    epochs: *epochs,
                    one_epoch_eta: *one_epoch_eta,
                    test_loss_diff: *test_loss_diff,
                    theta_diff,
                    theta_law: theta_law.as_deref(),
                }
            }),
            momentum: momentum.as_ref(),
            tic_gap: *tic_gap,
            valley_drift: valley_drift.as_ref().map(|v| {
                let ValleyDrift { leading, resummed } = v;
                ValleyDriftJson { leading, resummed }
            }),
        }
    }
}

impl PredictReport {
    fn json(&self) -> Json<'_> {
        let (p, plan, grid) = (&self.prediction, &self.plan, &self.plan.grid);
        let (test_loss, train_loss, gen_gap, theta) = p.at(plan.eta);
        let per_order =
            PerOrder { gen_gap: &p.gen_gap, test_loss: &p.test_loss, theta: &p.theta, train_loss: &p.train_loss };
        let (coefficients, resummed) = match p.resummed {
            None => (Some(per_order), None),
            Some(mode) => (None, Some(Resummed { contributions: per_order, mode, velocity: p.velocity.as_deref() })),
        };
        Json {
            batch: grid.batch,
            coefficients,
            corollaries: (!self.corollaries.is_empty()).then(|| (&self.corollaries).into()),
            epochs: grid.epochs,
            eta: plan.eta,
            init: &self.init,
            landscape: &self.landscape.name,
            optimizer: plan.optimizer,
            order: p.order,
            params: self.landscape.params.iter().map(|p| (p.name.as_str(), p.value)).collect(),
            prediction: Values { gen_gap, test_loss, theta, train_loss },
            resummed,
            shuffle: grid.shuffle,
            steps: plan.steps(),
            substeps: plan.substeps,
            terms: self.explain.then(|| {
                p.terms
                    .iter()
                    .map(|t| TermJson {
                        contribution: t.contribution,
                        diagram: &t.diagram,
                        embeddings: t.embeddings,
                        observable: t.observable,
                        order: t.order,
                        value: t.value,
                    })
                    .collect()
            }),
            train_size: grid.train_size,
            unstable: p.unstable,
            warnings: &self.warnings,
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.json()).expect("reports serialise")
    }

    /// The table of coefficients (with `explain`, the terms behind them),
    /// then the corollaries.
    pub fn text(&self) -> String {
        let (d, p) = (&self.landscape, &self.prediction);
        text(d, &self.plan, p, self.explain) + &warning_lines(&self.warnings) + &corollaries(d, &self.corollaries)
    }
}

/// `predict --compare`: each plan's prediction, to one order, from the same
/// law, and their difference (primary − compared). The difference of the
/// expectations is the expectation of the paired difference that `run
/// --compare` measures on shared training sets (and `run --compare --theory`
/// sets beside it).
pub struct PredictPair {
    pub primary: PredictReport,
    pub compared: PredictReport,
}

impl PredictPair {
    /// Whether the difference is given per order as contributions (c_k η^k
    /// of each arm at its own η, or re-summed contributions) rather than
    /// coefficients: where the arms' η differ or the series is re-summed.
    fn by_contribution(&self) -> bool {
        self.primary.prediction.resummed.is_some() || self.primary.plan.eta != self.compared.plan.eta
    }

    /// Per observable, the difference of each order's coefficient (or
    /// contribution, [`PredictPair::by_contribution`]): (test loss, train
    /// loss, gen gap, θ).
    fn difference(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let (a, b) = (&self.primary, &self.compared);
        let scale = |r: &PredictReport| {
            let eta = if self.by_contribution() && r.prediction.resummed.is_none() { r.plan.eta } else { 1.0 };
            move |c: &[f64]| c.iter().enumerate().map(|(k, c)| c * eta.powi(k as i32)).collect::<Vec<f64>>()
        };
        let (sa, sb) = (scale(a), scale(b));
        let diff = |x: &[f64], y: &[f64]| sa(x).iter().zip(sb(y)).map(|(x, y)| x - y).collect::<Vec<f64>>();
        let (a, b) = (&a.prediction, &b.prediction);
        let theta = a.theta.iter().zip(&b.theta).map(|(x, y)| diff(x, y)).collect();
        (diff(&a.test_loss, &b.test_loss), diff(&a.train_loss, &b.train_loss), diff(&a.gen_gap, &b.gen_gap), theta)
    }

    /// The difference's values, each arm at its η: (test loss, train loss,
    /// gen gap, θ).
    fn difference_at(&self) -> (f64, f64, f64, Vec<f64>) {
        let (a, b) =
            (self.primary.prediction.at(self.primary.plan.eta), self.compared.prediction.at(self.compared.plan.eta));
        (a.0 - b.0, a.1 - b.1, a.2 - b.2, a.3.iter().zip(&b.3).map(|(x, y)| x - y).collect())
    }

    /// One JSON object: the primary plan's (as `predict` prints it), with
    /// `compare` (the compared plan's object) and `difference`
    /// (`coefficients`, or re-summed `contributions`, and `prediction`, of
    /// primary − compared); keys in alphabetical order.
    pub fn to_json(&self) -> String {
        let parse = |r: &PredictReport| serde_json::from_str::<Value>(&r.to_json()).expect("a report is JSON");
        let mut v = parse(&self.primary);
        let (test, train, gap, theta) = self.difference();
        let at = self.difference_at();
        let per_order = json!({ "gen_gap": gap, "test_loss": test, "theta": theta, "train_loss": train });
        let key = if self.by_contribution() { "contributions" } else { "coefficients" };
        let difference = json!({
            key: per_order,
            "prediction": { "gen_gap": at.2, "test_loss": at.0, "theta": at.3, "train_loss": at.1 },
        });
        if let Value::Object(map) = &mut v {
            map.insert("compare".into(), parse(&self.compared));
            map.insert("difference".into(), difference);
        }
        serde_json::to_string_pretty(&v).expect("reports serialise")
    }

    /// Each plan's table, then the difference's.
    pub fn text(&self) -> String {
        let (a, b) = (&self.primary, &self.compared);
        let mut out = format!("{}\n{}\n", a.text(), b.text());
        let p = &a.prediction;
        let what = match p.resummed {
            None if self.by_contribution() => "per order, each arm's c_k η^k at its own η".to_string(),
            None => "E[X] = Σ c_k η^k".to_string(),
            Some(mode) => format!("re-summed ({})", mode.name()),
        };
        let [la, lb] = super::labels(&a.plan, &b.plan);
        let _ = writeln!(out, "paired difference, {la} − {lb} on the same training sets · order {} · {what}", p.order);
        let (test, train, gap, theta) = self.difference();
        let (at_test, at_train, at_gap, at_theta) = self.difference_at();
        let per_order = PerOrder { gen_gap: &gap, test_loss: &test, theta: &theta, train_loss: &train };
        let column = if self.by_contribution() { "order " } else { "c" };
        out.push_str(&table(&a.landscape.weights, column, &per_order, (at_test, at_train, at_gap, &at_theta)));
        out
    }
}

/// One "  warning: …" line per warning.
pub fn warning_lines(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("  warning: {w}\n")).collect()
}

/// The table of coefficients and truncated values, and the terms with `explain`.
fn text(d: &Description, plan: &Plan, p: &Prediction, explain: bool) -> String {
    let (test, train, gap, theta) = p.at(plan.eta);
    let grid = &plan.grid;
    let (what, column) = match p.resummed {
        None => ("E[X] = Σ c_k η^k".to_string(), "c"),
        Some(mode) => (format!("re-summed ({}): E[X] = Σ of each order's contribution at η", mode.name()), "order "),
    };
    let mut out = format!(
        "{} · {} · η = {} · T = {} (N = {}, B = {}, E = {}{}) · order {} · {what}\n",
        d.name,
        plan.optimizer.name(),
        plan.eta,
        plan.steps(),
        grid.train_size,
        grid.batch,
        grid.epochs,
        if grid.shuffle { ", shuffled" } else { "" },
        p.order
    );
    let per_order =
        PerOrder { gen_gap: &p.gen_gap, test_loss: &p.test_loss, theta: &p.theta, train_loss: &p.train_loss };
    out.push_str(&table(&d.weights, column, &per_order, (test, train, gap, &theta)));
    if let Some(velocity) = &p.velocity {
        let cells: Vec<String> =
            d.weights.iter().zip(velocity).map(|(w, v)| format!("{w} {}", coefficient(*v))).collect();
        let _ = writeln!(out, "  drift of the last step E[θ_T − θ_(T−1)]: {}", cells.join(", "));
    }
    if let Some(g) = &p.unstable {
        out.push_str(&unstable(g, p.at(plan.eta)));
    }
    if explain {
        out.push_str(&terms(p));
    }
    out
}

/// The warning under an unstable re-summation: what grows, by how much, and
/// whether the values overflowed.
fn unstable(g: &Growth, (test, train, gap, theta): (f64, f64, f64, Vec<f64>)) -> String {
    let overflowed = ![test, train, gap].iter().chain(&theta).all(|x| x.is_finite());
    format!(
        "  unstable: H has eigenvalue λ = {} at θ₀, and each update multiplies a deviation along it by {} > 1, \
         so the re-summed values grow geometrically with T{}\n",
        coefficient(g.eigenvalue),
        coefficient(g.factor_per_update),
        if overflowed { " (overflowed: n/a)" } else { "" }
    )
}

/// The columns of orders (headed `column`0, `column`1, …) and the values at η
/// (`at`: test loss, train loss, gen gap, θ), one row per observable.
fn table(weights: &[String], column: &str, c: &PerOrder, at: (f64, f64, f64, &[f64])) -> String {
    let mut out = String::new();
    let header: String = (0..c.test_loss.len()).map(|k| format!("{:>18}", format!("{column}{k}"))).collect();
    let _ = writeln!(out, "  {:<12}{header}{:>18}", "", if column == "c" { "at η" } else { "total" });
    let mut row = |label: &str, c: &[f64], v: f64| {
        let cells: String = c.iter().map(|&x| format!("{:>18}", coefficient(x))).collect();
        let _ = writeln!(out, "  {label:<12}{cells}{:>18}", coefficient(v));
    };
    row("test loss", c.test_loss, at.0);
    row("train loss", c.train_loss, at.1);
    row("gen gap", c.gen_gap, at.2);
    for ((w, c), v) in weights.iter().zip(c.theta).zip(at.3) {
        row(w, c, *v);
    }
    out
}

/// "u a, v b, ..." for a vector over the weights.
fn per_weight(d: &Description, v: &[f64]) -> String {
    d.weights.iter().zip(v).map(|(w, x)| format!("{w} {}", coefficient(*x))).collect::<Vec<_>>().join(", ")
}

/// The corollaries that apply, one paragraph each (docs/THEORY.md derives them).
fn corollaries(d: &Description, c: &Corollaries) -> String {
    let mut out = String::new();
    if c.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n  corollaries (docs/THEORY.md):");
    if let Some(v) = &c.valley_drift {
        let _ = writeln!(
            out,
            "  1. drift per step along the valley of minima, −(η/2) J:Σ: leading law {}; discrete {}",
            per_weight(d, &v.leading),
            per_weight(d, &v.resummed)
        );
    }
    if let Some(g) = c.tic_gap {
        let _ = writeln!(out, "  2. GD's gap as T → ∞, tr(C H⁻¹)/N (TIC; AIC's d/N where C = H): {}", coefficient(g));
    }
    if let Some(e) = &c.epochs {
        let _ = writeln!(
            out,
            "  4. {} epochs at η minus one epoch at {}: test loss {}; θ {}",
            e.epochs,
            e.one_epoch_eta,
            coefficient(e.test_loss_diff),
            per_weight(d, &e.theta_diff)
        );
        if let Some(law) = &e.theta_law {
            let _ = writeln!(out, "     η² law (M−1)N/(2M)·(Mη)²·E[h g]: θ {}", per_weight(d, law));
        }
    }
    if let Some(k) = &c.continuous {
        let _ = writeln!(
            out,
            "  5. test loss, SGD − SDE (K = {}): {}; SGD − ODE: {}",
            k.substeps,
            coefficient(k.sgd_minus_sde),
            coefficient(k.sgd_minus_ode)
        );
        if let Some(cs) = &k.sgd_minus_sde_coefficients {
            let cells: Vec<String> = cs.iter().enumerate().map(|(i, x)| format!("c{i} {}", coefficient(*x))).collect();
            let _ = writeln!(out, "     SGD − SDE coefficients: {}", cells.join(", "));
        }
    }
    if let Some(m) = &c.momentum {
        let _ = writeln!(
            out,
            "  6. momentum's effective rate (β = {}): SGD at η_eff = {} (T → ∞: η/(1 − β) = {}) has its first order; \
             test loss, momentum − SGD at η_eff: {}",
            m.beta,
            coefficient(m.effective_eta),
            coefficient(m.asymptotic_eta),
            coefficient(m.test_loss_diff)
        );
        let cells: Vec<String> = m
            .test_loss_diff_coefficients
            .iter()
            .enumerate()
            .map(|(i, x)| format!("c{i} {}", coefficient(*x)))
            .collect();
        let _ = writeln!(out, "     coefficients: {}", cells.join(", "));
    }
    out
}

/// Relative size below which `--explain` hides a diagram (JSON keeps it).
const NEGLIGIBLE: f64 = 1e-12;

/// Each coefficient's diagrams, largest contribution first.
fn terms(p: &Prediction) -> String {
    let mut out = String::from(
        "\n  diagrams: L = the loss at θ_T (test: fresh sample; L_a: the train loss's training point a), each\n  \
         letter a gradient step on that sample, its children in parentheses (earlier steps);\n  ",
    );
    out.push_str(match p.resummed {
        None => "embeddings × value = contribution to c_k\n",
        Some(_) => "re-summed: each diagram's contribution at η, summed over its time orders with the propagators\n",
    });
    for observable in ["test_loss", "train_loss"] {
        for k in 0..=p.order {
            let mut ts: Vec<_> = p.terms.iter().filter(|t| t.observable == observable && t.order == k).collect();
            if ts.is_empty() {
                continue;
            }
            ts.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            let total: f64 = ts.iter().map(|t| t.contribution).sum();
            let _ = writeln!(out, "\n  {observable} c{k} = {}", coefficient(total));
            // Diagrams that vanish but for rounding (e.g. G = 0 at a minimum).
            let largest = ts[0].contribution.abs();
            let shown = ts.iter().take_while(|t| t.contribution.abs() > NEGLIGIBLE * largest).count();
            for t in &ts[..shown] {
                let share =
                    if total != 0.0 { format!("{:>7.1}%", 100.0 * t.contribution / total) } else { String::new() };
                let product = match p.resummed {
                    None => format!("{:>16} × {:>16} =", coefficient(t.embeddings), coefficient(t.value)),
                    Some(_) => String::new(),
                };
                let _ =
                    writeln!(out, "    {:<36} {product:>35} {:>16} {share}", t.diagram, coefficient(t.contribution));
            }
            if shown < ts.len() {
                let _ =
                    writeln!(out, "    ({} diagrams below {NEGLIGIBLE:e} of the largest not shown)", ts.len() - shown);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::coefficient;

    #[test]
    fn coefficients_are_readable() {
        assert_eq!(coefficient(-0.0), "0.000000000");
        assert_eq!(coefficient(800.0), "800.0000000");
        assert_eq!(coefficient(-11841.6), "-11841.60000");
        assert_eq!(coefficient(4.78891429933101e20), "4.788914299e20");
        assert_eq!(coefficient(2.5e-7), "2.500000000e-7");
    }
}
