//! Lockstep variants of one loan programme (issue 19): several variants of
//! a programme that differ only in keys of the decision, settlement and
//! output classes (`input::KEY_CLASSES`) simulated together path by path.
//!
//! Per path and cohort the applicants' draws (class, IP, risk, the noise
//! of the bank's reading) are drawn once for all variants; each variant
//! then decides on the whole cohort, in applicant order, with its own
//! levers and its own pool state. A borrower's fate depends only on its
//! company draws and its one-year threshold, so the first variant to lend
//! to it follows it and every later one at the same threshold reuses it;
//! each variant books it with its own loss. The default allocation, pool,
//! subsidies and series run per variant, in the same code as a run alone
//! (`LoanProgram::simulate` is the one-variant case of the same phases). One-step cohorts drawn by counts look their
//! counts up in a memo shared by the variants (`counts::CountMemo`: a
//! count is a pure function of its tree's key, size and cut). A programme
//! without a lending table has no decision: variants whose fates and
//! losses cannot differ (`compatible`) take the first variant's defaults.
//!
//! Each variant's outcome is the one it has run alone, bit for bit
//! (tests/sharing.rs checks every key of these classes at two values and
//! every shipped sweep and sensitivity case).

use super::counts::CountMemo;
use super::input::{KeyClass, key_class};
use super::lending::{Applicant, ApplicantClass};
use super::{LoanOutcome, LoanProgram, LoanWorkspace, PathState, cohort_salt};
use crate::model::company::CompanyModel;
use crate::model::market::MarketPath;
use crate::rng::company_key;

/// Whether two resolved loan-programme tables (TOML text) differ only in
/// keys whose class lets their variants run in lockstep: the decision,
/// settlement and output classes. A key without a class, or of an earlier
/// stage, answers no (a separate run).
pub(crate) fn differ_only_downstream(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (a.parse::<toml::Table>(), b.parse::<toml::Table>()) else {
        return false;
    };
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    leaves("", &toml::Value::Table(a), &mut la);
    leaves("", &toml::Value::Table(b), &mut lb);
    let differing = la
        .iter()
        .filter(|x| !lb.contains(x))
        .chain(lb.iter().filter(|x| !la.contains(x)))
        .map(|(k, _)| k.as_str());
    let mut any = false;
    for key in differing {
        any = true;
        if !matches!(key_class(key), Some(KeyClass::Decision | KeyClass::Settlement | KeyClass::Output)) {
            return false;
        }
    }
    any || la == lb
}

