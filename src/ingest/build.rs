//! Rows of text cells → canonical Arrow columns, one record batch per period, with every
//! problem recorded as an [`Issue`] naming the row, column, value and what was expected.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array,
    RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::{concat, filter_record_batch};

use super::header::{Mapped, Mapping, TitleInfo, is_note, is_total_label};
use super::read::{Part, Sheet};
use super::value::{
    is_blank, parse_bool, parse_date, parse_decimal, parse_int, to_half_width, trim,
};
use super::{Issue, Severity};
use crate::config::Config;
use crate::datasets::{ColType, Dataset, Grain, MONEY_SCALE, NUMBER_SCALE};

/// Context for implicit columns: `--set` flags, then the title, then purse.toml.
pub struct Context<'a> {
    pub set: &'a BTreeMap<String, String>,
    pub title: &'a TitleInfo,
    pub config: &'a Config,
    /// File-level period (`--period`, title, month-labelled headers), if any.
    pub period: Option<(i32, Option<u32>)>,
    /// Told the rows read so far, every [`PROGRESS_EVERY`] rows.
    pub progress: &'a (dyn Fn(usize) + Sync),
    /// The file's name (`cpi.csv`): names a series file that names no indicator.
    pub source: &'a str,
}

/// How often [`Context::progress`] hears from a sheet being read.
pub const PROGRESS_EVERY: usize = 10_000;

impl Context<'_> {
    /// An implicit column's value: `--set`, then what the title says, then `purse.toml`.
    /// The deployment's own region applies only to an extract that names no other region; a
    /// region named in the title takes its code from the deployment or its code list.
    pub fn value(&self, key: &str) -> Option<String> {
        if let Some(v) = self.set.get(key).filter(|v| !v.trim().is_empty()) {
            return Some(v.clone());
        }
        let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let title_region = self.title.region_name.as_deref().and_then(nonempty);
        // A region named by --set decides which region the file is about.
        let named = self
            .set
            .get("region_name")
            .and_then(|s| nonempty(s))
            .or(title_region.clone());
        match key {
            "region_name" => named.or_else(|| nonempty(&self.config.region_name)),
            "region_code" => self.title.region_code.clone().or_else(|| match &named {
                Some(name) => self.config.region_code_of(name),
                None => nonempty(&self.config.region_code),
            }),
            "budget_kind" => self
                .title
                .budget_kind
                .clone()
                .or_else(|| nonempty(&self.config.budget_kind)),
            "unit" => self.title.unit_text.clone(),
            "dept_name" => self.title.dept_name.clone(),
            _ => None,
        }
    }
}

enum Buf {
    /// Appended straight into Arrow's buffers: no `String` per cell.
    Text(StringBuilder),
    Dec(Vec<Option<i128>>),
    Int(Vec<Option<i32>>),
    Date(Vec<Option<i32>>),
    Bool(Vec<Option<bool>>),
}

/// The result of reading one sheet into a dataset (its rows went to the [`Sink`]).
pub struct Built {
    /// period → sorted distinct scope values ("region_code=…|budget_kind=…")
    pub scopes: BTreeMap<String, BTreeSet<String>>,
    pub issues: Vec<Issue>,
    pub rows_read: usize,
    pub totals_skipped: usize,
}

/// Where a sheet's rows go as they are read, in the sheet's order: `(period, rows, the source
/// rows with errors among the issues found so far)`. An error stops the reading. A dataset
/// checked over the whole sheet (a code hierarchy, 累计 continuity) comes as one batch per
/// period, once the sheet is read.
pub type Sink<'s> = dyn FnMut(&str, RecordBatch, &HashSet<usize>) -> Result<(), String> + 's;

/// Each column's pieces (one per part) joined into one array. Columns are independent, so
/// they are joined on the machine's cores (the join is a copy of the file's columns: done on
/// one thread it was a pause with one core idle); each part's piece is let go once joined.
fn join_parts(columns: Vec<Vec<ArrayRef>>) -> Result<Vec<ArrayRef>, String> {
    let join = |parts: Vec<ArrayRef>| -> Result<ArrayRef, String> {
        if parts.len() == 1 {
            return parts
                .into_iter()
                .next()
                .ok_or_else(|| "internal: no part".into());
        }
        let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
        concat(&refs).map_err(|e| format!("internal: {e}"))
    };
    if columns.iter().all(|c| c.len() == 1) {
        return columns.into_iter().map(join).collect();
    }
    crate::cores::map_in_order(columns, crate::cores::available(4), join, |_| {
        "internal: a thread joining columns stopped".to_string()
    })
}

/// One long record drawn from a wide row.
struct Variant {
    group: Option<usize>,
    period: PeriodLabel,
    measure: Option<usize>,
}

/// Columns that no alias matched but hold numbers in every non-blank cell of the first data
/// rows, for datasets that take series side by side — when the extract has no column naming
/// its measures.
fn measure_columns(ds: &Dataset, sheet: &Sheet, m: &Mapping) -> Vec<Mapped> {
    let Some(ms) = &ds.measures else {
        return Vec::new();
    };
    let (Some(value), Some(key), Some(name)) = (
        ds.column_index(&ms.value),
        ds.column_index(&ms.key),
        ds.column_index(&ms.name),
    ) else {
        return Vec::new();
    };
    if m.cols.iter().any(|x| x.col == key || x.col == name) || m.unmatched_src.is_empty() {
        return Vec::new();
    }
    let mut numeric: Vec<(usize, usize)> = vec![(0, 0); m.unmatched_src.len()]; // (numbers, others)
    let mut seen = 0;
    let _ = sheet.for_each_row(m.header_row + m.header_rows, |_, cells| {
        for (k, (j, _)) in m.unmatched_src.iter().enumerate() {
            match cells.get(*j).map(|c| parse_decimal(c)) {
                Some(Ok(Some(_))) => numeric[k].0 += 1,
                Some(Ok(None)) | None => {}
                Some(Err(_)) => numeric[k].1 += 1,
            }
        }
        seen += 1;
        seen < 50
    });
    m.unmatched_src
        .iter()
        .zip(numeric)
        .filter(|(_, (n, bad))| *n > 0 && *bad == 0)
        .map(|((j, h), _)| Mapped {
            src: *j,
            col: value,
            group: None,
            unit_pow: None,
            period: None,
            header: h.clone(),
        })
        .collect()
}

