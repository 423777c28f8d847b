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
use super::chart::{CellMarks, Chart, Heatmap, PlotError, Series, Style, COLOUR_BAR_WIDTH, FONT_FAMILY};

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

/// Where a chart's legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Legend {
    /// In the plotting area, at candidate `i` of [`legend_candidates`].
    Inside(usize),
    /// Right of the plotting area, which is narrowed to make room.
    Right,
    /// Below the x-axis title; the plotting area is shortened.
    Below,
}

/// A chart's margins around its title, label areas and plotting area, in
/// logical pixels: top (with a title), top without one, right, left and
/// bottom.
const MARGINS: [f64; 5] = [12.0, 16.0, 28.0, 10.0, 8.0];
/// The gap between the plotting area (or the x-axis title) and a legend
/// outside it, logical pixels.
const LEGEND_GAP: f64 = 14.0;
/// A legend goes outside only where the plotting area keeps this share of
/// its width (legend right) or height (legend below).
const KEPT_OUTSIDE: f64 = 0.5;

/// Draws one chart filling `area`. The legend goes where `legend` says if
/// given, else where [`choose_legend`] finds it covers no data; returns
/// where it went (`None`: no named series, no legend).
///
/// Passing the SVG pass's choice to the PNG pass keeps the legend in the
/// same place in both files: it is chosen in backend pixels, and the PNG's
/// twice-size geometry (text sizes, label areas, rounding) gives slightly
/// different costs, so near ties could go different ways.
pub(crate) fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    th: Theme,
    legend: Option<Legend>,
) -> Result<Option<Legend>, PlotError> {
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
    let [top, top_untitled, right, margin_left, margin_bottom] = MARGINS.map(|m| th.px(m));
    let top = if chart.title.is_empty() { top_untitled } else { top };
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).filter(|n| !n.is_empty()).collect();
    let gap = th.px(LEGEND_GAP);
    let size = if names.is_empty() { None } else { Some(legend_size(&names, th)?) };
    let place = match (size, legend) {
        (None, _) => None,
        (Some(_), Some(l)) if !matches!(l, Legend::Inside(i) if i >= CANDIDATES) => Some(l),
        (Some(size), _) => {
            // The plotting area as plotters will lay it out (the title as
            // `DrawingArea::titled` reserves it).
            let title = title_height(area, chart, th)?;
            let plot = (w as i32 - margin_left - right - left, h as i32 - top - margin_bottom - title - bottom);
            Some(choose_legend(chart, &pts, &xa, &ya, plot, size, th))
        }
    };
    // A legend outside takes its room from the plotting area.
    let (right, margin_bottom) = match (place, size) {
        (Some(Legend::Right), Some((lw, _))) => (margin_left + lw + gap, margin_bottom),
        (Some(Legend::Below), Some((_, lh))) => (right, margin_bottom + lh + gap),
        _ => (right, margin_bottom),
    };
    let mut cb = ChartBuilder::on(area);
    cb.margin_top(top)
        .margin_right(right)
        .margin_left(margin_left)
        .margin_bottom(margin_bottom)
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
        let colour = series_colour(s, i);
        let lo = |q: &(f64, f64, Option<f64>, Option<f64>)| q.2.unwrap_or(ya.lo);
        let hi = |q: &(f64, f64, Option<f64>, Option<f64>)| q.3.unwrap_or(ya.lo);
        let mut poly: Vec<(f64, f64)> = p.iter().map(|q| (q.0, lo(q))).collect();
        poly.extend(p.iter().rev().map(|q| (q.0, hi(q))));
        ctx.draw_series(std::iter::once(Polygon::new(poly, colour.mix(0.2).filled()))).map_err(de)?;
    }

    let mr = 5.0 * th.k;
    for (i, (s, p)) in chart.series.iter().zip(&pts).enumerate() {
        let colour = series_colour(s, i);
        let line = colour.stroke_width(th.pu(LINE_W));
        let xy: Vec<(f64, f64)> = p.iter().map(|q| (q.0, q.1)).collect();
        match s.style {
            Style::Line | Style::Band => {
                ctx.draw_series(std::iter::once(PathElement::new(xy, line))).map_err(de)?;
            }
            // Drawn with the bands.
            Style::Shade => {}
            Style::Dashed => {
                let (d, g) = (th.px(10.0), th.px(6.0));
                ctx.draw_series(std::iter::once(DashedPathElement::new(xy, d, g, line))).map_err(de)?;
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
                ctx.draw_series(marks).map_err(de)?;
            }
        }
    }

    // A full frame around the plotting area.
    ctx.draw_series(std::iter::once(Rectangle::new([(xa.lo, ya.lo), (xa.hi, ya.hi)], BLACK.stroke_width(th.pu(1.0)))))
        .map_err(de)?;

    if let (Some(place), Some((lw, lh))) = (place, size) {
        let (xr, yr) = ctx.plotting_area().get_pixel_range();
        let (pw, ph) = (xr.end - xr.start, yr.end - yr.start);
        let (x, y) = match place {
            Legend::Inside(i) => legend_candidates((pw, ph), (lw, lh), th)[i],
            Legend::Right => (pw + gap, 0),
            Legend::Below => (((pw - lw) / 2).max(-left), ph + bottom + gap / 2),
        };
        // Drawn on `area` (plotters clamps what it draws on the plotting
        // area to it, so a legend outside could not be drawn there).
        let (bx, by) = area.get_base_pixel();
        draw_legend(area, chart, (xr.start - bx + x, yr.start - by + y), (lw, lh), th)?;
    }
    Ok(place)
}

