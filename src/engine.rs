//! One DataFusion `SessionContext` with every dataset registered over the warehouse's hive
//! partitions. Nothing here is process-local state a rule could depend on: the same
//! registration works on a Ballista context.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};

use crate::datasets::Catalog;
use crate::error::Result;
use crate::warehouse::{LiveParts, LoadRecord, Warehouse};

/// Name of the hive partition column every dataset has.
pub const PERIOD: &str = "period";

/// Where the SQL runs: DataFusion in this process (`local`, the default), or a Apache DataFusion
/// Ballista cluster (`ballista://HOST:PORT`, its scheduler) whose executors read the same
/// warehouse path. Chosen once per process (`--engine`, else `PURSE_ENGINE`), so every session
/// the process opens — figures, rules, reports, the console's workers — runs on the same engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EngineUrl {
    #[default]
    Local,
    Ballista {
        host: String,
        port: u16,
    },
}

impl std::str::FromStr for EngineUrl {
    type Err = crate::PurseError;
    fn from_str(s: &str) -> Result<EngineUrl> {
        let s = s.trim();
        if s.is_empty() || s == "local" {
            return Ok(EngineUrl::Local);
        }
        let bad = || {
            crate::PurseError::Invalid(format!(
                "engine `{s}`: expected `local` or `ballista://HOST:PORT` (the scheduler's address)"
            ))
        };
        let rest = s
            .strip_prefix("ballista://")
            .or_else(|| s.strip_prefix("df://"))
            .ok_or_else(bad)?;
        let (host, port) = rest
            .trim_end_matches('/')
            .rsplit_once(':')
            .ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(EngineUrl::Ballista {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for EngineUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineUrl::Local => f.write_str("local"),
            EngineUrl::Ballista { host, port } => write!(f, "ballista://{host}:{port}"),
        }
    }
}

static ENGINE: std::sync::OnceLock<EngineUrl> = std::sync::OnceLock::new();

/// Chooses this process's engine (the CLI's `--engine`), before any session is opened.
pub fn set_engine(e: EngineUrl) -> Result<()> {
    let want = e.clone();
    let got = ENGINE.get_or_init(|| e);
    if *got != want {
        return Err(crate::PurseError::Invalid(format!(
            "the engine is already {got}; it is chosen once, at start"
        )));
    }
    Ok(())
}

/// This process's engine: as set, else `PURSE_ENGINE`, else local.
pub fn engine() -> &'static EngineUrl {
    ENGINE.get_or_init(|| {
        std::env::var("PURSE_ENGINE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    })
}

/// A session on the process's engine: a plain DataFusion context, or a Ballista client context
/// whose plans the scheduler distributes (same registration, same SQL).
pub async fn new_context(config: SessionConfig) -> Result<SessionContext> {
    new_context_on(engine(), config).await
}

/// [`new_context`] on a given engine (a test comparing engines in one process).
pub async fn new_context_on(engine: &EngineUrl, config: SessionConfig) -> Result<SessionContext> {
    match engine {
        EngineUrl::Local => Ok(SessionContext::new_with_config(config)),
        EngineUrl::Ballista { host, port } => remote_context(host, *port, config).await,
    }
}

#[cfg(feature = "ballista")]
async fn remote_context(host: &str, port: u16, config: SessionConfig) -> Result<SessionContext> {
    use ballista::prelude::{SessionConfigExt, SessionContextExt};
    use datafusion::execution::SessionStateBuilder;
    // The client connects lazily, at the first query; a scheduler that is not there is said
    // here, by name, rather than as a transport error from inside the first rule.
    let addr = format!("{host}:{port}");
    let probe = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::net::ToSocketAddrs;
        let mut last = std::io::Error::other("the name resolves to no address");
        for a in addr.to_socket_addrs()? {
            match std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(5)) {
                Ok(_) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    })
    .await
    .map_err(|e| crate::PurseError::Invalid(format!("probing the scheduler: {e}")))?;
    if let Err(e) = probe {
        return Err(crate::PurseError::Invalid(format!(
            "the Ballista scheduler at {host}:{port} does not answer ({e}): start it with \
             `purse scheduler --bind {host}:{port}`, or check --engine"
        )));
    }
    let mut ballista_config = SessionConfig::new_with_ballista()
        .with_information_schema(true)
        .with_target_partitions(config.target_partitions());
    // The static distributed planner: Ballista 55's adaptive planner (on by default) kept its
    // scheduler spinning on our rule pack (seen on loopback, 1 scheduler + 2 executors).
    ballista_config = ballista_config
        .with_ballista_job_name("purse")
        .with_ballista_adaptive_query_planner(false);
    let state = SessionStateBuilder::new()
        .with_config(ballista_config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(&format!("df://{host}:{port}"), state)
        .await
        .map_err(|e| {
            crate::PurseError::Invalid(format!(
                "the Ballista scheduler at {host}:{port} cannot be reached: {e}"
            ))
        })
}

#[cfg(not(feature = "ballista"))]
async fn remote_context(host: &str, port: u16, _: SessionConfig) -> Result<SessionContext> {
    Err(crate::PurseError::Invalid(format!(
        "engine ballista://{host}:{port}: this purse was built without Ballista; build it with \
         `cargo build --release --features ballista`"
    )))
}

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
        let file_schema = query_schema(&ds.file_schema());
        if has_parquet(&dir) {
            let url = format!("{}/", dir.display());
            let opts = ParquetReadOptions::default()
                .table_partition_cols(vec![(PERIOD.to_string(), DataType::Utf8)])
                .schema(&file_schema);
            ctx.register_parquet(&ds.name, &url, opts).await?;
        } else {
            register_empty(ctx, ds)?;
        }
    }
    Ok(())
}

/// The Parquet file schema as queries read it: text as `Utf8View`, so a string read from a
/// column chunk's dictionary is a view into it rather than a copy of its bytes, and group-by
/// keys, join keys and filters compare views (a fifth of the rule pack's time was copying
/// strings out of dictionaries and between batches).
pub fn query_schema(file: &Schema) -> Arc<Schema> {
    let fields: Vec<Field> = file
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A dataset as queries see it: the Parquet file schema (text as views) plus the `period`
/// partition column.
pub fn table_schema(ds: &crate::datasets::Dataset) -> Arc<Schema> {
    let mut fields: Vec<Field> = query_schema(&ds.file_schema())
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(PERIOD, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// An empty table with the dataset's canonical schema and the `period` column.
fn register_empty(ctx: &SessionContext, ds: &crate::datasets::Dataset) -> Result<()> {
    let table = MemTable::try_new(table_schema(ds), vec![vec![]])?;
    ctx.register_table(&ds.name, Arc::new(table))?;
    Ok(())
}

/// The engine over a data directory. DataFusion settings can be tuned per deployment through
/// `DATAFUSION_*` environment variables (e.g. `DATAFUSION_EXECUTION_TARGET_PARTITIONS=4`).
pub async fn session(data_dir: &Path, catalog: &Catalog) -> Result<SessionContext> {
    Ok(session_and_parts(data_dir, catalog).await?.0)
}

/// The manifest of a data directory, once it has one.
fn open_manifest(data_dir: &Path) -> Result<Option<Warehouse>> {
    if data_dir.join("purse.db").exists() {
        Ok(Some(Warehouse::open_read(data_dir)?))
    } else {
        Ok(None)
    }
}

/// [`session`], and the manifest's live parts when there is a manifest: one look at it serves
/// the lineage table and a check's coverage.
pub async fn session_and_parts(
    data_dir: &Path,
    catalog: &Catalog,
) -> Result<(SessionContext, Option<LiveParts>)> {
    session_and_parts_on(engine(), data_dir, catalog).await
}

/// [`session_and_parts`] on a given engine.
pub async fn session_and_parts_on(
    engine: &EngineUrl,
    data_dir: &Path,
    catalog: &Catalog,
) -> Result<(SessionContext, Option<LiveParts>)> {
    let config = SessionConfig::from_env()?.with_information_schema(true);
    let ctx = new_context_on(engine, config).await?;
    let parts = register_warehouse(&ctx, data_dir, catalog).await?;
    Ok((ctx, parts))
}

/// Every dataset and, once the directory has a manifest, `purse_loads` (lineage): what any
/// session over a data directory sees, whatever its runtime. Returns the manifest's live parts
/// (what a check reads its coverage from).
pub async fn register_warehouse(
    ctx: &SessionContext,
    data_dir: &Path,
    catalog: &Catalog,
) -> Result<Option<LiveParts>> {
    // The manifest is SQLite: read on the blocking pool, not on this async thread.
    let dir = data_dir.to_path_buf();
    let manifest = crate::db::blocking(move || match open_manifest(&dir)? {
        Some(wh) => {
            Ok::<_, crate::PurseError>(Some((wh.loads(usize::MAX >> 1)?, wh.live_parts()?)))
        }
        None => Ok(None),
    })
    .await?;
    let parts = match manifest {
        Some((loads, parts)) => {
            register_lineage(ctx, &loads)?;
            Some(parts)
        }
        None => None,
    };
    register_datasets(ctx, &data_dir.join("warehouse"), catalog).await?;
    Ok(parts)
}

/// `purse_loads`: the manifest as a table, so any row traces to its file and sheet with
/// `JOIN purse_loads USING (load_id)` (then `source_row` is the row in that file).
pub fn register_lineage(ctx: &SessionContext, loads: &[LoadRecord]) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("load_id", DataType::Int64, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("sheet", DataType::Utf8, true),
        Field::new("dataset", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("loaded_at", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(loads.iter().map(|l| l.id))),
            Arc::new(StringArray::from_iter_values(
                loads.iter().map(|l| l.file.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                loads.iter().map(|l| l.sheet.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                loads.iter().map(|l| l.dataset.as_deref()),
            )),
            Arc::new(StringArray::from_iter_values(
                loads.iter().map(|l| l.status.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                loads.iter().map(|l| l.started_at.as_str()),
            )),
        ],
    )?;
    ctx.register_table(
        "purse_loads",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
    )?;
    Ok(())
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

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn in_list(col: &str, values: &[String]) -> String {
    let v: Vec<String> = values.iter().map(|x| literal(x)).collect();
    format!("{col} IN ({})", v.join(", "))
}

/// Bounds a session to a user's reach: every dataset is replaced by a view of the rows inside
/// it, so whatever reads the session (figures, drill-down, the console, a report) sees only
/// those rows, by any SQL. The views hold the original tables themselves, not their names:
/// no query can name its way around them.
///
/// Regions bound rows by `region_code`. Departments bound rows by `dept_code` where a table
/// has one (a row without a code by its department's name); by `agency_code` where it has that
/// instead (a budget unit belongs to the department it is budgeted under in
/// `budget_execution`); by `dept_name` (the names `budget_execution` gives those codes) where
/// it has only a name. A table with no column to judge by is empty for a bounded user, never
/// whole. The lineage table (`purse_loads`, every file's
/// name) is empty too.
pub async fn restrict(
    ctx: &SessionContext,
    catalog: &Catalog,
    reach: &crate::users::Reach,
) -> Result<()> {
    if !reach.bounds_data() {
        return Ok(());
    }
    let mut views = Vec::new();
    for ds in &catalog.datasets {
        let has = |c: &str| ds.columns.iter().any(|x| x.name == c);
        let mut conds = Vec::new();
        if !reach.regions.is_empty() {
            conds.push(if has("region_code") {
                in_list("region_code", &reach.regions)
            } else {
                "false".to_string()
            });
        }
        if !reach.departments.is_empty() {
            let codes = in_list("dept_code", &reach.departments);
            let names = format!(
                "dept_name IN (SELECT DISTINCT dept_name FROM budget_execution WHERE {codes})"
            );
            conds.push(if has("dept_code") {
                // A row without a department code is judged by its department's name.
                if has("dept_name") {
                    format!("({codes} OR ((dept_code IS NULL OR dept_code = '') AND {names}))")
                } else {
                    codes
                }
            } else if has("agency_code") {
                format!(
                    "agency_code IN (SELECT DISTINCT agency_code FROM budget_execution WHERE {codes})"
                )
            } else if has("dept_name") {
                names
            } else {
                "false".to_string()
            });
        }
        let sql = format!("SELECT * FROM {} WHERE {}", ds.name, conds.join(" AND "));
        let df = ctx.sql(&sql).await?;
        views.push((ds.name.clone(), df.into_view()));
    }
    // Swapped only once every view is planned over the original tables.
    for (name, view) in views {
        ctx.deregister_table(name.as_str())?;
        ctx.register_table(name.as_str(), view)?;
    }
    if ctx.table_exist("purse_loads")? {
        let empty = ctx.sql("SELECT * FROM purse_loads WHERE false").await?;
        let view = empty.into_view();
        ctx.deregister_table("purse_loads")?;
        ctx.register_table("purse_loads", view)?;
    }
    Ok(())
}

#[cfg(test)]
mod engine_url_tests {
    use super::EngineUrl;

    #[test]
    fn engines_are_local_or_a_scheduler_address() {
        assert_eq!("local".parse::<EngineUrl>().unwrap(), EngineUrl::Local);
        assert_eq!("".parse::<EngineUrl>().unwrap(), EngineUrl::Local);
        let b = EngineUrl::Ballista {
            host: "10.0.0.5".into(),
            port: 50050,
        };
        assert_eq!("ballista://10.0.0.5:50050".parse::<EngineUrl>().unwrap(), b);
        assert_eq!("df://10.0.0.5:50050/".parse::<EngineUrl>().unwrap(), b);
        assert_eq!(b.to_string(), "ballista://10.0.0.5:50050");
        for bad in [
            "ballista://host",
            "ballista://:50050",
            "http://h:1",
            "ballista://h:99999",
        ] {
            let e = bad.parse::<EngineUrl>().unwrap_err().to_string();
            assert!(
                e.contains("expected `local` or `ballista://HOST:PORT`"),
                "{bad}: {e}"
            );
        }
    }
}
