//! The annual review (预算审查): next year's draft budget before the congress votes on it
//! (初步审查), the final accounts of the last closed year (决算审查) and the publication of both
//! (预决算公开). The checks are ordinary rules (`cadence: year`) over the `draft_budget`,
//! `final_accounts` and `publications` datasets; what this module adds is *when* each is read —
//! the draft of year Y in January of Y, the accounts of Y − 2 at their year's end (beside that
//! December's execution report), the publications of Y − 1 at its end — and the committee's
//! document: the draft of its preliminary review report (初步审查意见), findings grouped by the
//! six focuses with the money at stake in 万元, ready to edit.

use std::collections::BTreeMap;

use maud::{DOCTYPE, PreEscaped, html};
use rust_xlsxwriter::Workbook;

use crate::common::xlsx::{add_sheet, props};
use crate::common::{Money, Period, Val};
use crate::error::Result;
use crate::i18n::{Lang, level_class, level_label};
use crate::rules::framework::Focus;
use crate::rules::{Rule, RuleSet};

/// The datasets the annual review reads, each with the year (relative to the budget year under
/// review) and month its rules run at.
const SOURCES: [(&str, i32, u32); 4] = [
    ("draft_budget", 0, 1),
    ("draft_revenue", 0, 1),
    ("publications", -1, 12),
    ("final_accounts", -2, 12),
];

/// The final accounts against the budget (决算与预算): the PEFA scores of the accounts' year —
/// PI-1 aggregate expenditure outturn, PI-2 its composition, PI-3 revenue outturn — run beside
/// the accounts' own checks at their year's end, so the report grades the year it reviews.
const OUTTURN: [&str; 3] = [
    "pefa_pi1_aggregate_outturn",
    "pefa_pi2_composition",
    "pefa_pi3_revenue_outturn",
];

/// The review's rules of a pack and the period each runs at for budget year `year`: a rule
/// reading one of the review's datasets runs at that dataset's period (the draft's first, the
/// accounts' last month). Rules reading none of them are the monthly checks' business.
pub fn plan(set: &RuleSet, year: i32) -> Result<Vec<(Period, Vec<&Rule>)>> {
    let mut out: Vec<(Period, Vec<&Rule>)> = Vec::new();
    for (dataset, back, month) in SOURCES {
        let rules: Vec<&Rule> = set
            .rules
            .iter()
            .filter(|r| r.datasets.iter().any(|d| d == dataset))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let period: Period = format!("{:04}-{month:02}", year + back).parse()?;
        // The draft's expenditure and revenue are read in the same month: one run for both.
        match out.iter_mut().find(|(p, _)| *p == period) {
            Some((_, have)) => {
                for r in rules {
                    if !have.iter().any(|h| h.id == r.id) {
                        have.push(r);
                    }
                }
            }
            None => out.push((period, rules)),
        }
    }
    let accounts: Period = format!("{:04}-12", year - 2).parse()?;
    let outturn: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| OUTTURN.contains(&r.id.as_str()))
        .collect();
    if !outturn.is_empty() {
        match out.iter_mut().find(|(p, _)| *p == accounts) {
            Some((_, have)) => have.extend(outturn),
            None => out.push((accounts, outturn)),
        }
    }
    Ok(out)
}

/// Whether a rule is one of the annual review's: it reads the draft budget (expenditure or
/// revenue), the final accounts or the publication record, or grades the accounts' year
/// against its budget (PEFA PI-1, 2, 3).
pub fn is_review_rule(rule: &Rule) -> bool {
    OUTTURN.contains(&rule.id.as_str())
        || rule
            .datasets
            .iter()
            .any(|d| SOURCES.iter().any(|(s, _, _)| s == d))
}

/// The reference a review finding adopted onto the problem list carries (`review#<alert id>`):
/// adopting it again finds the same item.
pub fn adoption_ref(alert_id: i64) -> String {
    format!("review#{alert_id}")
}

