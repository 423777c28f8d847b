//! Axis ranges, tick positions and tick labels.
//!
//! Everything is drawn in *axis coordinates*: the data value itself on a
//! linear axis, its base-10 logarithm on a log axis. Plotters then only ever
//! sees linear `f64` ranges with explicit key points, so the four
//! linear/log combinations share one code path and the tick labels are ours.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// One axis in axis coordinates: the visible range, the labelled (major)
/// ticks and the unlabelled (minor) grid lines.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub log: bool,
    /// A symmetric-log axis' linear threshold c (`log` is then false).
    symlog: Option<f64>,
    pub lo: f64,
    pub hi: f64,
    pub major: Vec<f64>,
    pub minor: Vec<f64>,
    /// Whether labels use `m×10ⁿ` notation.
    sci: bool,
    /// Decimals of plain labels.
    decimals: usize,
}

/// The plotters coordinate of an [`Axis`]: linear in axis coordinates,
/// with our ticks as its bold (labelled) and light (grid) key points.
pub(crate) struct AxisCoord {
    inner: RangedCoordf64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for AxisCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Maps a data value to axis coordinates, `None` where it cannot be shown
/// (non-finite, or non-positive on a log axis).
pub(crate) fn to_axis(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

/// How data values map to axis coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    Linear,
    Log,
    /// sign(v)·log₁₀(1 + |v|/c).
    SymLog(f64),
}

impl Scale {
    /// The scale of a chart's y axis: symmetric-log where `symlog` is given,
    /// else log or linear.
    pub fn of(log: bool, symlog: Option<f64>) -> Scale {
        match (symlog, log) {
            (Some(c), _) => Scale::SymLog(c),
            (None, true) => Scale::Log,
            (None, false) => Scale::Linear,
        }
    }

    /// Maps a data value to axis coordinates, `None` where it cannot be
    /// shown ([`to_axis`]; any finite value on a symmetric-log axis).
    pub fn to_axis(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear => to_axis(v, false),
            Scale::Log => to_axis(v, true),
            Scale::SymLog(c) => v.is_finite().then(|| symlog(v, c)),
        }
    }
}

/// sign(v)·log₁₀(1 + |v|/c): where `v` is drawn on a symmetric-log axis
/// with threshold `c` ([`Chart::y_symlog`](super::Chart::y_symlog)).
pub fn symlog(v: f64, c: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v.signum() * (v.abs() / c).ln_1p() / std::f64::consts::LN_10
    }
}

impl Axis {
    /// A symmetric-log axis (threshold `c`) covering `[lo, hi]` (axis
    /// coordinates) padded by `pad` of the span on each side, labelled at 0
    /// and ±c·10ᵏ (every other decade, or sparser, when more than about
    /// `target` would show; the others, and ±c next to 0, unlabelled grid
    /// lines).
    pub fn auto_symlog(c: f64, bounds: Option<(f64, f64)>, pad: f64, target: usize) -> Axis {
        let (mut lo, mut hi) = bounds.unwrap_or((-1.0, 1.0));
        let span = (hi - lo).max(1.0);
        lo -= pad * span;
        hi += pad * span;
        let mut axis =
            Axis { log: false, symlog: Some(c), lo, hi, major: vec![], minor: vec![], sci: true, decimals: 0 };
        let eps = 1e-9;
        let inside = |t: f64| t >= lo - eps && t <= hi + eps;
        let top = lo.abs().max(hi.abs()).ceil() as i64 + 1;
        // (axis coordinate, decade k) of each visible ±c·10ᵏ.
        let ticks: Vec<(f64, i64)> = (0..=top)
            .flat_map(|k| [-1.0, 1.0].map(|sign| (symlog(sign * c * 10f64.powi(k as i32), c), k)))
            .filter(|(t, _)| inside(*t))
            .collect();
        let decades = ticks.iter().map(|(_, k)| *k).max().map_or(0, |k| k + 1) as usize;
        // The signs with a labelled decade to show (padding past 0 adds none).
        let sides = [-1.0, 1.0].iter().filter(|&&sign| ticks.iter().any(|(t, _)| sign * t > 0.0)).count().max(1);
        let every = (sides * decades).div_ceil(target.max(2)).max(1) as i64;
        if inside(0.0) {
            axis.major.push(0.0);
        }
        // ±c itself sits a third of a decade from 0: left unlabelled.
        let zero = axis.major.len() == 1;
        for (t, k) in ticks {
            if k % every == 0 && !(zero && k == 0) {
                axis.major.push(t);
            } else {
                axis.minor.push(t);
            }
        }
        axis.major.sort_by(f64::total_cmp);
        axis
    }

