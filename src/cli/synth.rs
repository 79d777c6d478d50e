//! A synthetic region, deterministic from a seed, written in the formats extracts really
//! arrive in: GBK CSV with title rows and 万元, XLSX workbooks with one sheet per budget kind and
//! merged two-row headers, UTF-8 CSV with BOM, CR-only line endings, numbers stored as text.
//!
//! `--scale 1` is the demo region 示范市 (12 departments, ~150 budget units, 12 months of every
//! dataset). Anomalies are planted on purpose and listed in `anomalies.toml`, so rule tests can
//! assert that each fires on its unit and month, and that clean units stay quiet. Larger scales
//! multiply departments, units, lines per unit and payments per unit, for benchmarks.

// The generator's tables are tuples on purpose: one line per department, fund or bond reads
// like the spreadsheet it stands for.
#![allow(clippy::type_complexity)]

use std::fmt::Write as _;
use std::path::Path;

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

use purse::error::{PurseError, Result};

const YEAR: i32 = 2025;
pub const REGION_CODE: &str = "990100";
pub const REGION_NAME: &str = "示范市";
const KINDS: [&str; 4] = [
    "一般公共预算",
    "政府性基金预算",
    "国有资本经营预算",
    "社会保险基金预算",
];

/// SplitMix64: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

/// Rounds 元 to whole hundreds (0.01 万元) in fen, so 万元 files with two decimals are exact.
fn fen100(yuan: f64) -> i64 {
    ((yuan / 100.0).round() as i64) * 10_000
}

/// fen → "1234.56" (元)
fn yuan(fen: i64) -> String {
    let s = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{s}{}.{:02}", a / 100, a % 100)
}

/// fen (a multiple of 100 元) → "12.34" (万元)
fn wan(fen: i64) -> String {
    let s = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs() / 10_000;
    format!("{s}{}.{:02}", a / 100, a % 100)
}

fn wan_f(fen: i64) -> f64 {
    (fen / 10_000) as f64 / 100.0
}

/// "1,234.56" as bureaus type it.
fn thousands(s: &str) -> String {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let (sign, digits) = int.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", int));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{out}")
    } else {
        format!("{sign}{out}.{frac}")
    }
}

struct Dept {
    code: String,
    name: String,
    /// 类/款 prefix of its functions and the 项 codes its units spend on.
    funcs: &'static [(&'static str, &'static str)],
    /// Kind of its subordinate units: 学校 / 医院 / 中心.
    unit_word: &'static str,
}

struct Unit {
    code: String,
    name: String,
    dept: usize,
}

#[derive(Clone)]
struct Line {
    unit: usize,
    kind: usize,
    func: (&'static str, &'static str),
    dept_econ: (&'static str, &'static str),
    gov_econ: (&'static str, &'static str),
    project: Option<(String, String)>,
    initial: i64,
    adjusted: i64,
    /// Cumulative share of the adjusted budget spent by the end of each month.
    cum: [f64; 12],
    /// Last year's 累计 relative to this year's.
    prior_factor: f64,
}

impl Line {
    fn ytd(&self, m: usize) -> i64 {
        fen100(self.adjusted as f64 / 100.0 * self.cum[m - 1])
    }
    fn month(&self, m: usize) -> i64 {
        self.ytd(m) - if m > 1 { self.ytd(m - 1) } else { 0 }
    }
    fn prior_ytd(&self, m: usize) -> i64 {
        fen100(self.ytd(m) as f64 / 100.0 * self.prior_factor)
    }
}

const DEPTS: [(&str, &str, &[(&str, &str)]); 12] = [
    (
        "教育局",
        "学校",
        &[
            ("2050101", "行政运行"),
            ("2050201", "学前教育"),
            ("2050202", "小学教育"),
            ("2050203", "初中教育"),
            ("2050204", "高中教育"),
        ],
    ),
    (
        "卫生健康委员会",
        "医院",
        &[("2100201", "综合医院"), ("2100408", "基本公共卫生服务")],
    ),
    (
        "财政局",
        "中心",
        &[("2010601", "行政运行"), ("2010650", "事业运行")],
    ),
    (
        "审计局",
        "中心",
        &[("2010801", "行政运行"), ("2010804", "审计业务")],
    ),
    (
        "人大常委会办公室",
        "中心",
        &[
            ("2010101", "行政运行"),
            ("2010104", "人大会议"),
            ("2010108", "代表工作"),
        ],
    ),
    (
        "公安局",
        "分局",
        &[("2040201", "行政运行"), ("2040220", "执法办案")],
    ),
    (
        "生态环境局",
        "站",
        &[("2110301", "大气"), ("2110302", "水体")],
    ),
    (
        "交通运输局",
        "中心",
        &[("2140104", "公路建设"), ("2140106", "公路养护")],
    ),
    (
        "住房和城乡建设局",
        "中心",
        &[("2210201", "住房公积金"), ("2120801", "征地和拆迁补偿支出")],
    ),
    (
        "人力资源和社会保障局",
        "中心",
        &[
            ("2080505", "机关事业单位基本养老保险缴费支出"),
            ("2080501", "行政单位离退休"),
        ],
    ),
    ("发展和改革委员会", "中心", &[("2010401", "行政运行")]),
    ("统计局", "队", &[("2010501", "行政运行")]),
];

/// Basic-expenditure lines every unit has: (dept econ, gov econ, share of the unit's budget).
const BASIC: [((&str, &str), (&str, &str), f64); 8] = [
    (("30101", "基本工资"), ("50101", "工资奖金津补贴"), 0.30),
    (("30102", "津贴补贴"), ("50101", "工资奖金津补贴"), 0.18),
    (
        ("30108", "机关事业单位基本养老保险缴费"),
        ("50102", "社会保障缴费"),
        0.10,
    ),
    (("30201", "办公费"), ("50201", "办公经费"), 0.06),
    (("30211", "差旅费"), ("50201", "办公经费"), 0.03),
    (("30217", "公务接待费"), ("50206", "公务接待费"), 0.008),
    (
        ("30231", "公务用车运行维护费"),
        ("50208", "公务用车运行维护费"),
        0.012,
    ),
    (
        ("30299", "其他商品和服务支出"),
        ("50299", "其他商品和服务支出"),
        0.02,
    ),
];

/// A planted anomaly: which rule should fire, on what, and when.
struct Anomaly {
    rule: &'static str,
    key: String,
    period: String,
    note: String,
}

pub struct Region {
    depts: Vec<Dept>,
    units: Vec<Unit>,
    lines: Vec<Line>,
    anomalies: Vec<Anomaly>,
    scale: u32,
    seed: u64,
}

fn smooth_curve(rng: &mut Rng, end: f64) -> [f64; 12] {
    let mut cum = [0.0; 12];
    for (i, c) in cum.iter_mut().enumerate() {
        let t = (i + 1) as f64 / 12.0;
        *c = (t * end * (1.0 + (rng.f() - 0.5) * 0.05)).min(end);
    }
    cum[11] = end;
    for i in 1..12 {
        if cum[i] < cum[i - 1] {
            cum[i] = cum[i - 1];
        }
    }
    cum
}

impl Region {
    pub fn new(scale: u32, seed: u64) -> Region {
        let mut rng = Rng(seed ^ 0x5055_5253_4500_0000);
        let mut depts = Vec::new();
        for s in 0..scale {
            for (i, (name, word, funcs)) in DEPTS.iter().enumerate() {
                let code = format!("{:03}", 101 + s as usize * DEPTS.len() + i);
                let name = if s == 0 {
                    name.to_string()
                } else {
                    format!("{name}（{}）", s + 1)
                };
                depts.push(Dept {
                    code,
                    name,
                    funcs,
                    unit_word: word,
                });
            }
        }
        // ~150 units per scale step: the department's own office plus subordinate units.
        let mut units = Vec::new();
        for (di, d) in depts.iter().enumerate() {
            let n = match d.unit_word {
                "学校" => 40,
                "医院" => 18,
                _ => 8,
            };
            for k in 0..n {
                let name = if k == 0 {
                    format!("{REGION_NAME}{}本级", d.name)
                } else {
                    format!(
                        "{REGION_NAME}{}第{}{}",
                        d.name.trim_end_matches("局"),
                        k,
                        d.unit_word
                    )
                };
                units.push(Unit {
                    code: format!("{}{:03}", d.code, k + 1),
                    name,
                    dept: di,
                });
            }
        }
        let projects_per_unit = 1 + (scale as usize * 23) / 10;
        let mut lines = Vec::new();
        for (ui, u) in units.iter().enumerate() {
            let d = &depts[u.dept];
            let size = 2_000_000.0 + rng.f() * 18_000_000.0; // 元 per year
            for (de, ge, share) in BASIC {
                let func = *rng.pick(d.funcs);
                let adjusted = fen100(size * share * (0.9 + rng.f() * 0.2));
                let salary = de.0.starts_with("301");
                let cum = if salary {
                    std::array::from_fn(|i| (i + 1) as f64 / 12.0)
                } else {
                    {
                        let end = 0.97 + rng.f() * 0.03;
                        smooth_curve(&mut rng, end)
                    }
                };
                let three = matches!(de.0, "30217" | "30231" | "30212");
                let prior_factor = if three {
                    1.05 + rng.f() * 0.1
                } else {
                    0.92 + rng.f() * 0.16
                };
                lines.push(Line {
                    unit: ui,
                    kind: 0,
                    func,
                    dept_econ: de,
                    gov_econ: ge,
                    project: None,
                    initial: adjusted,
                    adjusted,
                    cum,
                    prior_factor,
                });
            }
            for p in 0..projects_per_unit {
                let func = *rng.pick(d.funcs);
                let (kind, de, ge) = match (d.name.as_str(), p) {
                    (n, 0) if n.starts_with("住房和城乡建设局") || n.starts_with("交通运输局") => {
                        (1, ("31005", "基础设施建设"), ("50302", "基础设施建设"))
                    }
                    (n, 0) if n.starts_with("财政局") => {
                        (2, ("31201", "资本金注入"), ("50701", "对企业补助"))
                    }
                    (n, 0) if n.starts_with("人力资源和社会保障局") => {
                        (3, ("30302", "退休费"), ("50905", "离退休费"))
                    }
                    _ => {
                        let opts = [
                            (("30227", "委托业务费"), ("50205", "委托业务费")),
                            (("31002", "办公设备购置"), ("50306", "设备购置")),
                            (("30213", "维修(护)费"), ("50209", "维修(护)费")),
                            (("30218", "专用材料费"), ("50204", "专用材料购置费")),
                        ];
                        let (a, b) = *rng.pick(&opts);
                        (0, a, b)
                    }
                };
                let func = match kind {
                    1 => ("2120801", "征地和拆迁补偿支出"),
                    2 => ("2230101", "对国有企业补助"),
                    3 => ("2090101", "基本养老保险基金支出"),
                    _ => func,
                };
                let adjusted = fen100(size * (0.05 + rng.f() * 0.15));
                let initial = if rng.f() < 0.2 {
                    fen100(adjusted as f64 / 100.0 * 0.9)
                } else {
                    adjusted
                };
                lines.push(Line {
                    unit: ui,
                    kind,
                    func,
                    dept_econ: de,
                    gov_econ: ge,
                    project: Some((
                        format!("P{}{:02}", u.code, p + 1),
                        format!("{}专项{}", d.name, p + 1),
                    )),
                    initial,
                    adjusted,
                    cum: {
                        let end = 0.95 + rng.f() * 0.05;
                        smooth_curve(&mut rng, end)
                    },
                    prior_factor: 0.9 + rng.f() * 0.2,
                });
            }
        }
        let mut r = Region {
            depts,
            units,
            lines,
            anomalies: Vec::new(),
            scale,
            seed,
        };
        r.plant_execution_anomalies();
        r
    }

    /// The unit's smallest project line: planted trouble there moves the unit's totals least.
    fn smallest_project(&mut self, unit: usize) -> Option<&mut Line> {
        self.lines
            .iter_mut()
            .filter(|l| l.unit == unit && l.project.is_some())
            .min_by_key(|l| l.adjusted)
    }

    fn unit_lines(&mut self, unit: usize) -> impl Iterator<Item = &mut Line> {
        self.lines.iter_mut().filter(move |l| l.unit == unit)
    }

    /// A line of the finance bureau's own budget (its first unit) that is held rather than spent
    /// on any economic item (a reserve, a transfer out): no economic codes, drawn evenly through
    /// the year. False where the region has no finance bureau.
    fn bureau_line(
        &mut self,
        kind: usize,
        func: (&'static str, &'static str),
        amount: i64,
    ) -> bool {
        self.bureau_spends(kind, func, (("", ""), ("", "")), amount, |m| {
            (m + 1) as f64 / 12.0
        })
    }

    /// A line of the finance bureau's own budget with its economic codes (部门, 政府) and the
    /// cumulative share of the budget spent by the end of each month (0-based). False where the
    /// region has no finance bureau.
    fn bureau_spends(
        &mut self,
        kind: usize,
        func: (&'static str, &'static str),
        econ: ((&'static str, &'static str), (&'static str, &'static str)),
        amount: i64,
        cum: impl Fn(usize) -> f64,
    ) -> bool {
        let Some(bureau) = self
            .units
            .iter()
            .position(|u| self.depts[u.dept].name == "财政局")
        else {
            return false;
        };
        self.lines.push(Line {
            unit: bureau,
            kind,
            func,
            dept_econ: econ.0,
            gov_econ: econ.1,
            project: None,
            initial: amount,
            adjusted: amount,
            cum: std::array::from_fn(cum),
            prior_factor: 1.0,
        });
        true
    }

    /// The code of the own office (本级, the first unit) of the department at `pos`.
    fn office_of(&self, pos: usize) -> String {
        self.units
            .iter()
            .find(|u| u.dept == pos)
            .map(|u| u.code.clone())
            .unwrap_or_default()
    }

    fn anomaly(&mut self, rule: &'static str, key: String, period: &str, note: String) {
        self.anomalies.push(Anomaly {
            rule,
            key,
            period: period.to_string(),
            note,
        });
    }

