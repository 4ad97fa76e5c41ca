//! `fundsim run SCENARIO --mpi` under `mpirun -n R` (cargo feature `mpi`,
//! the `mpi` crate over the system's MPI, Open MPI on Debian): rank r
//! simulates shard r+1 of R of every simulation of the run on its own
//! threads and sends its part (the encoding of `part`) to rank 0, which
//! puts the parts together in rank order, as `fundsim merge` does, and
//! writes the outputs with the writers of `fundsim run`: CSVs byte-identical
//! to the single run's. Only rank 0 writes.
//!
//! `tests/mpi.rs` is its equality test under `mpirun -n 2` and `-n 3`
//! (run by `.ci/run`; docs/CLUSTER.md).

use std::path::Path;

use mpi::traits::{Communicator, Destination, Source};

use crate::error::Error;
use crate::run::{self, Plan, RunOptions};
use crate::scenario::{Loaded, Scenario};
use crate::shard::{ShardSpec, merge, part};

/// Messages above this many bytes are sent in pieces (MPI counts are i32).
const PIECE: usize = 1 << 30;

fn send(world: &impl Communicator, bytes: &[u8]) {
    let root = world.process_at_rank(0);
    root.send(&(bytes.len() as u64));
    for piece in bytes.chunks(PIECE) {
        root.send(piece);
    }
}

fn receive(world: &impl Communicator, from: i32) -> Vec<u8> {
    let p = world.process_at_rank(from);
    let (len, _) = p.receive::<u64>();
    let mut bytes = Vec::with_capacity(len as usize);
    while (bytes.len() as u64) < len {
        let (piece, _) = p.receive_vec::<u8>();
        bytes.extend_from_slice(&piece);
    }
    bytes
}

/// The whole run over the ranks of `mpirun`; on rank 0 the outputs in
/// `out`, on the others nothing.
pub fn run(loaded: &Loaded, file: &Path, out: &Path, sets: &[String], opts: &RunOptions) -> Result<(), Error> {
    let universe = mpi::initialize().ok_or_else(|| Error::Usage("MPI was already initialised".into()))?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let spec = ShardSpec { index: rank as u64 + 1, of: size as u64 };
    let scn = &loaded.scenario;
    let name = file.display().to_string();
    // Every rank checks the same input and so refuses it alike (exit 2);
    // only rank 0 reports it.
    let checked = (|| -> Result<Plan, Error> {
        run::check_threads(file, opts.threads)?;
        if spec.of > scn.paths {
            return Err(run::flag_error(
                file,
                "mpirun -n",
                spec.of,
                format!("starts more ranks than the run has paths ({})", scn.paths),
            ));
        }
        run::check_memory(scn, file, opts.threads, opts.paths.is_some(), !opts.no_paths)?;
        Plan::new(loaded, file, &name, sets, opts.paths, opts.seed)
    })();
    let plan = match checked {
        Ok(plan) => plan,
        Err(e) if rank == 0 => return Err(e),
        Err(_) => std::process::exit(2),
    };
    let keep_paths = !opts.no_paths;
    let threads = if opts.threads == 0 { rayon::current_num_threads() } else { opts.threads };
    // Each rank runs its paths of every simulation as a shard does
    // (`run::Simulator`): the base run, from which each variant or case
    // copies what they share, with its first batch in one lockstep pass,
    // the later batches in lockstep where they can; without a matrix all
    // of them together, chunk by chunk (`paired`).
    let scenarios = plan.scenarios(scn);
    let mut sim = run::Simulator::new(0, threads, true, Some(spec), keep_paths);
    sim.prepare(scn, &plan);
    let mut own_base: Option<crate::engine::Results> = None;
    let mut next = 0usize;
    let (first, _) = spec.range(scn.paths);
    let mut simulate = || -> std::io::Result<Vec<u8>> {
        let i = next;
        next += 1;
        let r = match &own_base {
            None => sim.run_base(&scenarios),
            Some(b) => sim.run_variant(&scenarios, i, (scenarios[0], b)),
        };
        let mut bytes = Vec::new();
        part::write_to(&mut bytes, first, &r)?;
        if i == 0 {
            own_base = Some(r);
        }
        Ok(bytes)
    };
    let io = |source| Error::Io { path: out.to_path_buf(), source };
    if rank != 0 {
        for _ in 0..plan.runs() {
            send(&world, &simulate().map_err(io)?);
        }
        return Ok(());
    }
    let started = std::time::Instant::now();
    let staging = crate::output::Staging::new(out).map_err(io)?;
    let dir = staging.dir().to_path_buf();
    let mut next_run = 0usize;
    run::write_outputs(&dir, scn, &plan, opts.no_paths, &mut |s: &Scenario, _| {
        let shape = crate::engine::part_shape(s);
        let mut rows = part::Rows::new(shape.columns, shape.budget);
        let mut headers = Vec::with_capacity(size as usize);
        let own = simulate()?;
        let label = Path::new("rank 0");
        headers.push(part::read_from(label, &mut &own[..], &mut rows)?);
        drop(own);
        for from in 1..size {
            let bytes = receive(&world, from);
            let label = format!("rank {from}");
            headers.push(part::read_from(Path::new(&label), &mut &bytes[..], &mut rows)?);
        }
        let i = next_run;
        next_run += 1;
        merge::combine(headers, rows, s, i)
    })
    .map_err(io)?;
    let wall = started.elapsed().as_secs_f64();
    run::manifest(loaded, &name, sets, threads, wall).write(&dir.join("manifest.json")).map_err(io)?;
    crate::output::draw(&dir, opts.charts.as_ref()).map_err(io)?;
    staging.commit().map_err(io)?;
    if !opts.quiet {
        eprintln!(
            "{}: {} run(s) of {} paths on {size} MPI ranks in {wall:.2} s -> {}",
            scn.name,
            plan.runs(),
            scn.paths,
            out.display()
        );
    }
    Ok(())
}
