//! Landscapes from formulas (issue 19): `simsgd run --loss '0.5*(h +
//! x^2*exp(-h))' --weights h` or `--landscape-file my.toml`, usable wherever a
//! built-in name is.
//!
//! A [`Definition`] is what the user wrote (name, weights, parameters with
//! defaults, the per-sample loss, init, step size); [`Formula`] is one
//! compiled for D weights (`crate::formula::compile`), a [`Landscape`] like
//! any built-in: its loss runs over dual numbers (every derivative the theory
//! needs, exact), its gradient over blocks of trials (the CPU's hot loop),
//! its symbolic `loss`, `grad` and `hess` as WGSL (the GPU's), and its
//! expectations by the Gauss rule of its data law (`crate::data_law`) exact
//! for its degree in x.

use crate::data_law::DataLaw;
use crate::error::{usage, Error, Result};
use crate::formula::{compile, eval, parse, Compiled};
use crate::landscape::definition::{Description, Landscape, Parameter};
use crate::landscape::limits::{LANES, MAX_DIM, MAX_PARAMS, MAX_SAMPLE};
use num_dual::DualNum;
use serde::Deserialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Highest degree in x a formula may have: the theory's rules integrate
/// products of five per-sample tensors exactly (`crate::theory::law`), with
/// at most 32 nodes.
pub const MAX_DEGREE: u32 = 12;

/// A declared parameter: name, default, meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    pub name: String,
    pub default: f64,
    pub meaning: String,
}

/// A landscape as its user wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub name: String,
    /// The per-sample loss l_x(θ).
    pub loss: String,
    pub weights: Vec<String>,
    pub params: Vec<Declared>,
    /// θ_0 [default: zeros].
    pub init: Option<Vec<f64>>,
    /// The bench's step size [default: 0.1].
    pub eta: Option<f64>,
    /// T when `--steps` is not given [default: 10].
    pub steps: Option<usize>,
    /// The law of a training point x [default: N(0, 1)].
    pub law: DataLaw,
    /// Where the loss was written, for errors: `--loss` or the file's `loss`.
    pub origin: String,
    /// The landscape file it was read from.
    pub file: Option<PathBuf>,
}

/// A parameter in a landscape file: `c = 1.5` or `c = { default = 1.5, meaning = "…" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum FileParam {
    Value(f64),
    Full {
        default: f64,
        #[serde(default)]
        meaning: String,
    },
}

/// A landscape file (TOML).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    loss: String,
    weights: Vec<String>,
    #[serde(default)]
    params: toml::Table,
    init: Option<Vec<f64>>,
    eta: Option<f64>,
    steps: Option<usize>,
    /// The data law (`DataLaw::parse`) [default: normal].
    law: Option<String>,
}

impl Definition {
    /// `--loss TEXT --weights a,b`, its parameters declared by `--param
    /// NAME=VALUE` (each value its default).
    pub fn inline(loss: &str, weights: &[String], params: &[(String, f64)], law: DataLaw) -> Self {
        Definition {
            name: "formula".into(),
            loss: loss.into(),
            weights: weights.to_vec(),
            params: params
                .iter()
                .map(|(name, value)| Declared { name: name.clone(), default: *value, meaning: String::new() })
                .collect(),
            init: None,
            eta: None,
            steps: None,
            law,
            origin: "--loss".into(),
            file: None,
        }
    }

