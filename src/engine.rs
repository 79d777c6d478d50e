//! One DataFusion `SessionContext` with every dataset registered over the warehouse's hive
//! partitions. Nothing here is process-local state a rule could depend on: the same
//! registration works on a Ballista context.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};

use crate::datasets::Catalog;
use crate::error::Result;

/// Name of the hive partition column every dataset has.
pub const PERIOD: &str = "period";

fn has_parquet(dir: &Path) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return false;
    };
    rd.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_parquet(&p)
        } else {
            p.extension().is_some_and(|x| x == "parquet")
        }
    })
}

/// Registers each dataset as a table named after it. An empty dataset is an empty table with
/// the canonical schema, so queries and rules plan the same whether or not data has arrived.
pub async fn register_datasets(
    ctx: &SessionContext,
    warehouse: &Path,
    catalog: &Catalog,
) -> Result<()> {
    for ds in &catalog.datasets {
        let dir = warehouse.join(&ds.name);
        let file_schema = ds.file_schema();
        if has_parquet(&dir) {
            let url = format!("{}/", dir.display());
            let opts = ParquetReadOptions::default()
                .table_partition_cols(vec![(PERIOD.to_string(), DataType::Utf8)])
                .schema(&file_schema);
            ctx.register_parquet(&ds.name, &url, opts).await?;
        } else {
            let mut fields: Vec<Field> = file_schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            fields.push(Field::new(PERIOD, DataType::Utf8, false));
            let schema = Arc::new(Schema::new(fields));
            let table = MemTable::try_new(schema, vec![vec![]])?;
            ctx.register_table(&ds.name, Arc::new(table))?;
        }
    }
    Ok(())
}

pub async fn session(data_dir: &Path, catalog: &Catalog) -> Result<SessionContext> {
    let config = SessionConfig::new().with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    register_datasets(&ctx, &data_dir.join("warehouse"), catalog).await?;
    Ok(ctx)
}

/// Read-only SQL: DDL, DML and statements are refused at planning time.
pub fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let df = ctx.sql_with_options(sql, read_only()).await?;
    Ok(df.collect().await?)
}
