//! An alert's level, one vocabulary from the rules' SQL (红橙黄蓝) to the page's colour.

/// Alert levels as stored, most severe first: 红 / 橙 / 黄 / 蓝 (see [`Level`]).
pub const LEVELS: [&str; 4] = [
    Level::Red.zh(),
    Level::Orange.zh(),
    Level::Yellow.zh(),
    Level::Blue.zh(),
];

/// Normalises a level word (红, red, RED …) to its Chinese form.
pub fn level(word: &str) -> Option<&'static str> {
    Level::parse(word).map(Level::zh)
}

/// An alert's severity, parsed once where it enters (query string, rule header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Red,
    Orange,
    Yellow,
    Blue,
}

impl Level {
    /// 红/橙/黄/蓝 or red/orange/yellow/blue, any case.
    pub fn parse(word: &str) -> Option<Level> {
        match word.trim().to_lowercase().as_str() {
            "红" | "red" => Some(Level::Red),
            "橙" | "orange" => Some(Level::Orange),
            "黄" | "yellow" => Some(Level::Yellow),
            "蓝" | "blue" => Some(Level::Blue),
            _ => None,
        }
    }
    /// The stored spelling (what the rules' SQL returns).
    pub const fn zh(self) -> &'static str {
        match self {
            Level::Red => "红",
            Level::Orange => "橙",
            Level::Yellow => "黄",
            Level::Blue => "蓝",
        }
    }
    /// Its colour in English: the English label, the pages' CSS class and the charts' colour,
    /// one vocabulary for all three.
    pub const fn colour(self) -> &'static str {
        match self {
            Level::Red => "red",
            Level::Orange => "orange",
            Level::Yellow => "yellow",
            Level::Blue => "blue",
        }
    }
}

/// For query strings: absent or blank is `None`, anything else must be a level.
pub fn optional_level<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Level>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(w) => Level::parse(w).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "level `{w}`: use 红/橙/黄/蓝 or red/orange/yellow/blue"
            ))
        }),
    }
}