    /// The flags that give this landscape on a command line.
    pub fn flags(&self) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        match &self.file {
            Some(path) => format!("--landscape-file {}", quote(&path.display().to_string())),
            None => {
                let law = match self.law {
                    DataLaw::Normal => String::new(),
                    law => format!(" --law {}", quote(&law.spec())),
                };
                format!("--loss {} --weights {}{law}", quote(&self.loss), self.weights.join(","))
            }
        }
    }

    /// A landscape file.
    pub fn read(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: shown.clone(), source })?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => {
                    let line = text[..span.start].matches('\n').count() + 1;
                    usage(format!("{shown}:{line}: {message}"))
                }
                None => usage(format!("{shown}: {message}")),
            }
        })?;
        let law = match &file.law {
            Some(text) => DataLaw::parse(text).map_err(|e| usage(format!("{shown}: {e}")))?,
            None => DataLaw::Normal,
        };
        let mut params = Vec::new();
        for (name, value) in file.params {
            let p: FileParam = value.try_into().map_err(|_| {
                usage(format!("{shown}: params.{name} must be a number or {{ default = …, meaning = \"…\" }}"))
            })?;
            let (default, meaning) = match p {
                FileParam::Value(v) => (v, String::new()),
                FileParam::Full { default, meaning } => (default, meaning),
            };
            params.push(Declared { name, default, meaning });
        }
        Ok(Definition {
            name: file.name,
            loss: file.loss,
            weights: file.weights,
            params,
            init: file.init,
            eta: file.eta,
            steps: file.steps,
            law,
            origin: format!("{shown}: loss"),
            file: Some(path.to_path_buf()),
        })
    }

    /// Checks the names and numbers the formula itself does not carry.
    fn check(&self) -> Result<()> {
        let what = &self.origin;
        if !(1..=MAX_DIM).contains(&self.weights.len()) {
            return Err(usage(format!(
                "{what}: a formula landscape needs 1 to {MAX_DIM} weights (--weights a,b,c), got {}",
                self.weights.len()
            )));
        }
        if self.params.len() > MAX_PARAMS {
            return Err(usage(format!(
                "{what}: at most {MAX_PARAMS} parameters (the GPU packs them into one vec4), got {}",
                self.params.len()
            )));
        }
        let names =
            self.weights.iter().map(|w| ("weight", w)).chain(self.params.iter().map(|p| ("parameter", &p.name)));
        let mut seen: Vec<&str> = Vec::new();
        for (kind, name) in names {
            let identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && name.len() <= 32;
            if !identifier {
                return Err(usage(format!(
                    "{what}: {kind} name '{}' must be a letter then letters, digits or _ (at most 32)",
                    crate::error::one_line(name)
                )));
            }
            if parse::reserved(name) {
                return Err(usage(format!(
                    "{what}: '{name}' is the sample, a constant or a function, not a {kind} name"
                )));
            }
            if seen.contains(&name.as_str()) {
                return Err(usage(format!("{what}: '{name}' is declared twice")));
            }
            seen.push(name);
        }
        for p in &self.params {
            if !p.default.is_finite() {
                return Err(usage(format!("{what}: parameter {} must be finite, got {}", p.name, p.default)));
            }
        }
        if let Some(init) = &self.init {
            if init.len() != self.weights.len() || init.iter().any(|v| !v.is_finite()) {
                return Err(usage(format!(
                    "{what}: init needs {} finite number(s), one per weight ({})",
                    self.weights.len(),
                    self.weights.join(", ")
                )));
            }
        }
        if let Some(eta) = self.eta.filter(|e| !(e.is_finite() && *e > 0.0)) {
            return Err(usage(format!("{what}: eta must be positive and finite, got {eta}")));
        }
        if self.steps == Some(0) {
            return Err(usage(format!("{what}: steps must be at least 1")));
        }
        Ok(())
    }

    /// Parses and differentiates the loss, and checks what the simulators and
    /// the theory need of it: that it depends on x, has degree at most
    /// [`MAX_DEGREE`] where it is a polynomial in x, and has the expectations
    /// its data law must give.
    pub fn compile(&self) -> Result<Compiled> {
        self.check()?;
        let params: Vec<String> = self.params.iter().map(|p| p.name.clone()).collect();
        let what = &self.origin;
        let c = compile(&self.loss, &self.weights, &params).map_err(|e| Error::Formula {
            what: what.clone(),
            message: e.message,
            text: self.loss.clone(),
            column: e.column,
        })?;
        if !c.noisy {
            return Err(usage(format!(
                "{what}: the loss does not depend on the sample x, so every step is the same and SGD has no \
                 noise; write the per-sample loss l_x(θ) with x ~ {}",
                self.law.describe()
            )));
        }
        match c.degree {
            Some(d) if d > MAX_DEGREE => Err(usage(format!(
                "{what}: the loss has degree {d} in x; at most {MAX_DEGREE} (the theory's quadrature rules)"
            ))),
            Some(d) => {
                self.law.cubature_for(
                    Some(d as usize),
                    2,
                    c.sample_dim,
                    &format!("{what}: a loss of degree {d} in x (its test loss and gradient covariance)"),
                )?;
                Ok(c)
            }
            None if matches!(self.law, DataLaw::StudentT { .. }) => Err(usage(format!(
                "{what}: the loss is not a polynomial in x, and under x ~ {} whether its expectations exist \
                 depends on how fast it grows; Student-t samples need a loss polynomial in x",
                self.law.describe()
            ))),
            None => Ok(c),
        }
    }
}

/// A compiled formula on D weights with its parameter values.
#[derive(Clone, Debug)]
pub struct Formula<const D: usize> {
    definition: Arc<Definition>,
    compiled: Arc<Compiled>,
    values: Vec<f64>,
}

impl<const D: usize> Formula<D> {
    /// The formula of `definition`, whose weights are D, with these parameter
    /// values (in declaration order).
    pub fn new(definition: Arc<Definition>, compiled: Arc<Compiled>, values: Vec<f64>) -> Self {
        assert_eq!(definition.weights.len(), D);
        Formula { definition, compiled, values }
    }

    /// What the user wrote.
    pub fn definition(&self) -> &Definition {
        &self.definition
    }
}

impl<const D: usize> Landscape<D> for Formula<D> {
    fn name(&self) -> &str {
        &self.definition.name
    }

