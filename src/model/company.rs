//! The company life cycle (MODEL.md section 3): every portfolio company and
//! every borrower is a `Company` stepped through time by `CompanyModel`.
//!
//! Each step a private company (1) fails with its one-year Gaussian-copula
//! probability Φ((Φ⁻¹(q) - sqrt(ρ) Y) / sqrt(1-ρ)) given the year's factor
//! Y, spread evenly over the year's steps (q the annual rate; see
//! `CompanyModel::conditional_failure`), else (2) exits by IPO or
//! acquisition with the stage hazards scaled by the regime and policy, else
//! (3) reaches its stage's next milestone with the stage's round rate, and
//! (4) its true value drifts. Its value V is all it is worth: exits are
//! priced from it (an IPO at V x the regime's valuation multiplier x the
//! policy's IPO premium, an acquisition at V x the stage's acquisition
//! multiple x the regime's multiplier), and a milestone is a priced round
//! only when V has grown to at least the stage's `step_up` times the last
//! round's mark: the round is then priced around V (a mean-one lognormal
//! pricing error of log sd `step_up_sigma`) and the new money, `dilution`
//! of the post-money, is added to V (a round is worth nothing to a holder
//! who keeps its share, and dilutes one who does not). A milestone without
//! that growth moves the company to the next stage without a round. Its
//! mark only changes at rounds and exits, so reported NAV is stale against
//! true value. A listed company's price follows a lognormal walk until its
//! holders have sold.
//!
//! The failure test is done in uniform space: a uniform U against the
//! per-step failure probability conditional on the year's factor, which
//! the caller computes once per step for all companies that share a
//! threshold. With one step a year this is the latent-variable event
//! X = sqrt(ρ) Y + sqrt(1-ρ) ε < Φ⁻¹(q) itself (U = Φ(ε)).
//!
//! Draws: every step of a company has its own stream keyed by (seed, path,
//! company, step) (see `rng`), read in a fixed order: the first 64-bit
//! draw gives the failure uniform (high 32 bits) and the exit uniform (low
//! 32 bits), the second the milestone uniform (high 32 bits), then the
//! round's pricing normal (only at a milestone) and the value normal.
//! 32-bit uniforms resolve probabilities to 2.3e-10, far below any Monte
//! Carlo error here, for two fewer draws a step. A company's fate depends
//! only on those and the market path, never on a lever that does not
//! change its behaviour (common random numbers, MODEL.md section 5);
//! `step_lean`, for holders that never look at value (loans without
//! warrants), reads only the first three and gets the same failures,
//! exits and stages (which rounds are priced depends on value, and a lean
//! holder never sees one).

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::model::market::Market;
use crate::model::normal::CdfTable;
use crate::model::normal::{inverse_cdf, per_step_probability};
use crate::model::policy::Policy;
use crate::rng::{first_draw, splitmix64, step_stream};

/// Company stages in order of maturity.
pub(crate) const STAGES: [&str; 4] = ["seed", "early", "growth", "late"];

/// A company's stage: seed, early, growth or late (an index into
/// `STAGES` and the model's per-stage tables). One byte, so a company
/// stays as small as it was with a bare `u8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stage(u8);

impl Stage {
    pub const SEED: Stage = Stage(0);
    pub const LATE: Stage = Stage(3);

    /// The stage at `index` (0 seed ... 3 late); `None` beyond late.
    pub fn from_index(index: usize) -> Option<Stage> {
        (index < STAGES.len()).then_some(Stage(index as u8))
    }

    /// The stage a scenario names (`"seed"`, `"early"`, `"growth"`, `"late"`).
    pub fn from_name(name: &str) -> Option<Stage> {
        STAGES.iter().position(|s| *s == name).map(|i| Stage(i as u8))
    }

    /// Index into `STAGES` and the per-stage tables.
    #[inline(always)]
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }

    /// The stage a round moves to (late stays late).
    #[inline(always)]
    fn next(self) -> Stage {
        if self < Stage::LATE { Stage(self.0 + 1) } else { self }
    }
}

