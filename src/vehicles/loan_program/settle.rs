//! The end of a loan programme's path, shared by the programme lending to
//! its own borrowers (`LoanProgram::simulate`) and the one lending to a
//! fund's companies (`simulate_linked`): once the loans are made and their
//! defaults allocated, the insurance rewards, the per-step series, the
//! fiscal flows on the `[fiscal]` basis and the interest-side totals.
//!
//! The two callers count their book differently: `simulate` in loans of
//! one size (integer counts, `unit` = the loan size), `simulate_linked` in
//! money (loans of different sizes, `unit` = 1). The tail multiplies by
//! `unit` in the same places either did, so each caller's results are the
//! bits they were before the tail was shared.

use super::{LoanFiscal, LoanOutcome, LoanProgram, LoanWorkspace};

/// The book at one step, in the caller's units: principal within its term,
/// of it defaulted, and of it performing (paying interest in the step).
#[derive(Debug, Clone, Copy)]
pub(super) struct Exposure {
    pub outstanding: f64,
    pub defaulted: f64,
    pub performing: f64,
}

/// What the caller counted while lending, in its units.
#[derive(Debug, Clone, Copy)]
pub(super) struct Book {
    /// Money per unit of `Exposure` and `funded` (the loan size, or 1).
    pub unit: f64,
    /// Loan-steps (or principal-steps) with funding outstanding.
    pub funded: f64,
    /// A finite risk-compensation pool's initial size.
    pub finite_pool: Option<f64>,
}

impl LoanProgram {
    /// Settle the path: rewards, series (cumulative gross loss, cumulative
    /// fiscal cost, NPL stock ratio, pool balance), fiscal flows and costs,
    /// interest income, funding cost, guarantee fees and premiums.
    /// `exposure(ws, t, paying)` gives the book at step `t` and adds its
    /// performing principal to the running `paying` (each caller in its
    /// own order, so the sums round as they always did). Expects `o.lent`
    /// and the allocated defaults in `ws.step_loss`, `ws.step_fiscal` and
    /// `ws.pool`.
    pub(super) fn settle(
        &self,
        o: &mut LoanOutcome,
        ws: &mut LoanWorkspace,
        series: [&mut [f64]; 4],
        book: Book,
        mut exposure: impl FnMut(&LoanWorkspace, usize, &mut f64) -> Exposure,
    ) {
        let spec = &self.spec;
        let policy = &spec.policy;
        let k = self.steps_per_year as usize;
        let unit = book.unit;
        let horizon = ws.fiscal_flow.len();
        if let Some(ins) = &policy.insurance {
            o.bank_reward = ins.bank_reward * o.lent;
            o.insurer_reward = ins.insurer_reward * o.lent;
            o.reward_cost = o.bank_reward + o.insurer_reward;
        }
        let per_step_subsidy =
            (policy.interest_subsidy + policy.guarantee.as_ref().map_or(0.0, |g| g.fee * g.fee_subsidy)) / k as f64
                * unit;

        // The series, and the principal paying interest in each step
        // (within its term and performing at its end).
        let [cum_loss, cum_fiscal, npl_series, pool_series] = series;
        let mut paying = 0.0;
        let (mut gross, mut outlay) = (0.0, 0.0);
        let mut balance = book.finite_pool.unwrap_or(f64::NAN);
        for t in 0..horizon {
            balance += ws.pool[t];
            let e = exposure(ws, t, &mut paying);
            ws.fiscal_flow[t] = ws.step_fiscal[t] + e.performing * per_step_subsidy;
            gross += ws.step_loss[t];
            outlay += ws.step_fiscal[t];
            let ratio = if e.outstanding > 0.0 { e.defaulted / e.outstanding } else { f64::NAN };
            if (t + 1) % k == 0 && e.outstanding > 0.0 {
                // The year-end NPL stock ratio; the worst year counts.
                o.npl_ratio = o.npl_ratio.max(ratio);
            }
            npl_series[t] = ratio;
            // Money left in a finite pool at the end of the step (a
            // running sum for the chart; the metrics use the exact state).
            pool_series[t] = if balance.is_nan() { balance } else { balance.max(0.0) };
            cum_loss[t] = gross;
            cum_fiscal[t] = outlay + paying * per_step_subsidy;
        }
        o.subsidy_cost = paying * per_step_subsidy;
        let (present_value, nominal) = self.fiscal.costs(&ws.fiscal_flow);
        o.fiscal = LoanFiscal { present_value, nominal };
        o.interest_income = paying * spec.interest_rate / k as f64 * unit;
        o.funding_cost = book.funded * spec.funding_cost / k as f64 * unit;
        o.guarantee_fees = paying * policy.guarantee.as_ref().map_or(0.0, |g| g.fee) / k as f64 * unit;
        o.premiums = paying * policy.insurance.as_ref().map_or(0.0, |i| i.premium) / k as f64 * unit;
    }
}
