//! `purse demo`: Generate the demo region 示范市, load and check it, create a demo account per role, and serve.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    /// Where the demo's data directory goes (default: purse-demo in the system's temp folder)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Prepare the data directory and stop, without serving
    #[arg(long)]
    pub no_serve: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        data_dir,
        bind,
        no_serve,
    } = args;
    let data_dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join("purse-demo"));
    let rejected = prepare_demo(&data_dir)?;
    let unit = seed_problems(&data_dir)?;
    let mut users = purse::users::Users::open(&data_dir)?;
    let accounts = [
        ("viewer", purse::users::Role::Viewer),
        ("analyst", purse::users::Role::Analyst),
        ("adviser", purse::users::Role::Adviser),
        ("admin", purse::users::Role::Admin),
        ("unit", purse::users::Role::Unit),
        ("district", purse::users::Role::Viewer),
    ];
    for (name, role) in accounts {
        users.add(name, role, &format!("demo-{name}"), "demo")?;
    }
    users.set_reach(
        "unit",
        &purse::users::Reach {
            units: vec![unit.clone()],
            ..Default::default()
        },
        "demo",
    )?;
    users.set_reach(
        "district",
        &purse::users::Reach {
            regions: vec![DEMO_DISTRICT.into()],
            ..Default::default()
        },
        "demo",
    )?;
    drop(users);
    let d = data_dir.display();
    println!("\nDemo accounts (user / password): viewer / demo-viewer, analyst / demo-analyst,");
    println!("  adviser / demo-adviser (SQL console), admin / demo-admin (users, uploads),");
    println!("  unit / demo-unit (the responsible unit {unit}: its problem items only),");
    println!("  district / demo-district (a viewer who sees region {DEMO_DISTRICT} only)");
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
    super::serve::serve(&data_dir, bind, false)?;
    Ok(ExitCode::SUCCESS)
}

/// The district the demo's bounded account sees (its debt rows are in the demo data).
const DEMO_DISTRICT: &str = "990102";

/// Puts the demo's open alerts and two deliberation opinions (审议意见) on the problem list, and
/// answers the unit with the most items (the demo's `unit` account). Running it again adds
/// nothing.
fn seed_problems(data_dir: &std::path::Path) -> Result<String> {
    use purse::problems::{NewProblem, ProblemStore, Source};
    let mut store = ProblemStore::open(data_dir)?;
    let alerts = purse::alerts::AlertStore::open(data_dir)?;
    // Alerts are due in a month; the two opinions were due ten days ago (overdue, as lists are).
    let today = chrono::Local::now().date_naive();
    let due = today + chrono::Duration::days(30);
    let added = store.import_alerts(&alerts, due, "demo")?;
    let due = today - chrono::Duration::days(10);
    let all = store.list(&Default::default(), chrono::Local::now().date_naive())?;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for p in &all {
        *counts.entry(p.unit.clone()).or_default() += 1;
    }
    let unit = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(u, _)| u.clone())
        .unwrap_or_else(|| "示范市财政局".into());
    for (n, title, req) in [
        (
            "1",
            "部分专项资金下达后长期未分配使用",
            "清理沉淀资金，逐项说明未使用原因，按规定收回统筹",
        ),
        (
            "2",
            "项目支出预算执行进度明显滞后于序时进度",
            "分析滞后原因，制定执行计划，按月报送进度",
        ),
    ] {
        store.add(
            &NewProblem {
                source: Source::Deliberation,
                source_ref: format!("审议意见 2025-{n}"),
                source_document: "关于2025年预算执行情况的审议意见".into(),
                title: title.into(),
                detail: String::new(),
                region_code: Some(purse::config::DEMO_REGION.0.into()),
                unit: unit.clone(),
                requirement: req.into(),
                due_date: due,
            },
            "demo",
        )?;
    }
    let total = store
        .list(&Default::default(), chrono::Local::now().date_naive())?
        .len();
    println!("problem list: {added} alerts imported, {total} items in all");
    Ok(unit)
}

/// Generates the demo region into DIR/extracts, loads it and checks every month once; says
/// whether any extract was rejected. Running it again changes nothing.
pub fn prepare_demo(data_dir: &std::path::Path) -> Result<bool> {
    // The demo's own settings: its region is 示范市. A real deployment runs `purse init`.
    if !data_dir.join("purse.toml").exists() {
        let (code, name) = purse::config::DEMO_REGION;
        purse::config::write_init(data_dir, code, name, false)?;
    }
    let extracts = data_dir.join("extracts");
    println!("{}", synth::generate(&extracts, 1, 2025, &[])?);
    let (config, catalog) = catalog_for(data_dir)?;
    let mut wh =
        Warehouse::open(data_dir).with_context(|| format!("opening {}", data_dir.display()))?;
    let outcomes = purse::ingest::ingest_paths(
        &mut wh,
        &catalog,
        &config,
        std::slice::from_ref(&extracts),
        &purse::ingest::Options::default(),
        |o| super::ingest::print_outcome(o, true),
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
    super::datasets::print_datasets(&wh)?;
    drop(wh);
    // Check every month once; months already checked keep their alerts as they are.
    let set = purse::rules::RuleSet::resolve(None, data_dir, &catalog, &config.rules)?;
    let selected = purse::check::select(&set, &[])?;
    let done = purse::alerts::AlertStore::open(data_dir)?.checked_periods()?;
    let rt = tokio::runtime::Runtime::new()?;
    println!();
    let session = rt.block_on(purse::check::CheckSession::open(data_dir, &catalog))?;
    rt.block_on(session.validate(&set))?;
    for p in periods("2025-01..2025-12")? {
        if done.contains(&p) {
            continue;
        }
        let res = rt.block_on(session.check(data_dir, &selected, p, false))?;
        if let Some(s) = res.summary {
            println!(
                "checked {p}: {} rules, {} findings, {} new alerts, {} resolved by data ({} ms)",
                s.rules_run, s.findings, s.new_alerts, s.resolved, s.duration_ms
            );
        }
    }
    // The annual review of next year's draft (its final accounts, its publications), once.
    let year = 2026;
    if !done.contains(&format!("{year}-01").parse()?) {
        let review = rt.block_on(purse::review::run(
            &session,
            data_dir,
            &set,
            year,
            &config.region_name,
            false,
        ))?;
        println!(
            "reviewed the {year} draft budget: {} findings (purse review --year {year} writes the report)",
            review.findings.len()
        );
    }
    let alerts = purse::alerts::AlertStore::open(data_dir)?.list(&Default::default())?;
    let by_level: Vec<String> = purse::common::level::LEVELS
        .iter()
        .map(|l| format!("{l} {}", alerts.iter().filter(|a| a.level == *l).count()))
        .collect();
    println!("{} alerts ({})", alerts.len(), by_level.join(", "));
    Ok(n(Status::Rejected) > 0)
}
