//! When monthly reports are made: a cron-style setting (`minute hour day month weekday`, default
//! `0 8 5 * *`, the 5th of each month at 08:00 local time) and a scheduler that, at each tick,
//! makes every report that is due and not yet archived. Ticking at start-up catches up on runs
//! missed while the server was down. Time comes from a [`Clock`], so tests move it by hand.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::Config;
use crate::datasets::Catalog;
use crate::error::{PurseError, Result};
use crate::i18n::Lang;

/// How many of the newest loaded months the scheduler catches up on.
pub const CATCH_UP_MONTHS: usize = 12;

/// Local wall-clock time, or a hand-moved one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> NaiveDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        chrono::Local::now().naive_local()
    }
}

/// A five-field cron expression (`minute hour day month weekday`), read by the `croner` crate:
/// POSIX/Vixie semantics, so when both day of month and weekday are restricted a day matching
/// either fires (`0 8 1 * 1` is the 1st and every Monday), plus names (`MON`, `JAN`) and `L`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cron(croner::Cron);

impl Cron {
    pub fn parse(s: &str) -> Result<Cron> {
        if s.split_whitespace().count() != 5 {
            return Err(PurseError::Config(format!(
                "report schedule `{s}`: five fields expected (minute hour day month weekday), e.g. `0 8 5 * *`"
            )));
        }
        s.parse::<croner::Cron>().map(Cron).map_err(|e| {
            PurseError::Config(format!(
                "report schedule `{s}`: {e} (fields: minute 0–59, hour 0–23, day 1–31, month 1–12, weekday 0–7; *, a-b, a,b, */n)"
            ))
        })
    }

    /// The first firing at or after `t` (local wall-clock time).
    pub fn next_at_or_after(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        self.0.find_next_occurrence(&t, true).ok()
    }

    /// When the report of `period` is due: the first firing once the period is over.
    pub fn due_time(&self, period: &str) -> Result<NaiveDateTime> {
        let (y, m) = crate::figures::split_period(period)?;
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let start = NaiveDate::from_ymd_opt(ny, nm, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| PurseError::Invalid(format!("period {period}")))?;
        self.next_at_or_after(start)
            .ok_or_else(|| PurseError::Config("report schedule never fires".into()))
    }

    /// The day a period's report speaks from.
    pub fn due_date(&self, period: &str) -> Result<NaiveDate> {
        Ok(self.due_time(period)?.date())
    }
}

/// Makes the reports that are due.
pub struct Scheduler {
    pub data_dir: PathBuf,
    pub catalog: Catalog,
    pub config: Config,
    pub cron: Cron,
}

impl Scheduler {
    pub fn new(data_dir: &Path, catalog: Catalog, config: Config) -> Result<Scheduler> {
        let cron = Cron::parse(&config.report.schedule)?;
        Ok(Scheduler {
            data_dir: data_dir.to_path_buf(),
            catalog,
            config,
            cron,
        })
    }

    fn languages(&self) -> Vec<Lang> {
        let v: Vec<Lang> = self
            .config
            .report
            .languages
            .iter()
            .filter_map(|l| Lang::parse(l))
            .collect();
        if v.is_empty() { vec![Lang::Zh] } else { v }
    }

    /// Periods whose report is due at `now`, whose data is loaded, and which are not archived.
    pub async fn due(&self, now: NaiveDateTime) -> Result<Vec<String>> {
        let loaded = match crate::warehouse::Warehouse::open_read(&self.data_dir) {
            Ok(wh) => wh
                .summary()?
                .into_iter()
                .find(|d| d.dataset == "budget_execution")
                .map(|d| d.periods)
                .unwrap_or_default(),
            Err(_) => vec![],
        };
        // Only the twelve newest months are caught up: a deployment that loads years of history
        // (for projections and backtests) gets its reports from now on, not an archive of the
        // past; `purse report --period` still makes any month on demand.
        let mut loaded = loaded;
        loaded.sort();
        let loaded = loaded.split_off(loaded.len().saturating_sub(CATCH_UP_MONTHS));
        let langs = self.languages();
        let mut v = Vec::new();
        for p in loaded {
            if self.cron.due_time(&p)? > now {
                continue;
            }
            let archived = langs
                .iter()
                .all(|l| super::archive_path(&self.data_dir, &p, *l, "html").exists());
            if !archived {
                v.push(p);
            }
        }
        v.sort();
        Ok(v)
    }