    /// An axis covering `[lo, hi]` (axis coordinates) padded by `pad` of the
    /// span on each side, with about `target` labelled ticks. `None` bounds
    /// (no data) give a unit range.
    pub fn auto(log: bool, bounds: Option<(f64, f64)>, pad: f64, target: usize) -> Axis {
        let (mut lo, mut hi) = bounds.unwrap_or((0.0, 1.0));
        if hi - lo <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
            // A single value: give it room (half a decade on a log axis).
            let half = if log {
                0.5
            } else if lo == 0.0 {
                1.0
            } else {
                0.1 * lo.abs()
            };
            lo -= half;
            hi += half;
        } else {
            let span = hi - lo;
            lo -= pad * span;
            hi += pad * span;
        }
        Axis::exact(log, lo, hi, target)
    }

    /// An axis covering exactly `[lo, hi]` (axis coordinates).
    pub fn exact(log: bool, lo: f64, hi: f64, target: usize) -> Axis {
        let target = target.max(2);
        let mut axis = Axis { log, symlog: None, lo, hi, major: vec![], minor: vec![], sci: false, decimals: 0 };
        if log {
            axis.log_ticks(target);
        } else {
            let (major, step) = linear_ticks(lo, hi, target);
            axis.major = major;
            axis.set_format(step);
        }
        axis
    }

    /// Replaces the labelled ticks by the given data values (e.g. the cells
    /// of a heatmap), dropping the minor grid.
    pub fn with_ticks_at(mut self, values: &[f64]) -> Axis {
        self.major = values
            .iter()
            .filter_map(|&v| to_axis(v, self.log))
            .filter(|t| *t >= self.lo - 1e-9 && *t <= self.hi + 1e-9)
            .collect();
        self.minor.clear();
        let data: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        // Enough decimals to tell every value apart, at most 6.
        let sci = data.iter().any(|v| *v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3));
        self.sci = sci;
        self.decimals =
            (0..=6).find(|&d| data.iter().all(|v| (round_to(*v, d) - v).abs() <= 1e-9 * v.abs())).unwrap_or(6);
        self
    }

    fn log_ticks(&mut self, target: usize) {
        let (lo, hi) = (self.lo, self.hi);
        let eps = 1e-9;
        let first = (lo - eps).ceil() as i64;
        let last = (hi + eps).floor() as i64;
        let decades: Vec<i64> = (first..=last).collect();
        if decades.len() >= 2 {
            let every = decades.len().div_ceil(target + 1).max(1) as i64;
            // Keep decades that are multiples of `every` so 10⁰ stays if shown.
            self.major = decades.iter().filter(|k| k.rem_euclid(every) == 0).map(|&k| k as f64).collect();
            if every == 1 {
                for k in (first - 1)..=last {
                    for m in 2..=9 {
                        let t = k as f64 + (m as f64).log10();
                        if t > lo && t < hi {
                            self.minor.push(t);
                        }
                    }
                }
            } else {
                self.minor = decades.iter().filter(|k| k.rem_euclid(every) != 0).map(|&k| k as f64).collect();
            }
            let big = self.major.iter().any(|t| *t < -3.0 - eps || *t > 4.0 + eps);
            self.sci = big;
            return;
        }
        // Less than two decades visible: 1-2-5 (or 1..9) multiples.
        for mults in [&[1.0, 2.0, 5.0][..], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0][..]] {
            let mut ticks = vec![];
            for k in (lo.floor() as i64 - 1)..=(hi.ceil() as i64) {
                for m in mults {
                    let t = k as f64 + f64::log10(*m);
                    if t >= lo - eps && t <= hi + eps {
                        ticks.push(t);
                    }
                }
            }
            if ticks.len() >= 3 || mults.len() == 9 && ticks.len() >= 2 {
                self.major = ticks;
                self.set_plain_format_from_values();
                return;
            }
        }
        // A very narrow range: linear ticks in value space.
        let (vals, step) = linear_ticks(10f64.powf(lo), 10f64.powf(hi), target);
        self.major = vals.iter().filter(|v| **v > 0.0).map(|v| v.log10()).collect();
        self.set_format(step);
    }

    /// Label format that shows every major tick (data values) exactly.
    fn set_plain_format_from_values(&mut self) {
        let vals: Vec<f64> = self.major.iter().map(|t| self.value(*t)).collect();
        self.sci = vals.iter().any(|v| v.abs() >= 1e5 || v.abs() < 1e-3);
    }

    /// Label format for linear ticks spaced by `step` (value space).
    fn set_format(&mut self, step: f64) {
        let vals: Vec<f64> = self.major.iter().map(|t| self.value(*t)).collect();
        let maxabs = vals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        self.sci = maxabs >= 1e5 || (maxabs > 0.0 && maxabs < 1e-3);
        self.decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    }

    /// The plotters coordinate for this axis.
    pub fn coord(&self) -> AxisCoord {
        AxisCoord { inner: (self.lo..self.hi).into(), major: self.major.clone(), minor: self.minor.clone() }
    }

    /// The data value at axis coordinate `t`.
    pub fn value(&self, t: f64) -> f64 {
        if let Some(c) = self.symlog {
            t.signum() * c * (10f64.powf(t.abs()) - 1.0)
        } else if self.log {
            10f64.powf(t)
        } else {
            t
        }
    }

    /// The tick label at axis coordinate `t`.
    pub fn label(&self, t: f64) -> String {
        if self.symlog.is_some() {
            return if t == 0.0 { "0".into() } else { sci_label(self.value(t)) };
        }
        if self.log && self.sci && (t - t.round()).abs() < 1e-9 {
            return format!("10{}", superscript(&format!("{}", t.round() as i64)));
        }
        let v = self.value(t);
        if self.sci {
            sci_label(v)
        } else if self.log {
            // Each label as short as it can be: 0.01, 0.1, 1, 10.
            let d = (0..=8).find(|&d| (round_to(v, d) - v).abs() <= 1e-6 * v.abs()).unwrap_or(8);
            plain_label(v, d)
        } else {
            plain_label(v, self.decimals)
        }
    }

    /// Fraction of the way from `lo` to `hi` of axis coordinate `t`.
    pub fn frac(&self, t: f64) -> f64 {
        (t - self.lo) / (self.hi - self.lo)
    }
}

