//! Distribution charts: a histogram of one per-path metric from
//! `paths.csv`, with its summary statistics marked and labelled.
//!
//! Return metrics (TVPI, IRR, ... of each stakeholder) get the median, mean,
//! P5 and P95 of `summary.csv`; loss metrics (default rate, losses, fiscal
//! cost) get the median, mean and the VaR and expected shortfall at 95 % and
//! 99 % of `risk.csv`, and the loan programme's pool-exhaustion share.
//! Undefined values (empty cells) are skipped and counted in the caption.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Role, Style, Unit, capital, metric_info};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, frame, house_mesh, plot_area};
use crate::output::read::Paths;

/// Bins of a histogram.
pub(crate) const BINS: usize = 50;
/// Share of defined values cut from each end of the axis when the tails are
/// long (outliers beyond are counted in the caption, not drawn).
pub(crate) const TRIM: f64 = 0.01;

/// A vertical marker line with its label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    /// "Median", "VaR 95%".
    pub name: String,
    /// Stored value (fraction for percent metrics).
    pub value: f64,
    pub colour: RGBColor,
    pub dashed: bool,
}

/// Binned values, in plotted units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bins {
    pub lo: f64,
    pub hi: f64,
    /// Share of defined values in each bin, in percent.
    pub shares: Vec<f64>,
    pub defined: usize,
    pub undefined: usize,
    /// Defined values left of `lo` and right of `hi` (not drawn).
    pub below: usize,
    pub above: usize,
}

/// Bin `values` (plotted units, NaN undefined) over an axis that holds
/// every value in `keep` and all values, or, when the tails are long (the
/// full range over 1.25 times the trimmed one), all but the `TRIM` share at
/// each end.
pub(crate) fn bin(values: &[f64], keep: &[f64]) -> Bins {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let undefined = values.len() - n;
    let at = |p: f64| v[((n - 1) as f64 * p).round() as usize];
    let (mut lo, mut hi) = if n > 0 {
        let (lo, hi) = (at(TRIM), at(1.0 - TRIM));
        if v[n - 1] - v[0] <= 1.25 * (hi - lo) { (v[0], v[n - 1]) } else { (lo, hi) }
    } else {
        (0.0, 1.0)
    };
    for &k in keep.iter().filter(|k| k.is_finite()) {
        lo = lo.min(k);
        hi = hi.max(k);
    }
    // Finite ends within the axis limit, so the bin width is finite too.
    let (lo, hi) = super::axis_range(lo, hi);
    let width = (hi - lo) / BINS as f64;
    let mut counts = vec![0usize; BINS];
    let (mut below, mut above) = (0, 0);
    for &x in &v {
        if x < lo {
            below += 1;
        } else if x > hi {
            above += 1;
        } else {
            let i = (((x - lo) / width) as usize).min(BINS - 1);
            counts[i] += 1;
        }
    }
    let shares = counts.iter().map(|&c| if n > 0 { 100.0 * c as f64 / n as f64 } else { 0.0 }).collect();
    Bins { lo, hi, shares, defined: n, undefined, below, above }
}

/// A histogram with labelled markers.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub unit: Unit,
    pub bins: Bins,
    pub markers: Vec<Marker>,
}

/// Height of one row of marker labels, as a share of the y range.
const ROW: f64 = 0.055;

impl Histogram {
    /// The x range drawn (plotted units): the bins and a little air.
    pub(crate) fn x_range(&self) -> (f64, f64) {
        let pad = 0.02 * (self.bins.hi - self.bins.lo);
        (self.bins.lo - pad, self.bins.hi + pad)
    }

    /// The y range drawn: room above the bars for one label row per marker.
    pub(crate) fn y_top(&self) -> f64 {
        let max = self.bins.shares.iter().copied().fold(0.0, f64::max);
        let max = if max > 0.0 { max } else { 1.0 };
        max / (0.96 - ROW * self.markers.len() as f64)
    }
}