/// Validated `[stages.<stage>]` (annual rates and probabilities).
#[derive(Debug, Clone, PartialEq)]
pub struct StageParams {
    pub failure_rate: f64,
    pub ipo_rate: f64,
    pub acquisition_rate: f64,
    pub next_round_rate: f64,
    pub entry_valuation: f64,
    pub entry_valuation_sigma: f64,
    pub step_up: f64,
    pub step_up_sigma: f64,
    pub dilution: f64,
    pub value_drift: f64,
    pub value_vol: f64,
    pub acquisition_multiple: f64,
    pub liquidation_recovery: f64,
}

/// Per-step quantities of one stage, precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct StageStep {
    /// Φ⁻¹(annual failure probability): the copula's one-year threshold.
    pub failure_threshold: f64,
    /// Per-step IPO probability in each regime (policy multiplier included).
    pub ipo: Vec<f64>,
    /// Per-step acquisition probability in each regime.
    pub acquisition: Vec<f64>,
    /// The same two for a company of the high-growth type (hazards scaled
    /// by `market.high_growth_exit_multiplier`).
    pub ipo_high: Vec<f64>,
    pub acquisition_high: Vec<f64>,
    /// Per-step milestone probability (`next_round_rate`).
    pub round: f64,
    /// ln `step_up`: a milestone is a priced round when ln V - ln mark
    /// reaches it.
    pub log_step_up: f64,
    pub step_up_sigma: f64,
    /// -σ²/2 for `step_up_sigma`: the pricing error's mean is one.
    pub pricing_drift: f64,
    pub dilution: f64,
    /// -ln(1 - dilution): the new money a round adds to ln V.
    pub log_new_money: f64,
    /// (μ - σ²/2)/k
    pub log_drift: f64,
    /// (μ + `market.high_growth_drift` - σ²/2)/k: the high-growth type's.
    pub log_drift_high: f64,
    /// σ/sqrt(k)
    pub vol: f64,
    pub entry_log_valuation: f64,
    pub entry_valuation_sigma: f64,
    pub acquisition_multiple: f64,
    pub liquidation_recovery: f64,
}

/// Everything a company step needs, built once per scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyModel {
    pub steps_per_year: u32,
    pub stages: [StageStep; 4],
    pub params: [StageParams; 4],
    /// sqrt(ρ), sqrt(1-ρ) of the failure copula.
    pub factor_loading: f64,
    pub idio_loading: f64,
    /// sqrt(c), sqrt(1-c) of value moves on the factor.
    pub value_factor_loading: f64,
    pub value_idio_loading: f64,
    pub valuation_multiplier: Vec<f64>,
    /// `policy.ipo_premium`: an IPO's price over private value.
    pub ipo_premium: f64,
    /// Value-dependent exits (MODEL.md 4.1, `Company::step_equity`): a
    /// private company's per-step IPO and acquisition probabilities are
    /// multiplied by min(cap, (V / E_s)^β), E_s its stage's
    /// `entry_valuation`, β `market.ipo_value_elasticity` and
    /// `market.acquisition_value_elasticity`, cap `market.exit_value_cap`.
    /// Both β 0: the stage hazards, bit for bit.
    pub ipo_value_elasticity: f64,
    pub acquisition_value_elasticity: f64,
    pub exit_value_cap: f64,
    /// Whether exits depend on value (either elasticity non-zero).
    pub value_exits: bool,
    /// `failure_threshold_bits` of `market.high_growth_share`: a company is
    /// of the high-growth type when the high 32 bits of its type hash fall
    /// below it.
    pub high_growth_bits: u64,
    /// Listed price: (−σ²/2)/k and σ/sqrt(k) (a martingale).
    pub public_log_drift: f64,
    pub public_vol: f64,
    /// Φ for the conditional failure probabilities.
    pub phi: CdfTable,
}

