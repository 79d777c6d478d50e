//! 资金流向, the money trail (广东's 何时拨、拨给谁、怎么用): from a unit, a project, a budget
//! line, a payee or an alert to the treasury payments behind it, who was paid, and the budget
//! line and 指标 each payment drew on.
//!
//! A trail covers the fiscal year up to a month (January to the month, as execution is
//! reported), reads through the caller's bounded engine (a scoped user follows money only
//! inside their reach), and binds every value as a parameter. It asks only for what the
//! payments dataset holds; the budget line beside each group is read from budget execution
//! of the same month when that is loaded, and is absent (not zero) where no line matches,
//! which is itself worth seeing (no_budget's business).

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::{Deserialize, Serialize};

use crate::alerts::Alert;
use crate::common::{Money, Period, Val};
use crate::error::Result;
use crate::figures::fetch;

/// What to follow: every field narrows the trail; `None` leaves it open. `func` and `econ`
/// match a code and everything under it (`213` is all of 农林水, `302` all goods and services).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Trace {
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub agency: Option<String>,
    /// A project code; the empty string follows payments on no project (basic expenditure).
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub func: Option<String>,
    #[serde(default)]
    pub econ: Option<String>,
    #[serde(default)]
    pub payee: Option<String>,
    /// 指标编号 (the budget quota a payment drew on).
    #[serde(default)]
    pub quota: Option<String>,
}

impl Trace {
    /// Blank fields (a form's empty inputs) are open, except `project`, where empty means
    /// "no project" once a unit is named (as in the drill-down).
    pub fn cleaned(mut self) -> Trace {
        for f in [
            &mut self.region,
            &mut self.agency,
            &mut self.func,
            &mut self.econ,
            &mut self.payee,
            &mut self.quota,
        ] {
            if f.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *f = None;
            }
        }
        if self.agency.is_none() && self.project.as_deref() == Some("") {
            self.project = None;
        }
        self
    }

    /// Each field by its query name, in the order a link writes them (the page's link, its
    /// period picker and its heading all go through this one list).
    pub fn fields(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("region", self.region.as_deref()),
            ("agency", self.agency.as_deref()),
            ("project", self.project.as_deref()),
            ("func", self.func.as_deref()),
            ("econ", self.econ.as_deref()),
            ("payee", self.payee.as_deref()),
            ("quota", self.quota.as_deref()),
        ]
    }

    /// Names something narrower than a whole region: a trail of every payment of a region is
    /// the console's job, not a click's.
    pub fn is_narrow(&self) -> bool {
        self.agency.is_some()
            || self.project.as_deref().is_some_and(|p| !p.is_empty())
            || self.func.is_some()
            || self.econ.is_some()
            || self.payee.is_some()
            || self.quota.is_some()
    }

    /// The trail behind an alert, read from its rule's key (`key` = the rule's key columns,
    /// in order, as the alert's key joins their values): a unit, a project, an economic or
    /// functional code, a payee or a quota. `None` where the finding is about nothing the
    /// payments name (a region's debt ratio, an enterprise, an indicator).
    pub fn of_alert(alert: &Alert, key: &[String]) -> Option<Trace> {
        Trace::of_finding(
            alert.region_code.as_deref(),
            alert.agency_code.as_deref(),
            &alert.alert_key,
            key,
        )
    }

    /// [`Trace::of_alert`] from a finding's parts: its region and unit (where the alert store
    /// keeps them), its key text and its rule's key columns.
    pub fn of_finding(
        region: Option<&str>,
        agency: Option<&str>,
        alert_key: &str,
        key: &[String],
    ) -> Option<Trace> {
        let values: Vec<&str> = alert_key.split('|').collect();
        let given = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(String::from);
        let mut t = Trace {
            region: given(region),
            agency: given(agency),
            ..Trace::default()
        };
        if values.len() != key.len() {
            return t.is_narrow().then_some(t);
        }
        for (k, v) in key.iter().zip(values) {
            let v = Some(v.to_string()).filter(|v| !v.is_empty());
            match k.as_str() {
                "region_code" => t.region = v.or(t.region),
                "agency_code" => t.agency = v.or(t.agency),
                // A line with no project is named by its empty project code.
                "project_code" => t.project = Some(v.unwrap_or_default()),
                "dept_econ_code" | "econ_code" => t.econ = v,
                "func_code" | "func_class" => t.func = v,
                "payee" => t.payee = v,
                "quota_id" => t.quota = v,
                _ => {}
            }
        }
        let t = t.cleaned();
        t.is_narrow().then_some(t)
    }

    fn where_sql(&self, alias: &str) -> (String, Vec<(&'static str, ScalarValue)>) {
        let mut w = String::new();
        let mut params = Vec::new();
        let mut add = |cond: String, name: &'static str, v: &str| {
            w.push_str(&format!(" AND {cond}"));
            params.push((name, ScalarValue::from(v)));
        };
        let c = |col: &str| format!("{alias}{col}");
        if let Some(v) = &self.region {
            add(format!("{} = $region", c("region_code")), "region", v);
        }
        if let Some(v) = &self.agency {
            add(format!("{} = $agency", c("agency_code")), "agency", v);
        }
        if let Some(v) = &self.project {
            add(
                format!("coalesce({}, '') = $project", c("project_code")),
                "project",
                v,
            );
        }
        if let Some(v) = &self.func {
            add(format!("starts_with({}, $func)", c("func_code")), "func", v);
        }
        if let Some(v) = &self.econ {
            add(format!("starts_with({}, $econ)", c("econ_code")), "econ", v);
        }
        if let Some(v) = &self.payee {
            add(format!("{} = $payee", c("payee")), "payee", v);
        }
        if let Some(v) = &self.quota {
            add(format!("{} = $quota", c("quota_id")), "quota", v);
        }
        (w, params)
    }
}

