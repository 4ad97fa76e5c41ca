//! Fan charts of the per-step series in `timeseries.csv`: the J-curve
//! (cumulative net cash flow of each stakeholder) and NAV.
//!
//! Two bands (P5–P95 and P25–P75) and the median over time, x in years,
//! y in million CNY.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Style, capital, series_info};
use super::{ChartError, Ctx, DrawResult, Figure, Section, fail, frame, house_legend, house_mesh, plot_area};

/// One fan chart: per step (year, [p05, p25, p50, p75, p95]).
#[derive(Debug, Clone)]
pub(crate) struct Fan {
    pub title: String,
    pub subtitle: String,
    pub y_desc: String,
    pub points: Vec<(f64, [f64; 5])>,
}

impl Fan {
    pub(crate) fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let x1 = self.points.iter().map(|p| p.0).fold(0.0, f64::max);
        let lo = self.points.iter().map(|p| p.1[0]).fold(0.0, f64::min);
        let hi = self.points.iter().map(|p| p.1[4]).fold(0.0, f64::max);
        let pad = 0.05 * (hi - lo).max(1e-9);
        ((0.0, x1.max(1e-9)), (lo - pad, hi + pad))
    }

    /// Where the legend is out of the way: the upper corner on the side
    /// whose upper band is lower.
    fn legend_corner(&self) -> SeriesLabelPosition {
        let half = self.points.len() / 2;
        let high = |s: &[(f64, [f64; 5])]| s.iter().map(|p| p.1[4]).fold(f64::MIN, f64::max);
        if high(&self.points[..half]) <= high(&self.points[half..]) {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::UpperRight
        }
    }
}

impl Figure for Fan {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        let ((x0, x1), (y0, y1)) = (super::axis_range(x0, x1), super::axis_range(y0, y1));
        let mut chart = plot_area(&body, 10, 110).build_cartesian_2d(x0..x1, y0..y1).map_err(fail)?;
        let xs = (x1 - x0) / 10.0;
        let ys = (y1 - y0) / 8.0;
        let x_fmt = move |v: &f64| style::fixed(*v, style::decimals(xs));
        let y_fmt = move |v: &f64| style::fixed(*v, style::decimals(ys));
        house_mesh(&mut chart.configure_mesh(), st)
            .x_labels(12)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(st.tr("Years since the first close"))
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(fail)?;

        if y0 < 0.0 && y1 > 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(x0, 0.0), (x1, 0.0)], style::INK.stroke_width(1))))
                .map_err(fail)?;
        }
        let band = |lo: usize, hi: usize| -> Vec<(f64, f64)> {
            let mut p: Vec<(f64, f64)> = self.points.iter().map(|(x, q)| (*x, q[hi])).collect();
            p.extend(self.points.iter().rev().map(|(x, q)| (*x, q[lo])));
            p
        };
        let outer = style::BLUE.mix(0.18);
        let inner = style::BLUE.mix(0.38);
        chart
            .draw_series(std::iter::once(Polygon::new(band(0, 4), outer.filled())))
            .map_err(fail)?
            .label(st.tr("5th–95th percentile"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 9), (x + 28, y + 9)], outer.filled()));
        chart
            .draw_series(std::iter::once(Polygon::new(band(1, 3), inner.filled())))
            .map_err(fail)?
            .label(st.tr("25th–75th percentile"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 9), (x + 28, y + 9)], inner.filled()));
        let median: Vec<(f64, f64)> = self.points.iter().map(|(x, q)| (*x, q[2])).collect();
        chart
            .draw_series(std::iter::once(PathElement::new(median, style::MEDIAN.stroke_width(3))))
            .map_err(fail)?
            .label(st.tr("Median"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style::MEDIAN.stroke_width(3)));
        house_legend(&mut chart, st, self.legend_corner())
    }
}

/// Draw a fan chart for every series in `timeseries.csv`.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let data = cx.data;
    for s in &data.series {
        let points: Vec<(f64, [f64; 5])> = s
            .points
            .iter()
            .filter_map(|(year, q)| {
                let mut v = [0.0; 5];
                for (k, x) in q.iter().enumerate() {
                    v[k] = (*x)?;
                }
                Some((*year, v))
            })
            .collect();
        if points.len() < 2 || super::flat(points.iter().flat_map(|(_, q)| q.iter().copied())) {
            continue;
        }
        // A ratio series (the NPL ratio) is stored as a fraction and drawn
        // in percent.
        let ratio = s.metric.ends_with("_ratio");
        // DPI to date is a multiple of paid-in capital.
        let multiple = s.metric == "dpi";
        let points: Vec<(f64, [f64; 5])> =
            if ratio { points.into_iter().map(|(x, q)| (x, q.map(|v| 100.0 * v))).collect() } else { points };
        let (what, whose) = series_info(&s.metric);
        let title = cx.st.trf("{0} of {1} ({2})", &[&cx.st.tr(&what), &cx.st.tr(whose), &data.label(&s.vehicle)]);
        let years = points.last().map_or(0.0, |p| p.0);
        let subtitle = format!(
            "{} · {}",
            cx.scenario(),
            cx.st.trf(
                "percentiles across paths at each step, {0} steps over {1} years",
                &[&points.len().to_string(), &style::fixed(years, 0)]
            )
        );
        let caption = format!(
            "{title}: median (line), 25th–75th and 5th–95th percentile bands across simulated paths at each step, in {}, from timeseries.csv.{}",
            if ratio {
                "percent"
            } else if multiple {
                "multiples of paid-in capital"
            } else {
                "million CNY"
            },
            if s.metric.ends_with("cum_net_cash_flow") {
                " Negative while capital is called, rising as distributions come back (the J-curve)."
            } else {
                ""
            }
        );
        let y_desc = if s.metric.ends_with("cum_net_cash_flow") {
            cx.st.tr("Cumulative net cash flow (million CNY)")
        } else if s.metric.ends_with("nav") {
            cx.st.tr("Net asset value (million CNY)")
        } else {
            // The series' own name (before any explanation after a colon),
            // in the unit its catalogue entry gives.
            let what = cx.st.tr(&what);
            let short = what.split([':', '：']).next().unwrap_or(&what).trim().to_string();
            let unit = if ratio {
                "%"
            } else if multiple {
                "x"
            } else {
                "million CNY"
            };
            format!("{} ({})", capital(&short), cx.st.tr(unit))
        };
        let fig = Fan { title: title.clone(), subtitle, y_desc, points };
        cx.add(&fig, &["fan", &s.vehicle, &s.metric], Section::CashFlows, title, caption)?;
    }
    Ok(())
}
