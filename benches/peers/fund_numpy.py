#!/usr/bin/env python3
"""NumPy peer of fundsim reference workload (b): scenarios/bench_fund.toml.

A venture fund (commitment 100) of 30 early-stage deals, all made in the
first quarter, simulated 12 years quarterly (48 steps): no reserves, 2 %
management fee, 8 % hurdle, full catch-up, 20 % carry, European (whole-fund)
waterfall, term 10 + 2 years of extension, terminal haircut 0.7; the default
economy and stage parameters, read from scenarios/defaults.toml and
scenarios/bench_fund.toml (tomllib), so the peer follows the shipped
defaults without being edited.

The model is fundsim's (src/model/market.rs, src/model/company.rs,
src/vehicles/venture_fund/mod.rs, src/finance/waterfall.rs,
src/finance/irr.rs); only the random numbers differ (NumPy's default
Generator, PCG64). Per path:

  * economy: Z_t = phi Z_{t-1} + sqrt(1 - phi^2) e_t (Z_0 = e_0), a 3-state
    exit-market regime drawn from `initial` in year 1 and moved by the annual
    transition matrix at the start of every later year;
  * step 0: 30 early-stage companies enter at V = entry_valuation
    exp(sigma n), marked at V, each of the high-growth type with probability
    high_growth_share; the fund buys ownership min(ticket, V) / V for
    ticket = 100 (1 - 0.02 x 10) / 30 (capital for the fees over the whole
    term is kept back; a ticket cut to V releases the rest for follow-ons);
    they first move in step 1;
  * each later step, each open private company, with the parameters of its
    stage at the start of the step: failure if
    U1 < 1 - (1 - Phi((Phi^-1(q_stage) - sqrt(rho) Y) / sqrt(1 - rho)))^(1/k),
    q_stage the annual rate and Y the year's factor (the year's Z summed and
    scaled to unit variance); the fund gets liquidation_recovery x its cost;
    else IPO if U2 < p_ipo(stage, regime, type), acquisition if U2 < p_ipo +
    p_acq (per-step hazards from the annual rates x regime x registration
    multipliers, x high_growth_exit_multiplier for the high-growth type,
    renormalised if they sum above 1; with value-dependent exits each then x
    min(exit_value_cap, (V / entry_valuation of the stage)^beta), beta
    ipo_value_elasticity or acquisition_value_elasticity, each capped at 1
    and renormalised again), the IPO priced at V x valuation
    multiplier x ipo_premium, the acquisition paying ownership x V x
    acquisition multiple x valuation multiplier; else a milestone if U3 <
    p_round(stage): the stage advances (late stays late) and, if ln V -
    ln mark >= ln step_up, a priced round: ln V += -ln(1 - dilution) (the new
    money), mark = exp(ln V - s^2/2 + s N) (s = step_up_sigma), and the
    fund follows on up to follow_on_limit x pro rata (ownership x dilution x
    mark, at most the round's new money) from its pool of
    released capital while the term runs, else it is diluted; ownership
    becomes ownership (1 - dilution) + follow-on / mark; then ln V drifts by
    (mu + high_growth_drift for that type - sigma^2/2)/k + sigma/sqrt(k)
    (sqrt(c) Z + sqrt(1-c) N);
  * a listed company's price walks by -s^2/2k + s/sqrt(k) (sqrt(c) Z +
    sqrt(1-c) N), s = public_vol; its shares are sold in 4 equal quarterly
    sales after a 1-year lock-up (the last sale takes what is left), at the
    price after that step's move;
  * fee: 2 %/4 of the commitment in the investment period (step 0), then
    2 %/4 of the cost of open holdings to the end of the term (step 39),
    none in the extension; what a step's fee falls short of 2 %/4 of the
    commitment (kept back for fees) joins the follow-on pool; calls =
    investments + fees;
  * at step 47 (end of the extension) listed holdings are sold at their
    price, private ones at 0.7 x ownership x V;
  * European waterfall each step: the owed balance (capital plus 8 %
    preferred return, compounding) accrues, the calls are added, proceeds
    go to LPs until it is repaid, then to the GP catch-up until the GP holds
    20 % of the profit, then 80/20; clawback at the end.

Follow-ons in one step take the pool in deal order (as fundsim's loop over
deals): deal i gets min(want_i, pool - wants of the deals before it), a
cumulative sum along the deal axis.

Metrics per path: tvpi, dpi, irr (net to LPs, annualised; NaN when not
unique), gross_multiple, paid_in, distributed, fees, carry, deals_failed,
deals_ipo, deals_acquired, deals_private.

Vectorised over paths x deals: a Python loop over the 48 steps only,
in chunks of `--chunk` paths (bounded memory).

Usage:  python3 benches/peers/fund_numpy.py --paths 40000 [--seed 1]
        [--chunk 4096] [--json out.json]
Requires NumPy only (pip install numpy) and Python 3.11+ (tomllib).
"""

