//! Which directories fundsim may replace, and replacing them safely.
//!
//! **Ownership.** `fundsim run --out DIR` replaces DIR, and `fundsim plot
//! DIR` rewrites its `charts/` and `report.html`, only when DIR is
//! fundsim's own:
//!
//! - DIR does not exist, or is an empty directory (run only); or
//! - DIR is a directory whose `manifest.json` was written by fundsim (a JSON
//!   object with `fundsim_version` and `scenario_sha256`) and which holds
//!   nothing but files fundsim wrote: those the manifest lists under
//!   `files` (recorded at commit), `report.html` and the `*.svg`/`*.png`
//!   in `charts/` (which `fundsim plot` redraws). Outputs written before
//!   manifests listed their files count the standard output names instead.
//!
//! Anything else (a symbolic link, a file, a folder without such a
//! manifest, a fundsim output holding a file the user added) is refused
//! with exit status 2 and a message naming the folder, the rule and the way
//! out; nothing in it is touched. The check is made before anything is
//! simulated or written, and again at commit.
//!
//! **Commit.** A run writes into a staging directory beside DIR,
//! `.<name>.tmp-<pid>-<n>`. At commit, on Linux and macOS, staging and DIR
//! are swapped by one exchange rename (`renameat2(RENAME_EXCHANGE)`,
//! `renamex_np(RENAME_SWAP)`), so DIR holds the old output or the new one at
//! every instant; the old one, now at the staging name, is then removed.
//! Where the filesystem or platform has no exchange, DIR is renamed to
//! `.<name>.old-<pid>-<n>` and staging to DIR; a crash between the two
//! renames leaves the old output complete under the `.old` name, and the
//! next fundsim run or plot on DIR renames it back before anything else.
//!
//! **Lock.** Each check-and-change of DIR (creating staging, the commit,
//! a whole `fundsim plot`) holds an exclusive advisory lock (`flock`) on
//! DIR's parent directory, which is never replaced or deleted, so the lock
//! has no unlink races and leaves no file behind. Concurrent runs to one
//! DIR simulate side by side and commit one after another (a waiting run
//! says so); the last to commit wins. Simulation runs without the lock.
//!
//! **Signals and debris.** On SIGINT, SIGTERM or SIGHUP (unless inherited
//! as ignored, as under `nohup`) fundsim removes its staging directories
//! and exits with status 1; a commit in progress finishes first. Staging
//! left by a process that no longer exists (killed with SIGKILL, a power
//! cut) is removed, under the lock, by the next run or plot on DIR.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use super::Manifest;

/// What fundsim found at an output directory it was asked to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Absent,
    Empty,
    Own,
}

/// What fundsim was about to do to a directory it refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `fundsim run --out`
    Replace,
    /// `fundsim plot`
    Redraw,
}

/// A directory that is not fundsim's to change (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to {verb} {dir}: {reason}. fundsim {rule}; nothing in {dir} was touched. {way_out}",
    verb = match action { Action::Replace => "replace", Action::Redraw => "redraw the charts of" },
    dir = dir.display(),
    rule = match action {
        Action::Replace => "replaces a directory only if it is empty or is a fundsim output (manifest.json written by fundsim) holding only files fundsim wrote",
        Action::Redraw => "redraws charts only in a fundsim output (manifest.json written by fundsim) holding only files fundsim wrote",
    },
)]
pub struct Refused {
    pub dir: PathBuf,
    pub action: Action,
    pub reason: String,
    pub way_out: String,
}

/// The refusal inside an I/O error from this module, if it is one.
pub fn refusal(e: &io::Error) -> Option<&Refused> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Refused>())
}

fn refuse(dir: &Path, action: Action, reason: String, way_out: String) -> io::Error {
    io::Error::other(Refused { dir: dir.to_path_buf(), action, reason, way_out })
}

/// Names of an output written before manifest.json listed its files.
const STANDARD_FILES: &[&str] = &[
    "manifest.json",
    "paths.csv",
    "summary.csv",
    "risk.csv",
    "timeseries.csv",
    "deals.csv",
    "exits.csv",
    "fiscal.csv",
    "sweep.csv",
    "sensitivity.csv",
    "results.xlsx",
    "report.html",
];

