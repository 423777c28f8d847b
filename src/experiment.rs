//! An experiment: a landscape, one or two optimizer plans on shared training
//! sets, the number of trials and the seed.
//!
//! [`Spec`] is what a user asks for (every field of `simsgd run`, unset ones
//! `None`); [`Spec::resolve`] applies the defaults and validates, and is the
//! one point after which inputs are trusted: an [`Experiment`] exists only
//! through it. The CLI, the figures, the bench and the tests all build `Spec`s.
//! What depends on the machine rather than the input (the memory a
//! simulation needs on so many threads, [`Experiment::shape`]) is checked by
//! the backend about to simulate, before it starts: `predict` resolves the
//! same specs and simulates nothing.

use crate::alternative::Alternative;
use crate::backend::footprint::{PlanShape, Shape};
use crate::drift::DriftWindow;
use crate::error::{usage, Result};
use crate::grid::{Grid, MAX_GRID};
use crate::landscape::formula::Definition;
use crate::landscape::{AnyLandscape, Landscape, Visitor};
use crate::optimizer::{Dynamics, Optimizer, Update};
use crate::plan::Plan;
use crate::rng::STREAM_LENGTH;
use crate::schedule::Schedule;
use crate::stats::Interval;
use std::sync::Arc;

/// Everything a run needs, as a user states it: the flags of `simsgd run`.
/// Unset options take the defaults [`Spec::resolve`] documents.
///
/// ```
/// use simsgd::experiment::Spec;
/// let exp = Spec { eta: 0.05, trials: 1000, ..Spec::new("archimedes") }.resolve().unwrap();
/// assert_eq!(exp.plan.steps(), 10);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Landscape name (`simsgd landscapes`), or the formula's name.
    pub landscape: String,
    /// A landscape from a formula (`--loss`, `--landscape-file`) instead of
    /// the built-in `landscape` names.
    pub formula: Option<Arc<Definition>>,
    /// Landscape parameters by name.
    pub params: Vec<(String, f64)>,
    pub optimizer: Optimizer,
    /// Learning rate η.
    pub eta: f64,
    /// T [default: the landscape's].
    pub steps: Option<usize>,
    /// θ_0 [default: the landscape's].
    pub init: Option<Vec<f64>>,
    /// N [default: T·B/E for sgd, 10 for gd].
    pub train_size: Option<usize>,
    /// B [default: 1].
    pub batch: Option<usize>,
    /// E [default: 1].
    pub epochs: Option<usize>,
    pub shuffle: bool,
    /// K, substeps per step of sde and ode.
    pub substeps: u32,
    /// A second arm on the same training sets (`--compare`): another
    /// optimizer, η, B, ...
    pub compare: Option<Alternative>,
    /// β of `momentum` [default: [`DEFAULT_BETA`]].
    pub beta: Option<f64>,
    /// `momentum` takes the gradient at the look-ahead θ_t + β(θ_t − θ_{t−1}).
    pub nesterov: bool,
    /// λ of `invhess` [default: [`DEFAULT_LAMBDA`]].
    pub lambda: Option<f64>,
    /// η_t = η·s(t) (`--schedule`).
    pub schedule: Schedule,
    pub trials: u64,
    pub seed: u64,
    /// Record the learning curve every k steps.
    pub record_every: Option<usize>,
    /// A trial diverges once |θ_i| or |loss| exceeds this or is not finite.
    pub diverge_at: f64,
    /// The 95% interval reported for final means.
    pub interval: Interval,
}

impl Default for Spec {
    /// `simsgd run gauss` with every flag at its default.
    fn default() -> Self {
        Spec {
            landscape: "gauss".into(),
            formula: None,
            params: Vec::new(),
            optimizer: Optimizer::Sgd,
            eta: 0.1,
            steps: None,
            init: None,
            train_size: None,
            batch: None,
            epochs: None,
            shuffle: false,
            substeps: 16,
            compare: None,
            beta: None,
            nesterov: false,
            lambda: None,
            schedule: Schedule::Constant,
            trials: 100_000,
            seed: 0,
            record_every: None,
            diverge_at: 1e8,
            interval: Interval::default(),
        }
    }
}

impl Spec {
    /// The defaults on `landscape`.
    pub fn new(landscape: &str) -> Self {
        Spec { landscape: landscape.into(), ..Spec::default() }
    }

    /// The defaults on the landscape of a formula.
    pub fn on_formula(definition: Definition) -> Self {
        Spec { landscape: definition.name.clone(), formula: Some(Arc::new(definition)), ..Spec::default() }
    }

