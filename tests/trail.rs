//! The money trail (资金流向) on a hand-made warehouse: two regions that reuse a unit code, a
//! month with no payments file (February), a December of the year before and an April after
//! the month asked for, a payment on no quota and a line execution does not report. Every
//! figure below was added up by hand from the rows written here.

mod common;

use common::ingest;
use purse::ingest::Options;
use purse::trail::{Trace, Trail};
use purse::users::Reach;

const HEAD: &str = "支付凭证号,支付日期,财政区划编码,预算单位编码,预算单位名称,收款人,收款账号,金额,功能分类,经济分类,项目编码,用途,支付方式,是否直达资金,指标编号\n";

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn warehouse() -> (tempfile::TempDir, purse::app::App) {
    let src = tempfile::tempdir().unwrap();
    let s = src.path();
    write(
        s,
        "payments/2024-12.csv",
        &format!(
            "{HEAD}V0,2024-12-20,990100,101001,第一学校,甲公司,621,1000.00,2130135,30227,P1,去年,授权支付,否,ZB-0\n"
        ),
    );
    write(
        s,
        "payments/2025-01.csv",
        &format!(
            "{HEAD}V1,2025-01-05,990100,101001,第一学校,甲公司,621,200.50,2130135,30227,P1,委托,授权支付,是,ZB-1\n\
             V2,2025-01-20,990100,101001,第一学校,乙公司,622,300.00,2130135,30227,P1,委托,授权支付,否,ZB-1\n\
             V3,2025-01-21,990100,101001,第一学校,甲公司,621,99.50,2050101,30201,,办公,授权支付,否,ZB-2\n\
             V4,2025-01-22,990102,101001,区第一学校,甲公司,621,700.00,2130135,30227,P1,委托,授权支付,否,ZB-9\n"
        ),
    );
    write(
        s,
        "payments/2025-03.csv",
        &format!(
            "{HEAD}V5,2025-03-03,990100,101001,第一学校,甲公司,621,400.00,2130135,30218,P1,材料,授权支付,否,\n\
             V6,2025-03-04,990100,101002,第二学校,丙公司,623,50.00,2130101,30227,P2,委托,授权支付,否,ZB-3\n"
        ),
    );
    write(
        s,
        "payments/2025-04.csv",
        &format!(
            "{HEAD}V7,2025-04-02,990100,101001,第一学校,甲公司,621,10000.00,2130135,30227,P1,四月,授权支付,否,ZB-1\n"
        ),
    );
    write(
        s,
        "budget_execution/2025-03.csv",
        "财政区划编码,预算类型,预算单位编码,预算单位名称,功能分类科目编码,部门经济分类,项目编码,调整后预算数,累计支出\n\
         990100,一般公共预算,101001,第一学校,2130135,30227,P1,1000.00,500.50\n\
         990100,一般公共预算,101001,第一学校,2050101,30201,,200.00,99.50\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(dir.path(), &[s.to_path_buf()], &Options::default());
    assert!(
        out.iter()
            .all(|o| o.status == purse::ingest::Status::Loaded),
        "{out:#?}"
    );
    let app = purse::app::App::open_blocking(
        dir.path(),
        purse::datasets::Catalog::builtin(),
        purse::config::Config::load(dir.path()).unwrap(),
    )
    .unwrap();
    (dir, app)
}

fn follow(app: &purse::app::App, period: &str, t: Trace) -> Trail {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(app.trail(period.parse().unwrap(), &t, &Reach::default()))
        .unwrap()
}

fn unit(region: &str, agency: &str) -> Trace {
    Trace {
        region: Some(region.into()),
        agency: Some(agency.into()),
        ..Trace::default()
    }
}

#[test]
fn a_units_trail_runs_from_january_to_the_month_with_its_lines_payees_and_payments() {
    let (_d, app) = warehouse();
    let t = follow(&app, "2025-03", unit("990100", "101001"));
    // V1 + V2 + V3 + V5: not last December's V0, not the other region's V4, not April's V7.
    assert_eq!((t.from.as_str(), t.period.as_str()), ("2025-01", "2025-03"));
    assert_eq!(t.payments, 4);
    assert_eq!(t.paid.yuan(), "1000.00");
    assert_eq!(t.direct_paid.yuan(), "200.50");
    assert_eq!(t.payees_count, 2);
    let lines: Vec<_> = t
        .lines
        .iter()
        .map(|l| {
            (
                l.func_code.as_str(),
                l.econ_code.as_str(),
                l.project_code.as_str(),
                l.quota_id.as_str(),
                l.payments,
                l.paid.yuan(),
                l.adjusted_budget.map(|m| m.yuan()),
                l.ytd_amount.map(|m| m.yuan()),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "2130135",
                "30227",
                "P1",
                "ZB-1",
                2,
                "500.50".to_string(),
                Some("1000.00".to_string()),
                Some("500.50".to_string())
            ),
            // Execution reports no 30218 line for the unit: absent, not zero.
            (
                "2130135",
                "30218",
                "P1",
                "",
                1,
                "400.00".to_string(),
                None,
                None
            ),
            (
                "2050101",
                "30201",
                "",
                "ZB-2",
                1,
                "99.50".to_string(),
                Some("200.00".to_string()),
                Some("99.50".to_string())
            ),
        ]
    );
    let payees: Vec<_> = t
        .payees
        .iter()
        .map(|p| {
            (
                p.payee.as_str(),
                p.payments,
                p.paid.yuan(),
                p.first_date.as_str(),
                p.last_date.as_str(),
            )
        })
        .collect();
    assert_eq!(
        payees,
        [
            (
                "甲公司",
                3,
                "700.00".to_string(),
                "2025-01-05",
                "2025-03-03"
            ),
            (
                "乙公司",
                1,
                "300.00".to_string(),
                "2025-01-20",
                "2025-01-20"
            ),
        ]
    );
    let vouchers: Vec<_> = t.rows.iter().map(|r| r.voucher_no.as_str()).collect();
    assert_eq!(vouchers, ["V1", "V2", "V3", "V5"]);
    assert_eq!(t.rows[0].is_direct, "是");
    assert!(
        t.rows[0].file.ends_with("2025-01.csv") && t.rows[0].source_row == "2",
        "{:?}",
        t.rows[0]
    );
}

#[test]
fn a_function_class_crosses_regions_a_missing_month_and_the_year_end() {
    let (_d, app) = warehouse();
    // 213 is every 农林水 code, in both regions: V1, V2, V4, V5, V6.
    let t = follow(
        &app,
        "2025-03",
        Trace {
            func: Some("213".into()),
            ..Trace::default()
        },
    );
    assert_eq!((t.payments, t.paid.yuan()), (5, "1650.50".to_string()));
    assert_eq!(t.payees_count, 3);
    assert_eq!(
        (t.payees[0].payee.as_str(), t.payees[0].paid.yuan()),
        ("甲公司", "1300.50".to_string())
    );
    // February has no file: its trail is January's, and no execution month to set beside it.
    let t = follow(&app, "2025-02", unit("990100", "101001"));
    assert_eq!((t.payments, t.paid.yuan()), (3, "600.00".to_string()));
    assert!(t.lines.iter().all(|l| l.adjusted_budget.is_none()));
    // January of the other region: its own V4, not 990100's, not December's.
    let t = follow(&app, "2025-01", unit("990102", "101001"));
    assert_eq!((t.payments, t.paid.yuan()), (1, "700.00".to_string()));
    // December 2024 runs from January 2024: V0 alone.
    let t = follow(&app, "2024-12", unit("990100", "101001"));
    assert_eq!((t.payments, t.paid.yuan()), (1, "1000.00".to_string()));
    assert_eq!(t.from, "2024-01");
    // An empty project is "no project"; a payee and a quota narrow as named.
    let mut basic = unit("990100", "101001");
    basic.project = Some(String::new());
    let t = follow(&app, "2025-03", basic);
    assert_eq!((t.payments, t.paid.yuan()), (1, "99.50".to_string()));
    let mut payee = unit("990100", "101001");
    payee.payee = Some("甲公司".into());
    payee.quota = Some("ZB-1".into());
    let t = follow(&app, "2025-03", payee);
    assert_eq!((t.payments, t.paid.yuan()), (1, "200.50".to_string()));
}

#[test]
fn an_alert_is_followed_by_what_its_rule_keys_it_on() {
    let k = |s: &str| s.split(", ").map(String::from).collect::<Vec<_>>();
    // over_budget: unit, function, economic code and an empty project (basic expenditure).
    let t = Trace::of_finding(Some("990100"), Some("101010"), "990100|一般公共预算|101010|2050204|50206|30217|",
        &k("region_code, budget_kind, agency_code, func_code, gov_econ_code, dept_econ_code, project_code"),
    )
    .unwrap();
    assert_eq!(
        t,
        Trace {
            region: Some("990100".into()),
            agency: Some("101010".into()),
            project: Some(String::new()),
            func: Some("2050204".into()),
            econ: Some("30217".into()),
            ..Trace::default()
        }
    );
    // function_lag: a region's functional class.
    let t = Trace::of_finding(
        Some("990100"),
        None,
        "990100|213",
        &k("region_code, func_class"),
    )
    .unwrap();
    assert_eq!(
        (t.region.as_deref(), t.func.as_deref()),
        (Some("990100"), Some("213"))
    );
    // duplicate_payment: the unit and the payee.
    let t = Trace::of_finding(
        Some("990100"),
        Some("101022"),
        "990100|101022|甲公司|V9",
        &k("region_code, agency_code, payee, payment"),
    )
    .unwrap();
    assert_eq!(
        (t.agency.as_deref(), t.payee.as_deref()),
        (Some("101022"), Some("甲公司"))
    );
    // A region's debt ratio names nothing the payments carry.
    assert_eq!(
        Trace::of_finding(
            Some("990100"),
            None,
            "990100|专项债务",
            &k("region_code, debt_type")
        ),
        None
    );
}
