//! Alerts: each finding becomes an alert with a stable fingerprint (rule + key), its evidence
//! month by month, a lifecycle (new → acknowledged → rectifying → closed, or dismissed; resolved
//! when the data no longer shows it) and an audit trail of every change. Runs are recorded so the
//! history can be charted and month-over-month changes reported.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{PurseError, Result};
use crate::rules::Rule;
use crate::rules::runner::RuleRun;

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

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Acknowledged,
    Rectifying,
    Closed,
    Dismissed,
    /// The data no longer shows the finding.
    Resolved,
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
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::New,
            Status::Acknowledged,
            Status::Rectifying,
            Status::Closed,
            Status::Dismissed,
            Status::Resolved,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Open alerts still ask for someone's attention.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Acknowledged | Status::Rectifying
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
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ack => "ack",
            Action::Rectify { .. } => "rectify",
            Action::Close { .. } => "close",
            Action::Dismiss { .. } => "dismiss",
            Action::Comment { .. } => "comment",
        }
    }

    /// The statuses this action may start from, and where it leads.
    fn transition(&self) -> (&'static [Status], Option<Status>) {
        use Status::*;
        match self {
            Action::Ack => (&[New], Some(Acknowledged)),
            Action::Rectify { .. } => (&[New, Acknowledged], Some(Rectifying)),
            Action::Close { .. } => (&[Rectifying], Some(Closed)),
            Action::Dismiss { .. } => (&[New, Acknowledged, Rectifying], Some(Dismissed)),
            Action::Comment { .. } => (
                &[New, Acknowledged, Rectifying, Closed, Dismissed, Resolved],
                None,
            ),
        }
    }
}

/// The actions allowed from a status.
pub fn allowed_actions(s: Status) -> Vec<&'static str> {
    let probe = [
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
    ];
    probe
        .iter()
        .filter(|a| a.transition().0.contains(&s))
        .map(|a| a.name())
        .collect()
}

#[derive(Debug, Clone, Serialize)]
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
    pub first_period: String,
    pub last_period: String,
    pub months_open: i64,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub difference: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    pub owner: Option<String>,
    pub due_date: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodRecord {
    pub period: String,
    pub level: String,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub difference: Option<String>,
    pub message_zh: String,
    pub evidence: BTreeMap<String, String>,
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
    pub duration_ms: i64,
    pub by_level: BTreeMap<String, i64>,
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
    /// Alerts that fired last month and not this one.
    pub gone: Vec<Alert>,
}

impl MonthAlerts {
    pub fn continuing(&self) -> usize {
        self.alerts.len() - self.new
    }
}

pub struct AlertStore {
    db: Connection,
}

fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Stable identity of a finding: the same rule and key next month is the same alert.
pub fn fingerprint(rule_id: &str, key: &str) -> String {
    let h = Sha256::digest(format!("{rule_id}\u{1f}{key}").as_bytes());
    h.iter().take(10).map(|b| format!("{b:02x}")).collect()
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
    })
}

const ALERT_COLS: &str = "id, fingerprint, rule_id, alert_key, category, title, subject, dept_name, agency_code, level, \
     status, first_period, last_period, months_open, value, expected, difference, message_zh, message_en, owner, \
     due_date, updated_at";

impl AlertStore {
    pub fn open(data_dir: &Path) -> Result<AlertStore> {
        Ok(AlertStore {
            db: crate::db::open(data_dir, SCHEMA)?,
        })
    }

