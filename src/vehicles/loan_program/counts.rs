//! One-step cohorts of the lending decision, drawn by counts (docs/MODEL.md
//! 6.11, "One-step loans are drawn by counts").
//!
//! A loan whose term is a single simulation step (one-year loans at one
//! step a year, the reference workload) has a one-line fate: it defaults
//! in that step or it is repaid. The applicants of a cohort are then
//! exchangeable within their cell (first-time borrower or not, IP to
//! pledge or not), and the bank's rule is a cut on its signal: it lends
//! when the perceived PD, which rises with the signal, is at most the PD at
//! which the loan's return just clears the hurdle (and, without a pledge,
//! the collateral threshold). So instead of drawing every applicant, a
//! cohort draws
//!
//! 1. how many applicants fall in each cell (binomial),
//! 2. how many of a cell's signals lie below the policy cut and below the
//!    baseline cut: counts of one lazily drawn set of uniforms
//!    (`rng::uniform_tree`), so the baseline loans are among the loans
//!    made and raising a lever never lowers the loans made on a path,
//! 3. how many of the baseline and of the additional loans default given
//!    the year's factor y, each a binomial with the probability of default
//!    of a borrower in that signal band, integrated over the applicants'
//!    risk by Gauss-Legendre quadrature (the band, the interest subsidy's
//!    relief and the moral-hazard uplift are fixed per cell, so the
//!    quadrature nodes are computed once per programme and each path
//!    evaluates about two hundred Φ values per band).
//!
//! This is the per-applicant model of `lending.rs`, not an approximation of
//! it: the joint law of the counts is the same (tested against it at the
//! Monte Carlo error in the tests below). Only which draws make it
//! differs, so the two loops give different numbers path by path. The
//! losses of IP-pledged defaults differ by their recovery, so the
//! defaults of a cohort are shuffled before the pool pays them in order.

use rand::RngExt;
use rand_distr::{Binomial, Distribution};

use super::lending::Decision;
use super::{LoanOutcome, LoanProgram, LoanProgramSpec, LoanWorkspace, cohort_salt};
use crate::model::company::CompanyModel;
use crate::model::market::MarketPath;
use crate::model::normal::{cdf, inverse_cdf};
use crate::rng::uniform_tree::count_at_most;
use crate::rng::{Stream, company_key};

/// Salt of the count streams of a cohort (apart from every loan's).
const COUNTS: u64 = 0x434F_554E_5453_4C44;

/// Gauss-Legendre nodes and weights on [-1, 1], 8 points (Abramowitz and
/// Stegun, table 25.4; the nearest doubles, as numpy's leggauss gives them).
const GL_X: [f64; 4] = [0.183_434_642_495_649_78, 0.525_532_409_916_329, 0.796_666_477_413_626_7, 0.960_289_856_497_536_2];
const GL_W: [f64; 4] = [0.362_683_783_378_361_66, 0.313_706_645_877_886_9, 0.222_381_034_453_374_43, 0.101_228_536_290_377_06];

/// Risk is integrated over [-RISK_RANGE, RISK_RANGE] standard deviations
/// (the mass outside, 2e-19, is below any count's resolution).
const RISK_RANGE: f64 = 9.0;

/// Widest quadrature panel, in standard deviations of risk.
const PANEL: f64 = 0.5;

/// The probability of default of a borrower in one signal band, as a
/// weighted average of one-year thresholds: q(y) = Σ w_j P(default | c_j, y)
/// with Σ w_j = 1.
#[derive(Debug, Clone, Default, PartialEq)]
struct Band {
    thresholds: Vec<f64>,
    weights: Vec<f64>,
}

impl Band {
    #[inline]
    fn default_probability(&self, model: &CompanyModel, y: f64) -> f64 {
        let q: f64 = self.thresholds.iter().zip(&self.weights).map(|(&c, &w)| w * model.conditional_failure(c, y)).sum();
        q.clamp(0.0, 1.0)
    }
}

/// One cell of applicants: the cuts on the uniform scale of their signal
/// (baseline ≤ policy) and the default bands below the baseline cut and
/// between the two cuts.
#[derive(Debug, Clone, Default, PartialEq)]
struct Cell {
    baseline_cut: f64,
    policy_cut: f64,
    baseline: Band,
    additional: Band,
}

/// The cells of a programme with the pool open or closed, [first][pledged].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CountPlan {
    cells: [[[Cell; 2]; 2]; 2],
}

