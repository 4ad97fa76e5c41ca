//! `report.html`: one self-contained page per run (INTERFACE.md, Outputs).
//!
//! Last step of the output stage, after the charts: the scenario's name and
//! description, the key tables of `summary.csv` and `risk.csv`, every chart
//! (its SVG inlined) with its caption, the tables of the fiscal view, the
//! sweep and the sensitivity swings at the top of their sections
//! (`policy_tables`), and the reproducibility block of `manifest.json`. Inline CSS, no scripts, nothing loaded from the network;
//! like the charts it is drawn from the output directory's files alone.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::charts::style::Unit;
use super::charts::{Chart, ChartError, Section, count};
use super::html::{cell, describe_in, esc, table_unit};
use super::i18n::{Lang, tr};
use super::policy_tables;
use super::read::{OutputData, SummaryRow};
use crate::vehicles::catalogue;

/// Write `dir/report.html` from the files in `dir` and the charts drawn
/// into `dir/charts/`.
pub(crate) fn write_report(dir: &Path, charts: &[Chart], lang: Lang) -> Result<(), ChartError> {
    write_report_into(dir, dir, charts, lang)
}

/// Read the output in `src` and the charts in `dst/charts/`, write
/// `dst/report.html`.
pub(crate) fn write_report_into(src: &Path, dst: &Path, charts: &[Chart], lang: Lang) -> Result<(), ChartError> {
    let data = OutputData::read(src)?;
    let mut svgs = Vec::with_capacity(charts.len());
    for c in charts {
        let p = dst.join("charts").join(format!("{}.svg", c.name));
        let svg = fs::read_to_string(&p).map_err(|source| ChartError::Io { path: p, source })?;
        svgs.push(svg);
    }
    let html = render(&data, charts, &svgs, lang);
    let path = dst.join("report.html");
    fs::write(&path, html).map_err(|source| ChartError::Io { path, source })
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #f4f4f2; color: #212121;
  font-family: "DejaVu Sans", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.5; }
