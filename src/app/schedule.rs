//! The monthly report's scheduler: at each tick, makes every report that is due (by the
//! `[report] schedule` cron) and not yet archived. Ticking at start-up catches up on runs missed
//! while the server was down.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::{App, blocking};
use crate::common::Period;
use crate::error::Result;
use crate::i18n::Lang;
use crate::report::schedule::{Clock, Cron};

/// How many of the newest loaded months the scheduler catches up on.
pub const CATCH_UP_MONTHS: usize = 12;

/// Makes the reports that are due.
pub struct Scheduler {
    pub app: Arc<App>,
    pub cron: Cron,
}

impl Scheduler {
    pub fn new(app: Arc<App>) -> Result<Scheduler> {
        let cron = Cron::parse(&app.config.report.schedule)?;
        Ok(Scheduler { app, cron })
    }

    fn languages(&self) -> Vec<Lang> {
        let v: Vec<Lang> = self
            .app
            .config
            .report
            .languages
            .iter()
            .filter_map(|l| Lang::parse(l))
            .collect();
        if v.is_empty() { vec![Lang::Zh] } else { v }
    }

    /// Periods whose report is due at `now`, whose data is loaded, and which are not archived.
    pub async fn due(&self, now: NaiveDateTime) -> Result<Vec<Period>> {
        let dir = self.app.data_dir.clone();
        let loaded = blocking(move || match crate::warehouse::Warehouse::open_read(&dir) {
            Ok(wh) => Ok::<_, crate::PurseError>(
                wh.summary()?
                    .into_iter()
                    .find(|d| d.dataset == "budget_execution")
                    .map(|d| d.periods)
                    .unwrap_or_default(),
            ),
            Err(_) => Ok(vec![]),
        })
        .await?;
        // Only the twelve newest months are caught up: a deployment that loads years of history
        // (for projections and backtests) gets its reports from now on, not an archive of the
        // past; `purse report --period` still makes any month on demand.
        let mut loaded = loaded;
        loaded.sort();
        let loaded = loaded.split_off(loaded.len().saturating_sub(CATCH_UP_MONTHS));
        let langs = self.languages();
        let mut due: Vec<Period> = Vec::new();
        for p in loaded.iter().filter_map(|p| p.parse::<Period>().ok()) {
            if self.cron.due_time(p)? <= now {
                due.push(p);
            }
        }
        let dir = self.app.data_dir.clone();
        let mut v = blocking(move || {
            Ok::<_, crate::PurseError>(
                due.into_iter()
                    .filter(|p| {
                        !langs
                            .iter()
                            .all(|l| crate::report::archive_path(&dir, *p, *l, "html").exists())
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
        v.sort();
        Ok(v)
    }

    /// One tick: checks the rules for a due period that was never checked, then archives its
    /// report in every configured language. Returns the periods made.
    pub async fn tick(&self, now: NaiveDateTime) -> Result<Vec<String>> {
        let due = self.due(now).await?;
        if due.is_empty() {
            return Ok(vec![]);
        }
        let checked = self.app.alerts.read(|s| s.checked_periods()).await?;
        // Check first, then write: each report then sees the alerts of every due month.
        let unchecked: Vec<String> = due
            .iter()
            .filter(|p| !checked.contains(*p))
            .map(Period::to_string)
            .collect();
        self.app.check_periods(&unchecked).await?;
        for p in &due {
            for l in self.languages() {
                self.app.archive_report(*p, l).await?;
            }
        }
        Ok(due.iter().map(Period::to_string).collect())
    }

    /// Runs forever: a tick now (catch-up), then one each minute. Errors are logged, not fatal:
    /// a bad month must not stop next month's report.
    pub async fn run(self, clock: std::sync::Arc<dyn Clock>) {
        loop {
            match self.tick(clock.now()).await {
                Ok(made) if !made.is_empty() => {
                    tracing::info!(periods = %made.join(", "), "monthly reports archived")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "report scheduler"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }
}
