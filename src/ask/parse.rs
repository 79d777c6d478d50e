//! A question in Chinese → a [`Query`] over the layer, deterministically. The question is
//! normalised (full-width digits, Chinese numerals before a classifier), then words are claimed
//! longest first: time words, comparisons, thresholds and rankings by pattern, then measures,
//! dimensions and the warehouse's own names from the dictionary. What is left unclaimed is
//! ignored; what is claimed twice cannot be.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{Dictionary, Kind, Layer};
use crate::common::{Period, Val};

/// A comparison with an earlier period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// 同比: the same months a year before.
    Yoy,
    /// 环比: the month before.
    Mom,
}

/// A ranking: highest or lowest first, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    pub desc: bool,
    pub n: Option<usize>,
}

/// A condition on the first measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    BelowProgress,
    AboveProgress,
    /// Above a value in the measure's own unit (元 for money, % for rates).
    Above(f64),
    Below(f64),
}

/// A question as understood.
#[derive(Debug, Clone)]
pub struct Query {
    pub measures: Vec<String>,
    pub dataset: String,
    /// Dimensions to break down by (`month`: a trend over the year).
    pub group: Vec<String>,
    /// Dimension → the values it is limited to (value, label).
    pub filters: BTreeMap<String, Vec<(String, String)>>,
    /// The data period.
    pub period: Period,
    pub compare: Option<Compare>,
    pub rank: Option<Rank>,
    pub threshold: Option<Threshold>,
    /// Alerts still open only.
    pub open_only: bool,
    /// The question asks for 序时进度 itself.
    pub progress_only: bool,
    /// The period the comparison reads (a year or a month before).
    pub base: Option<Period>,
}

/// What a question came to.
#[derive(Debug, Clone)]
pub enum Understood {
    Query(Query),
    /// A name that could be several things: the word and what it could be.
    Ambiguous {
        word: String,
        choices: Vec<String>,
    },
    /// Outside the layer: why (a local model may be asked instead).
    Unanswerable(String),
    /// Understood, but about data that is not there (none loaded, a month not yet in, the
    /// future): why. Nobody is asked to guess.
    NoData(String),
}

fn normalise(q: &str) -> String {
    let mut s = String::with_capacity(q.len());
    for c in q.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        let c = match c {
            '—' | '–' | '~' => '-',
            _ => c,
        };
        if c.is_whitespace() || "?？。，,！!、\"“”‘’'：:；;".contains(c) {
            continue;
        }
        s.push(c);
    }
    let s = RANGE_WORD.replace_all(&s, "${1}-${2}").into_owned();
    CN_NUM
        .replace_all(&s, |c: &regex::Captures| {
            format!(
                "{}{}{}",
                &c[1],
                cn_value(&c[2]).map_or(c[2].to_string(), |v| v.to_string()),
                &c[3]
            )
        })
        .into_owned()
}

/// 1至10月, 1到10月: a range between figures (not 截至, 达到).
static RANGE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d月?|[一二三四五六七八九十]月?)[至到]([\d一二三四五六七八九十])").expect("regex")
});

static CN_NUM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(第|前|后|倒数|^|[^一二三四五六七八九十两])([一二三四五六七八九十两]{1,3})(个|名|位|月|季度|家|条|项|所|$|学校|中心|医院|-|的)")
        .expect("regex")
});

fn cn_value(s: &str) -> Option<u32> {
    let d = |c: char| {
        "零一二三四五六七八九"
            .find(c)
            .map(|i| (i / 3) as u32)
            .or((c == '两').then_some(2))
    };
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        [a] if *a == '十' => Some(10),
        [a] => d(*a),
        ['十', b] => Some(10 + d(*b)?),
        [a, '十'] => Some(d(*a)? * 10),
        [a, '十', b] => Some(d(*a)? * 10 + d(*b)?),
        _ => None,
    }
}

/// A claimed piece of the question.
#[derive(Debug, Clone)]
enum Piece {
    Time(Period),
    Trend,
    Compare(Compare),
    Threshold(Threshold),
    Rank(Rank),
    Open,
    Progress,
    Measure(String),
    Dim(String),
    /// A name: its surface and the dictionary entries it may be.
    Name(String, Vec<usize>),
}

struct Claims {
    taken: Vec<bool>,
    /// Each piece with its span (chars).
    pieces: Vec<(usize, usize, Piece)>,
}

impl Claims {
    /// Claims chars `a..b` if none is taken.
    fn claim(&mut self, a: usize, b: usize, p: Piece) -> bool {
        if a >= b || b > self.taken.len() || self.taken[a..b].iter().any(|t| *t) {
            return false;
        }
        self.taken[a..b].iter_mut().for_each(|t| *t = true);
        self.pieces.push((a, b, p));
        true
    }
}

/// Byte offsets → char offsets of `s`.
fn char_at(s: &str, byte: usize) -> usize {
    s[..byte].chars().count()
}

static TIME: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(\d{4})年(?:1月?-)?(\d{1,2})月(?:份|末|底)?", "ym"),
        (r"(\d{4})年(?:全年|度)?", "y"),
        (r"1月?-(\d{1,2})月(?:份|末|底)?", "m"),
        (r"前(\d{1,2})个月", "m"),
        (r"(\d{1,2})月(?:份|末|底)?", "m"),
        (r"上半年", "h1"),
        (r"前(\d)季度", "q"),
        (r"第?(\d)季度(?:末)?", "q"),
        (r"Q(\d)", "q"),
        (r"去年|上年|上一年", "last_year"),
        (r"上个?月", "last_month"),
        (r"今年以来|年初以来|今年|本年度?|本年度|截至目前|目前|现在|当前|最新|本月|这个月|当月|全年", "now"),
    ]
    .into_iter()
    .map(|(r, k)| (Regex::new(r).expect("regex"), k))
    .collect()
});

