//! Variants run in lockstep (`run_many`, `run_with_base`, issue 19): the
//! variants of a sweep or sensitivity table whose loan programmes differ
//! from the base only in keys of the decision, settlement and output
//! classes are simulated together path by path, the market and each such
//! programme's applicants and fates drawn once for all of them
//! (`vehicles::loan_program::lockstep`); the others run as `run_from` runs
//! them. The base run itself can be one of the pass (`run_with_base`: the
//! first batch of `fundsim run`), so the applicants and fates it draws are
//! the ones the variants use, not drawn a second time. Part of the engine
//! stage; the results are those of `run` bit for bit (tests/sharing.rs).
//!
//! Memory: a variant in the pass keeps, per path, only the columns and
//! budget cells it computes itself (those of the vehicles it simulates and
//! the totals, `Share::own`); the rest are the base's, and a variant is
//! assembled into full results (the base's values, series and deals where
//! it shares them) only when it is taken from its batch, one at a time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    BLOCK, Layout, Parts, Results, Share, Tally, Worker, assemble, base_fits, base_rows, copy_shared, run_range_series,
};
use crate::model::market::MarketPath;
use crate::rng::{MARKET, path_key, stream};
use crate::scenario::Scenario;
use crate::vehicles::loan_program;
use crate::vehicles::{VehicleKind, Workspace};

/// Variants and cases a sweep or sensitivity table runs at once
/// (`run_many`): more share more work, and each variant run in lockstep
/// holds the per-path values it computes itself in memory until it is
/// written. At most this many, and fewer for large runs
/// (`lockstep_batch_len`).
pub const LOCKSTEP_BATCH: usize = 8;

/// What the variants of one lockstep batch may hold at once: the larger of
/// this and one run's per-path values (`lockstep_batch_len`).
pub const LOCKSTEP_BYTES: u64 = 64 << 20;

/// How many of `scns` (variants of `base`, in order; a run of `paths`
/// paths) `fundsim run` puts in one lockstep batch: at most
/// `LOCKSTEP_BATCH`, and no more than the per-path values they keep
/// (`Share::own`: the columns and budget cells they compute themselves,
/// counted for every variant that shares with the base; 0 for one that
/// shares nothing, which runs alone when it is taken) fit in the larger
/// of one run's per-path values and `LOCKSTEP_BYTES`; at least 1. At 400
/// paths of the policy package a batch holds 8; at 10^6 paths about 1-2.
/// The batch size changes no result, only the memory held and the work
/// shared.
pub fn lockstep_batch_len(base: &Scenario, scns: &[&Scenario], paths: u64) -> usize {
    let base_layout = Layout::new(base);
    let row = (base_layout.columns.len() + base_layout.budget_cells()) as u64;
    let allowance = paths.saturating_mul(row).saturating_mul(8).max(LOCKSTEP_BYTES);
    let (mut used, mut n) = (0u64, 0);
    for &s in scns.iter().take(LOCKSTEP_BATCH) {
        let layout = Layout::new(s);
        let values = Share::new(s, &layout, base, &base_layout).map_or(0, |share| {
            let (cols, cells) = share.own(&layout, s);
            (cols.len() + cells.len()) as u64
        });
        let bytes = paths.saturating_mul(values).saturating_mul(8);
        if n > 0 && used.saturating_add(bytes) > allowance {
            break;
        }
        used = used.saturating_add(bytes);
        n += 1;
    }
    n.max(1)
}

/// The most a lockstep batch of a run of `scn` can hold (for the memory
/// estimate, before the variants are built): `LOCKSTEP_BATCH` variants at
/// a whole row of values each, or the allowance of `lockstep_batch_len`
/// if that is less (a variant keeps at most a whole row, so the first,
/// always admitted, fits in it too).
pub fn lockstep_bytes_bound(scn: &Scenario, paths: u64) -> u64 {
    let (values, _) = super::shape(scn);
    let per_run = paths.saturating_mul(values as u64).saturating_mul(8);
    per_run.saturating_mul(LOCKSTEP_BATCH as u64).min(per_run.max(LOCKSTEP_BYTES))
}

