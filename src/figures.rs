//! The figures people look at: the cockpit (一屏纵览) for a period and the drill-down from region
//! to source rows. Both the web pages and the monthly report ask for them here, so a number on
//! the screen and the same number in the report come from one query.
//!
//! Money stays exact ([`Money`], fen in an `i128`) until it is printed; ratios are `f64` because
//! they are only ever shown, never summed.

use std::fmt;

use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Decimal128Array, Float64Array, Int32Array, Int64Array,
    RecordBatch,
};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::{Serialize, Serializer};

use crate::error::Result;

/// An exact amount of money in fen (0.01 元).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i128);

/// In the API: a decimal string in 元 with two places, exact (never a float).
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?\d+\.\d{2}$"))
            .description(Some("exact amount in yuan (元), two decimals"))
            .examples([serde_json::json!("1234567.89")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Money {
    /// 元 with two decimals, exact: `1234567.89`.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }

    /// 元 exactly, with thousands separators and the unit: `195,060.78元` (a payment in a table
    /// of payments, where 万元 to two decimals would make four different amounts read alike).
    pub fn yuan_grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}元", group(a / 100), a % 100)
    }

    /// 万元 rounded half away from zero to two decimals, with thousands separators: `123.46`.
    pub fn wan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        // fen → 万元 has 6 decimals; keep 2.
        let a = self.0.unsigned_abs();
        let cents_of_wan = (a + 5_000) / 10_000;
        format!(
            "{sign}{}.{:02}",
            group(cents_of_wan / 100),
            cents_of_wan % 100
        )
    }

    /// Exact 元 text (`-1234.5`, `34800000000.00`) → fen; `None` past two decimals or on junk.
    pub fn parse_yuan(s: &str) -> Option<Money> {
        let (v, scale) = parse_decimal(s)?;
        (scale <= 2).then(|| Money(v * 10i128.pow(2 - scale)))
    }

    /// What an analyst reads: 亿元 from one 亿, 万元 from one 万, else 元; two decimals rounded
    /// half away from zero, thousands separators: `348.00亿元`, `1,234.57万元`, `-830.00元`.
    pub fn readable(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (div, unit) = if a >= 10_000_000_000 {
            (100_000_000u128, "亿元")
        } else if a >= 1_000_000 {
            (10_000, "万元")
        } else {
            (1, "元")
        };
        let cents = (a + div / 2) / div;
        format!("{sign}{}.{:02}{unit}", group(cents / 100), cents % 100)
    }

    /// For charts only.
    pub fn as_wan_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

fn group(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

/// Money travels in JSON as an exact decimal string in 元.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.yuan())
    }
}

/// One cell of a figure query.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Int(i64),
    Money(Money),
    /// A decimal of another scale (rates, indices: Decimal128(18,4)), kept exact to the edge.
    Dec(i128, i8),
    Num(f64),
    Bool(bool),
}

/// Plain decimal text (`-12.50`, `+3`, `7.`) → (unscaled value, scale): 12.50 is (1250, 2).
/// `None` for exponents, separators, junk, or more than 30 digits.
pub fn parse_decimal(s: &str) -> Option<(i128, u32)> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() + frac.len() > 30
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let v: i128 = format!("{int}{frac}").parse().ok()?;
    Some((if neg { -v } else { v }, frac.len() as u32))
}

/// An exact decimal's text: (12345, 4) → `1.2345`, (-5, 2) → `-0.05`.
pub fn decimal_text(v: i128, scale: i8) -> String {
    if scale <= 0 {
        return (v * 10i128.pow((-scale) as u32)).to_string();
    }
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let p = 10u128.pow(scale as u32);
    format!("{sign}{}.{:0w$}", a / p, a % p, w = scale as usize)
}

impl Val {
    pub fn text(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Text(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Money(m) => m.yuan(),
            Val::Dec(v, scale) => decimal_text(*v, *scale),
            Val::Num(f) => format!("{f}"),
            Val::Bool(b) => b.to_string(),
        }
    }
    pub fn money(&self) -> Money {
        match self {
            Val::Money(m) => *m,
            Val::Int(i) => Money(*i as i128 * 100),
            _ => Money(0),
        }
    }
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Num(f) if f.is_finite() => Some(*f),
            Val::Int(i) => Some(*i as f64),
            Val::Money(m) => Some(m.0 as f64 / 100.0),
            Val::Dec(v, scale) => Some(*v as f64 / 10f64.powi(*scale as i32)),
            _ => None,
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }
}

/// Reads any batch into rows of [`Val`]. Decimals with scale 2 are money; other decimals stay
/// exact decimals; floats are numbers.
pub fn values(batches: &[RecordBatch]) -> Vec<Vec<Val>> {
    let mut out = Vec::new();
    for b in batches {
        let cols: Vec<Box<dyn Fn(usize) -> Val + '_>> = b
            .columns()
            .iter()
            .map(|c| column_reader(c.as_ref()))
            .collect();
        for r in 0..b.num_rows() {
            out.push(cols.iter().map(|f| f(r)).collect());
        }
    }
    out
}

