//! `simsgd predict`'s output: the coefficients as a table (and, with
//! `--explain`, the diagrams behind each), or one JSON object.

use crate::landscape::Description;
use crate::plan::Plan;
use crate::theory::corollary::Corollaries;
use crate::theory::predict::Prediction;
use serde_json::{json, Value};
use std::fmt::Write;

/// A coefficient: about ten significant digits, fixed-point where readable.
fn coefficient(x: f64) -> String {
    let x = x + 0.0; // −0 prints as 0
    if x == 0.0 || (1e-3..1e7).contains(&x.abs()) {
        let digits = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
        format!("{x:.*}", (9 - digits).clamp(1, 10) as usize)
    } else {
        format!("{x:.9e}")
    }
}

/// The JSON object: the run's parameters, `order`, `coefficients{…}` and
/// `prediction{…}` (E[X] = Σ c_k η^k), and `terms` with `explain`.
pub fn json(d: &Description, init: &[f64], plan: &Plan, p: &Prediction, explain: bool) -> Value {
    let (test, train, gap, theta) = p.at(plan.eta);
    let grid = &plan.grid;
    let mut v = json!({
        "landscape": d.name,
        "params": d.params.iter().map(|(p, v)| (p.name.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "init": init,
        "optimizer": plan.optimizer,
        "eta": plan.eta,
        "steps": plan.steps(),
        "train_size": grid.train_size,
        "batch": grid.batch,
        "epochs": grid.epochs,
        "shuffle": grid.shuffle,
        "substeps": plan.substeps,
        "order": p.order,
        "prediction": { "test_loss": test, "train_loss": train, "gen_gap": gap, "theta": theta },
    });
    let per_order =
        json!({ "test_loss": p.test_loss, "train_loss": p.train_loss, "gen_gap": p.gen_gap, "theta": p.theta });
    match p.resummed {
        None => v["coefficients"] = per_order,
        Some(mode) => v["resummed"] = json!({ "mode": mode, "contributions": per_order, "velocity": p.velocity }),
    }
    if explain {
        v["terms"] = serde_json::to_value(&p.terms).expect("serialisable");
    }
    v
}

/// The table of coefficients and truncated values, and the terms with `explain`.
pub fn text(d: &Description, plan: &Plan, p: &Prediction, explain: bool) -> String {
    let (test, train, gap, theta) = p.at(plan.eta);
    let grid = &plan.grid;
    let (what, column) = match p.resummed {
        None => ("E[X] = Σ c_k η^k".to_string(), "c"),
        Some(mode) => (format!("re-summed ({}): E[X] = Σ of each order's contribution at η", mode.name()), "order "),
    };
    let mut out = format!(
        "{} · {} · η = {} · T = {} (N = {}, B = {}, E = {}{}) · order {} · {what}\n",
        d.name,
        plan.optimizer.name(),
        plan.eta,
        plan.steps(),
        grid.train_size,
        grid.batch,
        grid.epochs,
        if grid.shuffle { ", shuffled" } else { "" },
        p.order
    );
    let header: String = (0..=p.order).map(|k| format!("{:>18}", format!("{column}{k}"))).collect();
    let _ = writeln!(out, "  {:<12}{header}{:>18}", "", if p.resummed.is_some() { "total" } else { "at η" });
    let mut row = |label: &str, c: &[f64], v: f64| {
        let cells: String = c.iter().map(|&x| format!("{:>18}", coefficient(x))).collect();
        let _ = writeln!(out, "  {label:<12}{cells}{:>18}", coefficient(v));
    };
    row("test loss", &p.test_loss, test);
    row("train loss", &p.train_loss, train);
    row("gen gap", &p.gen_gap, gap);
    for ((w, c), v) in d.weights.iter().zip(&p.theta).zip(&theta) {
        row(w, c, *v);
    }
    if let Some(velocity) = &p.velocity {
        let cells: Vec<String> =
            d.weights.iter().zip(velocity).map(|(w, v)| format!("{w} {}", coefficient(*v))).collect();
        let _ = writeln!(out, "  drift of the last step E[θ_T − θ_(T−1)]: {}", cells.join(", "));
    }
    if explain {
        out.push_str(&terms(p));
    }
    out
}

/// "u a, v b, ..." for a vector over the weights.
fn per_weight(d: &Description, v: &[f64]) -> String {
    d.weights.iter().zip(v).map(|(w, x)| format!("{w} {}", coefficient(*x))).collect::<Vec<_>>().join(", ")
}

/// The corollaries that apply, one paragraph each (docs/THEORY.md derives them).
pub fn corollaries(d: &Description, c: &Corollaries) -> String {
    let mut out = String::new();
    if c.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n  corollaries (docs/THEORY.md):");
    if let Some(v) = &c.valley_drift {
        let _ = writeln!(
            out,
            "  1. drift per step along the valley of minima, −(η/2) J:Σ: leading law {}; discrete {}",
            per_weight(d, &v.leading),
            per_weight(d, &v.resummed)
        );
    }
    if let Some(g) = c.tic_gap {
        let _ = writeln!(out, "  2. GD's gap as T → ∞, tr(C H⁻¹)/N (TIC; AIC's d/N where C = H): {}", coefficient(g));
    }
    if let Some(e) = &c.epochs {
        let _ = writeln!(
            out,
            "  4. {} epochs at η minus one epoch at {}: test loss {}; θ {}",
            e.epochs,
            e.one_epoch_eta,
            coefficient(e.test_loss_diff),
            per_weight(d, &e.theta_diff)
        );
        if let Some(law) = &e.theta_law {
            let _ = writeln!(out, "     η² law (M−1)N/(2M)·(Mη)²·E[h g]: θ {}", per_weight(d, law));
        }
    }
    if let Some(k) = &c.continuous {
        let _ = writeln!(
            out,
            "  5. test loss, SGD − SDE (K = {}): {}; SGD − ODE: {}",
            k.substeps,
            coefficient(k.sgd_minus_sde),
            coefficient(k.sgd_minus_ode)
        );
        if let Some(cs) = &k.sgd_minus_sde_coefficients {
            let cells: Vec<String> = cs.iter().enumerate().map(|(i, x)| format!("c{i} {}", coefficient(*x))).collect();
            let _ = writeln!(out, "     SGD − SDE coefficients: {}", cells.join(", "));
        }
    }
    out
}

/// Relative size below which `--explain` hides a diagram (JSON keeps it).
const NEGLIGIBLE: f64 = 1e-12;

/// Each coefficient's diagrams, largest contribution first.
fn terms(p: &Prediction) -> String {
    let mut out = String::from(
        "\n  diagrams: L = the loss at θ_T (test: fresh sample; L_a: the train loss's training point a), each\n  \
         letter a gradient step on that sample, its children in parentheses (earlier steps);\n  \
         embeddings × value = contribution to c_k\n",
    );
    for observable in ["test_loss", "train_loss"] {
        for k in 0..=p.order {
            let mut ts: Vec<_> = p.terms.iter().filter(|t| t.observable == observable && t.order == k).collect();
            if ts.is_empty() {
                continue;
            }
            ts.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            let total: f64 = ts.iter().map(|t| t.contribution).sum();
            let _ = writeln!(out, "\n  {observable} c{k} = {}", coefficient(total));
            // Diagrams that vanish but for rounding (e.g. G = 0 at a minimum).
            let largest = ts[0].contribution.abs();
            let shown = ts.iter().take_while(|t| t.contribution.abs() > NEGLIGIBLE * largest).count();
            for t in &ts[..shown] {
                let share =
                    if total != 0.0 { format!("{:>7.1}%", 100.0 * t.contribution / total) } else { String::new() };
                let _ = writeln!(
                    out,
                    "    {:<36} {:>16} × {:>16} = {:>16} {share}",
                    t.diagram,
                    coefficient(t.embeddings),
                    coefficient(t.value),
                    coefficient(t.contribution)
                );
            }
            if shown < ts.len() {
                let _ =
                    writeln!(out, "    ({} diagrams below {NEGLIGIBLE:e} of the largest not shown)", ts.len() - shown);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::coefficient;

    #[test]
    fn coefficients_are_readable() {
        assert_eq!(coefficient(-0.0), "0.000000000");
        assert_eq!(coefficient(800.0), "800.0000000");
        assert_eq!(coefficient(-11841.6), "-11841.60000");
        assert_eq!(coefficient(4.78891429933101e20), "4.788914299e20");
        assert_eq!(coefficient(2.5e-7), "2.500000000e-7");
    }
}
