//! The parallel Monte Carlo engine: paths in parallel on a rayon pool (one
//! worker per thread pulling blocks of paths), per-path metric rows
//! collected in path order into an ndarray matrix, or (`--no-paths`)
//! folded into exact column sums and sketches (`stats::stream`). A run may
//! cover any range of paths (one shard of a larger run, `run_range`).
//!
//! Fourth stage of the pipeline (scenario -> model/vehicles -> **engine** ->
//! stats -> output). Paths are cut into fixed blocks of `BLOCK` rows that
//! write straight into their slice of the result matrix, so row order never
//! depends on scheduling. Per-step series go into quantile sketches and
//! deal outcomes into counters; both hold integer counts only, so merging
//! them in any order gives identical results. Nothing here depends on the
//! thread count: every random number comes from a stream keyed by (seed,
//! path, component).
//!
//! A sweep variant or sensitivity case runs through `run_from`: where it
//! has the base run's economy, the vehicles whose resolved tables are the
//! base's are copied from the base path by path (their series and deal
//! counts too), and only the others are simulated. Several variants run
//! through `run_many`: those whose loan programmes differ only in keys of
//! the decision, settlement and output classes run in lockstep, the
//! applicants and their fates drawn once per path for all of them
//! (`vehicles::loan_program::lockstep`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::Array2;

use crate::model::market::MarketPath;
use crate::output::fiscal::FiscalPlan;
use crate::rng::{MARKET, path_key, stream};
use crate::scenario::Scenario;
use crate::stats::sketch::QuantileSketch;
use crate::stats::stream::ColumnStats;
use crate::vehicles::catalogue::{self, MetricKind, Unit};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::loan_program;
use crate::vehicles::{FiscalRole, PathContext, VehicleKind, Workspace};

/// Paths per block of work.
pub(crate) const BLOCK: usize = 64;

/// Variants and cases a sweep or sensitivity table runs at once
/// (`run_many`): more share more work, and each variant run in lockstep
/// holds its per-path values and its sketches in memory until it is
/// written.
pub const LOCKSTEP_BATCH: usize = 8;

/// Relative accuracy of the per-step quantile sketches.
pub(crate) const SKETCH_ALPHA: f64 = 0.005;

/// One column of the result matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Vehicle name, or `total`.
    pub vehicle: String,
    pub metric: String,
    pub kind: MetricKind,
    pub unit: Unit,
}

/// One per-step series of one vehicle, summarised by sketches.
#[derive(Debug, Clone)]
pub struct Series {
    pub vehicle: String,
    pub metric: String,
    /// One sketch per step.
    pub steps: Vec<QuantileSketch>,
}

/// The nominal fiscal outlay of each path by calendar year (`budget.csv`):
/// one group per vehicle with a fiscal cost, in scenario order, then
/// `total`, each `years` long.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Vehicle names with a fiscal cost, then `total`.
    pub groups: Vec<String>,
    pub years: usize,
    /// paths × (groups × years): row i is path i, group-major; no rows
    /// when the run keeps no per-path matrix (its cells are then in
    /// `Results::stream`, after the result columns).
    pub matrix: Array2<f64>,
}

impl Budget {
    /// The outlays of group `g` in year `y` (0-based), one per path.
    pub fn column(&self, g: usize, y: usize) -> ndarray::ArrayView1<'_, f64> {
        self.matrix.column(g * self.years + y)
    }
}

/// What a run produces before it is summarised and written.
#[derive(Debug, Clone)]
pub struct Results {
    pub columns: Vec<Column>,
    /// paths × columns, row i is path i; no rows when the run keeps no
    /// per-path matrix (`stream`).
    pub matrix: Array2<f64>,
    /// `--no-paths`: the exact moments and quantile sketch of each result
    /// column, then of each budget cell (`Budget`, group-major), then of
    /// each fiscal quantity (`output::fiscal::FiscalPlan`), accumulated
    /// path by path instead of the matrices.
    pub stream: Option<ColumnStats>,
    pub series: Vec<Series>,
    /// Deal outcome counts per vehicle (name, kind, counts).
    pub deals: Vec<(String, DealCounts)>,
    /// Company-steps and loan-steps simulated, all vehicles.
    pub work: u64,
    /// The fiscal outlay by year.
    pub budget: Budget,
}

