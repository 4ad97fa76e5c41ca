//! The validated loan programme (`[vehicles.<name>]` of kind
//! `loan_program` after `input.rs` has checked it): the policy levers, the
//! lending table and the annual PDs they imply.

use crate::model::company::{CompanyModel, Stage};

/// Government-bank-guarantor risk sharing (政银担).
#[derive(Debug, Clone, PartialEq)]
pub struct Guarantee {
    /// Share of each loss the guarantor pays.
    pub share: f64,
    /// Guarantee fee per year on principal, paid by the borrower.
    pub fee: f64,
    /// Share of the fee the government pays (贴保).
    pub fee_subsidy: f64,
    /// Share of the guarantor's payments borne by the government
    /// re-guarantee.
    pub reguarantee_share: f64,
}

/// Government-bank-insurer risk sharing (政银保, 小额贷款保证保险).
#[derive(Debug, Clone, PartialEq)]
pub struct Insurance {
    pub share: f64,
    /// Premium per year on principal, paid by the borrower.
    pub premium: f64,
    /// Government reward to the bank, as a share of the amount lent.
    pub bank_reward: f64,
    /// Government reward to the insurer, as a share of the amount insured.
    pub insurer_reward: f64,
}

/// Risk-compensation pool (风险补偿资金池).
#[derive(Debug, Clone, PartialEq)]
pub struct RiskCompensation {
    /// Share of the bank's remaining loss the pool pays.
    pub ratio: f64,
    /// Money in the pool; `None`: it never runs dry.
    pub pool_size: Option<f64>,
    /// Cap on one loan's compensation, as a share of its principal.
    pub per_loan_cap: Option<f64>,
    /// Added to a finite pool at the start of each later year of lending.
    pub annual_top_up: f64,
}

/// Validated `[vehicles.<name>.policy]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanPolicy {
    pub guarantee: Option<Guarantee>,
    pub insurance: Option<Insurance>,
    pub risk_compensation: Option<RiskCompensation>,
    /// Percentage points a year of interest paid by the government (贴息).
    pub interest_subsidy: f64,
    pub subsidy_pd_elasticity: f64,
    /// Year-end NPL stock ratio above which `npl_breach` is 1 (不良容忍度).
    pub npl_tolerance: f64,
    /// Share of the bank's premium on first-time borrowers removed by a
    /// first-loan programme (首贷户, item 十一; lending table only).
    pub first_loan_relief: f64,
}

/// Validated `[vehicles.<name>.lending]`: who applies and how the bank
/// decides (MODEL.md section 7; docs/MODEL.md 6.11).
#[derive(Debug, Clone, PartialEq)]
pub struct Lending {
    /// Firms applying per cohort.
    pub applicants: u32,
    /// The bank's required annual return on each yuan lent, over its
    /// funding cost and after the expected loss it keeps.
    pub hurdle: f64,
    /// Spread of the applicants' one-year probit thresholds Φ⁻¹(PD).
    pub pd_dispersion: f64,
    /// Noise of the bank's reading of a threshold, for firms with a credit
    /// file and for first-time borrowers.
    pub screening_noise: f64,
    pub first_loan_screening_noise: f64,
    /// Extra annual return the bank asks of a first-time borrower.
    pub first_loan_premium: f64,
    /// Perceived PD above which the bank asks for collateral (IP pledge).
    pub collateral_pd: Option<f64>,
    /// PD × (1 + moral_hazard × share of the loss passed on).
    pub moral_hazard: f64,
}

/// Validated `[vehicles.<name>]` of kind `loan_program`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanProgramSpec {
    pub loans: u32,
    pub loan_size: f64,
    pub borrower_stage: Stage,
    pub term_years: f64,
    pub interest_rate: f64,
    pub funding_cost: f64,
    /// Annual PD overriding the borrower stage's failure rate.
    pub pd: Option<f64>,
    pub first_loan_share: f64,
    pub first_loan_pd_multiplier: f64,
    pub lgd: f64,
    pub ip_pledge_share: f64,
    pub ip_recovery: f64,
    pub ip_recovery_sd: f64,
    pub warrant_coverage: f64,
    /// Downturn loading of LGD on the year's factor (0: LGD is constant).
    pub downturn_lgd: f64,
    pub policy: LoanPolicy,
    /// Years of new lending (one cohort at the start of each).
    pub cohorts: u32,
    pub lending: Option<Lending>,
    /// The equity vehicle whose portfolio companies borrow (投贷联动).
    pub borrowers_from: Option<String>,
    /// A loan at each follow-on investment too, not only the first.
    pub follow_on_loans: bool,
    /// A loan is this share of the fund's cheque, capped at `loan_size`.
    pub loan_share: Option<f64>,
    /// The bank's investment arm's share alongside each cheque of the fund.
    pub coinvest_share: f64,
}

impl LoanProgramSpec {
    /// The PD factor of the interest subsidy's elasticity:
    /// 1 - e x subsidy / rate, at least 0 (1 when the rate is 0).
    pub(crate) fn subsidy_relief(&self) -> f64 {
        let p = &self.policy;
        if self.interest_rate > 0.0 {
            (1.0 - p.subsidy_pd_elasticity * p.interest_subsidy / self.interest_rate).max(0.0)
        } else {
            1.0
        }
    }

    /// The annual PD of a borrower at `stage` (first-time or not), after
    /// the first-loan multiplier and the interest subsidy's PD elasticity:
    /// PD x (1 - e x subsidy / rate), within [0, 1].
    pub fn annual_pd(&self, model: &CompanyModel, stage: usize, first: bool) -> f64 {
        (self.class_pd(model, stage, first) * self.subsidy_relief()).clamp(0.0, 1.0)
    }

    /// The annual PD of a borrower class before any policy: the stage's
    /// rate (or `pd`) times the first-loan multiplier.
    pub(super) fn class_pd(&self, model: &CompanyModel, stage: usize, first: bool) -> f64 {
        let base = self.pd.unwrap_or(model.params[stage].failure_rate);
        let multiplier = if first { self.first_loan_pd_multiplier } else { 1.0 };
        (base * multiplier).clamp(0.0, 1.0)
    }

    /// The guarantee's and the insurance's shares of a loss.
    pub(super) fn covered_share(&self) -> f64 {
        let p = &self.policy;
        p.guarantee.as_ref().map_or(0.0, |g| g.share) + p.insurance.as_ref().map_or(0.0, |i| i.share)
    }
}
