//! `fundsim merge SHARD_DIR... --out DIR`: check that the shard
//! directories are the N parts of one run (same fundsim version, scenario
//! text, `--set`s, seed, paths, flags; every K from 1 to N exactly once,
//! each holding the paths its K says), then read each simulation's parts
//! back in path order and write the outputs with the writers of `fundsim
//! run`: the CSVs are byte-identical to the single run's. Any mismatch is
//! refused with exit status 2 before anything is written.
//!
//! Merging holds the whole per-path matrix of one simulation in memory,
//! as the single run does (the same memory check applies).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::{self, Parts};
use crate::error::Error;
use crate::output::charts::ChartOptions;
use crate::output::manifest::{Manifest, ShardRecord};
use crate::output::{self, Staging};
use crate::run::{self, Plan, apply_flags, write_outputs};
use crate::scenario::{self, Scenario};
use crate::shard::{ShardSpec, part};
use crate::stats::sketch::QuantileSketch;
use crate::stats::stream::ColumnStats;
use crate::vehicles::equity::DealCounts;

/// One shard directory given to `merge`, with its manifest.
struct Shard {
    dir: PathBuf,
    manifest: Manifest,
    record: ShardRecord,
}

fn refuse(msg: String) -> Error {
    Error::Usage(format!("merge refused: {msg}"))
}

/// Read `dir/manifest.json` and its shard record.
fn open(dir: &Path) -> Result<Shard, Error> {
    let path = dir.join("manifest.json");
    let not_shard = |why: String| {
        refuse(format!(
            "{} is not a shard directory ({why}); shard directories are written by `fundsim run SCENARIO --shard K/N`",
            dir.display()
        ))
    };
    let text = std::fs::read(&path).map_err(|e| not_shard(format!("{}: {e}", path.display())))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| not_shard(format!("{} is not fundsim's: {e}", path.display())))?;
    let record = manifest.shard.clone().ok_or_else(|| not_shard("its manifest.json has no shard record".into()))?;
    Ok(Shard { dir: dir.to_path_buf(), manifest, record })
}

/// The shards as one run's N parts, sorted by K; refused otherwise.
fn check_set(mut shards: Vec<Shard>) -> Result<Vec<Shard>, Error> {
    let Some(first) = shards.first() else {
        return Err(refuse("no shard directories given".into()));
    };
    let (a, ra) = (&first.manifest, &first.record);
    for s in &shards[1..] {
        let (b, rb) = (&s.manifest, &s.record);
        let differ = |what: &str, x: String, y: String| {
            refuse(format!(
                "{} has {what} {y} but {} has {x}: shards of one run share the fundsim version, scenario, --set \
                 values, seed, paths and flags",
                s.dir.display(),
                first.dir.display()
            ))
        };
        if a.fundsim_version != b.fundsim_version {
            return Err(differ("fundsim version", a.fundsim_version.clone(), b.fundsim_version.clone()));
        }
        if a.scenario_sha256 != b.scenario_sha256 || a.scenario != b.scenario {
            let short = |m: &Manifest| format!("{} (sha256 {})", m.scenario_file, m.scenario_sha256);
            return Err(differ("scenario", short(a), short(b)));
        }
        if a.sets != b.sets {
            return Err(differ("--set values", format!("{:?}", a.sets), format!("{:?}", b.sets)));
        }
        if a.seed != b.seed {
            return Err(differ("seed", a.seed.to_string(), b.seed.to_string()));
        }
        if a.paths != b.paths {
            return Err(differ("paths", a.paths.to_string(), b.paths.to_string()));
        }
        if ra.of != rb.of {
            return Err(differ("shard count N", ra.of.to_string(), rb.of.to_string()));
        }
        let flags =
            |r: &ShardRecord| format!("--paths {:?} --seed {:?} --no-paths {}", r.paths_flag, r.seed_flag, r.no_paths);
        if (ra.paths_flag, ra.seed_flag, ra.no_paths, ra.runs) != (rb.paths_flag, rb.seed_flag, rb.no_paths, rb.runs) {
            return Err(differ("flags", flags(ra), flags(rb)));
        }
    }
    shards.sort_by_key(|s| s.record.index);
    let n = shards[0].record.of;
    for w in shards.windows(2) {
        if w[0].record.index == w[1].record.index {
            return Err(refuse(format!(
                "{} and {} are both shard {}/{n}",
                w[0].dir.display(),
                w[1].dir.display(),
                w[0].record.index
            )));
        }
    }
    if shards.len() as u64 != n {
        let have: Vec<u64> = shards.iter().map(|s| s.record.index).collect();
        let missing: Vec<String> = (1..=n).filter(|k| !have.contains(k)).map(|k| format!("{k}/{n}")).collect();
        return Err(refuse(format!(
            "the set is incomplete: shard(s) {} missing ({} of {n} given)",
            missing.join(", "),
            shards.len()
        )));
    }
    Ok(shards)
}

