//! `venture_fund`: a VC fund (MODEL.md 4.1). Also the building block of the
//! guidance fund's sub-funds and the S fund's targets.
//!
//! Per path the fund places `deals` initial investments spread evenly over
//! the investment period (a ticket larger than the company, its post-money
//! value, is cut to it), follows on pro rata in a
//! company's priced rounds (each a step-up, see `model::company`) from the
//! reserve earmarked for that company, then from the reserve released by
//! companies that exited or failed, reached a milestone without a step-up,
//! or had their ticket cut, then from recycled proceeds (else it is
//! diluted), and above pro rata (up to `follow_on_limit` times it) from
//! released reserve and recycled proceeds only, recycles proceeds received in the
//! investment period up to `recycling_cap` of commitment (they are
//! distributed and may be called again, so calls can exceed the commitment
//! by what is recycled), charges
//! management fees, calls exactly what it needs from LPs, distributes
//! proceeds through the European waterfall as they come, and sells what it
//! still holds at the end of its term plus extension. Cash flows are dated
//! at the end of their step. Each failure, acquisition and IPO is counted
//! with the steps since the deal was made (`exits.csv`).

pub mod events;
pub mod input;

use crate::finance::irr::irr_annual;
use crate::finance::waterfall::{EuropeanWaterfall, WaterfallTerms};
use crate::model::company::{Company, CompanyModel, Event, Stage, Status};
use crate::model::market::MarketPath;
use crate::rng::{Stream, company_key};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{Metric, Series, Unit, j_curve, plain, ret, series, tabled};
use crate::vehicles::equity::{DealCounts, Route};
use crate::vehicles::{BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use events::FundEvents;
use input::{RawVentureFund, venture_fund_spec};

/// Validated `[vehicles.<name>]` of kind `venture_fund`.
#[derive(Debug, Clone, PartialEq)]
pub struct VentureFundSpec {
    pub commitment: f64,
    pub deals: u32,
    pub investment_period_years: f64,
    /// Probability of entering at each stage (seed, early, growth, late).
    pub stage_mix: [f64; 4],
    pub reserve_ratio: f64,
    /// Proceeds received in the investment period that the fund may
    /// reinvest instead of distributing, as a share of commitment.
    pub recycling_cap: f64,
    /// Reserve release (default on): a deal's earmark is released when its
    /// company reaches a milestone without raising at a step-up, and
    /// follow-ons in priced rounds may go above pro rata (up to
    /// `follow_on_limit` times it) from released reserve and recallable
    /// distributions. Off: pro-rata follow-ons only, earmarks released
    /// only when a deal closes (the behaviour before).
    pub reserve_release: bool,
    /// The most a priced round's follow-on may be with reserve release, as
    /// a multiple of the fund's pro-rata share (capped at the round's new
    /// money).
    pub follow_on_limit: f64,
    pub management_fee: f64,
    pub term_years: f64,
    pub extension_years: f64,
    pub terminal_haircut: f64,
    pub hurdle: f64,
    pub catch_up: f64,
    pub carry: f64,
}

impl VentureFundSpec {
    /// Steps of the investment period, of the term and of the whole life
    /// (term plus extension), as the fund is simulated.
    pub(crate) fn schedule(&self, steps_per_year: u32) -> (u32, u32, u32) {
        let k = steps_per_year as f64;
        let investment_steps = ((self.investment_period_years * k).round() as u32).max(1);
        let term_steps = ((self.term_years * k).round() as u32).max(investment_steps);
        let life_steps = term_steps + (self.extension_years * k).round() as u32;
        (investment_steps, term_steps, life_steps)
    }

    /// Capital left to invest once fees are kept: the fee rate over the
    /// whole term on the full commitment, an upper bound on what fees can
    /// come to (fees after the investment period are charged on cost, which
    /// never exceeds the commitment, and none are charged in the
    /// extension). So calls never exceed the commitment.
    pub(crate) fn investable(&self) -> f64 {
        self.commitment * (1.0 - self.management_fee * self.term_years)
    }

    /// One initial investment: the investable capital less the reserve,
    /// over the deals.
    pub(crate) fn initial_ticket(&self) -> f64 {
        let investable = self.investable();
        (investable - investable * self.reserve_ratio) / self.deals as f64
    }

    /// The earliest stage the fund invests at (index into `STAGES`).
    pub(crate) fn lowest_stage(&self) -> usize {
        self.stage_mix.iter().position(|&p| p > 0.0).unwrap_or(0)
    }
}

/// Metrics of `venture_fund`, in column order (MODEL.md 4.1).
pub const METRICS: [Metric; 17] = [
    ret("tvpi", Unit::Multiple, "TVPI", "fund LPs"),
    ret("dpi", Unit::Multiple, "DPI", "fund LPs"),
    tabled("rvpi", Unit::Multiple, "RVPI", "fund LPs"),
    ret("irr", Unit::Rate, "net IRR", "fund LPs"),
    ret("gross_multiple", Unit::Multiple, "gross multiple", "the fund's portfolio"),
    tabled("invested", Unit::Money, "invested", "fund"),
    tabled("paid_in", Unit::Money, "paid in", "fund"),
    tabled("distributed", Unit::Money, "distributed", "fund"),
    tabled("residual", Unit::Money, "residual", "fund"),
    FEES,
    tabled("carry", Unit::Money, "carry", "fund"),
    plain("deals_failed", Unit::Count, "deals failed", "fund"),
    plain("deals_ipo", Unit::Count, "deals ipo", "fund"),
    plain("deals_acquired", Unit::Count, "deals acquired", "fund"),
    plain("deals_private", Unit::Count, "deals private", "fund"),
    tabled("first_distribution_years", Unit::Years, "years to first distribution", "fund LPs"),
    tabled("dpi_6y", Unit::Multiple, "DPI at year 6", "fund LPs"),
];

/// The fund year whose DPI is the metric `dpi_6y`: deals are made over
/// the first four years and exit a median of five to seven years later,
/// so year 6 is when the first exits have come back for most funds and
/// the registration lever's faster listings show (MODEL.md 4.1).
pub const DPI_YEAR: u32 = 6;

/// Management fees paid by a fund's investors (the venture fund's LPs, the
/// S fund's investors).
pub const FEES: Metric = tabled("fees", Unit::Money, "fees", "fund");

/// Per-step series of `venture_fund`: cumulative net cash flow to LPs (the
/// J-curve), reported NAV, and DPI to date (distributions to LPs so far
/// over capital paid in so far, the time to liquidity by year).
pub const SERIES: [Series; 3] = [
    j_curve("cum_net_cash_flow", "fund LPs"),
    series("nav", "NAV", "the fund"),
    series("dpi", "DPI by year: distributions over paid-in capital to date", "fund LPs"),
];

/// Per-path buffers of a stand-alone fund: the fund's own and its LPs'
/// net flows for the IRR.
#[derive(Debug, Clone)]
pub struct VentureWorkspace {
    pub(crate) fund: FundWorkspace,
    flows: Vec<f64>,
}

impl VehicleModel for VentureFund {
    const KIND: &'static str = "venture_fund";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = true;
    type Raw = RawVentureFund;
    type Spec = VentureFundSpec;
    type Workspace = VentureWorkspace;

    fn validate(prefix: &str, raw: &RawVentureFund, facts: &ScenarioFacts, v: &mut Validator<'_>) -> VentureFundSpec {
        let spec = venture_fund_spec(prefix, raw, v);
        let key = format!("{prefix}.commitment");
        input::check_absorbable(&key, spec.commitment, "", &spec, facts, v);
        spec
    }

    fn build(spec: VentureFundSpec, cx: &BuildContext<'_>) -> Self {
        VentureFund::new(spec, cx.key, cx.steps_per_year, cx.lockup_steps, cx.sales)
    }

    fn fiscal_role(&self) -> FiscalRole {
        FiscalRole::NONE
    }

    fn path_workspace(&self, horizon_steps: usize) -> VentureWorkspace {
        VentureWorkspace { fund: self.workspace(horizon_steps), flows: vec![0.0; horizon_steps] }
    }

    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        ws: &mut VentureWorkspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64 {
        let VentureWorkspace { fund, flows } = ws;
        fund.events.clear();
        let o = self.simulate(self.key, ctx.path_key, ctx.market, ctx.model, 0, fund, deals);
        let horizon = ctx.market.z.len();
        let (mut cum, mut paid, mut received) = (0.0, 0.0, 0.0);
        for t in 0..horizon {
            flows[t] = fund.distributions[t] - fund.calls[t];
            cum += flows[t];
            series[t] = cum;
            series[horizon + t] = fund.nav[t];
            paid += fund.calls[t];
            received += fund.distributions[t];
            series[2 * horizon + t] = if paid > 0.0 { received / paid } else { f64::NAN };
        }
        // DPI at the end of fund year `DPI_YEAR` (undefined past the horizon).
        let dpi_step = (DPI_YEAR * ctx.model.steps_per_year) as usize;
        let dpi_at_year = if dpi_step <= horizon { series[2 * horizon + dpi_step - 1] } else { f64::NAN };
        // The residual (LPs' share of what is still held at the horizon, at
        // marks) counts as a final inflow for the IRR.
        if let Some(last) = flows.last_mut() {
            *last += o.residual;
        }
        let per_paid_in = |x: f64| {
            if o.paid_in > 0.0 { x / o.paid_in } else { f64::NAN }
        };
        let values = [
            per_paid_in(o.distributed + o.residual),
            per_paid_in(o.distributed),
            per_paid_in(o.residual),
            irr_annual(flows, ctx.model.steps_per_year).unwrap_or(f64::NAN),
            if o.invested > 0.0 { o.gross_proceeds / o.invested } else { f64::NAN },
            o.invested,
            o.paid_in,
            o.distributed,
            o.residual,
            o.fees,
            o.carry,
            o.deals_failed as f64,
            o.deals_ipo as f64,
            o.deals_acquired as f64,
            o.deals_private as f64,
            first_distribution_years(&fund.distributions, ctx.model.steps_per_year),
            dpi_at_year,
        ];
        row.copy_from_slice(&values);
        o.company_steps
    }
}

/// One initial investment and its follow-ons.
#[derive(Debug, Clone)]
struct Deal {
    company: Company,
    /// Index of the company in the workspace's `FundEvents`.
    firm: u32,
    /// Share of the company held (of the listed shares once listed).
    ownership: f64,
    cost: f64,
    proceeds: f64,
    /// Step of the IPO, when listed.
    ipo_step: u32,
    /// Listed shares still to sell, as a share of the company.
    unsold: f64,
    /// Shares sold per sale, as a share of the company.
    per_sale: f64,
    /// Fund age (step) at which the deal was made.
    entry_age: u32,
    /// Reserve still earmarked for this company's follow-ons.
    earmark: f64,
    open: bool,
}

/// Capital a path's follow-ons draw on besides each deal's earmark.
#[derive(Debug, Default)]
struct Pools {
    /// Uncalled commitment released by deals that closed with part of
    /// their earmark unspent, by tickets cut to their round, and by fees
    /// after the investment period below the rate on the commitment that
    /// `investable` kept back for them.
    released: f64,
    /// Distributions of the investment period the fund may call again
    /// for follow-ons (recycling by recallable distributions).
    recyclable: f64,
    /// Proceeds that may still be made recallable.
    recycle_left: f64,
}

/// Reusable per-thread buffers for one fund's paths.
#[derive(Debug, Clone)]
pub(crate) struct FundWorkspace {
    deals: Vec<Deal>,
    /// Per step of the fund's life: failure probability given the factor,
    /// per stage.
    failure: Vec<[f64; 4]>,
    waterfall: EuropeanWaterfall,
    /// Per absolute step: capital called from LPs.
    pub calls: Vec<f64>,
    /// Per absolute step: distributions to LPs (after carry).
    pub distributions: Vec<f64>,
    /// Per absolute step, end of step: reported NAV of the fund's holdings.
    pub nav: Vec<f64>,
    /// Absolute step at whose end to take a `Snapshot` (for secondaries).
    pub snapshot_step: Option<usize>,
    pub snapshot: Snapshot,
    /// A second snapshot (a guidance fund's buy-back and sale dates).
    pub extra_snapshot_step: Option<usize>,
    pub extra_snapshot: Snapshot,
    /// When set, a `Snapshot` at the end of every step (pilots that
    /// underwrite interests of every age).
    pub record_snapshots: bool,
    pub snapshots: Vec<Snapshot>,
    /// Investments and fates for a lender to the same firms (cleared by
    /// the vehicle that owns the workspace at the start of each path).
    pub(crate) events: FundEvents,
}

/// The fund at the end of one step, as a buyer of an LP interest sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Snapshot {
    /// Reported NAV of the holdings (last-round marks, listed prices).
    pub nav: f64,
    /// True value of the holdings.
    pub true_nav: f64,
    /// The LPs' share of `nav` and of `true_nav`: what they would receive
    /// if the holdings were sold at that value now, through the waterfall
    /// (so net of the carry accrued).
    pub lp_nav: f64,
    pub lp_true_nav: f64,
}

