//! Scale-out on Apache DataFusion Ballista: `purse scheduler` and `purse executor` start
//! Ballista's own scheduler and executor (its library crates, not a home-made engine), and
//! `--engine ballista://HOST:PORT` makes every session of a purse process a Ballista client
//! (`engine::new_context`). purse registers no functions of its own and its tables are plain
//! hive-partitioned Parquet (plus small in-memory tables carried inside the plan), so an
//! executor needs nothing from purse but the warehouse path, readable at the same place.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::error::{PurseError, Result};

/// An executor: where it listens, which scheduler it serves, where it spills shuffle files.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Address the executor binds (its Flight port) and advertises.
    pub bind: SocketAddr,
    /// Its gRPC port (the scheduler pushes tasks there).
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Shuffle files; a temporary folder when `None`.
    pub work_dir: Option<PathBuf>,
    /// Tasks at once (default: the machine's cores).
    pub concurrent_tasks: Option<usize>,
}

#[cfg(feature = "ballista")]
fn ballista_error(what: &str, e: impl std::fmt::Display) -> PurseError {
    PurseError::Invalid(format!("Ballista {what}: {e}"))
}

/// Runs a Ballista scheduler on `bind` until the process ends.
#[cfg(feature = "ballista")]
pub async fn scheduler(bind: SocketAddr) -> Result<()> {
    use std::sync::Arc;

    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| ballista_error("scheduler", e))?;
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(|e| ballista_error("scheduler", e))
}

/// Runs a Ballista executor until the process ends.
#[cfg(feature = "ballista")]
pub async fn executor(o: ExecutorOptions) -> Result<()> {
    use std::sync::Arc;

    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let work_dir = match &o.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| PurseError::io(d, e))?;
            Some(d.display().to_string())
        }
        None => None,
    };
    let mut config = ExecutorProcessConfig {
        bind_host: o.bind.ip().to_string(),
        external_host: Some(o.bind.ip().to_string()),
        port: o.bind.port(),
        grpc_port: o.grpc_port,
        scheduler_host: o.scheduler_host.clone(),
        scheduler_port: o.scheduler_port,
        work_dir,
        ..Default::default()
    };
    if let Some(n) = o.concurrent_tasks {
        config.vcores = n.max(1);
    }
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| ballista_error("executor", e))
}

#[cfg(not(feature = "ballista"))]
fn not_built() -> PurseError {
    PurseError::Invalid(
        "this purse was built without Ballista; build it with `cargo build --release --features ballista`"
            .into(),
    )
}

#[cfg(not(feature = "ballista"))]
pub async fn scheduler(_bind: SocketAddr) -> Result<()> {
    Err(not_built())
}

#[cfg(not(feature = "ballista"))]
pub async fn executor(_o: ExecutorOptions) -> Result<()> {
    Err(not_built())
}
