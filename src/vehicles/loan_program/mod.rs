//! `loan_program`: investment-loan linkage and the credit policy levers
//! (MODEL.md 4.4; 投貸聯動, 政銀擔, 政銀保).
//!
//! `loans` bullet loans of `loan_size` go at time 0 to borrower companies
//! of the company model (same common factor and regimes as every other
//! vehicle). A borrower that fails before maturity defaults; its loss is
//! allocated, in order of default (by step, then by loan), to the
//! guarantor, the insurer, the risk-compensation pool and the bank. A
//! borrower that exits by IPO or acquisition can no longer fail and repays
//! at maturity; with warrants, the bank's investment arm gains on the exit.
//!
//! Loans without warrants never look at borrower values, so they step their
//! borrowers with `Company::step_lean` and, in a loan's last step, read only
//! the failure draw: the same failures and exits as the full company model
//! (see `model::company`), for a fraction of the work.

use rand::RngExt;
use rand_distr::{Beta, Distribution};

use crate::model::company::{Company, CompanyModel, Event, Stage, Status, failure_threshold_bits};
use crate::model::market::MarketPath;
use crate::rng::{Stream, company_key, scan};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{
    CREDIT_PER_FISCAL_YUAN, FISCAL_COST, Metric, Series, Unit, loss, plain, plain_loss, ret, series, tabled,
};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::{Amount, BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use input::{RawLoanProgram, loan_program_spec};

pub mod input;

/// Metrics of `loan_program`, in column order (MODEL.md 4.4).
pub const METRICS: [Metric; 21] = [
    plain("defaults", Unit::Count, "defaults", "loan pool"),
    loss("default_rate", Unit::Share, "default rate", "loan pool"),
    plain("npl_ratio", Unit::Share, "npl ratio", "bank"),
    loss("gross_loss", Unit::Money, "gross loss", "loan pool"),
    plain_loss("guarantor_loss", Unit::Money, "guarantor loss", "guarantor"),
    plain_loss("insurer_loss", Unit::Money, "insurer loss", "insurer"),
    plain_loss("compensation_paid", Unit::Money, "compensation paid", "government"),
    loss("bank_net_loss", Unit::Money, "net loss", "bank"),
    plain("interest_income", Unit::Money, "interest income", "bank"),
    plain("funding_cost", Unit::Money, "funding cost", "bank"),
    plain("warrant_gain", Unit::Money, "warrant gain", "bank"),
    ret("bank_return", Unit::Rate, "return", "bank"),
    plain("guarantor_net", Unit::Money, "guarantor net", "guarantor"),
    plain("insurer_net", Unit::Money, "insurer net", "insurer"),
    plain("reguarantee_cost", Unit::Money, "reguarantee cost", "government"),
    plain("subsidy_cost", Unit::Money, "subsidy cost", "government"),
    plain("reward_cost", Unit::Money, "reward cost", "government"),
    FISCAL_COST,
    tabled("pool_exhausted", Unit::Indicator, "risk pool exhausted", "loan programme"),
    plain("npl_breach", Unit::Indicator, "npl breach", "bank"),
    CREDIT_PER_FISCAL_YUAN,
];

/// Per-step series of `loan_program`: cumulative gross loss and fiscal cost.
pub const SERIES: [Series; 2] = [
    series("cum_gross_loss", "Cumulative gross credit loss", "lenders and guarantors"),
    series("cum_fiscal_cost", "Cumulative fiscal cost", "government"),
];

impl VehicleModel for LoanProgram {
    const KIND: &'static str = "loan_program";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = false;
    type Raw = RawLoanProgram;
    type Spec = LoanProgramSpec;
    type Workspace = LoanWorkspace;

    fn validate(prefix: &str, raw: &RawLoanProgram, facts: &ScenarioFacts, v: &mut Validator<'_>) -> LoanProgramSpec {
        loan_program_spec(prefix, raw, facts.years, v)
    }

    fn build(spec: LoanProgramSpec, cx: &BuildContext<'_>) -> Self {
        LoanProgram::new(spec, cx.key, cx.model)
    }

    fn fiscal_role(&self) -> FiscalRole {
        FiscalRole {
            fiscal_cost: METRICS.iter().position(|m| m.name == "fiscal_cost"),
            private_capital: None,
            credit: self.spec.loans as f64 * self.spec.loan_size,
            firms: Amount::Constant(self.spec.loans as f64),
        }
    }

    fn path_workspace(&self, _horizon_steps: usize) -> LoanWorkspace {
        LoanWorkspace::default()
    }

    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        lw: &mut LoanWorkspace,
        row: &mut [f64],
        series: &mut [f64],
        _deals: &mut DealCounts,
    ) -> u64 {
        let horizon = ctx.market.z.len();
        let (cum_loss, cum_fiscal) = series.split_at_mut(horizon);
        let o = self.simulate(ctx.path_key, ctx.market, ctx.model, lw, cum_loss, cum_fiscal);
        row.copy_from_slice(&self.metrics(&o));
        o.loan_steps
    }
}