/// The problem-list item (审议意见) the committee adopts a review finding as: the finding's
/// title and message, its department (else its subject) to answer it, due on `due`.
pub fn adoption(al: &crate::alerts::Alert, due: chrono::NaiveDate) -> crate::problems::NewProblem {
    crate::problems::NewProblem {
        source: crate::problems::Source::Deliberation,
        source_ref: adoption_ref(al.id),
        source_document: format!("{}年度预算审查意见", al.first_period.year()),
        title: al.title.clone(),
        detail: al.message_zh.clone(),
        region_code: al.region_code.clone(),
        unit: al
            .dept_name
            .clone()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| al.subject.clone()),
        requirement: "按审查意见研究处理，调整预算或说明理由，并报告处理结果".into(),
        due_date: due,
    }
}

/// One finding of the review, as the report states it.
#[derive(Debug, Clone)]
pub struct ReviewFinding {
    pub focus: Option<Focus>,
    pub rule_id: String,
    pub rule_title: (String, String),
    pub period: Period,
    pub level: String,
    pub subject: String,
    pub message: (String, String),
    /// The money the finding is about (the rule's `-- stake:` column), exact.
    pub stake: Option<Money>,
    pub evidence: BTreeMap<String, String>,
    /// The advisers who endorsed it (附议), where the finding is read back from its alert.
    pub endorsed_by: Vec<String>,
}

impl ReviewFinding {
    /// A finding as its alert stored it in the review's month `rec`, with its endorsements.
    pub fn of_alert(
        rule: &Rule,
        al: &crate::alerts::Alert,
        rec: &crate::alerts::PeriodRecord,
        endorsed_by: Vec<String>,
    ) -> ReviewFinding {
        let stake = rule
            .stake
            .as_ref()
            .and_then(|c| rec.evidence.get(c))
            .and_then(|v| Money::parse_yuan(v));
        ReviewFinding {
            focus: rule.focus,
            rule_id: rule.id.clone(),
            rule_title: (rule.title_zh.clone(), rule.title_en.clone()),
            period: rec.period,
            level: rec.level.clone(),
            subject: al.subject.clone(),
            message: (rec.message_zh.clone(), al.message_en.clone()),
            stake,
            evidence: rec.evidence.clone(),
            endorsed_by,
        }
    }
}

/// A rule the review could not run on its period, and why.
#[derive(Debug, Clone)]
pub struct NotReviewed {
    pub rule_id: String,
    pub period: Period,
    pub why: String,
}

/// The review of one budget year.
#[derive(Debug, Clone)]
pub struct Review {
    pub year: i32,
    pub region_name: String,
    pub findings: Vec<ReviewFinding>,
    pub not_reviewed: Vec<NotReviewed>,
}

impl Review {
    /// The findings of one focus, largest stake first.
    pub fn of(&self, focus: Option<Focus>) -> Vec<&ReviewFinding> {
        let mut v: Vec<&ReviewFinding> =
            self.findings.iter().filter(|f| f.focus == focus).collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.stake.map(|m| m.0).unwrap_or(0)));
        v
    }
}

