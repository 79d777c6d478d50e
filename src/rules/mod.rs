//! Rules are data: one SQL file per rule under `queries/<category>/<id>.sql`, with a metadata
//! header the loader validates before anything runs. A rule returns its offending rows; reserved
//! output columns give each finding the shape of an alert, every column is evidence.
//!
//! Parameters (`$name`) are bound as DataFusion placeholders, never spliced into SQL text; the
//! built-ins are `$period` ('YYYY-MM'), `$prev_period` (the month before), `$year`, `$month` and
//! `$period_end` (the period's last day, a DATE). Rules read only the registered datasets, so the same SQL runs on Ballista and,
//! with the placeholders substituted, on DuckDB over the same Parquet.

pub mod explain;
pub mod framework;
pub mod labels;
pub mod runner;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use datafusion::scalar::ScalarValue;
use regex::Regex;
use serde::Serialize;

use crate::common::level::level;
pub use crate::common::period::Period;
use crate::datasets::Catalog;
use crate::error::{PurseError, Result};

pub const CATEGORIES: [&str; 5] = ["流向", "流速", "流量", "合规", "其他"];
pub const MODES: [&str; 5] = ["block", "evidence", "alert", "remind", "record"];
/// Output columns every rule must return (besides its `-- key:` columns).
pub const REQUIRED_OUTPUT: [&str; 1] = ["subject"];
/// Output columns with a meaning of their own (the rest are evidence only).
pub const RESERVED_OUTPUT: [&str; 8] = [
    "region_code",
    "subject",
    "level",
    "value",
    "expected",
    "difference",
    "dept_name",
    "agency_code",
];
pub const BUILTIN_PARAMS: [&str; 6] = [
    "period",
    "prev_period",
    "year",
    "month",
    "period_end",
    "since",
];

/// How long a dataset's latest extract stands for: a month with no rows of a dataset says
/// nothing about that dataset's findings. Execution, revenue and payments come monthly; debt,
/// bonds and SOE reports quarterly or yearly; an audit ledger stands until the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    Month,
    Quarter,
    Year,
    /// The latest extract of each scope stands until a newer one replaces it (audit ledgers).
    Standing,
}

impl Cadence {
    pub fn parse(s: &str) -> Option<Cadence> {
        match s.trim() {
            "month" => Some(Cadence::Month),
            "quarter" => Some(Cadence::Quarter),
            "year" => Some(Cadence::Year),
            "standing" => Some(Cadence::Standing),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Month => "month",
            Cadence::Quarter => "quarter",
            Cadence::Year => "year",
            Cadence::Standing => "standing",
        }
    }

    /// The periods whose data stands in `period`, inclusive, for a dataset of this grain: a
    /// yearly dataset (targets) has one period a year, the period's own year.
    pub fn window(self, period: Period, grain: crate::datasets::Grain) -> (String, String) {
        if grain == crate::datasets::Grain::Year {
            let year = format!("{:04}", period.year());
            return (year.clone(), year);
        }
        (self.since(period), period.to_string())
    }

    /// How the window reads in a "not evaluated" reason.
    pub fn describe(self, period: Period) -> String {
        let since = self.since(period);
        match self {
            Cadence::Standing => format!("up to {period}"),
            _ if since == period.to_string() => format!("in {period}"),
            _ => format!("in {since}..{period}"),
        }
    }

    /// The first period whose data still stands in `period`: `$since`.
    pub fn since(self, period: Period) -> String {
        match self {
            Cadence::Month => period,
            Cadence::Quarter => period.back(2),
            Cadence::Year => period.back(11),
            Cadence::Standing => return "0000-01".into(),
        }
        .to_string()
    }
}

/// What a rule's finding is, declared in its header (`-- finding:`), from which the alert engine
/// derives what may resolve it. Nothing about a rule's lifecycle lives in code of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// About one transaction (a payment, a duplicate, a split): later data never makes it untrue,
    /// so it stays until someone closes or dismisses it.
    Event,
    /// About a position (a ratio, a balance, execution to date): a later run that judges the same
    /// subject on data of the same basis judges it again, and may find it gone.
    State,
}

impl FindingKind {
    pub fn parse(s: &str) -> Option<FindingKind> {
        match s.trim() {
            "event" => Some(FindingKind::Event),
            "state" => Some(FindingKind::State),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Event => "event",
            FindingKind::State => "state",
        }
    }
}

/// What the figures a finding rests on measure (`-- basis:`), and so which period a finding
/// belongs to (its *term*): a year-to-date figure belongs to its fiscal year (they restart each
/// January), a month's flow to its month, a quarter's to its quarter, a year's to its year; a
/// balance belongs to no period (any later balance judges it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Month,
    Ytd,
    Balance,
    Annual,
    Quarter,
}

