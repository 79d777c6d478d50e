//! The Parquet warehouse and its manifest.
//!
//! Layout: `DIR/warehouse/<dataset>/period=YYYY-MM/load-<id>.parquet` (hive partitions that
//! DataFusion, Ballista, DuckDB and Polars read as they are) and `DIR/purse.db` (SQLite: loads,
//! their parts, their issues).
//!
//! Loading is atomic. A load is written aside under `DIR/staging/<id>/`; the commit point is one
//! SQLite transaction that records its parts and retires the parts it replaces; only then are the
//! staged files renamed into the warehouse and the replaced ones moved to `DIR/superseded/`. A
//! crash before the commit leaves the warehouse untouched (the staging folder is swept at the next
//! open); a crash after it is rolled forward at the next open. Either way a reader that goes
//! through purse sees the old state or the new one, never a mix.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use datafusion::parquet::arrow::{ArrowWriter, ProjectionMask};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder,
};
use datafusion::parquet::file::writer::SerializedFileWriter;
use datafusion::parquet::schema::types::ColumnPath;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::common::{Issue, Severity};
use crate::error::{PurseError, Result};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS loads(
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    sheet       TEXT,
    sha256      TEXT NOT NULL,
    dataset     TEXT,
    format      TEXT,
    encoding    TEXT,
    status      TEXT NOT NULL,      -- staging | accepted | rejected | aborted | retracted | retraction
    rows        INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    warnings    INTEGER NOT NULL DEFAULT 0,
    message     TEXT,
    report      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS loads_sha ON loads(sha256);
CREATE TABLE IF NOT EXISTS load_parts(
    load_id       INTEGER NOT NULL REFERENCES loads(id),
    dataset       TEXT NOT NULL,
    period        TEXT NOT NULL,
    scope         TEXT NOT NULL,    -- sorted distinct scope values, one per line
    path          TEXT NOT NULL,    -- relative to DIR
    rows          INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    superseded_by INTEGER
);
CREATE INDEX IF NOT EXISTS parts_ds ON load_parts(dataset, period, active);
CREATE TABLE IF NOT EXISTS load_issues(
    load_id  INTEGER NOT NULL REFERENCES loads(id),
    severity TEXT NOT NULL,
    row      INTEGER,
    col      TEXT NOT NULL,
    value    TEXT NOT NULL,
    expected TEXT NOT NULL,
    reason   TEXT NOT NULL
);
"#;

/// The manifest's migrations, in order: never edit one that has shipped, add a step.
const MIGRATIONS: &[crate::db::Step] = &[
    crate::db::Step::Sql(SCHEMA),
    // Each part's SHA-256 as written, so `purse verify` and `purse backup` can tell a damaged or
    // swapped file (NULL for parts written before it was kept).
    crate::db::Step::Code(|db| crate::db::add_column(db, "load_parts", "sha256", "TEXT")),
];

/// (dataset, period, scope lines, rows) of each live part: see [`Warehouse::live_parts`].
pub type LiveParts = Vec<(String, String, String, u64)>;

/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// A column chunk's dictionary is given up for plain values past this size, unless the part's
/// first rows show the column repeats its values ([`encodings`]). A column of distinct values
/// (voucher numbers) then leaves dictionary encoding after a few thousand values instead of
/// interning 70,000 of them per row group first, as parquet's 1 MiB default did.
const DICTIONARY_BYTES: usize = 64 * 1024;

/// The dictionary size a column that repeats its values may grow to: payees, project codes and
/// budget lines of a month's payments (thousands of distinct values, hundreds of KiB).
const REPEATING_DICTIONARY_BYTES: usize = 1 << 20;

/// Each column's encoding, chosen from a part's first rows (a sample of at most
/// [`SAMPLE_ROWS`]; fewer than [`MIN_SAMPLE_ROWS`] choose nothing). A text column whose sampled
/// values are mostly distinct (more than half) is written plain from the start: a dictionary
/// would be given up anyway, after interning values for nothing. One that repeats keeps its
/// dictionary up to [`REPEATING_DICTIONARY_BYTES`]: with the 64 KiB limit for all, a month of
/// payees (6,760 names) fell back to 31 MB of plain text for zstd to squeeze, a third of the
/// CPU the encoders spent. `source_row`, rising by one a row, is delta-encoded (a few bytes a
/// page instead of 2 MB of compressed integers). A month of `--scale 20` payments: 12.8 MB →
/// 8.6 MB of Parquet, and less CPU.
fn encodings(mut props: WriterPropertiesBuilder, first: &RecordBatch) -> WriterPropertiesBuilder {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::parquet::basic::Encoding;
    let schema = first.schema();
    if schema.column_with_name("source_row").is_some() {
        let c = ColumnPath::from("source_row");
        props = props
            .set_column_dictionary_enabled(c.clone(), false)
            .set_column_encoding(c, Encoding::DELTA_BINARY_PACKED);
    }
    let n = first.num_rows().min(SAMPLE_ROWS);
    for (f, a) in schema.fields().iter().zip(first.columns()) {
        let Some(a) = a
            .as_string_opt::<i32>()
            .filter(|_| *f.data_type() == DataType::Utf8)
        else {
            continue;
        };
        let mut seen = std::collections::HashSet::with_capacity(n);
        let mut values = 0usize;
        for i in (0..n).filter(|&i| a.is_valid(i)) {
            values += 1;
            seen.insert(a.value(i));
        }
        if values < MIN_SAMPLE_ROWS {
            continue;
        }
        let c = ColumnPath::from(f.name().as_str());
        props = if seen.len() * 2 > values {
            props.set_column_dictionary_enabled(c, false)
        } else {
            props.set_column_dictionary_page_size_limit(c, REPEATING_DICTIONARY_BYTES)
        };
    }
    props
}

/// Rows of a part's first batch looked at to choose encodings, and the fewest that choose.
const SAMPLE_ROWS: usize = 4096;
const MIN_SAMPLE_ROWS: usize = 256;

/// A file's path as loads record it: canonical where it can be.
fn canonical(file: &Path) -> String {
    std::fs::canonicalize(file)
        .unwrap_or_else(|_| file.to_path_buf())
        .display()
        .to_string()
}

/// A row group's columns worked on the machine's cores, in order.
fn on_cores<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> Result<R> + Sync) -> Result<Vec<R>> {
    crate::cores::map_in_order(items, crate::cores::available(4), f, |_| {
        PurseError::Warehouse("internal: a Parquet encoding thread stopped".into())
    })
}

