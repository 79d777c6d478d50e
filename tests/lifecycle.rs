//! The alert lifecycle on data as it really arrives: months without an extract, one region's
//! extract before another's, rectifications the data stops showing, rules whose key is not an
//! identity, record-mode scores, and "why this alert".

mod common;

use std::path::Path;

use common::*;
use purse::alerts::{Action, AlertStore, Filter, Status};
use purse::datasets::Catalog;
use purse::ingest::Options;
use purse::rules::RuleSet;

const HEADER: &str =
    "年度,月份,财政区划,预算类型,预算单位编码,预算单位名称,功能分类科目,调整后预算数,累计支出";

/// One execution extract (UTF-8 CSV, 元) with rows (region, unit code, unit name, budget, ytd).
fn extract(
    dir: &Path,
    name: &str,
    period: &str,
    rows: &[(&str, &str, &str, &str, &str)],
) -> std::path::PathBuf {
    let (y, m) = period.split_once('-').unwrap();
    let mut text = format!("{HEADER}\n");
    for (region, code, unit, budget, ytd) in rows {
        text.push_str(&format!(
            "{y},{},{region},一般公共预算,{code},{unit},2050101,{budget},{ytd}\n",
            m.trim_start_matches('0')
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

struct Env {
    dir: tempfile::TempDir,
    files: tempfile::TempDir,
    catalog: Catalog,
    set: RuleSet,
    rt: tokio::runtime::Runtime,
}

impl Env {
    fn new() -> Env {
        let catalog = Catalog::builtin();
        let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
        Env {
            dir: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
            catalog,
            set,
            rt: tokio::runtime::Runtime::new().unwrap(),
        }
    }

    fn load(&self, name: &str, period: &str, rows: &[(&str, &str, &str, &str, &str)]) {
        let p = extract(self.files.path(), name, period, rows);
        let out = ingest(self.dir.path(), &[p], &Options::default());
        assert!(
            out.iter()
                .all(|o| o.status == purse::ingest::Status::Loaded),
            "{out:#?}"
        );
    }

    fn check(&self, rules: &[&str], period: &str) -> purse::Result<purse::alerts::RunSummary> {
        let ids: Vec<String> = rules.iter().map(|s| s.to_string()).collect();
        let selected = purse::check::select(&self.set, &ids)?;
        let res = self.rt.block_on(purse::check::check(
            self.dir.path(),
            &self.catalog,
            &selected,
            period,
            false,
        ))?;
        Ok(res.summary.unwrap())
    }

    fn store(&self) -> AlertStore {
        AlertStore::open(self.dir.path()).unwrap()
    }

    fn alert(&self, key: &str) -> purse::alerts::Alert {
        let all = self.store().list(&Filter::default()).unwrap();
        all.into_iter()
            .find(|a| a.alert_key == key)
            .unwrap_or_else(|| panic!("no alert {key}"))
    }
}

/// March: 甲 (region 990100) and 乙 (990200) both lag; each region's unit 101001 is its own alert.
fn march(env: &Env) {
    env.load(
        "2025-03.csv",
        "2025-03",
        &[
            ("990100", "101001", "甲单位", "1000000", "0"),
            ("990100", "101002", "正常单位", "1000000", "250000"),
            ("990200", "101001", "乙县甲单位", "1000000", "10000"),
        ],
    );
    let s = env.check(&["execution_lag"], "2025-03").unwrap();
    assert_eq!((s.new_alerts, s.findings), (2, 2), "{s:?}");
}

#[test]
fn a_month_without_data_leaves_alerts_alone() {
    let env = Env::new();
    march(&env);
    // No April extract at all: nothing is said of April, nothing is resolved.
    let s = env.check(&["execution_lag"], "2025-04").unwrap();
    assert_eq!(
        s.not_evaluated,
        vec![(
            "execution_lag".to_string(),
            "no data for budget_execution in 2025-04".to_string()
        )]
    );
    assert_eq!((s.resolved, s.findings), (0, 0));
    for key in ["990100|101001", "990200|101001"] {
        let a = env.alert(key);
        assert_eq!(
            (a.status, a.last_period.as_str()),
            (Status::New, "2025-03"),
            "{key}"
        );
    }
    let outcomes = env.store().rule_outcomes("2025-04").unwrap();
    assert_eq!(outcomes.len(), 1);
    assert!(!outcomes[0].evaluated);
    assert_eq!(
        outcomes[0].reason.as_deref(),
        Some("no data for budget_execution in 2025-04")
    );
}

#[test]
fn only_the_regions_with_data_are_resolved_by_it() {
    let env = Env::new();
    march(&env);
    // May: only region 990100 reports, and 甲 has caught up. 乙's region sent nothing: its
    // alert is left as it is, not resolved.
    env.load(
        "2025-05.csv",
        "2025-05",
        &[
            ("990100", "101001", "甲单位", "1000000", "420000"),
            ("990100", "101002", "正常单位", "1000000", "420000"),
        ],
    );
    let s = env.check(&["execution_lag"], "2025-05").unwrap();
    assert_eq!((s.resolved, s.held, s.findings), (1, 1, 0), "{s:?}");
    assert_eq!(env.alert("990100|101001").status, Status::Resolved);
    assert_eq!(env.alert("990200|101001").status, Status::New);
    let trail = env.store().events(env.alert("990100|101001").id).unwrap();
    let last = trail.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.note.as_deref()),
        ("resolved", Some("the data for 2025-05 no longer shows it"))
    );
    // The month's report view: 甲 is gone by data, 乙 is held for want of data.
    let m = env.store().month("2025-05", "2025-03").unwrap();
    assert!(m.alerts.is_empty());
    let _ = m;
    let m = env.store().month("2025-04", "2025-03").unwrap();
    assert_eq!(m.gone.len(), 1, "{:?}", m.gone);
    assert_eq!(m.held.len(), 1, "{:?}", m.held);
    assert_eq!(m.held[0].alert_key, "990200|101001");
}

#[test]
fn rectification_is_never_closed_by_data_it_awaits_xiaohao() {
    let env = Env::new();
    march(&env);
    let mut store = env.store();
    let id = env.alert("990200|101001").id;
    store.act(id, &Action::Ack, "analyst").unwrap();
    store
        .act(
            id,
            &Action::Rectify {
                owner: "乙县财政局".into(),
                due: chrono::NaiveDate::from_ymd_opt(2025, 9, 30).unwrap(),
            },
            "analyst",
        )
        .unwrap();
    // June: 乙 has caught up. The data clears it, but only an analyst with evidence closes it.
    env.load(
        "2025-06.csv",
        "2025-06",
        &[("990200", "101001", "乙县甲单位", "1000000", "480000")],
    );
    let s = env.check(&["execution_lag"], "2025-06").unwrap();
    assert_eq!((s.cleared, s.resolved), (1, 0), "{s:?}");
    let a = store.get(id).unwrap();
    assert_eq!(a.status, Status::Cleared);
    assert_eq!(a.status.zh(), "数据已消除，待销号");
    assert!(a.status.is_open());
    assert_eq!(
        purse::alerts::allowed_actions(a.status),
        vec!["close", "dismiss", "comment"]
    );
    let e = store
        .act(
            id,
            &Action::Close {
                evidence: "  ".into(),
            },
            "analyst",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("close needs a non-empty text"), "{e}");
    // July: it lags again before anyone closed it: back in rectification, not a new alert.
    env.load(
        "2025-07.csv",
        "2025-07",
        &[("990200", "101001", "乙县甲单位", "1000000", "480000")],
    );
    let s = env.check(&["execution_lag"], "2025-07").unwrap();
    assert_eq!((s.reopened, s.new_alerts), (1, 0), "{s:?}");
    assert_eq!(store.get(id).unwrap().status, Status::Rectifying);
    // August: caught up again; this time the analyst closes it with the evidence.
    env.load(
        "2025-08.csv",
        "2025-08",
        &[("990200", "101001", "乙县甲单位", "1000000", "700000")],
    );
    env.check(&["execution_lag"], "2025-08").unwrap();
    assert_eq!(store.get(id).unwrap().status, Status::Cleared);
    let closed = store
        .act(
            id,
            &Action::Close {
                evidence: "支出进度已达序时进度（8月执行70%）".into(),
            },
            "chief",
        )
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    let actions: Vec<String> = store
        .events(id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "created", "ack", "rectify", "cleared", "reopened", "cleared", "close"
        ]
    );
}

#[test]
fn a_rule_whose_key_is_no_identity_is_refused_and_stores_nothing() {
    let env = Env::new();
    march(&env);
    let rules_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        rules_dir.path().join("lag_by_code.sql"),
        "-- id: lag_by_code\n-- title: 按编码 | By code\n-- category: 流速\n-- datasets: budget_execution\n\
         -- severity: 黄\n-- key: agency_code\n-- message: {subject} | {subject}\n\
         SELECT agency_code, agency_name AS subject, sum(ytd_amount) AS ytd_amount FROM budget_execution\n\
         WHERE period = $period GROUP BY region_code, agency_code, agency_name",
    )
    .unwrap();
    let set = RuleSet::load(rules_dir.path(), &env.catalog, &Default::default()).unwrap();
    let selected = purse::check::select(&set, &[]).unwrap();
    let runs_before = env.store().runs(100).unwrap().len();
    let e = env
        .rt
        .block_on(purse::check::check(
            env.dir.path(),
            &env.catalog,
            &selected,
            "2025-03",
            false,
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rule lag_by_code"), "{e}");
    assert!(
        e.contains("returned two rows with the same key `101001` (agency_code)"),
        "{e}"
    );
    assert!(
        e.contains("subject=甲单位") && e.contains("subject=乙县甲单位"),
        "{e}"
    );
    assert_eq!(env.store().runs(100).unwrap().len(), runs_before);
}

#[test]
fn a_check_session_names_the_first_broken_rule_and_runs_the_rules_it_validated() {
    let env = Env::new();
    march(&env);
    let rules_dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, select: &str| {
        format!(
            "-- id: {id}\n-- title: t | t\n-- category: 流速\n-- datasets: budget_execution\n\
             -- severity: 黄\n-- key: region_code, agency_code\n-- message: {{subject}} | {{subject}}\n\
             SELECT {select} FROM budget_execution WHERE period = $period AND ytd_amount > 0"
        )
    };
    let good = "coalesce(region_code, '') AS region_code, agency_code, agency_name AS subject";
    std::fs::write(rules_dir.path().join("a_good.sql"), rule("a_good", good)).unwrap();
    // No `subject` column (what a finding is about); another broken file after it.
    std::fs::write(
        rules_dir.path().join("b_z_broken.sql"),
        rule("b_z_broken", "agency_code, agency_name AS subject"),
    )
    .unwrap();
    std::fs::write(
        rules_dir.path().join("b_broken.sql"),
        rule(
            "b_broken",
            "coalesce(region_code, '') AS region_code, agency_code",
        ),
    )
    .unwrap();
    std::fs::write(rules_dir.path().join("c_good.sql"), rule("c_good", good)).unwrap();
    let set = RuleSet::load(rules_dir.path(), &env.catalog, &Default::default()).unwrap();
    let session = env
        .rt
        .block_on(purse::check::CheckSession::open(
            env.dir.path(),
            &env.catalog,
        ))
        .unwrap();
    let e = env
        .rt
        .block_on(session.validate(&set))
        .unwrap_err()
        .to_string();
    assert!(e.contains("b_broken.sql"), "{e}");
    assert!(
        e.contains("the query must return a `subject` column"),
        "{e}"
    );

    // Without the broken files, the plans validated are the ones run, findings and all.
    std::fs::remove_file(rules_dir.path().join("b_broken.sql")).unwrap();
    std::fs::remove_file(rules_dir.path().join("b_z_broken.sql")).unwrap();
    let set = RuleSet::load(rules_dir.path(), &env.catalog, &Default::default()).unwrap();
    env.rt.block_on(session.validate(&set)).unwrap();
    let selected = purse::check::select(&set, &[]).unwrap();
    let res = env
        .rt
        .block_on(session.check(env.dir.path(), &selected, "2025-03", true))
        .unwrap();
    // March has two units with payments to date, one in each region.
    for (run, id) in res.runs.iter().zip(["a_good", "c_good"]) {
        assert_eq!(run.rule_id, id);
        let keys: Vec<&str> = run.findings.iter().map(|f| f.alert_key.as_str()).collect();
        assert_eq!(keys, ["990100|101002", "990200|101001"], "{id}");
    }
    assert_eq!(res.runs.len(), 2);
}

#[test]
fn record_mode_scores_are_kept_but_open_no_workflow() {
    let env = Env::new();
    let files = env.files.path();
    // Three Decembers of revenue: the fund budget at half its original budget each year.
    for year in [2023, 2024, 2025] {
        let p = files.join(format!("revenue-{year}.csv"));
        std::fs::write(
            &p,
            format!(
                "年度,月份,财政区划,预算类型,收入科目编码,收入科目名称,年初预算数,调整预算数,累计收入\n\
                 {year},12,990100,政府性基金预算,1030148,国有土地使用权出让收入,1000000,500000,500000\n"
            ),
        )
        .unwrap();
        let out = ingest(env.dir.path(), &[p], &Options::default());
        assert_eq!(out[0].status, purse::ingest::Status::Loaded, "{out:#?}");
    }
    let s = env.check(&["pefa_pi3_revenue_outturn"], "2025-12").unwrap();
    assert_eq!(s.findings, 1, "{s:?}");
    let a = env.alert("990100|政府性基金预算|2025|PI-3.1");
    assert_eq!(a.status, Status::Recorded);
    assert!(!a.status.is_open());
    assert!(
        env.store()
            .list(&Filter {
                open: true,
                ..Default::default()
            })
            .unwrap()
            .is_empty()
    );
    assert_eq!(purse::alerts::allowed_actions(a.status), vec!["comment"]);
    assert!(
        a.message_zh.contains("评级 D") && a.message_zh.contains("近三年有3年数据"),
        "{}",
        a.message_zh
    );
    // January is not one of the rule's months: not evaluated, the score stays.
    let s = env.check(&["pefa_pi3_revenue_outturn"], "2026-01").unwrap();
    assert_eq!(s.not_evaluated[0].1, "applies in month 12 only");
    assert_eq!(
        env.alert("990100|政府性基金预算|2025|PI-3.1").status,
        Status::Recorded
    );
}

#[test]
fn why_this_alert_gives_sql_parameters_and_source_rows_with_their_file() {
    let env = Env::new();
    march(&env);
    let a = env.alert("990100|101001");
    let ex = env.store().explain(a.id, "2025-03").unwrap().unwrap();
    assert_eq!(ex.params["yellow_pp"], serde_json::json!(10));
    assert_eq!(ex.params["period"], serde_json::json!("2025-03"));
    assert!(ex.sql.as_deref().unwrap().contains("FROM budget_execution"));
    assert_eq!(ex.evidence["ytd_amount"], "0.00");
    assert_eq!(ex.evidence["adjusted_budget"], "1000000.00");
    assert!(
        a.message_zh
            .contains("累计支出0.00元，为调整预算100.00万元的0.0%"),
        "{}",
        a.message_zh
    );
    let rule = env.set.get("execution_lag").unwrap();
    let rows = env.rt.block_on(async {
        let ctx = purse::engine::session(env.dir.path(), &env.catalog)
            .await
            .unwrap();
        purse::rules::explain::source_rows(&ctx, &env.catalog, rule, &ex.evidence, &ex.period)
            .await
            .unwrap()
    });
    assert_eq!(rows.len(), 1);
    let table = purse::output::rows(&rows[0].1);
    // One source row: region 990100's 甲 (not 990200's unit of the same code), from row 2 of
    // its file (the header is row 1).
    assert_eq!(table.len(), 1, "{table:?}");
    assert!(table[0][0].ends_with("2025-03.csv"), "{:?}", table[0]);
    assert_eq!(table[0][2], "2");
    assert!(table[0].iter().any(|c| c == "甲单位"));
}

#[test]
fn a_quarterly_indicator_keeps_its_alert_in_months_without_it() {
    let env = Env::new();
    let files = env.files.path();
    let targets = files.join("targets.csv");
    std::fs::write(
        &targets,
        "年度,地区编码,指标编码,指标名称,目标类型,目标值,目标表述\n\
         2025,990100,GDP,地区生产总值,growth,5.0,增长5%左右\n\
         2025,990100,FAI,固定资产投资,growth,6.0,增长6%\n",
    )
    .unwrap();
    let out = ingest(env.dir.path(), &[targets], &Options::default());
    assert_eq!(out[0].status, purse::ingest::Status::Loaded, "{out:#?}");
    let indicators = |name: &str, rows: &str| {
        let p = files.join(name);
        std::fs::write(
            &p,
            format!("日期,地区编码,指标编码,指标名称,单位,累计同比增长\n{rows}"),
        )
        .unwrap();
        let out = ingest(env.dir.path(), &[p], &Options::default());
        assert!(
            out.iter()
                .all(|o| o.status == purse::ingest::Status::Loaded),
            "{out:#?}"
        );
    };
    // March: GDP (quarterly) 4.0 % against "5%左右" (red), FAI 5.8 % (fine).
    indicators(
        "2025-03.csv",
        "2025-03-01,990100,GDP,地区生产总值,%,4.0\n2025-03-01,990100,FAI,固定资产投资,%,5.8\n",
    );
    let s = env.check(&["indicator_deviation"], "2025-03").unwrap();
    assert_eq!(s.new_alerts, 1, "{s:?}");
    let gdp = env.alert("990100|GDP");
    assert_eq!(gdp.level, "红");
    assert!(
        gdp.message_zh
            .contains("年度目标增长5%左右（下限），偏离1.0个百分点"),
        "{}",
        gdp.message_zh
    );
    // April: only the monthly FAI is published. No GDP figure is no evidence: the alert stays.
    indicators("2025-04.csv", "2025-04-01,990100,FAI,固定资产投资,%,5.9\n");
    let s = env.check(&["indicator_deviation"], "2025-04").unwrap();
    assert_eq!((s.resolved, s.held), (0, 1), "{s:?}");
    assert_eq!(env.alert("990100|GDP").status, Status::New);
    // June: GDP for the half year is back on target: now the data clears it.
    indicators(
        "2025-06.csv",
        "2025-06-01,990100,GDP,地区生产总值,%,5.1\n2025-06-01,990100,FAI,固定资产投资,%,6.0\n",
    );
    let s = env.check(&["indicator_deviation"], "2025-06").unwrap();
    assert_eq!(s.resolved, 1, "{s:?}");
    assert_eq!(env.alert("990100|GDP").status, Status::Resolved);
}
