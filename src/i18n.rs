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

/// Severity colour names as CSS classes and English words.
pub fn level_class(level: &str) -> &'static str {
    match level {
        "红" => "red",
        "橙" => "orange",
        "黄" => "yellow",
        "蓝" => "blue",
        _ => "grey",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(term("流速", Lang::En), "pace");
        assert_eq!(pct(Some(83.333)), "83.3%");
        assert_eq!(pct(None), "—");
    }
}
