//! The problem list (问题清单) and its rectification (整改清单): one list for every source (purse's
//! alerts, audit findings, deliberation opinions 审议意见, deputies' suggestions 代表建议,
//! inspections 执法检查 / 专题询问), each item followed through assignment (交办), the responsible
//! unit's response with its evidence, the committee's review (销号, or 退回 with a reason), and
//! satisfaction ratings (满意度测评). An unsatisfied rating reopens the item. Nothing is deleted:
//! every step is an event in the item's trail, evidence files are kept with their SHA-256.

use crate::common::Period;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{PurseError, Result};

pub mod sheet;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS problems (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,     -- alert | audit | deliberation | suggestion | inspection
    source_ref      TEXT NOT NULL,     -- alert id, finding key, document number
    source_document TEXT NOT NULL,
    title           TEXT NOT NULL,
    detail          TEXT NOT NULL,
    region_code     TEXT,
    unit            TEXT NOT NULL,     -- the responsible unit (责任单位)
    requirement     TEXT NOT NULL,     -- what rectification is asked (整改要求)
    due_date        TEXT NOT NULL,     -- YYYY-MM-DD
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (source, source_ref)
);
CREATE INDEX IF NOT EXISTS problems_unit ON problems(unit, status);
CREATE TABLE IF NOT EXISTS problem_events (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
);
CREATE TABLE IF NOT EXISTS problem_evidence (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    file        TEXT NOT NULL,     -- relative to DIR: evidence/{problem}/{sha256}-{name}
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS problem_ratings (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    rater       TEXT NOT NULL,
    rating      TEXT NOT NULL,     -- satisfied | basically | unsatisfied
    note        TEXT,
    at          TEXT NOT NULL
);
";

/// The store's migrations, in order: never edit one that has shipped, add a step.
/// A committee's rating of a unit's whole list for a period (满意度测评 of the unit).
const UNIT_RATINGS: &str = "
CREATE TABLE IF NOT EXISTS problem_unit_ratings (
    id      INTEGER PRIMARY KEY,
    unit    TEXT NOT NULL,
    period  TEXT NOT NULL,     -- YYYY-MM evaluated
    rater   TEXT NOT NULL,
    rating  TEXT NOT NULL,
    note    TEXT,
    at      TEXT NOT NULL
);
";

const MIGRATIONS: &[crate::db::Step] = &[
    crate::db::Step::Sql(SCHEMA),
    crate::db::Step::Sql(UNIT_RATINGS),
];

/// Where a problem item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ProblemSource)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A purse alert.
    Alert,
    /// An audit finding (审计查出问题).
    Audit,
    /// The committee's deliberation opinions (审议意见).
    Deliberation,
    /// A deputy's suggestion (代表建议).
    Suggestion,
    /// Law-enforcement inspection or special inquiry (执法检查 / 专题询问).
    Inspection,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Alert,
        Source::Audit,
        Source::Deliberation,
        Source::Suggestion,
        Source::Inspection,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Alert => "alert",
            Source::Audit => "audit",
            Source::Deliberation => "deliberation",
            Source::Suggestion => "suggestion",
            Source::Inspection => "inspection",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Source::Alert => "预警",
            Source::Audit => "审计查出问题",
            Source::Deliberation => "审议意见",
            Source::Suggestion => "代表建议",
            Source::Inspection => "执法检查/专题询问",
        }
    }
    /// Its name, its Chinese name, or the short forms lists use (审计, 审议, 代表建议, 执法检查,
    /// 专题询问, 预警 …).
    pub fn parse(s: &str) -> Option<Source> {
        let s = s.trim();
        Source::ALL
            .into_iter()
            .find(|x| x.as_str() == s || x.zh() == s)
            .or(match s {
                "审计" | "审计发现" | "审计查出" => Some(Source::Audit),
                "审议" | "常委会审议意见" => Some(Source::Deliberation),
                "建议" | "人大代表建议" => Some(Source::Suggestion),
                "执法检查" | "专题询问" | "检查" | "询问" => Some(Source::Inspection),
                "预警信息" => Some(Source::Alert),
                _ => None,
            })
    }
}

