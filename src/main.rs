//! The `purse` command line: parse arguments, call the library, map errors to exit codes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use purse::config::{Config, resolve_data_dir};
use purse::datasets::Catalog;
use purse::ingest::{self, Outcome, Status};
use purse::output::{Format, render};
use purse::warehouse::Warehouse;

#[derive(Parser)]
#[command(
    name = "purse",
    version,
    about = "Online supervision of the public purse (预算联网监督)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct DataDir {
    /// Data directory (default: $PURSE_DATA_DIR, else ./purse-data)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load extracts (CSV in UTF-8/GBK, XLSX) into the warehouse; folders load every extract in them
    Ingest {
        #[command(flatten)]
        dd: DataDir,
        /// Dataset (detected from the headers when omitted)
        #[arg(long)]
        dataset: Option<String>,
        /// Period YYYY-MM (taken from a column or the title when omitted)
        #[arg(long)]
        period: Option<String>,
        /// Only this sheet of a workbook
        #[arg(long)]
        sheet: Option<String>,
        /// Implicit column values, e.g. --set region_name=全国 --set indicator_code=cpi
        #[arg(long = "set", value_name = "COLUMN=VALUE")]
        set: Vec<String>,
        /// Load the good rows of a file with row errors (default: such a file loads nothing)
        #[arg(long)]
        allow_partial: bool,
        /// No progress bar, only the summary and errors
        #[arg(long, short)]
        quiet: bool,
        /// Machine-readable outcomes on stdout
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run read-only SQL over the warehouse
    Query {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        sql: String,
    },
    /// Write a synthetic region (demo, tests, benchmarks), deterministically from a seed
    Gen {
        #[arg(long)]
        out: PathBuf,
        /// 1 = the demo region (~150 units); 20 ≈ a province-year
        #[arg(long, default_value_t = 1)]
        scale: u32,
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// Only these datasets (repeatable)
        #[arg(long)]
        only: Vec<String>,
    },
    /// Generate the demo region 示范市, load it into a local warehouse and show what is loaded
    Demo {
        /// Where the demo's data directory goes
        #[arg(long, default_value = "purse-demo")]
        data_dir: PathBuf,
    },
    /// What is loaded: dataset, periods, rows, sources
    Datasets {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// The load manifest: every file accepted or rejected, newest first
    Loads {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The canonical schema of each dataset, with column docs and accepted headers
    Schema { dataset: Option<String> },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn catalog_for(dir: &std::path::Path) -> Result<(Config, Catalog)> {
    let config = Config::load(dir)?;
    let catalog = Catalog::with_aliases(&config.aliases)?;
    Ok((config, catalog))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Ingest {
            dd,
            dataset,
            period,
            sheet,
            set,
            allow_partial,
            quiet,
            json,
            paths,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (config, catalog) = catalog_for(&dir)?;
            let mut set_map = BTreeMap::new();
            for s in set {
                let (k, v) = s
                    .split_once('=')
                    .with_context(|| format!("--set `{s}`: expected COLUMN=VALUE"))?;
                set_map.insert(k.trim().to_string(), v.trim().to_string());
            }
            let opts = ingest::Options {
                dataset,
                period,
                sheet,
                set: set_map,
                allow_partial,
            };
            let files = ingest::expand_paths(&paths)?;
            let total: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let bar = if quiet || json {
                ProgressBar::hidden()
            } else {
                ProgressBar::new(total)
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let mut wh =
                Warehouse::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
            let outcomes = ingest::ingest_paths(&mut wh, &catalog, &config, &paths, &opts, |o| {
                bar.inc(o.bytes);
                if !json {
                    bar.suspend(|| print_outcome(o, quiet));
                }
            })?;
            bar.finish_and_clear();
            let rejected = outcomes
                .iter()
                .filter(|o| o.status == Status::Rejected)
                .count();
            if json {
                println!("{}", serde_json::to_string_pretty(&outcomes)?);
            } else {
                let n = |s| outcomes.iter().filter(|o| o.status == s).count();
                let rows: usize = outcomes.iter().map(|o| o.rows).sum();
                println!(
                    "{} loaded ({rows} rows), {} unchanged, {} rejected, {} skipped — data dir {}",
                    n(Status::Loaded),
                    n(Status::Unchanged),
                    rejected,
                    n(Status::Skipped),
                    dir.display()
                );
            }
            Ok(if rejected > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Query { dd, format, sql } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (_, catalog) = catalog_for(&dir)?;
            let wh = Warehouse::open_read(&dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            let out = rt.block_on(async {
                let ctx = purse::engine::session(&dir, &catalog).await?;
                purse::engine::register_lineage(&ctx, &wh)?;
                let batches = purse::engine::query(&ctx, &sql).await?;
                render(&batches, format)
            })?;
            println!("{}", out.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Gen {
            out,
            scale,
            seed,
            only,
        } => {
            if scale == 0 {
                bail!("--scale must be at least 1");
            }
            let summary = purse::synth::generate(&out, scale, seed, &only)?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Demo { data_dir } => {
            let extracts = data_dir.join("extracts");
            println!("{}", purse::synth::generate(&extracts, 1, 2025, &[])?);
            let (config, catalog) = catalog_for(&data_dir)?;
            let mut wh = Warehouse::open(&data_dir)
                .with_context(|| format!("opening {}", data_dir.display()))?;
            let outcomes = ingest::ingest_paths(
                &mut wh,
                &catalog,
                &config,
                std::slice::from_ref(&extracts),
                &ingest::Options::default(),
                |o| print_outcome(o, true),
            )?;
            let n = |s| outcomes.iter().filter(|o| o.status == s).count();
            println!(
                "ingested {} extracts ({} loaded, {} already there, {} rejected) into {}\n",
                outcomes.len(),
                n(Status::Loaded),
                n(Status::Unchanged),
                n(Status::Rejected),
                data_dir.display()
            );
            print_datasets(&wh)?;
            let d = data_dir.display();
            println!("\nTry:");
            println!(
                "  purse query --data-dir {d} \"SELECT dept_name, sum(ytd_amount) AS spent, \
                 sum(adjusted_budget) AS budget FROM budget_execution WHERE period = '2025-10' \
                 GROUP BY dept_name ORDER BY spent DESC\""
            );
            println!("  purse loads --data-dir {d}");
            println!(
                "  the anomalies planted for the rules to find: {}",
                extracts.join("anomalies.toml").display()
            );
            Ok(if n(Status::Rejected) > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Cmd::Datasets { dd, json } => {
            let dir = resolve_data_dir(dd.data_dir);
            let wh = Warehouse::open_read(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&wh.summary()?)?);
            } else {
                print_datasets(&wh)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Loads { dd, limit, json } => {
            let dir = resolve_data_dir(dd.data_dir);
            let wh = Warehouse::open_read(&dir)?;
            let loads = wh.loads(limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&loads)?);
            } else {
                for l in loads {
                    println!(
                        "#{:<5} {:<9} {:<16} {:>8} rows {:>4} err {:>4} warn  {}{}  {}{}",
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
        Cmd::Schema { dataset } => {
            let catalog = Catalog::builtin();
            for ds in &catalog.datasets {
                if dataset.as_ref().is_some_and(|d| d != &ds.name) {
                    continue;
                }
                println!("{} — {} / {}", ds.name, ds.title, ds.title_en);
                for c in &ds.columns {
                    println!(
                        "  {:<22} {:<14} {}{}  [{}]",
                        c.name,
                        format!("{:?}", c.data_type()),
                        c.doc,
                        if c.required { " (required)" } else { "" },
                        c.aliases.join(" / ")
                    );
                }
                println!();
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_datasets(wh: &Warehouse) -> Result<()> {
    println!("{:<18} {:>10}  {:<30} sources", "dataset", "rows", "periods");
    for d in wh.summary()? {
        let mut sources = d.sources.clone();
        let more = sources.len().saturating_sub(3);
        sources.truncate(3);
        let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
        let periods = ingest::summarize_periods(&d.periods);
        println!("{:<18} {:>10}  {periods:<30} {}{more}", d.dataset, d.rows, sources.join(", "));
    }
    Ok(())
}

fn print_outcome(o: &Outcome, quiet: bool) {
    let name = match &o.sheet {
        Some(s) => format!("{}#{s}", o.file),
        None => o.file.clone(),
    };
    match o.status {
        Status::Loaded if !quiet => println!(
            "loaded     {name}: {}{}",
            o.message,
            if o.warnings > 0 {
                format!(", {} warning(s)", o.warnings)
            } else {
                String::new()
            }
        ),
        Status::Unchanged if !quiet => println!("unchanged  {name}: {}", o.message),
        Status::Skipped if !quiet => println!("skipped    {name}: {}", o.message),
        Status::Rejected => {
            eprintln!("rejected   {name}: {}", o.message);
            for i in o.issues.iter().filter(|i| i.row.is_some()).take(10) {
                eprintln!(
                    "    row {} column {}: {:?} — {} (expected {})",
                    i.row.unwrap_or(0),
                    i.column,
                    i.value,
                    i.reason,
                    i.expected
                );
            }
            if let Some(r) = &o.report {
                eprintln!("    full report: {r} (in the data dir)");
            }
        }
        _ => {}
    }
}
