//! Writing a run's results (last stage of the pipeline).
//!
//! Everything goes to a temporary directory beside the output directory and
//! is renamed into place only when every file is written, so a failed run
//! never leaves a half-written output or loses an earlier one. The CSVs and
//! the manifest come first; the charts and the report are then drawn from
//! those files alone (`charts`, `report`), so `fundsim plot` can redraw them.

pub mod charts;
pub mod fiscal;
pub mod manifest;
pub mod policy_tables;
pub mod report;
pub mod sweep_tables;
pub mod tables;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::Results;
use crate::scenario::Scenario;
use charts::{Chart, ChartError, ChartOptions};
pub use manifest::Manifest;

/// A temporary directory beside the output directory: files are written
/// into `dir()`, and `commit` renames it into place, replacing an earlier
/// output; dropped without a commit, it is removed and `out` is untouched.
pub struct Staging {
    tmp: PathBuf,
    out: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(out: &Path) -> io::Result<Staging> {
        let tmp = sibling(out, "tmp")?;
        fs::create_dir_all(&tmp)?;
        Ok(Staging { tmp, out: out.to_path_buf(), committed: false })
    }

    pub fn dir(&self) -> &Path {
        &self.tmp
    }

    pub fn commit(mut self) -> io::Result<()> {
        replace_dir(&self.tmp, &self.out)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Write the CSVs of one run into `dir`.
pub fn write_tables(dir: &Path, scn: &Scenario, results: &Results, write_paths: bool) -> io::Result<()> {
    if write_paths {
        tables::write_paths(&dir.join("paths.csv"), results)?;
    }
    tables::write_summary(&dir.join("summary.csv"), results)?;
    tables::write_risk(&dir.join("risk.csv"), results)?;
    tables::write_timeseries(&dir.join("timeseries.csv"), scn, results)?;
    tables::write_deals(&dir.join("deals.csv"), scn, results)?;
    fiscal::write_fiscal(&dir.join("fiscal.csv"), scn, results)
}

/// Draw the charts and the report from the files in `dir` (`None`:
/// `--no-charts`).
pub fn draw(dir: &Path, charts: Option<&ChartOptions>) -> io::Result<()> {
    if let Some(opts) = charts {
        let drawn = charts::draw_all(dir, opts).map_err(io::Error::other)?;
        report::write_report(dir, &drawn).map_err(io::Error::other)?;
    }
    Ok(())
}

/// Write every output file of a run into `out`, atomically replacing it;
/// with `charts`, draw the charts and the report too (`None`: `--no-charts`).
pub fn write_run(
    out: &Path,
    scn: &Scenario,
    results: &Results,
    manifest: &Manifest,
    write_paths: bool,
    charts: Option<&ChartOptions>,
) -> io::Result<()> {
    let staging = Staging::new(out)?;
    write_tables(staging.dir(), scn, results, write_paths)?;
    manifest.write(&staging.dir().join("manifest.json"))?;
    draw(staging.dir(), charts)?;
    staging.commit()
}

/// Redraw the charts and the report of the finished output directory `out`
/// from its files (`fundsim plot`).
///
/// They are drawn into a temporary directory inside `out` first; then the
/// new `charts/` folder and `report.html` are renamed into place, each
/// rename atomic, and the earlier ones are put back if a rename fails.
pub fn redraw(out: &Path, opts: &ChartOptions) -> Result<Vec<Chart>, ChartError> {
    if !out.is_dir() {
        return Err(ChartError::NotOutputDir {
            dir: out.to_path_buf(),
            reason: if out.exists() { "it is not a directory".into() } else { "it does not exist".into() },
        });
    }
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChartError::Io { path, source }
    };
    let tmp = sibling(&out.join("charts"), "plot").map_err(io_err(out))?;
    let result = (|| {
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let drawn = charts::draw_into(out, &tmp, opts)?;
        report::write_report_into(out, &tmp, &drawn)?;
        swap_in(&tmp.join("charts"), &out.join("charts")).map_err(io_err(out))?;
        swap_in(&tmp.join("report.html"), &out.join("report.html")).map_err(io_err(out))?;
        Ok(drawn)
    })();
    let _ = fs::remove_dir_all(&tmp);
    result
}

/// Rename `new` to `dst`, replacing a file or directory there.
fn swap_in(new: &Path, dst: &Path) -> io::Result<()> {
    if dst.is_dir() {
        replace_dir(new, dst)
    } else {
        // A file: rename replaces it atomically.
        fs::rename(new, dst)
    }
}

/// A fresh path beside `out` (same filesystem, so renames are atomic).
fn sibling(out: &Path, what: &str) -> io::Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    for i in 0..1000 {
        let p = parent.join(format!(".{name}.{what}-{}-{i}", std::process::id()));
        if !p.exists() {
            return Ok(p);
        }
    }
    Err(io::Error::other("cannot find a free temporary directory name"))
}

/// Move `tmp` to `out`, replacing `out` if it exists.
fn replace_dir(tmp: &Path, out: &Path) -> io::Result<()> {
    if out.exists() {
        let old = sibling(out, "old")?;
        fs::rename(out, &old)?;
        if let Err(e) = fs::rename(tmp, out) {
            // Put the earlier output back.
            let _ = fs::rename(&old, out);
            return Err(e);
        }
        fs::remove_dir_all(&old)
    } else {
        fs::rename(tmp, out)
    }
}
