//! The SQL console page and `POST /api/sql`, for the adviser role. Queries run through
//! [`crate::console`]: read-only, bounded and logged.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use maud::{Markup, html};

use super::AppState;
use super::auth::Auth;
use super::error::{ApiJson, AppError, ErrorBody, PageResult};
use super::html::{self, Frame, a, csrf, table, text};
use crate::charts::{self, Bar};
use crate::common::Val;
use crate::console::{ConsoleError, Outcome};
use crate::users::Role;

#[derive(Deserialize, Default)]
pub struct PageQ {
    /// A saved query to open.
    #[serde(default)]
    q: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct SqlForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sql: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    shared: Option<String>,
    #[serde(default)]
    id: Option<i64>,
}

/// The query the console opens with, over the newest month loaded (no fixed period: a
/// deployment's data is not the demo's).
fn example(period: &str) -> String {
    format!(
        "SELECT dept_name, sum(adjusted_budget) AS budget, sum(ytd_amount) AS spent,\n       round(100.0 * CAST(sum(ytd_amount) AS DOUBLE) / CAST(sum(adjusted_budget) AS DOUBLE), 1) AS rate\nFROM budget_execution\nWHERE period = '{period}' AND is_detail\nGROUP BY dept_name\nORDER BY rate"
    )
}

fn schema_browser(st: &AppState) -> Markup {
    html! {
        aside.schema {
            @for ds in &st.catalog.datasets {
                details {
                    summary { code { (ds.name) } " " (ds.title) }
                    ul {
                        @for c in &ds.columns {
                            li { code { (c.name) } " " span.type { (format!("{}", c.data_type())) } " " span.doc { (c.doc) } }
                        }
                        li { code { "period" } " " span.type { "Utf8" } " " span.doc { "期间 YYYY-MM (partition)" } }
                        @if ds.hierarchy.is_some() {
                            li { code { "is_detail" } " " span.type { "Boolean" } " " span.doc { "明细行：求和只用明细 (sum these only)" } }
                        }
                        li { code { "load_id" } ", " code { "source_row" } " " span.doc { "lineage → purse_loads" } }
                    }
                }
            }
            details {
                summary { code { "purse_loads" } " 载入记录" }
                ul { li { code { "load_id, file, sheet, dataset, status, loaded_at" } } }
            }
        }
    }
}

/// A chart of the result when its first column is a time or a category and another is a number.
fn result_chart(o: &Outcome) -> Option<String> {
    let cols = o.columns();
    if cols.len() < 2 || o.rows == 0 || o.rows > 60 {
        return None;
    }
    let vals = o.values();
    let ycol = (1..cols.len()).find(|&c| {
        vals.iter()
            .all(|r| r[c].num().is_some() || r[c] == Val::Null)
    })?;
    let labels: Vec<String> = vals.iter().map(|r| r[0].text()).collect();
    let timeish = labels.iter().all(|l| {
        l.len() >= 7 && l.as_bytes()[4] == b'-' && l[..4].chars().all(|c| c.is_ascii_digit())
    });
    let ys: Vec<Option<f64>> = vals.iter().map(|r| r[ycol].num()).collect();
    Some(if timeish {
        charts::lines(&cols[ycol], &labels, &[(cols[ycol].as_str(), ys)], None, "")
    } else {
        let bars: Vec<Bar> = labels
            .iter()
            .zip(ys)
            .map(|(l, y)| Bar {
                label: l.clone(),
                value: y.unwrap_or(0.0),
                colour: None,
            })
            .collect();
        charts::hbars(&cols[ycol], &bars, None, "")
    })
}

