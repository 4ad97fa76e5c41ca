//! Runs split over processes and machines: `fundsim run --shard K/N`
//! simulates the K-th of N disjoint ranges of the paths and writes a shard
//! directory (`part`: the rows, sketches and counts of each simulation, bit
//! for bit); `fundsim merge` puts the shards back in path order and writes
//! CSVs byte-identical to the single run's (`merge`).
//!
//! A path's results depend only on (seed, path, component), never on the
//! shard, process or thread that simulated it, and sketches and deal counts
//! are integer counts that merge in any order: so the merged `Results` are
//! the single run's exactly, and the same writers write the same bytes.

pub mod merge;
#[cfg(feature = "mpi")]
pub mod mpi;
pub(crate) mod part;

/// The most shards one run may be split into.
pub const MAX_SHARDS: u64 = 100_000;

/// `--shard K/N`: the K-th (from 1) of N parts of the paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u64,
    pub of: u64,
}

impl ShardSpec {
    /// Parse `K/N` with `1 <= K <= N <= MAX_SHARDS`.
    pub fn parse(s: &str) -> Result<ShardSpec, String> {
        let rule = format!(
            "`{s}` is not a shard: write K/N, the K-th of N parts, with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/8)"
        );
        let (k, n) = s.split_once('/').ok_or_else(|| rule.clone())?;
        let (Ok(index), Ok(of)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
            return Err(rule);
        };
        if index == 0 || index > of || of > MAX_SHARDS {
            return Err(rule);
        }
        Ok(ShardSpec { index, of })
    }

    /// The paths of this shard, `first..first + count`, of a run of `paths`
    /// paths: shard K holds `floor(paths (K-1) / N)` up to
    /// `floor(paths K / N)`, so the N ranges tile `0..paths` in order.
    pub fn range(&self, paths: u64) -> (u64, u64) {
        let at = |k: u64| (u128::from(paths) * u128::from(k) / u128::from(self.of)) as u64;
        let first = at(self.index - 1);
        (first, at(self.index) - first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_the_paths_in_order() {
        for paths in [1u64, 7, 64, 300, 1_000_000_000] {
            for of in [1u64, 2, 3, 7, 64] {
                let mut next = 0;
                for index in 1..=of {
                    let (first, count) = ShardSpec { index, of }.range(paths);
                    assert_eq!(first, next, "paths {paths}, shard {index}/{of}");
                    next = first + count;
                }
                assert_eq!(next, paths);
            }
        }
        // 10 paths in 3: 0..3, 3..6, 6..10
        let s = |index| ShardSpec { index, of: 3 }.range(10);
        assert_eq!((s(1), s(2), s(3)), ((0, 3), (3, 3), (6, 4)));
    }

    #[test]
    fn only_k_of_n_within_bounds_parses() {
        assert_eq!(ShardSpec::parse("2/8"), Ok(ShardSpec { index: 2, of: 8 }));
        assert_eq!(ShardSpec::parse("1/1"), Ok(ShardSpec { index: 1, of: 1 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/100001", "", "/"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
