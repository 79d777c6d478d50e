//! `purse query`: Run read-only SQL over the warehouse.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    pub sql: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dd, format, sql } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let (_, catalog) = catalog_for(&dir)?;
    // Refuses a directory with nothing loaded, with a message that says so.
    Warehouse::open_read(&dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let out = rt.block_on(async {
        let ctx = purse::engine::session(&dir, &catalog).await?;
        let batches = purse::engine::query(&ctx, &sql).await?;
        render(&batches, format)
    })?;
    println!("{}", out.trim_end());
    Ok(ExitCode::SUCCESS)
}
