//! Chinese by default, English on request: every label on a page or in a report is a pair.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "中文" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" | "english" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    /// The label in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A stored level's colour (CSS class, English word); `grey` for anything else.
pub fn level_class(level: &str) -> &'static str {
    crate::common::level::Level::parse(level).map_or("grey", crate::common::level::Level::colour)
}

pub fn level_label(level: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => level.to_string(),
        Lang::En => level_class(level).to_string(),
    }
}

/// Budget kinds and categories in English.
pub fn term(word: &str, lang: Lang) -> String {
    if lang == Lang::Zh {
        return word.to_string();
    }
    match word {
        "一般公共预算" => "General public budget",
        "政府性基金预算" => "Government fund budget",
        "国有资本经营预算" => "State capital operation budget",
        "社会保险基金预算" => "Social insurance fund budget",
        "流向" => "direction",
        "流速" => "pace",
        "流量" => "volume",
        "合规" => "compliance",
        "其他" => "other",
        _ => word,
    }
    .to_string()
}

/// A ratio for people: `83.3%`, or `—` when there is none.
pub fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}%")).unwrap_or_else(|| "—".into())
}

/// A stored time (RFC 3339, in whatever zone the server kept) as the deployment reads it:
/// `2026-12-07 04:41:59` in its zone. Text that is not such a time is shown as it is.
pub fn local_time(stored: &str, zone: chrono::FixedOffset) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => stored.to_string(),
    }
}

/// A load's state in the manifest (`staging | accepted | rejected | aborted`) in words.
pub fn load_status(status: &str, lang: Lang) -> String {
    match status {
        "staging" => lang.t("载入中", "loading"),
        "accepted" => lang.t("已入库", "accepted"),
        "rejected" => lang.t("拒收", "rejected"),
        "aborted" => lang.t("中止", "aborted"),
        "retracted" => lang.t("已撤回", "retracted"),
        "retraction" => lang.t("撤回", "retraction"),
        other => other,
    }
    .to_string()
}

/// Why a rule was not evaluated, in the reader's language. The reason is stored in English
/// (`applies in month 12 only`, `no data for payments in 2026-07`, a quality hold); a Chinese
/// page reads it in Chinese, with the dataset's title for its name. Text of another shape is
/// shown as stored.
pub fn reason(stored: &str, lang: Lang, title: impl Fn(&str) -> Option<String>) -> String {
    use std::sync::LazyLock;
    static MONTHS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^applies in months? ([0-9, -]+) only$").expect("a valid pattern")
    });
    static NO_DATA: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^no data for (\w+) (in|up to) (\S+)$").expect("a valid pattern")
    });
    static QUALITY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(\w+) data quality (\S+) for the twelve months to (\S+), below the rule's minimum (\S+)$",
        )
        .expect("a valid pattern")
    });
    if lang == Lang::En {
        return stored.to_string();
    }
    let name = |ds: &str| title(ds).unwrap_or_else(|| ds.to_string());
    if let Some(c) = MONTHS.captures(stored) {
        return format!("仅适用于{}月", &c[1]);
    }
    if let Some(c) = NO_DATA.captures(stored) {
        let when = match (&c[2], c[3].split_once("..")) {
            ("up to", _) => format!("截至{}", &c[3]),
            (_, Some((a, b))) => format!("{a}至{b}"),
            _ => c[3].to_string(),
        };
        return format!("{when}无{}数据", name(&c[1]));
    }
    if let Some(c) = QUALITY.captures(stored) {
        return format!(
            "{}截至{}的12个月数据质量为{}，低于规则要求的{}",
            name(&c[1]),
            &c[3],
            &c[2],
            &c[4]
        );
    }
    stored.to_string()
}

