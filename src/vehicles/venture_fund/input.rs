//! `[vehicles.<name>]` with `kind = "venture_fund"`: the table as serde reads it
//! (every key with its default) and its validation into the spec, every
//! broken rule collected with its key path. The same table describes the
//! guidance fund's sub-funds and the S fund's targets.

use serde::{Deserialize, Serialize};

use super::VentureFundSpec;
use crate::model::company::STAGES;
use crate::vehicles::ScenarioFacts;
use crate::scenario::validate::{SUM_TOL, Validator, num};

/// `[vehicles.<name>]` with `kind = "venture_fund"` (MODEL.md 4.1).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawVentureFund {
    pub kind: String,
    pub commitment: f64,
    pub deals: i64,
    pub investment_period_years: f64,
    /// The shares as written; `None` when the table is absent (the default
    /// mix). Always written out in full (`check`, the manifest).
    #[serde(serialize_with = "serialize_stage_mix")]
    pub stage_mix: Option<RawStageMix>,
    pub reserve_ratio: f64,
    pub recycling_cap: f64,
    pub reserve_release: bool,
    pub follow_on_limit: f64,
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
            stage_mix: None,
            reserve_ratio: 0.3,
            recycling_cap: 0.2,
            reserve_release: true,
            follow_on_limit: 2.0,
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

/// Probability of each entry stage, as written: a stage left out of a
/// written table has share 0 (the default mix applies only when the table
/// is absent altogether).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawStageMix {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late: Option<f64>,
}

/// The mix used when `stage_mix` is absent (seed, early, growth, late).
pub const DEFAULT_STAGE_MIX: [f64; 4] = [0.3, 0.5, 0.2, 0.0];

/// Stage names in the order of a mix.
const MIX_KEYS: [&str; 4] = ["seed", "early", "growth", "late"];

impl RawStageMix {
    /// The shares as written, stage by stage (`None`: left out).
    pub fn written(&self) -> [Option<f64>; 4] {
        [self.seed, self.early, self.growth, self.late]
    }
}

/// The mix a fund uses: the default when the table is absent, else the
/// shares written with the stages left out at 0.
pub fn resolved_stage_mix(mix: &Option<RawStageMix>) -> [f64; 4] {
    match mix {
        None => DEFAULT_STAGE_MIX,
        Some(m) => m.written().map(|x| x.unwrap_or(0.0)),
    }
}

/// `stage_mix` as `check` and the manifest print it: the full mix in use.
fn serialize_stage_mix<S: serde::Serializer>(mix: &Option<RawStageMix>, s: S) -> Result<S::Ok, S::Error> {
    let [seed, early, growth, late] = resolved_stage_mix(mix).map(Some);
    RawStageMix { seed, early, growth, late }.serialize(s)
}

/// The rules of a written `stage_mix`; messages quote only what was
/// written.
fn check_stage_mix(key: &str, mix: &Option<RawStageMix>, v: &mut Validator<'_>) -> [f64; 4] {
    let shares = resolved_stage_mix(mix);
    let Some(m) = mix else { return shares };
    let written = m.written();
    let mut ok = true;
    for (name, x) in MIX_KEYS.iter().zip(written) {
        if let Some(x) = x
            && !(x.is_finite() && (0.0..=1.0).contains(&x))
        {
            v.fail(&format!("{key}.{name}"), num(x), "a stage share must be within [0, 1]");
            ok = false;
        }
    }
    let sum: f64 = shares.iter().sum();
    if ok && (sum - 1.0).abs() > SUM_TOL {
        let items: Vec<String> =
            MIX_KEYS.iter().zip(written).filter_map(|(n, x)| x.map(|x| format!("{n} = {}", num(x)))).collect();
        let left_out: Vec<&str> = MIX_KEYS.iter().zip(written).filter(|(_, x)| x.is_none()).map(|(n, _)| *n).collect();
        let note = if left_out.is_empty() {
            String::new()
        } else {
            format!("; stages left out ({}) count as 0", left_out.join(", "))
        };
        v.fail(
            key,
            format!("{{ {} }}", items.join(", ")),
            format!("stage shares must add up to 1 (they add up to {}{note})", num(sum)),
        );
    }
    shares
}

/// Venture fund keys (MODEL.md 4.1); also used for sub-funds and targets.
pub(crate) fn venture_fund_spec(prefix: &str, f: &RawVentureFund, v: &mut Validator<'_>) -> VentureFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let mix = check_stage_mix(&key("stage_mix"), &f.stage_mix, v);
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
        recycling_cap: v.within(&key("recycling_cap"), f.recycling_cap, 0.0, 1.0),
        reserve_release: f.reserve_release,
        follow_on_limit: v.within(&key("follow_on_limit"), f.follow_on_limit, 1.0, 10.0),
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


/// A fund's deals must be able to absorb its commitment: ownership is
/// capped at 100 % of a company, so a ticket above a company's value pays
/// in full for a capped stake (at commitment 10,000 the default fund's
/// TVPI falls to 0.70, against 1.79 at 100). Refused when the initial
/// ticket exceeds the median entry valuation at the fund's lowest entry
/// stage: the typical deal at that stage would buy more than the whole
/// company. `key` and `value` name what the user sets (a guidance fund's
/// sub-fund commitment is derived), `what` says how the commitment came
/// about.
pub(crate) fn check_absorbable(
    key: &str,
    value: f64,
    what: &str,
    spec: &VentureFundSpec,
    facts: &ScenarioFacts,
    v: &mut Validator<'_>,
) {
    let ticket = spec.initial_ticket();
    let stage = spec.lowest_stage();
    let median = facts.entry_valuation[stage];
    if !(ticket.is_finite() && median.is_finite() && ticket > median) {
        return;
    }
    let most = value * median / ticket;
    v.fail(
        key,
        num(value),
        format!(
            "must be at most {} with {} deals{what}: the initial ticket, commitment x (1 - management_fee x \
             term_years) x (1 - reserve_ratio) / deals = {}, exceeds the median entry valuation at the lowest \
             entry stage (stages.{}.entry_valuation = {}), so the typical deal would pay a full ticket for \
             ownership capped at 100 % of the company (lower it or raise deals)",
            num(round3(most)),
            spec.deals,
            num(round3(ticket)),
            STAGES[stage],
            num(median),
        ),
    );
}

/// Rounded to 3 decimals for a message.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
