//! `simsgd predict`: the theory's prediction for a spec's plan, and the
//! corollaries that apply to it; with `--compare`, for both plans and their
//! difference.

use super::theory::Options;
use crate::error::Result;
use crate::experiment::{Experiment, Spec};
use crate::plan::Plan;
use crate::report::predict::{PredictPair, PredictReport};
use crate::theory::law::Law;
use crate::theory::predict::Prediction;
use crate::theory::{corollary, law, statistics, validity};

/// The prediction for `spec`'s plan (its trials, seed and records do not
/// matter), with the terms behind it if `explain`. A compared optimizer
/// (`--compare`) is [`predict_pair`]'s; here it is ignored.
pub fn predict(spec: Spec, options: Options, explain: bool) -> Result<PredictReport> {
    let exp = spec.resolve()?;
    let law = exp.landscape.visit(law::Exact(&exp.init))?;
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
    let stats = exp.landscape.visit(statistics::Exact(&exp.init))?;
    let corollaries = corollary::corollaries(&stats, plan, &p, |plan| options.predict_to(law, plan, p.order))?;
    let landscape = exp.landscape.describe();
    let mut warnings = validity::prediction(law, plan, &p, landscape.test_loss_floor);
    warnings.extend(quadrature(exp, plan, &p, options)?);
    Ok(PredictReport {
        landscape,
        init: exp.init.clone(),
        plan: plan.clone(),
        prediction: p,
        corollaries,
        explain,
        warnings,
    })
}

/// Where the theory's rule is not exact (a loss not polynomial in x): a line
/// stating the coefficients' quadrature error, as their largest difference
/// (relative to 1 + |c|) from those of a rule of three quarters the nodes
/// per coordinate of the sample.
pub(crate) fn quadrature(exp: &Experiment, plan: &Plan, p: &Prediction, options: Options) -> Result<Option<String>> {
    let description = exp.landscape.describe();
    let fine = exp.landscape.visit(statistics::TheoryRule(&exp.init, law::MAX_ORDER + 1))?.nodes;
    let coarse_nodes = 3 * fine / 4;
    let Some(coarse) = exp.landscape.visit(law::Coarse(&exp.init, coarse_nodes)) else { return Ok(None) };
    let q = options.predict_to(&coarse, plan, p.order)?;
    let pairs = |a: &Prediction| -> Vec<f64> {
        let mut v: Vec<f64> = a.test_loss.iter().chain(&a.train_loss).chain(&a.gen_gap).copied().collect();
        v.extend(a.theta.iter().flatten());
        v
    };
    let change = pairs(p).iter().zip(pairs(&q)).map(|(a, b)| (a - b).abs() / (1.0 + a.abs())).fold(0.0, f64::max);
    Ok(Some(format!(
        "l_x is not a polynomial in x: the coefficients come from a {fine}-node Gauss rule{} of x ~ {}, not \
         exactly; they differ from a {coarse_nodes}-node rule's by at most {change:.1e} (relative to 1 + |c|)",
        description.per_coordinate(),
        description.law.describe()
    )))
}

/// The predictions for `spec`'s plan and its compared plan (`spec.compare`
/// must be set).
pub fn predict_pair(spec: Spec, options: Options, explain: bool) -> Result<PredictPair> {
    let exp = spec.resolve()?;
    let compare = exp.compare.clone().ok_or_else(|| crate::error::usage("predict_pair needs --compare"))?;
    let law = exp.landscape.visit(law::Exact(&exp.init))?;
    let mut p = options.predict(&law, &[&exp.plan, &compare])?;
    let q = p.remove(1);
    let primary = report(&exp, &law, &exp.plan, p.remove(0), options, explain)?;
    let compared = report(&exp, &law, &compare, q, options, explain)?;
    Ok(PredictPair { primary, compared })
}