impl Basis {
    pub fn parse(s: &str) -> Option<Basis> {
        match s.trim() {
            "month" => Some(Basis::Month),
            "ytd" => Some(Basis::Ytd),
            "balance" => Some(Basis::Balance),
            "annual" => Some(Basis::Annual),
            "quarter" => Some(Basis::Quarter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Month => "month",
            Basis::Ytd => "ytd",
            Basis::Balance => "balance",
            Basis::Annual => "annual",
            Basis::Quarter => "quarter",
        }
    }

    /// The term a finding on data of `period` belongs to: '2025-09' (month), '2025-Q3'
    /// (quarter), '2025' (ytd, annual), '' (balance).
    pub fn term(self, period: Period) -> String {
        match self {
            Basis::Month => period.to_string(),
            Basis::Quarter => format!("{:04}-Q{}", period.year(), period.quarter()),
            Basis::Ytd | Basis::Annual => format!("{:04}", period.year()),
            Basis::Balance => String::new(),
        }
    }
}

/// A figure a message states about its evidence rows (`-- tally: value = count, total =
/// sum(amount)`): the runner recomputes it from the rows and refuses a finding that disagrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Tally {
    /// The number of evidence rows.
    Count,
    /// The sum of a column over the evidence rows.
    Sum(String),
}

/// `value = count, total = sum(amount)` → [(value, Count), (total, Sum(amount))].
fn parse_tally(s: &str) -> Option<Vec<(String, Tally)>> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (field, what) = item.split_once('=')?;
        let (field, what) = (field.trim(), what.trim());
        let tally = if what == "count" {
            Tally::Count
        } else {
            let col = what.strip_prefix("sum(")?.strip_suffix(')')?.trim();
            if col.is_empty() {
                return None;
            }
            Tally::Sum(col.to_string())
        };
        if field.is_empty() {
            return None;
        }
        out.push((field.to_string(), tally));
    }
    (!out.is_empty()).then_some(out)
}

/// The months of the year a rule applies in (`-- months: 12`, `10-12`, `3, 6, 9, 12`).
pub fn parse_months(s: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        if !(1..=12).contains(&a) || !(a..=12).contains(&b) {
            return None;
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

/// `[12]` → "month 12", `[3..=11]` → "months 3-11", `[3, 6, 9, 12]` → "months 3, 6, 9, 12": the
/// way `-- months:` is written.
pub fn describe_months(months: &[u32]) -> String {
    let word = if months.len() == 1 { "month" } else { "months" };
    format!("{word} {}", month_runs(months))
}

/// `[3..=11]` → "3-11", `[3, 6, 9, 12]` → "3, 6, 9, 12".
fn month_runs(months: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &m in months {
        match runs.last_mut() {
            Some(r) if r.1 + 1 == m => r.1 = m,
            _ => runs.push((m, m)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}-{b}"),
        })
        .collect();
    parts.join(", ")
}

/// A rule parameter's value: numbers stay exact decimals in text until bound.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Number(String),
    Text(String),
}

impl ParamValue {
    fn parse(raw: &str) -> Option<ParamValue> {
        let raw = raw.trim();
        if let Some(s) = raw.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            return Some(ParamValue::Text(s.to_string()));
        }
        raw.parse::<f64>()
            .ok()
            .map(|_| ParamValue::Number(raw.to_string()))
    }

    pub fn scalar(&self) -> ScalarValue {
        match self {
            ParamValue::Number(n) => match n.parse::<i64>() {
                Ok(i) => ScalarValue::Int64(Some(i)),
                // Exact: `0.5` is Decimal128(18, 1), never a float a threshold could miss by.
                Err(_) => decimal_scalar(n).unwrap_or(ScalarValue::Float64(n.parse().ok())),
            },
            ParamValue::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        }
    }

    pub fn from_toml(v: &toml::Value) -> Option<ParamValue> {
        match v {
            toml::Value::Integer(i) => Some(ParamValue::Number(i.to_string())),
            toml::Value::Float(f) => Some(ParamValue::Number(f.to_string())),
            toml::Value::String(s) => Some(ParamValue::Text(s.clone())),
            _ => None,
        }
    }
}

/// `12.50` → Decimal128(12.50, 18, 2); `None` for exponents and other float-only spellings,
/// and past Decimal128(18, 10).
fn decimal_scalar(n: &str) -> Option<ScalarValue> {
    let (v, scale) = crate::common::parse_decimal(n)?;
    (scale <= 10 && v.unsigned_abs() < 10u128.pow(18)).then_some(ScalarValue::Decimal128(
        Some(v),
        18,
        scale as i8,
    ))
}

/// Numbers as JSON numbers, text as JSON strings.
impl Serialize for ParamValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ParamValue::Number(n) => match n.parse::<i64>() {
                Ok(i) => s.serialize_i64(i),
                Err(_) => s.serialize_f64(n.parse().unwrap_or(f64::NAN)),
            },
            ParamValue::Text(t) => s.serialize_str(t),
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(n) => f.write_str(n),
            ParamValue::Text(s) => f.write_str(s),
        }
    }
}

