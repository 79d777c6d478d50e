//! `purse check`: Run the rules for a period (or a range 2025-01..2025-12) and store the alerts.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long)]
    pub period: String,
    /// Only these rules (repeatable); default: every enabled rule
    #[arg(long = "rule")]
    pub rules: Vec<String>,
    /// Rule folder (default: DIR/queries if present, else the built-in pack)
    #[arg(long = "rules")]
    pub rules_dir: Option<PathBuf>,
    /// Print the findings without storing alerts
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        period,
        rules,
        rules_dir,
        dry_run,
        json,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let (catalog, set) = load_rules(&dir, rules_dir.as_deref())?;
    let selected = purse::check::select(&set, &rules)?;
    // Refuses a data directory with nothing loaded, and finishes an interrupted load.
    Warehouse::open_read(&dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let periods = periods(&period)?;
    let session = rt.block_on(purse::check::CheckSession::open(&dir, &catalog))?;
    rt.block_on(session.validate(&set))?;
    for p in periods {
        let res = rt.block_on(session.check(&dir, &selected, p, dry_run))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&res)?);
            continue;
        }
        if dry_run {
            for f in res.runs.iter().flat_map(|r| &r.findings) {
                println!(
                    "{p} {} {} {} — {}",
                    f.level, f.rule_id, f.alert_key, f.message_zh
                );
            }
        }
        for r in &res.runs {
            if let purse::rules::runner::Outcome::NotEvaluated(why) = &r.outcome {
                println!("{p} {}: not evaluated: {why}", r.rule_id);
            }
        }
        if let Some(s) = &res.summary {
            let levels: Vec<String> = purse::common::level::LEVELS
                .iter()
                .filter_map(|l| s.by_level.get(*l).map(|n| format!("{l} {n}")))
                .collect();
            println!(
                "{p}: {} rules ({} not evaluated), {} rows scanned, {} findings ({}); {} new, {} continuing, {} reopened, {} resolved by data, {} cleared awaiting 销号, {} left alone for want of data — run #{} in {} ms",
                s.rules_run,
                s.not_evaluated.len(),
                s.rows_scanned,
                s.findings,
                if levels.is_empty() {
                    "none".into()
                } else {
                    levels.join(", ")
                },
                s.new_alerts,
                s.continuing,
                s.reopened,
                s.resolved,
                s.cleared,
                s.held,
                s.run_id,
                s.duration_ms
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
