//! The subcommands of `purse`, one module each: its arguments (`Args`) and what it does
//! (`run`). Shared here: the data-directory flag, the period-range parser and the loading of a
//! directory's catalog and rules.

pub mod alert;
pub mod alerts;
pub mod ask;
pub mod backtest;
pub mod backup;
pub mod check;
pub mod cluster;
pub mod datasets;
pub mod demo;
pub mod generate;
pub mod ingest;
pub mod init;
pub mod loads;
pub mod problems;
pub mod project;
pub mod quality;
pub mod query;
pub mod report;
mod review;
pub mod rules;
pub mod runs;
pub mod schema;
pub mod serve;
pub mod sql_worker;
pub mod synth;
pub mod user;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use purse::common::period::Period;
use purse::config::{Config, resolve_data_dir};
use purse::datasets::Catalog;
use purse::ingest::{Outcome, Status};
use purse::output::{Format, render};
use purse::warehouse::Warehouse;

#[derive(clap::Args, Clone)]
pub struct DataDir {
    /// Data directory (default: $PURSE_DATA_DIR, else ./purse-data)
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

/// An audit trail (an alert's or a problem item's), oldest first.
fn print_trail(events: Vec<purse::workflow::Event>) {
    println!("audit trail:");
    for e in events {
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
}

/// `2025-10` or `2025-01..2025-12`, each month checked.
fn periods(spec: &str) -> Result<Vec<Period>> {
    let Some((a, b)) = spec.split_once("..") else {
        return Ok(vec![spec.parse::<Period>()?]);
    };
    let (mut p, end) = (a.parse::<Period>()?, b.parse::<Period>()?);
    let mut out = Vec::new();
    while p <= end {
        out.push(p);
        p = p.next();
        if out.len() > 1200 {
            bail!("period range too long");
        }
    }
    Ok(out)
}

/// `--period` if given (checked), else the newest period with budget execution.
async fn period_or_latest(
    ctx: &datafusion::prelude::SessionContext,
    period: Option<&str>,
) -> Result<Period> {
    Ok(match period {
        Some(p) => p.parse::<Period>()?,
        None => purse::figures::periods(ctx, &["budget_execution"])
            .await?
            .into_iter()
            .next()
            .context("no budget execution loaded")?
            .parse()?,
    })
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

/// Who acts on the command line: `--actor`, else $USER, else `cli`.
fn actor_or_user(actor: Option<String>) -> String {
    actor
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".into())
}

fn catalog_for(dir: &std::path::Path) -> Result<(Config, Catalog)> {
    let config = Config::load(dir)?;
    let catalog = Catalog::of_deployment(dir, &config.aliases)?;
    Ok((config, catalog))
}

#[derive(Subcommand)]
pub enum Cmd {
    /// The SQL console's worker (started by the server, one per query; not for people)
    #[command(hide = true)]
    SqlWorker(sql_worker::Args),
    /// Write DIR/purse.toml for a deployment: its region and every other setting, commented
    Init(init::Args),
    /// Load extracts (CSV in UTF-8/GBK, XLSX) into the warehouse; folders load every extract in them
    Ingest(ingest::Args),
    /// Run read-only SQL over the warehouse
    Query(query::Args),
    /// Ask a question in Chinese (问数): the answer with the SQL and rows behind it
    Ask(ask::Args),
    /// Write a synthetic region (demo, tests, benchmarks), deterministically from a seed
    Gen(generate::Args),
    /// Generate the demo region 示范市, load and check it, create a demo account per role, and serve
    Demo(demo::Args),
    /// Serve the web front end and the JSON API, with the monthly report scheduler
    Serve(serve::Args),
    /// Local users and their roles
    User(user::Args),
    /// Make the monthly alert report (月度预警报告) of a period
    Report(report::Args),
    /// The annual review of a budget year: draft budget, final accounts, publication (预算审查)
    Review(review::Args),
    /// What is loaded: dataset, periods, rows, sources
    Datasets(datasets::Args),
    /// The load manifest: every file accepted or rejected, newest first
    Loads(loads::Args),
    /// The canonical schema of each dataset, with column docs and accepted headers
    Schema(schema::Args),
    /// Run the rules for a period (or a range 2025-01..2025-12) and store the alerts
    Check(check::Args),
    /// The rule catalog: id, title, category, datasets, severity, parameters, how often fired
    Rules(rules::Args),
    /// List alerts
    Alerts(alerts::Args),
    /// Past `purse check` runs: period, rules run, findings by level, new and resolved, time
    Runs(runs::Args),
    /// Show an alert or move it through its lifecycle
    Alert(alert::Args),
    /// The problem list (问题清单) and its rectification loop: list, add, import alerts, steps, ratings
    Problems(problems::Args),
    /// Where the year will end at its pace (年终执行预测), with intervals; --accuracy for the backtest
    Project(project::Args),
    /// Try a rule, with changed parameters (--set), over past periods without touching alerts
    Backtest(backtest::Args),
    /// The data-quality scorecard per source: timeliness, completeness, reconciliation, files
    Quality(quality::Args),
    /// Copy the data directory (database, live and replaced parts, settings) into a new folder, consistently while the server runs
    Backup(backup::Args),
    /// Check a data directory: the database, every live part against its checksum and row count, every alert's evidence
    Verify(backup::VerifyArgs),
    /// A Ballista scheduler for `--engine ballista://HOST:PORT` (a build with --features ballista)
    Scheduler(cluster::SchedulerArgs),
    /// A Ballista executor serving a scheduler; it reads the warehouse at the same path
    Executor(cluster::ExecutorArgs),
}

/// Runs one subcommand.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::SqlWorker(a) => sql_worker::run(a),
        Cmd::Init(a) => init::run(a),
        Cmd::Ingest(a) => ingest::run(a),
        Cmd::Query(a) => query::run(a),
        Cmd::Ask(a) => ask::run(a),
        Cmd::Gen(a) => generate::run(a),
        Cmd::Demo(a) => demo::run(a),
        Cmd::Serve(a) => serve::run(a),
        Cmd::User(a) => user::run(a),
        Cmd::Report(a) => report::run(a),
        Cmd::Review(a) => review::run(a),
        Cmd::Datasets(a) => datasets::run(a),
        Cmd::Loads(a) => loads::run(a),
        Cmd::Schema(a) => schema::run(a),
        Cmd::Check(a) => check::run(a),
        Cmd::Rules(a) => rules::run(a),
        Cmd::Alerts(a) => alerts::run(a),
        Cmd::Runs(a) => runs::run(a),
        Cmd::Project(a) => project::run(a),
        Cmd::Backtest(a) => backtest::run(a),
        Cmd::Quality(a) => quality::run(a),
        Cmd::Backup(a) => backup::run(a),
        Cmd::Verify(a) => backup::verify(a),
        Cmd::Scheduler(a) => cluster::scheduler(a),
        Cmd::Executor(a) => cluster::executor(a),
        Cmd::Alert(a) => alert::run(a),
        Cmd::Problems(a) => problems::run(a),
    }
}