/// What one path of one fund came to (totals over its life).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct FundOutcome {
    pub paid_in: f64,
    /// Distributions to LPs actually paid.
    pub distributed: f64,
    /// LPs' share of holdings still held at the horizon, valued at marks
    /// through the waterfall (zero when the fund ended within the horizon).
    pub residual: f64,
    pub fees: f64,
    pub carry: f64,
    /// Invested in companies (initial and follow-on).
    pub invested: f64,
    /// Proceeds from companies, residual marks included.
    pub gross_proceeds: f64,
    pub deals_failed: u32,
    pub deals_ipo: u32,
    pub deals_acquired: u32,
    pub deals_private: u32,
    /// Company-steps simulated (the unit of work of `fundsim bench`).
    pub company_steps: u64,
}

/// A venture fund ready to simulate: the spec and its step schedule.
#[derive(Debug, Clone)]
pub struct VentureFund {
    pub spec: VentureFundSpec,
    /// Stream identity of the fund's companies.
    pub key: u64,
    steps_per_year: u32,
    investment_steps: u32,
    term_steps: u32,
    life_steps: u32,
    initial_ticket: f64,
    /// Reserve earmarked for each deal's follow-ons.
    earmark: f64,
    lockup_steps: u32,
    sales: u32,
    /// The earliest stage the fund invests at; companies only move up, so
    /// no deal is ever at an earlier one.
    lowest_stage: usize,
    /// Whether a loan programme lends to the fund's companies, and so its
    /// workspaces record `FundEvents`.
    pub(crate) record_events: bool,
}

