//! What the cockpit page and the monthly report both show, drawn once as maud partials: the
//! budgets against time progress, the departments furthest behind, the twelve-month trend, debt
//! by region, SOE leverage, indicators against targets and alerts by severity. Colours come from
//! the cockpit's [`Bands`](crate::figures::Bands) (the loaded rules' parameters), never from
//! literals here.

use maud::{Markup, PreEscaped, html};

use crate::charts::{self, Bar};
use crate::figures::{Cockpit, KindExec};
use crate::i18n::{Lang, pct, term};

/// An SVG chart drawn by plotters (which escapes its own text), inline.
pub fn chart(svg: String) -> Markup {
    html! { div.chart { (PreEscaped(svg)) } }
}

/// Where a chart of a partial goes: inline (the report, a file that must stand alone) or served
/// beside the page (the cockpit, whose HTML is then a fifth of the size and whose charts the
/// browser keeps).
pub trait Charts {
    /// `name` is unique within the page; `title` is the chart's alternative text.
    fn place(&self, name: &str, title: &str, svg: String) -> Markup;
}

/// Every chart inline.
pub struct Inline;

impl Charts for Inline {
    fn place(&self, _name: &str, _title: &str, svg: String) -> Markup {
        chart(svg)
    }
}

/// A lag colour as a CSS class: nothing when on track.
fn lag_class(c: &Cockpit, behind: Option<f64>) -> &'static str {
    match c.bands.lag(behind) {
        "green" => "",
        other => other,
    }
}

/// Bars of execution (or revenue) by budget kind, against the time-progress line.
pub fn execution_bars(
    out: &dyn Charts,
    name: &str,
    c: &Cockpit,
    rows: &[KindExec],
    title: &str,
    lang: Lang,
) -> Markup {
    out.place(
        name,
        title,
        charts::hbars(
            title,
            &kind_bars(rows, &c.bands, lang),
            Some((c.time_progress, lang.t("序时进度", "time progress"))),
            "%",
        ),
    )
}

/// Bars of execution against time progress, one per budget kind (or revenue kind).
pub fn kind_bars(rows: &[KindExec], bands: &crate::figures::Bands, lang: Lang) -> Vec<Bar> {
    rows.iter()
        .map(|k| Bar {
            label: term(&k.budget_kind, lang),
            value: k.rate.unwrap_or(0.0),
            colour: Some(bands.lag(k.behind_pp)),
        })
        .collect()
}

/// Budget (or revenue) kinds: adjusted budget, year to date, rate, and how far behind time
/// progress, coloured by the lag bands. `link` makes each kind a link (the cockpit's drill-down).
pub fn exec_table(
    c: &Cockpit,
    rows: &[KindExec],
    what: &str,
    link: Option<&str>,
    lang: Lang,
) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
        table.compact {
            tr {
                th { (what) }
                th { (t("调整预算（万元）", "Adjusted budget (10k yuan)")) }
                th { (t("累计完成（万元）", "Year to date (10k yuan)")) }
                th { (t("完成率", "Rate")) }
                th { (t("落后序时（百分点）", "Behind (pp)")) }
            }
            @for k in rows {
                tr {
                    td {
                        @match link {
                            Some(href) => { a href=(href) { (term(&k.budget_kind, lang)) } }
                            None => { (term(&k.budget_kind, lang)) }
                        }
                    }
                    td.n { (k.budget.wan()) }
                    td.n { (k.ytd.wan()) }
                    td.n { (pct(k.rate)) }
                    td class={ "n " (lag_class(c, k.behind_pp)) } {
                        (k.behind_pp.map(|b| format!("{b:.1}")).unwrap_or_default())
                    }
                }
            }
        }
    }
}

/// The departments furthest behind time progress; `href` gives each one's drill-down link.
pub fn lagging_depts(c: &Cockpit, lang: Lang, href: impl Fn(&str) -> Option<String>) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
        table.compact {
            tr {
                th { (t("部门", "Department")) }
                th { (t("调整预算（万元）", "Adjusted budget (10k yuan)")) }
                th { (t("累计支出（万元）", "Spent (10k yuan)")) }
                th { (t("执行率", "Execution")) }
                th { (t("落后序时（百分点）", "Behind (pp)")) }
            }
            @for d in &c.lagging_depts {
                tr {
                    td {
                        @match href(&d.code) {
                            Some(h) => { a href=(h) { (d.name) } }
                            None => { (d.name) }
                        }
                    }
                    td.n { (d.budget.wan()) }
                    td.n { (d.ytd.wan()) }
                    td.n { (pct(d.rate)) }
                    td class={ "n " (lag_class(c, d.behind_pp)) } {
                        (d.behind_pp.map(|x| format!("{x:.1}")).unwrap_or_default())
                    }
                }
            }
        }
    }
}