/// Government-bank-guarantor risk sharing (政銀擔).
#[derive(Debug, Clone, PartialEq)]
pub struct Guarantee {
    /// Share of each loss the guarantor pays.
    pub share: f64,
    /// Guarantee fee per year on principal, paid by the borrower.
    pub fee: f64,
    /// Share of the fee the government pays (貼保).
    pub fee_subsidy: f64,
    /// Share of the guarantor's payments borne by the government
    /// re-guarantee.
    pub reguarantee_share: f64,
}

/// Government-bank-insurer risk sharing (政銀保, 小額貸款保證保險).
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

/// Risk-compensation pool (風險補償資金池).
#[derive(Debug, Clone, PartialEq)]
pub struct RiskCompensation {
    /// Share of the bank's remaining loss the pool pays.
    pub ratio: f64,
    /// Money in the pool; `None`: it never runs dry.
    pub pool_size: Option<f64>,
    /// Cap on one loan's compensation, as a share of its principal.
    pub per_loan_cap: Option<f64>,
}

/// Validated `[vehicles.<name>.policy]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanPolicy {
    pub guarantee: Option<Guarantee>,
    pub insurance: Option<Insurance>,
    pub risk_compensation: Option<RiskCompensation>,
    /// Percentage points a year of interest paid by the government (貼息).
    pub interest_subsidy: f64,
    pub subsidy_pd_elasticity: f64,
    /// NPL ratio above which `npl_breach` is 1 (不良容忍度).
    pub npl_tolerance: f64,
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
    pub policy: LoanPolicy,
}

impl LoanProgramSpec {
    /// The annual PD of a borrower at `stage` (first-time or not), after
    /// the first-loan multiplier and the interest subsidy's PD elasticity:
    /// PD x (1 - e x subsidy / rate), within [0, 1].
    pub fn annual_pd(&self, model: &CompanyModel, stage: usize, first: bool) -> f64 {
        let base = self.pd.unwrap_or(model.params[stage].failure_rate);
        let multiplier = if first { self.first_loan_pd_multiplier } else { 1.0 };
        let p = &self.policy;
        let relief = if self.interest_rate > 0.0 {
            (1.0 - p.subsidy_pd_elasticity * p.interest_subsidy / self.interest_rate).max(0.0)
        } else {
            1.0
        };
        (base * multiplier * relief).clamp(0.0, 1.0)
    }
}

/// Salt separating a loan's attribute stream (first-time borrower, IP
/// pledge, recovery) from its borrower's company streams.
const ATTRIBUTES: u64 = 0x4C4F_414E_4154_5452;

/// A loan programme ready to simulate.
#[derive(Debug, Clone)]
pub struct LoanProgram {
    pub spec: LoanProgramSpec,
    pub key: u64,
    steps_per_year: u32,
    term_steps: usize,
    /// Φ⁻¹ of the per-step PD, by [first-time borrower][stage].
    thresholds: [[f64; 4]; 2],
    /// IP-pledge recovery distribution.
    recovery: Option<Beta<f64>>,
}

/// One default: the step, the loan and its loss before allocation.
#[derive(Debug, Clone, Copy)]
struct DefaultEvent {
    step: u32,
    loss: f64,
}

