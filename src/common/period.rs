//! A reporting month, parsed once at the edge (CLI argument, query string, form) and carried as a
//! type, so no handler re-parses `YYYY-MM` text or meets a malformed one.

use std::fmt;
use std::str::FromStr;

use crate::error::{PurseError, Result};

/// `YYYY-MM`, year from 1900, month 1–12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    pub fn new(year: i32, month: u32) -> Result<Period> {
        Period::from_str(&format!("{year:04}-{month:02}"))
    }
    /// The month a day falls in.
    pub fn of(day: chrono::NaiveDate) -> Period {
        use chrono::Datelike;
        Period {
            year: day.year(),
            month: day.month(),
        }
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }
    /// The month after.
    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    /// The share of the year gone by the end of the month (序时进度), in %: month / 12.
    pub fn time_progress(self) -> f64 {
        100.0 * self.month as f64 / 12.0
    }
    /// The `n` months up to and including this one, oldest first.
    pub fn last(self, n: usize) -> Vec<Period> {
        let mut v = vec![self];
        while v.len() < n {
            let before = v[v.len() - 1].prev();
            v.push(before);
        }
        v.reverse();
        v
    }
    /// The month `n` months before.
    pub fn back(self, n: u32) -> Period {
        let months = self.year * 12 + self.month as i32 - 1 - n as i32;
        Period {
            year: months.div_euclid(12),
            month: months.rem_euclid(12) as u32 + 1,
        }
    }
    /// Its quarter, 1–4.
    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }
    /// Its first day.
    pub fn first_day(self) -> chrono::NaiveDate {
        // A Period is a month of a year from 1900 (parsed) or next to one: always a date.
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a Period is a month")
    }
    /// Its last day (the period's end, 期末).
    pub fn last_day(self) -> chrono::NaiveDate {
        self.next().first_day() - chrono::Duration::days(1)
    }
    /// The month before.
    pub fn prev(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl FromStr for Period {
    type Err = PurseError;
    fn from_str(p: &str) -> Result<Period> {
        let bad = || PurseError::Invalid(format!("period `{p}` is not YYYY-MM"));
        if p.len() != 7 {
            return Err(bad());
        }
        let (y, m) = p.split_once('-').ok_or_else(bad)?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(y) || !all_digits(m) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || year < 1900 {
            return Err(bad());
        }
        Ok(Period { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Period, D::Error> {
        let s = String::deserialize(d)?;
        s.trim().parse().map_err(serde::de::Error::custom)
    }
}

/// Stored as its `YYYY-MM` text, as every period column of `purse.db` is.
impl rusqlite::ToSql for Period {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_string()))
    }
}

impl rusqlite::types::FromSql for Period {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Period> {
        v.as_str()?
            .parse()
            .map_err(|e: PurseError| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// For query strings and forms: absent or blank is `None` (the newest period), anything else
/// must be a period.
pub fn optional<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Period>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(p) => p.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// `YYYY-MM` → (year, month), refusing anything else.
pub fn split_period(p: &str) -> Result<(i32, u32)> {
    let p: Period = p.parse()?;
    Ok((p.year(), p.month()))
}

/// The period before `YYYY-MM` text (see [`Period::prev`]).
pub fn prev_period(p: &str) -> Result<String> {
    Ok(p.parse::<Period>()?.prev().to_string())
}

/// The `n` periods up to and including `p`, oldest first, as text (see [`Period::last`]).
pub fn last_periods(p: &str, n: usize) -> Result<Vec<String>> {
    Ok(p.parse::<Period>()?
        .last(n)
        .iter()
        .map(Period::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_steps_back() {
        let p: Period = "2025-01".parse().unwrap();
        assert_eq!((p.year(), p.month()), (2025, 1));
        assert_eq!(p.prev().to_string(), "2024-12");
        assert_eq!(p.prev().next(), p);
        assert_eq!(
            "2025-12".parse::<Period>().unwrap().next().to_string(),
            "2026-01"
        );
        assert_eq!(Period::new(2025, 3).unwrap().to_string(), "2025-03");
        for bad in [
            "2025-13", "2025-00", "2025-1", "25-01", "1899-12", "2025/01", "+025-01", "2025-+1", "",
        ] {
            let e = bad.parse::<Period>().unwrap_err().to_string();
            assert_eq!(e, format!("period `{bad}` is not YYYY-MM"));
        }
    }

    #[test]
    fn periods_step_back_over_years() {
        assert_eq!(prev_period("2025-01").unwrap(), "2024-12");
        let v = last_periods("2025-03", 4).unwrap();
        assert_eq!(v, ["2024-12", "2025-01", "2025-02", "2025-03"]);
        assert!(split_period("2025-13").is_err());
        assert!(split_period("2025-1").is_err());
        assert!(split_period("x").is_err());
    }
}
