//! Sweep variants and sensitivity cases share the base run's work
//! (`engine::run_from`, issue 19): a vehicle whose resolved table is the
//! base's, in the same economy, is copied path by path instead of being
//! simulated again, and variants whose loan programmes differ only in keys
//! of the decision, settlement and output classes run in lockstep
//! (`engine::run_many`: applicants and fates drawn once for all of them).
//! The results must be those of the variant run alone, bit for bit: every
//! shipped sweep variant and sensitivity case, one change of every key of
//! every vehicle kind at two values, and every loan-programme key of the
//! lockstep classes at two values in each of the programme's loops.

mod common;
use common::*;
use fundsim::engine::{self, Results};
use fundsim::scenario::{Scenario, load_str};
use fundsim::vehicles::loan_program::input::{KEY_CLASSES, KeyClass, key_class};

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

/// Run `scns` together with `engine::run_many` (two threads), with the
/// base in the same pass (`engine::run_with_base`, as `fundsim run` runs
/// its first batch), and the same without the variants' series (as
/// `fundsim run` runs every batch), and each alone (one thread); assert
/// equality (without series: everything but the series, which are
/// empty). Returns how many ran in lockstep.
fn check_many(scns: &[(String, Scenario)], base: &Scenario, base_r: &Results) -> usize {
    if scns.is_empty() {
        return 0;
    }
    let refs: Vec<&Scenario> = scns.iter().map(|(_, s)| s).collect();
    let alone: Vec<Results> = refs.iter().map(|s| engine::run(s, s.paths, 1, &|_| {})).collect();
    let together: Vec<Results> = engine::run_many(&refs, (0, base.paths), 2, &|_| {}, (base, base_r)).collect();
    assert_eq!(together.len(), scns.len());
    for ((what, _), (r, alone)) in scns.iter().zip(together.iter().zip(&alone)) {
        assert_identical(r, alone, &format!("{what} (run_many)"));
        // Lockstep changes no count of work: each variant counts the
        // loan-steps it would follow alone.
        assert!(r.work <= alone.work, "{what}");
    }
    for series in [true, false] {
        let (b, mut batch) = engine::run_with_base(base, &refs, (0, base.paths), 2, &|_| {}, series);
        assert_identical(&b, base_r, &format!("the base run in the pass of {} variants", scns.len()));
        for ((what, _), alone) in scns.iter().zip(&alone) {
            let (mut r, _) = batch.next_with(&|_| {}, (base, &b)).expect("one result per variant");
            let what = format!("{what} (run_with_base, series {series})");
            if !series {
                // Not summarised (in lockstep or not): empty sketches.
                assert!(r.series.iter().all(|s| s.steps.iter().all(|k| k.count() == 0)), "{what}: series");
                r.series = alone.series.clone();
            }
            assert_identical(&r, alone, &what);
        }
        assert!(batch.next_with(&|_| {}, (base, &b)).is_none());
    }
    engine::lockstep_count(&refs, base, false)
}

#[test]
fn every_shipped_sweep_variant_and_sensitivity_case_equals_its_run_alone() {
    let mut shared_runs = 0;
    let mut checked = 0;
    let mut lockstepped = 0;
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
        let mut all: Vec<(String, Scenario)> = Vec::new();
        for v in variants.iter().skip(1) {
            shared_runs += check(&v.scenario, &base, &base_r, &format!("{name} {:?}", v.label)) as usize;
            checked += 1;
            all.push((format!("{name} {:?}", v.label), v.scenario.clone()));
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
                all.push((format!("{name} {key}={value}"), case));
            }
        }
        // All of them at once, as `fundsim run` runs them (in batches
        // there; here in one, the larger lockstep).
        lockstepped += check_many(&all, &base, &base_r);
    }
    eprintln!(
        "{checked} variants and cases identical; {shared_runs} of them shared work with the base, \
         {lockstepped} ran in lockstep"
    );
    assert!(checked >= 10, "{checked}");
    assert!(shared_runs >= 5, "sharing is exercised: {shared_runs}");
    // The package's sweep (2 variants) and its loan levers' cases (9 x 2
    // but one) at least.
    // (The ratio's low case is the base itself: nothing to simulate.)
    assert!(lockstepped >= 19, "lockstep is exercised: {lockstepped}");
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

