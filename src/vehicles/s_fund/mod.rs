//! `s_fund`: a secondary fund buying LP interests (MODEL.md 4.3; S基金 and
//! the fund-share transfer pilots, the Shenzhen measures item 十三:
//! "鼓励社会资本设立私募股权二级市场基金(S基金)。推动开展私募股权和创业投资
//! 份额转让试点").
//!
//! `funds` target venture funds are simulated from their own inception on
//! the scenario's economy. At fund age `purchase_age_years` the S fund buys
//! a `stake` of each target's LP interests at (1 - d) x the interest's
//! reported NAV, d = discount + the regime's adjustment + N(0, sd) noise -
//! the transfer-pilot cut, clipped to [0, 0.95], and takes on the stake's
//! share of later calls (the unfunded commitment). The interest's NAV is
//! the LPs' share of the fund's reported NAV through the fund's waterfall,
//! so net of the carry accrued. With `pricing = "underwriting"` the price
//! is instead the buyer's underwriting: the present value, at its
//! `target_return` (plus `seed_premium` × the targets' seed share), of the interest's future flows as the buyer expects
//! them given the interest's reported NAV, unfunded commitment and the
//! exit-market state at purchase, fitted on pilot lives of funds with the
//! targets' terms at the purchase age (so it depends on the interest's age
//! and the fund's strategy), the noise and the transfer-pilot cut moving
//! it as they move the discount. The S fund's own investors pay the prices,
//! the calls and the S fund's management fee (on the cost of what it has
//! bought and paid in) and receive the stake's distributions through the
//! S fund's own European waterfall. The seller's counterfactual, holding
//! the stake to the end, is computed on the same path; `liquidity_cost` is
//! what selling cost the seller in present value at its `seller_rate`:
//! the value at the purchase date of the flows it gave up, less the price.

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::finance::irr::irr_annual;
use crate::finance::waterfall::{EuropeanWaterfall, WaterfallTerms};
use crate::model::company::CompanyModel;
use crate::model::market::{Market, MarketPath};
use crate::rng::{Stream, company_key, splitmix64};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{Metric, Series, Unit, j_curve, plain, ret, series};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::venture_fund::{FEES, FundWorkspace, VentureFund, VentureFundSpec};
use crate::vehicles::guidance_fund::{GuidanceFund, SaleRecord};
use crate::vehicles::{BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel, Workspace};
use input::{RawSFund, s_fund_spec};

pub mod input;

/// Metrics of `s_fund`, in column order (MODEL.md 4.3).
pub(crate) const METRICS: [Metric; 19] = [
    ret("buyer_tvpi", Unit::Multiple, "TVPI", "S-fund buyer"),
    ret("buyer_irr", Unit::Rate, "IRR", "S-fund buyer"),
    plain("buyer_loss", Unit::Indicator, "buyer loss", "S-fund buyer"),
    plain("buyer_gross_tvpi", Unit::Multiple, "buyer gross tvpi", "S-fund buyer"),
    plain("price_to_nav", Unit::Multiple, "price to nav", "S-fund seller"),
    plain("price_to_value", Unit::Multiple, "price to value", "S-fund seller"),
    plain("seller_tvpi_sold", Unit::Multiple, "seller tvpi sold", "S-fund seller"),
    plain("seller_tvpi_held", Unit::Multiple, "seller tvpi held", "S-fund seller"),
    ret("seller_irr_sold", Unit::Rate, "IRR if sold", "S-fund seller"),
    ret("seller_irr_held", Unit::Rate, "IRR if held", "S-fund seller"),
    plain("liquidity_cost", Unit::Money, "liquidity cost (PV at the seller's rate)", "S-fund seller"),
    plain("price", Unit::Money, "price", "S-fund buyer"),
    plain("buyer_calls", Unit::Money, "buyer calls", "S-fund buyer"),
    plain("buyer_gross_received", Unit::Money, "buyer gross received", "S-fund buyer"),
    FEES,
    plain("purchases", Unit::Count, "purchases", "S-fund buyer"),
    plain("seller_paid_in", Unit::Money, "seller paid in", "S-fund seller"),
    plain("tvpi_gap", Unit::Multiple, "seller tvpi held - sold", "S-fund seller"),
    plain("lp_nav_bought", Unit::Money, "LP NAV bought", "S-fund buyer"),
];

