//! 规则: the rule catalog with how often each fired and whether it could judge the last period,
//! and one rule with its parameters (defaults and in effect) and SQL.

use axum::extract::{Path, State};
use maud::{Markup, html};

use super::{PageOut, alert_href, out};
use crate::i18n::term;
use crate::web::html::{Frame, a, num, page, table, text};
use crate::web::{AppError, AppState, Auth, PageResult};

pub async fn rules(State(st): State<AppState>, auth: Auth) -> PageOut {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let set = st.rules().page()?;
    let (last, outcomes) = st
        .alerts
        .read(|store| {
            let last = store.checked_periods()?.into_iter().next_back();
            let outcomes = match &last {
                Some(p) => store.rule_outcomes(p)?,
                None => vec![],
            };
            Ok::<_, crate::PurseError>((last, outcomes))
        })
        .await
        .page()?;
    let fired = st.fired_for(&auth.session.reach).await.page()?;
    let rows: Vec<Vec<Markup>> = set
        .rules
        .iter()
        .map(|r| {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                a(&format!("/rules/{}", r.id), &r.id),
                text(l.t(&r.title_zh, &r.title_en)),
                text(&term(&r.category, l)),
                text(&r.datasets.join(", ")),
                text(r.fixed_level.as_deref().unwrap_or(t("按值", "by value"))),
                html! { code { (params.join(", ")) } },
                num(&fired.get(&r.id).copied().unwrap_or(0).to_string()),
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
        last.as_deref().unwrap_or("")
    );
    out(page(
        &auth,
        Frame::new("rules", t("规则", "Rules"), "/rules"),
        html! {
            h1 { (t("规则目录", "Rule catalog")) " (" (set.rules.len()) ")" }
            (table(
                &[
                    t("编号", "ID"),
                    t("名称", "Title"),
                    t("类别", "Category"),
                    t("数据集", "Datasets"),
                    t("等级", "Severity"),
                    t("参数", "Parameters"),
                    t("触发次数", "Fired"),
                    &last_col,
                    t("状态", "State"),
                ],
                &rows,
                "data",
            ))
        },
    ))
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
    let kv: [(&str, String); 7] = [
        (t("类别", "Category"), term(&r.category, l)),
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
            h2 { "SQL" }
            pre.sql { (r.sql) }
            p { (a(&alert_href(&[("rule", &r.id), ("status", "")]), t("查看该规则的预警", "Alerts of this rule"))) }
        },
    ))
}