impl VentureFund {
    pub(crate) fn new(spec: VentureFundSpec, key: u64, steps_per_year: u32, lockup_steps: u32, sales: u32) -> Self {
        let (investment_steps, term_steps, life_steps) = spec.schedule(steps_per_year);
        let investable = spec.investable();
        let reserve_budget = investable * spec.reserve_ratio;
        let initial_ticket = spec.initial_ticket();
        let lowest_stage = spec.lowest_stage();
        let earmark = reserve_budget / spec.deals as f64;
        VentureFund {
            spec,
            key,
            steps_per_year,
            investment_steps,
            term_steps,
            life_steps,
            initial_ticket,
            earmark,
            lockup_steps,
            sales,
            lowest_stage,
            record_events: false,
        }
    }

    /// Steps from the fund's start to its final liquidation.
    pub(crate) fn life_steps(&self) -> u32 {
        self.life_steps
    }

    /// Steps from the fund's start to the end of its term (the extension
    /// excluded).
    pub fn term_steps(&self) -> u32 {
        self.term_steps
    }

    /// Fund-age step at which deal `i` is made.
    fn entry_step(&self, i: u32) -> u32 {
        (i as u64 * self.investment_steps as u64 / self.spec.deals as u64) as u32
    }

    pub(crate) fn workspace(&self, horizon_steps: usize) -> FundWorkspace {
        FundWorkspace {
            deals: Vec::with_capacity(self.spec.deals as usize),
            failure: Vec::with_capacity(horizon_steps),
            waterfall: EuropeanWaterfall::new(WaterfallTerms {
                hurdle: self.spec.hurdle,
                catch_up: self.spec.catch_up,
                carry: self.spec.carry,
                steps_per_year: self.steps_per_year,
            }),
            calls: vec![0.0; horizon_steps],
            distributions: vec![0.0; horizon_steps],
            nav: vec![0.0; horizon_steps],
            snapshot_step: None,
            snapshot: Snapshot::default(),
            extra_snapshot_step: None,
            extra_snapshot: Snapshot::default(),
            record_snapshots: false,
            snapshots: Vec::new(),
            events: FundEvents { on: self.record_events, scale: 1.0, ..FundEvents::default() },
        }
    }

