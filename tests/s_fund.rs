//! The S fund (MODEL.md 4.3): a worked purchase by hand, the seller's sold
//! and held positions adding up, the price rule path by path, common
//! random numbers across the discount, and stale marks.

mod common;
use common::*;
use fundsim::engine::Results;
use fundsim::model::market::MarketPath;
use fundsim::rng::{MARKET, stream};
use fundsim::scenario::load_str;

fn run(text: &str, sets: &[&str]) -> Results {
    simulate(text, sets, 2)
}

/// One target fund of one deal, no volatility, no hazards, no rounds, value
/// drift 0 (so marks equal value): commitment 100, 2 % fee, term 10, no
/// extension, investment period 1 year (k = 1). With fee x term = 0.2 kept
/// back the ticket is 80 for 8 % of a company worth 1,000 (step 0). Calls:
/// 82 at step 0 (ticket + fee on commitment), then 1.6 a year (2 % of the
/// cost of 80) at steps 1-9. At age 9 the holding is sold at haircut 1.5:
/// 8 % x 1,000 x 1.5 = 120, all to LPs (carry 0). The S fund buys the whole
/// interest (stake 1) at age 5, the end of step 4, with no fees or carry.
fn deterministic() -> String {
    deterministic_scenario("deterministic S fund", 8, 0.0, S_FUND)
}

const S_FUND: &str = r#"
[vehicles.s]
kind = "s_fund"
funds = 1
stake = 1.0
purchase_age_years = 5.0
discount = 0.0
discount_by_regime = [0.0, 0.0, 0.0]
discount_vol = 0.0
management_fee = 0.0
carry = 0.0
[vehicles.s.target]
deals = 1
investment_period_years = 1.0
stage_mix = { seed = 1.0, early = 0.0, growth = 0.0, late = 0.0 }
reserve_ratio = 0.0
management_fee = 0.02
term_years = 10.0
extension_years = 0.0
terminal_haircut = 1.5
carry = 0.0
"#;

#[test]
fn worked_purchase_at_nav_with_no_discount() {
    let r = run(&deterministic(), &[]);
    // NAV at the end of step 4 = 8 % x 1,000 = 80 (marks equal value), all
    // of it the LPs' (no carry): price 80.
    assert!(close(one(&r, "s.price"), 80.0));
    assert!(close(one(&r, "s.price_to_nav"), 1.0));
    // Remaining calls: the fees of steps 5-9, 5 x 1.6 = 8; remaining
    // distributions: 120. Before its own fees the buyer's TVPI is
    // remaining distributions / (NAV + unfunded calls) = 120 / 88.
    assert!(close(one(&r, "s.buyer_calls"), 8.0));
    assert!(close(one(&r, "s.buyer_gross_tvpi"), 120.0 / 88.0));
    // No S-fund fees or carry, and a hurdle the purchase clears: net = gross.
    assert!(close(one(&r, "s.buyer_tvpi"), 120.0 / 88.0));
    // Seller: paid 82 + 4 x 1.6 = 88.4 before the sale. Sold: 80 / 88.4.
    // Held: 120 / (88.4 + 8) = 120 / 96.4.
    assert!(close(one(&r, "s.seller_paid_in"), 88.4));
    assert!(close(one(&r, "s.seller_tvpi_sold"), 80.0 / 88.4));
    assert!(close(one(&r, "s.seller_tvpi_held"), 120.0 / 96.4));
    assert!(close(one(&r, "s.tvpi_gap"), 120.0 / 96.4 - 80.0 / 88.4));
    // In present value at the seller's 8 %, at the sale date: the fees of
    // 1.6 a year for five years and 120 in year 5 after it, less the price.
    let annuity: f64 = (1..=5).map(|i| 1.08f64.powi(-i)).sum();
    let held = 120.0 * 1.08f64.powi(-5) - 1.6 * annuity;
    assert!(close(one(&r, "s.liquidity_cost"), held - 80.0), "{}", one(&r, "s.liquidity_cost"));
}

#[test]
fn worked_purchase_at_a_discount() {
    // 20 % off: price 64; gross TVPI 120 / (64 + 8).
    let r = run(&deterministic(), &["vehicles.s.discount=0.2"]);
    assert!(close(one(&r, "s.price"), 64.0));
    assert!(close(one(&r, "s.price_to_nav"), 0.8));
    assert!(close(one(&r, "s.buyer_gross_tvpi"), 120.0 / 72.0));
    // The transfer-pilot cut narrows the discount: 0.2 - 0.05.
    let r = run(&deterministic(), &["vehicles.s.discount=0.2", "vehicles.s.transfer_pilot_discount_cut=0.05"]);
    assert!(close(one(&r, "s.price_to_nav"), 0.85));
}