impl Results {
    /// The summary of column `j`: exact from the matrix, or from the
    /// column statistics of a run without one (`stats::stream`).
    pub(crate) fn summary(&self, j: usize, scratch: &mut Vec<f64>) -> crate::stats::summary::Summary {
        match &self.stream {
            Some(s) => s.summary(j),
            None => {
                let column: Vec<f64> = self.matrix.column(j).to_vec();
                crate::stats::summary::summarize(&column, scratch)
            }
        }
    }

    /// VaR and ES of column `j`, as [`Results::summary`].
    pub(crate) fn risk(&self, j: usize, scratch: &mut Vec<f64>) -> crate::stats::risk::RiskMeasures {
        match &self.stream {
            Some(s) => s.risk(j),
            None => {
                let column: Vec<f64> = self.matrix.column(j).to_vec();
                crate::stats::risk::risk_measures(&column, scratch)
            }
        }
    }

    /// The summary of budget cell (group `g`, year `y`), as
    /// [`Results::summary`].
    pub(crate) fn budget_summary(&self, g: usize, y: usize, scratch: &mut Vec<f64>) -> crate::stats::summary::Summary {
        let b = &self.budget;
        match &self.stream {
            Some(s) => s.summary(self.columns.len() + g * b.years + y),
            None => {
                let column: Vec<f64> = b.column(g, y).to_vec();
                crate::stats::summary::summarize(&column, scratch)
            }
        }
    }

    /// Paths in the results (rows of the matrix, or paths accumulated).
    pub fn paths(&self) -> u64 {
        match &self.stream {
            Some(s) => s.paths(),
            None => self.matrix.nrows() as u64,
        }
    }
}

/// The layout of a scenario's row and series, computed once.
struct Layout {
    columns: Vec<Column>,
    /// First column of each vehicle.
    offsets: Vec<usize>,
    /// Each vehicle's part in the totals, with absolute columns.
    fiscal: Vec<FiscalRole>,
    /// First `total.*` column.
    totals: usize,
    /// First series of each vehicle.
    series_offsets: Vec<usize>,
    series_names: Vec<(String, String)>,
    /// Per vehicle, its group in the budget (None: no fiscal cost), and
    /// the groups' names (the last is `total`).
    budget_group: Vec<Option<usize>>,
    budget_groups: Vec<String>,
    years: usize,
    /// The fiscal quantities of a path (`--no-paths` accumulates them).
    fiscal_plan: FiscalPlan,
}

impl Layout {
    fn new(scn: &Scenario) -> Layout {
        let mut columns = Vec::new();
        let mut offsets = Vec::new();
        let mut fiscal = Vec::new();
        let mut series_offsets = Vec::new();
        let mut series_names = Vec::new();
        let mut budget_group = Vec::new();
        let mut budget_groups = Vec::new();
        for v in &scn.vehicles {
            budget_group.push(v.fiscal_role().fiscal_cost.map(|_| {
                budget_groups.push(v.name.clone());
                budget_groups.len() - 1
            }));
            offsets.push(columns.len());
            let at = columns.len();
            let role = v.fiscal_role();
            fiscal.push(FiscalRole {
                fiscal_cost: role.fiscal_cost.map(|c| at + c),
                fiscal_cost_nominal: role.fiscal_cost_nominal.map(|c| at + c),
                private_capital: role.private_capital.map(|c| at + c),
                credit: role.credit.shifted(at),
                firms: role.firms.shifted(at),
            });
            for m in v.metrics() {
                columns.push(Column {
                    vehicle: v.name.clone(),
                    metric: m.name.to_string(),
                    kind: m.kind,
                    unit: m.unit,
                });
            }
            series_offsets.push(series_names.len());
            for s in v.series() {
                series_names.push((v.name.clone(), s.name.to_string()));
            }
        }
        let totals = columns.len();
        for m in &catalogue::TOTALS {
            columns.push(Column { vehicle: "total".into(), metric: m.name.into(), kind: m.kind, unit: m.unit });
        }
        budget_groups.push("total".into());
        let years = scn.years as usize;
        let fiscal_plan = FiscalPlan::new(scn, &columns);
        Layout {
            columns,
            offsets,
            fiscal,
            totals,
            series_offsets,
            series_names,
            budget_group,
            budget_groups,
            years,
            fiscal_plan,
        }
    }