/// The counts of one path's cohort already drawn, shared by the variants
/// of a lockstep run (`lockstep.rs`): `count_at_most` of a key, a size and
/// a cut is a pure function of the three (the tree is descended from its
/// root on every query), so a count looked up here is the count the
/// variant would draw alone, bit for bit.
#[derive(Debug, Default)]
pub(super) struct CountMemo {
    /// (key, size, cut bits) and the count.
    counts: Vec<((u64, u64, u64), u64)>,
}

impl CountMemo {
    /// Forget the counts of the last cohort.
    pub(super) fn clear(&mut self) {
        self.counts.clear();
    }

    fn count(&mut self, key: u64, n: u64, cut: f64) -> u64 {
        let id = (key, n, cut.to_bits());
        if let Some(&(_, c)) = self.counts.iter().find(|(k, _)| *k == id) {
            return c;
        }
        let c = count_at_most(key, n, cut);
        self.counts.push((id, c));
        c
    }
}

/// The largest perceived annual PD at which the bank lends: the return
/// margin - within_term(PD x relief) x kept / term clears the hurdle.
/// Below 0 nobody qualifies; at 1 or more everybody does.
pub(super) fn pd_cut(margin: f64, hurdle: f64, kept: f64, relief: f64, term_years: f64) -> f64 {
    let room = (margin - hurdle) * term_years;
    if room < 0.0 {
        return -1.0;
    }
    if kept <= 0.0 || relief <= 0.0 {
        return 2.0;
    }
    let x = room / kept;
    if x >= 1.0 {
        return 2.0;
    }
    // within_term(p) = 1 - (1 - p)^T is at most x when p ≤ 1 - (1 - x)^(1/T).
    let p = if term_years == 1.0 { x } else { 1.0 - (1.0 - x).powf(1.0 / term_years) };
    p / relief
}

impl CountPlan {
    /// The plan of a programme whose loans last one step and carry no
    /// warrants; `None` otherwise (the per-applicant loop then runs).
    pub(super) fn new(program: &LoanProgram, d: &Decision) -> Option<CountPlan> {
        let spec: &LoanProgramSpec = &program.spec;
        if program.term_steps != 1 || spec.warrant_coverage > 0.0 {
            return None;
        }
        let lending = spec.lending.as_ref()?;
        let cells = [false, true].map(|pool_open| {
            [false, true].map(|first| [false, true].map(|pledged| Self::cell(spec, d, lending, pool_open, first, pledged)))
        });
        Some(CountPlan { cells })
    }

    fn cell(
        spec: &LoanProgramSpec,
        d: &Decision,
        lending: &super::Lending,
        pool_open: bool,
        first: bool,
        pledged: bool,
    ) -> Cell {
        let class = &d.classes[first as usize];
        let (m, sigma, tau) = (class.mean_threshold, class.dispersion, class.noise);
        let beta = class.weight;
        // The signal at which the perceived PD equals `pd`; the perceived
        // PD is Φ((m (1 - β) + β s) × scale), nondecreasing in s.
        let signal_at = |pd: f64| -> f64 {
            if pd >= 1.0 {
                f64::INFINITY
            } else if pd <= 0.0 {
                f64::NEG_INFINITY
            } else if beta == 0.0 {
                // Everybody is perceived alike.
                if cdf(m * class.scale) <= pd { f64::INFINITY } else { f64::NEG_INFINITY }
            } else {
                (inverse_cdf(pd) / class.scale - m * (1.0 - beta)) / beta
            }
        };
        let collateral = lending.collateral_pd.map_or(f64::INFINITY, signal_at);
        let term = spec.term_years;
        let base = signal_at(pd_cut(d.margin_baseline, class.hurdle_baseline, d.lgd, 1.0, term)).min(collateral);
        let lgd = if pledged { d.lgd_pledged } else { d.lgd };
        let kept = d.kept(lgd, pool_open);
        let mut policy = signal_at(pd_cut(d.margin_policy, class.hurdle_policy, kept, d.relief, term));
        if !pledged {
            policy = policy.min(collateral);
        }
        let policy = policy.max(base);
        // On the uniform scale of the signal s ~ N(m, σ² + τ²).
        let spread = (sigma * sigma + tau * tau).sqrt();
        let uniform = |s: f64| {
            if s == f64::INFINITY {
                1.0
            } else if s == f64::NEG_INFINITY {
                0.0
            } else if spread == 0.0 {
                if m <= s { 1.0 } else { 0.0 }
            } else {
                cdf((s - m) / spread)
            }
        };
        // The borrower's own PD: the subsidy's relief and the moral-hazard
        // uplift, as in `LoanProgram::lend`.
        let passed_on = if lgd > 0.0 { 1.0 - kept / lgd } else { 0.0 };
        let uplift = d.relief * (1.0 + lending.moral_hazard * passed_on);
        Cell {
            baseline_cut: uniform(base),
            policy_cut: uniform(policy).max(uniform(base)),
            baseline: band(m, sigma, tau, f64::NEG_INFINITY, base, uplift),
            additional: band(m, sigma, tau, base, policy, uplift),
        }
    }
}

