//! The JSON API behind every page. Money is an exact decimal string in 元; errors are
//! `{"error": {"code", "message"}}` with the HTTP status saying what kind.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::pages::{ActForm, AlertsQ, DrillQ, PeriodQ, action_of, clean_scope, filtered};
use super::{AppError, AppState, Auth};
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

pub async fn cockpit(State(st): State<AppState>, _a: Auth, Query(q): Query<PeriodQ>) -> J {
    let period = st.period_or_latest(q.period.as_deref()).await?;
    let c = st.cockpit(&period).await?;
    let mut v = to_json(c.as_ref())?;
    let store = st.alerts();
    let open: Vec<_> = store
        .list(&Default::default())?
        .into_iter()
        .filter(|a| a.status.is_open())
        .collect();
    let mut by =
        std::collections::BTreeMap::<String, std::collections::BTreeMap<String, usize>>::new();
    for a in &open {
        *by.entry(a.level.clone())
            .or_default()
            .entry(a.category.clone())
            .or_default() += 1;
    }
    let now = store.in_period(&period)?;
    let new = now.iter().filter(|(a, _)| a.first_period == period).count();
    v["open_alerts"] = json!({"total": open.len(), "by_level_and_category": by});
    v["this_period"] = json!({"alerts": now.len(), "new": new, "continuing": now.len() - new});
    Ok(Json(v))
}

pub async fn drill(State(st): State<AppState>, _a: Auth, Query(q): Query<DrillQ>) -> J {
    let period = st.period_or_latest(q.period.as_deref()).await?;
    let ctx = st.engine().await?;
    let d = crate::figures::drill(&ctx, &period, &clean_scope(q.scope)).await?;
    Ok(Json(to_json(&d)?))
}

pub async fn alerts(State(st): State<AppState>, _a: Auth, Query(q): Query<AlertsQ>) -> J {
    let list = filtered(&st, &q)?;
    Ok(Json(
        json!({"count": list.len(), "alerts": to_json(&list)?}),
    ))
}

pub async fn alert(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> J {
    let s = st.alerts();
    let a = s.get(id)?;
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
        "history": to_json(&s.history(id)?)?,
        "events": to_json(&s.events(id)?)?,
        "allowed_actions": actions,
    })))
}

/// `POST /api/alerts/{id}/actions {"action": "ack" | "rectify" | "close" | "dismiss" | "comment", …}`
pub async fn act(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(f): Json<ActForm>,
) -> J {
    auth.require(Role::Analyst)?;
    let action = action_of(&f)?;
    let a = st.alerts().act(id, &action, auth.user())?;
    Ok(Json(json!({"alert": to_json(&a)?})))
}

pub async fn rules(State(st): State<AppState>, _a: Auth) -> J {
    let set = crate::rules::RuleSet::resolve(None, &st.data_dir, &st.catalog, &st.config.rules)?;
    let fired = st.alerts().counts_by_rule()?;
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
    let (summary, loads) = match crate::warehouse::Warehouse::open_read(&st.data_dir) {
        Ok(wh) => (wh.summary()?, wh.loads(500)?),
        Err(_) => (vec![], vec![]),
    };
    Ok(Json(
        json!({"datasets": to_json(&summary)?, "loads": to_json(&loads)?}),
    ))
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

fn get_op(summary: &str, params: &[(&str, &str)]) -> Value {
    let ps: Vec<Value> = params
        .iter()
        .map(|(n, inn)| json!({"name": n, "in": inn, "required": *inn == "path", "schema": {"type": "string"}}))
        .collect();
    json!({"summary": summary, "parameters": ps, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
        "401": {"$ref": "#/components/responses/Error"}, "400": {"$ref": "#/components/responses/Error"}}})
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
    let post = |summary: &str, body: Value| {
        json!({"summary": summary, "parameters": [{"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}}],
               "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
               "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "403": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}})
    };
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
            "/api/health": {"get": {"summary": "Liveness (no session needed)", "security": [], "responses": {"200": {"description": "OK"}}}},
            "/api/login": {"post": {"summary": "Start a session", "security": [],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["user", "password"],
                    "properties": {"user": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "user, role and csrf token; sets the session cookie"},
                              "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}},
            "/api/logout": {"post": post("End the session", json!({"type": "object"}))},
            "/api/periods": {"get": get_op("Periods with data, newest first", &[])},
            "/api/cockpit": {"get": get_op("Cockpit figures for a period (default: newest)", &[("period", q)])},
            "/api/drill": {"get": get_op("Drill-down: region → dept → agency → project → source rows", &[("period", q), ("region", q), ("dept", q), ("agency", q), ("project", q)])},
            "/api/alerts": {"get": get_op("Alerts, filtered; status=open for new+acknowledged+rectifying", &alert_filters)},
            "/api/alerts/{id}": {"get": get_op("An alert with its history, audit trail and allowed actions", &[("id", "path")])},
            "/api/alerts/{id}/actions": {"post": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "summary": "Workflow action (analyst and above)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["action"], "properties": {
                    "action": {"enum": ["ack", "rectify", "close", "dismiss", "comment"]}, "owner": {"type": "string"}, "due": {"type": "string", "format": "date"},
                    "evidence": {"type": "string"}, "reason": {"type": "string"}, "text": {"type": "string"}}}}}},
                "responses": {"200": {"description": "The alert after the action"}, "400": {"$ref": "#/components/responses/Error"},
                              "403": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
            "/api/rules": {"get": get_op("The rule catalog with SQL, parameters and how often each fired", &[])},
            "/api/loads": {"get": get_op("Datasets loaded and the load manifest", &[])},
            "/api/reports": {"get": get_op("Archived monthly reports", &[])},
            "/api/sql": {"post": post("Read-only SQL (adviser and above); row, time and memory limits", json!({"type": "object", "required": ["sql"], "properties": {"sql": {"type": "string"}}}))},
            "/api/openapi.json": {"get": get_op("This document", &[])}
        }
    })
}
