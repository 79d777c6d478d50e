//! Finding the table inside what bureaus wrap around it: title rows (period, region, budget
//! kind), unit lines, one- or two-row headers, then mapping headers to canonical columns through
//! the alias table.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::value::{to_half_width, unit_pow};
use crate::datasets::{Catalog, Dataset};

/// A header cell reduced to what the alias table is keyed by, plus what the spelling told us.
///
/// Bureaus write the period into headers (`1-10月累计支出`, `2025年年初预算数`, `截至10月底累计`,
/// `本月数`, `上年同期累计数`, `预算数（2025年）`). A header is split into its period fragment
/// and its measure; the measure is looked up through the aliases, qualified by what the fragment
/// says (累计 for a year to date, 本月 for one month, 上年同期 for last year's figure), and the
/// fragment's year and month are kept so the file's period can be checked against them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderKey {
    /// The whole header, normalised: the first lookup key.
    pub key: String,
    /// Lookup keys in order of preference: the whole header, the qualified measure, the
    /// measure alone (never for last year's figures).
    pub candidates: Vec<String>,
    /// From a suffix such as `(万元)`.
    pub unit_pow: Option<u32>,
    /// The month a period fragment names (`10月`, `1-10月`, `截至10月底`).
    pub month: Option<u32>,
    /// The year a period fragment names (`2025年…`, `(2025年)`).
    pub year: Option<i32>,
    /// `上年同期…`: last year's figure for the same period.
    pub prior: bool,
    /// The period fragment as written (normalised), for messages.
    pub fragment: Option<String>,
}

static PAREN_SUFFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\(([^()]*)\)$").unwrap());
static YEAR_COL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})年?(决算数|执行数)?$").unwrap());
/// `2025年`, `2025年度` at the start of a header.
static YEAR_FRAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{4})年度?").unwrap());
/// `1-10月`, `10月份`, `截至10月底`, `10月末累计` at the start of a header (after any year).
static MONTH_FRAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(1-)|(截至|截止|至))?(\d{1,2})月(?:份)?(?:底|末)?").unwrap());
/// A bare year, month range or month in parentheses after the measure: `预算数(2025年)`.
static PAREN_PERIOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(\d{4})年?度?)?(?:(1-)?(\d{1,2})月(?:份)?)?$").unwrap());

/// What a period fragment says about the figure under it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Qualifier {
    /// Year to date: 累计.
    Ytd,
    /// One month: 本月.
    Month,
    /// Last year's same period: 上年同期.
    Prior,
}

impl Qualifier {
    fn word(self) -> &'static str {
        match self {
            Qualifier::Ytd => "累计",
            Qualifier::Month => "本月",
            Qualifier::Prior => "上年同期",
        }
    }
    /// Spellings of the same qualifier a measure may already begin with.
    fn spellings(self) -> &'static [&'static str] {
        match self {
            Qualifier::Ytd => &["累计", "本年累计"],
            Qualifier::Month => &["本月", "当月"],
            Qualifier::Prior => &["上年同期", "去年同期", "同期"],
        }
    }
}