/// A period named by a header label: (year, month).
type PeriodLabel = Option<(Option<i32>, Option<u32>)>;

const EPOCH_DAYS_CE: i32 = 719_163;

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_DAYS_CE
}

pub fn period_string(grain: Grain, year: i32, month: Option<u32>) -> Option<String> {
    match (grain, month) {
        (Grain::Year, _) => Some(format!("{year:04}")),
        (Grain::Month, Some(m)) if (1..=12).contains(&m) => Some(format!("{year:04}-{m:02}")),
        _ => None,
    }
}

/// The period of a row as (year, month), when [`period_string`] would name it.
fn period_key(grain: Grain, year: i32, month: Option<u32>) -> Option<(i32, Option<u32>)> {
    match (grain, month) {
        (Grain::Year, _) => Some((year, None)),
        (Grain::Month, Some(m)) if (1..=12).contains(&m) => Some((year, Some(m))),
        _ => None,
    }
}

/// How a code column reads for a row that names its entity (a unit) but gives no code: the
/// name, after this prefix, so it never passes for a code and two names never share a key.
pub const NAME_KEY: &str = "名称:";

/// Adds a part's (first row, count) into the sheet's: the earliest first row, the counts summed.
fn add_count(into: &mut (usize, usize), (first, count): (usize, usize)) {
    if count > 0 {
        into.0 = if into.1 == 0 {
            first
        } else {
            into.0.min(first)
        };
        into.1 += count;
    }
}

/// At most this many threads read one sheet (parts of a large CSV).
const READERS: usize = 4;

/// What one part of a sheet read: its columns, and what is merged in order afterwards.
struct Partial {
    arrays: Vec<ArrayRef>,
    periods: Vec<Option<u32>>,
    period_names: Vec<String>,
    source_rows: Vec<i32>,
    issues: Vec<Issue>,
    unknown: BTreeMap<(usize, String), (usize, usize)>,
    /// Rows whose unit is keyed by its name for want of a code: (first row, count).
    named: (usize, usize),
    /// Region names with no code (no code column, not the deployment's, not in `[regions]`):
    /// name → (first row, count).
    regions: BTreeMap<String, (usize, usize)>,
    rows_read: usize,
    totals_skipped: usize,
    /// A note or signature line ended the table inside this part.
    ended: bool,
}

/// The columns a part gathered, as Arrow arrays.
fn finish(bufs: Vec<Buf>, ds: &Dataset) -> Vec<ArrayRef> {
    bufs.into_iter()
        .zip(&ds.columns)
        .map(|(buf, col)| -> ArrayRef {
            match buf {
                Buf::Text(mut v) => Arc::new(v.finish()),
                Buf::Dec(v) => Arc::new(Decimal128Array::from(v).with_data_type(col.data_type())),
                Buf::Int(v) => Arc::new(Int32Array::from(v)),
                Buf::Date(v) => Arc::new(Date32Array::from(v)),
                Buf::Bool(v) => Arc::new(BooleanArray::from(v)),
            }
        })
        .collect()
}

/// Each row's period by name, for the checks that group by it.
fn period_of<'a>(periods: &[Option<u32>], names: &'a [String]) -> Vec<Option<&'a str>> {
    periods
        .iter()
        .map(|p| p.map(|i| names[i as usize].as_str()))
        .collect()
}

/// Adds the scope keys ("region_code=…|budget_kind=…") of a batch's rows to `set`.
fn scope_keys(part: &RecordBatch, scope_cols: &[(usize, &str)], set: &mut BTreeSet<String>) {
    let texts: Vec<(Option<&StringArray>, &str)> = scope_cols
        .iter()
        .map(|(c, name)| {
            (
                part.column(*c).as_any().downcast_ref::<StringArray>(),
                *name,
            )
        })
        .collect();
    let mut key = String::new();
    // Rows come grouped (a unit's rows together): a row whose scope values are the previous
    // row's adds nothing, and is passed over without building its key.
    let same_as_previous = |r: usize| {
        r > 0
            && texts.iter().all(|(a, _)| match a {
                Some(a) => match (a.is_null(r), a.is_null(r - 1)) {
                    (true, true) => true,
                    (false, false) => a.value(r) == a.value(r - 1),
                    _ => false,
                },
                None => true,
            })
    };
    for r in 0..part.num_rows() {
        if same_as_previous(r) {
            continue;
        }
        key.clear();
        for (j, (a, name)) in texts.iter().enumerate() {
            if j > 0 {
                key.push('|');
            }
            key.push_str(name);
            key.push('=');
            if let Some(a) = a.filter(|a| !a.is_null(r)) {
                key.push_str(a.value(r));
            }
        }
        if !set.contains(key.as_str()) {
            set.insert(key.clone());
        }
    }
}

/// Reads the data rows of `sheet` below the header described by `m`; a large CSV in parts,
/// on up to [`READERS`] threads (and the machine's cores), as if read whole.
pub fn build(
    codes: &crate::datasets::Codes,
    ds: &Dataset,
    sheet: Sheet,
    m: &Mapping,
    ctx: &Context,
    load_id: i64,
    sink: &mut Sink,
) -> Result<Built, String> {
    let parts = sheet.parts(
        m.header_row + m.header_rows,
        crate::cores::available(READERS),
    );
    build_in_parts(codes, ds, sheet, m, ctx, load_id, parts, sink)
}

