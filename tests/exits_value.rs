//! Value-dependent exits (MODEL.md 4.3, issue 14) against independent
//! computations: the hazard multipliers worked by hand, one step's exit
//! frequencies of a large cohort at a known value against the scaled
//! probabilities (binomial error), a certain IPO at its hand price, and
//! the zero-elasticity case against the model without the mechanism, draw
//! for draw and on a whole fund run (the venture fund's output before the
//! mechanism existed, kept in `tests/exits_value/`).

mod common;
use common::*;

use fundsim::model::company::{Company, Event, Stage, Status};
use fundsim::model::market::MarketPath;
use fundsim::rng::{MARKET, company_key, path_key, stream, vehicle_key};
use fundsim::scenario::load_str;

/// One exit-market state with multipliers 1, one step a year, no
/// high-growth type, no failures or milestones at the early stage, and the
/// given exit rates and elasticities.
fn scenario(ipo: f64, acquisition: f64, beta_ipo: f64, beta_acq: f64, cap: f64) -> fundsim::scenario::Scenario {
    let text = format!(
        "[simulation]\nyears = 1\nsteps_per_year = 1\n\
         [market]\nhigh_growth_share = 0.0\nipo_value_elasticity = {beta_ipo}\n\
         acquisition_value_elasticity = {beta_acq}\nexit_value_cap = {cap}\n\
         [market.regimes]\nstates = [\"normal\"]\ninitial = [1.0]\ntransition = [[1.0]]\n\
         ipo_multiplier = [1.0]\nacquisition_multiplier = [1.0]\nvaluation_multiplier = [1.0]\n\
         [stages.early]\nfailure_rate = 0.0\nipo_rate = {ipo}\nacquisition_rate = {acquisition}\n\
         next_round_rate = 0.0\nentry_valuation = 60.0\n\
         [vehicles.f]\nkind = \"venture_fund\"\n"
    );
    load_str(&text, "exits_value.toml", &[]).unwrap().scenario
}

const EARLY: usize = 1;

#[test]
fn hazard_multipliers_match_the_hand_computation() {
    // Early stage, reference value E = 60; beta 0.5 (IPO) and 1 (sale).
    let scn = scenario(0.1, 0.05, 0.5, 1.0, 20.0);
    let m = &scn.company_model;
    let early = Stage::from_index(EARLY).unwrap();
    let at = |v: f64| m.exit_multipliers(early, v.ln());
    // V = 4E: (4^0.5, 4^1) = (2, 4).
    let (i, a) = at(240.0);
    assert!((i - 2.0).abs() < 1e-12 && (a - 4.0).abs() < 1e-12, "{i} {a}");
    // V = E / 4: (0.5, 0.25).
    let (i, a) = at(15.0);
    assert!((i - 0.5).abs() < 1e-12 && (a - 0.25).abs() < 1e-12, "{i} {a}");
    // V = E: the stage's hazards.
    assert_eq!(at(60.0), (1.0, 1.0));
    // V = E e^5: e^2.5 = 12.18 below the cap, e^5 = 148.4 capped at 20.
    let (i, a) = m.exit_multipliers(early, 60f64.ln() + 5.0);
    assert!((i - 2.5f64.exp()).abs() < 1e-9 && a == 20.0, "{i} {a}");
    // Scaled per-step probabilities (k = 1, so the annual rates): at 4E
    // 0.1 x 2 and 0.05 x 4.
    let (pi, pa) = m.scaled_exits(0.1, 0.05, early, 240f64.ln());
    assert!((pi - 0.2).abs() < 1e-12 && (pa - 0.2).abs() < 1e-12, "{pi} {pa}");
    // Above certainty together: shrunk in proportion, 0.8 x 2 = 1.6 and
    // 0.5 x 4 = 2 (each capped at 1) -> 1/2 and 1/2.
    let (pi, pa) = m.scaled_exits(0.8, 0.5, early, 240f64.ln());
    assert!((pi - 0.5).abs() < 1e-12 && (pa - 0.5).abs() < 1e-12, "{pi} {pa}");
    // Elasticities 0: exactly 1 at any value.
    let off = scenario(0.1, 0.05, 0.0, 0.0, 20.0);
    assert_eq!(off.company_model.exit_multipliers(early, 1e3), (1.0, 1.0));
    assert_eq!(off.company_model.exit_multipliers(early, -1e3), (1.0, 1.0));
}