/// Normalises a header: half-width, no white space or `*`, case folded, unit suffix removed and
/// remembered, and its period fragment split off (see [`HeaderKey`]).
pub fn normalize_header(raw: &str) -> HeaderKey {
    let mut s: String = to_half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '※')
        .map(|c| match c {
            '—' | '–' | '~' | '－' => '-',
            '【' | '[' => '(',
            '】' | ']' => ')',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    // `1至10月` is a range; `截至10月` is not (至 stays where 截 precedes it).
    s = s
        .replace("截至", "\u{1}")
        .replace('至', "-")
        .replace('\u{1}', "截至");
    let mut out = HeaderKey::default();
    while let Some(cap) = PAREN_SUFFIX.captures(&s) {
        let inner = cap[1].to_string();
        let whole = cap.get(0).map(|m| m.start()).unwrap_or(0);
        let inner = inner.trim_start_matches("单位:").trim_start_matches("单位");
        if let Some(p) = unit_pow(inner) {
            out.unit_pow = Some(p);
        } else if let Some(c) = PAREN_PERIOD.captures(inner).filter(|_| !inner.is_empty()) {
            out.year = out.year.or(c.get(1).and_then(|y| y.as_str().parse().ok()));
            out.month = out.month.or(c.get(3).and_then(|m| m.as_str().parse().ok()));
            out.fragment = Some(inner.to_string());
        } else if inner != "%" && inner != "年" {
            break;
        }
        s.truncate(whole);
    }
    if let Some(c) = YEAR_COL.captures(&s) {
        // An annual figure is the year's 1-12月 累计.
        out.year = c[1].parse().ok();
        out.month = Some(12);
        out.key = "累计".into();
        out.candidates = vec![out.key.clone()];
        return out;
    }
    let (fragment, measure, qualifier) = split_period(&s, &mut out);
    if !fragment.is_empty() {
        out.fragment = Some(fragment);
    }
    out.prior = qualifier == Some(Qualifier::Prior);
    out.candidates = candidates(&s, &measure, qualifier);
    out.key = s;
    out
}

/// Splits the period fragment off the front of a header: returns the fragment, the measure
/// and the fragment's qualifier; sets the year and month it names.
fn split_period(s: &str, out: &mut HeaderKey) -> (String, String, Option<Qualifier>) {
    let mut rest = s;
    let mut qualifier = None;
    for word in ["上年同期", "去年同期"] {
        if let Some(r) = rest.strip_prefix(word) {
            qualifier = Some(Qualifier::Prior);
            rest = r;
        }
    }
    if let Some(c) = YEAR_FRAG.captures(rest) {
        out.year = c[1].parse().ok();
        rest = &rest[c.get(0).map_or(0, |m| m.end())..];
    }
    if let Some(c) = MONTH_FRAG.captures(rest) {
        let month: Option<u32> = c[3].parse().ok().filter(|m| (1..=12).contains(m));
        if let Some(m) = month {
            out.month = Some(m);
            let ytd =
                c.get(1).is_some() || c.get(2).is_some() || rest[c[0].len()..].starts_with("累计");
            if qualifier.is_none() {
                qualifier = Some(if ytd {
                    Qualifier::Ytd
                } else {
                    Qualifier::Month
                });
            }
            rest = &rest[c.get(0).map_or(0, |m| m.end())..];
        }
    }
    if qualifier.is_none() {
        for (words, q) in [
            (&["本年度", "本年", "当年"][..], Qualifier::Ytd),
            (&["本月", "当月"][..], Qualifier::Month),
        ] {
            if let Some(w) = words.iter().find(|w| rest.starts_with(**w)) {
                // 本年累计 / 本月数: the word is the qualifier, what follows the measure.
                qualifier = Some(q);
                rest = &rest[w.len()..];
                break;
            }
        }
    }
    let fragment = s[..s.len() - rest.len()].to_string();
    (fragment, rest.to_string(), qualifier)
}

/// Trailing words that add nothing to a measure: 累计数 is 累计, 本月金额 is 本月.
fn strip_filler(m: &str) -> Option<&str> {
    ["金额", "数", "额", "值", "%"]
        .iter()
        .find_map(|f| m.strip_suffix(f))
        .filter(|r| *r != m)
}

fn candidates(whole: &str, measure: &str, q: Option<Qualifier>) -> Vec<String> {
    let mut out: Vec<String> = vec![whole.to_string()];
    let mut push = |c: String| {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    };
    if let Some(q) = q {
        let bare = q
            .spellings()
            .iter()
            .find_map(|w| measure.strip_prefix(w))
            .unwrap_or(measure);
        let qualified = format!("{}{bare}", q.word());
        if let Some(stripped) = strip_filler(&qualified) {
            push(qualified.clone());
            push(stripped.to_string());
        } else {
            push(qualified);
        }
        if q == Qualifier::Prior {
            // Last year's figure never falls back to this year's column.
            return out;
        }
    }
    if measure != whole {
        push(measure.to_string());
        if let Some(stripped) = strip_filler(measure) {
            push(stripped.to_string());
        }
    }
    out
}

/// What the lines above the header say about the extract.
#[derive(Debug, Clone, Default)]
pub struct TitleInfo {
    pub unit_pow: Option<u32>,
    pub unit_text: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub region_name: Option<String>,
    /// A 区划编码 the title rows state (`区划编码：330326`).
    pub region_code: Option<String>,
    /// The department whose own budget the sheet is, where the title names it right after the
    /// region (`鹿城区教育局2026年部门预算…` → 教育局).
    pub dept_name: Option<String>,
    pub budget_kind: Option<String>,
}

/// The region a title line names: the most specific of the administrative units it opens with
/// (`浙江省温州市平阳县财政局…` → 平阳县), or that follow its period (`2025年平阳县…`). The units
/// must run up to the bureau, 本级, the period or the budget's name, so words that merely end in
/// 市 or 区 inside a sentence are not taken for a region.
pub fn region_in_title(line: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    let line: String = chars.iter().collect();
    let mut starts = vec![0];
    if let Some(m) = YEAR_PREFIX.find(&line) {
        starts.push(line[..m.end()].chars().count());
    }
    starts
        .into_iter()
        .find_map(|s| last_unit(&chars, s, 0))
        .map(|(a, b)| chars[a..b].iter().collect())
}

/// The department a title names right after its region `region` (`鹿城区教育局2026年部门预算` →
/// 教育局): a name ending in 局, 委, 办 … that runs up to the period or the budget's name. The
/// finance bureau's own titles (财政局…) name no department.
pub fn dept_in_title(line: &str, region: &str) -> Option<String> {
    let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = &line[line.find(region)? + region.len()..];
    let name = DEPT_AFTER_REGION.captures(rest)?.get(1)?.as_str();
    (name != "财政局" && name != "财政厅").then(|| name.to_string())
}

/// A department after its region in a title (`鹿城区` + `教育局2026年部门预算…`): a name ending in
/// 局, 委, 办 … that runs up to the period or the budget's name, and does not open with a level
/// word (杭州 + 市财政局 is no region and department).
static DEPT_AFTER_REGION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([\p{Han}&&[^市县区州省盟旗]]\p{Han}{0,11}?(?:局|委员会|委|办公室|厅|院|署|中心))(?:本级)?(?:\d{4}\s*年|部门|预算|决算)")
        .unwrap()
});

