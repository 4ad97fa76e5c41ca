//! The fiscal basis of every vehicle (MODEL.md section 5): one discount
//! rate, `[fiscal] discount_rate`, at which each vehicle's dated fiscal
//! flows are brought to time 0.
//!
//! Part of the cash-flow layer. A vehicle with a fiscal role records, per
//! step of a path, the government's net outlay (payments out of the budget
//! positive, receipts negative, nominal); this module turns that record
//! into the vehicle's `fiscal_cost` (the present value at time 0 of a flow
//! at the end of each step) and `fiscal_cost_nominal` (the plain sum), so
//! that every vehicle's cost is on the same basis and `total.fiscal_cost`
//! adds like things. The engine reads the same record for `budget.csv`.

/// The one rate and the step length it is applied with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiscalBasis {
    /// Annual discount rate (`fiscal.discount_rate`).
    pub discount_rate: f64,
    pub steps_per_year: u32,
}

impl FiscalBasis {
    pub fn new(discount_rate: f64, steps_per_year: u32) -> FiscalBasis {
        FiscalBasis { discount_rate, steps_per_year: steps_per_year.max(1) }
    }

    /// Discount factor of a flow at the end of step `t` (step 0 ends at
    /// 1 / steps_per_year years): `(1 + r)^-((t + 1) / k)`. Exactly 1 at a
    /// rate of 0.
    #[inline]
    pub fn discount(&self, t: usize) -> f64 {
        (1.0 + self.discount_rate).powf(-((t + 1) as f64 / self.steps_per_year as f64))
    }

    /// Present value at time 0 of per-step flows (each at its step's end),
    /// summed in step order.
    pub fn present_value(&self, flows: &[f64]) -> f64 {
        flows.iter().enumerate().map(|(t, &x)| x * self.discount(t)).fold(0.0, |a, b| a + b)
    }

    /// The undiscounted sum of the same flows, in the same order (so at a
    /// rate of 0 it equals `present_value` bit for bit).
    pub fn nominal(flows: &[f64]) -> f64 {
        flows.iter().fold(0.0, |a, &x| a + x)
    }

    /// The (present value, nominal sum) of a vehicle's flows.
    pub fn costs(&self, flows: &[f64]) -> (f64, f64) {
        (self.present_value(flows), Self::nominal(flows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_value_by_hand() {
        // 100 paid at the end of year 1 and 100 received at the end of year
        // 2 (annual steps) at 5 %: 100/1.05 - 100/1.1025 = 4.5351...
        let b = FiscalBasis::new(0.05, 1);
        let pv = b.present_value(&[100.0, -100.0]);
        assert!((pv - (100.0 / 1.05 - 100.0 / 1.1025)).abs() < 1e-12, "{pv}");
        assert_eq!(FiscalBasis::nominal(&[100.0, -100.0]), 0.0);
        // Quarterly steps: a flow at the end of step 3 is one year out.
        let q = FiscalBasis::new(0.08, 4);
        assert!((q.discount(3) - 1.0 / 1.08).abs() < 1e-15);
        assert!((q.discount(0) - 1.08f64.powf(-0.25)).abs() < 1e-15);
    }

    #[test]
    fn at_a_rate_of_zero_the_present_value_is_the_nominal_sum_exactly() {
        let flows = [0.1, 3.7, -2.2, 1e-9, 12.5, -0.3];
        let b = FiscalBasis::new(0.0, 4);
        assert_eq!(b.present_value(&flows).to_bits(), FiscalBasis::nominal(&flows).to_bits());
    }

    #[test]
    fn outlays_later_cost_less_at_a_positive_rate() {
        let b = FiscalBasis::new(0.03, 4);
        let (pv, nominal) = b.costs(&[1.0; 12]);
        assert!(pv < nominal && pv > 0.9 * nominal, "{pv} {nominal}");
        // A negative rate values later outlays above their face value.
        let (pv, nominal) = FiscalBasis::new(-0.01, 4).costs(&[1.0; 12]);
        assert!(pv > nominal);
    }
}
