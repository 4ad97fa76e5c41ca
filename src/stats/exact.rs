//! Exact, order-independent summation of f64 values (a fixed-point
//! "superaccumulator"), for the moments of runs that keep no per-path
//! matrix (`--no-paths`).
//!
//! Every finite f64 is an integer multiple of 2^-1074 below 2^1024. The
//! accumulator holds that integer in 32-bit limbs stored in i64 words, so
//! each `add` places the 53-bit significand into three words without
//! rounding, and the words absorb 2^30 additions before their carries
//! must be propagated. The sum is therefore exact: the same multiset of
//! values gives the same accumulator, in any order, on any number of
//! threads, shards or ranks, and merging two accumulators is adding their
//! words. [`ExactSum::value`] rounds the exact sum to the nearest f64 once
//! (ties to even).

/// Words of 32 bits: 2^-1074 up to 2^1024 (2,098 bits) plus 64 bits of
/// headroom for sums of up to 2^64 values of the largest magnitude.
const WORDS: usize = 68;

/// Additions a word absorbs before carries are propagated (each adds less
/// than 2^32 in magnitude to a word; 2^30 of them stay below 2^62).
const CARRY_EVERY: u32 = 1 << 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactSum {
    words: [i64; WORDS],
    pending: u32,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum { words: [0; WORDS], pending: 0 }
    }
}

impl ExactSum {
    /// Add `x` exactly; a non-finite `x` is the caller's to exclude (it is
    /// ignored here).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() || x == 0.0 {
            return;
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as usize;
        let frac = bits & ((1u64 << 52) - 1);
        // x = significand * 2^(offset - 1074)
        let (significand, offset) = if biased == 0 { (frac, 0) } else { (frac | (1u64 << 52), biased - 1) };
        let (word, shift) = (offset / 32, offset % 32);
        let wide = u128::from(significand) << shift;
        let sign = if x < 0.0 { -1 } else { 1 };
        for k in 0..3 {
            let part = ((wide >> (32 * k)) & 0xffff_ffff) as i64;
            if part != 0 {
                self.words[word + k] += sign * part;
            }
        }
        self.pending += 1;
        if self.pending >= CARRY_EVERY {
            self.carry();
        }
    }

    /// Add every value of `other` (exact).
    pub fn merge(&mut self, other: &ExactSum) {
        self.carry();
        let mut o = other.clone();
        o.carry();
        for (a, b) in self.words.iter_mut().zip(o.words) {
            *a += b;
        }
        self.carry();
    }

    /// Propagate carries: every word but the top in [0, 2^32), the top
    /// word holding the sign. The value is unchanged.
    fn carry(&mut self) {
        for k in 0..WORDS - 1 {
            let c = self.words[k] >> 32; // floor division by 2^32
            self.words[k] -= c << 32;
            self.words[k + 1] += c;
        }
        self.pending = 0;
    }

    /// The words in canonical form (for encoding: equal sums, equal words).
    pub(crate) fn canonical_words(&self) -> [i64; WORDS] {
        let mut c = self.clone();
        c.carry();
        c.words
    }

    /// From words written by [`ExactSum::canonical_words`]; `None` when they
    /// are not canonical.
    pub(crate) fn from_words(words: [i64; WORDS]) -> Option<ExactSum> {
        let canonical = words[..WORDS - 1].iter().all(|&w| (0..1i64 << 32).contains(&w))
            && (-(1i64 << 32)..1i64 << 32).contains(&words[WORDS - 1]);
        canonical.then_some(ExactSum { words, pending: 0 })
    }

    /// Number of 64-bit words in the encoding.
    pub(crate) const WORDS: usize = WORDS;

    /// The exact sum rounded to the nearest f64 (ties to even); ±inf when
    /// it is beyond the f64 range.
    pub fn value(&self) -> f64 {
        let mut w = self.canonical_words();
        let negative = w[WORDS - 1] < 0;
        if negative {
            // -value, in canonical words (every one in [0, 2^32)).
            let mut neg = ExactSum { words: w.map(|x| -x), pending: 0 };
            neg.carry();
            w = neg.words;
        }
        let Some(top) = w.iter().rposition(|&x| x != 0) else {
            return 0.0;
        };
        // The top three words (96 bits) and a sticky bit for the rest:
        // u128 -> f64 rounds to nearest even, and with 96 >= 53 + 2 bits
        // the sticky bit in the lowest place makes that rounding exact.
        let lo = top.saturating_sub(2);
        let mut m: u128 = 0;
        for k in (lo..=top).rev() {
            m = (m << 32) | w[k] as u128;
        }
        if w[..lo].iter().any(|&x| x != 0) {
            m |= 1;
        }
        let magnitude = ldexp(m as f64, 32 * lo as i32 - 1074);
        if negative { -magnitude } else { magnitude }
    }
}