/// The payments of one budget line (unit, function, economic code, project) and quota, with
/// the line's budget and spending as execution reports them for the month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailLine {
    pub region_code: String,
    pub agency_code: String,
    pub agency_name: String,
    pub func_code: String,
    pub econ_code: String,
    pub econ_name: String,
    pub project_code: String,
    pub project_name: String,
    pub quota_id: String,
    pub payments: i64,
    pub paid: Money,
    /// The matching execution line's adjusted budget; absent where no line matches.
    pub adjusted_budget: Option<Money>,
    /// The matching execution line's year-to-date spending.
    pub ytd_amount: Option<Money>,
}

/// One payee of the trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailPayee {
    pub payee: String,
    pub payee_account: String,
    pub payments: i64,
    pub paid: Money,
    pub first_date: String,
    pub last_date: String,
}

/// One payment, with the file and row it was loaded from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailPayment {
    pub pay_date: String,
    pub voucher_no: String,
    pub agency_code: String,
    pub agency_name: String,
    pub payee: String,
    pub amount: Money,
    pub func_code: String,
    pub econ_code: String,
    pub project_code: String,
    pub purpose: String,
    pub pay_method: String,
    pub is_direct: String,
    pub quota_id: String,
    pub file: String,
    pub source_row: String,
}

/// The money trail of a [`Trace`] from January to `period`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trail {
    pub from: String,
    pub period: String,
    pub trace: Trace,
    pub payments: i64,
    pub paid: Money,
    /// Of which 直达资金 (payments flagged as direct funds).
    pub direct_paid: Money,
    pub payees_count: i64,
    /// By budget line and quota, largest first (at most [`Trail::LINES`]).
    pub lines: Vec<TrailLine>,
    /// By payee, largest first (at most [`Trail::PAYEES`]).
    pub payees: Vec<TrailPayee>,
    /// The payments, oldest first (at most [`Trail::ROWS`]; `payments` says how many in all).
    pub rows: Vec<TrailPayment>,
}

impl Trail {
    pub const LINES: usize = 50;
    pub const PAYEES: usize = 20;
    pub const ROWS: usize = 200;
}

