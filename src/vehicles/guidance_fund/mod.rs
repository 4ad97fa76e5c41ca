//! `guidance_fund`: a government guidance fund of funds (MODEL.md 4.2;
//! 政府引导基金, 天使/种子母基金; the Shenzhen measures, item 十二:
//! "鼓励各区根据实际情况设立、参与天使投资引导基金、种子引导基金", and item
//! 十三: "支持保险资金、家族财富公司、产业链龙头企业等社会资本参与创业投资").
//!
//! The government commits G to M sub-funds, holding share s of each;
//! private LPs hold 1 - s. Each sub-fund is a venture fund (4.1) of target
//! commitment G / (M s), launched in turn over `launch_years`, on the same
//! economy as every other vehicle.
//!
//! **Fundraising.** With a `fundraising` table, each sub-fund raises its
//! private share from LPs who commit when the return offered to them under
//! the sub-fund's terms clears their required return. The offered return is
//! the model's own expectation (the IRR of the private LPs' mean cash flow
//! over pilot lives of one sub-fund under these very terms, by exit-market
//! state at launch); required returns differ across sub-funds and among
//! one sub-fund's prospective LPs. A sub-fund raises the share of its
//! private target whose LPs clear their hurdle and is formed at that
//! smaller size (the government keeps share s), or not at all below
//! `min_close`. The government money of what is not formed is never called.
//! Without the table every sub-fund closes at its target.
//!
//! **Flows.** Interim calls and distributions are shared pro rata. The
//! concessions the government grants are paid **as distributions occur**:
//! after each step the settlement below is computed on the sub-fund's
//! totals to date and whatever it adds to what was already paid goes from
//! the government to the private LPs (a share `gp_share` to the sub-fund's
//! GP) in that step; at liquidation it is computed once more on the final
//! totals and the difference is settled either way. A payment only ever
//! follows a rise in the government's profit to date, which is at most
//! that step's net government flow, so the government's flow keeps the
//! sign it has pro rata: no claw-back of earlier distributions, and an IRR
//! wherever the pro-rata flows have one. The settlement, in this order:
//!
//! 1. first loss f (final settlement only): on a loss L = paid-in -
//!    distributions, the government bears min(L, f x its paid-in) first; the
//!    rest is shared in proportion to the capital still at risk;
//! 2. profit concession θ (让利): θ x the government's profit (receipts
//!    above its paid-in);
//! 3. return cap r (保本微利): government receipts capped at its paid-in plus
//!    simple interest at r on each contribution from its date.
//!
//! **Buy-back** (财企〔2007〕128号): at fund age `year` private LPs may buy
//! the government's interest for its unrecovered paid-in (net of
//! concession payments) plus simple interest at `rate`. They buy when the
//! interest is worth more to them than the price: the government's share
//! of the LPs' NAV (at marks, net of the GP's carry) less the part of it
//! they would receive anyway as concession payments. The government then
//! receives the price and no more from that sub-fund. Private receipts are
//! net of buy-back prices paid, so government plus private receipts plus
//! the GPs' share of concessions equal what the sub-funds distributed.
//!
//! The mother fund's own management fee (`management_fee`, on the
//! government money committed to formed sub-funds, during their term) is a
//! fiscal cost outside the sub-funds' cash flows.
//!
//! **Sale to an S fund** (item 十三's share-transfer pilot): when an S fund
//! of the scenario names this fund as its `seller`, at the S fund's
//! purchase step (counted from step 0) the government's stake in every
//! sub-fund still running and not bought back is sold at the S fund's
//! price; the government's flows are unchanged up to that step, receive the
//! price in it and nothing after. What the S fund needs (prices, the
//! stakes' later flows, the seller's earlier flows) is left in the
//! workspace's `SaleRecord` for it to read on the same path.

