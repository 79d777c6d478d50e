//! 预警: the filtered list with its exports, one alert with its evidence, history, audit trail and
//! "why", and the workflow forms the user's role allows.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, alert_table, download, out, query, status_badge, status_label};
use crate::alerts::{ALERTS, Action, Alert, Filter, Status};
use crate::charts;
use crate::common::level::{LEVELS, Level as AlertLevel};
use crate::common::period::Period;
use crate::i18n::{Lang, term};
use crate::rules::{CATEGORIES, labels};
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageQuery, PageResult};
use crate::web::html::{Frame, a, csrf, level, num, page, select, table, text};
use crate::workflow::Event;

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQ {
    /// YYYY-MM: alerts whose last period is this one
    #[serde(default, deserialize_with = "crate::common::period::optional")]
    #[param(value_type = Option<String>, pattern = r"^(\d{4}-(0[1-9]|1[0-2]))?$")]
    pub period: Option<Period>,
    /// A rule id
    #[serde(default)]
    pub rule: Option<String>,
    /// 红/橙/黄/蓝 or red/orange/yellow/blue
    #[serde(default, deserialize_with = "crate::common::level::optional_level")]
    #[param(value_type = Option<String>)]
    pub level: Option<AlertLevel>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub dept: Option<String>,
    /// A status, `open` (new, acknowledged, rectifying) or empty for all.
    #[serde(default)]
    pub status: Option<String>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
}

/// The filtered alert list (shared by the page, the exports and the API).
pub async fn filtered(st: &AppState, auth: &Auth, q: &AlertsQ) -> Result<Vec<Alert>, AppError> {
    let status = some(&q.status);
    let exact = match status.as_deref() {
        None | Some("open") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            AppError::bad_request(format!("status `{s}`: use open, new, acknowledged, rectifying, closed, dismissed or resolved"))
        })?),
    };
    let filter = Filter {
        period: q.period.map(|p| p.to_string()),
        status: exact,
        level: q.level.map(|l| l.zh().to_string()),
        rule: some(&q.rule),
        category: some(&q.category),
        dept: some(&q.dept),
        agency: None,
        open: status.as_deref() == Some("open"),
    };
    Ok(st.alerts_for(&auth.session.reach, filter).await?)
}

fn query_string(q: &AlertsQ) -> String {
    let period = q.period.map(|p| p.to_string());
    query([
        ("period", period.as_deref()),
        ("rule", q.rule.as_deref()),
        ("level", q.level.map(AlertLevel::zh)),
        ("category", q.category.as_deref()),
        ("dept", q.dept.as_deref()),
        ("status", q.status.as_deref()),
    ])
}

