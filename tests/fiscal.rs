//! The fiscal basis (MODEL.md section 5): one `[fiscal] discount_rate` for
//! every vehicle, `fiscal_cost` the present value of each vehicle's dated
//! fiscal flows and `fiscal_cost_nominal` their sum, `total.fiscal_cost`
//! the sum of the vehicles' present values, `budget.csv` the outlay by
//! year, and the old vehicle-level key refused with the new key's name.
//! Checked path by path and against hand-discounted flows.

mod common;
use common::*;

use std::path::Path;

/// A guidance fund and a loan programme of three-year loans with interest
/// subsidies and a risk-compensation pool, on one economy.
const PACKAGE: &str = r#"
name = "fiscal basis"
[simulation]
paths = 300
seed = 11
years = 12
steps_per_year = 4
[fiscal]
discount_rate = 0.027
[vehicles.g]
kind = "guidance_fund"
government_capital = 200.0
subfunds = 4
government_share = 0.4
launch_years = 2.0
profit_concession = 0.3
management_fee = 0.005
[vehicles.g.subfund]
deals = 8
term_years = 8.0
extension_years = 2.0
[vehicles.loans]
kind = "loan_program"
loans = 200
loan_size = 2.0
term_years = 3.0
pd = 0.04
cohorts = 2
[vehicles.loans.policy]
interest_subsidy = 0.015
[vehicles.loans.policy.risk_compensation]
ratio = 0.4
"#;

const VEHICLES: [&str; 2] = ["g", "loans"];

#[test]
fn the_total_is_the_sum_of_the_vehicles_present_values_in_every_path() {
    for rate in ["0.027", "0.08"] {
        let r = simulate(PACKAGE, &[&format!("fiscal.discount_rate={rate}")], 2);
        let total = col(&r, "total.fiscal_cost");
        let total_nominal = col(&r, "total.fiscal_cost_nominal");
        let (g, l) = (col(&r, "g.fiscal_cost"), col(&r, "loans.fiscal_cost"));
        let (gn, ln) = (col(&r, "g.fiscal_cost_nominal"), col(&r, "loans.fiscal_cost_nominal"));
        for p in 0..total.len() {
            // Summed in the vehicles' order, as the engine does: exact.
            assert_eq!(total[p], 0.0 + g[p] + l[p], "path {p} at {rate}");
            assert_eq!(total_nominal[p], 0.0 + gn[p] + ln[p], "path {p} at {rate}");
        }
    }
}

#[test]
fn at_a_rate_of_zero_present_value_and_nominal_cost_are_the_same() {
    let r = simulate(PACKAGE, &["fiscal.discount_rate=0"], 2);
    for v in VEHICLES.iter().map(|v| v.to_string()).chain(["total".into()]) {
        let (pv, nominal) = (col(&r, &format!("{v}.fiscal_cost")), col(&r, &format!("{v}.fiscal_cost_nominal")));
        for p in 0..pv.len() {
            assert_eq!(pv[p].to_bits(), nominal[p].to_bits(), "{v}, path {p}: {} vs {}", pv[p], nominal[p]);
        }
    }
}

#[test]
fn the_nominal_cost_does_not_depend_on_the_rate_and_the_present_value_does() {
    let a = simulate(PACKAGE, &["fiscal.discount_rate=0.0"], 2);
    let b = simulate(PACKAGE, &["fiscal.discount_rate=0.08"], 1);
    for v in VEHICLES {
        let name = format!("{v}.fiscal_cost_nominal");
        assert_eq!(col(&a, &name), col(&b, &name), "{name}");
        let name = format!("{v}.fiscal_cost");
        assert_ne!(col(&a, &name), col(&b, &name), "{name} ignores the rate");
    }
}

#[test]
fn three_year_loans_with_interest_subsidies_cost_less_in_present_value() {
    let r = simulate(PACKAGE, &["fiscal.discount_rate=0.05"], 2);
    let (pv, nominal) = (col(&r, "loans.fiscal_cost"), col(&r, "loans.fiscal_cost_nominal"));
    for p in 0..pv.len() {
        assert!(nominal[p] > 0.0 && pv[p] < nominal[p], "path {p}: pv {} nominal {}", pv[p], nominal[p]);
    }
}

/// No defaults (pd 0), so the only fiscal flow is the interest subsidy on
/// every loan in every step of its three-year term: L x size x s / k per
/// quarter, each discounted from the end of its quarter. By hand: 100 loans
/// of 2 at a 1.5 % subsidy pay 0.75 a quarter for 12 quarters; at 4 % the
/// present value is 0.75 x sum over q = 1..12 of 1.04^(-q/4).
#[test]
fn subsidies_are_discounted_from_the_quarter_they_are_paid_in() {
    let text = r#"
name = "subsidy only"
[simulation]
paths = 5
seed = 3
years = 4
steps_per_year = 4
[fiscal]
discount_rate = 0.04
[vehicles.loans]
kind = "loan_program"
loans = 100
loan_size = 2.0
term_years = 3.0
pd = 0.0
[vehicles.loans.policy]
interest_subsidy = 0.015
"#;
    let r = simulate(text, &[], 1);
    let quarter = 100.0 * 2.0 * 0.015 / 4.0;
    let pv: f64 = (1..=12).map(|q| quarter * 1.04f64.powf(-(q as f64) / 4.0)).sum();
    assert!(close(one(&r, "loans.fiscal_cost_nominal"), 12.0 * quarter));
    assert!(close(one(&r, "loans.fiscal_cost"), pv), "{} vs {pv}", one(&r, "loans.fiscal_cost"));
    assert!(close(one(&r, "loans.subsidy_cost"), 12.0 * quarter));
}

