//! Variants run in lockstep (`run_many`, issue 19): the variants of a
//! sweep or sensitivity table whose loan programmes differ from the base
//! only in keys of the decision, settlement and output classes are
//! simulated together path by path, the market and each such programme's
//! applicants and fates drawn once for all of them
//! (`vehicles::loan_program::lockstep`); the others run as `run_from` runs
//! them. Part of the engine stage; the results are those of `run` bit for
//! bit (tests/sharing.rs).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{BLOCK, Layout, Parts, Results, Share, Tally, Worker, assemble, copy_shared, run_from};
use crate::model::market::MarketPath;
use crate::rng::{MARKET, path_key, stream};
use crate::scenario::Scenario;
use crate::vehicles::loan_program;
use crate::vehicles::{VehicleKind, Workspace};

/// Variants and cases a sweep or sensitivity table runs at once
/// (`run_many`): more share more work, and each variant run in lockstep
/// holds its per-path values and its sketches in memory until it is
/// written.
pub const LOCKSTEP_BATCH: usize = 8;

/// `run_from` for several variants or cases `scns` of the base run `base`
/// at once (issue 19): the variants whose loan programmes differ from the
/// base only in keys of the decision, settlement and output classes
/// (`loan_program::input::KEY_CLASSES`) run in lockstep path by path (the
/// market once, each such programme's applicants and fates once for all
/// of them, `loan_program::lockstep`); the others run as `run_from` runs
/// them when they are taken from the batch (`Batch::next_with`). The
/// results, in the order of `scns`, are those of `run` bit for bit
/// (tests/sharing.rs). `progress` counts the paths of the lockstep pass
/// (as many per path as variants in it).
pub fn run_many<'a>(
    scns: &[&'a Scenario],
    paths: u64,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    base: (&'a Scenario, &'a Results),
) -> Batch<'a> {
    let mut out: Vec<Option<Item<'a>>> = scns.iter().map(|_| None).collect();
    // The variants that share with the base, with their share.
    let mut members = Vec::new();
    for (j, &s) in scns.iter().enumerate() {
        match Share::new(s, base.0, base.1, (0, paths), &Layout::new(s)) {
            Some(share) => members.push((j, share)),
            None => out[j] = Some(Item::Later(s)),
        }
    }
    let groups = lockstep_groups(scns, base.0, &members);
    let in_group = |m: usize| groups.iter().any(|g| g.members.contains(&m));
    let mut lockstep = Vec::new();
    for (m, (j, share)) in members.into_iter().enumerate() {
        if in_group(m) {
            lockstep.push((j, share));
        } else {
            out[j] = Some(Item::Later(scns[j]));
        }
    }
    let simulated = paths * lockstep.len() as u64;
    if !lockstep.is_empty() {
        // The groups' members renumbered among the variants run in lockstep.
        let groups = lockstep_groups(scns, base.0, &lockstep);
        let members: Vec<(&Scenario, &Share<'_>)> = lockstep.iter().map(|(j, s)| (scns[*j], s)).collect();
        let parts = simulate_lockstep(&members, &groups, paths, threads, progress);
        for ((j, share), (layout, tally, data, budget)) in lockstep.into_iter().zip(parts) {
            let pending = Pending { scn: scns[j], share, layout, tally, data, budget };
            out[j] = Some(Item::Pending(Box::new(pending)));
        }
    }
    let items = out.into_iter().map(|r| r.expect("every variant is run")).collect::<Vec<_>>().into_iter();
    Batch { items, paths, threads, simulated, base }
}

/// The results of `run_many`, in the order of its scenarios. Those run in
/// lockstep are assembled as they are taken (each then copies the base
/// run's series of the vehicles it shares), the others simulated as they
/// are taken (`run_from`), so a batch holds its lockstep variants'
/// per-path values and counts, and one variant's full results at a time.
pub struct Batch<'a> {
    items: std::vec::IntoIter<Item<'a>>,
    paths: u64,
    threads: usize,
    /// Paths simulated by `run_many` itself (the lockstep pass).
    simulated: u64,
    base: (&'a Scenario, &'a Results),
}

enum Item<'a> {
    /// Run when taken (`run_from`: with what it shares with the base).
    Later(&'a Scenario),
    Pending(Box<Pending<'a>>),
}

impl Batch<'_> {
    /// The paths `run_many` simulated before returning (all variants run in
    /// lockstep); the others are simulated by `next_with`.
    pub fn simulated(&self) -> u64 {
        self.simulated
    }

    /// The next variant's results if it ran in lockstep (`Some(None)`
    /// when it did not: its caller runs it, `run_from`, when it needs it,
    /// so the batch never holds its results).
    pub fn next_ready(&mut self) -> Option<Option<Results>> {
        let paths = self.paths;
        self.items.next().map(|item| match item {
            Item::Later(_) => None,
            Item::Pending(p) => Some(p.assemble(paths)),
        })
    }

    /// The next variant's results and the paths simulated to get them;
    /// `progress` is called as `run` calls it.
    pub fn next_with(&mut self, progress: &(dyn Fn(u64) + Sync)) -> Option<(Results, u64)> {
        let (paths, threads, base) = (self.paths, self.threads, self.base);
        self.items.next().map(|item| match item {
            Item::Later(scn) => (run_from(scn, paths, threads, progress, base), paths),
            Item::Pending(p) => (p.assemble(paths), 0),
        })
    }
}