    /// The validated experiment: defaults applied (the landscape's T and
    /// init; the grid from whichever of T, N, B, E are given), every value
    /// checked. Bad input is a usage error naming the flag.
    pub fn resolve(&self) -> Result<Experiment> {
        let landscape = AnyLandscape::build(&self.landscape, self.formula.as_deref(), &self.params)?;
        let d = landscape.describe();
        let flags = GridFlags {
            steps: self.steps,
            train_size: self.train_size,
            batch: self.batch,
            epochs: self.epochs,
            shuffle: self.shuffle,
        };
        let alt = self.compare.as_ref();
        // The compared arm's optimizer (the primary's unless it says otherwise).
        let other = alt.map(|a| a.optimizer.unwrap_or(self.optimizer));
        if self.optimizer.full_batch() && flags.sgd_only() && other.is_none_or(Optimizer::full_batch) {
            return Err(usage("--batch, --epochs and --shuffle describe SGD's grid; gd uses all N points every step"));
        }
        if self.shuffle && !self.optimizer.stochastic() && !other.is_some_and(Optimizer::stochastic) {
            return Err(usage(
                "--shuffle orders SGD's visits to the training set; sde and ode never visit it (they step with the \
                 exact mean gradient)",
            ));
        }
        let uses = |o: Optimizer| self.optimizer == o || other == Some(o);
        if self.beta.is_some() && !uses(Optimizer::Momentum) {
            return Err(usage("--beta is momentum's β: it needs --optimizer momentum (or --compare momentum)"));
        }
        if self.nesterov && !uses(Optimizer::Momentum) {
            return Err(usage(
                "--nesterov is a form of momentum: it needs --optimizer momentum (or --compare momentum)",
            ));
        }
        if self.lambda.is_some() && !uses(Optimizer::Invhess) {
            return Err(usage("--lambda is invhess's λ: it needs --optimizer invhess (or --compare invhess)"));
        }
        let update = |optimizer, beta: Option<f64>, nesterov, lambda: Option<f64>| -> Result<Update> {
            let beta = beta.unwrap_or(DEFAULT_BETA);
            if !(0.0..1.0).contains(&beta) {
                return Err(usage(format!("--beta must lie in [0, 1), got {}", short(beta))));
            }
            let lambda = lambda.unwrap_or(DEFAULT_LAMBDA);
            if !(lambda.is_finite() && lambda >= 0.0) {
                return Err(usage(format!("--lambda must be non-negative and finite, got {}", short(lambda))));
            }
            Ok(match optimizer {
                Optimizer::Momentum => Update::HeavyBall { beta, nesterov },
                Optimizer::Invhess => Update::InverseHessian { lambda },
                _ => Update::Gradient,
            })
        };
        let primary = Plan {
            optimizer: self.optimizer,
            grid: flags.resolve(self.optimizer, d.default_steps)?,
            eta: self.eta,
            substeps: self.substeps,
            update: update(self.optimizer, self.beta, self.nesterov, self.lambda)?,
            schedule: self.schedule,
        };
        let compare = match (alt, other) {
            (Some(alt), Some(o)) => Some(self.compared_plan(alt, o, &flags, &primary, update)?),
            _ => None,
        };
        let exp = Experiment {
            init: self.init.clone().unwrap_or(d.init),
            landscape,
            plan: primary,
            compare,
            trials: self.trials,
            seed: self.seed,
            record_every: self.record_every,
            diverge_at: self.diverge_at,
            interval: self.interval,
        };
        exp.validate()?;
        Ok(exp)
    }

