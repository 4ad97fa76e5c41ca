//! fundsim: a Monte Carlo engine for tech-finance policy.
//!
//! The pipeline, one folder or file per stage:
//!
//! ```text
//! scenario/  TOML -> raw types -> validated Scenario (all errors collected)
//! rng/       one portable random stream per (seed, path, component); failure scans
//! model/     the economy (factor, regimes, policy) and the company life cycle
//! vehicles/  venture fund, guidance fund, S fund, loan programme
//! finance/   IRR and the distribution waterfall
//! engine.rs  parallel paths -> per-path metric rows (or, with --no-paths, exact
//!            column sums and sketches), series sketches, deal counts
//! stats/     summaries, risk measures, quantile sketches, exact sums
//! sweep.rs   [[sweep]] variants and [sensitivity] cases on common random numbers
//! output/    CSV files, charts, the report and the manifest, written atomically
//! limits.rs  resource limits checked before a run (threads, memory, sizes)
//! bench.rs   `fundsim bench`: throughput and thread scaling
//! run.rs     `fundsim run`: base run, sweep variants, sensitivity cases, outputs
//! shard/     `run --shard K/N` part files and `fundsim merge` (docs/CLUSTER.md)
//! cli.rs     the command line
//! ```
//!
//! The model is specified in `docs/MODEL.md`.

// Unsafe code is refused everywhere but in the one place that calls an
// AVX2 kernel after checking the processor has it (`rng::scan`).
#![deny(unsafe_code)]

pub mod bench;
pub mod cli;
pub mod engine;
pub mod error;
pub mod finance;
pub mod limits;
pub mod model;
pub mod output;
pub(crate) mod paired;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod vehicles;

pub use error::Error;
