//! The monthly alert report (月度预警报告): one self-contained HTML document with inline SVG
//! charts, printable to A4, and an XLSX workbook with the alert list and the figures behind each
//! chart. The same state (data and alerts) always gives the same bytes: nothing in either file
//! reads the wall clock.

pub mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::alerts::{Alert, AlertStore, PeriodRecord, Status};
use crate::charts::{self, Bar};
use crate::config::Config;
use crate::datasets::Catalog;
use crate::error::{PurseError, Result};
use crate::figures::{self, Cockpit, Val};
use crate::i18n::{Lang, esc, level_class, level_label, pct, term};
use crate::rules::{CATEGORIES, LEVELS};

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
    pub not_evaluated: Vec<crate::alerts::RuleOutcome>,
}

/// Builds the report for `period` from the warehouse and the alert store.
pub async fn build(
    data_dir: &Path,
    catalog: &Catalog,
    config: &Config,
    period: &str,
    as_of: chrono::NaiveDate,
) -> Result<Report> {
    let ctx = crate::engine::session(data_dir, catalog).await?;
    let rules = crate::rules::RuleSet::resolve(None, data_dir, catalog, &config.rules)?;
    let bands = figures::Bands::from_rules(&rules);
    let cockpit = figures::cockpit(&ctx, period, &bands).await?;
    let prev = figures::prev_period(period)?;
    let has_prev = figures::fetch(
        &ctx,
        "SELECT count(*) FROM budget_execution WHERE period = $p",
        &[("p", prev.as_str().into())],
    )
    .await?
    .first()
    .map(|r| r[0].int() > 0)
    .unwrap_or(false);
    let previous = if has_prev {
        Some(figures::cockpit(&ctx, &prev, &bands).await?)
    } else {
        None
    };
    let data_as_of = match crate::warehouse::Warehouse::open_read(data_dir) {
        Ok(wh) => wh
            .loads(1)?
            .first()
            .map(|l| format!("#{} {}", l.id, l.started_at))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let store = AlertStore::open(data_dir)?;
    let month = store.month(period, &prev)?;
    let due = as_of.format("%Y-%m-%d").to_string();
    let rectifications = store
        .list(&crate::alerts::Filter {
            status: Some(Status::Rectifying),
            ..Default::default()
        })?
        .into_iter()
        .filter(|a| a.first_period.as_str() <= period)
        .map(|a| {
            let overdue = a.due_date.as_deref().is_some_and(|d| d < due.as_str());
            (a, overdue)
        })
        .collect();
    let not_evaluated = store
        .rule_outcomes(period)?
        .into_iter()
        .filter(|o| !o.evaluated)
        .collect();
    Ok(Report {
        not_evaluated,
        period: period.to_string(),
        region_name: config.region_name.clone(),
        as_of,
        data_as_of,
        cockpit,
        previous,
        month,
        rectifications,
    })
}

fn period_title(period: &str, lang: Lang) -> String {
    match figures::split_period(period) {
        Ok((y, m)) => match lang {
            Lang::Zh => format!("{y}年{m}月"),
            Lang::En => period.to_string(),
        },
        Err(_) => period.to_string(),
    }
}

/// Bars of execution against time progress, one per budget kind (or revenue kind).
pub fn kind_bars(rows: &[figures::KindExec], bands: &figures::Bands, lang: Lang) -> Vec<Bar> {
    rows.iter()
        .map(|k| Bar {
            label: term(&k.budget_kind, lang),
            value: k.rate.unwrap_or(0.0),
            colour: Some(bands.lag(k.behind_pp)),
        })
        .collect()
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
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#eef2ff}td.n{text-align:right;font-variant-numeric:tabular-nums}
.red{color:#b91c1c;font-weight:bold}.orange{color:#c2410c;font-weight:bold}.yellow{color:#a16207}.blue{color:#1d4ed8}.green{color:#15803d}
.chart{text-align:center;margin:6px 0}.chart svg{max-width:100%;height:auto}
.kv td:first-child{width:30%;color:#555}.finding{page-break-inside:avoid;margin-bottom:10px}
.note{color:#555;font-size:12px}
@page{size:A4;margin:16mm}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}.chart{page-break-inside:avoid}}
"#;

fn num_td(s: String) -> String {
    format!("<td class=n>{}</td>", esc(&s))
}

/// The report as one HTML document.
pub fn html(r: &Report, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let c = &r.cockpit;
    let mut h = String::with_capacity(64 * 1024);
    let title = match lang {
        Lang::Zh => format!(
            "{}{}预算联网监督月度预警报告",
            r.region_name,
            period_title(&r.period, lang)
        ),
        Lang::En => format!("{} monthly alert report, {}", r.region_name, r.period),
    };
    h.push_str(&format!(
        "<!DOCTYPE html><html lang={}><head><meta charset=utf-8><title>{}</title><style>{CSS}</style></head><body>",
        lang.code(),
        esc(&title)
    ));
    h.push_str(&format!("<h1>{}</h1>", esc(&title)));
    h.push_str(&format!(
        "<p class=sub>{} {} · {} {} · {} {:.1}%</p>",
        t("报告日", "As of"),
        r.as_of,
        t("数据截至载入", "Data up to load"),
        esc(&r.data_as_of),
        t("序时进度", "Time progress"),
        c.time_progress
    ));

    // 1. Overview
    let red = r
        .month
        .alerts
        .iter()
        .filter(|(_, p)| p.level == "红")
        .count();
    h.push_str(&format!("<h2>{}</h2>", t("一、总体情况", "1. Overview")));
    let mut summary = String::new();
    for k in &c.budgets {
        summary.push_str(&match lang {
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
        });
    }
    h.push_str(&format!("<p>{}</p>", esc(&summary)));
    h.push_str(&format!(
        "<p>{}</p>",
        esc(&match lang {
            Lang::Zh => format!(
                "本月触发预警{}条，其中新增{}条、持续{}条，红色{}条；上月预警本月已消除{}条；整改中{}条，其中逾期{}条。",
                r.month.alerts.len(),
                r.month.new,
                r.month.continuing(),
                red,
                r.month.gone.len(),
                r.rectifications.len(),
                r.rectifications.iter().filter(|x| x.1).count()
            ),
            Lang::En => format!(
                "{} alerts this month: {} new, {} continuing, {} red; {} of last month's no longer fire; {} under rectification, {} overdue.",
                r.month.alerts.len(),
                r.month.new,
                r.month.continuing(),
                red,
                r.month.gone.len(),
                r.rectifications.len(),
                r.rectifications.iter().filter(|x| x.1).count()
            ),
        })
    ));

    // 2. Execution
    h.push_str(&format!(
        "<h2>{}</h2>",
        t(
            "二、预算执行与序时进度",
            "2. Budget execution against time progress"
        )
    ));
    h.push_str(&format!(
        "<div class=chart>{}</div>",
        charts::hbars(
            t("四本预算执行进度", "Execution of the four budgets"),
            &kind_bars(&c.budgets, &c.bands, lang),
            Some((c.time_progress, t("序时进度", "time progress"))),
            "%"
        )
    ));
    h.push_str(&exec_table(&c.budgets, &c.bands, lang, t("预算", "Budget")));
    if !c.revenue.is_empty() {
        h.push_str(&exec_table(
            &c.revenue,
            &c.bands,
            lang,
            t("收入", "Revenue"),
        ));
    }
    if !c.lagging_depts.is_empty() {
        h.push_str(&format!(
            "<p><b>{}</b></p>",
            t("执行进度最慢的部门", "Departments furthest behind")
        ));
        h.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("部门", "Department"),
            t("调整预算（万元）", "Adjusted budget (10k yuan)"),
            t("累计支出（万元）", "Spent (10k yuan)"),
            t("执行率", "Execution"),
            t("落后序时（百分点）", "Behind (pp)")
        ));
        for d in &c.lagging_depts {
            h.push_str(&format!(
                "<tr><td>{}</td>{}{}{}{}</tr>",
                esc(&d.name),
                num_td(d.budget.wan()),
                num_td(d.ytd.wan()),
                num_td(pct(d.rate)),
                num_td(d.behind_pp.map(|b| format!("{b:.1}")).unwrap_or_default())
            ));
        }
        h.push_str("</table>");
    }
    h.push_str(&format!(
        "<div class=chart>{}</div>",
        charts::execution_trend(
            t(
                "近12个月支出执行率（红线为序时进度）",
                "Execution over 12 months (red: time progress)"
            ),
            t("执行率", "execution"),
            &c.trend,
        )
    ));

    // 3. Alerts
    h.push_str(&format!(
        "<h2>{}</h2>",
        t("三、预警概况", "3. Alerts by severity and category")
    ));
    let m = matrix(&r.month.alerts);
    let bars: Vec<Bar> = LEVELS
        .iter()
        .map(|l| Bar {
            label: level_label(l, lang),
            value: r.month.alerts.iter().filter(|(_, p)| p.level == *l).count() as f64,
            colour: Some(match *l {
                "红" => "red",
                "橙" => "orange",
                "黄" => "yellow",
                _ => "blue",
            }),
        })
        .collect();
    h.push_str(&format!(
        "<div class=chart>{}</div>",
        charts::vbars(
            t("本月预警（按等级）", "Alerts this month by severity"),
            &bars
        )
    ));
    h.push_str(&format!(
        "<table><tr><th>{}</th>",
        t("等级 \\ 类别", "Severity \\ category")
    ));
    for cat in CATEGORIES {
        h.push_str(&format!("<th>{}</th>", esc(&term(cat, lang))));
    }
    h.push_str(&format!("<th>{}</th></tr>", t("合计", "Total")));
    for l in LEVELS {
        h.push_str(&format!(
            "<tr><td class={}>{}</td>",
            level_class(l),
            esc(&level_label(l, lang))
        ));
        let mut tot = (0, 0);
        for cat in CATEGORIES {
            let (n, cont) = m
                .get(&(l.to_string(), cat.to_string()))
                .copied()
                .unwrap_or((0, 0));
            tot = (tot.0 + n, tot.1 + cont);
            h.push_str(&num_td(cell(n, cont, lang)));
        }
        h.push_str(&num_td(cell(tot.0, tot.1, lang)));
        h.push_str("</tr>");
    }
    h.push_str(&format!(
        "</table><p class=note>{}</p>",
        t("格式：新增 + 持续。", "Format: new + continuing.")
    ));

    // 4. Top findings
    h.push_str(&format!(
        "<h2>{}</h2>",
        t("四、重点问题", "4. Top findings")
    ));
    if r.month.alerts.is_empty() {
        h.push_str(&format!(
            "<p>{}</p>",
            t("本月无预警。", "No alerts this month.")
        ));
    }
    for (a, p) in r.month.alerts.iter().take(10) {
        h.push_str(&format!(
            "<div class=finding><p><span class={}>[{}]</span> <b>{}</b> — {}{}</p>",
            level_class(&p.level),
            esc(&level_label(&p.level, lang)),
            esc(&a.title),
            esc(match lang {
                Lang::Zh => &p.message_zh,
                Lang::En => &a.message_en,
            }),
            if a.first_period == p.period {
                t("（新增）", " (new)")
            } else {
                t("（持续）", " (continuing)")
            }
        ));
        if !p.evidence.is_empty() {
            h.push_str("<table class=kv>");
            let shown = p
                .evidence
                .iter()
                .filter(|(k, _)| !crate::rules::RESERVED_OUTPUT.contains(&k.as_str()))
                .take(10);
            for (k, v) in shown {
                h.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v)));
            }
            h.push_str("</table>");
        }
        h.push_str("</div>");
    }
    if r.month.alerts.len() > 10 {
        h.push_str(&format!(
            "<p class=note>{} {}</p>",
            t(
                "其余预警见 XLSX 附表，共",
                "The full list is in the XLSX workbook:"
            ),
            r.month.alerts.len()
        ));
    }

    // 5. Rectification
    h.push_str(&format!(
        "<h2>{}</h2>",
        t("五、整改情况", "5. Rectification")
    ));
    if r.rectifications.is_empty() {
        h.push_str(&format!(
            "<p>{}</p>",
            t("暂无整改中的预警。", "Nothing under rectification.")
        ));
    } else {
        h.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("预警", "Alert"),
            t("对象", "Subject"),
            t("责任人", "Owner"),
            t("整改期限", "Due"),
            t("状态", "State")
        ));
        for (a, overdue) in &r.rectifications {
            h.push_str(&format!(
                "<tr><td>#{} {}</td><td>{}</td><td>{}</td><td>{}</td><td class={}>{}</td></tr>",
                a.id,
                esc(&a.title),
                esc(&a.subject),
                esc(a.owner.as_deref().unwrap_or("")),
                esc(a.due_date.as_deref().unwrap_or("")),
                if *overdue { "red" } else { "green" },
                if *overdue {
                    t("逾期", "overdue")
                } else {
                    t("按期", "on time")
                }
            ));
        }
        h.push_str("</table>");
    }

    // 6. Debt and SOE
    h.push_str(&format!(
        "<h2>{}</h2>",
        t("六、政府债务与国有企业风险", "6. Debt and SOE risk")
    ));
    if !c.debt.is_empty() {
        h.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("地区", "Region"),
            t("债务余额（万元）", "Debt balance (10k yuan)"),
            t("债务限额（万元）", "Debt limit (10k yuan)"),
            t("债务率", "Debt ratio"),
            t("风险等级", "Risk")
        ));
        for d in &c.debt {
            h.push_str(&format!(
                "<tr><td>{}</td>{}{}{}<td class={}>{}</td></tr>",
                esc(if d.region_name.is_empty() {
                    &d.region_code
                } else {
                    &d.region_name
                }),
                num_td(d.balance.wan()),
                num_td(d.limit.wan()),
                num_td(pct(d.ratio)),
                d.band,
                band_label(d.band, lang)
            ));
        }
        h.push_str("</table>");
    }
    let s = &c.soe;
    h.push_str(&format!(
        "<p>{}</p>",
        esc(&match lang {
            Lang::Zh => format!(
                "国有企业{}户，资产总额{}万元，负债总额{}万元，资产负债率{}；利润总额{}万元，同比{}；{}户资产负债率超过警戒线。",
                s.enterprises,
                s.assets.wan(),
                s.liabilities.wan(),
                pct(s.leverage),
                s.profit.wan(),
                pct(s.profit_change),
                s.above_warning_line
            ),
            Lang::En => format!(
                "{} SOEs: assets {} and liabilities {} (10k yuan), leverage {}; profit {} (10k yuan), {} year on year; {} above the leverage warning line.",
                s.enterprises,
                s.assets.wan(),
                s.liabilities.wan(),
                pct(s.leverage),
                s.profit.wan(),
                pct(s.profit_change),
                s.above_warning_line
            ),
        })
    ));
    if !s.top.is_empty() {
        let bars: Vec<Bar> = s
            .top
            .iter()
            .map(|l| Bar {
                label: l.name.clone(),
                value: l.leverage,
                colour: Some(if l.leverage >= l.warning + 5.0 {
                    "red"
                } else if l.leverage >= l.warning {
                    "yellow"
                } else {
                    "green"
                }),
            })
            .collect();
        h.push_str(&format!(
            "<div class=chart>{}</div>",
            charts::hbars(
                t("资产负债率最高的企业", "Highest SOE leverage"),
                &bars,
                Some((
                    c.bands.soe_industrial_pct,
                    t("工业警戒线", "industrial line")
                )),
                "%"
            )
        ));
    }

    // 7. Indicators
    h.push_str(&format!(
        "<h2>{}</h2>",
        t(
            "七、经济指标与年度目标",
            "7. Economic indicators against targets"
        )
    ));
    let with_target: Vec<_> = c.indicators.iter().filter(|i| i.target.is_some()).collect();
    if with_target.is_empty() {
        h.push_str(&format!(
            "<p>{}</p>",
            t(
                "本月无可比的指标目标。",
                "No indicator with a target this month."
            )
        ));
    } else {
        h.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("指标", "Indicator"),
            t("累计增长", "YTD growth"),
            t("年度目标", "Target"),
            t("偏差（百分点）", "Gap (pp)")
        ));
        for i in with_target {
            let cls = match i.gap {
                Some(g) if g <= -1.0 => "red",
                Some(g) if g <= -0.5 => "yellow",
                _ => "green",
            };
            h.push_str(&format!(
                "<tr><td>{}</td>{}{}<td class=\"n {cls}\">{}</td></tr>",
                esc(&i.name),
                num_td(pct(i.ytd_yoy)),
                num_td(pct(i.target)),
                i.gap.map(|g| format!("{g:+.2}")).unwrap_or_default()
            ));
        }
        h.push_str("</table>");
    }

    // 8. Changes since last month
    h.push_str(&format!(
        "<h2>{}</h2>",
        t("八、与上月相比", "8. Changes since last month")
    ));
    match &r.previous {
        Some(p) => {
            h.push_str("<ul>");
            for k in &c.budgets {
                if let Some(pk) = p.budgets.iter().find(|x| x.budget_kind == k.budget_kind) {
                    let d = k.rate.zip(pk.rate).map(|(a, b)| a - b);
                    h.push_str(&format!(
                        "<li>{}：{} → {}（{}）</li>",
                        esc(&term(&k.budget_kind, lang)),
                        pct(pk.rate),
                        pct(k.rate),
                        d.map(|d| format!("{d:+.1} pp")).unwrap_or_default()
                    ));
                }
            }
            h.push_str("</ul>");
        }
        None => h.push_str(&format!(
            "<p>{}</p>",
            t("无上月数据。", "No data for last month.")
        )),
    }
    let new: Vec<&(Alert, PeriodRecord)> = r
        .month
        .alerts
        .iter()
        .filter(|(a, p)| a.first_period == p.period)
        .collect();
    h.push_str(&format!(
        "<p><b>{} {}</b></p>",
        t("新增预警", "New alerts:"),
        new.len()
    ));
    if !new.is_empty() {
        h.push_str("<ul>");
        for (a, p) in new {
            h.push_str(&format!(
                "<li><span class={}>[{}]</span> {} — {}</li>",
                level_class(&p.level),
                esc(&level_label(&p.level, lang)),
                esc(&a.title),
                esc(&a.subject)
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str(&format!(
        "<p><b>{} {}</b></p>",
        t("本月已不再触发的预警", "No longer firing:"),
        r.month.gone.len()
    ));
    if !r.month.gone.is_empty() {
        h.push_str("<ul>");
        for a in &r.month.gone {
            h.push_str(&format!(
                "<li>{} — {}（{}）</li>",
                esc(&a.title),
                esc(&a.subject),
                esc(match lang {
                    Lang::Zh => a.status.zh(),
                    Lang::En => a.status.as_str(),
                })
            ));
        }
        h.push_str("</ul>");
    }
    if !r.month.held.is_empty() {
        h.push_str(&format!(
            "<p><b>{} {}</b></p><ul>",
            t(
                "上月预警本月缺少数据、未作判断（仍在办）",
                "Last month's alerts not judged this month for want of data (still open):"
            ),
            r.month.held.len()
        ));
        for a in &r.month.held {
            h.push_str(&format!("<li>{} — {}</li>", esc(&a.title), esc(&a.subject)));
        }
        h.push_str("</ul>");
    }
    if !r.not_evaluated.is_empty() {
        h.push_str(&format!(
            "<p><b>{} {}</b></p><ul>",
            t("本期未评估的规则", "Rules not evaluated this period:"),
            r.not_evaluated.len()
        ));
        for o in &r.not_evaluated {
            h.push_str(&format!(
                "<li><code>{}</code> — {}</li>",
                esc(&o.rule_id),
                esc(o.reason.as_deref().unwrap_or(""))
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str(&format!(
        "<p class=note>{}</p></body></html>\n",
        t(
            "本报告由 purse 根据预算联网监督数据自动生成；金额单位为万元，执行率 = 累计支出 ÷ 调整预算。",
            "Generated by purse from the budget supervision data; amounts in 10,000 yuan; execution = spent ÷ adjusted budget."
        )
    ));
    h
}

fn cell(n: usize, cont: usize, _lang: Lang) -> String {
    if n + cont == 0 {
        String::new()
    } else {
        format!("{n} + {cont}")
    }
}

pub fn band_label(band: &str, lang: Lang) -> &'static str {
    match (band, lang) {
        ("red", Lang::Zh) => "红色",
        ("orange", Lang::Zh) => "橙色",
        ("yellow", Lang::Zh) => "黄色",
        ("green", Lang::Zh) => "绿色",
        ("red", Lang::En) => "red",
        ("orange", Lang::En) => "orange",
        ("yellow", Lang::En) => "yellow",
        ("green", Lang::En) => "green",
        _ => "—",
    }
}

fn exec_table(
    rows: &[figures::KindExec],
    bands: &figures::Bands,
    lang: Lang,
    what: &str,
) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let mut h = format!(
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(what),
        t("调整预算（万元）", "Adjusted budget (10k yuan)"),
        t("累计完成（万元）", "Year to date (10k yuan)"),
        t("完成率", "Rate"),
        t("落后序时（百分点）", "Behind (pp)")
    );
    for k in rows {
        let cls = match bands.lag(k.behind_pp) {
            "green" => "",
            c => c,
        };
        h.push_str(&format!(
            "<tr><td>{}</td>{}{}{}<td class=\"n {cls}\">{}</td></tr>",
            esc(&term(&k.budget_kind, lang)),
            num_td(k.budget.wan()),
            num_td(k.ytd.wan()),
            num_td(pct(k.rate)),
            k.behind_pp.map(|b| format!("{b:.1}")).unwrap_or_default()
        ));
    }
    h.push_str("</table>");
    h
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> PurseError {
    PurseError::Invalid(format!("writing XLSX: {e}"))
}

fn write_row(ws: &mut Worksheet, row: u32, vals: &[Val], money: &Format) -> Result<()> {
    for (c, v) in vals.iter().enumerate() {
        let c = c as u16;
        match v {
            Val::Null => {}
            Val::Text(s) => {
                ws.write_string(row, c, s).map_err(xerr)?;
            }
            Val::Int(i) => {
                ws.write_number(row, c, *i as f64).map_err(xerr)?;
            }
            Val::Money(m) => {
                ws.write_number_with_format(row, c, m.0 as f64 / 100.0, money)
                    .map_err(xerr)?;
            }
            Val::Num(f) => {
                ws.write_number(row, c, *f).map_err(xerr)?;
            }
            Val::Dec(..) => {
                ws.write_number(row, c, v.num().unwrap_or(0.0))
                    .map_err(xerr)?;
            }
            Val::Bool(b) => {
                ws.write_boolean(row, c, *b).map_err(xerr)?;
            }
        }
    }
    Ok(())
}

fn sheet(wb: &mut Workbook, name: &str, header: &[String], rows: &[Vec<Val>]) -> Result<()> {
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(xerr)?;
    for (c, hname) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, hname, &bold)
            .map_err(xerr)?;
        ws.set_column_width(c as u16, 16).map_err(xerr)?;
    }
    for (r, vals) in rows.iter().enumerate() {
        write_row(ws, r as u32 + 1, vals, &money)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    Ok(())
}

/// One sheet with a header row: used for exports of alert lists and console results.
pub fn xlsx_table(name: &str, header: &[String], rows: &[Vec<Val>]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // An export is dated the day it is made.
    wb.set_properties(&props(chrono::Local::now().date_naive())?);
    sheet(&mut wb, name, header, rows)?;
    wb.save_to_buffer().map_err(xerr)
}

/// Document properties with a given creation date: the report's own date, so the same report
/// is the same bytes whenever it is made.
fn props(d: chrono::NaiveDate) -> Result<DocProperties> {
    use chrono::Datelike;
    let date =
        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xerr)?;
    Ok(DocProperties::new()
        .set_creation_datetime(&date)
        .set_author("purse"))
}

fn m(x: figures::Money) -> Val {
    Val::Money(x)
}

fn n(x: Option<f64>) -> Val {
    x.map(|v| Val::Num((v * 100.0).round() / 100.0))
        .unwrap_or(Val::Null)
}

/// The report as a workbook: the alert list and the figures behind each chart, money in 元.
pub fn xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>> {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let c = &r.cockpit;
    let mut wb = Workbook::new();
    wb.set_properties(&props(r.as_of)?);
    let alerts: Vec<Vec<Val>> = r
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
    sheet(
        &mut wb,
        &t("预警清单", "Alerts"),
        &[
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
        &alerts,
    )?;
    let kinds = |rows: &[figures::KindExec]| -> Vec<Vec<Val>> {
        rows.iter()
            .map(|k| {
                vec![
                    Val::Text(term(&k.budget_kind, lang)),
                    m(k.budget),
                    m(k.ytd),
                    n(k.rate),
                    n(Some(c.time_progress)),
                    n(k.behind_pp),
                ]
            })
            .collect()
    };
    let kh = [
        t("预算", "Budget"),
        t("调整预算（元）", "Adjusted budget (yuan)"),
        t("累计完成（元）", "Year to date (yuan)"),
        t("完成率%", "Rate %"),
        t("序时进度%", "Time progress %"),
        t("落后（百分点）", "Behind (pp)"),
    ];
    sheet(
        &mut wb,
        &t("预算执行", "Execution"),
        &kh,
        &kinds(&c.budgets),
    )?;
    sheet(&mut wb, &t("收入完成", "Revenue"), &kh, &kinds(&c.revenue))?;
    let depts: Vec<Vec<Val>> = c
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
    sheet(
        &mut wb,
        &t("部门进度", "Departments"),
        &[
            t("编码", "Code"),
            t("部门", "Department"),
            kh[1].clone(),
            kh[2].clone(),
            kh[3].clone(),
            kh[5].clone(),
        ],
        &depts,
    )?;
    let trend: Vec<Vec<Val>> = c
        .trend
        .iter()
        .map(|(p, v)| vec![Val::Text(p.clone()), n(*v)])
        .collect();
    sheet(
        &mut wb,
        &t("执行趋势", "Trend"),
        &[t("月份", "Month"), t("执行率%", "Execution %")],
        &trend,
    )?;
    let levels: Vec<Vec<Val>> = matrix(&r.month.alerts)
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
    sheet(
        &mut wb,
        &t("预警统计", "Alert counts"),
        &[
            t("等级", "Severity"),
            t("类别", "Category"),
            t("新增", "New"),
            t("持续", "Continuing"),
        ],
        &levels,
    )?;
    let debt: Vec<Vec<Val>> = c
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
    sheet(
        &mut wb,
        &t("政府债务", "Debt"),
        &[
            t("区划", "Region code"),
            t("地区", "Region"),
            t("债务余额（元）", "Balance (yuan)"),
            t("债务限额（元）", "Limit (yuan)"),
            t("综合财力（元）", "Fiscal capacity (yuan)"),
            t("债务率%", "Debt ratio %"),
            t("风险等级", "Risk"),
        ],
        &debt,
    )?;
    let soe: Vec<Vec<Val>> = c
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
    sheet(
        &mut wb,
        &t("国有企业", "SOEs"),
        &[
            t("企业", "Enterprise"),
            t("资产负债率%", "Leverage %"),
            t("警戒线%", "Warning line %"),
            t("利润（元）", "Profit (yuan)"),
        ],
        &soe,
    )?;
    let ind: Vec<Vec<Val>> = c
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
    sheet(
        &mut wb,
        &t("经济指标", "Indicators"),
        &[
            t("编码", "Code"),
            t("指标", "Indicator"),
            t("累计增长%", "YTD growth %"),
            t("目标%", "Target %"),
            t("偏差", "Gap (pp)"),
        ],
        &ind,
    )?;
    let rect: Vec<Vec<Val>> = r
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
    sheet(
        &mut wb,
        &t("整改情况", "Rectification"),
        &[
            t("编号", "ID"),
            t("预警", "Alert"),
            t("对象", "Subject"),
            t("责任人", "Owner"),
            t("整改期限", "Due"),
            t("状态", "State"),
        ],
        &rect,
    )?;
    wb.save_to_buffer().map_err(xerr)
}

/// Where the archived report of a period lives.
pub fn archive_path(data_dir: &Path, period: &str, lang: Lang, ext: &str) -> PathBuf {
    data_dir
        .join("reports")
        .join(format!("report-{period}.{}.{ext}", lang.code()))
}

/// Builds and archives the HTML and XLSX report of a period; returns the two paths.
pub async fn generate(
    data_dir: &Path,
    catalog: &Catalog,
    config: &Config,
    period: &str,
    lang: Lang,
) -> Result<(PathBuf, PathBuf)> {
    let sched = schedule::Cron::parse(&config.report.schedule)?;
    let as_of = sched.due_date(period)?;
    let r = build(data_dir, catalog, config, period, as_of).await?;
    let dir = data_dir.join("reports");
    std::fs::create_dir_all(&dir).map_err(|e| PurseError::io(&dir, e))?;
    let hp = archive_path(data_dir, period, lang, "html");
    let xp = archive_path(data_dir, period, lang, "xlsx");
    write_atomic(&hp, html(&r, lang).as_bytes())?;
    write_atomic(&xp, &xlsx(&r, lang)?)?;
    Ok((hp, xp))
}

/// Writes beside and renames, so a reader never sees half a report.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
        if figures::split_period(period).is_err() {
            continue;
        }
        v.push((
            period.to_string(),
            lang,
            e.path(),
            archive_path(data_dir, period, lang, "xlsx"),
        ));
    }
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.code().cmp(b.1.code())));
    v
}
