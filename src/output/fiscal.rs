//! `fiscal.csv`: the fiscal view of a policy package (MODEL.md section 5).
//!
//! One row per vehicle with a fiscal cost and one for the package
//! (`total`): the distribution of the fiscal cost (present value at time 0
//! at the one `[fiscal] discount_rate`, the rate repeated in every row),
//! its nominal (undiscounted) mean, each vehicle's share of the package's
//! mean cost, what the money mobilises, and the efficiency figures. Every
//! efficiency figure is a ratio of means with its delta-method standard
//! error (`stats::ratio`), empty where the mean denominator is not
//! distinguishable from 0: the report and its summary show these numbers
//! and no other. The per-path ratios in `paths.csv` (`total.*`) are kept
//! for the record only.
//!
//! The per-path quantities of each row are defined once (`FiscalPlan`):
//! the writer reads them from the matrix, and a run without one
//! (`--no-paths`) has the engine fold them, path by path, into exact sums
//! (`stats::stream`), from which the same statistics and ratios follow.

use std::io;
use std::path::Path;

use crate::engine::{Column, Results};
use crate::output::tables::cell;
use crate::scenario::Scenario;
use crate::stats::ratio::{Ratio, ratio_of_means};
use crate::stats::summary::{Summary, summarize};
use crate::vehicles::Amount;
use crate::vehicles::catalogue::TOTALS;

/// The efficiency figures, in `HEADER`'s order (each followed by its
/// `_se` column): (column, numerator, denominator). Amounts are in million
/// CNY, so firms per million of fiscal cost is firms over cost.
const FIGURES: [(&str, Q, Q); 6] = [
    ("private_per_fiscal_yuan", Q::Private, Q::Cost),
    ("credit_per_fiscal_yuan", Q::Credit, Q::Cost),
    ("firms_per_million_fiscal", Q::Firms, Q::Cost),
    ("fiscal_cost_per_additional_loan", Q::Cost, Q::AdditionalLoans),
    ("fiscal_cost_per_additional_credit", Q::Cost, Q::AdditionalCredit),
    ("fiscal_cost_per_private_capital", Q::Cost, Q::Private),
];

pub(crate) const HEADER: [&str; 25] = [
    "vehicle",
    "discount_rate",
    "fiscal_cost_mean",
    "fiscal_cost_se",
    "fiscal_cost_p05",
    "fiscal_cost_p50",
    "fiscal_cost_p95",
    "fiscal_cost_nominal_mean",
    "fiscal_cost_nominal_se",
    "share_of_total",
    "private_capital_mean",
    "credit_mean",
    "firms_mean",
    "private_per_fiscal_yuan",
    "private_per_fiscal_yuan_se",
    "credit_per_fiscal_yuan",
    "credit_per_fiscal_yuan_se",
    "firms_per_million_fiscal",
    "firms_per_million_fiscal_se",
    "fiscal_cost_per_additional_loan",
    "fiscal_cost_per_additional_loan_se",
    "fiscal_cost_per_additional_credit",
    "fiscal_cost_per_additional_credit_se",
    "fiscal_cost_per_private_capital",
    "fiscal_cost_per_private_capital_se",
];

/// The quantities of a row, per path, in this order.
const QUANTITIES: usize = 7;
const COST: usize = 0;
const NOMINAL: usize = 1;
const PRIVATE: usize = 2;
const CREDIT: usize = 3;
const FIRMS: usize = 4;
const ADDITIONAL_LOANS: usize = 5;
const ADDITIONAL_CREDIT: usize = 6;

/// The quantities the figures divide (indices into a row's quantities).
#[derive(Debug, Clone, Copy)]
enum Q {
    Cost,
    Private,
    Credit,
    Firms,
    AdditionalLoans,
    AdditionalCredit,
}

impl Q {
    fn index(self) -> usize {
        match self {
            Q::Cost => COST,
            Q::Private => PRIVATE,
            Q::Credit => CREDIT,
            Q::Firms => FIRMS,
            Q::AdditionalLoans => ADDITIONAL_LOANS,
            Q::AdditionalCredit => ADDITIONAL_CREDIT,
        }
    }
}

