//! Turning a file's bytes into sheets of text cells: format sniffed from the bytes (not the
//! name), text encoding detected (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, the
//! superset of GBK), any line ending, XLSX/XLS with merged cells spread over their area.
//!
//! A file is read in pieces of [`PIECE_BYTES`] that end at a line end ([`PieceReader`]). A
//! large plain CSV keeps them: each piece's text is a part of the sheet read on a thread of its
//! own and let go as soon as its rows are built, so memory holds the columns and a few pieces,
//! not the whole text beside the whole columns.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Reader, Sheets, open_workbook_auto_from_rs};

use crate::config::Limits;

/// One table-like source: a CSV file or one worksheet.
#[derive(Clone)]
pub struct Sheet {
    /// Worksheet name; `None` for CSV.
    pub name: Option<String>,
    pub body: Body,
}

#[derive(Clone)]
pub enum Body {
    /// Decoded CSV text in pieces, each ending at a record end, and its delimiter; parsed
    /// lazily so large files stream.
    Csv { pieces: Vec<Piece>, delimiter: u8 },
    /// Cells of a worksheet, with the 1-based row number of the first row.
    Grid {
        first_row: usize,
        rows: Arc<Vec<Vec<String>>>,
    },
}

/// A stretch of a CSV's text that ends at a record end, with the lines before it (row
/// numbers stay those of the file).
#[derive(Clone)]
pub struct Piece {
    text: Arc<Text>,
    lines_before: usize,
}

/// A piece of a file's bytes: read into memory, or a stretch of the file mapped
/// ([`super::mapped`]).
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(Stretch),
}

/// A stretch of a mapped file, whose pages leave the process's memory when it is dropped (they
/// stay in the page cache): a piece's rows read, its pages are not held to the end of the file.
pub struct Stretch {
    map: Arc<super::mapped::Mapped>,
    range: std::ops::Range<usize>,
}

impl Drop for Stretch {
    fn drop(&mut self) {
        self.map.release(self.range.clone());
    }
}

impl Bytes {
    pub fn mapped(map: &Arc<super::mapped::Mapped>, range: std::ops::Range<usize>) -> Bytes {
        Bytes::Mapped(Stretch {
            map: map.clone(),
            range,
        })
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(s) => &s.map.bytes()[s.range.clone()],
        }
    }

    /// The bytes in memory of their own (a mapped stretch is copied).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(s) => s.map.bytes()[s.range.clone()].to_vec(),
        }
    }
}

/// Text known to be UTF-8: decoded into memory, or a checked stretch of a mapped file (a plain
/// UTF-8 CSV is parsed where the operating system keeps it, never copied).
pub struct Text(Bytes);

impl Text {
    /// Bytes already validated as UTF-8.
    fn checked(b: Bytes) -> Text {
        debug_assert!(std::str::from_utf8(b.as_slice()).is_ok());
        Text(b)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Bytes::Owned(s.into_bytes()))
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: a `Text` is made only from a `String` or from bytes validated as UTF-8.
        unsafe { std::str::from_utf8_unchecked(self.0.as_slice()) }
    }
}

/// The size a file is read in, and the size of a large CSV's parts.
pub const PIECE_BYTES: usize = 8 << 20;

/// Reads a file in pieces of about `piece` bytes, each ending just after a `\n` (a line longer
/// than a piece makes a longer piece), the last one with whatever is left.
pub struct PieceReader<R> {
    r: R,
    piece: usize,
    carry: Vec<u8>,
    done: bool,
}

impl<R: std::io::Read> PieceReader<R> {
    pub fn new(r: R, piece: usize) -> Self {
        PieceReader {
            r,
            piece: piece.max(1),
            carry: Vec::new(),
            done: false,
        }
    }

    /// The next piece, `None` at the end of the file.
    pub fn next_piece(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        use std::io::Read as _;
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        let mut searched = 0;
        loop {
            let want = (buf.len() / self.piece + 1) * self.piece;
            buf.reserve_exact(want - buf.len());
            let limit = (want - buf.len()) as u64;
            let got = (&mut self.r).take(limit).read_to_end(&mut buf)?;
            if (got as u64) < limit {
                self.done = true;
                return Ok((!buf.is_empty()).then_some(buf));
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[searched..]) {
                let end = searched + i + 1;
                self.carry = buf[end..].to_vec();
                buf.truncate(end);
                return Ok(Some(buf));
            }
            searched = buf.len();
        }
    }
}

/// Where a file held whole (mapped) is cut into pieces: the same pieces [`PieceReader`] reads
/// from it, each ending just after a `\n` found in its last `piece` bytes (a line longer than
/// a piece makes a longer piece), the last one with whatever is left.
pub fn cuts(b: &[u8], piece: usize) -> Vec<std::ops::Range<usize>> {
    let piece = piece.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let (mut searched, mut end) = (start, start.saturating_add(piece));
        loop {
            if end > b.len() {
                out.push(start..b.len());
                return out;
            }
            if let Some(i) = memchr::memrchr(b'\n', &b[searched..end]) {
                out.push(start..searched + i + 1);
                start = searched + i + 1;
                break;
            }
            searched = end;
            end = end.saturating_add(piece);
        }
    }
    out
}

/// A piece as checked off the reading thread: its bytes, and whether they are UTF-8.
pub struct Checked {
    bytes: Bytes,
    utf8: bool,
    lines: usize,
    /// Its longest line: (line number within the piece, from 1; length in bytes).
    longest: (usize, usize),
    quotes: bool,
    nul: bool,
}

/// Checks a piece: UTF-8 or not, its lines, whether it holds a quote or a NUL byte.
pub fn check_piece(piece: Bytes) -> Checked {
    let bytes = piece.as_slice();
    // Its lines and the longest of them in one pass, here off the main thread (the line bound
    // is then checked without reading the piece again).
    let (mut lines, mut start, mut longest) = (0usize, 0usize, (1usize, 0usize));
    for end in memchr::memchr_iter(b'\n', bytes) {
        lines += 1;
        if end - start > longest.1 {
            longest = (lines, end - start);
        }
        start = end + 1;
    }
    if bytes.len() - start > longest.1 {
        longest = (lines + 1, bytes.len() - start);
    }
    let quotes = memchr::memchr(b'"', bytes).is_some();
    let nul = memchr::memchr(0, bytes).is_some();
    // Validated with SIMD (several times std's speed on Chinese text, where std's ASCII fast
    // path does not help): this check is on the reading thread's critical path.
    let utf8 = simdutf8::basic::from_utf8(bytes).is_ok();
    Checked {
        bytes: piece,
        utf8,
        lines,
        longest,
        quotes,
        nul,
    }
}

