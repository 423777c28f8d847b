//! Drawing charts and heatmaps onto any plotters backend.
//!
//! All sizes are in *logical* pixels multiplied by [`Theme::k`], so the PNG
//! can be drawn at twice its size and averaged down (anti-aliasing that the
//! bitmap backend lacks) while the SVG is drawn at 1:1.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, MultiLineText, Polygon};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::axis::{cell_decimals, to_axis, value_label, Axis, Scale};
use super::chart::{Chart, Heatmap, PlotError, Style, FONT_FAMILY};

/// Scale of one logical pixel in backend pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Theme {
    pub k: f64,
}

impl Theme {
    fn px(&self, v: f64) -> i32 {
        (v * self.k).round() as i32
    }
    fn pu(&self, v: f64) -> u32 {
        (v * self.k).round().max(1.0) as u32
    }
    fn font(&self, size: f64) -> TextStyle<'static> {
        (FONT_FAMILY, size * self.k).into_font().color(&BLACK)
    }
}

const TITLE_PT: f64 = 24.0;
const DESC_PT: f64 = 20.0;
const TICK_PT: f64 = 17.0;
const LEGEND_PT: f64 = 17.0;
const LINE_W: f64 = 2.5;

/// Okabe–Ito colours, reordered so that the first few are the most
/// distinct on white (yellow last).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

const GRID: RGBColor = RGBColor(222, 222, 222);
const GRID_MINOR: RGBColor = RGBColor(244, 244, 244);
const NAN_GREY: RGBColor = RGBColor(190, 190, 190);

pub(crate) fn de<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// A series in axis coordinates: (x, y, lo, hi), lo/hi `None` where the CI
/// end cannot be shown on a log axis.
type Pts = Vec<(f64, f64, Option<f64>, Option<f64>)>;

fn series_points(chart: &Chart) -> Vec<Pts> {
    let ys = Scale::of(chart.y_log, chart.y_symlog);
    chart
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter_map(|p| {
                    let x = to_axis(p.x, chart.x_log)?;
                    let y = ys.to_axis(p.y)?;
                    let (lo, hi) = if p.lo <= p.hi { (p.lo, p.hi) } else { (p.hi, p.lo) };
                    Some((x, y, ys.to_axis(lo), ys.to_axis(hi)))
                })
                .collect()
        })
        .collect()
}

fn bounds(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    vals.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// The shape of the marker of series `i`: filled circle, square, triangle,
/// diamond, inverted triangle, as a polygon around (0, 0).
fn marker_shape(i: usize, r: f64) -> Vec<(i32, i32)> {
    let poly = |pts: &[(f64, f64)]| -> Vec<(i32, i32)> {
        pts.iter().map(|(x, y)| ((x * r).round() as i32, (y * r).round() as i32)).collect()
    };
    match i % 5 {
        0 => (0..24)
            .map(|j| {
                let a = j as f64 * std::f64::consts::TAU / 24.0;
                ((r * a.cos()).round() as i32, (r * a.sin()).round() as i32)
            })
            .collect(),
        1 => poly(&[(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)]),
        2 => poly(&[(0.0, -1.25), (1.15, 0.85), (-1.15, 0.85)]),
        3 => poly(&[(0.0, -1.3), (1.1, 0.0), (0.0, 1.3), (-1.1, 0.0)]),
        _ => poly(&[(0.0, 1.25), (1.15, -0.85), (-1.15, -0.85)]),
    }
}

fn closed(mut v: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    if let Some(&p) = v.first() {
        v.push(p);
    }
    v
}

/// Label-area sizes (left, bottom) that fit the tick labels and titles.
fn label_areas<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    th: Theme,
    ya: &Axis,
    has_xdesc: bool,
    has_ydesc: bool,
) -> Result<(i32, i32), PlotError> {
    let tick = th.font(TICK_PT);
    let desc = th.font(DESC_PT);
    let mut yw = 0u32;
    for t in &ya.major {
        yw = yw.max(area.estimate_text_size(&ya.label(*t), &tick).map_err(de)?.0);
    }
    let th_tick = area.estimate_text_size("0.9⁻", &tick).map_err(de)?.1 as i32;
    let dh = area.estimate_text_size("Ag", &desc).map_err(de)?.1 as i32;
    let left = yw as i32 + th.px(20.0) + if has_ydesc { dh + th.px(12.0) } else { 0 };
    let bottom = th_tick + th.px(18.0) + if has_xdesc { dh + th.px(12.0) } else { 0 };
    Ok((left, bottom))
}