/// Runs the review of budget year `year` in a check session (validated for `set`), storing its
/// findings as alerts unless `dry_run` — so advisers comment on them and the committee adopts
/// them like any other — and gathers what the report says.
pub async fn run(
    session: &crate::check::CheckSession,
    data_dir: &std::path::Path,
    set: &RuleSet,
    year: i32,
    region_name: &str,
    dry_run: bool,
) -> Result<Review> {
    let mut review = Review {
        year,
        region_name: region_name.to_string(),
        findings: Vec::new(),
        not_reviewed: Vec::new(),
    };
    for (period, rules) in plan(set, year)? {
        let res = session.check(data_dir, &rules, period, dry_run).await?;
        for run in res.runs {
            let Some(rule) = rules.iter().find(|r| r.id == run.rule_id) else {
                continue;
            };
            if let crate::rules::runner::Outcome::NotEvaluated(why) = &run.outcome {
                review.not_reviewed.push(NotReviewed {
                    rule_id: rule.id.clone(),
                    period,
                    why: why.clone(),
                });
            }
            for f in run.findings {
                let stake = rule
                    .stake
                    .as_ref()
                    .and_then(|c| f.evidence.get(c))
                    .and_then(|v| Money::parse_yuan(v));
                review.findings.push(ReviewFinding {
                    focus: rule.focus,
                    rule_id: rule.id.clone(),
                    rule_title: (rule.title_zh.clone(), rule.title_en.clone()),
                    period,
                    level: f.level,
                    subject: f.subject,
                    message: (f.message_zh, f.message_en),
                    stake,
                    evidence: f.evidence,
                    endorsed_by: Vec::new(),
                });
            }
        }
    }
    Ok(review)
}

const CSS: &str = "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}\
h1{font-size:1.6rem;text-align:center}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}\
.sub{text-align:center;color:#555}ol li{margin:.6rem 0}.lv{display:inline-block;padding:0 .4rem;border-radius:3px;color:#fff;font-size:.85rem;margin-right:.3rem}\
.lv-red{background:#c0392b}.lv-orange{background:#d35400}.lv-yellow{background:#b7950b}.lv-blue{background:#2471a3}\
.ev{color:#555;font-size:.9rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}\
@media print{body{margin:0}}";

fn title(r: &Review, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "关于{}{}年预算草案的初步审查意见（草稿）",
            r.region_name, r.year
        ),
        Lang::En => format!(
            "{}: preliminary review of the {} draft budget (draft)",
            r.region_name, r.year
        ),
    }
}

fn focus_name(f: Option<Focus>, lang: Lang) -> &'static str {
    match f {
        Some(f) => lang.t(f.zh(), f.en()),
        None => lang.t("其他", "Other"),
    }
}

fn subtitle(r: &Review, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    format!(
        "{} {} · {} {} · {} {} · {} {}",
        t("预算草案", "Draft budget"),
        r.year,
        t("决算", "Final accounts"),
        r.year - 2,
        t("预决算公开", "Publication"),
        r.year - 1,
        t("发现", "Findings"),
        r.findings.len()
    )
}

fn intro(lang: Lang) -> &'static str {
    lang.t(
        "财政经济委员会会同计划预算审查咨询专家，对照预算法和有关规定，对预算草案、上年决算及预决算公开情况进行了初步审查。以下问题按审查重点列出，涉及金额以万元计，供审议修改。",
        "The financial and economic committee, with its expert advisers, has reviewed the draft budget, the last final accounts and their publication against the Budget Law. The findings below are grouped by the review's focuses, amounts in 万元, for the committee to edit.",
    )
}

