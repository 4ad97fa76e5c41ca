//! Charts of a finished run (INTERFACE.md, Charts), drawn from its CSVs and
//! `manifest.json` alone.
//!
//! Last stage of the pipeline, after the CSVs: `output::draw` calls
//! [`draw_all`] on the staging directory before it takes the output's
//! place, and `fundsim plot` (`output::redraw`) draws from a finished
//! directory. Both read the same files (through `output::read`), so they
//! draw byte-identical charts.
//!
//! Each chart is one [`Figure`] drawn twice, on plotters' SVG backend (for
//! print) and on its bitmap backend (a PNG for screens), at the same size.
//! Text uses the bundled DejaVu Sans through plotters' `ab_glyph` renderer,
//! so no system font library is needed. The families:
//!
//! ```text
//! histogram.rs  return and loss distributions (markers from summary.csv, risk.csv)
//! fan.rs        J-curve and NAV fan charts (timeseries.csv)
//! bars.rs       deal outcomes (deals.csv)
//! exits.rs      time to exit by route (exits.csv)
//! sweep.rs      metric against the lever, policy-variant CDFs (sweep.csv, variants/)
//! policy.rs     fiscal cost by vehicle (fiscal.csv), tornado (sensitivity.csv)
//! scatter.rs    credit losses against equity gains per path (paths.csv, 投贷联动)
//! style.rs      palette, sizes, font, units (labels and units come from
//!               the metric catalogue, `vehicles::catalogue`)
//! ```

pub mod bars;
pub mod curate;
pub mod exits;
pub mod fan;
pub mod histogram;
pub mod policy;
pub mod raster;
pub mod scatter;
pub mod style;
pub mod sweep;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::output::read::OutputData;
use style::{SIZE, Style};

/// How charts are drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartOptions {
    /// A TrueType/OpenType font to use instead of the bundled DejaVu Sans
    /// (for CJK labels, say).
    pub font: Option<PathBuf>,
    /// The language of every chart and report string (`--lang`).
    pub lang: crate::output::i18n::Lang,
}

/// Which part of the report a chart belongs to, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Section {
    Fiscal,
    Returns,
    Losses,
    CashFlows,
    Deals,
    Sweep,
    Sensitivity,
}

impl Section {
    pub(crate) fn heading(self, lang: crate::output::i18n::Lang) -> String {
        crate::output::i18n::tr(lang, self.heading_en())
    }

    pub(crate) fn heading_en(self) -> &'static str {
        match self {
            Section::Fiscal => "Fiscal view",
            Section::Returns => "Return distributions",
            Section::Losses => "Default and loss distributions",
            Section::CashFlows => "Cash flows over time",
            Section::Deals => "Deal outcomes",
            Section::Sweep => "Policy sweep",
            Section::Sensitivity => "Sensitivity",
        }
    }
}

/// A drawn chart: `charts/<name>.svg` and `charts/<name>.png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chart {
    pub name: String,
    pub section: Section,
    pub title: String,
    /// What the chart shows, for the report.
    pub caption: String,
    /// The family (`dist`, `loss`, `fan`, `sweep`, `cdf`, ...), vehicle
    /// and metric or series it draws, from its file name's parts.
    pub family: String,
    pub vehicle: String,
    pub metric: String,
    /// In the report's main body (`curate`), else in the appendix.
    pub main: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{} is not a fundsim output directory: {reason}", dir.display())]
    NotOutputDir { dir: PathBuf, reason: String },
    /// Not fundsim's to change (`output::commit`).
    #[error("{0}")]
    Refused(crate::output::commit::Refused),
    #[error("{} is missing; is its directory a fundsim output directory?", path.display())]
    Missing { path: PathBuf },
    #[error("{}, line {line}: {message}", path.display())]
    Garbled { path: PathBuf, line: u64, message: String },
    #[error("font {}: {message}", path.display())]
    Font { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot draw chart {chart}: {message}")]
    Draw { chart: String, message: String },
}

