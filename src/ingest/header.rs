//! Finding the table inside what bureaus wrap around it: title rows (period, region, budget
//! kind), unit lines, one- or two-row headers, then mapping headers to canonical columns through
//! the alias table.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::value::{to_half_width, unit_pow};
use crate::datasets::{Catalog, Dataset};

/// A header cell reduced to what the alias table is keyed by, plus what the spelling told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderKey {
    pub key: String,
    /// From a suffix such as `(万元)`.
    pub unit_pow: Option<u32>,
    /// A column labelled by month (`10月`, `1-10月`) tells the period's month.
    pub month: Option<u32>,
    pub year: Option<i32>,
}

static PAREN_SUFFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\(([^()]*)\)$").unwrap());
static MONTH_COL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(\d{4})年)?(?:(1)-)?(\d{1,2})月(份)?(累计)?(同比)?(增长|增幅|增速)?(\(%\)|%)?$",
    )
    .unwrap()
});
static YEAR_COL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})年?(决算数|执行数)?$").unwrap());

/// Normalises a header: half-width, no white space or `*`, case folded, unit suffix removed and
/// remembered, month and year labels turned into 本月 / 累计 / 累计同比增长.
pub fn normalize_header(raw: &str) -> HeaderKey {
    let mut s: String = to_half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '※')
        .map(|c| match c {
            '—' | '–' | '~' | '至' | '－' => '-',
            '【' | '[' => '(',
            '】' | ']' => ')',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let mut out = HeaderKey::default();
    while let Some(cap) = PAREN_SUFFIX.captures(&s) {
        let inner = cap[1].to_string();
        let whole = cap.get(0).map(|m| m.start()).unwrap_or(0);
        let inner = inner.trim_start_matches("单位:").trim_start_matches("单位");
        if let Some(p) = unit_pow(inner) {
            out.unit_pow = Some(p);
        } else if inner != "%" && inner != "年" {
            break;
        }
        s.truncate(whole);
    }
    if let Some(c) = MONTH_COL.captures(&s) {
        let month: u32 = c[3].parse().unwrap_or(0);
        if (1..=12).contains(&month) {
            out.month = Some(month);
            out.year = c.get(1).and_then(|y| y.as_str().parse().ok());
            let ytd = c.get(2).is_some() || c.get(5).is_some();
            let growth = c.get(6).is_some() || c.get(7).is_some();
            out.key = match (ytd, growth) {
                (true, true) => "累计同比增长",
                (true, false) => "累计",
                (false, true) => "同比增长",
                (false, false) => "本月",
            }
            .into();
            return out;
        }
    }
    if let Some(c) = YEAR_COL.captures(&s) {
        out.year = c[1].parse().ok();
        // An annual figure is the year's 1-12月 累计.
        out.month = Some(12);
        out.key = "累计".into();
        return out;
    }
    out.key = s;
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
    pub budget_kind: Option<String>,
}

static UNIT_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"单位\s*[:：]?\s*(人民币)?(元|千元|万元|百万元|亿元)").unwrap());
static PERIOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4})\s*年\s*(?:1\s*[-—–~至－]\s*)?(\d{1,2})\s*月").unwrap());
static YEAR_ONLY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{4})\s*年").unwrap());
static ISO_PERIOD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})\b").unwrap());
static REGION_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\S{2,20}?(?:自治区|省|市|县|区|州|盟|旗))(?:本级)?\s*\d{4}\s*年").unwrap()
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
            if t.region_name.is_none()
                && let Some(c) = REGION_TITLE.captures(cell.trim())
            {
                t.region_name = Some(c[1].to_string());
            }
            if let Some(k) = BUDGET_KINDS.iter().find(|k| cell.contains(*k)) {
                t.budget_kind = Some(k.to_string());
            }
            if let Some(c) = KEY_VALUE.captures(&cell) {
                let key = c[1].trim().to_lowercase();
                let val = c[2].trim().to_string();
                match key.as_str() {
                    "region" | "地区" | "行政区划" => t.region_name = Some(val),
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

fn map_cell(
    ds: &Dataset,
    idx: &AliasIndex,
    candidates: &[String],
) -> Option<(usize, Option<usize>, HeaderKey)> {
    for cand in candidates {
        if cand.trim().is_empty() {
            continue;
        }
        let hk = normalize_header(cand);
        if let Some(u) = &ds.unpivot {
            if u.skip
                .iter()
                .any(|s| hk.key.starts_with(&normalize_header(s).key))
                && hk.key.len() > 6
            {
                return None;
            }
            for (gi, g) in u.groups.iter().enumerate() {
                let gk = normalize_header(g).key;
                if let Some(rest) = hk.key.strip_prefix(gk.as_str())
                    && let Some(c) = idx.get(rest).or_else(|| idx.get(&format!("债务{rest}")))
                {
                    return Some((c, Some(gi), hk));
                }
            }
        }
        if let Some(c) = idx.get(&hk.key) {
            return Some((c, None, hk));
        }
    }
    None
}

/// Maps header row `i` (and `i + 1` when `two_rows`) to `ds`.
pub fn map_header(
    ds_index: usize,
    ds: &Dataset,
    idx: &AliasIndex,
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
        match map_cell(ds, idx, &candidates) {
            Some((col, group, hk)) => {
                let period =
                    (hk.year.is_some() || hk.month.is_some()).then_some((hk.year, hk.month));
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
                m.month = m.month.or(hk.month);
                m.year = m.year.or(hk.year);
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
                let m = map_header(di, ds, &idx, head, i, two);
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
    fn header_normalisation() {
        let k = normalize_header("调整后预算数（万元）");
        assert_eq!((k.key.as_str(), k.unit_pow), ("调整后预算数", Some(4)));
        let k = normalize_header("1—10月累计");
        assert_eq!((k.key.as_str(), k.month), ("累计", Some(10)));
        let k = normalize_header("1-10月同比增长(%)");
        assert_eq!(k.key, "累计同比增长");
        assert_eq!(normalize_header("10月").key, "本月");
        assert_eq!(normalize_header(" 预 算 单 位 ").key, "预算单位");
        assert_eq!(normalize_header("MOF_DIV_CODE").key, "mof_div_code");
        let k = normalize_header("2017");
        assert_eq!((k.key.as_str(), k.year), ("累计", Some(2017)));
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
        assert!(is_note("注：本表数据为快报数"));
        assert!(is_note("制表人：张三"));
    }
}