/// [`build`] over the parts given (from [`Sheet::parts`]), taken in order by the threads. The
/// sheet is let go first, and each part once read: a part's text lives until its rows are
/// columns, and a part's columns until the sink has them.
///
/// Three steps: the [`Plan`] decides once what each row becomes; each part is read by a
/// [`PartReader`] on its own thread; the parts are merged in order by [`Merge`], which hands
/// the rows to the sink; the sheet's warnings come last.
#[allow(clippy::too_many_arguments)]
pub fn build_in_parts(
    codes: &crate::datasets::Codes,
    ds: &Dataset,
    sheet: Sheet,
    m: &Mapping,
    ctx: &Context,
    load_id: i64,
    parts: Vec<Part>,
    sink: &mut Sink,
) -> Result<Built, String> {
    // Series side by side: unrecognised numeric columns become measures of their own.
    let measure_cols = measure_columns(ds, &sheet, m);
    drop(sheet);
    let plan = Plan::new(codes, ds, m, ctx, &measure_cols);
    // Rows read so far by every part, for the progress callback.
    let done = AtomicUsize::new(0);
    let mut merge = Merge::new(ds, load_id, sink);
    crate::cores::for_each_in_order(
        parts,
        crate::cores::available(READERS),
        (|_: &Part| 0, u64::MAX),
        |p| PartReader::new(&plan, &done).read(&p),
        |p: Partial| merge.take(p),
        |what| format!("internal: a reading thread stopped: {what}"),
    )?;
    let mut built = merge.finish(plan.file_unit)?;
    plan.warnings(&mut built);
    Ok(built.into())
}

/// What is decided once per sheet, before a row is read: the long records drawn from each
/// wide row, where each canonical column comes from, the implicit values, and the lookups.
struct Plan<'a> {
    codes: &'a crate::datasets::Codes,
    ds: &'a Dataset,
    m: &'a Mapping,
    ctx: &'a Context<'a>,
    measure_cols: &'a [Mapped],
    variants: Vec<Variant>,
    /// For each variant, the source column of each canonical column (variant-specific first).
    sources: Vec<Vec<Option<&'a Mapped>>>,
    /// Columns that stand side by side per period (2014 | 2015, or 1月 … 12月).
    wide_cols: Vec<usize>,
    /// Each canonical column's implicit value (`--set`, the title, purse.toml).
    fills: Vec<Option<String>>,
    /// The series' name taken from the file's, when the file names no indicator.
    named_by_file: Option<String>,
    key_ci: Option<usize>,
    unpivot_col: Option<usize>,
    year_ci: Option<usize>,
    month_ci: Option<usize>,
    period_from_ci: Option<usize>,
    unit_ci: Option<usize>,
    indicator_name_ci: Option<usize>,
    /// Code column → its name column, for "2010101 行政运行" in one cell.
    split_names: Vec<(usize, usize)>,
    file_unit: u32,
    /// (agency code, name): units keyed by name in a file with no unit code column.
    named_col: Option<(usize, usize)>,
    /// (region code, name): a 地区 column in a file with no region code column.
    region_col: Option<(usize, usize)>,
    /// The region the title or `--set` names, with its code.
    file_region: Option<(String, String)>,
    /// The code lists looked up on every row, with a fast hash (the catalog's use SipHash).
    lists: Vec<Option<HashSet<&'a str, foldhash::fast::FixedState>>>,
}

