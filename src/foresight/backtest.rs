//! Rule backtest: run a rule, with changed parameters, over past periods before switching the
//! change on. Nothing is written: the runner only reads, and the alert store is only read for how
//! past alerts of the rule ended (closed after rectification vs dismissed as false), which is the
//! committee's own precision estimate for the rule.

use crate::common::Period;
use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::alerts::{Alert, Status};
use crate::error::{PurseError, Result};
use crate::rules::runner::{Finding, Outcome, run_rule};
use crate::rules::{ParamValue, Rule};

/// One period of a backtest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BacktestMonth {
    pub period: String,
    /// Why the rule could not judge the period (no data, outside its months), if it could not.
    pub not_evaluated: Option<String>,
    /// Findings with the parameters in effect now.
    pub current: usize,
    /// Findings with the proposed parameters.
    pub proposed: usize,
}

/// A finding that the change would add or remove.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Changed {
    pub period: String,
    pub alert_key: String,
    pub subject: String,
    pub level: String,
    pub dept: String,
    pub message: String,
}

/// How the rule's past alerts ended.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PastOutcomes {
    /// 已销号: rectified, so the finding was real.
    pub closed: usize,
    /// 已排除: dismissed with a reason, a false alarm.
    pub dismissed: usize,
    /// Resolved by data before anyone took them up.
    pub resolved: usize,
    /// Still in the workflow.
    pub open: usize,
    /// closed / (closed + dismissed), when anything was decided.
    pub precision: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Backtest {
    pub rule_id: String,
    /// The parameters changed: (name, in effect now, proposed).
    pub changed: Vec<(String, String, String)>,
    pub months: Vec<BacktestMonth>,
    /// Findings per department over the range: (department, current, proposed).
    pub by_dept: Vec<(String, usize, usize)>,
    /// Fire with the proposed parameters and not with the current ones.
    pub new: Vec<Changed>,
    /// Fire now and would not with the proposed parameters.
    pub gone: Vec<Changed>,
    pub past: PastOutcomes,
}

/// The rule with `sets` (`name=value`) applied: only declared parameters, numbers where the
/// default is a number.
pub fn with_params(rule: &Rule, sets: &[(String, String)]) -> Result<Rule> {
    let mut r = rule.clone();
    for (k, v) in sets {
        let Some(old) = rule.params.get(k) else {
            let names: Vec<&str> = rule.params.keys().map(String::as_str).collect();
            return Err(PurseError::Invalid(format!(
                "rule {}: no parameter `{k}` (it has {})",
                rule.id,
                names.join(", ")
            )));
        };
        let new = match old {
            ParamValue::Number(_) => {
                let v = v.trim();
                crate::common::parse_decimal(v).ok_or_else(|| {
                    PurseError::Invalid(format!(
                        "rule {}: parameter `{k}` takes a number, not `{v}`",
                        rule.id
                    ))
                })?;
                ParamValue::Number(v.to_string())
            }
            ParamValue::Text(_) => ParamValue::Text(v.clone()),
        };
        r.params.insert(k.clone(), new);
    }
    Ok(r)
}

/// `name=value` pairs, refusing anything else.
pub fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>> {
    sets.iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| PurseError::Invalid(format!("`{s}`: expected PARAM=VALUE")))
        })
        .collect()
}

fn changed(period: Period, f: &Finding) -> Changed {
    Changed {
        period: period.to_string(),
        alert_key: f.alert_key.clone(),
        subject: f.subject.clone(),
        level: f.level.clone(),
        dept: f.dept_name.clone().unwrap_or_default(),
        message: f.message_zh.clone(),
    }
}

/// Runs `rule` as it is and with `sets` over `periods`, and compares.
pub async fn run(
    ctx: &SessionContext,
    rule: &Rule,
    sets: &[(String, String)],
    periods: &[Period],
    past_alerts: &[Alert],
) -> Result<Backtest> {
    if periods.is_empty() {
        return Err(PurseError::Invalid(
            "backtest: no periods in the range".into(),
        ));
    }
    let proposed = with_params(rule, sets)?;
    let same = proposed.params == rule.params;
    let mut months = Vec::new();
    let mut by_dept: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut new, mut gone) = (Vec::new(), Vec::new());
    for &p in periods {
        let now = run_rule(ctx, rule, p).await?;
        let then = if same {
            now.clone()
        } else {
            run_rule(ctx, &proposed, p).await?
        };
        let not_evaluated = match &now.outcome {
            Outcome::NotEvaluated(why) => Some(why.clone()),
            Outcome::Evaluated => None,
        };
        for f in &now.findings {
            by_dept
                .entry(f.dept_name.clone().unwrap_or_default())
                .or_default()
                .0 += 1;
        }
        for f in &then.findings {
            by_dept
                .entry(f.dept_name.clone().unwrap_or_default())
                .or_default()
                .1 += 1;
        }
        let keys = |v: &[Finding]| {
            v.iter()
                .map(|f| f.alert_key.clone())
                .collect::<BTreeSet<_>>()
        };
        let (a, b) = (keys(&now.findings), keys(&then.findings));
        new.extend(
            then.findings
                .iter()
                .filter(|f| !a.contains(&f.alert_key))
                .map(|f| changed(p, f)),
        );
        gone.extend(
            now.findings
                .iter()
                .filter(|f| !b.contains(&f.alert_key))
                .map(|f| changed(p, f)),
        );
        months.push(BacktestMonth {
            period: p.to_string(),
            not_evaluated,
            current: now.findings.len(),
            proposed: then.findings.len(),
        });
    }
    let changed = sets
        .iter()
        .filter_map(|(k, _)| {
            let (a, b) = (rule.params.get(k)?, proposed.params.get(k)?);
            Some((k.clone(), a.to_string(), b.to_string()))
        })
        .collect();
    Ok(Backtest {
        rule_id: rule.id.clone(),
        changed,
        months,
        by_dept: by_dept.into_iter().map(|(d, (a, b))| (d, a, b)).collect(),
        new,
        gone,
        past: past_outcomes(rule, past_alerts),
    })
}

/// How the rule's alerts ended: a closed alert was rectified (real), a dismissed one was not.
pub fn past_outcomes(rule: &Rule, alerts: &[Alert]) -> PastOutcomes {
    let mut p = PastOutcomes::default();
    for a in alerts.iter().filter(|a| a.rule_id == rule.id) {
        match a.status {
            Status::Closed => p.closed += 1,
            Status::Dismissed => p.dismissed += 1,
            Status::Resolved | Status::Recorded => p.resolved += 1,
            _ => p.open += 1,
        }
    }
    let decided = p.closed + p.dismissed;
    p.precision = (decided > 0).then(|| 100.0 * p.closed as f64 / decided as f64);
    p
}