/// `run_from` for several variants or cases `scns` of the base run `base`
/// at once (issue 19): the variants whose loan programmes differ from the
/// base only in keys of the decision, settlement and output classes
/// (`loan_program::input::KEY_CLASSES`) run in lockstep path by path (the
/// market once, each such programme's applicants and fates once for all
/// of them, `loan_program::lockstep`); the others run as `run_from` runs
/// them when they are taken. The results, in the order of `scns`, are
/// those of `run` bit for bit (tests/sharing.rs). `progress` counts the
/// paths of the lockstep pass (as many per path as variants in it).
///
/// `range` = (first, paths): the paths `first..first + paths` (one shard
/// of a run, as `run_range`), which `base` covers too.
pub fn run_many<'a>(
    scns: &[&'a Scenario],
    range: (u64, u64),
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    base: (&'a Scenario, &'a Results),
) -> Bound<'a> {
    Bound { batch: run_batch(scns, range, threads, progress, base, true), base }
}

/// `run_many` unbound from its base: the batch, whose items are taken
/// with the base given (`Batch::next_with`). `series: false`: the
/// variants do not summarise their per-step series (every sketch of their
/// results is empty; `fundsim run` writes no variant's series), which
/// saves their sketches' memory and time; every other part of their
/// results is unchanged.
pub fn run_batch<'a>(
    scns: &[&'a Scenario],
    range: (u64, u64),
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    base: (&Scenario, &Results),
    series: bool,
) -> Batch<'a> {
    batch(base.0, Some(base.1), scns, range, threads, progress, series).1
}

/// The base run `base` and a batch of its variants or cases `scns` in one
/// pass: the base is simulated in lockstep with the variants whose loan
/// programmes differ from its own only in keys of the decision, settlement
/// and output classes, so its applicants and fates are drawn once for all
/// of them; the variants copy the vehicles they share from the base's row
/// of the same path. Returns the base's results (those of `run` bit for
/// bit) and the batch, whose items are taken with the base's results
/// (`Batch::next_with`). When no variant can run in lockstep with the base
/// it is `run_range`, and the batch is `run_batch`'s. `range` as in
/// `run_many`, `series` as in `run_batch` (the base's series are always
/// summarised).
pub fn run_with_base<'a>(
    base: &'a Scenario,
    scns: &[&'a Scenario],
    range: (u64, u64),
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    series: bool,
) -> (Results, Batch<'a>) {
    let (r, batch) = batch(base, None, scns, range, threads, progress, series);
    match r {
        Some(r) => (r, batch),
        None => {
            let r = super::run_range(base, range, threads, true, progress, None);
            let mut batch = self::batch(base, Some(&r), scns, range, threads, progress, series).1;
            batch.simulated += range.1;
            (r, batch)
        }
    }
}

/// A member of a lockstep pass: a variant (`share`: what it copies from
/// the base), or the base itself (`Share::none`, `variant: None`).
struct Member<'s> {
    scn: &'s Scenario,
    /// Its position in the batch's scenarios; `None` for the base.
    variant: Option<usize>,
    part: Part,
}

/// What a member shares and computes itself.
struct Part {
    share: Share,
    layout: Layout,
    /// The columns and budget cells it computes itself (`Share::own`).
    own: (Vec<usize>, Vec<usize>),
}

