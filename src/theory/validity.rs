//! When a prediction is not to be taken at face value: the η-series used far
//! from η = 0, a predicted test loss under the loss's floor, and a
//! disagreement with Monte Carlo far beyond its SE. Each is one sentence,
//! printed under the table and listed in JSON `warnings` (`predict`,
//! `run --theory`), and each names what may help: `--resum` where it applies
//! to the plan, else a smaller η or fewer steps.

use super::law::Law;
use super::prediction::Prediction;
use super::resum::{self, Resum};
use crate::linalg::symmetric_eigen;
use crate::optimizer::Update;
use crate::plan::Plan;

/// Above this, the series' scale η_eff·T·λ_max(H) is not small.
pub const SERIES_SCALE: f64 = 1.0;

/// Above this |z|, theory and Monte Carlo disagree.
pub const LARGE_Z: f64 = 5.0;

/// The η-series' expansion parameter for `plan`: η_eff·T·λ_max, λ_max the
/// largest |eigenvalue| of H at θ₀ and η_eff = η, or η/(1 − β) for momentum
/// (corollary 6's limit): the exponent of the propagator (1 − η_eff λ)^T
/// that the series expands term by term (seed 001, Theorem 1). With a
/// schedule, T is Σ_t s(t).
pub fn series_scale(law: &Law, plan: &Plan) -> f64 {
    let (lambda, _) = symmetric_eigen(&law.population[2], law.dim);
    let top = lambda.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let rate = match plan.update {
        Update::HeavyBall { beta, .. } => plan.eta / (1.0 - beta),
        _ => plan.eta,
    };
    let steps: f64 = plan.schedule.rates(plan.steps()).iter().sum();
    rate * steps * top
}

/// What may bring `p` closer to the truth.
fn remedy(plan: &Plan, p: &Prediction) -> &'static str {
    match p.resummed {
        Some(_) => "a higher --order (the re-summed series is truncated in its centred terms)",
        None if resum::covers(plan, Resum::Exact) => {
            "--resum, which re-sums the Hessian to all orders and covers this plan"
        }
        None if !plan.schedule.is_constant() => "a smaller η or fewer steps (--resum is for a constant η)",
        None => {
            "a smaller η or fewer steps (--resum re-sums fresh-sample SGD, GD, SDE, ODE and momentum on those, \
             not this grid)"
        }
    }
}

/// `x` to three decimals, without trailing zeros.
fn short(x: f64) -> String {
    if x.abs() >= 1e6 {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The warnings on prediction `p` for `plan` by itself: the series' scale,
/// and the test loss against the landscape's `floor`
/// ([`crate::landscape::Description::test_loss_floor`]).
pub fn prediction(law: &Law, plan: &Plan, p: &Prediction, floor: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    let scale = series_scale(law, plan);
    if p.resummed.is_none() && scale > SERIES_SCALE {
        let rate = if matches!(plan.update, Update::HeavyBall { .. }) { "η/(1 − β)" } else { "η" };
        out.push(format!(
            "outside the series' range: {rate}·T·λ_max(H) = {} is not small, so the order-{} η-series may be \
             far off; try {}",
            short(scale),
            p.order,
            remedy(plan, p)
        ));
    }
    let test = p.at(plan.eta).0;
    if let Some(floor) = floor.filter(|f| test < f - 1e-12 * (1.0 + f.abs())) {
        let shown = if test.is_finite() { format!("{test:.6}") } else { "−∞ (it overflows)".into() };
        out.push(format!(
            "the predicted test loss {shown} is below {floor}, the least value the loss takes: the prediction is \
             outside the loss's range; try {}",
            remedy(plan, p)
        ));
    }
    out
}

/// The warning on a run's z-scores ((observable, z) pairs; NaN where the SE
/// is 0): the largest |z| above [`LARGE_Z`].
pub fn agreement(plan: &Plan, p: &Prediction, z: &[(String, f64)]) -> Option<String> {
    let (name, worst) = z.iter().filter(|(_, z)| z.is_finite()).max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    (worst.abs() > LARGE_Z).then(|| {
        format!(
            "theory and Monte Carlo disagree: z = {worst:.1} for {name} (|z| > {LARGE_Z}), so the prediction's \
             truncation error is far larger than the Monte Carlo SE; try {}",
            remedy(plan, p)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Spec;
    use crate::theory::{law, predict};

    fn warnings(args: Spec, resum: bool) -> Vec<String> {
        let exp = args.resolve().unwrap();
        let law = exp.landscape.visit(law::Exact(&exp.init)).unwrap();
        let p = if resum {
            resum::predict(&law, &exp.plan, 3, Resum::Exact).unwrap()
        } else {
            predict::predict(&law, &exp.plan, 3).unwrap()
        };
        prediction(&law, &exp.plan, &p, exp.landscape.describe().test_loss_floor)
    }

    /// Mean Estimation under GD (H = 0.5, S = 2, N = 20, T = 50, η = 0.1):
    /// ηTH = 2.5, and the order-3 series predicts a negative test loss for
    /// ½Hθ² ≥ 0; re-summed, no warning.
    #[test]
    fn the_negative_test_loss_is_flagged() {
        let spec = Spec {
            optimizer: crate::optimizer::Optimizer::Gd,
            params: vec![("H".into(), 0.5), ("S".into(), 2.0)],
            train_size: Some(20),
            steps: Some(50),
            ..Spec::new("mean-estimation")
        };
        let w = warnings(spec.clone(), false);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("η·T·λ_max(H) = 2.5 ") && w[0].contains("--resum"), "{w:?}");
        assert!(w[1].contains("below 0") && w[1].contains("--resum"), "{w:?}");
        assert!(warnings(spec, true).is_empty());
    }

    /// Archimedes' H at 0 has eigenvalues 1, 2 and 0 (flat z): ηTλ_max =
    /// 0.02·10·2 = 0.4, in range; momentum β = 0.9 multiplies it by 10.
    #[test]
    fn momentum_scales_by_its_effective_rate() {
        let spec = Spec { eta: 0.02, ..Spec::new("archimedes") };
        let exp = spec.clone().resolve().unwrap();
        let law = exp.landscape.visit(law::Exact(&exp.init)).unwrap();
        assert!((series_scale(&law, &exp.plan) - 0.4).abs() < 1e-12);
        assert!(warnings(spec.clone(), false).is_empty());
        let momentum = Spec { optimizer: crate::optimizer::Optimizer::Momentum, beta: Some(0.9), ..spec };
        let w = warnings(momentum, false);
        assert!(w.len() == 1 && w[0].contains("η/(1 − β)·T·λ_max(H) = 4 "), "{w:?}");
    }
}
