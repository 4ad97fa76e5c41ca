//! Validation of vehicle tables (MODEL.md section 4): raw vehicle types ->
//! checked specs, every broken rule collected with its key path (see
//! `validate` for the scenario-wide part).

use crate::model::company::STAGES;
use crate::scenario::raw::{RawGuidanceFund, RawLoanProgram, RawSFund, RawVentureFund};
use crate::scenario::validate::{SUM_TOL, Validator};
use crate::vehicles::guidance_fund::{Buyback, GuidanceFundSpec};
use crate::vehicles::loan_program::{Guarantee, Insurance, LoanPolicy, LoanProgramSpec, RiskCompensation};
use crate::vehicles::s_fund::SFundSpec;
use crate::vehicles::venture_fund::VentureFundSpec;

/// Venture fund keys (MODEL.md 4.1); also used for sub-funds and targets.
pub fn venture_fund_spec(prefix: &str, f: &RawVentureFund, v: &mut Validator<'_>) -> VentureFundSpec {
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

/// Loan programme keys (MODEL.md 4.4).
pub fn loan_program_spec(prefix: &str, l: &RawLoanProgram, years: u32, v: &mut Validator<'_>) -> LoanProgramSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let stage = match STAGES.iter().position(|s| *s == l.borrower_stage) {
        Some(i) => i as u8,
        None => {
            v.fail(
                &key("borrower_stage"),
                format!("{:?}", l.borrower_stage),
                "must be one of \"seed\", \"early\", \"growth\", \"late\"",
            );
            0
        }
    };
    let term_years = v.within(&key("term_years"), l.term_years, 0.0, 50.0);
    if term_years <= 0.0 {
        v.fail(&key("term_years"), term_years, "must be > 0");
    } else if term_years > years as f64 {
        v.fail(&key("term_years"), term_years, format!("must not exceed simulation.years ({years})"));
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
    });
    LoanProgramSpec {
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
        },
    }
}

/// Guidance fund keys (MODEL.md 4.2).
pub fn guidance_fund_spec(prefix: &str, g: &RawGuidanceFund, v: &mut Validator<'_>) -> GuidanceFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    let government_share = v.within(&key("government_share"), g.government_share, 0.0, 1.0);
    if government_share <= 0.0 {
        v.fail(
            &key("government_share"),
            government_share,
            "must be > 0 (the government holds a share of every sub-fund)",
        );
    }
    GuidanceFundSpec {
        government_capital: v.amount(&key("government_capital"), g.government_capital),
        subfunds: v.integer(&key("subfunds"), g.subfunds, 1, 10_000) as u32,
        government_share: government_share.max(f64::MIN_POSITIVE),
        launch_years: v.within(&key("launch_years"), g.launch_years, 0.0, 50.0),
        subfund: venture_fund_spec(&key("subfund"), &g.subfund, v),
        profit_concession: v.unit(&key("profit_concession"), g.profit_concession),
        return_cap: g.return_cap.map(|r| v.within(&key("return_cap"), r, 0.0, 1.0)),
        first_loss: v.unit(&key("first_loss"), g.first_loss),
        buyback: g.buyback.as_ref().map(|b| {
            let year = v.within(&key("buyback.year"), b.year, 0.0, 50.0);
            if year <= 0.0 {
                v.fail(&key("buyback.year"), year, "must be > 0 (a fund age in years)");
            }
            Buyback { year, rate: v.within(&key("buyback.rate"), b.rate, 0.0, 1.0) }
        }),
        reinvestment_ratio: v.within(&key("reinvestment_ratio"), g.reinvestment_ratio, 0.0, 100.0),
        local_deal_share: v.unit(&key("local_deal_share"), g.local_deal_share),
        loss_tolerance: g.loss_tolerance.map(|t| v.unit(&key("loss_tolerance"), t)),
        discount_rate: v.within(&key("discount_rate"), g.discount_rate, -0.5, 1.0),
    }
}

/// S fund keys (MODEL.md 4.3); `regimes` is the number of exit-market states.
pub fn s_fund_spec(prefix: &str, f: &RawSFund, regimes: usize, years: u32, v: &mut Validator<'_>) -> SFundSpec {
    let key = |k: &str| format!("{prefix}.{k}");
    if f.discount_by_regime.len() != regimes {
        v.fail(
            &key("discount_by_regime"),
            crate::scenario::validate::fmt_list(&f.discount_by_regime),
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
    let purchase_age_years = v.within(&key("purchase_age_years"), f.purchase_age_years, 0.0, years as f64);
    if purchase_age_years <= 0.0 {
        v.fail(&key("purchase_age_years"), purchase_age_years, "must be > 0 (a fund age in years)");
    }
    SFundSpec {
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
    }
}
