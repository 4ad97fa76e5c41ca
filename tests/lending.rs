//! The bank's lending decision (MODEL.md section 7, docs/MODEL.md 6.11):
//! additionality against the baseline on the same path, monotone levers on
//! common random numbers, marginal borrowers, pools with top-ups, cohorts,
//! and the loss-allocation identities with a lending table.

mod common;
use common::*;
use fundsim::engine::Results;

fn run(text: &str, sets: &[&str]) -> Results {
    simulate(text, sets, 2)
}

fn shipped(name: &str) -> String {
    read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name))
}

/// Paired mean difference b - a over paths and its standard error.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    mean_se(&d)
}

/// A loan programme with a lending table and no lever (an IP pledge is one:
/// `ip_pledge_share` is 0): 3 cohorts of 1,500 applicants, two-year loans
/// at 4 steps a year.
const NO_LEVER: &str = r#"
name = "lending without levers"
[simulation]
paths = 200
seed = 5
years = 4
steps_per_year = 4
[vehicles.loans]
kind = "loan_program"
cohorts = 3
term_years = 2.0
pd = 0.03
first_loan_share = 0.3
[vehicles.loans.lending]
applicants = 1500
hurdle = 0.01
"#;

#[test]
fn without_a_lever_the_bank_lends_exactly_its_baseline_in_every_path() {
    // Applicant by applicant (two-year loans at 4 steps a year), and by
    // counts (one-year loans at one step a year).
    for sets in [&[][..], &["simulation.steps_per_year=1", "vehicles.loans.term_years=1.0"][..]] {
        no_lever_case(sets);
    }
}

fn no_lever_case(sets: &[&str]) {
    let r = run(NO_LEVER, sets);
    let (made, base, add) =
        (col(&r, "loans.loans_made"), col(&r, "loans.baseline_loans"), col(&r, "loans.additional_loans"));
    for p in 0..made.len() {
        assert_eq!(add[p], 0.0, "path {p}");
        assert_eq!(made[p], base[p], "path {p}");
        assert!(col(&r, "loans.marginal_default_rate")[p].is_nan(), "no additional loans: undefined");
        assert!(col(&r, "loans.fiscal_cost_per_additional_loan")[p].is_nan());
    }
    // The case is not vacuous: the bank lends to some applicants and
    // refuses others (3 cohorts of 1,500).
    let (m, _) = mean_se(&made);
    assert!(m > 500.0 && m < 4000.0, "{m}");
}

#[test]
fn additional_loans_are_made_minus_baseline_and_credit_follows_in_every_path() {
    let text = shipped("tech_loans.toml");
    let r = run(&text, &["simulation.paths=200"]);
    let size = 5.0;
    let (made, base, add) =
        (col(&r, "loans.loans_made"), col(&r, "loans.baseline_loans"), col(&r, "loans.additional_loans"));
    for p in 0..made.len() {
        assert_eq!(add[p], made[p] - base[p], "path {p}");
        assert!(base[p] <= made[p]);
        assert!(close(col(&r, "loans.credit")[p], made[p] * size));
        assert!(close(col(&r, "loans.additional_credit")[p], add[p] * size));
        assert!(close(col(&r, "total.credit")[p], made[p] * size), "total.credit uses the loans made");
        assert_eq!(col(&r, "total.firms_financed")[p], made[p]);
        let fiscal = col(&r, "loans.fiscal_cost")[p];
        assert!(close(col(&r, "loans.fiscal_cost_per_additional_loan")[p], fiscal / add[p]));
    }
    assert!(add.iter().all(|&a| a > 0.0), "the shipped levers add loans in every path");
}

#[test]
fn raising_any_coverage_lever_never_lowers_loans_made_and_raises_their_mean() {
    // The shipped scenario, one lever raised at a time (the pool ratio with
    // an unlimited pool, so that a faster-draining pool cannot close on a
    // later cohort). On common random numbers the decision is monotone
    // path by path; the mean must rise by more than 3 paired standard
    // errors.
    let text = shipped("tech_loans.toml");
    let unlimited = text
        .lines()
        .filter(|l| !l.starts_with("pool_size") && !l.starts_with("annual_top_up"))
        .collect::<Vec<_>>()
        .join("\n");
    // At 4 steps a year the bank decides applicant by applicant; at one
    // step a year one-year loans are drawn by counts (counts.rs).
    for steps in ["simulation.steps_per_year=4", "simulation.steps_per_year=1"] {
        let base = ["simulation.paths=400", steps];
        // (Warrants follow borrowers past their term: off, for the counts.)
        let base = [base[0], base[1], "vehicles.loans.warrant_coverage=0.0"];
        for (scenario, lever) in [
            (&text, "vehicles.loans.policy.guarantee.share=0.7"),
            (&text, "vehicles.loans.policy.insurance.share=0.3"),
            (&unlimited, "vehicles.loans.policy.risk_compensation.ratio=0.8"),
            (&text, "vehicles.loans.policy.insurance.bank_reward=0.01"),
        ] {
            let a = col(&run(scenario, &base), "loans.loans_made");
            let b = col(&run(scenario, &[base[0], base[1], base[2], lever]), "loans.loans_made");
            for p in 0..a.len() {
                assert!(b[p] >= a[p], "{steps} {lever}: path {p}: {} < {}", b[p], a[p]);
            }
            let (diff, se) = paired(&a, &b);
            eprintln!("{steps} {lever}: loans made +{diff:.3} (paired se {se:.4})");
            assert!(diff > 3.0 * se && diff > 0.0, "{steps} {lever}: +{diff} with paired se {se}");
        }
    }
}