impl Figure for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (x0, x1) = super::axis_range(self.x_range().0, self.x_range().1);
        let top = super::axis_range(0.0, self.y_top()).1;
        let mut chart = plot_area(&body, 10, 100).build_cartesian_2d(x0..x1, 0.0..top).map_err(fail)?;
        let step = (x1 - x0) / 10.0;
        let unit = self.unit;
        let x_fmt = move |v: &f64| unit.tick(*v, step);
        let y_step = top / 8.0;
        let y_fmt = move |v: &f64| style::fixed(*v, style::decimals(y_step));
        house_mesh(&mut chart.configure_mesh(), st)
            .disable_x_mesh()
            .x_labels(10)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(st.tr("Share of paths (%)"))
            .draw()
            .map_err(fail)?;

        let b = &self.bins;
        let w = (b.hi - b.lo) / b.shares.len() as f64;
        chart
            .draw_series(b.shares.iter().enumerate().filter(|(_, s)| **s > 0.0).map(|(i, &s)| {
                let l = b.lo + w * i as f64;
                Rectangle::new([(l, 0.0), (l + w, s)], style::BAR.filled())
            }))
            .map_err(fail)?;
        chart
            .draw_series(b.shares.iter().enumerate().filter(|(_, s)| **s > 0.0).map(|(i, &s)| {
                let l = b.lo + w * i as f64;
                Rectangle::new([(l, 0.0), (l + w, s)], WHITE.stroke_width(1))
            }))
            .map_err(fail)?;

        // Data units per pixel, to size label boxes.
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let px_x = (x1 - x0) / pw.max(1) as f64;
        let px_y = top / ph.max(1) as f64;
        // Markers, left to right; each label on its own row, top row first.
        // Every line is drawn before any label, so no line strikes through
        // a label (its own or a neighbour's): the labels' white boxes cover
        // the lines they cross.
        let mut order: Vec<&Marker> = self.markers.iter().collect();
        order.sort_by(|a, b| a.value.total_cmp(&b.value));
        for m in &order {
            let x = unit.scale(m.value);
            let line = vec![(x, 0.0), (x, top)];
            let stroke = m.colour.stroke_width(3);
            if m.dashed {
                chart.draw_series(std::iter::once(DashedPathElement::new(line, 12, 7, stroke))).map_err(fail)?;
            } else {
                chart.draw_series(std::iter::once(PathElement::new(line, stroke))).map_err(fail)?;
            }
        }
        for (row, m) in order.iter().enumerate() {
            let x = unit.scale(m.value);
            let y = top * (0.975 - ROW * row as f64);
            let right_half = x > x0 + 0.62 * (x1 - x0);
            let (dx, anchor) =
                if right_half { (-0.008 * (x1 - x0), HPos::Right) } else { (0.008 * (x1 - x0), HPos::Left) };
            let label = format!("{} {}", m.name, unit.value(m.value));
            let text = st.text(style::LABEL_SIZE, m.colour).pos(Pos::new(anchor, VPos::Center));
            // A white box behind the label keeps it legible over other lines.
            let (tw, th) = root.estimate_text_size(&label, &text).map_err(fail)?;
            let (w, h) = (tw as f64 * px_x, (th as f64 + 6.0) * px_y);
            let (l, r) = match anchor {
                HPos::Right => (x + dx - w, x + dx),
                _ => (x + dx, x + dx + w),
            };
            chart
                .draw_series(std::iter::once(Rectangle::new([(l, y - h / 2.0), (r, y + h / 2.0)], WHITE.filled())))
                .map_err(fail)?;
            chart.draw_series(std::iter::once(Text::new(label, (x + dx, y), text))).map_err(fail)?;
        }
        Ok(())
    }
}

/// `Median 1.62x, mean 1.80x, ...` for captions.
fn marker_list(markers: &[Marker], unit: Unit) -> String {
    markers.iter().map(|m| format!("{} {}", m.name, unit.value(m.value))).collect::<Vec<_>>().join(", ")
}

/// Caption sentences on what was not drawn.
fn omitted(b: &Bins) -> String {
    let mut s = String::new();
    if b.undefined > 0 {
        s += &format!(" {} path(s) had no defined value (undefined) and are skipped.", count(b.undefined));
    }
    if b.below + b.above > 0 {
        s += &format!(
            " The axis holds all but the most extreme values: {} path(s) below and {} above it are not drawn.",
            count(b.below),
            count(b.above)
        );
    }
    s
}

