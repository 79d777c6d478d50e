//! 预算审查: the annual review's page. Per department, next year's ask beside last year's budget
//! and spending and the review's findings on it; a department opens onto its projects, each with
//! its own findings. Findings link to their alert pages, where advisers comment and endorse and
//! the committee adopts them as 审议意见.

use std::collections::HashMap;

use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, out, query, status_badge};
use crate::alerts::{Alert, Filter};
use crate::i18n::{Lang, pct};
use crate::review::{Ask, is_about_project};
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{PageQuery, PageResult};
use crate::web::html::{Frame, a, level, num, page, select, table, text};

#[derive(Deserialize, Default)]
pub struct ReviewQ {
    /// The budget year under review (default: the newest draft loaded).
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub dept: Option<String>,
}

/// The review's findings of `year` as the user sees them, with how many advisers endorsed each
/// and the problem item each was adopted as.
struct Findings {
    list: Vec<Alert>,
    endorsed: HashMap<i64, usize>,
    adopted: HashMap<i64, i64>,
}

impl Findings {
    fn of_dept(&self, region: &str, dept: &str, projects: &[Ask]) -> Vec<&Alert> {
        self.list
            .iter()
            .filter(|al| al.region_code.as_deref().unwrap_or("") == region)
            .filter(|al| {
                (!dept.is_empty() && al.dept_name.as_deref() == Some(dept))
                    || projects
                        .iter()
                        .any(|p| is_about_project(&al.alert_key, &p.project_key))
            })
            .collect()
    }
}

async fn findings(st: &AppState, auth: &Auth, year: i32) -> crate::Result<Findings> {
    let rules = st.rules()?;
    let mut list: Vec<Alert> = Vec::new();
    for p in crate::review::periods(year) {
        let f = Filter {
            period: Some(p.to_string()),
            ..Filter::default()
        };
        for al in st.alerts_for(&auth.session.reach, f).await? {
            let review = rules
                .get(&al.rule_id)
                .is_some_and(crate::review::is_review_rule);
            if review && !list.iter().any(|x| x.id == al.id) {
                list.push(al);
            }
        }
    }
    let endorsed = st.alerts.read(|s| s.endorsement_counts()).await?;
    let ids: Vec<i64> = list.iter().map(|al| al.id).collect();
    let adopted = st
        .problems
        .read(move |s| {
            let mut m = HashMap::new();
            for id in ids {
                let r = crate::review::adoption_ref(id);
                if let Some(p) = s.find(crate::problems::Source::Deliberation, &r)? {
                    m.insert(id, p);
                }
            }
            Ok::<_, crate::PurseError>(m)
        })
        .await?;
    Ok(Findings {
        list,
        endorsed,
        adopted,
    })
}

fn money(m: crate::common::Money) -> Markup {
    num(&m.wan())
}

fn finding_table(items: &[&Alert], f: &Findings, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let rows: Vec<Vec<Markup>> = items
        .iter()
        .map(|al| {
            let href = format!("/alerts/{}", al.id);
            vec![
                a(&href, &format!("#{}", al.id)),
                level(&al.level, l),
                a(&href, &al.title),
                text(if l == Lang::Zh {
                    &al.message_zh
                } else {
                    &al.message_en
                }),
                num(&f.endorsed.get(&al.id).copied().unwrap_or(0).to_string()),
                match f.adopted.get(&al.id) {
                    Some(p) => a(&format!("/problems/{p}"), &format!("#{p}")),
                    None => status_badge(al.status, l),
                },
            ]
        })
        .collect();
    table(
        &[
            t("编号", "ID"),
            t("等级", "Severity"),
            t("审查发现", "Finding"),
            t("内容", "What"),
            t("专家附议", "Endorsed"),
            t("审议意见", "Opinion"),
        ],
        &rows,
        "findings",
    )
}

fn href(year: i32, region: &str, dept: Option<&str>) -> String {
    let y = year.to_string();
    format!(
        "/review?{}",
        query([
            ("year", Some(y.as_str())),
            ("region", Some(region)),
            ("dept", dept),
        ])
    )
}

