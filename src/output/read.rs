//! Reading a finished output directory back: the CSVs and `manifest.json`
//! that the output stage wrote (INTERFACE.md, Outputs), into typed rows.
//!
//! The charts and the report are drawn from these files alone, never from
//! the engine's in-memory results, so `fundsim plot` redraws exactly what
//! `fundsim run` drew. Files with a fixed header are read by serde into row
//! types whose field names are the writers' column names (`rows`, which
//! checks every field against the file's header, so a renamed column is an
//! error, never a silent `None`); files with columns named by the scenario
//! (`paths.csv`, the swept keys of `sweep.csv`, the levels of `risk.csv`)
//! go through `Table`. A missing required file or a cell that does not
//! parse is a [`ChartError`] naming the file and line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::charts::ChartError;

/// Read a CSV written with a fixed header into rows of `T`, each field
/// taken from the column of the same name; `None` when the file is absent.
/// Every field of `T` but those in `optional` must be a column of the
/// header.
fn rows<T: DeserializeOwned>(path: &Path, optional: &[&str]) -> Result<Option<Vec<T>>, ChartError> {
    let garbled = |line: u64, message: String| ChartError::Garbled { path: path.to_path_buf(), line, message };
    let mut r = match csv::ReaderBuilder::new().has_headers(true).from_path(path) {
        Ok(r) => r,
        Err(e) => match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            _ => return Err(garbled(1, e.to_string())),
        },
    };
    let header = r.headers().map_err(|e| garbled(1, e.to_string()))?.clone();
    for field in fields::<T>() {
        if !optional.contains(field) && !header.iter().any(|h| h == *field) {
            let all: Vec<&str> = header.iter().collect();
            return Err(garbled(1, format!("the header has no `{field}` column (header: {})", all.join(","))));
        }
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(garbled(line, e.to_string())),
        }
        // A number cell that is not finite (`inf`, `NaN`: fundsim writes
        // neither, but a file edited by hand may hold them) reads as
        // undefined, so no chart is drawn on an infinity.
        if record.iter().any(|c| c.trim().parse::<f64>().is_ok_and(|x| !x.is_finite())) {
            let cells: Vec<&str> = record
                .iter()
                .map(|c| if c.trim().parse::<f64>().is_ok_and(|x| !x.is_finite()) { "" } else { c })
                .collect();
            record = csv::StringRecord::from(cells);
        }
        let row = record.deserialize::<T>(Some(&header)).map_err(|e| {
            let message = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => match err.field().map(|f| f as usize) {
                    Some(f) => {
                        let (name, cell) = (header.get(f).unwrap_or("?"), record.get(f).unwrap_or(""));
                        match err.kind() {
                            csv::DeserializeErrorKind::ParseFloat(_) => format!("`{name}` is `{cell}`, not a number"),
                            csv::DeserializeErrorKind::ParseInt(_) => {
                                format!("`{name}` is `{cell}`, not a whole number")
                            }
                            other => format!("`{name}` is `{cell}`: {other}"),
                        }
                    }
                    None => err.kind().to_string(),
                },
                _ => e.to_string(),
            };
            garbled(line, message)
        })?;
        out.push(row);
    }
    Ok(Some(out))
}

/// The field names of a struct that serde derives `Deserialize` for: a
/// deserializer that stops at `deserialize_struct` and keeps its `fields`.
fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> serde::Deserializer<'de> for &mut Fields {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut d = Fields(None);
    let _ = T::deserialize(&mut d);
    d.0.unwrap_or(&[])
}

