//! Charts of the policy view: the tornado of a `[sensitivity]` table
//! (`sensitivity.csv`) and the fiscal cost of each vehicle of a package
//! (`fiscal.csv`) and the budget profile by year (`budget.csv`).
//!
//! The tornado draws, for each lever, the target's mean with the lever at
//! its low and at its high value as bars from the base scenario's mean, with
//! whiskers of two standard errors of the difference from the base, paired
//! over common random numbers. The fiscal chart draws each vehicle's mean
//! fiscal cost as a bar from zero (below zero: a net gain to the budget)
//! with the 5th–95th percentile range across paths.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Style, Unit, capital, metric_info};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, frame, house_mesh, plot_area};
use crate::output::html::lever_words_in;
use crate::output::i18n::Lang;
use crate::output::read::{FiscalRow, SwingRow};

/// At most this many levers are drawn (the largest swings); the rest are
/// in the report's table.
pub(crate) const MAX_LEVERS: usize = 10;

/// Colour of the bar to a lever's low value.
pub(crate) const LOW: RGBColor = style::ORANGE;
/// Colour of the bar to a lever's high value.
pub(crate) const HIGH: RGBColor = style::BLUE;
/// Colour of the base scenario's line.
pub(crate) const BASE: RGBColor = style::BLACK;

/// Height of the legend strip above a plot.
const LEGEND_BAND: u32 = 46;

/// One lever of a tornado, in stored units of the target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TornadoBar {
    /// Short lever name (`loans.policy.interest_subsidy`).
    pub label: String,
    pub low: String,
    pub high: String,
    pub low_mean: f64,
    pub high_mean: f64,
    /// Paired standard errors of low and high against the base.
    pub low_se: f64,
    pub high_se: f64,
}

/// A tornado chart.
#[derive(Debug, Clone)]
pub(crate) struct Tornado {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub unit: Unit,
    pub base: f64,
    pub bars: Vec<TornadoBar>,
}

/// A lever key without the `vehicles.` prefix every vehicle lever has.
pub(crate) fn short_lever(key: &str) -> &str {
    key.strip_prefix("vehicles.").unwrap_or(key)
}

/// A horizontal legend of (colour, is a line, label) drawn in one row.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    x: i32,
    items: &[(RGBColor, bool, String)],
) -> DrawResult {
    let font = st.font(style::LEGEND_SIZE);
    let mut x = x;
    let y = 22;
    for (c, line, label) in items {
        if *line {
            area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], c.stroke_width(3))).map_err(fail)?;
        } else {
            area.draw(&Rectangle::new([(x, y - 9), (x + 28, y + 9)], c.filled())).map_err(fail)?;
        }
        area.draw(&Text::new(label.clone(), (x + 36, y), font.pos(Pos::new(HPos::Left, VPos::Center))))
            .map_err(fail)?;
        let (w, _) = area.estimate_text_size(label, &font).map_err(fail)?;
        x += 36 + w as i32 + 30;
    }
    Ok(())
}

/// `(lo, hi)` of `values` padded by `pad` of the span on each side.
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let span = if hi - lo > 1e-12 { hi - lo } else { lo.abs().max(1.0) };
    (lo - pad * span, hi + pad * span)
}

