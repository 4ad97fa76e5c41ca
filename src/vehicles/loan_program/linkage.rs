//! Investment-loan linkage on the same firms (投贷联动, item 十 of the
//! measures; docs/CREDIT.md section 11): a loan programme with
//! `borrowers_from` lends to the portfolio companies of an equity vehicle
//! of the scenario, on the fates that vehicle's simulation gave them.
//!
//! The rule. At each initial investment of the fund (and, with
//! `follow_on_loans`, each follow-on) the bank lends to the company:
//! `loan_share` × the fund's cheque, capped at `loan_size` (every loan is
//! `loan_size` without `loan_share`). The loan is made at the end of the
//! step the fund invests and runs from the next step for `term_years`; it
//! matures earlier when the fund stops following the company (its last
//! sale of listed shares, an acquisition, the fund's liquidation, at which
//! the buyer takes over or repays the debt: an assumption), and at the
//! horizon. It defaults when the company fails within that span, at the
//! step the fund writes it off: one fate per firm, seen by both vehicles.
//! A warrant pays `warrant_coverage` × loan × max(P / V - 1, 0) when the
//! company exits by IPO or acquisition at price P after the loan is made,
//! V the company's value when the loan was made (its entry value, or the
//! round's post-money). The bank's investment arm puts `coinvest_share` ×
//! every cheque of the fund alongside it in the same firms and so gets the
//! same share of the fund's proceeds from them.
//!
//! Nothing here draws on the fund's streams: the loans read the fund's
//! record (`venture_fund::events`), so the fund's results are the same with
//! and without the loan programme. Each loan's own draws (IP pledge and its
//! recovery) come from a stream keyed by the programme and the loan's
//! index.

use super::settle::{Book, Exposure};
use super::{ATTRIBUTES, DefaultEvent, LoanOutcome, LoanProgram, LoanWorkspace, Pool};
use crate::model::market::MarketPath;
use crate::vehicles::equity::Route;
use crate::vehicles::venture_fund::events::FundEvents;

/// Salt of the linked loans' attribute streams.
const LINKED: u64 = 0x4C49_4E4B_4544_0000;

/// Keys that choose the borrowers of a programme without a fund, refused
/// with `borrowers_from`.
const UNLINKED_KEYS: [&str; 6] =
    ["loans", "cohorts", "borrower_stage", "pd", "first_loan_share", "first_loan_pd_multiplier"];

/// Keys of the linkage, refused without `borrowers_from`.
const LINKAGE_KEYS: [&str; 3] = ["follow_on_loans", "loan_share", "coinvest_share"];

/// Keys of the lending table that concern applicants of the programme's
/// own, refused with `borrowers_from` (the fund's investments are the
/// applicants, none of them a first-time borrower, and their fates are
/// the fund's, which moral hazard cannot change).
const UNLINKED_LENDING_KEYS: [&str; 4] =
    ["applicants", "first_loan_screening_noise", "first_loan_premium", "moral_hazard"];

/// `pd` with `borrowers_from` is the bank's prior when a lending table is
/// given (`linked_lending.rs`), and refused otherwise.
fn unlinked_key_applies(k: &str, lending: bool) -> bool {
    !(lending && k == "pd")
}

/// The keys a programme with (`linked`) or without `borrowers_from`
/// refuses, out of its resolved table (`lending`: it has a lending table).
pub(super) fn drop_unused_keys(linked: bool, lending: bool, table: &mut toml::map::Map<String, toml::Value>) {
    if linked {
        for k in UNLINKED_KEYS.iter().filter(|k| unlinked_key_applies(k, lending)) {
            table.remove(*k);
        }
        if let Some(l) = table.get_mut("lending").and_then(|l| l.as_table_mut()) {
            for k in UNLINKED_LENDING_KEYS {
                l.remove(k);
            }
        }
    } else {
        for k in LINKAGE_KEYS {
            table.remove(k);
        }
    }
}

