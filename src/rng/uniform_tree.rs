//! Counting without drawing: how many of n independent uniforms lie at or
//! below a cut, for a set of uniforms that is fixed by a key but never
//! materialised.
//!
//! The n points are generated lazily by halving [0, 1): the number in the
//! left half of an interval holding m points is Binomial(m, 1/2), drawn from
//! a stream keyed by the key and the interval (its node number in the
//! binary tree of halvings); the points of an interval holding at most
//! `LEAF` of them are drawn uniformly within it. Every query descends the
//! same tree, so all queries on one key count the same point set: the
//! count is exactly nondecreasing in the cut, and the count below a cut is
//! Binomial(n, cut) (the halvings reproduce the joint law of n uniforms).
//! A query costs about log2(n / LEAF) binomial draws instead of n uniforms.
//!
//! The lending decision uses it for one-step cohorts (MODEL.md 6.11): the
//! bank lends to the applicants whose signal falls below a cut, so the
//! loans made with a lever and without it (the baseline) are counts of one
//! set of applicants, and raising a lever can never lower the loans made.

use rand::RngExt;
use rand_distr::{Binomial, Distribution};

use super::{Stream, mix64};

/// Intervals with at most this many points draw them directly.
const LEAF: u64 = 16;

/// Halvings after which the remaining points are drawn directly whatever
/// their number (an interval 2^-48 wide; node numbers stay below 2^49).
const MAX_DEPTH: u32 = 48;

/// The number of the `n` uniforms of the set `key` that are at most `cut`.
pub fn count_at_most(key: u64, n: u64, cut: f64) -> u64 {
    if n == 0 || cut.is_nan() || cut < 0.0 {
        return 0;
    }
    if cut >= 1.0 {
        return n;
    }
    let (mut lo, mut width) = (0.0f64, 1.0f64);
    let (mut m, mut node, mut count) = (n, 1u64, 0u64);
    let mut depth = 0;
    while m > LEAF && depth < MAX_DEPTH {
        let mut s = Stream::from_key(mix64(key ^ node.wrapping_mul(super::STEP_GAMMA)));
        let left = Binomial::new(m, 0.5).expect("p = 1/2 is a probability").sample(&mut s);
        width *= 0.5;
        let mid = lo + width;
        if cut < mid {
            m = left;
            node *= 2;
        } else {
            count += left;
            m -= left;
            lo = mid;
            node = 2 * node + 1;
        }
        depth += 1;
    }
    let mut s = Stream::from_key(mix64(key ^ node.wrapping_mul(super::STEP_GAMMA)));
    for _ in 0..m {
        if lo + width * s.random::<f64>() <= cut {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::splitmix64;

    #[test]
    fn counts_are_monotone_in_the_cut_and_bounded_by_n() {
        for key in 0..200u64 {
            let key = splitmix64(key);
            let n = [0, 1, 5, 16, 17, 100, 10_000, 1_000_000][(key % 8) as usize];
            let mut last = 0;
            for i in 0..=200 {
                let cut = i as f64 / 200.0;
                let c = count_at_most(key, n, cut);
                assert!(c >= last && c <= n, "key {key} n {n} cut {cut}: {c} after {last}");
                last = c;
            }
            assert_eq!(count_at_most(key, n, 1.0), n);
            assert_eq!(count_at_most(key, n, -0.1), 0);
            assert_eq!(count_at_most(key, n, f64::NAN), 0);
        }
    }

    #[test]
    fn the_count_below_a_cut_is_binomial() {
        // Over 4,000 keys the count below 0.3 of 1,000 points has the
        // binomial mean 300 and variance 210: the sample mean's standard
        // error is sqrt(210 / 4000) = 0.23, the sample variance's about
        // 210 sqrt(2 / 4000) = 4.7; both are checked at 4 standard errors.
        // The count in (0.3, 0.7] has mean 400 and variance 240, and its
        // covariance with the first count is -n p q = -120 (multinomial).
        let (n, keys) = (1000u64, 4000);
        let (mut s1, mut s11, mut s2, mut s22, mut s12) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..keys {
            let key = splitmix64(0xABCD ^ k);
            let a = count_at_most(key, n, 0.3) as f64;
            let b = count_at_most(key, n, 0.7) as f64 - a;
            s1 += a;
            s11 += a * a;
            s2 += b;
            s22 += b * b;
            s12 += a * b;
        }
        let k = keys as f64;
        let (m1, m2) = (s1 / k, s2 / k);
        let (v1, v2, c12) = (s11 / k - m1 * m1, s22 / k - m2 * m2, s12 / k - m1 * m2);
        assert!((m1 - 300.0).abs() < 4.0 * (210.0f64 / k).sqrt(), "mean {m1}");
        assert!((m2 - 400.0).abs() < 4.0 * (240.0f64 / k).sqrt(), "mean {m2}");
        assert!((v1 - 210.0).abs() < 4.0 * 210.0 * (2.0 / k).sqrt(), "variance {v1}");
        assert!((v2 - 240.0).abs() < 4.0 * 240.0 * (2.0 / k).sqrt(), "variance {v2}");
        // sd of the sample covariance ~ sqrt((v1 v2 + c²) / k) = 3.7.
        assert!((c12 + 120.0).abs() < 4.0 * ((210.0 * 240.0 + 120.0f64 * 120.0) / k).sqrt(), "covariance {c12}");
    }

    #[test]
    fn small_sets_match_direct_counting_of_their_leaf() {
        // At most LEAF points are one leaf: the count is that of the points
        // drawn from the root's stream.
        for key in 0..50u64 {
            let mut s = Stream::from_key(mix64(key ^ super::super::STEP_GAMMA));
            let points: Vec<f64> = (0..LEAF).map(|_| s.random::<f64>()).collect();
            for cut in [0.0, 0.1, 0.5, 0.9, 0.999] {
                let direct = points.iter().filter(|&&u| u <= cut).count() as u64;
                assert_eq!(count_at_most(key, LEAF, cut), direct);
            }
        }
    }
}