/// A validated rule file.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub category: String,
    /// The focus of review it serves (`-- focus:`); `None` for a deployment's rule that names
    /// none.
    pub focus: Option<framework::Focus>,
    /// The budgets (全口径) its figures cover (`-- budgets:`).
    pub budgets: Vec<framework::Budget>,
    /// The output column holding the money a finding concerns, in 元 (`-- stake:`): what
    /// ranks it among the month's highlights (本月要点). `None`: ranked without money.
    pub stake: Option<String>,
    pub datasets: Vec<String>,
    /// `None`: the query computes a `level` column; else the fixed level.
    pub fixed_level: Option<String>,
    /// Declared defaults, in file order.
    pub defaults: Vec<(String, ParamValue)>,
    /// After `purse.toml` overrides.
    pub params: BTreeMap<String, ParamValue>,
    pub key: Vec<String>,
    pub message_zh: String,
    pub message_en: String,
    /// How long the latest data of the rule's datasets stands (`-- cadence:`).
    pub cadence: Cadence,
    /// What the finding is (`-- finding:`): an event stays until acted on, a state is judged
    /// again each period.
    pub finding: FindingKind,
    /// What its figures measure (`-- basis:`): which period a finding belongs to.
    pub basis: Basis,
    /// Columns (`dataset.column`, or `column` where the rule reads one dataset) a subject must
    /// have, not NULL, in the cadence's window for the run to have judged it (`-- requires:`):
    /// a month that reports balances only does not judge a limit breach.
    pub requires: Vec<(String, String)>,
    /// Columns that vary from one evidence row of a finding to the next (`-- evidence:`): the
    /// rule returns one row per evidence row (a payment), the rows of one key are one finding.
    pub evidence_columns: Vec<String>,
    /// Figures the message states about the evidence rows, recomputed by the runner.
    pub tally: Vec<(String, Tally)>,
    /// The months the rule applies in (`-- months:`); other months it is not evaluated.
    pub months: Vec<u32>,
    pub mode: String,
    pub description: String,
    pub enabled: bool,
    /// The worst data-quality grade (A–D) of its datasets the rule runs on (`[rules.ID]
    /// min_quality = "B"`); below it the period is not evaluated. `None`: any.
    pub min_quality: Option<char>,
    pub sql: String,
    pub path: PathBuf,
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$([A-Za-z_][A-Za-z0-9_]*)").unwrap());
static TEMPLATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*)(:money)?\}").unwrap());

fn err(path: &Path, msg: impl std::fmt::Display) -> PurseError {
    PurseError::Invalid(format!("rule file {}: {msg}", path.display()))
}

/// Placeholders a SQL text uses.
pub fn placeholders(sql: &str) -> BTreeSet<String> {
    // Ignore `$` inside string literals and comments: strip them first.
    let mut clean = String::with_capacity(sql.len());
    let mut in_str = false;
    for line in sql.lines() {
        let line = if in_str {
            line
        } else {
            line.split("--").next().unwrap_or("")
        };
        for c in line.chars() {
            if c == '\'' {
                in_str = !in_str;
            }
            if !in_str {
                clean.push(c);
            }
        }
        clean.push('\n');
    }
    PLACEHOLDER
        .captures_iter(&clean)
        .map(|c| c[1].to_string())
        .collect()
}

