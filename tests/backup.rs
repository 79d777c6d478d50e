//! `purse backup` and `purse verify`, as an operator runs them: a backup of a live directory is
//! a data directory that answers exactly as the original did, taken while loads go on; damage
//! is named file by file.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::fixture;

fn purse(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Revenue and debt of the demo, checked for June: loads, parts, alerts and their evidence.
fn small_region(d: &Path) {
    common::demo_config(d);
    let o = purse(
        &[
            "ingest",
            "-q",
            fixture("demo/revenue").to_str().unwrap(),
            fixture("demo/debt").to_str().unwrap(),
            fixture("demo/budget_execution").to_str().unwrap(),
        ],
        d,
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = purse(&["check", "--period", "2025-06"], d);
    assert!(o.status.success(), "{}", out(&o));
}

/// March's revenue, 累计 summed over every row, as `purse query` gives it.
fn march_revenue(d: &Path) -> f64 {
    let sql = "SELECT sum(ytd_amount) FROM revenue WHERE period = '2025-03'";
    let o = purse(&["query", "--format", "csv", sql], d);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("{}", out(&o)))
}

/// What a user sees of a directory: the load manifest, the alerts, and every dataset's rows
/// and amounts.
fn seen(d: &Path) -> Vec<String> {
    let mut v = vec![];
    for args in [
        vec!["loads", "--json"],
        vec!["alerts", "--format", "json", "--period", "2025-06"],
        vec![
            "query",
            "--format",
            "csv",
            "SELECT 'revenue', count(*), sum(ytd_amount) FROM revenue UNION ALL SELECT 'execution', count(*), sum(ytd_amount) FROM budget_execution ORDER BY 1",
        ],
    ] {
        let o = purse(&args, d);
        assert!(o.status.success(), "{args:?}: {}", out(&o));
        v.push(String::from_utf8_lossy(&o.stdout).into_owned());
    }
    v
}

#[test]
fn a_backup_answers_as_the_directory_did_and_keeps_replaced_parts_for_a_retraction() {
    let t = tempfile::tempdir().unwrap();
    let d = &t.path().join("data");
    small_region(d);
    // A corrected March: the first March part is replaced (kept under superseded/).
    let fixed = common::corrected_revenue(t.path(), 1000.0);
    let o = purse(&["ingest", "-q", fixed.to_str().unwrap()], d);
    assert!(o.status.success(), "{}", out(&o));
    let before = seen(d);

    let b = &t.path().join("backups").join("2026-12-07");
    let o = purse(&["backup", b.to_str().unwrap(), "--verify"], d);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("and 1 replaced"), "{text}");
    assert!(text.contains("nothing damaged"), "{text}");
    assert!(b.join("BACKUP.json").is_file());
    assert!(b.join("purse.toml").is_file());
    assert!(!b.join("staging").exists());
    assert_eq!(seen(b), before, "the backup answers as the directory did");

    // The backup is a data directory of its own: retracting the correction there brings the
    // replaced March back, 1000 元 less on both 增值税 and its 类 (the sum of the column).
    let loads: serde_json::Value =
        serde_json::from_slice(&purse(&["loads", "--json"], b).stdout).unwrap();
    let id = common::load_id(&loads, |l| common::file_ends_with(l, "2025-03-更正.csv"));
    let corrected = march_revenue(b);
    let o = purse(
        &["loads", "retract", &id.to_string(), "--reason", "恢复演练"],
        b,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        (corrected - march_revenue(b) - 2000.0).abs() < 0.005,
        "{corrected} vs {}",
        march_revenue(b)
    );
    // The original is untouched by what was done to its backup.
    assert_eq!(seen(d), before);
}

