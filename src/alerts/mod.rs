//! Alerts: each finding becomes an alert with a stable fingerprint (rule + key), its evidence
//! month by month, a lifecycle (new → acknowledged → rectifying → closed, or dismissed; resolved
//! when the data no longer shows it) and an audit trail of every change. Runs are recorded so the
//! history can be charted and month-over-month changes reported.

pub mod highlights;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::common::period::Period;
use crate::error::{PurseError, Result};
use crate::rules::ParamValue;
use crate::rules::runner::{Outcome, RuleRun};
use crate::rules::{FindingKind, Rule};
use crate::workflow::Event;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS alerts(
    id           INTEGER PRIMARY KEY,
    fingerprint  TEXT NOT NULL UNIQUE,
    rule_id      TEXT NOT NULL,
    alert_key    TEXT NOT NULL,
    category     TEXT NOT NULL,
    title        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    dept_name    TEXT,
    agency_code  TEXT,
    level        TEXT NOT NULL,
    status       TEXT NOT NULL,
    region_code  TEXT,
    first_period TEXT NOT NULL,
    last_period  TEXT NOT NULL,
    months_open  INTEGER NOT NULL,
    value        TEXT,
    expected     TEXT,
    difference   TEXT,
    message_zh   TEXT NOT NULL,
    message_en   TEXT NOT NULL,
    owner        TEXT,
    due_date     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id, status);
CREATE TABLE IF NOT EXISTS alert_periods(
    alert_id   INTEGER NOT NULL REFERENCES alerts(id),
    period     TEXT NOT NULL,
    run_id     INTEGER NOT NULL,
    level      TEXT NOT NULL,
    value      TEXT,
    expected   TEXT,
    difference TEXT,
    message_zh TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    PRIMARY KEY (alert_id, period)
);
CREATE TABLE IF NOT EXISTS alert_events(
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
);
CREATE TABLE IF NOT EXISTS runs(
    id           INTEGER PRIMARY KEY,
    period       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    rules_run    INTEGER NOT NULL,
    rows_scanned INTEGER NOT NULL,
    findings     INTEGER NOT NULL,
    new_alerts   INTEGER NOT NULL,
    continuing   INTEGER NOT NULL,
    resolved     INTEGER NOT NULL,
    by_level     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_rules(
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    rule_id      TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    rows_scanned INTEGER NOT NULL,
    findings     INTEGER NOT NULL
);
"#;

/// Columns added after the first release: (table, column, definition). Added to an older
/// `purse.db` when it is opened, so a deployment keeps its alerts across the upgrade.
const ADDED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS rule_sql(
    sha TEXT PRIMARY KEY,   -- SHA-256 of the text: each version of a rule's SQL is kept once
    sql TEXT NOT NULL
);
";

const ADDED_COLUMNS: [(&str, &str, &str); 8] = [
    ("alerts", "region_code", "TEXT"),
    ("runs", "not_evaluated", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "held", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "cleared", "INTEGER NOT NULL DEFAULT 0"),
    ("run_rules", "status", "TEXT NOT NULL DEFAULT 'evaluated'"),
    ("run_rules", "reason", "TEXT"),
    ("run_rules", "params", "TEXT"),
    ("run_rules", "sql_sha", "TEXT"),
];

/// Tables and columns added after the first release, for databases from before migrations were
/// recorded (the columns may be there already).
fn added_in_0_2(db: &Connection) -> Result<()> {
    db.execute_batch(ADDED_TABLES)?;
    for (table, col, def) in ADDED_COLUMNS {
        crate::db::add_column(db, table, col, def)?;
    }
    Ok(())
}

/// The term a finding belongs to (its fiscal year, quarter or month, from the rule's `basis`;
/// NULL on alerts stored before terms, whose term is read off their last period), and a
/// finding's evidence rows (JSON array; NULL where the finding is its one output row).
fn added_terms(db: &Connection) -> Result<()> {
    crate::db::add_column(db, "alerts", "term", "TEXT")?;
    crate::db::add_column(db, "alert_periods", "evidence_rows", "TEXT")?;
    Ok(())
}

/// Step 4: the period whose run found a state alert gone (`resolved_in`): a finding seen again
/// reopens it only on data at least that new.
fn added_resolved_in(db: &Connection) -> Result<()> {
    crate::db::add_column(db, "alerts", "resolved_in", "TEXT")
}

/// Step 5: evidence files of a rectification (整改材料), kept by the workflow engine as a
/// problem item's are (see [`crate::workflow::Workflow::keep_evidence`]).
const ALERT_EVIDENCE: &str = "
CREATE TABLE IF NOT EXISTS alert_evidence (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts(id),
    file        TEXT NOT NULL,     -- relative to DIR: evidence/alerts/{alert}/{sha256}-{name}
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
";

/// The alert store's migrations, in order: never edit one that has shipped, add a step.
const MIGRATIONS: &[crate::db::Step] = &[
    crate::db::Step::Sql(SCHEMA),
    crate::db::Step::Code(added_in_0_2),
    crate::db::Step::Code(added_terms),
    crate::db::Step::Code(added_resolved_in),
    crate::db::Step::Sql(ALERT_EVIDENCE),
];

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Acknowledged,
    Rectifying,
    Closed,
    Dismissed,
    /// The data for the finding's scope came and no longer shows it (before anyone took it up).
    Resolved,
    /// In rectification, and the data no longer shows it: waits for an analyst to close it with
    /// the evidence of rectification (销号). Data alone never closes a rectification.
    Cleared,
    /// A record-mode rule's finding (PEFA scores): kept and reported, never a workflow item.
    Recorded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Rectifying => "rectifying",
            Status::Closed => "closed",
            Status::Dismissed => "dismissed",
            Status::Resolved => "resolved",
            Status::Cleared => "cleared",
            Status::Recorded => "recorded",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::New => "新预警",
            Status::Acknowledged => "已确认",
            Status::Rectifying => "整改中",
            Status::Closed => "已销号",
            Status::Dismissed => "已排除",
            Status::Resolved => "数据已消除",
            Status::Cleared => "数据已消除，待销号",
            Status::Recorded => "仅记录",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Acknowledged,
        Status::Rectifying,
        Status::Cleared,
        Status::Closed,
        Status::Dismissed,
        Status::Resolved,
        Status::Recorded,
    ];

    /// Open alerts still ask for someone's attention.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Acknowledged | Status::Rectifying | Status::Cleared
        )
    }
}

