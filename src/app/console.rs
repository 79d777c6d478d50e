//! The advisers' SQL console: a query runs in a child process, bounded by the deployment's
//! limits, as the user's reach sees the data, and is logged whatever the outcome.

use super::App;
use crate::console::{ConsoleError, Limits, Outcome};
use crate::users::Reach;

impl App {
    /// The console's bounds from `[web]` in purse.toml.
    pub fn console_limits(&self) -> Limits {
        let w = &self.config.web;
        Limits {
            max_rows: w.sql_max_rows.max(1),
            timeout: std::time::Duration::from_secs(w.sql_timeout_secs.max(1)),
            memory_bytes: w.sql_memory_mib.max(1) << 20,
        }
    }

    /// Runs one console query for `user` and logs it, whatever the outcome. In a child
    /// process: nothing an adviser writes can take the server's memory or threads.
    pub async fn console_query(
        &self,
        user: &str,
        reach: &Reach,
        sql: &str,
    ) -> Result<Outcome, ConsoleError> {
        let lim = self.console_limits();
        let t0 = std::time::Instant::now();
        let res = crate::console::run_isolated(&self.data_dir, sql, &lim, reach).await;
        let (rows, err) = match &res {
            Ok(o) => (Some(o.rows), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let (u, q, took) = (user.to_string(), sql.to_string(), t0.elapsed());
        if let Err(e) = self
            .console
            .write(move |c| c.log(&u, &q, took, rows, err.as_deref()))
            .await
        {
            tracing::error!(error = %e, "logging a console query");
        }
        res
    }
}