pub mod input;

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::finance::fiscal::FiscalBasis;
use crate::finance::irr::irr_annual;
use crate::model::company::CompanyModel;
use crate::model::market::{Market, MarketPath};
use crate::model::normal;
use crate::rng::{Stream, company_key, splitmix64};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{self, FISCAL_COST, FISCAL_COST_NOMINAL, Metric, PRIVATE_CAPITAL, Series, Unit, j_curve, plain, plain_loss, ret};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::s_fund::SFund;
use crate::vehicles::venture_fund::{FundWorkspace, VentureFund, VentureFundSpec};
use crate::vehicles::{Amount, BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use input::{RawGuidanceFund, guidance_fund_spec};

/// Metrics of `guidance_fund`, in column order (MODEL.md 4.2).
pub(crate) const METRICS: [Metric; 28] = [
    ret("gov_tvpi", Unit::Multiple, "TVPI", "government"),
    ret("gov_irr", Unit::Rate, "IRR", "government"),
    plain_loss("gov_loss", Unit::Share, "gov loss", "government"),
    ret("private_tvpi", Unit::Multiple, "TVPI", "private LPs"),
    ret("private_irr", Unit::Rate, "IRR", "private LPs"),
    plain("concession_transfer", Unit::Money, "concession transfer", "private LPs"),
    plain("leverage", Unit::Multiple, "leverage", "government"),
    plain("companies_funded", Unit::Count, "companies funded", "the sub-funds"),
    plain("local_investment", Unit::Money, "local investment", "the sub-funds"),
    plain("reinvestment_met", Unit::Indicator, "reinvestment met", "the sub-funds"),
    plain("tolerance_breached", Unit::Indicator, "tolerance breached", "government"),
    FISCAL_COST,
    plain("gov_paid_in", Unit::Money, "gov paid in", "government"),
    plain("gov_received", Unit::Money, "gov received", "government"),
    plain("private_paid_in", Unit::Money, "private paid in", "private LPs"),
    plain("private_received", Unit::Money, "private received", "private LPs"),
    plain("buybacks", Unit::Count, "buybacks", "private LPs"),
    plain("lp_distributions", Unit::Money, "lp distributions", "the sub-funds' LPs"),
    PRIVATE_CAPITAL,
    plain("subfunds_raised", Unit::Count, "sub-funds raised", "the sub-funds"),
    plain("gov_committed", Unit::Money, "gov committed", "government"),
    plain("gov_unspent", Unit::Money, "gov money not committed", "government"),
    plain("buyback_share", Unit::Share, "share of sub-funds bought back", "private LPs"),
    plain("mother_fund_fees", Unit::Money, "mother fund fees", "government"),
    plain("gp_concession", Unit::Money, "concession to GPs", "the sub-funds' GPs"),
    plain("stakes_sold", Unit::Count, "stakes sold to the S fund", "government"),
    plain("sale_proceeds", Unit::Money, "sale proceeds", "government"),
    FISCAL_COST_NOMINAL,
];

/// Per-step series of `guidance_fund`: cumulative net cash flow of the
/// government and of private LPs (their J-curves).
pub(crate) const SERIES: [Series; 2] =
    [j_curve("gov_cum_net_cash_flow", "government"), j_curve("private_cum_net_cash_flow", "private LPs")];

/// Per-path buffers: the guidance fund's own and scratch for the IRRs.
#[derive(Debug, Clone)]
pub struct GuidancePathWorkspace {
    pub guidance: GuidanceWorkspace,
    flows: Vec<f64>,
}

impl VehicleModel for GuidanceFund {
    const KIND: &'static str = "guidance_fund";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = true;
    type Raw = RawGuidanceFund;
    type Spec = GuidanceFundSpec;
    type Workspace = GuidancePathWorkspace;

    fn check_table(prefix: &str, table: &toml::Value) -> Vec<(String, String)> {
        if table.get("subfund").and_then(|t| t.get("commitment")).is_some() {
            let rule = "is derived as government_capital / (subfunds x government_share); remove it";
            vec![(format!("{prefix}.subfund.commitment"), rule.into())]
        } else {
            Vec::new()
        }
    }

    fn validate(prefix: &str, raw: &RawGuidanceFund, facts: &ScenarioFacts, v: &mut Validator<'_>) -> GuidanceFundSpec {
        guidance_fund_spec(prefix, raw, facts, v)
    }

    fn resolved(raw: &RawGuidanceFund) -> Option<toml::Value> {
        let mut value = toml::Value::try_from(raw).ok()?;
        // The sub-fund commitment is derived, not a key.
        if let Some(sub) = value.get_mut("subfund").and_then(|s| s.as_table_mut()) {
            sub.remove("commitment");
        }
        Some(value)
    }

    fn build(spec: GuidanceFundSpec, cx: &BuildContext<'_>) -> Self {
        let (k, lockup, sales) = (cx.steps_per_year, cx.lockup_steps, cx.sales);
        GuidanceFund::new(spec, cx.key, k, lockup, sales, cx.fiscal, Some((cx.market, cx.model)))
    }

    fn fiscal_role(&self) -> FiscalRole {
        let column = |name| catalogue::column(&METRICS, name);
        FiscalRole {
            fiscal_cost: column("fiscal_cost"),
            fiscal_cost_nominal: column("fiscal_cost_nominal"),
            // Private commitments raised: what the programme mobilises
            // (paid-in is smaller by the sub-funds' uncalled reserve).
            private_capital: column("private_capital"),
            credit: Amount::Constant(0.0),
            firms: Amount::Column(column("companies_funded").expect("guidance fund metric")),
        }
    }

    fn fiscal_flows(ws: &GuidancePathWorkspace) -> &[f64] {
        &ws.guidance.fiscal_flow
    }

    fn path_workspace(&self, horizon_steps: usize) -> GuidancePathWorkspace {
        GuidancePathWorkspace { guidance: self.workspace(horizon_steps), flows: vec![0.0; horizon_steps] }
    }

    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        ws: &mut GuidancePathWorkspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64 {
        let GuidancePathWorkspace { guidance, flows } = ws;
        let o = self.simulate(ctx.path_key, ctx.market, ctx.model, guidance, deals);
        let horizon = ctx.market.z.len();
        let (mut gov, mut private) = (0.0, 0.0);
        for t in 0..horizon {
            gov += guidance.gov_flow[t];
            private += guidance.private_flow[t];
            series[t] = gov;
            series[horizon + t] = private;
        }
        row.copy_from_slice(&self.metrics(&o, guidance, flows));
        o.company_steps
    }
}

/// `buyback = { year, rate }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buyback {
    pub year: f64,
    pub rate: f64,
}

