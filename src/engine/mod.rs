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
//! (`vehicles::loan_program::lockstep`; the pass itself is in
//! `engine/lockstep.rs`). `engine/parts.rs` holds the raw parts of a
//! run's results and their assembly, which shards and MPI reuse.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::Array2;

mod lockstep;
mod parts;

pub use lockstep::{
    Batch, Bound, LOCKSTEP_BATCH, LOCKSTEP_BYTES, lockstep_batch_len, lockstep_bytes_bound, lockstep_count, run_batch,
    run_many, run_with_base,
};
use parts::assemble;
pub(crate) use parts::{Parts, part_shape, results_from_parts};

use crate::model::market::MarketPath;
use crate::output::fiscal::FiscalPlan;
use crate::rng::{MARKET, path_key, stream};
use crate::scenario::Scenario;
use crate::stats::sketch::QuantileSketch;
use crate::stats::stream::ColumnStats;
use crate::vehicles::catalogue::{self, MetricKind, Unit};
use crate::vehicles::equity::DealCounts;
use crate::vehicles::{FiscalRole, PathContext, Workspace};

/// Paths per block of work.
pub(crate) const BLOCK: usize = 64;

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
    /// Whether the per-step series go into the sketches (a lockstep
    /// variant whose series nothing writes skips them, `run_with_base`).
    summarise: bool,
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
            summarise: true,
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
    /// outlay by year into `budget`; with `share` (and the base run's row
    /// and budget row of this path), the vehicles it does not simulate are
    /// copied from the base run, and their series are not summarised (the
    /// base's replace them, `copy_shared`). Without a matrix, the path's
    /// values are folded into the worker's column statistics. With `done`
    /// (a lockstep run, `run_many`), the market is already in
    /// `self.market` and the vehicles marked done are already simulated
    /// into `row`, the series and their workspaces.
    #[allow(clippy::too_many_arguments)]
    fn path(
        &mut self,
        scn: &Scenario,
        layout: &Layout,
        path: u64,
        row: &mut [f64],
        budget: &mut [f64],
        share: Option<(&Share, &[f64], &[f64])>,
        done: Option<&[bool]>,
    ) {
        let h = scn.horizon_steps();
        if done.is_none() {
            self.market.simulate(&scn.market, h, scn.steps_per_year, &mut stream(scn.seed, path, MARKET));
        }
        let key = path_key(scn.seed, path);
        // The series of the vehicles copied from the base are the base's.
        let copied = |i: usize| share.is_some_and(|(s, _, _)| !s.simulate[i]);
        // A NaN in a copied value that enters the totals (a column, or a
        // year of the budget) may stand for an infinity that the totals
        // would have seen: simulate the whole path.
        let share = share.filter(|(s, base_row, base_budget)| {
            !s.checked.iter().any(|&c| base_row[c].is_nan())
                && !s.checked_budget.iter().any(|&c| base_budget[c].is_nan())
        });
        for (i, v) in scn.vehicles.iter().enumerate() {
            let cols = layout.offsets[i]..layout.offsets[i] + v.metrics().len();
            if let Some((s, base_row, _)) = share
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
            if let Some((s, _, base_budget)) = share
                && !s.simulate[i]
            {
                let own = g * years..(g + 1) * years;
                budget[own.clone()].copy_from_slice(&base_budget[own]);
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
        for (i, v) in scn.vehicles.iter().enumerate() {
            if copied(i) || !self.summarise {
                continue;
            }
            let steps = layout.series_offsets[i] * h..(layout.series_offsets[i] + v.series().len()) * h;
            for (sketch, &x) in self.sketches[steps.clone()].iter_mut().zip(&self.series_buf[steps]) {
                sketch.add(x);
            }
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

/// What a variant shares with its base run (`run_from`, `run_many`): the
/// base's rows come with each path (`Worker::path`), its series and deals
/// at assembly (`copy_shared`).
struct Share {
    /// Vehicles simulated on each path; the others are copied.
    simulate: Vec<bool>,
    /// The copied columns that enter the totals, and the copied budget
    /// cells.
    checked: Vec<usize>,
    checked_budget: Vec<usize>,
}

impl Share {
    /// The vehicles `scn` (with layout `layout`) must simulate when `base`
    /// (with layout `base_layout`) has the same economy: those whose
    /// resolved table differs, those that read an earlier vehicle that is
    /// re-simulated (an S fund whose seller changed), and the earlier
    /// vehicles such a reader needs on the path. `None` when the economy
    /// differs (then nothing can be shared); with every vehicle simulated,
    /// only the economy is shared (a lockstep run shares it, `run_many`).
    fn new(scn: &Scenario, layout: &Layout, base: &Scenario, base_layout: &Layout) -> Option<Share> {
        let (a, b) = (&scn.fingerprint, &base.fingerprint);
        let same_economy = !a.shared.is_empty() && a.shared == b.shared;
        let same_vehicles = a.vehicles.len() == scn.vehicles.len()
            && a.vehicles.iter().map(|(n, _)| n).eq(b.vehicles.iter().map(|(n, _)| n))
            && scn.vehicles.iter().map(|v| &v.name).eq(a.vehicles.iter().map(|(n, _)| n));
        if !same_economy
            || !same_vehicles
            || base_layout.columns != layout.columns
            || base_layout.budget_groups != layout.budget_groups
            || base_layout.years != layout.years
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
        Some(Share { simulate, checked, checked_budget })
    }

    /// Every vehicle simulated, nothing copied (the base run itself when
    /// it runs in a lockstep pass, `run_with_base`).
    fn none(vehicles: usize) -> Share {
        Share { simulate: vec![true; vehicles], checked: Vec::new(), checked_budget: Vec::new() }
    }

    /// The result columns and budget cells a run with this share computes
    /// itself (those of the vehicles it simulates, the totals and the
    /// budget's total); the others are the base's on every path.
    fn own(&self, layout: &Layout, scn: &Scenario) -> (Vec<usize>, Vec<usize>) {
        let mut cols = Vec::new();
        for (i, v) in scn.vehicles.iter().enumerate() {
            if self.simulate[i] {
                cols.extend(layout.offsets[i]..layout.offsets[i] + v.metrics().len());
            }
        }
        cols.extend(layout.totals..layout.columns.len());
        let mut cells = Vec::new();
        let total = layout.budget_groups.len() - 1;
        for (i, g) in layout.budget_group.iter().enumerate() {
            if let (true, Some(g)) = (self.simulate[i], g) {
                cells.extend(g * layout.years..(g + 1) * layout.years);
            }
        }
        cells.extend(total * layout.years..(total + 1) * layout.years);
        (cols, cells)
    }
}

/// Whether `r` can be a base run of a run of `paths` paths from its first
/// with layout `layout`: a matrix of those paths, of the same columns.
fn base_fits(r: &Results, paths: u64, layout: &Layout) -> bool {
    r.stream.is_none()
        && r.matrix.nrows() == paths as usize
        && r.columns == layout.columns
        && r.budget.groups == layout.budget_groups
        && r.budget.years == layout.years
}

/// Row `p` of the base run's result and budget matrices.
fn base_rows(r: &Results, p: usize) -> (&[f64], &[f64]) {
    fn row(m: &Array2<f64>, p: usize) -> &[f64] {
        let n = m.ncols();
        &m.as_slice().expect("row-major")[p * n..(p + 1) * n]
    }
    (row(&r.matrix, p), row(&r.budget.matrix, p))
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
    range: (u64, u64),
    threads: usize,
    keep_paths: bool,
    progress: &(dyn Fn(u64) + Sync),
    base: Option<(&Scenario, &Results)>,
) -> Results {
    run_range_series(scn, range, threads, keep_paths, progress, base, true)
}

/// `run_range`; `series: false` (a sweep variant whose series nothing
/// writes, `run_batch`): the per-step series are not summarised and every
/// sketch of the results is empty.
fn run_range_series(
    scn: &Scenario,
    (first, paths): (u64, u64),
    threads: usize,
    keep_paths: bool,
    progress: &(dyn Fn(u64) + Sync),
    base: Option<(&Scenario, &Results)>,
    series: bool,
) -> Results {
    let layout = Layout::new(scn);
    let share = base
        .filter(|(_, r)| keep_paths && base_fits(r, paths, &layout))
        .and_then(|(b, r)| Share::new(scn, &layout, b, &Layout::new(b)).map(|s| (s, r)))
        .filter(|(s, _)| s.simulate.contains(&false));
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
        w.summarise = series;
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
                        let p = (block * BLOCK as u64) as usize + i;
                        let share = share.as_ref().map(|(s, r)| {
                            let (base_row, base_budget) = base_rows(r, p);
                            (s, base_row, base_budget)
                        });
                        w.path(scn, &layout, path0 + i as u64, row, budget, share, None);
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
    if let Some((share, r)) = &share {
        copy_shared(scn, &layout, share, r, &mut parts, series);
    }
    assemble(scn, layout, rows, parts)
}

/// The vehicles a variant did not simulate: their deals are the base's,
/// and their series too when the variant's are summarised (`series`).
fn copy_shared(scn: &Scenario, layout: &Layout, share: &Share, base: &Results, parts: &mut Parts, series: bool) {
    let h = scn.horizon_steps();
    for (i, v) in scn.vehicles.iter().enumerate() {
        if !share.simulate[i] {
            parts.deals[i] = base.deals[i].1.clone();
            if !series {
                // A variant whose series were not summarised (`Worker`)
                // keeps them all empty.
                continue;
            }
            let s0 = layout.series_offsets[i];
            let steps = s0 * h..(s0 + v.series().len()) * h;
            let base_steps = base.series[s0..s0 + v.series().len()].iter().flat_map(|s| &s.steps);
            for (sketch, b) in parts.sketches[steps].iter_mut().zip(base_steps) {
                sketch.clone_from(b);
            }
        }
    }
}
