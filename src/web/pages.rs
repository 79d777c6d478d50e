//! The pages: cockpit, drill-down, alerts and their workflow, rules, data and uploads, users and
//! reports. Each is a thin handler over the library; the JSON twin of each is in `api.rs`.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html::{a, csrf, level, num, page, select, table};
use super::{AppError, AppState, Auth, PageQuery, PageResult};
use crate::alerts::{Action, Alert, Filter, Status, allowed_actions};
use crate::charts::{self, Bar};
use crate::figures::{Level, Scope};
use crate::i18n::{Lang, esc, pct, term};
use crate::period::Period;
use crate::rules::Level as AlertLevel;
use crate::rules::{CATEGORIES, LEVELS};
use crate::users::Role;

type PageOut = Result<Html<String>, AppError>;

#[derive(Deserialize, Default)]
pub struct PeriodQ {
    #[serde(default, deserialize_with = "crate::period::optional")]
    pub period: Option<Period>,
}

fn period_picker(
    action: &str,
    periods: &[String],
    period: &str,
    lang: Lang,
    hidden: &str,
) -> String {
    let opts: Vec<(String, String)> = periods.iter().map(|p| (p.clone(), p.clone())).collect();
    format!(
        "<form method=get action={action} class=picker>{hidden}<label>{} {}</label> <button>{}</button></form>",
        lang.t("期间", "Period"),
        select("period", &opts, Some(period)),
        lang.t("查看", "Show")
    )
}

fn card(title: &str, href: &str, body: &str) -> String {
    format!(
        "<section class=card><h2><a href=\"{}\">{}</a></h2>{body}</section>",
        esc(href),
        esc(title)
    )
}

/// A query string of the given pairs, values percent-encoded; absent values are left out.
fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", super::auth::urlencode(v?))))
        .collect::<Vec<_>>()
        .join("&")
}

fn alert_href(q: &[(&str, &str)]) -> String {
    format!("/alerts?{}", query(q.iter().map(|(k, v)| (*k, Some(*v)))))
}

/// 一屏纵览: the whole picture of a period on one screen; every figure links to its detail.
/// Served from the page cache; only the frame (user, CSRF token) is made per request.
pub async fn cockpit(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<PeriodQ>,
) -> PageOut {
    let l = auth.lang;
    let period = st.period_or_latest(q.period).await.page()?;
    let body = st
        .cached(format!("cockpit/{}/{period}", l.code()), || {
            cockpit_body(&st, l, &period)
        })
        .await?;
    Ok(Html(page(
        &auth,
        "cockpit",
        l.t("一屏纵览", "Cockpit"),
        &format!("/cockpit?period={period}"),
        &body,
    )))
}

async fn cockpit_body(st: &AppState, l: Lang, period: &str) -> Result<String, AppError> {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let period = period.to_string();
    let periods = st.periods().await.page()?;
    let c = st.cockpit(&period).await.page()?;
    let prev = crate::figures::prev_period(&period).page()?;
    let p = period.clone();
    let (month, open) = st
        .alerts
        .read(move |store| {
            let open = Filter {
                open: true,
                ..Default::default()
            };
            Ok::<_, crate::PurseError>((store.month(&p, &prev)?, store.list(&open)?))
        })
        .await
        .page()?;
    let mut b = String::new();
    b.push_str(&format!(
        "<div class=titlebar><h1>{} {}</h1>{}<span class=progress>{} {:.1}%</span></div>",
        esc(&st.config.region_name),
        t("一屏纵览", "cockpit"),
        period_picker("/cockpit", &periods, &period, l, ""),
        t("序时进度", "time progress"),
        c.time_progress
    ));
    b.push_str("<div class=grid>");
    let drill = format!("/drill?period={period}");
    // Budgets
    let mut body = charts::hbars(
        t("支出执行率", "Spending against budget"),
        &crate::report::kind_bars(&c.budgets, &c.bands, l),
        Some((c.time_progress, t("序时进度", "time progress"))),
        "%",
    );
    let rows: Vec<Vec<String>> = c
        .budgets
        .iter()
        .map(|k| {
            vec![
                a(&drill, &term(&k.budget_kind, l)),
                num(&k.budget.wan()),
                num(&k.ytd.wan()),
                num(&pct(k.rate)),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            t("预算", "Budget"),
            t("调整预算(万元)", "Budget (10k)"),
            t("累计支出(万元)", "Spent (10k)"),
            t("执行率", "Rate"),
        ],
        &rows,
        "compact",
    ));
    b.push_str(&card(t("四本预算执行", "The four budgets"), &drill, &body));
    // Revenue
    let mut body = charts::hbars(
        t("收入完成率", "Revenue against budget"),
        &crate::report::kind_bars(&c.revenue, &c.bands, l),
        Some((c.time_progress, t("序时进度", "time progress"))),
        "%",
    );
    let rows: Vec<Vec<String>> = c
        .revenue
        .iter()
        .map(|k| {
            vec![
                esc(&term(&k.budget_kind, l)),
                num(&k.ytd.wan()),
                num(&pct(k.rate)),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            t("收入", "Revenue"),
            t("累计(万元)", "YTD (10k)"),
            t("完成率", "Rate"),
        ],
        &rows,
        "compact",
    ));
    b.push_str(&card(
        t("收入完成", "Revenue"),
        &alert_href(&[("rule", "revenue_outturn"), ("status", "")]),
        &body,
    ));
    // Departments behind
    let region = c
        .debt
        .first()
        .map(|d| d.region_code.clone())
        .unwrap_or_else(|| st.config.region_code.clone());
    let rows: Vec<Vec<String>> = c
        .lagging_depts
        .iter()
        .map(|d| {
            vec![
                a(
                    &format!("/drill?period={period}&region={region}&dept={}", d.code),
                    &d.name,
                ),
                num(&pct(d.rate)),
                num(&d.behind_pp.map(|x| format!("{x:.1}")).unwrap_or_default()),
            ]
        })
        .collect();
    b.push_str(&card(
        t("执行最慢的部门", "Departments furthest behind"),
        &drill,
        &table(
            &[
                t("部门", "Department"),
                t("执行率", "Rate"),
                t("落后(百分点)", "Behind (pp)"),
            ],
            &rows,
            "compact",
        ),
    ));
    // Special funds
    let f = &c.funds;
    let bars = vec![
        Bar {
            label: t("下达", "issued").into(),
            value: f.issued.as_wan_f64(),
            colour: Some("grey"),
        },
        Bar {
            label: t("分配", "allocated").into(),
            value: f.allocated.as_wan_f64(),
            colour: None,
        },
        Bar {
            label: t("拨付", "disbursed").into(),
            value: f.disbursed.as_wan_f64(),
            colour: None,
        },
        Bar {
            label: t("支出", "spent").into(),
            value: f.spent.as_wan_f64(),
            colour: Some("green"),
        },
    ];
    let body = format!(
        "{}<p class=note>{} {} · {} {}</p>",
        charts::vbars(t("专项资金(万元)", "Special funds (10k yuan)"), &bars),
        f.funds,
        t("项资金", "funds"),
        t("支出/下达", "spent/issued"),
        pct((f.issued.0 != 0).then(|| 100.0 * f.spent.0 as f64 / f.issued.0 as f64))
    );
    b.push_str(&card(
        t(
            "专项资金 下达·分配·拨付·支出",
            "Special funds: issued, allocated, disbursed, spent",
        ),
        &alert_href(&[("rule", "idle_special_funds"), ("status", "")]),
        &body,
    ));
    // Debt
    let rows: Vec<Vec<String>> = c
        .debt
        .iter()
        .map(|d| {
            vec![
                esc(if d.region_name.is_empty() {
                    &d.region_code
                } else {
                    &d.region_name
                }),
                num(&d.balance.wan()),
                format!(
                    "<span class=\"badge {}\">{}</span>",
                    d.band,
                    esc(&pct(d.ratio))
                ),
            ]
        })
        .collect();
    b.push_str(&card(
        t("政府债务率", "Debt ratio"),
        &alert_href(&[("rule", "debt_ratio"), ("status", "")]),
        &table(
            &[
                t("地区", "Region"),
                t("余额(万元)", "Balance (10k)"),
                t("债务率", "Ratio"),
            ],
            &rows,
            "compact",
        ),
    ));
    // SOE
    let s = &c.soe;
    let bars: Vec<Bar> = s
        .top
        .iter()
        .take(5)
        .map(|x| Bar {
            label: x.name.clone(),
            value: x.leverage,
            colour: Some(if x.leverage >= x.warning {
                "red"
            } else {
                "green"
            }),
        })
        .collect();
    let body = format!(
        "<p>{} {} · {} {} · {} {}万元 ({})</p>{}",
        s.enterprises,
        t("户", "enterprises"),
        t("资产负债率", "leverage"),
        pct(s.leverage),
        t("利润", "profit"),
        s.profit.wan(),
        pct(s.profit_change),
        charts::hbars(
            t("资产负债率最高", "Highest leverage"),
            &bars,
            Some((
                c.bands.soe_industrial_pct,
                &format!("{}%", c.bands.soe_industrial_pct),
            )),
            "%"
        )
    );
    b.push_str(&card(
        t("国有企业 杠杆与利润", "SOE leverage and profit"),
        &alert_href(&[("category", "流量"), ("status", "")]),
        &body,
    ));
    // Indicators
    let rows: Vec<Vec<String>> = c
        .indicators
        .iter()
        .filter(|i| i.target.is_some())
        .map(|i| {
            let cls = match i.gap {
                Some(g) if g <= -1.0 => "red",
                Some(g) if g <= -0.5 => "yellow",
                _ => "green",
            };
            vec![
                esc(&i.name),
                num(&pct(i.ytd_yoy)),
                num(&pct(i.target)),
                format!(
                    "<span class=\"badge {cls}\">{}</span>",
                    i.gap.map(|g| format!("{g:+.2}")).unwrap_or_default()
                ),
            ]
        })
        .collect();
    b.push_str(&card(
        t("经济指标 对照年度目标", "Indicators against targets"),
        &alert_href(&[("rule", "indicator_deviation"), ("status", "")]),
        &table(
            &[
                t("指标", "Indicator"),
                t("累计增长", "YTD"),
                t("目标", "Target"),
                t("偏差", "Gap"),
            ],
            &rows,
            "compact",
        ),
    ));
    // Alerts
    let bars: Vec<Bar> = LEVELS
        .iter()
        .map(|lv| Bar {
            label: crate::i18n::level_label(lv, l),
            value: open.iter().filter(|a| a.level == *lv).count() as f64,
            colour: Some(match *lv {
                "红" => "red",
                "橙" => "orange",
                "黄" => "yellow",
                _ => "blue",
            }),
        })
        .collect();
    let mut m = String::from("<table class=compact><tr><th></th>");
    for cat in CATEGORIES {
        m.push_str(&format!("<th>{}</th>", esc(&term(cat, l))));
    }
    m.push_str("</tr>");
    for lv in LEVELS {
        m.push_str(&format!("<tr><td>{}</td>", level(lv, l)));
        for cat in CATEGORIES {
            let n = open
                .iter()
                .filter(|a| a.level == lv && a.category == cat)
                .count();
            m.push_str(&format!(
                "<td class=r>{}</td>",
                if n == 0 {
                    String::new()
                } else {
                    a(
                        &alert_href(&[("level", lv), ("category", cat), ("status", "open")]),
                        &n.to_string(),
                    )
                }
            ));
        }
        m.push_str("</tr>");
    }
    m.push_str("</table>");
    let body = format!(
        "{}{m}<p>{} {} · {} {} · {} {}</p>",
        charts::vbars(t("未办结预警(按等级)", "Open alerts by severity"), &bars),
        t("本月新增", "new this month"),
        a(
            &alert_href(&[("period", &period), ("status", "")]),
            &month.new.to_string()
        ),
        t("持续", "continuing"),
        month.continuing(),
        t("上月预警本月消除", "gone since last month"),
        month.gone.len()
    );
    b.push_str(&card(
        t("预警 按等级与类别", "Alerts by severity and category"),
        "/alerts?status=open",
        &body,
    ));
    // Trend
    b.push_str(&card(
        t("近12个月执行率", "Execution, last 12 months"),
        &drill,
        &charts::execution_trend(
            t("执行率与序时进度", "Execution and time progress"),
            t("执行率", "execution"),
            &c.trend,
        ),
    ));
    b.push_str("</div>");
    Ok(b)
}

