//! Loading is atomic: a real `purse ingest` killed at any moment, or aborted at each step of the
//! commit, leaves the warehouse as it was or as the finished load would, never in between.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use purse::ingest::Options;

fn purse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_purse"))
}

#[test]
fn killing_ingest_mid_load_repeatedly_loses_nothing() {
    let reference = tempfile::tempdir().unwrap();
    ingest(reference.path(), &[fixture("demo")], &Options::default());
    let want = rows_by_dataset(reference.path());

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo_config(&data);
    // Kill at spread-out moments: during parsing, staging, commit and the moves after it.
    for ms in [30, 120, 260, 420, 650, 900, 1300, 1800, 2500, 3300] {
        let mut child = purse()
            .args(["ingest", "-q", "--data-dir"])
            .arg(&data)
            .arg(fixture("demo"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill(); // SIGKILL: no destructor, no cleanup
        let _ = child.wait();
        if data.join("purse.db").exists() {
            let now = assert_consistent(&data);
            for (ds, n) in &now {
                assert!(
                    *n <= want[ds],
                    "{ds}: {n} rows after a kill, more than a full load's {}",
                    want[ds]
                );
            }
        }
    }
    let status = purse()
        .args(["ingest", "-q", "--data-dir"])
        .arg(&data)
        .arg(fixture("demo"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(assert_consistent(&data), want);
}

fn sum_revenue(dir: &std::path::Path) -> String {
    query(dir, "SELECT sum(ytd_amount) FROM revenue WHERE is_detail")[0][0].clone()
}

/// Replaces March revenue with a corrected file in a process that aborts at `at`.
fn crash_at(at: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let first = ingest_one(dir.path(), fixture("demo/revenue/2025-03.csv"));
    assert!(first.load_id.is_some());
    let old = sum_revenue(dir.path());
    let corrected = corrected_revenue(dir.path(), 500.0);
    let out = purse()
        .args(["ingest", "-q", "--data-dir"])
        .arg(dir.path())
        .arg(&corrected)
        .env("PURSE_CRASH_AT", at)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the process should have aborted at {at}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("PURSE_CRASH_AT={at}")));
    assert_consistent(dir.path());
    (dir, old, sum_revenue_after(&corrected))
}

fn sum_revenue_after(corrected: &std::path::Path) -> String {
    let d = tempfile::tempdir().unwrap();
    ingest_one(d.path(), corrected.to_path_buf());
    sum_revenue(d.path())
}

#[test]
fn crash_before_commit_keeps_the_old_data() {
    let (dir, old, _) = crash_at("before-commit");
    assert_eq!(sum_revenue(dir.path()), old);
    let wh = purse::warehouse::Warehouse::open_read(dir.path()).unwrap();
    assert_eq!(wh.loads(1).unwrap()[0].status, "aborted");
}

#[test]
fn crash_after_commit_rolls_forward_to_the_new_data() {
    let (dir, old, new) = crash_at("after-commit");
    assert_ne!(old, new);
    assert_eq!(sum_revenue(dir.path()), new);
    assert_eq!(rows_by_dataset(dir.path())["revenue"], 19);
}

#[test]
fn crash_between_moves_rolls_forward_too() {
    let (dir, _, new) = crash_at("mid-move");
    assert_eq!(sum_revenue(dir.path()), new);
    assert_eq!(parquet_files(dir.path()).len(), 1);
}
