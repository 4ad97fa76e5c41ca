//! Writing a run's results (last stage of the pipeline).
//!
//! Everything goes to a staging directory beside the output directory that
//! takes the output's place only when every file is written, so a failed or
//! interrupted run never leaves a half-written output or loses an earlier
//! one; only an empty directory or fundsim's own output is ever replaced
//! (`commit`: ownership, the exchange rename, the lock, signals). The CSVs and
//! the manifest come first (and `results.xlsx`, the CSVs as one workbook); the charts and the report are then drawn from
//! those files alone (`charts`, `report`), so `fundsim plot` can redraw them.

pub mod budget;
pub mod charts;
pub mod commit;
pub mod executive;
pub mod fiscal;
pub mod html;
pub mod i18n;
pub mod manifest;
pub mod policy_tables;
pub mod read;
pub mod report;
pub mod sweep_tables;
pub mod tables;
pub mod workbook;

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::scenario::Scenario;
use charts::{Chart, ChartError, ChartOptions};
pub(crate) use commit::Staging;
pub(crate) use manifest::Manifest;

/// Write the CSVs of one run into `dir`.
pub fn write_tables(dir: &Path, scn: &Scenario, results: &Results, write_paths: bool) -> io::Result<()> {
    if write_paths {
        tables::write_paths(&dir.join("paths.csv"), results)?;
    }
    tables::write_summary(&dir.join("summary.csv"), results)?;
    tables::write_risk(&dir.join("risk.csv"), results)?;
    tables::write_timeseries(&dir.join("timeseries.csv"), scn, results)?;
    tables::write_deals(&dir.join("deals.csv"), scn, results)?;
    tables::write_exits(&dir.join("exits.csv"), scn, results)?;
    if budget::has_budget(results) {
        budget::write_budget(&dir.join("budget.csv"), results)?;
    }
    fiscal::write_fiscal(&dir.join("fiscal.csv"), scn, results)
}

/// Draw the charts and the report from the files in `dir` (`None`:
/// `--no-charts`).
pub(crate) fn draw(dir: &Path, charts: Option<&ChartOptions>) -> io::Result<()> {
    if let Some(opts) = charts {
        let drawn = charts::draw_all(dir, opts).map_err(io::Error::other)?;
        report::write_report(dir, &drawn, opts.lang).map_err(io::Error::other)?;
    }
    Ok(())
}

/// Redraw the charts and the report of the finished output directory `out`
/// from its files (`fundsim plot`).
///
/// Only a directory that is wholly fundsim's output is touched (see
/// `commit`): the charts and report are drawn into a staging directory
/// inside `out`, then the new `charts/` folder and `report.html` are put in
/// place, each in one atomic rename, under the output's lock.
pub(crate) fn redraw(out: &Path, opts: &ChartOptions) -> Result<Vec<Chart>, ChartError> {
    if !out.is_dir() {
        return Err(ChartError::NotOutputDir {
            dir: out.to_path_buf(),
            reason: if out.exists() { "it is not a directory".into() } else { "it does not exist".into() },
        });
    }
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChartError::from_io(path, source)
    };
    let Some(staging) = commit::Redraw::begin(out).map_err(io_err(out))? else {
        return Err(ChartError::Missing { path: out.join("manifest.json") });
    };
    let drawn = charts::draw_into(out, staging.dir(), opts)?;
    report::write_report_into(out, staging.dir(), &drawn, opts.lang)?;
    staging.finish().map_err(io_err(out))?;
    Ok(drawn)
}
