//! The monthly alert report (月度预警报告): one self-contained HTML document with inline SVG
//! charts, printable to A4, and an XLSX workbook with the alert list and the figures behind each
//! chart. The same state (data and alerts) always gives the same bytes: nothing in either file
//! reads the wall clock.

pub mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::Workbook;

use crate::alerts::{Alert, PeriodRecord};
use crate::common::xlsx::{add_sheet, props, xerr};
use crate::common::{Money, Period, Val};
use crate::error::{PurseError, Result};
use crate::figures::{self, Cockpit};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::common::level::LEVELS;
use crate::i18n::{Lang, level_class, level_label, pct, term};
use crate::rules::CATEGORIES;
use crate::views;

/// Everything the report says about one period.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: String,
    pub region_name: String,
    /// The day the report speaks from (its scheduled day): rectifications due before it are overdue.
    pub as_of: chrono::NaiveDate,
    /// The newest load the figures include.
    pub data_as_of: String,
    pub cockpit: Cockpit,
    pub previous: Option<Cockpit>,
    /// This month's alerts against last month's.
    pub month: crate::alerts::MonthAlerts,
    /// Open rectifications (整改中) anywhere, with `true` when overdue.
    pub rectifications: Vec<(Alert, bool)>,
    /// Rules that could not judge the period (no data for one of their datasets), and why.
    pub not_evaluated: Vec<Skipped>,
    /// Whether any dataset has rows for the period: a month with none says so at its head
    /// (本期无数据) instead of reporting no alerts.
    pub has_data: bool,
    /// The problem list's loop (闭环监督): where items stand as of the report's day, and what
    /// was opened, closed, sent back and rated in the period's month.
    pub problems: crate::problems::LoopSummary,
    /// Whom the report is bounded to (everything for the archived reports).
    pub reach: crate::users::Reach,
    /// Where the year will end at its pace (年终执行预测), with the projected PEFA grades.
    pub outlook: crate::foresight::Outlook,
    /// How good the data behind the report is, per source.
    pub quality: crate::foresight::quality::Scorecard,
    /// 本月要点: the open alerts of the month that matter first.
    pub highlights: Vec<crate::alerts::highlights::Highlight>,
}

/// A rule that did not judge the period: its title and why, in both languages.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub rule_id: String,
    pub title_zh: String,
    pub title_en: String,
    pub reason_zh: String,
    pub reason_en: String,
}

fn period_title(period: &str, lang: Lang) -> String {
    match crate::common::period::split_period(period) {
        Ok((y, m)) => match lang {
            Lang::Zh => format!("{y}年{m}月"),
            Lang::En => period.to_string(),
        },
        Err(_) => period.to_string(),
    }
}

