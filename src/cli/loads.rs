//! `purse loads`: The load manifest: every file accepted or rejected, newest first.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dd, limit, json } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let wh = Warehouse::open_read(&dir)?;
    let loads = wh.loads(limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&loads)?);
    } else {
        for l in loads {
            println!(
                "#{:<5} {:<9} {:<16} {:>8} rows {:>4} err {:>4} warn  {}{}  {}{}",
                l.id,
                l.status,
                l.dataset.unwrap_or_default(),
                l.rows,
                l.errors,
                l.warnings,
                l.file,
                l.sheet.map(|s| format!("#{s}")).unwrap_or_default(),
                l.message.unwrap_or_default(),
                l.report
                    .map(|r| format!(" [report: {r}]"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
