//! What a network study is asked to do: one of seed 003's settings (a
//! preset) with the user's overrides, resolved into a validated network, data
//! set and SGD ([`Resolved`]), the one trust point of the study.

use crate::error::{usage, Result};
use crate::memory;
use crate::network::adaptive::Rule;
use crate::network::data::{Data, Preparation};
use crate::network::gauss_k::{GaussK, DEFAULT_TEST_POINTS};
use crate::network::loaders;
use crate::network::mlp::{Init, Mlp, PAPER_HIDDEN};
use crate::network::options::{Metric, Options, Sampling, TestMetric};
use crate::network::pac_bayes::PriorMean;
use std::path::PathBuf;

/// One of the paper's settings (App. A.1, Table 2), or `mlp`, whose every
/// setting is a flag.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    /// The landscape name of `simsgd run`.
    pub name: &'static str,
    /// Gauss-k's k.
    pub classes: usize,
    /// Label-noise rate r.
    pub label_noise: f64,
    /// SGD's η.
    pub eta: f64,
    /// SGD steps T.
    pub steps: u64,
    /// What it is, for `simsgd landscapes`.
    pub about: &'static str,
}

/// The presets: seed 003's four Gauss-k settings (Table 2: η and T per
/// setting; m = 5, n = 100, d = 50, hidden widths 10, 30), and `mlp`.
pub const PRESETS: [Preset; 5] = [
    Preset {
        name: "mlp",
        classes: 10,
        label_noise: 0.0,
        eta: 0.1,
        steps: 400,
        about: "an MLP trained many times on Gauss-k or --data FILE (seed 003); every setting a flag",
    },
    Preset {
        name: "li-gauss2",
        classes: 2,
        label_noise: 0.0,
        eta: 0.1,
        steps: 100,
        about: "seed 003's Gauss-2, clean labels: η 0.1, T 100",
    },
    Preset {
        name: "li-gauss2-noisy",
        classes: 2,
        label_noise: 0.2,
        eta: 0.05,
        steps: 3000,
        about: "seed 003's Gauss-2 with 20% label noise: η 0.05, T 3000",
    },
    Preset {
        name: "li-gauss10",
        classes: 10,
        label_noise: 0.0,
        eta: 0.1,
        steps: 400,
        about: "seed 003's Gauss-10, clean labels: η 0.1, T 400",
    },
    Preset {
        name: "li-gauss10-noisy",
        classes: 10,
        label_noise: 0.15,
        eta: 0.1,
        steps: 10_000,
        about: "seed 003's Gauss-10 with 15% label noise: η 0.1, T 10,000",
    },
];