pub async fn alerts(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let list = filtered(&st, &auth, &q).await.page()?;
    let all = st
        .alerts_for(&auth.session.reach, Filter::default())
        .await
        .page()?;
    let mut rules: Vec<(String, String)> = all
        .iter()
        .map(|a| (a.rule_id.clone(), a.title.clone()))
        .collect();
    rules.sort();
    rules.dedup();
    let mut depts: Vec<(String, String)> = all
        .iter()
        .filter_map(|a| a.dept_name.clone())
        .map(|d| (d.clone(), d))
        .collect();
    depts.sort();
    depts.dedup();
    let periods: Vec<(String, String)> = st
        .periods()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.clone(), p))
        .collect();
    let any = (String::new(), t("全部", "all").to_string());
    let opt = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        std::iter::once(any.clone()).chain(v).collect()
    };
    let statuses: Vec<(String, String)> = [
        any.clone(),
        ("open".to_string(), t("未办结", "open").to_string()),
    ]
    .into_iter()
    .chain(
        Status::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), status_label(*s, l).to_string())),
    )
    .collect();
    let levels = LEVELS
        .iter()
        .map(|x| (x.to_string(), crate::i18n::level_label(x, l)))
        .collect();
    let categories = CATEGORIES
        .iter()
        .map(|x| (x.to_string(), term(x, l)))
        .collect();
    let period = q.period.map(|p| p.to_string());
    let qs = query_string(&q);
    let path = format!("/alerts?{qs}");
    out(page(
        &auth,
        Frame::new("alerts", t("预警", "Alerts"), &path),
        html! {
            div.titlebar {
                h1 { (t("预警", "Alerts")) " (" (list.len()) ")" }
                span {
                    (t("导出", "Export")) " "
                    (a(&format!("/alerts.csv?{qs}"), "CSV")) " · "
                    (a(&format!("/alerts.xlsx?{qs}"), "XLSX"))
                }
            }
            form.filters method="get" action="/alerts" {
                label { (t("期间", "Period")) " " (select("period", &opt(periods), period.as_deref())) }
                label { (t("规则", "Rule")) " " (select("rule", &opt(rules), q.rule.as_deref())) }
                label { (t("等级", "Severity")) " " (select("level", &opt(levels), q.level.map(AlertLevel::zh))) }
                label { (t("类别", "Category")) " " (select("category", &opt(categories), q.category.as_deref())) }
                label { (t("部门", "Department")) " " (select("dept", &opt(depts), q.dept.as_deref())) }
                label { (t("状态", "Status")) " " (select("status", &statuses, q.status.as_deref())) }
                button { (t("筛选", "Filter")) }
            }
            (alert_table(&list, l, 500))
        },
    ))
}

fn export_rows(list: &[Alert], l: Lang) -> (Vec<String>, Vec<Vec<crate::common::Val>>) {
    use crate::common::Val;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en).to_string();
    let header = vec![
        t("编号", "id"),
        t("等级", "level"),
        t("类别", "category"),
        t("规则", "rule"),
        t("标题", "title"),
        t("对象", "subject"),
        t("部门", "department"),
        t("状态", "status"),
        t("首次", "first_period"),
        t("最近", "last_period"),
        t("月数", "months_open"),
        t("值", "value"),
        t("标准", "expected"),
        t("差异", "difference"),
        t("说明", "message"),
        t("责任人", "owner"),
        t("整改期限", "due_date"),
    ];
    let rows = list
        .iter()
        .map(|a| {
            vec![
                Val::Int(a.id),
                Val::Text(a.level.clone()),
                Val::Text(a.category.clone()),
                Val::Text(a.rule_id.clone()),
                Val::Text(a.title.clone()),
                Val::Text(a.subject.clone()),
                Val::Text(a.dept_name.clone().unwrap_or_default()),
                Val::Text(status_label(a.status, l).to_string()),
                Val::Text(a.first_period.to_string()),
                Val::Text(a.last_period.to_string()),
                Val::Int(a.months_open),
                Val::Text(a.value.clone().unwrap_or_default()),
                Val::Text(a.expected.clone().unwrap_or_default()),
                Val::Text(a.difference.clone().unwrap_or_default()),
                Val::Text(match l {
                    Lang::Zh => a.message_zh.clone(),
                    Lang::En => a.message_en.clone(),
                }),
                Val::Text(a.owner.clone().unwrap_or_default()),
                Val::Text(a.due_date.clone().unwrap_or_default()),
            ]
        })
        .collect();
    (header, rows)
}

