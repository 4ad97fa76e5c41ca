//! What the equity vehicles share: deal-outcome counts for `deals.csv`
//! (the realised multiple of each initial investment and its exit route)
//! and exit timing for `exits.csv` (how long after the first investment a
//! company failed, was acquired or listed).
//!
//! The venture fund records one outcome per deal; the guidance fund's
//! sub-funds and the S fund's targets are venture funds, so all equity
//! vehicles count their deals the same way.

/// Deal-multiple bucket labels (`deals.csv`, kind `multiple`).
pub(crate) const MULTIPLE_BUCKETS: [&str; 6] = ["lt1x", "1x-3x", "3x-5x", "5x-10x", "10x-20x", "ge20x"];
/// Exit-route labels (`deals.csv`, kind `route`).
pub(crate) const ROUTES: [&str; 4] = ["failed", "acquired", "ipo", "private"];
/// Routes of `exits.csv`: the events (a company still private has none).
pub(crate) const EXIT_ROUTES: [&str; 3] = ["failed", "acquired", "ipo"];

const BUCKET_EDGES: [f64; 5] = [1.0, 3.0, 5.0, 10.0, 20.0];

/// Deal-level counts, summed over paths (integers, so any grouping of
/// paths gives the same totals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealCounts {
    pub multiple: [u64; 6],
    pub route: [u64; 4],
    /// Per exit route (`EXIT_ROUTES`): how many events happened `s` steps
    /// after the vehicle's first investment in the company, at index `s`.
    pub exit_steps: [Vec<u64>; 3],
}

impl DealCounts {
    pub fn merge(&mut self, other: &DealCounts) {
        for (a, b) in self.multiple.iter_mut().zip(other.multiple) {
            *a += b;
        }
        for (a, b) in self.route.iter_mut().zip(other.route) {
            *a += b;
        }
        for (a, b) in self.exit_steps.iter_mut().zip(&other.exit_steps) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            for (a, b) in a.iter_mut().zip(b) {
                *a += b;
            }
        }
    }

    pub(crate) fn record(&mut self, multiple: f64, route: Route) {
        let bucket = BUCKET_EDGES.iter().take_while(|&&edge| multiple >= edge).count();
        self.multiple[bucket] += 1;
        self.route[route as usize] += 1;
    }

    /// An exit event (`route` is not `Private`) `steps` steps after the
    /// first investment in the company.
    #[inline]
    pub(crate) fn record_exit(&mut self, route: Route, steps: u32) {
        let Some(hist) = self.exit_steps.get_mut(route as usize) else { return };
        let s = steps as usize;
        if hist.len() <= s {
            hist.resize(s + 1, 0);
        }
        hist[s] += 1;
    }
}

/// The `q` quantile (0 < q < 1) of a histogram of counts by step, in
/// steps: the smallest step s with at least q of the events at or before
/// it (the inverse of the empirical distribution function, no
/// interpolation). `None` without events.
pub(crate) fn step_quantile(hist: &[u64], q: f64) -> Option<usize> {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let mut acc = 0u64;
    for (s, &n) in hist.iter().enumerate() {
        acc += n;
        if acc as f64 >= q * total as f64 {
            return Some(s);
        }
    }
    Some(hist.len() - 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Failed = 0,
    Acquired = 1,
    Ipo = 2,
    Private = 3,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_quantile_inverts_the_empirical_distribution() {
        // Events at steps 2, 2, 3, 7 (by hand: p25 = 2, p50 = 2, p75 = 3, p99 = 7).
        let hist = [0, 0, 2, 1, 0, 0, 0, 1];
        assert_eq!(step_quantile(&hist, 0.25), Some(2));
        assert_eq!(step_quantile(&hist, 0.5), Some(2));
        assert_eq!(step_quantile(&hist, 0.75), Some(3));
        assert_eq!(step_quantile(&hist, 0.99), Some(7));
        assert_eq!(step_quantile(&[0, 0], 0.5), None);
    }

    #[test]
    fn merged_exit_histograms_add_step_by_step() {
        let mut a = DealCounts::default();
        let mut b = DealCounts::default();
        a.record_exit(Route::Ipo, 3);
        b.record_exit(Route::Ipo, 9);
        b.record_exit(Route::Ipo, 3);
        b.record_exit(Route::Private, 1);
        a.merge(&b);
        assert_eq!(a.exit_steps[2], vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
        assert!(a.exit_steps[0].is_empty() && a.exit_steps[1].is_empty());
    }
}
