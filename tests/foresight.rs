//! Foresight: the year-end projection (the same figures as the rule's SQL, its fallbacks, a
//! missing month, two regions), its backtest on the demo's generated history (accuracy at months 6
//! and 9), and the rule backtest (new and gone findings, parameter errors, nothing written).

mod common;

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use common::{fixture, ingest};
use purse::common::Period;
use purse::datasets::Catalog;
use purse::foresight::backtest;
use purse::foresight::projection::{self, Basis, Grain, Outlook};
use purse::ingest::Options;
use purse::rules::RuleSet;
use purse::rules::runner::run_rule;

/// A month, for the calls that take one (the tests write them as text).
fn p(s: &str) -> purse::common::Period {
    s.parse().unwrap()
}

/// Every dataset as an empty in-memory table with its canonical (all nullable) schema.
async fn empty_ctx() -> SessionContext {
    let ctx = SessionContext::new();
    for ds in &Catalog::builtin().datasets {
        let fields: Vec<Field> = purse::engine::table_schema(ds)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        let t = MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]]).unwrap();
        ctx.register_table(&ds.name, Arc::new(t)).unwrap();
    }
    ctx
}

/// The history of tests/rules/projected_execution.slt, plus a July in which only 丙 reports.
const HISTORY: &str = "INSERT INTO budget_execution (period, year, month, region_code, region_name, budget_kind, dept_code, dept_name, agency_code, agency_name, func_code, initial_budget, adjusted_budget, ytd_amount, is_detail) VALUES
('2022-06', 2022, 6, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 100.00, true),
('2023-06', 2023, 6, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 480.00, true),
('2023-12', 2023, 12, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 1000.00, true),
('2024-06', 2024, 6, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 520.00, true),
('2024-12', 2024, 12, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 1000.00, true),
('2025-06', 2025, 6, '990100', '甲市', '一般公共预算', '101', '教育局', '101001', '甲单位', '2050101', 1000.00, 1000.00, 300.00, true),
('2025-06', 2025, 6, '990100', '甲市', '一般公共预算', '101', '教育局', '101002', '乙单位', '2050101', 1000.00, 1000.00, 400.00, true),
('2025-06', 2025, 6, '990100', '甲市', '一般公共预算', '201', '卫健委', '201001', '丙单位', '2100201', 1000.00, 1000.00, 450.00, true),
('2025-06', 2025, 6, '990100', '甲市', '一般公共预算', '201', '卫健委', '201002', '丁单位', '2100201', 1000.00, 1000.00, 425.00, true),
('2025-06', 2025, 6, '990100', '甲市', '一般公共预算', '201', '卫健委', '201003', '戊单位', '2100201', 1000.00, 1000.00, 424.00, true),
('2025-07', 2025, 7, '990100', '甲市', '一般公共预算', '201', '卫健委', '201001', '丙单位', '2100201', 1000.00, 1000.00, 500.00, true),
('2023-06', 2023, 6, '990200', '乙县', '一般公共预算', '101', '教育局', '101001', '乙县甲单位', '2050101', 1000.00, 1000.00, 225.00, true),
('2023-12', 2023, 12, '990200', '乙县', '一般公共预算', '101', '教育局', '101001', '乙县甲单位', '2050101', 1000.00, 1000.00, 900.00, true),
('2024-06', 2024, 6, '990200', '乙县', '一般公共预算', '101', '教育局', '101001', '乙县甲单位', '2050101', 1000.00, 1000.00, 250.00, true),
('2024-12', 2024, 12, '990200', '乙县', '一般公共预算', '101', '教育局', '101001', '乙县甲单位', '2050101', 1000.00, 1000.00, 1000.00, true),
('2025-06', 2025, 6, '990200', '乙县', '一般公共预算', '101', '教育局', '101001', '乙县甲单位', '2050101', 1000.00, 1000.00, 200.00, true)";

async fn history_ctx() -> SessionContext {
    let ctx = empty_ctx().await;
    ctx.sql(HISTORY).await.unwrap().collect().await.unwrap();
    ctx
}

