//! The pages: cockpit, drill-down, alerts and their workflow, rules, data and uploads, users and
//! reports, one module each. Each is a thin handler over the library that renders a maud
//! template; the JSON twin of each is in `api.rs`.

mod alerts;
mod ask;
mod cockpit;
mod data;
mod drill;
mod problems;
mod reports;
mod review;
mod rules;
mod trail;
mod users;

pub use alerts::{
    ActForm, AlertsQ, action_of, alert, alert_act, alert_adopt, alert_evidence,
    alert_evidence_file, alerts, alerts_csv, alerts_xlsx, filtered,
};
pub use ask::{ask, question_box};
pub use cockpit::{chart, cockpit};
pub use data::{data, job, load_report, quality, retract, upload};
pub use drill::{DrillQ, clean_scope, drill};
pub use problems::{
    AddForm, ProblemActForm, ProblemsQ, act_of, add as add_problem_for, add_problem, allowed_for,
    apply, evidence_file, export as problems_export, filter_of, import as problems_import,
    import_alerts as problems_import_alerts, import_audit as problems_import_audit, new_problem,
    notice, problem, problem_act, problem_evidence, problems, rate_unit,
};
pub use reports::{generate_report, live_report, report_file, reports};
pub use review::{report as review_report, review};
pub use rules::{rule, rules};
pub use trail::{TrailQ, resolve as resolve_trail, trail, trail_href};
pub use users::{add_user, users};

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::AppError;
use super::html::{a, level, num, select, table, text};
use crate::alerts::{Alert, Status};
use crate::common::period::Period;
use crate::i18n::{Lang, term};

type PageOut = Result<Html<String>, AppError>;

/// A rendered page as the response body.
fn out(m: Markup) -> PageOut {
    Ok(Html(m.into_string()))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQ {
    /// YYYY-MM; empty or absent: the newest period with data
    #[serde(default, deserialize_with = "crate::common::period::optional")]
    #[param(value_type = Option<String>, pattern = r"^(\d{4}-(0[1-9]|1[0-2]))?$")]
    pub period: Option<Period>,
}

/// The period selector of a page; `hidden` carries the rest of the page's query.
fn period_picker(
    action: &str,
    periods: &[String],
    period: Period,
    lang: Lang,
    hidden: &[(&str, &str)],
) -> Markup {
    let opts: Vec<(String, String)> = periods.iter().map(|p| (p.clone(), p.clone())).collect();
    let period = period.to_string();
    html! {
        form.picker method="get" action=(action) {
            @for (k, v) in hidden { input type="hidden" name=(k) value=(v); }
            label { (lang.t("期间", "Period")) " " (select("period", &opts, Some(&period))) }
            " "
            button { (lang.t("查看", "Show")) }
        }
    }
}

/// A card of the cockpit: a linked title over its body.
fn card(title: &str, href: &str, body: Markup) -> Markup {
    html! {
        section.card {
            h2 { a href=(href) { (title) } }
            (body)
        }
    }
}

/// A query string of the given pairs, values percent-encoded; absent values are left out.
fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", super::html::urlencode(v?))))
        .collect::<Vec<_>>()
        .join("&")
}

fn alert_href(q: &[(&str, &str)]) -> String {
    format!("/alerts?{}", query(q.iter().map(|(k, v)| (*k, Some(*v)))))
}

fn status_label(s: Status, l: Lang) -> &'static str {
    match l {
        Lang::Zh => s.zh(),
        Lang::En => s.as_str(),
    }
}

/// A workflow status badge.
fn status_badge(s: Status, l: Lang) -> Markup {
    html! { span class={ "status " (s.as_str()) } { (status_label(s, l)) } }
}

/// The alert list shared by the alerts page and the drill-down: at most `limit` rows.
fn alert_table(alerts: &[Alert], l: Lang, limit: usize) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = alerts
        .iter()
        .take(limit)
        .map(|x| {
            let href = format!("/alerts/{}", x.id);
            vec![
                a(&href, &format!("#{}", x.id)),
                level(&x.level, l),
                text(&term(&x.category, l)),
                a(&href, &x.title),
                text(&x.subject),
                text(x.dept_name.as_deref().unwrap_or("")),
                status_badge(x.status, l),
                text(&x.last_period.to_string()),
                num(&x.months_open.to_string()),
            ]
        })
        .collect();
    html! {
        (table(
            &[
                t("编号", "ID"),
                t("等级", "Severity"),
                t("类别", "Category"),
                t("预警", "Alert"),
                t("对象", "Subject"),
                t("部门", "Department"),
                t("状态", "Status"),
                t("最近", "Last"),
                t("月数", "Months"),
            ],
            &rows,
            "data",
        ))
        @if alerts.len() > limit {
            p.note { "… " (alerts.len() - limit) " " (t("条未显示", "more not shown")) }
        }
    }
}