/// Count one step's IPOs and acquisitions of `n` early companies all worth
/// `value` (their entry draws overwritten), with `step_equity` when
/// `equity`, else `step`.
fn one_step_counts(scn: &fundsim::scenario::Scenario, value: f64, n: u64, equity: bool) -> (u64, u64) {
    let model = &scn.company_model;
    let mut market = MarketPath::default();
    market.simulate(&scn.market, 1, 1, &mut stream(scn.seed, 0, MARKET));
    let pk = path_key(scn.seed, 0);
    let key = vehicle_key("cohort");
    let early = Stage::from_index(EARLY).unwrap();
    let (mut ipo, mut acq) = (0, 0);
    for i in 0..n {
        let mut c = Company::enter(model, early, company_key(pk, key, i));
        c.log_value = value.ln();
        c.mark = value;
        let e =
            if equity { c.step_equity(model, 0, market.z[0], 0, 0.0) } else { c.step(model, 0, market.z[0], 0, 0.0) };
        match e {
            Event::Ipo { .. } => ipo += 1,
            Event::Acquired { .. } => acq += 1,
            _ => {}
        }
    }
    (ipo, acq)
}

/// |count - n p| within 4.5 binomial sd (a false alarm about once in
/// 150,000 per check; the seed is fixed, so the test is deterministic).
fn binomial_ok(count: u64, n: u64, p: f64) -> bool {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (count as f64 - n as f64 * p).abs() <= 4.5 * sd
}

#[test]
fn one_step_exit_frequencies_follow_the_scaled_hazards() {
    // IPO 0.1 and acquisition 0.05 a year, beta 0.5 and 1, k = 1.
    let scn = scenario(0.1, 0.05, 0.5, 1.0, 20.0);
    let n = 200_000;
    // (value, IPO probability, acquisition probability) by hand.
    for (v, pi, pa) in [(240.0, 0.2, 0.2), (60.0, 0.1, 0.05), (15.0, 0.05, 0.0125)] {
        let (ipo, acq) = one_step_counts(&scn, v, n, true);
        assert!(binomial_ok(ipo, n, pi), "V {v}: {ipo} IPOs of {n}, expected {}", n as f64 * pi);
        assert!(binomial_ok(acq, n, pa), "V {v}: {acq} sales of {n}, expected {}", n as f64 * pa);
        // The same cohort stepped without value-dependent exits (loans'
        // borrowers): the stage's rates whatever the value.
        let (ipo, acq) = one_step_counts(&scn, v, n, false);
        assert!(binomial_ok(ipo, n, 0.1) && binomial_ok(acq, n, 0.05), "V {v}: {ipo} {acq} at the stage rates");
    }
    // The 4E cohort lists measurably more often than the E cohort: the
    // difference 0.1 is far beyond the noise (sd of the difference 0.0012).
    let (hi, _) = one_step_counts(&scn, 240.0, n, true);
    let (mid, _) = one_step_counts(&scn, 60.0, n, true);
    assert!(hi as f64 - mid as f64 > 0.08 * n as f64, "{hi} {mid}");
}

#[test]
fn a_certain_ipo_at_twice_the_reference_value_lists_at_the_hand_price() {
    // IPO rate 0.5 a year, beta 1: at V = 2E the probability is 0.5 x 2 = 1.
    let scn = scenario(0.5, 0.0, 1.0, 0.0, 20.0);
    let model = &scn.company_model;
    let early = Stage::from_index(EARLY).unwrap();
    let ipo_premium = scn.policy.ipo_premium;
    for i in 0..1000 {
        let mut c = Company::enter(model, early, company_key(7, 11, i));
        c.log_value = 120f64.ln();
        c.mark = 120.0;
        match c.step_equity(model, 0, 0.3, 0, 0.0) {
            // Price: V x valuation multiplier 1 x the IPO premium.
            Event::Ipo { price } => assert!((price - 120.0 * ipo_premium).abs() < 1e-9, "{price}"),
            e => panic!("company {i}: {e:?}, expected a certain IPO"),
        }
        assert_eq!(c.status, Status::Listed);
    }
}