#[derive(Deserialize, Default)]
pub struct DrillQ {
    #[serde(default, deserialize_with = "crate::period::optional")]
    pub period: Option<Period>,
    #[serde(flatten)]
    pub scope: Scope,
}

/// Drops empty strings from a scope's query, except a trailing project (empty = "no project").
pub fn clean_scope(mut s: Scope) -> Scope {
    for f in [&mut s.region, &mut s.dept, &mut s.agency] {
        if f.as_deref() == Some("") {
            *f = None;
        }
    }
    if s.agency.is_none() {
        s.project = None;
    }
    s
}

fn scope_href(period: &str, s: &Scope) -> String {
    let q = query([
        ("period", Some(period)),
        ("region", s.region.as_deref()),
        ("dept", s.dept.as_deref()),
        ("agency", s.agency.as_deref()),
        ("project", s.project.as_deref()),
    ]);
    format!("/drill?{q}")
}

/// Region → department → unit → project → source rows, with a 12-month trend at each level.
pub async fn drill(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<DrillQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let period = st.period_or_latest(q.period).await.page()?;
    let scope = clean_scope(q.scope);
    let bands = st.bands().page()?;
    let ctx = st.engine().await.page()?;
    let d = crate::figures::drill(&ctx, &period, &scope).await.page()?;
    let periods = st.periods().await.page()?;
    let mut b = String::new();
    // Breadcrumbs
    let mut crumbs = vec![a(
        &format!("/drill?period={period}"),
        t("全部地区", "All regions"),
    )];
    let mut s = Scope::default();
    let steps = [&scope.region, &scope.dept, &scope.agency, &scope.project];
    for (i, v) in steps.iter().enumerate() {
        let Some(v) = v else { break };
        match i {
            0 => s.region = Some(v.clone()),
            1 => s.dept = Some(v.clone()),
            2 => s.agency = Some(v.clone()),
            _ => s.project = Some(v.clone()),
        }
        let name = d
            .names
            .get(i)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                if v.is_empty() {
                    t("(无项目)", "(no project)").to_string()
                } else {
                    v.clone()
                }
            });
        crumbs.push(a(&scope_href(&period, &s), &name));
    }
    let hidden: String = [
        ("region", &scope.region),
        ("dept", &scope.dept),
        ("agency", &scope.agency),
        ("project", &scope.project),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_ref()
            .map(|v| format!("<input type=hidden name={k} value=\"{}\">", esc(v)))
    })
    .collect();
    b.push_str(&format!(
        "<div class=titlebar><h1>{}</h1>{}</div><p class=crumbs>{}</p>",
        t("穿透查询", "Drill-down"),
        period_picker("/drill", &periods, &period, l, &hidden),
        crumbs.join(" › ")
    ));
    b.push_str(&format!(
        "<p>{} {}万元 · {} {}万元 · {} <b>{}</b> · {} {:.1}%</p>",
        t("调整预算", "Budget"),
        d.total.budget.wan(),
        t("累计支出", "spent"),
        d.total.ytd.wan(),
        t("执行率", "execution"),
        pct(d.total.rate),
        t("序时进度", "time progress"),
        d.time_progress
    ));
    b.push_str(&format!(
        "<div class=chart>{}</div>",
        charts::execution_trend(
            t(
                "近12个月执行率(红线为序时进度)",
                "Execution over 12 months (red: time progress)"
            ),
            t("执行率", "execution"),
            &d.trend,
        )
    ));
    if d.level == Level::Rows {
        let rows: Vec<Vec<String>> = d
            .detail
            .iter()
            .map(|r| r.iter().map(|c| esc(c)).collect())
            .collect();
        let header: Vec<&str> = d.detail_columns.iter().map(String::as_str).collect();
        b.push_str(&format!(
            "<h2>{} ({})</h2>",
            t("源数据行", "Source rows"),
            rows.len()
        ));
        b.push_str(&table(&header, &rows, "data"));
    } else {
        let (what, next): (&str, fn(&mut Scope, String)) = match d.level {
            Level::Region => (t("地区", "Region"), |s, v| s.region = Some(v)),
            Level::Dept => (t("部门", "Department"), |s, v| s.dept = Some(v)),
            Level::Agency => (t("预算单位", "Budget unit"), |s, v| s.agency = Some(v)),
            _ => (t("项目", "Project"), |s, v| s.project = Some(v)),
        };
        let rows: Vec<Vec<String>> = d
            .rows
            .iter()
            .map(|r| {
                let mut s = scope.clone();
                next(&mut s, r.code.clone());
                let name = if r.name.is_empty() {
                    if r.code.is_empty() {
                        t("(无项目)", "(no project)").to_string()
                    } else {
                        r.code.clone()
                    }
                } else {
                    r.name.clone()
                };
                let cls = match bands.lag(r.behind_pp) {
                    "green" => "",
                    c => c,
                };
                vec![
                    esc(&r.code),
                    a(&scope_href(&period, &s), &name),
                    num(&r.budget.wan()),
                    num(&r.ytd.wan()),
                    format!("<span class=\"n {cls}\">{}</span>", pct(r.rate)),
                ]
            })
            .collect();
        b.push_str(&format!("<h2>{what} ({})</h2>", rows.len()));
        b.push_str(&table(
            &[
                t("编码", "Code"),
                what,
                t("调整预算(万元)", "Budget (10k)"),
                t("累计支出(万元)", "Spent (10k)"),
                t("执行率", "Rate"),
            ],
            &rows,
            "data",
        ));
    }
    // Alerts touching this scope
    let filter = Filter {
        dept: scope.dept.as_ref().and(d.names.get(1).cloned()),
        agency: scope.agency.clone(),
        open: true,
        ..Default::default()
    };
    let alerts = st.alerts.read(move |s| s.list(&filter)).await.page()?;
    b.push_str(&format!(
        "<h2>{} ({})</h2>",
        t("相关未办结预警", "Open alerts here"),
        alerts.len()
    ));
    b.push_str(&alert_table(&alerts, l, 50));
    Ok(Html(page(
        &auth,
        "drill",
        t("穿透查询", "Drill-down"),
        &scope_href(&period, &scope),
        &b,
    )))
}

