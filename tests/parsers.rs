//! Property tests: every reader and value parser is total (a value or an error with a reason,
//! never a panic, whatever the input), and the values bureaus write come back exactly.
//! The `fuzz/` crate runs the same entry points coverage-guided for longer.

mod common;

use std::collections::{BTreeMap, HashSet};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use proptest::prelude::*;
use purse::config::Config;
use purse::datasets::Catalog;
use purse::ingest::build::{self, Context};
use purse::ingest::header::{find_header, normalize_header, parse_title};
use purse::ingest::read::{self, Sheet};
use purse::ingest::value::{parse_bool, parse_date, parse_decimal, parse_int, trim};

/// A sheet built with the rows it hands over gathered: each period's batches as one (a sheet
/// read in parts hands over a batch per part).
#[allow(clippy::type_complexity)]
fn gather(
    f: impl FnOnce(&mut build::Sink) -> Result<build::Built, String>,
) -> Result<(build::Built, BTreeMap<String, RecordBatch>), String> {
    let mut rows: BTreeMap<String, Vec<RecordBatch>> = BTreeMap::new();
    let built = f(&mut |p: &str, batch: RecordBatch, _: &HashSet<usize>| {
        rows.entry(p.to_string()).or_default().push(batch);
        Ok(())
    })?;
    let joined = rows
        .iter()
        .map(|(p, v)| (p.clone(), concat_batches(&v[0].schema(), v).unwrap()))
        .collect();
    Ok((built, joined))
}

/// Cells as bureaus and hostile files write them: digits, separators, CJK, signs, units, junk.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9０-９,.，．eE+\\-△()（）%％ ]{0,24}",
        "[0-9]{0,4}[年月日/.\\-][0-9]{0,2}[年月日/.\\-]?[0-9]{0,2}[日]?",
        "[Q0-9完成合计小累计万元亿\u{3000}—]{0,10}",
    ]
}

