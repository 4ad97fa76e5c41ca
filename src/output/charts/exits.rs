//! The time-to-exit chart from `exits.csv`: for each exit route of an
//! equity vehicle (failed, acquired, IPO), the years from the vehicle's
//! first investment in the company to the event, as a bar from the
//! quartiles p25 to p75 with the median marked and labelled.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::category_chart;
use super::style::{self, Style};
use super::{ChartError, Ctx, DrawResult, Figure, Section, count, fail, frame};

/// One route's bar: label, quartiles in years.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub label: String,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
}

/// Quartile bars of years to exit, one per route.
#[derive(Debug, Clone)]
pub(crate) struct ExitTimes {
    pub title: String,
    pub subtitle: String,
    pub spans: Vec<Span>,
}

impl Figure for ExitTimes {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        let body = frame(root, st, &self.title, &self.subtitle)?;
        let max = self.spans.iter().map(|s| s.p75).fold(0.0, f64::max);
        let top = if max > 0.0 { max * 1.2 } else { 1.0 };
        let labels = self.spans.iter().map(|s| s.label.clone()).collect();
        let mut chart = category_chart(
            &body,
            st,
            labels,
            top,
            &st.tr("Exit route"),
            &st.tr("Years from first investment (p25 to p75)"),
        )?;
        chart
            .draw_series(self.spans.iter().enumerate().map(|(i, s)| {
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), s.p25), (SegmentValue::Exact(i + 1), s.p75)],
                    style::BAR.filled(),
                );
                r.set_margin(0, 0, 40, 40);
                r
            }))
            .map_err(fail)?;
        // The median: a thin bar across the quartile bar.
        let half = top * 0.004;
        chart
            .draw_series(self.spans.iter().enumerate().map(|(i, s)| {
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), s.p50 - half), (SegmentValue::Exact(i + 1), s.p50 + half)],
                    style::BLUE.filled(),
                );
                r.set_margin(0, 0, 40, 40);
                r
            }))
            .map_err(fail)?;
        chart
            .draw_series(self.spans.iter().enumerate().map(|(i, s)| {
                Text::new(
                    st.trf("median {0} y", &[&style::fixed(s.p50, 2)]),
                    (SegmentValue::CenterOf(i), s.p75 + top * 0.012),
                    st.font(style::LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(fail)?;
        Ok(())
    }
}

/// Draw the time-to-exit chart of every vehicle in `exits.csv`.
pub(crate) fn draw(cx: &mut Ctx) -> Result<(), ChartError> {
    let data = cx.data;
    for g in &data.exits {
        let spans: Vec<Span> = g
            .routes
            .iter()
            .filter_map(|r| match (r.years_p25, r.years_p50, r.years_p75) {
                (Some(p25), Some(p50), Some(p75)) if r.count > 0 => {
                    Some(Span { label: cx.st.tr(route_label(&r.route)), p25, p50, p75 })
                }
                _ => None,
            })
            .collect();
        if spans.is_empty() {
            continue;
        }
        let total: u64 = g.routes.iter().map(|r| r.count).sum();
        let title = cx.st.trf("Time to exit of {0}", &[&cx.data.label(&g.vehicle)]);
        let n = count(total as usize);
        let subtitle = format!("{} · {}", cx.scenario(), cx.st.trf("{0} exits over all paths", &[&n]));
        let caption = cx.st.trf(
            "{0}: years from the first investment in a company to its failure, acquisition or listing, \
             quartiles over {1} events of all simulated paths, from exits.csv.",
            &[&title, &n],
        );
        let fig = ExitTimes { title: title.clone(), subtitle, spans };
        cx.add(&fig, &["exits", &g.vehicle, "years"], Section::Deals, title, caption)?;
    }
    Ok(())
}

/// The English label of a route of `exits.csv`.
fn route_label(route: &str) -> &'static str {
    match route {
        "failed" => "Failed",
        "acquired" => "Acquired",
        "ipo" => "IPO",
        _ => "Other",
    }
}