/// A load's summary line in the manifest (`778 rows into payments 2025-01`, `3 row error(s);
/// nothing loaded (see the report)`) in the reader's language; a file-level reason as stored.
pub fn load_message(stored: &str, lang: Lang, title: impl Fn(&str) -> Option<String>) -> String {
    use std::sync::LazyLock;
    static LOADED: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d+) rows into (\w+) (.+?)(?: \((\d+) totals rows skipped\))?$")
            .expect("a valid pattern")
    });
    static ERRORS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d+) row error\(s\); nothing loaded \(see the report\)$")
            .expect("a valid pattern")
    });
    if lang == Lang::En {
        return stored.to_string();
    }
    let loads_zh = |s: &str| {
        s.replace("load #", "载入#")
            .replace(" periods)", "期)")
            .replace(" (", "（")
            .replace(')', "）")
    };
    // A load taken back: `… — retracted by #12 (admin: wrong region)`.
    if let Some((head, by)) = stored.split_once(" — retracted by #") {
        let (id, why) = by.split_once(" (").unwrap_or((by, ""));
        let why = why.strip_suffix(')').unwrap_or(why).replacen(": ", "：", 1);
        return format!(
            "{}；已由撤回#{id}撤回（{why}）",
            load_message(head, lang, title)
        );
    }
    // The retraction's own line: `retracts load #9 (f.csv); restores load #5 (2025-06); left as
    // replaced by load #11 (2025-07) — by admin: wrong region`.
    if let Some(rest) = stored.strip_prefix("retracts ") {
        let (what, who) = rest.rsplit_once(" — by ").unwrap_or((rest, ""));
        let said = what
            .split("; ")
            .map(|part| {
                if let Some(r) = part.strip_prefix("restores ") {
                    format!("恢复{}", loads_zh(r))
                } else if let Some(k) = part.strip_prefix("left as replaced by ") {
                    format!("已被{}替换的期间不变", loads_zh(k))
                } else {
                    format!("撤回{}", loads_zh(part))
                }
            })
            .collect::<Vec<_>>()
            .join("；");
        return format!("{said}（{}）", who.replacen(": ", "：", 1));
    }
    // `… — replaces load #5 (2025-06), load #7 (2025-07)`: what the load replaced, said plainly.
    if let Some((head, replaced)) = stored.split_once(" — replaces ") {
        return format!(
            "{}；替换{}",
            load_message(head, lang, title),
            loads_zh(replaced)
        );
    }
    if let Some(c) = LOADED.captures(stored) {
        let skipped = c
            .get(4)
            .map(|k| format!("，跳过合计行{}行", k.as_str()))
            .unwrap_or_default();
        let name = title(&c[2]).unwrap_or_else(|| c[2].to_string());
        // `2025-01…2025-12 (12 periods)` → `2025-01…2025-12，共12期`.
        let periods = match c[3]
            .split_once(" (")
            .and_then(|(a, b)| Some((a, b.strip_suffix(" periods)")?)))
        {
            Some((span, n)) => format!("{span}，共{n}期"),
            None => c[3].to_string(),
        };
        return format!("{}行载入{}（{periods}）{skipped}", &c[1], name);
    }
    if let Some(c) = ERRORS.captures(stored) {
        return format!("{}行有错误，未载入（见问题清单）", &c[1]);
    }
    stored.to_string()
}

