//! The loan programme (MODEL.md 4.4) against independent computations:
//! the finite-portfolio Vasicek mixture, expected loss, the loss-allocation
//! identities path by path, common random numbers, and bad input.

mod common;
use common::*;
use fundsim::engine::Results;

fn run(text: &str, sets: &[&str], threads: usize) -> Results {
    simulate(text, sets, threads)
}

/// 10,000 one-year loans, k = 1, PD 2 %, rho 0.12, LGD 1.
const VASICEK: &str = r#"
name = "vasicek"
[simulation]
paths = 2000
seed = 7
years = 1
steps_per_year = 1
[market]
factor_correlation = 0.12
[vehicles.loans]
kind = "loan_program"
loans = 10000
loan_size = 1.0
pd = 0.02
lgd = 1.0
"#;

#[test]
fn default_counts_follow_the_finite_portfolio_vasicek_mixture() {
    let r = run(VASICEK, &[], 2);
    let counts: Vec<u64> = col(&r, "loans.defaults").iter().map(|&d| d as u64).collect();
    let (n, pd, rho) = (10_000u64, 0.02f64, 0.12f64);
    let d = vasicek_ks_distance(&counts, n, pd, rho);
    // Level 5 %: 1.36 / sqrt(N) (conservative for a discrete distribution).
    let critical = 1.36 / (counts.len() as f64).sqrt();
    eprintln!("KS distance {d}, critical {critical}");
    assert!(d < critical, "KS distance {d} >= {critical}");
    // Mean default rate within 3 standard errors of the PD.
    let (mean, se) = mean_se(&col(&r, "loans.default_rate"));
    assert!((mean - pd).abs() < 3.0 * se, "mean {mean} se {se}");
}