import argparse
import json
import math
import os
import sys
import time
import tomllib
from statistics import NormalDist

import numpy as np

# ---- scenario: bench_fund.toml resolved with defaults.toml ------------------
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
with open(os.path.join(_ROOT, "scenarios", "defaults.toml"), "rb") as _f:
    _D = tomllib.load(_f)
with open(os.path.join(_ROOT, "scenarios", "bench_fund.toml"), "rb") as _f:
    _B = tomllib.load(_f)
_FUND = {**_D["vehicles"]["fund"], **_B["vehicles"]["fund"]}
_MARKET, _REG, _POLICY = _D["market"], _D["market"]["regimes"], _D["policy"]
_STAGES = [_D["stages"][s] for s in ("seed", "early", "growth", "late")]

YEARS, K = _B["simulation"]["years"], _B["simulation"]["steps_per_year"]
STEPS = YEARS * K
RHO = _MARKET["factor_correlation"]
VALUE_CORR = _MARKET["value_correlation"]
PHI = _MARKET["factor_persistence"]
PUBLIC_VOL = _MARKET["public_vol"]
HIGH_SHARE = _MARKET["high_growth_share"]
HIGH_DRIFT = _MARKET["high_growth_drift"]
HIGH_EXIT = _MARKET["high_growth_exit_multiplier"]
BETA_IPO = _MARKET["ipo_value_elasticity"]
BETA_ACQ = _MARKET["acquisition_value_elasticity"]
EXIT_CAP = _MARKET["exit_value_cap"]
VALUE_EXITS = BETA_IPO != 0.0 or BETA_ACQ != 0.0
INITIAL = np.array(_REG["initial"])
TRANSITION = np.array(_REG["transition"])
IPO_MULT = np.array(_REG["ipo_multiplier"])
ACQ_MULT = np.array(_REG["acquisition_multiplier"])
VAL_MULT = np.array(_REG["valuation_multiplier"])
IPO_REGISTRATION = _POLICY["ipo_registration_multiplier"]
IPO_PREMIUM = _POLICY["ipo_premium"]
LOCKUP_YEARS, SELLDOWN_YEARS = _POLICY["lockup_years"], _POLICY["selldown_years"]


def _stage(key):
    return np.array([float(s[key]) for s in _STAGES])


# stages: seed, early, growth, late
FAILURE = _stage("failure_rate")
IPO_RATE = _stage("ipo_rate")
ACQ_RATE = _stage("acquisition_rate")
ROUND_RATE = _stage("next_round_rate")
ENTRY_VAL = _stage("entry_valuation")
ENTRY_SIGMA = _stage("entry_valuation_sigma")
STEP_UP = _stage("step_up")
STEP_UP_SIGMA = _stage("step_up_sigma")
DILUTION = _stage("dilution")
DRIFT = _stage("value_drift")
VOL = _stage("value_vol")
ACQ_MULTIPLE = _stage("acquisition_multiple")
RECOVERY = _stage("liquidation_recovery")

COMMITMENT = float(_FUND["commitment"])
DEALS = int(_FUND["deals"])
_MIX = _FUND["stage_mix"]
assert _MIX.get("early", 0.0) == 1.0, "the peer models an all-early fund"
ENTRY_STAGE = 1
INVESTMENT_YEARS = _FUND["investment_period_years"]
FEE = _FUND["management_fee"]
TERM_YEARS, EXTENSION_YEARS = _FUND["term_years"], _FUND["extension_years"]
HAIRCUT = _FUND["terminal_haircut"]
HURDLE, CATCH_UP, CARRY = _FUND["hurdle"], _FUND["catch_up"], _FUND["carry"]
assert _FUND["reserve_ratio"] == 0.0, "the peer models a fund without reserves"
# Reserve release: follow-ons in priced rounds up to FOLLOW_ON_LIMIT x pro
# rata (at most the round's new money) from released capital; without
# earmarks (reserve_ratio 0) the release of a deal's earmark at a milestone
# without a step-up has nothing to release.
FOLLOW_ON_LIMIT = _FUND["follow_on_limit"] if _FUND["reserve_release"] else 1.0

