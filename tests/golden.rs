//! Golden values: every shipped scenario (`scenarios/*.toml`), run at
//! 300 paths, must reproduce `tests/golden/<scenario stem>/summary.csv`,
//! `deals.csv`, `exits.csv`, `risk.csv`, `fiscal.csv` (and `sweep.csv`,
//! `sensitivity.csv` and `budget.csv` where the scenario has them) cell for cell, as exact strings (full precision: the
//! CSV writer prints the shortest text that reads back to the same `f64`).
//! Any change to the model, the random streams, the statistics or the
//! writers that moves one number fails here, with the cells that moved.
//!
//! Rows are matched by their identity (`vehicle, metric` in summary.csv;
//! `vehicle, kind, label` in deals.csv) and cells by column name, so a new
//! column or row is reported as such and needs only a regeneration.
//! Missing or extra rows and columns, duplicate rows and a changed row or
//! column order fail too.
//!
//! # Regenerating (the switch)
//!
//! ```sh
//! FUNDSIM_BLESS=1 cargo test --release --test golden -- --nocapture
//! ```
//!
//! rewrites the golden files from the current code instead of comparing
//! (the test then passes and prints, per file, how many cells changed).
//! Regenerate only on purpose: a commit that moves any golden number must
//! carry the regenerated files and say in its message why the numbers
//! moved. See `docs/TESTING.md`.
//!
//! Results do not depend on the thread count (see `reproducibility.rs`),
//! so the runs use all cores.

mod common;
use common::*;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Paths per scenario: small enough for a few seconds in all, large enough
/// that every metric and deal bucket is exercised.
const PATHS: &str = "300";

/// The environment variable that rewrites the golden files.
const BLESS_VAR: &str = "FUNDSIM_BLESS";

/// Compared files and the columns that identify a row in each. The first
/// five every run writes; `sweep.csv` and `sensitivity.csv` only a
/// scenario with `[[sweep]]` or `[sensitivity]`, and then its golden
/// directory must have them too.
const FILES: [(&str, &[&str]); 8] = [
    ("summary.csv", &["vehicle", "metric"]),
    ("deals.csv", &["vehicle", "kind", "label"]),
    ("exits.csv", &["vehicle", "route"]),
    ("risk.csv", &["vehicle", "metric"]),
    ("fiscal.csv", &["vehicle"]),
    ("sweep.csv", &["variant", "vehicle", "metric"]),
    ("sensitivity.csv", &["lever"]),
    ("budget.csv", &["vehicle", "year"]),
];

/// Files a run writes only for some scenarios (`budget.csv` where some
/// vehicle has a fiscal cost).
const OPTIONAL: [&str; 3] = ["sweep.csv", "sensitivity.csv", "budget.csv"];

/// Differences listed in full in a failure message; the rest are counted.
const SHOWN: usize = 20;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden_root() -> PathBuf {
    root().join("tests").join("golden")
}

fn blessing() -> bool {
    std::env::var(BLESS_VAR).is_ok_and(|v| v == "1")
}

