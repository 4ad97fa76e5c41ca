//! The vehicles policy acts on (MODEL.md section 4), one module per kind.
//!
//! Third stage of the pipeline: for each Monte Carlo path the engine draws
//! the economy, then asks each vehicle to simulate itself on it and write
//! its per-path metrics into the path's row, its per-step series into a
//! buffer and its deal outcomes into counters.
//!
//! A kind lives in `vehicles/<kind>/`: its scenario table and validation
//! (`input.rs`), its metric and series catalogue, its workspace and its
//! path simulation, all behind the `VehicleModel` trait. The `register!`
//! line at the bottom of this file is the one place a kind is named: it
//! generates the enums the rest of the crate dispatches on (static
//! dispatch, a `match` per call, no trait objects), so adding a kind is a
//! module and one line, and a kind the registry lacks fails to compile,
//! never at run time.

pub mod catalogue;
pub mod equity;
pub(crate) mod pilots;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::finance::fiscal::FiscalBasis;
use crate::model::company::CompanyModel;
use crate::model::market::{Market, MarketPath};
use crate::scenario::error::{InputError, Origin};
use crate::scenario::validate::Validator;
pub(crate) use catalogue::{Metric, MetricKind, Series};
use equity::DealCounts;

/// A per-path amount: a metric column of the vehicle, or a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Column(usize),
    Constant(f64),
}

impl Amount {
    /// The amount with its column moved by `offset` (a vehicle's first
    /// column in the row).
    pub fn shifted(self, offset: usize) -> Amount {
        match self {
            Amount::Column(c) => Amount::Column(offset + c),
            constant => constant,
        }
    }

    /// Its value in a row (absolute columns).
    #[inline]
    pub fn value(self, row: &[f64]) -> f64 {
        match self {
            Amount::Column(c) => row[c],
            Amount::Constant(x) => x,
        }
    }
}

/// A vehicle's part in the fiscal view (columns are the vehicle's own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiscalRole {
    pub fiscal_cost: Option<usize>,
    /// The undiscounted sum of the same flows (`fiscal_cost_nominal`).
    pub fiscal_cost_nominal: Option<usize>,
    pub private_capital: Option<usize>,
    pub credit: Amount,
    pub firms: Amount,
}

impl FiscalRole {
    /// A vehicle that costs the budget nothing and mobilises nothing.
    pub(crate) const NONE: FiscalRole = FiscalRole {
        fiscal_cost: None,
        fiscal_cost_nominal: None,
        private_capital: None,
        credit: Amount::Constant(0.0),
        firms: Amount::Constant(0.0),
    };
}

/// What the rest of the scenario fixes when a vehicle table is validated.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioFacts {
    /// `simulation.years`.
    pub years: u32,
    /// `simulation.steps_per_year`: durations are simulated in whole steps.
    pub steps_per_year: u32,
    /// Number of exit-market states (`market.regimes.states`).
    pub regimes: usize,
    /// Median entry valuation of each stage (`stages.<stage>.entry_valuation`,
    /// seed to late; million CNY).
    pub entry_valuation: [f64; 4],
}

impl ScenarioFacts {
    /// Steps of the horizon (`simulation.years` x `steps_per_year`).
    pub fn horizon_steps(&self) -> usize {
        self.years as usize * self.steps_per_year as usize
    }

    /// A duration in years as the simulation counts it: whole steps.
    pub fn steps(&self, years: f64) -> usize {
        (years * self.steps_per_year as f64).round().max(0.0) as usize
    }
}

/// What a validated vehicle is built with.
pub struct BuildContext<'a> {
    /// The vehicle's stream identity (`rng::vehicle_key` of its name).
    pub key: u64,
    pub steps_per_year: u32,
    /// IPO lock-up and sell-down of listed holdings, in steps and sales.
    pub lockup_steps: u32,
    pub sales: u32,
    pub model: &'a CompanyModel,
    /// The economy's parameters, for vehicles whose decisions rest on the
    /// model's own expectations (a pilot simulation at build time).
    pub market: &'a Market,
    /// `[fiscal]`: the rate every fiscal flow is discounted at.
    pub fiscal: FiscalBasis,
}

/// Everything a vehicle needs to simulate one path.
pub struct PathContext<'a> {
    /// `rng::path_key(seed, path)`.
    pub path_key: u64,
    pub market: &'a MarketPath,
    pub model: &'a CompanyModel,
    /// The workspaces of the vehicles before this one in the scenario,
    /// already simulated on this path (an S fund reads its seller's).
    pub earlier: &'a [Workspace],
}

