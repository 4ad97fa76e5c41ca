//! `run --mpi` under `mpirun -n 2` and `-n 3` on loopback (only with the
//! cargo feature `mpi`, as `.ci/run` builds it): rank 0 writes CSVs
//! byte-identical to the single run's, on the policy package (sweep and
//! sensitivity included, with and without `--no-paths`) and on the loan
//! programme with `--no-paths`.
#![cfg(feature = "mpi")]

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

fn shipped(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "manifest.json" {
                out.push((p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn two_and_three_ranks_write_the_single_runs_csvs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (scenario, paths, extra) in [
        ("shenzhen_policy_package.toml", "150", &[][..]),
        ("shenzhen_policy_package.toml", "150", &["--no-paths"][..]),
        ("tech_loans.toml", "500", &["--no-paths"][..]),
    ] {
        let f = shipped(scenario);
        let mut args = vec!["run", f.as_str(), "--paths", paths, "--no-charts", "--quiet", "--threads", "1"];
        args.extend_from_slice(extra);
        let single = fundsim(d, &[&args[..], &["--out", "single"]].concat());
        assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
        let want = files(&d.join("single"));
        assert!(want.iter().any(|(p, _)| p == "summary.csv"));
        for n in ["2", "3"] {
            let out = format!("mpi{n}");
            let o = Command::new("mpirun")
                .args(["--oversubscribe", "--allow-run-as-root", "-n", n, env!("CARGO_BIN_EXE_fundsim")])
                .args(&args)
                .args(["--mpi", "--out", &out])
                .current_dir(d)
                .output()
                .expect("mpirun (Debian: openmpi-bin)");
            assert_eq!(o.status.code(), Some(0), "{scenario} -n {n}: {}", stderr(&o));
            let got = files(&d.join(&out));
            assert_eq!(
                got.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                want.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                "{scenario} -n {n}"
            );
            for ((p, a), (_, b)) in want.iter().zip(&got) {
                assert!(a == b, "{scenario}, mpirun -n {n}: {p} differs from the single run's");
            }
        }
        std::fs::remove_dir_all(d.join("single")).unwrap();
        for n in ["2", "3"] {
            std::fs::remove_dir_all(d.join(format!("mpi{n}"))).unwrap();
        }
    }
}
