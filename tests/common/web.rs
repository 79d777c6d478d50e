//! The web app through its router, as a logged-in user: shared by the web and access tests.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use tower::ServiceExt;

use purse::config::Config;
use purse::datasets::Catalog;
use purse::users::Users;
use purse::web::{AppState, app};

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

pub fn state(dir: &Path, config: Config) -> AppState {
    // Console queries run in `purse sql-worker` children: the test binary is not purse.
    // SAFETY: every test sets the same value before any query runs.
    unsafe { std::env::set_var("PURSE_SQL_WORKER", env!("CARGO_BIN_EXE_purse")) };
    let app = purse::app::App::open_blocking(dir, Catalog::builtin(), config).unwrap();
    AppState::new(std::sync::Arc::new(app))
}

pub struct Client {
    pub state: AppState,
    pub cookie: String,
    pub csrf: String,
}

impl Client {
    /// Logged in as `user` (sessions are made directly: the login flow has its own test).
    pub fn new(dir: &Path, user: &str) -> Client {
        Client::with_config(dir, user, Config::load(dir).unwrap())
    }
    pub fn with_config(dir: &Path, user: &str, config: Config) -> Client {
        let (token, s) = Users::open(dir).unwrap().login(user).unwrap();
        Client {
            state: state(dir, config),
            cookie: format!("purse_session={token}"),
            csrf: s.csrf,
        }
    }
    pub async fn send(&self, req: Request<Body>) -> Response {
        app(self.state.clone()).oneshot(req).await.unwrap()
    }
    pub async fn get(&self, uri: &str) -> (StatusCode, String) {
        let r = self
            .send(
                Request::get(uri)
                    .header(header::COOKIE, &self.cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let s = r.status();
        (s, body(r).await)
    }
    pub async fn form(&self, uri: &str, fields: &[(&str, &str)]) -> Response {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        self.send(
            Request::post(uri)
                .header(header::COOKIE, &self.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.join("&")))
                .unwrap(),
        )
        .await
    }
    pub async fn json(
        &self,
        uri: &str,
        v: serde_json::Value,
        csrf: bool,
    ) -> (StatusCode, serde_json::Value) {
        let mut b = Request::post(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if csrf {
            b = b.header("x-csrf-token", &self.csrf);
        }
        let r = self.send(b.body(Body::from(v.to_string())).unwrap()).await;
        let s = r.status();
        (s, serde_json::from_str(&body(r).await).unwrap())
    }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn body(r: Response) -> String {
    let b = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
    String::from_utf8_lossy(&b).into_owned()
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A multipart form body: its content type and bytes.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "purseboundary7MA4YWxkTrZu0gW";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        b.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        b.extend(bytes);
        b.extend(b"\r\n");
    }
    b.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

impl Client {
    /// Posts a multipart form (fields and one file) with the session cookie.
    pub async fn multipart(
        &self,
        uri: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Response {
        let (ct, bytes) = multipart(fields, file);
        self.send(
            Request::post(uri)
                .header(header::COOKIE, &self.cookie)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(bytes))
                .unwrap(),
        )
        .await
    }
}
