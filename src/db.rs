//! `DIR/purse.db`, the one SQLite file every store shares (manifest, alerts, users, console log):
//! one place opens it the same way for all of them.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{PurseError, Result};

/// Opens (creating the directory if need be) the data directory's database in WAL mode, waiting
/// up to 30 s for another writer, and applies `schema` (idempotent `CREATE … IF NOT EXISTS`).
pub fn open(data_dir: &Path, schema: &str) -> Result<Connection> {
    std::fs::create_dir_all(data_dir).map_err(|e| PurseError::io(data_dir, e))?;
    let db = Connection::open(data_dir.join("purse.db"))?;
    db.busy_timeout(Duration::from_secs(30))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.execute_batch(schema)?;
    Ok(db)
}