/// A CSV file: header and rows as text, with typed accessors.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Read `path`; every column in `required` must be in the header.
    pub(crate) fn read(path: &Path, required: &[&str]) -> Result<Table, ChartError> {
        let garbled = |line: u64, message: String| ChartError::Garbled { path: path.to_path_buf(), line, message };
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                ChartError::Missing { path: path.to_path_buf() }
            }
            _ => garbled(1, e.to_string()),
        })?;
        let header: Vec<String> =
            r.headers().map_err(|e| garbled(1, e.to_string()))?.iter().map(String::from).collect();
        for col in required {
            if !header.iter().any(|h| h == col) {
                return Err(garbled(1, format!("the header has no `{col}` column (header: {})", header.join(","))));
            }
        }
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| garbled(i as u64 + 2, e.to_string()))?;
            rows.push(rec.iter().map(String::from).collect());
        }
        Ok(Table { path: path.to_path_buf(), header, rows })
    }

    /// Index of a column.
    pub(crate) fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn need(&self, name: &str) -> usize {
        self.col(name).expect("required column checked on read")
    }

    pub(crate) fn text(&self, row: usize, col: &str) -> &str {
        &self.rows[row][self.need(col)]
    }

    /// A number cell at a column index: `None` when empty, and when it is
    /// not finite (`inf`, `NaN`: fundsim writes neither, but a file edited
    /// by hand may hold them), so no chart is drawn on an infinity.
    pub(crate) fn num_at(&self, row: usize, col: usize) -> Result<Option<f64>, ChartError> {
        let cell = self.rows[row][col].trim();
        if cell.is_empty() {
            return Ok(None);
        }
        cell.parse::<f64>().map(|x| x.is_finite().then_some(x)).map_err(|_| ChartError::Garbled {
            path: self.path.clone(),
            line: row as u64 + 2,
            message: format!("`{}` is `{cell}`, not a number", self.header[col]),
        })
    }
}

/// The reproducibility facts of `manifest.json` that charts and report use.
pub(crate) use crate::output::manifest::Manifest;

impl Manifest {
    pub(crate) fn read(path: &Path) -> Result<Manifest, ChartError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ChartError::Missing { path: path.to_path_buf() },
            _ => ChartError::Io { path: path.to_path_buf(), source: e },
        })?;
        serde_json::from_str(&text).map_err(|e| ChartError::Garbled {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: e.to_string(),
        })
    }
}

/// One row of `summary.csv` (the columns it reads; the other quantiles
/// are not charted).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SummaryRow {
    pub vehicle: String,
    pub metric: String,
    /// The catalogue's unit (`mn CNY`, `x`, `rate`...); empty in outputs
    /// written before the column existed.
    #[serde(default)]
    pub unit: String,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub se: Option<f64>,
    pub min: Option<f64>,
    pub p05: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    pub undefined_share: Option<f64>,
}

/// `summary.csv` (required).
pub(crate) fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, ChartError> {
    rows(path, &["unit"])?.ok_or_else(|| ChartError::Missing { path: path.to_path_buf() })
}

/// One row of `risk.csv`: VaR and ES by level tag (`95`, `99`, `999`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RiskRow {
    pub vehicle: String,
    pub metric: String,
    /// (level tag, VaR, ES) in file order.
    pub levels: Vec<(String, Option<f64>, Option<f64>)>,
}

impl RiskRow {
    pub(crate) fn at(&self, tag: &str) -> Option<(Option<f64>, Option<f64>)> {
        self.levels.iter().find(|(t, _, _)| t == tag).map(|&(_, v, e)| (v, e))
    }
}

/// `risk.csv`; absent means no loss metrics.
pub(crate) fn read_risk(path: &Path) -> Result<Vec<RiskRow>, ChartError> {
    let t = match Table::read(path, &["vehicle", "metric"]) {
        Err(ChartError::Missing { .. }) => return Ok(Vec::new()),
        other => other?,
    };
    let tags: Vec<(String, usize, Option<usize>)> = t
        .header
        .iter()
        .enumerate()
        .filter_map(|(j, h)| {
            let tag = h.strip_prefix("var")?;
            Some((tag.to_string(), j, t.col(&format!("es{tag}"))))
        })
        .collect();
    (0..t.rows.len())
        .map(|i| {
            let mut levels = Vec::new();
            for (tag, v, e) in &tags {
                let es = match e {
                    Some(e) => t.num_at(i, *e)?,
                    None => None,
                };
                levels.push((tag.clone(), t.num_at(i, *v)?, es));
            }
            Ok(RiskRow { vehicle: t.text(i, "vehicle").to_string(), metric: t.text(i, "metric").to_string(), levels })
        })
        .collect()
}

