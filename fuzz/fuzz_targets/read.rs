//! Any bytes as an uploaded file: format and encoding sniffing, CSV, XLSX/XLS/ODS workbooks,
//! merged cells, row iteration. Must return sheets or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// libfuzzer-sys aborts on every panic, even one purse catches on purpose (calamine's XLS reader
/// can panic on a damaged file; `read::open` refuses such a file). The default hook restored,
/// a panic that escapes purse still aborts the run (libfuzzer-sys catches it at the boundary).
fn default_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}
use purse::ingest::read;

fuzz_target!(|bytes: &[u8]| {
    default_panic_hook();
    if let Ok(opened) = read::open(bytes) {
        for sheet in &opened.sheets {
            let _ = sheet.head(60);
            let _ = sheet.for_each_row(0, |_, cells| cells.len() < 100_000);
        }
    }
});