impl Figure for Tornado {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (top, plot) = body.split_vertically(LEGEND_BAND);
        let u = self.unit;
        legend(
            &top,
            st,
            130,
            &[
                (LOW, false, st.tr("Lever at its low value")),
                (HIGH, false, st.tr("at its high value")),
                (BASE, true, st.trf("Base mean {0}", &[&u.value(self.base)])),
            ],
        )?;
        let n = self.bars.len().max(1);
        let ends = self.bars.iter().flat_map(|b| {
            [
                b.low_mean - 2.0 * b.low_se,
                b.low_mean + 2.0 * b.low_se,
                b.high_mean - 2.0 * b.high_se,
                b.high_mean + 2.0 * b.high_se,
            ]
        });
        let (x0, x1) = padded(ends.chain([self.base]).map(|v| u.scale(v)), 0.12);
        let (x0, x1) = super::axis_range(x0, x1);
        let mut chart = plot_area(&plot, 4, 20).build_cartesian_2d(x0..x1, 0.0..n as f64).map_err(fail)?;
        let xs = (x1 - x0) / 8.0;
        let x_fmt = move |v: &f64| u.tick(*v, xs);
        house_mesh(&mut chart.configure_mesh(), st)
            .disable_y_mesh()
            .x_labels(8)
            .y_labels(0)
            .x_label_formatter(&x_fmt)
            .x_desc(self.x_desc.as_str())
            .draw()
            .map_err(fail)?;
        let base = u.scale(self.base);
        let label_font = st.font(style::LABEL_SIZE);
        for (i, b) in self.bars.iter().enumerate() {
            // Band i from the top: the label in its upper part, the bar below.
            let band_top = (n - i) as f64;
            let (bar_lo, bar_hi) = (band_top - 0.88, band_top - 0.5);
            let mid = (bar_lo + bar_hi) / 2.0;
            chart
                .draw_series(std::iter::once(Text::new(
                    b.label.clone(),
                    (x0 + 0.01 * (x1 - x0), band_top - 0.08),
                    label_font.pos(Pos::new(HPos::Left, VPos::Top)),
                )))
                .map_err(fail)?;
            let (lo, hi) = (u.scale(b.low_mean), u.scale(b.high_mean));
            let ends = [(lo, u.scale(b.low_se), LOW, &b.low), (hi, u.scale(b.high_se), HIGH, &b.high)];
            // The longer bar first, so that a lever moving the target the
            // same way at both values shows both bars.
            let mut order = [0, 1];
            order.sort_by(|&a, &b| (ends[b].0 - base).abs().total_cmp(&(ends[a].0 - base).abs()));
            for k in order {
                let (end, _, colour, _) = ends[k];
                chart
                    .draw_series(std::iter::once(Rectangle::new([(base, bar_lo), (end, bar_hi)], colour.filled())))
                    .map_err(fail)?;
            }
            for &(end, se, _, _) in &ends {
                if se > 0.0 {
                    let (a, z) = (end - 2.0 * se, end + 2.0 * se);
                    let h = 0.1;
                    chart
                        .draw_series([
                            PathElement::new(vec![(a, mid), (z, mid)], style::INK.stroke_width(2)),
                            PathElement::new(vec![(a, mid - h), (a, mid + h)], style::INK.stroke_width(2)),
                            PathElement::new(vec![(z, mid - h), (z, mid + h)], style::INK.stroke_width(2)),
                        ])
                        .map_err(fail)?;
                }
            }
            for (k, &(end, se, _, value)) in ends.iter().enumerate() {
                // The value label goes outward from the base (an end at the
                // base: away from the other end), past the whiskers.
                let (other, other_se) = (ends[1 - k].0, ends[1 - k].1);
                let right = if end != base {
                    end > base
                } else if other != base {
                    other < base
                } else {
                    k == 1
                };
                let pad = 0.008 * (x1 - x0);
                let (x, pos) = if right {
                    let mut x = end + 2.0 * se;
                    if other < end {
                        x = x.max(other + 2.0 * other_se);
                    }
                    (x + pad, Pos::new(HPos::Left, VPos::Center))
                } else {
                    let mut x = end - 2.0 * se;
                    if other > end {
                        x = x.min(other - 2.0 * other_se);
                    }
                    (x - pad, Pos::new(HPos::Right, VPos::Center))
                };
                chart
                    .draw_series(std::iter::once(Text::new(value.clone(), (x, mid), label_font.pos(pos))))
                    .map_err(fail)?;
            }
        }
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(base, 0.0), (base, n as f64)], BASE.stroke_width(2))))
            .map_err(fail)?;
        Ok(())
    }
}