/// The shipped scenarios, sorted by file stem.
fn shipped() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no scenarios/*.toml");
    v
}

/// Run a scenario at `PATHS` paths into `out`, CSVs only.
fn run_scenario(file: &Path, out: &Path) {
    let o = bin()
        .args(["run", file.to_str().unwrap(), "--paths", PATHS, "--no-charts", "--quiet", "--out"])
        .arg(out)
        .output()
        .expect("run fundsim");
    assert_eq!(o.status.code(), Some(0), "{}: {}", file.display(), stderr(&o));
}

/// A CSV as its header and rows; `None` if the file does not exist.
fn load(p: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    p.exists().then(|| csv(p))
}

/// Every difference between a golden CSV and a new one, one line each.
/// `name` is `<scenario>/<file>`, `key` the identifying columns.
fn diff(
    name: &str,
    key: &[&str],
    (g_head, g_rows): &(Vec<String>, Vec<Vec<String>>),
    (n_head, n_rows): &(Vec<String>, Vec<Vec<String>>),
) -> Vec<String> {
    let mut out = Vec::new();
    let key_idx = |head: &[String], which: &str| -> Vec<usize> {
        key.iter()
            .map(|k| head.iter().position(|h| h == k).unwrap_or_else(|| panic!("{name} ({which}): no key column {k}")))
            .collect()
    };
    let (g_key, n_key) = (key_idx(g_head, "golden"), key_idx(n_head, "new"));
    let row_key = |row: &[String], idx: &[usize]| -> String {
        idx.iter().map(|&i| row[i].as_str()).collect::<Vec<_>>().join(", ")
    };

    // Columns: by name.
    let g_cols: HashSet<&String> = g_head.iter().collect();
    let n_cols: HashSet<&String> = n_head.iter().collect();
    for c in g_head.iter().filter(|c| !n_cols.contains(c)) {
        out.push(format!("{name}: column {c} missing (in golden, not in new output)"));
    }
    for c in n_head.iter().filter(|c| !g_cols.contains(c)) {
        out.push(format!("{name}: column {c} is new (not in golden)"));
    }
    let common: Vec<&String> = g_head.iter().filter(|c| n_cols.contains(c)).collect();
    let n_common: Vec<&String> = n_head.iter().filter(|c| g_cols.contains(c)).collect();
    if common != n_common {
        out.push(format!("{name}: column order changed: golden {common:?}, new {n_common:?}"));
    }

    // Rows: by key.
    let index = |head: &[String], rows: &[Vec<String>], idx: &[usize], which: &str, out: &mut Vec<String>| {
        let mut m: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut order = Vec::new();
        for r in rows {
            let k = row_key(r, idx);
            let cells = head.iter().cloned().zip(r.iter().cloned()).collect();
            if m.insert(k.clone(), cells).is_some() {
                out.push(format!("{name}: row ({k}) appears twice in the {which} file"));
            }
            order.push(k);
        }
        (m, order)
    };
    let (g_map, g_order) = index(g_head, g_rows, &g_key, "golden", &mut out);
    let (n_map, n_order) = index(n_head, n_rows, &n_key, "new", &mut out);
    for k in g_order.iter().filter(|k| !n_map.contains_key(*k)) {
        out.push(format!("{name}: row ({k}) missing (in golden, not in new output)"));
    }
    for k in n_order.iter().filter(|k| !g_map.contains_key(*k)) {
        out.push(format!("{name}: row ({k}) is new (not in golden)"));
    }
    let g_kept: Vec<&String> = g_order.iter().filter(|k| n_map.contains_key(*k)).collect();
    let n_kept: Vec<&String> = n_order.iter().filter(|k| g_map.contains_key(*k)).collect();
    if g_kept != n_kept {
        out.push(format!("{name}: row order changed"));
    }

    // Cells: every common row and column, exact strings.
    for k in &g_kept {
        let (g, n) = (&g_map[*k], &n_map[*k]);
        for c in &common {
            let (gv, nv) = (&g[*c], &n[*c]);
            if gv != nv {
                out.push(format!("{name}: row ({k}) column {c}: golden {gv:?}, new {nv:?}"));
            }
        }
    }
    out
}

/// A failure message: the first `SHOWN` differences, the count, and how to
/// regenerate.
fn report(diffs: &[String]) -> String {
    let mut m = format!("golden values differ: {} difference(s)\n", diffs.len());
    for d in diffs.iter().take(SHOWN) {
        let _ = writeln!(m, "  {d}");
    }
    if diffs.len() > SHOWN {
        let _ = writeln!(m, "  ... and {} more", diffs.len() - SHOWN);
    }
    let _ = write!(
        m,
        "If the change is intended, regenerate with\n  {BLESS_VAR}=1 cargo test --release --test golden -- --nocapture\n\
         and commit tests/golden/ with the change, saying in the message why the numbers moved (docs/TESTING.md)."
    );
    m
}

#[test]
fn shipped_scenarios_reproduce_their_golden_values() {
    let bless = blessing();
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = shipped();
    let mut diffs = Vec::new();
    for (stem, file) in &scenarios {
        let out = tmp.path().join(stem);
        run_scenario(file, &out);
        let gdir = golden_root().join(stem);
        for (f, key) in FILES {
            let (new_path, gold_path) = (out.join(f), gdir.join(f));
            let name = format!("{stem}/{f}");
            if OPTIONAL.contains(&f) && !new_path.exists() {
                if gold_path.exists() {
                    diffs.push(format!("{name}: the run wrote no {f}, the golden directory has one"));
                }
                continue;
            }
            let new = load(&new_path).unwrap_or_else(|| panic!("{name}: the run wrote no {f}"));
            let old = load(&gold_path);
            let d = match &old {
                Some(old) => diff(&name, key, old, &new),
                None => vec![format!("{name}: no golden file {}", gold_path.display())],
            };
            if bless {
                std::fs::create_dir_all(&gdir).unwrap();
                std::fs::copy(&new_path, &gold_path).unwrap();
                let what = match (&old, d.len()) {
                    (None, _) => "created".to_string(),
                    (Some(_), 0) => "unchanged".to_string(),
                    (Some(_), n) => format!("rewritten, {n} difference(s)"),
                };
                println!("{BLESS_VAR}: tests/golden/{name} ({} rows): {what}", new.1.len());
                if old.is_some() {
                    for line in d.iter().take(SHOWN) {
                        println!("    {line}");
                    }
                }
            } else {
                diffs.extend(d);
            }
        }
    }
    // Golden directories of scenarios that no longer ship.
    let stems: HashSet<&str> = scenarios.iter().map(|(s, _)| s.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(golden_root()) {
        for e in entries {
            let p = e.unwrap().path();
            let stem = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() && !stems.contains(stem.as_str()) {
                if bless {
                    std::fs::remove_dir_all(&p).unwrap();
                    println!("{BLESS_VAR}: removed tests/golden/{stem} (no scenarios/{stem}.toml)");
                } else {
                    diffs.push(format!("tests/golden/{stem}: no scenarios/{stem}.toml ships any more"));
                }
            }
        }
    }
    assert!(diffs.is_empty(), "{}", report(&diffs));
}

// The comparison itself, on hand-made tables.

fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
    let head = lines.next().unwrap();
    (head, lines.collect())
}

const KEY: &[&str] = &["vehicle", "metric"];

#[test]
fn diff_names_each_moved_cell_with_both_values() {
    let g = table("vehicle,metric,mean,p50\nfund,tvpi,1.5,1.25\nfund,irr,0.1,0.08");
    let n = table("vehicle,metric,mean,p50\nfund,tvpi,1.5,1.2500000000000002\nfund,irr,0.1,0.08");
    assert_eq!(diff("s/summary.csv", KEY, &g, &g), Vec::<String>::new());
    assert_eq!(
        diff("s/summary.csv", KEY, &g, &n),
        vec![r#"s/summary.csv: row (fund, tvpi) column p50: golden "1.25", new "1.2500000000000002""#]
    );
}

#[test]
fn diff_reports_new_columns_and_missing_or_extra_rows() {
    let g = table("vehicle,metric,mean\nfund,tvpi,1.5\nfund,irr,0.1");
    // A new `unit` column after `metric`: reported, the other cells still compared.
    let n = table("vehicle,metric,unit,mean\nfund,tvpi,x,1.5\nfund,dpi,x,1.0");
    let d = diff("s/summary.csv", KEY, &g, &n);
    assert_eq!(
        d,
        vec![
            "s/summary.csv: column unit is new (not in golden)",
            "s/summary.csv: row (fund, irr) missing (in golden, not in new output)",
            "s/summary.csv: row (fund, dpi) is new (not in golden)",
        ]
    );
    let d = diff("s/summary.csv", KEY, &n, &g);
    assert!(d.contains(&"s/summary.csv: column unit missing (in golden, not in new output)".to_string()), "{d:?}");
}

#[test]
fn diff_reports_order_changes_and_duplicates() {
    let g = table("vehicle,metric,mean,sd\nfund,tvpi,1.5,1\nfund,irr,0.1,2");
    let rows_swapped = table("vehicle,metric,mean,sd\nfund,irr,0.1,2\nfund,tvpi,1.5,1");
    assert_eq!(diff("s", KEY, &g, &rows_swapped), vec!["s: row order changed"]);
    let cols_swapped = table("vehicle,metric,sd,mean\nfund,tvpi,1,1.5\nfund,irr,2,0.1");
    let d = diff("s", KEY, &g, &cols_swapped);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("s: column order changed"), "{d:?}");
    let dup = table("vehicle,metric,mean,sd\nfund,tvpi,1.5,1\nfund,tvpi,1.5,1\nfund,irr,0.1,2");
    assert!(diff("s", KEY, &g, &dup).contains(&"s: row (fund, tvpi) appears twice in the new file".to_string()));
}

#[test]
fn failure_message_lists_twenty_counts_the_rest_and_says_how_to_regenerate() {
    let diffs: Vec<String> = (0..25).map(|i| format!("difference {i}")).collect();
    let m = report(&diffs);
    assert!(m.starts_with("golden values differ: 25 difference(s)\n"), "{m}");
    assert!(m.contains("  difference 19\n") && !m.contains("difference 20\n"), "{m}");
    assert!(m.contains("... and 5 more"), "{m}");
    assert!(m.contains("FUNDSIM_BLESS=1 cargo test --release --test golden"), "{m}");
}
