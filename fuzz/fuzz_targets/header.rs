//! Any text as header cells and title lines: period fragments, unit suffixes, regions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use purse::ingest::header::{dept_in_title, normalize_header, parse_title, region_in_title};

fuzz_target!(|text: &str| {
    for line in text.lines() {
        let _ = normalize_header(line);
        if let Some(r) = region_in_title(line) {
            let _ = dept_in_title(line, &r);
        }
    }
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let _ = parse_title(&rows);
});
