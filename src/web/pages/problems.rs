//! 问题清单: the closed loop. The committee's list of problems from every source, each handed to
//! its responsible unit (交办), answered by the unit with its evidence, accepted (销号) or sent
//! back (退回), and rated (满意度测评); the per-unit export of both lists and the printable
//! 督办单.
//!
//! Who may do what is decided in [`apply`] (pages and API alike); what each user sees is
//! bounded by their reach through [`AppState::problems_for`] and [`AppState::problem_for`].

use crate::common::Period;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, download, out};
use crate::i18n::Lang;
use crate::problems::{Filter, PROBLEMS, Problem, Rating, Source, Status, Step};
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageQuery, PageResult};
use crate::web::html::{Frame, a, bare, csrf, page, select, table, text};

/// Filters of the list, from the query string.
#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemsQ {
    /// open, assigned, responded, sent_back, closed; empty: all
    #[serde(default)]
    pub status: Option<String>,
    /// alert, audit, deliberation, suggestion, inspection; empty: all
    #[serde(default)]
    pub source: Option<String>,
    /// A responsible unit, exact
    #[serde(default)]
    pub unit: Option<String>,
    /// `1`: only items past their due date and not closed
    #[serde(default)]
    pub overdue: Option<String>,
}

/// A due date as forms and lists write it (2026-03-31, 2026/3/31, 2026年3月31日).
fn due_date(s: &str) -> Result<chrono::NaiveDate, AppError> {
    crate::problems::sheet::parse_date(s)
        .ok_or_else(|| AppError::bad_request(format!("due date `{s}`: expected YYYY-MM-DD")))
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The list's filter, refusing values it does not know with what it knows.
pub fn filter_of(q: &ProblemsQ) -> Result<Filter, AppError> {
    let status = match some(&q.status) {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| {
            AppError::bad_request(format!(
                "status `{s}`: use open, assigned, responded, sent_back or closed"
            ))
        })?),
    };
    let source = match some(&q.source) {
        None => None,
        Some(s) => Some(Source::parse(&s).ok_or_else(|| {
            AppError::bad_request(format!(
                "source `{s}`: use alert, audit, deliberation, suggestion or inspection"
            ))
        })?),
    };
    Ok(Filter {
        unit: some(&q.unit),
        status,
        source,
        overdue_on: (some(&q.overdue).as_deref() == Some("1"))
            .then(|| chrono::Local::now().date_naive()),
    })
}

/// A step, a rating, as a form or JSON body: `assign` (requirement, due), `respond` (text),
/// `accept` (note), `send_back` (reason), `rate` (rating: satisfied | basically | unsatisfied,
/// note).
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ProblemActForm {
    #[serde(default)]
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub requirement: Option<String>,
    /// YYYY-MM-DD
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub rating: Option<String>,
}

/// What a form asks for.
pub enum Act {
    Step(Step),
    Rate(Rating, Option<String>),
}

pub fn act_of(f: &ProblemActForm) -> Result<Act, AppError> {
    let txt = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(match f.action.as_str() {
        "assign" => Act::Step(Step::Assign {
            requirement: some(&f.requirement),
            due: some(&f.due).as_deref().map(due_date).transpose()?,
        }),
        "respond" => Act::Step(Step::Respond { text: txt(&f.text) }),
        "accept" => Act::Step(Step::Accept { note: txt(&f.note) }),
        "send_back" => Act::Step(Step::SendBack {
            reason: txt(&f.reason),
        }),
        "rate" => {
            let r = f.rating.as_deref().unwrap_or("");
            Act::Rate(
                Rating::parse(r).ok_or_else(|| {
                    AppError::bad_request(format!(
                        "rating `{r}`: use satisfied (满意), basically (基本满意) or unsatisfied (不满意)"
                    ))
                })?,
                some(&f.note),
            )
        }
        other => {
            return Err(AppError::bad_request(format!(
                "action `{other}`: use assign, respond, accept, send_back or rate"
            )));
        }
    })
}

/// The unit answers; the committee (analysts and up) assigns, reviews and rates. An admin may
/// enter a unit's answer on its behalf (a paper reply).
fn may(auth: &Auth, action: &str) -> bool {
    match action {
        "respond" | "evidence" => auth.role() == Role::Unit || auth.role() >= Role::Admin,
        _ => auth.role() >= Role::Analyst,
    }
}

