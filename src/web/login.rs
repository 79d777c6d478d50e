//! Logging in and out (pages and API), the failed-login limiter, and the language switch.

use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{Auth, ClientAddr, LOGIN_COOKIE, SESSION_COOKIE, cookie, same};
use super::error::{ApiJson, AppError, ErrorBody};
use super::html;
use super::html::urlencode;
use crate::i18n::Lang;
use crate::users::{Session, random_token};

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
    Ok(state.users.write(move |u| u.login(&n)).await?)
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
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
/// Start a session
///
/// `POST /api/login {"user", "password"}` → `{"user", "role", "csrf"}` and the session cookie.
pub async fn api_login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(f): ApiJson<ApiLogin>,
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
    responses((status = 200, body = OkBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/alerts?x=1")), "/alerts?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/cockpit");
        assert_eq!(safe_next(Some("https://evil.example")), "/cockpit");
        assert_eq!(safe_next(None), "/cockpit");
    }
}