#[test]
fn one_year_default_counts_follow_vasicek_at_the_one_year_rho_at_any_step_size() {
    // A one-year cohort simulated in 1, 2, 4 or 12 steps: `factor_correlation`
    // is a one-year correlation, so the year's default count must follow
    // the finite-portfolio Vasicek law at rho = 0.12 whatever k is
    // (MODEL.md section 3). Exits are switched off (an exited borrower can
    // no longer default). 4,000 paths of 4,000 loans; KS at the 5 % level,
    // 1.36 / sqrt(N) = 0.0215. A factor drawn afresh every step fails this
    // at k = 4 with D ~ 0.18.
    let (n, pd, rho) = (4_000u64, 0.02f64, 0.12f64);
    for k in [1, 2, 4, 12] {
        let sets = [
            format!("simulation.steps_per_year={k}"),
            "vehicles.loans.loans=4000".to_string(),
            "simulation.paths=4000".to_string(),
            "stages.growth.ipo_rate=0.0".to_string(),
            "stages.growth.acquisition_rate=0.0".to_string(),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let r = run(VASICEK, &sets, 2);
        let counts: Vec<u64> = col(&r, "loans.defaults").iter().map(|&d| d as u64).collect();
        let d = vasicek_ks_distance(&counts, n, pd, rho);
        let critical = 1.36 / (counts.len() as f64).sqrt();
        eprintln!("k = {k}: KS distance {d:.4}, critical {critical:.4}");
        assert!(d < critical, "k = {k}: KS distance {d} >= {critical}");
    }
}

#[test]
fn mean_gross_loss_is_n_times_loan_times_pd_times_lgd() {
    let r = run(VASICEK, &["vehicles.loans.lgd=0.45", "vehicles.loans.loan_size=3.0"], 2);
    let (mean, se) = mean_se(&col(&r, "loans.gross_loss"));
    let expected = 10_000.0 * 3.0 * 0.02 * 0.45;
    assert!((mean - expected).abs() < 3.0 * se, "mean {mean} vs {expected}, se {se}");
}

const LEVERS: &str = r#"
name = "levers"
[simulation]
paths = 300
seed = 11
years = 3
steps_per_year = 4
[vehicles.loans]
kind = "loan_program"
loans = 400
loan_size = 2.0
term_years = 2.0
pd = 0.05
lgd = 0.6
ip_pledge_share = 0.3
first_loan_share = 0.4
[vehicles.loans.policy]
interest_subsidy = 0.01
[vehicles.loans.policy.guarantee]
share = 0.4
[vehicles.loans.policy.insurance]
share = 0.3
[vehicles.loans.policy.risk_compensation]
ratio = 0.5
pool_size = 20.0
per_loan_cap = 0.1
"#;

#[test]
fn losses_are_fully_allocated_in_every_path() {
    let r = run(LEVERS, &[], 2);
    let gross = col(&r, "loans.gross_loss");
    let parts = ["guarantor_loss", "insurer_loss", "compensation_paid", "bank_net_loss"]
        .map(|m| col(&r, &format!("loans.{m}")));
    let lent = 400.0 * 2.0;
    for p in 0..gross.len() {
        let sum: f64 = parts.iter().map(|c| c[p]).sum();
        assert!(close(sum, gross[p]), "path {p}: {sum} vs {}", gross[p]);
        assert!(col(&r, "loans.compensation_paid")[p] <= 20.0 + 1e-9);
        // Rewards: 0.5 % of the amount lent to the bank, 1 % of the amount
        // insured to the insurer (all loans are insured).
        assert!(close(col(&r, "loans.reward_cost")[p], 0.005 * lent + 0.01 * lent));
        // The nominal fiscal cost is the sum of its parts (undiscounted);
        // `fiscal_cost`, its present value, is checked in tests/fiscal.rs.
        let fiscal = ["compensation_paid", "reguarantee_cost", "subsidy_cost", "reward_cost"]
            .iter()
            .map(|m| col(&r, &format!("loans.{m}"))[p])
            .sum::<f64>();
        assert!(close(fiscal, col(&r, "loans.fiscal_cost_nominal")[p]));
        assert!(close(fiscal, col(&r, "total.fiscal_cost_nominal")[p]));
        // Premiums (the default 0.02 a year) and
        // guarantee fees (0.01) accrue on the same performing loan-steps as
        // interest (rate 0.04), so they are fixed fractions of it.
        let interest = col(&r, "loans.interest_income")[p];
        let insurer = 0.02 / 0.04 * interest + 0.01 * lent - col(&r, "loans.insurer_loss")[p];
        assert!(close(col(&r, "loans.insurer_net")[p], insurer));
        let guarantor =
            0.01 / 0.04 * interest - col(&r, "loans.guarantor_loss")[p] + col(&r, "loans.reguarantee_cost")[p];
        assert!(close(col(&r, "loans.guarantor_net")[p], guarantor));
        // The re-guarantee bears its share (default 0.5) of the guarantor's payments.
        assert!(close(col(&r, "loans.reguarantee_cost")[p], 0.5 * col(&r, "loans.guarantor_loss")[p]));
    }
}

#[test]
fn an_unlimited_pool_of_ratio_c_leaves_the_bank_one_minus_c_of_the_loss() {
    let text = format!("{VASICEK}\n[vehicles.loans.policy.risk_compensation]\nratio = 0.35\n");
    let r = run(&text, &["simulation.paths=300", "vehicles.loans.lgd=0.45"], 2);
    let (gross, net, pool) =
        (col(&r, "loans.gross_loss"), col(&r, "loans.bank_net_loss"), col(&r, "loans.pool_exhausted"));
    for p in 0..gross.len() {
        assert!(close(net[p], 0.65 * gross[p]), "path {p}");
        assert_eq!(pool[p], 0.0);
    }
}

#[test]
fn a_finite_pool_pays_min_of_claims_and_size_and_flags_exhaustion_exactly() {
    // Only a pool: claims are ratio x gross loss; it pays min(claims, size)
    // and is exhausted exactly when the claims exceed its size.
    let (c, size) = (0.5, 30.0);
    let text = format!("{VASICEK}\n[vehicles.loans.policy.risk_compensation]\nratio = {c}\npool_size = {size}\n");
    let r = run(&text, &["simulation.paths=500", "vehicles.loans.lgd=0.45", "vehicles.loans.loans=2000"], 2);
    let (gross, comp, pool) =
        (col(&r, "loans.gross_loss"), col(&r, "loans.compensation_paid"), col(&r, "loans.pool_exhausted"));
    let mut exhausted = 0;
    for p in 0..gross.len() {
        let claims = c * gross[p];
        assert!(close(comp[p], claims.min(size)), "path {p}: {} vs {}", comp[p], claims.min(size));
        assert_eq!(pool[p] == 1.0, claims > size + 1e-9, "path {p}: claims {claims}");
        exhausted += pool[p] as usize;
    }
    assert!(exhausted > 0 && exhausted < gross.len(), "the case must exercise both outcomes: {exhausted}");
}

#[test]
fn levers_that_do_not_change_behaviour_leave_defaults_identical_in_every_path() {
    let a = run(LEVERS, &[], 1);
    let b = run(LEVERS, &["vehicles.loans.policy.risk_compensation.ratio=0.2"], 2);
    let c =
        run(LEVERS, &["vehicles.loans.policy.guarantee.share=0.7", "vehicles.loans.policy.interest_subsidy=0.02"], 2);
    let d = run(LEVERS, &["vehicles.loans.warrant_coverage=0.1"], 2);
    let base = col(&a, "loans.defaults");
    assert_eq!(base, col(&b, "loans.defaults"));
    assert_eq!(base, col(&c, "loans.defaults"));
    assert_eq!(base, col(&d, "loans.defaults"), "warrants read more draws but must not move defaults");
    assert_ne!(col(&a, "loans.bank_net_loss"), col(&b, "loans.bank_net_loss"));
}

#[test]
fn a_pd_elastic_interest_subsidy_never_raises_defaults_in_any_path() {
    let a = run(LEVERS, &["vehicles.loans.policy.subsidy_pd_elasticity=0.0"], 2);
    let b = run(LEVERS, &["vehicles.loans.policy.subsidy_pd_elasticity=1.0"], 2);
    let (da, db) = (col(&a, "loans.defaults"), col(&b, "loans.defaults"));
    assert!(da.iter().zip(&db).all(|(x, y)| y <= x));
    assert!(db.iter().sum::<f64>() < da.iter().sum::<f64>());
}

#[test]
fn ip_pledge_losses_average_one_minus_the_mean_recovery() {
    // All loans IP-backed, lgd 1: loss per default = lgd (1 - R), R ~ Beta(mean 0.3, sd
    // 0.15). Over the ~60,000 defaults pooled here the mean of 1 - R has
    // standard error about 0.15 / sqrt(60,000) = 0.0006; 0.003 is 5 se.
    let r = run(VASICEK, &["vehicles.loans.ip_pledge_share=1.0", "simulation.paths=300"], 2);
    let (loss, defaults) = (col(&r, "loans.gross_loss"), col(&r, "loans.defaults"));
    let per_default = loss.iter().sum::<f64>() / defaults.iter().sum::<f64>();
    assert!((per_default - 0.7).abs() < 0.003, "{per_default}");
}

#[test]
fn first_time_borrowers_default_at_the_multiplied_pd() {
    let r = run(
        VASICEK,
        &[
            "vehicles.loans.first_loan_share=1.0",
            "vehicles.loans.first_loan_pd_multiplier=2.0",
            "simulation.paths=1000",
        ],
        2,
    );
    let (mean, se) = mean_se(&col(&r, "loans.default_rate"));
    assert!((mean - 0.04).abs() < 3.0 * se, "{mean} se {se}");
}

#[test]
fn warrants_pay_on_a_certain_acquisition_as_worked_by_hand() {
    // PD 0 and acquisition for certain in the first step (k = 1), at
    // value x 1.5 with valuation multipliers 1: each warrant pays
    // coverage x loan x (1.5 - 1) = 0.2 x 2 x 0.5 = 0.2; 50 loans: 10.
    let text = r#"
[simulation]
paths = 64
years = 2
steps_per_year = 1
[market.regimes]
acquisition_multiplier = [1.0, 1.0, 1.0]
valuation_multiplier = [1.0, 1.0, 1.0]
[stages.growth]
acquisition_rate = 1.0
ipo_rate = 0.0
acquisition_multiple = 1.5
[vehicles.loans]
kind = "loan_program"
loans = 50
loan_size = 2.0
term_years = 2.0
pd = 0.0
warrant_coverage = 0.2
interest_rate = 0.05
funding_cost = 0.02
"#;
    let r = run(text, &[], 2);
    for p in 0..64 {
        assert!(close(col(&r, "loans.warrant_gain")[p], 10.0));
        assert_eq!(col(&r, "loans.defaults")[p], 0.0);
        // An acquired borrower repays at maturity: two years of interest.
        assert!(close(col(&r, "loans.interest_income")[p], 50.0 * 2.0 * 0.05 * 2.0));
        // Bank return: (interest 10 + warrants 10 - funding 4) / 100.
        assert!(close(col(&r, "loans.bank_return")[p], 0.16));
    }
}

#[test]
fn bad_loan_input_is_exit_2_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = LEVERS;
    for (set, key, rule) in [
        ("vehicles.loans.policy.insurance.share=0.7", "vehicles.loans.policy.insurance.share", "must not exceed 1"),
        ("vehicles.loans.interest_rate=-0.01", "vehicles.loans.interest_rate", "must be within"),
        (
            "vehicles.loans.policy.risk_compensation.ratio=1.2",
            "vehicles.loans.policy.risk_compensation.ratio",
            "must be within [0, 1]",
        ),
        ("vehicles.loans.funding_cost=-1", "vehicles.loans.funding_cost", "must be within"),
        ("vehicles.loans.borrower_stage=\"mature\"", "vehicles.loans.borrower_stage", "must be one of"),
    ] {
        let f = scenario(dir.path(), "l.toml", base);
        let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--set", set, "--out", "o", "--quiet"]);
        assert_eq!(o.status.code(), Some(2), "{set}");
        let err = stderr(&o);
        assert!(err.contains(key) && err.contains(rule), "{set}: {err}");
        assert!(!dir.path().join("o").exists());
    }
}

