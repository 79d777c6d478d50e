//! Shared helpers: a fresh data directory, ingesting through the library as the CLI does,
//! and reading back what the warehouse holds.
#![allow(dead_code)]

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

pub fn ingest(dir: &Path, paths: &[PathBuf], opts: &Options) -> Vec<Outcome> {
    let config = Config::load(dir).unwrap();
    let catalog = Catalog::with_aliases(&config.aliases).unwrap();
    let mut wh = Warehouse::open(dir).unwrap();
    ingest::ingest_paths(&mut wh, &catalog, &config, paths, opts, |_| {}).unwrap()
}

pub fn ingest_one(dir: &Path, path: PathBuf) -> Outcome {
    let mut v = ingest(dir, &[path], &Options::default());
    assert_eq!(v.len(), 1, "{v:#?}");
    v.remove(0)
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
