//! Investment-loan linkage on the same firms (`borrowers_from`, item 十):
//! the loans' defaults are the fund's failures on the same path, the fund's
//! results do not move when a programme lends to it, the loans and
//! co-investments follow the fund's investments one for one, a closed exit
//! market lowers the equity side, and a bad `borrowers_from` is refused.

mod common;
use common::*;

/// A 25-deal venture fund and a programme lending to its companies; the
/// bank's keys are appended.
fn scenario_text(paths: u32, bank: &str) -> String {
    format!(
        r#"[simulation]
paths = {paths}
seed = 7
years = 15
steps_per_year = 4

[vehicles.fund]
kind = "venture_fund"
commitment = 100.0
deals = 25
investment_period_years = 4.0
stage_mix = {{ seed = 0.3, early = 0.5, growth = 0.2, late = 0.0 }}
reserve_ratio = 0.3
management_fee = 0.02
term_years = 10.0
extension_years = 2.0

[vehicles.bank]
kind = "loan_program"
borrowers_from = "fund"
{bank}
"#
    )
}

/// The fund alone: `scenario_text` without the bank.
fn fund_only(paths: u32) -> String {
    let text = scenario_text(paths, "");
    text[..text.find("[vehicles.bank]").unwrap()].to_string()
}

/// A bank deciding on the fund's companies: three-year loans, a prior
/// annual PD of 4 %, the lending table's defaults (hurdle 1 %, dispersion
/// 0.5, screening noise 0.3); keys of the lending table may follow.
const LENDING: &str = "term_years = 3.0\npd = 0.04\n[vehicles.bank.lending]\n";

/// Sum of a column.
fn total(r: &fundsim::engine::Results, name: &str) -> f64 {
    col(r, name).iter().sum()
}

#[test]
fn with_a_lending_table_the_loans_made_are_among_those_offered_and_every_default_is_a_failure() {
    // Loans running past the fund's life: a loan the bank makes defaults
    // exactly when its company fails, so the defaults are some of the
    // fund's failures, and of the defaults the bank would have without
    // deciding (the same companies on the same paths).
    let decided = simulate(&scenario_text(2000, "term_years = 15.0\npd = 0.04\n[vehicles.bank.lending]"), &[], 0);
    let taken = simulate(&scenario_text(2000, "term_years = 15.0"), &[], 0);
    let failed = col(&decided, "fund.deals_failed");
    assert_eq!(failed, col(&taken, "fund.deals_failed"));
    let (offered, made) = (col(&decided, "bank.loans_offered"), col(&decided, "bank.loans_made"));
    let (defaults, all_defaults) = (col(&decided, "bank.defaults"), col(&taken, "bank.defaults"));
    let (baseline, additional) = (col(&decided, "bank.baseline_loans"), col(&decided, "bank.additional_loans"));
    for p in 0..failed.len() {
        assert_eq!(offered[p], 25.0, "path {p}: one offer per first investment");
        assert!(made[p] <= offered[p], "path {p}");
        assert!(defaults[p] <= made[p] && defaults[p] <= all_defaults[p], "path {p}");
        assert_eq!(all_defaults[p], failed[p], "path {p}");
        assert_eq!(baseline[p] + additional[p], made[p], "path {p}");
        assert_eq!(additional[p], 0.0, "path {p}: no lever, no additional loan");
    }
    // The decision is exercised: it turns companies away and the loans it
    // makes still default.
    assert!(total(&decided, "bank.loans_made") < 0.9 * total(&decided, "bank.loans_offered"));
    assert!(total(&decided, "bank.loans_made") > 0.1 * total(&decided, "bank.loans_offered"));
    assert!(total(&decided, "bank.defaults") > 500.0);

    // With follow-on loans the offers are the fund's investments of both
    // kinds, as without a decision.
    let decided = simulate(&scenario_text(1000, &format!("follow_on_loans = true\n{LENDING}")), &[], 0);
    let taken = simulate(&scenario_text(1000, "follow_on_loans = true\nterm_years = 3.0"), &[], 0);
    assert_eq!(col(&decided, "bank.loans_offered"), col(&taken, "bank.loans_offered"));
    assert!(total(&decided, "bank.loans_offered") > 25.0 * 1000.0 + 1000.0);
    for (m, o) in col(&decided, "bank.loans_made").iter().zip(col(&decided, "bank.loans_offered")) {
        assert!(*m <= o);
    }
}

