//! The company life cycle (MODEL.md section 3): every portfolio company and
//! every borrower is a `Company` stepped through time by `CompanyModel`.
//!
//! Each step a private company (1) fails when its one-factor Gaussian-copula
//! latent falls below the stage threshold, else (2) exits by IPO or
//! acquisition with the stage hazards scaled by the regime and policy, else
//! (3) raises a round with the stage's round rate, and (4) its true value
//! drifts. Its mark only changes at rounds and exits, so reported NAV is
//! stale against true value. A listed company's price follows a lognormal
//! walk until its holders have sold.
//!
//! Draw alignment: a private company draws exactly five numbers per step
//! (ε, exit uniform, round uniform, step-up normal, value normal) whatever
//! happens, and a listed one draws one. A company's fate therefore depends
//! only on its own stream and the market path, never on a lever that does
//! not change its behaviour (common random numbers, MODEL.md section 5).

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::model::market::Market;
use crate::model::normal::{inverse_cdf, per_step_probability};
use crate::model::policy::Policy;
use crate::rng::Stream;

/// Company stages in order of maturity.
pub const STAGES: [&str; 4] = ["seed", "early", "growth", "late"];

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
    /// Φ⁻¹(per-step failure probability).
    pub failure_threshold: f64,
    /// Per-step IPO probability in each regime (policy multiplier included).
    pub ipo: Vec<f64>,
    /// Per-step acquisition probability in each regime.
    pub acquisition: Vec<f64>,
    pub round: f64,
    pub log_step_up: f64,
    pub step_up_sigma: f64,
    pub dilution: f64,
    /// (μ - σ²/2)/k
    pub log_drift: f64,
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
    /// Listed price: (−σ²/2)/k and σ/sqrt(k) (a martingale).
    pub public_log_drift: f64,
    pub public_vol: f64,
}

