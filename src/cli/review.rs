//! `purse review`: The annual review of a budget year (预算草案初步审查, 决算审查, 预决算公开):
//! runs the review's rules at their periods, stores the findings as alerts, and writes the draft
//! of the committee's preliminary review report.

use super::*;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReviewFormat {
    Html,
    Xlsx,
    Docx,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// The budget year whose draft is reviewed (its final accounts: two years before)
    #[arg(long)]
    pub year: i32,
    /// Output file (default: DIR/reports/review_YEAR_LANG.html, .xlsx or .docx)
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReviewFormat,
    /// zh or en
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Write the report without storing the findings as alerts
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        year,
        out,
        format,
        lang,
        dry_run,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let lang =
        purse::i18n::Lang::parse(&lang).with_context(|| format!("--lang {lang}: use zh or en"))?;
    if !(1990..=2100).contains(&year) {
        anyhow::bail!("--year {year}: a budget year such as 2026");
    }
    let (config, catalog) = catalog_for(&dir)?;
    let (_, set) = load_rules(&dir, None)?;
    Warehouse::open_read(&dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let region = config.region_name.clone();
    let session = rt.block_on(purse::check::CheckSession::open(&dir, &catalog))?;
    rt.block_on(session.validate(&set))?;
    let review = rt.block_on(purse::review::run(
        &session, &dir, &set, year, &region, dry_run,
    ))?;
    let (bytes, ext) = match format {
        ReviewFormat::Html => (purse::review::html(&review, lang).into_bytes(), "html"),
        ReviewFormat::Xlsx => (purse::review::xlsx(&review, lang)?, "xlsx"),
        ReviewFormat::Docx => (purse::review::docx(&review, lang)?, "docx"),
    };
    let path = out.unwrap_or_else(|| {
        dir.join("reports")
            .join(format!("review_{year}_{}.{ext}", lang.code()))
    });
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    purse::report::write_atomic(&path, &bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    for s in &review.not_reviewed {
        eprintln!("{} {}: not reviewed: {}", s.period, s.rule_id, s.why);
    }
    eprintln!(
        "review of {year}: {} findings{}",
        review.findings.len(),
        if dry_run {
            " (not stored)"
        } else {
            ", stored as alerts"
        }
    );
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
