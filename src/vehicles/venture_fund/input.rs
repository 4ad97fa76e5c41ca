//! `[vehicles.<name>]` with `kind = "venture_fund"`: the table as serde reads it
//! (every key with its default) and its validation into the spec, every
//! broken rule collected with its key path. The same table describes the
//! guidance fund's sub-funds and the S fund's targets.

use serde::{Deserialize, Serialize};

use super::VentureFundSpec;
use crate::scenario::validate::{SUM_TOL, Validator};

/// `[vehicles.<name>]` with `kind = "venture_fund"` (MODEL.md 4.1).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawVentureFund {
    pub kind: String,
    pub commitment: f64,
    pub deals: i64,
    pub investment_period_years: f64,
    pub stage_mix: RawStageMix,
    pub reserve_ratio: f64,
    pub management_fee: f64,
    pub term_years: f64,
    pub extension_years: f64,
    pub terminal_haircut: f64,
    pub waterfall: String,
    pub hurdle: f64,
    pub catch_up: f64,
    pub carry: f64,
}

impl Default for RawVentureFund {
    fn default() -> Self {
        RawVentureFund {
            kind: "venture_fund".into(),
            commitment: 100.0,
            deals: 25,
            investment_period_years: 4.0,
            stage_mix: RawStageMix::default(),
            reserve_ratio: 0.3,
            management_fee: 0.02,
            term_years: 10.0,
            extension_years: 2.0,
            terminal_haircut: 0.7,
            waterfall: "european".into(),
            hurdle: 0.08,
            catch_up: 1.0,
            carry: 0.2,
        }
    }
}

/// Probability of each entry stage.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawStageMix {
    pub seed: f64,
    pub early: f64,
    pub growth: f64,
    pub late: f64,
}

impl Default for RawStageMix {
    fn default() -> Self {
        RawStageMix { seed: 0.3, early: 0.5, growth: 0.2, late: 0.0 }
    }
}

/// Venture fund keys (MODEL.md 4.1); also used for sub-funds and targets.
pub(crate) fn venture_fund_spec(prefix: &str, f: &RawVentureFund, v: &mut Validator<'_>) -> VentureFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let mix = [f.stage_mix.seed, f.stage_mix.early, f.stage_mix.growth, f.stage_mix.late];
    let mix_ok = mix.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x));
    if !mix_ok || (mix.iter().sum::<f64>() - 1.0).abs() > SUM_TOL {
        v.fail(
            &key("stage_mix"),
            format!("{{ seed = {}, early = {}, growth = {}, late = {} }}", mix[0], mix[1], mix[2], mix[3]),
            "stage shares must each be within [0, 1] and add up to 1",
        );
    }
    if f.waterfall != "european" {
        v.fail(
            &key("waterfall"),
            format!("{:?}", f.waterfall),
            "must be \"european\" (whole-fund); the deal-by-deal \"american\" waterfall is not built yet",
        );
    }
    let spec = VentureFundSpec {
        commitment: v.amount(&key("commitment"), f.commitment),
        deals: v.integer(&key("deals"), f.deals, 1, 10_000) as u32,
        investment_period_years: v.within(&key("investment_period_years"), f.investment_period_years, 0.0, 50.0),
        stage_mix: mix,
        reserve_ratio: v.within(&key("reserve_ratio"), f.reserve_ratio, 0.0, 0.95),
        management_fee: v.within(&key("management_fee"), f.management_fee, 0.0, 0.2),
        term_years: v.within(&key("term_years"), f.term_years, 0.0, 50.0),
        extension_years: v.within(&key("extension_years"), f.extension_years, 0.0, 20.0),
        terminal_haircut: v.within(&key("terminal_haircut"), f.terminal_haircut, 0.0, 2.0),
        hurdle: v.within(&key("hurdle"), f.hurdle, 0.0, 1.0),
        catch_up: v.unit(&key("catch_up"), f.catch_up),
        carry: v.within(&key("carry"), f.carry, 0.0, 0.99),
    };
    if spec.term_years < spec.investment_period_years {
        v.fail(
            &key("term_years"),
            spec.term_years,
            format!("must be at least investment_period_years ({})", spec.investment_period_years),
        );
    }
    if spec.term_years <= 0.0 {
        v.fail(&key("term_years"), spec.term_years, "must be > 0");
    }
    if spec.management_fee * spec.term_years >= 0.9 {
        v.fail(
            &key("management_fee"),
            spec.management_fee,
            format!(
                "management_fee x term_years must stay below 0.9 so capital is left to invest (it is {})",
                spec.management_fee * spec.term_years
            ),
        );
    }
    spec
}

