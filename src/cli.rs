//! The command line: parsing, turning flags into an [`Experiment`], and
//! dispatching to the backends and reports.

use crate::atomic;
use crate::backend::{driver, Backends, Choice};
use crate::bench::{self, BenchArgs};
use crate::commands::theory;
use crate::error::{usage, Error, Result};
use crate::experiment::{Experiment, Spec};
use crate::figure;
use crate::landscape::AnyLandscape;
use crate::optimizer::Optimizer;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::report::landscapes::Landscapes;
use crate::report::predict::PredictReport;
use crate::report::stats::{Estimates, StatsReport};
use crate::report::{csv, table, DriftReport, RunReport, Theory};
use crate::theory::resum::{self, Resum};
use crate::theory::{corollary, law, predict, statistics};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

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

/// What is simulated or predicted: landscape, optimizer, grid, η (shared by
/// `run` and `predict`).
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Landscape (see `simsgd landscapes`).
    pub landscape: String,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = Optimizer::Sgd)]
    pub optimizer: Optimizer,
    /// Learning rate η (update θ ← θ − η · mean of the batch's gradients).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub eta: f64,
    /// Steps T [default: 1 for gauss, 10 otherwise; 0 reports the init].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Landscape parameter, name=value (repeatable, or comma-separated).
    #[arg(long = "param", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub params: Vec<String>,
    /// Initial weights, comma-separated [default: the landscape's].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_name = "θ1,θ2,...")]
    pub init: Option<Vec<f64>>,
    /// N, training points per trial [default: T·B/E for sgd, 10 for gd].
    #[arg(long)]
    pub train_size: Option<usize>,
    /// B, points per SGD step (must divide N) [default: 1].
    #[arg(long)]
    pub batch: Option<usize>,
    /// E, passes of SGD over the training set [default: 1].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Visit the training set in a fresh random order each epoch.
    #[arg(long)]
    pub shuffle: bool,
    /// K, substeps per step of sde and ode.
    #[arg(long, default_value_t = 16)]
    pub substeps: u32,
    /// Also run this optimizer on the same training sets; report paired differences.
    #[arg(long, value_enum, value_name = "OPTIMIZER")]
    pub compare: Option<Optimizer>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Independent trials.
    #[arg(long, default_value_t = 100_000)]
    pub trials: u64,
    /// Seed of the counter-based random streams.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Record the learning curve (test loss, θ) every k steps.
    #[arg(long, value_name = "K")]
    pub record_every: Option<usize>,
    /// Where to simulate [$SIMSGD_ADAPTER picks an adapter by name].
    #[arg(long, value_enum, default_value_t = Choice::Auto)]
    pub backend: Choice,
    /// CPU threads [default: all cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// A trial diverges once |θ_i| or |loss| exceeds this or is not finite.
    #[arg(long, default_value_t = 1e8)]
    pub diverge_at: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the numbers as a tidy CSV to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Set the theory's prediction (`predict`) beside each measured mean, with z = (MC − theory)/SE.
    #[arg(long)]
    pub theory: bool,
    #[command(flatten)]
    pub prediction: TheoryArgs,
}