main { max-width: 1080px; margin: 0 auto; padding: 32px 40px 64px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 8px; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid #0072B2; }
h3 { font-size: 16px; margin: 20px 0 8px; }
.desc { font-size: 16px; margin: 0 0 8px; }
.lead { font-size: 16.5px; }
table.summary td:first-child { max-width: 560px; }
.meta { color: #5a5a5a; margin: 0; }
nav ol { margin: 8px 0 0; padding-left: 22px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e1e1e1; }
th { text-align: left; background: #f0f5f9; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { color: #5a5a5a; font-size: 13.5px; }
figure { margin: 24px 0 32px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #e1e1e1; }
figcaption { font-size: 14px; margin-top: 6px; color: #333; }
figcaption a { color: #0072B2; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 14px; }
dt { font-weight: bold; }
dd { margin: 0; word-break: break-all; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12.5px; }
code { font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; max-width: none; } }
"#;

fn render(data: &OutputData, charts: &[Chart], svgs: &[String], lang: Lang) -> String {
    let t = |en: &str| tr(lang, en);
    let m = &data.manifest;
    let name = if m.scenario_name.is_empty() { "fundsim run".to_string() } else { m.scenario_name.clone() };
    let mut h = String::new();
    let _ = write!(h, "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n", lang.html());
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    let _ = writeln!(h, "<title>{} · {}</title>", esc(&name), t("fundsim report"));
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", esc(&name));
    if !m.scenario_description.is_empty() {
        let _ = writeln!(h, "<p class=\"desc\">{}</p>", esc(&m.scenario_description));
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} {} · {} {} · fundsim {}</p>\n</header>",
        count(m.paths as usize),
        t("simulated paths"),
        t("seed"),
        m.seed,
        esc(&m.fundsim_version)
    );

    // Contents: the fixed sections that have charts or a table.
    let tabled = |s: Section| match s {
        Section::Fiscal => !data.fiscal_view().is_empty(),
        Section::Sweep => data.sweep.is_some(),
        Section::Sensitivity => !data.sensitivity.is_empty(),
        _ => false,
    };
    let sections: Vec<Section> =
        SECTIONS.into_iter().filter(|s| tabled(*s) || charts.iter().any(|c| c.main && c.section == *s)).collect();
    let appendix: Vec<Section> =
        SECTIONS.into_iter().filter(|s| charts.iter().any(|c| !c.main && c.section == *s)).collect();
    super::executive::section(&mut h, data, lang);
    let _ = writeln!(
        h,
        "<nav>\n<h2>{}</h2>\n<ol>\n<li><a href=\"#summary\">{}</a></li>\n<li><a href=\"#key-results\">{}</a></li>\n<li><a href=\"#tail-risk\">{}</a></li>",
        t("Contents"),
        t("Summary"),
        t("Key results"),
        t("Tail risk")
    );
    for s in &sections {
        let _ = writeln!(h, "<li><a href=\"#{}\">{}</a></li>", anchor(*s), s.heading(lang));
    }
    if !appendix.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#appendix\">{}</a></li>", t("Appendix: further charts"));
    }
    let _ = writeln!(h, "<li><a href=\"#reproducibility\">{}</a></li>\n</ol>\n</nav>", t("Reproducibility"));

    summary_tables(&mut h, data, lang);
    risk_table(&mut h, data, lang);

    let mut figure = 0;
    for s in &sections {
        let _ = writeln!(h, "<section id=\"{}\">\n<h2>{}</h2>", anchor(*s), s.heading(lang));
        match s {
            Section::Fiscal => policy_tables::fiscal(&mut h, data, lang),
            Section::Sweep => policy_tables::sweep(&mut h, data, lang),
            Section::Sensitivity => policy_tables::sensitivity(&mut h, data, lang),
            _ => {}
        }
        for (c, svg) in charts.iter().zip(svgs).filter(|(c, _)| c.main && c.section == *s) {
            figure += 1;
            write_figure(&mut h, c, svg, figure, lang);
        }
        h += "</section>\n";
    }
    if !appendix.is_empty() {
        let _ = writeln!(
            h,
            "<section id=\"appendix\">\n<h2>{}</h2>\n<p class=\"note\">{}</p>",
            t("Appendix: further charts"),
            t(
                "The charts above answer the scenario's questions; these show the rest of the run: every other stakeholder's distributions and cash flows, the deal outcomes, and the sweep's effect on each metric it moves. Charts whose lines would all be flat (a metric the swept lever does not reach) are not drawn."
            )
        );
        for s in &appendix {
            let _ = writeln!(h, "<h3>{}</h3>", s.heading(lang));
            for (c, svg) in charts.iter().zip(svgs).filter(|(c, _)| !c.main && c.section == *s) {
                figure += 1;
                write_figure(&mut h, c, svg, figure, lang);
            }
        }
        h += "</section>\n";
    }
    if data.paths.is_none() {
        h += "<p class=\"note\">paths.csv was not written (<code>--no-paths</code>), so the per-path distributions are not drawn.</p>\n";
    }
    if charts.is_empty() {
        h += "<p class=\"note\">No charts were drawn for this run.</p>\n";
    }

    reproducibility(&mut h, data, lang);
    h += "</main>\n</body>\n</html>\n";
    h
}

/// One chart as a figure, its SVG inlined, with its caption.
fn write_figure(h: &mut String, c: &Chart, svg: &str, figure: usize, lang: Lang) {
    let svg = svg.trim_end().replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(&c.title)), 1);
    let _ = writeln!(
        h,
        "<figure id=\"{n}\">\n{svg}\n<figcaption><b>{fig} {figure}.</b> {cap} <a href=\"charts/{n}.png\">PNG</a> · <a href=\"charts/{n}.svg\">SVG</a></figcaption>\n</figure>",
        n = esc(&c.name),
        // In Chinese the caption is the chart's (translated) title.
        cap = esc(if lang == Lang::En { &c.caption } else { &c.title }),
        fig = tr(lang, "Figure"),
    );
}

/// The report's sections after the key tables, in order.
const SECTIONS: [Section; 7] = [
    Section::Fiscal,
    Section::Returns,
    Section::Losses,
    Section::CashFlows,
    Section::Deals,
    Section::Sweep,
    Section::Sensitivity,
];

fn anchor(s: Section) -> &'static str {
    match s {
        Section::Fiscal => "fiscal-view",
        Section::Sensitivity => "sensitivity",
        Section::Returns => "returns",
        Section::Losses => "losses",
        Section::CashFlows => "cash-flows",
        Section::Deals => "deals",
        Section::Sweep => "sweep",
    }
}

