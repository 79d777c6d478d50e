//! 问数: a question box whose every answer shows how it was computed — the question as
//! understood, the SQL, the rows, a chart — or says it cannot answer, with questions it can.

use axum::extract::State;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::{PageOut, out};
use crate::ask::{Answer, Kind};
use crate::charts;
use crate::i18n::Lang;
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{PageQuery, PageResult};
use crate::web::html::{Frame, csrf, num, page, table, text, urlencode};

#[derive(Deserialize, Default)]
pub struct AskQ {
    #[serde(default)]
    pub q: Option<String>,
}

/// The question box (the page's and the cockpit's).
pub fn question_box(l: Lang, q: &str) -> Markup {
    html! {
        form.ask method="get" action="/ask" {
            input #ask-q name="q" value=(q) size="48" required
                placeholder=(l.t("用中文提问，如：执行率最低的五个部门", "Ask in Chinese, e.g. 执行率最低的五个部门"));
            " " button #ask-go { (l.t("问数", "Ask")) }
        }
    }
}

/// A chart of an answer broken down by one dimension (bars) or by month (a line).
fn chart(a: &Answer) -> Option<String> {
    if a.rows.len() < 2 || a.columns.len() < 2 {
        return None;
    }
    let kind = a.kind?;
    let value = |r: &Vec<String>| -> Option<f64> { r.get(1)?.parse().ok() };
    // Money in 元: the axis writes it as 万 / 亿 itself.
    let unit = match kind {
        Kind::Money => "元",
        Kind::Pct => "%",
        Kind::Pp => "个百分点",
        Kind::Count => "",
    };
    let title = match kind {
        Kind::Money | Kind::Count => a.columns[1].clone(),
        _ => format!("{}（{unit}）", a.columns[1]),
    };
    if a.columns[0] == "月份" {
        let x: Vec<String> = a.rows.iter().map(|r| r[0].clone()).collect();
        let ys: Vec<Option<f64>> = a.rows.iter().map(value).collect();
        return Some(charts::lines(
            &title,
            &x,
            &[(a.columns[1].as_str(), ys)],
            None,
            unit,
        ));
    }
    let bars: Vec<charts::Bar> = a
        .rows
        .iter()
        .take(20)
        .filter_map(|r| {
            Some(charts::Bar {
                label: r[0].clone(),
                value: value(r)?,
                colour: None,
            })
        })
        .collect();
    (!bars.is_empty()).then(|| charts::hbars(&title, &bars, None, unit))
}

/// What an answer shows.
pub fn answer_view(auth: &Auth, a: &Answer) -> Markup {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = a
        .rows
        .iter()
        .take(200)
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, v)| if i == 0 { text(v) } else { num(v) })
                .collect()
        })
        .collect();
    let head: Vec<&str> = a.columns.iter().map(String::as_str).collect();
    html! {
        section #answer class={ "answer " (a.status) } {
            p.sentence #ask-sentence { b { (a.sentence) } }
            @if !a.understood.is_empty() {
                p.note #ask-understood { (t("理解为：", "Understood as: ")) (a.understood) }
            }
            @if let Some(m) = &a.model {
                p.note #ask-model { (t("本地模型：", "Local model: ")) (m) }
            }
            @if !a.choices.is_empty() {
                ul #ask-choices {
                    @for c in &a.choices {
                        li { a href={ "/ask?q=" (urlencode(&a.question.replacen(&ambiguous_word(a), c, 1))) } { (c) } }
                    }
                }
            }
            @if !a.suggestions.is_empty() {
                p { (t("可以这样问：", "Questions it answers: ")) }
                ul #ask-suggestions {
                    @for s in &a.suggestions {
                        li { a href={ "/ask?q=" (urlencode(s)) } { (s) } }
                    }
                }
            }
            @if let Some(svg) = chart(a) {
                div.chart #ask-chart { (PreEscaped(svg)) }
            }
            @if !a.rows.is_empty() {
                (table(&head, &rows, "data ask-rows"))
                @if a.rows.len() > 200 { p.note { (t("仅显示前200行", "First 200 rows shown")) } }
            }
            @if let Some(sql) = &a.sql {
                details #ask-sql open {
                    summary { "SQL" @if let Some(p) = &a.period { " · " (t("数据期", "data of")) " " (p) } }
                    pre { code { (sql) } }
                    @if auth.role() >= Role::Adviser {
                        form method="post" action="/console" {
                            (csrf(auth))
                            input type="hidden" name="sql" value=(sql);
                            button #ask-console { (t("在SQL查询中打开", "Open in the SQL console")) }
                        }
                    }
                    @if let Some(p) = &a.period {
                        p { a href={ "/drill?period=" (p) } { (t("穿透查询", "Drill down")) } }
                    }
                }
            }
        }
    }
}

/// The word an ambiguous answer is about (between the quotes of its sentence).
fn ambiguous_word(a: &Answer) -> String {
    a.sentence
        .split('“')
        .nth(1)
        .and_then(|s| s.split('”').next())
        .unwrap_or("")
        .to_string()
}

/// `GET /ask?q=…`: the question box and, with a question, its answer.
pub async fn ask(State(st): State<AppState>, auth: Auth, PageQuery(q): PageQuery<AskQ>) -> PageOut {
    auth.require(Role::Viewer)?;
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let question = q.q.unwrap_or_default();
    let question = question.trim();
    let answer = if question.is_empty() {
        None
    } else {
        Some(st.ask(question, &auth.session.reach).await.page()?)
    };
    out(page(
        &auth,
        Frame::new("ask", t("问数", "Ask"), "/ask"),
        html! {
            h1 { (t("问数", "Ask the data")) }
            p.note { (t("每个回答都给出所用的SQL和数据行；不能回答的问题会直说。",
                        "Every answer shows its SQL and rows; what it cannot answer, it says so.")) }
            (question_box(l, question))
            @if let Some(a) = &answer { (answer_view(&auth, a)) }
            @else {
                p { (t("例如：", "For example: ")) }
                ul {
                    @for e in crate::ask::EXAMPLES {
                        li { a href={ "/ask?q=" (urlencode(e)) } { (e) } }
                    }
                }
            }
        },
    ))
}