/// A legend's margin around its lines and the width of its swatches,
/// logical pixels.
const LEGEND_MARGIN: f64 = 10.0;
const SWATCH_W: f64 = 36.0;

/// The size of a legend box listing `names`: swatches, the names beside
/// them, and a margin around.
fn legend_size(names: &[&str], th: Theme) -> Result<(i32, i32), PlotError> {
    let font = th.font(LEGEND_PT);
    let mut text = MultiLineText::<(i32, i32), &str>::new((0, 0), &font);
    for n in names {
        text.push_line(*n);
    }
    let (w, h) = text.estimate_dimension().map_err(de)?;
    let m = th.px(LEGEND_MARGIN);
    Ok((w + th.px(SWATCH_W) + 3 * m, h + 2 * m))
}

/// Draws the legend of `chart`'s named series, `lw × lh` at (`x`, `y`) in
/// `area`: a box, and per series its swatch and name.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    (x, y): (i32, i32),
    (lw, lh): (i32, i32),
    th: Theme,
) -> Result<(), PlotError> {
    let font = th.font(LEGEND_PT);
    let m = th.px(LEGEND_MARGIN);
    let corners = [(x, y), (x + lw, y + lh)];
    area.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled())).map_err(de)?;
    area.draw(&Rectangle::new(corners, RGBColor(180, 180, 180).stroke_width(th.pu(1.0)))).map_err(de)?;
    let named: Vec<(usize, &Series)> = chart.series.iter().enumerate().filter(|(_, s)| !s.name.is_empty()).collect();
    let mut text = MultiLineText::<(i32, i32), &str>::new((x + th.px(SWATCH_W) + 2 * m, y + m), &font);
    for (_, s) in &named {
        text.push_line(s.name.as_str());
    }
    area.draw(&text).map_err(de)?;
    for ((i, s), ((_, y0), (_, y1))) in named.into_iter().zip(text.compute_line_layout().map_err(de)?) {
        draw_swatch(area, s, i, (x + m, (y0 + y1) / 2), th)?;
    }
    Ok(())
}