    /// Simulate one path of the fund starting at absolute step `start`
    /// (0 for a stand-alone fund). `key` is this fund's stream identity (the
    /// vehicle's for a stand-alone fund, one per sub-fund or target fund).
    /// Fills the workspace's per-step series over the whole horizon and adds
    /// each deal's outcome to `deal_counts`.
    ///
    /// Each step: existing holdings move (`move_holding`), new deals are
    /// made (`invest`), the management fee is charged (`fee`), at the end of
    /// the fund's life or the horizon what is left is sold or valued
    /// (`close_out`), and the step's cash goes through the waterfall
    /// (`settle`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn simulate(
        &self,
        key: u64,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        start: usize,
        ws: &mut FundWorkspace,
        deal_counts: &mut DealCounts,
    ) -> FundOutcome {
        let horizon = market.z.len();
        for v in [&mut ws.calls, &mut ws.distributions, &mut ws.nav] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        ws.deals.clear();
        ws.waterfall.reset();
        ws.snapshot = Snapshot::default();
        ws.extra_snapshot = Snapshot::default();
        if ws.record_snapshots {
            ws.snapshots.clear();
            ws.snapshots.resize(horizon, Snapshot::default());
        }
        let end = (start + self.life_steps as usize).min(horizon);
        let mut out = FundOutcome::default();
        let mut pools = Pools { recycle_left: self.spec.recycling_cap * self.spec.commitment, ..Pools::default() };
        let mut next_deal = 0u32;
        // Failure probability given the factor, per step and stage held, in
        // one pass before the deals need them. The factor is the year's, the
        // same in each of the year's steps, so a step whose factor is the
        // step before's takes that step's probabilities (the same bits)
        // instead of evaluating Φ, a log1p and an expm1 per stage again.
        ws.failure.clear();
        let mut last: Option<(u64, [f64; 4])> = None;
        for &y in &market.year_factor[start..end] {
            let p = match last {
                Some((bits, p)) if bits == y.to_bits() => p,
                _ => model.stage_failure(y, self.lowest_stage),
            };
            last = Some((y.to_bits(), p));
            ws.failure.push(p);
        }

        for t in start..end {
            let age = (t - start) as u32;
            let last = t + 1 == end;
            let liquidation = age + 1 == self.life_steps;
            let step = Step { t, age, z: market.z[t], regime: market.regime[t] as usize };
            let mut cash = StepCash::default();
            // Closed deals are already counted; drop them so every loop
            // below sees open deals only.
            ws.deals.retain(|d| d.open);
            let failure = &ws.failure[t - start];

            // Existing holdings move first; deals made this step start next step.
            for deal in ws.deals.iter_mut() {
                self.move_holding(deal, model, &step, failure, &mut pools, &mut cash, &mut out, deal_counts, &mut ws.events);
            }
            while next_deal < self.spec.deals && self.entry_step(next_deal) == age {
                let mut deal = self.invest(next_deal, age, path_key, key, model, &mut pools, &mut cash, &mut out);
                deal.firm = ws.events.enter(t, deal.cost, deal.company.value());
                ws.deals.push(deal);
                next_deal += 1;
            }
            let fee = self.fee(age, cash.open_cost);
            cash.calls += fee;
            out.fees += fee;
            // The capital kept back for fees was sized on the fee rate on
            // the whole commitment for the whole term; what a step of the
            // post-investment term charges less (fees on cost) is free for
            // follow-ons from then on.
            if age >= self.investment_steps && age < self.term_steps {
                let kept = self.spec.management_fee * self.spec.commitment / self.steps_per_year as f64;
                pools.released += (kept - fee).max(0.0);
            }
            let residual = if liquidation || last {
                self.close_out(&mut ws.deals, t, liquidation, &mut cash, &mut out, deal_counts, &mut ws.events)
            } else {
                0.0
            };
            self.settle(ws, t, age, &cash, &mut pools, residual, liquidation, last, &mut out);

            // Everything was sold or valued at the end of the fund's life or
            // at the horizon: nothing is left held.
            let nav = if liquidation || last { 0.0 } else { cash.nav };
            ws.nav[t] = nav;
            if ws.snapshot_step == Some(t) {
                ws.snapshot = snapshot(ws, nav);
            }
            if ws.extra_snapshot_step == Some(t) {
                ws.extra_snapshot = snapshot(ws, nav);
            }
            if ws.record_snapshots {
                ws.snapshots[t] = snapshot(ws, nav);
            }
        }
        out.carry = ws.waterfall.gp_total();
        out
    }

    /// One step of a deal held since an earlier step: the company moves
    /// (failure, acquisition, IPO or a priced round with a pro-rata
    /// follow-on), listed shares are sold on the sell-down schedule, and
    /// what is still held adds to the step's cost base and NAV.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn move_holding(
        &self,
        deal: &mut Deal,
        model: &CompanyModel,
        step: &Step,
        failure: &[f64; 4],
        pools: &mut Pools,
        cash: &mut StepCash,
        out: &mut FundOutcome,
        deal_counts: &mut DealCounts,
        events: &mut FundEvents,
    ) {
        let held_steps = step.age - deal.entry_age;
        out.company_steps += 1;
        let p_fail = failure[deal.company.stage.index()];
        debug_assert!(!p_fail.is_nan(), "a deal below the fund's lowest stage");
        let stage = deal.company.stage;
        match deal.company.step_equity(model, step.t, step.z, step.regime, p_fail) {
            Event::None => {
                // A milestone without a round at a step-up (the stage moved
                // but value had not grown enough): the company did not earn
                // its reserve, which goes to the fund's other deals.
                if self.spec.reserve_release && deal.company.stage != stage {
                    pools.released += std::mem::take(&mut deal.earmark);
                }
            }
            Event::Failed => {
                let recovery = model.stages[deal.company.stage.index()].liquidation_recovery;
                let proceeds = recovery * deal.cost;
                deal.proceeds += proceeds;
                cash.proceeds += proceeds;
                deal.open = false;
                events.fail(deal.firm, step.t);
                events.proceeds(deal.firm, proceeds);
                events.close(deal.firm, step.t);
                pools.released += std::mem::take(&mut deal.earmark);
                deal_counts.record(deal.proceeds / deal.cost, Route::Failed);
                deal_counts.record_exit(Route::Failed, held_steps);
                out.deals_failed += 1;
            }
            Event::Acquired { price } => {
                let proceeds = deal.ownership * price;
                deal.proceeds += proceeds;
                cash.proceeds += proceeds;
                deal.open = false;
                events.exit(deal.firm, step.t, Route::Acquired, price);
                events.proceeds(deal.firm, proceeds);
                events.close(deal.firm, step.t);
                pools.released += std::mem::take(&mut deal.earmark);
                deal_counts.record(deal.proceeds / deal.cost, Route::Acquired);
                deal_counts.record_exit(Route::Acquired, held_steps);
                out.deals_acquired += 1;
            }
            Event::Ipo { price } => {
                events.exit(deal.firm, step.t, Route::Ipo, price);
                deal.ipo_step = step.age;
                deal.unsold = deal.ownership;
                deal.per_sale = deal.ownership / self.sales as f64;
                pools.released += std::mem::take(&mut deal.earmark);
                deal_counts.record_exit(Route::Ipo, held_steps);
            }
            Event::Round { post_money, dilution } => {
                // Pro-rata follow-on while the term runs: from the deal's
                // earmark, then released reserve, then recallable
                // distributions, all called; what is not funded is diluted.
                // Above pro rata (super pro rata, up to `follow_on_limit`
                // times it and at most the round's new money) only from
                // released reserve and recallable distributions: reserve
                // the fund's other deals no longer need goes to this winner.
                let (pro_rata, most) = if step.age < self.term_steps {
                    let pro_rata = deal.ownership * dilution * post_money;
                    let limit = if self.spec.reserve_release { self.spec.follow_on_limit } else { 1.0 };
                    (pro_rata, (pro_rata * limit).min(dilution * post_money).max(pro_rata))
                } else {
                    (0.0, 0.0)
                };
                let from_earmark = pro_rata.min(deal.earmark);
                deal.earmark -= from_earmark;
                let from_released = (most - from_earmark).min(pools.released);
                pools.released -= from_released;
                let from_recycled = (most - from_earmark - from_released).min(pools.recyclable);
                pools.recyclable -= from_recycled;
                let invest = from_earmark + from_released + from_recycled;
                cash.calls += invest;
                deal.cost += invest;
                out.invested += invest;
                if invest > 0.0 {
                    events.invest(deal.firm, step.t, true, invest, post_money);
                }
                deal.ownership = deal.ownership * (1.0 - dilution) + invest / post_money;
            }
        }
        // Sell listed shares on the sell-down schedule.
        if deal.company.status == Status::Listed && deal.open {
            let since = step.age - deal.ipo_step;
            if since >= self.lockup_steps && deal.unsold > 0.0 {
                let sale = if since + 1 >= self.lockup_steps + self.sales { deal.unsold } else { deal.per_sale };
                let proceeds = sale * deal.company.mark;
                deal.unsold -= sale;
                deal.proceeds += proceeds;
                cash.proceeds += proceeds;
                events.proceeds(deal.firm, proceeds);
                if deal.unsold <= 0.0 {
                    deal.open = false;
                    events.close(deal.firm, step.t);
                    deal_counts.record(deal.proceeds / deal.cost, Route::Ipo);
                    out.deals_ipo += 1;
                }
            }
        }
        if deal.open {
            cash.open_cost += deal.cost;
            let held = if deal.company.status == Status::Listed { deal.unsold } else { deal.ownership };
            cash.nav += held * deal.company.mark;
        }
    }

    /// Initial investment `i` at fund age `age`: a new company at its
    /// entry stage, bought with one initial ticket cut to what the round
    /// can sell, the whole company at its post-money value (the cut goes
    /// to the released reserve).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn invest(
        &self,
        i: u32,
        age: u32,
        path_key: u64,
        key: u64,
        model: &CompanyModel,
        pools: &mut Pools,
        cash: &mut StepCash,
        out: &mut FundOutcome,
    ) -> Deal {
        let stage = pick_stage(&self.spec.stage_mix, i, path_key, key);
        let company = Company::enter(model, stage, company_key(path_key, key, i as u64));
        let value = company.value();
        let ticket = self.initial_ticket.min(value);
        pools.released += self.initial_ticket - ticket;
        let ownership = ticket / value;
        cash.open_cost += ticket;
        cash.nav += ownership * company.mark;
        cash.calls += ticket;
        out.invested += ticket;
        Deal {
            company,
            firm: 0,
            ownership,
            cost: ticket,
            proceeds: 0.0,
            ipo_step: 0,
            unsold: 0.0,
            per_sale: 0.0,
            entry_age: age,
            earmark: self.earmark,
            open: true,
        }
    }

    /// Management fee of a step: on commitment during the investment
    /// period, then on the cost of unrealised holdings until the term ends.
    #[inline(always)]
    fn fee(&self, age: u32, open_cost: f64) -> f64 {
        let k = self.steps_per_year as f64;
        if age < self.investment_steps {
            self.spec.management_fee * self.spec.commitment / k
        } else if age < self.term_steps {
            self.spec.management_fee * open_cost / k
        } else {
            0.0
        }
    }

    /// Final liquidation at the end of the extension: sell everything. At a
    /// horizon that cuts the fund's life short, value what is left at its
    /// marks instead; returns that residual (a value, not a distribution).
    #[allow(clippy::too_many_arguments)]
    fn close_out(
        &self,
        deals: &mut [Deal],
        t: usize,
        liquidation: bool,
        cash: &mut StepCash,
        out: &mut FundOutcome,
        deal_counts: &mut DealCounts,
        events: &mut FundEvents,
    ) -> f64 {
        let mut residual = 0.0;
        for deal in deals.iter_mut().filter(|d| d.open) {
            let (value, route) = match deal.company.status {
                Status::Listed => (deal.unsold * deal.company.mark, Route::Ipo),
                _ if liquidation => (deal.ownership * self.spec.terminal_haircut * deal.company.value(), Route::Private),
                _ => (deal.ownership * deal.company.mark, Route::Private),
            };
            deal.proceeds += value;
            deal.open = false;
            events.proceeds(deal.firm, value);
            events.close(deal.firm, t);
            deal_counts.record(deal.proceeds / deal.cost, route);
            match route {
                Route::Ipo => out.deals_ipo += 1,
                _ => out.deals_private += 1,
            }
            if liquidation {
                cash.proceeds += value;
            } else {
                residual += value;
            }
        }
        residual
    }

    /// The step's calls and proceeds through the waterfall (the claw-back
    /// at the end), into the per-step series and the path's totals.
    /// Proceeds of the investment period are distributed and become
    /// recallable for follow-ons, up to what may still be recycled.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &self,
        ws: &mut FundWorkspace,
        t: usize,
        age: u32,
        cash: &StepCash,
        pools: &mut Pools,
        residual: f64,
        liquidation: bool,
        last: bool,
        out: &mut FundOutcome,
    ) {
        if age < self.investment_steps && pools.recycle_left > 0.0 && cash.proceeds > 0.0 {
            let recallable = cash.proceeds.min(pools.recycle_left);
            pools.recycle_left -= recallable;
            pools.recyclable += recallable;
        }
        let wf = &mut ws.waterfall;
        wf.accrue_step();
        wf.contribute(cash.calls);
        let split = wf.distribute(cash.proceeds);
        let mut to_lp = split.lp;
        let mut res_lp = 0.0;
        if residual > 0.0 {
            res_lp = wf.distribute(residual).lp;
        }
        if liquidation || last {
            let back = wf.clawback();
            if liquidation { to_lp += back } else { res_lp += back }
        }
        ws.calls[t] = cash.calls;
        ws.distributions[t] = to_lp;
        out.paid_in += cash.calls;
        out.distributed += to_lp;
        out.residual += res_lp;
        out.gross_proceeds += cash.proceeds + residual;
    }
}

