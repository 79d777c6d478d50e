//! Local users, their roles, login sessions and the audit log of who changed what.
//!
//! Everything lives in `DIR/purse.db` beside the alerts, so a second server process (or a
//! restarted one) sees the same sessions: nothing here is process-local.

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{PurseError, Result};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    pw_hash     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,
    user        TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL
);
"#;

/// A user's bounds (what rows they may see), kept beside the users.
const REACH: &str = r#"
CREATE TABLE IF NOT EXISTS user_reach (
    user   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    kind   TEXT NOT NULL,   -- region | department | unit
    value  TEXT NOT NULL,
    PRIMARY KEY (user, kind, value)
);
"#;

const MIGRATIONS: &[crate::db::Step] = &[crate::db::Step::Sql(SCHEMA), crate::db::Step::Sql(REACH)];

/// What a user may do. Each role from `Viewer` up can do everything the ones before it can;
/// `Unit` stands apart below them: a responsible unit sees only its own problem items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A responsible unit (责任单位): its own problem items, its responses and evidence; nothing else.
    Unit,
    /// Deputies: read every page.
    Viewer,
    /// Committee staff: the alert workflow.
    Analyst,
    /// Expert advisers: the SQL console too.
    Adviser,
    /// Users and uploads.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Unit => "unit",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Adviser => "adviser",
            Role::Admin => "admin",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Role::Unit => "责任单位",
            Role::Viewer => "查阅",
            Role::Analyst => "分析",
            Role::Adviser => "专家",
            Role::Admin => "管理",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub const ALL: [Role; 5] = [
        Role::Unit,
        Role::Viewer,
        Role::Analyst,
        Role::Adviser,
        Role::Admin,
    ];
}

/// The rows a user may see. Empty lists bound nothing: a user with no reach sees everything.
/// Regions and departments bound the warehouse (every table is read through a filter, see
/// [`crate::engine::restrict`]), the alerts and the problem list; units bound the problem list
/// (a `unit` user sees the items whose responsible unit is theirs).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Reach {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
}

impl Reach {
    /// No bounds at all.
    pub fn is_all(&self) -> bool {
        self.regions.is_empty() && self.departments.is_empty() && self.units.is_empty()
    }
    /// Bounds on the warehouse's rows (regions or departments).
    pub fn bounds_data(&self) -> bool {
        !self.regions.is_empty() || !self.departments.is_empty()
    }
    /// A stable key for caches: equal reaches, equal keys.
    pub fn key(&self) -> String {
        if self.is_all() {
            return String::new();
        }
        format!(
            "r={};d={};u={}",
            self.regions.join(","),
            self.departments.join(","),
            self.units.join(",")
        )
    }
    /// Whether a region code is inside (no region bound: every region is).
    pub fn has_region(&self, code: Option<&str>) -> bool {
        self.regions.is_empty() || code.is_some_and(|c| self.regions.iter().any(|r| r == c))
    }
    /// Whether a responsible unit (by name) is inside.
    pub fn has_unit(&self, name: &str) -> bool {
        self.units.is_empty() || self.units.iter().any(|u| u == name.trim())
    }
    /// What a person reads: `regions 110101; departments 101`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (what, v) in [
            ("regions", &self.regions),
            ("departments", &self.departments),
            ("units", &self.units),
        ] {
            if !v.is_empty() {
                parts.push(format!("{what} {}", v.join(", ")));
            }
        }
        if parts.is_empty() {
            "everything".into()
        } else {
            parts.join("; ")
        }
    }
    fn normalise(mut self) -> Reach {
        for v in [&mut self.regions, &mut self.departments, &mut self.units] {
            for x in v.iter_mut() {
                *x = x.trim().to_string();
            }
            v.retain(|x| !x.is_empty());
            v.sort();
            v.dedup();
        }
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub reach: Reach,
}

/// A logged-in session as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// The rows this user may see.
    pub reach: Reach,
    /// Must come back with every form and state-changing API call.
    pub csrf: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

pub struct Users {
    db: Connection,
}

use crate::db::now;

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    crate::hex(&b)
}

fn token_hash(token: &str) -> String {
    crate::hex(&Sha256::digest(token.as_bytes()))
}

/// A real hash of nothing, checked against when the user does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"purse-dummy", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Session lifetime: a working day and a half.
pub const SESSION_SECS: i64 = 36 * 3600;

impl Users {
    pub fn open(data_dir: &Path) -> Result<Users> {
        Ok(Users {
            db: crate::db::open(data_dir, "users", MIGRATIONS)?,
        })
    }

