//! What a finding's evidence columns are called where people read them: the monthly report and
//! the alert page label each column in the reader's language and show money in 万元 / 亿元 (the
//! exact 元 stays in the stored evidence, the XLSX and the API). Columns that only help a message
//! along (the other language's wording, flags, internal keys) are left out: the message already
//! says what they say. A test plans every rule and fails on an output column missing here.

use std::collections::BTreeMap;

use crate::i18n::Lang;

/// How a column's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Text,
    /// Exact 元, read as 万元 / 亿元.
    Money,
    /// A yes / no flag (是 / 否).
    Flag,
}

/// `(column, 中文, English, how it reads)`.
const LABELS: &[(&str, &str, &str, Shown)] = &[
    (
        "adjusted_budget",
        "调整后预算",
        "adjusted budget",
        Shown::Money,
    ),
    ("advance", "已提前下达", "issued in advance", Shown::Money),
    ("allocated_amount", "分配金额", "allocated", Shown::Money),
    ("allocated_date", "分配日期", "allocated on", Shown::Text),
    ("amount", "金额", "amount", Shown::Money),
    ("amount_a", "项目一金额", "project one asks", Shown::Money),
    ("amount_b", "项目二金额", "project two asks", Shown::Money),
    ("annual_plan", "年度计划投资", "annual plan", Shown::Money),
    ("approved_on", "批准日期", "approved on", Shown::Text),
    (
        "average_monthly_outflow",
        "月均支出",
        "average monthly outflow",
        Shown::Money,
    ),
    ("balance", "余额", "balance", Shown::Money),
    ("base", "计算基数", "base", Shown::Money),
    ("base_period", "比较基期", "base period", Shown::Text),
    ("basis", "依据", "basis", Shown::Text),
    ("basis_date", "起算日期", "counted from", Shown::Text),
    ("bond_code", "债券编码", "bond code", Shown::Text),
    ("bond_name", "债券名称", "bond", Shown::Text),
    (
        "bonds_period",
        "债券台账截至",
        "bond ledgers to",
        Shown::Text,
    ),
    ("budget", "预算数", "budget", Shown::Money),
    (
        "budget_amount",
        "采购预算",
        "procurement budget",
        Shown::Money,
    ),
    ("budget_kind", "预算类型", "budget", Shown::Text),
    (
        "carryover",
        "结转未用",
        "carried over, unspent",
        Shown::Money,
    ),
    ("category", "问题类别", "category", Shown::Text),
    ("collected", "累计收入", "collected", Shown::Money),
    ("contract_amount", "合同金额", "contracted", Shown::Money),
    ("contract_date", "合同日期", "contract date", Shown::Text),
    ("data_period", "数据截至", "data as of", Shown::Text),
    ("debt_balance", "债务余额", "debt balance", Shown::Money),
    (
        "debt_service",
        "累计还本付息",
        "debt service to date",
        Shown::Money,
    ),
    ("debt_type", "债务类型", "debt type", Shown::Text),
    (
        "dept_econ_code",
        "部门经济分类",
        "economic code",
        Shown::Text,
    ),
    (
        "dept_econ_name",
        "经济分类名称",
        "economic class",
        Shown::Text,
    ),
    ("description", "问题描述", "description", Shown::Text),
    ("dimension", "维度", "dimension", Shown::Text),
    ("disbursed_amount", "拨付金额", "disbursed", Shown::Money),
    ("doc_kind", "公开内容", "document", Shown::Text),
    ("doc_no", "文号", "document no.", Shown::Text),
    ("doc_title", "文件标题", "document", Shown::Text),
    ("due_date", "整改期限", "due", Shown::Text),
    (
        "econ_classes",
        "经济分类范围",
        "economic classes",
        Shown::Text,
    ),
    ("elapsed", "已过天数", "days elapsed", Shown::Text),
    (
        "excess",
        "应调入一般公共预算",
        "to move to the general budget",
        Shown::Money,
    ),
    (
        "exec_period",
        "执行数据截至",
        "execution as of",
        Shown::Text,
    ),
    (
        "expected_revenue",
        "项目预期收益",
        "expected project revenue",
        Shown::Money,
    ),
    (
        "expenditure",
        "一般公共预算支出",
        "general budget expenditure",
        Shown::Money,
    ),
    ("finding_no", "问题编号", "finding no.", Shown::Text),
    ("first_date", "首笔日期", "first payment", Shown::Text),
    ("first_period", "首次列入", "first listed", Shown::Text),
    ("first_voucher", "首笔凭证号", "first voucher", Shown::Text),
    (
        "fiscal_capacity",
        "综合财力",
        "fiscal capacity",
        Shown::Money,
    ),
    ("formed_year", "形成年度", "year formed", Shown::Text),
    (
        "func_class",
        "功能分类（类）",
        "functional class",
        Shown::Text,
    ),
    ("func_code", "功能分类", "function code", Shown::Text),
    ("func_zh", "领域", "area", Shown::Text),
    ("fund_name", "资金名称", "fund", Shown::Text),
    (
        "fund_revenue",
        "政府性基金收入",
        "fund revenue",
        Shown::Money,
    ),
    ("fund_source", "资金来源", "fund source", Shown::Text),
    ("gap", "相差", "gap", Shown::Money),
    ("gap_pp", "相差（百分点）", "gap (pp)", Shown::Text),
    (
        "gdp_growth",
        "地区生产总值增长%",
        "GDP growth %",
        Shown::Text,
    ),
    ("gdp_period", "GDP数据期", "GDP as of", Shown::Text),
    (
        "general_revenue",
        "一般公共预算收入",
        "general budget revenue",
        Shown::Money,
    ),
    (
        "gov_econ_code",
        "政府经济分类",
        "government economic code",
        Shown::Text,
    ),
    ("grade", "评级", "grade", Shown::Text),
    ("grants", "上级补助收入", "grants from above", Shown::Money),
    (
        "growth",
        "比年初增加",
        "growth on the opening",
        Shown::Money,
    ),
    ("high", "区间上限", "upper bound", Shown::Text),
    ("history_points", "历史期数", "history points", Shown::Text),
    ("idle_amount", "未使用资金", "unused", Shown::Money),
    (
        "income",
        "当年基金收入",
        "fund income this year",
        Shown::Money,
    ),
    ("indicator_code", "指标编码", "indicator code", Shown::Text),
    ("indicator_name", "指标", "indicator", Shown::Text),
    ("indicators", "绩效指标", "indicators", Shown::Text),
    ("industry", "行业", "industry", Shown::Text),
    ("initial_budget", "年初预算", "initial budget", Shown::Money),
    ("interest", "债务付息支出", "interest paid", Shown::Money),
    ("interest_paid", "累计付息", "interest paid", Shown::Money),
    ("is_direct", "直达资金", "direct funds", Shown::Flag),
    ("is_industrial", "工业企业", "industrial", Shown::Flag),
    ("issue_date", "发行日期", "issued on", Shown::Text),
    ("issued_amount", "下达金额", "issued", Shown::Money),
    ("issued_date", "下达日期", "issued on", Shown::Text),
    ("item", "采购品目", "item", Shown::Text),
    (
        "key_supervision",
        "重点监管",
        "key supervision",
        Shown::Flag,
    ),
    ("kind_text", "资金性质", "kind", Shown::Text),
    (
        "land_revenue",
        "土地出让收入",
        "land-sale revenue",
        Shown::Money,
    ),
    ("last_date", "末笔日期", "last payment", Shown::Text),
    ("ledger_period", "台账期间", "ledger of", Shown::Text),
    ("limit_period", "限额截至", "limit as of", Shown::Text),
    ("loss", "本年累计亏损", "loss to date", Shown::Money),
    ("low", "区间下限", "lower bound", Shown::Text),
    ("mad", "平均绝对偏差", "MAD", Shown::Text),
    ("method", "采购方式", "method", Shown::Text),
    ("month_amount", "本月支出", "spent this month", Shown::Money),
    (
        "monthly_payout",
        "月均支出",
        "average monthly payout",
        Shown::Money,
    ),
    ("months", "折算月数", "months scaled from", Shown::Text),
    ("n", "笔数", "count", Shown::Text),
    ("name_a", "项目一", "project one", Shown::Text),
    ("name_b", "项目二", "project two", Shown::Text),
    (
        "nontax_revenue",
        "非税收入",
        "non-tax revenue",
        Shown::Money,
    ),
    (
        "old_allocated",
        "分配满期资金",
        "money past the mark",
        Shown::Money,
    ),
    (
        "opening_balance",
        "年初余额",
        "opening balance",
        Shown::Money,
    ),
    (
        "other_amount",
        "其他类支出",
        "under 'other' codes",
        Shown::Money,
    ),
    ("outturn", "决算数", "final outturn", Shown::Money),
    ("outturn_1", "上年执行率", "last year", Shown::Text),
    ("outturn_2", "前年执行率", "the year before", Shown::Text),
    ("overdue", "逾期", "overdue", Shown::Text),
    ("overspent", "超支", "spent above budget", Shown::Money),
    (
        "owners_equity",
        "所有者权益",
        "owners' equity",
        Shown::Money,
    ),
    ("paid", "国库支付", "paid by the treasury", Shown::Money),
    ("pay_date", "支付日期", "paid on", Shown::Text),
    ("payee", "收款人", "payee", Shown::Text),
    ("payment", "支付", "payment", Shown::Text),
    ("payments", "支付笔数", "payments", Shown::Text),
    ("plan_end", "计划竣工", "planned end", Shown::Text),
    ("plan_no", "采购计划编号", "plan no.", Shown::Text),
    ("plan_start", "计划开工", "planned start", Shown::Text),
    ("plans", "采购项目数", "purchases", Shown::Text),
    (
        "principal_repaid",
        "累计还本",
        "principal repaid",
        Shown::Money,
    ),
    ("prior", "上年数", "last year", Shown::Money),
    (
        "prior_budget",
        "上年预算数",
        "last year's budget",
        Shown::Money,
    ),
    (
        "prior_loss",
        "上年同期亏损",
        "loss a year ago",
        Shown::Money,
    ),
    (
        "prior_outturn",
        "上年执行数",
        "spent last year",
        Shown::Money,
    ),
    (
        "prior_profit",
        "上年同期利润",
        "profit a year ago",
        Shown::Money,
    ),
    ("prior_ytd_amount", "上年同期", "a year ago", Shown::Money),
    ("profit", "利润总额", "profit", Shown::Money),
    ("project_code", "项目编码", "project code", Shown::Text),
    ("project_name", "项目名称", "project", Shown::Text),
    ("project_type", "项目类型", "project type", Shown::Text),
    ("published_on", "公开日期", "published on", Shown::Text),
    ("purpose", "用途", "purpose", Shown::Text),
    ("quota_id", "指标编号", "quota", Shown::Text),
    ("rate", "票面利率%", "coupon %", Shown::Text),
    ("rate_now", "目前执行率", "rate now", Shown::Text),
    ("remaining", "尚余", "left", Shown::Money),
    ("report_name", "审计报告", "audit report", Shown::Text),
    ("reserve", "预备费", "contingency reserve", Shown::Money),
    ("revenue", "本级收入", "own revenue", Shown::Money),
    ("revenue_budget", "收入预算", "revenue budget", Shown::Money),
    (
        "rush_amount",
        "11-12月支出",
        "November-December",
        Shown::Money,
    ),
    (
        "si_expenditure",
        "社会保险基金支出",
        "social insurance spending",
        Shown::Money,
    ),
    (
        "si_revenue",
        "社会保险基金收入",
        "social insurance income",
        Shown::Money,
    ),
    ("since_period", "未变动起始", "unchanged since", Shown::Text),
    (
        "single_source_amount",
        "单一来源采购金额",
        "single-source amount",
        Shown::Money,
    ),
    (
        "single_source_count",
        "单一来源项目数",
        "single-source purchases",
        Shown::Text,
    ),
    (
        "soe_income",
        "国有资本经营收入",
        "SOE capital income",
        Shown::Money,
    ),
    ("source", "指标来源", "source", Shown::Text),
    (
        "spending",
        "一般公共预算与政府性基金预算支出",
        "general and fund budget spending",
        Shown::Money,
    ),
    ("spent", "累计支出", "spent to date", Shown::Money),
    ("spent_amount", "支出金额", "spent", Shown::Money),
    ("state_capital", "国有资本", "state capital", Shown::Money),
    (
        "state_capital_opening",
        "年初国有资本",
        "state capital at the start",
        Shown::Money,
    ),
    ("status", "整改状态", "status", Shown::Text),
    ("surplus", "超收", "revenue above budget", Shown::Money),
    (
        "tables_published",
        "实际公开表格数",
        "tables published",
        Shown::Text,
    ),
    (
        "tables_required",
        "应公开表格数",
        "tables prescribed",
        Shown::Text,
    ),
    ("target", "绩效目标", "performance target", Shown::Text),
    ("target_text", "年度目标", "target", Shown::Text),
    ("tax_revenue", "税收收入", "tax revenue", Shown::Money),
    ("term_years", "期限（年）", "term (years)", Shown::Text),
    ("to_october", "1-10月支出", "January-October", Shown::Money),
    ("tolerance", "容差", "tolerance", Shown::Text),
    ("total", "合计", "total", Shown::Money),
    ("total_amount", "支出合计", "total spending", Shown::Money),
    ("total_assets", "资产总额", "total assets", Shown::Money),
    (
        "total_liabilities",
        "负债总额",
        "total liabilities",
        Shown::Money,
    ),
    ("transfer_kind", "资金类别", "transfer kind", Shown::Text),
    (
        "transferred",
        "调出资金",
        "moved to the general budget",
        Shown::Money,
    ),
    (
        "treasury_balance",
        "月末库款",
        "treasury balance",
        Shown::Money,
    ),
    ("unit_a", "项目一单位", "unit of project one", Shown::Text),
    ("unit_b", "项目二单位", "unit of project two", Shown::Text),
    ("used_amount", "已使用", "used", Shown::Money),
    ("voucher_no", "凭证号", "voucher", Shown::Text),
    (
        "window_days",
        "时间窗口（天）",
        "window (days)",
        Shown::Text,
    ),
    ("year", "年度", "year", Shown::Text),
    ("year_1", "上年", "last year", Shown::Text),
    ("year_2", "前年", "the year before", Shown::Text),
    ("year_total", "全年支出", "year total", Shown::Money),
    ("years", "有数据年数", "years with data", Shown::Text),
    ("ytd_amount", "累计支出", "year to date", Shown::Money),
    ("ytd_completed", "累计完成投资", "completed", Shown::Money),
    (
        "ytd_payout",
        "本年累计支出",
        "paid out this year",
        Shown::Money,
    ),
    ("z", "稳健Z值", "robust z", Shown::Text),
];