/// Per-step series of `s_fund`: cumulative net cash flow of the buyer's
/// investors, of the seller who sold, and of the seller had it held.
pub(crate) const SERIES: [Series; 3] = [
    j_curve("buyer_cum_net_cash_flow", "S-fund buyer"),
    series("seller_sold_cum_net_cash_flow", "Cumulative net cash flow, stakes sold", "S-fund seller"),
    series("seller_held_cum_net_cash_flow", "Cumulative net cash flow, stakes held", "S-fund seller"),
];

impl VehicleModel for SFund {
    const KIND: &'static str = "s_fund";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = false;
    type Raw = RawSFund;
    type Spec = SFundSpec;
    type Workspace = SFundWorkspace;

    fn check_table(prefix: &str, table: &toml::Value) -> Vec<(String, String)> {
        if table.get("seller").is_none() {
            return Vec::new();
        }
        ["target", "funds", "stake", "launch_years"]
            .iter()
            .filter(|k| table.get(**k).is_some())
            .map(|k| (format!("{prefix}.{k}"), "is taken from the seller's sub-funds when `seller` is set; remove it".into()))
            .collect()
    }

    fn validate(prefix: &str, raw: &RawSFund, facts: &ScenarioFacts, v: &mut Validator<'_>) -> SFundSpec {
        s_fund_spec(prefix, raw, facts, v)
    }

    fn build(spec: SFundSpec, cx: &BuildContext<'_>) -> Self {
        // With a seller the targets are its sub-funds and `sell_from`
        // fits the underwriting on them: a fit on the S fund's own target
        // terms would be thrown away.
        let pilot = spec.seller.is_none().then_some((cx.market, cx.model));
        SFund::new(spec, cx.key, cx.steps_per_year, cx.lockup_steps, cx.sales, pilot)
    }

    fn fiscal_role(&self) -> FiscalRole {
        FiscalRole::NONE
    }

    fn path_workspace(&self, horizon_steps: usize) -> SFundWorkspace {
        self.workspace(horizon_steps)
    }

    /// A fund with a `seller` buys from that vehicle's holdings on the path.
    fn reads_earlier(&self) -> bool {
        self.seller_index.is_some()
    }

    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        sw: &mut SFundWorkspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64 {
        let o = match self.seller_index.map(|i| &ctx.earlier[i]) {
            Some(Workspace::GuidanceFund(g)) => self.outcome_of_sale(&g.guidance.sale, sw),
            Some(_) => unreachable!("an S fund's seller is a guidance fund (checked when the scenario is built)"),
            None => self.simulate(ctx.path_key, ctx.market, ctx.model, sw, deals),
        };
        let horizon = ctx.market.z.len();
        let mut cum = [0.0; 3];
        for t in 0..horizon {
            for (i, flow) in [&sw.buyer_flow, &sw.seller_sold, &sw.seller_held].iter().enumerate() {
                cum[i] += flow[t];
                series[i * horizon + t] = cum[i];
            }
        }
        row.copy_from_slice(&self.metrics(&o, sw));
        o.company_steps
    }
}

/// How the S fund prices an interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    /// (1 - d) x NAV with the discount d of the keys.
    Discount,
    /// The buyer's underwriting at its target return.
    Underwriting,
}

