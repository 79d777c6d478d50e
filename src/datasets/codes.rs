//! The classification lists (政府收支分类科目) a code column is checked against, and what an
//! unknown code is said to be.
//!
//! A list is data: `kind,code,name,parent[,until,successor]` lines, the built-in one compiled
//! in, a deployment's own (`DIR/classification.csv`) added to it. A code with `until` was
//! retired after that year; `successor` names the code that took its place. The ministry adds
//! 项 every year, so a code the list lacks is never a reason to refuse a file: it is a warning,
//! once per distinct code with its count, that says how much of it is known (its 类, its 款) —
//! and a 项 of a known 款 that every 款 has (行政运行, 一般行政管理事务, 机关服务, 事业运行,
//! 其他) is simply recognised.

use std::collections::HashMap;

/// One entry of a list.
#[derive(Debug, Clone, Default)]
pub struct Code {
    pub name: String,
    /// The last year the code was in force (retired after it).
    pub until: Option<i32>,
    /// The code that took its place.
    pub successor: Option<String>,
}

/// The standard 项 of a 款 of the functional classification: its last two digits and name.
pub const STANDARD_ITEMS: [(&str, &str); 5] = [
    ("01", "行政运行"),
    ("02", "一般行政管理事务"),
    ("03", "机关服务"),
    ("50", "事业运行"),
    ("99", "其他支出"),
];

/// Every list, by kind (`function`, `gov_economic`, `dept_economic`, `revenue`).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    kinds: HashMap<String, HashMap<String, Code>>,
}

impl Codes {
    /// Parses `kind,code,name,parent[,until,successor]` lines after a header line. A malformed
    /// line is an error naming its line number.
    pub fn parse(text: &str) -> Result<Codes, String> {
        let mut c = Codes::default();
        c.add(text)?;
        Ok(c)
    }

