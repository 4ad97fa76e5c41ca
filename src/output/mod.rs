//! Writing a run's results (last stage of the pipeline).
//!
//! Everything goes to a temporary directory beside the output directory and
//! is renamed into place only when every file is written, so a failed run
//! never leaves a half-written output or loses an earlier one.

pub mod charts;
pub mod manifest;
pub mod report;
pub mod tables;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::Results;
use crate::scenario::Scenario;
pub use manifest::Manifest;

/// Write every output file of a run into `out`, atomically replacing it.
pub fn write_run(
    out: &Path,
    scn: &Scenario,
    results: &Results,
    manifest: &Manifest,
    write_paths: bool,
) -> io::Result<()> {
    let tmp = sibling(out, "tmp")?;
    let result = (|| {
        fs::create_dir_all(&tmp)?;
        if write_paths {
            tables::write_paths(&tmp.join("paths.csv"), results)?;
        }
        tables::write_summary(&tmp.join("summary.csv"), results)?;
        tables::write_risk(&tmp.join("risk.csv"), results)?;
        tables::write_timeseries(&tmp.join("timeseries.csv"), scn, results)?;
        tables::write_deals(&tmp.join("deals.csv"), scn, results)?;
        manifest.write(&tmp.join("manifest.json"))?;
        replace_dir(&tmp, out)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// A fresh path beside `out` (same filesystem, so renames are atomic).
fn sibling(out: &Path, what: &str) -> io::Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    for i in 0..1000 {
        let p = parent.join(format!(".{name}.{what}-{}-{i}", std::process::id()));
        if !p.exists() {
            return Ok(p);
        }
    }
    Err(io::Error::other(
        "cannot find a free temporary directory name",
    ))
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
