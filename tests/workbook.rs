//! `results.xlsx`: read back with an independent reader (calamine), every
//! sheet holds its CSV cell for cell, with the unit in each header.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{csv, fundsim, stderr};

/// Run the headline package (a sweep, a sensitivity table, a fiscal view)
/// quickly, without charts.
fn run_package(dir: &Path) -> std::path::PathBuf {
    let scn = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen_policy_package.toml");
    let o = fundsim(dir, &["run", scn.to_str().unwrap(), "--paths", "60", "--out", "pkg", "--no-charts", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir.join("pkg")
}

fn cell_text(d: &Data) -> Option<String> {
    match d {
        Data::Empty => None,
        Data::String(s) => Some(s.clone()),
        Data::Float(f) => Some(format!("{f}")),
        Data::Int(i) => Some(format!("{i}")),
        other => panic!("unexpected cell {other:?}"),
    }
}

#[test]
fn the_workbook_holds_every_table_with_units_in_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_package(dir.path());
    let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).expect("results.xlsx opens");
    let names = book.sheet_names();
    // Every table this run wrote is a sheet, in the workbook's order.
    let expected: Vec<&str> = ["summary", "risk", "fiscal", "budget", "exits", "sweep", "sensitivity"]
        .into_iter()
        .filter(|s| out.join(format!("{s}.csv")).exists())
        .collect();
    assert!(expected.len() >= 5, "the package writes summary, risk, fiscal, sweep, sensitivity");
    assert_eq!(names, expected);

    // The unit of each metric as summary.csv gives it.
    let (sh, srows) = csv(&out.join("summary.csv"));
    let (m, u) = (sh.iter().position(|h| h == "metric").unwrap(), sh.iter().position(|h| h == "unit").unwrap());
    let units: BTreeMap<String, String> = srows.iter().map(|r| (r[m].clone(), r[u].clone())).collect();

    for name in names {
        let range = book.worksheet_range(&name).unwrap();
        let rows: Vec<Vec<Option<String>>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
        let (header, body) = csv(&out.join(format!("{name}.csv")));
        let heads: Vec<String> = rows[0].iter().map(|c| c.clone().unwrap_or_default()).collect();
        // Map each CSV column to its sheet column; a sheet column not in
        // the CSV is an added `unit` column.
        let mut at = Vec::new();
        let mut added = None;
        let mut k = 0;
        for (j, h) in heads.iter().enumerate() {
            if k < header.len() && (h == &header[k] || h.starts_with(&format!("{} (", header[k]))) {
                at.push(j);
                k += 1;
            } else {
                assert_eq!(h, "unit", "{name}: sheet column {j} `{h}` is neither a CSV column nor the unit");
                added = Some(j);
            }
        }
        assert_eq!(at.len(), header.len(), "{name}: every CSV column is in the sheet: {heads:?}");
        assert_eq!(rows.len() - 1, body.len(), "{name}: one sheet row per CSV row");
        for (r, csv_row) in body.iter().enumerate() {
            let sheet_row = &rows[r + 1];
            for (c, text) in csv_row.iter().enumerate() {
                let got = sheet_row.get(at[c]).cloned().flatten();
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => {
                        let g: f64 = got.as_deref().and_then(|g| g.parse().ok()).unwrap_or(f64::NAN);
                        assert_eq!(g.to_bits(), v.to_bits(), "{name} row {r} `{}`: {text} vs {got:?}", header[c]);
                    }
                    _ if text.is_empty() => assert_eq!(got, None, "{name} row {r} `{}` is empty", header[c]),
                    _ => assert_eq!(got.as_deref(), Some(text.as_str()), "{name} row {r} `{}`", header[c]),
                }
            }
            // The added unit column agrees with summary.csv.
            if let Some(j) = added {
                let metric = &csv_row[header.iter().position(|h| h == "metric").unwrap()];
                assert_eq!(sheet_row[j].as_deref(), units.get(metric).map(String::as_str), "{name} row {r}");
            }
        }
        // Units in the headers: each statistic column names its unit.
        for h in &heads {
            if ["mean", "p05", "p95", "var95", "es99", "swing", "fiscal_cost_mean"]
                .contains(&h.split(' ').next().unwrap())
            {
                assert!(h.contains(" (") && h.ends_with(')'), "{name}: `{h}` has no unit");
            }
        }
    }
    // Spot checks against the units a reader expects.
    let range = book.worksheet_range("fiscal").unwrap();
    let heads: Vec<String> = range.rows().next().unwrap().iter().filter_map(cell_text).collect();
    assert!(heads.contains(&"fiscal_cost_mean (mn CNY)".to_string()), "{heads:?}");
    let range = book.worksheet_range("sensitivity").unwrap();
    let heads: Vec<String> = range.rows().next().unwrap().iter().filter_map(cell_text).collect();
    assert!(heads.contains(&"swing (mn CNY)".to_string()), "the target is the fiscal cost: {heads:?}");
    let range = book.worksheet_range("risk").unwrap();
    let heads: Vec<String> = range.rows().next().unwrap().iter().filter_map(cell_text).collect();
    assert!(heads.contains(&"var95 (unit column)".to_string()) && heads.contains(&"unit".to_string()), "{heads:?}");
}

#[test]
fn the_same_run_writes_the_same_workbook_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scn = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tech_loans.toml");
    let mut books = Vec::new();
    for t in ["1", "2"] {
        let out = format!("t{t}");
        let o = fundsim(
            dir.path(),
            &["run", scn.to_str().unwrap(), "--paths", "50", "--threads", t, "--out", &out, "--no-charts", "--quiet"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        books.push(std::fs::read(dir.path().join(&out).join("results.xlsx")).unwrap());
    }
    assert_eq!(books[0], books[1]);
}
