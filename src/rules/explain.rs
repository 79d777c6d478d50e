//! "Why this alert": the source rows behind a finding, each with the file, sheet and row it came
//! from. A rule returns aggregates; its `-- key:` columns say which slice of each dataset it
//! judged, so the rows behind a finding are that dataset's rows in the finding's period (or the
//! period its data stood from: `data_period`, `ledger_period`) whose key columns match.

use crate::common::Period;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::datasets::Catalog;
use crate::engine::{PERIOD, read_only};
use crate::error::Result;
use crate::rules::Rule;

/// Most rows shown per dataset: an analyst reads them, a script uses the console.
pub const MAX_ROWS: usize = 200;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL that selects the rows behind a finding from one dataset, with lineage.
pub fn source_sql(
    catalog: &Catalog,
    rule: &Rule,
    dataset: &str,
    evidence: &std::collections::BTreeMap<String, String>,
    period: Period,
) -> Result<String> {
    let ds = catalog.get(dataset)?;
    // The period of the rows the finding rests on, as the warehouse names it.
    let data_period = ["data_period", "ledger_period"]
        .iter()
        .find_map(|c| evidence.get(*c).filter(|v| !v.is_empty()))
        .cloned()
        .unwrap_or_else(|| period.to_string());
    let mut conds = vec![format!("d.{PERIOD} = {}", quote(&data_period))];
    for k in &rule.key {
        if ds.column(k).is_none() {
            continue;
        }
        if let Some(v) = evidence.get(k) {
            conds.push(format!(
                "coalesce(CAST(d.\"{k}\" AS VARCHAR), '') = {}",
                quote(v)
            ));
        }
    }
    let cols: Vec<String> = ds
        .columns
        .iter()
        .map(|c| format!("d.\"{}\"", c.name))
        .collect();
    Ok(format!(
        "SELECT l.file, l.sheet, d.source_row, d.load_id, d.{PERIOD}, {} FROM \"{dataset}\" d \
         LEFT JOIN purse_loads l ON l.load_id = d.load_id WHERE {} ORDER BY l.file, d.source_row LIMIT {MAX_ROWS}",
        cols.join(", "),
        conds.join(" AND ")
    ))
}

/// The rows behind a finding, per dataset the rule reads: (dataset, rows).
pub async fn source_rows(
    ctx: &SessionContext,
    catalog: &Catalog,
    rule: &Rule,
    evidence: &std::collections::BTreeMap<String, String>,
    period: Period,
) -> Result<Vec<(String, Vec<RecordBatch>)>> {
    if ctx.table_exist("purse_loads")? {
        let mut out = Vec::new();
        for d in &rule.datasets {
            let sql = source_sql(catalog, rule, d, evidence, period)?;
            let batches = ctx
                .sql_with_options(&sql, read_only())
                .await?
                .collect()
                .await?;
            out.push((d.clone(), batches));
        }
        Ok(out)
    } else {
        Ok(vec![])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_behind_a_finding_follow_its_key_and_data_period() {
        let catalog = Catalog::builtin();
        let rules = crate::rules::RuleSet::builtin(&catalog, &Default::default()).unwrap();
        let rule = rules.get("debt_limit").unwrap();
        let ev = [
            ("region_code", "990122"),
            ("debt_type", "专项债务"),
            ("data_period", "2024-12"),
            ("value", "1.00"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sql = source_sql(&catalog, rule, "debt", &ev, "2025-03".parse().unwrap()).unwrap();
        assert!(sql.contains("d.period = '2024-12'"), "{sql}");
        assert!(
            sql.contains("CAST(d.\"region_code\" AS VARCHAR), '') = '990122'"),
            "{sql}"
        );
        assert!(sql.contains("= '专项债务'"), "{sql}");
        assert!(
            !sql.contains("'1.00'"),
            "evidence beyond the key does not filter: {sql}"
        );
    }
}
