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

#[test]
fn a_default_that_breaks_a_rule_is_placed_at_its_table() {
    // ip_recovery is not written: its default (0.3) with ip_recovery_sd 0
    // breaks the Beta rule, and the error points at [vehicles.l] (line 2),
    // the nearest key the file has.
    let text = "name = \"x\"\n[vehicles.l]\nkind = \"loan_program\"\nip_pledge_share = 0.5\nip_recovery_sd = 0.0\n";
    check_fails(text, &[], &["vehicles.l.ip_recovery", "line 2"]);
}

/// The lines of the message that name `key`.
fn lines_of<'a>(err: &'a str, key: &str) -> Vec<&'a str> {
    err.lines().filter(|l| l.contains(&format!("`{key}`"))).collect()
}

#[test]
fn every_type_error_comes_with_its_value_expected_type_and_line() {
    // Six mistakes, four of them wrong types: all six, each where it is.
    let text = r#"name = "six"
[simulation]
paths = "many"
seed = 1.5
[market]
public_vol = -3.0
[vehicles.fund]
kind = "venture_fund"
commitment = "lots"
deals = [1, 2]
carry = 2.0
"#;
    let err = check_fails(text, &[], &["6 errors"]);
    for (key, value, expected, line) in [
        ("simulation.paths", "\"many\"", "expected a whole number", "line 3"),
        ("simulation.seed", "1.5", "expected a whole number", "line 4"),
        ("vehicles.fund.commitment", "\"lots\"", "expected a number", "line 9"),
        ("vehicles.fund.deals", "[1, 2]", "expected a whole number", "line 10"),
    ] {
        let l = lines_of(&err, key);
        assert_eq!(l.len(), 1, "{key}:\n{err}");
        assert!(l[0].contains(&format!("= {value}")) && l[0].contains(expected) && l[0].contains(line), "{}", l[0]);
    }
    assert_eq!(lines_of(&err, "market.public_vol").len(), 1, "{err}");
    assert_eq!(lines_of(&err, "vehicles.fund.carry").len(), 1, "{err}");
}

#[test]
fn type_errors_in_arrays_and_experiment_tables_are_each_reported() {
    let text = format!(
        "{SMALL_FUND}\n[market.regimes]\ninitial = [0.2, \"a\", 0.8]\n[[sweep]]\nkey = 5\nvalues = [1]\n[sensitivity]\ntarget = 3\nlevers = []\n"
    );
    let err = check_fails(&text, &[], &["market.regimes.initial[1]", "sweep[0].key", "sensitivity.target"]);
    assert!(err.contains("= \"a\": has the wrong type: expected a number"), "{err}");
}

#[test]
fn a_mistake_made_by_a_set_is_blamed_on_the_set() {
    // The stage mix rule is on the table, the --set on one of its keys.
    let err = check_fails(SMALL_FUND, &["vehicles.fund.stage_mix.seed=0.9", "vehicles.fund.deals=x"], &["2 errors"]);
    for key in ["vehicles.fund.stage_mix", "vehicles.fund.deals"] {
        let l = lines_of(&err, key);
        assert!(!l.is_empty() && l.iter().all(|l| l.starts_with("--set")), "{key}:\n{err}");
    }
    assert!(err.contains("`vehicles.fund.deals` = \"x\": has the wrong type"), "{err}");
}

#[test]
fn a_bad_sweep_value_is_blamed_on_its_sweep_table() {
    let text = format!("{SMALL_FUND}\n[[sweep]]\nkey = \"vehicles.fund.carry\"\nvalues = [0.2, 1.5, \"x\"]\n");
    let line = text.lines().position(|l| l.starts_with("values")).unwrap() + 1;
    let err = check_fails(&text, &["vehicles.fund.hurdle=0.1"], &["2 errors"]);
    let l = lines_of(&err, "vehicles.fund.carry");
    assert_eq!(l.len(), 2, "{err}");
    for l in l {
        assert!(l.contains(&format!("s.toml, line {line}")) && l.contains("sweep[0].values"), "{l}");
    }
}

#[test]
fn a_sweep_or_lever_may_not_change_the_columns() {
    for (key, values) in [
        ("vehicles.fund.kind", "[\"venture_fund\", \"loan_program\"]"),
        ("vehicles.fund.kind", "[\"loan_program\", \"venture_fund\"]"),
        ("vehicles.fund", "[1, 2]"),
        ("vehicles.extra.kind", "[\"loan_program\"]"),
        ("vehicles.extra.loans", "[10, 20]"),
    ] {
        let text = format!("{SMALL_FUND}\n[[sweep]]\nkey = \"{key}\"\nvalues = {values}\n");
        check_fails(&text, &[], &["sweep[0].key", key, "column"]);
    }
    let text = format!(
        "{SMALL_FUND}\n[sensitivity]\ntarget = \"fund.tvpi\"\nlevers = [{{ key = \"vehicles.fund.kind\", low = \"venture_fund\", high = \"s_fund\" }}]\n"
    );
    check_fails(&text, &[], &["sensitivity.levers[0].key", "kind"]);
}

