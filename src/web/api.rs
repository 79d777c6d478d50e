//! The JSON API behind every page. Money is an exact decimal string in 元; errors are
//! `{"error": {"code", "message"}}` with the HTTP status saying what kind.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::pages::{ActForm, AlertsQ, DrillQ, PeriodQ, action_of, clean_scope, filtered};
use super::{ApiJson, ApiPath, ApiQuery, AppError, AppState, Auth};
use crate::alerts::allowed_actions;
use crate::users::Role;

type J = Result<Json<Value>, AppError>;

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })
}

pub async fn periods(State(st): State<AppState>, _a: Auth) -> J {
    Ok(Json(json!({"periods": st.periods().await?})))
}

/// Served from the page cache: figures per data version, alert counts per generation.
pub async fn cockpit(
    State(st): State<AppState>,
    _a: Auth,
    ApiQuery(q): ApiQuery<PeriodQ>,
) -> Result<Response, AppError> {
    let period = st.period_or_latest(q.period).await?;
    let body = st
        .cached(format!("api/cockpit/{period}"), || {
            cockpit_json(&st, &period)
        })
        .await?;
    Ok(json_body(body))
}

async fn cockpit_json(st: &AppState, period: &str) -> Result<String, AppError> {
    let c = st.cockpit(period).await?;
    let mut v = to_json(c.as_ref())?;
    let (p, prev) = (period.to_string(), crate::figures::prev_period(period)?);
    let (open, month) = st
        .alerts
        .read(move |s| {
            let open = s.list(&crate::alerts::Filter {
                open: true,
                ..Default::default()
            })?;
            Ok::<_, crate::PurseError>((open, s.month(&p, &prev)?))
        })
        .await?;
    let mut by =
        std::collections::BTreeMap::<String, std::collections::BTreeMap<String, usize>>::new();
    for a in &open {
        *by.entry(a.level.clone())
            .or_default()
            .entry(a.category.clone())
            .or_default() += 1;
    }
    v["open_alerts"] = json!({"total": open.len(), "by_level_and_category": by});
    v["this_period"] = json!({
        "alerts": month.alerts.len(), "new": month.new, "continuing": month.continuing()
    });
    Ok(v.to_string())
}