/// Counts of this period's alerts by level and category.
pub fn matrix(alerts: &[(Alert, PeriodRecord)]) -> BTreeMap<(String, String), (usize, usize)> {
    let mut m = BTreeMap::new();
    for (a, p) in alerts {
        let e = m
            .entry((p.level.clone(), a.category.clone()))
            .or_insert((0, 0));
        if a.first_period == p.period {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    m
}

const CSS: &str = r#"
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px auto;max-width:900px;color:#1f2937;line-height:1.5}
h1{font-size:22px;text-align:center;margin-bottom:4px}h2{font-size:17px;border-bottom:2px solid #1e3a8a;padding-bottom:2px;margin-top:28px}
.sub{text-align:center;color:#555;font-size:13px}
.nodata{border:2px solid #b91c1c;background:#fef2f2;padding:8px 12px;font-size:15px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#eef2ff}td.n{text-align:right;font-variant-numeric:tabular-nums}
.red{color:#b91c1c;font-weight:bold}.orange{color:#c2410c;font-weight:bold}.yellow{color:#a16207}.blue{color:#1d4ed8}.green{color:#15803d}
.chart{text-align:center;margin:6px 0}.chart svg{max-width:100%;height:auto}
.kv td:first-child{width:30%;color:#555}.finding{page-break-inside:avoid;margin-bottom:10px}
.note{color:#555;font-size:12px}
@page{size:A4;margin:16mm}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}.chart{page-break-inside:avoid}}
"#;

/// The report as one HTML document (maud: every value escaped; charts are plotters' SVG). What
/// the cockpit also shows is drawn by the same partials in [`crate::views`].
pub fn html(r: &Report, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    let title = match lang {
        Lang::Zh => format!(
            "{}{}预算联网监督月度预警报告",
            r.region_name,
            period_title(&r.period, lang)
        ),
        Lang::En => format!("{} monthly alert report, {}", r.region_name, r.period),
    };
    let doc = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { (title) }
                @if !r.reach.is_all() {
                    p.note { (t("本报告仅含可见范围内的数据：", "This report covers only: ")) (r.reach.describe()) }
                }
                p.sub {
                    (t("报告日", "As of")) " " (r.as_of) " · "
                    (t("数据截至载入", "Data up to load")) " " (r.data_as_of) " · "
                    (t("序时进度", "Time progress")) " " (format!("{:.1}%", c.time_progress))
                }

                @if !r.has_data {
                    p.nodata {
                        b { (t("本期无数据。", "No data for this period.")) }
                        " " (t("本期未载入任何数据，以下不构成本期的监督结论；在办预警与整改情况照常列出。",
                               "Nothing was loaded for this period, so nothing below is a finding about it; open alerts and rectifications are listed as usual."))
                    }
                }
                h2 { (t("本月要点", "This month first")) }
                (crate::views::highlights(&r.highlights, lang, false))
                (overview(r, lang))
                (execution(r, lang))
                (alert_counts(r, lang))
                (top_findings(r, lang))
                (rectification(r, lang))
                (risks(r, lang))
                (indicators(r, lang))
                (changes(r, lang))
                (data_quality(r, lang))
            }
        }
    };
    let mut out = doc.into_string();
    out.push('\n');
    out
}

/// A level as the report marks it: `[红色]` in its colour.
fn level_span(lv: &str, lang: Lang) -> Markup {
    html! { span class=(level_class(lv)) { "[" (level_label(lv, lang)) "]" } }
}

/// 1. Overview: the budgets against time progress and the month's alerts in two sentences.
fn overview(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    let red = r
        .month
        .alerts
        .iter()
        .filter(|(_, p)| p.level == "红")
        .count();
    let overdue = r.rectifications.iter().filter(|x| x.1).count();
    let summary: String = c
        .budgets
        .iter()
        .map(|k| match lang {
            Lang::Zh => format!(
                "{}累计支出{}万元，执行{}（序时进度{:.1}%）；",
                k.budget_kind,
                k.ytd.wan(),
                pct(k.rate),
                c.time_progress
            ),
            Lang::En => format!(
                "{}: {} (10k yuan) spent, {} of budget (time progress {:.1}%); ",
                term(&k.budget_kind, lang),
                k.ytd.wan(),
                pct(k.rate),
                c.time_progress
            ),
        })
        .collect();
    let alerts_line = match lang {
        Lang::Zh => format!(
            "本月触发预警{}条，其中新增{}条、持续{}条，红色{}条；上月预警本月已消除{}条；整改中{}条，其中逾期{}条。",
            r.month.alerts.len(),
            r.month.new,
            r.month.continuing(),
            red,
            r.month.gone.len(),
            r.rectifications.len(),
            overdue
        ),
        Lang::En => format!(
            "{} alerts this month: {} new, {} continuing, {} red; {} of last month's no longer fire; {} under rectification, {} overdue.",
            r.month.alerts.len(),
            r.month.new,
            r.month.continuing(),
            red,
            r.month.gone.len(),
            r.rectifications.len(),
            overdue
        ),
    };
    html! {
                h2 { (t("一、总体情况", "1. Overview")) }
                @if r.has_data {
                    p { (summary) }
                    p { (alerts_line) }
                } @else {
                    p { (t("本期无数据，未作判断。", "No data for this period: nothing was judged.")) }
                }

    }
}

/// 2. Budget execution against time progress, the slowest departments and the year's outlook.
fn execution(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    html! {
                h2 { (t("二、预算执行与序时进度", "2. Budget execution against time progress")) }
                (views::execution_bars(&views::Inline, "budgets", c, &c.budgets, t("四本预算执行进度", "Execution of the four budgets"), lang))
                (views::exec_table(c, &c.budgets, t("预算", "Budget"), None, lang))
                @if !c.revenue.is_empty() {
                    (views::exec_table(c, &c.revenue, t("收入", "Revenue"), None, lang))
                }
                @if !c.lagging_depts.is_empty() {
                    p { b { (t("执行进度最慢的部门", "Departments furthest behind")) } }
                    (views::lagging_depts(c, lang, |_| None))
                }
                (views::trend(&views::Inline, c, Some(&r.outlook), lang))
                @if !r.outlook.projections.is_empty() {
                    p { b { (t("年终执行预测", "Where the year will end")) } }
                    (views::outlook_card(&r.outlook, c.bands.projected_pct, lang, |_| None))
                }

    }
}

/// 3. The month's alerts by severity and category (new + continuing).
fn alert_counts(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let m = matrix(&r.month.alerts);
    let cell = |lv: &str, cat: Option<&str>| {
        let (n, cont) = CATEGORIES
            .iter()
            .filter(|c| cat.is_none_or(|x| x == **c))
            .map(|c| {
                m.get(&(lv.to_string(), c.to_string()))
                    .copied()
                    .unwrap_or((0, 0))
            })
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if n + cont == 0 {
            String::new()
        } else {
            format!("{n} + {cont}")
        }
    };
    html! {
                h2 { (t("三、预警概况", "3. Alerts by severity and category")) }
                (views::severity_bars(
                    &views::Inline,
                    t("本月预警（按等级）", "Alerts this month by severity"),
                    |lv| r.month.alerts.iter().filter(|(_, p)| p.level == lv).count(),
                    lang,
                ))
                table {
                    tr {
                        th { (t("等级 \\ 类别", "Severity \\ category")) }
                        @for cat in CATEGORIES { th { (term(cat, lang)) } }
                        th { (t("合计", "Total")) }
                    }
                    @for lv in LEVELS {
                        tr {
                            td class=(level_class(lv)) { (level_label(lv, lang)) }
                            @for cat in CATEGORIES { td.n { (cell(lv, Some(cat))) } }
                            td.n { (cell(lv, None)) }
                        }
                    }
                }
                p.note { (t("格式：新增 + 持续。", "Format: new + continuing.")) }

    }
}

/// 4. The first ten findings with their evidence.
fn top_findings(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
                h2 { (t("四、重点问题", "4. Top findings")) }
                @if r.month.alerts.is_empty() { p { (t("本月无预警。", "No alerts this month.")) } }
                @for (a, p) in r.month.alerts.iter().take(10) {
                    div.finding {
                        p {
                            (level_span(&p.level, lang)) " " b { (a.title) } " — "
                            (match lang { Lang::Zh => &p.message_zh, Lang::En => &a.message_en })
                            (if a.first_period == p.period { t("（新增）", " (new)") } else { t("（持续）", " (continuing)") })
                        }
                        @if !p.evidence.is_empty() {
                            table.kv {
                                @for (k, v) in crate::rules::labels::readable(&p.evidence, lang).into_iter().take(10) {
                                    tr { td { (k) } td { (v) } }
                                }
                            }
                            @if !p.rows.is_empty() {
                                p.note { (t("证据明细", "Evidence rows")) " " (p.rows.len()) " " (t("条，见 XLSX 附表。", "rows, in the XLSX workbook.")) }
                            }
                        }
                    }
                }
                @if r.month.alerts.len() > 10 {
                    p.note { (t("其余预警见 XLSX 附表，共", "The full list is in the XLSX workbook:")) " " (r.month.alerts.len()) }
                }

    }
}

/// 5. Alerts in rectification, and the problem list's loop.
fn rectification(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
                h2 { (t("五、整改情况", "5. Rectification")) }
                @if r.rectifications.is_empty() {
                    p { (t("暂无整改中的预警。", "Nothing under rectification.")) }
                } @else {
                    table {
                        tr {
                            th { (t("预警", "Alert")) } th { (t("对象", "Subject")) } th { (t("责任人", "Owner")) }
                            th { (t("整改期限", "Due")) } th { (t("状态", "State")) }
                        }
                        @for (a, overdue) in &r.rectifications {
                            tr {
                                td { "#" (a.id) " " (a.title) }
                                td { (a.subject) }
                                td { (a.owner.as_deref().unwrap_or("")) }
                                td { (a.due_date.as_deref().unwrap_or("")) }
                                td class=(if *overdue { "red" } else { "green" }) {
                                    (if *overdue { t("逾期", "overdue") } else { t("按期", "on time") })
                                }
                            }
                        }
                    }
                }

                h3 { (t("问题清单闭环", "The problem list's loop")) }
                (views::loop_card(&r.problems, lang))

    }
}

/// 6. Government debt and state-owned enterprises.
fn risks(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    html! {
                h2 { (t("六、政府债务与国有企业风险", "6. Debt and SOE risk")) }
                @if !c.debt.is_empty() { (views::debt_table(c, lang)) }
                (views::soe(&views::Inline, c, lang, usize::MAX))

    }
}

/// 7. Economic indicators against their targets.
fn indicators(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    html! {
                h2 { (t("七、经济指标与年度目标", "7. Economic indicators against targets")) }
                @if c.indicators.iter().all(|i| i.target.is_none()) {
                    p { (t("本月无可比的指标目标。", "No indicator with a target this month.")) }
                } @else {
                    (views::indicators_table(c, lang))
                }

    }
}

/// 8. What changed since last month: execution, new alerts, those gone or held, rules not evaluated.
fn changes(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    let new: Vec<&(Alert, PeriodRecord)> = r
        .month
        .alerts
        .iter()
        .filter(|(a, p)| a.first_period == p.period)
        .collect();
    html! {
                h2 { (t("八、与上月相比", "8. Changes since last month")) }
                @match &r.previous {
                    Some(p) => {
                        ul {
                            @for k in &c.budgets {
                                @if let Some(pk) = p.budgets.iter().find(|x| x.budget_kind == k.budget_kind) {
                                    li {
                                        (term(&k.budget_kind, lang)) "：" (pct(pk.rate)) " → " (pct(k.rate))
                                        "（" (k.rate.zip(pk.rate).map(|(a, b)| format!("{:+.1} pp", a - b)).unwrap_or_default()) "）"
                                    }
                                }
                            }
                        }
                    }
                    None => { p { (t("无上月数据。", "No data for last month.")) } }
                }
                p { b { (t("新增预警", "New alerts:")) " " (new.len()) } }
                @if !new.is_empty() {
                    ul { @for (a, p) in &new { li { (level_span(&p.level, lang)) " " (a.title) " — " (a.subject) } } }
                }
                p { b { (t("本月已不再触发的预警", "No longer firing:")) " " (r.month.gone.len()) } }
                @if !r.month.gone.is_empty() {
                    ul {
                        @for a in &r.month.gone {
                            li { (a.title) " — " (a.subject) "（" (match lang { Lang::Zh => a.status.zh(), Lang::En => a.status.as_str() }) "）" }
                        }
                    }
                }
                @if !r.month.held.is_empty() {
                    p { b {
                        (t("上月预警本月缺少数据、未作判断（仍在办）", "Last month's alerts not judged this month for want of data (still open):"))
                        " " (r.month.held.len())
                    } }
                    ul { @for a in &r.month.held { li { (a.title) " — " (a.subject) } } }
                }
                @if !r.not_evaluated.is_empty() {
                    p { b { (t("本期未评估的规则", "Rules not evaluated this period:")) " " (r.not_evaluated.len()) } }
                    ul { @for o in &r.not_evaluated {
                        li { (lang.t(&o.title_zh, &o.title_en)) " — " (lang.t(&o.reason_zh, &o.reason_en)) }
                    } }
                }

    }
}

/// 9. The data-quality scorecard, and how the report was made.
fn data_quality(r: &Report, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
                h2 { (t("九、数据质量", "9. Data quality")) }
                (views::quality_table(&r.quality, lang))
                p.note {
                    (t(
                        "本报告由 purse 根据预算联网监督数据自动生成；金额单位为万元，执行率 = 累计支出 ÷ 调整预算。",
                        "Generated by purse from the budget supervision data; amounts in 10,000 yuan; execution = spent ÷ adjusted budget."
                    ))
                }
    }
}

