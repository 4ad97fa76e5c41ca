//! The economy shared by every vehicle of a scenario (MODEL.md section 2):
//! a common factor Z_t each step and an exit-market regime that moves once a
//! year. One `MarketPath` is drawn per Monte Carlo path from the market
//! stream, before any vehicle is simulated.

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::rng::Stream;

/// Validated `[market]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// ρ: loading of company failure on the common factor.
    pub factor_correlation: f64,
    /// Loading (as a correlation) of company and public values on the factor.
    pub value_correlation: f64,
    /// φ of the AR(1) common factor.
    pub factor_persistence: f64,
    /// Annual volatility of listed share prices during lock-up and sell-down.
    pub public_vol: f64,
    /// Companies' prospects (MODEL.md section 3): the share of companies
    /// of the high-growth type, its extra annual value drift while private
    /// and the factor on its IPO and acquisition hazards.
    pub high_growth_share: f64,
    pub high_growth_drift: f64,
    pub high_growth_exit_multiplier: f64,
    /// Value-dependent exits (MODEL.md 4.1): β of the IPO and acquisition
    /// hazard multipliers min(cap, (V / stage entry valuation)^β) of a
    /// venture fund's private companies, and the cap.
    pub ipo_value_elasticity: f64,
    pub acquisition_value_elasticity: f64,
    pub exit_value_cap: f64,
    pub regimes: Regimes,
}

/// The exit-market Markov chain and what each state does to exits.
#[derive(Debug, Clone, PartialEq)]
pub struct Regimes {
    pub states: Vec<String>,
    pub initial: Vec<f64>,
    /// Row-stochastic annual transition matrix.
    pub transition: Vec<Vec<f64>>,
    pub ipo_multiplier: Vec<f64>,
    pub acquisition_multiplier: Vec<f64>,
    pub valuation_multiplier: Vec<f64>,
}

impl Regimes {
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }
}

/// Draw an index from a probability vector with one uniform.
#[inline]
fn pick(probs: &[f64], u: f64) -> u8 {
    let mut acc = 0.0;
    for (i, &p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i as u8;
        }
    }
    // Rounding: the last state with positive probability.
    probs.iter().rposition(|&p| p > 0.0).unwrap_or(0) as u8
}

/// One path of the economy: Z_t, the failure factor of each step's year
/// and the regime in force in each step.
#[derive(Debug, Clone, Default)]
pub struct MarketPath {
    pub z: Vec<f64>,
    /// Per step: the common factor of the failure copula, Y_y of the
    /// step's year y, the same in every step of the year. Y_y is the sum of
    /// the year's Z_t scaled to unit variance, so it is N(0, 1) and moves
    /// with the values' factor; with one step a year it is Z_t itself.
    /// Failures are tested per step with probabilities conditional on Y_y
    /// (`CompanyModel::conditional_failure`), which makes the one-year
    /// default count of a cohort exactly Vasicek's mixture at the one-year
    /// ρ whatever the number of steps (MODEL.md section 3).
    pub year_factor: Vec<f64>,
    pub regime: Vec<u8>,
}

impl MarketPath {
    /// Draw the economy for `steps` steps (k a year) into `self`, reusing its
    /// buffers. The regime is drawn from `initial` for the first year and
    /// moves at the start of every later year; Z follows
    /// Z_t = φ Z_{t-1} + sqrt(1-φ²) e_t with Z_0 = e_0 (stationary start).
    pub fn simulate(&mut self, market: &Market, steps: usize, steps_per_year: u32, rng: &mut Stream) {
        self.z.clear();
        self.year_factor.clear();
        self.regime.clear();
        let phi = market.factor_persistence;
        let innovation_scale = (1.0 - phi * phi).sqrt();
        let regimes = &market.regimes;
        let mut state = pick(&regimes.initial, rng.random::<f64>());
        let mut z = 0.0;
        for t in 0..steps {
            if t > 0 && t % steps_per_year as usize == 0 {
                state = pick(&regimes.transition[state as usize], rng.random::<f64>());
            }
            let e: f64 = rng.sample(StandardNormal);
            z = if t == 0 { e } else { phi * z + innovation_scale * e };
            self.z.push(z);
            self.regime.push(state);
        }
        let k = (steps_per_year as usize).max(1);
        if k == 1 {
            self.year_factor.extend_from_slice(&self.z);
        } else {
            let scale = 1.0 / year_sum_sd(phi, k);
            for year in self.z.chunks(k) {
                let y = year.iter().sum::<f64>() * scale;
                self.year_factor.extend(std::iter::repeat_n(y, year.len()));
            }
        }
    }
}

