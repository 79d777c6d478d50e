//! The ad-hoc SQL console for expert advisers: read-only by construction, bounded in rows,
//! time and memory, and logged.
//!
//! Each query gets a session of its own over the warehouse, with its own memory pool, so one
//! adviser's runaway join cannot starve another's or take the server down. The session knows only
//! the warehouse tables (and `purse_loads`, `information_schema`): no URL tables, no file-reading
//! table functions, no DDL, DML or statements.

use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::datasets::Catalog;
use crate::error::{PurseError, Result};
use crate::figures::{Val, values};

/// Bounds on one console query.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows returned; more are cut and the result says so.
    pub max_rows: usize,
    pub timeout: Duration,
    /// The query's memory pool; operators that can spill do, the rest fail cleanly.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 10_000,
            timeout: Duration::from_secs(30),
            memory_bytes: 512 << 20,
        }
    }
}

/// Why a console query gave no result. Each is the adviser's to fix, never a server fault.
#[derive(Debug, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsoleError {
    /// DDL, DML, statements: refused before planning.
    #[error("{message}")]
    Refused { message: String },
    /// The SQL error, with its position when DataFusion gives one.
    #[error("{message}")]
    Sql {
        message: String,
        line: Option<u64>,
        column: Option<u64>,
    },
    #[error("query stopped after {seconds} s (the console's time limit)")]
    Timeout { seconds: u64 },
    #[error("query needs more memory than the console allows ({limit_mib} MiB): {message}")]
    Memory { message: String, limit_mib: usize },
    #[error("{message}")]
    Internal { message: String },
}

/// A console result, cut at the row limit.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
    pub truncated: bool,
    pub duration: Duration,
}

impl Outcome {
    pub fn columns(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
    pub fn values(&self) -> Vec<Vec<Val>> {
        values(&self.batches)
    }
}

static POSITION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)line:?\s*(\d+),?\s*column:?\s*(\d+)").unwrap());

fn classify(e: DataFusionError, limits: &Limits) -> ConsoleError {
    let root = e.find_root();
    let message = root.to_string();
    if matches!(root, DataFusionError::ResourcesExhausted(_)) {
        return ConsoleError::Memory {
            message,
            limit_mib: limits.memory_bytes >> 20,
        };
    }
    if message.contains("not supported: ") && message.contains("DDL")
        || message.starts_with("Error during planning: DML not supported")
        || message.contains("Statement not supported")
        || message.contains("DDL not supported")
        || message.contains("DML not supported")
    {
        return ConsoleError::Refused { message };
    }
    let (mut line, mut column) = (None, None);
    if let Some(d) = e.diagnostic()
        && let Some(span) = d.span
    {
        line = Some(span.start.line);
        column = Some(span.start.column);
    }
    if line.is_none()
        && let Some(c) = POSITION.captures(&message)
    {
        line = c[1].parse().ok();
        column = c[2].parse().ok();
    }
    ConsoleError::Sql {
        message,
        line,
        column,
    }
}

/// A fresh session for one console query: its own memory pool, the warehouse and lineage.
pub async fn session(
    data_dir: &Path,
    catalog: &Catalog,
    limits: &Limits,
) -> Result<SessionContext> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(limits.memory_bytes, 1.0)
        .build_arc()?;
    let config = SessionConfig::from_env()?.with_information_schema(true);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    crate::engine::register_warehouse(&ctx, data_dir, catalog).await?;
    Ok(ctx)
}