    /// One tick: checks the rules for a due period that was never checked, then archives its
    /// report in every configured language. Returns the periods made.
    pub async fn tick(&self, now: NaiveDateTime) -> Result<Vec<String>> {
        let due = self.due(now).await?;
        if due.is_empty() {
            return Ok(due);
        }
        let checked = crate::alerts::AlertStore::open(&self.data_dir)?.checked_periods()?;
        // Check first, then write: each report then sees the alerts of every due month.
        let unchecked: Vec<String> = due
            .iter()
            .filter(|p| !checked.contains(*p))
            .cloned()
            .collect();
        crate::check::check_periods(&self.data_dir, &self.catalog, &self.config, &unchecked)
            .await?;
        for p in &due {
            for l in self.languages() {
                super::generate(&self.data_dir, &self.catalog, &self.config, p, l).await?;
            }
        }
        Ok(due)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// Day of month and weekday both restricted: either fires (standard cron), not both.
    #[test]
    fn cron_ors_day_of_month_and_weekday() {
        // 2026-12-01 is a Tuesday; the first Monday after is 2026-12-07.
        let c = Cron::parse("0 8 1 * 1").unwrap();
        assert_eq!(
            c.next_at_or_after(at("2026-11-30 09:00")),
            Some(at("2026-12-01 08:00"))
        );
        assert_eq!(
            c.next_at_or_after(at("2026-12-01 09:00")),
            Some(at("2026-12-07 08:00"))
        );
        // POSIX: only a bare `*` leaves a day field unrestricted; `*/2` restricts it, so odd
        // days or Mondays fire (Vixie cron would AND them here; the crate follows POSIX).
        let d = Cron::parse("0 8 */2 * 1").unwrap();
        assert_eq!(
            d.next_at_or_after(at("2026-12-01 09:00")),
            Some(at("2026-12-03 08:00"))
        );
        // Names, as crontab(5) allows.
        let n = Cron::parse("0 8 * * MON").unwrap();
        assert_eq!(
            n.next_at_or_after(at("2026-12-01 09:00")),
            Some(at("2026-12-07 08:00"))
        );
    }

    #[test]
    fn cron_fires_on_the_fifth_at_eight() {
        let c = Cron::parse("0 8 5 * *").unwrap();
        assert_eq!(c.due_time("2025-03").unwrap(), at("2025-04-05 08:00"));
        assert_eq!(c.due_time("2025-12").unwrap(), at("2026-01-05 08:00"));
        assert_eq!(
            c.next_at_or_after(at("2025-04-05 08:01")),
            Some(at("2025-05-05 08:00"))
        );
        assert_eq!(
            c.next_at_or_after(at("2025-04-05 08:00")),
            Some(at("2025-04-05 08:00"))
        );
        let w = Cron::parse("30 9 * * 1").unwrap(); // Mondays 09:30
        assert_eq!(
            w.next_at_or_after(at("2026-11-22 10:00")),
            Some(at("2026-11-23 09:30"))
        );
        let s = Cron::parse("*/15 8-9 1,15 * *").unwrap();
        assert_eq!(
            s.next_at_or_after(at("2026-11-15 08:16")),
            Some(at("2026-11-15 08:30"))
        );
        for bad in [
            "0 8 5 *",
            "60 8 5 * *",
            "0 8 0 * *",
            "a 8 5 * *",
            "*/0 8 5 * *",
            "0 0 8 5 * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }
}
