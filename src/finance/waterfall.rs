//! European (whole-fund) distribution waterfall, stepped through time.
//!
//! Part of the finance layer of the fundsim pipeline: vehicles produce
//! per-step cash flows, then the finance layer computes IRRs (`irr`) and splits
//! proceeds between the limited partners (LPs) and the general partner (GP)
//! (this module). One [`EuropeanWaterfall`] is reused across simulated paths
//! via [`EuropeanWaterfall::reset`]; it holds no heap data and never allocates.
//!
//! # Protocol
//!
//! Each step, in this order: [`accrue_step`](EuropeanWaterfall::accrue_step)
//! (once, even on steps with no cash), [`contribute`](EuropeanWaterfall::contribute)
//! (capital called this step: investments plus management fees), then
//! [`distribute`](EuropeanWaterfall::distribute) (proceeds this step). At fund
//! end, [`clawback`](EuropeanWaterfall::clawback).
//!
//! # Tiers (whole fund, cumulative)
//!
//! 1. Return of capital and preferred return: LPs get everything until the
//!    owed balance is zero. The owed balance is contributed capital (fees
//!    included) plus accrued, unpaid preferred return; it grows by
//!    `(1 + hurdle)^(1 / steps_per_year)` per step (`hurdle` is an effective
//!    annual rate, compounding on the unpaid balance) and is reduced only by
//!    tier-1 payments. A call made after earlier distributions re-opens it:
//!    the new capital (and its preferred return) must be paid back to LPs
//!    before the GP receives anything more.
//! 2. GP catch-up: the GP takes `catch_up` of each further unit (LPs the rest)
//!    until the GP holds `carry` of total cumulative profit, where profit =
//!    total distributed to LPs and GP - total contributed. If
//!    `catch_up <= carry` the GP can never reach its share this way, so the
//!    tier is skipped (no catch-up).
//! 3. Carried interest: the GP takes `carry` of each further unit, LPs the
//!    rest.
//!
//! # Clawback
//!
//! At fund end the GP returns to the LPs `max(0, gp_total - carry *
//! max(0, profit))`, and further, up to what it still holds, whatever LPs need
//! to have received their contributed capital back.
//!
//! Terms are expected to satisfy `hurdle > -1`, `0 <= carry < 1`,
//! `0 <= catch_up <= 1`, `steps_per_year >= 1` (a 0 is treated as 1); amounts
//! are expected finite and `>= 0` (debug-asserted; negative or NaN amounts are
//! ignored in release builds).

/// Terms of the waterfall.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WaterfallTerms {
    /// Preferred return, effective annual rate (e.g. 0.08).
    pub hurdle: f64,
    /// GP share of each unit in the catch-up tier (e.g. 1.0 for full catch-up).
    pub catch_up: f64,
    /// GP carried interest share of profit (e.g. 0.2).
    pub carry: f64,
    /// Simulation steps per year (hurdle compounding).
    pub steps_per_year: u32,
}

/// How one distribution (or total) is split.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Split {
    /// To the limited partners.
    pub lp: f64,
    /// To the general partner.
    pub gp: f64,
}

/// Whole-fund waterfall state for one simulated path.
#[derive(Debug, Clone)]
pub(crate) struct EuropeanWaterfall {
    terms: WaterfallTerms,
    /// Per-step growth factor of the owed balance.
    growth: f64,
    contributed: f64,
    /// Capital plus accrued preferred return not yet paid to LPs.
    owed: f64,
    lp_total: f64,
    gp_total: f64,
}

impl EuropeanWaterfall {
    /// A fresh waterfall (nothing contributed or distributed).
    pub(crate) fn new(terms: WaterfallTerms) -> Self {
        debug_assert!(terms.hurdle > -1.0, "hurdle must exceed -100 %");
        debug_assert!((0.0..1.0).contains(&terms.carry), "carry must be in [0, 1)");
        debug_assert!((0.0..=1.0).contains(&terms.catch_up), "catch_up must be in [0, 1]");
        let k = f64::from(terms.steps_per_year.max(1));
        Self {
            terms,
            growth: (1.0 + terms.hurdle).powf(1.0 / k),
            contributed: 0.0,
            owed: 0.0,
            lp_total: 0.0,
            gp_total: 0.0,
        }
    }

