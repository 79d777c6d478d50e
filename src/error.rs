//! Library errors. The binary adds context at its edge (anyhow); here every variant says what
//! went wrong in terms a budget analyst can act on.

use std::path::PathBuf;

pub type Result<T, E = PurseError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PurseError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration: {0}")]
    Config(String),
    #[error("unknown dataset `{name}` (known: {known})")]
    UnknownDataset { name: String, known: String },
    /// Input that cannot be accepted (a bad period, parameter, file, value).
    #[error("{0}")]
    Invalid(String),
    /// What was asked for does not exist (an alert, a saved query, a job).
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the thing's state does not allow it now (a workflow action
    /// from the wrong status).
    #[error("{0}")]
    Conflict(String),
    #[error("warehouse: {0}")]
    Warehouse(String),
    /// More memory than the process's cap allows (what was being done, the cap and its source).
    #[error("{0}")]
    OutOfMemory(String),
    /// A bug or a task that stopped: nothing the user can change.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("manifest database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
}

impl PurseError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PurseError::Io {
            path: path.into(),
            source,
        }
    }
}
