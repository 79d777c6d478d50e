//! The problem list in and out of Excel: items imported from a committee's XLSX (审议意见,
//! 代表建议, 执法检查 lists as they are kept), and the problem list with its rectification list
//! exported per unit (the "两张清单").
//!
//! An import is all or nothing: every row is checked first, and a file with any bad row stores
//! nothing and says, for each, the row, the column and why.

use sha2::{Digest, Sha256};

use super::{NewProblem, Problem, Rating, Source};
use crate::common::Val;
use crate::error::{PurseError, Result};

/// The columns an import knows, each with the headers it is found under.
const COLUMNS: &[(&str, &[&str])] = &[
    ("source", &["来源", "问题来源", "来源类型", "source"]),
    (
        "source_ref",
        &["编号", "问题编号", "序号编号", "ref", "source_ref"],
    ),
    (
        "source_document",
        &[
            "来源文件",
            "来源文号",
            "文件",
            "文号",
            "依据",
            "source_document",
            "document",
        ],
    ),
    (
        "title",
        &["问题", "问题名称", "问题描述", "问题摘要", "标题", "title"],
    ),
    (
        "detail",
        &["具体情况", "详细情况", "问题详情", "说明", "detail"],
    ),
    (
        "region_code",
        &[
            "区划",
            "区划编码",
            "财政区划",
            "行政区划代码",
            "region_code",
            "region",
        ],
    ),
    ("unit", &["责任单位", "整改责任单位", "承办单位", "unit"]),
    (
        "requirement",
        &["整改要求", "整改意见", "要求", "requirement"],
    ),
    (
        "due_date",
        &[
            "整改期限",
            "期限",
            "办理期限",
            "截止日期",
            "due_date",
            "due",
        ],
    ),
];

/// What each required column is called in messages.
fn zh(col: &str) -> &'static str {
    match col {
        "title" => "问题",
        "unit" => "责任单位",
        "requirement" => "整改要求",
        "due_date" => "整改期限",
        "source" => "来源",
        _ => "",
    }
}

fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | ':' | '：'))
        .collect::<String>()
        .to_lowercase()
}

