//! `simsgd predict`: the theory's prediction for a spec's plan, and the
//! corollaries that apply to it; with `--compare`, for both plans and their
//! difference.

use super::theory::Options;
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::landscape::Description;
use crate::plan::Plan;
use crate::report::predict::PredictReport;
use crate::theory::law::Law;
use crate::theory::predict::Prediction;
use crate::theory::{corollary, law, statistics};
use serde_json::{json, Value};
use std::fmt::Write;

/// The prediction for `spec`'s plan (its trials, seed and records do not
/// matter), with the terms behind it if `explain`. A compared optimizer
/// (`--compare`) is [`predict_pair`]'s; here it is ignored.
pub fn predict(spec: Spec, options: Options, explain: bool) -> Result<PredictReport> {
    let exp = spec.resolve()?;
    let law = exp.landscape.visit(law::Exact(&exp.init));
    let p = options.predict(&law, &[&exp.plan])?.remove(0);
    report(&exp, &law, &exp.plan, p, options, explain)
}

/// The report on `plan` of `exp` with its prediction `p`.
fn report(
    exp: &Experiment,
    law: &Law,
    plan: &Plan,
    p: Prediction,
    options: Options,
    explain: bool,
) -> Result<PredictReport> {
    let stats = exp.landscape.visit(statistics::Exact(&exp.init));
    let corollaries = corollary::corollaries(&stats, plan, &p, |plan| options.predict_to(law, plan, p.order))?;
    Ok(PredictReport {
        landscape: exp.landscape.describe(),
        init: exp.init.clone(),
        plan: plan.clone(),
        prediction: p,
        corollaries,
        explain,
    })
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

/// The predictions for `spec`'s plan and its compared plan (`spec.compare`
/// must be set).
pub fn predict_pair(spec: Spec, options: Options, explain: bool) -> Result<PredictPair> {
    let exp = spec.resolve()?;
    let compare = exp.compare.clone().ok_or_else(|| crate::error::usage("predict_pair needs --compare"))?;
    let law = exp.landscape.visit(law::Exact(&exp.init));
    let mut p = options.predict(&law, &[&exp.plan, &compare])?;
    let q = p.remove(1);
    let primary = report(&exp, &law, &exp.plan, p.remove(0), options, explain)?;
    let compared = report(&exp, &law, &compare, q, options, explain)?;
    Ok(PredictPair { primary, compared })
}

impl PredictPair {
    /// Per observable, the difference of each order's coefficient (or
    /// re-summed contribution): (test loss, train loss, gen gap, θ).
    fn difference(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let (a, b) = (&self.primary.prediction, &self.compared.prediction);
        let diff = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(x, y)| x - y).collect::<Vec<f64>>();
        let theta = a.theta.iter().zip(&b.theta).map(|(x, y)| diff(x, y)).collect();
        (diff(&a.test_loss, &b.test_loss), diff(&a.train_loss, &b.train_loss), diff(&a.gen_gap, &b.gen_gap), theta)
    }

    /// The difference's values at η: (test loss, train loss, gen gap, θ).
    fn difference_at(&self) -> (f64, f64, f64, Vec<f64>) {
        let eta = self.primary.plan.eta;
        let (a, b) = (self.primary.prediction.at(eta), self.compared.prediction.at(eta));
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
        let key = if self.primary.prediction.resummed.is_some() { "contributions" } else { "coefficients" };
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
            None => "E[X] = Σ c_k η^k".to_string(),
            Some(mode) => format!("re-summed ({})", mode.name()),
        };
        let _ = writeln!(
            out,
            "paired difference, {} − {} on the same training sets · order {} · {what}",
            a.plan.optimizer.name(),
            b.plan.optimizer.name(),
            p.order
        );
        let column = if p.resummed.is_some() { "order " } else { "c" };
        let header: String = (0..=p.order).map(|k| format!("{:>18}", format!("{column}{k}"))).collect();
        let _ = writeln!(out, "  {:<12}{header}{:>18}", "", if p.resummed.is_some() { "total" } else { "at η" });
        let (test, train, gap, theta) = self.difference();
        let (at_test, at_train, at_gap, at_theta) = self.difference_at();
        let mut row = |label: &str, c: &[f64], v: f64| {
            let cells: String = c.iter().map(|&x| format!("{:>18}", coefficient(x))).collect();
            let _ = writeln!(out, "  {label:<12}{cells}{:>18}", coefficient(v));
        };
        row("test loss", &test, at_test);
        row("train loss", &train, at_train);
        row("gen gap", &gap, at_gap);
        let Description { weights, .. } = &a.landscape;
        for ((w, c), v) in weights.iter().zip(&theta).zip(&at_theta) {
            row(w, c, *v);
        }
        out
    }
}

/// A coefficient as `predict` prints one: about ten significant digits,
/// fixed-point where readable.
fn coefficient(x: f64) -> String {
    let x = x + 0.0; // −0 prints as 0
    if x == 0.0 || (1e-3..1e7).contains(&x.abs()) {
        let digits = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
        format!("{x:.*}", (9 - digits).clamp(1, 10) as usize)
    } else {
        format!("{x:.9e}")
    }
}