fn refuse(auth: &Auth, action: &str) -> AppError {
    AppError::forbidden(format!(
        "{} ({}) may not {action} a problem item: {}",
        auth.user(),
        auth.role().as_str(),
        if action == "respond" || action == "evidence" {
            "the responsible unit answers"
        } else {
            "the committee (analyst role) assigns, reviews and rates"
        }
    ))
}

/// Takes a step or a rating on an item the user sees and may act on.
pub async fn apply(st: &AppState, auth: &Auth, id: i64, act: Act) -> Result<Problem, AppError> {
    let name = match &act {
        Act::Step(s) => s.name(),
        Act::Rate(..) => "rate",
    };
    st.problem_for(&auth.session.reach, id).await?;
    if !may(auth, name) {
        return Err(refuse(auth, name));
    }
    let user = auth.user().to_string();
    st.problems
        .write(move |s| match act {
            Act::Step(step) => s.step(id, &step, &user),
            Act::Rate(r, note) => s.rate(id, r, note.as_deref(), &user),
        })
        .await
        .map_err(Into::into)
}

/// What the user may do with an item now.
pub fn allowed_for(auth: &Auth, p: &Problem) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = PROBLEMS
        .allowed(p.status)
        .into_iter()
        .filter(|s| may(auth, s))
        .collect();
    if p.status == Status::Closed && may(auth, "rate") {
        v.push("rate");
    }
    if p.status != Status::Closed && may(auth, "evidence") {
        v.push("evidence");
    }
    v
}

fn status_zh(s: Status, l: Lang) -> &'static str {
    match l {
        Lang::Zh => s.zh(),
        Lang::En => s.as_str(),
    }
}

fn source_label(s: Source, l: Lang) -> &'static str {
    match l {
        Lang::Zh => s.zh(),
        Lang::En => s.as_str(),
    }
}

fn query(q: &ProblemsQ) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("status", &q.status),
        ("source", &q.source),
        ("unit", &q.unit),
        ("overdue", &q.overdue),
    ] {
        if let Some(v) = some(v) {
            parts.push(format!("{k}={}", crate::web::urlencode(&v)));
        }
    }
    parts.join("&")
}