/// A workflow action on an alert.
#[derive(Debug, Clone)]
pub enum Action {
    Ack,
    Rectify {
        owner: String,
        due: chrono::NaiveDate,
    },
    Close {
        evidence: String,
    },
    Dismiss {
        reason: String,
    },
    Comment {
        text: String,
    },
    /// An expert adviser's endorsement (附议) of a finding, with an optional word: once per
    /// adviser, the status unchanged. The committee weighs endorsed findings of the annual review
    /// first when it adopts its opinions.
    Endorse {
        text: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ack => "ack",
            Action::Rectify { .. } => "rectify",
            Action::Close { .. } => "close",
            Action::Dismiss { .. } => "dismiss",
            Action::Comment { .. } => "comment",
            Action::Endorse { .. } => "endorse",
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

impl crate::workflow::Step for Action {
    type Status = Status;
    fn name(&self) -> &'static str {
        Action::name(self)
    }
    /// The statuses this action may start from, and where it leads.
    fn transition(&self) -> (&'static [Status], Option<Status>) {
        use Status::*;
        match self {
            Action::Ack => (&[New], Some(Acknowledged)),
            Action::Rectify { .. } => (&[New, Acknowledged], Some(Rectifying)),
            Action::Close { .. } => (&[Rectifying, Cleared], Some(Closed)),
            Action::Dismiss { .. } => (&[New, Acknowledged, Rectifying, Cleared], Some(Dismissed)),
            Action::Comment { .. } => (&Status::ALL, None),
            // Advisers endorse a finding before the committee has acted on it.
            Action::Endorse { .. } => (&[New, Acknowledged], None),
        }
    }
    fn note(&self) -> Option<String> {
        match self {
            Action::Ack => None,
            Action::Rectify { owner, due } => Some(format!("owner {owner}, due {due}")),
            Action::Close { evidence } => Some(evidence.clone()),
            Action::Dismiss { reason } => Some(reason.clone()),
            Action::Comment { text } => Some(text.clone()),
            Action::Endorse { text } => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        }
    }
    fn incomplete(&self) -> Option<String> {
        let blank = match self {
            Action::Ack => false,
            Action::Rectify { owner, .. } => owner.trim().is_empty(),
            Action::Close { evidence } => evidence.trim().is_empty(),
            Action::Dismiss { reason } => reason.trim().is_empty(),
            Action::Comment { text } => text.trim().is_empty(),
            Action::Endorse { .. } => false,
        };
        blank.then(|| format!("{} needs a non-empty text", self.name()))
    }
}

/// The alerts' workflow: new → acknowledged → rectifying → closed (整改销号), or dismissed; the
/// rules move an alert to resolved or cleared (and back) on their own, through the trail.
pub const ALERTS: crate::workflow::Workflow<Action> = crate::workflow::Workflow {
    table: "alerts",
    trail: "alert_events",
    key: "alert_id",
    evidence: "alert_evidence",
    files: "evidence/alerts",
    steps: || {
        vec![
            Action::Ack,
            Action::Rectify {
                owner: String::new(),
                due: chrono::NaiveDate::MIN,
            },
            Action::Close {
                evidence: String::new(),
            },
            Action::Dismiss {
                reason: String::new(),
            },
            Action::Comment {
                text: String::new(),
            },
            Action::Endorse {
                text: String::new(),
            },
        ]
    },
    refuse: |r| {
        let need: Vec<String> = r
            .needs
            .iter()
            .map(|s| format!("{} ({})", s.zh(), s.as_str()))
            .collect();
        format!(
            "cannot {} alert #{}: it is {} ({}); {} needs {}. Allowed now: {}",
            r.step,
            r.id,
            r.status.zh(),
            r.status.as_str(),
            r.step,
            need.join(" or "),
            r.allowed.join(", ")
        )
    },
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    pub fingerprint: String,
    pub rule_id: String,
    pub alert_key: String,
    pub category: String,
    pub title: String,
    pub subject: String,
    pub dept_name: Option<String>,
    pub agency_code: Option<String>,
    pub level: String,
    pub status: Status,
    pub region_code: Option<String>,
    #[schema(value_type = String)]
    pub first_period: Period,
    #[schema(value_type = String)]
    pub last_period: Period,
    pub months_open: i64,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub difference: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    pub owner: Option<String>,
    pub due_date: Option<String>,
    pub updated_at: String,
    /// The period the finding belongs to (fiscal year, quarter or month; empty for a balance).
    pub term: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodRecord {
    #[schema(value_type = String)]
    pub period: Period,
    pub level: String,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub difference: Option<String>,
    pub message_zh: String,
    pub evidence: BTreeMap<String, String>,
    /// The rows behind the finding (each payment of a split), where the rule has them.
    pub rows: Vec<BTreeMap<String, String>>,
}

/// Evidence rows as stored (a JSON array, or NULL).
fn rows_of(json: Option<String>) -> Vec<BTreeMap<String, String>> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// What [`AlertStore::withdraw`] took back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Withdrawn {
    /// Period records removed.
    pub records: usize,
    /// Alerts that only the retracted data showed, nobody had acted on: deleted.
    pub deleted: Vec<i64>,
    /// Alerts that only the retracted data showed, already acted on: resolved, saying why.
    pub resolved: Vec<i64>,
}

/// What one `purse check` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub period: String,
    pub rules_run: usize,
    pub rows_scanned: usize,
    pub findings: usize,
    pub new_alerts: usize,
    pub continuing: usize,
    pub reopened: usize,
    pub resolved: usize,
    /// Rectifying alerts the data no longer shows: now awaiting 销号.
    pub cleared: usize,
    /// Open alerts left alone because their scope had no data this period.
    pub held: usize,
    /// Rules that could not judge the period, and why.
    pub not_evaluated: Vec<(String, String)>,
    pub by_level: BTreeMap<String, usize>,
    pub duration_ms: u128,
    pub per_rule: Vec<(String, u128, usize)>,
}

