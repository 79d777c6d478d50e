//! Running rules: bind parameters as placeholders, execute on the engine, turn offending rows
//! into findings. Rules never write anything; the alerts module stores what they find.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use super::{ParamValue, Period, REQUIRED_OUTPUT, Rule, period_params, render, template_fields};
use crate::common::level::level;
use crate::datasets::Catalog;
use crate::engine::{PERIOD, read_only};
use crate::error::{PurseError, Result};

/// One offending row of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub alert_key: String,
    pub subject: String,
    pub level: String,
    pub value: Option<String>,
    pub expected: Option<String>,
    pub difference: Option<String>,
    pub dept_name: Option<String>,
    pub agency_code: Option<String>,
    pub region_code: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    /// Every output column of the row, as text (money exact, in 元); for a rule with evidence
    /// rows (`-- evidence:`), the columns the rows share.
    pub evidence: BTreeMap<String, String>,
    /// The rows behind the finding (the payments of a split), each with the rule's
    /// `-- evidence:` columns; empty where the finding is its one output row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<BTreeMap<String, String>>,
}

/// Whether a rule could judge a period at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Outcome {
    Evaluated,
    /// Nothing can be said for this period: its alerts are left as they are.
    NotEvaluated(String),
}

/// Which scopes of a dataset had data standing in the period (its `scope` columns, and `year`).
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub dataset: String,
    pub columns: Vec<String>,
    pub present: Vec<Vec<String>>,
}

impl Coverage {
    /// Whether a finding with this evidence had data in scope: every scope column the evidence
    /// names agrees with some row the dataset has in the period's window.
    pub fn covers(&self, evidence: &BTreeMap<String, String>) -> bool {
        let shared: Vec<(usize, &String)> = self
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| evidence.get(c).map(|v| (i, v)))
            .collect();
        self.present
            .iter()
            .any(|row| shared.iter().all(|(i, v)| row[*i] == **v))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRun {
    pub rule_id: String,
    pub duration: Duration,
    /// Rows read from the warehouse by the rule's scans.
    pub rows_scanned: usize,
    pub outcome: Outcome,
    /// The data each dataset had for the period: only findings in these scopes may be
    /// resolved by their absence.
    #[serde(skip)]
    pub coverage: Vec<Coverage>,
    /// The parameters the rule ran with, built-ins included.
    pub params: Vec<(String, ParamValue)>,
    pub findings: Vec<Finding>,
}

impl RuleRun {
    /// Whether an alert whose last evidence is `evidence` had data for its scope in this run.
    pub fn covers(&self, evidence: &BTreeMap<String, String>) -> bool {
        self.outcome == Outcome::Evaluated && self.coverage.iter().all(|c| c.covers(evidence))
    }
}

/// Parameter values for a rule in a period: built-ins (with `$since` from the rule's cadence),
/// then the rule's (overridden) params.
pub fn bindings(rule: &Rule, period: Period) -> Vec<(String, ParamValue)> {
    let mut v = period_params(period);
    v.push(("since".into(), ParamValue::Text(rule.cadence.since(period))));
    v.extend(rule.params.iter().map(|(k, p)| (k.clone(), p.clone())));
    v
}

fn scalar(name: &str, v: &ParamValue) -> ScalarValue {
    if name == "period_end"
        && let ParamValue::Text(d) = v
        && let Ok(date) = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
    {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        return ScalarValue::Date32(Some((date - epoch).num_days() as i32));
    }
    v.scalar()
}

/// A rule planned read-only and bound for a period, as a check binds it (for what wants its
/// output schema or plan without running it).
pub async fn bound(
    ctx: &SessionContext,
    rule: &Rule,
    period: Period,
) -> Result<datafusion::dataframe::DataFrame> {
    let params = bindings(rule, period);
    Ok(ctx
        .sql_with_options(&rule.sql, read_only())
        .await?
        .with_param_values(scalars(&params))?)
}

/// Whether the session plans on a Ballista cluster (its options carry Ballista's).
fn on_cluster(ctx: &SessionContext) -> bool {
    ctx.state()
        .config()
        .options()
        .entries()
        .iter()
        .any(|e| e.key.starts_with("ballista."))
}

/// How long one rule's job may take on a cluster before the rule fails:
/// `PURSE_CLUSTER_JOB_TIMEOUT` seconds, default 900 (the slowest rule at `--scale 100` took under
/// a minute on the loopback cluster).
fn cluster_job_limit() -> Duration {
    *CLUSTER_JOB_LIMIT.get_or_init(|| {
        let secs = std::env::var("PURSE_CLUSTER_JOB_TIMEOUT")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(900);
        Duration::from_secs(secs)
    })
}

static CLUSTER_JOB_LIMIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// Sets the limit of [`cluster_job_limit`] for this process (before any rule runs; tests).
pub fn set_cluster_job_limit(limit: Duration) {
    let _ = CLUSTER_JOB_LIMIT.set(limit);
}

fn scanned(plan: &Arc<dyn ExecutionPlan>) -> usize {
    let children = plan.children();
    if children.is_empty() {
        return plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0);
    }
    children.iter().map(|c| scanned(c)).sum()
}