/// A file download with its name.
/// A file to save. Its name goes as plain ASCII (`filename`, others replaced by `_`) and as
/// UTF-8 (`filename*`, RFC 6266): `问题清单-教育局.xlsx` arrives named as it is.
/// An item's evidence files (an alert's or a problem item's), each linked under `base`
/// (`/alerts/7/evidence`), with its size, hash, who gave it and when.
fn evidence_files(
    files: &[crate::workflow::Evidence],
    base: &str,
    l: Lang,
    zone: chrono::FixedOffset,
) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = files
        .iter()
        .map(|e| {
            vec![
                a(&format!("{base}/{}", e.id), &e.name),
                text(&e.bytes.to_string()),
                html! { code { (e.sha256) } },
                text(&e.actor),
                text(&crate::i18n::local_time(&e.at, zone)),
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() { p.muted { (t("暂无。", "None yet.")) } }
        @else { (table(&[t("文件", "File"), t("字节", "Bytes"), "SHA-256", t("上传人", "By"), t("时间", "At")], &rows, "data")) }
    }
}

/// One uploaded file from a multipart form, after its csrf field is checked: refused when
/// there is none or it is empty.
async fn one_file(
    auth: &crate::web::auth::Auth,
    mp: axum::extract::Multipart,
) -> Result<(String, Vec<u8>), AppError> {
    let (fields, file) = read_multipart(mp).await?;
    auth.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let (name, bytes) =
        file.ok_or_else(|| AppError::bad_request("no file in the upload").page())?;
    if bytes.is_empty() {
        return Err(AppError::bad_request(format!("{name}: the file is empty")).page());
    }
    Ok((name, bytes))
}

fn download(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disp = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        super::html::urlencode(name)
    );
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disp)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// An audit trail (alert or problem item) as table rows: when (in the deployment's zone), who,
/// what, status change, note, in the reader's language.
fn trail_rows(
    events: &[crate::workflow::Event],
    l: Lang,
    zone: chrono::FixedOffset,
) -> Vec<Vec<Markup>> {
    let status = |s: Option<&str>| match s {
        None => String::new(),
        Some(s) if l == Lang::En => s.to_string(),
        Some(s) => crate::alerts::Status::parse(s)
            .map(|x| x.zh())
            .or_else(|| crate::problems::Status::parse(s).map(|x| x.zh()))
            .unwrap_or(s)
            .to_string(),
    };
    events
        .iter()
        .map(|e| {
            vec![
                text(&crate::i18n::local_time(&e.at, zone)),
                text(&e.actor),
                text(&action_word(&e.action, l)),
                text(&format!(
                    "{} → {}",
                    status(e.from_status.as_deref()),
                    status(e.to_status.as_deref())
                )),
                text(&note_words(&e.action, e.note.as_deref().unwrap_or(""), l)),
            ]
        })
        .collect()
}

/// A trail's action in words: the engine's (created, reopened, resolved, cleared) and the
/// users' steps on alerts and problem items.
fn action_word(action: &str, l: Lang) -> String {
    if l == Lang::En {
        return action.to_string();
    }
    match action {
        "created" => "发现",
        "reopened" | "reopen" => "重新打开",
        "resolved" => "数据已消除",
        "cleared" => "数据已消除，待销号",
        "ack" => "确认",
        "rectify" => "交付整改",
        "close" => "销号",
        "dismiss" => "排除",
        "comment" => "备注",
        "endorse" => "专家附议",
        "add" => "列入问题清单",
        "assign" => "交办",
        "respond" => "反馈",
        "accept" => "验收销号",
        "send_back" => "退回",
        "evidence" => "上传证明材料",
        "rate" => "满意度测评",
        other => other,
    }
    .to_string()
}

/// The engine's notes (`found in 2025-09`, `found again in …`, `the data for … no longer shows
/// it`) and a rating's word (`basically: …`) in Chinese; a person's note as written.
fn note_words(action: &str, note: &str, l: Lang) -> String {
    if l == Lang::En {
        return note.to_string();
    }
    if action == "rate" {
        let (word, rest) = note.split_once(": ").unwrap_or((note, ""));
        if let Some(r) = crate::problems::Rating::parse(word) {
            return if rest.is_empty() {
                r.zh().to_string()
            } else {
                format!("{}：{rest}", r.zh())
            };
        }
    }
    if let Some(p) = note.strip_prefix("found again in ") {
        return format!("{p}再次发现");
    }
    if let Some(p) = note.strip_prefix("found in ") {
        return format!("{p}发现");
    }
    if let Some(p) = note
        .strip_prefix("the data for ")
        .and_then(|x| x.strip_suffix(" no longer shows it"))
    {
        return format!("{p}的数据已不再显示");
    }
    note.to_string()
}

/// A multipart form (an upload): its text fields and its one `file`, with size and syntax
/// refusals as page errors.
async fn read_multipart(
    mut mp: axum::extract::Multipart,
) -> Result<
    (
        std::collections::BTreeMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    AppError,
> {
    let mut fields = std::collections::BTreeMap::new();
    let mut file = None;
    let mp_err = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        let code = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        AppError::new(status, code, format!("upload: {}", e.body_text())).page()
    };
    while let Some(field) = mp.next_field().await.map_err(mp_err)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("upload").to_string();
            file = Some((fname, field.bytes().await.map_err(mp_err)?.to_vec()));
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    Ok((fields, file))
}
