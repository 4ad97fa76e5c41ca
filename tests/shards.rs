//! Shards (`run --shard K/N`, `merge`): 1, 2, 3 and 7 shards merged give
//! CSVs byte-identical to the single run's, on the policy package (its
//! sweep variants and sensitivity cases included) and on each vehicle's
//! scenario; merge refuses shards of different runs, incomplete or
//! duplicated sets and damaged files with exit status 2, writing nothing.

mod common;
use common::*;

use std::path::Path;

fn shipped(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn ok(dir: &Path, args: &[&str]) {
    let o = fundsim(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
}

/// Run `scenario` whole, then in `n` shards (various thread counts) and
/// merge them (the shards given in reverse order); the outputs must be
/// byte-identical.
fn shards_equal_single(scenario: &str, paths: &str, counts: &[u64], expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = shipped(scenario);
    let common = ["--paths", paths, "--quiet", "--no-charts"];
    let mut args = vec!["run", f.as_str(), "--out", "single", "--threads", "2"];
    args.extend(common);
    ok(d, &args);
    let single = output_files(&d.join("single"));
    for name in expect {
        assert!(single.iter().any(|(p, _)| p == Path::new(name)), "{scenario}: no {name}");
    }
    for &n in counts {
        let mut dirs = Vec::new();
        for k in 1..=n {
            let (shard, dir, threads) = (format!("{k}/{n}"), format!("s{n}-{k}"), (k % 3 + 1).to_string());
            let mut args = vec!["run", f.as_str(), "--shard", &shard, "--out", &dir, "--threads", &threads];
            args.extend(common);
            ok(d, &args);
            dirs.push(dir);
        }
        let out = format!("merged{n}");
        let mut args = vec!["merge", "--out", &out, "--no-charts", "--quiet"];
        args.extend(dirs.iter().rev().map(String::as_str));
        ok(d, &args);
        let merged = output_files(&d.join(&out));
        assert_eq!(
            merged.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            single.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "{scenario}, {n} shards: other files"
        );
        for ((p, a), (_, b)) in single.iter().zip(&merged) {
            assert!(a == b, "{scenario}, {n} shards: {} differs from the single run's", p.display());
        }
        // The manifest records the shards, in path order.
        let m: serde_json::Value = serde_json::from_str(&read(&d.join(&out).join("manifest.json"))).unwrap();
        let from = m["merged_from"].as_array().unwrap();
        assert_eq!(from.len() as u64, n);
        for (k, s) in from.iter().enumerate() {
            assert_eq!(s["index"].as_u64(), Some(k as u64 + 1));
            assert_eq!(s["dir"].as_str(), Some(dirs[k].as_str()));
        }
    }
}

#[test]
fn policy_package_with_sweep_and_sensitivity_merges_byte_identical() {
    let expect = ["paths.csv", "summary.csv", "sweep.csv", "sensitivity.csv", "variants/1/paths.csv", "fiscal.csv"];
    shards_equal_single("shenzhen_policy_package.toml", "150", &[1, 2, 3, 7], &expect);
}

#[test]
fn each_vehicle_scenario_merges_byte_identical() {
    let expect = ["paths.csv", "summary.csv", "risk.csv", "timeseries.csv", "deals.csv"];
    for s in ["venture_fund.toml", "angel_guidance_fund.toml", "s_fund.toml", "tech_loans.toml"] {
        shards_equal_single(s, "300", &[1, 2, 3, 7], &expect);
    }
}

/// Shards 1..=3 of SMALL_FUND at 200 paths, with `extra` flags on the
/// shard named by `odd` (1-based); returns the temp dir.
fn three_shards(odd: Option<(u64, &[&str])>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = scenario(d, "s.toml", SMALL_FUND);
    for k in 1..=3u64 {
        let (shard, dir) = (format!("{k}/3"), format!("s{k}"));
        let mut args = vec!["run", f.to_str().unwrap(), "--shard", &shard, "--out", &dir, "--quiet"];
        if let Some((at, extra)) = odd
            && at == k
        {
            args.extend_from_slice(extra);
        }
        ok(d, &args);
    }
    tmp
}

/// `merge dirs --out out`: exit 2, a message containing `says`, no output.
fn refused(d: &Path, dirs: &[&str], says: &str) {
    let mut args = vec!["merge", "--out", "out", "--quiet", "--no-charts"];
    args.extend_from_slice(dirs);
    let o = fundsim(d, &args);
    assert_eq!(o.status.code(), Some(2), "{dirs:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(says), "{dirs:?}: expected `{says}` in: {}", stderr(&o));
    assert!(!d.join("out").exists(), "{dirs:?}: an output was written");
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_shards() {
    let tmp = three_shards(None);
    let d = tmp.path();
    refused(d, &["s1", "s3"], "shard(s) 2/3 missing");
    refused(d, &["s1", "s2", "s2", "s3"], "are both shard 2/3");
    std::fs::create_dir(d.join("empty")).unwrap();
    refused(d, &["s1", "s2", "empty"], "is not a shard directory");
    // A merged output is not a shard.
    ok(d, &["merge", "s1", "s2", "s3", "--out", "whole", "--quiet", "--no-charts"]);
    refused(d, &["s1", "s2", "whole"], "has no shard record");
    // A shard of another run of 4 shards.
    let f = d.join("s.toml");
    ok(d, &["run", f.to_str().unwrap(), "--shard", "2/4", "--out", "four", "--quiet"]);
    refused(d, &["s1", "four", "s3"], "shard count N");
}

#[test]
fn merge_refuses_shards_of_other_seeds_scenarios_sets_and_versions() {
    let tmp = three_shards(Some((2, &["--seed", "43"])));
    refused(tmp.path(), &["s1", "s2", "s3"], "seed");
    let tmp = three_shards(Some((3, &["--set", "vehicles.fund.deals=21"])));
    refused(tmp.path(), &["s1", "s2", "s3"], "--set values");
    let tmp = three_shards(Some((1, &["--paths", "201"])));
    refused(tmp.path(), &["s1", "s2", "s3"], "paths");
    let tmp = three_shards(Some((1, &["--no-paths"])));
    refused(tmp.path(), &["s1", "s2", "s3"], "flags");

    // The scenario file edited between shards.
    let tmp = three_shards(None);
    let d = tmp.path();
    let f = scenario(d, "s.toml", &SMALL_FUND.replace("deals = 20", "deals = 21"));
    ok(d, &["run", f.to_str().unwrap(), "--shard", "2/3", "--out", "s2", "--quiet"]);
    refused(d, &["s1", "s2", "s3"], "scenario");

    // Another fundsim version, in one shard and then in all.
    let tmp = three_shards(None);
    let d = tmp.path();
    let set_version = |dir: &str| {
        let p = d.join(dir).join("manifest.json");
        let text = read(&p).replace(
            &format!("\"fundsim_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"fundsim_version\": \"0.0.0-other\"",
        );
        assert!(text.contains("0.0.0-other"));
        std::fs::write(p, text).unwrap();
    };
    set_version("s2");
    refused(d, &["s1", "s2", "s3"], "fundsim version");
    set_version("s1");
    set_version("s3");
    refused(d, &["s1", "s2", "s3"], "were written by fundsim 0.0.0-other");
}

#[test]
fn merge_refuses_damaged_part_files_without_panic() {
    let tmp = three_shards(None);
    let d = tmp.path();
    let part = d.join("s2/shard/0.bin");
    let whole = std::fs::read(&part).unwrap();
    // Cut short in the header, in the sketches, in the rows; one byte too many.
    for cut in [3, 60, whole.len() / 2, whole.len() - 3] {
        std::fs::write(&part, &whole[..cut]).unwrap();
        let o = fundsim(d, &["merge", "s1", "s2", "s3", "--out", "out", "--quiet", "--no-charts"]);
        assert!(matches!(o.status.code(), Some(1 | 2)), "cut {cut}: {}", stderr(&o));
        assert!(stderr(&o).contains("shard part file"), "cut {cut}: {}", stderr(&o));
        assert!(!d.join("out").exists());
    }
    let mut longer = whole.clone();
    longer.push(0);
    std::fs::write(&part, &longer).unwrap();
    let o = fundsim(d, &["merge", "s1", "s2", "s3", "--out", "out", "--quiet", "--no-charts"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!d.join("out").exists());
    // Restored, it merges.
    std::fs::write(&part, &whole).unwrap();
    ok(d, &["merge", "s1", "s2", "s3", "--out", "out", "--quiet", "--no-charts"]);
}

#[test]
fn bad_shard_flags_are_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = scenario(d, "s.toml", SMALL_FUND);
    for bad in ["0/3", "4/3", "3", "x/y"] {
        let o = fundsim(d, &["run", f.to_str().unwrap(), "--shard", bad, "--out", "o", "--quiet"]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("K/N"), "{bad}: {}", stderr(&o));
    }
    // More shards than paths.
    let o = fundsim(d, &["run", f.to_str().unwrap(), "--paths", "5", "--shard", "1/6", "--out", "o", "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--shard") && stderr(&o).contains("more shards than there are paths"));
    assert!(!d.join("o").exists());
}