async fn render(
    st: &AppState,
    auth: &Auth,
    sql: &str,
    result: Option<Result<Outcome, ConsoleError>>,
) -> Result<String, AppError> {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let user = auth.user().to_string();
    let (saved, recent) = st
        .console
        .read(move |c| Ok::<_, crate::PurseError>((c.visible(&user)?, c.recent(Some(&user), 10)?)))
        .await
        .page()?;
    let w = &st.config.web;
    let outcome = match result {
        None => html! {},
        Some(Err(e)) => {
            let pos = match &e {
                ConsoleError::Sql {
                    line: Some(li),
                    column: Some(co),
                    ..
                } => format!(" ({} {li}, {} {co})", t("行", "line"), t("列", "column")),
                _ => String::new(),
            };
            html! { p.error #sqlerror { (e.to_string()) (pos) } }
        }
        Some(Ok(o)) => {
            let cols = o.columns();
            let hdr: Vec<&str> = cols.iter().map(String::as_str).collect();
            let rows: Vec<Vec<Markup>> = o
                .values()
                .iter()
                .take(1000)
                .map(|r| r.iter().map(|v| text(&v.text())).collect())
                .collect();
            html! {
                p #sqlstatus {
                    (o.rows) " " (t("行", "rows")) " "
                    @if o.truncated { (t("(已截断)", "(cut at the limit)")) }
                    " · " (o.duration.as_millis()) " ms"
                }
                @if let Some(svg) = result_chart(&o) { (crate::views::chart(svg)) }
                (table(&hdr, &rows, "data results"))
                @if o.rows > 1000 {
                    p.note { (t("页面显示前 1000 行；导出可得全部结果。", "The page shows 1,000 rows; export for all of them.")) }
                }
            }
        }
    };
    let body = html! {
        h1 { (t("SQL 查询(专家)", "SQL console (advisers)")) }
        div.console {
            div.main {
                form #sqlform method="post" action="/console" {
                    (csrf(auth))
                    textarea name="sql" rows="10" spellcheck="false" { (sql) }
                    div.bar {
                        button type="submit" { (t("运行", "Run")) } " "
                        button formaction="/console/export" name="format" value="csv" { "CSV" } " "
                        button formaction="/console/export" name="format" value="xlsx" { "XLSX" } " "
                        button formaction="/console/export" name="format" value="parquet" { "Parquet" } " "
                        input name="name" placeholder=(t("保存名称", "name to save as")); " "
                        label { input type="checkbox" name="shared" value="1"; " " (t("共享", "shared")) } " "
                        button formaction="/console/save" { (t("保存", "Save")) }
                    }
                }
                p.note {
                    (t("只读；最多返回", "Read-only; at most")) " " (w.sql_max_rows) " " (t("行", "rows"))
                    " · " (t("时限", "time limit")) " " (w.sql_timeout_secs) " s · "
                    (t("内存", "memory")) " " (w.sql_memory_mib) " MiB"
                }
                (outcome)
            }
            div.side {
                (schema_browser(st))
                h3 { (t("保存的查询", "Saved queries")) }
                ul.saved {
                    @for q in &saved {
                        li {
                            (a(&format!("/console?q={}", q.id), &q.name)) " "
                            span.note { (q.owner) @if q.shared { (t(" · 共享", " · shared")) } } " "
                            @if q.owner == auth.user() {
                                form.inline method="post" action="/console/delete" {
                                    (csrf(auth))
                                    input type="hidden" name="id" value=(q.id);
                                    button.link { "✕" }
                                }
                            }
                        }
                    }
                }
                h3 { (t("最近运行", "Recent")) }
                ul.recent {
                    @for r in &recent {
                        li {
                            code { (r.sql.chars().take(80).collect::<String>()) } " "
                            span.note { (r.duration_ms) " ms" @if r.error.is_some() { " ✗" } }
                        }
                    }
                }
            }
        }
    };
    Ok(html::page(
        auth,
        Frame::new("console", t("SQL 查询", "SQL console"), "/console"),
        body,
    )
    .into_string())
}

pub async fn page_handler(st: &AppState, auth: &Auth, q: &PageQ) -> Result<Html<String>, AppError> {
    auth.require(Role::Adviser)?;
    let sql = match q.q {
        Some(id) => {
            let user = auth.user().to_string();
            st.console
                .read(move |c| c.get(&user, id))
                .await
                .page()?
                .map(|s| s.sql)
                .ok_or_else(|| AppError::not_found(format!("no saved query #{id}")).page())?
        }
        None => {
            let periods = st.periods().await.page()?;
            let latest = periods
                .first()
                .cloned()
                .unwrap_or_else(|| chrono::Local::now().format("%Y-%m").to_string());
            example(&latest)
        }
    };
    Ok(Html(render(st, auth, &sql, None).await?))
}

pub async fn page(
    State(st): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQ>,
) -> Result<Html<String>, AppError> {
    page_handler(&st, &auth, &q).await
}

pub async fn run_form(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<SqlForm>,
) -> Result<Html<String>, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Adviser)?;
    let res = st
        .console_query(auth.user(), &auth.session.reach, &f.sql)
        .await;
    Ok(Html(render(&st, &auth, &f.sql, Some(res)).await?))
}

