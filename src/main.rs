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

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Xlsx,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user, or reset an existing user's role and password
    Add {
        #[command(flatten)]
        dd: DataDir,
        name: String,
        #[arg(long, value_enum)]
        role: purse::users::Role,
        /// The password (default: read one line from stdin with --password-stdin, else make one up and print it)
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles
    List {
        #[command(flatten)]
        dd: DataDir,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// The SQL console's worker (started by the server, one per query; not for people)
    #[command(hide = true)]
    SqlWorker {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long)]
        max_rows: usize,
        #[arg(long)]
        timeout_secs: u64,
        #[arg(long)]
        memory_mib: usize,
    },
    /// Write DIR/purse.toml for a deployment: its region and every other setting, commented
    Init {
        #[command(flatten)]
        dd: DataDir,
        /// 财政区划编码 of the deployment's own region, e.g. 330326
        #[arg(long)]
        region_code: String,
        /// Its name, e.g. 平阳县
        #[arg(long)]
        region_name: String,
        /// Replace an existing purse.toml
        #[arg(long)]
        force: bool,
    },
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
    /// Generate the demo region 示范市, load and check it, create a demo account per role, and serve
    Demo {
        /// Where the demo's data directory goes (default: purse-demo in the system's temp folder)
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Prepare the data directory and stop, without serving
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve the web front end and the JSON API, with the monthly report scheduler
    Serve {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Mark cookies Secure (when served behind TLS)
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Local users and their roles
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Make the monthly alert report (月度预警报告) of a period
    Report {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long)]
        period: String,
        /// Output file (default: archived under DIR/reports/)
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// zh or en
        #[arg(long, default_value = "zh")]
        lang: String,
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
    /// Run the rules for a period (or a range 2025-01..2025-12) and store the alerts
    Check {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long)]
        period: String,
        /// Only these rules (repeatable); default: every enabled rule
        #[arg(long = "rule")]
        rules: Vec<String>,
        /// Rule folder (default: DIR/queries if present, else the built-in pack)
        #[arg(long = "rules")]
        rules_dir: Option<PathBuf>,
        /// Print the findings without storing alerts
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// The rule catalog: id, title, category, datasets, severity, parameters, how often fired
    Rules {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long = "rules")]
        rules_dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// List alerts
    Alerts {
        #[command(flatten)]
        dd: DataDir,
        /// Alerts seen in this period
        #[arg(long)]
        period: Option<String>,
        #[arg(long, value_enum)]
        status: Option<purse::alerts::Status>,
        /// 红 / 橙 / 黄 / 蓝 (or red / orange / yellow / blue)
        #[arg(long)]
        severity: Option<String>,
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Past `purse check` runs: period, rules run, findings by level, new and resolved, time
    Runs {
        #[command(flatten)]
        dd: DataDir,
        #[arg(long, default_value_t = 24)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Show an alert or move it through its lifecycle
    Alert {
        #[command(flatten)]
        dd: DataDir,
        id: i64,
        /// Who acts (default: $USER)
        #[arg(long, global = true)]
        actor: Option<String>,
        #[command(subcommand)]
        action: Option<AlertCmd>,
    },
}

#[derive(Subcommand)]
enum AlertCmd {
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
}

/// `2025-10` or `2025-01..2025-12`.
fn periods(spec: &str) -> Result<Vec<String>> {
    let Some((a, b)) = spec.split_once("..") else {
        return Ok(vec![spec.to_string()]);
    };
    let parse = |p: &str| -> Result<(i32, u32)> {
        let (y, m) = p
            .split_once('-')
            .with_context(|| format!("period `{p}`: expected YYYY-MM"))?;
        Ok((y.parse()?, m.parse()?))
    };
    let (mut y, mut m) = parse(a)?;
    let end = parse(b)?;
    let mut out = Vec::new();
    while (y, m) <= end {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        if out.len() > 1200 {
            bail!("period range too long");
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A reader that stops early (`purse alerts | head`) ends a printing command quietly, as any
    // Unix tool does, instead of a panic on the broken pipe. The server keeps Rust's default
    // (ignored, so a closed socket is an error to handle, never the end of the process).
    #[cfg(unix)]
    if !matches!(cli.cmd, Cmd::Serve { .. } | Cmd::Demo { .. }) {
        // SAFETY: restores the default disposition of one signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The chain, without a cause repeated by the message before it (library errors
            // already name their source).
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// The catalog and the rule set a data directory uses (its `purse.toml` overrides applied).
fn load_rules(
    dir: &std::path::Path,
    rules_dir: Option<&std::path::Path>,
) -> Result<(Catalog, purse::rules::RuleSet)> {
    let (config, catalog) = catalog_for(dir)?;
    let set = purse::rules::RuleSet::resolve(rules_dir, dir, &catalog, &config.rules)?;
    Ok((catalog, set))
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
            // Row-level progress inside a long file: the bar's message counts its rows.
            let rows_bar = bar.clone();
            let progress = ingest::RowProgress::new(move |file, rows| {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                rows_bar.set_message(format!("{}: {rows} rows read", name.unwrap_or_default()));
            });
            let opts = ingest::Options {
                dataset,
                period,
                sheet,
                set: set_map,
                allow_partial,
                progress,
            };
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
            // Refuses a directory with nothing loaded, with a message that says so.
            Warehouse::open_read(&dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            let out = rt.block_on(async {
                let ctx = purse::engine::session(&dir, &catalog).await?;
                let batches = purse::engine::query(&ctx, &sql).await?;
                render(&batches, format)
            })?;
            println!("{}", out.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::SqlWorker {
            dd,
            max_rows,
            timeout_secs,
            memory_mib,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (_, catalog) = catalog_for(&dir)?;
            let limits = purse::console::Limits {
                max_rows,
                timeout: std::time::Duration::from_secs(timeout_secs),
                memory_bytes: memory_mib << 20,
            };
            let code = purse::console::worker_main(&dir, &catalog, &limits);
            Ok(ExitCode::from(code as u8))
        }
        Cmd::Init {
            dd,
            region_code,
            region_name,
            force,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let path = purse::config::write_init(&dir, &region_code, &region_name, force)?;
            println!(
                "wrote {} (region {region_code} {region_name}); edit it for aliases, rule parameters, the report and the web server",
                path.display()
            );
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
        Cmd::Demo {
            data_dir,
            bind,
            no_serve,
        } => {
            let data_dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join("purse-demo"));
            let rejected = prepare_demo(&data_dir)?;
            let users = purse::users::Users::open(&data_dir)?;
            let accounts = [
                ("viewer", purse::users::Role::Viewer),
                ("analyst", purse::users::Role::Analyst),
                ("adviser", purse::users::Role::Adviser),
                ("admin", purse::users::Role::Admin),
            ];
            for (name, role) in accounts {
                users.add(name, role, &format!("demo-{name}"), "demo")?;
            }
            drop(users);
            let d = data_dir.display();
            println!(
                "\nDemo accounts (user / password): viewer / demo-viewer, analyst / demo-analyst,"
            );
            println!("  adviser / demo-adviser (SQL console), admin / demo-admin (users, uploads)");
            println!("The same data from the command line:");
            println!("  purse alerts --data-dir {d} --status new");
            println!("  purse report --data-dir {d} --period 2025-12");
            println!("Open http://{bind}/ and log in, e.g. as analyst / demo-analyst.");
            if no_serve {
                return Ok(if rejected {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                });
            }
            serve(&data_dir, bind, false)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Serve {
            dd,
            bind,
            secure_cookies,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            serve(&dir, bind, secure_cookies)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::User { cmd } => match cmd {
            UserCmd::Add {
                dd,
                name,
                role,
                password,
                password_stdin,
            } => {
                let dir = resolve_data_dir(dd.data_dir);
                let (password, made_up) = match (password, password_stdin) {
                    (Some(p), _) => (p, false),
                    (None, true) => {
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line)?;
                        (line.trim_end_matches(['\r', '\n']).to_string(), false)
                    }
                    (None, false) => (purse::users::random_token()[..16].to_string(), true),
                };
                purse::users::Users::open(&dir)?.add(&name, role, &password, "cli")?;
                println!("user {name}: role {}", role.as_str());
                if made_up {
                    println!("password: {password}");
                }
                Ok(ExitCode::SUCCESS)
            }
            UserCmd::List { dd } => {
                let dir = resolve_data_dir(dd.data_dir);
                for u in purse::users::Users::open(&dir)?.list()? {
                    println!("{:<20} {:<8} {}", u.name, u.role.as_str(), u.created_at);
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Cmd::Report {
            dd,
            period,
            out,
            format,
            lang,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let lang = purse::i18n::Lang::parse(&lang)
                .with_context(|| format!("--lang {lang}: use zh or en"))?;
            let (config, catalog) = catalog_for(&dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            let (html, xlsx) = rt.block_on(purse::report::generate(
                &dir, &catalog, &config, &period, lang,
            ))?;
            let made = match format {
                ReportFormat::Html => html,
                ReportFormat::Xlsx => xlsx,
            };
            let path = match out {
                Some(out) => {
                    std::fs::copy(&made, &out)
                        .with_context(|| format!("writing {}", out.display()))?;
                    out
                }
                None => made,
            };
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
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
        Cmd::Check {
            dd,
            period,
            rules,
            rules_dir,
            dry_run,
            json,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (catalog, set) = load_rules(&dir, rules_dir.as_deref())?;
            let selected = purse::check::select(&set, &rules)?;
            // Refuses a data directory with nothing loaded, and finishes an interrupted load.
            Warehouse::open_read(&dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(purse::check::validate(&set, &catalog))?;
            let periods = periods(&period)?;
            let session = rt.block_on(purse::check::CheckSession::open(&dir, &catalog))?;
            for p in periods {
                let res = rt.block_on(session.check(&dir, &selected, &p, dry_run))?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&res)?);
                    continue;
                }
                if dry_run {
                    for f in res.runs.iter().flat_map(|r| &r.findings) {
                        println!(
                            "{p} {} {} {} — {}",
                            f.level, f.rule_id, f.alert_key, f.message_zh
                        );
                    }
                }
                for r in &res.runs {
                    if let purse::rules::runner::Outcome::NotEvaluated(why) = &r.outcome {
                        println!("{p} {}: not evaluated: {why}", r.rule_id);
                    }
                }
                if let Some(s) = &res.summary {
                    let levels: Vec<String> = purse::rules::LEVELS
                        .iter()
                        .filter_map(|l| s.by_level.get(*l).map(|n| format!("{l} {n}")))
                        .collect();
                    println!(
                        "{p}: {} rules ({} not evaluated), {} rows scanned, {} findings ({}); {} new, {} continuing, {} reopened, {} resolved by data, {} cleared awaiting 销号, {} left alone for want of data — run #{} in {} ms",
                        s.rules_run,
                        s.not_evaluated.len(),
                        s.rows_scanned,
                        s.findings,
                        if levels.is_empty() {
                            "none".into()
                        } else {
                            levels.join(", ")
                        },
                        s.new_alerts,
                        s.continuing,
                        s.reopened,
                        s.resolved,
                        s.cleared,
                        s.held,
                        s.run_id,
                        s.duration_ms
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rules {
            dd,
            rules_dir,
            json,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (_, set) = load_rules(&dir, rules_dir.as_deref())?;
            let fired = if dir.join("purse.db").exists() {
                purse::alerts::AlertStore::open(&dir)?.counts_by_rule()?
            } else {
                Default::default()
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&set.rules)?);
                return Ok(ExitCode::SUCCESS);
            }
            for r in &set.rules {
                let params: Vec<String> =
                    r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!(
                    "{:<30} {:<4} {:<5} {:<28} {:>4} fired  {}{}  [{}]  {}",
                    r.id,
                    r.category,
                    r.fixed_level.as_deref().unwrap_or("分级"),
                    r.datasets.join(","),
                    fired.get(&r.id).copied().unwrap_or(0),
                    r.title_zh,
                    if r.enabled { "" } else { " (disabled)" },
                    params.join(", "),
                    r.title_en
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Alerts {
            dd,
            period,
            status,
            severity,
            rule,
            category,
            format,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let store = purse::alerts::AlertStore::open(&dir)?;
            let level = match severity {
                Some(s) => Some(
                    purse::rules::level(&s)
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
                            a.first_period.clone(),
                            a.last_period.clone(),
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
        Cmd::Alert {
            dd,
            id,
            actor,
            action,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let mut store = purse::alerts::AlertStore::open(&dir)?;
            let actor = actor
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            use purse::alerts::Action;
            let action = match action.unwrap_or(AlertCmd::Show) {
                AlertCmd::Show => None,
                AlertCmd::Ack => Some(Action::Ack),
                AlertCmd::Rectify { owner, due } => Some(Action::Rectify { owner, due }),
                AlertCmd::Close { evidence } => Some(Action::Close { evidence }),
                AlertCmd::Dismiss { reason } => Some(Action::Dismiss { reason }),
                AlertCmd::Comment { text } => Some(Action::Comment { text }),
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
                purse::alerts::allowed_actions(a.status).join(", ")
            );
            println!("history:");
            for h in store.history(id)? {
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
            println!("audit trail:");
            for e in store.events(id)? {
                println!(
                    "  {} {} {} {}→{} {}",
                    e.at,
                    e.actor,
                    e.action,
                    e.from_status.unwrap_or_default(),
                    e.to_status.unwrap_or_default(),
                    e.note.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Runs { dd, limit, json } => {
            let dir = resolve_data_dir(dd.data_dir);
            let runs = purse::alerts::AlertStore::open(&dir)?.runs(limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
                return Ok(ExitCode::SUCCESS);
            }
            let store = purse::alerts::AlertStore::open(&dir)?;
            for r in runs {
                let levels: Vec<String> = purse::rules::LEVELS
                    .iter()
                    .filter_map(|l| r.by_level.get(*l).map(|n| format!("{l} {n}")))
                    .collect();
                println!(
                    "run #{:<4} {} {:>3} rules {:>5} findings ({}) {:>4} new {:>4} resolved {:>6} ms  {}",
                    r.id,
                    r.period,
                    r.rules_run,
                    r.findings,
                    levels.join(", "),
                    r.new_alerts,
                    r.resolved,
                    r.duration_ms,
                    r.started_at
                );
                if r.not_evaluated > 0 {
                    for o in store.run_outcomes(r.id)?.iter().filter(|o| !o.evaluated) {
                        println!(
                            "           not evaluated: {} ({})",
                            o.rule_id,
                            o.reason.as_deref().unwrap_or("")
                        );
                    }
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

/// Generates the demo region into DIR/extracts, loads it and checks every month once; says
/// whether any extract was rejected. Running it again changes nothing.
fn prepare_demo(data_dir: &std::path::Path) -> Result<bool> {
    // The demo's own settings: its region is 示范市. A real deployment runs `purse init`.
    if !data_dir.join("purse.toml").exists() {
        let (code, name) = purse::config::DEMO_REGION;
        purse::config::write_init(data_dir, code, name, false)?;
    }
    let extracts = data_dir.join("extracts");
    println!("{}", purse::synth::generate(&extracts, 1, 2025, &[])?);
    let (config, catalog) = catalog_for(data_dir)?;
    let mut wh =
        Warehouse::open(data_dir).with_context(|| format!("opening {}", data_dir.display()))?;
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
    drop(wh);
    // Check every month once; months already checked keep their alerts as they are.
    let set = purse::rules::RuleSet::resolve(None, data_dir, &catalog, &config.rules)?;
    let selected = purse::check::select(&set, &[])?;
    let done = purse::alerts::AlertStore::open(data_dir)?.checked_periods()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(purse::check::validate(&set, &catalog))?;
    println!();
    let session = rt.block_on(purse::check::CheckSession::open(data_dir, &catalog))?;
    for p in periods("2025-01..2025-12")? {
        if done.contains(&p) {
            continue;
        }
        let res = rt.block_on(session.check(data_dir, &selected, &p, false))?;
        if let Some(s) = res.summary {
            println!(
                "checked {p}: {} rules, {} findings, {} new alerts, {} resolved by data ({} ms)",
                s.rules_run, s.findings, s.new_alerts, s.resolved, s.duration_ms
            );
        }
    }
    let alerts = purse::alerts::AlertStore::open(data_dir)?.list(&Default::default())?;
    let by_level: Vec<String> = purse::rules::LEVELS
        .iter()
        .map(|l| format!("{l} {}", alerts.iter().filter(|a| a.level == *l).count()))
        .collect();
    println!("{} alerts ({})", alerts.len(), by_level.join(", "));
    Ok(n(Status::Rejected) > 0)
}

/// Serves until Ctrl-C.
fn serve(dir: &std::path::Path, bind: std::net::SocketAddr, secure: bool) -> Result<()> {
    let (config, catalog) = catalog_for(dir)?;
    let state = purse::web::AppState::new(dir, catalog, config)?.with_secure_cookies(secure);
    let users = purse::users::Users::open(dir)?.list()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = purse::web::bind(bind).await?;
        println!("\npurse serving {} on http://{bind}/", dir.display());
        if users.is_empty() {
            println!(
                "  no users yet: add one with `purse user add NAME --role admin --data-dir {}`",
                dir.display()
            );
        } else {
            println!(
                "  log in at http://{bind}/login ({} users); Ctrl-C stops",
                users.len()
            );
        }
        purse::web::serve(state, listener).await
    })?;
    Ok(())
}

fn print_datasets(wh: &Warehouse) -> Result<()> {
    println!(
        "{:<18} {:>10}  {:<30} sources",
        "dataset", "rows", "periods"
    );
    for d in wh.summary()? {
        let mut sources = d.sources.clone();
        let more = sources.len().saturating_sub(3);
        sources.truncate(3);
        let more = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        let periods = ingest::summarize_periods(&d.periods);
        println!(
            "{:<18} {:>10}  {periods:<30} {}{more}",
            d.dataset,
            d.rows,
            sources.join(", ")
        );
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

/// "Why this alert": the rule's SQL and the parameters as the latest run bound them, the
/// finding's evidence, and the source rows behind it with their file, sheet and row.
fn explain_alert(
    dir: &std::path::Path,
    store: &purse::alerts::AlertStore,
    a: &purse::alerts::Alert,
) -> anyhow::Result<()> {
    let Some(ex) = store.explain(a.id, &a.last_period)? else {
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
        purse::rules::explain::source_rows(&ctx, &catalog, rule, &ex.evidence, &ex.period).await
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
