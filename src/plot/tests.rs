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
    };
    let stem = dir.join("heatmap");
    render_heatmap(&hm, &stem).unwrap();
    let img = check_png(&with_ext(&stem, "png"), HEATMAP_SIZE);
    let colours: HashSet<[u8; 3]> = img.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    assert!(colours.contains(&[190, 190, 190]), "NaN cells are grey");
    let svg = std::fs::read_to_string(with_ext(&stem, "svg")).unwrap();
    assert!(svg.contains("z = Δ/SE") && svg.contains("no value"));

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
    let mut bad = hm;
    bad.y.swap(0, 1);
    assert!(matches!(render_heatmap(&bad, &dir.join("bad")), Err(PlotError::Invalid(_))));
    assert!(!dir.join("bad.png").exists());
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
