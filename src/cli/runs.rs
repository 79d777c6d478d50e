//! `purse runs`: Past `purse check` runs: period, rules run, findings by level, new and resolved, time.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long, default_value_t = 24)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dd, limit, json } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let runs = purse::alerts::AlertStore::open(&dir)?.runs(limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(ExitCode::SUCCESS);
    }
    let store = purse::alerts::AlertStore::open(&dir)?;
    for r in runs {
        let levels: Vec<String> = purse::common::level::LEVELS
            .iter()
            .filter_map(|l| r.by_level.get(*l).map(|n| format!("{l} {n}")))
            .collect();
        println!(
            "run #{:<4} {} {:>3} rules {:>5} findings ({}) {:>4} new {:>4} resolved {:>6} ms  {}",
            r.id,
            r.period,
            r.rules_run,
            r.findings,
            levels.join(", "),
            r.new_alerts,
            r.resolved,
            r.duration_ms,
            r.started_at
        );
        if r.not_evaluated > 0 {
            for o in store.run_outcomes(r.id)?.iter().filter(|o| !o.evaluated) {
                println!(
                    "           not evaluated: {} ({})",
                    o.rule_id,
                    o.reason.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
