//! Backing up and verifying a data directory while the server runs.
//!
//! A backup is a data directory of its own (restore it by serving it, or by moving it into
//! place): `purse.db` copied with SQLite's `VACUUM INTO` (one read transaction, so a consistent
//! snapshot however much is written meanwhile), then exactly the Parquet parts that snapshot's
//! manifest names — live ones under `warehouse/`, replaced ones under `superseded/` so a
//! retraction still works on the copy — each checked against the SHA-256 recorded when it was
//! written. Parts are never rewritten in place, only moved between those two folders, so a part
//! the snapshot names is found in one of them even if a load or a retraction moved it since.
//! Everything else in the directory (`purse.toml`, the deployment's codes and rules, issue
//! reports, monthly reports) is copied as it is; staging, pending uploads and the lock are not.
//!
//! [`verify`] reads a data directory the way a restore would need it: SQLite's integrity check,
//! every live part present with its recorded checksum and row count, every evidence file of an
//! alert's or a problem item's rectification present with the checksum recorded when it was
//! kept, and every alert's stored evidence readable.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::db::open_read_only;
use crate::error::{PurseError, Result};
use crate::warehouse::{file_sha256, io, parquet_rows};

/// What a backup holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backup {
    pub dir: PathBuf,
    /// Live parts copied (under `warehouse/`).
    pub live_parts: usize,
    /// Replaced parts copied (under `superseded/`).
    pub superseded_parts: usize,
    /// Bytes of Parquet copied.
    pub part_bytes: u64,
    /// Parts whose copy was compared with the SHA-256 recorded when they were written (parts
    /// from before purse kept checksums have none).
    pub checked: usize,
    /// Other files copied (settings, reports).
    pub other_files: usize,
    /// Loads and alerts in the snapshot.
    pub loads: i64,
    pub alerts: i64,
    /// Replaced parts the manifest names but the directory no longer has (said, not fatal:
    /// only a retraction of the load that replaced them would want them back).
    pub missing_superseded: Vec<String>,
}

/// One part as the manifest names it.
struct PartRow {
    rel: String,
    active: bool,
    rows: i64,
    sha256: Option<String>,
}

