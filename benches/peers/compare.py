#!/usr/bin/env python3
"""fundsim against its NumPy peers, side by side (issue 8).

For each reference workload -- (a) scenarios/bench_loans.toml, peer
benches/peers/loans_numpy.py; (b) scenarios/bench_fund.toml, peer
benches/peers/fund_numpy.py -- this script times, as whole processes
(wall clock, best of --repeats):

  fundsim run scenarios/bench_<x>.toml --threads T --paths N
          --no-charts --no-paths --quiet --out <tmp>        (T = 1 and 2)
  python3 benches/peers/<x>_numpy.py --paths N --json <tmp> (one thread:
          OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = 1)

prints a table (seconds, the ratio NumPy / fundsim at one thread, peak RSS
of each process) and checks that the two implementations agree: selected
means from fundsim's summary.csv against the peer's, each within 4
combined standard errors (sqrt(se_fundsim^2 + se_numpy^2)); PASS/FAIL per
metric. The random numbers differ (fundsim: SplitMix64 streams; peers:
NumPy's PCG64), so agreement is statistical, never exact.

The loan peer runs in three variants, all the same model:
  perloan   a uniform per loan, the pool allocated loan by loan through a
            cumulative sum in order of default (what fundsim does): THE peer;
  total     a uniform per loan, pool totals as min(total claims, pool size)
            (order-free: equal totals, less work);
  binomial  defaults per path drawn as Binomial(10,000, p(Z)) (the same
            distribution without per-loan draws: a shortcut, not a like-for-
            like peer; shown for honesty about what NumPy can do here).

Peak RSS comes from /usr/bin/time -v ("Maximum resident set size") when it
exists, else from os.wait4's per-child rusage.

Requirements: Python 3.8+, NumPy (installed with `pip install numpy` if
missing: this script does that itself), a release build of fundsim
(`cargo build --release`; path with --fundsim).

Usage (from the repository root):
  python3 benches/peers/compare.py                     # N = 20,000 (a), 40,000 (b)
  python3 benches/peers/compare.py --paths-loans 20000 --paths-fund 40000 \\
      --repeats 3 --markdown output/bench/compare.md
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TIME = "/usr/bin/time"

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


def ensure_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("NumPy missing: pip install numpy", flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "numpy"])


def run_measured(cmd, env=None):
    """Run cmd; return (wall seconds, peak RSS in KiB or None, CPU seconds
    (user + system) or None, stdout)."""
    full_env = dict(os.environ, **(env or {}))
    use_time = os.path.exists(TIME) and os.access(TIME, os.X_OK)
    argv = [TIME, "-v"] + cmd if use_time else cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=ROOT)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}")
    rss = cpu = None
    if use_time:
        text = err.decode(errors="replace")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss = int(m.group(1)) if m else None
        u = re.search(r"User time \(seconds\): ([\d.]+)", text)
        sy = re.search(r"System time \(seconds\): ([\d.]+)", text)
        cpu = float(u.group(1)) + float(sy.group(1)) if u and sy else None
    return wall, rss, cpu, out.decode(errors="replace")


def run_measured_wait4(cmd, env=None):
    """As run_measured without /usr/bin/time: per-child rusage via os.wait4."""
    full_env = dict(os.environ, **(env or {}))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=full_env, cwd=ROOT)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}")
    # ru_maxrss: KiB on Linux
    return wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, out.decode(errors="replace")


def measure(cmd, repeats, env=None):
    runner = run_measured if os.path.exists(TIME) else run_measured_wait4
    runs = [runner(cmd, env) for _ in range(repeats)]
    walls = [r[0] for r in runs]
    best = min(range(repeats), key=lambda i: walls[i])
    rss = max((r[1] for r in runs if r[1] is not None), default=None)
    return walls[best], rss, runs[best][2], walls


def fmt(x):
    return "?" if x is None else f"{x:.3f}"


def fundsim_summary(path):
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            # An empty cell is an undefined statistic (e.g. a ratio that is
            # undefined in every path); it has nothing to compare.
            if row["mean"] and row["se"]:
                out[(row["vehicle"], row["metric"])] = (float(row["mean"]), float(row["se"]))
    return out


def load():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# (label, fundsim metric, peer metric, divisor) -- divisor turns deal counts
# into shares of the 30 deals.
CHECKS = {
    "loans": [
        ("default_rate", "default_rate", "default_rate", 1.0),
        ("gross_loss", "gross_loss", "gross_loss", 1.0),
        ("bank_net_loss", "bank_net_loss", "bank_net_loss", 1.0),
        ("fiscal_cost", "fiscal_cost", "fiscal_cost", 1.0),
        ("compensation_paid", "compensation_paid", "compensation_paid", 1.0),
        ("pool_exhausted", "pool_exhausted", "pool_exhausted", 1.0),
    ],
    "fund": [
        ("tvpi", "tvpi", "tvpi", 1.0),
        ("dpi", "dpi", "dpi", 1.0),
        ("gross_multiple", "gross_multiple", "gross_multiple", 1.0),
        ("share failed", "deals_failed", "deals_failed", 30.0),
        ("share acquired", "deals_acquired", "deals_acquired", 30.0),
        ("share ipo", "deals_ipo", "deals_ipo", 30.0),
        ("irr", "irr", "irr", 1.0),
    ],
}
VEHICLE = {"loans": "loans", "fund": "fund"}


def main():
    ap = argparse.ArgumentParser(description="fundsim against its NumPy peers")
    ap.add_argument("--fundsim", default=os.path.join(ROOT, "target", "release", "fundsim"))
    ap.add_argument("--paths-loans", type=int, default=20000)
    ap.add_argument("--paths-fund", type=int, default=40000)
    ap.add_argument("--threads", default="1,2", help="fundsim thread counts (the first is the per-core baseline)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workloads", default="loans,fund")
    ap.add_argument("--loan-methods", default="perloan,total,binomial",
                    help="loan peer variants to time (perloan is the like-for-like peer)")
    ap.add_argument("--markdown", help="also write the table (markdown) to this file")
    args = ap.parse_args()

    ensure_numpy()
    if not os.path.exists(args.fundsim):
        raise SystemExit(f"{args.fundsim} missing: run `cargo build --release` first")
    threads = [int(t) for t in args.threads.split(",")]
    tmp = tempfile.mkdtemp(prefix="fundsim_compare_")
    print(f"load average before: {load()}", flush=True)

    rows, checks = [], []
    for w in args.workloads.split(","):
        n = args.paths_loans if w == "loans" else args.paths_fund
        scenario = os.path.join("scenarios", f"bench_{w}.toml")
        fs = {}
        for t in threads:
            out_dir = os.path.join(tmp, f"{w}_t{t}")
            cmd = [args.fundsim, "run", scenario, "--threads", str(t), "--paths", str(n),
                   "--no-charts", "--no-paths", "--quiet", "--out", out_dir]
            best, rss, cpu, walls = measure(cmd, args.repeats)
            fs[t] = (best, rss)
            print(f"  fundsim {w} T={t}: wall " + ", ".join(f"{x:.3f}" for x in walls)
                  + f" s; CPU of the best {fmt(cpu)} s", flush=True)
        summary = fundsim_summary(os.path.join(tmp, f"{w}_t{threads[0]}", "summary.csv"))
        methods = args.loan_methods.split(",") if w == "loans" else [None]
        for method in methods:
            peer = os.path.join(HERE, f"{w}_numpy.py")
            js = os.path.join(tmp, f"{w}_{method or 'peer'}.json")
            cmd = [sys.executable, peer, "--paths", str(n), "--json", js]
            if method:
                cmd += ["--method", method]
            best, rss, cpu, walls = measure(cmd, args.repeats, ONE_THREAD)
            label = f"{w} (numpy {method})" if method else f"{w} (numpy)"
            print(f"  {label}: wall " + ", ".join(f"{x:.3f}" for x in walls)
                  + f" s; CPU of the best {fmt(cpu)} s", flush=True)
            rows.append((w, method, n, fs, best, rss))
            with open(js) as f:
                peer_summary = json.load(f)["summary"]
            for label_m, fm, pm, div in CHECKS[w]:
                m1, se1 = summary[(VEHICLE[w], fm)]
                m2, se2 = peer_summary[pm]["mean"], peer_summary[pm]["se"]
                m1, se1, m2, se2 = m1 / div, se1 / div, m2 / div, se2 / div
                comb = math.hypot(se1, se2)
                z = abs(m1 - m2) / comb if comb > 0 else (0.0 if m1 == m2 else math.inf)
                checks.append((w, method, label_m, m1, se1, m2, se2, z, z <= 4.0))
    print(f"load average after: {load()}")

    t1 = threads[0]
    head = ["workload", "paths"] + [f"fundsim {t}T s" for t in threads] + [
        "numpy s", f"numpy / fundsim {t1}T"] + [f"RSS fundsim {t}T MB" for t in threads] + ["RSS numpy MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    mb = lambda k: f"{k / 1024:.0f}" if k else "?"
    for w, method, n, fs, best, rss in rows:
        name = f"({'a' if w == 'loans' else 'b'}) {w}" + (f", numpy {method}" if method else "")
        cells = [name, f"{n:,}"] + [f"{fs[t][0]:.3f}" for t in threads] + [
            f"{best:.3f}", f"{best / fs[t1][0]:.2f}"] + [mb(fs[t][1]) for t in threads] + [mb(rss)]
        lines.append("| " + " | ".join(cells) + " |")
    print()
    print("\n".join(lines))
    print()
    chk = ["| workload | metric | fundsim mean (se) | numpy mean (se) | |diff| / combined se | result |",
           "|---|---|---|---|---|---|"]
    for w, method, label_m, m1, se1, m2, se2, z, ok in checks:
        wl = w + (f" ({method})" if method else "")
        chk.append(f"| {wl} | {label_m} | {m1:.6g} ({se1:.2g}) | {m2:.6g} ({se2:.2g}) | {z:.2f} | "
                   f"{'PASS' if ok else 'FAIL'} |")
    print("\n".join(chk))
    if args.markdown:
        os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n\n" + "\n".join(chk) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(c[-1] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