#[test]
fn a_signal_without_information_lends_to_every_company_or_to_none_as_the_prior_says() {
    // pd_dispersion = 0: every company looks like the prior, a term PD of
    // q = 1 - 0.96^3 = 0.115264 over three years, so an expected annual
    // return of 0.04 - 0.02 - q x 0.45 / 3 = 0.0027104 per yuan lent. At a
    // hurdle of 0.002 the bank lends to every company: every bank column
    // is bit for bit the programme's without a lending table. At 0.004 it
    // lends to none.
    let taken = simulate(&scenario_text(500, "term_years = 3.0"), &[], 0);
    let all = simulate(&scenario_text(500, &format!("{LENDING}pd_dispersion = 0.0\nhurdle = 0.002")), &[], 0);
    let bank: Vec<String> =
        taken.columns.iter().filter(|c| c.vehicle == "bank").map(|c| format!("bank.{}", c.metric)).collect();
    assert!(!bank.is_empty());
    assert_eq!(bank.len(), all.columns.iter().filter(|c| c.vehicle == "bank").count());
    for name in &bank {
        let bits = |r| col(r, name).iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&taken), bits(&all), "{name}");
    }
    let none = simulate(&scenario_text(500, &format!("{LENDING}pd_dispersion = 0.0\nhurdle = 0.004")), &[], 0);
    for p in 0..500 {
        assert_eq!(col(&none, "bank.loans_offered")[p], 25.0);
        for m in ["loans_made", "credit", "defaults", "gross_loss", "interest_income", "warrant_gain"] {
            assert_eq!(col(&none, &format!("bank.{m}"))[p], 0.0, "path {p}: {m}");
        }
    }
}

/// Φ, Φ⁻¹ and the bivariate normal Φ₂(a, b; ρ) = ∫_{-∞}^a φ(x) Φ((b - ρx) /
/// sqrt(1 - ρ²)) dx (Simpson's rule over [-12, a], 20,000 intervals).
fn phi(x: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().cdf(x)
}

fn phi_inv(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}

fn phi2(a: f64, b: f64, rho: f64) -> f64 {
    let n = 20_000;
    let (lo, h) = (-12.0, (a + 12.0) / n as f64);
    let f = |x: f64| {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt() * phi((b - rho * x) / (1.0 - rho * rho).sqrt())
    };
    let mut sum = f(lo) + f(a);
    for i in 1..n {
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(lo + i as f64 * h);
    }
    sum * h / 3.0
}