/// The findings by focus, in the framework's order, the unfocused last; empty focuses left out.
fn groups(r: &Review) -> Vec<(Option<Focus>, Vec<&ReviewFinding>)> {
    Focus::ALL
        .into_iter()
        .map(Some)
        .chain([None])
        .map(|f| (f, r.of(f)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The report as one self-contained HTML document (escaped by maud; print it or paste it into
/// the committee's word processor to edit).
pub fn html(r: &Review, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let groups = groups(r);
    let doc = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (title(r, lang)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { (title(r, lang)) }
                p.sub { (subtitle(r, lang)) }
                p { (intro(lang)) }
                @if groups.is_empty() {
                    p { (t("未发现问题。", "No findings.")) }
                }
                @for (n, (focus, items)) in groups.iter().enumerate() {
                    h2 { (numeral(n + 1, lang)) (focus_name(*focus, lang)) }
                    ol {
                        @for f in items {
                            li {
                                span class={"lv " (level_class(&f.level))} { (level_label(&f.level, lang)) }
                                b { (lang.t(&f.rule_title.0, &f.rule_title.1)) } "："
                                (lang.t(&f.message.0, &f.message.1))
                                @if let Some(m) = f.stake {
                                    " " span.ev { "（" (t("涉及", "at stake")) " " (m.readable()) "）" }
                                }
                                @if !f.endorsed_by.is_empty() {
                                    " " b { "［" (t("专家附议：", "endorsed by ")) (f.endorsed_by.join("、")) "］" }
                                }
                                br;
                                span.ev {
                                    @for (k, v) in crate::rules::labels::readable(&f.evidence, lang) {
                                        (k) "：" (v) "；"
                                    }
                                }
                            }
                        }
                    }
                }
                @if !r.not_reviewed.is_empty() {
                    h2 { (t("未能审查的事项", "Not reviewed")) }
                    table {
                        tr { th { (t("规则", "Rule")) } th { (t("期间", "Period")) } th { (t("原因", "Why")) } }
                        @for s in &r.not_reviewed {
                            tr { td { (s.rule_id) } td { (s.period) } td { (s.why) } }
                        }
                    }
                }
            }
        }
    };
    doc.into_string()
}

/// The report as a Word document (DOCX): the HTML's headings, numbered findings with their
/// evidence and the money at stake, for the committee to edit in its word processor.
pub fn docx(r: &Review, lang: Lang) -> Result<Vec<u8>> {
    use crate::common::docx::{Block, Run};
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let mut b = vec![
        Block::Title(title(r, lang)),
        Block::Subtitle(subtitle(r, lang)),
        Block::Paragraph(vec![Run::plain(intro(lang))]),
    ];
    let groups = groups(r);
    if groups.is_empty() {
        b.push(Block::Paragraph(vec![Run::plain(t(
            "未发现问题。",
            "No findings.",
        ))]));
    }
    for (n, (focus, items)) in groups.iter().enumerate() {
        b.push(Block::Heading(format!(
            "{}{}",
            numeral(n + 1, lang),
            focus_name(*focus, lang)
        )));
        for (i, f) in items.iter().enumerate() {
            let colour = match crate::common::level::Level::parse(&f.level)
                .map(crate::common::level::Level::colour)
            {
                Some("red") => "C0392B",
                Some("orange") => "D35400",
                Some("yellow") => "B7950B",
                _ => "2471A3",
            };
            let mut runs = vec![
                Run::plain(format!("{}. ", i + 1)),
                Run {
                    color: Some(colour),
                    ..Run::bold(format!("[{}] ", level_label(&f.level, lang)))
                },
                Run::bold(format!("{}：", lang.t(&f.rule_title.0, &f.rule_title.1))),
                Run::plain(lang.t(&f.message.0, &f.message.1)),
            ];
            if let Some(m) = f.stake {
                runs.push(Run::plain(format!(
                    "（{} {}）",
                    t("涉及", "at stake"),
                    m.readable()
                )));
            }
            if !f.endorsed_by.is_empty() {
                runs.push(Run::bold(format!(
                    "［{}{}］",
                    t("专家附议：", "endorsed by "),
                    f.endorsed_by.join("、")
                )));
            }
            b.push(Block::Paragraph(runs));
            let ev: Vec<String> = crate::rules::labels::readable(&f.evidence, lang)
                .into_iter()
                .map(|(k, v)| format!("{k}：{v}"))
                .collect();
            if !ev.is_empty() {
                b.push(Block::Paragraph(vec![Run {
                    small: true,
                    ..Run::plain(ev.join("；"))
                }]));
            }
        }
    }
    if !r.not_reviewed.is_empty() {
        b.push(Block::Heading(
            t("未能审查的事项", "Not reviewed").to_string(),
        ));
        b.push(Block::Table(
            vec![
                t("规则", "Rule").to_string(),
                t("期间", "Period").to_string(),
                t("原因", "Why").to_string(),
            ],
            r.not_reviewed
                .iter()
                .map(|s| vec![s.rule_id.clone(), s.period.to_string(), s.why.clone()])
                .collect(),
        ));
    }
    crate::common::docx::write(&title(r, lang), &b)
}

fn numeral(n: usize, lang: Lang) -> String {
    const ZH: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    match lang {
        Lang::Zh => format!("{}、", ZH.get(n - 1).copied().unwrap_or("十")),
        Lang::En => format!("{n}. "),
    }
}

/// The report's findings as a workbook: one row each, amounts exact in 元.
pub fn xlsx(r: &Review, lang: Lang) -> Result<Vec<u8>> {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let header = vec![
        t("审查重点", "Focus"),
        t("规则", "Rule"),
        t("等级", "Level"),
        t("对象", "Subject"),
        t("审查意见", "Finding"),
        t("涉及金额（元）", "At stake (元)"),
        t("数据期间", "Period"),
        t("专家附议", "Endorsed by"),
    ];
    let mut rows = Vec::new();
    for focus in Focus::ALL.into_iter().map(Some).chain([None]) {
        for f in r.of(focus) {
            rows.push(vec![
                Val::Text(focus_name(focus, lang).to_string()),
                Val::Text(lang.t(&f.rule_title.0, &f.rule_title.1).to_string()),
                Val::Text(level_label(&f.level, lang).to_string()),
                Val::Text(f.subject.clone()),
                Val::Text(lang.t(&f.message.0, &f.message.1).to_string()),
                f.stake.map_or(Val::Null, Val::Money),
                Val::Text(f.period.to_string()),
                Val::Text(f.endorsed_by.join("、")),
            ]);
        }
    }
    let mut wb = Workbook::new();
    let day = chrono::NaiveDate::from_ymd_opt(r.year - 1, 12, 31).unwrap_or_default();
    wb.set_properties(&props(day)?);
    add_sheet(&mut wb, &t("审查发现", "Findings"), &header, &rows)?;
    let skipped: Vec<Vec<Val>> = r
        .not_reviewed
        .iter()
        .map(|s| {
            vec![
                Val::Text(s.rule_id.clone()),
                Val::Text(s.period.to_string()),
                Val::Text(s.why.clone()),
            ]
        })
        .collect();
    add_sheet(
        &mut wb,
        &t("未能审查", "Not reviewed"),
        &[t("规则", "Rule"), t("期间", "Period"), t("原因", "Why")],
        &skipped,
    )?;
    wb.save_to_buffer().map_err(crate::common::xlsx::xerr)
}

/// A line of the review page: a department's (or a project's) ask in the draft of a year beside
/// last year's budget and spending, exact.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ask {
    pub region_code: String,
    pub region_name: String,
    pub dept_name: String,
    /// The unit (a project's line; empty on a department's).
    pub agency_name: String,
    /// The project's key as the review's rules key it (`project_code`, else its name); empty
    /// for basic spending and on a department's line.
    pub project_key: String,
    pub project_name: String,
    /// Projects asked for (a department's line).
    pub projects: i64,
    pub amount: Money,
    pub prior_budget: Money,
    pub prior_outturn: Money,
    /// The performance target (a project's line).
    pub target: String,
}

impl Ask {
    /// Last year's spending over last year's budget, in %.
    pub fn prior_rate(&self) -> Option<f64> {
        (self.prior_budget.0 != 0)
            .then(|| 100.0 * self.prior_outturn.0 as f64 / self.prior_budget.0 as f64)
    }

    /// This year's ask against last year's budget, in %.
    pub fn change(&self) -> Option<f64> {
        (self.prior_budget.0 != 0).then(|| {
            100.0 * (self.amount.0 - self.prior_budget.0) as f64 / self.prior_budget.0 as f64
        })
    }

    fn of_row(r: &[Val]) -> Ask {
        let t = |i: usize| r.get(i).map(Val::text).unwrap_or_default();
        let m = |i: usize| r.get(i).map(Val::money).unwrap_or(Money(0));
        Ask {
            region_code: t(0),
            region_name: t(1),
            dept_name: t(2),
            agency_name: t(3),
            project_key: t(4),
            project_name: t(5),
            projects: r.get(6).map(Val::int).unwrap_or(0),
            amount: m(7),
            prior_budget: m(8),
            prior_outturn: m(9),
            target: t(10),
        }
    }
}

/// The budget years whose drafts are loaded, newest first (none when no draft is).
pub async fn draft_years(ctx: &datafusion::prelude::SessionContext) -> Result<Vec<i32>> {
    if !ctx.table_exist("draft_budget")? {
        return Ok(vec![]);
    }
    let rows = crate::figures::fetch(
        ctx,
        "SELECT DISTINCT period FROM draft_budget ORDER BY period DESC",
        &[],
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.first().and_then(|v| v.text().parse().ok()))
        .collect())
}

