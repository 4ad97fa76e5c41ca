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
use crate::output::i18n::{Lang, tr, trf};
use crate::vehicles::catalogue::{self, Display};

/// Pixel size of every PNG; the SVGs have the same size and aspect
/// (16:10, readable across an A4 page).
pub(crate) const SIZE: (u32, u32) = (1200, 750);

/// Height of the title band at the top of every chart (title and subtitle).
pub(crate) const TITLE_BAND: u32 = 104;

pub(crate) const TITLE_SIZE: f64 = 38.0;
pub(crate) const SUBTITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 27.0;
pub(crate) const TICK_SIZE: f64 = 24.0;
pub(crate) const LABEL_SIZE: f64 = 23.0;
pub(crate) const LEGEND_SIZE: f64 = 23.0;

/// Okabe & Ito's colour-blind-safe palette (Color Universal Design).
pub(crate) const BLACK: RGBColor = RGBColor(0, 0, 0);
pub(crate) const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
pub(crate) const GREEN: RGBColor = RGBColor(0, 158, 115);
pub(crate) const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
pub(crate) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub(crate) const PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Text, axes.
pub(crate) const INK: RGBColor = RGBColor(33, 33, 33);
/// Secondary text (subtitles).
pub(crate) const MUTED: RGBColor = RGBColor(90, 90, 90);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
/// Histogram and bar fill: a light tint of the palette's sky blue.
pub(crate) const BAR: RGBColor = RGBColor(160, 208, 240);

/// Marker colours, the same role in every chart.
pub(crate) const MEDIAN: RGBColor = BLUE;
pub(crate) const MEAN: RGBColor = VERMILLION;
pub(crate) const TAIL: RGBColor = PURPLE;
pub(crate) const VAR: RGBColor = ORANGE;
pub(crate) const ES: RGBColor = BLACK;

/// Brown and grey extend Okabe & Ito's eight for sweeps of up to ten
/// variants (a 3x3 grid has nine).
pub(crate) const BROWN: RGBColor = RGBColor(140, 86, 75);
pub(crate) const GREY: RGBColor = RGBColor(140, 140, 140);

/// Colours of lines that are told apart by colour (variants, grid rows), in
/// order: ten distinct ones; yellow last, it is weak on white.
pub(crate) const SERIES: [RGBColor; 10] = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, BLACK, BROWN, GREY, YELLOW];

/// Colour of the `i`-th line of a chart.
pub(crate) fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// The bundled font: DejaVu Sans (Bitstream Vera licence, see
/// `fonts/DejaVuSans-LICENSE.txt`).
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The family name the bundled font is registered under. It is written
/// verbatim into the SVGs' `font-family`, so a viewer without DejaVu Sans
/// falls back to its own sans-serif.
pub(crate) const BUNDLED_FAMILY: &str = "DejaVu Sans, sans-serif";

/// The font family every text of a chart uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub family: &'static str,
    pub lang: Lang,
}

impl Style {
    /// The bundled font, or the font in `file` (e.g. one with CJK glyphs).
    /// For Chinese (`lang` zh) without `--font`, the bundled CJK subset.
    pub(crate) fn new(file: Option<&Path>, lang: Lang) -> Result<Style, ChartError> {
        let family = match (file, lang) {
            (Some(f), _) => custom(f)?,
            (None, Lang::En) => bundled()?,
            (None, Lang::Zh) => bundled_cjk()?,
        };
        Ok(Style { family, lang })
    }

    /// `en` in the charts' language.
    pub(crate) fn tr(&self, en: &str) -> String {
        tr(self.lang, en)
    }

    /// The template `en` in the charts' language, filled in.
    pub(crate) fn trf(&self, en: &str, args: &[&str]) -> String {
        trf(self.lang, en, args)
    }

    pub(crate) fn text(&self, size: f64, colour: RGBColor) -> TextStyle<'static> {
        let mut t = TextStyle::from((self.family, size, FontStyle::Normal));
        t.color = colour.to_backend_color();
        t
    }

    pub(crate) fn font(&self, size: f64) -> TextStyle<'static> {
        self.text(size, INK)
    }
}

/// The bundled CJK font: a subset of Noto Sans CJK SC renamed Fundsim Sans
/// SC (SIL Open Font License 1.1, see `fonts/FundsimSansSC-LICENSE.txt`):
/// ASCII, Latin-1, the 3,500 characters of level 1 of the 通用规范汉字表
/// and every character of fundsim's Chinese strings.
pub(crate) static FUNDSIM_SANS_SC: &[u8] = include_bytes!("fonts/FundsimSansSC.otf");