/// Reusable per-thread buffers.
#[derive(Debug, Clone, Default)]
pub struct LoanWorkspace {
    /// Defaults of the path, in loan order, then stably sorted by step.
    defaults: Vec<DefaultEvent>,
    /// Per step: failure probability given the factor, [first][stage],
    /// and its integer form for `Company::fails`.
    failure: Vec<[[f64; 4]; 2]>,
    failure_bits: Vec<[[u64; 4]; 2]>,
    /// Per step: loans paying interest (performing at the end of the step).
    paying: Vec<u64>,
}

/// Totals of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoanOutcome {
    pub defaults: u32,
    pub lent: f64,
    pub npl_ratio: f64,
    pub gross_loss: f64,
    pub guarantor_loss: f64,
    pub insurer_loss: f64,
    pub compensation_paid: f64,
    pub bank_net_loss: f64,
    pub interest_income: f64,
    pub funding_cost: f64,
    pub warrant_gain: f64,
    pub bank_reward: f64,
    pub reguarantee_cost: f64,
    pub subsidy_cost: f64,
    pub reward_cost: f64,
    /// Guarantee fees and insurance premiums paid by borrowers.
    pub guarantee_fees: f64,
    pub premiums: f64,
    pub insurer_reward: f64,
    pub pool_exhausted: bool,
    /// Loan-steps simulated (the unit of work of `fundsim bench`).
    pub loan_steps: u64,
}

impl LoanOutcome {
    pub fn fiscal_cost(&self) -> f64 {
        self.compensation_paid + self.reguarantee_cost + self.subsidy_cost + self.reward_cost
    }
}

impl LoanProgram {
    pub fn new(spec: LoanProgramSpec, key: u64, model: &CompanyModel) -> LoanProgram {
        let k = model.steps_per_year;
        let thresholds = [false, true]
            .map(|first| std::array::from_fn(|stage| model.threshold_for(spec.annual_pd(model, stage, first))));
        let recovery = (spec.ip_pledge_share > 0.0).then(|| {
            // Beta with mean m and sd s: a + b = m(1-m)/s² - 1 (validated > 0).
            let (m, s) = (spec.ip_recovery, spec.ip_recovery_sd);
            let total = m * (1.0 - m) / (s * s) - 1.0;
            Beta::new(m * total, (1.0 - m) * total).expect("recovery Beta validated")
        });
        let term_steps = ((spec.term_years * k as f64).round() as usize).max(1);
        LoanProgram { spec, key, steps_per_year: k, term_steps, thresholds, recovery }
    }

    /// Steps from origination to maturity.
    pub fn term_steps(&self) -> usize {
        self.term_steps
    }

