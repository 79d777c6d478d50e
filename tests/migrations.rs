//! `purse.db` migrates forward: a database from before a column existed gets it when a store
//! opens it, the step is recorded, and a database from a newer purse is refused, not rewritten.

use purse::alerts::AlertStore;

fn columns(dir: &std::path::Path, table: &str) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("purse.db")).unwrap();
    let mut st = db
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn an_older_database_is_brought_up_to_date_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(AlertStore::open(dir.path()).unwrap());
    let db = rusqlite::Connection::open(dir.path().join("purse.db")).unwrap();
    let version = |db: &rusqlite::Connection| purse::db::version(db, "alerts").unwrap();
    // Five steps: the schema, 0.2's columns, terms, resolved_in, evidence files.
    assert_eq!(version(&db), 5);
    // Make it look like a database from the first release: no region column, no record.
    db.execute_batch(
        "ALTER TABLE alerts DROP COLUMN region_code; DELETE FROM schema_migrations WHERE store = 'alerts';",
    )
    .unwrap();
    assert!(!columns(dir.path(), "alerts").contains(&"region_code".to_string()));
    assert_eq!(version(&db), 0);

    drop(AlertStore::open(dir.path()).unwrap());
    assert!(columns(dir.path(), "alerts").contains(&"region_code".to_string()));
    // Terms and evidence rows came with the third step.
    assert!(columns(dir.path(), "alerts").contains(&"term".to_string()));
    assert!(columns(dir.path(), "alert_periods").contains(&"evidence_rows".to_string()));
    // Rectification evidence files came with the fifth.
    assert_eq!(
        columns(dir.path(), "alert_evidence"),
        [
            "id", "alert_id", "file", "name", "sha256", "bytes", "actor", "at"
        ]
    );
    assert_eq!(version(&db), 5);
    // Opening again changes nothing.
    drop(AlertStore::open(dir.path()).unwrap());
    assert_eq!(version(&db), 5);

    db.execute(
        "UPDATE schema_migrations SET version = 7 WHERE store = 'alerts'",
        [],
    )
    .unwrap();
    let err = AlertStore::open(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("schema version 7 of `alerts`") && err.contains("newer than this build"),
        "{err}"
    );
    // Other stores are not held back by it.
    purse::users::Users::open(dir.path()).unwrap();
}