impl<'a> Plan<'a> {
    fn new(
        codes: &'a crate::datasets::Codes,
        ds: &'a Dataset,
        m: &'a Mapping,
        ctx: &'a Context<'a>,
        measure_cols: &'a [Mapped],
    ) -> Plan<'a> {
        let (variants, wide_cols) = variants(ds, m, measure_cols);
        let value_ci = ds
            .measures
            .as_ref()
            .and_then(|ms| ds.column_index(&ms.value));
        let sources = variants
            .iter()
            .map(|var| {
                let fits = |x: &&Mapped| !wide_cols.contains(&x.col) || x.period == var.period;
                (0..ds.columns.len())
                    .map(|ci| {
                        if let (Some(k), true) = (var.measure, Some(ci) == value_ci) {
                            return Some(&measure_cols[k]);
                        }
                        m.cols
                            .iter()
                            .filter(fits)
                            .find(|x| x.col == ci && var.group.is_some() && x.group == var.group)
                            .or_else(|| {
                                m.cols
                                    .iter()
                                    .filter(fits)
                                    .find(|x| x.col == ci && x.group.is_none())
                            })
                    })
                    .collect()
            })
            .collect();
        let mut fills: Vec<Option<String>> = ds
            .columns
            .iter()
            .map(|c| c.fill.as_deref().and_then(|f| ctx.value(f)))
            .collect();
        let named_by_file = name_from_file(ds, m, ctx, &mut fills);
        let mut split_names: Vec<(usize, usize)> = Vec::new();
        for (ci, c) in ds.columns.iter().enumerate() {
            if let Some(n) = c.name_column.as_deref().and_then(|n| ds.column_index(n)) {
                split_names.push((ci, n));
            }
        }
        let name_of = |ci: usize| split_names.iter().find(|(c, _)| *c == ci).map(|p| p.1);
        // A budget unit named by a file that has no unit code column at all (a county table
        // with unit names only) is keyed by its name, so rules that group by unit never lump
        // every code-less unit into one. A blank code cell in a file that has codes is left
        // blank (a subtotal, or a row the bureau left incomplete: keying it by name would
        // split a unit).
        let named_col = ds
            .column_index("agency_code")
            .filter(|&ci| ds.columns[ci].fill.is_none())
            .and_then(|ci| name_of(ci).map(|ni| (ci, ni)));
        // A region named on each row (a 地区 column) in a file with no region code column: the
        // row's own region, never the deployment's stamped on another's. Its code is the
        // deployment's for its own name (or the name the title or --set gives with a code),
        // else `[regions]`, else the name itself keyed (`名称:<name>`), so two regions never
        // share one. `--set region_code=…` says which region the whole file is about and wins.
        let region_col = ds
            .column_index("region_code")
            .filter(|_| !ctx.set.contains_key("region_code"))
            .and_then(|ci| name_of(ci).map(|ni| (ci, ni)));
        let file_region = ctx
            .value("region_name")
            .zip(ctx.value("region_code"))
            .filter(|_| ctx.title.region_name.is_some() || ctx.set.contains_key("region_name"));
        let lists = ds
            .columns
            .iter()
            .map(|c| {
                c.classification
                    .as_ref()
                    .and_then(|k| codes.current(k))
                    .map(|l| l.collect())
            })
            .collect();
        Plan {
            codes,
            ds,
            m,
            ctx,
            measure_cols,
            variants,
            sources,
            wide_cols,
            fills,
            named_by_file,
            key_ci: ds.measures.as_ref().and_then(|ms| ds.column_index(&ms.key)),
            unpivot_col: ds.unpivot.as_ref().and_then(|u| ds.column_index(&u.column)),
            year_ci: ds.column_index("year"),
            month_ci: ds.column_index("month"),
            period_from_ci: ds.period_from.as_deref().and_then(|p| ds.column_index(p)),
            unit_ci: ds.column_index("unit"),
            indicator_name_ci: ds.column_index("indicator_name"),
            split_names,
            file_unit: ctx.title.unit_pow.unwrap_or(0),
            named_col,
            region_col,
            file_region,
            lists,
        }
    }

    /// Whether a mapped column is the variant's own (a group's, or a period's side by side).
    fn specific(&self, x: &Mapped) -> bool {
        x.group.is_some() || self.wide_cols.contains(&x.col)
    }

    /// A region's code from its name: the file's own region, else the deployment's lists.
    fn region_of(&self, name: &str) -> Option<String> {
        match &self.file_region {
            Some((n, c)) if n == name => Some(c.clone()),
            _ => self.ctx.config.region_code_of(name),
        }
    }

    /// The warnings about the whole sheet: units keyed by name, a series named after the file,
    /// regions without a code, and codes not in their lists (one per distinct code).
    fn warnings(&self, b: &mut Merged) {
        let ds = self.ds;
        if let (Some((ci, _)), (first, count @ 1..)) = (self.named_col, b.named) {
            let c = &ds.columns[ci];
            let name = c.name_column.as_deref().unwrap_or("");
            b.issues.push(Issue {
                severity: Severity::Warning,
                row: Some(first),
                column: c.name.clone(),
                value: String::new(),
                expected: "a code".into(),
                reason: format!(
                    "{count} rows give {name} but no {}: each is keyed by its name (`{NAME_KEY}<name>`), \
                     so different names stay apart; give the codes to key them by code",
                    c.name
                ),
            });
        }
        if let Some(stem) = &self.named_by_file {
            b.issues.push(Issue {
                severity: Severity::Warning,
                row: None,
                column: "indicator_name".into(),
                value: stem.clone(),
                expected: "an indicator column (指标 / 指标编码)".into(),
                reason: format!(
                    "the file names no indicator: its rows are the series `{stem}`, after the file's \
                     name (give --set indicator_code=… --set indicator_name=… to name it)"
                ),
            });
        }
        if !b.regions.is_empty() {
            b.issues.push(regions_warning(&b.regions));
        }
        for ((ci, code), (first, count)) in std::mem::take(&mut b.unknown) {
            let kind = ds.columns[ci].classification.as_deref().unwrap_or("");
            // A standard 项 of a known 款 is recognised; anything else says how much is known.
            let Some(why) = self.codes.unknown(kind, &code) else {
                continue;
            };
            b.issues.push(Issue {
                severity: Severity::Warning,
                row: Some(first),
                column: ds.columns[ci].name.clone(),
                value: code,
                expected: format!("a code of the {kind} list"),
                reason: format!("{why} ({count} row{})", if count == 1 { "" } else { "s" }),
            });
        }
    }
}

/// The long records each row gives: one per unpivot group (一般债务 / 专项债务) and per period
/// label when periods stand side by side (2014 | 2015 | 2016, or 1月 … 12月), and one per
/// series side by side; with the columns that stand side by side per period.
fn variants(ds: &Dataset, m: &Mapping, measure_cols: &[Mapped]) -> (Vec<Variant>, Vec<usize>) {
    let groups: Vec<Option<usize>> = match &ds.unpivot {
        Some(u) if m.cols.iter().any(|c| c.group.is_some()) => {
            (0..u.groups.len()).map(Some).collect()
        }
        _ => vec![None],
    };
    let mut wide_cols: Vec<usize> = Vec::new();
    let mut period_labels: Vec<PeriodLabel> = Vec::new();
    for x in &m.cols {
        if x.period.is_some()
            && m.cols
                .iter()
                .any(|y| y.col == x.col && y.group == x.group && y.period != x.period)
        {
            wide_cols.push(x.col);
            if !period_labels.contains(&x.period) {
                period_labels.push(x.period);
            }
        }
    }
    if period_labels.is_empty() {
        period_labels.push(None);
    }
    let value_ci = ds
        .measures
        .as_ref()
        .and_then(|ms| ds.column_index(&ms.value));
    let value_mapped = value_ci.is_some_and(|v| m.cols.iter().any(|x| x.col == v));
    let mut variants: Vec<Variant> = Vec::new();
    if measure_cols.is_empty() || value_mapped {
        for g in &groups {
            for p in &period_labels {
                variants.push(Variant {
                    group: *g,
                    period: *p,
                    measure: None,
                });
            }
        }
    }
    variants.extend((0..measure_cols.len()).map(|k| Variant {
        group: None,
        period: None,
        measure: Some(k),
    }));
    (variants, wide_cols)
}

/// A series file that names no indicator (a national series as published: date, value, yoy
/// …) is named after the file, so two such files are two series, never one's rows replacing
/// the other's as a corrected delivery of the same (empty) scope. The name given, if any.
fn name_from_file(
    ds: &Dataset,
    m: &Mapping,
    ctx: &Context,
    fills: &mut [Option<String>],
) -> Option<String> {
    let mapped = |ci: usize| m.cols.iter().any(|c| c.col == ci);
    let (Some(ci), Some(ni)) = (
        ds.column_index("indicator_code"),
        ds.column_index("indicator_name"),
    ) else {
        return None;
    };
    if mapped(ci) || mapped(ni) || fills[ci].is_some() || fills[ni].is_some() {
        return None;
    }
    let stem = std::path::Path::new(ctx.source)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(ctx.source)
        .trim();
    if stem.is_empty() {
        return None;
    }
    fills[ni] = Some(stem.to_string());
    Some(stem.to_string())
}

