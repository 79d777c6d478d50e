//! The demo region end to end: the committed fixtures are what `purse gen` writes, every
//! extract loads, rows trace back to their source, re-ingesting is a no-op, and a corrected
//! file replaces the old one while the manifest keeps both.

mod common;

use std::collections::BTreeMap;

use common::*;
use purse::ingest::{Options, Status};
use purse::warehouse::Warehouse;

#[test]
fn committed_fixtures_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    // The generator is the binary's (`purse gen`), not the library's.
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["gen", "--scale", "1", "--seed", "2025", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut n = 0;
    for path in purse::ingest::expand_paths(&[dir.path().to_path_buf()]).unwrap() {
        let rel = path.strip_prefix(dir.path()).unwrap();
        let committed = std::fs::read(fixture("demo").join(rel))
            .unwrap_or_else(|_| panic!("{} not committed", rel.display()));
        assert!(
            committed == std::fs::read(&path).unwrap(),
            "{} differs from the generator's output: regenerate with `purse gen --out fixtures/demo`",
            rel.display()
        );
        n += 1;
    }
    assert_eq!(n, 110, "files (139 extracts, counting workbook sheets)");
    let manifest = std::fs::read_to_string(dir.path().join("anomalies.toml")).unwrap();
    assert_eq!(
        manifest,
        std::fs::read_to_string(fixture("demo/anomalies.toml")).unwrap()
    );
}

#[test]
fn demo_region_loads_completely_and_reloading_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(dir.path(), &[fixture("demo")], &Options::default());
    let bad: Vec<_> = out.iter().filter(|o| o.status != Status::Loaded).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(out.len(), 139);
    let expected: BTreeMap<String, i64> = [
        ("allocations", 645),
        ("audit_findings", 12),
        ("balances", 48),
        ("bonds", 39),
        ("budget_execution", 18264 + 3 * 4956),
        ("carryovers", 60),
        ("draft_budget", 1494),
        ("draft_revenue", 12),
        ("debt", 144),
        ("final_accounts", 49),
        ("indicators", 320),
        ("payments", 28159),
        ("procurement", 164),
        ("projects", 96),
        ("publications", 13),
        ("revenue", 266),
        ("soe_finance", 96),
        ("special_funds", 84),
        ("targets", 6),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(rows_by_dataset(dir.path()), expected);
    // No totals row, note or signature was loaded as data.
    let r = query(
        dir.path(),
        "SELECT count(*) FROM budget_execution WHERE agency_code IS NULL OR func_code IS NULL",
    );
    assert_eq!(r[0][0], "0");
    // The four budget kinds came from the GBK column in H1 and from the sheet titles in H2.
    let r = query(
        dir.path(),
        "SELECT count(DISTINCT budget_kind), count(DISTINCT period) FROM budget_execution WHERE year = 2025 AND month > 6",
    );
    assert_eq!(r[0], vec!["4", "6"]);
    // Amounts came in 万元 and are stored exactly in 元.
    let r = query(
        dir.path(),
        "SELECT sum(ytd_amount), arrow_typeof(sum(ytd_amount)) FROM budget_execution WHERE period = '2025-12'",
    );
    assert!(
        r[0][0].ends_with(".00") && r[0][1].starts_with("Decimal128"),
        "{r:?}"
    );

    let files = parquet_files(dir.path());
    let again = ingest(dir.path(), &[fixture("demo")], &Options::default());
    assert!(
        again.iter().all(|o| o.status == Status::Unchanged),
        "re-ingest changed something"
    );
    assert_eq!(parquet_files(dir.path()), files);
}

/// Every stored row points at its file and row: check one against the GBK source text.
#[test]
fn rows_trace_to_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("demo/budget_execution/2025-03.csv");
    assert_eq!(ingest_one(dir.path(), src.clone()).status, Status::Loaded);
    let r = query(
        dir.path(),
        "SELECT source_row, agency_code, func_code, ytd_amount FROM budget_execution ORDER BY source_row DESC LIMIT 1",
    );
    let row: usize = r[0][0].parse().unwrap();
    let text = encoding_rs::GBK
        .decode(&std::fs::read(&src).unwrap())
        .0
        .into_owned();
    let line: Vec<&str> = text.lines().nth(row - 1).unwrap().split(',').collect();
    assert_eq!(line[3], r[0][1], "agency code on line {row}");
    assert!(line[5].starts_with(&r[0][2]), "function code on line {row}");
    // 万元 in the file, 元 in the warehouse: 12.34 万元 = 123400.00 元.
    let wan: f64 = line[13].parse().unwrap();
    let yuan: f64 = r[0][3].parse().unwrap();
    assert!(
        (wan * 10_000.0 - yuan).abs() < 0.005,
        "{wan} 万元 vs {yuan} 元"
    );
    let wh = Warehouse::open_read(dir.path()).unwrap();
    let l = &wh.loads(1).unwrap()[0];
    assert!(l.file.ends_with("budget_execution/2025-03.csv") && l.sheet.is_none());
}

#[test]
fn a_corrected_file_replaces_the_old_and_the_manifest_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let first = ingest_one(dir.path(), fixture("demo/revenue/2025-03.csv"));
    let before = query(
        dir.path(),
        "SELECT sum(ytd_amount) FROM revenue WHERE is_detail",
    );
    // The bureau re-sends March with 增值税 corrected by 1,000.00 元 (and its 类 total).
    let corrected = corrected_revenue(dir.path(), 1000.0);
    let second = ingest_one(dir.path(), corrected);
    assert_eq!(second.status, Status::Loaded, "{second:#?}");
    assert_eq!(second.replaced.len(), 1);
    assert_eq!(second.replaced[0].load_id, first.load_id.unwrap());
    let after = query(
        dir.path(),
        "SELECT sum(ytd_amount) FROM revenue WHERE is_detail",
    );
    let (b, a): (f64, f64) = (before[0][0].parse().unwrap(), after[0][0].parse().unwrap());
    assert!((a - b - 1000.0).abs() < 0.001, "{b} → {a}");
    assert_eq!(rows_by_dataset(dir.path())["revenue"], 19);
    let wh = Warehouse::open_read(dir.path()).unwrap();
    let loads = wh.loads(10).unwrap();
    assert_eq!(loads.len(), 2);
    assert!(loads.iter().all(|l| l.status == "accepted"));
    // The old file is kept aside, not deleted.
    let old = format!(
        "superseded/revenue/period=2025-03/load-{}.parquet",
        first.load_id.unwrap()
    );
    assert!(dir.path().join(old).exists());
    assert_eq!(parquet_files(dir.path()).len(), 1);
}

#[test]
fn deployment_aliases_extend_the_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("purse.toml"),
        "region_code = \"440100\"\nregion_name = \"广州市\"\n[aliases]\n\"revenue.ytd_amount\" = [\"本年累计完成\"]\n",
    )
    .unwrap();
    let f = dir.path().join("in.csv");
    std::fs::write(
        &f,
        "2025年4月收入\n收入科目编码,本年累计完成\n10101,1234.50\n",
    )
    .unwrap();
    let o = ingest_one(dir.path(), f);
    assert_eq!(o.status, Status::Loaded, "{o:#?}");
    let r = query(
        dir.path(),
        "SELECT region_code, region_name, budget_kind, ytd_amount, period FROM revenue",
    );
    assert_eq!(
        r[0],
        vec!["440100", "广州市", "一般公共预算", "1234.50", "2025-04"]
    );
}
