//! Shared helpers: a fresh data directory, ingesting through the library as the CLI does,
//! and reading back what the warehouse holds.
#![allow(dead_code)]

pub mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use purse::config::Config;
use purse::datasets::Catalog;
use purse::ingest::{self, Options, Outcome};
use purse::warehouse::Warehouse;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// `../shared/realdata`, beside the clone (as CI lays it out), or `$PURSE_SHARED/realdata`.
pub fn realdata(rel: &str) -> PathBuf {
    let base = std::env::var_os("PURSE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    let p = base.join("realdata").join(rel);
    assert!(
        p.exists(),
        "real data missing: {} (set PURSE_SHARED to the shared/ folder)",
        p.display()
    );
    p
}

/// The demo region's settings (what `purse demo` writes): fixtures/demo is its files.
pub fn demo_config(dir: &Path) {
    if !dir.join("purse.toml").exists() {
        let (code, name) = purse::config::DEMO_REGION;
        purse::config::write_init(dir, code, name, false).unwrap();
    }
}

/// Ingests as the demo deployment does (its purse.toml written first when absent).
pub fn ingest(dir: &Path, paths: &[PathBuf], opts: &Options) -> Vec<Outcome> {
    demo_config(dir);
    ingest_as_configured(dir, paths, opts)
}

/// Runs every rule of the built-in pack on `months`, in order, storing the alerts.
pub fn check_months(dir: &Path, months: &[&str]) {
    let catalog = Catalog::builtin();
    let set = purse::rules::RuleSet::builtin(&catalog, &Default::default()).unwrap();
    let rules = purse::check::select(&set, &[]).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for p in months {
        rt.block_on(purse::check::check(
            dir,
            &catalog,
            &rules,
            p.parse().unwrap(),
            false,
        ))
        .unwrap();
    }
}

/// Ingests with whatever DIR/purse.toml says, or none.
pub fn ingest_as_configured(dir: &Path, paths: &[PathBuf], opts: &Options) -> Vec<Outcome> {
    let config = Config::load(dir).unwrap();
    let catalog = Catalog::of_deployment(dir, &config.aliases).unwrap();
    let mut wh = Warehouse::open(dir).unwrap();
    ingest::ingest_paths(&mut wh, &catalog, &config, paths, opts, |_| {}).unwrap()
}

pub fn ingest_one(dir: &Path, path: PathBuf) -> Outcome {
    let mut v = ingest(dir, &[path], &Options::default());
    assert_eq!(v.len(), 1, "{v:#?}");
    v.remove(0)
}

/// The id of the load `purse loads --json` lists first that `pick` chooses.
pub fn load_id(loads: &serde_json::Value, pick: impl Fn(&serde_json::Value) -> bool) -> i64 {
    loads
        .as_array()
        .and_then(|v| v.iter().find(|l| pick(l)))
        .and_then(|l| l["id"].as_i64())
        .unwrap_or_else(|| panic!("no such load in {loads:#}"))
}

/// Whether a load's file name ends with `suffix`.
pub fn file_ends_with(load: &serde_json::Value, suffix: &str) -> bool {
    load["file"].as_str().is_some_and(|f| f.ends_with(suffix))
}

/// Live rows per dataset according to the manifest.
pub fn rows_by_dataset(dir: &Path) -> BTreeMap<String, i64> {
    if !dir.join("purse.db").exists() {
        return BTreeMap::new();
    }
    let wh = Warehouse::open_read(dir).unwrap();
    wh.summary()
        .unwrap()
        .into_iter()
        .map(|d| (d.dataset, d.rows))
        .collect()
}

/// Every Parquet file under `warehouse/`, relative to it.
pub fn parquet_files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    let base = dir.join("warehouse");
    walk(&base, &base, &mut out);
    out.sort();
    out
}

/// Runs SQL through the same engine `purse query` uses.
pub fn query(dir: &Path, sql: &str) -> Vec<purse::output::Row> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let catalog = Catalog::builtin();
        let ctx = purse::engine::session(dir, &catalog).await.unwrap();
        let batches = purse::engine::query(&ctx, sql).await.unwrap();
        purse::output::rows(&batches)
    })
}

/// March revenue as a bureau would re-send it: 增值税 (and its 类 total) up by `delta` 元.
pub fn corrected_revenue(dir: &Path, delta: f64) -> PathBuf {
    let text = std::fs::read_to_string(fixture("demo/revenue/2025-03.csv")).unwrap();
    let fixed: Vec<String> = text
        .lines()
        .map(|l| {
            let mut c: Vec<String> = l.split(',').map(str::to_string).collect();
            if c.len() > 6 && (c[1] == "101" || c[1] == "10101") {
                let v: f64 = c[6].parse().unwrap();
                c[6] = format!("{:.2}", v + delta);
            }
            c.join(",")
        })
        .collect();
    let path = dir.join("2025-03-更正.csv");
    std::fs::write(&path, fixed.join("\n")).unwrap();
    path
}

/// Opens the warehouse for writing (which recovers from any interrupted load) and checks that
/// the files on disk are exactly the live parts of the manifest, with the rows it records.
pub fn assert_consistent(dir: &Path) -> BTreeMap<String, i64> {
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let wh = Warehouse::open(dir).unwrap();
    let staging: i64 = wh
        .db
        .query_row(
            "SELECT count(*) FROM loads WHERE status='staging'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(staging, 0, "a load is still marked staging after recovery");
    let mut stmt = wh
        .db
        .prepare("SELECT path, rows FROM load_parts WHERE active=1 ORDER BY path")
        .unwrap();
    let live: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut expected: Vec<String> = live.iter().map(|(p, _)| p.clone()).collect();
    expected.sort();
    assert_eq!(
        parquet_files(dir),
        expected,
        "warehouse files differ from the manifest's live parts"
    );
    for (p, rows) in &live {
        let f = std::fs::File::open(dir.join("warehouse").join(p)).unwrap();
        let n = SerializedFileReader::new(f)
            .unwrap()
            .metadata()
            .file_metadata()
            .num_rows();
        assert_eq!(n, *rows, "{p}: rows on disk vs manifest");
    }
    let left = std::fs::read_dir(dir.join("staging"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "staging not swept");
    drop(stmt);
    wh.summary()
        .unwrap()
        .into_iter()
        .map(|d| (d.dataset, d.rows))
        .collect()
}