#[test]
fn verify_names_each_damaged_or_missing_part_and_a_backup_refuses_to_copy_damage() {
    let t = tempfile::tempdir().unwrap();
    let d = &t.path().join("data");
    small_region(d);
    let o = purse(&["verify"], d);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("nothing damaged"), "{text}");
    // Every part written by this build has its checksum.
    let parts = common::parquet_files(d);
    assert!(
        text.contains(&format!(
            "{} live parts read ({} compared",
            parts.len(),
            parts.len()
        )),
        "{text}"
    );

    // One byte flipped in one part, another part gone.
    let flipped = d.join("warehouse").join(&parts[0]);
    let mut bytes = std::fs::read(&flipped).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&flipped, bytes).unwrap();
    let gone = d.join("warehouse").join(&parts[parts.len() - 1]);
    std::fs::remove_file(&gone).unwrap();
    let o = purse(&["verify"], d);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("DAMAGED {}: SHA-256 ", flipped.display()))
            && text.contains("was recorded when it was written"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "DAMAGED {}: missing: the manifest says this part is live",
            gone.display()
        )),
        "{text}"
    );
    assert!(text.contains("2 problem(s)"), "{text}");

    // A backup does not quietly copy the damage, and leaves no half-written folder.
    let b = t.path().join("bk");
    let o = purse(&["backup", b.to_str().unwrap()], d);
    assert!(!o.status.success());
    assert!(out(&o).contains("is missing from"), "{}", out(&o));
    assert!(!b.exists());
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// 整改材料 travel with a backup and are verified: a file changed or gone after it was kept is
/// named with its item and why.
#[test]
fn evidence_files_are_backed_up_and_each_damaged_or_missing_one_is_named() {
    let t = tempfile::tempdir().unwrap();
    let d = &t.path().join("data");
    small_region(d);
    let ids: Vec<i64> = {
        let mut s = purse::alerts::AlertStore::open(d).unwrap();
        let ids: Vec<i64> = s
            .list(&purse::alerts::Filter::default())
            .unwrap()
            .iter()
            .filter(|a| a.status.is_open())
            .take(2)
            .map(|a| a.id)
            .collect();
        assert_eq!(ids.len(), 2, "June's check opens alerts");
        s.add_evidence(ids[0], "整改报告.txt", b"report", "analyst")
            .unwrap();
        s.add_evidence(ids[1], "凭证.txt", b"voucher", "analyst")
            .unwrap();
        ids
    };
    let o = purse(&["verify"], d);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("2 evidence files compared: nothing damaged"),
        "{text}"
    );
    // The backup holds them as they were kept.
    let b = t.path().join("bk");
    let o = purse(&["backup", b.to_str().unwrap(), "--verify"], d);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("2 evidence files compared: nothing damaged"),
        "{}",
        out(&o)
    );
    // sha256("report")[..16] and sha256("voucher")[..16], from Python's hashlib.
    let report = d.join(format!(
        "evidence/alerts/{}/845e91831319e89c-整改报告.txt",
        ids[0]
    ));
    let voucher = d.join(format!(
        "evidence/alerts/{}/8923fedfd16a77b1-凭证.txt",
        ids[1]
    ));
    assert_eq!(
        std::fs::read(b.join(report.strip_prefix(d).unwrap())).unwrap(),
        b"report"
    );
    std::fs::write(&report, b"rep0rt").unwrap();
    std::fs::remove_file(&voucher).unwrap();
    let o = purse(&["verify"], d);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "DAMAGED {} (alert #{}'s evidence): SHA-256 ",
            report.display(),
            ids[0]
        )) && text.contains("was recorded when it was kept"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "DAMAGED {} (alert #{}'s evidence): missing: the workflow lists it",
            voucher.display(),
            ids[1]
        )),
        "{text}"
    );
    assert!(text.contains("2 problem(s)"), "{text}");
}

#[test]
fn a_backup_goes_into_a_new_folder_outside_the_directory() {
    let t = tempfile::tempdir().unwrap();
    let d = &t.path().join("data");
    small_region(d);
    let full = t.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("x"), "x").unwrap();
    let refused = |to: &Path, why: &str| {
        let o = purse(&["backup", to.to_str().unwrap()], d);
        assert_eq!(o.status.code(), Some(2), "{}", out(&o));
        assert!(out(&o).contains(why), "{}", out(&o));
    };
    refused(&full, "already exists and is not empty");
    let inside = d.join("backups").join("b1");
    refused(&inside, "is inside the data directory");
    assert!(!inside.exists());
    let empty = tempfile::tempdir().unwrap();
    let o = purse(
        &["backup", t.path().join("nodata").to_str().unwrap()],
        empty.path(),
    );
    assert!(
        out(&o).contains("is not a purse data directory"),
        "{}",
        out(&o)
    );
}

/// Backups taken again and again while corrected files are loaded: each one is whole (verify
/// finds nothing damaged) and holds one of the states the directory passed through, never a mix.
#[test]
fn backups_taken_during_loads_are_each_one_consistent_state() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("data");
    small_region(&d);
    let base = march_revenue(&d);
    let files: Vec<_> = (1..=3)
        .map(|k| {
            let dir = t.path().join(format!("fix{k}"));
            std::fs::create_dir_all(&dir).unwrap();
            common::corrected_revenue(&dir, 1000.0 * k as f64)
        })
        .collect();
    let loader = {
        let d = d.clone();
        std::thread::spawn(move || {
            for f in files {
                let o = purse(&["ingest", "-q", f.to_str().unwrap()], &d);
                assert!(o.status.success(), "{}", out(&o));
            }
        })
    };
    let mut taken = 0;
    while !loader.is_finished() || taken < 2 {
        let b = t.path().join(format!("bk{taken}"));
        let o = purse(&["backup", b.to_str().unwrap(), "--verify"], &d);
        assert!(o.status.success(), "{}", out(&o));
        assert!(out(&o).contains("nothing damaged"), "{}", out(&o));
        // 增值税 and its 类 total both carry the correction: 0, 2000, 4000 or 6000 more.
        let delta = march_revenue(&b) - base;
        assert!(
            [0.0, 2000.0, 4000.0, 6000.0]
                .iter()
                .any(|x| (delta - x).abs() < 0.005),
            "backup {taken}: March revenue {delta} above the first delivery"
        );
        taken += 1;
    }
    loader.join().unwrap();
}
