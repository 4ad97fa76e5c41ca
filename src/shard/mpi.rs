//! `fundsim run SCENARIO --mpi` under `mpirun -n R` (cargo feature `mpi`,
//! the `mpi` crate over the system's MPI, Open MPI on Debian): rank r
//! simulates shard r+1 of R of every simulation of the run on its own
//! threads and sends its part (the encoding of `part`) to rank 0, which
//! puts the parts together in rank order, as `fundsim merge` does, and
//! writes the outputs with the writers of `fundsim run`: CSVs byte-identical
//! to the single run's. Only rank 0 writes.
//!
//! Status: not yet compiled or run (docs/CLUSTER.md); `tests/mpi.rs` is
//! its equality test under `mpirun -n 2` and `-n 3`.

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
    // Each rank keeps its part of the base run, from which its part of a
    // variant or case copies what they share (`engine::run_from`).
    let scenarios = plan.scenarios(scn);
    let own_base: std::cell::RefCell<Option<crate::engine::Results>> = std::cell::RefCell::new(None);
    // Without a matrix, a run with more than one simulation runs them all
    // together, chunk by chunk (`paired`), and hands them out in order.
    let prepared: std::cell::RefCell<std::collections::VecDeque<crate::engine::Results>> =
        std::cell::RefCell::new(if !keep_paths && plan.runs() > 1 {
            crate::paired::run(scn, &plan, spec.range(scn.paths), threads, &|_| {}).into()
        } else {
            Default::default()
        });
    let simulate = |s: &Scenario| -> std::io::Result<Vec<u8>> {
        let (first, count) = spec.range(s.paths);
        let next = prepared.borrow_mut().pop_front();
        let r = if let Some(r) = next {
            r
        } else {
            let base = own_base.borrow();
            crate::engine::run_range(
                s,
                (first, count),
                threads,
                keep_paths,
                &|_| {},
                base.as_ref().map(|b| (scenarios[0], b)),
            )
        };
        let mut bytes = Vec::new();
        part::write_to(&mut bytes, first, &r)?;
        if std::ptr::eq(s, scenarios[0]) {
            *own_base.borrow_mut() = Some(r);
        }
        Ok(bytes)
    };
    let io = |source| Error::Io { path: out.to_path_buf(), source };
    if rank != 0 {
        for s in &scenarios {
            send(&world, &simulate(s).map_err(io)?);
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
        let own = simulate(s)?;
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
