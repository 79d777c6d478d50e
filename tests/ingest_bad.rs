//! One test per kind of bad input: each asserts the message (file, row, column, value, reason)
//! and that nothing already stored was lost or changed.

mod common;

use common::*;
use purse::common::Severity;
use purse::ingest::{Options, Outcome, Status};

/// Loads a good extract first, then the bad one; returns the bad one's outcome after checking
/// that the warehouse holds exactly what it held before.
fn reject(bad: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let good = ingest_one(dir.path(), fixture("demo/revenue/2025-03.csv"));
    assert_eq!(good.status, Status::Loaded, "{good:#?}");
    let (rows, files) = (rows_by_dataset(dir.path()), parquet_files(dir.path()));
    let out = ingest_one(dir.path(), fixture(&format!("bad/{bad}")));
    assert_eq!(out.status, Status::Rejected, "{out:#?}");
    assert!(
        out.file.ends_with(bad),
        "the outcome names the file: {}",
        out.file
    );
    assert_eq!(
        rows_by_dataset(dir.path()),
        rows,
        "stored rows changed after rejecting {bad}"
    );
    assert_eq!(
        parquet_files(dir.path()),
        files,
        "warehouse files changed after rejecting {bad}"
    );
    // The rejection is recorded, with its report on disk.
    let report = dir.path().join(out.report.as_ref().expect("a report"));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.starts_with("file,severity,row,column,value,expected,reason"),
        "{text}"
    );
    out
}

fn has_issue(o: &Outcome, row: usize, column: &str, value: &str, reason: &str) {
    assert!(
        o.issues.iter().any(|i| i.row == Some(row)
            && i.column.starts_with(column)
            && i.value == value
            && i.reason.contains(reason)
            && i.severity == Severity::Error),
        "no issue row {row} column {column} value {value:?} reason {reason:?} in {:#?}",
        o.issues
    );
}

#[test]
fn empty_file() {
    let o = reject("empty.csv");
    assert_eq!(o.message, "the file is empty");
}

#[test]
fn binary_content() {
    assert!(
        reject("binary.csv")
            .message
            .contains("unreadable encoding: binary content")
    );
}

#[test]
fn unreadable_encoding() {
    assert!(
        reject("invalid_encoding.csv")
            .message
            .contains("neither UTF-8 nor GBK/GB18030")
    );
}

#[test]
fn broken_workbook() {
    assert!(
        reject("not_a_workbook.xlsx")
            .message
            .contains("not a readable workbook")
    );
}

#[test]
fn unknown_dataset_lists_the_known_ones() {
    let o = reject("unknown_dataset.csv");
    assert!(o.message.starts_with("unknown dataset"), "{}", o.message);
    assert!(o.message.contains("budget_execution") && o.message.contains("audit_findings"));
}

#[test]
fn missing_required_columns_name_their_aliases() {
    let o = reject("missing_columns.csv");
    assert_eq!(o.dataset.as_deref(), Some("budget_execution"));
    assert!(
        o.message
            .contains("adjusted_budget (accepted headers: 调整预算数 / 调整后预算数"),
        "{}",
        o.message
    );
    assert!(
        o.message.contains("ytd_amount (accepted headers: 累计支出"),
        "{}",
        o.message
    );
    assert!(
        o.message.contains("headers found: 预算单位编码"),
        "{}",
        o.message
    );
}

#[test]
fn duplicate_headers() {
    let o = reject("duplicate_headers.csv");
    assert_eq!(
        o.message,
        "duplicate headers: `累计支出` and `累计执行数` both mean ytd_amount"
    );
}

#[test]
fn no_period_anywhere() {
    let o = reject("no_period.csv");
    has_issue(&o, 2, "period", "", "no period for this row");
}

#[test]
fn totals_and_notes_are_not_data() {
    assert_eq!(
        reject("no_rows.csv").message,
        "no data rows below the header"
    );
}

#[test]
fn bad_numbers_in_a_gbk_file() {
    let o = reject("bad_numbers.csv");
    assert_eq!(o.encoding.as_deref(), Some("GBK/GB18030"));
    assert_eq!(o.errors, 2);
    has_issue(
        &o,
        5,
        "adjusted_budget (调整后预算数)",
        "12o.50",
        "not a number",
    );
    has_issue(&o, 6, "month_amount (本月支出)", "十万", "not a number");
}