#[test]
fn price_to_value_departs_from_price_to_nav_by_the_mark_staleness() {
    // With value drift g and no rounds the mark stays at the entry value
    // while the true value at the end of step 4 is 1,000 x e^(4 g) (drifts
    // in steps 1-4). With no carry the LPs' shares are the NAVs
    // themselves, so price_to_value = price_to_nav x e^(-4 g).
    let g: f64 = 0.1;
    let r = run(&deterministic(), &[&format!("stages.seed.value_drift={g}"), "vehicles.s.discount=0.1"]);
    let (ptn, ptv) = (one(&r, "s.price_to_nav"), one(&r, "s.price_to_value"));
    assert!(close(ptn, 0.9));
    assert!(close(ptv, 0.9 * (-4.0 * g).exp()), "{ptv}");
}

/// Three target funds on the default economy and the default company
/// model (issue 14's calibrated stages and high-growth type): the price
/// rule, the seller's two positions and the underwriting tests below run
/// on the company values the shipped scenarios use, not on a pinned older
/// model.
const RANDOM: &str = r#"
name = "S fund"
[simulation]
paths = 300
seed = 9
years = 15
steps_per_year = 4
[vehicles.s]
kind = "s_fund"
funds = 3
stake = 0.4
purchase_age_years = 5.0
launch_years = 2.0
[vehicles.s.target]
deals = 12
"#;

#[test]
fn seller_sold_and_held_positions_add_up_in_every_path() {
    // Holding = selling + what the buyer then paid and got:
    // held receipts = sold receipts - price + buyer's gross receipts, and
    // held paid-in = paid-in before the sale + the buyer's calls.
    let r = run(RANDOM, &[]);
    let (sold, held) = (col(&r, "s.seller_tvpi_sold"), col(&r, "s.seller_tvpi_held"));
    let (paid, price) = (col(&r, "s.seller_paid_in"), col(&r, "s.price"));
    let (calls, gross) = (col(&r, "s.buyer_calls"), col(&r, "s.buyer_gross_received"));
    for i in 0..sold.len() {
        let held_received = sold[i] * paid[i] - price[i] + gross[i];
        assert!(close(held[i] * (paid[i] + calls[i]), held_received), "path {i}");
        assert!(close(col(&r, "s.tvpi_gap")[i], held[i] - sold[i]));
    }
}

#[test]
fn price_is_one_minus_the_realised_discount_in_every_path() {
    // No noise: the discount is base + the regime's adjustment - the cut,
    // clipped; the regime at purchase is recomputed here from the market
    // stream. One target fund, launched at 0, bought at the end of step 19.
    let text = RANDOM.replace("funds = 3", "funds = 1");
    let sets = [
        "vehicles.s.discount_vol=0.0",
        "vehicles.s.discount=0.2",
        "vehicles.s.discount_by_regime=[0.15, 0.0, -0.1]",
        "vehicles.s.transfer_pilot_discount_cut=0.05",
    ];
    let r = run(&text, &sets);
    let scn = load_str(&text, "s.toml", &sets.map(String::from)).unwrap().scenario;
    let ptn = col(&r, "s.price_to_nav");
    let mut market = MarketPath::default();
    let mut seen = [false; 3];
    for (p, &x) in ptn.iter().enumerate() {
        market.simulate(&scn.market, 60, 4, &mut stream(scn.seed, p as u64, MARKET));
        let regime = market.regime[19] as usize;
        seen[regime] = true;
        let d: f64 = (0.2 + [0.15, 0.0, -0.1][regime] - 0.05f64).clamp(0.0, 0.95);
        assert!(close(x, 1.0 - d), "path {p}: {x} vs {}", 1.0 - d);
    }
    assert!(seen.iter().filter(|&&s| s).count() >= 2, "several regimes must occur");
}

