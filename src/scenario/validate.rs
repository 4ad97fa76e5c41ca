//! Validation: raw scenario types -> checked `Scenario`.
//!
//! Every rule is checked and every broken one is collected with its key
//! path; nothing downstream re-checks input. Constructors here fail,
//! sampling in `model` and `vehicles` does not.

use std::fmt::Display;

use crate::finance::fiscal::FiscalBasis;
use crate::model::company::{CompanyModel, STAGES, StageParams};
use crate::model::market::{Market, Regimes};
use crate::model::policy::Policy;
use crate::rng::vehicle_key;
use crate::scenario::Scenario;
use crate::scenario::error::{InputError, Origin};
use crate::scenario::raw::{RawMarket, RawPolicy, RawScenario, RawStage};
use crate::vehicles::{BuildContext, RawVehicle, ScenarioFacts, Vehicle, VehicleKind, catalogue};

/// Tolerance for probabilities that must add up to 1.
pub(crate) const SUM_TOL: f64 = 1e-9;

/// Largest money amount a key may hold (million CNY): 1e12 mn CNY is
/// 10^18 yuan, ten thousand times China's yearly GDP. Within it, sums over
/// loans, deals and paths stay far inside f64; beyond it they overflow.
pub const MAX_AMOUNT: f64 = 1e12;

/// Largest multiple (a valuation step-up, an exit multiple, a regime
/// multiplier): a company compounding such multiples over a long horizon
/// must not overflow f64.
pub const MAX_MULTIPLE: f64 = 1000.0;

/// Collects broken rules with their key paths.
pub struct Validator<'a> {
    pub errors: Vec<InputError>,
    locate: &'a dyn Fn(&str) -> Origin,
}

impl<'a> Validator<'a> {
    pub fn new(locate: &'a dyn Fn(&str) -> Origin) -> Self {
        Validator { errors: Vec::new(), locate }
    }

    pub(crate) fn fail(&mut self, key: &str, value: impl Display, rule: impl Into<String>) {
        let origin = (self.locate)(key);
        self.errors.push(InputError { key: key.to_string(), value: value.to_string(), rule: rule.into(), origin });
    }

    /// A finite number within [lo, hi].
    pub(crate) fn within(&mut self, key: &str, x: f64, lo: f64, hi: f64) -> f64 {
        if !(x.is_finite() && x >= lo && x <= hi) {
            self.fail(key, num(x), format!("must be within [{lo}, {hi}]"));
        }
        x
    }

    /// A probability or share: within [0, 1].
    pub(crate) fn unit(&mut self, key: &str, x: f64) -> f64 {
        self.within(key, x, 0.0, 1.0)
    }

    /// A money amount (million CNY): finite, > 0 and at most
    /// [`MAX_AMOUNT`].
    pub(crate) fn amount(&mut self, key: &str, x: f64) -> f64 {
        if !(x.is_finite() && x > 0.0 && x <= MAX_AMOUNT) {
            self.fail(key, num(x), format!("must be a money amount > 0 and at most {MAX_AMOUNT:e} (million CNY)"));
        }
        x
    }

    /// A money amount that may be zero: within [0, [`MAX_AMOUNT`]].
    pub(crate) fn amount_or_zero(&mut self, key: &str, x: f64) -> f64 {
        if !((0.0..=MAX_AMOUNT).contains(&x)) {
            self.fail(key, num(x), format!("must be a money amount within [0, {MAX_AMOUNT:e}] (million CNY)"));
        }
        x
    }

    /// A multiple: within (0, [`MAX_MULTIPLE`]] (`allow_zero`: [0, ...]).
    pub(crate) fn multiple(&mut self, key: &str, x: f64, allow_zero: bool) -> f64 {
        let low_ok = if allow_zero { x >= 0.0 } else { x > 0.0 };
        if !(x.is_finite() && low_ok && x <= MAX_MULTIPLE) {
            let open = if allow_zero { "[" } else { "(" };
            self.fail(key, num(x), format!("must be within {open}0, {MAX_MULTIPLE}]"));
        }
        x
    }