static COMPARE: LazyLock<[(Regex, Compare); 2]> = LazyLock::new(|| {
    [
        (
            Regex::new(r"同比|上年同期|去年同期|比上年|比去年|较上年|较去年").expect("regex"),
            Compare::Yoy,
        ),
        (
            Regex::new(r"环比|比上月|较上月|比上个月").expect("regex"),
            Compare::Mom,
        ),
    ]
});

static FUTURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"明年|下一年|下年度|后年|下个?月|下季度|未来|将来|预计|预测|会不会|将会")
        .expect("regex")
});

static RANK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(最高|最多|最大|最快|最好|排名前|前|最低|最少|最小|最慢|最差|倒数|排名后|后)的?(\d{1,3})?(?:个|名|位|家|所)?|排名|排序|排行")
        .expect("regex")
});

static THRESHOLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(超过|高于|大于|多于|超出|不低于|低于|小于|少于|不到|不足|未达到|未达)(\d+(?:\.\d+)?)(%|个百分点|万元|亿元|元)?|(\d+(?:\.\d+)?)(%|万元|亿元|元)?(以上|以下)")
        .expect("regex")
});

static PROGRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(低于|慢于|落后于?|未达到|没达到|没有达到|不到|跟不上|达不到)序时进度|(高于|快于|超过|超出|达到)序时进度")
        .expect("regex")
});

