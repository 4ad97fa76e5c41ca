//! Helpers shared by the integration tests: run the real binary on small
//! scenarios in a temporary directory (in the spirit of ripgrep's `rgtest!`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fundsim"))
}

/// Run `fundsim` with `args` in `dir`.
pub fn fundsim(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("run fundsim")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Write a scenario file into `dir`.
pub fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A small, quick venture-fund scenario.
pub const SMALL_FUND: &str = r#"
name = "small fund"
[simulation]
paths = 200
seed = 42
years = 12
steps_per_year = 4
[vehicles.fund]
kind = "venture_fund"
commitment = 100.0
deals = 20
"#;

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Parse a CSV into its header and rows of strings.
pub fn csv(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}
