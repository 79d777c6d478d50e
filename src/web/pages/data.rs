//! 数据: what is loaded (datasets, the load manifest, issue reports), uploads as background jobs
//! with their progress and outcome, and the upload itself.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{PageOut, out};
use crate::app::jobs::Job;
use crate::i18n::{Lang, issue_text, load_message, load_status, local_time};
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageResult};
use crate::web::html::{Frame, a, csrf, num, page, select, table, text};

/// Loads, periods, row counts, rejected files and upload jobs; admins upload here.
pub async fn data(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let zone = st.config.zone();
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (summary, loads) = st.manifest(200).await.page()?;
    let jobs = st.jobs.read(|j| j.recent(20)).await.page()?;
    let job_rows: Vec<Vec<Markup>> = jobs
        .iter()
        .map(|j| {
            vec![
                a(&format!("/data/jobs/{}", j.id), &format!("#{}", j.id)),
                text(&j.file),
                text(&j.user),
                text(&local_time(&j.created_at, zone)),
                html! { span.job data-state=(j.state) { (job_status(j, l)) } },
            ]
        })
        .collect();
    let datasets: Vec<(String, String)> =
        std::iter::once((String::new(), t("自动识别", "detect").to_string()))
            .chain(
                st.catalog
                    .datasets
                    .iter()
                    .map(|d| (d.name.clone(), format!("{} {}", d.name, d.title))),
            )
            .collect();
    let summary_rows: Vec<Vec<Markup>> = summary
        .iter()
        .map(|d| {
            let title = st
                .catalog
                .get(&d.dataset)
                .map(|x| x.title.clone())
                .unwrap_or_default();
            vec![
                text(&d.dataset),
                text(&title),
                text(&match (d.periods.first(), d.periods.last()) {
                    (Some(a), Some(z)) if a != z => format!("{a} … {z} ({})", d.periods.len()),
                    (Some(a), _) => a.clone(),
                    _ => String::new(),
                }),
                num(&d.rows.to_string()),
                num(&d.sources.len().to_string()),
            ]
        })
        .collect();
    let admin = auth.role() >= Role::Admin;
    let load_rows: Vec<Vec<Markup>> = loads
        .iter()
        .map(|x| {
            let sheet = x
                .sheet
                .as_deref()
                .map(|s| format!("#{s}"))
                .unwrap_or_default();
            vec![
                text(&format!("#{}", x.id)),
                html! {
                    span class={ "status " (x.status) } { (load_status(&x.status, l)) }
                    @if !x.replaced_by.is_empty() {
                        br;
                        span.note {
                            @if x.live_parts == 0 { (t("已被替换：", "replaced by ")) } @else { (t("部分被替换：", "partly replaced by ")) }
                            @for (i, by) in x.replaced_by.iter().enumerate() {
                                @if i > 0 { ", " }
                                "#" (by)
                            }
                        }
                    }
                },
                text(x.dataset.as_deref().unwrap_or("")),
                text(&format!("{}{sheet}", x.file)),
                num(&x.rows.to_string()),
                num(&x.errors.to_string()),
                num(&x.warnings.to_string()),
                text(&load_message(x.message.as_deref().unwrap_or(""), l, |d| {
                    st.catalog.get(d).ok().map(|x| x.title.clone())
                })),
                if x.report.is_some() {
                    a(
                        &format!("/data/loads/{}/report", x.id),
                        t("问题清单", "issues"),
                    )
                } else {
                    html! {}
                },
                text(&local_time(&x.started_at, zone)),
                if admin && x.status == "accepted" && x.live_parts > 0 {
                    // Folded: one word per row until an administrator opens it.
                    html! {
                        details.retract {
                            summary { (t("撤回…", "Retract…")) }
                            form method="post" action={ "/data/loads/" (x.id) "/retract" } {
                                (csrf(&auth))
                                input name="reason" required size="12" placeholder=(t("撤回原因（必填）", "why (required)"));
                                " " button { (t("确认撤回", "Retract")) }
                            }
                        }
                    }
                } else {
                    html! {}
                },
            ]
        })
        .collect();
    out(page(
        &auth,
        Frame::new("data", t("数据", "Data"), "/data"),
        html! {
            h1 { (t("数据", "Data")) }
            p { (a("/data/quality", t("数据质量评分 ›", "Data-quality scorecard ›"))) }
            @if auth.role() >= Role::Admin {
                section.card {
                    h2 { (t("上传数据文件", "Upload an extract")) }
                    form method="post" action="/data/upload" enctype="multipart/form-data" {
                        (csrf(&auth))
                        input type="file" name="file" required accept=".csv,.txt,.xlsx,.xls";
                        " " label { (t("数据集", "Dataset")) " " (select("dataset", &datasets, None)) } " "
                        label { (t("期间", "Period")) " " input name="period" placeholder="YYYY-MM" size="8"; }
                        " " button { (t("上传并校验", "Upload and validate")) }
                    }
                    p.note {
                        (t("CSV (UTF-8/GBK) 或 XLSX；后台校验，通过后入库并运行规则。上限", "CSV (UTF-8/GBK) or XLSX; validated in the background, loaded and checked once valid. Limit"))
                        " " (st.config.web.max_upload_mib) " MiB"
                    }
                }
            }
            @if !jobs.is_empty() {
                section.card {
                    h2 { (t("上传任务", "Upload jobs")) }
                    (table(
                        &[t("任务", "Job"), t("文件", "File"), t("用户", "User"), t("开始", "Started"), t("状态", "State")],
                        &job_rows,
                        "data",
                    ))
                }
            }
            h2 { (t("已入库数据集", "Datasets")) }
            (table(
                &[t("数据集", "Dataset"), t("名称", "Title"), t("期间", "Periods"), t("行数", "Rows"), t("来源文件", "Files")],
                &summary_rows,
                "data",
            ))
            h2 { (t("载入记录(最新在前)", "Loads, newest first")) }
            (table(
                &[
                    t("批次", "Load"), t("状态", "Status"), t("数据集", "Dataset"), t("文件", "File"),
                    t("行数", "Rows"), t("错误", "Errors"), t("警告", "Warnings"), t("说明", "Message"),
                    t("报告", "Report"), t("时间", "At"), t("操作", "Action"),
                ],
                &load_rows,
                "data",
            ))
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct RetractForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

/// An administrator takes a load back (撤回, `purse loads retract`): the warehouse returns to
/// its state without it, its periods are checked again and the alerts only its data showed are
/// taken back. Kept in the manifest and the audit log with who and why.
pub async fn retract(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RetractForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Admin)?;
    let user = auth.user().to_string();
    st.retract(id, &user, &f.reason).await.page()?;
    Ok(Redirect::to("/data").into_response())
}

/// A load's issues report (the CSV written at ingest), shown as a table.
pub async fn load_report(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let (load, header, rows) = st.load_issues(id).await.page()?;
    // The report is stored in English; its reasons and expected values read in the page's
    // language (any other cell is as stored).
    let cells: Vec<Vec<Markup>> = rows
        .iter()
        .map(|r| r.iter().map(|c| text(&issue_text(c, l))).collect())
        .collect();
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let path = format!("/data/loads/{id}/report");
    out(page(
        &auth,
        Frame::new("data", l.t("问题清单", "Issues"), &path),
        html! {
            h1 { "#" (id) " " (load.file) }
            p {
                (load_status(&load.status, l)) " · "
                (load_message(load.message.as_deref().unwrap_or(""), l, |d| st.catalog.get(d).ok().map(|x| x.title.clone())))
            }
            (table(&hdr, &cells, "data"))
        },
    ))
}

/// `POST /data/upload`: stores the file, starts its job and shows the job's page.
pub async fn upload(
    State(st): State<AppState>,
    auth: Auth,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (fields, file) = super::read_multipart(mp).await?;
    auth.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    auth.require(Role::Admin)?;
    let (fname, bytes) =
        file.ok_or_else(|| AppError::bad_request("no file in the upload").page())?;
    let nonempty = |k: &str| {
        fields
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let id = st
        .app
        .start_upload(
            auth.user(),
            &fname,
            bytes,
            nonempty("dataset"),
            nonempty("period"),
        )
        .await
        .page()?;
    Ok(Redirect::to(&format!("/data/jobs/{id}")).into_response())
}

/// An upload job's page: its progress while it runs (the page reloads itself each second, no
/// script needed), then each sheet's outcome with its issues and the periods re-checked.
pub async fn job(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let job = st
        .jobs
        .read(move |j| j.get(id))
        .await
        .page()?
        .ok_or_else(|| AppError::not_found(format!("no upload job #{id}")).page())?;
    let mut frame = Frame::new("data", t("上传任务", "Upload job"), "/data");
    frame.refresh = job.running();
    out(page(
        &auth,
        frame,
        html! {
            h1 { (t("上传任务", "Upload job")) " #" (job.id) " " (job.file) }
            p.job data-state=(job.state) { (job_status(&job, l)) }
            @if job.running() {
                p.muted { (t("本页每秒自动刷新。", "This page refreshes itself every second.")) }
            }
            @for o in &job.outcomes {
                @let rejected = o.status == crate::ingest::Status::Rejected;
                section.card {
                    h2 {
                        span class={ "status " (if rejected { "rejected" } else { "loaded" }) } { (outcome_status(o.status, l)) }
                        " " (o.dataset.as_deref().unwrap_or(""))
                        @if let Some(s) = &o.sheet { " #" (s) }
                    }
                    p { (load_message(&o.message, l, |d| st.catalog.get(d).ok().map(|x| x.title.clone()))) }
                    @if !o.issues.is_empty() {
                        @let rows: Vec<Vec<Markup>> = o.issues.iter().map(|i| vec![
                            text(match i.severity {
                                crate::common::Severity::Error => t("错误", "error"),
                                crate::common::Severity::Warning => t("警告", "warning"),
                            }),
                            text(&i.row.map(|r| r.to_string()).unwrap_or_default()),
                            text(&i.column),
                            text(&i.value),
                            text(&issue_text(&i.expected, l)),
                            text(&issue_text(&i.reason, l)),
                        ]).collect();
                        (table(
                            &[t("级别", "Severity"), t("行", "Row"), t("列", "Column"), t("值", "Value"), t("应为", "Expected"), t("原因", "Reason")],
                            &rows,
                            "data",
                        ))
                    }
                }
            }
            @if !job.checked.is_empty() {
                p { (t("已重新运行规则：", "Rules re-run for")) " " (job.checked.join(", ")) }
            }
            p { (a("/data", t("返回数据页", "Back to Data"))) }
        },
    ))
}

/// One line on where a job is: its phase and rows while running, else how it ended.
/// What became of one file or sheet of an upload, in words.
fn outcome_status(s: crate::ingest::Status, l: Lang) -> &'static str {
    match s {
        crate::ingest::Status::Loaded => l.t("已入库", "loaded"),
        crate::ingest::Status::Unchanged => l.t("未变化", "unchanged"),
        crate::ingest::Status::Rejected => l.t("拒收", "rejected"),
        crate::ingest::Status::Skipped => l.t("跳过", "skipped"),
    }
}

pub fn job_status(job: &Job, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let count = |s: crate::ingest::Status| job.outcomes.iter().filter(|o| o.status == s).count();
    html! {
        @match (job.state.as_str(), job.phase) {
            ("running", Some(p)) => { (p.label(l)) " · " (job.rows_read) " " (t("行已读", "rows read")) }
            ("running", None) => { (t("进行中", "running")) }
            ("done", _) => {
                (t("完成", "done")) " · " (t("载入", "loaded")) " " (count(crate::ingest::Status::Loaded))
                " · " (t("拒收", "rejected")) " " (count(crate::ingest::Status::Rejected))
            }
            (state, _) => {
                (match state {
                    "failed" => t("失败", "failed"),
                    "interrupted" => t("中断", "interrupted"),
                    other => other,
                })
                " · " (job.message.as_deref().unwrap_or(""))
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct QualityQ {
    #[serde(default, deserialize_with = "crate::common::period::optional")]
    pub period: Option<crate::common::period::Period>,
}

/// 数据质量: each source's grade over the twelve months to the period, and its months.
pub async fn quality(
    State(st): State<AppState>,
    auth: Auth,
    crate::web::PageQuery(q): crate::web::PageQuery<QualityQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let period = st.period_or_latest(q.period).await.page()?;
    let card = st.scorecard(period, &auth.session.reach).await.page()?;
    let periods = st.periods().await.page()?;
    let path = format!("/data/quality?period={period}");
    out(page(
        &auth,
        Frame::new("data", t("数据质量", "Data quality"), &path),
        html! {
            div.titlebar {
                h1 { (t("数据质量评分", "Data-quality scorecard")) }
                (super::period_picker("/data/quality", &periods, period, l, &[]))
            }
            (crate::views::quality_table(&card, l))
            @for s in &card.sources {
                @if !s.periods.is_empty() {
                    h2 id={ "q-" (s.dataset) } { (s.title) " · " (s.dataset) }
                    (table(
                        &[
                            t("期间", "Period"),
                            t("到达", "Arrived"),
                            t("应报", "Due"),
                            t("及时", "Timeliness"),
                            t("报送/应报送", "Reporting / expected"),
                            t("未报送（部分）", "Missing (some)"),
                            t("核对一致/核对", "Agreeing / compared"),
                            t("更正", "Corrected"),
                        ],
                        &s.periods
                            .iter()
                            .map(|p| {
                                vec![
                                    text(&p.period),
                                    text(p.arrived.as_deref().unwrap_or("—")),
                                    text(&p.due),
                                    match p.days_late {
                                        Some(0) => text(t("按时", "on time")),
                                        Some(d) => html! { span.red { (d) (t("天逾期", " days late")) } },
                                        None => html! { span.muted { (t("不评", "not graded")) } },
                                    },
                                    num(&format!("{}/{}", p.reporting, p.expected)),
                                    text(&p.missing.join("、")),
                                    num(&format!("{}/{}", p.agreeing, p.compared)),
                                    num(&p.corrections.to_string()),
                                ]
                            })
                            .collect::<Vec<_>>(),
                        "compact",
                    ))
                }
            }
        },
    ))
}