/// Parses a question against the layer and the dictionary.
pub fn parse(question: &str, layer: &Layer, dict: &Dictionary) -> Understood {
    let s = normalise(question);
    let chars: Vec<char> = s.chars().collect();
    let Some(latest) = dict.latest() else {
        // Nothing the layer reads is loaded: outside what the grammar can answer (a local
        // model may still read the tables that are).
        return Understood::Unanswerable("仓库中还没有问数能读的数据".into());
    };
    // purse answers from the data it holds: a question about the future is not one of them.
    if let Some(m) = FUTURE.find(&s) {
        return Understood::NoData(format!(
            "“{}”问的是尚无数据的将来；可以问已有月份的数据",
            m.as_str()
        ));
    }
    let mut c = Claims {
        taken: vec![false; chars.len()],
        pieces: vec![],
    };
    // Measures named with a time word (本月支出, 当月支出) before the time words.
    for m in &layer.measure {
        for w in m
            .words
            .iter()
            .filter(|w| w.starts_with("本月") || w.starts_with("当月"))
        {
            for (i, _) in s.match_indices(w.as_str()) {
                let a = char_at(&s, i);
                c.claim(a, a + w.chars().count(), Piece::Measure(m.name.clone()));
            }
        }
    }
    // Comparisons and progress thresholds before time words (上年同期 is not 上年).
    for (re, cmp) in COMPARE.iter() {
        let cmp = *cmp;
        for m in re.find_iter(&s) {
            c.claim(
                char_at(&s, m.start()),
                char_at(&s, m.end()),
                Piece::Compare(cmp),
            );
        }
    }
    for m in PROGRESS.captures_iter(&s) {
        let all = m.get(0).expect("match");
        // How far behind (落后序时进度多少, …最多的部门) is the measure, not a condition.
        let after = &s[all.end()..];
        if m.get(1).is_some_and(|w| w.as_str().starts_with("落后"))
            && ["多少", "最多", "最大", "几", "程度", "排名"]
                .iter()
                .any(|x| after.starts_with(x))
        {
            continue;
        }
        let t = if m.get(1).is_some() {
            Threshold::BelowProgress
        } else {
            Threshold::AboveProgress
        };
        c.claim(
            char_at(&s, all.start()),
            char_at(&s, all.end()),
            Piece::Threshold(t),
        );
    }
    for (re, kind) in TIME.iter() {
        for m in re.captures_iter(&s) {
            let all = m.get(0).expect("match");
            let num = |i: usize| m.get(i).and_then(|x| x.as_str().parse::<i32>().ok());
            let p = match *kind {
                "ym" => num(1)
                    .zip(num(2))
                    .and_then(|(y, mo)| Period::new(y, mo as u32).ok()),
                "y" => num(1).and_then(|y| {
                    Period::new(
                        y,
                        if y == latest.year() {
                            latest.month()
                        } else {
                            12
                        },
                    )
                    .ok()
                }),
                "m" => num(1).and_then(|mo| Period::new(latest.year(), mo as u32).ok()),
                "h1" => Period::new(latest.year(), 6).ok(),
                "q" => num(1)
                    .filter(|q| (1..=4).contains(q))
                    .and_then(|q| Period::new(latest.year(), 3 * q as u32).ok()),
                "last_year" => Period::new(latest.year() - 1, 12).ok(),
                "last_month" => Some(latest.prev()),
                _ => Some(latest),
            };
            if let Some(p) = p {
                c.claim(
                    char_at(&s, all.start()),
                    char_at(&s, all.end()),
                    Piece::Time(p),
                );
            }
        }
    }
    for m in THRESHOLD.captures_iter(&s) {
        let all = m.get(0).expect("match");
        let (word, n, unit, side) = (
            m.get(1).map(|x| x.as_str()),
            m.get(2).or(m.get(4)).map(|x| x.as_str()).unwrap_or("0"),
            m.get(3).or(m.get(5)).map(|x| x.as_str()).unwrap_or(""),
            m.get(6).map(|x| x.as_str()),
        );
        let Ok(mut v) = n.parse::<f64>() else {
            continue;
        };
        v *= match unit {
            "万元" => 10_000.0,
            "亿元" => 100_000_000.0,
            _ => 1.0,
        };
        let above = matches!(
            word,
            Some("超过" | "高于" | "大于" | "多于" | "超出" | "不低于")
        ) || side == Some("以上");
        let t = if above {
            Threshold::Above(v)
        } else {
            Threshold::Below(v)
        };
        c.claim(
            char_at(&s, all.start()),
            char_at(&s, all.end()),
            Piece::Threshold(t),
        );
    }
    for m in RANK.captures_iter(&s) {
        let all = m.get(0).expect("match");
        let word = m.get(1).map(|x| x.as_str()).unwrap_or("排名");
        let n = m.get(2).and_then(|x| x.as_str().parse().ok());
        // 前/后 alone are ranks only with a number (前年, 前期 are not).
        if matches!(word, "前" | "后") && n.is_none() {
            continue;
        }
        let desc = !matches!(
            word,
            "最低" | "最少" | "最小" | "最慢" | "最差" | "倒数" | "排名后" | "后"
        );
        let n = match word {
            "排名" | "排序" | "排行" => None,
            _ => Some(n.unwrap_or(1)),
        };
        c.claim(
            char_at(&s, all.start()),
            char_at(&s, all.end()),
            Piece::Rank(Rank { desc, n }),
        );
    }
    for w in [
        "未销号",
        "未整改",
        "待处理",
        "未处理",
        "未关闭",
        "在办",
        "仍未",
        "还没处理",
    ] {
        for (i, _) in s.match_indices(w) {
            let a = char_at(&s, i);
            c.claim(a, a + w.chars().count(), Piece::Open);
        }
    }
    // Measures, dimensions and names: longest first.
    let mut words: Vec<(usize, Piece, String)> = Vec::new();
    for m in &layer.measure {
        for w in &m.words {
            words.push((w.chars().count(), Piece::Measure(m.name.clone()), w.clone()));
        }
    }
    for d in &layer.dimension {
        for w in &d.words {
            let p = if d.name == "month" {
                Piece::Trend
            } else {
                Piece::Dim(d.name.clone())
            };
            words.push((w.chars().count(), p, w.clone()));
        }
    }
    let mut by_surface: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in dict.entries.iter().enumerate() {
        by_surface.entry(e.surface.as_str()).or_default().push(i);
    }
    for (surface, ids) in &by_surface {
        if s.contains(surface) {
            words.push((
                surface.chars().count(),
                Piece::Name(surface.to_string(), ids.clone()),
                surface.to_string(),
            ));
        }
    }
    words.push((4, Piece::Progress, "序时进度".into()));
    // The warehouse's names first (基金预算 before 预算执行率), longest first; then measures
    // and dimensions, longest first, a measure before a dimension at equal length.
    let rank = |p: &Piece| match p {
        Piece::Name(..) => 0,
        Piece::Measure(_) | Piece::Progress => 1,
        _ => 2,
    };
    words.sort_by(|a, b| {
        (rank(&a.1) != 0)
            .cmp(&(rank(&b.1) != 0))
            .then(b.0.cmp(&a.0))
            .then(rank(&a.1).cmp(&rank(&b.1)))
    });
    for (len, piece, w) in words {
        for (i, _) in s.match_indices(w.as_str()) {
            let a = char_at(&s, i);
            c.claim(a, a + len, piece.clone());
        }
    }
    partial_names(&chars, &mut c, dict);
    // Words left over that are not the question's own (多少, 哪些 …) are something purse did
    // not understand: it says so rather than answer a question it was not asked.
    let left: String = chars
        .iter()
        .zip(&c.taken)
        .map(|(ch, t)| if *t { ' ' } else { *ch })
        .collect();
    let mut rest = left.clone();
    for w in STOP.iter() {
        rest = rest.replace(w, " ");
    }
    // A lone character is filler, save those that name something the layer has no measure
    // for: 几笔 (a count of payments), 付 (paying, a treasury payment).
    if let Some(unknown) = rest.split(' ').find(|w| {
        w.chars()
            .filter(|c| is_han(*c) || c.is_ascii_alphabetic())
            .count()
            >= 2
            || w.contains(['笔', '付'])
    }) {
        return Understood::Unanswerable(format!("没有认出“{unknown}”"));
    }
    c.pieces.sort_by_key(|(at, _, _)| *at);
    let pieces = c.pieces.into_iter().map(|(a, _, p)| (a, p)).collect();
    build(&s, pieces, layer, dict, latest)
}

/// A name given in part (第5学校 for 示范市教育第5学校): a stretch of the question that no word
/// claimed — or only a dimension word such as 学校 or 中心 did — matched against the units,
/// projects and departments that contain it, longest piece first. Several things are a choice.
fn partial_names(chars: &[char], c: &mut Claims, dict: &Dictionary) {
    let mut dim_at = vec![false; chars.len()];
    for (a, b, p) in &c.pieces {
        if matches!(p, Piece::Dim(_)) {
            dim_at[*a..*b].iter_mut().for_each(|x| *x = true);
        }
    }
    let free = |i: usize| !c.taken[i] || dim_at[i];
    let mut found: Vec<(usize, usize, String, Vec<usize>)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !free(i) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && free(j) {
            j += 1;
        }
        // The longest piece of i..j (2 characters or more, some of it unclaimed, not a word
        // of the question's own) a name holds. A stretch longer than any name is not one (and
        // the check for words left over refuses it): the work stays small for any question.
        if j - i > 24 {
            i = j;
            continue;
        }
        'run: for len in (2..=(j - i)).rev() {
            for a in i..=(j - len) {
                let b = a + len;
                if (a..b).all(|k| dim_at[k]) {
                    continue;
                }
                let piece: String = chars[a..b].iter().collect();
                if STOP.iter().any(|w| piece.contains(w)) {
                    continue;
                }
                let ids: Vec<usize> = dict
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        matches!(e.dim.as_str(), "agency" | "project" | "dept")
                            && e.surface.contains(piece.as_str())
                    })
                    .map(|(k, _)| k)
                    .collect();
                if !ids.is_empty() {
                    found.push((a, b, piece, ids));
                    break 'run;
                }
            }
        }
        i = j;
    }
    for (a, b, piece, ids) in found {
        // The dimension words inside give way to the name.
        c.pieces
            .retain(|(x, y, p)| !(matches!(p, Piece::Dim(_)) && *x < b && *y > a));
        c.taken[a..b].iter_mut().for_each(|t| *t = true);
        c.pieces.push((a, b, Piece::Name(piece, ids)));
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}')
}