/// Ticks at multiples of a 1-2-5 step inside `[lo, hi]`, and the step.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return (vec![lo], 1.0);
    }
    // The smallest 1-2-5 step giving at most `target` ticks (at least 2).
    let mut e = (span / target as f64).log10().floor() - 1.0;
    let step = 'search: loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powf(e);
            let n = ((hi + 1e-9 * step) / step).floor() - ((lo - 1e-9 * step) / step).ceil() + 1.0;
            if n <= target as f64 || n <= 2.0 {
                break 'search step;
            }
        }
        e += 1.0;
    };
    let mut ticks = vec![];
    let mut i = (lo / step - 1e-9).ceil() as i64;
    loop {
        let t = i as f64 * step;
        if t > hi + 1e-9 * step {
            break;
        }
        // Snap float noise (0.30000000000000004, -1e-17) to the grid.
        let t = if t.abs() < 1e-9 * step { 0.0 } else { round_sig(t, 12) };
        ticks.push(t);
        i += 1;
    }
    (ticks, step)
}

fn round_to(v: f64, d: usize) -> f64 {
    let p = 10f64.powi(d as i32);
    (v * p).round() / p
}

fn round_sig(v: f64, sig: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let e = v.abs().log10().floor() as i32;
    let p = 10f64.powi(sig - 1 - e);
    (v * p).round() / p
}

/// `v` with `decimals` decimals and a typographic minus sign.
pub(crate) fn plain_label(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v);
    let zero = s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.');
    if zero {
        return s.trim_start_matches('-').to_string();
    }
    s.replace('-', "\u{2212}")
}

/// `v` as `m×10ⁿ` with the shortest mantissa (up to 3 significant digits).
pub(crate) fn sci_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{:.2e}", v);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mant = if mant.contains('.') { mant.trim_end_matches('0').trim_end_matches('.') } else { mant };
    let exp: i32 = exp.parse().unwrap_or(0);
    let mant = mant.replace('-', "\u{2212}");
    if mant == "1" {
        format!("10{}", superscript(&exp.to_string()))
    } else if mant == "\u{2212}1" {
        format!("\u{2212}10{}", superscript(&exp.to_string()))
    } else {
        format!("{mant}×10{}", superscript(&exp.to_string()))
    }
}