/// Draws one chart filling `area`. The legend goes in corner `legend`
/// (an index into [`legend_candidates`]) if given, else in the one that
/// covers the least data; returns the corner used (`None`: no legend).
///
/// Passing the SVG pass's corner to the PNG pass keeps the legend in the
/// same place in both files: the corner is chosen in backend pixels, and the
/// PNG's twice-size geometry (text sizes, label areas, rounding) gives
/// slightly different costs, so near ties could go different ways.
pub(crate) fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    th: Theme,
    legend: Option<usize>,
) -> Result<Option<usize>, PlotError> {
    if let Some(c) = chart.y_symlog {
        if !(c.is_finite() && c > 0.0) {
            return Err(PlotError::Invalid(format!("a symmetric-log axis needs a threshold above 0, not {c}")));
        }
    }
    area.fill(&WHITE).map_err(de)?;
    let pts = series_points(chart);
    let xb = bounds(pts.iter().flatten().map(|p| p.0));
    let yb = bounds(pts.iter().flatten().flat_map(|p| [Some(p.1), p.2, p.3]).flatten());
    let (w, h) = area.dim_in_pixel();
    let xt = ((w as f64 / th.k) / 110.0).round().clamp(3.0, 8.0) as usize;
    let yt = ((h as f64 / th.k) / 90.0).round().clamp(3.0, 7.0) as usize;
    let xa = Axis::auto(chart.x_log, xb, 0.05, xt);
    let ya = match chart.y_symlog {
        Some(c) => Axis::auto_symlog(c, yb, 0.05, yt),
        None => Axis::auto(chart.y_log, yb, 0.05, yt),
    };

    let (left, bottom) = label_areas(area, th, &ya, !chart.x_label.is_empty(), !chart.y_label.is_empty())?;
    let mut cb = ChartBuilder::on(area);
    cb.margin_top(th.px(if chart.title.is_empty() { 16.0 } else { 12.0 }))
        .margin_right(th.px(28.0))
        .margin_left(th.px(10.0))
        .margin_bottom(th.px(8.0))
        .x_label_area_size(bottom)
        .y_label_area_size(left);
    if !chart.title.is_empty() {
        cb.caption(&chart.title, th.font(TITLE_PT));
    }
    let mut ctx = cb.build_cartesian_2d(xa.coord(), ya.coord()).map_err(de)?;

    let xfmt = |t: &f64| xa.label(*t);
    let yfmt = |t: &f64| ya.label(*t);
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .label_style(th.font(TICK_PT))
        .axis_desc_style(th.font(DESC_PT))
        .bold_line_style(GRID.stroke_width(th.pu(1.0)))
        .light_line_style(GRID_MINOR.stroke_width(th.pu(1.0)))
        .axis_style(BLACK.stroke_width(th.pu(1.0)))
        .set_all_tick_mark_size(th.px(6.0))
        .draw()
        .map_err(de)?;

    // Shaded bands first, under every line and marker.
    for (i, (s, p)) in chart.series.iter().zip(&pts).enumerate() {
        if !matches!(s.style, Style::Band | Style::Shade) || p.is_empty() {
            continue;
        }
        let colour = PALETTE[s.colour.unwrap_or(i) % PALETTE.len()];
        let lo = |q: &(f64, f64, Option<f64>, Option<f64>)| q.2.unwrap_or(ya.lo);
        let hi = |q: &(f64, f64, Option<f64>, Option<f64>)| q.3.unwrap_or(ya.lo);
        let mut poly: Vec<(f64, f64)> = p.iter().map(|q| (q.0, lo(q))).collect();
        poly.extend(p.iter().rev().map(|q| (q.0, hi(q))));
        ctx.draw_series(std::iter::once(Polygon::new(poly, colour.mix(0.2).filled()))).map_err(de)?;
    }

    let lw = th.pu(LINE_W);
    let leg_len = th.px(36.0);
    let mr = 5.0 * th.k;
    for (i, (s, p)) in chart.series.iter().zip(&pts).enumerate() {
        let colour = PALETTE[s.colour.unwrap_or(i) % PALETTE.len()];
        let line = colour.stroke_width(lw);
        let xy: Vec<(f64, f64)> = p.iter().map(|q| (q.0, q.1)).collect();
        let anno = match s.style {
            Style::Line | Style::Band => {
                let a = ctx.draw_series(std::iter::once(PathElement::new(xy, line))).map_err(de)?;
                if s.style == Style::Line {
                    a.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + leg_len, y)], line));
                } else {
                    let hh = th.px(7.0);
                    a.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + Rectangle::new([(0, -hh), (leg_len, hh)], colour.mix(0.2).filled())
                            + PathElement::new(vec![(0, 0), (leg_len, 0)], line)
                    });
                }
                a
            }
            Style::Shade => {
                // Drawn with the bands; here only its legend swatch.
                let a = ctx.draw_series(std::iter::empty::<PathElement<(f64, f64)>>()).map_err(de)?;
                let hh = th.px(7.0);
                a.legend(move |(x, y)| Rectangle::new([(x, y - hh), (x + leg_len, y + hh)], colour.mix(0.2).filled()));
                a
            }
            Style::Dashed => {
                let (d, g) = (th.px(10.0), th.px(6.0));
                let a = ctx.draw_series(std::iter::once(DashedPathElement::new(xy, d, g, line))).map_err(de)?;
                a.legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (d, 0)], line)
                        + PathElement::new(vec![(d + g, 0), (2 * d + g, 0)], line)
                        + PathElement::new(vec![(2 * (d + g), 0), (leg_len.min(3 * d + 2 * g), 0)], line)
                });
                a
            }
            Style::Markers => {
                let bar = colour.stroke_width(th.pu(1.6));
                let cap = th.px(5.0);
                let bars: Vec<PathElement<(f64, f64)>> = p
                    .iter()
                    .filter(|q| q.2 != Some(q.1) || q.3 != Some(q.1))
                    .map(|q| PathElement::new(vec![(q.0, q.2.unwrap_or(ya.lo)), (q.0, q.3.unwrap_or(ya.lo))], bar))
                    .collect();
                ctx.draw_series(bars).map_err(de)?;
                let caps = p.iter().flat_map(|q| {
                    [q.2, q.3]
                        .into_iter()
                        .flatten()
                        .filter(move |v| *v != q.1)
                        .map(move |v| EmptyElement::at((q.0, v)) + PathElement::new(vec![(-cap, 0), (cap, 0)], bar))
                });
                ctx.draw_series(caps).map_err(de)?;
                let shape = marker_shape(i, mr);
                let edge = WHITE.stroke_width(th.pu(1.0));
                let marks = p.iter().map(|q| {
                    EmptyElement::at((q.0, q.1))
                        + Polygon::new(shape.clone(), colour.filled())
                        + PathElement::new(closed(shape.clone()), edge)
                });
                let a = ctx.draw_series(marks).map_err(de)?;
                let shape = marker_shape(i, mr);
                let half = leg_len / 2;
                let hb = th.px(8.0);
                a.legend(move |(x, y)| {
                    EmptyElement::at((x + half, y))
                        + PathElement::new(vec![(0, -hb), (0, hb)], bar)
                        + PathElement::new(vec![(-cap, -hb), (cap, -hb)], bar)
                        + PathElement::new(vec![(-cap, hb), (cap, hb)], bar)
                        + Polygon::new(shape.clone(), colour.filled())
                });
                a
            }
        };
        if !s.name.is_empty() {
            anno.label(s.name.as_str());
        }
    }

    // A full frame around the plotting area.
    ctx.draw_series(std::iter::once(Rectangle::new([(xa.lo, ya.lo), (xa.hi, ya.hi)], BLACK.stroke_width(th.pu(1.0)))))
        .map_err(de)?;

    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).filter(|n| !n.is_empty()).collect();
    let mut corner = None;
    if !names.is_empty() {
        let font = th.font(LEGEND_PT);
        let margin = th.px(10.0);
        let area_size = th.px(48.0);
        let mut text = MultiLineText::<(i32, i32), &str>::new((0, 0), &font);
        for n in &names {
            text.push_line(*n);
        }
        let (tw, thh) = text.estimate_dimension().map_err(de)?;
        let lw = tw + area_size + 2 * margin;
        let lh = thh + 2 * margin;
        let plot = ctx.plotting_area();
        let (pw, ph) = plot.dim_in_pixel();
        let plot_dim = (pw as i32, ph as i32);
        let candidates = legend_candidates(plot_dim, (lw, lh), th);
        let i = match legend {
            Some(i) if i < candidates.len() => i,
            _ => best_legend_corner(chart, &pts, &xa, &ya, plot_dim, (lw, lh), &candidates, th),
        };
        corner = Some(i);
        let (x, y) = candidates[i];
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::Coordinate(x, y))
            .margin(margin)
            .legend_area_size(area_size)
            .label_font(font.clone())
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180).stroke_width(th.pu(1.0)))
            .draw()
            .map_err(de)?;
    }
    Ok(corner)
}