/// A poisoned lock only means another rule panicked mid-insert; the map is still usable.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type Planned =
    std::result::Result<datafusion::dataframe::DataFrame, datafusion::error::DataFusionError>;

fn scalars(params: &[(String, ParamValue)]) -> Vec<(String, ScalarValue)> {
    params
        .iter()
        .map(|(k, v)| (k.clone(), scalar(k, v)))
        .collect()
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

/// What a check works out once and reuses across its rules and periods (the warehouse does not
/// change under a check):
/// - coverage by (dataset, window): the rules of a pack mostly share their datasets and windows,
///   so each dataset's scopes are read once. With the warehouse's manifest at hand
///   (`with_manifest`), coverage is read from it (what each live part holds, recorded at load)
///   instead of scanning the data;
/// - each rule's logical plan with its parameters as placeholders: parsed and planned once, then
///   bound to each period's values (optimisation and physical planning still run per period,
///   on the bound values).
#[derive(Default)]
pub struct RunCache {
    done: std::sync::Mutex<HashMap<(String, String, String), Coverage>>,
    manifest: Option<crate::warehouse::LiveParts>,
    plans: std::sync::Mutex<HashMap<(String, u64), datafusion::logical_expr::LogicalPlan>>,
    /// Whether the session plans on a cluster: looked up once, not per rule run.
    cluster: std::sync::OnceLock<bool>,
}

impl RunCache {
    pub fn with_manifest(parts: crate::warehouse::LiveParts) -> RunCache {
        RunCache {
            manifest: Some(parts),
            ..Default::default()
        }
    }

    /// The rule's SQL planned read-only (from the cached logical plan when this rule, this SQL,
    /// was planned before), with its parameters bound as placeholder values.
    async fn planned(
        &self,
        state: datafusion::execution::SessionState,
        rule: &Rule,
        params: &[(String, ParamValue)],
    ) -> Planned {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        rule.sql.hash(&mut h);
        let key = (rule.id.clone(), h.finish());
        let cached = lock(&self.plans).get(&key).cloned();
        let plan = match cached {
            Some(p) => p,
            None => {
                // What `sql_with_options` does, on the state the plan will run with.
                let p = state.create_logical_plan(&rule.sql).await?;
                read_only().verify_plan(&p)?;
                lock(&self.plans).insert(key, p.clone());
                p
            }
        };
        datafusion::dataframe::DataFrame::new(state, plan).with_param_values(scalars(params))
    }

    /// Coverage of a dataset in a window from the manifest: each part's scope lines
    /// (`col=value|col=value`), and `year` from the part's period.
    fn manifest_coverage(
        &self,
        ds: &crate::datasets::Dataset,
        columns: &[String],
        (from, to): &(String, String),
    ) -> Option<Coverage> {
        let parts = self.manifest.as_ref()?;
        let mut present: BTreeSet<Vec<String>> = BTreeSet::new();
        for (d, p, scope, _) in parts {
            if d != &ds.name || p < from || p > to {
                continue;
            }
            for line in scope.lines().chain(scope.is_empty().then_some("")) {
                let values: HashMap<&str, &str> = line
                    .split('|')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                present.insert(
                    columns
                        .iter()
                        .map(|c| {
                            if c == "year" {
                                p.get(..4).unwrap_or("").to_string()
                            } else {
                                values.get(c.as_str()).copied().unwrap_or("").to_string()
                            }
                        })
                        .collect(),
                );
            }
        }
        Some(Coverage {
            dataset: ds.name.clone(),
            columns: columns.to_vec(),
            present: present.into_iter().collect(),
        })
    }
}

/// The scopes each of the rule's datasets has data for in the window of the rule's cadence:
/// from the manifest when the cache has it, else by a query.
async fn coverage(
    ctx: &SessionContext,
    rule: &Rule,
    period: Period,
    cache: &RunCache,
) -> Result<Vec<Coverage>> {
    let mut out = Vec::with_capacity(rule.datasets.len());
    for name in &rule.datasets {
        let ds = CATALOG.get(name)?;
        let window = rule.cadence.window(period, ds.grain);
        // Only the rows that carry what the rule needs judge a subject (`-- requires:`).
        let required: Vec<String> = rule
            .requires
            .iter()
            .filter(|(d, _)| d == name)
            .map(|(_, c)| c.clone())
            .collect();
        let cache_key = (
            format!("{name}\u{1f}{}", required.join(",")),
            window.0.clone(),
            window.1.clone(),
        );
        if let Some(c) = cache
            .done
            .lock()
            .ok()
            .and_then(|m| m.get(&cache_key).cloned())
        {
            out.push(c);
            continue;
        }
        let mut columns: Vec<String> = ds
            .scope
            .iter()
            .filter(|c| ds.column(c).is_some())
            .cloned()
            .collect();
        if ds.column("year").is_some() {
            columns.push("year".into());
        }
        let from_manifest = if required.is_empty() {
            cache.manifest_coverage(ds, &columns, &window)
        } else {
            None
        };
        let c = match from_manifest {
            Some(c) => c,
            None => queried_coverage(ctx, name, columns, &window, &required).await?,
        };
        if let Ok(mut m) = cache.done.lock() {
            m.insert(cache_key, c.clone());
        }
        out.push(c);
    }
    Ok(out)
}

/// Coverage by a query, where no manifest is at hand (tables registered by hand, as in tests).
async fn queried_coverage(
    ctx: &SessionContext,
    name: &str,
    columns: Vec<String>,
    (from, to): &(String, String),
    required: &[String],
) -> Result<Coverage> {
    let select = if columns.is_empty() {
        "DISTINCT 1 AS present".to_string()
    } else {
        let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        format!("DISTINCT {}", quoted.join(", "))
    };
    let not_null: String = required
        .iter()
        .map(|c| format!(" AND \"{c}\" IS NOT NULL"))
        .collect();
    let sql = format!(
        "SELECT {select} FROM \"{name}\" WHERE {PERIOD} >= '{from}' AND {PERIOD} <= '{to}'{not_null}"
    );
    let batches = ctx
        .sql_with_options(&sql, read_only())
        .await?
        .collect()
        .await?;
    // NULL reads as "", as in a finding's evidence.
    let present = if columns.is_empty() {
        batches
            .iter()
            .flat_map(|b| (0..b.num_rows()).map(|_| vec![]))
            .collect()
    } else {
        crate::output::rows(&batches)
    };
    Ok(Coverage {
        dataset: name.to_string(),
        columns,
        present,
    })
}

/// Plans and runs one rule for a period, if it can judge it: the period is one of its months
/// and each dataset it reads has data standing in the period (its cadence's window). Otherwise
/// the run says why it was not evaluated and finds nothing.
pub async fn run_rule(ctx: &SessionContext, rule: &Rule, period: Period) -> Result<RuleRun> {
    run_rule_cached(ctx, rule, period, &RunCache::default(), None).await
}

/// [`run_rule`] sharing what one check has already read of each dataset's scopes. Logged as a
/// `rule` span (rule, period) closed by one event: evaluated, not evaluated and why, or failed.
pub async fn run_rule_cached(
    ctx: &SessionContext,
    rule: &Rule,
    period: Period,
    cache: &RunCache,
    partitions: Option<usize>,
) -> Result<RuleRun> {
    use tracing::Instrument as _;
    let span = tracing::info_span!("rule", rule = %rule.id, period = %period);
    let run = evaluate(ctx, rule, period, cache, partitions)
        .instrument(span.clone())
        .await;
    span.in_scope(|| match &run {
        Ok(r) => match &r.outcome {
            Outcome::Evaluated => tracing::info!(
                ms = r.duration.as_millis() as u64,
                rows_scanned = r.rows_scanned,
                findings = r.findings.len(),
                "rule ran"
            ),
            Outcome::NotEvaluated(why) => tracing::info!(reason = %why, "rule not evaluated"),
        },
        Err(e) => tracing::warn!(error = %e, "rule failed"),
    });
    run
}

async fn evaluate(
    ctx: &SessionContext,
    rule: &Rule,
    period: Period,
    cache: &RunCache,
    partitions: Option<usize>,
) -> Result<RuleRun> {
    let started = Instant::now();
    let fail = |e: PurseError| {
        PurseError::Invalid(format!("rule {} ({}): {e}", rule.id, rule.path.display()))
    };
    let params = bindings(rule, period);
    let mut run = RuleRun {
        rule_id: rule.id.clone(),
        duration: Duration::ZERO,
        rows_scanned: 0,
        outcome: Outcome::Evaluated,
        coverage: vec![],
        params: params.clone(),
        findings: vec![],
    };
    let month = period.month();
    if !rule.months.contains(&month) {
        run.outcome = Outcome::NotEvaluated(format!(
            "applies in {} only",
            crate::rules::describe_months(&rule.months)
        ));
        run.duration = started.elapsed();
        return Ok(run);
    }
    run.coverage = coverage(ctx, rule, period, cache).await.map_err(fail)?;
    if let Some(c) = run.coverage.iter().find(|c| c.present.is_empty()) {
        run.outcome = Outcome::NotEvaluated(format!(
            "no data for {} {}",
            c.dataset,
            rule.cadence.describe(period)
        ));
        run.duration = started.elapsed();
        return Ok(run);
    }
    let mut state = ctx.state();
    if let Some(n) = partitions {
        state.config_mut().options_mut().execution.target_partitions = n;
    }
    let task = std::sync::Arc::new(datafusion::execution::TaskContext::from(&state));
    let df = cache
        .planned(state, rule, &params)
        .await
        .map_err(|e| fail(e.into()))?;
    let plan = df
        .create_physical_plan()
        .await
        .map_err(|e| fail(e.into()))?;
    let run_plan = collect(plan.clone(), task);
    // On a cluster a job can be left pending for ever (Ballista 55, every executor idle): it
    // gets a time limit, and the rule fails saying so instead of the check never ending.
    let batches = if *cache.cluster.get_or_init(|| on_cluster(ctx)) {
        let limit = cluster_job_limit();
        tokio::time::timeout(limit, run_plan).await.map_err(|_| {
            fail(PurseError::Invalid(format!(
                "the cluster did not answer within {} s (PURSE_CLUSTER_JOB_TIMEOUT)",
                limit.as_secs()
            )))
        })?
    } else {
        run_plan.await
    }
    .map_err(|e| fail(e.into()))?;
    run.rows_scanned = scanned(&plan);
    run.findings = findings(rule, &batches).map_err(fail)?;
    run.duration = started.elapsed();
    Ok(run)
}

impl RunCache {
    /// Checks the output shape a rule promises without running it on data: the required
    /// columns, the level column, the message's fields. The rule's plan is kept for its runs,
    /// so a check parses and plans each rule's SQL once, not once to validate and again to run.
    pub async fn check_shape(&self, ctx: &SessionContext, rule: &Rule) -> Result<()> {
        // Any month binds the same shapes.
        let params = bindings(rule, "2000-01".parse()?);
        shape_of(rule, self.planned(ctx.state(), rule, &params).await)
    }
}

/// Whether a planned rule returns what it promises.
fn shape_of(rule: &Rule, df: Planned) -> Result<()> {
    let fail =
        |msg: String| PurseError::Invalid(format!("rule file {}: {msg}", rule.path.display()));
    let df = df.map_err(|e| fail(format!("the SQL does not plan: {e}")))?;
    let schema = df.schema().clone();
    let has = |c: &str| schema.fields().iter().any(|f| f.name() == c);
    for c in REQUIRED_OUTPUT {
        if !has(c) {
            return Err(fail(format!("the query must return a `{c}` column")));
        }
    }
    for c in &rule.key {
        if !has(c) {
            return Err(fail(format!(
                "`-- key:` names `{c}` but the query returns no such column"
            )));
        }
    }
    // A finding's identity includes its region: two regions' findings never share an alert.
    if has("region_code") && !rule.key.iter().any(|k| k == "region_code") {
        return Err(fail(
            "the query returns `region_code`, so `-- key:` must include it".into(),
        ));
    }
    if let Some(c) = &rule.stake {
        use datafusion::arrow::datatypes::DataType;
        match schema
            .fields()
            .iter()
            .find(|f| f.name() == c)
            .map(|f| f.data_type())
        {
            None => {
                return Err(fail(format!(
                    "`-- stake:` names `{c}` but the query returns no such column"
                )));
            }
            Some(
                DataType::Decimal128(..)
                | DataType::Decimal256(..)
                | DataType::Int64
                | DataType::Int32,
            ) => {}
            Some(other) => {
                return Err(fail(format!(
                    "`-- stake:` names `{c}`, a {other} column: it must be an amount in 元 (a decimal)"
                )));
            }
        }
    }
    for c in &rule.evidence_columns {
        if !has(c) {
            return Err(fail(format!(
                "`-- evidence:` names `{c}` but the query returns no such column"
            )));
        }
        if rule.key.contains(c) {
            return Err(fail(format!(
                "`{c}` is both a key column and an evidence column: an evidence row varies within a finding"
            )));
        }
    }
    for (field, t) in &rule.tally {
        if !has(field) {
            return Err(fail(format!(
                "`-- tally:` states `{field}` but the query returns no such column"
            )));
        }
        if let super::Tally::Sum(c) = t
            && !rule.evidence_columns.contains(c)
        {
            return Err(fail(format!(
                "`-- tally:` sums `{c}`, which is not one of the `-- evidence:` columns"
            )));
        }
    }
    if rule.fixed_level.is_none() && !has("level") {
        return Err(fail(
            "`-- severity: level` but the query returns no `level` column".into(),
        ));
    }
    for f in template_fields(&rule.message_zh)
        .iter()
        .chain(template_fields(&rule.message_en).iter())
    {
        if !has(f) {
            return Err(fail(format!(
                "the message uses `{{{f}}}` but the query returns no such column"
            )));
        }
        if rule.evidence_columns.contains(f) {
            return Err(fail(format!(
                "the message uses `{{{f}}}`, an evidence column that varies from row to row: \
                 state it through a `-- tally:` figure"
            )));
        }
    }
    Ok(())
}

fn findings(rule: &Rule, batches: &[RecordBatch]) -> Result<Vec<Finding>> {
    let opts = FormatOptions::default().with_null("");
    let mut out: Vec<Finding> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for b in batches {
        let schema = b.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        // Exact 元 amounts (Decimal128 with two decimals) read as 万元 / 亿元 in messages.
        let money: BTreeSet<String> = schema
            .fields()
            .iter()
            .filter(|f| matches!(f.data_type(), DataType::Decimal128(_, 2)))
            .map(|f| f.name().clone())
            .collect();
        let floats: Vec<bool> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().is_floating())
            .collect();
        let fmts: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..b.num_rows() {
            let values: BTreeMap<String, String> = names
                .iter()
                .zip(&fmts)
                .zip(&floats)
                .map(|((n, f), &float)| {
                    let text = f.value(r).to_string();
                    (n.to_string(), if float { plain(text) } else { text })
                })
                .collect();
            let get = |c: &str| values.get(c).filter(|v| !v.is_empty()).cloned();
            let level = match &rule.fixed_level {
                Some(l) => l.clone(),
                None => {
                    let raw = get("level").unwrap_or_default();
                    level(&raw)
                        .ok_or_else(|| {
                            PurseError::Invalid(format!(
                                "returned level `{raw}` (expected 红 / 橙 / 黄 / 蓝)"
                            ))
                        })?
                        .to_string()
                }
            };
            let alert_key = alert_key(&rule.key, &values).ok_or_else(|| {
                PurseError::Invalid("returned a row whose key columns are all empty".into())
            })?;
            if !rule.evidence_columns.is_empty() {
                // One row per evidence row: the finding is what the rows of a key share.
                let (shared, row) = split_evidence(&rule.evidence_columns, values);
                if let Some(&i) = seen.get(&alert_key) {
                    let f: &mut Finding = &mut out[i];
                    if f.evidence != shared {
                        return Err(PurseError::Invalid(format!(
                            "returned two rows with the same key `{alert_key}` ({}) that differ outside \
                             their evidence columns ({}): {} and {}",
                            rule.key.join(", "),
                            rule.evidence_columns.join(", "),
                            show_row(&f.evidence),
                            show_row(&shared)
                        )));
                    }
                    f.rows.push(row);
                    continue;
                }
                seen.insert(alert_key.clone(), out.len());
                out.push(finding(rule, alert_key, level, shared, &money, vec![row]));
                continue;
            }
            if let Some(&other) = seen.get(&alert_key) {
                return Err(PurseError::Invalid(format!(
                    "returned two rows with the same key `{alert_key}` ({}): {} and {}; \
                     the key must name every column that tells findings apart",
                    rule.key.join(", "),
                    show_row(&out[other].evidence),
                    show_row(&values)
                )));
            }
            seen.insert(alert_key.clone(), out.len());
            out.push(finding(rule, alert_key, level, values, &money, vec![]));
        }
    }
    for f in &out {
        check_tally(rule, f)?;
    }
    Ok(out)
}