/// Where an item is in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ProblemStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// On the list, not yet handed to the unit (待交办).
    Open,
    /// Handed to the responsible unit with a requirement and a due date (已交办).
    Assigned,
    /// The unit has answered with its rectification and evidence (已反馈), awaiting review.
    Responded,
    /// Reviewed and sent back with a reason (退回): the unit answers again.
    SentBack,
    /// Accepted by the committee (已销号).
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Assigned => "assigned",
            Status::Responded => "responded",
            Status::SentBack => "sent_back",
            Status::Closed => "closed",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Status::Open => "待交办",
            Status::Assigned => "已交办",
            Status::Responded => "已反馈",
            Status::SentBack => "退回",
            Status::Closed => "已销号",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Open,
            Status::Assigned,
            Status::Responded,
            Status::SentBack,
            Status::Closed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A satisfaction rating (满意度测评).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ProblemRating)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    /// 满意
    Satisfied,
    /// 基本满意
    Basically,
    /// 不满意: the item is reopened (sent back to the unit).
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basically => "basically",
            Rating::Unsatisfied => "unsatisfied",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basically => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
    pub fn parse(s: &str) -> Option<Rating> {
        match s.trim() {
            "satisfied" | "满意" => Some(Rating::Satisfied),
            "basically" | "基本满意" => Some(Rating::Basically),
            "unsatisfied" | "不满意" => Some(Rating::Unsatisfied),
            _ => None,
        }
    }
}

/// A new item, as an analyst enters or imports it.
#[derive(Debug, Clone)]
pub struct NewProblem {
    pub source: Source,
    pub source_ref: String,
    pub source_document: String,
    pub title: String,
    pub detail: String,
    pub region_code: Option<String>,
    pub unit: String,
    pub requirement: String,
    pub due_date: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub id: i64,
    pub source: Source,
    pub source_ref: String,
    pub source_document: String,
    pub title: String,
    pub detail: String,
    pub region_code: Option<String>,
    pub unit: String,
    pub requirement: String,
    pub due_date: String,
    pub status: Status,
    /// Past its due date and not closed (as of the day asked).
    pub overdue: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A problem item's evidence file (the engine's, see [`crate::workflow::Evidence`]).
pub use crate::workflow::Evidence;

/// A step in the loop, with what it needs.
#[derive(Debug, Clone)]
pub enum Step {
    /// 交办: to the unit, with the requirement and due date as they stand (or changed).
    Assign {
        requirement: Option<String>,
        due: Option<chrono::NaiveDate>,
    },
    /// The unit's answer: what it did.
    Respond { text: String },
    /// 销号: the committee accepts the rectification.
    Accept { note: String },
    /// 退回: the committee sends it back, saying why.
    SendBack { reason: String },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Assign { .. } => "assign",
            Step::Respond { .. } => "respond",
            Step::Accept { .. } => "accept",
            Step::SendBack { .. } => "send_back",
        }
    }
}

impl crate::workflow::Status for Status {
    fn as_str(self) -> &'static str {
        Status::as_str(self)
    }
    fn zh(self) -> &'static str {
        Status::zh(self)
    }
}

impl crate::workflow::Step for Step {
    type Status = Status;
    fn name(&self) -> &'static str {
        Step::name(self)
    }
    /// The statuses the step may start from, and where it leads.
    fn transition(&self) -> (&'static [Status], Option<Status>) {
        let (from, to): (&'static [Status], Status) = match self {
            Step::Assign { .. } => (&[Status::Open], Status::Assigned),
            Step::Respond { .. } => (&[Status::Assigned, Status::SentBack], Status::Responded),
            Step::Accept { .. } => (&[Status::Responded], Status::Closed),
            Step::SendBack { .. } => (&[Status::Responded], Status::SentBack),
        };
        (from, Some(to))
    }
    fn incomplete(&self) -> Option<String> {
        let (what, text) = match self {
            Step::Respond { text } => ("the response", text),
            Step::SendBack { reason } => ("the reason for sending it back", reason),
            _ => return None,
        };
        text.trim()
            .is_empty()
            .then(|| format!("{what}: must not be empty"))
    }
    fn note(&self) -> Option<String> {
        match self {
            Step::Assign { requirement, due } => Some(format!(
                "{}{}",
                requirement.as_deref().unwrap_or(""),
                due.map(|d| format!(" (due {d})")).unwrap_or_default()
            ))
            .filter(|s| !s.trim().is_empty()),
            Step::Respond { text } => Some(text.clone()),
            Step::Accept { note } => Some(note.clone()).filter(|s| !s.trim().is_empty()),
            Step::SendBack { reason } => Some(reason.clone()),
        }
    }
}