impl CompanyModel {
    pub fn new(market: &Market, policy: &Policy, params: [StageParams; 4], steps_per_year: u32) -> Self {
        let k = steps_per_year;
        let dt = 1.0 / k as f64;
        let regimes = &market.regimes;
        // Per-step IPO and acquisition probabilities in each regime, the
        // annual hazards scaled by `scale` (1, or the high-growth type's).
        let exits = |p: &StageParams, scale: f64| -> (Vec<f64>, Vec<f64>) {
            let ipo = regimes
                .ipo_multiplier
                .iter()
                .map(|m| (p.ipo_rate * scale * m * policy.ipo_registration_multiplier).min(1.0));
            let acq = regimes.acquisition_multiplier.iter().map(|m| (p.acquisition_rate * scale * m).min(1.0));
            ipo.zip(acq)
                .map(|(i, a)| {
                    let (i, a) = (per_step_probability(i, k), per_step_probability(a, k));
                    // Two competing exits cannot exceed certainty together.
                    let total = i + a;
                    if total > 1.0 { (i / total, a / total) } else { (i, a) }
                })
                .unzip()
        };
        let stages = params.clone().map(|p| {
            let (ipo, acquisition) = exits(&p, 1.0);
            let (ipo_high, acquisition_high) = exits(&p, market.high_growth_exit_multiplier);
            StageStep {
                failure_threshold: inverse_cdf(p.failure_rate),
                ipo,
                acquisition,
                ipo_high,
                acquisition_high,
                round: per_step_probability(p.next_round_rate, k),
                log_step_up: p.step_up.ln(),
                step_up_sigma: p.step_up_sigma,
                pricing_drift: -0.5 * p.step_up_sigma * p.step_up_sigma,
                dilution: p.dilution,
                log_new_money: -(1.0 - p.dilution).ln(),
                log_drift: (p.value_drift - 0.5 * p.value_vol * p.value_vol) * dt,
                log_drift_high: (p.value_drift + market.high_growth_drift - 0.5 * p.value_vol * p.value_vol) * dt,
                vol: p.value_vol * dt.sqrt(),
                entry_log_valuation: p.entry_valuation.ln(),
                entry_valuation_sigma: p.entry_valuation_sigma,
                acquisition_multiple: p.acquisition_multiple,
                liquidation_recovery: p.liquidation_recovery,
            }
        });
        CompanyModel {
            steps_per_year: k,
            stages,
            params,
            factor_loading: market.factor_correlation.sqrt(),
            idio_loading: (1.0 - market.factor_correlation).sqrt(),
            value_factor_loading: market.value_correlation.sqrt(),
            value_idio_loading: (1.0 - market.value_correlation).sqrt(),
            valuation_multiplier: regimes.valuation_multiplier.clone(),
            ipo_premium: policy.ipo_premium,
            ipo_value_elasticity: market.ipo_value_elasticity,
            acquisition_value_elasticity: market.acquisition_value_elasticity,
            exit_value_cap: market.exit_value_cap,
            value_exits: market.ipo_value_elasticity != 0.0 || market.acquisition_value_elasticity != 0.0,
            high_growth_bits: failure_threshold_bits(market.high_growth_share),
            public_log_drift: -0.5 * market.public_vol * market.public_vol * dt,
            public_vol: market.public_vol * dt.sqrt(),
            phi: CdfTable::new(),
        }
    }

    /// The IPO and acquisition hazard multipliers of a private company at
    /// `stage` with ln value `log_value`: min(cap, exp(β x)) for
    /// x = ln V - ln E_s, E_s the stage's `entry_valuation`, β each route's
    /// elasticity. A company worth its stage's reference value exits at the
    /// stage hazards; one worth e times more, e^β times as often (Korteweg
    /// and Sorensen 2010 model exit as a selection on log value).
    #[inline]
    pub fn exit_multipliers(&self, stage: Stage, log_value: f64) -> (f64, f64) {
        let x = log_value - self.stages[stage.index()].entry_log_valuation;
        let m = |beta: f64| if beta == 0.0 { 1.0 } else { (beta * x).exp().min(self.exit_value_cap) };
        (m(self.ipo_value_elasticity), m(self.acquisition_value_elasticity))
    }

    /// Per-step IPO and acquisition probabilities `ipo`, `acquisition`
    /// scaled by `exit_multipliers`, each at most 1 and, if together above
    /// certainty, shrunk in proportion (as the stage hazards are).
    #[inline]
    pub fn scaled_exits(&self, ipo: f64, acquisition: f64, stage: Stage, log_value: f64) -> (f64, f64) {
        let (mi, ma) = self.exit_multipliers(stage, log_value);
        let (i, a) = ((ipo * mi).min(1.0), (acquisition * ma).min(1.0));
        let total = i + a;
        if total > 1.0 { (i / total, a / total) } else { (i, a) }
    }

    /// `scaled_exits` kept out of the company step: it runs only in the
    /// few steps whose exit uniform falls below cap x the stage's
    /// probabilities, and inlined it slows every other step.
    #[inline(never)]
    fn scaled_exits_out_of_line(&self, ipo: f64, acquisition: f64, stage: Stage, log_value: f64) -> (f64, f64) {
        self.scaled_exits(ipo, acquisition, stage, log_value)
    }