#[test]
fn a_perfectly_informative_signal_lends_by_the_firms_risk_as_the_closed_form_says() {
    // screening_noise = 0: the bank reads each company's term threshold c
    // exactly and, without levers, lends when 0.02 - Φ(c) x 0.45 / 3 >=
    // 0.01, i.e. Φ(c) <= π* = 0.2. The company's risk and fate are one law
    // (docs/CREDIT.md section 11): c = c̄ + σ X, c̄ = Φ⁻¹(q) sqrt(1 + σ²), it
    // fails when V < v* = Φ⁻¹(q), corr(X, V) = ρ = -σ / sqrt(1 + σ²). So
    // with x* = (Φ⁻¹(π*) - c̄) / σ, P(lent | fails) = Φ₂(x*, v*; ρ) / q and
    // P(lent | survives) = (Φ(x*) - Φ₂(x*, v*; ρ)) / (1 - q), whatever
    // made the company fail. Each loan's draws are its own, so given the
    // fates the loans made are independent: binomial standard errors.
    let sigma: f64 = 1.0;
    let lending = format!("{LENDING}pd_dispersion = {sigma}\nscreening_noise = 0.0");
    let paths = 4000;
    let decided = simulate(&scenario_text(paths, &lending), &[], 0);
    let taken = simulate(&scenario_text(paths, "term_years = 3.0"), &[], 0);
    let q = 1.0 - 0.96f64.powi(3);
    let (c_bar, v_star) = (phi_inv(q) * (1.0 + sigma * sigma).sqrt(), phi_inv(q));
    let rho = -sigma / (1.0 + sigma * sigma).sqrt();
    let x_star = (phi_inv((0.02 - 0.01) * 3.0 / 0.45) - c_bar) / sigma;
    let joint = phi2(x_star, v_star, rho);
    let expected = [joint / q, (phi(x_star) - joint) / (1.0 - q)];
    // Offered loans whose company fails within the loan: the defaults
    // when every loan is taken; of them lent: the defaults when decided.
    let failing = total(&taken, "bank.defaults");
    let surviving = total(&taken, "bank.loans_offered") - failing;
    let lent_failing = total(&decided, "bank.defaults");
    let lent_surviving = total(&decided, "bank.loans_made") - lent_failing;
    for (k, (lent, n)) in [(lent_failing, failing), (lent_surviving, surviving)].into_iter().enumerate() {
        let (p, hat) = (expected[k], lent / n);
        let se = (p * (1.0 - p) / n).sqrt();
        assert!(n > 5000.0, "{n} loans: too few");
        assert!((hat - p).abs() < 4.0 * se, "case {k}: {hat} lent, closed form {p} (se {se}, {n} loans)");
    }
    // The two rates differ by far more than their errors: the screen works.
    assert!(expected[1] - expected[0] > 0.2, "{expected:?}");
}

#[test]
fn no_lever_lowers_the_loans_made_and_the_baseline_is_the_decision_without_levers() {
    // Common random numbers: the same fates and the same screening draws
    // with and without each lever, path by path. The IP pledge is compared
    // under a collateral requirement (firms read as riskier than 2 % a
    // year), which gives it its role; the others without one.
    let with = |keys: &str, lending: &str, tables: &str| {
        simulate(&scenario_text(1000, &format!("{keys}\n{LENDING}{lending}\n{tables}")), &[], 0)
    };
    let levers = [
        ("", "", "[vehicles.bank.policy.guarantee]\nshare = 0.5"),
        ("", "", "[vehicles.bank.policy.insurance]\nshare = 0.2\nbank_reward = 0.005"),
        ("", "", "[vehicles.bank.policy.risk_compensation]\nratio = 0.4"),
        ("ip_pledge_share = 0.5", "collateral_pd = 0.02", ""),
    ];
    for (keys, lending, tables) in levers {
        let base = with("", lending, "");
        let made = col(&base, "bank.loans_made");
        assert_eq!(made, col(&base, "bank.baseline_loans"));
        let r = with(keys, lending, tables);
        let (m, b) = (col(&r, "bank.loans_made"), col(&r, "bank.baseline_loans"));
        let (d, d_base) = (col(&r, "bank.defaults"), col(&base, "bank.defaults"));
        for p in 0..made.len() {
            assert!(m[p] >= made[p], "{keys}{tables}: path {p}, {} < {}", m[p], made[p]);
            assert_eq!(b[p], made[p], "{keys}{tables}: path {p}: the baseline is the decision without levers");
            // More loans to the same firms: the defaults of the base and more.
            assert!(d[p] >= d_base[p], "{keys}{tables}: path {p}");
        }
        let extra = total(&r, "bank.additional_loans");
        assert!(extra > 100.0, "{keys}{tables}: {extra} additional loans: the lever is not exercised");
    }
}

