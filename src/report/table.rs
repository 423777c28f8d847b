//! The human-readable report: a header line and a small table per optimizer.
//! A final mean whose CI cannot be taken at face value (a heavy tail, the
//! precision floor) is marked `!` and explained in a line below its table.

use super::{CurvePoint, DriftReport, Metrics, RunReport, Theory, SURVIVORSHIP};
use crate::stats::{Interval, Proportion, Summary};
use std::fmt::Write;

/// Decimals that show a mean to about two significant digits of its SE.
fn decimals(se: f64) -> usize {
    if !(se.is_finite() && se > 0.0) {
        return 6;
    }
    ((1.0 - se.log10().floor()) as i64).clamp(0, 16) as usize
}

/// The decimals of a summary's row: those of its SE, or of its CI's
/// half-width where the precision floor widened it (so that the interval's
/// ends differ on the page).
fn row_decimals(s: &Summary) -> usize {
    decimals(s.warnings.floor.map_or(s.stderr, |f| f.max(s.stderr)))
}

fn num(x: f64, dec: usize) -> String {
    if x.is_finite() {
        format!("{x:.dec$}")
    } else {
        "n/a".to_string()
    }
}

/// A predicted value: 7 decimals, in scientific notation from 10⁹, and
/// "overflow" where it is not finite.
fn prediction_cell(x: f64) -> String {
    match x {
        x if !x.is_finite() => "overflow".into(),
        x if x.abs() >= 1e9 => format!("{x:.6e}"),
        x => format!("{x:.7}"),
    }
}

/// A z score, or n/a where it is not defined (no uncertainty to scale by).
fn z_cell(z: f64, width: usize) -> String {
    if z.is_finite() {
        format!("{z:>width$.2}")
    } else {
        format!("{:>width$}", "n/a")
    }
}

/// The warnings of a block's rows: (sentence, labels of the rows it is for).
#[derive(Default)]
struct Notes(Vec<(String, Vec<String>)>);

impl Notes {
    fn add(&mut self, label: &str, s: &Summary) {
        for sentence in s.warnings.sentences() {
            match self.0.iter_mut().find(|(x, _)| *x == sentence) {
                Some((_, labels)) => labels.push(label.to_string()),
                None => self.0.push((sentence, vec![label.to_string()])),
            }
        }
    }

    /// One line per warning, below the table.
    fn write(self, out: &mut String) {
        for (sentence, labels) in self.0 {
            let _ = writeln!(out, "  ! {}: {sentence}", labels.join(", "));
        }
    }
}

fn line(out: &mut String, label: &str, s: &Summary, notes: &mut Notes) {
    let d = row_decimals(s);
    let se = if s.stderr.is_finite() { format!("{:.2e}", s.stderr) } else { "n/a".into() };
    let ci = format!("[{}, {}]", num(s.ci95[0], d), num(s.ci95[1], d));
    let mark = if s.warnings.is_empty() { "" } else { " !" };
    let _ = writeln!(out, "  {label:<12} {:>16}  {se:>9}  {ci}{mark}", num(s.mean, d));
    notes.add(label, s);
}

/// The final means; headed "survivors' mean" where most trials diverged
/// (`crate::report::SURVIVORSHIP`).
fn metrics(out: &mut String, weights: &[String], m: &Metrics, interval: Interval, diverged: Proportion) {
    let mean = if diverged.rate > SURVIVORSHIP { "survivors' mean" } else { "mean" };
    let _ = writeln!(out, "  {:<12} {mean:>16}  {:>9}  95% CI ({})", "", "stderr", interval.name());
    let mut notes = Notes::default();
    line(out, "test loss", &m.test_loss, &mut notes);
    line(out, "train loss", &m.train_loss, &mut notes);
    line(out, "gen gap", &m.gen_gap, &mut notes);
    for (w, s) in weights.iter().zip(&m.theta) {
        line(out, w, s, &mut notes);
    }
    notes.write(out);
}

/// At most about a dozen evenly spaced rows of the curve.
fn curve(out: &mut String, weights: &[String], c: &[CurvePoint]) {
    if c.is_empty() {
        return;
    }
    let stride = c.len().div_ceil(12);
    let _ = write!(out, "  {:>8} {:>22} {:>22}", "step", "test loss ± se", "gen gap ± se");
    for w in weights {
        let _ = write!(out, " {:>22}", format!("{w} ± se"));
    }
    let _ = writeln!(out);
    let cell = |s: &Summary| format!("{} ± {:.1e}", num(s.mean, decimals(s.stderr)), s.stderr);
    for (i, p) in c.iter().enumerate() {
        if !i.is_multiple_of(stride) && i + 1 != c.len() {
            continue;
        }
        let _ = write!(out, "  {:>8} {:>22} {:>22}", p.step, cell(&p.test_loss), cell(&p.gen_gap));
        for s in &p.theta {
            let _ = write!(out, " {:>22}", cell(s));
        }
        let _ = writeln!(out);
    }
    if stride > 1 {
        let _ = writeln!(out, "  ({} recorded steps; all of them in --json and --csv)", c.len());
    }
}