/// One per-step series of `timeseries.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub vehicle: String,
    pub metric: String,
    /// (year, [p05, p25, p50, p75, p95]) per step, in step order.
    pub points: Vec<(f64, [Option<f64>; 5])>,
}

/// One row of `timeseries.csv`.
#[derive(Debug, Deserialize)]
struct StepRow {
    vehicle: String,
    metric: String,
    year: f64,
    p05: Option<f64>,
    p25: Option<f64>,
    p50: Option<f64>,
    p75: Option<f64>,
    p95: Option<f64>,
}

/// `timeseries.csv`, grouped by (vehicle, metric) in file order; absent
/// means no series.
pub fn read_timeseries(path: &Path) -> Result<Vec<Series>, ChartError> {
    let mut out: Vec<Series> = Vec::new();
    for r in rows::<StepRow>(path, &[])?.unwrap_or_default() {
        let point = (r.year, [r.p05, r.p25, r.p50, r.p75, r.p95]);
        match out.last_mut() {
            Some(s) if s.vehicle == r.vehicle && s.metric == r.metric => s.points.push(point),
            _ => out.push(Series { vehicle: r.vehicle, metric: r.metric, points: vec![point] }),
        }
    }
    Ok(out)
}

/// One bar chart's worth of `deals.csv`: a vehicle's `multiple` or `route`
/// counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DealGroup {
    pub vehicle: String,
    pub kind: String,
    /// (label, count, share) in file order.
    pub bars: Vec<(String, u64, Option<f64>)>,
}

/// One row of `deals.csv`.
#[derive(Debug, Deserialize)]
struct DealRow {
    vehicle: String,
    kind: String,
    label: String,
    count: u64,
    share: Option<f64>,
}

/// `deals.csv`, grouped by (vehicle, kind); absent means no deals.
pub(crate) fn read_deals(path: &Path) -> Result<Vec<DealGroup>, ChartError> {
    let mut out: Vec<DealGroup> = Vec::new();
    for r in rows::<DealRow>(path, &[])?.unwrap_or_default() {
        let bar = (r.label, r.count, r.share);
        match out.iter_mut().find(|g| g.vehicle == r.vehicle && g.kind == r.kind) {
            Some(g) => g.bars.push(bar),
            None => out.push(DealGroup { vehicle: r.vehicle, kind: r.kind, bars: vec![bar] }),
        }
    }
    Ok(out)
}

/// One vehicle's rows of `exits.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExitGroup {
    pub vehicle: String,
    pub routes: Vec<ExitRow>,
}

/// One row of `exits.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ExitRow {
    pub vehicle: String,
    pub route: String,
    pub count: u64,
    pub share: Option<f64>,
    pub years_p25: Option<f64>,
    pub years_p50: Option<f64>,
    pub years_p75: Option<f64>,
}

/// `exits.csv`, grouped by vehicle; absent means no equity vehicle (or an
/// output written before fundsim wrote it).
pub(crate) fn read_exits(path: &Path) -> Result<Vec<ExitGroup>, ChartError> {
    let mut out: Vec<ExitGroup> = Vec::new();
    for r in rows::<ExitRow>(path, &[])?.unwrap_or_default() {
        match out.iter_mut().find(|g| g.vehicle == r.vehicle) {
            Some(g) => g.routes.push(r),
            None => out.push(ExitGroup { vehicle: r.vehicle.clone(), routes: vec![r] }),
        }
    }
    Ok(out)
}

/// `paths.csv`: one column of values per `<vehicle>.<metric>`, NaN where
/// undefined.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Paths {
    /// (vehicle, metric, values) in column order.
    pub columns: Vec<(String, String, Vec<f64>)>,
}

