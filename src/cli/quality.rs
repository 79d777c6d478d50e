//! `purse quality`: the data-quality scorecard per source (数据质量): timeliness, completeness,
//! reconciliation across datasets, rejected and corrected files, and a grade.

use super::*;
use purse::foresight::quality;
use purse::i18n::pct;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// The last period of the twelve months scored (default: the latest with budget execution)
    #[arg(long)]
    pub period: Option<String>,
    /// Each source's months too
    #[arg(long)]
    pub months: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    let (config, catalog) = catalog_for(&dir)?;
    let deliveries = quality::Deliveries::read(&Warehouse::open_read(&dir)?)?;
    let rt = tokio::runtime::Runtime::new()?;
    let card = rt.block_on(async {
        let ctx = purse::engine::session(&dir, &catalog).await?;
        let period = period_or_latest(&ctx, args.period.as_deref()).await?;
        let today = chrono::Local::now().date_naive();
        anyhow::Ok(
            quality::scorecard(&ctx, &catalog, &deliveries, &config.quality, period, today).await?,
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&card)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Data quality, twelve months to {} (due by day {} of the next month; timeliness graded from {})",
        card.period,
        card.due_day,
        card.graded_from.as_deref().unwrap_or("—")
    );
    println!(
        "{:<18} {:>5} {:>9} {:>9} {:>9} {:>9} {:>5} {:>9}",
        "source", "grade", "score", "on time", "complete", "reconcile", "files", "rejected"
    );
    for s in &card.sources {
        println!(
            "{:<18} {:>5} {:>9} {:>9} {:>9} {:>9} {:>5} {:>9}",
            s.dataset,
            s.grade.map(String::from).unwrap_or_else(|| "—".into()),
            pct(s.score),
            pct(s.timeliness),
            pct(s.completeness),
            pct(s.reconciliation),
            s.accepted_files,
            s.rejected_files
        );
        if args.months {
            for p in &s.periods {
                println!(
                    "    {} arrived {} due {} {} · {}/{} reporting{} · reconciled {}/{}{}",
                    p.period,
                    p.arrived.as_deref().unwrap_or("—"),
                    p.due,
                    match p.days_late {
                        Some(0) => "on time".to_string(),
                        Some(d) => format!("{d} days late"),
                        None => "not graded".to_string(),
                    },
                    p.reporting,
                    p.expected,
                    if p.missing.is_empty() {
                        String::new()
                    } else {
                        format!(" (missing {})", p.missing.join(", "))
                    },
                    p.agreeing,
                    p.compared,
                    if p.corrections > 0 {
                        format!(" · {} corrected", p.corrections)
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    if card.unrecognised_rejected > 0 {
        println!(
            "{} rejected file(s) whose dataset could not be recognised",
            card.unrecognised_rejected
        );
    }
    Ok(ExitCode::SUCCESS)
}
