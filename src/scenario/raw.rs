//! Raw scenario types: a mirror of the TOML file, as serde reads it.
//!
//! First stage of the pipeline (`raw -> validate -> Scenario`). Nothing here
//! is checked beyond TOML types; `validate` turns these into the checked
//! types the simulation uses. Unknown keys are collected by the loader (see
//! `scenario::load`) and reported together with every other error, so these
//! types do not use `deny_unknown_fields` (which stops at the first one).
//!
//! Every field has a default (the values and their sources are listed in
//! `scenarios/defaults.toml` and `docs/MODEL.md`), except `vehicles`.

use indexmap::IndexMap;

use serde::{Deserialize, Serialize};

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawScenario {
    pub name: String,
    pub description: String,
    pub simulation: RawSimulation,
    pub market: RawMarket,
    pub policy: RawPolicy,
    pub stages: RawStages,
    /// `[fiscal]`: the one basis of every vehicle's fiscal cost.
    pub fiscal: RawFiscal,
    /// Vehicles by name, in file order; each is read by its `kind` later.
    pub vehicles: IndexMap<String, toml::Value>,
    /// `[[sweep]]`: one lever (a line) or two (a grid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep: Vec<RawSweep>,
    /// `[sensitivity]`: one-at-a-time swings of a target metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<RawSensitivity>,
}

/// One `[[sweep]]` table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct RawSweep {
    pub key: String,
    pub values: Vec<toml::Value>,
}

/// `[sensitivity]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct RawSensitivity {
    /// `<vehicle>.<metric>` (or `total.<metric>`).
    pub target: String,
    pub levers: Vec<RawLever>,
}

/// One lever of `[sensitivity]`, with its low and high values.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct RawLever {
    pub key: String,
    pub low: toml::Value,
    pub high: toml::Value,
}

impl Default for RawScenario {
    fn default() -> Self {
        RawScenario {
            name: "unnamed scenario".into(),
            description: String::new(),
            simulation: RawSimulation::default(),
            market: RawMarket::default(),
            policy: RawPolicy::default(),
            stages: RawStages::default(),
            fiscal: RawFiscal::default(),
            vehicles: IndexMap::new(),
            sweep: Vec::new(),
            sensitivity: None,
        }
    }
}

/// `[fiscal]` (MODEL.md section 5): the annual rate at which every
/// vehicle's dated fiscal flows are discounted to time 0.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawFiscal {
    pub discount_rate: f64,
}

