//! Extracts as district and county finance bureaus format them: headers that carry the period,
//! titles that name the region, and deployments that have no region of their own (no
//! purse.toml), where nothing may be stamped with a default region.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use purse::ingest::{Options, Status};

fn set(pairs: &[(&str, &str)]) -> Options {
    Options {
        set: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Options::default()
    }
}

/// `1-10月累计支出`, `10月份支出`, `2025年年初预算数`, `调整预算数（2025年）`, `上年同期累计数`
/// under a 平阳县财政局 title, in 万元, with no purse.toml: every figure lands in its column in
/// 元, the period is the title's, and the region is the title's (no code without a code list).
#[test]
fn period_bearing_headers_load_into_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[fixture("bureau/pingyang_2025-10.csv")],
        &Options::default(),
    );
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
    assert_eq!(out[0].periods, ["2025-10"]);
    let rows = query(
        dir.path(),
        "SELECT agency_code, initial_budget, adjusted_budget, month_amount, ytd_amount, \
         prior_ytd_amount, region_name, coalesce(region_code, '-'), budget_kind, year, month \
         FROM budget_execution ORDER BY agency_code",
    );
    assert_eq!(
        rows[0],
        [
            "101001",
            "2372400.00",
            "2400000.00",
            "197700.00",
            "2005000.00",
            "1802500.00",
            "平阳县",
            "-",
            "一般公共预算",
            "2025",
            "10"
        ]
    );
    // 80.0001 万元 is 800,001.00 元 exactly.
    assert_eq!(rows[1][3], "800001.00");
}

/// `本月数`, `截至10月底累计` and `上年同期累计数` in a revenue table whose title names 苍南县;
/// with the deployment's code list the region gets its code.
#[test]
fn cutoff_headers_and_a_code_list() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("purse.toml"),
        "region_code = \"330326\"\nregion_name = \"平阳县\"\n[regions]\n\"苍南县\" = \"330327\"\n",
    )
    .unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[fixture("bureau/cangnan_revenue_2025-10.csv")],
        &Options::default(),
    );
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
    let rows = query(
        dir.path(),
        "SELECT period, region_code, region_name, month_amount, ytd_amount, prior_ytd_amount FROM revenue",
    );
    assert_eq!(
        rows,
        [[
            "2025-10",
            "330327",
            "苍南县",
            "90000.00",
            "850000.00",
            "800000.00"
        ]]
    );
}

/// `--period` that contradicts a header's period is refused naming both; the matching period
/// loads.
#[test]
fn a_header_period_that_disagrees_with_the_period_flag_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        period: Some("2025-09".into()),
        ..Options::default()
    };
    let out = ingest_as_configured(dir.path(), &[fixture("bureau/pingyang_2025-10.csv")], &opts);
    assert_eq!(out[0].status, Status::Rejected);
    assert!(
        out[0]
            .message
            .contains("is for 10月 but --period says 2025-09"),
        "{}",
        out[0].message
    );
    assert!(rows_by_dataset(dir.path()).is_empty());
    let opts = Options {
        period: Some("2025-10".into()),
        ..Options::default()
    };
    let out = ingest_as_configured(dir.path(), &[fixture("bureau/pingyang_2025-10.csv")], &opts);
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
}

fn payments_without_region(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("payments_2025-10.csv");
    std::fs::write(
        &p,
        "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额\n\
         ZF1,2025-10-03,101001,某县教育局,某公司,1200.00\n",
    )
    .unwrap();
    p
}

/// Without purse.toml a file that names no region is refused with how to supply one; `--set`
/// supplies it; `purse init` makes it the deployment's region.
#[test]
fn no_region_is_refused_until_one_is_supplied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = payments_without_region(dir.path());
    let out = ingest_as_configured(&data, std::slice::from_ref(&file), &Options::default());
    assert_eq!(out[0].status, Status::Rejected);
    assert!(
        out[0]
            .message
            .starts_with("no region: payments_2025-10.csv")
            && out[0].message.contains("--set region_code=")
            && out[0].message.contains("purse init"),
        "{}",
        out[0].message
    );
    assert!(rows_by_dataset(&data).is_empty());

    let out = ingest_as_configured(
        &data,
        std::slice::from_ref(&file),
        &set(&[("region_code", "330326"), ("region_name", "平阳县")]),
    );
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
    let got = query(&data, "SELECT region_code FROM payments");
    assert_eq!(got, [["330326"]]);

    // `purse init` writes the deployment's region; the same file (another copy) now loads with it.
    let other = tempfile::tempdir().unwrap();
    let data2 = other.path().join("data");
    let init = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args([
            "init",
            "--region-code",
            "330327",
            "--region-name",
            "苍南县",
            "--data-dir",
        ])
        .arg(&data2)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let out = ingest_as_configured(
        &data2,
        &[payments_without_region(other.path())],
        &Options::default(),
    );
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
    let got = query(&data2, "SELECT region_code FROM payments");
    assert_eq!(got, [["330327"]]);
}

