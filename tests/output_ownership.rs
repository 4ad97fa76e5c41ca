//! Output ownership (issue 20): `--out` and `fundsim plot` change only a
//! directory that is empty or wholly fundsim's output; the replacement is
//! atomic, serialised by a lock, and cleaned up after signals and crashes.
//! Every child process runs under a deadline.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/venture_fund.toml");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");

struct Ran {
    code: Option<i32>,
    stderr: String,
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fundsim"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fundsim")
}

/// Wait for `child`, killing it (and failing the test) after `secs`.
fn finish(mut child: Child, secs: u64) -> Ran {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut stderr).unwrap();
            }
            return Ran { code: status.code(), stderr };
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fundsim did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fundsim(dir: &Path, args: &[&str]) -> Ran {
    finish(spawn(dir, args), 120)
}

/// A quick run of venture_fund.toml into `out` (relative to `dir`).
fn run(dir: &Path, out: &str, seed: &str) -> Ran {
    fundsim(dir, &["run", SCENARIO, "--paths", "100", "--no-charts", "--quiet", "--seed", seed, "--out", out])
}

/// Every file and folder under `dir`, with the files' bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(dir: &Path, rel: &str, into: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = format!("{rel}{}", e.file_name().to_string_lossy());
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                into.insert(format!("{name} -> {}", target.display()), None);
            } else if ft.is_dir() {
                into.insert(format!("{name}/"), None);
                walk(&e.path(), &format!("{name}/"), into);
            } else {
                into.insert(name, Some(std::fs::read(e.path()).unwrap()));
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, "", &mut m);
    m
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// A complete output: manifest.json lists its files, and they are all there.
fn assert_complete(out: &Path) {
    let m = manifest(out);
    let files: Vec<&str> = m["files"].as_array().expect("files listed").iter().map(|f| f.as_str().unwrap()).collect();
    for f in ["manifest.json", "summary.csv", "paths.csv", "risk.csv", "timeseries.csv", "deals.csv", "fiscal.csv"] {
        assert!(files.contains(&f), "{f} not listed: {files:?}");
    }
    for f in &files {
        assert!(out.join(f).is_file(), "{f} listed but missing");
    }
    let on_disk: Vec<String> = snapshot(out).into_keys().filter(|k| !k.ends_with('/')).collect();
    assert_eq!(on_disk, files, "exactly the listed files");
}

/// The pid of a process that has ended.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_folder_that_is_not_a_fundsim_output_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("notes.txt"), "x\n").unwrap();
    std::fs::write(d.join("sub").join("more.txt"), "y\n").unwrap();
    let before = snapshot(tmp.path());
    let r = run(tmp.path(), "d", "1");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("refusing to replace d"), "{}", r.stderr);
    assert!(r.stderr.contains("manifest.json") && r.stderr.contains("nothing in d was touched"), "{}", r.stderr);
    assert!(r.stderr.contains("Choose another --out"), "{}", r.stderr);
    // Nothing written anywhere: not in d, not beside it.
    assert_eq!(snapshot(tmp.path()), before);

    // A copy of scenarios/: every scenario survives.
    let copy = tmp.path().join("scenarios");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(SCENARIOS).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let before = snapshot(tmp.path());
    let r = run(tmp.path(), "scenarios", "1");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(snapshot(tmp.path()), before);

    // A manifest.json that fundsim did not write (a browser extension's,
    // say) does not make a folder fundsim's, for run nor for plot.
    std::fs::write(d.join("manifest.json"), r#"{"name": "ext", "manifest_version": 3}"#).unwrap();
    std::fs::write(d.join("summary.csv"), "a,b\n").unwrap();
    let before = snapshot(tmp.path());
    let r = run(tmp.path(), "d", "1");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let p = fundsim(tmp.path(), &["plot", "d"]);
    assert_eq!(p.code, Some(2), "{}", p.stderr);
    assert!(p.stderr.contains("refusing to redraw the charts of d"), "{}", p.stderr);
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn a_symbolic_link_and_a_file_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        let r = run(tmp.path(), "link", "1");
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    }
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    let before = snapshot(tmp.path());
    assert_eq!(run(tmp.path(), "file", "1").code, Some(2));
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn an_empty_folder_is_used_and_an_earlier_output_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("out")).unwrap();
    let r = run(tmp.path(), "out", "1");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = tmp.path().join("out");
    assert_complete(&out);
    assert_eq!(manifest(&out)["seed"], 1);

    let r = run(tmp.path(), "out", "2");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_complete(&out);
    assert_eq!(manifest(&out)["seed"], 2);
    // No staging, no earlier output, no lock file left beside it.
    assert_eq!(names(tmp.path()), ["out"]);

    // An output written before manifests listed their files is fundsim's too.
    let mut m = manifest(&out);
    m.as_object_mut().unwrap().remove("files");
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let r = run(tmp.path(), "out", "3");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(manifest(&out)["seed"], 3);

    // Charts drawn by `fundsim plot` belong to the output as well.
    let p = fundsim(tmp.path(), &["plot", "out"]);
    assert_eq!(p.code, Some(0), "{}", p.stderr);
    assert!(out.join("report.html").is_file());
    let r = run(tmp.path(), "out", "4");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_complete(&out);
    assert_eq!(names(tmp.path()), ["out"]);
}