/// Splits `chars[at..]` into administrative units that run up to what follows a region,
/// preferring the shortest unit at each step (杭州市 is not 杭州 + 市…); returns the last unit.
fn last_unit(chars: &[char], at: usize, depth: usize) -> Option<(usize, usize)> {
    if depth > 4 {
        return None;
    }
    let first = *chars.get(at)?;
    // A unit never begins with a level word (市辖区, 全市 are not names).
    let level_start = LEVELS.iter().any(|l| l.starts_with(first));
    if level_start || matches!(first, '全' | '本' | '各') {
        return None;
    }
    for end in at + 2..=(at + 13).min(chars.len()) {
        if !is_han(chars[end - 1]) {
            break;
        }
        let unit: String = chars[at..end].iter().collect();
        if !LEVELS.iter().any(|l| unit.ends_with(l)) {
            continue;
        }
        let rest: String = chars[end..].iter().collect();
        if AFTER_REGION.is_match(&rest) {
            return Some((at, end));
        }
        if let Some(found) = last_unit(chars, end, depth + 1) {
            return Some(found);
        }
        // A department's own table: the most specific unit first (温州市鹿城区教育局 → 鹿城区).
        if DEPT_AFTER_REGION.is_match(&rest) {
            return Some((at, end));
        }
    }
    None
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

static YEAR_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}年(?:度)?(?:\d{1,2}(?:-\d{1,2})?月(?:份)?)?").unwrap());

static UNIT_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"单位\s*[:：]?\s*(人民币)?(元|千元|万元|百万元|亿元)").unwrap());
static PERIOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4})\s*年\s*(?:1\s*[-—–~至－]\s*)?(\d{1,2})\s*月").unwrap());
static YEAR_ONLY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{4})\s*年").unwrap());
static ISO_PERIOD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})\b").unwrap());
/// The level words an administrative unit's name ends with.
const LEVELS: [&str; 13] = [
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "新区",
    "省",
    "市",
    "县",
    "区",
    "州",
    "盟",
    "旗",
];
/// What follows a region in a bureau's title: its bureau, 本级, the period, the budget (or one of
/// its departments: [`DEPT_AFTER_REGION`]).
static AFTER_REGION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:本级|财政局|财政厅|财政部门|财政|人民政府|政府|人大|审计局|统计局|国资委|发展和改革|发改|\d{4}\s*年|[(（]|一般公共|政府性基金|国有资本|社会保险|全口径|预算|决算|债务|地方政府)")
        .unwrap()
});
static KEY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([^:：]{1,16})\s*[:：]\s*(.+?)\s*$").unwrap());

pub const BUDGET_KINDS: [&str; 4] = [
    "一般公共预算",
    "政府性基金预算",
    "国有资本经营预算",
    "社会保险基金预算",
];