/// Opens a file read in pieces. A plain CSV (no BOM, no NUL, no quote: pieces cut at line ends
/// are then cut at record ends), in UTF-8 or GB18030, keeps its pieces; anything else (a
/// workbook, a BOM, quoted fields that may hold line breaks) is joined and opened whole.
pub fn open_pieces(mut pieces: Vec<Checked>) -> Result<Opened, String> {
    let whole = |pieces: Vec<Checked>| {
        let mut bytes = Vec::with_capacity(pieces.iter().map(|p| p.bytes().len()).sum());
        for p in pieces {
            bytes.extend_from_slice(p.bytes());
        }
        open_owned(bytes)
    };
    let plain = pieces.len() > 1
        && plain_start(pieces[0].bytes())
        && pieces.iter().all(|p| !p.nul && !p.quotes);
    if !plain {
        if pieces.len() == 1
            && let Some(p) = pieces.pop()
        {
            // One piece: already checked as UTF-8, it is not checked again.
            return if p.utf8 && plain_start(p.bytes()) && !p.nul {
                let bytes = p.into_bytes();
                // SAFETY: checked as UTF-8 by `check_piece`.
                csv_text(
                    unsafe { String::from_utf8_unchecked(bytes) },
                    Encoding::Utf8,
                )
            } else {
                open_owned(p.into_bytes())
            };
        }
        return whole(pieces);
    }
    // A file is UTF-8 when every piece is (cuts at `\n` fall between characters); else it is
    // GB18030, whose multi-byte characters never hold a `\n` byte either.
    let utf8 = pieces.iter().all(|p| p.utf8);
    let mut out = Vec::with_capacity(pieces.len());
    let mut lines_before = 0;
    let max = limits().max_line_bytes;
    for p in pieces {
        let (lines, (line, len)) = (p.lines, p.longest);
        if len as u64 > max {
            return Err(line_too_long((lines_before + line, len), max));
        }
        let text = if utf8 {
            Text::checked(p.bytes)
        } else {
            let (t, _, bad) = encoding_rs::GB18030.decode(p.bytes.as_slice());
            if bad {
                return Err("unreadable encoding: neither UTF-8 nor GBK/GB18030".into());
            }
            Text::from(t.into_owned())
        };
        out.push(Piece {
            text: Arc::new(text),
            lines_before,
        });
        lines_before += lines;
    }
    if out.iter().all(|p| p.text.trim().is_empty()) {
        return Err("the file is empty".into());
    }
    let delimiter = sniff_delimiter(&out[0].text);
    Ok(Opened {
        format: "csv",
        encoding: Some(if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Gb18030
        }),
        sheets: vec![Sheet {
            name: None,
            body: Body::Csv {
                pieces: out,
                delimiter,
            },
        }],
    })
}

impl Checked {
    fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    fn into_bytes(self) -> Vec<u8> {
        self.bytes.into_vec()
    }
}

/// XLSX/ODS (a zip) or XLS (a CFB compound file), by their first bytes.
pub fn is_workbook(b: &[u8]) -> bool {
    b.starts_with(b"PK\x03\x04") || b.starts_with(&CFB_MAGIC[..4])
}

/// Not a workbook and no byte-order mark: text to be taken as it is.
fn plain_start(b: &[u8]) -> bool {
    !b.is_empty()
        && !is_workbook(b)
        && !b.starts_with(b"\xEF\xBB\xBF")
        && !b.starts_with(b"\xFF\xFE")
        && !b.starts_with(b"\xFE\xFF")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16,
    Gb18030,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf16 => "UTF-16",
            Encoding::Gb18030 => "GBK/GB18030",
        }
    }
}

/// What the sniffing found, reported in the load record.
pub struct Opened {
    pub format: &'static str,
    pub encoding: Option<Encoding>,
    pub sheets: Vec<Sheet>,
}

pub fn open(bytes: &[u8]) -> Result<Opened, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if is_workbook(bytes) {
        return open_workbook(bytes);
    }
    let (text, enc) = decode_text(bytes)?;
    csv_text(text, enc)
}

/// [`open`], taking the bytes: a plain UTF-8 file (the usual large extract) becomes its text
/// without a copy.
pub fn open_owned(bytes: Vec<u8>) -> Result<Opened, String> {
    if !plain_start(&bytes) || memchr::memchr(0, &bytes).is_some() {
        return open(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => csv_text(text, Encoding::Utf8),
        Err(e) => open(e.as_bytes()),
    }
}

/// A CSV's decoded text as one sheet.
fn csv_text(mut text: String, enc: Encoding) -> Result<Opened, String> {
    // Old Mac exports end lines with CR alone; make them ordinary lines so row numbers count.
    if !text.contains('\n') && text.contains('\r') {
        text = text.replace('\r', "\n");
    }
    if text.trim().is_empty() {
        return Err("the file is empty".into());
    }
    let max = limits().max_line_bytes;
    if let Some(long) = long_line(&text, max) {
        return Err(line_too_long(long, max));
    }
    let delimiter = sniff_delimiter(&text);
    Ok(Opened {
        format: "csv",
        encoding: Some(enc),
        sheets: vec![Sheet::csv(text, delimiter)],
    })
}

/// Decodes text without trusting the file name: BOMs first, then strict UTF-8, then GB18030.
/// A file that is neither (binary, or a legacy encoding we cannot tell) is refused rather than
/// loaded as mojibake.
pub fn decode_text(bytes: &[u8]) -> Result<(String, Encoding), String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), Encoding::Utf8Bom))
            .map_err(|e| {
                format!(
                    "unreadable encoding: BOM says UTF-8 but byte {} is not",
                    e.valid_up_to() + 3
                )
            });
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (enc, _) = encoding_rs::Encoding::for_bom(bytes).ok_or("unreadable encoding")?;
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            return Err("unreadable encoding: invalid UTF-16".into());
        }
        return Ok((text.into_owned(), Encoding::Utf16));
    }
    if bytes.contains(&0) {
        return Err(
            "unreadable encoding: binary content (NUL bytes), not a CSV or XLSX file".into(),
        );
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), Encoding::Utf8));
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err("unreadable encoding: neither UTF-8 nor GBK/GB18030".into());
    }
    Ok((text.into_owned(), Encoding::Gb18030))
}

/// Comma unless the first lines clearly use tabs or semicolons.
fn sniff_delimiter(text: &str) -> u8 {
    let head: String = text.chars().take(8192).collect();
    let count = |c: char| head.matches(c).count();
    let (comma, tab, semi) = (count(','), count('\t'), count(';'));
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// A CSV line past the limit: `(line number, its length)` of the first.
fn long_line(text: &str, max: u64) -> Option<(usize, usize)> {
    let mut start = 0usize;
    for (n, end) in memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .enumerate()
    {
        if (end - start) as u64 > max {
            return Some((n + 1, end - start));
        }
        start = end + 1;
    }
    None
}

fn line_too_long((line, len): (usize, usize), max: u64) -> String {
    format!(
        "line {line} is {} KiB long, past the {} KiB a line may have ([ingest] max_line_kib in \
         purse.toml): not an extract, or one whose line ends were lost",
        len >> 10,
        max >> 10
    )
}

thread_local! {
    /// The limits in force on this thread: the deployment's while [`with_limits`] runs (an
    /// ingest reads each file on one thread), the defaults for a reader called on its own (the
    /// fuzz targets). Per thread, so two ingests in one process (tests, a server) never see
    /// each other's.
    static LIMITS: std::cell::Cell<Limits> = const { std::cell::Cell::new(Limits::DEFAULT) };
}

/// Runs `f` (a reader) under the limits `l` on this thread.
pub fn with_limits<T>(l: Limits, f: impl FnOnce() -> T) -> T {
    let before = LIMITS.with(|c| c.replace(l));
    let out = f();
    LIMITS.with(|c| c.set(before));
    out
}

fn limits() -> Limits {
    LIMITS.with(|c| c.get())
}

/// `A`, `Z`, `AA`, `XFD`: a column as Excel names it, from 0.
pub fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A workbook zip's worksheets and shared strings (an ODS's `content.xml`) must unpack to no
/// more than `max_xml_bytes`: a 48 MB file whose sheet unpacks to 1.2 GB of XML is refused by
/// its zip directory, before anything is unpacked.
fn zip_parts_fit(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, l: Limits) -> Result<(), String> {
    for i in 0..zip.len() {
        let Ok(f) = zip.by_index_raw(i) else {
            continue;
        };
        let Ok(name) = f.name().map(|n| n.into_owned()) else {
            continue;
        };
        // An ODS holds every sheet in `content.xml`.
        let xml = name.starts_with("xl/worksheets/")
            || name == "xl/sharedStrings.xml"
            || name == "content.xml";
        if xml && f.size() > l.max_xml_bytes {
            return Err(format!(
                "`{name}` unpacks to {} MiB of XML, past the {} MiB a sheet may ([ingest] max_sheet_xml_mib in purse.toml)",
                f.size() >> 20,
                l.max_xml_bytes >> 20
            ));
        }
    }
    Ok(())
}

