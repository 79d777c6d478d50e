//! The web front end: server-rendered pages in Chinese (English on request) and a JSON API
//! behind every page, on axum. Handlers are thin: they ask [`crate::figures`], the alert store,
//! the console and the report module, and render.
//!
//! No page or API answers without a session, except the login and the health check.

mod api;
pub mod auth;
mod cache;
pub use login::limiter_entries;
mod console;
pub mod error;
mod html;
mod login;
mod metrics;
mod pages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::app::App;
use crate::i18n::Lang;
use crate::users::Reach;

pub use auth::Auth;
pub use error::{ApiJson, ApiPath, ApiQuery, AppError, PageQuery, PageResult};
pub use html::urlencode;

/// What every handler shares: the application and what only the web keeps (rendered pages,
/// the login limiter, request metrics). Cheap to clone; derefs to [`App`].
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub app: Arc<App>,
    /// Set the `Secure` flag on cookies (behind TLS).
    pub secure_cookies: bool,
    /// Rendered pages, JSON bodies and charts for the current generation.
    pages: cache::Pages,
    /// Random per server start: with the generation, a chart URL names one rendering for good.
    pub instance: String,
    /// Failed logins per (name, address): when they happened.
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    /// Request latencies for `/metrics`.
    pub metrics: metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::ops::Deref for Inner {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// The web over an opened application (the scheduler shares the same one).
    pub fn new(app: Arc<App>) -> AppState {
        AppState(Arc::new(Inner {
            app,
            secure_cookies: false,
            pages: cache::Pages::default(),
            instance: crate::users::random_token()[..8].to_string(),
            failures: Mutex::new(HashMap::new()),
            metrics: metrics::Metrics::default(),
        }))
    }

    pub fn with_secure_cookies(self, on: bool) -> AppState {
        match Arc::try_unwrap(self.0) {
            Ok(mut inner) => {
                inner.secure_cookies = on;
                AppState(Arc::new(inner))
            }
            Err(arc) => AppState(arc),
        }
    }

    /// What the page cache holds under `key` for `generation` and this reach.
    pub fn get_cached(&self, reach: &Reach, generation: u64, key: &str) -> Option<Arc<str>> {
        self.pages.get(generation, &reach_key(reach, key))
    }

    /// Puts into the page cache (ignored for a generation that has passed).
    pub fn put_cached(&self, reach: &Reach, generation: u64, key: &str, body: Arc<str>) {
        self.pages.put(generation, reach_key(reach, key), body)
    }

    /// A rendered body from the cache of this generation, or rendered now (told the
    /// generation) and cached. Bodies are kept per reach: a bounded user never gets a page
    /// drawn for another.
    pub async fn cached<F, Fut>(
        &self,
        reach: &Reach,
        key: String,
        render: F,
    ) -> Result<Arc<str>, AppError>
    where
        F: FnOnce(u64) -> Fut,
        Fut: std::future::Future<Output = Result<String, AppError>>,
    {
        let generation = self.generation();
        let key = reach_key(reach, &key);
        if let Some(b) = self.pages.get(generation, &key) {
            return Ok(b);
        }
        let body: Arc<str> = render(generation).await?.into();
        self.pages.put(generation, key, body.clone());
        Ok(body)
    }
}

/// A cache key under a reach (everything: the key itself).
fn reach_key(reach: &Reach, key: &str) -> String {
    if reach.is_all() {
        key.to_string()
    } else {
        format!("[{}]{key}", reach.key())
    }
}

/// A cached body as a response body, sharing the cache's bytes instead of copying them.
pub fn shared_body(body: Arc<str>) -> axum::body::Body {
    struct Shared(Arc<str>);
    impl AsRef<[u8]> for Shared {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    axum::body::Body::from(axum::body::Bytes::from_owner(Shared(body)))
}

use crate::app::lock;

async fn css() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("static/purse.css"),
    )
}

/// Liveness.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HealthBody {
    /// Always `ok` when the server answers.
    pub status: String,
    pub version: String,
}

#[utoipa::path(get, path = "/api/health", tag = "meta", security(()),
    responses((status = 200, body = HealthBody)))]