/// `GET /problems`: the list, its filters, and (for the committee) entry, import and export.
pub async fn problems(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<ProblemsQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let filter = filter_of(&q).page()?;
    let list = st.problems_for(&auth.session.reach, filter).await.page()?;
    let all = st
        .problems_for(&auth.session.reach, Filter::default())
        .await
        .page()?;
    let mut units: Vec<String> = all.iter().map(|p| p.unit.clone()).collect();
    units.sort();
    units.dedup();
    let today = chrono::Local::now().date_naive();
    let month = Period::of(today);
    let lp = st
        .loop_for(&auth.session.reach, month, today)
        .await
        .page()?;
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|p| {
            vec![
                a(&format!("/problems/{}", p.id), &format!("#{}", p.id)),
                text(source_label(p.source, l)),
                a(&format!("/problems/{}", p.id), &p.title),
                text(&p.unit),
                text(&p.due_date),
                html! {
                    span class={ "status " (p.status.as_str()) } { (status_zh(p.status, l)) }
                    @if p.overdue { " " span.badge.red { (t("逾期", "overdue")) } }
                },
            ]
        })
        .collect();
    let statuses: Vec<(String, String)> = std::iter::once((String::new(), t("全部", "all").into()))
        .chain(
            [
                Status::Open,
                Status::Assigned,
                Status::Responded,
                Status::SentBack,
                Status::Closed,
            ]
            .map(|s| (s.as_str().to_string(), status_zh(s, l).to_string())),
        )
        .collect();
    let sources: Vec<(String, String)> = std::iter::once((String::new(), t("全部", "all").into()))
        .chain(
            Source::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), source_label(*s, l).to_string())),
        )
        .collect();
    let unit_opts: Vec<(String, String)> =
        std::iter::once((String::new(), t("全部", "all").into()))
            .chain(units.iter().map(|u| (u.clone(), u.clone())))
            .collect();
    let committee = auth.role() >= Role::Analyst;
    let qs = query(&q);
    let unit_q = some(&q.unit)
        .map(|u| format!("?unit={}", crate::web::urlencode(&u)))
        .unwrap_or_default();
    let path = if qs.is_empty() {
        "/problems".to_string()
    } else {
        format!("/problems?{qs}")
    };
    let due_default = (today + chrono::Duration::days(30)).to_string();
    out(page(
        &auth,
        Frame::new("problems", t("问题清单", "Problems"), &path),
        html! {
            h1 { (t("问题清单与整改清单", "Problem list and rectification")) }
            section.card { (crate::views::loop_card(&lp, l)) }
            form.picker method="get" action="/problems" {
                label { (t("状态", "Status")) " " (select("status", &statuses, q.status.as_deref())) }
                " " label { (t("来源", "Source")) " " (select("source", &sources, q.source.as_deref())) }
                " " label { (t("责任单位", "Unit")) " " (select("unit", &unit_opts, q.unit.as_deref())) }
                " " label { input type="checkbox" name="overdue" value="1" checked[some(&q.overdue).is_some()]; " " (t("仅逾期", "overdue only")) }
                " " button { (t("筛选", "Filter")) }
            }
            p {
                (a(&format!("/problems/export.xlsx{unit_q}"), t("导出问题清单和整改清单 (XLSX)", "Export both lists (XLSX)")))
                @if let Some(u) = some(&q.unit) {
                    " · " (a(&format!("/problems/notice?unit={}", crate::web::urlencode(&u)), t("打印督办单", "Print the notice (督办单)")))
                } @else if !units.is_empty() {
                    " · " (t("督办单：", "Notices: "))
                    @for u in &units {
                        (a(&format!("/problems/notice?unit={}", crate::web::urlencode(u)), u)) " "
                    }
                }
            }
            (table(
                &[t("序号", "No."), t("来源", "Source"), t("问题", "Problem"), t("责任单位", "Unit"), t("整改期限", "Due"), t("状态", "Status")],
                &rows,
                "data",
            ))
            @if rows.is_empty() { p.muted { (t("没有符合条件的问题。", "No item matches.")) } }
            @if committee {
                section.card {
                    h2 { (t("录入问题", "Enter an item")) }
                    form id="add-problem" method="post" action="/problems" {
                        (csrf(&auth))
                        label { (t("来源", "Source")) " " (select("source", &sources[1..], Some("deliberation"))) }
                        " " label { (t("来源文件", "Source document")) " " input name="source_document" placeholder=(t("如:常委会审议意见 第3号", "e.g. deliberation opinion no. 3")); }
                        " " label { (t("编号", "Reference")) " " input name="source_ref" required; }
                        br;
                        label { (t("问题", "Problem")) " " input name="title" required size="60"; }
                        br;
                        label { (t("具体情况", "Detail")) " " textarea name="detail" rows="2" cols="60" {} }
                        br;
                        label { (t("责任单位", "Unit")) " " input name="unit" required; }
                        " " label { (t("区划", "Region")) " " input name="region_code" size="8"; }
                        " " label { (t("整改期限", "Due")) " " input name="due" type="date" value=(due_default) required; }
                        br;
                        label { (t("整改要求", "Requirement")) " " input name="requirement" required size="60"; }
                        " " button id="add" { (t("加入清单", "Add")) }
                    }
                }
                section.card {
                    h2 { (t("导入", "Import")) }
                    form method="post" action="/problems/import" enctype="multipart/form-data" {
                        (csrf(&auth))
                        (t("XLSX(列:来源、编号、来源文件、问题、具体情况、区划、责任单位、整改要求、整改期限)", "XLSX (columns 来源, 编号, 来源文件, 问题, 具体情况, 区划, 责任单位, 整改要求, 整改期限)"))
                        " " input type="file" name="file" accept=".xlsx,.xls" required;
                        " " label { (t("无来源列时按", "Source when the file has none")) " " (select("source", &sources, None)) }
                        " " button { (t("导入", "Import")) }
                    }
                    form method="post" action="/problems/import-audit" {
                        (csrf(&auth))
                        (t("把审计查出问题(审计数据集)列入清单,无期限的默认", "Put the audit findings (audit dataset) on the list, due by default"))
                        " " input name="due" type="date" value=(due_default) required;
                        " " button { (t("导入审计问题", "Import audit findings")) }
                    }
                    form method="post" action="/problems/import-alerts" {
                        (csrf(&auth))
                        (t("把未办结的预警列入清单,默认期限", "Put open alerts on the list, due by default"))
                        " " input name="due" type="date" value=(due_default) required;
                        " " button { (t("导入预警", "Import alerts")) }
                    }
                }
                section.card {
                    h2 { (t("单位整体满意度测评", "Rate a unit's whole list")) }
                    form method="post" action="/problems/rate-unit" {
                        (csrf(&auth))
                        label { (t("责任单位", "Unit")) " " (select("unit", &unit_opts[1..], None)) }
                        " " label { (t("期间", "Period")) " " input name="period" value=(month) size="8" required; }
                        " " (rating_select(l))
                        " " input name="note" placeholder=(t("意见", "note"));
                        " " button { (t("测评", "Rate")) }
                    }
                }
            }
        },
    ))
}

