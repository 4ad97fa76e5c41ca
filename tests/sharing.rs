//! Sweep variants and sensitivity cases share the base run's work
//! (`engine::run_from`, issue 19): a vehicle whose resolved table is the
//! base's, in the same economy, is copied path by path instead of being
//! simulated again. The results must be those of the variant run alone, bit
//! for bit: every shipped sweep variant and sensitivity case, and one
//! change of every key of every vehicle kind at two values.

mod common;
use common::*;
use fundsim::engine::{self, Results};
use fundsim::scenario::{Scenario, load_str};

fn shipped_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Bit-for-bit equality of two runs: columns, every cell, every series
/// sketch, every deal count and every budget cell (not the work done,
/// which sharing lowers).
fn assert_identical(a: &Results, b: &Results, what: &str) {
    assert_eq!(a.columns, b.columns, "{what}: columns");
    assert_eq!(a.matrix.dim(), b.matrix.dim(), "{what}: shape");
    for ((i, x), y) in a.matrix.indexed_iter().zip(b.matrix.iter()) {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: cell {i:?} ({} vs {})", x, y);
    }
    assert_eq!(a.series.len(), b.series.len(), "{what}: series");
    for (s, t) in a.series.iter().zip(&b.series) {
        assert_eq!((&s.vehicle, &s.metric), (&t.vehicle, &t.metric), "{what}");
        assert!(s.steps == t.steps, "{what}: series {}.{} differs", s.vehicle, s.metric);
    }
    assert_eq!(a.deals, b.deals, "{what}: deals");
    assert_eq!(a.budget.groups, b.budget.groups, "{what}: budget groups");
    for ((i, x), y) in a.budget.matrix.indexed_iter().zip(b.budget.matrix.iter()) {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: budget cell {i:?} ({} vs {})", x, y);
    }
}

fn load(text: &str, sets: &[String]) -> Scenario {
    load_str(text, "t.toml", sets).unwrap_or_else(|e| panic!("{e}")).scenario
}

/// Run `scn` shared with `base` and alone; assert equality. Returns
/// whether sharing saved work.
fn check(scn: &Scenario, base: &Scenario, base_r: &Results, what: &str) -> bool {
    let shared = engine::run_from(scn, scn.paths, 2, &|_| {}, (base, base_r));
    let alone = engine::run(scn, scn.paths, 1, &|_| {});
    assert_identical(&shared, &alone, what);
    shared.work < alone.work
}

#[test]
fn every_shipped_sweep_variant_and_sensitivity_case_equals_its_run_alone() {
    let mut shared_runs = 0;
    let mut checked = 0;
    for entry in std::fs::read_dir(shipped_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".toml") || name == "defaults.toml" {
            continue;
        }
        let text = read(&path);
        let scn = load(&text, &["simulation.paths=60".into()]);
        if scn.sweeps.is_empty() && scn.sensitivity.is_none() {
            continue;
        }
        let sets = vec!["simulation.paths=60".to_string()];
        let variants = fundsim::sweep::variants(&text, &name, &sets, &scn.sweeps).unwrap();
        let base = variants.first().map_or(scn.clone(), |v| v.scenario.clone());
        let base_r = engine::run(&base, base.paths, 2, &|_| {});
        for v in variants.iter().skip(1) {
            shared_runs += check(&v.scenario, &base, &base_r, &format!("{name} {:?}", v.label)) as usize;
            checked += 1;
        }
        // Sensitivity cases: the base's sets (variant 0's swept values)
        // plus the lever at its low and its high value.
        let base_sets: Vec<String> = sets
            .iter()
            .cloned()
            .chain(variants.first().into_iter().flat_map(|v| v.label.iter().map(|(k, x)| format!("{k}={x}"))))
            .collect();
        for (key, low, high) in scn.sensitivity.iter().flat_map(|s| s.levers.clone()) {
            for value in [low, high] {
                let mut s = base_sets.clone();
                s.push(format!("{key}={value}"));
                let case = load(&text, &s);
                shared_runs += check(&case, &base, &base_r, &format!("{name} {key}={value}")) as usize;
                checked += 1;
            }
        }
    }
    eprintln!("{checked} variants and cases identical; {shared_runs} of them shared work with the base");
    assert!(checked >= 10, "{checked}");
    assert!(shared_runs >= 5, "sharing is exercised: {shared_runs}");
}

/// Every leaf of a TOML table with its dotted key.
fn leaves(prefix: &str, v: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                leaves(&format!("{prefix}.{k}"), x, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Two other values of a leaf, as `--set` text.
fn two_values(v: &toml::Value) -> Vec<String> {
    match v {
        toml::Value::Boolean(b) => vec![(!b).to_string()],
        toml::Value::Integer(i) => vec![(i + 1).to_string(), (i - 1).max(0).to_string()],
        toml::Value::Float(x) if *x == 0.0 => vec!["0.05".into(), "0.2".into()],
        toml::Value::Float(x) => vec![format!("{:?}", x * 0.9), format!("{:?}", x * 1.1)],
        _ => vec![],
    }
}

#[test]
fn one_change_of_every_key_of_every_vehicle_kind_equals_its_run_alone() {
    // The policy package holds a guidance fund, an S fund buying from it and
    // a loan programme with a lending table; venture_fund.toml a venture
    // fund; tech_loans.toml a loan programme with warrants. Each key of
    // each vehicle's resolved table is moved to two other values (a
    // boolean flipped); values the validator refuses are skipped.
    let (mut compared, mut refused, mut shared_runs) = (0, 0, 0);
    for file in ["shenzhen_policy_package.toml", "venture_fund.toml", "tech_loans.toml"] {
        let text = read(&shipped_dir().join(file));
        let sets = vec!["simulation.paths=16".to_string()];
        let loaded = load_str(&text, file, &sets).unwrap();
        let base = loaded.scenario;
        let base_r = engine::run(&base, base.paths, 2, &|_| {});
        let resolved: toml::Value = toml::from_str(&loaded.resolved).unwrap();
        let mut keys = Vec::new();
        for (name, table) in resolved.get("vehicles").and_then(|v| v.as_table()).unwrap() {
            leaves(&format!("vehicles.{name}"), table, &mut keys);
        }
        for (key, value) in keys {
            for new in two_values(&value) {
                let mut s = sets.clone();
                s.push(format!("{key}={new}"));
                let Ok(l) = load_str(&text, file, &s) else {
                    refused += 1;
                    continue;
                };
                shared_runs += check(&l.scenario, &base, &base_r, &format!("{file} {key}={new}")) as usize;
                compared += 1;
            }
        }
    }
    eprintln!("{compared} single-key changes identical ({shared_runs} shared work), {refused} values refused");
    assert!(compared > 100, "{compared}");
    assert!(shared_runs > 30, "{shared_runs}");
}
