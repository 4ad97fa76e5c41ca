//! `loan_program`: investment-loan linkage and the credit policy levers
//! (MODEL.md 4.4; 投贷联动, 政银担, 政银保).
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

use crate::finance::fiscal::FiscalBasis;
use crate::model::company::{Company, CompanyModel, Event, Status, failure_threshold_bits};
use crate::model::market::MarketPath;
use crate::rng::{Stream, company_key, scan, splitmix64};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{
    self,
    CREDIT, CREDIT_PER_FISCAL_YUAN, FISCAL_COST, FISCAL_COST_NOMINAL, Metric, Series, Unit, loss, path_ratio, plain,
    plain_loss, ret, series, tabled,
};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::{Amount, BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use input::{RawLoanProgram, loan_program_spec};

pub mod input;
mod counts;
mod lending;
mod linkage;
mod linked_lending;
pub(crate) mod lockstep;
mod settle;
mod spec;

pub use spec::{Guarantee, Insurance, Lending, LoanPolicy, LoanProgramSpec, RiskCompensation};
use lending::Decision;

/// Metrics of `loan_program`, in column order (MODEL.md 4.4; the lending
/// metrics of INTERFACE.md after the original ones).
pub(crate) const METRICS: [Metric; 37] = [
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
    tabled("loans_made", Unit::Count, "loans made", "bank"),
    CREDIT,
    tabled("baseline_loans", Unit::Count, "loans made without the policy", "bank"),
    tabled("additional_loans", Unit::Count, "additional loans", "loan programme"),
    tabled("additional_credit", Unit::Money, "additional credit", "loan programme"),
    tabled("marginal_default_rate", Unit::Share, "default rate of the additional loans", "loan programme"),
    plain("baseline_default_rate", Unit::Share, "default rate of the loans made anyway", "loan programme"),
    path_ratio("fiscal_cost_per_additional_loan", Unit::Money, "fiscal cost per additional loan", "the budget"),
    FISCAL_COST_NOMINAL,
    // The equity side of investment-loan linkage (投贷联动, item 十;
    // `linkage.rs`). Only linkage_net gets distribution charts: the gain
    // is drawn against the losses in the linkage chart, and the return is
    // bank_return's without co-investment.
    tabled("loans_offered", Unit::Count, "loans offered", "bank"),
    plain("coinvested", Unit::Money, "co-invested", "bank's investment arm"),
    plain("coinvest_proceeds", Unit::Money, "co-investment proceeds", "bank's investment arm"),
    tabled("linked_equity_gain", Unit::Money, "equity gain (warrants and co-investment)", "bank group"),
    ret("linkage_net", Unit::Money, "equity gain less net credit loss", "bank group"),
    tabled("equity_covers_losses", Unit::Indicator, "equity gains cover credit losses", "bank group"),
    tabled("linkage_return", Unit::Rate, "return on loans and co-investment", "bank group"),
];

/// Per-step series of `loan_program`: cumulative gross loss and fiscal
/// cost, the NPL stock ratio and the money left in a finite pool.
pub const SERIES: [Series; 4] = [
    series("cum_gross_loss", "Cumulative gross credit loss", "lenders and guarantors"),
    series("cum_fiscal_cost", "Cumulative fiscal cost", "government"),
    series("npl_stock_ratio", "NPL ratio: non-performing over outstanding principal", "bank"),
    series("pool_balance", "Money left in the risk-compensation pool", "government"),
];

impl VehicleModel for LoanProgram {
    const KIND: &'static str = "loan_program";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = false;
    type Raw = RawLoanProgram;
    type Spec = LoanProgramSpec;
    type Workspace = LoanWorkspace;

    fn check_table(prefix: &str, table: &toml::Value) -> Vec<(String, String)> {
        let mut found = Vec::new();
        // (With borrowers_from, `loans` is refused by the linkage's rule.)
        if table.get("lending").is_some() && table.get("loans").is_some() && table.get("borrowers_from").is_none() {
            let rule = "with a lending table the bank decides how many loans to make: give lending.applicants \
                        (firms applying per cohort) instead";
            found.push((format!("{prefix}.loans"), rule.into()));
        }
        found.extend(linkage::check_table(prefix, table));
        found
    }

    /// The table with its defaults; with a lending table, without `loans`
    /// (the bank decides how many, and the key is refused there); without
    /// the keys `linkage::check_table` refuses.
    fn resolved(raw: &RawLoanProgram) -> Option<toml::Value> {
        let mut value = toml::Value::try_from(raw).ok()?;
        if raw.lending.is_some()
            && let Some(table) = value.as_table_mut()
        {
            table.remove("loans");
        }
        if let Some(table) = value.as_table_mut() {
            linkage::drop_unused_keys(raw.borrowers_from.is_some(), raw.lending.is_some(), table);
        }
        Some(value)
    }

    fn validate(prefix: &str, raw: &RawLoanProgram, facts: &ScenarioFacts, v: &mut Validator<'_>) -> LoanProgramSpec {
        loan_program_spec(prefix, raw, facts.years, v)
    }

    fn build(spec: LoanProgramSpec, cx: &BuildContext<'_>) -> Self {
        LoanProgram::new(spec, cx.key, cx.model, cx.fiscal)
    }

    fn fiscal_role(&self) -> FiscalRole {
        let column = |name| catalogue::column(&METRICS, name);
        FiscalRole {
            fiscal_cost: column("fiscal_cost"),
            fiscal_cost_nominal: column("fiscal_cost_nominal"),
            private_capital: None,
            credit: Amount::Column(column("credit").expect("loan programme metric")),
            firms: Amount::Column(column("loans_made").expect("loan programme metric")),
        }
    }

    fn fiscal_flows(ws: &LoanWorkspace) -> &[f64] {
        &ws.fiscal_flow
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
        let (cum_loss, rest) = series.split_at_mut(horizon);
        let (cum_fiscal, rest) = rest.split_at_mut(horizon);
        let (npl, pool) = rest.split_at_mut(horizon);
        let series = [cum_loss, cum_fiscal, npl, pool];
        let o = match self.source.map(|j| ctx.earlier[j].fund_events()) {
            Some(Some(events)) => self.simulate_linked(ctx.path_key, ctx.market, events, lw, series),
            Some(None) => unreachable!("borrowers_from names an equity vehicle (checked when the scenario is built)"),
            None => self.simulate(ctx.path_key, ctx.market, ctx.model, lw, series),
        };
        row.copy_from_slice(&self.metrics(&o));
        o.loan_steps
    }
}

/// Salt separating a loan's attribute stream (first-time borrower, IP
/// pledge, recovery) from its borrower's company streams.
const ATTRIBUTES: u64 = 0x4C4F_414E_4154_5452;

/// Key salt of cohort `c` (0 for the first cohort, so one cohort draws as
/// before cohorts existed).
#[inline]
fn cohort_salt(c: u32) -> u64 {
    if c == 0 { 0 } else { splitmix64(0x434F_484F_5254 ^ c as u64) }
}

/// A loan programme ready to simulate.
#[derive(Debug, Clone)]
pub struct LoanProgram {
    pub spec: LoanProgramSpec,
    pub key: u64,
    steps_per_year: u32,
    term_steps: usize,
    /// One-year Φ⁻¹ of the PD, by [first-time borrower][stage].
    thresholds: [[f64; 4]; 2],
    /// IP-pledge recovery distribution.
    recovery: Option<Beta<f64>>,
    decision: Option<Decision>,
    /// One-step cohorts with a lending table are drawn by counts.
    counts: Option<counts::CountPlan>,
    /// With `borrowers_from` and a lending table: the bank's reading of
    /// the fund's companies (`linked_lending`).
    screen: Option<linked_lending::Screen>,
    /// `[fiscal]`: the basis of `fiscal_cost`.
    fiscal: FiscalBasis,
    /// Position among the scenario's vehicles of the equity vehicle named
    /// by `borrowers_from` (set when the scenario is wired).
    pub(crate) source: Option<usize>,
}

/// One default: its step, the step its loan's term ends and its loss
/// before allocation.
#[derive(Debug, Clone, Copy)]
struct DefaultEvent {
    step: u32,
    end: u32,
    loss: f64,
    /// The loan's principal (for a per-loan cap on compensation).
    principal: f64,
}

/// Reusable per-thread buffers.
#[derive(Debug, Clone, Default)]
pub struct LoanWorkspace {
    /// Defaults not yet allocated, in cohort and loan order, then stably
    /// sorted by step.
    defaults: Vec<DefaultEvent>,
    /// Per step: failure probability given the factor, [first][stage],
    /// and its integer form for `Company::fails`.
    failure: Vec<[[f64; 4]; 2]>,
    failure_bits: Vec<[[u64; 4]; 2]>,
    /// Per step: change in the loans within their term, and in those of
    /// them that have defaulted (difference arrays).
    alive: Vec<i64>,
    npl: Vec<i64>,
    /// Per step: gross loss, and fiscal outlay other than subsidies.
    step_loss: Vec<f64>,
    step_fiscal: Vec<f64>,
    /// Per step: money into a finite pool (top-ups) less its payments.
    pool: Vec<f64>,
    /// Per step: the government's whole fiscal outlay (compensation,
    /// re-guarantee, rewards and the subsidies of the loans paying
    /// interest in the step).
    fiscal_flow: Vec<f64>,
    /// The loans of a programme lending to a fund's companies.
    linked: Vec<linkage::LinkedLoan>,
}

/// Totals of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoanOutcome {
    pub defaults: u32,
    pub loans_made: u64,
    pub lent: f64,
    /// Loans the bank makes on the path without any lever, and the defaults
    /// among them and among the additional loans.
    pub baseline_loans: u64,
    pub baseline_defaults: u32,
    pub additional_defaults: u32,
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
    /// Money paid into the pool: its size plus top-ups.
    pub pool_funded: f64,
    /// Compensation + re-guarantee + subsidies + rewards, dated and on the
    /// `[fiscal]` basis.
    pub fiscal: LoanFiscal,
    /// Loan-steps simulated (the unit of work of `fundsim bench`).
    pub loan_steps: u64,
    /// Loans offered: applicants to the bank with a lending table, the
    /// fund's investments of the kind named with `borrowers_from`.
    pub loans_offered: u64,
    /// The bank's investment arm's cheques alongside the fund, and what
    /// they returned (residual marks at the horizon included).
    pub coinvested: f64,
    pub coinvest_proceeds: f64,
    /// Principal of the additional loans of a programme with
    /// `borrowers_from` (its loans differ in size).
    pub additional_lent: f64,
}

