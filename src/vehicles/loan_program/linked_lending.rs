//! The bank's lending decision on a fund's portfolio companies: a loan
//! programme with `borrowers_from` and a `[lending]` table (投贷联动 on the
//! bank's decision, item 十; docs/CREDIT.md section 11, docs/MODEL.md 6.13).
//!
//! The company's fate is the fund's: whether it fails while the loan would
//! run is fixed by the fund's simulation. The bank does not see that fate;
//! it reads the company's risk with noise, as it reads an applicant's in
//! the stand-alone lending model (`lending.rs`), and lends when its
//! expected return clears the hurdle. To make the risk and the fate one
//! firm's, the risk is drawn given the fate, from the lending model's own
//! joint law:
//!
//! - a firm's probit threshold over the loan's term is c = c̄ + σ X with X
//!   standard normal, σ = `pd_dispersion`, c̄ = Φ⁻¹(q) sqrt(1 + σ²) and q
//!   the term PD of the bank's prior, 1 - (1 - `pd`)^`term_years`; the
//!   firm fails within the term with probability Φ(c) given c, so with q
//!   on average;
//! - equivalently it fails when V = (W - σ X) / sqrt(1 + σ²) < Φ⁻¹(q), W
//!   a second standard normal (its luck): V is standard normal and
//!   corr(X, V) = ρ = -σ / sqrt(1 + σ²);
//! - given the fund's fate, V is drawn from the standard normal truncated
//!   to the side of Φ⁻¹(q) the fate says, then X = ρ V + sqrt(1 - ρ²) Z.
//!
//! The bank reads s = c + τ N (τ = `screening_noise`) and estimates the
//! firm's term PD as the posterior mean of Φ(c), Φ((c̄ (1 - β) + β s) /
//! sqrt(1 + σ² (1 - β))) with β = σ² / (σ² + τ²), the formula of the
//! lending model. A perfectly informative signal (τ = 0) reveals the risk
//! c, not the luck W; with σ = 0 every firm looks like the prior.
//!
//! The draws (U, Z, N) come from a stream keyed by the path, the programme
//! and the loan's index, apart from every stream of the fund, so the
//! fund's results do not move. The levers enter as in `lending.rs`: risk
//! sharing and the pool cut the loss the bank keeps, the reward adds to its
//! margin, an IP pledge cuts the loss and meets a collateral requirement;
//! the decision without them on the same draws is the baseline.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::LoanProgramSpec;
use super::lending::Decision;
use crate::model::normal::{cdf, inverse_cdf};
use crate::rng::{Stream, company_key};

/// Salt of the screening streams of linked loans.
const SCREEN: u64 = 0x5343_5245_454E_4C4B;

/// The constants of the bank's reading of a fund's companies.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Screen {
    /// The prior term PD q (clamped off 0 and 1) and Φ⁻¹(q).
    prior: f64,
    fate_cut: f64,
    /// c̄, σ, τ, ρ, β and 1 / sqrt(1 + σ² (1 - β)).
    mean_threshold: f64,
    dispersion: f64,
    noise: f64,
    rho: f64,
    weight: f64,
    scale: f64,
    /// `term_years` and `lending.collateral_pd` (an annual PD).
    term_years: f64,
    collateral_pd: Option<f64>,
}

/// The bank's decision on one offered loan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Verdict {
    /// Lent under the policy, and lent without any lever (the baseline).
    pub lends: bool,
    pub baseline: bool,
    /// The firm's true risk c and the bank's estimate of its term PD (for
    /// tests).
    pub threshold: f64,
    pub perceived: f64,
}

impl Screen {
    /// The screen of a linked programme with a lending table; `None`
    /// otherwise. `pd` is required with both (checked by validation).
    pub(super) fn new(spec: &LoanProgramSpec) -> Option<Screen> {
        let l = spec.lending.as_ref().filter(|_| spec.borrowers_from.is_some())?;
        let annual = spec.pd?;
        let prior = (1.0 - (1.0 - annual).powf(spec.term_years)).clamp(1e-12, 1.0 - 1e-12);
        let (sigma, tau) = (l.pd_dispersion, l.screening_noise);
        let weight = if sigma == 0.0 { 0.0 } else { sigma * sigma / (sigma * sigma + tau * tau) };
        let fate_cut = inverse_cdf(prior);
        Some(Screen {
            prior,
            fate_cut,
            mean_threshold: fate_cut * (1.0 + sigma * sigma).sqrt(),
            dispersion: sigma,
            noise: tau,
            rho: -sigma / (1.0 + sigma * sigma).sqrt(),
            weight,
            scale: 1.0 / (1.0 + sigma * sigma * (1.0 - weight)).sqrt(),
            term_years: spec.term_years,
            collateral_pd: l.collateral_pd,
        })
    }

