//! The whole rule pack on the `--scale 20` province-year (≈ 1.8 M execution rows, ≈ 9.3 M
//! payments): one `purse check --dry-run` for December, the month every year-end rule runs.
//!
//! Run: `cargo bench --bench rules`. `tests/portability.py` times the same pack on DuckDB over
//! the same Parquet for the purse / DuckDB ratio.

#[path = "support/scale20.rs"]
mod scale20;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use purse::datasets::Catalog;
use purse::rules::RuleSet;

fn rules(c: &mut Criterion) {
    let data = scale20::loaded();
    let catalog = Catalog::builtin();
    let set = RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let selected = purse::check::select(&set, &[]).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut g = c.benchmark_group("rules_scale20");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("whole_pack_2025-12", |b| {
        b.iter(|| {
            rt.block_on(purse::check::check(
                &data,
                &catalog,
                &selected,
                "2025-12".parse().unwrap(),
                true,
            ))
            .unwrap()
        })
    });
    g.finish();
    // Per rule, once, so the slow ones are named. Rules run side by side (one per core), so a
    // rule's time includes waiting for its core; `PURSE_RULE_CONCURRENCY=1` times each alone.
    let res = rt
        .block_on(purse::check::check(
            &data,
            &catalog,
            &selected,
            "2025-12".parse().unwrap(),
            true,
        ))
        .unwrap();
    let mut per: Vec<_> = res
        .runs
        .iter()
        .map(|r| (r.duration, r.rule_id.clone(), r.rows_scanned))
        .collect();
    per.sort();
    for (d, id, rows) in per.iter().rev() {
        eprintln!(
            "{:>8.1} ms  {id} ({rows} rows scanned)",
            d.as_secs_f64() * 1000.0
        );
    }
}

criterion_group!(benches, rules);
criterion_main!(benches);
