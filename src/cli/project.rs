//! `purse project`: where the year will end at its pace (年终执行预测), and how well the method
//! did on the warehouse's held-back years.

use super::*;
use purse::foresight::{Grain, projection};
use purse::i18n::pct;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// Period YYYY-MM to project from (default: the latest with budget execution)
    #[arg(long)]
    pub period: Option<String>,
    /// What to project: region, budget_kind, dept, agency, function, special_fund
    #[arg(long, default_value = "dept")]
    pub grain: String,
    /// Only the backtest: each earlier year projected as the method would have then, month by
    /// month (errors in percentage points beside the even-pace and last-year baselines, and how
    /// often the band held the outcome)
    #[arg(long)]
    pub accuracy: bool,
    /// Rows shown, lowest projection first
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    let (_, catalog) = catalog_for(&dir)?;
    Warehouse::open_read(&dir)?;
    let grain = Grain::parse(&args.grain).with_context(|| {
        format!(
            "--grain {}: one of {}",
            args.grain,
            Grain::ALL.map(|g| g.as_str()).join(", ")
        )
    })?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let ctx = purse::engine::session(&dir, &catalog).await?;
        let period = period_or_latest(&ctx, args.period.as_deref()).await?;
        if args.accuracy {
            let acc = projection::accuracy(&ctx, period, &Grain::ALL).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&acc)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "Backtest of the year-end projection on the years before {} (up to {}): each projected as the method \
                 would have then, from its own earlier years. Errors in percentage points of the budget; the method is \
                 the mean share of up to {} earlier years; coverage: how often the year fell inside the {} % band \
                 calibrated on the other years (live cov: on the years before each alone).",
                period.year(),
                projection::CALIBRATION_YEARS,
                projection::HISTORY_YEARS,
                projection::COVERAGE
            );
            println!(
                "{:<14} {:>5} {:>6} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9}",
                "grain", "month", "n", "MAE pp", "RMSE pp", "even MAE", "last-year", "coverage", "live cov", "width pp"
            );
            for a in &acc {
                println!(
                    "{:<14} {:>5} {:>6} {:>9.2} {:>9.2} {:>10.2} {:>10.2} {:>8.1}% {:>8.1}% {:>9.2}{}",
                    a.grain.as_str(),
                    a.month,
                    a.n,
                    a.mae,
                    a.rmse,
                    a.mae_even,
                    a.mae_last_year,
                    a.coverage,
                    a.coverage_live,
                    a.width,
                    if a.month == 6 || a.month == 9 { "  ◀" } else { "" }
                );
            }
            if acc.is_empty() {
                println!("no entity has two complete earlier years: nothing to hold back");
            }
            return Ok(ExitCode::SUCCESS);
        }
        let mut ps = projection::project(&ctx, period, grain).await?;
        ps.sort_by(|a, b| a.rate.unwrap_or(f64::MAX).total_cmp(&b.rate.unwrap_or(f64::MAX)));
        if args.json {
            println!("{}", serde_json::to_string_pretty(&ps)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!("Year-end projection from {period} ({}), lowest first", grain.zh());
        for p in ps.iter().take(args.limit) {
            println!(
                "{:<8} {:<28} as of {}  now {:>7}  year-end {:>7} ({}–{})  {} ({} yr)",
                p.region_code,
                p.name,
                p.as_of,
                pct(p.rate_now),
                pct(p.rate),
                pct(p.low),
                pct(p.high),
                p.basis.zh(),
                p.years
            );
        }
        println!("{} projected", ps.len());
        Ok(ExitCode::SUCCESS)
    })
}