fn column_reader(a: &dyn Array) -> Box<dyn Fn(usize) -> Val + '_> {
    let null = move |r: usize| a.is_null(r);
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::Int64 => {
            let x: &Int64Array = a.as_primitive::<Int64Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Int(x.value(r))
                }
            })
        }
        DataType::Int32 => {
            let x: &Int32Array = a.as_primitive::<Int32Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Int(x.value(r) as i64)
                }
            })
        }
        DataType::Float64 => {
            let x: &Float64Array = a.as_primitive::<Float64Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Num(x.value(r))
                }
            })
        }
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let x: &Decimal128Array = a.as_any().downcast_ref().expect("decimal128 array");
            Box::new(move |r| {
                if null(r) {
                    return Val::Null;
                }
                let v = x.value(r);
                if scale == 2 {
                    Val::Money(Money(v))
                } else {
                    Val::Dec(v, scale)
                }
            })
        }
        DataType::Boolean => {
            let x: &BooleanArray = a.as_boolean();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Bool(x.value(r))
                }
            })
        }
        _ => {
            use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
            let f = ArrayFormatter::try_new(a, &FormatOptions::default()).ok();
            Box::new(move |r| match (&f, null(r)) {
                (Some(f), false) => Val::Text(f.value(r).to_string()),
                _ => Val::Null,
            })
        }
    }
}

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

/// `YYYY-MM` → (year, month), refusing anything else.
pub fn split_period(p: &str) -> Result<(i32, u32)> {
    let p: crate::period::Period = p.parse()?;
    Ok((p.year(), p.month()))
}

/// The share of the year gone by the end of the period (序时进度), in %: month / 12.
pub fn time_progress(p: &str) -> Result<f64> {
    Ok(100.0 * split_period(p)?.1 as f64 / 12.0)
}

/// The period before, and the `n` periods up to and including `p`, oldest first.
pub fn prev_period(p: &str) -> Result<String> {
    Ok(p.parse::<crate::period::Period>()?.prev().to_string())
}

pub fn last_periods(p: &str, n: usize) -> Result<Vec<String>> {
    let mut v = vec![p.to_string()];
    while v.len() < n {
        let prev = prev_period(v.last().map(String::as_str).unwrap_or(p))?;
        v.push(prev);
    }
    v.reverse();
    Ok(v)
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
        }
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
pub async fn cockpit(ctx: &SessionContext, period: &str, bands: &Bands) -> Result<Cockpit> {
    let (year, _) = split_period(period)?;
    let progress = time_progress(period)?;
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
    let trend = execution_trend(ctx, period, &Scope::default()).await?;

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
    period: &str,
    scope: &Scope,
) -> Result<Vec<(String, Option<f64>)>> {
    let months = last_periods(period, 12)?;
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
pub async fn drill(ctx: &SessionContext, period: &str, scope: &Scope) -> Result<Drill> {
    let progress = time_progress(period)?;
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
        trend: execution_trend(ctx, period, scope).await?,
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
    fn decimals_of_other_scales_stay_exact() {
        assert_eq!(decimal_text(12345, 4), "1.2345");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(-123_456_789, 4), "-12345.6789");
        assert_eq!(decimal_text(7, 0), "7");
        assert_eq!(Val::Dec(10001, 4).text(), "1.0001");
    }

    #[test]
    fn money_reads_in_wan_and_yi() {
        let r = |s: &str| Money::parse_yuan(s).unwrap().readable();
        assert_eq!(r("34800000000.00"), "348.00亿元");
        assert_eq!(r("99999999.99"), "10,000.00万元");
        assert_eq!(r("100000000"), "1.00亿元");
        assert_eq!(r("12345678.9"), "1,234.57万元");
        assert_eq!(r("10000"), "1.00万元");
        assert_eq!(r("9999.99"), "9,999.99元");
        assert_eq!(r("-830.5"), "-830.50元");
        assert_eq!(r("-123456789012.00"), "-1,234.57亿元");
        assert_eq!(Money::parse_yuan("1.234"), None);
        assert_eq!(Money(19506078).yuan_grouped(), "195,060.78元");
        assert_eq!(Money(-123456789012).yuan_grouped(), "-1,234,567,890.12元");
        assert_eq!(Money::parse_yuan("1e5"), None);
        assert_eq!(Money::parse_yuan(""), None);
    }

    #[test]
    fn money_prints_exactly() {
        assert_eq!(Money(123_456_789).yuan(), "1234567.89");
        assert_eq!(Money(-5).yuan(), "-0.05");
        assert_eq!(Money(123_456_789_000).wan(), "123,456.79");
        assert_eq!(Money(4_999).wan(), "0.00");
        assert_eq!(Money(5_000).wan(), "0.01");
        assert_eq!(Money(-12_345_678_901).wan(), "-12,345.68");
    }

    #[test]
    fn periods_step_back_over_years() {
        assert_eq!(prev_period("2025-01").unwrap(), "2024-12");
        let v = last_periods("2025-03", 4).unwrap();
        assert_eq!(v, ["2024-12", "2025-01", "2025-02", "2025-03"]);
        assert!(split_period("2025-13").is_err());
        assert!(split_period("2025-1").is_err());
        assert!(split_period("x").is_err());
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
