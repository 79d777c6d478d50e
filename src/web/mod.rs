//! The web front end: server-rendered pages in Chinese (English on request) and a JSON API
//! behind every page, on axum. Handlers are thin: they ask [`crate::figures`], the alert store,
//! the console and the report module, and render.
//!
//! No page or API answers without a session, except the login and the health check.

mod api;
mod auth;
pub use auth::limiter_entries;
mod console;
mod html;
pub mod jobs;
mod metrics;
mod pages;
mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use datafusion::prelude::SessionContext;

use crate::access::Visible;
use crate::alerts::AlertStore;
use crate::config::Config;
use crate::datasets::Catalog;
use crate::figures::Cockpit;
use crate::foresight::projection::Outlook;
use crate::i18n::Lang;
use crate::users::{Reach, Users};

pub use auth::{Auth, urlencode};

/// An engine for one reach: the data version it was built at, the session bounded to the reach,
/// and what the reach lets through of alerts and problem items.
type Engine = (i64, SessionContext, Arc<Visible>);

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub data_dir: PathBuf,
    pub catalog: Catalog,
    pub config: Config,
    /// Set the `Secure` flag on cookies (behind TLS).
    pub secure_cookies: bool,
    /// One engine per reach (the empty key: everything), rebuilt when a load lands.
    engines: tokio::sync::Mutex<HashMap<String, Engine>>,
    cockpits: Mutex<HashMap<(i64, String, String), Arc<Cockpit>>>,
    /// Year-end projections per (data version, period, reach), every grain from one read.
    outlooks: Mutex<HashMap<(i64, String, String), Arc<Outlook>>>,
    periods: Mutex<Option<(i64, Vec<String>)>>,
    /// The rule set and its colour bands, read once per data version (see
    /// [`AppState::rules`]), not once per request or drill-down.
    rule_set: Mutex<Option<(i64, Arc<crate::rules::RuleSet>, crate::figures::Bands)>>,
    /// The alert workflow; SQLite, used from the blocking pool.
    pub alerts: store::Store<AlertStore>,
    /// Users, sessions and the audit log; SQLite, used from the blocking pool.
    pub users: store::Store<Users>,
    /// The console's saved queries and log; SQLite, used from the blocking pool.
    pub console: store::Store<crate::console::ConsoleStore>,
    /// The problem list and its rectification loop; SQLite, used from the blocking pool.
    pub problems: store::Store<crate::problems::ProblemStore>,
    /// Upload jobs: their table and, while they run, their progress.
    pub jobs: store::Store<jobs::Jobs>,
    versions: Arc<store::Versions>,
    sessions: store::Sessions,
    /// Rendered pages, JSON bodies and charts for the current generation.
    pages: store::Pages,
    /// Random per server start: with the generation, a chart URL names one rendering for good.
    pub instance: String,
    /// Failed logins per (name, address): when they happened.
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    /// One upload is ingested at a time (the warehouse has one writer).
    ingest: tokio::sync::Mutex<()>,
    /// Request latencies for `/metrics`.
    pub metrics: metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(data_dir: &Path, catalog: Catalog, config: Config) -> crate::Result<AppState> {
        let versions = store::Versions::start(data_dir)?;
        Ok(AppState(Arc::new(Inner {
            data_dir: data_dir.to_path_buf(),
            alerts: store::Store::new(AlertStore::open(data_dir)?, versions.clone()),
            users: store::Store::new(Users::open(data_dir)?, versions.clone()),
            console: store::Store::new(
                crate::console::ConsoleStore::open(data_dir)?,
                versions.clone(),
            ),
            jobs: store::Store::new(jobs::Jobs::open(data_dir)?, versions.clone()),
            problems: store::Store::new(
                crate::problems::ProblemStore::open(data_dir)?,
                versions.clone(),
            ),
            versions,
            sessions: store::Sessions::default(),
            pages: store::Pages::default(),
            instance: crate::users::random_token()[..8].to_string(),
            catalog,
            config,
            secure_cookies: false,
            engines: tokio::sync::Mutex::new(HashMap::new()),
            cockpits: Mutex::new(HashMap::new()),
            outlooks: Mutex::new(HashMap::new()),
            periods: Mutex::new(None),
            rule_set: Mutex::new(None),
            failures: Mutex::new(HashMap::new()),
            ingest: tokio::sync::Mutex::new(()),
            metrics: metrics::Metrics::default(),
        })))
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

    /// The newest load in the manifest: figures cached under an older one are stale. Read from
    /// memory; the poller in [`store`] keeps it current.
    pub fn data_version(&self) -> i64 {
        self.versions.data()
    }

    /// Bumped on every commit to `purse.db`: rendered pages cached under an older one are stale.
    pub fn generation(&self) -> u64 {
        self.versions.generation()
    }

    /// Looks for commits now rather than at the poller's next tick (after a load this process
    /// made, so its own user sees it at once).
    pub async fn refresh_versions(&self) -> Result<(), AppError> {
        let v = self.versions.clone();
        blocking(move || v.refresh()).await
    }

    /// What the page cache holds under `key` for `generation` and this reach.
    pub fn get_cached(&self, reach: &Reach, generation: u64, key: &str) -> Option<Arc<str>> {
        self.pages.get(generation, &reach_key(reach, key))
    }

    /// Puts into the page cache (ignored for a generation that has passed).
    pub fn put_cached(&self, reach: &Reach, generation: u64, key: &str, body: Arc<str>) {
        self.pages.put(generation, reach_key(reach, key), body)
    }

    /// The session of a token, from memory unless the database changed since it was read.
    pub async fn session(&self, token: &str) -> Result<Option<crate::users::Session>, AppError> {
        self.sessions.get(&self.users, &self.versions, token).await
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

    /// The engine over the current warehouse as `reach` sees it (every table bounded by
    /// [`crate::engine::restrict`]), rebuilt when a load lands.
    pub async fn engine(&self, reach: &Reach) -> Result<SessionContext, AppError> {
        Ok(self.engine_and_visible(reach).await?.0)
    }

    /// Which alerts and problem items `reach` lets through (read from its bounded engine).
    pub async fn visible(&self, reach: &Reach) -> Result<Arc<Visible>, AppError> {
        Ok(self.engine_and_visible(reach).await?.1)
    }

    async fn engine_and_visible(
        &self,
        reach: &Reach,
    ) -> Result<(SessionContext, Arc<Visible>), AppError> {
        let v = self.data_version();
        let key = reach.key();
        let mut e = self.engines.lock().await;
        if let Some((ver, ctx, vis)) = e.get(&key)
            && *ver == v
        {
            return Ok((ctx.clone(), vis.clone()));
        }
        let ctx = crate::engine::session(&self.data_dir, &self.catalog).await?;
        crate::engine::restrict(&ctx, &self.catalog, reach).await?;
        let vis = Arc::new(Visible::of(&ctx, reach).await?);
        e.retain(|_, (ver, _, _)| *ver == v);
        e.insert(key, (v, ctx.clone(), vis.clone()));
        Ok((ctx, vis))
    }

    /// Alerts by filter, as `reach` sees them.
    pub async fn alerts_for(
        &self,
        reach: &Reach,
        filter: crate::alerts::Filter,
    ) -> Result<Vec<crate::alerts::Alert>, AppError> {
        let vis = self.visible(reach).await?;
        let v = self.alerts.read(move |s| s.list(&filter)).await?;
        Ok(vis.alerts(v))
    }

    /// A month's alerts against the month before, as `reach` sees them.
    pub async fn month_for(
        &self,
        reach: &Reach,
        period: &str,
    ) -> Result<crate::alerts::MonthAlerts, AppError> {
        let vis = self.visible(reach).await?;
        let (p, prev) = (period.to_string(), crate::figures::prev_period(period)?);
        let m = self.alerts.read(move |s| s.month(&p, &prev)).await?;
        Ok(vis.month(m))
    }

    /// How many alerts each rule has raised, of those `reach` sees.
    pub async fn fired_for(&self, reach: &Reach) -> Result<HashMap<String, i64>, AppError> {
        if reach.is_all() {
            return self.alerts.read(|s| s.counts_by_rule()).await;
        }
        let mut m = HashMap::new();
        for a in self.alerts_for(reach, Default::default()).await? {
            *m.entry(a.rule_id).or_insert(0) += 1;
        }
        Ok(m)
    }

    /// Problem items by filter, as `reach` sees them (overdue as of today).
    pub async fn problems_for(
        &self,
        reach: &Reach,
        filter: crate::problems::Filter,
    ) -> Result<Vec<crate::problems::Problem>, AppError> {
        let vis = self.visible(reach).await?;
        let on = chrono::Local::now().date_naive();
        let v = self.problems.read(move |s| s.list(&filter, on)).await?;
        Ok(vis.problems(v))
    }

    /// One problem item, if `reach` sees it; otherwise the same answer as for no such item.
    pub async fn problem_for(
        &self,
        reach: &Reach,
        id: i64,
    ) -> Result<crate::problems::Problem, AppError> {
        let vis = self.visible(reach).await?;
        let p = self.problems.read(move |s| s.get(id)).await?;
        if vis.problem(&p) {
            Ok(p)
        } else {
            Err(AppError::not_found(format!("no problem item #{id}")))
        }
    }

    /// The loop in a month (YYYY-MM) as `reach` sees it, overdue as of `on`.
    pub async fn loop_for(
        &self,
        reach: &Reach,
        month: &str,
        on: chrono::NaiveDate,
    ) -> Result<crate::problems::LoopSummary, AppError> {
        let vis = self.visible(reach).await?;
        let m = month.to_string();
        self.problems
            .read(move |s| s.summary(&m, on, |p| vis.problem(p)))
            .await
    }

    /// Refuses an alert outside `reach` exactly as one that does not exist: a bounded user
    /// cannot tell another area's alert ids from gaps.
    pub async fn alert_in_reach(&self, reach: &Reach, id: i64) -> Result<(), AppError> {
        if reach.is_all() {
            return Ok(());
        }
        let vis = self.visible(reach).await?;
        let a = self.alerts.read(move |s| s.get(id)).await?;
        if vis.alert(&a) {
            Ok(())
        } else {
            Err(AppError::not_found(format!("no alert #{id}")))
        }
    }

    /// Cockpit figures for a period as `reach` sees them, computed once per data version.
    pub async fn cockpit(&self, period: &str, reach: &Reach) -> Result<Arc<Cockpit>, AppError> {
        let v = self.data_version();
        let key = (v, period.to_string(), reach.key());
        if let Some(c) = lock(&self.cockpits).get(&key) {
            return Ok(c.clone());
        }
        let ctx = self.engine(reach).await?;
        let c = Arc::new(crate::figures::cockpit(&ctx, period, &self.bands()?).await?);
        let mut cache = lock(&self.cockpits);
        cache.retain(|k, _| k.0 == v);
        cache.insert(key, c.clone());
        Ok(c)
    }

    /// Year-end projections of every grain as `reach` sees them, computed once per data version.
    pub async fn outlook(&self, period: &str, reach: &Reach) -> Result<Arc<Outlook>, AppError> {
        let v = self.data_version();
        let key = (v, period.to_string(), reach.key());
        if let Some(c) = lock(&self.outlooks).get(&key) {
            return Ok(c.clone());
        }
        let ctx = self.engine(reach).await?;
        let o = Arc::new(Outlook::of(&ctx, period).await?);
        let mut cache = lock(&self.outlooks);
        cache.retain(|k, _| k.0 == v);
        cache.insert(key, o.clone());
        Ok(o)
    }

    /// The data-quality scorecard of the twelve months to `period`, as `reach` sees the data.
    pub async fn scorecard(
        &self,
        period: &str,
        reach: &Reach,
    ) -> Result<crate::foresight::quality::Scorecard, AppError> {
        let dir = self.data_dir.clone();
        let deliveries = blocking(move || {
            crate::foresight::quality::Deliveries::read(&crate::warehouse::Warehouse::open_read(
                &dir,
            )?)
        })
        .await?;
        let ctx = self.engine(reach).await?;
        let today = chrono::Local::now().date_naive();
        Ok(crate::foresight::quality::scorecard(
            &ctx,
            &self.catalog,
            &deliveries,
            &self.config.quality,
            period,
            today,
        )
        .await?)
    }

    /// Periods with data, newest first.
    pub async fn periods(&self) -> Result<Vec<String>, AppError> {
        let v = self.data_version();
        if let Some((ver, p)) = lock(&self.periods).as_ref()
            && *ver == v
        {
            return Ok(p.clone());
        }
        let ctx = self.engine(&Reach::default()).await?;
        let monthly: Vec<&str> = self
            .catalog
            .datasets
            .iter()
            .filter(|d| d.grain == crate::datasets::Grain::Month)
            .map(|d| d.name.as_str())
            .collect();
        let p = crate::figures::periods(&ctx, &monthly).await?;
        *lock(&self.periods) = Some((v, p.clone()));
        Ok(p)
    }

    /// `period` if given and well formed, else the newest period with data.
    pub async fn period_or_latest(
        &self,
        p: Option<crate::period::Period>,
    ) -> Result<String, AppError> {
        match p {
            Some(p) => Ok(p.to_string()),
            None => self.periods().await?.into_iter().next().ok_or_else(|| {
                AppError::not_found("no data loaded yet: upload an extract on the Data page")
            }),
        }
    }

    /// The colour bands of the deployment's rules (thresholds with overrides applied).
    pub fn bands(&self) -> crate::Result<crate::figures::Bands> {
        Ok(self.rules_and_bands()?.1)
    }

    /// The deployment's rules: `DIR/queries` if present, else the built-in pack, with
    /// overrides. Read and validated once per data version (a load, a retraction or a check
    /// makes a new one), not once per request.
    pub fn rules(&self) -> crate::Result<Arc<crate::rules::RuleSet>> {
        Ok(self.rules_and_bands()?.0)
    }

    fn rules_and_bands(
        &self,
    ) -> crate::Result<(Arc<crate::rules::RuleSet>, crate::figures::Bands)> {
        let v = self.data_version();
        if let Some((ver, set, bands)) = lock(&self.rule_set).as_ref()
            && *ver == v
        {
            return Ok((set.clone(), bands.clone()));
        }
        let set = Arc::new(crate::rules::RuleSet::resolve(
            None,
            &self.data_dir,
            &self.catalog,
            &self.config.rules,
        )?);
        let bands = crate::figures::Bands::from_rules(&set);
        *lock(&self.rule_set) = Some((v, set.clone(), bands.clone()));
        Ok((set, bands))
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

/// Runs blocking work (files, SQLite outside the stores) on the blocking pool.
pub async fn blocking<R, E, F>(f: F) -> Result<R, AppError>
where
    F: FnOnce() -> Result<R, E> + Send + 'static,
    R: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || f().map_err(Into::into))
        .await
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

/// A poisoned lock only means another request panicked; the data behind it is SQLite's.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An error with its HTTP status, shown as a page or as JSON `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub html: bool,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
            html: false,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn not_found(m: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", m)
    }
    pub fn forbidden(m: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", m)
    }
    pub fn unauthorized() -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "log in first")
    }
    /// Sends the browser elsewhere (a page it may open instead).
    pub fn see_other(to: &str) -> AppError {
        AppError::new(StatusCode::SEE_OTHER, "see_other", to)
    }
    /// Render as a page rather than JSON.
    pub fn page(mut self) -> AppError {
        self.html = true;
        self
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl From<crate::PurseError> for AppError {
    fn from(e: crate::PurseError) -> AppError {
        use crate::PurseError as P;
        match &e {
            P::NotFound(m) => AppError::not_found(m.clone()),
            P::Conflict(m) => AppError::new(StatusCode::CONFLICT, "conflict", m.clone()),
            P::Invalid(_) | P::Config(_) | P::UnknownDataset { .. } => {
                AppError::bad_request(e.to_string())
            }
            _ => AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        }
    }
}

impl From<datafusion::error::DataFusionError> for AppError {
    fn from(e: datafusion::error::DataFusionError) -> AppError {
        AppError::from(crate::PurseError::from(e))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::UNAUTHORIZED && self.html {
            return Redirect::to("/login").into_response();
        }
        if self.status == StatusCode::SEE_OTHER {
            return Redirect::to(&self.message).into_response();
        }
        if self.html {
            let title = format!("{} {}", self.status.as_u16(), self.code);
            let body = html::bare(
                crate::i18n::Lang::Zh,
                &title,
                maud::html! {
                    main.narrow {
                        h1 { (self.status.as_u16()) " " (self.status.canonical_reason().unwrap_or("")) }
                        p.error { (self.message) }
                        p { a href="/cockpit" { "← 一屏纵览 Cockpit" } }
                    }
                },
            )
            .into_string();
            return (self.status, Html(body)).into_response();
        }
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}

/// Maps a library result into a page error.
pub trait PageResult<T> {
    fn page(self) -> Result<T, AppError>;
}

impl<T, E: Into<AppError>> PageResult<T> for Result<T, E> {
    fn page(self) -> Result<T, AppError> {
        self.map_err(|e| e.into().page())
    }
}

fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        _ => "bad_request",
    }
}

