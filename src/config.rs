//! `DIR/purse.toml`: the deployment's own defaults (its region, the budget kind an extract means
//! when it does not say) and its extra header aliases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{PurseError, Result};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// 财政区划编码 of the deployment's own region.
    pub region_code: String,
    pub region_name: String,
    /// The budget kind of an extract that names none.
    pub budget_kind: String,
    /// Extra header spellings: `"budget_execution.ytd_amount" = ["1-本月支出"]`.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Per-rule parameter overrides and switches: `[rules.execution_lag] yellow_pp = 12`,
    /// `enabled = false`.
    pub rules: BTreeMap<String, toml::Table>,
    /// The monthly report: `[report] schedule = "0 8 5 * *"`, `languages = ["zh", "en"]`.
    pub report: ReportConfig,
    /// The web server: `[web] max_upload_mib = 64`.
    pub web: WebConfig,
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
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region_code: "990100".into(),
            region_name: "示范市".into(),
            budget_kind: "一般公共预算".into(),
            aliases: BTreeMap::new(),
            rules: BTreeMap::new(),
            report: ReportConfig::default(),
            web: WebConfig::default(),
        }
    }
}

impl Config {
    /// Reads `DIR/purse.toml` if present, else defaults.
    pub fn load(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join("purse.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| PurseError::Config(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(PurseError::io(path, e)),
        }
    }
}

/// `--data-dir`, else `$PURSE_DATA_DIR`, else `./purse-data`.
pub fn resolve_data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("PURSE_DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("purse-data"))
}
