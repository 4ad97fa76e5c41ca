//! `fundsim run`: simulate a scenario, and its `[[sweep]]` variants and
//! `[sensitivity]` cases when it has them, then write every output into a
//! staging directory that replaces the output directory only on success.
//!
//! With a sweep, the main outputs (`paths.csv`, `summary.csv`, ...) are
//! variant 0's; `variants/<i>/` holds each variant's `paths.csv` and
//! `summary.csv`; `sweep.csv` compares every variant with variant 0, paired
//! path by path. Only the base results and one variant's are in memory at
//! a time.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{self, Results};
use crate::error::Error;
use crate::output::charts::ChartOptions;
use crate::output::sweep_tables::{SweepWriter, Swing, write_sensitivity};
use crate::output::{self, Manifest, Staging, manifest::sha256_hex, tables};
use crate::scenario::{InputError, InputErrors, Loaded, Origin, Scenario};
use crate::sweep;

/// Flags of `fundsim run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// 0: all cores.
    pub threads: usize,
    pub no_paths: bool,
    pub quiet: bool,
    /// `None`: `--no-charts`.
    pub charts: Option<ChartOptions>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
}

/// `--paths` and `--seed` over a scenario's own values.
pub fn apply_flags(scn: &mut Scenario, file: &Path, paths: Option<u64>, seed: Option<u64>) -> Result<(), Error> {
    let bad = |key: &str, value: u64, rule: String| -> Error {
        InputErrors {
            file: file.display().to_string(),
            errors: vec![InputError { key: key.into(), value: value.to_string(), rule, origin: Origin::Flag }],
        }
        .into()
    };
    if let Some(p) = paths {
        if p == 0 || p > 1_000_000_000 {
            return Err(bad("--paths", p, "must be a whole number within [1, 1000000000]".into()));
        }
        scn.paths = p;
    }
    if let Some(s) = seed {
        if s > i64::MAX as u64 {
            return Err(bad(
                "--seed",
                s,
                format!("must be within [0, {}] (as simulation.seed, a TOML integer)", i64::MAX),
            ));
        }
        scn.seed = s;
    }
    Ok(())
}

/// A flag's value refused by `rule`: exit status 2.
pub(crate) fn flag_error(file: &Path, key: &str, value: impl ToString, rule: String) -> Error {
    InputErrors {
        file: file.display().to_string(),
        errors: vec![InputError { key: key.into(), value: value.to_string(), rule, origin: Origin::Flag }],
    }
    .into()
}

/// `--threads` within `limits::max_threads`.
pub(crate) fn check_threads(file: &Path, threads: usize) -> Result<(), Error> {
    match crate::limits::threads_rule(threads) {
        Some(rule) => Err(flag_error(file, "--threads", threads, rule)),
        None => Ok(()),
    }
}

/// The run's memory estimate within what the machine has available; the
/// key is `--paths` when the flag set the paths, `simulation.paths`
/// otherwise.
pub fn check_memory(scn: &Scenario, file: &Path, threads: usize, paths_flag: bool) -> Result<(), Error> {
    let Some(rule) = crate::limits::memory_rule(scn, threads) else {
        return Ok(());
    };
    let (key, origin) =
        if paths_flag { ("--paths", Origin::Flag) } else { ("simulation.paths", Origin::File { line: None }) };
    Err(InputErrors {
        file: file.display().to_string(),
        errors: vec![InputError { key: key.into(), value: scn.paths.to_string(), rule, origin }],
    }
    .into())
}

/// Simulate and write; `loaded.scenario` has the flags applied already.
///
/// The steps: check the flags against the machine (`check_threads`,
/// `check_memory`) and the sweep (`refuse_swept_sets`), build every
/// variant and sensitivity case (`Plan`), simulate the base run into a
/// staging directory, then the sweep's variants (`write_sweep`) and the
/// sensitivity cases (`write_sensitivity_cases`), the workbook of those
/// tables (`results.xlsx`), write the manifest, draw
/// the charts and the report, and commit the staging directory.
pub fn run(loaded: &Loaded, file: &Path, out: &Path, sets: &[String], opts: &RunOptions) -> Result<(), Error> {
    let name = file.display().to_string();
    let scn = &loaded.scenario;
    check_threads(file, opts.threads)?;
    check_memory(scn, file, opts.threads, opts.paths.is_some())?;
    refuse_swept_sets(scn, &name, sets)?;
    let plan = Plan::new(loaded, file, &name, sets, opts)?;
    let base_scn = plan.variants.first().map_or(scn, |v| &v.scenario);
    let threads = if opts.threads == 0 { rayon::current_num_threads() } else { opts.threads };
    let io = |source| Error::Io { path: out.to_path_buf(), source };
    let mut sim = Simulator::new(scn.paths * plan.runs() as u64, threads, opts.quiet);

    let started = Instant::now();
    let staging = Staging::new(out).map_err(io)?;
    let dir = staging.dir().to_path_buf();
    let base = sim.run(base_scn);
    output::write_tables(&dir, base_scn, &base, !opts.no_paths).map_err(io)?;
    write_sweep(&dir, scn, &plan.variants, (base_scn, &base), &mut sim, opts.no_paths).map_err(io)?;
    write_sensitivity_cases(&dir, scn, &plan.cases, (base_scn, &base), &mut sim).map_err(io)?;
    output::workbook::write_workbook(&dir).map_err(io)?;
    sim.finish();
    let wall = started.elapsed().as_secs_f64();
    manifest(loaded, &name, sets, threads, wall).write(&dir.join("manifest.json")).map_err(io)?;
    output::draw(&dir, opts.charts.as_ref()).map_err(io)?;
    staging.commit().map_err(io)?;
    if !opts.quiet {
        let total = scn.paths * plan.runs() as u64;
        eprintln!(
            "{}: {} run(s) of {} paths in {:.2} s ({:.0} paths/s, {} threads) -> {}",
            scn.name,
            plan.runs(),
            scn.paths,
            wall,
            total as f64 / wall,
            threads,
            out.display()
        );
    }
    Ok(())
}