/// One recorded `purse check` run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub period: String,
    pub started_at: String,
    pub rules_run: i64,
    pub findings: i64,
    pub new_alerts: i64,
    pub resolved: i64,
    pub not_evaluated: i64,
    pub duration_ms: i64,
    pub by_level: BTreeMap<String, i64>,
}

/// Why an alert fired in a period (see [`AlertStore::explain`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    #[schema(value_type = String)]
    pub period: Period,
    pub run_id: i64,
    /// The rule's SQL as it ran (`None` for runs recorded before purse kept it).
    pub sql: Option<String>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub evidence: BTreeMap<String, String>,
}

/// One rule in one run: evaluated, or not and why.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub evaluated: bool,
    pub reason: Option<String>,
    pub findings: i64,
}

/// Filters for listing alerts.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub period: Option<String>,
    pub status: Option<Status>,
    pub level: Option<String>,
    pub rule: Option<String>,
    pub category: Option<String>,
    /// Department name, exact.
    pub dept: Option<String>,
    /// Budget unit code, exact.
    pub agency: Option<String>,
    /// Only alerts still asking for attention (new, acknowledged, rectifying).
    pub open: bool,
}

/// What [`AlertStore::month`] returns.
#[derive(Debug, Clone)]
pub struct MonthAlerts {
    /// Alerts that fired this month, with this month's record, most severe first.
    pub alerts: Vec<(Alert, PeriodRecord)>,
    /// How many of them fired for the first time.
    pub new: usize,
    /// Alerts that fired last month and that this month's data no longer shows.
    pub gone: Vec<Alert>,
    /// Alerts that fired last month, still open, on which this month had no data to judge.
    pub held: Vec<Alert>,
}

impl MonthAlerts {
    pub fn continuing(&self) -> usize {
        self.alerts.len() - self.new
    }
}

pub struct AlertStore {
    db: Connection,
    /// The data directory, under which evidence files are kept.
    dir: std::path::PathBuf,
}

use crate::db::now;

/// Stable identity of a finding: the same rule and key next month is the same alert.
pub fn fingerprint(rule_id: &str, key: &str) -> String {
    let h = Sha256::digest(format!("{rule_id}\u{1f}{key}").as_bytes());
    crate::hex(&h[..10])
}

/// Identity of a finding within its term (its fiscal year for year-to-date figures, its month
/// for a month's flow …): 2026's overspending of a line is not 2025's. A balance has no term,
/// and keeps the identity it always had.
fn fingerprint_in(rule_id: &str, term: &str, key: &str) -> String {
    if term.is_empty() {
        return fingerprint(rule_id, key);
    }
    let h = Sha256::digest(format!("{rule_id}\u{1f}{term}\u{1f}{key}").as_bytes());
    crate::hex(&h[..10])
}

/// A rule's part of a run: how long it took, what it read and found, whether it judged the
/// period, and the exact SQL and parameters it ran (kept once per SQL text).
fn record_rule_run(
    tx: &rusqlite::Transaction,
    run_id: i64,
    rule: &Rule,
    run: &RuleRun,
) -> Result<()> {
    let (status, reason) = match &run.outcome {
        Outcome::Evaluated => ("evaluated", None),
        Outcome::NotEvaluated(r) => ("not_evaluated", Some(r.as_str())),
    };
    let sql_sha = crate::hex(&Sha256::digest(rule.sql.as_bytes()));
    tx.execute(
        "INSERT OR IGNORE INTO rule_sql(sha, sql) VALUES (?1, ?2)",
        params![sql_sha, rule.sql],
    )?;
    let params_json: BTreeMap<&str, &ParamValue> =
        run.params.iter().map(|(k, v)| (k.as_str(), v)).collect();
    tx.execute(
                "INSERT INTO run_rules(run_id, rule_id, duration_ms, rows_scanned, findings, status, reason, params, sql_sha)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                params![
                    run_id,
                    run.rule_id,
                    run.duration.as_millis() as i64,
                    run.rows_scanned as i64,
                    run.findings.len() as i64,
                    status,
                    reason,
                    serde_json::to_string(&params_json).unwrap_or_default(),
                    sql_sha
                ],
            )?;
    Ok(())
}

