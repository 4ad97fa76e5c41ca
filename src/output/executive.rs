//! The executive summary at the top of `report.html`: the questions a
//! policy scenario asks (how likely is the government to lose money, what
//! does the package cost and with what uncertainty, what does each yuan
//! buy, how bad is the tail, which lever matters) answered in a few
//! sentences and one table, every number computed from the run's files
//! with its standard error or interval.
//!
//! Part of the report (`report`), drawn like the rest of it from the output
//! directory alone (`read::OutputData`).

use std::fmt::Write as _;

use super::charts::style::fixed;
use super::html::{esc, figure_with_se, lever_is_share, lever_value, lever_words_in, signed};
use super::i18n::{Lang, tr, trf};
use super::read::OutputData;

/// One line of the summary table.
struct Finding {
    what: String,
    unit: &'static str,
    estimate: String,
    uncertainty: String,
}

/// Share of paths where `v > 0` among the finite values, and its standard
/// error `sqrt(p (1 - p) / n)`.
pub(crate) fn share_positive(values: &[f64]) -> Option<(f64, f64)> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    let n = finite.len() as f64;
    let p = finite.iter().filter(|v| **v > 0.0).count() as f64 / n;
    Some((p, (p * (1.0 - p) / n).sqrt()))
}

fn pct(v: f64) -> String {
    fixed(100.0 * v, 1)
}

fn mn(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| fixed(v, 1))
}

/// A metric's label in `lang` ("fiscal cost"), or its name in words.
fn metric_words(lang: Lang, metric: &str) -> String {
    crate::vehicles::catalogue::find(metric).map_or_else(|| metric.replace('_', " "), |m| tr(lang, m.label))
}

