//! The command line: the clap definitions, the flags turned into the inputs
//! of [`crate::commands`] (a [`Spec`], options), one call per subcommand, and
//! its report printed (or written). The work lives in the library.

use crate::alternative::Alternative;
use crate::atomic;
use crate::backend::{Choice, Selection};
use crate::bench::{self, BenchArgs};
use crate::commands::{figure, landscapes, merge, predict, run, stats, study, theory};
use crate::error::{usage, Error, Result};
use crate::experiment::Spec;
use crate::landscape::formula::FormulaArgs;
use crate::network::adaptive::Rule;
use crate::network::mlp::Init;
use crate::network::pac_bayes::PriorMean;
use crate::optimizer::Optimizer;
use crate::report::predict::PredictReport;
use crate::report::{csv, table, RunReport};
use crate::schedule::Schedule;
use crate::shard::Shard;
use crate::stats::Interval;
use crate::study::{StudyReport, StudySpec};
use crate::sweep::{self, Values};
use crate::theory::resum::Resum;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "simsgd", version, about = "Test the perturbative theory of SGD against massive Monte Carlo")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate many independent trajectories and report means with standard errors.
    Run(Box<RunArgs>),
    /// Merge the reports of a sharded run's shards (`run --shard I/N --json`)
    /// into the whole run's report, with the same numbers.
    Merge(MergeArgs),
    /// Trajectory-steps per second of every backend, beside the NumPy (and PyTorch) peers.
    Bench {
        #[command(flatten)]
        args: BenchArgs,
        /// No progress lines on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// The landscape's statistics at a point (l, G, H, J, C, S, INT, UNC, PAS, TEM, PER).
    Stats(StatsArgs),
    /// The theory's Taylor coefficients in η of test loss, train loss, gap and θ for a grid.
    Predict(Box<PredictArgs>),
    /// Regenerate a figure of the papers (or all): simulations, predictions, tidy CSV, PNG and SVG.
    Figure(FigureArgs),
    /// List the landscapes with their formulas, weights, parameters and defaults.
    Landscapes {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `--eta` when not given.
const DEFAULT_ETA: f64 = 0.1;

/// What is simulated or predicted: landscape, optimizer, grid, η (shared by
/// `run` and `predict`).
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Landscape (see `simsgd landscapes`), or a network study (mlp, li-…);
    /// none with --loss or --landscape-file.
    #[arg(required_unless_present_any = ["loss", "landscape_file"], conflicts_with_all = ["loss", "landscape_file"])]
    pub landscape: Option<String>,
    #[command(flatten)]
    pub formula: FormulaArgs,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = Optimizer::Sgd)]
    pub optimizer: Optimizer,
    /// Learning rate η (update θ ← θ − η · mean of the batch's gradients) [default: 0.1; a network preset's own].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::reals)]
    pub eta: Option<Values<f64>>,
    /// Learning-rate schedule, η_t = η·s(t): constant, step:K:γ (η·γ^⌊t/K⌋),
    /// cosine (η·(1 + cos(πt/T))/2) or 1/t:τ (η·τ/(τ + t); 1/t for τ = 1).
    #[arg(long, value_name = "SCHEDULE", value_parser = Schedule::value_parser)]
    pub schedule: Option<Schedule>,
    /// Steps T [default: 1 for gauss, 10 otherwise; 0 reports the init].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::whole::<usize>)]
    pub steps: Option<Values<usize>>,
    /// Landscape parameter, name=value (repeatable, or comma-separated;
    /// `H=0.5,1,2` or `H=0.5..2:lin:4` sweeps it in `run`).
    #[arg(long = "param", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub params: Vec<String>,
    /// Initial weights, comma-separated [default: the landscape's]; for a
    /// network, θ₀'s law: normal (N(0, I), the paper's) or he.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_name = "θ1,θ2,...|normal|he")]
    pub init: Option<Vec<String>>,
    /// N, training points per trial [default: T·B/E for sgd, 10 for gd].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::whole::<usize>)]
    pub train_size: Option<Values<usize>>,
    /// B, points per SGD step (must divide N) [default: 1].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::whole::<usize>)]
    pub batch: Option<Values<usize>>,
    /// E, passes of SGD over the training set [default: 1].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::whole::<usize>)]
    pub epochs: Option<Values<usize>>,
    /// Visit the training set in a fresh random order each epoch (SGD).
    #[arg(long)]
    pub shuffle: bool,
    /// K, substeps per step of sde and ode [default: 16].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::whole::<u32>)]
    pub substeps: Option<Values<u32>>,
    /// Also run a second arm on the same training sets (the same N and T)
    /// and report paired differences: another optimizer (`gd`), or settings
    /// that differ (`batch=5`, `eta=0.05,optimizer=sde`; keys: optimizer, eta, schedule,
    /// batch, shuffle, substeps, beta, nesterov, lambda).
    #[arg(long, value_name = "OPTIMIZER|KEY=VALUE,...", value_parser = Alternative::value_parser)]
    pub compare: Option<Alternative>,
    /// β of momentum, in [0, 1): θ_{t+1} = θ_t − η ḡ_t + β(θ_t − θ_{t−1}) [default: 0.9].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::reals)]
    pub beta: Option<Values<f64>>,
    /// Momentum takes the gradient at the look-ahead θ_t + β(θ_t − θ_{t−1}) (Nesterov).
    #[arg(long)]
    pub nesterov: bool,
    /// λ of invhess, ≥ 0: the step s solves (η⁻¹ I + λ h̄_t) s = ḡ_t [default: 1].
    #[arg(long, allow_negative_numbers = true, value_parser = sweep::reals)]
    pub lambda: Option<Values<f64>>,
}