/// One vehicle of the fiscal chart, in million CNY.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FiscalBar {
    pub label: String,
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
    pub total: bool,
}

/// Mean fiscal cost by vehicle (or outlay by year) with its 90 % range.
#[derive(Debug, Clone)]
pub(crate) struct FiscalChart {
    pub title: String,
    pub subtitle: String,
    pub bars: Vec<FiscalBar>,
    /// Axis titles (in the chart's language).
    pub x_desc: String,
    pub y_desc: String,
    /// Whether each bar carries its mean as a label (not for many bars).
    pub mean_labels: bool,
}

impl Figure for FiscalChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (top, plot) = body.split_vertically(LEGEND_BAND);
        legend(
            &top,
            st,
            130,
            &[
                (style::BAR, false, st.tr("Mean (bar from zero)")),
                (style::INK, true, st.tr("5th–95th percentile across paths")),
            ],
        )?;
        let n = self.bars.len().max(1);
        let (y0, y1) = padded(self.bars.iter().flat_map(|b| [b.mean, b.p05, b.p95]).chain([0.0]), 0.06);
        let (y0, y1) = super::axis_range(y0, y1);
        let mut chart =
            plot_area(&plot, 4, 110).build_cartesian_2d((0..n - 1).into_segmented(), y0..y1).map_err(fail)?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.label.clone()).collect();
        let x_fmt = move |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let ys = (y1 - y0) / 8.0;
        let y_fmt = move |v: &f64| Unit::Money.tick(*v, ys);
        house_mesh(&mut chart.configure_mesh(), st)
            .disable_x_mesh()
            .x_labels(n)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(fail)?;
        // Bar width: a third of the slot at most.
        let slot = 1040 / n as u32;
        let margin = slot / 3;
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                let fill = if b.total { style::SKY } else { style::BAR };
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), b.mean)],
                    fill.filled(),
                );
                r.set_margin(0, 0, margin, margin);
                r
            }))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(SegmentValue::Exact(0), 0.0), (SegmentValue::Exact(n), 0.0)],
                style::INK.stroke_width(2),
            )))
            .map_err(fail)?;
        let cap = 14;
        for (i, b) in self.bars.iter().enumerate() {
            let c = SegmentValue::CenterOf(i);
            chart
                .draw_series([PathElement::new(
                    vec![(c.clone(), b.p05), (c.clone(), b.p95)],
                    style::INK.stroke_width(3),
                )])
                .map_err(fail)?;
            for y in [b.p05, b.p95] {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((c.clone(), y))
                            + PathElement::new(vec![(-cap, 0), (cap, 0)], style::INK.stroke_width(3)),
                    ))
                    .map_err(fail)?;
            }
            if !self.mean_labels {
                continue;
            }
            // The mean's label on a white ground, readable over the zero
            // line and the grid.
            let text = st.trf("Mean {0}", &[&style::fixed(b.mean, 1)]);
            let font = st.font(style::LABEL_SIZE);
            let (w, h) = root.estimate_text_size(&text, &font).map_err(fail)?;
            let (w, h) = (w as i32, h as i32);
            // Right of the bar, clear of it and of the range's caps.
            let at = cap.max((slot - 2 * margin) as i32 / 2) + 6;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((c.clone(), b.mean))
                        + Rectangle::new([(at, -h / 2 - 3), (at + 8 + w, h / 2 + 3)], WHITE.mix(0.85).filled())
                        + Text::new(text, (at + 4, 0), font.pos(Pos::new(HPos::Left, VPos::Center))),
                ))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// A lever value as written, `true`/`false` in the charts' language.
fn yes_no(cx: &Ctx, v: &str) -> String {
    match v {
        "true" | "false" => cx.st.tr(v),
        _ => v.to_string(),
    }
}

