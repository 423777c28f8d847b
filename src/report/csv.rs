//! The run (or a sweep's runs) as a tidy CSV: one row per (point,
//! optimizer, kind, observable, step), each row describing itself.
//!
//! Columns: `optimizer, arm, kind, observable, step, n, mean, stderr,
//! ci95_lo, ci95_hi, theory`, then the resolved spec of the row's arm: `diverged`
//! (its diverged trials), `landscape`, the landscape's parameters by name,
//! `eta, schedule, steps, train_size, batch, epochs, shuffle, substeps, beta,
//! nesterov, lambda, trials, seed, backend, version` (empty where they do
//! not apply; whole numbers as such). `kind` is `final` (θ_T and the losses after T steps),
//! `curve` (`--record-every`), `drift_slope` and `drift_conditional` (the
//! drift per step over the late window, at its last step) or `paired`
//! (primary − compared, optimizer `a-b`). `arm` is `primary`, `compared`
//! (`--compare`'s arm) or `paired`. `theory` is the prediction (`--theory`)
//! on the final rows of each arm, the paired rows and the drift rows (what
//! the estimator reads on the re-summed E[θ(t)]), empty elsewhere.

use super::{CurvePoint, DriftReport, Metrics, RunReport, Theory, UpdateParams};
use crate::stats::Summary;

struct Rows {
    out: csv::Writer<Vec<u8>>,
    /// The optimizer and arm columns of the rows being written.
    optimizer: String,
    arm: &'static str,
    /// The spec columns of the rows being written.
    spec: Vec<String>,
}

/// The spec columns' names after the measurement's, for `params`.
fn spec_header(params: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = ["diverged", "landscape"].map(String::from).to_vec();
    h.extend(params.iter().map(|p| p.to_string()));
    h.extend(
        [
            "eta",
            "schedule",
            "steps",
            "train_size",
            "batch",
            "epochs",
            "shuffle",
            "substeps",
            "beta",
            "nesterov",
            "lambda",
            "trials",
            "seed",
            "backend",
            "version",
        ]
        .map(String::from),
    );
    h
}

/// An optional value's cell: empty where it does not apply.
fn cell<T: ToString>(x: Option<T>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

/// The spec columns of an arm of `r`: its optimizer's settings (`arm`:
/// diverged, η, N, B, E, shuffle, K, β, Nesterov, λ), the rest the run's.
fn spec_cells(r: &RunReport, arm: Arm) -> Vec<String> {
    let mut c = vec![arm.diverged.to_string(), r.landscape.to_string()];
    c.extend(r.params.values().map(|v| v.to_string()));
    c.extend([
        arm.eta.to_string(),
        arm.schedule.to_string(),
        r.steps.to_string(),
        arm.train_size.to_string(),
        arm.batch.to_string(),
        arm.epochs.to_string(),
        arm.shuffle.to_string(),
        cell(arm.substeps),
        cell(arm.update.beta),
        cell(arm.update.nesterov),
        cell(arm.update.lambda),
        r.trials.to_string(),
        r.seed.to_string(),
        r.backend.clone(),
        r.version.to_string(),
    ]);
    c
}

/// What differs between a run's two arms.
#[derive(Clone, Copy)]
struct Arm<'a> {
    diverged: u64,
    eta: f64,
    schedule: &'a str,
    train_size: usize,
    batch: usize,
    epochs: usize,
    shuffle: bool,
    substeps: Option<u32>,
    update: UpdateParams,
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:e}")
    } else {
        String::new()
    }
}

impl Rows {
    /// The next rows are `optimizer`'s, of `arm`, with `spec`'s cells.
    fn arm(&mut self, optimizer: &str, arm: &'static str, spec: Vec<String>) {
        (self.optimizer, self.arm, self.spec) = (optimizer.to_string(), arm, spec);
    }

    fn row(&mut self, kind: &str, observable: &str, step: usize, s: &Summary, theory: Option<f64>) {
        let record = [
            self.optimizer.clone(),
            self.arm.to_string(),
            kind.to_string(),
            observable.to_string(),
            step.to_string(),
            s.n.to_string(),
            num(s.mean),
            num(s.stderr),
            num(s.ci95[0]),
            num(s.ci95[1]),
            theory.map(num).unwrap_or_default(),
        ];
        self.out.write_record(record.iter().chain(&self.spec)).expect("writing to memory");
    }