/// The problem list's loop (闭环监督): open → assigned (交办) → responded (反馈) → closed (销号),
/// or sent back (退回) to respond again; a rating of unsatisfied reopens a closed item.
pub const PROBLEMS: crate::workflow::Workflow<Step> = crate::workflow::Workflow {
    table: "problems",
    trail: "problem_events",
    key: "problem_id",
    evidence: "problem_evidence",
    files: "evidence",
    steps: || {
        vec![
            Step::Assign {
                requirement: None,
                due: None,
            },
            Step::Respond {
                text: String::new(),
            },
            Step::Accept {
                note: String::new(),
            },
            Step::SendBack {
                reason: String::new(),
            },
        ]
    },
    refuse: |r| {
        format!(
            "cannot {} problem #{}: it is {} ({}); allowed now: {}",
            r.step,
            r.id,
            r.status.zh(),
            r.status.as_str(),
            if r.allowed.is_empty() {
                "nothing (closed)".to_string()
            } else {
                r.allowed.join(", ")
            }
        )
    },
};

/// An audit finding as the `audit_findings` dataset holds it (its latest period).
#[derive(Debug, Clone, Default)]
pub struct AuditFinding {
    pub region_code: Option<String>,
    pub report_name: String,
    pub finding_no: String,
    pub audited_entity: String,
    pub category: String,
    pub description: String,
    /// 涉及金额 in 元, as an exact decimal string.
    pub amount: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
    pub status: String,
}

/// The audit findings of a session (bounded or not), each in its latest period.
pub async fn audit_findings(
    ctx: &datafusion::prelude::SessionContext,
) -> Result<Vec<AuditFinding>> {
    let rows = crate::figures::fetch(
        ctx,
        "SELECT region_code, report_name, finding_no, audited_entity, category, description,
                CAST(amount AS VARCHAR), CAST(due_date AS VARCHAR), status
         FROM (SELECT *, row_number() OVER (PARTITION BY region_code, report_name, finding_no
                                            ORDER BY period DESC) AS latest
               FROM audit_findings) WHERE latest = 1
         ORDER BY region_code, report_name, finding_no",
        &[],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = |i: usize| r[i].text();
            AuditFinding {
                region_code: Some(t(0)).filter(|s| !s.is_empty()),
                report_name: t(1),
                finding_no: t(2),
                audited_entity: t(3),
                category: t(4),
                description: t(5),
                amount: Some(t(6)).filter(|s| !s.is_empty()),
                due_date: chrono::NaiveDate::parse_from_str(&t(7), "%Y-%m-%d").ok(),
                status: t(8),
            }
        })
        .collect())
}

/// The loop in one period, for the cockpit card and the monthly report.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct LoopSummary {
    /// The month summarised (YYYY-MM).
    pub period: String,
    /// Items not closed now, by where they stand.
    pub open: i64,
    pub assigned: i64,
    pub responded: i64,
    pub sent_back: i64,
    /// Not closed and past their due date (as of the day asked).
    pub overdue: i64,
    /// Put on the list in the month.
    pub opened_in_period: i64,
    /// Accepted (销号) in the month.
    pub closed_in_period: i64,
    /// Sent back (退回, including unsatisfied ratings) in the month.
    pub sent_back_in_period: i64,
    /// Ratings given in the month: 满意, 基本满意, 不满意.
    pub satisfied: i64,
    pub basically: i64,
    pub unsatisfied: i64,
    /// Per responsible unit: (unit, satisfied, basically, unsatisfied) in the month.
    pub by_unit: Vec<UnitRatings>,
}

/// One unit's ratings in a period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct UnitRatings {
    pub unit: String,
    pub satisfied: i64,
    pub basically: i64,
    pub unsatisfied: i64,
}