    pub(crate) fn integer(&mut self, key: &str, x: i64, lo: i64, hi: i64) -> i64 {
        if x < lo || x > hi {
            self.fail(key, x, format!("must be a whole number within [{lo}, {hi}]"));
            return lo;
        }
        x
    }

    /// Probabilities (each in [0, 1]) that add up to 1.
    pub(crate) fn distribution(&mut self, key: &str, p: &[f64]) {
        let mut ok = true;
        for (i, &x) in p.iter().enumerate() {
            if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
                self.fail(&format!("{key}[{i}]"), num(x), "must be within [0, 1]");
                ok = false;
            }
        }
        let sum: f64 = p.iter().sum();
        if ok && (sum - 1.0).abs() > SUM_TOL {
            self.fail(key, fmt_list(p), format!("must add up to 1 (adds up to {sum})"));
        }
    }
}

/// A number as it reads best in a message: `1e308`, not 309 digits.
pub(crate) fn num(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) { format!("{x:e}") } else { x.to_string() }
}

pub(crate) fn fmt_list(x: &[f64]) -> String {
    let items: Vec<String> = x.iter().map(|v| v.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Validate everything but the vehicles, then each vehicle.
pub(crate) fn scenario(
    raw: &RawScenario,
    v: &mut Validator<'_>,
    vehicles: Vec<(String, RawVehicle)>,
) -> Option<Scenario> {
    let sim = &raw.simulation;
    let paths = v.integer("simulation.paths", sim.paths, 1, 1_000_000_000) as u64;
    let seed = v.integer("simulation.seed", sim.seed, 0, i64::MAX) as u64;
    let years = v.integer("simulation.years", sim.years, 1, 100) as u32;
    let k = sim.steps_per_year;
    if ![1, 2, 4, 12].contains(&k) {
        v.fail("simulation.steps_per_year", k, "must be 1, 2, 4 or 12");
    }
    let k = if [1, 2, 4, 12].contains(&k) { k as u32 } else { 4 };
    let market = market(&raw.market, v);
    let policy = policy(&raw.policy, v);
    let fiscal = FiscalBasis::new(v.within("fiscal.discount_rate", raw.fiscal.discount_rate, -0.5, 1.0), k);
    let stages: [StageParams; 4] = std::array::from_fn(|i| stage(i, raw.stages.get(i), v));
    if raw.name.trim().is_empty() {
        v.fail("name", "\"\"", "must not be empty (it titles charts and the report)");
    }
    if vehicles.is_empty() && raw.vehicles.is_empty() {
        v.fail("vehicles", "", "at least one vehicle is needed, e.g. [vehicles.fund] with kind = \"venture_fund\"");
    }
    let facts = ScenarioFacts {
        years,
        steps_per_year: k,
        regimes: market.regimes.len(),
        entry_valuation: std::array::from_fn(|i| stages[i].entry_valuation),
    };
    let built: Vec<_> = vehicles
        .into_iter()
        .map(|(name, raw)| {
            let prefix = format!("vehicles.{name}");
            // Here rather than in the kind's `validate` while the loan
            // programme's module is being changed elsewhere; it belongs
            // there once `loan_program_spec` takes the facts.
            if let RawVehicle::LoanProgram(l) = &raw {
                crate::vehicles::loan_program::input::check_term_steps(&prefix, l, k, v);
            }
            let spec = raw.validate(&prefix, &facts, v);
            (name, spec)
        })
        .collect();
    if !v.errors.is_empty() {
        return None;
    }
    let company_model = CompanyModel::new(&market, &policy, stages.clone(), k);
    let (lockup, sales) = (policy.lockup_steps(k), policy.selldown_sales(k));
    let vehicles: Vec<Vehicle> = built
        .into_iter()
        .map(|(name, spec)| {
            let cx = BuildContext {
                key: vehicle_key(&name),
                steps_per_year: k,
                lockup_steps: lockup,
                sales,
                model: &company_model,
                market: &market,
                fiscal,
            };
            Vehicle { kind: spec.build(&cx), name }
        })
        .collect();
    let mut vehicles = vehicles;
    wire_sellers(&mut vehicles, &market, &company_model, v);
    wire_borrowers(&mut vehicles, v);
    let (sweeps, sensitivity) = experiments(raw, &vehicles, v);
    if !v.errors.is_empty() {
        return None;
    }
    Some(Scenario {
        sweeps,
        sensitivity,
        fingerprint: super::Fingerprint::default(),
        name: raw.name.clone(),
        description: raw.description.clone(),
        paths,
        seed,
        years,
        steps_per_year: k,
        fiscal,
        market,
        policy,
        stages,
        company_model,
        vehicles,
    })
}

/// An S fund that names a guidance fund as its `seller` buys that guidance
/// fund's government stakes: the seller must be a guidance fund listed
/// before it (vehicles run in scenario order on each path). The S fund
/// takes the sub-funds as its targets and the guidance fund gets the S
/// fund's pricing.
fn wire_sellers(vehicles: &mut [Vehicle], market: &Market, model: &CompanyModel, v: &mut Validator<'_>) {
    for i in 0..vehicles.len() {
        let VehicleKind::SFund(sf) = &vehicles[i].kind else { continue };
        let Some(seller) = sf.spec.seller.clone() else { continue };
        let key = format!("vehicles.{}.seller", vehicles[i].name);
        let value = format!("\"{seller}\"");
        let Some(j) = vehicles.iter().position(|w| w.name == seller) else {
            v.fail(&key, value, "must name a vehicle of the scenario");
            continue;
        };
        let VehicleKind::GuidanceFund(g) = &vehicles[j].kind else {
            v.fail(&key, value, "must name a guidance_fund vehicle");
            continue;
        };
        if j > i {
            v.fail(&key, value, "must name a vehicle listed before the S fund (vehicles run in scenario order)");
            continue;
        }
        if g.sale.is_some() {
            v.fail(&key, value, "is already the seller of another S fund");
            continue;
        }
        // Only sub-funds running at the purchase step are sold (not one at
        // its liquidation step, where its NAV is 0): at least one must be.
        let (at, life) = (sf.purchase_age(), g.subfund.life_steps() as usize);
        if !g.launch_steps().iter().any(|&l| l <= at && at + 1 < l + life) {
            let last = g.launch_steps().last().copied().unwrap_or(0) as f64 / model.steps_per_year as f64;
            v.fail(
                &format!("vehicles.{}.purchase_age_years", vehicles[i].name),
                num(sf.spec.purchase_age_years),
                format!(
                    "must fall while a sub-fund of the seller {value} is running: they launch over years 0 to {} \
                     and each is liquidated term_years + extension_years = {} years after its launch, so nothing \
                     would be sold",
                    num(last),
                    num(life as f64 / model.steps_per_year as f64)
                ),
            );
            continue;
        }
        let g = g.clone();
        let VehicleKind::SFund(sf) = &mut vehicles[i].kind else { continue };
        sf.sell_from(j, &g, Some((market, model)));
        let pricer = Box::new(sf.clone());
        if let VehicleKind::GuidanceFund(g) = &mut vehicles[j].kind {
            g.sale = Some(pricer);
        }
    }
}

/// A loan programme that names an equity vehicle in `borrowers_from`
/// lends to that vehicle's portfolio companies (投贷联动): the vehicle must
/// be a venture fund or a guidance fund listed before it (vehicles run in
/// scenario order on each path, so a loan programme reads a fund that has
/// already run; a programme can never be borrowed from, so there is no
/// cycle). The fund then records its investments and fates on each path.
fn wire_borrowers(vehicles: &mut [Vehicle], v: &mut Validator<'_>) {
    for i in 0..vehicles.len() {
        let VehicleKind::LoanProgram(l) = &vehicles[i].kind else { continue };
        let Some(source) = l.spec.borrowers_from.clone() else { continue };
        let key = format!("vehicles.{}.borrowers_from", vehicles[i].name);
        let value = format!("\"{source}\"");
        let Some(j) = vehicles.iter().position(|w| w.name == source) else {
            let names: Vec<&str> = vehicles.iter().map(|w| w.name.as_str()).collect();
            v.fail(&key, value, format!("must name a vehicle of the scenario (it has {})", names.join(", ")));
            continue;
        };
        if !matches!(vehicles[j].kind, VehicleKind::VentureFund(_) | VehicleKind::GuidanceFund(_)) {
            v.fail(
                &key,
                value,
                "must name a venture_fund or guidance_fund vehicle: the borrowers are the portfolio companies of \
                 an equity vehicle (a loan programme cannot lend to its own or another programme's borrowers)",
            );
            continue;
        }
        if j > i {
            v.fail(
                &key,
                value,
                "must name a vehicle listed before the loan programme (vehicles run in scenario order)",
            );
            continue;
        }
        match &mut vehicles[j].kind {
            VehicleKind::VentureFund(f) => f.record_events = true,
            VehicleKind::GuidanceFund(g) => g.subfund.record_events = true,
            _ => {}
        }
        if let VehicleKind::LoanProgram(l) = &mut vehicles[i].kind {
            l.source = Some(j);
        }
    }
}

/// Keys a sweep or sensitivity lever may not vary: the paths and seed are
/// what variants share (common random numbers), the experiment tables
/// themselves, and anything that changes the shape of the output (which
/// vehicles there are and their kinds: each kind has its own metrics, and
/// variants are compared column by column). `vehicles` are the scenario's
/// vehicle names.
fn lever_key_rule(key: &str, vehicles: &[&str]) -> Option<String> {
    let parts: Vec<&str> = key.split('.').collect();
    if key.is_empty() || parts.iter().any(|p| p.is_empty()) {
        Some("must be a dotted key path, e.g. vehicles.loans.policy.risk_compensation.ratio".into())
    } else if let Some(rule) = crate::limits::key_depth_rule(key) {
        Some(rule)
    } else if parts[0] == "simulation" {
        Some("may not be a simulation.* key: every variant runs on the same paths and seed".into())
    } else if ["sweep", "sensitivity", "name", "description"].contains(&parts[0]) {
        Some("must be a model or vehicle key".into())
    } else if parts[0] == "vehicles" && parts.len() <= 2 {
        Some("may not replace a vehicle table: the variants must have the same vehicles (name one of its keys)".into())
    } else if parts[0] == "vehicles" && !vehicles.contains(&parts[1]) {
        Some(format!(
            "must be a key of one of the scenario's vehicles ({}): a new vehicle would change the output's columns",
            vehicles.join(", ")
        ))
    } else if parts[0] == "vehicles" && parts[2] == "kind" {
        Some("may not be a vehicle's kind: each kind has its own metrics, so the variants' columns would differ".into())
    } else {
        None
    }
}

/// `[[sweep]]` and `[sensitivity]`, checked against the built vehicles.
fn experiments(
    raw: &RawScenario,
    vehicles: &[Vehicle],
    v: &mut Validator<'_>,
) -> (Vec<crate::scenario::SweepAxis>, Option<crate::scenario::Sensitivity>) {
    if raw.sweep.len() > 2 {
        v.fail("sweep", format!("{} tables", raw.sweep.len()), "at most two [[sweep]] tables (a line or a grid)");
    }
    let names: Vec<&str> = vehicles.iter().map(|x| x.name.as_str()).collect();
    let variants = raw.sweep.iter().fold(1usize, |n, s| n.saturating_mul(s.values.len()));
    let max = crate::limits::MAX_SWEEP_VARIANTS;
    if raw.sweep.len() > 1 && variants > max {
        let sizes: Vec<String> = raw.sweep.iter().map(|s| s.values.len().to_string()).collect();
        v.fail(
            "sweep",
            format!("a {} grid ({variants} variants)", sizes.join(" x ")),
            format!("a sweep may have at most {max} variants in all (the product of its tables' value counts)"),
        );
    }
    let mut axes = Vec::new();
    for (i, s) in raw.sweep.iter().enumerate() {
        let at = format!("sweep[{i}].key");
        if let Some(rule) = lever_key_rule(&s.key, &names) {
            v.fail(&at, format!("{:?}", s.key), rule);
        }
        if raw.sweep[..i].iter().any(|o| o.key == s.key) {
            v.fail(&at, format!("{:?}", s.key), "each [[sweep]] must vary a different key");
        }
        if s.values.is_empty() || s.values.len() > 1000 {
            v.fail(&format!("sweep[{i}].values"), format!("{} values", s.values.len()), "must list 1 to 1000 values");
        }
        axes.push(crate::scenario::SweepAxis {
            key: s.key.clone(),
            values: s.values.iter().map(|x| x.to_string()).collect(),
        });
    }
    let sensitivity = raw.sensitivity.as_ref().map(|sens| {
        let (vehicle, metric) = sens.target.split_once('.').unwrap_or(("", ""));
        let known = if vehicle == "total" {
            catalogue::TOTALS.iter().any(|m| m.name == metric)
        } else {
            vehicles.iter().any(|x| x.name == vehicle && x.column(metric).is_some())
        };
        if !known {
            v.fail(
                "sensitivity.target",
                format!("{:?}", sens.target),
                "must name a metric of the scenario as <vehicle>.<metric>, e.g. loans.fiscal_cost or total.fiscal_cost",
            );
        }
        if sens.levers.is_empty() {
            v.fail("sensitivity.levers", "[]", "must list at least one lever");
        }
        if sens.levers.len() > crate::limits::MAX_LEVERS {
            v.fail(
                "sensitivity.levers",
                format!("{} levers", sens.levers.len()),
                format!("must list at most {} levers (each is two runs)", crate::limits::MAX_LEVERS),
            );
        }
        for (i, l) in sens.levers.iter().enumerate() {
            if let Some(rule) = lever_key_rule(&l.key, &names) {
                v.fail(&format!("sensitivity.levers[{i}].key"), format!("{:?}", l.key), rule);
            }
        }
        crate::scenario::Sensitivity {
            vehicle: vehicle.to_string(),
            metric: metric.to_string(),
            levers: sens.levers.iter().map(|l| (l.key.clone(), l.low.to_string(), l.high.to_string())).collect(),
        }
    });
    (axes, sensitivity)
}

fn market(m: &RawMarket, v: &mut Validator<'_>) -> Market {
    let factor_correlation = v.within("market.factor_correlation", m.factor_correlation, 0.0, 0.999);
    let value_correlation = v.unit("market.value_correlation", m.value_correlation);
    let factor_persistence = v.within("market.factor_persistence", m.factor_persistence, -0.999, 0.999);
    let public_vol = v.within("market.public_vol", m.public_vol, 0.0, 5.0);
    let high_growth_share = v.unit("market.high_growth_share", m.high_growth_share);
    let high_growth_drift = v.within("market.high_growth_drift", m.high_growth_drift, -5.0, 5.0);
    let high_growth_exit_multiplier =
        v.within("market.high_growth_exit_multiplier", m.high_growth_exit_multiplier, 0.0, 100.0);
    let ipo_value_elasticity = v.within("market.ipo_value_elasticity", m.ipo_value_elasticity, -5.0, 5.0);
    let acquisition_value_elasticity =
        v.within("market.acquisition_value_elasticity", m.acquisition_value_elasticity, -5.0, 5.0);
    let exit_value_cap = v.within("market.exit_value_cap", m.exit_value_cap, 1.0, 1000.0);
    let r = &m.regimes;
    let n = r.states.len();
    if n == 0 {
        v.fail("market.regimes.states", "[]", "must name at least one state");
    }
    if n > 255 {
        v.fail("market.regimes.states", n, "at most 255 states");
    }
    for (i, s) in r.states.iter().enumerate() {
        if r.states[..i].contains(s) {
            v.fail("market.regimes.states", format!("{s:?}"), "state names must be unique");
        }
    }
    let check_len = |v: &mut Validator<'_>, key: &str, len: usize| {
        if len != n {
            v.fail(key, format!("{len} entries"), format!("must have one entry per state ({n})"));
        }
    };
    check_len(v, "market.regimes.initial", r.initial.len());
    if r.initial.len() == n {
        v.distribution("market.regimes.initial", &r.initial);
    }
    check_len(v, "market.regimes.transition", r.transition.len());
    for (i, row) in r.transition.iter().enumerate() {
        let key = format!("market.regimes.transition[{i}]");
        if row.len() != n {
            v.fail(&key, fmt_list(row), format!("each row must have one entry per state ({n})"));
        } else {
            v.distribution(&key, row);
        }
    }
    for (key, xs) in [
        ("market.regimes.ipo_multiplier", &r.ipo_multiplier),
        ("market.regimes.acquisition_multiplier", &r.acquisition_multiplier),
        ("market.regimes.valuation_multiplier", &r.valuation_multiplier),
    ] {
        check_len(v, key, xs.len());
        for (i, &x) in xs.iter().enumerate() {
            v.multiple(&format!("{key}[{i}]"), x, true);
        }
    }
    Market {
        factor_correlation,
        value_correlation,
        factor_persistence,
        public_vol,
        high_growth_share,
        high_growth_drift,
        high_growth_exit_multiplier,
        ipo_value_elasticity,
        acquisition_value_elasticity,
        exit_value_cap,
        regimes: Regimes {
            states: r.states.clone(),
            initial: r.initial.clone(),
            transition: r.transition.clone(),
            ipo_multiplier: r.ipo_multiplier.clone(),
            acquisition_multiplier: r.acquisition_multiplier.clone(),
            valuation_multiplier: r.valuation_multiplier.clone(),
        },
    }
}

fn policy(p: &RawPolicy, v: &mut Validator<'_>) -> Policy {
    Policy {
        ipo_registration_multiplier: v.within(
            "policy.ipo_registration_multiplier",
            p.ipo_registration_multiplier,
            0.0,
            100.0,
        ),
        lockup_years: v.within("policy.lockup_years", p.lockup_years, 0.0, 20.0),
        selldown_years: v.within("policy.selldown_years", p.selldown_years, 0.0, 20.0),
        ipo_premium: v.within("policy.ipo_premium", p.ipo_premium, 0.1, 10.0),
    }
}

fn stage(i: usize, raw: &RawStage, v: &mut Validator<'_>) -> StageParams {
    let d = RawStage::defaults_for(i);
    let name = STAGES[i];
    let get = |x: Option<f64>, dflt: Option<f64>| x.or(dflt).unwrap_or(f64::NAN);
    let key = |k: &str| format!("stages.{name}.{k}");
    let p = StageParams {
        failure_rate: v.unit(&key("failure_rate"), get(raw.failure_rate, d.failure_rate)),
        ipo_rate: v.unit(&key("ipo_rate"), get(raw.ipo_rate, d.ipo_rate)),
        acquisition_rate: v.unit(&key("acquisition_rate"), get(raw.acquisition_rate, d.acquisition_rate)),
        next_round_rate: v.unit(&key("next_round_rate"), get(raw.next_round_rate, d.next_round_rate)),
        entry_valuation: v.amount(&key("entry_valuation"), get(raw.entry_valuation, d.entry_valuation)),
        entry_valuation_sigma: v.within(
            &key("entry_valuation_sigma"),
            get(raw.entry_valuation_sigma, d.entry_valuation_sigma),
            0.0,
            5.0,
        ),
        step_up: v.multiple(&key("step_up"), get(raw.step_up, d.step_up), false),
        step_up_sigma: v.within(&key("step_up_sigma"), get(raw.step_up_sigma, d.step_up_sigma), 0.0, 5.0),
        dilution: v.within(&key("dilution"), get(raw.dilution, d.dilution), 0.0, 0.99),
        value_drift: v.within(&key("value_drift"), get(raw.value_drift, d.value_drift), -5.0, 5.0),
        value_vol: v.within(&key("value_vol"), get(raw.value_vol, d.value_vol), 0.0, 5.0),
        acquisition_multiple: v.multiple(
            &key("acquisition_multiple"),
            get(raw.acquisition_multiple, d.acquisition_multiple),
            true,
        ),
        liquidation_recovery: v
            .unit(&key("liquidation_recovery"), get(raw.liquidation_recovery, d.liquidation_recovery)),
    };
    if p.ipo_rate + p.acquisition_rate > 1.0 {
        v.fail(
            &key("acquisition_rate"),
            p.acquisition_rate,
            format!("ipo_rate + acquisition_rate must not exceed 1 (ipo_rate is {})", p.ipo_rate),
        );
    }
    p
}