impl Paths {
    pub(crate) fn get(&self, vehicle: &str, metric: &str) -> Option<&[f64]> {
        self.columns.iter().find(|(v, m, _)| v == vehicle && m == metric).map(|(_, _, x)| x.as_slice())
    }

    pub(crate) fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.2.len())
    }
}

/// `paths.csv`; `None` when absent (a run with `--no-paths`).
pub(crate) fn read_paths(path: &Path) -> Result<Option<Paths>, ChartError> {
    let t = match Table::read(path, &["path"]) {
        Err(ChartError::Missing { .. }) => return Ok(None),
        other => other?,
    };
    let mut columns = Vec::new();
    for (j, h) in t.header.iter().enumerate() {
        if h == "path" {
            continue;
        }
        let Some((v, m)) = h.rsplit_once('.') else {
            return Err(ChartError::Garbled {
                path: t.path.clone(),
                line: 1,
                message: format!("column `{h}` is not `<vehicle>.<metric>`"),
            });
        };
        let mut values = Vec::with_capacity(t.rows.len());
        for i in 0..t.rows.len() {
            values.push(t.num_at(i, j)?.unwrap_or(f64::NAN));
        }
        columns.push((v.to_string(), m.to_string(), values));
    }
    Ok(Some(Paths { columns }))
}

/// One row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepRow {
    pub variant: usize,
    /// The swept keys' values, as written (one per key).
    pub levers: Vec<String>,
    pub vehicle: String,
    pub metric: String,
    pub mean: Option<f64>,
    pub se: Option<f64>,
    pub p05: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Difference of the mean from variant 0's, and its standard error
    /// paired over paths (empty in older files).
    pub diff_mean: Option<f64>,
    pub diff_se: Option<f64>,
}

/// `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sweep {
    /// The swept keys, in column order.
    pub keys: Vec<String>,
    pub rows: Vec<SweepRow>,
}

impl Sweep {
    /// The variants in order, with their lever values.
    pub(crate) fn variants(&self) -> Vec<(usize, Vec<String>)> {
        let mut out: Vec<(usize, Vec<String>)> = Vec::new();
        for r in &self.rows {
            if !out.iter().any(|(v, _)| *v == r.variant) {
                out.push((r.variant, r.levers.clone()));
            }
        }
        out.sort_by_key(|(v, _)| *v);
        out
    }
}

/// `sweep.csv`; `None` when the scenario has no sweep.
pub(crate) fn read_sweep(path: &Path) -> Result<Option<Sweep>, ChartError> {
    let stats = ["mean", "se", "p05", "p50", "p95", "diff_mean", "diff_se"];
    let t = match Table::read(path, &["variant", "vehicle", "metric", "mean", "p05", "p95"]) {
        Err(ChartError::Missing { .. }) => return Ok(None),
        other => other?,
    };
    let (first, vehicle) = (t.need("variant"), t.need("vehicle"));
    if vehicle <= first + 1 {
        return Err(ChartError::Garbled {
            path: t.path.clone(),
            line: 1,
            message: "no swept-key columns between `variant` and `vehicle`".into(),
        });
    }
    let keys: Vec<String> = t.header[first + 1..vehicle].to_vec();
    let mut rows = Vec::new();
    for i in 0..t.rows.len() {
        let variant = t.text(i, "variant").trim();
        let variant: usize = variant.parse().map_err(|_| ChartError::Garbled {
            path: t.path.clone(),
            line: i as u64 + 2,
            message: format!("`variant` is `{variant}`, not a whole number"),
        })?;
        let mut v = [None; 7];
        for (k, c) in stats.iter().enumerate() {
            v[k] = match t.col(c) {
                Some(j) => t.num_at(i, j)?,
                None => None,
            };
        }
        rows.push(SweepRow {
            variant,
            levers: t.rows[i][first + 1..vehicle].to_vec(),
            vehicle: t.text(i, "vehicle").to_string(),
            metric: t.text(i, "metric").to_string(),
            mean: v[0],
            se: v[1],
            p05: v[2],
            p50: v[3],
            p95: v[4],
            diff_mean: v[5],
            diff_se: v[6],
        });
    }
    Ok(Some(Sweep { keys, rows }))
}

