//! The bank's lending decision (MODEL.md section 6.11, the `[lending]`
//! table): applicants of two classes (with and without a credit file),
//! each with its own risk that the bank reads with noise; the bank lends
//! when its expected annual return on a loan, after the risk the policy
//! takes off it, clears its hurdle, and decides the same applicants again
//! without the policy (the baseline). Items 三, 八, 九 and 十一 of the
//! measures act here: risk sharing and the pool raise the return the bank
//! keeps, an IP pledge meets a collateral requirement, a first-loan
//! programme lowers the premium asked of firms without a credit file.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::{ATTRIBUTES, Lending, LoanOutcome, LoanProgram, LoanProgramSpec, LoanWorkspace, cohort_salt};
use crate::model::company::{Company, CompanyModel, Event, failure_threshold_bits};
use crate::model::market::MarketPath;
use crate::model::normal::{CdfTable, inverse_cdf};
use crate::rng::{Stream, company_key};

/// The bank's view of one class of applicant (with or without a credit
/// file), precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ApplicantClass {
    /// Mean of the applicants' probit thresholds c = Φ⁻¹(PD): c̄ =
    /// Φ⁻¹(class PD) sqrt(1 + σ²), so that the mean PD is the class PD.
    pub(super) mean_threshold: f64,
    pub(super) dispersion: f64,
    pub(super) noise: f64,
    /// Posterior weight β = σ² / (σ² + τ²) on the bank's signal, and
    /// 1 / sqrt(1 + σ² (1 - β)) (the posterior-mean PD is
    /// Φ((c̄ (1 - β) + β s) / sqrt(1 + σ² (1 - β)))).
    pub(super) weight: f64,
    pub(super) scale: f64,
    /// Required annual return with the policy and without it.
    pub(super) hurdle_policy: f64,
    pub(super) hurdle_baseline: f64,
}

/// The lending decision's constants.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decision {
    pub(super) classes: [ApplicantClass; 2],
    /// Annual return on a yuan lent before expected losses: interest less
    /// funding, plus the bank's reward spread over the term (policy).
    pub(super) margin_policy: f64,
    pub(super) margin_baseline: f64,
    /// The bank's expected loss given default: unsecured, and pledged
    /// (lgd x (1 - mean IP recovery)).
    pub(super) lgd: f64,
    pub(super) lgd_pledged: f64,
    /// Share of a loss left after the guarantee and the insurance.
    pub(super) uncovered: f64,
    pub(super) ratio: f64,
    pub(super) per_loan_cap: f64,
    /// PD factor of the interest subsidy (1: none).
    pub(super) relief: f64,
}

impl Decision {
    /// The decision's constants for a programme with lending table `l`.
    pub(super) fn new(spec: &LoanProgramSpec, l: &Lending, model: &CompanyModel) -> Decision {
        let p = &spec.policy;
        let stage = spec.borrower_stage.index();
        let sigma = l.pd_dispersion;
        let classes = [false, true].map(|first| {
            // On the probit scale a class PD of exactly 0 or 1 would be an
            // infinite threshold; within 1e-12 of them it changes nothing
            // a 32-bit failure uniform can resolve.
            let pd = spec.class_pd(model, stage, first).clamp(1e-12, 1.0 - 1e-12);
            let noise = if first { l.first_loan_screening_noise } else { l.screening_noise };
            let weight = if sigma == 0.0 { 0.0 } else { sigma * sigma / (sigma * sigma + noise * noise) };
            let premium = if first { l.first_loan_premium } else { 0.0 };
            ApplicantClass {
                mean_threshold: inverse_cdf(pd) * (1.0 + sigma * sigma).sqrt(),
                dispersion: sigma,
                noise,
                weight,
                scale: 1.0 / (1.0 + sigma * sigma * (1.0 - weight)).sqrt(),
                hurdle_policy: l.hurdle + premium * (1.0 - p.first_loan_relief),
                hurdle_baseline: l.hurdle + premium,
            }
        });
        let bank_reward = p.insurance.as_ref().map_or(0.0, |i| i.bank_reward);
        let spread = spec.interest_rate - spec.funding_cost;
        let pool = p.risk_compensation.as_ref();
        Decision {
            classes,
            margin_policy: spread + bank_reward / spec.term_years,
            margin_baseline: spread,
            lgd: spec.lgd,
            lgd_pledged: spec.lgd * (1.0 - spec.ip_recovery),
            uncovered: (1.0 - spec.covered_share()).max(0.0),
            ratio: pool.map_or(0.0, |r| r.ratio),
            per_loan_cap: pool.and_then(|r| r.per_loan_cap).unwrap_or(f64::INFINITY),
            relief: spec.subsidy_relief(),
        }
    }

    /// Share of a loss of `lgd` per yuan the bank keeps, with the pool
    /// paying while it has money.
    #[inline]
    pub(super) fn kept(&self, lgd: f64, pool_open: bool) -> f64 {
        let left = self.uncovered * lgd;
        if pool_open { left - (self.ratio * left).min(self.per_loan_cap) } else { left }
    }
}

