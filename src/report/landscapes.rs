//! `simsgd landscapes`'s output: every listed landscape with its formula,
//! weights, parameters and defaults, as text or JSON.

use crate::landscape::Description;
use serde::Serialize;
use std::fmt::Write;

/// The listed landscapes.
#[derive(Clone, Debug)]
pub struct Landscapes(pub Vec<Description>);

// The JSON: an array of objects, keys in alphabetical order.

#[derive(Serialize)]
struct Json<'a> {
    default_steps: usize,
    formula: &'a str,
    init: &'a [f64],
    name: &'a str,
    params: Vec<ParamJson<'a>>,
    weights: &'a [String],
}

#[derive(Serialize)]
struct ParamJson<'a> {
    default: f64,
    meaning: &'a str,
    name: &'a str,
}

impl Landscapes {
    fn json(&self) -> Vec<Json<'_>> {
        self.0
            .iter()
            .map(|d| Json {
                default_steps: d.default_steps,
                formula: &d.formula,
                init: &d.init,
                name: &d.name,
                // The value in effect (`Description::params`), which is the default here.
                params: d
                    .params
                    .iter()
                    .map(|p| ParamJson { default: p.value, meaning: &p.meaning, name: &p.name })
                    .collect(),
                weights: &d.weights,
            })
            .collect()
    }

    /// The list as one JSON array.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.json()).expect("reports serialise")
    }

    /// Each landscape's formula, then its weights, init, default T and
    /// parameters; then the network studies (`run mlp`, `run li-…`).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for d in &self.0 {
            let init: Vec<String> = d.init.iter().map(|x| x.to_string()).collect();
            let _ = writeln!(out, "{:<18} {}", d.name, d.formula);
            let _ = writeln!(
                out,
                "{:<18} weights ({}), init ({}), default T = {}",
                "",
                d.weights.join(", "),
                init.join(", "),
                d.default_steps
            );
            for p in &d.params {
                let _ = writeln!(out, "{:<18} --param {}={}: {}", "", p.name, p.value, p.meaning);
            }
        }
        let _ = writeln!(out, "\nnetwork studies (seed 003: one MLP trained over many runs; see run --help)");
        for p in &crate::study::PRESETS {
            let _ = writeln!(out, "{:<18} {}", p.name, p.about);
        }
        out
    }
}
