//! `purse datasets`: What is loaded: dataset, periods, rows, sources.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dd, json } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let wh = Warehouse::open_read(&dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&wh.summary()?)?);
    } else {
        print_datasets(&wh)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_datasets(wh: &Warehouse) -> Result<()> {
    println!(
        "{:<18} {:>10}  {:<30} sources",
        "dataset", "rows", "periods"
    );
    for d in wh.summary()? {
        let mut sources = d.sources.clone();
        let more = sources.len().saturating_sub(3);
        sources.truncate(3);
        let more = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        let periods = purse::ingest::summarize_periods(&d.periods);
        println!(
            "{:<18} {:>10}  {periods:<30} {}{more}",
            d.dataset,
            d.rows,
            sources.join(", ")
        );
    }
    Ok(())
}
