//! Figures: line charts with confidence intervals, and heatmaps, written as
//! both PNG and SVG.
//!
//! Built on `plotters` with its `ab_glyph` text renderer and the bundled
//! DejaVu Sans (assets/fonts, Bitstream Vera/Arev licence), so no system
//! font or font library is needed, and Greek, superscripts, `±`, `×` and
//! `−` render everywhere.
//!
//! ```no_run
//! use simsgd::plot::{render, Chart, Point, Series, Style};
//! let chart = Chart {
//!     title: "Loss after one epoch".into(),
//!     x_label: "learning rate η".into(),
//!     y_label: "E[L] − L(θ₀)".into(),
//!     x_log: true,
//!     y_log: false,
//!     y_symlog: None,
//!     series: vec![Series::new(
//!         "measured ± 2 SE",
//!         Style::Markers,
//!         vec![Point::with_ci(0.01, 1.0, 0.9, 1.1), Point::new(0.1, 2.0)],
//!     )],
//! };
//! render(&chart, std::path::Path::new("out/loss")).unwrap(); // out/loss.png, out/loss.svg
//! ```
//!
//! Axis ranges follow the data (CI ends included) with 5% padding; values
//! that cannot be shown (non-finite, or non-positive on a log axis) are
//! skipped. The PNG is drawn at twice its size and averaged down, which
//! anti-aliases lines that the bitmap backend draws aliased. The legend goes
//! where it covers no data (point, error bar, line or band): a free corner or
//! edge middle of the plotting area, else right of it or below it, the plot
//! giving up the room. Labels write math in Unicode the bundled font draws
//! ([`subscript`]: `θ₁₀`, `gₜ₋₁`).
//!
//! [`render_heatmap_panels`] puts several heatmaps in a grid on one common
//! colour range (one shared colour bar when their `value_label`s agree).

mod axis;
mod chart;
mod draw;
#[cfg(test)]
mod tests;
mod text;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::FontStyle;

pub use axis::symlog;
use chart::FONT_FAMILY;
pub use chart::{CellMarks, Chart, Heatmap, PlotError, Point, Series, Style, COLOUR_BAR_WIDTH};
use draw::{de, draw_chart, draw_colour_bar, draw_heatmap, keys, value_range, Legend, Theme};
pub use text::subscript;

/// Size of a single chart, pixels.
pub const CHART_SIZE: (u32, u32) = (1000, 700);
/// Size of one panel of [`render_panels`], pixels.
pub const PANEL_SIZE: (u32, u32) = (680, 540);
/// Size of a heatmap with its colour bar, pixels.
pub const HEATMAP_SIZE: (u32, u32) = (1000, 760);
/// Size of one panel of [`render_heatmap_panels`] (without colour bar),
/// pixels.
pub const HEATMAP_PANEL_SIZE: (u32, u32) = (520, 420);
/// The PNG is drawn this many times larger, then averaged down.
const SUPERSAMPLE: u32 = 2;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Draws `chart` to `<stem>.png` ([`CHART_SIZE`]) and `<stem>.svg`. The
/// extensions are appended (a stem `eta0.1` gives `eta0.1.png`); missing
/// parent directories are created; each file is written under a temporary
/// name in its directory and renamed, so no half-written figure is left.
pub fn render(chart: &Chart, stem: &Path) -> Result<(), PlotError> {
    render_figure(&Figure::Chart(chart), stem)
}

/// Draws several charts side by side in one figure (up to 3 per row, 2×2
/// for 4), each [`PANEL_SIZE`], to `<stem>.png` and `<stem>.svg`.
pub fn render_panels(charts: &[Chart], stem: &Path) -> Result<(), PlotError> {
    panels_images(charts)?.write(stem)
}

/// Draws a heatmap ([`HEATMAP_SIZE`]) to `<stem>.png` and `<stem>.svg`.
pub fn render_heatmap(heatmap: &Heatmap, stem: &Path) -> Result<(), PlotError> {
    render_figure(&Figure::Heatmap(heatmap), stem)
}