/// "diverged: k of n (j non-finite, the rest past |·| > limit)".
fn diverged(k: u64, nonfinite: u64, n: u64, limit: f64) -> String {
    if k == 0 {
        return format!("diverged: 0 of {n}");
    }
    format!(
        "diverged: {k} of {n} ({:.2}%), excluded from the means: {nonfinite} non-finite, {} past |θ| or |loss| > \
         {limit:e}",
        100.0 * k as f64 / n as f64,
        k - nonfinite
    )
}

/// The prediction beside the measurement, with z = (MC − theory)/SE.
fn theory(out: &mut String, weights: &[String], t: &Theory) {
    let kind = match t.resummed {
        None => "η-expansion".to_string(),
        Some(mode) => format!("re-summed ({})", mode.name()),
    };
    let _ =
        writeln!(out, "  {:<12} {:>16}  {:>9}   (theory: {kind} to order {} at θ₀)", "", "prediction", "z", t.order);
    let row = |out: &mut String, label: &str, value: f64, z: f64| {
        let _ = writeln!(out, "  {label:<12} {:>16}  {}", prediction_cell(value), z_cell(z, 9));
    };
    row(out, "test loss", t.test_loss, t.z.test_loss);
    row(out, "train loss", t.train_loss, t.z.train_loss);
    row(out, "gen gap", t.gen_gap, t.z.gen_gap);
    for ((w, v), z) in weights.iter().zip(&t.theta).zip(&t.z.theta) {
        row(out, w, *v, *z);
    }
}

/// The drift per step over the late window, beside the predictions.
fn drift(out: &mut String, weights: &[String], r: &DriftReport) {
    let _ = writeln!(
        out,
        "  drift per step over steps {}..{} ({} records; per-trial estimators, SE over trials)",
        r.from_step, r.to_step, r.records
    );
    let theory = r.theory.as_ref();
    let _ = write!(out, "  {:<12} {:>22}", "", "LS slope ± se");
    if r.conditional.is_some() {
        let _ = write!(out, " {:>22}", "−η G(θ) ± se");
    }
    if let Some(t) = theory {
        let _ = write!(out, " {:>14} {:>9} {:>7}", format!("re-summed o{}", t.order), "MC/th − 1", "z");
    }
    let _ = writeln!(out);
    let cell = |s: &Summary| format!("{:.5e} ± {:.1e}", s.mean, s.stderr);
    let best = r.best(theory.map(|t| (&t.expected_slope[..], t.expected_conditional.as_deref())));
    for (i, w) in weights.iter().enumerate() {
        let _ = write!(out, "  {w:<12} {:>22}", cell(&r.slope[i]));
        if let Some(c) = &r.conditional {
            let _ = write!(out, " {:>22}", cell(&c[i]));
        }
        if let (Some(_), (m, Some(e))) = (theory, best[i]) {
            let relative = if e != 0.0 { format!("{:+.2}%", 100.0 * (m.mean / e - 1.0)) } else { "".into() };
            let _ = write!(out, " {e:>14.5e} {relative:>9} {}", z_cell(m.z(e), 7));
        }
        let _ = writeln!(out);
    }
    let Some(t) = theory else { return };
    let _ = writeln!(
        out,
        "  (theory: each estimator applied to the engine's E[θ(t)]; the one with the smaller SE compared; \
         velocity at T: {})",
        weights.iter().zip(&t.velocity).map(|(w, v)| format!("{w} {v:.5e}")).collect::<Vec<_>>().join(", ")
    );
    let cells: Vec<String> = weights
        .iter()
        .zip(t.error_estimate.iter().zip(&t.consistent))
        .map(|(w, (e, ok))| format!("{w} ±{e:.1e}, {}", if *ok { "consistent" } else { "NOT consistent" }))
        .collect();
    let _ = writeln!(
        out,
        "  theory's own error η·|v| (the omitted diagrams are a relative O(η)); MC within 3 SE plus it: {}",
        cells.join("; ")
    );
    if let Some((c, relative)) = t.corollary_1.as_ref().zip(t.leading_relative_error.as_ref()) {
        for (i, w) in weights.iter().enumerate().filter(|&(i, _)| c.leading[i] != 0.0) {
            let _ = writeln!(
                out,
                "  Corollary 1 along {w}: leading law {:.5e} ({:+.2}% off the measurement), discrete {:.5e}",
                c.leading[i],
                100.0 * relative[i],
                c.resummed[i]
            );
        }
    }
}

