//! The application's stores own their concurrency: SQLite calls run on tokio's blocking pool, never
//! on the async worker threads that serve every other request, and what every request needs
//! (its session, the data version) is answered from memory.
//!
//! One poller keeps memory honest: a thread with its own connection asks SQLite's
//! `PRAGMA data_version` a few times a second, which changes whenever any other connection (this
//! process's stores, a `purse ingest` or `purse check` from the command line, a second server)
//! commits to `purse.db`. When it changes, the poller reads the newest load id once and bumps
//! the generation, which empties the session cache and every cached page. In-process writes look
//! for their own commit at once, so a user sees their own change immediately; other processes'
//! changes are seen within [`POLL`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use rusqlite::Connection;

use crate::users::{Session, Users};

/// How often the poller looks for other processes' commits.
pub const POLL: Duration = Duration::from_millis(200);

use super::lock;

/// What changed in `purse.db`, as counters read from memory.
pub struct Versions {
    /// The newest load id: figures computed under an older one are stale.
    data: AtomicI64,
    /// Bumped on every commit anyone makes: sessions and rendered pages cached under an older
    /// generation are stale.
    generation: AtomicU64,
    /// The poller's own connection and the last `PRAGMA data_version` it saw.
    conn: Mutex<(Connection, i64)>,
}

impl Versions {
    /// Reads the current versions and starts the poller thread, which ends when the returned
    /// `Arc` is dropped.
    pub fn start(data_dir: &Path) -> crate::Result<Arc<Versions>> {
        let conn = crate::warehouse::DataVersion::open(data_dir)?.into_connection();
        let seen = pragma_version(&conn)?;
        let v = Arc::new(Versions {
            data: AtomicI64::new(max_load(&conn)?),
            generation: AtomicU64::new(1),
            conn: Mutex::new((conn, seen)),
        });
        let weak: Weak<Versions> = Arc::downgrade(&v);
        std::thread::Builder::new()
            .name("purse-versions".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL);
                    let Some(v) = weak.upgrade() else { return };
                    // A failed poll is retried on the next tick; the counters stay as they were.
                    let _ = v.refresh();
                }
            })
            .map_err(|e| crate::PurseError::io(data_dir, e))?;
        Ok(v)
    }

    pub fn data(&self) -> i64 {
        self.data.load(Ordering::Acquire)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks everything cached as stale (after an in-process write).
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Looks for commits since the last look; blocking (SQLite), so off the async threads.
    pub fn refresh(&self) -> crate::Result<()> {
        let mut g = lock(&self.conn);
        let now = pragma_version(&g.0)?;
        if now != g.1 {
            g.1 = now;
            let newest = max_load(&g.0)?;
            self.data.store(newest, Ordering::Release);
            self.bump();
        }
        Ok(())
    }
}

fn pragma_version(c: &Connection) -> crate::Result<i64> {
    Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

fn max_load(c: &Connection) -> crate::Result<i64> {
    Ok(c.query_row("SELECT coalesce(max(id), 0) FROM loads", [], |r| r.get(0))?)
}

/// A SQLite-backed store used only from the blocking pool. Writes bump the generation.
pub struct Store<T> {
    inner: Arc<Mutex<T>>,
    versions: Arc<Versions>,
}

impl<T> Clone for Store<T> {
    fn clone(&self) -> Self {
        Store {
            inner: self.inner.clone(),
            versions: self.versions.clone(),
        }
    }
}

impl<T: Send + 'static> Store<T> {
    pub fn new(store: T, versions: Arc<Versions>) -> Store<T> {
        Store {
            inner: Arc::new(Mutex::new(store)),
            versions,
        }
    }

    /// Runs a read on the blocking pool.
    pub async fn read<R, E, F>(&self, f: F) -> crate::Result<R>
    where
        F: FnOnce(&T) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: Into<crate::PurseError> + Send + 'static,
    {
        let inner = self.inner.clone();
        super::blocking(move || f(&lock(&inner))).await
    }

    /// Runs a write on the blocking pool; what was cached is stale afterwards if it committed
    /// anything, even if it then failed.
    pub async fn write<R, E, F>(&self, f: F) -> crate::Result<R>
    where
        F: FnOnce(&mut T) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: Into<crate::PurseError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let versions = self.versions.clone();
        super::blocking(move || {
            let r = f(&mut lock(&inner));
            // Seen now, once: the poller will find nothing new for this commit (a second bump
            // would only make pages drawn in between stale for nothing).
            if versions.refresh().is_err() {
                versions.bump();
            }
            r
        })
        .await
    }
}

/// Valid sessions by token, with their expiry (Unix seconds).
type SessionMap = HashMap<String, (Session, i64)>;

/// Sessions as the database had them at one generation, with their expiry.
#[derive(Default)]
pub struct Sessions {
    cache: RwLock<(u64, SessionMap)>,
}

/// Sessions remembered at most; past this the cache starts again (a flood of made-up tokens
/// cannot grow it, since only valid sessions are remembered, but users can be many).
const SESSIONS_MAX: usize = 10_000;

impl Sessions {
    /// The session of a token: from memory when the database has not changed since it was
    /// read and it has not expired, else from SQLite (on the blocking pool).
    pub async fn get(
        &self,
        users: &Store<Users>,
        versions: &Versions,
        token: &str,
    ) -> crate::Result<Option<Session>> {
        let generation = versions.generation();
        let now = chrono::Utc::now().timestamp();
        {
            let c = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if c.0 == generation
                && let Some((s, expires)) = c.1.get(token)
                && *expires >= now
            {
                return Ok(Some(s.clone()));
            }
        }
        let t = token.to_string();
        let found = users.read(move |u| u.session_until(&t)).await?;
        let mut c = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if c.0 < generation || c.1.len() >= SESSIONS_MAX {
            *c = (generation, HashMap::new());
        }
        // A read that raced a newer write is answered but not remembered.
        if c.0 == generation
            && let Some((s, expires)) = &found
        {
            c.1.insert(token.to_string(), (s.clone(), *expires));
        }
        Ok(found.map(|(s, _)| s))
    }
}
