//! Ingest: extract files as they really arrive → validated canonical Arrow batches → warehouse.
//!
//! `read` sniffs format and encoding, `header` finds the table and maps its headers, `value`
//! parses cells, `build` makes the batches, `validate` runs the checks that span rows. This file
//! runs one file (or folder) through all of it and records the outcome, accepted or rejected.

pub mod build;
pub mod header;
mod mapped;
pub mod read;
pub mod validate;
pub mod value;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{BooleanArray, Int32Array, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::common::{Issue, Severity};
use crate::config::Config;
use crate::datasets::{Catalog, ColType, Grain, SOURCE_ROW};
use crate::error::{PurseError, Result};
use crate::warehouse::{LoadMeta, Part, PartWriter, Replaced, Warehouse};

/// Row-level progress: called with the file and the rows read so far, every few thousand rows
/// of a sheet, so a long ingest shows it is moving (the CLI's progress bar).
#[derive(Clone, Default)]
pub struct RowProgress(Option<std::sync::Arc<ProgressFn>>);

type ProgressFn = dyn Fn(&Path, usize) + Send + Sync;

impl RowProgress {
    pub fn new(f: impl Fn(&Path, usize) + Send + Sync + 'static) -> RowProgress {
        RowProgress(Some(std::sync::Arc::new(f)))
    }

    pub fn report(&self, file: &Path, rows: usize) {
        if let Some(f) = &self.0 {
            f(file, rows)
        }
    }
}

impl std::fmt::Debug for RowProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "RowProgress(on)"
        } else {
            "RowProgress(off)"
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dataset: Option<String>,
    /// YYYY-MM (or YYYY for annual datasets).
    pub period: Option<String>,
    pub sheet: Option<String>,
    /// Implicit column values: region_code, region_name, budget_kind, indicator_code, unit …
    pub set: BTreeMap<String, String>,
    /// Load the good rows of a file with row errors instead of refusing it whole.
    pub allow_partial: bool,
    /// Where row counts go while a sheet is read.
    pub progress: RowProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = LoadStatus)]
pub enum Status {
    Loaded,
    Unchanged,
    Rejected,
    Skipped,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    pub file: String,
    pub sheet: Option<String>,
    pub status: Status,
    pub dataset: Option<String>,
    pub load_id: Option<i64>,
    pub rows: usize,
    pub periods: Vec<String>,
    pub replaced: Vec<Replaced>,
    pub totals_skipped: usize,
    pub errors: usize,
    pub warnings: usize,
    pub message: String,
    pub report: Option<String>,
    /// The first issues (all are in the report file and the manifest).
    pub issues: Vec<Issue>,
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub bytes: u64,
}

impl Outcome {
    fn new(
        file: &Path,
        sheet: Option<String>,
        status: Status,
        message: impl Into<String>,
    ) -> Outcome {
        Outcome {
            file: file.display().to_string(),
            sheet,
            status,
            dataset: None,
            load_id: None,
            rows: 0,
            periods: Vec::new(),
            replaced: Vec::new(),
            totals_skipped: 0,
            errors: 0,
            warnings: 0,
            message: message.into(),
            report: None,
            issues: Vec::new(),
            format: None,
            encoding: None,
            bytes: 0,
        }
    }
}

const DATA_EXTENSIONS: [&str; 7] = ["csv", "txt", "tsv", "xlsx", "xls", "xlsm", "ods"];

/// The dataset whose headers the first rows come nearest to: the most cells that are one of
/// its columns' names or aliases (one is enough here: a file that named two would have been
/// recognised), the first listed on a tie. `None` when no cell is.
fn nearest_dataset(catalog: &Catalog, head: &[Vec<String>]) -> Option<String> {
    let cells: Vec<String> = head
        .iter()
        .flatten()
        .map(|c| header::normalize_header(c).key)
        .filter(|c| !c.is_empty())
        .collect();
    catalog
        .datasets
        .iter()
        .map(|ds| {
            let hits = cells
                .iter()
                .filter(|c| {
                    ds.columns.iter().any(|col| {
                        col.name == **c
                            || col
                                .aliases
                                .iter()
                                .any(|a| header::normalize_header(a).key == **c)
                    })
                })
                .count();
            (hits, ds.name.clone())
        })
        .enumerate()
        .filter(|(_, (hits, _))| *hits > 0)
        // The most hits; on a tie the dataset listed first (budget execution before bonds).
        .max_by_key(|(i, (hits, _))| (*hits, std::cmp::Reverse(*i)))
        .map(|(_, (_, name))| name)
}

