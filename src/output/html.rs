//! HTML helpers shared by the report's sections (`report`, `policy_tables`):
//! escaping, and how a metric's name, unit and values are written in a
//! table cell.

use std::fmt::Write as _;

use super::charts::style::{Unit, capital, fixed, metric_info};
use crate::vehicles::catalogue::{self, Display};

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

/// Unit of a metric in the tables, and decimals.
pub(crate) fn table_unit(metric: &str) -> (Option<Unit>, &'static str, usize) {
    match metric_info(metric).map(|i| i.unit) {
        Some(Unit::Multiple) => (Some(Unit::Multiple), "x", 2),
        Some(Unit::Percent) => (Some(Unit::Percent), "%", 1),
        Some(Unit::Money) => (Some(Unit::Money), "mn CNY", 1),
        Some(Unit::Count) | None => (None, "", 2),
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
pub(crate) fn describe(metric: &str) -> String {
    match catalogue::find(metric) {
        Some(m) if matches!(m.display, Display::Return | Display::Loss) => {
            format!("{} of {}", capital(m.label), m.stakeholder)
        }
        Some(m) => capital(m.label),
        None => capital(&metric.replace('_', " ")),
    }
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
    fn differences_carry_a_sign_and_their_error() {
        assert_eq!(diff(Some(2.2932), Some(0.0596), None, 2), "+2.29 ± 0.06");
        assert_eq!(diff(Some(-0.0001), Some(0.0), None, 2), "0.00 ± 0.00");
        assert_eq!(diff(Some(-0.012), Some(0.003), Some(Unit::Percent), 2), "-1.20 ± 0.30");
        assert_eq!(diff(None, None, None, 1), "–");
    }
}