    /// Cells of a path's budget row.
    fn budget_cells(&self) -> usize {
        self.budget_groups.len() * self.years
    }

    /// Values per path in the column statistics of a run without a matrix:
    /// result columns, budget cells, fiscal quantities.
    fn stream_width(&self) -> usize {
        self.columns.len() + self.budget_cells() + self.fiscal_plan.stream_width()
    }
}

/// What a run's workers counted, merged: the per-step sketches, the deal
/// counts and the work.
struct Tally {
    sketches: Vec<QuantileSketch>,
    deals: Vec<DealCounts>,
    work: u64,
}

/// Per-worker state: reusable buffers plus integer-count accumulators.
struct Worker {
    market: MarketPath,
    workspaces: Vec<Workspace>,
    series_buf: Vec<f64>,
    sketches: Vec<QuantileSketch>,
    deals: Vec<DealCounts>,
    work: u64,
    /// Without a matrix: the column statistics of the paths this worker
    /// ran, and the buffer of one path's values for them.
    stream: Option<ColumnStats>,
    stream_buf: Vec<f64>,
}

impl Worker {
    fn new(scn: &Scenario, layout: &Layout, keep_paths: bool) -> Worker {
        let h = scn.horizon_steps();
        Worker {
            market: MarketPath {
                z: Vec::with_capacity(h),
                year_factor: Vec::with_capacity(h),
                regime: Vec::with_capacity(h),
            },
            workspaces: scn.vehicles.iter().map(|v| v.workspace(h)).collect(),
            series_buf: vec![0.0; layout.series_names.len() * h],
            sketches: vec![QuantileSketch::new(SKETCH_ALPHA); layout.series_names.len() * h],
            deals: vec![DealCounts::default(); scn.vehicles.len()],
            work: 0,
            stream: (!keep_paths).then(|| ColumnStats::new(layout.stream_width())),
            stream_buf: Vec::with_capacity(if keep_paths { 0 } else { layout.stream_width() }),
        }
    }

    fn tally(self) -> Tally {
        Tally { sketches: self.sketches, deals: self.deals, work: self.work }
    }

    fn merge(mut self, other: Worker) -> Worker {
        for (a, b) in self.sketches.iter_mut().zip(&other.sketches) {
            a.merge(b);
        }
        for (a, b) in self.deals.iter_mut().zip(&other.deals) {
            a.merge(b);
        }
        self.work += other.work;
        if let (Some(a), Some(b)) = (&mut self.stream, &other.stream) {
            a.merge(b);
        }
        self
    }

