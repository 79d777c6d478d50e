//! One workflow engine for everything purse follows up: alerts (新预警 → 整改 → 销号) and problem
//! items (交办 → 反馈 → 销号 or 退回) are two workflows of it. The engine owns what they share: a
//! status machine (which steps may start from which status, and where each leads), refusals
//! that name what is allowed instead, the item's status moved and the step written to its trail
//! (who, when, from, to, note) in one transaction, the trail read back, evidence files kept by
//! their hash and listed in the trail, and when an item is overdue. Each workflow keeps only what
//! is its own: its statuses and steps, the columns a step also sets (an alert's owner, a
//! problem's requirement), when it takes evidence, and the wording of its refusals.

use std::path::Path;

use rusqlite::{Connection, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::now;
use crate::error::{PurseError, Result};

/// A status of a workflow: its stored spelling and its Chinese label.
pub trait Status: Copy + Eq + 'static {
    fn as_str(self) -> &'static str;
    fn zh(self) -> &'static str;
}

/// A step of a workflow, with what it carries.
pub trait Step {
    type Status: Status;
    /// Its stored name (`ack`, `respond` …).
    fn name(&self) -> &'static str;
    /// The statuses it may start from, and where it leads (`None`: the status stays, as for a
    /// comment).
    fn transition(&self) -> (&'static [Self::Status], Option<Self::Status>);
    /// What its trail entry notes.
    fn note(&self) -> Option<String>;
    /// Why it cannot be taken as given (a text it needs is blank), in the workflow's words.
    fn incomplete(&self) -> Option<String>;
}

/// A step refused because of the item's status: what a workflow words its refusal from.
pub struct Refusal<'a, S: Status> {
    pub id: i64,
    pub step: &'static str,
    pub status: S,
    /// The statuses the step may start from.
    pub needs: &'a [S],
    /// The steps the status allows.
    pub allowed: Vec<&'static str>,
}

/// A step in an item's trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

impl Event {
    /// From `SELECT at, actor, action, from_status, to_status, note` of a trail table.
    pub fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Event> {
        Ok(Event {
            at: r.get(0)?,
            actor: r.get(1)?,
            action: r.get(2)?,
            from_status: r.get(3)?,
            to_status: r.get(4)?,
            note: r.get(5)?,
        })
    }
}

/// A file kept as an item's evidence (a rectification report, a payment voucher): stored once
/// under its hash, listed with who gave it and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = EvidenceFile)]
pub struct Evidence {
    pub id: i64,
    /// Where it is kept, relative to the data directory.
    pub file: String,
    pub name: String,
    pub sha256: String,
    pub bytes: i64,
    pub actor: String,
    pub at: String,
}

/// One workflow: where its items, their trail and their evidence live in `purse.db`, every step
/// it knows, and how it words a refusal.
pub struct Workflow<S: Step + 'static> {
    /// The items' table, with `id`, `status` and `updated_at` columns.
    pub table: &'static str,
    /// The trail's table: (`key`, at, actor, action, from_status, to_status, note).
    pub trail: &'static str,
    /// The trail's column naming the item (also the evidence table's).
    pub key: &'static str,
    /// The evidence table: (`key`, file, name, sha256, bytes, actor, at).
    pub evidence: &'static str,
    /// The folder under the data directory where evidence files are kept, one folder per item.
    pub files: &'static str,
    /// Every step once (what they carry does not matter): what a status allows is read from
    /// their transitions.
    pub steps: fn() -> Vec<S>,
    pub refuse: fn(&Refusal<'_, S::Status>) -> String,
}