fn status_label(s: Status, l: Lang) -> &'static str {
    match l {
        Lang::Zh => s.zh(),
        Lang::En => s.as_str(),
    }
}

fn alert_table(alerts: &[Alert], l: Lang, limit: usize) -> String {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .take(limit)
        .map(|x| {
            vec![
                a(&format!("/alerts/{}", x.id), &format!("#{}", x.id)),
                level(&x.level, l),
                esc(&term(&x.category, l)),
                a(&format!("/alerts/{}", x.id), &x.title),
                esc(&x.subject),
                esc(x.dept_name.as_deref().unwrap_or("")),
                format!(
                    "<span class=\"status {}\">{}</span>",
                    x.status.as_str(),
                    status_label(x.status, l)
                ),
                esc(&x.last_period),
                num(&x.months_open.to_string()),
            ]
        })
        .collect();
    let mut s = table(
        &[
            t("编号", "ID"),
            t("等级", "Severity"),
            t("类别", "Category"),
            t("预警", "Alert"),
            t("对象", "Subject"),
            t("部门", "Department"),
            t("状态", "Status"),
            t("最近", "Last"),
            t("月数", "Months"),
        ],
        &rows,
        "data",
    );
    if alerts.len() > limit {
        s.push_str(&format!(
            "<p class=note>… {} {}</p>",
            alerts.len() - limit,
            t("条未显示", "more not shown")
        ));
    }
    s
}

#[derive(Deserialize, Default, Clone)]
pub struct AlertsQ {
    #[serde(default, deserialize_with = "crate::period::optional")]
    pub period: Option<Period>,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default, deserialize_with = "crate::rules::optional_level")]
    pub level: Option<AlertLevel>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub dept: Option<String>,
    /// A status, `open` (new, acknowledged, rectifying) or empty for all.
    #[serde(default)]
    pub status: Option<String>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
}

/// The filtered alert list (shared by the page, the exports and the API).
pub async fn filtered(st: &AppState, q: &AlertsQ) -> Result<Vec<Alert>, AppError> {
    let status = some(&q.status);
    let exact = match status.as_deref() {
        None | Some("open") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            AppError::bad_request(format!("status `{s}`: use open, new, acknowledged, rectifying, closed, dismissed or resolved"))
        })?),
    };
    let filter = Filter {
        period: q.period.map(|p| p.to_string()),
        status: exact,
        level: q.level.map(|l| l.zh().to_string()),
        rule: some(&q.rule),
        category: some(&q.category),
        dept: some(&q.dept),
        agency: None,
        open: status.as_deref() == Some("open"),
    };
    st.alerts.read(move |s| s.list(&filter)).await
}

fn query_string(q: &AlertsQ) -> String {
    let period = q.period.map(|p| p.to_string());
    query([
        ("period", period.as_deref()),
        ("rule", q.rule.as_deref()),
        ("level", q.level.map(AlertLevel::zh)),
        ("category", q.category.as_deref()),
        ("dept", q.dept.as_deref()),
        ("status", q.status.as_deref()),
    ])
}

pub async fn alerts(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let list = filtered(&st, &q).await.page()?;
    let all = st
        .alerts
        .read(|s| s.list(&Filter::default()))
        .await
        .page()?;
    let mut rules: Vec<(String, String)> = all
        .iter()
        .map(|a| (a.rule_id.clone(), a.title.clone()))
        .collect();
    rules.sort();
    rules.dedup();
    let mut depts: Vec<String> = all.iter().filter_map(|a| a.dept_name.clone()).collect();
    depts.sort();
    depts.dedup();
    let periods = st.periods().await.unwrap_or_default();
    let any = (String::new(), t("全部", "all").to_string());
    let opt = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        std::iter::once(any.clone()).chain(v).collect()
    };
    let statuses: Vec<(String, String)> =
        std::iter::once(("open".to_string(), t("未办结", "open").to_string()))
            .chain(
                Status::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), status_label(*s, l).to_string())),
            )
            .collect();
    let form = format!(
        "<form method=get action=/alerts class=filters>\
         <label>{} {}</label><label>{} {}</label><label>{} {}</label><label>{} {}</label><label>{} {}</label><label>{} {}</label>\
         <button>{}</button></form>",
        t("期间", "Period"),
        select(
            "period",
            &opt(periods.iter().map(|p| (p.clone(), p.clone())).collect()),
            q.period.map(|p| p.to_string()).as_deref()
        ),
        t("规则", "Rule"),
        select(
            "rule",
            &opt(rules
                .iter()
                .map(|(id, ti)| (id.clone(), ti.clone()))
                .collect()),
            q.rule.as_deref()
        ),
        t("等级", "Severity"),
        select(
            "level",
            &opt(LEVELS
                .iter()
                .map(|x| (x.to_string(), crate::i18n::level_label(x, l)))
                .collect()),
            q.level.map(AlertLevel::zh)
        ),
        t("类别", "Category"),
        select(
            "category",
            &opt(CATEGORIES
                .iter()
                .map(|x| (x.to_string(), term(x, l)))
                .collect()),
            q.category.as_deref()
        ),
        t("部门", "Department"),
        select(
            "dept",
            &opt(depts.iter().map(|d| (d.clone(), d.clone())).collect()),
            q.dept.as_deref()
        ),
        t("状态", "Status"),
        select(
            "status",
            &std::iter::once(any.clone())
                .chain(statuses)
                .collect::<Vec<_>>(),
            q.status.as_deref()
        ),
        t("筛选", "Filter"),
    );
    let qs = query_string(&q);
    let b = format!(
        "<div class=titlebar><h1>{} ({})</h1><span>{} {} · {}</span></div>{form}{}",
        t("预警", "Alerts"),
        list.len(),
        t("导出", "Export"),
        a(&format!("/alerts.csv?{qs}"), "CSV"),
        a(&format!("/alerts.xlsx?{qs}"), "XLSX"),
        alert_table(&list, l, 500)
    );
    Ok(Html(page(
        &auth,
        "alerts",
        t("预警", "Alerts"),
        &format!("/alerts?{qs}"),
        &b,
    )))
}