/// `[<name>.fundraising]`: private LPs who choose whether to commit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fundraising {
    /// Mean annual return private LPs require of a sub-fund.
    pub required_return: f64,
    /// Sd of the required return across sub-funds (each sub-fund's LP base
    /// draws one normal).
    pub required_return_sd: f64,
    /// Sd of required returns among one sub-fund's prospective LPs: the
    /// share of them that commits is Φ((offered - required) / this).
    pub lp_dispersion: f64,
    /// A sub-fund that raises less than this share of its private target
    /// is not formed.
    pub min_close: f64,
}

/// Validated `[vehicles.<name>]` of kind `guidance_fund`.
#[derive(Debug, Clone, PartialEq)]
pub struct GuidanceFundSpec {
    pub government_capital: f64,
    pub subfunds: u32,
    pub government_share: f64,
    pub launch_years: f64,
    /// Sub-fund terms; its commitment is G / (M s).
    pub subfund: VentureFundSpec,
    pub profit_concession: f64,
    /// Share of each concession payment that goes to the sub-fund's GP
    /// instead of its private LPs.
    pub gp_share: f64,
    pub return_cap: Option<f64>,
    pub first_loss: f64,
    pub buyback: Option<Buyback>,
    /// The mother fund's own annual management fee on the government money
    /// committed to formed sub-funds, during each sub-fund's term.
    pub management_fee: f64,
    /// Without it every sub-fund closes at its target (the old behaviour).
    pub fundraising: Option<Fundraising>,
    pub reinvestment_ratio: f64,
    pub local_deal_share: f64,
    pub loss_tolerance: Option<f64>,
}

/// A guidance fund ready to simulate.
#[derive(Debug, Clone)]
pub struct GuidanceFund {
    pub spec: GuidanceFundSpec,
    pub key: u64,
    pub subfund: VentureFund,
    steps_per_year: u32,
    /// `[fiscal]`: the basis of `fiscal_cost`.
    pub fiscal: FiscalBasis,
    launch_steps: Vec<usize>,
    buyback_age: Option<usize>,
    /// The annual return private LPs expect from a sub-fund under its terms,
    /// per exit-market state at launch (empty without `fundraising`).
    pub offered: Vec<f64>,
    /// The S fund that buys the government's stakes, when one names this
    /// guidance fund as its seller (its price and purchase age).
    pub sale: Option<Box<SFund>>,
}