/// Follows `trace` through the payments of `period`'s year up to `period`.
pub async fn trail(ctx: &SessionContext, period: Period, trace: &Trace) -> Result<Trail> {
    let from = period.back(period.month() - 1).to_string();
    let mut t = Trail {
        from: from.clone(),
        period: period.to_string(),
        trace: trace.clone(),
        payments: 0,
        paid: Money(0),
        direct_paid: Money(0),
        payees_count: 0,
        lines: vec![],
        payees: vec![],
        rows: vec![],
    };
    if !ctx.table_exist("payments")? {
        return Ok(t);
    }
    let (w, mut params) = trace.where_sql("p.");
    params.push(("from", ScalarValue::from(from.as_str())));
    params.push(("period", ScalarValue::from(t.period.as_str())));
    let range = format!("p.period >= $from AND p.period <= $period{w}");
    let totals = fetch(
        ctx,
        &format!(
            "SELECT count(*), sum(p.amount), sum(CASE WHEN p.is_direct THEN p.amount END), \
             count(DISTINCT p.payee) FROM payments p WHERE {range}"
        ),
        &params,
    )
    .await?;
    if let Some(r) = totals.first() {
        t.payments = r[0].int();
        t.paid = r[1].money();
        t.direct_paid = r[2].money();
        t.payees_count = r[3].int();
    }
    if t.payments == 0 {
        return Ok(t);
    }
    // The budget line each group drew on: execution's detail rows of the same month, matched
    // on unit, function, departmental economic code and project.
    let (line_join, line_cols) = if ctx.table_exist("budget_execution")? {
        (
            "LEFT JOIN (SELECT region_code, agency_code, func_code, dept_econ_code, \
             coalesce(project_code, '') AS project_code, sum(adjusted_budget) AS adjusted_budget, \
             sum(ytd_amount) AS ytd_amount FROM budget_execution WHERE period = $period AND is_detail \
             GROUP BY region_code, agency_code, func_code, dept_econ_code, coalesce(project_code, '')) b \
             ON b.region_code = g.region_code AND b.agency_code = g.agency_code \
             AND b.func_code = g.func_code AND b.dept_econ_code = g.econ_code \
             AND b.project_code = g.project_code",
            "b.adjusted_budget, b.ytd_amount",
        )
    } else {
        ("", "NULL, NULL")
    };
    let lines = fetch(
        ctx,
        &format!(
            "SELECT g.region_code, g.agency_code, g.agency_name, g.func_code, g.econ_code, \
             g.econ_name, g.project_code, g.project_name, g.quota_id, g.n, g.paid, {line_cols} \
             FROM (SELECT p.region_code, p.agency_code, max(p.agency_name) AS agency_name, \
             p.func_code, p.econ_code, max(p.econ_name) AS econ_name, \
             coalesce(p.project_code, '') AS project_code, max(p.project_name) AS project_name, \
             coalesce(p.quota_id, '') AS quota_id, count(*) AS n, sum(p.amount) AS paid \
             FROM payments p WHERE {range} GROUP BY p.region_code, p.agency_code, p.func_code, \
             p.econ_code, coalesce(p.project_code, ''), coalesce(p.quota_id, '')) g {line_join} \
             ORDER BY g.paid DESC, g.agency_code, g.func_code, g.econ_code, g.project_code, \
             g.quota_id LIMIT {}",
            Trail::LINES
        ),
        &params,
    )
    .await?;
    let opt = |v: &Val| (!matches!(v, Val::Null)).then(|| v.money());
    t.lines = lines
        .iter()
        .map(|r| TrailLine {
            region_code: r[0].text(),
            agency_code: r[1].text(),
            agency_name: r[2].text(),
            func_code: r[3].text(),
            econ_code: r[4].text(),
            econ_name: r[5].text(),
            project_code: r[6].text(),
            project_name: r[7].text(),
            quota_id: r[8].text(),
            payments: r[9].int(),
            paid: r[10].money(),
            adjusted_budget: opt(&r[11]),
            ytd_amount: opt(&r[12]),
        })
        .collect();
    let payees = fetch(
        ctx,
        &format!(
            "SELECT p.payee, max(p.payee_account), count(*), sum(p.amount), \
             CAST(min(p.pay_date) AS VARCHAR), CAST(max(p.pay_date) AS VARCHAR) \
             FROM payments p WHERE {range} GROUP BY p.payee ORDER BY 4 DESC, 1 LIMIT {}",
            Trail::PAYEES
        ),
        &params,
    )
    .await?;
    t.payees = payees
        .iter()
        .map(|r| TrailPayee {
            payee: r[0].text(),
            payee_account: r[1].text(),
            payments: r[2].int(),
            paid: r[3].money(),
            first_date: r[4].text(),
            last_date: r[5].text(),
        })
        .collect();
    // Each payment with the file it came from (`purse_loads` exists once anything was loaded).
    let (file, join) = if ctx.table_exist("purse_loads")? {
        ("l.file", "LEFT JOIN purse_loads l ON l.load_id = p.load_id")
    } else {
        ("''", "")
    };
    let rows = fetch(
        ctx,
        &format!(
            "SELECT CAST(p.pay_date AS VARCHAR) AS pay_day, p.voucher_no, p.agency_code, p.agency_name, \
             p.payee, p.amount, p.func_code, p.econ_code, p.project_code, p.purpose, p.pay_method, \
             p.is_direct, p.quota_id, {file}, p.source_row FROM payments p {join} WHERE {range} \
             ORDER BY p.pay_date, p.voucher_no, p.source_row LIMIT {}",
            Trail::ROWS
        ),
        &params,
    )
    .await?;
    t.rows = rows
        .iter()
        .map(|r| TrailPayment {
            pay_date: r[0].text(),
            voucher_no: r[1].text(),
            agency_code: r[2].text(),
            agency_name: r[3].text(),
            payee: r[4].text(),
            amount: r[5].money(),
            func_code: r[6].text(),
            econ_code: r[7].text(),
            project_code: r[8].text(),
            purpose: r[9].text(),
            pay_method: r[10].text(),
            is_direct: match &r[11] {
                Val::Bool(true) => "是".into(),
                Val::Bool(false) => "否".into(),
                _ => String::new(),
            },
            quota_id: r[12].text(),
            file: r[13].text(),
            source_row: r[14].text(),
        })
        .collect();
    Ok(t)
}