/// Whose a `<vehicle>.<metric>` target is, and how it is shown.
fn target_info(st: &Style, vehicle_label: impl Fn(&str) -> String, target: &str) -> (String, String, Unit) {
    let (vehicle, metric) = target.rsplit_once('.').unwrap_or(("", target));
    match metric_info(metric) {
        Some(i) => {
            let whose = if vehicle == "total" {
                st.tr("all vehicles")
            } else {
                format!("{} ({})", st.tr(i.stakeholder), vehicle_label(vehicle))
            };
            (st.tr(i.label), whose, i.unit)
        }
        None => (metric.replace('_', " "), vehicle.to_string(), Unit::Count),
    }
}

/// Draw the tornado of `sensitivity.csv` and the fiscal cost by vehicle of
/// `fiscal.csv`, where the run has them.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    draw_fiscal(cx)?;
    draw_budget(cx)?;
    draw_tornado(cx)
}

fn draw_fiscal(cx: &mut Ctx) -> Result<(), ChartError> {
    let rows: Vec<&FiscalRow> = cx.data.fiscal_view().iter().collect();
    let bars: Vec<FiscalBar> = rows
        .iter()
        .filter_map(|r| {
            Some(FiscalBar {
                label: if r.vehicle == "total" { cx.st.tr("package total") } else { cx.data.label(&r.vehicle) },
                mean: r.mean?,
                p05: r.p05?,
                p95: r.p95?,
                total: r.vehicle == "total",
            })
        })
        .collect();
    if bars.is_empty() {
        return Ok(());
    }
    let paths = count(cx.data.manifest.paths as usize);
    let title = cx.st.tr("Fiscal cost by vehicle");
    let subtitle = format!("{} · {}", cx.scenario(), cx.st.trf("mean and 90% range over {0} paths", &[&paths]));
    let caption = format!(
        "{title}: each vehicle's cost to the budget (million CNY) and the package's total, path by path on one economy: the bar is the mean, the line the 5th–95th percentile range across {paths} simulated paths, from fiscal.csv. Below zero the vehicle returns more to the budget than it costs (a guidance fund that profits); the total's range is not the sum of the vehicles' ranges, as their costs are jointly distributed."
    );
    let (x_desc, y_desc) = (cx.st.tr("vehicle"), cx.st.tr("Fiscal cost (million CNY)"));
    let fig = FiscalChart { title: title.clone(), subtitle, bars, x_desc, y_desc, mean_labels: true };
    cx.add(&fig, &["fiscal_by_vehicle"], Section::Fiscal, title, caption)
}

/// The budget profile of `budget.csv`: the package's nominal net outlay in
/// each programme year, mean and 5th–95th percentile range across paths.
fn draw_budget(cx: &mut Ctx) -> Result<(), ChartError> {
    let bars: Vec<FiscalBar> = cx
        .data
        .budget
        .iter()
        .filter(|r| r.vehicle == "total")
        .filter_map(|r| {
            Some(FiscalBar { label: r.year.to_string(), mean: r.mean?, p05: r.p05?, p95: r.p95?, total: false })
        })
        .collect();
    if bars.len() < 2 || super::flat(bars.iter().flat_map(|b| [b.mean, b.p05, b.p95])) {
        return Ok(());
    }
    let paths = count(cx.data.manifest.paths as usize);
    let title = cx.st.tr("Budget profile: net fiscal outlay by year");
    let subtitle = cx.st.trf("{0} · mean and 90% range over {1} paths, nominal", &[&cx.scenario(), &paths]);
    let caption = cx.st.trf(
        "{0}: the package's net fiscal outlay in each programme year (million CNY, nominal: payments out of the budget less receipts, not discounted), the bar the mean and the line the 5th–95th percentile range across {1} simulated paths, from budget.csv (which also has each vehicle's). The yearly means add up to the mean nominal fiscal cost; below zero the budget receives more than it pays that year (a guidance fund's distributions, the sale of its stakes). A guidance fund's holdings still unrealised at the horizon count as a receipt in the last year.",
        &[&title, &paths],
    );
    let (x_desc, y_desc) = (cx.st.tr("programme year"), cx.st.tr("Net fiscal outlay (million CNY)"));
    let fig = FiscalChart { title: title.clone(), subtitle, bars, x_desc, y_desc, mean_labels: false };
    cx.add(&fig, &["budget_by_year"], Section::Fiscal, title, caption)
}

