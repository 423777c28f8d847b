//! `simsgd predict`: the theory's prediction for a spec's plan, and the
//! corollaries that apply to it.

use super::theory::Options;
use crate::error::Result;
use crate::experiment::Spec;
use crate::report::predict::PredictReport;
use crate::theory::{corollary, law, statistics};

/// The prediction for `spec`'s plan (its trials, seed and records do not
/// matter), with the terms behind it if `explain`.
pub fn predict(spec: Spec, options: Options, explain: bool) -> Result<PredictReport> {
    let exp = spec.resolve()?;
    let law = exp.landscape.visit(law::Exact(&exp.init));
    let p = options.predict(&law, &[&exp.plan])?.remove(0);
    let stats = exp.landscape.visit(statistics::Exact(&exp.init));
    let corollaries = corollary::corollaries(&stats, &exp.plan, &p, |plan| options.predict_to(&law, plan, p.order))?;
    Ok(PredictReport {
        landscape: exp.landscape.describe(),
        init: exp.init,
        plan: exp.plan,
        prediction: p,
        corollaries,
        explain,
    })
}
