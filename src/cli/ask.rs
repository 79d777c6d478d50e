//! `purse ask`: a question in Chinese (问数), answered from the warehouse with the SQL and rows
//! behind it — or the reason it cannot be.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// The answer as JSON: the question as understood, the SQL, columns, rows and the sentence
    #[arg(long)]
    pub json: bool,
    /// The question, e.g. 执行率最低的五个部门
    pub question: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dd, json, question } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let (config, catalog) = catalog_for(&dir)?;
    Warehouse::open_read(&dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    let a = rt.block_on(async {
        let ctx = purse::engine::session(&dir, &catalog).await?;
        let dict = purse::ask::Dictionary::load(&ctx).await?;
        let rows = if purse::ask::reads_alerts(&question, &dict) {
            purse::ask::alert_rows(&purse::alerts::AlertStore::open(&dir)?.fired()?)
        } else {
            Vec::new()
        };
        let mut a = purse::ask::answer(&ctx, &dict, &rows, &question).await?;
        // The console's bounds and its way: read-only, cut at its row limit.
        let lim = purse::console::Limits::default();
        let ctx = &ctx;
        purse::ask::with_model(&mut a, &config.ask, &dir, ctx, &catalog, |sql| async move {
            purse::console::run(ctx, &sql, &lim).await
        })
        .await;
        Ok::<_, purse::error::PurseError>(a)
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&a)?);
    } else {
        println!("{}", a.sentence);
        if !a.understood.is_empty() {
            println!("理解为：{}", a.understood);
        }
        if let Some(sql) = &a.sql {
            println!("SQL：{sql}");
        }
        if !a.rows.is_empty() {
            println!("{}", a.columns.join("\t"));
            for r in a.rows.iter().take(50) {
                println!("{}", r.join("\t"));
            }
        }
        if let Some(m) = &a.model {
            println!("本地模型：{m}");
        }
        for s in &a.suggestions {
            println!("可以这样问：{s}");
        }
    }
    Ok(match a.status.as_str() {
        "answer" | "model" => ExitCode::SUCCESS,
        _ => ExitCode::from(3),
    })
}