    /// The compared arm's plan: `alt` over the primary's settings, on the
    /// primary's N and T; refused where `alt` sets what its optimizer `o`
    /// does not use, or describes the primary run itself.
    fn compared_plan(
        &self,
        alt: &Alternative,
        o: Optimizer,
        flags: &GridFlags,
        primary: &Plan,
        update: impl Fn(Optimizer, Option<f64>, bool, Option<f64>) -> Result<Update>,
    ) -> Result<Plan> {
        let refuse = |why: &str| usage(format!("--compare {alt}: {why}"));
        let momentum = o == Optimizer::Momentum;
        // sde and ode: the only optimizers whose substeps matter.
        let continuous = matches!(o.dynamics(1), Dynamics::Continuous { .. });
        let needs = [
            (alt.batch.is_some() || alt.shuffle.is_some(), !o.full_batch(), "batch and shuffle describe SGD's grid"),
            (alt.shuffle == Some(true), o.stochastic(), "sde and ode never visit the training set to shuffle it"),
            (alt.substeps.is_some(), continuous, "substeps are sde's and ode's"),
            (alt.beta.is_some() || alt.nesterov.is_some(), momentum, "beta and nesterov are momentum's"),
            (alt.lambda.is_some(), o == Optimizer::Invhess, "lambda is invhess's"),
        ];
        if let Some((_, _, why)) = needs.iter().find(|(given, applies, _)| *given && !applies) {
            return Err(refuse(&format!("{why}, and the compared arm runs {}", o.name())));
        }
        let grid =
            GridFlags { batch: alt.batch.or(flags.batch), shuffle: alt.shuffle.unwrap_or(flags.shuffle), ..*flags }
                .resolve_compare(o, &primary.grid)
                .map_err(|e| {
                    let (n, t) = (primary.grid.train_size, primary.steps());
                    refuse(&format!("it runs on the same N = {n} points for T = {t} steps: {e}"))
                })?;
        let plan = Plan {
            optimizer: o,
            grid,
            eta: alt.eta.unwrap_or(self.eta),
            schedule: alt.schedule.unwrap_or(self.schedule),
            substeps: alt.substeps.unwrap_or(self.substeps),
            update: update(
                o,
                alt.beta.or(self.beta),
                alt.nesterov.unwrap_or(self.nesterov),
                alt.lambda.or(self.lambda),
            )?,
        };
        let same_but_k = Plan { substeps: primary.substeps, ..plan.clone() } == *primary;
        if same_but_k && (plan.substeps == primary.substeps || !continuous) {
            return Err(refuse(&format!(
                "this is the primary run itself ({}): the same trials, a difference of exactly 0; compare another \
                 optimizer or setting (--compare gd, --compare batch=5, --compare eta=0.05), or sweep a flag",
                o.name()
            )));
        }
        Ok(plan)
    }

    /// The `simsgd run` command line that runs this spec: the flags that
    /// differ from their defaults.
    pub fn command_line(&self) -> String {
        let d = Spec::default();
        let mut s = match self.formula.as_deref() {
            None => format!("simsgd run {}", self.landscape),
            Some(f) => format!("simsgd run {}", f.flags()),
        };
        let mut flag = |name: &str, value: String| s.push_str(&format!(" --{name} {value}"));
        if self.optimizer != d.optimizer {
            flag("optimizer", self.optimizer.name().into());
        }
        if self.eta != d.eta {
            flag("eta", self.eta.to_string());
        }
        let options = [
            ("steps", self.steps),
            ("train-size", self.train_size),
            ("batch", self.batch),
            ("epochs", self.epochs),
            ("record-every", self.record_every),
        ];
        for (name, value) in options {
            if let Some(v) = value {
                flag(name, v.to_string());
            }
        }
        if !self.params.is_empty() {
            let p: Vec<String> = self.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            flag("param", p.join(","));
        }
        if let Some(init) = &self.init {
            let v: Vec<String> = init.iter().map(f64::to_string).collect();
            flag("init", v.join(","));
        }
        if self.substeps != d.substeps {
            flag("substeps", self.substeps.to_string());
        }
        if !self.schedule.is_constant() {
            flag("schedule", self.schedule.to_string());
        }
        if let Some(c) = &self.compare {
            flag("compare", c.to_string());
        }
        if let Some(b) = self.beta {
            flag("beta", b.to_string());
        }
        if let Some(l) = self.lambda {
            flag("lambda", l.to_string());
        }
        if self.trials != d.trials {
            flag("trials", self.trials.to_string());
        }
        if self.seed != d.seed {
            flag("seed", self.seed.to_string());
        }
        if self.diverge_at != d.diverge_at {
            flag("diverge-at", self.diverge_at.to_string());
        }
        if self.interval != d.interval {
            flag("interval", format!("{:?}", self.interval).to_lowercase());
        }
        if self.shuffle {
            s.push_str(" --shuffle");
        }
        if self.nesterov {
            s.push_str(" --nesterov");
        }
        s
    }
}

/// A full experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub landscape: AnyLandscape,
    pub init: Vec<f64>,
    pub plan: Plan,
    /// A second optimizer on the same training sets (`--compare`).
    pub compare: Option<Plan>,
    pub trials: u64,
    pub seed: u64,
    /// Record the learning curve every k steps.
    pub record_every: Option<usize>,
    /// A trial diverges once |loss| or |θ_i| exceeds this, or stops being finite.
    pub diverge_at: f64,
    /// The 95% interval reported for final means.
    pub interval: Interval,
}

