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
use crate::output::manifest::ShardRecord;
use crate::output::sweep_tables::{SweepWriter, Swing, write_sensitivity};
use crate::output::{self, Manifest, Staging, manifest::sha256_hex, tables};
use crate::scenario::{InputError, InputErrors, Loaded, Origin, Scenario};
use crate::shard::{ShardSpec, part};
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
    /// `--shard K/N`: simulate only that part of the paths and write a
    /// shard directory for `fundsim merge`.
    pub shard: Option<ShardSpec>,
    /// `--mpi`: split the paths over the ranks of `mpirun` (feature `mpi`).
    pub mpi: bool,
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
pub fn check_memory(
    scn: &Scenario,
    file: &Path,
    threads: usize,
    paths_flag: bool,
    keep_paths: bool,
) -> Result<(), Error> {
    let Some(rule) = crate::limits::memory_rule(scn, threads, keep_paths) else {
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
    if opts.mpi {
        return run_mpi(loaded, file, out, sets, opts);
    }
    if let Some(spec) = opts.shard {
        return run_shard(loaded, file, out, sets, opts, spec);
    }
    let name = file.display().to_string();
    let scn = &loaded.scenario;
    check_threads(file, opts.threads)?;
    check_memory(scn, file, opts.threads, opts.paths.is_some(), !opts.no_paths)?;
    refuse_swept_sets(scn, &name, sets)?;
    let plan = Plan::new(loaded, file, &name, sets, opts.paths, opts.seed)?;
    let threads = if opts.threads == 0 { rayon::current_num_threads() } else { opts.threads };
    let io = |source| Error::Io { path: out.to_path_buf(), source };
    let keep_paths = !opts.no_paths;
    let order = plan.scenarios(scn);
    let mut sim = Simulator::new(scn.paths * plan.runs() as u64, threads, opts.quiet, None, keep_paths);
    sim.prepare(scn, &plan);

    let started = Instant::now();
    let staging = Staging::new(out).map_err(io)?;
    let dir = staging.dir().to_path_buf();
    let mut k = 0;
    write_outputs(&dir, scn, &plan, opts.no_paths, &mut |_, base| {
        let r = match base {
            Some(base) => sim.run_variant(&order, k, base),
            None => sim.run_base(&order),
        };
        k += 1;
        Ok(r)
    })
    .map_err(io)?;
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

#[cfg(feature = "mpi")]
fn run_mpi(loaded: &Loaded, file: &Path, out: &Path, sets: &[String], opts: &RunOptions) -> Result<(), Error> {
    if opts.shard.is_some() {
        return Err(Error::Usage("--mpi and --shard split the paths each their own way: give one of them".into()));
    }
    crate::shard::mpi::run(loaded, file, out, sets, opts)
}

#[cfg(not(feature = "mpi"))]
fn run_mpi(_: &Loaded, _: &Path, _: &Path, _: &[String], _: &RunOptions) -> Result<(), Error> {
    Err(Error::Usage(
        "--mpi needs a fundsim built with the mpi feature (cargo build --release --features mpi, with an MPI \
         library such as Debian's libopenmpi-dev and libclang-dev installed); without MPI, split the run with \
         --shard K/N and fundsim merge"
            .into(),
    ))
}

/// Every CSV of a run, from the results `next` gives for each simulation
/// in the order of [`Plan::scenarios`]: the base run's tables, then the
/// sweep's variants (`write_sweep`), then the sensitivity cases
/// (`write_sensitivity_cases`). `fundsim run` simulates them; `fundsim
/// merge` reads them back from shards.
pub(crate) fn write_outputs(
    dir: &Path,
    scn: &Scenario,
    plan: &Plan,
    no_paths: bool,
    next: &mut Next<'_>,
) -> std::io::Result<()> {
    let base_scn = plan.base(scn);
    let base = next(base_scn, None)?;
    output::write_tables(dir, base_scn, &base, !no_paths)?;
    write_sweep(dir, scn, &plan.variants, (base_scn, &base), next, no_paths)?;
    write_sensitivity_cases(dir, scn, &plan.cases, (base_scn, &base), next)?;
    output::workbook::write_workbook(dir)
}

/// The results of one simulation of a run, given the base run's when it
/// is a variant or case of it (what they share may be copied).
pub(crate) type Next<'a> = dyn FnMut(&Scenario, Option<(&Scenario, &Results)>) -> std::io::Result<Results> + 'a;

/// `run --shard K/N`: simulate the shard's paths of every simulation the
/// run has ([`Plan::scenarios`]) and write each one's part file
/// (`shard/<i>.bin`) and a manifest with the shard's record; no CSVs.
fn run_shard(
    loaded: &Loaded,
    file: &Path,
    out: &Path,
    sets: &[String],
    opts: &RunOptions,
    spec: ShardSpec,
) -> Result<(), Error> {
    let name = file.display().to_string();
    let scn = &loaded.scenario;
    check_threads(file, opts.threads)?;
    if spec.of > scn.paths {
        return Err(flag_error(
            file,
            "--shard",
            format!("{}/{}", spec.index, spec.of),
            format!("splits {} paths into more shards than there are paths", scn.paths),
        ));
    }
    // A shard holds the base run's rows and one other simulation's at a
    // time, its own paths only.
    let (first, count) = spec.range(scn.paths);
    let mut part_scn = scn.clone();
    part_scn.paths = count;
    check_memory(&part_scn, file, opts.threads, opts.paths.is_some(), !opts.no_paths)?;
    refuse_swept_sets(scn, &name, sets)?;
    let plan = Plan::new(loaded, file, &name, sets, opts.paths, opts.seed)?;
    let threads = if opts.threads == 0 { rayon::current_num_threads() } else { opts.threads };
    let io = |source| Error::Io { path: out.to_path_buf(), source };
    let keep_paths = !opts.no_paths;
    let scenarios = plan.scenarios(scn);
    let mut sim = Simulator::new(count * plan.runs() as u64, threads, opts.quiet, Some(spec), keep_paths);
    sim.prepare(scn, &plan);

    let started = Instant::now();
    let staging = Staging::new(out).map_err(io)?;
    let dir = staging.dir().join("shard");
    std::fs::create_dir_all(&dir).map_err(io)?;
    let base = sim.run_base(&scenarios);
    part::write(&dir.join("0.bin"), first, &base).map_err(io)?;
    for i in 1..scenarios.len() {
        let r = sim.run_variant(&scenarios, i, (scenarios[0], &base));
        part::write(&dir.join(format!("{i}.bin")), first, &r).map_err(io)?;
    }
    sim.finish();
    let wall = started.elapsed().as_secs_f64();
    let mut m = manifest(loaded, &name, sets, threads, wall);
    m.shard = Some(ShardRecord {
        index: spec.index,
        of: spec.of,
        first_path: first,
        paths: count,
        runs: scenarios.len(),
        no_paths: opts.no_paths,
        paths_flag: opts.paths,
        seed_flag: opts.seed,
        threads,
        wall_seconds: wall,
        dir: String::new(),
    });
    m.write(&staging.dir().join("manifest.json")).map_err(io)?;
    staging.commit().map_err(io)?;
    if !opts.quiet {
        eprintln!(
            "{}: shard {}/{} (paths {}..{}), {} run(s) in {:.2} s ({} threads) -> {}",
            scn.name,
            spec.index,
            spec.of,
            first,
            first + count,
            plan.runs(),
            wall,
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
pub(crate) struct Plan {
    variants: Vec<sweep::Variant>,
    cases: Vec<(Scenario, Scenario)>,
}

impl Plan {
    pub(crate) fn new(
        loaded: &Loaded,
        file: &Path,
        name: &str,
        sets: &[String],
        paths: Option<u64>,
        seed: Option<u64>,
    ) -> Result<Plan, Error> {
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
            apply_flags(&mut v.scenario, file, paths, seed)?;
        }
        for (lo, hi) in &mut cases {
            apply_flags(lo, file, paths, seed)?;
            apply_flags(hi, file, paths, seed)?;
        }
        Ok(Plan { variants, cases })
    }

    /// Sweep variants other than the base.
    pub(crate) fn other_variants(&self) -> usize {
        self.variants.len().saturating_sub(1)
    }

    /// The column of the sensitivity target in the run's results.
    pub(crate) fn sensitivity_target(&self, scn: &Scenario) -> Option<usize> {
        let sens = scn.sensitivity.as_ref()?;
        engine::column_index(self.base(scn), &sens.vehicle, &sens.metric)
    }

    /// Paired differences simulation `k` (in the order of
    /// [`Plan::scenarios`]) accumulates after its own column statistics in
    /// a run without a matrix (`paired`): every column's for a sweep
    /// variant (`ncols` of them), the target's against the base for a
    /// lever's low case, and against the base and the low case for its
    /// high case.
    pub(crate) fn paired_columns(&self, k: usize, ncols: usize) -> usize {
        let v = self.other_variants();
        if k == 0 {
            0
        } else if k <= v {
            ncols
        } else if (k - v) % 2 == 1 {
            1
        } else {
            2
        }
    }

    /// Simulations in all: the base, the other variants, two per lever.
    pub(crate) fn runs(&self) -> usize {
        1 + self.variants.len().saturating_sub(1) + 2 * self.cases.len()
    }

    /// The base run: variant 0 with a sweep, the scenario itself without.
    pub(crate) fn base<'a>(&'a self, scn: &'a Scenario) -> &'a Scenario {
        self.variants.first().map_or(scn, |v| &v.scenario)
    }

    /// Every simulation in the order `write_outputs` asks for them: the
    /// base, the sweep's other variants, each lever's low then high case.
    pub(crate) fn scenarios<'a>(&'a self, scn: &'a Scenario) -> Vec<&'a Scenario> {
        let variants = self.variants.iter().skip(1).map(|v| &v.scenario);
        let cases = self.cases.iter().flat_map(|(lo, hi)| [lo, hi]);
        std::iter::once(self.base(scn)).chain(variants).chain(cases).collect()
    }
}

/// Runs the engine on one scenario after another, with one progress bar
/// (on a terminal, without `--quiet`) over all of them.
pub(crate) struct Simulator<'a> {
    bar: Option<ProgressBar>,
    threads: usize,
    done_before: u64,
    /// `--shard K/N`: only that part of each scenario's paths.
    shard: Option<ShardSpec>,
    /// `false`: no per-path matrix, column statistics instead.
    keep_paths: bool,
    /// The results of every simulation, computed together (`prepare`).
    prepared: Option<std::collections::VecDeque<Results>>,
    /// The rest of the batch of variants or cases in hand (`run_base`,
    /// `run_variant`).
    batch: Option<engine::Batch<'a>>,
    /// One past the last sweep variant in `Plan::scenarios`.
    variants_end: usize,
}

impl<'a> Simulator<'a> {
    pub(crate) fn new(
        total_paths: u64,
        threads: usize,
        quiet: bool,
        shard: Option<ShardSpec>,
        keep_paths: bool,
    ) -> Simulator<'a> {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total_paths);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  ETA {eta}")
                    .expect("progress template"),
            );
            bar
        });
        Simulator { bar, threads, done_before: 0, shard, keep_paths, prepared: None, batch: None, variants_end: 0 }
    }

    /// Without a matrix, a run with more than one simulation runs them all
    /// together, chunk by chunk (`paired`); `run` then hands out their
    /// results in order.
    pub(crate) fn prepare(&mut self, scn: &Scenario, plan: &Plan) {
        self.variants_end = 1 + plan.other_variants();
        if self.keep_paths || plan.runs() < 2 {
            return;
        }
        let range = self.shard.map_or((0, scn.paths), |spec| spec.range(scn.paths));
        let bar = &self.bar;
        let all = crate::paired::run(scn, plan, range, self.threads, &|n| {
            if let Some(b) = bar {
                b.set_position(n);
            }
        });
        self.prepared = Some(all.into());
    }

    /// The paths this process simulates of a run of `paths` paths: all of
    /// them, or its shard's.
    fn range(&self, paths: u64) -> (u64, u64) {
        self.shard.map_or((0, paths), |spec| spec.range(paths))
    }

    /// The base run, simulation 0 of `order` (`Plan::scenarios`). With a
    /// matrix and other simulations to run, it runs in one pass with the
    /// first batch of them (`engine::run_with_base`: the variants whose
    /// loan programmes can run in lockstep with its own share its
    /// applicants and fates), with identical results.
    pub(crate) fn run_base(&mut self, order: &[&'a Scenario]) -> Results {
        if self.prepared.is_some() || !self.keep_paths || order.len() < 2 {
            return self.run(order[0], None).1;
        }
        let end = if self.variants_end > 1 { self.variants_end } else { order.len() };
        let range = self.range(order[0].paths);
        let scns = &order[1..end];
        let scns = &scns[..engine::lockstep_batch_len(order[0], scns, range.1)];
        let offset = self.done_before;
        let bar = &self.bar;
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        // No variant's series is written: they are not summarised.
        let (r, batch) = engine::run_with_base(order[0], scns, range, self.threads, &progress, false);
        self.done_before += batch.simulated();
        self.batch = Some(batch);
        r
    }

    /// The first path simulated and the results; with `base` (the base
    /// run of the same paths), what they share is copied
    /// (`engine::run_from`), with identical results.
    fn run(&mut self, s: &Scenario, base: Option<(&Scenario, &Results)>) -> (u64, Results) {
        if let Some(r) = self.prepared.as_mut().and_then(|q| q.pop_front()) {
            return (self.range(s.paths).0, r);
        }
        let offset = self.done_before;
        let bar = &self.bar;
        let (first, count) = self.range(s.paths);
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        let r = engine::run_range(s, (first, count), self.threads, self.keep_paths, &progress, base);
        self.done_before += count;
        (first, r)
    }

    /// Simulation `k` of `order` (`Plan::scenarios`), a variant or case of
    /// the base run `base`: what they share with it is copied
    /// (`engine::run_from`), and the variants and cases run in lockstep in
    /// batches where they can (`engine::run_batch`; a batch never mixes
    /// sweep variants with lever cases, and is as long as
    /// `engine::lockstep_batch_len` allows), with identical results but
    /// their series, which no output holds and which are not summarised;
    /// each is assembled or simulated when its turn comes, so one
    /// variant's full results are held at a time. Runs without a matrix
    /// run them one by one (`run`).
    pub(crate) fn run_variant(&mut self, order: &[&'a Scenario], k: usize, base: (&Scenario, &Results)) -> Results {
        if self.prepared.is_some() || !self.keep_paths {
            return self.run(order[k], Some(base)).1;
        }
        let offset = self.done_before;
        let bar = &self.bar;
        let progress = |n| {
            if let Some(b) = bar {
                b.set_position(offset + n);
            }
        };
        if let Some((r, n)) = self.batch.as_mut().and_then(|b| b.next_with(&progress, base)) {
            self.done_before += n;
            return r;
        }
        let end = if k < self.variants_end { self.variants_end } else { order.len() };
        let range = self.range(order[k].paths);
        let scns = &order[k..end];
        let scns = &scns[..engine::lockstep_batch_len(order[0], scns, range.1)];
        let batch = engine::run_batch(scns, range, self.threads, &progress, base, false);
        self.done_before += batch.simulated();
        self.batch = Some(batch);
        self.run_variant(order, k, base)
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
    next: &mut Next<'_>,
    no_paths: bool,
) -> std::io::Result<()> {
    if variants.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = scn.sweeps.iter().map(|a| a.key.clone()).collect();
    let mut sweep_csv = SweepWriter::new(&dir.join("sweep.csv"), &keys)?;
    for (i, v) in variants.iter().enumerate() {
        let values: Vec<String> = v.label.iter().map(|(_, x)| x.clone()).collect();
        let vdir = dir.join("variants").join(i.to_string());
        std::fs::create_dir_all(&vdir)?;
        let r = if i == 0 { None } else { Some(next(&v.scenario, Some((base_scn, base)))?) };
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
    next: &mut Next<'_>,
) -> std::io::Result<()> {
    let Some(sens) = &scn.sensitivity else {
        return Ok(());
    };
    let j = base
        .columns
        .iter()
        .position(|c| c.vehicle == sens.vehicle && c.metric == sens.metric)
        .expect("sensitivity target validated");
    let target = if base.stream.is_some() { Vec::new() } else { sweep::column(base, j) };
    let mut swings = Vec::new();
    for ((key, low, high), (lo, hi)) in sens.levers.iter().zip(cases) {
        let (l, h) = (next(lo, Some((base_scn, base)))?, next(hi, Some((base_scn, base)))?);
        swings.push(match Swing::from_stream(key, low, high, j, [base, &l, &h]) {
            Some(s) => s,
            None => Swing::measure(key, low, high, &target, &sweep::column(&l, j), &sweep::column(&h, j)),
        });
    }
    let target_name = format!("{}.{}", sens.vehicle, sens.metric);
    write_sensitivity(&dir.join("sensitivity.csv"), &target_name, &mut swings)
}

/// What `manifest.json` records of the run.
pub(crate) fn manifest(loaded: &Loaded, name: &str, sets: &[String], threads: usize, wall: f64) -> Manifest {
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
        shard: None,
        merged_from: Vec::new(),
    }
}