/// The first of a flag's values (the only one where it is not swept).
fn first<T: Copy>(v: &Option<Values<T>>) -> Option<T> {
    v.as_ref().map(|v| v.0[0])
}

/// A flag's values as reals, the axis of a sweep where there are several.
fn axis<T: Copy>(name: &str, v: &Option<Values<T>>, real: fn(T) -> f64) -> Option<(String, Vec<f64>)> {
    v.as_ref().filter(|v| v.0.len() > 1).map(|v| (name.to_string(), v.0.iter().map(|&x| real(x)).collect()))
}

impl SetupArgs {
    /// The swept flags (name, values), in a fixed order: η, T, N, B, E, K,
    /// β, λ, then the parameters. Empty for a single point.
    pub fn axes(&self) -> Result<Vec<(String, Vec<f64>)>> {
        let (real, count, k) = (|x: f64| x, |x: usize| x as f64, |x: u32| x as f64);
        let mut axes: Vec<(String, Vec<f64>)> = [
            axis("eta", &self.eta, real),
            axis("steps", &self.steps, count),
            axis("train_size", &self.train_size, count),
            axis("batch", &self.batch, count),
            axis("epochs", &self.epochs, count),
            axis("substeps", &self.substeps, k),
            axis("beta", &self.beta, real),
            axis("lambda", &self.lambda, real),
        ]
        .into_iter()
        .flatten()
        .collect();
        axes.extend(parse_params(&self.params)?.into_iter().filter(|(_, v)| v.len() > 1));
        Ok(axes)
    }

    /// A refusal of a sweep where one value is taken (`predict`, the network study).
    fn single(&self, what: &str) -> Result<()> {
        match self.axes()?.first() {
            Some((name, _)) => Err(usage(format!(
                "{what} takes one value of each flag, got several of {}; lists and ranges sweep `simsgd run`",
                flag_name(name)
            ))),
            None => Ok(()),
        }
    }

    /// The landscape's name as given (empty for a formula): what picks a
    /// network study.
    pub fn name(&self) -> &str {
        self.landscape.as_deref().unwrap_or_default()
    }

    /// Whether these flags ask for a network study (`run mlp`, `run li-…`).
    pub fn study(&self) -> bool {
        !self.formula.given() && crate::study::preset(self.name()).is_some()
    }