/// Reads a workbook with calamine. Its XLS (CFB) reader can panic on a damaged file (a slice
/// out of bounds; found by `fuzz/`'s `read` target): such a file is refused as unreadable,
/// like any other damaged workbook, instead of relying on the caller's last line of defence.
fn open_workbook(bytes: &[u8]) -> Result<Opened, String> {
    if bytes.starts_with(&CFB_MAGIC) {
        cfb_chains_end(bytes)
            .map_err(|why| format!("not a readable workbook: the file is damaged ({why})"))?;
    }
    // A zip's directory, read once here: one that cannot be found (it is at the end) was cut
    // short, a download or copy that stopped, said so rather than as calamine's zip error.
    let mut zip = match bytes.starts_with(b"PK\x03\x04") {
        false => None,
        true => Some(zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
            format!(
                "not a readable workbook: the file is truncated ({} bytes, and its zip directory, \
                 which closes a workbook, is missing or damaged): was the download or copy cut short?",
                bytes.len()
            )
        })?),
    };
    let read = || {
        if let Some(zip) = &mut zip {
            zip_parts_fit(zip, limits())?;
        }
        open_workbook_inner(bytes)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quietly(read))) {
        Ok(r) => r,
        Err(_) => Err("not a readable workbook: the file is damaged (its structure is cut short or inconsistent)".into()),
    }
}

thread_local! {
    /// Set while a reader whose panics are expected runs (calamine on a damaged workbook): the
    /// panic is caught and the file refused as damaged, so the hook says nothing of it.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with its panics kept off the terminal (see [`quiet_panic_hook`]); the caller catches
/// them.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(QUIET.with(|q| q.replace(true)));
    f()
}

/// Installs a panic hook that stays silent about the panics [`quietly`] expects (a damaged
/// workbook is refused with its own message; calamine's panic and backtrace on the terminal
/// told a user nothing more) and leaves every other panic to the hook before it.
pub fn quiet_panic_hook() {
    let before = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            before(info);
        }
    }));
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// FAT entries from here up are markers (end of chain, free, FAT or DIFAT sector), not links.
const CFB_MAX_REG: u32 = 0xFFFF_FFFA;

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// Checks that every sector chain of an old-Excel (CFB) file ends. calamine follows chains until
/// their end marker, with no bound: a FAT with a cycle (a 6 KB file, found by `fuzz/`) makes it
/// grow a buffer until the machine runs out of memory. A file whose FAT or mini-FAT loops, or
/// points outside the file, is damaged and refused before calamine sees it.
fn cfb_chains_end(b: &[u8]) -> Result<(), String> {
    let shift = b
        .get(0x1E..0x20)
        .map(|x| u16::from_le_bytes([x[0], x[1]]))
        .ok_or("no header")?;
    if shift != 9 && shift != 12 {
        return Err(format!("sector size 2^{shift}"));
    }
    let size = 1usize << shift;
    let sectors = b.len().saturating_sub(size).div_ceil(size);
    let sector = |id: u32| -> Result<&[u8], String> {
        let start = (id as usize + 1) * size;
        b.get(start..(start + size).min(b.len()))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("sector {id} beyond the end of the file"))
    };
    let words = |s: &[u8]| -> Vec<u32> {
        s.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| le_u32(b, 0x4C + 4 * i)).collect();
    let mut next = le_u32(b, 0x44).ok_or("no header")?;
    let mut hops = 0;
    while next < CFB_MAX_REG {
        hops += 1;
        if hops > sectors {
            return Err("the DIFAT chain loops".into());
        }
        let mut w = words(sector(next)?);
        next = w.pop().unwrap_or(u32::MAX);
        fat_sectors.extend(w);
    }
    let mut fat = Vec::new();
    for id in fat_sectors.into_iter().filter(|id| *id < CFB_MAX_REG) {
        fat.extend(words(sector(id)?));
    }
    acyclic(&fat, "FAT")?;
    // A chain of the FAT (now known to end), as bytes.
    let chain = |mut id: u32| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        while id < CFB_MAX_REG {
            out.extend_from_slice(sector(id)?);
            id = *fat
                .get(id as usize)
                .ok_or_else(|| format!("sector {id} outside the FAT"))?;
        }
        Ok(out)
    };
    let mini = words(&chain(le_u32(b, 0x3C).ok_or("no header")?)?);
    acyclic(&mini, "mini-FAT")?;
    // The workbook stream, from the directory (in the mini stream when it is small).
    let dir = chain(le_u32(b, 0x30).ok_or("no header")?)?;
    let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
    let root = entries.first().ok_or("no directory")?;
    // The stream calamine reads: the first entry named Workbook (ASCII case ignored, any entry
    // type), else Book; in the mini stream when shorter than 4096 bytes.
    let name_of = |e: &[u8]| -> String {
        let name_len = (u16::from_le_bytes([e[0x40], e[0x41]]) as usize).min(64);
        let units: Vec<u16> = e[..name_len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|c| *c != 0)
            .collect();
        String::from_utf16_lossy(&units)
    };
    let found = ["Workbook", "Book"].iter().find_map(|want| {
        entries
            .iter()
            .find(|e| name_of(e).as_bytes().eq_ignore_ascii_case(want.as_bytes()))
    });
    if let Some(e) = found {
        let (start, size) = (
            le_u32(e, 0x74).unwrap_or(0),
            le_u32(e, 0x78).unwrap_or(0) as usize,
        );
        let data = if size < 4096 {
            let ministream = chain(le_u32(root, 0x74).unwrap_or(u32::MAX))?;
            let mut out = Vec::new();
            let mut id = start;
            while id < CFB_MAX_REG && out.len() < size {
                let at = id as usize * 64;
                out.extend_from_slice(
                    ministream
                        .get(at..at + 64)
                        .ok_or("a mini sector beyond the mini stream")?,
                );
                id = *mini
                    .get(id as usize)
                    .ok_or("a mini sector outside the mini-FAT")?;
            }
            out
        } else {
            chain(start)?
        };
        biff_cells_in_bounds(&data[..size.min(data.len())], limits())?;
    }
    Ok(())
}