/// The band of applicants whose signal s = c + τ n lies in (lo, hi], with
/// thresholds c = m + σ z: quadrature nodes over z with weights
/// φ(z) P(lo < s ≤ hi | z), normalised, and thresholds moved by `uplift`
/// (PD x uplift, capped at 1).
fn band(m: f64, sigma: f64, tau: f64, lo: f64, hi: f64, uplift: f64) -> Band {
    let moved = |c: f64| if uplift == 1.0 { c } else { inverse_cdf((cdf(c) * uplift).min(1.0)) };
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return Band::default();
    }
    if sigma == 0.0 {
        // Every applicant has threshold m; the band only selects them.
        return Band { thresholds: vec![moved(m)], weights: vec![1.0] };
    }
    // P(lo < m + σ z + τ n ≤ hi | z), from the upper tails where they are
    // the more precise.
    let inside = |z: f64| -> f64 {
        let c = m + sigma * z;
        if tau == 0.0 {
            return (lo < c && c <= hi) as u8 as f64;
        }
        let (a, b) = ((lo - c) / tau, (hi - c) / tau);
        if a > 0.0 { cdf(-a) - cdf(-b) } else { cdf(b) - cdf(a) }
    };
    // Panels: no wider than PANEL, with breaks where the band's edges cross
    // the risk axis and at multiples of the edge's width τ / σ around them.
    let mut breaks = vec![-RISK_RANGE, RISK_RANGE];
    for edge in [lo, hi] {
        if edge.is_finite() {
            let z = (edge - m) / sigma;
            let w = tau / sigma;
            for k in [0.0, 0.5, 1.0, 2.0, 4.0, 8.0] {
                breaks.extend([z - k * w, z + k * w]);
            }
        }
    }
    breaks.retain(|z| (-RISK_RANGE..=RISK_RANGE).contains(z));
    breaks.sort_by(f64::total_cmp);
    breaks.dedup();
    let (mut thresholds, mut weights) = (Vec::new(), Vec::new());
    for pair in breaks.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let panels = ((b - a) / PANEL).ceil().max(1.0) as usize;
        let h = (b - a) / panels as f64;
        for i in 0..panels {
            let centre = a + (i as f64 + 0.5) * h;
            for (x, w) in GL_X.iter().zip(GL_W) {
                for z in [centre - 0.5 * h * x, centre + 0.5 * h * x] {
                    let weight = 0.5 * h * w * (-0.5 * z * z).exp() * inside(z);
                    if weight > 0.0 {
                        thresholds.push(moved(m + sigma * z));
                        weights.push(weight);
                    }
                }
            }
        }
    }
    let total: f64 = weights.iter().sum();
    if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Band::default();
    }
    // Nodes that cannot move q by 1e-16 are dropped.
    let keep: Vec<usize> = (0..weights.len()).filter(|&j| weights[j] > 1e-16 * total).collect();
    let total: f64 = keep.iter().map(|&j| weights[j]).sum();
    Band {
        thresholds: keep.iter().map(|&j| thresholds[j]).collect(),
        weights: keep.iter().map(|&j| weights[j] / total).collect(),
    }
}

