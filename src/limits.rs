//! Resource limits: what a run may ask of the machine, checked before any
//! work is done, so that an accepted input never aborts (out of memory, a
//! stack overflow) or runs for ever. Each limit is refused with exit
//! status 2, naming the key or flag, the value, the limit and the way out.
//!
//! - threads: at most `max(16, 4 × available cores)`;
//! - memory: the estimate of [`memory_estimate`] (flat in the paths with
//!   `--no-paths`) must fit in the memory the machine has available (`MemAvailable` in `/proc/meminfo` on
//!   Linux; a fixed [`FALLBACK_MEMORY`] elsewhere);
//! - key paths (`--set`, sweep and lever keys): at most [`MAX_KEY_DEPTH`]
//!   levels;
//! - sweeps: at most [`MAX_SWEEP_VARIANTS`] variants in all;
//!   sensitivity: at most [`MAX_LEVERS`] levers;
//! - `bench --repeats`: within [1, [`MAX_REPEATS`]].

use crate::engine::{self, BLOCK};
use crate::scenario::Scenario;

/// Levels of a dotted key path (`a.b.c` has 3). The deepest shipped key
/// has 6; a deeper one is refused before any table is built for it.
pub const MAX_KEY_DEPTH: usize = 64;

/// Variants of a `[[sweep]]` line or grid, all axes multiplied.
pub const MAX_SWEEP_VARIANTS: usize = 10_000;

/// Levers of `[sensitivity]` (each is two runs).
pub const MAX_LEVERS: usize = 1000;

/// `bench --repeats`.
pub const MAX_REPEATS: usize = 1000;

/// The memory limit where the available memory cannot be read.
pub const FALLBACK_MEMORY: u64 = 8 << 30;

/// Bytes per quantile sketch per thread, a generous bound: a sketch holds
/// one 8-byte count per 1 % band of magnitude its series spans (a span of
/// 10^-3 to 10^6 is about 2,100 bands, 17 KB).
pub const SKETCH_BYTES: u64 = 24 << 10;

/// The program itself, its buffers and the CSV writers: measured peaks
/// (`/usr/bin/time -v`) ran 4 to 25 MB above the matrices and sketches.
pub const BASE_BYTES: u64 = 32 << 20;

/// Available cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The most worker threads a run may ask for: four per core (more only
/// add start-up cost and memory), but never fewer than 16.
pub fn max_threads() -> usize {
    (4 * cores()).max(16)
}

/// `None` when `threads` (0: all cores) is allowed; the rule otherwise.
pub fn threads_rule(threads: usize) -> Option<String> {
    let max = max_threads();
    (threads > max).then(|| {
        format!(
            "must be within [0, {max}]: at most 4 x the {} available core(s), and never fewer than 16 (0 uses all cores)",
            cores()
        )
    })
}

/// Threads that do work on `paths` paths: one block of paths each at
/// least. More would only start idle workers.
pub fn effective_threads(threads: usize, paths: u64) -> usize {
    let blocks = paths.div_ceil(BLOCK as u64).max(1);
    threads.max(1).min(usize::try_from(blocks).unwrap_or(usize::MAX))
}

/// What a run holds in memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub paths: u64,
    pub columns: u64,
    /// Per-path matrices held at once: 1, 2 with a sweep (the base run and
    /// one variant), 3 with `[sensitivity]` (the base and a lever's low and
    /// high).
    pub matrices: u64,
    /// The matrix part: paths × columns × 8 bytes × matrices.
    pub matrix_bytes: u64,
    /// Series sketches: threads × series × steps × [`SKETCH_BYTES`].
    pub sketch_bytes: u64,
    /// With a sweep or levers and a matrix: the most a batch of variants
    /// run in lockstep holds besides (`engine::lockstep_bytes_bound`).
    pub lockstep_bytes: u64,
    pub total: u64,
}