/// Validated `[vehicles.<name>]` of kind `s_fund`.
#[derive(Debug, Clone, PartialEq)]
pub struct SFundSpec {
    pub pricing: Pricing,
    /// The buyer's target annual return (underwriting), and what it adds
    /// per unit of seed-stage share in the targets' stage mix.
    pub target_return: f64,
    pub seed_premium: f64,
    /// The seller's annual discount rate for `liquidity_cost`.
    pub seller_rate: f64,
    /// A guidance fund of the same scenario whose government stakes this S
    /// fund buys (instead of simulating its own targets).
    pub seller: Option<String>,
    pub funds: u32,
    pub stake: f64,
    pub purchase_age_years: f64,
    pub launch_years: f64,
    pub target: VentureFundSpec,
    pub discount: f64,
    /// One adjustment per exit-market state, added in the state at purchase.
    pub discount_by_regime: Vec<f64>,
    pub discount_vol: f64,
    pub transfer_pilot_discount_cut: f64,
    pub management_fee: f64,
    pub hurdle: f64,
    pub catch_up: f64,
    pub carry: f64,
}

/// An S fund ready to simulate.
#[derive(Debug, Clone)]
pub struct SFund {
    pub spec: SFundSpec,
    pub key: u64,
    pub target: VentureFund,
    steps_per_year: u32,
    launch_steps: Vec<usize>,
    /// Fund-age step at whose end the purchase happens.
    purchase_age: usize,
    /// Underwriting: per exit-market state, the coefficients (constant,
    /// NAV, unfunded commitment) of the present value of an interest's
    /// future flows at the target return (empty in discount mode).
    pub underwriting: Vec<Vec<[f64; 3]>>,
    /// Position of the seller among the scenario's vehicles.
    pub seller_index: Option<usize>,
}

/// Pilot lives of one target fund that the buyer underwrites from.
pub(crate) const PILOT_PATHS: u64 = 2000;

const PILOT_SALT: u64 = 0x5346_5049_4C4F_5401;

/// Reusable per-thread buffers.
#[derive(Debug, Clone)]
pub struct SFundWorkspace {
    fund: FundWorkspace,
    waterfall: EuropeanWaterfall,
    /// Per step: the S fund's calls on its investors (prices, the stake's
    /// calls, fees) and the stake's distributions.
    calls: Vec<f64>,
    proceeds: Vec<f64>,
    /// Per step: net cash flows of the buyer's investors and of the seller
    /// (sold and held), for IRRs and J-curves.
    pub buyer_flow: Vec<f64>,
    pub seller_sold: Vec<f64>,
    pub seller_held: Vec<f64>,
    scratch: Vec<f64>,
}

/// Totals of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SFundOutcome {
    pub price: f64,
    pub lp_nav: f64,
    pub lp_true_nav: f64,
    /// Σ over targets of the held stake's flows after the purchase, valued
    /// at the purchase date at the seller's rate, less the price.
    pub liquidity_cost: f64,
    /// The stake's calls after purchase and its distributions after
    /// purchase (residual at the horizon separately).
    pub buyer_calls: f64,
    pub buyer_gross_received: f64,
    pub buyer_residual: f64,
    pub fees: f64,
    /// What the buyer's investors paid in and received, after fees and carry.
    pub buyer_paid_in: f64,
    pub buyer_received: f64,
    /// The seller's stake before the sale (paid, received) and over the
    /// whole life if held (paid, received, residual).
    pub seller_paid_before: f64,
    pub seller_received_before: f64,
    pub seller_paid_held: f64,
    pub seller_received_held: f64,
    pub seller_residual_held: f64,
    pub purchases: u32,
    pub company_steps: u64,
}

