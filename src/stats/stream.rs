//! Column statistics of a run that keeps no per-path matrix
//! (`--no-paths`): per result column, the moments accumulated exactly
//! (`exact`) and a quantile sketch (`sketch`), filled path by path and
//! merged across threads, shards and ranks in any order with identical
//! bits, in memory that does not grow with the number of paths.
//!
//! What they give, against the exact statistics of the matrix
//! (`summary`, `risk`):
//! - `n`, `defined`, `undefined_share`, `min`, `max`: identical;
//! - `mean`: the exact sum of the defined values, rounded once, divided by
//!   `defined` (the matrix path sums in path order: the two agree within a
//!   few units in the last place);
//! - `sd`, `se`: from the exact sums of x and x^2 (x^2 as the exact pair
//!   `hi + lo` of a fused multiply-add), the sum of squared deviations
//!   formed as `sum x^2 - S mean` in the exact accumulator; the only
//!   roundings are those of `S` and `mean`, so the sum of squared
//!   deviations is within about `3 eps defined mean^2` of the exact one
//!   (relative error `3 eps mean^2 / sd^2` on the variance);
//! - quantiles: the sketch's order statistic of rank
//!   `floor(p (defined - 1))`, within a relative [`SKETCH_ALPHA`] (0.5 %)
//!   of it, clamped to `[min, max]` (the type-7 quantile of the matrix lies
//!   between that order statistic and the next);
//! - VaR and ES: `risk::var_es_sketch`.

use crate::engine::SKETCH_ALPHA;
use crate::stats::exact::ExactSum;
use crate::stats::risk::{LEVELS, RiskMeasures, var_es_sketch};
use crate::stats::sketch::QuantileSketch;
use crate::stats::summary::{QUANTILES, Summary};

/// Exact moments of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    n: u64,
    defined: u64,
    min: f64,
    max: f64,
    sum: ExactSum,
    /// Sum of x^2 as exact `hi + lo` pairs.
    sum_sq: ExactSum,
    /// Some x^2 overflowed f64: the standard deviation is infinite.
    sq_overflow: bool,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            n: 0,
            defined: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: ExactSum::default(),
            sum_sq: ExactSum::default(),
            sq_overflow: false,
        }
    }
}

impl Moments {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        if !x.is_finite() {
            return;
        }
        self.defined += 1;
        // total_cmp: -0.0 below 0.0 whatever the order they come in.
        if x.total_cmp(&self.min).is_lt() {
            self.min = x;
        }
        if x.total_cmp(&self.max).is_gt() {
            self.max = x;
        }
        self.sum.add(x);
        let hi = x * x;
        if hi.is_finite() {
            self.sum_sq.add(hi);
            self.sum_sq.add(x.mul_add(x, -hi));
        } else {
            self.sq_overflow = true;
        }
    }

    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.defined += o.defined;
        if o.min.total_cmp(&self.min).is_lt() {
            self.min = o.min;
        }
        if o.max.total_cmp(&self.max).is_gt() {
            self.max = o.max;
        }
        self.sum.merge(&o.sum);
        self.sum_sq.merge(&o.sum_sq);
        self.sq_overflow |= o.sq_overflow;
    }

    /// `(mean, sd, se)` as the module docs say.
    fn mean_sd_se(&self) -> (f64, f64, f64) {
        let d = self.defined as f64;
        let s = self.sum.value();
        let mean = s / d;
        if self.defined < 2 {
            return (mean, f64::NAN, f64::NAN);
        }
        if self.sq_overflow {
            return (mean, f64::INFINITY, f64::INFINITY);
        }
        let mut ss = self.sum_sq.clone();
        let t = s * mean;
        ss.add(-t);
        ss.add(-s.mul_add(mean, -t));
        let sd = (ss.value().max(0.0) / (d - 1.0)).sqrt();
        (mean, sd, sd / d.sqrt())
    }
}

/// Moments and a sketch per result column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    pub(crate) moments: Vec<Moments>,
    pub(crate) sketches: Vec<QuantileSketch>,
}

impl ColumnStats {
    pub(crate) fn new(columns: usize) -> ColumnStats {
        ColumnStats {
            moments: vec![Moments::default(); columns],
            sketches: vec![QuantileSketch::new(SKETCH_ALPHA); columns],
        }
    }

    /// Values per path.
    pub(crate) fn width(&self) -> usize {
        self.moments.len()
    }

