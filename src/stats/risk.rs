//! Loss risk measures: Value-at-Risk and Expected Shortfall.
//!
//! Pipeline position: the engine collects one row of metrics per simulated
//! path into a matrix (and per-step quantile sketches); this module turns a
//! per-path loss column into tail risk measures alongside the per-metric
//! summaries; the output stage writes them to CSV.
//!
//! # Definitions
//!
//! Losses are positive numbers (a gain is a negative loss). NaN losses are
//! ignored here (their count is reported by the metric's summary). Let
//! `L(1) <= ... <= L(n)` be the `n` defined losses sorted ascending, `a` the
//! confidence level, and `k = ceil(a n)` (clamped to `1..=n`).
//!
//! - **VaR_a = L(k)**: the empirical `a`-quantile, i.e. the lower inverse of
//!   the empirical CDF, `inf { x : F_n(x) >= a }`, with no interpolation.
//! - **ES_a** (Acerbi–Tasche expected shortfall of the empirical
//!   distribution):
//!
//!   `ES_a = 1 / ((1 - a) n) * [ sum_{i > k} L(i) + (k - a n) L(k) ]`
//!
//!   i.e. the mean of the worst `(1 - a) n` observations, the boundary
//!   observation `L(k)` entering with the fractional weight `k - a n`. The
//!   weights sum to `(n - k) + (k - a n) = (1 - a) n`, so ES is a weighted
//!   average of `L(k), ..., L(n)`; hence `ES_a >= VaR_a` always, with equality
//!   when the tail is flat (`L(k) = ... = L(n)`), in particular when `k = n`.
//!
//! Numerical notes:
//! - `a` is not exactly representable in binary (0.95, 0.99, 0.999), so `a n`
//!   can land a hair above or below an integer (e.g. `0.999 * 1000`). If
//!   `a n` is within a relative `1e-12` of an integer it is taken to be that
//!   integer, so `k` and the boundary weight are those of the exact decimal
//!   level (for `n = 1000`, `a = 0.999`: `k = 999`, weight 0).
//! - ES is evaluated as `L(k) + sum_{i > k} (L(i) - L(k)) / ((1 - a) n)`
//!   (algebraically identical), which guarantees `ES >= VaR` in floating
//!   point too and `ES == VaR` exactly for a flat tail.
//! - Empty input (or only NaNs): VaR and ES are NaN.

use crate::stats::sketch::QuantileSketch;

/// Confidence levels of [`RiskMeasures::var`] and [`RiskMeasures::es`].
pub(crate) const LEVELS: [f64; 3] = [0.95, 0.99, 0.999];

/// VaR and ES at each level in [`LEVELS`] (same order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RiskMeasures {
    /// Value-at-Risk `L(ceil(a n))`.
    pub var: [f64; 3],
    /// Acerbi–Tasche expected shortfall.
    pub es: [f64; 3],
}

/// Risk measures of a loss column.
///
/// `losses`: one per path (NaN and ±inf ignored as undefined, count
/// reported by the summary). Uses
/// a reusable sorted scratch buffer (cleared, filled with the defined losses
/// and sorted ascending).
pub(crate) fn risk_measures(losses: &[f64], scratch: &mut Vec<f64>) -> RiskMeasures {
    scratch.clear();
    scratch.extend(losses.iter().copied().filter(|v| v.is_finite()));
    scratch.sort_unstable_by(f64::total_cmp);
    let mut out = RiskMeasures { var: [f64::NAN; 3], es: [f64::NAN; 3] };
    for (j, &a) in LEVELS.iter().enumerate() {
        let (var, es) = var_es_sorted(scratch, a);
        out.var[j] = var;
        out.es[j] = es;
    }
    out
}