/// The warning for rows naming regions that have no code: the first five, and how many more.
fn regions_warning(regions: &BTreeMap<String, (usize, usize)>) -> Issue {
    let first = regions.values().map(|c| c.0).min().unwrap_or(0);
    let rows: usize = regions.values().map(|c| c.1).sum();
    let names: Vec<String> = regions
        .iter()
        .take(5)
        .map(|(n, c)| format!("{n} ×{}", c.1))
        .collect();
    let more = regions.len().saturating_sub(5);
    Issue {
        severity: Severity::Warning,
        row: Some(first),
        column: "region_code".into(),
        value: String::new(),
        expected: "a 财政区划 code".into(),
        reason: format!(
            "{rows} rows name {} region(s) without a code: {}{}; each is kept as its own region keyed by its name (`{NAME_KEY}<name>`), never the deployment's; give codes with [regions] in purse.toml (\"浙江省\" = \"330000\") or a 财政区划 column",
            regions.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
    }
}

/// A row's period as (year, month).
type PeriodKey = (i32, Option<u32>);

/// One part of a sheet being read into columns (the whole sheet, or a piece of a large CSV on
/// its own thread).
struct PartReader<'p, 'a> {
    plan: &'p Plan<'a>,
    done: &'p AtomicUsize,
    bufs: Vec<Buf>,
    /// Each row's period as an index into `period_keys` (a file holds a handful of periods).
    periods: Vec<Option<u32>>,
    period_keys: Vec<PeriodKey>,
    source_rows: Vec<i32>,
    issues: Vec<Issue>,
    rows_read: usize,
    totals_skipped: usize,
    ended: bool,
    /// Unknown classification codes: one warning per distinct code, with its first row and count.
    unknown: BTreeMap<(usize, String), (usize, usize)>,
    named: (usize, usize),
    regions: BTreeMap<String, (usize, usize)>,
    /// One vector for every row's values (see `recycle`).
    spare: Vec<Option<Cow<'static, str>>>,
}

impl<'p, 'a> PartReader<'p, 'a> {
    fn new(plan: &'p Plan<'a>, done: &'p AtomicUsize) -> Self {
        let bufs = plan
            .ds
            .columns
            .iter()
            .map(|c| match c.ty {
                ColType::Text | ColType::Code => Buf::Text(StringBuilder::new()),
                ColType::Money | ColType::Number => Buf::Dec(Vec::new()),
                ColType::Int => Buf::Int(Vec::new()),
                ColType::Date => Buf::Date(Vec::new()),
                ColType::Bool => Buf::Bool(Vec::new()),
            })
            .collect();
        PartReader {
            plan,
            done,
            bufs,
            periods: Vec::new(),
            period_keys: Vec::new(),
            source_rows: Vec::new(),
            issues: Vec::new(),
            rows_read: 0,
            totals_skipped: 0,
            ended: false,
            unknown: BTreeMap::new(),
            named: (0, 0),
            regions: BTreeMap::new(),
            spare: Vec::new(),
        }
    }

    fn read(mut self, part: &Part) -> Result<Partial, String> {
        part.for_each_row(|line, cells| self.row(line, cells))?;
        let ds = self.plan.ds;
        Ok(Partial {
            arrays: finish(self.bufs, ds),
            periods: self.periods,
            period_names: self
                .period_keys
                .iter()
                .map(|(y, m)| period_string(ds.grain, *y, *m).unwrap_or_default())
                .collect(),
            source_rows: self.source_rows,
            issues: self.issues,
            unknown: self.unknown,
            named: self.named,
            regions: self.regions,
            rows_read: self.rows_read,
            totals_skipped: self.totals_skipped,
            ended: self.ended,
        })
    }

    /// One row: each long record it gives, typed into the columns with its period. False when
    /// the table has ended.
    fn row(&mut self, line: usize, cells: &[&str]) -> bool {
        if let Some(go_on) = self.not_data(cells) {
            return go_on;
        }
        self.rows_read += 1;
        if self.rows_read.is_multiple_of(PROGRESS_EVERY) {
            (self.plan.ctx.progress)(
                self.done.fetch_add(PROGRESS_EVERY, Ordering::Relaxed) + PROGRESS_EVERY,
            );
        }
        let plan = self.plan;
        for (vi, var) in plan.variants.iter().enumerate() {
            let Some(mut vals) = self.values(vi, cells) else {
                continue;
            };
            self.derive(vi, line, &mut vals);
            let (row_period, row_ok) = self.typed(vi, line, &vals);
            self.period(vi, var.period, line, row_period, row_ok);
            self.source_rows.push(line as i32);
            self.spare = super::recycle(vals);
        }
        true
    }

    /// `None` for a data row; for any other, whether to read on: blank rows, totals and
    /// repeated headers (page breaks in printed exports) are passed over, notes and signatures
    /// end the table.
    fn not_data(&mut self, cells: &[&str]) -> Option<bool> {
        // The first four non-empty cells and how many there are (no vector per row).
        let mut first = [""; 4];
        let mut count = 0usize;
        for c in cells.iter().filter(|c| !trim(c).is_empty()) {
            if count < 4 {
                first[count] = c;
            }
            count += 1;
        }
        let nonempty = &first[..count.min(4)];
        if count == 0 {
            return Some(true);
        }
        if count <= 2 && is_note(nonempty[0]) {
            self.ended = true;
            return Some(false);
        }
        if nonempty.iter().any(|c| is_total_label(c)) {
            self.totals_skipped += 1;
            return Some(true);
        }
        let m = self.plan.m;
        if m.cols
            .iter()
            .filter(|x| cells.get(x.src).is_some_and(|c| trim(c) == x.header))
            .count()
            >= 2
        {
            return Some(true);
        }
        None
    }

    /// The values of variant `vi` of a row, borrowed from its cells and the fills; `None` for
    /// a wide-table variant with no values of its own (a region with no 专项债务).
    fn values<'c>(&mut self, vi: usize, cells: &[&'c str]) -> Option<Vec<Option<Cow<'c, str>>>>
    where
        'p: 'c,
    {
        let plan: &'p Plan<'a> = self.plan;
        let var = &plan.variants[vi];
        let src = &plan.sources[vi];
        let blank = |x: &Mapped| cells.get(x.src).is_none_or(|c| is_blank(c));
        if let Some(k) = var.measure {
            if blank(&plan.measure_cols[k]) {
                return None;
            }
        } else if (var.group.is_some() || var.period.is_some())
            && !src.iter().flatten().any(|x| plan.specific(x) && !blank(x))
        {
            return None;
        }
        let mut vals: Vec<Option<Cow<'c, str>>> = super::recycle(std::mem::take(&mut self.spare));
        vals.extend(src.iter().zip(&plan.fills).map(|(x, fill)| {
            match x {
                Some(x) => cells
                    .get(x.src)
                    .map(|c| trim(c))
                    .filter(|c| !is_blank(c))
                    .map(Cow::Borrowed),
                None => fill.as_deref().map(Cow::Borrowed),
            }
        }));
        if let (Some(k), Some(kc)) = (var.measure, plan.key_ci) {
            vals[kc] = Some(Cow::Borrowed(plan.measure_cols[k].header.as_str()));
        }
        if let (Some(g), Some(uc), Some(u)) = (var.group, plan.unpivot_col, &plan.ds.unpivot) {
            vals[uc] = Some(Cow::Borrowed(u.groups[g].as_str()));
        }
        Some(vals)
    }

    /// What a row's values imply: a code and its name in one cell split, a unit or region
    /// without a code keyed by its name (or the region's code found), an indicator's unit
    /// taken from its name.
    fn derive(&mut self, vi: usize, line: usize, vals: &mut [Option<Cow<'_, str>>]) {
        let plan = self.plan;
        let src = &plan.sources[vi];
        // "2010101 行政运行" in one cell: split into code and name.
        for &(ci, ni) in &plan.split_names {
            if src[ci].is_none() {
                continue;
            }
            if let Some(v) = vals[ci].clone() {
                let v = to_half_width(&v);
                if let Some((code, name)) = v.trim().split_once(char::is_whitespace)
                    && plan.ds.columns[ci].shape.check(code).is_none()
                    && vals[ni].is_none()
                {
                    vals[ci] = Some(Cow::Owned(code.to_string()));
                    vals[ni] = Some(Cow::Owned(name.trim().to_string()));
                }
            }
        }
        if let Some((ci, ni)) = plan.named_col
            && src[ci].is_none()
            && vals[ci].is_none()
            && let Some(name) = vals[ni].as_deref()
        {
            vals[ci] = Some(Cow::Owned(format!("{NAME_KEY}{name}")));
            add_count(&mut self.named, (line, 1));
        }
        if let Some((ci, ni)) = plan.region_col
            && src[ci].is_none()
            && src[ni].is_some()
            && let Some(name) = vals[ni].as_deref()
        {
            let code = match plan.region_of(name) {
                Some(code) => code,
                None => {
                    add_count(
                        self.regions.entry(name.to_string()).or_insert((line, 0)),
                        (line, 1),
                    );
                    format!("{NAME_KEY}{name}")
                }
            };
            vals[ci] = Some(Cow::Owned(code));
        }
        // Indicator names that carry their unit, as NBS exports do: "…(100 million yuan)".
        if let Some(uc) = plan.unit_ci
            && vals[uc].is_none()
            && let Some(ni) = plan.indicator_name_ci
            && let Some(name) = vals[ni].clone()
        {
            let h = super::header::normalize_header(&name);
            if let Some(p) = h.unit_pow {
                let open = name.rfind(['(', '（']).unwrap_or(name.len());
                vals[ni] = Some(Cow::Owned(name[..open].trim().to_string()));
                vals[uc] = Some(Cow::Borrowed(match p {
                    0 => "元",
                    4 => "万元",
                    8 => "亿元",
                    _ => "",
                }));
            }
        }
    }

    /// Appends a row's values to the columns, each checked against its type (a bad value is
    /// an error naming the row and column, and a null); the period a date column gives, and
    /// whether the row is free of errors.
    fn typed(
        &mut self,
        vi: usize,
        line: usize,
        vals: &[Option<Cow<'_, str>>],
    ) -> (Option<PeriodKey>, bool) {
        let plan = self.plan;
        let src = &plan.sources[vi];
        let mut row_period = None;
        let mut row_ok = true;
        for (ci, col) in plan.ds.columns.iter().enumerate() {
            let raw = vals[ci].as_deref();
            // A missing value is never also a bad one: at most one error per cell.
            let missing = col.required
                && raw.is_none()
                && Some(ci) != plan.year_ci
                && Some(ci) != plan.month_ci;
            let problem = match self.cell(ci, line, raw, src[ci]) {
                Ok(Some(d)) if Some(ci) == plan.period_from_ci => {
                    row_period = period_key(plan.ds.grain, d.year(), Some(d.month()));
                    None
                }
                Ok(_) if missing => Some(("a value", "required value is empty")),
                Ok(_) => None,
                Err(problem) => Some(problem),
            };
            if let Some((expected, reason)) = problem {
                row_ok = false;
                self.bad(line, ci, src[ci], raw, expected, reason);
            }
        }
        (row_period, row_ok)
    }

    /// An error for a cell: its row, its column (canonical and as headed), what it holds, what
    /// was expected and why.
    #[cold]
    fn bad(
        &mut self,
        line: usize,
        ci: usize,
        src: Option<&Mapped>,
        raw: Option<&str>,
        expected: &str,
        reason: &str,
    ) {
        let header = src.map(|x| x.header.as_str()).unwrap_or("(implicit)");
        self.issues.push(Issue {
            severity: Severity::Error,
            row: Some(line),
            column: format!("{} ({})", self.plan.ds.columns[ci].name, header),
            value: raw.unwrap_or("").to_string(),
            expected: expected.to_string(),
            reason: reason.to_string(),
        });
    }

    /// Appends one value to column `ci` (a null when it is bad): the date it holds, if a date;
    /// or what was expected and why the value is not that.
    #[inline]
    fn cell(
        &mut self,
        ci: usize,
        line: usize,
        raw: Option<&str>,
        src: Option<&Mapped>,
    ) -> Result<Option<NaiveDate>, (&'static str, &'static str)> {
        let plan = self.plan;
        let col = &plan.ds.columns[ci];
        match (&mut self.bufs[ci], raw) {
            (Buf::Text(v), raw) => {
                v.append_option(raw);
                if let (Some(r), ColType::Code) = (raw, col.ty) {
                    if r.starts_with(NAME_KEY) {
                        // Keyed by its name (above): no code to check.
                    } else if let Some(exp) = col.shape.check(r) {
                        return Err((exp, "code has the wrong shape"));
                    } else if plan.lists[ci].as_ref().is_some_and(|l| !l.contains(r)) {
                        self.unknown
                            .entry((ci, r.to_string()))
                            .or_insert((line, 0))
                            .1 += 1;
                    }
                }
                Ok(None)
            }
            (Buf::Dec(v), None) => {
                v.push(None);
                Ok(None)
            }
            (Buf::Dec(v), Some(r)) => {
                let (scale, unit) = if col.ty == ColType::Money {
                    (
                        MONEY_SCALE,
                        src.and_then(|x| x.unit_pow).unwrap_or(plan.file_unit),
                    )
                } else {
                    (NUMBER_SCALE, 0)
                };
                let parsed = match parse_decimal(r) {
                    Ok(Some(d)) if d.percent && col.ty == ColType::Money => {
                        Err(("an amount", "a percentage where an amount belongs"))
                    }
                    Ok(d) => match d.map(|d| d.rescale(scale, unit)) {
                        Some(None) => Err(("a number below 10^16", "number too large")),
                        other => Ok(other.flatten()),
                    },
                    Err(why) => Err(("a number such as 1,234.56", why)),
                };
                v.push(parsed.unwrap_or(None));
                parsed.map(|_| None)
            }
            (Buf::Int(v), raw) => {
                let parsed = raw.map(parse_int).transpose();
                v.push(parsed.unwrap_or(None).flatten());
                parsed.map(|_| None).map_err(|why| ("a whole number", why))
            }
            (Buf::Date(v), raw) => {
                let parsed = raw.map(parse_date).transpose();
                let d = parsed.unwrap_or(None).flatten();
                v.push(d.map(days));
                parsed
                    .map(|_| d)
                    .map_err(|why| ("a date such as 2025-10-31", why))
            }
            (Buf::Bool(v), raw) => {
                let parsed = raw.map(parse_bool).transpose();
                v.push(parsed.unwrap_or(None).flatten());
                parsed.map(|_| None).map_err(|why| ("是/否", why))
            }
        }
    }

    /// The row's period: a date column, else year + month columns, else the header's label,
    /// else the file's; implicit year and month follow it; a row with none is an error.
    fn period(
        &mut self,
        vi: usize,
        label: PeriodLabel,
        line: usize,
        mut row_period: Option<PeriodKey>,
        row_ok: bool,
    ) {
        let plan = self.plan;
        let (ds, ctx, src) = (plan.ds, plan.ctx, &plan.sources[vi]);
        let last_int = |c: Option<usize>| match c.map(|c| &self.bufs[c]) {
            Some(Buf::Int(v)) => v.last().copied().flatten(),
            _ => None,
        };
        if row_period.is_none() && plan.period_from_ci.is_none_or(|c| src[c].is_none()) {
            let (y, mo) = (last_int(plan.year_ci), last_int(plan.month_ci));
            let given = src[plan.year_ci.unwrap_or(0)].is_some()
                || src[plan.month_ci.unwrap_or(0)].is_some();
            let from_cols = match (y, mo, given) {
                (Some(y), mo, true) => period_key(ds.grain, y, mo.map(|m| m as u32)),
                _ => None,
            };
            let from_label = label.and_then(|(y, mo)| {
                let y = y.or(ctx.period.map(|p| p.0))?;
                period_key(ds.grain, y, mo.or(ctx.period.and_then(|p| p.1)))
            });
            row_period = from_cols
                .or(from_label)
                .or_else(|| ctx.period.and_then(|(y, mo)| period_key(ds.grain, y, mo)));
        }
        if let Some((y, mo)) = row_period {
            // Implicit year/month follow the row's period.
            for (ci, val) in [
                (plan.year_ci, Some(y)),
                (plan.month_ci, mo.map(|m| m as i32)),
            ] {
                if let Some(ci) = ci
                    && let Buf::Int(v) = &mut self.bufs[ci]
                    && let Some(last) = v.last_mut()
                    && last.is_none()
                {
                    *last = val;
                }
            }
        } else if row_ok {
            self.issues.push(Issue {
                severity: Severity::Error,
                row: Some(line),
                column: ds.period_from.clone().unwrap_or_else(|| "period".into()),
                value: String::new(),
                expected: "a period: a date, year + month columns, a title such as 2025年1-10月, or --period".into(),
                reason: "no period for this row".into(),
            });
        }
        let keys = &mut self.period_keys;
        self.periods
            .push(row_period.map(|p| match keys.iter().position(|q| *q == p) {
                Some(i) => i as u32,
                None => {
                    keys.push(p);
                    (keys.len() - 1) as u32
                }
            }));
    }
}

/// What the merge of a sheet's parts gathered, before the sheet's warnings.
struct Merged {
    scopes: BTreeMap<String, BTreeSet<String>>,
    issues: Vec<Issue>,
    rows_read: usize,
    totals_skipped: usize,
    unknown: BTreeMap<(usize, String), (usize, usize)>,
    named: (usize, usize),
    regions: BTreeMap<String, (usize, usize)>,
}

impl From<Merged> for Built {
    fn from(m: Merged) -> Built {
        Built {
            scopes: m.scopes,
            issues: m.issues,
            rows_read: m.rows_read,
            totals_skipped: m.totals_skipped,
        }
    }
}

/// Gathered parts: columns, each row's period and source row.
type Gathered = (Vec<ArrayRef>, Vec<Option<u32>>, Vec<i32>);

/// The parts of a sheet merged in the sheet's order: each part's rows go to the sink as soon
/// as the parts before it have. A code hierarchy is checked over the whole sheet, and 累计
/// against last month's per period: such a sheet's parts are gathered first, and the sink
/// has each period in one batch.
struct Merge<'s, 'k, 'd> {
    ds: &'d Dataset,
    load_id: i64,
    sink: &'s mut Sink<'k>,
    stream: bool,
    scope_cols: Vec<(usize, &'d str)>,
    period_names: Vec<String>,
    gathered: Vec<Gathered>,
    merged: Merged,
}

impl<'s, 'k, 'd> Merge<'s, 'k, 'd> {
    fn new(ds: &'d Dataset, load_id: i64, sink: &'s mut Sink<'k>) -> Self {
        Merge {
            ds,
            load_id,
            sink,
            stream: ds.hierarchy.is_none() && ds.continuity_key.is_empty(),
            scope_cols: ds
                .scope
                .iter()
                .filter_map(|s| ds.column_index(s).map(|i| (i, s.as_str())))
                .collect(),
            period_names: Vec::new(),
            gathered: Vec::new(),
            merged: Merged {
                scopes: BTreeMap::new(),
                issues: Vec::new(),
                rows_read: 0,
                totals_skipped: 0,
                unknown: BTreeMap::new(),
                named: (0, 0),
                regions: BTreeMap::new(),
            },
        }
    }

    /// Takes the next part in order; false when a note ended the table in it (rows after it
    /// are not data).
    fn take(&mut self, p: Partial) -> Result<bool, String> {
        let remap: Vec<u32> = p
            .period_names
            .into_iter()
            .map(
                |name| match self.period_names.iter().position(|q| *q == name) {
                    Some(i) => i as u32,
                    None => {
                        self.period_names.push(name);
                        (self.period_names.len() - 1) as u32
                    }
                },
            )
            .collect();
        let periods: Vec<Option<u32>> = p
            .periods
            .iter()
            .map(|q| q.map(|i| remap[i as usize]))
            .collect();
        let m = &mut self.merged;
        for (k, c) in p.unknown {
            add_count(m.unknown.entry(k).or_insert((c.0, 0)), c);
        }
        add_count(&mut m.named, p.named);
        for (k, c) in p.regions {
            add_count(m.regions.entry(k).or_insert((c.0, 0)), c);
        }
        m.rows_read += p.rows_read;
        m.totals_skipped += p.totals_skipped;
        if self.stream {
            let errors = error_rows(&p.issues);
            let batch = self.batch(p.arrays, p.source_rows)?;
            self.emit(batch, &periods, &errors)?;
        } else {
            self.gathered.push((p.arrays, periods, p.source_rows));
        }
        self.merged.issues.extend(p.issues);
        Ok(!p.ended)
    }

    /// Hands a gathered sheet to the sink (its hierarchy checked first); what was merged.
    fn finish(mut self, file_unit: u32) -> Result<Merged, String> {
        if self.stream || self.gathered.is_empty() {
            return Ok(self.merged);
        }
        let ds = self.ds;
        let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::new(); ds.columns.len()];
        let (mut periods, mut source_rows) = (Vec::new(), Vec::new());
        for (arrays, p, rows) in std::mem::take(&mut self.gathered) {
            for (c, a) in columns.iter_mut().zip(arrays) {
                c.push(a);
            }
            periods.extend(p);
            source_rows.extend(rows);
        }
        let mut arrays = join_parts(columns)?;
        if ds.hierarchy.is_some() {
            let detail = super::validate::hierarchy(
                ds,
                &arrays,
                &period_of(&periods, &self.period_names),
                &source_rows,
                file_unit,
                &mut self.merged.issues,
            );
            arrays.push(Arc::new(detail));
        }
        let errors = error_rows(&self.merged.issues);
        let batch = self.batch(arrays, source_rows)?;
        self.emit(batch, &periods, &errors)?;
        Ok(self.merged)
    }

    /// The file's columns with the load id and each row's source row.
    fn batch(
        &self,
        mut arrays: Vec<ArrayRef>,
        source_rows: Vec<i32>,
    ) -> Result<RecordBatch, String> {
        arrays.push(Arc::new(Int64Array::from(vec![
            self.load_id;
            source_rows.len()
        ])));
        arrays.push(Arc::new(Int32Array::from(source_rows)));
        RecordBatch::try_new(self.ds.file_schema(), arrays).map_err(|e| format!("internal: {e}"))
    }

    /// Hands a batch's rows to the sink, period by period.
    fn emit(
        &mut self,
        batch: RecordBatch,
        periods: &[Option<u32>],
        errors: &HashSet<usize>,
    ) -> Result<(), String> {
        let mut present: Vec<u32> = periods.iter().flatten().copied().collect();
        present.sort_unstable();
        present.dedup();
        for i in present {
            // The usual monthly file: every row in one period: the batch as it is, no copy.
            let part = if periods.iter().all(|q| *q == Some(i)) {
                batch.clone()
            } else {
                let mask: BooleanArray = periods.iter().map(|q| Some(*q == Some(i))).collect();
                filter_record_batch(&batch, &mask).map_err(|e| format!("internal: {e}"))?
            };
            let name = &self.period_names[i as usize];
            scope_keys(
                &part,
                &self.scope_cols,
                self.merged.scopes.entry(name.clone()).or_default(),
            );
            (self.sink)(name, part, errors)?;
        }
        Ok(())
    }
}

/// The source rows with an error among `issues`.
fn error_rows(issues: &[Issue]) -> HashSet<usize> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .filter_map(|i| i.row)
        .collect()
}