pub fn parse_title(rows: &[Vec<String>]) -> TitleInfo {
    let mut t = TitleInfo::default();
    for row in rows {
        for cell in row.iter().filter(|c| !c.trim().is_empty()) {
            let cell = to_half_width(cell);
            if let Some(c) = UNIT_LINE.captures(&cell) {
                t.unit_pow = unit_pow(&c[2]);
                t.unit_text = Some(c[2].to_string());
            }
            if t.month.is_none() {
                if let Some(c) = PERIOD.captures(&cell) {
                    t.year = c[1].parse().ok();
                    t.month = c[2].parse().ok().filter(|m| (1..=12).contains(m));
                } else if let Some(c) = ISO_PERIOD.captures(&cell) {
                    t.year = c[1].parse().ok();
                    t.month = c[2].parse().ok().filter(|m| (1..=12).contains(m));
                } else if let Some(c) = YEAR_ONLY.captures(&cell) {
                    t.year = t.year.or(c[1].parse().ok());
                }
            }
            if t.region_name.is_none() {
                t.region_name = region_in_title(cell.trim());
                if let Some(r) = &t.region_name {
                    t.dept_name = dept_in_title(cell.trim(), r);
                }
            }
            if let Some(k) = BUDGET_KINDS.iter().find(|k| cell.contains(*k)) {
                t.budget_kind = Some(k.to_string());
            }
            if let Some(c) = KEY_VALUE.captures(&cell) {
                let key = c[1].trim().to_lowercase();
                let val = c[2].trim().to_string();
                match key.as_str() {
                    "region" | "地区" | "行政区划" | "填报地区" | "区划名称" => {
                        t.region_name = Some(val)
                    }
                    "region_code" | "区划编码" | "财政区划编码" | "行政区划代码"
                        if val.chars().all(|c| c.is_ascii_digit()) =>
                    {
                        t.region_code = Some(val)
                    }
                    "year" | "年度" | "年份" => t.year = val.parse().ok().or(t.year),
                    _ => {}
                }
            }
        }
    }
    t
}

/// Header cells mapped to one dataset's columns.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub dataset: usize,
    /// 0-based index of the first header row within the sheet.
    pub header_row: usize,
    /// 1 or 2.
    pub header_rows: usize,
    pub cols: Vec<Mapped>,
    /// Source headers that matched no column (kept as information, not an error).
    pub unmatched: Vec<String>,
    /// The same, with their source column index.
    pub unmatched_src: Vec<(usize, String)>,
    /// Source headers mapped twice to the same column.
    pub duplicates: Vec<(String, String, String)>,
    pub month: Option<u32>,
    pub year: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Mapped {
    /// Source column index.
    pub src: usize,
    /// Canonical column index in the dataset.
    pub col: usize,
    /// Unpivot group index (一般债务 / 专项债务) for wide tables.
    pub group: Option<usize>,
    pub unit_pow: Option<u32>,
    /// The period a period-labelled header names (`2016`, `10月`), for tables that put periods
    /// side by side.
    pub period: Option<(Option<i32>, Option<u32>)>,
    /// The header as written, for messages.
    pub header: String,
}

impl Mapped {
    /// `2025-10`, `2025`, `10月` as a header names it, for messages.
    pub fn period_text(&self) -> String {
        match self.period {
            Some((Some(y), Some(m))) => format!("{y:04}-{m:02}"),
            Some((Some(y), None)) => format!("{y:04}"),
            Some((None, Some(m))) => format!("{m}月"),
            _ => String::new(),
        }
    }
}

/// Headers whose period fragment disagrees with the file's period (from `--period`, else the
/// title), or with each other: `Some(reason)` naming both. Tables that put periods side by side
/// (2016 | 2017, 1月 … 12月) carry many periods on purpose and are not checked.
/// The period a file's name gives (`exec_2025-12.csv`, `2025年1-12月执行.xlsx`, `targets_2025.csv`
/// for a yearly dataset): the last resort when neither `--period`, the title nor the headers
/// give one, and a check on them when they do. A year alone counts only as `2025年`, or for a
/// yearly dataset as a four-digit year standing apart (`_2025.`); a range of years gives none.
pub fn period_in_name(name: &str, annual: bool) -> Option<(i32, Option<u32>)> {
    static NAME_ISO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|\D)((?:19|20)\d{2})[-_.](\d{1,2})(?:\D|$)").unwrap());
    static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").unwrap());
    let stem = std::path::Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    let month = |m: &str| m.parse().ok().filter(|m| (1..=12).contains(m));
    if let Some(c) = PERIOD.captures(stem) {
        return Some((c[1].parse().ok()?, month(&c[2])));
    }
    if let Some(c) = NAME_ISO.captures(stem)
        && let Some(m) = month(&c[2])
    {
        return Some((c[1].parse().ok()?, Some(m)));
    }
    if let Some(c) = YEAR_ONLY.captures(stem) {
        return Some((c[1].parse().ok()?, None));
    }
    // Every run of digits that is a year of four (a range of years is two of them).
    let years: Vec<i32> = DIGITS
        .find_iter(stem)
        .map(|d| d.as_str())
        .filter(|d| d.len() == 4 && (d.starts_with("19") || d.starts_with("20")))
        .filter_map(|d| d.parse().ok())
        .collect();
    match years[..] {
        [y] if annual => Some((y, None)),
        _ => None,
    }
}

