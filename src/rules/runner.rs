//! Running rules: bind parameters as placeholders, execute on the engine, turn offending rows
//! into findings. Rules never write anything; the alerts module stores what they find.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use super::{ParamValue, REQUIRED_OUTPUT, Rule, level, period_params, render, template_fields};
use crate::engine::read_only;
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
    pub message_zh: String,
    pub message_en: String,
    /// Every output column of the row, as text.
    pub evidence: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRun {
    pub rule_id: String,
    pub duration: Duration,
    /// Rows read from the warehouse by the rule's scans.
    pub rows_scanned: usize,
    pub findings: Vec<Finding>,
}

/// Parameter values for a rule in a period: built-ins, then the rule's (overridden) params.
pub fn bindings(rule: &Rule, period: &str) -> Result<Vec<(String, ParamValue)>> {
    let mut v = period_params(period)?;
    v.extend(rule.params.iter().map(|(k, p)| (k.clone(), p.clone())));
    Ok(v)
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

/// The rule's SQL with placeholders replaced by literals, for engines that take text (DuckDB).
pub fn substituted_sql(rule: &Rule, period: &str) -> Result<String> {
    let mut b = bindings(rule, period)?;
    // Longest names first so `$period_end` is not read as `$period` + `_end`.
    b.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut sql = rule.sql.clone();
    for (k, v) in b {
        let lit = if k == "period_end" {
            format!("DATE {}", v.literal())
        } else {
            v.literal()
        };
        sql = sql.replace(&format!("${k}"), &lit);
    }
    Ok(sql)
}

fn scanned(plan: &Arc<dyn ExecutionPlan>) -> usize {
    let children = plan.children();
    if children.is_empty() {
        return plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0);
    }
    children.iter().map(|c| scanned(c)).sum()
}

/// The rule's SQL planned read-only, with its parameters bound as placeholder values.
async fn planned(
    ctx: &SessionContext,
    rule: &Rule,
    period: &str,
) -> std::result::Result<datafusion::dataframe::DataFrame, datafusion::error::DataFusionError> {
    let params: Vec<(String, ScalarValue)> = bindings(rule, period)
        .map_err(|e| datafusion::error::DataFusionError::Plan(e.to_string()))?
        .iter()
        .map(|(k, v)| (k.clone(), scalar(k, v)))
        .collect();
    ctx.sql_with_options(&rule.sql, read_only())
        .await?
        .with_param_values(params)
}

/// Plans and runs one rule for a period.
pub async fn run_rule(ctx: &SessionContext, rule: &Rule, period: &str) -> Result<RuleRun> {
    let started = Instant::now();
    let fail = |e: PurseError| {
        PurseError::Invalid(format!("rule {} ({}): {e}", rule.id, rule.path.display()))
    };
    let df = planned(ctx, rule, period)
        .await
        .map_err(|e| fail(e.into()))?;
    let plan = df
        .create_physical_plan()
        .await
        .map_err(|e| fail(e.into()))?;
    let batches = collect(plan.clone(), ctx.task_ctx())
        .await
        .map_err(|e| fail(e.into()))?;
    let rows_scanned = scanned(&plan);
    let findings = findings(rule, &batches).map_err(fail)?;
    Ok(RuleRun {
        rule_id: rule.id.clone(),
        duration: started.elapsed(),
        rows_scanned,
        findings,
    })
}

/// Checks the output shape a rule promises (at load, against empty tables) without running it
/// on data: the required columns, the level column, the message's fields.
pub async fn check_shape(ctx: &SessionContext, rule: &Rule) -> Result<()> {
    let fail =
        |msg: String| PurseError::Invalid(format!("rule file {}: {msg}", rule.path.display()));
    let df = planned(ctx, rule, "2000-01")
        .await
        .map_err(|e| fail(format!("the SQL does not plan: {e}")))?;
    let schema = df.schema().clone();
    let has = |c: &str| schema.fields().iter().any(|f| f.name() == c);
    for c in REQUIRED_OUTPUT {
        if !has(c) {
            return Err(fail(format!("the query must return a `{c}` column")));
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
    }
    Ok(())
}

fn findings(rule: &Rule, batches: &[RecordBatch]) -> Result<Vec<Finding>> {
    let opts = FormatOptions::default().with_null("");
    let mut out = Vec::new();
    for b in batches {
        let schema = b.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let fmts: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..b.num_rows() {
            let values: BTreeMap<String, String> = names
                .iter()
                .zip(&fmts)
                .map(|(n, f)| (n.to_string(), f.value(r).to_string()))
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
            out.push(Finding {
                rule_id: rule.id.clone(),
                alert_key: get("alert_key")
                    .ok_or_else(|| PurseError::Invalid("returned an empty alert_key".into()))?,
                subject: get("subject").unwrap_or_default(),
                level,
                value: get("value"),
                expected: get("expected"),
                difference: get("difference"),
                dept_name: get("dept_name"),
                agency_code: get("agency_code"),
                message_zh: render(&rule.message_zh, &values),
                message_en: render(&rule.message_en, &values),
                evidence: values,
            });
        }
    }
    Ok(out)
}