    /// The spec these flags describe at the first value of each, with the run's settings.
    fn spec(&self, trials: u64, seed: u64, record_every: Option<usize>, diverge_at: f64) -> Result<Spec> {
        let params: Vec<(String, f64)> = parse_params(&self.params)?.into_iter().map(|(k, v)| (k, v[0])).collect();
        let formula = self.formula.definition(&params)?;
        Ok(Spec {
            landscape: formula.as_ref().map_or_else(|| self.name().to_string(), |f| f.name.clone()),
            formula: formula.map(Arc::new),
            params,
            optimizer: self.optimizer,
            eta: first(&self.eta).unwrap_or(DEFAULT_ETA),
            schedule: self.schedule.unwrap_or_default(),
            steps: first(&self.steps),
            init: self.init.as_deref().map(parse_init).transpose()?,
            train_size: first(&self.train_size),
            batch: first(&self.batch),
            epochs: first(&self.epochs),
            shuffle: self.shuffle,
            substeps: first(&self.substeps).unwrap_or(Spec::default().substeps),
            compare: self.compare.clone(),
            beta: first(&self.beta),
            nesterov: self.nesterov,
            lambda: first(&self.lambda),
            trials,
            seed,
            record_every,
            diverge_at,
            interval: Default::default(),
        })
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Independent trials.
    #[arg(long, default_value_t = 100_000, allow_negative_numbers = true)]
    pub trials: u64,
    /// Seed of the counter-based random streams.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// Record the learning curve (test loss, train loss, gap, θ) every k steps.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub record_every: Option<usize>,
    /// Where to simulate [$SIMSGD_ADAPTER picks an adapter by name].
    #[arg(long, value_enum, default_value_t = Choice::Auto)]
    pub backend: Choice,
    /// With --backend gpu: the adapters to run on, `all` (the hardware ones)
    /// or indices of Vulkan's list (`0,2`); the trials' chunks are shared
    /// out among them and merged in order [default: the best adapter].
    #[arg(long, value_name = "all|I,J,...", value_parser = Selection::value_parser)]
    pub devices: Option<Selection>,
    /// CPU threads [default: all cores].
    #[arg(long, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// A trial diverges once |θ_i| or |loss| exceeds this or is not finite (at most 5e148).
    #[arg(long, default_value_t = 1e8, allow_negative_numbers = true)]
    pub diverge_at: f64,
    /// Common random numbers across a sweep's points: every point uses
    /// --seed itself (by default each point gets its own stream, derived
    /// from --seed and the point).
    #[arg(long)]
    pub same_seed: bool,
    #[command(flatten)]
    pub output: RunOutput,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard I of N (I from 0): whole chunks of the trials, with
    /// the whole run's random keys. With --json the report carries the
    /// exact state that `simsgd merge` combines into the whole run's report.
    #[arg(long, value_name = "I/N", value_parser = Shard::value_parser)]
    pub shard: Option<Shard>,
    /// Set the theory's prediction (`predict`) beside each measured mean, with z = (MC − theory)/SE.
    #[arg(long)]
    pub theory: bool,
    #[command(flatten)]
    pub prediction: TheoryArgs,
    /// The 95% interval of final means: skew (Hall's skewness-corrected) or student (Student's t).
    #[arg(long, value_enum, default_value_t = Interval::Skew)]
    pub interval: Interval,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// The network study's own flags (`run mlp`, `run li-…`: seed 003).
#[derive(Args, Debug, Default)]
#[command(next_help_heading = "Network study (mlp, li-gauss2, li-gauss2-noisy, li-gauss10, li-gauss10-noisy)")]
pub struct NetworkArgs {
    /// The data: gauss-k (the default), or a file: CSV (features…, label) or
    /// MNIST's IDX images (the labels file beside them).
    #[arg(long, value_name = "gauss-k|FILE")]
    pub data: Option<String>,
    /// Classes k of Gauss-k [default: the preset's; a file's from its labels].
    #[arg(long, allow_negative_numbers = true)]
    pub classes: Option<usize>,
    /// Label-noise rate r in [0, 1]: round(r·n) labels redrawn uniformly [default: the preset's].
    #[arg(long, allow_negative_numbers = true)]
    pub label_noise: Option<f64>,
    /// Features d of Gauss-k [default: 50].
    #[arg(long, allow_negative_numbers = true)]
    pub dim: Option<usize>,
    /// Held-out test points of Gauss-k (0: none) [default: 10^4].
    #[arg(long, allow_negative_numbers = true)]
    pub test_size: Option<usize>,
    /// Seed of the data set, shared by every run.
    #[arg(long, allow_negative_numbers = true)]
    pub data_seed: Option<u64>,
    /// Keep the raw features (by default they are standardised on the training set).
    #[arg(long)]
    pub raw_features: bool,
    /// Hidden widths, comma-separated [default: 10,30].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub hidden: Option<Vec<usize>>,
    /// Record every step up to T as well as every --record-every: the fast
    /// early phase [default: 0; raised to cover --loss-change-at steps off
    /// the record grid].
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub record_all_until: Option<u64>,
    /// Test loss and accuracy every C steps [default: T, i.e. at the start and the end].
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub test_every: Option<u64>,
    /// Quantiles over runs, comma-separated [default: 0.1,0.25,0.5,0.75,0.9].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub quantiles: Option<Vec<f64>>,
    /// Freeze the runs at the 10/50/90% loss quantiles at these steps and
    /// draw fresh batches: the loss change's law given θ_t.
    #[arg(long, value_delimiter = ',', value_name = "STEPS", allow_negative_numbers = true)]
    pub loss_change_at: Option<Vec<u64>>,
    /// Fresh batches per frozen run [default: 10^4].
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub loss_change_batches: Option<u64>,
    /// Measure the curvature at these steps (seed 003 sec. 4): H_f's top q
    /// pairs (Lanczos on exact Hessian-vector products), M's, and the
    /// principal angles between their top-q subspaces.
    #[arg(long, value_delimiter = ',', value_name = "STEPS", allow_negative_numbers = true)]
    pub curvature_at: Option<Vec<u64>>,
    /// Runs whose curvature (and PAC-Bayes bound) are measured, the first ones [default: up to 1000].
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    pub curvature_runs: Option<u64>,
    /// q, the top eigenpairs compared [default: 5 for 2 classes, else 15].
    #[arg(long, value_name = "Q", allow_negative_numbers = true)]
    pub top: Option<usize>,
    /// The dense spectra of H_f, M and H_p as well (Fig. 1; p ≤ 5000).
    #[arg(long)]
    pub full_spectra: bool,
    /// Measure seed 003's Hessian-based PAC-Bayes bound at T (sec. 6): the
    /// exact Hessian diagonal, EC, WN, KL, bound (51) and the Gibbs errors.
    #[arg(long)]
    pub pac_bayes: bool,
    /// The prior's standard deviation σ [default: 1].
    #[arg(long, value_name = "SIGMA", allow_negative_numbers = true)]
    pub prior_sd: Option<f64>,
    /// The prior's mean: zero (the paper's) or init (each run's own θ₀) [default: zero].
    #[arg(long, value_enum)]
    pub prior_mean: Option<PriorMean>,
    /// The bound holds with probability 1 − δ [default: 0.05].
    #[arg(long, allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// Draws from each run's posterior for the Gibbs classifier's errors [default: 20].
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub gibbs_draws: Option<u64>,
    /// Also train the first runs by Theorem 3's adaptive steps (sec. 5.4):
    /// oracle (η_t = ‖μ‖²/(L Tr M^(m))) and/or diagonal (a_j = μ_j²/(L M^(m)_jj)).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "RULE")]
    pub adaptive: Option<Vec<Rule>>,
    /// L, the bound on ‖H_f‖₂ that the adaptive steps assume (> 0).
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    pub smoothness: Option<f64>,
}

impl NetworkArgs {
    /// The first flag given, if any (they apply to network studies only).
    fn first_given(&self) -> Option<&'static str> {
        let given = [
            ("--data", self.data.is_some()),
            ("--classes", self.classes.is_some()),
            ("--label-noise", self.label_noise.is_some()),
            ("--dim", self.dim.is_some()),
            ("--test-size", self.test_size.is_some()),
            ("--data-seed", self.data_seed.is_some()),
            ("--raw-features", self.raw_features),
            ("--hidden", self.hidden.is_some()),
            ("--record-all-until", self.record_all_until.is_some()),
            ("--test-every", self.test_every.is_some()),
            ("--quantiles", self.quantiles.is_some()),
            ("--loss-change-at", self.loss_change_at.is_some()),
            ("--loss-change-batches", self.loss_change_batches.is_some()),
            ("--curvature-at", self.curvature_at.is_some()),
            ("--curvature-runs", self.curvature_runs.is_some()),
            ("--top", self.top.is_some()),
            ("--full-spectra", self.full_spectra),
            ("--pac-bayes", self.pac_bayes),
            ("--prior-sd", self.prior_sd.is_some()),
            ("--prior-mean", self.prior_mean.is_some()),
            ("--delta", self.delta.is_some()),
            ("--gibbs-draws", self.gibbs_draws.is_some()),
            ("--adaptive", self.adaptive.is_some()),
            ("--smoothness", self.smoothness.is_some()),
        ];
        given.iter().find(|(_, g)| *g).map(|(f, _)| *f)
    }
}

impl RunArgs {
    /// The network study these flags describe (`run mlp`, `run li-…`);
    /// flags of the scalar landscapes' runs are refused.
    pub fn study_spec(&self) -> Result<StudySpec> {
        let s = &self.setup;
        s.single(&format!("the network study {}", s.name()))?;
        let refused = [
            ("--optimizer", s.optimizer != Optimizer::Sgd),
            ("--param", !s.params.is_empty()),
            ("--epochs", s.epochs.is_some()),
            ("--substeps", s.substeps.is_some()),
            ("--compare", s.compare.is_some()),
            ("--schedule", s.schedule.is_some()),
            ("--beta", s.beta.is_some()),
            ("--nesterov", s.nesterov),
            ("--lambda", s.lambda.is_some()),
            ("--theory", self.theory),
            ("--order", self.prediction.order.is_some()),
            ("--resum", self.prediction.resum.is_some()),
            ("--diverge-at", self.diverge_at != 1e8),
            ("--interval", self.interval != Interval::Skew),
            ("--same-seed", self.same_seed),
            ("--jsonl", self.output.jsonl),
            ("--csv -", self.output.csv_to_stdout()),
            ("--devices", self.devices.is_some()),
        ];
        if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
            return Err(usage(format!(
                "{flag} does not apply to the network study {} (SGD on an MLP; a run diverges when its loss is not finite)",
                s.name()
            )));
        }
        let init = match s.init.as_deref() {
            None => Init::Normal,
            Some([one]) if one == "normal" => Init::Normal,
            Some([one]) if one == "he" => Init::He,
            Some(other) => {
                return Err(usage(format!("--init of a network is normal or he, got '{}'", other.join(","))));
            }
        };
        let n = &self.network;
        let data = match n.data.as_deref() {
            None | Some("gauss-k") => None,
            Some(path) => Some(PathBuf::from(path)),
        };
        let mut spec = StudySpec::new(s.name());
        spec = StudySpec {
            data,
            classes: n.classes,
            label_noise: n.label_noise,
            train_size: first(&s.train_size),
            dim: n.dim,
            test_size: n.test_size,
            data_seed: n.data_seed.unwrap_or(0),
            raw_features: n.raw_features,
            hidden: n.hidden.clone(),
            init,
            eta: first(&s.eta),
            batch: first(&s.batch),
            steps: first(&s.steps).map(|t| t as u64),
            shuffle: s.shuffle,
            runs: self.trials,
            seed: self.seed,
            record_every: self.record_every.map(|r| r as u64),
            record_all_until: n.record_all_until,
            test_every: n.test_every,
            quantiles: n.quantiles.clone().unwrap_or(spec.quantiles),
            loss_change_at: n.loss_change_at.clone().unwrap_or_default(),
            loss_change_batches: n.loss_change_batches.unwrap_or(spec.loss_change_batches),
            curvature_at: n.curvature_at.clone().unwrap_or_default(),
            curvature_runs: n.curvature_runs,
            top: n.top,
            full_spectra: n.full_spectra,
            pac_bayes: n.pac_bayes,
            prior_sd: n.prior_sd,
            prior_mean: n.prior_mean,
            delta: n.delta,
            gibbs_draws: n.gibbs_draws,
            adaptive: n.adaptive.clone().unwrap_or_default(),
            smoothness: n.smoothness,
            ..spec
        };
        Ok(spec)
    }