/// Which prediction: order and re-summation (`predict`, `run --theory`).
#[derive(Args, Clone, Copy, Debug)]
pub struct TheoryArgs {
    /// Highest order (power of η; edges of the diagrams) [default: 3; 2 for gdc].
    #[arg(long)]
    pub order: Option<usize>,
    /// Re-summed values for long training (fresh-sample SGD, GD, SDE, ODE):
    /// exact geometric sums of (I − ηH)^t, or their integral approximation.
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
    /// List the figures and what each shows.
    #[arg(long)]
    pub list: bool,
    /// Fewer trials and points: all figures in about two minutes on two CPU cores.
    #[arg(long)]
    pub quick: bool,
    /// Where the simulations run.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: Choice,
    /// Output folder.
    #[arg(long, default_value = "results/figures")]
    pub out: PathBuf,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Landscape (see `simsgd landscapes`).
    pub landscape: String,
    /// The point θ, comma-separated [default: the landscape's init].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, value_name = "θ1,θ2,...")]
    pub at: Option<Vec<f64>>,
    /// Landscape parameter, name=value (repeatable, or comma-separated).
    #[arg(long = "param", value_name = "NAME=VALUE", value_delimiter = ',')]
    pub params: Vec<String>,
    /// Also estimate every statistic from samples, without bias (App. C.6), beside the exact values.
    #[arg(long)]
    pub estimate: bool,
    /// Samples for --estimate (at least 23: the jackknife leaves out one of 20 groups).
    #[arg(long, default_value_t = 10_000)]
    pub samples: usize,
    /// Seed of the samples' stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn stats(args: &StatsArgs) -> Result<()> {
    let landscape = AnyLandscape::from_name(&args.landscape, &parse_params(&args.params)?)?;
    let d = landscape.describe();
    let theta = args.at.clone().unwrap_or(d.init.clone());
    if theta.len() != d.weights.len() || theta.iter().any(|x| !x.is_finite()) {
        return Err(usage(format!(
            "--at needs {} finite numbers for {} ({})",
            d.weights.len(),
            d.name,
            d.weights.join(", ")
        )));
    }
    if args.estimate && args.samples < 23 {
        return Err(usage("--samples must be at least 23"));
    }
    let exact = landscape.visit(statistics::Exact(&theta));
    let estimate = args.estimate.then(|| Estimates {
        samples: args.samples,
        seed: args.seed,
        values: landscape.visit(statistics::Estimated { theta: &theta, samples: args.samples, seed: args.seed }),
    });
    let report = StatsReport { landscape: d.name, weights: d.weights, theta, exact, estimate };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

fn parse_params(raw: &[String]) -> Result<Vec<(String, f64)>> {
    raw.iter()
        .map(|p| {
            let (k, v) =
                p.split_once('=').ok_or_else(|| usage(format!("malformed --param '{p}': expected NAME=VALUE")))?;
            let v: f64 =
                v.trim().parse().map_err(|_| usage(format!("malformed --param '{p}': '{v}' is not a number")))?;
            Ok((k.trim().to_string(), v))
        })
        .collect()
}

impl SetupArgs {
    /// The spec these flags describe, with the run's settings.
    fn spec(&self, trials: u64, seed: u64, record_every: Option<usize>, diverge_at: f64) -> Result<Spec> {
        Ok(Spec {
            landscape: self.landscape.clone(),
            params: parse_params(&self.params)?,
            optimizer: self.optimizer,
            eta: self.eta,
            steps: self.steps,
            init: self.init.clone(),
            train_size: self.train_size,
            batch: self.batch,
            epochs: self.epochs,
            shuffle: self.shuffle,
            substeps: self.substeps,
            compare: self.compare,
            trials,
            seed,
            record_every,
            diverge_at,
        })
    }
}

impl RunArgs {
    /// The spec these flags describe.
    pub fn spec(&self) -> Result<Spec> {
        self.setup.spec(self.trials, self.seed, self.record_every, self.diverge_at)
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

fn predict_command(args: &PredictArgs) -> Result<()> {
    let exp = args.setup.spec(1, 0, None, 1e8)?.resolve()?;
    let d = exp.landscape.describe();
    let law = exp.landscape.visit(law::Exact(&exp.init));
    let options = args.prediction.options();
    let p = options.predict(&law, &[&exp.plan])?.remove(0);
    let stats = exp.landscape.visit(statistics::Exact(&exp.init));
    let c = corollary::corollaries(&stats, &exp.plan, &p, |plan| options.predict_to(&law, plan, p.order))?;
    let report = PredictReport {
        landscape: d,
        init: exp.init,
        plan: exp.plan,
        prediction: p,
        corollaries: c,
        explain: args.explain,
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

fn run(args: &RunArgs) -> Result<()> {
    let exp = args.spec()?.resolve()?;
    // Predictions first, so that an unsupported order fails before the run.
    let predictions = if args.theory {
        let law = exp.landscape.visit(law::Exact(&exp.init));
        let plans: Vec<&Plan> = std::iter::once(&exp.plan).chain(&exp.compare).collect();
        let mut p = args.prediction.options().predict(&law, &plans)?;
        let q = (p.len() > 1).then(|| p.remove(1));
        Some((law, p.remove(0), q))
    } else {
        None
    };
    let backends = Backends::open(args.backend, args.threads, args.quiet)?;
    let sim = backends.for_experiment(&exp)?;
    let label = format!("{} {}", exp.landscape.describe().name, exp.plan.optimizer.name());
    let trials = exp.trials * (1 + exp.compare.is_some() as u64);
    let progress = Progress::new(trials, &label, args.quiet);
    let start = Instant::now();
    let outcome = driver::run(sim, &exp, &progress)?;
    progress.finish();
    let threads = backends.cpu().threads();
    let mut report = RunReport::new(&exp, &outcome, sim.kind().to_string(), threads, start.elapsed().as_secs_f64());
    report.adapter = sim.adapter();
    if let Some((law, p, q)) = &predictions {
        report.theory = Some(Theory::new(p, exp.plan.eta, &report.metrics, q.as_ref().zip(report.paired.as_ref())));
        if let Some(drift) = &mut report.drift {
            set_drift_theory(drift, &exp, law, &exp.plan, p)?;
        }
        if let (Some(paired), Some(plan), Some(q)) = (&mut report.paired, &exp.compare, q) {
            if let Some(drift) = &mut paired.drift {
                set_drift_theory(drift, &exp, law, plan, q)?;
            }
        }
    }
    if let Some(path) = &args.csv {
        atomic::write(path, &csv::render(&report))
            .map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", table::render(&report));
    }
    Ok(())
}

/// The predicted drift beside a measured one: what each estimator reads on the
/// re-summed engine's E[θ(t)] at the prediction's order (its mode where it is
/// re-summed, else exact), and Corollary 1's laws. Nothing for grids the
/// re-summation does not cover.
fn set_drift_theory(
    drift: &mut DriftReport,
    exp: &Experiment,
    law: &law::Law,
    plan: &Plan,
    p: &predict::Prediction,
) -> Result<()> {
    let mode = p.resummed.unwrap_or(Resum::Exact);
    // The prediction's own velocity where it is re-summed.
    let velocity = match &p.velocity {
        Some(v) => v.clone(),
        None => match resum::predict(law, plan, p.order, mode) {
            Ok(end) => end.velocity.unwrap_or_default(),
            Err(_) => return Ok(()),
        },
    };
    let window = exp.drift_window(plan).expect("a drift report has a window");
    let expected = window.expected(&exp.record_steps(), |t| resum::theta_at(law, plan, p.order, mode, t))?;
    let stats = exp.landscape.visit(statistics::Exact(&exp.init));
    drift.set_theory(plan.eta, p.order, velocity, expected, corollary::valley_drift_of(&stats, plan));
    Ok(())
}

fn landscapes(json: bool) -> Result<()> {
    let all: Vec<_> = AnyLandscape::LISTED
        .iter()
        .map(|n| AnyLandscape::from_name(n, &[]).map(|l| l.describe()))
        .collect::<Result<_>>()?;
    let report = Landscapes(all);
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

fn figure_command(args: &FigureArgs) -> Result<()> {
    if args.list {
        for f in figure::FIGURES {
            println!("{:<26} {}", f.name, f.about);
        }
        return Ok(());
    }
    let figures: Vec<&figure::Figure> = match &args.name {
        Some(name) => vec![figure::find(name)?],
        None => figure::FIGURES.iter().collect(),
    };
    let lab =
        figure::Lab { quick: args.quick, backends: Backends::open(args.backend, 0, args.quiet)?, quiet: args.quiet };
    figure::make_all(&figures, &lab, &args.out)
}

/// Runs the parsed command line.
pub fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) => run(&args),
        Command::Landscapes { json } => landscapes(json),
        Command::Stats(args) => stats(&args),
        Command::Predict(args) => predict_command(&args),
        Command::Figure(args) => figure_command(&args),
        Command::Bench { args, quiet } => {
            let report = bench::run(&args, quiet)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report).expect("serialisable"));
            } else {
                print!("{}", bench::render(&report));
            }
            Ok(())
        }
    }
}
