//! Charts and report (issue 6): run the real binary on a small scenario and
//! on a hand-made output directory of the coming vehicles (guidance fund,
//! loan programme) with a sweep, then read the files back: valid SVG/PNG of
//! the right size, markers where `summary.csv` and `risk.csv` put them,
//! `fundsim plot` reproducing `run` byte for byte, text drawn with the
//! bundled font, and the report rendering in headless Chromium. The shipped
//! policy package checks the tornado (sensitivity.csv), the fiscal chart
//! (fiscal.csv) and the report's fiscal, sweep and sensitivity tables.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const W: u32 = 1200;
const H: u32 = 750;

/// The charts of a venture fund named `fund`.
const FUND_CHARTS: [&str; 10] = [
    "dist_fund_tvpi",
    "dist_fund_dpi",
    "dist_fund_irr",
    "dist_fund_gross_multiple",
    "fan_fund_cum_net_cash_flow",
    "fan_fund_nav",
    "fan_fund_dpi",
    "deals_fund_multiples",
    "deals_fund_routes",
    "exits_fund_years",
];

/// Run SMALL_FUND into `<dir>/out` with extra flags.
fn run_small(dir: &Path, extra: &[&str]) -> PathBuf {
    let scn = scenario(dir, "small.toml", SMALL_FUND);
    let out = dir.join("out");
    let mut args = vec!["run", scn.to_str().unwrap(), "--out", "out", "--quiet"];
    args.extend_from_slice(extra);
    let o = fundsim(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

/// Chart files in `out/charts`, name -> bytes.
fn chart_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Decode a PNG to (width, height, RGB bytes).
fn png_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::io::Cursor::new(std::fs::read(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Check one chart's SVG and PNG; return the SVG text.
fn check_chart(out: &Path, name: &str) -> String {
    let svg_path = out.join("charts").join(format!("{name}.svg"));
    let svg = read(&svg_path);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: not XML: {e}", svg_path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1200"), "{name}");
    assert_eq!(root.attribute("height"), Some("750"), "{name}");
    assert_eq!(root.attribute("viewBox"), Some("0 0 1200 750"), "{name}");
    let png = std::fs::read(out.join("charts").join(format!("{name}.png"))).unwrap();
    assert_eq!(png_size(&png), (W, H), "{name}.png");
    svg
}

/// A `<text>` of an SVG: x, y, anchor, content.
#[derive(Debug, Clone)]
struct SvgText {
    x: f64,
    y: f64,
    anchor: String,
    text: String,
}

fn svg_texts(svg: &str) -> Vec<SvgText> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| SvgText {
            x: n.attribute("x").unwrap().parse().unwrap(),
            y: n.attribute("y").unwrap().parse().unwrap(),
            anchor: n.attribute("text-anchor").unwrap_or("").to_string(),
            text: n.text().unwrap_or("").trim().to_string(),
        })
        .collect()
}

/// Vertical polylines of a colour: the distinct x of each, in order.
fn vertical_lines(svg: &str, colour: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut xs: Vec<f64> = Vec::new();
    for n in doc.descendants().filter(|n| n.has_tag_name("polyline")) {
        if n.attribute("stroke") != Some(colour) {
            continue;
        }
        let pts: Vec<(f64, f64)> = n
            .attribute("points")
            .unwrap()
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        if pts.len() >= 2 && pts.iter().all(|p| p.0 == pts[0].0) && pts[0].1 != pts[1].1 && !xs.contains(&pts[0].0) {
            xs.push(pts[0].0);
        }
    }
    xs.sort_by(f64::total_cmp);
    xs
}

/// The x axis's pixel mapping, read back from the tick labels: the x-axis
/// tick labels are the centred texts that parse with `parse` on the lowest
/// baseline holding at least three of them. Returns (offset, pixels per unit).
fn x_axis(svg: &str, parse: impl Fn(&str) -> Option<f64>) -> (f64, f64) {
    let mut by_y: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for t in svg_texts(svg) {
        if t.anchor == "middle"
            && let Some(v) = parse(&t.text)
        {
            by_y.entry(t.y as i64).or_default().push((v, t.x));
        }
    }
    let ticks = by_y.values().rfind(|v| v.len() >= 3).expect("x-axis tick labels");
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    let scale = (b.1 - a.1) / (b.0 - a.0);
    (a.1 - a.0 * scale, scale)
}

fn unit_number(s: &str, suffix: &str) -> Option<f64> {
    s.strip_suffix(suffix)?.parse().ok()
}

/// summary.csv as (vehicle.metric) -> column -> value.
fn summary(out: &Path) -> BTreeMap<String, BTreeMap<String, f64>> {
    let (h, rows) = csv(&out.join("summary.csv"));
    rows.iter()
        .map(|r| {
            let vals = h.iter().zip(r).skip(2).filter_map(|(k, v)| Some((k.clone(), v.parse().ok()?))).collect();
            (format!("{}.{}", r[0], r[1]), vals)
        })
        .collect()
}

/// Assert a marker line of `colour` sits at `value` on the mapped axis.
fn assert_marker_at(svg: &str, colour: &str, value: f64, axis: (f64, f64), what: &str) {
    let xs = vertical_lines(svg, colour);
    let expect = axis.0 + axis.1 * value;
    assert!(
        xs.iter().any(|x| (x - expect).abs() <= 1.5),
        "{what}: expected a {colour} line at x = {expect:.1}, found {xs:?}"
    );
}

fn has_text(svg: &str, needle: &str) -> bool {
    svg_texts(svg).iter().any(|t| t.text.contains(needle))
}

#[test]
fn run_draws_every_chart_as_valid_svg_and_png_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &[]);
    let files = chart_files(&out);
    let mut expect: Vec<String> = FUND_CHARTS.iter().flat_map(|n| [format!("{n}.png"), format!("{n}.svg")]).collect();
    expect.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expect);
    for name in FUND_CHARTS {
        check_chart(&out, name);
    }
    let html = read(&out.join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>small fund</h1>"));
    assert_eq!(html.matches("<svg ").count(), FUND_CHARTS.len());
    for name in FUND_CHARTS {
        assert!(html.contains(&format!("<figure id=\"{name}\">")), "{name}");
    }
    assert!(!html.contains("<script"), "no scripts");
    let no_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!no_ns.contains("http://") && !no_ns.contains("https://"), "nothing is loaded from the network");
    assert!(html.contains("Reproducibility") && html.contains("seed</dt><dd>42"));
    // Key tables from summary.csv.
    assert!(html.contains("<code>tvpi</code>"));
}

