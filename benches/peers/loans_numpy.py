#!/usr/bin/env python3
"""NumPy peer of fundsim reference workload (a): scenarios/bench_loans.toml.

10,000 one-year bullet loans of 1.0 to `growth` borrowers, one annual step
(k = 1), annual PD 2 % (overriding the stage failure rate), factor
correlation rho = 0.12, LGD 0.45, interest 4 %, funding 2 %; a guarantee
(share 0.5, fee 0.01, fee subsidy 0.5, re-guarantee share 0.5) and a finite
risk-compensation pool (ratio 0.4, size 15) paid in order of default.

The model is fundsim's (src/vehicles/loan_program.rs, src/model/company.rs,
MODEL.md 4.4); only the random numbers differ (NumPy's default Generator,
PCG64). With k = 1 and a one-year term, each loan is stepped once:

  * per path, the common factor Z ~ N(0, 1) (regimes and the factor's
    persistence play no part in one step);
  * loan i defaults when U_i < p(Z) = Phi((Phi^-1(pd) - sqrt(rho) Z) /
    sqrt(1 - rho)), U_i uniform (the one-factor Gaussian copula in uniform
    space, as fundsim does it); a borrower that does not fail cannot default
    later in the term, so whether it exits or raises a round is irrelevant;
  * each default loses size x LGD; losses are allocated per loan in order
    of default (one step: loan index order): guarantor share x loss (the
    government re-guarantee bears reguarantee_share of that), then the pool
    pays ratio x the bank's remaining loss until pool_size is spent, the
    bank keeps the rest;
  * loans performing at the end of the step pay interest, the guarantee fee
    (the government pays fee_subsidy of it); every loan is funded for the
    step.

Vectorised over paths and loans: the paths are processed in chunks of
`--chunk` paths x 10,000 loans (bounded memory), and the pool in order of
default is a cumulative sum over each path's defaulted loans in index
order, clipped at the pool size (`--method perloan`, the default and the
like-for-like peer). Two variants of the same model are there to be
honest about NumPy: `--method total` (a uniform per loan, but the pool's
totals as min(total claims, pool size), which does not depend on the
order) and `--method binomial` (defaults per path drawn as
Binomial(10,000, p(Z)): the same distribution of every metric here with
no per-loan work at all, a shortcut fundsim does not take).

Usage:  python3 benches/peers/loans_numpy.py --paths 20000 [--seed 1]
        [--chunk 100] [--method perloan|total|binomial] [--json out.json]
Requires NumPy only (pip install numpy). Single-threaded: NumPy's
elementwise kernels do not use threads; set OMP_NUM_THREADS=1 and friends to
be sure no BLAS thread pool is started.
"""

import argparse
import json
import math
import sys
import time
from statistics import NormalDist

import numpy as np

# Parameters of scenarios/bench_loans.toml. The keys it leaves out keep
# fundsim's defaults, which switch the other levers off (no first-time
# borrowers, no IP pledges, no warrants, no insurance, no interest subsidy).
LOANS = 10_000
SIZE = 1.0
TERM_STEPS = 1
K = 1
RATE = 0.04
FUNDING = 0.02
PD = 0.02
LGD = 0.45
RHO = 0.12
G_SHARE, G_FEE, G_FEE_SUBSIDY, G_REGUARANTEE = 0.5, 0.01, 0.5, 0.5
POOL_RATIO, POOL_SIZE = 0.4, 15.0


def norm_cdf(x):
    """Phi(x) for an array, via the Chebyshev-fitted erfc of Numerical
    Recipes (erfcc: fractional error < 1.2e-7 everywhere), vectorised; NumPy
    has no erf of its own. Exact enough: 1.2e-7 relative on a probability
    is far below any Monte Carlo error here."""
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc_abs = t * np.exp(poly)  # erfc(|x| / sqrt 2)
    # Phi(x) = erfc(-x / sqrt 2) / 2
    return np.where(x >= 0.0, 1.0 - 0.5 * erfc_abs, 0.5 * erfc_abs)