impl CompanyModel {
    pub fn new(
        market: &Market,
        policy: &Policy,
        params: [StageParams; 4],
        steps_per_year: u32,
    ) -> Self {
        let k = steps_per_year;
        let dt = 1.0 / k as f64;
        let regimes = &market.regimes;
        let stages = params.clone().map(|p| {
            let ipo: Vec<f64> = regimes
                .ipo_multiplier
                .iter()
                .map(|m| (p.ipo_rate * m * policy.ipo_registration_multiplier).min(1.0))
                .collect();
            let acq: Vec<f64> = regimes
                .acquisition_multiplier
                .iter()
                .map(|m| (p.acquisition_rate * m).min(1.0))
                .collect();
            let (ipo, acquisition) = ipo
                .iter()
                .zip(&acq)
                .map(|(&i, &a)| {
                    let (i, a) = (per_step_probability(i, k), per_step_probability(a, k));
                    // Two competing exits cannot exceed certainty together.
                    let total = i + a;
                    if total > 1.0 {
                        (i / total, a / total)
                    } else {
                        (i, a)
                    }
                })
                .unzip();
            StageStep {
                failure_threshold: inverse_cdf(per_step_probability(p.failure_rate, k)),
                ipo,
                acquisition,
                round: per_step_probability(p.next_round_rate, k),
                log_step_up: p.step_up.ln(),
                step_up_sigma: p.step_up_sigma,
                dilution: p.dilution,
                log_drift: (p.value_drift - 0.5 * p.value_vol * p.value_vol) * dt,
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
            public_log_drift: -0.5 * market.public_vol * market.public_vol * dt,
            public_vol: market.public_vol * dt.sqrt(),
        }
    }

    /// Failure threshold for an annual failure probability `pd` (borrowers
    /// whose PD overrides their stage's failure rate).
    pub fn threshold_for(&self, pd: f64) -> f64 {
        inverse_cdf(per_step_probability(pd, self.steps_per_year))
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
    /// Raised a round at this post-money valuation; new investors took
    /// `dilution` of it.
    Round {
        post_money: f64,
        dilution: f64,
    },
}

/// One company: its stage, true value V, last-round mark M and status. The
/// price of a listed company is kept in `value` (and `mark`).
#[derive(Debug, Clone)]
pub struct Company {
    pub stage: u8,
    pub value: f64,
    pub mark: f64,
    pub status: Status,
    pub rng: Stream,
}

impl Company {
    /// A new private company at `stage`, valued by a lognormal draw around
    /// the stage's entry valuation (median `entry_valuation`, log sd
    /// `entry_valuation_sigma`). This is the first draw of its stream.
    pub fn enter(model: &CompanyModel, stage: u8, mut rng: Stream) -> Company {
        let s = &model.stages[stage as usize];
        let n: f64 = rng.sample(StandardNormal);
        let value = (s.entry_log_valuation + s.entry_valuation_sigma * n).exp();
        Company {
            stage,
            value,
            mark: value,
            status: Status::Private,
            rng,
        }
    }

    /// Reported value of 100 % of the equity: the last-round mark while
    /// private, the market price once listed.
    #[inline]
    pub fn reported(&self) -> f64 {
        self.mark
    }

    /// Advance one step in factor `z` and regime `regime`. `failure_threshold`
    /// is Φ⁻¹ of the per-step failure probability (the stage's, or a
    /// borrower's PD override).
    #[inline]
    pub fn step(
        &mut self,
        model: &CompanyModel,
        z: f64,
        regime: usize,
        failure_threshold: f64,
    ) -> Event {
        match self.status {
            Status::Private => self.step_private(model, z, regime, failure_threshold),
            Status::Listed => {
                let e: f64 = self.rng.sample(StandardNormal);
                let shock = model.value_factor_loading * z + model.value_idio_loading * e;
                self.value *= (model.public_log_drift + model.public_vol * shock).exp();
                self.mark = self.value;
                Event::None
            }
            Status::Failed | Status::Acquired => Event::None,
        }
    }

    #[inline]
    fn step_private(
        &mut self,
        model: &CompanyModel,
        z: f64,
        regime: usize,
        failure_threshold: f64,
    ) -> Event {
        let eps: f64 = self.rng.sample(StandardNormal);
        let u_exit: f64 = self.rng.random();
        let u_round: f64 = self.rng.random();
        let n_step: f64 = self.rng.sample(StandardNormal);
        let n_value: f64 = self.rng.sample(StandardNormal);
        let s = &model.stages[self.stage as usize];

        // 1. Failure: X = sqrt(ρ) Z + sqrt(1-ρ) ε < Φ⁻¹(q).
        if model.factor_loading * z + model.idio_loading * eps < failure_threshold {
            self.status = Status::Failed;
            self.mark = 0.0;
            return Event::Failed;
        }
        // 2. Exit by IPO or acquisition.
        let p_ipo = s.ipo[regime];
        if u_exit < p_ipo {
            let price = self.value * model.valuation_multiplier[regime];
            self.status = Status::Listed;
            self.value = price;
            self.mark = price;
            return Event::Ipo { price };
        }
        if u_exit < p_ipo + s.acquisition[regime] {
            let price = self.value * s.acquisition_multiple * model.valuation_multiplier[regime];
            self.status = Status::Acquired;
            self.value = price;
            self.mark = price;
            return Event::Acquired { price };
        }
        // 3. Next round, then 4. value drift.
        let mut event = Event::None;
        if u_round < s.round {
            self.value *= (s.log_step_up + s.step_up_sigma * n_step).exp();
            self.mark = self.value;
            event = Event::Round {
                post_money: self.value,
                dilution: s.dilution,
            };
            if (self.stage as usize) < STAGES.len() - 1 {
                self.stage += 1;
            }
        }
        let shock = model.value_factor_loading * z + model.value_idio_loading * n_value;
        self.value *= (s.log_drift + s.vol * shock).exp();
        event
    }
}