    /// Failure threshold Φ⁻¹(pd) for an annual failure probability `pd`
    /// (borrowers whose PD overrides their stage's failure rate).
    pub(crate) fn threshold_for(&self, pd: f64) -> f64 {
        inverse_cdf(pd)
    }

    /// Per-step failure probability given the year's factor `y`
    /// (`MarketPath::year_factor`): the one-year conditional probability
    /// P(sqrt(ρ) Y + sqrt(1-ρ) ε < c | Y = y) = Φ((c - sqrt(ρ) y) / sqrt(1-ρ))
    /// spread over the year's k steps as 1 - (1 - p)^(1/k). Given Y, a
    /// company that is tested in each of the year's steps then fails
    /// within the year with probability exactly p, independently of the
    /// others: the one-year default count is Vasicek's mixture at the
    /// one-year ρ for any k.
    #[inline]
    pub(crate) fn conditional_failure(&self, threshold: f64, y: f64) -> f64 {
        if threshold == f64::NEG_INFINITY {
            0.0
        } else if threshold == f64::INFINITY {
            1.0
        } else {
            let annual = self.phi.cdf((threshold - self.factor_loading * y) / self.idio_loading);
            if self.steps_per_year == 1 { annual } else { per_step_probability(annual, self.steps_per_year) }
        }
    }

    /// `conditional_failure` for the stages' own thresholds, from stage
    /// `from` up (earlier stages are left NaN, which fails no comparison).
    #[inline]
    pub fn stage_failure(&self, y: f64, from: usize) -> [f64; 4] {
        let mut p = [f64::NAN; 4];
        for (p, stage) in p.iter_mut().zip(&self.stages).skip(from) {
            *p = self.conditional_failure(stage.failure_threshold, y);
        }
        p
    }
}

/// Where a company is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Private,
    Listed,
    Failed,
    Acquired,
}

/// What happened to a company in one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    None,
    Failed,
    /// Listed at this price for 100 % of the equity.
    Ipo {
        price: f64,
    },
    /// Sold at this price for 100 % of the equity.
    Acquired {
        price: f64,
    },
    /// Raised a round at this post-money valuation (priced from value, at
    /// least `step_up` times the last round's); new investors took
    /// `dilution` of it.
    Round {
        post_money: f64,
        dilution: f64,
    },
}

/// One company: its stage, true value V (kept as ln V, so a step's drift is
/// an addition; `value()` exponentiates when a holder looks), last-round
/// mark M and status. The price of a listed company is kept the same way
/// (and in `mark`).
#[derive(Debug, Clone)]
pub struct Company {
    pub stage: Stage,
    pub log_value: f64,
    pub mark: f64,
    pub status: Status,
    /// True value when it entered (for warrants).
    pub entry_value: f64,
    /// Key of the company's random streams (see `rng`).
    pub key: u64,
    /// The high 32 bits of a hash of `key`: the company is of the
    /// high-growth type for life when they fall below
    /// `CompanyModel::high_growth_bits`, so with probability
    /// `market.high_growth_share`, independently of every draw of its life,
    /// and the same whether its value is simulated or not.
    pub prospect: u32,
}

/// The integer form of a failure test: for the high 32 bits h of a draw,
/// h 2^-32 < p exactly when h < ceil(p 2^32) (both sides are exact in
/// floating point: h has 32 bits and scaling by 2^32 is exact).
///
/// The ceiling is taken by truncating and adding one where that fell short
/// (exact for 0 <= x < 2^53), not by `f64::ceil`, which without SSE4.1 is a
/// library call: a NaN or a negative p gives 0, as `ceil` then `as` did.
#[inline]
pub(crate) fn failure_threshold_bits(p: f64) -> u64 {
    let x = p * 4_294_967_296.0;
    let truncated = x as u64;
    truncated + ((truncated as f64) < x) as u64
}

/// A uniform in [0, 1) from the high 32 bits of a draw.
#[inline]
fn high_uniform(x: u64) -> f64 {
    (x >> 32) as f64 * TWO_POW_MINUS_32
}

/// A uniform in [0, 1) from the low 32 bits of a draw.
#[inline]
fn low_uniform(x: u64) -> f64 {
    (x & 0xFFFF_FFFF) as f64 * TWO_POW_MINUS_32
}