/// One part being written: see [`Warehouse::part_writer`].
pub struct PartWriter {
    path: PathBuf,
    writer: SerializedFileWriter<Hashing<File>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The column writers of the row group being filled (none between groups).
    open: Option<Vec<ArrowColumnWriter>>,
    /// Rows in the open row group.
    in_group: usize,
    groups: usize,
    rows: usize,
}

impl PartWriter {
    /// Takes a batch and encodes it at once into the open row group's columns, on the
    /// machine's cores, while the sheet's next rows are still being read: a row group is only
    /// closed (its last pages compressed and appended) when [`ROW_GROUP_ROWS`] rows are in it.
    /// Encoding whole row groups at a time left the last one's columns — a third of a month of
    /// payments — to be encoded after every row was read, on cores otherwise idle.
    pub fn write(&mut self, batch: RecordBatch) -> Result<()> {
        let mut at = 0;
        while at < batch.num_rows() {
            let k = (ROW_GROUP_ROWS - self.in_group).min(batch.num_rows() - at);
            self.encode(&batch.slice(at, k))?;
            at += k;
            self.in_group += k;
            self.rows += k;
            if self.in_group == ROW_GROUP_ROWS {
                self.close_group()?;
            }
        }
        Ok(())
    }

    /// Each column of `batch` written into its open column writer, the columns shared out
    /// between the cores.
    fn encode(&mut self, batch: &RecordBatch) -> Result<()> {
        let writers = match self.open.take() {
            Some(w) => w,
            None => self.factory.create_column_writers(self.groups)?,
        };
        let mut leaves: Vec<ArrowLeafColumn> = Vec::with_capacity(writers.len());
        for (array, field) in batch.columns().iter().zip(self.schema.fields()) {
            leaves.extend(compute_leaves(field, array)?);
        }
        let jobs: Vec<(ArrowColumnWriter, ArrowLeafColumn)> =
            writers.into_iter().zip(leaves).collect();
        let write =
            |(mut w, leaf): (ArrowColumnWriter, ArrowLeafColumn)| -> Result<ArrowColumnWriter> {
                w.write(&leaf)?;
                Ok(w)
            };
        self.open = Some(on_cores(jobs, write)?);
        Ok(())
    }

    /// Closes the open row group: each column's last pages on the cores, then the chunks
    /// appended in order.
    fn close_group(&mut self) -> Result<()> {
        let Some(writers) = self.open.take() else {
            return Ok(());
        };
        let chunks: Vec<ArrowColumnChunk> =
            on_cores(writers, |w: ArrowColumnWriter| Ok(w.close()?))?;
        let mut group = self.writer.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.groups += 1;
        self.in_group = 0;
        Ok(())
    }

    /// Closes the last row group and the file, and syncs it; the rows written and the file's
    /// SHA-256 (hashed as it was written, not read back).
    pub fn finish(mut self) -> Result<(usize, String)> {
        self.close_group()?;
        let Hashing { inner: f, sha } = self.writer.into_inner()?;
        io(&self.path, f.sync_all())?;
        Ok((self.rows, crate::hex(&sha.finalize())))
    }
}

/// A writer that hashes what passes through it: a part's checksum costs no second read.
pub struct Hashing<W> {
    inner: W,
    sha: Sha256,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The rows a Parquet file says it holds (its footer only).
pub fn parquet_rows(path: &Path) -> std::result::Result<i64, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| e.to_string())?;
    Ok(b.metadata().file_metadata().num_rows())
}

/// The SHA-256 of a file, in hex, read in 1 MiB pieces.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut f = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(crate::hex(&sha.finalize()));
        }
        sha.update(&buf[..n]);
    }
}

pub struct Warehouse {
    pub dir: PathBuf,
    pub db: Connection,
    _lock: Option<File>,
}

/// One period of one dataset, written by a load.
#[derive(Debug, Clone)]
pub struct Part {
    pub dataset: String,
    pub period: String,
    pub scope: BTreeSet<String>,
    pub rows: usize,
    /// The part file's SHA-256 (see [`PartWriter::finish`]).
    pub sha256: String,
}

/// What a committed load replaced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Replaced {
    pub load_id: i64,
    pub period: String,
}

