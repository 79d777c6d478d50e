//! The ad-hoc SQL console for expert advisers: read-only by construction, bounded in rows,
//! time and memory, and logged.
//!
//! Each query runs in a child process of the purse binary (`purse sql-worker`, see
//! [`run_isolated`]) with an address-space limit, its own DataFusion memory pool and a timeout
//! that kills it; results come back as an Arrow IPC stream. Scalar functions allocate outside
//! DataFusion's pool (`repeat(repeat('x', 1e8), 6)`); the address-space limit is what bounds
//! them, and an out-of-memory or a panic there ends the child, never the server. The session knows only
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

use crate::common::{Val, values};
use crate::datasets::Catalog;
use crate::error::{PurseError, Result};

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
#[derive(Debug, thiserror::Error, Serialize, serde::Deserialize)]
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

/// A fresh session for one console query: its own memory pool, the warehouse and lineage,
/// every table bounded to the user's reach.
pub async fn session(
    data_dir: &Path,
    catalog: &Catalog,
    limits: &Limits,
    reach: &crate::users::Reach,
) -> Result<SessionContext> {
    let config = SessionConfig::from_env()?.with_information_schema(true);
    let ctx = match crate::engine::engine() {
        crate::engine::EngineUrl::Local => {
            let runtime = RuntimeEnvBuilder::new()
                .with_memory_limit(limits.memory_bytes, 1.0)
                .build_arc()?;
            SessionContext::new_with_config_rt(config, runtime)
        }
        // On a cluster the executors' own memory settings bound the work; this worker only
        // plans and receives at most max_rows.
        _ => crate::engine::new_context(config).await?,
    };
    crate::engine::register_warehouse(&ctx, data_dir, catalog).await?;
    crate::engine::restrict(&ctx, catalog, reach).await?;
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

/// Headroom above the DataFusion pool in the worker's address space: the binary's mappings,
/// thread stacks, the runtime and the allocator's arenas (measured: a worker that answers
/// `SELECT 1` maps about 300 MiB).
const WORKER_BASE_BYTES: u64 = 640 << 20;
const META_TRUNCATED: &str = "purse.truncated";

/// The program a console query runs in: `$PURSE_SQL_WORKER`, else this executable (the purse
/// binary; tests that embed the server point the variable at it).
/// The purse binary that runs isolated work (console queries, uploads): `PURSE_SQL_WORKER` when
/// set (tests, whose own binary is not purse), else this executable.
pub fn worker_exe() -> std::io::Result<std::path::PathBuf> {
    match std::env::var_os("PURSE_SQL_WORKER") {
        Some(p) => Ok(p.into()),
        None => std::env::current_exe(),
    }
}

/// Runs one query in a child process (`purse sql-worker`) bounded by an address-space limit of
/// the pool plus [`WORKER_BASE_BYTES`], the pool itself and `limits.timeout` (then the child is
/// killed). Whatever the query does, the server's memory stays its own: an allocation failure,
/// a panic or a kill in the child is an error for the adviser.
pub async fn run_isolated(
    data_dir: &Path,
    sql: &str,
    limits: &Limits,
    reach: &crate::users::Reach,
) -> std::result::Result<Outcome, ConsoleError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t0 = Instant::now();
    let internal = |m: String| ConsoleError::Internal { message: m };
    let exe = worker_exe().map_err(|e| internal(format!("finding the SQL worker: {e}")))?;
    let mut child = tokio::process::Command::new(exe)
        .env("PURSE_ENGINE", crate::engine::engine().to_string())
        // The child's stderr is read as its answer, not a log: no log lines in it.
        .env_remove("PURSE_LOG")
        .env_remove("PURSE_LOG_FORMAT")
        .arg("sql-worker")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--max-rows", &limits.max_rows.to_string()])
        .args([
            "--timeout-secs",
            &limits.timeout.as_secs().max(1).to_string(),
        ])
        .args([
            "--memory-mib",
            &(limits.memory_bytes >> 20).max(1).to_string(),
        ])
        // The user's bounds: the worker's tables are views of the rows inside them.
        .args([
            "--reach",
            &serde_json::to_string(reach).map_err(|e| internal(e.to_string()))?,
        ])
        // Few malloc arenas: each reserves 64 MiB of address space.
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| internal(format!("starting the SQL worker: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| internal("worker stdin".into()))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| internal("worker stdout".into()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| internal("worker stderr".into()))?;
    let sql_bytes = sql.as_bytes().to_vec();
    // The result is at most max_rows rows, but a row can be huge: read no more than the pool.
    let cap = limits.memory_bytes as u64 + 1;
    let work = async {
        let feed = async {
            let _ = stdin.write_all(&sql_bytes).await;
            drop(stdin);
        };
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut out_r = (&mut stdout).take(cap);
        let mut err_r = (&mut stderr).take(1 << 20);
        let read_out = out_r.read_to_end(&mut out);
        let read_err = err_r.read_to_end(&mut err);
        // stderr is only read for its message; losing part of it loses nothing else.
        let ((), o, _) = tokio::join!(feed, read_out, read_err);
        o.map_err(|e| internal(format!("reading the SQL worker: {e}")))?;
        if out.len() as u64 >= cap {
            return Err(ConsoleError::Memory {
                message: "the result is larger than the console's memory".into(),
                limit_mib: limits.memory_bytes >> 20,
            });
        }
        let status = child
            .wait()
            .await
            .map_err(|e| internal(format!("waiting for the SQL worker: {e}")))?;
        Ok((status, out, err))
    };
    // The worker keeps its own timeout; this one (a little later) kills it if it cannot.
    let grace = limits.timeout + Duration::from_secs(2);
    let (status, out, err) = match tokio::time::timeout(grace, work).await {
        Ok(r) => r?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(ConsoleError::Timeout {
                seconds: limits.timeout.as_secs().max(1),
            });
        }
    };
    match status.code() {
        Some(0) => decode_result(&out, t0.elapsed()),
        Some(crate::child::EXIT_REFUSED) => Err(serde_json::from_slice::<ConsoleError>(&out)
            .unwrap_or_else(|e| internal(format!("the SQL worker's answer: {e}")))),
        Some(crate::child::EXIT_OUT_OF_MEMORY) => Err(ConsoleError::Memory {
            message: "the query needed more memory than the console allows and was stopped".into(),
            limit_mib: limits.memory_bytes >> 20,
        }),
        _ => {
            // Killed, or a crash the worker could not answer for: its stderr's last line is
            // shown to help a bug report, not read for meaning.
            let text = String::from_utf8_lossy(&err);
            let why = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| format!("{status}: {l}"))
                .unwrap_or_else(|| format!("the SQL worker ended with {status}"));
            Err(internal(format!(
                "the query stopped on an internal error (a bug: please report it): {why}"
            )))
        }
    }
}