/// Decide whether `dir` may be replaced (`Replace`) or redrawn (`Redraw`);
/// a refusal is an `io::Error` carrying [`Refused`]. Reads only.
pub(crate) fn inspect(dir: &Path, action: Action) -> io::Result<Found> {
    let other_out = match action {
        Action::Replace => "Choose another --out".to_string(),
        Action::Redraw => "Point fundsim plot at a fundsim output directory".to_string(),
    };
    let meta = match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Absent),
        r => r?,
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            dir,
            action,
            "it is a symbolic link".into(),
            format!("{other_out}, or name the directory it points to."),
        ));
    }
    if !meta.is_dir() {
        return Err(refuse(dir, action, "it is not a directory".into(), format!("{other_out}.")));
    }
    if fs::read_dir(dir)?.next().is_none() {
        return Ok(Found::Empty);
    }
    let Some(listed) = read_manifest(&dir.join("manifest.json")) else {
        return Err(refuse(
            dir,
            action,
            "it is not empty and has no manifest.json written by fundsim".into(),
            format!("{other_out}, or move or delete {} yourself.", dir.display()),
        ));
    };
    let mut foreign = Vec::new();
    walk(dir, "", &listed, &mut foreign)?;
    if foreign.is_empty() {
        return Ok(Found::Own);
    }
    let mut names = foreign.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if foreign.len() > SHOWN {
        names.push_str(", ...");
    }
    Err(refuse(
        dir,
        action,
        format!("it is a fundsim output but holds files fundsim did not write ({names})"),
        format!("Move those out of {} first, or {}.", dir.display(), other_out.to_lowercase()),
    ))
}

/// How many foreign files a refusal names.
const SHOWN: usize = 5;

/// `Some(files listed)` (`None`: an older manifest without the list) when
/// `path` is a manifest.json written by fundsim; `None` inside the outer
/// `Option` when it is not.
fn read_manifest(path: &Path) -> Option<Option<Vec<String>>> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 256 << 20 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    let m = v.as_object()?;
    let version = m.get("fundsim_version")?.as_str()?;
    m.get("scenario_sha256")?.as_str()?;
    if version.is_empty() {
        return None;
    }
    Some(
        m.get("files")
            .and_then(|f| f.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()),
    )
}

/// Collect into `foreign` (at most `SHOWN + 1`) the entries of `dir` under
/// `rel` that fundsim did not write.
fn walk(dir: &Path, rel: &str, listed: &Option<Vec<String>>, foreign: &mut Vec<String>) -> io::Result<()> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if foreign.len() > SHOWN {
            return Ok(());
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let ft = e.file_type()?;
        if rel.is_empty() && ft.is_dir() && parse_staging(&name, "charts").is_some_and(|(k, _)| k == "plot") {
            // `fundsim plot`'s own staging; removed by `tidy`.
            continue;
        }
        if ft.is_dir() && own_dir(&path, listed) {
            walk(&e.path(), &path, listed, foreign)?;
        } else if ft.is_file() && own_file(&path, listed) {
        } else {
            foreign.push(if ft.is_dir() { format!("{path}/") } else { path });
        }
    }
    Ok(())
}

fn own_file(path: &str, listed: &Option<Vec<String>>) -> bool {
    if path == "report.html" || path == "manifest.json" {
        return true;
    }
    if let Some(chart) = path.strip_prefix("charts/")
        && !chart.contains('/')
        && (chart.ends_with(".svg") || chart.ends_with(".png"))
    {
        return true;
    }
    match listed {
        Some(files) => files.iter().any(|f| f == path),
        None => {
            STANDARD_FILES.contains(&path)
                || path
                    .strip_prefix("variants/")
                    .and_then(|p| p.split_once('/'))
                    .is_some_and(|(i, f)| digits(i) && (f == "paths.csv" || f == "summary.csv"))
        }
    }
}

