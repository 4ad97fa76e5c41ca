//! Bar charts of deal outcomes from `deals.csv`: the realised multiple of
//! each initial investment in buckets, and the exit routes, as shares of
//! all deals over all paths (count weighted).

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Style};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, frame, house_mesh, plot_area};

/// A bar chart of shares in percent.
#[derive(Debug, Clone)]
pub(crate) struct Bars {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    /// (label, share in percent).
    pub bars: Vec<(String, f64)>,
}

impl Bars {
    pub(crate) fn y_top(&self) -> f64 {
        let max = self.bars.iter().map(|b| b.1).fold(0.0, f64::max);
        if max > 0.0 { max * 1.15 } else { 1.0 }
    }
}

/// The frame of a chart with one category per label along x and 0..top
/// along y (deal-outcome bars, exit-time spans): the axes drawn, the
/// chart returned for the series.
pub(super) fn category_chart<'a, DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    st: &Style,
    labels: Vec<String>,
    top: f64,
    x_desc: &str,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>, String> {
    let n = labels.len();
    let mut chart =
        plot_area(body, 10, 100).build_cartesian_2d((0..n.max(1) - 1).into_segmented(), 0.0..top).map_err(fail)?;
    let x_fmt = move |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let ys = top / 8.0;
    let y_fmt = move |v: &f64| style::fixed(*v, style::decimals(ys));
    house_mesh(&mut chart.configure_mesh(), st)
        .disable_x_mesh()
        .x_labels(n)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

impl Figure for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let top = self.y_top();
        let labels = self.bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = category_chart(&body, st, labels, top, &self.x_desc, &st.tr("Share of deals (%)"))?;
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, (_, v))| {
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)],
                    style::BLUE.filled(),
                );
                r.set_margin(0, 0, 22, 22);
                r
            }))
            .map_err(fail)?;
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(
                    format!("{}%", style::fixed(*v, 1)),
                    (SegmentValue::CenterOf(i), *v + top * 0.012),
                    st.font(style::LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(fail)?;
        Ok(())
    }
}

/// Readable bucket and route names.
fn pretty(label: &str) -> String {
    match label {
        "lt1x" => "<1x".into(),
        "ge20x" => "≥20x".into(),
        "failed" => "Failed".into(),
        "acquired" => "Acquired".into(),
        "ipo" => "IPO (listed)".into(),
        "private" => "Still private".into(),
        other => other.replace('-', "–"),
    }
}

/// Draw the deal-outcome bar charts of every vehicle in `deals.csv`.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let data = cx.data;
    for g in &data.deals {
        let total: u64 = g.bars.iter().map(|b| b.1).sum();
        if total == 0 {
            continue;
        }
        let bars: Vec<(String, f64)> = g
            .bars
            .iter()
            .map(|(l, c, share)| {
                let s = share.unwrap_or(*c as f64 / total as f64);
                (cx.st.tr(&pretty(l)), 100.0 * s)
            })
            .collect();
        let (title, x_desc, name, what) = match g.kind.as_str() {
            "multiple" => (
                cx.st.trf("Deal outcomes of {0}: realised multiples", &[&cx.data.label(&g.vehicle)]),
                cx.st.tr("Realised multiple of each initial investment"),
                "multiples",
                "the realised multiple of each initial investment (proceeds over cost, follow-ons included), in buckets",
            ),
            "route" => (
                cx.st.trf("Deal outcomes of {0}: exit routes", &[&cx.data.label(&g.vehicle)]),
                cx.st.tr("Exit route"),
                "routes",
                "how each investment ended: failed, acquired, listed (IPO), or still private at the horizon",
            ),
            other => (format!("Deal outcomes of {}: {other}", g.vehicle), other.to_string(), other, "deal outcomes"),
        };
        let subtitle =
            format!("{} · {}", cx.scenario(), cx.st.trf("{0} deals over all paths", &[&count(total as usize)]));
        let caption = format!(
            "{title}: share of {} deals over all simulated paths by {what}, from deals.csv.",
            count(total as usize)
        );
        let fig = Bars { title: title.clone(), subtitle, x_desc, bars };
        cx.add(&fig, &["deals", &g.vehicle, name], Section::Deals, title, caption)?;
    }
    Ok(())
}