    /// Budget-execution anomalies on fixed units of the first departments (so every scale has
    /// them at the same codes).
    fn plant_execution_anomalies(&mut self) {
        // Units chosen by position inside 教育局 (dept 0) and 卫健委 (dept 1).
        let lag_red = 5; // 教育局第5学校
        let lag_yellow = 45; // 卫健委第5医院 (40 教育 units come first)
        let over = 7;
        let three_over = 9;
        let rush = 11;
        let three_growth = 13;
        let vague = 15;
        let adjust = 17;
        let low = 19;
        for l in self.unit_lines(lag_red) {
            if !l.dept_econ.0.starts_with("301") {
                l.cum = std::array::from_fn(|i| (i + 1) as f64 / 12.0 * 0.25);
            }
        }
        for l in self.unit_lines(lag_yellow) {
            if !l.dept_econ.0.starts_with("301") {
                l.cum = std::array::from_fn(|i| {
                    ((i + 1) as f64 / 12.0 - if i >= 3 { 0.26 } else { 0.0 }).max(0.0)
                });
                l.cum[11] = 0.97;
                l.cum[10] = 0.80;
            }
        }
        // The whole unit lags, not just its projects: salaries are paid on time, so lag only its
        // non-salary lines hard enough that the unit as a whole is ≥ 10 / ≥ 20 pp behind.
        let u = |r: &Region, i: usize| r.units[i].code.clone();
        let n = |r: &Region, i: usize| r.units[i].name.clone();
        let (c, nm) = (u(self, lag_red), n(self, lag_red));
        self.anomaly(
            "execution_lag",
            format!("agency_code={c}"),
            "2025-04",
            format!("{nm}: non-salary spending at a quarter of time progress: yellow from April, red from July"),
        );
        let (c, nm) = (u(self, lag_yellow), n(self, lag_yellow));
        self.anomaly(
            "execution_lag",
            format!("agency_code={c}"),
            "2025-04",
            format!("{nm}: non-salary spending 26 pp behind from April to October (yellow)"),
        );
        // Against its own earlier years (written by write_execution_history) the same two
        // units' pace says, months ahead, where their years will end.
        let (c, nm) = (u(self, lag_red), n(self, lag_red));
        self.anomaly(
            "projected_execution",
            format!("agency_code={c}"),
            "2025-03",
            format!("{nm}: at its pace the year ends near 67 % of the budget (red from March)"),
        );
        let (c, nm) = (u(self, lag_yellow), n(self, lag_yellow));
        self.anomaly(
            "projected_execution",
            format!("agency_code={c}"),
            "2025-04",
            format!("{nm}: projected below 85 % from April until its November catch-up"),
        );

        if let Some(l) = self.unit_lines(over).find(|l| l.dept_econ.0 == "30201") {
            l.cum = std::array::from_fn(|i| (i + 1) as f64 / 12.0 * 1.3);
        }
        let (c, nm) = (u(self, over), n(self, over));
        self.anomaly(
            "over_budget",
            format!("agency_code={c}|dept_econ_code=30201"),
            "2025-10",
            format!("{nm}: 办公费 ytd above the adjusted budget from October"),
        );
        if let Some(l) = self
            .unit_lines(three_over)
            .find(|l| l.dept_econ.0 == "30217")
        {
            l.cum = std::array::from_fn(|i| (i + 1) as f64 / 12.0 * 1.15);
        }
        let (c, nm) = (u(self, three_over), n(self, three_over));
        self.anomaly(
            "over_budget",
            format!("agency_code={c}|dept_econ_code=30217"),
            "2025-11",
            format!("{nm}: 公务接待费 (三公) over budget from November (red)"),
        );

        let rushed = self.smallest_project(rush).map(|l| {
            l.cum = std::array::from_fn(|i| match i {
                0..=9 => (i + 1) as f64 / 12.0 * 0.4,
                10 => 0.62,
                _ => 0.98,
            });
            l.project.clone().map(|p| p.0).unwrap_or_default()
        });
        if let Some(p) = rushed {
            let (c, nm) = (u(self, rush), n(self, rush));
            self.anomaly(
                "year_end_rush",
                format!("agency_code={c}|project_code={p}"),
                "2025-12",
                format!("{nm}: {p} spends 66 % of its year in November and December"),
            );
        }
        if let Some(l) = self
            .unit_lines(three_growth)
            .find(|l| l.dept_econ.0 == "30231")
        {
            l.prior_factor = 0.77;
        }
        let (c, nm) = (u(self, three_growth), n(self, three_growth));
        self.anomaly(
            "three_public_expenses",
            format!("agency_code={c}|dept_econ_code=30231"),
            "2025-01",
            format!("{nm}: 公务用车运行维护费 up 30 % on last year, every month"),
        );
        if let Some(l) = self.unit_lines(vague).find(|l| l.dept_econ.0 == "30299") {
            l.adjusted *= 12;
            l.initial = l.adjusted;
        }
        let (c, nm) = (u(self, vague), n(self, vague));
        self.anomaly(
            "vague_economic_code",
            format!("agency_code={c}|project_code="),
            "2025-01",
            format!("{nm}: 其他商品和服务支出 (30299) about a quarter of basic expenditure"),
        );
        let adjusted = self.smallest_project(adjust).map(|l| {
            l.initial = fen100(l.adjusted as f64 / 200.0);
            l.project.clone().map(|p| p.0).unwrap_or_default()
        });
        if let Some(p) = adjusted {
            let (c, nm) = (u(self, adjust), n(self, adjust));
            self.anomaly(
                "budget_adjustment",
                format!("agency_code={c}|project_code={p}"),
                "2025-01",
                format!("{nm}: {p} doubled from its initial budget"),
            );
        }
        // A key area behind: 生态环境局's smallest project in each unit is 农林水 (213, 农业资源
        // 保护修复与利用) work, spent at 65 % of time progress all year. The class as a whole
        // is 11.7 pp behind in April (yellow), 20.4 pp in July (red); no unit lags 10 pp for it
        // (the project is a small share of each unit), and 65 % by December is far from
        // low_execution's 20 %.
        let ecology: Vec<usize> = (0..self.units.len())
            .filter(|&i| self.depts[self.units[i].dept].name == "生态环境局")
            .collect();
        for i in ecology {
            if let Some(l) = self.smallest_project(i) {
                l.func = ("2130135", "农业资源保护修复与利用");
                l.cum = std::array::from_fn(|m| (m + 1) as f64 / 12.0 * 0.65);
            }
        }
        self.anomaly(
            "function_lag",
            format!("region_code={REGION_CODE}|func_class=213"),
            "2025-04",
            "农林水支出 (生态环境局's rural-ecology projects) at 65 % of time progress: yellow from April, red from July".into(),
        );
        // 一般性支出 up: 公安局's goods and services (302, 三公 codes aside: three_public_expenses
        // watches those per unit) were three quarters of this year's a year ago, enough to lift
        // the region's 302 spending above last year's every month.
        for l in self.lines.iter_mut() {
            let dept = self.units[l.unit].dept;
            if self.depts[dept].name == "公安局"
                && l.dept_econ.0.starts_with("302")
                && !matches!(l.dept_econ.0, "30212" | "30217" | "30231")
            {
                l.prior_factor = 0.75;
            }
        }
        self.anomaly(
            "general_expenditure_growth",
            format!("region_code={REGION_CODE}"),
            "2025-01",
            "公安局's 302 spending a third above last year's lifts the region's 一般性支出 above last year's".into(),
        );
        // 预备费 (预算法 §40: 1–3 % of general expenditure) set at 0.6 % in the finance bureau's own
        // budget, drawn evenly through the year.
        let general: i64 = self
            .lines
            .iter()
            .filter(|l| l.kind == 0)
            .map(|l| l.adjusted)
            .sum();
        let reserve = fen100(general as f64 / 100.0 * 0.006);
        if self.bureau_line(0, ("227", "预备费"), reserve) {
            self.anomaly(
                "contingency_reserve",
                format!("region_code={REGION_CODE}"),
                "2025-01",
                "预备费 at 0.6 % of general budget expenditure, below §40's 1 %".into(),
            );
        }
        // The state capital budget moves 10 % of its income (国有资本经营收入, 5,000 万元 a year
        // per scale step, write_revenue) to the general budget, short of the 30 % aimed at.
        let moved = fen100(5_000.0 * 10_000.0 * self.scale as f64 * 0.10);
        if self.bureau_line(2, ("23008", "调出资金"), moved) {
            self.anomaly(
                "soe_capital_transfer",
                format!("region_code={REGION_CODE}"),
                "2025-01",
                "调出资金 at 10 % of state capital income, short of 30 %".into(),
            );
        }
        // 三保: the basic-livelihood part (303 对个人和家庭的补助) is one line of temporary relief
        // (临时救助) in the finance bureau's budget, paid at 65 % of time progress: 10 points
        // behind from April, 20 from July.
        if self.bureau_spends(
            0,
            ("2082001", "临时救助支出"),
            (("30305", "生活补助"), ("50901", "社会福利和救助")),
            fen100(1_000_000.0 * self.scale as f64),
            |m| (m + 1) as f64 / 12.0 * 0.65,
        ) {
            self.anomaly(
                "sanbao_shortfall",
                format!("region_code={REGION_CODE}|part=livelihoods"),
                "2025-04",
                "临时救助 (303, 保基本民生) paid at 65 % of time progress: 11.7 pp behind in April, red from July".into(),
            );
        }
        // Interest on the general debt (232) at about 8 % of what the general and fund budgets
        // spend (利息支出率 over the 7 % line), paid evenly until December, when 35 % more than
        // its budget is paid: the region's general spending ends above its adjusted budget while
        // revenue runs above budget (预算法 §66: 超收 spent without an adjustment).
        let spending: i64 = self
            .lines
            .iter()
            .filter(|l| l.kind <= 1)
            .map(|l| l.adjusted)
            .sum();
        let interest = fen100(spending as f64 / 100.0 * 0.087);
        if self.bureau_spends(
            0,
            ("2320301", "地方政府一般债务付息支出"),
            (("30701", "国内债务付息"), ("50701", "国内债务付息")),
            interest,
            |m| if m < 11 { (m + 1) as f64 / 12.0 } else { 1.35 },
        ) {
            let bureau = self
                .units
                .iter()
                .find(|u| self.depts[u.dept].name == "财政局")
                .map(|u| u.code.clone())
                .unwrap_or_default();
            self.anomaly(
                "interest_expense_ratio",
                format!("region_code={REGION_CODE}"),
                "2025-01",
                "interest (232) at about 8 % of general and fund spending, over the 7 % line"
                    .into(),
            );
            self.anomaly(
                "overrun_spending",
                format!("region_code={REGION_CODE}"),
                "2025-12",
                "December's interest 35 % over its budget lifts general spending above the adjusted budget while revenue is above budget".into(),
            );
            self.anomaly(
                "over_budget",
                format!("agency_code={bureau}|dept_econ_code=30701"),
                "2025-12",
                "财政局本级: interest paid 35 % above its budget in December".into(),
            );
        }
        let starved = self.smallest_project(low).map(|l| {
            l.cum = std::array::from_fn(|i| (i + 1) as f64 / 12.0 * 0.15);
            l.project.clone().map(|p| p.0).unwrap_or_default()
        });
        if let Some(p) = starved {
            let (c, nm) = (u(self, low), n(self, low));
            self.anomaly(
                "low_execution",
                format!("agency_code={c}|project_code={p}"),
                "2025-12",
                format!("{nm}: {p} spends 15 % of its budget in the year"),
            );
        }
    }
}

fn xe(e: XlsxError) -> PurseError {
    PurseError::Invalid(format!("writing xlsx: {e}"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| PurseError::io(p, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| PurseError::io(path, e))
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

fn csv_line(cells: &[String]) -> String {
    let mut s = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            let _ = write!(s, "\"{}\"", c.replace('"', "\"\""));
        } else {
            s.push_str(c);
        }
    }
    s
}

fn workbook() -> Workbook {
    let mut wb = Workbook::new();
    // Fixed properties so the same seed gives the same bytes.
    let when = ExcelDateTime::from_ymd(2025, 1, 1).expect("valid date");
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&when)
            .set_author("purse gen"),
    );
    wb
}

fn save(wb: &mut Workbook, path: &Path) -> Result<()> {
    let bytes = wb.save_to_buffer().map_err(xe)?;
    write(path, &bytes)
}

/// The day the finance bureau approves (批复) the budget of the department at `di`: 13 to 19 days
/// after the congress's approval on 15 January, 统计局 (the twelfth) on day 28, eight days late.
/// write_allocations records it, write_publications publishes from it.
fn dept_approved(di: usize) -> chrono::NaiveDate {
    let days = if di % DEPTS.len() == 11 {
        28
    } else {
        13 + (di % 7) as u64
    };
    date(YEAR, 1, 15) + chrono::Days::new(days)
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The last day of month `m` of year `y`.
fn month_end(y: i32, m: u32) -> chrono::NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    date(ny, nm, 1).pred_opt().unwrap_or_default()
}

/// A worksheet named `name`, with `title` in its first cell and the column heads in row
/// `head_row` (a title row or two above the table, as bureaus' exports have them).
fn titled_sheet<'a>(
    wb: &'a mut Workbook,
    name: &str,
    title: &str,
    head_row: u32,
    heads: &[&str],
) -> Result<&'a mut Worksheet> {
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(xe)?;
    ws.write_string(0, 0, title).map_err(xe)?;
    for (c, h) in heads.iter().enumerate() {
        ws.write_string(head_row, c as u16, *h).map_err(xe)?;
    }
    Ok(ws)
}

fn write_row(ws: &mut Worksheet, row: u32, cells: &[Cell]) -> Result<()> {
    for (c, v) in cells.iter().enumerate() {
        match v {
            Cell::S(s) => ws.write_string(row, c as u16, s).map(|_| ()),
            Cell::N(n) => ws.write_number(row, c as u16, *n).map(|_| ()),
            Cell::E => Ok(()),
        }
        .map_err(xe)?;
    }
    Ok(())
}

enum Cell {
    S(String),
    N(f64),
    E,
}

/// The general budget's tax lines (code, name, the year's budget in 万元 at scale 1): the revenue
/// ledger and next year's draft read the same.
const TAX_LINES: [(&str, &str, f64); 6] = [
    ("10101", "增值税", 120_000.0),
    ("10104", "企业所得税", 60_000.0),
    ("10106", "个人所得税", 20_000.0),
    ("10109", "城市维护建设税", 15_000.0),
    ("10110", "房产税", 9_000.0),
    ("10119", "契税", 18_000.0),
];

/// The general budget's non-tax lines, as [`TAX_LINES`].
const NONTAX_LINES: [(&str, &str, f64); 4] = [
    ("10302", "专项收入", 30_000.0),
    ("10304", "行政事业性收费收入", 12_000.0),
    ("10305", "罚没收入", 9_000.0),
    ("10307", "国有资源(资产)有偿使用收入", 30_000.0),
];

/// Every dataset the generator writes, in order.
pub const DATASETS: [&str; 19] = [
    "budget_execution",
    "revenue",
    "payments",
    "special_funds",
    "debt",
    "bonds",
    "soe_finance",
    "indicators",
    "targets",
    "projects",
    "audit_findings",
    "allocations",
    "procurement",
    "balances",
    "carryovers",
    "draft_budget",
    "draft_revenue",
    "final_accounts",
    "publications",
];

/// Rows in one Excel worksheet (the .xlsx format's limit).
const XLSX_MAX_ROWS: usize = 1_048_576;

/// Whether a sheet of `lines` execution lines fits in a worksheet: four header rows, the lines,
/// the totals row, a blank row and the notes.
fn fits_a_sheet(lines: usize) -> bool {
    lines + 7 <= XLSX_MAX_ROWS
}

/// Writes the region into `out` (only the datasets in `only`, when given); returns a
/// one-paragraph summary.
pub fn generate(out: &Path, scale: u32, seed: u64, only: &[String]) -> Result<String> {
    if let Some(bad) = only.iter().find(|o| !DATASETS.contains(&o.as_str())) {
        return Err(PurseError::Invalid(format!(
            "--only {bad}: not a dataset ({})",
            DATASETS.join(", ")
        )));
    }
    let mut r = Region::new(scale, seed);
    std::fs::create_dir_all(out).map_err(|e| PurseError::io(out, e))?;
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for d in DATASETS {
        if !only.is_empty() && !only.iter().any(|o| o == d) {
            continue;
        }
        let n = match d {
            "budget_execution" => r.write_execution(out)? + r.write_execution_history(out)?,
            "revenue" => r.write_revenue(out)?,
            "payments" => r.write_payments(out)?,
            "special_funds" => r.write_special_funds(out)?,
            "debt" => r.write_debt(out)?,
            "bonds" => r.write_bonds(out)?,
            "soe_finance" => r.write_soe(out)?,
            "indicators" => r.write_indicators(out)?,
            "targets" => r.write_targets(out)?,
            "projects" => r.write_projects(out)?,
            "audit_findings" => r.write_audit(out)?,
            "allocations" => r.write_allocations(out)?,
            "procurement" => r.write_procurement(out)?,
            "balances" => r.write_balances(out)?,
            "carryovers" => r.write_carryovers(out)?,
            "draft_budget" => r.write_draft_budget(out)?,
            "draft_revenue" => r.write_draft_revenue(out)?,
            "final_accounts" => r.write_final_accounts(out)?,
            _ => r.write_publications(out)?,
        };
        counts.push((d, n));
    }
    if only.is_empty() {
        r.write_manifest(out)?;
    }
    let mut s = format!(
        "{REGION_NAME} (scale {scale}, seed {seed}): {} departments, {} budget units, {} execution lines; rows written:",
        r.depts.len(),
        r.units.len(),
        r.lines.len()
    );
    for (d, n) in counts {
        let _ = write!(s, " {d} {n},");
    }
    s.pop();
    if only.is_empty() {
        let _ = write!(
            s,
            "; {} planted anomalies listed in anomalies.toml",
            r.anomalies.len()
        );
    }
    Ok(s)
}