pub fn period_conflict(
    m: &Mapping,
    annual: bool,
    file: Option<(i32, Option<u32>)>,
    file_source: &str,
) -> Option<String> {
    let labelled: Vec<&Mapped> = m.cols.iter().filter(|c| c.period.is_some()).collect();
    let wide = labelled.iter().any(|a| {
        labelled
            .iter()
            .any(|b| a.col == b.col && a.group == b.group && a.period != b.period)
    });
    if wide {
        return None;
    }
    let months = |c: &Mapped| c.period.and_then(|p| p.1).filter(|_| !annual);
    let years = |c: &Mapped| c.period.and_then(|p| p.0);
    for (i, a) in labelled.iter().enumerate() {
        for b in &labelled[i + 1..] {
            let clash = matches!((months(a), months(b)), (Some(x), Some(y)) if x != y)
                || matches!((years(a), years(b)), (Some(x), Some(y)) if x != y);
            if clash {
                return Some(format!(
                    "the headers name different periods: `{}` ({}) and `{}` ({})",
                    a.header,
                    a.period_text(),
                    b.header,
                    b.period_text()
                ));
            }
        }
    }
    let (fy, fm) = file?;
    for c in labelled {
        let year_clash = years(c).is_some_and(|y| y != fy);
        let month_clash = matches!((months(c), fm), (Some(x), Some(y)) if x != y);
        if year_clash || month_clash {
            let file_text = match (fm, annual) {
                (Some(mo), false) => format!("{fy:04}-{mo:02}"),
                _ => format!("{fy:04}"),
            };
            return Some(format!(
                "period mismatch: the header `{}` is for {} but {file_source} says {file_text}; \
                 correct the header or the period",
                c.header,
                c.period_text()
            ));
        }
    }
    None
}

impl Mapping {
    pub fn score(&self) -> usize {
        let mut seen: Vec<usize> = self.cols.iter().map(|m| m.col).collect();
        // A period-wide table counts each column once.
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }
}

/// Alias lookup for one dataset, keyed by normalised header.
pub struct AliasIndex {
    map: HashMap<String, usize>,
}

impl AliasIndex {
    pub fn new(ds: &Dataset) -> AliasIndex {
        let mut map = HashMap::new();
        for (i, c) in ds.columns.iter().enumerate() {
            map.entry(normalize_header(&c.name).key).or_insert(i);
            for a in &c.aliases {
                map.entry(normalize_header(a).key).or_insert(i);
            }
        }
        AliasIndex { map }
    }

    fn get(&self, key: &str) -> Option<usize> {
        self.map.get(key).copied()
    }
}

/// [`normalize_header`] once per distinct text while a sheet's header is looked for: the same
/// cells are tried as the header of every dataset, in one-row and two-row readings (a large
/// extract's first rows took 50 ms of it, before any row was read).
#[derive(Default)]
pub struct Keys {
    cache: std::cell::RefCell<HashMap<String, std::rc::Rc<HeaderKey>>>,
}

impl Keys {
    pub fn of(&self, raw: &str) -> std::rc::Rc<HeaderKey> {
        if let Some(k) = self.cache.borrow().get(raw) {
            return k.clone();
        }
        let k = std::rc::Rc::new(normalize_header(raw));
        self.cache.borrow_mut().insert(raw.to_string(), k.clone());
        k
    }
}

fn map_cell(
    ds: &Dataset,
    idx: &AliasIndex,
    keys: &Keys,
    candidates: &[String],
) -> Option<(usize, Option<usize>, HeaderKey)> {
    for cand in candidates {
        if cand.trim().is_empty() {
            continue;
        }
        let hk = keys.of(cand);
        if let Some(u) = &ds.unpivot {
            if u.skip.iter().any(|s| hk.key.starts_with(&keys.of(s).key)) && hk.key.len() > 6 {
                return None;
            }
            for (gi, g) in u.groups.iter().enumerate() {
                let gk = keys.of(g);
                for key in &hk.candidates {
                    if let Some(rest) = key.strip_prefix(gk.key.as_str())
                        && let Some(c) = idx.get(rest).or_else(|| idx.get(&format!("债务{rest}")))
                    {
                        return Some((c, Some(gi), (*hk).clone()));
                    }
                }
            }
        }
        if let Some(c) = hk.candidates.iter().find_map(|k| idx.get(k)) {
            return Some((c, None, (*hk).clone()));
        }
    }
    None
}