/// Reusable per-thread buffers.
#[derive(Debug, Clone)]
pub struct GuidanceWorkspace {
    pub(crate) fund: FundWorkspace,
    /// Per step, net cash flow of the government and of private LPs.
    pub gov_flow: Vec<f64>,
    pub private_flow: Vec<f64>,
    /// Per step, the government's net fiscal outlay: its calls and the
    /// mother fund's fee less its receipts (the value of its holdings at
    /// the horizon, at marks, counted as a receipt in the last step).
    pub fiscal_flow: Vec<f64>,
    /// The sale of the government's stakes to an S fund, for that S fund.
    pub sale: SaleRecord,
    /// The government's net flow in the sub-fund being simulated.
    sub_gov: Vec<f64>,
}

/// What an S fund bought from the guidance fund in one path: per step, the
/// prices paid, the bought stakes' later calls and distributions and the
/// S fund's fee base; the seller's flows before the sale; totals.
#[derive(Debug, Clone, Default)]
pub struct SaleRecord {
    pub price: Vec<f64>,
    pub calls: Vec<f64>,
    pub distributions: Vec<f64>,
    pub fee_base: Vec<f64>,
    /// The government's net flows, up to and including the sale step, in
    /// the sub-funds it sold (the price excluded).
    pub seller_before: Vec<f64>,
    pub seller_paid_before: f64,
    pub seller_received_before: f64,
    /// The stakes' LP NAV and true NAV at the sale, and their residual at
    /// the horizon.
    pub lp_nav: f64,
    pub lp_true_nav: f64,
    pub residual: f64,
    /// The seller's liquidity cost in present value at the S fund's
    /// `seller_rate` (see `SFund`).
    pub liquidity_cost: f64,
    pub purchases: u32,
}

impl SaleRecord {
    fn reset(&mut self, horizon: usize) {
        for v in [&mut self.price, &mut self.calls, &mut self.distributions, &mut self.fee_base, &mut self.seller_before] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        self.seller_paid_before = 0.0;
        self.seller_received_before = 0.0;
        self.lp_nav = 0.0;
        self.lp_true_nav = 0.0;
        self.residual = 0.0;
        self.liquidity_cost = 0.0;
        self.purchases = 0;
    }
}

/// Totals of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GuidanceOutcome {
    pub gov_paid_in: f64,
    pub gov_received: f64,
    pub gov_residual: f64,
    pub private_paid_in: f64,
    pub private_received: f64,
    pub private_residual: f64,
    /// What the sub-funds distributed to their LPs (residual excluded).
    pub lp_distributions: f64,
    /// Concession payments, all (to private LPs and GPs) and the GPs' part.
    pub concession_transfer: f64,
    pub gp_concession: f64,
    pub buybacks: u32,
    pub companies_funded: u32,
    pub invested: f64,
    /// Sub-funds formed, and the commitments they raised.
    pub subfunds_raised: u32,
    pub gov_committed: f64,
    pub private_capital: f64,
    pub mother_fees: f64,
    /// Sub-funds whose government stake was sold to an S fund, and the
    /// prices received.
    pub sales: u32,
    pub sale_proceeds: f64,
    pub company_steps: u64,
}

/// Where one sub-fund's government stake stands.
#[derive(Debug, Clone, Copy, Default)]
struct Stake {
    paid: f64,
    /// Pro-rata receipts (before concession payments).
    received: f64,
    /// Σ contribution x years since it was made (for simple interest).
    capital_years: f64,
    /// Concession payments made so far (to private LPs and the GP).
    transferred: f64,
    bought_back: bool,
    /// Sold to an S fund at this step.
    sold_at: Option<usize>,
}

/// Pilot paths of one sub-fund that give private LPs their expectation.
pub(crate) const PILOT_PATHS: u64 = 1000;

const PILOT_SALT: u64 = 0x5049_4C4F_5400_0001;
const LP_SALT: u64 = 0x4C50_5F52_4551_0002;