fn own_dir(path: &str, listed: &Option<Vec<String>>) -> bool {
    if path == "charts" {
        return true;
    }
    match listed {
        Some(files) => {
            files.iter().any(|f| f.len() > path.len() && f.starts_with(path) && f[path.len()..].starts_with('/'))
        }
        None => path == "variants" || path.strip_prefix("variants/").is_some_and(digits),
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `.<name>.<kind>-<pid>-<n>` -> `(kind, pid)`.
fn parse_staging<'a>(entry: &'a str, name: &str) -> Option<(&'a str, u32)> {
    let rest = entry.strip_prefix('.')?.strip_prefix(name)?.strip_prefix('.')?;
    let (kind, rest) = rest.split_once('-')?;
    let (pid, n) = rest.split_once('-')?;
    if !matches!(kind, "tmp" | "old" | "plot") || !digits(pid) || !digits(n) {
        return None;
    }
    Some((kind, pid.parse().ok()?))
}

/// The directory an output lives in, and its name there.
fn place(out: &Path, action: Action) -> io::Result<(PathBuf, String)> {
    let name = match out.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => {
            return Err(refuse(
                out,
                action,
                "it does not name a directory inside a parent (it is `.`, `..` or a root)".into(),
                "Name the directory by its own name, e.g. ../results.".into(),
            ));
        }
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

// ---- staging registry and signals ----------------------------------------

/// Staging directories of this process, removed on SIGINT/SIGTERM/SIGHUP.
/// Held while a commit swaps directories, so a signal never lands between
/// the renames.
static REGISTRY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn with_registry<R>(f: impl FnOnce(&mut Vec<PathBuf>) -> R) -> R {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// On SIGINT, SIGTERM and SIGHUP: remove this process's staging
/// directories, then exit with status 1. Signals that were ignored when
/// fundsim started (`nohup`, a background job) stay ignored. Idempotent.
pub(crate) fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        signals::install();
    });
}

#[cfg(unix)]
mod signals {
    use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    pub(crate) fn install() {
        let ignored = ignored();
        let wanted: Vec<i32> =
            [SIGINT, SIGTERM, SIGHUP].into_iter().filter(|&s| ignored & (1u64 << (s - 1)) == 0).collect();
        if wanted.is_empty() {
            return;
        }
        let Ok(mut signals) = Signals::new(&wanted) else { return };
        let _ = std::thread::Builder::new().name("fundsim-signals".into()).spawn(move || {
            if let Some(sig) = signals.forever().next() {
                super::on_signal(match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                });
            }
        });
    }

    /// Signals ignored on entry (Linux: `SigIgn` of /proc/self/status;
    /// elsewhere none are assumed).
    fn ignored() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| l.strip_prefix("SigIgn:")).and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
            })
            .unwrap_or(0)
    }
}

#[cfg(unix)]
fn on_signal(name: &str) -> ! {
    with_registry(|reg| {
        let mut removed = Vec::new();
        for p in reg.iter() {
            // A writer thread may still be adding files: try a few times.
            for _ in 0..5 {
                let _ = fs::remove_dir_all(p);
                if fs::symlink_metadata(p).is_err() {
                    break;
                }
            }
            removed.push(p.display().to_string());
        }
        if removed.is_empty() {
            eprintln!("fundsim: interrupted by {name}; exiting with status 1");
        } else {
            eprintln!(
                "fundsim: interrupted by {name}; removed unfinished output {}; exiting with status 1",
                removed.join(", ")
            );
        }
        std::process::exit(1)
    })
}

// ---- lock, stale staging ---------------------------------------------------

/// An exclusive advisory lock on an output's parent directory; released
/// when dropped (or when the process ends, however it ends).
struct Lock(Option<fs::File>);

fn lock(parent: &Path, out: &Path) -> io::Result<Lock> {
    fs::create_dir_all(parent)?;
    // Directories open read-only on Unix; elsewhere (Windows) this fails
    // and fundsim goes on without the lock.
    let Ok(file) = fs::File::open(parent) else { return Ok(Lock(None)) };
    match file.try_lock() {
        Ok(()) => Ok(Lock(Some(file))),
        Err(fs::TryLockError::WouldBlock) => {
            eprintln!(
                "fundsim: waiting for another fundsim process writing in {} to finish before changing {}",
                parent.display(),
                out.display()
            );
            file.lock()?;
            Ok(Lock(Some(file)))
        }
        // A filesystem without locks: go on without.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(Lock(None)),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// Whether the staging directory `path`, named with `pid`, was left by a
/// process that is gone (or by this one, unregistered: a reused pid).
fn stale(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return with_registry(|reg| !reg.iter().any(|p| p == path));
    }
    !alive(pid)
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Some(p) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return false };
    match rustix::process::test_kill_process(p) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    // No portable check: never remove another process's staging.
    true
}

