//! Ingest throughput (MB/s of source file into the Parquet warehouse) at `--scale 20`, a
//! province-year: one month of budget execution as a GBK CSV with title rows and 万元, and as an
//! XLSX workbook (four sheets, merged two-row headers).
//!
//! Run: `cargo bench --bench ingest`.

#[path = "support/scale20.rs"]
mod scale20;

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn ingest(c: &mut Criterion) {
    let data = scale20::extracts();
    let mut g = c.benchmark_group("ingest_scale20");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    for (name, file) in [
        (
            "gbk_csv_budget_execution_month",
            data.join("budget_execution/2025-03.csv"),
        ),
        (
            "xlsx_budget_execution_month",
            data.join("budget_execution/2025-09.xlsx"),
        ),
        ("utf8_csv_payments_month", data.join("payments/2025-03.csv")),
    ] {
        let bytes = std::fs::metadata(&file).unwrap().len();
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |tmp| scale20::ingest_into(tmp.path(), std::slice::from_ref(&file)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