/// The defaults a deployment starts from carry no demo values; `purse init` writes every
/// setting (commented where the default stands), loads back, and will not overwrite.
#[test]
fn production_defaults_are_not_the_demos() {
    let d = purse::config::Config::default();
    assert_eq!((d.region_code.as_str(), d.region_name.as_str()), ("", ""));
    let dir = tempfile::tempdir().unwrap();
    let path = purse::config::write_init(dir.path(), "330326", "平阳县", false).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for key in [
        "region_code",
        "region_name",
        "budget_kind",
        "[regions]",
        "[aliases]",
        "[rules.",
        "[report]",
        "schedule",
        "languages",
        "[web]",
        "max_upload_mib",
        "login_attempts",
        "login_window_secs",
        "sql_timeout_secs",
        "sql_max_rows",
        "sql_memory_mib",
    ] {
        assert!(text.contains(key), "purse init documents {key}:\n{text}");
    }
    let c = purse::config::Config::load(dir.path()).unwrap();
    assert_eq!(
        (c.region_code.as_str(), c.region_name.as_str()),
        ("330326", "平阳县")
    );
    let again = purse::config::write_init(dir.path(), "1", "x", false).unwrap_err();
    assert!(again.to_string().contains("--force"), "{again}");
    assert!(purse::config::write_init(dir.path(), "33a", "x", true).is_err());
}

/// The last line of defence: a panic while reading one file of a folder refuses that file
/// with "internal error while reading FILE (a bug: please report it)", stores nothing of it,
/// and the other files still load. (The panic is injected; debug builds only.)
#[test]
fn a_panic_while_reading_refuses_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir_all(&folder).unwrap();
    for m in ["01", "02", "03"] {
        std::fs::copy(
            fixture(&format!("demo/revenue/2025-{m}.csv")),
            folder.join(format!("2025-{m}.csv")),
        )
        .unwrap();
    }
    let data = dir.path().join("data");
    demo_config(&data);
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["ingest", "--json", "--data-dir"])
        .arg(&data)
        .arg(&folder)
        .env("PURSE_PANIC_READING", "2025-02.csv")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["status"].as_str().unwrap().to_string(),
                x["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got[0].0, "loaded");
    assert_eq!(got[2].0, "loaded");
    assert_eq!(got[1].0, "rejected");
    assert!(
        got[1].1.starts_with("internal error while reading ")
            && got[1].1.contains("2025-02.csv (a bug: please report it)"),
        "{}",
        got[1].1
    );
    let periods = query(&data, "SELECT DISTINCT period FROM revenue ORDER BY period");
    assert_eq!(periods, [["2025-01"], ["2025-03"]]);
}

/// A file cut short by another program while purse reads it (a regular file is mapped, and a
/// page past its new end cannot be read): the process names the file and why, exits 2 as for
/// any refused input, and what was stored before is kept; the next run loads as usual. (The
/// cut is injected once the file is mapped; debug builds only.)
#[test]
fn a_file_cut_short_while_it_is_read_is_named_and_nothing_stored_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo_config(&data);
    let purse = |file: &Path, cut: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_purse"));
        c.args(["ingest", "--data-dir"]).arg(&data).arg(file);
        if cut {
            c.env("PURSE_CUT_SHORT_READING", "2025-02.csv");
        }
        c.output().unwrap()
    };
    let o = purse(&fixture("demo/revenue/2025-01.csv"), false);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // 2025-02 with 200 KB of blank lines after its rows: cut to a tenth, pages are gone.
    let cut = dir.path().join("2025-02.csv");
    let mut bytes = std::fs::read(fixture("demo/revenue/2025-02.csv")).unwrap();
    bytes.resize(bytes.len() + 200_000, b'\n');
    std::fs::write(&cut, &bytes).unwrap();
    let o = purse(&cut, true);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        err.contains(&format!("error: reading {} failed: the file was cut short by another program while it was being read", cut.display()))
            && err.contains("Nothing of it was stored; loads finished before it are kept."),
        "{err}"
    );
    let periods = query(&data, "SELECT DISTINCT period FROM revenue ORDER BY period");
    assert_eq!(periods, [["2025-01"]]);
    let o = purse(&fixture("demo/revenue/2025-03.csv"), false);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let periods = query(&data, "SELECT DISTINCT period FROM revenue ORDER BY period");
    assert_eq!(periods, [["2025-01"], ["2025-03"]]);
}

