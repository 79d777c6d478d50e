//! Consistency checks that need more than one row: a 类 total equals the sum of its 款 (and a
//! 款 of its 项), and this month's 累计 continues last month's.

use std::collections::HashMap;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, RecordBatch, StringArray,
};

use super::{Issue, Severity};
use crate::datasets::Dataset;

fn text(a: &ArrayRef, r: usize) -> &str {
    a.as_any()
        .downcast_ref::<StringArray>()
        .filter(|s| !s.is_null(r))
        .map(|s| s.value(r))
        .unwrap_or("")
}

fn dec(a: &ArrayRef, r: usize) -> Option<i128> {
    a.as_any()
        .downcast_ref::<Decimal128Array>()
        .filter(|d| !d.is_null(r))
        .map(|d| d.value(r))
}

/// (period, the other key columns' values): rows that belong to one code tree.
type GroupKey<'a> = (String, Vec<&'a str>);

pub fn fmt_yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Flags each row as detail (no finer row of the same key below it) and checks that every
/// parent code equals the sum of its direct children. Returns the `is_detail` column.
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
    let key_cols: Vec<usize> = ds
        .continuity_key
        .iter()
        .filter(|k| k.as_str() != ds.columns[hc].name)
        .filter_map(|k| ds.column_index(k))
        .collect();
    let sum_cols: Vec<usize> = ds
        .hierarchy_sum
        .iter()
        .filter_map(|k| ds.column_index(k))
        .collect();
    // (period, other keys) → code → row indices
    let mut groups: HashMap<GroupKey, HashMap<&str, Vec<usize>>> = HashMap::new();
    for (r, period) in periods.iter().enumerate().take(n) {
        let key = (
            period.unwrap_or_default().to_string(),
            key_cols
                .iter()
                .map(|&c| text(&arrays[c], r))
                .collect::<Vec<_>>(),
        );
        groups
            .entry(key)
            .or_default()
            .entry(text(&arrays[hc], r))
            .or_default()
            .push(r);
    }
    let mut detail = vec![true; n];
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
            let has_descendant = codes
                .keys()
                .any(|c| c.len() > code.len() && c.starts_with(code));
            if has_descendant {
                for &r in parent_rows {
                    detail[r] = false;
                }
            }
            if children.is_empty() {
                continue;
            }
            // Each child was rounded to the file's last digit: allow that much per child.
            let tol = children.len() as i128 * 10i128.pow(unit_pow);
            for &sc in &sum_cols {
                let parent: Option<i128> = parent_rows.iter().map(|&r| dec(&arrays[sc], r)).sum();
                let sum: i128 = children
                    .iter()
                    .flat_map(|c| codes[c].iter())
                    .filter_map(|&r| dec(&arrays[sc], r))
                    .sum();
                if let Some(p) = parent
                    && (p - sum).abs() > tol
                {
                    issues.push(Issue {
                        severity: Severity::Error,
                        row: Some(rows[parent_rows[0]] as usize),
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
    }
    BooleanArray::from(detail)
}

/// Warns where this month's 累计 falls below last month's (a reversal, 冲销, or a wrong
/// extract) and where 累计 ≠ last month's 累计 + 本月.
pub fn continuity(
    ds: &Dataset,
    batch: &RecordBatch,
    previous: &HashMap<String, i128>,
    issues: &mut Vec<Issue>,
) {
    let (Some(ytd), Some(rowc)) = (
        ds.column_index("ytd_amount"),
        batch.schema().index_of(crate::datasets::SOURCE_ROW).ok(),
    ) else {
        return;
    };
    let month = ds.column_index("month_amount");
    let keys = continuity_keys(ds, batch);
    let rows = batch
        .column(rowc)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int32Array>();
    let detail = detail_mask(ds, batch);
    for (r, key) in keys.iter().enumerate() {
        if !detail[r] {
            continue;
        }
        let Some(prev) = previous.get(key) else {
            continue;
        };
        let Some(now) = dec(batch.column(ytd), r) else {
            continue;
        };
        let row = rows.map(|a| a.value(r) as usize);
        if now < *prev {
            issues.push(Issue {
                severity: Severity::Warning,
                row,
                column: "ytd_amount".into(),
                value: fmt_yuan(now),
                expected: format!(">= {} (last month's 累计)", fmt_yuan(*prev)),
                reason: "累计 below last month's: a reversal (冲销) or a wrong extract".into(),
            });
        } else if let Some(m) = month.and_then(|mc| dec(batch.column(mc), r))
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
    }
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

/// One string per row joining the continuity key columns.
pub fn continuity_keys(ds: &Dataset, batch: &RecordBatch) -> Vec<String> {
    let cols: Vec<&ArrayRef> = ds
        .continuity_key
        .iter()
        .filter_map(|k| batch.schema().index_of(k).ok().map(|i| batch.column(i)))
        .collect();
    (0..batch.num_rows())
        .map(|r| {
            cols.iter()
                .map(|c| text(c, r))
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect()
}

/// Sums 累计 by continuity key over detail rows of earlier batches.
pub fn ytd_by_key(ds: &Dataset, batches: &[RecordBatch]) -> HashMap<String, i128> {
    let mut out = HashMap::new();
    let Some(name) = ds.column("ytd_amount").map(|c| c.name.clone()) else {
        return out;
    };
    for b in batches {
        let Ok(yi) = b.schema().index_of(&name) else {
            continue;
        };
        let keys = continuity_keys(ds, b);
        let detail = detail_mask(ds, b);
        for (r, k) in keys.into_iter().enumerate() {
            if detail[r]
                && let Some(v) = dec(b.column(yi), r)
            {
                *out.entry(k).or_insert(0) += v;
            }
        }
    }
    out
}