impl<'s> Member<'s> {
    /// A member of the pass: `variant` j of the batch with its share, or
    /// the base (`None`, `Share::none`).
    fn new(scn: &'s Scenario, variant: Option<usize>, share: Share, layout: Layout) -> Member<'s> {
        let own = share.own(&layout, scn);
        Member { scn, variant, part: Part { share, layout, own } }
    }
}

/// Plan and run a batch: with `base_r`, the base's results are given and
/// the variants of `scns` that can run in lockstep with each other do;
/// without, the base takes part in the pass if a variant can run in
/// lockstep with it (its results are then returned; `None` otherwise and
/// nothing was simulated). `series` as in `run_batch`.
fn batch<'a>(
    base: &Scenario,
    base_r: Option<&Results>,
    scns: &[&'a Scenario],
    (first, paths): (u64, u64),
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    series: bool,
) -> (Option<Results>, Batch<'a>) {
    let base_layout = Layout::new(base);
    let mut items: Vec<Option<Item<'a>>> = scns.iter().map(|_| None).collect();
    let mut members = Vec::new();
    if base_r.is_none() {
        members.push(Member::new(base, None, Share::none(base.vehicles.len()), Layout::new(base)));
    }
    for (j, &s) in scns.iter().enumerate() {
        let layout = Layout::new(s);
        let fits = base_r.is_none_or(|r| base_fits(r, paths, &base_layout));
        match Share::new(s, &layout, base, &base_layout).filter(|_| fits) {
            Some(share) => members.push(Member::new(s, Some(j), share, layout)),
            None => items[j] = Some(Item::Later(s)),
        }
    }
    let groups = lockstep_groups(base, &members);
    let in_group = |m: usize| groups.iter().any(|g| g.members.contains(&m));
    let with_base = base_r.is_none() && in_group(0);
    let mut lockstep = Vec::new();
    for (m, member) in members.into_iter().enumerate() {
        match member.variant {
            Some(_) if in_group(m) && (with_base || base_r.is_some()) => lockstep.push(member),
            Some(j) => items[j] = Some(Item::Later(scns[j])),
            None if with_base => lockstep.push(member),
            None => {}
        }
    }
    let mut base_results = None;
    let mut simulated = 0;
    if !lockstep.is_empty() {
        simulated = paths * lockstep.len() as u64;
        // The groups renumbered among the members run in lockstep.
        let groups = lockstep_groups(base, &lockstep);
        let parts = simulate_lockstep(&lockstep, &groups, (first, paths), threads, progress, base_r, series);
        for (member, (mut tally, data, budget)) in lockstep.into_iter().zip(parts) {
            let Member { scn, variant, part } = member;
            if series && variant.is_some() {
                // Held until the variant is taken: without the stores'
                // spare capacity (about a third of them).
                tally.sketches.iter_mut().for_each(|s| s.shrink_to_fit());
            }
            match variant {
                Some(j) => {
                    let pending = Pending { scn: scns[j], part, tally, data, budget, series };
                    items[j] = Some(Item::Pending(Box::new(pending)));
                }
                None => {
                    let pending = Pending { scn, part, tally, data, budget, series: true };
                    base_results = Some(pending.assemble(paths, None));
                }
            }
        }
    }
    let items = items.into_iter().map(|r| r.expect("every variant is run")).collect::<Vec<_>>().into_iter();
    (base_results, Batch { items, first, paths, threads, simulated, series })
}

/// The variants of a batch (`run_many`, `run_with_base`), in the order of
/// its scenarios. Those run in lockstep are assembled as they are taken
/// (each then copies the base run's values, series and deals of the
/// vehicles it shares), the others simulated as they are taken
/// (`run_from`), so a batch holds its lockstep variants' own values and
/// counts, and one variant's full results at a time.
pub struct Batch<'a> {
    items: std::vec::IntoIter<Item<'a>>,
    first: u64,
    paths: u64,
    threads: usize,
    /// Paths simulated before the batch was returned: its lockstep pass
    /// and, from `run_with_base`, the base's.
    simulated: u64,
    /// Whether the variants' series are summarised (`run_batch`).
    series: bool,
}

enum Item<'a> {
    /// Run when taken (`run_from`: with what it shares with the base).
    Later(&'a Scenario),
    Pending(Box<Pending<'a>>),
}

impl Batch<'_> {
    /// The paths simulated before the batch was returned: the lockstep
    /// pass's (every member) and, from `run_with_base`, the base's; the
    /// others are simulated by `next_with`.
    pub fn simulated(&self) -> u64 {
        self.simulated
    }

    /// The next variant's results, with `base` the base run, and the paths
    /// simulated to get them; `progress` is called as `run` calls it.
    pub fn next_with(
        &mut self,
        progress: &(dyn Fn(u64) + Sync),
        base: (&Scenario, &Results),
    ) -> Option<(Results, u64)> {
        let (first, paths, threads, series) = (self.first, self.paths, self.threads, self.series);
        self.items.next().map(|item| match item {
            Item::Later(scn) => {
                (run_range_series(scn, (first, paths), threads, true, progress, Some(base), series), paths)
            }
            Item::Pending(p) => (p.assemble(paths, Some(base.1)), 0),
        })
    }

    /// Variants left in the batch.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }
}