/// The fiscal cost of one path on the `[fiscal]` basis: the present value
/// and the nominal sum of the per-step outlays.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoanFiscal {
    pub present_value: f64,
    pub nominal: f64,
}

/// The pool's state along a path.
struct Pool {
    /// Money left (infinite for a pool without a size).
    left: f64,
    finite: bool,
}

/// One programme's running state along a path while its cohorts are lent
/// (`simulate`, and each variant of `lockstep::simulate`).
struct PathState {
    pool: Pool,
    o: LoanOutcome,
    finite_pool: Option<f64>,
    /// Loan-steps with funding outstanding.
    funded_steps: u64,
    /// The first default of the cohort being lent, in `ws.defaults`.
    first_default: usize,
}

impl LoanProgram {
    pub fn new(spec: LoanProgramSpec, key: u64, model: &CompanyModel, fiscal: FiscalBasis) -> LoanProgram {
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
        let decision = spec.lending.as_ref().map(|l| Decision::new(&spec, l, model));
        let mut program = LoanProgram {
            spec,
            key,
            steps_per_year: k,
            term_steps,
            thresholds,
            recovery,
            decision,
            counts: None,
            screen: None,
            fiscal,
            source: None,
        };
        if program.spec.borrowers_from.is_some() {
            program.screen = linked_lending::Screen::new(&program.spec);
        } else {
            program.counts = program.decision.as_ref().and_then(|d| counts::CountPlan::new(&program, d));
        }
        program
    }

