//! Consistency checks that need more than one row: a 类 total equals the sum of its 款 (and a
//! 款 of its 项), and this month's 累计 continues last month's.

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, RecordBatch, StringArray,
};

use super::{Issue, Severity};
use crate::datasets::Dataset;

/// A column as text (None when it is not a text column: it then reads as "").
fn text_col(a: &ArrayRef) -> Option<&StringArray> {
    a.as_any().downcast_ref::<StringArray>()
}

fn text(a: Option<&StringArray>, r: usize) -> &str {
    a.filter(|s| !s.is_null(r)).map_or("", |s| s.value(r))
}

fn dec(a: Option<&Decimal128Array>, r: usize) -> Option<i128> {
    a.filter(|d| !d.is_null(r)).map(|d| d.value(r))
}

fn dec_col(a: &ArrayRef) -> Option<&Decimal128Array> {
    a.as_any().downcast_ref::<Decimal128Array>()
}

pub fn fmt_yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Flags each row as detail (no finer row of the same key below it) and checks that every
/// parent code equals the sum of its direct children. Returns the `is_detail` column.
///
/// Rows are ordered by (period, the other key columns, code) instead of being grouped in hash
/// maps: a group of rows that share a code tree is then one run, and inside it a code's
/// descendants follow the code directly (a prefix sorts before its extensions), so finding them
/// is a scan. Memory is one index per row (a map per group cost ten times the file at
/// `--scale 100`).
pub fn hierarchy(
    ds: &Dataset,
    arrays: &[ArrayRef],
    periods: &[Option<&str>],
    rows: &[i32],
    unit_pow: u32,
    issues: &mut Vec<Issue>,
) -> BooleanArray {
    let n = rows.len();
    let Some(hc) = ds.hierarchy.as_deref().and_then(|h| ds.column_index(h)) else {
        return BooleanArray::from(vec![true; n]);
    };
    let keys: Vec<Option<&StringArray>> = ds
        .continuity_key
        .iter()
        .filter(|k| k.as_str() != ds.columns[hc].name)
        .filter_map(|k| ds.column_index(k))
        .map(|c| text_col(&arrays[c]))
        .collect();
    let code_col = text_col(&arrays[hc]);
    let sums: Vec<(usize, Option<&Decimal128Array>)> = ds
        .hierarchy_sum
        .iter()
        .filter_map(|k| ds.column_index(k))
        .map(|c| (c, dec_col(&arrays[c])))
        .collect();
    let period = |r: usize| periods.get(r).copied().flatten().unwrap_or("");
    let same_group = |a: usize, b: usize| {
        period(a) == period(b) && keys.iter().all(|&k| text(k, a) == text(k, b))
    };
    let mut order: Vec<u32> = (0..n as u32).collect();
    crate::cores::sort_unstable_by(&mut order, |&a, &b| {
        let (a, b) = (a as usize, b as usize);
        period(a)
            .cmp(period(b))
            .then_with(|| {
                keys.iter()
                    .map(|&k| text(k, a).cmp(text(k, b)))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .then_with(|| text(code_col, a).cmp(text(code_col, b)))
            .then(a.cmp(&b))
    });
    let mut detail = vec![true; n];
    // Each group in turn: its distinct codes in order, with their rows (a range of `order`).
    let mut codes: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    let mut g = 0;
    while g < n {
        let first = order[g] as usize;
        let mut end = g + 1;
        while end < n && same_group(first, order[end] as usize) {
            end += 1;
        }
        codes.clear();
        for (i, &row) in order.iter().enumerate().take(end).skip(g) {
            let c = text(code_col, row as usize);
            match codes.last_mut() {
                Some((last, range)) if *last == c => range.end = i + 1,
                _ => codes.push((c, i..i + 1)),
            }
        }
        for (ci, (code, parent_rows)) in codes.iter().enumerate() {
            if code.is_empty() {
                continue;
            }
            let descendants = codes[ci + 1..]
                .iter()
                .take_while(|(c, _)| c.starts_with(code));
            if codes.get(ci + 1).is_some_and(|(c, _)| c.starts_with(code)) {
                for i in parent_rows.clone() {
                    detail[order[i] as usize] = false;
                }
            }
            let children: Vec<&std::ops::Range<usize>> = descendants
                .filter(|(c, _)| c.len() == code.len() + 2)
                .map(|(_, r)| r)
                .collect();
            if children.is_empty() {
                continue;
            }
            // Each child was rounded to the file's last digit: allow that much per child.
            let tol = children.len() as i128 * 10i128.pow(unit_pow);
            for &(sc, col) in &sums {
                let parent: Option<i128> = parent_rows
                    .clone()
                    .map(|i| dec(col, order[i] as usize))
                    .sum();
                let sum: i128 = children
                    .iter()
                    .flat_map(|r| (*r).clone())
                    .filter_map(|i| dec(col, order[i] as usize))
                    .sum();
                if let Some(p) = parent
                    && (p - sum).abs() > tol
                {
                    issues.push(Issue {
                        severity: Severity::Error,
                        row: Some(rows[order[parent_rows.start] as usize] as usize),
                        column: ds.columns[sc].name.clone(),
                        value: fmt_yuan(p),
                        expected: fmt_yuan(sum),
                        reason: format!(
                            "{} total {code} is not the sum of its {} {}",
                            if code.len() == 3 { "类" } else { "款" },
                            children.len(),
                            if code.len() == 3 { "款" } else { "项" }
                        ),
                    });
                }
            }
        }
        g = end;
    }
    BooleanArray::from(detail)
}

/// Warns where this month's 累计 falls below last month's (a reversal, 冲销, or a wrong
/// extract) and where 累计 ≠ last month's 累计 + 本月.
pub fn continuity(ds: &Dataset, batch: &RecordBatch, previous: &YtdByKey, issues: &mut Vec<Issue>) {
    let (Some(ytd), Some(rowc)) = (
        ds.column_index("ytd_amount"),
        batch.schema().index_of(crate::datasets::SOURCE_ROW).ok(),
    ) else {
        return;
    };
    let ytd = dec_col(batch.column(ytd));
    let month = ds
        .column_index("month_amount")
        .and_then(|mc| dec_col(batch.column(mc)));
    let keys = KeyCols::of(ds, batch);
    let rows = batch
        .column(rowc)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int32Array>();
    let detail = detail_mask(ds, batch);
    let check_row = |r: usize, issues: &mut Vec<Issue>| {
        let Some(prev) = previous.get(&keys, r) else {
            return;
        };
        let Some(now) = dec(ytd, r) else {
            return;
        };
        let row = rows.map(|a| a.value(r) as usize);
        if now < prev {
            issues.push(Issue {
                severity: Severity::Warning,
                row,
                column: "ytd_amount".into(),
                value: fmt_yuan(now),
                expected: format!(">= {} (last month's 累计)", fmt_yuan(prev)),
                reason: "累计 below last month's: a reversal (冲销) or a wrong extract".into(),
            });
        } else if let Some(m) = dec(month, r)
            && (prev + m - now).abs() > 100
        {
            issues.push(Issue {
                severity: Severity::Warning,
                row,
                column: "ytd_amount".into(),
                value: fmt_yuan(now),
                expected: format!("{} (last month's 累计 + 本月)", fmt_yuan(prev + m)),
                reason: "累计 does not continue last month's".into(),
            });
        }
    };
    // Rows are looked up independently: a month's rows in stretches on the cores, their issues
    // kept in row order.
    let found = crate::cores::split_range(detail.len(), |range| {
        let mut issues = Vec::new();
        for r in range.filter(|&r| detail[r]) {
            check_row(r, &mut issues);
        }
        issues
    });
    issues.extend(found.into_iter().flatten());
}

pub fn detail_mask(ds: &Dataset, batch: &RecordBatch) -> Vec<bool> {
    match (
        ds.hierarchy.is_some(),
        batch.schema().index_of(crate::datasets::IS_DETAIL).ok(),
    ) {
        (true, Some(i)) => {
            let a = batch.column(i).as_any().downcast_ref::<BooleanArray>();
            (0..batch.num_rows())
                .map(|r| a.is_none_or(|a| a.value(r)))
                .collect()
        }
        _ => vec![true; batch.num_rows()],
    }
}

/// A batch's continuity key columns (those it has), read in place: a row's key is never
/// copied into a string of its own.
pub struct KeyCols<'a>(Vec<Option<&'a StringArray>>);

impl<'a> KeyCols<'a> {
    pub fn of(ds: &Dataset, batch: &'a RecordBatch) -> KeyCols<'a> {
        KeyCols(
            ds.continuity_key
                .iter()
                .filter_map(|k| batch.schema().index_of(k).ok())
                .map(|i| text_col(batch.column(i)))
                .collect(),
        )
    }

    fn hash(&self, r: usize, state: &foldhash::fast::FixedState) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = state.build_hasher();
        for &c in &self.0 {
            text(c, r).hash(&mut h);
        }
        h.finish()
    }

    fn same(&self, r: usize, other: &KeyCols, o: usize) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(&a, &b)| text(a, r) == text(b, o))
    }
}

