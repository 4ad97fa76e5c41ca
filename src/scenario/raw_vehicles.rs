//! Raw vehicle tables (`[vehicles.<name>]`), one struct per `kind`, as
//! serde reads them; part of the raw scenario types (see `raw`). Each is
//! read separately, by its `kind`, so unknown keys are reported with the
//! vehicle's key path.

use serde::{Deserialize, Serialize};

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

/// `[vehicles.<name>]` with `kind = "loan_program"` (MODEL.md 4.4).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawLoanProgram {
    pub kind: String,
    pub loans: i64,
    pub loan_size: f64,
    pub borrower_stage: String,
    pub term_years: f64,
    pub interest_rate: f64,
    pub funding_cost: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    pub first_loan_share: f64,
    pub first_loan_pd_multiplier: f64,
    pub lgd: f64,
    pub ip_pledge_share: f64,
    pub ip_recovery: f64,
    pub ip_recovery_sd: f64,
    pub warrant_coverage: f64,
    pub policy: RawLoanPolicy,
}

impl Default for RawLoanProgram {
    fn default() -> Self {
        RawLoanProgram {
            kind: "loan_program".into(),
            loans: 1000,
            loan_size: 5.0,
            borrower_stage: "growth".into(),
            term_years: 1.0,
            interest_rate: 0.04,
            funding_cost: 0.02,
            pd: None,
            first_loan_share: 0.0,
            first_loan_pd_multiplier: 1.5,
            lgd: 0.45,
            ip_pledge_share: 0.0,
            ip_recovery: 0.3,
            ip_recovery_sd: 0.15,
            warrant_coverage: 0.0,
            policy: RawLoanPolicy::default(),
        }
    }
}

/// `[vehicles.<name>.policy]`: the credit levers, each off unless given.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawLoanPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<RawGuarantee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insurance: Option<RawInsurance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_compensation: Option<RawRiskCompensation>,
    pub interest_subsidy: f64,
    pub subsidy_pd_elasticity: f64,
    pub npl_tolerance: f64,
}

impl Default for RawLoanPolicy {
    fn default() -> Self {
        RawLoanPolicy {
            guarantee: None,
            insurance: None,
            risk_compensation: None,
            interest_subsidy: 0.0,
            subsidy_pd_elasticity: 0.0,
            npl_tolerance: 0.0462,
        }
    }
}

/// Government-bank-guarantor risk sharing (政銀擔).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawGuarantee {
    pub share: f64,
    pub fee: f64,
    pub fee_subsidy: f64,
    pub reguarantee_share: f64,
}

impl Default for RawGuarantee {
    fn default() -> Self {
        RawGuarantee { share: 0.8, fee: 0.01, fee_subsidy: 0.5, reguarantee_share: 0.5 }
    }
}

/// Government-bank-insurer risk sharing (政銀保, 小額貸款保證保險).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawInsurance {
    pub share: f64,
    pub premium: f64,
    pub bank_reward: f64,
    pub insurer_reward: f64,
}

impl Default for RawInsurance {
    fn default() -> Self {
        RawInsurance { share: 0.2, premium: 0.02, bank_reward: 0.005, insurer_reward: 0.01 }
    }
}

/// Risk-compensation pool (風險補償資金池).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawRiskCompensation {
    pub ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_loan_cap: Option<f64>,
}

impl Default for RawRiskCompensation {
    fn default() -> Self {
        RawRiskCompensation { ratio: 0.3, pool_size: None, per_loan_cap: None }
    }
}

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_cap: Option<f64>,
    pub first_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyback: Option<RawBuyback>,
    pub reinvestment_ratio: f64,
    pub local_deal_share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_tolerance: Option<f64>,
    pub discount_rate: f64,
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
            return_cap: None,
            first_loss: 0.0,
            buyback: None,
            reinvestment_ratio: 0.0,
            local_deal_share: 0.0,
            loss_tolerance: None,
            discount_rate: 0.025,
        }
    }
}

/// `buyback = { year, rate }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawBuyback {
    pub year: f64,
    pub rate: f64,
}

impl Default for RawBuyback {
    fn default() -> Self {
        RawBuyback { year: 3.0, rate: 0.0345 }
    }
}

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