#[test]
fn with_loans_running_past_the_funds_life_every_failure_is_a_default_and_nothing_else() {
    // term_years = the horizon: every loan runs until the fund stops
    // following its company, so a loan defaults exactly when its company
    // fails while the fund holds it. The fund counts its failures itself.
    let r = simulate(&scenario_text(2000, "term_years = 15.0\nfollow_on_loans = true"), &[], 0);
    let (failed, defaults) = (col(&r, "fund.deals_failed"), col(&r, "bank.defaults"));
    let offered = col(&r, "bank.loans_offered");
    let mut total = 0.0;
    for p in 0..failed.len() {
        // With follow-on loans a failed company may have several loans.
        assert!(defaults[p] >= failed[p], "path {p}: {} defaults, {} failures", defaults[p], failed[p]);
        assert!(defaults[p] <= offered[p]);
        total += failed[p];
    }
    assert!(total > 1000.0, "{total} failures: too few for the check to mean anything");
    // One loan per company (no follow-ons): defaults = failures, path by path.
    let r = simulate(&scenario_text(2000, "term_years = 15.0"), &[], 0);
    assert_eq!(col(&r, "fund.deals_failed"), col(&r, "bank.defaults"));
}

#[test]
fn shorter_loans_default_on_a_subset_of_the_failures() {
    let long = simulate(&scenario_text(2000, "term_years = 15.0"), &[], 0);
    let short = simulate(&scenario_text(2000, "term_years = 1.0"), &[], 0);
    let (failed, d_long, d_short) =
        (col(&long, "fund.deals_failed"), col(&long, "bank.defaults"), col(&short, "bank.defaults"));
    assert_eq!(failed, col(&short, "fund.deals_failed"));
    assert!(d_short.iter().zip(&d_long).all(|(s, l)| s <= l));
    assert!(d_short.iter().sum::<f64>() < d_long.iter().sum::<f64>());
}

#[test]
fn the_funds_paths_are_byte_identical_with_and_without_the_loan_programme() {
    let dir = tempfile::tempdir().unwrap();
    let alone = scenario(dir.path(), "alone.toml", &fund_only(500));
    let linked = scenario(
        dir.path(),
        "linked.toml",
        &scenario_text(500, "warrant_coverage = 0.2\ncoinvest_share = 0.3\nfollow_on_loans = true\nloan_share = 0.5"),
    );
    // And with the bank deciding on each company (its own screening draws).
    let decided = scenario(
        dir.path(),
        "decided.toml",
        &scenario_text(500, &format!("warrant_coverage = 0.2\nfollow_on_loans = true\n{LENDING}")),
    );
    let mut fund_columns = Vec::new();
    for (f, out, threads) in [(&alone, "a", "1"), (&linked, "b", "1"), (&linked, "c", "3"), (&decided, "d", "1")] {
        let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--out", out, "--quiet", "--threads", threads]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = read(&dir.path().join(out).join("paths.csv"));
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        let keep: Vec<usize> = (0..rows[0].len()).filter(|&j| rows[0][j].starts_with("fund.")).collect();
        assert_eq!(keep.len(), fundsim::vehicles::venture_fund::METRICS.len());
        let fund: Vec<String> = rows.iter().map(|r| keep.iter().map(|&j| r[j]).collect::<Vec<_>>().join(",")).collect();
        fund_columns.push(fund.join("\n"));
    }
    assert_eq!(fund_columns[0], fund_columns[1], "the fund's columns moved with the loan programme");
    assert_eq!(fund_columns[0], fund_columns[3], "the fund's columns moved with the bank's decision");
    // And the whole file, the bank's columns included, at any thread count.
    assert_eq!(read(&dir.path().join("b/paths.csv")), read(&dir.path().join("c/paths.csv")));
}