/// A file's rows are read while it is hashed when nothing was loaded from it before: a copy of
/// a loaded file under another name is still unchanged (found before its commit), whether it
/// would load or be refused, and leaves no load, staging or report behind; a new file loads
/// with its hash on record. (`PURSE_HASH_LATE` makes every hash late; debug builds only.)
#[test]
fn a_copy_of_a_loaded_file_read_while_hashed_is_unchanged_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo_config(&data);
    let purse = |args: &[&str], file: &Path| -> (String, String, i64) {
        let o = Command::new(env!("CARGO_BIN_EXE_purse"))
            .args(["ingest", "--json", "--data-dir"])
            .arg(&data)
            .args(args)
            .arg(file)
            .env("PURSE_HASH_LATE", "1")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON outcomes");
        let o = &v[0];
        (
            o["status"].as_str().unwrap().to_string(),
            o["message"].as_str().unwrap().to_string(),
            o["load_id"].as_i64().unwrap_or(0),
        )
    };
    let loads = || -> Vec<(i64, String, String)> {
        let db = rusqlite::Connection::open(data.join("purse.db")).unwrap();
        let mut st = db
            .prepare("SELECT id, status, sha256 FROM loads ORDER BY id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let jan = fixture("demo/revenue/2025-01.csv");
    let (status, _, id) = purse(&[], &jan);
    assert_eq!((status.as_str(), id), ("loaded", 1));
    // The hash computed while the rows were read is the file's SHA-256.
    let sha = {
        use sha2::Digest;
        purse::hex(&sha2::Sha256::digest(std::fs::read(&jan).unwrap()))
    };
    assert_eq!(loads(), [(1, "accepted".to_string(), sha.clone())]);
    // A copy under another name: unchanged, found before its commit.
    let copy = dir.path().join("copy-of-january.csv");
    std::fs::copy(&jan, &copy).unwrap();
    assert_eq!(
        purse(&[], &copy),
        ("unchanged".into(), "already loaded as load #1".into(), 1)
    );
    // One that would now be refused (the wrong dataset named) is unchanged all the same, as it
    // was when the hash came first.
    assert_eq!(
        purse(&["--dataset", "payments"], &copy),
        ("unchanged".into(), "already loaded as load #1".into(), 1)
    );
    assert_eq!(loads(), [(1, "accepted".to_string(), sha)]);
    let staged = std::fs::read_dir(data.join("staging")).map_or(0, |d| d.count());
    assert_eq!(staged, 0, "nothing left staged");
    let reports = std::fs::read_dir(data.join("loads")).map_or(0, |d| d.count());
    assert_eq!(reports, 0, "no issues report of a forgotten load");
    // A new file still loads, and a refused one is refused with its hash on record.
    let (status, _, id) = purse(&[], &fixture("demo/revenue/2025-02.csv"));
    assert_eq!((status.as_str(), id), ("loaded", 2));
    let (status, msg, id) = purse(
        &["--dataset", "payments"],
        &fixture("demo/revenue/2025-03.csv"),
    );
    assert_eq!((status.as_str(), id), ("rejected", 3), "{msg}");
    let l = loads();
    assert_eq!(l[2].1, "rejected");
    assert_eq!(l[2].2.len(), 64, "{l:?}");
}

/// Old Excel (BIFF8 `.xls`, written by xlwt: fixtures/bureau/make_xls.py): merged title, unit
/// line, two-row header with a merged parent, period-bearing headers, 万元, a totals row and a
/// signature line.
#[test]
fn an_xls_workbook_from_a_county_bureau() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[fixture("bureau/pingyang_2025-10.xls")],
        &Options::default(),
    );
    assert_eq!(out.len(), 1);
    let o = &out[0];
    assert_eq!(o.status, Status::Loaded, "{o:#?}");
    assert_eq!(o.format.as_deref(), Some("xls"));
    assert_eq!((o.rows, o.totals_skipped), (2, 1));
    assert_eq!(o.periods, ["2025-10"]);
    let rows = query(
        dir.path(),
        "SELECT agency_code, adjusted_budget, month_amount, ytd_amount, prior_ytd_amount, region_name \
         FROM budget_execution ORDER BY agency_code",
    );
    assert_eq!(
        rows,
        [
            [
                "101001",
                "2400000.00",
                "197700.00",
                "2005000.00",
                "1802500.00",
                "平阳县"
            ],
            [
                "101002",
                "10000000.00",
                "800001.00",
                "8000000.00",
                "7500000.00",
                "平阳县"
            ]
        ]
    );
}

