//! The figures people look at: the cockpit (一屏纵览) for a period and the drill-down from region
//! to source rows. Both the web pages and the monthly report ask for them here, so a number on
//! the screen and the same number in the report come from one query.
//!
//! Money stays exact ([`Money`], fen in an `i128`) until it is printed; ratios are `f64` because
//! they are only ever shown, never summed.

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::common::Period;
use crate::common::{Money, Val, values};
use crate::error::Result;

/// Runs a figure query with named parameters (`$period`, `$year`, …).
pub async fn fetch(
    ctx: &SessionContext,
    sql: &str,
    params: &[(&str, ScalarValue)],
) -> Result<Vec<Vec<Val>>> {
    let df = ctx
        .sql_with_options(sql, crate::engine::read_only())
        .await?;
    let df = if params.is_empty() {
        df
    } else {
        df.with_param_values(
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Vec<_>>(),
        )?
    };
    Ok(values(&df.collect().await?))
}

fn ratio(num: Money, den: Money) -> Option<f64> {
    (den.0 != 0).then(|| 100.0 * num.0 as f64 / den.0 as f64)
}

/// Execution (or revenue) of one budget kind against time progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindExec {
    pub budget_kind: String,
    pub budget: Money,
    pub ytd: Money,
    /// ytd / budget, %.
    pub rate: Option<f64>,
    /// time progress − rate, percentage points (positive = behind).
    pub behind_pp: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitExec {
    pub code: String,
    pub name: String,
    pub budget: Money,
    pub ytd: Money,
    pub rate: Option<f64>,
    pub behind_pp: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct FundsFlow {
    pub funds: i64,
    pub issued: Money,
    pub allocated: Money,
    pub disbursed: Money,
    pub spent: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DebtRegion {
    pub region_code: String,
    pub region_name: String,
    pub balance: Money,
    pub limit: Money,
    pub capacity: Money,
    pub ratio: Option<f64>,
    /// green, yellow, orange, red (domain thresholds 120 / 200 / 300 %).
    #[schema(value_type = String)]
    pub band: &'static str,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SoeSummary {
    pub enterprises: i64,
    pub assets: Money,
    pub liabilities: Money,
    pub leverage: Option<f64>,
    pub profit: Money,
    pub prior_profit: Money,
    /// Profit change on the same period last year, %.
    pub profit_change: Option<f64>,
    pub above_warning_line: i64,
    /// Highest leverage first.
    pub top: Vec<SoeLine>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SoeLine {
    pub name: String,
    pub leverage: f64,
    pub warning: f64,
    pub profit: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorVsTarget {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub ytd_yoy: Option<f64>,
    pub target: Option<f64>,
    /// ytd_yoy − target, pp (negative = short of target).
    pub gap: Option<f64>,
}

/// The cockpit (一屏纵览) figures for one period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cockpit {
    pub period: String,
    /// The thresholds the figures were coloured with.
    pub bands: Bands,
    pub time_progress: f64,
    pub budgets: Vec<KindExec>,
    pub revenue: Vec<KindExec>,
    pub lagging_depts: Vec<UnitExec>,
    pub funds: FundsFlow,
    pub debt: Vec<DebtRegion>,
    pub soe: SoeSummary,
    pub indicators: Vec<IndicatorVsTarget>,
    /// Execution rate of all budgets together for the 12 months up to `period`.
    pub trend: Vec<(String, Option<f64>)>,
}

/// The colour bands the pages, charts and the report draw with, read from the loaded rules'
/// parameters (`execution_lag`, `debt_ratio`, `soe_leverage`, with `[rules.ID]` overrides
/// applied): one source of truth, so a changed threshold changes the alerts and the colours
/// together. A pack without one of those rules keeps the domain's defaults for its bands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bands {
    /// Spending behind time progress, percentage points: yellow from, red from.
    pub lag_yellow_pp: f64,
    pub lag_red_pp: f64,
    /// Debt ratio, %: yellow, orange, red from.
    pub debt_yellow_pct: f64,
    pub debt_orange_pct: f64,
    pub debt_red_pct: f64,
    /// SOE leverage warning lines, %.
    pub soe_industrial_pct: f64,
    pub soe_other_pct: f64,
    /// Above the warning line by this many pp: red rather than yellow.
    pub soe_control_pp: f64,
    /// Year-end execution projected below this: a unit is flagged (projected_execution).
    pub projected_pct: f64,
    /// PEFA PI-1, aggregate outturn: grades A, B and C within this many pp of 100 % (else D).
    pub pi1_pp: [f64; 3],
    /// PEFA PI-2.1, composition variance: grades A, B and C below this many % (else D).
    pub pi2_pct: [f64; 3],
}

impl Bands {
    /// The bands of the rules as the deployment runs them (a rule turned off keeps its
    /// parameters). A deployment's own pack without the rule or the parameter colours its
    /// figure as the built-in pack's SQL header says: the thresholds live in the rules' SQL
    /// only, never copied here.
    pub fn from_rules(set: &crate::rules::RuleSet) -> Bands {
        static BUILTIN: std::sync::OnceLock<Option<crate::rules::RuleSet>> =
            std::sync::OnceLock::new();
        let builtin = BUILTIN.get_or_init(|| {
            crate::rules::RuleSet::builtin(
                &crate::datasets::Catalog::builtin(),
                &Default::default(),
            )
            .ok()
        });
        let number = |set: &crate::rules::RuleSet, rule: &str, name: &str| {
            set.rules
                .iter()
                .find(|r| r.id == rule)
                .and_then(|r| r.params.get(name))
                .and_then(|v| match v {
                    crate::rules::ParamValue::Number(n) => n.parse::<f64>().ok(),
                    crate::rules::ParamValue::Text(_) => None,
                })
        };
        // No value anywhere (a test proves the built-in pack has each): a band never reached.
        let param = |rule: &str, name: &str| {
            number(set, rule, name)
                .or_else(|| builtin.as_ref().and_then(|b| number(b, rule, name)))
                .unwrap_or(f64::INFINITY)
        };
        Bands {
            lag_yellow_pp: param("execution_lag", "yellow_pp"),
            lag_red_pp: param("execution_lag", "red_pp"),
            debt_yellow_pct: param("debt_ratio", "yellow_pct"),
            debt_orange_pct: param("debt_ratio", "orange_pct"),
            debt_red_pct: param("debt_ratio", "red_pct"),
            soe_industrial_pct: param("soe_leverage", "industrial_pct"),
            soe_other_pct: param("soe_leverage", "other_pct"),
            soe_control_pp: param("soe_leverage", "control_pp"),
            projected_pct: param("projected_execution", "yellow_pct"),
            pi1_pp: ["a_pp", "b_pp", "c_pp"].map(|p| param("pefa_pi1_aggregate_outturn", p)),
            pi2_pct: ["a_pct", "b_pct", "c_pct"].map(|p| param("pefa_pi2_composition", p)),
        }
    }

    /// The bands of the built-in rule pack, as shipped.
    pub fn builtin() -> Bands {
        // An empty set: every band falls back to the built-in pack's.
        Bands::from_rules(&crate::rules::RuleSet { rules: vec![] })
    }

    /// The colour of spending `behind` time progress: red, yellow or green.
    pub fn lag(&self, behind_pp: Option<f64>) -> &'static str {
        match behind_pp {
            Some(b) if b >= self.lag_red_pp => "red",
            Some(b) if b >= self.lag_yellow_pp => "yellow",
            _ => "green",
        }
    }

    /// The risk band of a debt ratio.
    pub fn debt(&self, ratio: Option<f64>) -> &'static str {
        match ratio {
            Some(r) if r >= self.debt_red_pct => "red",
            Some(r) if r >= self.debt_orange_pct => "orange",
            Some(r) if r >= self.debt_yellow_pct => "yellow",
            Some(_) => "green",
            None => "none",
        }
    }
}