/// Draw the return and loss distributions of every vehicle in `paths.csv`.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let data = cx.data;
    let Some(paths) = &data.paths else {
        return Ok(());
    };
    let n = paths.len();
    for role in [Role::Return, Role::Loss] {
        for (vehicle, metric, values) in &paths.columns {
            let Some(info) = metric_info(metric) else {
                continue;
            };
            if info.role != role || !wanted(paths, vehicle, metric) || super::flat(values.iter().copied()) {
                continue;
            }
            let (markers, pool) = markers(cx, vehicle, metric, role);
            let unit = info.unit;
            let plotted: Vec<f64> = values.iter().map(|&v| unit.scale(v)).collect();
            let keep: Vec<f64> = markers.iter().map(|m| unit.scale(m.value)).collect();
            let bins = bin(&plotted, &keep);
            let st = &cx.st;
            let whose = if vehicle == "total" {
                st.tr("all vehicles")
            } else {
                format!("{} ({})", st.tr(info.stakeholder), data.label(vehicle))
            };
            let what =
                if role == Role::Return { "Distribution of {0} of {1}" } else { "Loss distribution: {0} of {1}" };
            let title = st.trf(what, &[&st.tr(info.label), &whose]);
            let mut subtitle = format!("{} · {}", cx.scenario(), st.trf("{0} paths", &[&count(n)]));
            if bins.undefined > 0 {
                subtitle += &format!(" · {}", st.trf("{0} undefined (skipped)", &[&count(bins.undefined)]));
            }
            if let Some(p) = &pool {
                subtitle += &format!(" · {}", st.trf("risk pool exhausted in {0} of paths", &[p]));
            }
            let caption = format!(
                "{title}, over {} simulated paths. Bars: share of paths per bin. Marked (from summary.csv{}): {}.{}{}",
                count(n),
                if role == Role::Loss { " and risk.csv" } else { "" },
                marker_list(&markers, unit),
                pool.map(|p| format!(" The risk pool was exhausted in {p} of paths.")).unwrap_or_default(),
                omitted(&bins),
            );
            let fig = Histogram {
                title: title.clone(),
                subtitle,
                x_desc: format!("{} ({})", capital(&cx.st.tr(info.label)), cx.st.tr(unit.axis())),
                unit,
                bins,
                markers,
            };
            let family = if role == Role::Return { "dist" } else { "loss" };
            let section = if role == Role::Return { Section::Returns } else { Section::Losses };
            cx.add(&fig, &[family, vehicle, metric], section, title, caption)?;
        }
    }
    Ok(())
}

/// Whether a column gets a chart: `total.fiscal_cost` only when some vehicle
/// has a fiscal cost to add up.
pub(crate) fn wanted(paths: &Paths, vehicle: &str, metric: &str) -> bool {
    vehicle != "total" || paths.columns.iter().any(|(v, m, _)| v != "total" && m == metric)
}

/// The markers of a chart, and the share of paths that exhausted the risk
/// pool (loan programme), formatted.
fn markers(cx: &Ctx, vehicle: &str, metric: &str, role: Role) -> (Vec<Marker>, Option<String>) {
    let mut out = Vec::new();
    let mut push = |name: &str, value: Option<f64>, colour, dashed| {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            out.push(Marker { name: name.to_string(), value, colour, dashed });
        }
    };
    let s = cx.data.summary(vehicle, metric);
    push(&cx.st.tr("Median"), s.and_then(|s| s.p50), style::MEDIAN, false);
    push(&cx.st.tr("Mean"), s.and_then(|s| s.mean), style::MEAN, false);
    let mut pool = None;
    match role {
        Role::Return => {
            push("P5", s.and_then(|s| s.p05), style::TAIL, true);
            push("P95", s.and_then(|s| s.p95), style::TAIL, true);
        }
        _ => {
            if let Some(r) = cx.data.risk(vehicle, metric) {
                for (tag, colour) in [("95", style::VAR), ("99", style::ES)] {
                    if let Some((var, es)) = r.at(tag) {
                        push(&format!("VaR {tag}%"), var, colour, false);
                        push(&format!("ES {tag}%"), es, colour, true);
                    }
                }
            }
            if let Some(p) = cx.data.summary(vehicle, "pool_exhausted").and_then(|s| s.mean) {
                pool = Some(Unit::Percent.value(p));
            }
        }
    }
    (out, pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_skip_undefined_and_count_outliers() {
        let mut v: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        v.push(f64::NAN);
        v.push(1e6);
        let b = bin(&v, &[0.5]);
        assert_eq!(b.defined, 1001);
        assert_eq!(b.undefined, 1);
        // The trimmed axis is [v[10], v[990]] = [0.010, 0.990].
        assert_eq!((b.below, b.above), (10, 10));
        let drawn: f64 = b.shares.iter().sum();
        let expect = 100.0 * (1001 - b.below - b.above) as f64 / 1001.0;
        assert!((drawn - expect).abs() < 1e-9);
    }

    #[test]
    fn bins_of_extreme_values_are_finite() {
        let v = [-f64::MAX, f64::MAX, 1.0, f64::INFINITY];
        let b = bin(&v, &[f64::MAX]);
        assert!(b.lo.is_finite() && b.hi.is_finite() && (b.hi - b.lo).is_finite());
        assert_eq!(b.defined + b.undefined, v.len());
    }

    #[test]
    fn the_axis_holds_every_marker() {
        let v = [1.0, 1.0, 1.0];
        let b = bin(&v, &[5.0]);
        assert!(b.lo <= 1.0 && b.hi >= 5.0);
        let flat = bin(&v, &[]);
        assert!(flat.lo < 1.0 && flat.hi > 1.0, "a constant gets some width");
    }
}