/// One row of `sensitivity.csv`: a lever's one-at-a-time swing of the
/// target metric, differences paired over paths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SwingRow {
    pub lever: String,
    pub low: String,
    pub high: String,
    /// `<vehicle>.<metric>`.
    pub target: String,
    pub base_mean: Option<f64>,
    pub low_mean: Option<f64>,
    pub high_mean: Option<f64>,
    pub low_diff: Option<f64>,
    pub low_diff_se: Option<f64>,
    pub high_diff: Option<f64>,
    pub high_diff_se: Option<f64>,
    pub swing: Option<f64>,
    pub swing_se: Option<f64>,
}

/// `sensitivity.csv`, in file order (largest swing first); absent means
/// no `[sensitivity]`.
pub(crate) fn read_sensitivity(path: &Path) -> Result<Vec<SwingRow>, ChartError> {
    Ok(rows(path, &[])?.unwrap_or_default())
}

/// One row of `fiscal.csv`: a vehicle's (or the package's, `total`) fiscal
/// cost and what it mobilises.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct FiscalRow {
    pub vehicle: String,
    #[serde(rename = "fiscal_cost_mean")]
    pub mean: Option<f64>,
    #[serde(rename = "fiscal_cost_se")]
    pub se: Option<f64>,
    #[serde(rename = "fiscal_cost_p05")]
    pub p05: Option<f64>,
    #[serde(rename = "fiscal_cost_p50")]
    pub p50: Option<f64>,
    #[serde(rename = "fiscal_cost_p95")]
    pub p95: Option<f64>,
    pub share_of_total: Option<f64>,
    #[serde(rename = "private_capital_mean")]
    pub private_capital: Option<f64>,
    #[serde(rename = "credit_mean")]
    pub credit: Option<f64>,
    #[serde(rename = "firms_mean")]
    pub firms: Option<f64>,
    pub discount_rate: Option<f64>,
    #[serde(rename = "fiscal_cost_nominal_mean")]
    pub nominal_mean: Option<f64>,
    #[serde(rename = "fiscal_cost_nominal_se")]
    pub nominal_se: Option<f64>,
    /// The efficiency figures (ratios of means) and their standard errors.
    pub private_per_fiscal_yuan: Option<f64>,
    pub private_per_fiscal_yuan_se: Option<f64>,
    pub credit_per_fiscal_yuan: Option<f64>,
    pub credit_per_fiscal_yuan_se: Option<f64>,
    pub firms_per_million_fiscal: Option<f64>,
    pub firms_per_million_fiscal_se: Option<f64>,
    pub fiscal_cost_per_additional_loan: Option<f64>,
    pub fiscal_cost_per_additional_loan_se: Option<f64>,
    pub fiscal_cost_per_additional_credit: Option<f64>,
    pub fiscal_cost_per_additional_credit_se: Option<f64>,
    pub fiscal_cost_per_private_capital: Option<f64>,
    pub fiscal_cost_per_private_capital_se: Option<f64>,
}

impl FiscalRow {
    /// The efficiency figures with their standard errors: (what, unit,
    /// value, se), in the order of `fiscal.csv`; a figure is `None` where
    /// the mean denominator is not distinguishable from 0.
    pub(crate) fn figures(&self) -> [(&'static str, &'static str, Option<f64>, Option<f64>); 6] {
        [
            (
                "Private capital mobilised per yuan of fiscal cost",
                "CNY per CNY",
                self.private_per_fiscal_yuan,
                self.private_per_fiscal_yuan_se,
            ),
            (
                "Credit extended per yuan of fiscal cost",
                "CNY per CNY",
                self.credit_per_fiscal_yuan,
                self.credit_per_fiscal_yuan_se,
            ),
            (
                "Firms financed per million CNY of fiscal cost",
                "firms per mn CNY",
                self.firms_per_million_fiscal,
                self.firms_per_million_fiscal_se,
            ),
            (
                "Fiscal cost per additional loan",
                "mn CNY",
                self.fiscal_cost_per_additional_loan,
                self.fiscal_cost_per_additional_loan_se,
            ),
            (
                "Fiscal cost per yuan of additional credit",
                "CNY per CNY",
                self.fiscal_cost_per_additional_credit,
                self.fiscal_cost_per_additional_credit_se,
            ),
            (
                "Fiscal cost per yuan of private capital raised",
                "CNY per CNY",
                self.fiscal_cost_per_private_capital,
                self.fiscal_cost_per_private_capital_se,
            ),
        ]
    }
}