    /// How and where a network study runs.
    pub fn study_options(&self) -> Result<study::Options> {
        let run = self.options()?;
        Ok(study::Options { backend: run.backend, threads: run.threads, quiet: run.quiet, outputs: run.outputs })
    }

    /// The spec these flags describe. `--substeps` is refused where no plan
    /// has substeps (only the CLI knows whether it was given).
    pub fn spec(&self) -> Result<Spec> {
        if let Some(flag) = self.network.first_given() {
            return Err(usage(format!(
                "{flag} applies to the network studies (mlp, li-…), not to {}",
                self.setup.name()
            )));
        }
        let spec = self.setup.spec(self.trials, self.seed, self.record_every, self.diverge_at)?;
        let continuous = |o: Optimizer| matches!(o, Optimizer::Sde | Optimizer::Ode);
        let other = spec.compare.as_ref().map(|a| a.optimizer.unwrap_or(spec.optimizer));
        if self.setup.substeps.is_some() && !continuous(spec.optimizer) && !other.is_some_and(continuous) {
            return Err(usage(format!(
                "--substeps is the number of substeps of sde and ode; {} takes none",
                spec.optimizer.name()
            )));
        }
        Ok(Spec { interval: self.interval, ..spec })
    }

    /// The points to run: the Cartesian grid of the swept flags (lists and
    /// ranges; the first flag slowest), each point with its own seed stream
    /// unless `--same-seed`; one point where nothing is swept.
    pub fn points(&self) -> Result<Vec<run::Point>> {
        let base = self.spec()?;
        let axes = self.setup.axes()?;
        if axes.is_empty() {
            if self.same_seed {
                return Err(usage("--same-seed shares --seed among a sweep's points; no flag has a list or range"));
            }
            return Ok(vec![run::Point { spec: base, coords: Vec::new() }]);
        }
        let grid = sweep::grid(&axes);
        if grid.len() > sweep::MAX_POINTS {
            return Err(usage(format!("the sweep has {} points, more than {}", grid.len(), sweep::MAX_POINTS)));
        }
        Ok(grid
            .into_iter()
            .map(|values| {
                let coords: Vec<(String, f64)> = axes.iter().map(|(name, _)| name.clone()).zip(values).collect();
                let mut spec = base.clone();
                for (name, value) in &coords {
                    sweep::set(&mut spec, name, *value);
                }
                if !self.same_seed {
                    let label: Vec<String> = coords.iter().map(|(name, v)| format!("{name}={v}")).collect();
                    spec.seed = sweep::point_seed(self.seed, &label.join(","));
                }
                run::Point { spec, coords }
            })
            .collect())
    }