/// Decimals for the cell labels of heat maps coloured over `range`: three
/// significant digits of its span, so that the labels of every panel line up
/// and stay short.
pub(crate) fn cell_decimals((lo, hi): (f64, f64)) -> usize {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return 2;
    }
    (2 - span.log10().floor() as i32).clamp(0, 6) as usize
}

/// A cell's value with `decimals` decimals (empty for NaN).
pub(crate) fn value_label(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    plain_label(v, decimals)
}

fn superscript(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            '-' => '⁻',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_axis_linear_ticks_are_round() {
        let a = Axis::auto(false, Some((0.0, 1.0)), 0.05, 6);
        let labels: Vec<String> = a.major.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert!(a.lo < 0.0 && a.hi > 1.0);
    }

    #[test]
    fn plot_axis_log_decades() {
        let a = Axis::auto(true, Some((-6.0, 0.0)), 0.05, 6);
        let labels: Vec<String> = a.major.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]);
        let b = Axis::auto(true, Some((-2.0, 1.0)), 0.05, 6);
        let labels: Vec<String> = b.major.iter().map(|t| b.label(*t)).collect();
        assert_eq!(labels, ["0.01", "0.1", "1", "10"]);
        let c = Axis::auto(true, Some((0.05f64.log10(), 0.25f64.log10())), 0.05, 6);
        let labels: Vec<String> = c.major.iter().map(|t| c.label(*t)).collect();
        assert_eq!(labels, ["0.05", "0.1", "0.2"]);
    }

    /// A symmetric-log axis over −10⁻³..10⁻⁵ with c = 10⁻⁸: labelled at 0
    /// and ±c·10ᵏ, thinned to every other decade (±c unlabelled beside 0),
    /// each label its value.
    #[test]
    fn plot_axis_symlog() {
        let c = 1e-8;
        let s = |v: f64| Scale::SymLog(c).to_axis(v).unwrap();
        assert_eq!(s(0.0), 0.0);
        assert!((s(1e-3) - 5.0).abs() < 1e-4 && (s(-1e-3) + 5.0).abs() < 1e-4);
        assert!((s(c) - 2f64.log10()).abs() < 1e-12);
        let a = Axis::auto_symlog(c, Some((s(-1e-3), s(1e-5))), 0.05, 6);
        let labels: Vec<String> = a.major.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["\u{2212}10⁻⁴", "\u{2212}10⁻⁶", "0", "10⁻⁶"]);
        for t in &a.major {
            assert!((s(a.value(*t)) - t).abs() < 1e-9);
        }
        assert!(!a.minor.is_empty());
        // One sign, padded just past 0: every decade labelled, as on a log
        // axis (the padding used to count as a second side and halve them).
        let c = 0.01;
        let a = Axis::auto_symlog(c, Some((symlog(-20.0, c), symlog(-0.002, c))), 0.05, 6);
        let labels: Vec<String> = a.major.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["\u{2212}10¹", "\u{2212}10⁰", "\u{2212}10⁻¹", "0"]);
        assert_eq!(Scale::of(true, None), Scale::Log);
        assert_eq!(Scale::of(true, Some(c)), Scale::SymLog(c));
        assert_eq!(Scale::of(false, None).to_axis(-2.0), Some(-2.0));
    }

    #[test]
    fn plot_axis_labels() {
        assert_eq!(plain_label(-0.5, 1), "\u{2212}0.5");
        assert_eq!(plain_label(-0.0, 1), "0.0");
        assert_eq!(sci_label(2.5e-7), "2.5×10⁻⁷");
        assert_eq!(sci_label(1e6), "10⁶");
        assert_eq!(value_label(0.012345, 4), "0.0123");
        assert_eq!(value_label(123.456, 0), "123");
        assert_eq!(value_label(-0.331, 1), "\u{2212}0.3");
        assert_eq!(value_label(f64::NAN, 1), "");
        assert_eq!(cell_decimals((-3.0, 6.5)), 2);
        assert_eq!(cell_decimals((0.01, 0.02)), 4);
        assert_eq!(cell_decimals((1.0, 1.0)), 2);
    }
}