impl ChartError {
    /// 2 for bad input (the output directory or its files, the font), 1
    /// for a failure to draw or write.
    pub(crate) fn exit_status(&self) -> i32 {
        match self {
            ChartError::NotOutputDir { .. }
            | ChartError::Refused(_)
            | ChartError::Missing { .. }
            | ChartError::Garbled { .. }
            | ChartError::Font { .. } => 2,
            ChartError::Io { .. } | ChartError::Draw { .. } => 1,
        }
    }
}

impl ChartError {
    /// An I/O error at `path`, or the refusal it carries.
    pub fn from_io(path: PathBuf, source: io::Error) -> ChartError {
        if crate::output::commit::refusal(&source).is_none() {
            return ChartError::Io { path, source };
        }
        match source.into_inner().map(|e| e.downcast::<crate::output::commit::Refused>()) {
            Some(Ok(r)) => ChartError::Refused(*r),
            Some(Err(e)) => ChartError::Io { path, source: io::Error::other(e) },
            None => ChartError::Io { path, source: io::ErrorKind::Other.into() },
        }
    }
}

/// Largest magnitude an axis end may have. plotters' tick search scales a
/// power of ten to the axis width and loops for ever when the width (or ten
/// times its order of magnitude) is not a finite number; with both ends
/// within ±1e300 it always ends.
pub const AXIS_LIMIT: f64 = 1e300;

/// The longest the charts of one output directory may take to draw. It is
/// a backstop, never reached by a healthy run (the shipped package draws in
/// seconds): if the drawing does not end by then, the command fails (exit
/// status 1) instead of hanging.
pub const DRAW_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// A drawable axis from any two ends: NaN takes the other end (or 0),
/// `±inf` and anything beyond becomes `±AXIS_LIMIT`, the ends are put in
/// order, and an empty or vanishing range is widened. Every chart builds
/// its coordinates through this, so no value read from a CSV can make the
/// tick search loop.
pub fn axis_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = match (lo.is_nan(), hi.is_nan()) {
        (true, true) => (0.0, 1.0),
        (true, false) => (hi, hi),
        (false, true) => (lo, lo),
        (false, false) => (lo, hi),
    };
    let (lo, hi) = (lo.clamp(-AXIS_LIMIT, AXIS_LIMIT), hi.clamp(-AXIS_LIMIT, AXIS_LIMIT));
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let size = lo.abs().max(hi.abs());
    if hi - lo < 1e-12 * (1.0 + size) {
        let pad = (size * 0.1).max(0.5);
        lo -= pad;
        hi += pad;
    }
    (lo, hi)
}

/// Check that a `--font` file loads, before any work is done.
pub(crate) fn check_font(file: &Path) -> Result<(), ChartError> {
    Style::new(Some(file), Default::default()).map(|_| ())
}

/// Read the CSVs (and manifest.json) in `dir`, write charts/<name>.svg and
/// charts/<name>.png into `dir`, return the chart names with captions.
pub(crate) fn draw_all(dir: &Path, opts: &ChartOptions) -> Result<Vec<Chart>, ChartError> {
    draw_into(dir, dir, opts)
}

/// Read the output in `src`, write the charts into `dst/charts/` (made
/// afresh). The drawing runs on its own thread; if it has not ended within
/// [`DRAW_TIME_LIMIT`] the call fails rather than hang (the thread is left
/// to the process's exit).
pub(crate) fn draw_into(src: &Path, dst: &Path, opts: &ChartOptions) -> Result<Vec<Chart>, ChartError> {
    let (src, dst, opts) = (src.to_path_buf(), dst.to_path_buf(), opts.clone());
    let (send, recv) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("charts".into())
        .spawn(move || {
            let _ = send.send(draw_now(&src, &dst, &opts));
        })
        .map_err(|e| ChartError::Draw { chart: "(all)".into(), message: format!("cannot start drawing: {e}") })?;
    match recv.recv_timeout(DRAW_TIME_LIMIT) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(ChartError::Draw {
            chart: "(all)".into(),
            message: format!(
                "drawing did not end within {} s; this is a bug, please report it",
                DRAW_TIME_LIMIT.as_secs()
            ),
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(ChartError::Draw { chart: "(all)".into(), message: "the drawing thread failed".into() })
        }
    }
}

