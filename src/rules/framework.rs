//! The supervision framework a rule serves: the focus of budget review it belongs to (the six of
//! the 2018 guideline on extending people's-congress review to expenditure budgets and policies,
//! with state assets, audit follow-up, revenue and data quality beside them), and which of the
//! four budgets (全口径) its figures cover. Declared in each rule's header (`-- focus:`,
//! `-- budgets:`), so a committee sees what its rule pack watches and, as plainly, what it does
//! not.

use serde::Serialize;

/// A focus of budget review and supervision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    /// 重大政策贯彻落实: plan targets, the economy a budget serves.
    Policy,
    /// 支出总量与结构: aggregate execution, its pace and composition.
    Structure,
    /// 重点支出与重大投资项目.
    KeySpending,
    /// 部门预算: each department's and unit's budget and payments.
    Department,
    /// 转移支付.
    Transfers,
    /// 政府债务.
    Debt,
    /// 预算收入与库款: revenue outturn, its quality, treasury cash.
    Revenue,
    /// 国有资产.
    Assets,
    /// 审计查出问题整改.
    Audit,
    /// 数据质量: whether the extracts arrive complete, on time and consistent.
    DataQuality,
}

impl Focus {
    /// Every focus, in the order a committee's framework lists them.
    pub const ALL: [Focus; 10] = [
        Focus::Policy,
        Focus::Structure,
        Focus::KeySpending,
        Focus::Department,
        Focus::Transfers,
        Focus::Debt,
        Focus::Revenue,
        Focus::Assets,
        Focus::Audit,
        Focus::DataQuality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Focus::Policy => "policy",
            Focus::Structure => "structure",
            Focus::KeySpending => "key_spending",
            Focus::Department => "department",
            Focus::Transfers => "transfers",
            Focus::Debt => "debt",
            Focus::Revenue => "revenue",
            Focus::Assets => "assets",
            Focus::Audit => "audit",
            Focus::DataQuality => "data_quality",
        }
    }

    pub fn parse(s: &str) -> Option<Focus> {
        Focus::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Focus::Policy => "重大政策贯彻落实",
            Focus::Structure => "支出总量与结构",
            Focus::KeySpending => "重点支出与重大投资项目",
            Focus::Department => "部门预算",
            Focus::Transfers => "转移支付",
            Focus::Debt => "政府债务",
            Focus::Revenue => "预算收入与库款",
            Focus::Assets => "国有资产",
            Focus::Audit => "审计查出问题整改",
            Focus::DataQuality => "数据质量",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Focus::Policy => "Major policies",
            Focus::Structure => "Total and structure of expenditure",
            Focus::KeySpending => "Key expenditure and major projects",
            Focus::Department => "Department budgets",
            Focus::Transfers => "Transfers to lower governments",
            Focus::Debt => "Government debt",
            Focus::Revenue => "Revenue and treasury",
            Focus::Assets => "State assets",
            Focus::Audit => "Audit follow-up",
            Focus::DataQuality => "Data quality",
        }
    }
}

/// One of the four budgets (全口径).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// 一般公共预算.
    General,
    /// 政府性基金预算.
    Fund,
    /// 国有资本经营预算.
    StateCapital,
    /// 社会保险基金预算.
    SocialInsurance,
}

impl Budget {
    pub const ALL: [Budget; 4] = [
        Budget::General,
        Budget::Fund,
        Budget::StateCapital,
        Budget::SocialInsurance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Budget::General => "general",
            Budget::Fund => "fund",
            Budget::StateCapital => "state_capital",
            Budget::SocialInsurance => "social_insurance",
        }
    }

    pub fn parse(s: &str) -> Option<Budget> {
        Budget::ALL.into_iter().find(|b| b.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Budget::General => "一般公共预算",
            Budget::Fund => "政府性基金预算",
            Budget::StateCapital => "国有资本经营预算",
            Budget::SocialInsurance => "社会保险基金预算",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Budget::General => "General public budget",
            Budget::Fund => "Government fund budget",
            Budget::StateCapital => "State capital budget",
            Budget::SocialInsurance => "Social insurance fund budget",
        }
    }
}

