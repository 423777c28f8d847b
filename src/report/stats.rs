//! `simsgd stats`'s output: the exact statistics at a point (and, with
//! `--estimate`, the unbiased estimates beside them) as a table or one JSON
//! object.

use crate::theory::statistics::{self, Estimate, Named, Statistics};
use serde::Serialize;
use std::fmt::Write;

/// The statistics of a landscape at θ.
#[derive(Clone, Debug)]
pub struct StatsReport {
    pub landscape: String,
    pub weights: Vec<String>,
    pub theta: Vec<f64>,
    pub exact: Statistics,
    /// The estimates from samples (`--estimate`).
    pub estimate: Option<Estimates>,
    /// Where the values are not exact (a loss not polynomial in x).
    pub quadrature: Option<Quadrature>,
}

/// The stated quadrature error of statistics that are not exact.
#[derive(Clone, Debug)]
pub struct Quadrature {
    /// The largest change of a statistic, relative to 1 + |value|, from a
    /// rule of three quarters the nodes.
    pub error: f64,
    /// The line saying so.
    pub note: String,
}

/// Every statistic estimated from `samples` samples of the `seed` stream.
#[derive(Clone, Debug)]
pub struct Estimates {
    pub samples: usize,
    pub seed: u64,
    /// One per flattened statistic, in [`statistics::flatten`]'s order.
    pub values: Vec<Estimate>,
}

// The JSON: keys in alphabetical order at every level.

#[derive(Serialize)]
struct Json<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<EstimatesJson<'a>>,
    exact: StatisticsJson<'a>,
    landscape: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quadrature_error: Option<f64>,
    theta: &'a [f64],
}

#[derive(Serialize)]
struct EstimatesJson<'a> {
    samples: usize,
    seed: u64,
    values: Vec<EstimateJson<'a>>,
}

#[derive(Serialize)]
struct EstimateJson<'a> {
    name: &'a str,
    stderr: f64,
    value: f64,
}

#[derive(Serialize)]
struct StatisticsJson<'a> {
    c: &'a [Vec<f64>],
    g: &'a [f64],
    ghg_mixed: f64,
    h: &'a [Vec<f64>],
    hg_mixed: &'a [f64],
    j: &'a [Vec<Vec<f64>>],
    l: f64,
    named: NamedJson,
    s: &'a [Vec<Vec<f64>>],
    theta: &'a [f64],
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct NamedJson {
    INT: f64,
    PAS: f64,
    PER: f64,
    TEM: f64,
    UNC: f64,
}

impl<'a> From<&'a Statistics> for StatisticsJson<'a> {
    fn from(s: &'a Statistics) -> Self {
        // Every field, so that a new statistic is a compile error here.
        let Statistics { theta, l, g, h, j, c, s, hg_mixed, ghg_mixed, named } = s;
        let Named { INT, UNC, PAS, TEM, PER } = *named;
        StatisticsJson {
            c,
            g,
            ghg_mixed: *ghg_mixed,
            h,
            hg_mixed,
            j,
            l: *l,
            named: NamedJson { INT, PAS, PER, TEM, UNC },
            s,
            theta,
        }
    }
}

impl StatsReport {
    fn json(&self) -> Json<'_> {
        Json {
            estimate: self.estimate.as_ref().map(|e| EstimatesJson {
                samples: e.samples,
                seed: e.seed,
                values: e
                    .values
                    .iter()
                    .map(|v| EstimateJson { name: &v.name, stderr: v.stderr, value: v.value })
                    .collect(),
            }),
            exact: (&self.exact).into(),
            landscape: &self.landscape,
            quadrature_error: self.quadrature.as_ref().map(|q| q.error),
            theta: &self.theta,
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.json()).expect("reports serialise")
    }

    /// The table: each statistic's exact value (and estimate, SE and z).
    pub fn text(&self) -> String {
        let at: Vec<String> = self.weights.iter().zip(&self.theta).map(|(w, x)| format!("{w} = {x}")).collect();
        let mut out = format!("{} at {}\n", self.landscape, at.join(", "));
        let flat = statistics::flatten(&self.exact);
        match &self.estimate {
            None => {
                for (name, value) in &flat {
                    let _ = writeln!(out, "  {name:<14} {value:>16.10}");
                }
            }
            Some(e) => {
                let _ = writeln!(out, "  {:<14} {:>16} {:>16} {:>12} {:>7}", "", "exact", "estimate", "stderr", "z");
                for ((name, value), est) in flat.iter().zip(&e.values) {
                    let z = (est.value - value) / est.stderr;
                    let _ = writeln!(
                        out,
                        "  {name:<14} {value:>16.10} {:>16.10} {:>12.3e} {z:>7.2}",
                        est.value, est.stderr
                    );
                }
                let _ = writeln!(
                    out,
                    "  ({} samples, seed {}; unbiased estimators of App. C.6, jackknife standard errors)",
                    e.samples, e.seed
                );
            }
        }
        if let Some(q) = &self.quadrature {
            let _ = writeln!(out, "  ({})", q.note);
        }
        out
    }
}
