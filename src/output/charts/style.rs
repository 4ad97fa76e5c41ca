//! The one look of every chart: palette, sizes, the bundled font, and how
//! each metric is named and formatted (units on axes and labels).
//!
//! Part of the output stage's chart drawing (`output::charts`): every chart
//! family takes its colours, font sizes and number formats from here, so the
//! charts read as one set in a report.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use plotters::style::{Color, FontStyle, RGBColor, TextStyle};
use sha2::{Digest, Sha256};

use super::ChartError;

/// Pixel size of every PNG; the SVGs have the same size and aspect
/// (16:10, readable across an A4 page).
pub const SIZE: (u32, u32) = (1200, 750);

/// Height of the title band at the top of every chart (title and subtitle).
pub const TITLE_BAND: u32 = 104;

pub const TITLE_SIZE: f64 = 38.0;
pub const SUBTITLE_SIZE: f64 = 24.0;
pub const AXIS_DESC_SIZE: f64 = 27.0;
pub const TICK_SIZE: f64 = 24.0;
pub const LABEL_SIZE: f64 = 23.0;
pub const LEGEND_SIZE: f64 = 23.0;

/// Okabe & Ito's colour-blind-safe palette (Color Universal Design).
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Text, axes.
pub const INK: RGBColor = RGBColor(33, 33, 33);
/// Secondary text (subtitles).
pub const MUTED: RGBColor = RGBColor(90, 90, 90);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Histogram and bar fill: a light tint of the palette's sky blue.
pub const BAR: RGBColor = RGBColor(160, 208, 240);

/// Marker colours, the same role in every chart.
pub const MEDIAN: RGBColor = BLUE;
pub const MEAN: RGBColor = VERMILLION;
pub const TAIL: RGBColor = PURPLE;
pub const VAR: RGBColor = ORANGE;
pub const ES: RGBColor = BLACK;

/// Colours of lines that are told apart by colour (variants, grid rows), in
/// order; yellow last, it is weak on white.
pub const SERIES: [RGBColor; 8] = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, BLACK, YELLOW];

/// Colour of the `i`-th line of a chart.
pub fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// `#RRGGBB`, as the SVG backend writes it.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The bundled font: DejaVu Sans (Bitstream Vera licence, see
/// `fonts/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The family name the bundled font is registered under. It is written
/// verbatim into the SVGs' `font-family`, so a viewer without DejaVu Sans
/// falls back to its own sans-serif.
pub const BUNDLED_FAMILY: &str = "DejaVu Sans, sans-serif";

/// The font family every text of a chart uses.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub family: &'static str,
}

impl Style {
    /// The bundled font, or the font in `file` (e.g. one with CJK glyphs).
    pub fn new(file: Option<&Path>) -> Result<Style, ChartError> {
        let family = match file {
            None => bundled()?,
            Some(f) => custom(f)?,
        };
        Ok(Style { family })
    }

    pub fn text(&self, size: f64, colour: RGBColor) -> TextStyle<'static> {
        let mut t = TextStyle::from((self.family, size, FontStyle::Normal));
        t.color = colour.to_backend_color();
        t
    }

    pub fn font(&self, size: f64) -> TextStyle<'static> {
        self.text(size, INK)
    }
}

fn bundled() -> Result<&'static str, ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok =
        *DONE.get_or_init(|| plotters::style::register_font(BUNDLED_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(BUNDLED_FAMILY)
    } else {
        Err(ChartError::Font {
            path: "(bundled DejaVu Sans)".into(),
            message: "the font data is not a valid TrueType font".into(),
        })
    }
}

