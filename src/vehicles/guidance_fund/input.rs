//! `[vehicles.<name>]` with `kind = "guidance_fund"`: the table as serde reads it
//! (every key with its default) and its validation into the spec, every
//! broken rule collected with its key path.

use serde::{Deserialize, Serialize};

use super::{Buyback, Fundraising, GuidanceFundSpec};
use crate::scenario::validate::Validator;
use crate::scenario::validate::num;
use crate::vehicles::ScenarioFacts;
use crate::vehicles::venture_fund::input::{RawVentureFund, check_absorbable, venture_fund_spec};

/// `[vehicles.<name>]` with `kind = "guidance_fund"` (MODEL.md 4.2).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawGuidanceFund {
    pub kind: String,
    pub government_capital: f64,
    pub subfunds: i64,
    pub government_share: f64,
    pub launch_years: f64,
    /// Sub-fund terms (a venture fund; its commitment is derived).
    pub subfund: RawVentureFund,
    pub profit_concession: f64,
    pub gp_share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_cap: Option<f64>,
    pub first_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyback: Option<RawBuyback>,
    pub management_fee: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fundraising: Option<RawFundraising>,
    pub reinvestment_ratio: f64,
    pub local_deal_share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_tolerance: Option<f64>,
    /// No longer a guidance fund key: read only to refuse it with the name
    /// of `fiscal.discount_rate`, which every vehicle is discounted at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_rate: Option<f64>,
}

impl Default for RawGuidanceFund {
    fn default() -> Self {
        RawGuidanceFund {
            kind: "guidance_fund".into(),
            government_capital: 1000.0,
            subfunds: 10,
            government_share: 0.25,
            launch_years: 3.0,
            subfund: RawVentureFund::default(),
            profit_concession: 0.0,
            gp_share: 0.0,
            return_cap: None,
            first_loss: 0.0,
            buyback: None,
            management_fee: 0.0,
            fundraising: None,
            reinvestment_ratio: 0.0,
            local_deal_share: 0.0,
            loss_tolerance: None,
            discount_rate: None,
        }
    }
}

/// `buyback = { year, rate, enabled }`: `enabled = false` turns the right
/// off (a sensitivity lever or sweep cannot remove the table).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawBuyback {
    pub year: f64,
    pub rate: f64,
    pub enabled: bool,
}

impl Default for RawBuyback {
    fn default() -> Self {
        RawBuyback { year: 3.0, rate: 0.0345, enabled: true }
    }
}

/// `[<name>.fundraising]`: private LPs who commit when the return offered
/// clears their required return.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawFundraising {
    pub required_return: f64,
    pub required_return_sd: f64,
    pub lp_dispersion: f64,
    pub min_close: f64,
}

impl Default for RawFundraising {
    fn default() -> Self {
        RawFundraising { required_return: 0.10, required_return_sd: 0.03, lp_dispersion: 0.02, min_close: 0.5 }
    }
}

