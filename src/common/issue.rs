//! What is wrong with an input: where (row, column), what was provided, what was expected and
//! why. Ingest, the warehouse's checks and the problem sheets all report in it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in an extract: where, what was provided, what was expected, why.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Issue {
    pub severity: Severity,
    /// Row as a person sees it (CSV line, Excel row); `None` for file-level problems.
    pub row: Option<usize>,
    pub column: String,
    pub value: String,
    pub expected: String,
    pub reason: String,
}

impl Issue {
    /// A problem with the whole file (no row, no column).
    pub fn file(reason: impl Into<String>) -> Issue {
        Issue {
            severity: Severity::Error,
            row: None,
            column: String::new(),
            value: String::new(),
            expected: String::new(),
            reason: reason.into(),
        }
    }
}
