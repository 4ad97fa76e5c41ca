//! `results.xlsx`: the run's result tables as one Excel workbook, a sheet
//! per CSV, with the unit of every column in its header.
//!
//! Part of the output stage: written after every CSV of the run, from those
//! files alone, so the workbook holds exactly what the CSVs hold (numbers as
//! numbers, text as text, an empty cell where a value is undefined). A new
//! table is one line of [`SHEETS`]; a table the run did not write is left
//! out.

use std::io;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::vehicles::catalogue;

/// A sheet of the workbook: its name, the CSV it copies, and the unit of
/// its per-row value columns when the table has no `metric` or `target`
/// column to say it.
pub(crate) struct Sheet {
    pub name: &'static str,
    pub csv: &'static str,
    pub row_unit: Option<&'static str>,
}

/// The workbook's sheets, in order.
pub(crate) const SHEETS: &[Sheet] = &[
    Sheet { name: "summary", csv: "summary.csv", row_unit: None },
    Sheet { name: "risk", csv: "risk.csv", row_unit: None },
    Sheet { name: "fiscal", csv: "fiscal.csv", row_unit: None },
    Sheet { name: "budget", csv: "budget.csv", row_unit: Some("mn CNY") },
    Sheet { name: "exits", csv: "exits.csv", row_unit: None },
    Sheet { name: "sweep", csv: "sweep.csv", row_unit: None },
    Sheet { name: "sensitivity", csv: "sensitivity.csv", row_unit: None },
];

/// The workbook's file name in the output directory.
pub(crate) const FILE: &str = "results.xlsx";

/// What a column's values are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnUnit {
    /// The unit of the row's metric (a statistic of it: mean, P5, VaR, a
    /// difference).
    Row,
    /// One unit for the whole column.
    Fixed(&'static str),
    /// Not a measurement (a name, a variant number, a lever's value).
    None,
}

/// The unit of the column `name`, by what the column holds.
fn column_unit(name: &str) -> ColumnUnit {
    use ColumnUnit::*;
    let quantile = |s: &str| s.len() == 3 && s.starts_with('p') && s[1..].bytes().all(|b| b.is_ascii_digit());
    let level = |s: &str, tag: &str| {
        s.strip_prefix(tag).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    match name {
        "mean" | "sd" | "se" | "min" | "max" | "diff_mean" | "diff_se" | "diff_se_unpaired" | "base_mean"
        | "low_mean" | "high_mean" | "low_diff" | "low_diff_se" | "high_diff" | "high_diff_se" | "swing"
        | "swing_se" => Row,
        n if quantile(n) || level(n, "var") || level(n, "es") => Row,
        "share" | "undefined_share" | "share_of_total" => Fixed("share"),
        "count" | "firms_mean" => Fixed("count"),
        "year" => Fixed("calendar year"),
        "private_per_fiscal_yuan" | "credit_per_fiscal_yuan" => Fixed("CNY per CNY of fiscal cost"),
        "firms_per_million_fiscal" => Fixed("count per mn CNY"),
        n if n.starts_with("years_") => Fixed("years"),
        n if n.starts_with("fiscal_cost_") || n == "private_capital_mean" || n == "credit_mean" => Fixed("mn CNY"),
        _ => None,
    }
}

/// The catalogue unit of a metric named `vehicle.metric` or `metric`.
fn metric_unit(metric: &str) -> Option<&'static str> {
    let name = metric.rsplit('.').next().unwrap_or(metric);
    catalogue::find(name).map(|m| m.unit.csv())
}

/// A table read from its CSV: the header and the rows, cells as written.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_csv(path: &Path) -> io::Result<Option<Table>> {
    let mut r = match csv::Reader::from_path(path) {
        Ok(r) => r,
        Err(e) => {
            return match e.kind() {
                csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::NotFound => Ok(None),
                _ => Err(io::Error::other(e)),
            };
        }
    };
    let header = r.headers().map_err(io::Error::other)?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(io::Error::other)?.iter().map(str::to_string).collect());
    }
    Ok(Some(Table { header, rows }))
}

/// The sheet's columns: the CSV's, each header with its unit, and a `unit`
/// column after `metric` (or `target`) where the CSV has none and the units
/// differ by row.
struct Layout {
    /// (header, CSV column index or `None` for the added unit column).
    columns: Vec<(String, Option<usize>)>,
    /// The unit of each row, where the table has a metric column.
    row_units: Vec<Option<&'static str>>,
}