/// The loan-programme keys whose variants run in lockstep.
fn downstream(class: KeyClass) -> bool {
    matches!(class, KeyClass::Decision | KeyClass::Settlement | KeyClass::Output)
}

#[test]
fn every_loan_key_of_the_lockstep_classes_at_two_values_equals_its_run_alone() {
    // Each of the programme's loops: the package's lending decision
    // applicant by applicant (four steps a year, five cohorts, a finite
    // pool with top-ups); one-step cohorts drawn by counts (bench_lending
    // over three cohorts, with first-time and IP-backed applicants and
    // moral hazard); without a lending table, with warrants
    // (tech_loans.toml) and without (bench_loans.toml over two cohorts).
    // Every leaf of the resolved table of a lockstep class is moved to
    // two other values, and the optional keys are given; all variants of
    // a file run together in lockstep and each equals its run alone.
    let cases: [(&str, &[&str]); 4] = [
        ("shenzhen_policy_package.toml", &["simulation.paths=12"]),
        (
            "bench_lending.toml",
            &[
                "simulation.paths=24",
                "simulation.years=3",
                "vehicles.loans.cohorts=3",
                "vehicles.loans.first_loan_share=0.3",
                "vehicles.loans.ip_pledge_share=0.3",
                "vehicles.loans.lending.moral_hazard=0.2",
                "vehicles.loans.lending.applicants=3000",
            ],
        ),
        ("tech_loans.toml", &["simulation.paths=12"]),
        ("bench_loans.toml", &["simulation.paths=24", "simulation.years=2", "vehicles.loans.cohorts=2"]),
    ];
    let optional = [
        ("policy.risk_compensation.per_loan_cap", "0.5"),
        ("policy.risk_compensation.pool_size", "12.0"),
        ("lending.collateral_pd", "0.04"),
    ];
    let (mut compared, mut lockstepped) = (0, 0);
    for (file, sets) in cases {
        let text = read(&shipped_dir().join(file));
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let loaded = load_str(&text, file, &sets).unwrap_or_else(|e| panic!("{e}"));
        let base = loaded.scenario;
        let base_r = engine::run(&base, base.paths, 2, &|_| {});
        let resolved: toml::Value = toml::from_str(&loaded.resolved).unwrap();
        let mut variants = Vec::new();
        for (name, table) in resolved.get("vehicles").and_then(|v| v.as_table()).unwrap() {
            if table.get("kind").and_then(|k| k.as_str()) != Some("loan_program") {
                continue;
            }
            let mut keys = Vec::new();
            leaves("", table, &mut keys);
            let mut changes: Vec<(String, String)> = Vec::new();
            for (key, value) in keys {
                let key = key.trim_start_matches('.').to_string();
                let class = key_class(&key).unwrap_or_else(|| panic!("{file}: {key} has no class"));
                if downstream(class) {
                    changes.extend(two_values(&value).into_iter().map(|v| (key.clone(), v)));
                }
            }
            let get = |path: &str| path.split('.').try_fold(table, |t, k| t.get(k));
            for (key, value) in optional {
                let (parent, _) = key.rsplit_once('.').expect("a dotted key");
                if get(parent).is_some() && get(key).is_none() {
                    changes.push((key.to_string(), value.to_string()));
                }
            }
            for (key, value) in changes {
                let mut s = sets.clone();
                s.push(format!("vehicles.{name}.{key}={value}"));
                if let Ok(l) = load_str(&text, file, &s) {
                    variants.push((format!("{file} {name}.{key}={value}"), l.scenario));
                }
            }
        }
        assert!(variants.len() >= 10, "{file}: {} variants", variants.len());
        // In batches, as `fundsim run` runs them.
        let mut n = 0;
        for batch in variants.chunks(engine::LOCKSTEP_BATCH) {
            n += check_many(batch, &base, &base_r);
        }
        compared += variants.len();
        lockstepped += n;
        eprintln!("{file}: {} variants identical, {n} in lockstep", variants.len());
    }
    eprintln!("{compared} single-key changes of the lockstep classes identical, {lockstepped} ran in lockstep");
    assert!(lockstepped * 10 >= compared * 8, "most of them run in lockstep: {lockstepped} of {compared}");
}