/// `(VaR_a, ES_a)` of an ascending, NaN-free slice, as defined in the module
/// docs; `(NaN, NaN)` when empty. `a` must lie in `(0, 1)`.
pub(crate) fn var_es_sorted(sorted: &[f64], a: f64) -> (f64, f64) {
    assert!(a > 0.0 && a < 1.0, "confidence level {a} outside (0, 1)");
    let n = sorted.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let an = snap_to_integer(a * n as f64);
    let k = (an.ceil() as usize).clamp(1, n);
    let var = sorted[k - 1];
    // Boundary weight k - a n in [0, 1); total tail weight (1 - a) n.
    let boundary = (k as f64 - an).max(0.0);
    let weight = (n - k) as f64 + boundary;
    if weight <= 0.0 {
        return (var, var);
    }
    let excess: f64 = sorted[k..]
        .iter()
        .filter(|&&x| x != var) // flat tail adds nothing (and avoids inf - inf)
        .map(|&x| x - var)
        .sum();
    (var, var + excess / weight)
}

/// `(VaR_a, ES_a)` as [`var_es_sorted`] defines them, from a quantile
/// sketch of the losses instead of the sorted losses (`--no-paths`): the
/// order statistics `L(k), ..., L(n)` are their buckets' representatives,
/// each within a relative `alpha` of the exact value, so VaR is within
/// `alpha |VaR|` of the exact one and ES within `alpha` times the weighted
/// mean of `|L(i)|` over the tail. Buckets are walked in a fixed order, so
/// the result depends only on the sketch's counts.
pub(crate) fn var_es_sketch(sketch: &QuantileSketch, a: f64) -> (f64, f64) {
    assert!(a > 0.0 && a < 1.0, "confidence level {a} outside (0, 1)");
    let n = sketch.count();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let an = snap_to_integer(a * n as f64);
    let k = (an.ceil() as u64).clamp(1, n);
    let var = sketch.at_rank(k - 1).unwrap_or(f64::NAN);
    let boundary = (k as f64 - an).max(0.0);
    let weight = (n - k) as f64 + boundary;
    if weight <= 0.0 {
        return (var, var);
    }
    // The n - k largest values, from the top.
    let (mut left, mut excess) = (n - k, 0.0);
    for (v, c) in sketch.descending() {
        if left == 0 {
            break;
        }
        let t = c.min(left);
        if v != var {
            excess += t as f64 * (v - var);
        }
        left -= t;
    }
    (var, var + excess / weight)
}

