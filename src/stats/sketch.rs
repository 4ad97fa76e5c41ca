//! Mergeable quantile sketch for time-series percentiles.
//!
//! Pipeline position: the engine collects per-path metric rows into a matrix
//! and, for time series, feeds every path's value at every step into one
//! [`QuantileSketch`] per (series, step) — memory independent of the number
//! of paths; per-thread sketches are merged; the stats stage reads the
//! percentiles off the sketches; the output stage writes them to CSV.
//!
//! # Algorithm (DDSketch-style)
//!
//! A log-bucketed histogram with relative accuracy `alpha` over signed
//! values: a positive store, a negative store (indexed by `|x|`) and a zero
//! count (`|x| < 1e-12`, see [`ZERO_THRESHOLD`]). With
//! `gamma = (1 + alpha) / (1 - alpha)`, a value `x` goes to bucket
//! `i = ceil(ln|x| / ln gamma)`, i.e. `gamma^(i-1) < |x| <= gamma^i`, whose
//! representative value is `2 gamma^i / (gamma + 1)` (sign restored); every
//! value in the bucket is within a relative `alpha` of it.
//!
//! Stores are dense (`VecDeque<u64>` with an index offset, growing at either
//! end in amortised O(1)) and always span exactly the lowest to the highest
//! occupied bucket. Merging adds integer counts, so merges are exact and
//! independent of order and grouping: the same multiset of values gives the
//! identical sketch (`==`), which is what makes multithreaded results
//! byte-identical. Memory is O(log(max|x| / min|x|) / alpha) buckets
//! (about 200 buckets per decade of magnitude at `alpha = 0.005`).
//!
//! Accuracy: the rank-`r` quantile is returned as its bucket's representative,
//! so `|result - exact| <= alpha |exact|` for that order statistic (up to
//! floating-point rounding of the logarithm at bucket boundaries, ~1e-13
//! relative). Values in the zero bucket are reported as `0.0` (absolute error
//! below `1e-12`).

use std::collections::VecDeque;

/// Default relative accuracy.
pub(crate) const DEFAULT_ALPHA: f64 = 0.005;

/// Values with `|x|` below this are counted as zero.
pub(crate) const ZERO_THRESHOLD: f64 = 1e-12;

/// Dense bucket counts for one sign; `counts[j]` is bucket `offset + j`.
/// Invariant: empty, or the first and last counts are non-zero; an empty
/// store has `offset == 0`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Store {
    counts: VecDeque<u64>,
    offset: i32,
}

impl Store {
    #[inline]
    fn add(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.counts.push_back(n);
            self.offset = index;
            return;
        }
        if index < self.offset {
            self.grow_front(index);
        } else {
            let needed = (index - self.offset) as usize + 1;
            if needed > self.counts.len() {
                self.counts.resize(needed, 0);
            }
        }
        self.counts[(index - self.offset) as usize] += n;
    }

    /// Prepend zero buckets so the store starts at `index` (< offset).
    fn grow_front(&mut self, index: i32) {
        let gap = (self.offset - index) as usize;
        let len = self.counts.len();
        // Append zeros, then rotate them to the front: one memmove, amortised.
        self.counts.resize(len + gap, 0);
        self.counts.rotate_right(gap);
        self.offset = index;
    }

    fn merge(&mut self, other: &Store) {
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.clone_from(other);
            return;
        }
        // Grow once to cover other's range (its end buckets are non-zero, so
        // the canonical span is preserved), then add counts element-wise.
        let other_end = other.offset + other.counts.len() as i32;
        let self_end = self.offset + self.counts.len() as i32;
        if other.offset < self.offset {
            self.grow_front(other.offset);
        }
        if other_end > self_end {
            self.counts.resize((other_end - self.offset) as usize, 0);
        }
        let base = (other.offset - self.offset) as usize;
        for (dst, &c) in self.counts.range_mut(base..).zip(&other.counts) {
            *dst += c;
        }
    }

    /// Bucket index holding the 0-based `rank`-th value in ascending index
    /// order (`rank < total`).
    fn index_at_rank_ascending(&self, rank: u64) -> i32 {
        let mut seen = 0u64;
        for (j, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return self.offset + j as i32;
            }
        }
        unreachable!("rank beyond store total")
    }
}

/// Mergeable log-bucketed quantile sketch with relative accuracy `alpha`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileSketch {
    alpha: f64,
    gamma: f64,
    /// `1 / ln(gamma)`.
    inv_ln_gamma: f64,
    pos: Store,
    neg: Store,
    pos_count: u64,
    neg_count: u64,
    zero_count: u64,
}