/// Under the lock: put back an output stranded mid-commit by a dead
/// process, and remove dead processes' staging, beside `out` and (that of
/// `fundsim plot`) inside it.
fn tidy(parent: &Path, name: &str, out: &Path) {
    let mut olds = Vec::new();
    for (path, kind) in stale_entries(parent, name) {
        match kind.as_str() {
            "old" => olds.push(path),
            _ => remove(&path),
        }
    }
    olds.sort();
    for old in olds {
        if fs::symlink_metadata(out).is_err() && fs::rename(&old, out).is_ok() {
            eprintln!(
                "fundsim: put back {} from {}, where a run killed while replacing it had left it",
                out.display(),
                old.display()
            );
        } else {
            remove(&old);
        }
    }
    if fs::symlink_metadata(out).is_ok_and(|m| m.is_dir()) {
        for (path, _) in stale_entries(out, "charts") {
            let charts = out.join("charts");
            let saved = path.join(OLD_CHARTS);
            if fs::symlink_metadata(&charts).is_err() && saved.is_dir() {
                let _ = fs::rename(&saved, &charts);
            }
            remove(&path);
        }
    }
}

fn stale_entries(dir: &Path, name: &str) -> Vec<(PathBuf, String)> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let (kind, pid) = parse_staging(&file, name)?;
            let path = dir.join(&file);
            (e.file_type().ok()?.is_dir() && stale(pid, &path)).then(|| (path, kind.to_string()))
        })
        .collect()
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_dir_all(path) {
        eprintln!("fundsim: warning: cannot remove {}: {e}", path.display());
    }
}

/// Create a fresh directory `.<name>.<kind>-<pid>-<n>` in `dir` and
/// register it for removal on a signal.
fn create_registered(dir: &Path, name: &str, kind: &str) -> io::Result<PathBuf> {
    with_registry(|reg| {
        for i in 0..1000 {
            let p = dir.join(format!(".{name}.{kind}-{}-{i}", std::process::id()));
            match fs::create_dir(&p) {
                Ok(()) => {
                    reg.push(p.clone());
                    return Ok(p);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("cannot find a free name for a staging directory"))
    })
}

/// A free name `.<name>.<kind>-<pid>-<n>` in `dir` (not created).
fn free_name(dir: &Path, name: &str, kind: &str) -> io::Result<PathBuf> {
    (0..1000)
        .map(|i| dir.join(format!(".{name}.{kind}-{}-{i}", std::process::id())))
        .find(|p| fs::symlink_metadata(p).is_err())
        .ok_or_else(|| io::Error::other("cannot find a free name for the earlier output"))
}

// ---- renames ----------------------------------------------------------------

/// Swap the directories `a` and `b` in one step. `Unsupported` where the
/// platform or filesystem cannot.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => Ok(()),
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP || e == Errno::OPNOTSUPP => {
                Err(io::Error::new(io::ErrorKind::Unsupported, e))
            }
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (a, b);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Rename `from` to `to`, failing if `to` has appeared meanwhile (where the
/// filesystem can tell).
fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP || e == Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
    }
    fs::rename(from, to)
}

/// Put directory `new` at `dst`, where a directory stands; returns where
/// the old one went (to be removed). With the exchange that is `new`'s
/// path; without, `dst` is first renamed to `old` and the old one stays
/// complete there if the process dies between the renames.
fn replace(new: &Path, dst: &Path, old: impl FnOnce() -> io::Result<PathBuf>) -> io::Result<PathBuf> {
    replace_by(exchange, new, dst, old)
}

fn replace_by(
    exchange: impl FnOnce(&Path, &Path) -> io::Result<()>,
    new: &Path,
    dst: &Path,
    old: impl FnOnce() -> io::Result<PathBuf>,
) -> io::Result<PathBuf> {
    match exchange(new, dst) {
        Ok(()) => Ok(new.to_path_buf()),
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let old = old()?;
            fs::rename(dst, &old)?;
            if let Err(e) = fs::rename(new, dst) {
                let _ = fs::rename(&old, dst);
                return Err(e);
            }
            Ok(old)
        }
        Err(e) => Err(e),
    }
}