    /// Decide loan `index` of programme `key` on path `path_key`, whose
    /// company fails within the loan's span when `fails`; `pledged`: the
    /// loan comes with an IP pledge.
    pub(super) fn decide(
        &self,
        d: &Decision,
        path_key: u64,
        key: u64,
        index: u64,
        fails: bool,
        pledged: bool,
    ) -> Verdict {
        let mut a = Stream::from_key(company_key(path_key, key ^ SCREEN, index));
        // A uniform strictly within (0, 1): 53 bits and a half.
        let u = ((a.random::<u64>() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        let z: f64 = a.sample(StandardNormal);
        let n: f64 = a.sample(StandardNormal);
        let q = self.prior;
        let v = if fails { inverse_cdf(u * q) } else { inverse_cdf(q + u * (1.0 - q)) };
        // Keep V on the side of the cut the fate says whatever the rounding,
        // and finite (q + u (1 - q) may round to 1); the cut is within ±7.1.
        let v = if fails { v.min(self.fate_cut) } else { v.max(self.fate_cut) }.clamp(-38.0, 38.0);
        let x = self.rho * v + (1.0 - self.rho * self.rho).sqrt() * z;
        let threshold = self.mean_threshold + self.dispersion * x;
        let signal = threshold + self.noise * n;
        let perceived = cdf((self.mean_threshold * (1.0 - self.weight) + self.weight * signal) * self.scale);
        let t = self.term_years;
        let annual = 1.0 - (1.0 - perceived).powf(1.0 / t);
        let needs_collateral = self.collateral_pd.is_some_and(|x| annual > x);
        let class = &d.classes[0];
        // Without the policy: no risk sharing, no reward, no IP pledge.
        let baseline = !needs_collateral && d.margin_baseline - perceived * d.lgd / t >= class.hurdle_baseline;
        let lgd = if pledged { d.lgd_pledged } else { d.lgd };
        let kept = d.kept(lgd, true);
        let lends = (!needs_collateral || pledged) && d.margin_policy - perceived * kept / t >= class.hurdle_policy;
        Verdict { lends, baseline, threshold, perceived }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;
    use crate::vehicles::VehicleKind;

    /// Fates drawn independently with the prior's probability q must give
    /// risks with the lending model's law: X standard normal
    /// (Kolmogorov-Smirnov at rand_distr's critical value 1.95 / sqrt(n))
    /// and, given the threshold c, failure with probability Φ(c) (checked
    /// in ten bins of c, each within four binomial standard errors).
    #[test]
    fn risks_drawn_given_independent_fates_have_the_lending_models_law() {
        let text = "[simulation]\nyears = 15\n[vehicles.fund]\nkind = \"venture_fund\"\n[vehicles.bank]\n\
                    kind = \"loan_program\"\nborrowers_from = \"fund\"\nterm_years = 3.0\npd = 0.04\n\
                    [vehicles.bank.lending]\npd_dispersion = 0.8\n";
        let scn = load_str(text, "t.toml", &[]).unwrap().scenario;
        let VehicleKind::LoanProgram(l) = &scn.vehicles[1].kind else { panic!() };
        let (screen, decision) = (l.screen.as_ref().unwrap(), l.decision.as_ref().unwrap());
        let q = 1.0 - 0.96f64.powi(3);
        assert!((screen.prior - q).abs() < 1e-15);
        let n = 200_000;
        let mut fates = Stream::from_key(12345);
        let mut draws: Vec<(f64, bool)> = (0..n)
            .map(|i| {
                let fails = fates.random::<f64>() < q;
                let v = screen.decide(decision, 99, l.key, i, fails, false);
                ((v.threshold - screen.mean_threshold) / screen.dispersion, fails)
            })
            .collect();
        draws.sort_by(|a, b| a.0.total_cmp(&b.0));
        let ks = draws
            .iter()
            .enumerate()
            .map(|(i, &(x, _))| (cdf(x) - i as f64 / n as f64).abs().max((cdf(x) - (i + 1) as f64 / n as f64).abs()))
            .fold(0.0, f64::max);
        assert!(ks < 1.95 / (n as f64).sqrt(), "KS distance {ks}");
        for bin in draws.chunks(n as usize / 10) {
            let m = bin.len() as f64;
            let expected: f64 =
                bin.iter().map(|&(x, _)| cdf(screen.mean_threshold + screen.dispersion * x)).sum::<f64>() / m;
            let failed = bin.iter().filter(|d| d.1).count() as f64 / m;
            let se = (expected * (1.0 - expected) / m).sqrt();
            assert!((failed - expected).abs() < 4.0 * se, "bin: {failed} failed, Φ(c) {expected} (se {se})");
        }
    }
}
