//! 资金流向: the payments behind a unit, a project, a budget line, a payee or an alert, who was
//! paid, and the line and 指标 each drew on. Every name in the tables narrows the trail one
//! step further (a payee, a quota), every unit opens its drill-down.

use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, out, period_picker, query};
use crate::common::period::Period;
use crate::error::PurseError;
use crate::i18n::Lang;
use crate::trail::{Trace, Trail};
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{PageQuery, PageResult};
use crate::web::html::{Frame, a, num, page, table, text};

#[derive(Deserialize, Default)]
pub struct TrailQ {
    #[serde(default, deserialize_with = "crate::common::period::optional")]
    pub period: Option<Period>,
    /// Follow this alert's finding (its rule's key), to the alert's last month unless
    /// `period` says otherwise.
    #[serde(default)]
    pub alert: Option<i64>,
    #[serde(flatten)]
    pub trace: Trace,
}

/// The trace and month a query asks for: an alert's, or the fields given. A trace naming
/// nothing narrower than a region, or an alert whose finding the payments do not carry, is a
/// 400 that says so.
pub async fn resolve(st: &AppState, auth: &Auth, q: TrailQ) -> crate::Result<(Period, Trace)> {
    let (period, trace) = match q.alert {
        Some(id) => {
            let (last, trace) = st.alert_trace(&auth.session.reach, id).await?.ok_or_else(|| {
                PurseError::Invalid(format!(
                    "alert #{id} names no unit, project, payee or quota: its finding has no payments to follow"
                ))
            })?;
            (Some(q.period.unwrap_or(last)), trace)
        }
        None => (q.period, q.trace.cleaned()),
    };
    if !trace.is_narrow() {
        return Err(PurseError::Invalid(
            "a money trail follows a unit (agency), a project, a function or economic code, a payee or a quota (指标编号): name at least one".into(),
        ));
    }
    Ok((st.period_or_latest(period).await?, trace))
}

/// The link to a trail (what the alert page, the drill-down and the trail's own tables use).
pub fn trail_href(period: Period, t: &Trace) -> String {
    let p = period.to_string();
    let q = query(std::iter::once(("period", Some(p.as_str()))).chain(t.fields()));
    format!("/trail?{q}")
}

/// The trace as the page's heading reads it: each field named, in the reader's language.
fn what(t: &Trace, l: Lang) -> Vec<(&'static str, String)> {
    t.fields()
        .into_iter()
        .filter_map(|(k, v)| {
            let (zh, en) = match k {
                "region" => ("地区", "Region"),
                "agency" => ("预算单位", "Unit"),
                "project" => ("项目", "Project"),
                "func" => ("功能分类", "Function"),
                "econ" => ("经济分类", "Economic"),
                "payee" => ("收款人", "Payee"),
                _ => ("指标编号", "Quota"),
            };
            Some((l.t(zh, en), v?.to_string()))
        })
        .collect()
}

/// Exact 元 with separators, for a column whose header names the unit.
fn yuan(m: crate::common::Money) -> Markup {
    num(m.yuan_grouped().trim_end_matches('元'))
}

fn opt_yuan(m: Option<crate::common::Money>) -> Markup {
    match m {
        Some(m) => yuan(m),
        None => text("—"),
    }
}

fn lines_table(tr: &Trail, period: Period, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = tr
        .lines
        .iter()
        .map(|x| {
            let unit = format!(
                "/drill?{}",
                query([
                    ("period", Some(period.to_string().as_str())),
                    ("region", Some(x.region_code.as_str())),
                    ("agency", Some(x.agency_code.as_str())),
                ])
            );
            let quota = Trace {
                quota: Some(x.quota_id.clone()),
                ..tr.trace.clone()
            };
            vec![
                a(&unit, &format!("{} {}", x.agency_code, x.agency_name)),
                text(&x.func_code),
                text(&format!("{} {}", x.econ_code, x.econ_name)),
                text(&format!("{} {}", x.project_code, x.project_name)),
                if x.quota_id.is_empty() {
                    text(t("(无指标)", "(none)"))
                } else {
                    a(&trail_href(period, &quota), &x.quota_id)
                },
                num(&x.payments.to_string()),
                yuan(x.paid),
                opt_yuan(x.adjusted_budget),
                opt_yuan(x.ytd_amount),
            ]
        })
        .collect();
    table(
        &[
            t("预算单位", "Unit"),
            t("功能分类", "Function"),
            t("经济分类", "Economic"),
            t("项目", "Project"),
            t("指标编号", "Quota"),
            t("笔数", "Payments"),
            t("支付金额(元)", "Paid (yuan)"),
            t("调整预算(元)", "Budget (yuan)"),
            t("累计支出(元)", "Spent (yuan)"),
        ],
        &rows,
        "data",
    )
}