fn export_rows(list: &[Alert], l: Lang) -> (Vec<String>, Vec<Vec<crate::figures::Val>>) {
    use crate::figures::Val;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en).to_string();
    let header = vec![
        t("编号", "id"),
        t("等级", "level"),
        t("类别", "category"),
        t("规则", "rule"),
        t("标题", "title"),
        t("对象", "subject"),
        t("部门", "department"),
        t("状态", "status"),
        t("首次", "first_period"),
        t("最近", "last_period"),
        t("月数", "months_open"),
        t("值", "value"),
        t("标准", "expected"),
        t("差异", "difference"),
        t("说明", "message"),
        t("责任人", "owner"),
        t("整改期限", "due_date"),
    ];
    let rows = list
        .iter()
        .map(|a| {
            vec![
                Val::Int(a.id),
                Val::Text(a.level.clone()),
                Val::Text(a.category.clone()),
                Val::Text(a.rule_id.clone()),
                Val::Text(a.title.clone()),
                Val::Text(a.subject.clone()),
                Val::Text(a.dept_name.clone().unwrap_or_default()),
                Val::Text(status_label(a.status, l).to_string()),
                Val::Text(a.first_period.clone()),
                Val::Text(a.last_period.clone()),
                Val::Int(a.months_open),
                Val::Text(a.value.clone().unwrap_or_default()),
                Val::Text(a.expected.clone().unwrap_or_default()),
                Val::Text(a.difference.clone().unwrap_or_default()),
                Val::Text(match l {
                    Lang::Zh => a.message_zh.clone(),
                    Lang::En => a.message_en.clone(),
                }),
                Val::Text(a.owner.clone().unwrap_or_default()),
                Val::Text(a.due_date.clone().unwrap_or_default()),
            ]
        })
        .collect();
    (header, rows)
}

fn download(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let disp = format!("attachment; filename=\"{}\"", name.replace('"', ""));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disp)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub async fn alerts_csv(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> Result<Response, AppError> {
    let list = filtered(&st, &q).await.page()?;
    let (header, rows) = export_rows(&list, auth.lang);
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let io =
        |e: csv::Error| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
    w.write_record(&header).map_err(io)?;
    for r in rows {
        w.write_record(r.iter().map(|v| v.text())).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(download(bytes, "text/csv; charset=utf-8", "alerts.csv"))
}

pub async fn alerts_xlsx(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<AlertsQ>,
) -> Result<Response, AppError> {
    let list = filtered(&st, &q).await.page()?;
    let (header, rows) = export_rows(&list, auth.lang);
    let bytes =
        crate::report::xlsx_table(auth.lang.t("预警清单", "Alerts"), &header, &rows).page()?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "alerts.xlsx",
    ))
}

/// An alert: what it says, its evidence, its months, its audit trail and what the user may do.
pub async fn alert(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (al, hist, events) = st
        .alerts
        .read(move |s| Ok::<_, crate::PurseError>((s.get(id)?, s.history(id)?, s.events(id)?)))
        .await
        .page()?;
    let mut b = format!(
        "<div class=titlebar><h1>#{} {} {}</h1><span class=\"status {}\">{}</span></div>",
        al.id,
        level(&al.level, l),
        esc(&al.title),
        al.status.as_str(),
        status_label(al.status, l)
    );
    b.push_str(&format!(
        "<p class=message>{}</p>",
        esc(match l {
            Lang::Zh => &al.message_zh,
            Lang::En => &al.message_en,
        })
    ));
    let mut kv = vec![
        (t("对象", "Subject"), esc(&al.subject)),
        (
            t("规则", "Rule"),
            a(&format!("/rules/{}", al.rule_id), &al.rule_id),
        ),
        (t("类别", "Category"), esc(&term(&al.category, l))),
        (
            t("部门", "Department"),
            esc(al.dept_name.as_deref().unwrap_or("")),
        ),
        (
            t("首次/最近", "First/last"),
            format!("{} / {}", esc(&al.first_period), esc(&al.last_period)),
        ),
    ];
    if let Some(o) = &al.owner {
        kv.push((t("责任人", "Owner"), esc(o)));
    }
    if let Some(d) = &al.due_date {
        kv.push((t("整改期限", "Due"), esc(d)));
    }
    if let Some(code) = &al.agency_code {
        let region = al
            .region_code
            .clone()
            .unwrap_or_else(|| st.config.region_code.clone());
        kv.push((
            t("穿透", "Drill-down"),
            a(
                &format!(
                    "/drill?period={}&region={region}&agency={code}",
                    al.last_period
                ),
                t("查看预算单位", "open the unit"),
            ),
        ));
    }
    b.push_str("<table class=kv>");
    for (k, v) in kv {
        b.push_str(&format!("<tr><td>{k}</td><td>{v}</td></tr>"));
    }
    b.push_str("</table>");
    // Actions
    if auth.role() >= Role::Analyst {
        let allowed = allowed_actions(al.status);
        let c = csrf(&auth);
        let mut forms = String::new();
        let act = format!("/alerts/{id}/act");
        let input = |name: &str, hint: &str| {
            format!(
                "<input name={name} placeholder=\"{}\" required size=40>",
                esc(hint)
            )
        };
        let specs = [
            ("ack", String::new(), t("确认", "Acknowledge")),
            (
                "rectify",
                format!(
                    "<input name=owner placeholder=\"{}\" required> <input name=due type=date required>",
                    t("责任单位/人", "owner")
                ),
                t("督促整改", "Rectify"),
            ),
            (
                "close",
                input("evidence", t("整改证明材料", "evidence of rectification")),
                t("销号", "Close"),
            ),
            (
                "dismiss",
                input("reason", t("排除理由", "reason")),
                t("排除", "Dismiss"),
            ),
            (
                "comment",
                input("text", t("备注", "comment")),
                t("备注", "Comment"),
            ),
        ];
        for (action, fields, label) in specs {
            if allowed.contains(&action) {
                forms.push_str(&format!(
                    "<form method=post action={act}>{c}<input type=hidden name=action value={action}>\
                     {fields} <button id={action}>{label}</button></form>"
                ));
            }
        }
        b.push_str(&format!(
            "<section class=actions><h2>{}</h2>{forms}</section>",
            t("处理", "Workflow")
        ));
    }
    // Evidence of the latest month
    if let Some(last) = hist.last() {
        b.push_str(&format!(
            "<h2>{} ({})</h2><table class=kv>",
            t("证据", "Evidence"),
            esc(&last.period)
        ));
        for (k, v) in &last.evidence {
            b.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v)));
        }
        b.push_str("</table>");
    }
    // Why this alert: the rule's SQL, the parameters it ran with, the rows behind the finding.
    b.push_str(&why_section(&st, &al, l).await.page()?);
    // History
    let rows: Vec<Vec<String>> = hist
        .iter()
        .map(|h| {
            vec![
                esc(&h.period),
                level(&h.level, l),
                num(h.value.as_deref().unwrap_or("")),
                num(h.expected.as_deref().unwrap_or("")),
                num(h.difference.as_deref().unwrap_or("")),
                esc(&h.message_zh),
            ]
        })
        .collect();
    let values: Vec<Option<f64>> = hist
        .iter()
        .map(|h| h.value.as_deref().and_then(|v| v.parse().ok()))
        .collect();
    if values.iter().flatten().count() >= 2 {
        let months: Vec<String> = hist.iter().map(|h| h.period.clone()).collect();
        b.push_str(&format!(
            "<div class=chart>{}</div>",
            charts::lines(
                t("逐月数值", "Value month by month"),
                &months,
                &[(t("值", "value"), values)],
                None,
                ""
            )
        ));
    }
    b.push_str(&format!("<h2>{}</h2>", t("逐月记录", "Month by month")));
    b.push_str(&table(
        &[
            t("期间", "Period"),
            t("等级", "Severity"),
            t("值", "Value"),
            t("标准", "Expected"),
            t("差异", "Difference"),
            t("说明", "Message"),
        ],
        &rows,
        "data",
    ));
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                esc(&e.at),
                esc(&e.actor),
                esc(&e.action),
                format!(
                    "{} → {}",
                    esc(e.from_status.as_deref().unwrap_or("")),
                    esc(e.to_status.as_deref().unwrap_or(""))
                ),
                esc(e.note.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    b.push_str(&format!("<h2>{}</h2>", t("处理记录", "Audit trail")));
    b.push_str(&table(
        &[
            t("时间", "At"),
            t("操作人", "Actor"),
            t("操作", "Action"),
            t("状态", "Status"),
            t("说明", "Note"),
        ],
        &rows,
        "data",
    ));
    Ok(Html(page(
        &auth,
        "alerts",
        &format!("#{id}"),
        &format!("/alerts/{id}"),
        &b,
    )))
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

/// Turns a form or JSON body into a workflow action, with errors that say what is missing.
pub fn action_of(f: &ActForm) -> Result<Action, AppError> {
    let txt = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(match f.action.as_str() {
        "ack" => Action::Ack,
        "rectify" => {
            let due = f.due.as_deref().unwrap_or("");
            Action::Rectify {
                owner: txt(&f.owner),
                due: chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d").map_err(|_| {
                    AppError::bad_request(format!("due date `{due}`: expected YYYY-MM-DD"))
                })?,
            }
        }
        "close" => Action::Close {
            evidence: txt(&f.evidence),
        },
        "dismiss" => Action::Dismiss {
            reason: txt(&f.reason),
        },
        "comment" => Action::Comment { text: txt(&f.text) },
        other => {
            return Err(AppError::bad_request(format!(
                "action `{other}`: use ack, rectify, close, dismiss or comment"
            )));
        }
    })
}

