//! Predictions against Monte Carlo: the order-2 prediction's error shrinks
//! like η³ (it is the truncation of the η-series), on every dynamics.

mod common;

use common::{experiment, run};
use simsgd::theory::{law, predict};

/// MC mean − order-2 prediction of the test loss, and its standard error.
fn error(flags: &str, eta: f64) -> (f64, f64) {
    let exp = experiment(&format!("{flags} --eta {eta} --trials 400000 --seed 5"));
    let law = exp.landscape.visit(law::Exact(&exp.init));
    let p = predict::predict(&law, &exp.plan, 2).unwrap();
    let s = run(&exp).primary.test_loss.summary();
    (s.mean - p.at(eta).0, s.stderr)
}

#[test]
fn order_two_error_shrinks_like_eta_cubed() {
    for flags in [
        "gauss --steps 10",
        "archimedes --steps 10",
        "mean-estimation --param H=0.8,S=1.2 --init 0.5 --optimizer gd --steps 10",
        "archimedes --optimizer sde --steps 10 --substeps 4",
        "shifting-valleys --train-size 5 --epochs 2 --shuffle",
    ] {
        let (e1, se1) = error(flags, 0.02);
        let (e2, se2) = error(flags, 0.01);
        // Both errors are far above their standard errors (common random numbers
        // make their ratio sharp); halving η divides an O(η³) error by 8.
        assert!(e1.abs() > 15.0 * se1 && e2.abs() > 5.0 * se2, "{flags}: {e1} ± {se1}, {e2} ± {se2}");
        let ratio = e1 / e2;
        assert!((5.5..11.0).contains(&ratio), "{flags}: error ratio {ratio} ({e1} vs {e2})");
    }
}