/// One finding of a run: a new alert, or the alert it continues (reopened when the data shows
/// it again), and its record for the period. Returns its fingerprint.
fn record_finding(
    tx: &rusqlite::Transaction,
    s: &mut RunSummary,
    rule: &Rule,
    period: Period,
    f: &crate::rules::runner::Finding,
) -> Result<String> {
    let run_id = s.run_id;
    let record_only = rule.mode == "record";
    let term = term_of(rule, period, &f.evidence);
    let fp = fingerprint_in(&f.rule_id, &term, &f.alert_key);
    *s.by_level.entry(f.level.clone()).or_default() += 1;
    let existing = match find_alert(tx, &fp)? {
        Some((id, status, last, _)) => Some((id, status, last)),
        None => adopt_legacy(tx, rule, &f.alert_key, &term, &fp)?,
    };
    let evidence = serde_json::to_string(&f.evidence).unwrap_or_default();
    let id = match existing {
        None => {
            let first = if record_only { "recorded" } else { "new" };
            tx.execute(
                            "INSERT INTO alerts(fingerprint, rule_id, alert_key, category, title, subject, dept_name, agency_code,
                                 level, status, first_period, last_period, months_open, value, expected, difference,
                                 message_zh, message_en, created_at, updated_at, region_code, term)
                                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?17,?10,?10,1,?11,?12,?13,?14,?15,?16,?16,?18,?19)",
                            params![
                                fp, f.rule_id, f.alert_key, rule.category, rule.title_zh, f.subject, f.dept_name,
                                f.agency_code, f.level, period, f.value, f.expected, f.difference, f.message_zh,
                                f.message_en, now(), first, f.region_code, term
                            ],
                        )?;
            let id = tx.last_insert_rowid();
            ALERTS.record(
                tx,
                id,
                "purse",
                "created",
                None,
                Some(first),
                Some(&format!("found in {period}")),
            )?;
            s.new_alerts += 1;
            id
        }
        Some((id, status, last)) => {
            let st = Status::parse(&status).unwrap_or(Status::New);
            // Seen again after it was resolved or closed: the problem is back. Seen
            // again while awaiting 销号: the rectification is not done after all.
            // An event found again is the same event (a re-run of its month): a
            // closed one stays closed. Only data at least as new as what settled it
            // says it is back: re-checking an earlier month, whose data showed it
            // then, tells nothing new (a later month's data resolved it; a person
            // closed it after the last month that showed it).
            let news = match st {
                Status::Resolved | Status::Cleared => {
                    let settled: Option<Period> =
                        tx.query_row("SELECT resolved_in FROM alerts WHERE id=?1", [id], |r| {
                            r.get(0)
                        })?;
                    match settled {
                        Some(r) => period >= r,
                        None => period > last,
                    }
                }
                Status::Closed => period > last,
                _ => true,
            };
            let back_to = match st {
                _ if rule.finding == FindingKind::Event || !news => None,
                Status::Resolved | Status::Closed => Some(Status::New),
                Status::Cleared => Some(Status::Rectifying),
                _ => None,
            };
            if let Some(to) = back_to {
                ALERTS.record(
                    tx,
                    id,
                    "purse",
                    "reopened",
                    Some(st.as_str()),
                    Some(to.as_str()),
                    Some(&format!("found again in {period}")),
                )?;
                s.reopened += 1;
            } else {
                s.continuing += 1;
            }
            let later = period >= last;
            tx.execute(
                            "UPDATE alerts SET status = coalesce(?2, status),
                             last_period = max(last_period, ?3), first_period = min(first_period, ?3),
                             level = CASE WHEN ?4 THEN ?5 ELSE level END,
                             value = CASE WHEN ?4 THEN ?6 ELSE value END,
                             expected = CASE WHEN ?4 THEN ?7 ELSE expected END,
                             difference = CASE WHEN ?4 THEN ?8 ELSE difference END,
                             subject = ?9, message_zh = CASE WHEN ?4 THEN ?10 ELSE message_zh END,
                             message_en = CASE WHEN ?4 THEN ?11 ELSE message_en END, updated_at = ?12,
                             region_code = coalesce(?13, region_code)
                             WHERE id = ?1",
                            params![
                                id, back_to.map(|t| t.as_str()), period, later, f.level, f.value, f.expected,
                                f.difference, f.subject, f.message_zh, f.message_en, now(), f.region_code
                            ],
                        )?;
            id
        }
    };
    // One record per alert and period: a re-run of the period replaces its own.
    let rows = (!f.rows.is_empty()).then(|| serde_json::to_string(&f.rows).unwrap_or_default());
    tx.execute(
                    "INSERT INTO alert_periods(alert_id, period, run_id, level, value, expected, difference, message_zh, evidence,
                         evidence_rows)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)
                     ON CONFLICT(alert_id, period) DO UPDATE SET run_id=excluded.run_id, level=excluded.level,
                     value=excluded.value, expected=excluded.expected, difference=excluded.difference,
                     message_zh=excluded.message_zh, evidence=excluded.evidence, evidence_rows=excluded.evidence_rows",
                    params![id, period, run_id, f.level, f.value, f.expected, f.difference, f.message_zh, evidence, rows],
                )?;
    tx.execute(
                    "UPDATE alerts SET months_open = (SELECT count(*) FROM alert_periods WHERE alert_id=?1) WHERE id=?1",
                    [id],
                )?;
    Ok(fp)
}