    /// How and where to run; flags that would have no effect are refused.
    pub fn options(&self) -> Result<run::Options> {
        self.output.check()?;
        if !self.theory {
            let given = [("--order", self.prediction.order.is_some()), ("--resum", self.prediction.resum.is_some())];
            if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
                return Err(usage(format!("{flag} chooses the prediction of --theory; add --theory")));
            }
        }
        if self.devices.is_some() && self.backend != Choice::Gpu {
            return Err(usage("--devices chooses the GPU adapters of --backend gpu; add --backend gpu"));
        }
        let threads = match self.threads {
            Some(0) => return Err(usage("--threads must be at least 1 (without it, all cores)")),
            Some(_) if self.backend == Choice::Gpu => {
                return Err(usage("--threads sets the CPU backend's threads, which --backend gpu does not use"))
            }
            Some(n) => n,
            None => 0,
        };
        Ok(run::Options {
            backend: self.backend,
            devices: self.devices.clone(),
            threads,
            quiet: self.quiet,
            theory: self.theory.then(|| self.prediction.options()),
            outputs: self.output.csv_file().into_iter().cloned().collect(),
        })
    }

    /// The run these flags describe, as a merge of its shards needs it.
    fn run(&self) -> Result<merge::Run> {
        let points = self.points()?;
        let sweep = (points.len() > 1).then_some((self.seed, self.same_seed));
        Ok(merge::Run { points, options: self.options()?, sweep })
    }
}

/// Where `run`'s and `merge`'s reports go.
#[derive(Args, Debug)]
pub struct RunOutput {
    /// Print one JSON object instead of the table (an array of them for a
    /// sweep); a shard's or a merge's carries its state, for `simsgd merge`.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// Print one compact JSON object per line, one per point (JSON Lines).
    #[arg(long)]
    pub jsonl: bool,
    /// Also write the numbers as a tidy CSV to FILE, every row with the
    /// resolved spec (`-`: to standard output, instead of the table).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

impl RunOutput {
    /// Whether the CSV goes to standard output (`--csv -`).
    fn csv_to_stdout(&self) -> bool {
        self.csv.as_deref() == Some(std::path::Path::new("-"))
    }

    /// The CSV file to write, if any (not standard output).
    fn csv_file(&self) -> Option<&PathBuf> {
        self.csv.as_ref().filter(|_| !self.csv_to_stdout())
    }

    /// Refuses `--csv -` beside `--json` or `--jsonl`.
    fn check(&self) -> Result<()> {
        if self.csv_to_stdout() && (self.json || self.jsonl) {
            return Err(usage("--csv - writes the CSV to standard output, where --json or --jsonl would go too"));
        }
        Ok(())
    }

    /// Prints (and writes) run reports: the CSV to its file or standard
    /// output, then the tables, JSON or JSON Lines.
    fn print(&self, reports: &[RunReport]) -> Result<()> {
        let text = || {
            let mut out: String = reports.iter().map(table::render).collect::<Vec<_>>().join("\n");
            if reports.len() > 1 {
                out += &table::sweep_summary(reports);
            }
            out
        };
        let json = || match reports {
            [one] => one.to_json() + "\n",
            many => RunReport::to_json_array(many) + "\n",
        };
        let printed = || {
            if self.jsonl {
                write_stdout(&reports.iter().map(|r| r.to_json_line() + "\n").collect::<String>())
            } else if self.json {
                write_stdout(&json())
            } else {
                write_stdout(&text())
            }
        };
        if self.csv_to_stdout() {
            return write_stdout(&String::from_utf8_lossy(&csv::render(reports)));
        }
        match self.csv_file() {
            Some(path) => {
                // Checked before the run; should writing fail now anyway,
                // the results go to stdout before the error.
                if let Err(source) = atomic::write(path, &csv::render(reports)) {
                    printed()?;
                    return Err(Error::Io { path: path.display().to_string(), source });
                }
                printed()
            }
            None => printed(),
        }
    }
}

/// `simsgd merge`'s flags.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' reports (`run … --shard I/N --json`, or earlier merges), in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Merge a part of the run: shards that leave out chunks at its start or
    /// end (the report is over the trials held; it merges again).
    #[arg(long)]
    pub partial: bool,
    #[command(flatten)]
    pub output: RunOutput,
}