pub async fn alert_act(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let action = action_of(&f).page()?;
    let user = auth.user().to_string();
    st.alerts
        .write(move |s| s.act(id, &action, &user))
        .await
        .page()?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

pub async fn rules(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let set = st.rules().page()?;
    let (fired, last, outcomes) = st
        .alerts
        .read(|store| {
            let last = store.checked_periods()?.into_iter().next_back();
            let outcomes = match &last {
                Some(p) => store.rule_outcomes(p)?,
                None => vec![],
            };
            Ok::<_, crate::PurseError>((store.counts_by_rule()?, last, outcomes))
        })
        .await
        .page()?;
    let rows: Vec<Vec<String>> = set
        .rules
        .iter()
        .map(|r| {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                a(&format!("/rules/{}", r.id), &r.id),
                esc(l.t(&r.title_zh, &r.title_en)),
                esc(&term(&r.category, l)),
                esc(&r.datasets.join(", ")),
                esc(r.fixed_level.as_deref().unwrap_or(t("按值", "by value"))),
                format!("<code>{}</code>", esc(&params.join(", "))),
                num(&fired.get(&r.id).copied().unwrap_or(0).to_string()),
                match outcomes.iter().find(|o| o.rule_id == r.id) {
                    Some(o) if o.evaluated => esc(t("已评估", "evaluated")),
                    Some(o) => format!(
                        "<span class=muted>{}：{}</span>",
                        esc(t("未评估", "not evaluated")),
                        esc(o.reason.as_deref().unwrap_or(""))
                    ),
                    None => String::new(),
                },
                esc(if r.enabled {
                    t("启用", "on")
                } else {
                    t("停用", "off")
                }),
            ]
        })
        .collect();
    let b = format!(
        "<h1>{} ({})</h1>{}",
        t("规则目录", "Rule catalog"),
        set.rules.len(),
        table(
            &[
                t("编号", "ID"),
                t("名称", "Title"),
                t("类别", "Category"),
                t("数据集", "Datasets"),
                t("等级", "Severity"),
                t("参数", "Parameters"),
                t("触发次数", "Fired"),
                &format!(
                    "{} {}",
                    t("最近一期", "Last period"),
                    last.as_deref().unwrap_or("")
                ),
                t("状态", "State")
            ],
            &rows,
            "data"
        )
    );
    Ok(Html(page(&auth, "rules", t("规则", "Rules"), "/rules", &b)))
}

