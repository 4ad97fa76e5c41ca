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

use std::io;
use std::path::Path;

use crate::engine::Results;
use crate::output::tables::cell;
use crate::scenario::Scenario;
use crate::stats::ratio::ratio_of_means;
use crate::stats::summary::summarize;
use crate::vehicles::Amount;

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

/// The quantities the figures divide, per path.
#[derive(Debug, Clone, Copy)]
enum Q {
    Cost,
    Private,
    Credit,
    Firms,
    AdditionalLoans,
    AdditionalCredit,
}

/// One row's per-path quantities (a quantity the vehicle does not have is
/// 0 in every path).
struct Quantities {
    cost: Vec<f64>,
    nominal: Vec<f64>,
    private: Vec<f64>,
    credit: Vec<f64>,
    firms: Vec<f64>,
    additional_loans: Vec<f64>,
    additional_credit: Vec<f64>,
}

impl Quantities {
    fn get(&self, q: Q) -> &[f64] {
        match q {
            Q::Cost => &self.cost,
            Q::Private => &self.private,
            Q::Credit => &self.credit,
            Q::Firms => &self.firms,
            Q::AdditionalLoans => &self.additional_loans,
            Q::AdditionalCredit => &self.additional_credit,
        }
    }
}

fn column(r: &Results, vehicle: &str, metric: &str) -> Option<Vec<f64>> {
    r.columns.iter().position(|c| c.vehicle == vehicle && c.metric == metric).map(|j| r.matrix.column(j).to_vec())
}

fn mean(x: &[f64]) -> f64 {
    let defined: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if defined.is_empty() { f64::NAN } else { defined.iter().sum::<f64>() / defined.len() as f64 }
}

/// Path-by-path sum of vectors, in the order given.
fn add(into: &mut [f64], x: &[f64]) {
    for (a, b) in into.iter_mut().zip(x) {
        *a += b;
    }
}

pub fn write_fiscal(path: &Path, scn: &Scenario, r: &Results) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(HEADER).map_err(io::Error::other)?;
    let n = r.matrix.nrows();
    let zeros = || vec![0.0; n];
    let total_cost = column(r, "total", "fiscal_cost").expect("total.fiscal_cost");
    let total_mean = mean(&total_cost);
    let rate = scn.fiscal.discount_rate;
    let mut scratch = Vec::new();
    let mut row = |name: &str, q: &Quantities| -> io::Result<()> {
        let s = summarize(&q.cost, &mut scratch);
        let nominal = summarize(&q.nominal, &mut scratch);
        let mut rec = vec![
            name.to_string(),
            cell(rate),
            cell(s.mean),
            cell(s.se),
            cell(s.p05()),
            cell(s.p50()),
            cell(s.p95()),
            cell(nominal.mean),
            cell(nominal.se),
            cell(if total_mean != 0.0 { s.mean / total_mean } else { f64::NAN }),
            cell(mean(&q.private)),
            cell(mean(&q.credit)),
            cell(mean(&q.firms)),
        ];
        for (_, num, den) in FIGURES {
            let f = ratio_of_means(q.get(num), q.get(den));
            rec.push(cell(f.map_or(f64::NAN, |f| f.value)));
            rec.push(cell(f.map_or(f64::NAN, |f| f.se)));
        }
        w.write_record(&rec).map_err(io::Error::other)
    };
    let mut total = Quantities {
        cost: total_cost.clone(),
        nominal: column(r, "total", "fiscal_cost_nominal").expect("total.fiscal_cost_nominal"),
        private: column(r, "total", "private_capital").expect("total column"),
        credit: column(r, "total", "credit").expect("total column"),
        firms: column(r, "total", "firms_financed").expect("total column"),
        additional_loans: zeros(),
        additional_credit: zeros(),
    };
    for v in &scn.vehicles {
        let role = v.fiscal_role();
        let Some(cost_metric) = role.fiscal_cost.map(|c| v.metrics()[c].name) else { continue };
        let named =
            |c: Option<usize>| c.map_or_else(zeros, |c| column(r, &v.name, v.metrics()[c].name).expect("column"));
        let amount = |a: Amount| match a {
            Amount::Column(c) => column(r, &v.name, v.metrics()[c].name).expect("column"),
            Amount::Constant(x) => vec![x; n],
        };
        let by_name = |m: &str| column(r, &v.name, m).unwrap_or_else(zeros);
        let q = Quantities {
            cost: column(r, &v.name, cost_metric).expect("vehicle column"),
            nominal: named(role.fiscal_cost_nominal),
            private: named(role.private_capital),
            credit: amount(role.credit),
            firms: amount(role.firms),
            additional_loans: by_name("additional_loans"),
            additional_credit: by_name("additional_credit"),
        };
        add(&mut total.additional_loans, &q.additional_loans);
        add(&mut total.additional_credit, &q.additional_credit);
        row(&v.name, &q)?;
    }
    row("total", &total)?;
    w.flush()
}
