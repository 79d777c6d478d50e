//! Sessions, roles, CSRF and login rate limiting.
//!
//! The session cookie is HttpOnly and SameSite=Strict and holds a random token whose hash is in
//! SQLite. Every form carries the session's CSRF token and every state-changing API call sends it
//! in `X-CSRF-Token`; the login form, which has no session yet, uses a double-submit cookie.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::AppState;
use super::error::AppError;
use crate::i18n::Lang;
use crate::users::{Role, Session};

pub const SESSION_COOKIE: &str = "purse_session";
pub const LOGIN_COOKIE: &str = "purse_login";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Compares two tokens in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The logged-in user of a request. Extracting it refuses requests without a valid session
/// (pages redirect to the login, the API answers 401) and API writes without the CSRF header.
#[derive(Debug, Clone)]
pub struct Auth {
    pub session: Session,
    pub lang: Lang,
    pub html: bool,
}

impl Auth {
    pub fn user(&self) -> &str {
        &self.session.user
    }
    pub fn role(&self) -> Role {
        self.session.role
    }
    /// Refuses unless the user's role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), AppError> {
        if self.session.role >= min {
            Ok(())
        } else {
            let e = AppError::forbidden(format!(
                "{} ({}) may not do this: it needs the {} role",
                self.session.user,
                self.session.role.as_str(),
                min.as_str()
            ));
            Err(if self.html { e.page() } else { e })
        }
    }
    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        if same(token, &self.session.csrf) {
            Ok(())
        } else {
            let e = AppError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form is stale or did not come from purse (CSRF token mismatch): reload the page and try again",
            );
            Err(if self.html { e.page() } else { e })
        }
    }
}

impl super::html::Viewer for Auth {
    fn session(&self) -> &Session {
        &self.session
    }
    fn lang(&self) -> Lang {
        self.lang
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, AppError> {
        let html = !parts.uri.path().starts_with("/api/");
        let lang = super::lang_of(&parts.headers);
        let unauth = || {
            let e = AppError::unauthorized();
            if html { e.page() } else { e }
        };
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(unauth)?;
        let session = state.session(&token).await?.ok_or_else(unauth)?;
        gate(&session, parts.uri.path(), html)?;
        let auth = Auth {
            session,
            lang,
            html,
        };
        if !html && parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            auth.check_csrf(sent)?;
        }
        Ok(auth)
    }
}

/// Whether `path` is `base` or below it.
fn under(path: &str, base: &str) -> bool {
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
}

/// What a responsible unit's account may open: its problem items, and ending the session.
const UNIT_PATHS: &[&str] = &["/problems", "/api/problems", "/logout", "/api/logout"];

/// What a bounded user (regions or departments) may open: pages and APIs whose data is read
/// through the bounded engine or filtered by [`crate::access::Visible`]. Everything else (the
/// Data page with every file's name, users, archived reports drawn for the whole jurisdiction,
/// and any page added later until it is reviewed) is refused: closed by default.
const BOUNDED_PATHS: &[&str] = &[
    "/cockpit",
    "/charts",
    "/drill",
    "/ask",
    "/alerts",
    "/alerts.csv",
    "/alerts.xlsx",
    "/rules",
    "/console",
    "/reports",
    "/problems",
    "/logout",
    "/api/periods",
    "/api/cockpit",
    "/api/drill",
    "/api/alerts",
    "/api/rules",
    "/api/sql",
    "/api/ask",
    "/api/problems",
    "/api/logout",
    "/api/openapi.json",
];

/// The one place a session's role and reach decide which paths it may open at all (what it
/// then sees inside them is bounded where the data is read).
fn gate(s: &Session, path: &str, html: bool) -> Result<(), AppError> {
    let refuse = |why: String| {
        let e = AppError::forbidden(why);
        if html { e.page() } else { e }
    };
    if s.role == Role::Unit {
        if s.reach.units.is_empty() {
            return Err(refuse(format!(
                "{} is a responsible unit's account with no unit bound: an admin sets it (purse user add … --unit NAME)",
                s.user
            )));
        }
        if UNIT_PATHS.iter().any(|b| under(path, b)) {
            return Ok(());
        }
        if html && (path == "/cockpit" || path == "/") {
            return Err(AppError::see_other("/problems"));
        }
        return Err(refuse(format!(
            "{} is a responsible unit's account: it sees its own problem items (/problems) only",
            s.user
        )));
    }
    if s.reach.bounds_data() {
        let archived_report = path.starts_with("/reports/") && !under(path, "/reports/live");
        if archived_report || !BOUNDED_PATHS.iter().any(|b| under(path, b)) {
            return Err(refuse(format!(
                "{} sees {} only: this page shows more than that",
                s.user,
                s.reach.describe()
            )));
        }
    }
    Ok(())
}

/// The client's address, when the server knows it (tests without a socket say `local`).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "local".into()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare() {
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