/// `x` rounded to the nearest integer if within a relative 1e-12 of it.
fn snap_to_integer(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() <= 1e-12 * x.abs().max(1.0) { r } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    fn ints(n: usize) -> Vec<f64> {
        (1..=n).map(|i| i as f64).collect()
    }

    /// Tiny deterministic permutation so inputs are not pre-sorted.
    fn shuffled(mut v: Vec<f64>, seed: u64) -> Vec<f64> {
        let mut s = seed;
        for i in (1..v.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = ((s >> 33) as usize) % (i + 1);
            v.swap(i, j);
        }
        v
    }

    #[test]
    fn n10_by_hand() {
        // a n = 9.5, 9.9, 9.99 -> k = 10 for every level: VaR = ES = max.
        let v = shuffled(vec![3.0, -1.0, 8.0, 2.0, 5.0, 13.0, 0.0, 7.0, 4.0, 6.0], 1);
        let r = risk_measures(&v, &mut Vec::new());
        assert_eq!(r.var, [13.0; 3]);
        assert_eq!(r.es, [13.0; 3]);
        // a = 0.75: a n = 7.5, k = 8, VaR = L(8) = 8,
        // ES = (9 + 10 + 0.5 * 8) / 2.5 = 9.2
        let (var, es) = var_es_sorted(&ints(10), 0.75);
        assert_eq!(var, 8.0);
        assert!(close(es, 9.2));
        // a = 0.5: k = 5 (integer, weight 0), ES = mean(6..=10) = 8
        let (var, es) = var_es_sorted(&ints(10), 0.5);
        assert_eq!((var, es), (5.0, 8.0));
    }

    #[test]
    fn n100_by_hand() {
        let r = risk_measures(&shuffled(ints(100), 2), &mut Vec::new());
        // 0.95: k = 95, ES = mean(96..=100) = 98
        // 0.99: k = 99, ES = 100
        // 0.999: a n = 99.9, k = 100, ES = L(100) = 100
        assert_eq!(r.var, [95.0, 99.0, 100.0]);
        assert!(close(r.es[0], 98.0) && close(r.es[1], 100.0));
        assert_eq!(r.es[2], 100.0);
    }

    #[test]
    fn fractional_boundary_weights() {
        // n = 150, a = 0.99: a n = 148.5, k = 149, ES = (150 + 0.5 * 149) / 1.5
        let (var, es) = var_es_sorted(&ints(150), 0.99);
        assert_eq!(var, 149.0);
        assert!(close(es, (150.0 + 0.5 * 149.0) / 1.5));
        // n = 1010, a = 0.999: a n = 1008.99, k = 1009,
        // ES = (1010 + 0.01 * 1009) / 1.01
        let (var, es) = var_es_sorted(&ints(1010), 0.999);
        assert_eq!(var, 1009.0);
        assert!(close(es, (1010.0 + 0.01 * 1009.0) / 1.01), "{es}");
        // n = 110, a = 0.95: a n = 104.5, k = 105,
        // ES = (106 + ... + 110 + 0.5 * 105) / 5.5 = (540 + 52.5) / 5.5
        let (var, es) = var_es_sorted(&ints(110), 0.95);
        assert_eq!(var, 105.0);
        assert!(close(es, 592.5 / 5.5));
        // non-uniform tail: n = 10, a = 0.85: a n = 8.5, k = 9
        let v = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 10.0, 100.0];
        let (var, es) = var_es_sorted(&v, 0.85);
        assert_eq!(var, 10.0);
        assert!(close(es, (100.0 + 0.5 * 10.0) / 1.5));
    }

    #[test]
    fn uniform_1000_closed_form() {
        // a n integer m for every level: VaR = m, ES = mean(m+1..=n) = (m+1+n)/2
        let r = risk_measures(&shuffled(ints(1000), 3), &mut Vec::new());
        for (j, m) in [950.0, 990.0, 999.0].into_iter().enumerate() {
            assert_eq!(r.var[j], m);
            assert!(close(r.es[j], (m + 1.0 + 1000.0) / 2.0), "{:?}", r);
        }
    }

    #[test]
    fn constant_losses() {
        for n in [1usize, 7, 100, 1000, 1234] {
            let r = risk_measures(&vec![0.1; n], &mut Vec::new());
            assert_eq!(r.var, [0.1; 3]);
            assert_eq!(r.es, [0.1; 3]);
        }
    }

    #[test]
    fn empty_and_nan() {
        let r = risk_measures(&[], &mut Vec::new());
        assert!(r.var.iter().chain(&r.es).all(|x| x.is_nan()));
        let r = risk_measures(&[f64::NAN, f64::NAN], &mut Vec::new());
        assert!(r.var.iter().chain(&r.es).all(|x| x.is_nan()));
        // NaNs are ignored: same as the defined values alone.
        let mut v = ints(100);
        v.extend([f64::NAN; 17]);
        let v = shuffled(v, 4);
        let mut s = vec![1.0; 3];
        assert_eq!(risk_measures(&v, &mut s), risk_measures(&ints(100), &mut Vec::new()));
        assert_eq!(s.len(), 100);
    }

    proptest! {
        #[test]
        fn es_at_least_var(
            v in proptest::collection::vec(prop_oneof![19 => -1e9f64..1e9, 1 => Just(f64::NAN)], 1..400)
        ) {
            let r = risk_measures(&v, &mut Vec::new());
            let defined = v.iter().any(|x| !x.is_nan());
            for j in 0..3 {
                if defined {
                    prop_assert!(r.es[j] >= r.var[j], "{:?}", r);
                    let max = v.iter().copied().filter(|x| !x.is_nan()).fold(f64::MIN, f64::max);
                    prop_assert!(r.es[j] <= max + 1e-12 * max.abs() + 1e-9);
                } else {
                    prop_assert!(r.var[j].is_nan() && r.es[j].is_nan());
                }
            }
            for j in 1..3 {
                if defined {
                    prop_assert!(r.var[j] >= r.var[j - 1]);
                }
            }
        }
    }
}
