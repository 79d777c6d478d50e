//! The demo region's planted anomalies (fixtures/demo/anomalies.toml) are all found, each from
//! the period it was planted in, and nothing else is: no false alarm on the clean units.
//! Then the lifecycle as a user runs it: re-running a month updates the same alerts, workflow
//! actions move an alert and refuse illegal moves, every change is in the audit trail.

mod common;

use common::*;
use purse::alerts::{Action, AlertStore, Filter, Status};
use purse::datasets::Catalog;
use purse::ingest::Options;
use purse::rules::RuleSet;

#[derive(serde::Deserialize)]
struct Manifest {
    anomaly: Vec<Planted>,
}

#[derive(serde::Deserialize, Debug)]
struct Planted {
    rule: String,
    key: String,
    from_period: String,
}

fn matches(p: &Planted, rule: &str, alert_key: &str) -> bool {
    let parts: Vec<&str> = alert_key.split('|').collect();
    p.rule == rule
        && p.key
            .split('|')
            .all(|kv| parts.contains(&kv.split_once('=').map(|x| x.1).unwrap_or(kv)))
}

#[test]
fn every_planted_anomaly_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    ingest(dir.path(), &[fixture("demo")], &Options::default());
    let catalog = Catalog::builtin();
    let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rules = purse::check::select(&set, &[]).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The months through one session, as `purse check --period 2025-01..2025-12` runs them
    // (coverage and each rule's plan reused across months).
    let session = rt
        .block_on(purse::check::CheckSession::open(dir.path(), &catalog))
        .unwrap();
    rt.block_on(session.validate(&set)).unwrap();
    for m in 1..=12 {
        let p = format!("2025-{m:02}");
        rt.block_on(session.check(dir.path(), &rules, p.parse().unwrap(), false))
            .unwrap();
    }
    // The annual review of 2026, as `purse review --year 2026` runs it: the draft in January
    // 2026, the 2024 final accounts at their year's end.
    let review = rt
        .block_on(purse::review::run(
            &session,
            dir.path(),
            &set,
            2026,
            "示范市",
            false,
        ))
        .unwrap();
    assert!(review.not_reviewed.is_empty(), "{:?}", review.not_reviewed);
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(fixture("demo/anomalies.toml")).unwrap()).unwrap();
    let store = AlertStore::open(dir.path()).unwrap();
    let alerts = store.list(&Filter::default()).unwrap();
    let mut problems = Vec::new();
    for p in &manifest.anomaly {
        match alerts
            .iter()
            .filter(|a| matches(p, &a.rule_id, &a.alert_key))
            .collect::<Vec<_>>()
            .as_slice()
        {
            [a] if a.first_period.to_string() == p.from_period => {}
            [a] => problems.push(format!(
                "{} {}: first seen {}, planted from {}",
                p.rule, p.key, a.first_period, p.from_period
            )),
            [] => problems.push(format!(
                "missed: {} {} from {}",
                p.rule, p.key, p.from_period
            )),
            many => problems.push(format!(
                "{} {} matched {} alerts",
                p.rule,
                p.key,
                many.len()
            )),
        }
    }
    for a in &alerts {
        if !manifest
            .anomaly
            .iter()
            .any(|p| matches(p, &a.rule_id, &a.alert_key))
        {
            problems.push(format!(
                "false alarm: {} {} ({}) {}",
                a.rule_id, a.alert_key, a.first_period, a.message_zh
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every rule of the pack has something planted for it.
    for r in &set.rules {
        assert!(
            manifest.anomaly.iter().any(|p| p.rule == r.id)
                || r.id.starts_with("pefa_pi1")
                || r.id.starts_with("pefa_pi2"),
            "nothing planted for {}",
            r.id
        );
    }
}

#[test]
fn the_same_finding_next_month_is_the_same_alert_and_the_workflow_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    ingest(dir.path(), &[fixture("demo/debt")], &Options::default());
    let catalog = Catalog::builtin();
    let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rules = purse::check::select(&set, &["debt_ratio".to_string()]).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s1 = rt
        .block_on(purse::check::check(
            dir.path(),
            &catalog,
            &rules,
            "2025-01".parse().unwrap(),
            false,
        ))
        .unwrap()
        .summary
        .unwrap();
    let s2 = rt
        .block_on(purse::check::check(
            dir.path(),
            &catalog,
            &rules,
            "2025-02".parse().unwrap(),
            false,
        ))
        .unwrap()
        .summary
        .unwrap();
    assert_eq!((s1.new_alerts, s2.new_alerts, s2.continuing), (3, 0, 3));
    let mut store = AlertStore::open(dir.path()).unwrap();
    let all = store.list(&Filter::default()).unwrap();
    assert_eq!(all.len(), 3);
    let red = all.iter().find(|a| a.level == "红").unwrap();
    assert_eq!(
        (
            red.first_period.to_string(),
            red.last_period.to_string(),
            red.months_open
        ),
        ("2025-01".to_string(), "2025-02".to_string(), 2)
    );
    assert_eq!(store.history(red.id).unwrap().len(), 2);

    // Illegal: close before rectification.
    let e = store
        .act(
            red.id,
            &Action::Close {
                evidence: "done".into(),
            },
            "analyst",
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot close alert")
            && e.contains("Allowed now: ack, rectify, dismiss, comment"),
        "{e}"
    );
    store.act(red.id, &Action::Ack, "analyst").unwrap();
    let due = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    store
        .act(
            red.id,
            &Action::Rectify {
                owner: "北山县财政局".into(),
                due,
            },
            "analyst",
        )
        .unwrap();
    let e = store
        .act(red.id, &Action::Ack, "analyst")
        .unwrap_err()
        .to_string();
    assert!(e.contains("it is 整改中 (rectifying)"), "{e}");
    assert!(
        store
            .act(
                red.id,
                &Action::Close {
                    evidence: " ".into()
                },
                "analyst"
            )
            .is_err()
    );
    let closed = store
        .act(
            red.id,
            &Action::Close {
                evidence: "化债方案已批复".into(),
            },
            "chief",
        )
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    let trail: Vec<(String, String)> = store
        .events(red.id)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.to_status.unwrap_or_default()))
        .collect();
    assert_eq!(
        trail,
        [
            ("created", "new"),
            ("ack", "acknowledged"),
            ("rectify", "rectifying"),
            ("close", "closed")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Still in the data next month: a closed alert comes back as new, with the reason recorded.
    let s3 = rt
        .block_on(purse::check::check(
            dir.path(),
            &catalog,
            &rules,
            "2025-03".parse().unwrap(),
            false,
        ))
        .unwrap()
        .summary
        .unwrap();
    assert_eq!(s3.reopened, 1);
    assert_eq!(store.get(red.id).unwrap().status, Status::New);

    // Dismissed alerts stay dismissed while the data shows them.
    let yellow = all.iter().find(|a| a.level == "黄").unwrap();
    store
        .act(
            yellow.id,
            &Action::Dismiss {
                reason: "口径调整".into(),
            },
            "analyst",
        )
        .unwrap();
    rt.block_on(purse::check::check(
        dir.path(),
        &catalog,
        &rules,
        "2025-04".parse().unwrap(),
        false,
    ))
    .unwrap();
    assert_eq!(store.get(yellow.id).unwrap().status, Status::Dismissed);
}