pub async fn alerts_csv(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> Result<Response, AppError> {
    let list = filtered(&st, &auth, &q).await.page()?;
    let (header, rows) = export_rows(&list, auth.lang);
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let io =
        |e: csv::Error| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
    w.write_record(&header).map_err(io)?;
    for r in rows {
        w.write_record(r.iter().map(|v| v.text())).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(download(bytes, "text/csv; charset=utf-8", "alerts.csv"))
}

pub async fn alerts_xlsx(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> Result<Response, AppError> {
    let list = filtered(&st, &auth, &q).await.page()?;
    let (header, rows) = export_rows(&list, auth.lang);
    let bytes =
        crate::common::xlsx::table(auth.lang.t("预警清单", "Alerts"), &header, &rows).page()?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "alerts.xlsx",
    ))
}

/// The workflow forms the alert's status allows (analysts and above).
fn workflow(auth: &Auth, al: &Alert) -> Markup {
    let t = |zh: &'static str, en: &'static str| auth.lang.t(zh, en);
    let allowed = ALERTS.allowed(al.status);
    let act = format!("/alerts/{}/act", al.id);
    let input = |name: &str, hint: &str| {
        html! { input name=(name) placeholder=(hint) required size="40"; }
    };
    let specs = [
        ("ack", html! {}, t("确认", "Acknowledge")),
        (
            "rectify",
            html! {
                input name="owner" placeholder=(t("责任单位/人", "owner")) required;
                " "
                input name="due" type="date" required;
            },
            t("督促整改", "Rectify"),
        ),
        (
            "close",
            input("evidence", t("整改证明材料", "evidence of rectification")),
            t("销号", "Close"),
        ),
        (
            "dismiss",
            input("reason", t("排除理由", "reason")),
            t("排除", "Dismiss"),
        ),
        (
            "comment",
            input("text", t("备注", "comment")),
            t("备注", "Comment"),
        ),
        (
            "endorse",
            html! { input name="text" placeholder=(t("附议意见（可不填）", "a word (optional)")) size="40"; },
            t("专家附议", "Endorse"),
        ),
    ];
    html! {
        section.actions {
            h2 { (t("处理", "Workflow")) }
            @for (action, fields, label) in specs {
                @if allowed.contains(&action) && (action != "endorse" || auth.role() >= Role::Adviser) {
                    form method="post" action=(act) {
                        (csrf(auth))
                        input type="hidden" name="action" value=(action);
                        (fields) " "
                        button id=(action) { (label) }
                    }
                }
            }
        }
    }
}

/// A review finding's place on the problem list: the item it was adopted as, or (for the
/// committee's staff) the form that adopts it as a deliberation opinion (审议意见) with a due date.
fn adoption(auth: &Auth, al: &Alert, adopted: Option<i64>, events: &[Event]) -> Markup {
    let t = |zh: &'static str, en: &'static str| auth.lang.t(zh, en);
    let endorsed: Vec<&Event> = events.iter().filter(|e| e.action == "endorse").collect();
    html! {
        section.actions {
            h2 { (t("审议意见", "Deliberation opinion")) }
            p #endorsements {
                (t("专家附议：", "Endorsed by advisers: "))
                @if endorsed.is_empty() { (t("暂无", "none yet")) }
                @for (i, e) in endorsed.iter().enumerate() {
                    @if i > 0 { "、" }
                    b { (e.actor) }
                    @if let Some(n) = &e.note { "（" (n) "）" }
                }
            }
            @if let Some(pid) = adopted {
                p { (t("已采纳为审议意见：", "Adopted as a deliberation opinion: "))
                    a #adopted href={ "/problems/" (pid) } { (t("问题清单", "problem list")) " #" (pid) } }
            } @else if auth.role() >= Role::Analyst {
                p { (t("专家可在“处理”中备注意见、附议；委员会采纳后列入问题清单，限期办理。",
                       "Advisers comment and endorse under Workflow; once the committee adopts the finding it goes on the problem list with a due date.")) }
                form method="post" action={ "/alerts/" (al.id) "/adopt" } {
                    (csrf(auth))
                    label { (t("办理期限", "Due")) " " input name="due" type="date" required; }
                    " " button #adopt { (t("采纳为审议意见", "Adopt as deliberation opinion")) }
                }
            } @else {
                p { (t("尚未采纳。", "Not adopted yet.")) }
            }
        }
    }
}

/// The rows behind a finding (each payment of a split), one line each, columns labelled.
fn evidence_rows(rows: &[BTreeMap<String, String>], l: Lang) -> Markup {
    let (head, body) = labels::table(rows, l);
    html! {
        h3 { (l.t("证据明细", "Evidence rows")) " (" (rows.len()) ")" }
        table {
            tr { @for h in &head { th { (h) } } }
            @for r in &body { tr { @for v in r { td { (v) } } } }
        }
    }
}

/// An alert: what it says, its evidence, its months, its audit trail and what the user may do.
pub async fn alert(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let al = st.alert_for(&auth.session.reach, id).await.page()?;
    let (hist, events, files) = st
        .alerts
        .read(move |s| Ok::<_, crate::PurseError>((s.history(id)?, s.events(id)?, s.evidence(id)?)))
        .await
        .page()?;
    let mut kv: Vec<(&str, Markup)> = vec![
        (t("对象", "Subject"), text(&al.subject)),
        (
            t("规则", "Rule"),
            a(&format!("/rules/{}", al.rule_id), &al.rule_id),
        ),
        (t("类别", "Category"), text(&term(&al.category, l))),
        (
            t("部门", "Department"),
            text(al.dept_name.as_deref().unwrap_or("")),
        ),
        (
            t("首次/最近", "First/last"),
            text(&format!("{} / {}", al.first_period, al.last_period)),
        ),
    ];
    if let Some(o) = &al.owner {
        kv.push((t("责任人", "Owner"), text(o)));
    }
    if let Some(d) = &al.due_date {
        kv.push((t("整改期限", "Due"), text(d)));
    }
    if let Some(code) = &al.agency_code {
        let region = al
            .region_code
            .clone()
            .unwrap_or_else(|| st.config.region_code.clone());
        kv.push((
            t("穿透", "Drill-down"),
            a(
                &format!(
                    "/drill?period={}&region={region}&agency={code}",
                    al.last_period
                ),
                t("查看预算单位", "open the unit"),
            ),
        ));
    }
    if let Some((period, trace)) = st.trace_of(&al).page()? {
        kv.push((
            t("资金流向", "Money trail"),
            html! {
                a #trail href=(super::trail_href(period, &trace)) {
                    (t("支付记录、收款人和所用指标", "payments, payees and the quotas drawn on"))
                }
            },
        ));
    }
    let values: Vec<Option<f64>> = hist
        .iter()
        .map(|h| h.value.as_deref().and_then(|v| v.parse().ok()))
        .collect();
    let months: Vec<String> = hist.iter().map(|h| h.period.to_string()).collect();
    let history: Vec<Vec<Markup>> = hist
        .iter()
        .map(|h| {
            vec![
                text(&h.period.to_string()),
                level(&h.level, l),
                num(h.value.as_deref().unwrap_or("")),
                num(h.expected.as_deref().unwrap_or("")),
                num(h.difference.as_deref().unwrap_or("")),
                text(&h.message_zh),
            ]
        })
        .collect();
    let trail = super::trail_rows(&events, l, st.config.zone());
    // A finding of the annual review may be adopted as a deliberation opinion (审议意见).
    let review = match st.rules().page()?.get(&al.rule_id) {
        Some(rule) if crate::review::is_review_rule(rule) => {
            let r = crate::review::adoption_ref(id);
            Some(
                st.problems
                    .read(move |s| s.find(crate::problems::Source::Deliberation, &r))
                    .await
                    .page()?,
            )
        }
        _ => None,
    };
    let why = why_section(&st, &auth.session.reach, &al, l).await.page()?;
    let title = format!("#{id}");
    let path = format!("/alerts/{id}");
    out(page(
        &auth,
        Frame::new("alerts", &title, &path),
        html! {
            div.titlebar {
                h1 { "#" (al.id) " " (level(&al.level, l)) " " (al.title) }
                (status_badge(al.status, l))
            }
            p.message { (match l { Lang::Zh => &al.message_zh, Lang::En => &al.message_en }) }
            table.kv {
                @for (k, v) in &kv { tr { td { (k) } td { (v) } } }
            }
            @if auth.role() >= Role::Analyst { (workflow(&auth, &al)) }
            @if let Some(adopted) = &review { (adoption(&auth, &al, *adopted, &events)) }
            h2 { (t("整改材料", "Rectification evidence")) }
            (super::evidence_files(&files, &format!("/alerts/{id}/evidence"), l, st.config.zone()))
            @if auth.role() >= Role::Analyst && al.status.is_open() {
                form method="post" action={ "/alerts/" (id) "/evidence" } enctype="multipart/form-data" {
                    (csrf(&auth))
                    label { (t("整改报告、凭证等", "A report, a voucher …")) " " input type="file" name="file" required; }
                    " " button id="evidence" { (t("上传", "Upload")) }
                }
            }
            @if let Some(last) = hist.last() {
                h2 { (t("证据", "Evidence")) " (" (last.period) ")" }
                table.kv {
                    @for (k, v) in labels::readable(&last.evidence, l) { tr { td { (k) } td { (v) } } }
                }
                @if !last.rows.is_empty() {
                    (evidence_rows(&last.rows, l))
                }
            }
            (why)
            @if values.iter().flatten().count() >= 2 {
                (crate::views::chart(charts::lines(
                    t("逐月数值", "Value month by month"),
                    &months,
                    &[(t("值", "value"), values.clone())],
                    None,
                    "",
                )))
            }
            h2 { (t("逐月记录", "Month by month")) }
            (table(
                &[
                    t("期间", "Period"),
                    t("等级", "Severity"),
                    t("值", "Value"),
                    t("标准", "Expected"),
                    t("差异", "Difference"),
                    t("说明", "Message"),
                ],
                &history,
                "data",
            ))
            h2 { (t("处理记录", "Audit trail")) }
            (table(
                &[
                    t("时间", "At"),
                    t("操作人", "Actor"),
                    t("操作", "Action"),
                    t("状态", "Status"),
                    t("说明", "Note"),
                ],
                &trail,
                "data",
            ))
        },
    ))
}

