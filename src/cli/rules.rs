//! `purse rules`: The rule catalog: id, title, category, datasets, severity, parameters, how often fired.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long = "rules")]
    pub rules_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// The pack as a Markdown table (finding kind, basis, cadence, months, datasets per rule),
    /// as the README shows it.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        rules_dir,
        json,
        markdown,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let (_, set) = load_rules(&dir, rules_dir.as_deref())?;
    let fired = if dir.join("purse.db").exists() {
        purse::alerts::AlertStore::open(&dir)?.counts_by_rule()?
    } else {
        Default::default()
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&set.rules)?);
        return Ok(ExitCode::SUCCESS);
    }
    if markdown {
        print!("{}", purse::rules::markdown_table(&set.rules));
        return Ok(ExitCode::SUCCESS);
    }
    for r in &set.rules {
        let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "{:<30} {:<4} {:<5} {:<28} {:>4} fired  {}{}  [{}]  {}",
            r.id,
            r.category,
            r.fixed_level.as_deref().unwrap_or("分级"),
            r.datasets.join(","),
            fired.get(&r.id).copied().unwrap_or(0),
            r.title_zh,
            if r.enabled { "" } else { " (disabled)" },
            params.join(", "),
            r.title_en
        );
    }
    Ok(ExitCode::SUCCESS)
}
