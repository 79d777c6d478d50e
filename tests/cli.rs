//! The command line as a user runs it: exit codes, human and machine-readable output.

mod common;

use std::process::{Command, Output};

use common::fixture;

/// Runs purse on a data directory of the demo deployment (its purse.toml written first).
fn purse(args: &[&str], data: &std::path::Path) -> Output {
    common::demo_config(data);
    Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn ingest_query_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["gen", "--only", "revenue", "--only", "debt", "--out"])
        .arg(d.join("in"))
        .output()
        .unwrap();
    assert!(made.status.success(), "{:?}", text(&made));
    assert!(
        text(&made).0.contains("revenue 266, debt 144"),
        "{}",
        text(&made).0
    );

    let good = d.join("in");
    let o = purse(
        &[
            "ingest",
            "--json",
            good.to_str().unwrap(),
            fixture("bad/empty.csv").to_str().unwrap(),
        ],
        &d.join("data"),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a rejected file makes the exit code 1"
    );
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    let statuses: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "loaded").count(), 26);
    assert_eq!(statuses.last(), Some(&"rejected"));
    assert_eq!(
        v.as_array().unwrap().last().unwrap()["message"],
        "the file is empty"
    );

    let q = "SELECT region_name, debt_type, debt_balance FROM debt WHERE period = '2025-12' AND region_code = '990122' ORDER BY debt_type";
    let o = purse(&["query", "--format", "csv", q], &d.join("data"));
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        text(&o).0,
        "region_name,debt_type,debt_balance\n北山县,一般债务,3144000000.00\n北山县,专项债务,3563200000.00\n"
    );
    let o = purse(&["query", "--format", "json", q], &d.join("data"));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v[1]["debt_type"], "专项债务");
    let o = purse(&["query", q], &d.join("data"));
    assert!(
        text(&o)
            .0
            .contains("| 北山县      | 专项债务  | 3563200000.00 |"),
        "{}",
        text(&o).0
    );

    // Read-only: no DDL, DML or statements.
    let o = purse(&["query", "DROP TABLE debt"], &d.join("data"));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("DDL not supported"), "{}", text(&o).1);

    let o = purse(&["datasets", "--json"], &d.join("data"));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v[0]["dataset"], "debt");
    assert_eq!(v[0]["rows"], 144);
    let o = purse(&["loads", "--limit", "1"], &d.join("data"));
    assert!(
        text(&o).0.contains("rejected") && text(&o).0.contains("empty.csv"),
        "{}",
        text(&o).0
    );
}

#[test]
fn a_data_dir_with_nothing_loaded_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = purse(&["query", "SELECT 1"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o)
            .1
            .contains("holds no purse data yet: run `purse ingest` first"),
        "{}",
        text(&o).1
    );
}

#[test]
fn schema_lists_columns_docs_and_accepted_headers() {
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["schema", "budget_execution"])
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert!(
        out.contains("ytd_amount") && out.contains("Decimal128(18, 2)") && out.contains("累计支出"),
        "{out}"
    );
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(args)
        .output()
        .unwrap()
}

const GOOD_RULE: &str = "-- id: big_debt\n-- title: 大额债务 | Big debt\n-- category: 流量\n-- datasets: debt\n\
    -- severity: 黄\n-- finding: state\n-- basis: balance\n-- params: limit = 100\n-- key: region_code, debt_type\n-- message: {subject} | {subject}\n\
    SELECT region_code, debt_type, region_name AS subject FROM debt WHERE period = $period AND debt_balance > $limit\n";

/// A rule's place in the framework: the built-in pack's in `purse rules --json`, a deployment's
/// rule without one unclassified (null), an unknown focus refused naming the file.
#[test]
fn rules_name_their_focus_and_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = run(&["rules", "--json", "--data-dir", data.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    let rule = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(rule("debt_limit")["focus"], "debt");
    assert_eq!(
        rule("debt_limit")["budgets"],
        serde_json::json!(["general", "fund"])
    );
    assert_eq!(
        rule("soe_leverage")["budgets"],
        serde_json::json!(["state_capital"])
    );
    assert_eq!(rule("indicator_deviation")["focus"], "policy");
    assert_eq!(
        rule("indicator_deviation")["budgets"],
        serde_json::json!([])
    );
    assert!(v.as_array().unwrap().iter().all(|r| r["focus"].is_string()));

    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("debt")).unwrap();
    std::fs::write(rules.join("debt/big_debt.sql"), GOOD_RULE).unwrap();
    let args = [
        "rules",
        "--json",
        "--rules",
        rules.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let o = run(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v[0]["focus"], serde_json::Value::Null, "unclassified");
    std::fs::write(
        rules.join("debt/big_debt.sql"),
        GOOD_RULE.replace(
            "-- datasets: debt",
            "-- focus: debts\n-- budgets: general\n-- datasets: debt",
        ),
    )
    .unwrap();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("big_debt.sql")
            && text(&o)
                .1
                .contains("unknown focus `debts` (known: policy, structure, key_spending,"),
        "{}",
        text(&o).1
    );
}

