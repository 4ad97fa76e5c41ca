//! Charts of a policy sweep (`[[sweep]]` in the scenario): each metric
//! against the swept lever with its 90 % band, from `sweep.csv`; and the
//! CDFs of a metric under each policy variant, from
//! `variants/<i>/paths.csv`.
//!
//! With two swept keys (a grid) the first is the x axis and each value of
//! the others is one line. A lever whose values are not all numbers is
//! drawn as categories, one position per value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::histogram::wanted;
use super::style::{self, Role, Style, Unit, capital, metric_info};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, frame, house_legend, house_mesh, plot_area};
use crate::output::html::{lever_is_share, lever_value, lever_words_in};
use crate::output::read::Sweep;

/// One line of a lever chart: per x (mean, p05, p95).
#[derive(Debug, Clone)]
pub(crate) struct LeverLine {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A metric against the lever.
#[derive(Debug, Clone)]
pub(crate) struct LeverChart {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub unit: Unit,
    /// Tick labels when the lever is categorical: position i is `cats[i]`.
    pub cats: Option<Vec<String>>,
    pub lines: Vec<LeverLine>,
}

fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = if hi - lo > 1e-12 { 0.05 * (hi - lo) } else { (lo.abs() * 0.1).max(0.5) };
    super::axis_range(lo - pad, hi + pad)
}

impl Figure for LeverChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let u = self.unit;
        let (x0, x1) = span(self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)));
        let (y0, y1) = span(self.lines.iter().flat_map(|l| l.points.iter().flat_map(|p| [u.scale(p.2), u.scale(p.3)])));
        let mut chart = plot_area(&body, 10, 110).build_cartesian_2d(x0..x1, y0..y1).map_err(fail)?;
        let xs = (x1 - x0) / 8.0;
        let ys = (y1 - y0) / 8.0;
        let cats = self.cats.clone();
        let x_fmt = move |v: &f64| match &cats {
            Some(c) => {
                let i = v.round();
                if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < c.len() {
                    c[i as usize].clone()
                } else {
                    String::new()
                }
            }
            None => style::fixed(*v, style::decimals(xs)),
        };
        let y_fmt = move |v: &f64| u.tick(*v, ys);
        house_mesh(&mut chart.configure_mesh(), st)
            .x_labels(self.cats.as_ref().map_or(8, |c| c.len().max(2)))
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(fail)?;
        // One line: its 90 % band as a shaded area. Several lines (a grid):
        // each band as a whisker beside its mean, the lines' whiskers set
        // side by side, so bands do not pile into one unlabelled block.
        let n = self.lines.len();
        let dodge = (x1 - x0) * 0.012;
        for (i, l) in self.lines.iter().enumerate() {
            let c = style::series_colour(i);
            if n == 1 {
                let mut band: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, u.scale(p.3))).collect();
                band.extend(l.points.iter().rev().map(|p| (p.0, u.scale(p.2))));
                let fill = c.mix(0.16);
                chart
                    .draw_series(std::iter::once(Polygon::new(band, fill.filled())))
                    .map_err(fail)?
                    .label(st.tr("90% band (P5–P95)"))
                    .legend(move |(x, y)| Rectangle::new([(x, y - 9), (x + 28, y + 9)], fill.filled()));
            } else {
                let off = dodge * (i as f64 - (n as f64 - 1.0) / 2.0);
                let s = chart
                    .draw_series(l.points.iter().map(|p| {
                        PathElement::new(vec![(p.0 + off, u.scale(p.2)), (p.0 + off, u.scale(p.3))], c.stroke_width(2))
                    }))
                    .map_err(fail)?;
                if i == 0 {
                    s.label(st.tr("90% band (P5–P95)")).legend(move |(x, y)| {
                        PathElement::new(vec![(x + 14, y - 10), (x + 14, y + 10)], style::INK.stroke_width(2))
                    });
                }
            }
            let mean: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, u.scale(p.1))).collect();
            chart
                .draw_series(std::iter::once(PathElement::new(mean.clone(), c.stroke_width(3))))
                .map_err(fail)?
                .label(l.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], c.stroke_width(3)));
            chart.draw_series(mean.iter().map(|&p| Circle::new(p, 6, c.filled()))).map_err(fail)?;
        }
        house_legend(&mut chart, st, SeriesLabelPosition::UpperRight)
    }
}

