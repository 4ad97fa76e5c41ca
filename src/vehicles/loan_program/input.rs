//! `[vehicles.<name>]` with `kind = "loan_program"`: the table as serde reads it
//! (every key with its default) and its validation into the spec, every
//! broken rule collected with its key path.

use serde::{Deserialize, Serialize};

use super::{Guarantee, Insurance, Lending, LoanPolicy, LoanProgramSpec, RiskCompensation};
use crate::model::company::Stage;
use crate::scenario::validate::{SUM_TOL, Validator};

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
    /// Downturn LGD: loading of the loss rate on the year's factor.
    pub downturn_lgd: f64,
    /// Years of new lending: a cohort of loans at the start of each.
    pub cohorts: i64,
    pub policy: RawLoanPolicy,
    /// With it, the bank decides whom to lend to (MODEL.md section 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lending: Option<RawLending>,
    /// An equity vehicle of the scenario whose portfolio companies are the
    /// borrowers (投贷联动): one loan per investment of the fund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub borrowers_from: Option<String>,
    /// With `borrowers_from`: a loan also at each follow-on investment.
    pub follow_on_loans: bool,
    /// With `borrowers_from`: a loan is this share of the fund's cheque,
    /// capped at `loan_size` (absent: every loan is `loan_size`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loan_share: Option<f64>,
    /// With `borrowers_from`: the bank's investment arm puts in this share
    /// of every cheque the fund writes, alongside it.
    pub coinvest_share: f64,
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
            downturn_lgd: 0.0,
            cohorts: 1,
            policy: RawLoanPolicy::default(),
            lending: None,
            borrowers_from: None,
            follow_on_loans: false,
            loan_share: None,
            coinvest_share: 0.0,
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
    /// Share of the bank's premium on first-time borrowers that a
    /// first-loan programme removes (首贷户培育, item 十一).
    pub first_loan_relief: f64,
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
            first_loan_relief: 0.0,
        }
    }
}

/// `[vehicles.<name>.lending]`: applicants and the bank's decision.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawLending {
    pub applicants: i64,
    pub hurdle: f64,
    pub pd_dispersion: f64,
    pub screening_noise: f64,
    pub first_loan_screening_noise: f64,
    pub first_loan_premium: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collateral_pd: Option<f64>,
    pub moral_hazard: f64,
}

impl Default for RawLending {
    fn default() -> Self {
        RawLending {
            applicants: 2000,
            hurdle: 0.01,
            pd_dispersion: 0.5,
            screening_noise: 0.3,
            first_loan_screening_noise: 0.6,
            first_loan_premium: 0.005,
            collateral_pd: None,
            moral_hazard: 0.0,
        }
    }
}

/// Government-bank-guarantor risk sharing (政银担).
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

/// Government-bank-insurer risk sharing (政银保, 小额贷款保证保险).
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

/// Risk-compensation pool (风险补偿资金池).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RawRiskCompensation {
    pub ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_loan_cap: Option<f64>,
    /// Money added to a finite pool at the start of each later year of
    /// lending (the city's annual budget).
    pub annual_top_up: f64,
}

impl Default for RawRiskCompensation {
    fn default() -> Self {
        RawRiskCompensation { ratio: 0.3, pool_size: None, per_loan_cap: None, annual_top_up: 0.0 }
    }
}

/// The stage of the simulation a key first affects (issue 19): what a
/// sweep variant or sensitivity case that changes only such keys can share
/// with the others. `Market` keys shape the economy, `Borrowers` keys the
/// loans or applicants, their risk and their fates, `Decision` keys the
/// bank's decision on each applicant (and, through it, which loans are
/// made), `Settlement` keys how a default's loss and the programme's flows
/// are valued and shared (guarantee, insurance, pool, subsidies, fees),
/// `Output` keys only how results are reported. Variants that differ only
/// in `Decision`, `Settlement` and `Output` keys run in lockstep
/// (`lockstep.rs`); a key of any other class, or without one, makes its
/// variant run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    Market,
    Borrowers,
    Decision,
    Settlement,
    Output,
}

