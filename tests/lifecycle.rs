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
            period.parse()?,
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
fn per(s: &str) -> purse::common::Period {
    s.parse().unwrap()
}

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
            (a.status, a.last_period.to_string().as_str()),
            (Status::New, "2025-03"),
            "{key}"
        );
    }
    let outcomes = env.store().rule_outcomes(per("2025-04")).unwrap();
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
    let m = env.store().month(per("2025-05"), per("2025-03")).unwrap();
    assert!(m.alerts.is_empty());
    let _ = m;
    let m = env.store().month(per("2025-04"), per("2025-03")).unwrap();
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
        purse::alerts::ALERTS.allowed(a.status),
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
         -- severity: 黄\n-- finding: state\n-- basis: ytd\n-- key: agency_code\n-- message: {subject} | {subject}\n\
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
            "2025-03".parse().unwrap(),
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
             -- severity: 黄\n-- finding: state\n-- basis: ytd\n-- key: region_code, agency_code\n-- message: {{subject}} | {{subject}}\n\
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
        .block_on(session.check(env.dir.path(), &selected, "2025-03".parse().unwrap(), true))
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
    assert_eq!(purse::alerts::ALERTS.allowed(a.status), vec!["comment"]);
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
    let ex = env.store().explain(a.id, per("2025-03")).unwrap().unwrap();
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
        purse::rules::explain::source_rows(&ctx, &env.catalog, rule, &ex.evidence, ex.period)
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
            .contains("累计增长4.0%，年度目标增长5%左右（区间），偏离1.0个百分点"),
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

impl Env {
    /// Writes `text` as a file and loads it.
    fn load_text(&self, name: &str, text: &str) {
        let p = self.files.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = ingest(self.dir.path(), &[p], &Options::default());
        assert!(
            out.iter()
                .all(|o| o.status == purse::ingest::Status::Loaded),
            "{out:#?}"
        );
    }