#[test]
fn percentage_where_money_belongs() {
    let o = reject("percent_as_amount.csv");
    has_issue(
        &o,
        3,
        "ytd_amount",
        "30%",
        "a percentage where an amount belongs",
    );
}

#[test]
fn bad_dates() {
    let o = reject("bad_dates.csv");
    has_issue(
        &o,
        3,
        "pay_date (支付日期)",
        "2025-02-30",
        "no such calendar date",
    );
    has_issue(&o, 4, "pay_date (支付日期)", "下周一", "not a date");
}

#[test]
fn bad_yes_no() {
    let o = reject("bad_bool.csv");
    has_issue(
        &o,
        3,
        "is_direct (是否直达资金)",
        "也许",
        "not a yes/no value",
    );
}

#[test]
fn codes_of_the_wrong_shape() {
    let o = reject("bad_codes.csv");
    has_issue(&o, 4, "func_code", "20501011", "wrong shape");
    has_issue(&o, 5, "dept_econ_code", "3021", "wrong shape");
    has_issue(&o, 6, "agency_code", "10100A", "wrong shape");
    assert_eq!(o.errors, 3);
}

#[test]
fn class_total_not_the_sum_of_its_items() {
    let o = reject("class_total_mismatch.csv");
    let i = o
        .issues
        .iter()
        .find(|i| i.column == "ytd_amount")
        .expect("ytd issue");
    assert_eq!(
        (i.row, i.value.as_str(), i.expected.as_str()),
        (Some(3), "250000.00", "230000.00")
    );
    assert!(i.reason.contains("类 total 101 is not the sum of its 2 款"));
}

#[test]
fn ytd_below_last_month_is_a_warning_not_a_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let v = ingest(
        dir.path(),
        &[fixture("bad/ytd_decrease")],
        &Options::default(),
    );
    assert!(v.iter().all(|o| o.status == Status::Loaded), "{v:#?}");
    let feb = &v[1];
    assert_eq!((feb.errors, feb.warnings), (0, 1));
    let w = &feb.issues[0];
    assert_eq!(
        (w.severity, w.row, w.value.as_str()),
        (Severity::Warning, Some(3), "80.00")
    );
    assert!(w.expected.contains("100.00"));
}

#[test]
fn a_partial_correction_would_double_count() {
    let dir = tempfile::tempdir().unwrap();
    let first = ingest_one(dir.path(), fixture("bad/overlap/both_kinds.csv"));
    assert_eq!(first.status, Status::Loaded);
    let files = parquet_files(dir.path());
    let second = ingest_one(dir.path(), fixture("bad/overlap/general_only.csv"));
    assert_eq!(second.status, Status::Rejected);
    assert!(
        second.message.contains("would double count"),
        "{}",
        second.message
    );
    assert_eq!(parquet_files(dir.path()), files);
    assert_eq!(rows_by_dataset(dir.path())["budget_execution"], 2);
}

#[test]
fn allow_partial_loads_the_good_rows_and_reports_the_bad() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        allow_partial: true,
        ..Default::default()
    };
    let v = ingest(dir.path(), &[fixture("bad/bad_numbers.csv")], &opts);
    assert_eq!(v[0].status, Status::Loaded);
    assert_eq!((v[0].rows, v[0].errors), (1, 2));
}

#[test]
fn missing_sheet_names_the_sheets_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        sheet: Some("不存在".into()),
        ..Default::default()
    };
    let v = ingest(
        dir.path(),
        &[fixture("demo/budget_execution/2025-07.xlsx")],
        &opts,
    );
    assert_eq!(v[0].status, Status::Rejected);
    assert!(
        v[0].message
            .contains("no sheet named `不存在` (sheets: 一般公共预算, 政府性基金预算"),
        "{}",
        v[0].message
    );
}

/// Cells that once crashed the process (a byte slice through `Q3完成`, an exponent past i128)
/// are errors with their reason, row and column; the other rows' good values are untouched.
#[test]
fn hostile_cells_are_row_errors_not_crashes() {
    let o = reject("hostile_cells.csv");
    has_issue(&o, 2, "pay_date (支付日期)", "Q3完成", "not a date");
    has_issue(&o, 3, "amount (金额)", "1e50", "exponent out of range");
    has_issue(&o, 4, "is_direct", "也许", "not a yes/no value");
    // Full-width digits and a 42-place fraction are values, not errors.
    assert!(
        !o.issues.iter().any(|i| i.row == Some(5)),
        "row 5 is good: {:#?}",
        o.issues
    );
}

