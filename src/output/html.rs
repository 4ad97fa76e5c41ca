//! HTML helpers shared by the report's sections (`report`, `policy_tables`):
//! escaping, and how a metric's name, unit and values are written in a
//! table cell.

use std::fmt::Write as _;

use super::charts::style::{Unit, capital, fixed};
use super::i18n::{Lang, tr, trf};
use crate::vehicles::catalogue::{self, Display, Unit as U};

/// Escape text for HTML.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Unit of a metric in the tables (from the metric catalogue, for every
/// metric, bare numbers included), its name for the unit column, and
/// decimals.
pub(crate) fn table_unit(metric: &str) -> (Option<Unit>, &'static str, usize) {
    match catalogue::find(metric).map(|m| m.unit) {
        Some(U::Multiple) => (Some(Unit::Multiple), "x", 2),
        Some(U::Rate | U::Share) => (Some(Unit::Percent), "%", 1),
        Some(U::Indicator) => (Some(Unit::Percent), "% of paths", 1),
        Some(U::Money) => (Some(Unit::Money), "mn CNY", 1),
        Some(U::Count) => (None, "count", 1),
        Some(U::CountPerMillion) => (None, "per mn CNY", 2),
        Some(U::Years) => (None, "years", 2),
        None => (None, "", 2),
    }
}

/// A lever key in plain words: `vehicles.loans.policy.risk_compensation.ratio`
/// is "risk compensation ratio (loans)".
pub(crate) fn lever_words(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    let (vehicle, rest) = match parts.as_slice() {
        ["vehicles", v, rest @ ..] if !rest.is_empty() => (Some(*v), rest.to_vec()),
        _ => (None, parts.clone()),
    };
    let words: Vec<String> = rest.iter().filter(|p| **p != "policy").map(|p| p.replace('_', " ")).collect();
    let words = words.join(" ");
    match vehicle {
        Some(v) => format!("{words} ({v})"),
        None => words,
    }
}

/// `lever_words` in `lang`: the key's words translated where the
/// language has them ("risk compensation ratio (loans)" is
/// "风险补偿比例（loans）").
pub(crate) fn lever_words_in(lang: Lang, key: &str) -> String {
    if lang == Lang::En {
        return lever_words(key);
    }
    let parts: Vec<&str> = key.split('.').collect();
    let (vehicle, rest) = match parts.as_slice() {
        ["vehicles", v, rest @ ..] if !rest.is_empty() => (Some(*v), rest.to_vec()),
        _ => (None, parts.clone()),
    };
    let rest: Vec<&str> = rest.into_iter().filter(|p| *p != "policy").collect();
    let joined = rest.join(" ").replace('_', " ");
    let words = crate::output::i18n::zh(&joined)
        .or_else(|| rest.last().and_then(|l| crate::output::i18n::zh(&l.replace('_', " "))))
        .or_else(|| rest.first().and_then(|l| crate::output::i18n::zh(&l.replace('_', " "))))
        .map_or(joined.clone(), str::to_string);
    match vehicle {
        Some(v) => format!("{words}（{v}）"),
        None => words,
    }
}

/// Whether a lever's values read as fractions (shown in percent): all
/// within [0, 1] and not all whole numbers.
pub(crate) fn lever_is_share(values: &[f64]) -> bool {
    !values.is_empty() && values.iter().all(|v| (0.0..=1.0).contains(v)) && values.iter().any(|v| v.fract() != 0.0)
}

/// A lever value as a reader writes it: `30%` for a share, else the number.
pub(crate) fn lever_value(v: &str, share: bool) -> String {
    match v.parse::<f64>() {
        Ok(x) if share => {
            let p = 100.0 * x;
            let d = if (p - p.round()).abs() < 1e-9 { 0 } else { 1 };
            format!("{}%", fixed(p, d))
        }
        Ok(x) => {
            let s = format!("{x}");
            s
        }
        Err(_) => v.to_string(),
    }
}

/// A value in a table's unit with `digits` decimals; `–` when undefined.
pub(crate) fn cell(v: Option<f64>, unit: Option<Unit>, digits: usize) -> String {
    match v {
        Some(v) => fixed(unit.map_or(v, |u| u.scale(v)), digits),
        None => "–".into(),
    }
}