/// An indicators table whose 地区 column names two provinces (no codes), loaded into a county
/// deployment: each province is its own region, never the deployment's code on both; a name
/// the deployment maps in [regions] gets its code; its own name gets its own code; a warning
/// says how to give codes. The period is the file name's (2025-06).
#[test]
fn regions_named_on_rows_keep_their_own_identity() {
    let dir = tempfile::tempdir().unwrap();
    purse::config::write_init(dir.path(), "330326", "平阳县", false).unwrap();
    let toml = dir.path().join("purse.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("[regions]\n", "[regions]\n\"江苏省\" = \"320000\"\n");
    std::fs::write(&toml, text).unwrap();
    let csv = dir.path().join("indicators_2025-06.csv");
    std::fs::write(
        &csv,
        "地区,指标,累计同比\n\
         浙江省,地区生产总值,5.6\n\
         广东省,地区生产总值,4.2\n\
         江苏省,地区生产总值,5.7\n\
         平阳县,地区生产总值,6.1\n\
         广东省,社会消费品零售总额,3.0\n",
    )
    .unwrap();
    let out = ingest_as_configured(dir.path(), &[csv], &Options::default());
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].status, Status::Loaded, "{out:#?}");
    let warning = out[0]
        .issues
        .iter()
        .find(|i| i.column == "region_code")
        .unwrap_or_else(|| panic!("no warning about region codes: {:#?}", out[0].issues));
    assert!(
        warning
            .reason
            .starts_with("3 rows name 2 region(s) without a code: 广东省 ×2, 浙江省 ×1")
            && warning.reason.contains("[regions]"),
        "{}",
        warning.reason
    );
    let rows = query(
        dir.path(),
        "SELECT region_name, region_code, count(*) AS n FROM indicators WHERE period = '2025-06' GROUP BY 1, 2 ORDER BY 1",
    );
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("平阳县".into(), "330326".into(), "1".into()),
            ("广东省".into(), "名称:广东省".into(), "2".into()),
            ("江苏省".into(), "320000".into(), "1".into()),
            ("浙江省".into(), "名称:浙江省".into(), "1".into()),
        ]
    );
}

/// A period in the file's name: `exec_2025-12.csv` with no period anywhere else loads into
/// 2025-12; the same file given `--period 2025-11` is refused, naming both.
#[test]
fn a_file_name_gives_the_period_and_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("exec_2025-12.csv");
    std::fs::write(
        &csv,
        "预算单位编码,预算单位名称,功能分类科目,调整后预算数,累计支出\n101001,甲单位,2050101,1000,900\n",
    )
    .unwrap();
    let out = ingest(dir.path(), std::slice::from_ref(&csv), &Options::default());
    assert_eq!(out[0].status, Status::Loaded, "{out:#?}");
    let rows = query(
        dir.path(),
        "SELECT period, count(*) FROM budget_execution GROUP BY period",
    );
    assert_eq!(rows, vec![vec!["2025-12".to_string(), "1".to_string()]]);
    let other = dir.path().join("2025年1-12月执行.csv");
    std::fs::write(
        &other,
        "预算单位编码,预算单位名称,功能分类科目,调整后预算数,累计支出\n101002,乙单位,2050101,1000,800\n",
    )
    .unwrap();
    let out = ingest(
        dir.path(),
        &[other],
        &Options {
            period: Some("2025-11".into()),
            ..Default::default()
        },
    );
    assert_eq!(out[0].status, Status::Rejected, "{out:#?}");
    assert!(
        out[0]
            .message
            .contains("the file's name says 2025-12 but --period says 2025-11"),
        "{}",
        out[0].message
    );
}

