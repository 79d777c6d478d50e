//! 规则: the supervision framework the pack covers (each focus with its rules, the focuses no
//! rule serves, the four budgets), the rule catalog with how often each fired and whether it
//! could judge the last period, and one rule with its parameters (defaults and in effect) and
//! SQL.

use std::collections::HashMap;

use axum::extract::{Path, State};
use maud::{Markup, html};

use super::{PageOut, alert_href, out};
use crate::i18n::term;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageQuery, PageResult};
use crate::web::html::{Frame, a, num, page, table, text};

pub async fn rules(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let set = st.rules().page()?;
    let (last, outcomes) = st
        .alerts
        .read(|store| {
            let last = store.checked_periods()?.into_iter().next_back();
            let outcomes = match &last {
                Some(p) => store.rule_outcomes(*p)?,
                None => vec![],
            };
            Ok::<_, crate::PurseError>((last, outcomes))
        })
        .await
        .page()?;
    // Every alert the user sees, read once: how many each rule raised, and how they ended (so a
    // rule that mostly raises false alarms shows).
    let past = st
        .alerts_for(&auth.session.reach, crate::alerts::Filter::default())
        .await
        .page()?;
    let mut fired: HashMap<String, i64> = HashMap::new();
    for a in &past {
        *fired.entry(a.rule_id.clone()).or_insert(0) += 1;
    }
    let rows: Vec<Vec<Markup>> = set
        .rules
        .iter()
        .map(|r| {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                a(&format!("/rules/{}", r.id), &r.id),
                text(l.t(&r.title_zh, &r.title_en)),
                text(&term(&r.category, l)),
                text(r.focus.map_or(t("未归类", "unclassified"), |f| l.t(f.zh(), f.en()))),
                text(&r.datasets.join(", ")),
                text(r.fixed_level.as_deref().unwrap_or(t("按值", "by value"))),
                html! { code { (params.join(", ")) } },
                num(&fired.get(&r.id).copied().unwrap_or(0).to_string()),
                ended(r, &crate::foresight::backtest::past_outcomes(r, &past), l),
                match outcomes.iter().find(|o| o.rule_id == r.id) {
                    Some(o) if o.evaluated => text(t("已评估", "evaluated")),
                    Some(o) => html! {
                        span.muted { (t("未评估", "not evaluated")) "：" (o.reason.as_deref().unwrap_or("")) }
                    },
                    None => html! {},
                },
                text(if r.enabled {
                    t("启用", "on")
                } else {
                    t("停用", "off")
                }),
            ]
        })
        .collect();
    let last_col = format!(
        "{} {}",
        t("最近一期", "Last period"),
        last.map(|p| p.to_string()).unwrap_or_default()
    );
    out(page(
        &auth,
        Frame::new("rules", t("规则", "Rules"), "/rules"),
        html! {
            h1 { (t("规则目录", "Rule catalog")) " (" (set.rules.len()) ")" }
            (framework(&set.rules, &fired, l))
            h2 { (t("全部规则", "Every rule")) }
            (table(
                &[
                    t("编号", "ID"),
                    t("名称", "Title"),
                    t("类别", "Category"),
                    t("监督重点", "Focus"),
                    t("数据集", "Datasets"),
                    t("等级", "Severity"),
                    t("参数", "Parameters"),
                    t("触发次数", "Fired"),
                    t("处理结果", "How they ended"),
                    &last_col,
                    t("状态", "State"),
                ],
                &rows,
                "data",
            ))
        },
    ))
}

/// How a rule's alerts ended: rectified (销号), dismissed as false (排除), resolved by data,
/// still open; and the share of the decided ones that were real. A record-mode rule's findings
/// are records, never a workflow item: only their number.
fn ended(
    r: &crate::rules::Rule,
    p: &crate::foresight::backtest::PastOutcomes,
    l: crate::i18n::Lang,
) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    if p.closed + p.dismissed + p.resolved + p.open == 0 {
        return html! {};
    }
    if r.mode == "record" {
        return html! { (t("仅记录", "recorded")) " " (p.resolved + p.open) };
    }
    html! {
        (t("销号", "closed")) " " (p.closed) " · "
        (t("排除", "dismissed")) " " (p.dismissed) " · "
        (t("数据消除", "resolved")) " " (p.resolved) " · "
        (t("未结", "open")) " " (p.open)
        @if let Some(precision) = p.precision {
            @if precision < 50.0 {
                " " span.badge.red title=(t("排除多于销号：可用回测调整参数", "more dismissed than closed: tune it with a backtest")) {
                    (t("准确率", "precision")) " " (format!("{precision:.0}")) "%"
                }
            } @else {
                " · " (t("准确率", "precision")) " " (format!("{precision:.0}")) "%"
            }
        }
    }
}

