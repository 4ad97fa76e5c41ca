//! Per-metric summary statistics.
//!
//! Pipeline position: the engine collects one row of metrics per simulated
//! path into a matrix (and per-step quantile sketches, see `sketch`); this
//! module summarises each metric column across paths; the output stage writes
//! the resulting [`Summary`] values to CSV.
//!
//! Conventions:
//! - `NaN` means "undefined in that path" (e.g. an IRR with no root). NaNs are
//!   never dropped silently or turned into 0: they are excluded from every
//!   statistic and counted in `n - defined` / `undefined_share`.
//! - `±inf` (an overflow) is undefined too: excluded and counted like NaN,
//!   so no statistic is built on it and `undefined_share` says so. (The
//!   engine already turns non-finite metrics into NaN; this holds for any
//!   input.)
//! - `mean` is the plain left-to-right sum of the defined values in input
//!   order divided by `defined` (deterministic for a given input order).
//! - `sd` uses the `defined - 1` denominator (two-pass, input order);
//!   `se = sd / sqrt(defined)`. Both are NaN when `defined < 2`.
//! - Quantiles are type 7 (R default, NumPy `linear`), see [`quantile_sorted`].
//! - `defined == 0`: every statistic is NaN and `undefined_share` is 1.
//!   `n == 0` (no paths at all): every statistic, including
//!   `undefined_share`, is NaN (0/0 — there is no share to report).

/// Probabilities of the quantiles reported in [`Summary::quantiles`].
pub(crate) const QUANTILES: [f64; 9] = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99];

/// Summary statistics of one per-path metric.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    /// Number of paths (all values, NaN included).
    pub n: usize,
    /// Number of finite values.
    pub defined: usize,
    /// Mean of the defined values.
    pub mean: f64,
    /// Sample standard deviation (`defined - 1` denominator); NaN if `defined < 2`.
    pub sd: f64,
    /// Standard error of the mean, `sd / sqrt(defined)`; NaN if `defined < 2`.
    pub se: f64,
    /// Smallest defined value.
    pub min: f64,
    /// Type-7 quantiles at the probabilities in [`QUANTILES`].
    pub quantiles: [f64; 9],
    /// Largest defined value.
    pub max: f64,
    /// `(n - defined) / n`; NaN when `n == 0`.
    pub undefined_share: f64,
}

impl Summary {
    /// The quantile at probability `p`, one of [`QUANTILES`] (NaN for any
    /// other `p`).
    pub(crate) fn quantile(&self, p: f64) -> f64 {
        QUANTILES.iter().position(|&q| q == p).map_or(f64::NAN, |i| self.quantiles[i])
    }

    /// The 5th percentile.
    pub(crate) fn p05(&self) -> f64 {
        self.quantile(0.05)
    }

    /// The median.
    pub(crate) fn p50(&self) -> f64 {
        self.quantile(0.50)
    }

    /// The 95th percentile.
    pub(crate) fn p95(&self) -> f64 {
        self.quantile(0.95)
    }
}

/// Summarise one metric column.
///
/// `scratch` is a reusable buffer (cleared and filled with the defined values,
/// then sorted) so callers summarising many columns do not allocate each time.
pub(crate) fn summarize(values: &[f64], scratch: &mut Vec<f64>) -> Summary {
    let n = values.len();
    scratch.clear();
    scratch.extend(values.iter().copied().filter(|v| v.is_finite()));
    let defined = scratch.len();
    let undefined_share = if n == 0 { f64::NAN } else { (n - defined) as f64 / n as f64 };
    if defined == 0 {
        return Summary {
            n,
            defined,
            mean: f64::NAN,
            sd: f64::NAN,
            se: f64::NAN,
            min: f64::NAN,
            quantiles: [f64::NAN; 9],
            max: f64::NAN,
            undefined_share,
        };
    }

    // Moments in input order (scratch is not sorted yet).
    let d = defined as f64;
    let mean = scratch.iter().sum::<f64>() / d;
    let (sd, se) = if defined < 2 {
        (f64::NAN, f64::NAN)
    } else {
        let ss: f64 = scratch.iter().map(|&x| (x - mean) * (x - mean)).sum();
        let sd = (ss / (d - 1.0)).sqrt();
        (sd, sd / d.sqrt())
    };

    scratch.sort_unstable_by(f64::total_cmp);
    let quantiles = QUANTILES.map(|p| quantile_sorted(scratch, p));
    Summary { n, defined, mean, sd, se, min: scratch[0], quantiles, max: scratch[defined - 1], undefined_share }
}

