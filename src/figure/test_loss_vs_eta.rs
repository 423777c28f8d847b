//! `test-loss-vs-eta`: the expected test loss after T = 10 SGD steps against
//! η on three landscapes, measured beside the order-1, -2 and -3
//! predictions (seed 001 Fig. 3 left, on the artificial landscapes): each
//! order holds at small η and breaks down where the next one takes over.

use super::lab::{log_space, Drawing, Figure, Lab, Plot};
use super::loss_vs_eta::LossVsEta;
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;

pub const FIGURE: Figure = Figure {
    name: "test-loss-vs-eta",
    about: "test loss change after T = 10 steps vs η with order-1/2/3 predictions, on gauss, shifting-valleys and archimedes (001 Fig. 3 left)",
    build,
};

const LANDSCAPES: [&str; 3] = ["gauss", "shifting-valleys", "archimedes"];

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((5, 100_000), (9, 1_000_000));
    let mut table = Table::default();
    let mut panels = Vec::new();
    for name in LANDSCAPES {
        let panel = LossVsEta {
            setup: Spec { steps: Some(10), ..Spec::new(name) },
            etas: log_space(0.005, 0.2, points),
            trials,
            seed: 700,
            title: format!("{name}, SGD, T = 10 ({trials} trials)"),
            columns: vec![("landscape", name.into()), ("T", 10usize.into())],
            table: &mut table,
        };
        panels.push(panel.chart(lab)?);
    }
    Ok(Drawing { table, plot: Plot::Panels(panels) })
}