pub async fn rule(State(st): State<AppState>, auth: Auth, Path(id): Path<String>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let set = st.rules().page()?;
    let r = set
        .rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::not_found(format!("no rule `{id}`")).page())?;
    let fired = st
        .alerts
        .read(|s| s.counts_by_rule())
        .await
        .page()?
        .get(&r.id)
        .copied()
        .unwrap_or(0);
    let params: Vec<Vec<String>> = r
        .defaults
        .iter()
        .map(|(k, d)| {
            vec![
                esc(k),
                esc(&d.to_string()),
                esc(&r.params.get(k).map(|v| v.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let b = format!(
        "<h1>{} · {}</h1><p>{}</p><table class=kv><tr><td>{}</td><td>{}</td></tr><tr><td>{}</td><td>{}</td></tr>\
         <tr><td>{}</td><td>{}</td></tr><tr><td>{}</td><td>{}</td></tr><tr><td>{}</td><td>{}</td></tr>\
         <tr><td>{}</td><td>{}</td></tr><tr><td>{}</td><td>{}</td></tr></table>\
         <h2>{}</h2>{}<h2>SQL</h2><pre class=sql>{}</pre><p>{}</p>",
        esc(&r.id),
        esc(l.t(&r.title_zh, &r.title_en)),
        esc(&r.description),
        t("类别", "Category"),
        esc(&term(&r.category, l)),
        t("数据集", "Datasets"),
        esc(&r.datasets.join(", ")),
        t("数据时效", "Cadence"),
        esc(r.cadence.as_str()),
        t("适用月份", "Months"),
        esc(&r
            .months
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")),
        t("键", "Key"),
        esc(&r.key.join(", ")),
        t("消息", "Message"),
        esc(l.t(&r.message_zh, &r.message_en)),
        t("触发次数", "Fired"),
        fired,
        t("参数", "Parameters"),
        table(
            &[
                t("参数", "Parameter"),
                t("默认", "Default"),
                t("生效", "In effect")
            ],
            &params,
            "compact"
        ),
        esc(&r.sql),
        a(
            &alert_href(&[("rule", &r.id), ("status", "")]),
            t("查看该规则的预警", "Alerts of this rule")
        ),
    );
    Ok(Html(page(
        &auth,
        "rules",
        &r.id,
        &format!("/rules/{id}"),
        &b,
    )))
}

/// Loads, periods, row counts, rejected files; admins upload here.
pub async fn data(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let dir = st.data_dir.clone();
    let (summary, loads) =
        super::blocking(move || match crate::warehouse::Warehouse::open_read(&dir) {
            Ok(wh) => Ok::<_, crate::PurseError>((wh.summary()?, wh.loads(200)?)),
            Err(_) => Ok((vec![], vec![])),
        })
        .await
        .page()?;
    let jobs = st.jobs.read(|j| j.recent(20)).await.page()?;
    let mut b = format!("<h1>{}</h1>", t("数据", "Data"));
    if !jobs.is_empty() {
        let rows: Vec<Vec<String>> = jobs
            .iter()
            .map(|j| {
                vec![
                    a(&format!("/data/jobs/{}", j.id), &format!("#{}", j.id)),
                    esc(&j.file),
                    esc(&j.user),
                    esc(&j.created_at),
                    format!(
                        "<span class=job data-state=\"{}\">{}</span>",
                        esc(&j.state),
                        job_status(j, l)
                    ),
                ]
            })
            .collect();
        b.push_str(&format!(
            "<section class=card><h2>{}</h2>{}</section>",
            t("上传任务", "Upload jobs"),
            table(
                &[
                    t("任务", "Job"),
                    t("文件", "File"),
                    t("用户", "User"),
                    t("开始", "Started"),
                    t("状态", "State"),
                ],
                &rows,
                "data"
            )
        ));
    }
    if auth.role() >= Role::Admin {
        let ds: Vec<(String, String)> =
            std::iter::once((String::new(), t("自动识别", "detect").to_string()))
                .chain(
                    st.catalog
                        .datasets
                        .iter()
                        .map(|d| (d.name.clone(), format!("{} {}", d.name, d.title))),
                )
                .collect();
        b.push_str(&format!(
            "<section class=card><h2>{}</h2><form method=post action=/data/upload enctype=multipart/form-data>{}\
             <input type=file name=file required accept=\".csv,.txt,.xlsx,.xls\"> <label>{} {}</label> \
             <label>{} <input name=period placeholder=YYYY-MM size=8></label> <button>{}</button></form>\
             <p class=note>{} {} MiB</p></section>",
            t("上传数据文件", "Upload an extract"),
            csrf(&auth),
            t("数据集", "Dataset"),
            select("dataset", &ds, None),
            t("期间", "Period"),
            t("上传并校验", "Upload and validate"),
            t("CSV (UTF-8/GBK) 或 XLSX；校验通过后入库并运行规则。上限", "CSV (UTF-8/GBK) or XLSX; loaded and checked once valid. Limit"),
            st.config.web.max_upload_mib
        ));
    }
    let rows: Vec<Vec<String>> = summary
        .iter()
        .map(|d| {
            let title = st
                .catalog
                .get(&d.dataset)
                .map(|x| x.title.clone())
                .unwrap_or_default();
            vec![
                esc(&d.dataset),
                esc(&title),
                esc(&match (d.periods.first(), d.periods.last()) {
                    (Some(a), Some(z)) if a != z => format!("{a} … {z} ({})", d.periods.len()),
                    (Some(a), _) => a.clone(),
                    _ => String::new(),
                }),
                num(&d.rows.to_string()),
                num(&d.sources.len().to_string()),
            ]
        })
        .collect();
    b.push_str(&format!("<h2>{}</h2>", t("已入库数据集", "Datasets")));
    b.push_str(&table(
        &[
            t("数据集", "Dataset"),
            t("名称", "Title"),
            t("期间", "Periods"),
            t("行数", "Rows"),
            t("来源文件", "Files"),
        ],
        &rows,
        "data",
    ));
    let rows: Vec<Vec<String>> = loads
        .iter()
        .map(|x| {
            let report = if x.report.is_some() {
                a(
                    &format!("/data/loads/{}/report", x.id),
                    t("问题清单", "issues"),
                )
            } else {
                String::new()
            };
            vec![
                format!("#{}", x.id),
                format!(
                    "<span class=\"status {}\">{}</span>",
                    esc(&x.status),
                    esc(&x.status)
                ),
                esc(x.dataset.as_deref().unwrap_or("")),
                esc(&format!(
                    "{}{}",
                    x.file,
                    x.sheet
                        .as_deref()
                        .map(|s| format!("#{s}"))
                        .unwrap_or_default()
                )),
                num(&x.rows.to_string()),
                num(&x.errors.to_string()),
                num(&x.warnings.to_string()),
                esc(x.message.as_deref().unwrap_or("")),
                report,
                esc(&x.started_at),
            ]
        })
        .collect();
    b.push_str(&format!(
        "<h2>{}</h2>",
        t("载入记录(最新在前)", "Loads, newest first")
    ));
    b.push_str(&table(
        &[
            t("批次", "Load"),
            t("状态", "Status"),
            t("数据集", "Dataset"),
            t("文件", "File"),
            t("行数", "Rows"),
            t("错误", "Errors"),
            t("警告", "Warnings"),
            t("说明", "Message"),
            t("报告", "Report"),
            t("时间", "At"),
        ],
        &rows,
        "data",
    ));
    Ok(Html(page(&auth, "data", t("数据", "Data"), "/data", &b)))
}

/// A load's issues report (the CSV written at ingest), shown as a table.
pub async fn load_report(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let wh = crate::warehouse::Warehouse::open_read(&st.data_dir).page()?;
    let load = wh
        .loads(usize::MAX >> 1)
        .page()?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| AppError::not_found(format!("no load #{id}")).page())?;
    let path = load
        .report
        .clone()
        .ok_or_else(|| AppError::not_found(format!("load #{id} has no issues report")).page())?;
    let p = std::path::PathBuf::from(&path);
    let p = if p.is_absolute() {
        p
    } else {
        st.data_dir.join(p)
    };
    let text = std::fs::read_to_string(&p)
        .map_err(|e| AppError::not_found(format!("{}: {e}", p.display())).page())?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = rdr
        .records()
        .flatten()
        .take(2000)
        .map(|r| r.iter().map(esc).collect())
        .collect();
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let b = format!(
        "<h1>#{id} {}</h1><p>{} · {}</p>{}",
        esc(&load.file),
        esc(&load.status),
        esc(load.message.as_deref().unwrap_or("")),
        table(&hdr, &rows, "data")
    );
    Ok(Html(page(
        &auth,
        "data",
        l.t("问题清单", "Issues"),
        &format!("/data/loads/{id}/report"),
        &b,
    )))
}

/// The upload's type, from its name and first bytes; anything else is refused before it is stored.
fn sniff_type(name: &str, head: &[u8]) -> Result<&'static str, String> {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" if head.starts_with(b"PK\x03\x04") => Ok("xlsx"),
        "xls" if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => Ok("xls"),
        "csv" | "txt" if !head.iter().take(8192).any(|b| *b == 0) => Ok("csv"),
        "xlsx" | "xls" | "csv" | "txt" => Err(format!("{name}: the content is not a {ext} file")),
        _ => Err(format!(
            "{name}: only .csv, .txt, .xlsx and .xls extracts are accepted"
        )),
    }
}

fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("upload");
    let s: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "upload.csv".into() } else { s }
}

/// Stores the upload aside (under `uploads/pending/`) and starts its job; answers with the job's
/// id at once. Refusals that need no reading (file type, period spelling) come back here.
pub async fn start_upload(
    st: &AppState,
    user: &str,
    file_name: &str,
    bytes: Vec<u8>,
    dataset: Option<String>,
    period: Option<String>,
) -> Result<i64, AppError> {
    sniff_type(file_name, &bytes).map_err(AppError::bad_request)?;
    if let Some(p) = &period {
        crate::figures::split_period(p)?;
    }
    let stamp = crate::users::random_token()[..12].to_string();
    let pending = st.data_dir.join("uploads").join("pending").join(&stamp);
    let path = pending.join(safe_name(file_name));
    let p2 = path.clone();
    super::blocking(move || {
        std::fs::create_dir_all(&pending).map_err(|e| crate::PurseError::io(&pending, e))?;
        std::fs::write(&p2, &bytes).map_err(|e| crate::PurseError::io(&p2, e))
    })
    .await?;
    let (u, f) = (user.to_string(), file_name.to_string());
    let (id, live) = st.jobs.write(move |j| j.start(&f, &u)).await?;
    let job = UploadJob {
        st: st.clone(),
        live,
        user: user.to_string(),
        file_name: file_name.to_string(),
        stamp,
        path,
        dataset,
        period,
    };
    let st = st.clone();
    tokio::spawn(async move {
        // The job runs in its own task, so even a panic in it ends the job as failed.
        let result = match tokio::spawn(job.run()).await {
            Ok(r) => r,
            Err(e) => Err(format!(
                "internal error: {e} (a bug: please report it; nothing of this upload was committed unless the load list shows it)"
            )),
        };
        if let Err(e) = st.jobs.write(move |j| j.finish(id, result)).await {
            eprintln!("purse: recording upload job #{id}: {e}");
        }
        let _ = st.refresh_versions().await;
    });
    Ok(id)
}

/// One upload on its way through ingest and the rules.
struct UploadJob {
    st: AppState,
    live: super::jobs::Live,
    user: String,
    file_name: String,
    stamp: String,
    path: std::path::PathBuf,
    dataset: Option<String>,
    period: Option<String>,
}