/// A load issue's reason or expected value (stored in English: `not a number`, `a whole
/// number`, `项 2130306 is not in the list; its 款 21303 水利 is (…) (5 rows)`) in the reader's
/// language; text of another shape as stored.
pub fn issue_text(stored: &str, lang: Lang) -> String {
    use std::sync::LazyLock;
    if lang == Lang::En {
        return stored.to_string();
    }
    const PHRASES: &[(&str, &str)] = &[
        ("not a number", "不是数字"),
        ("not a whole number", "不是整数"),
        ("not a date", "不是日期"),
        ("no such calendar date", "日历上没有这一天"),
        ("exponent out of range", "指数超出范围"),
        ("too many decimal places", "小数位数过多"),
        ("number too large", "数值过大"),
        ("required value is empty", "必填项为空"),
        ("code has the wrong shape", "编码位数不对"),
        ("a percentage where an amount belongs", "金额栏中填了百分比"),
        (
            "a percentage where a whole number belongs",
            "整数栏中填了百分比",
        ),
        (
            "not a yes/no value (是/否, Y/N, 1/0, true/false)",
            "不是是/否值（是/否、Y/N、1/0）",
        ),
        ("no period for this row", "该行没有期间"),
        (
            "累计 below last month's: a reversal (冲销) or a wrong extract",
            "累计数低于上月：冲销或数据有误",
        ),
        ("累计 does not continue last month's", "累计数与上月不衔接"),
        ("a value", "有值"),
        ("an amount", "金额"),
        ("a number below 10^16", "小于10^16的数"),
        ("a number such as 1,234.56", "数字，如 1,234.56"),
        ("a whole number", "整数"),
        ("a date", "日期"),
        ("a code", "编码"),
        ("a 财政区划 code", "财政区划编码"),
        ("3, 5 or 7 digits", "3、5或7位数字"),
    ];
    if let Some((_, zh)) = PHRASES.iter().find(|(en, _)| *en == stored) {
        return zh.to_string();
    }
    static LIST: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^a code of the (\w+) list$").expect("a valid pattern")
    });
    if let Some(c) = LIST.captures(stored) {
        let list = match &c[1] {
            "function" => "支出功能分类",
            "gov_economic" => "政府预算支出经济分类",
            "dept_economic" => "部门预算支出经济分类",
            "revenue" => "收入分类",
            other => other,
        };
        return format!("{list}科目表中的编码");
    }
    // Classification warnings: `… (5 rows)`.
    static COUNT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^(.*) \((\d+) rows?\)$").expect("a valid pattern"));
    let Some(c) = COUNT.captures(stored) else {
        return stored.to_string();
    };
    let (head, n) = (&c[1], &c[2]);
    let own = " (add it to DIR/classification.csv if it is this deployment's own)";
    let local = "（如为本地科目，请加入 DIR/classification.csv）";
    // `项 X is not in the list; its 款 Y is (…)`, and the same of a 款 and its 类.
    let parent_known = [("项", "款"), ("款", "类")]
        .iter()
        .find_map(|(level, parent)| {
            let rest = head.strip_prefix(level)?.strip_prefix(' ')?;
            let (code, known) = rest.split_once(&format!(" is not in the list; its {parent} "))?;
            let known = known.trim_end_matches(own).trim_end_matches(" is");
            Some(format!(
                "{level}{code}不在科目表中；其{parent}{known}在表中{local}"
            ))
        });
    let said = if let Some(said) = parent_known {
        said
    } else if let Some(rest) = head.strip_prefix("类 ") {
        match rest.split_once(" is not in the list") {
            Some((code, _)) => format!("类{code}不在科目表中：编码有误，或是更新年度的科目{local}"),
            None => return stored.to_string(),
        }
    } else if let Some((what, rest)) = head.split_once(" was retired after ") {
        let (year, successor) = match rest.split_once("; its successor is ") {
            Some((y, s)) => (y, format!("，由{s}接替")),
            None => (rest, String::new()),
        };
        let what = what.replace("its 款 ", "其款");
        format!("{what}已于{year}年后停用{successor}")
    } else {
        return stored.to_string();
    };
    format!("{said}（{n}行）")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_in_chinese() {
        let title = |d: &str| (d == "payments").then(|| "国库集中支付明细".to_string());
        let zh = |r: &str| reason(r, Lang::Zh, title);
        assert_eq!(zh("applies in month 12 only"), "仅适用于12月");
        assert_eq!(zh("applies in months 3-11 only"), "仅适用于3-11月");
        assert_eq!(
            zh("no data for payments in 2026-07"),
            "2026-07无国库集中支付明细数据"
        );
        assert_eq!(
            zh("no data for payments in 2025-10..2026-07"),
            "2025-10至2026-07无国库集中支付明细数据"
        );
        assert_eq!(
            zh("no data for audit_findings up to 2025-02"),
            "截至2025-02无audit_findings数据"
        );
        assert_eq!(
            zh(
                "payments data quality C for the twelve months to 2026-07, below the rule's minimum B"
            ),
            "国库集中支付明细截至2026-07的12个月数据质量为C，低于规则要求的B"
        );
        assert_eq!(zh("something else"), "something else");
        assert_eq!(
            reason("applies in month 12 only", Lang::En, title),
            "applies in month 12 only"
        );
    }

    #[test]
    fn issues_read_in_chinese() {
        let zh = |m: &str| issue_text(m, Lang::Zh);
        assert_eq!(zh("not a number"), "不是数字");
        assert_eq!(zh("a number such as 1,234.56"), "数字，如 1,234.56");
        assert_eq!(
            zh("a code of the function list"),
            "支出功能分类科目表中的编码"
        );
        assert_eq!(
            zh(
                "项 2130306 is not in the list; its 款 21303 水利 is (add it to DIR/classification.csv if it is this deployment's own) (5 rows)"
            ),
            "项2130306不在科目表中；其款21303 水利在表中（如为本地科目，请加入 DIR/classification.csv）（5行）"
        );
        assert_eq!(
            zh(
                "款 21307 is not in the list; its 类 213 农林水支出 is (add it to DIR/classification.csv if it is this deployment's own) (1 row)"
            ),
            "款21307不在科目表中；其类213 农林水支出在表中（如为本地科目，请加入 DIR/classification.csv）（1行）"
        );
        assert_eq!(
            zh(
                "20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务 (2 rows)"
            ),
            "20115 工商行政管理事务已于2018年后停用，由20138 市场监督管理事务接替（2行）"
        );
        assert_eq!(
            zh(
                "its 款 20115 工商行政管理事务 was retired after 2018; its successor is 20138 市场监督管理事务 (1 row)"
            ),
            "其款20115 工商行政管理事务已于2018年后停用，由20138 市场监督管理事务接替（1行）"
        );
        assert_eq!(zh("something else (3 rows)"), "something else (3 rows)");
        assert_eq!(issue_text("not a number", Lang::En), "not a number");
    }

    #[test]
    fn load_messages_read_in_chinese() {
        let title = |d: &str| (d == "bonds").then(|| "专项债券".to_string());
        let zh = |m: &str| load_message(m, Lang::Zh, title);
        assert_eq!(
            zh("5 rows into bonds 2025-12"),
            "5行载入专项债券（2025-12）"
        );
        assert_eq!(
            zh("12 rows into bonds 2025-01..2025-03 (2 totals rows skipped)"),
            "12行载入专项债券（2025-01..2025-03），跳过合计行2行"
        );
        assert_eq!(
            zh("3 row error(s); nothing loaded (see the report)"),
            "3行有错误，未载入（见问题清单）"
        );
        assert_eq!(
            zh("140 rows into bonds 2025-01…2025-12 (12 periods)"),
            "140行载入专项债券（2025-01…2025-12，共12期）"
        );
        assert_eq!(zh("not an extract"), "not an extract");
        assert_eq!(
            zh("5 rows into bonds 2025-12 — replaces load #3 (2025-12)"),
            "5行载入专项债券（2025-12）；替换载入#3（2025-12）"
        );
        assert_eq!(
            zh("9 rows into bonds 2025-12 — replaces load #1 (2008-01…2026-07, 215 periods)"),
            "9行载入专项债券（2025-12）；替换载入#1（2008-01…2026-07, 215期）"
        );
        assert_eq!(
            zh(
                "5 rows into bonds 2025-12 — replaces load #3 (2025-12) — retracted by #7 (王科长: 地区填错)"
            ),
            "5行载入专项债券（2025-12）；替换载入#3（2025-12）；已由撤回#7撤回（王科长：地区填错）"
        );
        assert_eq!(
            zh(
                "retracts load #5 (bonds.csv); restores load #3 (2025-12); left as replaced by load #6 (2026-01) — by 王科长: 地区填错"
            ),
            "撤回载入#5（bonds.csv）；恢复载入#3（2025-12）；已被载入#6（2026-01）替换的期间不变（王科长：地区填错）"
        );
    }

    #[test]
    fn times_read_in_the_deployments_zone() {
        let china = crate::config::parse_offset("+08:00").unwrap();
        assert_eq!(
            local_time("2026-12-06T20:41:59.857+00:00", china),
            "2026-12-07 04:41:59"
        );
        assert_eq!(
            local_time("2026-12-07T04:41:59+08:00", china),
            "2026-12-07 04:41:59"
        );
        assert_eq!(local_time("not a time", china), "not a time");
        assert_eq!(load_status("accepted", Lang::Zh), "已入库");
        assert_eq!(load_status("rejected", Lang::Zh), "拒收");
        assert_eq!(crate::config::parse_offset("UTC+8"), Some(china));
        assert_eq!(crate::config::parse_offset("+8"), Some(china));
        assert_eq!(crate::config::parse_offset("Asia/Shanghai"), None);
        assert_eq!(crate::config::parse_offset("+25:00"), None);
    }

    #[test]
    fn translates() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(term("流速", Lang::En), "pace");
        assert_eq!(pct(Some(83.333)), "83.3%");
        assert_eq!(pct(None), "—");
    }
}