/// One applicant's own draws: first-time borrower or not, IP to pledge or
/// not, its risk and the noise of the bank's reading (standard normals),
/// and its attribute stream after them (which gives its IP recovery on
/// default). The same for every variant of a lockstep run.
#[derive(Debug, Clone)]
pub(super) struct Applicant {
    pub(super) first: bool,
    has_ip: bool,
    risk: f64,
    reading: f64,
    pub(super) stream: Stream,
}

/// A cohort's loss kept by the bank and PD factor on the borrower, by
/// [unpledged, pledged] (`LoanProgram::terms`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Terms {
    kept: [f64; 2],
    uplift: [f64; 2],
}

/// What the bank decides on one applicant it lends to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loan {
    /// Lent without the policy too.
    pub(super) baseline: bool,
    pub(super) pledged: bool,
    /// The borrower's one-year probit threshold under the policy (its
    /// fate's only input besides its company draws).
    pub(super) threshold: f64,
}

impl LoanProgram {
    /// The draws of applicant `i` of the cohort with salt `salt`.
    #[inline]
    pub(super) fn applicant(&self, path_key: u64, salt: u64, i: u64) -> Applicant {
        let spec = &self.spec;
        let mut a = Stream::from_key(company_key(path_key, self.key ^ ATTRIBUTES ^ salt, i));
        let first = a.random::<f64>() < spec.first_loan_share;
        let has_ip = a.random::<f64>() < spec.ip_pledge_share;
        let risk: f64 = a.sample(StandardNormal);
        let reading: f64 = a.sample(StandardNormal);
        Applicant { first, has_ip, risk, reading, stream: a }
    }

    /// The bank's reading of applicant `a`: its one-year threshold and the
    /// perceived PD, the posterior mean given the signal s = c + τ n. It
    /// depends on the applicant's class alone (`ApplicantClass`), so
    /// lockstep variants with the same class share it.
    #[inline]
    pub(super) fn perceive(class: &ApplicantClass, model: &CompanyModel, a: &Applicant) -> (f64, f64) {
        let phi: &CdfTable = &model.phi;
        let threshold = class.mean_threshold + class.dispersion * a.risk;
        let signal = threshold + class.noise * a.reading;
        let perceived = phi.cdf((class.mean_threshold * (1.0 - class.weight) + class.weight * signal) * class.scale);
        (threshold, perceived)
    }

    /// The bank's decision on applicant `a` (with the policy, and without
    /// it for the baseline, on the same draws); `None` when it does not
    /// lend. The decision is monotone: every lever can only raise an
    /// applicant's expected return to the bank, so the baseline loans are
    /// among the loans made.
    #[inline]
    pub(super) fn decide(&self, d: &Decision, model: &CompanyModel, a: &Applicant, terms: &Terms) -> Option<Loan> {
        self.choose(d, model, a, Self::perceive(&d.classes[a.first as usize], model, a), terms)
    }

    /// What the policy leaves the bank of a loss and the PD factor it
    /// puts on the borrower, for an unpledged and a pledged loan, with the
    /// pool open or closed: the same for every applicant of a cohort.
    pub(super) fn terms(&self, d: &Decision, pool_open: bool) -> Terms {
        let lending = self.spec.lending.as_ref().expect("a decision comes with a lending table");
        let term = |pledged: bool| {
            let lgd = if pledged { d.lgd_pledged } else { d.lgd };
            let kept = d.kept(lgd, pool_open);
            // The subsidy's relief, and moral hazard rising with the share
            // of the loss passed on.
            let passed_on = if lgd > 0.0 { 1.0 - kept / lgd } else { 0.0 };
            (kept, d.relief * (1.0 + lending.moral_hazard * passed_on))
        };
        let (unpledged, pledged) = (term(false), term(true));
        Terms { kept: [unpledged.0, pledged.0], uplift: [unpledged.1, pledged.1] }
    }

    /// `decide` given the applicant's threshold and perceived PD and the
    /// cohort's `terms`.
    #[inline]
    pub(super) fn choose(
        &self,
        d: &Decision,
        model: &CompanyModel,
        a: &Applicant,
        (threshold, perceived): (f64, f64),
        terms: &Terms,
    ) -> Option<Loan> {
        let spec = &self.spec;
        let lending = spec.lending.as_ref().expect("a decision comes with a lending table");
        let phi: &CdfTable = &model.phi;
        let term_years = spec.term_years;
        // Probability of default within the term for an annual PD.
        let within_term = |pd: f64| if term_years == 1.0 { pd } else { 1.0 - (1.0 - pd).powf(term_years) };
        let class = &d.classes[a.first as usize];
        let needs_collateral = lending.collateral_pd.is_some_and(|x| perceived > x);
        // Without the policy: no risk sharing, no reward, no IP pledge.
        let baseline = !needs_collateral
            && d.margin_baseline - within_term(perceived) * d.lgd / term_years >= class.hurdle_baseline;
        // With it: an applicant with IP pledges it (item 八).
        let pledged = a.has_ip;
        let kept = terms.kept[pledged as usize];
        let lends = (!needs_collateral || pledged)
            && d.margin_policy - within_term(perceived * d.relief) * kept / term_years >= class.hurdle_policy;
        if !lends {
            return None;
        }
        // The borrower's own PD under the policy.
        let uplift = terms.uplift[pledged as usize];
        let threshold = if uplift == 1.0 { threshold } else { inverse_cdf((phi.cdf(threshold) * uplift).min(1.0)) };
        Some(Loan { baseline, pledged, threshold })
    }