/// The framework the pack covers (监督框架): each focus of review with its rules and the alerts
/// they raised, a focus no rule serves marked as a gap, and the rules per budget (全口径).
fn framework(
    rules: &[crate::rules::Rule],
    fired: &HashMap<String, i64>,
    l: crate::i18n::Lang,
) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let m = crate::rules::framework::map(rules, fired);
    let rows: Vec<Vec<Markup>> = m
        .focuses
        .iter()
        .map(|f| {
            vec![
                text(l.t(f.focus.zh(), f.focus.en())),
                if f.rules.is_empty() {
                    html! { span.badge.red { (t("暂无规则", "no rule yet")) } }
                } else {
                    html! {
                        @for (i, id) in f.rules.iter().enumerate() {
                            @if i > 0 { ", " }
                            (a(&format!("/rules/{id}"), id))
                        }
                    }
                },
                num(&f.fired.to_string()),
            ]
        })
        .collect();
    let gaps = m.focuses.iter().filter(|f| f.rules.is_empty()).count();
    html! {
        section #framework {
            h2 { (t("监督框架", "Supervision framework")) }
            p.note {
                (t("按人大预算审查监督重点（2018年指导意见六个方面，及国有资产、审计整改、收入与库款、数据质量）归类；",
                   "By the focuses of budget review (the 2018 guideline's six, with state assets, audit follow-up, revenue and data quality); "))
                (gaps) (t(" 个重点尚无规则。", " focus(es) without a rule."))
            }
            (table(&[t("监督重点", "Focus"), t("规则", "Rules"), t("触发次数", "Fired")], &rows, "data"))
            p {
                (t("全口径：", "All four budgets: "))
                @for (i, (b, n)) in m.budgets.iter().enumerate() {
                    @if i > 0 { " · " }
                    (l.t(b.zh(), b.en())) " " (n)
                    @if *n == 0 { " " span.badge.red { (t("暂无规则", "no rule yet")) } }
                }
            }
            @if !m.unclassified.is_empty() {
                p.muted { (t("未归类：", "Unclassified: ")) (m.unclassified.join(", ")) }
            }
        }
    }
}

