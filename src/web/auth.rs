//! Sessions, roles, CSRF and login rate limiting.
//!
//! The session cookie is HttpOnly and SameSite=Strict and holds a random token whose hash is in
//! SQLite. Every form carries the session's CSRF token and every state-changing API call sends it
//! in `X-CSRF-Token`; the login form, which has no session yet, uses a double-submit cookie.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppError, AppState, html};
use crate::i18n::Lang;
use crate::users::{Role, Session, random_token};

pub const SESSION_COOKIE: &str = "purse_session";
const LOGIN_COOKIE: &str = "purse_login";

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

fn session_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Refuses when there were too many failed logins for this name and address in the window.
fn too_many(state: &AppState, key: &str) -> bool {
    let window = Duration::from_secs(state.config.web.login_window_secs);
    let mut f = super::lock(&state.failures);
    match f.get_mut(key) {
        Some(v) => {
            v.retain(|t| t.elapsed() < window);
            v.len() >= state.config.web.login_attempts as usize
        }
        None => false,
    }
}

/// Counts a failed login, and forgets every entry whose failures have all left the window: the
/// limiter holds only what can still refuse someone, however many names and addresses try.
fn record_failure(state: &AppState, key: &str) {
    let window = Duration::from_secs(state.config.web.login_window_secs);
    let mut f = super::lock(&state.failures);
    f.retain(|_, v| {
        v.retain(|t| t.elapsed() < window);
        !v.is_empty()
    });
    f.entry(key.to_string()).or_default().push(Instant::now());
}

/// How many names and addresses the login limiter remembers (for tests and diagnostics).
pub fn limiter_entries(state: &AppState) -> usize {
    super::lock(&state.failures).len()
}

/// Verifies a login, rate-limited per user name and address. Hashing runs off the async threads.
async fn check_login(
    state: &AppState,
    name: &str,
    password: &str,
    addr: &str,
) -> Result<(String, Session), AppError> {
    let key = format!("{name}\u{1f}{addr}");
    if too_many(state, &key) {
        let (n, a) = (name.to_string(), addr.to_string());
        let _ = state
            .users
            .write(move |u| u.audit(&n, "login.throttled", &a))
            .await;
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "too many failed logins for {name}: wait {} minutes",
                state.config.web.login_window_secs.div_ceil(60)
            ),
        ));
    }
    let (n, p) = (name.to_string(), password.to_string());
    let role = state.users.read(move |u| u.verify(&n, &p)).await?;
    if role.is_none() {
        record_failure(state, &key);
        let (n, a) = (name.to_string(), addr.to_string());
        let _ = state
            .users
            .write(move |u| u.audit(&n, "login.failed", &a))
            .await;
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong user name or password",
        ));
    }
    let n = name.to_string();
    state.users.write(move |u| u.login(&n)).await
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn login_page(
    State(_): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let lang = super::lang_of(&headers);
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let pre = random_token();
    let body = maud::html! {
        main.narrow {
            h1 { "purse · " (t("预算联网监督 登录", "budget supervision · log in")) }
            @if let Some(e) = &q.error { p.error { (e) } }
            form.login method="post" action="/login" {
                input type="hidden" name="csrf" value=(pre);
                input type="hidden" name="next" value=(q.next.as_deref().unwrap_or("/cockpit"));
                label { (t("用户名", "User")) " " input name="user" autocomplete="username" required autofocus; }
                label { (t("密码", "Password")) " " input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { (t("登录", "Log in")) }
            }
            p.note {
                a href={ "/lang?to=" (if lang == Lang::Zh { "en" } else { "zh" }) "&next=/login" } { (t("English", "中文")) }
            }
        }
    };
    let mut res = Html(html::bare(lang, t("登录", "Log in"), body).into_string()).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={pre}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// Only same-site paths: a `next` must not send the user elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/cockpit".into(),
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let pre = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same(&pre, &f.csrf) {
        return AppError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the login form is stale or did not come from purse: reload it",
        )
        .page()
        .into_response();
    }
    match check_login(&state, f.user.trim(), &f.password, &addr).await {
        Ok((token, _)) => {
            let mut res = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&state, &token, crate::users::SESSION_SECS),
            );
            res
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let lang = super::lang_of(&headers);
            let msg = lang.t("用户名或密码错误", "Wrong user name or password");
            // Back to the form, with the message; the browser's back button stays sane.
            Redirect::to(&format!("/login?error={}", urlencode(msg))).into_response()
        }
        Err(e) => e.page().into_response(),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = auth.check_csrf(&f.csrf) {
        return e.into_response();
    }
    end_session(&state, &auth, &headers).await;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, "", 0));
    res
}

/// Deletes the request's session and records it; the cached copy goes with the generation.
async fn end_session(state: &AppState, auth: &Auth, headers: &HeaderMap) {
    let token = cookie(headers, SESSION_COOKIE);
    let user = auth.user().to_string();
    let _ = state
        .users
        .write(move |u| {
            if let Some(t) = token {
                u.logout(&t)?;
            }
            u.audit(&user, "logout", "")
        })
        .await;
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiLogin {
    user: String,
    password: String,
}

/// The session's user, role and the CSRF token to send as `X-CSRF-Token`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub user: String,
    /// viewer, analyst, adviser or admin
    pub role: String,
    pub csrf: String,
}

/// Done.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OkBody {
    pub ok: bool,
}

#[utoipa::path(post, path = "/api/login", tag = "session", security(()), request_body = ApiLogin,
    responses((status = 200, body = LoginBody, description = "sets the session cookie"),
              (status = 400, body = super::api::ErrorBody), (status = 401, body = super::api::ErrorBody),
              (status = 415, body = super::api::ErrorBody), (status = 422, body = super::api::ErrorBody),
              (status = 429, body = super::api::ErrorBody)))]
/// Start a session
///
/// `POST /api/login {"user", "password"}` → `{"user", "role", "csrf"}` and the session cookie.
pub async fn api_login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    super::ApiJson(f): super::ApiJson<ApiLogin>,
) -> Response {
    match check_login(&state, f.user.trim(), &f.password, &addr).await {
        Ok((token, s)) => {
            let mut res = axum::Json(LoginBody {
                user: s.user,
                role: s.role.as_str().to_string(),
                csrf: s.csrf,
            })
            .into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&state, &token, crate::users::SESSION_SECS),
            );
            res
        }
        Err(e) => e.into_response(),
    }
}

#[utoipa::path(post, path = "/api/logout", tag = "session",
    params(("X-CSRF-Token" = String, Header)),
    responses((status = 200, body = OkBody), (status = 401, body = super::api::ErrorBody),
              (status = 403, body = super::api::ErrorBody)))]
/// End the session
pub async fn api_logout(State(state): State<AppState>, auth: Auth, headers: HeaderMap) -> Response {
    end_session(&state, &auth, &headers).await;
    let mut res = axum::Json(serde_json::json!({"ok": true})).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, "", 0));
    res
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    #[serde(default)]
    next: Option<String>,
}

/// Switches the language (a cookie) and goes back.
pub async fn set_lang(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.to).unwrap_or_default();
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "lang={}; SameSite=Lax; Path=/; Max-Age=31536000",
        lang.code()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/alerts?x=1")), "/alerts?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/cockpit");
        assert_eq!(safe_next(Some("https://evil.example")), "/cockpit");
        assert_eq!(safe_next(None), "/cockpit");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert_eq!(urlencode("a b/中"), "a%20b%2F%E4%B8%AD");
    }
}