impl GuidanceFund {
    pub(crate) fn new(
        spec: GuidanceFundSpec,
        key: u64,
        steps_per_year: u32,
        lockup_steps: u32,
        sales: u32,
        fiscal: FiscalBasis,
        pilot: Option<(&Market, &CompanyModel)>,
    ) -> Self {
        let mut sub_spec = spec.subfund.clone();
        sub_spec.commitment = spec.government_capital / (spec.subfunds as f64 * spec.government_share);
        let subfund = VentureFund::new(sub_spec, key, steps_per_year, lockup_steps, sales);
        let k = steps_per_year as f64;
        let launch_steps = (0..spec.subfunds)
            .map(|j| (j as f64 * spec.launch_years * k / spec.subfunds as f64).round() as usize)
            .collect();
        let buyback_age = spec.buyback.map(|b| ((b.year * k).round() as usize).max(1) - 1);
        let mut g = GuidanceFund {
            spec,
            key,
            subfund,
            steps_per_year,
            fiscal,
            launch_steps,
            buyback_age,
            offered: Vec::new(),
            sale: None,
        };
        if let (Some(_), Some((market, model))) = (g.spec.fundraising, pilot) {
            // The whole fund as built so far is the memo's key
            // (`vehicles/pilots.rs`): a sweep variant that changes none of
            // it gets the same offer without the pilots.
            g.offered = crate::vehicles::pilots::once(&(&g, market, model, PILOT_PATHS), || g.pilot_offered(market, model));
        }
        g
    }

    pub fn workspace(&self, horizon: usize) -> GuidanceWorkspace {
        GuidanceWorkspace {
            fund: self.subfund.workspace(horizon),
            gov_flow: vec![0.0; horizon],
            private_flow: vec![0.0; horizon],
            fiscal_flow: vec![0.0; horizon],
            sale: SaleRecord::default(),
            sub_gov: vec![0.0; horizon],
        }
    }

    /// Launch step of each sub-fund.
    pub(crate) fn launch_steps(&self) -> &[usize] {
        &self.launch_steps
    }

    /// Stream identity of sub-fund `j`.
    fn subfund_key(&self, j: u32) -> u64 {
        splitmix64(self.key ^ (j as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F))
    }