impl LoopSummary {
    /// Items not yet closed.
    pub fn not_closed(&self) -> i64 {
        self.open + self.assigned + self.responded + self.sent_back
    }
    /// Share of the month's ratings that were 满意 or 基本满意, in percent.
    pub fn satisfaction_pct(&self) -> Option<f64> {
        let n = self.satisfied + self.basically + self.unsatisfied;
        (n > 0).then(|| 100.0 * (self.satisfied + self.basically) as f64 / n as f64)
    }
}

/// Filters for listing items.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub unit: Option<String>,
    pub status: Option<Status>,
    pub source: Option<Source>,
    /// Only items past their due date and not closed, as of this day.
    pub overdue_on: Option<chrono::NaiveDate>,
}

pub struct ProblemStore {
    db: Connection,
    dir: std::path::PathBuf,
}

use crate::db::now;

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

const COLS: &str = "id, source, source_ref, source_document, title, detail, region_code, unit, \
    requirement, due_date, status, created_at, updated_at";

fn row(r: &rusqlite::Row, on: chrono::NaiveDate) -> rusqlite::Result<Problem> {
    let source: String = r.get(1)?;
    let status: String = r.get(10)?;
    let due: String = r.get(9)?;
    let status = Status::parse(&status).unwrap_or(Status::Open);
    let overdue = crate::workflow::overdue(Some(&due), status != Status::Closed, on);
    Ok(Problem {
        id: r.get(0)?,
        source: Source::parse(&source).unwrap_or(Source::Alert),
        source_ref: r.get(2)?,
        source_document: r.get(3)?,
        title: r.get(4)?,
        detail: r.get(5)?,
        region_code: r.get(6)?,
        unit: r.get(7)?,
        requirement: r.get(8)?,
        due_date: due,
        status,
        overdue,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

/// A trail entry in the problem list's statuses (see [`PROBLEMS`]).
fn event(
    tx: &Connection,
    id: i64,
    actor: &str,
    action: &str,
    from: Option<Status>,
    to: Option<Status>,
    note: Option<&str>,
) -> Result<()> {
    PROBLEMS.record(
        tx,
        id,
        actor,
        action,
        from.map(Status::as_str),
        to.map(Status::as_str),
        note,
    )
}

fn nonblank(what: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        Err(PurseError::Invalid(format!("{what}: must not be empty")))
    } else {
        Ok(())
    }
}

impl ProblemStore {
    pub fn open(data_dir: &Path) -> Result<ProblemStore> {
        Ok(ProblemStore {
            db: crate::db::open(data_dir, "problems", MIGRATIONS)?,
            dir: data_dir.to_path_buf(),
        })
    }

    /// Puts an item on the list. The same source and reference twice is the same item: the
    /// second time changes nothing and answers the existing one.
    pub fn add(&mut self, p: &NewProblem, actor: &str) -> Result<Problem> {
        for (what, v) in [
            ("source reference", &p.source_ref),
            ("title", &p.title),
            ("responsible unit", &p.unit),
            ("requirement", &p.requirement),
        ] {
            nonblank(what, v)?;
        }
        let tx = self.db.transaction()?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM problems WHERE source = ?1 AND source_ref = ?2",
                params![p.source.as_str(), p.source_ref.trim()],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let at = now();
                tx.execute(
                    "INSERT INTO problems (source, source_ref, source_document, title, detail,
                         region_code, unit, requirement, due_date, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10)",
                    params![
                        p.source.as_str(),
                        p.source_ref.trim(),
                        p.source_document.trim(),
                        p.title.trim(),
                        p.detail.trim(),
                        p.region_code,
                        p.unit.trim(),
                        p.requirement.trim(),
                        p.due_date.to_string(),
                        at
                    ],
                )?;
                let id = tx.last_insert_rowid();
                event(&tx, id, actor, "add", None, Some(Status::Open), None)?;
                id
            }
        };
        tx.commit()?;
        self.get(id)
    }

    /// An item, with `overdue` as of today.
    /// The item with this source and reference, if the list has one.
    pub fn find(&self, source: Source, source_ref: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_row(
                "SELECT id FROM problems WHERE source = ?1 AND source_ref = ?2",
                params![source.as_str(), source_ref.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn get(&self, id: i64) -> Result<Problem> {
        self.get_on(id, today())
    }

    pub fn get_on(&self, id: i64, on: chrono::NaiveDate) -> Result<Problem> {
        self.db
            .query_row(
                &format!("SELECT {COLS} FROM problems WHERE id = ?1"),
                params![id],
                |r| row(r, on),
            )
            .optional()?
            .ok_or_else(|| PurseError::NotFound(format!("no problem item #{id}")))
    }

    /// Items by filter, overdue first, then by due date; `overdue` as of `on`.
    pub fn list(&self, f: &Filter, on: chrono::NaiveDate) -> Result<Vec<Problem>> {
        let mut st = self.db.prepare(&format!(
            "SELECT {COLS} FROM problems
             WHERE (?1 IS NULL OR unit = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR source = ?3)
             ORDER BY due_date, id"
        ))?;
        let v = st
            .query_map(
                params![
                    f.unit.as_deref(),
                    f.status.map(Status::as_str),
                    f.source.map(Source::as_str)
                ],
                |r| row(r, f.overdue_on.unwrap_or(on)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut v: Vec<Problem> = v
            .into_iter()
            .filter(|p| f.overdue_on.is_none() || p.overdue)
            .collect();
        v.sort_by_key(|p| !p.overdue);
        Ok(v)
    }

    /// Takes a step, refusing one the item's status does not allow with what is allowed now.
    pub fn step(&mut self, id: i64, step: &Step, actor: &str) -> Result<Problem> {
        let p = self.get(id)?;
        PROBLEMS.check(id, p.status, step)?;
        let tx = self.db.transaction()?;
        // What is the item's own: its requirement and due date, as 交办 restates them.
        if let Step::Assign { requirement, due } = step {
            if let Some(r) = requirement.as_deref().filter(|r| !r.trim().is_empty()) {
                tx.execute(
                    "UPDATE problems SET requirement = ?2 WHERE id = ?1",
                    params![id, r.trim()],
                )?;
            }
            if let Some(d) = due {
                tx.execute(
                    "UPDATE problems SET due_date = ?2 WHERE id = ?1",
                    params![id, d.to_string()],
                )?;
            }
        }
        PROBLEMS.apply(&tx, id, actor, step, p.status)?;
        tx.commit()?;
        self.get(id)
    }

    /// Keeps an evidence file under `DIR/evidence/{id}/` named by its hash, and lists it in the
    /// item's trail. The same bytes twice are one file.
    pub fn add_evidence(
        &mut self,
        id: i64,
        name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<Evidence> {
        self.get(id)?;
        PROBLEMS.keep_evidence(&mut self.db, &self.dir, id, name, bytes, actor)
    }

    pub fn evidence(&self, id: i64) -> Result<Vec<Evidence>> {
        PROBLEMS.evidence(&self.db, id)
    }

    /// One evidence file of item `id`, with its bytes.
    pub fn evidence_file(&self, id: i64, eid: i64) -> Result<(Evidence, Vec<u8>)> {
        PROBLEMS.evidence_file(&self.db, &self.dir, id, eid)
    }

    /// A committee member's rating of a closed item. 不满意 reopens it: sent back to the unit,
    /// with the rating as the reason.
    pub fn rate(
        &mut self,
        id: i64,
        rating: Rating,
        note: Option<&str>,
        rater: &str,
    ) -> Result<Problem> {
        let p = self.get(id)?;
        if p.status != Status::Closed {
            return Err(PurseError::Conflict(format!(
                "problem #{id} is {} ({}): only a closed item (已销号) is rated",
                p.status.zh(),
                p.status.as_str()
            )));
        }
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO problem_ratings (problem_id, rater, rating, note, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, rater, rating.as_str(), note, now()],
        )?;
        event(
            &tx,
            id,
            rater,
            "rate",
            None,
            None,
            Some(&format!(
                "{}{}",
                rating.as_str(),
                note.map(|n| format!(": {n}")).unwrap_or_default()
            )),
        )?;
        if rating == Rating::Unsatisfied {
            PROBLEMS.set_status(&tx, id, Status::SentBack)?;
            event(
                &tx,
                id,
                rater,
                "reopen",
                Some(Status::Closed),
                Some(Status::SentBack),
                Some("rated unsatisfied (不满意)"),
            )?;
        }
        tx.commit()?;
        self.get(id)
    }

    /// A committee member's rating of a unit's whole list for a period (YYYY-MM). Nothing is
    /// reopened by it (items are reopened by their own ratings); it counts in the unit's
    /// satisfaction for that period.
    pub fn rate_unit(
        &mut self,
        unit: &str,
        period: Period,
        rating: Rating,
        note: Option<&str>,
        rater: &str,
    ) -> Result<()> {
        let known: bool = self.db.query_row(
            "SELECT count(*) > 0 FROM problems WHERE unit = ?1",
            params![unit.trim()],
            |r| r.get(0),
        )?;
        if !known {
            return Err(PurseError::NotFound(format!(
                "no problem item names `{unit}` as its responsible unit"
            )));
        }
        self.db.execute(
            "INSERT INTO problem_unit_ratings (unit, period, rater, rating, note, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![unit.trim(), period, rater, rating.as_str(), note, now()],
        )?;
        Ok(())
    }

    /// Ratings per unit: (unit, satisfied, basically, unsatisfied), units in order.
    pub fn satisfaction_by_unit(&self) -> Result<Vec<(String, i64, i64, i64)>> {
        let mut st = self.db.prepare(
            "SELECT p.unit,
                    sum(r.rating = 'satisfied'), sum(r.rating = 'basically'),
                    sum(r.rating = 'unsatisfied')
             FROM problem_ratings r JOIN problems p ON p.id = r.problem_id
             GROUP BY p.unit ORDER BY p.unit",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// The loop in `period` (YYYY-MM) over the items `visible` lets through; `overdue` as of `on`.
    pub fn summary(
        &self,
        period: Period,
        on: chrono::NaiveDate,
        visible: impl Fn(&Problem) -> bool,
    ) -> Result<LoopSummary> {
        let items: Vec<Problem> = self
            .list(&Filter::default(), on)?
            .into_iter()
            .filter(|p| visible(p))
            .collect();
        let ids: std::collections::HashSet<i64> = items.iter().map(|p| p.id).collect();
        let mut s = LoopSummary {
            period: period.to_string(),
            ..Default::default()
        };
        for p in &items {
            match p.status {
                Status::Open => s.open += 1,
                Status::Assigned => s.assigned += 1,
                Status::Responded => s.responded += 1,
                Status::SentBack => s.sent_back += 1,
                Status::Closed => {}
            }
            s.overdue += p.overdue as i64;
        }
        let month = format!("{period}-%");
        let mut st = self
            .db
            .prepare("SELECT problem_id, action, to_status FROM problem_events WHERE at LIKE ?1")?;
        let rows = st
            .query_map(params![month], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, action, to) in rows {
            if !ids.contains(&id) {
                continue;
            }
            match action.as_str() {
                "add" => s.opened_in_period += 1,
                "accept" => s.closed_in_period += 1,
                _ if to.as_deref() == Some("sent_back") => s.sent_back_in_period += 1,
                _ => {}
            }
        }
        let mut st = self.db.prepare(
            "SELECT r.problem_id, p.unit, r.rating FROM problem_ratings r
             JOIN problems p ON p.id = r.problem_id WHERE r.at LIKE ?1 ORDER BY p.unit",
        )?;
        let rows = st
            .query_map(params![month], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let units: std::collections::HashSet<&str> =
            items.iter().map(|p| p.unit.as_str()).collect();
        let mut st = self.db.prepare(
            "SELECT unit, rating FROM problem_unit_ratings WHERE period = ?1 ORDER BY unit",
        )?;
        let unit_rows = st
            .query_map(params![period], |r| {
                Ok((-1i64, r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut rows: Vec<(i64, String, String)> = rows
            .into_iter()
            .filter(|(id, _, _)| ids.contains(id))
            .chain(
                unit_rows
                    .into_iter()
                    .filter(|(_, u, _)| units.contains(u.as_str())),
            )
            .collect();
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        for (_, unit, rating) in rows {
            if s.by_unit.last().is_none_or(|u| u.unit != unit) {
                s.by_unit.push(UnitRatings {
                    unit,
                    ..Default::default()
                });
            }
            let Some(u) = s.by_unit.last_mut() else {
                continue;
            };
            match Rating::parse(&rating) {
                Some(Rating::Satisfied) => {
                    s.satisfied += 1;
                    u.satisfied += 1
                }
                Some(Rating::Basically) => {
                    s.basically += 1;
                    u.basically += 1
                }
                Some(Rating::Unsatisfied) => {
                    s.unsatisfied += 1;
                    u.unsatisfied += 1
                }
                None => {}
            }
        }
        Ok(s)
    }

    /// The item's trail, oldest first.
    pub fn events(&self, id: i64) -> Result<Vec<crate::workflow::Event>> {
        PROBLEMS.trail(&self.db, id)
    }

    /// Puts purse's open alerts on the list (source `alert`, reference the alert id), with the
    /// alert's owner as the unit when it has one (else its department), and its due date (else
    /// `default_due`). Alerts already on the list are left as they are. Answers how many were added.
    pub fn import_alerts(
        &mut self,
        alerts: &crate::alerts::AlertStore,
        default_due: chrono::NaiveDate,
        actor: &str,
    ) -> Result<usize> {
        let open = alerts.list(&crate::alerts::Filter {
            open: true,
            ..Default::default()
        })?;
        self.import_alert_list(&open, default_due, actor)
    }

    /// Puts audit findings (审计查出问题, from the `audit_findings` dataset) on the list: each
    /// finding once (source `audit`, reference `report|number`), its audited entity as the
    /// responsible unit, its own due date (else `default_due`). Findings already rectified
    /// (已整改) are left off. Answers how many were added.
    pub fn import_audit(
        &mut self,
        findings: &[AuditFinding],
        default_due: chrono::NaiveDate,
        actor: &str,
    ) -> Result<usize> {
        let mut added = 0;
        for f in findings {
            if f.status.trim() == "已整改" || f.audited_entity.trim().is_empty() {
                continue;
            }
            let source_ref = format!("{}|{}", f.report_name.trim(), f.finding_no.trim());
            let known: bool = self.db.query_row(
                "SELECT count(*) > 0 FROM problems WHERE source = 'audit' AND source_ref = ?1",
                params![source_ref],
                |r| r.get(0),
            )?;
            if known {
                continue;
            }
            let title = if f.category.trim().is_empty() {
                f.description.chars().take(40).collect()
            } else {
                f.category.trim().to_string()
            };
            let detail = match &f.amount {
                Some(a) => format!("{}（涉及金额 {a} 元）", f.description.trim()),
                None => f.description.trim().to_string(),
            };
            self.add(
                &NewProblem {
                    source: Source::Audit,
                    source_ref,
                    source_document: f.report_name.trim().to_string(),
                    title,
                    detail,
                    region_code: f.region_code.clone(),
                    unit: f.audited_entity.trim().to_string(),
                    requirement: "按审计报告要求整改，反馈整改情况及佐证材料".into(),
                    due_date: f.due_date.unwrap_or(default_due),
                },
                actor,
            )?;
            added += 1;
        }
        Ok(added)
    }

    /// [`Self::import_alerts`] for alerts already listed (a bounded user's open alerts).
    pub fn import_alert_list(
        &mut self,
        open: &[crate::alerts::Alert],
        default_due: chrono::NaiveDate,
        actor: &str,
    ) -> Result<usize> {
        let mut added = 0;
        for a in open {
            let known: bool = self.db.query_row(
                "SELECT count(*) > 0 FROM problems WHERE source = 'alert' AND source_ref = ?1",
                params![a.id.to_string()],
                |r| r.get(0),
            )?;
            if known {
                continue;
            }
            let unit = a
                .owner
                .clone()
                .or_else(|| a.dept_name.clone())
                .unwrap_or_else(|| a.subject.clone());
            let due = a
                .due_date
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .unwrap_or(default_due);
            self.add(
                &NewProblem {
                    source: Source::Alert,
                    source_ref: a.id.to_string(),
                    source_document: format!("purse {} ({})", a.rule_id, a.last_period),
                    title: a.title.clone(),
                    detail: a.message_zh.clone(),
                    region_code: a.region_code.clone(),
                    unit,
                    requirement: "按预警整改并反馈整改情况及佐证材料".into(),
                    due_date: due,
                },
                actor,
            )?;
            added += 1;
        }
        Ok(added)
    }
}