#[test]
fn every_loan_programme_key_has_a_class_and_every_class_names_a_key() {
    // Every key a loan programme's resolved table can hold (the optional
    // ones given), with and without a lending table and with
    // borrowers_from, has a class; and every key of the class table is
    // one of them, so the table cannot drift from the structs.
    let text = "[simulation]\nyears = 5\n\
                [vehicles.fund]\nkind = \"venture_fund\"\n\
                [vehicles.plain]\nkind = \"loan_program\"\npd = 0.02\n\
                [vehicles.plain.policy.guarantee]\n[vehicles.plain.policy.insurance]\n\
                [vehicles.plain.policy.risk_compensation]\npool_size = 10.0\nper_loan_cap = 0.5\n\
                [vehicles.bank]\nkind = \"loan_program\"\n[vehicles.bank.lending]\ncollateral_pd = 0.05\n\
                [vehicles.linked]\nkind = \"loan_program\"\nborrowers_from = \"fund\"\nloan_share = 0.5\n";
    let loaded = load_str(text, "t.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let resolved: toml::Value = toml::from_str(&loaded.resolved).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for name in ["plain", "bank", "linked"] {
        let mut keys = Vec::new();
        leaves("", &resolved["vehicles"][name], &mut keys);
        for (key, _) in keys {
            let key = key.trim_start_matches('.').to_string();
            assert!(key_class(&key).is_some(), "{name}.{key} has no class");
            seen.insert(key);
        }
    }
    for (key, _) in KEY_CLASSES {
        assert!(seen.contains(key), "{key} is in the class table but in no resolved table");
    }
    // The counts docs/PERFORMANCE.md states.
    let count = |c: KeyClass| KEY_CLASSES.iter().filter(|(_, k)| *k == c).count();
    assert_eq!(
        [KeyClass::Borrowers, KeyClass::Decision, KeyClass::Settlement, KeyClass::Output].map(count),
        [15, 20, 9, 1]
    );
}

#[test]
fn a_lockstep_batch_is_as_long_as_memory_allows() {
    // The 3 x 3 grid's 8 variants: all in one batch at the benchmark's
    // 400 paths; fewer as the paths grow (each keeps its loan columns,
    // totals and their budget cells per path), never none, never more
    // than LOCKSTEP_BATCH; the batch size changes no result (the other
    // tests run batches of every composition against runs alone).
    let text = read(&shipped_dir().join("bench_grid.toml"));
    let variants = fundsim::sweep::variants(&text, "bench_grid.toml", &[], &load(&text, &[]).sweeps).unwrap();
    let base = &variants[0].scenario;
    let refs: Vec<&Scenario> = variants.iter().skip(1).map(|v| &v.scenario).collect();
    assert_eq!(refs.len(), 8);
    let lens: Vec<usize> =
        [400, 20_000, 1_000_000, 100_000_000].iter().map(|&p| engine::lockstep_batch_len(base, &refs, p)).collect();
    assert_eq!(lens[0], engine::LOCKSTEP_BATCH);
    assert!(lens.windows(2).all(|w| w[0] >= w[1]), "{lens:?}");
    assert_eq!(lens[3], 1, "{lens:?}");
    assert!(lens[2] < engine::LOCKSTEP_BATCH, "{lens:?}");
    // The memory check counts a batch: more with a sweep than without.
    let plain = load(text.split("[[sweep]]").next().unwrap(), &[]);
    let with = fundsim::limits::memory_estimate(base, 1, true);
    let without = fundsim::limits::memory_estimate(&plain, 1, true);
    assert!(with.lockstep_bytes > 0 && without.lockstep_bytes == 0);
    assert!(with.total > without.total + with.lockstep_bytes);
}