/// A workflow action: `ack`; `rectify` with `owner` and `due` (YYYY-MM-DD); `close` with
/// `evidence`; `dismiss` with `reason`; `comment` with `text`; `endorse` (advisers; once each)
/// with an optional `text`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

/// Turns a form or JSON body into a workflow action, with errors that say what is missing.
pub fn action_of(f: &ActForm) -> Result<Action, AppError> {
    let txt = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(match f.action.as_str() {
        "ack" => Action::Ack,
        "rectify" => {
            let due = f.due.as_deref().unwrap_or("");
            Action::Rectify {
                owner: txt(&f.owner),
                due: chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d").map_err(|_| {
                    AppError::bad_request(format!("due date `{due}`: expected YYYY-MM-DD"))
                })?,
            }
        }
        "close" => Action::Close {
            evidence: txt(&f.evidence),
        },
        "dismiss" => Action::Dismiss {
            reason: txt(&f.reason),
        },
        "comment" => Action::Comment { text: txt(&f.text) },
        "endorse" => Action::Endorse { text: txt(&f.text) },
        other => {
            return Err(AppError::bad_request(format!(
                "action `{other}`: use ack, rectify, close, dismiss, comment or endorse"
            )));
        }
    })
}

pub async fn alert_act(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    st.alert_in_reach(&auth.session.reach, id).await.page()?;
    let action = action_of(&f).page()?;
    if matches!(action, Action::Endorse { .. }) {
        auth.require(Role::Adviser)?;
    }
    let user = auth.user().to_string();
    st.alerts
        .write(move |s| s.act(id, &action, &user))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct AdoptForm {
    pub csrf: String,
    pub due: String,
}

/// `POST /alerts/{id}/adopt`: the committee adopts a finding of the annual review as a
/// deliberation opinion (审议意见) on the problem list (analyst and above); adopting it again
/// opens the same item.
pub async fn alert_adopt(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<AdoptForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let al = st.alert_for(&auth.session.reach, id).await.page()?;
    let review = st
        .rules()
        .page()?
        .get(&al.rule_id)
        .is_some_and(crate::review::is_review_rule);
    if !review {
        return Err(AppError::bad_request(format!(
            "alert #{id} ({}) is not a finding of the annual review: only those are adopted as 审议意见",
            al.rule_id
        ))
        .page());
    }
    let due = chrono::NaiveDate::parse_from_str(f.due.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(format!("due `{}`: a date such as 2026-03-31", f.due)).page()
    })?;
    let p = super::problems::add(&st, &auth, crate::review::adoption(&al, due))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/problems/{}", p.id)).into_response())
}