    /// Simulate one path; writes the per-step series (cumulative gross loss,
    /// cumulative fiscal cost, NPL stock ratio, pool balance; each horizon
    /// long) into `series`.
    ///
    /// Cohort by cohort: the loans of a cohort are decided (with a lending
    /// table) and followed through all their steps in turn, their defaults
    /// recorded; then the recorded defaults up to the next cohort's start
    /// are sorted by step (stably, so by cohort and loan within a step) and
    /// allocated in that order, so the next cohort's decision sees the pool
    /// as it stands when it is lent.
    pub fn simulate(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut LoanWorkspace,
        series: [&mut [f64]; 4],
    ) -> LoanOutcome {
        let mut st = self.begin(market, model, ws);
        for c in 0..self.spec.cohorts {
            let start = self.open_cohort(c, &mut st, ws);
            let made = self.lend_cohort(path_key, market, model, c, start, st.pool.left > 0.0, ws, &mut st.o, None);
            self.close_cohort(c, start, made, &mut st, ws, market.z.len());
        }
        self.finish(st, ws, series)
    }

    /// The path's start: the workspace cleared and sized, the failure
    /// tables of a programme without a lending table filled, the pool full.
    fn begin(&self, market: &MarketPath, model: &CompanyModel, ws: &mut LoanWorkspace) -> PathState {
        let spec = &self.spec;
        let policy = &spec.policy;
        let horizon = market.z.len();
        let k = self.steps_per_year as usize;
        let warrants = spec.warrant_coverage > 0.0;
        let term = self.term_steps.min(horizon);
        let last_start = (spec.cohorts as usize - 1) * k;
        let steps = if warrants { horizon } else { (last_start + term).min(horizon) };

        if self.decision.is_none() {
            ws.failure.clear();
            ws.failure.extend(
                market.year_factor[..steps]
                    .iter()
                    .map(|&y| self.thresholds.map(|row| row.map(|c| model.conditional_failure(c, y)))),
            );
            if !warrants {
                ws.failure_bits.clear();
                ws.failure_bits.extend(ws.failure.iter().map(|f| f.map(|r| r.map(failure_threshold_bits))));
            }
        }
        for v in [&mut ws.alive, &mut ws.npl] {
            v.clear();
            v.resize(horizon + 1, 0);
        }
        for v in [&mut ws.step_loss, &mut ws.step_fiscal] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        for v in [&mut ws.pool, &mut ws.fiscal_flow] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        ws.defaults.clear();

        let finite_pool = policy.risk_compensation.as_ref().and_then(|r| r.pool_size);
        let pool = Pool { left: finite_pool.unwrap_or(f64::INFINITY), finite: finite_pool.is_some() };
        let o = LoanOutcome { pool_funded: finite_pool.unwrap_or(0.0), ..LoanOutcome::default() };
        PathState { pool, o, finite_pool, funded_steps: 0, first_default: 0 }
    }