/// Register the font in `file` once per process (by content), under a family
/// named after the file and its content (`NotoSansSC-1a2b3c4d, sans-serif`). The bytes must live as long as the process, as
/// plotters' font table requires; a font is leaked once, not per chart.
fn custom(file: &Path) -> Result<&'static str, ChartError> {
    static FONTS: OnceLock<Mutex<HashMap<Vec<u8>, &'static str>>> = OnceLock::new();
    let bytes =
        std::fs::read(file).map_err(|e| ChartError::Font { path: file.to_path_buf(), message: e.to_string() })?;
    let digest = Sha256::digest(&bytes).to_vec();
    let mut fonts = FONTS.get_or_init(|| Mutex::new(HashMap::new())).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(family) = fonts.get(&digest) {
        return Ok(family);
    }
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "font".into());
    let stem: String = stem.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
    // Distinct fonts with the same file name get distinct families; the
    // name depends on the font alone, so the SVGs do too.
    let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let family = format!("{stem}-{tag}, sans-serif");
    let family: &'static str = Box::leak(family.into_boxed_str());
    let data: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(family, FontStyle::Normal, data).map_err(|_| ChartError::Font {
        path: file.to_path_buf(),
        message: "not a TrueType or OpenType font".into(),
    })?;
    fonts.insert(digest, family);
    Ok(family)
}

/// How a metric's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A multiple of money in: `1.62x`.
    Multiple,
    /// A rate stored as a fraction, shown in percent: `12.3%`.
    Percent,
    /// Money in million CNY.
    Money,
    /// A count.
    Count,
}

impl Unit {
    /// Plotted value of a stored value (percent are drawn in percent).
    pub fn scale(self, v: f64) -> f64 {
        match self {
            Unit::Percent => v * 100.0,
            _ => v,
        }
    }

    /// Axis label suffix.
    pub fn axis(self) -> &'static str {
        match self {
            Unit::Multiple => "x",
            Unit::Percent => "%",
            Unit::Money => "million CNY",
            Unit::Count => "count",
        }
    }

    /// A stored value in this unit, with `digits` decimals.
    pub fn format(self, v: f64, digits: usize) -> String {
        let s = self.scale(v);
        match self {
            Unit::Multiple => format!("{}x", fixed(s, digits)),
            Unit::Percent => format!("{}%", fixed(s, digits)),
            Unit::Money | Unit::Count => fixed(s, digits),
        }
    }

    /// A value for a marker label or a table: two decimals for multiples,
    /// one for percent and money.
    pub fn value(self, v: f64) -> String {
        match self {
            Unit::Multiple => self.format(v, 2),
            Unit::Money => format!("{} mn CNY", fixed(v, 1)),
            Unit::Percent => self.format(v, 1),
            Unit::Count => fixed(v, 1),
        }
    }

    /// A tick label of a plotted (already scaled) value on an axis whose
    /// ticks are about `step` apart.
    pub fn tick(self, plotted: f64, step: f64) -> String {
        let d = decimals(step);
        match self {
            Unit::Multiple => format!("{}x", fixed(plotted, d)),
            Unit::Percent => format!("{}%", fixed(plotted, d)),
            Unit::Money | Unit::Count => fixed(plotted, d),
        }
    }
}

/// `v` with `digits` decimals, never `-0`.
pub fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_string() } else { s }
}

/// Decimals needed to tell ticks `step` apart.
pub fn decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 1;
    }
    let d = -(step.log10().floor());
    d.clamp(0.0, 6.0) as usize
}

/// `s` with its first letter in upper case.
pub fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// What kind of chart a per-path metric gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Return distribution: median, mean, P5, P95 marked.
    Return,
    /// Loss distribution: VaR and expected shortfall marked.
    Loss,
    /// Tabled, not charted.
    Other,
}

/// How a metric is named and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// Short name for axes and titles: "TVPI", "net IRR".
    pub label: &'static str,
    /// Whose money: "fund LPs", "government".
    pub stakeholder: &'static str,
    pub unit: Unit,
    pub role: Role,
}

const fn info(label: &'static str, stakeholder: &'static str, unit: Unit, role: Role) -> MetricInfo {
    MetricInfo { label, stakeholder, unit, role }
}

