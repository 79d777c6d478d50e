//! 问数's time per answer: every question of `tests/ask/questions.toml` and `heldout.toml`, five
//! times over, on the demo (loaded once), each answered as `purse ask` answers it (the dictionary
//! read once, as the server keeps it per data version). Prints p50, p95 and the worst question;
//! the goal is p95 under 300 ms without a model.
//!
//! Run: `cargo bench --bench ask`.

use std::time::{Duration, Instant};

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (code, name) = purse::config::DEMO_REGION;
    purse::config::write_init(dir.path(), code, name, false).expect("purse.toml");
    let config = purse::config::Config::load(dir.path()).expect("config");
    let catalog =
        purse::datasets::Catalog::of_deployment(dir.path(), &config.aliases).expect("catalog");
    let mut wh = purse::warehouse::Warehouse::open(dir.path()).expect("warehouse");
    purse::ingest::ingest_paths(
        &mut wh,
        &catalog,
        &config,
        &[root.join("fixtures/demo")],
        &purse::ingest::Options::default(),
        |_| {},
    )
    .expect("the demo loads");
    drop(wh);
    #[derive(serde::Deserialize)]
    struct Set {
        q: Vec<Q>,
    }
    #[derive(serde::Deserialize)]
    struct Q {
        ask: String,
    }
    let mut questions = Vec::new();
    for f in ["questions.toml", "heldout.toml"] {
        let text = std::fs::read_to_string(root.join("tests/ask").join(f)).expect("the set");
        let set: Set = toml::from_str(&text).expect("toml");
        questions.extend(set.q.into_iter().map(|q| q.ask));
    }
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let (mut times, worst) = rt.block_on(async {
        let ctx = purse::engine::session(dir.path(), &catalog)
            .await
            .expect("session");
        let t = Instant::now();
        let dict = purse::ask::Dictionary::load(&ctx)
            .await
            .expect("dictionary");
        eprintln!(
            "dictionary: {:?} ({} names)",
            t.elapsed(),
            dict.entries.len()
        );
        let mut times: Vec<Duration> = Vec::new();
        let mut worst = (Duration::ZERO, String::new());
        for _ in 0..5 {
            for q in &questions {
                let t = Instant::now();
                purse::ask::answer(&ctx, &dict, &[], q)
                    .await
                    .expect("an answer");
                let e = t.elapsed();
                if e > worst.0 {
                    worst = (e, q.clone());
                }
                times.push(e);
            }
        }
        (times, worst)
    });
    times.sort();
    let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "问数 over {} questions × 5: p50 {:?}, p95 {:?}, max {:?} ({})",
        questions.len(),
        at(50),
        at(95),
        worst.0,
        worst.1
    );
}
