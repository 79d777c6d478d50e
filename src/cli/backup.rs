//! `purse backup DIR` and `purse verify`: a consistent copy of a data directory while the server
//! runs, and a check that a directory (the live one, or a backup before it is restored) holds
//! everything its manifest and alerts say it does.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    /// The folder to write the backup into (new, or empty). It is a data directory of its own:
    /// restore by serving it (`--data-dir`) or moving it into place.
    pub to: PathBuf,
    /// Also run `purse verify` on the finished backup
    #[arg(long)]
    pub verify: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    let started = std::time::Instant::now();
    let b = purse::backup::backup(&dir, &args.to)
        .with_context(|| format!("backing up {}", dir.display()))?;
    println!(
        "backed up {} into {} in {:.1} s: {} live parts and {} replaced ({:.1} MB of Parquet; {} compared with the SHA-256 recorded when written), {} loads, {} alerts, {} other files",
        dir.display(),
        b.dir.display(),
        started.elapsed().as_secs_f64(),
        b.live_parts,
        b.superseded_parts,
        b.part_bytes as f64 / 1e6,
        b.checked,
        b.loads,
        b.alerts,
        b.other_files
    );
    for m in &b.missing_superseded {
        println!("note: replaced part {m} was already gone from the data directory");
    }
    if args.verify {
        return verify_dir(&b.dir, false);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub dd: DataDir,
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
    /// First record the checksum of every part written before purse kept them (after reading it
    /// as Parquet with the rows the manifest says); later runs and backups then compare it
    #[arg(long)]
    pub record: bool,
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let dir = resolve_data_dir(args.dd.data_dir);
    if args.record {
        let n = Warehouse::open(&dir)?.record_checksums()?;
        println!("recorded the SHA-256 of {n} part(s) written before purse kept checksums");
    }
    verify_dir(&dir, args.json)
}

/// Exit 0 when nothing is damaged, 1 when something is (each problem printed).
fn verify_dir(dir: &std::path::Path, json: bool) -> Result<ExitCode> {
    let mut v = purse::backup::verify(dir)?;
    if Warehouse::open_read(dir).is_ok() {
        let (catalog, rules) = load_rules(dir, None)?;
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            let ctx = purse::engine::session(dir, &catalog).await?;
            purse::backup::verify_evidence(dir, &ctx, &catalog, &rules, &mut v).await
        })?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for p in &v.problems {
            println!("DAMAGED {}: {}", p.what, p.reason);
        }
        for n in &v.notes {
            println!("note {}: {}", n.what, n.reason);
        }
        if v.parts_without_checksum > 0 {
            println!(
                "note: {} live part(s) were written before purse kept checksums: read and counted, not compared (`purse verify --record` records them)",
                v.parts_without_checksum
            );
        }
        println!(
            "{}: {} live parts read ({} compared with their recorded SHA-256), evidence of {} alert periods read, source rows of {} alerts queried, {} evidence files compared: {}",
            dir.display(),
            v.parts,
            v.parts_with_checksum,
            v.evidence_read,
            v.alerts_queried,
            v.evidence_files,
            if v.ok() {
                "nothing damaged".to_string()
            } else {
                format!("{} problem(s)", v.problems.len())
            }
        );
    }
    Ok(if v.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
