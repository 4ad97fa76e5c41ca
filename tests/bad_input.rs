//! Bad input: every mistake gives exit status 2, a message naming the key
//! and the rule, all of a file's errors at once, and nothing written.

mod common;
use common::*;

fn check_fails(text: &str, sets: &[&str], expect: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", text);
    let mut args = vec!["run", f.to_str().unwrap(), "--out", "out", "--quiet"];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    let o = fundsim(dir.path(), &args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing may be written");
    err
}

#[test]
fn malformed_file() {
    check_fails("name = \"x\"\n[simulation\npaths = 3\n", &[], &["line 2", "not valid TOML"]);
}

#[test]
fn unknown_keys_are_errors_all_reported() {
    let text = format!("{SMALL_FUND}\ncomitment = 5.0\n[market]\nfactor_corelation = 0.1\n");
    let err = check_fails(&text, &[], &["vehicles.fund.comitment", "market.factor_corelation", "is not a known key"]);
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn probability_outside_unit_interval() {
    let text = format!("{SMALL_FUND}\n[stages.seed]\nfailure_rate = 1.5\n");
    check_fails(&text, &[], &["stages.seed.failure_rate", "1.5", "must be within [0, 1]", "line"]);
}

#[test]
fn negative_commitment() {
    let text = SMALL_FUND.replace("commitment = 100.0", "commitment = -5.0");
    check_fails(
        &text,
        &[],
        &["vehicles.fund.commitment", "-5", "must be a money amount > 0 and at most 1e12", "line 10"],
    );
}

#[test]
fn transition_rows_must_sum_to_one() {
    let text =
        format!("{SMALL_FUND}\n[market.regimes]\ntransition = [[0.6, 0.4, 0.0], [0.15, 0.7, 0.1], [0.0, 0.4, 0.6]]\n");
    check_fails(&text, &[], &["market.regimes.transition[1]", "must add up to 1"]);
}

#[test]
fn all_errors_of_a_file_come_in_one_run() {
    let text = SMALL_FUND.replace("commitment = 100.0", "commitment = -5.0\ncarry = 2.0\nhurdle = -0.1")
        + "\n[stages.early]\nipo_rate = -0.2\n";
    let err = check_fails(
        &text,
        &[],
        &["vehicles.fund.commitment", "vehicles.fund.carry", "vehicles.fund.hurdle", "stages.early.ipo_rate"],
    );
    assert!(err.contains("4 errors"), "{err}");
}

#[test]
fn bad_set_path() {
    check_fails(SMALL_FUND, &["vehicles.fund.carri=0.3"], &["vehicles.fund.carri", "is not a known key"]);
    check_fails(SMALL_FUND, &["simulation.paths.x=3"], &["simulation.paths", "not a table"]);
    check_fails(SMALL_FUND, &["vehicles.fund.carry=1.5"], &["--set", "vehicles.fund.carry", "must be within"]);
    check_fails(SMALL_FUND, &["novalue"], &["KEY=VALUE"]);
}

#[test]
fn wrong_type_names_the_key() {
    let text = SMALL_FUND.replace("deals = 20", "deals = \"twenty\"");
    check_fails(&text, &[], &["vehicles.fund.deals", "wrong type"]);
}

#[test]
fn unknown_vehicle_kind() {
    let text = SMALL_FUND.replace("kind = \"venture_fund\"", "kind = \"hedge_fund\"");
    check_fails(&text, &[], &["vehicles.fund.kind", "must be one of"]);
}

#[test]
fn bad_paths_flag_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", SMALL_FUND);
    let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--paths", "0", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--paths"));
    let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--paths", "many"]);
    assert_eq!(o.status.code(), Some(2));
    let o = fundsim(dir.path(), &["run", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be read"));
}

#[test]
fn existing_output_is_left_untouched_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("summary.csv"), "earlier run").unwrap();
    let f = scenario(dir.path(), "s.toml", &SMALL_FUND.replace("deals = 20", "deals = 0"));
    let o = fundsim(dir.path(), &["run", f.to_str().unwrap(), "--out", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("vehicles.fund.deals"));
    assert_eq!(read(&out.join("summary.csv")), "earlier run");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    // And nothing was left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn check_validates_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", SMALL_FUND);
    let o = fundsim(dir.path(), &["check", f.to_str().unwrap(), "--set", "vehicles.fund.carry=0.25"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("carry = 0.25"), "{text}");
    assert!(text.contains("failure_rate"), "resolved defaults are shown: {text}");
    assert!(!dir.path().join("output").exists());
}