#[test]
fn huge_grids_and_deep_keys_are_refused_before_any_work() {
    let values: Vec<String> = (0..1000).map(|i| format!("{}", i as f64 / 1000.0)).collect();
    let values = values.join(", ");
    let text = format!(
        "{SMALL_FUND}\n[[sweep]]\nkey = \"vehicles.fund.carry\"\nvalues = [{values}]\n[[sweep]]\nkey = \"vehicles.fund.hurdle\"\nvalues = [{values}]\n"
    );
    check_fails(&text, &[], &["`sweep`", "1000 x 1000", "at most 10000 variants"]);
    let deep = vec!["a"; 5000].join(".");
    check_fails(SMALL_FUND, &[&format!("{deep}=1")], &["--set", "5000 levels", "at most 64"]);
    let text = format!("{SMALL_FUND}\n[[sweep]]\nkey = \"{deep}\"\nvalues = [1]\n");
    check_fails(&text, &[], &["sweep[0].key", "at most 64"]);
}

#[test]
fn overflowing_amounts_are_refused() {
    check_fails(
        SMALL_FUND,
        &["vehicles.fund.commitment=1e308"],
        &["vehicles.fund.commitment", "1e308", "at most 1e12"],
    );
    check_fails(SMALL_FUND, &["stages.seed.step_up=1e300"], &["stages.seed.step_up", "must be within (0, 1000]"]);
}

#[test]
fn resource_flags_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", SMALL_FUND);
    let f = f.to_str().unwrap();
    for (args, expect) in [
        (&["run", f, "--threads", "100000", "--out", "out"][..], &["`--threads` = 100000", "available core"][..]),
        (
            &["run", f, "--paths", "1000000000", "--out", "out"],
            &["`--paths` = 1000000000", "memory", "at most about"][..],
        ),
        (&["bench", f, "--repeats", "0", "--csv", "out/b.csv"], &["`--repeats` = 0", "within [1, 1000]"]),
        (&["bench", f, "--threads", "5000", "--csv", "out/b.csv"], &["`--threads` = 5000"]),
    ] {
        let o = fundsim(dir.path(), args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for e in expect {
            assert!(err.contains(e), "{args:?}: expected {e:?} in:\n{err}");
        }
        assert!(!dir.path().join("out").exists());
    }
}

/// Values that cannot take effect are refused, each naming key, value and
/// rule (issue 20): a launch, buy-back or purchase beyond the horizon or
/// after the fund has ended, a loan term that is not whole steps, and a
/// commitment the deals cannot absorb.
const GUIDANCE: &str = r#"
name = "g"
[simulation]
paths = 50
years = 12
[vehicles.g]
kind = "guidance_fund"
government_capital = 100.0
subfunds = 4
"#;

const S_FUND: &str = r#"
name = "s"
[simulation]
paths = 50
years = 15
[vehicles.s]
kind = "s_fund"
funds = 4
"#;

#[test]
fn a_launch_beyond_the_horizon_is_refused() {
    check_fails(
        GUIDANCE,
        &["vehicles.g.launch_years=20"],
        &[
            "`vehicles.g.launch_years` = 20",
            "launches at year launch_years x (4 - 1) / 4 = 15",
            "simulation.years = 12",
        ],
    );
    check_fails(
        S_FUND,
        &["vehicles.s.launch_years=16"],
        &["`vehicles.s.launch_years` = 16", "launches at year launch_years x (4 - 1) / 4 = 12", "simulation.years"],
    );
}

#[test]
fn a_buyback_beyond_the_horizon_or_the_fund_is_refused() {
    let text = format!("{GUIDANCE}buyback = {{ year = 9.0, rate = 0.03 }}\n");
    check_fails(
        &text,
        &["simulation.years=8"],
        &["`vehicles.g.buyback.year` = 9", "must be below simulation.years (8)"],
    );
    let text = format!("{GUIDANCE}buyback = {{ year = 12.5, rate = 0.03 }}\n");
    check_fails(
        &text,
        &["simulation.years=20"],
        &["`vehicles.g.buyback.year` = 12.5", "must be below the sub-funds' term_years + extension_years (12)"],
    );
}

#[test]
fn an_s_fund_purchase_after_the_target_ended_is_refused() {
    // The default target lives 10 + 2 years: a purchase at age 13 was
    // counted as a purchase at price 0.
    check_fails(
        S_FUND,
        &["vehicles.s.purchase_age_years=13"],
        &["`vehicles.s.purchase_age_years` = 13", "term_years + extension_years (12)", "price 0"],
    );
    check_fails(
        S_FUND,
        &["simulation.years=8", "vehicles.s.purchase_age_years=8"],
        &["`vehicles.s.purchase_age_years` = 8", "must be below simulation.years (8)"],
    );
}

