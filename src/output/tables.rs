//! The CSV outputs of a run (INTERFACE.md): `paths.csv`, `summary.csv`,
//! `risk.csv`, `timeseries.csv`, `deals.csv`, `exits.csv`.
//!
//! Plain RFC 4180 with a header row, `.` as decimal separator, numbers in
//! Rust's shortest round-trip form, and an empty cell for an undefined value.

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::scenario::Scenario;
use crate::stats::risk::LEVELS;
use crate::stats::summary::QUANTILES;
use crate::vehicles::MetricKind;
use crate::vehicles::equity::{EXIT_ROUTES, MULTIPLE_BUCKETS, ROUTES, step_quantile};

/// Quantiles of each step in `timeseries.csv`.
pub(crate) const SERIES_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// A number as a CSV cell: empty when undefined.
pub(crate) fn cell(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { String::new() }
}

fn writer(path: &Path) -> io::Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).map_err(io::Error::other)
}

fn done(mut w: csv::Writer<std::fs::File>) -> io::Result<()> {
    w.flush()
}

fn io_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

pub fn write_paths(path: &Path, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    let mut header = vec!["path".to_string()];
    header.extend(r.columns.iter().map(|c| format!("{}.{}", c.vehicle, c.metric)));
    w.write_record(&header).map_err(io_err)?;
    let mut rec = Vec::with_capacity(header.len());
    for (i, row) in r.matrix.rows().into_iter().enumerate() {
        rec.clear();
        rec.push(i.to_string());
        rec.extend(row.iter().map(|&x| cell(x)));
        w.write_record(&rec).map_err(io_err)?;
    }
    done(w)
}

pub(crate) const SUMMARY_HEADER: [&str; 18] = [
    "vehicle",
    "metric",
    "unit",
    "mean",
    "sd",
    "se",
    "min",
    "p01",
    "p05",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "max",
    "undefined_share",
];

pub fn write_summary(path: &Path, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(SUMMARY_HEADER).map_err(io_err)?;
    let mut scratch = Vec::new();
    for (j, c) in r.columns.iter().enumerate() {
        let s = r.summary(j, &mut scratch);
        let mut rec = vec![
            c.vehicle.clone(),
            c.metric.clone(),
            c.unit.csv().to_string(),
            cell(s.mean),
            cell(s.sd),
            cell(s.se),
            cell(s.min),
        ];
        rec.extend(s.quantiles.iter().map(|&q| cell(q)));
        rec.push(cell(s.max));
        rec.push(cell(s.undefined_share));
        w.write_record(&rec).map_err(io_err)?;
    }
    debug_assert_eq!(QUANTILES.len(), 9);
    done(w)
}

pub fn write_risk(path: &Path, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    let mut header = vec!["vehicle".to_string(), "metric".to_string()];
    for l in LEVELS {
        let tag = format!("{}", l * 100.0).replace('.', "");
        header.push(format!("var{tag}"));
        header.push(format!("es{tag}"));
    }
    w.write_record(&header).map_err(io_err)?;
    let mut scratch = Vec::new();
    for (j, c) in r.columns.iter().enumerate().filter(|(_, c)| c.kind == MetricKind::Loss) {
        let m = r.risk(j, &mut scratch);
        let mut rec = vec![c.vehicle.clone(), c.metric.clone()];
        for i in 0..LEVELS.len() {
            rec.push(cell(m.var[i]));
            rec.push(cell(m.es[i]));
        }
        w.write_record(&rec).map_err(io_err)?;
    }
    done(w)
}

pub fn write_timeseries(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(["vehicle", "metric", "step", "year", "p05", "p25", "p50", "p75", "p95"]).map_err(io_err)?;
    let k = scn.steps_per_year as f64;
    for s in &r.series {
        for (t, sketch) in s.steps.iter().enumerate() {
            let mut rec = vec![s.vehicle.clone(), s.metric.clone(), t.to_string(), ((t + 1) as f64 / k).to_string()];
            rec.extend(SERIES_QUANTILES.iter().map(|&q| cell(sketch.quantile(q).unwrap_or(f64::NAN))));
            w.write_record(&rec).map_err(io_err)?;
        }
    }
    done(w)
}

/// `exits.csv`: per equity vehicle and exit route (failed, acquired,
/// ipo), the events over all paths, their share of the vehicle's events,
/// and the quartiles of the years from the vehicle's first investment in
/// the company to the event (a listing for `ipo`), in whole steps (the
/// inverse empirical distribution, `equity::step_quantile`).
pub fn write_exits(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(["vehicle", "route", "count", "share", "years_p25", "years_p50", "years_p75"]).map_err(io_err)?;
    let k = scn.steps_per_year as f64;
    for ((name, counts), v) in r.deals.iter().zip(&scn.vehicles) {
        if !v.has_deals() {
            continue;
        }
        let total: u64 = counts.exit_steps.iter().flatten().sum();
        for (route, hist) in EXIT_ROUTES.iter().zip(&counts.exit_steps) {
            let n: u64 = hist.iter().sum();
            let share = if total > 0 { n as f64 / total as f64 } else { f64::NAN };
            let years = |q: f64| cell(step_quantile(hist, q).map_or(f64::NAN, |s| s as f64 / k));
            w.write_record([
                name.as_str(),
                route,
                &n.to_string(),
                &cell(share),
                &years(0.25),
                &years(0.5),
                &years(0.75),
            ])
            .map_err(io_err)?;
        }
    }
    done(w)
}

pub fn write_deals(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = writer(path)?;
    w.write_record(["vehicle", "kind", "label", "count", "share"]).map_err(io_err)?;
    for ((name, counts), v) in r.deals.iter().zip(&scn.vehicles) {
        if !v.has_deals() {
            continue;
        }
        for (kind, labels, values) in
            [("multiple", &MULTIPLE_BUCKETS[..], &counts.multiple[..]), ("route", &ROUTES[..], &counts.route[..])]
        {
            let total: u64 = values.iter().sum();
            for (label, &n) in labels.iter().zip(values) {
                let share = if total > 0 { n as f64 / total as f64 } else { f64::NAN };
                w.write_record([name.as_str(), kind, label, &n.to_string(), &cell(share)]).map_err(io_err)?;
            }
        }
    }
    done(w)
}