/// The question's own words, which name nothing: longer ones first.
static STOP: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v = vec![
        "是多少",
        "有多少",
        "怎么样",
        "执行情况",
        "什么样",
        "了多少",
        "分别是",
        "多少钱",
        "多少",
        "怎样",
        "如何",
        "情况",
        "一共",
        "总共",
        "合计",
        "请问",
        "一下",
        "看看",
        "查询",
        "显示",
        "列出",
        "给我",
        "知道",
        "哪些",
        "哪个",
        "哪一个",
        "哪几个",
        "哪家",
        "分别",
        "每个",
        "全市",
        "全部",
        "所有",
        "总体",
        "整体",
        "以及",
        "增长",
        "增加",
        "减少",
        "下降",
        "数量",
        "已经",
        "达到",
        "多大",
        "有没有",
        "是不是",
        "看一下",
        "一般",
        "全年",
        "整个",
        "的",
        "是",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "请",
        "问",
        "看",
        "查",
        "我",
        "想",
        "有",
        "哪",
        "几",
        "个",
        "和",
        "与",
        "及",
        "跟",
        "同",
        "各",
        "每",
        "按",
        "分",
        "总",
        "为",
        "在",
        "共",
        "花",
        "钱",
        "比",
        "较",
        "最",
        "高",
        "低",
        "条",
        "数",
        "多",
        "少",
        "到",
        "都",
        "还",
        "已",
        "率",
        "额",
        "元",
        "末",
        "底",
        "时",
        "度",
        "期",
        "名",
        "排",
        "项",
        "些",
        "该",
        "其",
        "从",
        "由",
        "对",
        "于",
        "将",
        "要",
        "能",
        "会",
    ];
    v.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    v
});

