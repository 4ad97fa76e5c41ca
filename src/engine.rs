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

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::Array2;

use crate::model::market::MarketPath;
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

/// What a run produces before it is summarised and written.
#[derive(Debug, Clone)]
pub struct Results {
    pub columns: Vec<Column>,
    /// paths × columns, row i is path i; no rows when the run keeps no
    /// per-path matrix (`stream`).
    pub matrix: Array2<f64>,
    /// `--no-paths`: each column's exact moments and quantile sketch,
    /// accumulated path by path instead of the matrix.
    pub stream: Option<ColumnStats>,
    pub series: Vec<Series>,
    /// Deal outcome counts per vehicle (name, kind, counts).
    pub deals: Vec<(String, DealCounts)>,
    /// Company-steps and loan-steps simulated, all vehicles.
    pub work: u64,
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
}

impl Layout {
    fn new(scn: &Scenario) -> Layout {
        let mut columns = Vec::new();
        let mut offsets = Vec::new();
        let mut fiscal = Vec::new();
        let mut series_offsets = Vec::new();
        let mut series_names = Vec::new();
        for v in &scn.vehicles {
            offsets.push(columns.len());
            let at = columns.len();
            let role = v.fiscal_role();
            fiscal.push(FiscalRole {
                fiscal_cost: role.fiscal_cost.map(|c| at + c),
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
        Layout { columns, offsets, fiscal, totals, series_offsets, series_names }
    }
}

/// Per-worker state: reusable buffers plus integer-count accumulators.
struct Worker {
    market: MarketPath,
    workspaces: Vec<Workspace>,
    series_buf: Vec<f64>,
    sketches: Vec<QuantileSketch>,
    deals: Vec<DealCounts>,
    work: u64,
    /// Without a matrix: the column statistics of the paths this worker ran.
    stream: Option<ColumnStats>,
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
            stream: (!keep_paths).then(|| ColumnStats::new(layout.columns.len())),
        }
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

    /// Simulate path `path`, writing its metrics into `row`.
    fn path(&mut self, scn: &Scenario, layout: &Layout, path: u64, row: &mut [f64]) {
        let h = scn.horizon_steps();
        self.market.simulate(&scn.market, h, scn.steps_per_year, &mut stream(scn.seed, path, MARKET));
        let key = path_key(scn.seed, path);
        for (i, v) in scn.vehicles.iter().enumerate() {
            let cols = layout.offsets[i]..layout.offsets[i] + v.metrics().len();
            let s0 = layout.series_offsets[i] * h;
            let series = &mut self.series_buf[s0..s0 + v.series().len() * h];
            // Vehicles run in scenario order; each sees the workspaces of
            // those before it on this path (an S fund its seller's).
            let (earlier, rest) = self.workspaces.split_at_mut(i);
            let ctx = PathContext { path_key: key, market: &self.market, model: &scn.company_model, earlier };
            self.work += v.simulate(&ctx, &mut rest[0], &mut row[cols], series, &mut self.deals[i]);
        }
        // Totals, summed in the fixed order of the vehicles.
        let (mut fiscal, mut private, mut credit, mut firms) = (0.0, 0.0, 0.0, 0.0);
        for role in &layout.fiscal {
            fiscal += role.fiscal_cost.map_or(0.0, |c| row[c]);
            private += role.private_capital.map_or(0.0, |c| row[c]);
            credit += role.credit.value(row);
            firms += role.firms.value(row);
        }
        let per_fiscal = |x: f64| if fiscal > 0.0 { x / fiscal } else { f64::NAN };
        let totals = [fiscal, private, credit, firms, per_fiscal(private), per_fiscal(credit), per_fiscal(firms)];
        row[layout.totals..].copy_from_slice(&totals);
        // A metric that overflowed (an amount beyond f64, a ratio over a
        // zero denominator) is undefined in this path, like an IRR with no
        // root: NaN, an empty cell counted in `undefined_share`, never an
        // infinity that statistics and charts would have to survive.
        for x in row.iter_mut() {
            if !x.is_finite() {
                *x = f64::NAN;
            }
        }
        for (sketch, &x) in self.sketches.iter_mut().zip(&self.series_buf) {
            sketch.add(x);
        }
        if let Some(stream) = &mut self.stream {
            stream.add_row(row);
        }
    }
}

/// The number of result columns and of per-step series of a scenario (for
/// the memory estimate of `limits`).
pub fn shape(scn: &Scenario) -> (usize, usize) {
    let layout = Layout::new(scn);
    (layout.columns.len(), layout.series_names.len())
}

/// Simulate `paths` paths of the scenario on `threads` threads (0: all
/// cores; never more than there are blocks of paths, as idle workers would
/// only cost their start-up). `progress` is called with the number of paths
/// finished so far (from worker threads, roughly every block).
pub fn run(scn: &Scenario, paths: u64, threads: usize, progress: &(dyn Fn(u64) + Sync)) -> Results {
    run_range(scn, 0, paths, threads, true, progress)
}

/// As [`run`], for the `paths` paths numbered `first..first + paths` (one
/// shard of a run, `--shard K/N`): row i of the matrix is path `first + i`,
/// with the very numbers it has in a run of all the paths, since a path's
/// random numbers depend only on (seed, path, component).
///
/// `keep_paths: false` (`--no-paths`): no matrix; each path's row is
/// folded into exact column moments and sketches (`Results::stream`) and
/// memory does not grow with `paths`.
pub fn run_range(
    scn: &Scenario,
    first: u64,
    paths: u64,
    threads: usize,
    keep_paths: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Results {
    let threads = if threads == 0 { rayon::current_num_threads() } else { threads };
    let threads = crate::limits::effective_threads(threads, paths);
    let layout = Layout::new(scn);
    let ncols = layout.columns.len();
    let rows = if keep_paths { paths as usize } else { 0 };
    let mut data = vec![0.0f64; rows * ncols];
    let blocks = paths.div_ceil(BLOCK as u64);
    let done = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    // One worker (buffers, sketches, counters) per thread, each taking the
    // next block from a shared queue until none is left. A fold over rayon's
    // adaptive splits would build a worker per split instead, and with many
    // threads hundreds of them (each with a full set of sketches) lived at
    // once and were merged at the end.
    // Without a matrix, a worker writes each block's rows into its own
    // scratch rows instead.
    let queue = Mutex::new((0u64, data.chunks_mut(BLOCK * ncols)));
    let workers = pool.broadcast(|_| {
        let mut w = Worker::new(scn, &layout, keep_paths);
        let mut scratch = if keep_paths { Vec::new() } else { vec![0.0; BLOCK * ncols] };
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
            let rows = match chunk {
                Some(rows) => rows,
                None => &mut scratch[..n as usize * ncols],
            };
            for (i, row) in rows.chunks_mut(ncols).enumerate() {
                w.path(scn, &layout, first + block * BLOCK as u64 + i as u64, row);
            }
            progress(done.fetch_add(n, Ordering::Relaxed) + n);
        }
        w
    });
    // Integer counts and exact sums: the merge order does not matter
    // (thread order here).
    let worker = workers.into_iter().reduce(Worker::merge).expect("at least one thread");
    let parts =
        Parts { data, sketches: worker.sketches, deals: worker.deals, work: worker.work, stream: worker.stream };
    assemble(scn, layout, rows, parts)
}

/// The raw parts of a run's results (or of several shards' results put
/// together in path order): the row-major matrix, one sketch per series
/// and step (series-major), one deal count per vehicle, the work done.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub data: Vec<f64>,
    pub sketches: Vec<QuantileSketch>,
    pub deals: Vec<DealCounts>,
    pub work: u64,
    pub stream: Option<ColumnStats>,
}

/// The number of result columns, of sketches and of deal counts a run of
/// `scn` has (what a shard file must hold per path and per run).
pub(crate) fn part_shape(scn: &Scenario) -> (usize, usize, usize) {
    let layout = Layout::new(scn);
    (layout.columns.len(), layout.series_names.len() * scn.horizon_steps(), scn.vehicles.len())
}

/// `Results` of `paths` rows (0 with column statistics instead) from
/// parts of the shape [`part_shape`] gives (`None` when they do not have it).
pub(crate) fn results_from_parts(scn: &Scenario, paths: usize, parts: Parts) -> Option<Results> {
    let (ncols, nsketches, nvehicles) = part_shape(scn);
    let paths = if parts.stream.is_some() { 0 } else { paths };
    let stream_ok = parts.stream.as_ref().is_none_or(|s| s.moments.len() == ncols && s.sketches.len() == ncols);
    let shaped = stream_ok
        && Some(parts.data.len()) == paths.checked_mul(ncols)
        && parts.sketches.len() == nsketches
        && parts.deals.len() == nvehicles;
    shaped.then(|| assemble(scn, Layout::new(scn), paths, parts))
}

fn assemble(scn: &Scenario, layout: Layout, paths: usize, parts: Parts) -> Results {
    let ncols = layout.columns.len();
    let h = scn.horizon_steps();
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
    Results { columns: layout.columns, matrix, series, deals, work: parts.work, stream: parts.stream }
}