/// A rule's place in the framework from its header values: its focus, and the budgets its
/// figures cover (`none` for a rule about no budget, such as an economic indicator's). Either
/// may be left out (a deployment's own rule from before the framework): the rule is then
/// unclassified, shown as such. The error says what is known.
pub fn parse_place(
    focus: Option<&str>,
    budgets: Option<&str>,
) -> Result<(Option<Focus>, Vec<Budget>), String> {
    let focus = match focus {
        None => None,
        Some(f) => Some(Focus::parse(f).ok_or_else(|| {
            format!(
                "unknown focus `{}` (known: {})",
                f.trim(),
                Focus::ALL.map(Focus::as_str).join(", ")
            )
        })?),
    };
    let mut out = Vec::new();
    if let Some(budgets) = budgets.filter(|b| b.trim() != "none") {
        for b in budgets.split(',') {
            let budget = Budget::parse(b).ok_or_else(|| {
                format!(
                    "unknown budget `{}` (known: {}; or none)",
                    b.trim(),
                    Budget::ALL.map(Budget::as_str).join(", ")
                )
            })?;
            if !out.contains(&budget) {
                out.push(budget);
            }
        }
    }
    Ok((focus, out))
}

/// One focus of the framework with the rules that serve it.
#[derive(Debug, Clone, Serialize)]
pub struct FocusRules {
    pub focus: Focus,
    /// The rules' ids, in the pack's order.
    pub rules: Vec<String>,
    /// Alerts its rules have raised (as given by the caller: all, or a user's reach).
    pub fired: i64,
}

/// The framework as a rule pack covers it.
#[derive(Debug, Clone, Serialize)]
pub struct Map {
    /// Every focus, those with no rule too, so a gap shows.
    pub focuses: Vec<FocusRules>,
    /// Per budget, how many rules cover it.
    pub budgets: Vec<(Budget, usize)>,
    /// Rules that name no focus.
    pub unclassified: Vec<String>,
}

/// The framework map of `rules`, with the alerts each focus's rules raised (`fired`, per rule).
pub fn map(rules: &[super::Rule], fired: &std::collections::HashMap<String, i64>) -> Map {
    let focuses = Focus::ALL
        .into_iter()
        .map(|focus| {
            let mine: Vec<&super::Rule> = rules.iter().filter(|r| r.focus == Some(focus)).collect();
            FocusRules {
                focus,
                rules: mine.iter().map(|r| r.id.clone()).collect(),
                fired: mine.iter().filter_map(|r| fired.get(&r.id)).sum(),
            }
        })
        .collect();
    let budgets = Budget::ALL
        .into_iter()
        .map(|b| (b, rules.iter().filter(|r| r.budgets.contains(&b)).count()))
        .collect();
    Map {
        focuses,
        budgets,
        unclassified: rules
            .iter()
            .filter(|r| r.focus.is_none())
            .map(|r| r.id.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_a_known_focus_and_known_budgets() {
        assert_eq!(
            parse_place(Some("debt"), Some("general, fund, general")).unwrap(),
            (Some(Focus::Debt), vec![Budget::General, Budget::Fund])
        );
        assert_eq!(
            parse_place(Some(" policy "), Some("none")).unwrap(),
            (Some(Focus::Policy), vec![])
        );
        assert_eq!(
            parse_place(None, None).unwrap(),
            (None, vec![]),
            "unclassified"
        );
        let e = parse_place(Some("debts"), Some("general")).unwrap_err();
        assert!(
            e.starts_with("unknown focus `debts` (known: policy, structure,"),
            "{e}"
        );
        let e = parse_place(Some("debt"), Some("general, funds")).unwrap_err();
        assert_eq!(
            e,
            "unknown budget `funds` (known: general, fund, state_capital, social_insurance; or none)"
        );
    }
}