/// BIFF8 has 65,536 rows and 256 columns. calamine sizes a sheet by its farthest cell, so one
/// cell record claiming column 65,535 makes it allocate tens of GB (a 5.6 KB file, found by
/// `fuzz/`): every cell record must lie within the format's bounds.
///
/// Within those, each sheet's farthest cell must lie within the deployment's limits too: a
/// sheet is read as a dense range as far as its farthest cell (rows × columns held).
fn biff_cells_in_bounds(stream: &[u8], l: Limits) -> Result<(), String> {
    let mut at = 0;
    // The farthest row and column of the sheet being scanned (a BOF record starts each).
    let (mut far_row, mut far_col) = (0u32, 0u32);
    let check_sheet = |far_row: u32, far_col: u32| -> Result<(), String> {
        let (rows, cols) = (far_row + 1, far_col + 1);
        let cell = format!("{}{rows}", column_letters(far_col));
        if cols > l.max_columns {
            return Err(format!(
                "cell {cell} is in column {cols}, past the {} columns a sheet may have \
                 ([ingest] max_columns in purse.toml)",
                l.max_columns
            ));
        }
        if rows > l.max_rows {
            return Err(format!(
                "cell {cell} is in row {rows}, past the {} rows a sheet may have \
                 ([ingest] max_rows in purse.toml)",
                l.max_rows
            ));
        }
        if rows as u64 * cols as u64 > l.max_cells {
            return Err(format!(
                "its farthest cell {cell} makes a sheet of {} cells, past the {} a sheet may \
                 hold ([ingest] max_cells in purse.toml)",
                rows as u64 * cols as u64,
                l.max_cells
            ));
        }
        Ok(())
    };
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let data = &stream[(at + 4).min(stream.len())..(at + 4 + len).min(stream.len())];
        // LABELSST, NUMBER, RK, BLANK, FORMULA, LABEL, BOOLERR, RSTRING; MULRK, MULBLANK.
        let cols: Option<(u16, u16)> = match typ {
            0x00FD | 0x0203 | 0x027E | 0x0201 | 0x0006 | 0x0204 | 0x0205 | 0x00D6
                if data.len() >= 4 =>
            {
                let c = u16::from_le_bytes([data[2], data[3]]);
                Some((c, c))
            }
            0x00BD | 0x00BE if data.len() >= 6 => Some((
                u16::from_le_bytes([data[2], data[3]]),
                u16::from_le_bytes([data[data.len() - 2], data[data.len() - 1]]),
            )),
            _ => None,
        };
        // DIMENSIONS: calamine reserves rows × columns from it before any cell is read.
        if typ == 0x0200 {
            let (rf, rl, cl) = match data.len() {
                14 | 16 => (
                    u32::from_le_bytes([data[0], data[1], data[2], data[3]]),
                    u32::from_le_bytes([data[4], data[5], data[6], data[7]]),
                    u16::from_le_bytes([data[10], data[11]]) as u32,
                ),
                10 => (
                    u16::from_le_bytes([data[0], data[1]]) as u32,
                    u16::from_le_bytes([data[2], data[3]]) as u32,
                    u16::from_le_bytes([data[6], data[7]]) as u32,
                ),
                _ => (0, 0, 0),
            };
            if rl > 65_536 || cl > 256 || (rl >= 1 && rf > rl - 1) {
                return Err(format!(
                    "its dimensions claim rows {rf}–{rl} and {cl} columns (the format has 65,536 × 256)"
                ));
            }
        }
        if let Some((first, last)) = cols
            && (first > 255 || last > 255)
        {
            return Err(format!(
                "a cell in column {} (the format has 256)",
                first.max(last) as u32 + 1
            ));
        }
        if typ == 0x0809 {
            check_sheet(far_row, far_col)?;
            (far_row, far_col) = (0, 0);
        }
        if let Some((first, last)) = cols {
            far_row = far_row.max(u16::from_le_bytes([data[0], data[1]]) as u32);
            far_col = far_col.max(first.max(last) as u32);
        }
        at += 4 + len;
    }
    check_sheet(far_row, far_col)
}

/// Every chain of a FAT ends (at a marker), never loops, never leaves the table. Linear: each
/// entry is walked once.
fn acyclic(fat: &[u32], what: &str) -> Result<(), String> {
    // 0 = not seen, 1 = on the chain being walked, 2 = known to end.
    let mut state = vec![0u8; fat.len()];
    let mut path = Vec::new();
    for start in 0..fat.len() {
        let mut at = start;
        path.clear();
        loop {
            match state[at] {
                2 => break,
                1 => return Err(format!("the {what} chain through sector {at} loops")),
                _ => {}
            }
            state[at] = 1;
            path.push(at);
            let next = fat[at];
            if next >= CFB_MAX_REG {
                break;
            }
            if next as usize >= fat.len() {
                return Err(format!("the {what} points past its end (sector {next})"));
            }
            at = next as usize;
        }
        for &p in &path {
            state[p] = 2;
        }
    }
    Ok(())
}

fn open_workbook_inner(bytes: &[u8]) -> Result<Opened, String> {
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable workbook: {e}"))?;
    let format = match wb {
        Sheets::Xls(_) => "xls",
        Sheets::Xlsx(_) => "xlsx",
        Sheets::Xlsb(_) => "xlsb",
        Sheets::Ods(_) => "ods",
    };
    let l = limits();
    let mut sheets = Vec::new();
    for name in wb.sheet_names() {
        let (r0, c0, mut rows) = match &mut wb {
            // An XLSX sheet is read as a stream of cells, never as a dense range: a file whose
            // only cells are A1 and XFD1048576 would have calamine allocate 17 billion cells.
            Sheets::Xlsx(x) => xlsx_rows(x, &name, l)?,
            _ => {
                let range = wb
                    .worksheet_range(&name)
                    .map_err(|e| format!("sheet `{name}`: {e}"))?;
                let (r0, c0) = range.start().unwrap_or((0, 0));
                let rows: Vec<Vec<String>> = range
                    .rows()
                    .map(|r| r.iter().map(cell_text).collect())
                    .collect();
                (r0, c0, rows)
            }
        };
        let merged = match &mut wb {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => Vec::new(),
        };
        // A merged cell holds its value in the top-left corner only; every cell it covers means
        // the same (a two-row header's parent, a department name spanning its units).
        for m in merged {
            let (sr, sc) = (
                m.start.0.saturating_sub(r0) as usize,
                m.start.1.saturating_sub(c0) as usize,
            );
            let (er, ec) = (
                m.end.0.saturating_sub(r0) as usize,
                m.end.1.saturating_sub(c0) as usize,
            );
            let Some(v) = rows.get(sr).and_then(|r| r.get(sc)).cloned() else {
                continue;
            };
            // A stream-read row is as wide as its last cell: widen it to the merge (bounded by
            // the column limit the cells were held to).
            let ec = ec.min(l.max_columns as usize);
            for row in rows.iter_mut().take(er + 1).skip(sr) {
                if row.len() <= ec {
                    row.resize(ec + 1, String::new());
                }
                for cell in row.iter_mut().take(ec + 1).skip(sc) {
                    if cell.is_empty() {
                        *cell = v.clone();
                    }
                }
            }
        }
        // Columns before the range start are absent; pad so column letters stay meaningful.
        if c0 > 0 {
            for row in &mut rows {
                row.splice(0..0, std::iter::repeat_n(String::new(), c0 as usize));
            }
        }
        sheets.push(Sheet {
            name: Some(name),
            body: Body::Grid {
                first_row: r0 as usize + 1,
                rows: Arc::new(rows),
            },
        });
    }
    Ok(Opened {
        format,
        encoding: None,
        sheets,
    })
}