/// budget.csv: one row per vehicle with a fiscal cost and `total` per year,
/// and the yearly means of each add up to the mean of its nominal cost
/// (the same flows, summed in another order: equal to rounding).
#[test]
fn the_budget_by_year_adds_up_to_the_nominal_cost() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "pkg.toml", PACKAGE);
    let o = fundsim(dir.path(), &["run", file.to_str().unwrap(), "--out", "out", "--no-charts", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let (head, rows) = csv(&out.join("budget.csv"));
    assert_eq!(head, ["vehicle", "year", "mean", "p05", "p50", "p95"]);
    assert_eq!(rows.len(), 3 * 12, "g, loans and total, 12 years each");
    let (sh, srows) = csv(&out.join("summary.csv"));
    let (vc, mc, meanc) = (0, 1, sh.iter().position(|h| h == "mean").unwrap());
    for v in ["g", "loans", "total"] {
        let yearly: Vec<f64> = rows.iter().filter(|r| r[0] == v).map(|r| r[2].parse().unwrap()).collect();
        let years: Vec<String> = rows.iter().filter(|r| r[0] == v).map(|r| r[1].clone()).collect();
        assert_eq!(years, (1..=12).map(|y| y.to_string()).collect::<Vec<_>>());
        let nominal: f64 = srows
            .iter()
            .find(|r| r[vc] == v && r[mc] == "fiscal_cost_nominal")
            .map(|r| r[meanc].parse().unwrap())
            .unwrap();
        let sum: f64 = yearly.iter().sum();
        assert!(close(sum, nominal), "{v}: yearly means add up to {sum}, nominal mean {nominal}");
        // Each year's percentiles bracket its median.
        for r in rows.iter().filter(|r| r[0] == v) {
            let q: Vec<f64> = r[3..6].iter().map(|x| x.parse().unwrap()).collect();
            assert!(q[0] <= q[1] && q[1] <= q[2], "{v} year {}: {q:?}", r[1]);
        }
    }
    // The loans lend in years 1 and 2 for three years: nothing is paid
    // after year 5, and something in each of years 1 to 4.
    let loans: Vec<f64> = rows.iter().filter(|r| r[0] == "loans").map(|r| r[2].parse().unwrap()).collect();
    assert!(loans[..4].iter().all(|&x| x > 0.0) && loans[5..].iter().all(|&x| x == 0.0), "{loans:?}");
}

#[test]
fn a_vehicle_level_discount_rate_is_refused_with_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = PACKAGE.replace("profit_concession = 0.3", "profit_concession = 0.3\ndiscount_rate = 0.05");
    let file = scenario(dir.path(), "old.toml", &text);
    let o = fundsim(dir.path(), &["run", file.to_str().unwrap(), "--out", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("vehicles.g.discount_rate") && e.contains("fiscal.discount_rate"), "{e}");
    assert!(!Path::new(&dir.path().join("out")).exists(), "nothing is written");
    // And the rate itself is validated under its own key.
    let o = fundsim(dir.path(), &["check", file.to_str().unwrap(), "--set", "fiscal.discount_rate=-2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("fiscal.discount_rate"), "{}", stderr(&o));
}

/// fiscal.csv: the efficiency figures are ratios of means with a
/// delta-method se, recomputed here from paths.csv; a figure whose mean
/// denominator is within 1.96 se of 0 is empty.
#[test]
fn efficiency_figures_are_ratios_of_means_with_their_delta_method_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "pkg.toml", PACKAGE);
    let o = fundsim(dir.path(), &["run", file.to_str().unwrap(), "--out", "out", "--no-charts", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let (ph, prows) = csv(&out.join("paths.csv"));
    let path_col = |name: &str| -> Vec<f64> {
        let j = ph.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
        prows.iter().map(|r| r[j].parse().unwrap_or(f64::NAN)).collect()
    };
    let (fh, frows) = csv(&out.join("fiscal.csv"));
    let fiscal = |vehicle: &str, column: &str| -> Option<f64> {
        let j = fh.iter().position(|h| h == column).unwrap_or_else(|| panic!("{column}"));
        frows.iter().find(|r| r[0] == vehicle).and_then(|r| r[j].parse().ok())
    };
    // Credit per fiscal yuan of the loans, by hand.
    let (x, y) = (path_col("loans.credit"), path_col("loans.fiscal_cost"));
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let r = mx / my;
    let sd = (x.iter().zip(&y).map(|(a, b)| (a - r * b).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let se = sd / n.sqrt() / my;
    assert!(close(fiscal("loans", "credit_per_fiscal_yuan").unwrap(), r));
    assert!(close(fiscal("loans", "credit_per_fiscal_yuan_se").unwrap(), se));
    // Fiscal cost per additional loan: the loans have no lending table, so
    // no additional loans and no figure.
    assert_eq!(fiscal("loans", "fiscal_cost_per_additional_loan"), None);
    // PV and nominal means in fiscal.csv are summary.csv's.
    let (mg, _) = mean_se(&path_col("g.fiscal_cost_nominal"));
    assert!(close(fiscal("g", "fiscal_cost_nominal_mean").unwrap(), mg));
    assert_eq!(fiscal("total", "discount_rate"), Some(0.027));
}