    fn metrics(&mut self, step: usize, weights: &[String], m: &Metrics, theory: Option<&Theory>) {
        self.row("final", "test_loss", step, &m.test_loss, theory.map(|t| t.test_loss));
        self.row("final", "train_loss", step, &m.train_loss, theory.map(|t| t.train_loss));
        self.row("final", "gen_gap", step, &m.gen_gap, theory.map(|t| t.gen_gap));
        for (d, (w, s)) in weights.iter().zip(&m.theta).enumerate() {
            self.row("final", w, step, s, theory.map(|t| t.theta[d]));
        }
    }

    fn curve(&mut self, weights: &[String], curve: &[CurvePoint]) {
        for c in curve {
            self.row("curve", "test_loss", c.step, &c.test_loss, None);
            self.row("curve", "train_loss", c.step, &c.train_loss, None);
            self.row("curve", "gen_gap", c.step, &c.gen_gap, None);
            for (w, s) in weights.iter().zip(&c.theta) {
                self.row("curve", w, c.step, s, None);
            }
        }
    }

    fn drift(&mut self, weights: &[String], d: Option<&DriftReport>) {
        let Some(d) = d else { return };
        let t = d.theory.as_ref();
        let expected = [t.map(|t| &t.expected_slope), t.and_then(|t| t.expected_conditional.as_ref())];
        for ((kind, estimates), expected) in
            [("drift_slope", Some(&d.slope)), ("drift_conditional", d.conditional.as_ref())].into_iter().zip(expected)
        {
            for (i, s) in estimates.into_iter().flatten().enumerate() {
                self.row(kind, &weights[i], d.to_step, s, expected.map(|e| e[i]));
            }
        }
    }
}

/// The reports' CSV text (one header; the reports of one sweep share their
/// landscape and so their parameter columns).
pub fn render(reports: &[RunReport]) -> Vec<u8> {
    let mut rows =
        Rows { out: csv::Writer::from_writer(Vec::new()), optimizer: String::new(), arm: "", spec: Vec::new() };
    let header =
        ["optimizer", "arm", "kind", "observable", "step", "n", "mean", "stderr", "ci95_lo", "ci95_hi", "theory"];
    let params: Vec<&str> = reports.first().map(|r| r.params.keys().map(String::as_str).collect()).unwrap_or_default();
    let spec = spec_header(&params);
    rows.out.write_record(header.iter().copied().chain(spec.iter().map(String::as_str))).expect("writing to memory");
    for r in reports {
        report(&mut rows, r);
    }
    rows.out.into_inner().expect("writing to memory")
}

/// One report's rows.
fn report(rows: &mut Rows, r: &RunReport) {
    let primary = Arm {
        diverged: r.diverged,
        eta: r.eta,
        schedule: &r.schedule,
        train_size: r.train_size,
        batch: r.batch,
        epochs: r.epochs,
        shuffle: r.shuffle,
        substeps: r.substeps,
        update: r.update,
    };
    let a = r.optimizer.name();
    rows.arm(a, "primary", spec_cells(r, primary));
    rows.metrics(r.steps, &r.weights, &r.metrics, r.theory.as_ref());
    rows.curve(&r.weights, &r.curve);
    rows.drift(&r.weights, r.drift.as_ref());
    if let Some(p) = &r.paired {
        let b = p.optimizer.name();
        let compared = Arm {
            diverged: p.diverged,
            eta: p.eta,
            schedule: &p.schedule,
            train_size: p.train_size,
            batch: p.batch,
            epochs: p.epochs,
            shuffle: p.shuffle,
            substeps: p.substeps,
            update: p.update,
        };
        rows.arm(b, "compared", spec_cells(r, compared));
        rows.metrics(r.steps, &r.weights, &p.metrics, p.theory.as_ref());
        rows.curve(&r.weights, &p.curve);
        rows.drift(&r.weights, p.drift.as_ref());
        // The paired rows: the primary's spec; their diverged trials are
        // those of either arm (the differences are over the rest).
        rows.arm(
            &format!("{a}-{b}"),
            "paired",
            spec_cells(r, Arm { diverged: r.trials - p.test_loss_diff.n, ..primary }),
        );
        let theory = r.theory.as_ref();
        rows.row("paired", "test_loss", r.steps, &p.test_loss_diff, theory.and_then(|t| t.test_loss_diff));
        rows.row("paired", "gen_gap", r.steps, &p.gen_gap_diff, theory.and_then(|t| t.gen_gap_diff));
    }
}
