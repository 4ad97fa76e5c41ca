//! The economy and the companies every vehicle holds (MODEL.md sections 2-3).
//!
//! Second stage of the pipeline: validated parameters from `scenario` are
//! turned into per-step tables here once, so that the per-path loop in
//! `vehicles` and `engine` only does arithmetic and draws.

pub mod company;
pub mod market;
pub mod normal;
pub mod policy;