/// Parses one rule file: the `-- key: value` header, then the SQL.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<Rule> {
    let (meta, sql_lines) = split_header(path, text)?;
    const KNOWN: [&str; 20] = [
        "focus",
        "stake",
        "budgets",
        "finding",
        "basis",
        "requires",
        "evidence",
        "tally",
        "cadence",
        "months",
        "id",
        "title",
        "category",
        "datasets",
        "severity",
        "params",
        "key",
        "message",
        "mode",
        "description",
    ];
    if let Some(k) = meta.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(err(
            path,
            format!("unknown header key `{k}` (known: {})", KNOWN.join(", ")),
        ));
    }
    let need = |k: &str| {
        meta.get(k)
            .cloned()
            .ok_or_else(|| err(path, format!("missing header `-- {k}:`")))
    };
    let id = need("id")?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if id != stem {
        return Err(err(
            path,
            format!("id `{id}` must match the file name `{stem}.sql`"),
        ));
    }
    let (title_zh, title_en) = split_pair(&need("title")?);
    let category = need("category")?;
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(err(
            path,
            format!(
                "unknown category `{category}` (known: {})",
                CATEGORIES.join(" / ")
            ),
        ));
    }
    let datasets: Vec<String> = need("datasets")?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    for d in &datasets {
        catalog.get(d).map_err(|e| err(path, e))?;
    }
    let severity = need("severity")?;
    let fixed_level = if severity == "level" {
        None
    } else {
        Some(level(&severity).ok_or_else(|| {
            err(
                path,
                format!("unknown severity `{severity}` (use `level` or one of 红 / 橙 / 黄 / 蓝)"),
            )
        })?)
    }
    .map(str::to_string);
    let defaults = params_of(path, &meta)?;
    let (message_zh, message_en) = split_pair(&need("message")?);
    let cadence = match meta.get("cadence") {
        None => Cadence::Month,
        Some(c) => Cadence::parse(c).ok_or_else(|| {
            err(
                path,
                format!("unknown cadence `{c}` (known: month, quarter, year, standing)"),
            )
        })?,
    };
    let finding = need("finding").map_err(|_| {
        err(
            path,
            "missing header `-- finding:` (event: about one transaction, stays until acted on; \
             state: about a position, judged again each period)",
        )
    })?;
    let finding = FindingKind::parse(&finding).ok_or_else(|| {
        err(
            path,
            format!("unknown finding `{finding}` (known: event, state)"),
        )
    })?;
    let basis = need("basis").map_err(|_| {
        err(
            path,
            "missing header `-- basis:` (month, ytd, balance, annual or quarter: what its figures measure)",
        )
    })?;
    let basis = Basis::parse(&basis).ok_or_else(|| {
        err(
            path,
            format!("unknown basis `{basis}` (known: month, ytd, balance, annual, quarter)"),
        )
    })?;
    let (focus, budgets) = framework::parse_place(
        meta.get("focus").map(String::as_str),
        meta.get("budgets").map(String::as_str),
    )
    .map_err(|e| err(path, e))?;
    let stake = meta.get("stake").map(|s| s.trim().to_string());
    let requires = requires_of(path, &meta, &datasets, catalog)?;
    let evidence_columns = comma_list(&meta, "evidence");
    let tally = match meta.get("tally") {
        None => vec![],
        Some(t) => parse_tally(t).ok_or_else(|| {
            err(
                path,
                format!("tally `{t}`: expected `field = count` or `field = sum(column)`, comma separated"),
            )
        })?,
    };
    if !tally.is_empty() && evidence_columns.is_empty() {
        return Err(err(
            path,
            "`-- tally:` needs `-- evidence:` (the columns of each evidence row it counts)",
        ));
    }
    let months = match meta.get("months") {
        None => (1..=12).collect(),
        Some(m) => parse_months(m).ok_or_else(|| {
            err(
                path,
                format!(
                    "months `{m}`: expected months 1-12 such as `12`, `10-12` or `3, 6, 9, 12`"
                ),
            )
        })?,
    };
    let key = comma_list(&meta, "key");
    if key.is_empty() {
        return Err(err(
            path,
            "missing header `-- key:` (the output columns that identify a finding)",
        ));
    }
    let mode = meta.get("mode").cloned().unwrap_or_else(|| "alert".into());
    if !MODES.contains(&mode.as_str()) {
        return Err(err(
            path,
            format!("unknown mode `{mode}` (known: {})", MODES.join(", ")),
        ));
    }
    let sql = sql_lines
        .join("\n")
        .trim()
        .trim_end_matches(';')
        .to_string();
    if sql.is_empty() {
        return Err(err(path, "no SQL after the header"));
    }
    check_placeholders(path, &sql, &defaults)?;
    let params = defaults.iter().cloned().collect();
    Ok(Rule {
        id,
        title_zh,
        title_en,
        category,
        focus,
        budgets,
        stake,
        datasets,
        fixed_level,
        defaults,
        params,
        key,
        message_zh,
        message_en,
        cadence,
        finding,
        basis,
        requires,
        evidence_columns,
        tally,
        months,
        mode,
        description: meta.get("description").cloned().unwrap_or_default(),
        enabled: true,
        min_quality: None,
        sql,
        path: path.to_path_buf(),
    })
}

/// A rule file's header (`-- key: value`, a long value continued on indented comment lines)
/// and the lines of SQL after it. A key given twice is an error.
fn split_header<'a>(
    path: &Path,
    text: &'a str,
) -> Result<(BTreeMap<String, String>, Vec<&'a str>)> {
    let mut meta: BTreeMap<String, String> = BTreeMap::new();
    let mut sql_lines = Vec::new();
    let mut in_header = true;
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        if in_header {
            if let Some(rest) = line.trim_start().strip_prefix("--") {
                // An indented comment line continues the key above it (a long description).
                if rest.starts_with("  ") {
                    if let Some(v) = last_key.as_ref().and_then(|k| meta.get_mut(k)) {
                        v.push(' ');
                        v.push_str(rest.trim());
                    }
                    continue;
                }
                if let Some((k, v)) = rest.split_once(':') {
                    let k = k.trim().to_lowercase();
                    if k.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !k.is_empty() {
                        if meta.insert(k.clone(), v.trim().to_string()).is_some() {
                            return Err(err(path, format!("header key `{k}` given twice")));
                        }
                        last_key = Some(k);
                        continue;
                    }
                }
                last_key = None;
                continue; // a plain comment in the header
            }
            if line.trim().is_empty() {
                continue;
            }
            in_header = false;
        }
        sql_lines.push(line);
    }
    Ok((meta, sql_lines))
}

