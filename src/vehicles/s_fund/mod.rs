//! `s_fund`: a secondary fund buying LP interests (MODEL.md 4.3; S基金 and
//! the fund-share transfer pilots, the Shenzhen measures item 十三:
//! "鼓勵社會資本設立私募股權二級市場基金(S基金)。推動開展私募股權和創業投資
//! 份額轉讓試點").
//!
//! `funds` target venture funds are simulated from their own inception on
//! the scenario's economy. At fund age `purchase_age_years` the S fund buys
//! a `stake` of each target's LP interests at (1 - d) x the interest's
//! reported NAV, d = discount + the regime's adjustment + N(0, sd) noise -
//! the transfer-pilot cut, clipped to [0, 0.95], and takes on the stake's
//! share of later calls (the unfunded commitment). The interest's NAV is
//! the LPs' share of the fund's reported NAV through the fund's waterfall,
//! so net of the carry accrued. The S fund's own investors pay the prices,
//! the calls and the S fund's management fee (on the cost of what it has
//! bought and paid in) and receive the stake's distributions through the
//! S fund's own European waterfall. The seller's counterfactual, holding
//! the stake to the end, is computed on the same path.

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::finance::irr::irr_annual;
use crate::finance::waterfall::{EuropeanWaterfall, WaterfallTerms};
use crate::model::company::CompanyModel;
use crate::model::market::MarketPath;
use crate::rng::{Stream, company_key, splitmix64};
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{Metric, Series, Unit, j_curve, plain, ret, series};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::venture_fund::{FEES, FundWorkspace, VentureFund, VentureFundSpec};
use crate::vehicles::{BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use input::{RawSFund, s_fund_spec};

pub mod input;

/// Metrics of `s_fund`, in column order (MODEL.md 4.3).
pub const METRICS: [Metric; 17] = [
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
    plain("liquidity_cost", Unit::Multiple, "liquidity cost", "S-fund seller"),
    plain("price", Unit::Money, "price", "S-fund buyer"),
    plain("buyer_calls", Unit::Money, "buyer calls", "S-fund buyer"),
    plain("buyer_gross_received", Unit::Money, "buyer gross received", "S-fund buyer"),
    FEES,
    plain("purchases", Unit::Count, "purchases", "S-fund buyer"),
    plain("seller_paid_in", Unit::Money, "seller paid in", "S-fund seller"),
];

/// Per-step series of `s_fund`: cumulative net cash flow of the buyer's
/// investors, of the seller who sold, and of the seller had it held.
pub const SERIES: [Series; 3] = [
    j_curve("buyer_cum_net_cash_flow", "S-fund buyer"),
    series("seller_sold_cum_net_cash_flow", "Sold cum net cash flow", "S-fund seller"),
    series("seller_held_cum_net_cash_flow", "Held cum net cash flow", "S-fund seller"),
];

impl VehicleModel for SFund {
    const KIND: &'static str = "s_fund";
    const METRICS: &'static [Metric] = &METRICS;
    const SERIES: &'static [Series] = &SERIES;
    const HAS_DEALS: bool = false;
    type Raw = RawSFund;
    type Spec = SFundSpec;
    type Workspace = SFundWorkspace;

    fn validate(prefix: &str, raw: &RawSFund, facts: &ScenarioFacts, v: &mut Validator<'_>) -> SFundSpec {
        s_fund_spec(prefix, raw, facts.regimes, facts.years, v)
    }

    fn build(spec: SFundSpec, cx: &BuildContext<'_>) -> Self {
        SFund::new(spec, cx.key, cx.steps_per_year, cx.lockup_steps, cx.sales)
    }

    fn fiscal_role(&self) -> FiscalRole {
        FiscalRole::NONE
    }

    fn path_workspace(&self, horizon_steps: usize) -> SFundWorkspace {
        self.workspace(horizon_steps)
    }

    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        sw: &mut SFundWorkspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64 {
        let o = self.simulate(ctx.path_key, ctx.market, ctx.model, sw, deals);
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

/// Validated `[vehicles.<name>]` of kind `s_fund`.
#[derive(Debug, Clone, PartialEq)]
pub struct SFundSpec {
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
}

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
    pub fn new(spec: SFundSpec, key: u64, steps_per_year: u32, lockup_steps: u32, sales: u32) -> SFund {
        let target = VentureFund::new(spec.target.clone(), key, steps_per_year, lockup_steps, sales);
        let k = steps_per_year as f64;
        let launch_steps =
            (0..spec.funds).map(|j| (j as f64 * spec.launch_years * k / spec.funds as f64).round() as usize).collect();
        let purchase_age = ((spec.purchase_age_years * k).round() as usize).max(1) - 1;
        SFund { spec, key, target, steps_per_year, launch_steps, purchase_age }
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

    /// The realised discount on target `j` bought in `regime`.
    pub fn discount(&self, path_key: u64, j: u32, regime: usize) -> f64 {
        let spec = &self.spec;
        let noise: f64 = if spec.discount_vol > 0.0 {
            let mut rng = Stream::from_key(company_key(path_key, self.key ^ 0x4449_5343_4F55_4E54, j as u64));
            spec.discount_vol * rng.sample::<f64, _>(StandardNormal)
        } else {
            0.0
        };
        (spec.discount + spec.discount_by_regime[regime] + noise - spec.transfer_pilot_discount_cut).clamp(0.0, 0.95)
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
            let d = self.discount(path_key, j, market.regime[purchase] as usize);
            let price = (1.0 - d) * stake * snap.lp_nav;
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
            }
        }

        // The S fund's own economics: fees, then its waterfall.
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
        ws.scratch = fee_base_by_step;
        o
    }

    /// The metric row (order of `vehicles::S_FUND_METRICS`).
    pub fn metrics(&self, o: &SFundOutcome, ws: &mut SFundWorkspace) -> [f64; 17] {
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
            seller_tvpi_held - seller_tvpi_sold,
            o.price,
            o.buyer_calls,
            o.buyer_gross_received + o.buyer_residual,
            o.fees,
            o.purchases as f64,
            o.seller_paid_before,
        ]
    }
}