/// The preset named `name`, if it is one.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The loss quantiles at which runs are frozen for the conditional
/// loss-change study (Figs. 9, 10, 24: the 10%, 50% and 90% runs).
pub const FROZEN_QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// A study as asked for: a preset and the flags that override it.
#[derive(Clone, Debug, PartialEq)]
pub struct StudySpec {
    /// The preset (`mlp`, `li-gauss2`, …).
    pub preset: String,
    /// A data file (CSV, or MNIST's IDX images) instead of Gauss-k.
    pub data: Option<PathBuf>,
    /// Gauss-k's classes k (or the file's, if given).
    pub classes: Option<usize>,
    /// Label-noise rate r.
    pub label_noise: Option<f64>,
    /// Gauss-k's training points n.
    pub train_size: Option<usize>,
    /// Gauss-k's features d.
    pub dim: Option<usize>,
    /// Gauss-k's held-out test points.
    pub test_size: Option<usize>,
    /// The data seed: centres, points, label noise.
    pub data_seed: u64,
    /// Keep the raw features (no standardisation).
    pub raw_features: bool,
    /// Hidden widths.
    pub hidden: Option<Vec<usize>>,
    /// θ₀'s law.
    pub init: Init,
    pub eta: Option<f64>,
    pub batch: Option<usize>,
    pub steps: Option<u64>,
    /// Shuffled epochs instead of batches with replacement.
    pub shuffle: bool,
    /// Runs (`--trials`).
    pub runs: u64,
    /// The run seed.
    pub seed: u64,
    pub record_every: Option<u64>,
    pub record_all_until: Option<u64>,
    pub test_every: Option<u64>,
    /// Quantiles over runs reported at each record.
    pub quantiles: Vec<f64>,
    /// Steps at which the runs at [`FROZEN_QUANTILES`] are frozen for the
    /// loss-change study.
    pub loss_change_at: Vec<u64>,
    /// Fresh batches drawn at each frozen run.
    pub loss_change_batches: u64,
    /// Steps at which the runs' curvature is measured (sec. 4).
    pub curvature_at: Vec<u64>,
    /// Runs whose curvature is measured (the first ones) [default: up to 1000].
    pub curvature_runs: Option<u64>,
    /// q, the top pairs of H_f and M compared [default: 5 for 2 classes, else 15].
    pub top: Option<usize>,
    /// Dense spectra of H_f, M and H_p as well.
    pub full_spectra: bool,
    /// Measure the PAC-Bayes bound at T (sec. 6).
    pub pac_bayes: bool,
    /// The prior's σ [default: 1].
    pub prior_sd: Option<f64>,
    /// The prior's mean [default: 0].
    pub prior_mean: Option<PriorMean>,
    /// The bound's δ [default: 0.05].
    pub delta: Option<f64>,
    /// Draws from each run's posterior for its Gibbs errors [default: 20].
    pub gibbs_draws: Option<u64>,
    /// Theorem 3's adaptive steps to train beside constant η.
    pub adaptive: Vec<Rule>,
    /// L, the smoothness the adaptive steps assume.
    pub smoothness: Option<f64>,
}

impl StudySpec {
    /// The preset's study with nothing overridden: 10⁴ runs, seed 0.
    pub fn new(preset: &str) -> Self {
        StudySpec {
            preset: preset.to_string(),
            data: None,
            classes: None,
            label_noise: None,
            train_size: None,
            dim: None,
            test_size: None,
            data_seed: 0,
            raw_features: false,
            hidden: None,
            init: Init::Normal,
            eta: None,
            batch: None,
            steps: None,
            shuffle: false,
            runs: 10_000,
            seed: 0,
            record_every: None,
            record_all_until: None,
            test_every: None,
            quantiles: DEFAULT_QUANTILES.to_vec(),
            loss_change_at: Vec::new(),
            loss_change_batches: DEFAULT_FRESH_BATCHES,
            curvature_at: Vec::new(),
            curvature_runs: None,
            top: None,
            full_spectra: false,
            pac_bayes: false,
            prior_sd: None,
            prior_mean: None,
            delta: None,
            gibbs_draws: None,
            adaptive: Vec::new(),
            smoothness: None,
        }
    }
}

/// The quantiles over runs reported by default (seed 003's Figs. 8–10 bands).
pub const DEFAULT_QUANTILES: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];

/// Fresh batches drawn per frozen run by default: the variance of Δ to
/// about 1.4% (its relative SE is √(2/(B − 1)) for a normal Δ).
pub const DEFAULT_FRESH_BATCHES: u64 = 10_000;

/// Where the data came from, for reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// Gauss-k blobs.
    GaussK { seed: u64 },
    /// The user's file.
    File { path: String },
}

/// A validated study: everything [`Study`](crate::network::train::Study) needs.
pub struct Resolved {
    pub preset: &'static Preset,
    pub mlp: Mlp,
    pub data: Data,
    pub source: Source,
    pub options: Options,
    pub runs: u64,
    pub quantiles: Vec<f64>,
    pub loss_change_at: Vec<u64>,
    pub loss_change_batches: u64,
    /// The curvature to measure, if any.
    pub curvature: Option<CurvaturePlan>,
    /// The PAC-Bayes bound to measure, if any.
    pub pac_bayes: Option<PacBayesPlan>,
    /// The adaptive steps to train, if any.
    pub adaptive: Option<AdaptivePlan>,
}

