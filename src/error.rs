//! The library's error type and its exit status.

use std::path::PathBuf;

use crate::output::charts::ChartError;
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
    /// Anything else (writing output, say): exit status 1.
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    pub fn exit_status(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage(_) => 2,
            Error::Charts(e) => e.exit_status(),
            Error::Io { .. } => 1,
        }
    }
}