const TWO_POW_MINUS_32: f64 = 1.0 / 4_294_967_296.0;

/// Mixed into a company's key for its type hash.
const HIGH_GROWTH_SALT: u64 = 0x4849_4748_4752_4f57;

/// The type hash of the company keyed `key` (see `Company::prospect`).
#[inline]
fn prospect(key: u64) -> u32 {
    (splitmix64(key ^ HIGH_GROWTH_SALT) >> 32) as u32
}

/// Step index of the entry draw (no simulated step has it).
const ENTRY: u64 = u64::MAX;

impl Company {
    /// A new private company at `stage`, valued by a lognormal draw around
    /// the stage's entry valuation (median `entry_valuation`, log sd
    /// `entry_valuation_sigma`), from its own entry stream.
    pub fn enter(model: &CompanyModel, stage: Stage, key: u64) -> Company {
        let s = &model.stages[stage.index()];
        let n: f64 = step_stream(key, ENTRY).sample(StandardNormal);
        let log_value = s.entry_log_valuation + s.entry_valuation_sigma * n;
        let value = log_value.exp();
        Company {
            stage,
            log_value,
            mark: value,
            status: Status::Private,
            entry_value: value,
            key,
            prospect: prospect(key),
        }
    }

    /// A new private company whose value is never looked at (a borrower
    /// without warrants): no entry draw, value 1, the same type as `enter`
    /// gives it (so the same exits).
    pub fn enter_lean(stage: Stage, key: u64) -> Company {
        Company {
            stage,
            log_value: 0.0,
            mark: 1.0,
            status: Status::Private,
            entry_value: 1.0,
            key,
            prospect: prospect(key),
        }
    }

    /// Only the failure test of a private company's step `t` (its first
    /// draw): for a holder for whom nothing else in the step matters.
    /// `threshold` is `failure_threshold_bits(p)` of the step's failure
    /// probability: the test is the same as `step`'s, U < p, in integers.
    #[inline]
    pub(crate) fn fails(&mut self, t: usize, threshold: u64) -> bool {
        let failed = first_draw(self.key, t as u64) >> 32 < threshold;
        if failed {
            self.status = Status::Failed;
            self.mark = 0.0;
        }
        failed
    }

