//! Scoped access and the closed loop through the web app: a user bound to a region or a
//! department reaches no other area's rows by any page, API, export, report or SQL; a unit's
//! account reaches its own problem items only; and an item walks from entry to 销号 through the
//! committee and the unit, with a send-back, evidence and a satisfaction rating.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use axum::http::{StatusCode, header};

use common::web::{Client, body, copy_dir, location};
use common::{check_months, fixture, ingest};
use purse::ingest::Options;
use purse::users::{Reach, Role, Users};

/// The demo fixtures loaded, 2025-11 and 2025-12 checked, open alerts on the problem list, and
/// the users: `analyst` and `admin` (everything), `east` (adviser, region 990102 城东区 only),
/// `city` (adviser, region 990100 示范市本级 only), `edu` (adviser, department 101 教育局 only),
/// `unit` (the responsible unit 教育局).
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| std::thread::spawn(prepare).join().unwrap())
        .path()
}

fn prepare() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ingest(dir.path(), &[fixture("demo")], &Options::default());
    check_months(dir.path(), &["2025-11", "2025-12"]);
    let mut u = Users::open(dir.path()).unwrap();
    let bound = |regions: &[&str], departments: &[&str], units: &[&str]| Reach {
        regions: regions.iter().map(|s| s.to_string()).collect(),
        departments: departments.iter().map(|s| s.to_string()).collect(),
        units: units.iter().map(|s| s.to_string()).collect(),
    };
    for (n, r, reach) in [
        ("analyst", Role::Analyst, Reach::default()),
        ("admin", Role::Admin, Reach::default()),
        ("east", Role::Adviser, bound(&["990102"], &[], &[])),
        ("city", Role::Adviser, bound(&["990100"], &[], &[])),
        ("edu", Role::Adviser, bound(&[], &["101"], &[])),
        ("unit", Role::Unit, bound(&[], &[], &["教育局"])),
    ] {
        u.add(n, r, &format!("pw-{n}-123"), "test").unwrap();
        u.set_reach(n, &reach, "test").unwrap();
    }
    let mut p = purse::problems::ProblemStore::open(dir.path()).unwrap();
    let alerts = purse::alerts::AlertStore::open(dir.path()).unwrap();
    let due = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
    assert!(p.import_alerts(&alerts, due, "test").unwrap() > 10);
    dir
}

/// One shared copy for tests that only read (they still write sessions and the query log):
/// nobody writes to the template, so copying it never races a writer.
fn base() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(copy).path()
}

fn copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(template(), d.path());
    d
}

/// A query on the unbounded engine (what the data holds), on a thread of its own: the tests
/// run inside a runtime.
fn all_rows(dir: &Path, sql: &str) -> Vec<Vec<String>> {
    let (dir, sql) = (dir.to_path_buf(), sql.to_string());
    std::thread::spawn(move || {
        common::query(&dir, &sql)
            .into_iter()
            .map(|r| r.into_iter().map(|v| v.to_string()).collect())
            .collect()
    })
    .join()
    .unwrap()
}