/// `GET /review`: the departments of a draft (or, with `dept`, one department's projects).
pub async fn review(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<ReviewQ>,
) -> PageOut {
    auth.require(Role::Viewer)?;
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let ctx = st.engine(&auth.session.reach).await.page()?;
    let years = crate::review::draft_years(&ctx).await.page()?;
    let asked: Option<i32> = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Some(y.parse().map_err(|_| {
            crate::web::error::AppError::bad_request(format!(
                "year `{y}`: a budget year such as 2026"
            ))
            .page()
        })?),
        None => None,
    };
    let Some(year) = asked.or(years.first().copied()) else {
        return out(page(
            &auth,
            Frame::new("review", t("预算审查", "Budget review"), "/review"),
            html! {
                h1 { (t("预算审查", "Budget review")) }
                p.note { (t("尚未导入预算草案（draft_budget）。导入后，这里按部门列出本年申请与上年预算、执行及审查发现。",
                            "No draft budget (draft_budget) is loaded yet. Once one is, this page lists each department's ask beside last year's budget and spending, with the review's findings.")) }
            },
        ));
    };
    let found = findings(&st, &auth, year).await.page()?;
    let path = href(year, q.region.as_deref().unwrap_or(""), q.dept.as_deref());
    let opts: Vec<(String, String)> = years
        .iter()
        .map(|y| (y.to_string(), y.to_string()))
        .collect();
    let picker = html! {
        form.picker method="get" action="/review" {
            label { (t("预算年度", "Budget year")) " " (select("year", &opts, Some(year.to_string().as_str()))) }
            " " button { (t("查看", "Show")) }
        }
    };
    let body = match (q.region.as_deref(), q.dept.as_deref()) {
        (Some(region), Some(dept)) => {
            let projects = crate::review::projects(&ctx, year, region, dept)
                .await
                .page()?;
            dept_body(year, region, dept, &projects, &found, l)
        }
        _ => {
            let depts = crate::review::departments(&ctx, year).await.page()?;
            overview(year, &depts, &found, l)
        }
    };
    out(page(
        &auth,
        Frame::new("review", t("预算审查", "Budget review"), &path),
        html! {
            div.titlebar { h1 { (year) (t("年预算审查", " budget review")) } (picker) }
            p.note #review-report {
                (t("初步审查意见（草稿，按已存审查发现生成）：", "Draft preliminary review report (from the stored findings): "))
                @for (f, label) in [("html", "HTML"), ("docx", "Word (DOCX)"), ("xlsx", "XLSX")] {
                    a href={ "/review/report?year=" (year) "&format=" (f) } { (label) } " "
                }
            }
            (body)
        },
    ))
}

fn overview(year: i32, depts: &[Ask], f: &Findings, l: Lang) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let total = |g: fn(&Ask) -> crate::common::Money| {
        crate::common::Money(depts.iter().map(|d| g(d).0).sum())
    };
    let mut placed: Vec<i64> = Vec::new();
    let rows: Vec<Vec<Markup>> = depts
        .iter()
        .map(|d| {
            let mine = f.of_dept(&d.region_code, &d.dept_name, &[]);
            placed.extend(mine.iter().map(|al| al.id));
            let endorsed: usize = mine
                .iter()
                .map(|al| f.endorsed.get(&al.id).copied().unwrap_or(0))
                .sum();
            let name = if d.dept_name.is_empty() {
                t("（未列部门）", "(no department)")
            } else {
                d.dept_name.as_str()
            };
            vec![
                text(&d.region_name),
                a(&href(year, &d.region_code, Some(&d.dept_name)), name),
                num(&d.projects.to_string()),
                money(d.amount),
                money(d.prior_budget),
                money(d.prior_outturn),
                num(&pct(d.prior_rate())),
                num(&pct(d.change())),
                if mine.is_empty() {
                    text("")
                } else {
                    html! { b { (mine.len()) } }
                },
                num(&endorsed.to_string()),
            ]
        })
        .collect();
    // Findings on no department of the draft: the whole budget's (growth, contingency), the final
    // accounts', the publications', and pairs across departments.
    let rest: Vec<&Alert> = f
        .list
        .iter()
        .filter(|al| !placed.contains(&al.id))
        .collect();
    html! {
        p.note {
            (t("本年申请", "Asked")) " " b { (total(|d| d.amount).readable()) } " · "
            (t("上年预算", "last year's budget")) " " (total(|d| d.prior_budget).readable()) " · "
            (t("上年执行", "spent")) " " (total(|d| d.prior_outturn).readable()) " · "
            (t("审查发现", "findings")) " " b #review-findings { (f.list.len()) }
            " · " (t("金额单位：万元", "amounts in 万元"))
        }
        (table(
            &[
                t("地区", "Region"),
                t("部门", "Department"),
                t("项目数", "Projects"),
                t("本年申请", "Asked"),
                t("上年预算", "Last year's budget"),
                t("上年执行", "Last year spent"),
                t("上年执行率", "Spent %"),
                t("申请比上年预算", "Ask vs last budget"),
                t("审查发现", "Findings"),
                t("专家附议", "Endorsed"),
            ],
            &rows,
            "review",
        ))
        @if !rest.is_empty() {
            h2 { (t("全局性审查发现（总体、决算、公开等）", "Findings on the whole budget, the final accounts and publication")) }
            (finding_table(&rest, f, l))
        }
    }
}