/// Runs one query under the limits.
pub async fn run(
    ctx: &SessionContext,
    sql: &str,
    limits: &Limits,
) -> std::result::Result<Outcome, ConsoleError> {
    let t0 = Instant::now();
    let work = async {
        let df = ctx
            .sql_with_options(sql, crate::engine::read_only())
            .await
            .map_err(|e| classify(e, limits))?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let df = df
            .limit(0, Some(limits.max_rows + 1))
            .map_err(|e| classify(e, limits))?;
        let batches = df.collect().await.map_err(|e| classify(e, limits))?;
        Ok::<_, ConsoleError>((schema, batches))
    };
    let (schema, mut batches) =
        tokio::time::timeout(limits.timeout, work)
            .await
            .map_err(|_| ConsoleError::Timeout {
                seconds: limits.timeout.as_secs().max(1),
            })??;
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let truncated = total > limits.max_rows;
    if truncated {
        let mut keep = limits.max_rows;
        let mut cut = Vec::new();
        for b in batches {
            if keep == 0 {
                break;
            }
            let n = b.num_rows().min(keep);
            cut.push(b.slice(0, n));
            keep -= n;
        }
        batches = cut;
    }
    Ok(Outcome {
        schema,
        batches,
        rows: total.min(limits.max_rows),
        truncated,
        duration: t0.elapsed(),
    })
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS sql_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user        TEXT NOT NULL,
    sql         TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    rows        INTEGER,
    error       TEXT
);
CREATE TABLE IF NOT EXISTS saved_queries (
    id          INTEGER PRIMARY KEY,
    owner       TEXT NOT NULL,
    name        TEXT NOT NULL,
    sql         TEXT NOT NULL,
    shared      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
"#;

#[derive(Debug, Clone, Serialize)]
pub struct SavedQuery {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub sql: String,
    pub shared: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub at: String,
    pub user: String,
    pub sql: String,
    pub duration_ms: i64,
    pub rows: Option<i64>,
    pub error: Option<String>,
}

/// The query log and saved queries (in `DIR/purse.db`).
pub struct ConsoleStore {
    db: Connection,
}

impl ConsoleStore {
    pub fn open(data_dir: &Path) -> Result<ConsoleStore> {
        Ok(ConsoleStore {
            db: crate::db::open(data_dir, SCHEMA)?,
        })
    }

    pub fn log(
        &self,
        user: &str,
        sql: &str,
        duration: Duration,
        rows: Option<usize>,
        error: Option<&str>,
    ) -> Result<()> {
        self.db.execute(
            "INSERT INTO sql_log (at, user, sql, duration_ms, rows, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                user,
                sql,
                duration.as_millis() as i64,
                rows.map(|r| r as i64),
                error
            ],
        )?;
        Ok(())
    }

    pub fn recent(&self, user: Option<&str>, limit: usize) -> Result<Vec<LogEntry>> {
        let mut st = self.db.prepare(
            "SELECT at, user, sql, duration_ms, rows, error FROM sql_log
             WHERE ?1 IS NULL OR user = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let v = st
            .query_map(params![user, limit as i64], |r| {
                Ok(LogEntry {
                    at: r.get(0)?,
                    user: r.get(1)?,
                    sql: r.get(2)?,
                    duration_ms: r.get(3)?,
                    rows: r.get(4)?,
                    error: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn save(&self, owner: &str, name: &str, sql: &str, shared: bool) -> Result<i64> {
        if name.trim().is_empty() || sql.trim().is_empty() {
            return Err(PurseError::Invalid(
                "a saved query needs a name and SQL".into(),
            ));
        }
        self.db.execute(
            "INSERT INTO saved_queries (owner, name, sql, shared, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                owner,
                name.trim(),
                sql,
                shared,
                chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            ],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// The user's own queries and those others shared.
    pub fn visible(&self, user: &str) -> Result<Vec<SavedQuery>> {
        let mut st = self.db.prepare(
            "SELECT id, owner, name, sql, shared, created_at FROM saved_queries
             WHERE owner = ?1 OR shared ORDER BY owner = ?1 DESC, name",
        )?;
        let v = st
            .query_map(params![user], row_to_saved)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// A saved query, if the user may see it.
    pub fn get(&self, user: &str, id: i64) -> Result<Option<SavedQuery>> {
        Ok(self
            .db
            .query_row(
                "SELECT id, owner, name, sql, shared, created_at FROM saved_queries
                 WHERE id = ?1 AND (owner = ?2 OR shared)",
                params![id, user],
                row_to_saved,
            )
            .optional()?)
    }

    /// Deletes the user's own saved query.
    pub fn delete(&self, user: &str, id: i64) -> Result<bool> {
        Ok(self.db.execute(
            "DELETE FROM saved_queries WHERE id = ?1 AND owner = ?2",
            params![id, user],
        )? > 0)
    }
}

fn row_to_saved(r: &rusqlite::Row) -> rusqlite::Result<SavedQuery> {
    Ok(SavedQuery {
        id: r.get(0)?,
        owner: r.get(1)?,
        name: r.get(2)?,
        sql: r.get(3)?,
        shared: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// A result as CSV (UTF-8 with BOM, so Excel opens Chinese text correctly).
pub fn to_csv(o: &Outcome) -> Result<Vec<u8>> {
    let mut buf = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = datafusion::arrow::csv::WriterBuilder::new()
            .with_header(true)
            .build(&mut buf);
        if o.batches.is_empty() {
            w.write(&RecordBatch::new_empty(o.schema.clone()))?;
        }
        for b in &o.batches {
            w.write(b)?;
        }
    }
    Ok(buf)
}

/// A result as Parquet, types kept (money stays Decimal128).
pub fn to_parquet(o: &Outcome) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    {
        let mut w =
            datafusion::parquet::arrow::ArrowWriter::try_new(&mut buf, o.schema.clone(), None)?;
        for b in &o.batches {
            w.write(b)?;
        }
        w.close()?;
    }
    Ok(buf)
}

/// A result as an XLSX sheet: numbers as numbers, money with two decimals.
pub fn to_xlsx(o: &Outcome, sheet: &str) -> Result<Vec<u8>> {
    let mut header = Vec::new();
    for f in o.schema.fields() {
        header.push(f.name().clone());
    }
    crate::report::xlsx_table(sheet, &header, &o.values())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_queries_are_private_unless_shared() {
        let dir = tempfile::tempdir().unwrap();
        let s = ConsoleStore::open(dir.path()).unwrap();
        let a = s.save("张", "mine", "SELECT 1", false).unwrap();
        let b = s.save("张", "ours", "SELECT 2", true).unwrap();
        assert!(s.save("张", " ", "SELECT 1", false).is_err());
        assert_eq!(s.visible("李").unwrap().len(), 1);
        assert!(s.get("李", a).unwrap().is_none());
        assert_eq!(s.get("李", b).unwrap().unwrap().sql, "SELECT 2");
        assert!(!s.delete("李", b).unwrap());
        assert!(s.delete("张", b).unwrap());
        s.log("张", "SELECT 1", Duration::from_millis(3), Some(1), None)
            .unwrap();
        assert_eq!(s.recent(Some("张"), 10).unwrap()[0].rows, Some(1));
    }
}