pub async fn rule(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<HashMap<String, String>>,
) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let set = st.rules().page()?;
    let r = set
        .rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::not_found(format!("no rule `{id}`")).page())?;
    let fired = st
        .fired_for(&auth.session.reach)
        .await
        .page()?
        .get(&r.id)
        .copied()
        .unwrap_or(0);
    let params: Vec<Vec<Markup>> = r
        .defaults
        .iter()
        .map(|(k, d)| {
            vec![
                text(k),
                text(&d.to_string()),
                text(&r.params.get(k).map(|v| v.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    let months = r
        .months
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let budgets: Vec<&str> = r.budgets.iter().map(|b| l.t(b.zh(), b.en())).collect();
    let kv: [(&str, String); 9] = [
        (t("类别", "Category"), term(&r.category, l)),
        (
            t("监督重点", "Focus"),
            r.focus
                .map_or(t("未归类", "unclassified"), |f| l.t(f.zh(), f.en()))
                .to_string(),
        ),
        (
            t("预算口径", "Budgets"),
            if budgets.is_empty() {
                t("不涉及", "none").to_string()
            } else {
                budgets.join("、")
            },
        ),
        (t("数据集", "Datasets"), r.datasets.join(", ")),
        (t("数据时效", "Cadence"), r.cadence.as_str().to_string()),
        (t("适用月份", "Months"), months),
        (t("键", "Key"), r.key.join(", ")),
        (
            t("消息", "Message"),
            l.t(&r.message_zh, &r.message_en).to_string(),
        ),
        (t("触发次数", "Fired"), fired.to_string()),
    ];
    let backtest_panel = backtest(&st, &auth, r, &q).await.page()?;
    let path = format!("/rules/{id}");
    out(page(
        &auth,
        Frame::new("rules", &r.id, &path),
        html! {
            h1 { (r.id) " · " (l.t(&r.title_zh, &r.title_en)) }
            p { (r.description) }
            table.kv { @for (k, v) in &kv { tr { td { (k) } td { (v) } } } }
            h2 { (t("参数", "Parameters")) }
            (table(
                &[t("参数", "Parameter"), t("默认", "Default"), t("生效", "In effect")],
                &params,
                "compact",
            ))
            (backtest_panel)
            h2 { "SQL" }
            pre.sql { (r.sql) }
            p { (a(&alert_href(&[("rule", &r.id), ("status", "")]), t("查看该规则的预警", "Alerts of this rule"))) }
        },
    ))
}

/// 回测: the rule's parameters as a form (each prefilled with the value in effect) and a range
/// of periods; with a range given, the rule runs over it as it is and as proposed, on the
/// user's own (bounded) engine, and nothing is written.
async fn backtest(
    st: &AppState,
    auth: &Auth,
    r: &crate::rules::Rule,
    q: &HashMap<String, String>,
) -> Result<Markup, AppError> {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let periods = st.periods().await?;
    let (latest, earliest) = (
        periods.first().cloned().unwrap_or_default(),
        periods.last().cloned().unwrap_or_default(),
    );
    let from = q.get("from").filter(|v| !v.is_empty());
    let to = q.get("to").filter(|v| !v.is_empty());
    let value = |k: &str| {
        q.get(&format!("p_{k}"))
            .cloned()
            .unwrap_or_else(|| r.params.get(k).map(|v| v.to_string()).unwrap_or_default())
    };
    let form = html! {
        h2 #backtest { (t("回测", "Backtest")) }
        p.note { (t("按拟调整的参数在历史期间试运行本规则：不产生、不改变任何预警。", "Run the rule with proposed parameters over past periods: no alert is created or changed.")) }
        form.backtest method="get" action={ "/rules/" (r.id) "#backtest" } {
            label { (t("起", "From")) " " input type="month" name="from" value=(from.cloned().unwrap_or(earliest)); }
            " "
            label { (t("止", "To")) " " input type="month" name="to" value=(to.cloned().unwrap_or(latest)); }
            @for k in r.params.keys() {
                " "
                label { code { (k) } " " input type="text" size="8" name={ "p_" (k) } value=(value(k)); }
            }
            " "
            button #run-backtest type="submit" { (t("回测", "Run backtest")) }
        }
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(form);
    };
    let range = period_range(from, to)?;
    let sets: Vec<(String, String)> = r
        .params
        .iter()
        .filter_map(|(k, v)| {
            let proposed = value(k);
            (proposed.trim() != v.to_string()).then(|| (k.clone(), proposed))
        })
        .collect();
    let reach = &auth.session.reach;
    let ctx = st.engine(reach).await?;
    let past = st
        .alerts_for(
            reach,
            crate::alerts::Filter {
                rule: Some(r.id.clone()),
                ..Default::default()
            },
        )
        .await?;
    let bt = crate::foresight::backtest::run(&ctx, r, &sets, &range, &past)
        .await
        .map_err(AppError::from)?;
    let months: Vec<Vec<Markup>> = bt
        .months
        .iter()
        .map(|m| match &m.not_evaluated {
            Some(why) => vec![text(&m.period), html! { span.muted { (why) } }, html! {}],
            None => vec![
                text(&m.period),
                num(&m.current.to_string()),
                html! { span class=(if m.proposed != m.current { "n changed" } else { "n" }) { (m.proposed) } },
            ],
        })
        .collect();
    let depts: Vec<Vec<Markup>> = bt
        .by_dept
        .iter()
        .map(|(d, a, b)| {
            vec![
                text(if d.is_empty() { "—" } else { d }),
                num(&a.to_string()),
                num(&b.to_string()),
            ]
        })
        .collect();
    let listing = |v: &[crate::foresight::backtest::Changed]| -> Vec<Vec<Markup>> {
        v.iter()
            .take(100)
            .map(|c| vec![text(&c.period), text(&c.level), text(&c.message)])
            .collect()
    };
    let p = &bt.past;
    Ok(html! {
        (form)
        section #backtest-result {
            p {
                @if bt.changed.is_empty() {
                    (t("参数未改变：以下为现行参数下的触发情况。", "No parameter changed: how the rule fires as it is."))
                } @else {
                    @for (k, a, b) in &bt.changed { code { (k) } " " (a) " → " b { (b) } " " }
                }
            }
            (table(&[t("期间", "Period"), t("现行", "Current"), t("拟调整", "Proposed")], &months, "compact"))
            h3 { (t("按部门", "By department")) }
            (table(&[t("部门", "Department"), t("现行", "Current"), t("拟调整", "Proposed")], &depts, "compact"))
            h3 { (t("新增的发现", "Findings the change adds")) " (" (bt.new.len()) ")" }
            (table(&[t("期间", "Period"), t("等级", "Level"), t("消息", "Message")], &listing(&bt.new), "compact"))
            h3 { (t("消失的发现", "Findings the change removes")) " (" (bt.gone.len()) ")" }
            (table(&[t("期间", "Period"), t("等级", "Level"), t("消息", "Message")], &listing(&bt.gone), "compact"))
            h3 { (t("本规则以往预警的结果", "How this rule's past alerts ended")) }
            p #precision {
                (t("已销号", "closed")) " " (p.closed) " · "
                (t("已排除", "dismissed")) " " (p.dismissed) " · "
                (t("数据消除", "resolved by data")) " " (p.resolved) " · "
                (t("办理中", "open")) " " (p.open) " · "
                (t("精确率（销号/(销号+排除)）", "precision (closed / (closed + dismissed))")) " "
                b { (p.precision.map(|x| format!("{x:.0}%")).unwrap_or_else(|| "—".into())) }
            }
        }
    })
}

/// The months from `from` to `to`, both `YYYY-MM`, at most ten years.
fn period_range(from: &str, to: &str) -> Result<Vec<crate::common::Period>, AppError> {
    let bad = |v: &str| AppError::bad_request(format!("`{v}` is not a period YYYY-MM"));
    let mut p: crate::common::period::Period = from.parse().map_err(|_| bad(from))?;
    let end: crate::common::period::Period = to.parse().map_err(|_| bad(to))?;
    let mut out = Vec::new();
    while p <= end {
        out.push(p);
        if out.len() > 120 {
            return Err(AppError::bad_request(
                "backtest: at most 120 months at a time",
            ));
        }
        p = p.next();
    }
    if out.is_empty() {
        return Err(AppError::bad_request(format!(
            "backtest: {from} is after {to}"
        )));
    }
    Ok(out)
}