/// Liveness (no session needed)
async fn health() -> axum::Json<HealthBody> {
    axum::Json(HealthBody {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn not_found() -> AppError {
    AppError::not_found("no such page").page()
}

/// Security headers on every response: no framing, no sniffing, scripts and styles only from
/// here.
async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// The whole application: pages, API and static files.
pub fn app(state: AppState) -> Router {
    let upload_limit = state.config.web.max_upload_mib.max(1) << 20;
    Router::new()
        .route("/", get(|| async { Redirect::to("/cockpit") }))
        .route("/login", get(login::login_page).post(login::login_form))
        .route("/logout", post(login::logout))
        .route("/lang", get(login::set_lang))
        .route("/static/purse.css", get(css))
        .route("/cockpit", get(pages::cockpit))
        .route("/charts/{*rest}", get(pages::chart))
        .route("/drill", get(pages::drill))
        .route("/trail", get(pages::trail))
        .route("/alerts", get(pages::alerts))
        .route("/alerts.csv", get(pages::alerts_csv))
        .route("/alerts.xlsx", get(pages::alerts_xlsx))
        .route("/alerts/{id}", get(pages::alert))
        .route("/alerts/{id}/act", post(pages::alert_act))
        .route("/alerts/{id}/adopt", post(pages::alert_adopt))
        .route(
            "/alerts/{id}/evidence",
            post(pages::alert_evidence).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/alerts/{id}/evidence/{eid}",
            get(pages::alert_evidence_file),
        )
        .route("/ask", get(pages::ask))
        .route("/review", get(pages::review))
        .route("/review/report", get(pages::review_report))
        .route("/rules", get(pages::rules))
        .route("/rules/{id}", get(pages::rule))
        .route("/data", get(pages::data))
        .route("/data/loads/{id}/report", get(pages::load_report))
        .route("/data/loads/{id}/retract", post(pages::retract))
        .route("/data/jobs/{id}", get(pages::job))
        .route("/data/quality", get(pages::quality))
        .route(
            "/data/upload",
            post(pages::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/users", get(pages::users).post(pages::add_user))
        .route("/reports", get(pages::reports).post(pages::generate_report))
        .route("/reports/{file}", get(pages::report_file))
        .route("/reports/live/{period}", get(pages::live_report))
        .route("/console", get(console::page).post(console::run_form))
        .route("/console/export", post(console::export))
        .route("/console/save", post(console::save))
        .route("/console/delete", post(console::delete))
        .route("/problems", get(pages::problems).post(pages::add_problem))
        .route("/problems/export.xlsx", get(pages::problems_export))
        .route("/problems/notice", get(pages::notice))
        .route(
            "/problems/import",
            post(pages::problems_import).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/problems/import-alerts",
            post(pages::problems_import_alerts),
        )
        .route("/problems/import-audit", post(pages::problems_import_audit))
        .route("/problems/rate-unit", post(pages::rate_unit))
        .route("/problems/{id}", get(pages::problem))
        .route("/problems/{id}/act", post(pages::problem_act))
        .route(
            "/problems/{id}/evidence",
            post(pages::problem_evidence).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/problems/{id}/evidence/{eid}", get(pages::evidence_file))
        .route("/api/health", get(health))
        .route("/api/login", post(login::api_login))
        .route("/api/logout", post(login::api_logout))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/periods", get(api::periods))
        .route("/api/cockpit", get(api::cockpit))
        .route("/api/highlights", get(api::highlights))
        .route("/api/drill", get(api::drill))
        .route("/api/trail", get(api::trail))
        .route("/api/ask", post(api::ask))
        .route("/api/alerts", get(api::alerts))
        .route("/api/alerts/{id}", get(api::alert))
        .route("/api/alerts/{id}/actions", post(api::act))
        .route("/api/rules", get(api::rules))
        .route("/api/loads", get(api::loads))
        .route("/api/jobs", get(api::jobs))
        .route("/api/jobs/{id}", get(api::job))
        .route("/api/reports", get(api::reports))
        .route("/api/sql", post(console::api_sql))
        .route("/api/problems", get(api::problems).post(api::add_problem))
        .route("/api/problems/summary", get(api::problems_summary))
        .route("/api/problems/{id}", get(api::problem))
        .route("/api/problems/{id}/actions", post(api::problem_act))
        .route("/metrics", get(metrics::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(headers))
        .with_state(state)
}

/// Takes the address, so a busy port is an error before anything says it is serving.
pub async fn bind(addr: SocketAddr) -> crate::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| crate::PurseError::io(PathBuf::from(addr.to_string()), e))
}

/// Ctrl-C, or SIGTERM (what `systemctl stop` sends): requests under way are answered first.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves until Ctrl-C or SIGTERM, with the report scheduler beside it.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> crate::Result<()> {
    let bind = listener
        .local_addr()
        .map_err(|e| crate::PurseError::io(PathBuf::from("listener"), e))?;
    let sched = crate::app::schedule::Scheduler::new(state.app.clone())?;
    tokio::spawn(sched.run(Arc::new(crate::report::schedule::SystemClock)));
    // Jobs a previous server left running are over: say so on the Data page.
    state.jobs.write(|j| j.sweep()).await.map_err(|e| {
        crate::PurseError::Warehouse(format!("marking interrupted upload jobs: {e}"))
    })?;
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_signal())
    .await
    .map_err(|e| crate::PurseError::io(PathBuf::from(bind.to_string()), e))
}

/// The language of a request: `lang` cookie, else Chinese.
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    auth::cookie(headers, "lang")
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default()
}