fn rating_select(l: Lang) -> Markup {
    let opts: Vec<(String, String)> = [Rating::Satisfied, Rating::Basically, Rating::Unsatisfied]
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                match l {
                    Lang::Zh => r.zh(),
                    Lang::En => r.as_str(),
                }
                .to_string(),
            )
        })
        .collect();
    select("rating", &opts, Some("satisfied"))
}

/// `GET /problems/{id}`: the item, its trail and evidence, and the user's forms.
pub async fn problem(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let p = st.problem_for(&auth.session.reach, id).await.page()?;
    let (events, evidence) = st
        .problems
        .read(move |s| Ok::<_, crate::PurseError>((s.events(id)?, s.evidence(id)?)))
        .await
        .page()?;
    let allowed = allowed_for(&auth, &p);
    let kv: Vec<Vec<Markup>> = vec![
        vec![text(t("来源", "Source")), text(source_label(p.source, l))],
        vec![
            text(t("来源文件", "Source document")),
            text(&p.source_document),
        ],
        vec![text(t("编号", "Reference")), text(&p.source_ref)],
        vec![text(t("具体情况", "Detail")), text(&p.detail)],
        vec![
            text(t("区划", "Region")),
            text(p.region_code.as_deref().unwrap_or("")),
        ],
        vec![text(t("责任单位", "Unit")), text(&p.unit)],
        vec![text(t("整改要求", "Requirement")), text(&p.requirement)],
        vec![
            text(t("整改期限", "Due")),
            html! { (p.due_date) @if p.overdue { " " span.badge.red { (t("逾期", "overdue")) } } },
        ],
        vec![text(t("状态", "Status")), text(status_zh(p.status, l))],
    ];
    let trail = super::trail_rows(&events, l, st.config.zone());
    let files = super::evidence_files(
        &evidence,
        &format!("/problems/{id}/evidence"),
        l,
        st.config.zone(),
    );
    let act = format!("/problems/{id}/act");
    out(page(
        &auth,
        Frame::new("problems", t("问题", "Problem"), &format!("/problems/{id}")),
        html! {
            h1 { "#" (p.id) " " (p.title) }
            p { (a("/problems", t("← 问题清单", "← Problem list"))) }
            (table(&[t("项目", "Field"), t("内容", "Value")], &kv, "kv"))
            @if !allowed.is_empty() {
                section.card.actions {
                    h2 { (t("办理", "Act")) }
                    @if allowed.contains(&"assign") {
                        form method="post" action=(act) {
                            (csrf(&auth)) input type="hidden" name="action" value="assign";
                            label { (t("整改要求", "Requirement")) " " input name="requirement" value=(p.requirement) size="50"; }
                            " " label { (t("期限", "Due")) " " input name="due" type="date" value=(p.due_date); }
                            " " button id="assign" { (t("交办", "Assign")) }
                        }
                    }
                    @if allowed.contains(&"respond") {
                        form method="post" action=(act) {
                            (csrf(&auth)) input type="hidden" name="action" value="respond";
                            label { (t("整改情况", "What was done")) " " textarea name="text" rows="3" cols="60" required {} }
                            " " button id="respond" { (t("反馈", "Respond")) }
                        }
                    }
                    @if allowed.contains(&"evidence") {
                        form method="post" action={ "/problems/" (id) "/evidence" } enctype="multipart/form-data" {
                            (csrf(&auth))
                            label { (t("佐证材料", "Evidence file")) " " input type="file" name="file" required; }
                            " " button id="evidence" { (t("上传", "Upload")) }
                        }
                    }
                    @if allowed.contains(&"accept") {
                        form method="post" action=(act) {
                            (csrf(&auth)) input type="hidden" name="action" value="accept";
                            input name="note" placeholder=(t("审核意见", "review note"));
                            " " button id="accept" { (t("销号", "Accept (close)")) }
                        }
                    }
                    @if allowed.contains(&"send_back") {
                        form method="post" action=(act) {
                            (csrf(&auth)) input type="hidden" name="action" value="send_back";
                            input name="reason" placeholder=(t("退回原因", "why it goes back")) required;
                            " " button id="send_back" { (t("退回", "Send back")) }
                        }
                    }
                    @if allowed.contains(&"rate") {
                        form method="post" action=(act) {
                            (csrf(&auth)) input type="hidden" name="action" value="rate";
                            (rating_select(l))
                            " " input name="note" placeholder=(t("意见", "note"));
                            " " button id="rate" { (t("满意度测评", "Rate")) }
                        }
                    }
                }
            }
            h2 { (t("佐证材料", "Evidence")) }
            (files)
            h2 { (t("处理记录", "Trail")) }
            (table(&[t("时间", "At"), t("操作人", "Actor"), t("操作", "Action"), t("状态", "Status"), t("说明", "Note")], &trail, "data"))
        },
    ))
}

