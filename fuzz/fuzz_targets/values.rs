//! Any text as a cell: numbers (with units and every rescale), whole numbers, dates, yes/no.
#![no_main]

use libfuzzer_sys::fuzz_target;
use purse::ingest::value::{
    is_blank, parse_bool, parse_date, parse_decimal, parse_int, to_half_width, unit_pow,
};

fuzz_target!(|text: &str| {
    let _ = is_blank(text);
    let _ = to_half_width(text);
    let _ = unit_pow(text);
    if let Ok(Some(d)) = parse_decimal(text) {
        for scale in [0, 2, 4] {
            for unit in [0, 3, 4, 6, 8] {
                let _ = d.rescale(scale, unit);
            }
        }
    }
    let _ = parse_int(text);
    let _ = parse_date(text);
    let _ = parse_bool(text);
});
