//! `valley-of-death`: seed 000's second-order claims on Valley of Death
//! (T = N = 10): the test loss against η with the order-1 and order-2
//! predictions; across inits, the gap against UNC = tr C (order 1:
//! ηT·UNC/N) and GD − SGD against TEM (order 2: η²(T−1)·TEM/4; the notes'
//! printed form (T−1)(TEM − PER)/4 is wrong, docs/THEORY.md).

use super::lab::{ci_point, log_space, measured, provenance, Drawing, Figure, Lab, Plot};
use super::loss_vs_eta::LossVsEta;
use super::table::Table;
use crate::error::Result;
use crate::experiment::Spec;
use crate::optimizer::Optimizer;
use crate::plot::{subscript, Chart, Point, Series, Style};
use crate::theory::statistics;

pub const FIGURE: Figure = Figure {
    name: "valley-of-death",
    about:
        "T = 10 test loss vs η with orders 1-2; across inits, gap vs UNC and GD − SGD vs TEM (and PER), η = 5e-5 (000)",
    build,
};

const T: usize = 10;
const INITS: [(f64, f64); 7] = [(0.3, 0.3), (0.25, 0.75), (0.5, 0.5), (0.75, 0.25), (0.5, 1.0), (1.0, 0.5), (1.0, 1.0)];
const ETA: f64 = 5e-5;

fn build(lab: &Lab) -> Result<Drawing> {
    let (points, trials) = lab.size((4, 20_000), (8, 400_000));
    let mut table = Table::default();
    // Test loss against η at the default init.
    let first = LossVsEta {
        setup: Spec { steps: Some(T), ..Spec::new("valley-of-death") },
        etas: log_space(1e-5, 1e-3, points),
        trials,
        seed: 600,
        title: format!("Valley of Death, SGD, T = {T}, θ₀ = (1, 1) ({trials} trials)"),
        columns: vec![("panel", "test_loss".into()), ("init", "1;1".into())],
        table: &mut table,
    }
    .chart(lab)?;
    // Across inits at one small η: the gap and GD − SGD, per power of η.
    let mut s: Vec<Vec<Point>> = vec![Vec::new(); 5];
    for (k, (a, b)) in INITS.into_iter().enumerate() {
        let spec = Spec {
            init: Some(vec![a, b]),
            steps: Some(T),
            eta: ETA,
            compare: Some(Optimizer::Gd.into()),
            trials,
            seed: 650 + k as u64,
            ..Spec::new("valley-of-death")
        };
        let (exp, out) = lab.run(&spec)?;
        let named = exp.landscape.visit(statistics::Exact(&exp.init))?.named;
        let gap = out.primary.gen_gap.summary().affine(1.0 / ETA, 0.0);
        let pairs = &out.compare.as_ref().expect("paired").1;
        let d = pairs.test_loss_diff.summary();
        let gd_minus_sgd = d.affine(-1.0 / (ETA * ETA), 0.0);
        let init = format!("{a};{b}");
        let (gap_law, tem_law, printed) = (
            T as f64 * named.UNC / 10.0,
            (T - 1) as f64 * named.TEM / 4.0,
            (T - 1) as f64 * (named.TEM - named.PER) / 4.0,
        );
        for (panel, m, law, extra) in
            [("gap_per_eta", &gap, gap_law, f64::NAN), ("gd_minus_sgd_per_eta2", &gd_minus_sgd, tem_law, printed)]
        {
            let mut row = vec![("panel", panel.into()), ("eta", ETA.into()), ("init", init.clone().into())];
            row.extend([("UNC", named.UNC.into()), ("TEM", named.TEM.into()), ("PER", named.PER.into())]);
            row.extend(measured(m));
            row.extend([("theory_order_law", law.into()), ("seed000_printed", extra.into())]);
            row.extend(provenance(&spec));
            table.push(row);
        }
        s[0].push(ci_point(named.UNC, &gap));
        s[1].push(Point::new(named.UNC, gap_law));
        s[2].push(ci_point(named.TEM, &gd_minus_sgd));
        s[3].push(Point::new(named.TEM, tem_law));
        s[4].push(Point::new(named.TEM, printed));
    }
    for v in &mut s {
        v.sort_by(|p, q| p.x.total_cmp(&q.x));
    }
    let mut s = s.into_iter();
    let mut next = || s.next().expect("five series");
    let gap_chart = Chart {
        title: format!("gen gap ÷ η across 7 inits (η = {ETA}, N = T = {T})"),
        x_label: "UNC = tr C at θ₀".into(),
        y_label: "E[test − train loss] / η".into(),
        x_log: true,
        y_log: true,
        y_symlog: None,
        series: vec![
            Series::new("measured (95% CI)", Style::Markers, next()),
            Series::new("order 1: T·UNC/N", Style::Line, next()),
        ],
    };
    let tem_chart = Chart {
        title: "GD − SGD test loss ÷ η², paired".into(),
        x_label: "TEM = 2G·(E[hg] − HG) at θ₀".into(),
        y_label: format!("E[l(θ{})]: (GD − SGD) / η²", subscript(&T.to_string())),
        x_log: true,
        y_log: true,
        y_symlog: None,
        series: vec![
            Series::new("measured (95% CI)", Style::Markers, next()),
            Series::new("order 2: (T−1)·TEM/4", Style::Line, next()),
            Series::new("seed 000 printed: (T−1)(TEM − PER)/4", Style::Dashed, next()),
        ],
    };
    Ok(Drawing { table, plot: Plot::Panels(vec![first, gap_chart, tem_chart]) })
}
