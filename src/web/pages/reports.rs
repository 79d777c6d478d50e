//! 月度报告: the archive of monthly reports, making one now, and serving an archived one.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, download, out};
use crate::common::period::Period;
use crate::i18n::Lang;
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageResult};
use crate::web::html::{Frame, a, csrf, page, select, table, text};

use crate::report::file_name;

pub async fn reports(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    if auth.session.reach.bounds_data() {
        return bounded_reports(&st, &auth).await;
    }
    let list = st.archived_reports().await.page()?;
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|(p, lang, h, x)| {
            vec![
                text(p),
                text(lang.code()),
                a(&format!("/reports/{}", file_name(h)), "HTML"),
                if x.exists() {
                    a(&format!("/reports/{}", file_name(x)), "XLSX")
                } else {
                    html! {}
                },
            ]
        })
        .collect();
    let periods = st.periods().await.unwrap_or_default();
    let opts: Vec<(String, String)> = periods.iter().map(|p| (p.clone(), p.clone())).collect();
    let langs = vec![
        ("zh".to_string(), "中文".to_string()),
        ("en".to_string(), "English".to_string()),
    ];
    out(page(
        &auth,
        Frame::new("reports", t("月度报告", "Reports"), "/reports"),
        html! {
            h1 { (t("月度预警报告", "Monthly alert reports")) }
            p.note {
                (t("按计划自动生成(purse.toml [report] schedule)：", "Made on schedule (purse.toml [report] schedule):"))
                " " code { (st.config.report.schedule) }
            }
            @if auth.role() >= Role::Analyst {
                form.picker method="post" action="/reports" {
                    (csrf(&auth))
                    label { (t("期间", "Period")) " " (select("period", &opts, periods.first().map(String::as_str))) }
                    " " (select("lang", &langs, Some(l.code()))) " "
                    button { (t("立即生成", "Generate now")) }
                }
            }
            (table(&[t("期间", "Period"), t("语言", "Language"), "HTML", "XLSX"], &rows, "data"))
        },
    ))
}

/// The archived reports cover the whole jurisdiction: a bounded user gets each period's report
/// drawn for their reach instead.
async fn bounded_reports(st: &AppState, auth: &Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let periods = st.periods().await.page()?;
    let rows: Vec<Vec<Markup>> = periods
        .iter()
        .map(|p| {
            vec![
                text(p),
                a(&format!("/reports/live/{p}?lang=zh"), "中文"),
                a(&format!("/reports/live/{p}?lang=en"), "English"),
            ]
        })
        .collect();
    out(page(
        auth,
        Frame::new("reports", t("月度报告", "Reports"), "/reports"),
        html! {
            h1 { (t("月度预警报告", "Monthly alert reports")) }
            p.note { (t("按可见范围生成：", "Drawn for your reach: ")) (auth.session.reach.describe()) }
            (table(&[t("期间", "Period"), "", ""], &rows, "data"))
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct LiveQ {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /reports/live/{period}`: the monthly report drawn now for the user's reach (not archived).
pub async fn live_report(
    State(st): State<AppState>,
    auth: Auth,
    Path(period): Path<String>,
    crate::web::PageQuery(q): crate::web::PageQuery<LiveQ>,
) -> Result<Response, AppError> {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or(auth.lang);
    let period = period.trim().parse::<Period>().page()?;
    let as_of = crate::report::schedule::Cron::parse(&st.config.report.schedule)
        .and_then(|c| c.due_date(period))
        .page()?;
    let r = st.report(period, as_of, &auth.session.reach).await.page()?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        crate::report::html(&r, lang),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct GenForm {
    #[serde(default)]
    csrf: String,
    period: String,
    #[serde(default)]
    lang: Option<String>,
}

pub async fn generate_report(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<GenForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let lang = f.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let period = f.period.trim().parse::<Period>().page()?;
    let (h, _) = st.archive_report(period, lang).await.page()?;
    let (u, p) = (auth.user().to_string(), period.to_string());
    st.users
        .write(move |us| us.audit(&u, "report.generate", &p))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/reports/{}", file_name(&h))).into_response())
}

/// Serves an archived report by its file name (only names the archive lists).
pub async fn report_file(
    State(st): State<AppState>,
    _auth: Auth,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let found = st.archived_report(&file).await.page()?;
    let (bytes, is_html) =
        found.ok_or_else(|| AppError::not_found(format!("no report `{file}`")).page())?;
    if is_html {
        Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            bytes,
        )
            .into_response())
    } else {
        Ok(download(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &file,
        ))
    }
}