impl Experiment {
    /// How many steps [`Experiment::record_steps`] lists, without listing them.
    pub fn record_count(&self) -> usize {
        let Some(k) = self.record_every.filter(|&k| k > 0) else {
            return 0;
        };
        let t = self.plan.steps();
        t / k + 1 + usize::from(!t.is_multiple_of(k))
    }

    /// What a CPU run of this experiment holds in memory
    /// ([`crate::backend::footprint`]); the backends refuse, before they
    /// simulate, a run that needs more than is available
    /// ([`Shape::check`]).
    pub fn shape(&self) -> Shape {
        let nodes = self.landscape.visit(Nodes);
        let plans = std::iter::once(&self.plan).chain(&self.compare).map(|p| PlanShape {
            train_size: p.grid.train_size,
            shuffle: p.grid.shuffle,
            noise_substeps: match p.dynamics() {
                Dynamics::Continuous { substeps, noise: true } => substeps as usize,
                _ => 0,
            },
            nodes,
        });
        Shape { plans: plans.collect(), dim: self.landscape.dim(), trials: self.trials, records: self.record_count() }
    }

    /// The recorded steps: 0, k, 2k, ... up to T (T included).
    pub fn record_steps(&self) -> Vec<usize> {
        let Some(k) = self.record_every else {
            return Vec::new();
        };
        let t = self.plan.steps();
        let mut steps: Vec<usize> = (0..=t).step_by(k).collect();
        if steps.last() != Some(&t) {
            steps.push(t);
        }
        steps
    }

    /// Whether only the CPU backend runs it (a plan is [`Plan::cpu_only`]).
    pub fn cpu_only(&self) -> bool {
        std::iter::once(&self.plan).chain(&self.compare).any(Plan::cpu_only)
    }

    /// The drift estimators' window for `plan`, where the recorded steps
    /// allow one.
    pub fn drift_window(&self, plan: &Plan) -> Option<DriftWindow> {
        DriftWindow::new(plan, &self.record_steps())
    }

    /// Checks what the types cannot: values in range, T and N below 2^30
    /// ([`MAX_GRID`]), and no trial drawing more than a random stream holds
    /// ([`STREAM_LENGTH`]: the SDE's T·K·M normals, the shuffle's E·N words).
    pub fn validate(&self) -> Result<()> {
        if self.trials == 0 {
            return Err(usage("--trials must be at least 1"));
        }
        if self.trials > u32::MAX as u64 {
            return Err(usage(format!("--trials must be at most {} (trial indices are 32-bit)", u32::MAX)));
        }
        if !(self.diverge_at > 0.0 && self.diverge_at <= MAX_DIVERGE_AT) {
            return Err(usage(format!(
                "--diverge-at must be positive and at most {MAX_DIVERGE_AT:e} (beyond it the variances of values up \
                 to 4 times it over 2^32 trials overflow), got {}",
                short(self.diverge_at)
            )));
        }
        if self.init.len() != self.landscape.dim() || self.init.iter().any(|x| !x.is_finite()) {
            let d = self.landscape.describe();
            return Err(usage(format!(
                "--init needs {} finite number{} for {} ({})",
                d.weights.len(),
                if d.weights.len() == 1 { "" } else { "s" },
                d.name,
                d.weights.join(", ")
            )));
        }
        let at_init = self.landscape.visit(TestLossAt(&self.init));
        if !at_init.is_finite() {
            let v: Vec<String> = self.init.iter().map(|x| short(*x)).collect();
            return Err(usage(format!(
                "the test loss of {} is not finite at the init θ₀ = ({}): l(θ₀) = {at_init}; give another --init",
                self.landscape.describe().name,
                v.join(", ")
            )));
        }
        if self.record_every == Some(0) {
            return Err(usage("--record-every must be at least 1"));
        }
        for plan in std::iter::once(&self.plan).chain(&self.compare) {
            if !(plan.eta.is_finite() && plan.eta > 0.0) {
                return Err(usage(format!("--eta must be positive and finite, got {}", short(plan.eta))));
            }
            if plan.substeps == 0 {
                return Err(usage("--substeps must be at least 1"));
            }
            if plan.optimizer == Optimizer::Gdc && !plan.schedule.is_constant() {
                return Err(usage(
                    "--schedule does not apply to gdc: its correction is Corollary 3's, for a constant η",
                ));
            }
            if plan.steps() > MAX_GRID || plan.grid.train_size > MAX_GRID {
                return Err(usage("steps and training set size must be below 2^30"));
            }
            // What each trial draws from its random streams (T, N < 2^30, K < 2^32: no overflow).
            let (t, n, e) = (plan.steps() as u64, plan.grid.train_size as u64, plan.grid.epochs as u64);
            if let Dynamics::Continuous { substeps, noise: true } = plan.dynamics() {
                let normals = t * substeps as u64 * self.landscape.visit(Nodes) as u64;
                if normals > STREAM_LENGTH {
                    return Err(usage(format!(
                        "--steps {t} with --substeps {substeps} is out of range for sde: it draws T·K·M = {normals} \
                         normals per trial, more than a random stream's 2^34"
                    )));
                }
            }
            if plan.grid.shuffle && e * n > STREAM_LENGTH {
                return Err(usage(format!(
                    "--shuffle with --epochs {e} and --train-size {n} is out of range: it draws E·N = {} words \
                     per trial, more than a random stream's 2^34",
                    e * n
                )));
            }
        }
        if let Some(c) = &self.compare {
            if c.steps() != self.plan.steps() {
                return Err(usage("the compared optimizers must run the same number of steps"));
            }
        }
        Ok(())
    }
}