impl LoanProgram {
    /// Cohort `c` of one-step loans with a lending table, by counts (see
    /// the module text). Returns the loans made.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn lend_by_counts(
        &self,
        plan: &CountPlan,
        path_key: u64,
        market: &MarketPath,
        model: &CompanyModel,
        c: u32,
        start: usize,
        pool_open: bool,
        ws: &mut LoanWorkspace,
        o: &mut LoanOutcome,
        mut memo: Option<&mut CountMemo>,
    ) -> u64 {
        let spec = &self.spec;
        let lending = spec.lending.as_ref().expect("a plan comes with a lending table");
        // Every count is a pure function of its tree's key, its size and
        // the cut; lockstep variants look up the ones already counted.
        let mut count = |key: u64, n: u64, cut: f64| match memo.as_deref_mut() {
            Some(m) => m.count(key, n, cut),
            None => count_at_most(key, n, cut),
        };
        let end = start + 1;
        let y = market.year_factor[start];
        let base = self.key ^ COUNTS ^ cohort_salt(c);
        let key = |i: u64| company_key(path_key, base, i);
        let mut draws = Stream::from_key(key(0));
        let binomial = |n: u64, p: f64, s: &mut Stream| {
            if n == 0 || p <= 0.0 {
                0
            } else if p >= 1.0 {
                n
            } else {
                Binomial::new(n, p).expect("a probability in (0, 1)").sample(s)
            }
        };
        let n = lending.applicants as u64;
        let first = binomial(n, spec.first_loan_share, &mut draws);
        let first_default = ws.defaults.len();
        let mut made = 0;
        for (f, class_size) in [(0usize, n - first), (1, first)] {
            let pledging = binomial(class_size, spec.ip_pledge_share, &mut draws);
            for (h, size) in [(0usize, class_size - pledging), (1, pledging)] {
                let cell = &plan.cells[pool_open as usize][f][h];
                let id = 1 + 4 * (2 * f + h) as u64;
                let lent = count(key(id), size, cell.policy_cut);
                let baseline = count(key(id), size, cell.baseline_cut).min(lent);
                let additional = lent - baseline;
                let baseline_defaults = if baseline > 0 {
                    count(key(id + 1), baseline, cell.baseline.default_probability(model, y))
                } else {
                    0
                };
                let additional_defaults = if additional > 0 {
                    count(key(id + 2), additional, cell.additional.default_probability(model, y))
                } else {
                    0
                };
                made += lent;
                o.baseline_loans += baseline;
                o.baseline_defaults += baseline_defaults as u32;
                o.additional_defaults += additional_defaults as u32;
                let mut recovery = Stream::from_key(key(id + 3));
                for _ in 0..baseline_defaults + additional_defaults {
                    let loss = self.loss(h == 1, &mut recovery, y);
                    self.record(ws, start, end, loss);
                }
            }
        }
        if self.recovery.is_some() {
            // Pledged and unpledged defaults lose different amounts: pay
            // them in a random order, as the per-applicant loop's loan
            // order is.
            let mut order = Stream::from_key(key(33));
            let events = &mut ws.defaults[first_default..];
            for i in (1..events.len()).rev() {
                let j = ((order.random::<u64>() as u128 * (i as u128 + 1)) >> 64) as usize;
                events.swap(i, j);
            }
        }
        o.loan_steps += made;
        o.loans_made += made;
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{MARKET, path_key, stream};
    use crate::scenario::load_str;
    use crate::vehicles::VehicleKind;

    #[test]
    fn the_pd_cut_is_where_the_return_meets_the_hurdle() {
        // Margin 2 %, hurdle 1 %, kept 0.45, one-year: PD ≤ 0.01 / 0.45.
        assert!((pd_cut(0.02, 0.01, 0.45, 1.0, 1.0) - 0.01 / 0.45).abs() < 1e-15);
        // A relief of 0.8 lets a perceived PD 1/0.8 higher through.
        assert!((pd_cut(0.02, 0.01, 0.45, 0.8, 1.0) - 0.01 / 0.45 / 0.8).abs() < 1e-15);
        // Three-year loans: 1 - (1 - p)^3 = 0.03 / 0.45.
        let p = pd_cut(0.02, 0.01, 0.45, 1.0, 3.0);
        assert!((1.0 - (1.0 - p).powi(3) - 0.03 / 0.45).abs() < 1e-15);
        assert!(pd_cut(0.01, 0.02, 0.45, 1.0, 1.0) < 0.0, "a margin below the hurdle lends to nobody");
        assert!(pd_cut(0.02, 0.01, 0.0, 1.0, 1.0) >= 1.0, "no risk kept: everybody");
    }

    #[test]
    fn a_band_of_all_applicants_has_the_probit_normal_default_probability() {
        // Over every signal the band is the whole class, and
        // E Φ((m + σ z - sqrt(ρ) y) / sqrt(1 - ρ)) = Φ((m - sqrt(ρ) y) / sqrt(1 - ρ + σ²)).
        let scn = load_str("[simulation]\nyears = 1\nsteps_per_year = 1\n[vehicles.l]\nkind = \"loan_program\"\n", "t.toml", &[]).unwrap().scenario;
        let model = &scn.company_model;
        let (a, b) = (model.factor_loading, model.idio_loading);
        for (m, sigma, tau) in [(-2.0, 0.5, 0.3), (-1.5, 1.2, 0.01), (-2.5, 0.2, 0.0)] {
            let all = band(m, sigma, tau, f64::NEG_INFINITY, f64::INFINITY, 1.0);
            for y in [-2.5, -1.0, 0.0, 1.3] {
                let exact = cdf((m - a * y) / (b * b + sigma * sigma).sqrt());
                let q = all.default_probability(model, y);
                assert!((q - exact).abs() < 1e-7 * exact.max(1e-3), "m {m} σ {sigma} τ {tau} y {y}: {q} vs {exact}");
            }
            // Two bands split at any signal average back to the whole.
            let split = m + 0.3;
            let (lo, hi) = (band(m, sigma, tau, f64::NEG_INFINITY, split, 1.0), band(m, sigma, tau, split, f64::INFINITY, 1.0));
            let spread = (sigma * sigma + tau * tau).sqrt();
            let p_lo = cdf((split - m) / spread);
            for y in [-1.0, 0.5] {
                let mixed = p_lo * lo.default_probability(model, y) + (1.0 - p_lo) * hi.default_probability(model, y);
                let whole = all.default_probability(model, y);
                assert!((mixed - whole).abs() < 1e-7 * whole, "m {m}: {mixed} vs {whole}");
                assert!(lo.default_probability(model, y) < hi.default_probability(model, y), "a higher signal is riskier");
            }
        }
    }

    /// Mean and variance of a column of values.
    fn moments(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (m, x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0))
    }

    #[test]
    fn counts_have_the_per_applicant_loops_law() {
        // The same programme simulated by counts and applicant by
        // applicant, on independent draws: loans made, baseline loans,
        // and the defaults of both groups agree in mean within 4 standard
        // errors of the difference (two independent samples of 3,000
        // paths), and loans made also in variance (the count's variance
        // has standard error about var sqrt(2 / n) per sample). Cells of
        // every kind are populated: first-time borrowers, IP pledges with
        // a collateral requirement, an interest subsidy, moral hazard.
        let text = "[simulation]\nyears = 1\nsteps_per_year = 1\n[vehicles.l]\nkind = \"loan_program\"\n\
                    pd = 0.04\nfirst_loan_share = 0.3\nip_pledge_share = 0.4\nfirst_loan_pd_multiplier = 1.5\n\
                    [vehicles.l.policy]\ninterest_subsidy = 0.01\nfirst_loan_relief = 0.5\n\
                    [vehicles.l.policy.guarantee]\nshare = 0.5\n\
                    [vehicles.l.policy.risk_compensation]\nratio = 0.4\n\
                    [vehicles.l.lending]\napplicants = 400\nhurdle = 0.005\ncollateral_pd = 0.03\nmoral_hazard = 0.3\n";
        let scn = load_str(text, "t.toml", &[]).unwrap().scenario;
        let VehicleKind::LoanProgram(l) = &scn.vehicles[0].kind else { panic!() };
        let model = &scn.company_model;
        assert!(l.counts.is_some(), "one-step loans are drawn by counts");
        let mut by_applicant = l.clone();
        by_applicant.counts = None;
        let paths = 3000;
        let mut stats = vec![[Vec::new(), Vec::new()]; 4];
        let mut market = MarketPath::default();
        for p in 0..paths {
            market.simulate(&scn.market, 1, 1, &mut stream(scn.seed, p, MARKET));
            let pk = path_key(scn.seed, p);
            for (which, program) in [(0usize, l), (1, &by_applicant)] {
                let mut ws = LoanWorkspace { npl: vec![0; 2], ..LoanWorkspace::default() };
                let mut o = LoanOutcome::default();
                // Independent draws for the two loops: another path key.
                let key = if which == 0 { pk } else { !pk };
                let made = match &program.counts {
                    Some(plan) => program.lend_by_counts(plan, key, &market, model, 0, 0, true, &mut ws, &mut o, None),
                    None => program.lend(key, &market, model, program.decision.as_ref().unwrap(), 0, 0, true, &mut ws, &mut o),
                };
                for (k, v) in [made as f64, o.baseline_loans as f64, o.baseline_defaults as f64, o.additional_defaults as f64]
                    .into_iter()
                    .enumerate()
                {
                    stats[k][which].push(v);
                }
            }
        }
        for (k, name) in ["loans made", "baseline loans", "baseline defaults", "additional defaults"].iter().enumerate() {
            let ((ma, va), (mb, vb)) = (moments(&stats[k][0]), moments(&stats[k][1]));
            let se = ((va + vb) / paths as f64).sqrt();
            eprintln!("{name}: counts {ma:.3} (var {va:.2}), per applicant {mb:.3} (var {vb:.2}), se {se:.4}");
            assert!((ma - mb).abs() < 4.0 * se, "{name}: {ma} vs {mb}, se {se}");
            assert!(ma > 1.0, "{name} is exercised: {ma}");
            if k == 0 {
                let se_var = ((va * va + vb * vb) * 2.0 / paths as f64).sqrt();
                assert!((va - vb).abs() < 4.0 * se_var, "{name} variance: {va} vs {vb}, se {se_var}");
            }
        }
    }
}