impl MergeArgs {
    /// Merges the files, parsing each shard's run arguments as `run` does.
    fn merge(&self) -> Result<merge::Merged> {
        self.output.check()?;
        if let Some(path) = self.output.csv_file() {
            atomic::check_writable(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        }
        let request = merge::Request { files: self.files.clone(), partial: self.partial };
        merge::merge(&request, |args| {
            let argv = ["simsgd", "run"].into_iter().map(OsString::from).chain(args.iter().map(OsString::from));
            let parsed = Cli::try_parse_from(join_number_values(argv)).map_err(|e| {
                let text = e.render().to_string();
                usage(text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string())
            })?;
            match parsed.command {
                Command::Run(run) if run.setup.study() => Ok(merge::Parsed::Study(Box::new(run.study_spec()?))),
                Command::Run(run) => Ok(merge::Parsed::Run(run.run()?)),
                _ => Err(usage("not a run")),
            }
        })
    }
}

/// Which prediction: order and re-summation (`predict`, `run --theory`).
#[derive(Args, Clone, Copy, Debug)]
pub struct TheoryArgs {
    /// Highest order (power of η; edges of the diagrams) [default: 3; 2 for gdc].
    #[arg(long, allow_negative_numbers = true)]
    pub order: Option<usize>,
    /// Re-summed values for long training (fresh-sample SGD, GD, SDE, ODE,
    /// and momentum on the first two): exact sums of the propagators (I − ηH)^t
    /// (momentum's companion recurrence), or their integral approximation.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "exact")]
    pub resum: Option<Resum>,
}

impl TheoryArgs {
    /// The prediction these flags ask for.
    pub fn options(&self) -> theory::Options {
        theory::Options { order: self.order, resum: self.resum }
    }
}

#[derive(Args, Debug)]
pub struct FigureArgs {
    /// The figure (see --list).
    #[arg(required_unless_present_any = ["all", "list"], conflicts_with = "all")]
    pub name: Option<String>,
    /// Every figure; reports each one's status and fails if any failed.
    #[arg(long)]
    pub all: bool,
    /// List the figures and what each shows (and make none).
    #[arg(long, conflicts_with_all = ["name", "all", "quick", "backend", "out", "quiet", "shard"])]
    pub list: bool,
    /// Fewer trials and points: all figures in 2.5 to 4 minutes on two CPU cores.
    #[arg(long)]
    pub quick: bool,
    /// Where the simulations run.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: Choice,
    /// Output folder [default: results/figures, the committed gallery; with
    /// --quick, results/figures-quick, which git ignores].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
    /// With --all, make only figures I, I+N, I+2N, … (I from 0): N jobs of
    /// an array (`--shard $SLURM_ARRAY_TASK_ID/N`) make them all between them.
    #[arg(long, value_name = "I/N", value_parser = Shard::value_parser, requires = "all")]
    pub shard: Option<Shard>,
    /// The landscape of eta-sweep: a formula (see `run --loss`).
    #[command(flatten)]
    pub formula: FormulaArgs,
    /// Parameters of eta-sweep's landscape, name=value (comma-separated).
    #[arg(long = "param", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub params: Vec<String>,
    /// eta-sweep's initial weights, comma-separated [default: the landscape's].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_name = "θ1,θ2,...")]
    pub init: Option<Vec<String>>,
    /// eta-sweep's steps T [default: the landscape's].
    #[arg(long, value_parser = steps_at_least_one)]
    pub steps: Option<usize>,
}

impl FigureArgs {
    /// Which figures these flags ask for, and how.
    pub fn request(&self) -> Result<figure::Request> {
        let params = single_params(&self.params)?;
        let init = self.init.as_deref().map(parse_init).transpose()?;
        let subject = match self.formula.definition(&params)? {
            Some(definition) => Some(Spec::on_formula(definition)),
            None if !params.is_empty() || init.is_some() || self.steps.is_some() => Some(Spec::new("gauss")),
            None => None,
        };
        let subject = subject.map(|spec| Spec { params, init, steps: self.steps, ..spec });
        Ok(figure::Request {
            name: self.name.clone(),
            quick: self.quick,
            backend: self.backend,
            out: self
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(if self.quick { "results/figures-quick" } else { "results/figures" })),
            quiet: self.quiet,
            shard: self.shard,
            subject,
        })
    }
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Landscape (see `simsgd landscapes`); none with --loss or --landscape-file.
    #[arg(required_unless_present_any = ["loss", "landscape_file"], conflicts_with_all = ["loss", "landscape_file"])]
    pub landscape: Option<String>,
    #[command(flatten)]
    pub formula: FormulaArgs,
    /// The point θ, comma-separated [default: the landscape's init].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_name = "θ1,θ2,...")]
    pub at: Option<Vec<f64>>,
    /// Landscape parameter, name=value (repeatable, or comma-separated).
    #[arg(long = "param", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub params: Vec<String>,
    /// Also estimate every statistic from samples, without bias (App. C.6), beside the exact values.
    #[arg(long)]
    pub estimate: bool,
    /// Samples for --estimate (at least 23: the jackknife leaves out one of 20 groups) [default: 10000].
    #[arg(long, allow_negative_numbers = true)]
    pub samples: Option<usize>,
    /// Seed of the samples' stream, for --estimate [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl StatsArgs {
    /// What these flags ask `stats` for.
    pub fn request(&self) -> Result<stats::Request> {
        if !self.estimate {
            let given = [("--samples", self.samples.is_some()), ("--seed", self.seed.is_some())];
            if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
                return Err(usage(format!("{flag} is for the estimates of --estimate; add --estimate")));
            }
        }
        let sampling = stats::Sampling { samples: self.samples.unwrap_or(10_000), seed: self.seed.unwrap_or(0) };
        let params = single_params(&self.params)?;
        let formula = self.formula.definition(&params)?;
        Ok(stats::Request {
            landscape: formula.as_ref().map_or_else(|| self.landscape.clone().unwrap_or_default(), |f| f.name.clone()),
            formula: formula.map(Arc::new),
            params,
            at: self.at.clone(),
            estimate: self.estimate.then_some(sampling),
        })
    }
}