/// Dense spectra are refused above this p (a p × p matrix per thread, O(p³)).
pub const MAX_DENSE_P: usize = 5000;

/// What curvature a study measures.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvaturePlan {
    /// Steps t at which the runs are replayed to θ_t.
    pub at: Vec<u64>,
    /// The first `runs` runs are measured.
    pub runs: u64,
    /// q: the top pairs of H_f and M compared.
    pub top: usize,
    /// Dense spectra of H_f, M and H_p as well.
    pub full_spectra: bool,
}

/// The PAC-Bayes bound at T (sec. 6, Theorem 4).
#[derive(Clone, Debug, PartialEq)]
pub struct PacBayesPlan {
    /// The first `runs` runs are measured.
    pub runs: u64,
    /// The prior N(mean, σ²I)'s σ.
    pub sd: f64,
    pub mean: PriorMean,
    /// The bound holds with probability 1 − δ.
    pub delta: f64,
    /// Draws from each posterior for the Gibbs classifier's errors.
    pub draws: u64,
}

/// Theorem 3's adaptive steps (sec. 5.4).
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptivePlan {
    pub rules: Vec<Rule>,
    /// L > 0.
    pub smoothness: f64,
    /// The first `runs` runs are trained by each rule.
    pub runs: u64,
    /// Fresh batches per checked (run, step).
    pub batches: u64,
}

/// Fresh batches per checked (run, step) of the adaptive steps by default.
pub const ADAPTIVE_FRESH_BATCHES: u64 = 2000;

/// Draws per run from the posterior by default: the Gibbs errors' Monte
/// Carlo SE is then at most 0.5/√(20·n_set) (under 1.2% on n = 100 points).
pub const DEFAULT_GIBBS_DRAWS: u64 = 20;

/// Runs measured for curvature by default (each costs tens of ms a step).
pub const DEFAULT_CURVATURE_RUNS: u64 = 1000;