/// A float as people read it: Arrow writes small ones in exponent form (`1e-6`), a message
/// and an evidence table say `0.000001`. Only float columns come here (a voucher `1E5` is text).
fn plain(text: String) -> String {
    match text.parse::<f64>() {
        Ok(x) if text.contains('e') && x.is_finite() => x.to_string(),
        _ => text,
    }
}

/// A finding from the values its rows share: the reserved columns, the messages rendered, and
/// its subject (its key where the rule gives no name: an alert always names what it is about).
fn finding(
    rule: &Rule,
    alert_key: String,
    level: String,
    values: BTreeMap<String, String>,
    money: &BTreeSet<String>,
    rows: Vec<BTreeMap<String, String>>,
) -> Finding {
    let get = |c: &str| values.get(c).filter(|v| !v.is_empty()).cloned();
    Finding {
        rule_id: rule.id.clone(),
        subject: get("subject").unwrap_or_else(|| alert_key.clone()),
        alert_key,
        level,
        value: get("value"),
        expected: get("expected"),
        difference: get("difference"),
        dept_name: get("dept_name"),
        agency_code: get("agency_code"),
        region_code: get("region_code"),
        message_zh: render(&rule.message_zh, &values, money),
        message_en: render(&rule.message_en, &values, money),
        evidence: values,
        rows,
    }
}

