//! The standard normal distribution function and its inverse.
//!
//! Φ comes from `libm`'s erfc (the musl implementation, accurate to about
//! one ulp); Φ⁻¹ from `statrs` (Boost's erfc inverse). Both are used when
//! tables are built and in tests, never in the per-step loop.

use statrs::distribution::{ContinuousCDF, Normal};

fn standard() -> Normal {
    Normal::standard()
}

/// Φ(x) = erfc(-x/√2)/2.
pub fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Φ⁻¹(p), with Φ⁻¹(0) = -∞ and Φ⁻¹(1) = +∞.
pub fn inverse_cdf(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        standard().inverse_cdf(p)
    }
}

/// Annual probability p as a per-step probability with k steps a year:
/// 1 - (1 - p)^(1/k) (MODEL.md section 1).
pub(crate) fn per_step_probability(p: f64, steps_per_year: u32) -> f64 {
    if p >= 1.0 {
        return 1.0;
    }
    // -expm1(ln1p(-p)/k) is 1 - (1-p)^(1/k) without cancellation for small p.
    -((-p).ln_1p() / steps_per_year as f64).exp_m1()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_step_conversion_compounds_back_to_the_annual_probability() {
        for &p in &[0.0, 1e-6, 0.02, 0.2, 0.5, 0.99] {
            for &k in &[1u32, 2, 4, 12] {
                let q = per_step_probability(p, k);
                // Surviving k steps must equal surviving the year.
                let survive_year = (1.0 - q).powi(k as i32);
                assert!((survive_year - (1.0 - p)).abs() < 1e-14, "p={p} k={k}");
            }
        }
        // Hand-worked: p = 0.19, k = 2: 1 - sqrt(0.81) = 0.1.
        assert!((per_step_probability(0.19, 2) - 0.1).abs() < 1e-15);
        // p = 0.2, k = 4: 1 - 0.8^0.25 = 0.054258390996...
        assert!((per_step_probability(0.2, 4) - 0.054_258_390_996_824_5).abs() < 1e-15);
        assert_eq!(per_step_probability(1.0, 4), 1.0);
        assert_eq!(per_step_probability(0.3, 1), 0.3);
    }

    #[test]
    fn inverse_cdf_round_trips_and_has_known_values() {
        assert!((inverse_cdf(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-16, "{}", cdf(-1.0));
        assert!((cdf(-5.0) - 2.866_515_718_791_946e-7).abs() < 1e-21);
        for &p in &[1e-10, 0.001, 0.3, 0.5, 0.9] {
            assert!((cdf(inverse_cdf(p)) - p).abs() < 1e-12 * p.max(1e-3));
        }
        assert_eq!(inverse_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_cdf(1.0), f64::INFINITY);
    }
}

/// Φ by cubic Hermite interpolation on a fixed grid (step 1/64 on
/// [-10, 10], values and slopes φ from `cdf`, stored side by side so one
/// lookup touches one cache line), for the per-step failure probabilities
/// that the company model needs for every stage in every step. Its error is
/// below h⁴/384 max|Φ⁗| ≈ 9e-11 (tested to 1e-10), under the 2.3e-10
/// resolution of the 32-bit failure uniforms; beyond ±10 it returns 0 or 1
/// (Φ(-10) ≈ 7.6e-24).
pub struct CdfTable {
    /// (Φ(x_i), h φ(x_i)) per knot.
    knots: Box<[[f64; 2]; TABLE_KNOTS]>,
}

const TABLE_MIN: f64 = -10.0;
const TABLE_STEPS_PER_UNIT: f64 = 64.0;
/// Knots on [-10, 10] at spacing 1/64.
const TABLE_KNOTS: usize = 20 * 64 + 1;
/// Position of the last knot, in steps from the first.
const TABLE_LAST: f64 = (TABLE_KNOTS - 1) as f64;

impl CdfTable {
    pub(crate) fn new() -> CdfTable {
        let h = 1.0 / TABLE_STEPS_PER_UNIT;
        let knots = Box::new(std::array::from_fn(|i| {
            let x = TABLE_MIN + i as f64 * h;
            [cdf(x), h * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()]
        }));
        CdfTable { knots }
    }

    #[inline(always)]
    pub fn cdf(&self, x: f64) -> f64 {
        let u = (x - TABLE_MIN) * TABLE_STEPS_PER_UNIT;
        // (A NaN fails both tests below and interpolates to NaN.)
        if u <= 0.0 {
            return 0.0;
        }
        if u >= TABLE_LAST {
            return 1.0;
        }
        // 0 < u < 1280: the truncation fits an i32 and the index and its
        // neighbour are in the table (one bounds check, on the pair).
        let i = u as i32 as usize;
        let s = u - i as f64;
        let [[y0, d0], [y1, d1]] = self.knots[i..i + 2] else { unreachable!("0 <= i < TABLE_KNOTS - 1") };
        // Cubic Hermite basis on [0, 1].
        let s2 = s * s;
        let s3 = s2 * s;
        y0 * (2.0 * s3 - 3.0 * s2 + 1.0) + d0 * (s3 - 2.0 * s2 + s) + y1 * (-2.0 * s3 + 3.0 * s2) + d1 * (s3 - s2)
    }
}

impl Default for CdfTable {
    fn default() -> Self {
        CdfTable::new()
    }
}

impl std::fmt::Debug for CdfTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CdfTable({TABLE_KNOTS} knots)")
    }
}

impl Clone for CdfTable {
    fn clone(&self) -> Self {
        CdfTable { knots: self.knots.clone() }
    }
}

impl PartialEq for CdfTable {
    fn eq(&self, _other: &Self) -> bool {
        // Every table is built the same way.
        true
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn the_table_matches_phi_to_within_1e_10_everywhere() {
        let t = CdfTable::new();
        let mut worst: f64 = 0.0;
        let mut x = -11.0;
        while x <= 11.0 {
            worst = worst.max((t.cdf(x) - cdf(x)).abs());
            x += 0.000_97;
        }
        assert!(worst < 1e-10, "max error {worst}");
        assert_eq!(t.cdf(-20.0), 0.0);
        assert_eq!(t.cdf(20.0), 1.0);
        assert_eq!(t.cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(t.cdf(f64::INFINITY), 1.0);
        assert!(t.cdf(f64::NAN).is_nan());
    }
}