#[test]
fn one_loan_per_investment_of_the_kind_the_rule_names_sized_by_the_rule() {
    // A large cap: each loan is loan_share x the fund's cheque, so the
    // credit is that share of what the fund invested in the investments of
    // the kind named, and the arm's co-investment that share of all of it.
    let (s, c) = (0.4, 0.25);
    let bank = |follow: bool| {
        format!("loan_size = 1000.0\nloan_share = {s}\ncoinvest_share = {c}\nfollow_on_loans = {follow}")
    };
    let firsts = simulate(&scenario_text(1000, &bank(false)), &[], 0);
    let all = simulate(&scenario_text(1000, &bank(true)), &[], 0);
    // The fund's initial ticket: investable capital less the reserve, over
    // the deals (MODEL.md 4.1): 100 x (1 - 0.02 x 10) x (1 - 0.3) / 25.
    let ticket = 100.0 * (1.0 - 0.02 * 10.0) * (1.0 - 0.3) / 25.0;
    let deals: Vec<f64> = ["failed", "ipo", "acquired", "private"]
        .iter()
        .map(|k| col(&firsts, &format!("fund.deals_{k}")))
        .fold(vec![0.0; 1000], |acc, x| acc.iter().zip(&x).map(|(a, b)| a + b).collect());
    let mut follow_ons = 0.0;
    for (p, &n) in deals.iter().enumerate() {
        assert_eq!(n, 25.0, "path {p}");
        assert_eq!(col(&firsts, "bank.loans_offered")[p], 25.0);
        assert_eq!(col(&firsts, "bank.loans_made")[p], 25.0);
        assert!(close(col(&firsts, "bank.credit")[p], 25.0 * s * ticket));
        let invested = col(&all, "fund.invested")[p];
        assert!(close(col(&all, "bank.credit")[p], s * invested), "path {p}");
        assert!(col(&all, "bank.loans_offered")[p] >= 25.0);
        follow_ons += col(&all, "bank.loans_offered")[p] - 25.0;
        for r in [&firsts, &all] {
            assert!(close(col(r, "bank.coinvested")[p], c * invested));
            let gross = col(r, "fund.gross_multiple")[p] * invested;
            assert!(close(col(r, "bank.coinvest_proceeds")[p], c * gross));
            // The linkage metrics from the others.
            let gain =
                col(r, "bank.warrant_gain")[p] + col(r, "bank.coinvest_proceeds")[p] - col(r, "bank.coinvested")[p];
            let net_loss = col(r, "bank.bank_net_loss")[p];
            assert!(close(col(r, "bank.linked_equity_gain")[p], gain));
            assert!(close(col(r, "bank.linkage_net")[p], gain - net_loss));
            assert_eq!(col(r, "bank.equity_covers_losses")[p], (gain >= net_loss) as u8 as f64);
        }
    }
    assert!(follow_ons > 1000.0, "{follow_ons} follow-on loans: the follow-on rule is not exercised");
}

#[test]
fn a_guidance_funds_sub_funds_lend_the_same_way() {
    // Default guidance fund: ten sub-funds of 1000 / (10 x 0.25) = 400,
    // each closing at its target, with the default venture-fund terms: an
    // initial ticket of 400 x (1 - 0.02 x 10) x (1 - 0.3) / 25 = 8.96.
    // Companies enter at a median value of 1,000 (sd of log 0.5), so a
    // ticket is never cut to a company's value (that takes a draw 9.4 sd
    // below the median) and every cheque is the full ticket.
    let text = r#"[simulation]
paths = 500
seed = 3
years = 15
steps_per_year = 4
[vehicles.angel]
kind = "guidance_fund"
[vehicles.bank]
kind = "loan_program"
borrowers_from = "angel"
loan_size = 1000.0
loan_share = 0.5
term_years = 15.0
[stages.seed]
entry_valuation = 1000.0
[stages.early]
entry_valuation = 1000.0
[stages.growth]
entry_valuation = 1000.0
[stages.late]
entry_valuation = 1000.0
"#;
    let r = simulate(text, &[], 0);
    let (funded, credit, offered) =
        (col(&r, "angel.companies_funded"), col(&r, "bank.credit"), col(&r, "bank.loans_offered"));
    assert!(funded.iter().sum::<f64>() > 1000.0);
    for p in 0..500 {
        assert_eq!(offered[p], funded[p], "path {p}");
        assert!(close(credit[p], 0.5 * 8.96 * funded[p]), "path {p}: {} vs {}", credit[p], funded[p]);
    }
}

