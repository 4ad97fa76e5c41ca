//! The vehicles policy acts on (MODEL.md section 4), behind one enum.
//!
//! Third stage of the pipeline: for each Monte Carlo path the engine draws
//! the economy, then asks each vehicle to simulate itself on it and write
//! its per-path metrics into the path's row, its per-step series into a
//! buffer and its deal outcomes into counters. Static dispatch: a `match`
//! on `VehicleKind`, no trait objects.

pub mod guidance_fund;
pub mod loan_program;
pub mod s_fund;
pub mod venture_fund;

use crate::finance::irr::irr_annual;
use crate::model::company::CompanyModel;
use crate::model::market::MarketPath;
use guidance_fund::{GuidanceFund, GuidanceWorkspace};
use loan_program::{LoanProgram, LoanWorkspace};
use s_fund::{SFund, SFundWorkspace};
use venture_fund::{DealCounts, FundWorkspace, VentureFund};

/// How a metric is summarised beyond the common statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A return, multiple, amount or count.
    Plain,
    /// A loss or cost: also gets VaR and expected shortfall in `risk.csv`.
    Loss,
}

/// A per-path metric a vehicle reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub kind: MetricKind,
}

const fn plain(name: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Plain }
}

/// Metrics of `venture_fund`, in column order (MODEL.md 4.1).
pub const VENTURE_FUND_METRICS: [Metric; 15] = [
    plain("tvpi"),
    plain("dpi"),
    plain("rvpi"),
    plain("irr"),
    plain("gross_multiple"),
    plain("invested"),
    plain("paid_in"),
    plain("distributed"),
    plain("residual"),
    plain("fees"),
    plain("carry"),
    plain("deals_failed"),
    plain("deals_ipo"),
    plain("deals_acquired"),
    plain("deals_private"),
];

const fn loss(name: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Loss }
}

/// Metrics of `loan_program`, in column order (MODEL.md 4.4).
pub const LOAN_PROGRAM_METRICS: [Metric; 21] = [
    plain("defaults"),
    loss("default_rate"),
    plain("npl_ratio"),
    loss("gross_loss"),
    loss("guarantor_loss"),
    loss("insurer_loss"),
    loss("compensation_paid"),
    loss("bank_net_loss"),
    plain("interest_income"),
    plain("funding_cost"),
    plain("warrant_gain"),
    plain("bank_return"),
    plain("guarantor_net"),
    plain("insurer_net"),
    plain("reguarantee_cost"),
    plain("subsidy_cost"),
    plain("reward_cost"),
    loss("fiscal_cost"),
    plain("pool_exhausted"),
    plain("npl_breach"),
    plain("credit_per_fiscal_yuan"),
];

/// Metrics of `guidance_fund`, in column order (MODEL.md 4.2).
pub const GUIDANCE_FUND_METRICS: [Metric; 18] = [
    plain("gov_tvpi"),
    plain("gov_irr"),
    loss("gov_loss"),
    plain("private_tvpi"),
    plain("private_irr"),
    plain("concession_transfer"),
    plain("leverage"),
    plain("companies_funded"),
    plain("local_investment"),
    plain("reinvestment_met"),
    plain("tolerance_breached"),
    loss("fiscal_cost"),
    plain("gov_paid_in"),
    plain("gov_received"),
    plain("private_paid_in"),
    plain("private_received"),
    plain("buybacks"),
    plain("lp_distributions"),
];

/// Per-step series of `guidance_fund`: cumulative net cash flow of the
/// government and of private LPs (their J-curves).
pub const GUIDANCE_FUND_SERIES: [&str; 2] = ["gov_cum_net_cash_flow", "private_cum_net_cash_flow"];

/// Metrics of `s_fund`, in column order (MODEL.md 4.3).
pub const S_FUND_METRICS: [Metric; 17] = [
    plain("buyer_tvpi"),
    plain("buyer_irr"),
    plain("buyer_loss"),
    plain("buyer_gross_tvpi"),
    plain("price_to_nav"),
    plain("price_to_value"),
    plain("seller_tvpi_sold"),
    plain("seller_tvpi_held"),
    plain("seller_irr_sold"),
    plain("seller_irr_held"),
    plain("liquidity_cost"),
    plain("price"),
    plain("buyer_calls"),
    plain("buyer_gross_received"),
    plain("fees"),
    plain("purchases"),
    plain("seller_paid_in"),
];

