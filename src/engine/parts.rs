//! The raw parts of a run's results and their assembly into `Results`:
//! what a run's workers produce, what a shard's part file holds per
//! simulation (`shard::part`), and what merge and MPI rebuild from them.
//! Part of the engine stage.

use ndarray::Array2;

use super::{Budget, Layout, Results, Series};
use crate::scenario::Scenario;
use crate::stats::sketch::QuantileSketch;
use crate::stats::stream::ColumnStats;
use crate::vehicles::equity::DealCounts;

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

pub(super) fn assemble(scn: &Scenario, layout: Layout, paths: usize, parts: Parts) -> Results {
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
