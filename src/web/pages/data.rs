//! 数据: what is loaded (datasets, the load manifest, issue reports), uploads as background jobs
//! with their progress and outcome, and the upload itself.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{PageOut, out};
use crate::i18n::{Lang, issue_text, load_message, load_status, local_time};
use crate::users::Role;
use crate::web::html::{Frame, a, csrf, num, page, select, table, text};
use crate::web::jobs::Job;
use crate::web::{AppError, AppState, Auth, PageResult};

/// Loads, periods, row counts, rejected files and upload jobs; admins upload here.
pub async fn data(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let zone = st.config.zone();
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let dir = st.data_dir.clone();
    let (summary, loads) =
        crate::web::blocking(move || match crate::warehouse::Warehouse::open_read(&dir) {
            Ok(wh) => Ok::<_, crate::PurseError>((wh.summary()?, wh.loads(200)?)),
            Err(_) => Ok((vec![], vec![])),
        })
        .await
        .page()?;
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
    crate::check::retract_load(&st.data_dir, &st.catalog, &st.config, id, &user, &f.reason)
        .await
        .page()?;
    let _ = st.refresh_versions().await;
    Ok(Redirect::to("/data").into_response())
}

/// A load's issues report (the CSV written at ingest), shown as a table.
pub async fn load_report(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let dir = st.data_dir.clone();
    let (load, header, rows) = crate::web::blocking(move || {
        let wh = crate::warehouse::Warehouse::open_read(&dir)?;
        let load = wh
            .loads(usize::MAX >> 1)?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or_else(|| crate::PurseError::NotFound(format!("no load #{id}")))?;
        let path = load.report.clone().ok_or_else(|| {
            crate::PurseError::NotFound(format!("load #{id} has no issues report"))
        })?;
        let p = std::path::PathBuf::from(&path);
        let p = if p.is_absolute() { p } else { dir.join(p) };
        let text = std::fs::read_to_string(&p)
            .map_err(|e| crate::PurseError::NotFound(format!("{}: {e}", p.display())))?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map(|h| h.iter().map(str::to_string).collect())
            .unwrap_or_default();
        let rows: Vec<Vec<String>> = rdr
            .records()
            .flatten()
            .take(2000)
            .map(|r| r.iter().map(str::to_string).collect())
            .collect();
        Ok::<_, crate::PurseError>((load, header, rows))
    })
    .await
    .page()?;
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

/// The upload's type, from its name and first bytes; anything else is refused before it is stored.
fn sniff_type(name: &str, head: &[u8]) -> Result<&'static str, String> {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" if head.starts_with(b"PK\x03\x04") => Ok("xlsx"),
        "xls" if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => Ok("xls"),
        "csv" | "txt" if !head.iter().take(8192).any(|b| *b == 0) => Ok("csv"),
        "xlsx" | "xls" | "csv" | "txt" => Err(format!("{name}: the content is not a {ext} file")),
        _ => Err(format!(
            "{name}: only .csv, .txt, .xlsx and .xls extracts are accepted"
        )),
    }
}

fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("upload");
    let s: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "upload.csv".into() } else { s }
}

/// Stores the upload aside (under `uploads/pending/`) and starts its job; answers with the job's
/// id at once. Refusals that need no reading (file type, period spelling) come back here.
pub async fn start_upload(
    st: &AppState,
    user: &str,
    file_name: &str,
    bytes: Vec<u8>,
    dataset: Option<String>,
    period: Option<String>,
) -> Result<i64, AppError> {
    sniff_type(file_name, &bytes).map_err(AppError::bad_request)?;
    if let Some(p) = &period {
        crate::figures::split_period(p)?;
    }
    let stamp = crate::users::random_token()[..12].to_string();
    let pending = st.data_dir.join("uploads").join("pending").join(&stamp);
    let path = pending.join(safe_name(file_name));
    let p2 = path.clone();
    crate::web::blocking(move || {
        std::fs::create_dir_all(&pending).map_err(|e| crate::PurseError::io(&pending, e))?;
        std::fs::write(&p2, &bytes).map_err(|e| crate::PurseError::io(&p2, e))
    })
    .await?;
    let (u, f) = (user.to_string(), file_name.to_string());
    let (id, live) = st.jobs.write(move |j| j.start(&f, &u)).await?;
    let job = UploadJob {
        st: st.clone(),
        live,
        user: user.to_string(),
        file_name: file_name.to_string(),
        stamp,
        path,
        dataset,
        period,
    };
    let st = st.clone();
    tokio::spawn(async move {
        // The job runs in its own task, so even a panic in it ends the job as failed.
        let result = match tokio::spawn(job.run()).await {
            Ok(r) => r,
            Err(e) => Err(format!(
                "internal error: {e} (a bug: please report it; nothing of this upload was committed unless the load list shows it)"
            )),
        };
        if let Err(e) = st.jobs.write(move |j| j.finish(id, result)).await {
            tracing::error!(job = id, error = %e, "recording an upload job");
        }
        let _ = st.refresh_versions().await;
    });
    Ok(id)
}