#[test]
fn rule_files_are_validated_at_start_up_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("debt")).unwrap();
    std::fs::write(rules.join("debt/big_debt.sql"), GOOD_RULE).unwrap();
    let data = dir.path().join("data");
    let o = run(&[
        "rules",
        "--rules",
        rules.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("big_debt") && text(&o).0.contains("limit=100"),
        "{}",
        text(&o).0
    );

    // A header problem: refused, naming the file and the problem.
    std::fs::write(
        rules.join("debt/big_debt.sql"),
        GOOD_RULE.replace("datasets: debt", "datasets: debts"),
    )
    .unwrap();
    let o = run(&[
        "rules",
        "--rules",
        rules.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("big_debt.sql") && text(&o).1.contains("unknown dataset `debts`"),
        "{}",
        text(&o).1
    );

    // A duplicate id in another folder.
    std::fs::write(rules.join("debt/big_debt.sql"), GOOD_RULE).unwrap();
    std::fs::create_dir_all(rules.join("copy")).unwrap();
    std::fs::write(rules.join("copy/big_debt.sql"), GOOD_RULE).unwrap();
    let o = run(&[
        "rules",
        "--rules",
        rules.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(
        text(&o).1.contains("duplicate rule id `big_debt`"),
        "{}",
        text(&o).1
    );
    std::fs::remove_dir_all(rules.join("copy")).unwrap();

    // SQL that does not return the reserved columns: caught before anything runs.
    let made = run(&[
        "gen",
        "--only",
        "debt",
        "--out",
        dir.path().join("in").to_str().unwrap(),
    ]);
    assert!(made.status.success());
    let o = purse(
        &["ingest", "-q", dir.path().join("in").to_str().unwrap()],
        &data,
    );
    assert!(o.status.success());
    std::fs::write(
        rules.join("debt/big_debt.sql"),
        GOOD_RULE.replace("SELECT region_code,", "SELECT region_code AS code,"),
    )
    .unwrap();
    let o = purse(
        &[
            "check",
            "--period",
            "2025-03",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains(
            "big_debt.sql: `-- key:` names `region_code` but the query returns no such column"
        ),
        "{}",
        text(&o).1
    );

    // purse.toml overrides a parameter and can switch a rule off; unknown parameters are refused.
    std::fs::write(rules.join("debt/big_debt.sql"), GOOD_RULE).unwrap();
    let rules_arg = rules.to_str().unwrap();
    let check_with = |toml: &str| {
        std::fs::write(data.join("purse.toml"), toml).unwrap();
        purse(
            &[
                "check",
                "--period",
                "2025-03",
                "--dry-run",
                "--rules",
                rules_arg,
            ],
            &data,
        )
    };
    let o = check_with("");
    assert_eq!(
        text(&o).0.lines().count(),
        12,
        "every region-and-type row above 100 元: {}",
        text(&o).0
    );
    let o = check_with("[rules.big_debt]\nlimit = 3000000000\n");
    assert_eq!(text(&o).0.lines().count(), 7, "{}", text(&o).0);
    let o = check_with("[rules.big_debt]\nenabled = false\n");
    assert_eq!(text(&o).0.lines().count(), 0, "{}", text(&o).0);
    let o = check_with("[rules.big_debt]\nlimt = 1\n");
    assert!(
        text(&o)
            .1
            .contains("[rules.big_debt] limt: unknown parameter (the rule has: limit)"),
        "{}",
        text(&o).1
    );
}

#[test]
fn check_alerts_and_the_workflow_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = purse(
        &["ingest", "-q", fixture("demo/debt").to_str().unwrap()],
        &data,
    );
    assert!(o.status.success());
    let o = purse(
        &[
            "check",
            "--period",
            "2025-01..2025-02",
            "--rule",
            "debt_ratio",
            "--rule",
            "debt_limit",
        ],
        &data,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let out = text(&o).0;
    assert!(
        out.contains("2025-01: 2 rules")
            && out.contains("4 new")
            && out.contains("2025-02: 2 rules"),
        "{out}"
    );
    let o = purse(&["alerts", "--format", "json", "--severity", "red"], &data);
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    let reds = v.as_array().unwrap();
    assert_eq!(reds.len(), 2, "北山县: ratio and limit");
    let id = reds[0]["id"].as_i64().unwrap().to_string();
    let o = purse(&["alert", &id, "close", "--evidence", "x"], &data);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("cannot close alert"), "{}", text(&o).1);
    let o = purse(
        &[
            "alert",
            &id,
            "rectify",
            "--owner",
            "北山县财政局",
            "--due",
            "2025-06-30",
            "--actor",
            "analyst-1",
        ],
        &data,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let o = purse(&["alert", &id], &data);
    let out = text(&o).0;
    assert!(
        out.contains("整改中")
            && out.contains("owner 北山县财政局, due 2025-06-30")
            && out.contains("analyst-1 rectify new→rectifying"),
        "{out}"
    );
    let o = purse(
        &["alerts", "--format", "csv", "--status", "rectifying"],
        &data,
    );
    assert_eq!(text(&o).0.lines().count(), 2, "{}", text(&o).0);
}

#[test]
fn users_and_reports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = purse(
        &[
            "user",
            "add",
            "王委员",
            "--role",
            "viewer",
            "--password",
            "short",
        ],
        d,
    );
    assert!(!o.status.success());
    assert!(text(&o).1.contains("at least 8"), "{:?}", text(&o));
    let o = purse(&["user", "add", "王委员", "--role", "analyst"], d);
    assert!(o.status.success(), "{:?}", text(&o));
    let out = text(&o).0;
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    assert_eq!(pw.len(), 16, "a made-up password is printed once");
    let o = purse(&["user", "list"], d);
    assert!(text(&o).0.contains("王委员") && text(&o).0.contains("analyst"));
    // A report needs a well-formed period and says which.
    let o = purse(&["report", "--period", "2025-13"], d);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("2025-13"), "{:?}", text(&o));
    // On loaded data it writes the HTML (or XLSX) where asked.
    let o = purse(
        &[
            "ingest",
            "-q",
            fixture("demo/budget_execution").to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let html = d.join("r.html");
    let report = |period: &str| {
        let o = purse(
            &[
                "report",
                "--period",
                period,
                "--out",
                html.to_str().unwrap(),
            ],
            d,
        );
        assert!(o.status.success(), "{:?}", text(&o));
        std::fs::read_to_string(&html).unwrap()
    };
    let page = report("2025-06");
    assert!(page.contains("示范市2025年6月预算联网监督月度预警报告") && page.contains("<svg"));
    // A Chinese document in Chinese: the evidence labelled from the catalog, money in 万元, the
    // reasons a rule was not judged in words, the load's time in the deployment's zone (+08:00
    // by default, whatever the server's clock keeps).
    let o = purse(&["check", "--period", "2025-06"], d);
    assert!(o.status.success(), "{:?}", text(&o));
    let page = report("2025-06");
    for said in [
        "调整后预算",
        "累计支出",
        "万元",
        "项目执行率低 — 仅适用于12月",
        "2025-06无国库集中支付明细数据",
    ] {
        assert!(page.contains(said), "{said} missing");
    }
    for english in [
        "adjusted_budget",
        "ytd_amount",
        "applies in",
        "no data for",
        "+00:00",
    ] {
        assert!(!page.contains(english), "{english} in the Chinese report");
    }
    // A month with nothing loaded says so at its head, not "本月触发预警0条".
    let page = report("2026-03");
    assert!(page.contains("本期无数据") && !page.contains("本月触发预警"));
    let x = d.join("r.xlsx");
    let o = purse(
        &[
            "report",
            "--period",
            "2025-06",
            "--format",
            "xlsx",
            "--lang",
            "en",
            "--out",
            x.to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(std::fs::read(&x).unwrap().starts_with(b"PK"));
}

#[test]
fn a_reader_that_stops_early_ends_the_output_without_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(
        purse(
            &["ingest", "-q", fixture("demo/debt").to_str().unwrap()],
            &data
        )
        .status
        .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args([
            "query",
            "--format",
            "csv",
            "SELECT * FROM debt CROSS JOIN debt d2",
        ])
        .env("PURSE_DATA_DIR", &data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one chunk, then close the pipe as `head` does.
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

/// `purse problems`: an item from a deliberation opinion through 交办, the unit's response and
/// evidence, a refused step that names what is allowed, 销号 and an unsatisfied rating.
#[test]
fn the_problem_list_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    let ok = |args: &[&str]| {
        let o = purse(args, &d);
        assert!(o.status.success(), "{args:?}: {:?}", text(&o));
        text(&o).0
    };
    let out = ok(&[
        "problems",
        "add",
        "--source",
        "审议意见",
        "--ref",
        "审议〔2025〕3号-1",
        "--title",
        "专项资金拨付迟缓",
        "--unit",
        "财政局",
        "--requirement",
        "加快拨付",
        "--due",
        "2025-09-30",
        "--actor",
        "analyst",
    ]);
    assert_eq!(out.trim(), "#1 专项资金拨付迟缓 (待交办)");
    ok(&["problems", "assign", "1", "--actor", "analyst"]);
    let o = purse(&["problems", "accept", "1"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o)
            .1
            .contains("cannot accept problem #1: it is 已交办 (assigned); allowed now: respond"),
        "{:?}",
        text(&o)
    );
    ok(&[
        "problems",
        "respond",
        "1",
        "已全部拨付",
        "--actor",
        "财政局",
    ]);
    let voucher = dir.path().join("凭证.pdf");
    std::fs::write(&voucher, b"voucher").unwrap();
    let out = ok(&[
        "problems",
        "evidence",
        "1",
        voucher.to_str().unwrap(),
        "--actor",
        "财政局",
    ]);
    assert!(
        out.contains("sha256:") && out.contains("evidence/1/"),
        "{out}"
    );
    ok(&["problems", "accept", "1", "--actor", "analyst"]);
    let out = ok(&["problems", "rate", "1", "不满意", "--actor", "member"]);
    assert_eq!(out.trim(), "#1 rated unsatisfied: now 退回 (sent_back)");
    let out = ok(&["problems", "list", "--overdue"]);
    assert!(
        out.contains("逾期 overdue") && out.contains("1 items"),
        "{out}"
    );
}

/// What a new user hit: Excel's lock file in a folder fails nothing; an unknown dataset is
/// told how to say which; a dataset or a period that does not exist is an error, not silence.
#[test]
fn a_new_users_slips_get_clear_answers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let folder = d.join("extracts");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(
        fixture("demo/revenue/2025-03.csv"),
        folder.join("2025-03.csv"),
    )
    .unwrap();
    std::fs::write(folder.join("~$预算执行.xlsx"), b"\x00lock").unwrap();
    let o = purse(&["ingest", folder.to_str().unwrap()], d);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("~$预算执行.xlsx") && text(&o).0.contains("lock file"),
        "{:?}",
        text(&o)
    );
    // A table whose one known header is 累计支出: refused, with a way out.
    let odd = d.join("odd.csv");
    std::fs::write(&odd, "甲,累计支出,乙\n1,100,x\n").unwrap();
    let o = purse(&["ingest", odd.to_str().unwrap()], d);
    assert!(!o.status.success());
    let all = format!("{}{}", text(&o).0, text(&o).1);
    assert!(
        all.contains("--dataset NAME, perhaps --dataset budget_execution"),
        "{all}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["schema", "nosuch"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).1.contains("nosuch") && text(&o).1.contains("budget_execution"),
        "{:?}",
        text(&o)
    );
    let o = purse(&["alerts", "--period", "2025-13"], d);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("2025-13"), "{:?}", text(&o));
}

/// A file that needs more memory than `purse ingest` may take is refused with exit 2 and a
/// message naming the file and the cap (Rust's own answer is an abort, exit 134, "memory
/// allocation of N bytes failed"); what was loaded before it stays, and the next run records
/// the interrupted load as such and loads normally. The file's need is injected (16 TiB).
#[test]
fn a_file_past_the_memory_cap_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = purse(
        &["ingest", "-q", fixture("demo/revenue").to_str().unwrap()],
        d,
    );
    assert!(first.status.success(), "{:?}", text(&first));
    let debt = fixture("demo/debt");
    common::demo_config(d);
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["ingest", "-q", "--data-dir"])
        .arg(d)
        .arg(&debt)
        .env("PURSE_CRASH_AT", "reading")
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: out of memory: reading ")
            && err.contains("debt_")
            && err.contains(" needed more than 2048 MiB ([ingest] memory_mib in purse.toml); an allocation of 17592186044416 bytes failed. Nothing of this file was stored; files loaded before it are kept."),
        "{err}"
    );
    assert!(!err.contains("memory allocation of"), "{err}");
    // A cap too small to open the database at all says so (SQLite could not map its shared
    // memory: "disk I/O error" before).
    let o = purse(
        &["ingest", "-q", "--memory-mib", "64", debt.to_str().unwrap()],
        d,
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("purse.db: opening it needs more memory than the cap of 64 MiB (--memory-mib) allows: raise the cap"),
        "{err}"
    );
    // The revenue loaded before is all there; the debt file loads on the next run.
    let again = purse(&["ingest", "--json", debt.to_str().unwrap()], d);
    assert!(again.status.success(), "{:?}", text(&again));
    let loads = purse(&["loads", "--json"], d);
    let v: serde_json::Value = serde_json::from_str(&text(&loads).0).unwrap();
    let statuses: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["status"].as_str().unwrap(),
                l["dataset"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(statuses.contains(&("aborted", "")), "{statuses:?}");
    assert!(statuses.contains(&("accepted", "revenue")), "{statuses:?}");
    assert!(statuses.contains(&("accepted", "debt")), "{statuses:?}");
}

/// An execution extract for 2025-03 of two units; `spent` is the second unit's 累计支出 (its
/// budget is 100 元).
fn execution_2025_03(dir: &std::path::Path, spent: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("execution_2025-03.csv");
    std::fs::write(
        &p,
        format!(
            "预算类型,部门编码,部门名称,预算单位编码,预算单位名称,功能分类科目,政府经济分类,部门经济分类,年初预算数,调整后预算数,本月支出,累计支出\n\
             一般公共预算,101,教育局,101001,教育局本级,2050101 行政运行,50201 办公经费,30201 办公费,100,100,10,25\n\
             一般公共预算,102,水利局,102001,水利局本级,2130301 行政运行,50201 办公经费,30201 办公费,100,100,10,{spent}\n"
        ),
    )
    .unwrap();
    p
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&text(o).0).unwrap_or_else(|e| panic!("{e}: {:?}", text(o)))
}

fn over_budget_alerts(d: &std::path::Path) -> Vec<String> {
    let a = json(&purse(
        &["alerts", "--format", "json", "--period", "2025-03"],
        d,
    ));
    a.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_id"] == "over_budget")
        .map(|a| {
            format!(
                "{} {}",
                a["subject"].as_str().unwrap_or(""),
                a["status"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// A correction loaded by mistake is taken back with `purse loads retract`: the data it replaced
/// is live again, the month is checked again, the alert only its data showed is gone, and the
/// manifest says who retracted it and why. Retracting it twice, or a load that does not exist,
/// is an error.
#[test]
fn a_wrong_load_is_retracted_and_the_warehouse_and_alerts_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = &dir.path().join("data");
    let good = execution_2025_03(&dir.path().join("a"), "30");
    let wrong = execution_2025_03(&dir.path().join("b"), "180");
    let o = purse(&["ingest", "-q", good.to_str().unwrap()], d);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(purse(&["check", "--period", "2025-03"], d).status.success());
    assert_eq!(over_budget_alerts(d), Vec::<String>::new());

    let o = purse(&["ingest", wrong.to_str().unwrap()], d);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("replaces load #1 (2025-03)"),
        "{:?}",
        text(&o)
    );
    assert!(purse(&["check", "--period", "2025-03"], d).status.success());
    assert_eq!(
        over_budget_alerts(d).len(),
        1,
        "{:?}",
        over_budget_alerts(d)
    );
    let loads = json(&purse(&["loads", "--json"], d));
    assert_eq!(loads[1]["id"], 1);
    assert_eq!(loads[1]["replaced_by"], serde_json::json!([2]));
    assert_eq!(loads[1]["live_parts"], 0);

    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args([
            "loads",
            "retract",
            "2",
            "--reason",
            "更正数据有误",
            "--actor",
            "王科长",
            "--data-dir",
        ])
        .arg(d)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains(
            "#3: retracts load #2 (execution_2025-03.csv); restores load #1 (2025-03) — by 王科长: 更正数据有误"
        ) && out.contains("checked again: 2025-03 (1 run)")
            && out.contains("alerts only its data showed: 1 taken back"),
        "{out}"
    );
    assert_eq!(over_budget_alerts(d), Vec::<String>::new());
    let loads = json(&purse(&["loads", "--json"], d));
    let status: Vec<(i64, &str, i64)> = loads
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["status"].as_str().unwrap(),
                l["live_parts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            (3, "retraction", 0),
            (2, "retracted", 0),
            (1, "accepted", 1)
        ]
    );
    assert!(
        loads[1]["message"]
            .as_str()
            .unwrap()
            .ends_with(" — retracted by #3 (王科长: 更正数据有误)"),
        "{}",
        loads[1]["message"]
    );
    // The good extract's rows are what the warehouse holds: unit 102 spent 30.
    let q = purse(
        &[
            "query",
            "--format",
            "csv",
            "SELECT agency_code, CAST(ytd_amount AS VARCHAR) AS ytd FROM budget_execution ORDER BY agency_code",
        ],
        d,
    );
    assert_eq!(
        text(&q).0,
        "agency_code,ytd\n101001,25.00\n102001,30.00\n",
        "{:?}",
        text(&q)
    );

    let log = purse::users::Users::open(d).unwrap().audit_log(10).unwrap();
    assert!(
        log.iter().any(|e| e.action == "retract"
            && e.actor == "王科长"
            && e.detail
                .starts_with("#3: retracts load #2 (execution_2025-03.csv)")),
        "{log:?}"
    );

    let again = purse(&["loads", "retract", "2", "--reason", "x"], d);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again).1.contains("load #2 (execution_2025-03.csv) is retracted: only an accepted load has data to take back"),
        "{:?}",
        text(&again)
    );
    let none = purse(&["loads", "retract", "99", "--reason", "x"], d);
    assert!(
        text(&none).1.contains("there is no load #99"),
        "{:?}",
        text(&none)
    );
    let no_reason = purse(&["loads", "retract", "1", "--reason", " "], d);
    assert!(
        text(&no_reason).1.contains("a retraction needs a reason"),
        "{:?}",
        text(&no_reason)
    );
}