fn draw_now(src: &Path, dst: &Path, opts: &ChartOptions) -> Result<Vec<Chart>, ChartError> {
    let st = Style::new(opts.font.as_deref(), opts.lang)?;
    let data = OutputData::read(src)?;
    let dir = dst.join("charts");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChartError::Io { path, source }
    };
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut cx = Ctx { data: &data, st, dir, charts: Vec::new() };
    histogram::draw(&mut cx)?;
    fan::draw(&mut cx)?;
    bars::draw(&mut cx)?;
    exits::draw(&mut cx)?;
    sweep::draw(&mut cx)?;
    policy::draw(&mut cx)?;
    scatter::draw(&mut cx)?;
    let mut charts = cx.charts;
    curate::choose_main_body(&mut charts, &data);
    Ok(charts)
}

/// One chart, drawable on any plotters backend.
pub(crate) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult;
}

/// Drawing errors carry the backend's message.
pub(crate) type DrawResult = Result<(), String>;

/// Turn any plotters error into a message.
pub(crate) fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// What the chart families share while drawing.
pub(crate) struct Ctx<'a> {
    pub data: &'a OutputData,
    pub st: Style,
    /// The `charts/` folder being written.
    pub dir: PathBuf,
    pub charts: Vec<Chart>,
}

impl Ctx<'_> {
    /// Draw `fig` as `<name>.svg` and `<name>.png` and list it. `parts` make
    /// the file name; a name already taken gets a number.
    pub(crate) fn add(
        &mut self,
        fig: &impl Figure,
        parts: &[&str],
        section: Section,
        title: String,
        caption: String,
    ) -> Result<(), ChartError> {
        let base = parts.iter().map(|p| slug(p)).collect::<Vec<_>>().join("_");
        let mut name = base.clone();
        let mut i = 2;
        while self.charts.iter().any(|c| c.name == name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        render(fig, &self.dir, &name, &self.st)?;
        let part = |i: usize| parts.get(i).map_or(String::new(), |p| p.to_string());
        let (family, vehicle, metric) = (part(0), part(1), parts.get(2..).map_or(String::new(), |p| p.join("_")));
        self.charts.push(Chart { name, section, title, caption, family, vehicle, metric, main: false });
        Ok(())
    }

    /// The scenario's name, for subtitles (shortened to fit one line).
    pub(crate) fn scenario(&self) -> String {
        let name = &self.data.manifest.scenario_name;
        if name.chars().count() > 60 { name.chars().take(59).collect::<String>() + "…" } else { name.clone() }
    }
}

/// A file-name-safe form of a vehicle or metric name.
pub(crate) fn slug(s: &str) -> String {
    let s: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '_' }).collect();
    if s.is_empty() { "_".into() } else { s }
}

/// Draw `fig` to `<dir>/<name>.svg` and `<dir>/<name>.png`.
fn render(fig: &impl Figure, dir: &Path, name: &str, st: &Style) -> Result<(), ChartError> {
    let draw_err = |message: String| ChartError::Draw { chart: name.to_string(), message };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        fig.draw(&root, st).map_err(draw_err)?;
        root.present().map_err(|e| draw_err(fail(e)))?;
    }
    let svg_path = dir.join(format!("{name}.svg"));
    fs::write(&svg_path, svg + "\n").map_err(|source| ChartError::Io { path: svg_path.clone(), source })?;

    let (w, h) = SIZE;
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = raster::Raster(BitMapBackend::with_buffer(&mut rgb, SIZE)).into_drawing_area();
        fig.draw(&root, st).map_err(draw_err)?;
        root.present().map_err(|e| draw_err(fail(e)))?;
    }
    let png_path = dir.join(format!("{name}.png"));
    let io = |source| ChartError::Io { path: png_path.clone(), source };
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| io(io::Error::other(e)))?;
        writer.write_image_data(&rgb).map_err(|e| io(io::Error::other(e)))?;
        writer.finish().map_err(|e| io(io::Error::other(e)))?;
    }
    fs::write(&png_path, bytes).map_err(io)
}

