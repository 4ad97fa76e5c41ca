//! Reproducibility (INTERFACE.md): byte-identical CSVs at any thread count,
//! the first N paths of a longer run equal a run of N paths, and levers
//! that do not change behaviour leave every company's fate unchanged.

mod common;
use common::*;

fn run(dir: &std::path::Path, out: &str, extra: &[&str]) {
    let f = scenario(dir, "s.toml", SMALL_FUND);
    let mut args = vec!["run", f.to_str().unwrap(), "--out", out, "--quiet"];
    args.extend_from_slice(extra);
    let o = fundsim(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn outputs_are_byte_identical_at_one_two_and_sixteen_threads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 300 paths: not a multiple of the 64-path block, so a partial block
    // runs too. Sixteen threads on a smaller machine still take blocks in
    // an order that depends on scheduling, which must not show.
    run(d, "t1", &["--threads", "1", "--paths", "300"]);
    for t in ["2", "16"] {
        run(d, t, &["--threads", t, "--paths", "300"]);
        for f in ["paths.csv", "summary.csv", "risk.csv", "timeseries.csv", "deals.csv", "exits.csv"] {
            let a = std::fs::read(d.join("t1").join(f)).unwrap();
            let b = std::fs::read(d.join(t).join(f)).unwrap();
            assert!(!a.is_empty());
            assert!(a == b, "{f} differs between --threads 1 and --threads {t}");
        }
    }
}

#[test]
fn first_n_paths_of_a_longer_run_equal_a_run_of_n_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, "long", &["--paths", "300", "--threads", "2"]);
    run(d, "short", &["--paths", "100", "--threads", "1"]);
    let (h1, long) = csv(&d.join("long/paths.csv"));
    let (h2, short) = csv(&d.join("short/paths.csv"));
    assert_eq!(h1, h2);
    assert_eq!(long.len(), 300);
    assert_eq!(short.len(), 100);
    assert_eq!(&long[..100], &short[..]);
}

#[test]
fn seed_changes_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, "a", &["--paths", "50"]);
    run(d, "b", &["--paths", "50", "--seed", "43"]);
    assert_ne!(read(&d.join("a/paths.csv")), read(&d.join("b/paths.csv")));
}

#[test]
fn fee_and_carry_levers_leave_company_fates_unchanged_path_by_path() {
    // Common random numbers (MODEL.md 5): fees and carry do not change what
    // happens to companies, so deal outcome counts agree in every path.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, "base", &["--paths", "200"]);
    run(d, "lever", &["--paths", "200", "--set", "vehicles.fund.carry=0.3", "--set", "vehicles.fund.hurdle=0.0"]);
    let (h, a) = csv(&d.join("base/paths.csv"));
    let (_, b) = csv(&d.join("lever/paths.csv"));
    let cols: Vec<usize> = h.iter().enumerate().filter(|(_, n)| n.contains(".deals_")).map(|(i, _)| i).collect();
    assert_eq!(cols.len(), 4);
    let carry = h.iter().position(|n| n == "fund.carry").unwrap();
    let mut carry_differs = 0;
    for (ra, rb) in a.iter().zip(&b) {
        for &c in &cols {
            assert_eq!(ra[c], rb[c]);
        }
        carry_differs += (ra[carry] != rb[carry]) as usize;
    }
    assert!(carry_differs > 0, "the lever must have had an effect");
}

#[test]
fn run_writes_every_output_with_the_interface_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, "out", &["--paths", "100"]);
    let out = d.join("out");
    let (h, rows) = csv(&out.join("summary.csv"));
    assert_eq!(
        h.join(","),
        "vehicle,metric,unit,mean,sd,se,min,p01,p05,p10,p25,p50,p75,p90,p95,p99,max,undefined_share"
    );
    // Each metric's unit, as INTERFACE.md names them.
    let unit = |vehicle: &str, metric: &str| {
        rows.iter().find(|r| r[0] == vehicle && r[1] == metric).map(|r| r[2].clone()).unwrap_or_default()
    };
    for (vehicle, metric, expected) in [
        ("fund", "irr", "rate"),
        ("fund", "tvpi", "x"),
        ("fund", "paid_in", "mn CNY"),
        ("fund", "deals_ipo", "count"),
        ("total", "fiscal_cost", "mn CNY"),
        ("total", "firms_financed", "count"),
    ] {
        assert_eq!(unit(vehicle, metric), expected, "unit of {vehicle}.{metric}");
    }
    assert!(rows.iter().all(|r| !r[2].is_empty()), "every metric has a unit");
    let (h, _) = csv(&out.join("paths.csv"));
    assert_eq!(h[0], "path");
    // The vehicle columns, then total.fiscal_cost and the other package totals.
    let first_total = h.iter().position(|c| c.starts_with("total.")).unwrap();
    assert_eq!(h[first_total], "total.fiscal_cost");
    assert!(h[first_total..].iter().all(|c| c.starts_with("total.")));
    assert!(h.contains(&"fund.tvpi".to_string()));
    let (h, rows) = csv(&out.join("deals.csv"));
    assert_eq!(h.join(","), "vehicle,kind,label,count,share");
    let labels: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        labels,
        ["lt1x", "1x-3x", "3x-5x", "5x-10x", "10x-20x", "ge20x", "failed", "acquired", "ipo", "private"]
    );
    // Every initial investment is counted once in each kind: 100 paths x 20 deals.
    let total: u64 = rows.iter().filter(|r| r[1] == "multiple").map(|r| r[3].parse::<u64>().unwrap()).sum();
    assert_eq!(total, 2000);
    let (h, rows) = csv(&out.join("timeseries.csv"));
    assert_eq!(h.join(","), "vehicle,metric,step,year,p05,p25,p50,p75,p95");
    // Three fund series (J-curve, NAV, DPI to date) x 48 steps.
    assert_eq!(rows.len(), 3 * 48);
    let m: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["paths"], 100);
    assert_eq!(m["seed"], 42);
    assert_eq!(m["scenario"].as_str().unwrap(), SMALL_FUND);
    assert_eq!(m["scenario_sha256"].as_str().unwrap().len(), 64);
    // No temporary directories left behind.
    let names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}
