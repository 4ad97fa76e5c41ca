//! The underwriting fits already made in this process (issue 19). A fit
//! (`SFund::underwrite`, MODEL.md 8.2) simulates 2,000 pilot lives of a
//! target fund and is a pure function of what it reads: the target fund
//! (its terms, key and step schedule), the buyer's rate, the ages asked
//! for, the market and the company model. A sweep or sensitivity table
//! loads every variant as a scenario of its own, and most variants change
//! none of these (a loan lever, a concession): without the memo each one
//! refitted the same model, about 0.08 s a variant, which was most of the
//! time of a 3 x 3 loan grid run end to end.
//!
//! The key is the SHA-256 of the `Debug` form of every input (Rust writes
//! an `f64` in the shortest form that reads back to the same bits, so two
//! inputs with the same key are the same inputs), so a hit returns the
//! very fit a new fit would compute, bit for bit; nothing depends on which
//! variant filled it or on the order of loading. Entries are a few hundred
//! bytes (ages x states x 3 coefficients) and live as long as the process.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

/// Per age, per exit-market state: (c, a, b) of the fit.
pub(crate) type Fits = Vec<Vec<[f64; 3]>>;

static FITS: LazyLock<Mutex<HashMap<[u8; 32], Fits>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The fit for `inputs` (the `Debug` form of everything `fit` reads): the
/// one made before in this process, or `fit()`, kept for the next time.
/// The lock is not held while fitting (two threads fitting the same
/// inputs at once both fit and store the same value).
pub(crate) fn fit_once(inputs: &dyn std::fmt::Debug, fit: impl FnOnce() -> Fits) -> Fits {
    let key: [u8; 32] = Sha256::digest(format!("{inputs:?}").as_bytes()).into();
    if let Some(f) = FITS.lock().map(|m| m.get(&key).cloned()).ok().flatten() {
        return f;
    }
    let f = fit();
    if let Ok(mut m) = FITS.lock() {
        m.insert(key, f.clone());
    }
    f
}