#[test]
fn return_markers_sit_at_the_summary_values_and_are_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &[]);
    let s = summary(&out);

    let tvpi = &s["fund.tvpi"];
    let svg = check_chart(&out, "dist_fund_tvpi");
    let axis = x_axis(&svg, |t| unit_number(t, "x"));
    assert_marker_at(&svg, "#0072B2", tvpi["p50"], axis, "TVPI median");
    assert_marker_at(&svg, "#D55E00", tvpi["mean"], axis, "TVPI mean");
    assert_marker_at(&svg, "#CC79A7", tvpi["p05"], axis, "TVPI P5");
    assert_marker_at(&svg, "#CC79A7", tvpi["p95"], axis, "TVPI P95");
    assert!(has_text(&svg, &format!("Median {:.2}x", tvpi["p50"])));
    assert!(has_text(&svg, &format!("Mean {:.2}x", tvpi["mean"])));
    assert!(has_text(&svg, &format!("P5 {:.2}x", tvpi["p05"])));
    assert!(has_text(&svg, &format!("P95 {:.2}x", tvpi["p95"])));

    // IRR is drawn in percent.
    let irr = &s["fund.irr"];
    let svg = check_chart(&out, "dist_fund_irr");
    let axis = x_axis(&svg, |t| unit_number(t, "%"));
    assert_marker_at(&svg, "#0072B2", 100.0 * irr["p50"], axis, "IRR median");
    assert_marker_at(&svg, "#D55E00", 100.0 * irr["mean"], axis, "IRR mean");
    assert!(has_text(&svg, &format!("Median {:.1}%", 100.0 * irr["p50"])));
}