/// The open alerts of a rule that its run did not show: resolved (or cleared, awaiting 销号,
/// when in rectification) when the run covered their scope and term, held otherwise.
fn settle_unseen(
    tx: &rusqlite::Transaction,
    s: &mut RunSummary,
    rule: &Rule,
    run: &RuleRun,
    period: Period,
    seen: &std::collections::HashSet<String>,
) -> Result<()> {
    // Open alerts of this rule that this run did not show, each with its last evidence.
    let mut stmt = tx.prepare(
                "SELECT a.id, a.fingerprint, a.status, p.evidence, a.term, a.last_period FROM alerts a
                 LEFT JOIN alert_periods p ON p.alert_id = a.id AND p.period = a.last_period
                 WHERE a.rule_id=?1 AND a.status IN ('new','acknowledged','rectifying') AND a.last_period <= ?2",
            )?;
    type Open = (i64, String, String, Option<String>, Option<String>, String);
    let open: Vec<Open> = stmt
        .query_map(params![run.rule_id, period], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    drop(stmt);
    // A run judges the findings of its own term only: January's year-to-date figures
    // say nothing of last year's, a month's payments nothing of another month's.
    let run_term = rule.basis.term(period);
    for (id, fp, status, evidence, term, last) in open {
        if seen.contains(&fp) {
            continue;
        }
        let evidence: BTreeMap<String, String> = evidence
            .and_then(|e| serde_json::from_str(&e).ok())
            .unwrap_or_default();
        let term = term
            .or_else(|| {
                let last: Period = last.parse().ok()?;
                Some(term_of(rule, last, &evidence))
            })
            .unwrap_or_default();
        if term != run_term || !run.covers(&evidence) {
            // No data for this alert's region (budget kind, report, year …) this period:
            // absence of data is not evidence.
            s.held += 1;
            continue;
        }
        let to = if status == "rectifying" {
            s.cleared += 1;
            Status::Cleared
        } else {
            s.resolved += 1;
            Status::Resolved
        };
        tx.execute(
            "UPDATE alerts SET status=?3, updated_at=?2, resolved_in=?4 WHERE id=?1",
            params![id, now(), to.as_str(), period],
        )?;
        ALERTS.record(
            tx,
            id,
            "purse",
            if to == Status::Cleared {
                "cleared"
            } else {
                "resolved"
            },
            Some(&status),
            Some(to.as_str()),
            Some(&format!("the data for {period} no longer shows it")),
        )?;
    }
    Ok(())
}

/// The term of a finding: from the period of the data it rests on (`data_period` in its
/// evidence, for rules whose data stands longer than a month), else the run's period.
fn term_of(rule: &Rule, period: Period, evidence: &BTreeMap<String, String>) -> String {
    evidence
        .get("data_period")
        .and_then(|p| term_in(rule, p))
        .unwrap_or_else(|| rule.basis.term(period))
}

/// The term of a period stored as text (an alert's last period, a `data_period` in evidence);
/// `None` for text that is not a period.
fn term_in(rule: &Rule, period: &str) -> Option<String> {
    period.parse().ok().map(|p| rule.basis.term(p))
}

fn row_to_alert(r: &rusqlite::Row) -> rusqlite::Result<Alert> {
    let status: String = r.get(10)?;
    Ok(Alert {
        id: r.get(0)?,
        fingerprint: r.get(1)?,
        rule_id: r.get(2)?,
        alert_key: r.get(3)?,
        category: r.get(4)?,
        title: r.get(5)?,
        subject: r.get(6)?,
        dept_name: r.get(7)?,
        agency_code: r.get(8)?,
        level: r.get(9)?,
        status: Status::parse(&status).unwrap_or(Status::New),
        first_period: r.get(11)?,
        last_period: r.get(12)?,
        months_open: r.get(13)?,
        value: r.get(14)?,
        expected: r.get(15)?,
        difference: r.get(16)?,
        message_zh: r.get(17)?,
        message_en: r.get(18)?,
        owner: r.get(19)?,
        due_date: r.get(20)?,
        updated_at: r.get(21)?,
        region_code: r.get(22)?,
        term: r.get(23)?,
    })
}

/// [`ALERT_COLS`] qualified by a table alias (`a.id, a.fingerprint, …`), for joins.
fn alert_cols_of(alias: &str) -> String {
    ALERT_COLS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const ALERT_COLS: &str = "id, fingerprint, rule_id, alert_key, category, title, subject, dept_name, agency_code, level, \
     status, first_period, last_period, months_open, value, expected, difference, message_zh, message_en, owner, \
     due_date, updated_at, region_code, term";

impl AlertStore {
    pub fn open(data_dir: &Path) -> Result<AlertStore> {
        let db = crate::db::open(data_dir, "alerts", MIGRATIONS)?;
        Ok(AlertStore {
            db,
            dir: data_dir.to_path_buf(),
        })
    }

    /// Keeps a file as evidence of alert `id`'s rectification (整改材料: a report, a voucher),
    /// under `DIR/evidence/alerts/{id}/` named by its hash, listed in its trail. Taken while the
    /// alert is open; once it is closed, dismissed or resolved its evidence is final.
    pub fn add_evidence(
        &mut self,
        id: i64,
        name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<crate::workflow::Evidence> {
        let a = self.get(id)?;
        if !a.status.is_open() {
            return Err(PurseError::Conflict(format!(
                "alert #{id} is {} ({}): its evidence is final",
                a.status.zh(),
                a.status.as_str()
            )));
        }
        ALERTS.keep_evidence(&mut self.db, &self.dir, id, name, bytes, actor)
    }

    /// How many times each alert came back after it was settled (its `reopened` trail entries).
    pub fn reopened_counts(&self) -> Result<HashMap<i64, i64>> {
        let mut st = self.db.prepare(
            "SELECT alert_id, count(*) FROM alert_events WHERE action = 'reopened' GROUP BY alert_id",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Alert `id`'s evidence files, oldest first.
    pub fn evidence(&self, id: i64) -> Result<Vec<crate::workflow::Evidence>> {
        ALERTS.evidence(&self.db, id)
    }

    /// One evidence file of alert `id`, with its bytes.
    pub fn evidence_file(&self, id: i64, eid: i64) -> Result<(crate::workflow::Evidence, Vec<u8>)> {
        ALERTS.evidence_file(&self.db, &self.dir, id, eid)
    }

    /// Stores one check's findings. A rule that could not judge the period (no data standing
    /// for one of its datasets, or not one of its months) is recorded as not evaluated and its
    /// alerts are left alone. For the rules that ran: findings are upserted by fingerprint with
    /// the period's evidence; an open alert the run no longer shows is resolved only if the
    /// run had data for that alert's scope (region, budget kind, report, year …), and an alert in
    /// rectification is never closed by data: it becomes "cleared", awaiting 销号.
    pub fn record_run(
        &mut self,
        period: Period,
        rules: &[&Rule],
        runs: &[RuleRun],
        started_at: &str,
        duration_ms: u128,
    ) -> Result<RunSummary> {
        let tx = self.db.transaction()?;
        let mut s = RunSummary {
            period: period.to_string(),
            rules_run: runs.len(),
            duration_ms,
            ..Default::default()
        };
        tx.execute(
            "INSERT INTO runs(period, started_at, duration_ms, rules_run, rows_scanned, findings, new_alerts, continuing, resolved, by_level)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, '{}')",
            params![period, started_at, duration_ms as i64, runs.len() as i64],
        )?;
        s.run_id = tx.last_insert_rowid();
        let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), *r)).collect();
        for run in runs {
            let rule = by_id.get(run.rule_id.as_str()).ok_or_else(|| {
                PurseError::Invalid(format!("run of rule {} without its rule", run.rule_id))
            })?;
            s.rows_scanned += run.rows_scanned;
            s.findings += run.findings.len();
            s.per_rule.push((
                run.rule_id.clone(),
                run.duration.as_millis(),
                run.findings.len(),
            ));
            record_rule_run(&tx, s.run_id, rule, run)?;
            if let Outcome::NotEvaluated(r) = &run.outcome {
                s.not_evaluated.push((run.rule_id.clone(), r.clone()));
                continue;
            }
            let mut seen = std::collections::HashSet::new();
            for f in &run.findings {
                seen.insert(record_finding(&tx, &mut s, rule, period, f)?);
            }
            // An event (a payment, a duplicate) is never made untrue by later data: it stays
            // until someone closes or dismisses it.
            if rule.finding != FindingKind::Event {
                settle_unseen(&tx, &mut s, rule, run, period, &seen)?;
            }
        }
        tx.execute(
            "UPDATE runs SET rows_scanned=?2, findings=?3, new_alerts=?4, continuing=?5, resolved=?6, by_level=?7,
             not_evaluated=?8, held=?9, cleared=?10 WHERE id=?1",
            params![
                s.run_id,
                s.rows_scanned as i64,
                s.findings as i64,
                s.new_alerts as i64,
                s.continuing as i64,
                s.resolved as i64,
                serde_json::to_string(&s.by_level).unwrap_or_default(),
                s.not_evaluated.len() as i64,
                s.held as i64,
                s.cleared as i64
            ],
        )?;
        tx.commit()?;
        Ok(s)
    }

    /// After a retraction (load `load_id`, committed at `since`), and after its periods were
    /// checked again by the runs `confirmed`: what only the retracted data showed is taken
    /// back. A period's record made by a run of one of `periods` after the load was committed
    /// that the new runs did not make again is removed; an alert left with no period at all
    /// never happened without that load and is deleted, unless someone has acted on it (an
    /// event not by purse, or an item on the problem list): that one is resolved, saying why.
    pub fn withdraw(
        &mut self,
        load_id: i64,
        since: &str,
        periods: &[Period],
        confirmed: &[i64],
    ) -> Result<Withdrawn> {
        let Ok(since) = chrono::DateTime::parse_from_rfc3339(since) else {
            return Ok(Withdrawn::default());
        };
        let since = since.timestamp();
        let tx = self.db.transaction()?;
        let mut out = Withdrawn::default();
        let mut touched = std::collections::BTreeSet::new();
        for period in periods {
            let mut stmt = tx.prepare("SELECT id, started_at FROM runs WHERE period=?1")?;
            let runs: Vec<(i64, String)> = stmt
                .query_map([period], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            for (run, at) in runs {
                let after =
                    chrono::DateTime::parse_from_rfc3339(&at).is_ok_and(|t| t.timestamp() >= since);
                if !after || confirmed.contains(&run) {
                    continue;
                }
                let mut stmt =
                    tx.prepare("SELECT alert_id FROM alert_periods WHERE run_id=?1 AND period=?2")?;
                let ids: Vec<i64> = stmt
                    .query_map(params![run, period], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                drop(stmt);
                out.records += tx.execute(
                    "DELETE FROM alert_periods WHERE run_id=?1 AND period=?2",
                    params![run, period],
                )?;
                touched.extend(ids);
            }
        }
        let problems: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name='problems')",
            [],
            |r| r.get(0),
        )?;
        for id in touched {
            let left: i64 = tx.query_row(
                "SELECT count(*) FROM alert_periods WHERE alert_id=?1",
                [id],
                |r| r.get(0),
            )?;
            if left > 0 {
                // Back to what its remaining periods say.
                tx.execute(
                    "UPDATE alerts SET months_open=?2,
                     first_period=(SELECT min(period) FROM alert_periods WHERE alert_id=?1),
                     last_period=(SELECT max(period) FROM alert_periods WHERE alert_id=?1)
                     WHERE id=?1",
                    params![id, left],
                )?;
                tx.execute(
                    "UPDATE alerts SET (level, value, expected, difference, message_zh) =
                     (SELECT level, value, expected, difference, message_zh FROM alert_periods
                      WHERE alert_id=?1 ORDER BY period DESC LIMIT 1) WHERE id=?1",
                    [id],
                )?;
                continue;
            }
            let acted: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM alert_events WHERE alert_id=?1 AND actor <> 'purse')",
                [id],
                |r| r.get(0),
            )?;
            let listed: bool = problems
                && tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM problems WHERE source='alert' AND source_ref=?1)",
                    [id.to_string()],
                    |r| r.get(0),
                )?;
            if acted || listed {
                let status: String =
                    tx.query_row("SELECT status FROM alerts WHERE id=?1", [id], |r| r.get(0))?;
                tx.execute(
                    "UPDATE alerts SET status='resolved', months_open=0, updated_at=?2 WHERE id=?1",
                    params![id, now()],
                )?;
                ALERTS.record(
                    &tx,
                    id,
                    "purse",
                    "withdrawn",
                    Some(&status),
                    Some("resolved"),
                    Some(&format!(
                        "the data that showed it (load #{load_id}) was retracted"
                    )),
                )?;
                out.resolved.push(id);
            } else {
                tx.execute("DELETE FROM alert_events WHERE alert_id=?1", [id])?;
                tx.execute("DELETE FROM alerts WHERE id=?1", [id])?;
                out.deleted.push(id);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Why an alert fired in a period: the rule's SQL and the parameters as that period's run
    /// bound them, and the finding's evidence.
    pub fn explain(&self, id: i64, period: Period) -> Result<Option<Explanation>> {
        let row = self
            .db
            .query_row(
                "SELECT q.sql, r.params, p.evidence, p.run_id FROM alert_periods p
                 JOIN alerts a ON a.id = p.alert_id
                 LEFT JOIN run_rules r ON r.run_id = p.run_id AND r.rule_id = a.rule_id
                 LEFT JOIN rule_sql q ON q.sha = r.sql_sha
                 WHERE p.alert_id = ?1 AND p.period = ?2",
                params![id, period],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.map(|(sql, params, evidence, run_id)| Explanation {
            period,
            run_id,
            sql,
            params: params
                .and_then(|p| serde_json::from_str(&p).ok())
                .unwrap_or_default(),
            evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        }))
    }

    /// What each rule did in the newest run of a period (evaluated or not, and why).
    pub fn rule_outcomes(&self, period: Period) -> Result<Vec<RuleOutcome>> {
        let run: Option<i64> = self.db.query_row(
            "SELECT max(id) FROM runs WHERE period = ?1",
            [period],
            |r| r.get(0),
        )?;
        match run {
            Some(id) => self.run_outcomes(id),
            None => Ok(vec![]),
        }
    }

    /// What each rule did in one run.
    pub fn run_outcomes(&self, run_id: i64) -> Result<Vec<RuleOutcome>> {
        let mut stmt = self.db.prepare(
            "SELECT rule_id, status, reason, findings FROM run_rules WHERE run_id = ?1 ORDER BY rule_id",
        )?;
        let v = stmt
            .query_map([run_id], |r| {
                Ok(RuleOutcome {
                    rule_id: r.get(0)?,
                    evaluated: r.get::<_, String>(1)? == "evaluated",
                    reason: r.get(2)?,
                    findings: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn list(&self, f: &Filter) -> Result<Vec<Alert>> {
        let mut stmt = self.db.prepare(&format!(
            "SELECT {ALERT_COLS} FROM alerts a
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM alert_periods p WHERE p.alert_id=a.id AND p.period=?1))
               AND (?2 IS NULL OR status=?2) AND (?3 IS NULL OR level=?3) AND (?4 IS NULL OR rule_id=?4)
               AND (?5 IS NULL OR category=?5) AND (?6 IS NULL OR dept_name=?6) AND (?7 IS NULL OR agency_code=?7)
               AND (NOT ?8 OR status IN ('new', 'acknowledged', 'rectifying', 'cleared'))
             ORDER BY CASE level WHEN '红' THEN 0 WHEN '橙' THEN 1 WHEN '黄' THEN 2 ELSE 3 END, rule_id, alert_key"
        ))?;
        let v = stmt
            .query_map(
                params![
                    f.period,
                    f.status.map(|s| s.as_str()),
                    f.level,
                    f.rule,
                    f.category,
                    f.dept,
                    f.agency,
                    f.open
                ],
                row_to_alert,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn get(&self, id: i64) -> Result<Alert> {
        self.db
            .query_row(
                &format!("SELECT {ALERT_COLS} FROM alerts WHERE id=?1"),
                [id],
                row_to_alert,
            )
            .optional()?
            .ok_or_else(|| PurseError::NotFound(format!("no alert #{id}")))
    }

    pub fn events(&self, id: i64) -> Result<Vec<Event>> {
        ALERTS.trail(&self.db, id)
    }

    /// The advisers' endorsements (附议) of an alert, oldest first.
    pub fn endorsements(&self, id: i64) -> Result<Vec<Event>> {
        Ok(self
            .events(id)?
            .into_iter()
            .filter(|e| e.action == "endorse")
            .collect())
    }

    /// How many advisers endorsed each alert that any endorsed (the review page's column).
    pub fn endorsement_counts(&self) -> Result<std::collections::HashMap<i64, usize>> {
        let mut stmt = self.db.prepare(
            "SELECT alert_id, count(DISTINCT actor) FROM alert_events WHERE action = 'endorse' GROUP BY alert_id",
        )?;
        let v = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)? as usize))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// One month against an earlier one (the month before, or the last one checked when months
    /// are missing): what fired, how much of it is new, what stopped.
    pub fn month(&self, period: Period, before: Period) -> Result<MonthAlerts> {
        let alerts = self.in_period(period)?;
        let now: std::collections::HashSet<i64> = alerts.iter().map(|(a, _)| a.id).collect();
        let (held, gone): (Vec<Alert>, Vec<Alert>) = self
            .in_period(before)?
            .into_iter()
            .filter(|(a, _)| !now.contains(&a.id))
            .map(|(a, _)| a)
            .partition(|a| a.status.is_open() && a.status != Status::Cleared);
        let new = alerts
            .iter()
            .filter(|(a, _)| a.first_period == period)
            .count();
        Ok(MonthAlerts {
            alerts,
            new,
            gone,
            held,
        })
    }

    /// Every alert with each month it fired in (what 问数 counts alerts from).
    pub fn fired(&self) -> Result<Vec<(Alert, Period)>> {
        let cols = alert_cols_of("a");
        let mut stmt = self.db.prepare(&format!(
            "SELECT {cols}, p.period FROM alerts a JOIN alert_periods p ON p.alert_id = a.id ORDER BY a.id, p.period"
        ))?;
        let v = stmt
            .query_map([], |r| Ok((row_to_alert(r)?, r.get(24)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// The alerts that fired in `period`, each with what it showed that month.
    pub fn in_period(&self, period: Period) -> Result<Vec<(Alert, PeriodRecord)>> {
        let cols = alert_cols_of("a");
        let mut stmt = self.db.prepare(&format!(
            "SELECT {cols}, p.period, p.level, p.value, p.expected, p.difference, p.message_zh, p.evidence,
                    p.evidence_rows
             FROM alerts a JOIN alert_periods p ON p.alert_id = a.id WHERE p.period = ?1
             ORDER BY CASE p.level WHEN '红' THEN 0 WHEN '橙' THEN 1 WHEN '黄' THEN 2 ELSE 3 END, a.rule_id, a.alert_key"
        ))?;
        let v = stmt
            .query_map([period], |r| {
                let a = row_to_alert(r)?;
                let ev: String = r.get(30)?;
                Ok((
                    a,
                    PeriodRecord {
                        period: r.get(24)?,
                        level: r.get(25)?,
                        value: r.get(26)?,
                        expected: r.get(27)?,
                        difference: r.get(28)?,
                        message_zh: r.get(29)?,
                        evidence: serde_json::from_str(&ev).unwrap_or_default(),
                        rows: rows_of(r.get(31)?),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn history(&self, id: i64) -> Result<Vec<PeriodRecord>> {
        let mut stmt = self.db.prepare(
            "SELECT period, level, value, expected, difference, message_zh, evidence, evidence_rows FROM alert_periods
             WHERE alert_id=?1 ORDER BY period",
        )?;
        let v = stmt
            .query_map([id], |r| {
                let ev: String = r.get(6)?;
                Ok(PeriodRecord {
                    period: r.get(0)?,
                    level: r.get(1)?,
                    value: r.get(2)?,
                    expected: r.get(3)?,
                    difference: r.get(4)?,
                    message_zh: r.get(5)?,
                    evidence: serde_json::from_str(&ev).unwrap_or_default(),
                    rows: rows_of(r.get(7)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Applies a workflow action, refusing illegal transitions with what is allowed instead.
    pub fn act(&mut self, id: i64, action: &Action, actor: &str) -> Result<Alert> {
        let alert = self.get(id)?;
        ALERTS.check(id, alert.status, action)?;
        if matches!(action, Action::Endorse { .. })
            && self.endorsements(id)?.iter().any(|e| e.actor == actor)
        {
            return Err(PurseError::Conflict(format!(
                "alert #{id}: {actor} has endorsed it already (an adviser endorses a finding once)"
            )));
        }
        let tx = self.db.transaction()?;
        // What is the alert's own: who rectifies it, by when.
        if let Action::Rectify { owner, due } = action {
            tx.execute(
                "UPDATE alerts SET owner=?2, due_date=?3 WHERE id=?1",
                params![id, owner, due.to_string()],
            )?;
        }
        ALERTS.apply(&tx, id, actor, action, alert.status)?;
        tx.commit()?;
        self.get(id)
    }

    /// Past runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>> {
        let mut stmt = self.db.prepare(
            "SELECT id, period, started_at, rules_run, findings, new_alerts, resolved, duration_ms, by_level, not_evaluated
             FROM runs ORDER BY id DESC LIMIT ?1",
        )?;
        let v = stmt
            .query_map([limit as i64], |r| {
                let by_level: String = r.get(8)?;
                Ok(RunRecord {
                    id: r.get(0)?,
                    period: r.get(1)?,
                    started_at: r.get(2)?,
                    rules_run: r.get(3)?,
                    findings: r.get(4)?,
                    new_alerts: r.get(5)?,
                    resolved: r.get(6)?,
                    duration_ms: r.get(7)?,
                    not_evaluated: r.get(9)?,
                    by_level: serde_json::from_str(&by_level).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Periods that have been checked at least once.
    pub fn checked_periods(&self) -> Result<std::collections::BTreeSet<Period>> {
        let mut stmt = self.db.prepare("SELECT DISTINCT period FROM runs")?;
        let v = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// How often each rule has fired (distinct alerts), for the catalog.
    pub fn counts_by_rule(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self
            .db
            .prepare("SELECT rule_id, count(*) FROM alerts GROUP BY rule_id")?;
        let v = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}

/// The alert with this fingerprint: (id, status, last period, term).
type Found = (i64, String, Period, Option<String>);

fn find_alert(tx: &rusqlite::Transaction, fp: &str) -> Result<Option<Found>> {
    Ok(tx
        .query_row(
            "SELECT id, status, last_period, term FROM alerts WHERE fingerprint=?1",
            [fp],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?)
}

/// An alert stored before findings had terms (its fingerprint is rule + key) whose last period
/// lies in `term`: the same finding, given its term's fingerprint now, so an upgrade neither
/// duplicates a deployment's open alerts nor loses their trail.
fn adopt_legacy(
    tx: &rusqlite::Transaction,
    rule: &Rule,
    key: &str,
    term: &str,
    fp: &str,
) -> Result<Option<(i64, String, Period)>> {
    if term.is_empty() {
        return Ok(None);
    }
    let legacy = fingerprint(&rule.id, key);
    let Some((id, status, last, None)) = find_alert(tx, &legacy)? else {
        return Ok(None);
    };
    if rule.basis.term(last) != term {
        return Ok(None);
    }
    tx.execute(
        "UPDATE alerts SET fingerprint=?2, term=?3 WHERE id=?1",
        params![id, fp, term],
    )?;
    Ok(Some((id, status, last)))
}