    /// Adds the lines of another list (a deployment's own codes; a later line wins).
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate().skip(1) {
            let line = line.trim_start_matches('\u{feff}');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let (Some(kind), Some(code)) = (f.first(), f.get(1)) else {
                return Err(format!("line {}: expected kind,code,name,parent", n + 1));
            };
            if kind.is_empty() || code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "line {}: `{code}` is not a code of digits (kind `{kind}`)",
                    n + 1
                ));
            }
            let until = match f.get(4).filter(|u| !u.is_empty()) {
                None => None,
                Some(u) => Some(
                    u.parse::<i32>()
                        .map_err(|_| format!("line {}: until `{u}` is not a year", n + 1))?,
                ),
            };
            self.kinds.entry(kind.to_string()).or_default().insert(
                code.to_string(),
                Code {
                    name: f.get(2).unwrap_or(&"").to_string(),
                    until,
                    successor: f.get(5).filter(|s| !s.is_empty()).map(|s| s.to_string()),
                },
            );
        }
        Ok(())
    }

    /// The codes of a kind in force (not retired): what a row's code is looked up in.
    pub fn current(&self, kind: &str) -> Option<impl Iterator<Item = &str>> {
        self.kinds.get(kind).map(|m| {
            m.iter()
                .filter(|(_, c)| c.until.is_none())
                .map(|(k, _)| k.as_str())
        })
    }

    pub fn get(&self, kind: &str, code: &str) -> Option<&Code> {
        self.kinds.get(kind)?.get(code)
    }

    /// What a code not in force in the list is: `None` when it is recognised after all (a
    /// standard 项 of a known 款), else the warning's reason.
    pub fn unknown(&self, kind: &str, code: &str) -> Option<String> {
        let named = |c: &str| {
            self.get(kind, c)
                .map(|e| format!("{c} {}", e.name))
                .unwrap_or_else(|| c.to_string())
        };
        if let Some(e) = self.get(kind, code)
            && let Some(until) = e.until
        {
            return Some(match &e.successor {
                Some(s) => format!(
                    "{} was retired after {until}; its successor is {}",
                    named(code),
                    named(s)
                ),
                None => format!("{} was retired after {until}", named(code)),
            });
        }
        // A 项 of a retired 款 went with it.
        if code.len() == 7
            && let Some(Code {
                until: Some(until),
                successor,
                ..
            }) = self.get(kind, &code[..5])
        {
            let successor = successor
                .as_ref()
                .map(|s| format!("; its successor is {}", named(s)))
                .unwrap_or_default();
            return Some(format!(
                "its 款 {} was retired after {until}{successor}",
                named(&code[..5])
            ));
        }
        let known = |c: &str| self.get(kind, c).is_some_and(|e| e.until.is_none());
        let deployment = "add it to DIR/classification.csv if it is this deployment's own";
        match code.len() {
            7 if known(&code[..5]) => {
                let item = &code[5..];
                if kind == "function" && STANDARD_ITEMS.iter().any(|(s, _)| *s == item) {
                    return None;
                }
                Some(format!(
                    "项 {code} is not in the list; its 款 {} is ({deployment})",
                    named(&code[..5])
                ))
            }
            5 | 7 if known(&code[..3]) => Some(format!(
                "款 {} is not in the list; its 类 {} is ({deployment})",
                &code[..5],
                named(&code[..3])
            )),
            3 | 5 | 7 => Some(format!(
                "类 {} is not in the list: a typo, or a code of a newer year ({deployment})",
                &code[..3]
            )),
            _ => Some(format!("{code} is not in the list")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "kind,code,name,parent,until,successor
function,201,一般公共服务支出,
function,20103,政府办公厅（室）及相关机构事务,201
function,2010301,行政运行,20103
function,20138,市场监督管理事务,201
function,20115,工商行政管理事务,201,2018,20138
function,213,农林水支出,
function,21303,水利,213
dept_economic,302,商品和服务支出,
";

    #[test]
    fn unknown_codes_say_how_much_is_known() {
        let c = Codes::parse(LIST).unwrap();
        // A standard 项 of a known 款: recognised.
        assert_eq!(c.unknown("function", "2130301"), None);
        assert_eq!(c.unknown("function", "2130350"), None);
        assert_eq!(c.unknown("function", "2130399"), None);
        assert_eq!(
            c.unknown("function", "2130306").unwrap(),
            "项 2130306 is not in the list; its 款 21303 水利 is (add it to DIR/classification.csv if it is this deployment's own)"
        );
        assert_eq!(
            c.unknown("function", "2130701").unwrap(),
            "款 21307 is not in the list; its 类 213 农林水支出 is (add it to DIR/classification.csv if it is this deployment's own)"
        );
        assert!(
            c.unknown("function", "2880101")
                .unwrap()
                .starts_with("类 288 is not in the list: a typo")
        );
        // Standard 项 are of the functional classification only.
        assert!(c.unknown("dept_economic", "3029901").is_some());
        assert!(
            c.unknown("dept_economic", "30299")
                .unwrap()
                .starts_with("款 30299 is not in the list; its 类 302 商品和服务支出 is")
        );
        // A retired code names its successor, and is not in force.
        assert_eq!(
            c.unknown("function", "20115").unwrap(),
            "20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务"
        );
        assert_eq!(
            c.unknown("function", "2011501").unwrap(),
            "its 款 20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务"
        );
        assert!(c.current("function").unwrap().all(|k| k != "20115"));
        assert!(c.current("function").unwrap().any(|k| k == "20138"));
    }

    /// The built-in list hangs together: every code extends its parent by two digits (a 类 has
    /// three and none), every parent is listed, no code twice; and codes of every kind that
    /// county and city tables use are known.
    #[test]
    fn the_built_in_list_is_a_tree_and_knows_common_codes() {
        let text = include_str!("classification.csv");
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(',').collect())
            .collect();
        assert!(rows.len() > 900, "{}", rows.len());
        for r in &rows {
            let (kind, code, parent) = (r[0], r[1], r[3]);
            assert!(seen.insert((kind, code)), "{kind} {code} twice");
            match code.len() {
                3 => assert_eq!(parent, "", "{kind} {code}"),
                5 | 7 => {
                    assert_eq!(&code[..code.len() - 2], parent, "{kind} {code}");
                    assert!(
                        rows.iter().any(|p| p[0] == kind && p[1] == parent),
                        "{kind} {code}: parent {parent} missing"
                    );
                }
                n => panic!("{kind} {code}: {n} digits"),
            }
        }
        let c = Codes::parse(text).unwrap();
        for (kind, code) in [
            ("function", "2130306"),
            ("function", "2082602"),
            ("function", "2150805"),
            ("function", "2310301"),
            ("function", "22402"),
            ("function", "23104"),
            ("gov_economic", "50401"),
            ("gov_economic", "51402"),
            ("dept_economic", "30240"),
            ("dept_economic", "31304"),
            ("revenue", "10102"),
            ("revenue", "11002"),
            ("revenue", "10504"),
        ] {
            assert!(c.get(kind, code).is_some(), "{kind} {code}");
        }
        // 22301 is the 款 of history's costs, not the 类's name again.
        assert!(
            c.unknown("function", "2230188")
                .unwrap()
                .contains("22301 解决历史遗留问题及改革成本支出")
        );
    }

    #[test]
    fn a_deployment_adds_codes_and_bad_lines_are_named() {
        let mut c = Codes::parse(LIST).unwrap();
        c.add("kind,code,name,parent\nfunction,2130306,本地水利项目,21303\n")
            .unwrap();
        assert!(c.current("function").unwrap().any(|k| k == "2130306"));
        assert_eq!(
            c.add("kind,code,name\nfunction,21A03,x\n").unwrap_err(),
            "line 2: `21A03` is not a code of digits (kind `function`)"
        );
        assert_eq!(
            c.add("kind,code,name,parent,until\nfunction,20101,x,201,soon\n")
                .unwrap_err(),
            "line 2: until `soon` is not a year"
        );
    }
}
