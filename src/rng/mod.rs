//! Random streams: every draw is a pure function of (seed, path, component,
//! step).
//!
//! Every random number in a simulation comes from a small stream keyed by
//! the scenario seed, the Monte Carlo path index, a component id (the
//! market, or one company of one vehicle) and, for companies, the step. No
//! draw depends on which thread runs a path, in what order paths run, or on
//! how many numbers other components or other steps used, so results are
//! byte-identical at any thread count, the first N paths of a longer run
//! equal a run of N paths, and a lever that changes how many numbers one
//! step of one company consumes (warrants, say) cannot shift any other draw
//! (common random numbers, MODEL.md section 5).
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014; the seeding generator of
//! the xoshiro family), implemented here in a dozen lines so its output is
//! fixed by its specification and never changes with a crate version.
//! It passes BigCrush; keys are mixed with its own finaliser.

use std::convert::Infallible;

use rand::TryRng;

#[allow(unsafe_code)]
pub mod scan;
pub mod uniform_tree;

/// Component id of the economy (common factor and exit-market regimes).
pub const MARKET: u64 = 0;

/// SplitMix64's increment (the golden gamma); also spaces company keys.
pub(crate) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Odd constant that spaces the starts of a component's step streams.
pub(crate) const STEP_GAMMA: u64 = 0xD1B5_4A32_D192_ED03;

/// SplitMix64 finaliser's multipliers.
pub(crate) const MIX_M1: u64 = 0xBF58_476D_1CE4_E5B9;
pub(crate) const MIX_M2: u64 = 0x94D0_49BB_1331_11EB;

/// SplitMix64 finaliser: a bijective 64-bit mixer.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(MIX_M1);
    z = (z ^ (z >> 27)).wrapping_mul(MIX_M2);
    z ^ (z >> 31)
}

/// One SplitMix64 output from a state: mix64(state + golden gamma).
#[inline]
pub fn splitmix64(z: u64) -> u64 {
    mix64(z.wrapping_add(GOLDEN))
}

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Stream {
    state: u64,
}

impl Stream {
    /// A stream starting from a (mixed) key.
    #[inline]
    pub fn from_key(key: u64) -> Stream {
        Stream { state: key }
    }
}

impl TryRng for Stream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.state = self.state.wrapping_add(GOLDEN);
        Ok(mix64(self.state))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// Key of path `path` under `seed` (computed once per path).
#[inline]
pub fn path_key(seed: u64, path: u64) -> u64 {
    splitmix64(seed ^ splitmix64(path))
}

/// Key of one component within a path.
#[inline]
pub fn component_key(path_key: u64, component: u64) -> u64 {
    splitmix64(path_key ^ splitmix64(component))
}

/// The stream for (seed, path, component).
#[inline]
pub fn stream(seed: u64, path: u64, component: u64) -> Stream {
    Stream::from_key(component_key(path_key(seed, path), component))
}

/// The stream of one step of the component with (mixed) key `key`: the
/// SplitMix64 sequence started at key ^ step x an odd constant. Its first
/// draw costs one mix; starts of different steps are scattered over the
/// 2^64 states, so their short sequences do not meet.
#[inline]
pub fn step_stream(key: u64, step: u64) -> Stream {
    Stream::from_key(key ^ step.wrapping_mul(STEP_GAMMA))
}

/// The first draw of `step_stream(key, step)`, without building the stream.
#[inline]
pub(crate) fn first_draw(key: u64, step: u64) -> u64 {
    mix64((key ^ step.wrapping_mul(STEP_GAMMA)).wrapping_add(GOLDEN))
}

/// A stable, well-mixed 64-bit identity for a vehicle, from its name in
/// the scenario (FNV-1a, then mixed). Company keys are derived from it, so
/// adding or reordering other vehicles does not change a vehicle's random
/// numbers.
pub fn vehicle_key(name: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    splitmix64(h)
}

/// Key of company `index` of the vehicle with key `vehicle` in the path
/// with key `path_key`. No mixing here: the path and vehicle keys are
/// already mixed, and every draw from a company's step streams goes
/// through the SplitMix64 finaliser, so one mix per draw is all a company
/// costs (the loan workload draws one number per loan).
#[inline]
pub fn company_key(path_key: u64, vehicle: u64, index: u64) -> u64 {
    path_key ^ vehicle ^ index.wrapping_mul(GOLDEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngExt};

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // Reference: the C implementation by Vigna (splitmix64.c) seeded
        // with 0 gives these first outputs.
        let mut s = Stream::from_key(0);
        assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(s.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(s.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn streams_are_pure_functions_of_the_key() {
        let mut a = stream(7, 3, 11);
        let mut b = stream(7, 3, 11);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let x = stream(7, 3, 11).next_u64();
        assert_ne!(x, stream(7, 4, 11).next_u64());
        assert_ne!(x, stream(7, 3, 12).next_u64());
        assert_ne!(x, stream(8, 3, 11).next_u64());
        assert_ne!(step_stream(5, 0).next_u64(), step_stream(5, 1).next_u64());
        for (k, t) in [(5, 0), (5, 7), (u64::MAX, 3)] {
            assert_eq!(first_draw(k, t), step_stream(k, t).next_u64());
        }
    }

    #[test]
    fn uniforms_from_keyed_streams_look_uniform() {
        // First draw of 100,000 consecutive step streams: mean 1/2 and
        // variance 1/12 within 5 standard errors (se of the mean 0.0009).
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|t| step_stream(42, t).random::<f64>()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 0.5).abs() < 5.0 * (1.0f64 / 12.0 / n as f64).sqrt(), "{mean}");
        // sd of the sample variance of U(0,1): sqrt(1/180/n) = 0.00024.
        assert!((var - 1.0 / 12.0).abs() < 5.0 * 0.000_236, "{var}");
    }

    #[test]
    fn vehicle_and_company_keys_differ() {
        assert_ne!(vehicle_key("fund"), vehicle_key("loans"));
        let (pk, v) = (path_key(1, 2), vehicle_key("fund"));
        assert_ne!(company_key(pk, v, 0), company_key(pk, v, 1));
        assert_ne!(company_key(pk, v, 0), company_key(path_key(1, 3), v, 0));
        assert_ne!(company_key(pk, v, 0), company_key(pk, vehicle_key("loans"), 0));
    }
}
