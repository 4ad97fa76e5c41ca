//! `guidance_fund`: a government guidance fund of funds (MODEL.md 4.2;
//! 政府引導基金, 天使/種子母基金; the Shenzhen measures, item 十二).
//!
//! The government commits G to M sub-funds, holding share s of each;
//! private LPs hold 1 - s. Each sub-fund is a venture fund (4.1) of
//! commitment G / (M s), launched in turn over `launch_years`, on the same
//! economy as every other vehicle. Interim calls and distributions are
//! shared pro rata. The concessions the government grants to attract
//! private money are settled on each sub-fund's totals when it is
//! liquidated, in this order:
//!
//! 1. first loss f: on a loss L = paid-in - distributions, the government
//!    bears min(L, f x its paid-in) first; the rest is shared in proportion
//!    to the capital still at risk, (1 - f) x government paid-in against
//!    private paid-in (f = 0 is pro rata; f = 1 leaves private LPs a loss
//!    only once the government's whole paid-in is gone);
//! 2. profit concession θ (讓利): θ x the government's profit (receipts
//!    above its paid-in) goes to private LPs;
//! 3. return cap r (保本微利): government receipts are capped at its paid-in
//!    plus simple interest at r on each contribution from its date.
//!
//! The settlement moves money from the government to private LPs only;
//! paid in the liquidation step, it can exceed that step's government
//! distribution, which is then negative: a claw-back of pro-rata
//! distributions received earlier. A buy-back (財企〔2007〕128號) at fund
//! age `year` lets private LPs buy the government's interest for its
//! unrecovered paid-in plus simple interest at `rate`; they do when the
//! interest's share of the sub-fund's reported NAV exceeds the price. The
//! government then receives the price and no more from that sub-fund, the
//! private LPs take over its share of later calls and distributions, and
//! no settlement applies. Private receipts are net of buy-back prices paid,
//! so government plus private receipts always equal what the sub-funds
//! distributed to LPs.

pub mod input;

use crate::model::company::CompanyModel;
use crate::model::market::MarketPath;
use crate::rng::splitmix64;
use crate::scenario::validate::Validator;
use crate::vehicles::catalogue::{FISCAL_COST, Metric, Series, Unit, j_curve, plain, plain_loss, ret};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::venture_fund::{FundWorkspace, VentureFund, VentureFundSpec};
use crate::vehicles::{Amount, BuildContext, FiscalRole, PathContext, ScenarioFacts, VehicleModel};
use input::{RawGuidanceFund, guidance_fund_spec};

/// Metrics of `guidance_fund`, in column order (MODEL.md 4.2).
pub const METRICS: [Metric; 18] = [
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
];

/// Per-step series of `guidance_fund`: cumulative net cash flow of the
/// government and of private LPs (their J-curves).
pub const SERIES: [Series; 2] =
    [j_curve("gov_cum_net_cash_flow", "government"), j_curve("private_cum_net_cash_flow", "private LPs")];

/// Per-path buffers: the guidance fund's own and scratch for the IRRs.
#[derive(Debug, Clone)]
pub struct GuidancePathWorkspace {
    guidance: GuidanceWorkspace,
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

    fn validate(prefix: &str, raw: &RawGuidanceFund, _: &ScenarioFacts, v: &mut Validator<'_>) -> GuidanceFundSpec {
        guidance_fund_spec(prefix, raw, v)
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
        GuidanceFund::new(spec, cx.key, cx.steps_per_year, cx.lockup_steps, cx.sales)
    }