fn kind_exec(rows: Vec<Vec<Val>>, progress: f64) -> Vec<KindExec> {
    rows.into_iter()
        .map(|r| {
            let (budget, ytd) = (r[1].money(), r[2].money());
            let rate = ratio(ytd, budget);
            KindExec {
                budget_kind: r[0].text(),
                budget,
                ytd,
                rate,
                behind_pp: rate.map(|x| progress - x),
            }
        })
        .collect()
}

fn p(period: &str) -> Vec<(&'static str, ScalarValue)> {
    vec![("period", ScalarValue::from(period))]
}

/// Computes the cockpit for `period` from the warehouse.
pub async fn cockpit(ctx: &SessionContext, month: Period, bands: &Bands) -> Result<Cockpit> {
    let (year, progress) = (month.year(), month.time_progress());
    let text = month.to_string();
    let period = text.as_str();
    let budgets = fetch(
        ctx,
        "SELECT budget_kind, sum(adjusted_budget), sum(ytd_amount) FROM budget_execution \
         WHERE period = $period AND is_detail GROUP BY budget_kind ORDER BY sum(adjusted_budget) DESC",
        &p(period),
    )
    .await?;
    let revenue = fetch(
        ctx,
        "SELECT budget_kind, sum(coalesce(adjusted_budget, initial_budget)), sum(ytd_amount) FROM revenue \
         WHERE period = $period AND is_detail GROUP BY budget_kind ORDER BY sum(coalesce(adjusted_budget, initial_budget)) DESC",
        &p(period),
    )
    .await?;
    let depts = fetch(
        ctx,
        "SELECT coalesce(dept_code, dept_name, ''), max(dept_name), sum(adjusted_budget) AS b, sum(ytd_amount) AS y \
         FROM budget_execution WHERE period = $period AND is_detail GROUP BY coalesce(dept_code, dept_name, '') \
         HAVING sum(adjusted_budget) > 0 \
         ORDER BY CAST(sum(ytd_amount) AS DOUBLE) / CAST(sum(adjusted_budget) AS DOUBLE), 1 LIMIT 8",
        &p(period),
    )
    .await?;
    let funds = fetch(
        ctx,
        "SELECT count(*), sum(issued_amount), sum(allocated_amount), sum(disbursed_amount), sum(spent_amount) \
         FROM special_funds WHERE period = $period",
        &p(period),
    )
    .await?;
    let debt = fetch(
        ctx,
        "SELECT region_code, max(region_name), sum(debt_balance), sum(debt_limit), max(fiscal_capacity) \
         FROM debt WHERE period = $period GROUP BY region_code ORDER BY region_code",
        &p(period),
    )
    .await?;
    let soe = fetch(
        ctx,
        "SELECT count(*), sum(total_assets), sum(total_liabilities), sum(profit), sum(prior_profit) \
         FROM soe_finance WHERE period = $period",
        &p(period),
    )
    .await?;
    let soe_top = fetch(
        ctx,
        "SELECT enterprise_name, 100.0 * CAST(total_liabilities AS DOUBLE) / CAST(total_assets AS DOUBLE) AS lev, \
                CASE WHEN coalesce(is_industrial, false) THEN $industrial ELSE $other END AS warn, profit \
         FROM soe_finance WHERE period = $period AND total_assets > 0 ORDER BY lev DESC, enterprise_name",
        &[
            ("period", ScalarValue::from(period)),
            ("industrial", ScalarValue::from(bands.soe_industrial_pct)),
            ("other", ScalarValue::from(bands.soe_other_pct)),
        ],
    )
    .await?;
    let indicators = fetch(
        ctx,
        "WITH i AS (SELECT coalesce(indicator_code, indicator_name) AS code, max(indicator_name) AS name, \
                max(unit) AS unit, max(CAST(ytd_yoy AS DOUBLE)) AS g \
              FROM indicators WHERE period = $period GROUP BY coalesce(indicator_code, indicator_name)), \
              t AS (SELECT indicator_code, indicator_name, max(CAST(target_value AS DOUBLE)) AS target FROM targets \
              WHERE year = $year AND coalesce(target_kind, 'growth') = 'growth' GROUP BY indicator_code, indicator_name) \
         SELECT i.code, i.name, i.unit, i.g, max(t.target) FROM i LEFT JOIN t \
           ON (i.code = t.indicator_code OR i.name = t.indicator_name) \
         GROUP BY i.code, i.name, i.unit, i.g ORDER BY i.code",
        &[
            ("period", ScalarValue::from(period)),
            ("year", ScalarValue::from(year as i64)),
        ],
    )
    .await?;
    let trend = execution_trend(ctx, month, &Scope::default()).await?;

    let f = funds.first();
    let s = soe.first();
    let top: Vec<SoeLine> = soe_top
        .iter()
        .map(|r| SoeLine {
            name: r[0].text(),
            leverage: r[1].num().unwrap_or(0.0),
            warning: r[2].num().unwrap_or(bands.soe_other_pct),
            profit: r[3].money(),
        })
        .collect();
    let soe = SoeSummary {
        enterprises: s.map(|r| r[0].int()).unwrap_or(0),
        assets: s.map(|r| r[1].money()).unwrap_or_default(),
        liabilities: s.map(|r| r[2].money()).unwrap_or_default(),
        leverage: s.and_then(|r| ratio(r[2].money(), r[1].money())),
        profit: s.map(|r| r[3].money()).unwrap_or_default(),
        prior_profit: s.map(|r| r[4].money()).unwrap_or_default(),
        profit_change: s.and_then(|r| {
            let prior = r[4].money();
            (prior.0 > 0).then(|| 100.0 * (r[3].money().0 - prior.0) as f64 / prior.0 as f64)
        }),
        above_warning_line: top.iter().filter(|l| l.leverage >= l.warning).count() as i64,
        top: top.into_iter().take(8).collect(),
    };
    Ok(Cockpit {
        period: period.to_string(),
        bands: bands.clone(),
        time_progress: progress,
        budgets: kind_exec(budgets, progress),
        revenue: kind_exec(revenue, progress),
        lagging_depts: depts.into_iter().map(|r| unit_exec(&r, progress)).collect(),
        funds: FundsFlow {
            funds: f.map(|r| r[0].int()).unwrap_or(0),
            issued: f.map(|r| r[1].money()).unwrap_or_default(),
            allocated: f.map(|r| r[2].money()).unwrap_or_default(),
            disbursed: f.map(|r| r[3].money()).unwrap_or_default(),
            spent: f.map(|r| r[4].money()).unwrap_or_default(),
        },
        debt: debt
            .into_iter()
            .map(|r| {
                let ratio = ratio(r[2].money(), r[4].money());
                DebtRegion {
                    region_code: r[0].text(),
                    region_name: r[1].text(),
                    balance: r[2].money(),
                    limit: r[3].money(),
                    capacity: r[4].money(),
                    ratio,
                    band: bands.debt(ratio),
                }
            })
            .collect(),
        soe,
        indicators: indicators
            .into_iter()
            .map(|r| {
                let (g, t) = (r[3].num(), r[4].num());
                IndicatorVsTarget {
                    code: r[0].text(),
                    name: r[1].text(),
                    unit: r[2].text(),
                    ytd_yoy: g,
                    target: t,
                    gap: g.zip(t).map(|(g, t)| g - t),
                }
            })
            .collect(),
        trend,
    })
}