fn dept_body(
    year: i32,
    region: &str,
    dept: &str,
    projects: &[Ask],
    f: &Findings,
    l: Lang,
) -> Markup {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let mine = f.of_dept(region, dept, projects);
    let rows: Vec<Vec<Markup>> = projects
        .iter()
        .map(|p| {
            let on: Vec<&&Alert> = mine
                .iter()
                .filter(|al| is_about_project(&al.alert_key, &p.project_key))
                .collect();
            let name = if p.project_key.is_empty() {
                t("基本支出", "Basic spending")
            } else {
                p.project_name.as_str()
            };
            vec![
                text(&p.agency_name),
                text(name),
                money(p.amount),
                money(p.prior_budget),
                money(p.prior_outturn),
                num(&pct(p.prior_rate())),
                text(&p.target),
                html! {
                    @for al in &on {
                        a href={ "/alerts/" (al.id) } { (level(&al.level, l)) " #" (al.id) } " "
                    }
                },
            ]
        })
        .collect();
    let region_name = projects
        .first()
        .map(|p| p.region_name.as_str())
        .unwrap_or(region);
    html! {
        p { a href=(href(year, "", None)) { "← " (t("全部部门", "All departments")) } }
        h2 { (region_name) " · " (dept) }
        @if !mine.is_empty() {
            h3 { (t("审查发现", "Findings")) " (" (mine.len()) ")" }
            (finding_table(&mine, f, l))
        }
        h3 { (t("项目", "Projects")) " (" (projects.len()) ") · " (t("万元", "万元")) }
        (table(
            &[
                t("单位", "Unit"),
                t("项目", "Project"),
                t("本年申请", "Asked"),
                t("上年预算", "Last year's budget"),
                t("上年执行", "Last year spent"),
                t("上年执行率", "Spent %"),
                t("绩效目标", "Performance target"),
                t("审查发现", "Findings"),
            ],
            &rows,
            "projects",
        ))
    }
}

#[derive(Deserialize, Default)]
pub struct ReportQ {
    pub year: String,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

/// `GET /review/report?year=Y&format=html|docx|xlsx`: the draft preliminary review report
/// (初步审查意见) from the review's stored findings, endorsements included, as the user sees them.
pub async fn report(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<ReportQ>,
) -> Result<axum::response::Response, crate::web::error::AppError> {
    use axum::response::IntoResponse;
    auth.require(Role::Viewer)?;
    let bad = |m: String| crate::web::error::AppError::bad_request(m).page();
    let year: i32 = q
        .year
        .trim()
        .parse()
        .map_err(|_| bad(format!("year `{}`: a budget year such as 2026", q.year)))?;
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or(auth.lang);
    let r = st.review_of(year, &auth.session.reach).await.page()?;
    let name = format!("review_{year}_{}", lang.code());
    Ok(match q.format.as_deref().unwrap_or("html") {
        "html" => (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            crate::review::html(&r, lang),
        )
            .into_response(),
        "docx" => super::download(
            crate::review::docx(&r, lang).page()?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &format!("{name}.docx"),
        ),
        "xlsx" => super::download(
            crate::review::xlsx(&r, lang).page()?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{name}.xlsx"),
        ),
        other => return Err(bad(format!("format `{other}`: use html, docx or xlsx"))),
    })
}
