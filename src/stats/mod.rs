//! Statistics of simulated outcomes (MODEL.md section 6): per-metric
//! summaries with standard errors and the undefined share, loss risk
//! measures, ratios of means with their delta-method error (`ratio`, the
//! efficiency figures), and mergeable quantile sketches for per-step series whose
//! memory does not grow with the number of paths.

pub mod exact;
pub mod ratio;
pub mod risk;
pub mod sketch;
pub mod stream;
pub mod summary;