/// A header's period fragment must agree with the title's period: `1-9月累计支出` under a
/// 1-10月 title is refused, naming both.
#[test]
fn a_header_period_that_disagrees_with_the_title_is_refused() {
    let o = reject("period_mismatch.csv");
    assert!(
        o.message.contains("`1-9月累计支出（万元）` is for 9月")
            && o.message.contains("the title says 2025-10"),
        "{}",
        o.message
    );
}

/// A truncated XLS (found by fuzzing: it made calamine's CFB reader panic) is refused as a
/// damaged workbook.
#[test]
fn damaged_xls_workbook() {
    let o = reject("damaged.xls");
    assert!(
        o.message.starts_with("not a readable workbook"),
        "{}",
        o.message
    );
}

/// A 6 KB XLS whose sector chain loops (found by fuzzing: calamine grew a buffer until the
/// machine ran out of memory) is refused as damaged, quickly and in little memory.
#[test]
fn looping_xls_workbook() {
    let o = reject("looping.xls");
    assert!(
        o.message
            .starts_with("not a readable workbook: the file is damaged")
            && o.message.contains("loops"),
        "{}",
        o.message
    );
}

/// A 5.6 KB XLS with a cell in column 34,973 (found by fuzzing: calamine tried to allocate
/// 66 GB and the process aborted) is refused as damaged.
#[test]
fn xls_cell_beyond_the_formats_columns() {
    let o = reject("wide.xls");
    assert!(
        o.message
            .starts_with("not a readable workbook: the file is damaged (a cell in column ")
            && o.message.ends_with("(the format has 256))"),
        "{}",
        o.message
    );
}

/// An XLS whose DIMENSIONS record claims billions of rows (found by fuzzing: calamine reserved
/// 11 PB and the process aborted) is refused as damaged.
#[test]
fn xls_with_impossible_dimensions() {
    let o = reject("huge_dimensions.xls");
    assert!(
        o.message
            .starts_with("not a readable workbook: the file is damaged (its dimensions claim rows"),
        "{}",
        o.message
    );
}

/// The same, where the workbook stream's name differs in case from "Workbook" (calamine matches
/// it ignoring case; found by fuzzing after the first fix: 6.6 GB asked for).
#[test]
fn xls_cell_beyond_the_formats_columns_in_a_differently_named_stream() {
    let o = reject("wide_stream_name.xls");
    assert!(
        o.message
            .starts_with("not a readable workbook: the file is damaged (a cell in column "),
        "{}",
        o.message
    );
}

/// A file larger than a read piece (8 MiB) is read, checked and written piece by piece: every
/// good row loads, into both of its months, and a bad row far into the file is named by its
/// line — blank lines counted — whether the file is refused or loaded in part.
#[test]
fn a_file_read_in_pieces_names_a_bad_row_by_its_line_and_loads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payments_large.csv");
    let mut text = String::from(
        "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额,功能分类,经济分类,用途\n",
    );
    let rows = 70_000;
    let (mut line, mut bad_line) = (1, 0);
    for i in 0..rows {
        if i == 1000 {
            text.push('\n'); // a blank line: counted in the lines, not a row
            line += 1;
        }
        line += 1;
        let month = if i < rows / 2 { 1 } else { 2 };
        let amount = if i == rows - 100 {
            bad_line = line;
            "12.3x".to_string()
        } else {
            format!("{}.{:02}", i % 9000 + 1, i % 100)
        };
        text.push_str(&format!(
            "ZF{i:010},2025-{month:02}-{:02},101001,示范市教育局本级,示范市某某设备有限公司第{i}号,{amount},2050202,30213,设备购置费用支出（长文本填充以使文件超过一片）\n",
            i % 28 + 1
        ));
    }
    assert!(
        text.len() > purse::ingest::read::PIECE_BYTES,
        "{}",
        text.len()
    );
    std::fs::write(&path, &text).unwrap();

    let strict = ingest(dir.path(), std::slice::from_ref(&path), &Options::default());
    assert_eq!(strict[0].status, Status::Rejected, "{:#?}", strict[0]);
    has_issue(&strict[0], bad_line, "amount (金额)", "12.3x", "");
    assert_eq!(rows_by_dataset(dir.path()).get("payments"), None);
    assert!(parquet_files(dir.path()).is_empty());

    let opts = Options {
        allow_partial: true,
        ..Default::default()
    };
    let partial = ingest(dir.path(), &[path], &opts);
    let o = &partial[0];
    assert_eq!(o.status, Status::Loaded, "{o:#?}");
    assert_eq!((o.rows, o.errors), (rows - 1, 1));
    assert_eq!(o.periods, vec!["2025-01", "2025-02"]);
    has_issue(o, bad_line, "amount (金额)", "12.3x", "");
    assert_eq!(
        rows_by_dataset(dir.path()).get("payments"),
        Some(&(rows as i64 - 1))
    );
}