/// Its family name in the SVGs, with CJK fallbacks for a viewer that lacks
/// it.
pub(crate) const CJK_FAMILY: &str =
    "Fundsim Sans SC, Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

fn bundled_cjk() -> Result<&'static str, ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok =
        *DONE.get_or_init(|| plotters::style::register_font(CJK_FAMILY, FontStyle::Normal, FUNDSIM_SANS_SC).is_ok());
    if ok {
        Ok(CJK_FAMILY)
    } else {
        Err(ChartError::Font {
            path: "(bundled Fundsim Sans SC)".into(),
            message: "the font data is not a valid OpenType font".into(),
        })
    }
}

/// Whether the bundled CJK font has a glyph for `c`.
pub(crate) fn cjk_covers(c: char) -> bool {
    static FACE: OnceLock<Option<ab_glyph::FontRef<'static>>> = OnceLock::new();
    use ab_glyph::Font as _;
    FACE.get_or_init(|| ab_glyph::FontRef::try_from_slice(FUNDSIM_SANS_SC).ok())
        .as_ref()
        .is_some_and(|f| f.glyph_id(c).0 != 0)
}

/// The characters of `text` that the font bundled for `lang` cannot draw.
pub(crate) fn missing_glyphs(text: &str, lang: Lang) -> Vec<char> {
    use ab_glyph::Font as _;
    static DEJAVU: OnceLock<Option<ab_glyph::FontRef<'static>>> = OnceLock::new();
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_control() && !c.is_whitespace()) {
        let has = match lang {
            Lang::Zh => cjk_covers(c),
            Lang::En => DEJAVU
                .get_or_init(|| ab_glyph::FontRef::try_from_slice(DEJAVU_SANS).ok())
                .as_ref()
                .is_some_and(|f| f.glyph_id(c).0 != 0),
        };
        if !has && !out.contains(&c) {
            out.push(c);
        }
    }
    out
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
    customs().lock().unwrap_or_else(|e| e.into_inner()).push((family, data));
    Ok(family)
}

/// A font registered from a `--font` file: (family, bytes).
type Registered = (&'static str, &'static [u8]);

/// The fonts registered from `--font` files.
fn customs() -> &'static Mutex<Vec<Registered>> {
    static CUSTOM: OnceLock<Mutex<Vec<Registered>>> = OnceLock::new();
    CUSTOM.get_or_init(|| Mutex::new(Vec::new()))
}

/// The bytes of a font family fundsim registered (the bundled fonts, a
/// `--font` file), for the PNG text drawing (`raster`).
pub(crate) fn font_bytes(family: &str) -> Option<&'static [u8]> {
    match family {
        BUNDLED_FAMILY => Some(DEJAVU_SANS),
        CJK_FAMILY => Some(FUNDSIM_SANS_SC),
        f => customs().lock().unwrap_or_else(|e| e.into_inner()).iter().find(|c| c.0 == f).map(|c| c.1),
    }
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
    /// How values stored in a catalogue unit are shown: rates, shares and
    /// 0/1 indicators in percent.
    pub(crate) fn of(unit: catalogue::Unit) -> Unit {
        use catalogue::Unit as U;
        match unit {
            U::Multiple => Unit::Multiple,
            U::Rate | U::Share | U::Indicator => Unit::Percent,
            U::Money => Unit::Money,
            U::Count | U::CountPerMillion | U::Years => Unit::Count,
        }
    }

    /// Plotted value of a stored value (percent are drawn in percent).
    pub(crate) fn scale(self, v: f64) -> f64 {
        match self {
            Unit::Percent => v * 100.0,
            _ => v,
        }
    }

    /// Axis label suffix.
    pub(crate) fn axis(self) -> &'static str {
        match self {
            Unit::Multiple => "x",
            Unit::Percent => "%",
            Unit::Money => "million CNY",
            Unit::Count => "count",
        }
    }

    /// A stored value in this unit, with `digits` decimals.
    pub(crate) fn format(self, v: f64, digits: usize) -> String {
        let s = self.scale(v);
        match self {
            Unit::Multiple => format!("{}x", fixed(s, digits)),
            Unit::Percent => format!("{}%", fixed(s, digits)),
            Unit::Money | Unit::Count => fixed(s, digits),
        }
    }

    /// A value for a marker label or a table: two decimals for multiples,
    /// one for percent and money.
    pub(crate) fn value(self, v: f64) -> String {
        match self {
            Unit::Multiple => self.format(v, 2),
            Unit::Money => format!("{} mn CNY", fixed(v, 1)),
            Unit::Percent => self.format(v, 1),
            Unit::Count => fixed(v, 1),
        }
    }

    /// A tick label of a plotted (already scaled) value on an axis whose
    /// ticks are about `step` apart.
    pub(crate) fn tick(self, plotted: f64, step: f64) -> String {
        let d = decimals(step);
        match self {
            Unit::Multiple => format!("{}x", fixed(plotted, d)),
            Unit::Percent => format!("{}%", fixed(plotted, d)),
            Unit::Money | Unit::Count => fixed(plotted, d),
        }
    }
}

