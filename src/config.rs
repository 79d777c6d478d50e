//! `DIR/purse.toml`: the deployment's own defaults (its region, the budget kind an extract means
//! when it does not say) and its extra header aliases.
//!
//! Without the file a deployment has **no region**: an extract that names none (no region
//! column, no region in its title, no `--set`) is refused rather than stamped with someone
//! else's. `purse init` writes the file with every setting commented; the demo writes its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{PurseError, Result};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// 财政区划编码 of the deployment's own region ("" = none: extracts must name theirs).
    pub region_code: String,
    pub region_name: String,
    /// Region names → 财政区划编码, for extracts whose title names a region other than the
    /// deployment's own (`"平阳县" = "330326"`): the code list titles are resolved against.
    pub regions: BTreeMap<String, String>,
    /// The budget kind of an extract that names none.
    pub budget_kind: String,
    /// The deployment's time zone as a UTC offset (`+08:00`, China's): times on pages and in
    /// reports read in it, whatever zone the server's clock keeps.
    pub time_zone: String,
    /// Extra header spellings: `"budget_execution.ytd_amount" = ["1-本月支出"]`.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Per-rule parameter overrides and switches: `[rules.execution_lag] yellow_pp = 12`,
    /// `enabled = false`.
    pub rules: BTreeMap<String, toml::Table>,
    /// The monthly report: `[report] schedule = "0 8 5 * *"`, `languages = ["zh", "en"]`.
    pub report: ReportConfig,
    /// The web server: `[web] max_upload_mib = 64`.
    pub web: WebConfig,
    /// The data-quality scorecard: `[quality] due_day = 15`.
    pub quality: QualityConfig,
    /// How large a sheet may be read: `[ingest] max_columns = 1000`.
    pub ingest: IngestConfig,
    /// 问数's optional local model: `[ask] model = "/models/qwen2.5-coder-1.5b-q4_k_m.gguf"`.
    pub ask: AskConfig,
}

/// 问数's local model, for questions its grammar does not cover. Used only by a purse built
/// with `--features local-model`; never the network: the model and its tokenizer are files on
/// this machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AskConfig {
    /// A GGUF model file (architecture qwen2 or llama); relative to the data directory.
    pub model: Option<PathBuf>,
    /// Its `tokenizer.json`; default: `tokenizer.json` beside the model.
    pub tokenizer: Option<PathBuf>,
    /// Tokens the model may write for one question.
    pub max_tokens: usize,
    /// Seconds the model may take for one question; then it is stopped and the question not
    /// answered. Measured on a 2-core machine (`benches/ask_model.rs`): a 1.5B model at 4 bits
    /// reads a 1,100-token prompt in about 260 s and writes 5 tokens a second.
    pub timeout_secs: u64,
}

impl Default for AskConfig {
    fn default() -> Self {
        AskConfig {
            model: None,
            tokenizer: None,
            max_tokens: 256,
            timeout_secs: 600,
        }
    }
}

/// Bounds on what one sheet may make purse read, so that a small file that claims a huge sheet
/// (a cell at XFD1048576, a sheet that unpacks to gigabytes of XML) is refused with its cause
/// instead of exhausting memory. An extract has hundreds of columns, not 16,384.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    pub max_columns: u32,
    pub max_rows: u32,
    /// Cells held for one sheet (each row as wide as its last cell).
    pub max_cells: u64,
    /// XML one worksheet (or the shared strings) of an XLSX may unpack to, MiB.
    pub max_sheet_xml_mib: u64,
    /// One line of a CSV, KiB.
    pub max_line_kib: u64,
    /// The memory `purse ingest` may take in all, MiB (its address space; 0: no cap). A file
    /// that needs more is refused with exit 2, naming it and this setting.
    pub memory_mib: u64,
}

/// `purse ingest`'s memory cap unless `[ingest] memory_mib` says otherwise: 2 GiB. The largest
/// extracts (a province's year of payments, hundreds of MB) load well within it.
pub const INGEST_MEMORY_MIB: u64 = 2048;

impl Default for IngestConfig {
    fn default() -> Self {
        let l = Limits::DEFAULT;
        IngestConfig {
            max_columns: l.max_columns,
            max_rows: l.max_rows,
            max_cells: l.max_cells,
            max_sheet_xml_mib: l.max_xml_bytes >> 20,
            max_line_kib: l.max_line_bytes >> 10,
            memory_mib: INGEST_MEMORY_MIB,
        }
    }
}

