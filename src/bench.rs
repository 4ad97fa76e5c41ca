//! `fundsim bench`: throughput and thread scaling of the engine.
//!
//! Runs the engine on a scenario at each requested thread count, without
//! writing outputs, and reports paths/s, company- or loan-steps/s, the
//! speed-up over the first thread count and the parallel efficiency. Each
//! point is the best of a few repeats after a warm-up run (the minimum is
//! the least noisy estimate of what the code costs). The table goes to
//! stdout and to a CSV file.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use crate::engine;
use crate::scenario::Scenario;
use crate::vehicles::VehicleKind;

/// One measured point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BenchRow {
    pub scenario: String,
    pub threads: usize,
    pub paths: u64,
    pub seconds: f64,
    pub paths_per_s: f64,
    pub work_per_s: f64,
    pub work_unit: &'static str,
    pub speedup: f64,
    pub efficiency: f64,
}

/// What one unit of work is for this scenario.
fn work_unit(scn: &Scenario) -> &'static str {
    let loans = scn.vehicles.iter().any(|v| matches!(v.kind, VehicleKind::LoanProgram(_)));
    let funds = scn.vehicles.iter().any(|v| !matches!(v.kind, VehicleKind::LoanProgram(_)));
    match (loans, funds) {
        (true, false) => "loan-steps",
        (false, true) => "company-steps",
        _ => "company- and loan-steps",
    }
}

/// Measure `scn` at each thread count with `paths` paths, best of `repeats`.
pub(crate) fn measure(name: &str, scn: &Scenario, paths: u64, threads: &[usize], repeats: usize) -> Vec<BenchRow> {
    // Warm-up: page in code and data, grow the allocator's pools.
    engine::run(scn, paths.min(1000), threads[0], &|_| {});
    let mut rows: Vec<BenchRow> = Vec::new();
    for &t in threads {
        let mut best = f64::INFINITY;
        let mut work = 0;
        for _ in 0..repeats.max(1) {
            let started = Instant::now();
            let r = engine::run(scn, paths, t, &|_| {});
            best = best.min(started.elapsed().as_secs_f64());
            work = r.work;
        }
        let base = rows.first().map(|r| (r.seconds, r.threads));
        let (speedup, efficiency) = match base {
            Some((s0, t0)) => (s0 / best, s0 / best * t0 as f64 / t as f64),
            None => (1.0, 1.0),
        };
        rows.push(BenchRow {
            scenario: name.to_string(),
            threads: t,
            paths,
            seconds: best,
            paths_per_s: paths as f64 / best,
            work_per_s: work as f64 / best,
            work_unit: work_unit(scn),
            speedup,
            efficiency,
        });
    }
    rows
}

/// Print the table.
pub(crate) fn print(rows: &[BenchRow], out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<28} {:>7} {:>9} {:>9} {:>12} {:>16} {:>8} {:>10}",
        "scenario", "threads", "paths", "seconds", "paths/s", "steps/s", "speed-up", "efficiency"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<28} {:>7} {:>9} {:>9.3} {:>12.0} {:>16.3e} {:>8.2} {:>10.2}   ({})",
            r.scenario,
            r.threads,
            r.paths,
            r.seconds,
            r.paths_per_s,
            r.work_per_s,
            r.speedup,
            r.efficiency,
            r.work_unit
        )?;
    }
    Ok(())
}

/// Write the table as CSV.
pub(crate) fn write_csv(rows: &[BenchRow], path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record([
        "scenario",
        "threads",
        "paths",
        "seconds",
        "paths_per_s",
        "work_per_s",
        "work_unit",
        "speedup",
        "efficiency",
    ])
    .map_err(io::Error::other)?;
    for r in rows {
        w.write_record([
            r.scenario.clone(),
            r.threads.to_string(),
            r.paths.to_string(),
            r.seconds.to_string(),
            r.paths_per_s.to_string(),
            r.work_per_s.to_string(),
            r.work_unit.to_string(),
            r.speedup.to_string(),
            r.efficiency.to_string(),
        ])
        .map_err(io::Error::other)?;
    }
    w.flush()
}

