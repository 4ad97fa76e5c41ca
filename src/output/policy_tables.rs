//! The report's tables of policy experiments: the fiscal view
//! (`fiscal.csv`), the sweep (`sweep.csv`) and the sensitivity swings
//! (`sensitivity.csv`), each at the top of its section of `report.html`,
//! above its charts.

use std::fmt::Write as _;

use super::charts::style::fixed;
use super::html::{
    cell, describe_in, diff, esc, figure_with_se, lever_is_share, lever_value, lever_words_in, table_unit, td,
};
use super::i18n::{Lang, tr, trf};
use super::read::{OutputData, SweepRow};

/// The vehicle metrics the sweep table shows (with every `total.*`).
pub(crate) const SWEEP_METRICS: [&str; 4] = ["fiscal_cost", "bank_net_loss", "gov_tvpi", "buyer_tvpi"];

/// The fiscal view: cost to the budget by vehicle, and what it mobilises.
pub(crate) fn fiscal(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let rows = data.fiscal_view();
    if rows.is_empty() {
        return;
    }
    let name = |v: &str| if v == "total" { format!("<b>{}</b>", t("package total")) } else { esc(&data.label(v)) };
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        t(
            "From fiscal.csv: each vehicle's fiscal cost (million CNY; negative where the vehicle returns more to the budget than it costs), its standard error and percentiles across paths, and its share of the package's mean cost (a vehicle that profits has a negative share, so the others' can pass 100%). The vehicles run on one economy, so the total's percentiles are those of the path-by-path sum, not sums of percentiles."
        )
    );
    let rate = rows.iter().find_map(|r| r.discount_rate).map_or("–".into(), |r| fixed(100.0 * r, 1));
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        trf(
            lang,
            "Every vehicle's fiscal cost is the present value at time 0 of its dated fiscal flows (payments out of the budget less receipts), all at the one discount rate fiscal.discount_rate = {0} %; the nominal cost is the same flows undiscounted, and budget.csv gives them year by year.",
            &[&rate]
        )
    );
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>P5</th><th>{}</th><th>P95</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        t("Fiscal cost"),
        t("vehicle"),
        t("unit"),
        t("mean"),
        t("se"),
        t("median"),
        t("nominal mean"),
        t("nominal se"),
        t("share of total (%)")
    );
    for r in rows {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", name(&r.vehicle), t("mn CNY"));
        for (v, d) in
            [(r.mean, 1), (r.se, 2), (r.p05, 1), (r.p50, 1), (r.p95, 1), (r.nominal_mean, 1), (r.nominal_se, 2)]
        {
            td(h, &cell(v, None, d));
        }
        td(
            h,
            &match r.share_of_total {
                Some(s) => format!("{}%", fixed(100.0 * s, 1)),
                None => "–".into(),
            },
        );
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<p class=\"note\">{}</p>",
        t("What the money mobilises"),
        t(
            "Means across paths of what the package mobilises, and each efficiency figure as a ratio of means with its delta-method standard error (fiscal.csv; the only definition fundsim reports, the same numbers as in the summary). A figure is left out (–) where its mean denominator is not distinguishable from 0 (within 1.96 standard errors) or is negative: there is nothing to divide by. Per-path ratios (paths.csv) are not efficiency figures."
        )
    );
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        t("vehicle"),
        t("private capital (mn CNY)"),
        t("credit (mn CNY)"),
        t("firms financed (count)"),
    );
    for r in rows {
        let _ = write!(h, "<tr><td>{}</td>", name(&r.vehicle));
        for (v, d) in [(r.private_capital, 1), (r.credit, 1), (r.firms, 0)] {
            td(h, &cell(v, None, d));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    // The efficiency figures: a column only where some row has a value.
    let figures: Vec<usize> =
        (0..6).filter(|&i| rows.iter().any(|r| r.figures()[i].2.is_some_and(|v| v != 0.0))).collect();
    if figures.is_empty() {
        return;
    }
    let _ =
        write!(h, "<h3>{}</h3>\n<table>\n<thead><tr><th>{}</th>", t("Efficiency (ratios of means ± se)"), t("vehicle"));
    for &i in &figures {
        let (what, unit, _, _) = rows[0].figures()[i];
        let _ = write!(h, "<th>{} ({})</th>", t(what), t(unit));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        let _ = write!(h, "<tr><td>{}</td>", name(&r.vehicle));
        for &i in &figures {
            let (_, _, v, se) = r.figures()[i];
            td(h, &figure_cell(v, se));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

/// A figure and its standard error: `28.43 ± 0.13`; `–` when undefined.
fn figure_cell(v: Option<f64>, se: Option<f64>) -> String {
    match (v, se) {
        (Some(v), Some(se)) => {
            let (v, se) = figure_with_se(v, se);
            format!("{v} ± {se}")
        }
        _ => "–".into(),
    }
}

/// Whether a sweep row's metric is in the sweep table.
fn sweep_row_wanted(vehicle: &str, metric: &str) -> bool {
    (vehicle == "total" || SWEEP_METRICS.contains(&metric)) && !crate::vehicles::catalogue::is_path_ratio(metric)
}

/// The sweep: per variant the swept values, and for the key metrics the
/// mean and the paired difference from variant 0.
pub(crate) fn sweep(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let Some(sweep) = &data.sweep else {
        return;
    };
    let variants = sweep.variants();
    let mut metrics: Vec<(&str, &str)> = Vec::new();
    for r in &sweep.rows {
        let key = (r.vehicle.as_str(), r.metric.as_str());
        if sweep_row_wanted(key.0, key.1) && !metrics.contains(&key) {
            metrics.push(key);
        }
    }
    let find = |v: usize, vehicle: &str, metric: &str| -> Option<&SweepRow> {
        sweep.rows.iter().find(|r| r.variant == v && r.vehicle == vehicle && r.metric == metric)
    };
    // Rows that are zero in every variant (a package total the scenario's
    // vehicles do not feed) say nothing.
    metrics.retain(|&(vehicle, metric)| {
        variants.iter().any(|(v, _)| find(*v, vehicle, metric).is_some_and(|r| r.mean.is_some_and(|m| m != 0.0)))
    });
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        trf(
            lang,
            "From sweep.csv: {0} variants of the scenario, each run on the same random numbers. For each variant, the mean across paths and the difference from variant 0 (the base) ± its standard error, paired path by path; with common random numbers the difference is the policy effect, not noise. Shown: {1}, and the package totals; rows that are zero in every variant are left out. Rate differences are in percentage points. The per-fiscal-yuan rows are means of per-path ratios over the paths where they are defined; the fiscal view's ratios of means are the measure to quote.",
            &[
                &variants.len().to_string(),
                &SWEEP_METRICS.iter().map(|m| format!("<code>{m}</code>")).collect::<Vec<_>>().join(", ")
            ]
        )
    );
    if metrics.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", t("None of these metrics is in this sweep."));
        return;
    }
    let _ = write!(
        h,
        "<div style=\"overflow-x: auto\">\n<table>\n<thead>\n<tr><th>{}</th><th>{}</th><th>{}</th>",
        t("vehicle"),
        t("metric"),
        t("unit")
    );
    for (v, _) in &variants {
        let _ = write!(h, "<th colspan=\"2\">{}</th>", trf(lang, "variant {0}", &[&v.to_string()]));
    }
    h.push_str("</tr>\n");
    for (k, key) in sweep.keys.iter().enumerate() {
        let all: Vec<f64> = variants.iter().filter_map(|(_, l)| l.get(k).and_then(|x| x.parse().ok())).collect();
        let share = lever_is_share(&all);
        let _ = write!(h, "<tr><th colspan=\"3\">{} <code>{}</code></th>", esc(&lever_words_in(lang, key)), esc(key));
        for (_, values) in &variants {
            let _ = write!(
                h,
                "<th colspan=\"2\">{}</th>",
                esc(&lever_value(values.get(k).map_or("", |s| s.as_str()), share))
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("<tr><th></th><th></th><th></th>");
    for _ in &variants {
        let _ = write!(h, "<th>{}</th><th>{}</th>", t("mean"), t("difference ± se"));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for (vehicle, metric) in metrics {
        let (unit, label, d) = table_unit(metric);
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code> {}</td><td>{}</td>",
            esc(vehicle),
            esc(metric),
            esc(&describe_in(lang, metric)),
            t(label)
        );
        for (i, (v, _)) in variants.iter().enumerate() {
            match find(*v, vehicle, metric) {
                Some(r) => {
                    td(h, &cell(r.mean, unit, d));
                    td(h, &if i == 0 { "base".to_string() } else { diff(r.diff_mean, r.diff_se, unit, d + 1) });
                }
                None => h.push_str("<td class=\"n\">–</td><td class=\"n\">–</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
}

/// The sensitivity table: each lever's low and high cases against the base.
pub(crate) fn sensitivity(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let rows = &data.sensitivity;
    let Some(first) = rows.first() else {
        return;
    };
    let metric = first.target.rsplit('.').next().unwrap_or(&first.target);
    let (unit, label, d) = table_unit(metric);
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        trf(
            lang,
            "From sensitivity.csv: the mean of <code>{0}</code> ({1}) with each lever at its low and its high value, the others at the scenario's values; base mean {2}. Differences from the base and the swing (high minus low) carry standard errors paired over common random numbers. Largest swing first.",
            &[&esc(&first.target), &t(label), &cell(first.base_mean, unit, d)]
        ),
    );
    let heads: Vec<String> = [
        "lever",
        "low",
        "high",
        "unit",
        "mean at low",
        "mean at high",
        "low − base ± se",
        "high − base ± se",
        "swing ± se",
    ]
    .iter()
    .map(|s| format!("<th>{}</th>", t(s)))
    .collect();
    let _ =
        writeln!(h, "<div style=\"overflow-x: auto\">\n<table>\n<thead><tr>{}</tr></thead>\n<tbody>", heads.concat());
    for r in rows {
        let share = lever_is_share(&[r.low.parse().unwrap_or(2.0), r.high.parse().unwrap_or(2.0)]);
        let _ = write!(
            h,
            "<tr><td>{} <code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>",
            esc(&lever_words_in(lang, &r.lever)),
            esc(&r.lever),
            esc(&lever_value(&r.low, share)),
            esc(&lever_value(&r.high, share)),
            t(label)
        );
        td(h, &cell(r.low_mean, unit, d));
        td(h, &cell(r.high_mean, unit, d));
        td(h, &diff(r.low_diff, r.low_diff_se, unit, d + 1));
        td(h, &diff(r.high_diff, r.high_diff_se, unit, d + 1));
        td(h, &diff(r.swing, r.swing_se, unit, d + 1));
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
}
