//! The metric catalogue: what each per-path metric and per-step series is,
//! written once.
//!
//! Each vehicle kind declares its metrics (in column order) and series in
//! its own module with the constructors below; the package totals are
//! declared here. The CSV writers take the `unit` column of `summary.csv`
//! from here, the charts and the report their labels, stakeholders and
//! units, and the fiscal view the columns that play a fiscal part. A name
//! used by more than one kind (`fiscal_cost`, `fees`) means the same thing
//! everywhere: `tests` below checks that its entries agree, so a lookup by
//! name (`find`) is unambiguous.

/// How a metric is summarised beyond the common statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A return, multiple, amount or count.
    Plain,
    /// A loss or cost: also gets VaR and expected shortfall in `risk.csv`.
    Loss,
}

/// The unit a metric's values are stored in (the `unit` column of
/// `summary.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A multiple of money in (TVPI, price to NAV): `x`.
    Multiple,
    /// An annual rate of return as a fraction (IRR): `rate`.
    Rate,
    /// A fraction of a whole (default rate, loss per yuan paid in): `share`.
    Share,
    /// 1 when an event happened in the path, else 0; its mean is the share
    /// of paths: `0/1`.
    Indicator,
    /// Million CNY: `mn CNY`.
    Money,
    /// A number of deals, loans, firms: `count`.
    Count,
    /// Firms per million CNY of fiscal cost: `count per mn CNY`.
    CountPerMillion,
    /// A duration in years: `years`.
    Years,
}

impl Unit {
    /// The `unit` cell of `summary.csv`.
    pub(crate) fn csv(self) -> &'static str {
        match self {
            Unit::Multiple => "x",
            Unit::Rate => "rate",
            Unit::Share => "share",
            Unit::Indicator => "0/1",
            Unit::Money => "mn CNY",
            Unit::Count => "count",
            Unit::CountPerMillion => "count per mn CNY",
            Unit::Years => "years",
        }
    }
}

/// How the charts and the report show a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// A return distribution chart (median, mean, P5 and P95 marked).
    Return,
    /// A loss distribution chart (VaR and expected shortfall marked).
    Loss,
    /// Tabled with its label and unit, not charted.
    Tabled,
    /// Tabled as a bare number under its name.
    Plain,
    /// A ratio computed path by path (credit per fiscal yuan in one path):
    /// kept in `paths.csv` and `summary.csv` for the record, but never
    /// shown as a headline figure or charted. Its mean over paths is
    /// dominated by paths whose denominator is near zero; the figure to
    /// read is the ratio of means with its standard error in `fiscal.csv`
    /// (`stats::ratio`), the one the report shows.
    PathRatio,
}

/// A per-path metric: its column name and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub kind: MetricKind,
    pub unit: Unit,
    /// Plain words for titles and tables: "TVPI", "fiscal cost".
    pub label: &'static str,
    /// Whose money or risk: "government", "fund LPs".
    pub stakeholder: &'static str,
    pub display: Display,
}

/// A metric with a return chart.
pub const fn ret(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Plain, unit, label, stakeholder, display: Display::Return }
}

/// A loss or cost with a loss chart and VaR and ES in `risk.csv`.
pub const fn loss(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Loss, unit, label, stakeholder, display: Display::Loss }
}

/// A metric tabled with its label and unit.
pub const fn tabled(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Plain, unit, label, stakeholder, display: Display::Tabled }
}

/// A metric tabled as a bare number; `label` is its name in plain words.
pub const fn plain(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Plain, unit, label, stakeholder, display: Display::Plain }
}

/// As `plain`, with VaR and ES in `risk.csv`.
pub const fn plain_loss(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Loss, unit, label, stakeholder, display: Display::Plain }
}

/// A per-path ratio (see `Display::PathRatio`).
pub const fn path_ratio(name: &'static str, unit: Unit, label: &'static str, stakeholder: &'static str) -> Metric {
    Metric { name, kind: MetricKind::Plain, unit, label, stakeholder, display: Display::PathRatio }
}

/// Whether the metric `name` is a per-path ratio, never a headline.
pub fn is_path_ratio(name: &str) -> bool {
    find(name).is_some_and(|m| m.display == Display::PathRatio)
}

/// A per-step series of a vehicle (summarised in `timeseries.csv`, drawn
/// as a fan chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    pub name: &'static str,
    /// The fan chart's title: "J-curve: cumulative net cash flow".
    pub title: &'static str,
    pub stakeholder: &'static str,
}

/// The cumulative net cash flow of a stakeholder (its J-curve).
pub const fn j_curve(name: &'static str, stakeholder: &'static str) -> Series {
    Series { name, title: "J-curve: cumulative net cash flow", stakeholder }
}

/// A per-step series with its own title.
pub const fn series(name: &'static str, title: &'static str, stakeholder: &'static str) -> Series {
    Series { name, title, stakeholder }
}

