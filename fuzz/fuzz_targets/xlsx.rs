//! XLSX structure: a well-formed zip whose parts are built from the input, so the fuzzer spends
//! its time inside the workbook rather than failing at the zip's first byte (the `read` target
//! covers raw bytes). The input is split at 0xFF into the worksheet's `<dimension ref>`, its
//! `<sheetData>` body, the shared strings' body, the sheet's name and a mode byte that leaves
//! parts out or names the sheet part elsewhere. `read::open` must load the sheet or refuse it
//! within the readers' limits: never panic, never allocate a dense range for a claimed size.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use purse::ingest::read;
use zip::write::SimpleFileOptions;

fn default_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

fn workbook_rels(sheet_target: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{sheet_target}"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    )
}

fn build(input: &[u8]) -> Option<Vec<u8>> {
    let mut parts = input.split(|b| *b == 0xFF);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (dimension, sheet_data, strings, name) = (next(), next(), next(), next());
    let mode = next().bytes().next().unwrap_or(0);
    let sheet_target = if mode & 4 != 0 { "/xl/worksheets/sheet1.xml" } else { "worksheets/sheet1.xml" };
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut put = |path: &str, body: &str| -> Option<()> {
        zip.start_file(path, opts).ok()?;
        zip.write_all(body.as_bytes()).ok()
    };
    put("[Content_Types].xml", CONTENT_TYPES)?;
    put("_rels/.rels", ROOT_RELS)?;
    put(
        "xl/workbook.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        ),
    )?;
    put("xl/_rels/workbook.xml.rels", &workbook_rels(sheet_target))?;
    if mode & 1 == 0 {
        put(
            "xl/worksheets/sheet1.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>"#
            ),
        )?;
    }
    if mode & 2 == 0 {
        put(
            "xl/sharedStrings.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>"#
            ),
        )?;
    }
    Some(zip.finish().ok()?.into_inner())
}

fuzz_target!(|input: &[u8]| {
    default_panic_hook();
    let Some(bytes) = build(input) else { return };
    if let Ok(opened) = read::open(&bytes) {
        for sheet in &opened.sheets {
            let _ = sheet.head(60);
            let _ = sheet.for_each_row(0, |_, cells| cells.len() < 100_000);
        }
    }
});
