//! Which charts go in the report's main body and which in its appendix
//! (INTERFACE.md: the main body holds the charts that answer the scenario's
//! questions; every other chart sits below `id="appendix"`).
//!
//! Runs after every chart family has drawn (`draw_now`), on the list of
//! drawn charts. The questions a policy scenario asks are what the package
//! costs the budget and with what risk, what the levers change, and how the
//! government's own stakes fare; the charts that answer them are ranked,
//! and the first [`MAIN_BODY_LIMIT`] of them make the main body. Charts that
//! would only show flat lines are never drawn (each family checks with
//! `flat`), so they do not reach this list.

use super::Chart;
use crate::output::read::OutputData;
use crate::vehicles::catalogue;

/// The most charts the main body holds.
pub const MAIN_BODY_LIMIT: usize = 20;

/// Whose money a chart's metric or series is about.
fn stakeholder(metric: &str) -> &'static str {
    catalogue::find(metric)
        .map(|m| m.stakeholder)
        .or_else(|| catalogue::find_series(metric).map(|s| s.stakeholder))
        .unwrap_or("")
}

/// The rank of a chart among those that answer the scenario's questions
/// (lower first); `None` for the appendix.
fn rank(c: &Chart, swept: &[String], fiscal_view: bool) -> Option<u8> {
    let fiscal = c.metric == "fiscal_cost";
    let lever_vehicle = swept.contains(&c.vehicle) || c.vehicle == "total";
    match c.family.as_str() {
        // What the package costs, by vehicle, and which lever moves it.
        "fiscal_by_vehicle" | "budget_by_year" | "tornado" => Some(0),
        "loss" | "cdf" | "sweep" if fiscal && c.vehicle == "total" => Some(1),
        // What the swept lever changes, for the vehicles it belongs to.
        "sweep" if lever_vehicle => Some(2),
        "loss" if fiscal => Some(3),
        // How the government's own stakes and outlays fare.
        "dist" | "fan" if stakeholder(&c.metric) == "government" => Some(4),
        "cdf" if fiscal => Some(5),
        "loss" => Some(6),
        "sweep" => Some(7),
        // With no public money in the scenario (a venture fund, an S fund
        // alone), its questions are the investors' returns and cash flows.
        "dist" if !fiscal_view => Some(8),
        "fan" if !fiscal_view => Some(9),
        "deals" | "exits" if !fiscal_view => Some(10),
        _ => None,
    }
}

/// Mark the main body's charts: the ranked ones, best first, at most
/// [`MAIN_BODY_LIMIT`]. The list's order (report order) is kept.
pub(crate) fn choose_main_body(charts: &mut [Chart], data: &OutputData) {
    let swept: Vec<String> = data
        .sweep
        .iter()
        .flat_map(|s| s.keys.iter())
        .filter_map(|k| k.strip_prefix("vehicles.").and_then(|r| r.split('.').next()).map(str::to_string))
        .collect();
    let fiscal_view = charts.iter().any(|c| c.metric == "fiscal_cost" || c.family == "fiscal_by_vehicle");
    let mut ranked: Vec<(u8, usize)> =
        charts.iter().enumerate().filter_map(|(i, c)| rank(c, &swept, fiscal_view).map(|r| (r, i))).collect();
    ranked.sort();
    for (_, i) in ranked.into_iter().take(MAIN_BODY_LIMIT) {
        charts[i].main = true;
    }
}