impl Default for RawFiscal {
    fn default() -> Self {
        // China's 10-year government bond yield, about 2.7 % on average in
        // 2023 (source in scenarios/defaults.toml).
        RawFiscal { discount_rate: 0.027 }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawSimulation {
    pub paths: i64,
    pub seed: i64,
    pub years: i64,
    pub steps_per_year: i64,
}

impl Default for RawSimulation {
    fn default() -> Self {
        RawSimulation { paths: 10_000, seed: 20_231_101, years: 15, steps_per_year: 4 }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawMarket {
    pub factor_correlation: f64,
    pub value_correlation: f64,
    pub factor_persistence: f64,
    pub public_vol: f64,
    pub high_growth_share: f64,
    pub high_growth_drift: f64,
    pub high_growth_exit_multiplier: f64,
    pub ipo_value_elasticity: f64,
    pub acquisition_value_elasticity: f64,
    pub exit_value_cap: f64,
    pub regimes: RawRegimes,
}

impl Default for RawMarket {
    fn default() -> Self {
        RawMarket {
            factor_correlation: 0.12,
            value_correlation: 0.02,
            factor_persistence: 0.0,
            public_vol: 0.45,
            high_growth_share: 0.15,
            high_growth_drift: 0.23,
            high_growth_exit_multiplier: 5.4,
            ipo_value_elasticity: 0.7,
            acquisition_value_elasticity: 0.23,
            exit_value_cap: 3.0,
            regimes: RawRegimes::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawRegimes {
    pub states: Vec<String>,
    pub initial: Vec<f64>,
    pub transition: Vec<Vec<f64>>,
    pub ipo_multiplier: Vec<f64>,
    pub acquisition_multiplier: Vec<f64>,
    pub valuation_multiplier: Vec<f64>,
}

impl Default for RawRegimes {
    fn default() -> Self {
        RawRegimes {
            states: vec!["closed".into(), "normal".into(), "hot".into()],
            initial: vec![0.2, 0.6, 0.2],
            transition: vec![vec![0.6, 0.4, 0.0], vec![0.15, 0.7, 0.15], vec![0.0, 0.4, 0.6]],
            ipo_multiplier: vec![0.2, 1.0, 2.0],
            acquisition_multiplier: vec![0.7, 1.0, 1.2],
            valuation_multiplier: vec![0.8, 1.0, 1.3],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawPolicy {
    pub ipo_registration_multiplier: f64,
    pub lockup_years: f64,
    pub selldown_years: f64,
    pub ipo_premium: f64,
}

impl Default for RawPolicy {
    fn default() -> Self {
        RawPolicy { ipo_registration_multiplier: 1.0, lockup_years: 1.0, selldown_years: 1.0, ipo_premium: 1.5 }
    }
}

/// `[stages.*]`. Fields are optional so that a file setting one key of a
/// stage keeps that stage's own defaults for the rest.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawStages {
    pub seed: RawStage,
    pub early: RawStage,
    pub growth: RawStage,
    pub late: RawStage,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct RawStage {
    pub failure_rate: Option<f64>,
    pub ipo_rate: Option<f64>,
    pub acquisition_rate: Option<f64>,
    pub next_round_rate: Option<f64>,
    pub entry_valuation: Option<f64>,
    pub entry_valuation_sigma: Option<f64>,
    pub step_up: Option<f64>,
    pub step_up_sigma: Option<f64>,
    pub dilution: Option<f64>,
    pub value_drift: Option<f64>,
    pub value_vol: Option<f64>,
    pub acquisition_multiple: Option<f64>,
    pub liquidation_recovery: Option<f64>,
}

impl RawStage {
    pub(crate) fn fields(&self) -> [Option<f64>; 13] {
        [
            self.failure_rate,
            self.ipo_rate,
            self.acquisition_rate,
            self.next_round_rate,
            self.entry_valuation,
            self.entry_valuation_sigma,
            self.step_up,
            self.step_up_sigma,
            self.dilution,
            self.value_drift,
            self.value_vol,
            self.acquisition_multiple,
            self.liquidation_recovery,
        ]
    }

    pub(crate) fn fields_mut(&mut self) -> [&mut Option<f64>; 13] {
        [
            &mut self.failure_rate,
            &mut self.ipo_rate,
            &mut self.acquisition_rate,
            &mut self.next_round_rate,
            &mut self.entry_valuation,
            &mut self.entry_valuation_sigma,
            &mut self.step_up,
            &mut self.step_up_sigma,
            &mut self.dilution,
            &mut self.value_drift,
            &mut self.value_vol,
            &mut self.acquisition_multiple,
            &mut self.liquidation_recovery,
        ]
    }

    /// The shipped defaults of a stage (0 seed, 1 early, 2 growth, 3 late);
    /// sources in `scenarios/defaults.toml`.
    pub(crate) fn defaults_for(stage: usize) -> RawStage {
        // failure, ipo, acquisition, next round, entry valuation, its sigma,
        // step-up, its sigma, dilution, drift, vol, acquisition multiple,
        // liquidation recovery
        #[rustfmt::skip]
        let v: [f64; 13] = match stage {
            0 => [0.060, 0.000, 0.0053, 0.55, 15.0, 0.50, 1.25, 0.50, 0.20, 0.22, 0.85, 1.00, 0.00],
            1 => [0.011, 0.0054, 0.023, 0.16, 60.0, 0.50, 1.05, 0.50, 0.18, 0.088, 0.82, 1.00, 0.00],
            2 => [0.050, 0.0117, 0.051, 0.22, 250.0, 0.50, 1.50, 0.40, 0.15, 0.32, 0.14, 1.30, 0.05],
            _ => [0.125, 0.122, 0.092, 0.36, 1000.0, 0.50, 1.30, 0.30, 0.10, 0.09, 0.28, 1.30, 0.10],
        };
        RawStage {
            failure_rate: Some(v[0]),
            ipo_rate: Some(v[1]),
            acquisition_rate: Some(v[2]),
            next_round_rate: Some(v[3]),
            entry_valuation: Some(v[4]),
            entry_valuation_sigma: Some(v[5]),
            step_up: Some(v[6]),
            step_up_sigma: Some(v[7]),
            dilution: Some(v[8]),
            value_drift: Some(v[9]),
            value_vol: Some(v[10]),
            acquisition_multiple: Some(v[11]),
            liquidation_recovery: Some(v[12]),
        }
    }
}

impl RawStages {
    pub(crate) fn get_mut(&mut self, i: usize) -> &mut RawStage {
        match i {
            0 => &mut self.seed,
            1 => &mut self.early,
            2 => &mut self.growth,
            _ => &mut self.late,
        }
    }

    /// Stage by index (0 seed, 1 early, 2 growth, 3 late).
    pub(crate) fn get(&self, i: usize) -> &RawStage {
        match i {
            0 => &self.seed,
            1 => &self.early,
            2 => &self.growth,
            _ => &self.late,
        }
    }
}