/// Draws the legend swatch of series `s` (the `i`th) from (`x`, `y`), on
/// its centre line: a line, a dashed line, a band, a shade or a marker with
/// its error bar, as the series is drawn.
fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Series,
    i: usize,
    (x, y): (i32, i32),
    th: Theme,
) -> Result<(), PlotError> {
    let colour = series_colour(s, i);
    let line = colour.stroke_width(th.pu(LINE_W));
    let len = th.px(SWATCH_W);
    let hh = th.px(7.0);
    let shade = Rectangle::new([(x, y - hh), (x + len, y + hh)], colour.mix(0.2).filled());
    let path = |from: i32, to: i32| PathElement::new(vec![(x + from, y), (x + to, y)], line);
    match s.style {
        Style::Line => area.draw(&path(0, len)),
        Style::Band => area.draw(&shade).and_then(|()| area.draw(&path(0, len))),
        Style::Shade => area.draw(&shade),
        Style::Dashed => {
            let (d, g) = (th.px(10.0), th.px(6.0));
            [(0, d), (d + g, 2 * d + g), (2 * (d + g), len.min(3 * d + 2 * g))]
                .into_iter()
                .try_for_each(|(a, b)| area.draw(&path(a, b)))
        }
        Style::Markers => {
            let bar = colour.stroke_width(th.pu(1.6));
            let (cap, hb, cx) = (th.px(5.0), th.px(8.0), x + len / 2);
            let shape: Vec<(i32, i32)> =
                marker_shape(i, 5.0 * th.k).into_iter().map(|(u, v)| (cx + u, y + v)).collect();
            [
                PathElement::new(vec![(cx, y - hb), (cx, y + hb)], bar),
                PathElement::new(vec![(cx - cap, y - hb), (cx + cap, y - hb)], bar),
                PathElement::new(vec![(cx - cap, y + hb), (cx + cap, y + hb)], bar),
            ]
            .iter()
            .try_for_each(|e| area.draw(e))
            .and_then(|()| area.draw(&Polygon::new(shape, colour.filled())))
        }
    }
    .map_err(de)
}

/// The palette colour series `s` (the `i`th) is drawn in.
fn series_colour(s: &Series, i: usize) -> RGBColor {
    PALETTE[s.colour.unwrap_or(i) % PALETTE.len()]
}

/// The height the chart's title takes above its plotting area, as
/// `DrawingArea::titled` reserves it (0 without a title).
fn title_height<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart, th: Theme) -> Result<i32, PlotError> {
    if chart.title.is_empty() {
        return Ok(0);
    }
    let (_, h) = area.estimate_text_size(&chart.title, &th.font(TITLE_PT)).map_err(de)?;
    Ok(2 * (h / 2).min(5) as i32 + h as i32)
}

/// The number of places a legend may take inside the plotting area.
const CANDIDATES: usize = 8;

/// Where the legend box (`lw × lh`) may go in the plotting area (`pw × ph`),
/// in order of preference: the four corners (upper right first), then the
/// middles of the edges.
fn legend_candidates((pw, ph): (i32, i32), (lw, lh): (i32, i32), th: Theme) -> [(i32, i32); CANDIDATES] {
    let m = th.px(10.0);
    let (cx, cy) = ((pw - lw) / 2, (ph - lh) / 2);
    let (rx, by) = (pw - lw - m, ph - lh - m);
    [(rx, m), (m, m), (rx, by), (m, by), (cx, m), (cx, by), (rx, cy), (m, cy)]
}

/// Where the legend (`lw × lh`) covers no data: the first candidate in the
/// plotting area (`pw × ph`) that covers no mark ([`marks`]); else outside,
/// right of the plot or below it, whichever leaves the plot more of its
/// area (and at least [`KEPT_OUTSIDE`] of its width or height); else the
/// candidate that covers the fewest marks.
fn choose_legend(
    chart: &Chart,
    pts: &[Pts],
    xa: &Axis,
    ya: &Axis,
    (pw, ph): (i32, i32),
    (lw, lh): (i32, i32),
    th: Theme,
) -> Legend {
    let marks = marks(chart, pts, xa, ya, (pw as f64, ph as f64));
    let pad = th.k * 6.0;
    let covered = |&(x, y): &(i32, i32)| -> usize {
        let rect = [x as f64 - pad, y as f64 - pad, (x + lw) as f64 + pad, (y + lh) as f64 + pad];
        marks.iter().filter(|m| crosses(m, rect)).count()
    };
    let costs: Vec<usize> = legend_candidates((pw, ph), (lw, lh), th).iter().map(covered).collect();
    let best = (0..costs.len()).min_by_key(|&i| costs[i]).expect("candidates");
    if costs[best] == 0 {
        return Legend::Inside(best);
    }
    let gap = th.px(LEGEND_GAP);
    let kept = |room: i32, taken: i32, across: i32, space: i32| -> f64 {
        if across > space {
            0.0
        } else {
            (room - taken - gap) as f64 / room as f64
        }
    };
    let (right, below) = (kept(pw, lw, lh, ph), kept(ph, lh, lw, pw));
    match right.max(below) {
        k if k < KEPT_OUTSIDE => Legend::Inside(best),
        _ if right >= below => Legend::Right,
        _ => Legend::Below,
    }
}