/// Columns that only carry a message along: internal keys, flags the message states in words,
/// and helpers whose wording is in the message already. The other language's wording (`*_en` on
/// a Chinese page, `*_zh` on an English one) is left out as well.
const HELPERS: &[&str] = &[
    "agency_key",
    "band",
    "dept_key",
    "direction",
    "doc_key",
    "enterprise_key",
    "fund_key",
    "idle",
    "indicator_key",
    "item_key",
    "kind",
    "late",
    "max_pct",
    "min_pct",
    "part",
    "partly_old",
    "problem",
    "project_a",
    "project_b",
    "project_key",
    "recipient_key",
    "side",
    "status_text",
    "unit",
    "why",
    "window",
];

/// The label of an evidence column in `lang`, and how its value reads; `None` for a helper column
/// (and for one no rule returns: a test keeps the two lists complete).
pub fn label(column: &str, lang: Lang) -> Option<(&'static str, Shown)> {
    LABELS
        .iter()
        .find(|(c, ..)| *c == column)
        .map(|&(_, zh, en, shown)| (lang.t(zh, en), shown))
}

/// Whether a column is a helper of the message, never shown on its own.
pub fn is_helper(column: &str) -> bool {
    HELPERS.contains(&column)
        || column.ends_with("_en")
        || column.ends_with("_zh")
        || super::RESERVED_OUTPUT.contains(&column)
}

