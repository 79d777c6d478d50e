//! `DIR/purse.db`, the one SQLite file every store shares (manifest, alerts, users, console log,
//! upload jobs): one place opens it the same way for all of them, and migrates each store's
//! tables forward.
//!
//! Each store has an ordered list of [`Step`]s; `schema_migrations` records how many of them a
//! database has had. Opening applies the missing steps in one transaction, so a database from
//! any earlier release is brought up to date, and a database from a newer release (more steps
//! than this build knows) is refused rather than written with an older idea of its tables.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{PurseError, Result};

/// Runs blocking work (SQLite, files) on tokio's blocking pool, never on an async thread: an
/// async caller that needs a store awaits this instead of calling it.
pub async fn blocking<R, E, F>(f: F) -> Result<R>
where
    F: FnOnce() -> std::result::Result<R, E> + Send + 'static,
    R: Send + 'static,
    E: Into<PurseError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || f().map_err(Into::into))
        .await
        .map_err(|e| PurseError::Internal(format!("a blocking task stopped: {e}")))?
}

/// When a row is written: local time to the second with its offset, as every store records it.
pub fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// One migration step of a store.
pub enum Step {
    /// SQL run as a batch.
    Sql(&'static str),
    /// Code, for what SQL cannot say idempotently (adding a column only where it is missing,
    /// since databases from before migrations were recorded may have it already).
    Code(fn(&Connection) -> Result<()>),
}

const MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    store       TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    applied_at  TEXT NOT NULL
);";

/// Opens (creating the directory if need be) the data directory's database in WAL mode, waiting
/// up to 30 s for another writer, and brings `store`'s tables up to date with `steps`.
pub fn open(data_dir: &Path, store: &str, steps: &[Step]) -> Result<Connection> {
    std::fs::create_dir_all(data_dir).map_err(|e| PurseError::io(data_dir, e))?;
    let opened = (|| {
        let mut db = Connection::open(data_dir.join("purse.db"))?;
        db.busy_timeout(Duration::from_secs(30))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut db, store, steps)?;
        Ok(db)
    })();
    opened.map_err(|e| match (&e, crate::memory::cap_note()) {
        // SQLITE_IOERR_SHMMAP: the WAL's shared memory could not be mapped, which under a
        // memory cap means the cap is too small to open the database at all.
        (PurseError::Sqlite(rusqlite::Error::SqliteFailure(f, _)), Some(cap))
            if f.extended_code == 5386 =>
        {
            PurseError::OutOfMemory(format!(
                "{}: opening it needs more memory than the cap of {cap} allows: raise the cap",
                data_dir.join("purse.db").display()
            ))
        }
        _ => e,
    })
}

/// The data directory's database for reading only, without migrating it (a backup, a check or a
/// metrics scrape must not write, and may meet a database an older purse left).
pub fn open_read_only(data_dir: &Path) -> Result<Connection> {
    let c = Connection::open_with_flags(
        data_dir.join("purse.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(30))?;
    Ok(c)
}

/// Whether the database has `table` (a store's tables appear when it is first opened).
pub fn has_table(db: &Connection, table: &str) -> Result<bool> {
    Ok(db.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1)",
        [table],
        |r| r.get(0),
    )?)
}

/// How many steps of `store` the database has had (0: none recorded).
pub fn version(db: &Connection, store: &str) -> Result<usize> {
    db.execute_batch(MIGRATIONS)?;
    let v: Option<i64> = db
        .query_row(
            "SELECT version FROM schema_migrations WHERE store = ?1",
            params![store],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.unwrap_or(0).max(0) as usize)
}

fn migrate(db: &mut Connection, store: &str, steps: &[Step]) -> Result<()> {
    // Cheap check first: every open after the first finds nothing to do without a write lock.
    if version(db, store)? == steps.len() {
        return Ok(());
    }
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let have = version(&tx, store)?;
    if have > steps.len() {
        return Err(PurseError::Warehouse(format!(
            "purse.db has schema version {have} of `{store}`, newer than this build of purse knows ({}): use the newer purse, or restore a backup",
            steps.len()
        )));
    }
    for step in &steps[have..] {
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Code(f) => f(&tx)?,
        }
    }
    tx.execute(
        "INSERT INTO schema_migrations (store, version, applied_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(store) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at",
        params![
            store,
            steps.len() as i64,
            now()
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Adds a column where it is missing (databases from before migrations were recorded).
pub fn add_column(db: &Connection, table: &str, col: &str, def: &str) -> Result<()> {
    let mut stmt = db.prepare(&format!(
        "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
    ))?;
    if !stmt.exists([col])? {
        db.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {col} {def}"))?;
    }
    Ok(())
}