    fn fiscal_role(&self) -> FiscalRole {
        let column = |name: &str| METRICS.iter().position(|m| m.name == name);
        FiscalRole {
            fiscal_cost: column("fiscal_cost"),
            private_capital: column("private_paid_in"),
            credit: Amount::Constant(0.0),
            firms: Amount::Column(column("companies_funded").expect("guidance fund metric")),
        }
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
    pub return_cap: Option<f64>,
    pub first_loss: f64,
    pub buyback: Option<Buyback>,
    pub reinvestment_ratio: f64,
    pub local_deal_share: f64,
    pub loss_tolerance: Option<f64>,
    pub discount_rate: f64,
}

/// A guidance fund ready to simulate.
#[derive(Debug, Clone)]
pub struct GuidanceFund {
    pub spec: GuidanceFundSpec,
    pub key: u64,
    pub subfund: VentureFund,
    steps_per_year: u32,
    launch_steps: Vec<usize>,
    buyback_age: Option<usize>,
}

/// Reusable per-thread buffers.
#[derive(Debug, Clone)]
pub struct GuidanceWorkspace {
    fund: FundWorkspace,
    /// Per step, net cash flow of the government and of private LPs.
    pub gov_flow: Vec<f64>,
    pub private_flow: Vec<f64>,
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
    pub concession_transfer: f64,
    pub buybacks: u32,
    pub companies_funded: u32,
    pub invested: f64,
    pub gov_pv_paid: f64,
    pub gov_pv_received: f64,
    pub company_steps: u64,
}

/// Where one sub-fund's government stake stands.
#[derive(Debug, Clone, Copy, Default)]
struct Stake {
    paid: f64,
    received: f64,
    /// Σ contribution x years since it was made (for simple interest).
    capital_years: f64,
    bought_back: bool,
}

impl GuidanceFund {
    pub fn new(spec: GuidanceFundSpec, key: u64, steps_per_year: u32, lockup_steps: u32, sales: u32) -> Self {
        let mut sub_spec = spec.subfund.clone();
        sub_spec.commitment = spec.government_capital / (spec.subfunds as f64 * spec.government_share);
        let subfund = VentureFund::new(sub_spec, key, steps_per_year, lockup_steps, sales);
        let k = steps_per_year as f64;
        let launch_steps = (0..spec.subfunds)
            .map(|j| (j as f64 * spec.launch_years * k / spec.subfunds as f64).round() as usize)
            .collect();
        let buyback_age = spec.buyback.map(|b| ((b.year * k).round() as usize).max(1) - 1);
        GuidanceFund { spec, key, subfund, steps_per_year, launch_steps, buyback_age }
    }

    pub fn workspace(&self, horizon: usize) -> GuidanceWorkspace {
        GuidanceWorkspace {
            fund: self.subfund.workspace(horizon),
            gov_flow: vec![0.0; horizon],
            private_flow: vec![0.0; horizon],
        }
    }

    /// Stream identity of sub-fund `j`.
    fn subfund_key(&self, j: u32) -> u64 {
        splitmix64(self.key ^ (j as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F))
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
        let k = self.steps_per_year as f64;
        let discount = |t: usize| (1.0 + spec.discount_rate).powf(-((t + 1) as f64 / k));
        ws.gov_flow.iter_mut().for_each(|x| *x = 0.0);
        ws.private_flow.iter_mut().for_each(|x| *x = 0.0);
        let mut o = GuidanceOutcome::default();

        for j in 0..spec.subfunds {
            let start = self.launch_steps[j as usize];
            if start >= horizon {
                continue;
            }
            let f = &mut ws.fund;
            let fo = self.subfund.simulate(self.subfund_key(j), path_key, market, model, start, f, deals);
            o.companies_funded += fo.deals_failed + fo.deals_ipo + fo.deals_acquired + fo.deals_private;
            o.invested += fo.invested;
            o.company_steps += fo.company_steps;
            let end = start + self.subfund.life_steps() as usize;
            let liquidated = end <= horizon;
            let mut stake = Stake::default();
            let mut lp_total = 0.0;
            for t in start..end.min(horizon) {
                let (calls, dist) = (f.calls[t], f.distributions[t]);
                lp_total += dist;
                let (mut g_call, mut g_dist, mut price) = (0.0, 0.0, 0.0);
                if !stake.bought_back {
                    g_call = s * calls;
                    g_dist = s * dist;
                    stake.capital_years += stake.paid / k;
                    stake.paid += g_call;
                    stake.received += g_dist;
                    if let (Some(age), Some(b)) = (self.buyback_age, spec.buyback) {
                        let p = (stake.paid - stake.received).max(0.0) + b.rate * stake.capital_years;
                        if age == t - start && s * f.nav[t] > p {
                            stake.bought_back = true;
                            price = p;
                            o.buybacks += 1;
                        }
                    }
                }
                let (p_call, p_dist) = (calls - g_call, dist - g_dist);
                ws.gov_flow[t] += g_dist + price - g_call;
                ws.private_flow[t] += p_dist - price - p_call;
                o.gov_paid_in += g_call;
                o.gov_received += g_dist + price;
                o.private_paid_in += p_call;
                o.private_received += p_dist - price;
                o.gov_pv_paid += g_call * discount(t);
                o.gov_pv_received += (g_dist + price) * discount(t);
                o.lp_distributions += dist;
                if t + 1 == end && liquidated && !stake.bought_back {
                    // Settlement of the concessions at liquidation.
                    let transfer = self.settlement(&stake, (1.0 - s) / s * stake.paid, lp_total);
                    ws.gov_flow[t] -= transfer;
                    ws.private_flow[t] += transfer;
                    o.gov_received -= transfer;
                    o.private_received += transfer;
                    o.gov_pv_received -= transfer * discount(t);
                    o.concession_transfer += transfer;
                }
            }
            if !liquidated {
                // Cut by the horizon: LPs' share of holdings at marks.
                let g = if stake.bought_back { 0.0 } else { s * fo.residual };
                o.gov_residual += g;
                o.private_residual += fo.residual - g;
                o.gov_pv_received += g * discount(horizon - 1);
            }
        }
        o
    }