#[test]
fn a_user_file_inside_an_earlier_output_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(run(tmp.path(), "out", "1").code, Some(0));
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    std::fs::create_dir(out.join("analysis")).unwrap();
    let before = snapshot(tmp.path());
    let r = run(tmp.path(), "out", "2");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("analysis/, notes.txt"), "{}", r.stderr);
    assert!(r.stderr.contains("Move those out of out first"), "{}", r.stderr);
    assert_eq!(snapshot(tmp.path()), before);
    // `fundsim plot` refuses it too.
    let p = fundsim(tmp.path(), &["plot", "out"]);
    assert_eq!(p.code, Some(2), "{}", p.stderr);
    assert_eq!(snapshot(tmp.path()), before);
    // Moved out, the output is replaced again.
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    std::fs::remove_dir(out.join("analysis")).unwrap();
    assert_eq!(run(tmp.path(), "out", "2").code, Some(0));
    assert_complete(&out);
}

/// A long run into an earlier output, stopped by `signal` once its
/// staging directory exists: exit status 1, no debris, the earlier output
/// byte-identical.
#[cfg(unix)]
fn interrupted(signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(run(tmp.path(), "out", "1").code, Some(0));
    let before = snapshot(tmp.path());
    let args = ["run", SCENARIO, "--paths", "5000000", "--no-paths", "--no-charts", "--quiet", "--out", "out"];
    // fundsim leaves a signal ignored if it was ignored when it started (a
    // background job's SIGINT, nohup's SIGHUP); when this test itself runs
    // with the signal ignored, start fundsim with it reset (GNU env).
    let child = if ignored_here(signal) {
        Command::new("env")
            .arg(format!("--default-signal={signal}"))
            .arg(env!("CARGO_BIN_EXE_fundsim"))
            .args(args)
            .current_dir(tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start env fundsim")
    } else {
        spawn(tmp.path(), &args)
    };
    let staging = format!(".out.tmp-{}-0", child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tmp.path().join(&staging).exists() {
        assert!(Instant::now() < deadline, "no staging directory {staging} appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));
    let k = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().unwrap();
    assert!(k.success());
    let r = finish(child, 60);
    assert_eq!(r.code, Some(1), "{signal}: {}", r.stderr);
    assert!(r.stderr.contains(&format!("interrupted by SIG{signal}")), "{}", r.stderr);
    assert_eq!(snapshot(tmp.path()), before, "{signal}: debris or a changed output");
}

/// Whether this process ignores `signal` (Linux: /proc/self/status).
#[cfg(unix)]
fn ignored_here(signal: &str) -> bool {
    let number = match signal {
        "HUP" => 1,
        "INT" => 2,
        _ => 15,
    };
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("SigIgn:")).map(|h| h.trim().to_string()))
        .and_then(|h| u64::from_str_radix(&h, 16).ok())
        .is_some_and(|mask| mask & (1 << (number - 1)) != 0)
}

#[cfg(unix)]
#[test]
fn sigint_mid_run_leaves_the_earlier_output_and_no_debris() {
    interrupted("INT");
}

#[cfg(unix)]
#[test]
fn sigterm_mid_run_leaves_the_earlier_output_and_no_debris() {
    interrupted("TERM");
}

#[cfg(unix)]
#[test]
fn sighup_mid_run_leaves_the_earlier_output_and_no_debris() {
    interrupted("HUP");
}

#[test]
fn staging_left_by_a_dead_process_is_removed_and_a_stranded_output_put_back() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(run(tmp.path(), "out", "1").code, Some(0));
    let pid = dead_pid();
    let stale = tmp.path().join(format!(".out.tmp-{pid}-0"));
    std::fs::create_dir_all(stale.join("variants")).unwrap();
    std::fs::write(stale.join("paths.csv"), "half").unwrap();
    let r = run(tmp.path(), "out", "2");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(names(tmp.path()), ["out"]);

    // Killed between the two renames of the fallback commit: no `out`,
    // the earlier output under `.out.old-<pid>-0`. The next run puts it
    // back before it looks at it (here it holds a user file, so the run is
    // then refused, and the output is there, unchanged).
    let out = tmp.path().join("out");
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    let stranded = tmp.path().join(format!(".out.old-{pid}-0"));
    std::fs::rename(&out, &stranded).unwrap();
    let before = snapshot(&stranded);
    let r = run(tmp.path(), "out", "3");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("put back"), "{}", r.stderr);
    assert_eq!(names(tmp.path()), ["out"]);
    assert_eq!(snapshot(&out), before);
}

#[test]
fn concurrent_runs_to_one_folder_all_succeed_and_leave_one_complete_output() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(run(tmp.path(), "out", "1").code, Some(0));
    let seeds = ["11", "12", "13"];
    let children: Vec<Child> = seeds
        .iter()
        .map(|s| spawn(tmp.path(), &["run", SCENARIO, "--paths", "20000", "--quiet", "--seed", s, "--out", "out"]))
        .collect();
    for c in children {
        let r = finish(c, 300);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    let out = tmp.path().join("out");
    assert_complete(&out);
    let seed = manifest(&out)["seed"].to_string();
    assert!(seeds.contains(&seed.as_str()), "{seed}");
    assert_eq!(names(tmp.path()), ["out"]);
}
