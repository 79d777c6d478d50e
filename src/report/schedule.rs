//! When monthly reports are made: a cron-style setting (`minute hour day month weekday`, default
//! `0 8 5 * *`, the 5th of each month at 08:00 local time). The scheduler that makes them is
//! the application's ([`crate::app::schedule`]). Time comes from a [`Clock`], so tests move it
//! by hand.

use chrono::{NaiveDate, NaiveDateTime};

use crate::common::Period;
use crate::error::{PurseError, Result};

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
    pub fn due_time(&self, period: Period) -> Result<NaiveDateTime> {
        let next = period.next();
        let start = NaiveDate::from_ymd_opt(next.year(), next.month(), 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| PurseError::Invalid(format!("period {period}")))?;
        self.next_at_or_after(start)
            .ok_or_else(|| PurseError::Config("report schedule never fires".into()))
    }

    /// The day a period's report speaks from.
    pub fn due_date(&self, period: Period) -> Result<NaiveDate> {
        Ok(self.due_time(period)?.date())
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
        assert_eq!(
            c.due_time("2025-03".parse().unwrap()).unwrap(),
            at("2025-04-05 08:00")
        );
        assert_eq!(
            c.due_time("2025-12".parse().unwrap()).unwrap(),
            at("2026-01-05 08:00")
        );
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
