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
pub fn per_step_probability(p: f64, steps_per_year: u32) -> f64 {
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