/// What a load replaced, said plainly after its summary: ` — replaces load #5 (2025-06),
/// load #7 (2008-01…2026-07, 215 periods)`; nothing when it replaced nothing.
pub fn replaced_text(replaced: &[Replaced]) -> String {
    if replaced.is_empty() {
        return String::new();
    }
    format!(" — replaces {}", loads_text(replaced))
}

/// Loads and their periods: `load #5 (2025-06), load #7 (2008-01…2026-07, 215 periods)`.
fn loads_text(periods_of: &[Replaced]) -> String {
    let mut by_load: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
    for r in periods_of {
        by_load.entry(r.load_id).or_default().push(&r.period);
    }
    let parts: Vec<String> = by_load
        .iter()
        .map(|(id, periods)| match &periods[..] {
            [a, .., z] if periods.len() > 3 => {
                format!("load #{id} ({a}…{z}, {} periods)", periods.len())
            }
            _ => format!("load #{id} ({})", periods.join(", ")),
        })
        .collect();
    parts.join(", ")
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LoadRecord {
    pub id: i64,
    pub file: String,
    pub sheet: Option<String>,
    pub dataset: Option<String>,
    pub status: String,
    pub rows: i64,
    pub errors: i64,
    pub warnings: i64,
    pub message: Option<String>,
    pub report: Option<String>,
    pub started_at: String,
    /// Later loads that replaced some of this load's periods (an accepted load all of whose
    /// periods were replaced holds nothing live any more).
    pub replaced_by: Vec<i64>,
    /// This load's periods still live.
    pub live_parts: i64,
}

/// Fault injection for the crash tests: `PURSE_CRASH_AT=before-commit|after-commit|mid-move`
/// aborts the process at that point, as a power cut would. Debug builds only: a release build
/// has no hook an environment variable could trip.
#[cfg(not(debug_assertions))]
#[inline(always)]
fn crash_point(_at: &str) {}

#[cfg(debug_assertions)]
fn crash_point(at: &str) {
    if std::env::var("PURSE_CRASH_AT").is_ok_and(|v| v == at) {
        eprintln!("PURSE_CRASH_AT={at}: aborting");
        std::process::abort();
    }
}

fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

pub(crate) fn io<T>(path: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| PurseError::io(path, e))
}

/// The newest load in the manifest: anything computed under an older one is stale. Reads
/// without the writer lock or recovery, so a server can ask on every request.
pub struct DataVersion(Connection);

impl DataVersion {
    pub fn open(dir: &Path) -> Result<DataVersion> {
        Ok(DataVersion(crate::db::open(dir, "warehouse", MIGRATIONS)?))
    }

    /// The connection, for a caller that polls it itself (the server's version poller).
    pub fn into_connection(self) -> Connection {
        self.0
    }

    pub fn current(&self) -> i64 {
        self.0
            .query_row("SELECT coalesce(max(id), 0) FROM loads", [], |r| r.get(0))
            .unwrap_or(0)
    }
}