/// `v` with `digits` decimals, never `-0`.
pub(crate) fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_string() } else { s }
}

/// Decimals needed to tell ticks `step` apart.
pub(crate) fn decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 1;
    }
    let d = -(step.log10().floor());
    d.clamp(0.0, 6.0) as usize
}

/// `s` with its first letter in upper case.
pub(crate) fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// What kind of chart a per-path metric gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Return distribution: median, mean, P5, P95 marked.
    Return,
    /// Loss distribution: VaR and expected shortfall marked.
    Loss,
    /// Tabled, not charted.
    Other,
}

/// How a metric is named and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MetricInfo {
    /// Short name for axes and titles: "TVPI", "net IRR".
    pub label: &'static str,
    /// Whose money: "fund LPs", "government".
    pub stakeholder: &'static str,
    pub unit: Unit,
    pub role: Role,
}

/// How a metric is named and shown, from the metric catalogue
/// (`vehicles::catalogue`); `None` for a metric tabled as a bare number (or
/// one no catalogue has), which gets no chart.
pub(crate) fn metric_info(metric: &str) -> Option<MetricInfo> {
    let m = catalogue::find(metric)?;
    let role = match m.display {
        Display::Return => Role::Return,
        Display::Loss => Role::Loss,
        Display::Tabled => Role::Other,
        Display::Plain | Display::PathRatio => return None,
    };
    Some(MetricInfo { label: m.label, stakeholder: m.stakeholder, unit: Unit::of(m.unit), role })
}

/// How a per-step series is named: (title, stakeholder), from the
/// catalogue; a series no catalogue has is titled by its name.
pub(crate) fn series_info(metric: &str) -> (String, &'static str) {
    match catalogue::find_series(metric) {
        Some(s) => (s.title.to_string(), s.stakeholder),
        None => (capital(&metric.replace('_', " ")), ""),
    }
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
    fn the_bundled_cjk_font_draws_every_chinese_string_and_level_one() {
        // Every character of every Chinese string fundsim writes, and the
        // 3,500 characters of level 1 of the 通用规范汉字表, have a glyph
        // (not .notdef, the empty box) in the bundled font.
        let level1 = include_str!("fonts/level1.txt").trim();
        assert_eq!(level1.chars().count(), 3500);
        let mut missing: Vec<char> = Vec::new();
        let texts = crate::output::i18n::FIXED.iter().filter_map(|e| crate::output::i18n::zh(e));
        for c in texts.flat_map(str::chars).chain(level1.chars()).chain(' '..='~') {
            if !cjk_covers(c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        assert!(missing.is_empty(), "no glyph for {missing:?}");
        assert_eq!(missing_glyphs("天使基金 Angel fund", Lang::Zh), Vec::<char>::new());
        assert_eq!(missing_glyphs("天使 fund", Lang::En), vec!['天', '使']);
        // The font renders ink for a CJK character that differs from its
        // .notdef box.
        use ab_glyph::{Font as _, FontRef, ScaleFont as _};
        let f = FontRef::try_from_slice(FUNDSIM_SANS_SC).unwrap();
        let ink = |id: ab_glyph::GlyphId| {
            let g = id.with_scale(40.0);
            let mut cov = Vec::new();
            if let Some(o) = f.outline_glyph(g) {
                o.draw(|x, y, v| cov.push((x, y, (v * 255.0) as u8)));
            }
            cov
        };
        let box_ink = ink(ab_glyph::GlyphId(0));
        for c in "财政成本政府".chars() {
            let g = ink(f.glyph_id(c));
            assert!(g.iter().filter(|p| p.2 > 128).count() > 20, "{c} has ink");
            assert_ne!(g, box_ink, "{c} is drawn as the .notdef box");
        }
        let _ = f.as_scaled(40.0).ascent();
    }

    #[test]
    fn nine_variants_get_nine_distinct_colours() {
        let c: Vec<RGBColor> = (0..9).map(series_colour).collect();
        for (i, a) in c.iter().enumerate() {
            assert!(c[i + 1..].iter().all(|b| b != a), "variant {i}'s colour repeats");
        }
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