/// The metrics of every vehicle kind (MODEL.md section 4), by name; charts
/// are chosen by metric name, so a vehicle's charts appear with it.
pub fn metric_info(metric: &str) -> Option<MetricInfo> {
    use Role::*;
    use Unit::*;
    Some(match metric {
        // venture_fund
        "tvpi" => info("TVPI", "fund LPs", Multiple, Return),
        "dpi" => info("DPI", "fund LPs", Multiple, Return),
        "irr" => info("net IRR", "fund LPs", Percent, Return),
        "gross_multiple" => info("gross multiple", "the fund's portfolio", Multiple, Return),
        "rvpi" => info("RVPI", "fund LPs", Multiple, Other),
        "invested" | "paid_in" | "distributed" | "residual" | "fees" | "carry" => info("amount", "fund", Money, Other),
        // guidance_fund
        "gov_tvpi" => info("TVPI", "government", Multiple, Return),
        "gov_irr" => info("IRR", "government", Percent, Return),
        "private_tvpi" => info("TVPI", "private LPs", Multiple, Return),
        "private_irr" => info("IRR", "private LPs", Percent, Return),
        // s_fund
        "buyer_tvpi" => info("TVPI", "S-fund buyer", Multiple, Return),
        "buyer_irr" => info("IRR", "S-fund buyer", Percent, Return),
        "seller_irr_sold" => info("IRR if sold", "S-fund seller", Percent, Return),
        "seller_irr_held" => info("IRR if held", "S-fund seller", Percent, Return),
        // loan_program
        "bank_return" => info("return", "bank", Percent, Return),
        "default_rate" => info("default rate", "loan pool", Percent, Loss),
        "gross_loss" => info("gross loss", "loan pool", Money, Loss),
        "bank_net_loss" => info("net loss", "bank", Money, Loss),
        "pool_exhausted" => info("risk pool exhausted", "loan programme", Percent, Other),
        "credit_per_fiscal_yuan" => info("credit per fiscal yuan", "the budget", Multiple, Other),
        // guidance_fund, loan_program, total: a loss, with VaR and ES.
        "fiscal_cost" => info("fiscal cost", "government", Money, Loss),
        // total (a policy package): what the fiscal cost mobilises. Tabled,
        // not charted: the amounts are sums of vehicle columns charted or
        // tabled already, and the per-path ratios (and loans'
        // credit_per_fiscal_yuan above) are undefined where a path's fiscal
        // cost is zero or negative and explode where it is near zero, so
        // their histograms would show that tail, not the policy's
        // efficiency. fiscal.csv's ratios of means, in the report's fiscal
        // view, are the measure to read.
        "private_capital" => info("private capital mobilised", "the package", Money, Other),
        "credit" => info("credit extended", "the package", Money, Other),
        "firms_financed" => info("firms financed", "the package", Count, Other),
        "private_per_fiscal_yuan" => info("private capital per fiscal yuan", "the budget", Multiple, Other),
        "firms_per_million_fiscal" => info("firms per million of fiscal cost", "the budget", Count, Other),
        _ => return None,
    })
}

/// How a per-step series is named: (title, stakeholder).
pub fn series_info(metric: &str) -> (String, &'static str) {
    let (stakeholder, rest) = split_stakeholder(metric);
    match rest {
        "cum_net_cash_flow" => ("J-curve: cumulative net cash flow".into(), stakeholder),
        // Reported NAV is the fund's, whoever holds it.
        "nav" => ("NAV".into(), "the fund"),
        other => (capital(&other.replace('_', " ")), stakeholder),
    }
}

fn split_stakeholder(metric: &str) -> (&'static str, &str) {
    for (prefix, who) in [
        ("gov_", "government"),
        ("private_", "private LPs"),
        ("buyer_", "S-fund buyer"),
        ("seller_", "S-fund seller"),
        ("bank_", "bank"),
    ] {
        if let Some(rest) = metric.strip_prefix(prefix) {
            return (who, rest);
        }
    }
    ("fund LPs", metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_never_show_minus_zero() {
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(-0.5, 1), "-0.5");
        assert_eq!(Unit::Percent.format(0.1234, 1), "12.3%");
        assert_eq!(Unit::Multiple.value(1.625), "1.62x");
    }

    #[test]
    fn tick_decimals_follow_the_step() {
        assert_eq!(decimals(0.5), 1);
        assert_eq!(decimals(2.0), 0);
        assert_eq!(decimals(0.05), 2);
        assert_eq!(Unit::Multiple.tick(1.5, 0.5), "1.5x");
    }

    #[test]
    fn series_names_carry_their_stakeholder() {
        assert_eq!(series_info("gov_cum_net_cash_flow").1, "government");
        assert_eq!(series_info("cum_net_cash_flow").1, "fund LPs");
        assert_eq!(series_info("nav").0, "NAV");
    }
}
