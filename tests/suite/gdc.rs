//! Corollary 3: GD on the training loss plus η(N−1)/(4N)·tr Ĉ (GDC) matches
//! fresh-sample SGD's expected test loss to order η², so in paired runs on
//! the same training sets |SGD − GDC| is far below |SGD − GD| and shrinks one
//! order faster in η (η³ against η²).

use crate::common;

use common::{resolve, run};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;

/// Paired (optimizer − sgd) test-loss difference: mean and SE.
fn diff(landscape: &str, optimizer: Optimizer, eta: f64) -> (f64, f64) {
    let exp = resolve(&Spec {
        optimizer,
        compare: Some(Optimizer::Sgd.into()),
        eta,
        trials: 100_000,
        seed: 8,
        ..Spec::new(landscape)
    });
    let out = run(&exp);
    let d = out.compare.unwrap().1.test_loss_diff.summary();
    assert_eq!(d.n, 100_000, "{landscape} {} η = {eta}: no trial may diverge", optimizer.name());
    (d.mean, d.stderr)
}

#[test]
fn gdc_tracks_sgd_one_order_closer_than_gd() {
    for (landscape, eta) in [("shifting-valleys", 0.01), ("valley-of-death", 0.0001)] {
        let (gd1, _) = diff(landscape, Optimizer::Gd, eta);
        let (gd2, gd2_se) = diff(landscape, Optimizer::Gd, eta / 2.0);
        let (gdc1, _) = diff(landscape, Optimizer::Gdc, eta);
        let (gdc2, gdc2_se) = diff(landscape, Optimizer::Gdc, eta / 2.0);
        assert!(
            gd2.abs() > 20.0 * gd2_se && gdc2.abs() > 10.0 * gdc2_se,
            "{landscape}: {gd2} ± {gd2_se}, {gdc2} ± {gdc2_se}"
        );
        assert!(gdc2.abs() * 10.0 < gd2.abs(), "{landscape}: |SGD − GDC| = {gdc2} vs |SGD − GD| = {gd2}");
        let (r_gd, r_gdc) = (gd1 / gd2, gdc1 / gdc2);
        assert!((2.5..5.0).contains(&r_gd), "{landscape}: GD ratio {r_gd} (η²: 4)");
        assert!((5.0..11.0).contains(&r_gdc), "{landscape}: GDC ratio {r_gdc} (η³: 8)");
    }
}