/// Where one row's quantities come from in a path's result row (a
/// quantity the vehicle does not have is 0 in every path).
#[derive(Debug, Clone)]
struct PlanRow {
    name: String,
    cost: usize,
    nominal: Option<usize>,
    private: Option<usize>,
    credit: Amount,
    firms: Amount,
    additional_loans: Option<usize>,
    additional_credit: Option<usize>,
}

/// The rows of `fiscal.csv` and how each path's quantities are read off
/// its result row: one row per vehicle with a fiscal cost, then `total`,
/// whose additional loans and credit are the vehicles' summed in scenario
/// order.
#[derive(Debug, Clone)]
pub(crate) struct FiscalPlan {
    rows: Vec<PlanRow>,
}

impl FiscalPlan {
    pub(crate) fn new(scn: &Scenario, columns: &[Column]) -> FiscalPlan {
        let find =
            |vehicle: &str, metric: &str| columns.iter().position(|c| c.vehicle == vehicle && c.metric == metric);
        let mut rows = Vec::new();
        let mut at = 0;
        for v in &scn.vehicles {
            let role = v.fiscal_role();
            let start = at;
            at += v.metrics().len();
            let Some(cost) = role.fiscal_cost else { continue };
            rows.push(PlanRow {
                name: v.name.clone(),
                cost: start + cost,
                nominal: role.fiscal_cost_nominal.map(|c| start + c),
                private: role.private_capital.map(|c| start + c),
                credit: role.credit.shifted(start),
                firms: role.firms.shifted(start),
                additional_loans: find(&v.name, "additional_loans"),
                additional_credit: find(&v.name, "additional_credit"),
            });
        }
        let total = |m: &str| find("total", m).expect("total column");
        debug_assert!(TOTALS.iter().any(|m| m.name == "fiscal_cost_nominal"));
        rows.push(PlanRow {
            name: "total".into(),
            cost: total("fiscal_cost"),
            nominal: Some(total("fiscal_cost_nominal")),
            private: Some(total("private_capital")),
            credit: Amount::Column(total("credit")),
            firms: Amount::Column(total("firms_financed")),
            additional_loans: None,
            additional_credit: None,
        });
        FiscalPlan { rows }
    }

    /// Append the quantities of every row for the path whose result row is
    /// `row`, row after row.
    fn quantities(&self, row: &[f64], out: &mut Vec<f64>) {
        let get = |c: Option<usize>| c.map_or(0.0, |c| row[c]);
        let (mut loans, mut credit) = (0.0, 0.0);
        let last = self.rows.len() - 1;
        for (k, p) in self.rows.iter().enumerate() {
            let (l, c) = if k == last { (loans, credit) } else { (get(p.additional_loans), get(p.additional_credit)) };
            if k != last {
                loans += l;
                credit += c;
            }
            out.extend([row[p.cost], get(p.nominal), get(p.private), p.credit.value(row), p.firms.value(row), l, c]);
        }
    }

    /// Values per path a run without a matrix accumulates: each row's
    /// quantities, then for each row and figure the numerator, the
    /// denominator (both NaN unless both are defined) and their product.
    pub(crate) fn stream_width(&self) -> usize {
        self.rows.len() * (QUANTITIES + 3 * FIGURES.len())
    }

    /// Append the [`FiscalPlan::stream_width`] values of the path whose
    /// result row is `row`.
    pub(crate) fn stream_values(&self, row: &[f64], out: &mut Vec<f64>) {
        let start = out.len();
        self.quantities(row, out);
        for k in 0..self.rows.len() {
            let q = start + k * QUANTITIES;
            for (_, num, den) in FIGURES {
                let (x, y) = (out[q + num.index()], out[q + den.index()]);
                let both = x.is_finite() && y.is_finite();
                let (x, y) = if both { (x, y) } else { (f64::NAN, f64::NAN) };
                out.extend([x, y, x * y]);
            }
        }
    }
}