impl UploadJob {
    /// Ingests through the same path as the CLI, files the upload under accepted/ or rejected/
    /// (with `NAME.reason.txt`), and runs the rules for the periods it loaded.
    async fn run(self) -> Result<(Vec<crate::ingest::Outcome>, Vec<String>), String> {
        let st = &self.st;
        let _one = st.ingest.lock().await;
        self.live.set(super::jobs::Phase::Reading);
        let (data_dir, catalog, config) =
            (st.data_dir.clone(), st.catalog.clone(), st.config.clone());
        let (p2, rows) = (self.path.clone(), self.live.rows());
        let opts = crate::ingest::Options {
            dataset: self.dataset.clone(),
            period: self.period.clone(),
            progress: crate::ingest::RowProgress::new(move |_, n| {
                rows.store(n as u64, std::sync::atomic::Ordering::Relaxed)
            }),
            ..Default::default()
        };
        let run = tokio::task::spawn_blocking(move || {
            let mut wh = crate::warehouse::Warehouse::open(&data_dir)?;
            crate::ingest::ingest_paths(&mut wh, &catalog, &config, &[p2], &opts, |_| {})
        })
        .await;
        let outcomes = match run {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(crate::ingest::internal_error(std::path::Path::new(
                &self.file_name,
            ))),
        }
        .inspect_err(|why| self.file_away(Some(why)))?;
        let rejected: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == crate::ingest::Status::Rejected)
            .map(|o| o.message.as_str())
            .collect();
        self.file_away((!rejected.is_empty()).then(|| rejected.join("\n")).as_ref());
        let mut periods: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == crate::ingest::Status::Loaded)
            .flat_map(|o| o.periods.clone())
            .collect();
        periods.sort();
        periods.dedup();
        let detail = format!(
            "{}: {}",
            self.file_name,
            outcomes
                .iter()
                .map(|o| format!("{:?} {}", o.status, o.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let u = self.user.clone();
        st.users
            .write(move |us| us.audit(&u, "upload", &detail))
            .await
            .map_err(|e| e.message)?;
        // Pages show the new data from here on; the rules follow.
        let _ = st.refresh_versions().await;
        self.live.set(super::jobs::Phase::Checking);
        crate::check::check_periods(&st.data_dir, &st.catalog, &st.config, &periods)
            .await
            .map_err(|e| format!("loaded, but running the rules failed: {e}"))?;
        Ok((outcomes, periods))
    }

    /// Whatever happened, the upload leaves pending/: accepted/ when every sheet loaded, else
    /// rejected/ with its reasons beside it (`NAME.reason.txt`).
    fn file_away(&self, why: Option<&String>) {
        let uploads = self.st.data_dir.join("uploads");
        let dest = uploads.join(if why.is_none() {
            "accepted"
        } else {
            "rejected"
        });
        let _ = std::fs::create_dir_all(&dest);
        let stored = dest.join(format!("{}-{}", self.stamp, safe_name(&self.file_name)));
        let _ = std::fs::rename(&self.path, &stored);
        let _ = std::fs::remove_dir(uploads.join("pending").join(&self.stamp));
        if let Some(why) = why {
            let mut note = stored.into_os_string();
            note.push(".reason.txt");
            let _ = std::fs::write(note, format!("{why}\n"));
        }
    }
}

/// `POST /data/upload`: stores the file, starts its job and shows the job's page.
pub async fn upload(
    State(st): State<AppState>,
    auth: Auth,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mp_err = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        AppError::new(status, code, format!("upload: {}", e.body_text())).page()
    };
    while let Some(field) = mp.next_field().await.map_err(mp_err)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(mp_err)?;
            file = Some((fname, bytes.to_vec()));
        } else {
            let v = field.text().await.unwrap_or_default();
            fields.insert(name, v);
        }
    }
    auth.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    auth.require(Role::Admin)?;
    let (fname, bytes) =
        file.ok_or_else(|| AppError::bad_request("no file in the upload").page())?;
    let nonempty = |k: &str| {
        fields
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let id = start_upload(
        &st,
        auth.user(),
        &fname,
        bytes,
        nonempty("dataset"),
        nonempty("period"),
    )
    .await
    .page()?;
    Ok(Redirect::to(&format!("/data/jobs/{id}")).into_response())
}

/// An upload job's page: its progress while it runs (the page reloads itself each second, no
/// script needed), then each sheet's outcome with its issues and the periods re-checked.
pub async fn job(State(st): State<AppState>, auth: Auth, Path(id): Path<i64>) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let job = st
        .jobs
        .read(move |j| j.get(id))
        .await
        .page()?
        .ok_or_else(|| AppError::not_found(format!("no upload job #{id}")).page())?;
    let mut b = format!(
        "<h1>{} #{} {}</h1><p class=job data-state=\"{}\">{}</p>",
        t("上传任务", "Upload job"),
        job.id,
        esc(&job.file),
        esc(&job.state),
        job_status(&job, l)
    );
    if job.running() {
        b.push_str(&format!(
            "<p class=muted>{}</p>",
            t(
                "本页每秒自动刷新。",
                "This page refreshes itself every second."
            )
        ));
    }
    for o in &job.outcomes {
        b.push_str(&format!(
            "<section class=card><h2><span class=\"status {}\">{:?}</span> {}{}</h2><p>{}</p>",
            if o.status == crate::ingest::Status::Rejected {
                "rejected"
            } else {
                "loaded"
            },
            o.status,
            esc(o.dataset.as_deref().unwrap_or("")),
            esc(&o
                .sheet
                .as_deref()
                .map(|s| format!(" #{s}"))
                .unwrap_or_default()),
            esc(&o.message)
        ));
        if !o.issues.is_empty() {
            let rows: Vec<Vec<String>> = o
                .issues
                .iter()
                .map(|i| {
                    vec![
                        esc(&format!("{:?}", i.severity)),
                        esc(&i.row.map(|r| r.to_string()).unwrap_or_default()),
                        esc(&i.column),
                        esc(&i.value),
                        esc(&i.expected),
                        esc(&i.reason),
                    ]
                })
                .collect();
            b.push_str(&table(
                &[
                    t("级别", "Severity"),
                    t("行", "Row"),
                    t("列", "Column"),
                    t("值", "Value"),
                    t("应为", "Expected"),
                    t("原因", "Reason"),
                ],
                &rows,
                "data",
            ));
        }
        b.push_str("</section>");
    }
    if !job.checked.is_empty() {
        b.push_str(&format!(
            "<p>{} {}</p>",
            t("已重新运行规则：", "Rules re-run for"),
            esc(&job.checked.join(", "))
        ));
    }
    b.push_str(&format!(
        "<p>{}</p>",
        a("/data", t("返回数据页", "Back to Data"))
    ));
    let html = page(&auth, "data", t("上传任务", "Upload job"), "/data", &b);
    Ok(Html(if job.running() {
        html.replacen("<head>", "<head><meta http-equiv=refresh content=1>", 1)
    } else {
        html
    }))
}

/// One line on where a job is: its phase and rows while running, else how it ended.
pub fn job_status(job: &super::jobs::Job, l: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    match (job.state.as_str(), job.phase) {
        ("running", Some(p)) => format!(
            "{} · {} {}",
            esc(p.label(l)),
            job.rows_read,
            t("行已读", "rows read")
        ),
        ("running", None) => esc(t("进行中", "running")),
        ("done", _) => {
            let loaded = job
                .outcomes
                .iter()
                .filter(|o| o.status == crate::ingest::Status::Loaded)
                .count();
            let rejected = job
                .outcomes
                .iter()
                .filter(|o| o.status == crate::ingest::Status::Rejected)
                .count();
            format!(
                "{} · {} {loaded} · {} {rejected}",
                esc(t("完成", "done")),
                esc(t("载入", "loaded")),
                esc(t("拒收", "rejected"))
            )
        }
        (state, _) => format!(
            "{} · {}",
            esc(match state {
                "failed" => t("失败", "failed"),
                "interrupted" => t("中断", "interrupted"),
                other => other,
            }),
            esc(job.message.as_deref().unwrap_or(""))
        ),
    }
}