fn build(
    s: &str,
    pieces: Vec<(usize, Piece)>,
    layer: &Layer,
    dict: &Dictionary,
    latest: Period,
) -> Understood {
    let mut measures: Vec<String> = Vec::new();
    let mut group: Vec<String> = Vec::new();
    let mut filters: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let (mut period, mut compare, mut rank, mut threshold) = (None, None, None, None);
    let (mut open_only, mut progress, mut trend) = (false, false, false);
    for (_, p) in pieces {
        match p {
            Piece::Time(t) => period = period.or(Some(t)),
            Piece::Trend => trend = true,
            Piece::Compare(x) => compare = Some(x),
            Piece::Threshold(x) => threshold = Some(x),
            Piece::Rank(x) => rank = Some(x),
            Piece::Open => open_only = true,
            Piece::Progress => progress = true,
            Piece::Measure(m) => {
                if !measures.contains(&m) {
                    measures.push(m)
                }
            }
            Piece::Dim(d) => {
                if !group.contains(&d) {
                    group.push(d)
                }
            }
            Piece::Name(word, ids) => {
                let entries: Vec<&super::Entry> = ids.iter().map(|i| &dict.entries[*i]).collect();
                // One name, one thing: the same dimension and value (else the asker chooses).
                let mut things: Vec<(&str, &str, &str)> = entries
                    .iter()
                    .map(|e| (e.dim.as_str(), e.value.as_str(), e.label.as_str()))
                    .collect();
                things.sort();
                things.dedup();
                // A department and its own office (教育局 / 示范市教育局本级) are not a choice:
                // the broader dimension wins.
                let order = [
                    "region",
                    "budget_kind",
                    "func",
                    "dept",
                    "agency",
                    "project",
                    "level",
                ];
                let top = things
                    .iter()
                    .map(|t| order.iter().position(|o| *o == t.0).unwrap_or(9))
                    .min()
                    .unwrap_or(9);
                things.retain(|t| order.iter().position(|o| *o == t.0).unwrap_or(9) == top);
                if things.len() > 1 {
                    return Understood::Ambiguous {
                        word,
                        choices: things.iter().map(|t| t.2.to_string()).collect(),
                    };
                }
                if let Some((dim, value, label)) = things.first() {
                    let v = filters.entry(dim.to_string()).or_default();
                    if !v.iter().any(|(x, _)| x == value) {
                        v.push((value.to_string(), label.to_string()));
                    }
                }
            }
        }
    }
    // Two names of one kind (公安局和教育局) are answered each.
    for (dim, values) in &filters {
        if values.len() > 1 && !group.contains(dim) && dim != "func" {
            group.push(dim.clone());
        }
    }
    if trend {
        group.push("month".into());
    }
    // 序时进度 on its own is a figure of the calendar.
    if progress && measures.is_empty() && threshold.is_none() {
        return Understood::Query(Query {
            measures: vec![],
            dataset: String::new(),
            group: vec![],
            filters,
            period: period.unwrap_or(latest),
            compare: None,
            rank: None,
            threshold: None,
            open_only: false,
            progress_only: true,
            base: None,
        });
    }
    if measures.is_empty() {
        if matches!(
            threshold,
            Some(Threshold::BelowProgress | Threshold::AboveProgress)
        ) || (threshold.is_some() && s.contains('%'))
        {
            measures.push("exec_rate".into());
        } else if filters.contains_key("level") || open_only {
            measures.push("alerts".into());
        } else if !filters.is_empty() || compare.is_some() || !group.is_empty() {
            if trend {
                // Spending month by month, unless 累计 was said (a named measure).
                measures.push("month_amount".into());
            } else if s.contains("支出") || compare.is_some() {
                measures.push("ytd_amount".into());
            } else {
                measures.extend(["adjusted_budget", "ytd_amount", "exec_rate"].map(String::from));
            }
        } else {
            return Understood::Unanswerable(
                "没有认出要问的指标（如预算、支出、执行率、收入、债务、预警）".into(),
            );
        }
    }
    let dataset = match layer.measure(&measures[0]) {
        Some(m) => m.dataset.clone(),
        None => return Understood::Unanswerable("未知指标".into()),
    };
    if let Some(other) = measures
        .iter()
        .filter_map(|m| layer.measure(m))
        .find(|m| m.dataset != dataset)
    {
        return Understood::Unanswerable(format!(
            "一次只能问同一类数据：{}与{}来自不同的数据集，请分开问",
            layer.measure(&measures[0]).map_or("", |m| m.zh.as_str()),
            other.zh
        ));
    }
    // Filters and breakdowns the dataset cannot give.
    let dims_of = |d: &str| -> bool {
        match d {
            "func" => dataset == "budget_execution",
            other => layer
                .dimension(other)
                .is_some_and(|x| x.datasets.contains(&dataset)),
        }
    };
    for d in filters.keys().chain(group.iter()) {
        if !dims_of(d) {
            let name = layer.dimension(d).map_or("功能分类", |x| x.zh.as_str());
            let what = layer.measure(&measures[0]).map_or("", |m| m.zh.as_str());
            return Understood::Unanswerable(format!("{what}的数据不按{name}区分"));
        }
    }
    // A region as the dataset names it: 示范市's debt is 示范市本级's.
    if let Some(regions) = filters.get_mut("region")
        && let Some(known) = dict.regions_of.get(if dataset == "purse_alerts" {
            "budget_execution"
        } else {
            dataset.as_str()
        })
        && dataset != "purse_alerts"
    {
        for (value, label) in regions.iter_mut() {
            if known.contains(value.as_str()) {
                continue;
            }
            let like: Vec<&String> = known
                .iter()
                .filter(|k| k.starts_with(value.as_str()))
                .collect();
            match like.as_slice() {
                [one] => {
                    *value = one.to_string();
                    *label = one.to_string();
                }
                [] => {
                    return Understood::Unanswerable(format!(
                        "{}的数据中没有{value}",
                        layer.measure(&measures[0]).map_or("", |m| m.zh.as_str())
                    ));
                }
                many => {
                    return Understood::Ambiguous {
                        word: value.clone(),
                        choices: many.iter().map(|x| x.to_string()).collect(),
                    };
                }
            }
        }
    }
    if open_only && dataset != "purse_alerts" {
        return Understood::Unanswerable("“未整改”只用于预警".into());
    }
    if (rank.is_some() || threshold.is_some()) && group.is_empty() {
        group.push(
            match dataset.as_str() {
                "budget_execution" | "purse_alerts" => "dept",
                _ => "region",
            }
            .into(),
        );
    }
    let asked = period.unwrap_or(latest);
    let period = if dataset == "purse_alerts" {
        asked
    } else {
        let newest = dict.periods.get(&dataset).and_then(|v| v.last()).copied();
        match (dict.period_at(&dataset, asked), newest) {
            (_, Some(n)) if asked > n => {
                return Understood::NoData(format!(
                    "还没有{}年{}月的数据（最新为{}）",
                    asked.year(),
                    asked.month(),
                    n
                ));
            }
            (Some(p), _) => p,
            _ => {
                return Understood::NoData(format!(
                    "没有{}年{}月及以前的{}数据",
                    asked.year(),
                    asked.month(),
                    layer.measure(&measures[0]).map_or("", |m| m.zh.as_str())
                ));
            }
        }
    };
    let base = match compare {
        None => None,
        Some(Compare::Yoy)
            if layer
                .measure(&measures[0])
                .is_some_and(|m| m.prior_sql.is_some()) =>
        {
            None
        }
        Some(cmp) => {
            let want = match cmp {
                Compare::Yoy => period.back(12),
                Compare::Mom => period.prev(),
            };
            let has = dataset == "purse_alerts"
                || dict
                    .periods
                    .get(&dataset)
                    .is_some_and(|v| v.contains(&want));
            if !has {
                return Understood::NoData(format!("没有可比较的{want}数据"));
            }
            Some(want)
        }
    };
    if compare.is_some() && group.contains(&"month".to_string()) {
        return Understood::Unanswerable("走势与同比、环比请分开问".into());
    }
    Understood::Query(Query {
        measures,
        dataset,
        group,
        filters,
        period,
        compare,
        rank,
        threshold,
        open_only,
        progress_only: false,
        base,
    })
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn has_detail(ds: &str) -> bool {
    matches!(ds, "budget_execution" | "revenue")
}

impl Query {
    fn dim_expr<'a>(&self, layer: &'a Layer, d: &'a str) -> (String, &'a str) {
        match layer.dimension(d) {
            Some(x) => (x.column.clone(), x.zh.as_str()),
            None => (d.to_string(), d),
        }
    }

    fn measure_sql(&self, layer: &Layer, m: &str) -> String {
        let progress = format!("(100.0 * {} / 12)", self.period.month());
        layer
            .measure(m)
            .map_or("NULL".into(), |x| x.sql.replace("$progress", &progress))
    }

    fn conditions(&self, period: Period) -> Vec<String> {
        let mut w = vec![if self.group.iter().any(|g| g == "month") {
            format!("period BETWEEN '{:04}-01' AND '{period}'", period.year())
        } else {
            format!("period = '{period}'")
        }];
        if has_detail(&self.dataset) {
            w.push("is_detail".into());
        }
        for (dim, values) in &self.filters {
            let ors: Vec<String> = values
                .iter()
                .map(|(v, _)| match dim.as_str() {
                    "func" => format!("func_code LIKE {}", lit(&format!("{v}%"))),
                    "region" => format!("region_name = {}", lit(v)),
                    "dept" => format!("dept_name = {}", lit(v)),
                    "agency" => format!("agency_name = {}", lit(v)),
                    "project" => format!("project_name = {}", lit(v)),
                    "budget_kind" => format!("budget_kind = {}", lit(v)),
                    "level" => format!("level = {}", lit(v)),
                    other => format!("{other} = {}", lit(v)),
                })
                .collect();
            w.push(if ors.len() == 1 {
                ors[0].clone()
            } else {
                format!("({})", ors.join(" OR "))
            });
        }
        if self.open_only {
            w.push("status IN ('new', 'acknowledged', 'rectifying', 'cleared')".into());
        }
        w
    }

    /// The SQL that answers the question (read-only, literals inlined so it can be rerun).
    pub fn sql(&self, layer: &Layer) -> String {
        let dims: Vec<(String, &str)> = self
            .group
            .iter()
            .map(|d| {
                if d == "month" {
                    ("period".to_string(), "月份")
                } else {
                    self.dim_expr(layer, d)
                }
            })
            .collect();
        let group_by = if dims.is_empty() {
            String::new()
        } else {
            format!(
                " GROUP BY {}",
                dims.iter()
                    .map(|d| d.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let first = self.measure_sql(layer, &self.measures[0]);
        let first_zh = layer
            .measure(&self.measures[0])
            .map_or("值", |m| m.zh.as_str());
        let kind = layer.measure(&self.measures[0]).map(|m| m.kind);
        let having = match self.threshold {
            None => String::new(),
            Some(t) => {
                let raw = match kind {
                    // The unrounded rate: a threshold is met or not, never by rounding.
                    Some(Kind::Pct) => first
                        .strip_prefix("round(")
                        .and_then(|x| x.strip_suffix(", 1)"))
                        .unwrap_or(&first)
                        .to_string(),
                    _ => first.clone(),
                };
                let progress = format!("(100.0 * {} / 12)", self.period.month());
                match t {
                    Threshold::BelowProgress => format!(" HAVING {raw} < {progress}"),
                    Threshold::AboveProgress => format!(" HAVING {raw} >= {progress}"),
                    Threshold::Above(v) => format!(" HAVING {raw} > {v}"),
                    Threshold::Below(v) => format!(" HAVING {raw} < {v}"),
                }
            }
        };
        let order = match (self.rank, dims.iter().any(|d| d.1 == "月份")) {
            (_, true) => {
                let rest: Vec<String> = (1..=dims.len())
                    .filter(|i| dims[i - 1].1 != "月份")
                    .map(|i| i.to_string())
                    .collect();
                format!(
                    " ORDER BY period{}",
                    rest.iter().map(|r| format!(", {r}")).collect::<String>()
                )
            }
            (Some(r), _) => format!(
                " ORDER BY \"{first_zh}\" {} NULLS LAST, 1{}",
                if r.desc { "DESC" } else { "ASC" },
                r.n.map_or(String::new(), |n| format!(" LIMIT {n}"))
            ),
            (None, _) if !dims.is_empty() => {
                format!(" ORDER BY \"{first_zh}\" DESC NULLS LAST, 1")
            }
            _ => String::new(),
        };
        let select_dims: Vec<String> = dims
            .iter()
            .map(|(e, zh)| format!("{e} AS \"{zh}\""))
            .collect();
        if let Some(base) = self.base {
            // Two periods: this one and the base, joined on the breakdown.
            let inner = |p: Period| {
                let mut cols: Vec<String> = dims
                    .iter()
                    .map(|(e, zh)| format!("{e} AS \"{zh}\""))
                    .collect();
                cols.push(format!("{first} AS v"));
                format!(
                    "SELECT {} FROM {} WHERE {}{group_by}",
                    cols.join(", "),
                    self.dataset,
                    self.conditions(p).join(" AND ")
                )
            };
            let on: Vec<String> = dims
                .iter()
                .map(|(_, zh)| format!("c.\"{zh}\" = b.\"{zh}\""))
                .collect();
            let change = match kind {
                Some(Kind::Pct | Kind::Pp) => {
                    "round(c.v - b.v, 1) AS \"变动（百分点）\"".to_string()
                }
                _ => "round(100.0 * CAST(c.v - b.v AS DOUBLE) / CAST(nullif(b.v, 0) AS DOUBLE), 1) AS \"增长（%）\"".to_string(),
            };
            let label = match self.compare {
                Some(Compare::Mom) => "上月",
                _ => "上年同期",
            };
            let mut cols: Vec<String> = dims.iter().map(|(_, zh)| format!("c.\"{zh}\"")).collect();
            cols.push(format!("c.v AS \"{first_zh}\""));
            cols.push(format!("b.v AS \"{label}\""));
            cols.push(change);
            let join = if on.is_empty() {
                "CROSS JOIN b".to_string()
            } else {
                format!("LEFT JOIN b ON {}", on.join(" AND "))
            };
            let order = order.replace(&format!("\"{first_zh}\""), "c.v");
            return format!(
                "WITH c AS ({}), b AS ({}) SELECT {} FROM c {join}{order}",
                inner(self.period),
                inner(base),
                cols.join(", ")
            );
        }
        let mut cols = select_dims;
        for m in &self.measures {
            let zh = layer.measure(m).map_or(m.as_str(), |x| x.zh.as_str());
            cols.push(format!("{} AS \"{zh}\"", self.measure_sql(layer, m)));
        }
        if self.compare == Some(Compare::Yoy)
            && let Some(prior) = layer
                .measure(&self.measures[0])
                .and_then(|m| m.prior_sql.clone())
        {
            cols.push(format!("{prior} AS \"上年同期\""));
            cols.push(format!(
                "round(100.0 * CAST({first} - {prior} AS DOUBLE) / CAST(nullif({prior}, 0) AS DOUBLE), 1) AS \"同比增长（%）\""
            ));
        }
        format!(
            "SELECT {} FROM {} WHERE {}{group_by}{having}{order}",
            cols.join(", "),
            self.dataset,
            self.conditions(self.period).join(" AND ")
        )
    }

    fn scope(&self) -> String {
        let names: Vec<String> = self
            .filters
            .values()
            .flat_map(|v| v.iter().map(|(_, l)| l.clone()))
            .collect();
        names.join("、")
    }

    fn when(&self, layer: &Layer) -> String {
        let p = self.period;
        let ytd = self
            .measures
            .first()
            .and_then(|m| layer.measure(m))
            .is_some_and(|m| {
                matches!(
                    m.name.as_str(),
                    "ytd_amount" | "exec_rate" | "lag" | "revenue" | "revenue_rate"
                )
            });
        if self.group.iter().any(|g| g == "month") || ytd {
            format!("{}年1–{}月", p.year(), p.month())
        } else {
            format!("{}年{}月", p.year(), p.month())
        }
    }

    /// The question as understood, in words.
    pub fn describe(&self, layer: &Layer, _dict: &Dictionary) -> String {
        if self.progress_only {
            return format!("序时进度（{}）", self.period);
        }
        let mut parts = vec![format!(
            "指标：{}",
            self.measures
                .iter()
                .filter_map(|m| layer.measure(m))
                .map(|m| m.zh.as_str())
                .collect::<Vec<_>>()
                .join("、")
        )];
        let scope = self.scope();
        if !scope.is_empty() {
            parts.push(format!("范围：{scope}"));
        }
        parts.push(format!("期间：{}", self.when(layer)));
        for g in &self.group {
            let zh = if g == "month" {
                "月份"
            } else {
                layer.dimension(g).map_or(g.as_str(), |d| d.zh.as_str())
            };
            parts.push(format!("按{zh}"));
        }
        if let Some(r) = self.rank {
            parts.push(match r.n {
                Some(n) => format!("{}{n}个", if r.desc { "最高" } else { "最低" }),
                None => "排名".into(),
            });
        }
        match self.threshold {
            Some(Threshold::BelowProgress) => parts.push("低于序时进度".into()),
            Some(Threshold::AboveProgress) => parts.push("达到序时进度".into()),
            Some(Threshold::Above(v)) => parts.push(format!("高于{v}")),
            Some(Threshold::Below(v)) => parts.push(format!("低于{v}")),
            None => {}
        }
        match self.compare {
            Some(Compare::Yoy) => parts.push("同比".into()),
            Some(Compare::Mom) => parts.push("环比".into()),
            None => {}
        }
        if self.open_only {
            parts.push("未销号".into());
        }
        parts.join("；")
    }

    /// The answer in a sentence, from the rows.
    pub fn sentence(
        &self,
        layer: &Layer,
        _dict: &Dictionary,
        cols: &[String],
        rows: &[Vec<Val>],
    ) -> String {
        let m = layer.measure(&self.measures[0]);
        let kind = m.map_or(Kind::Count, |m| m.kind);
        let zh = m.map_or("", |m| m.zh.as_str());
        let when = self.when(layer);
        let scope = self.scope();
        let ndims = self.group.len();
        if rows.is_empty() {
            return format!("{when}{scope}没有符合条件的数据。");
        }
        let vi = ndims; // the first measure's column
        let say = |r: &[Val], i: usize| r.get(i).map_or(String::new(), |v| super::say(v, kind));
        if ndims == 0 {
            let r = &rows[0];
            let mut out = format!("{when}{scope}{zh}为{}", say(r, vi));
            for (i, c) in cols.iter().enumerate().skip(vi + 1) {
                let v = &r[i];
                let text = if c.contains('%') {
                    v.num().map_or("无数据".into(), |x| format!("{x:.1}%"))
                } else if c.contains("百分点") {
                    v.num()
                        .map_or("无数据".into(), |x| format!("{x:.1}个百分点"))
                } else if c == "上年同期" || c == "上月" {
                    super::say(v, kind)
                } else {
                    let k = layer
                        .measure
                        .iter()
                        .find(|x| x.zh == *c)
                        .map_or(kind, |x| x.kind);
                    super::say(v, k)
                };
                let c = c.replace("（%）", "").replace("（百分点）", "");
                out.push_str(&format!("，{c}{text}"));
            }
            out.push('。');
            return out;
        }
        let label = |r: &[Val]| -> String {
            r[..ndims]
                .iter()
                .map(|v| {
                    let t = v.text();
                    if t.is_empty() {
                        "（空）".to_string()
                    } else {
                        t
                    }
                })
                .collect::<Vec<_>>()
                .join("·")
        };
        let list: Vec<String> = rows
            .iter()
            .take(10)
            .map(|r| format!("{} {}", label(r), say(r, vi)))
            .collect();
        let more = if rows.len() > 10 {
            format!("等{}个", rows.len())
        } else {
            String::new()
        };
        let dim = self
            .group
            .first()
            .map(|g| {
                if g == "month" {
                    "月份"
                } else {
                    layer.dimension(g).map_or("", |d| d.zh.as_str())
                }
            })
            .unwrap_or("");
        let head = match (self.rank, self.threshold) {
            (_, Some(Threshold::BelowProgress)) => format!(
                "{when}{scope}{zh}低于序时进度（{:.1}%）的{dim}有{}个",
                self.period.time_progress(),
                rows.len()
            ),
            (_, Some(Threshold::AboveProgress)) => format!(
                "{when}{scope}{zh}达到序时进度（{:.1}%）的{dim}有{}个",
                self.period.time_progress(),
                rows.len()
            ),
            (_, Some(_)) => format!("{when}{scope}{zh}符合条件的{dim}有{}个", rows.len()),
            (Some(Rank { desc, n: Some(n) }), None) => format!(
                "{when}{scope}{zh}{}的{}{dim}",
                if desc { "最高" } else { "最低" },
                if n == 1 {
                    String::new()
                } else {
                    format!("{n}个")
                }
            ),
            _ => format!("{when}{scope}各{dim}{zh}"),
        };
        format!("{head}：{}{more}。", list.join("、"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> Dictionary {
        let mut d = Dictionary::default();
        let months: Vec<Period> = (1..=12).filter_map(|m| Period::new(2025, m).ok()).collect();
        for ds in ["budget_execution", "revenue", "debt"] {
            d.periods.insert(ds.to_string(), months.clone());
        }
        for (dim, surface, value) in [
            ("dept", "教育局", "教育局"),
            ("agency", "示范市教育第5学校", "示范市教育第5学校"),
            ("agency", "教育第5学校", "示范市教育第5学校"),
            ("agency", "示范市审计第5中心", "示范市审计第5中心"),
            ("agency", "示范市财政第5中心", "示范市财政第5中心"),
            ("region", "示范市", "示范市"),
            ("func", "教育支出", "205"),
        ] {
            d.entries.push(super::super::Entry {
                surface: surface.into(),
                dim: dim.into(),
                value: value.into(),
                label: value.into(),
            });
        }
        d
    }

    /// The words that decide a question, as a user types them.
    #[test]
    fn questions_come_to_what_they_ask() {
        let (l, d) = (Layer::builtin(), dictionary());
        let q = |s: &str| match parse(s, l, &d) {
            Understood::Query(q) => q,
            other => panic!("{s}: {other:?}"),
        };
        let x = q("执行率最低的五个部门");
        assert_eq!(
            (x.measures[0].as_str(), x.group[0].as_str()),
            ("exec_rate", "dept")
        );
        assert_eq!(
            x.rank,
            Some(Rank {
                desc: false,
                n: Some(5)
            })
        );
        let x = q("教育局10月支出");
        assert_eq!(x.period.to_string(), "2025-10");
        assert_eq!(x.filters["dept"][0].0, "教育局");
        let x = q("第5学校执行率");
        assert_eq!(x.filters["agency"][0].0, "示范市教育第5学校");
        assert!(matches!(
            parse("第5中心执行率", l, &d),
            Understood::Ambiguous { .. }
        ));
        assert!(matches!(
            parse("明年的预算", l, &d),
            Understood::NoData(w) if w.contains("将来")
        ));
        assert!(matches!(
            parse("2026年执行率", l, &d),
            Understood::NoData(w) if w.contains("还没有2026年")
        ));
        assert!(matches!(
            parse("天气怎么样", l, &d),
            Understood::Unanswerable(_)
        ));
        // A count of payments is not a budget figure: not "each region's budget".
        assert!(matches!(
            parse("每个地区付了几笔钱，一共多少", l, &d),
            Understood::Unanswerable(w) if w.contains("付")
        ));
    }

    proptest::proptest! {
        /// No question panics the parser or the SQL it writes: any text comes to a query, a
        /// choice or a refusal.
        #[test]
        fn any_text_is_parsed_without_panic(
            s in "[一二三四五六七八九十两第前后月年季度上本去今0-9执行率支出预算收入债务教育局的个最低高排名同比环比超过低于序时进度%万元亿第5学校中心~？ a-z\\-]{0,40}"
        ) {
            let (l, d) = (Layer::builtin(), dictionary());
            if let Understood::Query(q) = parse(&s, l, &d) && !q.progress_only {
                let _ = q.sql(l);
                let _ = q.describe(l, &d);
            }
        }

        #[test]
        fn any_unicode_is_parsed_without_panic(s in proptest::prelude::any::<String>()) {
            let (l, d) = (Layer::builtin(), dictionary());
            let _ = parse(&s, l, &d);
        }
    }

    #[test]
    fn numerals_and_widths_are_normalised() {
        assert_eq!(normalise("执行率最低的五个部门？"), "执行率最低的5个部门");
        assert_eq!(normalise("教育第五学校１０月"), "教育第5学校10月");
        assert_eq!(normalise("十二月一般公共预算"), "12月一般公共预算");
        assert_eq!(normalise("前三季度"), "前3季度");
        assert_eq!(cn_value("二十三"), Some(23));
    }
}