/// Standard deviation of the sum of k consecutive values of the stationary
/// AR(1) factor with unit variance and persistence φ:
/// Var = k + 2 Σ_{j=1}^{k-1} (k - j) φ^j (sqrt(k) when φ = 0).
pub(crate) fn year_sum_sd(phi: f64, k: usize) -> f64 {
    let mut var = k as f64;
    let mut power = 1.0;
    for j in 1..k {
        power *= phi;
        var += 2.0 * (k - j) as f64 * power;
    }
    var.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{MARKET, stream};

    fn market(phi: f64) -> Market {
        Market {
            factor_correlation: 0.12,
            value_correlation: 0.3,
            factor_persistence: phi,
            public_vol: 0.4,
            high_growth_share: 0.0,
            high_growth_drift: 0.0,
            high_growth_exit_multiplier: 1.0,
            ipo_value_elasticity: 0.0,
            acquisition_value_elasticity: 0.0,
            exit_value_cap: 1.0,
            regimes: Regimes {
                states: vec!["closed".into(), "normal".into(), "hot".into()],
                initial: vec![0.2, 0.6, 0.2],
                transition: vec![vec![0.6, 0.4, 0.0], vec![0.15, 0.7, 0.15], vec![0.0, 0.4, 0.6]],
                ipo_multiplier: vec![0.2, 1.0, 2.0],
                acquisition_multiplier: vec![0.7, 1.0, 1.2],
                valuation_multiplier: vec![0.8, 1.0, 1.3],
            },
        }
    }

    #[test]
    fn pick_follows_cumulative_probabilities() {
        assert_eq!(pick(&[0.2, 0.6, 0.2], 0.0), 0);
        assert_eq!(pick(&[0.2, 0.6, 0.2], 0.19), 0);
        assert_eq!(pick(&[0.2, 0.6, 0.2], 0.2), 1);
        assert_eq!(pick(&[0.2, 0.6, 0.2], 0.81), 2);
        assert_eq!(pick(&[0.6, 0.4, 0.0], 0.999_999_999_999), 1);
    }

    #[test]
    fn regime_moves_only_at_year_starts_and_never_takes_zero_probability_moves() {
        let m = market(0.0);
        let mut path = MarketPath::default();
        for p in 0..200 {
            path.simulate(&m, 60, 4, &mut stream(1, p, MARKET));
            for t in 1..60 {
                let (a, b) = (path.regime[t - 1] as usize, path.regime[t] as usize);
                if t % 4 != 0 {
                    assert_eq!(a, b);
                } else {
                    assert!(m.regimes.transition[a][b] > 0.0);
                }
            }
        }
    }

    #[test]
    fn the_year_factor_is_shared_by_the_years_steps_and_has_unit_variance() {
        // 20,000 years at k = 4 with φ = 0.5: the sample variance of the
        // year factor has sd about sqrt(2 / 20,000) = 0.01 (more with the
        // correlation between years); tolerance 0.05.
        let m = market(0.5);
        let mut path = MarketPath::default();
        let (mut s2, mut n) = (0.0, 0.0);
        for p in 0..2000 {
            path.simulate(&m, 40, 4, &mut stream(3, p, MARKET));
            assert_eq!(path.year_factor.len(), 40);
            for year in 0..10 {
                let ys = &path.year_factor[4 * year..4 * year + 4];
                assert!(ys.iter().all(|&y| y == ys[0]));
                let sum: f64 = path.z[4 * year..4 * year + 4].iter().sum();
                assert!((ys[0] - sum / year_sum_sd(0.5, 4)).abs() < 1e-12);
                s2 += ys[0] * ys[0];
                n += 1.0;
            }
        }
        assert!((s2 / n - 1.0).abs() < 0.05, "variance {}", s2 / n);
        assert!((year_sum_sd(0.0, 12) - 12f64.sqrt()).abs() < 1e-12);
        // One step a year: the year factor is the step's factor.
        path.simulate(&m, 5, 1, &mut stream(3, 0, MARKET));
        assert_eq!(path.year_factor, path.z);
    }

    #[test]
    fn ar1_factor_has_unit_variance_and_lag_one_correlation_phi() {
        // 4,000 paths x 40 steps: the sample variance of a N(0,1) sample of
        // 160,000 (correlated within paths) has sd well under 0.02; the lag
        // correlation estimate likewise. Tolerances 0.03 (> 4 sd).
        let phi = 0.5;
        let m = market(phi);
        let mut path = MarketPath::default();
        let (mut s2, mut cross, mut n) = (0.0, 0.0, 0.0);
        for p in 0..4000 {
            path.simulate(&m, 40, 1, &mut stream(9, p, MARKET));
            for t in 1..40 {
                s2 += path.z[t] * path.z[t];
                cross += path.z[t] * path.z[t - 1];
                n += 1.0;
            }
        }
        assert!((s2 / n - 1.0).abs() < 0.03, "variance {}", s2 / n);
        assert!((cross / n - phi).abs() < 0.03, "lag corr {}", cross / n);
    }
}