/// Merge the shard directories `dirs` into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path, charts: Option<&ChartOptions>, quiet: bool) -> Result<(), Error> {
    let started = Instant::now();
    let shards = check_set(dirs.iter().map(|d| open(d)).collect::<Result<_, _>>()?)?;
    let (m, r) = (&shards[0].manifest, &shards[0].record);
    let version = env!("CARGO_PKG_VERSION");
    if m.fundsim_version != version {
        return Err(refuse(format!(
            "the shards were written by fundsim {}, this is fundsim {version}: merge with the version that ran them",
            m.fundsim_version
        )));
    }
    let file = PathBuf::from(&m.scenario_file);
    let mut loaded = scenario::load_str(&m.scenario, &m.scenario_file, &m.sets)?;
    apply_flags(&mut loaded.scenario, &file, r.paths_flag, r.seed_flag)?;
    let scn = &loaded.scenario;
    if scn.paths != m.paths || scn.seed != m.seed {
        return Err(refuse(format!(
            "the scenario in {} does not give its recorded paths and seed",
            shards[0].dir.display()
        )));
    }
    let keep_paths = !r.no_paths;
    run::check_memory(scn, &file, 1, r.paths_flag.is_some(), keep_paths)?;
    let plan = Plan::new(&loaded, &file, &m.scenario_file, &m.sets, r.paths_flag, r.seed_flag)?;
    let scenarios = plan.scenarios(scn);
    if scenarios.len() != r.runs {
        return Err(refuse(format!("the shards hold {} simulations, the scenario has {}", r.runs, scenarios.len())));
    }
    // Every part file's header before anything is written: each shard holds
    // the paths its K says, of the right width, for every simulation.
    for s in &shards {
        let spec = ShardSpec { index: s.record.index, of: s.record.of };
        for (i, sc) in scenarios.iter().enumerate() {
            let path = part_path(&s.dir, i);
            let h = part::header(&path).map_err(|e| refuse(format!("{}: {e}", path.display())))?;
            let (first, count) = spec.range(sc.paths);
            let shape = engine::part_shape(sc);
            let (cols, sketches, vehicles) = (shape.columns + shape.budget, shape.sketches, shape.vehicles);
            if h.sketches.iter().any(|k| k.alpha().to_bits() != engine::SKETCH_ALPHA.to_bits()) {
                return Err(refuse(format!("{}: its sketches have another accuracy", path.display())));
            }
            let rows = if keep_paths { count } else { 0 };
            let streamed = h.stream.as_ref().map_or(0, |st| st.paths());
            let width = shape.stream + plan.paired_columns(i, shape.columns);
            if h.stream.as_ref().is_some_and(|st| st.width() != width) {
                return Err(refuse(format!("{}: its column statistics have another width", path.display())));
            }
            if (h.first, h.rows, h.columns, h.sketches.len(), h.deals.len(), h.stream.is_some(), streamed)
                != (first, rows, cols as u64, sketches, vehicles, !keep_paths, if keep_paths { 0 } else { count })
            {
                return Err(refuse(format!(
                    "{} holds paths {}..{} of {} columns; shard {}/{} of this run holds paths {first}..{} of {cols}",
                    path.display(),
                    h.first,
                    h.first + h.rows.max(streamed),
                    h.columns,
                    spec.index,
                    spec.of,
                    first + count
                )));
            }
        }
    }

    let io = |source| Error::Io { path: out.to_path_buf(), source };
    let staging = Staging::new(out).map_err(io)?;
    let dir = staging.dir().to_path_buf();
    let mut next_run = 0usize;
    write_outputs(&dir, scn, &plan, r.no_paths, &mut |sc: &Scenario, _| {
        let i = next_run;
        next_run += 1;
        read_run(&shards, i, sc)
    })
    .map_err(io)?;
    let wall = started.elapsed().as_secs_f64();
    let threads = shards.iter().map(|s| s.record.threads).max().unwrap_or(0);
    let mut manifest = run::manifest(&loaded, &m.scenario_file, &m.sets, threads, wall);
    manifest.merged_from =
        shards.iter().map(|s| ShardRecord { dir: s.dir.display().to_string(), ..s.record.clone() }).collect();
    manifest.write(&dir.join("manifest.json")).map_err(io)?;
    output::draw(&dir, charts).map_err(io)?;
    staging.commit().map_err(io)?;
    if !quiet {
        eprintln!(
            "{}: {} shard(s), {} run(s) of {} paths merged in {:.2} s -> {}",
            scn.name,
            shards.len(),
            r.runs,
            scn.paths,
            wall,
            out.display()
        );
    }
    Ok(())
}