/// The label of a debt-risk band (the report's tables and its XLSX).
pub use crate::views::band_label;

fn m(x: Money) -> Val {
    Val::Money(x)
}

fn n(x: Option<f64>) -> Val {
    x.map(|v| Val::Num((v * 100.0).round() / 100.0))
        .unwrap_or(Val::Null)
}

/// The report as a workbook: the alert list and the figures behind each chart, money in 元.
/// One sheet per table, in the report's order; each is made by a function of its own.
pub fn xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>> {
    let c = &r.cockpit;
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let sheets = [
        Some(highlight_sheet(r, lang)),
        Some(alert_sheet(r, lang)),
        evidence_sheet(r, lang),
        Some(kind_sheet(
            t("预算执行", "Execution"),
            &c.budgets,
            c.time_progress,
            lang,
        )),
        Some(kind_sheet(
            t("收入完成", "Revenue"),
            &c.revenue,
            c.time_progress,
            lang,
        )),
        Some(dept_sheet(c, lang)),
        Some(trend_sheet(c, lang)),
        Some(count_sheet(r, lang)),
        Some(debt_sheet(c, lang)),
        Some(loop_sheet(&r.problems, lang)),
        Some(soe_sheet(c, lang)),
        Some(indicator_sheet(c, lang)),
        Some(rectification_sheet(r, lang)),
    ];
    let mut wb = Workbook::new();
    wb.set_properties(&props(r.as_of)?);
    for s in sheets.into_iter().flatten() {
        add_sheet(&mut wb, &s.name, &s.header, &s.rows)?;
    }
    wb.save_to_buffer().map_err(xerr)
}

