//! Failure scans: how many companies of a run of consecutive indices fail
//! in one step, evaluated four at a time where the processor allows.
//!
//! For a holder that only needs to know whether a company fails in a step
//! (a one-step loan, say), the whole simulation of that company is one
//! comparison: the high 32 bits of the first draw of its step stream
//! against the step's integer failure threshold (`Company::fails`). With
//! 10,000 loans per path that comparison is the loan workload's entire
//! cost. When the failures are interchangeable (same step, same loss) only
//! their number matters: `count_failures` gives it, exactly as counting
//! over `Company::fails` would; on x86-64 processors with AVX2 (checked at
//! run time) it runs four SplitMix64 finalisers at once in 256-bit
//! registers, without a branch per company. The two code paths are
//! integer-exact, so their results are identical (tested here on random
//! keys, thresholds and lengths, and by the loan tests end to end).

use super::{GOLDEN, first_draw};

/// The number of `i < n` such that company `i` fails in step `step`: the
/// high 32 bits of `first_draw(company_key(path_key, vehicle, i), step)`
/// are below `threshold`. `base` is `path_key ^ vehicle` (the company key
/// without its index term).
#[inline]
pub fn count_failures(base: u64, step: u64, n: u64, threshold: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2 (checked just above), the only
        // requirement of the target-feature function.
        return unsafe { avx2::count_failures(base, step, n, threshold) };
    }
    scalar_count(base, step, 0, n, threshold)
}

/// The reference loop: one company at a time, indices `from..n`.
#[inline]
fn scalar_count(base: u64, step: u64, from: u64, n: u64, threshold: u64) -> u64 {
    (from..n).map(|i| (first_draw(base ^ i.wrapping_mul(GOLDEN), step) >> 32 < threshold) as u64).sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::scalar_count;
    use crate::rng::{GOLDEN, MIX_M1, MIX_M2, STEP_GAMMA};

    /// Low 64 bits of `z * c` in each lane. AVX2 has no 64-bit lane
    /// multiply; with z = zh 2^32 + zl and c = ch 2^32 + cl, the product
    /// mod 2^64 is zl cl + ((zh cl + zl ch) mod 2^32) 2^32, three 32x32->64
    /// multiplies.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul_lo(z: __m256i, cl: __m256i, ch: __m256i) -> __m256i {
        let low = _mm256_mul_epu32(z, cl);
        let cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64::<32>(z), cl), _mm256_mul_epu32(z, ch));
        _mm256_add_epi64(low, _mm256_slli_epi64::<32>(cross))
    }

    /// SplitMix64's finaliser on the four lanes of `s` (see `rng::mix64`).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mix(s: __m256i, m1: (__m256i, __m256i), m2: (__m256i, __m256i)) -> __m256i {
        let z = mul_lo(_mm256_xor_si256(s, _mm256_srli_epi64::<30>(s)), m1.0, m1.1);
        let z = mul_lo(_mm256_xor_si256(z, _mm256_srli_epi64::<27>(z)), m2.0, m2.1);
        _mm256_xor_si256(z, _mm256_srli_epi64::<31>(z))
    }

    /// A constant's low and high 32-bit halves, each in the low half of
    /// every lane (the operands `_mm256_mul_epu32` reads).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn halves(c: u64) -> (__m256i, __m256i) {
        (_mm256_set1_epi64x((c & 0xFFFF_FFFF) as i64), _mm256_set1_epi64x((c >> 32) as i64))
    }

    /// `super::count_failures` on AVX2: lanes hold indices i..i+4; the
    /// index term i x golden advances by 4 x golden per block (wrapping, as
    /// the scalar product does). Each lane counts its failures by
    /// subtracting the compare mask (all ones, i.e. -1, where it fails).
    #[target_feature(enable = "avx2")]
    pub(super) fn count_failures(base: u64, step: u64, n: u64, threshold: u64) -> u64 {
        let (m1, m2) = (halves(MIX_M1), halves(MIX_M2));
        let key = _mm256_set1_epi64x((base ^ step.wrapping_mul(STEP_GAMMA)) as i64);
        let gamma = _mm256_set1_epi64x(GOLDEN as i64);
        let stride = _mm256_set1_epi64x(GOLDEN.wrapping_mul(4) as i64);
        // Thresholds are at most 2^32 and the high halves below 2^32, so a
        // signed 64-bit compare is exact.
        let limit = _mm256_set1_epi64x(threshold as i64);
        let mut index_term =
            _mm256_set_epi64x(GOLDEN.wrapping_mul(3) as i64, GOLDEN.wrapping_mul(2) as i64, GOLDEN as i64, 0);
        let mut counts = _mm256_setzero_si256();
        let blocks = n / 4;
        for _ in 0..blocks {
            let state = _mm256_add_epi64(_mm256_xor_si256(key, index_term), gamma);
            let high = _mm256_srli_epi64::<32>(mix(state, m1, m2));
            counts = _mm256_sub_epi64(counts, _mm256_cmpgt_epi64(limit, high));
            index_term = _mm256_add_epi64(index_term, stride);
        }
        let lanes = [
            _mm256_extract_epi64::<0>(counts),
            _mm256_extract_epi64::<1>(counts),
            _mm256_extract_epi64::<2>(counts),
            _mm256_extract_epi64::<3>(counts),
        ];
        lanes.iter().map(|&c| c as u64).sum::<u64>() + scalar_count(base, step, 4 * blocks, n, threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{company_key, splitmix64};

    fn reference(base: u64, step: u64, n: u64, threshold: u64) -> u64 {
        (0..n).filter(|&i| first_draw(company_key(base, 0, i), step) >> 32 < threshold).count() as u64
    }

    #[test]
    fn the_scan_counts_the_scalar_loops_failures() {
        // Random bases, steps and thresholds (from p = 0 to p = 1), and
        // lengths that are and are not multiples of four.
        let mut total = 0;
        for case in 0..300u64 {
            let base = splitmix64(case);
            let step = case % 7;
            let threshold = match case % 5 {
                0 => 0,
                1 => 1 << 32,
                _ => splitmix64(case ^ 0xABCD) >> 32 >> (case % 4),
            };
            let n = splitmix64(case ^ 0x1234) % 3000;
            let expected = reference(base, step, n, threshold);
            assert_eq!(count_failures(base, step, n, threshold), expected, "case {case}");
            total += expected;
        }
        assert!(total > 10_000, "{total} failures");
    }

    #[test]
    fn the_scalar_path_alone_matches_too() {
        // The path taken without AVX2, run directly.
        let (base, step, threshold) = (splitmix64(9), 3, 1 << 30);
        let count = scalar_count(base, step, 0, 1001, threshold);
        assert_eq!(count, reference(base, step, 1001, threshold));
        assert_eq!(count, count_failures(base, step, 1001, threshold));
        // About a quarter fail (p = 1/4): 250 +- 4 sd of 13.7.
        assert!((count as f64 - 250.25).abs() < 55.0, "{count}");
    }
}
