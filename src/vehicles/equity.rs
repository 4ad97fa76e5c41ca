//! What the equity vehicles share: deal-outcome counts for `deals.csv`
//! (the realised multiple of each initial investment and its exit route).
//!
//! The venture fund records one outcome per deal; the guidance fund's
//! sub-funds and the S fund's targets are venture funds, so all equity
//! vehicles count their deals the same way.

/// Deal-multiple bucket labels (`deals.csv`, kind `multiple`).
pub(crate) const MULTIPLE_BUCKETS: [&str; 6] = ["lt1x", "1x-3x", "3x-5x", "5x-10x", "10x-20x", "ge20x"];
/// Exit-route labels (`deals.csv`, kind `route`).
pub(crate) const ROUTES: [&str; 4] = ["failed", "acquired", "ipo", "private"];

const BUCKET_EDGES: [f64; 5] = [1.0, 3.0, 5.0, 10.0, 20.0];

/// Deal-level counts, summed over paths (integers, so any grouping of
/// paths gives the same totals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DealCounts {
    pub multiple: [u64; 6],
    pub route: [u64; 4],
}

impl DealCounts {
    pub fn merge(&mut self, other: &DealCounts) {
        for (a, b) in self.multiple.iter_mut().zip(other.multiple) {
            *a += b;
        }
        for (a, b) in self.route.iter_mut().zip(other.route) {
            *a += b;
        }
    }

    pub(crate) fn record(&mut self, multiple: f64, route: Route) {
        let bucket = BUCKET_EDGES.iter().take_while(|&&edge| multiple >= edge).count();
        self.multiple[bucket] += 1;
        self.route[route as usize] += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Failed = 0,
    Acquired = 1,
    Ipo = 2,
    Private = 3,
}