    /// True value V of 100 % of the equity (the price once listed).
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.log_value.exp()
    }

    /// Advance through step `t` in factor `z` and regime `regime`;
    /// `failure` is the company's per-step failure probability conditional
    /// on `z` (see `CompanyModel::conditional_failure`). Exits come at the
    /// stage hazards whatever the value (a borrower's: its lender's
    /// warrants must not move its defaults, see `step_lean`).
    #[inline(always)]
    pub fn step(&mut self, model: &CompanyModel, t: usize, z: f64, regime: usize, failure: f64) -> Event {
        match self.status {
            Status::Private => self.step_private::<true, false>(model, t, z, regime, failure),
            _ => self.step_public(model, t, z),
        }
    }

    /// As `step`, with exits that depend on value: a private company's
    /// IPO and acquisition probabilities are scaled by
    /// `CompanyModel::exit_multipliers` of its value at the start of the
    /// step (the venture fund's companies, MODEL.md 4.1). With both
    /// elasticities 0 it is `step`, draw for draw.
    #[inline(always)]
    pub fn step_equity(&mut self, model: &CompanyModel, t: usize, z: f64, regime: usize, failure: f64) -> Event {
        match self.status {
            Status::Private => self.step_private::<true, true>(model, t, z, regime, failure),
            _ => self.step_public(model, t, z),
        }
    }

    /// A listed company's price walk; failed and acquired companies do
    /// not move.
    #[inline(always)]
    fn step_public(&mut self, model: &CompanyModel, t: usize, z: f64) -> Event {
        if self.status == Status::Listed {
            let mut rng = step_stream(self.key, t as u64);
            let e: f64 = rng.sample(StandardNormal);
            let shock = model.value_factor_loading * z + model.value_idio_loading * e;
            self.log_value += model.public_log_drift + model.public_vol * shock;
            self.mark = self.log_value.exp();
        }
        Event::None
    }

    /// As `step` for a private company, without moving its value: the same
    /// failures, exits and rounds (the value draws come last in the step's
    /// stream), for holders that never look at value.
    #[inline]
    pub fn step_lean(&mut self, model: &CompanyModel, t: usize, regime: usize, failure: f64) -> Event {
        match self.status {
            Status::Private => self.step_private::<false, false>(model, t, 0.0, regime, failure),
            _ => Event::None,
        }
    }

    #[inline(always)]
    fn step_private<const VALUES: bool, const VALUE_EXITS: bool>(
        &mut self,
        model: &CompanyModel,
        t: usize,
        z: f64,
        regime: usize,
        failure: f64,
    ) -> Event {
        let mut rng = step_stream(self.key, t as u64);
        let s = &model.stages[self.stage.index()];
        let high = (self.prospect as u64) < model.high_growth_bits;

        // 1. Failure: U < P(X < Φ⁻¹(q) | Z).
        let first = rng.next_u64();
        let u_fail = high_uniform(first);
        if u_fail < failure {
            self.status = Status::Failed;
            self.mark = 0.0;
            return Event::Failed;
        }
        // 2. Exit by IPO or acquisition, at the company's type's hazards.
        let u_exit = low_uniform(first);
        let (ipo, acquisition) = if high { (&s.ipo_high, &s.acquisition_high) } else { (&s.ipo, &s.acquisition) };
        let (mut p_ipo, mut p_acquisition) = (ipo[regime], acquisition[regime]);
        if VALUE_EXITS && model.value_exits {
            // The scaled probabilities are at most cap x the stage's: a
            // uniform above that is no exit whatever the value, and most
            // steps end here without an exponential.
            if u_exit < model.exit_value_cap * (p_ipo + p_acquisition) {
                (p_ipo, p_acquisition) =
                    model.scaled_exits_out_of_line(p_ipo, p_acquisition, self.stage, self.log_value);
            } else {
                (p_ipo, p_acquisition) = (0.0, 0.0);
            }
        }
        if u_exit < p_ipo {
            let price = self.value() * model.valuation_multiplier[regime] * model.ipo_premium;
            self.status = Status::Listed;
            self.log_value = price.ln();
            self.mark = price;
            return Event::Ipo { price };
        }
        if u_exit < p_ipo + p_acquisition {
            let price = self.value() * s.acquisition_multiple * model.valuation_multiplier[regime];
            self.status = Status::Acquired;
            self.log_value = price.ln();
            self.mark = price;
            return Event::Acquired { price };
        }
        // 3. Milestone, a priced round if value has grown, then 4. value
        // drift. The pricing normal is read only at a milestone; the draws
        // before it (and so every failure, exit and stage) are the same
        // either way.
        let u_round = high_uniform(rng.next_u64());
        let mut event = Event::None;
        if u_round < s.round {
            if VALUES {
                let n_price: f64 = rng.sample(StandardNormal);
                if self.log_value - self.mark.ln() >= s.log_step_up {
                    self.log_value += s.log_new_money;
                    let post_money = (self.log_value + s.pricing_drift + s.step_up_sigma * n_price).exp();
                    self.mark = post_money;
                    event = Event::Round { post_money, dilution: s.dilution };
                }
            }
            self.stage = self.stage.next();
        }
        if VALUES {
            let n_value: f64 = rng.sample(StandardNormal);
            let shock = model.value_factor_loading * z + model.value_idio_loading * n_value;
            let drift = if high { s.log_drift_high } else { s.log_drift };
            self.log_value += drift + s.vol * shock;
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_threshold_bits_is_the_ceiling_of_p_times_two_to_the_32() {
        let mut ps = vec![0.0, -0.0, 1.0, 0.5, 0.25, 1e-300, 2.3e-10, 1.0 - 1e-16, f64::NAN, -1e-17];
        // Exact multiples of 2^-32 and their neighbours, and random p.
        for i in [1u64, 2, 3, 1 << 20, (1 << 32) - 1] {
            let p = i as f64 / 4_294_967_296.0;
            ps.extend([p, f64::from_bits(p.to_bits() + 1), f64::from_bits(p.to_bits() - 1)]);
        }
        ps.extend((0..10_000u64).map(|i| (splitmix64(i) >> 11) as f64 / (1u64 << 53) as f64));
        for p in ps {
            assert_eq!(failure_threshold_bits(p), (p * 4_294_967_296.0).ceil() as u64, "p = {p:e}");
        }
    }
}