impl StudySpec {
    /// Checks every setting and builds the network and the data (one line
    /// and exit 2 for anything wrong), and refuses a study whose per-run
    /// records would not fit in memory.
    pub fn resolve(&self) -> Result<Resolved> {
        let preset = preset(&self.preset).ok_or_else(|| usage(format!("unknown network {}", self.preset)))?;
        if self.runs == 0 {
            return Err(usage("--trials must be at least 1"));
        }
        if self.runs > 1 << 32 {
            return Err(usage(format!("--trials {} is more than the 2^32 runs a seed keys", self.runs)));
        }
        let noise = self.label_noise.unwrap_or(if self.data.is_some() { 0.0 } else { preset.label_noise });
        let (data, source) = match &self.data {
            Some(path) => {
                for (flag, given) in [
                    ("--train-size", self.train_size.is_some()),
                    ("--dim", self.dim.is_some()),
                    ("--test-size", self.test_size.is_some()),
                ] {
                    if given {
                        return Err(usage(format!("{flag} sets Gauss-k's size; a --data file has its own")));
                    }
                }
                let set = loaders::load(path, self.classes)?;
                let prep = Preparation { label_noise: noise, standardize: !self.raw_features, seed: self.data_seed };
                (Data::prepare(set, None, prep)?, Source::File { path: path.display().to_string() })
            }
            None => {
                let paper = GaussK::paper(self.classes.unwrap_or(preset.classes), noise);
                let g = GaussK {
                    n: self.train_size.unwrap_or(paper.n),
                    d: self.dim.unwrap_or(paper.d),
                    test_points: self.test_size.unwrap_or(DEFAULT_TEST_POINTS),
                    standardize: !self.raw_features,
                    seed: self.data_seed,
                    ..paper
                };
                g.validate()?;
                (g.generate()?, Source::GaussK { seed: self.data_seed })
            }
        };
        let hidden = self.hidden.clone().unwrap_or_else(|| PAPER_HIDDEN.to_vec());
        let mlp = Mlp::new(data.train.dim(), &hidden, data.train.classes())?;
        let record_every = self.record_every.unwrap_or(10);
        let steps = self.steps.unwrap_or(preset.steps);
        let test_every = match (self.test_every, data.test.is_some()) {
            (Some(_), false) => return Err(usage("--test-every needs a test set (Gauss-k's; a --data file has none)")),
            (Some(0), true) => return Err(usage("--test-every must be at least 1")),
            (Some(c), true) => c,
            // At the start and the end: a test set of 10^4 points costs as
            // much to evaluate as about 100 steps of training.
            (None, true) => steps.max(1),
            (None, false) => 0,
        };
        let mut options = Options {
            eta: self.eta.unwrap_or(preset.eta),
            batch: self.batch.unwrap_or(5),
            steps,
            sampling: if self.shuffle { Sampling::Shuffled } else { Sampling::Replacement },
            init: self.init,
            seed: self.seed,
            record_every,
            record_all_until: self.record_all_until.unwrap_or(0),
            test_every,
        };
        // A loss-change step off the record grid is recorded, with the steps
        // before it (the runs' losses there rank them into quantiles).
        for &t in &self.loss_change_at {
            if t <= steps && t % record_every != 0 && t > options.record_all_until {
                options.record_all_until = t;
            }
        }
        options.validate(data.train.len())?;
        for &q in &self.quantiles {
            if !(0.0..=1.0).contains(&q) {
                return Err(usage(format!("--quantiles must lie in [0, 1], got {q}")));
            }
        }
        let records = options.record_steps();
        for &t in &self.loss_change_at {
            if !records.contains(&t) {
                return Err(usage(format!("--loss-change-at {t} is not a step of the run (0 to {steps})")));
            }
        }
        if !self.loss_change_at.is_empty() && self.loss_change_batches < 2 {
            return Err(usage("--loss-change-batches must be at least 2"));
        }
        let curvature = self.curvature_plan(&mlp, steps)?;
        let pac_bayes = self.pac_bayes_plan()?;
        let adaptive = self.adaptive_plan()?;
        let r = Resolved {
            preset,
            mlp,
            data,
            source,
            options,
            runs: self.runs,
            quantiles: self.quantiles.clone(),
            loss_change_at: self.loss_change_at.clone(),
            loss_change_batches: self.loss_change_batches,
            curvature,
            pac_bayes,
            adaptive,
        };
        memory::check("this study", r.bytes(), "mostly the per-run records", memory::available())?;
        Ok(r)
    }
}

impl StudySpec {
    /// The curvature plan of `--curvature-at` and its flags, checked against
    /// the network and T.
    fn curvature_plan(&self, mlp: &Mlp, steps: u64) -> Result<Option<CurvaturePlan>> {
        if self.curvature_at.is_empty() {
            let given = [
                ("--curvature-runs", self.curvature_runs.is_some() && !self.pac_bayes && self.adaptive.is_empty()),
                ("--top", self.top.is_some()),
                ("--full-spectra", self.full_spectra),
            ];
            return match given.iter().find(|(_, g)| *g) {
                Some((flag, _)) => Err(usage(format!("{flag} needs --curvature-at STEPS"))),
                None => Ok(None),
            };
        }
        if let Some(&t) = self.curvature_at.iter().find(|&&t| t > steps) {
            return Err(usage(format!("--curvature-at {t} is beyond the run's T = {steps} steps")));
        }
        let p = mlp.params();
        let top = self.top.unwrap_or_else(|| (if mlp.classes() == 2 { 5 } else { 15 }).min(p));
        if top == 0 || top > p {
            return Err(usage(format!("--top must lie in 1 to the network's p = {p} parameters, got {top}")));
        }
        let runs = self.measured_runs()?;
        if self.full_spectra && p > MAX_DENSE_P {
            return Err(usage(format!(
                "--full-spectra needs p ≤ {MAX_DENSE_P} (a dense p × p Hessian per thread); this network has p = {p}: use --top"
            )));
        }
        let mut at = self.curvature_at.clone();
        at.sort_unstable();
        at.dedup();
        Ok(Some(CurvaturePlan { at, runs, top, full_spectra: self.full_spectra }))
    }
}

