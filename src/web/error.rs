//! How the web answers when something is wrong: [`AppError`] (a status, a stable code and a
//! message, as a page or as JSON `{"error": {"code", "message"}}`), the body the API documents
//! for it, and extractors whose refusals take the same shape.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::html;

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

/// Every error: a stable code, a message that says what to do, and for SQL errors the place.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// bad_request, unauthorized, forbidden, csrf, not_found, conflict, too_large, invalid_body,
    /// unsupported_media_type, too_many_attempts, timeout, memory_limit, refused, sql_error,
    /// internal
    pub code: String,
    pub message: String,
    /// SQL errors only: where in the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}