    /// Cohort `c` opens: a later cohort's top-up of a finite pool, its
    /// applicants (or loans) offered. Returns its first step.
    fn open_cohort(&self, c: u32, st: &mut PathState, ws: &mut LoanWorkspace) -> usize {
        let spec = &self.spec;
        let start = c as usize * self.steps_per_year as usize;
        if c > 0 {
            // The city's annual budget tops up a finite pool.
            let top_up = spec.policy.risk_compensation.as_ref().map_or(0.0, |r| r.annual_top_up);
            if top_up > 0.0 && st.finite_pool.is_some() {
                st.pool.left += top_up;
                st.o.pool_funded += top_up;
                ws.pool[start] += top_up;
            }
        }
        st.first_default = ws.defaults.len();
        st.o.loans_offered += spec.lending.as_ref().map_or(spec.loans, |l| l.applicants) as u64;
        start
    }

    /// The loans of cohort `c` made and followed, their defaults recorded
    /// in `ws`; returns the loans made. `memo` shares the count draws of
    /// one-step cohorts between lockstep variants (`lockstep.rs`).
    #[allow(clippy::too_many_arguments)]
    fn lend_cohort(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        c: u32,
        start: usize,
        pool_open: bool,
        ws: &mut LoanWorkspace,
        o: &mut LoanOutcome,
        memo: Option<&mut counts::CountMemo>,
    ) -> u64 {
        let spec = &self.spec;
        let term = self.term_steps.min(market.z.len());
        if let Some(plan) = &self.counts {
            self.lend_by_counts(plan, path_key, market, model, c, start, pool_open, ws, o, memo)
        } else if let Some(decision) = &self.decision {
            self.lend(path_key, market, model, decision, c, start, pool_open, ws, o)
        } else if spec.warrant_coverage > 0.0 {
            self.warrant_loans(path_key, market, model, c, start, ws, o)
        } else {
            o.loan_steps += self.lean_defaults(path_key, c, start, market, model, ws, term, true);
            let n = spec.loans as u64;
            o.loans_made += n;
            o.baseline_loans += n;
            n
        }
    }