impl StudySpec {
    /// `--curvature-runs`, checked: the runs whose curvature (and PAC-Bayes
    /// bound) are measured.
    fn measured_runs(&self) -> Result<u64> {
        let runs = self.curvature_runs.unwrap_or(self.runs.min(DEFAULT_CURVATURE_RUNS));
        if runs == 0 || runs > self.runs {
            return Err(usage(format!("--curvature-runs must lie in 1 to --trials {}, got {runs}", self.runs)));
        }
        Ok(runs)
    }

    /// The PAC-Bayes plan of `--pac-bayes` and its flags.
    fn pac_bayes_plan(&self) -> Result<Option<PacBayesPlan>> {
        if !self.pac_bayes {
            let given = [
                ("--prior-sd", self.prior_sd.is_some()),
                ("--prior-mean", self.prior_mean.is_some()),
                ("--delta", self.delta.is_some()),
                ("--gibbs-draws", self.gibbs_draws.is_some()),
            ];
            return match given.iter().find(|(_, g)| *g) {
                Some((flag, _)) => Err(usage(format!("{flag} needs --pac-bayes"))),
                None => Ok(None),
            };
        }
        let sd = self.prior_sd.unwrap_or(1.0);
        if !(sd > 0.0 && sd.is_finite()) {
            return Err(usage(format!("--prior-sd must be positive and finite, got {sd}")));
        }
        let delta = self.delta.unwrap_or(0.05);
        if !(delta > 0.0 && delta < 1.0) {
            return Err(usage(format!("--delta must lie in (0, 1), got {delta}")));
        }
        let draws = self.gibbs_draws.unwrap_or(DEFAULT_GIBBS_DRAWS);
        if draws == 0 {
            return Err(usage("--gibbs-draws must be at least 1"));
        }
        let runs = self.measured_runs()?;
        Ok(Some(PacBayesPlan { runs, sd, mean: self.prior_mean.unwrap_or_default(), delta, draws }))
    }
}

impl StudySpec {
    /// The adaptive-step plan of `--adaptive` and `--smoothness`.
    fn adaptive_plan(&self) -> Result<Option<AdaptivePlan>> {
        match (self.adaptive.is_empty(), self.smoothness) {
            (true, None) => Ok(None),
            (true, Some(_)) => Err(usage("--smoothness needs --adaptive RULE")),
            (false, None) => Err(usage("--adaptive needs --smoothness L, a bound on ‖H_f‖₂ (Theorem 3)")),
            (false, Some(l)) if !(l > 0.0 && l.is_finite()) => {
                Err(usage(format!("--smoothness L must be positive and finite, got {l}")))
            }
            (false, Some(smoothness)) => {
                let mut rules = self.adaptive.clone();
                rules.dedup();
                let batches = self.loss_change_batches.min(ADAPTIVE_FRESH_BATCHES);
                Ok(Some(AdaptivePlan { rules, smoothness, runs: self.measured_runs()?, batches }))
            }
        }
    }
}

impl Resolved {
    /// Bytes of the per-run records (f64: every metric at every record and
    /// test step, for every run) plus a sorting copy of one column: what the
    /// exact quantiles need (10^6 runs × 201 records: 8.0 GB).
    pub fn bytes(&self) -> u64 {
        let values = Metric::ALL.len() as u64 * self.options.record_steps().len() as u64
            + TestMetric::ALL.len() as u64 * self.options.test_steps().len() as u64 * self.data.test.is_some() as u64;
        8 * self.runs.saturating_mul(values + 1)
    }
}