/// Maps header row `i` (and `i + 1` when `two_rows`) to `ds`.
pub fn map_header(
    ds_index: usize,
    ds: &Dataset,
    idx: &AliasIndex,
    keys: &Keys,
    head: &[Vec<String>],
    i: usize,
    two_rows: bool,
) -> Mapping {
    let top = &head[i];
    let empty = Vec::new();
    let child = if two_rows {
        head.get(i + 1).unwrap_or(&empty)
    } else {
        &empty
    };
    let width = top.len().max(child.len());
    // In CSV a spanning parent is written once, in its first column: carry it right over the
    // columns that have a child of their own.
    let mut parents: Vec<String> = Vec::with_capacity(width);
    let mut last = String::new();
    for j in 0..width {
        let p = top.get(j).map(|s| s.trim()).unwrap_or("");
        let c = child.get(j).map(|s| s.trim()).unwrap_or("");
        if !p.is_empty() {
            last = p.to_string();
            parents.push(p.to_string());
        } else if two_rows && !c.is_empty() && !last.is_empty() {
            parents.push(last.clone());
        } else {
            last.clear();
            parents.push(String::new());
        }
    }
    let mut m = Mapping {
        dataset: ds_index,
        header_row: i,
        header_rows: if two_rows { 2 } else { 1 },
        cols: Vec::new(),
        unmatched: Vec::new(),
        unmatched_src: Vec::new(),
        duplicates: Vec::new(),
        month: None,
        year: None,
    };
    for (j, parent) in parents.iter().enumerate() {
        let c = child
            .get(j)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let candidates: Vec<String> = if two_rows && !c.is_empty() && c != *parent {
            vec![
                format!("{parent}{c}"),
                c.clone(),
                format!("{c}{parent}"),
                parent.clone(),
            ]
        } else {
            vec![parent.clone()]
        };
        let shown = if two_rows && !c.is_empty() && c != *parent {
            format!("{parent}/{c}")
        } else {
            parent.clone()
        };
        match map_cell(ds, idx, keys, &candidates) {
            Some((col, group, hk)) => {
                // Last year's figures sit beside this year's: their period is not the file's.
                let period = (!hk.prior && (hk.year.is_some() || hk.month.is_some()))
                    .then_some((hk.year, hk.month));
                // The same column under different period labels is a period-wide table, not a
                // duplicate: the reader unpivots it.
                if let Some(prev) = m.cols.iter().find(|x| {
                    x.col == col && x.group == group && (x.period.is_none() || x.period == period)
                }) {
                    m.duplicates.push((
                        prev.header.clone(),
                        shown.clone(),
                        ds.columns[col].name.clone(),
                    ));
                    continue;
                }
                if period.is_some() {
                    m.month = m.month.or(hk.month);
                    m.year = m.year.or(hk.year);
                }
                m.cols.push(Mapped {
                    src: j,
                    col,
                    group,
                    unit_pow: hk.unit_pow,
                    period,
                    header: shown,
                });
            }
            None if !shown.is_empty() => {
                m.unmatched_src.push((j, shown.clone()));
                m.unmatched.push(shown)
            }
            None => {}
        }
    }
    m
}

/// The best header among the first rows of a sheet, for the given datasets.
pub fn find_header(
    catalog: &Catalog,
    only: Option<usize>,
    head: &[Vec<String>],
) -> Option<Mapping> {
    let mut best: Option<Mapping> = None;
    let keys = Keys::default();
    for (di, ds) in catalog.datasets.iter().enumerate() {
        if only.is_some_and(|o| o != di) {
            continue;
        }
        let idx = AliasIndex::new(ds);
        for i in 0..head.len().min(40) {
            for two in [false, true] {
                if two && i + 1 >= head.len() {
                    continue;
                }
                let m = map_header(di, ds, &idx, &keys, head, i, two);
                let better = match &best {
                    // A dataset named on the command line needs one recognised column (a date
                    // beside series of its own); detection needs two.
                    None => m.score() >= if only.is_some() { 1 } else { 2 },
                    Some(b) => {
                        let (ms, bs) = (m.score(), b.score());
                        let (mm, bm) = (
                            required_missing(ds, &m).len(),
                            required_missing(&catalog.datasets[b.dataset], b).len(),
                        );
                        // More columns wins; then fewer missing required ones; then a one-row
                        // header over a title row glued on top of it.
                        ms > bs
                            || (ms == bs
                                && (mm < bm || (mm == bm && m.header_rows < b.header_rows)))
                    }
                };
                if better {
                    best = Some(m);
                }
            }
        }
    }
    best
}

/// Required columns (and one-of groups) the mapping lacks. Columns with a `fill` source are
/// never missing here: the context may supply them (checked later).
pub fn required_missing(ds: &Dataset, m: &Mapping) -> Vec<String> {
    let has = |name: &str| {
        ds.column_index(name)
            .is_some_and(|i| m.cols.iter().any(|c| c.col == i))
            || ds
                .unpivot
                .as_ref()
                .is_some_and(|u| u.column == name && m.cols.iter().any(|c| c.group.is_some()))
    };
    let mut missing: Vec<String> = ds
        .columns
        .iter()
        .filter(|c| c.required && c.fill.is_none() && !has(&c.name))
        .map(|c| c.name.clone())
        .collect();
    for group in &ds.one_of {
        if !group.iter().any(|g| has(g)) {
            missing.push(group.join(" or "));
        }
    }
    missing
}

