//! The data-quality scorecard (数据质量), per source over the twelve months to a period:
//! timeliness (when each month's extract first arrived against its due day), completeness (units,
//! or regions, reporting against those that reported in the twelve months before), reconciliation
//! across datasets (execution against treasury payments by unit and month; special-bond issuance
//! in the debt report against the bond list; special funds spent against their department's
//! execution), and files (accepted against rejected; periods corrected by a later delivery).
//! Each part is a percentage; the score is their mean over the parts that apply, graded A ≥ 95,
//! B ≥ 85, C ≥ 70, else D. A rule may refuse to run on a source graded below what
//! `[rules.ID] min_quality` asks.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::common::Period;
use crate::common::period::last_periods;
use crate::config::QualityConfig;
use crate::datasets::{Catalog, Grain};
use crate::error::Result;
use crate::figures::fetch;

/// What the manifest says about deliveries (read from SQLite by the caller).
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    /// (dataset, period, started at, still live) of every part ever accepted, oldest first.
    pub parts: Vec<(String, String, String, bool)>,
    /// (dataset if detected, status) of every load.
    pub loads: Vec<(Option<String>, String)>,
}

impl Deliveries {
    pub fn read(wh: &crate::warehouse::Warehouse) -> Result<Deliveries> {
        Ok(Deliveries {
            parts: wh.part_history()?,
            loads: wh
                .loads(usize::MAX >> 1)?
                .into_iter()
                .map(|l| (l.dataset, l.status))
                .collect(),
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodQuality {
    pub period: String,
    /// The day the period's first extract arrived.
    pub arrived: Option<String>,
    pub due: String,
    /// Days after the due day (0: on time); `None` where timeliness is not graded (before
    /// `graded_from`, or not yet due and not arrived).
    pub days_late: Option<i64>,
    /// Deliveries that replaced an earlier one for this period.
    pub corrections: usize,
    /// Units (or regions) that reported in the twelve months before, and how many of them did now.
    pub expected: usize,
    pub reporting: usize,
    /// A few of those missing.
    pub missing: Vec<String>,
    /// Reconciliation: pairs compared with another dataset, and how many agree.
    pub compared: usize,
    pub agreeing: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceQuality {
    pub dataset: String,
    pub title: String,
    pub periods: Vec<PeriodQuality>,
    /// % of graded periods on time (a missing, overdue period is late).
    pub timeliness: Option<f64>,
    /// Mean % of the expected units or regions reporting, over the periods with data.
    pub completeness: Option<f64>,
    /// % of compared pairs that agree.
    pub reconciliation: Option<f64>,
    /// What it is reconciled against.
    pub reconciled_with: Vec<String>,
    /// % of this source's files accepted.
    pub files: Option<f64>,
    pub accepted_files: usize,
    pub rejected_files: usize,
    pub corrections: usize,
    pub score: Option<f64>,
    pub grade: Option<char>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scorecard {
    pub period: String,
    pub due_day: u32,
    /// Timeliness is graded from this period on.
    pub graded_from: Option<String>,
    pub sources: Vec<SourceQuality>,
    /// Files whose dataset could not even be recognised, rejected.
    pub unrecognised_rejected: usize,
}

impl Scorecard {
    pub fn grade_of(&self, dataset: &str) -> Option<char> {
        self.sources
            .iter()
            .find(|s| s.dataset == dataset)
            .and_then(|s| s.grade)
    }
}

pub fn grade(score: f64) -> char {
    match score {
        x if x >= 95.0 => 'A',
        x if x >= 85.0 => 'B',
        x if x >= 70.0 => 'C',
        _ => 'D',
    }
}

/// `'A'` is best: whether `got` is at least `min`.
pub fn meets(got: char, min: char) -> bool {
    got <= min
}

/// A month's extract is due on `due_day` of the month after.
pub fn due_date(period: Period, due_day: u32) -> NaiveDate {
    let next = period.next().first_day();
    // Days 1–28 are in every month.
    next.with_day(due_day.clamp(1, 28)).unwrap_or(next)
}

fn day_of(stamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(stamp.get(..10)?, "%Y-%m-%d").ok()
}

/// (compared, agreeing) per period of one reconciliation.
type Recon = BTreeMap<String, (usize, usize)>;

async fn recon(ctx: &SessionContext, sql: &str, from: &str, to: &str) -> Result<Recon> {
    let rows = fetch(
        ctx,
        sql,
        &[
            ("from", ScalarValue::from(from)),
            ("to", ScalarValue::from(to)),
        ],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].text(),
                (r[1].int().max(0) as usize, r[2].int().max(0) as usize),
            )
        })
        .collect())
}

/// Execution against treasury payments: a unit's month of spending and its payments in the
/// month agree within 5 % of the larger.
const EXEC_PAYMENTS: &str = "WITH e AS (
    SELECT region_code, agency_code, period, sum(month_amount) AS m FROM budget_execution
    WHERE is_detail AND period >= $from AND period <= $to AND agency_code IS NOT NULL
    GROUP BY region_code, agency_code, period
), p AS (
    SELECT region_code, agency_code, period, sum(amount) AS a FROM payments
    WHERE period >= $from AND period <= $to GROUP BY region_code, agency_code, period
)
SELECT e.period, count(*) AS compared,
       sum(CASE WHEN abs(e.m - p.a) <= 0.05 * (CASE WHEN abs(e.m) > abs(p.a) THEN abs(e.m) ELSE abs(p.a) END)
                THEN 1 ELSE 0 END) AS agreeing
FROM e JOIN p ON e.region_code = p.region_code AND e.agency_code = p.agency_code AND e.period = p.period
GROUP BY e.period";

/// Special-bond issuance the debt report states for the year so far against the bonds listed
/// as issued in the year: within 1 %.
const DEBT_BONDS: &str = "WITH d AS (
    SELECT region_code, period, sum(issued) AS issued FROM debt
    WHERE debt_type LIKE '专项%' AND issued IS NOT NULL AND period >= $from AND period <= $to
    GROUP BY region_code, period
), b AS (
    SELECT region_code, period, sum(amount) AS amount FROM bonds
    WHERE period >= $from AND period <= $to
      AND CAST(issue_date AS VARCHAR) >= substr(period, 1, 4) || '-01-01'
    GROUP BY region_code, period
)
SELECT d.period, count(*) AS compared,
       sum(CASE WHEN abs(d.issued - coalesce(b.amount, 0)) <= 0.01 * abs(d.issued) THEN 1 ELSE 0 END) AS agreeing