/// Estimate the memory of a run of `scn` on `threads` threads (0: all
/// cores): the per-path matrices (paths × columns × 8 bytes each), one
/// column copy for the summaries, the per-thread series sketches and
/// [`BASE_BYTES`]. Against the peak resident size on 2 threads: the venture
/// fund at 200,000 paths, 77.8 MB estimated, 48.8 MB measured; the
/// Shenzhen package (a sweep and levers) at 50,000 paths, 137.5 MB and
/// 129.3 MB; the loan programme at 500,000 paths, 155.5 MB and 134.2 MB.
///
/// `keep_paths: false` (`--no-paths`): no
/// matrix, no column copy, but a sketch per column per thread.
pub fn memory_estimate(scn: &Scenario, threads: usize, keep_paths: bool) -> MemoryEstimate {
    let (columns, series) = engine::shape(scn);
    let (columns, series) = (columns as u64, series as u64);
    let matrices = if scn.sensitivity.is_some() {
        3
    } else if !scn.sweeps.is_empty() {
        2
    } else {
        1
    };
    let threads = if threads == 0 { cores() } else { threads };
    let threads = effective_threads(threads, scn.paths) as u64;
    let paths = scn.paths;
    let (matrix_bytes, scratch, column_sketches) = if keep_paths {
        // The summaries copy one column and sort it.
        (paths.saturating_mul(columns).saturating_mul(8).saturating_mul(matrices), paths.saturating_mul(16), 0)
    } else {
        // With a sweep or levers, `paired` holds the matrices of one chunk
        // of paths at a time.
        let chunk = if matrices > 1 { paths.min(crate::paired::chunk(threads as usize)) } else { 0 };
        (chunk.saturating_mul(columns).saturating_mul(8).saturating_mul(matrices), 0, engine::stream_width(scn) as u64)
    };
    let sketch_bytes = threads
        .saturating_mul(series.saturating_mul(scn.horizon_steps() as u64) + column_sketches)
        .saturating_mul(SKETCH_BYTES);
    let lockstep_bytes = if keep_paths && matrices > 1 { engine::lockstep_bytes_bound(scn, paths) } else { 0 };
    let total = matrix_bytes
        .saturating_add(scratch)
        .saturating_add(sketch_bytes)
        .saturating_add(lockstep_bytes)
        .saturating_add(BASE_BYTES);
    MemoryEstimate { paths, columns, matrices, matrix_bytes, sketch_bytes, lockstep_bytes, total }
}

/// The memory a run may use, and where the figure comes from.
pub fn memory_limit() -> (u64, &'static str) {
    match available_memory() {
        Some(bytes) => (bytes, "the memory available now (MemAvailable in /proc/meminfo)"),
        None => (FALLBACK_MEMORY, "the fixed limit used where the available memory cannot be read"),
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (Linux).
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// `bytes` in GB (10^9) with one decimal, or MB below 1 GB.
pub fn bytes(b: u64) -> String {
    if b >= 1_000_000_000 { format!("{:.1} GB", b as f64 / 1e9) } else { format!("{:.1} MB", b as f64 / 1e6) }
}

/// `None` when the run fits; the rule (the estimate, the limit and the way
/// out) otherwise.
pub fn memory_rule(scn: &Scenario, threads: usize, keep_paths: bool) -> Option<String> {
    let e = memory_estimate(scn, threads, keep_paths);
    let (limit, source) = memory_limit();
    if e.total <= limit {
        return None;
    }
    let lockstep = e.lockstep_bytes / e.paths.max(1);
    let per_path = (e.columns * 8 * e.matrices + lockstep).max(1);
    let fits = limit.saturating_sub(e.sketch_bytes + BASE_BYTES) / (per_path + 16);
    Some(format!(
        "needs about {} of memory ({} paths x {} columns x 8 bytes{}{} for the per-path results, plus {} of series \
         sketches and the program), more than the {} of {source}; run at most about {fits} paths, or keep no \
         per-path matrix with --no-paths (exact means and standard deviations, quantiles from sketches within \
         0.5 %; a scenario with [[sweep]] or [sensitivity] keeps its matrices, as its paired differences need \
         them), or split the paths over machines with --shard K/N and fundsim merge (with --no-paths, each \
         shard and the merge hold no matrix)",
        bytes(e.total),
        e.paths,
        e.columns,
        if e.matrices > 1 { format!(" x {} runs held at once", e.matrices) } else { String::new() },
        if e.lockstep_bytes > 0 {
            format!(" and {} for the variants run in lockstep", bytes(e.lockstep_bytes))
        } else {
            String::new()
        },
        bytes(e.sketch_bytes),
        bytes(limit),
    ))
}

/// `None` when the dotted key path is shallow enough.
pub fn key_depth_rule(key: &str) -> Option<String> {
    let depth = key.split('.').count();
    (depth > MAX_KEY_DEPTH).then(|| format!("has {depth} levels; a key path may have at most {MAX_KEY_DEPTH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_read_in_kilobytes() {
        let text = "MemTotal:       16318420 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n";
        assert_eq!(parse_meminfo(text), Some(8_000_000 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn idle_threads_are_not_started() {
        assert_eq!(effective_threads(5000, 200), 4);
        assert_eq!(effective_threads(8, 1_000_000), 8);
        assert_eq!(effective_threads(0, 10), 1);
    }

    #[test]
    fn deep_keys_are_refused_by_count() {
        assert!(key_depth_rule("a.b.c").is_none());
        assert!(key_depth_rule(&vec!["a"; 65].join(".")).is_some());
    }
}