    /// The ratio of means of columns `jx` over `jy` with its delta-method
    /// standard error, as `ratio::ratio_of_means` defines it, from the
    /// exact sums of x, y, x^2, y^2 and of the column `jxy` of the products
    /// x y (the columns are NaN together on the paths where either is
    /// undefined). The sum of squared residuals, `sum (x - R y)^2`, is
    /// formed as `sum x^2 - 2 R sum x y + R^2 sum y^2` in the exact
    /// accumulator, so its only roundings are those of `R`, of the products
    /// and of `sum y^2`: within a few units in the last place of `sum x^2`.
    pub(crate) fn ratio(&self, jx: usize, jy: usize, jxy: usize) -> Option<crate::stats::ratio::Ratio> {
        let (x, y, xy) = (&self.moments[jx], &self.moments[jy], &self.moments[jxy]);
        let n = x.defined;
        if n < 2 || y.defined != n || xy.defined != n || x.sq_overflow || y.sq_overflow {
            return None;
        }
        let nf = n as f64;
        let (my, _, se_y) = y.mean_sd_se();
        if !(my > 0.0 && my > crate::stats::ratio::Z * se_y) {
            return None;
        }
        let r = (x.sum.value() / nf) / my;
        let mut ss = x.sum_sq.clone();
        let (sxy, syy) = (xy.sum.value(), y.sum_sq.value());
        for (a, b) in [(-2.0 * r, sxy), (r * r, syy)] {
            let t = a * b;
            ss.add(t);
            ss.add(a.mul_add(b, -t));
        }
        let var_d = ss.value().max(0.0) / (nf - 1.0);
        Some(crate::stats::ratio::Ratio { value: r, se: (var_d / nf).sqrt() / my })
    }

    /// Paths accumulated.
    pub(crate) fn paths(&self) -> u64 {
        self.moments.first().map_or(0, |m| m.n)
    }

    /// One path's row.
    #[inline]
    pub(crate) fn add_row(&mut self, row: &[f64]) {
        for ((m, s), &x) in self.moments.iter_mut().zip(&mut self.sketches).zip(row) {
            m.add(x);
            s.add(x);
        }
    }

    pub(crate) fn merge(&mut self, o: &ColumnStats) {
        for (a, b) in self.moments.iter_mut().zip(&o.moments) {
            a.merge(b);
        }
        for (a, b) in self.sketches.iter_mut().zip(&o.sketches) {
            a.merge(b);
        }
    }

    /// The summary of column `j`.
    pub(crate) fn summary(&self, j: usize) -> Summary {
        let (m, sketch) = (&self.moments[j], &self.sketches[j]);
        let n = m.n as usize;
        let undefined_share = if m.n == 0 { f64::NAN } else { (m.n - m.defined) as f64 / m.n as f64 };
        if m.defined == 0 {
            let nan = f64::NAN;
            return Summary {
                n,
                defined: 0,
                mean: nan,
                sd: nan,
                se: nan,
                min: nan,
                quantiles: [nan; 9],
                max: nan,
                undefined_share,
            };
        }
        let (mean, sd, se) = m.mean_sd_se();
        let quantiles = QUANTILES.map(|p| sketch.quantile(p).map_or(f64::NAN, |q| q.clamp(m.min, m.max)));
        Summary { n, defined: m.defined as usize, mean, sd, se, min: m.min, quantiles, max: m.max, undefined_share }
    }

    /// VaR and ES of column `j` (a loss).
    pub(crate) fn risk(&self, j: usize) -> RiskMeasures {
        let mut out = RiskMeasures { var: [f64::NAN; 3], es: [f64::NAN; 3] };
        for (i, &a) in LEVELS.iter().enumerate() {
            (out.var[i], out.es[i]) = var_es_sketch(&self.sketches[j], a);
        }
        out
    }

    /// Append to `out` (shard part files).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.moments.len() as u64).to_le_bytes());
        for m in &self.moments {
            for x in [m.n, m.defined, m.min.to_bits(), m.max.to_bits(), u64::from(m.sq_overflow)] {
                out.extend_from_slice(&x.to_le_bytes());
            }
            for w in m.sum.canonical_words().into_iter().chain(m.sum_sq.canonical_words()) {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        for s in &self.sketches {
            s.encode(out);
        }
    }

    /// Read what `encode` wrote from the front of `bytes`; `None` for
    /// anything else.
    pub(crate) fn decode(bytes: &mut &[u8]) -> Option<ColumnStats> {
        fn u64_at(bytes: &mut &[u8]) -> Option<u64> {
            let (head, rest) = bytes.split_first_chunk::<8>()?;
            *bytes = rest;
            Some(u64::from_le_bytes(*head))
        }
        let columns = usize::try_from(u64_at(bytes)?).ok()?;
        if columns > bytes.len() / 8 {
            return None;
        }
        let mut moments = Vec::with_capacity(columns);
        for _ in 0..columns {
            let [n, defined, min, max, overflow] = [(); 5].map(|_| u64_at(bytes));
            let (n, defined, overflow) = (n?, defined?, overflow?);
            if defined > n || overflow > 1 {
                return None;
            }
            let mut words = [[0i64; ExactSum::WORDS]; 2];
            for w in words.iter_mut().flat_map(|w| w.iter_mut()) {
                *w = u64_at(bytes)? as i64;
            }
            let [sum, sum_sq] = words.map(ExactSum::from_words);
            moments.push(Moments {
                n,
                defined,
                min: f64::from_bits(min?),
                max: f64::from_bits(max?),
                sum: sum?,
                sum_sq: sum_sq?,
                sq_overflow: overflow == 1,
            });
        }
        let mut sketches = Vec::with_capacity(columns);
        for _ in 0..columns {
            sketches.push(QuantileSketch::decode(bytes)?);
        }
        Some(ColumnStats { moments, sketches })
    }
}