/// Every GET route of the app, with real ids and values: the sweep a bounded user is put
/// through. [`every_route_is_swept`] keeps it in step with the router.
fn sweep(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = [
        "/cockpit",
        "/cockpit?period=2025-11",
        "/charts/0-0/cockpit/zh/2025-12/budgets.svg",
        "/drill",
        "/drill?region=990100",
        "/drill?region=990100&dept=101",
        "/drill?region=990100&dept=103",
        "/drill?region=990102",
        "/alerts",
        "/alerts?status=",
        "/alerts.csv?status=",
        "/alerts.xlsx?status=",
        "/rules",
        "/rules/debt_ratio",
        "/rules/execution_lag",
        "/data",
        "/data/quality",
        "/users",
        "/reports",
        "/reports/live/2025-12",
        "/reports/report-2025-12.zh.html",
        "/console",
        "/problems",
        "/problems?status=&unit=财政局",
        "/problems/export.xlsx",
        "/problems/export.xlsx?unit=财政局",
        "/problems/notice?unit=财政局",
        "/problems/notice?unit=教育局",
        "/ask",
        "/ask?q=各地区债务余额",
        "/ask?q=各部门执行率",
        "/ask?q=教育局各单位支出",
        "/ask?q=各部门预警数量排名",
        "/review",
        "/review?year=2026",
        "/review?year=2026&region=990100&dept=交通运输局",
        "/review/report?year=2026",
        "/review/report?year=2026&format=docx",
        "/review/report?year=2026&format=xlsx",
        "/data/loads/1/report",
        "/data/jobs/1",
        "/api/periods",
        "/api/cockpit",
        "/api/cockpit?period=2025-11",
        "/api/highlights",
        "/api/highlights?period=2025-11",
        "/api/drill",
        "/api/drill?region=990100",
        "/api/drill?region=990100&dept=103",
        "/trail?region=990100&agency=101010",
        "/trail?func=213",
        "/api/trail?region=990100&agency=101010",
        "/api/trail?func=2",
        "/api/alerts",
        "/api/alerts?status=",
        "/api/rules",
        "/api/loads",
        "/api/jobs",
        "/api/jobs/1",
        "/api/reports",
        "/api/problems",
        "/api/problems/summary",
        "/api/openapi.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let alerts = purse::alerts::AlertStore::open(dir)
        .unwrap()
        .list(&Default::default())
        .unwrap();
    for a in &alerts {
        v.push(format!("/alerts/{}", a.id));
        v.push(format!("/api/alerts/{}", a.id));
        v.push(format!("/trail?alert={}", a.id));
        v.push(format!("/api/trail?alert={}", a.id));
    }
    let problems = purse::problems::ProblemStore::open(dir)
        .unwrap()
        .list(&Default::default(), chrono::Local::now().date_naive())
        .unwrap();
    for p in &problems {
        v.push(format!("/problems/{}", p.id));
        v.push(format!("/api/problems/{}", p.id));
        v.push(format!("/problems/{}/evidence/1", p.id));
    }
    v
}

/// Names and codes that only appear in rows outside a reach.
fn markers(dir: &Path, who: &str) -> Vec<String> {
    let debt = all_rows(
        dir,
        "SELECT DISTINCT region_code, region_name FROM debt ORDER BY 1",
    );
    let depts = all_rows(
        dir,
        "SELECT DISTINCT dept_code, dept_name FROM budget_execution WHERE dept_code <> '' ORDER BY 1",
    );
    let agencies = all_rows(
        dir,
        "SELECT DISTINCT dept_code, agency_name FROM budget_execution WHERE dept_code <> '' ORDER BY 1",
    );
    let mut m = Vec::new();
    match who {
        // 城东区 sees its own debt row and nothing of the city's budget, units or other regions.
        "east" => {
            for r in &debt {
                if r[0] != "990102" {
                    m.push(r[0].clone());
                    m.push(r[1].clone());
                }
            }
            m.extend(agencies.iter().map(|r| r[1].clone()));
        }
        // The city's own level sees none of the districts' debt. A district the city's own
        // ledgers name (the transfers it issues to it, 指标下达) is no marker: its name is in rows
        // inside the reach.
        "city" => {
            let named: Vec<String> = all_rows(
                dir,
                "SELECT DISTINCT recipient_name FROM allocations WHERE region_code = '990100' \
                 AND recipient_name IS NOT NULL",
            )
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
            for r in &debt {
                if r[0] != "990100" && !named.contains(&r[1]) {
                    m.push(r[0].clone());
                    m.push(r[1].clone());
                }
            }
        }
        // 教育局 sees none of the other departments' budget units.
        "edu" => {
            m.extend(
                agencies
                    .iter()
                    .filter(|r| r[0] != "101")
                    .map(|r| r[1].clone()),
            );
            m.extend(debt.iter().map(|r| r[1].clone()));
        }
        _ => unreachable!(),
    }
    assert!(!depts.is_empty() && m.len() >= 4, "{who}: {m:?}");
    m
}

fn textual(uri: &str) -> bool {
    !uri.contains(".xlsx")
}

#[tokio::test]
async fn a_bounded_user_reaches_no_other_area_by_any_url() {
    let dir = base();
    let urls = sweep(dir);
    let mut seen_ok = BTreeSet::new();
    for who in ["east", "city", "edu"] {
        let marks = markers(dir, who);
        let c = Client::new(dir, who);
        for uri in &urls {
            let (s, text) = c.get(uri).await;
            assert!(
                [
                    StatusCode::OK,
                    StatusCode::SEE_OTHER,
                    StatusCode::FORBIDDEN,
                    StatusCode::NOT_FOUND
                ]
                .contains(&s)
                    // An alert whose finding names no payments has no trail to follow.
                    || (s == StatusCode::BAD_REQUEST
                        && uri.contains("trail?alert=")
                        && text.contains("no payments to follow")),
                "{who} {uri}: {s} {text}"
            );
            if s == StatusCode::OK && textual(uri) {
                seen_ok.insert(uri.clone());
                // What the URL itself says may be echoed (a breadcrumb, the language link).
                for m in marks.iter().filter(|m| !uri.contains(m.as_str())) {
                    assert!(
                        !text.contains(m.as_str()),
                        "{who} {uri} shows `{m}`, which is outside their reach"
                    );
                }
            }
        }
        // What a bounded user may not open at all says why.
        for uri in [
            "/data",
            "/data/quality",
            "/users",
            "/api/loads",
            "/reports/report-2025-12.zh.html",
        ] {
            let (s, text) = c.get(uri).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {uri}");
            assert!(text.contains("sees") && text.contains("only"), "{text}");
        }
    }
    // The sweep did reach the pages (not only refusals).
    for uri in [
        "/cockpit",
        "/alerts",
        "/problems",
        "/reports/live/2025-12",
        "/api/cockpit",
    ] {
        assert!(seen_ok.contains(uri), "{uri} never answered");
    }
}

#[tokio::test]
async fn bounded_figures_alerts_and_exports_hold_only_the_reach() {
    let dir = base();
    // 城东区: its debt row and its own alert; nothing of the city's budget.
    let east = Client::new(dir, "east");
    let (s, j) = east.get("/api/cockpit?period=2025-12").await;
    assert_eq!(s, StatusCode::OK, "{j}");
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    let debt = j["debt"].as_array().unwrap();
    assert_eq!(debt.len(), 1, "{j}");
    assert_eq!(debt[0]["region_code"], "990102");
    assert_eq!(j["budgets"].as_array().unwrap().len(), 0, "{j}");
    let (_, a) = east.get("/api/alerts?status=").await;
    let a: serde_json::Value = serde_json::from_str(&a).unwrap();
    for al in a["alerts"].as_array().unwrap() {
        assert_eq!(al["region_code"], "990102", "{al}");
    }
    // The city's level sees its budgets, and of the debt table only its own row.
    let city = Client::new(dir, "city");
    let (_, j) = city.get("/api/cockpit?period=2025-12").await;
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert!(!j["budgets"].as_array().unwrap().is_empty(), "{j}");
    let regions: Vec<&str> = j["debt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["region_code"].as_str().unwrap())
        .collect();
    assert!(regions.iter().all(|r| *r == "990100"), "{regions:?}");
    // The analyst (no bound) sees every region: the same URL, another answer.
    let analyst = Client::new(dir, "analyst");
    let (_, j) = analyst.get("/api/cockpit?period=2025-12").await;
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["debt"].as_array().unwrap().len(), 6, "{j}");
    // A chart URL drawn for the analyst is drawn anew for 城东区, not handed over (one server).
    let east = Client {
        state: analyst.state.clone(),
        ..Client::new(dir, "east")
    };
    let (_, page) = analyst.get("/cockpit?period=2025-12").await;
    let start = page.find("/charts/").unwrap();
    let url = &page[start..start + page[start..].find('"').unwrap()];
    // Sessions written by other connections move the generation (seen by the poller within
    // 200 ms), so the URL may already be a redirect to the same chart now: follow it.
    let (s1, mine) = get_following(&analyst, url).await;
    let (s2, theirs) = get_following(&east, url).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{url}");
    assert_ne!(mine, theirs, "{url}: the same chart for two reaches");
    // 教育局: the alert export holds its units' alerts only.
    let edu = Client::new(dir, "edu");
    let (s, csv) = edu.get("/alerts.csv?status=").await;
    assert_eq!(s, StatusCode::OK);
    let all_csv = analyst.get("/alerts.csv?status=").await.1;
    assert!(csv.lines().count() > 1, "{csv}");
    assert!(csv.lines().count() < all_csv.lines().count(), "{csv}");
    assert!(csv.contains("教育局") && !csv.contains("公安局"), "{csv}");
}

/// A GET that follows the server's redirects (a few at most).
async fn get_following(c: &Client, uri: &str) -> (StatusCode, String) {
    let mut uri = uri.to_string();
    for _ in 0..4 {
        let r = c
            .send(
                axum::http::Request::get(&uri)
                    .header(header::COOKIE, &c.cookie)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        if r.status() != StatusCode::SEE_OTHER {
            let s = r.status();
            return (s, body(r).await);
        }
        uri = location(&r);
    }
    panic!("{uri}: redirected too often")
}

async fn sql(c: &Client, q: &str) -> serde_json::Value {
    let (s, v) = c
        .json("/api/sql", serde_json::json!({ "sql": q }), true)
        .await;
    assert!(s == StatusCode::OK || s.is_client_error(), "{q}: {s} {v}");
    v
}

fn column(v: &serde_json::Value) -> Vec<String> {
    v["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r[0].as_str()
                        .map(str::to_string)
                        .unwrap_or(r[0].to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn ask_answers_a_bounded_user_from_their_rows_only() {
    let dir = base();
    let east = Client::new(dir, "east");
    // 城东区's debt only, as the warehouse holds it.
    let want = all_rows(
        dir,
        "SELECT region_name, CAST(sum(debt_balance) AS VARCHAR) FROM debt \
         WHERE period = '2025-12' AND region_code = '990102' GROUP BY region_name",
    );
    let (s, v) = east
        .json(
            "/api/ask",
            serde_json::json!({"question": "各地区债务余额"}),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "answer", "{v}");
    let rows: Vec<Vec<String>> = serde_json::from_value(v["rows"].clone()).unwrap();
    assert_eq!(rows, want, "{v}");
    // The city's departments are not in its reach: the name is not known to it, and nothing of
    // them is said.
    let (_, v) = east
        .json(
            "/api/ask",
            serde_json::json!({"question": "教育局执行率"}),
            true,
        )
        .await;
    assert_eq!(v["status"], "unanswerable", "{v}");
    assert!(v["rows"].as_array().unwrap().is_empty());
    // A question is 1 to 200 characters.
    let (s, v) = east
        .json("/api/ask", serde_json::json!({"question": " "}), true)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn the_console_answers_a_bounded_adviser_from_their_rows_only() {
    let dir = base();
    let catalog = purse::datasets::Catalog::builtin();
    let east = Client::new(dir, "east");
    for ds in &catalog.datasets {
        let v = sql(
            &east,
            &format!("SELECT DISTINCT region_code FROM {} ORDER BY 1", ds.name),
        )
        .await;
        let regions = column(&v);
        assert!(
            regions.iter().all(|r| r == "990102"),
            "{}: {regions:?}",
            ds.name
        );
    }
    let v = sql(&east, "SELECT count(*) FROM debt").await;
    assert_eq!(v["rows"][0][0], 24, "{v}");
    // Ways around a view, each closed.
    for q in [
        "SELECT count(*) FROM datafusion.public.budget_execution",
        "SELECT count(*) FROM purse_loads",
    ] {
        let v = sql(&east, q).await;
        assert_eq!(v["rows"][0][0], 0, "{q}: {v}");
    }
    let file = walk_parquet(&dir.join("warehouse/budget_execution"));
    for q in [
        format!("SELECT count(*) FROM '{}'", file.display()),
        format!(
            "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{}'",
            file.display()
        ),
        format!("SELECT count(*) FROM read_parquet('{}')", file.display()),
    ] {
        let v = sql(&east, &q).await;
        assert!(v["error"].is_object(), "{q}: {v}");
    }
    // A department: its code, its units' payments, nothing of tables it cannot be judged in.
    let edu = Client::new(dir, "edu");
    let v = sql(
        &edu,
        "SELECT DISTINCT dept_code FROM budget_execution WHERE dept_code <> ''",
    )
    .await;
    assert_eq!(column(&v), vec!["101"], "{v}");
    let v = sql(
        &edu,
        "SELECT count(*) FROM payments WHERE agency_code NOT IN (SELECT agency_code FROM budget_execution)",
    )
    .await;
    assert_eq!(v["rows"][0][0], 0, "{v}");
    let v = sql(&edu, "SELECT count(*) FROM payments").await;
    let all = all_rows(
        dir,
        "SELECT count(*) FROM payments WHERE agency_code IN (SELECT agency_code FROM budget_execution WHERE dept_code = '101')",
    );
    assert_eq!(v["rows"][0][0].to_string(), all[0][0], "{v}");
    assert!(all[0][0].parse::<i64>().unwrap() > 0);
    for t in ["debt", "soe_finance", "indicators", "revenue"] {
        let v = sql(&edu, &format!("SELECT count(*) FROM {t}")).await;
        assert_eq!(v["rows"][0][0], 0, "{t}: {v}");
    }
}

fn walk_parquet(d: &Path) -> std::path::PathBuf {
    for e in std::fs::read_dir(d).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            return walk_parquet(&p);
        }
        if p.extension().is_some_and(|x| x == "parquet") {
            return p;
        }
    }
    panic!("no parquet under {}", d.display())
}

#[tokio::test]
async fn a_unit_sees_its_own_items_and_nothing_else() {
    let dir = base();
    let unit = Client::new(dir, "unit");
    let mine: serde_json::Value = serde_json::from_str(&unit.get("/api/problems").await.1).unwrap();
    let n = mine["count"].as_u64().unwrap();
    assert!(n > 0, "{mine}");
    for p in mine["problems"].as_array().unwrap() {
        assert_eq!(p["unit"], "教育局", "{p}");
    }
    let all = purse::problems::ProblemStore::open(dir)
        .unwrap()
        .list(&Default::default(), chrono::Local::now().date_naive())
        .unwrap();
    assert!(all.len() as u64 > n);
    for uri in sweep(dir) {
        let (s, text) = unit.get(&uri).await;
        let own = all.iter().any(|p| {
            p.unit == "教育局"
                && (uri == format!("/problems/{}", p.id)
                    || uri == format!("/api/problems/{}", p.id))
        });
        if uri.starts_with("/problems") || uri.starts_with("/api/problems") {
            if own {
                assert_eq!(s, StatusCode::OK, "{uri}");
            }
            if s == StatusCode::OK && textual(&uri) {
                assert!(!text.contains("财政局"), "{uri} shows another unit's item");
            }
            continue;
        }
        // Everything else: refused, or (the cockpit) sent to the problem list.
        assert!(
            s == StatusCode::FORBIDDEN
                || (s == StatusCode::SEE_OTHER && uri.starts_with("/cockpit")),
            "{uri}: {s} {text}"
        );
    }
    let (s, text) = unit.get("/api/cockpit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(text.contains("responsible unit"), "{text}");
    // The navigation offers it nothing else.
    let (_, page) = unit.get("/problems").await;
    assert!(
        !page.contains("href=\"/cockpit\"") && !page.contains("href=\"/alerts"),
        "{page}"
    );
    // An item of another unit is answered as if it did not exist.
    let other = all.iter().find(|p| p.unit != "教育局").unwrap();
    let (s, text) = unit.get(&format!("/api/problems/{}", other.id)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{text}");
    assert!(
        text.contains(&format!("no problem item #{}", other.id)),
        "{text}"
    );
}

async fn step(c: &Client, id: i64, fields: &[(&str, &str)]) -> axum::response::Response {
    let mut f = vec![("csrf", c.csrf.as_str())];
    f.extend_from_slice(fields);
    c.form(&format!("/problems/{id}/act"), &f).await
}

fn field<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

async fn item(c: &Client, id: i64) -> serde_json::Value {
    let (s, t) = c.get(&format!("/api/problems/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    serde_json::from_str(&t).unwrap()
}

#[tokio::test]
async fn an_item_walks_from_entry_to_closing_through_committee_and_unit() {
    let dir = copy();
    let analyst = Client::new(dir.path(), "analyst");
    let unit = Client::new(dir.path(), "unit");
    // Entered by the committee from a deliberation opinion.
    let r = analyst
        .form(
            "/problems",
            &[
                ("csrf", &analyst.csrf),
                ("source", "deliberation"),
                ("source_ref", "审议意见 2025-7"),
                ("source_document", "关于2025年预算执行情况的审议意见"),
                ("title", "学校维修资金长期结存"),
                ("unit", "教育局"),
                ("region_code", "990100"),
                ("requirement", "说明结存原因并制定使用计划"),
                ("due", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = location(&r);
    let id: i64 = at.trim_start_matches("/problems/").parse().unwrap();
    assert_eq!(
        field(&item(&analyst, id).await["problem"], "status"),
        "open"
    );
    // The unit cannot answer before it is assigned, and the committee cannot answer for it.
    let r = unit
        .form(
            &format!("/problems/{id}/act"),
            &[("csrf", &unit.csrf), ("action", "respond"), ("text", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(body(r).await.contains("allowed now: assign"));
    let r = step(&analyst, id, &[("action", "assign"), ("due", "2099-02-28")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = step(&analyst, id, &[("action", "respond"), ("text", "代答")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(body(r).await.contains("the responsible unit answers"));
    // The unit answers with its evidence.
    let r = step(
        &unit,
        id,
        &[("action", "respond"), ("text", "已制定使用计划")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = unit
        .multipart(
            &format!("/problems/{id}/evidence"),
            &[("csrf", &unit.csrf)],
            Some(("使用计划.pdf", b"%PDF-1.4 plan")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
    // The committee sends it back with a reason; the unit may not close it itself.
    let r = step(&unit, id, &[("action", "accept")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = step(&analyst, id, &[("action", "send_back")]).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a send-back needs its reason"
    );
    let r = step(
        &analyst,
        id,
        &[("action", "send_back"), ("reason", "缺少资金使用台账")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = item(&unit, id).await;
    assert_eq!(field(&v["problem"], "status"), "sent_back");
    assert_eq!(
        v["allowed_actions"],
        serde_json::json!(["respond", "evidence"])
    );
    let r = step(
        &unit,
        id,
        &[("action", "respond"), ("text", "补充资金使用台账")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = step(&analyst, id, &[("action", "accept"), ("note", "同意销号")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Closed: no more evidence; rated 不满意, it goes back to the unit.
    let r = unit
        .multipart(
            &format!("/problems/{id}/evidence"),
            &[("csrf", &unit.csrf)],
            Some(("late.txt", b"x")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = step(
        &analyst,
        id,
        &[
            ("action", "rate"),
            ("rating", "不满意"),
            ("note", "台账不完整"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = item(&analyst, id).await;
    assert_eq!(field(&v["problem"], "status"), "sent_back");
    let actions: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "add",
            "assign",
            "respond",
            "evidence",
            "send_back",
            "respond",
            "accept",
            "rate",
            "reopen"
        ]
    );
    // The evidence is kept by its hash and served back as it was.
    let ev = &v["evidence"][0];
    assert_eq!(field(ev, "name"), "使用计划.pdf");
    let sha = field(ev, "sha256").to_string();
    assert!(dir.path().join(field(ev, "file")).exists());
    assert!(field(ev, "file").contains(&sha[..16]));
    let (s, bytes) = unit
        .get(&format!("/problems/{id}/evidence/{}", ev["id"]))
        .await;
    assert_eq!((s, bytes.as_str()), (StatusCode::OK, "%PDF-1.4 plan"));
    // Round two: answered, closed, rated 满意.
    step(&unit, id, &[("action", "respond"), ("text", "台账已补齐")]).await;
    step(&analyst, id, &[("action", "accept")]).await;
    step(&analyst, id, &[("action", "rate"), ("rating", "satisfied")]).await;
    assert_eq!(
        field(&item(&analyst, id).await["problem"], "status"),
        "closed"
    );
    // The month's loop, as the cockpit card and the API tell it.
    let month = chrono::Local::now().format("%Y-%m").to_string();
    let (_, s) = analyst
        .get(&format!("/api/problems/summary?month={month}"))
        .await;
    let s: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["closed_in_period"], 2, "{s}");
    assert_eq!(s["sent_back_in_period"], 2, "{s}");
    assert_eq!(
        (s["satisfied"].clone(), s["unsatisfied"].clone()),
        (1.into(), 1.into()),
        "{s}"
    );
    let by_unit = &s["by_unit"][0];
    assert_eq!(by_unit["unit"], "教育局", "{s}");
    let (_, cockpit) = analyst.get("/cockpit").await;
    assert!(
        cockpit.contains("闭环监督") && cockpit.contains("满意度 50.0%"),
        "satisfaction on the card"
    );
    // The unit's two lists (named for the unit), and its printable notice with the due dates.
    let r = unit
        .send(
            axum::http::Request::get("/problems/export.xlsx?unit=%E6%95%99%E8%82%B2%E5%B1%80")
                .header(header::COOKIE, &unit.cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"problems-___.xlsx\"; filename*=UTF-8''problems-%E6%95%99%E8%82%B2%E5%B1%80.xlsx"
    );
    let (s, notice) = unit.get("/problems/notice?unit=教育局").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        notice.contains("督办单") && notice.contains("2099-12-31"),
        "{notice}"
    );
    assert!(
        !notice.contains("学校维修资金长期结存"),
        "closed items are off the notice"
    );
}

#[tokio::test]
async fn the_lists_export_both_sheets_with_the_loop() {
    use calamine::Reader;
    let dir = copy();
    let analyst = Client::new(dir.path(), "analyst");
    let id = purse::problems::ProblemStore::open(dir.path())
        .unwrap()
        .list(&Default::default(), chrono::Local::now().date_naive())
        .unwrap()[0]
        .id;
    let (s, _) = analyst
        .json(
            &format!("/api/problems/{id}/actions"),
            serde_json::json!({"action": "assign", "requirement": "限期整改"}),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = analyst
        .send(
            axum::http::Request::get("/problems/export.xlsx")
                .header(header::COOKIE, &analyst.cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["问题清单", "整改清单"]);
    let list = wb.worksheet_range("问题清单").unwrap();
    let n = purse::problems::ProblemStore::open(dir.path())
        .unwrap()
        .list(&Default::default(), chrono::Local::now().date_naive())
        .unwrap()
        .len();
    assert_eq!(list.height(), n + 1);
    let rect = wb.worksheet_range("整改清单").unwrap();
    let row = rect
        .rows()
        .find(|r| r[0].to_string() == id.to_string())
        .unwrap();
    assert_eq!(row[3].to_string(), "限期整改");
    assert_eq!(row[8].to_string(), "已交办");
}

#[tokio::test]
async fn audit_findings_go_on_the_list_once_within_the_reach() {
    let dir = copy();
    let open_findings = all_rows(
        dir.path(),
        "SELECT region_code, report_name, finding_no, audited_entity FROM (
             SELECT *, row_number() OVER (PARTITION BY region_code, report_name, finding_no
                                          ORDER BY period DESC) AS latest FROM audit_findings)
         WHERE latest = 1 AND status <> '已整改' ORDER BY 1, 2, 3",
    );
    assert!(open_findings.len() >= 2, "{open_findings:?}");
    // 城东区 has no findings of its own: its import adds nothing of the city's.
    let east = Client::new(dir.path(), "east");
    let r = east
        .form(
            "/problems/import-audit",
            &[("csrf", &east.csrf), ("due", "2099-12-31")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = east.get("/api/problems?source=audit").await;
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["count"], 0, "{v}");
    let analyst = Client::new(dir.path(), "analyst");
    let (_, v) = analyst.get("/api/problems?source=audit").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v).unwrap()["count"],
        0
    );
    // The analyst's import: every finding not yet rectified, once, under its audited entity.
    for _ in 0..2 {
        let r = analyst
            .form(
                "/problems/import-audit",
                &[("csrf", &analyst.csrf), ("due", "2099-12-31")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, v) = analyst.get("/api/problems?source=audit").await;
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["count"], open_findings.len(), "{v}");
    for f in &open_findings {
        let p = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["source_ref"] == format!("{}|{}", f[1], f[2]))
            .unwrap_or_else(|| panic!("{f:?} not on the list: {v}"));
        assert_eq!(p["unit"], f[3].as_str(), "{p}");
        assert_eq!(p["source_document"], f[1].as_str(), "{p}");
        assert_eq!(p["region_code"], f[0].as_str(), "{p}");
    }
    let unit = Client::new(dir.path(), "analyst");
    let r = unit
        .form(
            "/problems/import-audit",
            &[("csrf", &unit.csrf), ("due", "someday")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        body(r)
            .await
            .contains("due date `someday`: expected YYYY-MM-DD")
    );
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "2025年预算审查监督问题清单").unwrap();
    for (i, r) in rows.iter().enumerate() {
        for (j, c) in r.iter().enumerate() {
            ws.write_string(i as u32 + 2, j as u16, *c).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

const HEADER: &[&str] = &[
    "序号",
    "来源",
    "问题",
    "责任单位",
    "整改要求",
    "整改期限",
    "区划",
];

#[tokio::test]
async fn an_imported_list_is_checked_whole_and_stored_once() {
    let dir = copy();
    let analyst = Client::new(dir.path(), "analyst");
    let count = || {
        purse::problems::ProblemStore::open(dir.path())
            .unwrap()
            .list(&Default::default(), chrono::Local::now().date_naive())
            .unwrap()
            .len()
    };
    let before = count();
    let good = workbook(&[
        HEADER,
        &[
            "1",
            "代表建议",
            "乡村学校校车补助不到位",
            "教育局",
            "核实并足额拨付",
            "2099年6月30日",
            "990100",
        ],
        &[
            "2",
            "执法检查",
            "预算法执行中结转资金清理不及时",
            "财政局",
            "清理结转结余",
            "2099/7/1",
            "990100",
        ],
        &["", "", "", "", "", "", ""],
    ]);
    let r = analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some(("清单.xlsx", &good)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
    assert_eq!(count(), before + 2);
    // The same list again adds nothing.
    analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some(("清单.xlsx", &good)),
        )
        .await;
    assert_eq!(count(), before + 2);
    let (_, v) = analyst.get("/api/problems?source=suggestion").await;
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["problems"][0]["due_date"], "2099-06-30", "{v}");
    // Three bad rows: each named by row and column; nothing of the file is stored.
    let bad = workbook(&[
        HEADER,
        &[
            "3",
            "审计",
            "问题甲",
            "教育局",
            "整改",
            "2099-13-01",
            "990100",
        ],
        &[
            "4",
            "传闻",
            "问题乙",
            "教育局",
            "整改",
            "2099-01-01",
            "990100",
        ],
        &["5", "审计", "问题丙", "", "整改", "2099-01-01", "990100"],
        &[
            "6",
            "审计",
            "问题丁",
            "教育局",
            "整改",
            "2099-01-01",
            "990100",
        ],
    ]);
    let r = analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some(("bad.xlsx", &bad)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = body(r).await;
    for want in [
        "bad.xlsx",
        "3 bad row(s), nothing imported",
        "row 4, column 整改期限: `2099-13-01` is not a date",
        "row 5, column 来源: `传闻` is not a source",
        "row 6, column 责任单位: empty",
    ] {
        assert!(msg.contains(want), "{want}: {msg}");
    }
    assert_eq!(count(), before + 2);
    // A list without the columns it needs says which.
    let r = analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some((
                "cols.xlsx",
                &workbook(&[&["问题", "责任单位"], &["x", "y"]]),
            )),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = body(r).await;
    assert!(
        msg.contains("missing column(s) 整改要求, 整改期限, 来源"),
        "{msg}"
    );
    // Not a workbook at all.
    let r = analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some(("x.xlsx", b"not a zip")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).await.contains("x.xlsx: not a readable workbook"));
    // A 1.6 KB workbook whose only cells are A1 and XFD1048576 is refused naming the cell; it
    // used to be read as a dense range of 17 billion cells inside the server.
    let far = std::fs::read(common::fixture("bad/far_cell.xlsx")).unwrap();
    let r = analyst
        .multipart(
            "/problems/import",
            &[("csrf", &analyst.csrf)],
            Some(("far.xlsx", &far)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = body(r).await;
    assert!(
        msg.contains(
            "far.xlsx: sheet `预算执行`: cell XFD1048576 is in column 16384, past the 1000 columns"
        ),
        "{msg}"
    );
    assert_eq!(count(), before + 2);
    // A viewer-level or unit account may not import.
    let unit = Client::new(dir.path(), "unit");
    let r = unit
        .multipart(
            "/problems/import",
            &[("csrf", &unit.csrf)],
            Some(("清单.xlsx", &good)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_monthly_report_gains_the_loop_and_a_bounded_report() {
    let dir = copy();
    let analyst = Client::new(dir.path(), "analyst");
    let east = Client::new(dir.path(), "east");
    let (s, all) = analyst.get("/reports/live/2025-12").await;
    // Unbounded users read the archive; the live report is for bounded users, but answers all.
    assert_eq!(s, StatusCode::OK);
    assert!(
        all.contains("问题清单闭环") && all.contains("未销号"),
        "{all}"
    );
    let (s, mine) = east.get("/reports/live/2025-12").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        mine.contains("本报告仅含可见范围内的数据") && mine.contains("990102"),
        "{mine}"
    );
    assert!(!mine.contains("北山县") && all.contains("北山县"));
    let (_, list) = east.get("/reports").await;
    assert!(
        list.contains("/reports/live/2025-12") && !list.contains("report-2025"),
        "{list}"
    );
    // Archived reports hold everything: generated by the analyst, refused to 城东区.
    let r = analyst
        .form(
            "/reports",
            &[("csrf", &analyst.csrf), ("period", "2025-12")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = location(&r);
    let (s, archived) = analyst.get(&at).await;
    assert_eq!(s, StatusCode::OK);
    assert!(archived.contains("问题清单闭环"));
    let (s, _) = east.get(&at).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// Every GET route the router has is in the sweep (with its ids filled in), so a page added
/// later is put through the bounded and unit users before it ships.
#[test]
fn every_route_is_swept() {
    let src = std::fs::read_to_string(common::root().join("src/web/mod.rs")).unwrap();
    let dir = base();
    let urls = sweep(dir);
    let open = [
        "/",
        "/login",
        "/logout",
        "/lang",
        "/static/purse.css",
        "/api/health",
        "/api/login",
        "/api/logout",
        // For a scraper on this machine or with the token, not a session: counts per route,
        // rule and outcome, nothing of any region's data (tests/web.rs).
        "/metrics",
    ];
    let mut missing = Vec::new();
    for chunk in src.split(".route(").skip(1) {
        let q = chunk.find('"').unwrap();
        let end = chunk[q + 1..].find('"').unwrap();
        let path = &chunk[q + 1..q + 1 + end];
        let handlers = chunk.split("\n        .").next().unwrap_or(chunk);
        if !handlers.contains("get(") || open.contains(&path) {
            continue;
        }
        let prefix = path.split('{').next().unwrap();
        let covered = urls.iter().any(|u| {
            let u = u.split('?').next().unwrap();
            if path.contains('{') {
                u.starts_with(prefix) && u.len() > prefix.len()
            } else {
                u == path
            }
        });
        if !covered {
            missing.push(path.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "routes not in the access sweep: {missing:?}"
    );
}