    /// Cohort `c` (lent at `start`, `made` loans) closes: its defaults
    /// counted, its funding and rewards booked, and the defaults due
    /// before the next cohort allocated in order.
    fn close_cohort(&self, c: u32, start: usize, made: u64, st: &mut PathState, ws: &mut LoanWorkspace, horizon: usize) {
        let spec = &self.spec;
        let policy = &spec.policy;
        let k = self.steps_per_year as usize;
        let term = self.term_steps.min(horizon);
        let first_default = st.first_default;
        let o = &mut st.o;
        o.defaults += (ws.defaults.len() - first_default) as u32;
        if self.decision.is_none() {
            o.baseline_defaults += (ws.defaults.len() - first_default) as u32;
        }
        // Every loan is funded until it defaults (that step included)
        // or matures.
        st.funded_steps += made * term as u64;
        for d in &ws.defaults[first_default..] {
            st.funded_steps -= (d.end - 1 - d.step) as u64;
        }
        ws.alive[start] += made as i64;
        ws.alive[(start + term).min(horizon)] -= made as i64;
        // Rewards for microloan guarantee insurance are paid on the
        // amounts lent and insured, when the loans are made.
        if let Some(ins) = &policy.insurance {
            ws.step_fiscal[start] += (ins.bank_reward + ins.insurer_reward) * made as f64 * spec.loan_size;
        }
        // Allocate the defaults before the next cohort is lent.
        let until = if c + 1 == spec.cohorts { horizon } else { start + k };
        ws.defaults.sort_by_key(|d| d.step);
        let due = ws.defaults.partition_point(|d| (d.step as usize) < until);
        for i in 0..due {
            let d = ws.defaults[i];
            self.allocate(d, d.principal, &mut st.pool, ws, o);
        }
        ws.defaults.drain(..due);
    }

    /// The path's end: rewards, subsidies, interest, fees and premiums on
    /// the loan-steps paid, the series and the fiscal cost.
    fn finish(&self, st: PathState, ws: &mut LoanWorkspace, series: [&mut [f64]; 4]) -> LoanOutcome {
        let size = self.spec.loan_size;
        let PathState { mut o, finite_pool, funded_steps, .. } = st;
        o.lent = o.loans_made as f64 * size;
        let book = settle::Book { unit: size, funded: funded_steps as f64, finite_pool };
        // Loans within their term and defaulted ones among them, from the
        // difference arrays.
        let (mut alive, mut npl) = (0i64, 0i64);
        self.settle(&mut o, ws, series, book, |ws, t, paying| {
            alive += ws.alive[t];
            npl += ws.npl[t];
            *paying += (alive - npl) as f64;
            settle::Exposure { outstanding: alive as f64, defaulted: npl as f64, performing: (alive - npl) as f64 }
        });
        o
    }

