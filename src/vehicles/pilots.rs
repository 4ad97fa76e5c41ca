//! The pilot computations already made in this process (issue 19). Two
//! vehicles simulate pilot lives when they are built: the S fund fits its
//! underwriting on 2,000 pilot lives of a target fund (`SFund::underwrite`,
//! MODEL.md 8.2), and a guidance fund whose private LPs choose runs 1,000
//! pilot lives of a sub-fund to learn what they are offered
//! (`GuidanceFund::pilot_offered`, MODEL.md 7). Each is a pure function of
//! what it reads (the vehicle's terms and keys, the market, the company
//! model). A sweep or sensitivity table loads every variant as a scenario
//! of its own, and most variants change none of these (a loan lever, a
//! concession paid later): without the memo each load repeated the same
//! pilots (0.04-0.08 s a variant each), which was most of the time of a
//! 3 x 3 loan grid run end to end (perf: 37 % for the S fund's fits, then
//! 16 % for the guidance fund's offer once those were memoised).
//!
//! The key is the SHA-256 of the `Debug` form of every input (Rust writes
//! an `f64` in the shortest form that reads back to the same bits, so two
//! inputs with the same key are the same inputs) and the result's type, so
//! a hit returns the very value a new computation gives, bit for bit;
//! nothing depends on which variant filled it or on the order of loading.
//! Entries are small (a few coefficients or rates per age and state) and
//! live as long as the process.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

type Memo = HashMap<(TypeId, [u8; 32]), Box<dyn Any + Send>>;

static DONE: LazyLock<Mutex<Memo>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The value of `compute` for `inputs` (the `Debug` form of everything it
/// reads): the one computed before in this process, or `compute()`, kept
/// for the next time. The lock is not held while computing (two threads
/// computing the same inputs at once both compute and store the same
/// value).
pub(crate) fn once<T: Clone + Send + 'static>(inputs: &dyn std::fmt::Debug, compute: impl FnOnce() -> T) -> T {
    let key = (TypeId::of::<T>(), Sha256::digest(format!("{inputs:?}").as_bytes()).into());
    let hit = DONE.lock().ok().and_then(|m| m.get(&key).and_then(|v| v.downcast_ref::<T>()).cloned());
    if let Some(v) = hit {
        return v;
    }
    let v = compute();
    if let Ok(mut m) = DONE.lock() {
        m.insert(key, Box::new(v.clone()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::once;
    use std::cell::Cell;

    #[test]
    fn a_value_is_computed_once_per_inputs_and_type() {
        let calls = Cell::new(0);
        let f = |x: f64| {
            calls.set(calls.get() + 1);
            vec![x * 2.0]
        };
        // Inputs unique to this test (the memo lives as long as the process).
        let a = ("pilots-test", 0.1_f64, [1u64, 2]);
        assert_eq!(once(&a, || f(0.1)), vec![0.2]);
        assert_eq!(once(&a, || f(0.1)), vec![0.2]);
        assert_eq!(calls.get(), 1, "the second call is a hit");
        // One bit more in an input: another key.
        let b = ("pilots-test", f64::from_bits(0.1_f64.to_bits() + 1), [1u64, 2]);
        assert_eq!(once(&b, || f(0.3)), vec![0.6]);
        assert_eq!(calls.get(), 2);
        // The same inputs for another result type: not the other's value.
        assert_eq!(once(&a, || 7u32), 7);
        assert_eq!(once(&a, || vec![0.0]), vec![0.2]);
    }
}
