//! Cash-flow finance: the IRR of a per-step cash-flow series and the
//! distribution waterfall that splits a fund's proceeds between LPs and GP.
//! Vehicles produce cash flows; this layer turns them into returns, and
//! (`fiscal`) dated fiscal flows into costs on one basis.

pub mod fiscal;
pub mod irr;
pub mod waterfall;