/// Execution over the twelve months up to the period, against time progress.
/// The twelve-month trend; with the jurisdiction's projection (one region), continued dashed
/// to December.
pub fn trend(
    out: &dyn Charts,
    c: &Cockpit,
    outlook: Option<&crate::foresight::Outlook>,
    lang: Lang,
) -> Markup {
    let title = lang.t(
        "近12个月支出执行率（红线为序时进度，虚线为年末预测）",
        "Execution over 12 months (red: time progress; dashed: projection)",
    );
    let mut regions = outlook
        .into_iter()
        .flat_map(|o| o.of_grain(crate::foresight::Grain::Region));
    let path = match (regions.next(), regions.next()) {
        (Some(p), None) => Some((lang.t("预测", "projection"), p.path.as_slice())),
        _ => None,
    };
    out.place(
        "trend",
        title,
        charts::execution_outlook(title, lang.t("执行率", "execution"), &c.trend, path),
    )
}

/// The label of a debt-risk band.
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

/// Debt by region: balance, limit, ratio and its risk band.
pub fn debt_table(c: &Cockpit, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let b = &c.bands;
    html! {
        table.compact {
            tr {
                th { (t("地区", "Region")) }
                th { (t("债务余额（万元）", "Debt balance (10k yuan)")) }
                th { (t("债务限额（万元）", "Debt limit (10k yuan)")) }
                th { (t("债务率", "Debt ratio")) }
                th { (t("风险等级", "Risk")) }
            }
            @for d in &c.debt {
                tr {
                    td { (if d.region_name.is_empty() { &d.region_code } else { &d.region_name }) }
                    td.n { (d.balance.wan()) }
                    td.n { (d.limit.wan()) }
                    td.n { (pct(d.ratio)) }
                    td { span class={ "badge " (d.band) } { (band_label(d.band, lang)) } }
                }
            }
        }
        p.note {
            (t("债务率分档：", "Bands: "))
            (t("黄色 ≥ ", "yellow ≥ ")) (b.debt_yellow_pct) "% · "
            (t("橙色 ≥ ", "orange ≥ ")) (b.debt_orange_pct) "% · "
            (t("红色 ≥ ", "red ≥ ")) (b.debt_red_pct) "%"
        }
    }
}

/// SOE totals in a sentence, and the most leveraged enterprises against the warning line.
pub fn soe(out: &dyn Charts, c: &Cockpit, lang: Lang, top: usize) -> Markup {
    let s = &c.soe;
    let sentence = match lang {
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
    };
    let bars: Vec<Bar> = s
        .top
        .iter()
        .take(top)
        .map(|x| Bar {
            label: x.name.clone(),
            value: x.leverage,
            colour: Some(if x.leverage >= x.warning + c.bands.soe_control_pp {
                "red"
            } else if x.leverage >= x.warning {
                "yellow"
            } else {
                "green"
            }),
        })
        .collect();
    let line = c.bands.soe_industrial_pct;
    html! {
        p { (sentence) }
        @if !bars.is_empty() {
            (out.place("soe", lang.t("资产负债率最高的企业", "Highest SOE leverage"), charts::hbars(
                lang.t("资产负债率最高的企业", "Highest SOE leverage"),
                &bars,
                Some((line, &format!("{} {line}%", lang.t("工业警戒线", "industrial line")))),
                "%",
            )))
        }
    }
}

/// Indicators with a growth target: year to date, target and the gap, coloured when short.
pub fn indicators_table(c: &Cockpit, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
        table.compact {
            tr {
                th { (t("指标", "Indicator")) }
                th { (t("累计增长", "Year to date")) }
                th { (t("年度目标", "Target")) }
                th { (t("偏差（百分点）", "Gap (pp)")) }
            }
            @for i in c.indicators.iter().filter(|i| i.target.is_some()) {
                @let cls = match i.gap {
                    Some(g) if g <= -1.0 => "red",
                    Some(g) if g <= -0.5 => "yellow",
                    _ => "green",
                };
                tr {
                    td { (i.name) }
                    td.n { (pct(i.ytd_yoy)) }
                    td.n { (pct(i.target)) }
                    td { span class={ "badge " (cls) } { (i.gap.map(|g| format!("{g:+.2}")).unwrap_or_default()) } }
                }
            }
        }
    }
}