#[test]
fn an_ip_pledge_and_a_first_loan_programme_widen_access_path_by_path() {
    // Item 八: with a collateral requirement above a perceived PD of 1.5 %,
    // applicants with IP they can pledge meet it; item 十一: the first-loan
    // programme removes part of the premium on first-time borrowers. Both
    // never lower loans made in any path and raise their mean.
    let text = format!("{NO_LEVER}collateral_pd = 0.015\nfirst_loan_premium = 0.01\n");
    let base = col(&run(&text, &["vehicles.loans.ip_pledge_share=0.0"]), "loans.loans_made");
    for lever in ["vehicles.loans.ip_pledge_share=0.5", "vehicles.loans.policy.first_loan_relief=0.5"] {
        let sets =
            if lever.contains("ip_pledge") { vec![lever] } else { vec!["vehicles.loans.ip_pledge_share=0.0", lever] };
        let b = col(&run(&text, &sets), "loans.loans_made");
        assert!(base.iter().zip(&b).all(|(x, y)| y >= x), "{lever}");
        let (diff, se) = paired(&base, &b);
        eprintln!("{lever}: loans made +{diff:.2} (paired se {se:.3})");
        assert!(diff > 3.0 * se && diff > 0.0, "{lever}: +{diff} se {se}");
    }
}

#[test]
fn the_marginal_borrowers_are_riskier_than_the_baseline_borrowers() {
    // Applicant by applicant (4 steps a year) and by counts (one step).
    for steps in ["simulation.steps_per_year=4", "simulation.steps_per_year=1"] {
        marginal_case(steps);
    }
}

fn marginal_case(steps: &str) {
    let r = run(&shipped("tech_loans.toml"), &["simulation.paths=300", steps, "vehicles.loans.warrant_coverage=0.0"]);
    let (marginal, baseline) = (col(&r, "loans.marginal_default_rate"), col(&r, "loans.baseline_default_rate"));
    let pairs: Vec<(f64, f64)> =
        marginal.iter().zip(&baseline).filter(|(m, b)| !m.is_nan() && !b.is_nan()).map(|(&m, &b)| (b, m)).collect();
    assert!(pairs.len() > 250, "{} paths with both defined", pairs.len());
    let (b, m): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let (diff, se) = paired(&b, &m);
    eprintln!("{steps}: marginal minus baseline default rate {diff:.4} (se {se:.5})");
    assert!(diff > 3.0 * se, "{diff} se {se}");
}

#[test]
fn pool_payments_never_exceed_its_size_plus_top_ups_and_losses_are_fully_allocated() {
    // Three cohorts, a pool of 40 topped up twice by 15: compensation
    // never exceeds 40 + 2 x 15 = 70, and the pool runs dry in some paths
    // but not all. Every loss is split between guarantor, insurer, pool and bank.
    let text = format!(
        "{NO_LEVER}\n[vehicles.loans.policy.guarantee]\nshare = 0.4\n[vehicles.loans.policy.insurance]\nshare = 0.2\n\
         [vehicles.loans.policy.risk_compensation]\nratio = 0.5\npool_size = 40.0\nannual_top_up = 15.0\nper_loan_cap = 0.2\n"
    );
    let r = run(&text, &["vehicles.loans.lgd=0.6"]);
    let gross = col(&r, "loans.gross_loss");
    let parts = ["guarantor_loss", "insurer_loss", "compensation_paid", "bank_net_loss"]
        .map(|m| col(&r, &format!("loans.{m}")));
    let mut exhausted = 0;
    for p in 0..gross.len() {
        let sum: f64 = parts.iter().map(|c| c[p]).sum();
        assert!(close(sum, gross[p]), "path {p}: {sum} vs {}", gross[p]);
        assert!(parts[2][p] <= 70.0 + 1e-9, "path {p}: the pool paid {}", parts[2][p]);
        let fiscal = ["compensation_paid", "reguarantee_cost", "subsidy_cost", "reward_cost"]
            .iter()
            .map(|m| col(&r, &format!("loans.{m}"))[p])
            .sum::<f64>();
        // The parts are nominal: they add up to the undiscounted cost.
        assert!(close(fiscal, col(&r, "loans.fiscal_cost_nominal")[p]));
        exhausted += col(&r, "loans.pool_exhausted")[p] as usize;
    }
    eprintln!("pool exhausted in {exhausted} of {} paths", gross.len());
    assert!(exhausted > 0 && exhausted < gross.len(), "both outcomes exercised: {exhausted}");
}

