//! Ratios of means with their delta-method standard error: the one
//! definition of every efficiency figure fundsim reports ("credit per
//! fiscal yuan", "fiscal cost per additional loan"), used by `fiscal.csv`
//! and through it by the report and its summary.
//!
//! Part of the statistics stage. For paired per-path values (x_i, y_i) the
//! figure is R = x̄ / ȳ, not the mean of x_i / y_i: a path's denominator can
//! be zero or negative (a guidance fund that profits), and the mean of
//! per-path ratios is dominated by paths where it is near zero. Its
//! standard error is the delta method's (paired, so the correlation of
//! numerator and denominator across paths is accounted for):
//!
//!   se(R) = sd(x_i - R y_i) / (sqrt(n) |ȳ|).
//!
//! The figure is undefined (an empty cell) unless the mean denominator is
//! distinguishable from 0 and positive: ȳ > `Z` se(ȳ). Below that the ratio
//! and its delta-method error mean nothing (the error assumes ȳ is far from
//! 0), so no number is printed rather than a huge or negative one.

/// How many standard errors from 0 the mean denominator must be (two-sided
/// 5 % level).
pub const Z: f64 = 1.96;

/// A ratio of means and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    pub value: f64,
    pub se: f64,
}

/// R = mean(x) / mean(y) over the paths where both are defined, with its
/// delta-method standard error; `None` when fewer than two such paths
/// exist or mean(y) is not above `Z` standard errors of itself. Sums run in
/// path order, so the figure does not depend on the thread count.
pub fn ratio_of_means(x: &[f64], y: &[f64]) -> Option<Ratio> {
    let pairs = || x.iter().zip(y).filter(|(a, b)| a.is_finite() && b.is_finite()).map(|(a, b)| (*a, *b));
    let n = pairs().count();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let (sx, sy) = pairs().fold((0.0, 0.0), |(sx, sy), (a, b)| (sx + a, sy + b));
    let (mx, my) = (sx / nf, sy / nf);
    let var_y = pairs().map(|(_, b)| (b - my) * (b - my)).fold(0.0, |s, v| s + v) / (nf - 1.0);
    let se_y = (var_y / nf).sqrt();
    if !(my > 0.0 && my > Z * se_y) {
        return None;
    }
    let r = mx / my;
    // The residuals x_i - R y_i have mean 0 by construction of R.
    let var_d = pairs().map(|(a, b)| (a - r * b) * (a - r * b)).fold(0.0, |s, v| s + v) / (nf - 1.0);
    Some(Ratio { value: r, se: (var_d / nf).sqrt() / my })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;
    use rand::RngExt;
    use rand_distr::StandardNormal;

    #[test]
    fn an_exact_proportion_has_no_error() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let x = y.map(|v| 2.5 * v);
        let r = ratio_of_means(&x, &y).unwrap();
        assert!((r.value - 2.5).abs() < 1e-15 && r.se < 1e-15, "{r:?}");
    }

    #[test]
    fn hand_worked_example() {
        // x = [1, 3], y = [1, 1]: R = 2, residuals [-1, 1], sd = sqrt(2),
        // se = sqrt(2) / sqrt(2) / 1 = 1. (se(ȳ) = 0, ȳ = 1: defined.)
        let r = ratio_of_means(&[1.0, 3.0], &[1.0, 1.0]).unwrap();
        assert_eq!((r.value, r.se), (2.0, 1.0));
        // Undefined paths are dropped pairwise.
        let r = ratio_of_means(&[1.0, f64::NAN, 3.0], &[1.0, 5.0, 1.0]).unwrap();
        assert_eq!((r.value, r.se), (2.0, 1.0));
    }

    #[test]
    fn a_denominator_not_distinguishable_from_zero_gives_no_figure() {
        // Mean cost 0.1 with se sqrt(var/n) far above it: undefined, not a
        // ratio in the thousands.
        let y = [10.0, -9.8, 10.0, -9.8];
        assert!(ratio_of_means(&[5.0; 4], &y).is_none());
        // A negative mean cost (the budget gains): undefined.
        assert!(ratio_of_means(&[5.0; 3], &[-1.0, -1.0, -1.0]).is_none());
        // A zero denominator in every path: undefined.
        assert!(ratio_of_means(&[5.0; 3], &[0.0; 3]).is_none());
        // One path is not enough for an error.
        assert!(ratio_of_means(&[5.0], &[1.0]).is_none());
    }

    /// The delta-method standard error against the spread of the ratio over
    /// independent replications: 400 replications of n = 2000 paths with
    /// correlated x and y (fixed seed). The sample sd of 400 ratios has a
    /// relative standard error of about 1 / sqrt(2 x 399) = 3.5 %, and the
    /// delta method's own error at n = 2000 is far smaller; the check allows
    /// four of those standard errors (14 %).
    #[test]
    fn the_delta_method_error_matches_the_replication_spread() {
        let (reps, n) = (400, 2000);
        let mut rng = Stream::from_key(0x5241_5449_4F00_0001);
        let mut ratios = Vec::with_capacity(reps);
        let mut ses = Vec::with_capacity(reps);
        let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..reps {
            for i in 0..n {
                let (a, b): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
                // Cost with mean 2 and sd 1.5; credit 30 x cost + noise.
                y[i] = 2.0 + 1.5 * a;
                x[i] = 30.0 * y[i] + 20.0 * b + 10.0;
            }
            let r = ratio_of_means(&x, &y).unwrap();
            ratios.push(r.value);
            ses.push(r.se);
        }
        let m = ratios.iter().sum::<f64>() / reps as f64;
        let spread = (ratios.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (reps - 1) as f64).sqrt();
        let se = ses.iter().sum::<f64>() / reps as f64;
        assert!((se / spread - 1.0).abs() < 0.14, "delta se {se}, replication sd {spread}");
        // And the ratio is centred on 35 (30 + 10 / 2) within its error.
        assert!((m - 35.0).abs() < 4.0 * spread / (reps as f64).sqrt() + 0.01, "{m}");
    }
}