pub async fn export(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<SqlForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Adviser)?;
    let o = match st
        .console_query(auth.user(), &auth.session.reach, &f.sql)
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(Html(render(&st, &auth, &f.sql, Some(Err(e))).await?).into_response()),
    };
    let (bytes, mime, ext) = match f.format.as_deref().unwrap_or("csv") {
        "xlsx" => (
            crate::console::to_xlsx(&o, "result").page()?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "parquet" => (
            crate::console::to_parquet(&o).page()?,
            "application/vnd.apache.parquet",
            "parquet",
        ),
        "csv" => (
            crate::console::to_csv(&o).page()?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        other => {
            return Err(
                AppError::bad_request(format!("format `{other}`: csv, xlsx or parquet")).page(),
            );
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"query.{ext}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn save(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<SqlForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Adviser)?;
    let user = auth.user().to_string();
    let name = f.name.clone().unwrap_or_default();
    let shared = f.shared.is_some();
    let (u, n) = (user.clone(), name.clone());
    let id = st
        .console
        .write(move |c| c.save(&u, &n, &f.sql, shared))
        .await
        .page()?;
    st.users
        .write(move |u| u.audit(&user, "query.save", &format!("#{id} {name}")))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/console?q={id}")).into_response())
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<SqlForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Adviser)?;
    let id = f.id.unwrap_or(0);
    let user = auth.user().to_string();
    let u = user.clone();
    if st.console.write(move |c| c.delete(&u, id)).await.page()? {
        st.users
            .write(move |u| u.audit(&user, "query.delete", &format!("#{id}")))
            .await
            .page()?;
    }
    Ok(Redirect::to("/console").into_response())
}

/// Read-only SQL over the warehouse (DataFusion's dialect).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiSql {
    sql: String,
}

fn json_val(v: &Val) -> serde_json::Value {
    match v {
        Val::Null => serde_json::Value::Null,
        Val::Text(s) => s.clone().into(),
        Val::Int(i) => (*i).into(),
        Val::Money(m) => m.yuan().into(),
        Val::Dec(..) => v.text().into(),
        Val::Num(f) => serde_json::Number::from_f64(*f)
            .map(Into::into)
            .unwrap_or(serde_json::Value::Null),
        Val::Bool(b) => (*b).into(),
    }
}

/// A query's result.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SqlBody {
    pub columns: Vec<String>,
    /// Arrow data type of each column.
    pub types: Vec<String>,
    /// Values row by row; money as exact decimal strings.
    pub rows: Vec<Vec<serde_json::Value>>,
    pub row_count: usize,
    /// Cut at the row limit.
    pub truncated: bool,
    pub duration_ms: u64,
}

#[utoipa::path(post, path = "/api/sql", tag = "console",
    params(("X-CSRF-Token" = String, Header)),
    request_body = ApiSql,
    responses((status = 200, body = SqlBody),
              (status = 400, body = ErrorBody, description = "SQL error, with line and column"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not an adviser, or not a read-only query"),
              (status = 408, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "over the memory limit, or a bad body"),
              (status = 500, body = ErrorBody)))]
/// Read-only SQL (adviser and above), in a child process with row, time and memory limits
///
/// `POST /api/sql {"sql": "..."}` → `{"columns", "types", "rows", "row_count", "truncated",
/// "duration_ms"}`. Money comes back as exact decimal strings.
pub async fn api_sql(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(q): ApiJson<ApiSql>,
) -> Result<Response, AppError> {
    auth.require(Role::Adviser)?;
    match st
        .console_query(auth.user(), &auth.session.reach, &q.sql)
        .await
    {
        Ok(o) => {
            let rows: Vec<Vec<serde_json::Value>> = o
                .values()
                .iter()
                .map(|r| r.iter().map(json_val).collect())
                .collect();
            let types: Vec<String> = o
                .schema
                .fields()
                .iter()
                .map(|f| f.data_type().to_string())
                .collect();
            Ok(axum::Json(SqlBody {
                columns: o.columns(),
                types,
                rows,
                row_count: o.rows,
                truncated: o.truncated,
                duration_ms: o.duration.as_millis() as u64,
            })
            .into_response())
        }
        Err(e) => {
            let (status, code) = match &e {
                ConsoleError::Refused { .. } => (StatusCode::FORBIDDEN, "refused"),
                ConsoleError::Sql { .. } => (StatusCode::BAD_REQUEST, "sql_error"),
                ConsoleError::Timeout { .. } => (StatusCode::REQUEST_TIMEOUT, "timeout"),
                ConsoleError::Memory { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "memory_limit"),
                ConsoleError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            };
            let mut body = serde_json::json!({"error": {"code": code, "message": e.to_string()}});
            if let ConsoleError::Sql { line, column, .. } = &e {
                body["error"]["line"] = serde_json::json!(line);
                body["error"]["column"] = serde_json::json!(column);
            }
            Ok((status, axum::Json(body)).into_response())
        }
    }
}