/// One sheet of the report's workbook: its name, header and rows.
struct Sheet {
    name: String,
    header: Vec<String>,
    rows: Vec<Vec<Val>>,
}

/// The month's alerts, one per line.
fn alert_sheet(r: &Report, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows: Vec<Vec<Val>> = r
        .month
        .alerts
        .iter()
        .map(|(a, p)| {
            vec![
                Val::Int(a.id),
                Val::Text(level_label(&p.level, lang)),
                Val::Text(term(&a.category, lang)),
                Val::Text(a.rule_id.clone()),
                Val::Text(a.title.clone()),
                Val::Text(a.subject.clone()),
                Val::Text(a.dept_name.clone().unwrap_or_default()),
                Val::Text(if a.first_period == p.period {
                    t("新增", "new")
                } else {
                    t("持续", "continuing")
                }),
                Val::Text(match lang {
                    Lang::Zh => a.status.zh().to_string(),
                    Lang::En => a.status.as_str().to_string(),
                }),
                Val::Text(p.value.clone().unwrap_or_default()),
                Val::Text(p.expected.clone().unwrap_or_default()),
                Val::Text(p.difference.clone().unwrap_or_default()),
                Val::Text(match lang {
                    Lang::Zh => p.message_zh.clone(),
                    Lang::En => a.message_en.clone(),
                }),
                Val::Text(a.owner.clone().unwrap_or_default()),
                Val::Text(a.due_date.clone().unwrap_or_default()),
            ]
        })
        .collect();
    Sheet {
        name: t("预警清单", "Alerts"),
        header: vec![
            t("编号", "ID"),
            t("等级", "Severity"),
            t("类别", "Category"),
            t("规则", "Rule"),
            t("标题", "Title"),
            t("对象", "Subject"),
            t("部门", "Department"),
            t("新增/持续", "New/continuing"),
            t("状态", "Status"),
            t("值", "Value"),
            t("标准", "Expected"),
            t("差异", "Difference"),
            t("说明", "Message"),
            t("责任人", "Owner"),
            t("整改期限", "Due"),
        ],
        rows,
    }
}