/// Every key of the resolved table (dotted within `[vehicles.<name>]`)
/// with its class, in the order of the structs above (docs/PERFORMANCE.md
/// lists the counts). A test checks that every key the table can hold is
/// listed.
pub const KEY_CLASSES: [(&str, KeyClass); 45] = {
    use KeyClass::*;
    [
        ("kind", Borrowers),
        ("loans", Borrowers),
        // The principal scales each loss, interest and subsidy; the bank
        // decides per yuan lent.
        ("loan_size", Settlement),
        ("borrower_stage", Borrowers),
        ("term_years", Borrowers),
        ("interest_rate", Decision),
        ("funding_cost", Decision),
        ("pd", Borrowers),
        ("first_loan_share", Borrowers),
        ("first_loan_pd_multiplier", Borrowers),
        // The bank's expected loss, then each default's loss.
        ("lgd", Decision),
        ("ip_pledge_share", Borrowers),
        ("ip_recovery", Decision),
        // Only the recovery drawn on a default.
        ("ip_recovery_sd", Settlement),
        // The warrant's share of an exit (a programme with warrants
        // follows its borrowers beyond their loans: switching warrants on
        // or off changes the loop, `lockstep::compatible`).
        ("warrant_coverage", Settlement),
        ("downturn_lgd", Settlement),
        ("cohorts", Borrowers),
        ("borrowers_from", Borrowers),
        ("follow_on_loans", Borrowers),
        ("loan_share", Borrowers),
        ("coinvest_share", Borrowers),
        // The levers: each reaches the decision through the return the
        // bank keeps (a share, a ratio, a cap, a reward, a subsidy's
        // relief) or the pool's state when a cohort is lent (its size and
        // top-ups); the rest only value the flows.
        ("policy.guarantee.share", Decision),
        ("policy.guarantee.fee", Settlement),
        ("policy.guarantee.fee_subsidy", Settlement),
        ("policy.guarantee.reguarantee_share", Settlement),
        ("policy.insurance.share", Decision),
        ("policy.insurance.premium", Settlement),
        ("policy.insurance.bank_reward", Decision),
        ("policy.insurance.insurer_reward", Settlement),
        ("policy.risk_compensation.ratio", Decision),
        ("policy.risk_compensation.pool_size", Decision),
        ("policy.risk_compensation.per_loan_cap", Decision),
        ("policy.risk_compensation.annual_top_up", Decision),
        ("policy.interest_subsidy", Decision),
        ("policy.subsidy_pd_elasticity", Decision),
        // Only the `npl_breach` indicator.
        ("policy.npl_tolerance", Output),
        ("policy.first_loan_relief", Decision),
        ("lending.applicants", Borrowers),
        ("lending.hurdle", Decision),
        ("lending.pd_dispersion", Borrowers),
        ("lending.screening_noise", Decision),
        ("lending.first_loan_screening_noise", Decision),
        ("lending.first_loan_premium", Decision),
        ("lending.collateral_pd", Decision),
        // The borrower's PD under the policy, from the share of the loss
        // the decision passes on.
        ("lending.moral_hazard", Decision),
    ]
};

/// The scenario's fiscal basis, which the fingerprint that sharing
/// compares adds to every vehicle's table (`scenario::resolve`): it only
/// values the programme's fiscal flows, so it is of the settlement class.
pub const FISCAL_KEY: (&str, KeyClass) = ("fiscal.discount_rate", KeyClass::Settlement);

/// The class of a key of the resolved table (see `KEY_CLASSES`), or of
/// `FISCAL_KEY`; `None` for a key without one.
pub fn key_class(key: &str) -> Option<KeyClass> {
    KEY_CLASSES.iter().chain([&FISCAL_KEY]).find(|(k, _)| *k == key).map(|&(_, c)| c)
}