impl Region {
    /// Months 1–6: GBK CSV, title rows, 单位：万元, all four budget kinds in one file.
    /// Months 7–12: XLSX, one sheet per budget kind, merged two-row header, totals row, notes —
    /// unless a budget kind has more lines than an Excel sheet has rows (`--scale` above ≈ 60):
    /// a bureau's system exports such a month as CSV too, and so does the generator.
    fn write_execution(&self, out: &Path) -> Result<usize> {
        let mut rows = 0;
        let fits_a_sheet = (0..KINDS.len())
            .all(|k| fits_a_sheet(self.lines.iter().filter(|l| l.kind == k).count()));
        for m in 1..=12usize {
            if m <= 6 || !fits_a_sheet {
                let mut t = String::new();
                let _ = writeln!(
                    t,
                    "{REGION_NAME}{YEAR}年1-{m}月预算支出执行情况表,,,,,,,,,,,,,,"
                );
                let _ = writeln!(t, ",,,,,,,,,,,,,单位：万元,");
                let _ = writeln!(
                    t,
                    "预算类型,部门编码,部门名称,预算单位编码,预算单位名称,功能分类科目,政府经济分类,部门经济分类,项目编码,项目名称,年初预算数,调整后预算数,本月支出,累计支出,上年同期累计"
                );
                let mut total = (0i64, 0i64);
                for l in &self.lines {
                    let u = &self.units[l.unit];
                    let d = &self.depts[u.dept];
                    let (pc, pn) = l.project.clone().unwrap_or_default();
                    let _ = writeln!(
                        t,
                        "{}",
                        csv_line(&[
                            KINDS[l.kind].into(),
                            d.code.clone(),
                            d.name.clone(),
                            u.code.clone(),
                            u.name.clone(),
                            format!("{} {}", l.func.0, l.func.1),
                            format!("{} {}", l.gov_econ.0, l.gov_econ.1),
                            format!("{} {}", l.dept_econ.0, l.dept_econ.1),
                            pc,
                            pn,
                            wan(l.initial),
                            wan(l.adjusted),
                            wan(l.month(m)),
                            wan(l.ytd(m)),
                            wan(l.prior_ytd(m)),
                        ])
                    );
                    total.0 += l.adjusted;
                    total.1 += l.ytd(m);
                    rows += 1;
                }
                let _ = writeln!(t, "合计,,,,,,,,,,,{},,{},", wan(total.0), wan(total.1));
                let _ = writeln!(
                    t,
                    "注：本表数据来源于国库集中支付系统，为快报数。,,,,,,,,,,,,,,"
                );
                let _ = writeln!(t, "制表人：张三,,,,,审核人：李四,,,,,,,,,");
                write(
                    &out.join(format!("budget_execution/{YEAR}-{m:02}.csv")),
                    &gbk(&t),
                )?;
            } else {
                let mut wb = workbook();
                let merge = Format::new().set_align(FormatAlign::Center).set_bold();
                for (k, kind) in KINDS.iter().enumerate() {
                    let ws = wb.add_worksheet();
                    ws.set_name(*kind).map_err(xe)?;
                    ws.merge_range(
                        0,
                        0,
                        0,
                        11,
                        &format!("{REGION_NAME}{YEAR}年1-{m}月{kind}支出执行情况表"),
                        &merge,
                    )
                    .map_err(xe)?;
                    ws.write_string(1, 10, "单位：万元").map_err(xe)?;
                    let heads = [
                        "部门",
                        "预算单位编码",
                        "预算单位名称",
                        "功能分类科目编码",
                        "功能分类科目名称",
                        "部门经济分类",
                        "项目编码",
                        "项目名称",
                        "年初预算数",
                        "调整预算数",
                    ];
                    for (c, h) in heads.iter().enumerate() {
                        ws.merge_range(2, c as u16, 3, c as u16, h, &merge)
                            .map_err(xe)?;
                    }
                    ws.merge_range(2, 10, 2, 11, "支出数", &merge).map_err(xe)?;
                    ws.write_string(3, 10, "本月").map_err(xe)?;
                    ws.write_string(3, 11, "累计").map_err(xe)?;
                    ws.merge_range(2, 12, 3, 12, "上年同期累计", &merge)
                        .map_err(xe)?;
                    let mut row = 4u32;
                    let mut total = (0i64, 0i64);
                    for l in self.lines.iter().filter(|l| l.kind == k) {
                        let u = &self.units[l.unit];
                        let d = &self.depts[u.dept];
                        let (pc, pn) = l.project.clone().unwrap_or_default();
                        write_row(
                            ws,
                            row,
                            &[
                                Cell::S(d.name.clone()),
                                Cell::S(u.code.clone()),
                                Cell::S(u.name.clone()),
                                Cell::S(l.func.0.into()),
                                Cell::S(l.func.1.into()),
                                Cell::S(format!("{} {}", l.dept_econ.0, l.dept_econ.1)),
                                if pc.is_empty() { Cell::E } else { Cell::S(pc) },
                                if pn.is_empty() { Cell::E } else { Cell::S(pn) },
                                Cell::N(wan_f(l.initial)),
                                Cell::N(wan_f(l.adjusted)),
                                Cell::N(wan_f(l.month(m))),
                                Cell::N(wan_f(l.ytd(m))),
                                Cell::N(wan_f(l.prior_ytd(m))),
                            ],
                        )?;
                        total.0 += l.adjusted;
                        total.1 += l.ytd(m);
                        row += 1;
                        rows += 1;
                    }
                    write_row(
                        ws,
                        row,
                        &[
                            Cell::S("合计".into()),
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::E,
                            Cell::N(wan_f(total.0)),
                            Cell::E,
                            Cell::N(wan_f(total.1)),
                        ],
                    )?;
                    ws.write_string(row + 2, 0, "注：1.本表为月度快报数；2.累计数含本月。")
                        .map_err(xe)?;
                }
                save(
                    &mut wb,
                    &out.join(format!("budget_execution/{YEAR}-{m:02}.xlsx")),
                )?;
            }
        }
        Ok(rows)
    }

    /// The three years before, month by month, as a finance bureau's history export: one UTF-8
    /// CSV per year in 元 with 年度 and 月份 columns, one row per unit, budget kind and function
    /// (economic detail summed away). Each year spends 95–100 % of a budget that grew towards
    /// this year's, at a pace that wanders around an even one. It gives year-end projection its
    /// seasonal profiles and the held-back years its backtest, and PEFA PI-1/PI-2 their three
    /// years.
    /// The three years before, per unit × budget kind × function: (year, unit, kind, function
    /// code and name, original budget, budget, cumulative share spent by each month's end). The
    /// same figures every time (its own seed), for the history extracts and the final accounts.
    #[allow(clippy::type_complexity)]
    fn history(
        &self,
    ) -> Vec<(
        i32,
        usize,
        usize,
        &'static str,
        &'static str,
        i64,
        i64,
        [f64; 12],
    )> {
        use std::collections::BTreeMap;
        let mut groups: BTreeMap<(usize, usize, &str), (i64, i64, &str)> = BTreeMap::new();
        for l in &self.lines {
            let g = groups
                .entry((l.unit, l.kind, l.func.0))
                .or_insert((0, 0, l.func.1));
            g.0 += l.initial;
            g.1 += l.adjusted;
        }
        let mut rng = Rng(self.seed ^ 0x4849_5354_4f52_5900);
        let mut out = Vec::new();
        for year in YEAR - 3..YEAR {
            let back = (YEAR - year) as f64;
            for (&(unit, kind, fcode), &(initial, adjusted, fname)) in &groups {
                let budget =
                    fen100(adjusted as f64 / 100.0 * (1.0 - 0.04 * back) * (0.97 + rng.f() * 0.06));
                let original =
                    fen100(budget as f64 / 100.0 * (initial as f64 / adjusted.max(1) as f64));
                let end = 0.95 + rng.f() * 0.05;
                let cum = smooth_curve(&mut rng, end);
                out.push((year, unit, kind, fcode, fname, original, budget, cum));
            }
        }
        out
    }

    fn write_execution_history(&self, out: &Path) -> Result<usize> {
        let mut rows = 0;
        let history = self.history();
        for year in YEAR - 3..YEAR {
            let mut t = String::from(
                "年度,月份,财政区划编码,预算类型,部门编码,部门名称,预算单位编码,预算单位名称,功能分类科目编码,功能分类科目名称,年初预算数,调整后预算数,本月支出,累计支出\n",
            );
            for (_, unit, kind, fcode, fname, original, budget, cum) in
                history.iter().filter(|h| h.0 == year)
            {
                let u = &self.units[*unit];
                let d = &self.depts[u.dept];
                let ytd = |m: usize| fen100(*budget as f64 / 100.0 * cum[m - 1]);
                for m in 1..=12usize {
                    let month = ytd(m) - if m > 1 { ytd(m - 1) } else { 0 };
                    let _ = writeln!(
                        t,
                        "{}",
                        csv_line(&[
                            year.to_string(),
                            m.to_string(),
                            REGION_CODE.into(),
                            KINDS[*kind].into(),
                            d.code.clone(),
                            d.name.clone(),
                            u.code.clone(),
                            u.name.clone(),
                            fcode.to_string(),
                            fname.to_string(),
                            yuan(*original),
                            yuan(*budget),
                            yuan(month),
                            yuan(ytd(m)),
                        ])
                    );
                    rows += 1;
                }
            }
            write(
                &out.join(format!("budget_execution/history_{year}.csv")),
                t.as_bytes(),
            )?;
        }
        Ok(rows)
    }

    /// UTF-8 with BOM, 元, 类 and 款 rows (the 类 row is the sum of its 款).
    fn write_revenue(&mut self, out: &Path) -> Result<usize> {
        let s = self.scale as f64;
        // (kind, class code, class name, [(code, name, annual budget 万元)], ytd shape)
        let (tax, nontax) = (TAX_LINES.to_vec(), NONTAX_LINES.to_vec());
        // Planted: land sales budgeted at 80亿 a year, only half of that sold (revenue_outturn),
        // and still more than half of general and fund revenue together (land_revenue_reliance;
        // at the year's pace in 万元: 400,000 of 323,000 + 404,000 = 55.0 % to May, of
        // 359,450 + 404,000 = 52.4 % once 非税 runs 45 % ahead from June).
        let fund: Vec<(&str, &str, f64)> = vec![
            ("1030148", "国有土地使用权出让收入", 800_000.0),
            ("1030102", "城市基础设施配套费收入", 8_000.0),
        ];
        // Planted: the social insurance fund takes in 90 % of what it pays out (its budget is
        // 人社局's 社会保险基金预算 lines), so it runs short every month (social_insurance_gap).
        let si_income_wan = self
            .lines
            .iter()
            .filter(|l| l.kind == 3)
            .map(|l| l.adjusted)
            .sum::<i64>() as f64
            / 1_000_000.0
            * 0.90
            / s;
        let mut rows = 0;
        // The year-end (决算) extracts of the two years before, then the year month by month:
        // PEFA scores on at least two of the last three years. The land-sale slump runs through
        // all three; the non-tax surge is this year's only.
        let months: Vec<(i32, usize)> = [(YEAR - 2, 12), (YEAR - 1, 12)]
            .into_iter()
            .chain((1..=12).map(|m| (YEAR, m)))
            .collect();
        for (year, m) in months {
            let this_year = year == YEAR;
            let t = m as f64 / 12.0;
            let mut text = String::from("\u{FEFF}");
            let _ = writeln!(text, "{REGION_NAME}{year}年{m}月财政收入执行情况");
            let _ = writeln!(
                text,
                "预算类型,收入科目编码,收入科目名称,年初预算数,调整预算数,本月收入,累计收入,上年同期"
            );
            let emit = |kind: &str,
                        class: (&str, &str),
                        items: &[(&str, &str, f64)],
                        pace: f64,
                        nontax_boost: f64| {
                let mut lines = Vec::new();
                let (mut cb, mut cy, mut cm, mut cp) = (0i64, 0i64, 0i64, 0i64);
                for (code, name, budget) in items {
                    let b = fen100(budget * 10_000.0 * s);
                    let ytd_at = |mm: usize| {
                        fen100(b as f64 / 100.0 * (mm as f64 / 12.0) * pace * (1.0 + nontax_boost))
                    };
                    let y = ytd_at(m);
                    let mo = y - if m > 1 { ytd_at(m - 1) } else { 0 };
                    // Last year grew 4 % less, without this year's surge: the surge shows as
                    // growth (revenue_economy_gap).
                    let base = fen100(b as f64 / 100.0 * (m as f64 / 12.0) * pace);
                    let prior = fen100(base as f64 / 100.0 / 1.04);
                    lines.push(csv_line(&[
                        kind.into(),
                        code.to_string(),
                        name.to_string(),
                        yuan(b),
                        yuan(b),
                        yuan(mo),
                        yuan(y),
                        yuan(prior),
                    ]));
                    cb += b;
                    cy += y;
                    cm += mo;
                    cp += prior;
                }
                let mut out = vec![csv_line(&[
                    kind.into(),
                    class.0.into(),
                    class.1.into(),
                    yuan(cb),
                    yuan(cb),
                    yuan(cm),
                    yuan(cy),
                    yuan(cp),
                ])];
                out.extend(lines);
                let _ = t;
                out
            };
            let mut all = Vec::new();
            all.extend(emit("一般公共预算", ("101", "税收收入"), &tax, 1.0, 0.0));
            // Planted: non-tax revenue runs well ahead of budget (asset sales), pushing its share
            // of general revenue above 30 %.
            all.extend(emit(
                "一般公共预算",
                ("103", "非税收入"),
                &nontax,
                1.0,
                if this_year && m >= 6 { 0.45 } else { 0.0 },
            ));
            // Planted: land-sale revenue at half the time progress.
            all.extend(emit(
                "政府性基金预算",
                ("10301", "政府性基金收入"),
                &fund,
                0.5,
                0.0,
            ));
            all.extend(emit(
                "国有资本经营预算",
                ("10306", "国有资本经营收入"),
                &[("1030601", "利润收入", 5_000.0)],
                1.0,
                0.0,
            ));
            all.extend(emit(
                "社会保险基金预算",
                ("102", "社会保险基金收入"),
                &[("10201", "企业职工基本养老保险基金收入", si_income_wan)],
                1.0,
                0.0,
            ));
            rows += all.len();
            for l in all {
                let _ = writeln!(text, "{l}");
            }
            write(
                &out.join(format!("revenue/{year}-{m:02}.csv")),
                text.as_bytes(),
            )?;
        }
        self.anomaly(
            "social_insurance_gap",
            format!("region_code={REGION_CODE}"),
            "2025-01",
            "social insurance income at 90 % of what the fund pays out".into(),
        );
        // The non-tax surge from June is growth on last year's same months: general revenue
        // +15.7 % (359,450 against 323,000 / 1.04 万元 at the year's pace) against GDP's 4.3–4.4 %.
        self.anomaly(
            "revenue_economy_gap",
            format!("region_code={REGION_CODE}"),
            "2025-06",
            "general revenue 15.7 % up on last year from June (the non-tax surge), GDP 4.4 %"
                .into(),
        );
        self.anomaly(
            "land_revenue_reliance",
            format!("region_code={REGION_CODE}"),
            "2025-01",
            "land sales above half of general and fund revenue together all year (yellow)".into(),
        );
        self.anomaly(
            "revenue_quality",
            format!("region_code={REGION_CODE}"),
            "2025-06",
            "非税收入 share of general revenue above 30 % from June".into(),
        );
        self.anomaly(
            "revenue_outturn",
            "budget_kind=政府性基金预算".into(),
            "2025-03",
            "land-sale revenue at half of time progress all year".into(),
        );
        self.anomaly(
            "pefa_pi3_revenue_outturn",
            format!("budget_kind=政府性基金预算|year={YEAR}"),
            &format!("{YEAR}-12"),
            "the land-sale slump: fund revenue at half its budget three years running, PEFA PI-3.1 grade D"
                .into(),
        );
        // The review of the 2024 final accounts grades their year too (two years of data).
        self.anomaly(
            "pefa_pi3_revenue_outturn",
            format!("budget_kind=政府性基金预算|year={}", YEAR - 1),
            &format!("{}-12", YEAR - 1),
            "the 2024 accounts' year: fund revenue at half its budget, PI-3.1 grade D (2 years of data)"
                .into(),
        );
        Ok(rows)
    }