/// What a metric is, for the tables: "TVPI of government" for a charted
/// return or loss, else its label ("Paid in").
pub(crate) fn describe_in(lang: Lang, metric: &str) -> String {
    match catalogue::find(metric) {
        Some(m) if m.unit == U::Indicator => {
            trf(lang, "Probability: {0} ({1})", &[&tr(lang, m.label), &tr(lang, m.stakeholder)])
        }
        Some(m) if matches!(m.display, Display::Return | Display::Loss) => {
            capital(&trf(lang, "{0} of {1}", &[&tr(lang, m.label), &tr(lang, m.stakeholder)]))
        }
        Some(m) => capital(&tr(lang, m.label)),
        None => capital(&metric.replace('_', " ")),
    }
}

/// An efficiency figure and its standard error as the report prints them,
/// in the summary and the fiscal view alike: with enough decimals that the
/// se shows two significant digits (2 to 6 decimals), `1.951 ± 0.011`,
/// `0.3078 ± 0.0016`.
pub(crate) fn figure_with_se(v: f64, se: f64) -> (String, String) {
    let d = if se > 0.0 && se.is_finite() { (1.0 - se.log10().floor()).clamp(2.0, 6.0) as usize } else { 2 };
    (fixed(v, d), fixed(se, d))
}

/// `v` with `d` decimals and a sign: `+2.29`, `-0.50`, `0.00`.
pub(crate) fn signed(v: f64, d: usize) -> String {
    let s = fixed(v, d);
    if s.starts_with('-') || s.trim_start_matches(['0', '.']).is_empty() { s } else { format!("+{s}") }
}

/// A paired difference and its standard error: `+2.29 ± 0.06`.
pub(crate) fn diff(d: Option<f64>, se: Option<f64>, unit: Option<Unit>, digits: usize) -> String {
    let scale = |v: f64| unit.map_or(v, |u| u.scale(v));
    match (d, se) {
        (Some(d), Some(se)) => format!("{} ± {}", signed(scale(d), digits), fixed(scale(se), digits)),
        (Some(d), None) => signed(scale(d), digits),
        _ => "–".into(),
    }
}

pub(crate) fn td(h: &mut String, text: &str) {
    let _ = write!(h, "<td class=\"n\">{text}</td>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_show_two_significant_digits_of_their_error() {
        let s = |v, se| figure_with_se(v, se);
        assert_eq!(s(25.510974, 0.132487), ("25.51".into(), "0.13".into()));
        assert_eq!(s(1.951337, 0.010622), ("1.951".into(), "0.011".into()));
        assert_eq!(s(0.307789, 0.001598), ("0.3078".into(), "0.0016".into()));
        assert_eq!(s(14.29, 0.51), ("14.29".into(), "0.51".into()));
        assert_eq!(s(1e-9, 1e-12), ("0.000000".into(), "0.000000".into()));
        assert_eq!(s(3.0, 0.0), ("3.00".into(), "0.00".into()));
    }

    #[test]
    fn differences_carry_a_sign_and_their_error() {
        assert_eq!(diff(Some(2.2932), Some(0.0596), None, 2), "+2.29 ± 0.06");
        assert_eq!(diff(Some(-0.0001), Some(0.0), None, 2), "0.00 ± 0.00");
        assert_eq!(diff(Some(-0.012), Some(0.003), Some(Unit::Percent), 2), "-1.20 ± 0.30");
        assert_eq!(diff(None, None, None, 1), "–");
    }

    #[test]
    fn levers_read_in_plain_words_and_percent() {
        assert_eq!(lever_words("vehicles.loans.policy.risk_compensation.ratio"), "risk compensation ratio (loans)");
        assert_eq!(lever_words("policy.lockup_years"), "lockup years");
        assert!(lever_is_share(&[0.3, 0.5]) && !lever_is_share(&[50.0, 5.0]) && !lever_is_share(&[0.0, 1.0]));
        assert_eq!(lever_value("0.3", true), "30%");
        assert_eq!(lever_value("0.015", true), "1.5%");
        assert_eq!(lever_value("50.0", false), "50");
    }
}