fn parts_of(db: &Connection) -> Result<Vec<PartRow>> {
    if count(db, "load_parts")? == 0 {
        return Ok(vec![]);
    }
    // A database no newer purse has opened yet has no checksum column (read-only: not migrated).
    let has_sha: bool = db.query_row(
        "SELECT EXISTS(SELECT 1 FROM pragma_table_info('load_parts') WHERE name = 'sha256')",
        [],
        |r| r.get(0),
    )?;
    let sha = if has_sha { "p.sha256" } else { "NULL" };
    let mut st = db.prepare(&format!(
        "SELECT p.path, p.active, p.rows, {sha} FROM load_parts p
         JOIN loads l ON l.id = p.load_id WHERE l.status = 'accepted' ORDER BY p.load_id, p.path"
    ))?;
    let v = st
        .query_map([], |r| {
            Ok(PartRow {
                rel: r.get(0)?,
                active: r.get::<_, i64>(1)? == 1,
                rows: r.get(2)?,
                sha256: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

fn count(db: &Connection, table: &str) -> Result<i64> {
    if !crate::db::has_table(db, table)? {
        return Ok(0);
    }
    Ok(db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
}

/// Names in the data directory that a backup takes from the manifest or leaves out.
const NOT_COPIED: &[&str] = &[
    "purse.db",
    "purse.db-wal",
    "purse.db-shm",
    "purse.db-journal",
    "warehouse",
    "superseded",
    "staging",
    ".lock",
];

/// Backs `data_dir` up into `to`, a folder that must not exist yet (or be empty). Written under
/// a temporary name beside it and renamed at the end, so `to` is either a whole backup or
/// absent.
pub fn backup(data_dir: &Path, to: &Path) -> Result<Backup> {
    let source_db = data_dir.join("purse.db");
    if !source_db.is_file() {
        return Err(PurseError::Invalid(format!(
            "{} is not a purse data directory (no purse.db)",
            data_dir.display()
        )));
    }
    if to.exists()
        && fs::read_dir(to)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(PurseError::Invalid(format!(
            "{} already exists and is not empty: back up into a new folder",
            to.display()
        )));
    }
    if same_or_inside(to, data_dir) {
        return Err(PurseError::Invalid(format!(
            "{} is inside the data directory {}: back up somewhere else",
            to.display(),
            data_dir.display()
        )));
    }
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let tmp = to.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    if tmp.exists() {
        io(&tmp, fs::remove_dir_all(&tmp))?;
    }
    io(&tmp, fs::create_dir_all(&tmp))?;
    let result = write_backup(data_dir, &tmp);
    match result {
        Ok(mut b) => {
            if to.exists() {
                io(to, fs::remove_dir(to))?;
            }
            io(to, fs::rename(&tmp, to))?;
            b.dir = to.to_path_buf();
            Ok(b)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// Whether `to` is `dir` or lies inside it (its missing folders resolved from the nearest one
/// that exists).
fn same_or_inside(to: &Path, dir: &Path) -> bool {
    let Ok(dir) = fs::canonicalize(dir) else {
        return false;
    };
    let to = if to.is_absolute() {
        to.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(to),
            Err(_) => return false,
        }
    };
    let mut rest = Vec::new();
    let mut at = to.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(at) {
            let full = rest.iter().rev().fold(real, |p, c| p.join(c));
            return full.starts_with(&dir);
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                at = parent;
            }
            _ => return false,
        }
    }
}

fn write_backup(data_dir: &Path, to: &Path) -> Result<Backup> {
    // 1. The snapshot: every store's tables as of one moment.
    let snapshot = to.join("purse.db");
    {
        let src = open_read_only(data_dir)?;
        src.execute("VACUUM INTO ?1", [snapshot.to_string_lossy()])?;
    }
    let db = open_read_only(to)?;
    // 2. The parts that snapshot names, wherever they are now.
    let mut b = Backup {
        dir: to.to_path_buf(),
        live_parts: 0,
        superseded_parts: 0,
        part_bytes: 0,
        checked: 0,
        other_files: 0,
        loads: count(&db, "loads")?,
        alerts: count(&db, "alerts")?,
        missing_superseded: Vec::new(),
    };
    for p in parts_of(&db)? {
        let here = [
            data_dir.join("warehouse").join(&p.rel),
            data_dir.join("superseded").join(&p.rel),
        ];
        let Some(from) = here.iter().find(|f| f.is_file()) else {
            if p.active {
                return Err(PurseError::Warehouse(format!(
                    "live part {} is missing from {}: the data directory is damaged (run `purse verify`)",
                    p.rel,
                    data_dir.display()
                )));
            }
            b.missing_superseded.push(p.rel);
            continue;
        };
        let dest = to
            .join(if p.active { "warehouse" } else { "superseded" })
            .join(&p.rel);
        if let Some(d) = dest.parent() {
            io(d, fs::create_dir_all(d))?;
        }
        b.part_bytes += io(from, fs::copy(from, &dest))?;
        if let Some(want) = &p.sha256 {
            let got = io(&dest, file_sha256(&dest))?;
            if &got != want {
                return Err(PurseError::Warehouse(format!(
                    "{}: SHA-256 {got} is not the {want} recorded when it was written: the part is damaged (run `purse verify`)",
                    from.display()
                )));
            }
            b.checked += 1;
        }
        if p.active {
            b.live_parts += 1;
        } else {
            b.superseded_parts += 1;
        }
    }
    // 3. Everything else, as it is.
    for e in io(data_dir, fs::read_dir(data_dir))? {
        let e = io(data_dir, e)?;
        let name = e.file_name().to_string_lossy().into_owned();
        if NOT_COPIED.contains(&name.as_str()) {
            continue;
        }
        b.other_files += copy_tree(&e.path(), &to.join(&name))?;
    }
    let stamp = serde_json::json!({
        "made_at": crate::db::now(),
        "from": fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf()),
        "purse": env!("CARGO_PKG_VERSION"),
        "live_parts": b.live_parts,
        "superseded_parts": b.superseded_parts,
        "loads": b.loads,
        "alerts": b.alerts,
    });
    let stamp_path = to.join("BACKUP.json");
    io(
        &stamp_path,
        fs::write(
            &stamp_path,
            serde_json::to_vec_pretty(&stamp).unwrap_or_default(),
        ),
    )?;
    Ok(b)
}

/// Copies a file or a folder (pending uploads left out); the number of files copied.
fn copy_tree(from: &Path, to: &Path) -> Result<usize> {
    let meta = io(from, fs::symlink_metadata(from))?;
    if meta.is_file() {
        io(from, fs::copy(from, to))?;
        return Ok(1);
    }
    if !meta.is_dir() {
        return Ok(0);
    }
    if from.ends_with("uploads/pending") {
        return Ok(0);
    }
    io(to, fs::create_dir_all(to))?;
    let mut n = 0;
    for e in io(from, fs::read_dir(from))? {
        let e = io(from, e)?;
        n += copy_tree(&e.path(), &to.join(e.file_name()))?;
    }
    Ok(n)
}

/// One thing wrong with a data directory: where, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub what: String,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Verification {
    /// Live parts read, and how many of them had a checksum to compare.
    pub parts: usize,
    pub parts_with_checksum: usize,
    /// Live parts written before purse kept checksums: read and counted, not compared.
    pub parts_without_checksum: usize,
    /// Alert periods whose evidence was read, and alerts whose source rows were queried.
    pub evidence_read: usize,
    pub alerts_queried: usize,
    /// Evidence files (整改材料 of alerts and problem items) compared with their recorded SHA-256.
    pub evidence_files: usize,
    /// Damage: a restore from this directory would lose or change something.
    pub problems: Vec<Problem>,
    /// Worth knowing, not damage (a replaced part gone, a part from before checksums).
    pub notes: Vec<Problem>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem {
            what: what.into(),
            reason: reason.into(),
        });
    }
}

/// Checks the database and every part (see the module's doc). Alerts' evidence is checked by
/// [`verify_evidence`], which needs the query engine.
pub fn verify(data_dir: &Path) -> Result<Verification> {
    let mut v = Verification::default();
    let db_path = data_dir.join("purse.db");
    if !db_path.is_file() {
        return Err(PurseError::Invalid(format!(
            "{} is not a purse data directory (no purse.db)",
            data_dir.display()
        )));
    }
    let db = open_read_only(data_dir)?;
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if integrity != ["ok"] {
        v.problem(db_path.display().to_string(), integrity.join("; "));
    }
    for p in parts_of(&db)? {
        let live = data_dir.join("warehouse").join(&p.rel);
        if !p.active {
            if !live.is_file() && !data_dir.join("superseded").join(&p.rel).is_file() {
                v.notes.push(Problem {
                    what: p.rel.clone(),
                    reason: "a replaced part is gone: retracting the load that replaced it could not bring it back".into(),
                });
            }
            continue;
        }
        v.parts += 1;
        let shown = live.display().to_string();
        if !live.is_file() {
            v.problem(shown, "missing: the manifest says this part is live");
            continue;
        }
        match &p.sha256 {
            Some(want) => {
                v.parts_with_checksum += 1;
                match file_sha256(&live) {
                    Ok(got) if &got == want => {}
                    Ok(got) => {
                        v.problem(
                            shown.clone(),
                            format!("SHA-256 {got}, but {want} was recorded when it was written"),
                        );
                        continue;
                    }
                    Err(e) => {
                        v.problem(shown.clone(), format!("unreadable: {e}"));
                        continue;
                    }
                }
            }
            None => v.parts_without_checksum += 1,
        }
        match parquet_rows(&live) {
            Ok(n) if n == p.rows => {}
            Ok(n) => v.problem(
                shown,
                format!("{n} rows, but the manifest recorded {}", p.rows),
            ),
            Err(e) => v.problem(shown, format!("not a readable Parquet file: {e}")),
        }
    }
    verify_evidence_files(data_dir, &db, &mut v)?;
    Ok(v)
}

/// Every evidence file both workflows list, present with the SHA-256 recorded when it was kept.
fn verify_evidence_files(data_dir: &Path, db: &Connection, v: &mut Verification) -> Result<()> {
    let (alerts, problems) = (&crate::alerts::ALERTS, &crate::problems::PROBLEMS);
    for (table, key, item) in [
        (alerts.evidence, alerts.key, "alert"),
        (problems.evidence, problems.key, "problem"),
    ] {
        // A store never opened since evidence was added to it has no such table: nothing kept.
        let exists: bool = db.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        if !exists {
            continue;
        }
        let rows: Vec<(i64, String, String)> = db
            .prepare(&format!(
                "SELECT {key}, file, sha256 FROM {table} ORDER BY id"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, file, want) in rows {
            v.evidence_files += 1;
            let path = data_dir.join(&file);
            let what = format!("{} ({item} #{id}'s evidence)", path.display());
            match file_sha256(&path) {
                Ok(got) if got == want => {}
                Ok(got) => v.problem(
                    what,
                    format!("SHA-256 {got}, but {want} was recorded when it was kept"),
                ),
                Err(_) if !path.is_file() => v.problem(what, "missing: the workflow lists it"),
                Err(e) => v.problem(what, format!("unreadable: {e}")),
            }
        }
    }
    Ok(())
}

/// Every alert's stored evidence parsed, and the source rows behind each alert's latest
/// finding queried on the warehouse, as the alert page does.
pub async fn verify_evidence(
    data_dir: &Path,
    ctx: &datafusion::prelude::SessionContext,
    catalog: &crate::datasets::Catalog,
    rules: &crate::rules::RuleSet,
    v: &mut Verification,
) -> Result<()> {
    // purse.db is SQLite: read on the blocking pool, not on this async thread.
    let dir = data_dir.to_path_buf();
    let rows: Vec<(i64, String, String, String, Option<String>)> = crate::db::blocking(move || {
        let db = open_read_only(&dir)?;
        if count(&db, "alert_periods")? == 0 {
            return Ok::<_, PurseError>(vec![]);
        }
        let mut st = db.prepare(
            "SELECT p.alert_id, a.rule_id, p.period, p.evidence, p.evidence_rows
                 FROM alert_periods p JOIN alerts a ON a.id = p.alert_id
                 ORDER BY p.alert_id, p.period",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    })
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    type Evidence = BTreeMap<String, String>;
    let mut latest: BTreeMap<i64, (String, crate::common::Period, Evidence)> = BTreeMap::new();
    for (id, rule, period, evidence, evidence_rows) in rows {
        v.evidence_read += 1;
        let what = format!("alert #{id} ({rule}, {period})");
        let Ok(evidence) = serde_json::from_str::<Evidence>(&evidence) else {
            v.problem(
                &what,
                "its evidence is not readable (not a JSON object of text)",
            );
            continue;
        };
        if let Some(er) = evidence_rows
            && serde_json::from_str::<Vec<Evidence>>(&er).is_err()
        {
            v.problem(
                &what,
                "its evidence rows are not readable (not a JSON array of objects)",
            );
            continue;
        }
        let Ok(period) = period.parse() else {
            v.problem(&what, "its period is not a month (YYYY-MM)");
            continue;
        };
        latest.insert(id, (rule, period, evidence));
    }
    for (id, (rule_id, period, evidence)) in latest {
        // A rule no longer in the set (a deployment's removed rule): its stored evidence was
        // read above; there is no SQL to follow it to rows with.
        let Some(rule) = rules.get(&rule_id) else {
            continue;
        };
        v.alerts_queried += 1;
        if let Err(e) =
            crate::rules::explain::source_rows(ctx, catalog, rule, &evidence, period).await
        {
            v.problem(
                format!("alert #{id} ({rule_id}, {period})"),
                format!("its source rows cannot be read: {e}"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_never_goes_inside_the_directory_it_copies() {
        let d = tempfile::tempdir().unwrap();
        assert!(same_or_inside(&d.path().join("bk"), d.path()));
        assert!(same_or_inside(
            &d.path().join("a").join("b").join("bk"),
            d.path()
        ));
        assert!(same_or_inside(d.path(), d.path()));
        let other = tempfile::tempdir().unwrap();
        assert!(!same_or_inside(&other.path().join("bk"), d.path()));
    }
}