/// One row of `budget.csv`: a vehicle's (or the package's) nominal fiscal
/// outlay in one programme year across paths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct BudgetRow {
    pub vehicle: String,
    pub year: u32,
    pub mean: Option<f64>,
    pub p05: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

/// `budget.csv`; absent means no vehicle with a fiscal cost.
pub(crate) fn read_budget(path: &Path) -> Result<Vec<BudgetRow>, ChartError> {
    Ok(rows(path, &[])?.unwrap_or_default())
}

/// `fiscal.csv`; absent means no fiscal view.
pub(crate) fn read_fiscal(path: &Path) -> Result<Vec<FiscalRow>, ChartError> {
    Ok(rows(path, &[])?.unwrap_or_default())
}

/// The `label` of each vehicle in the scenario file (kept verbatim in
/// `manifest.json`); none when the file does not parse.
fn vehicle_labels(scenario: &str) -> Vec<(String, String)> {
    let Ok(doc) = scenario.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(vehicles) = doc.get("vehicles").and_then(|v| v.as_table()) else {
        return Vec::new();
    };
    vehicles
        .iter()
        .filter_map(|(name, v)| v.get("label").and_then(|l| l.as_str()).map(|l| (name.clone(), l.to_string())))
        .collect()
}

/// Everything the charts and the report are drawn from.
#[derive(Debug, Clone)]
pub(crate) struct OutputData {
    pub manifest: Manifest,
    pub summary: Vec<SummaryRow>,
    pub risk: Vec<RiskRow>,
    pub series: Vec<Series>,
    pub deals: Vec<DealGroup>,
    /// `exits.csv` (empty when absent).
    pub exits: Vec<ExitGroup>,
    pub paths: Option<Paths>,
    pub sweep: Option<Sweep>,
    /// Per-variant paths of a sweep (`variants/<i>/paths.csv`), by variant.
    pub variant_paths: Vec<(usize, Paths)>,
    /// `sensitivity.csv` (empty without `[sensitivity]`).
    pub sensitivity: Vec<SwingRow>,
    /// `fiscal.csv` (empty when absent).
    pub fiscal: Vec<FiscalRow>,
    /// `budget.csv` (empty when absent).
    pub budget: Vec<BudgetRow>,
    /// Display labels of vehicles (`label` in the scenario), by name.
    pub labels: Vec<(String, String)>,
}

impl OutputData {
    /// Read the output directory `dir`. `manifest.json` and `summary.csv`
    /// must be there; the other files are optional.
    pub(crate) fn read(dir: &Path) -> Result<OutputData, ChartError> {
        if !dir.is_dir() {
            return Err(ChartError::NotOutputDir { dir: dir.to_path_buf(), reason: "it is not a directory".into() });
        }
        let manifest = Manifest::read(&dir.join("manifest.json"))?;
        let summary = read_summary(&dir.join("summary.csv"))?;
        let sweep = read_sweep(&dir.join("sweep.csv"))?;
        let mut variant_paths = Vec::new();
        if let Some(s) = &sweep {
            for (v, _) in s.variants() {
                let p = dir.join("variants").join(v.to_string()).join("paths.csv");
                if let Some(p) = read_paths(&p)? {
                    variant_paths.push((v, p));
                }
            }
        }
        let labels = vehicle_labels(&manifest.scenario);
        Ok(OutputData {
            labels,
            manifest,
            summary,
            risk: read_risk(&dir.join("risk.csv"))?,
            series: read_timeseries(&dir.join("timeseries.csv"))?,
            deals: read_deals(&dir.join("deals.csv"))?,
            exits: read_exits(&dir.join("exits.csv"))?,
            paths: read_paths(&dir.join("paths.csv"))?,
            sweep,
            variant_paths,
            sensitivity: read_sensitivity(&dir.join("sensitivity.csv"))?,
            fiscal: read_fiscal(&dir.join("fiscal.csv"))?,
            budget: read_budget(&dir.join("budget.csv"))?,
        })
    }

