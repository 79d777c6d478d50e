//! `purse backtest`: a rule, with changed parameters, over past periods; nothing is written.

use super::*;
use purse::foresight::backtest;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// The rule's id
    #[arg(long)]
    pub rule: String,
    /// First period YYYY-MM
    #[arg(long)]
    pub from: String,
    /// Last period YYYY-MM
    #[arg(long)]
    pub to: String,
    /// A parameter's proposed value, e.g. --set yellow_pp=8 (repeatable)
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub sets: Vec<String>,
    /// Rules folder (default: DIR/queries if present, else the built-in pack)
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Findings listed per side (new / gone)
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    let (catalog, set) = load_rules(&dir, args.rules.as_deref())?;
    let rule = set
        .get(&args.rule)
        .with_context(|| format!("no rule `{}`", args.rule))?
        .clone();
    let sets = backtest::parse_sets(&args.sets)?;
    let periods = periods(&format!("{}..{}", args.from, args.to))?;
    Warehouse::open_read(&dir)?;
    let alerts = purse::alerts::AlertStore::open(&dir)?.list(&purse::alerts::Filter {
        rule: Some(rule.id.clone()),
        ..Default::default()
    })?;
    let rt = tokio::runtime::Runtime::new()?;
    let bt = rt.block_on(async {
        let ctx = purse::engine::session(&dir, &catalog).await?;
        backtest::run(&ctx, &rule, &sets, &periods, &alerts).await
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&bt)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "backtest of {} over {}..{} (no alert touched)",
        bt.rule_id, args.from, args.to
    );
    for (k, a, b) in &bt.changed {
        println!("  {k}: {a} → {b}");
    }
    println!("{:<8} {:>8} {:>9}", "period", "current", "proposed");
    for m in &bt.months {
        match &m.not_evaluated {
            Some(why) => println!("{:<8} not evaluated: {why}", m.period),
            None => println!("{:<8} {:>8} {:>9}", m.period, m.current, m.proposed),
        }
    }
    println!("by department (current → proposed):");
    for (d, a, b) in &bt.by_dept {
        println!("  {:<24} {a:>5} → {b}", if d.is_empty() { "—" } else { d });
    }
    for (what, v) in [("new", &bt.new), ("gone", &bt.gone)] {
        println!("{} findings {what} with the proposed parameters", v.len());
        for c in v.iter().take(args.limit) {
            println!("  {} {} {} {}", c.period, c.level, c.alert_key, c.message);
        }
    }
    let p = &bt.past;
    println!(
        "past alerts of the rule: {} closed (rectified), {} dismissed, {} resolved by data, {} open; precision {}",
        p.closed,
        p.dismissed,
        p.resolved,
        p.open,
        p.precision
            .map(|x| format!("{x:.0}%"))
            .unwrap_or_else(|| "— (nothing decided yet)".into())
    );
    Ok(ExitCode::SUCCESS)
}
