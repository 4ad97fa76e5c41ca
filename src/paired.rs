//! Sweeps and sensitivity tables without a per-path matrix (`--no-paths`
//! on a scenario with `[[sweep]]` or `[sensitivity]`): the paths are run in
//! chunks, every simulation of the run on the same chunk (a variant or
//! case copying what it shares with the base, `engine::run_from`), and
//! each chunk's rows are folded into exact column sums and sketches
//! (`stats::stream`) before the next chunk starts. Memory holds three
//! chunks' matrices at most, whatever the number of paths.
//!
//! Between the engine and the output stage. The paired differences the
//! tables need are accumulated the same way, as extra columns of a
//! simulation's column statistics, after its own (`Plan::paired_columns`
//! says how many):
//! - a sweep variant: for every result column j, `x_j - base_j`;
//! - a sensitivity lever's low case: `low_t - base_t` of the target t;
//! - its high case: `high_t - base_t`, then `high_t - low_t`.
//!
//! A difference is NaN where either value is, as in `sweep::difference`.
//! The sums are exact and the sketches integer counts, so the results do
//! not depend on the chunk size, the thread count, shards or ranks: a
//! shard runs its paths in the same chunks and its part files carry these
//! statistics like any others.

use ndarray::Array2;

use crate::engine::{self, Results};
use crate::output::fiscal::FiscalPlan;
use crate::run::Plan;
use crate::scenario::Scenario;
use crate::stats::stream::ColumnStats;

/// Paths per chunk (a multiple of the engine's block; more with many
/// threads so that each has blocks to take).
pub(crate) fn chunk(threads: usize) -> u64 {
    (8192u64).max(threads as u64 * 64 * 8)
}

/// One simulation's accumulated results.
struct Acc {
    stats: ColumnStats,
    /// The first chunk's results without their rows (layout, series,
    /// deals), the later chunks' series and deals merged in.
    first: Option<Results>,
    fiscal: Option<FiscalPlan>,
}

impl Acc {
    fn new(scn: &Scenario, extra: usize) -> Acc {
        Acc { stats: ColumnStats::new(engine::stream_width(scn) + extra), first: None, fiscal: None }
    }

    /// Fold chunk `r`'s rows in, each followed by the values `extra(r, i)`
    /// appends (the paired differences of row i).
    fn add(&mut self, scn: &Scenario, mut r: Results, extra: &dyn Fn(&Results, usize, &mut Vec<f64>)) {
        let fiscal = self.fiscal.get_or_insert_with(|| FiscalPlan::new(scn, &r.columns));
        let mut buf = Vec::with_capacity(self.stats.width());
        for (i, (row, budget)) in r.matrix.rows().into_iter().zip(r.budget.matrix.rows()).enumerate() {
            buf.clear();
            let row = row.as_slice().expect("row-major matrix");
            buf.extend_from_slice(row);
            buf.extend(budget.iter());
            fiscal.stream_values(row, &mut buf);
            extra(&r, i, &mut buf);
            self.stats.add_row(&buf);
        }
        match &mut self.first {
            None => {
                r.matrix = Array2::zeros((0, r.columns.len()));
                r.budget.matrix = Array2::zeros((0, r.budget.groups.len() * r.budget.years));
                self.first = Some(r);
            }
            Some(all) => {
                for (a, b) in all.series.iter_mut().zip(&r.series) {
                    for (x, y) in a.steps.iter_mut().zip(&b.steps) {
                        x.merge(y);
                    }
                }
                for ((_, a), (_, b)) in all.deals.iter_mut().zip(&r.deals) {
                    a.merge(b);
                }
                all.work += r.work;
            }
        }
    }

    fn finish(self) -> Results {
        let mut r = self.first.expect("at least one chunk");
        r.stream = Some(self.stats);
        r
    }
}

/// Differences `x - b`, NaN where either is.
fn diff(x: f64, b: f64) -> f64 {
    if x.is_finite() && b.is_finite() { x - b } else { f64::NAN }
}

/// Every simulation of the run (`Plan::scenarios`), paths `first..first +
/// paths` (at least one), without matrices: their column statistics with
/// the paired differences after them. `progress` gets the paths done over
/// all simulations.
pub(crate) fn run(
    scn: &Scenario,
    plan: &Plan,
    (first, paths): (u64, u64),
    threads: usize,
    progress: &dyn Fn(u64),
) -> Vec<Results> {
    let scenarios = plan.scenarios(scn);
    let ncols = engine::part_shape(scenarios[0]).columns;
    let target = plan.sensitivity_target(scn);
    let variants = plan.other_variants();
    let mut accs: Vec<Acc> =
        scenarios.iter().enumerate().map(|(k, s)| Acc::new(s, plan.paired_columns(k, ncols))).collect();
    let size = chunk(threads);
    let mut done = 0u64;
    let mut start = 0u64;
    while start < paths {
        let count = size.min(paths - start);
        let range = (first + start, count);
        let mut step = |s: &Scenario, base: Option<(&Scenario, &Results)>| {
            let r = engine::run_range(s, range, threads, true, &|_| {}, base);
            done += count;
            progress(done);
            r
        };
        let base = step(scenarios[0], None);
        let b = &base.matrix;
        for k in 1..=variants {
            let r = step(scenarios[k], Some((scenarios[0], &base)));
            accs[k].add(scenarios[k], r, &|r, i, out| {
                out.extend((0..ncols).map(|j| diff(r.matrix[[i, j]], b[[i, j]])));
            });
        }
        if let Some(t) = target {
            for k in (1 + variants..scenarios.len()).step_by(2) {
                let lo = step(scenarios[k], Some((scenarios[0], &base)));
                let hi = step(scenarios[k + 1], Some((scenarios[0], &base)));
                let low: Vec<f64> = lo.matrix.column(t).to_vec();
                accs[k].add(scenarios[k], lo, &|r, i, out| out.push(diff(r.matrix[[i, t]], b[[i, t]])));
                accs[k + 1].add(scenarios[k + 1], hi, &|r, i, out| {
                    let h = r.matrix[[i, t]];
                    out.extend([diff(h, b[[i, t]]), diff(h, low[i])]);
                });
            }
        }
        accs[0].add(scenarios[0], base, &|_, _, _| {});
        start += count;
    }
    accs.into_iter().map(Acc::finish).collect()
}
