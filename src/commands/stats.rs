//! `simsgd stats`: a landscape's statistics at a point, exact and (optionally)
//! estimated from samples.

use crate::error::{usage, Result};
use crate::landscape::formula::Definition;
use crate::landscape::AnyLandscape;
use crate::report::stats::{Estimates, Quadrature, StatsReport};
use crate::theory::statistics;
use std::sync::Arc;

/// What `stats` computes.
#[derive(Clone, Debug)]
pub struct Request {
    pub landscape: String,
    /// A formula landscape instead of the built-in `landscape` names.
    pub formula: Option<Arc<Definition>>,
    pub params: Vec<(String, f64)>,
    /// The point θ [default: the landscape's init].
    pub at: Option<Vec<f64>>,
    /// Also estimate every statistic from samples.
    pub estimate: Option<Sampling>,
}

/// The samples of `--estimate`.
#[derive(Clone, Copy, Debug)]
pub struct Sampling {
    /// At least 23 (the jackknife leaves out one of 20 groups), at most a
    /// random stream's 2^34 (`statistics::check_samples`).
    pub samples: usize,
    pub seed: u64,
}

/// The statistics the request asks for.
pub fn stats(r: &Request) -> Result<StatsReport> {
    let landscape = AnyLandscape::build(&r.landscape, r.formula.as_deref(), &r.params)?;
    let d = landscape.describe();
    let theta = r.at.clone().unwrap_or(d.init.clone());
    if theta.len() != d.weights.len() || theta.iter().any(|x| !x.is_finite()) {
        return Err(usage(format!(
            "--at needs {} finite number{} for {} ({})",
            d.weights.len(),
            if d.weights.len() == 1 { "" } else { "s" },
            d.name,
            d.weights.join(", ")
        )));
    }
    if let Some(e) = &r.estimate {
        statistics::check_samples(e.samples)?;
    }
    let exact = landscape.visit(statistics::Exact(&theta))?;
    let quadrature = landscape.visit(statistics::QuadratureError(&theta)).map(|(nodes, coarse, error)| Quadrature {
        error,
        note: format!(
            "l_x is not a polynomial in x: the values come from a {nodes}-node Gauss rule{} of x ~ {}, not \
                 exactly; they differ from a {coarse}-node rule's by at most {error:.1e} (relative to 1 + |value|)",
            d.per_coordinate(),
            d.law.describe()
        ),
    });
    let estimate = r.estimate.map(|Sampling { samples, seed }| Estimates {
        samples,
        seed,
        values: landscape.visit(statistics::Estimated { theta: &theta, samples, seed }),
    });
    Ok(StatsReport { landscape: d.name, weights: d.weights, theta, exact, estimate, quadrature })
}