/// Vertical spans per interval between a band's points that stand for its
/// inside in [`marks`].
const BAND_SPANS: usize = 8;

/// What a legend must not cover, as segments in plotting-area pixels (y
/// down; a point is a segment from itself to itself): every point drawn,
/// its CI bar, every piece of a line, and bands, edges and inside.
fn marks(chart: &Chart, pts: &[Pts], xa: &Axis, ya: &Axis, (pw, ph): (f64, f64)) -> Vec<[(f64, f64); 2]> {
    type Q = (f64, f64, Option<f64>, Option<f64>);
    let px = |x: f64, y: f64| (xa.frac(x) * pw, (1.0 - ya.frac(y)) * ph);
    // CI ends that a log axis cannot show are drawn at its bottom.
    let (lo, hi, centre) = (|q: &Q| q.2.unwrap_or(ya.lo), |q: &Q| q.3.unwrap_or(ya.lo), |q: &Q| q.1);
    let mut marks = Vec::new();
    for (s, p) in chart.series.iter().zip(pts) {
        let path = |y: &dyn Fn(&Q) -> f64| -> Vec<[(f64, f64); 2]> {
            p.windows(2).map(|w| [px(w[0].0, y(&w[0])), px(w[1].0, y(&w[1]))]).collect()
        };
        let lines: &[&dyn Fn(&Q) -> f64] = match s.style {
            Style::Markers => {
                marks.extend(p.iter().flat_map(|q| [[px(q.0, q.1); 2], [px(q.0, lo(q)), px(q.0, hi(q))]]));
                &[]
            }
            Style::Line | Style::Dashed => &[&centre],
            Style::Band => &[&centre, &lo, &hi],
            Style::Shade => &[&lo, &hi],
        };
        for y in lines {
            marks.extend(path(*y));
        }
        if matches!(s.style, Style::Band | Style::Shade) {
            // The band's inside, as vertical spans across it.
            let spans = p.windows(2).flat_map(|w| {
                (0..BAND_SPANS).map(move |k| {
                    let f = k as f64 / BAND_SPANS as f64;
                    let at = |y: &dyn Fn(&Q) -> f64| y(&w[0]) + f * (y(&w[1]) - y(&w[0]));
                    let x = w[0].0 + f * (w[1].0 - w[0].0);
                    [px(x, at(&lo)), px(x, at(&hi))]
                })
            });
            marks.extend(spans.chain(p.last().map(|q| [px(q.0, lo(q)), px(q.0, hi(q))])));
        }
    }
    marks
}