def simulate(paths, seed, chunk, method="perloan"):
    rng = np.random.default_rng(seed)
    per_step_pd = 1.0 - (1.0 - PD) ** (1.0 / K)
    threshold = NormalDist().inv_cdf(per_step_pd)
    a, b = math.sqrt(RHO), math.sqrt(1.0 - RHO)
    lent = LOANS * SIZE
    loss = SIZE * LGD
    guaranteed = G_SHARE * loss
    remaining = loss - guaranteed
    claim = POOL_RATIO * remaining  # the pool's claim from one default

    defaults = np.empty(paths, dtype=np.int64)
    compensation = np.empty(paths)
    exhausted = np.empty(paths, dtype=bool)
    for start in range(0, paths, chunk):
        n = min(chunk, paths - start)
        z = rng.standard_normal(n)
        p = norm_cdf((threshold - a * z) / b)
        if method == "binomial":
            # Given Z the defaults of identical loans are Binomial(N, p(Z)):
            # the same distribution of every metric, without per-loan draws.
            # Allocation totals do not depend on the order of default.
            dn = rng.binomial(LOANS, p)
            defaults[start:start + n] = dn
            total = dn * claim
            compensation[start:start + n] = np.minimum(total, POOL_SIZE)
            exhausted[start:start + n] = total > POOL_SIZE
            continue
        # 32-bit uniforms (as fundsim's failure test): resolution 2.3e-10
        # in fundsim, 6e-8 here; both far below a 2 % PD's Monte Carlo error.
        u = rng.random((n, LOANS), dtype=np.float32)
        failed = u < p.astype(np.float32)[:, None]
        defaults[start:start + n] = np.count_nonzero(failed, axis=1)
        if method == "perloan":
            # The pool in order of default (one step: loan index order). The
            # defaults of the chunk in row-major order are in order of path,
            # then of default; a cumulative sum of their claims, restarted at
            # each path, gives the claims before each default, and loan i is
            # paid min(claim_i, pool - claims before it)^+. The pool ran dry
            # when some loan got less than its claim.
            rows = np.flatnonzero(failed) // LOANS  # path of each default
            c = np.full(rows.size, claim)
            cum = np.cumsum(c)
            first = np.searchsorted(rows, np.arange(n))  # first default of each path
            offset = np.concatenate(([0.0], cum))[first]  # claims of earlier paths
            before = cum - c - offset[rows]
            paid = np.clip(np.minimum(c, POOL_SIZE - before), 0.0, None)
            compensation[start:start + n] = np.bincount(rows, weights=paid, minlength=n)
            exhausted[start:start + n] = np.bincount(rows, weights=paid < c, minlength=n) > 0
        else:  # "total": what the pool pays in all is min(total claims, pool)
            total = defaults[start:start + n] * claim
            compensation[start:start + n] = np.minimum(total, POOL_SIZE)
            exhausted[start:start + n] = total > POOL_SIZE

    d = defaults.astype(np.float64)
    gross_loss = d * loss
    guarantor_loss = d * guaranteed
    reguarantee_cost = guarantor_loss * G_REGUARANTEE
    bank_net_loss = d * remaining - compensation
    paying = LOANS - d  # loan-steps performing at the end of the step
    interest_income = paying * RATE / K * SIZE
    funding_cost = np.full(paths, LOANS * TERM_STEPS * FUNDING / K * SIZE)
    subsidy_cost = paying * (G_FEE * G_FEE_SUBSIDY) / K * SIZE
    fiscal_cost = compensation + reguarantee_cost + subsidy_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        credit_per_fiscal_yuan = np.where(fiscal_cost > 0.0, lent / fiscal_cost, np.nan)
    return {
        "defaults": d,
        "default_rate": d / LOANS,
        "gross_loss": gross_loss,
        "guarantor_loss": guarantor_loss,
        "compensation_paid": compensation,
        "bank_net_loss": bank_net_loss,
        "interest_income": interest_income,
        "funding_cost": funding_cost,
        "bank_return": (interest_income - funding_cost - bank_net_loss) / lent,
        "reguarantee_cost": reguarantee_cost,
        "subsidy_cost": subsidy_cost,
        "fiscal_cost": fiscal_cost,
        "pool_exhausted": exhausted.astype(np.float64),
        "credit_per_fiscal_yuan": credit_per_fiscal_yuan,
    }


def summarise(metrics):
    out = {}
    for name, v in metrics.items():
        ok = v[np.isfinite(v)]
        n = ok.size
        mean = float(ok.mean()) if n else float("nan")
        sd = float(ok.std(ddof=1)) if n > 1 else float("nan")
        out[name] = {"mean": mean, "sd": sd, "se": sd / math.sqrt(n) if n else float("nan"),
                     "n": int(n)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=100, help="paths per chunk (x 10,000 loans)")
    ap.add_argument("--json", help="write the summary as JSON here")
    ap.add_argument("--method", choices=["perloan", "total", "binomial"], default="perloan",
                    help="perloan (default): a uniform per loan and the pool allocated loan by "
                         "loan through a cumulative sum, as fundsim does; total: a uniform per "
                         "loan, pool totals as min(claims, pool size) (order-free); binomial: "
                         "defaults per path drawn as Binomial(loans, p(Z)) (same distribution, "
                         "no per-loan work: a shortcut fundsim does not take)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    metrics = simulate(args.paths, args.seed, args.chunk, args.method)
    summary = summarise(metrics)
    elapsed = time.perf_counter() - t0
    print(f"loans_numpy ({args.method}): {args.paths} paths x {LOANS} loans in {elapsed:.3f} s "
          f"({args.paths / elapsed:,.0f} paths/s)")
    print(f"{'metric':<24}{'mean':>16}{'se':>14}")
    for name, s in summary.items():
        print(f"{name:<24}{s['mean']:>16.6g}{s['se']:>14.4g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workload": "loans", "method": args.method, "paths": args.paths, "seconds": elapsed,
                       "summary": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