/// A T of at least one step.
fn steps_at_least_one(raw: &str) -> std::result::Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(t) if t > 0 => Ok(t),
        _ => Err(format!("a whole number of steps, at least 1, is needed, got '{raw}'")),
    }
}

/// `--init`'s numbers.
fn parse_init(raw: &[String]) -> Result<Vec<f64>> {
    raw.iter()
        .map(|v| {
            v.trim().parse::<f64>().map_err(|_| {
                usage(format!("--init takes numbers (θ₀'s weights; normal or he for a network), got '{v}'"))
            })
        })
        .collect()
}

/// `--param NAME=VALUE`s as (name, values): a value may be a range
/// (`H=0.5..2:lin:4`), and a bare number continues the list of the name
/// before it (`H=0.5,1,2`: clap splits at the commas).
fn parse_params(raw: &[String]) -> Result<Vec<(String, Vec<f64>)>> {
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    for p in raw {
        let malformed = || usage(format!("malformed --param '{p}': expected NAME=VALUE"));
        match p.split_once('=') {
            Some((k, _)) if k.trim().is_empty() => return Err(malformed()),
            Some((k, v)) => {
                let values = sweep::reals(v.trim()).map_err(|e| usage(format!("malformed --param '{p}': {e}")))?;
                out.push((k.trim().to_string(), values.0));
            }
            None => match (out.last_mut(), p.trim().parse::<f64>()) {
                (Some((_, values)), Ok(v)) => values.push(v),
                _ => return Err(malformed()),
            },
        }
    }
    Ok(out)
}

/// `--param`s of one value each (`stats`).
fn single_params(raw: &[String]) -> Result<Vec<(String, f64)>> {
    parse_params(raw)?
        .into_iter()
        .map(|(k, v)| match v[..] {
            [one] => Ok((k, one)),
            _ => Err(usage(format!("--param {k} takes one value here; lists and ranges sweep `simsgd run`"))),
        })
        .collect()
}

/// The flag of a sweep's axis: `--eta`, `--train-size`, `--param H`.
fn flag_name(axis: &str) -> String {
    match axis {
        "eta" | "steps" | "train_size" | "batch" | "epochs" | "substeps" | "beta" | "lambda" => {
            format!("--{}", axis.replace('_', "-"))
        }
        param => format!("--param {param}"),
    }
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    #[command(flatten)]
    pub prediction: TheoryArgs,
    /// List each term (diagram) behind the coefficients: embeddings, value, share.
    #[arg(long)]
    pub explain: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl PredictArgs {
    /// The spec these flags describe (one trial: nothing is simulated).
    pub fn spec(&self) -> Result<Spec> {
        self.setup.single("predict")?;
        self.setup.spec(1, 0, None, 1e8)
    }

    /// Refuses `--substeps` where nothing reported uses K: no plan is sde
    /// or ode, and no report has Corollary 5 (SGD − SDE, one-epoch SGD).
    fn check_substeps(&self, reports: &[&PredictReport]) -> Result<()> {
        let uses = |r: &&PredictReport| {
            matches!(r.plan.optimizer, Optimizer::Sde | Optimizer::Ode) || r.corollaries.continuous.is_some()
        };
        match reports.first() {
            Some(r) if self.setup.substeps.is_some() && !reports.iter().any(uses) => Err(usage(format!(
                "--substeps is the number of substeps of sde and ode (and of Corollary 5's SDE for one-epoch sgd); \
                 {} on this grid takes none",
                r.plan.optimizer.name()
            ))),
            _ => Ok(()),
        }
    }
}

/// The flags whose values are numbers that may be negative or not finite.
const NUMBER_FLAGS: [&str; 4] = ["--eta", "--init", "--at", "--diverge-at"];

/// The short flags (`-q`, `--help`'s `-h`, `--version`'s `-V`).
const SHORT_FLAGS: [&str; 3] = ["-q", "-h", "-V"];

/// The command line with each of `NUMBER_FLAGS` joined to a following
/// value that starts with one `-` and is not a short flag: `--eta -inf`
/// becomes `--eta=-inf`. clap takes `-inf` (or `-1e-3`, which its number
/// test misses, or `-x`) for a flag of its own; joined, the value is the
/// flag's, and the error (clap's, or `Spec::resolve`'s) is about it.
pub fn join_number_values(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    for arg in args {
        let value_like = |v: &str| v.starts_with('-') && !v.starts_with("--") && !SHORT_FLAGS.contains(&v);
        match (out.last().and_then(|f| f.to_str()), arg.to_str()) {
            (Some(flag), Some(value)) if NUMBER_FLAGS.contains(&flag) && value_like(value) => {
                let joined = format!("{flag}={value}");
                *out.last_mut().expect("a flag") = joined.into();
            }
            _ => out.push(arg),
        }
    }
    out
}

/// Prints a report as JSON or text.
fn print(json: bool, to_json: impl FnOnce() -> String, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        write_stdout(&(to_json() + "\n"))
    } else {
        write_stdout(&text())
    }
}