#[test]
fn a_loan_term_of_part_of_a_step_is_refused() {
    let text = "name = \"l\"\n[vehicles.l]\nkind = \"loan_program\"\nterm_years = 0.1\n";
    check_fails(text, &[], &["`vehicles.l.term_years` = 0.1", "must be a multiple of 1/steps_per_year (0.25)"]);
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", &text.replace("0.1", "0.5"));
    let o = fundsim(dir.path(), &["check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_commitment_the_deals_cannot_absorb_is_refused() {
    // TVPI 0.70 at 10,000 against 1.79 at 100: full tickets for ownership
    // capped at 100 %.
    check_fails(
        SMALL_FUND,
        &["vehicles.fund.commitment=10000"],
        &[
            "`vehicles.fund.commitment` = 10000",
            "must be at most 535.714 with 20 deals",
            "stages.seed.entry_valuation = 15",
        ],
    );
    // The lowest entry stage sets the bound; a guidance fund's is on its
    // government capital (the sub-fund commitment is derived).
    let text = format!("{GUIDANCE}subfund = {{ stage_mix = {{ early = 1.0 }} }}\n");
    check_fails(
        &text,
        &["vehicles.g.government_capital=100000"],
        &["`vehicles.g.government_capital` = 100000", "government_share) = 100000", "stages.early.entry_valuation"],
    );
    check_fails(S_FUND, &["vehicles.s.target.commitment=5000"], &["`vehicles.s.target.commitment` = 5000"]);
}

#[test]
fn every_horizon_rule_comes_with_the_other_errors() {
    let err = check_fails(
        S_FUND,
        &["vehicles.s.purchase_age_years=13", "vehicles.s.target.commitment=5000", "vehicles.s.stake=2"],
        &["3 errors"],
    );
    for key in ["vehicles.s.purchase_age_years", "vehicles.s.target.commitment", "vehicles.s.stake"] {
        assert!(err.contains(&format!("`{key}`")), "{err}");
    }
}

#[test]
fn a_partial_stage_mix_is_the_shares_written() {
    // Stages left out are 0: the same results as writing the zeros.
    let partial = SMALL_FUND.replace("deals = 20", "deals = 20\nstage_mix = { seed = 0.5, early = 0.5 }");
    let full = SMALL_FUND
        .replace("deals = 20", "deals = 20\nstage_mix = { seed = 0.5, early = 0.5, growth = 0.0, late = 0.0 }");
    let (a, b) = (simulate(&partial, &[], 1), simulate(&full, &[], 1));
    let bits = |r: &fundsim::engine::Results| r.matrix.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    // check prints the whole mix in use.
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), "s.toml", &partial);
    let o = fundsim(dir.path(), &["check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("growth = 0.0") && text.contains("late = 0.0"), "{text}");
    // A mix that does not add up is quoted as written, nothing else.
    let short = SMALL_FUND.replace("deals = 20", "deals = 20\nstage_mix = { seed = 0.5, early = 0.3 }");
    let err = check_fails(
        &short,
        &[],
        &["`vehicles.fund.stage_mix` = { seed = 0.5, early = 0.3 }", "add up to 0.8", "(growth, late) count as 0"],
    );
    assert!(!err.contains("0.2"), "no value the user did not write: {err}");
    check_fails(&partial, &["vehicles.fund.stage_mix.seed=1.5"], &["`vehicles.fund.stage_mix.seed` = 1.5"]);
}

#[test]
fn a_sale_after_every_sub_fund_ended_is_refused() {
    let text = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shenzhen_policy_package.toml"));
    check_fails(
        &text,
        &["simulation.years=30", "vehicles.sfund.purchase_age_years=25"],
        &[
            "`vehicles.sfund.purchase_age_years` = 25",
            "sub-fund of the seller \"angel\" is running",
            "nothing would be sold",
        ],
    );
}

#[test]
fn an_unknown_key_in_an_optional_table_is_named_by_its_path_and_line() {
    // `lending` is an optional table (an Option in the raw types): the key
    // path has no `?` step and the line is the typo's.
    let text =
        "name = \"x\"\n[vehicles.l]\nkind = \"loan_program\"\n[vehicles.l.lending]\napplicants = 100\nhurdel = 0.01\n";
    let err = check_fails(text, &[], &["`vehicles.l.lending.hurdel`", "line 6", "is not a known key"]);
    assert!(!err.contains(".?."), "{err}");
}

#[test]
fn a_date_time_is_refused_wherever_it_is_given() {
    // serde would read a TOML date-time into a string key as its text.
    let text = SMALL_FUND.replace("name = \"small fund\"", "name = 1979-05-27");
    let text = format!("{text}\n[policy]\nipo_premium = 1979-05-27T07:32:00Z\n");
    let err = check_fails(&text, &[], &["`name` = 1979-05-27", "`policy.ipo_premium`", "no key takes a date-time"]);
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn bad_exit_and_recycling_values_name_their_rule() {
    check_fails(SMALL_FUND, &["policy.ipo_premium=0"], &["policy.ipo_premium", "must be within [0.1, 10]"]);
    check_fails(
        SMALL_FUND,
        &["vehicles.fund.recycling_cap=1.5"],
        &["vehicles.fund.recycling_cap", "must be within [0, 1]"],
    );
}