    /// Every alert with this key (one per term), by term.
    fn terms(&self, key: &str) -> Vec<(Option<String>, Status)> {
        let mut v: Vec<(Option<String>, Status)> = self
            .store()
            .list(&Filter::default())
            .unwrap()
            .into_iter()
            .filter(|a| a.alert_key == key)
            .map(|a| (a.term, a.status))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

const PAYMENTS: &str = "支付日期,财政区划,支付凭证号,预算单位编码,预算单位名称,收款人,金额\n";

#[test]
fn a_duplicate_payment_stays_until_someone_acts_on_it() {
    let env = Env::new();
    // September: 甲 pays 金科技 38,000.00 twice within two days.
    env.load_text(
        "pay-2025-09.csv",
        &format!(
            "{PAYMENTS}2025-09-10,990100,V1,101001,甲单位,金科技,38000.00\n\
             2025-09-12,990100,V2,101001,甲单位,金科技,38000.00\n"
        ),
    );
    let s = env.check(&["duplicate_payment"], "2025-09").unwrap();
    assert_eq!((s.new_alerts, s.findings), (1, 1), "{s:?}");
    let key = "990100|101001|金科技|V2";
    assert_eq!(env.alert(key).status, Status::New);
    // October's payments come; nobody acted. The September payment is still a duplicate.
    env.load_text(
        "pay-2025-10.csv",
        &format!("{PAYMENTS}2025-10-20,990100,V3,101001,甲单位,宏建设,5000.00\n"),
    );
    let s = env.check(&["duplicate_payment"], "2025-10").unwrap();
    assert!(s.not_evaluated.is_empty(), "{s:?}");
    assert_eq!((s.findings, s.resolved, s.cleared), (0, 0, 0), "{s:?}");
    let a = env.alert(key);
    assert_eq!(
        (a.status, a.last_period.to_string().as_str()),
        (Status::New, "2025-09")
    );
    // Only a person ends it.
    let mut store = env.store();
    let a = store
        .act(
            a.id,
            &Action::Dismiss {
                reason: "同一合同两期款项".into(),
            },
            "analyst",
        )
        .unwrap();
    assert_eq!(a.status, Status::Dismissed);
}

/// (region, unit code, unit name, budget, ytd) for a month of the execution extract.
fn execution(env: &Env, period: &str, rows: &[(&str, &str, &str, &str, &str)]) {
    env.load(&format!("exec-{period}.csv"), period, rows);
}

#[test]
fn january_never_judges_last_years_overspending() {
    let env = Env::new();
    // December 2025: 甲 over its budget (120 %), 乙 over too, in two regions.
    execution(
        &env,
        "2025-12",
        &[
            ("990100", "101001", "甲单位", "1000000", "1200000"),
            ("990200", "101002", "乙单位", "100000", "200000"),
        ],
    );
    let s = env.check(&["over_budget"], "2025-12").unwrap();
    assert_eq!(s.new_alerts, 2, "{s:?}");
    // January 2026 restarts the year to date: 甲 has spent 5 % of its new budget, 乙 is over its
    // new budget again.
    execution(
        &env,
        "2026-01",
        &[
            ("990100", "101001", "甲单位", "1000000", "50000"),
            ("990200", "101002", "乙单位", "100000", "150000"),
        ],
    );
    let s = env.check(&["over_budget"], "2026-01").unwrap();
    assert_eq!((s.resolved, s.new_alerts), (0, 1), "{s:?}");
    let jia = "990100|一般公共预算|101001|2050101|||";
    let yi = "990200|一般公共预算|101002|2050101|||";
    // 2025's findings are 2025's: January says nothing of them.
    assert_eq!(env.terms(jia), vec![(Some("2025".into()), Status::New)]);
    // 乙's 2026 overspending is a finding of its own, beside 2025's.
    assert_eq!(
        env.terms(yi),
        vec![
            (Some("2025".into()), Status::New),
            (Some("2026".into()), Status::New)
        ]
    );
    // February: 乙 back within its 2026 budget: 2026's finding is resolved, 2025's stays.
    execution(
        &env,
        "2026-02",
        &[
            ("990100", "101001", "甲单位", "1000000", "90000"),
            ("990200", "101002", "乙单位", "200000", "160000"),
        ],
    );
    let s = env.check(&["over_budget"], "2026-02").unwrap();
    assert_eq!(s.resolved, 1, "{s:?}");
    assert_eq!(
        env.terms(yi),
        vec![
            (Some("2025".into()), Status::New),
            (Some("2026".into()), Status::Resolved)
        ]
    );
    assert_eq!(env.terms(jia), vec![(Some("2025".into()), Status::New)]);
}

#[test]
fn a_month_of_balances_only_is_judged_against_the_limit_in_force() {
    let env = Env::new();
    // September: limits and balances; 北山县 专项 above its limit, 南河县 within.
    env.load_text(
        "debt-2025-09.csv",
        "年度,月份,财政区划,地区,债务类型,债务限额,债务余额\n\
         2025,9,990122,北山县,专项债务,3000000000.00,3480000000.00\n\
         2025,9,990123,南河县,专项债务,1000000000.00,900000000.00\n",
    );
    let s = env.check(&["debt_limit"], "2025-09").unwrap();
    assert_eq!(s.new_alerts, 1, "{s:?}");
    // October reports balances only (limits are set once a year): still above the limit in force.
    env.load_text(
        "debt-2025-10.csv",
        "年度,月份,财政区划,地区,债务类型,债务余额\n\
         2025,10,990122,北山县,专项债务,3400000000.00\n\
         2025,10,990123,南河县,专项债务,950000000.00\n",
    );
    let s = env.check(&["debt_limit"], "2025-10").unwrap();
    assert_eq!((s.resolved, s.continuing), (0, 1), "{s:?}");
    let a = env.alert("990122|专项债务");
    assert_eq!(a.status, Status::New);
    assert_eq!(
        a.message_zh,
        "北山县专项债务余额34.00亿元，超过限额30.00亿元，超出4.00亿元（余额截至2025-10，限额截至2025-09）"
    );
    // November: the balance is down to 29.00亿, under the limit in force: now the data clears it.
    env.load_text(
        "debt-2025-11.csv",
        "年度,月份,财政区划,地区,债务类型,债务余额\n2025,11,990122,北山县,专项债务,2900000000.00\n",
    );
    let s = env.check(&["debt_limit"], "2025-11").unwrap();
    assert_eq!(s.resolved, 1, "{s:?}");
    assert_eq!(env.alert("990122|专项债务").status, Status::Resolved);
}

mod histories {
    //! The lifecycle's invariants over generated histories: months with gaps and re-runs,
    //! December → January, two regions and partial regions, other rules' runs, people acting.
    //! The store is driven as `purse check` drives it, with the runs a rule would return.

    use std::collections::{BTreeMap, HashMap};
    use std::path::Path;
    use std::time::Duration;

    use proptest::prelude::*;
    use purse::alerts::{Action, Alert, AlertStore, Filter, Status};
    use purse::datasets::Catalog;
    use purse::rules::runner::{Coverage, Finding, Outcome, RuleRun};
    use purse::rules::{FindingKind, Rule};

    const PERIODS: [&str; 6] = [
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-04",
    ];
    const REGIONS: [&str; 2] = ["990100", "990200"];
    const KEYS: [&str; 2] = ["A", "B"];

    fn rule(id: &str, finding: &str, basis: &str, dataset: &str) -> Rule {
        let text = format!(
            "-- id: {id}\n-- title: t | t\n-- category: 合规\n-- datasets: {dataset}\n-- finding: {finding}\n\
             -- basis: {basis}\n-- severity: 黄\n-- key: region_code, unit\n-- message: {{subject}} | {{subject}}\n\
             SELECT region_code, 'x' AS unit, 'x' AS subject FROM {dataset} WHERE period = $period"
        );
        purse::rules::parse(
            Path::new(&format!("q/{id}.sql")),
            &text,
            &Catalog::builtin(),
        )
        .unwrap()
    }

    fn rules() -> Vec<Rule> {
        vec![
            rule("ev", "event", "month", "payments"),
            rule("ytd", "state", "ytd", "budget_execution"),
            rule("bal", "state", "balance", "debt"),
            rule("mon", "state", "month", "indicators"),
        ]
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// A run of rule `rule` for a period: evaluated or not, the regions with data (a bit
        /// each), and the findings (region, key) among the regions with data.
        Run {
            period: usize,
            rule: usize,
            evaluated: bool,
            regions: u8,
            found: Vec<(usize, usize)>,
        },
        /// Someone acts on the n-th alert (by id order): 0 ack, 1 rectify, 2 close, 3 dismiss.
        Act { nth: usize, action: u8 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..PERIODS.len(), 0..4usize, proptest::bool::weighted(0.85), 0u8..4,
                  proptest::collection::vec((0..2usize, 0..2usize), 0..4))
                .prop_map(|(period, rule, evaluated, regions, found)| {
                    let found = found
                        .into_iter()
                        .filter(|(r, _)| regions & (1 << r) != 0)
                        .collect();
                    Step::Run { period, rule, evaluated, regions, found }
                }),
            1 => (0..8usize, 0u8..4).prop_map(|(nth, action)| Step::Act { nth, action }),
        ]
    }

    fn run_of(rule: &Rule, evaluated: bool, regions: u8, found: &[(usize, usize)]) -> RuleRun {
        let present: Vec<Vec<String>> = (0..2)
            .filter(|r| regions & (1 << r) != 0)
            .map(|r| vec![REGIONS[r].to_string()])
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let findings = found
            .iter()
            .filter(|f| seen.insert(**f))
            .map(|&(r, k)| {
                let evidence: BTreeMap<String, String> = [
                    ("region_code", REGIONS[r]),
                    ("unit", KEYS[k]),
                    ("subject", KEYS[k]),
                ]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
                Finding {
                    rule_id: rule.id.clone(),
                    alert_key: format!("{}|{}", REGIONS[r], KEYS[k]),
                    subject: KEYS[k].into(),
                    level: "黄".into(),
                    value: None,
                    expected: None,
                    difference: None,
                    dept_name: None,
                    agency_code: None,
                    region_code: Some(REGIONS[r].into()),
                    message_zh: KEYS[k].into(),
                    message_en: KEYS[k].into(),
                    evidence,
                    rows: vec![],
                }
            })
            .collect();
        RuleRun {
            rule_id: rule.id.clone(),
            duration: Duration::ZERO,
            rows_scanned: 0,
            outcome: if evaluated {
                Outcome::Evaluated
            } else {
                Outcome::NotEvaluated("no data".into())
            },
            coverage: vec![Coverage {
                dataset: rule.datasets[0].clone(),
                columns: vec!["region_code".into()],
                present,
            }],
            params: vec![],
            findings: if evaluated { findings } else { vec![] },
        }
    }

    fn snapshot(store: &AlertStore) -> HashMap<i64, Alert> {
        store
            .list(&Filter::default())
            .unwrap()
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    }

    fn same(a: &Alert, b: &Alert) -> bool {
        (
            a.status,
            &a.last_period,
            &a.first_period,
            a.months_open,
            &a.term,
        ) == (
            b.status,
            &b.last_period,
            &b.first_period,
            b.months_open,
            &b.term,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn the_lifecycle_holds_over_any_history(steps in proptest::collection::vec(step(), 1..24)) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = AlertStore::open(dir.path()).unwrap();
            let rules = rules();
            let refs: Vec<&Rule> = rules.iter().collect();
            for s in &steps {
                let before = snapshot(&store);
                match s {
                    Step::Act { nth, action } => {
                        let mut ids: Vec<i64> = before.keys().copied().collect();
                        ids.sort_unstable();
                        let Some(&id) = ids.get(*nth) else { continue };
                        let a = match action {
                            0 => Action::Ack,
                            1 => Action::Rectify { owner: "财政局".into(), due: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() },
                            2 => Action::Close { evidence: "已整改".into() },
                            _ => Action::Dismiss { reason: "误报".into() },
                        };
                        let _ = store.act(id, &a, "analyst");
                    }
                    Step::Run { period, rule, evaluated, regions, found } => {
                        let (period, rule) = (PERIODS[*period], &rules[*rule]);
                        let run = run_of(rule, *evaluated, *regions, found);
                        let shown: Vec<String> = run.findings.iter().map(|f| f.alert_key.clone()).collect();
                        store.record_run(crate::per(period), &refs, &[run], "t", 0).unwrap();
                        let after = snapshot(&store);
                        let run_term = rule.basis.term(crate::per(period));
                        for (id, a) in &after {
                            let Some(b) = before.get(id) else {
                                // A new alert is one of this run's findings, open, of this term.
                                prop_assert_eq!(&a.rule_id, &rule.id);
                                prop_assert!(shown.contains(&a.alert_key));
                                prop_assert_eq!(a.term.as_deref(), Some(run_term.as_str()));
                                prop_assert_eq!(a.status, Status::New);
                                continue;
                            };
                            // Another rule's data, or a run that judged nothing, changes nothing.
                            if a.rule_id != rule.id || !*evaluated {
                                prop_assert!(same(a, b), "{:?} -> {:?}", b, a);
                                continue;
                            }
                            if matches!(a.status, Status::Resolved | Status::Cleared) && a.status != b.status {
                                // Resolved by data only: a state, not shown, of the run's term,
                                // in a region the run had data for.
                                let kind = rules.iter().find(|r| r.id == a.rule_id).unwrap().finding;
                                prop_assert_eq!(kind, FindingKind::State, "an event resolved by data: {:?}", a);
                                prop_assert!(!shown.contains(&a.alert_key) || a.term.as_deref() != Some(run_term.as_str()));
                                prop_assert_eq!(a.term.as_deref(), Some(run_term.as_str()), "judged across terms: {:?} in {}", a, period);
                                let region = a.region_code.as_deref().unwrap();
                                let bit = REGIONS.iter().position(|r| *r == region).unwrap();
                                prop_assert!(regions & (1 << bit) != 0, "resolved without data for {}", region);
                                prop_assert!(b.last_period <= crate::per(period));
                                // January never resolves a prior year's year-to-date finding.
                                prop_assert!(rule.basis != purse::rules::Basis::Ytd || a.term.as_deref() == Some(&period[..4]));
                            }
                        }
                        // Every finding shown is an alert of this run's term that saw this period.
                        for key in &shown {
                            let a = after.values().find(|a| a.rule_id == rule.id && &a.alert_key == key
                                && a.term.as_deref() == Some(run_term.as_str()));
                            prop_assert!(a.is_some(), "finding {} has no alert", key);
                        }
                    }
                }
                // An event is never resolved by data, whatever happened.
                for a in snapshot(&store).values() {
                    if a.rule_id == "ev" {
                        prop_assert!(!matches!(a.status, Status::Resolved | Status::Cleared), "{:?}", a);
                    }
                }
            }
        }
    }
}

#[test]
fn units_named_without_codes_are_judged_each_on_its_own() {
    let env = Env::new();
    // A county table that names its units but gives no unit codes: 第一中学 has spent 2.20亿 of
    // 4.50亿 by October, 卫生院 3.21亿 of 4.20亿; the county 5.41亿 of 8.70亿 in all.
    let p = env.files.path().join("county-2025-10.csv");
    std::fs::write(
        &p,
        "年度,月份,财政区划,预算类型,预算单位名称,功能分类科目,调整后预算数,累计支出\n\
         2025,10,990100,一般公共预算,第一中学,2050203,450000000.00,220000000.00\n\
         2025,10,990100,一般公共预算,卫生院,2100302,420000000.00,321000000.00\n",
    )
    .unwrap();
    let out = ingest(env.dir.path(), &[p], &Options::default());
    assert_eq!(out[0].status, purse::ingest::Status::Loaded, "{out:#?}");
    // Said once, with the count.
    let said: Vec<&purse::common::Issue> = out[0]
        .issues
        .iter()
        .filter(|i| i.column == "agency_code")
        .collect();
    assert_eq!(said.len(), 1, "{:#?}", out[0].issues);
    assert!(
        said[0]
            .reason
            .starts_with("2 rows give agency_name but no agency_code"),
        "{}",
        said[0].reason
    );
    let s = env.check(&["execution_lag"], "2025-10").unwrap();
    // One finding, on the school and its own figures (48.9 % against 83.3 %), not the county's
    // 62.2 % pinned on one name; 卫生院 (76.4 %) is 6.9 pp behind, under the yellow line.
    assert_eq!(s.findings, 1, "{s:?}");
    let a = env.alert("990100|名称:第一中学");
    assert_eq!(a.subject, "第一中学");
    assert_eq!(a.level, "红");
    assert_eq!(
        a.message_zh,
        "第一中学累计支出2.20亿元，为调整预算4.50亿元的48.9%，序时进度83.3%，落后34.4个百分点"
    );
}

/// Re-checking an earlier month tells nothing new: March showed 甲 behind, April's data resolved
/// it, and March checked again (its data unchanged) leaves it resolved. May's data showing it
/// again reopens it.
#[test]
fn rechecking_an_earlier_month_never_reopens_what_later_data_resolved() {
    let env = Env::new();
    march(&env);
    env.load(
        "2025-04.csv",
        "2025-04",
        &[
            ("990100", "101001", "甲单位", "1000000", "400000"),
            ("990200", "101001", "乙县甲单位", "1000000", "400000"),
        ],
    );
    let s = env.check(&["execution_lag"], "2025-04").unwrap();
    assert_eq!(s.resolved, 2, "{s:?}");
    let s = env.check(&["execution_lag"], "2025-03").unwrap();
    assert_eq!((s.findings, s.reopened), (2, 0), "{s:?}");
    let a = env.alert("990100|101001");
    assert_eq!(a.status, Status::Resolved, "{a:?}");
    // March's record is kept all the same.
    assert_eq!(a.last_period.to_string(), "2025-03");
    env.load(
        "2025-05.csv",
        "2025-05",
        &[
            ("990100", "101001", "甲单位", "1000000", "200000"),
            ("990200", "101001", "乙县甲单位", "1000000", "450000"),
        ],
    );
    let s = env.check(&["execution_lag"], "2025-05").unwrap();
    assert_eq!(s.reopened, 1, "{s:?}");
    let a = env.alert("990100|101001");
    assert_eq!(
        (a.status, a.last_period.to_string().as_str()),
        (Status::New, "2025-05")
    );
    assert_eq!(env.alert("990200|101001").status, Status::Resolved);
}
