//! `purse problems`: the problem list (问题清单) and its rectification loop from the command line:
//! list, add, import open alerts, take a step, rate, attach evidence.

use super::*;
use purse::problems::{Filter, NewProblem, ProblemStore, Rating, Source, Step};

#[derive(Subcommand)]
pub enum ProblemCmd {
    /// The list, overdue first
    List {
        #[arg(long)]
        unit: Option<String>,
        /// Only items past their due date and not closed
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        json: bool,
    },
    /// Put an item on the list (审议意见, 代表建议, 执法检查, an audit finding)
    Add {
        /// alert | audit | deliberation | suggestion | inspection (or 审议意见 …)
        #[arg(long)]
        source: String,
        /// The reference in its source (document number and item)
        #[arg(long = "ref")]
        source_ref: String,
        /// The source document's title
        #[arg(long, default_value = "")]
        document: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        detail: String,
        /// The responsible unit (责任单位)
        #[arg(long)]
        unit: String,
        /// What rectification is asked (整改要求)
        #[arg(long)]
        requirement: String,
        #[arg(long)]
        due: chrono::NaiveDate,
        #[arg(long)]
        region: Option<String>,
    },
    /// Put purse's open alerts on the list (each once)
    ImportAlerts {
        /// Due date for alerts without one
        #[arg(long)]
        due: chrono::NaiveDate,
    },
    /// Put the audit findings (审计查出问题) of the warehouse on the list (each once; rectified ones left off)
    ImportAudit {
        /// Due date for findings without one
        #[arg(long)]
        due: chrono::NaiveDate,
    },
    /// One item with its trail and evidence
    Show { id: i64 },
    /// 交办 to the unit
    Assign {
        id: i64,
        #[arg(long)]
        due: Option<chrono::NaiveDate>,
        #[arg(long)]
        requirement: Option<String>,
    },
    /// The unit's response
    Respond { id: i64, text: String },
    /// Attach an evidence file (kept by its hash)
    Evidence { id: i64, file: PathBuf },
    /// 销号
    Accept {
        id: i64,
        #[arg(default_value = "")]
        note: String,
    },
    /// 退回, with the reason
    SendBack { id: i64, reason: String },
    /// 满意度测评 of a closed item: satisfied | basically | unsatisfied (满意 | 基本满意 | 不满意)
    Rate {
        id: i64,
        rating: String,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// Who acts (recorded in the trail)
    #[arg(long, global = true, default_value = "cli")]
    pub actor: String,
    #[command(subcommand)]
    pub cmd: ProblemCmd,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    let mut s = ProblemStore::open(&dir)?;
    let actor = args.actor.as_str();
    let today = chrono::Local::now().date_naive();
    let step = |s: &mut ProblemStore, id: i64, st: Step| -> Result<ExitCode> {
        let p = s.step(id, &st, actor)?;
        println!(
            "#{} {} → {} ({})",
            p.id,
            p.title,
            p.status.zh(),
            p.status.as_str()
        );
        Ok(ExitCode::SUCCESS)
    };
    match args.cmd {
        ProblemCmd::List {
            unit,
            overdue,
            json,
        } => {
            let f = Filter {
                unit,
                overdue_on: overdue.then_some(today),
                ..Default::default()
            };
            let list = s.list(&f, today)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for p in &list {
                    println!(
                        "#{:<5} {:<8} {:<10} {} {}  {} · {} · due {}{}",
                        p.id,
                        p.status.zh(),
                        p.source.zh(),
                        p.title,
                        p.source_ref,
                        p.unit,
                        p.requirement,
                        p.due_date,
                        if p.overdue { " · 逾期 overdue" } else { "" }
                    );
                }
                println!("{} items", list.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::Add {
            source,
            source_ref,
            document,
            title,
            detail,
            unit,
            requirement,
            due,
            region,
        } => {
            let source = Source::parse(&source).with_context(|| {
                format!("--source `{source}`: alert, audit, deliberation, suggestion or inspection")
            })?;
            let p = s.add(
                &NewProblem {
                    source,
                    source_ref,
                    source_document: document,
                    title,
                    detail,
                    region_code: region,
                    unit,
                    requirement,
                    due_date: due,
                },
                actor,
            )?;
            println!("#{} {} ({})", p.id, p.title, p.status.zh());
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::ImportAlerts { due } => {
            let alerts = purse::alerts::AlertStore::open(&dir)?;
            let n = s.import_alerts(&alerts, due, actor)?;
            println!("{n} open alerts put on the problem list");
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::ImportAudit { due } => {
            let (_, catalog) = catalog_for(&dir)?;
            let rt = tokio::runtime::Runtime::new()?;
            let findings = rt.block_on(async {
                let ctx = purse::engine::session(&dir, &catalog).await?;
                purse::problems::audit_findings(&ctx).await
            })?;
            let n = s.import_audit(&findings, due, actor)?;
            println!(
                "{n} audit findings put on the problem list (of {} in the warehouse)",
                findings.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::Show { id } => {
            let p = s.get(id)?;
            println!("{}", serde_json::to_string_pretty(&p)?);
            print_trail(s.events(id)?);
            for ev in s.evidence(id)? {
                println!(
                    "evidence {} {} bytes sha256:{} ({})",
                    ev.file, ev.bytes, ev.sha256, ev.actor
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::Assign {
            id,
            due,
            requirement,
        } => step(&mut s, id, Step::Assign { requirement, due }),
        ProblemCmd::Respond { id, text } => step(&mut s, id, Step::Respond { text }),
        ProblemCmd::Accept { id, note } => step(&mut s, id, Step::Accept { note }),
        ProblemCmd::SendBack { id, reason } => step(&mut s, id, Step::SendBack { reason }),
        ProblemCmd::Evidence { id, file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ev = s.add_evidence(id, &name, &bytes, actor)?;
            println!(
                "kept {} ({} bytes, sha256:{})",
                ev.file, ev.bytes, ev.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        ProblemCmd::Rate { id, rating, note } => {
            let r = Rating::parse(&rating).with_context(|| {
                format!(
                    "rating `{rating}`: satisfied, basically or unsatisfied (满意/基本满意/不满意)"
                )
            })?;
            let p = s.rate(id, r, note.as_deref(), actor)?;
            println!(
                "#{} rated {}: now {} ({})",
                p.id,
                r.as_str(),
                p.status.zh(),
                p.status.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