    /// UTF-8 CSV per month, 元, one row per payment.
    fn write_payments(&mut self, out: &Path) -> Result<usize> {
        let mut rng = Rng(self.seed ^ 0x7061_796d);
        let per_unit = 2 + 14 * self.scale as usize;
        let vendors: Vec<String> = (0..(200 * self.scale as usize))
            .map(|i| {
                let words = [
                    "科技",
                    "建设",
                    "商贸",
                    "物业",
                    "印务",
                    "信息",
                    "餐饮",
                    "医疗器械",
                    "教育装备",
                    "交通",
                ];
                format!(
                    "{REGION_NAME}{}{}有限公司",
                    ["恒", "瑞", "新", "华", "泰", "金", "宏", "鑫"][i % 8],
                    words[(i / 8) % words.len()]
                )
                .replace("有限公司", &format!("{}号有限公司", i / 80 + 1))
            })
            .collect();
        let dup_unit = 21;
        let split_unit = 23;
        let round_unit = 25;
        // Planted: every unit of 统计局 (the twelfth department) invents its amounts.
        let benford_dept = 11;
        let nobudget_unit = 29;
        let mut no_budget_voucher = String::new();
        let mut rows = 0;
        // Each unit's lines, in order: looked up per unit and month (a scan of all lines for
        // each unit was quadratic: hours at --scale 100).
        let mut by_unit: Vec<Vec<usize>> = vec![Vec::new(); self.units.len()];
        for (i, l) in self.lines.iter().enumerate() {
            by_unit[l.unit].push(i);
        }
        for m in 1..=12u32 {
            let days = match m {
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let mut t = String::new();
            let _ = writeln!(
                t,
                "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,收款账号,金额,功能分类,经济分类,项目编码,用途,支付方式,是否直达资金,指标编号"
            );
            let mut seq = 0u64;
            let mut emit = |t: &mut String,
                            date: String,
                            u: &Unit,
                            payee: &str,
                            fen: i64,
                            l: &Line,
                            purpose: &str,
                            quota: String| {
                seq += 1;
                let voucher = format!("ZF{YEAR}{m:02}{seq:07}");
                let _ = writeln!(
                    t,
                    "{}",
                    csv_line(&[
                        voucher.clone(),
                        date,
                        u.code.clone(),
                        u.name.clone(),
                        payee.to_string(),
                        format!(
                            "62{:014}",
                            (payee.len() as u64 * 7919 + 13) % 100_000_000_000_000
                        ),
                        yuan(fen),
                        l.func.0.into(),
                        l.dept_econ.0.into(),
                        l.project.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
                        purpose.to_string(),
                        if fen > 50_000_000 {
                            "直接支付".into()
                        } else {
                            "授权支付".into()
                        },
                        if l.project.is_some() && l.kind == 0 && u.dept == 1 {
                            "是".into()
                        } else {
                            "否".into()
                        },
                        quota,
                    ])
                );
                voucher
            };
            for (ui, u) in self.units.iter().enumerate() {
                let lines: Vec<&Line> = by_unit[ui]
                    .iter()
                    .map(|&i| &self.lines[i])
                    .filter(|l| !l.dept_econ.0.starts_with("301"))
                    .collect();
                let invented = u.dept % DEPTS.len() == benford_dept;
                let mut batch: Vec<(&Line, u64, i64, String)> = Vec::with_capacity(per_unit);
                for _ in 0..per_unit {
                    let l = *rng.pick(&lines);
                    let day = rng.range(1, days);
                    // Log-uniform over four whole decades, 100 元 to 1,000,000 元: first digits
                    // follow Benford's law.
                    let mut fen = (10f64.powf(4.0 + rng.f() * 4.0)).round() as i64;
                    if invented {
                        // Planted: invented amounts, first digits 5–9 as often as 1–4.
                        fen = (rng.range(1, 9) as i64 * 1_000_000 + rng.range(0, 999_999) as i64)
                            * if rng.f() < 0.5 { 1 } else { 10 };
                    }
                    let payee = rng.pick(&vendors).clone();
                    batch.push((l, day, fen, payee));
                }
                // The treasury pays what the unit spends: its goods-and-services and project
                // payments add up to the month's non-salary execution (a log-uniform sample
                // scaled stays Benford), so execution and payments reconcile. 统计局's invented
                // amounts do not.
                let target: i64 = lines.iter().map(|l| l.month(m as usize)).sum();
                let drawn: i64 = batch.iter().map(|b| b.2).sum();
                if !invented && drawn > 0 {
                    let f = target.max(0) as f64 / drawn as f64;
                    let mut left = target.max(0);
                    let n = batch.len();
                    for (i, b) in batch.iter_mut().enumerate() {
                        b.2 = if i + 1 == n {
                            left
                        } else {
                            (b.2 as f64 * f).round() as i64
                        };
                        left -= b.2;
                    }
                }
                for (l, day, mut fen, payee) in batch {
                    if fen <= 0 {
                        continue;
                    }
                    if fen % 1_000_000 == 0 {
                        fen += 37;
                    }
                    let quota = format!("ZB{YEAR}-{}-{}", u.code, l.dept_econ.0);
                    emit(
                        &mut t,
                        format!("{YEAR}-{m:02}-{day:02}"),
                        u,
                        &payee,
                        fen,
                        l,
                        l.dept_econ.1,
                        quota,
                    );
                    rows += 1;
                }
                // Salaries through the payroll account (工资统发), in two batches when the total
                // happens to be a round sum (a payroll is never a round figure).
                let salary_lines: Vec<&Line> = by_unit[ui]
                    .iter()
                    .map(|&i| &self.lines[i])
                    .filter(|l| l.dept_econ.0.starts_with("301"))
                    .collect();
                let salary: i64 = salary_lines.iter().map(|l| l.month(m as usize)).sum();
                if let Some(sl) = salary_lines.first()
                    && salary > 0
                {
                    let payroll = format!("{}工资统发户", u.name);
                    let parts = if salary % 1_000_000 == 0 {
                        vec![salary - 10_000, 10_000]
                    } else {
                        vec![salary]
                    };
                    for (k, fen) in parts.into_iter().enumerate() {
                        emit(
                            &mut t,
                            format!("{YEAR}-{m:02}-{:02}", 10 + k),
                            u,
                            &payroll,
                            fen,
                            sl,
                            "工资统发",
                            format!("ZB{YEAR}-{}-{}", u.code, sl.dept_econ.0),
                        );
                        rows += 1;
                    }
                }
                let l = lines[0];
                if ui == dup_unit && m == 3 {
                    for d in [10, 12] {
                        emit(
                            &mut t,
                            format!("{YEAR}-03-{d:02}"),
                            u,
                            &vendors[3],
                            4_567_800,
                            l,
                            "办公用品采购",
                            format!("ZB{YEAR}-{}-{}", u.code, l.dept_econ.0),
                        );
                        rows += 1;
                    }
                }
                if ui == split_unit && m == 5 {
                    for d in [6, 7, 8, 9] {
                        emit(
                            &mut t,
                            format!("{YEAR}-05-{d:02}"),
                            u,
                            &vendors[5],
                            19_500_000 + d as i64 * 1_013,
                            l,
                            "设备维修",
                            format!("ZB{YEAR}-{}-{}", u.code, l.dept_econ.0),
                        );
                        rows += 1;
                    }
                }
                if ui == round_unit && m == 8 {
                    for (d, amt) in [(4, 50_000_000i64), (18, 100_000_000)] {
                        emit(
                            &mut t,
                            format!("{YEAR}-08-{d:02}"),
                            u,
                            &vendors[7],
                            amt,
                            l,
                            "咨询服务",
                            format!("ZB{YEAR}-{}-{}", u.code, l.dept_econ.0),
                        );
                        rows += 1;
                    }
                }
                if ui == nobudget_unit && m == 9 {
                    no_budget_voucher = emit(
                        &mut t,
                        format!("{YEAR}-09-15"),
                        u,
                        &vendors[9],
                        8_765_400,
                        l,
                        "会务费",
                        String::new(),
                    );
                    rows += 1;
                }
            }
            write(
                &out.join(format!("payments/{YEAR}-{m:02}.csv")),
                t.as_bytes(),
            )?;
        }
        let c = |i: usize| self.units[i].code.clone();
        let (a, b, cc) = (c(dup_unit), c(split_unit), c(round_unit));
        self.anomaly(
            "duplicate_payment",
            format!("agency_code={a}|payee={}", vendors[3]),
            "2025-03",
            "the same 45,678.00 paid twice to one payee two days apart".into(),
        );
        self.anomaly(
            "split_payment",
            format!("agency_code={b}|payee={}", vendors[5]),
            "2025-05",
            "four payments of ~195,000 on consecutive days, each just under 200,000".into(),
        );
        self.anomaly(
            "round_amounts",
            format!("agency_code={cc}"),
            "2025-08",
            "500,000.00 and 1,000,000.00 to one consultant".into(),
        );
        self.anomaly(
            "benford",
            format!("dept_name={}", self.depts[benford_dept].name),
            "2025-08",
            "统计局: invented amounts, first digits uniform over 1–9 (enough payments from August)"
                .into(),
        );
        self.anomaly(
            "no_budget",
            format!("voucher_no={no_budget_voucher}"),
            "2025-09",
            "a payment with no 指标编号 (budget line)".into(),
        );
        // The treasury pays what execution reports, except where something was planted: the
        // duplicate, the split and the round sums are paid on top of the month's spending;
        // 卫健委第5医院's April reversal (its planted lag, unit 45) the treasury never saw; 统计局
        // invents its amounts every month.
        for (unit, period, why) in [
            (
                dup_unit,
                "2025-03",
                "the duplicate 45,678.00 × 2 paid on top of March's spending",
            ),
            (
                split_unit,
                "2025-05",
                "the split ~780,000 paid on top of May's spending",
            ),
            (
                round_unit,
                "2025-08",
                "1,500,000.00 of round sums paid on top of August's spending",
            ),
            (
                45,
                "2025-04",
                "April's execution reverses 62万 (its lag); the treasury paid nothing back",
            ),
        ] {
            let code = self.units[unit].code.clone();
            self.anomaly(
                "execution_payments_gap",
                format!("agency_code={code}"),
                period,
                why.into(),
            );
        }
        let invented: Vec<String> = self
            .units
            .iter()
            .filter(|u| u.dept % DEPTS.len() == benford_dept)
            .map(|u| u.code.clone())
            .collect();
        for code in invented {
            self.anomaly(
                "execution_payments_gap",
                format!("agency_code={code}"),
                "2025-01",
                "统计局's invented payment amounts do not add up to its spending".into(),
            );
        }
        Ok(rows)
    }

    /// One GBK CSV with CRLF for the whole year: 年度 and 月份 columns give each row's period.
    fn write_special_funds(&mut self, out: &Path) -> Result<usize> {
        // (code, name, kind, direct, issued 万元, issue month, days to allocate, spend pace)
        let funds: [(&str, &str, &str, bool, f64, u32, u32, f64); 8] = [
            (
                "ZX01",
                "义务教育薄弱环节改善资金",
                "专项转移支付",
                true,
                3_000.0,
                2,
                20,
                1.0,
            ),
            (
                "ZX02",
                "基本公共卫生服务补助资金",
                "共同财政事权转移支付",
                true,
                2_400.0,
                1,
                15,
                1.0,
            ),
            (
                "ZX03",
                "困难群众救助补助资金",
                "一般性转移支付",
                true,
                1_800.0,
                3,
                55,
                1.0,
            ),
            (
                "ZX04",
                "农村公路养护资金",
                "专项转移支付",
                false,
                1_200.0,
                2,
                40,
                0.9,
            ),
            (
                "ZX05",
                "大气污染防治资金",
                "专项转移支付",
                true,
                900.0,
                2,
                30,
                0.0,
            ),
            (
                "ZX06",
                "就业补助资金",
                "一般性转移支付",
                true,
                1_500.0,
                1,
                10,
                1.0,
            ),
            (
                "ZX07",
                "城镇保障性安居工程资金",
                "专项转移支付",
                false,
                2_000.0,
                4,
                25,
                0.95,
            ),
            (
                "ZX08",
                "文化产业发展资金",
                "专项转移支付",
                false,
                600.0,
                5,
                20,
                1.0,
            ),
        ];
        let mut t = String::new();
        t.push_str("年度,月份,资金编码,资金名称,资金类别,是否直达资金,项目名称,主管部门,下达金额,分配金额,拨付金额,支出金额,下达日期,分配日期\r\n");
        let mut rows = 0;
        for m in 1..=12u32 {
            for (code, name, kind, direct, wan_amt, issue_m, alloc_days, pace) in funds {
                if m < issue_m {
                    continue;
                }
                let issued = fen100(wan_amt * 10_000.0 * self.scale as f64);
                let issue = chrono::NaiveDate::from_ymd_opt(YEAR, issue_m, 10).expect("valid");
                let alloc = issue + chrono::Duration::days(alloc_days as i64);
                let month_end = chrono::NaiveDate::from_ymd_opt(YEAR, m, 1).expect("valid")
                    + chrono::Months::new(1)
                    - chrono::Duration::days(1);
                let allocated = if alloc <= month_end { issued } else { 0 };
                let elapsed = ((m - issue_m) as f64 / (12 - issue_m + 1) as f64).min(1.0);
                let spent = fen100(allocated as f64 / 100.0 * elapsed * pace * 0.95);
                let disbursed = fen100(allocated as f64 / 100.0 * (elapsed * pace * 1.1).min(1.0));
                let dept = match code {
                    "ZX01" => "教育局",
                    "ZX02" => "卫生健康委员会",
                    "ZX04" => "交通运输局",
                    "ZX05" => "生态环境局",
                    "ZX07" => "住房和城乡建设局",
                    "ZX06" => "人力资源和社会保障局",
                    _ => "财政局",
                };
                t.push_str(&csv_line(&[
                    YEAR.to_string(),
                    m.to_string(),
                    code.into(),
                    name.into(),
                    kind.into(),
                    if direct { "是" } else { "否" }.into(),
                    format!("{name}项目"),
                    dept.into(),
                    yuan(issued),
                    yuan(allocated),
                    yuan(disbursed),
                    yuan(spent),
                    issue.to_string(),
                    if allocated > 0 {
                        alloc.format("%Y/%m/%d").to_string()
                    } else {
                        String::new()
                    },
                ]));
                t.push_str("\r\n");
                rows += 1;
            }
        }
        write(
            &out.join(format!("special_funds/special_funds_{YEAR}.csv")),
            &gbk(&t),
        )?;
        self.anomaly(
            "idle_special_funds",
            "fund_code=ZX03".into(),
            "2025-04",
            "direct general transfer allocated 55 days after issue (limit 30)".into(),
        );
        self.anomaly(
            "idle_special_funds",
            "fund_code=ZX05".into(),
            "2025-09",
            "direct fund allocated in March, nothing spent for more than six months".into(),
        );
        // The same fund against its pace: allocated 12 March, by 30 April 50 of its 295 days to
        // the year end are gone (× 90 %: 15.3 % due, nothing used: yellow); 24.7 % by May (red).
        self.anomaly(
            "direct_funds_progress",
            "fund_key=ZX05".into(),
            "2025-04",
            "direct fund: nothing used, 15.3 % due by April (yellow), 24.7 % by May (red)".into(),
        );
        self.anomaly(
            "direct_funds_unpaid",
            "fund_key=ZX05".into(),
            "2025-04",
            "大气污染防治资金 (direct) allocated in March and never paid out: 30 days on in April, red from June".into(),
        );
        Ok(rows)
    }

    /// One XLSX, a sheet per month, regions as rows, 一般债务 and 专项债务 side by side under
    /// merged headers, 万元.
    fn write_debt(&mut self, out: &Path) -> Result<usize> {
        // (code, name, general limit, special limit, capacity 万元) with planted ratios.
        let s = self.scale as f64;
        let regions: [(&str, &str, f64, f64, f64, f64, f64); 6] = [
            // code, name, gen balance, spec balance, capacity, overdue share, spec limit factor
            (
                "990100",
                "示范市本级",
                900_000.0,
                1_100_000.0,
                2_400_000.0,
                0.0,
                1.1,
            ),
            (
                "990102",
                "城东区",
                300_000.0,
                450_000.0,
                500_000.0,
                0.0,
                1.1,
            ), // 150 % yellow
            (
                "990103",
                "城西区",
                200_000.0,
                260_000.0,
                520_000.0,
                0.0,
                1.1,
            ),
            (
                "990121",
                "示范县",
                260_000.0,
                400_000.0,
                300_000.0,
                0.0,
                1.1,
            ), // 220 % orange
            (
                "990122",
                "北山县",
                300_000.0,
                340_000.0,
                200_000.0,
                0.12,
                0.95,
            ), // 320 % red, over limit, overdue
            (
                "990181",
                "南湖市",
                150_000.0,
                210_000.0,
                400_000.0,
                0.0,
                1.1,
            ),
        ];
        let mut wb = workbook();
        let merge = Format::new().set_align(FormatAlign::Center).set_bold();
        // The city's own treasury keeps about half a month of outflow (a sound 0.3–0.8), but
        // only a fifth of one in December (planted); other regions keep 5 % of capacity.
        let outflow_wan = |m: u32| {
            let ytd: i64 = self.lines.iter().map(|l| l.ytd(m as usize)).sum();
            ytd as f64 / m as f64 / 1_000_000.0
        };
        let treasury = |code: &str, cap: f64, m: u32| {
            let v = if code == REGION_CODE {
                outflow_wan(m) * if m == 12 { 0.2 } else { 0.55 }
            } else {
                cap * s * 0.05
            };
            (v * 100.0).round() / 100.0
        };
        let mut rows = 0;
        for m in 1..=12u32 {
            let ws = wb.add_worksheet();
            ws.set_name(format!("{m}月")).map_err(xe)?;
            ws.merge_range(
                0,
                0,
                0,
                15,
                &format!("{REGION_NAME}{YEAR}年{m}月政府债务情况表"),
                &merge,
            )
            .map_err(xe)?;
            ws.write_string(1, 15, "单位：万元").map_err(xe)?;
            ws.merge_range(2, 0, 3, 0, "地区编码", &merge).map_err(xe)?;
            ws.merge_range(2, 1, 3, 1, "地区", &merge).map_err(xe)?;
            ws.merge_range(2, 2, 2, 6, "一般债务", &merge).map_err(xe)?;
            ws.merge_range(2, 7, 2, 11, "专项债务", &merge)
                .map_err(xe)?;
            ws.merge_range(2, 12, 2, 13, "合计", &merge).map_err(xe)?;
            ws.merge_range(2, 14, 3, 14, "综合财力", &merge)
                .map_err(xe)?;
            ws.merge_range(2, 15, 3, 15, "库款余额", &merge)
                .map_err(xe)?;
            for (c, h) in [
                "限额", "余额", "逾期", "还本", "付息", "限额", "余额", "逾期", "还本", "付息",
                "限额", "余额",
            ]
            .iter()
            .enumerate()
            {
                ws.write_string(3, 2 + c as u16, *h).map_err(xe)?;
            }
            for (i, (code, name, gb, sb, cap, od, lf)) in regions.iter().enumerate() {
                let grow = 1.0 + m as f64 * 0.004;
                let (gb, sb) = (gb * s * grow, sb * s * grow);
                let (gl, sl) = (
                    (gb * 1.15 / 100.0).round() * 100.0,
                    (sb * lf / 100.0).round() * 100.0,
                );
                let r = 4 + i as u32;
                let gb = (gb * 100.0).round() / 100.0;
                let sb = (sb * 100.0).round() / 100.0;
                // Repaid so far this year: 5 % of the balance in principal and 3 % in interest a
                // year, so 偿债率 runs at 8 % of the debt ratio (城东区 12 %, 示范县 17.6 %, 北山县
                // 25.6 %: debt_service_ratio's planted cases; the rest under 10 %).
                let paid = |b: f64, rate: f64| (b * rate * m as f64 / 12.0 * 100.0).round() / 100.0;
                write_row(
                    ws,
                    r,
                    &[
                        Cell::S(code.to_string()),
                        Cell::S(name.to_string()),
                        Cell::N(gl),
                        Cell::N(gb),
                        if *od > 0.0 {
                            Cell::N((gb * od * 100.0).round() / 100.0)
                        } else {
                            Cell::S("—".into())
                        },
                        Cell::N(paid(gb, 0.05)),
                        Cell::N(paid(gb, 0.03)),
                        Cell::N(sl),
                        Cell::N(sb),
                        Cell::S("-".into()),
                        Cell::N(paid(sb, 0.05)),
                        Cell::N(paid(sb, 0.03)),
                        Cell::N(gl + sl),
                        Cell::N(((gb + sb) * 100.0).round() / 100.0),
                        Cell::N(cap * s),
                        Cell::N(treasury(code, *cap, m)),
                    ],
                )?;
                rows += 2;
            }
            ws.write_string(4 + regions.len() as u32 + 1, 0, "注：债务余额含置换债券。")
                .map_err(xe)?;
        }
        save(&mut wb, &out.join(format!("debt/debt_{YEAR}.xlsx")))?;
        self.anomaly(
            "debt_ratio",
            "region_code=990102".into(),
            "2025-01",
            "城东区 debt ratio ≈ 150 % (yellow)".into(),
        );
        self.anomaly(
            "debt_ratio",
            "region_code=990121".into(),
            "2025-01",
            "示范县 debt ratio ≈ 220 % (orange)".into(),
        );
        self.anomaly(
            "debt_ratio",
            "region_code=990122".into(),
            "2025-01",
            "北山县 debt ratio ≈ 320 % (red)".into(),
        );
        for (code, name, ratio, level) in [
            ("990102", "城东区", "12", "yellow"),
            ("990121", "示范县", "17.6", "yellow"),
            ("990122", "北山县", "25.6", "red"),
        ] {
            self.anomaly(
                "debt_service_ratio",
                format!("region_code={code}"),
                "2025-01",
                format!("{name} repays 8 % of its debt a year: 偿债率 ≈ {ratio} % ({level})"),
            );
        }
        self.anomaly(
            "debt_limit",
            "region_code=990122|debt_type=专项债务".into(),
            "2025-01",
            "北山县 专项债务 balance above its limit".into(),
        );
        self.anomaly(
            "overdue_debt",
            "region_code=990122|debt_type=一般债务".into(),
            "2025-01",
            "北山县 overdue 12 % of 一般债务 balance (low)".into(),
        );
        self.anomaly(
            "treasury_cash_cover",
            format!("region_code={REGION_CODE}"),
            "2025-12",
            "treasury cash down to a fifth of a month's outflow in December (low)".into(),
        );
        Ok(rows)
    }

    /// Monthly snapshot of special bonds by project, UTF-8 CSV.
    fn write_bonds(&mut self, out: &Path) -> Result<usize> {
        let bonds: [(&str, &str, u32, f64, f64, &str, &str, f64); 5] = [
            (
                "2505001",
                "2025年示范市专项债券（一期）",
                2,
                50_000.0,
                2.35,
                "城南污水处理厂扩建",
                "住房和城乡建设局",
                1.0,
            ),
            (
                "2505002",
                "2025年示范市专项债券（二期）",
                3,
                40_000.0,
                2.28,
                "产业园区基础设施",
                "发展和改革委员会",
                0.15,
            ),
            (
                "2505003",
                "2025年示范市专项债券（三期）",
                5,
                30_000.0,
                2.20,
                "第一人民医院新院区",
                "卫生健康委员会",
                0.95,
            ),
            (
                "2505004",
                "2025年示范市专项债券（四期）",
                7,
                20_000.0,
                2.15,
                "老旧小区改造",
                "住房和城乡建设局",
                1.0,
            ),
            (
                "2505005",
                "2025年示范市专项债券（五期）",
                9,
                25_000.0,
                2.10,
                "城市停车场",
                "交通运输局",
                0.8,
            ),
        ];
        let mut rows = 0;
        for m in 1..=12u32 {
            if bonds.iter().all(|b| b.2 > m) {
                continue; // nothing issued yet: no extract
            }
            let mut t = format!("{REGION_NAME}{YEAR}年{m}月新增专项债券资金使用情况表\n");
            t.push_str(
                "债券编码,债券名称,发行日期,期限,票面利率,项目名称,主管部门,发行金额,累计使用额,项目预期收益\n",
            );
            for (code, name, im, amt, rate, proj, dept, pace) in bonds {
                if m < im {
                    continue;
                }
                let issued = fen100(amt * 10_000.0 * self.scale as f64);
                let used_share = (((m - im) as f64 + 0.5) / 6.0).min(1.0) * pace;
                // The project's own revenue over the bond's ten years, as its 实施方案 expects it:
                // 1.4 times the principal and interest, 城市停车场 only 1.05 times.
                let cover = if code == "2505005" { 1.05 } else { 1.4 };
                let expected = fen100(issued as f64 / 100.0 * (1.0 + rate * 10.0 / 100.0) * cover);
                t.push_str(&csv_line(&[
                    code.into(),
                    name.into(),
                    format!("{YEAR}-{im:02}-18"),
                    "10".into(),
                    format!("{rate:.2}%"),
                    proj.into(),
                    dept.into(),
                    thousands(&yuan(issued)),
                    thousands(&yuan(fen100(issued as f64 / 100.0 * used_share))),
                    thousands(&yuan(expected)),
                ]));
                t.push('\n');
                rows += 1;
            }
            write(
                &out.join(format!("bonds/bonds_{YEAR}-{m:02}.csv")),
                t.as_bytes(),
            )?;
        }
        self.anomaly(
            "special_bond_use",
            "bond_code=2505002".into(),
            "2025-04",
            "产业园区基础设施 uses its proceeds at 15 % of schedule: yellow from April, red from June".into(),
        );
        self.anomaly(
            "bond_idle",
            "bond_code=2505002".into(),
            "2025-12",
            "产业园区基础设施 has used 15 % since September and nothing more: three months idle by December".into(),
        );
        self.anomaly(
            "bond_revenue_cover",
            "bond_code=2505005".into(),
            "2025-09",
            "城市停车场 expects revenue of 1.05 times its principal and interest, under 1.1".into(),
        );
        Ok(rows)
    }

    /// Monthly SOE flash report, XLSX, amounts typed as text with thousands separators, 万元
    /// in the header suffixes.
    fn write_soe(&mut self, out: &Path) -> Result<usize> {
        // name, industry, industrial, key, assets, leverage, opening capital, capital growth, revenue, profit, profit yoy
        let soes: [(&str, &str, bool, bool, f64, f64, f64, f64, f64, f64); 8] = [
            (
                "示范市城市建设投资集团有限公司",
                "建筑业",
                false,
                true,
                3_200_000.0,
                0.86,
                420_000.0,
                1.02,
                180_000.0,
                0.03,
            ),
            (
                "示范市交通投资集团有限公司",
                "交通运输业",
                false,
                true,
                1_800_000.0,
                0.66,
                380_000.0,
                1.03,
                120_000.0,
                0.05,
            ),
            (
                "示范市水务集团有限公司",
                "电力热力燃气及水生产和供应业",
                true,
                false,
                600_000.0,
                0.55,
                180_000.0,
                1.04,
                90_000.0,
                0.06,
            ),
            (
                "示范市国有资本运营有限公司",
                "租赁和商务服务业",
                false,
                false,
                900_000.0,
                0.45,
                400_000.0,
                0.96,
                40_000.0,
                0.04,
            ),
            (
                "示范市文化旅游发展有限公司",
                "文化体育和娱乐业",
                false,
                false,
                150_000.0,
                0.52,
                60_000.0,
                1.01,
                30_000.0,
                -0.35,
            ),
            (
                "示范市粮食储备有限公司",
                "批发和零售业",
                false,
                false,
                80_000.0,
                0.60,
                25_000.0,
                1.02,
                60_000.0,
                0.02,
            ),
            (
                "示范市机械制造有限公司",
                "制造业",
                true,
                false,
                220_000.0,
                0.62,
                70_000.0,
                1.03,
                150_000.0,
                0.08,
            ),
            // Loses 12 % of its revenue this year after 15 % last year: a smaller loss (no
            // profit decline), still a loss two years running.
            (
                "示范市公共交通集团有限公司",
                "交通运输业",
                false,
                false,
                200_000.0,
                0.65,
                70_000.0,
                1.01,
                50_000.0,
                -0.2,
            ),
        ];
        let mut rows = 0;
        for m in 1..=12u32 {
            let mut wb = workbook();
            let heads = [
                "企业名称",
                "行业",
                "是否工业企业",
                "是否重点监管",
                "资产总额(万元)",
                "负债总额(万元)",
                "所有者权益(万元)",
                "年初国有资本(万元)",
                "国有资本(万元)",
                "营业收入(万元)",
                "利润总额(万元)",
                "营业收入上年同期(万元)",
                "利润总额上年同期(万元)",
            ];
            let ws = titled_sheet(
                &mut wb,
                "国企财务快报",
                &format!("{REGION_NAME}国有企业{YEAR}年{m}月财务快报"),
                2,
                &heads,
            )?;
            let t = m as f64 / 12.0;
            for (i, (name, ind, indus, key, assets, lev, cap0, capg, rev, prof_yoy)) in
                soes.iter().enumerate()
            {
                let s = self.scale as f64;
                let a = assets * s * (1.0 + 0.002 * m as f64);
                let l = a * lev;
                let cap = cap0 * s * (1.0 + (capg - 1.0) * t);
                let revenue = rev * s * t;
                let profit = revenue
                    * if name.contains("公共交通") {
                        -0.12
                    } else {
                        0.08
                    };
                let prior_rev = revenue / 1.05;
                let prior_profit = profit / (1.0 + prof_yoy);
                let f = |x: f64| thousands(&format!("{x:.2}"));
                write_row(
                    ws,
                    3 + i as u32,
                    &[
                        Cell::S(name.to_string()),
                        Cell::S(ind.to_string()),
                        Cell::S(if *indus { "是" } else { "否" }.into()),
                        Cell::S(if *key { "是" } else { "否" }.into()),
                        Cell::S(f(a)),
                        Cell::S(f(l)),
                        Cell::S(f(a - l)),
                        Cell::S(f(cap0 * s)),
                        Cell::S(f(cap)),
                        Cell::S(f(revenue)),
                        Cell::S(f(profit)),
                        Cell::S(f(prior_rev)),
                        Cell::S(f(prior_profit)),
                    ],
                )?;
                rows += 1;
            }
            save(
                &mut wb,
                &out.join(format!("soe_finance/soe_{YEAR}-{m:02}.xlsx")),
            )?;
        }
        self.anomaly(
            "soe_leverage",
            "enterprise_name=示范市城市建设投资集团有限公司".into(),
            "2025-01",
            "liabilities 86 % of assets (non-industrial, key supervision)".into(),
        );
        self.anomaly(
            "soe_capital_preservation",
            "enterprise_name=示范市国有资本运营有限公司".into(),
            "2025-01",
            "state capital falling through the year (96 % by December)".into(),
        );
        self.anomaly(
            "soe_profit_decline",
            "enterprise_name=示范市文化旅游发展有限公司".into(),
            "2025-01",
            "profit down 35 % on last year".into(),
        );
        self.anomaly(
            "soe_loss",
            "enterprise_name=示范市公共交通集团有限公司".into(),
            "2025-01",
            "a loss of 12 % of revenue after 15 % a year earlier: loss-making two years running"
                .into(),
        );
        Ok(rows)
    }

    /// Monthly indicators 2021–2025 in one UTF-8 CSV (period from the date column).
    fn write_indicators(&mut self, out: &Path) -> Result<usize> {
        let mut rng = Rng(self.seed ^ 0x696e_6469);
        // code, name, unit, normal ytd growth, 2025 growth, quarterly?
        let inds: [(&str, &str, &str, f64, f64, bool); 6] = [
            ("GDP", "地区生产总值", "亿元", 5.6, 4.35, true),
            ("IVA", "规模以上工业增加值", "%", 6.5, 6.3, false),
            ("FAI", "固定资产投资", "%", 6.8, 2.1, false),
            ("RSCG", "社会消费品零售总额", "亿元", 5.5, 5.2, false),
            ("CPI", "居民消费价格指数", "上年同期=100", 1.8, 1.0, false),
            ("GPBR", "一般公共预算收入", "亿元", 5.0, 4.6, false),
        ];
        let mut t =
            String::from("日期,指标编码,指标名称,单位,本期值,累计值,同比增长,累计同比增长\n");
        let mut rows = 0;
        for (code, name, unit, normal, y2025, quarterly) in inds {
            let mut level = 100.0;
            for year in 2021..=YEAR {
                let mut ytd = 0.0;
                for m in 1..=12u32 {
                    // History wanders; this year's figures stay close to their level.
                    let spread = if year == YEAR { 0.2 } else { 1.0 };
                    let g = if year == YEAR { y2025 } else { normal } + (rng.f() - 0.5) * spread;
                    let mut yoy = g + (rng.f() - 0.5) * spread * 2.0;
                    if code == "RSCG" && year == YEAR && m == 8 {
                        yoy = -9.0; // planted break
                    }
                    level *= 1.0 + 0.0004;
                    let v = level * (1.0 + (m as f64) * 0.01);
                    ytd += v;
                    if quarterly && m % 3 != 0 {
                        continue;
                    }
                    let (val, ytd_s) = match unit {
                        "%" => (String::new(), String::new()),
                        "上年同期=100" => (
                            format!("{:.1}", 100.0 + yoy / 3.0),
                            format!("{:.1}", 100.0 + g / 3.0),
                        ),
                        _ => (format!("{v:.2}"), format!("{ytd:.2}")),
                    };
                    t.push_str(&csv_line(&[
                        format!("{year}-{m:02}-01"),
                        code.into(),
                        name.into(),
                        unit.into(),
                        val,
                        ytd_s,
                        format!("{yoy:.1}"),
                        format!("{g:.1}"),
                    ]));
                    t.push('\n');
                    rows += 1;
                }
            }
        }
        write(
            &out.join("indicators/indicators_2021-2025.csv"),
            t.as_bytes(),
        )?;
        self.anomaly(
            "indicator_deviation",
            "indicator_code=FAI".into(),
            "2025-01",
            "固定资产投资 growth ≈ 2 % against a 6 % target (red)".into(),
        );
        self.anomaly(
            "indicator_deviation",
            "indicator_code=GDP".into(),
            "2025-03",
            "GDP growth ≈ 4.4 % against 5.0 % (yellow)".into(),
        );
        self.anomaly(
            "indicator_deviation",
            "indicator_code=CPI".into(),
            "2025-01",
            "CPI ≈ 1 % against 涨幅2%左右, a band: a shortfall the committee reads too".into(),
        );
        self.anomaly(
            "indicator_break",
            "indicator_code=RSCG".into(),
            "2025-08",
            "社会消费品零售总额 yoy −9 % against a history of ≈ 5 %".into(),
        );
        self.anomaly(
            "indicator_break",
            "indicator_code=FAI".into(),
            "2025-01",
            "固定资产投资 growth falls from ≈ 7 % to ≈ 2 %: the same slump, seen as a break".into(),
        );
        Ok(rows)
    }

    fn write_targets(&self, out: &Path) -> Result<usize> {
        let targets = [
            ("GDP", "地区生产总值", "growth", "5.0", "增长5%左右"),
            ("IVA", "规模以上工业增加值", "growth", "6.0", "增长6%"),
            ("FAI", "固定资产投资", "growth", "6.0", "增长6%"),
            ("RSCG", "社会消费品零售总额", "growth", "5.5", "增长5.5%"),
            ("CPI", "居民消费价格指数", "level", "2.0", "涨幅2%左右"),
            ("GPBR", "一般公共预算收入", "growth", "4.0", "增长4%"),
        ];
        let mut t = String::from("年度,指标编码,指标名称,目标类型,目标值,目标表述,口径\n");
        for (c, n, k, v, txt) in targets {
            t.push_str(&csv_line(&[
                YEAR.to_string(),
                c.into(),
                n.into(),
                k.into(),
                v.into(),
                txt.into(),
                "全市".into(),
            ]));
            t.push('\n');
        }
        write(
            &out.join(format!("targets/targets_{YEAR}.csv")),
            t.as_bytes(),
        )?;
        Ok(targets.len())
    }

    /// GBK CSV with CR-only line endings, 万元 header suffixes.
    fn write_projects(&mut self, out: &Path) -> Result<usize> {
        let projects: [(&str, &str, &str, &str, f64, f64, &str); 8] = [
            (
                "XM01",
                "城南污水处理厂扩建",
                "住房和城乡建设局",
                "重大项目",
                30_000.0,
                1.0,
                "专项债",
            ),
            (
                "XM02",
                "产业园区基础设施",
                "发展和改革委员会",
                "重大项目",
                25_000.0,
                0.97,
                "专项债",
            ),
            (
                "XM03",
                "第一人民医院新院区",
                "卫生健康委员会",
                "重大项目",
                40_000.0,
                1.0,
                "财政",
            ),
            (
                "XM04",
                "城区老旧小区改造",
                "住房和城乡建设局",
                "民生实事",
                8_000.0,
                0.48,
                "财政",
            ),
            (
                "XM05",
                "新建中小学校",
                "教育局",
                "民生实事",
                12_000.0,
                1.0,
                "财政",
            ),
            (
                "XM06",
                "城乡公交一体化",
                "交通运输局",
                "民生实事",
                5_000.0,
                0.98,
                "专项债",
            ),
            (
                "XM07",
                "社区养老服务中心",
                "民政局",
                "民生实事",
                3_000.0,
                1.0,
                "财政",
            ),
            (
                "XM08",
                "城市停车场",
                "交通运输局",
                "重大项目",
                9_000.0,
                1.0,
                "专项债",
            ),
        ];
        let mut rows = 0;
        for m in 1..=12u32 {
            let mut t = String::new();
            let _ = write!(t, "{REGION_NAME}{YEAR}年{m}月重大项目和民生实事推进情况\r");
            t.push_str("项目编码,项目名称,主管部门,项目类型,年度计划投资(万元),累计完成投资(万元),形象进度,计划开工日期,计划竣工日期,资金来源\r");
            for (code, name, dept, kind, plan, pace, src) in projects {
                // A bond-funded project is paid from the budget until its bond is issued
                // (write_bonds: 一期 in February, 二期 in March, 五期 in September); 城乡公交一体化
                // names 专项债 though no bond lists it.
                let bond_month = match code {
                    "XM01" => 2,
                    "XM02" => 3,
                    "XM08" => 9,
                    _ => 1,
                };
                let src = if src == "专项债" && m < bond_month {
                    "财政"
                } else {
                    src
                };
                let plan_f = fen100(plan * 10_000.0 * self.scale as f64);
                let done = fen100(plan_f as f64 / 100.0 * (m as f64 / 12.0) * pace);
                t.push_str(&csv_line(&[
                    code.into(),
                    name.into(),
                    dept.into(),
                    kind.into(),
                    wan(plan_f),
                    wan(done),
                    format!("完成{:.0}%", done as f64 / plan_f as f64 * 100.0),
                    format!("{}年3月1日", YEAR - 1),
                    format!("{}年12月31日", YEAR + 1),
                    src.into(),
                ]));
                t.push('\r');
                rows += 1;
            }
            write(
                &out.join(format!("projects/projects_{YEAR}-{m:02}.csv")),
                &gbk(&t),
            )?;
        }
        self.anomaly(
            "bond_offlist",
            "project_key=XM06".into(),
            "2025-02",
            "城乡公交一体化 names 专项债 as its funding; no bond of the region lists it (bond ledgers from February)".into(),
        );
        self.anomaly(
            "project_progress",
            "project_code=XM04".into(),
            "2025-04",
            "城区老旧小区改造 at half of time progress (15 pp behind from April)".into(),
        );
        Ok(rows)
    }

    /// Two XLSX snapshots of the audit findings' rectification (June and December).
    fn write_audit(&mut self, out: &Path) -> Result<usize> {
        let findings = [
            (
                "SJ2024-01",
                "示范市教育局",
                "预算执行",
                "专项资金闲置",
                320.0,
                "2025-06-30",
                ["整改中", "已整改"],
            ),
            (
                "SJ2024-02",
                "示范市卫生健康委员会",
                "专项资金",
                "超范围列支",
                85.0,
                "2025-06-30",
                ["整改中", "整改中"],
            ),
            (
                "SJ2024-03",
                "示范市交通运输局",
                "政府投资项目",
                "工程结算不实",
                460.0,
                "2025-09-30",
                ["未整改", "整改中"],
            ),
            (
                "SJ2024-04",
                "示范市财政局",
                "预算管理",
                "预算编制不细化",
                0.0,
                "2025-06-30",
                ["已整改", "已整改"],
            ),
            (
                "SJ2024-05",
                "示范市住房和城乡建设局",
                "国有资产",
                "资产未入账",
                150.0,
                "2025-12-31",
                ["整改中", "整改中"],
            ),
            (
                "SJ2024-06",
                "示范市公安局",
                "三公经费",
                "公务接待超标准",
                12.5,
                "2025-03-31",
                ["整改中", "整改中"],
            ),
        ];
        let mut rows = 0;
        for (snap, m) in [(0usize, 6u32), (1, 12)] {
            let mut wb = workbook();
            let heads = [
                "审计报告",
                "问题编号",
                "被审计单位",
                "问题类别",
                "问题描述",
                "涉及金额(万元)",
                "整改期限",
                "整改状态",
                "整改说明",
            ];
            let ws = titled_sheet(
                &mut wb,
                "审计整改",
                &format!(
                    "{}年度本级预算执行审计查出问题整改情况（截至{YEAR}年{m}月）",
                    YEAR - 1
                ),
                1,
                &heads,
            )?;
            for (i, (no, who, cat, desc, amt, due, st)) in findings.iter().enumerate() {
                write_row(
                    ws,
                    2 + i as u32,
                    &[
                        Cell::S(format!("{}年度本级预算执行审计报告", YEAR - 1)),
                        Cell::S(no.to_string()),
                        Cell::S(who.to_string()),
                        Cell::S(cat.to_string()),
                        Cell::S(desc.to_string()),
                        Cell::N(*amt),
                        Cell::S(due.to_string()),
                        Cell::S(st[snap].to_string()),
                        Cell::S(if st[snap] == "已整改" {
                            "已完成整改并销号".into()
                        } else {
                            String::new()
                        }),
                    ],
                )?;
                rows += 1;
            }
            save(
                &mut wb,
                &out.join(format!("audit_findings/audit_findings_{YEAR}-{m:02}.xlsx")),
            )?;
        }
        self.anomaly(
            "audit_rectification_overdue",
            "finding_no=SJ2024-02".into(),
            "2025-07",
            "deadline 2025-06-30, still 整改中".into(),
        );
        self.anomaly(
            "audit_rectification_overdue",
            "finding_no=SJ2024-03".into(),
            "2025-10",
            "deadline 2025-09-30, still 未整改 then 整改中".into(),
        );
        self.anomaly(
            "audit_rectification_overdue",
            "finding_no=SJ2024-01".into(),
            "2025-07",
            "deadline 2025-06-30, still 整改中 in the June report; 已整改 by December (resolved by data)".into(),
        );
        self.anomaly(
            "audit_rectification_overdue",
            "finding_no=SJ2024-06".into(),
            "2025-06",
            "deadline 2025-03-31, still 整改中".into(),
        );
        Ok(rows)
    }

    /// The year's 指标下达 ledger at each quarter's end (XLSX, 万元): department budgets approved
    /// (批复) after the congress's approval on 15 January, units' budgets after their
    /// department's, the city's own transfers to its counties, and transfers from above passed
    /// on. A document issued after the ledger's date shows no issue date there.
    fn write_allocations(&mut self, out: &Path) -> Result<usize> {
        let congress = date(YEAR, 1, 15);
        // (doc, title, kind, source, recipient code, name, 万元, approved, received, issued)
        type Doc = (
            String,
            String,
            &'static str,
            &'static str,
            String,
            String,
            f64,
            Option<chrono::NaiveDate>,
            Option<chrono::NaiveDate>,
            chrono::NaiveDate,
        );
        let mut docs: Vec<Doc> = Vec::new();
        let s = self.scale as f64;
        let mut dept_issued = Vec::new();
        for (di, d) in self.depts.iter().enumerate() {
            let total: i64 = self
                .lines
                .iter()
                .filter(|l| self.units[l.unit].dept == di)
                .map(|l| l.initial)
                .sum();
            let issued = dept_approved(di);
            dept_issued.push(issued);
            docs.push((
                format!("示财预〔{YEAR}〕{}号", di + 1),
                format!("关于批复{YEAR}年{}部门预算的通知", d.name),
                "部门预算批复",
                "本级",
                d.code.clone(),
                d.name.clone(),
                wan_f(total),
                Some(congress),
                None,
                issued,
            ));
        }
        for (ui, u) in self.units.iter().enumerate() {
            let total: i64 = self
                .lines
                .iter()
                .filter(|l| l.unit == ui)
                .map(|l| l.initial)
                .sum();
            let received = dept_issued[u.dept];
            // 卫健委第3医院 (the 44th unit) approved 19 days after its department's approval.
            let days = if ui == 43 { 19 } else { 6 + (ui % 8) as u64 };
            docs.push((
                format!("{}预批〔{YEAR}〕{}号", self.depts[u.dept].code, ui + 1),
                format!("关于批复{YEAR}年{}预算的通知", u.name),
                "单位预算批复",
                "本级",
                u.code.clone(),
                u.name.clone(),
                wan_f(total),
                Some(congress),
                Some(received),
                received + chrono::Days::new(days),
            ));
        }
        let counties = [
            ("990121", "示范县"),
            ("990122", "北山县"),
            ("990181", "南湖市"),
        ];
        for (i, (code, name)) in counties.iter().enumerate() {
            docs.push((
                format!("示财转〔{YEAR}〕{}号", i + 1),
                format!("{YEAR}年均衡性转移支付"),
                "一般性转移支付",
                "本级",
                code.to_string(),
                name.to_string(),
                3_000.0 * s,
                Some(congress),
                None,
                congress + chrono::Days::new(26),
            ));
            // 北山县's special transfer waits 95 days (60 allowed): still not issued in March.
            let days = if *code == "990122" { 95 } else { 49 };
            docs.push((
                format!("示财转〔{YEAR}〕{}号", 11 + i),
                format!("{YEAR}年城乡建设专项资金"),
                "专项转移支付",
                "本级",
                code.to_string(),
                name.to_string(),
                1_200.0 * s,
                Some(congress),
                None,
                congress + chrono::Days::new(days),
            ));
            // From above: the centre's and the province's money, passed on within 20 days,
            // but May's 中央大气污染防治资金 to 示范县 after 45.
            for (k, (src, received)) in [("中央", date(YEAR, 3, 10)), ("省级", date(YEAR, 5, 6))]
                .into_iter()
                .enumerate()
            {
                let days = if k == 1 && i == 0 { 45 } else { 20 };
                docs.push((
                    format!("示财转〔{YEAR}〕{}号", 31 + 3 * k + i),
                    format!("转下达{src}{YEAR}年大气污染防治资金"),
                    "上级转移支付转下达",
                    src,
                    code.to_string(),
                    name.to_string(),
                    500.0 * s,
                    None,
                    Some(received),
                    received + chrono::Days::new(days),
                ));
            }
        }
        let mut rows = 0;
        for m in [3u32, 6, 9, 12] {
            let end = month_end(YEAR, m);
            let mut wb = workbook();
            let heads = [
                "指标文号",
                "文件标题",
                "下达类型",
                "指标来源",
                "下达对象编码",
                "下达对象",
                "金额(万元)",
                "人代会批准日期",
                "收到日期",
                "下达日期",
            ];
            let ws = titled_sheet(
                &mut wb,
                "指标下达台账",
                &format!(
                    "{REGION_NAME}{YEAR}年预算指标下达台账（截至{YEAR}年{m}月{}日）",
                    end.format("%-d")
                ),
                1,
                &heads,
            )?;
            let mut r = 2;
            for (doc, title, kind, src, code, name, wan, approved, received, issued) in &docs {
                let basis = received.or(*approved).unwrap_or(*issued);
                if basis > end {
                    continue;
                }
                let d =
                    |x: &Option<chrono::NaiveDate>| x.map_or(Cell::E, |x| Cell::S(x.to_string()));
                write_row(
                    ws,
                    r,
                    &[
                        Cell::S(doc.clone()),
                        Cell::S(title.clone()),
                        Cell::S(kind.to_string()),
                        Cell::S(src.to_string()),
                        Cell::S(code.clone()),
                        Cell::S(name.clone()),
                        Cell::N(*wan),
                        d(approved),
                        d(received),
                        if *issued <= end {
                            Cell::S(issued.to_string())
                        } else {
                            Cell::E
                        },
                    ],
                )?;
                r += 1;
                rows += 1;
            }
            save(
                &mut wb,
                &out.join(format!("allocations/allocations_{YEAR}-{m:02}.xlsx")),
            )?;
        }
        self.anomaly(
            "dept_budget_approval_late",
            format!("doc_no=示财预〔{YEAR}〕12号"),
            "2025-03",
            "统计局's budget approved 28 days after the congress (20 allowed)".into(),
        );
        self.anomaly(
            "unit_budget_approval_late",
            format!(
                "doc_no={}预批〔{YEAR}〕44号",
                self.units[43].code.get(..3).unwrap_or_default()
            ),
            "2025-03",
            "卫健委第3医院's budget approved 19 days after its department's (15 allowed)".into(),
        );
        self.anomaly(
            "transfer_issue_late",
            format!("doc_no=示财转〔{YEAR}〕12号"),
            "2025-03",
            "北山县's special transfer still not issued at the end of March, 75 days on (60 allowed); issued on day 95".into(),
        );
        self.anomaly(
            "transfer_passon_late",
            format!("doc_no=示财转〔{YEAR}〕34号"),
            "2025-06",
            "the province's 大气污染防治资金 passed on to 示范县 45 days after receipt (30 allowed)".into(),
        );
        Ok(rows)
    }

    /// The year's government procurement ledger at each quarter's end (GBK CSV, 元): every
    /// department's own office buys furniture, property services and repairs, contracted in
    /// February, April and July.
    fn write_procurement(&mut self, out: &Path) -> Result<usize> {
        let s = self.scale as f64;
        // (unit, plan, item code, item, method, budget 万元, contract month, supplier)
        let mut plans: Vec<(usize, String, &str, &str, &str, f64, u32, &str)> = Vec::new();
        for (di, _) in self.depts.iter().enumerate() {
            let Some(ui) = self.units.iter().position(|u| u.dept == di) else {
                continue;
            };
            let pos = di % DEPTS.len();
            let standard = [
                ("A05", "家具用具", "询价", 80.0, 2, "华信家具有限公司"),
                (
                    "C21",
                    "物业管理服务",
                    "竞争性磋商",
                    120.0,
                    4,
                    "安泰物业服务有限公司",
                ),
                (
                    "B07",
                    "装修工程",
                    "竞争性谈判",
                    60.0,
                    7,
                    "城建装饰工程有限公司",
                ),
            ];
            for (k, (code, item, method, wan, month, supplier)) in standard.into_iter().enumerate()
            {
                plans.push((
                    ui,
                    format!("CG{YEAR}-{}-{}", self.units[ui].code, k + 1),
                    code,
                    item,
                    method,
                    wan * s,
                    month,
                    supplier,
                ));
            }
            match pos {
                // 交通运输局本级: a 1,000万 platform contracted only in November.
                7 => plans.push((
                    ui,
                    format!("CG{YEAR}-{}-4", self.units[ui].code),
                    "C16",
                    "信息系统集成实施服务",
                    "公开招标",
                    1_000.0 * s,
                    11,
                    "智联信息技术有限公司",
                )),
                // 审计局本级: a 100万 software service bought single-source.
                3 => plans.push((
                    ui,
                    format!("CG{YEAR}-{}-4", self.units[ui].code),
                    "C02",
                    "软件运维服务",
                    "单一来源",
                    100.0 * s,
                    2,
                    "审易软件有限公司",
                )),
                // 生态环境局本级: 420万 of desktop computers bought in three 询价 lots.
                6 => {
                    for (k, (wan, month)) in
                        [(150.0, 3), (150.0, 5), (120.0, 8)].into_iter().enumerate()
                    {
                        plans.push((
                            ui,
                            format!("CG{YEAR}-{}-{}", self.units[ui].code, 4 + k),
                            "A02010104",
                            "台式计算机",
                            "询价",
                            wan * s,
                            month,
                            "华科电脑有限公司",
                        ));
                    }
                }
                _ => {}
            }
        }
        let mut rows = 0;
        for m in [3u32, 6, 9, 12] {
            let mut t = format!("{REGION_NAME}{YEAR}年1-{m}月政府采购执行台账\r\n");
            t.push_str("采购单位编码,采购单位,采购计划编号,品目编码,采购品目,采购方式,采购预算(元),合同金额(元),合同签订日期,供应商\r\n");
            for (ui, plan, code, item, method, wan, month, supplier) in &plans {
                let budget = fen100(wan * 10_000.0);
                let done = *month <= m;
                let contract = fen100(budget as f64 / 100.0 * 0.96);
                t.push_str(&csv_line(&[
                    self.units[*ui].code.clone(),
                    self.units[*ui].name.clone(),
                    plan.clone(),
                    code.to_string(),
                    item.to_string(),
                    method.to_string(),
                    yuan(budget),
                    if done { yuan(contract) } else { String::new() },
                    if done {
                        format!("{YEAR}-{month:02}-15")
                    } else {
                        String::new()
                    },
                    if done {
                        supplier.to_string()
                    } else {
                        String::new()
                    },
                ]));
                t.push_str("\r\n");
                rows += 1;
            }
            write(
                &out.join(format!("procurement/procurement_{YEAR}-{m:02}.csv")),
                &gbk(&t),
            )?;
        }
        let (traffic, audit, env) = (self.office_of(7), self.office_of(3), self.office_of(6));
        self.anomaly(
            "procurement_execution",
            format!("agency_key={traffic}"),
            "2025-06",
            "交通运输局本级 contracts its 1,000万 platform only in November: 35 pp behind time progress in June, 55 in September".into(),
        );
        self.anomaly(
            "single_source_share",
            format!("agency_key={audit}"),
            "2025-03",
            "审计局本级 buys 100万 of its 360万 single-source (27.8 %)".into(),
        );
        self.anomaly(
            "procurement_splitting",
            format!("agency_key={env}|item_key=A02010104"),
            "2025-03",
            "生态环境局本级 plans 420万 of desktop computers as three 询价 lots under the 400万 tender line".into(),
        );
        Ok(rows)
    }

    /// Month-end balances (UTF-8 CSV, 万元): the treasury's 暂付款 and 借出款项 — cleared down
    /// in the first half, growing again from July, above 5 % of general expenditure from
    /// September — and the social insurance funds' accumulated balance (4.5 months of payout).
    fn write_balances(&mut self, out: &Path) -> Result<usize> {
        let general: i64 = self
            .lines
            .iter()
            .filter(|l| l.kind == 0)
            .map(|l| l.adjusted)
            .sum();
        let g = general as f64 / 100.0;
        let si: Vec<&Line> = self.lines.iter().filter(|l| l.kind == 3).collect();
        let si_year: f64 = si.iter().map(|l| l.adjusted as f64 / 100.0).sum();
        let lent = g * 0.005;
        let advances0 = g * 0.035;
        let path = [
            0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 1.03, 1.15, 1.35, 1.36, 1.37, 1.38,
        ];
        let mut rows = 0;
        for m in 1..=12usize {
            let mut t = format!("{REGION_NAME}{YEAR}年{m}月财政资金余额表\n");
            t.push_str("预算类型,科目编码,科目名称,年初余额(万元),期末余额(万元)\n");
            let treasury0 = g * 0.12;
            let items = [
                (
                    "",
                    "1001",
                    "国库存款",
                    treasury0,
                    treasury0 * (1.0 + 0.02 * m as f64),
                ),
                ("", "1021", "借出款项", lent, lent),
                ("", "1036", "暂付款", advances0, advances0 * path[m - 1]),
                (
                    "社会保险基金预算",
                    "",
                    "累计结余",
                    si_year / 12.0 * 4.5,
                    si_year / 12.0 * 4.5,
                ),
            ];
            for (kind, code, name, open, bal) in items {
                let w = |x: f64| format!("{:.2}", x / 10_000.0);
                t.push_str(&csv_line(&[
                    kind.into(),
                    code.into(),
                    name.into(),
                    w(open),
                    w(bal),
                ]));
                t.push('\n');
                rows += 1;
            }
            write(
                &out.join(format!("balances/balances_{YEAR}-{m:02}.csv")),
                t.as_bytes(),
            )?;
        }
        self.anomaly(
            "temporary_advances",
            format!("region_code={REGION_CODE}"),
            "2025-09",
            "暂付款 and 借出款项 at 5.2 % of general expenditure from September".into(),
        );
        self.anomaly(
            "temporary_advances_growth",
            format!("region_code={REGION_CODE}"),
            "2025-07",
            "暂付性款项 above the year's opening from July (2.6 %), 30 % by September (red)".into(),
        );
        self.anomaly(
            "si_months_payout",
            format!("region_code={REGION_CODE}"),
            "2025-01",
            "the social insurance funds' balance covers about 4.5 months of payout (6 is the line)"
                .into(),
        );
        Ok(rows)
    }

    /// The carry-over ledger at each quarter's end (XLSX, 万元): each department's own office
    /// carries 50万 from last year and spends it through the year; 公安局本级 still holds a 2023
    /// carry-over, 生态环境局本级 a 2024 surplus it returns in September, and 住建局 carries
    /// over land-sale money above 30 % of the year's fund income.
    fn write_carryovers(&mut self, out: &Path) -> Result<usize> {
        let s = self.scale as f64;
        // (unit, budget kind, project, kind, formed, 万元, spent share by month m, recovered from)
        let mut rows_in: Vec<(usize, &str, String, &str, i32, f64, bool, Option<u32>)> = Vec::new();
        for (di, d) in self.depts.iter().enumerate() {
            let Some(ui) = self.units.iter().position(|u| u.dept == di) else {
                continue;
            };
            rows_in.push((
                ui,
                "一般公共预算",
                format!("{}上年结转项目", d.name),
                "结转",
                YEAR - 1,
                50.0 * s,
                true,
                None,
            ));
            match di % DEPTS.len() {
                5 => rows_in.push((
                    ui,
                    "一般公共预算",
                    format!("{}指挥中心建设", d.name),
                    "结转",
                    YEAR - 2,
                    80.0 * s,
                    false,
                    None,
                )),
                6 => rows_in.push((
                    ui,
                    "一般公共预算",
                    format!("{}监测设备购置结余", d.name),
                    "结余",
                    YEAR - 1,
                    30.0 * s,
                    false,
                    Some(9),
                )),
                8 => {
                    let fund_income = 808_000.0 * s;
                    rows_in.push((
                        ui,
                        "政府性基金预算",
                        format!("{}城市建设结转", d.name),
                        "结转",
                        YEAR - 1,
                        fund_income * 0.34,
                        false,
                        None,
                    ));
                }
                _ => {}
            }
        }
        let mut rows = 0;
        for m in [3u32, 6, 9, 12] {
            let mut wb = workbook();
            let heads = [
                "单位编码",
                "单位名称",
                "预算类型",
                "项目名称",
                "资金性质",
                "形成年度",
                "年初结转结余(万元)",
                "当年已支出(万元)",
                "已收回(万元)",
            ];
            let ws = titled_sheet(
                &mut wb,
                "结转结余",
                &format!("{REGION_NAME}{YEAR}年{m}月结转结余资金台账"),
                1,
                &heads,
            )?;
            for (i, (ui, kind, project, nature, formed, wan, spends, back)) in
                rows_in.iter().enumerate()
            {
                let spent = if *spends {
                    wan * 0.9 * m as f64 / 12.0
                } else {
                    0.0
                };
                let recovered = if back.is_some_and(|b| m >= b) {
                    *wan
                } else {
                    0.0
                };
                write_row(
                    ws,
                    2 + i as u32,
                    &[
                        Cell::S(self.units[*ui].code.clone()),
                        Cell::S(self.units[*ui].name.clone()),
                        Cell::S(kind.to_string()),
                        Cell::S(project.clone()),
                        Cell::S(nature.to_string()),
                        Cell::N(*formed as f64),
                        Cell::N((wan * 100.0).round() / 100.0),
                        Cell::N((spent * 100.0).round() / 100.0),
                        Cell::N((recovered * 100.0).round() / 100.0),
                    ],
                )?;
                rows += 1;
            }
            save(
                &mut wb,
                &out.join(format!("carryovers/carryovers_{YEAR}-{m:02}.xlsx")),
            )?;
        }
        let (police, env) = (self.office_of(5), self.office_of(6));
        self.anomaly(
            "carryover_idle",
            format!("agency_key={police}|formed_year={}", YEAR - 2),
            "2025-03",
            "公安局本级 still holds a 2023 carry-over untouched: two years running".into(),
        );
        self.anomaly(
            "carryover_idle",
            format!("agency_key={env}|formed_year={}", YEAR - 1),
            "2025-03",
            "生态环境局本级's 2024 surplus not taken back until September (resolved by data)"
                .into(),
        );
        self.anomaly(
            "fund_carryover_excess",
            format!("region_code={REGION_CODE}"),
            "2025-03",
            "住建局 carries over land-sale money at 34 % of the year's fund income".into(),
        );
        Ok(rows)
    }

    /// Next year's draft budget as the finance bureau submits it for the preliminary review
    /// (初步审查): every general-budget line of this year (XLSX, 元) asking about as much again,
    /// beside this year's budget and spending, projects with their performance targets. Planted
    /// for the review: the project that spent 15 % asks 10 % more, 公安局's 三公 lines rise 12 %,
    /// 一般性支出 rises 2 %, the 预备费 stays at 0.6 %, two departments ask for one parking
    /// system, and one project's target has no figure. Projects that spent under half are cut.
    fn write_draft_budget(&mut self, out: &Path) -> Result<usize> {
        let next = YEAR + 1;
        let starved = self
            .anomalies
            .iter()
            .find(|a| a.rule == "low_execution")
            .and_then(|a| a.key.split("project_code=").nth(1).map(str::to_string))
            .unwrap_or_default();
        // The first project of 发展和改革委员会 asking 500,000 元 or more: its target is words only.
        let vague = self
            .lines
            .iter()
            .filter(|l| self.depts[self.units[l.unit].dept].name == "发展和改革委员会")
            .filter(|l| l.adjusted >= 50_000_000)
            .find_map(|l| l.project.as_ref().map(|p| p.0.clone()))
            .unwrap_or_default();
        let mut wb = workbook();
        let heads = [
            "预算年度",
            "部门编码",
            "部门名称",
            "单位编码",
            "单位名称",
            "项目编码",
            "项目名称",
            "功能分类编码",
            "功能分类名称",
            "经济分类编码",
            "经济分类名称",
            "预算草案数",
            "上年预算数",
            "上年执行数",
            "已提前下达数",
            "项目内容",
            "绩效目标",
            "绩效指标",
        ];
        let ws = titled_sheet(
            &mut wb,
            "预算草案",
            &format!("{REGION_NAME}{next}年部门预算草案（一般公共预算）"),
            1,
            &heads,
        )?;
        let mut row = 2u32;
        let mut put = |ws: &mut Worksheet, cells: Vec<Cell>| -> Result<()> {
            write_row(ws, row, &cells)?;
            row += 1;
            Ok(())
        };
        let mut rows = 0;
        for (i, l) in self.lines.iter().enumerate().filter(|(_, l)| l.kind == 0) {
            let u = &self.units[l.unit];
            let d = &self.depts[u.dept];
            let spent = l.ytd(12);
            let rate = spent as f64 / l.adjusted.max(1) as f64;
            let sangong = matches!(l.dept_econ.0, "30212" | "30217" | "30231" | "31013");
            let project = l.project.as_ref().map(|p| p.0.as_str());
            let factor = if project == Some(starved.as_str()) {
                1.10
            } else if project.is_some() && rate < 0.5 {
                0.8
            } else if sangong && d.name == "公安局" {
                1.12
            } else if sangong {
                0.95
            } else if l.dept_econ.0.starts_with("302") {
                1.02
            } else {
                1.0 + (i % 4) as f64 * 0.01
            };
            let amount = fen100(l.adjusted as f64 / 100.0 * factor);
            // The draft names a project with its unit (教育第2学校教育局专项1): every school has a
            // 专项1 of its own, not one project asked for 40 times.
            let short = u.name.trim_start_matches(REGION_NAME);
            let project_name = l.project.as_ref().map(|p| format!("{short}{}", p.1));
            let (content, target, indicators) = match &l.project {
                Some((code, _)) if *code == vague => (
                    format!("{}：推进相关工作", project_name.clone().unwrap_or_default()),
                    "提升服务质量，确保工作顺利开展".to_string(),
                    String::new(),
                ),
                Some(_) => (
                    format!(
                        "{}：{next}年度实施内容",
                        project_name.clone().unwrap_or_default()
                    ),
                    format!(
                        "{next}年完成{}全部年度任务",
                        project_name.clone().unwrap_or_default()
                    ),
                    "任务完成率≥95%；资金支付率≥90%；服务对象满意度≥90%".to_string(),
                ),
                None => (String::new(), String::new(), String::new()),
            };
            let opt = |x: &str| {
                if x.is_empty() {
                    Cell::E
                } else {
                    Cell::S(x.to_string())
                }
            };
            put(
                ws,
                vec![
                    Cell::N(next as f64),
                    Cell::S(d.code.clone()),
                    Cell::S(d.name.clone()),
                    Cell::S(u.code.clone()),
                    Cell::S(u.name.clone()),
                    l.project.as_ref().map_or(Cell::E, |p| Cell::S(p.0.clone())),
                    project_name.clone().map_or(Cell::E, Cell::S),
                    Cell::S(l.func.0.to_string()),
                    Cell::S(l.func.1.to_string()),
                    opt(l.dept_econ.0),
                    opt(l.dept_econ.1),
                    Cell::N(amount as f64 / 100.0),
                    Cell::N(l.adjusted as f64 / 100.0),
                    Cell::N(spent as f64 / 100.0),
                    Cell::E,
                    opt(&content),
                    opt(&target),
                    opt(&indicators),
                ],
            )?;
            rows += 1;
        }
        // One parking system asked for by two departments.
        for (dept, func, name, wan) in [
            (
                "交通运输局",
                ("2140104", "公路建设"),
                "城市智慧停车系统建设",
                1_200.0,
            ),
            (
                "住房和城乡建设局",
                ("2140106", "公路养护"),
                "智慧停车系统建设项目",
                900.0,
            ),
        ] {
            let Some(u) = self.units.iter().find(|u| self.depts[u.dept].name == dept) else {
                continue;
            };
            let d = &self.depts[u.dept];
            let amount = wan * 10_000.0 * self.scale as f64;
            put(
                ws,
                vec![
                    Cell::N(next as f64),
                    Cell::S(d.code.clone()),
                    Cell::S(d.name.clone()),
                    Cell::S(u.code.clone()),
                    Cell::S(u.name.clone()),
                    Cell::S(format!("P{}TC", u.code)),
                    Cell::S(name.to_string()),
                    Cell::S(func.0.to_string()),
                    Cell::S(func.1.to_string()),
                    Cell::S("31005".into()),
                    Cell::S("基础设施建设".into()),
                    Cell::N(amount),
                    Cell::E,
                    Cell::E,
                    Cell::E,
                    Cell::S("建设城区停车诱导和智慧停车管理平台".into()),
                    Cell::S(format!("{next}年建成智慧停车平台")),
                    Cell::S("接入停车泊位≥5000个；系统可用率≥99%".into()),
                ],
            )?;
            rows += 1;
        }
        // 公安局本级 asks 100万元 more for its command centre while the 80万元 carried over for
        // it since two years ago lies untouched (the carry-over ledger names it, without a code).
        if let Some(u) = self.units.iter().find(|u| u.dept == 5) {
            let d = &self.depts[u.dept];
            put(
                ws,
                vec![
                    Cell::N(next as f64),
                    Cell::S(d.code.clone()),
                    Cell::S(d.name.clone()),
                    Cell::S(u.code.clone()),
                    Cell::S(u.name.clone()),
                    Cell::S(format!("P{}ZH", u.code)),
                    Cell::S(format!("{}指挥中心建设", d.name)),
                    Cell::S("2040101".into()),
                    Cell::S("行政运行".into()),
                    Cell::S("31002".into()),
                    Cell::S("办公设备购置".into()),
                    Cell::N(100.0 * 10_000.0 * self.scale as f64),
                    Cell::E,
                    Cell::E,
                    Cell::E,
                    Cell::S("指挥中心二期设备购置".into()),
                    Cell::S(format!("{next}年完成指挥中心二期设备安装")),
                    Cell::S("设备到货率100%；系统可用率≥99%".into()),
                ],
            )?;
            rows += 1;
        }
        // The transfers to the districts and counties, with what was issued in advance (提前下达)
        // before the year: general transfers 94 %, special ones 55 % (under the 70 % floor).
        if let Some(u) = self
            .units
            .iter()
            .find(|u| self.depts[u.dept].name == "财政局")
        {
            let d = &self.depts[u.dept];
            for (func, name, wan, advance) in [
                (
                    ("23002", "一般性转移支付"),
                    "对下一般性转移支付",
                    20_000.0,
                    0.94,
                ),
                (("23003", "专项转移支付"), "对下专项转移支付", 8_000.0, 0.55),
            ] {
                let amount = wan * 10_000.0 * self.scale as f64;
                put(
                    ws,
                    vec![
                        Cell::N(next as f64),
                        Cell::S(d.code.clone()),
                        Cell::S(d.name.clone()),
                        Cell::S(u.code.clone()),
                        Cell::S(u.name.clone()),
                        Cell::E,
                        Cell::E,
                        Cell::S(func.0.into()),
                        Cell::S(func.1.into()),
                        Cell::E,
                        Cell::E,
                        Cell::N(amount),
                        // Last year's: 5 % less budgeted, all of it paid out.
                        Cell::N(amount * 0.95),
                        Cell::N(amount * 0.95),
                        Cell::N(amount * advance),
                        Cell::S(name.into()),
                        Cell::E,
                        Cell::E,
                    ],
                )?;
                rows += 1;
            }
        }
        save(
            &mut wb,
            &out.join(format!("draft_budget/draft_budget_{next}.xlsx")),
        )?;
        let (traffic, housing) = (self.office_of(7), self.office_of(8));
        let police = self
            .depts
            .get(5)
            .map(|d| d.code.clone())
            .unwrap_or_default();
        let review = format!("{next}-01");
        self.anomaly(
            "review_unspent_ask",
            format!("project_key={starved}"),
            &review,
            "the project that spent 15 % of its budget asks 10 % more".into(),
        );
        self.anomaly(
            "review_duplicate_project",
            format!("project_a=P{traffic}TC|project_b=P{housing}TC"),
            &review,
            "交通运输局 and 住建局 both ask for a smart parking system".into(),
        );
        self.anomaly(
            "review_vague_target",
            format!("project_key={vague}"),
            &review,
            "the target reads 提升服务质量，确保工作顺利开展: no figure to check".into(),
        );
        self.anomaly(
            "review_sangong_growth",
            format!("dept_key={police}"),
            &review,
            "公安局's 三公 lines 12 % above this year's budget".into(),
        );
        self.anomaly(
            "review_general_growth",
            format!("region_code={REGION_CODE}"),
            &review,
            "一般性支出 (302) 2 % up, 三公 aside".into(),
        );
        self.anomaly(
            "review_contingency",
            format!("region_code={REGION_CODE}"),
            &review,
            "预备费 kept at 0.6 % of general expenditure".into(),
        );
        let command = self
            .units
            .iter()
            .find(|u| u.dept == 5)
            .map(|u| u.code.clone())
            .unwrap_or_default();
        self.anomaly(
            "review_carryover_ask",
            format!("agency_key={command}|project_key=P{command}ZH"),
            &review,
            "公安局本级 asks 100万元 for its command centre beside 80万元 carried over unspent (80 %)"
                .into(),
        );
        self.anomaly(
            "review_transfer_advance",
            "transfer_kind=专项转移支付".into(),
            &review,
            "55 % of the special transfers issued in advance, under the 70 % floor".into(),
        );
        Ok(rows)
    }

    /// Next year's general-budget revenue as the draft budgets it (XLSX, 万元, 类 subtotals),
    /// beside this year's budget and outturn (December's). Planted: taxes budgeted 8 % and
    /// non-tax revenue 20 % above this year's outturn — the whole 11.9 % up (402,300 against
    /// 359,450 万元) while GDP grew 4.3–4.4 %: out of line with the economy.
    fn write_draft_revenue(&mut self, out: &Path) -> Result<usize> {
        let next = YEAR + 1;
        let s = self.scale as f64;
        // (class, [(code, name, this year's budget 万元)], this year's outturn over budget, next year's factor)
        let classes: [((&str, &str), Vec<(&str, &str, f64)>, f64, f64); 2] = [
            (("101", "税收收入"), TAX_LINES.to_vec(), 1.0, 1.08),
            (("103", "非税收入"), NONTAX_LINES.to_vec(), 1.45, 1.20),
        ];
        let mut wb = workbook();
        let heads = [
            "预算类型",
            "收入科目编码",
            "收入科目名称",
            "预算数(万元)",
            "上年预算数(万元)",
            "上年执行数(万元)",
        ];
        let ws = titled_sheet(
            &mut wb,
            "收入预算",
            &format!("{REGION_NAME}{next}年一般公共预算收入预算表"),
            1,
            &heads,
        )?;
        let mut row = 2u32;
        for ((code, name), items, outturn, factor) in &classes {
            let lines: Vec<(String, String, i64, i64, i64)> = items
                .iter()
                .map(|(c, n, budget)| {
                    let b = fen100(budget * 10_000.0 * s);
                    let done = fen100(b as f64 / 100.0 * outturn);
                    let ask = fen100(done as f64 / 100.0 * factor);
                    (c.to_string(), n.to_string(), ask, b, done)
                })
                .collect();
            let sum =
                |f: fn(&(String, String, i64, i64, i64)) -> i64| lines.iter().map(f).sum::<i64>();
            let total = (
                code.to_string(),
                name.to_string(),
                sum(|l| l.2),
                sum(|l| l.3),
                sum(|l| l.4),
            );
            for (c, n, ask, b, done) in std::iter::once(total).chain(lines) {
                write_row(
                    ws,
                    row,
                    &[
                        Cell::S("一般公共预算".into()),
                        Cell::S(c),
                        Cell::S(n),
                        Cell::N(ask as f64 / 1_000_000.0),
                        Cell::N(b as f64 / 1_000_000.0),
                        Cell::N(done as f64 / 1_000_000.0),
                    ],
                )?;
                row += 1;
            }
        }
        save(
            &mut wb,
            &out.join(format!("draft_revenue/draft_revenue_{next}.xlsx")),
        )?;
        self.anomaly(
            "review_revenue_growth",
            format!("region_code={REGION_CODE}"),
            &format!("{next}-01"),
            "general revenue budgeted 11.9 % above this year's outturn, GDP 4.3–4.4 %".into(),
        );
        Ok((row - 2) as usize)
    }

    /// Last year but one's final accounts (决算, UTF-8 CSV, 万元): per budget kind and function,
    /// 项 rows with their 类 totals, the budget and outturn of the history extracts — except
    /// 农林水 (213), whose outturn is 3 % above what December's execution report said.
    fn write_final_accounts(&mut self, out: &Path) -> Result<usize> {
        use std::collections::BTreeMap;
        let year = YEAR - 1;
        let mut by: BTreeMap<(usize, &str), (&str, i64, i64, i64)> = BTreeMap::new();
        for (y, _, kind, fcode, fname, original, budget, cum) in self.history() {
            if y != year {
                continue;
            }
            let e = by.entry((kind, fcode)).or_insert((fname, 0, 0, 0));
            e.1 += original;
            e.2 += budget;
            e.3 += fen100(budget as f64 / 100.0 * cum[11]);
        }
        // 农林水's final outturn is 3 % above December's report.
        for ((_, fcode), e) in by.iter_mut() {
            if fcode.starts_with("213") {
                e.3 = fen100(e.3 as f64 / 100.0 * 1.03);
            }
        }
        let mut t = format!("{REGION_NAME}{year}年财政决算（支出）\n");
        t.push_str(
            "决算年度,预算类型,科目编码,科目名称,年初预算数(万元),调整预算数(万元),决算数(万元)\n",
        );
        let mut rows = 0;
        let mut classes: BTreeMap<(usize, &str), (i64, i64, i64)> = BTreeMap::new();
        for (&(kind, fcode), &(_, original, budget, spent)) in &by {
            let c = classes.entry((kind, &fcode[..3])).or_insert((0, 0, 0));
            c.0 += original;
            c.1 += budget;
            c.2 += spent;
        }
        for (&(kind, class), &(original, budget, spent)) in &classes {
            // A line budgeted at the 类 itself (预备费 227) is its own class row.
            let total = (!by.contains_key(&(kind, class)))
                .then(|| (class.to_string(), String::new(), original, budget, spent));
            for (code, name, o, b, x) in total.into_iter().chain(
                by.iter()
                    .filter(|((k, f), _)| *k == kind && f.starts_with(class))
                    .map(|((_, f), (n, o, b, x))| (f.to_string(), n.to_string(), *o, *b, *x)),
            ) {
                t.push_str(&csv_line(&[
                    year.to_string(),
                    KINDS[kind].into(),
                    code,
                    name,
                    wan(o),
                    wan(b),
                    wan(x),
                ]));
                t.push('\n');
                rows += 1;
            }
        }
        write(
            &out.join(format!("final_accounts/final_accounts_{year}.csv")),
            t.as_bytes(),
        )?;
        self.anomaly(
            "final_vs_december",
            "func_class=213".to_string(),
            &format!("{year}-12"),
            "农林水's final outturn 3 % above December's execution report".into(),
        );
        Ok(rows)
    }

    /// This year's publication record (XLSX): the budget on day 20, each department's budget
    /// 15 days after its approval with all nine tables and 三公 explained — but 统计局's 25 days
    /// after, and 教育局's with eight tables.
    fn write_publications(&mut self, out: &Path) -> Result<usize> {
        let congress = date(YEAR, 1, 15);
        let mut wb = workbook();
        let heads = [
            "年度",
            "部门",
            "公开内容",
            "批准日期",
            "公开日期",
            "应公开表格数",
            "实际公开表格数",
            "是否说明三公经费",
            "公开网址",
        ];
        let ws = titled_sheet(
            &mut wb,
            "预决算公开",
            &format!("{REGION_NAME}{YEAR}年预决算公开情况"),
            1,
            &heads,
        )?;
        let mut rows = vec![(
            String::new(),
            "政府预算",
            congress,
            congress + chrono::Days::new(20),
            18.0,
            18.0,
            None,
        )];
        for (di, d) in self.depts.iter().enumerate() {
            let pos = di % DEPTS.len();
            let approved = dept_approved(di);
            let published = approved + chrono::Days::new(if pos == 11 { 25 } else { 15 });
            let tables = if pos == 0 { 8.0 } else { 9.0 };
            rows.push((
                d.name.clone(),
                "部门预算",
                approved,
                published,
                9.0,
                tables,
                Some(true),
            ));
        }
        for (i, (dept, kind, approved, published, need, have, sangong)) in rows.iter().enumerate() {
            write_row(
                ws,
                2 + i as u32,
                &[
                    Cell::N(YEAR as f64),
                    if dept.is_empty() {
                        Cell::E
                    } else {
                        Cell::S(dept.clone())
                    },
                    Cell::S(kind.to_string()),
                    Cell::S(approved.to_string()),
                    Cell::S(published.to_string()),
                    Cell::N(*need),
                    Cell::N(*have),
                    sangong.map_or(Cell::E, |b| Cell::S(if b { "是" } else { "否" }.into())),
                    Cell::S(format!("https://czj.example.gov.cn/yjsgk/{YEAR}/{}", i + 1)),
                ],
            )?;
        }
        save(
            &mut wb,
            &out.join(format!("publications/publications_{YEAR}.xlsx")),
        )?;
        let (edu, stats) = (
            self.depts
                .first()
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            self.depts
                .get(11)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
        );
        self.anomaly(
            "publication_late",
            format!("doc_key=部门预算·{edu}"),
            "2025-01",
            "教育局's budget published with 8 of the 9 prescribed tables".into(),
        );
        self.anomaly(
            "publication_late",
            format!("doc_key=部门预算·{stats}"),
            "2025-03",
            "统计局's budget published 25 days after its approval (20 allowed)".into(),
        );
        Ok(rows.len())
    }

    fn write_manifest(&self, out: &Path) -> Result<()> {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "# Anomalies planted by `purse gen --scale {} --seed {}`.",
            self.scale, self.seed
        );
        let _ = writeln!(
            t,
            "# Each names the rule that should fire, the key of the finding, and the first period"
        );
        let _ = writeln!(
            t,
            "# it shows (it may persist after). Every unit, fund, region or enterprise not listed is clean."
        );
        for a in &self.anomalies {
            let _ = writeln!(
                t,
                "\n[[anomaly]]\nrule = \"{}\"\nkey = \"{}\"\nfrom_period = \"{}\"\nnote = \"{}\"",
                a.rule, a.key, a.period, a.note
            );
        }
        write(&out.join("anomalies.toml"), t.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_format_exactly() {
        assert_eq!(yuan(123456), "1234.56");
        assert_eq!(wan(12_345_670_000), "12345.67");
        assert_eq!(thousands("1234567.89"), "1,234,567.89");
        assert_eq!(thousands("-1234"), "-1,234");
    }

    #[test]
    fn execution_past_a_sheets_rows_is_written_as_csv() {
        assert!(fits_a_sheet(1_048_569) && !fits_a_sheet(1_048_570));
        // The demo writes months 7–12 as workbooks (at --scale 100, 3.3 M lines, the general
        // budget's sheet would not fit and every month is CSV).
        let r = Region::new(1, 2025);
        assert!(
            (0..KINDS.len()).all(|k| fits_a_sheet(r.lines.iter().filter(|l| l.kind == k).count()))
        );
    }

    #[test]
    fn demo_region_has_the_documented_size() {
        let r = Region::new(1, 2025);
        assert_eq!(r.depts.len(), 12);
        assert_eq!(r.units.len(), 138, "about 150 budget units");
        // 11 lines per unit (8 basic, 3 projects) and the finance bureau's 预备费, 调出资金,
        // 临时救助 and interest on the general debt.
        assert_eq!(r.lines.len(), 138 * 11 + 4);
    }
}