/// Years from the start to the end of the first step with a distribution
/// to LPs (undefined when there is none within the horizon).
fn first_distribution_years(distributions: &[f64], steps_per_year: u32) -> f64 {
    distributions
        .iter()
        .position(|&d| d > 0.0)
        .map_or(f64::NAN, |t| (t + 1) as f64 / steps_per_year as f64)
}

/// Where a step is: absolute step, fund age, common factor and regime.
struct Step {
    t: usize,
    age: u32,
    z: f64,
    regime: usize,
}

/// What a step adds up to: capital called, proceeds received, and the cost
/// and reported value of what is held at its end (summed in the order of
/// the deals: held ones, then new ones).
#[derive(Debug, Default)]
struct StepCash {
    calls: f64,
    proceeds: f64,
    open_cost: f64,
    nav: f64,
}

/// The fund as a buyer of an LP interest sees it at the end of a step.
fn snapshot(ws: &FundWorkspace, nav: f64) -> Snapshot {
    let true_nav: f64 = ws
        .deals
        .iter()
        .filter(|d| d.open)
        .map(|d| if d.company.status == Status::Listed { d.unsold } else { d.ownership } * d.company.value())
        .sum();
    let lp_share = |x: f64| ws.waterfall.clone().distribute(x).lp;
    Snapshot { nav, true_nav, lp_nav: lp_share(nav), lp_true_nav: lp_share(true_nav) }
}

/// Entry stage of deal `i`, from its own stream so the stage mix does not
/// consume draws of the company's life.
fn pick_stage(mix: &[f64; 4], i: u32, path_key: u64, key: u64) -> Stage {
    use rand::RngExt;
    let u: f64 = Stream::from_key(company_key(path_key, key ^ 0x5354_4147_4500_0000, i as u64)).random();
    let mut acc = 0.0;
    for (s, &p) in mix.iter().enumerate() {
        acc += p;
        if u < acc {
            return Stage::from_index(s).unwrap_or(Stage::SEED);
        }
    }
    Stage::from_index(mix.iter().rposition(|&p| p > 0.0).unwrap_or(0)).unwrap_or(Stage::SEED)
}