/// `POST /problems/{id}/act`.
pub async fn problem_act(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ProblemActForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    let act = act_of(&f).page()?;
    apply(&st, &auth, id, act).await.page()?;
    Ok(Redirect::to(&format!("/problems/{id}")).into_response())
}

/// `POST /problems/{id}/evidence`: the unit's (or the committee's) evidence file.
pub async fn problem_evidence(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = super::one_file(&auth, mp).await?;
    let p = st.problem_for(&auth.session.reach, id).await.page()?;
    if !allowed_for(&auth, &p).contains(&"evidence") {
        return Err(if p.status == Status::Closed {
            AppError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("problem #{id} is closed (已销号): its evidence is final"),
            )
            .page()
        } else {
            refuse(&auth, "evidence").page()
        });
    }
    let user = auth.user().to_string();
    st.problems
        .write(move |s| s.add_evidence(id, &name, &bytes, &user))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/problems/{id}")).into_response())
}

/// `GET /problems/{id}/evidence/{eid}`: an evidence file, as stored.
pub async fn evidence_file(
    State(st): State<AppState>,
    auth: Auth,
    Path((id, eid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    st.problem_for(&auth.session.reach, id).await.page()?;
    let (e, bytes) = st
        .problems
        .read(move |s| s.evidence_file(id, eid))
        .await
        .page()?;
    let name = e.name;
    Ok(download(bytes, "application/octet-stream", &name))
}

/// A new item: the entry form, and the body of `POST /api/problems`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddForm {
    #[serde(default)]
    pub csrf: String,
    /// alert, audit, deliberation, suggestion, inspection (or 审计, 审议意见, 代表建议, 执法检查, 专题询问)
    pub source: String,
    /// The item's number in its source (the same source and number twice is one item)
    #[serde(default)]
    pub source_ref: String,
    #[serde(default)]
    pub source_document: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub region_code: String,
    /// The responsible unit (责任单位)
    pub unit: String,
    /// What rectification is asked (整改要求)
    pub requirement: String,
    /// YYYY-MM-DD
    pub due: String,
}

/// A new item from the entry form or the API.
pub fn new_problem(f: &AddForm) -> Result<crate::problems::NewProblem, AppError> {
    let source = Source::parse(&f.source).ok_or_else(|| {
        AppError::bad_request(format!(
            "source `{}`: use alert, audit, deliberation, suggestion or inspection",
            f.source
        ))
    })?;
    let due_date = due_date(&f.due)?;
    Ok(crate::problems::NewProblem {
        source,
        source_ref: f.source_ref.trim().to_string(),
        source_document: f.source_document.trim().to_string(),
        title: f.title.trim().to_string(),
        detail: f.detail.trim().to_string(),
        region_code: Some(f.region_code.trim().to_string()).filter(|s| !s.is_empty()),
        unit: f.unit.trim().to_string(),
        requirement: f.requirement.trim().to_string(),
        due_date,
    })
}

/// Puts an item on the list (the committee), within the user's own reach.
pub async fn add(
    st: &AppState,
    auth: &Auth,
    np: crate::problems::NewProblem,
) -> Result<Problem, AppError> {
    auth.require(Role::Analyst)?;
    let reach = &auth.session.reach;
    if !reach.regions.is_empty() && !reach.has_region(np.region_code.as_deref()) {
        return Err(AppError::forbidden(format!(
            "{} sees {} only: an item must name one of those regions",
            auth.user(),
            reach.describe()
        )));
    }
    let user = auth.user().to_string();
    Ok(st.problems.write(move |s| s.add(&np, &user)).await?)
}

/// `POST /problems`.
pub async fn add_problem(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<AddForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    let np = new_problem(&f).page()?;
    let p = add(&st, &auth, np).await.page()?;
    Ok(Redirect::to(&format!("/problems/{}", p.id)).into_response())
}

/// `POST /problems/import`: an XLSX list, all of it or nothing.
pub async fn import(
    State(st): State<AppState>,
    auth: Auth,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (fields, file) = super::read_multipart(mp).await?;
    auth.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    auth.require(Role::Analyst)?;
    let (name, bytes) =
        file.ok_or_else(|| AppError::bad_request("no file in the upload").page())?;
    let default = fields.get("source").and_then(|s| Source::parse(s));
    let items =
        crate::app::blocking(move || crate::problems::sheet::read_xlsx(&name, &bytes, default))
            .await
            .page()?;
    let reach = auth.session.reach.clone();
    if let Some(p) = items
        .iter()
        .find(|p| !reach.regions.is_empty() && !reach.has_region(p.region_code.as_deref()))
    {
        return Err(AppError::forbidden(format!(
            "`{}`: {} sees {} only: every item must name one of those regions; nothing was imported",
            p.title,
            auth.user(),
            reach.describe()
        ))
        .page());
    }
    let user = auth.user().to_string();
    st.problems
        .write(move |s| {
            for p in &items {
                s.add(p, &user)?;
            }
            Ok::<_, crate::PurseError>(())
        })
        .await
        .page()?;
    Ok(Redirect::to("/problems").into_response())
}

#[derive(Deserialize)]
pub struct ImportAlertsForm {
    #[serde(default)]
    csrf: String,
    due: String,
}

/// `POST /problems/import-audit`: the warehouse's audit findings (those the user's reach
/// reads) onto the list.
pub async fn import_audit(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<ImportAlertsForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let due = due_date(&f.due).page()?;
    let findings = st.audit_findings(&auth.session.reach).await.page()?;
    let user = auth.user().to_string();
    st.problems
        .write(move |s| s.import_audit(&findings, due, &user))
        .await
        .page()?;
    Ok(Redirect::to("/problems?source=audit").into_response())
}

/// `POST /problems/import-alerts`: purse's open alerts (those the user sees) onto the list.
pub async fn import_alerts(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<ImportAlertsForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let due = due_date(&f.due).page()?;
    let open = st
        .alerts_for(
            &auth.session.reach,
            crate::alerts::Filter {
                open: true,
                ..Default::default()
            },
        )
        .await
        .page()?;
    let user = auth.user().to_string();
    st.problems
        .write(move |s| s.import_alert_list(&open, due, &user))
        .await
        .page()?;
    Ok(Redirect::to("/problems?source=alert").into_response())
}

#[derive(Deserialize)]
pub struct RateUnitForm {
    #[serde(default)]
    csrf: String,
    unit: String,
    period: String,
    rating: String,
    #[serde(default)]
    note: String,
}

/// `POST /problems/rate-unit`: a unit's whole list rated for a period.
pub async fn rate_unit(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<RateUnitForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let rating = Rating::parse(&f.rating)
        .ok_or_else(|| AppError::bad_request(format!("rating `{}`", f.rating)).page())?;
    let unit = f.unit.trim().to_string();
    let visible = st
        .problems_for(
            &auth.session.reach,
            Filter {
                unit: Some(unit.clone()),
                ..Default::default()
            },
        )
        .await
        .page()?;
    if visible.is_empty() {
        return Err(AppError::not_found(format!("no problem item of `{unit}`")).page());
    }
    let period: Period = f
        .period
        .trim()
        .parse()
        .map_err(|e: crate::PurseError| AppError::bad_request(e.to_string()).page())?;
    let user = auth.user().to_string();
    let note = Some(f.note.trim().to_string()).filter(|s| !s.is_empty());
    st.problems
        .write(move |s| s.rate_unit(&unit, period, rating, note.as_deref(), &user))
        .await
        .page()?;
    Ok(Redirect::to("/problems").into_response())
}

#[derive(Deserialize, Default)]
pub struct UnitQ {
    #[serde(default)]
    unit: Option<String>,
}

/// The items of a unit (or all the user sees) with their rectification progress.
async fn with_progress(
    st: &AppState,
    auth: &Auth,
    unit: Option<String>,
) -> Result<Vec<(Problem, crate::problems::sheet::Progress)>, AppError> {
    let items = st
        .problems_for(
            &auth.session.reach,
            Filter {
                unit,
                ..Default::default()
            },
        )
        .await?;
    st.problems
        .read(move |s| {
            items
                .into_iter()
                .map(|p| {
                    let g = s.progress(p.id)?;
                    Ok((p, g))
                })
                .collect::<crate::Result<Vec<_>>>()
        })
        .await
        .map_err(Into::into)
}

/// `GET /problems/export.xlsx[?unit=…]`: the problem list and the rectification list.
pub async fn export(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<UnitQ>,
) -> Result<Response, AppError> {
    let unit = some(&q.unit);
    let items = with_progress(&st, &auth, unit.clone()).await.page()?;
    let zh = auth.lang == Lang::Zh;
    let bytes = crate::app::blocking(move || crate::problems::sheet::export_xlsx(&items, zh))
        .await
        .page()?;
    let name = match unit {
        Some(u) => format!("problems-{u}.xlsx"),
        None => "problems.xlsx".into(),
    };
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
    ))
}

