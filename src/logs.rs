//! Structured logs on stderr, with `tracing`: a span per web request (method, route), per rule
//! run (rule, period) and per file loaded (file), each closed by one event saying how it went.
//!
//! `PURSE_LOG` chooses what is written, in `tracing`'s filter syntax (`info`, `purse=debug`,
//! `warn,purse::rules=info`); by default the server logs at `info` and the other commands only
//! warnings, so a command's own output stays what it was. `PURSE_LOG_FORMAT=json` writes one
//! JSON object per line (for journald or a log shipper), with the spans' fields on each event.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber once; `server` picks the default level. A bad `PURSE_LOG` is said
/// and the default used.
pub fn init(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = match std::env::var("PURSE_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(v.trim()).unwrap_or_else(|e| {
            eprintln!("purse: PURSE_LOG `{v}` is not a filter ({e}): using `{default}`");
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    };
    let json = std::env::var("PURSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    // A second call (tests) keeps the first subscriber.
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}