    /// The fiscal view's rows when some vehicle has a fiscal cost (a
    /// scenario without one has only the `total` row, all zero).
    /// A vehicle's display name: its `label`, else its name.
    pub(crate) fn label(&self, vehicle: &str) -> String {
        self.labels.iter().find(|(v, _)| v == vehicle).map_or_else(|| vehicle.to_string(), |(_, l)| l.clone())
    }

    pub(crate) fn fiscal_view(&self) -> &[FiscalRow] {
        if self.fiscal.iter().any(|r| r.vehicle != "total") { &self.fiscal } else { &[] }
    }

    pub(crate) fn summary(&self, vehicle: &str, metric: &str) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.vehicle == vehicle && r.metric == metric)
    }

    pub(crate) fn risk(&self, vehicle: &str, metric: &str) -> Option<&RiskRow> {
        self.risk.iter().find(|r| r.vehicle == vehicle && r.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_type_reads_columns_its_writer_writes() {
        use crate::output::{fiscal, sweep_tables, tables};
        let has = |header: &[&str], fields: &[&str]| fields.iter().all(|f| header.contains(f));
        assert!(has(&tables::SUMMARY_HEADER, fields::<SummaryRow>()));
        assert!(has(&fiscal::HEADER, fields::<FiscalRow>()));
        assert_eq!(fields::<BudgetRow>(), &crate::output::budget::HEADER);
        assert_eq!(fields::<SwingRow>(), &sweep_tables::SENSITIVITY_HEADER);
        assert_eq!(fields::<DealRow>(), ["vehicle", "kind", "label", "count", "share"]);
        assert_eq!(fields::<StepRow>().len(), 8);
    }

    #[test]
    fn a_renamed_column_is_an_error_not_an_undefined_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fiscal.csv");
        let header = fiscal_header().replace("credit_mean", "credit_avg");
        std::fs::write(&p, format!("{header}\n")).unwrap();
        let e = read_fiscal(&p).unwrap_err().to_string();
        assert!(e.contains("no `credit_mean` column"), "{e}");
    }

    fn fiscal_header() -> String {
        crate::output::fiscal::HEADER.join(",")
    }

    #[test]
    fn a_bad_number_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("deals.csv");
        std::fs::write(&p, "vehicle,kind,label,count,share\nfund,route,ipo,3,0.5\nfund,route,failed,3,half\n").unwrap();
        let e = read_deals(&p).unwrap_err().to_string();
        assert!(e.contains("deals.csv") && e.contains("line 3"), "{e}");
        assert!(e.contains("`share` is `half`"), "{e}");
    }

    #[test]
    fn empty_cells_are_undefined_and_missing_optional_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("paths.csv");
        std::fs::write(&p, "path,fund.irr,total.fiscal_cost\n0,0.1,0\n1,,0\n").unwrap();
        let paths = read_paths(&p).unwrap().unwrap();
        let irr = paths.get("fund", "irr").unwrap();
        assert_eq!(irr[0], 0.1);
        assert!(irr[1].is_nan());
        assert!(read_risk(&dir.path().join("risk.csv")).unwrap().is_empty());
        assert!(read_paths(&dir.path().join("none.csv")).unwrap().is_none());
    }
}
