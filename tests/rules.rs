//! Each rule's SQL, tested the way DataFusion tests its own: sqllogictest files under
//! `tests/rules/`, one per rule, with rows that must fire and rows that must not.
//!
//! The files insert rows into the canonical tables (empty, all columns nullable), then
//! `RULE <id> <period> [param=value ...]` runs the rule through the same runner `purse check`
//! uses and returns `alert_key, level, value, expected, difference, message`, sorted; a rule
//! that cannot judge the period returns one row `(not evaluated) <reason>`, and a rule that
//! fails (two rows with one key) is a `statement error`. Every rule must have a file.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use purse::datasets::Catalog;
use purse::rules::{ParamValue, RuleSet};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

#[derive(Debug)]
struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(e: impl std::fmt::Display) -> Error {
    Error(e.to_string())
}

struct PurseDb {
    ctx: SessionContext,
    rules: RuleSet,
}

impl PurseDb {
    async fn new() -> Result<PurseDb, Error> {
        let catalog = Catalog::builtin();
        let ctx = SessionContext::new();
        for ds in &catalog.datasets {
            // The canonical schema, every column nullable so a test inserts only what it needs.
            let fields: Vec<Field> = purse::engine::table_schema(ds)
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect();
            let table =
                MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]]).map_err(err)?;
            ctx.register_table(&ds.name, Arc::new(table)).map_err(err)?;
        }
        let rules = RuleSet::builtin(&catalog, &Default::default()).map_err(err)?;
        Ok(PurseDb { ctx, rules })
    }

    /// `RULE <id> <period> [param=value ...]`
    async fn rule(&self, line: &str) -> Result<DBOutput<DefaultColumnType>, Error> {
        let mut words = line.split_whitespace().skip(1);
        let id = words.next().ok_or_else(|| err("RULE needs an id"))?;
        let period = words.next().ok_or_else(|| err("RULE needs a period"))?;
        let mut rule = self
            .rules
            .get(id)
            .ok_or_else(|| err(format!("no rule {id}")))?
            .clone();
        for kv in words {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| err(format!("{kv}: expected param=value")))?;
            if !rule.params.contains_key(k) {
                return Err(err(format!("rule {id} has no parameter {k}")));
            }
            let v = match v.parse::<f64>() {
                Ok(_) => ParamValue::Number(v.to_string()),
                Err(_) => ParamValue::Text(v.to_string()),
            };
            rule.params.insert(k.to_string(), v);
        }
        let period = period.parse().map_err(err)?;
        let run = purse::rules::runner::run_rule(&self.ctx, &rule, period)
            .await
            .map_err(err)?;
        let mut rows: Vec<Vec<String>> = run
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.alert_key.clone(),
                    f.level.clone(),
                    f.value.clone().unwrap_or_else(|| "-".into()),
                    f.expected.clone().unwrap_or_else(|| "-".into()),
                    f.difference.clone().unwrap_or_else(|| "-".into()),
                    f.message_zh.clone(),
                ]
            })
            .collect();
        if let purse::rules::runner::Outcome::NotEvaluated(reason) = &run.outcome {
            rows.push(vec![
                "(not evaluated)".into(),
                reason.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        }
        rows.sort();
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Text; 6],
            rows,
        })
    }
}

#[async_trait]
impl AsyncDB for PurseDb {
    type Error = Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Error> {
        let sql = sql.trim();
        if sql.starts_with("RULE ") {
            return self.rule(sql).await;
        }
        let df = self.ctx.sql(sql).await.map_err(err)?;
        let is_query = df.schema().fields().iter().all(|f| f.name() != "count");
        let batches = df.collect().await.map_err(err)?;
        if !is_query {
            return Ok(DBOutput::StatementComplete(0));
        }
        let rows = purse::output::rows(&batches);
        let width = rows.first().map(|r| r.len()).unwrap_or(0);
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; width],
            rows,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "purse-datafusion"
    }
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/rules")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    // `cargo test --test rules -- --complete`: rewrite each file's expected results from what the
    // rules return now (then read the diff: it is the test's claim).
    let complete = std::env::args().any(|a| a == "--complete");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (mut passed, mut failed) = (0, 0);
    // Every rule has its own test file.
    let rules =
        RuleSet::builtin(&Catalog::builtin(), &Default::default()).expect("rule pack loads");
    for r in &rules.rules {
        if !files
            .iter()
            .any(|f| f.file_stem().is_some_and(|s| s == r.id.as_str()))
        {
            println!("FAIL {}: no tests/rules/{}.slt", r.id, r.id);
            failed += 1;
        }
    }
    // Every column a rule returns reads in words where people see it (the report, the alert
    // page): it has a label, or it is a helper of the message (left out there).
    let unlabelled: Vec<String> = rt.block_on(async {
        let db = PurseDb::new().await.expect("empty tables");
        let mut out = Vec::new();
        for r in &rules.rules {
            let df = purse::rules::runner::bound(&db.ctx, r, "2025-12".parse().unwrap())
                .await
                .expect("plans and binds");
            for f in df.schema().fields() {
                let c = f.name();
                if purse::rules::labels::label(c, purse::i18n::Lang::Zh).is_none()
                    && !purse::rules::labels::is_helper(c)
                {
                    out.push(format!("{}.{c}", r.id));
                }
            }
        }
        out
    });
    if unlabelled.is_empty() {
        println!("ok   every output column is labelled");
        passed += 1;
    } else {
        println!(
            "FAIL columns without a label in src/rules/labels.rs: {}",
            unlabelled.join(", ")
        );
        failed += 1;
    }
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        if filter.as_ref().is_some_and(|x| !name.contains(x.as_str())) {
            continue;
        }
        let res: Result<(), String> = rt.block_on(async {
            let mut runner = Runner::new(|| async { PurseDb::new().await });
            if complete {
                runner
                    .update_test_file(
                        &f,
                        " ",
                        sqllogictest::default_validator,
                        sqllogictest::default_normalizer,
                        sqllogictest::default_column_validator,
                    )
                    .await
                    .map_err(|e| e.to_string())
            } else {
                runner.run_file_async(&f).await.map_err(|e| e.to_string())
            }
        });
        match res {
            Ok(()) => {
                println!("ok   {name}");
                passed += 1;
            }
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