/// A `--set` of a swept key would be overridden by every variant: refuse
/// it rather than ignore it.
fn refuse_swept_sets(scn: &Scenario, name: &str, sets: &[String]) -> Result<(), Error> {
    let swept: Vec<InputError> = sets
        .iter()
        .filter_map(|s| s.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
        .filter(|(k, _)| scn.sweeps.iter().any(|a| a.key == *k))
        .map(|(k, v)| InputError {
            key: k.to_string(),
            value: v.to_string(),
            rule: "is swept by a [[sweep]] table, which sets it in every variant; change the sweep's values instead"
                .into(),
            origin: Origin::Set,
        })
        .collect();
    if swept.is_empty() { Ok(()) } else { Err(InputErrors { file: name.to_string(), errors: swept }.into()) }
}

/// Every scenario a run simulates besides the base: the sweep's variants
/// (variant 0 is the base run) and each sensitivity lever's low and high
/// case, with the flags applied.
struct Plan {
    variants: Vec<sweep::Variant>,
    cases: Vec<(Scenario, Scenario)>,
}

impl Plan {
    fn new(loaded: &Loaded, file: &Path, name: &str, sets: &[String], opts: &RunOptions) -> Result<Plan, Error> {
        let scn = &loaded.scenario;
        let variants = if scn.sweeps.is_empty() {
            Ok(Vec::new())
        } else {
            sweep::variants(&loaded.source, name, sets, &scn.sweeps)
        };
        // Sensitivity cases start from the base run: variant 0's swept
        // values when there is a sweep, then the lever.
        let base_sets: Vec<String> = match variants.as_ref().ok().and_then(|v| v.first()) {
            Some(v) => sets.iter().cloned().chain(v.label.iter().map(|(k, x)| format!("{k}={x}"))).collect(),
            None => sets.to_vec(),
        };
        let cases = match &scn.sensitivity {
            Some(s) => sweep::sensitivity_cases(&loaded.source, name, &base_sets, &s.levers),
            None => Ok(Vec::new()),
        };
        // The sweep's and the levers' mistakes, all in one report.
        let (mut variants, mut cases) = match (variants, cases) {
            (Ok(v), Ok(c)) => (v, c),
            (v, c) => {
                let mut all = InputErrors { file: name.to_string(), errors: Vec::new() };
                for e in [v.err(), c.err()].into_iter().flatten() {
                    all.errors.extend(e.errors);
                }
                return Err(all.into());
            }
        };
        for v in &mut variants {
            apply_flags(&mut v.scenario, file, opts.paths, opts.seed)?;
        }
        for (lo, hi) in &mut cases {
            apply_flags(lo, file, opts.paths, opts.seed)?;
            apply_flags(hi, file, opts.paths, opts.seed)?;
        }
        Ok(Plan { variants, cases })
    }

    /// Simulations in all: the base, the other variants, two per lever.
    fn runs(&self) -> usize {
        1 + self.variants.len().saturating_sub(1) + 2 * self.cases.len()
    }
}

/// Runs the engine on one scenario after another, with one progress bar
/// (on a terminal, without `--quiet`) over all of them.
struct Simulator {
    bar: Option<ProgressBar>,
    threads: usize,
    done_before: u64,
}

impl Simulator {
    fn new(total_paths: u64, threads: usize, quiet: bool) -> Simulator {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total_paths);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  ETA {eta}")
                    .expect("progress template"),
            );
            bar
        });
        Simulator { bar, threads, done_before: 0 }
    }

    fn run(&mut self, s: &Scenario) -> Results {
        let offset = self.done_before;
        let bar = &self.bar;
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        let r = engine::run(s, s.paths, self.threads, &progress);
        self.done_before += s.paths;
        r
    }

    /// Variants or cases of the base run: what they share with it is copied
    /// (`engine::run_from`), and they run in lockstep where they can
    /// (`engine::run_many`), with identical results.
    fn run_many<'a>(&mut self, scns: &[&'a Scenario], base: (&'a Scenario, &'a Results)) -> engine::Batch<'a> {
        let offset = self.done_before;
        let bar = &self.bar;
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        let paths = scns.first().map_or(0, |s| s.paths);
        let r = engine::run_many(scns, paths, self.threads, &progress, base);
        self.done_before += r.simulated();
        r
    }

    /// The next results of a batch of `run_many` (simulated now unless they
    /// ran in lockstep).
    fn next(&mut self, batch: &mut engine::Batch<'_>) -> Option<Results> {
        let offset = self.done_before;
        let bar = &self.bar;
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        let (r, simulated) = batch.next_with(&progress)?;
        self.done_before += simulated;
        Some(r)
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `sweep.csv` and `variants/<i>/`: each variant simulated (variant 0 is
/// `base`) and compared with variant 0, paired path by path. Only the base
/// results and one variant's are in memory at a time.
fn write_sweep(
    dir: &Path,
    scn: &Scenario,
    variants: &[sweep::Variant],
    (base_scn, base): (&Scenario, &Results),
    sim: &mut Simulator,
    no_paths: bool,
) -> std::io::Result<()> {
    if variants.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = scn.sweeps.iter().map(|a| a.key.clone()).collect();
    let mut sweep_csv = SweepWriter::new(&dir.join("sweep.csv"), &keys)?;
    // The variants after the base, a batch at a time in lockstep.
    let mut runs: Option<engine::Batch<'_>> = None;
    for (i, v) in variants.iter().enumerate() {
        let values: Vec<String> = v.label.iter().map(|(_, x)| x.clone()).collect();
        let vdir = dir.join("variants").join(i.to_string());
        std::fs::create_dir_all(&vdir)?;
        if i > 0 && runs.as_ref().is_none_or(|r| r.len() == 0) {
            let batch: Vec<&Scenario> =
                variants[i..].iter().take(engine::LOCKSTEP_BATCH).map(|v| &v.scenario).collect();
            runs = Some(sim.run_many(&batch, (base_scn, base)));
        }
        let r = if i == 0 { None } else { runs.as_mut().and_then(|r| sim.next(r)) };
        let r = r.as_ref().unwrap_or(base);
        if !no_paths {
            tables::write_paths(&vdir.join("paths.csv"), r)?;
        }
        tables::write_summary(&vdir.join("summary.csv"), r)?;
        sweep_csv.variant(i, &values, base, r)?;
    }
    sweep_csv.finish()
}

/// `sensitivity.csv`: each lever's low and high case simulated and its
/// swing of the target metric measured against the base, paired.
fn write_sensitivity_cases(
    dir: &Path,
    scn: &Scenario,
    cases: &[(Scenario, Scenario)],
    (base_scn, base): (&Scenario, &Results),
    sim: &mut Simulator,
) -> std::io::Result<()> {
    let Some(sens) = &scn.sensitivity else {
        return Ok(());
    };
    let j = base
        .columns
        .iter()
        .position(|c| c.vehicle == sens.vehicle && c.metric == sens.metric)
        .expect("sensitivity target validated");
    let target = sweep::column(base, j);
    let mut swings = Vec::new();
    // The cases a batch at a time in lockstep (an even batch: a lever's
    // low and high case together).
    let mut runs: Option<engine::Batch<'_>> = None;
    for (i, ((key, low, high), _)) in sens.levers.iter().zip(cases).enumerate() {
        if runs.as_ref().is_none_or(|r| r.len() == 0) {
            let batch: Vec<&Scenario> =
                cases[i..].iter().take(engine::LOCKSTEP_BATCH / 2).flat_map(|(lo, hi)| [lo, hi]).collect();
            runs = Some(sim.run_many(&batch, (base_scn, base)));
        }
        let runs = runs.as_mut().expect("a batch in hand");
        let (l, h) = (sim.next(runs).expect("a low case"), sim.next(runs).expect("a high case"));
        swings.push(Swing::measure(key, low, high, &target, &sweep::column(&l, j), &sweep::column(&h, j)));
    }
    let target_name = format!("{}.{}", sens.vehicle, sens.metric);
    write_sensitivity(&dir.join("sensitivity.csv"), &target_name, &mut swings)
}

/// What `manifest.json` records of the run.
fn manifest(loaded: &Loaded, name: &str, sets: &[String], threads: usize, wall: f64) -> Manifest {
    let scn = &loaded.scenario;
    Manifest {
        fundsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario_name: scn.name.clone(),
        scenario_description: scn.description.clone(),
        scenario_file: name.to_string(),
        scenario_sha256: sha256_hex(&loaded.source),
        sets: sets.to_vec(),
        seed: scn.seed,
        paths: scn.paths,
        threads,
        steps_per_year: scn.steps_per_year,
        years: scn.years,
        generator: "SplitMix64 streams keyed by (seed, path, component, step)".into(),
        wall_seconds: wall,
        scenario: loaded.source.clone(),
        resolved_scenario: loaded.resolved.clone(),
    }
}
