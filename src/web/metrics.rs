//! `/metrics` in the Prometheus text format (version 0.0.4).
//!
//! Two sources. Requests are timed here, in the server, per route pattern (`/alerts/{id}`, not
//! each id) and method. Everything the stores know — rows loaded, loads by outcome, each rule's
//! run times, console queries and their refusals, open alerts by level — is read from
//! `purse.db` at scrape time, so it counts what `purse ingest` and `purse check` did from the
//! command line as well as what the server did, and survives a restart.
//!
//! Who may scrape: with `[web] metrics_token` set, a request carrying `Authorization: Bearer
//! <token>`; without it, only a request made on this machine directly (a loopback peer and no
//! proxy's forwarding header), so a reverse proxy never exposes it by accident.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::ClientAddr;

/// A request answered in this long or longer is logged at `info`.
const SLOW_SECS: f64 = 1.0;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Observations at or below each bound (cumulative when printed).
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// One route pattern's figures for one method.
struct Series {
    method: String,
    latency: Histogram,
    /// Responses by status.
    statuses: BTreeMap<u16, u64>,
}

/// What the server measures itself: request latency per (route, method) and responses per
/// status. One lock, and no allocation on a request once its route and method have been seen
/// (the route is looked up by the router's `&str`).
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<HashMap<String, Vec<Series>>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut routes = super::lock(&self.routes);
        let series = match routes.get_mut(route) {
            Some(v) => v,
            None => routes.entry(route.to_string()).or_default(),
        };
        let s = match series.iter().position(|s| s.method == method) {
            Some(i) => &mut series[i],
            None => {
                series.push(Series {
                    method: method.to_string(),
                    latency: Histogram::default(),
                    statuses: BTreeMap::new(),
                });
                series.last_mut().expect("just pushed")
            }
        };
        s.latency.observe(secs);
        *s.statuses.entry(status).or_default() += 1;
    }

    fn render(&self, out: &mut String) {
        let routes = super::lock(&self.routes);
        let mut sorted: Vec<(&String, &Series)> = routes
            .iter()
            .flat_map(|(r, v)| v.iter().map(move |s| (r, s)))
            .collect();
        sorted.sort_by(|a, b| (a.0, &a.1.method).cmp(&(b.0, &b.1.method)));
        out.push_str("# HELP purse_http_request_duration_seconds Time to answer a request, by route pattern and method.\n");
        out.push_str("# TYPE purse_http_request_duration_seconds histogram\n");
        for (route, s) in &sorted {
            let h = &s.latency;
            let labels = format!("method=\"{}\",route=\"{}\"", esc(&s.method), esc(route));
            let mut cumulative = 0;
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                cumulative += c;
                let _ = writeln!(
                    out,
                    "purse_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "purse_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "purse_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "purse_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP purse_http_responses_total Responses, by route pattern, method and status.\n",
        );
        out.push_str("# TYPE purse_http_responses_total counter\n");
        for (route, s) in &sorted {
            for (status, n) in &s.statuses {
                let _ = writeln!(
                    out,
                    "purse_http_responses_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    esc(&s.method),
                    esc(route)
                );
            }
        }
    }
}

/// A label value as the text format wants it: backslash, quote and line feed escaped.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Times every routed request (the route's pattern from the router, never the raw path, so
/// ids do not make a series each), inside a `request` span (method, route, at `debug`) closed by
/// one event with the status and the time taken.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    use tracing::Instrument as _;
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", |m| m.as_str());
    let method = req.method().clone();
    // At `debug`, like the access log: at the default `info` neither costs a request anything
    // (a busy server answers tens of thousands a second); failed and slow ones are still said.
    let span = tracing::debug_span!("request", method = %method, route = %route);
    let started = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    st.metrics.record(method.as_str(), route, status, secs);
    // Every answer at `debug` (an access log: PURSE_LOG=info,purse::web=debug); at `info` only
    // the failed and the slow, with their method and route, so a busy server's log says what
    // needs looking at.
    let ms = (secs * 1000.0 * 10.0).round() / 10.0;
    if status >= 500 {
        tracing::warn!(method = %method, route, status, ms, "answered");
    } else if secs >= SLOW_SECS {
        tracing::info!(method = %method, route, status, ms, "answered slowly");
    } else {
        span.in_scope(|| tracing::debug!(status, ms, "answered"));
    }
    res
}