/// Whether the segment `m` meets the rectangle `[x0, y0, x1, y1]`
/// (Liang–Barsky clipping).
fn crosses(m: &[(f64, f64); 2], [x0, y0, x1, y1]: [f64; 4]) -> bool {
    let [(ax, ay), (bx, by)] = *m;
    let (dx, dy) = (bx - ax, by - ay);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
            t1 = t1.min(q / p);
        }
    }
    t0 <= t1
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
    for (name, marks) in [("outlined", &hm.outlined), ("hatched", &hm.hatched)] {
        if !marks.cells.is_empty() && (marks.cells.len() != yc.len() || marks.cells.iter().any(|r| r.len() != xc.len()))
        {
            return Err(PlotError::Invalid(format!(
                "heatmap {name} cells must be shaped like its values, {} rows of {}",
                yc.len(),
                xc.len()
            )));
        }
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
    let side_w = if with_bar { th.px(COLOUR_BAR_WIDTH as f64).min(w as i32 / 3) } else { 0 };
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

    // Hatching under the values, frames over them.
    let (pw, ph) = ctx.plotting_area().dim_in_pixel();
    let scale = (pw as f64 / (xa.hi - xa.lo), ph as f64 / (ya.hi - ya.lo));
    let cell = |i: usize, j: usize| ([ex[i], ex[i + 1]], [ey[j], ey[j + 1]]);
    let marked = |marks: &CellMarks| -> Vec<(usize, usize)> {
        (0..yc.len()).flat_map(|j| (0..xc.len()).map(move |i| (i, j))).filter(|&(i, j)| marks.at(i, j)).collect()
    };
    let hatches = marked(&hm.hatched).into_iter().flat_map(|(i, j)| {
        let (x, y) = cell(i, j);
        let style = ink(colour_of(hm.values[j][i])).mix(0.6).stroke_width(th.pu(1.3));
        hatching(x, y, scale, HATCH_GAP * th.k).into_iter().map(move |s| PathElement::new(s.to_vec(), style))
    });
    ctx.draw_series(hatches).map_err(de)?;

    // Values in the cells when every label fits its cell.
    let plot = ctx.plotting_area();
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
                    let style = probe.clone().color(&ink(colour_of(v))).pos(Pos::new(HPos::Center, VPos::Center));
                    texts.push(Text::new(label(v), (xc[i], yc[j]), style));
                }
            }
            ctx.draw_series(texts).map_err(de)?;
        }
    }
    let frames = marked(&hm.outlined).into_iter().map(|(i, j)| {
        let (x, y) = cell(i, j);
        let (dx, dy) = (OUTLINE_INSET * th.k / scale.0, OUTLINE_INSET * th.k / scale.1);
        Rectangle::new([(x[0] + dx, y[0] + dy), (x[1] - dx, y[1] - dy)], OUTLINE.stroke_width(th.pu(OUTLINE_W)))
    });
    ctx.draw_series(frames).map_err(de)?;
    ctx.draw_series(std::iter::once(Rectangle::new([(xa.lo, ya.lo), (xa.hi, ya.hi)], BLACK.stroke_width(th.pu(1.0)))))
        .map_err(de)?;

    // The colour bar, aligned with the plotting area.
    let (_, pry) = ctx.plotting_area().get_pixel_range();
    if with_bar {
        draw_colour_bar(&side, pry.clone(), range, &hm.value_label, &keys(std::slice::from_ref(hm)), th)?;
    }
    Ok(pry)
}

/// Black or white, whichever reads on `background`.
fn ink(background: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = background;
    let luminance = 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64;
    if luminance > 140.0 {
        BLACK
    } else {
        WHITE
    }
}

/// The colour, inset and width (logical pixels) of an outlined cell's
/// frame, and the spacing of a hatched cell's lines.
const OUTLINE: RGBColor = RGBColor(230, 0, 0);
const OUTLINE_INSET: f64 = 3.0;
const OUTLINE_W: f64 = 3.0;
const HATCH_GAP: f64 = 9.0;

/// Hatching of the rectangle `x × y` (corners in any coordinates, `scale`
/// pixels per unit along each, negative where the axis points the other
/// way): lines at 45° on screen, `gap` pixels apart.
fn hatching(x: [f64; 2], y: [f64; 2], scale: (f64, f64), gap: f64) -> Vec<[(f64, f64); 2]> {
    // In pixels from the corner (x[0], y[0]), u along x, v along y: the
    // lines u = v + c.
    let (w, h) = ((x[1] - x[0]) * scale.0, (y[1] - y[0]) * scale.1);
    let at = |u: f64, v: f64| (x[0] + u / scale.0, y[0] + v / scale.1);
    (1..)
        .map(|k| k as f64 * gap - h)
        .take_while(|&c| c < w)
        .filter_map(|c| {
            let (v0, v1) = ((-c).max(0.0), h.min(w - c));
            (v1 > v0).then(|| [at(v0 + c, v0), at(v1 + c, v1)])
        })
        .collect()
}

