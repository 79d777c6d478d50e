//! 问数: questions in Chinese answered from the warehouse, every answer grounded — the question as
//! understood, the SQL that produced it, the rows behind it and a sentence with the figure in 万元
//! — or a plain "cannot answer that" rather than a guess.
//!
//! Deterministic all the way: a semantic layer as data ([`Layer`], `layer.toml`: measures with
//! their SQL, dimensions with their columns, the words people say for each), a dictionary of the
//! warehouse's own names ([`Dictionary`]: regions, departments, units, projects, function
//! classes), and a parser ([`parse`]) that claims the longest words first and never fills a gap
//! by guessing: a name that could be two things is handed back as a choice, a question outside
//! the layer as "not answerable yet" with the nearest questions that are. The SQL runs on the
//! asker's own restricted session, so a district's user is answered from the district's rows.
//!
//! Beyond the grammar, an optional local model ([`model`], `--features local-model`) may write
//! the SQL; its answer is marked as the model's, its SQL shown and run like the console's.

pub mod model;
mod parse;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::common::{Money, Period, Val};
use crate::error::Result;

pub use parse::{Compare, Query, Rank, Threshold, Understood, parse};

/// What a measure's value is, for the sentence and the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Money in 元 (shown in 万元 / 亿元).
    Money,
    /// A percentage.
    Pct,
    /// Percentage points.
    Pp,
    Count,
}

/// A measure of the layer: an aggregate over one dataset.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Measure {
    pub name: String,
    pub zh: String,
    pub words: Vec<String>,
    pub dataset: String,
    pub sql: String,
    /// The same measure a year before, where the dataset carries it (上年同期).
    #[serde(default)]
    pub prior_sql: Option<String>,
    pub kind: Kind,
}

/// A dimension of the layer: a column to break down or filter by.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Dimension {
    pub name: String,
    pub zh: String,
    pub words: Vec<String>,
    pub column: String,
    pub datasets: Vec<String>,
}

/// The semantic layer.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Layer {
    pub measure: Vec<Measure>,
    pub dimension: Vec<Dimension>,
}

static LAYER: LazyLock<Layer> = LazyLock::new(|| {
    toml::from_str(include_str!("layer.toml")).unwrap_or_else(|e| panic!("ask/layer.toml: {e}"))
});

impl Layer {
    /// The built-in layer (`src/ask/layer.toml`, checked by a test).
    pub fn builtin() -> &'static Layer {
        &LAYER
    }
    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measure.iter().find(|m| m.name == name)
    }
    pub fn dimension(&self, name: &str) -> Option<&Dimension> {
        self.dimension.iter().find(|d| d.name == name)
    }
}

/// A name the warehouse knows: what a question may say (`surface`), the dimension it filters and
/// the value it stands for, and its full name as shown back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub surface: String,
    pub dim: String,
    pub value: String,
    pub label: String,
}

/// The names of the warehouse as one user sees them, and the periods each dataset has.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    pub entries: Vec<Entry>,
    /// Dataset → its periods, oldest first.
    pub periods: BTreeMap<String, Vec<Period>>,
    /// Region code → name (for the alerts, which carry codes only).
    pub region_names: BTreeMap<String, String>,
    /// The region names each dataset holds (a city's budget and its debt table may name it
    /// differently: 示范市, 示范市本级).
    pub regions_of: BTreeMap<String, BTreeSet<String>>,
}

/// Function classes and 款 by name (`教育支出`, `普通教育`), and as people shorten or lengthen
/// them (a 类 without its 支出: `教育`; a 款 with it: `普通教育支出`) where no list name is so spelt.
fn function_names() -> Vec<Entry> {
    let mut exact = Vec::new();
    for line in include_str!("../datasets/classification.csv").lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 3 || f[0] != "function" || !(f[1].len() == 3 || f[1].len() == 5) {
            continue;
        }
        let (code, name) = (f[1], f[2].trim());
        // 国有资本经营预算支出 (223) is said as the budget it names: the budget kind answers it.
        if !name.is_empty() && !name.starts_with("其他") && !name.contains("预算") {
            exact.push((code.to_string(), name.to_string()));
        }
    }
    // 援助其他地区支出's 款 are named after the classes (教育, 卫生健康 …): said alone, those words
    // mean the class, so such a 款 is not a name of its own.
    let classes: BTreeSet<String> = exact
        .iter()
        .filter(|(c, _)| c.len() == 3)
        .flat_map(|(_, n)| [n.clone(), n.trim_end_matches("支出").to_string()])
        .collect();
    exact.retain(|(c, n)| c.len() == 3 || !classes.contains(n));
    let named: BTreeSet<&str> = exact.iter().map(|(_, n)| n.as_str()).collect();
    let entry = |surface: &str, code: &str, name: &str| Entry {
        surface: surface.to_string(),
        dim: "func".into(),
        value: code.to_string(),
        label: format!("{name}（{code}）"),
    };
    let mut v: Vec<Entry> = exact.iter().map(|(c, n)| entry(n, c, n)).collect();
    for (code, name) in &exact {
        let derived = if code.len() == 3 {
            name.strip_suffix("支出")
                .filter(|s| s.chars().count() >= 2)
                .map(str::to_string)
        } else if !name.ends_with("支出") {
            Some(format!("{name}支出"))
        } else {
            None
        };
        if let Some(d) = derived.filter(|d| !named.contains(d.as_str())) {
            v.push(entry(&d, code, name));
        }
    }
    v
}