/// The keys of `UNLINKED_KEYS` with `borrowers_from` and of `LINKAGE_KEYS`
/// without it: each found one with its rule.
pub(super) fn check_table(prefix: &str, table: &toml::Value) -> Vec<(String, String)> {
    let linked = table.get("borrowers_from").is_some();
    let mut found = Vec::new();
    if linked {
        let lending = table.get("lending");
        for k in UNLINKED_KEYS.into_iter().filter(|k| unlinked_key_applies(k, lending.is_some())) {
            if table.get(k).is_some() {
                let rule = "is set by the fund with borrowers_from: the borrowers are its portfolio companies, \
                            one loan per investment, each with the company's own fate; remove it";
                found.push((format!("{prefix}.{k}"), rule.to_string()));
            }
        }
        for k in UNLINKED_LENDING_KEYS {
            if lending.and_then(|l| l.get(k)).is_some() {
                let rule = "does not apply with borrowers_from: the applicants are the fund's investments, none a \
                            first-time borrower, and each fails or not as its company does in the fund; remove it";
                found.push((format!("{prefix}.lending.{k}"), rule.to_string()));
            }
        }
    } else {
        for k in LINKAGE_KEYS {
            if table.get(k).is_some() {
                let rule = "applies only to a programme that lends to a fund's companies: set borrowers_from \
                            (the name of a venture_fund or guidance_fund vehicle) or remove it";
                found.push((format!("{prefix}.{k}"), rule.to_string()));
            }
        }
    }
    found
}

/// One linked loan on the current path: its principal, the steps it runs
/// (`start..end`) and the step it defaults, if it does.
#[derive(Debug, Clone, Copy)]
pub(super) struct LinkedLoan {
    principal: f64,
    start: usize,
    end: usize,
    default: Option<usize>,
}