    /// The fate of a loan without warrants lent at `start` until `end` to
    /// the borrower with company key `company_key` and one-year threshold
    /// `threshold`: its default step, if any, and the loan-steps followed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn lean_fate(
        &self,
        market: &MarketPath,
        model: &CompanyModel,
        company_key: u64,
        threshold: f64,
        start: usize,
        end: usize,
    ) -> (Option<usize>, u64) {
        let mut company = Company::enter_lean(self.spec.borrower_stage, company_key);
        let mut p = 0.0;
        let mut steps = 0;
        for t in start..end {
            if t == start || t % self.steps_per_year as usize == 0 {
                p = model.conditional_failure(threshold, market.year_factor[t]);
            }
            steps += 1;
            if t + 1 == end {
                if company.fails(t, failure_threshold_bits(p)) {
                    return (Some(t), steps);
                }
                break;
            }
            match company.step_lean(model, t, market.regime[t] as usize, p) {
                Event::Failed => return (Some(t), steps),
                Event::Ipo { .. } | Event::Acquired { .. } => break,
                _ => {}
            }
        }
        (None, steps)
    }

    /// A loan made and its fate (`defaulted`): the baseline and default
    /// counts, and the default's loss (drawn from the applicant's
    /// attribute stream `stream` as it stands after its draws) recorded.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn book(
        &self,
        loan: Loan,
        defaulted: Option<usize>,
        stream: &Stream,
        market: &MarketPath,
        end: usize,
        ws: &mut LoanWorkspace,
        o: &mut LoanOutcome,
    ) {
        if loan.baseline {
            o.baseline_loans += 1;
        }
        if let Some(t) = defaulted {
            if loan.baseline {
                o.baseline_defaults += 1;
            } else {
                o.additional_defaults += 1;
            }
            // The stream is read once, after the applicant's draws: each
            // variant of a lockstep run reads its own copy of it.
            let loss = self.loss(loan.pledged, &mut stream.clone(), market.year_factor[t]);
            self.record(ws, t, end, loss);
        }
    }

    /// The fate of a loan with warrants: its borrower followed over the
    /// horizon (`follow`), exits paying the warrant into `o`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn warrant_fate(
        &self,
        market: &MarketPath,
        model: &CompanyModel,
        company_key: u64,
        threshold: f64,
        start: usize,
        end: usize,
        ws: &LoanWorkspace,
        o: &mut LoanOutcome,
    ) -> Option<usize> {
        let mut company = Company::enter(model, self.spec.borrower_stage, company_key);
        let failure =
            |t: usize, _: usize, _: &LoanWorkspace| model.conditional_failure(threshold, market.year_factor[t]);
        self.follow(&mut company, market, model, start, end, ws, o, failure)
    }

    /// Cohort `c` with a lending table: each applicant's risk and the
    /// bank's reading of it are drawn, the bank decides with the policy and
    /// without it (the baseline, on the same draws), and the loans made are
    /// followed to maturity. Returns the loans made.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn lend(
        &self,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        d: &Decision,
        c: u32,
        start: usize,
        pool_open: bool,
        ws: &mut LoanWorkspace,
        o: &mut LoanOutcome,
    ) -> u64 {
        let spec = &self.spec;
        let lending = spec.lending.as_ref().expect("a decision comes with a lending table");
        let horizon = market.z.len();
        let end = (start + self.term_steps).min(horizon);
        let salt = cohort_salt(c);
        let key = self.key ^ salt;
        let warrants = spec.warrant_coverage > 0.0;
        let terms = self.terms(d, pool_open);
        let mut made = 0u64;
        for i in 0..lending.applicants as u64 {
            let a = self.applicant(path_key, salt, i);
            let Some(loan) = self.decide(d, model, &a, &terms) else { continue };
            made += 1;
            let company_key = company_key(path_key, key, i);
            let defaulted = if warrants {
                self.warrant_fate(market, model, company_key, loan.threshold, start, end, ws, o)
            } else {
                let (defaulted, steps) = self.lean_fate(market, model, company_key, loan.threshold, start, end);
                o.loan_steps += steps;
                defaulted
            };
            self.book(loan, defaulted, &a.stream, market, end, ws, o);
        }
        o.loans_made += made;
        made
    }
}
