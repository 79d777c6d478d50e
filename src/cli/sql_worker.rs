//! `purse sql-worker`: The SQL console's worker (started by the server, one per query; not for people).

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long)]
    pub max_rows: usize,
    #[arg(long)]
    pub timeout_secs: u64,
    #[arg(long)]
    pub memory_mib: usize,
    /// The user's reach as JSON (`{"regions": [..], "departments": [..]}`); absent: everything
    #[arg(long)]
    pub reach: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        max_rows,
        timeout_secs,
        memory_mib,
        reach,
    } = args;
    let reach: purse::users::Reach = match reach {
        Some(j) => serde_json::from_str(&j).context("--reach")?,
        None => Default::default(),
    };
    let dir = resolve_data_dir(dd.data_dir);
    let (_, catalog) = catalog_for(&dir)?;
    let limits = purse::console::Limits {
        max_rows,
        timeout: std::time::Duration::from_secs(timeout_secs),
        memory_bytes: memory_mib << 20,
    };
    let code = purse::console::worker_main(&dir, &catalog, &limits, &reach);
    Ok(ExitCode::from(code as u8))
}
