//! `purse ingest`: Load extracts (CSV in UTF-8/GBK, XLSX) into the warehouse; folders load every extract in them.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// Dataset (detected from the headers when omitted)
    #[arg(long)]
    pub dataset: Option<String>,
    /// Period YYYY-MM (taken from a column or the title when omitted)
    #[arg(long)]
    pub period: Option<String>,
    /// Only this sheet of a workbook
    #[arg(long)]
    pub sheet: Option<String>,
    /// Implicit column values, e.g. --set region_name=全国 --set indicator_code=cpi
    #[arg(long = "set", value_name = "COLUMN=VALUE")]
    pub set: Vec<String>,
    /// Load the good rows of a file with row errors (default: such a file loads nothing)
    #[arg(long)]
    pub allow_partial: bool,
    /// No progress bar, only the summary and errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Machine-readable outcomes on stdout
    #[arg(long)]
    pub json: bool,
    /// Run as the server's upload child: progress and outcomes as `purse::child::IngestMessage`
    /// lines on stdout, a distinct exit code for running out of memory (not for people)
    #[arg(long, hide = true)]
    pub child: bool,
    /// All the memory this run may take, MiB (0: no cap); default `[ingest] memory_mib` in
    /// purse.toml, 2048. A file that needs more is refused (exit 2), naming it.
    #[arg(long)]
    pub memory_mib: Option<u64>,
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if !args.child {
        return ingest(args);
    }
    use purse::child::{EXIT_OUT_OF_MEMORY, IngestMessage};
    purse::memory::as_child();
    match ingest(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            let out_of_memory = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<purse::PurseError>(),
                    Some(purse::PurseError::OutOfMemory(_))
                )
            });
            print!(
                "{}",
                IngestMessage::Failed {
                    message: format!("{e:#}")
                }
                .line()
            );
            Ok(ExitCode::from(if out_of_memory {
                EXIT_OUT_OF_MEMORY as u8
            } else {
                2
            }))
        }
    }
}

fn ingest(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        dataset,
        period,
        sheet,
        set,
        allow_partial,
        quiet,
        json,
        child,
        memory_mib,
        paths,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    let (config, catalog) = catalog_for(&dir)?;
    let (mib, source) = match memory_mib {
        Some(m) => (m, "--memory-mib"),
        None => (
            config.ingest.memory_mib,
            "[ingest] memory_mib in purse.toml",
        ),
    };
    #[cfg(unix)]
    if mib > 0 {
        purse::memory::cap(mib << 20, source);
    }
    let mut set_map = BTreeMap::new();
    for s in set {
        let (k, v) = s
            .split_once('=')
            .with_context(|| format!("--set `{s}`: expected COLUMN=VALUE"))?;
        set_map.insert(k.trim().to_string(), v.trim().to_string());
    }
    let files = purse::ingest::expand_paths(&paths)?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let (quiet, json) = (quiet || child, json || child);
    let bar = if quiet || json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Row-level progress inside a long file: the bar's message counts its rows.
    let rows_bar = bar.clone();
    let progress = purse::ingest::RowProgress::new(move |file, rows| {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        if child {
            let file = name.clone().unwrap_or_default();
            print!(
                "{}",
                purse::child::IngestMessage::Progress {
                    file,
                    rows: rows as u64
                }
                .line()
            );
        }
        rows_bar.set_message(format!("{}: {rows} rows read", name.unwrap_or_default()));
    });
    let opts = purse::ingest::Options {
        dataset,
        period,
        sheet,
        set: set_map,
        allow_partial,
        progress,
    };
    let mut wh = Warehouse::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    let outcomes = purse::ingest::ingest_paths(&mut wh, &catalog, &config, &paths, &opts, |o| {
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
    let code = if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if child {
        print!("{}", purse::child::IngestMessage::Done { outcomes }.line());
        return Ok(code);
    }
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
    Ok(code)
}

pub fn print_outcome(o: &Outcome, quiet: bool) {
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