/// One XLSX sheet's rows from its stream of cells: `(first row, first column, rows)`, each row
/// as wide as its last cell, with columns kept at their place (the first column's empties
/// included, as a range read pads them). A cell past the column or row limit, or more cells
/// held than the sheet may have, refuses the file naming the cell.
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    x: &mut calamine::Xlsx<RS>,
    name: &str,
    l: Limits,
) -> Result<(u32, u32, Vec<Vec<String>>), String> {
    let mut reader = x
        .worksheet_cells_reader(name)
        .map_err(|e| format!("sheet `{name}`: {e}"))?;
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let (mut r0, mut c0) = (u32::MAX, u32::MAX);
    loop {
        let cell = reader
            .next_cell()
            .map_err(|e| format!("sheet `{name}`: {e}"))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let past = if c >= l.max_columns {
            Some((
                "column",
                c,
                l.max_columns,
                "columns an extract",
                "max_columns",
            ))
        } else if r >= l.max_rows {
            Some(("row", r, l.max_rows, "rows a sheet", "max_rows"))
        } else {
            None
        };
        if let Some((what, at, limit, whose, key)) = past {
            return Err(format!(
                "sheet `{name}`: cell {}{} is in {what} {}, past the {limit} {whose} may have \
                 ([ingest] {key} in purse.toml)",
                column_letters(c),
                r + 1,
                at + 1
            ));
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        r0 = r0.min(r);
        c0 = c0.min(c);
        cells.push((r, c, text));
    }
    if cells.is_empty() {
        return Ok((0, 0, Vec::new()));
    }
    // Stream order is row by row, but nothing in the format promises it.
    cells.sort_by_key(|&(r, c, _)| (r, c));
    let last_row = cells.last().map_or(r0, |x| x.0);
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); (last_row - r0 + 1) as usize];
    let mut held: u64 = 0;
    for (r, c, text) in cells {
        let row = &mut rows[(r - r0) as usize];
        let need = c as usize + 1;
        if row.len() < need {
            held += (need - row.len()) as u64;
            if held > l.max_cells {
                return Err(format!(
                    "sheet `{name}`: more than {} cells to hold (by row {}), past what a sheet may \
                     ([ingest] max_cells in purse.toml)",
                    l.max_cells,
                    r + 1
                ));
            }
            row.resize(need, String::new());
        }
        row[c as usize] = text;
    }
    // Columns before the first are kept as empties (below), as a range read pads them.
    for row in &mut rows {
        if row.len() > c0 as usize {
            row.drain(..c0 as usize);
        } else {
            row.clear();
        }
    }
    Ok((r0, c0, rows))
}

pub(crate) fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Shortest round-trip form: 1234.56 stays "1234.56", 2010101.0 becomes "2010101".
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A stretch of a sheet's rows: all of them, or for a large CSV one of the pieces read on
/// threads of their own. Pieces start and end between records, never inside a quoted field.
/// A part holds its text: once the last part of a piece is dropped, so is the piece's text.
#[derive(Clone)]
pub struct Part {
    src: PartSrc,
    /// Byte range of the CSV text (ignored for a worksheet).
    start: usize,
    end: usize,
    /// Records to pass over at its start (the header, in the first part).
    skip: usize,
    /// Lines before `start`: row numbers stay those of the file.
    line_offset: usize,
}

#[derive(Clone)]
enum PartSrc {
    Csv {
        text: Arc<Text>,
        delimiter: u8,
    },
    Grid {
        rows: Arc<Vec<Vec<String>>>,
        first_row: usize,
    },
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Part {{ bytes: {}..{}, skip: {}, line_offset: {} }}",
            self.start, self.end, self.skip, self.line_offset
        )
    }
}

impl PartialEq for Part {
    fn eq(&self, o: &Self) -> bool {
        (self.start, self.end, self.skip, self.line_offset)
            == (o.start, o.end, o.skip, o.line_offset)
    }
}

/// A worksheet with fewer data rows than this is read on one thread.
const GRID_PARALLEL_MIN_ROWS: usize = 20_000;

/// A CSV smaller than this is read on one thread.
const PARALLEL_MIN_BYTES: usize = 8 << 20;

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