/// White background, the title and subtitle in the title band; returns the
/// area below it for the plot.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    st: &Style,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(fail)?;
    let left = Pos::new(HPos::Left, VPos::Top);
    root.draw(&Text::new(title.to_string(), (28, 16), st.font(style::TITLE_SIZE).pos(left))).map_err(fail)?;
    root.draw(&Text::new(subtitle.to_string(), (28, 64), st.text(style::SUBTITLE_SIZE, style::MUTED).pos(left)))
        .map_err(fail)?;
    let (_, body) = root.split_vertically(style::TITLE_BAND);
    Ok(body)
}

/// The house plot area on `area`: the margins and the x label band every
/// chart shares; `top` is the top margin and `y_labels` the width of the y
/// label band.
pub(crate) fn plot_area<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    top: u32,
    y_labels: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(20)
        .margin_right(40)
        .margin_top(top)
        .margin_bottom(10)
        .x_label_area_size(80)
        .y_label_area_size(y_labels);
    builder
}

/// The house axes: no minor grid, light major grid, ink axes, tick and
/// axis-description fonts. Charts add their labels and counts.
pub(crate) fn house_mesh<'m, 'a, 'b, X, Y, XT, YT, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    st: &Style,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(style::GRID)
        .axis_style(style::INK)
        .label_style(st.font(style::TICK_SIZE))
        .axis_desc_style(st.font(style::AXIS_DESC_SIZE))
}

/// The house legend: a white box with a grid-coloured border at
/// `position`, legend-size labels.
pub(crate) fn house_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    st: &Style,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .margin(16)
        .legend_area_size(40)
        .label_font(st.font(style::LEGEND_SIZE))
        .background_style(WHITE.mix(0.9))
        .border_style(style::GRID)
        .draw()
        .map_err(fail)
}

/// Whether `values` are all the same (within a relative 1e-9): a series
/// that does not vary is not worth a chart.
pub(crate) fn flat(values: impl IntoIterator<Item = f64>) -> bool {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    lo >= hi || hi - lo <= 1e-9 * (1.0 + lo.abs().max(hi.abs()))
}

/// A number of paths with a thousands separator: `20,000`.
pub(crate) fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("Fund A.1"), "fund_a_1");
        assert_eq!(slug("基金"), "__");
        assert_eq!(slug(""), "_");
    }

    #[test]
    fn axis_ranges_are_always_finite_and_wide() {
        let cases = [
            (f64::NAN, f64::NAN),
            (f64::NAN, 3.0),
            (f64::NEG_INFINITY, f64::INFINITY),
            (-f64::MAX, f64::MAX),
            (1e308, 1e308),
            (5.0, -5.0),
            (1e17, 1e17 + 16.0),
            (0.0, 5e-324),
        ];
        for (lo, hi) in cases {
            let (a, b) = axis_range(lo, hi);
            assert!(a.is_finite() && b.is_finite() && a < b, "{lo}, {hi} -> {a}, {b}");
            assert!(a >= -1.2 * AXIS_LIMIT && b <= 1.2 * AXIS_LIMIT);
            assert!((b - a).is_finite() && b - a >= 1e-12 * (1.0 + a.abs().max(b.abs())));
        }
        assert_eq!(axis_range(0.0, 1.0), (0.0, 1.0));
    }

    #[test]
    fn ticks_end_on_the_widest_and_narrowest_axes() {
        // plotters' tick search on the guarded ranges: it ran for ever on
        // an infinite width before the guard.
        use plotters::coord::ranged1d::{KeyPointHint, Ranged};
        for (lo, hi) in [(f64::NEG_INFINITY, f64::INFINITY), (-f64::MAX, f64::MAX), (1e308, f64::INFINITY), (7.0, 7.0)]
        {
            let (a, b) = axis_range(lo, hi);
            let r: plotters::coord::types::RangedCoordf64 = (a..b).into();
            let points = r.key_points(12usize);
            assert!(points.len() <= 13, "{a}..{b}: {}", points.len());
            let _ = 12usize.max_num_points();
        }
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(20000), "20,000");
        assert_eq!(count(200), "200");
        assert_eq!(count(1234567), "1,234,567");
    }
}