impl Dictionary {
    /// Reads the names and periods from the session (as restricted as the asker is).
    pub async fn load(ctx: &SessionContext) -> Result<Dictionary> {
        let mut d = Dictionary::default();
        let fetch = |sql: String| async move { crate::figures::fetch(ctx, &sql, &[]).await };
        for ds in ["budget_execution", "revenue", "debt"] {
            if !ctx.table_exist(ds)? {
                continue;
            }
            let rows = fetch(format!("SELECT DISTINCT period FROM {ds} ORDER BY period")).await?;
            let ps: Vec<Period> = rows
                .iter()
                .filter_map(|r| r.first().and_then(|v| v.text().parse().ok()))
                .collect();
            d.periods.insert(ds.to_string(), ps);
            for r in fetch(format!(
                "SELECT DISTINCT coalesce(region_code, ''), coalesce(region_name, '') FROM {ds}"
            ))
            .await?
            {
                let (code, name) = (r[0].text(), r[1].text());
                if !name.is_empty() {
                    d.regions_of
                        .entry(ds.to_string())
                        .or_default()
                        .insert(name.clone());
                    d.region_names.insert(code, name);
                }
            }
        }
        let names: BTreeSet<String> = d.regions_of.values().flatten().cloned().collect();
        for name in names {
            d.push("region", &name, &name, &name);
        }
        if ctx.table_exist("budget_execution")? {
            let rows = fetch(
                "SELECT DISTINCT coalesce(region_name, ''), coalesce(dept_name, ''), \
                 coalesce(agency_name, ''), coalesce(project_name, '') FROM budget_execution"
                    .into(),
            )
            .await?;
            for r in &rows {
                let (region, dept, agency, project) =
                    (r[0].text(), r[1].text(), r[2].text(), r[3].text());
                for (dim, name) in [("dept", &dept), ("agency", &agency), ("project", &project)] {
                    if name.chars().count() < 2 {
                        continue;
                    }
                    d.push(dim, name, name, name);
                    // 示范市教育第5学校 is also 教育第5学校.
                    if let Some(short) = name
                        .strip_prefix(region.as_str())
                        .filter(|s| !region.is_empty() && s.chars().count() >= 2)
                    {
                        d.push(dim, short, name, name);
                    }
                }
            }
        }
        d.entries.extend(function_names());
        for (kind, words) in [
            ("一般公共预算", &["一般公共预算", "一般预算"][..]),
            ("政府性基金预算", &["政府性基金预算", "基金预算"]),
            ("国有资本经营预算", &["国有资本经营预算", "国资预算"]),
            ("社会保险基金预算", &["社会保险基金预算", "社保基金预算"]),
        ] {
            for w in words {
                d.push("budget_kind", w, kind, kind);
            }
        }
        for (level, words) in [
            ("红", &["红色预警", "红灯"][..]),
            ("橙", &["橙色预警"]),
            ("黄", &["黄色预警", "黄灯"]),
            ("蓝", &["蓝色预警"]),
        ] {
            for w in words {
                d.push("level", w, level, &format!("{level}色预警"));
            }
        }
        d.entries.sort();
        d.entries.dedup();
        Ok(d)
    }

    fn push(&mut self, dim: &str, surface: &str, value: &str, label: &str) {
        self.entries.push(Entry {
            surface: surface.to_string(),
            dim: dim.to_string(),
            value: value.to_string(),
            label: label.to_string(),
        });
    }

    /// The newest period of a dataset at or before `p` (a figure stands until a newer one).
    pub fn period_at(&self, dataset: &str, p: Period) -> Option<Period> {
        self.periods
            .get(dataset)?
            .iter()
            .rev()
            .find(|x| **x <= p)
            .copied()
    }

