//! `--no-paths`: no per-path matrix. The column moments are exact sums, so
//! every CSV is bit-identical at 1, 2 and 16 threads and across 3 shards
//! merged; quantiles, VaR and ES come from sketches and stay within their
//! documented relative accuracy (0.5 %) of the exact order statistics of
//! the same paths; the fiscal view (`fiscal.csv`, its ratios of means and
//! their delta-method errors, and `budget.csv`) agrees with the matrix's to
//! rounding; a sweep and sensitivity table run without a matrix (paired
//! differences accumulated chunk by chunk) have identical bits at any
//! thread and shard count and agree with the matrix run to rounding; a run whose matrix would not fit is refused up front,
//! naming --no-paths and --shard.

mod common;
use common::*;

use std::path::Path;

const ALPHA: f64 = 0.005;
const FILES: [&str; 7] =
    ["summary.csv", "risk.csv", "timeseries.csv", "deals.csv", "fiscal.csv", "budget.csv", "exits.csv"];

fn shipped(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn ok(dir: &Path, args: &[&str]) {
    let o = fundsim(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
}

#[test]
fn identical_bits_at_1_2_and_16_threads_and_across_3_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (s, paths) in [("tech_loans.toml", "2000"), ("venture_fund.toml", "500")] {
        let f = shipped(s);
        let base = ["run", f.as_str(), "--paths", paths, "--no-paths", "--no-charts", "--quiet"];
        for t in ["1", "2", "16"] {
            let out = format!("t{t}");
            let mut args = base.to_vec();
            args.extend(["--threads", t, "--out", &out]);
            ok(d, &args);
        }
        for k in 1..=3 {
            let (shard, out) = (format!("{k}/3"), format!("s{k}"));
            let mut args = base.to_vec();
            args.extend(["--shard", &shard, "--out", &out, "--threads", "2"]);
            ok(d, &args);
        }
        ok(d, &["merge", "s3", "s1", "s2", "--out", "merged", "--no-charts", "--quiet"]);
        assert!(!d.join("t1/paths.csv").exists());
        // exits.csv is an equity vehicle's, budget.csv a fiscal one's.
        for file in FILES {
            let Ok(a) = std::fs::read(d.join("t1").join(file)) else {
                assert!(["exits.csv", "budget.csv"].contains(&file), "{s}: no {file}");
                assert!(!d.join("merged").join(file).exists(), "{s}: {file} in merged only");
                continue;
            };
            assert!(!a.is_empty());
            for other in ["t2", "t16", "merged"] {
                assert!(a == std::fs::read(d.join(other).join(file)).unwrap(), "{s}: {file} differs in {other}");
            }
        }
    }
}

/// Each paths.csv column's defined values, sorted, by `vehicle.metric`.
fn sorted_columns(paths: &Path) -> std::collections::HashMap<String, Vec<f64>> {
    let (head, rows) = csv(paths);
    head.iter()
        .enumerate()
        .map(|(j, name)| {
            let mut v: Vec<f64> =
                rows.iter().filter_map(|r| r[j].parse::<f64>().ok()).filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            (name.clone(), v)
        })
        .collect()
}

fn rows_by_metric(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    csv(p)
}

#[test]
fn sketch_statistics_are_within_their_accuracy_of_the_exact_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = shipped("tech_loans.toml");
    let common = ["run", f.as_str(), "--paths", "5000", "--no-charts", "--quiet", "--threads", "2"];
    let mut args = common.to_vec();
    args.extend(["--out", "exact"]);
    ok(d, &args);
    let mut args = common.to_vec();
    args.extend(["--out", "np", "--no-paths"]);
    ok(d, &args);
    let (eh, exact) = rows_by_metric(&d.join("exact/summary.csv"));
    let (nh, np) = rows_by_metric(&d.join("np/summary.csv"));
    assert_eq!(eh, nh);
    assert_eq!(exact.len(), np.len());
    let col = |h: &[String], name: &str| h.iter().position(|x| x == name).unwrap();
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let columns = sorted_columns(&d.join("exact/paths.csv"));
    let mut checked = 0;
    for (e, n) in exact.iter().zip(&np) {
        assert_eq!(e[..3], n[..3]);
        let name = format!("{}.{}", e[0], e[1]);
        let values = &columns[&name];
        let d_ = values.len();
        // Identical: min, max, undefined share.
        for k in ["min", "max", "undefined_share"] {
            assert_eq!(e[col(&eh, k)], n[col(&nh, k)], "{name} {k}");
        }
        if d_ < 2 {
            continue;
        }
        // Mean and sd: exact sums against path-order sums, a few ulps apart
        // (the bound of stats::stream for the variance: 3 eps mean^2 / sd^2).
        let (me, mn) = (num(&e[col(&eh, "mean")]), num(&n[col(&nh, "mean")]));
        assert!((me - mn).abs() <= 1e-13 * me.abs().max(1e-300), "{name} mean {me} vs {mn}");
        let (se, sn) = (num(&e[col(&eh, "sd")]), num(&n[col(&nh, "sd")]));
        let bound = 1e-12 + 8.0 * f64::EPSILON * (me * me) / (se * se).max(1e-300);
        assert!((se - sn).abs() <= bound * se.abs().max(1e-300), "{name} sd {se} vs {sn}");
        // Quantiles: within ALPHA of the order statistic of rank floor(p (d-1)).
        for (k, p) in ["p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]
            .iter()
            .zip([0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99])
        {
            let rank = (p * (d_ - 1) as f64 + 1e-9).floor() as usize;
            let x = values[rank];
            let got = num(&n[col(&nh, k)]);
            assert!((got - x).abs() <= ALPHA * x.abs() * (1.0 + 1e-9) + 1e-12, "{name} {k}: {got} vs x({rank}) = {x}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} quantiles checked");

    // VaR_a = L(ceil(a n)) within ALPHA; ES within ALPHA of the mean |L| in the tail.
    let (rh, exact_risk) = csv(&d.join("exact/risk.csv"));
    let (_, np_risk) = csv(&d.join("np/risk.csv"));
    assert!(!exact_risk.is_empty());
    for (e, n) in exact_risk.iter().zip(&np_risk) {
        let name = format!("{}.{}", e[0], e[1]);
        let losses = &columns[&name];
        for (i, a) in [0.95, 0.99, 0.999].into_iter().enumerate() {
            let (var_e, var_n) = (num(&e[2 + 2 * i]), num(&n[2 + 2 * i]));
            assert!((var_e - var_n).abs() <= ALPHA * var_e.abs() * (1.0 + 1e-9) + 1e-12, "{name} {}", rh[2 + 2 * i]);
            let (es_e, es_n) = (num(&e[3 + 2 * i]), num(&n[3 + 2 * i]));
            let k = ((a * losses.len() as f64) - 1e-9).ceil() as usize;
            let tail = &losses[k.saturating_sub(1)..];
            let mean_abs = tail.iter().map(|x| x.abs()).sum::<f64>() / tail.len() as f64;
            assert!((es_e - es_n).abs() <= ALPHA * mean_abs * (1.0 + 1e-9) + 1e-12, "{name} {}", rh[3 + 2 * i]);
            assert!(es_n >= var_n);
        }
    }
    // The series and the deal counts are the same sketches either way.
    for f in ["timeseries.csv", "deals.csv"] {
        assert_eq!(read(&d.join("exact").join(f)), read(&d.join("np").join(f)), "{f}");
    }
}

/// A CSV row: its cells, and the cells as numbers in the two runs.
type Paired = (Vec<String>, Vec<f64>, Vec<f64>);

/// Cells of `file` in both runs as numbers (empty: NaN), row by row.
fn numbers(a: &Path, b: &Path) -> (Vec<String>, Vec<Paired>) {
    let (head, ra) = csv(a);
    let (_, rb) = csv(b);
    assert_eq!(ra.len(), rb.len());
    let num = |s: &String| s.parse::<f64>().unwrap_or(f64::NAN);
    let rows = ra.iter().zip(&rb).map(|(x, y)| (x.clone(), x.iter().map(num).collect(), y.iter().map(num).collect()));
    (head, rows.collect())
}

#[test]
fn the_fiscal_view_without_a_matrix_agrees_with_the_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut checked = 0;
    for s in ["tech_loans.toml", "angel_guidance_fund.toml"] {
        let f = shipped(s);
        let common = ["run", f.as_str(), "--paths", "3000", "--no-charts", "--quiet", "--threads", "2"];
        for (out, extra) in [("exact", None), ("np", Some("--no-paths"))] {
            let mut args = common.to_vec();
            args.extend(["--out", out]);
            args.extend(extra);
            ok(d, &args);
        }
        // fiscal.csv: every mean, standard error and ratio of means (with its
        // delta-method error, from exact sums of x, y, x^2, y^2 and x y) to
        // rounding; the cost quantiles are the sketch's, the very numbers
        // summary.csv gives for the cost column.
        let (head, rows) = numbers(&d.join("exact/fiscal.csv"), &d.join("np/fiscal.csv"));
        let (sh, summary) = csv(&d.join("np/summary.csv"));
        for (cells, e, n) in &rows {
            assert_eq!(e[0].is_nan(), n[0].is_nan());
            for (j, name) in head.iter().enumerate().skip(1) {
                let (x, y) = (e[j], n[j]);
                if ["fiscal_cost_p05", "fiscal_cost_p50", "fiscal_cost_p95"].contains(&name.as_str()) {
                    let row = summary.iter().find(|r| r[0] == cells[0] && r[1] == "fiscal_cost").expect("cost row");
                    let q = &name["fiscal_cost_".len()..];
                    let k = sh.iter().position(|h| h == q).unwrap();
                    assert_eq!(row[k].parse::<f64>().ok(), Some(y), "{s} {} {name}", cells[0]);
                    continue;
                }
                assert_eq!(x.is_nan(), y.is_nan(), "{s} {} {name}: {x} vs {y}", cells[0]);
                if x.is_finite() {
                    assert!((x - y).abs() <= 1e-9 * x.abs().max(1e-12), "{s} {} {name}: {x} vs {y}", cells[0]);
                    checked += 1;
                }
            }
        }
        // budget.csv: the yearly means to rounding (its quantiles come from
        // the same sketches as summary.csv's, whose accuracy is tested above).
        let (head, rows) = numbers(&d.join("exact/budget.csv"), &d.join("np/budget.csv"));
        assert!(!rows.is_empty());
        let mean = head.iter().position(|h| h == "mean").unwrap();
        for (cells, e, n) in &rows {
            let (x, y) = (e[mean], n[mean]);
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1e-9), "{s} {} year {}: {x} vs {y}", cells[0], cells[1]);
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} cells checked");
}

#[test]
fn sweeps_and_sensitivity_without_a_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = shipped("shenzhen_policy_package.toml");
    let base = ["run", f.as_str(), "--paths", "200", "--no-charts", "--quiet"];
    for (out, extra) in [
        ("exact", &["--threads", "2"][..]),
        ("t1", &["--no-paths", "--threads", "1"][..]),
        ("t16", &["--no-paths", "--threads", "16"][..]),
    ] {
        let mut args = base.to_vec();
        args.extend(["--out", out]);
        args.extend(extra);
        ok(d, &args);
    }
    for k in 1..=3 {
        let (shard, out) = (format!("{k}/3"), format!("s{k}"));
        let mut args = base.to_vec();
        args.extend(["--no-paths", "--shard", &shard, "--out", &out, "--threads", "2"]);
        ok(d, &args);
    }
    ok(d, &["merge", "s2", "s1", "s3", "--out", "merged", "--no-charts", "--quiet"]);
    let mut files = vec!["sweep.csv".to_string(), "sensitivity.csv".into(), "summary.csv".into(), "fiscal.csv".into()];
    files.extend(["variants/1/summary.csv".into(), "variants/2/summary.csv".into()]);
    for file in &files {
        let a = std::fs::read(d.join("t1").join(file)).unwrap();
        for other in ["t16", "merged"] {
            assert!(a == std::fs::read(d.join(other).join(file)).unwrap(), "{file} differs in {other}");
        }
    }
    assert!(!d.join("t1/variants/1/paths.csv").exists());
    // Means, paired differences and their standard errors agree with the
    // matrix run to rounding (quantile columns come from sketches).
    for (file, skip) in [("sweep.csv", &["p05", "p50", "p95"][..]), ("sensitivity.csv", &[][..])] {
        let (head, rows) = numbers(&d.join("exact").join(file), &d.join("t1").join(file));
        assert!(!rows.is_empty());
        let mut checked = 0;
        for (cells, e, n) in &rows {
            for (j, name) in head.iter().enumerate() {
                if skip.contains(&name.as_str()) || e[j].is_nan() && cells[j].is_empty() && n[j].is_nan() {
                    continue;
                }
                let (x, y) = (e[j], n[j]);
                if x.is_nan() {
                    // A label, or an undefined figure in both.
                    assert!(cells[j].parse::<f64>().is_err() || y.is_nan(), "{file} {cells:?} {name}");
                    continue;
                }
                let scale = x.abs().max(1e-9);
                assert!((x - y).abs() <= 1e-8 * scale, "{file} {cells:?} {name}: {x} vs {y}");
                checked += 1;
            }
        }
        assert!(checked > 20, "{file}: {checked} cells");
    }
}

#[test]
fn a_matrix_beyond_memory_is_refused_up_front_naming_no_paths_and_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = shipped("tech_loans.toml");
    let o = fundsim(d, &["run", &f, "--paths", "1000000000", "--out", "out", "--quiet"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for s in ["`--paths` = 1000000000", "memory", "--no-paths", "--shard K/N"] {
        assert!(err.contains(s), "expected {s:?} in: {err}");
    }
    assert!(!d.join("out").exists());
    // A shard of it holds one part of the paths only: 1/1000 of 10^9 fits
    // this refusal's check (not run here: only the check of 1/2 of 10^9,
    // which does not fit either, is).
    let o = fundsim(d, &["run", &f, "--paths", "1000000000", "--shard", "1/2", "--out", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--no-paths"));
}