/// An XLS is held to the deployment's sheet limits too (read as a dense range as far as its
/// farthest cell): with `max_rows = 5`, the county workbook's eight rows are refused naming the
/// farthest cell, before calamine reads the sheet.
#[test]
fn an_xls_workbook_is_held_to_the_sheet_limits() {
    let dir = tempfile::tempdir().unwrap();
    common::demo_config(dir.path());
    let toml = dir.path().join("purse.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("# max_rows = 1048576"), "{text}");
    std::fs::write(&toml, text.replace("# max_rows = 1048576", "max_rows = 5")).unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[fixture("bureau/pingyang_2025-10.xls")],
        &Options::default(),
    );
    assert_eq!(out[0].status, Status::Rejected, "{out:#?}");
    assert!(
        out[0].message.contains("is in row ")
            && out[0]
                .message
                .contains(", past the 5 rows a sheet may have ([ingest] max_rows in purse.toml)"),
        "{}",
        out[0].message
    );
}

/// A department's own draft budget as a district publishes it (GBK, 万元, `2026年预算数`,
/// `支出功能分类科目编码`, the region and the department in the title) and a county's draft
/// revenue budget (UTF-8 with BOM, 万元, 类 subtotals), on a deployment with no region of its own:
/// every figure in 元, the region and the department from the titles, and the review reads them —
/// the school that spent 20 % asks the same again, its target has no figure, and one department's
/// table is not taken for the government's draft (no 预备费 finding).
#[test]
fn a_department_draft_and_a_revenue_draft_as_bureaus_publish_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[
            fixture("bureau/lucheng_draft_2026.csv"),
            fixture("bureau/pingyang_revenue_draft_2026.csv"),
        ],
        &Options::default(),
    );
    assert!(out.iter().all(|o| o.status == Status::Loaded), "{out:#?}");
    let rows = query(
        dir.path(),
        "SELECT period, region_name, dept_name, agency_name, project_code, func_code, amount, \
         prior_budget, prior_outturn FROM draft_budget ORDER BY project_code",
    );
    assert_eq!(
        rows,
        [
            [
                "2026",
                "鹿城区",
                "教育局",
                "鹿城区第一中学",
                "33030201001",
                "2050203",
                "1205000.00",
                "1000000.00",
                "952000.00"
            ],
            [
                "2026",
                "鹿城区",
                "教育局",
                "鹿城区第一中学",
                "33030201002",
                "2050203",
                "3000000.00",
                "3000000.00",
                "600000.00"
            ],
            // 80.0001 万元 is 800,001.00 元 exactly.
            [
                "2026",
                "鹿城区",
                "教育局",
                "鹿城区实验小学",
                "33030202001",
                "2050202",
                "800001.00",
                "780000.00",
                "775000.00"
            ],
        ]
    );
    let rows = query(
        dir.path(),
        "SELECT region_name, budget_kind, sum(amount), sum(prior_budget), sum(prior_outturn) \
         FROM draft_revenue WHERE is_detail GROUP BY region_name, budget_kind",
    );
    assert_eq!(
        rows,
        [[
            "平阳县",
            "一般公共预算",
            "690000000.00",
            "600000000.00",
            "610000000.00"
        ]]
    );
    let o = Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["review", "--year", "2026", "--dry-run", "--data-dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("review.html"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("review of 2026: 2 findings (not stored)"),
        "{err}"
    );
    let report = std::fs::read_to_string(dir.path().join("review.html")).unwrap();
    for want in [
        "鹿城区第一中学智慧教室建设上年预算300.00万元仅执行60.00万元（20.0%），本年仍申请300.00万元",
        "绩效目标“提升教学质量”未量化",
    ] {
        assert!(report.contains(want), "{want}");
    }
    assert!(
        !report.contains("预备费"),
        "one department's table has no reserve to judge"
    );
}