    /// Simulate path `path`, writing its metrics into `row` and its fiscal
    /// outlay by year into `budget`; with `share`, the vehicles it does not
    /// simulate are copied from the base run (whose row `path - first` is
    /// this path). Without a matrix, the path's values are folded into the
    /// worker's column statistics. With `done` (a lockstep run,
    /// `run_many`), the market is already in `self.market` and the
    /// vehicles marked done are already simulated into `row`, the series
    /// and their workspaces.
    #[allow(clippy::too_many_arguments)]
    fn path(
        &mut self,
        scn: &Scenario,
        layout: &Layout,
        path: u64,
        row: &mut [f64],
        budget: &mut [f64],
        share: Option<&Share<'_>>,
        done: Option<&[bool]>,
    ) {
        let h = scn.horizon_steps();
        if done.is_none() {
            self.market.simulate(&scn.market, h, scn.steps_per_year, &mut stream(scn.seed, path, MARKET));
        }
        let key = path_key(scn.seed, path);
        let p = share.map_or(0, |s| (path - s.first) as usize);
        let base_row = share.map(|s| s.base.matrix.row(p));
        // A NaN in a copied value that enters the totals (a column, or a
        // year of the budget) may stand for an infinity that the totals
        // would have seen: simulate the whole path.
        let share = share.filter(|s| {
            !s.checked.iter().any(|&c| s.base.matrix[[p, c]].is_nan())
                && !s.checked_budget.iter().any(|&c| s.base.budget.matrix[[p, c]].is_nan())
        });
        for (i, v) in scn.vehicles.iter().enumerate() {
            let cols = layout.offsets[i]..layout.offsets[i] + v.metrics().len();
            if let (Some(s), Some(base_row)) = (share, &base_row)
                && !s.simulate[i]
            {
                for c in cols {
                    row[c] = base_row[c];
                }
                continue;
            }
            if done.is_some_and(|d| d[i]) {
                continue;
            }
            let s0 = layout.series_offsets[i] * h;
            let series = &mut self.series_buf[s0..s0 + v.series().len() * h];
            // Vehicles run in scenario order; each sees the workspaces of
            // those before it on this path (an S fund its seller's).
            let (earlier, rest) = self.workspaces.split_at_mut(i);
            let ctx = PathContext { path_key: key, market: &self.market, model: &scn.company_model, earlier };
            self.work += v.simulate(&ctx, &mut rest[0], &mut row[cols], series, &mut self.deals[i]);
        }
        // The budget: each vehicle's dated outlays by calendar year (step t
        // falls in year t / steps_per_year), then their sum in vehicle order.
        budget.fill(0.0);
        let (years, k) = (layout.years, scn.steps_per_year as usize);
        let total = (layout.budget_groups.len() - 1) * years;
        for (i, v) in scn.vehicles.iter().enumerate() {
            let Some(g) = layout.budget_group[i] else { continue };
            if let Some(s) = share
                && !s.simulate[i]
            {
                let own = g * years..(g + 1) * years;
                budget[own.clone()].copy_from_slice(&s.base.budget.matrix.row(p).as_slice().expect("row-major")[own]);
                continue;
            }
            for (t, &x) in v.fiscal_flows(&self.workspaces[i]).iter().take(years * k).enumerate() {
                budget[g * years + t / k] += x;
            }
        }
        for g in 0..layout.budget_groups.len() - 1 {
            for y in 0..years {
                budget[total + y] += budget[g * years + y];
            }
        }
        // Totals, summed in the fixed order of the vehicles.
        let (mut fiscal, mut nominal, mut private, mut credit, mut firms) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for role in &layout.fiscal {
            fiscal += role.fiscal_cost.map_or(0.0, |c| row[c]);
            nominal += role.fiscal_cost_nominal.map_or(0.0, |c| row[c]);
            private += role.private_capital.map_or(0.0, |c| row[c]);
            credit += role.credit.value(row);
            firms += role.firms.value(row);
        }
        let per_fiscal = |x: f64| if fiscal > 0.0 { x / fiscal } else { f64::NAN };
        let totals =
            [fiscal, private, credit, firms, per_fiscal(private), per_fiscal(credit), per_fiscal(firms), nominal];
        row[layout.totals..].copy_from_slice(&totals);
        // A metric that overflowed (an amount beyond f64, a ratio over a
        // zero denominator) is undefined in this path, like an IRR with no
        // root: NaN, an empty cell counted in `undefined_share`, never an
        // infinity that statistics and charts would have to survive.
        for x in row.iter_mut().chain(budget.iter_mut()) {
            if !x.is_finite() {
                *x = f64::NAN;
            }
        }
        for (sketch, &x) in self.sketches.iter_mut().zip(&self.series_buf) {
            sketch.add(x);
        }
        if let Some(stream) = &mut self.stream {
            self.stream_buf.clear();
            self.stream_buf.extend_from_slice(row);
            self.stream_buf.extend_from_slice(budget);
            layout.fiscal_plan.stream_values(row, &mut self.stream_buf);
            stream.add_row(&self.stream_buf);
        }
    }
}

