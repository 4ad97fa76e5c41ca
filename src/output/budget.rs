//! `budget.csv`: the fiscal view year by year (MODEL.md section 5), the
//! finance bureau's first question: how much in which year.
//!
//! One row per vehicle with a fiscal cost (and `total`) and programme year
//! (1 is the first year of the simulation): the nominal net fiscal outlay
//! in that year across paths (mean, p05, p50, p95). The outlays are the
//! same dated flows whose present value is `fiscal_cost` and whose sum is
//! `fiscal_cost_nominal`, so the yearly means of a vehicle add up to the
//! mean of its `fiscal_cost_nominal` (up to rounding). A guidance fund's
//! holdings still unrealised at the horizon are credited at their marked
//! value in the last year, as they are in its fiscal cost.

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::output::tables::cell;

pub(crate) const HEADER: [&str; 6] = ["vehicle", "year", "mean", "p05", "p50", "p95"];

/// Whether the run has a budget to write: some vehicle has a fiscal cost.
pub(crate) fn has_budget(r: &Results) -> bool {
    r.budget.groups.len() > 1
}

pub fn write_budget(path: &Path, r: &Results) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(HEADER).map_err(io::Error::other)?;
    let b = &r.budget;
    let mut scratch = Vec::new();
    for (g, name) in b.groups.iter().enumerate() {
        for y in 0..b.years {
            let s = r.budget_summary(g, y, &mut scratch);
            let rec = [name.clone(), (y + 1).to_string(), cell(s.mean), cell(s.p05()), cell(s.p50()), cell(s.p95())];
            w.write_record(&rec).map_err(io::Error::other)?;
        }
    }
    w.flush()
}