/// Per-step series of `s_fund`: cumulative net cash flow of the buyer's
/// investors, of the seller who sold, and of the seller had it held.
pub const S_FUND_SERIES: [&str; 3] =
    ["buyer_cum_net_cash_flow", "seller_sold_cum_net_cash_flow", "seller_held_cum_net_cash_flow"];

/// Per-step series of `loan_program`: cumulative gross loss and fiscal cost.
pub const LOAN_PROGRAM_SERIES: [&str; 2] = ["cum_gross_loss", "cum_fiscal_cost"];

/// Per-step series of `venture_fund`: cumulative net cash flow to LPs (the
/// J-curve) and reported NAV.
pub const VENTURE_FUND_SERIES: [&str; 2] = ["cum_net_cash_flow", "nav"];

/// A per-path amount: a metric column of the vehicle, or a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Column(usize),
    Constant(f64),
}

/// A vehicle's part in the fiscal view (columns are the vehicle's own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiscalRole {
    pub fiscal_cost: Option<usize>,
    pub private_capital: Option<usize>,
    pub credit: f64,
    pub firms: Amount,
}

/// A named vehicle of the scenario.
#[derive(Debug, Clone)]
pub struct Vehicle {
    pub name: String,
    pub kind: VehicleKind,
}

// A scenario holds a handful of vehicles: the size difference between
// variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum VehicleKind {
    VentureFund(VentureFund),
    LoanProgram(LoanProgram),
    GuidanceFund(GuidanceFund),
    SFund(SFund),
}

/// Per-thread reusable buffers of one vehicle.
#[derive(Debug, Clone)]
pub enum Workspace {
    VentureFund { fund: FundWorkspace, flows: Vec<f64> },
    LoanProgram(LoanWorkspace),
    GuidanceFund { guidance: GuidanceWorkspace, flows: Vec<f64> },
    SFund(SFundWorkspace),
}

/// Everything a vehicle needs to simulate one path.
pub struct PathContext<'a> {
    /// `rng::path_key(seed, path)`.
    pub path_key: u64,
    pub market: &'a MarketPath,
    pub model: &'a CompanyModel,
}

