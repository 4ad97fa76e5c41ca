//! The shipped scenarios: `defaults.toml` is the code's defaults, the
//! venture fund is calibrated to the published deal-level outcomes, and
//! its cash flows add up path by path.

mod common;
use common::*;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn defaults_toml_states_exactly_the_built_in_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let documented = fundsim(root(), &["check", "scenarios/defaults.toml"]);
    assert_eq!(documented.status.code(), Some(0), "{}", stderr(&documented));
    let minimal = scenario(
        dir.path(),
        "min.toml",
        "[vehicles.fund]\nkind = \"venture_fund\"\n[vehicles.angel]\nkind = \"guidance_fund\"\n[vehicles.sfund]\nkind = \"s_fund\"\n\
         [vehicles.loans]\nkind = \"loan_program\"\n[vehicles.bank]\nkind = \"loan_program\"\n[vehicles.bank.lending]\n\
         [vehicles.linked]\nkind = \"loan_program\"\nborrowers_from = \"fund\"\n",
    );
    let built_in = fundsim(dir.path(), &["check", minimal.to_str().unwrap()]);
    assert_eq!(built_in.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&documented.stdout), String::from_utf8_lossy(&built_in.stdout));
}

#[test]
fn every_shipped_scenario_is_valid() {
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            let o = fundsim(root(), &["check", p.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), stderr(&o));
        }
    }
}

/// Share per label from deals.csv.
fn shares(out: &Path) -> std::collections::HashMap<String, f64> {
    let (_, rows) = csv(&out.join("deals.csv"));
    rows.iter().map(|r| (r[2].clone(), r[4].parse().unwrap())).collect()
}

#[test]
fn venture_fund_deal_outcomes_match_the_published_calibration_targets() {
    // MODEL.md section 3 targets (Correlation Ventures; Korteweg & Sorensen)
    // are "about" figures; the bands below are those of MODEL.md, far wider
    // than the Monte Carlo error: 4,000 paths x 25 deals = 100,000 deals
    // give a share's standard error under 0.002 even allowing for deals in
    // one path sharing the economy.
    let dir = tempfile::tempdir().unwrap();
    let o = fundsim(
        root(),
        &[
            "run",
            "scenarios/venture_fund.toml",
            "--paths",
            "4000",
            "--out",
            dir.path().join("o").to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = shares(&dir.path().join("o"));
    let within =
        |name: &str, x: f64, lo: f64, hi: f64| assert!(x >= lo && x <= hi, "{name} = {x}, expected [{lo}, {hi}]");
    within("< 1x", s["lt1x"], 0.50, 0.65);
    within("1-5x", s["1x-3x"] + s["3x-5x"], 0.20, 0.30);
    within("5-10x", s["5x-10x"], 0.04, 0.08);
    within(">= 10x", s["10x-20x"] + s["ge20x"], 0.03, 0.045);
    within("IPO", s["ipo"], 0.07, 0.14);
    within("acquired", s["acquired"], 0.18, 0.28);
    within("failed", s["failed"], 0.18, 0.30);
}

#[test]
fn venture_fund_cash_flows_add_up_in_every_path() {
    // LP distributions + residual + GP carry = gross proceeds (the
    // waterfall splits what the fund received, nothing more or less), and
    // paid-in = invested + fees (capital is called exactly when needed).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = fundsim(
        root(),
        &["run", "scenarios/venture_fund.toml", "--paths", "500", "--out", out.to_str().unwrap(), "--quiet"],
    );
    assert_eq!(o.status.code(), Some(0));
    let (h, rows) = csv(&out.join("paths.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("{n}"));
    let get = |r: &Vec<String>, n: &str| r[col(n)].parse::<f64>().unwrap();
    for r in &rows {
        let gross = get(r, "fund.gross_multiple") * get(r, "fund.invested");
        let split = get(r, "fund.distributed") + get(r, "fund.residual") + get(r, "fund.carry");
        assert!((gross - split).abs() <= 1e-9 * gross.max(1.0), "{gross} vs {split}");
        let paid = get(r, "fund.invested") + get(r, "fund.fees");
        assert!((get(r, "fund.paid_in") - paid).abs() < 1e-9 * paid);
        // Calls exceed the commitment only by recalled distributions,
        // at most recycling_cap (0.2) of it.
        assert!(get(r, "fund.paid_in") <= 100.0 * 1.2 + 1e-9, "calls exceed commitment + recycling cap");
        let deals: f64 =
            ["failed", "ipo", "acquired", "private"].iter().map(|k| get(r, &format!("fund.deals_{k}"))).sum();
        assert_eq!(deals, 25.0);
        assert!((get(r, "fund.tvpi") - get(r, "fund.dpi") - get(r, "fund.rvpi")).abs() < 1e-12);
    }
}
