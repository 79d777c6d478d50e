//! The same warehouse and rules on Apache DataFusion Ballista: a scheduler and two executors on
//! loopback (purse's own `cluster::scheduler` / `cluster::executor`, as `purse scheduler` and
//! `purse executor` start them), the whole rule pack over the twelve demo months, and exactly
//! the findings of the local engine. Built only with `--features ballista`
//! (`cargo test --features ballista --test ballista`; `.ci/run` runs it).

#![cfg(feature = "ballista")]

mod common;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use common::{fixture, ingest};
use purse::check::CheckSession;
use purse::datasets::Catalog;
use purse::engine::EngineUrl;
use purse::ingest::Options;
use purse::rules::RuleSet;
use purse::rules::runner::Outcome;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// (rule, key, level, value, expected, message) of every finding, and each rule's outcome.
type Seen = (
    BTreeSet<(String, String, String, String, String, String)>,
    BTreeSet<(String, String)>,
);

async fn run_pack(on: &EngineUrl, dir: &std::path::Path) -> Seen {
    let catalog = Catalog::builtin();
    let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rules = purse::check::select(&set, &[]).unwrap();
    let session = CheckSession::open_on(on, dir, &catalog).await.unwrap();
    let (mut findings, mut outcomes) = (BTreeSet::new(), BTreeSet::new());
    for m in 1..=12 {
        let p = format!("2025-{m:02}");
        let res = session
            .check(dir, &rules, p.parse().unwrap(), true)
            .await
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        for r in &res.runs {
            let o = match &r.outcome {
                Outcome::Evaluated => "evaluated".to_string(),
                Outcome::NotEvaluated(why) => why.clone(),
            };
            outcomes.insert((format!("{p} {}", r.rule_id), o));
            for f in &r.findings {
                findings.insert((
                    format!("{p} {}", f.rule_id),
                    f.alert_key.clone(),
                    f.level.clone(),
                    f.value.clone().unwrap_or_default(),
                    f.expected.clone().unwrap_or_default(),
                    f.message_zh.clone(),
                ));
            }
        }
    }
    (findings, outcomes)
}

/// Plans travel as nested protobuf and are walked recursively by the scheduler and executors:
/// an unoptimised build needs deeper stacks than tokio's default 2 MiB (the release binary's
/// `purse scheduler` / `purse executor` get 16 MiB too).
#[test]
fn the_pack_on_a_scheduler_and_two_executors_finds_what_the_local_engine_finds() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(32 << 20)
        .enable_all()
        .build()
        .unwrap()
        .block_on(pack_on_two_executors());
}

async fn pack_on_two_executors() {
    let dir = tempfile::tempdir().unwrap();
    // A job left pending fails its rule after this long (a rule takes seconds here), naming the
    // rule and period, instead of the test never ending.
    purse::rules::runner::set_cluster_job_limit(Duration::from_secs(60));
    ingest(dir.path(), &[fixture("demo")], &Options::default());

    let scheduler: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    tokio::spawn(purse::cluster::scheduler(scheduler));
    for k in 0..2 {
        let o = purse::cluster::ExecutorOptions {
            bind: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
            grpc_port: free_port(),
            scheduler_host: "127.0.0.1".into(),
            scheduler_port: scheduler.port(),
            work_dir: Some(dir.path().join(format!("executor-{k}"))),
            concurrent_tasks: Some(2),
        };
        tokio::spawn(purse::cluster::executor(o));
    }
    let on = EngineUrl::Ballista {
        host: "127.0.0.1".into(),
        port: scheduler.port(),
    };
    // Ready when a query over the warehouse comes back through the cluster.
    let t0 = Instant::now();
    loop {
        let ready = async {
            let (ctx, _) =
                purse::engine::session_and_parts_on(&on, dir.path(), &Catalog::builtin()).await?;
            purse::engine::query(&ctx, "SELECT count(*) FROM budget_execution").await
        };
        match tokio::time::timeout(Duration::from_secs(20), ready).await {
            Ok(Ok(b)) if !b.is_empty() => break,
            _ if t0.elapsed() > Duration::from_secs(90) => panic!("the cluster never answered"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }

    // A scheduler that is not there is named, not a transport error from inside a rule.
    let closed = EngineUrl::Ballista {
        host: "127.0.0.1".into(),
        port: free_port(),
    };
    let e = purse::engine::session_and_parts_on(&closed, dir.path(), &Catalog::builtin())
        .await
        .err()
        .expect("no scheduler there")
        .to_string();
    assert!(
        e.contains("does not answer") && e.contains("purse scheduler --bind"),
        "{e}"
    );

    let local = run_pack(&EngineUrl::Local, dir.path()).await;
    let t1 = Instant::now();
    let distributed = run_pack(&on, dir.path()).await;
    eprintln!(
        "pack over 12 months on 1 scheduler + 2 executors: {:.1} s",
        t1.elapsed().as_secs_f64()
    );
    assert!(
        local.0.len() > 100,
        "the demo's findings: {}",
        local.0.len()
    );
    let missing: Vec<_> = local.0.difference(&distributed.0).take(5).collect();
    let extra: Vec<_> = distributed.0.difference(&local.0).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing on Ballista: {missing:#?}\nonly on Ballista: {extra:#?}"
    );
    assert_eq!(
        local.1, distributed.1,
        "each rule's outcome, month by month"
    );
}
