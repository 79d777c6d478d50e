//! The `--scale 20` province-year shared by the benchmarks: generated once into
//! `$CARGO_TARGET_DIR/purse-bench/` (or `target/purse-bench/`) and reused.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use purse::config::Config;
use purse::datasets::Catalog;
use purse::ingest::{Options, Status, ingest_paths};
use purse::warehouse::Warehouse;

pub fn root() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("purse-bench")
}

/// The scale-20 extracts of every dataset.
pub fn extracts() -> PathBuf {
    let dir = root().join("scale20");
    let done = dir.join(".complete");
    if !done.exists() {
        eprintln!(
            "generating --scale 20 into {} (once; a few minutes)",
            dir.display()
        );
        // The generator is the binary's (`purse gen`), not the library's.
        let made = std::process::Command::new(env!("CARGO_BIN_EXE_purse"))
            .args(["gen", "--scale", "20", "--seed", "2025", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let summary = String::from_utf8_lossy(&made.stdout).into_owned();
        eprintln!("{summary}");
        std::fs::write(&done, summary).unwrap();
    }
    dir
}

/// A data directory with the scale-20 region loaded.
pub fn loaded() -> PathBuf {
    let data = root().join("scale20-data");
    let done = data.join(".complete");
    if !done.exists() {
        let src = extracts();
        let _ = std::fs::remove_dir_all(&data);
        eprintln!("loading --scale 20 into {} (once)", data.display());
        ingest_into(&data, &[src]);
        std::fs::write(&done, "").unwrap();
    }
    data
}

pub fn ingest_into(dir: &Path, paths: &[PathBuf]) {
    let config = Config {
        region_code: purse::config::DEMO_REGION.0.into(),
        region_name: purse::config::DEMO_REGION.1.into(),
        ..Config::default()
    };
    let catalog = Catalog::builtin();
    let mut wh = Warehouse::open(dir).unwrap();
    let out = ingest_paths(
        &mut wh,
        &catalog,
        &config,
        paths,
        &Options::default(),
        |_| {},
    )
    .unwrap();
    assert!(
        out.iter()
            .all(|o| o.status == Status::Loaded || o.status == Status::Unchanged),
        "{out:#?}"
    );
}