/// What a variant shares with its base run (`run_from`).
struct Share<'a> {
    base: &'a Results,
    /// The path of the base's first row (a shard's first path).
    first: u64,
    /// Vehicles simulated on each path; the others are copied.
    simulate: Vec<bool>,
    /// The copied columns that enter the totals, and the copied budget
    /// cells.
    checked: Vec<usize>,
    checked_budget: Vec<usize>,
}

impl<'a> Share<'a> {
    /// The vehicles `scn` must simulate when `base` (with results `r`) has
    /// the same economy: those whose resolved table differs, those that
    /// read an earlier vehicle that is re-simulated (an S fund whose seller
    /// changed), and the earlier vehicles such a reader needs on the path.
    /// `None` when the economy differs (then nothing can be shared); with
    /// every vehicle simulated, only the economy is shared (a lockstep run
    /// shares it, `run_many`).
    fn new(
        scn: &Scenario,
        base: &Scenario,
        r: &'a Results,
        (first, paths): (u64, u64),
        layout: &Layout,
    ) -> Option<Share<'a>> {
        let (a, b) = (&scn.fingerprint, &base.fingerprint);
        let same_economy = !a.shared.is_empty() && a.shared == b.shared;
        let same_vehicles = a.vehicles.len() == scn.vehicles.len()
            && a.vehicles.iter().map(|(n, _)| n).eq(b.vehicles.iter().map(|(n, _)| n))
            && scn.vehicles.iter().map(|v| &v.name).eq(a.vehicles.iter().map(|(n, _)| n));
        if !same_economy
            || !same_vehicles
            || r.stream.is_some()
            || r.matrix.nrows() != paths as usize
            || r.columns != layout.columns
            || r.budget.groups != layout.budget_groups
            || r.budget.years != layout.years
        {
            return None;
        }
        let n = scn.vehicles.len();
        let mut rerun = vec![false; n];
        for i in 0..n {
            rerun[i] = a.vehicles[i].1 != b.vehicles[i].1
                || (scn.vehicles[i].reads_earlier() && rerun[..i].iter().any(|&x| x));
        }
        let mut simulate = rerun.clone();
        for k in 0..n {
            if rerun[k] && scn.vehicles[k].reads_earlier() {
                simulate[..k].iter_mut().for_each(|x| *x = true);
            }
        }
        let mut checked = Vec::new();
        for (i, role) in layout.fiscal.iter().enumerate() {
            if !simulate[i] {
                checked.extend(role.fiscal_cost.into_iter().chain(role.private_capital));
                for amount in [role.credit, role.firms] {
                    if let crate::vehicles::Amount::Column(c) = amount {
                        checked.push(c);
                    }
                }
            }
        }
        let mut checked_budget = Vec::new();
        for (i, g) in layout.budget_group.iter().enumerate() {
            if let (false, Some(g)) = (simulate[i], g) {
                checked_budget.extend(g * layout.years..(g + 1) * layout.years);
            }
        }
        Some(Share { base: r, first, simulate, checked, checked_budget })
    }
}

/// The number of per-path values (result columns and budget cells) and of
/// per-step series of a scenario (for the memory estimate of `limits`).
pub fn shape(scn: &Scenario) -> (usize, usize) {
    let layout = Layout::new(scn);
    (layout.columns.len() + layout.budget_cells(), layout.series_names.len())
}

/// The result column of `vehicle.metric` in a run of `scn`.
pub(crate) fn column_index(scn: &Scenario, vehicle: &str, metric: &str) -> Option<usize> {
    Layout::new(scn).columns.iter().position(|c| c.vehicle == vehicle && c.metric == metric)
}

/// Values per path a run without a matrix accumulates (`Results::stream`).
pub fn stream_width(scn: &Scenario) -> usize {
    Layout::new(scn).stream_width()
}

/// Simulate `paths` paths of the scenario on `threads` threads (0: all
/// cores; never more than there are blocks of paths, as idle workers would
/// only cost their start-up). `progress` is called with the number of paths
/// finished so far (from worker threads, roughly every block).
pub fn run(scn: &Scenario, paths: u64, threads: usize, progress: &(dyn Fn(u64) + Sync)) -> Results {
    run_range(scn, (0, paths), threads, true, progress, None)
}