fn unit_exec(r: &[Val], progress: f64) -> UnitExec {
    let (budget, ytd) = (r[2].money(), r[3].money());
    let rate = ratio(ytd, budget);
    UnitExec {
        code: r[0].text(),
        name: r[1].text(),
        budget,
        ytd,
        rate,
        behind_pp: rate.map(|x| progress - x),
    }
}

/// A department is its code, or its name where extracts carry no code (many do not).
const DEPT_KEY: &str = "coalesce(dept_code, dept_name, '')";
const AGENCY_KEY: &str = "coalesce(agency_code, agency_name, '')";

/// Where a drill-down stands: each field narrows the one before.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Scope {
    pub region: Option<String>,
    pub dept: Option<String>,
    pub agency: Option<String>,
    pub project: Option<String>,
}

impl Scope {
    /// The level below this scope: what the rows of its table are.
    pub fn next_level(&self) -> Level {
        match (&self.region, &self.dept, &self.agency, &self.project) {
            (None, ..) => Level::Region,
            (Some(_), None, ..) => Level::Dept,
            (Some(_), Some(_), None, _) => Level::Agency,
            (Some(_), Some(_), Some(_), None) => Level::Project,
            _ => Level::Rows,
        }
    }

    fn where_sql(&self) -> (String, Vec<(&'static str, ScalarValue)>) {
        let mut w = String::new();
        let mut params = Vec::new();
        for (col, name, v) in [
            ("region_code", "region", &self.region),
            (DEPT_KEY, "dept", &self.dept),
            (AGENCY_KEY, "agency", &self.agency),
            ("coalesce(project_code, '')", "project", &self.project),
        ] {
            if let Some(v) = v {
                w.push_str(&format!(" AND {col} = ${name}"));
                params.push((name, ScalarValue::from(v.as_str())));
            }
        }
        (w, params)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DrillLevel)]
pub enum Level {
    Region,
    Dept,
    Agency,
    Project,
    Rows,
}

impl Level {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Level::Region => ("region_code", "max(region_name)"),
            Level::Dept => (DEPT_KEY, "max(dept_name)"),
            Level::Agency => (AGENCY_KEY, "max(agency_name)"),
            _ => ("coalesce(project_code, '')", "max(project_name)"),
        }
    }
}