/// Each department's ask in the draft of `year`, beside last year's budget and spending, by
/// region and then the largest ask first.
pub async fn departments(ctx: &datafusion::prelude::SessionContext, year: i32) -> Result<Vec<Ask>> {
    if !ctx.table_exist("draft_budget")? {
        return Ok(vec![]);
    }
    let rows = crate::figures::fetch(
        ctx,
        "SELECT coalesce(region_code, ''), max(region_name), coalesce(dept_name, ''), '' AS a, '' AS k, '' AS n,
                count(DISTINCT coalesce(project_code, project_name)),
                sum(amount), sum(prior_budget), sum(prior_outturn), '' AS t
         FROM draft_budget WHERE period = $year
         GROUP BY coalesce(region_code, ''), coalesce(dept_name, '')
         ORDER BY 1, 8 DESC, 3",
        &[("year", year.to_string().into())],
    )
    .await?;
    Ok(rows.iter().map(|r| Ask::of_row(r)).collect())
}

/// A department's projects in the draft of `year` (its basic spending a line per unit, with no
/// project key), the largest ask first.
pub async fn projects(
    ctx: &datafusion::prelude::SessionContext,
    year: i32,
    region: &str,
    dept: &str,
) -> Result<Vec<Ask>> {
    if !ctx.table_exist("draft_budget")? {
        return Ok(vec![]);
    }
    let rows = crate::figures::fetch(
        ctx,
        "SELECT coalesce(region_code, ''), max(region_name), coalesce(dept_name, ''),
                coalesce(agency_name, ''), coalesce(project_code, project_name, ''),
                coalesce(max(project_name), ''), 1,
                sum(amount), sum(prior_budget), sum(prior_outturn), coalesce(max(performance_target), '')
         FROM draft_budget
         WHERE period = $year AND coalesce(region_code, '') = $region AND coalesce(dept_name, '') = $dept
         GROUP BY coalesce(region_code, ''), coalesce(dept_name, ''), coalesce(agency_name, ''),
                  coalesce(project_code, project_name, '')
         ORDER BY 8 DESC, 4, 5",
        &[
            ("year", year.to_string().into()),
            ("region", region.into()),
            ("dept", dept.into()),
        ],
    )
    .await?;
    Ok(rows.iter().map(|r| Ask::of_row(r)).collect())
}

/// The months the review of budget year `year` stores its findings at (see [`plan`]'s sources).
pub fn periods(year: i32) -> Vec<Period> {
    let mut v: Vec<Period> = SOURCES
        .iter()
        .filter_map(|(_, back, month)| format!("{:04}-{month:02}", year + back).parse().ok())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Whether an alert is about project `key` of a draft: the review's rules key a project by its
/// code (else its name) after the region, a pair of projects by both.
pub fn is_about_project(alert_key: &str, key: &str) -> bool {
    !key.is_empty() && alert_key.split('|').skip(1).any(|p| p == key)
}