/// A date as committees write it: 2026-03-31, 2026/3/31, 2026.3.31, 2026年3月31日.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let t = s
        .trim()
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "");
    let t = t.split_whitespace().next().unwrap_or("");
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// Reads the items of an XLSX (the first sheet; the header row is found among the first 20
/// rows by its 责任单位 column). Rows without a 问题 and a 责任单位 are skipped (blank or
/// subtotal lines). `default_source` applies where the file has no 来源 column or cell.
pub fn read_xlsx(
    file: &str,
    bytes: &[u8],
    default_source: Option<Source>,
) -> Result<Vec<NewProblem>> {
    let bad = |m: String| PurseError::Invalid(format!("{file}: {m}"));
    // Through ingest's reader: a worksheet read as a stream of cells within the readers'
    // limits, damaged workbooks refused. calamine's dense range would have taken the server
    // down on a small file that claims a cell at XFD1048576.
    // A problem list has hundreds of rows; it is read in the server's own process, so within
    // bounds far below an extract's.
    let limits = crate::config::Limits {
        max_rows: 100_000,
        max_cells: 2_000_000,
        max_xml_bytes: 64 << 20,
        ..crate::config::Limits::DEFAULT
    };
    if !crate::ingest::read::is_workbook(bytes) {
        return Err(bad(
            "not a readable workbook: not an XLSX or XLS file".into()
        ));
    }
    let opened = crate::ingest::read::with_limits(limits, || crate::ingest::read::open(bytes))
        .map_err(bad)?;
    let sheet = opened
        .sheets
        .first()
        .ok_or_else(|| bad("the workbook has no sheet".into()))?;
    let first = sheet.name.clone().unwrap_or_default();
    // Each row with its row number in the sheet, for the messages.
    let (mut rows, mut lines): (Vec<Vec<String>>, Vec<usize>) = (Vec::new(), Vec::new());
    sheet
        .for_each_row(0, |line, cells| {
            lines.push(line);
            rows.push(cells.iter().map(|c| c.to_string()).collect());
            true
        })
        .map_err(bad)?;
    let header_at = rows
        .iter()
        .take(20)
        .position(|r| {
            r.iter()
                .any(|h| COLUMNS[6].1.iter().any(|a| norm(a) == norm(h)))
        })
        .ok_or_else(|| {
            bad(format!(
                "sheet {first}: no header row with a 责任单位 (unit) column in the first 20 rows"
            ))
        })?;
    let header = &rows[header_at];
    let mut at = std::collections::HashMap::new();
    for (name, aliases) in COLUMNS {
        if let Some(i) = header
            .iter()
            .position(|h| aliases.iter().any(|a| norm(a) == norm(h)))
        {
            at.insert(*name, i);
        }
    }
    let mut missing: Vec<&str> = ["title", "requirement", "due_date"]
        .into_iter()
        .filter(|c| !at.contains_key(c))
        .map(zh)
        .collect();
    if default_source.is_none() && !at.contains_key("source") {
        missing.push(zh("source"));
    }
    if !missing.is_empty() {
        return Err(bad(format!(
            "sheet {first}, row {}: missing column(s) {} (found: {})",
            lines[header_at],
            missing.join(", "),
            header.join(", ")
        )));
    }
    let mut items = Vec::new();
    let mut issues = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(header_at + 1) {
        let excel_row = lines[i];
        let cell = |c: &str| {
            at.get(c)
                .and_then(|&j| r.get(j))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let (title, unit) = (cell("title"), cell("unit"));
        if title.is_empty() && unit.is_empty() {
            continue;
        }
        let mut issue = |col: &str, why: String| {
            issues.push(format!("row {excel_row}, column {col}: {why}"));
        };
        if title.is_empty() {
            issue("问题", "empty".into());
        }
        if unit.is_empty() {
            issue("责任单位", "empty".into());
        }
        let requirement = cell("requirement");
        if requirement.is_empty() {
            issue("整改要求", "empty".into());
        }
        let due_text = cell("due_date");
        let due = parse_date(&due_text);
        if due.is_none() {
            issue(
                "整改期限",
                format!("`{due_text}` is not a date (expected e.g. 2026-03-31 or 2026年3月31日)"),
            );
        }
        let source_text = cell("source");
        let source = if source_text.is_empty() {
            default_source
        } else {
            Source::parse(&source_text)
        };
        if source.is_none() {
            issue(
                "来源",
                format!(
                    "`{source_text}` is not a source: use 审计, 审议意见, 代表建议, 执法检查, 专题询问 or 预警"
                ),
            );
        }
        let (Some(due), Some(source)) = (due, source) else {
            continue;
        };
        let mut source_ref = cell("source_ref");
        if source_ref.is_empty() {
            // No number in the list: the item is known by what it says and who answers for it,
            // so importing the same list twice adds nothing.
            let h = Sha256::digest(format!("{title}\u{1f}{unit}").as_bytes());
            source_ref = format!("xlsx:{}", &crate::hex(&h)[..16]);
        }
        let document = cell("source_document");
        items.push(NewProblem {
            source,
            source_ref,
            source_document: if document.is_empty() {
                file.to_string()
            } else {
                document
            },
            title,
            detail: cell("detail"),
            region_code: Some(cell("region_code")).filter(|s| !s.is_empty()),
            unit,
            requirement,
            due_date: due,
        });
    }
    if !issues.is_empty() {
        let n = issues.len();
        issues.truncate(50);
        return Err(bad(format!(
            "sheet {first}: {n} bad row(s), nothing imported:\n{}",
            issues.join("\n")
        )));
    }
    if items.is_empty() {
        return Err(bad(format!("sheet {first}: no items below the header row")));
    }
    Ok(items)
}

/// What the rectification list says about an item beside the problem itself.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The unit's latest response.
    pub response: Option<String>,
    /// The latest reason it was sent back.
    pub sent_back: Option<String>,
    /// Evidence files: name and the first 16 hex digits of their SHA-256.
    pub evidence: Vec<String>,
    /// When it was accepted (销号), the latest time.
    pub closed_at: Option<String>,
    /// The latest satisfaction rating.
    pub rating: Option<Rating>,
}