    /// Adds a user, or resets the role and password of an existing one.
    pub fn add(&self, name: &str, role: Role, password: &str, actor: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(PurseError::Invalid(format!(
                "user name `{name}`: 1–64 printable characters"
            )));
        }
        if password.chars().count() < 8 {
            return Err(PurseError::Invalid(
                "password: at least 8 characters".into(),
            ));
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| PurseError::Invalid(format!("hashing the password: {e}")))?
            .to_string();
        self.db.execute(
            "INSERT INTO users (name, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role, pw_hash = excluded.pw_hash",
            params![name, role.as_str(), hash, now()],
        )?;
        // A changed password ends the user's sessions.
        self.db
            .execute("DELETE FROM sessions WHERE user = ?1", params![name])?;
        self.audit(actor, "user.add", &format!("{name} as {}", role.as_str()))?;
        Ok(())
    }

    pub fn list(&self) -> Result<Vec<User>> {
        let mut st = self
            .db
            .prepare("SELECT name, role, created_at FROM users ORDER BY name")?;
        let v: Vec<(String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        v.into_iter()
            .map(|(name, role, created_at)| {
                Ok(User {
                    reach: self.reach(&name)?,
                    role: Role::parse(&role).unwrap_or(Role::Unit),
                    name,
                    created_at,
                })
            })
            .collect()
    }

    /// The rows a user may see.
    pub fn reach(&self, name: &str) -> Result<Reach> {
        let mut st = self.db.prepare_cached(
            "SELECT kind, value FROM user_reach WHERE user = ?1 ORDER BY kind, value",
        )?;
        let mut reach = Reach::default();
        for kv in st.query_map(params![name], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
            let (kind, value) = kv?;
            match kind.as_str() {
                "region" => reach.regions.push(value),
                "department" => reach.departments.push(value),
                _ => reach.units.push(value),
            }
        }
        Ok(reach)
    }

    /// Bounds a user to regions, departments and units (replacing what they had; an empty
    /// reach lifts every bound). Their sessions end, so the new bounds hold from the next request.
    pub fn set_reach(&mut self, name: &str, reach: &Reach, actor: &str) -> Result<()> {
        let reach = reach.clone().normalise();
        let tx = self.db.transaction()?;
        let known: bool = tx.query_row(
            "SELECT count(*) > 0 FROM users WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?;
        if !known {
            return Err(PurseError::NotFound(format!("no user `{name}`")));
        }
        tx.execute("DELETE FROM user_reach WHERE user = ?1", params![name])?;
        for (kind, values) in [
            ("region", &reach.regions),
            ("department", &reach.departments),
            ("unit", &reach.units),
        ] {
            for v in values {
                tx.execute(
                    "INSERT INTO user_reach (user, kind, value) VALUES (?1, ?2, ?3)",
                    params![name, kind, v],
                )?;
            }
        }
        tx.execute("DELETE FROM sessions WHERE user = ?1", params![name])?;
        tx.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, 'user.reach', ?3)",
            params![now(), actor, format!("{name}: {}", reach.describe())],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Checks a password. Unknown users cost the same hashing time as wrong passwords, so the
    /// answer's timing does not tell which names exist.
    pub fn verify(&self, name: &str, password: &str) -> Result<Option<Role>> {
        let row: Option<(String, String)> = self
            .db
            .query_row(
                "SELECT role, pw_hash FROM users WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (role, hash) = row.unwrap_or_else(|| (String::new(), DUMMY_HASH.clone()));
        let ok = PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        Ok(if ok { Role::parse(&role) } else { None })
    }

    /// Starts a session; returns the cookie token (only its hash is stored).
    pub fn login(&self, name: &str) -> Result<(String, Session)> {
        let token = random_token();
        let csrf = random_token();
        let expires = chrono::Utc::now().timestamp() + SESSION_SECS;
        self.db.execute(
            "INSERT INTO sessions (token_hash, user, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash(&token), name, csrf, now(), expires],
        )?;
        self.db.execute(
            "DELETE FROM sessions WHERE expires_at < ?1",
            params![chrono::Utc::now().timestamp()],
        )?;
        self.audit(name, "login", "")?;
        let s = self
            .session(&token)?
            .ok_or_else(|| PurseError::Invalid(format!("user `{name}` does not exist")))?;
        Ok((token, s))
    }

    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        Ok(self.session_until(token)?.map(|(s, _)| s))
    }

    /// The session of a token and when it expires (Unix seconds), if it is valid now.
    pub fn session_until(&self, token: &str) -> Result<Option<(Session, i64)>> {
        let row: Option<(String, String, String, i64)> = self
            .db
            .query_row(
                "SELECT s.user, u.role, s.csrf, s.expires_at FROM sessions s
                 JOIN users u ON u.name = s.user
                 WHERE s.token_hash = ?1 AND s.expires_at >= ?2",
                params![token_hash(token), chrono::Utc::now().timestamp()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((user, role, csrf, expires)) = row else {
            return Ok(None);
        };
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        let reach = self.reach(&user)?;
        Ok(Some((
            Session {
                user,
                role,
                reach,
                csrf,
            },
            expires,
        )))
    }

    pub fn logout(&self, token: &str) -> Result<()> {
        self.db.execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            params![token_hash(token)],
        )?;
        Ok(())
    }

    /// Records a state change that is not an alert action (those have their own trail).
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<()> {
        self.db.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![now(), actor, action, detail],
        )?;
        Ok(())
    }

    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut st = self
            .db
            .prepare("SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?1")?;
        let v = st
            .query_map(params![limit as i64], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    detail: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_log_in_and_out() {
        let dir = tempfile::tempdir().unwrap();
        let u = Users::open(dir.path()).unwrap();
        u.add("王分析", Role::Analyst, "correct horse", "cli")
            .unwrap();
        assert!(u.add("x", Role::Viewer, "short", "cli").is_err());
        assert_eq!(
            u.verify("王分析", "correct horse").unwrap(),
            Some(Role::Analyst)
        );
        assert_eq!(u.verify("王分析", "wrong horse!").unwrap(), None);
        assert_eq!(u.verify("nobody", "correct horse").unwrap(), None);
        let (token, s) = u.login("王分析").unwrap();
        assert_eq!(s.role, Role::Analyst);
        assert_eq!(u.session(&token).unwrap().unwrap().csrf, s.csrf);
        // A new password ends old sessions.
        u.add("王分析", Role::Adviser, "battery staple", "cli")
            .unwrap();
        assert!(u.session(&token).unwrap().is_none());
        let (token, _) = u.login("王分析").unwrap();
        u.logout(&token).unwrap();
        assert!(u.session(&token).unwrap().is_none());
        let log = u.audit_log(10).unwrap();
        assert!(log.iter().any(|e| e.action == "user.add"));
        assert!(Role::Admin > Role::Adviser && Role::Adviser > Role::Analyst);
    }
}