/// One level of the drill-down.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Drill {
    pub period: String,
    pub scope: Scope,
    pub level: Level,
    pub time_progress: f64,
    /// Name of each scope element, in order (region, department, unit, project).
    pub names: Vec<String>,
    pub total: UnitExec,
    pub rows: Vec<UnitExec>,
    /// Source rows (only at the `rows` level): the columns and the values.
    pub detail_columns: Vec<String>,
    pub detail: Vec<Vec<String>>,
    pub trend: Vec<(String, Option<f64>)>,
}

/// Execution rate of the scope for the 12 months up to `period` (missing months are `None`).
pub async fn execution_trend(
    ctx: &SessionContext,
    month: Period,
    scope: &Scope,
) -> Result<Vec<(String, Option<f64>)>> {
    let months: Vec<String> = month.last(12).iter().map(Period::to_string).collect();
    let text = month.to_string();
    let period = text.as_str();
    let (w, mut params) = scope.where_sql();
    params.push(("first", ScalarValue::from(months[0].as_str())));
    params.push(("last", ScalarValue::from(period)));
    let rows = fetch(
        ctx,
        &format!(
            "SELECT period, sum(adjusted_budget), sum(ytd_amount) FROM budget_execution \
             WHERE period >= $first AND period <= $last AND is_detail{w} GROUP BY period"
        ),
        &params,
    )
    .await?;
    Ok(months
        .into_iter()
        .map(|m| {
            let r = rows.iter().find(|r| r[0].text() == m);
            let rate = r.and_then(|r| ratio(r[2].money(), r[1].money()));
            (m, rate)
        })
        .collect())
}