/// `Json<T>` whose refusals (wrong content type, bad JSON, missing fields) are API errors with
/// the stable shape rather than axum's plain text.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(AppError::new(
                e.status(),
                code_of(e.status()),
                e.body_text(),
            )),
        }
    }
}

/// `Path<T>` with API-shaped refusals.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S>
    for ApiPath<T>
{
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(AppError::new(
                e.status(),
                code_of(e.status()),
                e.body_text(),
            )),
        }
    }
}

/// `Query<T>` with API-shaped refusals.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(AppError::new(
                e.status(),
                code_of(e.status()),
                e.body_text(),
            )),
        }
    }
}

/// `Query<T>` for pages: a malformed query string is an error page naming the field and why.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for PageQuery<T>
{
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        ApiQuery::<T>::from_request_parts(parts, state)
            .await
            .map(|ApiQuery(v)| PageQuery(v))
            .map_err(AppError::page)
    }
}

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
        .route("/login", get(auth::login_page).post(auth::login_form))
        .route("/logout", post(auth::logout))
        .route("/lang", get(auth::set_lang))
        .route("/static/purse.css", get(css))
        .route("/cockpit", get(pages::cockpit))
        .route("/charts/{*rest}", get(pages::chart))
        .route("/drill", get(pages::drill))
        .route("/alerts", get(pages::alerts))
        .route("/alerts.csv", get(pages::alerts_csv))
        .route("/alerts.xlsx", get(pages::alerts_xlsx))
        .route("/alerts/{id}", get(pages::alert))
        .route("/alerts/{id}/act", post(pages::alert_act))
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
        .route("/api/login", post(auth::api_login))
        .route("/api/logout", post(auth::api_logout))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/periods", get(api::periods))
        .route("/api/cockpit", get(api::cockpit))
        .route("/api/drill", get(api::drill))
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
    let sched = crate::report::schedule::Scheduler::new(
        &state.data_dir,
        state.catalog.clone(),
        state.config.clone(),
    )?;
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