/// 本月要点 as a sheet: rank, points and what they rest on, money exact in 元.
fn highlight_sheet(r: &Report, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = r
        .highlights
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let a = &h.alert;
            vec![
                Val::Int(i as i64 + 1),
                Val::Int(a.id),
                Val::Text(crate::i18n::level_label(&a.level, lang).to_string()),
                Val::Text(a.title.clone()),
                Val::Text(lang.t(&a.message_zh, &a.message_en).to_string()),
                h.stake.map_or(Val::Null, Val::Money),
                Val::Int(a.months_open),
                Val::Int(h.reopened),
                Val::Int(i64::from(h.points)),
            ]
        })
        .collect();
    Sheet {
        name: t("本月要点", "This month first"),
        header: vec![
            t("序号", "Rank"),
            t("编号", "ID"),
            t("等级", "Severity"),
            t("标题", "Title"),
            t("说明", "Message"),
            t("涉及金额（元）", "At stake (yuan)"),
            t("持续月数", "Months open"),
            t("再次出现次数", "Came back"),
            t("要点分", "Points"),
        ],
        rows,
    }
}

/// The rows behind each finding (each payment of a split), one value per line, exact 元; none
/// when no finding kept rows.
fn evidence_sheet(r: &Report, lang: Lang) -> Option<Sheet> {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let mut rows: Vec<Vec<Val>> = Vec::new();
    for (a, p) in &r.month.alerts {
        for (i, row) in p.rows.iter().enumerate() {
            for (column, v) in row {
                if crate::rules::labels::is_helper(column) {
                    continue;
                }
                let name = crate::rules::labels::label(column, lang)
                    .map_or_else(|| column.clone(), |(l, _)| l.to_string());
                rows.push(vec![
                    Val::Int(a.id),
                    Val::Text(a.subject.clone()),
                    Val::Int(i as i64 + 1),
                    Val::Text(name),
                    Val::Text(v.clone()),
                ]);
            }
        }
    }
    (!rows.is_empty()).then(|| Sheet {
        name: t("证据明细", "Evidence rows"),
        header: vec![
            t("预警编号", "Alert"),
            t("对象", "Subject"),
            t("明细序号", "Row"),
            t("字段", "Field"),
            t("值（元）", "Value (yuan)"),
        ],
        rows,
    })
}