/// One upload on its way through ingest and the rules.
struct UploadJob {
    st: AppState,
    live: crate::web::jobs::Live,
    user: String,
    file_name: String,
    stamp: String,
    path: std::path::PathBuf,
    dataset: Option<String>,
    period: Option<String>,
}

impl UploadJob {
    /// Ingests through the same path as the CLI, files the upload under accepted/ or rejected/
    /// (with `NAME.reason.txt`), and runs the rules for the periods it loaded.
    async fn run(self) -> Result<(Vec<crate::ingest::Outcome>, Vec<String>), String> {
        let st = &self.st;
        let _one = st.ingest.lock().await;
        self.live.set(crate::web::jobs::Phase::Reading);
        let outcomes = self
            .read_in_child()
            .await
            .inspect_err(|why| self.file_away(Some(why)))?;
        let rejected: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == crate::ingest::Status::Rejected)
            .map(|o| o.message.as_str())
            .collect();
        self.file_away((!rejected.is_empty()).then(|| rejected.join("\n")).as_ref());
        let mut periods: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == crate::ingest::Status::Loaded)
            .flat_map(|o| o.periods.clone())
            .collect();
        periods.sort();
        periods.dedup();
        let detail = format!(
            "{}: {}",
            self.file_name,
            outcomes
                .iter()
                .map(|o| format!("{:?} {}", o.status, o.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let u = self.user.clone();
        st.users
            .write(move |us| us.audit(&u, "upload", &detail))
            .await
            .map_err(|e| e.message)?;
        // Pages show the new data from here on; the rules follow.
        let _ = st.refresh_versions().await;
        self.live.set(crate::web::jobs::Phase::Checking);
        crate::check::check_periods(&st.data_dir, &st.catalog, &st.config, &periods)
            .await
            .map_err(|e| format!("loaded, but running the rules failed: {e}"))?;
        Ok((outcomes, periods))
    }

    /// Reads and loads the file in a child `purse ingest --child` whose address space is capped
    /// (`[web] upload_memory_mib`): a workbook that would take the memory of the server (a zip
    /// bomb, a reader bug) ends that child instead, and the warehouse's commit protocol leaves
    /// the data as it was. The child says how it goes in [`crate::child::IngestMessage`] lines.
    async fn read_in_child(&self) -> Result<Vec<crate::ingest::Outcome>, String> {
        use crate::child::{IngestEnd, IngestMessage, ingest_end};
        use tokio::io::{AsyncBufReadExt, AsyncReadExt};
        let st = &self.st;
        let mib = st.config.web.upload_memory_mib.max(64);
        let exe = crate::console::worker_exe().map_err(|e| format!("finding purse: {e}"))?;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.args(["ingest", "--child"])
            .args(["--memory-mib", &mib.to_string()])
            .arg("--data-dir")
            .arg(&st.data_dir);
        if let Some(d) = &self.dataset {
            cmd.args(["--dataset", d]);
        }
        if let Some(p) = &self.period {
            cmd.args(["--period", p]);
        }
        let mut child = cmd
            .arg(&self.path)
            .env("MALLOC_ARENA_MAX", "2")
            // Its stdout is the protocol; its stderr is kept for a crash's diagnosis only.
            .env_remove("PURSE_LOG")
            .env_remove("PURSE_LOG_FORMAT")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting the ingest of {}: {e}", self.file_name))?;
        let stdout = child.stdout.take().ok_or("ingest stdout")?;
        let mut stderr = child.stderr.take().ok_or("ingest stderr")?;
        let rows = self.live.rows();
        let read_out = async {
            // Outcomes are small; a child that writes without end is cut off.
            let mut lines = tokio::io::BufReader::new(stdout.take(64 << 20)).lines();
            let mut last = None;
            while let Ok(Some(line)) = lines.next_line().await {
                match IngestMessage::parse(&line) {
                    Some(IngestMessage::Progress { rows: n, .. }) => {
                        rows.store(n, std::sync::atomic::Ordering::Relaxed);
                    }
                    Some(m) => last = Some(m),
                    None => {}
                }
            }
            last
        };
        let read_err = async {
            let mut err = Vec::new();
            let _ = (&mut stderr).take(1 << 16).read_to_end(&mut err).await;
            String::from_utf8_lossy(&err).into_owned()
        };
        let (last, err) = tokio::join!(read_out, read_err);
        let status = child
            .wait()
            .await
            .map_err(|e| format!("waiting for the ingest of {}: {e}", self.file_name))?;
        match ingest_end(status.code(), last) {
            IngestEnd::Done(outcomes) => Ok(outcomes),
            IngestEnd::Failed(message) => Err(message),
            IngestEnd::OutOfMemory => Err(format!(
                "{}: reading it needed more than {mib} MiB of memory ([web] upload_memory_mib); nothing of it was stored",
                self.file_name
            )),
            IngestEnd::Crashed(_) => {
                let why = err
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                tracing::error!(file = %self.file_name, %status, stderr = %why, "upload child crashed");
                Err(crate::ingest::internal_error(std::path::Path::new(
                    &self.file_name,
                )))
            }
        }
    }

    /// Whatever happened, the upload leaves pending/: accepted/ when every sheet loaded, else
    /// rejected/ with its reasons beside it (`NAME.reason.txt`).
    fn file_away(&self, why: Option<&String>) {
        let uploads = self.st.data_dir.join("uploads");
        let dest = uploads.join(if why.is_none() {
            "accepted"
        } else {
            "rejected"
        });
        let _ = std::fs::create_dir_all(&dest);
        let stored = dest.join(format!("{}-{}", self.stamp, safe_name(&self.file_name)));
        let _ = std::fs::rename(&self.path, &stored);
        let _ = std::fs::remove_dir(uploads.join("pending").join(&self.stamp));
        if let Some(why) = why {
            let mut note = stored.into_os_string();
            note.push(".reason.txt");
            let _ = std::fs::write(note, format!("{why}\n"));
        }
    }
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
    let id = start_upload(
        &st,
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
                                crate::ingest::Severity::Error => t("错误", "error"),
                                crate::ingest::Severity::Warning => t("警告", "warning"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_typed_by_name_and_content() {
        assert_eq!(sniff_type("a.xlsx", b"PK\x03\x04rest"), Ok("xlsx"));
        assert!(sniff_type("a.xlsx", b"not a zip").is_err());
        assert_eq!(sniff_type("a.CSV", "年度,月份".as_bytes()), Ok("csv"));
        assert!(sniff_type("a.csv", b"ab\0cd").is_err());
        assert!(sniff_type("a.exe", b"MZ").is_err());
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..\\x\\预算.csv"), "预算.csv");
        assert_eq!(safe_name(".."), "upload.csv");
    }
}

#[derive(serde::Deserialize, Default)]
pub struct QualityQ {
    #[serde(default, deserialize_with = "crate::period::optional")]
    pub period: Option<crate::period::Period>,
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
    let card = st.scorecard(&period, &auth.session.reach).await.page()?;
    let periods = st.periods().await.page()?;
    let path = format!("/data/quality?period={period}");
    out(page(
        &auth,
        Frame::new("data", t("数据质量", "Data quality"), &path),
        html! {
            div.titlebar {
                h1 { (t("数据质量评分", "Data-quality scorecard")) }
                (super::period_picker("/data/quality", &periods, &period, l, &[]))
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
