//! purse: online supervision of the public purse (预算联网监督).
//!
//! Data flows top to bottom: [`ingest`] reads extracts as they arrive and validates them,
//! [`warehouse`] keeps them as hive-partitioned Parquet with a SQLite manifest, [`engine`]
//! registers every dataset in one DataFusion context for queries and rules, [`rules`] turns SQL
//! files into findings, [`alerts`] keeps them with their lifecycle, and [`check`] runs the three
//! in order. The synthetic region for demos, tests and benchmarks is the binary's (`purse gen`):
//! the library holds nothing only a demo needs.
//!
//! The house, bottom to top (a module imports only from floors below its own; `tests/layers.rs`
//! holds the same list and fails on an arrow running up or a circle between files of a folder):
//!
//! | floor | modules |
//! |---|---|
//! | 0 | [`error`], [`cores`], [`logs`], [`memory`] |
//! | 1 | [`common`] (money, cells, periods, levels, issues, workbooks), [`cluster`], [`config`], [`datasets`], [`db`], [`output`] |
//! | 2 | [`charts`], [`i18n`], [`users`], [`warehouse`], [`workflow`] (states, steps, trail, evidence files and due dates of alerts and problem items) |
//! | 3 | [`engine`], [`ingest`] |
//! | 4 | [`child`], [`rules`] |
//! | 5 | [`alerts`], [`console`], [`figures`] |
//! | 6 | [`ask`] (问数: questions in Chinese over a semantic layer), [`foresight`], [`problems`], [`trail`] (the money trail: payments behind a unit, project or alert) |
//! | 7 | [`access`], [`backup`] (it verifies both workflows' evidence files), [`check`], [`views`] |
//! | 8 | [`report`], [`review`] (the annual review: when its rules run, its report, adoption as 审议意见) |
//! | 9 | [`app`] |
//! | 10 | [`web`] |
//! | 11 | the binary's `cli` |

pub mod access;
pub mod alerts;
pub mod app;
pub mod ask;
pub mod backup;
pub mod charts;
pub mod check;
pub mod child;
pub mod cluster;
pub mod common;
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

pub mod problems;
pub mod report;
pub mod review;
pub mod rules;
pub mod trail;
pub mod users;
pub mod views;
pub mod warehouse;
pub mod web;
pub mod workflow;

pub use error::{PurseError, Result};

/// Bytes as lower-case hex (digests, tokens).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