/// `-- params: name = value, …`: each a number or a 'quoted string', none a built-in name.
fn params_of(path: &Path, meta: &BTreeMap<String, String>) -> Result<Vec<(String, ParamValue)>> {
    let mut defaults = Vec::new();
    if let Some(p) = meta.get("params").filter(|p| !p.is_empty()) {
        for item in p.split(',') {
            let (k, v) = item.split_once('=').ok_or_else(|| {
                err(
                    path,
                    format!("parameter `{}` must be name = value", item.trim()),
                )
            })?;
            let k = k.trim().to_string();
            if BUILTIN_PARAMS.contains(&k.as_str()) {
                return Err(err(path, format!("parameter `{k}` is built in")));
            }
            let v = ParamValue::parse(v).ok_or_else(|| {
                err(
                    path,
                    format!(
                        "parameter `{k}`: `{}` is neither a number nor a 'quoted string'",
                        v.trim()
                    ),
                )
            })?;
            defaults.push((k, v));
        }
    }
    Ok(defaults)
}

/// `-- requires: dataset.column, …` (a bare column when the rule reads one dataset): each a
/// column of a dataset the rule reads.
fn requires_of(
    path: &Path,
    meta: &BTreeMap<String, String>,
    datasets: &[String],
    catalog: &Catalog,
) -> Result<Vec<(String, String)>> {
    let mut requires = Vec::new();
    for item in comma_list(meta, "requires") {
        let (ds, col) = match item.split_once('.') {
            Some((d, c)) => (d.trim().to_string(), c.trim().to_string()),
            None if datasets.len() == 1 => (datasets[0].clone(), item.to_string()),
            None => {
                return Err(err(
                    path,
                    format!(
                        "requires `{item}`: name it `dataset.column` (the rule reads several datasets)"
                    ),
                ));
            }
        };
        if !datasets.contains(&ds) {
            return Err(err(
                path,
                format!("requires `{item}`: the rule does not read `{ds}`"),
            ));
        }
        if catalog
            .get(&ds)
            .map_err(|e| err(path, e))?
            .column(&col)
            .is_none()
        {
            return Err(err(
                path,
                format!("requires `{item}`: `{ds}` has no column `{col}`"),
            ));
        }
        requires.push((ds, col));
    }
    Ok(requires)
}

/// A header's comma-separated list (empty when absent).
fn comma_list(meta: &BTreeMap<String, String>, key: &str) -> Vec<String> {
    meta.get(key)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Every `$name` the SQL uses is declared or built in, and every declared one is used.
fn check_placeholders(path: &Path, sql: &str, defaults: &[(String, ParamValue)]) -> Result<()> {
    let used = placeholders(sql);
    let declared: BTreeSet<String> = defaults.iter().map(|(k, _)| k.clone()).collect();
    if let Some(u) = used
        .iter()
        .find(|u| !declared.contains(*u) && !BUILTIN_PARAMS.contains(&u.as_str()))
    {
        return Err(err(
            path,
            format!("`${u}` is used but not declared in `-- params:`"),
        ));
    }
    if let Some(d) = declared.iter().find(|d| !used.contains(*d)) {
        return Err(err(
            path,
            format!("parameter `{d}` is declared but the SQL never uses `${d}`"),
        ));
    }
    Ok(())
}

/// "中文 | English" → both halves (the English falls back to the Chinese).
fn split_pair(s: &str) -> (String, String) {
    match s.split_once('|') {
        Some((a, b)) => (a.trim().to_string(), b.trim().to_string()),
        None => (s.trim().to_string(), s.trim().to_string()),
    }
}

/// Fills `{column}` from a finding's values. Money reads as analysts read it (万元 / 亿元 with
/// separators): every column in `money` (exact 元 decimals), and any `{column:money}`; the
/// evidence keeps the exact value in 元.
pub fn render(
    template: &str,
    values: &BTreeMap<String, String>,
    money: &BTreeSet<String>,
) -> String {
    TEMPLATE
        .replace_all(template, |c: &regex::Captures| {
            let raw = values.get(&c[1]).cloned().unwrap_or_default();
            if (c.get(2).is_some() || money.contains(&c[1]))
                && let Some(m) = crate::common::Money::parse_yuan(&raw)
            {
                return m.readable();
            }
            raw
        })
        .into_owned()
}

pub fn template_fields(template: &str) -> Vec<String> {
    TEMPLATE
        .captures_iter(template)
        .map(|c| c[1].to_string())
        .collect()
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));
}

