//! Policy experiments (MODEL.md 5): sweeps on common random numbers, the
//! paired standard error, a variant equal to a plain --set run, the
//! package's fiscal total, and monotone effects of the pool ratio.

mod common;
use common::*;
use fundsim::engine::{self, Results};
use fundsim::scenario::{Scenario, load, load_str};
use fundsim::sweep::{difference, variants};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn package(paths: u64) -> (String, Vec<Scenario>) {
    let file = root().join("scenarios/shenzhen_policy_package.toml");
    let loaded = load(&file, &[]).unwrap();
    let name = file.display().to_string();
    let mut vs: Vec<Scenario> = variants(&loaded.source, &name, &[], &loaded.scenario.sweeps)
        .unwrap()
        .into_iter()
        .map(|v| v.scenario)
        .collect();
    for v in &mut vs {
        v.paths = paths;
    }
    (name, vs)
}

/// The package's variants with the loan programme as a fixed book of 1,000
/// loans a year (no lending table): the pool ratio then moves only who
/// bears the losses, not who gets credit.
fn package_without_lending(paths: u64) -> Vec<Scenario> {
    let text = read(&root().join("scenarios/shenzhen_policy_package.toml"));
    let start = text.find("[vehicles.loans.lending]").expect("the package has a lending table");
    let end = start + text[start..].find("\n\n").expect("a blank line after the lending table");
    let text = format!("{}{}", &text[..start], &text[end..]).replace("cohorts = 5", "cohorts = 5\nloans = 1000");
    let loaded = load_str(&text, "package.toml", &[]).unwrap();
    let mut vs: Vec<Scenario> = variants(&loaded.source, "package.toml", &[], &loaded.scenario.sweeps)
        .unwrap()
        .into_iter()
        .map(|v| v.scenario)
        .collect();
    for v in &mut vs {
        v.paths = paths;
    }
    vs
}

#[test]
fn pool_ratio_sweep_moves_bank_loss_down_and_fiscal_cost_up_in_every_path() {
    let vs = package_without_lending(300);
    assert_eq!(vs.len(), 3);
    let runs: Vec<Results> = vs.iter().map(|s| engine::run(s, s.paths, 2, &|_| {})).collect();
    for w in runs.windows(2) {
        let (b0, b1) = (col(&w[0], "loans.bank_net_loss"), col(&w[1], "loans.bank_net_loss"));
        let (f0, f1) = (col(&w[0], "total.fiscal_cost"), col(&w[1], "total.fiscal_cost"));
        for p in 0..b0.len() {
            assert!(b1[p] <= b0[p] + 1e-9, "path {p}: bank net loss rose");
            assert!(f1[p] >= f0[p] - 1e-9, "path {p}: fiscal cost fell");
        }
        assert!(b1.iter().sum::<f64>() < b0.iter().sum::<f64>());
        // Everything that does not depend on the pool is identical.
        assert_eq!(col(&w[0], "angel.gov_tvpi"), col(&w[1], "angel.gov_tvpi"));
        assert_eq!(col(&w[0], "loans.defaults"), col(&w[1], "loans.defaults"));
    }
}

#[test]
fn paired_standard_error_is_far_smaller_than_the_unpaired_one_on_the_shipped_package() {
    // The pool ratio from 0.3 to 0.4 changes the package's fiscal cost by a
    // little (about 1.3 million CNY) on top of a cost whose spread across
    // paths (sd in the hundreds, from the guidance fund) dwarfs it. Paired
    // over paths, the common part cancels; the test requires the paired
    // se below 1/20 of the unpaired one (measured: about 1/1000).
    let (_, vs) = package(300);
    let a = engine::run(&vs[0], 300, 2, &|_| {});
    let b = engine::run(&vs[1], 300, 2, &|_| {});
    let d = difference(&col(&a, "total.fiscal_cost"), &col(&b, "total.fiscal_cost"), &mut Vec::new());
    assert!(d.mean > 0.0);
    assert!(d.se < d.se_unpaired / 20.0, "paired {} vs unpaired {}", d.se, d.se_unpaired);
    // And the paired error makes the effect significant where the unpaired
    // one cannot.
    assert!(d.mean > 5.0 * d.se);
    assert!(d.mean < 2.0 * d.se_unpaired);
}