/// One vehicle kind: everything the scenario loader, the engine and the
/// outputs need from it.
pub trait VehicleModel: Sized {
    /// The `kind` value that selects it.
    const KIND: &'static str;
    /// Per-path metrics, in column order (the row `simulate_path` writes).
    const METRICS: &'static [Metric];
    /// Per-step series, in the order `simulate_path` writes them.
    const SERIES: &'static [Series];
    /// Whether it holds deals (and so has rows in `deals.csv`).
    const HAS_DEALS: bool;
    /// The `[vehicles.<name>]` table as serde reads it, defaults filled in.
    type Raw: DeserializeOwned + Serialize;
    /// The validated table.
    type Spec;
    /// Per-thread buffers reused from path to path.
    type Workspace: Clone + std::fmt::Debug;

    /// Rules on the table as written, before it is read: (key, rule) of
    /// each key that must not appear (a derived value, say).
    fn check_table(_prefix: &str, _table: &toml::Value) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Every rule of the table, each broken one collected in `v`.
    fn validate(prefix: &str, raw: &Self::Raw, facts: &ScenarioFacts, v: &mut Validator<'_>) -> Self::Spec;

    /// The table with every default filled in, as `check` and the manifest
    /// print it.
    fn resolved(raw: &Self::Raw) -> Option<toml::Value> {
        toml::Value::try_from(raw).ok()
    }

    fn build(spec: Self::Spec, cx: &BuildContext<'_>) -> Self;

    /// What it adds to the fiscal view of a policy package (MODEL.md
    /// section 5).
    fn fiscal_role(&self) -> FiscalRole;

    fn path_workspace(&self, horizon_steps: usize) -> Self::Workspace;

    /// Whether its simulation reads the workspaces of earlier vehicles on
    /// the path (`PathContext::earlier`): it then changes when they do,
    /// and they must be simulated whenever it is (`engine::run_from`).
    fn reads_earlier(&self) -> bool {
        false
    }

    /// The government's net fiscal outlay in each step of the path last
    /// simulated in `ws` (nominal; payments out of the budget positive,
    /// receipts negative; horizon long). Its present value at `[fiscal]
    /// discount_rate` is the vehicle's `fiscal_cost` and its sum
    /// `fiscal_cost_nominal` (`finance::fiscal`); `budget.csv` adds it up
    /// by year. Empty for a vehicle without a fiscal cost.
    fn fiscal_flows(_ws: &Self::Workspace) -> &[f64] {
        &[]
    }

    /// Simulate one path: write `METRICS.len()` values into `row` and
    /// `SERIES.len()` × horizon values into `series` (series-major), add
    /// deal outcomes to `deals`. Returns the company-steps (or loan-steps)
    /// simulated.
    fn simulate_path(
        &self,
        ctx: &PathContext<'_>,
        ws: &mut Self::Workspace,
        row: &mut [f64],
        series: &mut [f64],
        deals: &mut DealCounts,
    ) -> u64;
}

impl Workspace {
    /// The record of investments and fates of an equity vehicle's
    /// companies on the current path (a venture fund's, or a guidance
    /// fund's sub-funds' one after another); `None` for other kinds.
    pub(crate) fn fund_events(&self) -> Option<&venture_fund::events::FundEvents> {
        match self {
            Workspace::VentureFund(w) => Some(&w.fund.events),
            Workspace::GuidanceFund(w) => Some(&w.guidance.fund.events),
            _ => None,
        }
    }
}

/// A registered kind's name and catalogue.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    pub kind: &'static str,
    pub metrics: &'static [Metric],
    pub series: &'static [Series],
}

/// A named vehicle of the scenario.
#[derive(Debug, Clone)]
pub struct Vehicle {
    pub name: String,
    pub kind: VehicleKind,
}

impl Vehicle {
    /// Column of a metric among this vehicle's metrics.
    pub(crate) fn column(&self, metric: &str) -> Option<usize> {
        catalogue::column(self.metrics(), metric)
    }
}

/// The registry: for each `module::Type` it declares the module and adds a
/// variant `Type` to `VehicleKind`, `Workspace`, `RawVehicle` and
/// `VehicleSpec`, an entry to `KINDS`, and the arms of every dispatch.
macro_rules! register {
    ($($module:ident :: $ty:ident),+ $(,)?) => {
        $(pub mod $module;)+

        // A scenario holds a handful of vehicles: the size difference
        // between variants costs nothing worth a box.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone)]
        pub enum VehicleKind { $($ty($module::$ty)),+ }

        /// Per-thread reusable buffers of one vehicle.
        #[derive(Debug, Clone)]
        pub enum Workspace { $($ty(<$module::$ty as VehicleModel>::Workspace)),+ }

        /// A vehicle table read by its `kind`.
        pub(crate) enum RawVehicle { $($ty(<$module::$ty as VehicleModel>::Raw)),+ }

        /// A validated vehicle table, before the scenario-wide model exists.
        pub(crate) enum VehicleSpec { $($ty(<$module::$ty as VehicleModel>::Spec)),+ }

        /// Every registered kind, in registration order.
        pub(crate) const KINDS: &[KindInfo] = &[$(KindInfo {
            kind: <$module::$ty as VehicleModel>::KIND,
            metrics: <$module::$ty as VehicleModel>::METRICS,
            series: <$module::$ty as VehicleModel>::SERIES,
        }),+];

        impl RawVehicle {
            /// Read a `[vehicles.<name>]` table of kind `kind`, collecting
            /// unknown keys and type errors; `None` when no kind has that
            /// name.
            pub(crate) fn read(
                kind: &str,
                prefix: &str,
                table: &toml::Value,
                locate: &dyn Fn(&str) -> Origin,
            ) -> Option<(Option<RawVehicle>, Vec<InputError>)> {
                $(if kind == <$module::$ty as VehicleModel>::KIND {
                    let mut errors: Vec<InputError> = <$module::$ty as VehicleModel>::check_table(prefix, table)
                        .into_iter()
                        .map(|(key, rule)| InputError { origin: locate(&key), key, value: String::new(), rule })
                        .collect();
                    let (raw, mut found) = crate::scenario::deserialize_collecting::<
                        <$module::$ty as VehicleModel>::Raw,
                        _,
                    >(table.clone(), prefix, locate);
                    errors.append(&mut found);
                    return Some((raw.map(RawVehicle::$ty), errors));
                })+
                None
            }

            pub(crate) fn resolved(&self) -> Option<toml::Value> {
                match self { $(RawVehicle::$ty(r) => <$module::$ty as VehicleModel>::resolved(r)),+ }
            }

            pub(crate) fn validate(&self, prefix: &str, facts: &ScenarioFacts, v: &mut Validator<'_>) -> VehicleSpec {
                match self {
                    $(RawVehicle::$ty(r) => {
                        VehicleSpec::$ty(<$module::$ty as VehicleModel>::validate(prefix, r, facts, v))
                    })+
                }
            }
        }

        impl VehicleSpec {
            pub(crate) fn build(self, cx: &BuildContext<'_>) -> VehicleKind {
                match self { $(VehicleSpec::$ty(s) => VehicleKind::$ty(<$module::$ty as VehicleModel>::build(s, cx))),+ }
            }
        }

        impl Vehicle {
            pub fn metrics(&self) -> &'static [Metric] {
                match self.kind { $(VehicleKind::$ty(_) => <$module::$ty as VehicleModel>::METRICS),+ }
            }

            pub fn series(&self) -> &'static [Series] {
                match self.kind { $(VehicleKind::$ty(_) => <$module::$ty as VehicleModel>::SERIES),+ }
            }

            /// Whether the vehicle holds deals (and so has rows in `deals.csv`).
            pub(crate) fn has_deals(&self) -> bool {
                match self.kind { $(VehicleKind::$ty(_) => <$module::$ty as VehicleModel>::HAS_DEALS),+ }
            }

            /// What the vehicle adds to the fiscal view of a policy package
            /// (MODEL.md section 5).
            pub(crate) fn fiscal_role(&self) -> FiscalRole {
                match &self.kind { $(VehicleKind::$ty(x) => x.fiscal_role()),+ }
            }

            /// See `VehicleModel::reads_earlier`.
            pub(crate) fn reads_earlier(&self) -> bool {
                match &self.kind { $(VehicleKind::$ty(x) => x.reads_earlier()),+ }
            }

            /// The vehicle's per-step net fiscal outlay on the path last
            /// simulated in `ws` (see `VehicleModel::fiscal_flows`).
            pub(crate) fn fiscal_flows<'w>(&self, ws: &'w Workspace) -> &'w [f64] {
                match (&self.kind, ws) {
                    $((VehicleKind::$ty(_), Workspace::$ty(w)) => <$module::$ty as VehicleModel>::fiscal_flows(w),)+
                    #[allow(unreachable_patterns)]
                    _ => &[],
                }
            }

            pub fn workspace(&self, horizon_steps: usize) -> Workspace {
                match &self.kind { $(VehicleKind::$ty(x) => Workspace::$ty(x.path_workspace(horizon_steps))),+ }
            }

            /// Simulate one path (see `VehicleModel::simulate_path`).
            pub fn simulate(
                &self,
                ctx: &PathContext<'_>,
                ws: &mut Workspace,
                row: &mut [f64],
                series: &mut [f64],
                deals: &mut DealCounts,
            ) -> u64 {
                match (&self.kind, ws) {
                    $((VehicleKind::$ty(x), Workspace::$ty(w)) => x.simulate_path(ctx, w, row, series, deals),)+
                    #[allow(unreachable_patterns)]
                    _ => unreachable!("a vehicle always gets its own workspace"),
                }
            }
        }
    };
}

register! {
    venture_fund::VentureFund,
    guidance_fund::GuidanceFund,
    s_fund::SFund,
    loan_program::LoanProgram,
}