impl LoanProgram {
    /// Simulate one path of a programme lending to the fund whose record on
    /// this path is `fund`; writes the same series as `simulate`.
    pub(super) fn simulate_linked(
        &self,
        path_key: u64,
        market: &MarketPath,
        fund: &FundEvents,
        ws: &mut LoanWorkspace,
        series: [&mut [f64]; 4],
    ) -> LoanOutcome {
        let spec = &self.spec;
        let policy = &spec.policy;
        let horizon = market.z.len();
        let finite_pool = policy.risk_compensation.as_ref().and_then(|r| r.pool_size);
        let mut pool = Pool { left: finite_pool.unwrap_or(f64::INFINITY), finite: finite_pool.is_some() };
        let mut o = LoanOutcome { pool_funded: finite_pool.unwrap_or(0.0), ..LoanOutcome::default() };
        for v in [&mut ws.step_loss, &mut ws.step_fiscal, &mut ws.pool, &mut ws.fiscal_flow] {
            v.clear();
            v.resize(horizon, 0.0);
        }
        ws.defaults.clear();
        ws.linked.clear();
        let mut funded = 0.0;
        for (i, e) in fund.events.iter().filter(|e| !e.follow_on || spec.follow_on_loans).enumerate() {
            o.loans_offered += 1;
            let fate = &fund.fates[e.firm as usize];
            let principal = spec.loan_share.map_or(spec.loan_size, |s| (s * e.amount).min(spec.loan_size));
            let start = (e.step as usize + 1).min(horizon);
            let end = (start + self.term_steps).min(fate.until as usize).min(horizon).max(start);
            let (_, ip, mut attr) = self.attributes(path_key, LINKED ^ ATTRIBUTES, i as u64);
            let default = fate.failed.map(|f| f as usize).filter(|&f| f >= start && f < end).map(|t| DefaultEvent {
                step: t as u32,
                end: end as u32,
                loss: self.loss_on(principal, ip, &mut attr, market.year_factor[t]),
                principal,
            });
            // The bank's decision, with a lending table; without one it
            // takes every loan offered, all of them made anyway.
            let baseline = match (&self.screen, &self.decision) {
                (Some(screen), Some(decision)) => {
                    let v = screen.decide(decision, path_key, self.key, i as u64, default.is_some(), ip);
                    if !v.lends {
                        continue;
                    }
                    v.baseline
                }
                _ => true,
            };
            o.loans_made += 1;
            o.baseline_loans += baseline as u64;
            o.lent += principal;
            if !baseline {
                o.additional_lent += principal;
            }
            o.loan_steps += (end - start) as u64;
            // Funded until it defaults (that step included) or matures.
            funded += principal * (default.map_or(end, |d| d.step as usize + 1) - start) as f64;
            if let Some(d) = default {
                o.defaults += 1;
                if baseline {
                    o.baseline_defaults += 1;
                } else {
                    o.additional_defaults += 1;
                }
                ws.defaults.push(d);
            }
            ws.linked.push(LinkedLoan { principal, start, end, default: default.map(|d| d.step as usize) });
            if let Some((at, Route::Ipo | Route::Acquired, price)) = fate.exit
                && at as usize >= start
            {
                o.warrant_gain += spec.warrant_coverage * principal * (price / e.value - 1.0).max(0.0);
            }
            if let Some(ins) = &policy.insurance {
                ws.step_fiscal[start.min(horizon - 1)] += (ins.bank_reward + ins.insurer_reward) * principal;
            }
        }
        // Defaults in order of their step (stably: by loan within a step).
        ws.defaults.sort_by_key(|d| d.step);
        for i in 0..ws.defaults.len() {
            let d = ws.defaults[i];
            self.allocate(d, d.principal, &mut pool, ws, &mut o);
        }
        o.coinvested = spec.coinvest_share * fund.fates.iter().map(|f| f.cost).sum::<f64>();
        o.coinvest_proceeds = spec.coinvest_share * fund.fates.iter().map(|f| f.proceeds).sum::<f64>();
        let book = Book { unit: 1.0, funded, finite_pool };
        self.settle(&mut o, ws, series, book, |ws, t, paying| {
            // Principal within its term, of it defaulted, by amount (linked
            // loans differ in size); summed loan by loan each step, so no
            // running sum drifts (an NPL ratio of all loans is exactly 1).
            let (mut outstanding, mut defaulted, mut performing) = (0.0, 0.0, 0.0);
            for l in ws.linked.iter().filter(|l| l.start <= t && t < l.end) {
                outstanding += l.principal;
                if l.default.is_some_and(|d| d <= t) {
                    defaulted += l.principal;
                } else {
                    // Loan by loan into the running total, as before the
                    // flows were recorded (the same rounding).
                    *paying += l.principal;
                    performing += l.principal;
                }
            }
            Exposure { outstanding, defaulted, performing }
        });
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{MARKET, stream};
    use crate::scenario::load_str;
    use crate::vehicles::VehicleKind;
    use crate::vehicles::venture_fund::events::{Fate, InvestmentEvent};

    /// The metric row of the programme on a hand-made fund record over two
    /// years of quarters.
    fn row(follow_on_loans: bool, fund: &FundEvents) -> Vec<f64> {
        let text = format!(
            "[simulation]\nyears = 2\nsteps_per_year = 4\n[vehicles.fund]\nkind = \"venture_fund\"\n\
             [vehicles.bank]\nkind = \"loan_program\"\nborrowers_from = \"fund\"\nloan_share = 0.5\nloan_size = 3.0\n\
             term_years = 1.0\ninterest_rate = 0.04\nfunding_cost = 0.02\nlgd = 0.45\nwarrant_coverage = 0.1\n\
             coinvest_share = 0.2\nfollow_on_loans = {follow_on_loans}\n"
        );
        let scn = load_str(&text, "t.toml", &[]).unwrap().scenario;
        let VehicleKind::LoanProgram(l) = &scn.vehicles[1].kind else { panic!() };
        let mut market = MarketPath::default();
        market.simulate(&scn.market, 8, 4, &mut stream(scn.seed, 0, MARKET));
        let mut ws = LoanWorkspace::default();
        let mut buf = vec![0.0; 4 * 8];
        let (a, rest) = buf.split_at_mut(8);
        let (b, rest) = rest.split_at_mut(8);
        let (c, d) = rest.split_at_mut(8);
        let o = l.simulate_linked(0, &market, fund, &mut ws, [a, b, c, d]);
        l.metrics(&o).to_vec()
    }

    fn metric(row: &[f64], name: &str) -> f64 {
        row[crate::vehicles::catalogue::column(&super::super::METRICS, name).unwrap()]
    }

    #[test]
    fn a_hand_worked_record_gives_the_hand_worked_metrics() {
        let event = |firm, step, follow_on, amount, value| InvestmentEvent { firm, step, follow_on, amount, value };
        let fund = FundEvents {
            on: true,
            scale: 1.0,
            events: vec![
                event(0, 0, false, 4.0, 10.0),
                event(1, 1, false, 8.0, 20.0),
                event(1, 3, true, 2.0, 40.0),
                event(2, 6, false, 2.0, 5.0),
            ],
            fates: vec![
                // Fails in step 2: its loan (2 = 0.5 x 4, steps 1-2) defaults.
                Fate { failed: Some(2), exit: None, until: 3, cost: 4.0, proceeds: 0.4 },
                // Acquired at 60 in step 5: its loan (3, the cap; steps 2-5)
                // repays, the warrant pays 0.1 x 3 x (60 / 20 - 1) = 0.6.
                Fate { failed: None, exit: Some((5, Route::Acquired, 60.0)), until: 6, cost: 10.0, proceeds: 25.0 },
                // Fails in step 7, the horizon's last: its loan (1) defaults.
                Fate { failed: Some(7), exit: None, until: 8, cost: 2.0, proceeds: 0.0 },
            ],
        };
        let r = row(false, &fund);
        let near = |name: &str, x: f64| {
            let y = metric(&r, name);
            assert!((y - x).abs() < 1e-12, "{name} = {y}, by hand {x}");
        };
        near("loans_offered", 3.0);
        near("loans_made", 3.0);
        near("credit", 6.0);
        near("defaults", 2.0);
        near("gross_loss", 0.45 * 2.0 + 0.45 * 1.0);
        near("bank_net_loss", 1.35);
        // Performing principal-quarters: 2 x 1 + 3 x 4 + 1 x 0 = 14; funded:
        // 2 x 2 + 3 x 4 + 1 x 1 = 17.
        near("interest_income", 14.0 * 0.04 / 4.0);
        near("funding_cost", 17.0 * 0.02 / 4.0);
        near("warrant_gain", 0.6);
        near("coinvested", 0.2 * 16.0);
        near("coinvest_proceeds", 0.2 * 25.4);
        let gain = 0.6 + 0.2 * 25.4 - 0.2 * 16.0;
        near("linked_equity_gain", gain);
        near("linkage_net", gain - 1.35);
        near("equity_covers_losses", 1.0);
        near("linkage_return", (0.14 - 0.085 - 1.35 + gain) / (6.0 + 3.2));
        // Year ends (steps 3 and 7): only the 3 performs at step 3; at
        // step 7 the one loan within its term has defaulted.
        near("npl_ratio", 1.0);
        near("default_rate", 2.0 / 3.0);

        // With follow-on loans: one more, 1 = 0.5 x 2, steps 4-5, repaid at
        // the acquisition, its warrant 0.1 x 1 x (60 / 40 - 1) = 0.05.
        let r = row(true, &fund);
        assert!((metric(&r, "loans_offered") - 4.0).abs() < 1e-12);
        assert!((metric(&r, "credit") - 7.0).abs() < 1e-12);
        assert!((metric(&r, "warrant_gain") - 0.65).abs() < 1e-12);
        assert!((metric(&r, "interest_income") - 16.0 * 0.04 / 4.0).abs() < 1e-12);
    }
}