impl SFund {
    pub(crate) fn new(
        spec: SFundSpec,
        key: u64,
        steps_per_year: u32,
        lockup_steps: u32,
        sales: u32,
        pilot: Option<(&Market, &CompanyModel)>,
    ) -> SFund {
        let target = VentureFund::new(spec.target.clone(), key, steps_per_year, lockup_steps, sales);
        let k = steps_per_year as f64;
        let launch_steps =
            (0..spec.funds).map(|j| (j as f64 * spec.launch_years * k / spec.funds as f64).round() as usize).collect();
        let purchase_age = ((spec.purchase_age_years * k).round() as usize).max(1) - 1;
        let mut s = SFund {
            spec,
            key,
            target,
            steps_per_year,
            launch_steps,
            purchase_age,
            underwriting: Vec::new(),
            seller_index: None,
        };
        if let (Pricing::Underwriting, Some((market, model))) = (s.spec.pricing, pilot) {
            s.underwriting = s.underwrite(&[s.purchase_age], market, model);
        }
        s
    }

    /// Fund-age step at whose end the purchase happens.
    pub(crate) fn purchase_age(&self) -> usize {
        self.purchase_age
    }

    /// Buy from the guidance fund `seller` (vehicle `index` of the
    /// scenario): its sub-funds become the targets (their terms and size,
    /// the government's share as the stake), and the underwriting is
    /// refitted on them. Returns the S fund as the guidance fund will
    /// price with.
    pub(crate) fn sell_from(&mut self, index: usize, seller: &GuidanceFund, pilot: Option<(&Market, &CompanyModel)>) {
        self.seller_index = Some(index);
        self.target = seller.subfund.clone();
        self.spec.target = seller.subfund.spec.clone();
        self.spec.stake = seller.spec.government_share;
        self.spec.funds = seller.spec.subfunds;
        self.launch_steps = seller.launch_steps().to_vec();
        // One sale step for all sub-funds: interests of every age launched
        // by then.
        let ages: Vec<usize> =
            self.launch_steps.iter().filter(|&&l| l <= self.purchase_age).map(|&l| self.purchase_age - l).collect();
        if let (Pricing::Underwriting, Some((market, model))) = (self.spec.pricing, pilot) {
            self.underwriting = self.underwrite(&ages, market, model);
        }
    }

    /// The buyer's underwriting model. Over `PILOT_PATHS` pilot lives of
    /// one target fund (economies drawn from the scenario's market and
    /// companies, both keyed by the vehicle and the pilot index alone), it
    /// records at each fund age in `ages` the exit-market state, the LP
    /// interest's NAV N, its unfunded commitment U (commitment less what
    /// was called) and Y, the present value at that date, at the target
    /// rate, of the interest's later flows (distributions less calls). Per
    /// age and state it fits Y = c + a N + b U by least squares (with a
    /// constant, so the fitted price averages the pilots' Y exactly), the
    /// age's pooled fit standing in for a state with fewer than 30 pilots.
    /// Returns the fits indexed by age (empty for ages not asked for).
    fn underwrite(&self, ages: &[usize], market: &Market, model: &CompanyModel) -> Vec<Vec<[f64; 3]>> {
        // Everything the fit reads, for the memo (`vehicles/pilots.rs`): a
        // variant of a sweep that changes none of it gets the same fit
        // without the pilots.
        let inputs = (&self.target, self.key, self.steps_per_year, self.target_rate(), ages, market, model, PILOT_PATHS);
        crate::vehicles::pilots::once(&inputs, || self.fit(ages, market, model))
    }

