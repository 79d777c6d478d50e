//! The JSON API behind every page. Money is an exact decimal string in 元; errors are
//! `{"error": {"code", "message"}}` with the HTTP status saying what kind.
//!
//! Every handler here carries its OpenAPI description (`#[utoipa::path]`) next to its code, and
//! every body is a type deriving `ToSchema`: `/api/openapi.json` is generated from them, so the
//! document cannot drift from what the handlers answer.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::AppState;
use super::auth::Auth;
use super::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, ErrorDetail};
use super::pages::{
    ActForm, AddForm, AlertsQ, DrillQ, PeriodQ, ProblemActForm, ProblemsQ, TrailQ, act_of,
    action_of, add_problem_for, allowed_for, apply, clean_scope, filter_of, filtered, new_problem,
};
use crate::alerts::{ALERTS, Alert, Explanation, PeriodRecord};
use crate::common::Period;
use crate::figures::{Cockpit, Drill};
use crate::problems::{LoopSummary, Problem};
use crate::trail::Trail;
use crate::users::Reach;
use crate::users::Role;
use crate::workflow::Event;

type J<T> = Result<Json<T>, AppError>;

#[derive(Serialize, ToSchema)]
pub struct PeriodsBody {
    /// Periods with data, newest first.
    pub periods: Vec<String>,
}

#[utoipa::path(get, path = "/api/periods", tag = "figures",
    responses((status = 200, body = PeriodsBody), (status = 401, body = ErrorBody)))]
/// Periods with data, newest first
pub async fn periods(State(st): State<AppState>, _a: Auth) -> J<PeriodsBody> {
    Ok(Json(PeriodsBody {
        periods: st.periods().await?,
    }))
}

/// Open alerts now.
#[derive(Serialize, ToSchema)]
pub struct OpenAlerts {
    pub total: usize,
    /// level (红/橙/黄/蓝) → category → count
    pub by_level_and_category: BTreeMap<String, BTreeMap<String, usize>>,
}

/// The period's own alerts.
#[derive(Serialize, ToSchema)]
pub struct ThisPeriod {
    pub alerts: usize,
    pub new: usize,
    pub continuing: usize,
}

/// The cockpit's figures with the alert counts.
#[derive(Serialize, ToSchema)]
pub struct CockpitBody<'a> {
    #[serde(flatten)]
    pub figures: &'a Cockpit,
    pub open_alerts: OpenAlerts,
    pub this_period: ThisPeriod,
}

