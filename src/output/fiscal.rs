//! `fiscal.csv`: the fiscal view of a policy package (MODEL.md section 5).
//!
//! One row per vehicle with a fiscal cost and one for the package
//! (`total`): the distribution of the fiscal cost, each vehicle's share of
//! the package's mean cost, and what the money mobilises, as ratios of
//! means (private capital and credit per fiscal yuan, firms financed per
//! million of fiscal cost). Ratios of means are used because a path's
//! fiscal cost can be zero or negative (a guidance fund that profits), where
//! a per-path ratio means nothing; the per-path ratios are in `paths.csv`
//! as `total.*`, undefined in such paths.

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::output::tables::cell;
use crate::scenario::Scenario;
use crate::stats::summary::Summary;
use crate::vehicles::Amount;

pub(crate) const HEADER: [&str; 13] = [
    "vehicle",
    "fiscal_cost_mean",
    "fiscal_cost_se",
    "fiscal_cost_p05",
    "fiscal_cost_p50",
    "fiscal_cost_p95",
    "share_of_total",
    "private_capital_mean",
    "credit_mean",
    "firms_mean",
    "private_per_fiscal_yuan",
    "credit_per_fiscal_yuan",
    "firms_per_million_fiscal",
];

/// The summary of a column (exact, or from a run's column statistics
/// without a matrix: `Results::summary`).
fn column(r: &Results, vehicle: &str, metric: &str) -> Option<Summary> {
    let j = r.columns.iter().position(|c| c.vehicle == vehicle && c.metric == metric)?;
    Some(r.summary(j, &mut Vec::new()))
}

/// The mean of the defined values (NaN when none is).
fn mean(s: &Summary) -> f64 {
    s.mean
}

pub fn write_fiscal(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(HEADER).map_err(io::Error::other)?;
    let total = column(r, "total", "fiscal_cost").expect("total.fiscal_cost");
    let total_mean = mean(&total);
    let mut row = |name: &str, s: &Summary, private: f64, credit: f64, firms: f64| -> io::Result<()> {
        let m = s.mean;
        let per = |x: f64| if m > 0.0 { x / m } else { f64::NAN };
        let rec = [
            name.to_string(),
            cell(m),
            cell(s.se),
            cell(s.p05()),
            cell(s.p50()),
            cell(s.p95()),
            cell(if total_mean != 0.0 { m / total_mean } else { f64::NAN }),
            cell(private),
            cell(credit),
            cell(firms),
            cell(per(private)),
            cell(per(credit)),
            cell(per(firms)),
        ];
        w.write_record(&rec).map_err(io::Error::other)
    };
    for v in &scn.vehicles {
        let role = v.fiscal_role();
        let Some(cost_metric) = role.fiscal_cost.map(|c| v.metrics()[c].name) else { continue };
        let cost = column(r, &v.name, cost_metric).expect("vehicle column");
        let private =
            role.private_capital.map_or(0.0, |c| mean(&column(r, &v.name, v.metrics()[c].name).expect("column")));
        let amount = |a: Amount| match a {
            Amount::Column(c) => mean(&column(r, &v.name, v.metrics()[c].name).expect("column")),
            Amount::Constant(x) => x,
        };
        row(&v.name, &cost, private, amount(role.credit), amount(role.firms))?;
    }
    let get = |m: &str| mean(&column(r, "total", m).expect("total column"));
    row("total", &total, get("private_capital"), get("credit"), get("firms_financed"))?;
    w.flush()
}