/// One row's statistics, from the matrix or from the column statistics.
struct RowStats {
    cost: Summary,
    nominal: Summary,
    private: f64,
    credit: f64,
    firms: f64,
    figures: Vec<Option<Ratio>>,
}

/// The mean of the defined values (NaN when none is), in path order.
fn mean(x: &[f64]) -> f64 {
    let defined: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if defined.is_empty() { f64::NAN } else { defined.iter().sum::<f64>() / defined.len() as f64 }
}

/// Every row's statistics from the per-path matrix.
fn from_matrix(plan: &FiscalPlan, r: &Results) -> Vec<RowStats> {
    let n = r.matrix.nrows();
    let width = plan.rows.len() * QUANTITIES;
    let mut all = Vec::with_capacity(n * width);
    for row in r.matrix.rows() {
        plan.quantities(row.as_slice().expect("row-major matrix"), &mut all);
    }
    let column = |i: usize| -> Vec<f64> { all.iter().skip(i).step_by(width).copied().collect() };
    let mut scratch = Vec::new();
    (0..plan.rows.len())
        .map(|k| {
            let q = |i: usize| column(k * QUANTITIES + i);
            RowStats {
                cost: summarize(&q(COST), &mut scratch),
                nominal: summarize(&q(NOMINAL), &mut scratch),
                private: mean(&q(PRIVATE)),
                credit: mean(&q(CREDIT)),
                firms: mean(&q(FIRMS)),
                figures: FIGURES.iter().map(|(_, num, den)| ratio_of_means(&q(num.index()), &q(den.index()))).collect(),
            }
        })
        .collect()
}

/// Every row's statistics from the column statistics of a run without a
/// matrix (their fiscal part starts after the result columns and budget
/// cells).
fn from_stream(plan: &FiscalPlan, r: &Results) -> Vec<RowStats> {
    let s = r.stream.as_ref().expect("column statistics");
    let start = r.columns.len() + r.budget.groups.len() * r.budget.years;
    let figures_at = start + plan.rows.len() * QUANTITIES;
    (0..plan.rows.len())
        .map(|k| {
            let q = |i: usize| start + k * QUANTITIES + i;
            RowStats {
                cost: s.summary(q(COST)),
                nominal: s.summary(q(NOMINAL)),
                private: s.summary(q(PRIVATE)).mean,
                credit: s.summary(q(CREDIT)).mean,
                firms: s.summary(q(FIRMS)).mean,
                figures: (0..FIGURES.len())
                    .map(|f| {
                        let j = figures_at + (k * FIGURES.len() + f) * 3;
                        s.ratio(j, j + 1, j + 2)
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn write_fiscal(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(HEADER).map_err(io::Error::other)?;
    let plan = FiscalPlan::new(scn, &r.columns);
    let stats = if r.stream.is_some() { from_stream(&plan, r) } else { from_matrix(&plan, r) };
    let total_mean = stats.last().expect("total row").cost.mean;
    let rate = scn.fiscal.discount_rate;
    for (p, s) in plan.rows.iter().zip(&stats) {
        let mut rec = vec![
            p.name.clone(),
            cell(rate),
            cell(s.cost.mean),
            cell(s.cost.se),
            cell(s.cost.p05()),
            cell(s.cost.p50()),
            cell(s.cost.p95()),
            cell(s.nominal.mean),
            cell(s.nominal.se),
            cell(if total_mean != 0.0 { s.cost.mean / total_mean } else { f64::NAN }),
            cell(s.private),
            cell(s.credit),
            cell(s.firms),
        ];
        for f in &s.figures {
            rec.push(cell(f.map_or(f64::NAN, |f| f.value)));
            rec.push(cell(f.map_or(f64::NAN, |f| f.se)));
        }
        w.write_record(&rec).map_err(io::Error::other)?;
    }
    w.flush()
}