/// Draws several heatmaps in a grid of `columns` per row (fewer if there
/// are fewer maps), each with its own title and axes, to `<stem>.png` and
/// `<stem>.svg`. All panels are coloured over one value range, the extremes
/// of the finite values of all maps, so that they can be compared.
///
/// When every map has the same `value_label`, one colour bar to the right
/// of the grid serves all panels: the image is `columns ×`
/// [`HEATMAP_PANEL_SIZE`] plus [`COLOUR_BAR_WIDTH`] wide. Otherwise each
/// panel has its own colour bar (same range, its own title) within its
/// [`HEATMAP_PANEL_SIZE`]. Cell values are printed where they fit.
pub fn render_heatmap_panels(maps: &[Heatmap], columns: usize, stem: &Path) -> Result<(), PlotError> {
    heatmap_panels_images(maps, columns)?.write(stem)
}

/// A figure drawn in memory, to be written as the caller chooses (`simsgd
/// figure` writes both beside its CSV, the three together).
pub struct Images {
    pub png: Vec<u8>,
    pub svg: String,
}

impl Images {
    /// Writes `<stem>.png` and `<stem>.svg`, each atomically, creating their
    /// directory.
    fn write(&self, stem: &Path) -> Result<(), PlotError> {
        write_atomic(&with_ext(stem, "png"), &self.png)?;
        write_atomic(&with_ext(stem, "svg"), self.svg.as_bytes())
    }
}

/// What [`render`] draws, in memory.
pub fn chart_images(chart: &Chart) -> Result<Images, PlotError> {
    images(&Figure::Chart(chart))
}

/// What [`render_panels`] draws, in memory.
pub fn panels_images(charts: &[Chart]) -> Result<Images, PlotError> {
    if charts.is_empty() {
        return Err(PlotError::Invalid("no panels to draw".into()));
    }
    images(&Figure::Panels(charts))
}

/// What [`render_heatmap_panels`] draws, in memory.
pub fn heatmap_panels_images(maps: &[Heatmap], columns: usize) -> Result<Images, PlotError> {
    if maps.is_empty() {
        return Err(PlotError::Invalid("no heatmaps to draw".into()));
    }
    if columns == 0 {
        return Err(PlotError::Invalid("heatmap panels need at least one column".into()));
    }
    for m in maps {
        draw::check_heatmap(m)?;
    }
    let shared_bar = maps.iter().all(|m| m.value_label == maps[0].value_label);
    images(&Figure::HeatmapPanels { maps, columns: columns.min(maps.len()), shared_bar })
}