impl Part {
    /// Calls `f(row_number, cells)` for each row of the part past its `skip`, in order, until
    /// it returns false. Row numbers are what a person sees: the CSV line, the Excel row.
    pub fn for_each_row(&self, mut f: impl FnMut(usize, &[&str]) -> bool) -> Result<(), String> {
        match &self.src {
            PartSrc::Csv { text, delimiter } => {
                let end = self.end.min(text.len());
                let piece = text
                    .get(self.start.min(end)..end)
                    .ok_or("internal: a part of the CSV does not start at a character")?;
                if memchr::memchr(b'"', piece.as_bytes()).is_none() {
                    for_each_unquoted(piece, *delimiter, self.skip, self.line_offset, f);
                    Ok(())
                } else {
                    for_each_quoted(piece, *delimiter, self.skip, self.line_offset, f)
                }
            }
            PartSrc::Grid { rows, first_row } => {
                let mut cells: Vec<&str> = Vec::new();
                let end = self.end.min(rows.len());
                let stretch = rows.iter().enumerate().take(end).skip(self.start.min(end));
                for (i, row) in stretch.skip(self.skip) {
                    cells.clear();
                    cells.extend(row.iter().map(String::as_str));
                    if !f(first_row + i, &cells) {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The rows of CSV text with quotes, through the CSV reader (a quoted field may hold a
/// delimiter, a doubled quote or a line break).
fn for_each_quoted(
    piece: &str,
    delimiter: u8,
    skip: usize,
    line_offset: usize,
    mut f: impl FnMut(usize, &[&str]) -> bool,
) -> Result<(), String> {
    let mut rdr = csv_reader(piece, delimiter);
    let mut rec = csv::ByteRecord::new();
    let mut i = 0usize;
    // Line numbers are counted here from the record's first byte: the CSV reader's
    // own count is off after a blank line ("a\n\nb" puts b on line 2).
    let bytes = piece.as_bytes();
    let (mut counted, mut lines) = (0usize, 0usize);
    let mut spare: Vec<&str> = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if line_offset > 0 => {
                return Err(format!(
                    "CSV syntax: {e} (lines counted from line {})",
                    line_offset + 1
                ));
            }
            Err(e) => return Err(format!("CSV syntax: {e}")),
        }
        if i >= skip {
            let line = match rec.position() {
                Some(p) => {
                    // The position is where the reader began: before any blank
                    // lines it passed over.
                    let mut at = (p.byte() as usize).min(bytes.len());
                    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
                        at += 1;
                    }
                    if at > counted {
                        lines += memchr::memchr_iter(b'\n', &bytes[counted..at]).count();
                        counted = at;
                    }
                    lines + 1
                }
                None => i + 1,
            };
            let mut cells: Vec<&str> = super::recycle(std::mem::take(&mut spare));
            cells.extend(rec.iter().map(field_text));
            if !f(line_offset + line, &cells) {
                break;
            }
            spare = super::recycle(cells);
        }
        i += 1;
    }
    Ok(())
}

/// The rows of CSV text without a quote character, as the CSV reader would give them (a
/// record ends at CR, LF or CRLF; empty lines are passed over; fields are split at the
/// delimiter) but several times faster: no state machine, no copy of each field, and one
/// vector of cells for every row. Extracts are nearly always unquoted.
fn for_each_unquoted(
    text: &str,
    delimiter: u8,
    skip: usize,
    line_offset: usize,
    mut f: impl FnMut(usize, &[&str]) -> bool,
) {
    let bytes = text.as_bytes();
    let (mut pos, mut line, mut seen) = (0usize, 1usize, 0usize);
    let mut cells: Vec<&str> = Vec::new();
    while pos < bytes.len() {
        let end = memchr::memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |k| pos + k);
        let (record, record_line) = (&text[pos..end], line);
        pos = end;
        if pos < bytes.len() {
            if bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
                pos += 1;
            }
            if bytes[pos] == b'\n' {
                line += 1;
            }
            pos += 1;
        }
        if record.is_empty() {
            continue;
        }
        seen += 1;
        if seen <= skip {
            continue;
        }
        cells.clear();
        let mut start = 0;
        for k in memchr::memchr_iter(delimiter, record.as_bytes()) {
            // The delimiter is ASCII: `start..k` falls between characters.
            cells.push(&record[start..k]);
            start = k + 1;
        }
        cells.push(&record[start..]);
        if !f(line_offset + record_line, &cells) {
            break;
        }
    }
}

/// A field of a record read from text that is already UTF-8, as text without checking it
/// again (that check was 4 % of reading a large CSV).
fn field_text(b: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(b).is_ok());
    // SAFETY: the reader was given a `&str`. A field is that text cut at, and with quotes
    // removed at, ASCII bytes (delimiter, quote, CR, LF; every delimiter purse sniffs is ASCII),
    // and an ASCII byte in UTF-8 is always a whole character, so what remains is UTF-8.
    unsafe { std::str::from_utf8_unchecked(b) }
}

impl Sheet {
    /// A CSV sheet of one piece of text.
    pub fn csv(text: String, delimiter: u8) -> Sheet {
        Sheet {
            name: None,
            body: Body::Csv {
                pieces: vec![Piece {
                    text: Arc::new(Text::from(text)),
                    lines_before: 0,
                }],
                delimiter,
            },
        }
    }