    /// Record a default of a loan of cohort `start..end` at step `t`.
    #[inline]
    fn record(&self, ws: &mut LoanWorkspace, t: usize, end: usize, loss: f64) {
        ws.defaults.push(DefaultEvent { step: t as u32, end: end as u32, loss, principal: self.spec.loan_size });
        ws.npl[t] += 1;
        ws.npl[end] -= 1;
    }

    /// Cohort `c` of loans with warrants (no lending table): borrowers are
    /// followed over the rest of the horizon for their exits. Returns the
    /// loans made.
    #[allow(clippy::too_many_arguments)]
    fn warrant_loans(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        c: u32,
        start: usize,
        ws: &mut LoanWorkspace,
        o: &mut LoanOutcome,
    ) -> u64 {
        let spec = &self.spec;
        let horizon = market.z.len();
        let end = (start + self.term_steps).min(horizon);
        let salt = cohort_salt(c);
        for i in 0..spec.loans as u64 {
            let (first, ip, mut attr) = self.attributes(path_key, salt, i);
            let mut company = Company::enter(model, spec.borrower_stage, company_key(path_key, self.key ^ salt, i));
            let failure = |t: usize, stage: usize, ws: &LoanWorkspace| ws.failure[t][first as usize][stage];
            if let Some(t) = self.follow(&mut company, market, model, start, end, ws, o, failure) {
                let loss = self.loss(ip, &mut attr, market.year_factor[t]);
                self.record(ws, t, end, loss);
            }
        }
        o.loans_made += spec.loans as u64;
        o.baseline_loans += spec.loans as u64;
        spec.loans as u64
    }