#[test]
fn zero_elasticities_step_companies_draw_for_draw_as_without_the_mechanism() {
    // Default stages and regimes, quarterly, 15 years; elasticities 0 but
    // a cap set, so only the elasticities switch the mechanism off.
    let text = "[market]\nipo_value_elasticity = 0.0\nacquisition_value_elasticity = 0.0\nexit_value_cap = 50.0\n\
                [vehicles.f]\nkind = \"venture_fund\"\n";
    let scn = load_str(text, "zero.toml", &[]).unwrap().scenario;
    let model = &scn.company_model;
    let steps = 60;
    let mut market = MarketPath::default();
    let mut events = 0;
    for p in 0..20u64 {
        market.simulate(&scn.market, steps, 4, &mut stream(scn.seed, p, MARKET));
        let pk = path_key(scn.seed, p);
        for i in 0..200u64 {
            let key = company_key(pk, vehicle_key("zero"), i);
            let stage = Stage::from_index((i % 4) as usize).unwrap();
            let (mut a, mut b) = (Company::enter(model, stage, key), Company::enter(model, stage, key));
            for t in 0..steps {
                let j = (0..4).find(|&j| Stage::from_index(j) == Some(a.stage)).unwrap();
                let fail = model.stage_failure(market.year_factor[t], 0)[j];
                let r = market.regime[t] as usize;
                let ea = a.step(model, t, market.z[t], r, fail);
                let eb = b.step_equity(model, t, market.z[t], r, fail);
                assert_eq!(ea, eb, "path {p} company {i} step {t}");
                assert_eq!(a.log_value.to_bits(), b.log_value.to_bits());
                assert_eq!((a.stage, a.status, a.mark.to_bits()), (b.stage, b.status, b.mark.to_bits()));
                events += (ea != Event::None) as u32;
            }
        }
    }
    assert!(events > 1000, "the comparison saw {events} events");
}

#[test]
fn zero_elasticities_reproduce_the_venture_fund_of_the_model_without_them() {
    // tests/exits_value/*.csv: `fundsim run scenarios/venture_fund.toml
    // --paths 300` on the commit before value-dependent exits (a5ac1cf),
    // whose stage defaults are the ones set here.
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sets = [
        "market.ipo_value_elasticity=0",
        "market.acquisition_value_elasticity=0",
        "market.value_correlation=0.03",
        "market.high_growth_share=0.14",
        "market.high_growth_drift=0.23",
        "market.high_growth_exit_multiplier=12",
        "stages.seed.failure_rate=0.11",
        "stages.seed.next_round_rate=0.7",
        "stages.seed.value_drift=0.24",
        "stages.seed.value_vol=0.7",
        "stages.early.value_drift=0.09",
        "stages.early.value_vol=0.8",
        "stages.growth.next_round_rate=0.21",
        "stages.late.next_round_rate=0.2",
        "stages.seed.ipo_rate=0.0",
        "stages.seed.acquisition_rate=0.013",
        "stages.early.ipo_rate=0.008",
        "stages.early.acquisition_rate=0.013",
        "stages.growth.ipo_rate=0.0015",
        "stages.growth.acquisition_rate=0.027",
        "stages.late.ipo_rate=0.043",
        "stages.late.acquisition_rate=0.092",
    ];
    let scenario = root.join("scenarios/venture_fund.toml");
    let out = dir.path().join("out");
    let mut args = vec!["run", scenario.to_str().unwrap(), "--no-charts", "--quiet", "--paths", "300"];
    args.extend(["--out", out.to_str().unwrap()]);
    for s in &sets {
        args.extend(["--set", s]);
    }
    let o = fundsim(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["summary.csv", "deals.csv", "exits.csv"] {
        let want = read(&root.join("tests/exits_value").join(f));
        assert!(read(&out.join(f)) == want, "{f} differs from the model without value-dependent exits");
    }
}