/// Files named on the command line, folders expanded (sorted, hidden files left out).
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| PurseError::io(p, e))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).map_err(|e| PurseError::io(&d, e))? {
                    let e = e.map_err(|e| PurseError::io(&d, e))?;
                    let path = e.path();
                    if e.file_name().to_string_lossy().starts_with('.') {
                        continue;
                    }
                    if path.is_dir() {
                        stack.push(path);
                    } else if path
                        .extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| DATA_EXTENSIONS.contains(&x.to_lowercase().as_str()))
                    {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn parse_period(p: &str) -> Result<(i32, Option<u32>)> {
    let bad = || {
        PurseError::Invalid(format!(
            "--period `{p}`: expected YYYY-MM (or YYYY for annual datasets)"
        ))
    };
    let (y, m) = match p.split_once('-') {
        Some((y, m)) => (y, Some(m)),
        None => (p, None),
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m = m
        .map(|m| {
            m.parse::<u32>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)
        })
        .transpose()?;
    Ok((y, m))
}

/// What files read ahead beyond the next may come to on disk (see `ingest_paths`).
const READ_AHEAD_BYTES: u64 = 256 << 20;

/// Ingests files and folders; each extract is accepted or rejected on its own.
pub fn ingest_paths(
    wh: &mut Warehouse,
    catalog: &Catalog,
    config: &Config,
    paths: &[PathBuf],
    opts: &Options,
    mut on_done: impl FnMut(&Outcome),
) -> Result<Vec<Outcome>> {
    if let Some(d) = &opts.dataset {
        catalog.get(d)?;
    }
    if let Some(p) = &opts.period {
        parse_period(p)?;
    }
    let limits = config.ingest.limits();
    let files = expand_paths(paths)?;
    let mut all = Vec::new();
    // The next files are read, hashed and decoded (a workbook parsed) on threads of their own
    // while this one is checked and written, in order: a workbook takes seconds to parse on
    // one core (calamine), so one reading thread left the other core idle behind it. In
    // memory: the file being written, the next, and one more if those two read ahead come to
    // no more than READ_AHEAD_BYTES on disk.
    crate::cores::for_each_in_order(
        files,
        crate::cores::available(2),
        (
            |p: &PathBuf| std::fs::metadata(p).map_or(0, |m| m.len()),
            READ_AHEAD_BYTES,
        ),
        |path: PathBuf| Ok((read_bytes(&path, limits), path)),
        |(read, path)| {
            for o in ingest_file(wh, catalog, config, &path, read?, opts)? {
                on_done(&o);
                all.push(o);
            }
            Ok(true)
        },
        |what| PurseError::Invalid(format!("internal: a reading thread stopped: {what}")),
    )?;
    Ok(all)
}

/// A file as read before anything is decided about it: its hash and size, and what opening it
/// gave (sheets, or why it could not be read).
pub struct Read {
    sha: Sha,
    size: u64,
    opened: std::result::Result<read::Opened, String>,
}

/// A file's SHA-256: known (a file read in pieces is hashed as it is read), or being computed
/// on a thread of its own (a mapped file is hashed while its rows are read: see
/// [`ingest_sheet`]).
pub struct Sha {
    done: std::sync::OnceLock<std::result::Result<String, String>>,
    pending: std::sync::Mutex<Option<std::thread::JoinHandle<String>>>,
}

impl Sha {
    fn known(sha: String) -> Sha {
        let done = std::sync::OnceLock::new();
        let _ = done.set(Ok(sha));
        Sha {
            done,
            pending: std::sync::Mutex::new(None),
        }
    }

    fn hashing(h: std::thread::JoinHandle<String>) -> Sha {
        Sha {
            done: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(Some(h)),
        }
    }

    /// Whether the hash is there without waiting for it. (Tests make it late for every file
    /// with `PURSE_HASH_LATE`, debug builds only: a small file is hashed before it is asked.)
    fn ready(&self) -> bool {
        #[cfg(debug_assertions)]
        if std::env::var_os("PURSE_HASH_LATE").is_some() {
            return false;
        }
        self.done.get().is_some()
            || self
                .pending
                .lock()
                .map_or(true, |h| h.as_ref().is_none_or(|h| h.is_finished()))
    }

    /// The hash, waited for if it is still being computed; a hashing thread that stopped is an
    /// internal error naming the file.
    fn get(&self, path: &Path) -> Result<&str> {
        let r = self.done.get_or_init(|| {
            let h = self.pending.lock().ok().and_then(|mut h| h.take());
            h.and_then(|h| h.join().ok())
                .ok_or_else(|| internal_error(path))
        });
        r.as_deref().map_err(|e| PurseError::Invalid(e.clone()))
    }
}

/// Reads, hashes and opens a file. Only an I/O error is an `Err`; an unreadable file is a
/// `Read` whose `opened` says why (it is then refused, with its hash on record).
///
/// A regular file is mapped ([`mapped`]: no copy, no fresh memory for its bytes), hashed on
/// one thread and checked in pieces (UTF-8, lines, quotes) on this one; any other is read in
/// pieces ([`read_pieces`]).
fn read_bytes(path: &Path, limits: crate::config::Limits) -> Result<Read> {
    crate::memory::reading(path);
    let io = |e: std::io::Error| PurseError::io(path, e);
    let file = std::fs::File::open(path).map_err(io)?;
    let (sha, size, checked) = match mapped::Mapped::open(&file, path) {
        Some(map) => {
            // Hashed on a thread of its own, which goes on while the rows are read (see
            // `ingest_sheet`); checked in pieces here, where the file lies.
            let map = std::sync::Arc::new(map);
            #[cfg(debug_assertions)]
            cut_short(path);
            let hashed = map.clone();
            let hasher = std::thread::Builder::new()
                .name("purse-hash".into())
                .spawn(move || crate::hex(&Sha256::digest(hashed.bytes())))
                .map_err(io)?;
            let bytes = map.bytes();
            let checked: Vec<read::Checked> = read::cuts(bytes, read::PIECE_BYTES)
                .into_iter()
                .map(|r| read::check_piece(read::Bytes::mapped(&map, r)))
                .collect();
            (Sha::hashing(hasher), bytes.len() as u64, checked)
        }
        None => {
            let (sha, size, checked) = read_pieces(file, path)?;
            (Sha::known(sha), size, checked)
        }
    };
    let opened = guarded(path, move || {
        read::with_limits(limits, || read::open_pieces(checked))
    });
    Ok(Read { sha, size, opened })
}

/// Tests prove what a file cut short while it is read does by naming it in
/// `PURSE_CUT_SHORT_READING`: once it is mapped it is cut to a tenth of its length, as another
/// program could. Debug builds only.
#[cfg(debug_assertions)]
fn cut_short(path: &Path) {
    if let Some(name) = std::env::var_os("PURSE_CUT_SHORT_READING")
        && path.file_name() == Some(name.as_os_str())
        && let Ok(f) = std::fs::OpenOptions::new().write(true).open(path)
        && let Ok(m) = f.metadata()
    {
        let _ = f.set_len(m.len() / 10);
    }
}

/// [`read_bytes`] for a file that cannot be mapped (a pipe, an empty file): read in pieces
/// ([`read::PieceReader`]) through three threads: one reads, one hashes, one checks the text
/// (UTF-8, lines, quotes), so a large file is hashed and checked while it is still being read.
fn read_pieces(file: std::fs::File, path: &Path) -> Result<(String, u64, Vec<read::Checked>)> {
    let io = |e: std::io::Error| PurseError::io(path, e);
    let mut reader = read::PieceReader::new(file, read::PIECE_BYTES);
    let stopped = || PurseError::Invalid(internal_error(path));
    std::thread::scope(|s| -> Result<_> {
        let (to_hash, hashing) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (to_check, checking) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let hasher = s.spawn(move || {
            let (mut h, mut size) = (Sha256::new(), 0u64);
            for piece in hashing {
                h.update(&piece);
                size += piece.len() as u64;
                if to_check.send(piece).is_err() {
                    break;
                }
            }
            (crate::hex(&h.finalize()), size)
        });
        let checker = s.spawn(move || {
            checking
                .into_iter()
                .map(|p| read::check_piece(read::Bytes::Owned(p)))
                .collect()
        });
        let mut failed = None;
        loop {
            match reader.next_piece() {
                Ok(Some(piece)) => {
                    if to_hash.send(piece).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(to_hash);
        let (sha, size) = hasher.join().map_err(|_| stopped())?;
        let checked: Vec<read::Checked> = checker.join().map_err(|_| stopped())?;
        match failed {
            Some(e) => Err(io(e)),
            None => Ok((sha, size, checked)),
        }
    })
}

/// An empty vector on `v`'s allocation, for items of another lifetime: a row's cells borrow
/// that row's text, so a vector of them cannot outlive the row, but its allocation can (std
/// collects in place when the items have the same size and alignment). Ingest reuses one per
/// thread instead of allocating one per row.
pub(crate) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// The message a file gets when reading it hit a bug: no input should, but if one does the
/// file is refused (nothing of it stored) and the rest of the folder still loads.
pub fn internal_error(path: &Path) -> String {
    format!(
        "internal error while reading {} (a bug: please report it)",
        path.display()
    )
}

/// Runs `f`, turning a panic into `Err(internal_error(path): what it said)`. The parsers are
/// meant to be total (property tests and fuzzing check them); this is the last line of defence.
fn guarded<T>(
    path: &Path,
    f: impl FnOnce() -> std::result::Result<T, String>,
) -> std::result::Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(format!(
            "{}: {}",
            internal_error(path),
            crate::cores::panic_text(&payload)
        )),
    }
}

/// Tests prove the last line of defence by naming a file in `PURSE_PANIC_READING`: reading it
/// then panics. Debug builds only: a release build has no such hook.
#[cfg(debug_assertions)]
fn injected_panic(path: &Path) {
    if let Some(name) = std::env::var_os("PURSE_PANIC_READING")
        && path.file_name() == Some(name.as_os_str())
    {
        panic!("PURSE_PANIC_READING: injected panic");
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
fn injected_panic(_path: &Path) {}

/// Ingests one file, each sheet accepted or rejected on its own. A panic anywhere in it (a bug)
/// refuses the file instead of ending the process: whatever it had staged is swept by the
/// rejection; nothing of it goes live. Logged as a `load` span (file) with one event per sheet.
pub fn ingest_file(
    wh: &mut Warehouse,
    catalog: &Catalog,
    config: &Config,
    path: &Path,
    read: Read,
    opts: &Options,
) -> Result<Vec<Outcome>> {
    crate::memory::reading(path);
    // Excel's lock file beside an open workbook (`~$预算执行.xlsx`): not an extract, and not a
    // reason to fail the folder.
    if path
        .file_name()
        .is_some_and(|f| f.to_string_lossy().starts_with("~$"))
    {
        return Ok(vec![Outcome::new(
            path,
            None,
            Status::Skipped,
            "Excel's lock file of a workbook open in Excel (~$…), not an extract: skipped",
        )]);
    }
    let span = tracing::info_span!("load", file = %path.display());
    let _entered = span.enter();
    let before = wh.last_load_id()?;
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(wh, catalog, config, path, read, opts)
    }));
    log_outcomes(match run {
        Ok(r) => r,
        // Loads begun by the failed call are refused with the same reason.
        Err(_) => refuse_after_panic(wh, path, before),
    })
}

/// One event per sheet of a file (or why the file could not be loaded at all).
fn log_outcomes(outcomes: Result<Vec<Outcome>>) -> Result<Vec<Outcome>> {
    match &outcomes {
        Ok(v) => {
            for o in v {
                tracing::info!(
                    status = ?o.status,
                    sheet = o.sheet.as_deref().unwrap_or(""),
                    dataset = o.dataset.as_deref().unwrap_or(""),
                    load_id = o.load_id.unwrap_or(0),
                    rows = o.rows,
                    errors = o.errors,
                    warnings = o.warnings,
                    summary = %o.message,
                    "file loaded"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "file not loaded"),
    }
    outcomes
}

/// A panic of [`read_file`] turned into the refusal of every load it had begun.
fn refuse_after_panic(wh: &mut Warehouse, path: &Path, before: i64) -> Result<Vec<Outcome>> {
    let msg = internal_error(path);
    let begun = wh.loads_after(before)?;
    let ids = if begun.is_empty() {
        vec![wh.begin_load(path, None, "")?]
    } else {
        begun
    };
    let mut out = Vec::new();
    for id in ids {
        out.push(reject_file(
            wh,
            id,
            path,
            None,
            None,
            &LoadMeta::default(),
            msg.clone(),
        )?);
    }
    Ok(out)
}

fn read_file(
    wh: &mut Warehouse,
    catalog: &Catalog,
    config: &Config,
    path: &Path,
    read: Read,
    opts: &Options,
) -> Result<Vec<Outcome>> {
    let Read { sha, size, opened } = read;
    let opened = match opened {
        Ok(o) => o,
        Err(msg) => {
            let id = wh.begin_load(path, None, sha.get(path)?)?;
            return Ok(vec![reject(
                wh,
                id,
                path,
                None,
                None,
                &LoadMeta::default(),
                vec![Issue::file(msg)],
                0,
                size,
            )?]);
        }
    };
    let meta = LoadMeta {
        format: Some(opened.format.to_string()),
        encoding: opened.encoding.map(|e| e.label().to_string()),
        ..Default::default()
    };
    let names: Vec<String> = opened
        .sheets
        .iter()
        .filter_map(|s| s.name.clone())
        .collect();
    // Sheets are handed over, not lent: each is let go as soon as its rows are built, so a
    // large CSV's text is not held beside its columns while they are checked and written.
    let sheets: Vec<read::Sheet> = match &opts.sheet {
        Some(want)
            if opened
                .sheets
                .iter()
                .any(|s| s.name.as_deref() == Some(want)) =>
        {
            opened
                .sheets
                .into_iter()
                .filter(|s| s.name.as_deref() == Some(want))
                .collect()
        }
        Some(want) => {
            let id = wh.begin_load(path, Some(want), sha.get(path)?)?;
            let msg = format!("no sheet named `{want}` (sheets: {})", names.join(", "));
            return Ok(vec![reject(
                wh,
                id,
                path,
                Some(want.clone()),
                None,
                &meta,
                vec![Issue::file(msg)],
                0,
                size,
            )?]);
        }
        None => opened.sheets,
    };
    let multi = sheets.len() > 1;
    let only = opts
        .dataset
        .as_deref()
        .and_then(|d| catalog.datasets.iter().position(|x| x.name == d));
    let mut out = Vec::new();
    let x = Extract {
        catalog,
        config,
        path,
        sha: &sha,
        only,
        multi,
        opts,
        meta: &meta,
    };
    for sheet in sheets {
        let mut o = ingest_sheet(wh, &x, sheet)?;
        o.bytes = if multi { 0 } else { size };
        o.format = meta.format.clone();
        o.encoding = meta.encoding.clone();
        out.push(o);
    }
    if multi && let Some(first) = out.first_mut() {
        first.bytes = size;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn reject(
    wh: &mut Warehouse,
    id: i64,
    path: &Path,
    sheet: Option<String>,
    dataset: Option<&str>,
    meta: &LoadMeta,
    issues: Vec<Issue>,
    totals_skipped: usize,
    bytes: u64,
) -> Result<Outcome> {
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let message = match issues
        .iter()
        .find(|i| i.row.is_none() && i.severity == Severity::Error)
    {
        Some(i) => i.reason.clone(),
        None => format!("{errors} row error(s); nothing loaded (see the report)"),
    };
    let report = write_report(wh, id, path, &issues)?;
    let meta = LoadMeta {
        message: Some(message.clone()),
        report: report.clone(),
        ..meta.clone()
    };
    wh.reject(id, dataset, &meta, &issues)?;
    let mut o = Outcome::new(path, sheet, Status::Rejected, message);
    o.dataset = dataset.map(str::to_string);
    o.load_id = Some(id);
    o.errors = errors;
    o.warnings = issues.len() - errors;
    o.report = report;
    o.totals_skipped = totals_skipped;
    o.bytes = bytes;
    o.issues = issues.into_iter().take(20).collect();
    Ok(o)
}

/// A whole-file rejection: one issue with no row.
fn reject_file(
    wh: &mut Warehouse,
    id: i64,
    path: &Path,
    sheet: Option<String>,
    dataset: Option<&str>,
    meta: &LoadMeta,
    msg: String,
) -> Result<Outcome> {
    reject(
        wh,
        id,
        path,
        sheet,
        dataset,
        meta,
        vec![Issue::file(msg)],
        0,
        0,
    )
}

/// `DIR/loads/load-<id>.issues.csv`: every issue with row, column, value, expected and reason.
fn write_report(wh: &Warehouse, id: i64, path: &Path, issues: &[Issue]) -> Result<Option<String>> {
    if issues.is_empty() {
        return Ok(None);
    }
    let dir = wh.dir.join("loads");
    std::fs::create_dir_all(&dir).map_err(|e| PurseError::io(&dir, e))?;
    let rel = format!("loads/load-{id}.issues.csv");
    let full = wh.dir.join(&rel);
    let mut w = csv::Writer::from_path(&full)
        .map_err(|e| PurseError::Invalid(format!("{}: {e}", full.display())))?;
    let werr = |e: csv::Error| PurseError::Invalid(format!("{}: {e}", full.display()));
    w.write_record([
        "file", "severity", "row", "column", "value", "expected", "reason",
    ])
    .map_err(werr)?;
    for i in issues {
        w.write_record([
            &path.display().to_string(),
            i.severity.label(),
            &i.row.map(|r| r.to_string()).unwrap_or_default(),
            &i.column,
            &i.value,
            &i.expected,
            &i.reason,
        ])
        .map_err(werr)?;
    }
    w.flush().map_err(|e| PurseError::io(&full, e))?;
    Ok(Some(rel))
}

#[allow(clippy::too_many_arguments)]
/// What every sheet of one extract file shares on its way in.
#[derive(Clone, Copy)]
struct Extract<'a> {
    catalog: &'a Catalog,
    config: &'a Config,
    path: &'a Path,
    /// The file's SHA-256: a sheet already loaded from the same bytes is unchanged.
    sha: &'a Sha,
    /// The dataset `--dataset` names, if any.
    only: Option<usize>,
    /// A workbook of several sheets: one with no recognisable header is skipped, not refused.
    multi: bool,
    opts: &'a Options,
    meta: &'a LoadMeta,
}

/// One sheet of an extract: found again (unchanged), skipped (not an extract, in a workbook of
/// several), refused with its reasons, or loaded.
///
/// A sheet already loaded from the same bytes is unchanged. Hashing a large file takes as long
/// as reading a third of its rows, so when the hash is not there yet and nothing was loaded from
/// this file before, the rows are read while it is hashed: the copy of a loaded file found
/// under a new name is then found at the end ([`loaded_before`]) and its load forgotten, with
/// the same outcome, as if it had been found first. A file loaded before (a folder ingested
/// again) waits for its hash, and costs no more than hashing.
fn ingest_sheet(wh: &mut Warehouse, x: &Extract<'_>, sheet: read::Sheet) -> Result<Outcome> {
    let (path, sha) = (x.path, x.sha);
    let sheet_name = sheet.name.clone();
    let first = sha.ready() || wh.loaded_from(path, sheet_name.as_deref())?;
    if first && let Some(id) = wh.find_duplicate(sha.get(path)?, sheet_name.as_deref())? {
        return Ok(unchanged(path, sheet_name, id));
    }
    let o = read_sheet(wh, x, sheet, !first)?;
    // A refusal is checked too: the same bytes loaded before are unchanged, as they would have
    // been found first (a loaded sheet was checked before its commit).
    match (first, o.load_id, &o.status) {
        (false, Some(id), Status::Rejected) => {
            match loaded_before(wh, x, id, o.sheet.as_deref())? {
                Some(before) => {
                    wh.forget_load(id)?;
                    Ok(unchanged(path, o.sheet, before))
                }
                None => Ok(o),
            }
        }
        _ => Ok(o),
    }
}

/// Whether the load `id`, begun while the file was hashed, is of the same bytes as a sheet
/// loaded before: that load's id (the begun one is then to be forgotten, and the sheet is
/// unchanged). The begun load gets its hash either way.
fn loaded_before(
    wh: &mut Warehouse,
    x: &Extract<'_>,
    id: i64,
    sheet: Option<&str>,
) -> Result<Option<i64>> {
    let sha = x.sha.get(x.path)?;
    wh.set_sha(id, sha)?;
    wh.find_duplicate(sha, sheet)
}

fn unchanged(path: &Path, sheet: Option<String>, id: i64) -> Outcome {
    let mut o = Outcome::new(
        path,
        sheet,
        Status::Unchanged,
        format!("already loaded as load #{id}"),
    );
    o.load_id = Some(id);
    o
}

/// [`ingest_sheet`] past the check for a copy of a loaded sheet; `hashing`: the file's hash is
/// still being computed (the check comes before the commit).
fn read_sheet(
    wh: &mut Warehouse,
    x: &Extract<'_>,
    sheet: read::Sheet,
    hashing: bool,
) -> Result<Outcome> {
    let Extract {
        catalog,
        config,
        path,
        sha,
        only,
        multi,
        opts,
        meta,
    } = *x;
    // The hash as far as it is known: a load begun while it is computed gets it at the end.
    let sha = if hashing { "" } else { sha.get(path)? };
    let sheet_name = sheet.name.clone();
    let head: Vec<Vec<String>> = match guarded(path, || sheet.head(60)) {
        Ok(h) => h.into_iter().map(|(_, c)| c).collect(),
        Err(msg) => {
            let id = wh.begin_load(path, sheet_name.as_deref(), sha)?;
            return reject_file(wh, id, path, sheet_name, None, meta, msg);
        }
    };
    let mapping = header::find_header(catalog, only, &head);
    let weak = mapping.as_ref().is_none_or(|m| m.score() < 3);
    if multi && weak && only.is_none() {
        return Ok(Outcome::new(
            path,
            sheet_name,
            Status::Skipped,
            "no recognisable header: not an extract",
        ));
    }
    let id = wh.begin_load(path, sheet_name.as_deref(), sha)?;
    // Fault injection for the tests of the memory cap: a file that needs 16 TiB. Debug builds
    // only, as the warehouse's crash points.
    #[cfg(debug_assertions)]
    if std::env::var("PURSE_CRASH_AT").is_ok_and(|v| v == "reading") {
        std::hint::black_box(Vec::<u8>::with_capacity(1 << 44));
    }
    let Some(m) = mapping else {
        let what = match only {
            Some(i) => format!("no header row of `{}` found", catalog.datasets[i].name),
            None => format!(
                "unknown dataset: no row in the first {} names two or more columns of any dataset; \
                 say which it is with --dataset NAME{} (one of {})",
                head.len(),
                nearest_dataset(catalog, &head)
                    .map(|d| format!(", perhaps --dataset {d}"))
                    .unwrap_or_default(),
                catalog.names().join(", ")
            ),
        };
        return reject_file(wh, id, path, sheet_name, None, meta, what);
    };
    let ds = &catalog.datasets[m.dataset];
    if let Some(msg) = header_refusal(ds, &m) {
        return reject_file(wh, id, path, sheet_name, Some(&ds.name), meta, msg);
    }
    let title = header::parse_title(&head[..m.header_row]);
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let period = match sheet_period(ds, &m, &title, &file_name, opts)? {
        Ok(p) => p,
        Err(msg) => return reject_file(wh, id, path, sheet_name, Some(&ds.name), meta, msg),
    };
    let report = |rows: usize| opts.progress.report(path, rows);
    let ctx = build::Context {
        set: &opts.set,
        title: &title,
        config,
        period,
        progress: &report,
        source: &file_name,
    };
    if let Some(msg) = missing_region(ds, &m, &ctx, path) {
        return reject_file(wh, id, path, sheet_name, Some(&ds.name), meta, msg);
    }
    // Rows are written to the load's staging part by part as the sheet is read; a refused
    // file's staging is swept by `reject`.
    let mut staged = Staged::new(wh, ds, id, opts.allow_partial);
    let built = {
        let mut sink = |p: &str, batch: RecordBatch, errors: &HashSet<usize>| {
            staged.take(p, batch, errors).map_err(|e| {
                let msg = e.to_string();
                staged.failed = Some(e);
                msg
            })
        };
        guarded(path, || {
            injected_panic(path);
            build::build(&catalog.codes, ds, sheet, &m, &ctx, id, &mut sink)
        })
    };
    if let Some(e) = staged.failed.take() {
        return Err(e);
    }
    let built = match built {
        Ok(b) => b,
        Err(msg) => {
            return reject_file(wh, id, path, sheet_name, Some(&ds.name), meta, msg);
        }
    };
    let mut issues = built.issues;
    if built.rows_read == 0 {
        issues.insert(0, Issue::file("no data rows below the header"));
    }
    issues.append(&mut staged.continuity);
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let file_level = issues
        .iter()
        .any(|i| i.row.is_none() && i.severity == Severity::Error);
    if errors > 0 && (!opts.allow_partial || file_level) {
        drop(staged);
        return reject(
            wh,
            id,
            path,
            sheet_name,
            Some(&ds.name),
            meta,
            issues,
            built.totals_skipped,
            0,
        );
    }
    let writers = staged.writers;
    let sheet = LoadedSheet {
        id,
        ds,
        sheet_name,
        issues,
        errors,
        totals_skipped: built.totals_skipped,
        scopes: built.scopes,
    };
    if hashing && let Some(before) = loaded_before(wh, x, id, sheet.sheet_name.as_deref())? {
        // The staged parts closed first, then swept with the load.
        drop(writers);
        wh.forget_load(id)?;
        return Ok(unchanged(path, sheet.sheet_name, before));
    }
    finish_load(wh, x, sheet, writers)
}

/// Why a recognised header cannot be loaded: required columns missing (with the headers each
/// accepts and those found), or two headers meaning one column.
fn header_refusal(ds: &crate::datasets::Dataset, m: &header::Mapping) -> Option<String> {
    let missing = header::required_missing(ds, m);
    if !missing.is_empty() {
        let accepted: Vec<String> = missing
            .iter()
            .map(|name| {
                let aliases: Vec<String> = name
                    .split(" or ")
                    .filter_map(|n| ds.column(n))
                    .flat_map(|c| c.aliases.iter().take(6).cloned())
                    .collect();
                format!("{name} (accepted headers: {})", aliases.join(" / "))
            })
            .collect();
        let found: Vec<&str> = m
            .cols
            .iter()
            .map(|c| c.header.as_str())
            .chain(m.unmatched.iter().map(String::as_str))
            .collect();
        let msg = format!(
            "looks like `{}` but required columns are missing: {}; headers found: {}",
            ds.name,
            accepted.join("; "),
            found.join(", ")
        );
        return Some(msg);
    }
    if !m.duplicates.is_empty() {
        let d: Vec<String> = m
            .duplicates
            .iter()
            .map(|(a, b, c)| format!("`{a}` and `{b}` both mean {c}"))
            .collect();
        return Some(format!("duplicate headers: {}", d.join("; ")));
    }
    None
}

/// A year, and its month unless the data is yearly.
type YearMonth = (i32, Option<u32>);

/// The sheet's period, from `--period`, the title, the headers or the file's name (which must
/// agree when several say it); `Err` says why they disagree.
fn sheet_period(
    ds: &crate::datasets::Dataset,
    m: &header::Mapping,
    title: &header::TitleInfo,
    file_name: &str,
    opts: &Options,
) -> Result<std::result::Result<Option<YearMonth>, String>> {
    let named = header::period_in_name(file_name, ds.grain == Grain::Year);
    let stated = match &opts.period {
        Some(p) => Some(parse_period(p)?),
        None => title.year.or(m.year).map(|y| (y, title.month.or(m.month))),
    };
    let period = stated.or(named);
    let (file_period, source) = match &opts.period {
        Some(p) => (Some(parse_period(p)?), "--period"),
        None => (title.year.map(|y| (y, title.month)), "the title"),
    };
    if let Some(msg) = header::period_conflict(m, ds.grain == Grain::Year, file_period, source) {
        return Ok(Err(msg));
    }
    // The file's name gives the period when nothing else does, and must agree when it does.
    if let (Some((ny, nm)), Some((sy, sm))) = (named, stated)
        && (ny != sy || matches!((nm, sm), (Some(a), Some(b)) if a != b && ds.grain != Grain::Year))
    {
        let show = |(y, m): (i32, Option<u32>)| match m {
            Some(m) => format!("{y}-{m:02}"),
            None => y.to_string(),
        };
        let source = if opts.period.is_some() {
            "--period"
        } else if title.year.is_some() {
            "the title"
        } else {
            "the headers"
        };
        let msg = format!(
            "the file's name says {} but {source} says {}: which period is it? Rename the file or give --period",
            show((ny, nm)),
            show((sy, sm))
        );
        return Ok(Err(msg));
    }
    Ok(Ok(period))
}

/// A sheet whose rows are built and staged, on its way to the commit.
struct LoadedSheet<'a> {
    id: i64,
    ds: &'a crate::datasets::Dataset,
    sheet_name: Option<String>,
    issues: Vec<Issue>,
    errors: usize,
    totals_skipped: usize,
    scopes: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Finishes the sheet's staged parts, writes its issues report and commits the load (refused
/// if the warehouse will not take it); the outcome says what it loaded and replaced.
fn finish_load(
    wh: &mut Warehouse,
    x: &Extract<'_>,
    sheet: LoadedSheet<'_>,
    writers: BTreeMap<String, PartWriter>,
) -> Result<Outcome> {
    let Extract { path, meta, .. } = *x;
    let LoadedSheet {
        id,
        ds,
        sheet_name,
        mut issues,
        errors,
        totals_skipped,
        scopes,
    } = sheet;
    let mut parts = Vec::new();
    for (p, w) in writers {
        let (rows, sha256) = w.finish()?;
        parts.push(Part {
            dataset: ds.name.clone(),
            scope: scopes.get(&p).cloned().unwrap_or_default(),
            period: p,
            rows,
            sha256,
        });
    }
    let report = write_report(wh, id, path, &issues)?;
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let periods: Vec<String> = parts.iter().map(|p| p.period.clone()).collect();
    let message = format!(
        "{rows} rows into {} {}{}",
        ds.name,
        summarize_periods(&periods),
        if totals_skipped > 0 {
            format!(" ({} totals rows skipped)", totals_skipped)
        } else {
            String::new()
        }
    );
    let meta = LoadMeta {
        message: Some(message.clone()),
        report: report.clone(),
        ..meta.clone()
    };
    let replaced = match wh.commit(id, &ds.name, &meta, &parts, &issues) {
        Ok(r) => r,
        Err(PurseError::Warehouse(msg)) => {
            issues.insert(0, Issue::file(msg));
            return reject(
                wh,
                id,
                path,
                sheet_name,
                Some(&ds.name),
                &meta,
                issues,
                totals_skipped,
                0,
            );
        }
        Err(e) => return Err(e),
    };
    let message = format!("{message}{}", crate::warehouse::replaced_text(&replaced));
    let mut o = Outcome::new(path, sheet_name, Status::Loaded, message);
    o.dataset = Some(ds.name.clone());
    o.load_id = Some(id);
    o.rows = rows;
    o.periods = periods;
    o.replaced = replaced;
    o.totals_skipped = totals_skipped;
    o.errors = errors;
    o.warnings = issues.len() - errors;
    o.report = report;
    o.issues = issues.into_iter().take(20).collect();
    Ok(o)
}
/// A sheet's rows on their way into the load's staging: a Parquet writer per period, and the
/// continuity warnings found on the way.
struct Staged<'a> {
    wh: &'a Warehouse,
    ds: &'a crate::datasets::Dataset,
    load_id: i64,
    allow_partial: bool,
    /// Columns of free text: no min/max statistics (see [`Warehouse::part_writer`]).
    free_text: Vec<&'a str>,
    writers: BTreeMap<String, PartWriter>,
    continuity: Vec<Issue>,
    /// A row had an error and partial loads are off: the file will be refused, so nothing more
    /// is written.
    refusing: bool,
    /// Writing failed (an I/O error, not the file's fault): reported as such, not as a refusal.
    failed: Option<PurseError>,
}

impl<'a> Staged<'a> {
    fn new(
        wh: &'a Warehouse,
        ds: &'a crate::datasets::Dataset,
        load_id: i64,
        allow_partial: bool,
    ) -> Self {
        let free_text = ds
            .columns
            .iter()
            .filter(|c| c.ty == ColType::Text)
            .map(|c| c.name.as_str())
            .collect();
        Staged {
            wh,
            ds,
            load_id,
            allow_partial,
            free_text,
            writers: BTreeMap::new(),
            continuity: Vec::new(),
            refusing: false,
            failed: None,
        }
    }

    /// Takes one batch of a period: checks it against last month's 累计 (datasets that carry
    /// it come one batch per period: see [`build::Sink`]), leaves out its rows with errors
    /// (partial loads) and writes the rest.
    fn take(&mut self, period: &str, batch: RecordBatch, errors: &HashSet<usize>) -> Result<()> {
        let ds = self.ds;
        if ds.grain == Grain::Month
            && !ds.continuity_key.is_empty()
            && let Some(prev) = previous_period(period)
        {
            let columns: Vec<&str> = ds
                .continuity_key
                .iter()
                .map(String::as_str)
                .chain(["ytd_amount", crate::datasets::IS_DETAIL])
                .collect();
            let old = self.wh.read_period(&ds.name, &prev, &columns)?;
            if !old.is_empty() {
                let prev_map = validate::ytd_by_key(ds, &old);
                validate::continuity(ds, &batch, &prev_map, &mut self.continuity);
            }
        }
        self.refusing |= !errors.is_empty() && !self.allow_partial;
        if self.refusing {
            return Ok(());
        }
        let batch = if errors.is_empty() {
            batch
        } else {
            let rows = batch
                .column(batch.schema().index_of(SOURCE_ROW)?)
                .as_any()
                .downcast_ref::<Int32Array>()
                .cloned()
                .ok_or_else(|| PurseError::Invalid("internal: source_row type".into()))?;
            let keep: BooleanArray = rows
                .iter()
                .map(|r| Some(!errors.contains(&(r.unwrap_or(0) as usize))))
                .collect();
            filter_record_batch(&batch, &keep)?
        };
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let w = match self.writers.entry(period.to_string()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(self.wh.part_writer(
                self.load_id,
                &ds.name,
                period,
                batch.schema(),
                &self.free_text,
                &batch,
            )?),
        };
        w.write(batch)
    }
}

/// A dataset scoped by region needs every row to say which region it is about: from a region
/// column, the title, `--set` or `purse.toml`. Without any, the file is refused with how to
/// supply one, instead of being stamped with a default region.
fn missing_region(
    ds: &crate::datasets::Dataset,
    m: &header::Mapping,
    ctx: &build::Context,
    path: &Path,
) -> Option<String> {
    let code = ds.column_index("region_code")?;
    let name = ds.column_index("region_name");
    if !ds.scope.iter().any(|s| s == "region_code") {
        return None;
    }
    // A region name counts only where the dataset can keep it (payments keep the code alone).
    let mapped = m.cols.iter().any(|c| c.col == code || Some(c.col) == name);
    let by_name = name.is_some() && ctx.value("region_name").is_some();
    if mapped || by_name || ctx.value("region_code").is_some() {
        return None;
    }
    Some(format!(
        "no region: {} has no region column (财政区划 / 区划编码), its title names no region \
         (such as 平阳县财政局…), and this deployment has none set; supply it with \
         `--set region_code=330326 --set region_name=平阳县`, or write the deployment's region \
         into purse.toml with `purse init --region-code … --region-name …`",
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    ))
}

/// The month before within the same year (January has none: year-to-date starts again).
fn previous_period(p: &str) -> Option<String> {
    let p: crate::common::period::Period = p.parse().ok()?;
    (p.month() > 1).then(|| p.prev().to_string())
}

pub fn summarize_periods(p: &[String]) -> String {
    match p {
        [] => "(no period)".into(),
        [one] => one.clone(),
        [first, .., last] => format!("{first}…{last} ({} periods)", p.len()),
    }
}