/// Writes `text` to standard output and flushes it; a failure (a full disk,
/// `> /dev/full`) is a one-line I/O error, not a panic. (A reader that went
/// away ends the process quietly: `main` restores SIGPIPE's default.)
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io { path: "standard output".into(), source })
}

/// A shard's place and the run's arguments (after `run`), which its state
/// carries for the merge.
fn sharding(shard: Option<Shard>, argv: &[OsString]) -> Option<run::Sharding> {
    shard.map(|shard| run::Sharding {
        shard,
        args: argv.iter().skip(2).map(|a| a.to_string_lossy().into_owned()).collect(),
    })
}

/// Prints (and writes) a network study's report: the CSV to its file, then
/// the table or JSON.
fn print_study(report: &StudyReport, output: &RunOutput) -> Result<()> {
    let render = crate::study::report::render;
    if let Some(path) = &output.csv {
        if let Err(source) = atomic::write(path, crate::study::report::csv(report).as_bytes()) {
            print(output.json, || report.to_json(), || render(report))?;
            return Err(Error::Io { path: path.display().to_string(), source });
        }
    }
    print(output.json, || report.to_json(), || render(report))
}

/// Runs the parsed command line; `argv` is the command line it was parsed
/// from (after [`join_number_values`]), which a shard's state keeps.
pub fn execute(cli: Cli, argv: &[OsString]) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) if args.setup.study() => {
            let sharded = sharding(args.shard, argv);
            let report = study::run(&args.study_spec()?, &args.study_options()?, sharded.as_ref())?;
            print_study(&report, &args.output)?;
        }
        Command::Run(args) => {
            let points = args.points()?;
            let sweep = (points.len() > 1).then_some((args.seed, args.same_seed));
            let sharded = sharding(args.shard, argv);
            let reports = run::run_all(points, &args.options()?, sweep, sharded.as_ref())?;
            args.output.print(&reports)?;
        }
        Command::Merge(args) => match args.merge()? {
            merge::Merged::Runs(reports) => args.output.print(&reports)?,
            merge::Merged::Study(report) => print_study(&report, &args.output)?,
        },
        Command::Bench { args, quiet } => {
            let report = bench::run(&args, quiet)?;
            let json = || serde_json::to_string_pretty(&report).expect("serialisable");
            print(args.json, json, || bench::render(&report))?;
        }
        Command::Stats(args) => {
            let report = stats::stats(&args.request()?)?;
            print(args.json, || report.to_json(), || report.text())?;
        }
        Command::Predict(args) if args.setup.compare.is_some() => {
            let report = predict::predict_pair(args.spec()?, args.prediction.options(), args.explain)?;
            args.check_substeps(&[&report.primary, &report.compared])?;
            print(args.json, || report.to_json(), || report.text())?;
        }
        Command::Predict(args) => {
            let report = predict::predict(args.spec()?, args.prediction.options(), args.explain)?;
            args.check_substeps(&[&report])?;
            print(args.json, || report.to_json(), || report.text())?;
        }
        Command::Figure(args) if args.list => write_stdout(&figure::list())?,
        Command::Figure(args) => figure::make(&args.request()?)?,
        Command::Landscapes { json } => {
            let report = landscapes::list()?;
            print(json, || report.to_json(), || report.text())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::join_number_values;

    #[test]
    fn negative_number_values_are_joined_to_their_flag() {
        let args = |s: &str| s.split(' ').map(Into::into).collect::<Vec<std::ffi::OsString>>();
        let joined = |s: &str| join_number_values(args(s));
        assert_eq!(joined("run gauss --eta -inf --init -1e-3"), args("run gauss --eta=-inf --init=-1e-3"));
        assert_eq!(joined("stats archimedes --at -1,-2,nan"), args("stats archimedes --at=-1,-2,nan"));
        assert_eq!(joined("run gauss --eta -x --diverge-at -1"), args("run gauss --eta=-x --diverge-at=-1"));
        // Flags stay flags: a missing value is clap's to report.
        for kept in ["run gauss --eta -q", "run gauss --eta --steps 3", "run gauss --steps -1", "run gauss --eta 0.1"] {
            assert_eq!(joined(kept), args(kept));
        }
    }
}