/// The drill-down table for a scope: the rows of the next level down, or the source rows.
pub async fn drill(ctx: &SessionContext, month: Period, scope: &Scope) -> Result<Drill> {
    let progress = month.time_progress();
    let text = month.to_string();
    let period = text.as_str();
    let level = scope.next_level();
    let (w, mut params) = scope.where_sql();
    params.push(("period", ScalarValue::from(period)));
    let names_row = fetch(
        ctx,
        &format!(
            "SELECT max(region_name), max(dept_name), max(agency_name), max(project_name), \
             '' AS c, '' AS n, sum(adjusted_budget), sum(ytd_amount) FROM budget_execution \
             WHERE period = $period AND is_detail{w}"
        ),
        &params,
    )
    .await?;
    let nr = names_row.first().cloned().unwrap_or_default();
    let depth = [&scope.region, &scope.dept, &scope.agency, &scope.project]
        .iter()
        .filter(|x| x.is_some())
        .count();
    let names: Vec<String> = nr.iter().take(depth).map(Val::text).collect();
    let total = if nr.len() == 8 {
        unit_exec(&nr[4..], progress)
    } else {
        unit_exec(
            &[
                Val::Null,
                Val::Null,
                Val::Money(Money(0)),
                Val::Money(Money(0)),
            ],
            progress,
        )
    };
    let mut d = Drill {
        period: period.to_string(),
        scope: scope.clone(),
        level,
        time_progress: progress,
        names,
        total,
        rows: vec![],
        detail_columns: vec![],
        detail: vec![],
        trend: execution_trend(ctx, month, scope).await?,
    };
    if level == Level::Rows {
        let cols = [
            "func_code",
            "func_name",
            "gov_econ_code",
            "gov_econ_name",
            "budget_kind",
            "fund_nature",
            "adjusted_budget",
            "month_amount",
            "ytd_amount",
            "load_id",
            "source_row",
        ];
        // Each row with the file it came from; `purse_loads` exists once anything was loaded.
        // Only `load_id` is in both tables, so the selected columns are qualified.
        let (file, join) = if ctx.table_exist("purse_loads")? {
            ("l.file", "LEFT JOIN purse_loads l ON l.load_id = b.load_id")
        } else {
            ("''", "")
        };
        let select: Vec<String> = cols.iter().map(|c| format!("b.{c}")).collect();
        let rows = fetch(
            ctx,
            &format!(
                "SELECT {}, {file} AS file FROM budget_execution b {join} WHERE period = $period{w} \
                 ORDER BY func_code, gov_econ_code, source_row",
                select.join(", ")
            ),
            &params,
        )
        .await?;
        d.detail_columns = cols.iter().map(|c| c.to_string()).collect();
        d.detail_columns.push("file".into());
        d.detail = rows
            .iter()
            .map(|r| r.iter().map(Val::text).collect())
            .collect();
        return Ok(d);
    }
    let (code, name) = level.columns();
    let rows = fetch(
        ctx,
        &format!(
            "SELECT {code}, {name}, sum(adjusted_budget), sum(ytd_amount) FROM budget_execution \
             WHERE period = $period AND is_detail{w} GROUP BY {code} ORDER BY 1"
        ),
        &params,
    )
    .await?;
    d.rows = rows.iter().map(|r| unit_exec(r, progress)).collect();
    Ok(d)
}