FROM d LEFT JOIN b ON d.region_code = b.region_code AND d.period = b.period
GROUP BY d.period";

/// Special funds spent by a department cannot exceed what its units report as spent.
const FUNDS_EXEC: &str = "WITH f AS (
    SELECT region_code, dept_name, period, sum(spent_amount) AS spent FROM special_funds
    WHERE dept_name IS NOT NULL AND period >= $from AND period <= $to
    GROUP BY region_code, dept_name, period
), e AS (
    SELECT region_code, dept_name, period, sum(ytd_amount) AS ytd FROM budget_execution
    WHERE is_detail AND dept_name IS NOT NULL AND period >= $from AND period <= $to
    GROUP BY region_code, dept_name, period
)
SELECT f.period, count(*) AS compared,
       sum(CASE WHEN e.ytd IS NOT NULL AND f.spent <= e.ytd * 1.01 THEN 1 ELSE 0 END) AS agreeing
FROM f LEFT JOIN e ON f.region_code = e.region_code AND f.dept_name = e.dept_name AND f.period = e.period
WHERE EXISTS (SELECT 1 FROM budget_execution x WHERE x.period = f.period)
GROUP BY f.period";

/// The scorecard of every loaded source for the twelve months to `period`, as `ctx` sees them.
pub async fn scorecard(
    ctx: &SessionContext,
    catalog: &Catalog,
    deliveries: &Deliveries,
    config: &QualityConfig,
    month: Period,
    today: NaiveDate,
) -> Result<Scorecard> {
    let text = month.to_string();
    let period = text.as_str();
    // Oldest first.
    let window = last_periods(period, 12)?;
    let (from, to) = (window[0].clone(), period.to_string());
    // The twelve months before the window: who reported then is who is expected.
    let before = last_periods(&from, 13)?.remove(0);
    let graded_from = if !config.graded_from.is_empty() {
        Some(
            config
                .graded_from
                .parse::<crate::common::period::Period>()?
                .to_string(),
        )
    } else {
        // The first period due after the warehouse's first load.
        deliveries
            .parts
            .first()
            .and_then(|p| day_of(&p.2))
            .and_then(|first| {
                // The earliest period whose extract falls due on or after the first load (a
                // load stamped before 1900, a clock gone wrong, grades from the start).
                let mut p = Period::new(first.year(), first.month()).ok()?.prev().prev();
                while due_date(p, config.due_day) < first {
                    p = p.next();
                }
                Some(p.to_string())
            })
    };
    let has = |t: &str| ctx.table_exist(t).unwrap_or(false);
    let mut recons: Vec<(&str, &str, Recon)> = Vec::new();
    if has("budget_execution") && has("payments") {
        recons.push((
            "budget_execution",
            "payments",
            recon(ctx, EXEC_PAYMENTS, &from, &to).await?,
        ));
    }
    if has("debt") && has("bonds") {
        recons.push(("debt", "bonds", recon(ctx, DEBT_BONDS, &from, &to).await?));
    }
    if has("special_funds") && has("budget_execution") {
        recons.push((
            "special_funds",
            "budget_execution",
            recon(ctx, FUNDS_EXEC, &from, &to).await?,
        ));
    }
    let mut sources = Vec::new();
    for ds in &catalog.datasets {
        if !has(&ds.name) {
            continue;
        }
        let ds_parts: Vec<&(String, String, String, bool)> =
            deliveries.parts.iter().filter(|p| p.0 == ds.name).collect();
        if ds_parts.is_empty() {
            continue;
        }
        let accepted = deliveries
            .loads
            .iter()
            .filter(|l| l.0.as_deref() == Some(ds.name.as_str()) && l.1 == "accepted")
            .count();
        let rejected = deliveries
            .loads
            .iter()
            .filter(|l| l.0.as_deref() == Some(ds.name.as_str()) && l.1 == "rejected")
            .count();
        let monthly = ds.grain == Grain::Month;
        // Who reported in each month of the window and the twelve before it.
        let unit_level = ds.columns.iter().any(|c| c.name == "agency_code");
        let key = if unit_level {
            "region_code || '|' || coalesce(agency_code, agency_name, '')"
        } else {
            "coalesce(region_code, '')"
        };
        let reported: BTreeMap<String, BTreeSet<String>> = if monthly {
            let rows = fetch(
                ctx,
                &format!(
                    "SELECT period, {key} FROM {} WHERE period >= $before AND period <= $to GROUP BY 1, 2",
                    ds.name
                ),
                &[("before", ScalarValue::from(before.as_str())), ("to", ScalarValue::from(to.as_str()))],
            )
            .await?;
            let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for r in rows {
                m.entry(r[0].text()).or_default().insert(r[1].text());
            }
            m
        } else {
            BTreeMap::new()
        };
        let mut periods = Vec::new();
        let (mut graded, mut on_time) = (0usize, 0usize);
        let mut complete = Vec::new();
        let (mut compared, mut agreeing) = (0usize, 0usize);
        let mut with = Vec::new();
        for (a, b, _) in &recons {
            if *a == ds.name || *b == ds.name {
                with.push(if *a == ds.name {
                    b.to_string()
                } else {
                    a.to_string()
                });
            }
        }
        if monthly {
            for p in &window {
                let due = due_date(p.parse()?, config.due_day);
                let arrivals: Vec<&&(String, String, String, bool)> =
                    ds_parts.iter().filter(|x| &x.1 == p).collect();
                let arrived = arrivals.first().and_then(|x| day_of(&x.2));
                let corrections = arrivals.iter().filter(|x| !x.3).count();
                let is_graded = graded_from.as_deref().is_some_and(|g| p.as_str() >= g);
                let days_late = match (is_graded, arrived) {
                    (false, _) => None,
                    (true, Some(a)) => Some((a - due).num_days().max(0)),
                    (true, None) if today > due => Some((today - due).num_days()),
                    (true, None) => None,
                };
                if let Some(d) = days_late {
                    graded += 1;
                    if d == 0 {
                        on_time += 1;
                    }
                }
                let now = reported.get(p);
                let mut expected: BTreeSet<&String> = BTreeSet::new();
                let prior = last_periods(p, 13)?;
                for q in &prior[..12] {
                    if let Some(s) = reported.get(q) {
                        expected.extend(s.iter());
                    }
                }
                let reporting = now
                    .map(|s| expected.iter().filter(|k| s.contains(**k)).count())
                    .unwrap_or(0);
                let missing: Vec<String> = match now {
                    Some(s) => expected
                        .iter()
                        .filter(|k| !s.contains(**k))
                        .take(5)
                        .map(|k| k.to_string())
                        .collect(),
                    None => vec![],
                };
                if now.is_some() && !expected.is_empty() {
                    complete.push(100.0 * reporting as f64 / expected.len() as f64);
                }
                let (mut c, mut g) = (0, 0);
                for (a, b, r) in &recons {
                    if (*a == ds.name || *b == ds.name)
                        && let Some(x) = r.get(p)
                    {
                        c += x.0;
                        g += x.1;
                    }
                }
                compared += c;
                agreeing += g;
                if arrived.is_some() || days_late.is_some() {
                    periods.push(PeriodQuality {
                        period: p.clone(),
                        arrived: arrived.map(|d| d.to_string()),
                        due: due.to_string(),
                        days_late,
                        corrections,
                        expected: expected.len(),
                        reporting,
                        missing,
                        compared: c,
                        agreeing: g,
                    });
                }
            }
        }
        let pct = |a: usize, b: usize| (b > 0).then(|| 100.0 * a as f64 / b as f64);
        let timeliness = pct(on_time, graded);
        let completeness =
            (!complete.is_empty()).then(|| complete.iter().sum::<f64>() / complete.len() as f64);
        let reconciliation = pct(agreeing, compared);
        let files = pct(accepted, accepted + rejected);
        let parts: Vec<f64> = [timeliness, completeness, reconciliation, files]
            .into_iter()
            .flatten()
            .collect();
        let score = (!parts.is_empty()).then(|| parts.iter().sum::<f64>() / parts.len() as f64);
        sources.push(SourceQuality {
            dataset: ds.name.clone(),
            title: ds.title.clone(),
            corrections: periods.iter().map(|p| p.corrections).sum(),
            periods,
            timeliness,
            completeness,
            reconciliation,
            reconciled_with: with,
            files,
            accepted_files: accepted,
            rejected_files: rejected,
            score,
            grade: score.map(grade),
        });
    }
    let unrecognised_rejected = deliveries
        .loads
        .iter()
        .filter(|l| l.0.is_none() && l.1 == "rejected")
        .count();
    Ok(Scorecard {
        period: period.to_string(),
        due_day: config.due_day,
        graded_from,
        sources,
        unrecognised_rejected,
    })
}