fn layout(sheet: &Sheet, t: &Table) -> Layout {
    let key = t.header.iter().position(|h| h == "metric").or_else(|| t.header.iter().position(|h| h == "target"));
    let row_units: Vec<Option<&'static str>> = match key {
        Some(k) => t.rows.iter().map(|r| r.get(k).and_then(|m| metric_unit(m))).collect(),
        None => vec![sheet.row_unit; t.rows.len()],
    };
    let first = row_units.first().copied().flatten();
    let one_unit = row_units.iter().all(|u| *u == first).then_some(first).flatten();
    let has_unit_column = t.header.iter().any(|h| h == "unit");
    let mut columns = Vec::new();
    for (i, h) in t.header.iter().enumerate() {
        let head = match column_unit(h) {
            ColumnUnit::Row => match one_unit {
                Some(u) => format!("{h} ({u})"),
                None => format!("{h} (unit column)"),
            },
            ColumnUnit::Fixed(u) => format!("{h} ({u})"),
            ColumnUnit::None => h.clone(),
        };
        columns.push((head, Some(i)));
        if Some(i) == key && !has_unit_column && one_unit.is_none() {
            columns.push(("unit".to_string(), None));
        }
    }
    Layout { columns, row_units }
}

/// Write `results.xlsx` into `dir` from the CSVs there.
pub(crate) fn write_workbook(dir: &Path) -> io::Result<()> {
    let xlsx = |e: XlsxError| io::Error::other(format!("writing {FILE}: {e}"));
    let mut book = Workbook::new();
    // A fixed creation date: the same run gives the same bytes.
    let epoch = ExcelDateTime::from_ymd(2023, 11, 1).map_err(xlsx)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&epoch).set_title("fundsim results"));
    let bold = Format::new().set_bold();
    for sheet in SHEETS {
        let Some(t) = read_csv(&dir.join(sheet.csv))? else { continue };
        let l = layout(sheet, &t);
        let ws = book.add_worksheet();
        ws.set_name(sheet.name).map_err(xlsx)?;
        for (c, (head, _)) in l.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, head, &bold).map_err(xlsx)?;
            ws.set_column_width(c, (head.chars().count() as f64 + 2.0).clamp(10.0, 48.0)).map_err(xlsx)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (r, row) in t.rows.iter().enumerate() {
            let x = (r + 1) as u32;
            for (c, (_, src)) in l.columns.iter().enumerate() {
                let c = c as u16;
                let text = match src {
                    Some(i) => row.get(*i).map(String::as_str).unwrap_or(""),
                    None => l.row_units[r].unwrap_or(""),
                };
                if text.is_empty() {
                    continue;
                }
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() && src.is_some() => ws.write_number(x, c, v).map_err(xlsx)?,
                    _ => ws.write_string(x, c, text).map_err(xlsx)?,
                };
            }
        }
    }
    if book.worksheets().is_empty() {
        return Ok(());
    }
    book.save(dir.join(FILE)).map_err(xlsx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_the_unit_of_what_they_hold() {
        assert_eq!(column_unit("p05"), ColumnUnit::Row);
        assert_eq!(column_unit("es999"), ColumnUnit::Row);
        assert_eq!(column_unit("variant"), ColumnUnit::None);
        assert_eq!(column_unit("pool"), ColumnUnit::None);
        assert_eq!(column_unit("fiscal_cost_p95"), ColumnUnit::Fixed("mn CNY"));
        assert_eq!(column_unit("years_p50"), ColumnUnit::Fixed("years"));
        assert_eq!(metric_unit("total.fiscal_cost"), Some("mn CNY"));
        assert_eq!(metric_unit("gov_tvpi"), Some("x"));
    }

    #[test]
    fn a_table_of_one_unit_says_it_in_the_header_and_mixed_units_get_a_column() {
        let sheet = Sheet { name: "risk", csv: "risk.csv", row_unit: None };
        let t = Table {
            header: vec!["vehicle".into(), "metric".into(), "var95".into()],
            rows: vec![vec!["a".into(), "fiscal_cost".into(), "1".into()]],
        };
        let heads: Vec<String> = layout(&sheet, &t).columns.into_iter().map(|c| c.0).collect();
        assert_eq!(heads, ["vehicle", "metric", "var95 (mn CNY)"]);
        let t = Table { rows: vec![t.rows[0].clone(), vec!["a".into(), "gov_tvpi".into(), "1".into()]], ..t };
        let l = layout(&sheet, &t);
        let heads: Vec<&str> = l.columns.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(heads, ["vehicle", "metric", "unit", "var95 (unit column)"]);
        assert_eq!(l.row_units, [Some("mn CNY"), Some("x")]);
    }
}