impl super::ProblemStore {
    /// The rectification side of an item, from its trail and evidence.
    pub fn progress(&self, id: i64) -> Result<Progress> {
        let mut p = Progress::default();
        for e in self.events(id)? {
            match e.action.as_str() {
                "respond" => p.response = e.note.clone(),
                "send_back" | "reopen" => p.sent_back = e.note.clone(),
                "accept" => p.closed_at = Some(e.at.clone()),
                "rate" => {
                    p.rating = e
                        .note
                        .as_deref()
                        .and_then(|n| Rating::parse(n.split(':').next().unwrap_or("")))
                }
                _ => {}
            }
        }
        p.evidence = self
            .evidence(id)?
            .into_iter()
            .map(|e| format!("{} ({})", e.name, &e.sha256[..16]))
            .collect();
        Ok(p)
    }
}

/// The problem list and the rectification list (两张清单) as one workbook.
pub fn export_xlsx(items: &[(Problem, Progress)], zh_lang: bool) -> Result<Vec<u8>> {
    let t = |z: &str, e: &str| {
        if zh_lang {
            z.to_string()
        } else {
            e.to_string()
        }
    };
    let status = |p: &Problem| {
        if zh_lang {
            p.status.zh().to_string()
        } else {
            p.status.as_str().to_string()
        }
    };
    let problems: Vec<Vec<Val>> = items
        .iter()
        .map(|(p, _)| {
            vec![
                Val::Int(p.id),
                Val::Text(if zh_lang {
                    p.source.zh().to_string()
                } else {
                    p.source.as_str().to_string()
                }),
                Val::Text(p.source_document.clone()),
                Val::Text(p.source_ref.clone()),
                Val::Text(p.title.clone()),
                Val::Text(p.detail.clone()),
                Val::Text(p.region_code.clone().unwrap_or_default()),
                Val::Text(p.unit.clone()),
                Val::Text(p.requirement.clone()),
                Val::Text(p.due_date.clone()),
                Val::Text(status(p)),
                Val::Text(if p.overdue {
                    t("逾期", "overdue")
                } else {
                    String::new()
                }),
            ]
        })
        .collect();
    let rect: Vec<Vec<Val>> = items
        .iter()
        .map(|(p, g)| {
            vec![
                Val::Int(p.id),
                Val::Text(p.title.clone()),
                Val::Text(p.unit.clone()),
                Val::Text(p.requirement.clone()),
                Val::Text(p.due_date.clone()),
                Val::Text(g.response.clone().unwrap_or_default()),
                Val::Text(g.evidence.join("; ")),
                Val::Text(g.sent_back.clone().unwrap_or_default()),
                Val::Text(status(p)),
                Val::Text(g.closed_at.clone().unwrap_or_default()),
                Val::Text(
                    g.rating
                        .map(|r| if zh_lang { r.zh() } else { r.as_str() }.to_string())
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    let ph: Vec<String> = [
        ("序号", "No."),
        ("来源", "Source"),
        ("来源文件", "Source document"),
        ("编号", "Reference"),
        ("问题", "Problem"),
        ("具体情况", "Detail"),
        ("区划", "Region"),
        ("责任单位", "Responsible unit"),
        ("整改要求", "Requirement"),
        ("整改期限", "Due"),
        ("状态", "Status"),
        ("逾期", "Overdue"),
    ]
    .iter()
    .map(|(z, e)| t(z, e))
    .collect();
    let rh: Vec<String> = [
        ("序号", "No."),
        ("问题", "Problem"),
        ("责任单位", "Responsible unit"),
        ("整改要求", "Requirement"),
        ("整改期限", "Due"),
        ("整改情况", "Response"),
        ("佐证材料", "Evidence"),
        ("退回原因", "Sent back because"),
        ("状态", "Status"),
        ("销号时间", "Closed at"),
        ("满意度", "Rating"),
    ]
    .iter()
    .map(|(z, e)| t(z, e))
    .collect();
    crate::common::xlsx::sheets(&[
        (&t("问题清单", "Problems"), &ph, &problems),
        (&t("整改清单", "Rectification"), &rh, &rect),
    ])
}