/// A batch bound to its base run (`run_many`): an iterator of the
/// variants' results.
pub struct Bound<'a> {
    batch: Batch<'a>,
    base: (&'a Scenario, &'a Results),
}

impl<'a> Bound<'a> {
    /// The paths the lockstep pass simulated.
    pub fn simulated(&self) -> u64 {
        self.batch.simulated()
    }

    /// The batch, whose items are then taken with the base given
    /// (`Batch::next_with`).
    pub fn into_batch(self) -> Batch<'a> {
        self.batch
    }
}

impl Iterator for Bound<'_> {
    type Item = Results;

    fn next(&mut self) -> Option<Results> {
        self.batch.next_with(&|_| {}, self.base).map(|(r, _)| r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.batch.len(), Some(self.batch.len()))
    }
}

impl ExactSizeIterator for Bound<'_> {}

/// A member run in lockstep, not yet assembled: its tally and the values
/// it computed itself, path by path (`Member::own`).
struct Pending<'a> {
    scn: &'a Scenario,
    part: Part,
    tally: Tally,
    data: Vec<f64>,
    budget: Vec<f64>,
    /// Whether its series were summarised (`run_batch`).
    series: bool,
}

impl Pending<'_> {
    /// Its results: its own values, and the base's (`base`; none for the
    /// base itself) values, series and deals where it shares them.
    fn assemble(self, paths: u64, base: Option<&Results>) -> Results {
        let Pending { scn, part, tally, data, budget, series } = self;
        let Part { share, layout, own: (cols, cells) } = part;
        let expand = |own: Vec<f64>, at: &[usize], width: usize, base: Option<&ndarray::Array2<f64>>| {
            let Some(base) = base.filter(|_| at.len() < width) else {
                return own;
            };
            let mut full = base.as_slice().expect("row-major").to_vec();
            for (row, own) in full.chunks_mut(width).zip(own.chunks(at.len().max(1))) {
                for (&c, &x) in at.iter().zip(own) {
                    row[c] = x;
                }
            }
            full
        };
        let data = expand(data, &cols, layout.columns.len(), base.map(|b| &b.matrix));
        let budget = expand(budget, &cells, layout.budget_cells(), base.map(|b| &b.budget.matrix));
        let mut parts =
            Parts { data, budget, sketches: tally.sketches, deals: tally.deals, work: tally.work, stream: None };
        if let Some(base) = base {
            copy_shared(scn, &layout, &share, base, &mut parts, series);
        }
        assemble(scn, layout, paths as usize, parts)
    }
}

/// How many of `scns` run in lockstep in their batch: with the base run
/// `base` given (`run_many`), or with the base taking part in the pass
/// (`with_base`, `run_with_base`; the base is not counted). For tests and
/// `fundsim bench`: sharing changes no result, so only this shows it.
pub fn lockstep_count(scns: &[&Scenario], base: &Scenario, with_base: bool) -> usize {
    let base_layout = Layout::new(base);
    let mut members = Vec::new();
    if with_base {
        members.push(Member::new(base, None, Share::none(base.vehicles.len()), Layout::new(base)));
    }
    for (j, &s) in scns.iter().enumerate() {
        let layout = Layout::new(s);
        if let Some(share) = Share::new(s, &layout, base, &base_layout) {
            members.push(Member::new(s, Some(j), share, layout));
        }
    }
    let groups = lockstep_groups(base, &members);
    let in_group = |m: usize| groups.iter().any(|g| g.members.contains(&m));
    if with_base && !in_group(0) {
        return lockstep_count(scns, base, false);
    }
    (0..members.len()).filter(|&m| members[m].variant.is_some() && in_group(m)).count()
}

/// A loan programme that several members simulate in lockstep: its
/// position among the vehicles and the members (positions in the pass),
/// the first the leader.
struct Group {
    vehicle: usize,
    members: Vec<usize>,
}