proptest! {
    // Enough cases to meet every branch each run, few enough for a debug build on 2 cores; the
    // fuzz targets run the same entry points for minutes.
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// The fast trim is `str::trim`, white space of every kind at either end (U+3000, NBSP,
    /// U+2028, …) or none.
    #[test]
    fn trim_is_str_trim(
        s in cell(),
        pad in proptest::sample::select(vec!["", " ", "\u{3000}", "\u{a0}", "\t", "\u{2028}", "\u{85}", "\u{1680}", "\u{205f}"]),
        end in proptest::sample::select(vec!["", " ", "\u{3000}", "\u{2009}", "\r\n", "\u{202f}", "预"]),
    ) {
        let t = format!("{pad}{s}{end}");
        prop_assert_eq!(trim(&t), t.trim());
    }

    #[test]
    fn value_parsers_are_total(s in cell()) {
        if let Ok(Some(d)) = parse_decimal(&s) {
            for (scale, unit) in [(2, 0), (2, 4), (2, 8), (4, 0), (0, 0)] {
                let _ = d.rescale(scale, unit);
            }
        }
        let _ = parse_int(&s);
        let _ = parse_date(&s);
        let _ = parse_bool(&s);
        let _ = normalize_header(&s);
        let _ = parse_title(&[vec![s.clone()]]);
    }

    #[test]
    fn amounts_round_trip_exactly(m in -999_999_999_999_999i64..=999_999_999_999_999i64) {
        // m fen, written as 元 with two decimals and thousands separators.
        let neg = m < 0;
        let a = m.unsigned_abs();
        let (yuan, fen) = (a / 100, a % 100);
        let mut grouped = String::new();
        for (i, c) in yuan.to_string().chars().enumerate() {
            let left = yuan.to_string().len() - i;
            if i > 0 && left % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let text = format!("{}{grouped}.{fen:02}", if neg { "-" } else { "" });
        let d = parse_decimal(&text).unwrap().unwrap();
        prop_assert_eq!(d.rescale(2, 0), Some(m as i128), "{}", text);
        // The same figure in 万元 (4 more decimals) lands on the same 元.
        let wan = format!("{}{}.{:06}", if neg { "-" } else { "" }, a / 1_000_000, a % 1_000_000);
        let d = parse_decimal(&wan).unwrap().unwrap();
        prop_assert_eq!(d.rescale(2, 4), Some(m as i128), "{}", wan);
    }

    #[test]
    fn whole_numbers_round_trip(v in any::<i32>()) {
        prop_assert_eq!(parse_int(&v.to_string()), Ok(Some(v)));
        prop_assert_eq!(parse_int(&format!("{v}.00")), Ok(Some(v)));
    }

    #[test]
    fn dates_round_trip(y in 1900i32..=2200, m in 1u32..=12, d in 1u32..=28) {
        let want = chrono::NaiveDate::from_ymd_opt(y, m, d);
        for s in [
            format!("{y}-{m:02}-{d:02}"),
            format!("{y}/{m}/{d}"),
            format!("{y}年{m}月{d}日"),
            format!("{y}{m:02}{d:02}"),
            format!("{y}.{m:02}.{d:02} 08:30:00"),
        ] {
            prop_assert_eq!(parse_date(&s), Ok(want), "{}", s);
        }
    }

    #[test]
    fn reading_any_bytes_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(o) = read::open(&bytes) {
            for s in &o.sheets {
                let _ = s.head(60);
                let _ = s.for_each_row(0, |_, _| true);
            }
        }
    }

    /// A whole extract with a real header and hostile cells under it: the sheet is read into
    /// batches or refused with issues, never a panic.
    #[test]
    fn building_a_sheet_with_hostile_cells_is_total(
        title in cell(),
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..12), 1..8),
        dataset in 0usize..4,
    ) {
        let headers = [
            "预算单位编码,预算单位名称,功能分类,经济分类,项目编码,调整后预算数,累计支出,本月支出,支付日期",
            "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额,功能分类,经济分类,是否直达资金",
            "日期,指标编码,指标名称,单位,本期值,累计值,同比增长,累计同比增长",
            "债券编码,债券名称,发行日期,期限,票面利率,项目名称,主管部门,发行金额,累计使用额",
        ];
        let mut text = format!("{}\n{}\n", title.replace(['\n', '\r', '"'], " "), headers[dataset]);
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
        for r in &rows {
            w.write_record(r).unwrap();
        }
        text.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
        let sheet = Sheet::csv(text, b',');
        let catalog = Catalog::builtin();
        let head: Vec<Vec<String>> = sheet.head(60).unwrap().into_iter().map(|(_, c)| c).collect();
        let Some(m) = find_header(&catalog, None, &head) else { return Ok(()) };
        let title = parse_title(&head[..m.header_row]);
        let set = BTreeMap::from([("region_code".to_string(), "330326".to_string())]);
        let config = Config::default();
        let ctx = Context { set: &set, title: &title, config: &config, period: Some((2025, Some(10))), progress: &|_| {}, source: "t.csv" };
        let ds = &catalog.datasets[m.dataset];
        let whole = gather(|sink| build::build(&catalog.codes, ds, sheet.clone(), &m, &ctx, 1, sink));
        // Read in parts (hostile cells, quotes and all), it is the same sheet.
        let skip = m.header_row + m.header_rows;
        let parts = sheet.parts_from(skip, 3, 0);
        let split = gather(|sink| build::build_in_parts(&catalog.codes, ds, sheet, &m, &ctx, 1, parts, sink));
        match (whole, split) {
            (Ok((w, w_rows)), Ok((p, p_rows))) => {
                prop_assert_eq!(p_rows, w_rows);
                prop_assert_eq!(format!("{:?}", p.issues), format!("{:?}", w.issues));
            }
            (Err(w), Err(p)) => prop_assert_eq!(p, w),
            (w, p) => prop_assert!(false, "whole {:?} vs parts {:?}", w.is_ok(), p.is_ok()),
        }
    }
}

