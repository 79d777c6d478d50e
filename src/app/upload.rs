//! Uploads as background jobs: the request stores the file and answers at once with the job's
//! id; the job waits its turn for the warehouse (one writer), reads the file in a child process
//! with its row count shown as it goes, files the upload under accepted/ or rejected/, re-runs
//! the rules for the periods it loaded, and records its outcome (see [`super::jobs`]).

use std::sync::Arc;

use super::jobs::{Live, Phase};
use super::{App, blocking};
use crate::error::{PurseError, Result};

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
impl App {
    pub async fn start_upload(
        self: &Arc<Self>,
        user: &str,
        file_name: &str,
        bytes: Vec<u8>,
        dataset: Option<String>,
        period: Option<String>,
    ) -> Result<i64> {
        let st = self;
        sniff_type(file_name, &bytes).map_err(PurseError::Invalid)?;
        if let Some(p) = &period {
            crate::common::period::split_period(p)?;
        }
        let stamp = crate::users::random_token()[..12].to_string();
        let pending = st.data_dir.join("uploads").join("pending").join(&stamp);
        let path = pending.join(safe_name(file_name));
        let p2 = path.clone();
        blocking(move || {
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
}

/// One upload on its way through ingest and the rules.
struct UploadJob {
    st: Arc<App>,
    live: Live,
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
        self.live.set(Phase::Reading);
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
            .map_err(|e| e.to_string())?;
        // Pages show the new data from here on; the rules follow.
        let _ = st.refresh_versions().await;
        self.live.set(Phase::Checking);
        st.check_periods(&periods)
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
