//! Statistics of simulated outcomes (MODEL.md section 6): per-metric
//! summaries with standard errors and the undefined share, loss risk
//! measures, and mergeable quantile sketches for per-step series whose
//! memory does not grow with the number of paths.

pub mod exact;
pub mod risk;
pub mod sketch;
pub mod stream;
pub mod summary;