/// Where the legend box (`lw × lh`) may go in the plotting area (`pw × ph`),
/// in order of preference: the four corners (upper right first), then the
/// middles of the edges.
fn legend_candidates((pw, ph): (i32, i32), (lw, lh): (i32, i32), th: Theme) -> [(i32, i32); 8] {
    let m = th.px(10.0);
    let (cx, cy) = ((pw - lw) / 2, (ph - lh) / 2);
    let (rx, by) = (pw - lw - m, ph - lh - m);
    [(rx, m), (m, m), (rx, by), (m, by), (cx, m), (cx, by), (rx, cy), (m, cy)]
}

/// The index of the candidate (the first of equals) where the legend box
/// covers the fewest data points, lines and CI ends.
#[allow(clippy::too_many_arguments)]
fn best_legend_corner(
    chart: &Chart,
    pts: &[Pts],
    xa: &Axis,
    ya: &Axis,
    (pw, ph): (i32, i32),
    (lw, lh): (i32, i32),
    candidates: &[(i32, i32)],
    th: Theme,
) -> usize {
    let to_px = |x: f64, y: f64| -> (f64, f64) { (xa.frac(x) * pw as f64, (1.0 - ya.frac(y)) * ph as f64) };
    let mut samples: Vec<(f64, f64)> = vec![];
    for (s, p) in chart.series.iter().zip(pts) {
        let connected = s.style != Style::Markers;
        for (j, q) in p.iter().enumerate() {
            samples.push(to_px(q.0, q.1));
            for v in [q.2, q.3].into_iter().flatten() {
                samples.push(to_px(q.0, v));
            }
            if connected && j > 0 {
                let r = p[j - 1];
                for t in 1..12 {
                    let f = t as f64 / 12.0;
                    let x = r.0 + f * (q.0 - r.0);
                    samples.push(to_px(x, r.1 + f * (q.1 - r.1)));
                    if matches!(s.style, Style::Band | Style::Shade) {
                        if let (Some(a), Some(b)) = (r.2, q.2) {
                            samples.push(to_px(x, a + f * (b - a)));
                        }
                        if let (Some(a), Some(b)) = (r.3, q.3) {
                            samples.push(to_px(x, a + f * (b - a)));
                        }
                    }
                }
            }
        }
    }
    let pad = th.k * 4.0;
    let cost = |(x0, y0): (i32, i32)| -> usize {
        let (x0, y0) = (x0 as f64 - pad, y0 as f64 - pad);
        let (x1, y1) = (x0 + lw as f64 + 2.0 * pad, y0 + lh as f64 + 2.0 * pad);
        samples.iter().filter(|(x, y)| *x >= x0 && *x <= x1 && *y >= y0 && *y <= y1).count()
    };
    let mut best = 0;
    let mut best_cost = usize::MAX;
    for (i, c) in candidates.iter().enumerate() {
        let k = cost(*c);
        if k < best_cost {
            best = i;
            best_cost = k;
        }
    }
    best
}