pub async fn users(State(st): State<AppState>, auth: Auth) -> PageOut {
    auth.require(Role::Admin)?;
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (list, log) = st
        .users
        .read(|u| Ok::<_, crate::PurseError>((u.list()?, u.audit_log(100)?)))
        .await
        .page()?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|u| {
            vec![
                esc(&u.name),
                esc(u.role.as_str()),
                esc(u.role.zh()),
                esc(&u.created_at),
            ]
        })
        .collect();
    let roles: Vec<(String, String)> = [Role::Viewer, Role::Analyst, Role::Adviser, Role::Admin]
        .iter()
        .map(|r| (r.as_str().to_string(), format!("{} {}", r.as_str(), r.zh())))
        .collect();
    let log_rows: Vec<Vec<String>> = log
        .iter()
        .map(|e| vec![esc(&e.at), esc(&e.actor), esc(&e.action), esc(&e.detail)])
        .collect();
    let b = format!(
        "<h1>{}</h1>{}<section class=card><h2>{}</h2><form method=post action=/users>{}\
         <input name=name placeholder=\"{}\" required> {} <input name=password type=password placeholder=\"{}\" required minlength=8> \
         <button>{}</button></form></section><h2>{}</h2>{}",
        t("用户", "Users"),
        table(
            &[
                t("用户名", "Name"),
                t("角色", "Role"),
                "",
                t("创建", "Created")
            ],
            &rows,
            "data"
        ),
        t("新增或重置用户", "Add or reset a user"),
        csrf(&auth),
        t("用户名", "name"),
        select("role", &roles, Some("viewer")),
        t("密码(至少8位)", "password (8+)"),
        t("保存", "Save"),
        t("操作日志", "Audit log"),
        table(
            &[
                t("时间", "At"),
                t("操作人", "Actor"),
                t("操作", "Action"),
                t("内容", "Detail")
            ],
            &log_rows,
            "data"
        ),
    );
    Ok(Html(page(&auth, "users", t("用户", "Users"), "/users", &b)))
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<UserForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Admin)?;
    let role = Role::parse(&f.role)
        .ok_or_else(|| AppError::bad_request(format!("role `{}`", f.role)).page())?;
    let actor = auth.user().to_string();
    st.users
        .write(move |u| u.add(&f.name, role, &f.password, &actor))
        .await
        .page()?;
    Ok(Redirect::to("/users").into_response())
}

pub async fn reports(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let list = crate::report::archived(&st.data_dir);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|(p, lang, h, x)| {
            let hn = h
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let xn = x
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            vec![
                esc(p),
                esc(lang.code()),
                a(&format!("/reports/{hn}"), "HTML"),
                if x.exists() {
                    a(&format!("/reports/{xn}"), "XLSX")
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let periods = st.periods().await.unwrap_or_default();
    let mut b = format!("<h1>{}</h1>", t("月度预警报告", "Monthly alert reports"));
    b.push_str(&format!(
        "<p class=note>{} <code>{}</code></p>",
        t(
            "按计划自动生成(purse.toml [report] schedule)：",
            "Made on schedule (purse.toml [report] schedule):"
        ),
        esc(&st.config.report.schedule)
    ));
    if auth.role() >= Role::Analyst {
        let opts: Vec<(String, String)> = periods.iter().map(|p| (p.clone(), p.clone())).collect();
        let langs = vec![
            ("zh".to_string(), "中文".to_string()),
            ("en".to_string(), "English".to_string()),
        ];
        b.push_str(&format!(
            "<form method=post action=/reports class=picker>{}<label>{} {}</label> {} <button>{}</button></form>",
            csrf(&auth),
            t("期间", "Period"),
            select("period", &opts, periods.first().map(String::as_str)),
            select("lang", &langs, Some(l.code())),
            t("立即生成", "Generate now")
        ));
    }
    b.push_str(&table(
        &[t("期间", "Period"), t("语言", "Language"), "HTML", "XLSX"],
        &rows,
        "data",
    ));
    Ok(Html(page(
        &auth,
        "reports",
        t("月度报告", "Reports"),
        "/reports",
        &b,
    )))
}

#[derive(Deserialize)]
pub struct GenForm {
    #[serde(default)]
    csrf: String,
    period: String,
    #[serde(default)]
    lang: Option<String>,
}

pub async fn generate_report(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<GenForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Analyst)?;
    let lang = f.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let period = f.period.trim().parse::<Period>().page()?.to_string();
    let (h, _) = crate::report::generate(&st.data_dir, &st.catalog, &st.config, &period, lang)
        .await
        .page()?;
    let (u, p) = (auth.user().to_string(), period);
    st.users
        .write(move |us| us.audit(&u, "report.generate", &p))
        .await
        .page()?;
    let name = h
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/reports/{name}")).into_response())
}

/// Serves an archived report by its file name (only names the archive lists).
pub async fn report_file(
    State(st): State<AppState>,
    _auth: Auth,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let found = crate::report::archived(&st.data_dir)
        .into_iter()
        .find_map(|(_, _, h, x)| {
            let hn = h.file_name()?.to_string_lossy().to_string();
            let xn = x.file_name()?.to_string_lossy().to_string();
            if hn == file {
                Some((h, true))
            } else if xn == file && x.exists() {
                Some((x, false))
            } else {
                None
            }
        });
    let (path, is_html) =
        found.ok_or_else(|| AppError::not_found(format!("no report `{file}`")).page())?;
    let bytes = std::fs::read(&path)
        .map_err(|e| AppError::not_found(format!("{}: {e}", path.display())).page())?;
    if is_html {
        Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            bytes,
        )
            .into_response())
    } else {
        Ok(download(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &file,
        ))
    }
}

/// "Why this alert" on the alert page: the parameters and SQL of the run that last found it, and
/// the source rows behind it with the file, sheet and row each came from.
async fn why_section(st: &AppState, al: &Alert, l: Lang) -> Result<String, AppError> {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (id, p) = (al.id, al.last_period.clone());
    let Some(ex) = st.alerts.read(move |s| s.explain(id, &p)).await? else {
        return Ok(String::new());
    };
    let mut b = format!(
        "<section class=why><h2>{} ({})</h2>",
        t("为什么预警", "Why this alert"),
        esc(&ex.period)
    );
    let params: Vec<Vec<String>> = ex
        .params
        .iter()
        .map(|(k, v)| vec![esc(&format!("${k}")), esc(&v.to_string())])
        .collect();
    b.push_str(&table(
        &[t("参数", "Parameter"), t("取值", "Value")],
        &params,
        "kv",
    ));
    if let Some(sql) = &ex.sql {
        b.push_str(&format!(
            "<details><summary>{}</summary><pre class=sql>{}</pre></details>",
            t("规则 SQL", "Rule SQL"),
            esc(sql)
        ));
    }
    let rules = st.rules()?;
    if let Some(rule) = rules.get(&al.rule_id) {
        let ctx = st.engine().await?;
        let sources =
            crate::rules::explain::source_rows(&ctx, &st.catalog, rule, &ex.evidence, &ex.period)
                .await?;
        for (dataset, batches) in sources {
            let header: Vec<String> = batches
                .first()
                .map(|b| {
                    b.schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect()
                })
                .unwrap_or_default();
            let rows: Vec<Vec<String>> = crate::output::rows(&batches)
                .into_iter()
                .map(|r| r.iter().map(|c| esc(c)).collect())
                .collect();
            b.push_str(&format!(
                "<h3>{} {} ({} {})</h3>",
                t("来源数据", "Source rows in"),
                esc(&dataset),
                rows.len(),
                t("行", "rows")
            ));
            if !rows.is_empty() {
                let h: Vec<&str> = header.iter().map(String::as_str).collect();
                b.push_str(&format!(
                    "<div class=scroll>{}</div>",
                    table(&h, &rows, "data")
                ));
            }
        }
    }
    b.push_str("</section>");
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_typed_by_name_and_content() {
        assert_eq!(sniff_type("a.xlsx", b"PK\x03\x04rest"), Ok("xlsx"));
        assert!(sniff_type("a.xlsx", b"not a zip").is_err());
        assert_eq!(sniff_type("a.CSV", "年度,月份".as_bytes()), Ok("csv"));
        assert!(sniff_type("a.csv", b"ab\0cd").is_err());
        assert!(sniff_type("a.exe", b"MZ").is_err());
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..\\x\\预算.csv"), "预算.csv");
        assert_eq!(safe_name(".."), "upload.csv");
    }
}