#[test]
fn a_closed_exit_market_lowers_the_equity_gain_and_the_net_by_more_than_three_paired_standard_errors() {
    // The same paths with every regime's exit multipliers at their minimum
    // (the closed state's): fewer and cheaper exits, so less on the
    // warrants and the co-investment; more companies stay private long
    // enough to fail.
    let bank = "warrant_coverage = 0.1\ncoinvest_share = 0.1\nterm_years = 3.0\nloan_share = 1.0";
    let text = scenario_text(2000, bank);
    let open = simulate(&text, &[], 0);
    let closed = simulate(
        &text,
        &[
            "market.regimes.ipo_multiplier=[0.2, 0.2, 0.2]",
            "market.regimes.acquisition_multiplier=[0.7, 0.7, 0.7]",
            "market.regimes.valuation_multiplier=[0.8, 0.8, 0.8]",
        ],
        0,
    );
    for m in ["bank.linked_equity_gain", "bank.linkage_net"] {
        let d: Vec<f64> = col(&open, m).iter().zip(col(&closed, m)).map(|(a, b)| a - b).collect();
        let (mean, se) = mean_se(&d);
        assert!(mean > 3.0 * se, "{m}: open - closed = {mean} (paired se {se})");
    }
}

/// `fundsim run` on `text` fails with exit 2, writes nothing, and its
/// message contains each of `expect`.
fn refused(text: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", text);
    let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--out", "out", "--quiet"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing may be written");
}

#[test]
fn a_bad_borrowers_from_is_refused_with_the_key_the_value_and_the_rule() {
    let key = "vehicles.bank.borrowers_from";
    // An unknown name.
    let text = scenario_text(10, "").replace("borrowers_from = \"fund\"", "borrowers_from = \"fnd\"");
    refused(&text, &[key, "\"fnd\"", "must name a vehicle of the scenario (it has fund, bank)"]);
    // Not an equity vehicle: another loan programme, or the programme
    // itself (the only way to make a cycle).
    let other =
        format!("{}\n[vehicles.other]\nkind = \"loan_program\"\nborrowers_from = \"bank\"\n", scenario_text(10, ""));
    refused(
        &other,
        &["vehicles.other.borrowers_from", "\"bank\"", "must name a venture_fund or guidance_fund vehicle"],
    );
    let own = scenario_text(10, "").replace("borrowers_from = \"fund\"", "borrowers_from = \"bank\"");
    refused(&own, &[key, "\"bank\"", "must name a venture_fund or guidance_fund vehicle"]);
    // A fund listed after the programme.
    let after = "[simulation]\npaths = 10\nyears = 15\n[vehicles.bank]\nkind = \"loan_program\"\n\
                 borrowers_from = \"fund\"\n[vehicles.fund]\nkind = \"venture_fund\"\n";
    refused(after, &[key, "\"fund\"", "must name a vehicle listed before the loan programme"]);
}

#[test]
fn keys_that_do_not_apply_are_refused_with_or_without_borrowers_from() {
    refused(
        &scenario_text(10, "loans = 30\nborrower_stage = \"seed\""),
        &["vehicles.bank.loans", "vehicles.bank.borrower_stage", "is set by the fund with borrowers_from"],
    );
    refused(
        &fund_only(10)
            .replace("[vehicles.fund]", "[vehicles.l]\nkind = \"loan_program\"\ncoinvest_share = 0.1\n[vehicles.fund]"),
        &["vehicles.l.coinvest_share", "applies only to a programme that lends to a fund's companies"],
    );
    refused(&scenario_text(10, "loan_share = 0.0"), &["vehicles.bank.loan_share", "must be > 0"]);
    refused(&scenario_text(10, "coinvest_share = -1.0"), &["vehicles.bank.coinvest_share", "-1"]);
    // A lending table: the bank's prior PD is needed, and what concerns
    // applicants of the programme's own, a subsidy's effect on the fate or
    // a pool that runs dry is refused.
    refused(
        &scenario_text(10, "[vehicles.bank.lending]"),
        &["vehicles.bank.pd", "must be given with borrowers_from and a lending table"],
    );
    refused(
        &scenario_text(10, "pd = 0.04\n[vehicles.bank.lending]\napplicants = 100\nmoral_hazard = 0.5"),
        &[
            "vehicles.bank.lending.applicants",
            "vehicles.bank.lending.moral_hazard",
            "does not apply with borrowers_from",
        ],
    );
    refused(
        &scenario_text(
            10,
            "pd = 0.04\n[vehicles.bank.lending]\n[vehicles.bank.policy]\nsubsidy_pd_elasticity = 1.0\n\
             [vehicles.bank.policy.risk_compensation]\nratio = 0.3\npool_size = 10.0",
        ),
        &[
            "vehicles.bank.policy.subsidy_pd_elasticity",
            "a subsidy cannot change",
            "vehicles.bank.policy.risk_compensation.pool_size",
            "is not supported with borrowers_from and a lending table yet",
        ],
    );
    // `pd` without a lending table is still the fund's business.
    refused(&scenario_text(10, "pd = 0.04"), &["vehicles.bank.pd", "is set by the fund with borrowers_from"]);
}

