//! The investment-loan linkage chart (投贷联动, item 十): for each loan
//! programme whose bank has an equity side (warrants or a co-investing
//! arm), the bank's net credit loss against its equity gain on the same
//! firms, one point per path (`paths.csv`), with the line on which the
//! gain just covers the loss.
//!
//! Both are heavy-tailed (a warrant on one large exit can pay many times
//! the whole loan book's losses), so the axes stop at the 99th percentile
//! of each and the subtitle counts the paths beyond; the share of paths
//! above the line is over all paths.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Style, Unit};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, flat, frame, house_mesh, plot_area};

/// At most this many points are drawn (the first paths): enough to see
/// the cloud, few enough for a light SVG.
const MAX_POINTS: usize = 4000;

/// One chart: (net credit loss, equity gain) per path.
#[derive(Debug, Clone)]
pub(crate) struct Linkage {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    pub y_desc: String,
    pub line: String,
    pub points: Vec<(f64, f64)>,
    /// Upper ends of the axes (the 99th percentiles).
    pub x_max: f64,
    pub y_max: f64,
}

/// The `q` quantile of `v` (sorted copy; nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return 0.0;
    }
    s.sort_by(f64::total_cmp);
    s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

impl Figure for Linkage {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let (x0, x1) = super::axis_range(0.0_f64.min(-0.02 * self.x_max), self.x_max * 1.05);
        let (y0, y1) = super::axis_range(0.0_f64.min(-0.02 * self.y_max), self.y_max * 1.05);
        let mut chart = plot_area(&body, 10, 110).build_cartesian_2d(x0..x1, y0..y1).map_err(fail)?;
        let (xs, ys) = ((x1 - x0) / 8.0, (y1 - y0) / 8.0);
        let x_fmt = move |v: &f64| Unit::Money.tick(*v, xs);
        let y_fmt = move |v: &f64| Unit::Money.tick(*v, ys);
        house_mesh(&mut chart.configure_mesh(), st)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(fail)?;
        let inside = self.points.iter().filter(|&&(x, y)| x <= x1 && y <= y1);
        chart
            .draw_series(inside.map(|&(x, y)| Circle::new((x, y), 3, style::BLUE.mix(0.35).filled())))
            .map_err(fail)?;
        let end = x1.min(y1);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (end, end)],
                style::VERMILLION.stroke_width(3),
            )))
            .map_err(fail)?
            .label(self.line.clone())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style::VERMILLION.stroke_width(3)));
        super::house_legend(&mut chart, st, SeriesLabelPosition::UpperRight)
    }
}

pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let Some(paths) = cx.data.paths.as_ref() else { return Ok(()) };
    let vehicles: Vec<String> =
        paths.columns.iter().filter(|(_, m, _)| m == "linked_equity_gain").map(|(v, _, _)| v.clone()).collect();
    for v in vehicles {
        let (Some(gain), Some(loss)) = (paths.get(&v, "linked_equity_gain"), paths.get(&v, "bank_net_loss")) else {
            continue;
        };
        // A bank without an equity side has nothing to draw.
        if flat(gain.iter().copied()) {
            continue;
        }
        let (x_max, y_max) = (quantile(loss, 0.99).max(1e-9), quantile(gain, 0.99).max(1e-9));
        let beyond = loss.iter().zip(gain).filter(|&(&x, &y)| x > x_max || y > y_max).count();
        let defined: Vec<(f64, f64)> =
            loss.iter().zip(gain).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(&x, &y)| (x, y)).collect();
        let covered = defined.iter().filter(|(x, y)| y >= x).count();
        let share = 100.0 * covered as f64 / defined.len().max(1) as f64;
        let n = count(defined.len());
        let label = cx.data.label(&v);
        let title = format!("{}: {label}", cx.st.tr("Credit losses against equity gains"));
        let subtitle =
            format!("{n} paths · gains cover losses in {share:.1}% · {} beyond the 99th percentiles", count(beyond));
        let caption = format!(
            "{title}: each point is one simulated path, the bank's net credit loss on the loans to the firms (x, after any guarantee, insurance and compensation) against the equity gain on the same firms (y: warrants and the investment arm's co-investment, from paths.csv). Above the line the equity gains cover the credit losses: {share:.1}% of {n} paths (equity_covers_losses in summary.csv). Both axes stop at the 99th percentile; {} paths lie beyond.",
            count(beyond)
        );
        let fig = Linkage {
            title: title.clone(),
            subtitle,
            x_desc: cx.st.tr("Net credit loss (million CNY)"),
            y_desc: cx.st.tr("Equity gain (million CNY)"),
            line: cx.st.tr("equity gain = net credit loss"),
            points: defined.into_iter().take(MAX_POINTS).collect(),
            x_max,
            y_max,
        };
        cx.add(&fig, &["linkage", &v], Section::Losses, title, caption)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&[f64::NAN, 2.0], 0.5), 2.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