/// Alert counts by severity as bars (levels in order 红 橙 黄 蓝).
pub fn severity_bars(
    out: &dyn Charts,
    title: &str,
    count: impl Fn(&str) -> usize,
    lang: Lang,
) -> Markup {
    let bars: Vec<Bar> = crate::common::level::LEVELS
        .iter()
        .map(|lv| Bar {
            label: crate::i18n::level_label(lv, lang),
            value: count(lv) as f64,
            colour: Some(crate::i18n::level_class(lv)),
        })
        .collect();
    out.place("severity", title, charts::vbars(title, &bars))
}

/// The loop (闭环监督) in one month: where the items stand now, what moved in the month, and
/// the month's satisfaction ratings by unit.
pub fn loop_card(s: &crate::problems::LoopSummary, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
        table.compact {
            tr {
                th { (t("未销号", "Not closed")) }
                th { (t("待交办", "To assign")) }
                th { (t("已交办", "Assigned")) }
                th { (t("已反馈", "Responded")) }
                th { (t("退回", "Sent back")) }
                th { (t("逾期", "Overdue")) }
            }
            tr {
                td.r { (s.not_closed()) }
                td.r { (s.open) }
                td.r { (s.assigned) }
                td.r { (s.responded) }
                td.r { (s.sent_back) }
                td.r class=(if s.overdue > 0 { "red" } else { "" }) { (s.overdue) }
            }
        }
        p {
            (s.period) " " (t("新增", "opened")) " " (s.opened_in_period)
            " · " (t("销号", "closed")) " " (s.closed_in_period)
            " · " (t("退回", "sent back")) " " (s.sent_back_in_period)
        }
        p {
            (t("满意度", "Satisfaction")) " " (pct(s.satisfaction_pct()))
            " (" (t("满意", "satisfied")) " " (s.satisfied)
            " · " (t("基本满意", "basically")) " " (s.basically)
            " · " (t("不满意", "unsatisfied")) " " (s.unsatisfied) ")"
        }
        @if !s.by_unit.is_empty() {
            table.compact {
                tr {
                    th { (t("责任单位", "Unit")) }
                    th { (t("满意", "Satisfied")) }
                    th { (t("基本满意", "Basically")) }
                    th { (t("不满意", "Unsatisfied")) }
                }
                @for u in &s.by_unit {
                    tr {
                        td { (u.unit) }
                        td.r { (u.satisfied) }
                        td.r { (u.basically) }
                        td.r class=(if u.unsatisfied > 0 { "red" } else { "" }) { (u.unsatisfied) }
                    }
                }
            }
        }
    }
}

/// "x %" of a projection's interval, or "—" without held-back years.
fn interval(p: &crate::foresight::Projection) -> String {
    match (p.low, p.high) {
        (Some(a), Some(b)) => format!("{a:.1}–{b:.1}%"),
        _ => "—".into(),
    }
}

/// Year-end projection (年终执行预测): each budget kind where the year will end at its pace,
/// the PEFA grades the projected year would get, and the units projected below the rule's
/// threshold. `unit_href` links a unit to where it is shown.
pub fn outlook_card(
    o: &crate::foresight::Outlook,
    below_pct: f64,
    lang: Lang,
    unit_href: impl Fn(&crate::foresight::Projection) -> Option<String>,
) -> Markup {
    use crate::foresight::Grain;
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let low = o.units_below(below_pct);
    html! {
        table.compact {
            tr {
                th { (t("预算", "Budget")) }
                th.r { (t("目前", "Now")) }
                th.r { (t("预计年末", "Year-end")) }
                th.r { (t("区间", "Interval")) }
                th { (t("依据", "Profile")) }
            }
            @for p in o.of_grain(Grain::BudgetKind) {
                tr {
                    td { (term(&p.name, lang)) }
                    td.r { (pct(p.rate_now)) }
                    td.r class=(if p.rate.is_some_and(|r| r < below_pct) { "n red" } else { "n" }) { (pct(p.rate)) }
                    td.r { (interval(p)) }
                    td { (p.basis.zh()) }
                }
            }
        }
        @for g in &o.pefa {
            p {
                "PEFA " (t("预计", "projected")) " PI-1 " (pct(g.pi1_outturn))
                @if let Some(x) = g.pi1_grade { " (" (x) ")" }
                " · PI-2.1 " (pct(g.pi2_variance))
                @if let Some(x) = g.pi2_grade { " (" (x) ")" }
            }
        }
        p {
            (t("预计年末执行率低于", "Units projected below ")) (format!("{below_pct}%"))
            (t("的单位", "")) ": " b { (low.len()) }
        }
        @if !low.is_empty() {
            table.compact {
                @for p in low.iter().take(5) {
                    tr {
                        td {
                            @match unit_href(p) {
                                Some(h) => a href=(h) { (p.name) },
                                None => (p.name),
                            }
                        }
                        td.r.n.red { (pct(p.rate)) }
                        td.r { (interval(p)) }
                    }
                }
            }
        }
    }
}