/// A variant run in lockstep, not yet assembled.
struct Pending<'a> {
    scn: &'a Scenario,
    share: Share<'a>,
    layout: Layout,
    tally: Tally,
    data: Vec<f64>,
    budget: Vec<f64>,
}

impl Pending<'_> {
    /// Its results (the base's series and deals for what it shares).
    fn assemble(self, paths: u64) -> Results {
        let Pending { scn, share, layout, tally, data, budget } = self;
        let mut parts =
            Parts { data, budget, sketches: tally.sketches, deals: tally.deals, work: tally.work, stream: None };
        copy_shared(scn, &layout, &share, &mut parts);
        assemble(scn, layout, paths as usize, parts)
    }
}

impl Iterator for Batch<'_> {
    type Item = Results;

    fn next(&mut self) -> Option<Results> {
        self.next_with(&|_| {}).map(|(r, _)| r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

impl ExactSizeIterator for Batch<'_> {}

/// How many of `scns` `run_many` runs in lockstep with another (for tests
/// and `fundsim bench`: sharing changes no result, so only this shows it).
pub fn lockstep_count(scns: &[&Scenario], paths: u64, base: (&Scenario, &Results)) -> usize {
    let members: Vec<(usize, Share<'_>)> = scns
        .iter()
        .enumerate()
        .filter_map(|(j, s)| Share::new(s, base.0, base.1, (0, paths), &Layout::new(s)).map(|sh| (j, sh)))
        .collect();
    let groups = lockstep_groups(scns, base.0, &members);
    (0..members.len()).filter(|m| groups.iter().any(|g| g.members.contains(m))).count()
}

/// A loan programme that several variants simulate in lockstep: its
/// position among the vehicles and the variants (positions in the
/// members), the first the leader.
struct Group {
    vehicle: usize,
    members: Vec<usize>,
}

/// For each loan programme, the members that simulate it (`Share`) with a
/// table that differs from the base's only in keys of the decision,
/// settlement and output classes, and that can run in lockstep with the
/// first of them (`lockstep::compatible`); groups of at least two.
fn lockstep_groups(scns: &[&Scenario], base: &Scenario, members: &[(usize, Share<'_>)]) -> Vec<Group> {
    fn loan(s: &Scenario, k: usize) -> Option<&loan_program::LoanProgram> {
        match &s.vehicles[k].kind {
            VehicleKind::LoanProgram(l) => Some(l),
            _ => None,
        }
    }
    let mut groups = Vec::new();
    for k in 0..base.vehicles.len() {
        let mut g: Vec<usize> = Vec::new();
        for (m, (j, share)) in members.iter().enumerate() {
            let s = scns[*j];
            let Some(l) = loan(s, k) else { continue };
            let downstream = || {
                loan_program::lockstep::differ_only_downstream(
                    &s.fingerprint.vehicles[k].1,
                    &base.fingerprint.vehicles[k].1,
                )
            };
            let fits = |lead: &usize| {
                loan(scns[members[*lead].0], k).is_some_and(|x| loan_program::lockstep::compatible(x, l))
            };
            if share.simulate[k] && downstream() && g.first().is_none_or(fits) {
                g.push(m);
            }
        }
        if g.len() >= 2 {
            groups.push(Group { vehicle: k, members: g });
        }
    }
    groups
}

/// The lockstep pass of `run_many`: every member simulated path by path
/// on one pool of workers, each worker holding one `Worker` per member.
/// Per path the market is simulated once and copied to every member, each
/// group's programme is simulated for all its members at once, then each
/// member's path runs as in `simulate` with those vehicles done.
fn simulate_lockstep(
    members: &[(&Scenario, &Share<'_>)],
    groups: &[Group],
    paths: u64,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<(Layout, Tally, Vec<f64>, Vec<f64>)> {
    let threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let threads = crate::limits::effective_threads(threads, paths);
    let layouts: Vec<Layout> = members.iter().map(|(s, _)| Layout::new(s)).collect();
    let mut done_of = vec![vec![false; members[0].0.vehicles.len()]; members.len()];
    for g in groups {
        for &m in &g.members {
            done_of[m][g.vehicle] = true;
        }
    }
    let mut data: Vec<Vec<f64>> = layouts.iter().map(|l| vec![0.0; paths as usize * l.columns.len()]).collect();
    let mut budget: Vec<Vec<f64>> = layouts.iter().map(|l| vec![0.0; paths as usize * l.budget_cells()]).collect();
    let nblocks = (paths as usize).div_ceil(BLOCK);
    let mut blocks: Vec<Vec<(&mut [f64], &mut [f64])>> = (0..nblocks).map(|_| Vec::new()).collect();
    for ((d, b), l) in data.iter_mut().zip(budget.iter_mut()).zip(&layouts) {
        let chunks = d.chunks_mut(BLOCK * l.columns.len()).zip(b.chunks_mut(BLOCK * l.budget_cells()));
        for (block, part) in blocks.iter_mut().zip(chunks) {
            block.push(part);
        }
    }
    let done = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let queue = Mutex::new(blocks.into_iter().enumerate());
    let (scn0, h) = (members[0].0, members[0].0.horizon_steps());
    let workers = pool.broadcast(|_| {
        let mut ws: Vec<Worker> = members.iter().zip(&layouts).map(|((s, _), l)| Worker::new(s, l, true)).collect();
        let mut market = MarketPath::default();
        let mut scratch = loan_program::lockstep::LockstepScratch::default();
        loop {
            let next = queue.lock().expect("block queue").next();
            let Some((block, mut parts)) = next else { break };
            let n = parts[0].0.len() / layouts[0].columns.len();
            for i in 0..n {
                let path = (block * BLOCK + i) as u64;
                market.simulate(&scn0.market, h, scn0.steps_per_year, &mut stream(scn0.seed, path, MARKET));
                for w in &mut ws {
                    w.market.clone_from(&market);
                }
                let key = path_key(scn0.seed, path);
                for g in groups {
                    lockstep_group(g, members, &layouts, &mut ws, &mut parts, i, key, &market, &mut scratch);
                }
                for (m, (w, (rows, budget))) in ws.iter_mut().zip(parts.iter_mut()).enumerate() {
                    let (nc, nb) = (layouts[m].columns.len(), layouts[m].budget_cells());
                    let (row, budget) = (&mut rows[i * nc..(i + 1) * nc], &mut budget[i * nb..(i + 1) * nb]);
                    let (scn, share) = members[m];
                    w.path(scn, &layouts[m], path, row, budget, Some(share), Some(&done_of[m]));
                }
            }
            let n = (n * members.len()) as u64;
            progress(done.fetch_add(n, Ordering::Relaxed) + n);
        }
        ws
    });
    // Per member, its workers merged in thread order (integer counts).
    let mut merged: Vec<Option<Worker>> = members.iter().map(|_| None).collect();
    for ws in workers {
        for (slot, w) in merged.iter_mut().zip(ws) {
            *slot = Some(match slot.take() {
                Some(a) => a.merge(w),
                None => w,
            });
        }
    }
    layouts
        .into_iter()
        .zip(merged)
        .zip(data.into_iter().zip(budget))
        .map(|((layout, w), (d, b))| (layout, w.expect("at least one thread").tally(), d, b))
        .collect()
}

/// Path `i` of the block in hand of group `g`'s programme, for all its
/// members at once: their rows, series, workspaces and work.
#[allow(clippy::too_many_arguments)]
fn lockstep_group(
    g: &Group,
    members: &[(&Scenario, &Share<'_>)],
    layouts: &[Layout],
    ws: &mut [Worker],
    parts: &mut [(&mut [f64], &mut [f64])],
    i: usize,
    path_key: u64,
    market: &MarketPath,
    scratch: &mut loan_program::lockstep::LockstepScratch,
) {
    let k = g.vehicle;
    let h = market.z.len();
    let (mut programs, mut lws, mut series, mut rows, mut works) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (m, (w, (data, _))) in ws.iter_mut().zip(parts.iter_mut()).enumerate() {
        if !g.members.contains(&m) {
            continue;
        }
        let VehicleKind::LoanProgram(l) = &members[m].0.vehicles[k].kind else {
            unreachable!("a group is of loan programmes")
        };
        let Worker { workspaces, series_buf, work, .. } = w;
        let Workspace::LoanProgram(lw) = &mut workspaces[k] else { unreachable!("a loan programme's workspace") };
        let layout = &layouts[m];
        let s0 = layout.series_offsets[k] * h;
        let (a, rest) = series_buf[s0..s0 + 4 * h].split_at_mut(h);
        let (b, rest) = rest.split_at_mut(h);
        let (c, d) = rest.split_at_mut(h);
        let nc = layout.columns.len();
        let at = i * nc + layout.offsets[k];
        programs.push(l);
        lws.push(lw);
        series.push([a, b, c, d]);
        rows.push(&mut data[at..at + loan_program::METRICS.len()]);
        works.push(work);
    }
    let model = &members[g.members[0]].0.company_model;
    let outcomes = loan_program::lockstep::simulate(&programs, path_key, market, model, &mut lws, series, scratch);
    for (((p, o), row), work) in programs.iter().zip(outcomes).zip(rows).zip(works) {
        row.copy_from_slice(&p.metrics(&o));
        *work += o.loan_steps;
    }
}