/// Periods with budget execution data, newest first.
/// The months with data in any of `datasets` (monthly ones), newest first. The web passes every
/// monthly dataset of its catalog, so a warehouse that holds only indicators (or payments) so far
/// opens at their newest month, not at "no data loaded yet"; a projection asks for execution.
pub async fn periods(ctx: &SessionContext, datasets: &[&str]) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    for name in datasets {
        if ctx.table_exist(*name)? {
            parts.push(format!(
                "SELECT DISTINCT period FROM {name} WHERE length(period) = 7"
            ));
        }
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT period FROM ({}) p ORDER BY period DESC",
        parts.join(" UNION ALL ")
    );
    let rows = fetch(ctx, &sql, &[]).await?;
    Ok(rows.iter().map(|r| r[0].text()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bands come from the rules' SQL headers (execution_lag 10/20 pp, debt_ratio
    /// 120/200/300 %, soe_leverage 70/75 % + 5 pp, projected_execution 85 %), a deployment's
    /// override wins, a rule it turned off keeps its parameters, and a pack without the rule
    /// colours its figure as the built-in pack says.
    #[test]
    fn bands_follow_the_rules_and_fall_back_to_the_built_in_pack() {
        let catalog = crate::datasets::Catalog::builtin();
        let set = crate::rules::RuleSet::builtin(&catalog, &Default::default()).unwrap();
        let b = Bands::from_rules(&set);
        assert_eq!(
            (b.lag_yellow_pp, b.lag_red_pp),
            (10.0, 20.0),
            "execution_lag"
        );
        assert_eq!(
            (b.debt_yellow_pct, b.debt_orange_pct, b.debt_red_pct),
            (120.0, 200.0, 300.0)
        );
        assert_eq!(
            (b.soe_industrial_pct, b.soe_other_pct, b.soe_control_pp),
            (70.0, 75.0, 5.0)
        );
        assert_eq!(b.projected_pct, 85.0);
        assert_eq!(
            b.pi1_pp,
            [5.0, 10.0, 15.0],
            "PEFA PI-1: A 95–105, B 90–110, C 85–115"
        );
        assert_eq!(
            b.pi2_pct,
            [5.0, 10.0, 15.0],
            "PEFA PI-2.1: A < 5, B < 10, C < 15"
        );
        assert_eq!(Bands::builtin().pi1_pp, b.pi1_pp);
        let overrides: std::collections::BTreeMap<String, toml::Table> =
            toml::from_str("[execution_lag]\nyellow_pp = 12\n[debt_ratio]\nenabled = false\n")
                .unwrap();
        let mut set = crate::rules::RuleSet::builtin(&catalog, &overrides).unwrap();
        assert!(!set.get("debt_ratio").unwrap().enabled, "turned off");
        let b = Bands::from_rules(&set);
        assert_eq!((b.lag_yellow_pp, b.lag_red_pp), (12.0, 20.0));
        assert_eq!(
            (b.debt_yellow_pct, b.debt_orange_pct, b.debt_red_pct),
            (120.0, 200.0, 300.0)
        );
        // A deployment's own pack without the rule at all: the built-in pack's bands.
        set.rules.retain(|r| r.id != "debt_ratio");
        let b = Bands::from_rules(&set);
        assert_eq!((b.lag_yellow_pp, b.lag_red_pp), (12.0, 20.0));
        assert_eq!(
            (b.debt_yellow_pct, b.debt_orange_pct, b.debt_red_pct),
            (120.0, 200.0, 300.0)
        );
    }

    #[test]
    fn scope_levels() {
        let mut s = Scope::default();
        assert_eq!(s.next_level(), Level::Region);
        s.region = Some("990100".into());
        assert_eq!(s.next_level(), Level::Dept);
        s.dept = Some("101".into());
        s.agency = Some("101001".into());
        assert_eq!(s.next_level(), Level::Project);
        s.project = Some(String::new());
        assert_eq!(s.next_level(), Level::Rows);
    }
}