#[test]
fn plot_redraws_byte_identical_charts_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &[]);
    let before = chart_files(&out);
    let report = std::fs::read(out.join("report.html")).unwrap();
    // Stale files in charts/ do not survive a redraw.
    std::fs::write(out.join("charts").join("stale.svg"), "x").unwrap();
    let o = fundsim(dir.path(), &["plot", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = chart_files(&out);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (name, bytes) in &before {
        assert!(after[name] == *bytes, "{name} differs after `fundsim plot`");
    }
    assert!(std::fs::read(out.join("report.html")).unwrap() == report);
    // No temporary folders left behind.
    let hidden: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn no_charts_writes_no_charts_and_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &["--no-charts", "--no-paths"]);
    assert!(out.join("summary.csv").exists());
    assert!(!out.join("charts").exists());
    assert!(!out.join("report.html").exists());
    // `fundsim plot` draws them later from the CSVs.
    let o = fundsim(dir.path(), &["plot", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without paths.csv there are no distributions, and the report says so.
    let names: Vec<String> = chart_files(&out).into_keys().collect();
    assert_eq!(names.len(), 2 * (FUND_CHARTS.len() - 4), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("dist_")));
    assert!(read(&out.join("report.html")).contains("paths.csv was not written"));
}

#[test]
fn plot_on_a_bad_output_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = fundsim(dir.path(), &["plot", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nowhere") && stderr(&o).contains("does not exist"));

    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = fundsim(dir.path(), &["plot", "empty"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("manifest.json"), "{}", stderr(&o));

    // A garbled CSV: exit 2 naming file and line; the earlier charts stay.
    let out = run_small(dir.path(), &[]);
    let before = chart_files(&out);
    let summary = read(&out.join("summary.csv"));
    let garbled = summary.replacen("\nfund,tvpi,x,", "\nfund,tvpi,x,abc", 1);
    std::fs::write(out.join("summary.csv"), garbled).unwrap();
    let o = fundsim(dir.path(), &["plot", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("summary.csv, line 2"), "{}", stderr(&o));
    assert!(chart_files(&out) == before, "a failed plot leaves the charts alone");

    // A font that is not a font: exit 2, before anything is simulated.
    std::fs::write(out.join("summary.csv"), summary).unwrap();
    std::fs::write(dir.path().join("bad.ttf"), "not a font").unwrap();
    let o = fundsim(dir.path(), &["plot", "out", "--font", "bad.ttf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.ttf"), "{}", stderr(&o));
    let scn = scenario(dir.path(), "s.toml", SMALL_FUND);
    let o = fundsim(dir.path(), &["run", scn.to_str().unwrap(), "--out", "o2", "--font", "bad.ttf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("o2").exists());
}

/// The shared libraries the binary loads, as `ldd` lists them (direct and
/// indirect), lower-cased; empty for a static binary. `ldd` is part of
/// glibc (Debian's libc-bin), so on Linux its absence or failure is an
/// error, not a reason to skip the check.
#[cfg(target_os = "linux")]
fn linked_libraries(bin: &str) -> String {
    let o = std::process::Command::new("ldd")
        .arg(bin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ldd to list the libraries {bin} links ({e}); install libc-bin"));
    let out = String::from_utf8_lossy(&o.stdout).to_lowercase();
    let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
    if !o.status.success() {
        // A static binary links nothing.
        assert!(
            out.contains("not a dynamic executable") || err.contains("not a dynamic executable"),
            "ldd {bin}: {out}{err}"
        );
        return String::new();
    }
    if out.contains("statically linked") {
        return String::new();
    }
    // A real listing names the C library.
    assert!(out.contains("libc.so"), "ldd {bin} listed no libc: {out}");
    out
}

#[test]
fn charts_need_no_system_fonts() {
    // The binary does not link fontconfig or freetype (checked on Linux,
    // where the release binary ships; other targets only draw)...
    #[cfg(target_os = "linux")]
    {
        let libs = linked_libraries(env!("CARGO_BIN_EXE_fundsim"));
        assert!(!libs.contains("fontconfig"), "{libs}");
        assert!(!libs.contains("freetype"), "{libs}");
    }
    // ...and still draws text: the title band of each PNG has ink.
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &[]);
    for name in FUND_CHARTS {
        let (w, h, rgb) = png_rgb(&out.join("charts").join(format!("{name}.png")));
        assert_eq!((w, h), (W, H));
        let inked = (0..60)
            .flat_map(|y| (0..600).map(move |x| (y * w as usize + x) * 3))
            .filter(|&i| rgb[i] < 128 && rgb[i + 1] < 128 && rgb[i + 2] < 128)
            .count();
        assert!(inked > 500, "{name}: title area has {inked} dark pixels");
    }
    // The SVG names the bundled family.
    let svg = read(&out.join("charts").join("dist_fund_tvpi.svg"));
    assert!(svg.contains("font-family=\"DejaVu Sans, sans-serif\""));
}

#[test]
fn font_flag_replaces_the_bundled_font() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &[]);
    let font = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/output/charts/fonts/DejaVuSans.ttf");
    let copy = dir.path().join("MyFont.ttf");
    std::fs::copy(&font, &copy).unwrap();
    let o = fundsim(dir.path(), &["plot", "out", "--font", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = read(&out.join("charts").join("dist_fund_tvpi.svg"));
    assert!(svg.contains("font-family=\"MyFont-"), "{}", &svg[..600]);
    assert!(!svg.contains("DejaVu Sans"));
    // Text is still drawn into the PNG with the given font.
    let (_, _, rgb) = png_rgb(&out.join("charts").join("dist_fund_tvpi.png"));
    let dark = rgb.chunks(3).take(60 * W as usize).filter(|p| p[0] < 128).count();
    assert!(dark > 500);
}

// ---------------------------------------------------------------------
// A hand-made output directory of the coming vehicles, with a sweep.

/// A small deterministic generator (64-bit LCG, top bits).
struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn cell(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { String::new() }
}

const FAKE_COLUMNS: [&str; 12] = [
    "angel.gov_tvpi",
    "angel.gov_irr",
    "angel.private_tvpi",
    "angel.private_irr",
    "angel.fiscal_cost",
    "loans.default_rate",
    "loans.gross_loss",
    "loans.bank_net_loss",
    "loans.bank_return",
    "loans.fiscal_cost",
    "loans.pool_exhausted",
    "total.fiscal_cost",
];
const FAKE_LOSSES: [&str; 6] = [
    "angel.fiscal_cost",
    "loans.default_rate",
    "loans.gross_loss",
    "loans.bank_net_loss",
    "loans.fiscal_cost",
    "total.fiscal_cost",
];

/// Per-path values of the fake vehicles; `ratio` is the swept risk
/// compensation ratio. Every 25th path has undefined IRRs.
fn fake_paths(n: usize, ratio: f64, seed: u64) -> Vec<Vec<f64>> {
    let mut g = Lcg(seed);
    (0..n)
        .map(|i| {
            let gov = (0.2 * g.normal() - 0.1).exp();
            let private = (0.5 * g.normal() + 0.2).exp();
            let undefined = i % 25 == 7;
            let angel_fc = 40.0 * (1.0 - gov).max(0.0);
            let dr = (0.04 + 0.03 * g.normal()).clamp(0.0, 1.0);
            let gross = 500.0 * dr * (0.6 + 0.1 * g.uniform());
            let comp = (ratio * gross).min(15.0);
            let exhausted = if ratio * gross > 15.0 { 1.0 } else { 0.0 };
            let net = gross - comp;
            let ret = 0.05 - net / 500.0;
            vec![
                gov,
                if undefined { f64::NAN } else { gov.ln() / 8.0 },
                private,
                if undefined { f64::NAN } else { private.ln() / 8.0 },
                angel_fc,
                dr,
                gross,
                net,
                ret,
                comp,
                exhausted,
                angel_fc + comp,
            ]
        })
        .collect()
}

fn write_paths(p: &Path, rows: &[Vec<f64>]) {
    let mut s = String::from("path,");
    s += &FAKE_COLUMNS.join(",");
    s += "\n";
    for (i, r) in rows.iter().enumerate() {
        s += &i.to_string();
        for x in r {
            s += ",";
            s += &cell(*x);
        }
        s += "\n";
    }
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

/// (mean, se, p05, p50, p95, sorted defined values) of a column.
fn stats(rows: &[Vec<f64>], j: usize) -> (f64, f64, f64, f64, f64, Vec<f64>) {
    let mut v: Vec<f64> = rows.iter().map(|r| r[j]).filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let q = |p| quantile(&v, p);
    (mean, sd / n.sqrt(), q(0.05), q(0.5), q(0.95), v)
}

/// Write the fake output directory; returns its path.
fn fake_output(dir: &Path) -> PathBuf {
    let out = dir.join("fake");
    std::fs::create_dir_all(&out).unwrap();
    let n = 600;
    let ratios = [0.0, 0.25, 0.5];
    let variants: Vec<Vec<Vec<f64>>> = ratios.iter().map(|&r| fake_paths(n, r, 7)).collect();
    write_paths(&out.join("paths.csv"), &variants[0]);
    for (i, v) in variants.iter().enumerate() {
        write_paths(&out.join("variants").join(i.to_string()).join("paths.csv"), v);
    }
    let rows = &variants[0];

    let mut s = String::from("vehicle,metric,mean,sd,se,min,p01,p05,p10,p25,p50,p75,p90,p95,p99,max,undefined_share\n");
    for (j, c) in FAKE_COLUMNS.iter().enumerate() {
        let (vehicle, metric) = c.split_once('.').unwrap();
        let (mean, se, p05, p50, p95, v) = stats(rows, j);
        let q = |p| quantile(&v, p);
        let und = (n - v.len()) as f64 / n as f64;
        s += &format!(
            "{vehicle},{metric},{mean},{},{se},{},{},{p05},{},{},{p50},{},{},{p95},{},{},{und}\n",
            se * (v.len() as f64).sqrt(),
            v[0],
            q(0.01),
            q(0.1),
            q(0.25),
            q(0.75),
            q(0.9),
            q(0.99),
            v[v.len() - 1]
        );
    }
    std::fs::write(out.join("summary.csv"), s).unwrap();

    let mut s = String::from("vehicle,metric,var95,es95,var99,es99,var999,es999\n");
    for c in FAKE_LOSSES {
        let j = FAKE_COLUMNS.iter().position(|x| *x == c).unwrap();
        let (vehicle, metric) = c.split_once('.').unwrap();
        let v = stats(rows, j).5;
        s += &format!("{vehicle},{metric}");
        for a in [0.95, 0.99, 0.999] {
            let var = quantile(&v, a);
            let k = ((a * v.len() as f64).ceil() as usize).min(v.len());
            let tail = &v[k - 1..];
            let es = tail.iter().sum::<f64>() / tail.len() as f64;
            s += &format!(",{var},{es}");
        }
        s += "\n";
    }
    std::fs::write(out.join("risk.csv"), s).unwrap();

    let mut s = String::from("vehicle,metric,step,year,p05,p25,p50,p75,p95\n");
    for (metric, scale) in [("gov_cum_net_cash_flow", 50.0), ("private_cum_net_cash_flow", 30.0)] {
        for t in 0..40 {
            let y = (t + 1) as f64 / 4.0;
            let mid = scale * (-(y / 3.0) + (y / 6.0).powi(2));
            let w = scale * 0.05 * y;
            s += &format!("angel,{metric},{t},{y},{},{},{mid},{},{}\n", mid - 2.0 * w, mid - w, mid + w, mid + 2.5 * w);
        }
    }
    std::fs::write(out.join("timeseries.csv"), s).unwrap();
    std::fs::write(out.join("deals.csv"), "vehicle,kind,label,count,share\n").unwrap();

    let key = "vehicles.loans.policy.risk_compensation.ratio";
    let mut s = format!("variant,{key},vehicle,metric,mean,se,p05,p50,p95,diff_mean,diff_se\n");
    for (i, v) in variants.iter().enumerate() {
        for (j, c) in FAKE_COLUMNS.iter().enumerate() {
            let (vehicle, metric) = c.split_once('.').unwrap();
            let (mean, se, p05, p50, p95, _) = stats(v, j);
            let base = stats(rows, j).0;
            s +=
                &format!("{i},{},{vehicle},{metric},{mean},{se},{p05},{p50},{p95},{},{}\n", ratios[i], mean - base, se);
        }
    }
    std::fs::write(out.join("sweep.csv"), s).unwrap();

    // A guidance fund that profits on average; a percent target whose
    // lever moves it the same way at both values.
    let h = "vehicle,discount_rate,fiscal_cost_mean,fiscal_cost_se,fiscal_cost_p05,fiscal_cost_p50,fiscal_cost_p95,\
             fiscal_cost_nominal_mean,fiscal_cost_nominal_se,share_of_total,private_capital_mean,credit_mean,firms_mean,\
             private_per_fiscal_yuan,private_per_fiscal_yuan_se,credit_per_fiscal_yuan,credit_per_fiscal_yuan_se,\
             firms_per_million_fiscal,firms_per_million_fiscal_se,fiscal_cost_per_additional_loan,\
             fiscal_cost_per_additional_loan_se,fiscal_cost_per_additional_credit,fiscal_cost_per_additional_credit_se,\
             fiscal_cost_per_private_capital,fiscal_cost_per_private_capital_se";
    let fiscal = format!(
        "{h}\nangel,0.027,-25,4,-80,-20,40,-30,5,-1.25,300,0,40,,,,,,,,,,,,\n\
         loans,0.027,45,1,20,44,70,48,1.1,2.25,0,500,100,0,0,11.1,0.3,2.2,0.05,,,,,,\n\
         total,0.027,20,4.1,-50,22,95,18,5.2,1,300,500,140,15,1.5,25,2.5,7,0.7,,,,,0.0667,0.007\n"
    );
    std::fs::write(out.join("fiscal.csv"), fiscal).unwrap();
    std::fs::write(
        out.join("sensitivity.csv"),
        "lever,low,high,target,base_mean,low_mean,high_mean,low_diff,low_diff_se,high_diff,high_diff_se,swing,swing_se\n\
         vehicles.angel.profit_concession,0.0,0.5,angel.gov_irr,0.02,0.03,0.045,0.01,0.001,0.025,0.002,0.015,0.002\n",
    )
    .unwrap();

    let manifest = serde_json::json!({
        "fundsim_version": "0.1.0",
        "scenario_name": "Guidance fund and loan programme (test fixture)",
        "scenario_description": "A hand-made output directory for the chart tests.",
        "scenario_file": "fake.toml",
        "scenario_sha256": "00",
        "sets": ["simulation.paths=600"],
        "seed": 7,
        "paths": n,
        "threads": 1,
        "steps_per_year": 4,
        "years": 10,
        "generator": "test",
        "wall_seconds": 0.0,
        "scenario": "name = \"fake\"\n",
        "resolved_scenario": ""
    });
    std::fs::write(out.join("manifest.json"), manifest.to_string()).unwrap();
    out
}

#[test]
fn coming_vehicles_and_sweeps_get_their_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = fake_output(dir.path());
    let o = fundsim(dir.path(), &["plot", "fake"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expect = [
        "dist_angel_gov_tvpi",
        "dist_angel_gov_irr",
        "dist_angel_private_tvpi",
        "dist_angel_private_irr",
        "dist_loans_bank_return",
        "loss_angel_fiscal_cost",
        "loss_loans_default_rate",
        "loss_loans_gross_loss",
        "loss_loans_bank_net_loss",
        "loss_total_fiscal_cost",
        "fan_angel_gov_cum_net_cash_flow",
        "fan_angel_private_cum_net_cash_flow",
        "sweep_loans_bank_net_loss",
        "sweep_loans_pool_exhausted",
        "sweep_total_fiscal_cost",
        "cdf_loans_bank_net_loss",
        "cdf_total_fiscal_cost",
    ];
    for name in expect {
        check_chart(&out, name);
    }
    // No chart whose series are all constant: the loans' fiscal cost is 0
    // in every path of variant 0 (ratio 0); the angel fund and the default
    // rate do not depend on the swept ratio, so their sweep lines are flat
    // and their variant CDFs identical.
    for flat in ["loss_loans_fiscal_cost", "sweep_angel_gov_tvpi", "sweep_loans_default_rate", "cdf_angel_gov_tvpi"] {
        assert!(!out.join("charts").join(format!("{flat}.svg")).exists(), "{flat} is flat and drawn");
    }
    assert!(!out.join("charts").join("cdf_loans_pool_exhausted.svg").exists());
    let html = read(&out.join("report.html"));
    assert_eq!(html.matches("<svg ").count(), chart_files(&out).len() / 2);

    // Loss markers: VaR and ES from risk.csv, money on a plain axis.
    let (_, risk) = csv(&out.join("risk.csv"));
    let row = risk.iter().find(|r| r[0] == "loans" && r[1] == "bank_net_loss").unwrap();
    let (var95, es95, var99): (f64, f64, f64) =
        (row[2].parse().unwrap(), row[3].parse().unwrap(), row[4].parse().unwrap());
    let svg = check_chart(&out, "loss_loans_bank_net_loss");
    let axis = x_axis(&svg, |t| t.parse().ok());
    assert_marker_at(&svg, "#E69F00", var95, axis, "VaR 95%");
    assert_marker_at(&svg, "#E69F00", es95, axis, "ES 95%");
    assert_marker_at(&svg, "#000000", var99, axis, "VaR 99%");
    assert!(has_text(&svg, &format!("VaR 95% {var95:.1} mn CNY")));
    assert!(has_text(&svg, &format!("ES 95% {es95:.1} mn CNY")));

    // The pool-exhaustion share is shown.
    let s = summary(&out);
    let pool = 100.0 * s["loans.pool_exhausted"]["mean"];
    assert!(has_text(&svg, &format!("risk pool exhausted in {pool:.1}% of paths")));

    // Undefined IRRs are skipped and counted.
    let svg = check_chart(&out, "dist_angel_gov_irr");
    assert!(has_text(&svg, "24 undefined (skipped)"), "600 paths, every 25th undefined");
    assert!(html.contains("24 path(s) had no defined value"));
    let axis = x_axis(&svg, |t| unit_number(t, "%"));
    assert_marker_at(&svg, "#0072B2", 100.0 * s["angel.gov_irr"]["p50"], axis, "gov IRR median");

    // Sweep charts: the lever on x, the variants' means on the line.
    let svg = check_chart(&out, "sweep_loans_bank_net_loss");
    assert!(has_text(&svg, "Risk compensation ratio (loans) (%)"), "the lever in plain words, in percent");
    let svg = check_chart(&out, "cdf_loans_bank_net_loss");
    for i in 0..3 {
        assert!(has_text(&svg, &format!("Variant {i}: ratio = {}%", 25 * i)), "variant {i} in legend");
    }

    // A negative mean fiscal cost: the bar hangs below the zero line.
    let svg = check_chart(&out, "fiscal_by_vehicle");
    let (y0, ys) = y_axis(&svg);
    assert!(ys < 0.0, "up is more");
    let angel = svg_rects(&svg).into_iter().find(|q| q.fill == "#A0D0F0" && q.h > 20.0).expect("angel's bar");
    assert!((angel.y - y0).abs() <= 1.5, "starts at zero");
    assert!((angel.y + angel.h - (y0 - 25.0 * ys)).abs() <= 1.5, "ends at -25");
    assert!(has_text(&svg, "Mean -25.0"));
    assert!(section(&html, "fiscal-view").contains("<td class=\"n\">-25.0</td>"));

    // A percent target in percent; both bars of a lever that moves it the
    // same way at its low and high values.
    let svg = check_chart(&out, "tornado_angel_gov_irr");
    let axis = x_axis(&svg, |t| unit_number(t, "%"));
    assert_marker_at(&svg, "#000000", 2.0, axis, "base IRR");
    let px = |v: f64| axis.0 + axis.1 * v;
    let rects = svg_rects(&svg);
    for (fill, end) in [("#E69F00", 3.0), ("#0072B2", 4.5)] {
        assert!(
            rects.iter().any(|q| q.fill == fill && (q.x - px(2.0)).abs() <= 1.5 && (q.x + q.w - px(end)).abs() <= 1.5),
            "bar to {end}%"
        );
    }
    assert!(section(&html, "sensitivity").contains("+1.50 ± 0.20"), "swing in percentage points");
}

#[test]
fn report_renders_in_headless_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        if std::env::var("FUNDSIM_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("FUNDSIM_REQUIRE_CHROMIUM=1 but /usr/bin/chromium is missing");
        }
        eprintln!("note: /usr/bin/chromium not found; report screenshot test skipped");
        return;
    }
    // The English and the Chinese report (lang="zh", CJK text).
    for args in [&[][..], &["--lang", "zh"][..]] {
        chromium_shows_the_report(chromium, args);
    }
}

fn chromium_shows_the_report(chromium: &Path, args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), args);
    if args.contains(&"zh") {
        assert!(read(&out.join("report.html")).contains("<html lang=\"zh\">"));
    }
    let report = out.join("report.html").canonicalize().unwrap();
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    // stderr to a file (a full pipe would block chromium); a hung browser
    // is killed after two minutes rather than stalling the suite.
    let log_path = dir.path().join("chromium.log");
    let mut child = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--enable-logging=stderr",
            "--v=0",
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            &format!("file://{}", report.display()),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("start chromium");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 120 s:\n{}", read(&log_path));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = read(&log_path);
    assert!(shot.exists(), "no screenshot; chromium said:\n{log}");
    // The page has no scripts, so any console line (INFO:CONSOLE,
    // ERROR:CONSOLE) is a fault.
    for bad in ["Uncaught", "CONSOLE", "Failed to load"] {
        assert!(!log.contains(bad), "chromium logged `{bad}`:\n{log}");
    }
    let (w, h, rgb) = png_rgb_any(&shot);
    assert_eq!((w, h), (1280, 2000));
    let px = rgb.len() / 4;
    let ink = rgb.chunks(4).filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200).count();
    assert!(ink * 50 > px, "the page looks empty: {ink} of {px} pixels not white");
    // The charts' pale blue bars and dark-blue lines show in the shot.
    let blue = rgb.chunks(4).filter(|p| p[2] > 150 && p[0] < 120).count();
    assert!(blue > 1000, "no chart colours on the page ({blue} blue pixels)");
}

/// Decode any 8-bit PNG to RGBA.
fn png_rgb_any(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::io::Cursor::new(std::fs::read(path).unwrap());
    let mut dec = png::Decoder::new(file);
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf.chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

// ---------------------------------------------------------------------
// Policy experiments: the shipped package (sweep, sensitivity, fiscal
// view) and a two-key sweep grid.

/// A filled `<rect>`: x, y, width, height, fill.
#[derive(Debug, Clone)]
struct SvgRect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    fill: String,
}

fn svg_rects(svg: &str) -> Vec<SvgRect> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .map(|n| {
            let f = |a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
            SvgRect { x: f("x"), y: f("y"), w: f("width"), h: f("height"), fill: n.attribute("fill").unwrap().into() }
        })
        .collect()
}

/// Polylines of a colour as point lists.
fn polylines(svg: &str, colour: &str) -> Vec<Vec<(f64, f64)>> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(colour))
        .map(|n| {
            n.attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The y axis's pixel mapping from its tick labels (right-aligned numbers
/// sharing one x): (offset, pixels per unit).
fn y_axis(svg: &str) -> (f64, f64) {
    let mut by_x: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for t in svg_texts(svg) {
        if t.anchor == "end"
            && let Ok(v) = t.text.parse::<f64>()
        {
            by_x.entry(t.x as i64).or_default().push((v, t.y));
        }
    }
    let ticks = by_x.values().find(|v| v.len() >= 3).expect("y-axis tick labels");
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    let scale = (b.1 - a.1) / (b.0 - a.0);
    (a.1 - a.0 * scale, scale)
}

/// A CSV as header-keyed rows.
fn csv_maps(p: &Path) -> Vec<BTreeMap<String, String>> {
    let (h, rows) = csv(p);
    rows.into_iter().map(|r| h.iter().cloned().zip(r).collect()).collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or_else(|_| panic!("{col} = `{}`", row[col]))
}

/// Run the shipped policy package with few paths into `<dir>/pkg`.
fn run_package(dir: &Path) -> PathBuf {
    let scn = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen_policy_package.toml");
    let o = fundsim(dir, &["run", scn.to_str().unwrap(), "--paths", "60", "--out", "pkg", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir.join("pkg")
}

/// The report's `<section id=...>`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("no section {id}"));
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

/// `+2.29 ± 0.06` as the report writes a paired difference.
fn pm(d: f64, se: f64, digits: usize) -> String {
    let s = format!("{d:.digits$}");
    let s = if s.starts_with('-') || s.trim_start_matches(['0', '.']).is_empty() { s } else { format!("+{s}") };
    format!("{s} ± {se:.digits$}")
}

#[test]
fn package_tornado_sits_at_the_sensitivity_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_package(dir.path());
    let all = csv_maps(&out.join("sensitivity.csv"));
    assert_eq!(all.len(), 16, "every lever of the package with a fiscal effect");
    assert!(all.iter().any(|r| r["lever"] == "fiscal.discount_rate"), "the discount rate is a lever");
    // The tornado draws the ten largest swings (the table has them all).
    let rows = &all[..10];
    assert!(rows.iter().all(|r| r["target"] == "total.fiscal_cost"));
    let svg = check_chart(&out, "tornado_total_fiscal_cost");
    let axis = x_axis(&svg, |t| t.parse().ok());
    let px = |v: f64| axis.0 + axis.1 * v;
    let base = num(&rows[0], "base_mean");
    assert_marker_at(&svg, "#000000", base, axis, "base mean");
    assert!(has_text(&svg, &format!("Base mean {base:.1} mn CNY")));
    let rects = svg_rects(&svg);
    let caps: Vec<f64> = vertical_lines(&svg, "#212121");
    let (mut prev_y, mut row_y) = (f64::MIN, f64::MIN);
    for r in rows {
        prev_y = prev_y.max(row_y);
        let lever = r["lever"].strip_prefix("vehicles.").unwrap_or(&r["lever"]);
        assert!(has_text(&svg, lever), "lever {lever} labelled");
        assert!(has_text(&svg, &r["low"]) && has_text(&svg, &r["high"]), "{lever}: values labelled");
        for (side, fill) in [("low", "#E69F00"), ("high", "#0072B2")] {
            let end = num(r, &format!("{side}_mean"));
            let se = num(r, &format!("{side}_diff_se"));
            if (px(end) - px(base)).abs() < 3.0 {
                continue;
            }
            let (a, b) = (px(base).min(px(end)), px(base).max(px(end)));
            // Below the previous lever's bars: in the CSV's order, top down
            // (two levers can reach the same mean: the interest subsidy at
            // 1.5 % and the guarantee fee subsidy at 100 % both subsidise 2
            // points).
            let bar = rects
                .iter()
                .find(|q| q.fill == fill && (q.x - a).abs() <= 1.5 && (q.x + q.w - b).abs() <= 1.5 && q.y > prev_y)
                .unwrap_or_else(|| panic!("{lever}: no {side} bar from {a:.1} to {b:.1} px below the levers above"));
            row_y = bar.y;
            // Whisker caps at ±2 paired standard errors.
            if axis.1 * 2.0 * se > 3.0 {
                for x in [end - 2.0 * se, end + 2.0 * se] {
                    assert!(caps.iter().any(|c| (c - px(x)).abs() <= 1.5), "{lever}: {side} whisker cap at {x}");
                }
            }
        }
    }
    let html = read(&out.join("report.html"));
    assert!(html.contains("paired path by path"), "caption says the differences are paired");
}

#[test]
fn package_fiscal_chart_and_report_tables_show_the_csv_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_package(dir.path());
    let names: Vec<String> = chart_files(&out).into_keys().collect();
    assert!(names.contains(&"fiscal_by_vehicle.png".to_string()));

    // Bars from zero to each mean, 5th–95th percentile lines.
    let fiscal = csv_maps(&out.join("fiscal.csv"));
    assert_eq!(fiscal.iter().map(|r| r["vehicle"].as_str()).collect::<Vec<_>>(), ["angel", "loans", "total"]);
    let svg = check_chart(&out, "fiscal_by_vehicle");
    let (y0, ys) = y_axis(&svg);
    let py = |v: f64| y0 + ys * v;
    let rects = svg_rects(&svg);
    let lines = polylines(&svg, "#212121");
    for r in &fiscal {
        let (mean, p05, p95) = (num(r, "fiscal_cost_mean"), num(r, "fiscal_cost_p05"), num(r, "fiscal_cost_p95"));
        let (a, b) = (py(0.0).min(py(mean)), py(0.0).max(py(mean)));
        let fill = if r["vehicle"] == "total" { "#56B4E9" } else { "#A0D0F0" };
        assert!(
            rects.iter().any(|q| q.fill == fill && (q.y - a).abs() <= 1.5 && (q.y + q.h - b).abs() <= 1.5),
            "{}: no bar from {a:.1} to {b:.1} px",
            r["vehicle"]
        );
        assert!(
            lines.iter().any(|l| l.len() == 2
                && l[0].0 == l[1].0
                && (l[0].1.min(l[1].1) - py(p95)).abs() <= 1.5
                && (l[0].1.max(l[1].1) - py(p05)).abs() <= 1.5),
            "{}: no range line from P5 {p05} to P95 {p95}",
            r["vehicle"]
        );
        assert!(has_text(&svg, &format!("Mean {mean:.1}")));
    }

    let html = read(&out.join("report.html"));
    // Fiscal view.
    let fv = section(&html, "fiscal-view");
    let total = &fiscal[2];
    for (col, d) in [
        ("fiscal_cost_mean", 1),
        ("fiscal_cost_se", 2),
        ("fiscal_cost_p95", 1),
        ("fiscal_cost_nominal_mean", 1),
        ("fiscal_cost_nominal_se", 2),
    ] {
        let v = num(total, col);
        assert!(fv.contains(&format!("<td class=\"n\">{v:.d$}</td>")), "fiscal view: total {col} {v:.d$}");
    }
    // Each efficiency figure once, as fiscal.csv's ratio of means with its
    // se, in the fiscal view and in the summary; never the mean of the
    // per-path ratios (summary.csv's total.credit_per_fiscal_yuan).
    let summary_html = section(&html, "summary");
    for col in ["credit_per_fiscal_yuan", "private_per_fiscal_yuan", "fiscal_cost_per_additional_loan"] {
        let (v, se) = (num(total, col), num(total, &format!("{col}_se")));
        // Decimals enough for two significant digits of the se (2 to 6).
        let d = (1.0 - se.log10().floor()).clamp(2.0, 6.0) as usize;
        let (v, se) = (format!("{v:.d$}"), format!("{se:.d$}"));
        assert!(fv.contains(&format!("<td class=\"n\">{v} ± {se}</td>")), "fiscal view: {col} {v} ± {se}");
        assert!(summary_html.contains(&format!("<td class=\"n\">{v}</td>")), "summary: {col} {v}");
        assert!(summary_html.contains(&format!("± {se} (se, delta method)")), "summary: {col} se {se}");
    }
    let per_path = summary(&out)["total.credit_per_fiscal_yuan"]["mean"];
    assert!(!html.contains(&format!("{per_path:.2}")), "the per-path mean {per_path:.2} is shown");
    // The budget profile: the total's yearly means as bars from zero.
    let budget: Vec<_> = csv_maps(&out.join("budget.csv")).into_iter().filter(|r| r["vehicle"] == "total").collect();
    assert_eq!(budget.len(), 20, "one row a year");
    let svg = check_chart(&out, "budget_by_year");
    let (y0, ys) = y_axis(&svg);
    let rects = svg_rects(&svg);
    for r in &budget {
        let mean = num(r, "mean");
        if mean.abs() * ys.abs() < 3.0 {
            continue;
        }
        let (a, b) = ((y0 + ys * mean).min(y0), (y0 + ys * mean).max(y0));
        assert!(
            rects.iter().any(|q| q.fill == "#A0D0F0" && (q.y - a).abs() <= 1.5 && (q.y + q.h - b).abs() <= 1.5),
            "year {}: no bar for {mean}",
            r["year"]
        );
    }
    assert!(fv.contains("<figure id=\"budget_by_year\">"));
    // The angel fund's ratios are undefined when its mean cost is not positive.
    if num(&fiscal[0], "fiscal_cost_mean") <= 0.0 {
        assert!(fiscal[0]["private_per_fiscal_yuan"].is_empty());
    }
    assert!(fv.contains("<figure id=\"fiscal_by_vehicle\">"));

    // Sensitivity.
    let sens = section(&html, "sensitivity");
    for r in csv_maps(&out.join("sensitivity.csv")) {
        assert!(sens.contains(&format!("<code>{}</code>", r["lever"])));
        let swing = pm(num(&r, "swing"), num(&r, "swing_se"), 2);
        assert!(sens.contains(&swing), "sensitivity: swing {swing}");
        assert!(sens.contains(&format!("<td class=\"n\">{:.1}</td>", num(&r, "low_mean"))));
    }
    assert!(sens.contains("<figure id=\"tornado_total_fiscal_cost\">"));

    // Sweep: the swept values, the means and paired differences.
    let sw = section(&html, "sweep");
    let sweep = csv_maps(&out.join("sweep.csv"));
    let key = "vehicles.loans.policy.risk_compensation.ratio";
    assert!(sw.contains(&format!("<code>{key}</code>")));
    // Swept shares are shown in percent, the key in plain words beside it.
    assert!(sw.contains("risk compensation ratio (loans)"));
    for v in ["30%", "40%", "50%"] {
        assert!(sw.contains(&format!("<th colspan=\"2\">{v}</th>")), "swept value {v}");
    }
    for (vehicle, metric) in [("loans", "bank_net_loss"), ("total", "fiscal_cost"), ("loans", "fiscal_cost")] {
        let r = sweep.iter().find(|r| r["variant"] == "2" && r["vehicle"] == vehicle && r["metric"] == metric).unwrap();
        assert!(sw.contains(&format!("<td class=\"n\">{:.1}</td>", num(r, "mean"))), "{vehicle}.{metric} mean");
        let d = pm(num(r, "diff_mean"), num(r, "diff_se"), 2);
        assert!(sw.contains(&d), "{vehicle}.{metric}: {d}");
    }
    for shown in ["gov_tvpi", "buyer_tvpi", "private_capital", "fiscal_cost_nominal"] {
        assert!(sw.contains(&format!("<code>{shown}</code>")), "{shown} in the sweep table");
    }
    let table = &sw[..sw.find("<figure").unwrap_or(sw.len())];
    // Per-path ratios are not efficiency figures: not in the sweep table.
    for left_out in ["bank_return", "gov_irr", "default_rate", "credit_per_fiscal_yuan", "private_per_fiscal_yuan"] {
        assert!(!table.contains(&format!("<code>{left_out}</code>")), "{left_out} not in the sweep table");
    }
}

#[test]
fn a_two_key_grid_draws_one_line_per_second_key_value() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path(), "grid.toml", SMALL_SWEEP);
    let o = fundsim(dir.path(), &["run", scn.to_str().unwrap(), "--out", "grid", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("grid");
    let svg = check_chart(&out, "sweep_loans_bank_net_loss");
    assert!(has_text(&svg, "Mean, lgd = 40%") && has_text(&svg, "Mean, lgd = 60%"));
    let svg = check_chart(&out, "cdf_loans_bank_net_loss");
    for (i, l) in
        ["ratio = 30%, lgd = 40%", "ratio = 30%, lgd = 60%", "ratio = 45%, lgd = 40%", "ratio = 45%, lgd = 60%"]
            .iter()
            .enumerate()
    {
        assert!(has_text(&svg, &format!("Variant {i}: {l}")), "variant {i}");
    }
    check_chart(&out, "fiscal_by_vehicle");
    // A heat map of the grid: each cell holds the mean of sweep.csv for
    // its pair of lever values.
    let svg = check_chart(&out, "heat_loans_bank_net_loss");
    let sweep = csv_maps(&out.join("sweep.csv"));
    let cells: Vec<_> = sweep.iter().filter(|r| r["vehicle"] == "loans" && r["metric"] == "bank_net_loss").collect();
    assert_eq!(cells.len(), 4);
    for r in cells {
        let want = format!("{:.1} mn CNY", num(r, "mean"));
        assert!(has_text(&svg, &want), "cell {want} of {r:?}");
    }
    for t in ["30%", "45%", "40%", "60%"] {
        assert!(has_text(&svg, t), "the grid's value {t} on an axis");
    }
    // Several lines: no shaded bands piled on each other (whiskers
    // instead); one line (a one-key sweep) keeps its band.
    let svg = read(&out.join("charts/sweep_loans_bank_net_loss.svg"));
    assert!(!svg.contains("<polygon"), "a grid's bands are whiskers, not overlapping areas");
    assert!(!out.join("charts/tornado_total_fiscal_cost.svg").exists(), "no [sensitivity], no tornado");
    let html = read(&out.join("report.html"));
    let sw = section(&html, "sweep");
    assert!(sw.contains("<code>vehicles.loans.lgd</code>") && sw.contains("<th colspan=\"2\">45%</th>"));
    // A loans-only package mobilises no private capital: that row is left out.
    assert!(!sw.contains("<code>private_capital</code>"));
    assert!(!html.contains("<section id=\"sensitivity\">"));
}

#[test]
fn the_report_opens_with_a_summary_computed_from_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_package(dir.path());
    let html = read(&out.join("report.html"));
    let summary = section(&html, "summary");
    // The summary comes before every other section.
    assert!(html.find("<section id=\"summary\">").unwrap() < html.find("<section").unwrap() + 1);
    // The probability that the package costs money, from paths.csv, with
    // its binomial standard error.
    let paths = csv_maps(&out.join("paths.csv"));
    let n = paths.len() as f64;
    let p = paths.iter().filter(|r| num(r, "total.fiscal_cost") > 0.0).count() as f64 / n;
    let se = (p * (1.0 - p) / n).sqrt();
    assert!(
        summary.contains(&format!("<td class=\"n\">{:.1}</td><td>± {:.1} (se)</td>", 100.0 * p, 100.0 * se)),
        "P(total fiscal cost > 0) = {p}"
    );
    // The fiscal cost with its 90 % interval, from fiscal.csv.
    let fiscal = csv_maps(&out.join("fiscal.csv"));
    let t = fiscal.iter().find(|r| r["vehicle"] == "total").unwrap();
    assert!(summary.contains(&format!(
        "90 % interval {:.1} to {:.1}",
        num(t, "fiscal_cost_p05"),
        num(t, "fiscal_cost_p95")
    )));
    // Every row of the summary table names its unit.
    let body = &summary[summary.find("<tbody>").unwrap()..];
    for row in body.split("<tr>").skip(1) {
        let cells: Vec<&str> = row.split("<td").collect();
        let unit = cells[2].trim_start_matches('>').split('<').next().unwrap();
        assert!(!unit.is_empty(), "a summary row without a unit: {row}");
    }
    // Indicators read as probabilities, and every key-result row has a unit.
    let key = section(&html, "key-results");
    assert!(key.contains("Probability: buyer loss"));
    for row in key.split("<tr><td><code>").skip(1) {
        let cells: Vec<&str> = row.split("<td>").collect();
        let unit = cells[2].split('<').next().unwrap();
        assert!(!unit.is_empty(), "a key-result row without a unit: {row}");
    }
}

#[test]
fn the_headline_report_keeps_at_most_20_charts_in_its_main_body_and_no_flat_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_package(dir.path());
    let html = read(&out.join("report.html"));
    let appendix = html.find("id=\"appendix\"").expect("an appendix");
    let main = html[..appendix].matches("<figure id=").count();
    let rest = html[appendix..].matches("<figure id=").count();
    assert!(main > 0 && main <= 20, "{main} charts in the main body");
    assert_eq!(main + rest, chart_files(&out).len() / 2, "every chart is in the report once");
    for must in ["fiscal_by_vehicle", "tornado_total_fiscal_cost", "loss_total_fiscal_cost"] {
        assert!(html[..appendix].contains(&format!("<figure id=\"{must}\">")), "{must} in the main body");
    }
    // No sweep chart of a metric the lever does not move: each one drawn
    // has a mean, P5 or P95 that differs between variants.
    let sweep = csv_maps(&out.join("sweep.csv"));
    for name in chart_files(&out).into_keys().filter(|n| n.starts_with("sweep_") && n.ends_with(".svg")) {
        let rows: Vec<_> =
            sweep.iter().filter(|r| format!("sweep_{}_{}.svg", r["vehicle"], r["metric"]) == name).collect();
        assert!(!rows.is_empty(), "{name} has sweep rows");
        let varies = ["mean", "p05", "p95"].iter().any(|c| {
            let v: Vec<f64> = rows.iter().filter_map(|r| r[*c].parse().ok()).collect();
            v.iter().any(|x| (x - v[0]).abs() > 1e-9 * (1.0 + v[0].abs()))
        });
        assert!(varies, "{name} is flat");
    }
    // The angel fund does not depend on a loan lever: no sweep chart of it.
    assert!(!out.join("charts/sweep_angel_gov_tvpi.svg").exists());
    assert!(!out.join("charts/cdf_angel_gov_tvpi.svg").exists());
}

#[test]
fn lang_zh_writes_a_chinese_report_and_charts_and_plot_switches_back() {
    let dir = tempfile::tempdir().unwrap();
    let scn = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen_policy_package.toml");
    let o =
        fundsim(dir.path(), &["run", scn.to_str().unwrap(), "--paths", "60", "--out", "zh", "--lang", "zh", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("zh");
    let html = read(&out.join("report.html"));
    assert!(html.contains("<html lang=\"zh\">"));
    assert!(html.contains("<h2>摘要</h2>") && html.contains("id=\"appendix\""));
    let svg = check_chart(&out, "fiscal_by_vehicle");
    assert!(has_text(&svg, "各工具的财政成本"), "the title in Chinese");
    assert!(svg.contains("Fundsim Sans SC"), "the bundled CJK family, with fallbacks");
    let svg = check_chart(&out, "loss_total_fiscal_cost");
    assert!(has_text(&svg, "损失分布：全部工具的财政成本"));

    // No English left in any Chinese chart: every word of three or more
    // Latin letters is the scenario's name, a vehicle's name, or a unit or
    // measure written the same in Chinese (CNY, VaR, IRR, TVPI).
    let allowed = ["Shenzhen", "tech", "finance", "policy", "package", "angel", "loans", "sfund"];
    let kept = ["CNY", "VaR", "IRR", "TVPI", "NAV", "IPO", "DPI"];
    for (name, _) in chart_files(&out).into_iter().filter(|(n, _)| n.ends_with(".svg")) {
        let svg = read(&out.join("charts").join(&name));
        for t in svg_texts(&svg) {
            let english: Vec<&str> = t
                .text
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 3 && !allowed.contains(w) && !kept.contains(w))
                .collect();
            assert!(english.is_empty(), "{name}: English {english:?} in `{}`", t.text);
        }
    }
    // The PNG draws the Chinese title with the bundled font's glyphs, not
    // its .notdef box: boxes would make every ink run of the title the same
    // width and weight; 各工具的财政成本 has eight different characters.
    let (w, _, rgb) = png_rgb(&out.join("charts/fiscal_by_vehicle.png"));
    let dark = |x: usize, y: usize| rgb[3 * (y * w as usize + x)] < 128;
    let cols: Vec<usize> = (0..w as usize / 2).map(|x| (12..60).filter(|&y| dark(x, y)).count()).collect();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    for &c in &cols {
        match (c > 0, cur.as_mut()) {
            (true, Some(r)) => {
                r.0 += 1;
                r.1 += c;
            }
            (true, None) => cur = Some((1, c)),
            (false, Some(_)) => runs.push(cur.take().unwrap()),
            (false, None) => {}
        }
    }
    runs.extend(cur);
    runs.sort_unstable();
    runs.dedup();
    assert!(runs.len() >= 6, "the title's ink runs look alike (boxes?): {runs:?}");

    let o = fundsim(dir.path(), &["plot", "zh", "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = read(&out.join("report.html"));
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h2>Summary</h2>"));
    let o = fundsim(dir.path(), &["plot", "zh", "--lang", "fr"]);
    assert_eq!(o.status.code(), Some(2), "an unknown language is bad input");
}

#[test]
fn vehicle_labels_in_any_script_show_in_charts_and_report_and_names_stay_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let pkg =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen_policy_package.toml"))
            .unwrap()
            .replacen("[vehicles.angel]\n", "[vehicles.angel]\nlabel = \"天使基金\"\n", 1);
    let scn = scenario(dir.path(), "label.toml", &pkg);
    // English charts: the bundled DejaVu Sans has no CJK glyphs, so a
    // warning names them and the way out.
    let o = fundsim(dir.path(), &["run", scn.to_str().unwrap(), "--paths", "60", "--out", "en", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("天 (U+5929)") && err.contains("--font"), "{err}");
    // In Chinese the bundled font has them: no warning; the label is shown.
    let o =
        fundsim(dir.path(), &["run", scn.to_str().unwrap(), "--paths", "60", "--out", "zh", "--lang", "zh", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let out = dir.path().join("zh");
    assert!(read(&out.join("report.html")).contains("<h3>天使基金</h3>"));
    let svg = check_chart(&out, "dist_angel_gov_tvpi");
    assert!(has_text(&svg, "政府（天使基金）的") || svg.contains("天使基金"), "the label in the chart");
    // The CSV columns keep the name.
    assert!(read(&out.join("paths.csv")).starts_with("path,angel."));

    // A name in another script is refused with the rule and the way out.
    let bad = scenario(dir.path(), "bad.toml", "[vehicles.\"天使基金\"]\nkind = \"guidance_fund\"\n");
    let o = fundsim(dir.path(), &["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("a-z and A-Z") && err.contains("label = \"天使基金\""), "{err}");
}

#[test]
fn the_time_to_exit_chart_labels_each_routes_median_from_exits_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path(), &["--no-paths"]);
    let svg = check_chart(&out, "exits_fund_years");
    let (_, rows) = csv(&out.join("exits.csv"));
    let mut labelled = 0;
    for r in rows.iter().filter(|r| r[0] == "fund" && !r[5].is_empty()) {
        let median: f64 = r[5].parse().unwrap();
        let label = format!("median {median:.2} y");
        assert!(has_text(&svg, &label), "{} has no {label:?}", r[1]);
        labelled += 1;
    }
    assert_eq!(labelled, 3, "a bar for each of failed, acquired, ipo");
    assert!(read(&out.join("report.html")).contains("exits_fund_years"), "the chart is in the report");
}