    /// Calls `f(row_number, cells)` for each row from the `skip`-th on (0-based), in order,
    /// until it returns false. Row numbers are what a person sees: the CSV line, the Excel row.
    pub fn for_each_row(
        &self,
        skip: usize,
        mut f: impl FnMut(usize, &[&str]) -> bool,
    ) -> Result<(), String> {
        let mut seen = 0usize;
        let mut go_on = true;
        for part in self.whole_parts() {
            part.for_each_row(|line, cells| {
                seen += 1;
                if seen <= skip {
                    return true;
                }
                go_on = f(line, cells);
                go_on
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    /// One part per piece, nothing passed over.
    fn whole_parts(&self) -> Vec<Part> {
        match &self.body {
            Body::Csv { pieces, delimiter } => pieces
                .iter()
                .map(|p| Part {
                    src: PartSrc::Csv {
                        text: p.text.clone(),
                        delimiter: *delimiter,
                    },
                    start: 0,
                    end: p.text.len(),
                    skip: 0,
                    line_offset: p.lines_before,
                })
                .collect(),
            Body::Grid { first_row, rows } => vec![Part {
                src: PartSrc::Grid {
                    rows: rows.clone(),
                    first_row: *first_row,
                },
                start: 0,
                end: rows.len(),
                skip: 0,
                line_offset: 0,
            }],
        }
    }

    /// The sheet from record `skip` on, in parts: one per piece of a CSV read in pieces;
    /// otherwise at most `n` of about equal size, one unless it is a CSV of
    /// [`PARALLEL_MIN_BYTES`] or more. Cuts fall at line ends; when the text has quotes, at
    /// record ends as the CSV reader finds them (a quoted field may hold a line break).
    pub fn parts(&self, skip: usize, n: usize) -> Vec<Part> {
        self.parts_from(skip, n, PARALLEL_MIN_BYTES)
    }

    /// [`Sheet::parts`] with the size below which a one-piece CSV stays whole (a worksheet
    /// stays whole below that many data rows or [`GRID_PARALLEL_MIN_ROWS`], the fewer).
    pub fn parts_from(&self, skip: usize, n: usize, min_bytes: usize) -> Vec<Part> {
        let mut whole = self.whole_parts();
        if whole.len() > 1 {
            // Pieces: the records to pass over are taken from the first pieces on.
            let mut left = skip;
            for part in &mut whole {
                if left == 0 {
                    break;
                }
                let mut records = 0;
                let _ = part.for_each_row(|_, _| {
                    records += 1;
                    records < left
                });
                part.skip = records.min(left);
                left -= part.skip;
            }
            return whole;
        }
        let Some(mut first) = whole.pop() else {
            return Vec::new();
        };
        first.skip = skip;
        let (text, delimiter) = match &first.src {
            PartSrc::Csv { text, delimiter } => (text, delimiter),
            PartSrc::Grid { rows, .. } => {
                // A large worksheet in stretches of rows, read on threads of their own.
                let (len, body) = (rows.len(), skip.min(rows.len()));
                if n < 2 || len - body < GRID_PARALLEL_MIN_ROWS.min(min_bytes.max(1)) {
                    return vec![first];
                }
                return (0..n)
                    .map(|k| Part {
                        src: first.src.clone(),
                        start: if k == 0 {
                            0
                        } else {
                            body + (len - body) * k / n
                        },
                        end: body + (len - body) * (k + 1) / n,
                        skip: if k == 0 { skip } else { 0 },
                        line_offset: 0,
                    })
                    .collect();
            }
        };
        if n < 2 || text.len() < min_bytes.max(1) {
            return vec![first];
        }
        // Where the records to pass over end.
        let mut rdr = csv_reader(text, *delimiter);
        let mut rec = csv::ByteRecord::new();
        for _ in 0..skip {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                _ => return vec![first],
            }
        }
        let body_start = rdr.position().byte() as usize;
        let bytes = text.as_bytes();
        let len = bytes.len();
        let targets: Vec<usize> = (1..n)
            .map(|k| body_start + (len - body_start) * k / n)
            .collect();
        let mut cuts = Vec::with_capacity(n - 1);
        if memchr::memchr(b'"', &bytes[body_start..]).is_none() {
            // No quoting: every line end is a record end.
            for t in targets {
                let from = t.max(cuts.last().copied().unwrap_or(0));
                if let Some(i) = memchr::memchr(b'\n', &bytes[from..]) {
                    cuts.push(from + i + 1);
                }
            }
        } else {
            // Record ends as the reader finds them, the first one past each target.
            let mut t = targets.into_iter().peekable();
            while let Some(&target) = t.peek() {
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => {}
                    _ => break,
                }
                let at = rdr.position().byte() as usize;
                if at >= target {
                    cuts.push(at);
                    t.next();
                }
            }
        }
        cuts.retain(|&c| c > body_start && c < len);
        cuts.dedup();
        if cuts.is_empty() {
            return vec![first];
        }
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let (mut start, mut lines) = (0usize, first.line_offset);
        for end in cuts.into_iter().chain(std::iter::once(len)) {
            parts.push(Part {
                src: first.src.clone(),
                start,
                end,
                skip: if start == 0 { skip } else { 0 },
                line_offset: lines,
            });
            lines += memchr::memchr_iter(b'\n', &bytes[start..end]).count();
            start = end;
        }
        parts
    }

    /// The first `n` rows, owned, for header and title detection.
    pub fn head(&self, n: usize) -> Result<Vec<(usize, Vec<String>)>, String> {
        let mut out = Vec::with_capacity(n);
        self.for_each_row(0, |line, cells| {
            out.push((line, cells.iter().map(|c| c.to_string()).collect()));
            out.len() < n
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected_not_guessed() {
        let (gbk, _, _) = encoding_rs::GBK.encode("预算单位,累计支出\n示范局,1\n");
        let (t, e) = decode_text(&gbk).unwrap();
        assert_eq!(e, Encoding::Gb18030);
        assert!(t.starts_with("预算单位"));
        let (t, e) = decode_text("\u{FEFF}预算单位".as_bytes()).unwrap();
        assert_eq!((t.as_str(), e), ("预算单位", Encoding::Utf8Bom));
        assert!(decode_text(b"\x00\x01\x02").is_err());
    }

    /// A truncated XLS that panicked calamine's CFB reader (fuzz/README.md): refused as damaged.
    #[test]
    fn a_damaged_xls_is_refused_not_a_panic() {
        let bytes = include_bytes!("../../fixtures/bad/damaged.xls");
        let err = open(bytes).err().expect("refused");
        assert!(err.starts_with("not a readable workbook"), "{err}");
    }

    /// A 6 KB XLS whose FAT loops made calamine grow a buffer without end (24 GB before the
    /// kernel killed purse; found by fuzz/): refused before calamine reads it.
    #[test]
    fn a_looping_xls_is_refused_before_it_eats_memory() {
        let bytes = include_bytes!("../../fixtures/bad/looping.xls");
        let err = open(bytes).err().expect("refused");
        assert!(err.contains("damaged") && err.contains("loops"), "{err}");
        // A sound XLS still opens.
        let good = include_bytes!("../../fixtures/bureau/pingyang_2025-10.xls");
        assert!(open(good).is_ok());
    }

    /// A 5.6 KB XLS with a cell record in column 34,973 made calamine allocate 66 GB (the
    /// process aborted; found by fuzz/): refused as damaged before calamine sizes the sheet.
    #[test]
    fn an_xls_cell_beyond_the_formats_columns_is_refused() {
        let bytes = include_bytes!("../../fixtures/bad/wide.xls");
        let err = open(bytes).err().expect("refused");
        assert!(
            err.contains("damaged") && err.contains("the format has 256"),
            "{err}"
        );
    }

    /// A DIMENSIONS record claiming billions of rows made calamine reserve 11 PB (abort; found
    /// by fuzz/, 4th run): refused as damaged.
    #[test]
    fn an_xls_claiming_impossible_dimensions_is_refused() {
        let bytes = include_bytes!("../../fixtures/bad/huge_dimensions.xls");
        let err = open(bytes).err().expect("refused");
        assert!(
            err.contains("damaged") && err.contains("dimensions claim"),
            "{err}"
        );
    }

    fn rows_of(_sheet: &Sheet, parts: &[Part]) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        for p in parts {
            p.for_each_row(|line, cells| {
                out.push((line, cells.iter().map(|c| c.to_string()).collect()));
                true
            })
            .unwrap();
        }
        out
    }

    proptest::proptest! {
        /// A CSV read in parts gives the rows, cells and line numbers of the CSV read whole:
        /// quoted fields with commas, doubled quotes and line breaks, blank lines, stray quotes
        /// inside unquoted fields, CRLF, a header to pass over.
        #[test]
        fn a_csv_read_in_parts_is_the_csv_read_whole(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        "[a-z0-9 ]{0,6}",
                        "\"[a-z,\n]{0,6}\"",
                        "\"x\"\"y\"",
                        "ab\"c",
                        "预算[0-9]{1,3}",
                    ],
                    1..5,
                ),
                0..60,
            ),
            crlf in proptest::bool::ANY,
            skip in 0usize..3,
            n in 2usize..5,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let text: String = rows.iter().map(|r| r.join(",") + eol).collect();
            let Ok(opened) = open(text.as_bytes()) else { return Ok(()) };
            let sheet = &opened.sheets[0];
            let whole = rows_of(sheet, &sheet.parts_from(skip, 1, 0));
            let parts = sheet.parts_from(skip, n, 0);
            proptest::prop_assert_eq!(rows_of(sheet, &parts), whole);
        }
    }

    /// A file as `read_bytes` reads it: in pieces of `size` bytes, each checked.
    fn read_in_pieces(bytes: &[u8], size: usize) -> Result<Opened, String> {
        let mut r = PieceReader::new(bytes, size);
        let mut pieces = Vec::new();
        while let Some(p) = r.next_piece().unwrap() {
            pieces.push(check_piece(Bytes::Owned(p)));
        }
        open_pieces(pieces)
    }

    /// A file as `read_bytes` reads a regular file: mapped, cut by [`cuts`], each piece checked
    /// where it lies. `None` for an empty file (never mapped).
    fn map_in_pieces(bytes: &[u8], size: usize) -> Option<Result<Opened, String>> {
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, bytes).unwrap();
        let map = Arc::new(super::super::mapped::Mapped::open(
            &f,
            std::path::Path::new("t.csv"),
        )?);
        let pieces = cuts(map.bytes(), size)
            .into_iter()
            .map(|r| check_piece(Bytes::mapped(&map, r)))
            .collect();
        Some(open_pieces(pieces))
    }

    proptest::proptest! {
        /// A mapped file is cut where [`PieceReader`] cuts it: pieces end just after a line
        /// end, a line longer than a piece is one piece, nothing is lost or repeated.
        #[test]
        fn a_mapped_file_is_cut_where_it_is_read(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![proptest::strategy::Just(b'\n'), proptest::num::u8::ANY],
                0..300,
            ),
            size in 1usize..40,
        ) {
            let mut r = PieceReader::new(&bytes[..], size);
            let mut read = Vec::new();
            while let Some(p) = r.next_piece().unwrap() {
                read.push(p);
            }
            let cut: Vec<Vec<u8>> = cuts(&bytes, size).into_iter().map(|r| bytes[r].to_vec()).collect();
            proptest::prop_assert_eq!(cut, read);
        }
    }