/// The largest `--diverge-at`. A trial is tallied only while |θ_i| and its
/// test and train loss are at most `diverge_at` = D, so every tallied value
/// is at most X = 4D in magnitude (θ and the losses D, the gap and a paired
/// difference of losses 2D, a paired difference of gaps 4D). Welford's update
/// ([`crate::stats::Moments`]) adds δ·(x − mean) ≤ 4X² and keeps M2, the sum
/// of squared deviations, below n·X², as does Chan's merge; with n < 2^32
/// trials, n·X² = 2^36·D² stays finite for D ≤ √(f64::MAX / 2^36) ≈ 5.1e148.
/// (The drift's mean conditional step, −η·G(θ), is not bounded by D.)
pub const MAX_DIVERGE_AT: f64 = 5e148;

/// `x` as a user would write it: `0.1`, `-1`, `1e308` (not 309 digits).
fn short(x: f64) -> String {
    let plain = x.to_string();
    if plain.len() <= 12 {
        plain
    } else {
        format!("{x:e}")
    }
}

/// M, the nodes of a landscape's quadrature rule (one SDE normal each per substep).
/// The test loss l(θ) = E_x l_x(θ) at a point of the landscape's dimension.
struct TestLossAt<'a>(&'a [f64]);

impl Visitor for TestLossAt<'_> {
    type Output = f64;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> f64 {
        l.test_loss(std::array::from_fn(|d| self.0[d]))
    }
}

struct Nodes;

impl Visitor for Nodes {
    type Output = usize;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> usize {
        l.rule().len()
    }
}

/// The grid flags as given (unset ones are `None`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GridFlags {
    pub steps: Option<usize>,
    pub train_size: Option<usize>,
    pub batch: Option<usize>,
    pub epochs: Option<usize>,
    pub shuffle: bool,
}

/// `--beta` when not given: the usual heavy-ball β.
pub const DEFAULT_BETA: f64 = 0.9;

/// `--lambda` when not given.
pub const DEFAULT_LAMBDA: f64 = 1.0;

/// Default N for `gd`.
pub const GD_TRAIN_SIZE: usize = 10;