enum Figure<'a> {
    Chart(&'a Chart),
    Panels(&'a [Chart]),
    Heatmap(&'a Heatmap),
    HeatmapPanels { maps: &'a [Heatmap], columns: usize, shared_bar: bool },
}

impl Figure<'_> {
    fn grid(n: usize) -> (usize, usize) {
        let cols = match n {
            0..=3 => n.max(1),
            4 => 2,
            _ => 3,
        };
        (n.div_ceil(cols), cols)
    }

    fn size(&self) -> (u32, u32) {
        match self {
            Figure::Chart(_) => CHART_SIZE,
            Figure::Heatmap(_) => HEATMAP_SIZE,
            Figure::Panels(c) => {
                let (rows, cols) = Figure::grid(c.len());
                (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32)
            }
            Figure::HeatmapPanels { maps, columns, shared_bar } => {
                let rows = maps.len().div_ceil(*columns) as u32;
                let bar = if *shared_bar { COLOUR_BAR_WIDTH } else { 0 };
                (HEATMAP_PANEL_SIZE.0 * *columns as u32 + bar, HEATMAP_PANEL_SIZE.1 * rows)
            }
        }
    }

    /// Draws the figure; `legends` forces where each chart's legend goes
    /// (see [`draw_chart`]). Returns where each chart's legend went.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        th: Theme,
        legends: &[Option<Legend>],
    ) -> Result<Vec<Option<Legend>>, PlotError> {
        register_font()?;
        let forced = |i: usize| legends.get(i).copied().flatten();
        match self {
            Figure::Chart(c) => Ok(vec![draw_chart(root, c, th, forced(0))?]),
            Figure::Heatmap(h) => draw_heatmap(root, h, th, value_range([*h]), true).map(|_| vec![]),
            Figure::HeatmapPanels { maps, columns, shared_bar } => {
                root.fill(&plotters::style::WHITE).map_err(de)?;
                let range = value_range(maps.iter());
                let (w, _) = root.dim_in_pixel();
                let bar_w = if *shared_bar { (COLOUR_BAR_WIDTH as f64 * th.k).round() as i32 } else { 0 };
                let (grid, side) = root.split_horizontally(w as i32 - bar_w);
                let rows = maps.len().div_ceil(*columns);
                let areas = grid.split_evenly((rows, *columns));
                let mut span: Option<std::ops::Range<i32>> = None;
                for (m, a) in maps.iter().zip(&areas) {
                    let r = draw_heatmap(a, m, th, range, !*shared_bar)?;
                    span = Some(match span {
                        None => r,
                        Some(s) => s.start.min(r.start)..s.end.max(r.end),
                    });
                }
                if let (true, Some(span)) = (*shared_bar, span) {
                    // At most about two panels tall, centred on the panels'
                    // plotting areas.
                    let max_h = (2.0 * HEATMAP_PANEL_SIZE.1 as f64 * th.k) as i32;
                    let h = (span.end - span.start).min(max_h);
                    let top = (span.start + span.end - h) / 2;
                    draw_colour_bar(&side, top..top + h, range, &maps[0].value_label, &keys(maps), th)?;
                }
                Ok(vec![])
            }
            Figure::Panels(cs) => {
                let areas = root.split_evenly(Figure::grid(cs.len()));
                let mut used = Vec::with_capacity(cs.len());
                for (i, (c, a)) in cs.iter().zip(&areas).enumerate() {
                    used.push(draw_chart(a, c, th, forced(i))?);
                }
                for a in areas.iter().skip(cs.len()) {
                    a.fill(&plotters::style::WHITE).map_err(de)?;
                }
                Ok(used)
            }
        }
    }
}

fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// `stem` with `.ext` appended.
fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s = OsString::from(stem.as_os_str());
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn render_figure(fig: &Figure, stem: &Path) -> Result<(), PlotError> {
    images(fig)?.write(stem)
}

/// `fig` drawn as PNG and SVG, in memory.
fn images(fig: &Figure) -> Result<Images, PlotError> {
    let (w, h) = fig.size();
    // Draw both in memory first: a drawing error writes nothing. The SVG
    // goes first and the PNG puts each legend where the SVG did.
    let mut svg = String::new();
    let legends = {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        let legends = fig.draw(&root, Theme { k: 1.0 }, &[])?;
        root.present().map_err(de)?;
        legends
    };
    let png = {
        let (sw, sh) = (w * SUPERSAMPLE, h * SUPERSAMPLE);
        let mut buf = vec![255u8; (sw * sh * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (sw, sh)).into_drawing_area();
            fig.draw(&root, Theme { k: SUPERSAMPLE as f64 }, &legends)?;
            root.present().map_err(de)?;
        }
        encode_png(&downsample(&buf, sw, sh, SUPERSAMPLE), w, h)?
    };
    Ok(Images { png, svg })
}

/// Averages `f × f` blocks of an RGB image.
fn downsample(buf: &[u8], w: u32, h: u32, f: u32) -> Vec<u8> {
    if f == 1 {
        return buf.to_vec();
    }
    let (w, h, f) = (w as usize, h as usize, f as usize);
    let (ow, oh) = (w / f, h / f);
    let mut out = vec![0u8; ow * oh * 3];
    for oy in 0..oh {
        for ox in 0..ow {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..f {
                    let row = (oy * f + dy) * w;
                    for dx in 0..f {
                        sum += buf[(row + ox * f + dx) * 3 + c] as u32;
                    }
                }
                let n = (f * f) as u32;
                out[(oy * ow + ox) * 3 + c] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    out
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| PlotError::Png(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| PlotError::Png(e.to_string()))?;
        writer.finish().map_err(|e| PlotError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// Writes `bytes` to `path` whole or not at all ([`crate::atomic`]), creating
/// its directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    dir.map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| crate::atomic::write(path, bytes))
        .map_err(|source| PlotError::Io { path: path.to_path_buf(), source })
}
