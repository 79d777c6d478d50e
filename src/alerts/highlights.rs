//! 本月要点: the few open alerts of a month that matter first, so a growing rule pack does not
//! bury them. Each open alert gets points for its level, the money it concerns (the rule's
//! `-- stake:` column, in 元), how long it has stood, and whether it came back after it was
//! settled; the ten with the most head the cockpit and the monthly report. The points are plain
//! and shown, so a reader can see why an alert stands where it does.

use std::collections::HashMap;

use serde::Serialize;

use super::{Alert, PeriodRecord};
use crate::common::Money;

/// How many highlights a month shows.
pub const TOP: usize = 10;

/// One open alert of the month, with why it ranks where it does.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Highlight {
    pub alert: Alert,
    /// The money the finding concerns, when its rule names it.
    pub stake: Option<Money>,
    /// Times it came back after it was resolved, cleared or closed.
    pub reopened: i64,
    /// Level (红 40, 橙 30, 黄 20, 蓝 10) + money (up to 30: 7.5 per power of ten of 万元) +
    /// age (2 per month open after the first, up to 20) + 10 if it came back.
    pub points: u32,
}

/// Points for a level.
fn level_points(level: &str) -> u32 {
    match level {
        "红" => 40,
        "橙" => 30,
        "黄" => 20,
        "蓝" => 10,
        _ => 0,
    }
}

/// Points for money at stake: 7.5 per power of ten of 万元 (1万元 ≈ 2, 100万元 15, 1亿元 30),
/// at most 30; none for no stake or a negative one.
fn money_points(stake: Option<Money>) -> u32 {
    let Some(Money(fen)) = stake.filter(|m| m.0 > 0) else {
        return 0;
    };
    // fen → 万元 (1 万元 = 1,000,000 fen); the ranking needs no exactness, the amount shown does.
    let wan = fen as f64 / 1_000_000.0;
    ((7.5 * (1.0 + wan).log10()).round() as u32).min(30)
}

/// Ranks a month's alerts: the open ones (not those only recorded), most points first; ties go
/// to the larger stake, then the older alert. `stakes` maps a rule to its stake column,
/// `reopened` an alert to the times it came back.
pub fn rank(
    month: Vec<(Alert, PeriodRecord)>,
    stakes: &HashMap<String, String>,
    reopened: &HashMap<i64, i64>,
    n: usize,
) -> Vec<Highlight> {
    let mut v: Vec<Highlight> = month
        .into_iter()
        .filter(|(a, _)| a.status.is_open())
        .map(|(alert, record)| {
            let stake = stakes
                .get(&alert.rule_id)
                .and_then(|c| record.evidence.get(c))
                .and_then(|v| Money::parse_yuan(v));
            let reopened = reopened.get(&alert.id).copied().unwrap_or(0);
            let age = (2 * (alert.months_open.max(1) - 1)).min(20) as u32;
            let points = level_points(&alert.level)
                + money_points(stake)
                + age
                + if reopened > 0 { 10 } else { 0 };
            Highlight {
                alert,
                stake,
                reopened,
                points,
            }
        })
        .collect();
    v.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then(b.stake.cmp(&a.stake))
            .then(a.alert.id.cmp(&b.alert.id))
    });
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Status;

    fn alert(id: i64, rule: &str, level: &str, months_open: i64, status: Status) -> Alert {
        let p: crate::common::Period = "2025-06".parse().unwrap();
        Alert {
            id,
            fingerprint: format!("fp{id}"),
            rule_id: rule.into(),
            alert_key: id.to_string(),
            category: "合规".into(),
            title: rule.into(),
            subject: format!("单位{id}"),
            dept_name: None,
            agency_code: None,
            level: level.into(),
            status,
            region_code: None,
            first_period: p,
            last_period: p,
            months_open,
            value: None,
            expected: None,
            difference: None,
            message_zh: String::new(),
            message_en: String::new(),
            owner: None,
            due_date: None,
            updated_at: String::new(),
            term: None,
        }
    }

    fn record(stake: Option<&str>) -> PeriodRecord {
        PeriodRecord {
            period: "2025-06".parse().unwrap(),
            level: String::new(),
            value: None,
            expected: None,
            difference: None,
            message_zh: String::new(),
            evidence: stake
                .map(|s| [("amount".to_string(), s.to_string())].into())
                .unwrap_or_default(),
            rows: vec![],
        }
    }

    /// Points by hand: #1 红 with 99万元 = 40 + 15 = 55; #2 橙, no money, open 6 months, came
    /// back = 30 + 10 + 10 = 50; #3 黄 with 99万元 = 20 + 15 = 35; #4 黄 with 9万元 = 20 + 8 = 28;
    /// #5 红 but closed, #6 recorded: not ranked. Top three only.
    #[test]
    fn the_month_ranks_by_level_money_age_and_return() {
        let stakes: HashMap<String, String> = [("paid".to_string(), "amount".to_string())].into();
        let month = vec![
            (
                alert(4, "paid", "黄", 1, Status::New),
                record(Some("90000.00")),
            ),
            (
                alert(3, "paid", "黄", 1, Status::Acknowledged),
                record(Some("990000.00")),
            ),
            (alert(2, "ratio", "橙", 6, Status::Rectifying), record(None)),
            (
                alert(1, "paid", "红", 1, Status::New),
                record(Some("990000.00")),
            ),
            (
                alert(5, "paid", "红", 9, Status::Closed),
                record(Some("99990000.00")),
            ),
            (
                alert(6, "paid", "红", 9, Status::Recorded),
                record(Some("99990000.00")),
            ),
        ];
        let reopened: HashMap<i64, i64> = [(2, 1)].into();
        let top = rank(month.clone(), &stakes, &reopened, 3);
        let got: Vec<(i64, u32)> = top.iter().map(|h| (h.alert.id, h.points)).collect();
        assert_eq!(got, [(1, 55), (2, 50), (3, 35)]);
        assert_eq!(top[0].stake, Some(Money(99_000_000)));
        assert_eq!((top[1].stake, top[1].reopened), (None, 1));
        let all = rank(month, &stakes, &reopened, 10);
        assert_eq!(
            all.len(),
            4,
            "closed and recorded alerts are not highlights"
        );
        assert_eq!(all[3].points, 28);
    }

    #[test]
    fn money_points_grow_by_the_power_of_ten() {
        let wan = |w: i128| Some(Money(w * 1_000_000));
        assert_eq!(money_points(None), 0);
        assert_eq!(money_points(Some(Money(-5))), 0);
        // 7.5 × log10(1 + w): 1万 → 2.26, 9万 → 7.5, 99万 → 15, 9999万 → 30, more → 30.
        assert_eq!(money_points(wan(1)), 2);
        assert_eq!(money_points(wan(9)), 8);
        assert_eq!(money_points(wan(99)), 15);
        assert_eq!(money_points(wan(9_999)), 30);
        assert_eq!(money_points(wan(10_000_000)), 30);
    }
}