    /// What private LPs expect a sub-fund to return them under its terms:
    /// the annual IRR of their mean net cash flow per step over
    /// `PILOT_PATHS` pilot lives of one sub-fund, launched at step 0 of
    /// economies drawn from the scenario's market, grouped by the regime at
    /// launch (all pilots together for a state no pilot started in). The
    /// pilots run this very code (levers, buy-back rule and all) on streams
    /// keyed by the vehicle alone, so a lever moves every pilot path's
    /// flows the same way on common random numbers.
    fn pilot_offered(&self, market: &Market, model: &CompanyModel) -> Vec<f64> {
        let life = self.subfund.life_steps() as usize;
        let mut ws = self.workspace(life);
        let mut path = MarketPath::default();
        let states = market.regimes.len();
        let mut sums = vec![vec![0.0; life]; states + 1];
        let mut deals = DealCounts::default();
        for i in 0..PILOT_PATHS {
            let path_key = splitmix64(self.key ^ PILOT_SALT ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            path.simulate(market, life, self.steps_per_year, &mut Stream::from_key(path_key));
            ws.gov_flow.iter_mut().for_each(|x| *x = 0.0);
            ws.private_flow.iter_mut().for_each(|x| *x = 0.0);
            let mut o = GuidanceOutcome::default();
            let fund_key = splitmix64(path_key ^ PILOT_SALT);
            ws.sale.reset(life);
            self.run_subfund(None, fund_key, 0, 1.0, path_key, &path, model, &mut ws, &mut deals, &mut o);
            let r = path.regime[0] as usize;
            for (t, &x) in ws.private_flow.iter().enumerate() {
                sums[r][t] += x;
                sums[states][t] += x;
            }
        }
        let pooled = irr_annual(&sums[states], self.steps_per_year).unwrap_or(f64::NEG_INFINITY);
        (0..states)
            .map(|r| {
                if sums[r].iter().all(|&x| x == 0.0) {
                    pooled
                } else {
                    irr_annual(&sums[r], self.steps_per_year).unwrap_or(f64::NEG_INFINITY)
                }
            })
            .collect()
    }

    /// The share of its private target that sub-fund `j`, launched in
    /// exit-market state `regime`, raises: 1 without `fundraising`; else
    /// Φ((offered - ρ_j) / lp_dispersion) with ρ_j = required_return +
    /// required_return_sd × a normal of the sub-fund's own stream, and 0
    /// when that falls short of `min_close` (the fund is not formed).
    pub(crate) fn raised_share(&self, path_key: u64, j: u32, regime: usize) -> f64 {
        let Some(fr) = self.spec.fundraising else { return 1.0 };
        let mut rng = Stream::from_key(company_key(path_key, self.key ^ LP_SALT, j as u64));
        let eps: f64 = rng.sample(StandardNormal);
        let required = fr.required_return + fr.required_return_sd * eps;
        let offered = self.offered.get(regime).copied().unwrap_or(f64::NEG_INFINITY);
        let q = if fr.lp_dispersion > 0.0 {
            normal::cdf((offered - required) / fr.lp_dispersion)
        } else if offered >= required {
            1.0
        } else {
            0.0
        };
        if q < fr.min_close || q <= 0.0 { 0.0 } else { q }
    }

    pub fn simulate(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut GuidanceWorkspace,
        deals: &mut DealCounts,
    ) -> GuidanceOutcome {
        let spec = &self.spec;
        let s = spec.government_share;
        let horizon = market.z.len();
        let commitment = self.subfund.spec.commitment;
        ws.gov_flow.iter_mut().for_each(|x| *x = 0.0);
        ws.private_flow.iter_mut().for_each(|x| *x = 0.0);
        ws.fiscal_flow.iter_mut().for_each(|x| *x = 0.0);
        ws.sale.reset(horizon);
        ws.fund.events.clear();
        let mut o = GuidanceOutcome::default();
        for j in 0..spec.subfunds {
            let start = self.launch_steps[j as usize];
            if start >= horizon {
                continue;
            }
            let scale = self.raised_share(path_key, j, market.regime[start] as usize);
            if scale <= 0.0 {
                continue;
            }
            o.subfunds_raised += 1;
            o.gov_committed += scale * s * commitment;
            o.private_capital += scale * (1.0 - s) * commitment;
            self.run_subfund(Some(j), self.subfund_key(j), start, scale, path_key, market, model, ws, deals, &mut o);
        }
        o
    }

    /// One sub-fund of `scale` × the target size, launched at `start`:
    /// its flows into `ws.gov_flow` and `ws.private_flow`, its totals into
    /// `o`. `j` is its index (`None` for a pilot, which is never sold).
    #[allow(clippy::too_many_arguments)]
    fn run_subfund(
        &self,
        j: Option<u32>,
        fund_key: u64,
        start: usize,
        scale: f64,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut GuidanceWorkspace,
        deals: &mut DealCounts,
        o: &mut GuidanceOutcome,
    ) {
        let spec = &self.spec;
        let s = spec.government_share;
        let k = self.steps_per_year as f64;
        let horizon = market.z.len();
        let f = &mut ws.fund;
        f.snapshot_step = self.buyback_age.map(|a| start + a);
        // One sale step for every sub-fund: the S fund's purchase age,
        // counted from the guidance fund's start.
        let sale = self.sale.as_deref().filter(|_| j.is_some());
        let sale_step = sale.map(|sf| sf.purchase_age()).filter(|&ts| ts >= start);
        f.extra_snapshot_step = sale_step;
        ws.sub_gov.iter_mut().for_each(|x| *x = 0.0);
        f.events.scale = scale;
        let fo = self.subfund.simulate(fund_key, path_key, market, model, start, f, deals);
        o.companies_funded += fo.deals_failed + fo.deals_ipo + fo.deals_acquired + fo.deals_private;
        o.invested += scale * fo.invested;
        o.company_steps += fo.company_steps;
        // The mother fund's fee on the government money in this sub-fund.
        let fee = spec.management_fee / k * scale * s * self.subfund.spec.commitment;
        for t in start..(start + self.subfund.term_steps() as usize).min(horizon) {
            o.mother_fees += fee;
            ws.fiscal_flow[t] += fee;
        }
        let end = start + self.subfund.life_steps() as usize;
        let liquidated = end <= horizon;
        let mut stake = Stake::default();
        let mut lp_total = 0.0;
        let (mut sold_paid, mut sold_received, mut sale_price) = (0.0, 0.0, 0.0);
        for t in start..end.min(horizon) {
            let (calls, dist) = (scale * f.calls[t], scale * f.distributions[t]);
            lp_total += dist;
            let (mut g_call, mut g_dist, mut price, mut transfer) = (0.0, 0.0, 0.0, 0.0);
            // The S fund's calls and distributions on a sold stake, and the
            // part of `price` it (not the private LPs) pays.
            let (mut b_call, mut b_dist, mut paid_by_buyer) = (0.0, 0.0, 0.0);
            if stake.sold_at.is_some() {
                // The S fund holds the government's share now.
                b_call = s * calls;
                b_dist = s * dist;
                ws.sale.calls[t] += b_call;
                ws.sale.distributions[t] += b_dist;
            } else if !stake.bought_back {
                g_call = s * calls;
                g_dist = s * dist;
                stake.capital_years += stake.paid / k;
                stake.paid += g_call;
                stake.received += g_dist;
                // Concessions paid as distributions occur: the settlement
                // on the totals to date, paid as it rises; trued up (either
                // way) at liquidation, where first loss also applies.
                let last = liquidated && t + 1 == end;
                let due = self.settlement(stake.paid, stake.capital_years, lp_total, last) - stake.transferred;
                transfer = if last { due } else { due.max(0.0) };
                stake.transferred += transfer;
                if let (Some(age), Some(b)) = (self.buyback_age, spec.buyback)
                    && age == t - start
                    && !last
                {
                    let p = (stake.paid - (stake.received - stake.transferred)).max(0.0) + b.rate * stake.capital_years;
                    if self.buyback_value(&stake, lp_total, scale * f.snapshot.lp_nav) > p {
                        stake.bought_back = true;
                        price = p;
                        o.buybacks += 1;
                    }
                }
                if let (Some(sf), Some(ts), Some(j)) = (sale, sale_step, j)
                    && ts == t
                    && !last
                    && !stake.bought_back
                {
                    // Sold to the S fund at the end of the step, after its
                    // flows: the S fund's price of the whole (full-size)
                    // interest, scaled to the fund's size and the
                    // government's share.
                    let unfunded = (self.subfund.spec.commitment - f.calls[start..=t].iter().sum::<f64>()).max(0.0);
                    let snap = f.extra_snapshot;
                    let regime = market.regime[t] as usize;
                    price = s * scale * sf.interest_price(path_key, j, t - start, regime, snap.lp_nav, unfunded);
                    stake.sold_at = Some(t);
                    sale_price = price;
                    paid_by_buyer = price;
                    o.sales += 1;
                    o.sale_proceeds += price;
                    ws.sale.price[t] += price;
                    ws.sale.lp_nav += s * scale * snap.lp_nav;
                    ws.sale.lp_true_nav += s * scale * snap.lp_true_nav;
                    ws.sale.purchases += 1;
                }
            }
            let to_gp = spec.gp_share * transfer;
            let (p_call, p_dist) = (calls - g_call - b_call, dist - g_dist - b_dist);
            let gov = g_dist + price - transfer;
            if stake.sold_at.is_none() || stake.sold_at == Some(t) {
                ws.sub_gov[t] = gov - price - g_call;
                sold_paid += g_call;
                sold_received += gov - price;
            }
            ws.gov_flow[t] += gov - g_call;
            ws.fiscal_flow[t] += g_call - gov;
            let private_price = price - paid_by_buyer;
            ws.private_flow[t] += p_dist - private_price + transfer - to_gp - p_call;
            o.gov_paid_in += g_call;
            o.gov_received += gov;
            o.private_paid_in += p_call;
            o.private_received += p_dist - private_price + transfer - to_gp;
            o.concession_transfer += transfer;
            o.gp_concession += to_gp;
            o.lp_distributions += dist;
        }
        let sold = stake.sold_at.is_some();
        if !liquidated {
            // Cut by the horizon: LPs' share of holdings at marks.
            let g = if stake.bought_back || sold { 0.0 } else { s * scale * fo.residual };
            let b = if sold { s * scale * fo.residual } else { 0.0 };
            o.gov_residual += g;
            o.private_residual += scale * fo.residual - g - b;
            ws.fiscal_flow[horizon - 1] -= g;
            ws.sale.residual += b;
        }
        if let (Some(ts), Some(sf)) = (stake.sold_at, sale) {
            // The seller's side and the S fund's fee base for this stake.
            for t in start..=ts {
                ws.sale.seller_before[t] += ws.sub_gov[t];
            }
            ws.sale.seller_paid_before += sold_paid;
            ws.sale.seller_received_before += sold_received;
            let k = self.steps_per_year as f64;
            let rate = |t: usize| (1.0 + sf.spec.seller_rate).powf(-((t - ts) as f64 / k));
            let mut basis = sale_price;
            let mut given_up = -sale_price;
            for t in ts..end.min(horizon) {
                let (c, d) = (s * scale * f.calls[t], s * scale * f.distributions[t]);
                if t > ts {
                    basis += c;
                    given_up += (d - c) * rate(t);
                }
                ws.sale.fee_base[t] += basis;
            }
            if !liquidated {
                given_up += s * scale * fo.residual * rate(horizon - 1);
            }
            ws.sale.liquidity_cost += given_up;
        }
    }

    /// What buying the government's interest is worth to the private LPs at
    /// the buy-back date: the government's share of the LPs' NAV (`lp_nav`,
    /// at marks, net of the GP's carry), less what they would get of it
    /// anyway if they did not buy: their part (1 - gp_share) of the
    /// concession payments still due were the sub-fund wound up at that NAV.
    fn buyback_value(&self, stake: &Stake, lp_total: f64, lp_nav: f64) -> f64 {
        let spec = &self.spec;
        let v = spec.government_share * lp_nav;
        let due = self.settlement(stake.paid, stake.capital_years, lp_total + lp_nav, true) - stake.transferred;
        v - (1.0 - spec.gp_share) * due
    }

    /// The concession payments the levers require on a sub-fund's totals:
    /// `paid` is the government's paid-in, `capital_years` its simple-interest
    /// base, `lp_total` all the sub-fund has distributed to LPs. First loss
    /// applies only to the final settlement (`last`): before the sub-fund
    /// is wound up a shortfall is not yet a loss.
    fn settlement(&self, paid: f64, capital_years: f64, lp_total: f64, last: bool) -> f64 {
        let spec = &self.spec;
        let s = spec.government_share;
        let (pg, pp, d) = (paid, (1.0 - s) / s * paid, lp_total);
        let pro_rata = s * d;
        // 1. First loss.
        let loss = pg + pp - d;
        let mut gov = pro_rata;
        if last && spec.first_loss > 0.0 && loss > 0.0 {
            let first = loss.min(spec.first_loss * pg);
            let at_risk = (1.0 - spec.first_loss) * pg + pp;
            let private_loss = if at_risk > 0.0 { (loss - first) * pp / at_risk } else { 0.0 };
            gov = d - (pp - private_loss);
        }
        // 2. Profit concession.
        gov -= spec.profit_concession * (gov - pg).max(0.0);
        // 3. Return cap.
        if let Some(r) = spec.return_cap {
            gov = gov.min(pg + r * capital_years);
        }
        (pro_rata - gov).max(0.0)
    }
}

impl GuidanceFund {
    /// The metric row (order of `METRICS`); `flows`
    /// is scratch space of the horizon's length.
    pub fn metrics(&self, o: &GuidanceOutcome, ws: &GuidanceWorkspace, flows: &mut [f64]) -> [f64; METRICS.len()] {
        let spec = &self.spec;
        let k = self.steps_per_year;
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
        let irr = |series: &[f64], residual: f64, flows: &mut [f64]| {
            flows.copy_from_slice(series);
            if let Some(last) = flows.last_mut() {
                *last += residual;
            }
            irr_annual(flows, k).unwrap_or(f64::NAN)
        };
        let gov_tvpi = ratio(o.gov_received + o.gov_residual, o.gov_paid_in);
        let gov_loss = (1.0 - gov_tvpi).max(0.0);
        let local_investment = spec.local_deal_share * o.invested;
        let required = spec.reinvestment_ratio * spec.government_capital;
        [
            gov_tvpi,
            irr(&ws.gov_flow, o.gov_residual, flows),
            if gov_tvpi.is_nan() { f64::NAN } else { gov_loss },
            ratio(o.private_received + o.private_residual, o.private_paid_in),
            irr(&ws.private_flow, o.private_residual, flows),
            o.concession_transfer,
            (o.gov_committed + o.private_capital) / spec.government_capital,
            o.companies_funded as f64,
            local_investment,
            (local_investment >= required) as u8 as f64,
            spec.loss_tolerance.map_or(f64::NAN, |tol| (gov_loss > tol) as u8 as f64),
            self.fiscal.present_value(&ws.fiscal_flow),
            o.gov_paid_in,
            o.gov_received,
            o.private_paid_in,
            o.private_received,
            o.buybacks as f64,
            o.lp_distributions,
            o.private_capital,
            o.subfunds_raised as f64,
            o.gov_committed,
            spec.government_capital - o.gov_committed,
            ratio(o.buybacks as f64, o.subfunds_raised as f64),
            o.mother_fees,
            o.gp_concession,
            o.sales as f64,
            o.sale_proceeds,
            FiscalBasis::nominal(&ws.fiscal_flow),
        ]
    }
}
