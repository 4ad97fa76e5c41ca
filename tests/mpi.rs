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
        let want = output_files(&d.join("single"));
        assert!(want.iter().any(|(p, _)| p == Path::new("summary.csv")));
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
            let got = output_files(&d.join(&out));
            assert_eq!(
                got.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                want.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                "{scenario} -n {n}"
            );
            for ((p, a), (_, b)) in want.iter().zip(&got) {
                assert!(a == b, "{scenario}, mpirun -n {n}: {} differs from the single run's", p.display());
            }
        }
        std::fs::remove_dir_all(d.join("single")).unwrap();
        for n in ["2", "3"] {
            std::fs::remove_dir_all(d.join(format!("mpi{n}"))).unwrap();
        }
    }
}
