//! 一屏纵览: the whole picture of a period on one screen; every figure links to its detail.

use axum::extract::State;
use axum::response::Html;
use maud::{Markup, html};

use super::{PageOut, PeriodQ, alert_href, card, period_picker};
use crate::alerts::Filter;
use crate::charts::{self, Bar};
use crate::common::Period;
use crate::common::level::LEVELS;
use crate::i18n::{Lang, pct, term};
use crate::rules::CATEGORIES;
use crate::views::{self, Charts};
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageQuery, PageResult};
use crate::web::html::{Frame, a, level, page_around};

/// The cockpit's charts, served beside the page from the page cache at
/// `/charts/{instance}-{generation}/cockpit/{lang}/{period}/{name}.svg`: a URL names one
/// rendering for good (the instance is random per server start, the generation moves with every
/// change), so the browser may keep it.
struct Served<'a> {
    st: &'a AppState,
    reach: &'a crate::users::Reach,
    generation: u64,
    prefix: String,
    /// What this rendering drew, by URL (the cache may refuse to keep it).
    placed: std::sync::Mutex<Vec<(String, std::sync::Arc<str>)>>,
}

impl<'a> Served<'a> {
    fn new(
        st: &'a AppState,
        reach: &'a crate::users::Reach,
        l: Lang,
        period: Period,
        generation: u64,
    ) -> Served<'a> {
        Served {
            st,
            reach,
            generation,
            prefix: format!("cockpit/{}/{period}", l.code()),
            placed: Default::default(),
        }
    }
}

impl Charts for Served<'_> {
    fn place(&self, name: &str, title: &str, svg: String) -> Markup {
        let url = format!(
            "/charts/{}-{}/{}/{name}.svg",
            self.st.instance, self.generation, self.prefix
        );
        let svg: std::sync::Arc<str> = svg.into();
        self.st
            .put_cached(self.reach, self.generation, &url, svg.clone());
        if let Ok(mut p) = self.placed.lock() {
            p.push((url.clone(), svg));
        }
        html! { div.chart { img src=(url) alt=(title); } }
    }
}

/// `GET /charts/…`: a chart of a cockpit page. A URL of this server and generation is served
/// (drawn with its page if the cache no longer holds it) and may be kept for good; a URL of an
/// earlier generation or server start (anything in `purse.db` changed since its page was drawn,
/// possibly a moment ago) is redirected to the same chart now.
pub async fn chart(
    State(st): State<AppState>,
    auth: Auth,
    axum::extract::Path(rest): axum::extract::Path<String>,
) -> Result<axum::response::Response, AppError> {
    use axum::http::{HeaderValue, header};
    use axum::response::{IntoResponse, Redirect};
    let url = format!("/charts/{rest}");
    let gone = || AppError::not_found(format!("no chart {url}")).page();
    let (tag, path) = rest.split_once('/').ok_or_else(gone)?;
    // cockpit/{lang}/{period}/{name}.svg
    let mut parts = path.split('/');
    let (Some("cockpit"), Some(lang), Some(period), Some(_name), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(gone());
    };
    let lang = Lang::parse(lang).ok_or_else(gone)?;
    let period = period.parse::<Period>().map_err(|_| gone())?;
    let generation = st.generation();
    if tag != format!("{}-{generation}", st.instance) {
        let mut r =
            Redirect::to(&format!("/charts/{}-{generation}/{path}", st.instance)).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    // Looked up under the session's reach: a URL drawn for someone else is drawn anew.
    let reach = &auth.session.reach;
    let svg = match st.get_cached(reach, generation, &url) {
        Some(s) => s,
        None => {
            let out = Served::new(&st, reach, lang, period, generation);
            cockpit_body(&st, lang, period, &out).await?;
            let placed = out.placed.lock().map(|p| p.clone()).unwrap_or_default();
            placed
                .into_iter()
                .find(|(u, _)| *u == url)
                .map(|(_, s)| s)
                .ok_or_else(gone)?
        }
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
        ],
        crate::web::shared_body(svg),
    )
        .into_response())
}

/// Served from the page cache; only the frame (user, CSRF token) is made per request.
pub async fn cockpit(
    State(st): State<AppState>,
    auth: Auth,
    PageQuery(q): PageQuery<PeriodQ>,
) -> PageOut {
    let l = auth.lang;
    let period = st.period_or_latest(q.period).await.page()?;
    let reach = &auth.session.reach;
    let body = st
        .cached(
            reach,
            format!("cockpit/{}/{period}", l.code()),
            |generation| {
                let st = &st;
                async move {
                    let out = Served::new(st, reach, l, period, generation);
                    Ok(cockpit_body(st, l, period, &out).await?.into_string())
                }
            },
        )
        .await?;
    let path = format!("/cockpit?period={period}");
    Ok(Html(page_around(
        &auth,
        Frame::new("cockpit", l.t("一屏纵览", "Cockpit"), &path),
        &body,
    )))
}