/// 累计 summed by continuity key over the detail rows of earlier batches. The table holds a
/// (hash, batch, row, sum) per key and reads keys from the batches it borrows: ~32 bytes a key
/// where a `String` per key cost ~100 and an allocation.
pub struct YtdByKey<'a> {
    cols: Vec<KeyCols<'a>>,
    table: hashbrown::HashTable<(u64, u32, u32, i128)>,
    state: foldhash::fast::FixedState,
}

impl YtdByKey<'_> {
    /// The summed 累计 of the row `r` of a batch whose key columns are `keys`.
    pub fn get(&self, keys: &KeyCols, r: usize) -> Option<i128> {
        let h = keys.hash(r, &self.state);
        self.table
            .find(h, |&(eh, b, er, _)| {
                eh == h && self.cols[b as usize].same(er as usize, keys, r)
            })
            .map(|e| e.3)
    }
}

pub fn ytd_by_key<'a>(ds: &Dataset, batches: &'a [RecordBatch]) -> YtdByKey<'a> {
    let mut out = YtdByKey {
        cols: batches.iter().map(|b| KeyCols::of(ds, b)).collect(),
        table: hashbrown::HashTable::new(),
        state: foldhash::fast::FixedState::default(),
    };
    let Some(name) = ds.column("ytd_amount").map(|c| c.name.clone()) else {
        return out;
    };
    for (bi, b) in batches.iter().enumerate() {
        let Ok(yi) = b.schema().index_of(&name) else {
            continue;
        };
        let ytd = dec_col(b.column(yi));
        let detail = detail_mask(ds, b);
        let keys = &out.cols[bi];
        for (r, is_detail) in detail.iter().enumerate() {
            let Some(v) = dec(ytd, r).filter(|_| *is_detail) else {
                continue;
            };
            let h = keys.hash(r, &out.state);
            let cols = &out.cols;
            match out.table.entry(
                h,
                |&(eh, eb, er, _)| eh == h && cols[eb as usize].same(er as usize, keys, r),
                |e| e.0,
            ) {
                hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().3 += v,
                hashbrown::hash_table::Entry::Vacant(e) => {
                    e.insert((h, bi as u32, r as u32, v));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use datafusion::arrow::array::{Int32Array, new_null_array};
    use datafusion::arrow::datatypes::DataType;
    use proptest::prelude::*;

    use super::*;
    use crate::datasets::Catalog;

    /// One generated execution row: (period, region, unit, function code, adjusted, ytd).
    type Row = (u8, u8, u8, &'static str, Option<i64>, Option<i64>);

    const CODES: &[&str] = &[
        "", "201", "20101", "2010101", "2010102", "20102", "202", "20201",
    ];

    fn arrays(ds: &Dataset, rows: &[Row]) -> Vec<ArrayRef> {
        let texts = |f: &dyn Fn(&Row) -> String| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let money = |f: &dyn Fn(&Row) -> Option<i64>, ty: DataType| -> ArrayRef {
            Arc::new(
                Decimal128Array::from_iter(rows.iter().map(|r| f(r).map(i128::from)))
                    .with_data_type(ty),
            )
        };
        ds.columns
            .iter()
            .map(|c| match c.name.as_str() {
                "region_code" => texts(&|r| format!("99{:04}", r.1)),
                "agency_code" => texts(&|r| format!("{:03}", r.2)),
                "func_code" => texts(&|r| r.3.to_string()),
                "adjusted_budget" => money(&|r| r.4, c.data_type()),
                "ytd_amount" => money(&|r| r.5, c.data_type()),
                _ => new_null_array(&c.data_type(), rows.len()),
            })
            .collect()
    }

    /// The grouping the sort replaced (hash maps per group), kept as the reference.
    fn hierarchy_by_maps(
        ds: &Dataset,
        arrays: &[ArrayRef],
        periods: &[Option<&str>],
        rows: &[i32],
        issues: &mut Vec<Issue>,
    ) -> Vec<bool> {
        let hc = ds.column_index("func_code").unwrap();
        let keys: Vec<Option<&StringArray>> = ds
            .continuity_key
            .iter()
            .filter(|k| *k != "func_code")
            .filter_map(|k| ds.column_index(k))
            .map(|c| text_col(&arrays[c]))
            .collect();
        type Codes<'a> = HashMap<&'a str, Vec<usize>>;
        let mut groups: HashMap<(String, Vec<&str>), Codes> = HashMap::new();
        for (r, p) in periods.iter().enumerate() {
            let key = (
                p.unwrap_or("").to_string(),
                keys.iter().map(|&k| text(k, r)).collect(),
            );
            let code = text(text_col(&arrays[hc]), r);
            groups
                .entry(key)
                .or_default()
                .entry(code)
                .or_default()
                .push(r);
        }
        let mut detail = vec![true; rows.len()];
        for codes in groups.values() {
            for (&code, parent_rows) in codes {
                if code.is_empty() {
                    continue;
                }
                let children: Vec<&str> = codes
                    .keys()
                    .copied()
                    .filter(|c| c.len() == code.len() + 2 && c.starts_with(code))
                    .collect();
                if codes
                    .keys()
                    .any(|c| c.len() > code.len() && c.starts_with(code))
                {
                    for &r in parent_rows {
                        detail[r] = false;
                    }
                }
                if children.is_empty() {
                    continue;
                }
                for sc in ["adjusted_budget", "ytd_amount"] {
                    let col = dec_col(&arrays[ds.column_index(sc).unwrap()]);
                    let parent: Option<i128> = parent_rows.iter().map(|&r| dec(col, r)).sum();
                    let sum: i128 = children
                        .iter()
                        .flat_map(|c| codes[c].iter())
                        .filter_map(|&r| dec(col, r))
                        .sum();
                    if let Some(p) = parent
                        && (p - sum).abs() > children.len() as i128
                    {
                        issues.push(Issue {
                            severity: Severity::Error,
                            row: Some(rows[parent_rows[0]] as usize),
                            column: sc.into(),
                            value: fmt_yuan(p),
                            expected: fmt_yuan(sum),
                            reason: code.into(),
                        });
                    }
                }
            }
        }
        detail
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            0u8..2,
            0u8..2,
            0u8..3,
            prop::sample::select(CODES),
            prop::option::weighted(0.9, 0i64..50),
            prop::option::weighted(0.9, 0i64..50),
        )
    }

    fn issue_keys(issues: &[Issue]) -> Vec<(Option<usize>, String, String, String)> {
        let mut k: Vec<_> = issues
            .iter()
            .map(|i| (i.row, i.column.clone(), i.value.clone(), i.expected.clone()))
            .collect();
        k.sort();
        k
    }

    /// A month long enough to be checked on two cores: the totals and detail rows found are
    /// those of the reference, and 累计 breaks are reported once each, in row order.
    #[test]
    fn a_long_month_is_checked_on_the_cores_as_on_one() {
        let catalog = Catalog::builtin();
        let ds = catalog.get("budget_execution").unwrap();
        let n = 2 * crate::cores::SPLIT_MIN + 7;
        // Units 0..=2, codes cycling through a tree, two regions, two periods: many equal keys.
        let rows: Vec<Row> = (0..n)
            .map(|i| {
                let code = CODES[i % CODES.len()];
                let v = ((i * 37) % 50) as i64;
                (
                    (i / 7 % 2) as u8,
                    (i / 3 % 2) as u8,
                    (i % 3) as u8,
                    code,
                    Some(v),
                    Some(v + 1),
                )
            })
            .collect();
        let a = arrays(ds, &rows);
        let periods: Vec<Option<&str>> = rows
            .iter()
            .map(|r| Some(if r.0 == 0 { "2025-01" } else { "2025-02" }))
            .collect();
        let lines: Vec<i32> = (0..n as i32).map(|i| i + 4).collect();
        let (mut got, mut want) = (Vec::new(), Vec::new());
        let detail = hierarchy(ds, &a, &periods, &lines, 0, &mut got);
        let expected = hierarchy_by_maps(ds, &a, &periods, &lines, &mut want);
        assert_eq!(
            detail.iter().map(|d| d.unwrap()).collect::<Vec<_>>(),
            expected
        );
        assert!(!want.is_empty());
        assert_eq!(issue_keys(&got), issue_keys(&want));

        // 累计: every unit its own key; each 1000th row's 累计 falls below last month's.
        let month = |ytd: &dyn Fn(usize) -> i128| -> RecordBatch {
            let mut cols: Vec<ArrayRef> = ds
                .columns
                .iter()
                .map(|c| -> ArrayRef {
                    match c.name.as_str() {
                        "region_code" => Arc::new(StringArray::from(vec!["990100"; n])),
                        "agency_code" => Arc::new(StringArray::from_iter_values(
                            (0..n).map(|i| format!("{i:06}")),
                        )),
                        "func_code" => Arc::new(StringArray::from(vec!["2010101"; n])),
                        "ytd_amount" => Arc::new(
                            Decimal128Array::from_iter_values((0..n).map(ytd))
                                .with_data_type(c.data_type()),
                        ),
                        _ => new_null_array(&c.data_type(), n),
                    }
                })
                .collect();
            cols.push(Arc::new(BooleanArray::from(vec![true; n])));
            cols.push(Arc::new(datafusion::arrow::array::Int64Array::from(vec![
                1;
                n
            ])));
            cols.push(Arc::new(Int32Array::from_iter_values(
                (0..n as i32).map(|i| i + 2),
            )));
            RecordBatch::try_new(ds.file_schema(), cols).unwrap()
        };
        let last = [month(&|i| 1000 + i as i128)];
        let now = month(&|i| if i % 1000 == 999 { 5 } else { 2000 + i as i128 });
        let mut issues = Vec::new();
        continuity(ds, &now, &ytd_by_key(ds, &last), &mut issues);
        let rows: Vec<usize> = issues.iter().filter_map(|i| i.row).collect();
        let expected: Vec<usize> = (0..n).filter(|i| i % 1000 == 999).map(|i| i + 2).collect();
        assert_eq!(rows, expected);
        assert!(
            issues
                .iter()
                .all(|i| i.reason.starts_with("累计 below last month's"))
        );
        assert_eq!(
            issues[0].expected,
            format!(">= {} (last month's 累计)", fmt_yuan(1999))
        );
    }

    proptest! {
        /// Sorting finds the same detail rows and the same unbalanced totals as grouping rows
        /// in hash maps, over two periods, two regions, units sharing codes, nulls, codes
        /// without parents and rows repeating a code.
        #[test]
        fn hierarchy_by_sorting_is_hierarchy_by_grouping(rows in prop::collection::vec(row(), 0..60)) {
            let catalog = Catalog::builtin();
            let ds = catalog.get("budget_execution").unwrap();
            let a = arrays(ds, &rows);
            let periods: Vec<Option<&str>> = rows
                .iter()
                .map(|r| Some(if r.0 == 0 { "2025-01" } else { "2025-02" }))
                .collect();
            let lines: Vec<i32> = (0..rows.len() as i32).map(|i| i + 4).collect();
            let (mut got, mut want) = (Vec::new(), Vec::new());
            let detail = hierarchy(ds, &a, &periods, &lines, 0, &mut got);
            let expected = hierarchy_by_maps(ds, &a, &periods, &lines, &mut want);
            prop_assert_eq!(detail.iter().map(|d| d.unwrap()).collect::<Vec<_>>(), expected);
            prop_assert_eq!(issue_keys(&got), issue_keys(&want));
        }

        /// Last month's 累计 found through the borrowed-key table is the sum a map of joined
        /// strings gives, for every key, with keys repeated across two batches.
        #[test]
        fn ytd_by_key_sums_as_a_string_map_does(
            old in prop::collection::vec(row(), 0..40),
            more in prop::collection::vec(row(), 0..40),
            now in prop::collection::vec(row(), 1..40),
        ) {
            let catalog = Catalog::builtin();
            let ds = catalog.get("budget_execution").unwrap();
            let batch = |rows: &[Row]| {
                let mut cols = arrays(ds, rows);
                // every row a detail row, as in an extract without totals
                cols.push(Arc::new(BooleanArray::from(vec![true; rows.len()])));
                cols.push(Arc::new(datafusion::arrow::array::Int64Array::from(vec![1; rows.len()])));
                cols.push(Arc::new(Int32Array::from_iter_values(0..rows.len() as i32)));
                RecordBatch::try_new(ds.file_schema(), cols).unwrap()
            };
            let earlier = [batch(&old), batch(&more)];
            let table = ytd_by_key(ds, &earlier);
            let joined = |b: &RecordBatch, r: usize| {
                let k = KeyCols::of(ds, b);
                k.0.iter().map(|&c| text(c, r)).collect::<Vec<_>>().join("\u{1f}")
            };
            let mut by_string: HashMap<String, i128> = HashMap::new();
            for b in &earlier {
                let ytd = dec_col(b.column(ds.column_index("ytd_amount").unwrap()));
                for r in 0..b.num_rows() {
                    if let Some(v) = dec(ytd, r) {
                        *by_string.entry(joined(b, r)).or_insert(0) += v;
                    }
                }
            }
            let current = batch(&now);
            let keys = KeyCols::of(ds, &current);
            for r in 0..current.num_rows() {
                prop_assert_eq!(table.get(&keys, r), by_string.get(&joined(&current, r)).copied());
            }
        }
    }
}