/// Taking back March checks again March and every month already checked after it, across the
/// year end (a month's figures enter later months' rules), but not February before it.
#[test]
fn a_retraction_checks_again_the_later_months_already_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = &dir.path().join("data");
    let march = execution_2025_03(&dir.path().join("a"), "30");
    let text_of = std::fs::read_to_string(&march).unwrap();
    let mut files = vec![];
    for m in ["2025-02", "2025-04", "2025-12", "2026-01"] {
        let p = dir.path().join("a").join(format!("execution_{m}.csv"));
        std::fs::write(&p, &text_of).unwrap();
        files.push(p);
    }
    let mut args = vec!["ingest", "-q", march.to_str().unwrap()];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let o = purse(&args, d);
    assert!(o.status.success(), "{:?}", text(&o));
    for m in ["2025-02", "2025-03", "2025-04", "2025-12", "2026-01"] {
        assert!(purse(&["check", "--period", m], d).status.success(), "{m}");
    }
    let loads = json(&purse(&["loads", "--json"], d));
    let id = common::load_id(&loads, |l| {
        common::file_ends_with(l, "execution_2025-03.csv")
    });
    let o = purse(
        &[
            "loads",
            "retract",
            &id.to_string(),
            "--reason",
            "三月数据有误",
        ],
        d,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("checked again: 2025-03, 2025-04, 2025-12, 2026-01 (4 runs)"),
        "{out}"
    );
}