    /// The newest period of budget execution (else of any dataset): what 今年, 本月 mean.
    pub fn latest(&self) -> Option<Period> {
        self.periods
            .get("budget_execution")
            .and_then(|v| v.last())
            .or_else(|| self.periods.values().filter_map(|v| v.last()).max())
            .copied()
    }
}

/// The alerts a user sees, one row per alert and month it fired, as the table `purse_alerts`
/// a question about 预警 reads.
#[derive(Debug, Clone)]
pub struct AlertRow {
    pub period: Period,
    pub rule_id: String,
    pub category: String,
    pub level: String,
    pub status: String,
    pub region_code: String,
    pub dept_name: String,
    pub subject: String,
}

/// Registers `purse_alerts` (period, rule_id, category, level, status, region_code, region_name,
/// dept_name, subject) on the session.
pub fn register_alerts(ctx: &SessionContext, rows: &[AlertRow], dict: &Dictionary) -> Result<()> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    let names = [
        "period",
        "rule_id",
        "category",
        "level",
        "status",
        "region_code",
        "region_name",
        "dept_name",
        "subject",
    ];
    let schema = std::sync::Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let col = |f: &dyn Fn(&AlertRow) -> String| -> ArrayRef {
        std::sync::Arc::new(StringArray::from(
            rows.iter().map(|r| Some(f(r))).collect::<Vec<_>>(),
        ))
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            col(&|r| r.period.to_string()),
            col(&|r| r.rule_id.clone()),
            col(&|r| r.category.clone()),
            col(&|r| r.level.clone()),
            col(&|r| r.status.clone()),
            col(&|r| r.region_code.clone()),
            col(&|r| {
                dict.region_names
                    .get(&r.region_code)
                    .cloned()
                    .unwrap_or_default()
            }),
            col(&|r| r.dept_name.clone()),
            col(&|r| r.subject.clone()),
        ],
    )?;
    let table = datafusion::datasource::MemTable::try_new(schema, vec![vec![batch]])?;
    if ctx.table_exist("purse_alerts")? {
        ctx.deregister_table("purse_alerts")?;
    }
    ctx.register_table("purse_alerts", std::sync::Arc::new(table))?;
    Ok(())
}

/// An answer: the question as understood, the SQL, its rows, the sentence, a chart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    /// `answer`, `ambiguous`, `unanswerable`, or `model` (beyond the grammar, the local model's
    /// SQL and rows: a guess to check, not a figure purse vouches for).
    pub status: String,
    /// The question as purse understood it, in words.
    pub understood: String,
    pub sql: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The answer in a sentence (figures in 万元), or why there is none.
    pub sentence: String,
    /// For an ambiguous name: the names it could be.
    pub choices: Vec<String>,
    /// For an unanswerable question: questions that are.
    pub suggestions: Vec<String>,
    /// The data period the figures are of.
    pub period: Option<String>,
    /// For a question beyond the grammar: what the local model did, or why it was not asked
    /// (none configured, purse built without it, its SQL refused).
    pub model: Option<String>,
    /// The grammar did not understand the question (not: understood it, but the data is not
    /// loaded): only then is the local model asked.
    #[serde(skip)]
    pub beyond_grammar: bool,
    #[serde(skip)]
    pub kind: Option<Kind>,
}

/// Questions the layer answers, offered when one is not understood.
pub const EXAMPLES: [&str; 10] = [
    "今年全市预算执行率是多少",
    "执行率最低的五个部门",
    "哪些部门低于序时进度",
    "教育局今年累计支出多少",
    "各地区债务率",
    "今年财政收入同比增长多少",
    "各月支出走势",
    "卫生健康支出执行率",
    "本月有多少条红色预警",
    "各部门预算和支出",
];

/// The alerts as 问数 reads them: one row per alert and month it fired.
pub fn alert_rows(fired: &[(crate::alerts::Alert, Period)]) -> Vec<AlertRow> {
    fired
        .iter()
        .map(|(a, p)| AlertRow {
            period: *p,
            rule_id: a.rule_id.clone(),
            category: a.category.clone(),
            level: a.level.clone(),
            status: a.status.as_str().to_string(),
            region_code: a.region_code.clone().unwrap_or_default(),
            dept_name: a.dept_name.clone().unwrap_or_default(),
            subject: a.subject.clone(),
        })
        .collect()
}