impl Vehicle {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            VehicleKind::VentureFund(_) => "venture_fund",
            VehicleKind::LoanProgram(_) => "loan_program",
            VehicleKind::GuidanceFund(_) => "guidance_fund",
            VehicleKind::SFund(_) => "s_fund",
        }
    }

    pub fn metrics(&self) -> &'static [Metric] {
        match self.kind {
            VehicleKind::VentureFund(_) => &VENTURE_FUND_METRICS,
            VehicleKind::LoanProgram(_) => &LOAN_PROGRAM_METRICS,
            VehicleKind::GuidanceFund(_) => &GUIDANCE_FUND_METRICS,
            VehicleKind::SFund(_) => &S_FUND_METRICS,
        }
    }

    pub fn series(&self) -> &'static [&'static str] {
        match self.kind {
            VehicleKind::VentureFund(_) => &VENTURE_FUND_SERIES,
            VehicleKind::LoanProgram(_) => &LOAN_PROGRAM_SERIES,
            VehicleKind::GuidanceFund(_) => &GUIDANCE_FUND_SERIES,
            VehicleKind::SFund(_) => &S_FUND_SERIES,
        }
    }

    /// Whether the vehicle holds deals (and so has rows in `deals.csv`).
    pub fn has_deals(&self) -> bool {
        matches!(self.kind, VehicleKind::VentureFund(_) | VehicleKind::GuidanceFund(_))
    }

    /// Column of a metric among this vehicle's metrics.
    pub fn column(&self, metric: &str) -> Option<usize> {
        self.metrics().iter().position(|m| m.name == metric)
    }

    /// What the vehicle adds to the fiscal view of a policy package
    /// (MODEL.md section 5): its fiscal cost, the private capital it brings
    /// in, the credit it extends and the firms it finances.
    pub fn fiscal_role(&self) -> FiscalRole {
        match &self.kind {
            VehicleKind::GuidanceFund(_) => FiscalRole {
                fiscal_cost: self.column("fiscal_cost"),
                private_capital: self.column("private_paid_in"),
                credit: 0.0,
                firms: Amount::Column(self.column("companies_funded").expect("guidance fund metric")),
            },
            VehicleKind::LoanProgram(l) => FiscalRole {
                fiscal_cost: self.column("fiscal_cost"),
                private_capital: None,
                credit: l.spec.loans as f64 * l.spec.loan_size,
                firms: Amount::Constant(l.spec.loans as f64),
            },
            VehicleKind::VentureFund(_) | VehicleKind::SFund(_) => {
                FiscalRole { fiscal_cost: None, private_capital: None, credit: 0.0, firms: Amount::Constant(0.0) }
            }
        }
    }

    pub fn workspace(&self, horizon_steps: usize) -> Workspace {
        match &self.kind {
            VehicleKind::VentureFund(f) => {
                Workspace::VentureFund { fund: f.workspace(horizon_steps), flows: vec![0.0; horizon_steps] }
            }
            VehicleKind::LoanProgram(_) => Workspace::LoanProgram(LoanWorkspace::default()),
            VehicleKind::GuidanceFund(g) => {
                Workspace::GuidanceFund { guidance: g.workspace(horizon_steps), flows: vec![0.0; horizon_steps] }
            }
            VehicleKind::SFund(f) => Workspace::SFund(f.workspace(horizon_steps)),
        }
    }

    /// Simulate one path: write `metrics().len()` values into `row` and
    /// `series().len()` × horizon values into `series` (series-major).
    /// Returns the company-steps (or loan-steps) simulated.
    pub fn simulate(
        &self,
        ctx: &PathContext<'_>,
        ws: &mut Workspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64 {
        match (&self.kind, ws) {
            (VehicleKind::VentureFund(f), Workspace::VentureFund { fund, flows }) => {
                let o = f.simulate(f.key, ctx.path_key, ctx.market, ctx.model, 0, fund, deals);
                let horizon = ctx.market.z.len();
                let mut cum = 0.0;
                for t in 0..horizon {
                    flows[t] = fund.distributions[t] - fund.calls[t];
                    cum += flows[t];
                    series[t] = cum;
                    series[horizon + t] = fund.nav[t];
                }
                // The residual (LPs' share of what is still held at the
                // horizon, at marks) counts as a final inflow for the IRR.
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
                ];
                row.copy_from_slice(&values);
                o.company_steps
            }
            (VehicleKind::LoanProgram(l), Workspace::LoanProgram(lw)) => {
                let horizon = ctx.market.z.len();
                let (cum_loss, cum_fiscal) = series.split_at_mut(horizon);
                let o = l.simulate(ctx.path_key, ctx.market, ctx.model, lw, cum_loss, cum_fiscal);
                row.copy_from_slice(&l.metrics(&o));
                o.loan_steps
            }
            (VehicleKind::GuidanceFund(g), Workspace::GuidanceFund { guidance, flows }) => {
                let o = g.simulate(ctx.path_key, ctx.market, ctx.model, guidance, deals);
                let horizon = ctx.market.z.len();
                let (mut gov, mut private) = (0.0, 0.0);
                for t in 0..horizon {
                    gov += guidance.gov_flow[t];
                    private += guidance.private_flow[t];
                    series[t] = gov;
                    series[horizon + t] = private;
                }
                row.copy_from_slice(&g.metrics(&o, guidance, flows));
                o.company_steps
            }
            (VehicleKind::SFund(f), Workspace::SFund(sw)) => {
                let o = f.simulate(ctx.path_key, ctx.market, ctx.model, sw, deals);
                let horizon = ctx.market.z.len();
                let mut cum = [0.0; 3];
                for t in 0..horizon {
                    for (i, flow) in [&sw.buyer_flow, &sw.seller_sold, &sw.seller_held].iter().enumerate() {
                        cum[i] += flow[t];
                        series[i * horizon + t] = cum[i];
                    }
                }
                row.copy_from_slice(&f.metrics(&o, sw));
                o.company_steps
            }
            _ => unreachable!("a vehicle always gets its own workspace"),
        }
    }
}