#[test]
fn the_report_draws_credit_losses_against_equity_gains_only_for_a_bank_with_an_equity_side() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bank, drawn) in [("with", "warrant_coverage = 0.1", true), ("without", "", false)] {
        let f = scenario(dir.path(), &format!("{name}.toml"), &scenario_text(200, bank));
        let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--out", name, "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = dir.path().join(name);
        assert_eq!(out.join("charts/linkage_bank.svg").exists(), drawn, "{name}");
        assert_eq!(read(&out.join("report.html")).contains("Credit losses against equity gains"), drawn, "{name}");
    }
}

#[test]
fn a_linked_programmes_fiscal_cost_is_its_dated_outlays_on_the_one_basis() {
    // Risk sharing, rewards and subsidies on loans to the fund's companies:
    // the nominal cost is the sum of the parts in every path, the present
    // value at a positive rate is below it (outlays come after time 0),
    // and at a rate of 0 the two are equal bit for bit.
    let bank = "term_years = 3.0\nloan_share = 0.5\nloan_size = 5.0\n\
                [vehicles.bank.policy]\ninterest_subsidy = 0.01\n\
                [vehicles.bank.policy.guarantee]\nshare = 0.5\nfee = 0.01\nfee_subsidy = 0.5\nreguarantee_share = 0.5\n\
                [vehicles.bank.policy.insurance]\nshare = 0.2\nbank_reward = 0.005\ninsurer_reward = 0.01\n\
                [vehicles.bank.policy.risk_compensation]\nratio = 0.4";
    let text = scenario_text(300, bank);
    let r = simulate(&text, &[], 0);
    let (pv, nominal) = (col(&r, "bank.fiscal_cost"), col(&r, "bank.fiscal_cost_nominal"));
    let parts =
        ["compensation_paid", "reguarantee_cost", "subsidy_cost", "reward_cost"].map(|m| col(&r, &format!("bank.{m}")));
    for p in 0..pv.len() {
        let sum: f64 = parts.iter().map(|c| c[p]).sum();
        assert!(sum > 0.0, "path {p}: the policy costs something");
        assert!(close(nominal[p], sum), "path {p}: nominal {} vs parts {sum}", nominal[p]);
        assert!(pv[p] < nominal[p], "path {p}: {} >= {}", pv[p], nominal[p]);
    }
    let r0 = simulate(&text, &["fiscal.discount_rate=0.0"], 0);
    let (pv0, nominal0) = (col(&r0, "bank.fiscal_cost"), col(&r0, "bank.fiscal_cost_nominal"));
    for p in 0..pv0.len() {
        assert_eq!(pv0[p].to_bits(), nominal0[p].to_bits(), "path {p}");
        assert_eq!(
            nominal0[p].to_bits(),
            nominal[p].to_bits(),
            "path {p}: the nominal cost does not depend on the rate"
        );
    }
}
