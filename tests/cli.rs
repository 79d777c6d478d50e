//! The command line as a user runs it: exit codes, human and machine-readable output.

mod common;

use std::process::{Command, Output};

use common::fixture;

fn purse(args: &[&str], data: &std::path::Path) -> Output {
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
        text(&made).0.contains("revenue 228, debt 144"),
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
    assert_eq!(statuses.iter().filter(|s| **s == "loaded").count(), 24);
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