/// `run` for a sweep variant or sensitivity case `scn` of the base run
/// `base` (same paths): where the two share their economy, the vehicles
/// whose tables are the same are not simulated again but copied from
/// `base` path by path, with their series and deal counts. The results
/// are those of `run` bit for bit (tested for every shipped sweep and
/// sensitivity case); where nothing can be shared it is `run`.
pub fn run_from(
    scn: &Scenario,
    paths: u64,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    base: (&Scenario, &Results),
) -> Results {
    run_range(scn, (0, paths), threads, true, progress, Some(base))
}

/// As [`run`] (or [`run_from`] with `base`, whose results cover the same
/// paths), for the `paths` paths numbered `first..first + paths` (one
/// shard of a run, `--shard K/N`): row i of the matrix is path `first + i`,
/// with the very numbers it has in a run of all the paths, since a path's
/// random numbers depend only on (seed, path, component).
///
/// `keep_paths: false` (`--no-paths`): no matrices; each path's values are
/// folded into exact column moments and sketches (`Results::stream`) and
/// memory does not grow with `paths`. Nothing is shared then.
pub fn run_range(
    scn: &Scenario,
    (first, paths): (u64, u64),
    threads: usize,
    keep_paths: bool,
    progress: &(dyn Fn(u64) + Sync),
    base: Option<(&Scenario, &Results)>,
) -> Results {
    let layout = Layout::new(scn);
    let share = base
        .filter(|_| keep_paths)
        .and_then(|(b, r)| Share::new(scn, b, r, (first, paths), &layout))
        .filter(|s| s.simulate.contains(&false));
    let threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let threads = crate::limits::effective_threads(threads, paths);
    let ncols = layout.columns.len();
    // Never empty: the budget always has its `total` group.
    let nbudget = layout.budget_cells();
    let rows = if keep_paths { paths as usize } else { 0 };
    let mut data = vec![0.0f64; rows * ncols];
    let mut budget = vec![0.0f64; rows * nbudget];
    let blocks = paths.div_ceil(BLOCK as u64);
    let done = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    // One worker (buffers, sketches, counters) per thread, each taking the
    // next block from a shared queue until none is left. A fold over rayon's
    // adaptive splits would build a worker per split instead, and with many
    // threads hundreds of them (each with a full set of sketches) lived at
    // once and were merged at the end. Without a matrix, a worker writes
    // each block's rows into its own scratch rows instead.
    let queue = Mutex::new((0u64, data.chunks_mut(BLOCK * ncols).zip(budget.chunks_mut(BLOCK * nbudget))));
    let workers = pool.broadcast(|_| {
        let mut w = Worker::new(scn, &layout, keep_paths);
        let mut scratch = if keep_paths { (Vec::new(), Vec::new()) } else { (vec![0.0; ncols], vec![0.0; nbudget]) };
        loop {
            // The lock is held only to take the next block.
            let next = {
                let mut q = queue.lock().expect("block queue");
                let block = q.0;
                q.0 += 1;
                (block < blocks).then(|| (block, q.1.next()))
            };
            let Some((block, chunk)) = next else { break };
            let n = (paths - block * BLOCK as u64).min(BLOCK as u64);
            let path0 = first + block * BLOCK as u64;
            match chunk {
                Some((rows, budget)) => {
                    for (i, (row, budget)) in rows.chunks_mut(ncols).zip(budget.chunks_mut(nbudget)).enumerate() {
                        w.path(scn, &layout, path0 + i as u64, row, budget, share.as_ref(), None);
                    }
                }
                None => {
                    for i in 0..n {
                        w.path(scn, &layout, path0 + i, &mut scratch.0, &mut scratch.1, None, None);
                    }
                }
            }
            progress(done.fetch_add(n, Ordering::Relaxed) + n);
        }
        w
    });
    // Integer counts and exact sums: the merge order does not matter
    // (thread order here).
    let worker = workers.into_iter().reduce(Worker::merge).expect("at least one thread");
    let mut parts = Parts {
        data,
        budget,
        sketches: worker.sketches,
        deals: worker.deals,
        work: worker.work,
        stream: worker.stream,
    };
    if let Some(share) = &share {
        copy_shared(scn, &layout, share, &mut parts);
    }
    assemble(scn, layout, rows, parts)
}

