//! `purse init`: Write DIR/purse.toml for a deployment: its region and every other setting, commented.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// 财政区划编码 of the deployment's own region, e.g. 330326
    #[arg(long)]
    pub region_code: String,
    /// Its name, e.g. 平阳县
    #[arg(long)]
    pub region_name: String,
    /// Replace an existing purse.toml
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        region_code,
        region_name,
        force,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let path = purse::config::write_init(&dir, &region_code, &region_name, force)?;
    println!(
        "wrote {} (region {region_code} {region_name}); edit it for aliases, rule parameters, the report and the web server",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