/// Whether a question, as the layer reads it, counts alerts: only then need the caller read the
/// alert store for [`answer`] (parsing is microseconds; the store is every alert and month).
pub fn reads_alerts(question: &str, dict: &Dictionary) -> bool {
    matches!(parse(question, Layer::builtin(), dict), Understood::Query(q) if q.dataset == "purse_alerts")
}

/// Answers a question from the session (restricted to the asker), with the dictionary read
/// from it; questions about alerts read `alerts` (the ones the asker sees). The SQL runs on a
/// private session holding only the table it reads, planned read-only.
pub async fn answer(
    ctx: &SessionContext,
    dict: &Dictionary,
    alerts: &[AlertRow],
    question: &str,
) -> Result<Answer> {
    let layer = Layer::builtin();
    let mut a = Answer {
        question: question.to_string(),
        status: "answer".into(),
        understood: String::new(),
        sql: None,
        columns: vec![],
        rows: vec![],
        sentence: String::new(),
        choices: vec![],
        suggestions: vec![],
        period: None,
        model: None,
        beyond_grammar: false,
        kind: None,
    };
    let q = match parse(question, layer, dict) {
        Understood::Query(q) => q,
        Understood::Ambiguous { word, choices } => {
            a.status = "ambiguous".into();
            a.sentence = format!("“{word}”可能指：{}。请选择其一再问。", choices.join("、"));
            a.choices = choices;
            return Ok(a);
        }
        Understood::Unanswerable(why) => {
            a.status = "unanswerable".into();
            a.beyond_grammar = true;
            a.sentence = format!("暂时无法回答：{why}");
            a.suggestions = nearest(question);
            return Ok(a);
        }
        Understood::NoData(why) => {
            a.status = "unanswerable".into();
            a.sentence = format!("暂时无法回答：{why}");
            a.suggestions = nearest(question);
            return Ok(a);
        }
    };
    a.understood = q.describe(layer, dict);
    if q.progress_only {
        let p = q.period;
        a.period = Some(p.to_string());
        a.sql = Some(format!(
            "SELECT round(100.0 * {} / 12, 1) AS \"序时进度\"",
            p.month()
        ));
        a.columns = vec!["序时进度".into()];
        let v = (1000.0 * p.month() as f64 / 12.0).round() / 10.0;
        a.rows = vec![vec![format!("{v:.1}")]];
        a.sentence = format!("{}年{}月的序时进度为{v:.1}%。", p.year(), p.month());
        a.kind = Some(Kind::Pct);
        return Ok(a);
    }
    let sql = q.sql(layer);
    let own = SessionContext::new();
    if q.dataset == "purse_alerts" {
        register_alerts(&own, alerts, dict)?;
    } else if ctx.table_exist(q.dataset.as_str())? {
        own.register_table(
            q.dataset.as_str(),
            ctx.table(q.dataset.as_str()).await?.into_view(),
        )?;
    } else {
        a.status = "unanswerable".into();
        a.sentence = format!("暂时无法回答：还没有载入{}的数据", q.dataset);
        a.suggestions = nearest(question);
        return Ok(a);
    }
    let df = own
        .sql_with_options(&sql, crate::engine::read_only())
        .await?;
    let cols: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let rows = crate::common::values(&df.collect().await?);
    a.sql = Some(sql);
    a.period = Some(q.period.to_string());
    a.columns = cols;
    a.kind = q
        .measures
        .first()
        .and_then(|m| layer.measure(m))
        .map(|m| m.kind);
    a.sentence = q.sentence(layer, dict, &a.columns, &rows);
    a.rows = rows
        .iter()
        .map(|r| r.iter().map(Val::text).collect())
        .collect();
    Ok(a)
}