    /// Simulate one path; writes the per-step cumulative gross loss and
    /// fiscal cost into `cum_loss` and `cum_fiscal` (horizon long).
    ///
    /// Loans are independent given the market path except through the
    /// pool, which pays in order of default. So each loan is followed
    /// through all its steps in turn (its state stays in registers; nothing
    /// per loan is stored), its default, if any, is recorded, and the
    /// recorded defaults are then sorted by step (stably, so by loan within
    /// a step) and allocated in that order.
    pub fn simulate(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut LoanWorkspace,
        cum_loss: &mut [f64],
        cum_fiscal: &mut [f64],
    ) -> LoanOutcome {
        let spec = &self.spec;
        let policy = &spec.policy;
        let horizon = market.z.len();
        let k = self.steps_per_year as f64;
        let size = spec.loan_size;
        let warrants = spec.warrant_coverage > 0.0;
        let term = self.term_steps.min(horizon);
        let steps = if warrants { horizon } else { term };

        ws.failure.clear();
        ws.failure.extend(
            market.z[..steps].iter().map(|&z| self.thresholds.map(|row| row.map(|c| model.conditional_failure(c, z)))),
        );
        ws.defaults.clear();
        let mut o = LoanOutcome { lent: spec.loans as f64 * size, ..LoanOutcome::default() };
        // Loan-steps with funding outstanding.
        let mut funded_steps = 0u64;
        if warrants {
            // Borrowers are followed over the whole horizon for their exits.
            ws.paying.clear();
            ws.paying.resize(term, 0);
            for i in 0..spec.loans as u64 {
                let (first, ip, mut attr) = self.attributes(path_key, i);
                let mut c = Company::enter(model, spec.borrower_stage, company_key(path_key, self.key, i));
                let mut performing = true;
                for t in 0..steps {
                    if c.status != Status::Private && !performing {
                        // Nothing more can happen to the loan or the warrant.
                        break;
                    }
                    o.loan_steps += 1;
                    let p_fail = ws.failure[t][first as usize][c.stage.index()];
                    let event = c.step(model, t, market.z[t], market.regime[t] as usize, p_fail);
                    funded_steps += performing as u64;
                    match event {
                        Event::Failed if performing => {
                            performing = false;
                            o.defaults += 1;
                            ws.defaults.push(DefaultEvent { step: t as u32, loss: self.loss(ip, &mut attr) });
                        }
                        Event::Ipo { price } | Event::Acquired { price } => {
                            // The claim pays on exits within the horizon.
                            o.warrant_gain += spec.warrant_coverage * size * (price / c.entry_value - 1.0).max(0.0);
                        }
                        _ => {}
                    }
                    if performing && t < term {
                        ws.paying[t] += 1;
                    }
                    if t + 1 == term {
                        // Maturity: a performing loan repays in full.
                        performing = false;
                    }
                }
            }
        } else {
            ws.failure_bits.clear();
            ws.failure_bits.extend(ws.failure.iter().map(|f| f.map(|r| r.map(failure_threshold_bits))));
            o.loan_steps = self.lean_defaults(path_key, market, model, ws, term, true);
            // Every loan is funded until it defaults (that step included)
            // or matures, and pays in every step it ends performing.
            o.defaults = ws.defaults.len() as u32;
            ws.paying.clear();
            ws.paying.resize(term, spec.loans as u64);
            funded_steps = spec.loans as u64 * term as u64;
            for d in &ws.defaults {
                funded_steps -= (term - 1 - d.step as usize) as u64;
                for p in &mut ws.paying[d.step as usize..] {
                    *p -= 1;
                }
            }
        }

        // Rewards for microloan guarantee insurance are paid on the amounts
        // lent and insured, when the loans are made.
        if let Some(ins) = &policy.insurance {
            o.bank_reward = ins.bank_reward * o.lent;
            o.insurer_reward = ins.insurer_reward * o.lent;
            o.reward_cost = o.bank_reward + o.insurer_reward;
        }
        let per_step_subsidy =
            (policy.interest_subsidy + policy.guarantee.as_ref().map_or(0.0, |g| g.fee * g.fee_subsidy)) / k * size;

        // Allocate losses in order of default and build the series.
        ws.defaults.sort_by_key(|d| d.step);
        let mut pool_left = policy.risk_compensation.as_ref().and_then(|r| r.pool_size).unwrap_or(f64::INFINITY);
        let (mut next, mut paying_steps) = (0, 0u64);
        let (mut year_start_performing, mut year_defaulted) = (o.lent, 0.0);
        for t in 0..horizon {
            while next < ws.defaults.len() && ws.defaults[next].step as usize == t {
                self.allocate(ws.defaults[next].loss, &mut pool_left, &mut o);
                year_defaulted += size;
                next += 1;
            }
            if t < term {
                paying_steps += ws.paying[t];
                // Annual NPL formation: principal defaulted in the year over
                // principal performing at its start; the worst year counts.
                if (t + 1) % self.steps_per_year as usize == 0 || t + 1 == term {
                    if year_start_performing > 0.0 {
                        o.npl_ratio = o.npl_ratio.max(year_defaulted / year_start_performing);
                    }
                    year_start_performing -= year_defaulted;
                    year_defaulted = 0.0;
                }
            }
            o.subsidy_cost = paying_steps as f64 * per_step_subsidy;
            cum_loss[t] = o.gross_loss;
            cum_fiscal[t] = o.fiscal_cost();
        }
        o.interest_income = paying_steps as f64 * spec.interest_rate / k * size;
        o.funding_cost = funded_steps as f64 * spec.funding_cost / k * size;
        o.guarantee_fees = paying_steps as f64 * policy.guarantee.as_ref().map_or(0.0, |g| g.fee) / k * size;
        o.premiums = paying_steps as f64 * policy.insurance.as_ref().map_or(0.0, |i| i.premium) / k * size;
        o
    }