#[test]
fn total_fiscal_cost_is_the_sum_of_the_vehicles_in_every_path() {
    let (_, vs) = package(200);
    let r = engine::run(&vs[0], 200, 2, &|_| {});
    let (a, l, t) = (col(&r, "angel.fiscal_cost"), col(&r, "loans.fiscal_cost"), col(&r, "total.fiscal_cost"));
    for p in 0..t.len() {
        assert!((a[p] + l[p] - t[p]).abs() <= 1e-9 * t[p].abs().max(1.0), "path {p}");
    }
    // Credit and firms: the loans made, of 5 each; 25 deals in each
    // sub-fund the private LPs chose to raise + the loans made; private
    // capital is the guidance fund's.
    let made = col(&r, "loans.loans_made");
    assert!(made.iter().all(|&m| m > 0.0));
    let (raised, firms) = (col(&r, "angel.subfunds_raised"), col(&r, "total.firms_financed"));
    let (pc, total_pc) = (col(&r, "angel.private_capital"), col(&r, "total.private_capital"));
    for p in 0..firms.len() {
        assert_eq!(col(&r, "total.credit")[p], 5.0 * made[p], "path {p}");
        assert_eq!(firms[p], 25.0 * raised[p] + made[p], "path {p}");
        assert_eq!(pc[p], total_pc[p], "path {p}");
    }
    assert!(raised.iter().any(|&n| n < 20.0) && raised.contains(&20.0));
}

#[test]
fn a_sweep_variant_equals_a_plain_run_with_the_same_set_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = scenario(d, "s.toml", SMALL_SWEEP);
    let o = fundsim(d, &["run", f.to_str().unwrap(), "--out", "sw", "--quiet", "--no-charts"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A grid: 2 x 2 variants, first key outermost; variant 2 is (0.45, 0.4).
    let (h, rows) = csv(&d.join("sw/sweep.csv"));
    assert_eq!(&h[..3], ["variant", "vehicles.loans.policy.risk_compensation.ratio", "vehicles.loans.lgd"]);
    assert!(rows.iter().any(|r| r[0] == "2" && r[1] == "0.45" && r[2] == "0.4"));
    // The same file without its sweep, run with --set.
    let without = scenario(d, "plain.toml", SMALL_SWEEP.split("[[sweep]]").next().unwrap());
    let plain = fundsim(
        d,
        &[
            "run",
            without.to_str().unwrap(),
            "--out",
            "plain",
            "--quiet",
            "--no-charts",
            "--set",
            "vehicles.loans.policy.risk_compensation.ratio=0.45",
            "--set",
            "vehicles.loans.lgd=0.4",
        ],
    );
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let a = std::fs::read(d.join("sw/variants/2/paths.csv")).unwrap();
    let b = std::fs::read(d.join("plain/paths.csv")).unwrap();
    assert!(a == b, "variant 2 differs from the plain --set run");
    // Variant 0's own paths are the main paths.csv.
    assert_eq!(
        std::fs::read(d.join("sw/variants/0/paths.csv")).unwrap(),
        std::fs::read(d.join("sw/paths.csv")).unwrap()
    );
}

#[test]
fn bad_experiments_are_exit_2_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expect) in [
        (SMALL_SWEEP.replace("vehicles.loans.lgd", "simulation.paths"), "may not be a simulation.* key"),
        (
            format!("{SMALL_SWEEP}\n[[sweep]]\nkey = \"vehicles.loans.pd\"\nvalues = [0.1]\n"),
            "at most two [[sweep]] tables",
        ),
        (SMALL_SWEEP.replace("values = [0.4, 0.6]", "values = [0.4, 1.6]"), "vehicles.loans.lgd"),
        (
            format!(
                "{SMALL_SWEEP}\n[sensitivity]\ntarget = \"loans.nothing\"\nlevers = [{{ key = \"vehicles.loans.pd\", low = 0.01, high = 0.1 }}]\n"
            ),
            "sensitivity.target",
        ),
    ] {
        let f = scenario(dir.path(), "bad.toml", &text);
        let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--out", "o", "--quiet"]);
        assert_eq!(o.status.code(), Some(2), "{expect}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{expect}: {}", stderr(&o));
        assert!(!dir.path().join("o").exists());
    }
    // A --set of a swept key would be overridden by every variant: refused.
    let f = scenario(dir.path(), "s.toml", SMALL_SWEEP);
    let o =
        fundsim(dir.path(), &["run", f.to_str().unwrap(), "--set", "vehicles.loans.lgd=0.5", "--out", "o", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("vehicles.loans.lgd") && stderr(&o).contains("is swept"), "{}", stderr(&o));
    assert!(!dir.path().join("o").exists());
}