/// `GET /problems/notice?unit=…`: the 督办单 of a unit, a page to print (or print to PDF):
/// its items not yet closed, each with the requirement and the due date.
pub async fn notice(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<UnitQ>,
) -> Result<Response, AppError> {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let unit = some(&q.unit)
        .ok_or_else(|| AppError::bad_request("unit: which unit's notice (?unit=…)").page())?;
    let items = with_progress(&st, &auth, Some(unit.clone())).await.page()?;
    if items.is_empty() {
        return Err(AppError::not_found(format!("no problem item of `{unit}`")).page());
    }
    let items: Vec<_> = items
        .into_iter()
        .filter(|(p, _)| p.status != Status::Closed)
        .collect();
    let today = chrono::Local::now().date_naive();
    let title = format!("{} {}", t("督办单", "Supervision notice"), unit);
    let body = html! {
        main.notice {
            h1 { (st.config.region_name) (t("人大常委会 督办单", " people's congress standing committee: supervision notice")) }
            p { (t("责任单位：", "To: ")) strong { (unit) } }
            p { (t("日期：", "Date: ")) (today) " · " (t("共", "")) (items.len()) (t("项未销号", " item(s) not closed")) }
            p { (t("请按下列要求整改，并于期限前通过 purse 反馈整改情况及佐证材料。", "Please rectify as required below and answer with what was done and the evidence, in purse, by each due date.")) }
            table.data {
                tr {
                    th { (t("序号", "No.")) } th { (t("来源", "Source")) } th { (t("问题", "Problem")) }
                    th { (t("整改要求", "Requirement")) } th { (t("整改期限", "Due")) } th { (t("状态", "Status")) }
                }
                @for (p, g) in &items {
                    tr {
                        td { "#" (p.id) }
                        td { (source_label(p.source, l)) " " (p.source_document) }
                        td { (p.title) }
                        td { (p.requirement) }
                        td class=(if p.overdue { "red" } else { "" }) {
                            (p.due_date) @if p.overdue { " " (t("(已逾期)", "(overdue)")) }
                        }
                        td {
                            (status_zh(p.status, l))
                            @if let Some(r) = &g.sent_back { br; (t("退回原因：", "Sent back: ")) (r) }
                        }
                    }
                }
            }
            p.signature { (t("督办人：__________    联系电话：__________", "Supervisor: __________    Telephone: __________")) }
            p.note.actions { (a("/problems", t("← 问题清单", "← Problem list"))) " · " (t("用浏览器打印或另存为 PDF。", "Print it, or save as PDF, from the browser.")) }
        }
    };
    let mut res = Html(bare(l, &title, body).into_string()).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