// ---- fundsim run -------------------------------------------------------------

/// A staging directory beside the output directory: files are written
/// into `dir()`, and `commit` puts it in place of the output; dropped
/// without a commit, it is removed and the output is untouched.
pub(crate) struct Staging {
    tmp: PathBuf,
    out: PathBuf,
    parent: PathBuf,
    name: String,
    committed: bool,
}

impl Staging {
    /// Check that `out` may be replaced (refusing before anything is
    /// written), then create the staging directory.
    pub(crate) fn new(out: &Path) -> io::Result<Staging> {
        install_signal_handlers();
        let (parent, name) = place(out, Action::Replace)?;
        inspect(out, Action::Replace)?;
        let _lock = lock(&parent, out)?;
        tidy(&parent, &name, out);
        inspect(out, Action::Replace)?;
        let tmp = create_registered(&parent, &name, "tmp")?;
        Ok(Staging { tmp, out: out.to_path_buf(), parent, name, committed: false })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.tmp
    }

    /// Record the files written in manifest.json, check `out` again under
    /// the lock, and swap the staging directory in.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        record_files(&self.tmp)?;
        let _lock = lock(&self.parent, &self.out)?;
        tidy(&self.parent, &self.name, &self.out);
        let found = inspect(&self.out, Action::Replace)?;
        with_registry(|reg| {
            if found == Found::Absent {
                rename_new(&self.tmp, &self.out)?;
                self.committed = true;
                reg.retain(|p| p != &self.tmp);
                return Ok(());
            }
            let old = replace(&self.tmp, &self.out, || free_name(&self.parent, &self.name, "old"))?;
            self.committed = true;
            // The earlier output: removed now, or by a signal, or (after
            // SIGKILL) by the next run's `tidy`.
            reg.retain(|p| p != &self.tmp);
            reg.push(old.clone());
            remove(&old);
            reg.retain(|p| p != &old);
            Ok(())
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            with_registry(|reg| {
                let _ = fs::remove_dir_all(&self.tmp);
                reg.retain(|p| p != &self.tmp);
            });
        }
    }
}

/// manifest.json with the list of files fundsim wrote (`files`).
#[derive(serde::Serialize)]
struct Recorded<'a> {
    #[serde(flatten)]
    manifest: &'a Manifest,
    files: Vec<String>,
}

/// Add to `dir/manifest.json` the list of every file in `dir`.
fn record_files(dir: &Path) -> io::Result<()> {
    let path = dir.join("manifest.json");
    let manifest: Manifest = serde_json::from_slice(&fs::read(&path)?).map_err(io::Error::other)?;
    let mut files = Vec::new();
    list_files(dir, "", &mut files)?;
    files.sort();
    let text = serde_json::to_string_pretty(&Recorded { manifest: &manifest, files }).map_err(io::Error::other)?;
    fs::write(&path, text + "\n")
}