impl<S: Step + 'static> Workflow<S> {
    /// The names of the steps `status` allows, in the workflow's order.
    pub fn allowed(&self, status: S::Status) -> Vec<&'static str> {
        (self.steps)()
            .iter()
            .filter(|s| s.transition().0.contains(&status))
            .map(|s| s.name())
            .collect()
    }

    /// Where `step` leads item `id` from `status`, or why it may not be taken: a status that
    /// does not allow it is a conflict, a step missing its text is invalid.
    pub fn check(&self, id: i64, status: S::Status, step: &S) -> Result<S::Status> {
        let (from, to) = step.transition();
        if !from.contains(&status) {
            return Err(PurseError::Conflict((self.refuse)(&Refusal {
                id,
                step: step.name(),
                status,
                needs: from,
                allowed: self.allowed(status),
            })));
        }
        if let Some(why) = step.incomplete() {
            return Err(PurseError::Invalid(why));
        }
        Ok(to.unwrap_or(status))
    }

    /// Takes a checked step inside the caller's transaction (which also writes what is the
    /// item's own): the status moved when the step moves it, and the trail written.
    pub fn apply(
        &self,
        tx: &Connection,
        id: i64,
        actor: &str,
        step: &S,
        from: S::Status,
    ) -> Result<()> {
        let to = step.transition().1;
        if let Some(to) = to {
            self.set_status(tx, id, to)?;
        }
        self.record(
            tx,
            id,
            actor,
            step.name(),
            Some(from.as_str()),
            Some(to.unwrap_or(from).as_str()),
            step.note().as_deref(),
        )
    }

    /// Moves an item's status without a step of the machine (the rules clearing an alert, a
    /// rating reopening an item): the caller writes its trail entry with [`Workflow::record`].
    pub fn set_status(&self, tx: &Connection, id: i64, to: S::Status) -> Result<()> {
        tx.execute(
            &format!(
                "UPDATE {} SET status = ?2, updated_at = ?3 WHERE id = ?1",
                self.table
            ),
            params![id, to.as_str(), now()],
        )?;
        Ok(())
    }

    /// Writes one entry of an item's trail.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        tx: &Connection,
        id: i64,
        actor: &str,
        action: &str,
        from: Option<&str>,
        to: Option<&str>,
        note: Option<&str>,
    ) -> Result<()> {
        tx.execute(
            &format!(
                "INSERT INTO {} ({}, at, actor, action, from_status, to_status, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                self.trail, self.key
            ),
            params![id, now(), actor, action, from, to, note],
        )?;
        Ok(())
    }

    /// Keeps `bytes` as evidence of item `id`: the file under `DIR/{files}/{id}/`, named by its
    /// hash and a safe form of `name` (no folders, no characters a file system refuses; the same
    /// bytes twice are one file), listed, and noted in the trail, in one transaction. An empty
    /// file is refused: it proves nothing. Whether the item may take evidence now is the
    /// caller's to decide.
    pub fn keep_evidence(
        &self,
        db: &mut Connection,
        dir: &Path,
        id: i64,
        name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<Evidence> {
        if bytes.is_empty() {
            return Err(PurseError::Invalid(format!("{name}: the file is empty")));
        }
        let sha = crate::hex(&Sha256::digest(bytes));
        let safe = safe_name(name);
        let rel = format!("{}/{id}/{}-{safe}", self.files, &sha[..16]);
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| PurseError::io(parent, e))?;
        }
        if !path.exists() {
            // Written aside, then renamed: a crash leaves no half file under the listed name.
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, bytes).map_err(|e| PurseError::io(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| PurseError::io(&path, e))?;
        }
        let tx = db.transaction()?;
        let at = now();
        tx.execute(
            &format!(
                "INSERT INTO {} ({}, file, name, sha256, bytes, actor, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                self.evidence, self.key
            ),
            params![id, rel, safe, sha, bytes.len() as i64, actor, at],
        )?;
        let eid = tx.last_insert_rowid();
        self.record(
            &tx,
            id,
            actor,
            "evidence",
            None,
            None,
            Some(&format!("{safe} sha256:{sha}")),
        )?;
        tx.commit()?;
        Ok(Evidence {
            id: eid,
            file: rel,
            name: safe,
            sha256: sha,
            bytes: bytes.len() as i64,
            actor: actor.to_string(),
            at,
        })
    }

    /// An item's evidence files, oldest first.
    pub fn evidence(&self, db: &Connection, id: i64) -> Result<Vec<Evidence>> {
        let mut st = db.prepare(&format!(
            "SELECT id, file, name, sha256, bytes, actor, at FROM {} WHERE {} = ?1 ORDER BY id",
            self.evidence, self.key
        ))?;
        let v = st
            .query_map(params![id], |r| {
                Ok(Evidence {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    name: r.get(2)?,
                    sha256: r.get(3)?,
                    bytes: r.get(4)?,
                    actor: r.get(5)?,
                    at: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// One evidence file of item `id` with its bytes, read from under `dir`.
    pub fn evidence_file(
        &self,
        db: &Connection,
        dir: &Path,
        id: i64,
        eid: i64,
    ) -> Result<(Evidence, Vec<u8>)> {
        let e = self
            .evidence(db, id)?
            .into_iter()
            .find(|e| e.id == eid)
            .ok_or_else(|| PurseError::NotFound(format!("no evidence #{eid} on #{id}")))?;
        let path = dir.join(&e.file);
        let bytes = std::fs::read(&path).map_err(|err| PurseError::io(&path, err))?;
        Ok((e, bytes))
    }

    /// An item's trail, oldest first.
    pub fn trail(&self, db: &Connection, id: i64) -> Result<Vec<Event>> {
        let mut st = db.prepare(&format!(
            "SELECT at, actor, action, from_status, to_status, note FROM {} WHERE {} = ?1 ORDER BY id",
            self.trail, self.key
        ))?;
        let v = st
            .query_map(params![id], Event::from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}

/// A file name as given by an upload, made safe to keep: its last path component, without
/// control characters, characters file systems refuse, or leading dots; "evidence" if nothing
/// is left.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let safe: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "evidence".into()
    } else {
        safe.to_string()
    }
}

/// Whether an item due on `due` (`YYYY-MM-DD`) and still open is overdue on `on`: due before
/// that day. No due date, or one that does not parse, is never overdue.
pub fn overdue(due: Option<&str>, open: bool, on: chrono::NaiveDate) -> bool {
    open && due
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|d| d < on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Light {
        Red,
        Green,
    }
    impl Status for Light {
        fn as_str(self) -> &'static str {
            match self {
                Light::Red => "red",
                Light::Green => "green",
            }
        }
        fn zh(self) -> &'static str {
            match self {
                Light::Red => "红",
                Light::Green => "绿",
            }
        }
    }
    enum Go {
        Go,
        Say(String),
    }
    impl Step for Go {
        type Status = Light;
        fn name(&self) -> &'static str {
            match self {
                Go::Go => "go",
                Go::Say(_) => "say",
            }
        }
        fn transition(&self) -> (&'static [Light], Option<Light>) {
            match self {
                Go::Go => (&[Light::Red], Some(Light::Green)),
                Go::Say(_) => (&[Light::Red, Light::Green], None),
            }
        }
        fn note(&self) -> Option<String> {
            match self {
                Go::Go => None,
                Go::Say(s) => Some(s.clone()),
            }
        }
        fn incomplete(&self) -> Option<String> {
            matches!(self, Go::Say(s) if s.trim().is_empty()).then(|| "say what?".into())
        }
    }
    const LIGHTS: Workflow<Go> = Workflow {
        table: "lights",
        trail: "light_events",
        key: "light_id",
        evidence: "light_evidence",
        files: "evidence/lights",
        steps: || vec![Go::Go, Go::Say(String::new())],
        refuse: |r| {
            format!(
                "cannot {} light #{}: it is {}; allowed now: {}",
                r.step,
                r.id,
                r.status.zh(),
                r.allowed.join(", ")
            )
        },
    };

    /// A step moves the status and writes the trail in one go; a step its status does not
    /// allow is refused in the workflow's words with what is allowed; a step without its text
    /// is invalid; a comment leaves the status where it is.
    #[test]
    fn steps_move_refuse_and_leave_a_trail() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE lights(id INTEGER PRIMARY KEY, status TEXT, updated_at TEXT);
             CREATE TABLE light_events(id INTEGER PRIMARY KEY, light_id INTEGER, at TEXT,
               actor TEXT, action TEXT, from_status TEXT, to_status TEXT, note TEXT);
             INSERT INTO lights VALUES (1, 'red', '');",
        )
        .unwrap();
        assert_eq!(LIGHTS.allowed(Light::Red), ["go", "say"]);
        assert_eq!(LIGHTS.allowed(Light::Green), ["say"]);
        assert_eq!(LIGHTS.check(1, Light::Red, &Go::Go).unwrap(), Light::Green);
        LIGHTS.apply(&db, 1, "ann", &Go::Go, Light::Red).unwrap();
        let e = LIGHTS.check(1, Light::Green, &Go::Go).unwrap_err();
        assert!(matches!(e, PurseError::Conflict(_)));
        assert_eq!(
            e.to_string(),
            "cannot go light #1: it is 绿; allowed now: say"
        );
        let e = LIGHTS
            .check(1, Light::Green, &Go::Say(" ".into()))
            .unwrap_err();
        assert!(matches!(e, PurseError::Invalid(_)));
        assert_eq!(e.to_string(), "say what?");
        let say = Go::Say("ok".into());
        assert_eq!(LIGHTS.check(1, Light::Green, &say).unwrap(), Light::Green);
        LIGHTS.apply(&db, 1, "bo", &say, Light::Green).unwrap();
        let status: String = db
            .query_row("SELECT status FROM lights WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(status, "green");
        let trail: Vec<String> = LIGHTS
            .trail(&db, 1)
            .unwrap()
            .into_iter()
            .map(|e| {
                format!(
                    "{} {} {:?}→{:?} {:?}",
                    e.actor, e.action, e.from_status, e.to_status, e.note
                )
            })
            .collect();
        assert_eq!(
            trail,
            [
                r#"ann go Some("red")→Some("green") None"#,
                r#"bo say Some("green")→Some("green") Some("ok")"#,
            ]
        );
    }

    /// Evidence is kept under the workflow's folder by its hash with a safe name, listed, and
    /// noted in the trail; the same bytes twice are one file listed twice.
    #[test]
    fn evidence_is_kept_by_hash_listed_and_noted() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE light_events(id INTEGER PRIMARY KEY, light_id INTEGER, at TEXT,
               actor TEXT, action TEXT, from_status TEXT, to_status TEXT, note TEXT);
             CREATE TABLE light_evidence(id INTEGER PRIMARY KEY, light_id INTEGER, file TEXT,
               name TEXT, sha256 TEXT, bytes INTEGER, actor TEXT, at TEXT);",
        )
        .unwrap();
        // sha256("abc"), the FIPS 180-2 example.
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let e = LIGHTS
            .keep_evidence(&mut db, dir.path(), 3, "..\\C:/.凭证?.txt", b"abc", "ann")
            .unwrap();
        assert_eq!(e.name, "凭证.txt");
        assert_eq!(e.file, format!("evidence/lights/3/{}-凭证.txt", &sha[..16]));
        assert_eq!((e.sha256.as_str(), e.bytes), (sha, 3));
        assert_eq!(std::fs::read(dir.path().join(&e.file)).unwrap(), b"abc");
        let again = LIGHTS
            .keep_evidence(&mut db, dir.path(), 3, "凭证.txt", b"abc", "bo")
            .unwrap();
        assert_eq!(again.file, e.file, "the same bytes are one file");
        let files = std::fs::read_dir(dir.path().join("evidence/lights/3"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "and no half-written file is left beside it");
        let listed: Vec<String> = LIGHTS
            .evidence(&db, 3)
            .unwrap()
            .into_iter()
            .map(|e| e.actor)
            .collect();
        assert_eq!(listed, ["ann", "bo"]);
        assert!(LIGHTS.evidence(&db, 4).unwrap().is_empty());
        let (got, bytes) = LIGHTS.evidence_file(&db, dir.path(), 3, again.id).unwrap();
        assert_eq!(
            (got.actor.as_str(), bytes.as_slice()),
            ("bo", b"abc".as_slice())
        );
        assert!(matches!(
            LIGHTS.evidence_file(&db, dir.path(), 4, again.id),
            Err(PurseError::NotFound(_))
        ));
        let trail = LIGHTS.trail(&db, 3).unwrap();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[0].action, "evidence");
        assert_eq!(
            trail[0].note.as_deref(),
            Some(format!("凭证.txt sha256:{sha}").as_str())
        );
        assert_eq!(
            (
                trail[0].from_status.as_deref(),
                trail[0].to_status.as_deref()
            ),
            (None, None)
        );
    }

    #[test]
    fn overdue_is_open_and_due_before_the_day() {
        let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert!(overdue(Some("2026-03-30"), true, on));
        assert!(
            !overdue(Some("2026-03-31"), true, on),
            "due today is not late"
        );
        assert!(!overdue(Some("2026-03-30"), false, on), "closed");
        assert!(!overdue(None, true, on));
        assert!(!overdue(Some("soon"), true, on));
    }
}