fn part_path(dir: &Path, run: usize) -> PathBuf {
    dir.join("shard").join(format!("{run}.bin"))
}

/// Simulation `run` of the merged run: every shard's rows in path order,
/// their sketches and deal counts added (integer counts: exact).
fn read_run(shards: &[Shard], run: usize, scn: &Scenario) -> std::io::Result<engine::Results> {
    let shape = engine::part_shape(scn);
    let mut rows = part::Rows::new(shape.columns, shape.budget);
    let mut headers = Vec::with_capacity(shards.len());
    for s in shards {
        headers.push(part::read(&part_path(&s.dir, run), &mut rows)?);
    }
    combine(headers, rows, scn, run)
}

/// The results of simulation `run` from its parts' headers, in path
/// order, and their rows (already read in that order into `rows`).
pub(crate) fn combine(
    headers: Vec<part::Header>,
    rows: part::Rows,
    scn: &Scenario,
    run: usize,
) -> std::io::Result<engine::Results> {
    let mut sketches: Option<Vec<QuantileSketch>> = None;
    let mut deals: Option<Vec<DealCounts>> = None;
    let mut stream: Option<ColumnStats> = None;
    let mut work = 0u64;
    for h in headers {
        work += h.work;
        match (&mut stream, h.stream) {
            (Some(all), Some(b)) => all.merge(&b),
            (all, b) => *all = all.take().or(b),
        }
        match &mut sketches {
            None => sketches = Some(h.sketches),
            Some(all) => all.iter_mut().zip(&h.sketches).for_each(|(a, b)| a.merge(b)),
        }
        match &mut deals {
            None => deals = Some(h.deals),
            Some(all) => all.iter_mut().zip(&h.deals).for_each(|(a, b)| a.merge(b)),
        }
    }
    let parts = Parts {
        data: rows.data,
        budget: rows.budget,
        sketches: sketches.unwrap_or_default(),
        deals: deals.unwrap_or_default(),
        work,
        stream,
    };
    engine::results_from_parts(scn, scn.paths as usize, parts).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("simulation {run}: the shards' parts do not fit together"),
        )
    })
}