/// Loan programme keys (MODEL.md 4.4).
pub(crate) fn loan_program_spec(prefix: &str, l: &RawLoanProgram, years: u32, v: &mut Validator<'_>) -> LoanProgramSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let stage = match Stage::from_name(&l.borrower_stage) {
        Some(stage) => stage,
        None => {
            v.fail(
                &key("borrower_stage"),
                format!("{:?}", l.borrower_stage),
                "must be one of \"seed\", \"early\", \"growth\", \"late\"",
            );
            Stage::SEED
        }
    };
    let term_years = v.within(&key("term_years"), l.term_years, 0.0, 50.0);
    let cohorts = v.integer(&key("cohorts"), l.cohorts, 1, 1000) as u32;
    if term_years <= 0.0 {
        v.fail(&key("term_years"), term_years, "must be > 0");
    } else if term_years > years as f64 {
        v.fail(&key("term_years"), term_years, format!("must not exceed simulation.years ({years})"));
    } else if (cohorts - 1) as f64 + term_years > years as f64 {
        v.fail(
            &key("cohorts"),
            cohorts,
            format!(
                "the last cohort, lent {} years after the first, must mature within simulation.years ({years}): \
                 cohorts - 1 + term_years must not exceed it",
                cohorts - 1
            ),
        );
    }
    let ip_recovery = v.within(&key("ip_recovery"), l.ip_recovery, 0.0, 1.0);
    let ip_recovery_sd = v.within(&key("ip_recovery_sd"), l.ip_recovery_sd, 0.0, 0.5);
    if ip_recovery > 0.0 && ip_recovery < 1.0 && ip_recovery_sd > 0.0 {
        if ip_recovery_sd * ip_recovery_sd >= ip_recovery * (1.0 - ip_recovery) {
            v.fail(
                &key("ip_recovery_sd"),
                ip_recovery_sd,
                format!(
                    "must be below sqrt(m (1 - m)) = {:.4} for a Beta with mean ip_recovery = {ip_recovery}",
                    (ip_recovery * (1.0 - ip_recovery)).sqrt()
                ),
            );
        }
    } else if l.ip_pledge_share > 0.0 {
        v.fail(
            &key("ip_recovery"),
            ip_recovery,
            "with IP-pledge loans, ip_recovery must be within (0, 1) and ip_recovery_sd > 0 (a Beta distribution)",
        );
    }
    let p = &l.policy;
    let pk = |k: &str| format!("{prefix}.policy.{k}");
    let guarantee = p.guarantee.as_ref().map(|g| Guarantee {
        share: v.unit(&pk("guarantee.share"), g.share),
        fee: v.within(&pk("guarantee.fee"), g.fee, 0.0, 1.0),
        fee_subsidy: v.unit(&pk("guarantee.fee_subsidy"), g.fee_subsidy),
        reguarantee_share: v.unit(&pk("guarantee.reguarantee_share"), g.reguarantee_share),
    });
    let insurance = p.insurance.as_ref().map(|i| Insurance {
        share: v.unit(&pk("insurance.share"), i.share),
        premium: v.within(&pk("insurance.premium"), i.premium, 0.0, 1.0),
        bank_reward: v.within(&pk("insurance.bank_reward"), i.bank_reward, 0.0, 1.0),
        insurer_reward: v.within(&pk("insurance.insurer_reward"), i.insurer_reward, 0.0, 1.0),
    });
    let shares = guarantee.as_ref().map_or(0.0, |g| g.share) + insurance.as_ref().map_or(0.0, |i| i.share);
    if shares > 1.0 + SUM_TOL {
        v.fail(
            &pk("insurance.share"),
            insurance.as_ref().map_or(0.0, |i| i.share),
            format!("guarantee.share + insurance.share must not exceed 1 (they add up to {shares})"),
        );
    }
    let risk_compensation = p.risk_compensation.as_ref().map(|r| RiskCompensation {
        ratio: v.unit(&pk("risk_compensation.ratio"), r.ratio),
        pool_size: r.pool_size.map(|x| v.amount_or_zero(&pk("risk_compensation.pool_size"), x)),
        per_loan_cap: r.per_loan_cap.map(|x| v.unit(&pk("risk_compensation.per_loan_cap"), x)),
        annual_top_up: {
            let x = v.amount_or_zero(&pk("risk_compensation.annual_top_up"), r.annual_top_up);
            if x > 0.0 && r.pool_size.is_none() {
                v.fail(
                    &pk("risk_compensation.annual_top_up"),
                    x,
                    "needs a finite risk_compensation.pool_size (a pool without a size never runs dry)",
                );
            }
            x
        },
    });
    let lk = |k: &str| format!("{prefix}.lending.{k}");
    let lending = l.lending.as_ref().map(|x| Lending {
        applicants: v.integer(&lk("applicants"), x.applicants, 1, 10_000_000) as u32,
        hurdle: v.within(&lk("hurdle"), x.hurdle, -1.0, 1.0),
        pd_dispersion: v.within(&lk("pd_dispersion"), x.pd_dispersion, 0.0, 3.0),
        screening_noise: v.within(&lk("screening_noise"), x.screening_noise, 0.0, 5.0),
        first_loan_screening_noise: v.within(&lk("first_loan_screening_noise"), x.first_loan_screening_noise, 0.0, 5.0),
        first_loan_premium: v.within(&lk("first_loan_premium"), x.first_loan_premium, 0.0, 1.0),
        collateral_pd: x.collateral_pd.map(|p| v.unit(&lk("collateral_pd"), p)),
        moral_hazard: v.within(&lk("moral_hazard"), x.moral_hazard, 0.0, 10.0),
    });
    let linked = l.borrowers_from.is_some();
    if linked && l.lending.is_some() {
        // The bank decides on the fund's companies (`linked_lending.rs`).
        if l.pd.is_none() {
            v.fail(
                &key("pd"),
                "absent",
                "must be given with borrowers_from and a lending table: the bank's prior annual PD of the fund's \
                 companies, the centre of its screening",
            );
        }
        if p.subsidy_pd_elasticity != 0.0 {
            v.fail(
                &pk("subsidy_pd_elasticity"),
                p.subsidy_pd_elasticity,
                "must be 0 with borrowers_from and a lending table: a linked borrower's failure is its company's in \
                 the fund, which a subsidy cannot change, so the bank cannot count on it",
            );
        }
        if let Some(size) = p.risk_compensation.as_ref().and_then(|r| r.pool_size) {
            v.fail(
                &pk("risk_compensation.pool_size"),
                size,
                "is not supported with borrowers_from and a lending table yet: the bank decides on a fund's companies \
                 counting on a pool that never runs dry (remove pool_size)",
            );
        }
    }
    if linked && p.risk_compensation.as_ref().is_some_and(|r| r.annual_top_up != 0.0) {
        v.fail(
            &pk("risk_compensation.annual_top_up"),
            p.risk_compensation.as_ref().map_or(0.0, |r| r.annual_top_up),
            "must be 0 with borrowers_from: top-ups come with yearly cohorts, and a linked programme lends when \
             the fund invests",
        );
    }
    let loan_share = l.loan_share.map(|x| {
        let x = v.unit(&key("loan_share"), x);
        if x <= 0.0 {
            v.fail(&key("loan_share"), x, "must be > 0 (the loan as a share of the fund's cheque)");
        }
        x
    });
    LoanProgramSpec {
        borrowers_from: l.borrowers_from.clone(),
        follow_on_loans: l.follow_on_loans,
        loan_share,
        coinvest_share: v.within(&key("coinvest_share"), l.coinvest_share, 0.0, 10.0),
        loans: v.integer(&key("loans"), l.loans, 1, 10_000_000) as u32,
        loan_size: v.amount(&key("loan_size"), l.loan_size),
        borrower_stage: stage,
        term_years,
        interest_rate: v.within(&key("interest_rate"), l.interest_rate, 0.0, 1.0),
        funding_cost: v.within(&key("funding_cost"), l.funding_cost, 0.0, 1.0),
        pd: l.pd.map(|x| v.unit(&key("pd"), x)),
        first_loan_share: v.unit(&key("first_loan_share"), l.first_loan_share),
        first_loan_pd_multiplier: v.within(&key("first_loan_pd_multiplier"), l.first_loan_pd_multiplier, 0.0, 100.0),
        lgd: v.unit(&key("lgd"), l.lgd),
        ip_pledge_share: v.unit(&key("ip_pledge_share"), l.ip_pledge_share),
        ip_recovery,
        ip_recovery_sd,
        warrant_coverage: v.within(&key("warrant_coverage"), l.warrant_coverage, 0.0, 10.0),
        downturn_lgd: v.within(&key("downturn_lgd"), l.downturn_lgd, 0.0, 2.0),
        policy: LoanPolicy {
            guarantee,
            insurance,
            risk_compensation,
            interest_subsidy: {
                let x = p.interest_subsidy;
                if !(x.is_finite() && (0.0..=0.2).contains(&x)) {
                    v.fail(
                        &pk("interest_subsidy"),
                        x,
                        "must be within [0, 0.2]: a rate as a decimal (0.01 = 1 percentage point)",
                    );
                }
                x
            },
            subsidy_pd_elasticity: v.within(&pk("subsidy_pd_elasticity"), p.subsidy_pd_elasticity, 0.0, 100.0),
            npl_tolerance: v.unit(&pk("npl_tolerance"), p.npl_tolerance),
            first_loan_relief: v.unit(&pk("first_loan_relief"), p.first_loan_relief),
        },
        cohorts,
        lending,
    }
}


/// A loan runs a whole number of steps: `term_years` must be a multiple of
/// 1/steps_per_year (0.1 at 4 steps a year would run as a quarter).
pub(crate) fn check_term_steps(prefix: &str, l: &RawLoanProgram, steps_per_year: u32, v: &mut Validator<'_>) {
    let steps = l.term_years * steps_per_year as f64;
    if l.term_years.is_finite() && l.term_years > 0.0 && (steps - steps.round()).abs() > 1e-9 {
        let rule = format!("must be a multiple of 1/steps_per_year ({}): a loan runs whole steps", 1.0 / steps_per_year as f64);
        v.fail(&format!("{prefix}.term_years"), l.term_years, rule);
    }
}
