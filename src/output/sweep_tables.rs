//! `sweep.csv` and `sensitivity.csv`: the comparison tables of policy
//! experiments (INTERFACE.md), built from one variant's results at a time
//! against the base variant's, so memory holds two result matrices at most.

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::output::tables::cell;
use crate::stats::summary::summarize;
use crate::sweep::{Difference, column, difference};

/// Writes `sweep.csv` row by row as variants finish.
pub(crate) struct SweepWriter {
    w: csv::Writer<std::fs::File>,
    scratch: Vec<f64>,
}

impl SweepWriter {
    pub(crate) fn new(path: &Path, keys: &[String]) -> io::Result<SweepWriter> {
        let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
        let mut header = vec!["variant".to_string()];
        header.extend(keys.iter().cloned());
        for h in ["vehicle", "metric", "mean", "se", "p05", "p50", "p95", "diff_mean", "diff_se", "diff_se_unpaired"] {
            header.push(h.into());
        }
        w.write_record(&header).map_err(io::Error::other)?;
        Ok(SweepWriter { w, scratch: Vec::new() })
    }

    /// One row per metric of variant `index` (with the swept values
    /// `values`), its difference from `base` paired over paths.
    pub fn variant(&mut self, index: usize, values: &[String], base: &Results, r: &Results) -> io::Result<()> {
        let ncols = r.columns.len();
        for (j, c) in r.columns.iter().enumerate() {
            let (s, d) = match (&r.stream, &base.stream) {
                // Without a matrix: the variant's column statistics, and
                // its paired differences from the base after them
                // (`paired`); the base against itself differs by 0.
                (Some(rs), Some(bs)) => {
                    let s = rs.summary(j);
                    let paired = if std::ptr::eq(r, base) {
                        let zero = if s.defined > 0 { 0.0 } else { f64::NAN };
                        (zero, if s.defined > 1 { 0.0 } else { f64::NAN })
                    } else {
                        let p = rs.summary(rs.width() - ncols + j);
                        (p.mean, p.se)
                    };
                    let (sb, sx) = (bs.summary(j).se, s.se);
                    (s, Difference { mean: paired.0, se: paired.1, se_unpaired: (sb * sb + sx * sx).sqrt() })
                }
                _ => {
                    let (b, x) = (column(base, j), column(r, j));
                    (summarize(&x, &mut self.scratch), difference(&b, &x, &mut self.scratch))
                }
            };
            let mut rec = vec![index.to_string()];
            rec.extend(values.iter().cloned());
            rec.extend([c.vehicle.clone(), c.metric.clone()]);
            for v in [s.mean, s.se, s.p05(), s.p50(), s.p95(), d.mean, d.se, d.se_unpaired] {
                rec.push(cell(v));
            }
            self.w.write_record(&rec).map_err(io::Error::other)?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// One lever's swing of the target metric.
#[derive(Debug, Clone)]
pub(crate) struct Swing {
    pub key: String,
    pub low: String,
    pub high: String,
    pub base_mean: f64,
    pub low_mean: f64,
    pub high_mean: f64,
    pub low_diff_se: f64,
    pub high_diff_se: f64,
    /// high mean - low mean, and its paired standard error.
    pub swing: f64,
    pub swing_se: f64,
}

impl Swing {
    /// As [`Swing::measure`], from the column statistics of runs without a
    /// matrix (`paired`): the target column `j` of the base, low and high
    /// runs, the low run's paired difference from the base in its last
    /// column, the high run's from the base and from the low run in its
    /// last two.
    pub(crate) fn from_stream(key: &str, low: &str, high: &str, j: usize, r: [&Results; 3]) -> Option<Swing> {
        let [b, l, h] = r.map(|r| r.stream.as_ref());
        let (b, l, h) = (b?, l?, h?);
        let (lw, hw) = (l.width(), h.width());
        let swing = h.summary(hw - 1);
        Some(Swing {
            key: key.into(),
            low: low.into(),
            high: high.into(),
            base_mean: b.summary(j).mean,
            low_mean: l.summary(j).mean,
            high_mean: h.summary(j).mean,
            low_diff_se: l.summary(lw - 1).se,
            high_diff_se: h.summary(hw - 2).se,
            swing: swing.mean,
            swing_se: swing.se,
        })
    }

    pub(crate) fn measure(key: &str, low: &str, high: &str, base: &[f64], lo: &[f64], hi: &[f64]) -> Swing {
        let mut scratch = Vec::new();
        let mean = |x: &[f64], s: &mut Vec<f64>| summarize(x, s).mean;
        let swing = difference(lo, hi, &mut scratch);
        Swing {
            key: key.into(),
            low: low.into(),
            high: high.into(),
            base_mean: mean(base, &mut scratch),
            low_mean: mean(lo, &mut scratch),
            high_mean: mean(hi, &mut scratch),
            low_diff_se: difference(base, lo, &mut scratch).se,
            high_diff_se: difference(base, hi, &mut scratch).se,
            swing: swing.mean,
            swing_se: swing.se,
        }
    }
}

/// Columns of `sensitivity.csv` (the chart reader takes them from here).
pub(crate) const SENSITIVITY_HEADER: [&str; 13] = [
    "lever",
    "low",
    "high",
    "target",
    "base_mean",
    "low_mean",
    "high_mean",
    "low_diff",
    "low_diff_se",
    "high_diff",
    "high_diff_se",
    "swing",
    "swing_se",
];

/// `sensitivity.csv`: the tornado table, largest swing first.
pub(crate) fn write_sensitivity(path: &Path, target: &str, swings: &mut [Swing]) -> io::Result<()> {
    swings.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(SENSITIVITY_HEADER).map_err(io::Error::other)?;
    for s in swings.iter() {
        w.write_record([
            s.key.clone(),
            s.low.clone(),
            s.high.clone(),
            target.to_string(),
            cell(s.base_mean),
            cell(s.low_mean),
            cell(s.high_mean),
            cell(s.low_mean - s.base_mean),
            cell(s.low_diff_se),
            cell(s.high_mean - s.base_mean),
            cell(s.high_diff_se),
            cell(s.swing),
            cell(s.swing_se),
        ])
        .map_err(io::Error::other)?;
    }
    w.flush()
}