/// A 1.6 KB XLSX whose only cells are A1 and XFD1048576: read as a stream of cells (a dense
/// range would be 17 billion cells), refused naming the cell and the limit, nothing lost.
#[test]
fn a_cell_far_out_is_refused_by_its_place() {
    let o = reject("far_cell.xlsx");
    assert!(
        o.message
            .contains("cell XFD1048576 is in column 16384, past the 1000 columns")
            && o.message.contains("max_columns"),
        "{}",
        o.message
    );
}

/// A sheet that unpacks to more XML than a deployment allows is refused by the zip directory,
/// before it is unpacked (here 3 MiB against `max_sheet_xml_mib = 1`).
#[test]
fn a_sheet_past_its_xml_bound_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    demo_config(dir.path());
    let toml = dir.path().join("purse.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("# max_sheet_xml_mib = 1024"), "{text}");
    std::fs::write(
        &toml,
        text.replace("# max_sheet_xml_mib = 1024", "max_sheet_xml_mib = 1"),
    )
    .unwrap();
    let out = ingest_as_configured(
        dir.path(),
        &[fixture("bad/sheet_xml_3mib.xlsx")],
        &Options::default(),
    );
    assert_eq!(out[0].status, Status::Rejected, "{out:#?}");
    assert!(
        out[0]
            .message
            .contains("`xl/worksheets/sheet1.xml` unpacks to 3 MiB of XML, past the 1 MiB"),
        "{}",
        out[0].message
    );
}

/// A workbook cut short (half of a real XLSX) is called truncated, not a zip error.
#[test]
fn a_truncated_workbook_is_called_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("demo/audit_findings/audit_findings_2025-06.xlsx")).unwrap();
    let cut = dir.path().join("audit_findings_2025-06.xlsx");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let out = ingest(dir.path(), &[cut], &Options::default());
    assert_eq!(out[0].status, Status::Rejected, "{out:#?}");
    assert!(
        out[0].message.contains("the file is truncated") && out[0].message.contains("cut short"),
        "{}",
        out[0].message
    );
}

/// A CSV with a 2 MiB line (an extract whose line ends were lost, or not an extract): refused
/// naming the line and the limit, before it is parsed as one enormous record.
#[test]
fn a_line_past_its_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("revenue_2025-03.csv");
    let mut text = String::from("财政区划,预算类型,收入科目编码,累计收入\n");
    text.push_str(&"9".repeat(2 << 20));
    text.push('\n');
    std::fs::write(&p, text).unwrap();
    let out = ingest(dir.path(), &[p], &Options::default());
    assert_eq!(out[0].status, Status::Rejected, "{out:#?}");
    assert!(
        out[0]
            .message
            .contains("line 2 is 2048 KiB long, past the 1024 KiB a line may have"),
        "{}",
        out[0].message
    );
}