/// Execution headers: budget, adjusted budget, year to date, rate, time progress, behind.
fn kind_header(lang: Lang) -> [String; 6] {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    [
        t("预算", "Budget"),
        t("调整预算（元）", "Adjusted budget (yuan)"),
        t("累计完成（元）", "Year to date (yuan)"),
        t("完成率%", "Rate %"),
        t("序时进度%", "Time progress %"),
        t("落后（百分点）", "Behind (pp)"),
    ]
}

/// Execution (or revenue) per budget kind against time progress.
fn kind_sheet(name: String, kinds: &[figures::KindExec], progress: f64, lang: Lang) -> Sheet {
    let rows = kinds
        .iter()
        .map(|k| {
            vec![
                Val::Text(term(&k.budget_kind, lang)),
                m(k.budget),
                m(k.ytd),
                n(k.rate),
                n(Some(progress)),
                n(k.behind_pp),
            ]
        })
        .collect();
    Sheet {
        name,
        header: kind_header(lang).to_vec(),
        rows,
    }
}

/// The departments lagging time progress.
fn dept_sheet(c: &Cockpit, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let kh = kind_header(lang);
    let rows = c
        .lagging_depts
        .iter()
        .map(|d| {
            vec![
                Val::Text(d.code.clone()),
                Val::Text(d.name.clone()),
                m(d.budget),
                m(d.ytd),
                n(d.rate),
                n(d.behind_pp),
            ]
        })
        .collect();
    Sheet {
        name: t("部门进度", "Departments"),
        header: vec![
            t("编码", "Code"),
            t("部门", "Department"),
            kh[1].clone(),
            kh[2].clone(),
            kh[3].clone(),
            kh[5].clone(),
        ],
        rows,
    }
}