/// Viridis, sampled every tenth of the scale.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (68, 1, 84),
    (72, 36, 117),
    (65, 68, 135),
    (53, 95, 141),
    (42, 120, 142),
    (33, 145, 140),
    (34, 168, 132),
    (68, 191, 112),
    (122, 209, 81),
    (189, 223, 38),
    (253, 231, 37),
];

/// The viridis colour at `f` in [0, 1] (clamped).
pub(crate) fn viridis(f: f64) -> RGBColor {
    let f = if f.is_finite() { f.clamp(0.0, 1.0) } else { 0.0 };
    let x = f * 10.0;
    let i = (x.floor() as usize).min(9);
    let t = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + t * (q as f64 - p as f64)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Cell edges (axis coordinates) around strictly increasing centres.
fn cell_edges(c: &[f64], log: bool) -> Vec<f64> {
    if c.len() == 1 {
        let half = if log || c[0] == 0.0 { 0.5 } else { 0.5 * c[0].abs() };
        return vec![c[0] - half, c[0] + half];
    }
    let n = c.len();
    let mut e = Vec::with_capacity(n + 1);
    e.push(c[0] - 0.5 * (c[1] - c[0]));
    for i in 1..n {
        e.push(0.5 * (c[i - 1] + c[i]));
    }
    e.push(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2]));
    e
}

