//! The closed loop's problem list (两张清单): an item walks from entry to 销号 through the
//! committee and the responsible unit, with a send-back, evidence kept by hash and a
//! satisfaction rating that reopens it; steps its status does not allow are refused with what is
//! allowed; overdue is judged at the day boundary; alerts join the list once.

mod common;

use chrono::NaiveDate;
use common::{fixture, ingest};
use purse::problems::{Filter, NewProblem, ProblemStore, Rating, Source, Status, Step};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn item(source_ref: &str, unit: &str, due: &str) -> NewProblem {
    NewProblem {
        source: Source::Deliberation,
        source_ref: source_ref.into(),
        source_document: "关于2025年预算执行情况的审议意见".into(),
        title: "专项资金拨付迟缓".into(),
        detail: "部分专项资金下达后三个月未拨付".into(),
        region_code: Some("990100".into()),
        unit: unit.into(),
        requirement: "加快拨付，9月底前报送整改情况".into(),
        due_date: d(due),
    }
}

#[test]
fn an_item_walks_from_entry_to_closure_with_a_send_back_and_a_rating() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = ProblemStore::open(dir.path()).unwrap();
    let p = s
        .add(
            &item("审议〔2025〕3号-1", "财政局", "2025-09-30"),
            "analyst",
        )
        .unwrap();
    assert_eq!(p.status, Status::Open);
    // The same source and reference again is the same item.
    let again = s
        .add(
            &item("审议〔2025〕3号-1", "财政局", "2025-09-30"),
            "analyst",
        )
        .unwrap();
    assert_eq!(again.id, p.id);

    // Responding before assignment is refused, saying what is allowed.
    let e = s
        .step(
            p.id,
            &Step::Respond {
                text: "已拨付".into(),
            },
            "财政局",
        )
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "cannot respond problem #{}: it is 待交办 (open); allowed now: assign",
            p.id
        )
    );

    let p = s
        .step(
            p.id,
            &Step::Assign {
                requirement: None,
                due: Some(d("2025-10-31")),
            },
            "analyst",
        )
        .unwrap();
    assert_eq!(
        (p.status, p.due_date.as_str()),
        (Status::Assigned, "2025-10-31")
    );
    let p = s
        .step(
            p.id,
            &Step::Respond {
                text: "已拨付80%".into(),
            },
            "财政局",
        )
        .unwrap();
    assert_eq!(p.status, Status::Responded);
    let ev = s
        .add_evidence(p.id, "../拨付凭证.pdf", b"%PDF-1.4 voucher", "财政局")
        .unwrap();
    assert_eq!(ev.name, "拨付凭证.pdf");
    assert_eq!(ev.sha256.len(), 64);
    assert_eq!(
        std::fs::read(dir.path().join(&ev.file)).unwrap(),
        b"%PDF-1.4 voucher",
        "the evidence is kept under the data directory"
    );
    // 退回 needs a reason.
    assert!(
        s.step(p.id, &Step::SendBack { reason: " ".into() }, "analyst")
            .is_err()
    );
    let p = s
        .step(
            p.id,
            &Step::SendBack {
                reason: "尚有20%未拨付".into(),
            },
            "analyst",
        )
        .unwrap();
    assert_eq!(p.status, Status::SentBack);
    let p = s
        .step(
            p.id,
            &Step::Respond {
                text: "已全部拨付".into(),
            },
            "财政局",
        )
        .unwrap();
    let p = s
        .step(
            p.id,
            &Step::Accept {
                note: "销号".into(),
            },
            "analyst",
        )
        .unwrap();
    assert_eq!(p.status, Status::Closed);
    assert!(!p.overdue, "a closed item is never overdue");
    assert!(
        s.step(
            p.id,
            &Step::Accept {
                note: String::new()
            },
            "analyst"
        )
        .is_err()
    );

    // Ratings: only closed items; 不满意 reopens.
    let p = s.rate(p.id, Rating::Basically, None, "member1").unwrap();
    assert_eq!(p.status, Status::Closed);
    let p = s
        .rate(p.id, Rating::Unsatisfied, Some("进度仍慢"), "member2")
        .unwrap();
    assert_eq!(p.status, Status::SentBack);
    let e = s
        .rate(p.id, Rating::Satisfied, None, "member3")
        .unwrap_err()
        .to_string();
    assert!(e.contains("only a closed item (已销号) is rated"), "{e}");
    assert_eq!(
        s.satisfaction_by_unit().unwrap(),
        vec![("财政局".to_string(), 0, 1, 1)]
    );

    // The trail has every step, the evidence with its hash, and who did what.
    let trail: Vec<(String, String)> = s
        .events(p.id)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor))
        .collect();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "add",
            "assign",
            "respond",
            "evidence",
            "send_back",
            "respond",
            "accept",
            "rate",
            "rate",
            "reopen"
        ]
    );
    assert_eq!(trail[2].1, "财政局");
    assert!(
        s.events(p.id).unwrap()[3]
            .note
            .as_deref()
            .unwrap()
            .contains(&ev.sha256)
    );
}