/// A two-key grid's mean of one metric: one cell per pair of values, its
/// value written in it.
#[derive(Debug, Clone)]
pub(crate) struct HeatMap {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub unit: Unit,
    pub x_cats: Vec<String>,
    pub y_cats: Vec<String>,
    /// (x index, y index, mean in stored units).
    pub cells: Vec<(usize, usize, f64)>,
}

/// The colour of a cell at `t` in 0..=1 of the value range: from near
/// white to the palette's blue (one hue, so order reads as lightness).
fn heat_colour(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let (a, b) = ((240.0, 246.0, 252.0), (0.0, 82.0, 140.0));
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Figure for HeatMap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (nx, ny) = (self.x_cats.len().max(1) as i32, self.y_cats.len().max(1) as i32);
        let mut chart = plot_area(&body, 10, 110)
            .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
            .map_err(fail)?;
        let (xc, yc) = (self.x_cats.clone(), self.y_cats.clone());
        let x_fmt = move |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => xc.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let y_fmt = move |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => yc.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        house_mesh(&mut chart.configure_mesh(), st)
            .disable_mesh()
            .x_labels(nx as usize)
            .y_labels(ny as usize)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(fail)?;
        let (lo, hi) = self.cells.iter().fold((f64::MAX, f64::MIN), |(l, h), c| (l.min(c.2), h.max(c.2)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        for &(i, j, v) in &self.cells {
            let (i, j) = (i as i32, j as i32);
            let t = (v - lo) / span;
            let cell = [
                (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
            ];
            chart.draw_series(std::iter::once(Rectangle::new(cell.clone(), heat_colour(t).filled()))).map_err(fail)?;
            chart.draw_series(std::iter::once(Rectangle::new(cell, WHITE.stroke_width(2)))).map_err(fail)?;
            let ink = if t > 0.55 { WHITE } else { style::INK };
            let text = st.text(style::AXIS_DESC_SIZE, ink).pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(
                    self.unit.value(v),
                    (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                    text,
                )))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// Empirical CDFs of one metric, one line per variant.
#[derive(Debug, Clone)]
pub(crate) struct Cdfs {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub unit: Unit,
    /// (legend label, points (plotted x, cumulative share in percent)).
    pub lines: Vec<(String, Vec<(f64, f64)>)>,
}

/// Levels at which a CDF is drawn: 0.5 % to 99.5 % in steps of 0.5 %.
pub(crate) fn cdf_points(values: &[f64], unit: Unit) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).map(|x| unit.scale(x)).collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (1..200)
        .map(|k| {
            let p = k as f64 / 200.0;
            let x = v[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
            (x, 100.0 * p)
        })
        .collect()
}

impl Figure for Cdfs {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (x0, x1) = span(self.lines.iter().flat_map(|l| l.1.iter().map(|p| p.0)));
        let mut chart = plot_area(&body, 10, 100).build_cartesian_2d(x0..x1, 0.0..100.0).map_err(fail)?;
        let xs = (x1 - x0) / 10.0;
        let u = self.unit;
        let x_fmt = move |v: &f64| u.tick(*v, xs);
        let y_fmt = |v: &f64| style::fixed(*v, 0);
        house_mesh(&mut chart.configure_mesh(), st)
            .x_labels(10)
            .y_labels(6)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(st.tr("Share of paths at or below (%)"))
            .draw()
            .map_err(fail)?;
        for (i, (label, pts)) in self.lines.iter().enumerate() {
            let c = style::series_colour(i);
            chart
                .draw_series(std::iter::once(PathElement::new(pts.clone(), c.stroke_width(3))))
                .map_err(fail)?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], c.stroke_width(3)));
        }
        house_legend(&mut chart, st, SeriesLabelPosition::LowerRight)
    }
}

