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

use fundsim::engine::{self, Results};
use fundsim::scenario::load_str;

/// Simulate a scenario text through the library with `--set` values.
pub fn simulate(text: &str, sets: &[&str], threads: usize) -> Results {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let scn = load_str(text, "test.toml", &sets).unwrap_or_else(|e| panic!("{e}")).scenario;
    engine::run(&scn, scn.paths, threads, &|_| {})
}

/// The column `<vehicle>.<metric>` of a run.
pub fn col(r: &Results, name: &str) -> Vec<f64> {
    let j = r
        .columns
        .iter()
        .position(|c| format!("{}.{}", c.vehicle, c.metric) == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    r.matrix.column(j).to_vec()
}

/// Equal to 1e-9 relative (1e-9 absolute near zero): the rounding of sums
/// over a path, far below any modelled amount.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The value of a metric in a deterministic run (the same in every path).
pub fn one(r: &Results, name: &str) -> f64 {
    let c = col(r, name);
    assert!(c.iter().all(|&x| close(x, c[0]) || (x.is_nan() && c[0].is_nan())), "{name} differs across paths");
    c[0]
}

/// Sample mean and its standard error.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (m, sd / n.sqrt())
}

/// ln(3)/9: a value growing at this continuous rate triples in 9 years.
pub const TRIPLES_IN_NINE_YEARS: f64 = 0.122_068_032_074_234_42;

/// A scenario for hand-worked examples: `paths` paths of 12 annual steps in
/// a deterministic economy (exits at valuation multiplier 1 in every
/// regime; every company of one type, no high-growth ones; a seed company
/// entering at 1,000 with no failure, exit or round hazards and no
/// volatility, its value growing at `drift` a year), then the `vehicles`
/// tables.
pub fn deterministic_scenario(name: &str, paths: u32, drift: f64, vehicles: &str) -> String {
    format!(
        r#"name = "{name}"
[simulation]
paths = {paths}
seed = 1
years = 12
steps_per_year = 1
[market]
high_growth_share = 0.0
[market.regimes]
valuation_multiplier = [1.0, 1.0, 1.0]
acquisition_multiplier = [1.0, 1.0, 1.0]
[stages.seed]
failure_rate = 0.0
ipo_rate = 0.0
acquisition_rate = 0.0
next_round_rate = 0.0
entry_valuation = 1000.0
entry_valuation_sigma = 0.0
value_drift = {drift:?}
value_vol = 0.0
{vehicles}"#
    )
}

/// A small loan programme with a two-key sweep grid (2 x 2 variants).
pub const SMALL_SWEEP: &str = r#"
name = "small sweep"
[simulation]
paths = 150
seed = 3
years = 2
steps_per_year = 4
[vehicles.loans]
kind = "loan_program"
loans = 300
pd = 0.05
[vehicles.loans.policy.risk_compensation]
ratio = 0.3
pool_size = 5.0
[[sweep]]
key = "vehicles.loans.policy.risk_compensation.ratio"
values = [0.3, 0.45]
[[sweep]]
key = "vehicles.loans.lgd"
values = [0.4, 0.6]
"#;

/// Kolmogorov-Smirnov distance between the default counts of a cohort of
/// `n` names (one per path) and the finite-portfolio Vasicek law: P(D <= j)
/// = ∫ Binomial(n, p(z)).cdf(j) φ(z) dz with p(z) = Φ((Φ⁻¹(pd) - sqrt(ρ) z)
/// / sqrt(1 - ρ)), by the trapezoid rule on z in [-7, 7] at step 0.02 (the
/// integrand is smooth; truncation and discretisation errors are below
/// 1e-6). The supremum of |F_n - F| for a discrete F is reached at support
/// points, so it is taken over every count up to the largest observed.
pub fn vasicek_ks_distance(counts: &[u64], n: u64, pd: f64, rho: f64) -> f64 {
    use fundsim::model::normal::{cdf, inverse_cdf};
    use statrs::distribution::{Binomial, DiscreteCDF};
    let c = inverse_cdf(pd);
    let grid: Vec<(f64, Binomial)> = (0..=700)
        .map(|i| {
            let z = -7.0 + 0.02 * i as f64;
            let p = cdf((c - rho.sqrt() * z) / (1.0 - rho).sqrt());
            let w = 0.02 * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let w = if i == 0 || i == 700 { w / 2.0 } else { w };
            (w, Binomial::new(p, n).unwrap())
        })
        .collect();
    let mixture_cdf = |j: u64| grid.iter().map(|(w, b)| w * b.cdf(j)).sum::<f64>();
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let m = sorted.len() as f64;
    let mut d: f64 = 0.0;
    let mut below = 0usize;
    for j in 0..=*sorted.last().unwrap() {
        while below < sorted.len() && sorted[below] <= j {
            below += 1;
        }
        d = d.max((below as f64 / m - mixture_cdf(j)).abs());
    }
    d
}

/// The hand-worked guidance fund (tests/guidance.rs): the government commits
/// 25 for 25 % of one sub-fund of 100 with one deal, no fees, no reserve,
/// a ten-year term; with `deterministic_scenario` and
/// `TRIPLES_IN_NINE_YEARS` every cash flow is known by hand.
pub const GUIDANCE: &str = r#"
[fiscal]
discount_rate = 0.0
[vehicles.g]
kind = "guidance_fund"
government_capital = 25.0
subfunds = 1
government_share = 0.25
launch_years = 0.0
[vehicles.g.subfund]
deals = 1
investment_period_years = 1.0
stage_mix = { seed = 1.0, early = 0.0, growth = 0.0, late = 0.0 }
reserve_ratio = 0.0
management_fee = 0.0
term_years = 10.0
extension_years = 0.0
terminal_haircut = 1.0
"#;

/// Every file under `dir` but manifest.json (which records threads, wall
/// times and shards), as (relative path, bytes), sorted: what two runs
/// that must agree byte for byte are compared on.
pub fn output_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "manifest.json" {
                out.push((p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