/// A county table of common valid 2025 codes, in the form a bureau writes them (`2100101 行政运行`).
fn county_execution(dir: &std::path::Path, function_codes: &[&str]) -> std::path::PathBuf {
    let mut text = String::from(
        "预算类型,部门编码,部门名称,预算单位编码,预算单位名称,功能分类科目,政府经济分类,部门经济分类,年初预算数,调整后预算数,本月支出,累计支出\n",
    );
    for (i, f) in function_codes.iter().enumerate() {
        text.push_str(&format!(
            "一般公共预算,1{i:02},部门{i},1{i:02}001,单位{i},{f},50201 办公经费,30201 办公费,100,100,5,5\n"
        ));
    }
    let p = dir.join("execution_2025-03.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn code_warnings(o: &Outcome) -> Vec<String> {
    o.issues
        .iter()
        .filter(|i| i.column == "func_code")
        .map(|i| format!("{} {}: {}", i.row.unwrap_or(0), i.value, i.reason))
        .collect()
}

/// Loads a county table of these 功能分类 cells into a new demo deployment (with `own`, its
/// DIR/classification.csv, when given): it loads, whatever its codes; its code warnings.
fn codes_warned(function_codes: &[&str], own: Option<&str>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    if let Some(own) = own {
        std::fs::write(dir.path().join("classification.csv"), own).unwrap();
    }
    let o = &ingest(
        dir.path(),
        &[county_execution(dir.path(), function_codes)],
        &Options::default(),
    )[0];
    assert_eq!(o.status, Status::Loaded, "{o:#?}");
    code_warnings(o)
}

/// Valid 2025 codes of every 款 a county uses warn about nothing (each used to warn per row);
/// a 项 the list lacks warns once with its count and what is known of it; a retired code names
/// its successor; none of it refuses the file.
#[test]
fn classification_codes_warn_once_and_say_what_is_known() {
    let valid = [
        "2100101 行政运行",
        "2130301 行政运行",
        "2120101 行政运行",
        "2080101 行政运行",
        "2240101 行政运行",
        "2010301 行政运行",
        "2010350 事业运行",
        // 项 of their own (not 行政运行 …), and 款 the first list lacked: common in county tables.
        "2130306 水利工程运行",
        "2050202 小学教育",
        "2130122 农业生产发展",
        "2082602 财政对城乡居民基本养老保险基金的补助",
        "2240601 地质灾害防治",
        "2150805 中小企业发展专项",
        "2296002 用于社会福利的彩票公益金支出",
        "2310301 地方政府一般债券还本支出",
    ];
    assert_eq!(codes_warned(&valid, None), Vec::<String>::new());

    let mut codes = vec!["2130388 本地水利项目"; 5];
    codes.push("2011501 行政运行");
    codes.push("2880101 行政运行");
    assert_eq!(
        codes_warned(&codes, None),
        vec![
            "7 2011501: its 款 20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务 (1 row)",
            "2 2130388: 项 2130388 is not in the list; its 款 21303 水利 is (add it to DIR/classification.csv if it is this deployment's own) (5 rows)",
            "8 2880101: 类 288 is not in the list: a typo, or a code of a newer year (add it to DIR/classification.csv if it is this deployment's own) (1 row)",
        ]
    );
}

/// A retired 款 names its successor; a deployment's own list (DIR/classification.csv) adds
/// codes, and a malformed one is an error naming its file and line.
#[test]
fn retired_codes_name_their_successor_and_deployments_add_codes() {
    assert_eq!(
        codes_warned(&["20115 工商行政管理事务"], None),
        vec![
            "2 20115: 20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务 (1 row)"
        ]
    );
    let own = "kind,code,name,parent\nfunction,2130388,本地水利项目,21303\n";
    assert_eq!(
        codes_warned(&["2130388 本地水利项目"; 3], Some(own)),
        Vec::<String>::new()
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("classification.csv"),
        "kind,code,name,parent\nfunction,21303O6,水利工程运行,21303\n",
    )
    .unwrap();
    let err = purse::datasets::Catalog::of_deployment(dir.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "classification.csv: line 2: `21303O6` is not a code of digits (kind `function`)"
        ),
        "{err}"
    );
}

/// Workbooks on which calamine's arithmetic overflows (found by the `xlsx` fuzz target): a cell
/// reference of thirteen letters (AAAAAAAAAAAAA2) and a `<dimension ref>` that runs backwards
/// (C9:A1). Checked arithmetic in every build (Cargo.toml) makes each a caught panic, and the
/// file is refused as damaged rather than a cell landing in a wrapped-around column or size.
#[test]
fn workbooks_that_overflow_calamines_arithmetic_are_refused() {
    for bad in ["long_cell_ref.xlsx", "reversed_dimension.xlsx"] {
        let o = reject(bad);
        assert!(
            o.message
                .contains("not a readable workbook: the file is damaged"),
            "{bad}: {}",
            o.message
        );
    }
}