    /// Stores one check's findings: upserts by fingerprint, records the period's evidence,
    /// resolves open alerts of the rules that ran whose finding is gone, records the run.
    pub fn record_run(
        &mut self,
        period: &str,
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
        let run_id = tx.last_insert_rowid();
        s.run_id = run_id;
        let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), *r)).collect();
        for run in runs {
            let rule = by_id[run.rule_id.as_str()];
            s.rows_scanned += run.rows_scanned;
            s.findings += run.findings.len();
            s.per_rule.push((
                run.rule_id.clone(),
                run.duration.as_millis(),
                run.findings.len(),
            ));
            tx.execute(
                "INSERT INTO run_rules(run_id, rule_id, duration_ms, rows_scanned, findings) VALUES (?1,?2,?3,?4,?5)",
                params![run_id, run.rule_id, run.duration.as_millis() as i64, run.rows_scanned as i64, run.findings.len() as i64],
            )?;
            let mut seen = Vec::new();
            for f in &run.findings {
                let fp = fingerprint(&f.rule_id, &f.alert_key);
                seen.push(fp.clone());
                *s.by_level.entry(f.level.clone()).or_default() += 1;
                let existing: Option<(i64, String, String)> = tx
                    .query_row(
                        "SELECT id, status, last_period FROM alerts WHERE fingerprint=?1",
                        [&fp],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let evidence = serde_json::to_string(&f.evidence).unwrap_or_default();
                let id = match existing {
                    None => {
                        tx.execute(
                            "INSERT INTO alerts(fingerprint, rule_id, alert_key, category, title, subject, dept_name, agency_code,
                                 level, status, first_period, last_period, months_open, value, expected, difference,
                                 message_zh, message_en, created_at, updated_at)
                                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,'new',?10,?10,1,?11,?12,?13,?14,?15,?16,?16)",
                            params![
                                fp, f.rule_id, f.alert_key, rule.category, rule.title_zh, f.subject, f.dept_name,
                                f.agency_code, f.level, period, f.value, f.expected, f.difference, f.message_zh,
                                f.message_en, now()
                            ],
                        )?;
                        let id = tx.last_insert_rowid();
                        event(
                            &tx,
                            id,
                            "purse",
                            "created",
                            None,
                            Some("new"),
                            Some(&format!("found in {period}")),
                        )?;
                        s.new_alerts += 1;
                        id
                    }
                    Some((id, status, last)) => {
                        let st = Status::parse(&status).unwrap_or(Status::New);
                        // Seen again after it was resolved or closed: the problem is back.
                        let reopen = matches!(st, Status::Resolved | Status::Closed);
                        if reopen {
                            event(
                                &tx,
                                id,
                                "purse",
                                "reopened",
                                Some(st.as_str()),
                                Some("new"),
                                Some(&format!("found again in {period}")),
                            )?;
                            s.reopened += 1;
                        } else {
                            s.continuing += 1;
                        }
                        let later = period >= last.as_str();
                        tx.execute(
                            "UPDATE alerts SET status = CASE WHEN ?2 THEN 'new' ELSE status END,
                             last_period = max(last_period, ?3), first_period = min(first_period, ?3),
                             level = CASE WHEN ?4 THEN ?5 ELSE level END,
                             value = CASE WHEN ?4 THEN ?6 ELSE value END,
                             expected = CASE WHEN ?4 THEN ?7 ELSE expected END,
                             difference = CASE WHEN ?4 THEN ?8 ELSE difference END,
                             subject = ?9, message_zh = CASE WHEN ?4 THEN ?10 ELSE message_zh END,
                             message_en = CASE WHEN ?4 THEN ?11 ELSE message_en END, updated_at = ?12
                             WHERE id = ?1",
                            params![
                                id, reopen, period, later, f.level, f.value, f.expected, f.difference, f.subject,
                                f.message_zh, f.message_en, now()
                            ],
                        )?;
                        id
                    }
                };
                tx.execute(
                    "INSERT INTO alert_periods(alert_id, period, run_id, level, value, expected, difference, message_zh, evidence)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
                     ON CONFLICT(alert_id, period) DO UPDATE SET run_id=excluded.run_id, level=excluded.level,
                     value=excluded.value, expected=excluded.expected, difference=excluded.difference,
                     message_zh=excluded.message_zh, evidence=excluded.evidence",
                    params![id, period, run_id, f.level, f.value, f.expected, f.difference, f.message_zh, evidence],
                )?;
                tx.execute(
                    "UPDATE alerts SET months_open = (SELECT count(*) FROM alert_periods WHERE alert_id=?1) WHERE id=?1",
                    [id],
                )?;
            }
            // Open alerts of this rule that the data for this (or a later) period no longer shows.
            let mut stmt = tx.prepare(
                "SELECT id, fingerprint, status FROM alerts WHERE rule_id=?1 AND status IN ('new','acknowledged','rectifying')
                 AND last_period <= ?2",
            )?;
            let open: Vec<(i64, String, String)> = stmt
                .query_map(params![run.rule_id, period], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            for (id, fp, status) in open {
                if !seen.contains(&fp) {
                    tx.execute(
                        "UPDATE alerts SET status='resolved', updated_at=?2 WHERE id=?1",
                        params![id, now()],
                    )?;
                    event(
                        &tx,
                        id,
                        "purse",
                        "resolved",
                        Some(&status),
                        Some("resolved"),
                        Some(&format!("not found in {period}")),
                    )?;
                    s.resolved += 1;
                }
            }
        }
        tx.execute(
            "UPDATE runs SET rows_scanned=?2, findings=?3, new_alerts=?4, continuing=?5, resolved=?6, by_level=?7 WHERE id=?1",
            params![
                run_id,
                s.rows_scanned as i64,
                s.findings as i64,
                s.new_alerts as i64,
                s.continuing as i64,
                s.resolved as i64,
                serde_json::to_string(&s.by_level).unwrap_or_default()
            ],
        )?;
        tx.commit()?;
        Ok(s)
    }

    pub fn list(&self, f: &Filter) -> Result<Vec<Alert>> {
        let mut stmt = self.db.prepare(&format!(
            "SELECT {ALERT_COLS} FROM alerts a
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM alert_periods p WHERE p.alert_id=a.id AND p.period=?1))
               AND (?2 IS NULL OR status=?2) AND (?3 IS NULL OR level=?3) AND (?4 IS NULL OR rule_id=?4)
               AND (?5 IS NULL OR category=?5) AND (?6 IS NULL OR dept_name=?6) AND (?7 IS NULL OR agency_code=?7)
               AND (NOT ?8 OR status IN ('new', 'acknowledged', 'rectifying'))
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
            .ok_or_else(|| PurseError::Invalid(format!("no alert #{id}")))
    }

    pub fn events(&self, id: i64) -> Result<Vec<Event>> {
        let mut stmt = self.db.prepare(
            "SELECT at, actor, action, from_status, to_status, note FROM alert_events WHERE alert_id=?1 ORDER BY id",
        )?;
        let v = stmt
            .query_map([id], |r| {
                Ok(Event {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    from_status: r.get(3)?,
                    to_status: r.get(4)?,
                    note: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// One month against the month before: what fired, how much of it is new, what stopped.
    pub fn month(&self, period: &str, prev_period: &str) -> Result<MonthAlerts> {
        let alerts = self.in_period(period)?;
        let now: std::collections::HashSet<i64> = alerts.iter().map(|(a, _)| a.id).collect();
        let gone = self
            .in_period(prev_period)?
            .into_iter()
            .filter(|(a, _)| !now.contains(&a.id))
            .map(|(a, _)| a)
            .collect();
        let new = alerts
            .iter()
            .filter(|(a, _)| a.first_period == period)
            .count();
        Ok(MonthAlerts { alerts, new, gone })
    }

    /// The alerts that fired in `period`, each with what it showed that month.
    pub fn in_period(&self, period: &str) -> Result<Vec<(Alert, PeriodRecord)>> {
        let cols: String = ALERT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.db.prepare(&format!(
            "SELECT {cols}, p.period, p.level, p.value, p.expected, p.difference, p.message_zh, p.evidence
             FROM alerts a JOIN alert_periods p ON p.alert_id = a.id WHERE p.period = ?1
             ORDER BY CASE p.level WHEN '红' THEN 0 WHEN '橙' THEN 1 WHEN '黄' THEN 2 ELSE 3 END, a.rule_id, a.alert_key"
        ))?;
        let v = stmt
            .query_map([period], |r| {
                let a = row_to_alert(r)?;
                let ev: String = r.get(28)?;
                Ok((
                    a,
                    PeriodRecord {
                        period: r.get(22)?,
                        level: r.get(23)?,
                        value: r.get(24)?,
                        expected: r.get(25)?,
                        difference: r.get(26)?,
                        message_zh: r.get(27)?,
                        evidence: serde_json::from_str(&ev).unwrap_or_default(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    pub fn history(&self, id: i64) -> Result<Vec<PeriodRecord>> {
        let mut stmt = self.db.prepare(
            "SELECT period, level, value, expected, difference, message_zh, evidence FROM alert_periods
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
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Applies a workflow action, refusing illegal transitions with what is allowed instead.
    pub fn act(&mut self, id: i64, action: &Action, actor: &str) -> Result<Alert> {
        let alert = self.get(id)?;
        let (from, to) = action.transition();
        if !from.contains(&alert.status) {
            let need: Vec<String> = from
                .iter()
                .map(|s| format!("{} ({})", s.zh(), s.as_str()))
                .collect();
            return Err(PurseError::Invalid(format!(
                "cannot {} alert #{id}: it is {} ({}); {} needs {}. Allowed now: {}",
                action.name(),
                alert.status.zh(),
                alert.status.as_str(),
                action.name(),
                need.join(" or "),
                allowed_actions(alert.status).join(", ")
            )));
        }
        let note = match action {
            Action::Ack => None,
            Action::Rectify { owner, due } => Some(format!("owner {owner}, due {due}")),
            Action::Close { evidence } => Some(evidence.clone()),
            Action::Dismiss { reason } => Some(reason.clone()),
            Action::Comment { text } => Some(text.clone()),
        };
        if matches!(action, Action::Close { evidence } if evidence.trim().is_empty())
            || matches!(action, Action::Dismiss { reason } if reason.trim().is_empty())
            || matches!(action, Action::Comment { text } if text.trim().is_empty())
            || matches!(action, Action::Rectify { owner, .. } if owner.trim().is_empty())
        {
            return Err(PurseError::Invalid(format!(
                "{} needs a non-empty text",
                action.name()
            )));
        }
        let tx = self.db.transaction()?;
        if let Some(to) = to {
            tx.execute(
                "UPDATE alerts SET status=?2, updated_at=?3 WHERE id=?1",
                params![id, to.as_str(), now()],
            )?;
        }
        if let Action::Rectify { owner, due } = action {
            tx.execute(
                "UPDATE alerts SET owner=?2, due_date=?3 WHERE id=?1",
                params![id, owner, due.to_string()],
            )?;
        }
        event(
            &tx,
            id,
            actor,
            action.name(),
            Some(alert.status.as_str()),
            Some(to.unwrap_or(alert.status).as_str()),
            note.as_deref(),
        )?;
        tx.commit()?;
        self.get(id)
    }

    /// Past runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>> {
        let mut stmt = self.db.prepare(
            "SELECT id, period, started_at, rules_run, findings, new_alerts, resolved, duration_ms, by_level FROM runs
             ORDER BY id DESC LIMIT ?1",
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
                    by_level: serde_json::from_str(&by_level).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Periods that have been checked at least once.
    pub fn checked_periods(&self) -> Result<std::collections::BTreeSet<String>> {
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

fn event(
    tx: &rusqlite::Transaction,
    id: i64,
    actor: &str,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    note: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO alert_events(alert_id, at, actor, action, from_status, to_status, note) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![id, now(), actor, action, from, to, note],
    )?;
    Ok(())
}