/// A key below a colour bar: a swatch and what it means.
pub(crate) enum Key<'a> {
    /// Grey: a cell without a value.
    NoValue,
    /// A frame: [`Heatmap::outlined`]'s label.
    Outlined(&'a str),
    /// Hatching: [`Heatmap::hatched`]'s label.
    Hatched(&'a str),
}

/// The keys of `maps`' colour bar: "no value" where a value is missing,
/// and each kind of mark the maps label (the first label of each).
pub(crate) fn keys(maps: &[Heatmap]) -> Vec<Key<'_>> {
    let nan = maps.iter().flat_map(|m| m.values.iter().flatten()).any(|v| !v.is_finite());
    let label = |pick: fn(&Heatmap) -> &CellMarks| maps.iter().map(|m| pick(m).label.as_str()).find(|l| !l.is_empty());
    let mut keys: Vec<Key> = nan.then_some(Key::NoValue).into_iter().collect();
    keys.extend(label(|m| &m.outlined).map(Key::Outlined));
    keys.extend(label(|m| &m.hatched).map(Key::Hatched));
    keys
}

/// Draws a viridis colour bar for `range` in `side`, over the backend
/// pixel rows `rows`, titled `label`, with `keys` below it.
pub(crate) fn draw_colour_bar<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    rows: std::ops::Range<i32>,
    range: (f64, f64),
    label: &str,
    keys: &[Key],
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

    draw_keys(side, keys, top + bar_h + th.px(14.0), th)?;
    Ok(())
}

/// Draws `keys` in `side` one under the other from pixel row `y`: a
/// swatch, and its text right of it (a line per `\n`).
fn draw_keys<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    keys: &[Key],
    y: i32,
    th: Theme,
) -> Result<(), PlotError> {
    let (x, sq) = (th.px(18.0), th.px(18.0));
    let tick = th.font(TICK_PT);
    let line_h = side.estimate_text_size("Ag", &tick).map_err(de)?.1 as i32 + th.px(2.0);
    let mut y = y;
    for key in keys {
        let swatch = [(x, y), (x + sq, y + sq)];
        let (fill, text) = match key {
            Key::NoValue => (NAN_GREY, "no value"),
            Key::Outlined(text) | Key::Hatched(text) => (viridis(0.35), *text),
        };
        side.draw(&Rectangle::new(swatch, fill.filled())).map_err(de)?;
        match key {
            Key::NoValue => {}
            Key::Outlined(_) => {
                let d = th.px(OUTLINE_INSET) / 2;
                let frame = [(x + d, y + d), (x + sq - d, y + sq - d)];
                side.draw(&Rectangle::new(frame, OUTLINE.stroke_width(th.pu(OUTLINE_W)))).map_err(de)?;
            }
            Key::Hatched(_) => {
                let style = ink(fill).mix(0.6).stroke_width(th.pu(1.3));
                let lines = hatching([x as f64, (x + sq) as f64], [(y + sq) as f64, y as f64], (1.0, -1.0), 6.0 * th.k);
                for [a, b] in lines {
                    let p = |(u, v): (f64, f64)| (u.round() as i32, v.round() as i32);
                    side.draw(&PathElement::new(vec![p(a), p(b)], style)).map_err(de)?;
                }
            }
        }
        side.draw(&Rectangle::new(swatch, BLACK.stroke_width(th.pu(1.0)))).map_err(de)?;
        let lines: Vec<&str> = text.split('\n').collect();
        for (k, line) in lines.iter().enumerate() {
            let at = (x + sq + th.px(8.0), y + sq / 2 + k as i32 * line_h);
            side.draw(&Text::new(*line, at, tick.clone().pos(Pos::new(HPos::Left, VPos::Center)))).map_err(de)?;
        }
        y += sq + (lines.len() as i32 - 1) * line_h + th.px(12.0);
    }
    Ok(())
}

/// The pixel length of a span `d` (axis coordinates) on an axis drawn over
/// `pixels` pixels.
fn xa_px(a: &Axis, d: f64, pixels: u32) -> f64 {
    d / (a.hi - a.lo) * pixels as f64
}
