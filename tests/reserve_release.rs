//! Reserve release (issue 14): a deal's earmark released at a milestone
//! without a step-up, and follow-ons above pro rata from released reserve,
//! worked by hand on one deterministic company; the switch that restores
//! pro-rata-only follow-ons; and the capital called on the shipped fund.

mod common;
use common::*;

/// One seed company worth 100 at entry that never fails or exits, with a
/// milestone every step while seed and early: at seed a step-up of 1.5 is
/// needed to price a round and value does not move, so its first
/// milestone (step 1) is flat; at early any milestone is a priced round
/// (step-up 1, no pricing error, dilution 0.2, no drift), so step 2 raises
/// at 100 / 0.8 = 125; growth has no milestones and drifts 10 % a year with
/// no volatility. One deal: commitment 10, half of it reserve, so a ticket
/// of 5 buys 5 % and the earmark is 5; no fees, hurdle or carry; a 2-year
/// life sold at value (haircut 1) at its end (fund age 7).
fn one_deal() -> String {
    r#"name = "one deal"
[simulation]
paths = 2
seed = 11
years = 2
steps_per_year = 4
[market]
high_growth_share = 0.0
[stages.seed]
failure_rate = 0.0
ipo_rate = 0.0
acquisition_rate = 0.0
next_round_rate = 1.0
entry_valuation = 100.0
entry_valuation_sigma = 0.0
step_up = 1.5
value_drift = 0.0
value_vol = 0.0
[stages.early]
failure_rate = 0.0
ipo_rate = 0.0
acquisition_rate = 0.0
next_round_rate = 1.0
step_up = 1.0
step_up_sigma = 0.0
dilution = 0.2
value_drift = 0.0
value_vol = 0.0
[stages.growth]
failure_rate = 0.0
ipo_rate = 0.0
acquisition_rate = 0.0
next_round_rate = 0.0
value_drift = 0.1
value_vol = 0.0
[vehicles.fund]
kind = "venture_fund"
commitment = 10.0
deals = 1
investment_period_years = 0.25
stage_mix = { seed = 1.0 }
reserve_ratio = 0.5
recycling_cap = 0.0
management_fee = 0.0
term_years = 2.0
extension_years = 0.0
terminal_haircut = 1.0
hurdle = 0.0
carry = 0.0
"#
    .to_string()
}

/// Value at the final sale: 125 after the round, then five growth steps
/// (ages 3 to 7) of 0.1 / 4 each in logs.
fn final_value() -> f64 {
    125.0 * (5.0 * 0.1 / 4.0f64).exp()
}

#[test]
fn a_flat_milestone_releases_the_earmark_and_a_step_up_round_takes_it_above_pro_rata() {
    // Step 1: a flat milestone releases the earmark of 5. Step 2: the
    // round at 125; pro rata is 5 % x 0.2 x 125 = 1.25, twice that 2.5
    // (below the round's 25 of new money), all from the released 5.
    // Ownership 5 % x 0.8 + 2.5 / 125 = 6 %; paid in 5 + 2.5.
    let r = simulate(&one_deal(), &[], 1);
    assert!(close(one(&r, "fund.paid_in"), 7.5), "{}", one(&r, "fund.paid_in"));
    assert!(close(one(&r, "fund.invested"), 7.5));
    assert!(close(one(&r, "fund.distributed"), 0.06 * final_value()));

    // Three times pro rata: 3.75 of the 5 released; ownership 4 % + 3 %.
    let r = simulate(&one_deal(), &["vehicles.fund.follow_on_limit=3"], 1);
    assert!(close(one(&r, "fund.paid_in"), 8.75));
    assert!(close(one(&r, "fund.distributed"), 0.07 * final_value()));

    // A limit so high that the round's new money binds: 25 wanted, 5
    // released, so 5 invested: ownership 4 % + 5 / 125 = 8 %.
    let r = simulate(&one_deal(), &["vehicles.fund.follow_on_limit=10"], 1);
    assert!(close(one(&r, "fund.paid_in"), 10.0));
    assert!(close(one(&r, "fund.distributed"), 0.08 * final_value()));
}

#[test]
fn without_reserve_release_follow_ons_are_pro_rata_from_the_earmark() {
    // The earmark stays with the deal through the flat milestone and pays
    // the pro-rata 1.25 at the round: ownership stays 5 %, paid in 6.25,
    // whatever the limit says.
    for limit in ["1", "2", "10"] {
        let r = simulate(
            &one_deal(),
            &["vehicles.fund.reserve_release=false", &format!("vehicles.fund.follow_on_limit={limit}")],
            1,
        );
        assert!(close(one(&r, "fund.paid_in"), 6.25), "limit {limit}: {}", one(&r, "fund.paid_in"));
        assert!(close(one(&r, "fund.distributed"), 0.05 * final_value()));
    }
    // With release on and a limit of 1 the same pro-rata 1.25 comes from
    // the released earmark instead: the same cash flows.
    let r = simulate(&one_deal(), &["vehicles.fund.follow_on_limit=1"], 1);
    assert!(close(one(&r, "fund.paid_in"), 6.25));
    assert!(close(one(&r, "fund.distributed"), 0.05 * final_value()));
}

#[test]
fn a_follow_on_limit_below_pro_rata_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "s.toml", &one_deal());
    let o = fundsim(
        dir.path(),
        &["run", file.to_str().unwrap(), "--quiet", "--out", "out", "--set", "vehicles.fund.follow_on_limit=0.5"],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("vehicles.fund.follow_on_limit") && e.contains("0.5"), "{e}");
    assert!(!dir.path().join("out").exists(), "nothing is written");
}