/// Labels that mark a totals row, never loaded as data.
pub fn is_total_label(cell: &str) -> bool {
    // Every label has 计, a t or T, or a full-width Ｔ/ｔ: a cell with none of them (nearly every
    // data cell; this runs on four cells of every row) is out after a scan for those. By their
    // bytes: 计 is E8 AE A1, Ｔ EF BC B4, ｔ EF BD 94. A lone last byte proves nothing in Chinese
    // text (0xA1, 0xB4 and 0x94 are common continuation bytes: names and purposes went on to
    // decode every character), so the scan looks for each whole sequence.
    let b = cell.as_bytes();
    let has = |i: usize| match b[i] {
        b't' | b'T' => true,
        0xA1 => i >= 2 && b[i - 2] == 0xE8 && b[i - 1] == 0xAE,
        0xB4 => i >= 2 && b[i - 2] == 0xEF && b[i - 1] == 0xBC,
        0x94 => i >= 2 && b[i - 2] == 0xEF && b[i - 1] == 0xBD,
        _ => false,
    };
    // A table lookup per byte first (a code, a date or an amount has none of these bytes).
    const MARKS: [bool; 256] = {
        let mut t = [false; 256];
        t[b't' as usize] = true;
        t[b'T' as usize] = true;
        t[0xA1] = true;
        t[0xB4] = true;
        t[0x94] = true;
        t
    };
    if !b
        .iter()
        .enumerate()
        .any(|(i, &c)| MARKS[c as usize] && has(i))
    {
        return false;
    }
    let s: String = to_half_width(cell)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    matches!(
        s.as_str(),
        "合计"
            | "总计"
            | "小计"
            | "总合计"
            | "全市合计"
            | "本级合计"
            | "累计"
            | "total"
            | "Total"
            | "TOTAL"
    ) || (s.chars().count() <= 8 && (s.ends_with("合计") || s.ends_with("总计")))
}

