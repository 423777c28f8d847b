//! `eta-sweep`: the change of the expected test loss after T SGD steps
//! against η, measured beside the order-1, -2 and -3 predictions, on the
//! landscape of `--loss`/`--landscape-file` (README, "Your own landscape"):
//! a new landscape from one line to a figure with theory. Without one it
//! draws gauss. η runs log-spaced from a twentieth of the landscape's step
//! size (`eta` of its file, 0.1 by default) to twice it.

use super::lab::{log_space, Drawing, Figure, Lab, Plot};
use super::loss_vs_eta::LossVsEta;
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;

pub const FIGURE: Figure = Figure {
    name: "eta-sweep",
    about: "test loss change after T steps vs η with order-1/2/3 predictions on your landscape (--loss or --landscape-file; gauss without one)",
    build,
};

fn build(lab: &Lab) -> Result<Drawing> {
    let setup = lab.subject.clone().unwrap_or_else(|| Spec::new("gauss"));
    let exp = setup.resolve()?;
    let d = exp.landscape.describe();
    let steps = exp.plan.steps();
    let (points, trials) = lab.size((5, 100_000), (9, 1_000_000));
    let mut table = Table::default();
    let panel = LossVsEta {
        etas: log_space(d.stable_eta / 20.0, 2.0 * d.stable_eta, points),
        trials,
        seed: 900,
        title: format!("{}, SGD, T = {steps} ({trials} trials)", d.name),
        columns: vec![("landscape", d.name.clone().into()), ("T", steps.into())],
        table: &mut table,
        setup,
    };
    let chart = panel.chart(lab)?;
    Ok(Drawing { table, plot: Plot::Panels(vec![chart]) })
}