fn list_files(dir: &Path, rel: &str, files: &mut Vec<String>) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        if e.file_type()?.is_dir() {
            list_files(&e.path(), &path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

// ---- fundsim plot ------------------------------------------------------------

/// Where `fundsim plot` keeps the charts it replaces, inside its staging,
/// when there is no exchange rename.
const OLD_CHARTS: &str = "charts-old";

/// `fundsim plot`: holds the lock from the check to the swap; new charts
/// and report are drawn into `dir()` (inside the output, so the renames
/// stay on one filesystem), then `finish` puts them in place.
pub(crate) struct Redraw {
    out: PathBuf,
    tmp: PathBuf,
    _lock: Lock,
}

impl Redraw {
    /// `Ok(None)`: `out` is empty or absent, nothing to redraw.
    pub(crate) fn begin(out: &Path) -> io::Result<Option<Redraw>> {
        install_signal_handlers();
        let (parent, name) = place(out, Action::Redraw)?;
        if inspect(out, Action::Redraw)? != Found::Own {
            return Ok(None);
        }
        let lock = lock(&parent, out)?;
        tidy(&parent, &name, out);
        if inspect(out, Action::Redraw)? != Found::Own {
            return Ok(None);
        }
        let tmp = create_registered(out, "charts", "plot")?;
        Ok(Some(Redraw { out: out.to_path_buf(), tmp, _lock: lock }))
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.tmp
    }

    /// Put the new `charts/` and `report.html` in place, each in one
    /// atomic step where the filesystem allows.
    pub(crate) fn finish(self) -> io::Result<()> {
        with_registry(|_| {
            let new = self.tmp.join("charts");
            let dst = self.out.join("charts");
            if new.is_dir() {
                if fs::symlink_metadata(&dst).is_ok_and(|m| m.is_dir()) {
                    replace(&new, &dst, || Ok(self.tmp.join(OLD_CHARTS)))?;
                } else {
                    rename_new(&new, &dst)?;
                }
            }
            let report = self.tmp.join("report.html");
            if report.is_file() {
                // A file: rename replaces it atomically.
                fs::rename(&report, self.out.join("report.html"))?;
            }
            Ok(())
        })
    }
}

impl Drop for Redraw {
    fn drop(&mut self) {
        with_registry(|reg| {
            let _ = fs::remove_dir_all(&self.tmp);
            reg.retain(|p| p != &self.tmp);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_parse_strictly() {
        assert_eq!(parse_staging(".out.tmp-12-0", "out"), Some(("tmp", 12)));
        assert_eq!(parse_staging(".out.old-7-3", "out"), Some(("old", 7)));
        assert_eq!(parse_staging(".charts.plot-7-0", "charts"), Some(("plot", 7)));
        assert_eq!(parse_staging(".out.tmp-5.tmp-7-0", "out"), None);
        assert_eq!(parse_staging(".out.tmp-12-0", "ou"), None);
        assert_eq!(parse_staging(".out.new-12-0", "out"), None);
        assert_eq!(parse_staging(".out.tmp-12-", "out"), None);
        assert_eq!(parse_staging("out.tmp-12-0", "out"), None);
    }

    #[test]
    fn both_ways_of_replacing_put_new_in_place_and_keep_old_whole() {
        let no_exchange = |_: &Path, _: &Path| Err(io::ErrorKind::Unsupported.into());
        for fallback in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let (new, dst, aside) = (tmp.path().join("new"), tmp.path().join("dst"), tmp.path().join("aside"));
            for (d, text) in [(&new, "new"), (&dst, "old")] {
                fs::create_dir(d).unwrap();
                fs::write(d.join("f"), text).unwrap();
            }
            let old = if fallback {
                replace_by(no_exchange, &new, &dst, || Ok(aside.clone())).unwrap()
            } else {
                replace(&new, &dst, || Ok(aside.clone())).unwrap()
            };
            assert_eq!(old, if fallback { aside.clone() } else { new.clone() });
            assert_eq!(fs::read_to_string(dst.join("f")).unwrap(), "new");
            assert_eq!(fs::read_to_string(old.join("f")).unwrap(), "old");
        }
    }

    #[test]
    fn older_outputs_own_the_standard_names_only() {
        let legacy = None;
        for f in ["summary.csv", "manifest.json", "variants/3/paths.csv", "charts/a.svg", "report.html"] {
            assert!(own_file(f, &legacy), "{f}");
        }
        for f in ["notes.txt", "variants/x/paths.csv", "variants/3/notes.txt", "charts/a.txt", "charts/x/a.svg"] {
            assert!(!own_file(f, &legacy), "{f}");
        }
        let listed = Some(vec!["a.csv".to_string(), "sub/b.csv".to_string()]);
        assert!(own_file("a.csv", &listed) && own_file("sub/b.csv", &listed) && own_dir("sub", &listed));
        assert!(!own_file("summary.csv", &listed) && !own_dir("su", &listed) && !own_dir("variants", &listed));
    }
}