    /// Clear all balances, keeping the terms (no allocation).
    pub(crate) fn reset(&mut self) {
        self.contributed = 0.0;
        self.owed = 0.0;
        self.lp_total = 0.0;
        self.gp_total = 0.0;
    }

    /// Call once at the start of every step: the owed balance earns one step
    /// of preferred return.
    pub(crate) fn accrue_step(&mut self) {
        self.owed *= self.growth;
    }

    /// Capital called from LPs this step (investments plus fees, >= 0).
    pub(crate) fn contribute(&mut self, amount: f64) {
        debug_assert!(amount >= 0.0, "contribution must be >= 0: {amount}");
        if amount > 0.0 {
            self.contributed += amount;
            self.owed += amount;
        }
    }

    /// Split `proceeds` (>= 0) through the tiers; `lp + gp == proceeds` up to
    /// rounding.
    pub(crate) fn distribute(&mut self, proceeds: f64) -> Split {
        debug_assert!(proceeds >= 0.0, "proceeds must be >= 0: {proceeds}");
        if proceeds.is_nan() || proceeds <= 0.0 {
            return Split::default();
        }
        let WaterfallTerms { catch_up, carry, .. } = self.terms;
        let mut rem = proceeds;
        let mut gp = 0.0;

        // Tier 1: capital and preferred return, all to LPs.
        let t1 = rem.min(self.owed.max(0.0));
        self.owed -= t1;
        self.lp_total += t1;
        rem -= t1;

        // Tier 2: catch-up until GP holds `carry` of cumulative profit.
        if rem > 0.0 && catch_up > carry {
            let profit = self.lp_total + self.gp_total - self.contributed;
            let shortfall = carry * profit - self.gp_total;
            if shortfall > 0.0 {
                // gp + cu x = carry (profit + x)  =>  x = shortfall / (cu - carry).
                let x = rem.min(shortfall / (catch_up - carry));
                let g = catch_up * x;
                gp += g;
                self.gp_total += g;
                self.lp_total += x - g;
                rem -= x;
            }
        }

        // Tier 3: carried interest split.
        if rem > 0.0 {
            let g = carry * rem;
            gp += g;
            self.gp_total += g;
            self.lp_total += rem - g;
        }

        Split { lp: proceeds - gp, gp }
    }

    /// At fund end: move excess carry (and, if needed, LP capital shortfall)
    /// from the GP to the LPs. Returns the amount moved (>= 0). Calling it a
    /// second time moves nothing (up to rounding).
    pub(crate) fn clawback(&mut self) -> f64 {
        let profit = self.lp_total + self.gp_total - self.contributed;
        let mut claw = (self.gp_total - self.terms.carry * profit.max(0.0)).max(0.0);
        let lp_short = self.contributed - (self.lp_total + claw);
        if lp_short > 0.0 {
            claw += lp_short;
        }
        let claw = claw.min(self.gp_total);
        self.gp_total -= claw;
        self.lp_total += claw;
        claw
    }

    /// Total capital contributed so far (fees included).
    #[cfg(test)]
    pub(crate) fn contributed(&self) -> f64 {
        self.contributed
    }

    /// Total received by LPs so far.
    #[cfg(test)]
    pub(crate) fn lp_total(&self) -> f64 {
        self.lp_total
    }