/// For each loan programme, the members that simulate it (`Share`) with a
/// table that differs from the base's only in keys of the decision,
/// settlement and output classes, and that can run in lockstep with the
/// first of them (`lockstep::compatible`); groups of at least two.
fn lockstep_groups(base: &Scenario, members: &[Member<'_>]) -> Vec<Group> {
    fn loan(s: &Scenario, k: usize) -> Option<&loan_program::LoanProgram> {
        match &s.vehicles[k].kind {
            VehicleKind::LoanProgram(l) => Some(l),
            _ => None,
        }
    }
    let mut groups = Vec::new();
    for k in 0..base.vehicles.len() {
        let mut g: Vec<usize> = Vec::new();
        for (m, member) in members.iter().enumerate() {
            let s = member.scn;
            let Some(l) = loan(s, k) else { continue };
            let downstream = || {
                loan_program::lockstep::differ_only_downstream(
                    &s.fingerprint.vehicles[k].1,
                    &base.fingerprint.vehicles[k].1,
                )
            };
            let fits =
                |lead: &usize| loan(members[*lead].scn, k).is_some_and(|x| loan_program::lockstep::compatible(x, l));
            if member.part.share.simulate[k] && downstream() && g.first().is_none_or(fits) {
                g.push(m);
            }
        }
        if g.len() >= 2 {
            groups.push(Group { vehicle: k, members: g });
        }
    }
    groups
}

/// The lockstep pass over the paths `first..first + paths`: every member
/// simulated path by path on one pool of
/// workers, each worker holding one `Worker` and one full row per member.
/// Per path the market is simulated once and copied to every member, each
/// group's programme is simulated for all its members at once, then each
/// member's path runs as in `simulate` with those vehicles done, copying
/// what it shares from the base's row of the path: `base_r`'s, or (without)
/// the base member's own, which comes first in the pass. Each member keeps
/// the values it computes itself (and its series only with `series`, the
/// base's always). Returns per member its tally and its own values and
/// budget cells, path-major.
fn simulate_lockstep(
    members: &[Member<'_>],
    groups: &[Group],
    (first, paths): (u64, u64),
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    base_r: Option<&Results>,
    series: bool,
) -> Vec<(Tally, Vec<f64>, Vec<f64>)> {
    let threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let threads = crate::limits::effective_threads(threads, paths);
    let mut done_of = vec![vec![false; members[0].scn.vehicles.len()]; members.len()];
    for g in groups {
        for &m in &g.members {
            done_of[m][g.vehicle] = true;
        }
    }
    let mut data: Vec<Vec<f64>> = members.iter().map(|m| vec![0.0; paths as usize * m.part.own.0.len()]).collect();
    let mut budget: Vec<Vec<f64>> = members.iter().map(|m| vec![0.0; paths as usize * m.part.own.1.len()]).collect();
    let nblocks = (paths as usize).div_ceil(BLOCK);
    let mut blocks: Vec<Vec<(&mut [f64], &mut [f64])>> = (0..nblocks).map(|_| Vec::new()).collect();
    for ((d, b), m) in data.iter_mut().zip(budget.iter_mut()).zip(members) {
        let (nc, nb) = (m.part.own.0.len().max(1), m.part.own.1.len().max(1));
        let chunks = d.chunks_mut(BLOCK * nc).chain(std::iter::repeat_with(|| &mut [][..]));
        let cells = b.chunks_mut(BLOCK * nb).chain(std::iter::repeat_with(|| &mut [][..]));
        for (block, part) in blocks.iter_mut().zip(chunks.zip(cells)) {
            block.push(part);
        }
    }
    let done = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let queue = Mutex::new(blocks.into_iter().enumerate());
    let (scn0, h) = (members[0].scn, members[0].scn.horizon_steps());
    let workers = pool.broadcast(|_| {
        let mut ws: Vec<Worker> = members
            .iter()
            .map(|m| {
                let mut w = Worker::new(m.scn, &m.part.layout, true);
                w.summarise = series || m.variant.is_none();
                w
            })
            .collect();
        let mut rows: Vec<(Vec<f64>, Vec<f64>)> = members
            .iter()
            .map(|m| (vec![0.0; m.part.layout.columns.len()], vec![0.0; m.part.layout.budget_cells()]))
            .collect();
        let mut market = MarketPath::default();
        let mut scratch = loan_program::lockstep::LockstepScratch::default();
        loop {
            let next = queue.lock().expect("block queue").next();
            let Some((block, mut parts)) = next else { break };
            let n = (paths as usize - block * BLOCK).min(BLOCK);
            for i in 0..n {
                let p = block * BLOCK + i;
                let path = first + p as u64;
                market.simulate(&scn0.market, h, scn0.steps_per_year, &mut stream(scn0.seed, path, MARKET));
                for w in &mut ws {
                    w.market.clone_from(&market);
                }
                let key = path_key(scn0.seed, path);
                for g in groups {
                    lockstep_group(g, members, &mut ws, &mut rows, key, &market, &mut scratch);
                }
                for (m, member) in members.iter().enumerate() {
                    let (before, rest) = rows.split_at_mut(m);
                    let (row, cells) = &mut rest[0];
                    let base = match (member.variant, base_r) {
                        (None, _) => None,
                        (Some(_), Some(r)) => Some(base_rows(r, p)),
                        (Some(_), None) => Some((&before[0].0[..], &before[0].1[..])),
                    };
                    let share = base.map(|(r, b)| (&member.part.share, r, b));
                    ws[m].path(member.scn, &member.part.layout, path, row, cells, share, Some(&done_of[m]));
                    let (own_data, own_budget) = &mut parts[m];
                    let (cols, at) = &member.part.own;
                    for (x, &c) in own_data[i * cols.len()..(i + 1) * cols.len()].iter_mut().zip(cols) {
                        *x = row[c];
                    }
                    for (x, &c) in own_budget[i * at.len()..(i + 1) * at.len()].iter_mut().zip(at) {
                        *x = cells[c];
                    }
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
    merged
        .into_iter()
        .zip(data.into_iter().zip(budget))
        .map(|(w, (d, b))| (w.expect("a worker").tally(), d, b))
        .collect()
}

/// The path in hand of group `g`'s programme, for all its members at once:
/// their rows (`rows`, one full row per member), series, workspaces and
/// work.
fn lockstep_group(
    g: &Group,
    members: &[Member<'_>],
    ws: &mut [Worker],
    rows: &mut [(Vec<f64>, Vec<f64>)],
    path_key: u64,
    market: &MarketPath,
    scratch: &mut loan_program::lockstep::LockstepScratch,
) {
    let k = g.vehicle;
    let h = market.z.len();
    let (mut programs, mut lws, mut series, mut out, mut works) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (m, (w, (row, _))) in ws.iter_mut().zip(rows.iter_mut()).enumerate() {
        if !g.members.contains(&m) {
            continue;
        }
        let VehicleKind::LoanProgram(l) = &members[m].scn.vehicles[k].kind else {
            unreachable!("a group is of loan programmes")
        };
        let Worker { workspaces, series_buf, work, .. } = w;
        let Workspace::LoanProgram(lw) = &mut workspaces[k] else { unreachable!("a loan programme's workspace") };
        let layout = &members[m].part.layout;
        let s0 = layout.series_offsets[k] * h;
        let (a, rest) = series_buf[s0..s0 + 4 * h].split_at_mut(h);
        let (b, rest) = rest.split_at_mut(h);
        let (c, d) = rest.split_at_mut(h);
        let at = layout.offsets[k];
        programs.push(l);
        lws.push(lw);
        series.push([a, b, c, d]);
        out.push(&mut row[at..at + loan_program::METRICS.len()]);
        works.push(work);
    }
    let model = &members[g.members[0]].scn.company_model;
    let outcomes = loan_program::lockstep::simulate(&programs, path_key, market, model, &mut lws, series, scratch);
    for (((p, o), row), work) in programs.iter().zip(outcomes).zip(out).zip(works) {
        row.copy_from_slice(&p.metrics(&o));
        *work += o.loan_steps;
    }
}
