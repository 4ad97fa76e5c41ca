//! The record of a fund's investments and of its companies' fates on one
//! path, for a vehicle that lends to the same firms (a loan programme with
//! `borrowers_from`, 投贷联动).
//!
//! Recording only copies what the fund's simulation already computed: it
//! draws nothing and changes nothing the fund does, so the fund's results
//! are the same with and without a borrower (common random numbers). It is
//! off unless the scenario wires a borrower to the fund.

use crate::vehicles::equity::Route;

/// One investment of the fund in a company: the initial ticket or a
/// pro-rata follow-on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct InvestmentEvent {
    /// Index of the company in `FundEvents::fates`.
    pub firm: u32,
    /// Absolute step at whose end the fund invests; the company moves on
    /// from the next step.
    pub step: u32,
    pub follow_on: bool,
    /// The fund's cheque (scaled by a sub-fund's raised share).
    pub amount: f64,
    /// The company's value at the investment: its entry value for an
    /// initial investment, the round's post-money for a follow-on.
    pub value: f64,
}

/// What became of one company the fund holds, as the fund saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fate {
    /// Step at which the company failed.
    pub failed: Option<u32>,
    /// Step, route (IPO or acquisition) and price for 100 % of the equity
    /// of its exit.
    pub exit: Option<(u32, Route, f64)>,
    /// First step the fund no longer follows the company (after its
    /// failure, acquisition, last sale of listed shares, the fund's
    /// liquidation or the horizon).
    pub until: u32,
    /// The fund's cost and proceeds in the company (residual marks at the
    /// horizon included), scaled like `InvestmentEvent::amount`.
    pub cost: f64,
    pub proceeds: f64,
}

/// A fund's investments and its companies' fates on the current path, in
/// the order they happen (sub-funds of a guidance fund one after another).
#[derive(Debug, Clone, Default)]
pub(crate) struct FundEvents {
    /// Whether to record at all (set when a borrower is wired).
    pub on: bool,
    /// Scale of the sub-fund being simulated (1 for a stand-alone fund).
    pub scale: f64,
    pub events: Vec<InvestmentEvent>,
    pub fates: Vec<Fate>,
}

impl FundEvents {
    /// Empty, at the start of a path.
    pub(crate) fn clear(&mut self) {
        self.events.clear();
        self.fates.clear();
        self.scale = 1.0;
    }

    /// A new company bought with `amount` at value `value`; returns its
    /// index (0 when off).
    #[inline]
    pub(crate) fn enter(&mut self, step: usize, amount: f64, value: f64) -> u32 {
        if !self.on {
            return 0;
        }
        let firm = self.fates.len() as u32;
        self.fates.push(Fate { failed: None, exit: None, until: step as u32 + 1, cost: 0.0, proceeds: 0.0 });
        self.invest(firm, step, false, amount, value);
        firm
    }

    #[inline]
    pub(crate) fn invest(&mut self, firm: u32, step: usize, follow_on: bool, amount: f64, value: f64) {
        if self.on {
            let amount = amount * self.scale;
            self.events.push(InvestmentEvent { firm, step: step as u32, follow_on, amount, value });
            self.fates[firm as usize].cost += amount;
        }
    }

    #[inline]
    pub(crate) fn fail(&mut self, firm: u32, step: usize) {
        if self.on {
            self.fates[firm as usize].failed = Some(step as u32);
        }
    }

    #[inline]
    pub(crate) fn exit(&mut self, firm: u32, step: usize, route: Route, price: f64) {
        if self.on {
            self.fates[firm as usize].exit = Some((step as u32, route, price));
        }
    }

    /// The fund received `proceeds` from the company (or, at the horizon,
    /// valued what it still holds at that).
    #[inline]
    pub(crate) fn proceeds(&mut self, firm: u32, proceeds: f64) {
        if self.on {
            self.fates[firm as usize].proceeds += proceeds * self.scale;
        }
    }

    /// The fund stops following the company at the end of `step`.
    #[inline]
    pub(crate) fn close(&mut self, firm: u32, step: usize) {
        if self.on {
            self.fates[firm as usize].until = step as u32 + 1;
        }
    }
}