    /// `underwrite` without the memo: the pilots and the least squares.
    fn fit(&self, ages: &[usize], market: &Market, model: &CompanyModel) -> Vec<Vec<[f64; 3]>> {
        let life = self.target.life_steps() as usize;
        let k = self.steps_per_year as f64;
        let y = self.target_rate();
        let states = market.regimes.len();
        let mut ws = self.target.workspace(life);
        ws.record_snapshots = true;
        let mut path = MarketPath::default();
        let mut deals = DealCounts::default();
        let ages: Vec<usize> = ages.iter().copied().filter(|&a| a + 1 < life).collect();
        let mut out = vec![Vec::new(); ages.iter().max().map_or(0, |a| a + 1)];
        // Normal equations per age and state (and pooled): X'X and X'Y, X = (1, N, U).
        let mut xx = vec![vec![[[0.0; 3]; 3]; states + 1]; ages.len()];
        let mut xy = vec![vec![[0.0; 3]; states + 1]; ages.len()];
        let mut n = vec![vec![0u64; states + 1]; ages.len()];
        let discount: Vec<f64> = (0..life).map(|d| (1.0 + y).powf(-(d as f64 / k))).collect();
        for i in 0..PILOT_PATHS {
            let path_key = splitmix64(self.key ^ PILOT_SALT ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            path.simulate(market, life, self.steps_per_year, &mut Stream::from_key(path_key));
            self.target.simulate(splitmix64(path_key ^ PILOT_SALT), path_key, &path, model, 0, &mut ws, &mut deals);
            for (ai, &pa) in ages.iter().enumerate() {
                let nav = ws.snapshots[pa].lp_nav;
                let unfunded = (self.target.spec.commitment - ws.calls[..=pa].iter().sum::<f64>()).max(0.0);
                let value: f64 = (pa + 1..life).map(|t| (ws.distributions[t] - ws.calls[t]) * discount[t - pa]).sum();
                let x = [1.0, nav, unfunded];
                for r in [path.regime[pa] as usize, states] {
                    n[ai][r] += 1;
                    for a in 0..3 {
                        xy[ai][r][a] += x[a] * value;
                        for b in 0..3 {
                            xx[ai][r][a][b] += x[a] * x[b];
                        }
                    }
                }
            }
        }
        for (ai, &pa) in ages.iter().enumerate() {
            let pooled = solve3(&xx[ai][states], &xy[ai][states]).unwrap_or([0.0; 3]);
            out[pa] = (0..states)
                .map(|r| if n[ai][r] >= 30 { solve3(&xx[ai][r], &xy[ai][r]).unwrap_or(pooled) } else { pooled })
                .collect();
        }
        out
    }

    pub fn workspace(&self, horizon: usize) -> SFundWorkspace {
        SFundWorkspace {
            fund: self.target.workspace(horizon),
            waterfall: EuropeanWaterfall::new(WaterfallTerms {
                hurdle: self.spec.hurdle,
                catch_up: self.spec.catch_up,
                carry: self.spec.carry,
                steps_per_year: self.steps_per_year,
            }),
            calls: vec![0.0; horizon],
            proceeds: vec![0.0; horizon],
            buyer_flow: vec![0.0; horizon],
            seller_sold: vec![0.0; horizon],
            seller_held: vec![0.0; horizon],
            scratch: vec![0.0; horizon],
        }
    }

    fn target_key(&self, j: u32) -> u64 {
        splitmix64(self.key ^ (j as u64 + 1).wrapping_mul(0xE703_7ED1_A0B4_28DB))
    }

    /// The return the buyer underwrites the targets at: `target_return` +
    /// `seed_premium` × the targets' seed share.
    pub(crate) fn target_rate(&self) -> f64 {
        self.spec.target_return + self.spec.seed_premium * self.target.spec.stage_mix[0]
    }

    /// Target `j`'s discount noise (`discount_vol` × its own normal).
    fn noise(&self, path_key: u64, j: u32) -> f64 {
        let spec = &self.spec;
        if spec.discount_vol > 0.0 {
            let mut rng = Stream::from_key(company_key(path_key, self.key ^ 0x4449_5343_4F55_4E54, j as u64));
            spec.discount_vol * rng.sample::<f64, _>(StandardNormal)
        } else {
            0.0
        }
    }

    /// The realised discount on target `j` bought in `regime`.
    pub(crate) fn discount(&self, path_key: u64, j: u32, regime: usize) -> f64 {
        let spec = &self.spec;
        let noise = self.noise(path_key, j);
        (spec.discount + spec.discount_by_regime[regime] + noise - spec.transfer_pilot_discount_cut).clamp(0.0, 0.95)
    }

    /// The price of the whole LP interest of target `j`: (1 - d) × NAV, or
    /// the underwriting c + a NAV + b unfunded for the state at purchase,
    /// less (noise - transfer-pilot cut) × NAV, floored at 0.
    pub(crate) fn interest_price(&self, path_key: u64, j: u32, age: usize, regime: usize, nav: f64, unfunded: f64) -> f64 {
        match self.spec.pricing {
            Pricing::Discount => (1.0 - self.discount(path_key, j, regime)) * nav,
            Pricing::Underwriting => {
                let [c, a, b] = self.underwriting.get(age).and_then(|u| u.get(regime)).copied().unwrap_or([0.0; 3]);
                let shift = self.noise(path_key, j) - self.spec.transfer_pilot_discount_cut;
                (c + a * nav + b * unfunded - shift * nav).max(0.0)
            }
        }
    }

    pub fn simulate(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        ws: &mut SFundWorkspace,
        deals: &mut DealCounts,
    ) -> SFundOutcome {
        let spec = &self.spec;
        let stake = spec.stake;
        let horizon = market.z.len();
        let k = self.steps_per_year as f64;
        for v in [&mut ws.calls, &mut ws.proceeds, &mut ws.buyer_flow, &mut ws.seller_sold, &mut ws.seller_held] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        let mut o = SFundOutcome::default();
        // Cost of what the S fund holds (prices and calls paid): its fee base.
        let mut fee_base_by_step = std::mem::take(&mut ws.scratch);
        fee_base_by_step.iter_mut().for_each(|x| *x = 0.0);

        for j in 0..spec.funds {
            let start = self.launch_steps[j as usize];
            let purchase = start + self.purchase_age;
            if purchase >= horizon {
                continue;
            }
            let f = &mut ws.fund;
            f.snapshot_step = Some(purchase);
            let fo = self.target.simulate(self.target_key(j), path_key, market, model, start, f, deals);
            o.company_steps += fo.company_steps;
            let snap = f.snapshot;
            let unfunded = (self.target.spec.commitment - f.calls[start..=purchase].iter().sum::<f64>()).max(0.0);
            let regime = market.regime[purchase] as usize;
            let price = stake * self.interest_price(path_key, j, self.purchase_age, regime, snap.lp_nav, unfunded);
            let seller_discount = |t: usize| (1.0 + spec.seller_rate).powf(-((t - purchase) as f64 / k));
            o.liquidity_cost -= price;
            o.purchases += 1;
            o.price += price;
            o.lp_nav += stake * snap.lp_nav;
            o.lp_true_nav += stake * snap.lp_true_nav;
            let end = (start + self.target.life_steps() as usize).min(horizon);
            for t in start..end {
                let (c, dist) = (stake * f.calls[t], stake * f.distributions[t]);
                ws.seller_held[t] += dist - c;
                o.seller_paid_held += c;
                o.seller_received_held += dist;
                if t < purchase {
                    ws.seller_sold[t] += dist - c;
                    o.seller_paid_before += c;
                    o.seller_received_before += dist;
                } else if t == purchase {
                    // The purchase is at the end of the step, after its flows.
                    ws.seller_sold[t] += dist - c + price;
                    o.seller_paid_before += c;
                    o.seller_received_before += dist;
                    ws.calls[t] += price;
                } else {
                    ws.calls[t] += c;
                    ws.proceeds[t] += dist;
                    o.buyer_calls += c;
                    o.buyer_gross_received += dist;
                    o.liquidity_cost += (dist - c) * seller_discount(t);
                }
            }
            // Cost basis held from the purchase on, for fees.
            let mut basis = price;
            for (t, base) in fee_base_by_step.iter_mut().enumerate().take(end).skip(purchase) {
                if t > purchase {
                    basis += stake * f.calls[t];
                }
                *base += basis;
            }
            if start + self.target.life_steps() as usize > horizon {
                o.buyer_residual += stake * fo.residual;
                o.seller_residual_held += stake * fo.residual;
                o.liquidity_cost += stake * fo.residual * seller_discount(horizon - 1);
            }
        }

        self.economics(ws, &mut o, &fee_base_by_step);
        ws.scratch = fee_base_by_step;
        o
    }

    /// The S fund buying its seller's (a guidance fund's) government
    /// stakes on this path, from what the guidance fund recorded.
    pub(crate) fn outcome_of_sale(&self, rec: &SaleRecord, ws: &mut SFundWorkspace) -> SFundOutcome {
        let mut o = SFundOutcome::default();
        for t in 0..ws.calls.len() {
            ws.calls[t] = rec.price[t] + rec.calls[t];
            ws.proceeds[t] = rec.distributions[t];
            ws.seller_sold[t] = rec.seller_before[t] + rec.price[t];
            ws.seller_held[t] = rec.seller_before[t] + rec.distributions[t] - rec.calls[t];
            o.price += rec.price[t];
            o.buyer_calls += rec.calls[t];
            o.buyer_gross_received += rec.distributions[t];
        }
        o.lp_nav = rec.lp_nav;
        o.lp_true_nav = rec.lp_true_nav;
        o.buyer_residual = rec.residual;
        o.seller_paid_before = rec.seller_paid_before;
        o.seller_received_before = rec.seller_received_before;
        o.seller_paid_held = rec.seller_paid_before + o.buyer_calls;
        o.seller_received_held = rec.seller_received_before + o.buyer_gross_received;
        o.seller_residual_held = rec.residual;
        o.liquidity_cost = rec.liquidity_cost;
        o.purchases = rec.purchases;
        self.economics(ws, &mut o, &rec.fee_base);
        o
    }

    /// The S fund's own economics: fees on its cost base, then its
    /// waterfall, from the prices, calls and proceeds in `ws`.
    fn economics(&self, ws: &mut SFundWorkspace, o: &mut SFundOutcome, fee_base_by_step: &[f64]) {
        let spec = &self.spec;
        let k = self.steps_per_year as f64;
        let horizon = ws.calls.len();
        ws.waterfall.reset();
        let last = horizon - 1;
        for (t, &base) in fee_base_by_step.iter().enumerate() {
            let fee = spec.management_fee / k * base;
            o.fees += fee;
            let call = ws.calls[t] + fee;
            ws.waterfall.accrue_step();
            ws.waterfall.contribute(call);
            let mut received = ws.waterfall.distribute(ws.proceeds[t]).lp;
            if t == last {
                received += ws.waterfall.distribute(o.buyer_residual).lp;
                received += ws.waterfall.clawback();
            }
            o.buyer_paid_in += call;
            o.buyer_received += received;
            ws.buyer_flow[t] = received - call;
        }
    }

    /// The metric row (order of `vehicles::S_FUND_METRICS`).
    pub fn metrics(&self, o: &SFundOutcome, ws: &mut SFundWorkspace) -> [f64; METRICS.len()] {
        let k = self.steps_per_year;
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
        let buyer_tvpi = ratio(o.buyer_received, o.buyer_paid_in);
        let seller_tvpi_sold = ratio(o.seller_received_before + o.price, o.seller_paid_before);
        let seller_tvpi_held = ratio(o.seller_received_held + o.seller_residual_held, o.seller_paid_held);
        let scratch = &mut ws.scratch;
        let mut irr = |flows: &[f64], residual: f64| {
            scratch.copy_from_slice(flows);
            if let Some(last) = scratch.last_mut() {
                *last += residual;
            }
            irr_annual(scratch, k).unwrap_or(f64::NAN)
        };
        let buyer_irr = irr(&ws.buyer_flow, 0.0);
        let seller_irr_sold = irr(&ws.seller_sold, 0.0);
        let seller_irr_held = irr(&ws.seller_held, o.seller_residual_held);
        [
            buyer_tvpi,
            buyer_irr,
            if buyer_tvpi.is_nan() { f64::NAN } else { (buyer_tvpi < 1.0) as u8 as f64 },
            ratio(o.buyer_gross_received + o.buyer_residual, o.price + o.buyer_calls),
            ratio(o.price, o.lp_nav),
            ratio(o.price, o.lp_true_nav),
            seller_tvpi_sold,
            seller_tvpi_held,
            seller_irr_sold,
            seller_irr_held,
            if o.purchases > 0 { o.liquidity_cost } else { f64::NAN },
            o.price,
            o.buyer_calls,
            o.buyer_gross_received + o.buyer_residual,
            o.fees,
            o.purchases as f64,
            o.seller_paid_before,
            seller_tvpi_held - seller_tvpi_sold,
            o.lp_nav,
        ]
    }
}

/// Solve the 3 x 3 system m x = v (Gaussian elimination with partial
/// pivoting); `None` when it is singular.
fn solve3(m: &[[f64; 3]; 3], v: &[f64; 3]) -> Option<[f64; 3]> {
    let mut a = [[0.0; 4]; 3];
    for i in 0..3 {
        a[i][..3].copy_from_slice(&m[i]);
        a[i][3] = v[i];
    }
    for col in 0..3 {
        let pivot = (col..3).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        let scale = a.iter().map(|r| r[col].abs()).fold(0.0, f64::max);
        if a[pivot][col].abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some([a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]])
}

#[cfg(test)]
mod tests {
    use super::solve3;