/// A finding's evidence as its reader sees it: labelled columns in `lang`, money in 万元 / 亿元,
/// flags as 是 / 否, blanks and helpers left out. A column without a label (a deployment's own
/// rule) keeps its name.
pub fn readable(evidence: &BTreeMap<String, String>, lang: Lang) -> Vec<(String, String)> {
    evidence
        .iter()
        .filter(|(c, v)| !v.is_empty() && !is_helper(c))
        .map(|(c, v)| match label(c, lang) {
            Some((name, shown)) => (name.to_string(), value(v, shown, lang)),
            None => (c.clone(), v.clone()),
        })
        .collect()
}

/// Evidence rows (each payment of a split) as one table: the labelled, non-helper columns of
/// the rows in `lang` as its head, each row's values read as in [`readable`] except money, which
/// stays exact 元 (with separators), blanks kept so the columns line up.
pub fn table(rows: &[BTreeMap<String, String>], lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let columns: Vec<&String> = rows
        .first()
        .map(|r| r.keys().filter(|c| !is_helper(c)).collect())
        .unwrap_or_default();
    let head = columns
        .iter()
        .map(|c| label(c, lang).map_or_else(|| c.to_string(), |(l, _)| l.to_string()))
        .collect();
    let body = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    let v = r.get(*c).map(String::as_str).unwrap_or("");
                    match label(c, lang) {
                        // A row is one payment or line: exact 元, so rows never read alike.
                        Some((_, Shown::Money)) => crate::common::Money::parse_yuan(v)
                            .map_or_else(|| v.to_string(), |m| m.yuan_grouped()),
                        Some((_, shown)) if !v.is_empty() => value(v, shown, lang),
                        _ => v.to_string(),
                    }
                })
                .collect()
        })
        .collect();
    (head, body)
}