/// Execution month by month.
fn trend_sheet(c: &Cockpit, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    Sheet {
        name: t("执行趋势", "Trend"),
        header: vec![t("月份", "Month"), t("执行率%", "Execution %")],
        rows: c
            .trend
            .iter()
            .map(|(p, v)| vec![Val::Text(p.clone()), n(*v)])
            .collect(),
    }
}

/// New and continuing alerts by level and category.
fn count_sheet(r: &Report, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = matrix(&r.month.alerts)
        .into_iter()
        .map(|((l, cat), (nn, cont))| {
            vec![
                Val::Text(level_label(&l, lang)),
                Val::Text(term(&cat, lang)),
                Val::Int(nn as i64),
                Val::Int(cont as i64),
            ]
        })
        .collect();
    Sheet {
        name: t("预警统计", "Alert counts"),
        header: vec![
            t("等级", "Severity"),
            t("类别", "Category"),
            t("新增", "New"),
            t("持续", "Continuing"),
        ],
        rows,
    }
}

/// Government debt per region with its risk band.
fn debt_sheet(c: &Cockpit, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = c
        .debt
        .iter()
        .map(|d| {
            vec![
                Val::Text(d.region_code.clone()),
                Val::Text(d.region_name.clone()),
                m(d.balance),
                m(d.limit),
                m(d.capacity),
                n(d.ratio),
                Val::Text(band_label(d.band, lang).to_string()),
            ]
        })
        .collect();
    Sheet {
        name: t("政府债务", "Debt"),
        header: vec![
            t("区划", "Region code"),
            t("地区", "Region"),
            t("债务余额（元）", "Balance (yuan)"),
            t("债务限额（元）", "Limit (yuan)"),
            t("综合财力（元）", "Fiscal capacity (yuan)"),
            t("债务率%", "Debt ratio %"),
            t("风险等级", "Risk"),
        ],
        rows,
    }
}

/// The problem list's loop: where items stand, what moved in the month, the ratings.
fn loop_sheet(lp: &crate::problems::LoopSummary, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = [
        (t("未销号", "Not closed"), lp.not_closed()),
        (t("待交办", "To assign"), lp.open),
        (t("已交办", "Assigned"), lp.assigned),
        (t("已反馈", "Responded"), lp.responded),
        (t("退回", "Sent back"), lp.sent_back),
        (t("逾期", "Overdue"), lp.overdue),
        (t("本月新增", "Opened in the month"), lp.opened_in_period),
        (t("本月销号", "Closed in the month"), lp.closed_in_period),
        (
            t("本月退回", "Sent back in the month"),
            lp.sent_back_in_period,
        ),
        (t("满意", "Satisfied"), lp.satisfied),
        (t("基本满意", "Basically satisfied"), lp.basically),
        (t("不满意", "Unsatisfied"), lp.unsatisfied),
    ]
    .into_iter()
    .map(|(k, v)| vec![Val::Text(k), Val::Int(v)])
    .chain(lp.by_unit.iter().map(|u| {
        vec![
            Val::Text(format!(
                "{} {}/{}/{}",
                u.unit, u.satisfied, u.basically, u.unsatisfied
            )),
            Val::Int(u.satisfied + u.basically + u.unsatisfied),
        ]
    }))
    .collect();
    Sheet {
        name: t("闭环监督", "Loop"),
        header: vec![t("项目", "Item"), t("数量", "Count")],
        rows,
    }
}