    /// The transfer from the government to private LPs that the levers
    /// require on a sub-fund's totals: `stake` is the government's pro-rata
    /// position, `private_paid` private paid-in, `lp_total` all that the
    /// sub-fund distributed to LPs.
    fn settlement(&self, stake: &Stake, private_paid: f64, lp_total: f64) -> f64 {
        let spec = &self.spec;
        let (pg, pp, d) = (stake.paid, private_paid, lp_total);
        let pro_rata = stake.received;
        // 1. First loss.
        let loss = pg + pp - d;
        let mut gov = pro_rata;
        if spec.first_loss > 0.0 && loss > 0.0 {
            let first = loss.min(spec.first_loss * pg);
            let at_risk = (1.0 - spec.first_loss) * pg + pp;
            let private_loss = if at_risk > 0.0 { (loss - first) * pp / at_risk } else { 0.0 };
            gov = d - (pp - private_loss);
        }
        // 2. Profit concession.
        gov -= spec.profit_concession * (gov - pg).max(0.0);
        // 3. Return cap.
        if let Some(r) = spec.return_cap {
            gov = gov.min(pg + r * stake.capital_years);
        }
        (pro_rata - gov).max(0.0)
    }
}

impl GuidanceFund {
    /// The metric row (order of `METRICS`); `flows`
    /// is scratch space of the horizon's length.
    pub fn metrics(&self, o: &GuidanceOutcome, ws: &GuidanceWorkspace, flows: &mut [f64]) -> [f64; 18] {
        let spec = &self.spec;
        let k = self.steps_per_year;
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
        let irr = |series: &[f64], residual: f64, flows: &mut [f64]| {
            flows.copy_from_slice(series);
            if let Some(last) = flows.last_mut() {
                *last += residual;
            }
            crate::finance::irr::irr_annual(flows, k).unwrap_or(f64::NAN)
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
            spec.subfunds as f64 * self.subfund.spec.commitment / spec.government_capital,
            o.companies_funded as f64,
            local_investment,
            (local_investment >= required) as u8 as f64,
            spec.loss_tolerance.map_or(f64::NAN, |tol| (gov_loss > tol) as u8 as f64),
            o.gov_pv_paid - o.gov_pv_received,
            o.gov_paid_in,
            o.gov_received,
            o.private_paid_in,
            o.private_received,
            o.buybacks as f64,
            o.lp_distributions,
        ]
    }
}