    /// Whether loan `i` is a first-time borrower's and IP-backed, and its
    /// attribute stream (which also gives its IP recovery on default).
    #[inline]
    fn attributes(&self, path_key: u64, i: u64) -> (bool, bool, Stream) {
        let spec = &self.spec;
        if spec.first_loan_share <= 0.0 && spec.ip_pledge_share <= 0.0 {
            return (false, false, Stream::from_key(0));
        }
        let mut a = Stream::from_key(company_key(path_key, self.key ^ ATTRIBUTES, i));
        let first = a.random::<f64>() < spec.first_loan_share;
        let ip = a.random::<f64>() < spec.ip_pledge_share;
        (first, ip, a)
    }

    /// Loss on a defaulted loan before allocation.
    #[inline]
    fn loss(&self, ip: bool, attributes: &mut Stream) -> f64 {
        match &self.recovery {
            Some(beta) if ip => self.spec.loan_size * (1.0 - beta.sample(attributes)),
            _ => self.spec.loan_size * self.spec.lgd,
        }
    }

    /// Defaults of loans whose borrowers' values never matter (no
    /// warrants), into `ws.defaults` in loan order; returns the loan-steps
    /// simulated. A borrower is followed until it defaults, exits (it then
    /// repays at maturity) or reaches its loan's last step, where only the
    /// failure draw is read. One-step loans need no company state at all:
    /// with `fast` they take a loop that only draws and compares, which
    /// gives the same defaults (tested against the general loop).
    fn lean_defaults(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut LoanWorkspace,
        term: usize,
        fast: bool,
    ) -> u64 {
        let spec = &self.spec;
        let stage = spec.borrower_stage.index();
        if fast && term == 1 && spec.first_loan_share <= 0.0 && spec.ip_pledge_share <= 0.0 {
            // One class of loan, one loss, one step: the defaults are
            // interchangeable, and the failure scan counts them.
            let threshold = ws.failure_bits[0][0][stage];
            let count = scan::count_failures(path_key ^ self.key, 0, spec.loans as u64, threshold);
            let loss = spec.loan_size * spec.lgd;
            ws.defaults.extend((0..count).map(|_| DefaultEvent { step: 0, loss }));
            return spec.loans as u64;
        }
        if fast && term == 1 {
            let bits = ws.failure_bits[0];
            for i in 0..spec.loans as u64 {
                let (first, ip, mut attr) = self.attributes(path_key, i);
                let key = company_key(path_key, self.key, i);
                if Company::enter_lean(spec.borrower_stage, key).fails(0, bits[first as usize][stage]) {
                    ws.defaults.push(DefaultEvent { step: 0, loss: self.loss(ip, &mut attr) });
                }
            }
            return spec.loans as u64;
        }
        let mut loan_steps = 0;
        for i in 0..spec.loans as u64 {
            let (first, ip, mut attr) = self.attributes(path_key, i);
            let class = first as usize;
            let mut c = Company::enter_lean(spec.borrower_stage, company_key(path_key, self.key, i));
            for t in 0..term {
                loan_steps += 1;
                if t + 1 == term {
                    if c.fails(t, ws.failure_bits[t][class][c.stage.index()]) {
                        ws.defaults.push(DefaultEvent { step: t as u32, loss: self.loss(ip, &mut attr) });
                    }
                    break;
                }
                match c.step_lean(model, t, market.regime[t] as usize, ws.failure[t][class][c.stage.index()]) {
                    Event::Failed => {
                        ws.defaults.push(DefaultEvent { step: t as u32, loss: self.loss(ip, &mut attr) });
                        break;
                    }
                    Event::Ipo { .. } | Event::Acquired { .. } => break,
                    _ => {}
                }
            }
        }
        loan_steps
    }