/// The most leveraged state-owned enterprises against their warning lines.
fn soe_sheet(c: &Cockpit, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = c
        .soe
        .top
        .iter()
        .map(|l| {
            vec![
                Val::Text(l.name.clone()),
                n(Some(l.leverage)),
                n(Some(l.warning)),
                m(l.profit),
            ]
        })
        .collect();
    Sheet {
        name: t("国有企业", "SOEs"),
        header: vec![
            t("企业", "Enterprise"),
            t("资产负债率%", "Leverage %"),
            t("警戒线%", "Warning line %"),
            t("利润（元）", "Profit (yuan)"),
        ],
        rows,
    }
}

/// Economic indicators against their plan targets.
fn indicator_sheet(c: &Cockpit, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = c
        .indicators
        .iter()
        .map(|i| {
            vec![
                Val::Text(i.code.clone()),
                Val::Text(i.name.clone()),
                n(i.ytd_yoy),
                n(i.target),
                n(i.gap),
            ]
        })
        .collect();
    Sheet {
        name: t("经济指标", "Indicators"),
        header: vec![
            t("编码", "Code"),
            t("指标", "Indicator"),
            t("累计增长%", "YTD growth %"),
            t("目标%", "Target %"),
            t("偏差", "Gap (pp)"),
        ],
        rows,
    }
}

/// Alerts in rectification, overdue or on time as of the report's day.
fn rectification_sheet(r: &Report, lang: Lang) -> Sheet {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let rows = r
        .rectifications
        .iter()
        .map(|(a, overdue)| {
            vec![
                Val::Int(a.id),
                Val::Text(a.title.clone()),
                Val::Text(a.subject.clone()),
                Val::Text(a.owner.clone().unwrap_or_default()),
                Val::Text(a.due_date.clone().unwrap_or_default()),
                Val::Text(if *overdue {
                    t("逾期", "overdue")
                } else {
                    t("按期", "on time")
                }),
            ]
        })
        .collect();
    Sheet {
        name: t("整改情况", "Rectification"),
        header: vec![
            t("编号", "ID"),
            t("预警", "Alert"),
            t("对象", "Subject"),
            t("责任人", "Owner"),
            t("整改期限", "Due"),
            t("状态", "State"),
        ],
        rows,
    }
}

/// Where the archived report of a period lives.
pub fn archive_path(data_dir: &Path, period: Period, lang: Lang, ext: &str) -> PathBuf {
    data_dir
        .join("reports")
        .join(format!("report-{period}.{}.{ext}", lang.code()))
}

/// An archived report's file name (what its URL ends in).
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes beside and renames, so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| PurseError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| PurseError::io(path, e))
}

/// Archived reports: (period, language, html path, xlsx path), newest period first.
pub fn archived(data_dir: &Path) -> Vec<(String, Lang, PathBuf, PathBuf)> {
    let dir = data_dir.join("reports");
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return v;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name
            .strip_prefix("report-")
            .and_then(|r| r.strip_suffix(".html"))
        else {
            continue;
        };
        let Some((period, lang)) = rest.split_once('.') else {
            continue;
        };
        let Some(lang) = Lang::parse(lang) else {
            continue;
        };
        let Ok(month) = period.parse::<Period>() else {
            continue;
        };
        v.push((
            period.to_string(),
            lang,
            e.path(),
            archive_path(data_dir, month, lang, "xlsx"),
        ));
    }
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.code().cmp(b.1.code())));
    v
}
