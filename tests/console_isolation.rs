//! The SQL console cannot hurt the server: a real `purse serve` answers a string bomb, an endless
//! query and a panicking query through the API with the adviser's error, its own peak memory
//! stays small (each query runs in a `purse sql-worker` child with an address-space limit), and
//! it still serves afterwards.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; returns (status, headers, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo_config(&data);
    let mut toml = std::fs::read_to_string(data.join("purse.toml")).unwrap();
    // The file ends in its [web] table: tight console bounds for the test.
    toml.push_str("sql_timeout_secs = 3\nsql_memory_mib = 256\n");
    std::fs::write(data.join("purse.toml"), toml).unwrap();
    let bin = env!("CARGO_BIN_EXE_purse");
    let run = |args: &[&str]| {
        let o = Command::new(bin)
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
    };
    run(&["ingest", "-q", fixture("demo/revenue").to_str().unwrap()]);
    run(&[
        "user",
        "add",
        "adviser",
        "--role",
        "adviser",
        "--password",
        "pw-adviser-123",
    ]);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["serve", "--bind", &addr, "--data-dir"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, addr };
    let t0 = Instant::now();
    while http_ok(&server.addr).is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (dir, server)
}

fn http_ok(addr: &str) -> Option<()> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut b = String::new();
    s.read_to_string(&mut b).ok()?;
    b.starts_with("HTTP/1.1 200").then_some(())
}

/// The server process's peak resident memory (VmHWM), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024
}

#[test]
fn hostile_queries_are_the_advisers_errors_and_the_server_stays_small() {
    let (_dir, server) = start();
    let a = server.addr.as_str();
    let (s, head, body) = http(
        a,
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        r#"{"user":"adviser","password":"pw-adviser-123"}"#,
    );
    assert_eq!(s, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();
    let sql = |q: &str| {
        let body = serde_json::json!({ "sql": q }).to_string();
        let (s, _, b) = http(
            a,
            "POST",
            "/api/sql",
            &[
                ("Content-Type", "application/json"),
                ("Cookie", &cookie),
                ("X-CSRF-Token", &csrf),
            ],
            &body,
        );
        (
            s,
            serde_json::from_str::<serde_json::Value>(&b).unwrap_or(serde_json::Value::Null),
        )
    };

    // Scalar functions allocate outside DataFusion's pool: the worker's address space stops it.
    let (s, v) = sql("SELECT max(length(s)) FROM (SELECT repeat(repeat('x', 100000000), 6) AS s)");
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("memory_limit")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("256 MiB"),
        "{v}"
    );

    // An endless query is stopped at the time limit.
    let t0 = Instant::now();
    let (s, v) = sql(
        "SELECT max(x * y) FROM generate_series(1, 200000) a(x), generate_series(1, 200000) b(y)",
    );
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (408, Some("timeout")),
        "{v}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "stopped at the limit: {:?}",
        t0.elapsed()
    );

    // A panic in the engine (injected: debug builds only) is an internal error for the adviser.
    let (s, v) = sql("SELECT 1 /* purse:panic */");
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (500, Some("internal")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("a bug"),
        "{v}"
    );

    // The server still answers, with the right figures.
    let (s, v) = sql("SELECT count(*) AS n FROM revenue WHERE period = '2025-03'");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows"][0][0], serde_json::json!(19));
    assert!(http_ok(a).is_some());
    let peak = peak_mib(server.child.id());
    assert!(
        peak < 256,
        "the server's own peak memory is {peak} MiB (the console's pool is 256 MiB)"
    );
}