/// Lines below a table: notes, sources, signatures.
pub fn is_note(cell: &str) -> bool {
    let s = to_half_width(cell);
    let s = s.trim();
    [
        "注:",
        "注：",
        "注 ",
        "说明:",
        "说明：",
        "制表人",
        "制表",
        "填表人",
        "填报人",
        "审核人",
        "负责人",
        "单位负责人",
        "数据来源",
        "资料来源",
        "note:",
        "Note:",
        "Notes:",
        "Data Source",
        "Source:",
    ]
    .iter()
    .any(|p| s.starts_with(p))
        || s == "注"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_gives_its_period() {
        assert_eq!(
            period_in_name("exec_2025-12.csv", false),
            Some((2025, Some(12)))
        );
        assert_eq!(
            period_in_name("2025年1-12月执行.xlsx", false),
            Some((2025, Some(12)))
        );
        assert_eq!(
            period_in_name("支出_2025_3.xlsx", false),
            Some((2025, Some(3)))
        );
        assert_eq!(period_in_name("2025年决算.xlsx", false), Some((2025, None)));
        assert_eq!(period_in_name("targets_2025.csv", true), Some((2025, None)));
        // A year alone, for a monthly dataset; a range of years; a month 13; a code.
        assert_eq!(period_in_name("exec_2025.csv", false), None);
        assert_eq!(period_in_name("history_2022-2024.csv", true), None);
        assert_eq!(period_in_name("exec_2025-13.csv", false), None);
        assert_eq!(period_in_name("330326_执行.csv", false), None);
    }

    /// The key an alias table would find first among the candidates.
    fn finds(raw: &str, alias: &str) -> bool {
        normalize_header(raw).candidates.iter().any(|c| c == alias)
    }

    #[test]
    fn header_normalisation() {
        let k = normalize_header("调整后预算数（万元）");
        assert_eq!((k.key.as_str(), k.unit_pow), ("调整后预算数", Some(4)));
        let k = normalize_header("1—10月累计");
        assert_eq!((k.candidates[1].as_str(), k.month), ("累计", Some(10)));
        assert!(finds("1-10月同比增长(%)", "累计同比增长"));
        assert!(finds("10月", "本月"));
        assert_eq!(normalize_header(" 预 算 单 位 ").key, "预算单位");
        assert_eq!(normalize_header("MOF_DIV_CODE").key, "mof_div_code");
        let k = normalize_header("2017");
        assert_eq!((k.key.as_str(), k.year), ("累计", Some(2017)));
    }

    /// Every spelling the issue names, and the period each one carries.
    #[test]
    fn headers_carry_their_period() {
        type Case<'a> = (&'a str, &'a str, Option<i32>, Option<u32>, bool);
        let cases: [Case; 12] = [
            ("1-10月累计支出（万元）", "累计支出", None, Some(10), false),
            ("1-10月累计", "累计", None, Some(10), false),
            ("2025年1-10月累计数", "累计", Some(2025), Some(10), false),
            ("1至10月累计", "累计", None, Some(10), false),
            ("截至10月底累计", "累计", None, Some(10), false),
            ("本年累计数", "累计", None, None, false),
            ("10月份支出", "本月支出", None, Some(10), false),
            ("本月数", "本月", None, None, false),
            ("上年同期累计数", "上年同期累计", None, None, true),
            ("2025年年初预算数", "年初预算数", Some(2025), None, false),
            ("预算数（2025年）", "预算数", Some(2025), None, false),
            ("2025年度调整预算数", "调整预算数", Some(2025), None, false),
        ];
        for (raw, alias, year, month, prior) in cases {
            let k = normalize_header(raw);
            assert!(finds(raw, alias), "{raw}: {:?}", k.candidates);
            assert_eq!((k.year, k.month, k.prior), (year, month, prior), "{raw}");
        }
        // Last year's figure never falls back to this year's column.
        assert!(!finds("上年同期累计数", "累计"));
        assert!(!finds("上年同期本月数", "本月"));
        // 截至 is not a range, 1至10 is.
        assert_eq!(
            normalize_header("截至10月底累计").fragment.as_deref(),
            Some("截至10月底")
        );
    }

    #[test]
    fn regions_in_titles() {
        for (title, want) in [
            (
                "平阳县财政局2025年1-10月一般公共预算支出执行情况表",
                Some("平阳县"),
            ),
            ("浙江省温州市平阳县财政局关于…", Some("平阳县")),
            ("杭州市财政局2025年1-10月预算执行", Some("杭州市")),
            (
                "示范市2025年1-10月一般公共预算支出执行情况表",
                Some("示范市"),
            ),
            ("2025年1-10月苍南县一般公共预算收入", Some("苍南县")),
            ("内蒙古自治区鄂尔多斯市本级2025年预算", Some("鄂尔多斯市")),
            ("阿拉善左旗财政局", Some("阿拉善左旗")),
            ("锡林郭勒盟2025年债务余额", Some("锡林郭勒盟")),
            ("鹿城区教育局2026年部门预算项目支出表", Some("鹿城区")),
            ("示范市交通运输局部门预算", Some("示范市")),
            ("温州市鹿城区卫生健康委员会2025年部门决算", Some("鹿城区")),
            ("全市合计", None),
            ("单位：万元", None),
            ("关于2025年预算执行情况的报告", None),
        ] {
            assert_eq!(region_in_title(title).as_deref(), want, "{title}");
        }
    }

    #[test]
    fn departments_in_titles() {
        for (title, region, want) in [
            (
                "鹿城区教育局2026年部门预算项目支出表",
                "鹿城区",
                Some("教育局"),
            ),
            (
                "温州市鹿城区卫生健康委员会2025年部门决算",
                "鹿城区",
                Some("卫生健康委员会"),
            ),
            (
                "示范市交通运输局本级2026年预算",
                "示范市",
                Some("交通运输局"),
            ),
            (
                "平阳县财政局2025年1-10月一般公共预算支出执行情况表",
                "平阳县",
                None,
            ),
            ("平阳县2026年一般公共预算收入预算", "平阳县", None),
        ] {
            assert_eq!(dept_in_title(title, region).as_deref(), want, "{title}");
        }
    }

    #[test]
    fn titles() {
        let rows = vec![
            vec!["示范市2025年1-10月一般公共预算支出执行情况表".to_string()],
            vec!["".into(), "单位：万元".into()],
        ];
        let t = parse_title(&rows);
        assert_eq!(
            (t.year, t.month, t.unit_pow),
            (Some(2025), Some(10), Some(4))
        );
        assert_eq!(t.region_name.as_deref(), Some("示范市"));
        assert_eq!(t.budget_kind.as_deref(), Some("一般公共预算"));
    }

    #[test]
    fn totals_and_notes() {
        assert!(is_total_label("合  计"));
        assert!(is_total_label("收入总计"));
        assert!(!is_total_label("教育支出"));
        assert!(is_total_label("ＴＯＴＡＬ") && is_total_label(" Total "));
        assert!(!is_total_label("101001") && !is_total_label("示范市教育局本级"));
        assert!(is_note("注：本表数据为快报数"));
        assert!(is_note("制表人：张三"));
    }
}