/// The report as text.
pub fn render(r: &RunReport) -> String {
    let mut out = String::new();
    let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let params = if params.is_empty() { String::new() } else { format!(" ({})", params.join(", ")) };
    let params = match &r.law {
        Some(law) => format!("{params} · x ~ {law}"),
        None => params,
    };
    let _ = writeln!(
        out,
        "{}{params} · {} · η = {}{} · T = {} (N = {}, B = {}, E = {}{}){} · {} trials · seed {} · {} · {:.2} s",
        r.landscape,
        r.optimizer.name(),
        r.eta,
        if r.schedule == "constant" { String::new() } else { format!(" ({} schedule)", r.schedule) },
        r.steps,
        r.train_size,
        r.batch,
        r.epochs,
        if r.shuffle { ", shuffled" } else { "" },
        r.substeps.map(|k| format!(" · K = {k}")).unwrap_or_default(),
        r.trials,
        r.seed,
        match &r.adapter {
            Some(adapter) => format!("gpu: {adapter}"),
            None => format!("cpu ({} threads)", r.threads),
        },
        r.elapsed_s
    );
    if let Some(s) = &r.shard {
        let shards: Vec<String> = s.shards.iter().map(|s| s.to_string()).collect();
        let held = s.held();
        if held == (0..s.chunks) {
            let _ = writeln!(out, "merged from shards {}", shards.join(", "));
        } else {
            let _ = writeln!(
                out,
                "shard {}: chunks {}..{} of {} (the numbers are over these trials; `simsgd merge` combines the shards' --json reports)",
                shards.join(", "),
                held.start,
                held.end,
                s.chunks
            );
        }
    }
    let _ = writeln!(out);
    let name = r.paired.as_ref().map_or(r.optimizer.name().to_string(), |p| p.labels[0].clone());
    let _ = writeln!(out, "{name} ({})", diverged(r.diverged, r.diverged_nonfinite, r.trials, r.diverge_at));
    metrics(&mut out, &r.weights, &r.metrics, r.interval, r.divergence);
    if let Some(t) = &r.theory {
        theory(&mut out, &r.weights, t);
    }
    curve(&mut out, &r.weights, &r.curve);
    if let Some(d) = &r.drift {
        drift(&mut out, &r.weights, d);
    }
    if let Some(p) = &r.paired {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} on {} (N = {}, B = {}, E = {}{}; {})",
            p.labels[1],
            match p.substeps {
                Some(_) => "the same trials (its noise is its own; its train loss on the same training sets)",
                None => "the same training sets",
            },
            p.train_size,
            p.batch,
            p.epochs,
            if p.shuffle { ", shuffled" } else { "" },
            diverged(p.diverged, p.diverged_nonfinite, r.trials, r.diverge_at),
        );
        metrics(&mut out, &r.weights, &p.metrics, r.interval, Proportion::new(p.diverged, r.trials));
        if let Some(t) = &p.theory {
            theory(&mut out, &r.weights, t);
        }
        curve(&mut out, &r.weights, &p.curve);
        if let Some(d) = &p.drift {
            drift(&mut out, &r.weights, d);
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "paired difference {} − {} (trials where neither diverged)", p.labels[0], p.labels[1]);
        let mut notes = Notes::default();
        line(&mut out, "test loss", &p.test_loss_diff, &mut notes);
        line(&mut out, "gen gap", &p.gen_gap_diff, &mut notes);
        notes.write(&mut out);
        if let Some(t) = &r.theory {
            let predicted = |v: Option<f64>, z: Option<f64>| {
                format!("{} (z = {})", num(v.unwrap_or(f64::NAN), 7), z_cell(z.unwrap_or(f64::NAN), 0))
            };
            let _ = writeln!(
                out,
                "  theory: test loss {}, gen gap {}",
                predicted(t.test_loss_diff, t.z.test_loss_diff),
                predicted(t.gen_gap_diff, t.z.gen_gap_diff)
            );
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out);
    }
    out + &super::predict::warning_lines(&r.warnings)
}

/// A sweep's summary: a line per point with its swept values, seed, test
/// loss (and its prediction's z), divergence and warnings.
pub fn sweep_summary(reports: &[RunReport]) -> String {
    let mut out = String::new();
    let Some(place) = reports.first().and_then(|r| r.sweep.as_ref()) else { return out };
    let seeds = if place.same_seed {
        format!("every point on seed {} (--same-seed: common random numbers)", place.base_seed)
    } else {
        format!("each point its own seed stream, derived from --seed {} and the point", place.base_seed)
    };
    let _ = writeln!(out, "\nsweep: {} points; {seeds}", place.points);
    let names: Vec<&String> = place.at.keys().collect();
    for name in &names {
        let _ = write!(out, "  {name:>10}");
    }
    let _ = writeln!(out, " {:>20}  {:>26}  {:>9}  {:>9}  warnings", "seed", "test loss ± se", "theory z", "diverged");
    for r in reports {
        let Some(p) = &r.sweep else { continue };
        for name in &names {
            let x = p.at[*name];
            let x = if x == 0.0 || (1e-4..1e6).contains(&x.abs()) { x.to_string() } else { format!("{x:e}") };
            let _ = write!(out, "  {x:>10}");
        }
        let s = &r.metrics.test_loss;
        let se = if s.stderr.is_finite() { format!("{:.1e}", s.stderr) } else { "n/a".into() };
        let loss = format!("{} ± {se}", num(s.mean, decimals(s.stderr)));
        let z = r.theory.as_ref().map_or("".into(), |t| z_cell(t.z.test_loss, 9));
        let _ = writeln!(out, " {:>20}  {loss:>26}  {z:>9}  {:>9}  {}", r.seed, r.diverged, r.warnings.len());
    }
    out
}