/// A question the grammar did not understand (`a` says so), put to the local model when one is
/// configured; else `a` says why it was not. The model's SQL runs through `run` — the console's
/// way, on the asker's own rows, read-only — and the answer is marked as the model's: status
/// `model`, its SQL shown, its rows, and a sentence that says to check the SQL.
pub async fn with_model<F, Fut>(
    a: &mut Answer,
    config: &crate::config::AskConfig,
    data_dir: &std::path::Path,
    ctx: &SessionContext,
    catalog: &crate::datasets::Catalog,
    run: F,
) where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<
            Output = std::result::Result<crate::console::Outcome, crate::console::ConsoleError>,
        >,
{
    if !a.beyond_grammar {
        return;
    }
    // The prompt's tables are read only when a model is there to read them.
    let files = match model::availability(config, data_dir) {
        model::Availability::Ready(f) => f,
        other => {
            a.model = other.note();
            return;
        }
    };
    let held = model::held_tables(ctx, catalog);
    let schema = model::schema_for(catalog, &held, &a.question);
    if schema.is_empty() {
        a.model = Some("仓库中没有可查询的表，没有交给本地模型。".into());
        return;
    }
    let question = a.question.clone();
    let drafted = tokio::task::spawn_blocking({
        let files = files.clone();
        move || model::draft(&files, &schema, &question)
    })
    .await
    .unwrap_or_else(|e| Err(format!("本地模型的线程停止了：{e}")));
    let d = match drafted {
        Ok(d) => d,
        Err(e) => {
            a.model = Some(e);
            return;
        }
    };
    let name = files
        .model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(sql) = d.sql else {
        let said: String = d.text.chars().take(200).collect();
        a.model = Some(format!("本地模型（{name}）没有写出SQL：{said}"));
        return;
    };
    a.sql = Some(sql.clone());
    match run(sql).await {
        Ok(o) => {
            let rows = o.values();
            a.status = "model".into();
            a.understood = format!(
                "本地模型（{name}）据问题写出的查询，用时{:.1}秒；purse 没有核对它是否问对了",
                d.seconds
            );
            a.columns = o.columns();
            a.sentence = match rows.as_slice() {
                [one] if one.len() == 1 => {
                    format!(
                        "本地模型的查询结果：{}。请核对下面的SQL是否问对了。",
                        one[0].text()
                    )
                }
                _ => format!(
                    "本地模型的查询得到{}行{}。请核对下面的SQL是否问对了。",
                    o.rows,
                    if o.truncated { "（已截断）" } else { "" }
                ),
            };
            a.rows = rows
                .iter()
                .map(|r| r.iter().map(Val::text).collect())
                .collect();
            a.model = Some(format!(
                "本地模型 {name}：提示 {} 个词元，写了 {} 个，{:.1} 秒",
                d.prompt_tokens, d.tokens, d.seconds
            ));
        }
        Err(e) => {
            a.model = Some(format!("本地模型（{name}）写出的SQL没有执行：{e}"));
        }
    }
}

/// The example questions nearest to `question`, by the characters they share.
pub fn nearest(question: &str) -> Vec<String> {
    let mine: BTreeSet<char> = question.chars().collect();
    let mut scored: Vec<(usize, &str)> = EXAMPLES
        .iter()
        .map(|e| (e.chars().filter(|c| mine.contains(c)).count(), *e))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, e)| e.to_string())
        .collect()
}

/// A value as the sentence says it.
pub fn say(v: &Val, kind: Kind) -> String {
    match kind {
        Kind::Money => match v {
            Val::Money(m) => wan(*m),
            Val::Null => "无数据".into(),
            other => other.text(),
        },
        Kind::Pct => v.num().map_or("无数据".into(), |x| format!("{x:.1}%")),
        Kind::Pp => v
            .num()
            .map_or("无数据".into(), |x| format!("{x:.1}个百分点")),
        Kind::Count => v.text(),
    }
}

/// Money in 万元 (亿元 from one 亿).
pub fn wan(m: Money) -> String {
    if m.0.unsigned_abs() >= 10_000_000_000 {
        m.readable()
    } else {
        format!("{}万元", m.wan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every measure and dimension has words, a known kind, and a dataset of the catalog (or the
    /// alerts); no word means two measures.
    #[test]
    fn the_layer_is_consistent() {
        let l = Layer::builtin();
        let cat = crate::datasets::Catalog::builtin();
        let known = |d: &str| d == "purse_alerts" || cat.datasets.iter().any(|x| x.name == d);
        let mut seen = BTreeSet::new();
        for m in &l.measure {
            assert!(!m.words.is_empty() && known(&m.dataset), "{}", m.name);
            for w in &m.words {
                assert!(seen.insert(w.clone()), "{w} names two measures");
            }
        }
        for d in &l.dimension {
            assert!(!d.words.is_empty(), "{}", d.name);
            assert!(d.datasets.iter().all(|x| known(x)), "{}", d.name);
        }
        let f = function_names();
        let has =
            |surface: &str, code: &str| f.iter().any(|e| e.surface == surface && e.value == code);
        assert!(has("教育支出", "205") && has("普通教育支出", "20502"));
        // 教育 and 卫生健康 are the classes, not 援助其他地区支出's 款 of the same names; a class
        // named with 预算 is the budget kind's to answer.
        assert!(has("教育", "205") && has("卫生健康", "210") && !has("教育", "21902"));
        assert!(!f.iter().any(|e| e.surface.contains("预算")));
    }
}