fn decode_result(bytes: &[u8], duration: Duration) -> std::result::Result<Outcome, ConsoleError> {
    let internal = |m: String| ConsoleError::Internal { message: m };
    let reader =
        datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
            .map_err(|e| internal(format!("the SQL worker's result: {e}")))?;
    let schema = reader.schema();
    let truncated = schema
        .metadata()
        .get(META_TRUNCATED)
        .is_some_and(|v| v == "true");
    let batches: Vec<RecordBatch> = reader
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| internal(format!("the SQL worker's result: {e}")))?;
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    // The metadata was transport only.
    let schema: SchemaRef = Arc::new(schema.as_ref().clone().with_metadata(Default::default()));
    let batches = batches
        .into_iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| internal(format!("the SQL worker's result: {e}")))?;
    Ok(Outcome {
        schema,
        batches,
        rows,
        truncated,
        duration,
    })
}

/// `purse sql-worker`: the child side of [`run_isolated`]. Limits its own address space, reads
/// the SQL on stdin, runs it under the pool and the timeout, and writes the result as an Arrow
/// IPC stream on stdout (exit 0), or the [`ConsoleError`] as JSON (exit [`crate::child::EXIT_REFUSED`]).
pub fn worker_main(
    data_dir: &Path,
    catalog: &Catalog,
    limits: &Limits,
    reach: &crate::users::Reach,
) -> i32 {
    use std::io::{Read, Write};
    crate::memory::as_child();
    if let Err(e) =
        crate::memory::limit_address_space(limits.memory_bytes as u64 + WORKER_BASE_BYTES)
    {
        eprintln!("sql-worker: could not limit the address space: {e}");
    }
    let mut sql = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut sql) {
        eprintln!("sql-worker: reading the query: {e}");
        return 2;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sql-worker: {e}");
            return 2;
        }
    };
    // A panic (a bug) is answered like any other error, with what it said.
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(debug_assertions)]
        if sql.contains("/* purse:panic */") {
            // Tests prove a panicking query is only the adviser's error (debug builds only).
            panic!("purse:panic injected in the SQL worker");
        }
        rt.block_on(async {
            let ctx = session(data_dir, catalog, limits, reach)
                .await
                .map_err(|e| ConsoleError::Internal {
                    message: e.to_string(),
                })?;
            run(&ctx, &sql, limits).await
        })
    }))
    .unwrap_or_else(|p| {
        Err(ConsoleError::Internal {
            message: format!(
                "the query stopped on an internal error (a bug: please report it): {}",
                crate::cores::panic_text(&p)
            ),
        })
    });
    let mut out = std::io::stdout().lock();
    match res {
        Ok(o) => {
            let mut meta = std::collections::HashMap::new();
            meta.insert(META_TRUNCATED.to_string(), o.truncated.to_string());
            let schema = Arc::new(o.schema.as_ref().clone().with_metadata(meta));
            let written = (|| -> std::result::Result<(), datafusion::arrow::error::ArrowError> {
                let mut w =
                    datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut out, &schema)?;
                for b in &o.batches {
                    w.write(&b.clone().with_schema(schema.clone())?)?;
                }
                w.finish()
            })();
            match written {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("sql-worker: writing the result: {e}");
                    2
                }
            }
        }
        Err(e) => {
            let _ = out.write_all(serde_json::to_string(&e).unwrap_or_default().as_bytes());
            crate::child::EXIT_REFUSED
        }
    }
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
            db: crate::db::open(data_dir, "console", &[crate::db::Step::Sql(SCHEMA)])?,
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
    crate::common::xlsx::table(sheet, &header, &o.values())
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