/// Guidance fund keys (MODEL.md 4.2).
pub fn guidance_fund_spec(
    prefix: &str,
    g: &RawGuidanceFund,
    facts: &ScenarioFacts,
    v: &mut Validator<'_>,
) -> GuidanceFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let government_share = v.within(&key("government_share"), g.government_share, 0.0, 1.0);
    if government_share <= 0.0 {
        v.fail(
            &key("government_share"),
            government_share,
            "must be > 0 (the government holds a share of every sub-fund)",
        );
    }
    let spec = GuidanceFundSpec {
        government_capital: v.amount(&key("government_capital"), g.government_capital),
        subfunds: v.integer(&key("subfunds"), g.subfunds, 1, 10_000) as u32,
        government_share: government_share.max(f64::MIN_POSITIVE),
        launch_years: v.within(&key("launch_years"), g.launch_years, 0.0, 50.0),
        subfund: venture_fund_spec(&key("subfund"), &g.subfund, v),
        profit_concession: v.unit(&key("profit_concession"), g.profit_concession),
        gp_share: v.unit(&key("gp_share"), g.gp_share),
        return_cap: g.return_cap.map(|r| v.within(&key("return_cap"), r, 0.0, 1.0)),
        first_loss: v.unit(&key("first_loss"), g.first_loss),
        buyback: g.buyback.as_ref().filter(|b| b.enabled).map(|b| {
            let year = v.within(&key("buyback.year"), b.year, 0.0, 50.0);
            if year <= 0.0 {
                v.fail(&key("buyback.year"), year, "must be > 0 (a fund age in years)");
            }
            Buyback { year, rate: v.within(&key("buyback.rate"), b.rate, 0.0, 1.0) }
        }),
        management_fee: v.within(&key("management_fee"), g.management_fee, 0.0, 0.2),
        fundraising: g.fundraising.as_ref().map(|f| Fundraising {
            required_return: v.within(&key("fundraising.required_return"), f.required_return, -0.5, 1.0),
            required_return_sd: v.within(&key("fundraising.required_return_sd"), f.required_return_sd, 0.0, 1.0),
            lp_dispersion: v.within(&key("fundraising.lp_dispersion"), f.lp_dispersion, 0.0, 1.0),
            min_close: v.unit(&key("fundraising.min_close"), f.min_close),
        }),
        reinvestment_ratio: v.within(&key("reinvestment_ratio"), g.reinvestment_ratio, 0.0, 100.0),
        local_deal_share: v.unit(&key("local_deal_share"), g.local_deal_share),
        loss_tolerance: g.loss_tolerance.map(|t| v.unit(&key("loss_tolerance"), t)),
    };
    if let Some(rate) = g.discount_rate {
        v.fail(
            &key("discount_rate"),
            num(rate),
            "is no longer a vehicle key: every vehicle's fiscal flows are discounted at the one rate \
             fiscal.discount_rate; remove this key and set discount_rate under [fiscal]",
        );
    }
    against_horizon(prefix, &spec, facts, v);
    spec
}

/// Rules that need the horizon and the sub-funds' schedule: every key must
/// be able to take effect within `simulation.years`, and the sub-funds'
/// derived commitment must be one their deals can absorb.
fn against_horizon(prefix: &str, spec: &GuidanceFundSpec, facts: &ScenarioFacts, v: &mut Validator<'_>) {
    let key = |k: &str| format!("{prefix}.{k}");
    let (years, horizon, k) = (facts.years, facts.horizon_steps(), facts.steps_per_year as f64);
    let m = spec.subfunds;
    // Sub-fund j launches at step round(j x launch_years x k / M); one
    // launched at or beyond the horizon is never simulated.
    let last_launch = spec.launch_years * (m - 1) as f64 / m as f64;
    if spec.launch_years.is_finite() && facts.steps(last_launch) >= horizon {
        v.fail(
            &key("launch_years"),
            num(spec.launch_years),
            format!(
                "the last of the {m} sub-funds launches at year launch_years x ({m} - 1) / {m} = {}, which must \
                 fall within the horizon (simulation.years = {years}); a sub-fund launched beyond it is never simulated",
                num(last_launch)
            ),
        );
    }
    let mut subfund = spec.subfund.clone();
    subfund.commitment = spec.government_capital / (m as f64 * spec.government_share);
    let life_steps = subfund.schedule(facts.steps_per_year).2 as usize;
    if let Some(b) = spec.buyback
        && b.year.is_finite()
        && b.year > 0.0
    {
        // The buy-back is decided at the end of fund-age step
        // round(year x k) - 1; not at the liquidation step nor at the
        // horizon's last step (nothing is held there to buy).
        let at = facts.steps(b.year).max(1);
        if at >= life_steps {
            v.fail(
                &key("buyback.year"),
                num(b.year),
                format!(
                    "must be below the sub-funds' term_years + extension_years ({}): a sub-fund is liquidated by \
                     then and there is nothing left to buy back",
                    num(life_steps as f64 / k)
                ),
            );
        } else if at >= horizon {
            v.fail(
                &key("buyback.year"),
                num(b.year),
                format!(
                    "must be below simulation.years ({years}): a buy-back at or beyond the horizon never happens"
                ),
            );
        }
    }
    let what = format!(
        " (each sub-fund's commitment is government_capital / (subfunds x government_share) = {})",
        num(subfund.commitment)
    );
    check_absorbable(&key("government_capital"), spec.government_capital, &what, &subfund, facts, v);
}