fn payees_table(tr: &Trail, period: Period, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = tr
        .payees
        .iter()
        .map(|p| {
            let follow = Trace {
                payee: Some(p.payee.clone()),
                ..tr.trace.clone()
            };
            vec![
                a(&trail_href(period, &follow), &p.payee),
                text(&p.payee_account),
                num(&p.payments.to_string()),
                yuan(p.paid),
                text(&p.first_date),
                text(&p.last_date),
            ]
        })
        .collect();
    table(
        &[
            t("收款人", "Payee"),
            t("收款账号", "Account"),
            t("笔数", "Payments"),
            t("金额(元)", "Paid (yuan)"),
            t("首笔", "First"),
            t("末笔", "Last"),
        ],
        &rows,
        "data",
    )
}

fn payments_table(tr: &Trail, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = tr
        .rows
        .iter()
        .map(|p| {
            vec![
                text(&p.pay_date),
                text(&p.voucher_no),
                text(&format!("{} {}", p.agency_code, p.agency_name)),
                text(&p.payee),
                yuan(p.amount),
                text(&p.func_code),
                text(&p.econ_code),
                text(&p.project_code),
                text(&p.purpose),
                text(&p.pay_method),
                text(&p.is_direct),
                text(&p.quota_id),
                text(&format!("{}:{}", p.file, p.source_row)),
            ]
        })
        .collect();
    table(
        &[
            t("支付日期", "Date"),
            t("凭证号", "Voucher"),
            t("预算单位", "Unit"),
            t("收款人", "Payee"),
            t("金额(元)", "Amount (yuan)"),
            t("功能", "Function"),
            t("经济", "Economic"),
            t("项目", "Project"),
            t("用途", "Purpose"),
            t("支付方式", "Method"),
            t("直达", "Direct"),
            t("指标编号", "Quota"),
            t("来源(文件:行)", "Source (file:row)"),
        ],
        &rows,
        "data",
    )
}

/// GET /trail: the trail of the query's trace (or alert) from January to the month.
pub async fn trail(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<TrailQ>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (period, trace) = resolve(&st, &auth, q).await.page()?;
    let tr = st.trail(period, &trace, &auth.session.reach).await.page()?;
    let periods = st.periods().await.page()?;
    let path = trail_href(period, &trace);
    let hidden: Vec<(&str, &str)> = trace
        .fields()
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    out(page(
        &auth,
        Frame::new("drill", t("资金流向", "Money trail"), &path),
        html! {
            div.titlebar {
                h1 { (t("资金流向", "Money trail")) }
                (period_picker("/trail", &periods, period, l, &hidden))
            }
            p.crumbs id="trace" {
                @for (i, (k, v)) in what(&trace, l).iter().enumerate() {
                    @if i > 0 { " · " }
                    (k) " " b { (v) }
                }
                // The unit's name, where the payments give it.
                @if let (Some(_), Some(first)) = (&trace.agency, tr.lines.first()) {
                    " " (first.agency_name)
                }
            }
            p id="trail-total" {
                (tr.from) "–" (tr.period) ": "
                (tr.payments) (t(" 笔支付，", " payments, ")) b { (tr.paid.yuan_grouped()) }
                (t("，其中直达资金 ", "; direct funds ")) (tr.direct_paid.yuan_grouped())
                (t("；收款人 ", "; payees ")) (tr.payees_count)
            }
            @if tr.payments == 0 {
                p { (t("这一期间没有与之对应的支付记录。", "No payment matches in this period.")) }
            } @else {
                h2 { (t("所用预算指标", "Budget lines and quotas drawn on")) " (" (tr.lines.len()) ")" }
                (lines_table(&tr, period, l))
                h2 { (t("收款人", "Payees")) " (" (tr.payees.len()) "/" (tr.payees_count) ")" }
                (payees_table(&tr, period, l))
                h2 { (t("支付明细", "Payments")) " (" (tr.rows.len()) "/" (tr.payments) ")" }
                (payments_table(&tr, l))
            }
        },
    ))
}
