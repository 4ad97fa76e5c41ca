//! `[vehicles.<name>]` with `kind = "s_fund"`: the table as serde reads it
//! (every key with its default) and its validation into the spec, every
//! broken rule collected with its key path.

use serde::{Deserialize, Serialize};

use super::{Pricing, SFundSpec};
use crate::scenario::validate::{Validator, fmt_list, num};
use crate::vehicles::ScenarioFacts;
use crate::vehicles::venture_fund::input::{RawVentureFund, check_absorbable, venture_fund_spec};

/// `[vehicles.<name>]` with `kind = "s_fund"` (MODEL.md 4.3).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawSFund {
    pub kind: String,
    pub funds: i64,
    pub stake: f64,
    pub purchase_age_years: f64,
    pub launch_years: f64,
    /// Target fund terms (a venture fund).
    pub target: RawVentureFund,
    pub pricing: String,
    pub target_return: f64,
    pub seed_premium: f64,
    pub seller_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    pub discount: f64,
    pub discount_by_regime: Vec<f64>,
    pub discount_vol: f64,
    pub transfer_pilot_discount_cut: f64,
    pub management_fee: f64,
    pub hurdle: f64,
    pub catch_up: f64,
    pub carry: f64,
}

impl Default for RawSFund {
    fn default() -> Self {
        RawSFund {
            kind: "s_fund".into(),
            funds: 10,
            stake: 0.5,
            purchase_age_years: 6.0,
            launch_years: 0.0,
            target: RawVentureFund::default(),
            pricing: "discount".into(),
            target_return: 0.30,
            seed_premium: 0.10,
            seller_rate: 0.08,
            seller: None,
            discount: 0.25,
            discount_by_regime: vec![0.10, 0.0, -0.05],
            discount_vol: 0.05,
            transfer_pilot_discount_cut: 0.0,
            management_fee: 0.01,
            hurdle: 0.08,
            catch_up: 1.0,
            carry: 0.1,
        }
    }
}

/// S fund keys (MODEL.md 4.3).
pub fn s_fund_spec(prefix: &str, f: &RawSFund, facts: &ScenarioFacts, v: &mut Validator<'_>) -> SFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let (regimes, years) = (facts.regimes, facts.years);
    if f.discount_by_regime.len() != regimes {
        v.fail(
            &key("discount_by_regime"),
            fmt_list(&f.discount_by_regime),
            format!("must have one entry per exit-market state ({regimes})"),
        );
    }
    for (i, &d) in f.discount_by_regime.iter().enumerate() {
        v.within(&format!("{prefix}.discount_by_regime[{i}]"), d, -1.0, 1.0);
    }
    let stake = v.unit(&key("stake"), f.stake);
    if stake <= 0.0 {
        v.fail(&key("stake"), stake, "must be > 0");
    }
    let purchase_age_years = v.within(&key("purchase_age_years"), f.purchase_age_years, 0.0, 50.0);
    if purchase_age_years <= 0.0 {
        v.fail(&key("purchase_age_years"), purchase_age_years, "must be > 0 (a fund age in years)");
    } else if purchase_age_years.is_finite() && facts.steps(purchase_age_years).max(1) >= facts.horizon_steps() {
        v.fail(
            &key("purchase_age_years"),
            num(purchase_age_years),
            format!(
                "must be below simulation.years ({years}): at the horizon's last step every holding is valued as \
                 a residual, so an interest bought there (or later) would be bought at price 0"
            ),
        );
    }
    let pricing = match f.pricing.as_str() {
        "discount" => Pricing::Discount,
        "underwriting" => Pricing::Underwriting,
        other => {
            v.fail(&key("pricing"), format!("\"{other}\""), "must be \"discount\" or \"underwriting\"");
            Pricing::Discount
        }
    };
    let spec = SFundSpec {
        pricing,
        target_return: v.within(&key("target_return"), f.target_return, -0.5, 1.0),
        seed_premium: v.within(&key("seed_premium"), f.seed_premium, 0.0, 1.0),
        seller_rate: v.within(&key("seller_rate"), f.seller_rate, -0.5, 1.0),
        seller: f.seller.clone(),
        funds: v.integer(&key("funds"), f.funds, 1, 10_000) as u32,
        stake,
        purchase_age_years,
        launch_years: v.within(&key("launch_years"), f.launch_years, 0.0, 50.0),
        target: venture_fund_spec(&key("target"), &f.target, v),
        discount: v.within(&key("discount"), f.discount, 0.0, 0.95),
        discount_by_regime: f.discount_by_regime.clone(),
        discount_vol: v.within(&key("discount_vol"), f.discount_vol, 0.0, 1.0),
        transfer_pilot_discount_cut: v.within(
            &key("transfer_pilot_discount_cut"),
            f.transfer_pilot_discount_cut,
            0.0,
            0.95,
        ),
        management_fee: v.within(&key("management_fee"), f.management_fee, 0.0, 0.2),
        hurdle: v.within(&key("hurdle"), f.hurdle, 0.0, 1.0),
        catch_up: v.unit(&key("catch_up"), f.catch_up),
        carry: v.within(&key("carry"), f.carry, 0.0, 0.99),
    };
    // With a seller the targets are its sub-funds (checked when the S fund
    // is wired to it).
    if spec.seller.is_none() {
        against_targets(prefix, &spec, facts, v);
    }
    spec
}

/// Rules that need the targets' schedule: each purchase must fall while
/// its target is running and within the horizon, and the targets'
/// commitment must be one their deals can absorb.
fn against_targets(prefix: &str, spec: &SFundSpec, facts: &ScenarioFacts, v: &mut Validator<'_>) {
    let key = |k: &str| format!("{prefix}.{k}");
    let (years, horizon, k) = (facts.years, facts.horizon_steps(), facts.steps_per_year as f64);
    let p = spec.purchase_age_years;
    if !(p.is_finite() && p > 0.0 && spec.launch_years.is_finite()) {
        return;
    }
    // Bought at the end of fund-age step round(p x k) - 1: before the
    // target's liquidation step, where its NAV is 0.
    let at = facts.steps(p).max(1);
    let life_steps = spec.target.schedule(facts.steps_per_year).2 as usize;
    if at >= life_steps {
        v.fail(
            &key("purchase_age_years"),
            num(p),
            format!(
                "must be below the target funds' term_years + extension_years ({}): a target is liquidated by \
                 then and its interests would be bought at price 0",
                num(life_steps as f64 / k)
            ),
        );
    }
    let n = spec.funds;
    let last_launch = spec.launch_years * (n - 1) as f64 / n as f64;
    if at < horizon && facts.steps(last_launch) + at >= horizon {
        v.fail(
            &key("launch_years"),
            num(spec.launch_years),
            format!(
                "the last of the {n} target funds launches at year launch_years x ({n} - 1) / {n} = {} and is \
                 bought purchase_age_years ({}) later, which must fall before the end of simulation.years \
                 ({years}); a target bought beyond the horizon is never simulated",
                num(last_launch),
                num(p)
            ),
        );
    }
    check_absorbable(&key("target.commitment"), spec.target.commitment, "", &spec.target, facts, v);
}
