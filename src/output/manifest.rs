//! `manifest.json`: what is needed to reproduce a run (fundsim version, the
//! scenario file verbatim and its SHA-256, every `--set`, seed, paths,
//! threads) and its wall time.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Written by `run`; read back by `plot` and the report (missing fields
/// read as empty or zero).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Manifest {
    pub fundsim_version: String,
    pub scenario_name: String,
    pub scenario_description: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub sets: Vec<String>,
    pub seed: u64,
    pub paths: u64,
    pub threads: usize,
    pub steps_per_year: u32,
    pub years: u32,
    pub generator: String,
    pub wall_seconds: f64,
    pub scenario: String,
    pub resolved_scenario: String,
    /// In a shard directory (`run --shard K/N`): which part of the paths
    /// it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// In the output of `fundsim merge`: the shards it was merged from, in
    /// path order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<ShardRecord>,
}

/// One shard of a run: the K-th of N parts of the paths, and what `merge`
/// needs to check that shards belong together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ShardRecord {
    /// K, from 1.
    pub index: u64,
    /// N.
    pub of: u64,
    /// The first path of this shard and the number of its paths.
    pub first_path: u64,
    pub paths: u64,
    /// Simulations held (`shard/0.bin` ...): the base run, the sweep's other
    /// variants, two per sensitivity lever.
    pub runs: usize,
    /// `--no-paths` given to the shard (and so to the merged output).
    pub no_paths: bool,
    /// `--paths` and `--seed` as given on the command line.
    pub paths_flag: Option<u64>,
    pub seed_flag: Option<u64>,
    pub threads: usize,
    pub wall_seconds: f64,
    /// In `merged_from`: the shard directory as given to `merge`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dir: String,
}

/// Hex SHA-256 of a text.
pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    pub(crate) fn write(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(path, text + "\n")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_abc_is_the_fips_180_value() {
        assert_eq!(super::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