#[test]
fn an_ip_pledge_never_loses_more_than_the_same_loan_unsecured() {
    // All applicants hold IP and pledge it: every default loses at most
    // lgd x size, and on average less.
    let r = run(NO_LEVER, &["vehicles.loans.ip_pledge_share=1.0", "vehicles.loans.lgd=0.45"]);
    let (loss, defaults) = (col(&r, "loans.gross_loss"), col(&r, "loans.defaults"));
    for p in 0..loss.len() {
        assert!(loss[p] <= defaults[p] * 0.45 * 5.0 + 1e-9, "path {p}");
    }
    let per_default = loss.iter().sum::<f64>() / defaults.iter().sum::<f64>();
    assert!(per_default < 0.45 * 5.0 * 0.99, "{per_default}");
}

#[test]
fn moral_hazard_raises_defaults_path_by_path_and_leaves_the_decision_alone() {
    // The bank does not anticipate it: the same loans; each borrower's PD
    // rises with the share of the loss passed on, on the same draws.
    let text = shipped("tech_loans.toml");
    let a = run(&text, &["simulation.paths=150"]);
    let b = run(&text, &["simulation.paths=150", "vehicles.loans.lending.moral_hazard=0.5"]);
    assert_eq!(col(&a, "loans.loans_made"), col(&b, "loans.loans_made"));
    let (da, db) = (col(&a, "loans.defaults"), col(&b, "loans.defaults"));
    assert!(da.iter().zip(&db).all(|(x, y)| y >= x));
    assert!(db.iter().sum::<f64>() > da.iter().sum::<f64>());
}

#[test]
fn npl_is_the_worst_year_end_stock_ratio() {
    // Two-year loans, one cohort, no exits: at the end of year 1 the stock
    // ratio is the year's defaults over the cohort; at the end of year 2
    // it is all defaults over the cohort (defaulted loans stay
    // non-performing until their term ends). So it is the two-year
    // cumulative default rate, which is the default rate of the path.
    let text = NO_LEVER.replace("cohorts = 3", "cohorts = 1");
    let r = run(&text, &["stages.growth.ipo_rate=0.0", "stages.growth.acquisition_rate=0.0"]);
    let (npl, rate) = (col(&r, "loans.npl_ratio"), col(&r, "loans.default_rate"));
    for p in 0..npl.len() {
        assert!(close(npl[p], rate[p]), "path {p}: {} vs {}", npl[p], rate[p]);
    }
}

#[test]
fn bad_lending_input_is_exit_2_with_the_key_value_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    for (text, set, key, rule) in [
        (
            NO_LEVER.to_string(),
            "vehicles.loans.lending.applicants=0",
            "vehicles.loans.lending.applicants",
            "whole number",
        ),
        (
            NO_LEVER.to_string(),
            "vehicles.loans.lending.pd_dispersion=-1",
            "vehicles.loans.lending.pd_dispersion",
            "within",
        ),
        (NO_LEVER.to_string(), "vehicles.loans.cohorts=4", "vehicles.loans.cohorts", "must mature within"),
        (
            NO_LEVER.to_string(),
            "vehicles.loans.policy.first_loan_relief=2",
            "vehicles.loans.policy.first_loan_relief",
            "within",
        ),
        (
            NO_LEVER.replace("cohorts = 3", "cohorts = 3\nloans = 100"),
            "simulation.paths=10",
            "vehicles.loans.loans",
            "lending.applicants",
        ),
    ] {
        let f = scenario(dir.path(), "l.toml", &text);
        let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--set", set, "--out", "o", "--quiet"]);
        assert_eq!(o.status.code(), Some(2), "{set}");
        let err = stderr(&o);
        assert!(err.contains(key) && err.contains(rule), "{set}: {err}");
        assert!(!dir.path().join("o").exists());
    }
}

#[test]
fn a_lending_run_is_byte_identical_at_one_and_three_threads() {
    // Decisions, cohorts and the pool's state when each cohort is lent
    // depend only on (seed, path, applicant): 130 paths (two full blocks
    // and a partial one) give the same CSVs on 1 and 3 threads.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = scenario(d, "tl.toml", &shipped("tech_loans.toml"));
    for t in ["1", "3"] {
        let args = ["run", f.to_str().unwrap(), "--out", t, "--quiet", "--no-charts", "--paths", "130", "--threads", t];
        let o = fundsim(d, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for file in ["paths.csv", "summary.csv", "risk.csv", "timeseries.csv", "fiscal.csv"] {
        let (a, b) = (std::fs::read(d.join("1").join(file)).unwrap(), std::fs::read(d.join("3").join(file)).unwrap());
        assert!(!a.is_empty() && a == b, "{file} differs between 1 and 3 threads");
    }
}