impl Warehouse {
    /// Opens the data directory for writing: takes the writer lock, creates the layout and
    /// finishes or sweeps whatever an interrupted load left.
    pub fn open(dir: &Path) -> Result<Warehouse> {
        io(dir, fs::create_dir_all(dir.join("warehouse")))?;
        let lock_path = dir.join(".lock");
        let lock = io(
            &lock_path,
            File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path),
        )?;
        io(&lock_path, lock.lock())?;
        let wh = Warehouse {
            dir: dir.to_path_buf(),
            db: Self::connect(dir)?,
            _lock: Some(lock),
        };
        wh.recover()?;
        Ok(wh)
    }

    /// Opens for reading only: no lock; recovery runs if no writer holds the lock.
    pub fn open_read(dir: &Path) -> Result<Warehouse> {
        if !dir.join("purse.db").exists() {
            return Err(PurseError::Warehouse(format!(
                "{} holds no purse data yet: run `purse ingest` first",
                dir.display()
            )));
        }
        let lock_path = dir.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .ok();
        let held = lock.as_ref().is_some_and(|l| l.try_lock().is_ok());
        let wh = Warehouse {
            dir: dir.to_path_buf(),
            db: Self::connect(dir)?,
            _lock: if held { lock } else { None },
        };
        if held {
            wh.recover()?;
        }
        Ok(wh)
    }

    fn connect(dir: &Path) -> Result<Connection> {
        let db = crate::db::open(dir, "warehouse", MIGRATIONS)?;
        db.pragma_update(None, "synchronous", "FULL")?;
        Ok(db)
    }

    pub fn warehouse_dir(&self) -> PathBuf {
        self.dir.join("warehouse")
    }

    fn part_rel(dataset: &str, period: &str, load_id: i64) -> PathBuf {
        Path::new(dataset)
            .join(format!("period={period}"))
            .join(format!("load-{load_id}.parquet"))
    }

    fn staged(&self, load_id: i64) -> PathBuf {
        self.dir.join("staging").join(load_id.to_string())
    }

    /// Removes a load's staging folder, if it has one.
    fn sweep_staged(&self, load_id: i64) -> Result<()> {
        let staged = self.staged(load_id);
        if staged.exists() {
            io(&staged, fs::remove_dir_all(&staged))?;
        }
        Ok(())
    }

    /// Roll forward committed loads whose files were not all moved; sweep uncommitted ones.
    fn recover(&self) -> Result<()> {
        let mut stmt = self
            .db
            .prepare("SELECT id, status FROM loads WHERE status IN ('staging','accepted')")?;
        let loads: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, status) in loads {
            if status == "staging" {
                self.sweep_staged(id)?;
                self.db.execute(
                    "UPDATE loads SET status='aborted', message='interrupted before commit (the process ended: out of memory, killed or a power cut); nothing of it was stored', finished_at=?2 WHERE id=?1",
                    params![id, now()],
                )?;
            } else if self.staged(id).exists() {
                self.move_into_place(id)?;
            }
        }
        // A retraction whose files were not all moved (finished_at is set once they are).
        let unfinished: bool = self.db.query_row(
            "SELECT EXISTS(SELECT 1 FROM loads WHERE status='retraction' AND finished_at IS NULL)",
            [],
            |r| r.get(0),
        )?;
        if unfinished {
            self.place_files()?;
        }
        // Staging folders with no load row at all (killed before the row was written).
        if let Ok(rd) = fs::read_dir(self.dir.join("staging")) {
            for e in rd.flatten() {
                let id: Option<i64> = e.file_name().to_str().and_then(|s| s.parse().ok());
                let known = match id {
                    Some(id) => self
                        .db
                        .query_row("SELECT status FROM loads WHERE id=?1", [id], |r| {
                            r.get::<_, String>(0)
                        })
                        .optional()?
                        .is_some_and(|s| s == "accepted"),
                    None => false,
                };
                if !known {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(())
    }

    /// After the commit: staged files into the warehouse, replaced files out. Idempotent.
    fn move_into_place(&self, load_id: i64) -> Result<()> {
        let mut stmt = self
            .db
            .prepare("SELECT path FROM load_parts WHERE load_id=?1")?;
        let paths: Vec<String> = stmt
            .query_map([load_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let staged = self.staged(load_id);
        for rel in &paths {
            let from = staged.join(rel);
            let to = self.warehouse_dir().join(rel);
            if from.exists() {
                if let Some(p) = to.parent() {
                    io(p, fs::create_dir_all(p))?;
                }
                io(&to, fs::rename(&from, &to))?;
                crash_point("mid-move");
            }
        }
        let mut stmt = self
            .db
            .prepare("SELECT path FROM load_parts WHERE superseded_by=?1")?;
        let old: Vec<String> = stmt
            .query_map([load_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for rel in &old {
            let from = self.warehouse_dir().join(rel);
            let to = self.dir.join("superseded").join(rel);
            if from.exists() {
                if let Some(p) = to.parent() {
                    io(p, fs::create_dir_all(p))?;
                }
                io(&to, fs::rename(&from, &to))?;
            }
        }
        self.sweep_staged(load_id)
    }

    /// An accepted load of the same bytes (and sheet) whose data is still live.
    pub fn find_duplicate(&self, sha256: &str, sheet: Option<&str>) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_row(
                "SELECT l.id FROM loads l WHERE l.sha256=?1 AND l.sheet IS ?2 AND l.status='accepted'
                 AND EXISTS (SELECT 1 FROM load_parts p WHERE p.load_id=l.id AND p.active=1)
                 ORDER BY l.id DESC LIMIT 1",
                params![sha256, sheet],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether a sheet of this file (by its canonical path) was loaded and accepted before.
    pub fn loaded_from(&self, file: &Path, sheet: Option<&str>) -> Result<bool> {
        Ok(self
            .db
            .query_row(
                "SELECT 1 FROM loads WHERE file=?1 AND sheet IS ?2 AND status='accepted' LIMIT 1",
                params![canonical(file), sheet],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records a load's hash, computed while its rows were read.
    pub fn set_sha(&self, load_id: i64, sha256: &str) -> Result<()> {
        self.db.execute(
            "UPDATE loads SET sha256=?2 WHERE id=?1",
            params![load_id, sha256],
        )?;
        Ok(())
    }

    /// Forgets a load not committed (staging or refused) as if it had never begun: its staged
    /// parts, its issues and issues report, its row. For a copy of a loaded file found only
    /// once its rows were read (see `ingest::ingest_sheet`).
    pub fn forget_load(&mut self, load_id: i64) -> Result<()> {
        // Only a load never committed: its report, if it had one, read with its status.
        let Some(report) = self
            .db
            .query_row(
                "SELECT report FROM loads WHERE id=?1 AND status IN ('staging', 'rejected')",
                [load_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
        else {
            return Ok(());
        };
        self.sweep_staged(load_id)?;
        if let Some(full) = report.map(|rel| self.dir.join(rel))
            && full.exists()
        {
            io(&full, fs::remove_file(&full))?;
        }
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM load_issues WHERE load_id=?1", [load_id])?;
        tx.execute("DELETE FROM load_parts WHERE load_id=?1", [load_id])?;
        tx.execute("DELETE FROM loads WHERE id=?1", [load_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Allocates a load id; the row says `staging` until commit or rejection.
    /// The newest load id (0 when there is none).
    pub fn last_load_id(&self) -> Result<i64> {
        Ok(self
            .db
            .query_row("SELECT coalesce(max(id), 0) FROM loads", [], |r| r.get(0))?)
    }

    /// Loads begun after `id` and still staging: what an interrupted ingest left open.
    pub fn loads_after(&self, id: i64) -> Result<Vec<i64>> {
        let mut st = self
            .db
            .prepare("SELECT id FROM loads WHERE id > ?1 AND status = 'staging' ORDER BY id")?;
        let ids = st
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    pub fn begin_load(&self, file: &Path, sheet: Option<&str>, sha256: &str) -> Result<i64> {
        self.db.execute(
            "INSERT INTO loads(file, sheet, sha256, status, started_at) VALUES (?1, ?2, ?3, 'staging', ?4)",
            params![canonical(file), sheet, sha256, now()],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// A writer of one part under `DIR/staging/<id>/` (fsynced when finished), taking its rows
    /// batch by batch as a sheet is read: rows are written out a row group at a time, so a
    /// large file's columns are never all in memory. `free_text` columns (names, purposes) get no min/max
    /// statistics: they prune nothing, and comparing every value was 7 % of a payments load.
    /// `first`, the part's first batch, chooses each column's encoding ([`encodings`]).
    pub fn part_writer(
        &self,
        load_id: i64,
        dataset: &str,
        period: &str,
        schema: SchemaRef,
        free_text: &[&str],
        first: &RecordBatch,
    ) -> Result<PartWriter> {
        let path = self
            .staged(load_id)
            .join(Self::part_rel(dataset, period, load_id));
        if let Some(p) = path.parent() {
            io(p, fs::create_dir_all(p))?;
        }
        let file = Hashing {
            inner: io(&path, File::create(&path))?,
            sha: Sha256::new(),
        };
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_dictionary_page_size_limit(DICTIONARY_BYTES);
        props = encodings(props, first);
        for c in free_text {
            props =
                props.set_column_statistics_enabled(ColumnPath::from(*c), EnabledStatistics::None);
        }
        // ArrowWriter sets up the file (schema, the Arrow schema in the footer); the row groups'
        // columns are then encoded on the machine's cores, each column chunk appended in order.
        let (writer, factory) = ArrowWriter::try_new(file, schema.clone(), Some(props.build()))?
            .into_serialized_writer()?;
        Ok(PartWriter {
            path,
            writer,
            factory,
            schema,
            open: None,
            in_group: 0,
            groups: 0,
            rows: 0,
        })
    }

    /// The commit point. Records the parts, retires the live parts with the same dataset and
    /// period whose scope the new part covers, refuses a partial overlap (it would double count),
    /// then moves files into place.
    pub fn commit(
        &mut self,
        load_id: i64,
        dataset: &str,
        meta: &LoadMeta,
        parts: &[Part],
        issues: &[Issue],
    ) -> Result<Vec<Replaced>> {
        let tx = self.db.transaction()?;
        let mut replaced = Vec::new();
        for part in parts {
            let mut stmt = tx.prepare(
                "SELECT load_id, scope FROM load_parts WHERE dataset=?1 AND period=?2 AND active=1",
            )?;
            let live: Vec<(i64, String)> = stmt
                .query_map(params![part.dataset, part.period], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            for (old_id, scope) in live {
                let old: BTreeSet<String> = scope.lines().map(str::to_string).collect();
                if old.is_subset(&part.scope) {
                    tx.execute(
                        "UPDATE load_parts SET active=0, superseded_by=?1 WHERE load_id=?2 AND dataset=?3 AND period=?4",
                        params![load_id, old_id, part.dataset, part.period],
                    )?;
                    replaced.push(Replaced {
                        load_id: old_id,
                        period: part.period.clone(),
                    });
                } else if !old.is_disjoint(&part.scope) {
                    return Err(PurseError::Warehouse(format!(
                        "{} {}: this extract covers part of what load #{old_id} holds ({}) but not all of it; \
                         loading it would double count. Load a complete corrected extract instead.",
                        part.dataset,
                        part.period,
                        old.intersection(&part.scope)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            let scope: Vec<&str> = part.scope.iter().map(String::as_str).collect();
            tx.execute(
                "INSERT INTO load_parts(load_id, dataset, period, scope, path, rows, active, sha256) VALUES (?1,?2,?3,?4,?5,?6,1,?7)",
                params![
                    load_id,
                    part.dataset,
                    part.period,
                    scope.join("\n"),
                    Self::part_rel(&part.dataset, &part.period, load_id).to_string_lossy(),
                    part.rows as i64,
                    part.sha256
                ],
            )?;
        }
        let rows: usize = parts.iter().map(|p| p.rows).sum();
        insert_issues(&tx, load_id, issues)?;
        let message = meta
            .message
            .as_ref()
            .map(|m| format!("{m}{}", replaced_text(&replaced)));
        let (errors, warnings) = count(issues);
        tx.execute(
            "UPDATE loads SET status='accepted', dataset=?2, format=?3, encoding=?4, rows=?5, errors=?6, warnings=?7,
             message=?8, report=?9, finished_at=?10 WHERE id=?1",
            params![
                load_id,
                dataset,
                meta.format,
                meta.encoding,
                rows as i64,
                errors,
                warnings,
                message,
                meta.report,
                now()
            ],
        )?;
        crash_point("before-commit");
        tx.commit()?;
        crash_point("after-commit");
        self.move_into_place(load_id)?;
        Ok(replaced)
    }

    /// Takes an accepted load back: its live parts leave the warehouse and the parts it had
    /// replaced are live again, as if it had never been loaded. Recorded in the manifest as a
    /// load of its own (`retraction`, with who and why), which also tells every reader that the
    /// data changed. A period a later load has replaced since is left as it is (said in
    /// [`Retraction::kept`]). Committed in one transaction; the files follow, and an interrupted
    /// move is finished by the next [`Warehouse::open`].
    pub fn retract(&mut self, load_id: i64, actor: &str, reason: &str) -> Result<Retraction> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PurseError::Invalid(
                "a retraction needs a reason (--reason \"…\"): it is kept in the manifest".into(),
            ));
        }
        let tx = self.db.transaction()?;
        type Load = (
            String,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
        );
        let load: Option<Load> = tx
            .query_row(
                "SELECT file, sheet, dataset, status, finished_at FROM loads WHERE id=?1",
                [load_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((file, sheet, dataset, status, committed_at)) = load else {
            return Err(PurseError::NotFound(format!(
                "there is no load #{load_id} (`purse loads` lists them)"
            )));
        };
        if status != "accepted" {
            return Err(PurseError::Conflict(format!(
                "load #{load_id} ({}) is {status}: only an accepted load has data to take back",
                file_name(&file)
            )));
        }
        let mut stmt = tx.prepare(
            "SELECT dataset, period, active, superseded_by FROM load_parts WHERE load_id=?1 ORDER BY period",
        )?;
        let parts: Vec<(String, String, bool, Option<i64>)> = stmt
            .query_map([load_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? == 1, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let at = now();
        tx.execute(
            "INSERT INTO loads(file, sheet, sha256, dataset, status, started_at)
             VALUES (?1, ?2, '', ?3, 'retraction', ?4)",
            params![file, sheet, dataset, at],
        )?;
        let id = tx.last_insert_rowid();
        let (mut periods, mut restored, mut kept) = (Vec::new(), Vec::new(), Vec::new());
        for (ds, period, active, by) in &parts {
            if !active {
                if let Some(by) = by {
                    kept.push(Replaced {
                        load_id: *by,
                        period: period.clone(),
                    });
                }
                continue;
            }
            tx.execute(
                "UPDATE load_parts SET active=0, superseded_by=?1 WHERE load_id=?2 AND dataset=?3 AND period=?4",
                params![id, load_id, ds, period],
            )?;
            let mut stmt = tx.prepare(
                "SELECT DISTINCT load_id FROM load_parts WHERE superseded_by=?1 AND dataset=?2 AND period=?3",
            )?;
            let back: Vec<i64> = stmt
                .query_map(params![load_id, ds, period], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            tx.execute(
                "UPDATE load_parts SET active=1, superseded_by=NULL WHERE superseded_by=?1 AND dataset=?2 AND period=?3",
                params![load_id, ds, period],
            )?;
            restored.extend(back.into_iter().map(|l| Replaced {
                load_id: l,
                period: period.clone(),
            }));
            periods.push(period.clone());
        }
        let mut what = format!("retracts load #{load_id} ({})", file_name(&file));
        if !restored.is_empty() {
            what.push_str(&format!("; restores {}", loads_text(&restored)));
        }
        if !kept.is_empty() {
            what.push_str(&format!("; left as replaced by {}", loads_text(&kept)));
        }
        what.push_str(&format!(" — by {actor}: {reason}"));
        tx.execute("UPDATE loads SET message=?2 WHERE id=?1", params![id, what])?;
        tx.execute(
            "UPDATE loads SET status='retracted', message=coalesce(message, '') || ?2 WHERE id=?1",
            params![
                load_id,
                format!(" — retracted by #{id} ({actor}: {reason})")
            ],
        )?;
        tx.commit()?;
        self.place_files()?;
        Ok(Retraction {
            id,
            load_id,
            file: file_name(&file),
            dataset,
            periods,
            restored,
            kept,
            message: what,
            committed_at: committed_at.unwrap_or_default(),
        })
    }

    /// Every part where the manifest says it is (a live part's file in the warehouse, brought
    /// back from `superseded/`; a retired part's out of it), then every retraction marked
    /// finished. Idempotent: run after a retraction, and by [`Warehouse::open`] when one was
    /// left unfinished.
    fn place_files(&self) -> Result<()> {
        let mut stmt = self.db.prepare(
            "SELECT path, active FROM load_parts
             WHERE active=1 OR superseded_by IN (SELECT id FROM loads WHERE status='retraction')",
        )?;
        let parts: Vec<(String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)))?
            .collect::<rusqlite::Result<_>>()?;
        for (rel, active) in parts {
            let live = self.warehouse_dir().join(&rel);
            let away = self.dir.join("superseded").join(&rel);
            let (from, to) = if active { (away, live) } else { (live, away) };
            if from.exists() && !to.exists() {
                if let Some(p) = to.parent() {
                    io(p, fs::create_dir_all(p))?;
                }
                io(&to, fs::rename(&from, &to))?;
            }
        }
        self.db.execute(
            "UPDATE loads SET finished_at=?1 WHERE status='retraction' AND finished_at IS NULL",
            [now()],
        )?;
        Ok(())
    }

    /// Records the SHA-256 of every part that has none (written before purse kept checksums),
    /// live or replaced, once it reads as Parquet with the rows the manifest says: from then on
    /// `purse verify` and `purse backup` compare it. The number recorded.
    pub fn record_checksums(&mut self) -> Result<usize> {
        let parts: Vec<(i64, String, i64)> = {
            let mut st = self
                .db
                .prepare("SELECT load_id, path, rows FROM load_parts WHERE sha256 IS NULL")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut n = 0;
        for (load_id, rel, rows) in parts {
            let live = self.warehouse_dir().join(&rel);
            let away = self.dir.join("superseded").join(&rel);
            let Some(path) = [live, away].into_iter().find(|p| p.is_file()) else {
                continue;
            };
            let have = parquet_rows(&path)
                .map_err(|e| PurseError::Warehouse(format!("{}: {e}", path.display())))?;
            if have != rows {
                return Err(PurseError::Warehouse(format!(
                    "{}: {have} rows, but the manifest recorded {rows}: not recording a checksum for a damaged part",
                    path.display()
                )));
            }
            let sha = io(&path, file_sha256(&path))?;
            self.db.execute(
                "UPDATE load_parts SET sha256=?1 WHERE load_id=?2 AND path=?3",
                params![sha, load_id, rel],
            )?;
            n += 1;
        }
        Ok(n)
    }

    /// Records a refused extract (nothing stored) with its issues.
    pub fn reject(
        &mut self,
        load_id: i64,
        dataset: Option<&str>,
        meta: &LoadMeta,
        issues: &[Issue],
    ) -> Result<()> {
        self.sweep_staged(load_id)?;
        let tx = self.db.transaction()?;
        insert_issues(&tx, load_id, issues)?;
        let (errors, warnings) = count(issues);
        tx.execute(
            "UPDATE loads SET status='rejected', dataset=?2, format=?3, encoding=?4, errors=?5, warnings=?6, message=?7,
             report=?8, finished_at=?9 WHERE id=?1",
            params![load_id, dataset, meta.format, meta.encoding, errors.max(1), warnings, meta.message, meta.report, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every live part: (dataset, period, scope, rows), the scope as written at load (one
    /// `column=value|column=value` line per distinct scope of the part's rows).
    pub fn live_parts(&self) -> Result<LiveParts> {
        let mut stmt = self
            .db
            .prepare("SELECT dataset, period, scope, rows FROM load_parts WHERE active=1")?;
        let v = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, i64>(3)?.max(0) as u64,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Live Parquet files of a dataset, optionally of one period.
    pub fn live_files(&self, dataset: &str, period: Option<&str>) -> Result<Vec<PathBuf>> {
        let mut stmt = self.db.prepare(
            "SELECT path FROM load_parts WHERE dataset=?1 AND active=1 AND (?2 IS NULL OR period=?2) ORDER BY period, load_id",
        )?;
        let v: Vec<String> = stmt
            .query_map(params![dataset, period], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v.into_iter()
            .map(|p| self.warehouse_dir().join(p))
            .collect())
    }

    /// Reads a dataset's live rows of one period (used by load-time checks, small).
    pub fn read_period(
        &self,
        dataset: &str,
        period: &str,
        columns: &[&str],
    ) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for path in self.live_files(dataset, Some(period))? {
            let f = io(&path, File::open(&path))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(f)?;
            // Only the columns asked for (those the file has): last month's keys and 累计 for
            // the continuity check, not its every column.
            let roots: Vec<usize> = columns
                .iter()
                .filter_map(|c| builder.schema().index_of(c).ok())
                .collect();
            let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
            for b in builder.with_projection(mask).build()? {
                out.push(b?);
            }
        }
        Ok(out)
    }

    /// Per dataset: periods, live rows and the files they came from.
    pub fn summary(&self) -> Result<Vec<DatasetSummary>> {
        let mut stmt = self.db.prepare(
            "SELECT p.dataset, p.period, p.rows, l.file, l.sheet FROM load_parts p JOIN loads l ON l.id=p.load_id
             WHERE p.active=1 ORDER BY p.dataset, p.period",
        )?;
        let mut map: BTreeMap<String, DatasetSummary> = BTreeMap::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (ds, period, n, file, sheet) = row?;
            let e = map.entry(ds.clone()).or_insert_with(|| DatasetSummary {
                dataset: ds,
                ..Default::default()
            });
            if !e.periods.contains(&period) {
                e.periods.push(period);
            }
            e.rows += n;
            let src = match sheet {
                Some(s) => format!("{}#{s}", file_name(&file)),
                None => file_name(&file),
            };
            if !e.sources.contains(&src) {
                e.sources.push(src);
            }
        }
        Ok(map.into_values().collect())
    }

    /// Every part ever accepted, live or replaced: (dataset, period, when its load started,
    /// still live). The first is when a period arrived; a replaced one is a correction.
    pub fn part_history(&self) -> Result<Vec<(String, String, String, bool)>> {
        let mut stmt = self.db.prepare(
            "SELECT p.dataset, p.period, l.started_at, p.active FROM load_parts p
             JOIN loads l ON l.id = p.load_id WHERE l.status = 'accepted' ORDER BY l.started_at",
        )?;
        let v = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? == 1))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn loads(&self, limit: usize) -> Result<Vec<LoadRecord>> {
        let mut stmt = self.db.prepare(
            "SELECT id, file, sheet, dataset, status, rows, errors, warnings, message, report, started_at,
                (SELECT group_concat(DISTINCT p.superseded_by) FROM load_parts p JOIN loads b ON b.id = p.superseded_by
                 WHERE p.load_id = l.id AND p.active = 0 AND b.status = 'accepted'),
                (SELECT count(*) FROM load_parts p WHERE p.load_id = l.id AND p.active = 1)
             FROM loads l ORDER BY id DESC LIMIT ?1",
        )?;
        let v = stmt
            .query_map([limit as i64], |r| {
                Ok(LoadRecord {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    sheet: r.get(2)?,
                    dataset: r.get(3)?,
                    status: r.get(4)?,
                    rows: r.get(5)?,
                    errors: r.get(6)?,
                    warnings: r.get(7)?,
                    message: r.get(8)?,
                    report: r.get(9)?,
                    started_at: r.get(10)?,
                    replaced_by: r
                        .get::<_, Option<String>>(11)?
                        .unwrap_or_default()
                        .split(',')
                        .filter_map(|v| v.parse().ok())
                        .collect(),
                    live_parts: r.get(12)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}

fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string())
}

fn count(issues: &[Issue]) -> (i64, i64) {
    let e = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count() as i64;
    (e, issues.len() as i64 - e)
}

fn insert_issues(tx: &rusqlite::Transaction, load_id: i64, issues: &[Issue]) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO load_issues(load_id, severity, row, col, value, expected, reason) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    )?;
    for i in issues {
        stmt.execute(params![
            load_id,
            i.severity.label(),
            i.row.map(|r| r as i64),
            i.column,
            i.value,
            i.expected,
            i.reason
        ])?;
    }
    Ok(())
}

/// What [`Warehouse::retract`] did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Retraction {
    /// The retraction's own entry in the manifest.
    pub id: i64,
    pub load_id: i64,
    pub file: String,
    pub dataset: Option<String>,
    /// Periods whose live data changed (to be checked again).
    pub periods: Vec<String>,
    /// Earlier loads whose periods are live again.
    pub restored: Vec<Replaced>,
    /// Periods of the load that a later load had replaced: left as they are.
    pub kept: Vec<Replaced>,
    /// The manifest's line for it.
    pub message: String,
    /// When the retracted load was committed: checks since then saw its data.
    pub committed_at: String,
}

/// Descriptive fields stored with a load.
#[derive(Debug, Clone, Default)]
pub struct LoadMeta {
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub message: Option<String>,
    pub report: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DatasetSummary {
    pub dataset: String,
    pub periods: Vec<String>,
    pub rows: i64,
    pub sources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int32Array, StringArray};
    use datafusion::parquet::basic::Encoding;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    use std::sync::Arc;

    /// 8,192 rows: voucher numbers all distinct; 2,000 payees of 60 bytes each (a 120 KB
    /// dictionary, past the 64 KiB kept for columns of unknown shape); the row numbers.
    fn payments() -> RecordBatch {
        let n: i32 = 8192;
        let vouchers: Vec<String> = (0..n).map(|i| format!("ZF20250100{i:05}")).collect();
        let payees: Vec<String> = (0..n)
            .map(|i| format!("{:0>60}", format!("收款单位{}", i % 2000)))
            .collect();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vouchers)),
            Arc::new(StringArray::from(payees)),
            Arc::new(Int32Array::from_iter_values(2..n + 2)),
        ];
        RecordBatch::try_from_iter(["voucher_no", "payee", "source_row"].into_iter().zip(cols))
            .unwrap()
    }

    fn encodings_written(
        batch: &RecordBatch,
        props: WriterProperties,
    ) -> Vec<(String, Vec<Encoding>)> {
        let file = tempfile::tempfile().unwrap();
        let mut w =
            ArrowWriter::try_new(file.try_clone().unwrap(), batch.schema(), Some(props)).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        let r = SerializedFileReader::new(file).unwrap();
        let rg = r.metadata().row_group(0);
        rg.columns()
            .iter()
            .map(|c| (c.column_path().string(), c.encodings().collect()))
            .collect()
    }

    #[test]
    fn distinct_text_is_plain_repeating_text_keeps_its_dictionary_row_numbers_are_deltas() {
        let batch = payments();
        let props = encodings(
            WriterProperties::builder().set_dictionary_page_size_limit(DICTIONARY_BYTES),
            &batch,
        )
        .build();
        let col = |c: &str| ColumnPath::from(c);
        assert!(!props.dictionary_enabled(&col("voucher_no")));
        assert!(props.dictionary_enabled(&col("payee")));
        assert_eq!(
            props.column_dictionary_page_size_limit(&col("payee")),
            1 << 20
        );
        assert!(!props.dictionary_enabled(&col("source_row")));
        assert_eq!(
            props.encoding(&col("source_row")),
            Some(Encoding::DELTA_BINARY_PACKED)
        );
        let written = encodings_written(&batch, props);
        let has = |c: &str, e: Encoding| {
            written
                .iter()
                .find(|(p, _)| p == c)
                .is_some_and(|(_, es)| es.contains(&e))
        };
        assert!(!has("voucher_no", Encoding::RLE_DICTIONARY), "{written:?}");
        assert!(has("payee", Encoding::RLE_DICTIONARY), "{written:?}");
        assert!(
            has("source_row", Encoding::DELTA_BINARY_PACKED),
            "{written:?}"
        );
        // With the 64 KiB limit alone, the payees' 120 KB dictionary would be given up.
        let before = encodings_written(
            &batch,
            WriterProperties::builder()
                .set_dictionary_page_size_limit(DICTIONARY_BYTES)
                .build(),
        );
        let payee = &before.iter().find(|(p, _)| p == "payee").unwrap().1;
        assert!(payee.contains(&Encoding::PLAIN), "{before:?}");
    }

    #[test]
    fn too_few_rows_choose_nothing() {
        let batch = payments().slice(0, MIN_SAMPLE_ROWS - 1);
        let props = encodings(WriterProperties::builder(), &batch).build();
        assert!(props.dictionary_enabled(&ColumnPath::from("voucher_no")));
    }
}