#[test]
fn a_deeper_discount_never_lowers_the_buyers_tvpi() {
    let runs: Vec<Results> =
        [0.0, 0.15, 0.3].iter().map(|d| run(RANDOM, &[&format!("vehicles.s.discount={d}")])).collect();
    for w in runs.windows(2) {
        let (a, b) = (col(&w[0], "s.buyer_tvpi"), col(&w[1], "s.buyer_tvpi"));
        for i in 0..a.len() {
            assert!(b[i] >= a[i] - 1e-12, "path {i}: {} < {}", b[i], a[i]);
        }
        // Same path, same fates: the target funds' outcomes are unchanged.
        assert_eq!(col(&w[0], "s.buyer_gross_received"), col(&w[1], "s.buyer_gross_received"));
    }
}

const UNDERWRITTEN: [&str; 5] = [
    "vehicles.s.pricing=\"underwriting\"",
    "vehicles.s.target_return=0.08",
    "vehicles.s.seed_premium=0.0",
    "vehicles.s.seller_rate=0.08",
    "vehicles.s.discount_vol=0.0",
];

#[test]
fn selling_at_the_present_value_of_the_future_flows_costs_the_seller_nothing_on_average() {
    // A buyer underwriting at the seller's own rate pays the expected
    // present value of the interest's later flows (fitted on its pilots,
    // independent of these paths), so the seller's liquidity cost, the
    // present value at that rate of what it gave up less the price, is 0
    // on average: within 3 standard errors over 300 paths.
    let r = run(RANDOM, &UNDERWRITTEN);
    let (m, se) = mean_se(&col(&r, "s.liquidity_cost"));
    assert!(m.abs() < 3.0 * se, "liquidity cost {m} (se {se})");
    // A buyer demanding more pays less, and the seller's cost is positive.
    let mut dear = UNDERWRITTEN.to_vec();
    dear[1] = "vehicles.s.target_return=0.2";
    let r = run(RANDOM, &dear);
    let (m, se) = mean_se(&col(&r, "s.liquidity_cost"));
    assert!(m > 3.0 * se, "liquidity cost {m} (se {se})");
}

#[test]
fn an_underwritten_price_rises_with_the_interests_age() {
    // Younger interests have more unfunded commitment and a longer wait to
    // their distributions: priced lower against NAV by a buyer who wants
    // 15 %. Paired over the same paths.
    let at = |age: &str| {
        let mut sets = UNDERWRITTEN.to_vec();
        sets[1] = "vehicles.s.target_return=0.15";
        sets.push(age);
        col(&run(RANDOM, &sets), "s.price_to_nav")
    };
    let (young, old) = (at("vehicles.s.purchase_age_years=3.0"), at("vehicles.s.purchase_age_years=7.0"));
    let d: Vec<f64> = young.iter().zip(&old).map(|(y, o)| o - y).collect();
    let (m, se) = mean_se(&d);
    assert!(m > 3.0 * se, "price/NAV at 7 minus at 3: {m} (se {se})");
    // Before issue 14 a 15 % buyer also paid below NAV at age 3 (on the
    // company values pinned then). That is an outcome of the value
    // process, not a property of the pricing: marks are stale (they move
    // only at priced rounds and exits) and under the calibrated defaults
    // the mean value of a company grows faster than 15 % a year (the
    // high-growth type), so the underwritten price is above NAV at age 3
    // (about 1.24 x NAV, se 0.011, on these 300 paths). What the
    // underwriting guarantees is tested above and in
    // `selling_at_the_present_value_of_the_future_flows_costs_the_seller_nothing_on_average`.
}

#[test]
fn pricing_must_be_discount_or_underwriting() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", RANDOM);
    let o = fundsim(dir.path(), &["check", f.to_str().unwrap(), "--set", "vehicles.s.pricing=\"auction\""]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("vehicles.s.pricing") && e.contains("auction") && e.contains("underwriting"), "{e}");
}

/// A guidance fund and an S fund that buys its government stakes.
const SALE: &str = r#"
name = "sale"
[simulation]
paths = 300
seed = 11
years = 16
steps_per_year = 4
[vehicles.g]
kind = "guidance_fund"
government_capital = 250.0
subfunds = 4
government_share = 0.25
launch_years = 2.0
[vehicles.g.subfund]
deals = 10
[vehicles.s]
kind = "s_fund"
seller = "g"
purchase_age_years = 6.0
pricing = "underwriting"
"#;

