//! What a figure is made of: charts of series (lines, dashed lines, markers
//! with CI bars, CI bands), heat maps, and the errors of drawing them.

use std::path::PathBuf;

/// The font family every text is drawn in (the bundled DejaVu Sans).
pub(super) const FONT_FAMILY: &str = "sans-serif";
/// Width of the colour bar that `render_heatmap_panels`
/// shares between panels, pixels.
pub const COLOUR_BAR_WIDTH: u32 = 190;

/// What can go wrong drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("invalid figure: {0}")]
    Invalid(String),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("the bundled font could not be loaded")]
    Font,
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// A line chart: several series on shared axes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    /// A symmetric-log y axis with linear threshold `c` (overrides
    /// `y_log`): y is drawn at sign(y)·log₁₀(1 + |y|/c), linear within about
    /// ±c and logarithmic beyond, so that values of both signs spanning many
    /// decades share one axis (ticks at 0 and ±c·10ᵏ).
    pub y_symlog: Option<f64>,
    pub series: Vec<Series>,
}

/// One named series; an empty name leaves it out of the legend. Colours
/// follow the series' index (Okabe–Ito palette) unless `colour` names one,
/// and marker shapes follow the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub style: Style,
    pub points: Vec<Point>,
    /// The palette colour (an index, wrapping), instead of the series'
    /// own: e.g. nested quantile bands and their median in one colour.
    pub colour: Option<usize>,
}

impl Series {
    pub fn new(name: impl Into<String>, style: Style, points: Vec<Point>) -> Series {
        Series { name: name.into(), style, points, colour: None }
    }

    /// The series drawn in palette colour `k`.
    pub fn coloured(self, k: usize) -> Series {
        Series { colour: Some(k), ..self }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// A solid line through the points (CI ignored).
    #[default]
    Line,
    /// A dashed line through the points (CI ignored), e.g. a prediction.
    Dashed,
    /// Markers with vertical CI error bars, unconnected.
    Markers,
    /// A solid centre line in a shaded CI band.
    Band,
    /// The shaded band `[lo, hi]` alone, without a centre line (nested
    /// bands, e.g. 10–90% and 25–75% quantiles, darken where they overlap).
    Shade,
}

/// A data point with its confidence interval `[lo, hi]` (both equal to `y`
/// when there is none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Point {
    /// A point without CI.
    pub fn new(x: f64, y: f64) -> Point {
        Point { x, y, lo: y, hi: y }
    }
    /// A point with CI `[lo, hi]`.
    pub fn with_ci(x: f64, y: f64, lo: f64, hi: f64) -> Point {
        Point { x, y, lo, hi }
    }
    /// A point with the symmetric CI `y ± half_width`.
    pub fn with_err(x: f64, y: f64, half_width: f64) -> Point {
        Point { x, y, lo: y - half_width, hi: y + half_width }
    }
}

/// A heatmap of `values[iy][ix]` over the grid `x × y` (cell centres,
/// strictly increasing), coloured by viridis with a colour bar; NaN cells
/// are grey. Values are printed in the cells when they fit. Cells may be
/// `outlined` (a red frame inside the cell) and `hatched` (diagonal lines),
/// each explained by a key below the colour bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub values: Vec<Vec<f64>>,
    /// The colour bar's title.
    pub value_label: String,
    /// Cells framed in red, e.g. where a prediction is rejected.
    pub outlined: CellMarks,
    /// Cells hatched, e.g. where the measurement's error is unreliable.
    pub hatched: CellMarks,
}

/// Some cells of a [`Heatmap`], marked, and what the mark means.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellMarks {
    /// `cells[iy][ix]`, shaped like the heatmap's `values`; empty: none.
    pub cells: Vec<Vec<bool>>,
    /// The key's text beside the mark, below the colour bar (lines split at
    /// `\n`); empty: no key.
    pub label: String,
}

impl CellMarks {
    /// Whether cell (`ix`, `iy`) is marked.
    pub fn at(&self, ix: usize, iy: usize) -> bool {
        self.cells.get(iy).and_then(|row| row.get(ix)).copied().unwrap_or(false)
    }
}