fn draw_tornado(cx: &mut Ctx) -> Result<(), ChartError> {
    let rows = &cx.data.sensitivity;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let target = first.target.clone();
    let Some(base) = rows.iter().find_map(|r| r.base_mean) else {
        return Ok(());
    };
    let usable: Vec<&SwingRow> =
        rows.iter().filter(|r| r.target == target && r.low_mean.is_some() && r.high_mean.is_some()).collect();
    let bars: Vec<TornadoBar> = usable
        .iter()
        .take(MAX_LEVERS)
        .map(|r| TornadoBar {
            // In Chinese the lever in words; in English its key, as the
            // sensitivity table names it.
            label: match cx.st.lang {
                Lang::En => short_lever(&r.lever).to_string(),
                Lang::Zh => lever_words_in(Lang::Zh, &r.lever),
            },
            low: yes_no(cx, &r.low),
            high: yes_no(cx, &r.high),
            low_mean: r.low_mean.unwrap_or(base),
            high_mean: r.high_mean.unwrap_or(base),
            low_se: r.low_diff_se.unwrap_or(0.0),
            high_se: r.high_diff_se.unwrap_or(0.0),
        })
        .collect();
    if bars.is_empty() {
        return Ok(());
    }
    let (label, whose, unit) = target_info(&cx.st, |v| cx.data.label(v).to_string(), &target);
    let paths = count(cx.data.manifest.paths as usize);
    let mut title = cx.st.trf("Sensitivity of mean {0} of {1}", &[&label, &whose]);
    if title.chars().count() > 56 {
        title = title.chars().take(55).collect::<String>() + "…";
    }
    let subtitle = format!("{} · {}", cx.scenario(), cx.st.trf("one lever at a time, {0} paths per case", &[&paths]));
    let left_out = usable.len() - bars.len();
    let caption = format!(
        "Tornado of {target}: its mean over {paths} simulated paths with each lever set to its low (orange bar) and its high value (blue bar), the other levers at the scenario's values; bars start at the base scenario's mean ({base}, the vertical line) and are labelled with the lever's values. Whiskers are ±2 standard errors of the difference from the base, paired path by path: every case runs on the same common random numbers, so they measure how well the lever's effect is known, not the spread of outcomes. Largest swing first, from sensitivity.csv.{more}",
        base = unit.value(base),
        more = if left_out > 0 {
            format!(" The {left_out} lever(s) with smaller swings are in the Sensitivity table.")
        } else {
            String::new()
        }
    );
    let fig = Tornado {
        title: title.clone(),
        subtitle,
        x_desc: cx.st.trf("Mean {0} of {1} ({2})", &[&label, &whose, &cx.st.tr(unit.axis())]),
        unit,
        base,
        bars,
    };
    cx.add(&fig, &["tornado", &target.replace('.', "_")], Section::Sensitivity, title, capital(&caption))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lever_names_lose_the_vehicles_prefix() {
        assert_eq!(short_lever("vehicles.loans.policy.interest_subsidy"), "loans.policy.interest_subsidy");
        assert_eq!(short_lever("market.public_vol"), "market.public_vol");
    }

    #[test]
    fn target_names_have_their_unit() {
        let en = Style { family: "", lang: Lang::En };
        let (label, whose, unit) = target_info(&en, |v| v.to_string(), "total.fiscal_cost");
        assert_eq!((label.as_str(), whose.as_str(), unit), ("fiscal cost", "all vehicles", Unit::Money));
        assert_eq!(target_info(&en, |v| v.to_string(), "angel.gov_irr").2, Unit::Percent);
        let zh = Style { family: "", lang: Lang::Zh };
        assert_eq!(target_info(&zh, |v| v.to_string(), "total.fiscal_cost").1, "全部工具");
    }
}
