//! `purse alerts`: List alerts.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// Alerts seen in this period
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long, value_enum)]
    pub status: Option<purse::alerts::Status>,
    /// 红 / 橙 / 黄 / 蓝 (or red / orange / yellow / blue)
    #[arg(long)]
    pub severity: Option<String>,
    #[arg(long)]
    pub rule: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        period,
        status,
        severity,
        rule,
        category,
        format,
    } = args;
    if let Some(p) = &period {
        p.parse::<purse::common::period::Period>()
            .map_err(|e| anyhow::anyhow!("--period {p}: {e}"))?;
    }
    let dir = resolve_data_dir(dd.data_dir);
    let store = purse::alerts::AlertStore::open(&dir)?;
    let level = match severity {
        Some(s) => Some(
            purse::common::level::level(&s)
                .with_context(|| {
                    format!("--severity {s}: use 红/橙/黄/蓝 or red/orange/yellow/blue")
                })?
                .to_string(),
        ),
        None => None,
    };
    let list = store.list(&purse::alerts::Filter {
        period,
        status,
        level,
        rule,
        category,
        ..Default::default()
    })?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&list)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "id",
                "level",
                "status",
                "rule",
                "category",
                "subject",
                "first_period",
                "last_period",
                "months_open",
                "value",
                "expected",
                "difference",
                "message",
            ])?;
            for a in &list {
                w.write_record([
                    a.id.to_string(),
                    a.level.clone(),
                    a.status.as_str().to_string(),
                    a.rule_id.clone(),
                    a.category.clone(),
                    a.subject.clone(),
                    a.first_period.to_string(),
                    a.last_period.to_string(),
                    a.months_open.to_string(),
                    a.value.clone().unwrap_or_default(),
                    a.expected.clone().unwrap_or_default(),
                    a.difference.clone().unwrap_or_default(),
                    a.message_zh.clone(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            for a in &list {
                println!(
                    "#{:<5} {} {:<10} {:<26} {}…{} {}",
                    a.id,
                    a.level,
                    a.status.zh(),
                    a.rule_id,
                    a.first_period,
                    a.last_period,
                    a.message_zh
                );
            }
            println!("{} alerts", list.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