/// The rule catalog: every `*.sql` below a folder, validated, with the deployment's overrides.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The rule pack compiled into the binary.
    pub fn builtin(
        catalog: &Catalog,
        overrides: &BTreeMap<String, toml::Table>,
    ) -> Result<RuleSet> {
        let files = embedded::RULE_FILES
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        Self::from_texts(files, catalog, overrides)
    }

    /// `dir` if given, else `DIR/queries` if the data directory has one, else the built-in pack.
    pub fn resolve(
        dir: Option<&Path>,
        data_dir: &Path,
        catalog: &Catalog,
        overrides: &BTreeMap<String, toml::Table>,
    ) -> Result<RuleSet> {
        match dir {
            Some(d) => Self::load(d, catalog, overrides),
            None if data_dir.join("queries").is_dir() => {
                Self::load(&data_dir.join("queries"), catalog, overrides)
            }
            None => Self::builtin(catalog, overrides),
        }
    }

    /// Loads and validates every rule file; the first problem is an error naming its file.
    pub fn load(
        dir: &Path,
        catalog: &Catalog,
        overrides: &BTreeMap<String, toml::Table>,
    ) -> Result<RuleSet> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|e| PurseError::io(&d, e))?;
            for e in rd {
                let p = e.map_err(|e| PurseError::io(&d, e))?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "sql") {
                    files.push(p);
                }
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(PurseError::Invalid(format!(
                "no rule files (*.sql) under {}",
                dir.display()
            )));
        }
        let mut texts = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| PurseError::io(&f, e))?;
            texts.push((f, text));
        }
        Self::from_texts(texts, catalog, overrides)
    }

    fn from_texts(
        files: Vec<(PathBuf, String)>,
        catalog: &Catalog,
        overrides: &BTreeMap<String, toml::Table>,
    ) -> Result<RuleSet> {
        let mut rules: Vec<Rule> = Vec::new();
        for (f, text) in files {
            let rule = parse(&f, &text, catalog)?;
            if let Some(other) = rules.iter().find(|r| r.id == rule.id) {
                return Err(err(
                    &f,
                    format!(
                        "duplicate rule id `{}` (also {})",
                        rule.id,
                        other.path.display()
                    ),
                ));
            }
            rules.push(rule);
        }
        for (id, table) in overrides {
            let rule = rules.iter_mut().find(|r| &r.id == id).ok_or_else(|| {
                PurseError::Config(format!("[rules.{id}] in purse.toml: no such rule"))
            })?;
            for (k, v) in table {
                if k == "enabled" {
                    rule.enabled = v.as_bool().ok_or_else(|| {
                        PurseError::Config(format!("[rules.{id}] enabled must be true or false"))
                    })?;
                    continue;
                }
                if k == "min_quality" {
                    rule.min_quality = match v.as_str().map(str::trim) {
                        Some(g @ ("A" | "B" | "C" | "D")) => g.chars().next(),
                        _ => {
                            return Err(PurseError::Config(format!(
                                "[rules.{id}] min_quality must be \"A\", \"B\", \"C\" or \"D\""
                            )));
                        }
                    };
                    continue;
                }
                if k == "months" {
                    rule.months = v.as_str().and_then(parse_months).ok_or_else(|| {
                        PurseError::Config(format!(
                            "[rules.{id}] months must be a string such as \"12\" or \"10-12\""
                        ))
                    })?;
                    continue;
                }
                if !rule.params.contains_key(k) {
                    let known: Vec<&str> = rule.defaults.iter().map(|(k, _)| k.as_str()).collect();
                    return Err(PurseError::Config(format!(
                        "[rules.{id}] {k}: unknown parameter (the rule has: {})",
                        known.join(", ")
                    )));
                }
                let pv = ParamValue::from_toml(v).ok_or_else(|| {
                    PurseError::Config(format!("[rules.{id}] {k}: a number or a string"))
                })?;
                rule.params.insert(k.clone(), pv);
            }
        }
        Ok(RuleSet { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The rule pack as a Markdown table, one row per rule, from the headers alone: what each
/// finding is and what its figures measure, so the README never drifts from the rules
/// (`purse rules --markdown`; a test compares the README's copy).
pub fn markdown_table(rules: &[Rule]) -> String {
    let mut out = String::from(
        "| rule | 规则 | focus | budgets | finding | basis | cadence | months | datasets |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rules {
        let months = if r.months.len() == 12 {
            "all".to_string()
        } else {
            month_runs(&r.months)
        };
        let budgets: Vec<&str> = r.budgets.iter().map(|b| b.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.title_zh,
            r.focus.map_or("—", |f| f.as_str()),
            if budgets.is_empty() {
                "—".to_string()
            } else {
                budgets.join(", ")
            },
            r.finding.as_str(),
            r.basis.as_str(),
            r.cadence.as_str(),
            months,
            r.datasets.join(", ")
        ));
    }
    out
}

/// The built-in parameter values for a period that do not depend on the rule
/// (`runner::bindings` adds `$since`, from the rule's cadence).
pub fn period_params(period: Period) -> Vec<(String, ParamValue)> {
    vec![
        ("period".into(), ParamValue::Text(period.to_string())),
        (
            "prev_period".into(),
            ParamValue::Text(period.prev().to_string()),
        ),
        ("year".into(), ParamValue::Number(period.year().to_string())),
        (
            "month".into(),
            ParamValue::Number(period.month().to_string()),
        ),
        (
            "period_end".into(),
            ParamValue::Text(period.last_day().to_string()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per(s: &str) -> Period {
        s.parse().unwrap()
    }

    fn p(text: &str) -> Result<Rule> {
        parse(
            Path::new("queries/x/demo_rule.sql"),
            text,
            &Catalog::builtin(),
        )
    }

    const OK: &str = "-- id: demo_rule\n-- title: 示例 | Demo\n-- category: 流速\n-- datasets: budget_execution\n\
                      -- severity: level\n-- finding: state\n-- basis: ytd\n-- params: red_pp = 20\n-- key: agency_code\n-- message: {subject} | {subject}\n\
                      SELECT agency_code, agency_name AS subject FROM budget_execution \
                      WHERE period = $period AND ytd_amount > $red_pp";

    #[test]
    fn a_valid_rule() {
        let r = p(OK).unwrap();
        assert_eq!((r.title_zh.as_str(), r.title_en.as_str()), ("示例", "Demo"));
        assert_eq!(r.params["red_pp"], ParamValue::Number("20".into()));
        assert!(r.fixed_level.is_none());
    }

    #[test]
    fn header_problems_name_the_file() {
        for (bad, want) in [
            (OK.replace("流速", "速度"), "unknown category `速度`"),
            (
                OK.replace("budget_execution\n", "budget_exec\n"),
                "unknown dataset `budget_exec`",
            ),
            (
                OK.replace("severity: level", "severity: purple"),
                "unknown severity `purple`",
            ),
            (
                OK.replace("red_pp = 20", "red_pp = 20, blue = 3"),
                "`blue` is declared but the SQL never uses",
            ),
            (
                OK.replace("$red_pp", "$green"),
                "`$green` is used but not declared",
            ),
            (
                OK.replace("id: demo_rule", "id: other"),
                "must match the file name",
            ),
            (
                OK.replace("-- message: {subject} | {subject}\n", ""),
                "missing header `-- message:`",
            ),
            (
                OK.replace("-- category", "-- colour: red\n-- category"),
                "unknown header key `colour`",
            ),
            (
                OK.replace("-- key: agency_code\n", ""),
                "missing header `-- key:`",
            ),
            (
                OK.replace("-- category", "-- cadence: weekly\n-- category"),
                "unknown cadence `weekly`",
            ),
            (
                OK.replace("-- category", "-- months: 13\n-- category"),
                "months `13`",
            ),
        ] {
            let e = p(&bad).unwrap_err().to_string();
            assert!(
                e.contains("queries/x/demo_rule.sql") && e.contains(want),
                "{e}"
            );
        }
    }

    #[test]
    fn placeholders_skip_strings_and_comments() {
        let u = placeholders("SELECT '$not' -- $nor\n, $yes FROM t WHERE a = $period");
        assert_eq!(u.into_iter().collect::<Vec<_>>(), vec!["period", "yes"]);
    }

    #[test]
    fn cadence_windows_and_months() {
        assert_eq!(Cadence::Month.since(per("2025-03")), "2025-03");
        assert_eq!(Cadence::Quarter.since(per("2025-02")), "2024-12");
        assert_eq!(Cadence::Year.since(per("2025-12")), "2025-01");
        assert_eq!(Cadence::Year.since(per("2026-01")), "2025-02");
        assert_eq!(parse_months("10-12").unwrap(), vec![10, 11, 12]);
        assert_eq!(parse_months("3, 6,9 ,12").unwrap(), vec![3, 6, 9, 12]);
        assert!(parse_months("12-10").is_none() && parse_months("0").is_none());
        let r = p(&OK.replace(
            "-- category",
            "-- months: 12\n-- cadence: year\n-- category",
        ))
        .unwrap();
        assert_eq!(
            (r.cadence, r.months.as_slice()),
            (Cadence::Year, &[12u32][..])
        );
    }

    #[test]
    fn fractional_parameters_bind_as_exact_decimals() {
        assert_eq!(
            ParamValue::Number("0.5".into()).scalar(),
            ScalarValue::Decimal128(Some(5), 18, 1)
        );
        assert_eq!(
            ParamValue::Number("-12.25".into()).scalar(),
            ScalarValue::Decimal128(Some(-1225), 18, 2)
        );
        assert_eq!(
            ParamValue::Number("3".into()).scalar(),
            ScalarValue::Int64(Some(3))
        );
    }

    #[test]
    fn the_readme_lists_every_rule_as_its_header_says() {
        let set = RuleSet::builtin(&Catalog::builtin(), &Default::default()).unwrap();
        let readme = include_str!("../../README.md");
        let (_, rest) = readme.split_once("<!-- rules:begin -->\n").unwrap();
        let (table, _) = rest.split_once("<!-- rules:end -->").unwrap();
        assert_eq!(
            table,
            markdown_table(&set.rules),
            "README.md's rule table is stale: paste `purse rules --markdown` between its markers"
        );
        // Every rule declares both, and the table says so.
        assert_eq!(table.lines().count(), set.rules.len() + 2);
    }

    /// Every built-in rule names its focus and budgets; the map lists each focus with its rules
    /// (counted by hand from the headers) and the budgets covered, all four (全口径).
    #[test]
    fn the_builtin_pack_covers_every_focus_and_budget_of_the_framework() {
        use framework::{Budget, Focus};
        let set = RuleSet::builtin(&Catalog::builtin(), &Default::default()).unwrap();
        let m = framework::map(&set.rules, &Default::default());
        assert!(m.unclassified.is_empty(), "{:?}", m.unclassified);
        let counts: Vec<(Focus, usize)> =
            m.focuses.iter().map(|f| (f.focus, f.rules.len())).collect();
        assert_eq!(
            counts,
            [
                (Focus::Policy, 4),
                (Focus::Structure, 17),
                (Focus::KeySpending, 3),
                (Focus::Department, 20),
                (Focus::Transfers, 6),
                (Focus::Debt, 9),
                (Focus::Revenue, 7),
                (Focus::Assets, 4),
                (Focus::Audit, 1),
                (Focus::DataQuality, 1),
            ]
        );
        assert_eq!(
            m.focuses[5].rules,
            [
                "interest_expense_ratio",
                "bond_idle",
                "bond_offlist",
                "bond_revenue_cover",
                "debt_limit",
                "debt_ratio",
                "debt_service_ratio",
                "overdue_debt",
                "special_bond_use"
            ]
        );
        assert_eq!(
            m.budgets,
            [
                (Budget::General, 59),
                (Budget::Fund, 20),
                (Budget::StateCapital, 9),
                (Budget::SocialInsurance, 4),
            ]
        );
        let fired = [
            ("debt_limit".to_string(), 2),
            ("soe_leverage".to_string(), 5),
        ]
        .into();
        let m = framework::map(&set.rules, &fired);
        assert_eq!(
            (m.focuses[5].fired, m.focuses[7].fired, m.focuses[0].fired),
            (2, 5, 0)
        );
    }

    #[test]
    fn terms_follow_the_basis() {
        assert_eq!(Basis::Ytd.term(per("2025-12")), "2025");
        assert_eq!(Basis::Ytd.term(per("2026-01")), "2026");
        assert_eq!(Basis::Annual.term(per("2024-12")), "2024");
        assert_eq!(Basis::Quarter.term(per("2025-03")), "2025-Q1");
        assert_eq!(Basis::Quarter.term(per("2025-04")), "2025-Q2");
        assert_eq!(Basis::Quarter.term(per("2025-12")), "2025-Q4");
        assert_eq!(Basis::Month.term(per("2025-09")), "2025-09");
        assert_eq!(Basis::Balance.term(per("2025-09")), "");
        assert!(
            "2025-13".parse::<Period>().is_err(),
            "no term for a month that is not one"
        );
    }

    #[test]
    fn a_rule_must_say_what_its_finding_is() {
        for (bad, want) in [
            (
                OK.replace("-- finding: state\n", ""),
                "missing header `-- finding:`",
            ),
            (
                OK.replace("-- basis: ytd\n", ""),
                "missing header `-- basis:`",
            ),
            (
                OK.replace("finding: state", "finding: status"),
                "unknown finding `status`",
            ),
            (
                OK.replace("basis: ytd", "basis: daily"),
                "unknown basis `daily`",
            ),
            (
                OK.replace("-- key:", "-- requires: nosuch\n-- key:"),
                "requires `nosuch`: `budget_execution` has no column `nosuch`",
            ),
            (
                OK.replace("-- key:", "-- tally: value = count\n-- key:"),
                "`-- tally:` needs `-- evidence:`",
            ),
            (
                OK.replace(
                    "-- key:",
                    "-- evidence: amount\n-- tally: value = avg(amount)\n-- key:",
                ),
                "tally `value = avg(amount)`",
            ),
        ] {
            let e = p(&bad).unwrap_err().to_string();
            assert!(
                e.contains("queries/x/demo_rule.sql") && e.contains(want),
                "{e}"
            );
        }
        let r = p(&OK.replace(
            "-- key:",
            "-- evidence: amount\n-- tally: value = count, total = sum(amount)\n-- key:",
        ))
        .unwrap();
        assert_eq!(
            r.tally,
            vec![
                ("value".to_string(), Tally::Count),
                ("total".to_string(), Tally::Sum("amount".into()))
            ]
        );
        assert_eq!((r.finding, r.basis), (FindingKind::State, Basis::Ytd));
    }

    #[test]
    fn period_builtins() {
        let v = period_params(per("2024-02"));
        assert_eq!(v[4].1, ParamValue::Text("2024-02-29".into()));
        assert_eq!(
            period_params(per("2025-01"))[1].1,
            ParamValue::Text("2024-12".into())
        );
    }
}
