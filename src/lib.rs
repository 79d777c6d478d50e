//! purse: online supervision of the public purse (预算联网监督).
//!
//! Data flows top to bottom: [`ingest`] reads extracts as they arrive and validates them,
//! [`warehouse`] keeps them as hive-partitioned Parquet with a SQLite manifest, [`engine`]
//! registers every dataset in one DataFusion context for queries and rules, [`rules`] turns SQL
//! files into findings, [`alerts`] keeps them with their lifecycle, and [`check`] runs the three
//! in order. [`synth`] makes a synthetic region for demos, tests and benchmarks.

pub mod access;
pub mod alerts;
pub mod backup;
pub mod charts;
pub mod check;
pub mod child;
pub mod cluster;
pub mod config;
pub mod console;
pub mod cores;
pub mod datasets;
pub mod db;
pub mod engine;
pub mod error;
pub mod figures;
pub mod foresight;
pub mod i18n;
pub mod ingest;
pub mod logs;
pub mod memory;
pub mod output;
pub mod period;
pub mod problems;
pub mod report;
pub mod rules;
pub mod synth;
pub mod users;
pub mod views;
pub mod warehouse;
pub mod web;

pub use error::{PurseError, Result};

/// Bytes as lower-case hex (digests, tokens).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