/// The cost of a scenario's sweep and sensitivity table at one thread
/// (issue 19): the base run and every variant and case, simulated (no
/// outputs) three ways, each the best of a few repeats, against one plain
/// run of the base.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExperimentRow {
    pub scenario: String,
    pub paths: u64,
    /// Simulations besides the base.
    pub runs: usize,
    /// One plain run of the base.
    pub plain: f64,
    /// Every variant run alone (`engine::run`).
    pub rerun: f64,
    /// Every variant copying the vehicles it shares (`engine::run_from`).
    pub shared: f64,
    /// As `fundsim run` runs them: in batches, in lockstep where they can
    /// (`engine::run_many`).
    pub lockstep: f64,
    /// Variants and cases that ran in lockstep.
    pub in_lockstep: usize,
}

/// Measure the experiments of `base` (the base run: variant 0 of the
/// sweep, if any): the sweep's other variants `variants`, then the
/// sensitivity cases `cases`.
pub(crate) fn measure_experiments(
    name: &str,
    base: &Scenario,
    variants: &[&Scenario],
    cases: &[&Scenario],
    repeats: usize,
) -> ExperimentRow {
    let paths = base.paths;
    let plain = best(repeats, || {
        engine::run(base, paths, 1, &|_| {});
    });
    let all: Vec<&Scenario> = variants.iter().chain(cases).copied().collect();
    let rerun = best(repeats, || {
        engine::run(base, paths, 1, &|_| {});
        for s in &all {
            engine::run(s, paths, 1, &|_| {});
        }
    });
    let shared = best(repeats, || {
        let r = engine::run(base, paths, 1, &|_| {});
        for s in &all {
            engine::run_from(s, paths, 1, &|_| {}, (base, &r));
        }
    });
    let mut in_lockstep = 0;
    let lockstep = best(repeats, || {
        in_lockstep = 0;
        // The batches of `fundsim run`: the sweep's, then the cases'; the
        // first with the base in its pass.
        let mut r: Option<engine::Results> = None;
        // A list with nothing in it is skipped, unless the base has not run.
        let lists = [variants, cases];
        let nonempty = lists.iter().filter(|l| !l.is_empty()).count();
        for list in lists.into_iter().filter(|l| !l.is_empty() || nonempty == 0) {
            let mut rest = list;
            while !rest.is_empty() || r.is_none() {
                let (list, after) = rest.split_at(engine::lockstep_batch_len(base, rest, paths).min(rest.len()));
                rest = after;
                let (base_r, mut batch) = match r.take() {
                    None => {
                        in_lockstep += engine::lockstep_count(list, base, true);
                        engine::run_with_base(base, list, (0, paths), 1, &|_| {}, false)
                    }
                    Some(b) => {
                        in_lockstep += engine::lockstep_count(list, base, false);
                        let batch = engine::run_batch(list, (0, paths), 1, &|_| {}, (base, &b), false);
                        (b, batch)
                    }
                };
                while let Some(results) = batch.next_with(&|_| {}, (base, &base_r)) {
                    drop(results);
                }
                r = Some(base_r);
            }
        }
    });
    ExperimentRow { scenario: name.to_string(), paths, runs: all.len(), plain, rerun, shared, lockstep, in_lockstep }
}

/// The fastest of `repeats` timings of `f`, in seconds.
fn best(repeats: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        f();
        best = best.min(started.elapsed().as_secs_f64());
    }
    best
}

/// Print the experiments' table: seconds, and each in plain runs.
pub(crate) fn print_experiments(rows: &[ExperimentRow], out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<28} {:>6} {:>5} {:>9} {:>16} {:>16} {:>16} {:>10} {:>9}",
        "experiments (1 thread)",
        "paths",
        "runs",
        "plain s",
        "re-run s (x)",
        "shared s (x)",
        "lockstep s (x)",
        "lockstep",
        "speed-up"
    )?;
    for r in rows {
        let x = |s: f64| format!("{s:.3} ({:.2})", s / r.plain);
        writeln!(
            out,
            "{:<28} {:>6} {:>5} {:>9.3} {:>16} {:>16} {:>16} {:>10} {:>8.2}x",
            r.scenario,
            r.paths,
            r.runs,
            r.plain,
            x(r.rerun),
            x(r.shared),
            x(r.lockstep),
            r.in_lockstep,
            r.rerun / r.lockstep
        )?;
    }
    Ok(())
}