/// The package's fiscal cost: the same metric in every vehicle that has one
/// and in the totals, the present value at time 0 of the vehicle's dated
/// fiscal flows at the one `[fiscal] discount_rate` (`finance::fiscal`).
pub const FISCAL_COST: Metric = loss("fiscal_cost", Unit::Money, "fiscal cost", "government");

/// The undiscounted sum of the same dated fiscal flows whose present value
/// is `fiscal_cost`: what the budget pays over the years, yuan for yuan.
pub const FISCAL_COST_NOMINAL: Metric =
    tabled("fiscal_cost_nominal", Unit::Money, "fiscal cost, nominal (undiscounted)", "government");

/// Private capital mobilised: the commitments private investors make. The
/// guidance fund's private LPs' and the package's.
pub const PRIVATE_CAPITAL: Metric = tabled("private_capital", Unit::Money, "private capital mobilised", "the package");

/// Credit extended per yuan of fiscal cost: the loan programme's and the
/// package's.
pub const CREDIT_PER_FISCAL_YUAN: Metric =
    path_ratio("credit_per_fiscal_yuan", Unit::Multiple, "credit per fiscal yuan", "the budget");

/// Credit extended: the loan programme's loans made times their size, and
/// the package's sum of them.
pub const CREDIT: Metric = tabled("credit", Unit::Money, "credit extended", "the package");

/// The `total.*` columns that follow the vehicles' own (MODEL.md 5): the
/// package's fiscal cost, what it mobilises, and the efficiency ratios,
/// defined in a path only when its fiscal cost is positive. Tabled, not
/// charted: the amounts are sums of vehicle columns charted or tabled
/// already, and the per-path ratios are undefined where a path's fiscal cost
/// is zero or negative and explode where it is near zero, so their
/// histograms would show that tail, not the policy's efficiency.
/// `fiscal.csv`'s ratios of means are the measure to read.
pub const TOTALS: [Metric; 8] = [
    FISCAL_COST,
    PRIVATE_CAPITAL,
    CREDIT,
    tabled("firms_financed", Unit::Count, "firms financed", "the package"),
    path_ratio("private_per_fiscal_yuan", Unit::Multiple, "private capital per fiscal yuan", "the budget"),
    CREDIT_PER_FISCAL_YUAN,
    path_ratio("firms_per_million_fiscal", Unit::CountPerMillion, "firms per million of fiscal cost", "the budget"),
    FISCAL_COST_NOMINAL,
];

/// Every catalogue: each registered vehicle kind's metrics, then the totals.
pub fn all() -> impl Iterator<Item = &'static Metric> {
    super::KINDS.iter().flat_map(|k| k.metrics.iter()).chain(TOTALS.iter())
}

/// Column of the metric `name` in a catalogue (a kind's `METRICS`, in
/// column order).
pub(crate) fn column(metrics: &[Metric], name: &str) -> Option<usize> {
    metrics.iter().position(|m| m.name == name)
}

/// A metric by name, in any catalogue (names mean one thing everywhere).
pub fn find(name: &str) -> Option<&'static Metric> {
    all().find(|m| m.name == name)
}

/// A series by name, in any vehicle kind.
pub fn find_series(name: &str) -> Option<&'static Series> {
    super::KINDS.iter().flat_map(|k| k.series.iter()).find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_used_twice_means_the_same_thing() {
        let metrics: Vec<&Metric> = all().collect();
        for (i, a) in metrics.iter().enumerate() {
            for b in &metrics[i + 1..] {
                if a.name == b.name {
                    assert_eq!(a, b, "`{}` is catalogued twice with different entries", a.name);
                }
            }
        }
        let series: Vec<&Series> = super::super::KINDS.iter().flat_map(|k| k.series.iter()).collect();
        for (i, a) in series.iter().enumerate() {
            for b in &series[i + 1..] {
                if a.name == b.name {
                    assert_eq!(a, b, "series `{}` is catalogued twice with different entries", a.name);
                }
            }
        }
    }

    #[test]
    fn a_vehicle_lists_each_metric_once_and_every_entry_is_named() {
        for k in super::super::KINDS {
            for (i, m) in k.metrics.iter().enumerate() {
                assert!(!m.label.is_empty() && !m.stakeholder.is_empty(), "{}.{}", k.kind, m.name);
                assert!(k.metrics[..i].iter().all(|o| o.name != m.name), "{}.{} twice", k.kind, m.name);
            }
        }
    }

    #[test]
    fn losses_are_charted_as_losses_or_tabled_plain() {
        // A Loss metric gets VaR/ES; its chart, if any, must be a loss chart.
        for m in all() {
            if m.kind == MetricKind::Loss {
                assert!(matches!(m.display, Display::Loss | Display::Plain), "{}", m.name);
            } else {
                assert_ne!(m.display, Display::Loss, "{}", m.name);
            }
        }
    }
}