async fn cockpit_body(
    st: &AppState,
    l: Lang,
    period: Period,
    out: &Served<'_>,
) -> Result<Markup, AppError> {
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let periods = st.periods().await.page()?;
    let reach = out.reach;
    let c = st.cockpit(period, reach).await.page()?;
    let month = st.month_for(reach, period).await.page()?;
    let highlights = st.highlights_for(reach, period).await.page()?;
    let open = st
        .alerts_for(
            reach,
            Filter {
                open: true,
                ..Default::default()
            },
        )
        .await
        .page()?;
    let today = chrono::Local::now().date_naive();
    let lp = st.loop_for(reach, Period::of(today), today).await.page()?;
    let outlook = st.outlook(period, reach).await.page()?;
    let drill = format!("/drill?period={period}");
    let region = c
        .debt
        .first()
        .map(|d| d.region_code.clone())
        .unwrap_or_else(|| st.config.region_code.clone());
    let f = &c.funds;
    let funds = vec![
        Bar {
            label: t("下达", "issued").into(),
            value: f.issued.as_wan_f64(),
            colour: Some("grey"),
        },
        Bar {
            label: t("分配", "allocated").into(),
            value: f.allocated.as_wan_f64(),
            colour: None,
        },
        Bar {
            label: t("拨付", "disbursed").into(),
            value: f.disbursed.as_wan_f64(),
            colour: None,
        },
        Bar {
            label: t("支出", "spent").into(),
            value: f.spent.as_wan_f64(),
            colour: Some("green"),
        },
    ];
    let spent_share = (f.issued.0 != 0).then(|| 100.0 * f.spent.0 as f64 / f.issued.0 as f64);
    let count = |lv: &str, cat: &str| {
        open.iter()
            .filter(|a| a.level == lv && a.category == cat)
            .count()
    };
    Ok(html! {
        div.titlebar {
            h1 { (st.config.region_name) " " (t("一屏纵览", "cockpit")) }
            (period_picker("/cockpit", &periods, period, l, &[]))
            span.progress { (t("序时进度", "time progress")) " " (format!("{:.1}%", c.time_progress)) }
        }
        (super::question_box(l, ""))
        section.card #highlights {
            h2 { a href={ "/alerts?status=open&period=" (period) } { (t("本月要点", "This month first")) } }
            (views::highlights(&highlights, l, true))
        }
        div.grid {
            (card(t("四本预算执行", "The four budgets"), &drill, html! {
                (views::execution_bars(out, "budgets", &c, &c.budgets, t("支出执行率", "Spending against budget"), l))
                (views::exec_table(&c, &c.budgets, t("预算", "Budget"), Some(&drill), l))
            }))
            (card(
                t("收入完成", "Revenue"),
                &alert_href(&[("rule", "revenue_outturn"), ("status", "")]),
                html! {
                    (views::execution_bars(out, "revenue", &c, &c.revenue, t("收入完成率", "Revenue against budget"), l))
                    (views::exec_table(&c, &c.revenue, t("收入", "Revenue"), None, l))
                },
            ))
            (card(
                t("执行最慢的部门", "Departments furthest behind"),
                &drill,
                views::lagging_depts(&c, l, |code| {
                    Some(format!("/drill?period={period}&region={region}&dept={code}"))
                }),
            ))
            (card(
                t("专项资金 下达·分配·拨付·支出", "Special funds: issued, allocated, disbursed, spent"),
                &alert_href(&[("rule", "idle_special_funds"), ("status", "")]),
                html! {
                    (out.place("funds", t("专项资金(万元)", "Special funds (10k yuan)"), charts::vbars(t("专项资金(万元)", "Special funds (10k yuan)"), &funds)))
                    p.note {
                        (f.funds) " " (t("项资金", "funds")) " · "
                        (t("支出/下达", "spent/issued")) " " (pct(spent_share))
                    }
                },
            ))
            (card(
                t("政府债务率", "Debt ratio"),
                &alert_href(&[("rule", "debt_ratio"), ("status", "")]),
                views::debt_table(&c, l),
            ))
            (card(
                t("国有企业 杠杆与利润", "SOE leverage and profit"),
                &alert_href(&[("category", "流量"), ("status", "")]),
                views::soe(out, &c, l, 5),
            ))
            (card(
                t("经济指标 对照年度目标", "Indicators against targets"),
                &alert_href(&[("rule", "indicator_deviation"), ("status", "")]),
                views::indicators_table(&c, l),
            ))
            (card(t("预警 按等级与类别", "Alerts by severity and category"), "/alerts?status=open", html! {
                (views::severity_bars(
                    out,
                    t("未办结预警(按等级)", "Open alerts by severity"),
                    |lv| open.iter().filter(|a| a.level == lv).count(),
                    l,
                ))
                table.compact {
                    tr {
                        th {}
                        @for cat in CATEGORIES { th { (term(cat, l)) } }
                    }
                    @for lv in LEVELS {
                        tr {
                            td { (level(lv, l)) }
                            @for cat in CATEGORIES {
                                td.r {
                                    @let n = count(lv, cat);
                                    @if n > 0 {
                                        (a(&alert_href(&[("level", lv), ("category", cat), ("status", "open")]), &n.to_string()))
                                    }
                                }
                            }
                        }
                    }
                }
                p {
                    (t("本月新增", "new this month")) " "
                    (a(&alert_href(&[("period", &period.to_string()), ("status", "")]), &month.new.to_string()))
                    " · " (t("持续", "continuing")) " " (month.continuing())
                    " · " (t("上月预警本月消除", "gone since last month")) " " (month.gone.len())
                }
            }))
            (card(t("近12个月执行率", "Execution, last 12 months"), &drill, views::trend(out, &c, Some(&outlook), l)))
            (card(
                t("年终执行预测", "Where the year will end"),
                &alert_href(&[("rule", "projected_execution"), ("status", "")]),
                views::outlook_card(&outlook, c.bands.projected_pct, l, |p| {
                    Some(format!("/drill?period={period}&region={}&dept={}&agency={}", p.region_code, p.dept_key.as_deref().unwrap_or(""), p.key))
                }),
            ))
            (card(t("闭环监督 问题清单", "The loop: problem list"), "/problems", views::loop_card(&lp, l)))
        }
    })
}
