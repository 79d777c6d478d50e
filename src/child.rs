//! What the server and the `purse` children it starts say to each other. An upload is read by
//! a child `purse ingest --child` and a console query runs in `purse sql-worker`, each under an
//! address-space cap, so a hostile file or query ends that child, never the server.
//!
//! The ingest child writes one JSON [`IngestMessage`] per line on stdout (progress as it reads,
//! then its outcomes or why it failed); the SQL worker answers with an Arrow IPC stream (exit 0)
//! or a JSON error (exit [`EXIT_REFUSED`]). A child that ran out of memory under its cap exits
//! with [`EXIT_OUT_OF_MEMORY`]. The parent decides from these alone: a child's stderr is kept
//! only to show with an internal error, never read for meaning.

use serde::{Deserialize, Serialize};

use crate::ingest::Outcome;

/// Exit code of a child whose allocation failed under its address-space cap.
pub const EXIT_OUT_OF_MEMORY: i32 = crate::memory::CHILD_EXIT_OUT_OF_MEMORY;
/// Exit code of a SQL worker that answered with an error (JSON on stdout).
pub const EXIT_REFUSED: i32 = 3;

/// One line of an ingest child's stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestMessage {
    /// Rows read so far of the file being read.
    Progress { file: String, rows: u64 },
    /// Every file's outcome; the child's last line.
    Done { outcomes: Vec<Outcome> },
    /// The ingest could not run at all (the data directory, the warehouse); its last line.
    Failed { message: String },
}

impl IngestMessage {
    /// As one line (no line breaks: JSON escapes them).
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"failed":{{"message":"encoding a message: {e}"}}}}"#));
        s.push('\n');
        s
    }

    /// A line read back; `None` for anything else (a line the child did not mean as a message).
    pub fn parse(line: &str) -> Option<IngestMessage> {
        serde_json::from_str(line.trim()).ok()
    }
}

/// What the parent concludes from an ingest child that has ended.
#[derive(Debug)]
pub enum IngestEnd {
    Done(Vec<Outcome>),
    Failed(String),
    OutOfMemory,
    /// No last message: it crashed or was killed (exit code, if any).
    Crashed(Option<i32>),
}

/// The ending of an ingest child from its exit code and its last message.
pub fn ingest_end(code: Option<i32>, last: Option<IngestMessage>) -> IngestEnd {
    match (code, last) {
        (Some(EXIT_OUT_OF_MEMORY), _) => IngestEnd::OutOfMemory,
        (_, Some(IngestMessage::Done { outcomes })) => IngestEnd::Done(outcomes),
        (_, Some(IngestMessage::Failed { message })) => IngestEnd::Failed(message),
        (code, _) => IngestEnd::Crashed(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_single_lines_and_decide_the_ending() {
        let p = IngestMessage::Progress {
            file: "预算执行\n2025-10.csv".into(),
            rows: 65_536,
        };
        let line = p.line();
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert_eq!(
            line,
            "{\"progress\":{\"file\":\"预算执行\\n2025-10.csv\",\"rows\":65536}}\n"
        );
        assert!(matches!(
            IngestMessage::parse(&line),
            Some(IngestMessage::Progress { rows: 65_536, ref file }) if file == "预算执行\n2025-10.csv"
        ));
        assert!(IngestMessage::parse("progress 65536 a.csv").is_none());
        let failed = IngestMessage::Failed {
            message: "/srv/purse: no purse.toml".into(),
        };
        assert!(matches!(
            ingest_end(Some(2), Some(failed)),
            IngestEnd::Failed(m) if m == "/srv/purse: no purse.toml"
        ));
        // Out of memory wins over whatever came before it.
        assert!(matches!(
            ingest_end(Some(EXIT_OUT_OF_MEMORY), Some(p)),
            IngestEnd::OutOfMemory
        ));
        assert!(matches!(
            ingest_end(Some(0), Some(IngestMessage::Done { outcomes: vec![] })),
            IngestEnd::Done(v) if v.is_empty()
        ));
        assert!(matches!(ingest_end(None, None), IngestEnd::Crashed(None)));
        assert!(matches!(
            ingest_end(Some(101), None),
            IngestEnd::Crashed(Some(101))
        ));
    }
}