    /// Split one defaulted loan's loss, in the order of MODEL.md 4.4:
    /// guarantee, insurance, risk-compensation pool, bank.
    fn allocate(&self, loss: f64, pool_left: &mut f64, o: &mut LoanOutcome) {
        let policy = &self.spec.policy;
        o.gross_loss += loss;
        let guaranteed = policy.guarantee.as_ref().map_or(0.0, |g| {
            o.reguarantee_cost += g.share * loss * g.reguarantee_share;
            g.share * loss
        });
        let insured = policy.insurance.as_ref().map_or(0.0, |i| i.share * loss);
        o.guarantor_loss += guaranteed;
        o.insurer_loss += insured;
        let remaining = (loss - guaranteed - insured).max(0.0);
        let compensation = policy.risk_compensation.as_ref().map_or(0.0, |r| {
            let mut claim = r.ratio * remaining;
            if let Some(cap) = r.per_loan_cap {
                claim = claim.min(cap * self.spec.loan_size);
            }
            if claim > *pool_left {
                // The pool runs dry on this claim and pays what is left.
                o.pool_exhausted = true;
                let paid = *pool_left;
                *pool_left = 0.0;
                return paid;
            }
            *pool_left -= claim;
            claim
        });
        o.compensation_paid += compensation;
        if let (0.0, Some(size)) = (*pool_left, policy.risk_compensation.as_ref().and_then(|r| r.pool_size)) {
            // All of the pool is paid: state it exactly, without the
            // rounding of the running sum.
            o.compensation_paid = size;
        }
        o.bank_net_loss += remaining - compensation;
    }

    /// The metric row (order of `METRICS`).
    pub fn metrics(&self, o: &LoanOutcome) -> [f64; 21] {
        let fiscal = o.fiscal_cost();
        let bank_return =
            (o.interest_income + o.warrant_gain + o.bank_reward - o.funding_cost - o.bank_net_loss) / o.lent;
        [
            o.defaults as f64,
            o.defaults as f64 / self.spec.loans as f64,
            o.npl_ratio,
            o.gross_loss,
            o.guarantor_loss,
            o.insurer_loss,
            o.compensation_paid,
            o.bank_net_loss,
            o.interest_income,
            o.funding_cost,
            o.warrant_gain,
            bank_return,
            // The guarantor keeps its fees and pays its share of losses, less
            // what the government re-guarantee bears; the insurer keeps
            // premiums and its reward and pays its share.
            o.guarantee_fees - o.guarantor_loss + o.reguarantee_cost,
            o.premiums + o.insurer_reward - o.insurer_loss,
            o.reguarantee_cost,
            o.subsidy_cost,
            o.reward_cost,
            fiscal,
            o.pool_exhausted as u8 as f64,
            (o.npl_ratio > self.spec.policy.npl_tolerance) as u8 as f64,
            if fiscal > 0.0 { o.lent / fiscal } else { f64::NAN },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{MARKET, path_key, stream};
    use crate::scenario::load_str;
    use crate::vehicles::VehicleKind;

    #[test]
    fn the_one_step_loops_give_the_general_loops_defaults() {
        // With first-time and IP-backed borrowers (the per-loan fast loop)
        // and without (the failure scan).
        for attributes in ["first_loan_share = 0.3\nip_pledge_share = 0.4", ""] {
            let text = format!(
                "[simulation]\nyears = 1\nsteps_per_year = 1\n[vehicles.l]\nkind = \"loan_program\"\n\
                 loans = 5003\npd = 0.05\n{attributes}\n"
            );
            let scn = load_str(&text, "t.toml", &[]).unwrap().scenario;
            let VehicleKind::LoanProgram(l) = &scn.vehicles[0].kind else { panic!() };
            let mut market = MarketPath::default();
            let mut ws = LoanWorkspace::default();
            let mut total = 0;
            for p in 0..50 {
                market.simulate(&scn.market, 1, 1, &mut stream(scn.seed, p, MARKET));
                let pk = path_key(scn.seed, p);
                let z = market.z[0];
                ws.failure = vec![l.thresholds.map(|row| row.map(|c| scn.company_model.conditional_failure(c, z)))];
                ws.failure_bits = vec![ws.failure[0].map(|r| r.map(failure_threshold_bits))];
                let mut run = |fast: bool| {
                    ws.defaults.clear();
                    l.lean_defaults(pk, &market, &scn.company_model, &mut ws, 1, fast);
                    ws.defaults.iter().map(|d| (d.step, d.loss.to_bits())).collect::<Vec<_>>()
                };
                let (a, b) = (run(true), run(false));
                assert_eq!(a, b, "path {p}, {attributes:?}");
                total += a.len();
            }
            assert!(total > 1000, "{total} defaults");
        }
    }
}