/// Whether a metric gets sweep charts: returns, losses and the pool
/// exhaustion share.
fn charted(metric: &str) -> Option<style::MetricInfo> {
    metric_info(metric).filter(|i| i.role != Role::Other || metric == "pool_exhausted")
}

/// `key = value, key = value` with each key's last dotted segment, shares
/// in percent.
fn lever_label(st: &Style, keys: &[String], values: &[String], shares: &[bool]) -> String {
    keys.iter()
        .zip(values)
        .zip(shares.iter().chain(std::iter::repeat(&false)))
        .map(|((k, v), s)| format!("{} = {}", st.tr(k.rsplit('.').next().unwrap_or(k)), lever_value(v, *s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// For each swept key, whether its values read as shares (in percent).
fn lever_shares(sweep: &Sweep) -> Vec<bool> {
    let variants = sweep.variants();
    (0..sweep.keys.len())
        .map(|k| {
            let all: Vec<f64> = variants.iter().filter_map(|(_, l)| l.get(k).and_then(|x| x.parse().ok())).collect();
            lever_is_share(&all)
        })
        .collect()
}

/// Whether two CDF lines are the same within a relative 1e-9.
fn same_line(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| (p.0 - q.0).abs() <= 1e-9 * (1.0 + p.0.abs()) && p.1 == q.1)
}

/// Draw the lever charts and variant CDFs of a sweep, if there is one.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let data = cx.data;
    let Some(sweep) = &data.sweep else {
        return Ok(());
    };
    let variants = sweep.variants();
    // (vehicle, metric) in file order.
    let mut metrics: Vec<(&str, &str)> = Vec::new();
    for r in &sweep.rows {
        if !metrics.contains(&(r.vehicle.as_str(), r.metric.as_str())) {
            metrics.push((&r.vehicle, &r.metric));
        }
    }
    let first = &sweep.keys[0];
    let shares = lever_shares(sweep);
    let share = shares[0];
    let numeric = variants.iter().all(|(_, l)| l[0].trim().parse::<f64>().is_ok_and(f64::is_finite));
    let mut cats: Vec<String> = Vec::new();
    for (_, l) in &variants {
        if !cats.contains(&l[0]) {
            cats.push(l[0].clone());
        }
    }
    for &(vehicle, metric) in &metrics {
        let Some(info) = charted(metric) else {
            continue;
        };
        if vehicle == "total" && !metrics.iter().any(|&(v, m)| v != "total" && m == metric) {
            continue;
        }
        let mut lines = lever_lines(&cx.st, sweep, vehicle, metric, numeric, &cats);
        // A metric the lever does not move (the angel fund's against a loan
        // lever) gets no chart: every line and band would be flat.
        let still = |f: fn(&(f64, f64, f64, f64)) -> f64| lines.iter().all(|l| super::flat(l.points.iter().map(f)));
        if lines.is_empty() || (still(|p| p.1) && still(|p| p.2) && still(|p| p.3)) {
            continue;
        }
        if share {
            for l in &mut lines {
                for p in &mut l.points {
                    p.0 *= 100.0;
                }
            }
        }
        let whose = if vehicle == "total" {
            cx.st.tr("all vehicles")
        } else {
            format!("{} ({})", cx.st.tr(info.stakeholder), data.label(vehicle))
        };
        let lever = lever_words_in(cx.st.lang, first);
        let title = capital(&cx.st.trf("{0} of {1} against the {2}", &[&cx.st.tr(info.label), &whose, &lever]));
        let subtitle = format!(
            "{} · {}",
            cx.scenario(),
            cx.st.trf("mean and 90% band across paths for each of {0} variants", &[&variants.len().to_string()])
        );
        let caption = format!(
            "{title}: mean (line and dots) and the 5th–95th percentile band across simulated paths for each value of {first}{}, from sweep.csv.",
            if sweep.keys.len() > 1 {
                format!(", one line per value of {}", sweep.keys[1..].join(", "))
            } else {
                String::new()
            }
        );
        let fig = LeverChart {
            title: title.clone(),
            subtitle,
            x_desc: format!("{}{}", capital(&lever), if share { " (%)" } else { "" }),
            y_desc: format!("{} ({})", capital(&cx.st.tr(info.label)), cx.st.tr(info.unit.axis())),
            unit: info.unit,
            cats: (!numeric).then(|| cats.clone()),
            lines,
        };
        cx.add(&fig, &["sweep", vehicle, metric], Section::Sweep, title, caption)?;
        if sweep.keys.len() == 2 {
            heat_map(cx, sweep, vehicle, metric, info, &shares)?;
        }
    }

    if data.variant_paths.is_empty() {
        return Ok(());
    }
    let columns = &data.variant_paths[0].1.columns;
    for (vehicle, metric, _) in columns {
        let Some(info) = charted(metric) else {
            continue;
        };
        if metric == "pool_exhausted" || !wanted(&data.variant_paths[0].1, vehicle, metric) {
            continue;
        }
        let mut lines = Vec::new();
        let mut n = 0;
        for (v, paths) in &data.variant_paths {
            let Some(values) = paths.get(vehicle, metric) else {
                continue;
            };
            let pts = cdf_points(values, info.unit);
            if pts.is_empty() {
                continue;
            }
            n = n.max(values.len());
            let levers = variants
                .iter()
                .find(|(i, _)| i == v)
                .map(|(_, l)| lever_label(&cx.st, &sweep.keys, l, &shares))
                .unwrap_or_default();
            lines.push((cx.st.trf("Variant {0}: {1}", &[&v.to_string(), &levers]), pts));
        }
        // Identical distributions in every variant (a metric the lever
        // does not reach) get no chart.
        if lines.len() < 2 || lines.iter().all(|l| same_line(&l.1, &lines[0].1)) {
            continue;
        }
        let whose = if vehicle == "total" {
            cx.st.tr("all vehicles")
        } else {
            format!("{} ({})", cx.st.tr(info.stakeholder), data.label(vehicle))
        };
        let title = capital(&cx.st.trf("{0} of {1} under each policy variant", &[&cx.st.tr(info.label), &whose]));
        let subtitle = format!(
            "{} · {}",
            cx.scenario(),
            cx.st.trf("cumulative distribution over {0} paths per variant", &[&count(n)])
        );
        let caption = format!(
            "{title}: share of simulated paths at or below each value (empirical CDF between the 0.5th and 99.5th percentiles, undefined values skipped), one line per variant, from variants/<i>/paths.csv. A line further right is better for a return and worse for a loss."
        );
        let fig = Cdfs {
            title: title.clone(),
            subtitle,
            x_desc: format!("{} ({})", capital(&cx.st.tr(info.label)), cx.st.tr(info.unit.axis())),
            unit: info.unit,
            lines,
        };
        cx.add(&fig, &["cdf", vehicle, metric], Section::Sweep, title, caption)?;
    }
    Ok(())
}

/// The heat map of a two-key grid: the mean of `metric` in each cell.
fn heat_map(
    cx: &mut Ctx,
    sweep: &Sweep,
    vehicle: &str,
    metric: &str,
    info: style::MetricInfo,
    shares: &[bool],
) -> Result<(), ChartError> {
    let data = cx.data;
    let mut x_vals: Vec<String> = Vec::new();
    let mut y_vals: Vec<String> = Vec::new();
    let rows: Vec<_> = sweep.rows.iter().filter(|r| r.vehicle == vehicle && r.metric == metric).collect();
    for r in &rows {
        if !x_vals.contains(&r.levers[0]) {
            x_vals.push(r.levers[0].clone());
        }
        if !y_vals.contains(&r.levers[1]) {
            y_vals.push(r.levers[1].clone());
        }
    }
    let cells: Vec<(usize, usize, f64)> = rows
        .iter()
        .filter_map(|r| {
            let i = x_vals.iter().position(|x| *x == r.levers[0])?;
            let j = y_vals.iter().position(|y| *y == r.levers[1])?;
            Some((i, j, r.mean?))
        })
        .collect();
    if cells.is_empty() {
        return Ok(());
    }
    let whose = if vehicle == "total" {
        cx.st.tr("all vehicles")
    } else {
        format!("{} ({})", cx.st.tr(info.stakeholder), data.label(vehicle))
    };
    let (kx, ky) = (lever_words_in(cx.st.lang, &sweep.keys[0]), lever_words_in(cx.st.lang, &sweep.keys[1]));
    let title = capital(&cx.st.trf("Mean of {0} of {1} by {2} and {3}", &[&cx.st.tr(info.label), &whose, &kx, &ky]));
    let subtitle = format!(
        "{} · {}",
        cx.scenario(),
        cx.st.trf("mean across paths for each of {0} variants", &[&cells.len().to_string()])
    );
    let caption = format!(
        "{title}: the mean across simulated paths in each cell of the grid of {} and {}, written in the cell; darker is higher. From sweep.csv.",
        sweep.keys[0], sweep.keys[1]
    );
    let fig = HeatMap {
        title: title.clone(),
        subtitle,
        x_desc: capital(&kx),
        y_desc: capital(&ky),
        unit: info.unit,
        x_cats: x_vals.iter().map(|v| lever_value(v, shares[0])).collect(),
        y_cats: y_vals.iter().map(|v| lever_value(v, shares.get(1).copied().unwrap_or(false))).collect(),
        cells,
    };
    cx.add(&fig, &["heat", vehicle, metric], Section::Sweep, title, caption)
}

/// The lines of a lever chart: one per value of the keys after the first.
fn lever_lines(
    st: &Style,
    sweep: &Sweep,
    vehicle: &str,
    metric: &str,
    numeric: bool,
    cats: &[String],
) -> Vec<LeverLine> {
    let mut lines: Vec<(Vec<String>, LeverLine)> = Vec::new();
    for r in sweep.rows.iter().filter(|r| r.vehicle == vehicle && r.metric == metric) {
        let (Some(mean), Some(p05), Some(p95)) = (r.mean, r.p05, r.p95) else {
            continue;
        };
        let x = if numeric {
            r.levers[0].trim().parse::<f64>().unwrap_or(f64::NAN)
        } else {
            cats.iter().position(|c| *c == r.levers[0]).unwrap_or(0) as f64
        };
        let rest = r.levers[1..].to_vec();
        let i = match lines.iter().position(|(k, _)| *k == rest) {
            Some(i) => i,
            None => {
                let label = if rest.is_empty() {
                    st.tr("Mean")
                } else {
                    st.trf("Mean, {0}", &[&lever_label(st, &sweep.keys[1..], &rest, &lever_shares(sweep)[1..])])
                };
                lines.push((rest, LeverLine { label, points: Vec::new() }));
                lines.len() - 1
            }
        };
        lines[i].1.points.push((x, mean, p05, p95));
    }
    lines
        .into_iter()
        .map(|(_, mut l)| {
            l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            l
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_points_are_the_lower_quantiles() {
        let v: Vec<f64> = (1..=1000).map(|i| i as f64).collect();
        let p = cdf_points(&v, Unit::Money);
        assert_eq!(p.len(), 199);
        assert_eq!(p[0], (5.0, 0.5));
        assert_eq!(p[99], (500.0, 50.0));
        assert!(p.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