/// A damaged workbook whose reading panics inside calamine (caught: the file is refused as
/// damaged) says so in one line, without calamine's panic and backtrace on the terminal.
#[test]
fn a_damaged_workbook_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    common::demo_config(dir.path());
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["ingest", "--data-dir"])
        .arg(dir.path())
        .arg(fixture("bad/long_cell_ref.xlsx"))
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("long_cell_ref.xlsx: not a readable workbook: the file is damaged"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

/// A yearly load (plan targets, period 2025) taken back: its year's months already checked are
/// checked again (a year is not a month to check: this used to fail after committing).
#[test]
fn a_yearly_load_is_retracted_and_its_checked_months_are_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = &dir.path().join("data");
    let exec = execution_2025_03(&dir.path().join("a"), "30");
    let o = purse(
        &[
            "ingest",
            "-q",
            exec.to_str().unwrap(),
            fixture("demo/targets").to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(purse(&["check", "--period", "2025-03"], d).status.success());
    let loads = json(&purse(&["loads", "--json"], d));
    let targets = common::load_id(&loads, |l| l["dataset"] == "targets");
    let o = purse(
        &[
            "loads",
            "retract",
            &targets.to_string(),
            "--reason",
            "目标表版本有误",
        ],
        d,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("checked again: 2025-03 (1 run)"), "{out}");
}

/// `PURSE_LOG=info PURSE_LOG_FORMAT=json`: one JSON object per line on stderr, a `load` span per
/// file and a `rule` span per rule run, each closed by an event saying how it went; without
/// `PURSE_LOG` a command's stderr holds no log lines.
#[test]
fn logs_are_json_lines_with_a_span_per_load_and_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::demo_config(d);
    let run = |args: &[&str], log: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_purse"));
        c.args(args).arg("--data-dir").arg(d);
        if log {
            c.env("PURSE_LOG", "info").env("PURSE_LOG_FORMAT", "json");
        } else {
            c.env_remove("PURSE_LOG");
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{:?}", text(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let revenue = fixture("demo/revenue/2025-03.csv");
    // Every line of stderr is one JSON object.
    let events_of = |err: &str| -> Vec<serde_json::Value> {
        err.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    let err = run(&["ingest", "-q", revenue.to_str().unwrap()], true);
    let events = events_of(&err);
    let load = events
        .iter()
        .find(|e| e["fields"]["message"] == "file loaded")
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(load["span"]["name"], "load");
    assert!(
        load["span"]["file"]
            .as_str()
            .unwrap()
            .ends_with("2025-03.csv")
    );
    assert_eq!(load["fields"]["dataset"], "revenue");
    assert_eq!(load["fields"]["rows"], 19);
    assert_eq!(load["fields"]["status"], "Loaded");

    let err = run(&["check", "--period", "2025-03"], true);
    let events = events_of(&err);
    let ran = events
        .iter()
        .find(|e| e["span"]["rule"] == "revenue_outturn")
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(ran["span"]["name"], "rule");
    assert_eq!(ran["span"]["period"], "2025-03");
    assert_eq!(ran["fields"]["message"], "rule ran");
    assert_eq!(ran["fields"]["rows_scanned"], 19);
    // A December-only rule says why it did not run in March.
    let skipped = events
        .iter()
        .find(|e| e["span"]["rule"] == "pefa_pi3_revenue_outturn")
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(skipped["fields"]["reason"], "applies in month 12 only");

    assert_eq!(run(&["check", "--period", "2025-03"], false), "");
}

/// `purse review` as the committee's staff run it on the demo's 2026 draft, 2025 publication
/// record and 2024 final accounts: the draft of the preliminary review report, grouped by focus
/// (structure, key spending, departments, transfers, revenue — the order of the framework),
/// thirteen findings (nine on the draft, two on publication, two on the accounts: December's
/// report, and the year's PEFA grade against its budget), stored as
/// alerts unless --dry-run; the same report as a Word document.
#[test]
fn the_annual_review_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = fixture("demo");
    let sources: Vec<String> = [
        "draft_budget",
        "draft_revenue",
        "carryovers",
        "indicators",
        "revenue",
        "final_accounts",
        "publications",
        "budget_execution/history_2024.csv",
    ]
    .iter()
    .map(|s| demo.join(s).to_string_lossy().into_owned())
    .collect();
    let mut args = vec!["ingest", "-q"];
    args.extend(sources.iter().map(String::as_str));
    let o = purse(&args, d);
    assert!(o.status.success(), "{:?}", text(&o));

    let html = d.join("review.html");
    let o = purse(
        &[
            "review",
            "--year",
            "2026",
            "--dry-run",
            "--out",
            html.to_str().unwrap(),
        ],
        d,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), html.to_str().unwrap());
    assert!(
        err.contains("review of 2026: 13 findings (not stored)"),
        "{err}"
    );
    let report = std::fs::read_to_string(&html).unwrap();
    for want in [
        "关于示范市2026年预算草案的初步审查意见（草稿）",
        "一、支出总量与结构",
        "二、重点支出与重大投资项目",
        "三、部门预算",
        "城市智慧停车系统建设",
        "提升服务质量，确保工作顺利开展",
        "213类决算数",
        "统计局部门预算：批准后第25天才公开（应在20天内）",
        "教育局部门预算：公开表格8张，少于规定的9张",
        // 公安局本级: 80万元 carried over for its command centre, 100万元 asked again.
        "公安局指挥中心建设尚有结转资金80.00万元未使用，本年又申请100.00万元，结转相当于申请额的80.0%",
        "四、转移支付",
        "示范市专项转移支付预算8,000.00万元，已提前下达4,400.00万元（55.0%），低于70%",
        "五、预算收入与库款",
        // 税收 242,000 × 1.08 + 非税 117,450 × 1.20 = 402,300 against 359,450 万元: +11.9 %.
        "示范市一般公共预算收入预算40.23亿元，比上年执行数35.95亿元增长11.9%",
        // The accounts' year graded against its budget: land sales at half, two years of data.
        "示范市政府性基金预算PEFA PI-3.1（收入总额执行）评级 D：2024年50.0%，近三年有2年数据",
    ] {
        assert!(report.contains(want), "{want}");
    }
    assert!(!err.contains("not reviewed"), "{err}");
    assert!(report.find("一、支出总量与结构") < report.find("二、重点支出与重大投资项目"));
    let o = purse(&["alerts", "--format", "json"], d);
    assert_eq!(text(&o).0.trim(), "[]", "a dry run stores nothing");

    let xlsx = d.join("review.xlsx");
    let o = purse(
        &[
            "review",
            "--year",
            "2026",
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).1.contains("13 findings, stored as alerts"));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let o = purse(
        &[
            "alerts",
            "--rule",
            "review_duplicate_project",
            "--format",
            "json",
        ],
        d,
    );
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");

    // In Word: the package the word processor opens, the findings in its body.
    let docx = d.join("review.docx");
    let o = purse(
        &[
            "review",
            "--year",
            "2026",
            "--dry-run",
            "--format",
            "docx",
            "--out",
            docx.to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let mut z = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut body).unwrap();
    for want in [
        "关于示范市2026年预算草案的初步审查意见（草稿）",
        "四、转移支付",
        "已提前下达4,400.00万元（55.0%）",
    ] {
        assert!(body.contains(want), "{want}");
    }
    let o = purse(&["review", "--year", "26"], d);
    assert!(!o.status.success());
    assert!(
        text(&o).1.contains("--year 26: a budget year such as 2026"),
        "{:?}",
        text(&o)
    );
}

/// 问数 beyond its grammar in a purse built without `--features local-model`: with no model
/// configured, and with one configured, the refusal says why no model was asked (exit 3).
#[cfg(not(feature = "local-model"))]
#[test]
fn ask_beyond_the_grammar_says_why_no_model_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("pay_2025-03.csv");
    std::fs::write(
        &csv,
        "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额\n\
         V1,2025-03-02,101001,甲单位,收款甲,100.00\n",
    )
    .unwrap();
    let o = purse(
        &["ingest", "--dataset", "payments", csv.to_str().unwrap()],
        d,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let q = "每个地区付了几笔钱，一共多少";
    let o = purse(&["ask", q], d);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    let out = text(&o).0;
    assert!(out.contains("暂时无法回答"), "{out}");
    assert!(
        out.contains("本地模型：没有配置本地模型（purse.toml 的 [ask] model）"),
        "{out}"
    );
    let toml = std::fs::read_to_string(d.join("purse.toml")).unwrap();
    std::fs::write(
        d.join("purse.toml"),
        toml.replace("[ask]\n", "[ask]\nmodel = \"models/sql.gguf\"\n"),
    )
    .unwrap();
    let o = purse(&["ask", "--json", q], d);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(v["status"], "unanswerable");
    let note = v["model"].as_str().unwrap();
    assert!(
        note.contains(&format!("{}", d.join("models/sql.gguf").display()))
            && note.contains("--features local-model"),
        "{note}"
    );
}
