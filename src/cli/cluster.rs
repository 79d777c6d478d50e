//! `purse scheduler` and `purse executor`: a Ballista cluster for `--engine ballista://…`
//! (a build with `--features ballista`).

use super::*;

#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// Address to listen on (the clients' `--engine ballista://HOST:PORT`)
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
}

#[derive(clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler, HOST:PORT
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Address to listen on for data (Arrow Flight); advertised to the scheduler
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub bind: std::net::SocketAddr,
    /// Port for the scheduler's task calls
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Folder for shuffle files (default: a temporary folder)
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once (default: the machine's cores)
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
}

/// Plans arrive as nested protobuf, decoded and walked recursively: deeper stacks than tokio's
/// default 2 MiB.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()?)
}

pub fn scheduler(args: SchedulerArgs) -> Result<ExitCode> {
    let rt = runtime()?;
    eprintln!(
        "purse: Ballista scheduler on {} (clients: --engine ballista://{})",
        args.bind, args.bind
    );
    rt.block_on(purse::cluster::scheduler(args.bind))?;
    Ok(ExitCode::SUCCESS)
}

pub fn executor(args: ExecutorArgs) -> Result<ExitCode> {
    let (host, port) = args
        .scheduler
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .with_context(|| format!("--scheduler {}: expected HOST:PORT", args.scheduler))?;
    let rt = runtime()?;
    eprintln!(
        "purse: Ballista executor on {} for the scheduler at {host}:{port}",
        args.bind
    );
    rt.block_on(purse::cluster::executor(purse::cluster::ExecutorOptions {
        bind: args.bind,
        grpc_port: args.grpc_port,
        scheduler_host: host,
        scheduler_port: port,
        work_dir: args.work_dir,
        concurrent_tasks: args.concurrent_tasks,
    }))?;
    Ok(ExitCode::SUCCESS)
}