/// The scorecard: one row per source with its grade and parts (the data page and the report).
pub fn quality_table(card: &crate::foresight::quality::Scorecard, lang: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let grade_class = |g: Option<char>| match g {
        Some('A') | Some('B') => "",
        Some('C') => "yellow",
        Some(_) => "red",
        None => "",
    };
    html! {
        p.note {
            (t("近12个月至", "Twelve months to ")) (card.period) " · "
            (t("次月", "due by day ")) (card.due_day) (t("日前报送", " of the next month")) " · "
            (t("及时性自", "timeliness graded from ")) (card.graded_from.as_deref().unwrap_or("—")) (t("起评价", ""))
            @if card.unrecognised_rejected > 0 {
                " · " (t("无法识别而拒收的文件", "rejected files of no recognisable dataset")) " " (card.unrecognised_rejected)
            }
        }
        table.compact #quality {
            tr {
                th { (t("数据源", "Source")) }
                th { (t("等级", "Grade")) }
                th.r { (t("得分", "Score")) }
                th.r { (t("及时", "On time")) }
                th.r { (t("完整", "Complete")) }
                th.r { (t("核对一致", "Reconciled")) }
                th { (t("核对对象", "Against")) }
                th.r { (t("接收/拒收", "Accepted / rejected")) }
                th.r { (t("更正", "Corrected")) }
            }
            @for s in &card.sources {
                tr {
                    td { a href={ "/data/quality?period=" (card.period) "#q-" (s.dataset) } { (s.title) } }
                    td class=(grade_class(s.grade)) { b { (s.grade.map(String::from).unwrap_or_else(|| "—".into())) } }
                    td.r { (pct(s.score)) }
                    td.r { (pct(s.timeliness)) }
                    td.r { (pct(s.completeness)) }
                    td.r { (pct(s.reconciliation)) }
                    td { (s.reconciled_with.join("、")) }
                    td.r { (s.accepted_files) " / " (s.rejected_files) }
                    td.r { (s.corrections) }
                }
            }
        }
    }
}

/// 本月要点: the month's open alerts that matter first, most points first, each with its level,
/// what it says, the money it concerns, how long it has stood and whether it came back. `link`:
/// each alert links to its page (the cockpit), or not (an archived report that stands alone).
pub fn highlights(h: &[crate::alerts::highlights::Highlight], lang: Lang, link: bool) -> Markup {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    html! {
        @if h.is_empty() {
            p.muted { (t("本月无未结预警。", "No open alert this month.")) }
        } @else {
            table.highlights {
                tr {
                    th { "#" } th { (t("等级", "Level")) } th { (t("预警", "Alert")) }
                    th { (t("涉及金额", "At stake")) } th { (t("持续", "Open")) } th { (t("要点分", "Points")) }
                }
                @for (i, x) in h.iter().enumerate() {
                    @let a = &x.alert;
                    tr {
                        td { (i + 1) }
                        td { span class={ "badge " (crate::i18n::level_class(&a.level)) } { (crate::i18n::level_label(&a.level, lang)) } }
                        td {
                            @if link { a href={ "/alerts/" (a.id) } { "#" (a.id) " " (a.title) } } @else { "#" (a.id) " " (a.title) }
                            " — " (lang.t(&a.message_zh, &a.message_en))
                            @if x.reopened > 0 { " " span.badge.red { (t("再次出现", "came back")) } }
                        }
                        td.n { (x.stake.map(|m| m.readable()).unwrap_or_default()) }
                        td.n { (a.months_open) (t("个月", " mo")) }
                        td.n { (x.points) }
                    }
                }
            }
            p.note { (t("要点分 = 等级（红40 橙30 黄20 蓝10）+ 涉及金额（每十倍万元7.5分，至多30）+ 持续月数（每月2分，至多20）+ 再次出现10分。",
                        "Points = level (red 40, orange 30, yellow 20, blue 10) + money at stake (7.5 per tenfold in 万元, at most 30) + months open (2 a month, at most 20) + 10 if it came back.")) }
        }
    }
}
