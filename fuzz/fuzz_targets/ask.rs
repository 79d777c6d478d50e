//! Any text as a question to 问数: it comes to a query (whose SQL is written), a choice or a
//! refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use purse::ask::{Dictionary, Entry, Layer, Understood, parse};
use purse::common::Period;

fuzz_target!(|text: &str| {
    let mut d = Dictionary::default();
    let months: Vec<Period> = (1..=12).filter_map(|m| Period::new(2025, m).ok()).collect();
    for ds in ["budget_execution", "revenue", "debt"] {
        d.periods.insert(ds.to_string(), months.clone());
    }
    for (dim, surface, value) in [
        ("dept", "教育局", "教育局"),
        ("agency", "示范市教育第5学校", "示范市教育第5学校"),
        ("agency", "示范市审计第5中心", "示范市审计第5中心"),
        ("region", "示范市", "示范市"),
    ] {
        d.entries.push(Entry {
            surface: surface.into(),
            dim: dim.into(),
            value: value.into(),
            label: value.into(),
        });
    }
    let layer = Layer::builtin();
    if let Understood::Query(q) = parse(text, layer, &d) {
        if !q.progress_only {
            let _ = q.sql(layer);
        }
    }
});
