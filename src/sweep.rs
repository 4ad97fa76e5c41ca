//! Policy experiments on common random numbers: `[[sweep]]` variants and
//! `[sensitivity]` one-at-a-time cases (MODEL.md section 5).
//!
//! Every variant is the scenario file with the swept keys set through the
//! same mechanism as `--set`, validated like any scenario, and run with the
//! same seed and paths. Because every draw is keyed by (seed, path,
//! component, step), variants see the same economy and the same company
//! fates wherever a lever does not change behaviour, so the difference
//! between two variants path by path is the policy effect. Its standard
//! error is taken over paired paths, which is what makes small policy
//! effects visible; the unpaired error is reported beside it.

use crate::engine::Results;
use crate::scenario::{self, InputErrors, Scenario, SweepAxis};
use crate::stats::summary::summarize;

/// One variant: the values of the swept keys and its scenario.
#[derive(Debug, Clone)]
pub struct Variant {
    /// (key, value as TOML) for each swept key.
    pub label: Vec<(String, String)>,
    pub scenario: Scenario,
}

/// The `--set` text of one lever value.
fn set(key: &str, value: &str) -> String {
    format!("{key}={value}")
}

/// Load the scenario with `sets` plus `extra` as a variant labelled
/// `label` (used in error messages). `from` names where each extra value
/// comes from (`sweep[1].values`, `sensitivity.levers[0]`): an error on an
/// extra key is that table's, not a `--set`'s.
fn load_variant(
    source: &str,
    file: &str,
    sets: &[String],
    extra: &[(String, String)],
    from: &[&str],
) -> Result<Scenario, InputErrors> {
    let mut all = sets.to_vec();
    all.extend(extra.iter().map(|(k, v)| set(k, v)));
    scenario::load_str(source, file, &all).map(|l| l.scenario).map_err(|mut e| {
        let label: Vec<String> = extra.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let user_set = |key: &str| sets.iter().filter_map(|s| s.split_once('=')).any(|(k, _)| related(k.trim(), key));
        for err in &mut e.errors {
            let plain: String = err.key.split('[').next().unwrap_or("").to_string();
            let table = extra.iter().zip(from).find(|((k, _), _)| related(k, &plain) || related(k, &err.key));
            if let Some((_, at)) = table.filter(|_| !user_set(&plain)) {
                err.origin = scenario::file_origin(source, at);
                err.rule = format!("{} (in the variant {}, from `{at}`)", err.rule, label.join(", "));
            } else {
                err.rule = format!("{} (in the variant {})", err.rule, label.join(", "));
            }
        }
        e
    })
}

/// Whether one dotted key is the other or holds it.
fn related(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}

/// Every combination of the axes' values, first axis outermost, each
/// loaded and validated; all variants' errors are collected.
pub fn variants(source: &str, file: &str, sets: &[String], axes: &[SweepAxis]) -> Result<Vec<Variant>, InputErrors> {
    let mut labels: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in axes {
        labels = labels
            .into_iter()
            .flat_map(|l| {
                axis.values.iter().map(move |v| {
                    let mut l = l.clone();
                    l.push((axis.key.clone(), v.clone()));
                    l
                })
            })
            .collect();
    }
    let from: Vec<String> = (0..axes.len()).map(|i| format!("sweep[{i}].values")).collect();
    let from: Vec<&str> = from.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let mut errors = InputErrors { file: file.to_string(), errors: Vec::new() };
    for label in labels {
        match load_variant(source, file, sets, &label, &from) {
            Ok(scenario) => out.push(Variant { label, scenario }),
            Err(mut e) => errors.errors.append(&mut e.errors),
        }
    }
    if errors.errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The sensitivity cases: for each lever, the scenario at its low and at
/// its high value.
pub(crate) fn sensitivity_cases(
    source: &str,
    file: &str,
    sets: &[String],
    levers: &[(String, String, String)],
) -> Result<Vec<(Scenario, Scenario)>, InputErrors> {
    let mut out = Vec::new();
    let mut errors = InputErrors { file: file.to_string(), errors: Vec::new() };
    for (i, (key, low, high)) in levers.iter().enumerate() {
        let from = format!("sensitivity.levers[{i}]");
        let lo = load_variant(source, file, sets, &[(key.clone(), low.clone())], &[&from]);
        let hi = load_variant(source, file, sets, &[(key.clone(), high.clone())], &[&from]);
        match (lo, hi) {
            (Ok(l), Ok(h)) => out.push((l, h)),
            (l, h) => {
                for e in [l.err(), h.err()].into_iter().flatten() {
                    errors.errors.extend(e.errors);
                }
            }
        }
    }
    if errors.errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Mean and standard error of the difference x - base over the paths where
/// both are defined (paired), and the unpaired standard error
/// sqrt(se_x² + se_base²) for comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub mean: f64,
    pub se: f64,
    pub se_unpaired: f64,
}

pub fn difference(base: &[f64], x: &[f64], scratch: &mut Vec<f64>) -> Difference {
    let diffs: Vec<f64> = base.iter().zip(x).map(|(b, v)| v - b).filter(|d| d.is_finite()).collect();
    let paired = summarize(&diffs, scratch);
    let (sb, sx) = (summarize(base, scratch).se, summarize(x, scratch).se);
    Difference { mean: paired.mean, se: paired.se, se_unpaired: (sb * sb + sx * sx).sqrt() }
}

/// Column `j` of a result matrix.
pub fn column(r: &Results, j: usize) -> Vec<f64> {
    r.matrix.column(j).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_of_a_shifted_sample_has_zero_se() {
        // x = base + 2 in every path: the paired difference is exactly 2 with
        // no spread, while the unpaired se is sqrt(2) x se(base).
        let base: Vec<f64> = (0..100).map(|i| (i as f64).sin() * 10.0).collect();
        let x: Vec<f64> = base.iter().map(|b| b + 2.0).collect();
        let d = difference(&base, &x, &mut Vec::new());
        assert!((d.mean - 2.0).abs() < 1e-12);
        assert!(d.se < 1e-12);
        let se_base = summarize(&base, &mut Vec::new()).se;
        assert!((d.se_unpaired - 2f64.sqrt() * se_base).abs() < 1e-12);
    }

    #[test]
    fn undefined_values_drop_out_of_the_pairs() {
        let base = [1.0, f64::NAN, 3.0, 4.0];
        let x = [2.0, 5.0, f64::NAN, 6.0];
        let d = difference(&base, &x, &mut Vec::new());
        // Pairs (1, 2) and (4, 6): differences 1 and 2.
        assert!((d.mean - 1.5).abs() < 1e-12);
    }
}