/// Whether this request may read the metrics (see the module's doc).
fn allowed(st: &AppState, headers: &HeaderMap, addr: &str) -> bool {
    match st
        .config
        .web
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| super::auth::same(sent.trim(), token)),
        None => {
            let local = addr == "local"
                || addr
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            let forwarded = headers.contains_key("x-forwarded-for")
                || headers.contains_key("forwarded")
                || headers.contains_key("x-real-ip");
            local && !forwarded
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Response {
    if !allowed(&st, &headers, &addr) {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    }
    let mut out = String::new();
    st.metrics.render(&mut out);
    let dir = st.data_dir.clone();
    match tokio::task::spawn_blocking(move || stored(&dir)).await {
        Ok(Ok(s)) => out.push_str(&s),
        Ok(Err(e)) => {
            let _ = writeln!(
                out,
                "# the stores could not be read: {}",
                esc(&e.to_string())
            );
            out.push_str("purse_store_up 0\n");
        }
        Err(_) => out.push_str("purse_store_up 0\n"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// One metric family: its help and type, then a line per (labels, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, rows: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in rows {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

/// What `purse.db` knows, as metrics.
fn stored(dir: &Path) -> crate::Result<String> {
    let db = crate::db::open_read_only(dir)?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    // (label value, number) per row of a two-column query.
    let query = |sql: &str| -> rusqlite::Result<Vec<(String, f64)>> {
        let mut st = db.prepare(sql)?;
        st.query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, f64>(1)?,
            ))
        })?
        .collect()
    };
    let labelled = |label: &str, rows: Vec<(String, f64)>| -> Vec<(String, f64)> {
        rows.into_iter()
            .map(|(l, n)| (format!("{{{label}=\"{}\"}}", esc(&l)), n))
            .collect()
    };
    let bare = |rows: Vec<(String, f64)>| -> Vec<(String, f64)> {
        rows.into_iter().map(|(_, n)| (String::new(), n)).collect()
    };
    let has = |t: &str| crate::db::has_table(&db, t);
    let mut out = String::from("purse_store_up 1\n");
    if has("loads")? {
        family(
            &mut out,
            "purse_loads_total",
            "counter",
            "Files loaded or refused, by outcome (accepted, rejected, aborted, retracted, retraction).",
            &labelled(
                "status",
                query("SELECT status, count(*) FROM loads GROUP BY status ORDER BY status")?,
            ),
        );
        family(
            &mut out,
            "purse_rows_loaded_total",
            "counter",
            "Rows of every accepted load.",
            &bare(query(
                "SELECT NULL, coalesce(sum(rows), 0) FROM loads WHERE status = 'accepted'",
            )?),
        );
        family(
            &mut out,
            "purse_data_version",
            "gauge",
            "The newest load id: it changes whenever the data does.",
            &bare(query("SELECT NULL, coalesce(max(id), 0) FROM loads")?),
        );
    }
    if has("run_rules")? {
        // A summary without quantiles: its _sum and _count series under one help and type.
        let sums = labelled(
            "rule",
            query(
                "SELECT rule_id, sum(duration_ms) / 1000.0 FROM run_rules GROUP BY rule_id ORDER BY rule_id",
            )?,
        );
        let counts = labelled(
            "rule",
            query("SELECT rule_id, count(*) FROM run_rules GROUP BY rule_id ORDER BY rule_id")?,
        );
        family(
            &mut out,
            "purse_rule_run_seconds",
            "summary",
            "Time each rule took per run (purse check, uploads, the scheduler).",
            &[],
        );
        for (suffix, rows) in [("sum", sums), ("count", counts)] {
            for (l, v) in rows {
                let _ = writeln!(out, "purse_rule_run_seconds_{suffix}{l} {v}");
            }
        }
    }
    if has("sql_log")? {
        family(
            &mut out,
            "purse_console_queries_total",
            "counter",
            "SQL console queries, answered or refused (not read-only, over a bound, or failed).",
            &labelled(
                "outcome",
                query(
                    "SELECT CASE WHEN error IS NULL THEN 'answered' ELSE 'refused' END, count(*) FROM sql_log GROUP BY 1 ORDER BY 1",
                )?,
            ),
        );
    }
    if has("alerts")? {
        family(
            &mut out,
            "purse_alerts_open",
            "gauge",
            "Alerts still open (not closed, dismissed, resolved or cleared), by level.",
            &labelled(
                "level",
                query(
                    "SELECT level, count(*) FROM alerts WHERE status NOT IN ('closed', 'dismissed', 'resolved', 'cleared') GROUP BY level ORDER BY level",
                )?,
            ),
        );
    }
    Ok(out)
}