fn r1(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

#[tokio::test]
async fn unit_projections_fall_back_and_keep_regions_apart() {
    let ctx = history_ctx().await;
    let ps = projection::project(&ctx, p("2025-06"), Grain::Agency)
        .await
        .unwrap();
    let got = |region: &str, key: &str| {
        let p = ps
            .iter()
            .find(|p| p.region_code == region && p.key == key)
            .unwrap_or_else(|| panic!("no projection for {region} {key}"));
        (r1(p.rate), r1(p.low), r1(p.high), p.basis, p.years)
    };
    // Its own two years (48 % and 52 % by June): 30 % now is 60 % at year end. The region's one
    // held-back year (2024 projected from 2023: 52 / 48 = 108.3 % for a year that ended at
    // 100 %) missed by 8.33 pp: with one error the band is that error.
    assert_eq!(
        got("990100", "101001"),
        ("60.0".into(), "51.7".into(), "68.3".into(), Basis::Own, 2)
    );
    assert_eq!(
        got("990100", "101002"),
        (
            "80.0".into(),
            "71.7".into(),
            "88.3".into(),
            Basis::Department,
            2
        )
    );
    assert_eq!(
        got("990100", "201003"),
        (
            "84.8".into(),
            "76.5".into(),
            "93.1".into(),
            Basis::Region,
            2
        )
    );
    // Region 990200 reuses the code with its own back-loaded years: 20 % in June is 80 %, not
    // the 40 % region 990100's profile would say.
    assert_eq!(
        got("990200", "101001"),
        ("80.0".into(), "80.0".into(), "80.0".into(), Basis::Own, 2)
    );
    // The path runs from June's actual rate to the projection in December.
    let p = ps
        .iter()
        .find(|p| p.region_code == "990100" && p.key == "101001")
        .unwrap();
    assert_eq!(
        p.path
            .first()
            .map(|x| (x.0.as_str(), format!("{:.1}", x.1))),
        Some(("2025-06", "30.0".into()))
    );
    assert_eq!(p.path.last().map(|x| x.0.as_str()), Some("2025-12"));
}

#[tokio::test]
async fn a_missing_month_projects_from_the_last_one_reported() {
    let ctx = history_ctx().await;
    let ps = projection::project(&ctx, p("2025-07"), Grain::Agency)
        .await
        .unwrap();
    let a = ps
        .iter()
        .find(|p| p.region_code == "990100" && p.key == "101001")
        .unwrap();
    // 甲 sent nothing for July: its June figure still stands, and says so.
    assert_eq!(a.as_of, "2025-06");
    assert_eq!(r1(a.rate), "60.0");
    let c = ps.iter().find(|p| p.key == "201001").unwrap();
    assert_eq!(c.as_of, "2025-07");
    // July has no history anywhere: an even pace, 500 / (7/12) = 85.7 %, and no interval.
    assert_eq!(
        (r1(c.rate), c.basis, c.low),
        ("85.7".into(), Basis::Even, None)
    );
}

#[tokio::test]
async fn the_rule_and_the_projection_agree() {
    let ctx = history_ctx().await;
    let catalog = Catalog::builtin();
    let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rule = set.get("projected_execution").unwrap();
    // Every unit, whatever its projection: the threshold above all of them.
    let all = backtest::with_params(rule, &[("yellow_pct".into(), "1000".into())]).unwrap();
    let run = run_rule(&ctx, &all, p("2025-06")).await.unwrap();
    let ps = projection::project(&ctx, p("2025-06"), Grain::Agency)
        .await
        .unwrap();
    assert_eq!(run.findings.len(), 6, "{:?}", run.findings);
    for f in &run.findings {
        let p = ps
            .iter()
            .find(|p| {
                Some(&p.region_code) == f.region_code.as_ref()
                    && Some(&p.key) == f.agency_code.as_ref()
            })
            .unwrap();
        assert_eq!(
            f.value.as_deref(),
            Some(r1(p.rate).as_str()),
            "{}",
            f.subject
        );
        assert_eq!(f.evidence["low"], r1(p.low), "{}", f.subject);
        assert_eq!(f.evidence["high"], r1(p.high), "{}", f.subject);
    }
}

#[tokio::test]
async fn pefa_outlook_grades_the_projected_year() {
    // The built-in pack's bands (the PEFA rules' parameters): A 95–105, B 90–110, C 85–115 %.
    let bands = purse::figures::Bands::builtin();
    let (pi1, pi2) = (&bands.pi1_pp, &bands.pi2_pct);
    assert_eq!(projection::pi1_grade(95.0, pi1), 'A');
    assert_eq!(projection::pi1_grade(94.99, pi1), 'B');
    assert_eq!(projection::pi1_grade(115.0, pi1), 'C');
    assert_eq!(projection::pi1_grade(115.01, pi1), 'D');
    assert_eq!(projection::pi2_grade(4.99, pi2), 'A');
    assert_eq!(projection::pi2_grade(5.0, pi2), 'B');
    let ctx = history_ctx().await;
    let o = Outlook::of(&ctx, p("2025-06"), &bands).await.unwrap();
    let g = o.pefa.iter().find(|g| g.region_code == "990200").unwrap();
    // 990200: one unit projected to 800 of an original 1000.
    assert_eq!((r1(g.pi1_outturn), g.pi1_grade), ("80.0".into(), Some('D')));
    // A deployment that widens PI-1's bands (C within 25 pp) grades the projection as its
    // rule does: 80 % is C there, not D.
    let overrides: std::collections::BTreeMap<String, toml::Table> =
        toml::from_str("[pefa_pi1_aggregate_outturn]\nc_pp = 25\n").unwrap();
    let set =
        purse::rules::RuleSet::builtin(&purse::datasets::Catalog::builtin(), &overrides).unwrap();
    let wide = purse::figures::Bands::from_rules(&set);
    assert_eq!(wide.pi1_pp, [5.0, 10.0, 25.0]);
    let o = Outlook::of(&ctx, p("2025-06"), &wide).await.unwrap();
    let g = o.pefa.iter().find(|g| g.region_code == "990200").unwrap();
    assert_eq!(g.pi1_grade, Some('C'));
}

/// The demo's three generated years before 2025: each after the first projected as the method
/// would have then, from the years before it.
#[test]
fn accuracy_on_the_demo_history_at_months_6_and_9() {
    let dir = tempfile::tempdir().unwrap();
    ingest(
        dir.path(),
        &[fixture("demo/budget_execution")],
        &Options::default(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let catalog = Catalog::builtin();
    let acc = rt
        .block_on(async {
            let ctx = purse::engine::session(dir.path(), &catalog).await?;
            projection::accuracy(
                &ctx,
                "2025-12".parse().unwrap(),
                &[Grain::Region, Grain::Dept, Grain::Agency],
            )
            .await
        })
        .unwrap();
    for (grain, month) in [
        (Grain::Agency, 6),
        (Grain::Agency, 9),
        (Grain::Dept, 6),
        (Grain::Dept, 9),
    ] {
        let a = acc
            .iter()
            .find(|a| a.grain == grain && a.month == month)
            .unwrap_or_else(|| panic!("no accuracy for {grain:?} month {month}"));
        // 138 units (or 12 departments) × the 2 years with a year before them.
        let n = if grain == Grain::Agency {
            138 * 2
        } else {
            12 * 2
        };
        assert_eq!(a.n, n);
        assert!(
            a.mae > 0.0 && a.mae < 3.0,
            "{grain:?} month {month}: MAE {}",
            a.mae
        );
        assert!(a.rmse >= a.mae);
        // A pool of ten or more errors: the band calibrated on the others holds at least
        // ⌈0.9 n⌉ of n held-back years, whatever the errors are.
        assert!(a.coverage >= 90.0, "{grain:?} month {month}: {a:?}");
        assert!(a.width > 0.0);
    }
}

#[tokio::test]
async fn a_backtest_shows_what_a_change_adds_and_removes() {
    let ctx = empty_ctx().await;
    ctx.sql(
        "INSERT INTO budget_execution (period, year, month, region_code, agency_code, agency_name, dept_name, func_code, adjusted_budget, ytd_amount, is_detail) VALUES
         ('2025-06', 2025, 6, '990100', '101001', '甲单位', '教育局', '2050101', 1000.00, 350.00, true),
         ('2025-06', 2025, 6, '990100', '101002', '乙单位', '卫健委', '2050101', 1000.00, 420.00, true),
         ('2025-07', 2025, 7, '990100', '101001', '甲单位', '教育局', '2050101', 1000.00, 500.00, true)",
    )
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    let set = RuleSet::builtin(&Catalog::builtin(), &Default::default()).unwrap();
    let rule = set.get("execution_lag").unwrap();
    let periods: Vec<Period> = ["2025-05", "2025-06", "2025-07"].map(p).to_vec();
    let bt = backtest::run(
        &ctx,
        rule,
        &[("yellow_pp".into(), "5".into())],
        &periods,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        bt.changed,
        vec![("yellow_pp".to_string(), "10".to_string(), "5".to_string())]
    );
    let m: Vec<(String, Option<String>, usize, usize)> = bt
        .months
        .iter()
        .map(|m| {
            (
                m.period.clone(),
                m.not_evaluated.clone(),
                m.current,
                m.proposed,
            )
        })
        .collect();
    assert_eq!(
        m,
        vec![
            (
                "2025-05".into(),
                Some("no data for budget_execution in 2025-05".into()),
                0,
                0
            ),
            // June (50 %): 甲 15 pp behind fires either way, 乙 8 pp only at 5.
            ("2025-06".into(), None, 1, 2),
            // July (58.3 %): 甲 at 50 %, 8.3 pp behind.
            ("2025-07".into(), None, 0, 1),
        ]
    );
    let new: Vec<(&str, &str)> = bt
        .new
        .iter()
        .map(|c| (c.period.as_str(), c.alert_key.as_str()))
        .collect();
    assert_eq!(
        new,
        vec![("2025-06", "990100|101002"), ("2025-07", "990100|101001")]
    );
    assert!(bt.gone.is_empty());
    assert_eq!(
        bt.by_dept,
        vec![("卫健委".into(), 0, 1), ("教育局".into(), 1, 2)]
    );
    assert_eq!(bt.past.precision, None);
    // Raising the threshold removes instead.
    let bt = backtest::run(
        &ctx,
        rule,
        &[("yellow_pp".into(), "20".into())],
        &periods,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(bt.gone.len(), 1);
    assert!(bt.new.is_empty());
    // Parameters are checked before anything runs.
    let e = backtest::with_params(rule, &[("yellow".into(), "5".into())])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no parameter `yellow`") && e.contains("yellow_pp"),
        "{e}"
    );
    let e = backtest::with_params(rule, &[("yellow_pp".into(), "five".into())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("takes a number, not `five`"), "{e}");
    let e = backtest::parse_sets(&["yellow_pp".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected PARAM=VALUE"), "{e}");
}

#[test]
fn due_days_and_grades() {
    use purse::foresight::quality::{due_date, grade, meets};
    assert_eq!(due_date(p("2025-12"), 15).to_string(), "2026-01-15");
    assert_eq!(due_date(p("2025-01"), 31).to_string(), "2025-02-28");
    assert!(
        "2025-13".parse::<Period>().is_err(),
        "no due date for a month that is not one"
    );
    assert_eq!(
        (
            grade(95.0),
            grade(94.99),
            grade(85.0),
            grade(70.0),
            grade(69.9)
        ),
        ('A', 'B', 'B', 'C', 'D')
    );
    assert!(meets('A', 'B') && meets('B', 'B') && !meets('C', 'B'));
}

/// The demo's sources over 2025, then the same with timeliness graded from January (every
/// extract arrived today, long after its due day), a rejected file, and a rule that refuses to
/// run on a source below B.
#[test]
fn the_scorecard_grades_each_source_and_holds_a_rule_below_its_grade() {
    use purse::foresight::quality::{Deliveries, scorecard};
    let dir = tempfile::tempdir().unwrap();
    ingest(dir.path(), &[fixture("demo")], &Options::default());
    // A payments extract with an unreadable amount: rejected, counted against payments.
    let bad = dir.path().join("payments-bad.csv");
    let text = std::fs::read_to_string(fixture("demo/payments/2025-03.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(3).map(String::from).collect();
    lines[2] = lines[2].replacen(",", ",not-a-date-", 1);
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = ingest(dir.path(), &[bad], &Options::default());
    assert_eq!(
        out[0].status,
        purse::ingest::Status::Rejected,
        "{:?}",
        out[0]
    );
    // March's revenue delivered again, corrected: one correction.
    let fixed = common::corrected_revenue(dir.path(), 1.0);
    let out = ingest(dir.path(), &[fixed], &Options::default());
    assert_eq!(out[0].status, purse::ingest::Status::Loaded, "{:?}", out[0]);
    let catalog = Catalog::builtin();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let today = chrono::Local::now().date_naive();
    let wh = purse::warehouse::Warehouse::open_read(dir.path()).unwrap();
    let deliveries = Deliveries::read(&wh).unwrap();
    drop(wh);
    let mut config = purse::config::Config::load(dir.path()).unwrap().quality;
    let card = rt
        .block_on(async {
            let ctx = purse::engine::session(dir.path(), &catalog).await?;
            scorecard(&ctx, &catalog, &deliveries, &config, p("2025-12"), today).await
        })
        .unwrap();
    let src = |name: &str| {
        card.sources
            .iter()
            .find(|s| s.dataset == name)
            .unwrap()
            .clone()
    };
    let exec = src("budget_execution");
    // Loaded today: 2025 is history, not graded for timeliness.
    assert_eq!(exec.timeliness, None);
    assert_eq!(exec.completeness, Some(100.0));
    // Execution and payments agree by unit and month except 统计局's invented payments (8 units)
    // and the months of the planted duplicate and split payments.
    let r = exec.reconciliation.unwrap();
    assert!((90.0..97.0).contains(&r), "{r}");
    assert_eq!(
        exec.reconciled_with,
        vec!["payments".to_string(), "special_funds".to_string()]
    );
    let december = exec.periods.iter().find(|p| p.period == "2025-12").unwrap();
    // 138 units against their payments, 7 departments' special funds against their execution.
    assert_eq!(
        (december.expected, december.reporting, december.compared),
        (138, 138, 145)
    );
    let pay = src("payments");
    assert_eq!((pay.accepted_files, pay.rejected_files), (12, 1));
    assert_eq!(pay.grade, Some('A'));
    let revenue = src("revenue");
    assert_eq!(revenue.corrections, 1);
    let march = revenue
        .periods
        .iter()
        .find(|p| p.period == "2025-03")
        .unwrap();
    assert_eq!(march.corrections, 1);
    // Graded from January: every month arrived long after its due day.
    config.graded_from = "2025-01".into();
    let card = rt
        .block_on(async {
            let ctx = purse::engine::session(dir.path(), &catalog).await?;
            scorecard(&ctx, &catalog, &deliveries, &config, p("2025-12"), today).await
        })
        .unwrap();
    let exec = card
        .sources
        .iter()
        .find(|s| s.dataset == "budget_execution")
        .unwrap();
    assert_eq!(exec.timeliness, Some(0.0));
    let jan = exec.periods.iter().find(|p| p.period == "2025-01").unwrap();
    let due = chrono::NaiveDate::from_ymd_opt(2025, 2, 15).unwrap();
    assert_eq!(jan.days_late, Some((today - due).num_days()));
    assert_eq!(exec.grade, Some('C'));
    // A rule asking for B on its source is held, with the grade as the reason.
    std::fs::write(
        dir.path().join("purse.toml"),
        format!(
            "{}\n[rules.execution_lag]\nmin_quality = \"B\"\n",
            std::fs::read_to_string(dir.path().join("purse.toml"))
                .unwrap()
                .replace("[quality]\n", "[quality]\ngraded_from = \"2025-01\"\n")
        ),
    )
    .unwrap();
    let config = purse::config::Config::load(dir.path()).unwrap();
    let set = RuleSet::resolve(None, dir.path(), &catalog, &config.rules).unwrap();
    let rules: Vec<&purse::rules::Rule> = ["execution_lag", "over_budget"]
        .iter()
        .map(|id| set.get(id).unwrap())
        .collect();
    let res = rt
        .block_on(purse::check::check(
            dir.path(),
            &catalog,
            &rules,
            "2025-06".parse().unwrap(),
            true,
        ))
        .unwrap();
    assert_eq!(
        res.runs[0].outcome,
        purse::rules::runner::Outcome::NotEvaluated(
            "budget_execution data quality C for the twelve months to 2025-06, below the rule's minimum B".into()
        )
    );
    assert!(res.runs[0].findings.is_empty());
    assert_eq!(
        res.runs[1].outcome,
        purse::rules::runner::Outcome::Evaluated
    );
}

/// Debt against bonds and special funds against execution, in two regions, with a month that
/// never came.
#[tokio::test]
async fn reconciliations_across_datasets() {
    use purse::foresight::quality::{Deliveries, scorecard};
    let ctx = empty_ctx().await;
    for sql in [
        "INSERT INTO debt (period, region_code, debt_type, issued) VALUES
         ('2025-06', '990100', '专项债务', 300.00),
         ('2025-06', '990200', '专项债务', 500.00)",
        // 990100's list adds up (100 + 200 this year; last year's bond does not count); 990200
        // lists 400 of the 500 it reports.
        "INSERT INTO bonds (period, region_code, bond_code, issue_date, amount) VALUES
         ('2025-06', '990100', 'B1', DATE '2025-02-18', 100.00),
         ('2025-06', '990100', 'B2', DATE '2025-05-18', 200.00),
         ('2025-06', '990100', 'B0', DATE '2024-11-18', 999.00),
         ('2025-06', '990200', 'B9', DATE '2025-03-01', 400.00)",
        // 教育局's funds spent 80 of its 100 executed; 卫健委's 150 exceed its 120.
        "INSERT INTO special_funds (period, region_code, fund_code, dept_name, spent_amount) VALUES
         ('2025-06', '990100', 'F1', '教育局', 80.00),
         ('2025-06', '990100', 'F2', '卫健委', 150.00)",
        "INSERT INTO budget_execution (period, region_code, dept_name, agency_code, func_code, ytd_amount, month_amount, is_detail) VALUES
         ('2025-06', '990100', '教育局', '101001', '2050101', 100.00, 10.00, true),
         ('2025-06', '990100', '卫健委', '201001', '2100201', 120.00, 10.00, true)",
    ] {
        ctx.sql(sql).await.unwrap().collect().await.unwrap();
    }
    let at = "2025-07-10T09:00:00.000+08:00".to_string();
    let deliveries = Deliveries {
        parts: ["debt", "bonds", "special_funds", "budget_execution"]
            .iter()
            .map(|d| (d.to_string(), "2025-06".to_string(), at.clone(), true))
            .collect(),
        loads: vec![],
    };
    let config = purse::config::QualityConfig {
        due_day: 15,
        graded_from: "2025-06".into(),
    };
    let card = |today: (i32, u32, u32)| {
        let (ctx, deliveries, config) = (&ctx, &deliveries, &config);
        async move {
            let today = chrono::NaiveDate::from_ymd_opt(today.0, today.1, today.2).unwrap();
            scorecard(
                ctx,
                &Catalog::builtin(),
                deliveries,
                config,
                p("2025-07"),
                today,
            )
            .await
            .unwrap()
        }
    };
    let c = card((2025, 8, 1)).await;
    let src = |name: &str| {
        c.sources
            .iter()
            .find(|s| s.dataset == name)
            .unwrap()
            .clone()
    };
    let june = |name: &str| {
        let s = src(name);
        let p = s.periods.iter().find(|p| p.period == "2025-06").unwrap();
        (p.compared, p.agreeing, p.days_late)
    };
    // Arrived 2025-07-10, due 2025-07-15: on time. July has not come and is not due until
    // 2025-08-15: not graded yet, not listed.
    assert_eq!(june("bonds"), (2, 1, Some(0)));
    assert_eq!(june("debt"), (2, 1, Some(0)));
    assert_eq!(june("special_funds"), (2, 1, Some(0)));
    assert_eq!(src("debt").reconciliation, Some(50.0));
    assert_eq!(src("debt").timeliness, Some(100.0));
    assert!(src("debt").periods.iter().all(|p| p.period != "2025-07"));
    // Past its due day a missing month is late by the days since.
    let c = card((2025, 8, 20)).await;
    let debt = c.sources.iter().find(|s| s.dataset == "debt").unwrap();
    let july = debt.periods.iter().find(|p| p.period == "2025-07").unwrap();
    assert_eq!((july.arrived.as_deref(), july.days_late), (None, Some(5)));
    assert_eq!(debt.timeliness, Some(50.0));
}