    /// Follow a borrower with warrants from `start` over the horizon: its
    /// loan defaults if it fails before `end`; an exit within the horizon
    /// pays the warrant. Returns the default step, if any.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn follow(
        &self,
        company: &mut Company,
        market: &MarketPath,
        model: &CompanyModel,
        start: usize,
        end: usize,
        ws: &LoanWorkspace,
        o: &mut LoanOutcome,
        failure: impl Fn(usize, usize, &LoanWorkspace) -> f64,
    ) -> Option<usize> {
        let spec = &self.spec;
        let size = spec.loan_size;
        let mut performing = true;
        let mut defaulted = None;
        for t in start..market.z.len() {
            if company.status != Status::Private && !performing {
                // Nothing more can happen to the loan or the warrant.
                break;
            }
            o.loan_steps += 1;
            let p_fail = failure(t, company.stage.index(), ws);
            let event = company.step(model, t, market.z[t], market.regime[t] as usize, p_fail);
            match event {
                Event::Failed if performing => {
                    performing = false;
                    defaulted = Some(t);
                }
                Event::Ipo { price } | Event::Acquired { price } => {
                    // The claim pays on exits within the horizon.
                    o.warrant_gain += spec.warrant_coverage * size * (price / company.entry_value - 1.0).max(0.0);
                }
                _ => {}
            }
            if t + 1 == end {
                // Maturity: a performing loan repays in full.
                performing = false;
            }
        }
        defaulted
    }

    /// Whether loan `i` of the cohort with salt `salt` is a first-time
    /// borrower's and IP-backed, and its attribute stream (which also gives
    /// its IP recovery on default).
    #[inline]
    fn attributes(&self, path_key: u64, salt: u64, i: u64) -> (bool, bool, Stream) {
        let spec = &self.spec;
        if spec.first_loan_share <= 0.0 && spec.ip_pledge_share <= 0.0 {
            return (false, false, Stream::from_key(0));
        }
        let mut a = Stream::from_key(company_key(path_key, self.key ^ ATTRIBUTES ^ salt, i));
        let first = a.random::<f64>() < spec.first_loan_share;
        let ip = a.random::<f64>() < spec.ip_pledge_share;
        (first, ip, a)
    }

    /// Loss on a defaulted loan before allocation: `lgd` of the principal
    /// unsecured (times the downturn factor of the default's year, see
    /// `lgd_in`); a pledge of IP that recovers a share R of that loss
    /// leaves lgd x (1 - R), so a pledge never makes a loan lose more than
    /// the same loan unsecured.
    #[inline]
    fn loss(&self, ip: bool, attributes: &mut Stream, year_factor: f64) -> f64 {
        self.loss_on(self.spec.loan_size, ip, attributes, year_factor)
    }

    /// `loss` for a loan of `principal`.
    #[inline]
    fn loss_on(&self, principal: f64, ip: bool, attributes: &mut Stream, year_factor: f64) -> f64 {
        let lgd = self.lgd_in(year_factor);
        match &self.recovery {
            Some(beta) if ip => principal * lgd * (1.0 - beta.sample(attributes)),
            _ => principal * lgd,
        }
    }

    /// Loss given default in a year with failure factor `y`: `lgd`, or with
    /// a downturn loading d > 0, min(1, lgd x exp(-d y - d²/2)) (its mean
    /// over y is lgd before the cap; it is higher in the bad years in which
    /// defaults cluster).
    #[inline]
    fn lgd_in(&self, y: f64) -> f64 {
        let d = self.spec.downturn_lgd;
        if d > 0.0 { (self.spec.lgd * (-d * y - 0.5 * d * d).exp()).min(1.0) } else { self.spec.lgd }
    }

    /// Defaults of cohort `c` (lent at step `start`) of loans whose
    /// borrowers' values never matter (no warrants), into `ws.defaults` in
    /// loan order; returns the loan-steps simulated. A borrower is followed
    /// until it defaults, exits (it then repays at maturity) or reaches its
    /// loan's last step, where only the failure draw is read. One-step
    /// loans need no company state at all: with `fast` they take a loop
    /// that only draws and compares, which gives the same defaults (tested
    /// against the general loop).
    #[allow(clippy::too_many_arguments)]
    fn lean_defaults(
        &self,
        path_key: u64,
        c: u32,
        start: usize,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut LoanWorkspace,
        term: usize,
        fast: bool,
    ) -> u64 {
        let spec = &self.spec;
        let stage = spec.borrower_stage.index();
        let salt = cohort_salt(c);
        let key = self.key ^ salt;
        let end = start + term;
        if fast && term == 1 && spec.first_loan_share <= 0.0 && spec.ip_pledge_share <= 0.0 {
            // One class of loan, one loss, one step: the defaults are
            // interchangeable, and the failure scan counts them.
            let threshold = ws.failure_bits[start][0][stage];
            let count = scan::count_failures(path_key ^ key, start as u64, spec.loans as u64, threshold);
            let loss = spec.loan_size * self.lgd_in(market.year_factor[start]);
            for _ in 0..count {
                self.record(ws, start, end, loss);
            }
            return spec.loans as u64;
        }
        if fast && term == 1 {
            let bits = ws.failure_bits[start];
            for i in 0..spec.loans as u64 {
                let (first, ip, mut attr) = self.attributes(path_key, salt, i);
                let company_key = company_key(path_key, key, i);
                if Company::enter_lean(spec.borrower_stage, company_key).fails(start, bits[first as usize][stage]) {
                    let loss = self.loss(ip, &mut attr, market.year_factor[start]);
                    self.record(ws, start, end, loss);
                }
            }
            return spec.loans as u64;
        }
        let mut loan_steps = 0;
        for i in 0..spec.loans as u64 {
            let (first, ip, mut attr) = self.attributes(path_key, salt, i);
            let class = first as usize;
            let mut company = Company::enter_lean(spec.borrower_stage, company_key(path_key, key, i));
            for t in start..end {
                loan_steps += 1;
                if t + 1 == end {
                    if company.fails(t, ws.failure_bits[t][class][company.stage.index()]) {
                        let loss = self.loss(ip, &mut attr, market.year_factor[t]);
                        self.record(ws, t, end, loss);
                    }
                    break;
                }
                match company.step_lean(model, t, market.regime[t] as usize, ws.failure[t][class][company.stage.index()]) {
                    Event::Failed => {
                        let loss = self.loss(ip, &mut attr, market.year_factor[t]);
                        self.record(ws, t, end, loss);
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
    /// `principal` is the defaulted loan's (for the per-loan cap).
    fn allocate(&self, d: DefaultEvent, principal: f64, pool: &mut Pool, ws: &mut LoanWorkspace, o: &mut LoanOutcome) {
        let policy = &self.spec.policy;
        let loss = d.loss;
        o.gross_loss += loss;
        let mut outlay = 0.0;
        let guaranteed = policy.guarantee.as_ref().map_or(0.0, |g| {
            let reguarantee = g.share * loss * g.reguarantee_share;
            o.reguarantee_cost += reguarantee;
            outlay += reguarantee;
            g.share * loss
        });
        let insured = policy.insurance.as_ref().map_or(0.0, |i| i.share * loss);
        o.guarantor_loss += guaranteed;
        o.insurer_loss += insured;
        let remaining = (loss - guaranteed - insured).max(0.0);
        let compensation = policy.risk_compensation.as_ref().map_or(0.0, |r| {
            let mut claim = r.ratio * remaining;
            if let Some(cap) = r.per_loan_cap {
                claim = claim.min(cap * principal);
            }
            if claim > pool.left {
                // The pool runs dry on this claim and pays what is left.
                o.pool_exhausted = true;
                let paid = pool.left;
                pool.left = 0.0;
                return paid;
            }
            pool.left -= claim;
            claim
        });
        o.compensation_paid += compensation;
        outlay += compensation;
        ws.pool[d.step as usize] -= compensation;
        if pool.left == 0.0 && pool.finite {
            // All of the pool's money (its size and the top-ups so far) is
            // paid: state it exactly, without the rounding of the running
            // sum.
            o.compensation_paid = o.pool_funded;
        }
        o.bank_net_loss += remaining - compensation;
        let t = d.step as usize;
        ws.step_loss[t] += loss;
        ws.step_fiscal[t] += outlay;
    }

    /// The metric row (order of `METRICS`).
    pub(crate) fn metrics(&self, o: &LoanOutcome) -> [f64; METRICS.len()] {
        let fiscal = o.fiscal.present_value;
        let equity_gain = o.warrant_gain + o.coinvest_proceeds - o.coinvested;
        let linkage_return = (o.interest_income + o.bank_reward - o.funding_cost - o.bank_net_loss + equity_gain)
            / (o.lent + o.coinvested);
        let bank_return =
            (o.interest_income + o.warrant_gain + o.bank_reward - o.funding_cost - o.bank_net_loss) / o.lent;
        let additional = o.loans_made - o.baseline_loans;
        let ratio = |x: f64, n: u64| if n > 0 { x / n as f64 } else { f64::NAN };
        [
            o.defaults as f64,
            ratio(o.defaults as f64, o.loans_made),
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
            o.loans_made as f64,
            o.lent,
            o.baseline_loans as f64,
            additional as f64,
            if self.spec.borrowers_from.is_some() { o.additional_lent } else { additional as f64 * self.spec.loan_size },
            ratio(o.additional_defaults as f64, additional),
            ratio(o.baseline_defaults as f64, o.baseline_loans),
            ratio(fiscal, additional),
            o.fiscal.nominal,
            o.loans_offered as f64,
            o.coinvested,
            o.coinvest_proceeds,
            equity_gain,
            equity_gain - o.bank_net_loss,
            (equity_gain >= o.bank_net_loss) as u8 as f64,
            linkage_return,
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
                let y = market.year_factor[0];
                ws.failure = vec![l.thresholds.map(|row| row.map(|c| scn.company_model.conditional_failure(c, y)))];
                ws.failure_bits = vec![ws.failure[0].map(|r| r.map(failure_threshold_bits))];
                let mut run = |fast: bool| {
                    ws.defaults.clear();
                    ws.npl = vec![0; 2];
                    l.lean_defaults(pk, 0, 0, &market, &scn.company_model, &mut ws, 1, fast);
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