fn value(v: &str, shown: Shown, lang: Lang) -> String {
    match shown {
        Shown::Money => crate::common::Money::parse_yuan(v)
            .map(|m| m.readable())
            .unwrap_or_else(|| v.to_string()),
        Shown::Flag => match v {
            "true" | "1" => lang.t("是", "yes").to_string(),
            "false" | "0" => lang.t("否", "no").to_string(),
            _ => v.to_string(),
        },
        Shown::Text => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_reads_in_the_readers_words() {
        let ev: BTreeMap<String, String> = [
            ("amount", "3200000.00"),
            ("due_date", "2025-06-30"),
            ("finding_no", "SJ2024-01"),
            ("problem_en", "no budget quota"),
            ("status_text", "整改中"),
            ("is_direct", "true"),
            ("subject", "教育局"),
            ("quota_id", ""),
            ("my_own_column", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let zh = readable(&ev, Lang::Zh);
        assert_eq!(
            zh,
            vec![
                ("金额".to_string(), "320.00万元".to_string()),
                ("整改期限".to_string(), "2025-06-30".to_string()),
                ("问题编号".to_string(), "SJ2024-01".to_string()),
                ("直达资金".to_string(), "是".to_string()),
                ("my_own_column".to_string(), "x".to_string()),
            ]
        );
        let rows: Vec<BTreeMap<String, String>> = [("1500.00", "V1"), ("", "V2")]
            .into_iter()
            .map(|(a, v)| {
                [("amount", a), ("voucher_no", v)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        let (head, body) = table(&rows, Lang::Zh);
        assert_eq!(head, ["金额", "凭证号"]);
        assert_eq!(body, [["1,500.00元", "V1"], ["", "V2"]]);
        let big = vec![BTreeMap::from([(
            "amount".to_string(),
            "195060.78".to_string(),
        )])];
        assert_eq!(table(&big, Lang::Zh).1, [["195,060.78元"]]);
        let en = readable(&ev, Lang::En);
        assert_eq!(en[0], ("amount".to_string(), "320.00万元".to_string()));
        assert!(en.iter().all(|(k, _)| k != "problem_en"));
    }
}