impl GridFlags {
    /// The grid of `optimizer`, with `default_steps` when T is not given.
    ///
    /// SGD, SDE and ODE: T = E·N/B; any two of T, N, E fix the third
    /// (defaults B = 1, E = 1, T = the landscape's), except that N with B
    /// alone is refused (T open; see below). GD: N (default 10) points,
    /// every one in every one of the T steps; `--batch`, `--epochs` and
    /// `--shuffle` are SGD's (see [`GridFlags::sgd_only`]).
    ///
    /// Each flag must be below 2^30 ([`MAX_GRID`]: T and N are, and B ≤ N,
    /// E ≤ T), so that the products below cannot overflow; a grid whose
    /// T = E·N/B is out of that range is refused naming the flags.
    pub fn resolve(&self, optimizer: Optimizer, default_steps: usize) -> Result<Grid> {
        self.check_ranges()?;
        let b = self.batch.unwrap_or(1);
        if optimizer.full_batch() {
            return Grid::gd(self.train_size.unwrap_or(GD_TRAIN_SIZE), self.steps.unwrap_or(default_steps));
        }
        // Each factor is below 2^30 (check_ranges): no product overflows 64 bits.
        let product = |x: usize, y: usize, what: &str| -> Result<usize> {
            x.checked_mul(y).ok_or_else(|| usage(format!("{what} is out of range: steps must be below 2^30")))
        };
        let divide = |num: usize, den: usize, what: &str| -> Result<usize> {
            if den == 0 || !num.is_multiple_of(den) {
                Err(usage(format!(
                    "{what} is not a whole number: give --steps, --train-size, --batch and --epochs with T = E·N/B"
                )))
            } else {
                Ok(num / den)
            }
        };
        let (n, e) = match (self.train_size, self.epochs, self.steps) {
            (Some(n), Some(e), t) => {
                if let Some(t) = t {
                    if product(t, b, "T·B")? != product(e, n, "E·N")? {
                        return Err(usage(format!("--steps {t} disagrees with T = E·N/B = {e}·{n}/{b}")));
                    }
                }
                (n, e)
            }
            (Some(n), None, Some(t)) => (n, divide(product(t, b, "T·B")?, n, "E = T·B/N")?),
            (Some(n), None, None) => match self.batch {
                // N and B leave T open: T = N/B (one pass) and T = the
                // landscape's default are both defensible, so neither is
                // guessed (a sweep over B would compare different T).
                Some(b) => {
                    return Err(usage(format!(
                        "--train-size {n} with --batch {b} leaves T open: give --steps (T) or --epochs (E), with T = \
                         E·N/B (--epochs 1 is one pass)"
                    )))
                }
                None => (n, 1),
            },
            (None, e, t) => {
                let given = t.is_some();
                let e = e.unwrap_or(1);
                let t = t.unwrap_or(default_steps);
                if e == 0 && t != 0 {
                    return Err(usage(if given {
                        format!("--epochs 0 makes no steps, but --steps is {t}")
                    } else {
                        format!("--epochs 0 makes no steps, but T defaults to {t}: give --steps 0 for none")
                    }));
                }
                if t == 0 {
                    (b, 0)
                } else {
                    let n = divide(product(t, b, "T·B")?, e, "N = T·B/E")?;
                    if n > MAX_GRID {
                        return Err(usage(format!(
                            "N = T·B/E = {t}·{b}/{e} points is out of range (--steps, --batch, --epochs): a training \
                             set must have fewer than 2^30 points"
                        )));
                    }
                    (n, e)
                }
            }
        };
        Grid::new(n, b, e, self.shuffle)
    }

    /// Each given flag is at most [`MAX_GRID`].
    fn check_ranges(&self) -> Result<()> {
        let flags = [
            ("--steps", self.steps, "steps must be below 2^30"),
            ("--train-size", self.train_size, "a training set must have fewer than 2^30 points"),
            ("--batch", self.batch, "a batch divides the training set, which must have fewer than 2^30 points"),
            ("--epochs", self.epochs, "T = E·N/B is at least E, and steps must be below 2^30"),
        ];
        for (flag, value, why) in flags {
            if let Some(v) = value.filter(|&v| v > MAX_GRID) {
                return Err(usage(format!("{flag} {v} is out of range: {why}")));
            }
        }
        for (flag, value) in [("--train-size", self.train_size), ("--batch", self.batch)] {
            if value == Some(0) {
                return Err(usage(format!("{flag} must be at least 1")));
            }
        }
        Ok(())
    }

    /// Whether flags that only SGD-like grids use were given.
    pub fn sgd_only(&self) -> bool {
        self.batch.is_some() || self.epochs.is_some() || self.shuffle
    }

