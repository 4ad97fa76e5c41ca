//! The command line (INTERFACE.md): `fundsim run`, `fundsim check`,
//! `fundsim plot`.
//!
//! Parses flags with clap and drives the pipeline: scenario -> engine ->
//! output (CSVs, then charts and report). `src/main.rs` only calls `main`
//! and maps errors to exit status.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::output;
use crate::output::charts::{self, ChartOptions};
use crate::output::i18n::Lang;
use crate::run::{RunOptions, apply_flags};
use crate::scenario;
use crate::shard::ShardSpec;

#[derive(Debug, Parser)]
#[command(
    name = "fundsim",
    version,
    about = "Monte Carlo engine for tech-finance policy: venture funds, guidance funds, S funds and loan programmes"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Simulate a scenario and write CSVs and a manifest to the output directory.
    Run {
        scenario: PathBuf,
        /// Output directory [default: output/<scenario file stem>/]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Number of Monte Carlo paths (overrides simulation.paths)
        #[arg(long)]
        paths: Option<u64>,
        /// Random seed (overrides simulation.seed)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads; 0 or absent: all cores; at most 4 per core (16 at least). Never changes a result.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Override a scenario key: --set vehicles.fund.carry=0.25
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Skip the charts and report.html
        #[arg(long)]
        no_charts: bool,
        /// Font file (TrueType/OpenType) for chart text instead of the bundled DejaVu Sans, e.g. for CJK labels
        #[arg(long, value_name = "FILE")]
        font: Option<PathBuf>,
        /// Language of every chart and report string: en or zh (Simplified Chinese, with the bundled CJK font)
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// Do not write paths.csv (for very large runs)
        #[arg(long)]
        no_paths: bool,
        /// No progress bar
        #[arg(long)]
        quiet: bool,
        /// Simulate only the K-th of N parts of the paths (K from 1) and write a shard directory for `fundsim merge`
        #[arg(long, value_name = "K/N", value_parser = ShardSpec::parse)]
        shard: Option<ShardSpec>,
        /// Under `mpirun -n R`: split the paths over the R ranks, rank 0 writing the outputs (needs the `mpi` feature)
        #[arg(long)]
        mpi: bool,
    },
    /// Merge the shard directories of one run (`run --shard K/N`, K = 1..N) into the outputs of the single run.
    Merge {
        /// Every shard directory of the run, in any order
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory
        #[arg(long)]
        out: PathBuf,
        /// Skip the charts and report.html
        #[arg(long)]
        no_charts: bool,
        /// Font file (TrueType/OpenType) for chart text instead of the bundled DejaVu Sans, e.g. for CJK labels
        #[arg(long, value_name = "FILE")]
        font: Option<PathBuf>,
        /// Language of every chart and report string: en or zh (Simplified Chinese, with the bundled CJK font)
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// No summary line
        #[arg(long)]
        quiet: bool,
    },
    /// Measure throughput and thread scaling (no outputs but the table).
    Bench {
        /// Scenarios to measure [default: scenarios/bench_loans.toml and scenarios/bench_fund.toml]
        scenarios: Vec<PathBuf>,
        /// Thread counts, comma separated [default: 1 and all cores]
        #[arg(long, value_delimiter = ',')]
        threads: Vec<usize>,
        /// Paths per run (overrides simulation.paths)
        #[arg(long)]
        paths: Option<u64>,
        /// Runs per point, 1 to 1000; the fastest is reported
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Where to write the table as CSV
        #[arg(long, default_value = "output/bench/bench.csv")]
        csv: PathBuf,
    },
    /// Validate a scenario and print it resolved (defaults and overrides applied); run nothing.
    Check {
        scenario: PathBuf,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Redraw the charts and report.html of an output directory from its CSVs.
    Plot {
        out_dir: PathBuf,
        /// Font file (TrueType/OpenType) for chart text instead of the bundled DejaVu Sans, e.g. for CJK labels
        #[arg(long, value_name = "FILE")]
        font: Option<PathBuf>,
        /// Language of every chart and report string: en or zh (Simplified Chinese, with the bundled CJK font)
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
}

/// The scenario's name and its vehicles' labels: the scenario text the
/// charts show.
fn display_text(source: &str, name: &str) -> String {
    let mut text = name.to_string();
    if let Ok(doc) = source.parse::<toml::Table>()
        && let Some(vehicles) = doc.get("vehicles").and_then(|v| v.as_table())
    {
        for v in vehicles.values() {
            if let Some(l) = v.get("label").and_then(|l| l.as_str()) {
                text.push(' ');
                text.push_str(l);
            }
        }
    }
    text
}

/// Warn (stderr) when the chart font bundled for `lang` lacks a glyph of
/// the scenario's name, which every chart's subtitle shows.
fn warn_missing_glyphs(text: &str, lang: Lang) {
    let missing = charts::style::missing_glyphs(text, lang);
    if !missing.is_empty() {
        let list: String = missing.iter().map(|c| format!("{c} (U+{:04X})", *c as u32)).collect::<Vec<_>>().join(", ");
        eprintln!(
            "warning: the bundled chart font{} has no glyph for {list} in the scenario's name or vehicle labels; in the PNGs they would be empty boxes. Pass --font FILE with a font that has them{}.",
            if lang == Lang::Zh { " (Fundsim Sans SC)" } else { " (DejaVu Sans)" },
            if lang == Lang::En { ", or --lang zh for Chinese text" } else { "" }
        );
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}` is not a language fundsim writes: use en or zh"))
}

/// Entry point used by the binary: parse `args`, run, return the exit status.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    // SIGINT/SIGTERM/SIGHUP: remove unfinished output, exit 1 (output::commit).
    output::commit::install_signal_handlers();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.exit_status()
        }
    }
}

/// The sweep and sensitivity table of a scenario measured at one thread
/// (`bench::measure_experiments`), variants built as `fundsim run` builds
/// them.
fn bench_experiments(
    loaded: &scenario::Loaded,
    file: &std::path::Path,
    name: &str,
    paths: Option<u64>,
    repeats: usize,
) -> Result<crate::bench::ExperimentRow, Error> {
    let scn = &loaded.scenario;
    let text = file.display().to_string();
    let mut variants = if scn.sweeps.is_empty() {
        Vec::new()
    } else {
        crate::sweep::variants(&loaded.source, &text, &[], &scn.sweeps)?
    };
    let base_sets: Vec<String> =
        variants.first().map(|v| v.label.iter().map(|(k, x)| format!("{k}={x}")).collect()).unwrap_or_default();
    let levers = scn.sensitivity.as_ref().map(|s| s.levers.clone()).unwrap_or_default();
    let mut cases: Vec<scenario::Scenario> =
        crate::sweep::sensitivity_cases(&loaded.source, &text, &base_sets, &levers)?
            .into_iter()
            .flat_map(|(lo, hi)| [lo, hi])
            .collect();
    for s in variants.iter_mut().map(|v| &mut v.scenario).chain(cases.iter_mut()) {
        apply_flags(s, file, paths, None)?;
    }
    let base = variants.first().map_or(scn, |v| &v.scenario);
    let others: Vec<&scenario::Scenario> = variants.iter().skip(1).map(|v| &v.scenario).collect();
    let cases: Vec<&scenario::Scenario> = cases.iter().collect();
    Ok(crate::bench::measure_experiments(name, base, &others, &cases, repeats))
}

pub(crate) fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Check { scenario, sets } => {
            let loaded = scenario::load(&scenario, &sets)?;
            print!("{}", loaded.resolved);
            eprintln!("{}: valid ({} vehicle(s)).", scenario.display(), loaded.scenario.vehicles.len());
            Ok(())
        }
        Command::Bench { scenarios, threads, paths, repeats, csv } => {
            let scenarios = if scenarios.is_empty() {
                vec![PathBuf::from("scenarios/bench_loans.toml"), PathBuf::from("scenarios/bench_fund.toml")]
            } else {
                scenarios
            };
            let cores = crate::limits::cores();
            let mut threads = if threads.is_empty() { vec![1, cores] } else { threads };
            threads.dedup();
            let max = crate::limits::max_threads();
            if let Some(bad) = threads.iter().find(|&&t| t == 0 || t > max) {
                return Err(crate::run::flag_error(
                    &scenarios[0],
                    "--threads",
                    bad,
                    format!(
                        "each thread count must be within [1, {max}]: at most 4 x the {cores} available core(s), \
                         and never fewer than 16"
                    ),
                ));
            }
            if !(1..=crate::limits::MAX_REPEATS).contains(&repeats) {
                return Err(crate::run::flag_error(
                    &scenarios[0],
                    "--repeats",
                    repeats,
                    format!("must be a whole number within [1, {}]", crate::limits::MAX_REPEATS),
                ));
            }
            let mut rows = Vec::new();
            let mut experiments = Vec::new();
            for file in &scenarios {
                let mut loaded = scenario::load(file, &[])?;
                apply_flags(&mut loaded.scenario, file, paths, None)?;
                let most = threads.iter().copied().max().unwrap_or(1);
                crate::run::check_memory(&loaded.scenario, file, most, paths.is_some(), true)?;
                let name = file.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
                let scn = &loaded.scenario;
                rows.extend(crate::bench::measure(&name, scn, scn.paths, &threads, repeats));
                if !scn.sweeps.is_empty() || scn.sensitivity.is_some() {
                    experiments.push(bench_experiments(&loaded, file, &name, paths, repeats)?);
                }
            }
            crate::bench::print(&rows, &mut std::io::stdout())
                .map_err(|source| Error::Io { path: "stdout".into(), source })?;
            if !experiments.is_empty() {
                crate::bench::print_experiments(&experiments, &mut std::io::stdout())
                    .map_err(|source| Error::Io { path: "stdout".into(), source })?;
            }
            crate::bench::write_csv(&rows, &csv).map_err(|source| Error::Io { path: csv.clone(), source })?;
            Ok(())
        }
        Command::Run {
            scenario,
            out,
            paths,
            seed,
            threads,
            sets,
            no_charts,
            font,
            lang,
            no_paths,
            quiet,
            shard,
            mpi,
        } => {
            let mut loaded = scenario::load(&scenario, &sets)?;
            if let Some(f) = &font {
                charts::check_font(f)?;
            }
            apply_flags(&mut loaded.scenario, &scenario, paths, seed)?;
            let out = out.unwrap_or_else(|| default_out(&scenario));
            if out.exists() && !out.is_dir() {
                return Err(Error::Usage(format!("--out {} exists and is not a directory", out.display())));
            }
            if !no_charts && font.is_none() {
                warn_missing_glyphs(&display_text(&loaded.source, &loaded.scenario.name), lang);
            }
            let charts = (!no_charts).then_some(ChartOptions { font, lang });
            let opts = RunOptions { threads, no_paths, quiet, charts, paths, seed, shard, mpi };
            crate::run::run(&loaded, &scenario, &out, &sets, &opts)
        }
        Command::Merge { shards, out, no_charts, font, lang, quiet } => {
            if let Some(f) = &font {
                charts::check_font(f)?;
            }
            if out.exists() && !out.is_dir() {
                return Err(Error::Usage(format!("--out {} exists and is not a directory", out.display())));
            }
            let charts = (!no_charts).then_some(ChartOptions { font, lang });
            crate::shard::merge::merge(&shards, &out, charts.as_ref(), quiet)
        }
        Command::Plot { out_dir, font, lang } => {
            let drawn = output::redraw(&out_dir, &ChartOptions { font, lang })?;
            eprintln!("{}: {} chart(s) and report.html redrawn", out_dir.display(), drawn.len());
            Ok(())
        }
    }
}

/// `output/<scenario file stem>/`
pub(crate) fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    PathBuf::from("output").join(stem)
}