/// Every leaf of a TOML value with its dotted key (no leading dot).
fn leaves(prefix: &str, v: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&key, x, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Whether `b` can run in lockstep with `a`: everything the shared stage
/// reads is the same (stream keys, steps, cohorts, the applicants' draws
/// and the loop that simulates them); without a lending table, also every
/// input of the defaults and their losses. A guard under the key classes:
/// when it answers no, `b` runs on its own.
pub(crate) fn compatible(a: &LoanProgram, b: &LoanProgram) -> bool {
    let (s, t) = (&a.spec, &b.spec);
    let same = |x: f64, y: f64| x.to_bits() == y.to_bits();
    let shared = a.source.is_none()
        && b.source.is_none()
        && a.key == b.key
        && a.steps_per_year == b.steps_per_year
        && a.term_steps == b.term_steps
        && s.cohorts == t.cohorts
        && s.borrower_stage == t.borrower_stage
        && same(s.first_loan_share, t.first_loan_share)
        && same(s.ip_pledge_share, t.ip_pledge_share)
        && (s.warrant_coverage > 0.0) == (t.warrant_coverage > 0.0)
        && a.decision.is_some() == b.decision.is_some()
        && a.counts.is_some() == b.counts.is_some()
        && s.lending.as_ref().map(|l| l.applicants) == t.lending.as_ref().map(|l| l.applicants);
    if !shared {
        return false;
    }
    if a.decision.is_some() {
        return true;
    }
    // No decision: the first variant's defaults stand for every variant's.
    s.loans == t.loans
        && a.thresholds.iter().flatten().map(|x| x.to_bits()).eq(b.thresholds.iter().flatten().map(|x| x.to_bits()))
        && same(s.loan_size, t.loan_size)
        && same(s.lgd, t.lgd)
        && same(s.downturn_lgd, t.downturn_lgd)
        && same(s.ip_recovery, t.ip_recovery)
        && same(s.ip_recovery_sd, t.ip_recovery_sd)
        && same(s.warrant_coverage, t.warrant_coverage)
}

/// Reusable buffers of a lockstep run.
#[derive(Debug, Default)]
pub(crate) struct LockstepScratch {
    memo: CountMemo,
    /// The cohort's applicants, and the bank's reading of each (threshold,
    /// perceived PD) by the variant in hand.
    applicants: Vec<Applicant>,
    readings: Vec<(f64, f64)>,
    /// Per applicant: the first fate followed (threshold bits, default
    /// step, loan-steps).
    fates: Vec<Option<(u64, Option<usize>, u64)>>,
    /// Per variant: loans made in the cohort.
    made: Vec<u64>,
}

/// Simulate one path of every programme of `programs` (pairwise
/// `compatible`, the first the leader) in lockstep: `wss[v]` and
/// `series[v]` as `LoanProgram::simulate` fills them for variant v, and
/// its outcome, which is the one `simulate` gives.
#[allow(clippy::too_many_arguments)]
pub(crate) fn simulate(
    programs: &[&LoanProgram],
    path_key: u64,
    market: &MarketPath,
    model: &CompanyModel,
    wss: &mut [&mut LoanWorkspace],
    series: Vec<[&mut [f64]; 4]>,
    scratch: &mut LockstepScratch,
) -> Vec<LoanOutcome> {
    let lead = programs[0];
    let horizon = market.z.len();
    let mut states: Vec<PathState> = programs.iter().zip(wss.iter_mut()).map(|(p, ws)| p.begin(market, model, ws)).collect();
    for c in 0..lead.spec.cohorts {
        let mut start = 0;
        for ((p, st), ws) in programs.iter().zip(&mut states).zip(wss.iter_mut()) {
            start = p.open_cohort(c, st, ws);
        }
        scratch.made.clear();
        if lead.counts.is_some() {
            scratch.memo.clear();
            for ((p, st), ws) in programs.iter().zip(&mut states).zip(wss.iter_mut()) {
                let open = st.pool.left > 0.0;
                let made = p.lend_cohort(path_key, market, model, c, start, open, ws, &mut st.o, Some(&mut scratch.memo));
                scratch.made.push(made);
            }
        } else if lead.decision.is_some() {
            lend(programs, path_key, market, model, c, start, &mut states, wss, scratch);
        } else {
            let (first, rest) = wss.split_first_mut().expect("at least one variant");
            let (st0, others) = states.split_first_mut().expect("at least one variant");
            let from = st0.first_default;
            let made = lead.lend_cohort(path_key, market, model, c, start, st0.pool.left > 0.0, first, &mut st0.o, None);
            scratch.made.push(made);
            for (ws, st) in rest.iter_mut().zip(others) {
                // Same loans, same fates, same losses (`compatible`): the
                // leader's defaults, and its counts of the lending phase.
                for d in &first.defaults[from..] {
                    ws.defaults.push(*d);
                    ws.npl[d.step as usize] += 1;
                    ws.npl[d.end as usize] -= 1;
                }
                st.o.loans_made = st0.o.loans_made;
                st.o.baseline_loans = st0.o.baseline_loans;
                st.o.loan_steps = st0.o.loan_steps;
                st.o.warrant_gain = st0.o.warrant_gain;
                scratch.made.push(made);
            }
        }
        for (((p, st), ws), &made) in programs.iter().zip(&mut states).zip(wss.iter_mut()).zip(&scratch.made) {
            p.close_cohort(c, start, made, st, ws, horizon);
        }
    }
    programs.iter().zip(states).zip(wss.iter_mut()).zip(series).map(|(((p, st), ws), s)| p.finish(st, ws, s)).collect()
}

/// Whether two classes read an applicant alike, bit for bit
/// (`LoanProgram::perceive` reads these five numbers).
fn same_reading(a: &ApplicantClass, b: &ApplicantClass) -> bool {
    let bits = |c: &ApplicantClass| [c.mean_threshold, c.dispersion, c.noise, c.weight, c.scale].map(f64::to_bits);
    bits(a) == bits(b)
}

/// Cohort `c` of programmes with a lending table, in lockstep: the
/// applicants drawn once, then each variant in turn decides on all of them
/// in applicant order (as it does alone), reading them as the variant
/// before it when its classes read alike, and following a borrower's fate
/// only when no variant before it has followed it at the same threshold
/// (with warrants, always: the warrant's gain is the variant's). Each
/// variant books its loans with its own loss.
#[allow(clippy::too_many_arguments)]
fn lend(
    programs: &[&LoanProgram],
    path_key: u64,
    market: &MarketPath,
    model: &CompanyModel,
    c: u32,
    start: usize,
    states: &mut [PathState],
    wss: &mut [&mut LoanWorkspace],
    scratch: &mut LockstepScratch,
) {
    let lead = programs[0];
    let lending = lead.spec.lending.as_ref().expect("a decision comes with a lending table");
    let end = (start + lead.term_steps).min(market.z.len());
    let salt = cohort_salt(c);
    let key = lead.key ^ salt;
    let warrants = lead.spec.warrant_coverage > 0.0;
    let n = lending.applicants as usize;
    scratch.applicants.clear();
    scratch.applicants.extend((0..n as u64).map(|i| lead.applicant(path_key, salt, i)));
    scratch.fates.clear();
    scratch.fates.resize(n, None);
    scratch.made.clear();
    let mut before: Option<&LoanProgram> = None;
    for ((p, st), ws) in programs.iter().zip(states.iter_mut()).zip(wss.iter_mut()) {
        let d = p.decision.as_ref().expect("compatible programmes all decide");
        let reads_alike = before.and_then(|q| q.decision.as_ref()).is_some_and(|e| {
            same_reading(&e.classes[0], &d.classes[0]) && same_reading(&e.classes[1], &d.classes[1])
        });
        if !reads_alike {
            scratch.readings.clear();
            scratch
                .readings
                .extend(scratch.applicants.iter().map(|a| LoanProgram::perceive(&d.classes[a.first as usize], model, a)));
        }
        before = Some(p);
        let terms = p.terms(d, st.pool.left > 0.0);
        let (o, ws) = (&mut st.o, &mut **ws);
        let mut made = 0u64;
        for (i, (a, &reading)) in scratch.applicants.iter().zip(&scratch.readings).enumerate() {
            let Some(loan) = p.choose(d, model, a, reading, &terms) else { continue };
            made += 1;
            let company_key = company_key(path_key, key, i as u64);
            let defaulted = if warrants {
                p.warrant_fate(market, model, company_key, loan.threshold, start, end, ws, o)
            } else {
                let bits = loan.threshold.to_bits();
                let (defaulted, steps) = match scratch.fates[i] {
                    Some((b, d, s)) if b == bits => (d, s),
                    known => {
                        let (d, s) = p.lean_fate(market, model, company_key, loan.threshold, start, end);
                        if known.is_none() {
                            scratch.fates[i] = Some((bits, d, s));
                        }
                        (d, s)
                    }
                };
                o.loan_steps += steps;
                defaulted
            };
            p.book(loan, defaulted, &a.stream, market, end, ws, o);
        }
        o.loans_made += made;
        scratch.made.push(made);
    }
}
