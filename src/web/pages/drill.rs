//! 穿透: region → department → unit → project → source rows, with a 12-month trend at each level.

use axum::extract::State;
use maud::html;
use serde::Deserialize;

use super::{PageOut, alert_table, out, period_picker, query};
use crate::alerts::Filter;
use crate::charts;
use crate::common::period::Period;
use crate::figures::{Level, Scope};
use crate::foresight::Grain;
use crate::i18n::pct;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{PageQuery, PageResult};
use crate::web::html::{Frame, a, num, page, table, text};

#[derive(Deserialize, Default)]
pub struct DrillQ {
    #[serde(default, deserialize_with = "crate::common::period::optional")]
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

fn scope_href(period: Period, s: &Scope) -> String {
    let period = period.to_string();
    let q = query([
        ("period", Some(period.as_str())),
        ("region", s.region.as_deref()),
        ("dept", s.dept.as_deref()),
        ("agency", s.agency.as_deref()),
        ("project", s.project.as_deref()),
    ]);
    format!("/drill?{q}")
}

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
    let d = st.drill(period, &scope, &auth.session.reach).await.page()?;
    let outlook = st.outlook(period, &auth.session.reach).await.page()?;
    // Where this scope's year will end, and each row's: regions by code, departments by name
    // (what the projection keys them by), units by code.
    let region = scope.region.as_deref().unwrap_or("");
    let here = match (&scope.region, &scope.dept, &scope.agency, &scope.project) {
        (Some(r), None, None, None) => outlook.find(Grain::Region, r, r),
        (Some(r), Some(_), None, None) => {
            d.names.get(1).and_then(|n| outlook.find(Grain::Dept, r, n))
        }
        (Some(r), Some(_), Some(a), None) => outlook.find(Grain::Agency, r, a),
        _ => None,
    };
    let row_projection = |r: &crate::figures::UnitExec| match d.level {
        Level::Region => outlook.find(Grain::Region, &r.code, &r.code),
        Level::Dept => outlook.find(Grain::Dept, region, &r.name),
        Level::Agency => outlook.find(Grain::Agency, region, &r.code),
        _ => None,
    };
    let periods = st.periods().await.page()?;
    let no_project = t("(无项目)", "(no project)");
    // Breadcrumbs: each level of the scope, named, linking back up.
    let mut crumbs = vec![(
        format!("/drill?period={period}"),
        t("全部地区", "All regions").to_string(),
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
                    no_project.to_string()
                } else {
                    v.clone()
                }
            });
        crumbs.push((scope_href(period, &s), name));
    }
    let hidden: Vec<(&str, &str)> = [
        ("region", &scope.region),
        ("dept", &scope.dept),
        ("agency", &scope.agency),
        ("project", &scope.project),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    let listing = if d.level == Level::Rows {
        let rows: Vec<Vec<maud::Markup>> = d
            .detail
            .iter()
            .map(|r| r.iter().map(|c| text(c)).collect())
            .collect();
        let header: Vec<&str> = d.detail_columns.iter().map(String::as_str).collect();
        html! {
            h2 { (t("源数据行", "Source rows")) " (" (rows.len()) ")" }
            (table(&header, &rows, "data"))
        }
    } else {
        let (what, next): (&str, fn(&mut Scope, String)) = match d.level {
            Level::Region => (t("地区", "Region"), |s, v| s.region = Some(v)),
            Level::Dept => (t("部门", "Department"), |s, v| s.dept = Some(v)),
            Level::Agency => (t("预算单位", "Budget unit"), |s, v| s.agency = Some(v)),
            _ => (t("项目", "Project"), |s, v| s.project = Some(v)),
        };
        let rows: Vec<Vec<maud::Markup>> = d
            .rows
            .iter()
            .map(|r| {
                let mut s = scope.clone();
                next(&mut s, r.code.clone());
                let name = match (r.name.is_empty(), r.code.is_empty()) {
                    (false, _) => r.name.clone(),
                    (true, false) => r.code.clone(),
                    (true, true) => no_project.to_string(),
                };
                let cls = match bands.lag(r.behind_pp) {
                    "green" => "",
                    c => c,
                };
                let projected = row_projection(r);
                let low = projected
                    .and_then(|p| p.rate)
                    .is_some_and(|x| x < bands.projected_pct);
                vec![
                    text(&r.code),
                    a(&scope_href(period, &s), &name),
                    num(&r.budget.wan()),
                    num(&r.ytd.wan()),
                    html! { span class={ "n " (cls) } { (pct(r.rate)) } },
                    html! { span class=(if low { "n red" } else { "n" }) { (pct(projected.and_then(|p| p.rate))) } },
                ]
            })
            .collect();
        html! {
            h2 { (what) " (" (rows.len()) ")" }
            (table(
                &[
                    t("编码", "Code"),
                    what,
                    t("调整预算(万元)", "Budget (10k)"),
                    t("累计支出(万元)", "Spent (10k)"),
                    t("执行率", "Rate"),
                    t("预计年末", "Year-end (projected)"),
                ],
                &rows,
                "data",
            ))
        }
    };
    // Alerts touching this scope
    let filter = Filter {
        dept: scope.dept.as_ref().and(d.names.get(1).cloned()),
        agency: scope.agency.clone(),
        open: true,
        ..Default::default()
    };
    let alerts = st.alerts_for(&auth.session.reach, filter).await.page()?;
    let path = scope_href(period, &scope);
    // From a unit down, the payments behind it are one click away.
    let trace = scope.agency.as_ref().map(|agency| crate::trail::Trace {
        region: scope.region.clone(),
        agency: Some(agency.clone()),
        project: scope.project.clone(),
        ..Default::default()
    });
    out(page(
        &auth,
        Frame::new("drill", t("穿透查询", "Drill-down"), &path),
        html! {
            div.titlebar {
                h1 { (t("穿透查询", "Drill-down")) }
                (period_picker("/drill", &periods, period, l, &hidden))
            }
            p.crumbs {
                @for (i, (href, name)) in crumbs.iter().enumerate() {
                    @if i > 0 { " › " }
                    (a(href, name))
                }
            }
            p {
                (t("调整预算", "Budget")) " " (d.total.budget.wan()) (t("万元", " (10k)")) " · "
                (t("累计支出", "spent")) " " (d.total.ytd.wan()) (t("万元", " (10k)")) " · "
                (t("执行率", "execution")) " " b { (pct(d.total.rate)) } " · "
                (t("序时进度", "time progress")) " " (format!("{:.1}%", d.time_progress))
            }
            @if let Some(p) = here {
                p.outlook {
                    (t("按目前进度预计年末执行率", "At this pace the year ends at")) " " b { (pct(p.rate)) }
                    @if let (Some(lo), Some(hi)) = (p.low, p.high) {
                        " (" (t("区间", "interval")) " " (format!("{lo:.1}–{hi:.1}%")) ")"
                    }
                    " · " (t("依据", "profile")) " " (p.basis.zh())
                    @if p.years > 0 { " " (p.years) (t("年", " yr")) }
                    " · " (t("截至", "as of")) " " (p.as_of)
                }
            }
            @if let Some(trace) = &trace {
                p { a #trail href=(super::trail_href(period, trace)) { (t("资金流向：支付记录、收款人和所用指标", "Money trail: payments, payees and quotas drawn on")) } }
            }
            (crate::views::chart(charts::execution_outlook(
                t("近12个月执行率(红线为序时进度，虚线为年末预测)", "Execution over 12 months (red: time progress; dashed: projection)"),
                t("执行率", "execution"),
                &d.trend,
                here.map(|p| (t("预测", "projection"), p.path.as_slice())),
            )))
            (listing)
            h2 { (t("相关未办结预警", "Open alerts here")) " (" (alerts.len()) ")" }
            (alert_table(&alerts, l, 50))
        },
    ))
}
