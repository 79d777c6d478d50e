//! Uploads as background jobs: the request stores the file and answers at once with the job's
//! page; the job waits its turn for the warehouse (one writer), reads the file with its row count
//! shown as it goes, files the upload under accepted/ or rejected/, re-runs the rules for the
//! periods it loaded, and records its outcome in `purse.db` (`upload_jobs`), so the Data page
//! lists every job with its outcome, across restarts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;
use crate::ingest::Outcome;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS upload_jobs (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    user        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    finished_at TEXT,
    state       TEXT NOT NULL,   -- running | done | failed | interrupted
    message     TEXT,
    outcomes    TEXT,            -- JSON: the ingest outcomes
    checked     TEXT             -- JSON: the periods whose rules were re-run
);";

/// The jobs' migrations, in order: never edit one that has shipped, add a step.
const MIGRATIONS: &[crate::db::Step] = &[crate::db::Step::Sql(SCHEMA)];

/// What a job is doing now (in memory while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Waiting for another upload to finish (the warehouse has one writer).
    Queued,
    /// Reading and validating the file.
    Reading,
    /// Re-running the rules for the periods it loaded.
    Checking,
}

impl Phase {
    pub fn label(self, l: crate::i18n::Lang) -> &'static str {
        match self {
            Phase::Queued => l.t("排队中", "queued"),
            Phase::Reading => l.t("读取中", "reading"),
            Phase::Checking => l.t("运行规则", "running the rules"),
        }
    }
}

/// A job as the Data page and the API see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: i64,
    pub file: String,
    pub user: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// running | done | failed | interrupted
    pub state: String,
    /// While running.
    pub phase: Option<Phase>,
    /// Rows read so far (while running).
    pub rows_read: u64,
    pub message: Option<String>,
    pub outcomes: Vec<Outcome>,
    pub checked: Vec<String>,
}

impl Job {
    pub fn running(&self) -> bool {
        self.state == "running"
    }
}

/// The live part of a running job.
#[derive(Clone)]
pub struct Live {
    phase: Arc<Mutex<Phase>>,
    rows: Arc<AtomicU64>,
}

impl Live {
    pub fn set(&self, p: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }
    /// Rows read so far; the ingest's progress callback adds to it.
    pub fn rows(&self) -> Arc<AtomicU64> {
        self.rows.clone()
    }
}

/// The job table, and the live state of jobs running in this process.
pub struct Jobs {
    db: Connection,
    live: HashMap<i64, Live>,
}

impl Jobs {
    /// Opens the table (a starting server then calls [`Jobs::sweep`]).
    pub fn open(data_dir: &Path) -> Result<Jobs> {
        let db = crate::db::open(data_dir, "jobs", MIGRATIONS)?;
        Ok(Jobs {
            db,
            live: HashMap::new(),
        })
    }

    /// Marks jobs a previous server left running as interrupted: their file stays under
    /// `uploads/pending/`, and nothing of it was committed unless its load is in the manifest.
    pub fn sweep(&self) -> Result<usize> {
        Ok(self.db.execute(
            "UPDATE upload_jobs SET state = 'interrupted', finished_at = ?1,
                 message = 'the server stopped before this upload finished: upload it again'
             WHERE state = 'running'",
            params![now()],
        )?)
    }

    pub fn start(&mut self, file: &str, user: &str) -> Result<(i64, Live)> {
        self.db.execute(
            "INSERT INTO upload_jobs (file, user, created_at, state) VALUES (?1, ?2, ?3, 'running')",
            params![file, user, now()],
        )?;
        let id = self.db.last_insert_rowid();
        let live = Live {
            phase: Arc::new(Mutex::new(Phase::Queued)),
            rows: Arc::new(AtomicU64::new(0)),
        };
        self.live.insert(id, live.clone());
        Ok((id, live))
    }

    /// Records a job's end: `Ok` with its outcomes and the periods re-checked, or why it failed.
    pub fn finish(
        &mut self,
        id: i64,
        result: std::result::Result<(Vec<Outcome>, Vec<String>), String>,
    ) -> Result<()> {
        self.live.remove(&id);
        let (state, message, outcomes, checked) = match result {
            Ok((o, c)) => (
                "done",
                None,
                serde_json::to_string(&o).ok(),
                serde_json::to_string(&c).ok(),
            ),
            Err(m) => ("failed", Some(m), None, None),
        };
        self.db.execute(
            "UPDATE upload_jobs SET state = ?2, finished_at = ?3, message = ?4, outcomes = ?5,
                 checked = ?6 WHERE id = ?1",
            params![id, state, now(), message, outcomes, checked],
        )?;
        Ok(())
    }

    pub fn get(&self, id: i64) -> Result<Option<Job>> {
        let j = self
            .db
            .query_row(
                &format!("SELECT {COLS} FROM upload_jobs WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()?;
        Ok(j.map(|j| self.with_live(j)))
    }

    /// The newest jobs first.
    pub fn recent(&self, n: usize) -> Result<Vec<Job>> {
        let mut st = self.db.prepare(&format!(
            "SELECT {COLS} FROM upload_jobs ORDER BY id DESC LIMIT ?1"
        ))?;
        let v = st
            .query_map(params![n as i64], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v.into_iter().map(|j| self.with_live(j)).collect())
    }

    fn with_live(&self, mut j: Job) -> Job {
        if let Some(l) = self.live.get(&j.id) {
            j.phase = Some(*l.phase.lock().unwrap_or_else(|e| e.into_inner()));
            j.rows_read = l.rows.load(Ordering::Relaxed);
        }
        j
    }
}

const COLS: &str = "id, file, user, created_at, finished_at, state, message, outcomes, checked";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Job> {
    let outcomes: Option<String> = r.get(7)?;
    let checked: Option<String> = r.get(8)?;
    Ok(Job {
        id: r.get(0)?,
        file: r.get(1)?,
        user: r.get(2)?,
        created_at: r.get(3)?,
        finished_at: r.get(4)?,
        state: r.get(5)?,
        phase: None,
        rows_read: 0,
        message: r.get(6)?,
        outcomes: outcomes
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        checked: checked
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
    })
}

use crate::db::now;