/// `x * 2^e`, in steps that neither overflow nor underflow early (`x` is
/// at most 2^96 here, and the result's only rounding is at the end for a
/// subnormal, where the sticky bit keeps it within one unit).
fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        for &x in xs {
            s.add(x);
        }
        s.value()
    }

    #[test]
    fn cancellation_that_floating_point_loses_is_exact() {
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[1e308, 1e308, -1e308, -1e308, 3.5]), 3.5);
        // The exact sum of the three doubles is 0.60000000000000000555..., nearest
        // to the double 0.6 (floating-point addition gives 0.6000000000000001).
        assert_eq!(sum(&[0.1, 0.2, 0.3]), 0.6);
        assert_eq!(sum(&[-0.5, -0.25]), -0.75);
        assert_eq!(sum(&[f64::MIN_POSITIVE / 4.0, f64::MIN_POSITIVE / 4.0]), f64::MIN_POSITIVE / 2.0);
        assert_eq!(sum(&[5e-324, 5e-324, 5e-324]), 1.5e-323);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(sum(&[-f64::MAX, -f64::MAX]), f64::NEG_INFINITY);
    }

    #[test]
    fn integers_sum_like_i128() {
        // Integers up to 2^60 with both signs: the exact sum is an i128.
        let mut g = 0x9E37_79B9_7F4A_7C15u64;
        let mut exact = 0i128;
        let mut s = ExactSum::default();
        for i in 0..20_000 {
            g = g.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // An integer-valued f64 below 2^60 in magnitude, either sign.
            let v = (((g >> 4) as i64 - (1i64 << 59)) >> (i % 50)) as f64;
            exact += v as i128;
            s.add(v);
        }
        assert_eq!(s.value(), exact as f64);
    }

    #[test]
    fn order_and_grouping_do_not_matter() {
        let mut g = 1u64;
        let xs: Vec<f64> = (0..5000)
            .map(|i| {
                g = g.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (g >> 11) as f64 / (1u64 << 53) as f64;
                (u - 0.3) * 10f64.powi((i % 40) - 20)
            })
            .collect();
        let whole = {
            let mut s = ExactSum::default();
            xs.iter().for_each(|&x| s.add(x));
            s
        };
        let mut rev = ExactSum::default();
        xs.iter().rev().for_each(|&x| rev.add(x));
        assert_eq!(rev.canonical_words(), whole.canonical_words());
        for cut in [0, 1, 77, 2500, 4999] {
            let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
            xs[..cut].iter().for_each(|&x| a.add(x));
            xs[cut..].iter().for_each(|&x| b.add(x));
            b.merge(&a);
            assert_eq!(b.canonical_words(), whole.canonical_words());
            assert_eq!(b.value().to_bits(), whole.value().to_bits());
        }
        let back = ExactSum::from_words(whole.canonical_words()).unwrap();
        assert_eq!(back.value().to_bits(), whole.value().to_bits());
        let mut bad = whole.canonical_words();
        bad[3] = -1;
        assert!(ExactSum::from_words(bad).is_none());
    }
}
