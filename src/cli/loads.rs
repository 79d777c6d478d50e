//! `purse loads`: The load manifest: every file accepted or rejected, newest first; `purse
//! loads retract ID` takes a load back.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub cmd: Option<LoadsCmd>,
}

#[derive(clap::Subcommand)]
pub enum LoadsCmd {
    /// Take an accepted load back: its data leaves the warehouse, what it had replaced is live
    /// again, its periods are checked again and the alerts only its data showed are taken back.
    /// Kept in the manifest with who and why.
    Retract {
        /// The load's number (`purse loads` lists them)
        id: i64,
        /// Why (kept in the manifest), e.g. "loaded with the wrong --set region_name"
        #[arg(long)]
        reason: String,
        /// Who retracts (default: $USER)
        #[arg(long)]
        actor: Option<String>,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        limit,
        json,
        cmd,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    if let Some(LoadsCmd::Retract { id, reason, actor }) = cmd {
        return retract(&dir, id, &reason, actor, json);
    }
    let wh = Warehouse::open_read(&dir)?;
    let loads = wh.loads(limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&loads)?);
    } else {
        for l in loads {
            let replaced = match (&l.replaced_by[..], l.live_parts) {
                ([], _) => String::new(),
                (by, 0) if l.status == "accepted" => format!("  (replaced by {})", ids(by)),
                (by, _) => format!("  (partly replaced by {})", ids(by)),
            };
            println!(
                "#{:<5} {:<10} {:<16} {:>8} rows {:>4} err {:>4} warn  {}{}  {}{}{replaced}",
                l.id,
                l.status,
                l.dataset.unwrap_or_default(),
                l.rows,
                l.errors,
                l.warnings,
                l.file,
                l.sheet.map(|s| format!("#{s}")).unwrap_or_default(),
                l.message.unwrap_or_default(),
                l.report
                    .map(|r| format!(" [report: {r}]"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ids(v: &[i64]) -> String {
    v.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn retract(
    dir: &std::path::Path,
    id: i64,
    reason: &str,
    actor: Option<String>,
    json: bool,
) -> Result<ExitCode> {
    let actor = actor_or_user(actor);
    let (config, catalog) = catalog_for(dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let app = purse::app::App::open_blocking(dir, catalog, config)?;
    let done = rt.block_on(app.retract(id, &actor, reason))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&done)?);
        return Ok(ExitCode::SUCCESS);
    }
    let r = &done.retraction;
    println!("#{}: {}", r.id, r.message);
    if !done.checked.is_empty() {
        println!(
            "checked again: {} ({} run{})",
            done.checked
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            done.runs.len(),
            if done.runs.len() == 1 { "" } else { "s" }
        );
    }
    let w = &done.withdrawn;
    if !w.deleted.is_empty() || !w.resolved.is_empty() {
        println!(
            "alerts only its data showed: {} taken back{}",
            w.deleted.len() + w.resolved.len(),
            if w.resolved.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} already acted on, resolved: {})",
                    w.resolved.len(),
                    ids(&w.resolved)
                )
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