#[utoipa::path(get, path = "/api/cockpit", tag = "figures", params(PeriodQ),
    responses((status = 200, body = CockpitBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Cockpit figures for a period (default: the newest)
///
/// Served from the page cache: figures per data version, alert counts until anything changes.
pub async fn cockpit(
    State(st): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<PeriodQ>,
) -> Result<Response, AppError> {
    let period = st.period_or_latest(q.period).await?;
    let reach = &a.session.reach;
    let body = st
        .cached(reach, format!("api/cockpit/{period}"), |_| {
            cockpit_json(&st, period, reach)
        })
        .await?;
    Ok(json_body(body))
}

#[derive(Serialize, ToSchema)]
pub struct HighlightsBody {
    #[schema(value_type = String)]
    pub period: Period,
    /// Most points first (see each one's `points`).
    pub highlights: Vec<crate::alerts::highlights::Highlight>,
}

#[utoipa::path(get, path = "/api/highlights", tag = "alerts", params(PeriodQ),
    responses((status = 200, body = HighlightsBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// 本月要点: the open alerts of a period (default: the newest) that matter first, with their points
///
/// Points: level (红 40, 橙 30, 黄 20, 蓝 10) + money at stake (7.5 per tenfold in 万元, at most
/// 30) + months open (2 a month after the first, at most 20) + 10 if it came back; the ten with the
/// most, as the cockpit and the monthly report show them.
pub async fn highlights(
    State(st): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<PeriodQ>,
) -> J<HighlightsBody> {
    let period = st.period_or_latest(q.period).await?;
    let highlights = st.highlights_for(&a.session.reach, period).await?;
    Ok(Json(HighlightsBody { period, highlights }))
}

async fn cockpit_json(st: &AppState, period: Period, reach: &Reach) -> Result<String, AppError> {
    let c = st.cockpit(period, reach).await?;
    let open = st
        .alerts_for(
            reach,
            crate::alerts::Filter {
                open: true,
                ..Default::default()
            },
        )
        .await?;
    let month = st.month_for(reach, period).await?;
    let mut by = BTreeMap::<String, BTreeMap<String, usize>>::new();
    for a in &open {
        *by.entry(a.level.clone())
            .or_default()
            .entry(a.category.clone())
            .or_default() += 1;
    }
    let body = CockpitBody {
        figures: c.as_ref(),
        open_alerts: OpenAlerts {
            total: open.len(),
            by_level_and_category: by,
        },
        this_period: ThisPeriod {
            alerts: month.alerts.len(),
            new: month.new,
            continuing: month.continuing(),
        },
    };
    serde_json::to_string(&body).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        e.to_string(),
    )
}

/// A JSON body that is already serialised (from the page cache), sent without a copy.
fn json_body(body: std::sync::Arc<str>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        super::shared_body(body),
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/drill", tag = "figures",
    params(("period" = Option<String>, Query, description = "YYYY-MM; empty or absent: the newest"),
           ("region" = Option<String>, Query, description = "财政区划编码"),
           ("dept" = Option<String>, Query, description = "department code"),
           ("agency" = Option<String>, Query, description = "budget unit code"),
           ("project" = Option<String>, Query, description = "project code; empty: rows without one")),
    responses((status = 200, body = Drill), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Drill-down: region → dept → agency → project → source rows
pub async fn drill(State(st): State<AppState>, a: Auth, ApiQuery(q): ApiQuery<DrillQ>) -> J<Drill> {
    let period = st.period_or_latest(q.period).await?;
    Ok(Json(
        st.drill(period, &clean_scope(q.scope), &a.session.reach)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/trail", tag = "figures",
    params(("period" = Option<String>, Query, description = "YYYY-MM, the trail runs from January to it; empty or absent: the alert's last month, else the newest"),
           ("alert" = Option<i64>, Query, description = "follow this alert's finding (its rule's key) instead of the fields below"),
           ("region" = Option<String>, Query, description = "财政区划编码"),
           ("agency" = Option<String>, Query, description = "budget unit code"),
           ("project" = Option<String>, Query, description = "project code; empty: payments on no project"),
           ("func" = Option<String>, Query, description = "功能分类 code or its prefix (213: 农林水)"),
           ("econ" = Option<String>, Query, description = "经济分类 code or its prefix"),
           ("payee" = Option<String>, Query, description = "收款人, exactly"),
           ("quota" = Option<String>, Query, description = "指标编号")),
    responses((status = 200, body = Trail), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Money trail (资金流向): the payments behind a unit, project, budget line, payee, quota or alert
pub async fn trail(State(st): State<AppState>, a: Auth, ApiQuery(q): ApiQuery<TrailQ>) -> J<Trail> {
    let (period, trace) = super::pages::resolve_trail(&st, &a, q).await?;
    Ok(Json(st.trail(period, &trace, &a.session.reach).await?))
}

#[derive(Serialize, ToSchema)]
pub struct AlertsBody {
    pub count: usize,
    pub alerts: Vec<Alert>,
}

#[utoipa::path(get, path = "/api/alerts", tag = "alerts", params(AlertsQ),
    responses((status = 200, body = AlertsBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
/// Alerts, filtered; status=open for new + acknowledged + rectifying
pub async fn alerts(
    State(st): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<AlertsQ>,
) -> J<AlertsBody> {
    let alerts = filtered(&st, &a, &q).await?;
    Ok(Json(AlertsBody {
        count: alerts.len(),
        alerts,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AlertBody {
    pub alert: Alert,
    /// The run that last found it: SQL, parameters, evidence.
    pub why: Option<Explanation>,
    pub history: Vec<PeriodRecord>,
    pub events: Vec<Event>,
    /// The files given as evidence of its rectification (整改材料), oldest first.
    pub evidence_files: Vec<crate::workflow::Evidence>,
    /// What this user may do now (empty for viewers); `evidence` when a file may be added.
    pub allowed_actions: Vec<String>,
}

#[utoipa::path(get, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = AlertBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// An alert with its history, audit trail and allowed actions
pub async fn alert(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> J<AlertBody> {
    st.alert_in_reach(&auth.session.reach, id).await?;
    let (a, why, history, events, evidence_files) = st
        .alerts
        .read(move |s| {
            let a = s.get(id)?;
            let why = s.explain(id, a.last_period)?;
            let (history, events, files) = (s.history(id)?, s.events(id)?, s.evidence(id)?);
            Ok::<_, crate::PurseError>((a, why, history, events, files))
        })
        .await?;
    let allowed_actions: Vec<String> = if auth.role() >= Role::Analyst {
        let mut v = ALERTS.allowed(a.status);
        if !v.contains(&"comment") {
            v.push("comment");
        }
        if auth.role() < Role::Adviser {
            v.retain(|a| *a != "endorse");
        }
        if a.status.is_open() {
            v.push("evidence");
        }
        v.into_iter().map(str::to_string).collect()
    } else {
        vec![]
    };
    Ok(Json(AlertBody {
        alert: a,
        why,
        history,
        events,
        evidence_files,
        allowed_actions,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ActBody {
    /// The alert after the action.
    pub alert: Alert,
}

#[utoipa::path(post, path = "/api/alerts/{id}/actions", tag = "alerts",
    params(("id" = i64, Path, minimum = 1),
           ("X-CSRF-Token" = String, Header, description = "the csrf token from /api/login")),
    request_body = ActForm,
    responses((status = 200, body = ActBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the alert's status does not allow the action"),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Workflow action (analyst and above): ack, rectify (owner, due), close (evidence), dismiss (reason), comment (text)
pub async fn act(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(f): ApiJson<ActForm>,
) -> J<ActBody> {
    auth.require(Role::Analyst)?;
    st.alert_in_reach(&auth.session.reach, id).await?;
    let action = action_of(&f)?;
    if matches!(action, crate::alerts::Action::Endorse { .. }) {
        auth.require(Role::Adviser)?;
    }
    let user = auth.user().to_string();
    let alert = st.alerts.write(move |s| s.act(id, &action, &user)).await?;
    Ok(Json(ActBody { alert }))
}

/// A question in Chinese (问数).
#[derive(serde::Deserialize, ToSchema)]
pub struct AskBody {
    /// e.g. 执行率最低的五个部门, 今年财政收入同比增长多少 (at most 200 characters)
    pub question: String,
}

#[utoipa::path(post, path = "/api/ask", tag = "figures",
    params(("X-CSRF-Token" = String, Header)),
    request_body = AskBody,
    responses((status = 200, body = crate::ask::Answer,
               description = "status answer (sql, columns, rows, sentence), ambiguous (choices) or unanswerable (suggestions)"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
/// 问数: a question in Chinese answered from the warehouse as the user sees it, with the SQL and
/// rows behind the answer — or why it cannot be answered
pub async fn ask(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(q): ApiJson<AskBody>,
) -> J<crate::ask::Answer> {
    auth.require(Role::Viewer)?;
    let question = q.question.trim();
    if question.is_empty() || question.chars().count() > 200 {
        return Err(AppError::bad_request(
            "question: 1 to 200 characters, e.g. 执行率最低的五个部门",
        ));
    }
    Ok(Json(st.ask(question, &auth.session.reach).await?))
}

/// A rule as the catalog shows it.
#[derive(Serialize, ToSchema)]
pub struct RuleInfo {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub category: String,
    pub datasets: Vec<String>,
    /// A fixed severity, or none when the rule grades by value.
    pub severity: Option<String>,
    pub mode: String,
    pub enabled: bool,
    /// Parameters in effect (overrides applied).
    pub params: BTreeMap<String, String>,
    pub key: Vec<String>,
    pub description: String,
    pub sql: String,
    /// How many alerts it has raised.
    pub fired: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RulesBody {
    pub rules: Vec<RuleInfo>,
}

#[utoipa::path(get, path = "/api/rules", tag = "rules",
    responses((status = 200, body = RulesBody), (status = 401, body = ErrorBody)))]
/// The rule catalog with SQL, parameters and how often each fired
pub async fn rules(State(st): State<AppState>, a: Auth) -> J<RulesBody> {
    let set = st.rules()?;
    let fired = st.fired_for(&a.session.reach).await?;
    let rules = set
        .rules
        .iter()
        .map(|r| RuleInfo {
            id: r.id.clone(),
            title_zh: r.title_zh.clone(),
            title_en: r.title_en.clone(),
            category: r.category.clone(),
            datasets: r.datasets.clone(),
            severity: r.fixed_level.clone(),
            mode: r.mode.clone(),
            enabled: r.enabled,
            params: r
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            key: r.key.clone(),
            description: r.description.clone(),
            sql: r.sql.clone(),
            fired: fired.get(&r.id).copied().unwrap_or(0) as i64,
        })
        .collect();
    Ok(Json(RulesBody { rules }))
}

#[derive(Serialize, ToSchema)]
pub struct LoadsBody {
    pub datasets: Vec<crate::warehouse::DatasetSummary>,
    /// Newest first, at most 500.
    pub loads: Vec<crate::warehouse::LoadRecord>,
}

#[utoipa::path(get, path = "/api/loads", tag = "data",
    responses((status = 200, body = LoadsBody), (status = 401, body = ErrorBody)))]
/// Datasets loaded and the load manifest
pub async fn loads(State(st): State<AppState>, _a: Auth) -> J<LoadsBody> {
    let (datasets, loads) = st.manifest(500).await?;
    Ok(Json(LoadsBody { datasets, loads }))
}

#[derive(Serialize, ToSchema)]
pub struct JobsBody {
    pub jobs: Vec<crate::app::jobs::Job>,
}

#[utoipa::path(get, path = "/api/jobs", tag = "data",
    responses((status = 200, body = JobsBody), (status = 401, body = ErrorBody)))]
/// Upload jobs, newest first, with their phase and rows read while they run
pub async fn jobs(State(st): State<AppState>, _a: Auth) -> J<JobsBody> {
    Ok(Json(JobsBody {
        jobs: st.jobs.read(|j| j.recent(50)).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct JobBody {
    pub job: crate::app::jobs::Job,
}

#[utoipa::path(get, path = "/api/jobs/{id}", tag = "data",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = JobBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
/// An upload job: phase and rows read while it runs, then each sheet's outcome
pub async fn job(State(st): State<AppState>, _a: Auth, ApiPath(id): ApiPath<i64>) -> J<JobBody> {
    let job = st
        .jobs
        .read(move |j| j.get(id))
        .await?
        .ok_or_else(|| AppError::not_found(format!("no upload job #{id}")))?;
    Ok(Json(JobBody { job }))
}

/// One archived monthly report.
#[derive(Serialize, ToSchema)]
pub struct ReportEntry {
    pub period: String,
    /// zh or en
    pub lang: String,
    pub html: String,
    pub xlsx: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportsBody {
    /// When reports are made (cron: minute hour day month weekday).
    pub schedule: String,
    pub reports: Vec<ReportEntry>,
}

#[utoipa::path(get, path = "/api/reports", tag = "reports",
    responses((status = 200, body = ReportsBody), (status = 401, body = ErrorBody)))]
/// Archived monthly reports
pub async fn reports(State(st): State<AppState>, _a: Auth) -> J<ReportsBody> {
    let name = crate::report::file_name;
    let list = st.archived_reports().await?;
    let reports = list
        .into_iter()
        .map(|(p, l, h, x)| ReportEntry {
            period: p,
            lang: l.code().to_string(),
            html: format!("/reports/{}", name(&h)),
            xlsx: format!("/reports/{}", name(&x)),
        })
        .collect();
    Ok(Json(ReportsBody {
        schedule: st.config.report.schedule.clone(),
        reports,
    }))
}

/// Cookie authentication, as every path but login and health needs.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("purse_session"))),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "session",
            Vec::<String>::new(),
        )]);
        // OpenAPI requires a description on every response: the status's own words where the
        // handler gave none.
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (code, resp) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = resp
                        && r.description.is_empty()
                    {
                        r.description = code
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| axum::http::StatusCode::from_u16(c).ok())
                            .and_then(|c| c.canonical_reason())
                            .unwrap_or("response")
                            .to_string();
                    }
                }
            }
        }
    }
}

/// The OpenAPI 3.1 description of `/api`, generated from the handlers and their body types.
#[derive(Serialize, ToSchema)]
pub struct ProblemsBody {
    pub count: usize,
    /// Overdue first, then by due date.
    pub problems: Vec<Problem>,
}

#[utoipa::path(get, path = "/api/problems", tag = "problems", params(ProblemsQ),
    responses((status = 200, body = ProblemsBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
/// The problem list as the user sees it (a unit: its own items; a bounded user: their reach)
pub async fn problems(
    State(st): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<ProblemsQ>,
) -> J<ProblemsBody> {
    let problems = st.problems_for(&a.session.reach, filter_of(&q)?).await?;
    Ok(Json(ProblemsBody {
        count: problems.len(),
        problems,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemBody {
    pub problem: Problem,
    /// Every step, oldest first (evidence and ratings included).
    pub events: Vec<Event>,
    pub evidence: Vec<crate::problems::Evidence>,
    /// What this user may do now: assign, respond, accept, send_back, rate, evidence.
    pub allowed_actions: Vec<String>,
}

#[utoipa::path(get, path = "/api/problems/{id}", tag = "problems",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = ProblemBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
/// A problem item with its trail, evidence and the user's allowed actions
pub async fn problem(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> J<ProblemBody> {
    let problem = st.problem_for(&auth.session.reach, id).await?;
    let (events, evidence) = st
        .problems
        .read(move |s| Ok::<_, crate::PurseError>((s.events(id)?, s.evidence(id)?)))
        .await?;
    let allowed_actions = allowed_for(&auth, &problem)
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(Json(ProblemBody {
        problem,
        events,
        evidence,
        allowed_actions,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemActBody {
    /// The item after the step.
    pub problem: Problem,
}

#[utoipa::path(post, path = "/api/problems/{id}/actions", tag = "problems",
    params(("id" = i64, Path, minimum = 1),
           ("X-CSRF-Token" = String, Header, description = "the csrf token from /api/login")),
    request_body = ProblemActForm,
    responses((status = 200, body = ProblemActBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the item's status does not allow the step"),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// A step in the loop: assign (committee), respond (the unit), accept / send_back / rate (committee)
pub async fn problem_act(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(f): ApiJson<ProblemActForm>,
) -> J<ProblemActBody> {
    let problem = apply(&st, &auth, id, act_of(&f)?).await?;
    Ok(Json(ProblemActBody { problem }))
}

#[utoipa::path(post, path = "/api/problems", tag = "problems",
    params(("X-CSRF-Token" = String, Header, description = "the csrf token from /api/login")),
    request_body = AddForm,
    responses((status = 200, body = ProblemActBody), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Put an item on the list (analyst and above); the same source and reference twice is one item
pub async fn add_problem(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(f): ApiJson<AddForm>,
) -> J<ProblemActBody> {
    let problem = add_problem_for(&st, &auth, new_problem(&f)?).await?;
    Ok(Json(ProblemActBody { problem }))
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQ {
    /// YYYY-MM; absent: this month
    #[serde(default, deserialize_with = "crate::common::period::optional")]
    #[param(value_type = Option<String>, pattern = r"^(\d{4}-(0[1-9]|1[0-2]))?$")]
    pub month: Option<crate::common::period::Period>,
}

#[utoipa::path(get, path = "/api/problems/summary", tag = "problems", params(MonthQ),
    responses((status = 200, body = LoopSummary), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
/// The loop in a month: items by status, overdue, opened / closed / sent back, satisfaction by unit
pub async fn problems_summary(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<MonthQ>,
) -> J<LoopSummary> {
    let today = chrono::Local::now().date_naive();
    let month = q.month.unwrap_or_else(|| Period::of(today));
    Ok(Json(st.loop_for(&auth.session.reach, month, today).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "purse API",
        description = "预算联网监督 purse: cockpit figures, drill-down, alerts and their workflow, rules, loads, upload jobs, reports and read-only SQL. Log in with POST /api/login; send the session cookie, and the returned csrf token as X-CSRF-Token on every POST. Money is an exact decimal string in yuan."
    ),
    paths(
        super::health, super::login::api_login, super::login::api_logout, periods, cockpit, drill, trail,
        alerts, alert, act, highlights, rules, loads, jobs, job, reports, super::console::api_sql, openapi,
        problems, problem, problem_act, add_problem, problems_summary, ask
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security)
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", content_type = "application/json"),
              (status = 401, body = ErrorBody)))]
/// This document
pub async fn openapi(_a: Auth) -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(s) => json_body(s.into()),
        Err(e) => internal(e).into_response(),
    }
}
