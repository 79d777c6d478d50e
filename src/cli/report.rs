//! `purse report`: Make the monthly alert report (月度预警报告) of a period.

use super::*;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Xlsx,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long)]
    pub period: Period,
    /// Output file (default: archived under DIR/reports/)
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// zh or en
    #[arg(long, default_value = "zh")]
    pub lang: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        period,
        out,
        format,
        lang,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let lang =
        purse::i18n::Lang::parse(&lang).with_context(|| format!("--lang {lang}: use zh or en"))?;
    let (config, catalog) = catalog_for(&dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let app = purse::app::App::open_blocking(&dir, catalog, config)?;
    let (html, xlsx) = rt.block_on(app.archive_report(period, lang))?;
    let made = match format {
        ReportFormat::Html => html,
        ReportFormat::Xlsx => xlsx,
    };
    let path = match out {
        Some(out) => {
            std::fs::copy(&made, &out).with_context(|| format!("writing {}", out.display()))?;
            out
        }
        None => made,
    };
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