impl Default for QuantileSketch {
    fn default() -> Self {
        Self::new(DEFAULT_ALPHA)
    }
}

impl QuantileSketch {
    /// Empty sketch with relative accuracy `alpha` in `(0, 1)` (e.g.
    /// [`DEFAULT_ALPHA`]). Does not allocate until the first `add`.
    pub(crate) fn new(alpha: f64) -> Self {
        assert!(alpha > 0.0 && alpha < 1.0, "alpha {alpha} outside (0, 1)");
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        Self {
            alpha,
            gamma,
            inv_ln_gamma: 1.0 / gamma.ln(),
            pos: Store::default(),
            neg: Store::default(),
            pos_count: 0,
            neg_count: 0,
            zero_count: 0,
        }
    }

    /// The relative accuracy this sketch was built with.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Insert one value. NaN and `±inf` are ignored (not counted: an
    /// undefined value, or one that overflowed, has no rank; the per-metric
    /// summaries count them as undefined).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        let m = x.abs();
        if m < ZERO_THRESHOLD {
            self.zero_count += 1;
        } else if x > 0.0 {
            self.pos.add(self.index(m), 1);
            self.pos_count += 1;
        } else {
            self.neg.add(self.index(m), 1);
            self.neg_count += 1;
        }
    }

    /// Give back the spare capacity of the stores (they grow by doubling):
    /// for a sketch kept a while before it is read (a lockstep variant's,
    /// `engine::run_many`). Changes no count.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.pos.counts.shrink_to_fit();
        self.neg.counts.shrink_to_fit();
    }

    /// Add all counts of `other` (exact; order and grouping do not matter).
    ///
    /// # Panics
    /// If the two sketches have different `alpha`.
    pub(crate) fn merge(&mut self, other: &Self) {
        assert!(
            self.alpha.to_bits() == other.alpha.to_bits(),
            "merging sketches with different alpha ({} vs {})",
            self.alpha,
            other.alpha
        );
        self.pos.merge(&other.pos);
        self.neg.merge(&other.neg);
        self.pos_count += other.pos_count;
        self.neg_count += other.neg_count;
        self.zero_count += other.zero_count;
    }

    /// Number of values inserted (NaN and infinities excluded).
    pub fn count(&self) -> u64 {
        self.pos_count + self.neg_count + self.zero_count
    }

    /// q in [0,1]: the value at rank floor(q * (count-1)) (0-based) of the
    /// sorted inserted values, returned as its bucket's representative, so
    /// |result - exact| <= alpha * |exact| for that order statistic. None
    /// when empty.
    ///
    /// `q` is clamped to `[0, 1]`; a NaN `q` gives `None`. If `q (count - 1)`
    /// is within a relative 1e-12 of an integer it is taken as that integer
    /// (so e.g. `q = 0.29`, `count = 101` gives rank 29, not 28).
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 || q.is_nan() {
            return None;
        }
        let pos = q.clamp(0.0, 1.0) * (count - 1) as f64;
        let r = pos.round();
        let pos = if (pos - r).abs() <= 1e-12 * pos.max(1.0) { r } else { pos };
        let rank = (pos.floor() as u64).min(count - 1);
        self.at_rank(rank)
    }

    /// The value of 0-based `rank` among the sorted inserted values, as its
    /// bucket's representative (within a relative `alpha`); `None` when
    /// `rank >= count`.
    pub(crate) fn at_rank(&self, rank: u64) -> Option<f64> {
        if rank >= self.count() {
            return None;
        }
        if rank < self.neg_count {
            // Negative values ascend as |x| descends: walk from the top.
            let index = self.neg.index_at_rank_ascending(self.neg_count - 1 - rank);
            return Some(-self.representative(index));
        }
        let rank = rank - self.neg_count;
        if rank < self.zero_count {
            return Some(0.0);
        }
        let index = self.pos.index_at_rank_ascending(rank - self.zero_count);
        Some(self.representative(index))
    }

    /// The buckets from the largest value down, as (representative, count)
    /// with non-zero counts: a fixed order, so sums over it are
    /// deterministic.
    pub(crate) fn descending(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let pos = self.pos.counts.iter().enumerate().rev().map(|(j, &c)| (self.pos.offset + j as i32, c, 1.0));
        let neg = self.neg.counts.iter().enumerate().map(|(j, &c)| (self.neg.offset + j as i32, c, -1.0));
        let pos = pos.map(|(i, c, s)| (s * self.representative(i), c));
        let zero = std::iter::once((0.0, self.zero_count));
        let neg = neg.map(|(i, c, s)| (s * self.representative(i), c));
        pos.chain(zero).chain(neg).filter(|&(_, c)| c > 0)
    }

    /// Append the sketch to `out` in the shard file encoding (little
    /// endian): alpha's bits, then each store (offset, length, counts),
    /// then the three totals. [`QuantileSketch::decode`] reads it back to
    /// an `==` sketch.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.alpha.to_bits().to_le_bytes());
        for store in [&self.pos, &self.neg] {
            out.extend_from_slice(&i64::from(store.offset).to_le_bytes());
            out.extend_from_slice(&(store.counts.len() as u64).to_le_bytes());
            for c in &store.counts {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        for n in [self.pos_count, self.neg_count, self.zero_count] {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }

    /// Read one sketch written by [`QuantileSketch::encode`] from the front
    /// of `bytes`, advancing it. `None` for anything `encode` cannot have
    /// written (a short input, alpha outside (0, 1), a store that breaks
    /// its invariant or disagrees with its total): never a panic.
    pub(crate) fn decode(bytes: &mut &[u8]) -> Option<Self> {
        fn u64_at(bytes: &mut &[u8]) -> Option<u64> {
            let (head, rest) = bytes.split_first_chunk::<8>()?;
            *bytes = rest;
            Some(u64::from_le_bytes(*head))
        }
        let alpha = f64::from_bits(u64_at(bytes)?);
        if !(alpha > 0.0 && alpha < 1.0) {
            return None;
        }
        let mut sketch = Self::new(alpha);
        let mut sums = [0u64; 2];
        for (s, sum) in sums.iter_mut().enumerate() {
            let offset = i32::try_from(u64_at(bytes)? as i64).ok()?;
            let len = usize::try_from(u64_at(bytes)?).ok()?;
            if len > bytes.len() / 8 {
                return None;
            }
            let mut counts = VecDeque::with_capacity(len);
            for _ in 0..len {
                let c = u64_at(bytes)?;
                *sum = sum.checked_add(c)?;
                counts.push_back(c);
            }
            let canonical = match (counts.front(), counts.back()) {
                (Some(&a), Some(&b)) => a != 0 && b != 0 && offset.checked_add(i32::try_from(len).ok()?).is_some(),
                _ => offset == 0,
            };
            if !canonical {
                return None;
            }
            let store = if s == 0 { &mut sketch.pos } else { &mut sketch.neg };
            *store = Store { counts, offset };
        }
        sketch.pos_count = u64_at(bytes)?;
        sketch.neg_count = u64_at(bytes)?;
        sketch.zero_count = u64_at(bytes)?;
        let total_ok = sketch.pos_count.checked_add(sketch.neg_count)?.checked_add(sketch.zero_count).is_some();
        (total_ok && sums == [sketch.pos_count, sketch.neg_count]).then_some(sketch)
    }

    #[inline]
    fn index(&self, magnitude: f64) -> i32 {
        (magnitude.ln() * self.inv_ln_gamma).ceil() as i32
    }

    fn representative(&self, index: i32) -> f64 {
        // 2 gamma^i / (gamma + 1), computed in log space to avoid overflow of
        // gamma^i for the topmost bucket; capped at f64::MAX.
        let v = (f64::from(index) * self.gamma.ln() + (2.0 / (self.gamma + 1.0)).ln()).exp();
        v.min(f64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct SplitMix(u64);
    impl SplitMix {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
        }
    }

    /// Values spanning negatives, exact zeros, sub-threshold tinies, tiny and
    /// huge magnitudes.
    fn wide_values(seed: u64, n: usize, max_exp: f64) -> Vec<f64> {
        let mut g = SplitMix(seed);
        (0..n)
            .map(|_| {
                let u = g.unit();
                let sign = if g.unit() < 0.4 { -1.0 } else { 1.0 };
                if u < 0.05 {
                    0.0
                } else if u < 0.08 {
                    sign * 1e-14 * g.unit()
                } else if u < 0.5 {
                    sign * 10f64.powf(-11.0 + (max_exp + 11.0) * g.unit()).min(f64::MAX)
                } else {
                    sign * (1.0 + 99.0 * g.unit())
                }
            })
            .collect()
    }

    fn exact_rank(sorted: &[f64], q: f64) -> f64 {
        let n = sorted.len();
        sorted[((q * (n - 1) as f64).round_ties_even() as usize).min(n - 1)]
    }

    fn check_accuracy(values: &[f64], alpha: f64) {
        let mut s = QuantileSketch::new(alpha);
        for &v in values {
            s.add(v);
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(s.count(), sorted.len() as u64);
        let n = sorted.len();
        // every rank for small n; otherwise a stride plus both ends (each
        // quantile call walks the stores, which is slow in debug builds)
        let stride = (n / 400).max(1);
        let ranks = (0..n).step_by(stride).chain(0..n.min(20)).chain(n.saturating_sub(20)..n);
        for r in ranks {
            // q hitting rank r exactly (and checked via the same snapping)
            let q = r as f64 / (n - 1) as f64;
            let exact = exact_rank(&sorted, q);
            let got = s.quantile(q).unwrap();
            if exact.abs() < ZERO_THRESHOLD {
                assert_eq!(got, 0.0, "rank {r}: exact {exact}");
            } else {
                assert!(
                    (got - exact).abs() <= alpha * exact.abs() * (1.0 + 1e-9),
                    "rank {r}: got {got}, exact {exact}"
                );
            }
        }
    }

    #[test]
    fn encoding_round_trips_to_an_equal_sketch_and_refuses_damage() {
        let mut s = QuantileSketch::new(DEFAULT_ALPHA);
        for v in wide_values(7, 2000, 30.0) {
            s.add(v);
        }
        for sketch in [QuantileSketch::new(0.01), s] {
            let mut bytes = Vec::new();
            sketch.encode(&mut bytes);
            bytes.extend_from_slice(b"tail");
            let mut rest = &bytes[..];
            assert_eq!(QuantileSketch::decode(&mut rest), Some(sketch.clone()));
            assert_eq!(rest, b"tail");
            // Every truncation is refused, never a panic.
            for cut in 0..bytes.len() - 4 {
                assert_eq!(QuantileSketch::decode(&mut &bytes[..cut]), None, "cut at {cut}");
            }
            // A total that disagrees with the buckets is refused.
            let n = bytes.len() - 4;
            let mut bad = bytes.clone();
            bad[n - 24] ^= 1;
            if sketch.count() > 0 {
                assert_eq!(QuantileSketch::decode(&mut &bad[..]), None);
            }
        }
    }

    #[test]
    fn relative_error_guarantee() {
        for (seed, n) in [(1, 3000), (2, 4001), (3, 2500)] {
            let v = wide_values(seed, n, 300.0);
            check_accuracy(&v, DEFAULT_ALPHA);
            check_accuracy(&v, 0.02);
        }
        // fine alpha on a narrower (but signed, zero-including) range
        let mut g = SplitMix(11);
        let narrow: Vec<f64> = (0..3000)
            .map(|i| {
                let m = 10f64.powf(-3.0 + 9.0 * g.unit());
                match i % 7 {
                    0 => 0.0,
                    1..=3 => -m,
                    _ => m,
                }
            })
            .collect();
        check_accuracy(&narrow, 1e-4);
        check_accuracy(&narrow, DEFAULT_ALPHA);
        // extremes of the finite range
        check_accuracy(&[f64::MAX, -f64::MAX, 1e-12, -1e-12, f64::MIN_POSITIVE, 1.0, -1.0], DEFAULT_ALPHA);
    }

    #[test]
    fn quantile_rank_definition() {
        // 1..=101: rank floor(q * 100)
        let mut s = QuantileSketch::new(1e-6);
        for i in (1..=101).rev() {
            s.add(f64::from(i));
        }
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b * (1.0 + 1e-9);
        assert!(rel(s.quantile(0.0).unwrap(), 1.0));
        assert!(rel(s.quantile(0.29).unwrap(), 30.0));
        assert!(rel(s.quantile(0.295).unwrap(), 30.0));
        assert!(rel(s.quantile(0.5).unwrap(), 51.0));
        assert!(rel(s.quantile(1.0).unwrap(), 101.0));
        assert!(rel(s.quantile(2.0).unwrap(), 101.0));
        assert!(rel(s.quantile(-1.0).unwrap(), 1.0));
        assert_eq!(s.quantile(f64::NAN), None);
    }

    fn sketch_of(values: &[f64]) -> QuantileSketch {
        let mut s = QuantileSketch::default();
        for &v in values {
            s.add(v);
        }
        s
    }

    #[test]
    fn merge_is_exact_in_any_grouping_or_order() {
        // Magnitudes up to 1e15 keep the (dense) stores of the many small
        // partial sketches short enough for a debug build.
        let v = wide_values(7, 5000, 15.0);
        let whole = sketch_of(&v);

        // two halves, both merge orders
        let (a, b) = v.split_at(2345);
        let mut ab = sketch_of(a);
        ab.merge(&sketch_of(b));
        let mut ba = sketch_of(b);
        ba.merge(&sketch_of(a));
        assert_eq!(ab, whole);
        assert_eq!(ba, whole);

        // reversed / sorted insertion order
        let rev: Vec<f64> = v.iter().rev().copied().collect();
        assert_eq!(sketch_of(&rev), whole);
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sketch_of(&sorted), whole);
        sorted.reverse();
        assert_eq!(sketch_of(&sorted), whole);

        // many chunks, merged left fold, right fold and as a tree
        for chunk in [1usize, 7, 100, 999] {
            let parts: Vec<QuantileSketch> = v.chunks(chunk).map(sketch_of).collect();
            let mut left = QuantileSketch::default();
            for p in &parts {
                left.merge(p);
            }
            let mut right = QuantileSketch::default();
            for p in parts.iter().rev() {
                right.merge(p);
            }
            let mut level = parts.clone();
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|c| {
                        let mut m = c[0].clone();
                        if let Some(o) = c.get(1) {
                            m.merge(o);
                        }
                        m
                    })
                    .collect();
            }
            assert_eq!(left, whole, "chunk {chunk}");
            assert_eq!(right, whole, "chunk {chunk}");
            assert_eq!(level[0], whole, "chunk {chunk}");
        }

        // merging an empty sketch either way is the identity
        let mut e = QuantileSketch::default();
        e.merge(&whole);
        assert_eq!(e, whole);
        let mut w = whole.clone();
        w.merge(&QuantileSketch::default());
        assert_eq!(w, whole);
    }

    #[test]
    fn count_ignores_nan() {
        let mut s = QuantileSketch::default();
        for v in [1.0, f64::NAN, -2.0, 0.0, 1e-13, f64::NAN, 5e20] {
            s.add(v);
        }
        assert_eq!(s.count(), 5);
        assert_eq!(s.quantile(0.5), Some(0.0));
        let mut t = s.clone();
        t.merge(&s);
        assert_eq!(t.count(), 10);
    }

    #[test]
    fn empty() {
        let s = QuantileSketch::new(0.01);
        assert_eq!(s.count(), 0);
        assert_eq!(s.quantile(0.5), None);
        assert_eq!(s.quantile(0.0), None);
        assert_eq!(s, QuantileSketch::new(0.01));
        assert_eq!(s.pos.counts.capacity(), 0);
        assert_eq!(s.neg.counts.capacity(), 0);
    }

    #[test]
    fn single_value() {
        for x in [3.7, -3.7, 0.0, 1e-300, 1e300, -1e-9] {
            let mut s = QuantileSketch::default();
            s.add(x);
            assert_eq!(s.count(), 1);
            for q in [0.0, 0.3, 1.0] {
                let got = s.quantile(q).unwrap();
                if x.abs() < ZERO_THRESHOLD {
                    assert_eq!(got, 0.0);
                } else {
                    assert!((got - x).abs() <= DEFAULT_ALPHA * x.abs() * (1.0 + 1e-9));
                    assert_eq!(got.signum(), x.signum());
                }
            }
        }
    }

    #[test]
    fn infinities_are_skipped() {
        let mut s = QuantileSketch::default();
        s.add(f64::INFINITY);
        s.add(f64::NEG_INFINITY);
        s.add(2.0);
        assert_eq!(s.count(), 1);
    }

    #[test]
    #[should_panic]
    fn merge_different_alpha_panics() {
        let mut a = QuantileSketch::new(0.01);
        a.merge(&QuantileSketch::new(0.02));
    }

    proptest! {
        #[test]
        fn merge_split_equals_whole(
            v in proptest::collection::vec(prop_oneof![-1e6f64..1e6, Just(0.0), -1e-6f64..1e-6], 0..300),
            cut in 0usize..300,
        ) {
            let cut = cut.min(v.len());
            let mut m = sketch_of(&v[cut..]);
            m.merge(&sketch_of(&v[..cut]));
            prop_assert_eq!(m, sketch_of(&v));
        }
    }
}
