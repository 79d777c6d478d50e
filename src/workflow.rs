//! One workflow engine for everything purse follows up: alerts (新预警 → 整改 → 销号) and problem
//! items (交办 → 反馈 → 销号 or 退回) are two workflows of it. The engine owns what they share: a
//! status machine (which steps may start from which status, and where each leads), refusals
//! that name what is allowed instead, the item's status moved and the step written to its trail
//! (who, when, from, to, note) in one transaction, the trail read back, and when an item is
//! overdue. Each workflow keeps only what is its own: its statuses and steps, the columns a step
//! also sets (an alert's owner, a problem's requirement), and the wording of its refusals.

use rusqlite::{Connection, params};
use serde::Serialize;

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

/// One workflow: where its items and their trail live in `purse.db`, every step it knows, and
/// how it words a refusal.
pub struct Workflow<S: Step + 'static> {
    /// The items' table, with `id`, `status` and `updated_at` columns.
    pub table: &'static str,
    /// The trail's table: (`key`, at, actor, action, from_status, to_status, note).
    pub trail: &'static str,
    /// The trail's column naming the item.
    pub key: &'static str,
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