    fn describe(&self) -> Description {
        let d = &self.definition;
        Description {
            name: d.name.clone(),
            formula: {
                let k = self.compiled.sample_dim;
                let law = match (d.law, k) {
                    (DataLaw::Normal, 1) => String::new(),
                    (law, 1) => format!(", x ~ {}", law.describe()),
                    (law, k) => format!(", x1..x{k} independent, each ~ {}", law.describe()),
                };
                format!("l_x({}) = {}{law}", d.weights.join(","), d.loss)
            },
            weights: d.weights.clone(),
            params: d
                .params
                .iter()
                .zip(&self.values)
                .map(|(p, &value)| Parameter {
                    name: p.name.clone(),
                    default: p.default,
                    meaning: p.meaning.clone(),
                    value,
                })
                .collect(),
            init: self.init().to_vec(),
            default_steps: d.steps.unwrap_or(10),
            stable_eta: d.eta.unwrap_or(0.1),
            listed: false,
            test_loss_floor: None,
            law: d.law,
            sample_dim: self.compiled.sample_dim,
        }
    }

    fn degree(&self) -> Option<usize> {
        self.compiled.degree.map(|d| d as usize)
    }

    fn law(&self) -> DataLaw {
        self.definition.law
    }

    fn wgsl(&self) -> Cow<'static, str> {
        Cow::Owned(self.compiled.wgsl.clone())
    }

    fn init(&self) -> [f64; D] {
        self.definition.init.as_ref().map_or([0.0; D], |v| std::array::from_fn(|d| v[d]))
    }

    fn params(&self) -> Vec<f64> {
        self.values.clone()
    }

    fn test_loss_floor(&self) -> Option<f64> {
        None
    }

    fn loss<T: DualNum<Primitive = f64> + Copy>(&self, theta: [T; D], x: &[f64]) -> T {
        eval::dual(&self.compiled.loss, &theta, &self.values, x)
    }

    fn grad(&self, theta: [f64; D], x: &[f64]) -> [f64; D] {
        let mut out = [[0.0; 1]; D];
        let x: [[f64; 1]; MAX_SAMPLE] = std::array::from_fn(|c| [x.get(c).copied().unwrap_or(0.0)]);
        eval::lanes::<1>(&self.compiled.grad, &theta.map(|t| [t]), &self.values, &x, &mut out);
        out.map(|[g]| g)
    }

    fn sample_dim(&self) -> usize {
        self.compiled.sample_dim
    }

    fn grad_lanes(&self, theta: &[[f64; LANES]; D], x: &[[f64; LANES]]) -> [[f64; LANES]; D] {
        let mut out = [[0.0; LANES]; D];
        eval::lanes::<LANES>(&self.compiled.grad, theta, &self.values, x, &mut out);
        out
    }
}

/// The flags that give a landscape by formula instead of a built-in name
/// (`run`, `predict`, `stats`, `bench`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct FormulaArgs {
    /// A landscape from a formula: the per-sample loss l_x(θ) in the weights
    /// of --weights, the parameters of --param and the sample x (N(0, 1)
    /// unless --law says otherwise; x1..x4 for a vector of independent
    /// coordinates) (+ - * / ^, exp log sqrt sin cos tan tanh sinh cosh atan
    /// sigmoid softplus log1p expm1, pi, e), e.g. '0.5*(h + x^2*exp(-h))'.
    #[arg(long, value_name = "FORMULA", requires = "weights", conflicts_with = "landscape_file")]
    pub loss: Option<String>,
    /// The weights of --loss, comma-separated (at most 3).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',', requires = "loss")]
    pub weights: Option<Vec<String>>,
    /// A landscape file (TOML: name, weights, loss, a params table, init, eta,
    /// steps, law); examples in assets/landscapes/.
    #[arg(long, value_name = "FILE")]
    pub landscape_file: Option<PathBuf>,
    /// The law of the sample x of --loss (of each coordinate of x1..x4):
    /// normal [N(0, 1)], uniform [on (-1, 1)], uniform(a,b), rademacher [±1]
    /// or student-t(nu).
    #[arg(long, value_name = "LAW", requires = "loss", value_parser = parse_law)]
    pub law: Option<DataLaw>,
}

fn parse_law(text: &str) -> std::result::Result<DataLaw, String> {
    DataLaw::parse(text).map_err(|e| e.to_string())
}

impl FormulaArgs {
    /// Whether a formula is given.
    pub fn given(&self) -> bool {
        self.loss.is_some() || self.landscape_file.is_some()
    }

    /// The formula these flags give, its parameters (for --loss) declared by
    /// `params` at their first values.
    pub fn definition(&self, params: &[(String, f64)]) -> Result<Option<Definition>> {
        match (&self.loss, &self.landscape_file) {
            (Some(loss), _) => Ok(Some(Definition::inline(
                loss,
                self.weights.as_deref().unwrap_or(&[]),
                params,
                self.law.unwrap_or(DataLaw::Normal),
            ))),
            (None, Some(path)) => Definition::read(path).map(Some),
            (None, None) => Ok(None),
        }
    }
}