#[test]
fn selling_the_governments_stakes_leaves_its_flows_alone_until_the_sale_and_the_totals_add_up() {
    let with = run(SALE, &[]);
    let without = run(SALE.split("[vehicles.s]").next().unwrap(), &[]);
    let c = |r: &Results, name: &str| col(r, name);
    let (paid_w, paid_wo) = (c(&with, "g.gov_paid_in"), c(&without, "g.gov_paid_in"));
    let (rec_w, rec_wo) = (c(&with, "g.gov_received"), c(&without, "g.gov_received"));
    let (proceeds, price) = (c(&with, "g.sale_proceeds"), c(&with, "s.price"));
    let (calls, gross) = (c(&with, "s.buyer_calls"), c(&with, "s.buyer_gross_received"));
    let sold = c(&with, "g.stakes_sold");
    for i in 0..paid_w.len() {
        // The government pays what it paid up to the sale; the S fund
        // takes over its later calls and receives its later distributions
        // (no lever: its receipts are pro rata).
        assert!(close(paid_w[i] + calls[i], paid_wo[i]), "path {i}");
        assert!(close(rec_w[i] - proceeds[i] + gross[i], rec_wo[i]), "path {i}");
        assert!(close(proceeds[i], price[i]), "path {i}");
        assert_eq!(sold[i], c(&with, "s.purchases")[i]);
        // The private LPs do not notice.
        assert_eq!(c(&with, "g.private_received")[i], c(&without, "g.private_received")[i]);
        assert_eq!(c(&with, "g.private_paid_in")[i], c(&without, "g.private_paid_in")[i]);
    }
    // Sub-funds launched by year 2, still running at year 6: all four sold.
    assert!(sold.iter().all(|&n| n == 4.0));
    // The government's IRR stays defined: calls, then distributions and
    // one sale.
    assert!(c(&with, "g.gov_irr").iter().all(|x| !x.is_nan()));
}

#[test]
fn worked_sale_of_the_governments_stake() {
    // The deterministic guidance example (one sub-fund, the government 25 %
    // of 100, a company held at a mark of 1,000 until its sale in year 9
    // for 300) sold at step 4 (the step dated year 5) at a 20 % discount to
    // the LPs' NAV: NAV 10 % x 1,000 = 100, no profit, so no carry: the
    // government's share is 25 and the price 20. The government's flows:
    // -25 at step 0 (as without the sale), +20 at step 4, nothing after.
    // The S fund receives the government's 65 at step 9.
    let vehicles = GUIDANCE.to_string()
        + r#"
[vehicles.s]
kind = "s_fund"
seller = "g"
purchase_age_years = 5.0
discount = 0.2
discount_by_regime = [0.0, 0.0, 0.0]
discount_vol = 0.0
management_fee = 0.0
carry = 0.0
seller_rate = 0.1
"#;
    let r = run(&deterministic_scenario("sale", 8, TRIPLES_IN_NINE_YEARS, &vehicles), &[]);
    assert!(close(one(&r, "g.gov_paid_in"), 25.0));
    assert!(close(one(&r, "g.sale_proceeds"), 20.0));
    assert!(close(one(&r, "g.gov_received"), 20.0));
    assert!(close(one(&r, "g.gov_irr"), 0.8f64.powf(0.25) - 1.0), "{}", one(&r, "g.gov_irr"));
    assert!(close(one(&r, "g.private_received"), 195.0));
    assert!(close(one(&r, "s.price_to_nav"), 0.8));
    assert!(close(one(&r, "s.buyer_gross_received"), 65.0));
    // What the government gave up, at its 10 %, at the sale date: 65 five
    // years later, less the price.
    assert!(close(one(&r, "s.liquidity_cost"), 65.0 / 1.1f64.powi(5) - 20.0));
}

#[test]
fn a_seller_must_be_a_guidance_fund_listed_before_the_s_fund() {
    let dir = tempfile::tempdir().unwrap();
    for (text, rule) in [
        (SALE.replace("seller = \"g\"", "seller = \"nobody\""), "must name a vehicle of the scenario"),
        (SALE.replace("seller = \"g\"", "seller = \"s\""), "must name a guidance_fund vehicle"),
        (
            format!(
                "{}{}",
                SALE.replace("seller = \"g\"", "seller = \"h\""),
                "[vehicles.h]\nkind = \"guidance_fund\"\n"
            ),
            "listed before",
        ),
    ] {
        let f = scenario(dir.path(), "s.toml", &text);
        let o = fundsim(dir.path(), &["check", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let e = stderr(&o);
        assert!(e.contains("vehicles.s.seller") && e.contains(rule), "{e}");
    }
}
