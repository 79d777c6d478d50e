//! `purse alert`: Show an alert or move it through its lifecycle.

use super::*;

#[derive(Subcommand)]
pub enum AlertCmd {
    /// Show the alert, its history month by month and its audit trail
    Show,
    /// Acknowledge (new → acknowledged)
    Ack,
    /// Start rectification with an owner department and a deadline
    Rectify {
        #[arg(long)]
        owner: String,
        #[arg(long)]
        due: chrono::NaiveDate,
    },
    /// Close (销号) with the evidence of rectification
    Close {
        #[arg(long)]
        evidence: String,
    },
    /// Dismiss (排除) with a reason
    Dismiss {
        #[arg(long)]
        reason: String,
    },
    /// Add a comment
    Comment { text: String },
    /// Endorse (附议) the finding as an expert adviser, with an optional word
    Endorse {
        #[arg(default_value = "")]
        text: String,
    },
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    pub id: i64,
    /// Who acts (default: $USER)
    #[arg(long, global = true)]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub action: Option<AlertCmd>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        id,
        actor,
        action,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let mut store = purse::alerts::AlertStore::open(&dir)?;
    let actor = actor_or_user(actor);
    use purse::alerts::Action;
    let action = match action.unwrap_or(AlertCmd::Show) {
        AlertCmd::Show => None,
        AlertCmd::Ack => Some(Action::Ack),
        AlertCmd::Rectify { owner, due } => Some(Action::Rectify { owner, due }),
        AlertCmd::Close { evidence } => Some(Action::Close { evidence }),
        AlertCmd::Dismiss { reason } => Some(Action::Dismiss { reason }),
        AlertCmd::Comment { text } => Some(Action::Comment { text }),
        AlertCmd::Endorse { text } => Some(Action::Endorse { text }),
    };
    let showing = action.is_none();
    let a = match action {
        Some(act) => store.act(id, &act, &actor)?,
        None => store.get(id)?,
    };
    println!(
        "#{} {} {} [{}] {} / {}",
        a.id,
        a.level,
        a.status.zh(),
        a.rule_id,
        a.title,
        a.subject
    );
    println!("  {}", a.message_zh);
    println!("  {}", a.message_en);
    println!(
        "  seen {}…{} ({} months){}",
        a.first_period,
        a.last_period,
        a.months_open,
        a.owner
            .as_ref()
            .map(|o| format!(
                ", owner {o}, due {}",
                a.due_date.clone().unwrap_or_default()
            ))
            .unwrap_or_default()
    );
    println!(
        "  allowed now: {}",
        purse::alerts::ALERTS.allowed(a.status).join(", ")
    );
    let history = store.history(id)?;
    if let Some(last) = history.last().filter(|h| !h.rows.is_empty()) {
        // The rows behind the finding (each payment of a split), as stored with it: exact 元.
        let columns: Vec<&String> = last.rows[0]
            .keys()
            .filter(|c| !purse::rules::labels::is_helper(c))
            .collect();
        println!("evidence rows ({}, {}):", last.rows.len(), last.period);
        println!(
            "  {}",
            columns
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        );
        for r in &last.rows {
            let cells: Vec<&str> = columns
                .iter()
                .map(|c| r.get(*c).map(String::as_str).unwrap_or(""))
                .collect();
            println!("  {}", cells.join(" | "));
        }
    }
    println!("history:");
    for h in history {
        println!(
            "  {} {} value {} expected {}",
            h.period,
            h.level,
            h.value.unwrap_or_default(),
            h.expected.unwrap_or_default()
        );
    }
    if showing {
        explain_alert(&dir, &store, &a)?;
    }
    print_trail(store.events(id)?);
    Ok(ExitCode::SUCCESS)
}

/// "Why this alert": the rule's SQL and the parameters as the latest run bound them, the
/// finding's evidence, and the source rows behind it with their file, sheet and row.
pub fn explain_alert(
    dir: &std::path::Path,
    store: &purse::alerts::AlertStore,
    a: &purse::alerts::Alert,
) -> anyhow::Result<()> {
    let Some(ex) = store.explain(a.id, a.last_period)? else {
        return Ok(());
    };
    println!("why ({}, run #{}):", ex.period, ex.run_id);
    let params: Vec<String> = ex
        .params
        .iter()
        .map(|(k, v)| format!("${k} = {v}"))
        .collect();
    println!("  parameters: {}", params.join(", "));
    println!("  evidence:");
    for (k, v) in &ex.evidence {
        if !v.is_empty() {
            println!("    {k} = {v}");
        }
    }
    if let Some(sql) = &ex.sql {
        println!("  rule SQL:");
        for l in sql.lines() {
            println!("    {l}");
        }
    }
    let (catalog, set) = load_rules(dir, None)?;
    let Some(rule) = set.get(&a.rule_id) else {
        return Ok(());
    };
    let rt = tokio::runtime::Runtime::new()?;
    let rows = rt.block_on(async {
        let ctx = purse::engine::session(dir, &catalog).await?;
        purse::rules::explain::source_rows(&ctx, &catalog, rule, &ex.evidence, ex.period).await
    })?;
    for (dataset, batches) in rows {
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!("  source rows in {dataset} ({n}, with file, sheet and row):");
        if n > 0 {
            for l in purse::output::render(&batches, purse::output::Format::Table)?.lines() {
                println!("    {l}");
            }
        }
    }
    Ok(())
}