/// Write the summary section (`id="summary"`).
pub(crate) fn section(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let f = |en: &str, args: &[&str]| trf(lang, en, args);
    let mut rows: Vec<Finding> = Vec::new();
    let mut said: Vec<String> = Vec::new();

    // How likely is the government to lose money, per vehicle.
    if let Some(paths) = &data.paths {
        let mut vehicles: Vec<&str> = Vec::new();
        for (v, _, _) in &paths.columns {
            if v != "total" && !vehicles.contains(&v.as_str()) {
                vehicles.push(v);
            }
        }
        let mut parts = Vec::new();
        for v in &vehicles {
            if let Some((p, se)) = paths.get(v, "fiscal_cost").and_then(share_positive) {
                rows.push(Finding {
                    what: f("Probability that {0} costs the budget money (fiscal cost > 0)", &[&data.label(v)]),
                    unit: "% of paths",
                    estimate: pct(p),
                    uncertainty: f("± {0} (se)", &[&pct(se)]),
                });
                parts.push(f("{0} % ± {1} in {2}", &[&pct(p), &pct(se), &esc(&data.label(v))]));
            }
            if let Some((p, se)) = paths.get(v, "gov_loss").and_then(share_positive) {
                rows.push(Finding {
                    what: f(
                        "Probability that the government's stake in {0} returns less than it paid in",
                        &[&data.label(v)],
                    ),
                    unit: "% of paths",
                    estimate: pct(p),
                    uncertainty: f("± {0} (se)", &[&pct(se)]),
                });
            }
        }
        if let Some((p, se)) = paths.get("total", "fiscal_cost").and_then(share_positive) {
            rows.push(Finding {
                what: t("Probability that the package as a whole costs the budget money"),
                unit: "% of paths",
                estimate: pct(p),
                uncertainty: f("± {0} (se)", &[&pct(se)]),
            });
            said.push(f(
                "The package costs the budget money in {0} % of simulated paths (± {1} standard error).",
                &[&pct(p), &pct(se)],
            ));
        }
        if !parts.is_empty() {
            let sep = if lang == Lang::Zh { "；" } else { ", " };
            said.push(f("By vehicle, the government loses money in: {0}.", &[&parts.join(sep)]));
        }
    }

    // What it costs, with its 90 % interval, and what each yuan buys.
    if let Some(t) = data.fiscal.iter().find(|r| r.vehicle == "total") {
        let rate = t.discount_rate.map_or("–".into(), |r| fixed(100.0 * r, 1));
        rows.push(Finding {
            what: f("Fiscal cost of the package (present value at {0} %), mean", &[&rate]),
            unit: "mn CNY",
            estimate: mn(t.mean),
            uncertainty: f("± {0} (se); 90 % interval {1} to {2}", &[&mn(t.se), &mn(t.p05), &mn(t.p95)]),
        });
        rows.push(Finding {
            what: tr(lang, "Fiscal cost of the package, nominal (undiscounted), mean"),
            unit: "mn CNY",
            estimate: mn(t.nominal_mean),
            uncertainty: f("± {0} (se)", &[&mn(t.nominal_se)]),
        });
        said.push(f(
            "Its fiscal cost in present value at {4} % is {0} million CNY on average (± {1}), with a 90 % interval from {2} to {3} million CNY; undiscounted, the budget pays {5} million CNY (± {6}).",
            &[&mn(t.mean), &mn(t.se), &mn(t.p05), &mn(t.p95), &rate, &mn(t.nominal_mean), &mn(t.nominal_se)],
        ));
        // The efficiency figures, as fiscal.csv defines them (ratios of
        // means with a delta-method se), the same numbers as the fiscal view.
        let mobilised = [t.private_capital, t.credit, t.firms];
        for (i, (what, unit, v, se)) in t.figures().into_iter().enumerate() {
            let (estimate, uncertainty) = match (v, se) {
                (Some(v), Some(se)) => {
                    let (v, se) = figure_with_se(v, se);
                    (v, f("± {0} (se, delta method)", &[&se]))
                }
                _ => ("–".into(), tr(lang, "undefined: the mean fiscal cost is not distinguishable from 0")),
            };
            // A figure over the fiscal cost with nothing mobilised, or over
            // a quantity the package does not have, says nothing.
            let shown = match v {
                Some(v) => v != 0.0,
                None => i < 3 && mobilised[i].is_some_and(|m| m > 0.0),
            };
            if shown {
                rows.push(Finding { what: tr(lang, what), unit, estimate, uncertainty });
            }
        }
        let r = |v: Option<f64>, se: Option<f64>| match (v, se) {
            (Some(v), Some(se)) => {
                let (v, se) = figure_with_se(v, se);
                format!("{v} (± {se})")
            }
            _ => "–".into(),
        };
        if t.private_per_fiscal_yuan.is_some() || t.credit_per_fiscal_yuan.is_some() {
            said.push(f(
                "Each yuan of mean fiscal cost goes with {0} yuan of private capital and {1} yuan of credit, and finances {2} firms per million CNY.",
                &[
                    &r(t.private_per_fiscal_yuan, t.private_per_fiscal_yuan_se),
                    &r(t.credit_per_fiscal_yuan, t.credit_per_fiscal_yuan_se),
                    &r(t.firms_per_million_fiscal, t.firms_per_million_fiscal_se),
                ],
            ));
        }
    }

    // The tail.
    let tail = data.risk("total", "fiscal_cost").or_else(|| data.risk.iter().find(|r| r.metric == "fiscal_cost"));
    if let Some(r) = tail
        && let Some((Some(var), Some(es))) = r.at("95")
    {
        {
            rows.push(Finding {
                what: f("Tail risk of the fiscal cost ({0}): VaR 95 %", &[&r.vehicle]),
                unit: "mn CNY",
                estimate: fixed(var, 1),
                uncertainty: f("expected shortfall 95 %: {0}", &[&fixed(es, 1)]),
            });
            said.push(f(
                "In the worst 5 % of paths the cost exceeds {0} million CNY and averages {1} million CNY (VaR and expected shortfall at 95 %).",
                &[&fixed(var, 1), &fixed(es, 1)],
            ));
        }
    }

    // The sweep's main finding: the lever's effect on the package's cost.
    if let Some(sweep) = &data.sweep {
        let variants = sweep.variants();
        let target = ["fiscal_cost"]
            .iter()
            .find_map(|m| sweep.rows.iter().find(|r| r.vehicle == "total" && r.metric == *m))
            .or_else(|| sweep.rows.iter().find(|r| r.metric == "fiscal_cost"));
        if let (Some(t), Some((_, v0)), Some((last, vn))) = (target, variants.first(), variants.last())
            && let Some(r) =
                sweep.rows.iter().find(|r| r.variant == *last && r.vehicle == t.vehicle && r.metric == t.metric)
        {
            {
                let levers: Vec<String> = sweep
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(k, key)| {
                        let all: Vec<f64> =
                            variants.iter().filter_map(|(_, l)| l.get(k).and_then(|x| x.parse().ok())).collect();
                        let share = lever_is_share(&all);
                        f(
                            "{0} from {1} to {2}",
                            &[
                                &lever_words_in(lang, key),
                                &lever_value(v0.get(k).map_or("", |s| s), share),
                                &lever_value(vn.get(k).map_or("", |s| s), share),
                            ],
                        )
                    })
                    .collect();
                let d = r.diff_mean.map_or("–".into(), |d| signed(d, 1));
                let se = r.diff_se.map_or("–".into(), |v| fixed(v, 2));
                rows.push(Finding {
                    what: f("Sweep: change in fiscal cost ({0}) with {1}", &[&t.vehicle, &levers.join(", ")]),
                    unit: "mn CNY",
                    estimate: d.clone(),
                    uncertainty: f("± {0} (se, paired)", &[&se]),
                });
                said.push(f(
                    "Moving the {0} changes the fiscal cost by {1} million CNY (± {2}).",
                    &[&esc(&levers.join(", ")), &d, &se],
                ));
            }
        }
    }

    // The sensitivity's main finding: the lever with the largest swing.
    if let Some(r) = data
        .sensitivity
        .iter()
        .filter(|r| r.swing.is_some())
        .max_by(|a, b| a.swing.unwrap_or(0.0).abs().total_cmp(&b.swing.unwrap_or(0.0).abs()))
    {
        let share = lever_is_share(&[r.low.parse().unwrap_or(2.0), r.high.parse().unwrap_or(2.0)]);
        let lever = f(
            "{0}: {1} to {2}",
            &[&lever_words_in(lang, &r.lever), &lever_value(&r.low, share), &lever_value(&r.high, share)],
        );
        let (_, unit, _) = super::html::table_unit(r.target.rsplit('.').next().unwrap_or(&r.target));
        let target = match r.target.split_once('.') {
            Some(("total", m)) => f("{0} of the package", &[&metric_words(lang, m)]),
            Some((v, m)) => f("{0} of {1}", &[&metric_words(lang, m), &data.label(v)]),
            None => r.target.clone(),
        };
        rows.push(Finding {
            what: f("Sensitivity: largest swing of the {0}, from the {1}", &[&target, &lever]),
            unit,
            estimate: r.swing.map_or("–".into(), |s| signed(s, 1)),
            uncertainty: f("± {0} (se, paired)", &[&r.swing_se.map_or("–".into(), |v| fixed(v, 2))]),
        });
        said.push(f(
            "Of the levers tried one at a time, the {0} moves the {1} most: by {2} ± {3} {4}.",
            &[
                &esc(&lever),
                &esc(&target),
                &r.swing.map_or("–".into(), |s| signed(s, 1)),
                &r.swing_se.map_or("–".into(), |v| fixed(v, 2)),
                &t(unit),
            ],
        ));
    }

    if rows.is_empty() {
        return;
    }
    let _ = writeln!(h, "<section id=\"summary\">\n<h2>{}</h2>", t("Summary"));
    let _ = writeln!(h, "<p class=\"lead\">{}</p>", said.join(if lang == Lang::Zh { "" } else { " " }));
    let _ = writeln!(
        h,
        "<table class=\"summary\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        t("finding"),
        t("unit"),
        t("estimate"),
        t("uncertainty")
    );
    for row in rows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&row.what),
            t(row.unit),
            esc(&row.estimate),
            esc(&row.uncertainty)
        );
    }
    let _ = writeln!(
        h,
        "</tbody>\n</table>\n<p class=\"note\">{}</p>\n</section>",
        t(
            "Probabilities are shares of simulated paths (paths.csv) with their binomial standard error; costs are present values to the budget; ratios of means come from fiscal.csv, VaR and expected shortfall from risk.csv, differences from sweep.csv and sensitivity.csv, paired over common random numbers."
        )
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_carry_a_binomial_standard_error() {
        let (p, se) = share_positive(&[1.0, -1.0, 2.0, 0.0, f64::NAN]).unwrap();
        assert_eq!(p, 0.5);
        assert!((se - (0.25f64 / 4.0).sqrt()).abs() < 1e-12);
        assert!(share_positive(&[]).is_none());
    }
}
