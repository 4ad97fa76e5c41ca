//! Economy-wide policy (MODEL.md section 2): registration-based IPOs (注册制)
//! and the lock-up and sell-down (减持) rules that delay and spread the sale
//! of shares after an IPO.

/// Validated `[policy]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Scales every IPO hazard.
    pub ipo_registration_multiplier: f64,
    pub lockup_years: f64,
    pub selldown_years: f64,
    /// An IPO's price over the company's private value (before the
    /// regime's valuation multiplier): listing removes the discount for
    /// illiquidity that private valuations carry, 1 / (1 - discount).
    pub ipo_premium: f64,
}

impl Policy {
    /// Steps between the IPO and the first sale.
    pub(crate) fn lockup_steps(&self, steps_per_year: u32) -> u32 {
        (self.lockup_years * steps_per_year as f64).round() as u32
    }

    /// Number of equal sales the shares are sold in (at least one: with no
    /// sell-down period everything is sold when the lock-up ends).
    pub(crate) fn selldown_sales(&self, steps_per_year: u32) -> u32 {
        ((self.selldown_years * steps_per_year as f64).round() as u32).max(1)
    }
}