#[test]
fn a_downturn_lgd_follows_the_years_factor_path_by_path() {
    // k = 1, one year, no IP: every default of a path loses
    // min(1, lgd exp(-d Y - d^2/2)) of its principal, Y the path's year
    // factor (drawn here from the same market stream as the engine's).
    use fundsim::model::market::MarketPath;
    use fundsim::rng::{MARKET, stream};
    use fundsim::scenario::load_str;
    let (d, lgd) = (0.3f64, 0.45f64);
    let sets = ["vehicles.loans.downturn_lgd=0.3", "vehicles.loans.lgd=0.45", "simulation.paths=200"];
    let r = run(VASICEK, &sets, 2);
    let scn = load_str(VASICEK, "v.toml", &[]).unwrap().scenario;
    let (loss, defaults) = (col(&r, "loans.gross_loss"), col(&r, "loans.defaults"));
    let mut market = MarketPath::default();
    let mut capped = 0;
    for p in 0..loss.len() {
        market.simulate(&scn.market, 1, 1, &mut stream(scn.seed, p as u64, MARKET));
        let y = market.year_factor[0];
        let rate = (lgd * (-d * y - 0.5 * d * d).exp()).min(1.0);
        capped += (rate == 1.0) as usize;
        assert!(close(loss[p], defaults[p] * rate), "path {p}: {} vs {}", loss[p], defaults[p] * rate);
    }
    assert!(capped < loss.len() / 10, "the cap binds in {capped} paths");
    // Off by default: the loss per default is lgd exactly.
    let r = run(VASICEK, &["vehicles.loans.lgd=0.45", "simulation.paths=50"], 2);
    for (l, n) in col(&r, "loans.gross_loss").iter().zip(col(&r, "loans.defaults")) {
        assert!(close(*l, n * 0.45));
    }
}
