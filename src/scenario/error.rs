//! Input errors: every mistake in a scenario file or a flag, with the key
//! path, where it is, the value given and the rule it broke. They are
//! collected, never thrown one at a time, so a user sees all of a file's
//! mistakes in one run.

use std::fmt;

/// Where a key's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The scenario file, at this 1-based line and column when known.
    File { line: Option<(usize, usize)> },
    /// A `--set KEY=VALUE` flag.
    Set,
    /// A command-line flag other than `--set`.
    Flag,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Dotted key path, e.g. `vehicles.loans.policy.risk_compensation.ratio`.
    pub key: String,
    /// The value as given (TOML syntax), empty when there is none.
    pub value: String,
    /// The rule, e.g. `must be within [0, 1]`.
    pub rule: String,
    pub origin: Origin,
}

/// All input errors of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors {
    /// The scenario file as named on the command line.
    pub file: String,
    pub errors: Vec<InputError>,
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "{}: {} error{} in the scenario; nothing was run or written.",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            writeln!(f)?;
            let place = match &e.origin {
                Origin::File { line: Some((l, c)) } => {
                    format!("{}, line {l}, column {c}", self.file)
                }
                Origin::File { line: None } => self.file.clone(),
                Origin::Set => "--set".to_string(),
                Origin::Flag => "command line".to_string(),
            };
            if e.value.is_empty() {
                write!(f, "{place}: `{}`: {}.", e.key, e.rule)?;
            } else {
                write!(f, "{place}: `{}` = {}: {}.", e.key, e.value, e.rule)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}