#[test]
fn overdue_is_judged_at_the_day_boundary_and_per_unit() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = ProblemStore::open(dir.path()).unwrap();
    let a = s
        .add(&item("A", "财政局", "2025-09-30"), "analyst")
        .unwrap();
    let b = s
        .add(&item("B", "教育局", "2025-10-15"), "analyst")
        .unwrap();
    assert!(
        !s.get_on(a.id, d("2025-09-30")).unwrap().overdue,
        "due today is not late"
    );
    assert!(s.get_on(a.id, d("2025-10-01")).unwrap().overdue);
    let late = |on: &str| -> Vec<i64> {
        s.list(
            &Filter {
                overdue_on: Some(d(on)),
                ..Default::default()
            },
            d(on),
        )
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
    };
    assert_eq!(late("2025-10-01"), vec![a.id]);
    assert_eq!(late("2025-10-16"), vec![a.id, b.id]);
    let edu = s
        .list(
            &Filter {
                unit: Some("教育局".into()),
                ..Default::default()
            },
            d("2025-10-01"),
        )
        .unwrap();
    assert_eq!(edu.len(), 1);
    assert_eq!(edu[0].id, b.id);
}

#[test]
fn open_alerts_join_the_list_once() {
    let dir = tempfile::tempdir().unwrap();
    ingest(dir.path(), &[fixture("demo")], &Default::default());
    let catalog = purse::datasets::Catalog::builtin();
    let set = purse::rules::RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rules = purse::check::select(&set, &[]).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(purse::check::check(
            dir.path(),
            &catalog,
            &rules,
            "2025-12".parse().unwrap(),
            false,
        ))
        .unwrap();
    let alerts = purse::alerts::AlertStore::open(dir.path()).unwrap();
    let open = alerts
        .list(&purse::alerts::Filter {
            open: true,
            ..Default::default()
        })
        .unwrap();
    assert!(!open.is_empty());
    let mut s = ProblemStore::open(dir.path()).unwrap();
    assert_eq!(
        s.import_alerts(&alerts, d("2026-03-31"), "analyst")
            .unwrap(),
        open.len()
    );
    assert_eq!(
        s.import_alerts(&alerts, d("2026-03-31"), "analyst")
            .unwrap(),
        0
    );
    let list = s
        .list(
            &Filter {
                source: Some(Source::Alert),
                ..Default::default()
            },
            d("2026-01-05"),
        )
        .unwrap();
    assert_eq!(list.len(), open.len());
    let first = &open[0];
    let p = list
        .iter()
        .find(|p| p.source_ref == first.id.to_string())
        .unwrap();
    assert_eq!(p.title, first.title);
    assert_eq!(p.status, Status::Open);
}