/// Named cases from the issue and the fuzz runs: each is an error with a reason, not a panic.
#[test]
fn hostile_cells_are_errors_with_reasons() {
    assert_eq!(parse_date("Q3完成"), Err("not a date"));
    assert_eq!(parse_date("二〇二五年"), Err("not a date"));
    assert_eq!(parse_decimal("1e50"), Err("exponent out of range"));
    assert_eq!(parse_decimal("1e-2147483648"), Err("exponent out of range"));
    assert_eq!(
        parse_decimal("1e30"),
        Ok(Some(purse::ingest::value::Dec {
            mantissa: 10i128.pow(30),
            scale: 0,
            percent: false
        }))
    );
    assert_eq!(
        parse_decimal("9".repeat(45).as_str()),
        Err("number too large")
    );
    // Zeros are not significant digits: a long run of them is still a number.
    let z = format!("0.{}1", "0".repeat(45));
    assert!(parse_decimal(&z).is_ok(), "{z}");
    assert_eq!(parse_decimal(&z).unwrap().unwrap().rescale(2, 0), Some(0));
    assert_eq!(
        parse_int("1.000000000000000000000000000000000000000000"),
        Ok(Some(1))
    );
    assert_eq!(
        parse_int("5%"),
        Err("a percentage where a whole number belongs")
    );
    // Rounding half away from zero at the widest divisor does not overflow.
    let d = parse_decimal(&format!("0.{}", "9".repeat(38)))
        .unwrap()
        .unwrap();
    assert_eq!(d.rescale(0, 0), Some(1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Periods and severities as they arrive in query strings, forms and `--period`: any text is
    /// a value or an error naming it, never a panic; a valid period prints back as it was read
    /// and steps back and forth exactly.
    #[test]
    fn periods_and_levels_are_total(s in prop_oneof![
        any::<String>(),
        "[0-9+\\-/ ]{0,9}",
        "(19|20|99)[0-9]{2}-(0[0-9]|1[0-9])",
    ]) {
        match s.parse::<purse::common::period::Period>() {
            Ok(p) => {
                prop_assert_eq!(p.to_string(), s.clone());
                prop_assert!((1..=12).contains(&p.month()) && p.year() >= 1900);
                prop_assert_eq!(p.next().prev(), p);
                prop_assert_eq!(p.prev().next(), p);
                prop_assert_eq!(p.back(0), p);
                prop_assert_eq!(p.back(1), p.prev());
                prop_assert_eq!(p.back(12).next().back(11), p.back(11).next().back(12));
                prop_assert_eq!((p.back(12).year(), p.back(12).month()), (p.year() - 1, p.month()));
                prop_assert!((1..=4).contains(&p.quarter()));
                prop_assert_eq!(p.last_day().succ_opt(), Some(p.next().first_day()));
            }
            Err(e) => prop_assert_eq!(e.to_string(), format!("period `{s}` is not YYYY-MM")),
        }
        let _ = purse::common::level::Level::parse(&s);
        let _ = purse::common::period::split_period(&s);
        let _ = purse::common::period::prev_period(&s);
        let _ = purse::report::schedule::Cron::parse(&s);
    }
}

/// A large CSV or worksheet read in parts (one thread each) builds exactly what it builds read
/// whole: the demo's payments and budget extracts, every batch, scope, issue and count.
#[test]
fn a_sheet_built_in_parts_is_the_sheet_built_whole() {
    let catalog = Catalog::builtin();
    let set = BTreeMap::from([("region_code".to_string(), "990100".to_string())]);
    let config = Config::default();
    for rel in [
        "demo/payments/2025-03.csv",
        "demo/budget_execution/2025-03.csv",
        "demo/revenue/2025-03.csv",
        "demo/budget_execution/2025-07.xlsx",
    ] {
        let bytes = std::fs::read(common::fixture(rel)).unwrap();
        let opened = purse::ingest::read::open(&bytes).unwrap();
        let sheet = &opened.sheets[0];
        let head: Vec<Vec<String>> = sheet
            .head(60)
            .unwrap()
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let m = find_header(&catalog, None, &head).unwrap();
        let title = parse_title(&head[..m.header_row]);
        let ctx = Context {
            set: &set,
            title: &title,
            config: &config,
            period: Some((2025, Some(3))),
            progress: &|_| {},
            source: "t.csv",
        };
        let ds = &catalog.datasets[m.dataset];
        let skip = m.header_row + m.header_rows;
        let (whole, whole_rows) = gather(|sink| {
            let parts = sheet.parts_from(skip, 1, 0);
            build::build_in_parts(&catalog.codes, ds, sheet.clone(), &m, &ctx, 7, parts, sink)
        })
        .unwrap();
        for n in [2, 3, 7] {
            let parts = sheet.parts_from(skip, n, 0);
            assert_eq!(parts.len(), n, "{rel}");
            let (split, split_rows) = gather(|sink| {
                build::build_in_parts(&catalog.codes, ds, sheet.clone(), &m, &ctx, 7, parts, sink)
            })
            .unwrap();
            assert_eq!(split_rows, whole_rows, "{rel} in {n}");
            assert_eq!(split.scopes, whole.scopes, "{rel} in {n}");
            assert_eq!(
                format!("{:?}", split.issues),
                format!("{:?}", whole.issues),
                "{rel} in {n}"
            );
            assert_eq!(
                (split.rows_read, split.totals_skipped),
                (whole.rows_read, whole.totals_skipped)
            );
        }
        assert!(whole.rows_read > 10, "{rel}");
    }
}