    proptest::proptest! {
        /// A file read in pieces is the file read whole: the same rows, cells and line numbers
        /// (the header passed over across pieces too), the same encoding, whether its pieces
        /// are kept (plain text) or joined (quotes, a BOM); in UTF-8 and in GBK.
        #[test]
        fn a_file_read_in_pieces_is_the_file_read_whole(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        "[a-z0-9 ]{0,6}",
                        "\"[a-z,\n]{0,6}\"",
                        "预算[0-9]{1,3}",
                        "",
                    ],
                    1..5,
                ),
                0..40,
            ),
            crlf in proptest::bool::ANY,
            gbk in proptest::bool::ANY,
            bom in proptest::bool::ANY,
            skip in 0usize..4,
            size in 1usize..80,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let text: String = rows.iter().map(|r| r.join(",") + eol).collect();
            let mut bytes = if gbk {
                encoding_rs::GBK.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            };
            if bom && !gbk {
                bytes.splice(0..0, *b"\xEF\xBB\xBF");
            }
            let whole = open(&bytes);
            let pieces = read_in_pieces(&bytes, size);
            let mapped = map_in_pieces(&bytes, size);
            if let Some(m) = &mapped {
                // The same outcome, the same sheet, read where the file is mapped.
                let r = read_in_pieces(&bytes, size);
                match (m, &r) {
                    (Ok(m), Ok(r)) => {
                        proptest::prop_assert_eq!(m.encoding, r.encoding);
                        let (m, r) = (&m.sheets[0], &r.sheets[0]);
                        proptest::prop_assert_eq!(
                            rows_of(m, &m.parts_from(skip, 3, 0)),
                            rows_of(r, &r.parts_from(skip, 3, 0))
                        );
                    }
                    (Err(m), Err(r)) => proptest::prop_assert_eq!(m, r),
                    _ => proptest::prop_assert!(false, "mapped {:?} vs read {:?}", m.is_ok(), r.is_ok()),
                }
            }
            match (whole, pieces) {
                (Ok(w), Ok(p)) => {
                    proptest::prop_assert_eq!(w.encoding, p.encoding);
                    let (w, p) = (&w.sheets[0], &p.sheets[0]);
                    let want = rows_of(w, &w.parts_from(skip, 1, 0));
                    proptest::prop_assert_eq!(rows_of(p, &p.parts_from(skip, 3, 0)), want.clone());
                    let mut all = Vec::new();
                    p.for_each_row(skip, |line, cells| {
                        all.push((line, cells.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
                        true
                    }).unwrap();
                    proptest::prop_assert_eq!(all, want);
                }
                (Err(w), Err(p)) => proptest::prop_assert_eq!(w, p),
                (w, p) => proptest::prop_assert!(false, "whole {:?} vs pieces {:?}", w.is_ok(), p.is_ok()),
            }
        }
    }

    /// A large plain CSV keeps its pieces as parts (each let go once read); one with quotes is
    /// joined, since a quoted field may hold the line end a piece was cut at.
    #[test]
    fn a_plain_csv_keeps_its_pieces_a_quoted_one_is_joined() {
        let plain: String = (0..100).map(|i| format!("{i},示范{i}\n")).collect();
        let o = read_in_pieces(plain.as_bytes(), 64).unwrap();
        let Body::Csv { pieces, .. } = &o.sheets[0].body else {
            panic!("a CSV")
        };
        assert!(pieces.len() > 10, "{}", pieces.len());
        assert_eq!(o.sheets[0].parts(1, 2).len(), pieces.len());
        let quoted = format!("a,\"b\nc\"\n{plain}");
        let o = read_in_pieces(quoted.as_bytes(), 64).unwrap();
        let Body::Csv { pieces, .. } = &o.sheets[0].body else {
            panic!("a CSV")
        };
        assert_eq!(pieces.len(), 1);
        let mut rows = 0;
        o.sheets[0]
            .for_each_row(0, |_, _| {
                rows += 1;
                true
            })
            .unwrap();
        assert_eq!(rows, 101);
    }

    #[test]
    fn a_large_csv_is_cut_between_records() {
        let mut text = String::from("a,b\n");
        for i in 0..2000 {
            text.push_str(&format!("{i},\"line\nbreak {i}\"\n"));
        }
        let opened = open(text.as_bytes()).unwrap();
        let sheet = &opened.sheets[0];
        let parts = sheet.parts_from(1, 3, 0);
        assert_eq!(parts.len(), 3, "{parts:?}");
        let rows = rows_of(sheet, &parts);
        assert_eq!(rows.len(), 2000);
        assert_eq!(
            rows[1500],
            (
                3002,
                vec!["1500".to_string(), "line\nbreak 1500".to_string()]
            )
        );
    }

    /// The rows of a part read through the CSV reader, whatever its text.
    fn rows_by_csv_reader(text: &str, skip: usize) -> Vec<(usize, Vec<String>)> {
        // A quote at the end makes the part take the CSV reader's path; it adds a last row of
        // its own (a lone quoted empty field), dropped here.
        let quoted = format!("{text}\n\"\"");
        let sheet = Sheet::csv(quoted, b',');
        let mut rows = rows_of(&sheet, &sheet.parts_from(skip, 1, 0));
        rows.pop();
        rows
    }

    proptest::proptest! {
        /// Unquoted text read by the fast splitter gives what the CSV reader gives: the same
        /// rows, cells and line numbers, with CR, LF and CRLF endings, lone CRs, blank lines,
        /// empty fields and a header to pass over.
        #[test]
        fn unquoted_text_reads_as_the_csv_reader_reads_it(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z0-9 ]{0,5}",
                    "预算[0-9]{0,2}",
                    proptest::strategy::Just(",".to_string()),
                    proptest::strategy::Just("\n".to_string()),
                    proptest::strategy::Just("\r\n".to_string()),
                    proptest::strategy::Just("\r".to_string()),
                    proptest::strategy::Just("\n\n".to_string()),
                    proptest::strategy::Just("\t".to_string()),
                ],
                0..40,
            ),
            skip in 0usize..3,
        ) {
            let text: String = pieces.concat();
            let sheet = Sheet::csv(text.clone(), b',');
            let fast = rows_of(&sheet, &sheet.parts_from(skip, 1, 0));
            let want = rows_by_csv_reader(&text, skip);
            // A last row ending in a lone CR: the appended line makes it a row of its own either
            // way; compare what both read.
            proptest::prop_assert_eq!(fast, want);
        }
    }

    /// Row numbers are the file's lines, blank lines counted (the CSV reader's own count is
    /// not: it put `b` of "a\r\n\r\nb" on line 1).
    #[test]
    fn row_numbers_count_blank_lines() {
        for (text, want) in [
            ("a\n\nb\nc\n", vec![1, 3, 4]),
            ("a\r\n\r\nb\r\n", vec![1, 3]),
            ("\n\na\nb", vec![3, 4]),
            ("a\n\"x\ny\"\n\nb\n", vec![1, 2, 5]),
        ] {
            let o = open(text.as_bytes()).unwrap();
            let mut lines = Vec::new();
            o.sheets[0]
                .for_each_row(0, |l, _| {
                    lines.push(l);
                    true
                })
                .unwrap();
            assert_eq!(lines, want, "{text:?}");
        }
    }

    #[test]
    fn cr_only_line_endings() {
        let o = open(b"a,b\r1,2\r3,4\r").unwrap();
        let mut lines = Vec::new();
        o.sheets[0]
            .for_each_row(0, |l, c| {
                lines.push((l, c.join("|")));
                true
            })
            .unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2].1, "3|4");
    }
}