/// A JSON body that is already serialised (from the page cache).
fn json_body(body: std::sync::Arc<str>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

pub async fn drill(State(st): State<AppState>, _a: Auth, ApiQuery(q): ApiQuery<DrillQ>) -> J {
    let period = st.period_or_latest(q.period).await?;
    let ctx = st.engine().await?;
    let d = crate::figures::drill(&ctx, &period, &clean_scope(q.scope)).await?;
    Ok(Json(to_json(&d)?))
}

pub async fn alerts(State(st): State<AppState>, _a: Auth, ApiQuery(q): ApiQuery<AlertsQ>) -> J {
    let list = filtered(&st, &q).await?;
    Ok(Json(
        json!({"count": list.len(), "alerts": to_json(&list)?}),
    ))
}

pub async fn alert(State(st): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> J {
    let (a, why, history, events) = st
        .alerts
        .read(move |s| {
            let a = s.get(id)?;
            let why = s.explain(id, &a.last_period)?;
            Ok::<_, crate::PurseError>((a, why, s.history(id)?, s.events(id)?))
        })
        .await?;
    let actions: Vec<&str> = if auth.role() >= Role::Analyst {
        let mut v = allowed_actions(a.status);
        if !v.contains(&"comment") {
            v.push("comment");
        }
        v
    } else {
        vec![]
    };
    Ok(Json(json!({
        "alert": to_json(&a)?,
        "why": to_json(&why)?,
        "history": to_json(&history)?,
        "events": to_json(&events)?,
        "allowed_actions": actions,
    })))
}

/// `POST /api/alerts/{id}/actions {"action": "ack" | "rectify" | "close" | "dismiss" | "comment", …}`
pub async fn act(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(f): ApiJson<ActForm>,
) -> J {
    auth.require(Role::Analyst)?;
    let action = action_of(&f)?;
    let user = auth.user().to_string();
    let a = st.alerts.write(move |s| s.act(id, &action, &user)).await?;
    Ok(Json(json!({"alert": to_json(&a)?})))
}

pub async fn rules(State(st): State<AppState>, _a: Auth) -> J {
    let set = st.rules()?;
    let fired = st.alerts.read(|s| s.counts_by_rule()).await?;
    let v: Vec<Value> = set
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "title_zh": r.title_zh, "title_en": r.title_en, "category": r.category,
                "datasets": r.datasets, "severity": r.fixed_level, "mode": r.mode, "enabled": r.enabled,
                "params": r.params.iter().map(|(k, v)| (k.clone(), v.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
                "key": r.key, "description": r.description, "sql": r.sql,
                "fired": fired.get(&r.id).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(Json(json!({"rules": v})))
}

pub async fn loads(State(st): State<AppState>, _a: Auth) -> J {
    let dir = st.data_dir.clone();
    let (summary, loads) =
        super::blocking(move || match crate::warehouse::Warehouse::open_read(&dir) {
            Ok(wh) => Ok::<_, crate::PurseError>((wh.summary()?, wh.loads(500)?)),
            Err(_) => Ok((vec![], vec![])),
        })
        .await?;
    Ok(Json(
        json!({"datasets": to_json(&summary)?, "loads": to_json(&loads)?}),
    ))
}

/// Upload jobs, newest first, with their phase and rows read while they run.
pub async fn jobs(State(st): State<AppState>, _a: Auth) -> J {
    let v = st.jobs.read(|j| j.recent(50)).await?;
    Ok(Json(json!({"jobs": to_json(&v)?})))
}

pub async fn job(State(st): State<AppState>, _a: Auth, ApiPath(id): ApiPath<i64>) -> J {
    let j = st
        .jobs
        .read(move |j| j.get(id))
        .await?
        .ok_or_else(|| AppError::not_found(format!("no upload job #{id}")))?;
    Ok(Json(json!({"job": to_json(&j)?})))
}

pub async fn reports(State(st): State<AppState>, _a: Auth) -> J {
    let v: Vec<Value> = crate::report::archived(&st.data_dir)
        .into_iter()
        .map(|(p, l, h, x)| {
            let name = |p: &std::path::Path| p.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            json!({"period": p, "lang": l.code(), "html": format!("/reports/{}", name(&h)), "xlsx": format!("/reports/{}", name(&x))})
        })
        .collect();
    Ok(Json(
        json!({"schedule": st.config.report.schedule, "reports": v}),
    ))
}

pub async fn openapi(_a: Auth) -> Json<Value> {
    Json(openapi_doc())
}

/// The schema of a query or path parameter, by name.
fn param_schema(name: &str) -> Value {
    match name {
        "period" => {
            json!({"type": "string", "pattern": "^((19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2]))?$",
                           "description": "YYYY-MM; empty or absent: the newest period with data"})
        }
        "level" => {
            json!({"type": "string", "enum": ["", "红", "橙", "黄", "蓝", "red", "orange", "yellow", "blue"]})
        }
        "status" => {
            json!({"type": "string", "enum": ["", "open", "new", "acknowledged", "rectifying", "cleared", "closed", "dismissed", "resolved", "recorded"]})
        }
        "id" => json!({"type": "integer", "format": "int64", "minimum": 1}),
        _ => json!({"type": "string"}),
    }
}

fn err(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert(
            c.to_string(),
            json!({"$ref": "#/components/responses/Error"}),
        );
    }
    Value::Object(m)
}

fn get_op(summary: &str, params: &[(&str, &str)]) -> Value {
    let ps: Vec<Value> = params
        .iter()
        .map(|(n, inn)| json!({"name": n, "in": inn, "required": *inn == "path", "schema": param_schema(n)}))
        .collect();
    let mut responses = err(&["400", "401", "404"]);
    responses["200"] = json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}});
    json!({"summary": summary, "parameters": ps, "responses": responses})
}