/// A row's values split into what the finding's rows share and the row's own evidence columns.
fn split_evidence(
    columns: &[String],
    mut values: BTreeMap<String, String>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let row = columns
        .iter()
        .map(|c| (c.clone(), values.remove(c).unwrap_or_default()))
        .collect();
    (values, row)
}

/// Every figure a message states about its evidence rows (`-- tally:`) must be what the rows
/// give: a count is their number, a sum their exact decimal sum. A rule that counts the pairs of
/// a self-join instead of the payments is refused here, naming the finding, what it stated and
/// what its rows give.
fn check_tally(rule: &Rule, f: &Finding) -> Result<()> {
    for (field, t) in &rule.tally {
        let stated = f.evidence.get(field).map(String::as_str).unwrap_or("");
        let (computed, what) = match t {
            super::Tally::Count => ((f.rows.len() as i128, 0u32), "count".to_string()),
            super::Tally::Sum(c) => {
                let mut total: (i128, u32) = (0, 0);
                for r in &f.rows {
                    let v = r.get(c).map(String::as_str).unwrap_or("");
                    let Some(x) = crate::common::parse_decimal(v) else {
                        return Err(PurseError::Invalid(format!(
                            "finding `{}`: evidence column `{c}` holds `{v}`, not a number, so `{field}` cannot be checked",
                            f.alert_key
                        )));
                    };
                    total = add_decimal(total, x);
                }
                (total, format!("sum of {c}"))
            }
        };
        let ok = crate::common::parse_decimal(stated).is_some_and(|s| same_decimal(s, computed));
        if !ok {
            return Err(PurseError::Invalid(format!(
                "finding `{}`: the message states {field} = `{stated}`, but the {} of its {} evidence rows is {}",
                f.alert_key,
                what,
                f.rows.len(),
                crate::common::decimal_text(computed.0, computed.1 as i8)
            )));
        }
    }
    Ok(())
}