/// `POST /alerts/{id}/evidence`: a file of the alert's rectification (analyst and above), while
/// the alert is open.
pub async fn alert_evidence(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = super::one_file(&auth, mp).await?;
    auth.require(Role::Analyst)?;
    st.alert_in_reach(&auth.session.reach, id).await.page()?;
    let user = auth.user().to_string();
    st.alerts
        .write(move |s| s.add_evidence(id, &name, &bytes, &user))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

/// `GET /alerts/{id}/evidence/{eid}`: an evidence file, as stored.
pub async fn alert_evidence_file(
    State(st): State<AppState>,
    auth: Auth,
    Path((id, eid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    st.alert_in_reach(&auth.session.reach, id).await.page()?;
    let (e, bytes) = st
        .alerts
        .read(move |s| s.evidence_file(id, eid))
        .await
        .page()?;
    Ok(download(bytes, "application/octet-stream", &e.name))
}

/// "Why this alert" on the alert page: the parameters and SQL of the run that last found it, and
/// the source rows behind it with the file, sheet and row each came from.
async fn why_section(
    st: &AppState,
    reach: &crate::users::Reach,
    al: &Alert,
    l: Lang,
) -> Result<Markup, AppError> {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (id, p) = (al.id, al.last_period);
    let Some(ex) = st.alerts.read(move |s| s.explain(id, p)).await? else {
        return Ok(html! {});
    };
    let params: Vec<Vec<Markup>> = ex
        .params
        .iter()
        .map(|(k, v)| vec![text(&format!("${k}")), text(&v.to_string())])
        .collect();
    let mut sources = Vec::new();
    let rules = st.rules()?;
    if let Some(rule) = rules.get(&al.rule_id) {
        let ctx = st.engine(reach).await?;
        for (dataset, batches) in
            crate::rules::explain::source_rows(&ctx, &st.catalog, rule, &ex.evidence, ex.period)
                .await?
        {
            let header: Vec<String> = batches
                .first()
                .map(|b| {
                    b.schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect()
                })
                .unwrap_or_default();
            let rows: Vec<Vec<Markup>> = crate::output::rows(&batches)
                .into_iter()
                .map(|r| r.iter().map(|c| text(c)).collect())
                .collect();
            sources.push((dataset, header, rows));
        }
    }
    Ok(html! {
        section.why {
            h2 { (t("为什么预警", "Why this alert")) " (" (ex.period) ")" }
            (table(&[t("参数", "Parameter"), t("取值", "Value")], &params, "kv"))
            @if let Some(sql) = &ex.sql {
                details {
                    summary { (t("规则 SQL", "Rule SQL")) }
                    pre.sql { (sql) }
                }
            }
            @for (dataset, header, rows) in &sources {
                h3 { (t("来源数据", "Source rows in")) " " (dataset) " (" (rows.len()) " " (t("行", "rows")) ")" }
                @if !rows.is_empty() {
                    @let h: Vec<&str> = header.iter().map(String::as_str).collect();
                    div.scroll { (table(&h, rows, "data")) }
                }
            }
        }
    })
}
