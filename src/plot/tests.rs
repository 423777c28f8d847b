//! Renders each kind of figure to a scratch directory and checks the files.
//! Set `SIMSGD_PLOT_SAMPLES=<dir>` to keep the figures there for viewing.

use super::*;
use std::collections::HashSet;

/// A fresh directory for test `name`, and whether to delete it afterwards.
fn out_dir(name: &str) -> (PathBuf, bool) {
    if let Some(d) = std::env::var_os("SIMSGD_PLOT_SAMPLES") {
        let d = PathBuf::from(d);
        std::fs::create_dir_all(&d).unwrap();
        return (d, false);
    }
    let d = std::env::temp_dir().join(format!("simsgd-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    (d, true)
}

struct Image {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn px(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.w + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

fn decode(path: &Path) -> Image {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    Image { w: info.width, h: info.height, rgb: buf }
}

/// Checks the PNG's size and that it is a real drawing: many colours, and
/// ink in the middle of the figure (the plotting area).
fn check_png(path: &Path, size: (u32, u32)) -> Image {
    let img = decode(path);
    assert_eq!((img.w, img.h), size, "{}", path.display());
    let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    assert!(colours.len() > 100, "{}: {} colours", path.display(), colours.len());
    let (x0, x1, y0, y1) = (img.w / 4, 3 * img.w / 4, img.h / 4, 3 * img.h / 4);
    let ink =
        (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|&(x, y)| img.px(x, y) != [255, 255, 255]).count();
    assert!(ink > 500, "{}: {ink} non-white pixels in the middle", path.display());
    img
}

/// Only finished files in `dir`: no temporary names left.
fn check_no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.') && !name.contains(".tmp"), "leftover temporary file {name}");
    }
}

fn finish(dir: &Path, delete: bool) {
    check_no_temp_files(dir);
    if delete {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// A chart exercising every style, plus values a log axis cannot show.
fn every_style(x_log: bool, y_log: bool) -> Chart {
    let etas: Vec<f64> = (0..9).map(|i| 0.01 * 1.8f64.powi(i)).collect();
    let theory = |eta: f64| 0.8 * eta * eta + 2.0 * eta.powi(3);
    let mut measured: Vec<Point> = etas
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let y = theory(e) * (1.0 + 0.08 * ((i as f64) * 1.7).sin());
            Point::with_err(e, y, 0.15 * y)
        })
        .collect();
    // Skipped: a non-finite value, a non-positive x on a log axis.
    measured.push(Point::new(f64::NAN, 1.0));
    measured.push(Point::new(0.3, f64::INFINITY));
    measured.push(Point::with_ci(0.0, 0.01, 0.0, 0.02));
    Chart {
        title: "Excess loss after one epoch, N = 64".into(),
        x_label: "learning rate η".into(),
        y_label: "E[L(θ_T)] − L(θ*)  (±2 SE)".into(),
        x_log,
        y_log,
        y_symlog: None,
        series: vec![
            Series::new("measured", Style::Markers, measured),
            Series::new(
                "theory: η²·E[hg]/2 + O(η³)",
                Style::Dashed,
                etas.iter().map(|&e| Point::new(e, theory(e))).collect(),
            ),
            Series::new(
                "SDE, 95% band",
                Style::Band,
                etas.iter()
                    .map(|&e| {
                        let y = 0.7 * theory(e);
                        Point::with_ci(e, y, 0.8 * y, 1.2 * y)
                    })
                    .collect(),
            ),
            Series::new("GD (no noise)", Style::Line, etas.iter().map(|&e| Point::new(e, 0.3 * theory(e))).collect()),
        ],
    }
}

#[test]
fn plot_every_style_on_log_and_linear_axes() {
    let (dir, delete) = out_dir("styles");
    for (name, xl, yl) in [("loglog", true, true), ("linlin", false, false), ("loglin", true, false)] {
        let chart = every_style(xl, yl);
        let stem = dir.join(format!("styles_{name}"));
        render(&chart, &stem).unwrap();
        let img = check_png(&with_ext(&stem, "png"), CHART_SIZE);
        // All four palette colours appear (anti-aliasing leaves exact
        // colours inside thick lines and markers).
        let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        for c in &draw::PALETTE[..2] {
            assert!(colours.contains(&[c.0, c.1, c.2]), "{name}: colour {c:?} missing");
        }
        let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
        assert!(svg.starts_with("<svg"), "{name}");
        for s in &chart.series {
            assert!(svg.contains(&s.name), "{name}: series {} not in the SVG", s.name);
        }
        assert!(svg.contains("learning rate η"));
    }
    finish(&dir, delete);
}

#[test]
fn plot_panels_and_edge_cases() {
    let (dir, delete) = out_dir("panels");
    let mut single = Chart {
        title: "a single point".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        series: vec![Series::new("", Style::Markers, vec![Point::new(1.0, 2.0)])],
        ..Chart::default()
    };
    let empty = Chart {
        title: "no data".into(),
        y_log: true,
        series: vec![Series::new("nothing", Style::Line, vec![Point::new(1.0, -1.0)])],
        ..Chart::default()
    };
    let charts = vec![every_style(true, true), single.clone(), empty.clone()];
    let stem = dir.join("panels");
    render_panels(&charts, &stem).unwrap();
    check_png(&with_ext(&stem, "png"), (3 * PANEL_SIZE.0, PANEL_SIZE.1));
    // Four panels make a 2×2 grid.
    single.title = "four".into();
    let stem4 = dir.join("panels4");
    render_panels(&[single.clone(), empty.clone(), single, empty], &stem4).unwrap();
    let img = decode(&with_ext(&stem4, "png"));
    assert_eq!((img.w, img.h), (2 * PANEL_SIZE.0, 2 * PANEL_SIZE.1));
    assert!(render_panels(&[], &dir.join("none")).is_err());
    finish(&dir, delete);
}

#[test]
fn plot_heatmap_with_nan_and_log_axes() {
    let (dir, delete) = out_dir("heatmap");
    let x: Vec<f64> = (0..6).map(|i| 0.02 * 2f64.powi(i)).collect();
    let y: Vec<f64> = (1..=5).map(|i| i as f64 * 8.0).collect();
    let values: Vec<Vec<f64>> = y
        .iter()
        .map(|&n| x.iter().map(|&e| if e > 0.5 && n > 30.0 { f64::NAN } else { (e * n).sqrt() - 1.0 }).collect())
        .collect();
    let hm = Heatmap {
        title: "z-score of SGD − theory".into(),
        x_label: "η".into(),
        y_label: "N (samples)".into(),
        x_log: true,
        y_log: false,
        x,
        y,
        values,
        value_label: "z = Δ/SE".into(),
        // The first row framed, the first column hatched.
        outlined: CellMarks { cells: (0..5).map(|j| vec![j == 0; 6]).collect(), label: "|z| > 3:\nrejected".into() },
        hatched: CellMarks { cells: vec![(0..6).map(|i| i == 0).collect(); 5], label: "heavy tail".into() },
    };
    let stem = dir.join("heatmap");
    render_heatmap(&hm, &stem).unwrap();
    let img = check_png(&with_ext(&stem, "png"), HEATMAP_SIZE);
    let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    assert!(colours.contains(&[190, 190, 190]), "NaN cells are grey");
    assert!(colours.contains(&[230, 0, 0]), "framed cells are framed in red");
    let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
    assert!(svg.contains("z = Δ/SE") && svg.contains("no value"));
    for key in ["|z| &gt; 3:", "rejected", "heavy tail"] {
        assert!(svg.contains(key), "no key {key}");
    }
    assert_eq!(svg.matches("stroke=\"#E60000\"").count(), 6 + 1, "six framed cells and the key's frame");

    // A big grid: no cell text, still drawn.
    let n = 40;
    let big = Heatmap {
        title: "".into(),
        x: (0..n).map(|i| i as f64).collect(),
        y: (0..n).map(|i| 1e-3 * 1.2f64.powi(i)).collect(),
        y_log: true,
        values: (0..n).map(|j| (0..n).map(|i| ((i * j) as f64).sin()).collect()).collect(),
        ..Heatmap::default()
    };
    render_heatmap(&big, &dir.join("heatmap_big")).unwrap();
    check_png(&dir.join("heatmap_big.png"), HEATMAP_SIZE);

    // Bad shapes and grids are errors, and write nothing.
    let mut bad = hm.clone();
    bad.values.pop();
    assert!(matches!(render_heatmap(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    let mut bad = hm.clone();
    bad.x[0] = -1.0;
    assert!(matches!(render_heatmap(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    let mut bad = hm.clone();
    bad.hatched.cells[2].pop();
    assert!(matches!(render_heatmap(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    let mut bad = hm;
    bad.y.swap(0, 1);
    assert!(matches!(render_heatmap(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    assert!(!dir.join("bad.png").exists());
    finish(&dir, delete);
}

/// `n` maps of 5×5 cells, values 0.1 to 1e4 shown as log10, some NaN.
fn heatmap_grid(n: usize) -> Vec<Heatmap> {
    (0..n)
        .map(|k| {
            let x: Vec<f64> = (0..5).map(|i| 0.01 * 3f64.powi(i)).collect();
            let y: Vec<f64> = (0..5).map(|j| 16.0 * 2f64.powi(j)).collect();
            let values = (0..5)
                .map(|j| {
                    (0..5)
                        .map(|i| {
                            if (i + j + k) % 7 == 3 {
                                return f64::NAN;
                            }
                            // Spans 10^-1 .. 10^4 over the maps.
                            let e = -1.0 + 5.0 * ((i + j) as f64 / 8.0) * ((k + 1) as f64 / n as f64);
                            10f64.powf(e).log10()
                        })
                        .collect()
                })
                .collect();
            Heatmap {
                title: format!("run {k}: B = {}", 1 << (k % 5)),
                x_label: "η".into(),
                y_label: "N".into(),
                x_log: true,
                y_log: true,
                x,
                y,
                values,
                value_label: "log₁₀ loss ratio".into(),
                ..Heatmap::default()
            }
        })
        .collect()
}

#[test]
fn plot_heatmap_panels_share_one_colour_range() {
    let (dir, delete) = out_dir("heatmap_panels");
    let maps = heatmap_grid(20);
    let stem = dir.join("heatmap_panels");
    render_heatmap_panels(&maps, 4, &stem).unwrap();
    let size = (4 * HEATMAP_PANEL_SIZE.0 + COLOUR_BAR_WIDTH, 5 * HEATMAP_PANEL_SIZE.1);
    let img = check_png(&with_ext(&stem, "png"), size);
    let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    assert!(colours.contains(&[190, 190, 190]), "NaN cells are grey");
    let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
    for m in &maps {
        assert!(svg.contains(&m.title), "title {:?} missing", m.title);
    }
    // One shared colour bar: its title and NaN key appear once.
    assert_eq!(svg.matches("log₁₀ loss ratio").count(), 1);
    assert_eq!(svg.matches("no value").count(), 1);
    // The common range: the extremes over all maps, not per map.
    let (lo, hi) = draw::value_range(&maps);
    assert!((lo + 1.0).abs() < 1e-9 && (hi - 4.0).abs() < 1e-9, "range {lo}..{hi}");

    // Different colour-bar titles: one bar per panel, same range; fewer
    // maps than columns gives fewer columns.
    let mut two = heatmap_grid(2);
    two[1].value_label = "other".into();
    let stem2 = dir.join("heatmap_panels_own_bars");
    render_heatmap_panels(&two, 3, &stem2).unwrap();
    check_png(&with_ext(&stem2, "png"), (2 * HEATMAP_PANEL_SIZE.0, HEATMAP_PANEL_SIZE.1));
    let svg = std::fs::read_to_string(with_ext(&stem2, "svg")).unwrap();
    assert!(svg.contains("log₁₀ loss ratio") && svg.contains("other"));
    assert!(svg.contains(&two[0].title) && svg.contains(&two[1].title));

    // Nothing to draw, no columns, or a bad map: errors, nothing written.
    assert!(matches!(render_heatmap_panels(&[], 4, &dir.join("bad")), Err(PlotError::Invalid(_))));
    assert!(matches!(render_heatmap_panels(&maps, 0, &dir.join("bad")), Err(PlotError::Invalid(_))));
    let mut bad = heatmap_grid(3);
    bad[2].values.pop();
    assert!(matches!(render_heatmap_panels(&bad, 2, &dir.join("bad")), Err(PlotError::Invalid(_))));
    assert!(!dir.join("bad.png").exists() && !dir.join("bad.svg").exists());
    finish(&dir, delete);
}

#[test]
fn plot_stem_keeps_dots_and_creates_directories() {
    let (dir, delete) = out_dir("stem");
    let stem = dir.join("sub").join("eta0.1");
    render(&every_style(false, true), &stem).unwrap();
    assert!(dir.join("sub/eta0.1.png").exists());
    assert!(dir.join("sub/eta0.1.svg").exists());
    check_no_temp_files(&dir.join("sub"));
    if delete {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn plot_downsample_averages_blocks() {
    let buf = [0u8, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255];
    assert_eq!(downsample(&buf, 2, 2, 2), vec![191, 191, 191]);
}

/// The legend boxes of an SVG: (x, y, width, height) of each rectangle with
/// the legend's border colour.
fn svg_legends(svg: &str) -> Vec<(i64, i64, i64, i64)> {
    let attr = |tag: &str, name: &str| -> i64 {
        let key = format!(" {name}=\"");
        let from = tag.find(&key).unwrap() + key.len();
        tag[from..].split('"').next().unwrap().parse::<f64>().unwrap().round() as i64
    };
    svg.split("<rect")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap()])
        .filter(|t| t.contains("stroke=\"#B4B4B4\""))
        .map(|t| (attr(t, "x"), attr(t, "y"), attr(t, "width"), attr(t, "height")))
        .collect()
}

/// Horizontal runs, at least `min_len` long, of the legend's border grey in
/// a PNG: (x, y, length). Each legend box gives two, its top and bottom.
fn png_legend_edges(img: &Image, min_len: u32) -> Vec<(u32, u32, u32)> {
    let border = |p: [u8; 3]| p.iter().all(|&c| (c as i32 - 180).abs() <= 6);
    let mut runs = vec![];
    for y in 0..img.h {
        let mut x = 0;
        while x < img.w {
            if border(img.px(x, y)) {
                let x0 = x;
                while x < img.w && border(img.px(x, y)) {
                    x += 1;
                }
                if x - x0 >= min_len {
                    runs.push((x0, y, x - x0));
                }
            } else {
                x += 1;
            }
        }
    }
    runs
}

/// Every panel has exactly one legend, in the same place in the PNG and the
/// SVG, also where the panels' best corners differ (each drawing pass chose
/// its corner afresh, from pixel geometry that differs between the PNG's
/// twice-size pass and the SVG's, so near ties could put it elsewhere).
#[test]
fn plot_one_legend_per_panel_same_place_in_png_and_svg() {
    let (dir, delete) = out_dir("legends");
    let xs: Vec<f64> = (0..=40).map(|i| i as f64 / 40.0).collect();
    let chart = |title: &str, f: &dyn Fn(f64) -> f64, marks: Vec<Point>| Chart {
        title: title.into(),
        x_label: "x".into(),
        y_label: "y".into(),
        series: vec![
            Series::new("measured (95% CI)", Style::Markers, marks),
            Series::new("theory", Style::Dashed, xs.iter().map(|&x| Point::new(x, f(x))).collect()),
            Series::new("order 3", Style::Line, xs.iter().map(|&x| Point::new(x, 0.9 * f(x))).collect()),
        ],
        ..Chart::default()
    };
    let marks = |f: &dyn Fn(f64) -> f64| -> Vec<Point> {
        [0.1, 0.3, 0.5, 0.7, 0.9].iter().map(|&x| Point::with_err(x, f(x), 0.05)).collect()
    };
    let rising = |x: f64| x * x;
    let falling = |x: f64| 1.0 - x * x;
    let top = |x: f64| 1.0 - 0.05 * x;
    let charts = vec![
        chart("rising", &rising, marks(&rising)),
        chart("falling", &falling, marks(&falling)),
        chart("along the top", &top, vec![Point::with_err(0.5, 0.0, 0.05), Point::new(0.5, 0.95)]),
        chart("rising again", &rising, marks(&rising)),
    ];
    let stem = dir.join("legends");
    render_panels(&charts, &stem).unwrap();
    let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
    let boxes = svg_legends(&svg);
    assert_eq!(boxes.len(), charts.len(), "{boxes:?}");
    let (pw, ph) = (PANEL_SIZE.0 as i64, PANEL_SIZE.1 as i64);
    let panel = |x: i64, y: i64| (y / ph) * 2 + x / pw;
    for (i, b) in boxes.iter().enumerate() {
        assert_eq!(panel(b.0, b.1), i as i64, "legend {b:?} outside panel {i}");
        assert_eq!(panel(b.0 + b.2, b.1 + b.3), i as i64, "legend {b:?} outside panel {i}");
    }
    // The panels' legends are not all in the same corner.
    let corner = |b: &(i64, i64, i64, i64)| ((b.0 % pw) * 3 / pw, (b.1 % ph) * 3 / ph);
    let corners: HashSet<(i64, i64)> = boxes.iter().map(corner).collect();
    assert!(corners.len() >= 3, "{boxes:?}");

    let img = check_png(&with_ext(&stem, "png"), (2 * PANEL_SIZE.0, 2 * PANEL_SIZE.1));
    let min_len = boxes.iter().map(|b| b.2).min().unwrap() as u32 - 8;
    let edges = png_legend_edges(&img, min_len);
    // Within a few pixels: text sizes at twice the size are not exactly
    // twice, so the PNG's plotting area may sit a few pixels off the SVG's.
    assert_eq!(edges.len(), 2 * boxes.len(), "PNG legend edges {edges:?}, SVG legends {boxes:?}");
    for b in &boxes {
        for y in [b.1, b.1 + b.3] {
            let near = |e: &&(u32, u32, u32)| {
                (e.0 as i64 - b.0).abs() <= 4 && (e.1 as i64 - y).abs() <= 8 && (e.2 as i64 - b.2).abs() <= 6
            };
            assert_eq!(edges.iter().filter(near).count(), 1, "SVG legend {b:?} edge y = {y}: PNG edges {edges:?}");
        }
    }
    finish(&dir, delete);
}

/// A forced legend place is used (and reported), whatever the data: each
/// of the eight inside the plotting area, right of it and below it (the
/// plot giving up the room); a chart without names has no legend.
#[test]
fn plot_forced_legend_corner() {
    register_font().unwrap();
    let pts: Vec<Point> = (0..20).map(|i| Point::new(i as f64, (i * i) as f64)).collect();
    let mut chart = Chart { series: vec![Series::new("a line", Style::Line, pts)], ..Chart::default() };
    let draw = |chart: &Chart, legend: Option<Legend>| {
        let mut svg = String::new();
        let used = {
            let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
            draw::draw_chart(&root, chart, Theme { k: 1.0 }, legend).unwrap()
        };
        (used, svg_legends(&svg))
    };
    let (best, boxes) = draw(&chart, None);
    assert_eq!(boxes.len(), 1);
    assert!(matches!(best, Some(Legend::Inside(_))), "{best:?}: a free corner");
    let mut places = HashSet::new();
    for i in 0..8 {
        let (used, boxes) = draw(&chart, Some(Legend::Inside(i)));
        assert_eq!(used, Some(Legend::Inside(i)));
        assert_eq!(boxes.len(), 1);
        places.insert((boxes[0].0, boxes[0].1));
    }
    assert_eq!(places.len(), 8);
    let (right, below) = (draw(&chart, Some(Legend::Right)).1, draw(&chart, Some(Legend::Below)).1);
    let (b, (w, h)) = (places.iter(), CHART_SIZE);
    assert!(b.clone().all(|p| right[0].0 > p.0) && right[0].0 + right[0].2 < w as i64, "{right:?}");
    assert!(b.clone().all(|p| below[0].1 > p.1) && below[0].1 + below[0].3 < h as i64, "{below:?}");
    chart.series[0].name.clear();
    assert_eq!(draw(&chart, Some(Legend::Inside(2))), (None, vec![]));
}

/// A legend that would cover data anywhere inside the plotting area goes
/// outside it, and covers nothing: an error bar through every corner and
/// edge middle of the plot keeps the legend out.
#[test]
fn plot_legend_moves_out_of_a_full_plot() {
    register_font().unwrap();
    // Bars spanning the whole height at the left, middle and right, and
    // lines along the top, middle and bottom.
    let bars = [0.0, 0.5, 1.0].map(|x| Point::with_ci(x, 0.5, 0.0, 1.0)).to_vec();
    let across = |y: f64| (0..=10).map(|i| Point::new(i as f64 / 10.0, y)).collect::<Vec<_>>();
    let chart = Chart {
        series: vec![
            Series::new("measured (95% CI)", Style::Markers, bars),
            Series::new("top", Style::Line, across(1.0)),
            Series::new("middle", Style::Dashed, across(0.5)),
            Series::new("bottom", Style::Line, across(0.0)),
        ],
        ..Chart::default()
    };
    let mut svg = String::new();
    let used = {
        let root = SVGBackend::with_string(&mut svg, PANEL_SIZE).into_drawing_area();
        draw::draw_chart(&root, &chart, Theme { k: 1.0 }, None).unwrap()
    };
    assert!(matches!(used, Some(Legend::Right | Legend::Below)), "{used:?}");
    assert_eq!(svg_legends(&svg).len(), 1);
}

/// Quantile bands over runs on a symmetric-log axis: two nested shades and
/// a median line in one palette colour (blue), the other condition in its
/// own (vermillion); values of both signs over many decades are drawn, the
/// ticks are labelled ±10ᵏ and 0, and a bad threshold is refused.
#[test]
fn plot_nested_shades_on_a_symlog_axis() {
    let (dir, delete) = out_dir("symlog");
    let band = |k: usize, scale: f64| -> Vec<Series> {
        let pts = |f: &dyn Fn(f64) -> (f64, f64, f64)| -> Vec<Point> {
            (0..40)
                .map(|i| {
                    let t = i as f64 * 10.0;
                    let (y, lo, hi) = f(t);
                    Point::with_ci(t, y, lo, hi)
                })
                .collect()
        };
        let decay = move |t: f64| scale * (-t / 60.0).exp();
        vec![
            Series::new("10–90%", Style::Shade, pts(&|t| (0.0, -decay(t), 1e-3 * decay(t)))).coloured(k),
            Series::new("25–75%", Style::Shade, pts(&|t| (0.0, -0.1 * decay(t), 1e-5 * decay(t)))).coloured(k),
            Series::new("median", Style::Line, pts(&|t| (-1e-2 * decay(t), 0.0, 0.0))).coloured(k),
        ]
    };
    let mut series = band(0, 1.0);
    series.extend(band(1, 1e-3));
    let chart = Chart {
        title: "Δ over runs".into(),
        x_label: "step".into(),
        y_label: "Δ".into(),
        y_symlog: Some(1e-9),
        series,
        ..Chart::default()
    };
    let stem = dir.join("symlog");
    render(&chart, &stem).unwrap();
    let img = check_png(&with_ext(&stem, "png"), CHART_SIZE);
    let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    for c in &draw::PALETTE[..2] {
        assert!(colours.contains(&[c.0, c.1, c.2]), "colour {c:?} missing");
    }
    let c = draw::PALETTE[2];
    assert!(!colours.contains(&[c.0, c.1, c.2]), "the third palette colour is not used");
    let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
    for label in ["0", "\u{2212}10⁻³", "10⁻⁶"] {
        assert!(svg.lines().any(|l| l.trim() == label), "no tick label {label}");
    }
    let bad = Chart { y_symlog: Some(0.0), ..chart };
    assert!(matches!(render(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    finish(&dir, delete);
}