fn centres(v: &[f64], log: bool, name: &str) -> Result<Vec<f64>, PlotError> {
    if v.is_empty() {
        return Err(PlotError::Invalid(format!("heatmap has no {name} values")));
    }
    let t: Vec<f64> = v
        .iter()
        .map(|&x| {
            to_axis(x, log).ok_or_else(|| {
                PlotError::Invalid(format!(
                    "heatmap {name} value {x} cannot be placed on a {} axis",
                    if log { "log" } else { "linear" }
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    if t.windows(2).any(|w| w[1] <= w[0]) {
        return Err(PlotError::Invalid(format!("heatmap {name} values must be strictly increasing")));
    }
    Ok(t)
}

/// The colour range `(vmin, vmax)` shared by `maps`: the extremes of all
/// their finite values, widened when they are equal; `(0, 1)` if none.
pub(crate) fn value_range<'a>(maps: impl IntoIterator<Item = &'a Heatmap>) -> (f64, f64) {
    let vb = bounds(maps.into_iter().flat_map(|m| m.values.iter().flatten().copied()).filter(|v| v.is_finite()));
    match vb {
        Some((a, b)) if b > a => (a, b),
        Some((a, _)) => (a - 0.5 * a.abs().max(1e-12), a + 0.5 * a.abs().max(1e-12)),
        None => (0.0, 1.0),
    }
}

/// Checks a heatmap's grid and shape; returns the cell centres (x, y) in
/// axis coordinates.
pub(crate) fn check_heatmap(hm: &Heatmap) -> Result<(Vec<f64>, Vec<f64>), PlotError> {
    let xc = centres(&hm.x, hm.x_log, "x")?;
    let yc = centres(&hm.y, hm.y_log, "y")?;
    if hm.values.len() != yc.len() || hm.values.iter().any(|r| r.len() != xc.len()) {
        return Err(PlotError::Invalid(format!(
            "heatmap values must be {} rows of {} (one row per y value)",
            yc.len(),
            xc.len()
        )));
    }
    Ok((xc, yc))
}

/// Draws a heatmap filling `area`, coloured over the value range `range`
/// (see [`value_range`]), with its own colour bar at the right if
/// `with_bar`. Returns the backend pixel rows of its plotting area, to
/// align a shared colour bar with.
pub(crate) fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    hm: &Heatmap,
    th: Theme,
    range: (f64, f64),
    with_bar: bool,
) -> Result<std::ops::Range<i32>, PlotError> {
    let (xc, yc) = check_heatmap(hm)?;
    let ex = cell_edges(&xc, hm.x_log);
    let ey = cell_edges(&yc, hm.y_log);
    let (vmin, vmax) = range;
    let frac = |v: f64| (v - vmin) / (vmax - vmin);

    area.fill(&WHITE).map_err(de)?;
    let (w, h) = area.dim_in_pixel();
    let side_w = if with_bar { th.px(170.0).min(w as i32 / 3) } else { 0 };
    let (main, side) = area.split_horizontally(w as i32 - side_w);
    let xt = (((w as i32 - side_w) as f64 / th.k) / 110.0).round().clamp(3.0, 8.0) as usize;
    let yt = ((h as f64 / th.k) / 90.0).round().clamp(3.0, 7.0) as usize;
    let mut xa = Axis::exact(hm.x_log, ex[0], ex[ex.len() - 1], xt);
    let mut ya = Axis::exact(hm.y_log, ey[0], ey[ey.len() - 1], yt);
    // Few cells: label every cell centre with its value, where they fit.
    let tick = th.font(TICK_PT);
    let widest = |a: &Axis| -> Result<(u32, u32), PlotError> {
        let mut m = (0, 0);
        for t in &a.major {
            let (w, h) = main.estimate_text_size(&a.label(*t), &tick).map_err(de)?;
            m = (m.0.max(w), m.1.max(h));
        }
        Ok(m)
    };
    if xc.len() <= 12 {
        let cells = xa.clone().with_ticks_at(&hm.x);
        let room = (w as i32 - side_w - th.px(140.0)) as f64 / xc.len() as f64;
        if widest(&cells)?.0 as f64 + th.k * 12.0 <= room {
            xa = cells;
        }
    }
    if yc.len() <= 16 {
        let cells = ya.clone().with_ticks_at(&hm.y);
        let room = (h as i32 - th.px(160.0)) as f64 / yc.len() as f64;
        if widest(&cells)?.1 as f64 + th.k * 6.0 <= room {
            ya = cells;
        }
    }
    let (left, bottom) = label_areas(&main, th, &ya, !hm.x_label.is_empty(), !hm.y_label.is_empty())?;
    let mut cb = ChartBuilder::on(&main);
    cb.margin_top(th.px(if hm.title.is_empty() { 16.0 } else { 12.0 }))
        .margin_right(th.px(10.0))
        .margin_left(th.px(10.0))
        .margin_bottom(th.px(8.0))
        .x_label_area_size(bottom)
        .y_label_area_size(left);
    if !hm.title.is_empty() {
        cb.caption(&hm.title, th.font(TITLE_PT));
    }
    let mut ctx = cb.build_cartesian_2d(xa.coord(), ya.coord()).map_err(de)?;
    let xfmt = |t: &f64| xa.label(*t);
    let yfmt = |t: &f64| ya.label(*t);
    ctx.configure_mesh()
        .disable_mesh()
        .x_desc(hm.x_label.as_str())
        .y_desc(hm.y_label.as_str())
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .label_style(th.font(TICK_PT))
        .axis_desc_style(th.font(DESC_PT))
        .axis_style(BLACK.stroke_width(th.pu(1.0)))
        .set_all_tick_mark_size(th.px(6.0))
        .draw()
        .map_err(de)?;

    let colour_of = |v: f64| if v.is_finite() { viridis(frac(v)) } else { NAN_GREY };
    let mut cells = vec![];
    for (j, row) in hm.values.iter().enumerate() {
        for (i, &v) in row.iter().enumerate() {
            cells.push(Rectangle::new([(ex[i], ey[j]), (ex[i + 1], ey[j + 1])], colour_of(v).filled()));
        }
    }
    ctx.draw_series(cells).map_err(de)?;

    // Values in the cells when every label fits its cell.
    let plot = ctx.plotting_area();
    let (pw, ph) = plot.dim_in_pixel();
    let min_cw = ex.windows(2).map(|e| xa_px(&xa, e[1] - e[0], pw)).fold(f64::MAX, f64::min);
    let min_ch = ey.windows(2).map(|e| xa_px(&ya, e[1] - e[0], ph)).fold(f64::MAX, f64::min);
    let size = (min_ch * 0.36).min(16.0 * th.k);
    if size >= 9.0 * th.k && xc.len() * yc.len() <= 400 {
        let probe = (FONT_FAMILY, size).into_font();
        let decimals = cell_decimals(range);
        let label = |v: f64| value_label(v, decimals);
        let widest = hm
            .values
            .iter()
            .flatten()
            .map(|v| plot.estimate_text_size(&label(*v), &probe.clone().into()).map(|s| s.0))
            .try_fold(0u32, |m, s| s.map(|s| m.max(s)))
            .map_err(de)?;
        if (widest as f64) + 6.0 * th.k <= min_cw {
            let mut texts = vec![];
            for (j, row) in hm.values.iter().enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    if !v.is_finite() {
                        continue;
                    }
                    let c = colour_of(v);
                    let lum = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
                    let ink = if lum > 140.0 { BLACK } else { WHITE };
                    let style = probe.clone().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                    texts.push(Text::new(label(v), (xc[i], yc[j]), style));
                }
            }
            ctx.draw_series(texts).map_err(de)?;
        }
    }
    ctx.draw_series(std::iter::once(Rectangle::new([(xa.lo, ya.lo), (xa.hi, ya.hi)], BLACK.stroke_width(th.pu(1.0)))))
        .map_err(de)?;

    // The colour bar, aligned with the plotting area.
    let (_, pry) = ctx.plotting_area().get_pixel_range();
    if with_bar {
        let nan = hm.values.iter().flatten().any(|v| !v.is_finite());
        draw_colour_bar(&side, pry.clone(), range, &hm.value_label, nan, th)?;
    }
    Ok(pry)
}

/// Draws a viridis colour bar for `range` in `side`, over the backend
/// pixel rows `rows`, titled `label`, with a "no value" key below it if
/// `nan`.
pub(crate) fn draw_colour_bar<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    rows: std::ops::Range<i32>,
    range: (f64, f64),
    label: &str,
    nan: bool,
    th: Theme,
) -> Result<(), PlotError> {
    let (vmin, vmax) = range;
    let frac = |v: f64| (v - vmin) / (vmax - vmin);
    let tick = th.font(TICK_PT);
    let (_, sy0) = side.get_base_pixel();
    let top = rows.start - sy0;
    let bar_h = rows.end - rows.start;
    let (sw, _) = side.dim_in_pixel();
    let bar_area = side.clone().shrink((th.px(18.0), top), (sw as i32 - th.px(18.0), bar_h));
    let va = Axis::exact(false, vmin, vmax, ((bar_h as f64 / th.k) / 80.0).round().clamp(3.0, 8.0) as usize);
    let mut vw = 0u32;
    for t in &va.major {
        vw = vw.max(side.estimate_text_size(&va.label(*t), &tick).map_err(de)?.0);
    }
    let dh = side.estimate_text_size("Ag", &th.font(DESC_PT)).map_err(de)?.1 as i32;
    let right = vw as i32 + th.px(16.0) + if label.is_empty() { 0 } else { dh + th.px(16.0) };
    let bar_w = th.px(26.0);
    let bar_area = bar_area.shrink((0, 0), (bar_w + right, bar_h));
    let mut bar = ChartBuilder::on(&bar_area)
        .set_label_area_size(LabelAreaPosition::Right, right)
        .build_cartesian_2d(0f64..1f64, va.coord())
        .map_err(de)?;
    let steps = 256;
    bar.draw_series((0..steps).map(|s| {
        let a = vmin + (vmax - vmin) * s as f64 / steps as f64;
        let b = vmin + (vmax - vmin) * (s + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], viridis(frac(0.5 * (a + b))).filled())
    }))
    .map_err(de)?;
    let vfmt = |t: &f64| va.label(*t);
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_label_formatter(&vfmt)
        .label_style(th.font(TICK_PT))
        .axis_desc_style(th.font(DESC_PT))
        .axis_style(BLACK.stroke_width(th.pu(1.0)))
        .set_all_tick_mark_size(th.px(5.0))
        .draw()
        .map_err(de)?;
    bar.draw_series(std::iter::once(Rectangle::new([(0.0, vmin), (1.0, vmax)], BLACK.stroke_width(th.pu(1.0)))))
        .map_err(de)?;
    if !label.is_empty() {
        // Reads upwards like the y-axis title, right of the tick labels.
        let x = th.px(18.0) + bar_w + vw as i32 + th.px(24.0) + dh / 2;
        side.draw(&Text::new(
            label,
            (x, top + bar_h / 2),
            th.font(DESC_PT).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(de)?;
    }

    if nan {
        let y = top + bar_h + th.px(14.0);
        let x = th.px(18.0);
        let sq = th.px(18.0);
        side.draw(&Rectangle::new([(x, y), (x + sq, y + sq)], NAN_GREY.filled())).map_err(de)?;
        side.draw(&Rectangle::new([(x, y), (x + sq, y + sq)], BLACK.stroke_width(th.pu(1.0)))).map_err(de)?;
        side.draw(&Text::new(
            "no value",
            (x + sq + th.px(8.0), y + sq / 2),
            th.font(TICK_PT).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(de)?;
    }
    Ok(())
}

/// The pixel length of a span `d` (axis coordinates) on an axis drawn over
/// `pixels` pixels.
fn xa_px(a: &Axis, d: f64, pixels: u32) -> f64 {
    d / (a.hi - a.lo) * pixels as f64
}