/// A required, non-blank text field.
fn text() -> Value {
    json!({"type": "string", "minLength": 1, "pattern": "\\S"})
}

/// The OpenAPI 3.1 description of `/api`.
pub fn openapi_doc() -> Value {
    let q = "query";
    let alert_filters = [
        ("period", q),
        ("rule", q),
        ("level", q),
        ("category", q),
        ("dept", q),
        ("status", q),
    ];
    let csrf = json!({"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}});
    let ok = json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}});
    let action = |name: &str, required: &[&str], props: Value| {
        let mut p = props;
        p["action"] = json!({"const": name});
        let mut req = vec!["action"];
        req.extend_from_slice(required);
        json!({"type": "object", "required": req, "properties": p})
    };
    let mut act_responses = err(&["400", "401", "403", "404", "409", "415", "422"]);
    act_responses["200"] = json!({"description": "The alert after the action", "content": {"application/json": {"schema": {"type": "object"}}}});
    let mut sql_responses = err(&["400", "401", "403", "408", "415", "422"]);
    sql_responses["200"] = ok.clone();
    let mut logout_responses = err(&["401", "403"]);
    logout_responses["200"] = ok.clone();
    let mut login_responses = err(&["400", "401", "415", "422", "429"]);
    login_responses["200"] =
        json!({"description": "user, role and csrf token; sets the session cookie"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "purse API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "预算联网监督 purse: cockpit figures, drill-down, alerts and their workflow, rules, loads, reports and read-only SQL. Log in with POST /api/login; send the session cookie, and the returned csrf token as X-CSRF-Token on every POST. Money is an exact decimal string in yuan."},
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "purse_session"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]}}}}}},
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
        },
        "security": [{"session": []}],
        "paths": {
            "/api/health": {"get": {"summary": "Liveness (no session needed)", "security": [], "responses": {"200": ok}}},
            "/api/login": {"post": {"summary": "Start a session", "security": [],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["user", "password"],
                    "properties": {"user": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": login_responses}},
            "/api/logout": {"post": {"summary": "End the session", "parameters": [csrf], "responses": logout_responses}},
            "/api/periods": {"get": get_op("Periods with data, newest first", &[])},
            "/api/cockpit": {"get": get_op("Cockpit figures for a period (default: newest)", &[("period", q)])},
            "/api/drill": {"get": get_op("Drill-down: region → dept → agency → project → source rows", &[("period", q), ("region", q), ("dept", q), ("agency", q), ("project", q)])},
            "/api/alerts": {"get": get_op("Alerts, filtered; status=open for new+acknowledged+rectifying", &alert_filters)},
            "/api/alerts/{id}": {"get": get_op("An alert with its history, audit trail and allowed actions", &[("id", "path")])},
            "/api/alerts/{id}/actions": {"post": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": param_schema("id")}, csrf],
                "summary": "Workflow action (analyst and above); 409 when the alert's status does not allow it",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
                    action("ack", &[], json!({})),
                    action("rectify", &["owner", "due"], json!({"owner": text(), "due": {"type": "string", "format": "date"}})),
                    action("close", &["evidence"], json!({"evidence": text()})),
                    action("dismiss", &["reason"], json!({"reason": text()})),
                    action("comment", &["text"], json!({"text": text()})),
                ]}}}},
                "responses": act_responses}},
            "/api/rules": {"get": get_op("The rule catalog with SQL, parameters and how often each fired", &[])},
            "/api/loads": {"get": get_op("Datasets loaded and the load manifest", &[])},
            "/api/reports": {"get": get_op("Archived monthly reports", &[])},
            "/api/sql": {"post": {"summary": "Read-only SQL (adviser and above); row, time and memory limits",
                "parameters": [csrf],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["sql"], "properties": {"sql": text()}}}}},
                "responses": sql_responses}},
            "/api/openapi.json": {"get": get_op("This document", &[])}
        }
    })
}