    /// Total received by the GP so far (net of any clawback).
    pub(crate) fn gp_total(&self) -> f64 {
        self.gp_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    macro_rules! assert_close {
        ($a:expr, $b:expr) => {{
            let (a, b) = ($a, $b);
            assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
        }};
    }

    fn terms(hurdle: f64, catch_up: f64, carry: f64) -> WaterfallTerms {
        WaterfallTerms { hurdle, catch_up, carry, steps_per_year: 1 }
    }

    /// Contribute 100 at t = 0, then accrue through t = 2 (k = 1, 8 %).
    fn fund_at_t2(catch_up: f64) -> EuropeanWaterfall {
        let mut w = EuropeanWaterfall::new(terms(0.08, catch_up, 0.2));
        w.accrue_step(); // t = 0: owed 0
        w.contribute(100.0); // owed 100
        w.accrue_step(); // t = 1: owed 108
        w.accrue_step(); // t = 2: owed 116.64
        w
    }

    #[test]
    fn all_tiers_bind_full_catch_up() {
        let mut w = fund_at_t2(1.0);
        // Distribute 200 at t = 2.
        // Tier 1: LP 116.64 (100 capital + 16.64 pref); 83.36 left.
        // Tier 2 (cu = 1): after x more, GP = x, profit = 116.64 + x - 100.
        //   x = 0.2 (16.64 + x)  =>  0.8 x = 3.328  =>  x = 4.16 to GP;
        //   79.2 left.
        // Tier 3: GP 0.2 * 79.2 = 15.84, LP 63.36.
        // GP 4.16 + 15.84 = 20 = 20 % of profit 100; LP 116.64 + 63.36 = 180.
        let s = w.distribute(200.0);
        assert_close!(s.gp, 20.0);
        assert_close!(s.lp, 180.0);
        assert_close!(w.gp_total(), 20.0);
        assert_close!(w.lp_total(), 180.0);
        assert_close!(w.contributed(), 100.0);
        assert_eq!(w.clawback(), 0.0);
    }

    #[test]
    fn partial_catch_up() {
        let mut w = fund_at_t2(0.5);
        // Tier 1: LP 116.64; 83.36 left.
        // Tier 2 (cu = 0.5): 0.5 x = 0.2 (16.64 + x)  =>  0.3 x = 3.328
        //   =>  x = 11.09333..., GP 5.54666..., LP 5.54666...; 72.26666... left.
        // Tier 3: GP 0.2 * 72.26666... = 14.45333..., LP 57.81333...
        // GP 5.54666 + 14.45333 = 20; LP 116.64 + 5.54666 + 57.81333 = 180.
        let s = w.distribute(200.0);
        assert_close!(s.gp, 20.0);
        assert_close!(w.lp_total(), 180.0);

        // Stop inside the catch-up with cu = 0.5: 120 = 116.64 + 3.36,
        // GP 0.5 * 3.36 = 1.68, LP 116.64 + 1.68 = 118.32.
        let mut w = fund_at_t2(0.5);
        let s = w.distribute(120.0);
        assert_close!(s.gp, 1.68);
        assert_close!(s.lp, 118.32);
    }

    #[test]
    fn catch_up_not_above_carry_is_skipped() {
        // cu = 0.2 = carry: tier 1 LP 116.64, then straight to the 80/20
        // split of 83.36: GP 16.672, LP 66.688.
        let mut w = fund_at_t2(0.2);
        let s = w.distribute(200.0);
        assert_close!(s.gp, 16.672);
        assert_close!(s.lp, 183.328);
    }

    #[test]
    fn stops_inside_pref_then_inside_catch_up() {
        let mut w = fund_at_t2(1.0);
        // t = 2: 110 < owed 116.64: all to LP, owed 6.64.
        let s = w.distribute(110.0);
        assert_eq!(s.gp, 0.0);
        assert_close!(s.lp, 110.0);
        // t = 3: owed 6.64 * 1.08 = 7.1712. Distribute 10:
        // tier 1 LP 7.1712 (LP total 117.1712), 2.8288 left;
        // catch-up needs x = 0.2 * 17.1712 / 0.8 = 4.2928 > 2.8288,
        // so GP gets all 2.8288.
        w.accrue_step();
        let s = w.distribute(10.0);
        assert_close!(s.lp, 7.1712);
        assert_close!(s.gp, 2.8288);
        // t = 4: owed stays 0. Distribute 100: profit so far 120 - 100 = 20,
        // GP short 0.2 * 20 - 2.8288 = 1.1712, x = 1.1712 / 0.8 = 1.464 to GP;
        // 98.536 left: GP 19.7072, LP 78.8288.
        // GP total 2.8288 + 1.464 + 19.7072 = 24 = 20 % of profit 120;
        // LP total 117.1712 + 78.8288 = 196.
        w.accrue_step();
        let s = w.distribute(100.0);
        assert_close!(s.gp, 1.464 + 19.7072);
        assert_close!(w.gp_total(), 24.0);
        assert_close!(w.lp_total(), 196.0);
        assert_eq!(w.clawback(), 0.0);
    }

    #[test]
    fn later_call_reopens_owed_balance() {
        // k = 1, hurdle 10 %, cu 1, carry 20 %.
        let mut w = EuropeanWaterfall::new(terms(0.10, 1.0, 0.2));
        w.accrue_step();
        w.contribute(100.0); // t = 0: owed 100
        w.accrue_step(); // t = 1: owed 110
        // Distribute 150: LP 110; catch-up 0.2 (10 + x) = x => x = 2.5 to GP;
        // 37.5 left: GP 7.5, LP 30. LP 140, GP 10.
        let s = w.distribute(150.0);
        assert_close!(s.gp, 10.0);
        w.accrue_step(); // t = 2: owed 0
        w.contribute(100.0); // owed re-opened: 100
        w.accrue_step(); // t = 3: owed 110
        let s = w.distribute(50.0); // all LP, owed 60
        assert_close!(s.lp, 50.0);
        assert_eq!(s.gp, 0.0);
        w.accrue_step(); // t = 4: owed 66
        // Distribute 70: LP 66 (owed 0), 4 left. Totals before catch-up:
        // distributed 266, contributed 200, profit 66, GP short 13.2 - 10 = 3.2,
        // x = 3.2 / 0.8 = 4: all 4 to GP. GP 14 = 20 % of profit 70; LP 256.
        let s = w.distribute(70.0);
        assert_close!(s.lp, 66.0);
        assert_close!(s.gp, 4.0);
        assert_close!(w.gp_total(), 14.0);
        assert_close!(w.lp_total(), 256.0);
        assert!(w.clawback().abs() < 1e-9);
    }

    #[test]
    fn clawback_after_early_carry() {
        // k = 1, hurdle 0, cu 1, carry 20 %.
        let mut w = EuropeanWaterfall::new(terms(0.0, 1.0, 0.2));
        w.accrue_step();
        w.contribute(100.0); // t = 0
        w.accrue_step();
        // t = 1: 150: LP 100 (capital); profit so far 0, no catch-up owed;
        // 50 split: GP 10, LP 40. LP 140, GP 10.
        let s = w.distribute(150.0);
        assert_close!(s.gp, 10.0);
        w.accrue_step();
        w.contribute(100.0); // t = 2: owed 100
        w.accrue_step();
        // t = 3: 80, all LP (owed 20 left). LP 220, GP 10.
        let s = w.distribute(80.0);
        assert_eq!(s.gp, 0.0);
        // End: contributed 200, distributed 230, profit 30, GP may keep 6:
        // clawback 10 - 6 = 4. LP 224, GP 6.
        assert_close!(w.clawback(), 4.0);
        assert_close!(w.gp_total(), 6.0);
        assert_close!(w.lp_total(), 224.0);
        assert_eq!(w.clawback(), 0.0);
    }

    #[test]
    fn clawback_on_a_losing_fund_returns_everything() {
        let mut w = EuropeanWaterfall::new(terms(0.0, 1.0, 0.2));
        w.accrue_step();
        w.contribute(100.0);
        w.accrue_step();
        w.distribute(150.0); // LP 140, GP 10 (as above)
        w.accrue_step();
        w.contribute(100.0);
        w.accrue_step();
        w.distribute(20.0); // LP 160
        // Contributed 200, distributed 170: profit -30, GP keeps nothing:
        // clawback 10; LP 170 (still short of capital, GP has no more).
        assert_close!(w.clawback(), 10.0);
        assert_eq!(w.gp_total(), 0.0);
        assert_close!(w.lp_total(), 170.0);
    }

    #[test]
    fn reset_and_quarterly_growth() {
        // k = 4, hurdle 8 %: four accruals give exactly 8 % on the balance.
        let t = WaterfallTerms { hurdle: 0.08, catch_up: 1.0, carry: 0.2, steps_per_year: 4 };
        let mut w = EuropeanWaterfall::new(t);
        w.accrue_step();
        w.contribute(100.0);
        for _ in 0..4 {
            w.accrue_step();
        }
        // Owed 108: distributing 108 pays LP only, 1 more goes to catch-up.
        let s = w.distribute(108.0);
        assert_close!(s.lp, 108.0);
        assert!(s.gp.abs() < 1e-9);
        let s = w.distribute(1.0);
        assert_close!(s.gp, 1.0);
        w.reset();
        assert_eq!(w.contributed(), 0.0);
        assert_eq!(w.lp_total(), 0.0);
        assert_eq!(w.gp_total(), 0.0);
        let s = w.distribute(5.0);
        // No capital: profit before this is 0, so GP already holds its 20 %
        // share; all 5 goes to the 80/20 split: GP 1, LP 4.
        assert_close!(s.gp, 1.0);
    }

    #[derive(Debug, Clone, Copy)]
    struct Step {
        contrib: f64,
        dist: f64,
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        (0.0f64..100.0, 0.0f64..300.0, 0u8..4).prop_map(|(c, d, mode)| match mode {
            0 => Step { contrib: c, dist: 0.0 },
            1 => Step { contrib: 0.0, dist: d },
            2 => Step { contrib: c, dist: d },
            _ => Step { contrib: 0.0, dist: 0.0 },
        })
    }

    fn terms_strategy() -> impl Strategy<Value = WaterfallTerms> {
        (0.0f64..0.2, 0.0f64..=1.0, 0.0f64..0.4, 1u32..=12).prop_map(|(h, cu, c, k)| WaterfallTerms {
            hurdle: h,
            catch_up: cu,
            carry: c,
            steps_per_year: k,
        })
    }

    fn check_path(t: WaterfallTerms, steps: &[Step]) -> Result<(), TestCaseError> {
        let mut w = EuropeanWaterfall::new(t);
        let (mut total_in, mut total_out) = (0.0, 0.0);
        for s in steps {
            w.accrue_step();
            w.contribute(s.contrib);
            total_in += s.contrib;
            let split = w.distribute(s.dist);
            total_out += s.dist;
            prop_assert!(split.lp >= -1e-12 && split.gp >= 0.0);
            prop_assert!((split.lp + split.gp - s.dist).abs() <= 1e-9 * s.dist.max(1.0));
            if t.carry == 0.0 {
                prop_assert_eq!(split.gp, 0.0);
            }
        }
        let scale = total_out.max(total_in).max(1.0);
        let claw = w.clawback();
        prop_assert!(claw >= 0.0);
        let (lp, gp) = (w.lp_total(), w.gp_total());
        prop_assert!(lp >= 0.0 && gp >= 0.0);
        prop_assert!((lp + gp - total_out).abs() <= 1e-9 * scale);
        prop_assert!((w.contributed() - total_in).abs() <= 1e-9 * scale);
        let profit = total_out - total_in;
        prop_assert!(gp <= t.carry * profit.max(0.0) + 1e-9 * scale);
        // LP net gain + GP carry = proceeds - contributed.
        prop_assert!(((lp - total_in) + gp - profit).abs() <= 1e-9 * scale);
        // LPs get their capital back whenever the fund returned it.
        if total_out >= total_in {
            prop_assert!(lp >= total_in - 1e-9 * scale);
        }
        if t.carry == 0.0 {
            prop_assert_eq!(gp, 0.0);
        }
        prop_assert!(w.clawback() <= 1e-9 * scale);
        Ok(())
    }

    proptest! {
        #[test]
        fn conservation(
            t in terms_strategy(),
            steps in prop::collection::vec(step_strategy(), 1..80),
        ) {
            check_path(t, &steps)?;
        }

        #[test]
        fn zero_carry_gp_gets_nothing(
            t in terms_strategy(),
            steps in prop::collection::vec(step_strategy(), 1..80),
        ) {
            check_path(WaterfallTerms { carry: 0.0, ..t }, &steps)?;
        }
    }
}
