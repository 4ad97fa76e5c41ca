//! The library's error type and its exit status.

use std::path::PathBuf;

use crate::output::charts::ChartError;
use crate::output::commit::refusal;
use crate::scenario::InputErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad scenario, flag or value: exit status 2.
    #[error("{0}")]
    Input(#[from] InputErrors),
    /// Bad usage of a command (not of a scenario key): exit status 2.
    #[error("{0}")]
    Usage(String),
    /// Charts and report: exit status 2 for a bad output directory or font,
    /// 1 for a failure to draw or write.
    #[error("{0}")]
    Charts(#[from] ChartError),
    /// Anything else (writing output, say): exit status 1; but 2 for an
    /// output directory that is not fundsim's to replace
    /// (`output::commit::Refused`).
    #[error("{}", io_message(path, source))]
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    pub(crate) fn exit_status(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage(_) => 2,
            Error::Charts(e) => e.exit_status(),
            Error::Io { source, .. } if refusal(source).is_some() => 2,
            Error::Io { .. } => 1,
        }
    }
}

fn io_message(path: &std::path::Path, source: &std::io::Error) -> String {
    match refusal(source) {
        Some(r) => r.to_string(),
        None => format!("cannot write {}: {source}", path.display()),
    }
}