    /// The compared optimizer's grid: the primary's training set (N) and T.
    pub fn resolve_compare(&self, optimizer: Optimizer, primary: &Grid) -> Result<Grid> {
        let t = primary.steps();
        if optimizer.full_batch() {
            return Grid::gd(primary.train_size, t);
        }
        let flags = GridFlags { train_size: Some(primary.train_size), steps: Some(t), epochs: None, ..*self };
        flags.resolve(optimizer, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(steps: Option<usize>, n: Option<usize>, b: Option<usize>, e: Option<usize>) -> GridFlags {
        GridFlags { steps, train_size: n, batch: b, epochs: e, shuffle: false }
    }

    #[test]
    fn sgd_grids_resolve() {
        let g = flags(None, None, None, None).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!((g.train_size, g.batch, g.epochs), (10, 1, 1));
        let g = flags(None, Some(10), None, Some(3)).resolve(Optimizer::Sgd, 1).unwrap();
        assert_eq!((g.steps(), g.train_size), (30, 10));
        let g = flags(Some(20), Some(10), Some(2), None).resolve(Optimizer::Sgd, 1).unwrap();
        assert_eq!(g.epochs, 4);
        let g = flags(Some(0), None, None, None).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!((g.steps(), g.train_size), (0, 1));
        assert!(flags(Some(10), None, Some(3), Some(4)).resolve(Optimizer::Sgd, 1).is_err());
        assert!(flags(Some(7), Some(10), None, Some(1)).resolve(Optimizer::Sgd, 1).is_err());
        assert!(flags(None, Some(10), Some(3), None).resolve(Optimizer::Sgd, 1).is_err());
        // N and B without T or E: refused (was T = N/B = 2, silently), even where B divides N.
        let e = flags(None, Some(10), Some(5), None).resolve(Optimizer::Sgd, 10).unwrap_err().to_string();
        assert_eq!(
            e,
            "--train-size 10 with --batch 5 leaves T open: give --steps (T) or --epochs (E), with T = E·N/B \
             (--epochs 1 is one pass)"
        );
        let g = flags(None, Some(10), Some(5), Some(1)).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!(g.steps(), 2);
        // Without N, T keeps its default and N follows: N = T·B/E.
        let g = flags(None, None, Some(5), None).resolve(Optimizer::Sgd, 10).unwrap();
        assert_eq!((g.steps(), g.train_size), (10, 50));
    }

    #[test]
    fn gd_and_compare_share_the_training_set() {
        let f = flags(Some(10), None, None, None);
        let sgd = f.resolve(Optimizer::Sgd, 1).unwrap();
        let gd = f.resolve_compare(Optimizer::Gd, &sgd).unwrap();
        assert_eq!((gd.train_size, gd.batch, gd.steps()), (10, 10, 10));
        let f = flags(Some(5), Some(10), Some(2), None);
        let gd = f.resolve(Optimizer::Gd, 1).unwrap();
        let sgd = f.resolve_compare(Optimizer::Sgd, &gd).unwrap();
        assert!(sgd.steps() == 5 && sgd.train_size == 10 && sgd.batch == 2);
        assert!(f.sgd_only() && flags(None, None, None, None).resolve_compare(Optimizer::Sgd, &gd).is_err());
    }

    fn refusal(spec: Spec) -> String {
        let e = spec.resolve().expect_err("refused");
        assert!(matches!(e, crate::error::Error::Usage(_)));
        e.to_string()
    }

    /// Flags whose products overflowed ran with a wrapped T (`--train-size 2
    /// --epochs 2^63` gave T = 0); now each is refused naming the flags.
    #[test]
    fn grid_products_never_wrap() {
        let gauss = || Spec { trials: 1, ..Spec::new("gauss") };
        let e = refusal(Spec { train_size: Some(2), epochs: Some(1 << 63), ..gauss() });
        assert_eq!(
            e,
            "--epochs 9223372036854775808 is out of range: T = E·N/B is at least E, and steps must be below 2^30"
        );
        assert!(refusal(Spec { train_size: Some(2), epochs: Some((1 << 63) + 1), ..gauss() }).starts_with("--epochs"));
        assert!(refusal(Spec { steps: Some(usize::MAX), batch: Some(2), ..gauss() }).starts_with("--steps"));
        assert!(refusal(Spec { train_size: Some(1 << 30), ..gauss() }).starts_with("--train-size"));
        assert!(refusal(Spec { batch: Some(usize::MAX), epochs: Some(3), ..gauss() }).starts_with("--batch"));
        assert!(refusal(Spec { optimizer: Optimizer::Gd, steps: Some(1 << 40), ..gauss() }).starts_with("--steps"));
        // Each flag in range, their product not.
        let e = refusal(Spec { train_size: Some(1 << 29), epochs: Some(4), ..gauss() });
        assert!(e.contains("4·536870912/1") && e.contains("(--epochs, --train-size, --batch)"), "{e}");
        let big = Spec { steps: Some(MAX_GRID), batch: Some(MAX_GRID), epochs: Some(1), ..gauss() };
        assert!(refusal(big).contains("(--steps, --batch, --epochs)"));
        // The largest grid still resolves.
        assert_eq!(
            Spec { train_size: Some(2), epochs: Some(MAX_GRID / 2), ..gauss() }.resolve().unwrap().plan.steps(),
            MAX_GRID - 1
        );
    }

    /// A trial's random streams hold 2^34 elements; a run that would draw
    /// more (and so repeat them) is refused.
    #[test]
    fn random_streams_are_not_overdrawn() {
        let sde = |optimizer, k| Spec { optimizer, steps: Some(1000), substeps: k, trials: 1, ..Spec::new("gauss") };
        // gauss has M = 3 nodes: 1000 · 2^22 · 3 < 2^34 < 1000 · 2^23 · 3.
        assert!(sde(Optimizer::Sde, 1 << 22).resolve().is_ok());
        let e = refusal(sde(Optimizer::Sde, 1 << 23));
        assert!(e.starts_with("--steps 1000 with --substeps 8388608 is out of range for sde"), "{e}");
        assert!(sde(Optimizer::Ode, u32::MAX).resolve().is_ok(), "the ODE draws no noise");
        let shuffled = |e| Spec {
            train_size: Some(1 << 20),
            batch: Some(1 << 20),
            epochs: Some(e),
            shuffle: true,
            trials: 1,
            ..Spec::new("gauss")
        };
        assert!(shuffled(1 << 14).resolve().is_ok());
        assert!(refusal(shuffled((1 << 14) + 1)).starts_with("--shuffle with --epochs 16385 and --train-size 1048576"));
    }

    /// `--diverge-at 1e308` gave means of 1e307 with SE n/a: the variances
    /// overflowed. At the bound, the most a tally can meet stays finite.
    #[test]
    fn moments_below_the_largest_diverge_at_stay_finite() {
        let bound = (f64::MAX / 2f64.powi(36)).sqrt();
        assert!(MAX_DIVERGE_AT <= bound && MAX_DIVERGE_AT > 0.97 * bound);
        // A paired difference of gaps reaches 4·D; Welford's M2 reaches n·X².
        let x = 4.0 * MAX_DIVERGE_AT;
        assert!((u32::MAX as f64 * x * x).is_finite());
        let mut m = crate::stats::Moments::default();
        for i in 0..1001 {
            m.push(if i % 2 == 0 { x } else { -x });
        }
        let mut merged = m;
        merged.merge(&crate::stats::Moments { n: 1000, mean: -x, m2: 0.0 });
        for s in [m.summary(), merged.summary()] {
            assert!(s.mean.is_finite() && s.stderr.is_finite() && s.ci95.iter().all(|c| c.is_finite()), "{s:?}");
        }
        let e = refusal(Spec { diverge_at: 1e308, ..Spec::new("gauss") });
        assert!(e.starts_with("--diverge-at must be positive and at most 5e148") && e.ends_with("got 1e308"), "{e}");
        assert!(Spec { diverge_at: MAX_DIVERGE_AT, trials: 1, ..Spec::new("gauss") }.resolve().is_ok());
        assert!(refusal(Spec { diverge_at: f64::INFINITY, ..Spec::new("gauss") }).ends_with("got inf"));
    }

    #[test]
    fn record_count_is_the_recorded_steps() {
        for (steps, k) in [(0, 1), (10, 1), (10, 3), (10, 10), (10, 11), (12, 4), (1, 2)] {
            let exp =
                Spec { steps: Some(steps), record_every: Some(k), trials: 1, ..Spec::new("gauss") }.resolve().unwrap();
            assert_eq!(exp.record_count(), exp.record_steps().len(), "T = {steps}, k = {k}");
        }
        assert_eq!(Spec::new("gauss").resolve().unwrap().record_count(), 0);
    }

    #[test]
    fn shape_is_what_the_cpu_allocates() {
        let exp = Spec {
            optimizer: Optimizer::Sde,
            substeps: 7,
            compare: Some(Optimizer::Sgd.into()),
            train_size: Some(12),
            steps: Some(12),
            record_every: Some(5),
            trials: 100,
            ..Spec::new("valley-of-death")
        }
        .resolve()
        .unwrap();
        let s = exp.shape();
        assert_eq!((s.dim, s.trials, s.records), (2, 100, 4));
        let sde = PlanShape { train_size: 12, shuffle: false, noise_substeps: 7, nodes: 5 };
        assert_eq!(s.plans, [sde, PlanShape { noise_substeps: 0, ..sde }]);
    }
}