/// Type-7 (R default, NumPy `linear`) quantile of an ascending, NaN-free
/// slice; NaN for an empty slice.
///
/// With `h = (n - 1) p`, `j = floor(h)`: `x[j] + (h - j) (x[j+1] - x[j])`
/// (0-based). `p` is clamped to `[0, 1]`; a NaN `p` gives NaN.
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(p.is_nan() || (0.0..=1.0).contains(&p), "p = {p} outside [0, 1]");
    if sorted.is_empty() || p.is_nan() {
        return f64::NAN;
    }
    let p = p.clamp(0.0, 1.0);
    let last = sorted.len() - 1;
    let h = last as f64 * p;
    let j = (h.floor() as usize).min(last);
    let frac = h - j as f64;
    let lo = sorted[j];
    if frac == 0.0 || j == last {
        return lo;
    }
    let hi = sorted[j + 1];
    if lo == hi {
        // Avoids inf - inf when both neighbours are the same infinity.
        return lo;
    }
    lo + frac * (hi - lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn named_quantiles_are_the_type_7_quantiles_at_their_probability() {
        // 0..=100: the type-7 quantile at p is 100 p exactly.
        let x: Vec<f64> = (0..=100).map(f64::from).collect();
        let s = summarize(&x, &mut Vec::new());
        assert_eq!((s.p05(), s.p50(), s.p95()), (5.0, 50.0, 95.0));
        assert_eq!(s.quantile(0.99), 99.0);
        assert!(s.quantile(0.3).is_nan(), "not one of QUANTILES");
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn uniform_integers_closed_form() {
        for n in [2usize, 5, 10, 101, 1000] {
            let v: Vec<f64> = (1..=n).map(|i| i as f64).collect();
            let mut s = Vec::new();
            let r = summarize(&v, &mut s);
            let nf = n as f64;
            assert_eq!(r.n, n);
            assert_eq!(r.defined, n);
            assert!(close(r.mean, (nf + 1.0) / 2.0));
            let var = nf * (nf + 1.0) / 12.0;
            assert!(close(r.sd, var.sqrt()), "n={n} sd={}", r.sd);
            assert!(close(r.se, (var / nf).sqrt()));
            assert_eq!(r.min, 1.0);
            assert_eq!(r.max, nf);
            // type 7 on 1..=n: q(p) = 1 + (n - 1) p
            for (k, &p) in QUANTILES.iter().enumerate() {
                assert!(close(r.quantiles[k], 1.0 + (nf - 1.0) * p));
            }
            assert_eq!(r.undefined_share, 0.0);
        }
    }

    #[test]
    fn one_to_ten_by_hand() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let r = summarize(&v, &mut Vec::new());
        assert_eq!(r.mean, 5.5);
        // sum of squared deviations = 82.5, / 9
        assert!(close(r.sd, (82.5f64 / 9.0).sqrt()));
        // h = 9p: 0.09, 0.45, 0.9, 2.25, 4.5, 6.75, 8.1, 8.55, 8.91
        let want = [1.09, 1.45, 1.9, 3.25, 5.5, 7.75, 9.1, 9.55, 9.91];
        for (g, w) in r.quantiles.iter().zip(want) {
            assert!(close(*g, w), "{g} vs {w}");
        }
    }

    #[test]
    fn numpy_linear_examples() {
        // np.percentile([1, 2, 3, 4], 10) == 1.3
        assert!(close(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.10), 1.3));
        // np.median([10, 7, 4, 3, 2, 1]) == 3.5
        let mut s = Vec::new();
        let r = summarize(&[10.0, 7.0, 4.0, 3.0, 2.0, 1.0], &mut s);
        assert_eq!(r.quantiles[4], 3.5);
        assert_eq!(s, vec![1.0, 2.0, 3.0, 4.0, 7.0, 10.0]);
        // np.quantile([0, 10], 0.25) == 2.5
        assert_eq!(quantile_sorted(&[0.0, 10.0], 0.25), 2.5);
        // np.quantile([1, 3, 7], 0.75): h = 1.5 -> 3 + 0.5 * 4 = 5
        assert_eq!(quantile_sorted(&[1.0, 3.0, 7.0], 0.75), 5.0);
        assert_eq!(quantile_sorted(&[1.0, 3.0, 7.0], 0.0), 1.0);
        assert_eq!(quantile_sorted(&[1.0, 3.0, 7.0], 1.0), 7.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert!(quantile_sorted(&[1.0], f64::NAN).is_nan());
        assert_eq!(quantile_sorted(&[f64::INFINITY, f64::INFINITY], 0.5), f64::INFINITY);
    }

    #[test]
    fn nan_is_counted_not_dropped() {
        let v = [f64::NAN, 1.0, 2.0, f64::NAN, 3.0, f64::NAN, 4.0, f64::NAN];
        let r = summarize(&v, &mut Vec::new());
        assert_eq!(r.n, 8);
        assert_eq!(r.defined, 4);
        assert_eq!(r.undefined_share, 0.5);
        assert_eq!(r.mean, 2.5);
        assert_eq!(r.min, 1.0);
        assert_eq!(r.max, 4.0);
        assert!(close(r.sd, (5.0f64 / 3.0).sqrt()));
    }

    #[test]
    fn all_undefined_and_empty() {
        let r = summarize(&[f64::NAN; 3], &mut Vec::new());
        assert_eq!((r.n, r.defined), (3, 0));
        assert_eq!(r.undefined_share, 1.0);
        for x in [r.mean, r.sd, r.se, r.min, r.max].iter().chain(&r.quantiles) {
            assert!(x.is_nan());
        }
        let r = summarize(&[], &mut Vec::new());
        assert_eq!((r.n, r.defined), (0, 0));
        assert!(r.undefined_share.is_nan());
        assert!(r.mean.is_nan() && r.quantiles.iter().all(|q| q.is_nan()));
    }

    #[test]
    fn infinities_are_undefined_not_silent() {
        let v = [1.0, f64::INFINITY, 3.0, f64::NEG_INFINITY];
        let r = summarize(&v, &mut Vec::new());
        assert_eq!((r.n, r.defined), (4, 2));
        assert_eq!(r.undefined_share, 0.5);
        assert_eq!((r.mean, r.min, r.max), (2.0, 1.0, 3.0));
    }

    #[test]
    fn single_value() {
        let r = summarize(&[f64::NAN, 7.25], &mut Vec::new());
        assert_eq!(r.defined, 1);
        assert_eq!(r.mean, 7.25);
        assert!(r.sd.is_nan() && r.se.is_nan());
        assert_eq!(r.min, 7.25);
        assert_eq!(r.max, 7.25);
        assert!(r.quantiles.iter().all(|&q| q == 7.25));
        assert_eq!(r.undefined_share, 0.5);
    }

    #[test]
    fn scratch_is_reused_and_cleared() {
        let mut s = vec![99.0; 50];
        let r = summarize(&[3.0, 1.0, 2.0], &mut s);
        assert_eq!(s, vec![1.0, 2.0, 3.0]);
        assert_eq!(r.quantiles[4], 2.0);
    }

    proptest! {
        #[test]
        fn quantiles_monotone_and_bounded(
            v in proptest::collection::vec(prop_oneof![9 => -1e6f64..1e6, 1 => Just(f64::NAN)], 0..200)
        ) {
            let r = summarize(&v, &mut Vec::new());
            prop_assert_eq!(r.defined, v.iter().filter(|x| !x.is_nan()).count());
            if r.defined > 0 {
                prop_assert!(r.min <= r.quantiles[0]);
                prop_assert!(r.quantiles[8] <= r.max);
                for w in r.quantiles.windows(2) {
                    prop_assert!(w[0] <= w[1]);
                }
                prop_assert!(r.min <= r.mean + 1e-6 && r.mean <= r.max + 1e-6);
            }
        }
    }
}