impl IngestConfig {
    pub fn limits(&self) -> Limits {
        Limits {
            max_columns: self.max_columns,
            max_rows: self.max_rows,
            max_cells: self.max_cells,
            max_xml_bytes: self.max_sheet_xml_mib << 20,
            max_line_bytes: self.max_line_kib << 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// A month's extract is due by this day of the following month (1–28).
    pub due_day: u32,
    /// The first period whose timeliness is graded (`YYYY-MM`); empty: the first period due
    /// after the warehouse's first load (history loaded at set-up is not "late").
    pub graded_from: String,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            due_day: 15,
            graded_from: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Cron-style `minute hour day month weekday`, local time; default the 5th at 08:00.
    pub schedule: String,
    pub languages: Vec<String>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            schedule: "0 8 5 * *".into(),
            languages: vec!["zh".into()],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    pub max_upload_mib: usize,
    /// Failed logins allowed per user name and address in `login_window_secs`.
    pub login_attempts: u32,
    pub login_window_secs: u64,
    /// SQL console bounds.
    pub sql_timeout_secs: u64,
    pub sql_max_rows: usize,
    pub sql_memory_mib: usize,
    /// Address space of the child process that reads an upload (`purse ingest`): a workbook
    /// that would need more is refused, and the server's own memory is never at stake.
    pub upload_memory_mib: usize,
    /// A bearer token for `/metrics`; unset, only a scrape from this machine itself (no proxy
    /// in between) may read it.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_upload_mib: 64,
            login_attempts: 5,
            login_window_secs: 300,
            sql_timeout_secs: 30,
            sql_max_rows: 10_000,
            sql_memory_mib: 512,
            upload_memory_mib: 4096,
            metrics_token: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region_code: String::new(),
            region_name: String::new(),
            regions: BTreeMap::new(),
            budget_kind: "一般公共预算".into(),
            time_zone: "+08:00".into(),
            aliases: BTreeMap::new(),
            rules: BTreeMap::new(),
            report: ReportConfig::default(),
            web: WebConfig::default(),
            quality: QualityConfig::default(),
            ingest: IngestConfig::default(),
            ask: AskConfig::default(),
        }
    }
}

/// The demo region's settings, written by `purse demo` into its own data directory.
pub const DEMO_REGION: (&str, &str) = ("990100", "示范市");

impl Config {
    /// The code of a region named in an extract: the deployment's own, else the code list.
    pub fn region_code_of(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        if name == self.region_name.trim() && !self.region_code.trim().is_empty() {
            return Some(self.region_code.trim().to_string());
        }
        self.regions.get(name).map(|c| c.trim().to_string())
    }

    /// The deployment's time zone (`time_zone`), checked when the settings are read.
    pub fn zone(&self) -> chrono::FixedOffset {
        parse_offset(&self.time_zone).unwrap_or_else(china)
    }

    /// Reads `DIR/purse.toml` if present, else defaults.
    pub fn load(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join("purse.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let c: Config = toml::from_str(&text)
                    .map_err(|e| PurseError::Config(format!("{}: {e}", path.display())))?;
                if parse_offset(&c.time_zone).is_none() {
                    return Err(PurseError::Config(format!(
                        "{}: time_zone `{}` is not a UTC offset (write it as \"+08:00\")",
                        path.display(),
                        c.time_zone
                    )));
                }
                Ok(c)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(PurseError::io(path, e)),
        }
    }
}

fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// `+08:00`, `-05:30`, `+8`, `UTC`, `UTC+8` → the offset; anything else `None`.
pub fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let t = text.trim();
    let t = t.strip_prefix("UTC").unwrap_or(t);
    if t.is_empty() || t == "Z" {
        return chrono::FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// `purse init`: a `purse.toml` with the deployment's region and every other setting written
/// out (commented where the default stands), so an operator sees what can be set.
pub fn init_toml(region_code: &str, region_name: &str) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let d = Config::default();
    format!(
        r#"# purse deployment settings (written by `purse init`). Every setting is shown; a commented
# line is the built-in default.

# The deployment's own region: stamped on extracts that name no region of their own (no
# 财政区划 column, no region in the title, no --set). Leave both empty to refuse such files.
region_code = {code}
region_name = {name}

# The budget kind of an extract that names none (一般公共预算 / 政府性基金预算 /
# 国有资本经营预算 / 社会保险基金预算).
# budget_kind = {kind}

# The deployment's time zone as a UTC offset: times on pages and in reports read in it.
# time_zone = {zone}

# Region names → 财政区划编码, for extracts whose title names another region
# (a county's 平阳县财政局… under a city deployment).
[regions]
# "平阳县" = "330326"

# Extra header spellings per dataset column, beyond the built-in aliases (`purse schema DATASET`).
[aliases]
# "budget_execution.ytd_amount" = ["1-本月支出"]

# Rule parameters and switches (`purse rules` lists them).
# [rules.execution_lag]
# yellow_pp = 12
# [rules.benford]
# enabled = false

[quality]
# The data-quality scorecard (数据 › 数据质量). A month's extract is due by this day of the
# following month; timeliness is graded from graded_from (default: the first period due after
# the warehouse's first load).
# due_day = {due_day}
# graded_from = "2026-01"

[ingest]
# How large a sheet may be read: a file past these is refused naming the cell, row or part
# that is too large (an extract has hundreds of columns, not 16,384).
# max_columns = {max_columns}
# max_rows = {max_rows}
# max_cells = {max_cells}
# max_sheet_xml_mib = {max_xml}
# max_line_kib = {max_line}
# All the memory `purse ingest` may take, MiB (0: no cap); a file needing more is refused.
# memory_mib = {ingest_mem}

[ask]
# 问数's local model for questions beyond its grammar (a purse built with
# `--features local-model`; never the network). Its SQL is shown and run read-only, like the
# SQL console's, on the asker's own rows.
# model = "/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# tokenizer = "/models/tokenizer.json"
# max_tokens = {max_tokens}
# timeout_secs = {model_timeout}

[report]
# Cron-style "minute hour day-of-month month weekday", local time.
# schedule = {schedule}
# languages = ["zh", "en"]

[web]
# max_upload_mib = {upload}
# login_attempts = {attempts}
# login_window_secs = {window}
# SQL console bounds for expert advisers.
# sql_timeout_secs = {timeout}
# sql_max_rows = {rows}
# sql_memory_mib = {mem}
# Memory (address space) of the process that reads an uploaded extract.
# upload_memory_mib = {upload_mem}
# /metrics (Prometheus): a bearer token a scraper sends; unset, only a scrape from this
# machine itself, not through a proxy, may read it.
# metrics_token = "a long random string"
"#,
        code = q(region_code),
        name = q(region_name),
        kind = q(&d.budget_kind),
        zone = q(&d.time_zone),
        max_columns = d.ingest.max_columns,
        max_rows = d.ingest.max_rows,
        max_cells = d.ingest.max_cells,
        max_xml = d.ingest.max_sheet_xml_mib,
        max_line = d.ingest.max_line_kib,
        ingest_mem = d.ingest.memory_mib,
        schedule = q(&d.report.schedule),
        upload = d.web.max_upload_mib,
        attempts = d.web.login_attempts,
        window = d.web.login_window_secs,
        timeout = d.web.sql_timeout_secs,
        rows = d.web.sql_max_rows,
        mem = d.web.sql_memory_mib,
        upload_mem = d.web.upload_memory_mib,
        due_day = d.quality.due_day,
        max_tokens = d.ask.max_tokens,
        model_timeout = d.ask.timeout_secs,
    )
}

/// Writes `DIR/purse.toml` (refusing to replace one unless `force`). The text is read back
/// through [`Config`] before it is written, so `init` never leaves a file that does not load.
pub fn write_init(
    data_dir: &Path,
    region_code: &str,
    region_name: &str,
    force: bool,
) -> Result<PathBuf> {
    let path = data_dir.join("purse.toml");
    if path.exists() && !force {
        return Err(PurseError::Config(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    if !region_code.is_empty() && !region_code.chars().all(|c| c.is_ascii_digit()) {
        return Err(PurseError::Config(format!(
            "--region-code `{region_code}`: a 财政区划编码 is digits only (e.g. 330326)"
        )));
    }
    let text = init_toml(region_code, region_name);
    let parsed: Config = toml::from_str(&text).map_err(|e| {
        PurseError::Config(format!(
            "internal: purse init wrote an unreadable file: {e}"
        ))
    })?;
    debug_assert_eq!(parsed.region_code, region_code);
    std::fs::create_dir_all(data_dir).map_err(|e| PurseError::io(data_dir, e))?;
    std::fs::write(&path, text).map_err(|e| PurseError::io(&path, e))?;
    Ok(path)
}

/// `--data-dir`, else `$PURSE_DATA_DIR`, else `./purse-data`.
pub fn resolve_data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("PURSE_DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("purse-data"))
}

/// How large a sheet may be read (`[ingest]` in purse.toml): past these a file is refused,
/// naming the cell, row or part that is too large, before memory is spent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_columns: u32,
    pub max_rows: u32,
    /// Cells held for one sheet (each row as wide as its last cell).
    pub max_cells: u64,
    /// XML one worksheet (or the shared strings) of an XLSX may unpack to.
    pub max_xml_bytes: u64,
    /// One line of a CSV (an extract's widest row is tens of KB).
    pub max_line_bytes: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_columns: 1_000,
        max_rows: 1_048_576,
        max_cells: 50_000_000,
        max_xml_bytes: 1 << 30,
        max_line_bytes: 1 << 20,
    };
}