/// Exact decimal arithmetic on `parse_decimal`'s (digits, scale); `None` past i128.
fn rescale((v, s): (i128, u32), to: u32) -> Option<i128> {
    v.checked_mul(10i128.checked_pow(to.saturating_sub(s))?)
}

fn add_decimal(a: (i128, u32), b: (i128, u32)) -> (i128, u32) {
    let s = a.1.max(b.1);
    match (rescale(a, s), rescale(b, s)) {
        (Some(x), Some(y)) => (x.saturating_add(y), s),
        _ => (i128::MAX, 0),
    }
}

fn same_decimal(a: (i128, u32), b: (i128, u32)) -> bool {
    let s = a.1.max(b.1);
    matches!((rescale(a, s), rescale(b, s)), (Some(x), Some(y)) if x == y)
}

/// A finding's identity: its `-- key:` columns joined by `|` (an empty column stays empty).
pub fn alert_key(key: &[String], values: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = key
        .iter()
        .map(|k| values.get(k).map(String::as_str).unwrap_or(""))
        .collect();
    // A finding keyed by region alone on rows that name no region is about the deployment's own
    // region (extracts of a deployment with no region code set): one subject, the empty key.
    // Any other key left empty is a rule that lost its key columns.
    let whole_region = key.iter().all(|k| k == "region_code");
    (whole_region || parts.iter().any(|p| !p.is_empty())).then(|| parts.join("|"))
}

fn show_row(values: &BTreeMap<String, String>) -> String {
    let cells: Vec<String> = values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{{{}}}", cells.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key's values joined in order; a region-only key may be empty (the deployment's own
    /// region, rows that name none), any other all-empty key is refused.
    #[test]
    fn alert_keys_join_their_columns_and_allow_only_an_empty_region() {
        let key = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let values: BTreeMap<String, String> = [
            ("region_code".to_string(), "990100".to_string()),
            ("agency_code".to_string(), String::new()),
            ("payee".to_string(), "甲公司".to_string()),
        ]
        .into();
        assert_eq!(
            alert_key(&key(&["region_code", "agency_code", "payee"]), &values).as_deref(),
            Some("990100||甲公司")
        );
        let blank: BTreeMap<String, String> = [("region_code".to_string(), String::new())].into();
        assert_eq!(
            alert_key(&key(&["region_code"]), &blank).as_deref(),
            Some("")
        );
        assert_eq!(
            alert_key(&key(&["region_code", "agency_code"]), &blank),
            None
        );
        assert_eq!(alert_key(&key(&["agency_code"]), &BTreeMap::new()), None);
    }
}