    #[test]
    fn solve3_solves_and_refuses_singular_systems() {
        let m = [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]];
        let x = [1.0, -2.0, 0.5];
        let v = [2.0 * 1.0 - 2.0, 1.0 - 6.0 + 0.5, -2.0 + 2.0];
        let got = solve3(&m, &v).unwrap();
        for i in 0..3 {
            assert!((got[i] - x[i]).abs() < 1e-12, "{got:?}");
        }
        assert!(solve3(&[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]], &[1.0, 2.0, 3.0]).is_none());
    }

    /// The memo of fits (`vehicles/pilots.rs`) returns the fit a new fit computes, bit
    /// for bit, and a change of any input the fit reads misses it.
    #[test]
    fn the_underwriting_memo_returns_the_fit_its_inputs_give() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/s_fund.toml")).unwrap();
        let scn = crate::scenario::load_str(&text, "s_fund.toml", &[]).unwrap().scenario;
        let sf = scn
            .vehicles
            .iter()
            .find_map(|v| match &v.kind {
                crate::vehicles::VehicleKind::SFund(s) if s.spec.pricing == super::Pricing::Underwriting => Some(s),
                _ => None,
            })
            .expect("an underwriting S fund");
        let (market, model) = (&scn.market, &scn.company_model);
        let ages = [sf.purchase_age];
        let fresh = sf.fit(&ages, market, model);
        let bits = |f: &Vec<Vec<[f64; 3]>>| f.iter().flatten().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(!bits(&fresh).is_empty());
        // Filled by the scenario's load (or now), then read back.
        assert_eq!(bits(&sf.underwrite(&ages, market, model)), bits(&fresh));
        assert_eq!(bits(&sf.underwrite(&ages, market, model)), bits(&fresh));
        assert_eq!(bits(&sf.underwriting), bits(&fresh));
        // Another buyer's rate, another age: another fit, not the memo's.
        let mut other = sf.clone();
        other.spec.target_return += 0.01;
        assert_eq!(bits(&other.underwrite(&ages, market, model)), bits(&other.fit(&ages, market, model)));
        assert_ne!(bits(&other.underwrite(&ages, market, model)), bits(&fresh));
        let older = [sf.purchase_age + 4];
        assert_eq!(bits(&sf.underwrite(&older, market, model)), bits(&sf.fit(&older, market, model)));
        assert_ne!(bits(&sf.underwrite(&older, market, model)), bits(&fresh));
    }
}