# ---- derived, as fundsim's CompanyModel / VentureFund::new ----------------
INVESTMENT_STEPS = max(round(INVESTMENT_YEARS * K), 1)
TERM_STEPS = max(round(TERM_YEARS * K), INVESTMENT_STEPS)
LIFE_STEPS = TERM_STEPS + round(EXTENSION_YEARS * K)
LOCKUP = round(LOCKUP_YEARS * K)
SALES = max(round(SELLDOWN_YEARS * K), 1)
TICKET = COMMITMENT * (1.0 - FEE * TERM_YEARS) / DEALS  # reserve_ratio 0
FEE_KEPT = FEE * COMMITMENT / K  # a step's share of the fees kept back
assert INVESTMENT_STEPS == 1 and LIFE_STEPS == STEPS


def per_step(p):
    """Annual probability -> per-step: 1 - (1 - p)^(1/k), 1 for p >= 1."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        q = -np.expm1(np.log1p(-np.minimum(p, 1.0)) / K)
    return np.where(p >= 1.0, 1.0, q)


def _exit_tables(scale):
    """Per-step IPO and exit (IPO + acquisition) probabilities by [code,
    regime] for hazards scaled by `scale`, codes 4 and 5 never exiting."""
    ipo_annual = np.minimum(IPO_RATE[:, None] * scale * IPO_MULT[None, :] * IPO_REGISTRATION, 1.0)
    acq_annual = np.minimum(ACQ_RATE[:, None] * scale * ACQ_MULT[None, :], 1.0)
    p_ipo, p_acq = per_step(ipo_annual), per_step(acq_annual)  # [stage, regime]
    tot = p_ipo + p_acq
    p_ipo = np.where(tot > 1.0, p_ipo / tot, p_ipo)
    p_acq = np.where(tot > 1.0, p_acq / tot, p_acq)
    none = np.zeros((2, len(INITIAL)))
    return np.vstack([p_ipo, none]), np.vstack([p_ipo + p_acq, none])


_inv = NormalDist().inv_cdf
FAIL_THRESHOLD = np.array([_inv(float(q)) for q in FAILURE])  # one-year thresholds
# By [type, code, regime], type 0 ordinary, 1 high-growth; flattened.
_T = [_exit_tables(1.0), _exit_tables(HIGH_EXIT)]
NREG = len(INITIAL)
P_IPO6 = np.stack([_T[0][0], _T[1][0]]).ravel()
P_EXIT6 = np.stack([_T[0][1], _T[1][1]]).astype(np.float32).ravel()
P_ROUND6 = np.concatenate([per_step(ROUND_RATE), [0.0, 0.0]]).astype(np.float32)
LOG_STEP_UP = np.log(STEP_UP)
LOG_NEW_MONEY = -np.log1p(-DILUTION)
FA, FI = math.sqrt(RHO), math.sqrt(1.0 - RHO)  # failure copula loadings
VA, VI = math.sqrt(VALUE_CORR), math.sqrt(1.0 - VALUE_CORR)  # value loadings
LOG_IPO_PRICE = np.log(VAL_MULT * IPO_PREMIUM)
# The acquisition price factor per [stage, regime]: multiple x valuation multiplier.
ACQ_PRICE = ACQ_MULTIPLE[:, None] * VAL_MULT[None, :]
GROWTH = (1.0 + HURDLE) ** (1.0 / K)

LISTED, CLOSED = 4, 5  # deal codes after the four stages
# ln of the stage reference value of value-dependent exits by code (listed
# and closed codes never exit; 0 keeps their x finite).
LOG_REF6 = np.concatenate([np.log(ENTRY_VAL), [0.0, 0.0]])
# Log-value drift and volatility by [type, code]: private stages, listed, closed.
_MU = (DRIFT - 0.5 * VOL * VOL) / K
MU6 = np.stack([np.concatenate([_MU + d / K, [-0.5 * PUBLIC_VOL ** 2 / K, 0.0]]) for d in (0.0, HIGH_DRIFT)]).ravel()
SIG6 = np.concatenate([VOL / math.sqrt(K), [PUBLIC_VOL / math.sqrt(K), 0.0]])


def norm_cdf(x):
    """Phi(x), vectorised: the Chebyshev-fitted erfc of Numerical Recipes
    (erfcc, fractional error < 1.2e-7); NumPy has no erf of its own."""
    z = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    half = 0.5 * t * np.exp(poly)
    return np.where(x >= 0.0, 1.0 - half, half)


def market(rng, n):
    """Z (n, STEPS), the year factor Y (n, STEPS) and regime (n, STEPS) for n paths."""
    e = rng.standard_normal((n, STEPS))
    if PHI == 0.0:
        z = e
    else:
        z = np.empty_like(e)
        z[:, 0] = e[:, 0]
        s = math.sqrt(1.0 - PHI * PHI)
        for t in range(1, STEPS):
            z[:, t] = PHI * z[:, t - 1] + s * e[:, t]
    u = rng.random((n, YEARS))
    cum_init = np.cumsum(INITIAL)
    cum_trans = np.cumsum(TRANSITION, axis=1)
    year_state = np.empty((n, YEARS), dtype=np.intp)
    state = np.minimum(np.sum(u[:, :1] >= cum_init[None, :], axis=1), len(INITIAL) - 1)
    year_state[:, 0] = state
    for y in range(1, YEARS):
        state = np.minimum(np.sum(u[:, y:y + 1] >= cum_trans[state], axis=1), len(INITIAL) - 1)
        year_state[:, y] = state
    # The failure copula's factor: one per year, the sum of the year's Z
    # scaled to unit variance, repeated over the year's steps.
    year_sd = math.sqrt(K + 2.0 * sum((K - j) * PHI**j for j in range(1, K)))
    y = np.repeat(z.reshape(n, YEARS, K).sum(axis=2) / year_sd, K, axis=1)
    return z, y, np.repeat(year_state, K, axis=1)


def simulate_chunk(rng, n):
    z_all, y_all, regime_all = market(rng, n)
    # A deal's state is one code: its company's stage (0-3) while private,
    # LISTED (4) while listed and not sold out, CLOSED (5) once the fund is
    # out. Stage-dependent parameters are looked up by code; codes 4 and 5
    # never fail, exit or raise rounds.
    code = np.full((n, DEALS), ENTRY_STAGE, dtype=np.intp)
    high = (rng.random((n, DEALS)) < HIGH_SHARE).astype(np.intp)  # the company's type
    logv = np.log(ENTRY_VAL[ENTRY_STAGE]) + ENTRY_SIGMA[ENTRY_STAGE] * rng.standard_normal((n, DEALS))
    logmark = logv.copy()
    value0 = np.exp(logv)
    ticket = np.minimum(TICKET, value0)
    own = ticket / value0
    cost = ticket.copy()
    pool = (TICKET - ticket).sum(axis=1)  # released capital for follow-ons
    ipo_step = np.full((n, DEALS), STEPS, dtype=np.intp)
    unsold = np.zeros((n, DEALS))
    per_sale = np.zeros((n, DEALS))
    n_failed = np.zeros(n)
    n_acq = np.zeros(n)
    n_ipo = np.zeros(n)
    n_private = np.zeros(n)
    # waterfall state
    contributed = np.zeros(n)
    owed = np.zeros(n)
    lp_total = np.zeros(n)
    gp_total = np.zeros(n)
    flows = np.zeros((n, STEPS))
    paid_in = np.zeros(n)
    distributed = np.zeros(n)
    fees = np.zeros(n)
    gross = np.zeros(n)
    invested = ticket.sum(axis=1)
    pf_table = np.zeros((n, 6), dtype=np.float32)

    def per_path(flat_idx, weights=None):
        return np.bincount(flat_idx // DEALS, weights, minlength=n)

    for t in range(STEPS):
        age = t
        proceeds = np.zeros(n)
        if t == 0:
            calls = ticket.sum(axis=1)  # all 30 deals are made in step 0
        else:
            calls = np.zeros(n)
            z = z_all[:, t]
            reg = regime_all[:, t]
            # Failure probability given the year's factor, per path and
            # stage, spread over the year's K steps.
            annual = norm_cdf((FAIL_THRESHOLD[None, :] - FA * y_all[:, t][:, None]) / FI)
            pf_table[:, :4] = -np.expm1(np.log1p(-np.minimum(annual, 1.0)) / K)
            # 32-bit uniforms, as fundsim's (which takes them from the high
            # and low halves of 64-bit draws); normals only where they are
            # used: a value shock per moving company, a pricing error per
            # milestone.
            u1 = rng.random((n, DEALS), dtype=np.float32)
            u2 = rng.random((n, DEALS), dtype=np.float32)
            u3 = rng.random((n, DEALS), dtype=np.float32)
            fail = u1 < np.take_along_axis(pf_table, code, axis=1)
            flat = (high * 6 + code) * NREG + reg[:, None]  # [type, code, regime]
            if VALUE_EXITS:
                # Stage hazards x min(cap, (V / E_stage)^beta), V at the
                # start of the step; each at most 1, renormalised above 1.
                p_i = P_IPO6[flat]
                p_a = P_EXIT6[flat].astype(np.float64) - p_i
                x = logv - LOG_REF6[code]
                p_i = np.minimum(p_i * np.minimum(np.exp(BETA_IPO * x), EXIT_CAP), 1.0)
                p_a = np.minimum(p_a * np.minimum(np.exp(BETA_ACQ * x), EXIT_CAP), 1.0)
                tot = p_i + p_a
                shrink = np.where(tot > 1.0, 1.0 / np.maximum(tot, 1.0), 1.0)
                p_ipo_now, p_exit_now = p_i * shrink, tot * shrink
            else:
                p_ipo_now, p_exit_now = None, P_EXIT6[flat]
            out = fail | (u2 < p_exit_now)  # failed or exited this step
            mile = ~out & (u3 < P_ROUND6[code])
            moving = ~out & (code < CLOSED)  # private and still private, or listed
            start_code = code.copy()  # the stage at the start of the step

            # 1. failures: liquidation_recovery of the stage x cost
            fi = np.flatnonzero(fail)
            if fi.size:
                c = code.flat[fi]
                proceeds += per_path(fi, RECOVERY[c] * cost.flat[fi])
                n_failed += per_path(fi)
                code.flat[fi] = CLOSED
            # 2. exits, at V before this step's drift (they do not drift)
            ei = np.flatnonzero(out & ~fail)
            if ei.size:
                c = code.flat[ei]
                r = reg[ei // DEALS]
                if VALUE_EXITS:
                    is_ipo = u2.flat[ei] < p_ipo_now.flat[ei]
                else:
                    is_ipo = u2.flat[ei] < P_IPO6[(high.flat[ei] * 6 + c) * NREG + r]
                ii, ai = ei[is_ipo], ei[~is_ipo]
                # acquisition: ownership x V x multiple x valuation multiplier
                ac, ar = c[~is_ipo], r[~is_ipo]
                proceeds += per_path(ai, own.flat[ai] * np.exp(logv.flat[ai]) * ACQ_PRICE[ac, ar])
                n_acq += per_path(ai)
                code.flat[ai] = CLOSED
                # IPO at V x valuation multiplier x premium; shares sold after lock-up
                logv.flat[ii] += LOG_IPO_PRICE[r[is_ipo]]
                logmark.flat[ii] = logv.flat[ii]
                code.flat[ii] = LISTED
                ipo_step.flat[ii] = age
                unsold.flat[ii] = own.flat[ii]
                per_sale.flat[ii] = own.flat[ii] / SALES
            # 3. milestones: a priced round where value has grown by the
            # step-up since the last mark, a pro-rata follow-on from the
            # pool in deal order; the stage advances either way.
            mi = np.flatnonzero(mile)
            if mi.size:
                c = code.flat[mi]
                n_price = rng.standard_normal(mi.size)
                priced = logv.flat[mi] - logmark.flat[mi] >= LOG_STEP_UP[c]
                ri, c, n_price = mi[priced], c[priced], n_price[priced]
                if ri.size:
                    logv.flat[ri] += LOG_NEW_MONEY[c]
                    sig = STEP_UP_SIGMA[c]
                    post = np.exp(logv.flat[ri] - 0.5 * sig * sig + sig * n_price)
                    logmark.flat[ri] = np.log(post)
                    dil = DILUTION[c]
                    want = (
                        np.minimum(own.flat[ri] * FOLLOW_ON_LIMIT, 1.0) * dil * post
                        if age < TERM_STEPS
                        else np.zeros(ri.size)
                    )
                    # Deal order within a path: ri is sorted by flat index.
                    p_of = ri // DEALS
                    cum = np.cumsum(want)
                    first = np.searchsorted(p_of, p_of, side="left")
                    before = cum - want - (cum[first] - want[first])
                    take = np.clip(pool[p_of] - before, 0.0, want)
                    pool -= np.bincount(p_of, take, minlength=n)
                    calls += np.bincount(p_of, take, minlength=n)
                    invested += np.bincount(p_of, take, minlength=n)
                    cost.flat[ri] += take
                    own.flat[ri] = own.flat[ri] * (1.0 - dil) + take / post
                code.flat[mi] = np.minimum(code.flat[mi] + 1, 3)
            # 4. drift (stage and type at the start of the step) / listed price walk
            shock = np.zeros((n, DEALS))
            shock[moving] = rng.standard_normal(np.count_nonzero(moving))
            logv += np.where(moving, MU6[high * 6 + start_code] + SIG6[start_code] * (VA * z[:, None] + VI * shock), 0.0)
            listed = code == LISTED
            logmark[listed] = logv[listed]

            # sell-down of listed shares, at the price after this step's move
            si = np.flatnonzero((ipo_step <= age - LOCKUP) & (code == LISTED))
            if si.size:
                since = age - ipo_step.flat[si]
                left = unsold.flat[si]
                sale = np.where(since + 1 >= LOCKUP + SALES, left, per_sale.flat[si])
                left = left - sale
                unsold.flat[si] = left
                proceeds += per_path(si, sale * np.exp(logv.flat[si]))
                sold_out = si[left <= 0.0]
                code.flat[sold_out] = CLOSED
                n_ipo += per_path(sold_out)

        # management fee; what it falls short of the share kept back joins
        # the follow-on pool after the investment period
        if age < INVESTMENT_STEPS:
            fee = np.full(n, FEE * COMMITMENT / K)
        elif age < TERM_STEPS:
            fee = FEE * np.where(code != CLOSED, cost, 0.0).sum(axis=1) / K
            pool += np.maximum(FEE_KEPT - fee, 0.0)
        else:
            fee = np.zeros(n)
        calls += fee
        fees += fee

        liquidation = age + 1 == LIFE_STEPS
        if liquidation:
            v = np.exp(logv)
            is_listed = code == LISTED
            is_private = code < LISTED
            final = np.where(is_listed, unsold * v, np.where(is_private, own * HAIRCUT * v, 0.0))
            proceeds += final.sum(axis=1)
            n_ipo += is_listed.sum(axis=1)
            n_private += is_private.sum(axis=1)
            code[:] = CLOSED

        # European waterfall
        owed *= GROWTH
        contributed += calls
        owed += calls
        rem = proceeds.copy()
        t1 = np.minimum(rem, np.maximum(owed, 0.0))
        owed -= t1
        lp_total += t1
        rem -= t1
        gp = np.zeros(n)
        if CATCH_UP > CARRY:
            profit = lp_total + gp_total - contributed
            shortfall = CARRY * profit - gp_total
            x = np.where(shortfall > 0.0, np.minimum(rem, shortfall / (CATCH_UP - CARRY)), 0.0)
            g = CATCH_UP * x
            gp += g
            gp_total += g
            lp_total += x - g
            rem -= x
        g = CARRY * rem
        gp += g
        gp_total += g
        lp_total += rem - g
        to_lp = proceeds - gp
        if liquidation:
            profit = lp_total + gp_total - contributed
            claw = np.maximum(gp_total - CARRY * np.maximum(profit, 0.0), 0.0)
            short = contributed - (lp_total + claw)
            claw = np.where(short > 0.0, claw + short, claw)
            claw = np.minimum(claw, gp_total)
            gp_total -= claw
            lp_total += claw
            to_lp += claw
        flows[:, t] = to_lp - calls
        paid_in += calls
        distributed += to_lp
        gross += proceeds

    with np.errstate(divide="ignore", invalid="ignore"):
        tvpi = np.where(paid_in > 0.0, distributed / paid_in, np.nan)
    return {
        "tvpi": tvpi,
        "dpi": tvpi,  # nothing is left at the horizon: the fund ends in it
        "irr": irr_annual(flows, K),
        "gross_multiple": gross / invested,
        "paid_in": paid_in,
        "distributed": distributed,
        "fees": fees,
        "carry": gp_total,
        "deals_failed": n_failed,
        "deals_ipo": n_ipo,
        "deals_acquired": n_acq,
        "deals_private": n_private,
    }


# ---- IRR, vectorised over paths ---------------------------------------------
U_LO, U_HI = -9.210440366976517, 9.210340371976184  # fundsim's grid in u = ln(1/(1+r))


def _sign_changes(s):
    """Sign changes along axis 1 of an array of -1/0/+1, zeros skipped."""
    n, m = s.shape
    if s.all():
        return np.count_nonzero(s[:, 1:] != s[:, :-1], axis=1)
    idx = np.where(s != 0, np.arange(m)[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)  # last nonzero index up to t
    prev = np.concatenate([np.full((n, 1), -1), last[:, :-1]], axis=1)
    prev_sign = np.where(prev >= 0, np.take_along_axis(s, np.maximum(prev, 0), axis=1), 0)
    return np.sum((s != 0) & (prev_sign != 0) & (s != prev_sign), axis=1)


def _npv(c_fwd, c_rev, u):
    """P(e^u) = sum_t c_t e^{u t} times a positive factor, by Horner's rule
    with every power at most 1 (no overflow, as fundsim): in x = e^u over
    the reversed coefficients for u <= 0, in y = e^-u over the coefficients
    for u > 0 (that is P(x) / x^m). c_fwd, c_rev: coefficients by step,
    shape (steps, paths), forward and reversed."""
    neg = u <= 0.0
    w = np.exp(-np.abs(u))
    acc = np.where(neg, c_rev[0], c_fwd[0])
    for j in range(1, c_fwd.shape[0]):
        acc *= w
        acc += np.where(neg, c_rev[j], c_fwd[j])
    return acc


def _illinois(c, a, b, tol=1e-14, max_iter=100):
    """Root in u of each row's NPV on [a, b] (end values of opposite signs)
    by the Illinois method (modified regula falsi: the retained end's value
    is halved when the same end is kept twice in a row), until the new
    point moves less than `tol` in u, or the NPV there is zero to 1e-15 of
    the row's gross flows. (fundsim's refinement also falls back to
    bisection and stops on the bracket width; both reach the same root.)"""
    c_fwd = np.ascontiguousarray(c.T)
    c_rev = np.ascontiguousarray(c[:, ::-1].T)
    scale = 1e-15 * np.abs(c).sum(axis=1)
    fa, fb = _npv(c_fwd, c_rev, a), _npv(c_fwd, c_rev, b)
    side = np.zeros(a.size, dtype=np.int8)
    x = 0.5 * (a + b)
    active = np.ones(a.size, dtype=bool)
    for _ in range(max_iter):
        with np.errstate(divide="ignore", invalid="ignore"):
            m = (a * fb - b * fa) / (fb - fa)
        m = np.where((m > a) & (m < b), m, 0.5 * (a + b))
        fm = _npv(c_fwd, c_rev, m)
        done = (np.abs(m - x) <= tol) | (np.abs(fm) <= scale)
        x = np.where(active, m, x)
        active &= ~done
        if not active.any():
            break
        left = active & ((fm > 0.0) == (fa > 0.0))  # root in [m, b]
        right = active & ~left
        a = np.where(left, m, a)
        fa = np.where(left, fm, fa)
        fb = np.where(left & (side == -1), 0.5 * fb, fb)
        b = np.where(right, m, b)
        fb = np.where(right, fm, fb)
        fa = np.where(right & (side == 1), 0.5 * fa, fa)
        side = np.where(left, -1, np.where(right, 1, side)).astype(np.int8)
    return x


_GRID = np.linspace(U_LO, U_HI, 401)
_STEPS_IDX = np.arange(STEPS)
# P(e^u) at every grid point, scaled as in _npv: e^{u (t - m)} for u > 0.
_GRID_POW = np.exp(_GRID[:, None] * (_STEPS_IDX[None, :] - np.where(_GRID > 0.0, STEPS - 1, 0)[:, None]))


def irr_annual(flows, k):
    """Annualised IRR per path (row), NaN where it is not unique or absent.

    As fundsim: flows below 1e-12 x max|flow| count as zero; one sign change
    (or, with more, a cumulative-sum bound of one root and an odd number of
    changes) means exactly one root; otherwise a 401-point scan of
    u = ln(1/(1+r)) over fundsim's grid counts the roots (fundsim also looks
    for hidden root pairs between grid points; that refinement is left out
    here: it never fires on these flows). The root is then found by
    Illinois iteration in u."""
    n, m = flows.shape
    amax = np.abs(flows).max(axis=1, keepdims=True)
    c = np.where(np.abs(flows) < 1e-12 * amax, 0.0, flows)
    s = np.sign(c).astype(np.int8)
    changes = _sign_changes(s)
    out = np.full(n, np.nan)
    # cumulative-sum (Norstrom-type) bound, forward and backward
    tol = 1e-12 * np.abs(c).sum(axis=1, keepdims=True)
    fwd = np.cumsum(c, axis=1)
    bwd = np.cumsum(c[:, ::-1], axis=1)
    near_zero = (np.abs(fwd) <= tol).any(axis=1) | (np.abs(bwd) <= tol).any(axis=1)
    sf = np.where(np.abs(fwd) <= tol, 0, np.sign(fwd)).astype(np.int8)
    sb = np.where(np.abs(bwd) <= tol, 0, np.sign(bwd)).astype(np.int8)
    bound = _sign_changes(sf) + _sign_changes(sb)
    certain = (changes == 1) | ((changes > 1) & ~near_zero & (bound == 1))
    unique = certain & (changes % 2 == 1)  # bound 1 and an even count: no root
    # Signs at the 401-point grid and the two ends (the first nonzero flow's
    # sign as u -> -inf, the last one's as u -> +inf), by one matrix
    # product: they count the roots where the certificate does not decide,
    # and bracket the root to one cell (about 0.046 wide in u) everywhere.
    look = np.flatnonzero((changes > 0) & (unique | ~certain))
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    if look.size:
        cs = c[look]
        rows = np.arange(look.size)
        nz = cs != 0.0
        s_lo = np.sign(cs[rows, np.argmax(nz, axis=1)])
        s_hi = np.sign(cs[rows, m - 1 - np.argmax(nz[:, ::-1], axis=1)])
        sg = np.concatenate([s_lo[:, None], np.sign(cs @ _GRID_POW.T), s_hi[:, None]], axis=1)
        sg = sg.astype(np.int8)
        n_roots = _sign_changes(sg) + (sg == 0).sum(axis=1)
        one = (n_roots == 1) & (sg != 0).all(axis=1)
        scanned_unique = ~unique[look] & one
        unique[look[scanned_unique]] = True
        # A root exactly at a grid point (sign 0) is left to the iteration
        # on the two cells around it.
        cell = np.argmax(sg[:, 1:] * sg[:, :-1] <= 0, axis=1)
        zero_at = sg[rows, cell + 1] == 0
        ends = np.concatenate([[U_LO - 40.0], _GRID, [U_HI + 40.0]])
        lo[look] = ends[cell]
        hi[look] = ends[np.minimum(cell + 1 + zero_at, ends.size - 1)]
    idx = np.flatnonzero(unique)
    if idx.size:
        u = _illinois(c[idx], lo[idx], hi[idx])
        out[idx] = np.expm1(-k * u)  # (1 + r_step)^k - 1 with 1 + r = e^{-u}
    return out


def simulate(paths, seed, chunk):
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, paths, chunk):
        parts.append(simulate_chunk(rng, min(chunk, paths - start)))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def summarise(metrics):
    out = {}
    for name, v in metrics.items():
        ok = v[np.isfinite(v)]
        n = ok.size
        mean = float(ok.mean()) if n else float("nan")
        sd = float(ok.std(ddof=1)) if n > 1 else float("nan")
        out[name] = {"mean": mean, "sd": sd, "se": sd / math.sqrt(n) if n else float("nan"),
                     "n": int(n), "undefined_share": 1.0 - n / v.size}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=4096, help="paths per chunk (x 30 deals)")
    ap.add_argument("--json", help="write the summary as JSON here")
    args = ap.parse_args()
    t0 = time.perf_counter()
    metrics = simulate(args.paths, args.seed, args.chunk)
    summary = summarise(metrics)
    elapsed = time.perf_counter() - t0
    print(f"fund_numpy: {args.paths} paths x {DEALS} deals x {STEPS} steps in {elapsed:.3f} s "
          f"({args.paths / elapsed:,.0f} paths/s)")
    print(f"{'metric':<20}{'mean':>14}{'se':>12}{'undefined':>11}")
    for name, s in summary.items():
        print(f"{name:<20}{s['mean']:>14.6g}{s['se']:>12.4g}{s['undefined_share']:>11.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workload": "fund", "paths": args.paths, "deals": DEALS, "seconds": elapsed,
                       "summary": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