fn summary_tables(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let _ = writeln!(h, "<section id=\"key-results\">\n<h2>{}</h2>", t("Key results"));
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        t(
            "Across simulated paths, from summary.csv: mean and its standard error, 5th, 50th and 95th percentiles, and the share of paths where the metric is undefined (an IRR with no root, say). The mean of a 0/1 indicator is the probability of the event."
        )
    );
    let mut vehicles: Vec<&str> = Vec::new();
    for r in &data.summary {
        if !vehicles.contains(&r.vehicle.as_str()) {
            vehicles.push(&r.vehicle);
        }
    }
    for v in vehicles {
        let rows: Vec<&SummaryRow> = data
            .summary
            .iter()
            .filter(|r| r.vehicle == v && !(v == "total" && all_zero(r)) && !catalogue::is_path_ratio(&r.metric))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>{}</h3>", esc(&data.label(v)));
        let _ = writeln!(
            h,
            "<table>\n<thead><tr><th>{}</th><th></th><th>{}</th><th>{}</th><th>{}</th><th>P5</th><th>{}</th><th>P95</th><th>{}</th></tr></thead>\n<tbody>",
            t("metric"),
            t("unit"),
            t("mean"),
            t("se"),
            t("median"),
            t("undefined")
        );
        for r in rows {
            let (unit, label, d) = table_unit(&r.metric);
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.metric),
                esc(&describe_in(lang, &r.metric)),
                t(label),
                cell(r.mean, unit, d),
                cell(r.se, unit, d + 2),
                cell(r.p05, unit, d),
                cell(r.p50, unit, d),
                cell(r.p95, unit, d),
                cell(r.undefined_share, Some(Unit::Percent), 1) + "%",
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

fn all_zero(r: &SummaryRow) -> bool {
    [r.min, r.max].iter().all(|v| *v == Some(0.0))
}

fn risk_table(h: &mut String, data: &OutputData, lang: Lang) {
    let t = |en: &str| tr(lang, en);
    let _ = writeln!(h, "<section id=\"tail-risk\">\n<h2>{}</h2>", t("Tail risk"));
    let rows: Vec<_> = data
        .risk
        .iter()
        .filter(|r| r.vehicle != "total" || data.risk.iter().any(|o| o.vehicle != "total" && o.metric == r.metric))
        .collect();
    if rows.is_empty() {
        h.push_str("<p class=\"note\">No vehicle in this scenario reports a loss or a fiscal cost, so risk.csv has no measures to show.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        t(
            "Value-at-Risk (VaR) and expected shortfall (ES, the mean of the worst tail) of each loss metric, from risk.csv."
        )
    );
    let tags: Vec<String> = rows[0].levels.iter().map(|l| l.0.clone()).collect();
    let level = |t: &str| match t {
        "999" => "99.9%".to_string(),
        t => format!("{t}%"),
    };
    let _ = write!(h, "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>", t("vehicle"), t("metric"), t("unit"));
    for t in &tags {
        let _ = write!(h, "<th>VaR {0}</th><th>ES {0}</th>", level(t));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        let (unit, label, d) = table_unit(&r.metric);
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code> {}</td><td>{}</td>",
            esc(&data.label(&r.vehicle)),
            esc(&r.metric),
            esc(&describe_in(lang, &r.metric)),
            t(label)
        );
        for t in &tags {
            let (var, es) = r.at(t).unwrap_or((None, None));
            let _ = write!(h, "<td class=\"n\">{}</td><td class=\"n\">{}</td>", cell(var, unit, d), cell(es, unit, d));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// Quote a shell word when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._=-/,:+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn reproducibility(h: &mut String, data: &OutputData, lang: Lang) {
    let m = &data.manifest;
    let _ = writeln!(h, "<section id=\"reproducibility\">\n<h2>{}</h2>", tr(lang, "Reproducibility"));
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>\n<dl>",
        esc(&tr(
            lang,
            "From manifest.json. The same scenario file, seed and --set values give byte-identical CSV files whatever the thread count."
        ))
    );
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row("fundsim version", esc(&m.fundsim_version));
    row("scenario file", format!("<code>{}</code>", esc(&m.scenario_file)));
    row("scenario SHA-256", format!("<code>{}</code>", esc(&m.scenario_sha256)));
    row("seed", m.seed.to_string());
    row("paths", m.paths.to_string());
    row("horizon", format!("{} years, {} steps a year", m.years, m.steps_per_year));
    row("threads", m.threads.to_string());
    row("random numbers", esc(&m.generator));
    row(
        "<code>--set</code> values",
        if m.sets.is_empty() {
            "none".into()
        } else {
            m.sets.iter().map(|s| format!("<code>{}</code>", esc(s))).collect::<Vec<_>>().join("<br>")
        },
    );
    let mut cmd = format!("fundsim run {} --seed {} --paths {}", shell_word(&m.scenario_file), m.seed, m.paths);
    for s in &m.sets {
        cmd += &format!(" --set {}", shell_word(s));
    }
    row("command", format!("<code>{}</code>", esc(&cmd)));
    h.push_str("</dl>\n");
    if !m.scenario.is_empty() {
        let _ = writeln!(
            h,
            "<details>\n<summary>Scenario file, verbatim</summary>\n<pre>{}</pre>\n</details>",
            esc(&m.scenario)
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_shell_are_escaped() {
        assert_eq!(esc("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        assert_eq!(shell_word("a.b=0.5"), "a.b=0.5");
        assert_eq!(shell_word("name=\"x y\""), "'name=\"x y\"'");
    }
}