/// The vehicles a variant did not simulate: their series and deals are
/// the base's.
fn copy_shared(scn: &Scenario, layout: &Layout, share: &Share<'_>, parts: &mut Parts) {
    let h = scn.horizon_steps();
    for (i, v) in scn.vehicles.iter().enumerate() {
        if !share.simulate[i] {
            let s0 = layout.series_offsets[i];
            let steps = s0 * h..(s0 + v.series().len()) * h;
            let base_steps = share.base.series[s0..s0 + v.series().len()].iter().flat_map(|s| &s.steps);
            parts.sketches[steps].clone_from_slice(&base_steps.cloned().collect::<Vec<_>>());
            parts.deals[i] = share.base.deals[i].1.clone();
        }
    }
}

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

/// The raw parts of a run's results (or of several shards' results put
/// together in path order): the row-major result matrix and budget
/// matrix, one sketch per series and step (series-major), one deal count
/// per vehicle, the work done, and the column statistics of a run without
/// matrices.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub data: Vec<f64>,
    pub budget: Vec<f64>,
    pub sketches: Vec<QuantileSketch>,
    pub deals: Vec<DealCounts>,
    pub work: u64,
    pub stream: Option<ColumnStats>,
}

/// What a shard file must hold for a run of `scn`: result columns and
/// budget cells per path, sketches, deal counts, and the width of the
/// column statistics of a run without matrices.
pub(crate) struct PartShape {
    pub columns: usize,
    pub budget: usize,
    pub sketches: usize,
    pub vehicles: usize,
    pub stream: usize,
}

pub(crate) fn part_shape(scn: &Scenario) -> PartShape {
    let layout = Layout::new(scn);
    PartShape {
        columns: layout.columns.len(),
        budget: layout.budget_cells(),
        sketches: layout.series_names.len() * scn.horizon_steps(),
        vehicles: scn.vehicles.len(),
        stream: layout.stream_width(),
    }
}

/// `Results` of `paths` rows (0 with column statistics instead) from
/// parts of the shape [`part_shape`] gives (`None` when they do not have it).
pub(crate) fn results_from_parts(scn: &Scenario, paths: usize, parts: Parts) -> Option<Results> {
    let shape = part_shape(scn);
    let paths = if parts.stream.is_some() { 0 } else { paths };
    // A run's own statistics, and paired differences after them (`paired`).
    let stream_ok = parts.stream.as_ref().is_none_or(|s| s.width() >= shape.stream);
    let shaped = stream_ok
        && Some(parts.data.len()) == paths.checked_mul(shape.columns)
        && Some(parts.budget.len()) == paths.checked_mul(shape.budget)
        && parts.sketches.len() == shape.sketches
        && parts.deals.len() == shape.vehicles;
    shaped.then(|| assemble(scn, Layout::new(scn), paths, parts))
}

fn assemble(scn: &Scenario, layout: Layout, paths: usize, parts: Parts) -> Results {
    let h = scn.horizon_steps();
    let ncols = layout.columns.len();
    let nbudget = layout.budget_cells();
    let mut sketches = parts.sketches.into_iter();
    let series = layout
        .series_names
        .iter()
        .map(|(vehicle, metric)| Series {
            vehicle: vehicle.clone(),
            metric: metric.clone(),
            steps: sketches.by_ref().take(h).collect(),
        })
        .collect();
    let deals = scn.vehicles.iter().map(|v| v.name.clone()).zip(parts.deals).collect();
    let matrix = Array2::from_shape_vec((paths, ncols), parts.data).expect("matrix shape");
    let budget = Budget {
        matrix: Array2::from_shape_vec((paths, nbudget), parts.budget).expect("budget shape"),
        groups: layout.budget_groups,
        years: layout.years,
    };
    Results { columns: layout.columns, matrix, stream: parts.stream, series, deals, work: parts.work, budget }
}
