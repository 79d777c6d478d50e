//! Exact money: fen in an `i128`, printed in 元 or 万元 only at the edge; and plain decimal text
//! read and written without a float in between.

use std::fmt;

use serde::{Serialize, Serializer};

/// An exact amount of money in fen (0.01 元).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i128);

/// In the API: a decimal string in 元 with two places, exact (never a float).
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?\d+\.\d{2}$"))
            .description(Some("exact amount in yuan (元), two decimals"))
            .examples([serde_json::json!("1234567.89")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Money {
    /// 元 with two decimals, exact: `1234567.89`.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }

    /// 元 exactly, with thousands separators and the unit: `195,060.78元` (a payment in a table
    /// of payments, where 万元 to two decimals would make four different amounts read alike).
    pub fn yuan_grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}元", group(a / 100), a % 100)
    }

    /// 万元 rounded half away from zero to two decimals, with thousands separators: `123.46`.
    pub fn wan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        // fen → 万元 has 6 decimals; keep 2.
        let a = self.0.unsigned_abs();
        let cents_of_wan = (a + 5_000) / 10_000;
        format!(
            "{sign}{}.{:02}",
            group(cents_of_wan / 100),
            cents_of_wan % 100
        )
    }

    /// Exact 元 text (`-1234.5`, `34800000000.00`) → fen; `None` past two decimals or on junk.
    pub fn parse_yuan(s: &str) -> Option<Money> {
        let (v, scale) = parse_decimal(s)?;
        (scale <= 2).then(|| Money(v * 10i128.pow(2 - scale)))
    }

    /// What an analyst reads: 亿元 from one 亿, 万元 from one 万, else 元; two decimals rounded
    /// half away from zero, thousands separators: `348.00亿元`, `1,234.57万元`, `-830.00元`.
    pub fn readable(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (div, unit) = if a >= 10_000_000_000 {
            (100_000_000u128, "亿元")
        } else if a >= 1_000_000 {
            (10_000, "万元")
        } else {
            (1, "元")
        };
        let cents = (a + div / 2) / div;
        format!("{sign}{}.{:02}{unit}", group(cents / 100), cents % 100)
    }

    /// For charts only.
    pub fn as_wan_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

fn group(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

/// Money travels in JSON as an exact decimal string in 元.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.yuan())
    }
}

/// Plain decimal text (`-12.50`, `+3`, `7.`) → (unscaled value, scale): 12.50 is (1250, 2).
/// `None` for exponents, separators, junk, or more than 30 digits.
pub fn parse_decimal(s: &str) -> Option<(i128, u32)> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() + frac.len() > 30
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let v: i128 = format!("{int}{frac}").parse().ok()?;
    Some((if neg { -v } else { v }, frac.len() as u32))
}

/// An exact decimal's text: (12345, 4) → `1.2345`, (-5, 2) → `-0.05`.
pub fn decimal_text(v: i128, scale: i8) -> String {
    if scale <= 0 {
        return (v * 10i128.pow((-scale) as u32)).to_string();
    }
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let p = 10u128.pow(scale as u32);
    format!("{sign}{}.{:0w$}", a / p, a % p, w = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_wan_and_yi() {
        let r = |s: &str| Money::parse_yuan(s).unwrap().readable();
        assert_eq!(r("34800000000.00"), "348.00亿元");
        assert_eq!(r("99999999.99"), "10,000.00万元");
        assert_eq!(r("100000000"), "1.00亿元");
        assert_eq!(r("12345678.9"), "1,234.57万元");
        assert_eq!(r("10000"), "1.00万元");
        assert_eq!(r("9999.99"), "9,999.99元");
        assert_eq!(r("-830.5"), "-830.50元");
        assert_eq!(r("-123456789012.00"), "-1,234.57亿元");
        assert_eq!(Money::parse_yuan("1.234"), None);
        assert_eq!(Money(19506078).yuan_grouped(), "195,060.78元");
        assert_eq!(Money(-123456789012).yuan_grouped(), "-1,234,567,890.12元");
        assert_eq!(Money::parse_yuan("1e5"), None);
        assert_eq!(Money::parse_yuan(""), None);
    }

    #[test]
    fn money_prints_exactly() {
        assert_eq!(Money(123_456_789).yuan(), "1234567.89");
        assert_eq!(Money(-5).yuan(), "-0.05");
        assert_eq!(Money(123_456_789_000).wan(), "123,456.79");
        assert_eq!(Money(4_999).wan(), "0.00");
        assert_eq!(Money(5_000).wan(), "0.01");
        assert_eq!(Money(-12_345_678_901).wan(), "-12,345.68");
    }

    #[test]
    fn decimals_of_other_scales_stay_exact() {
        assert_eq!(decimal_text(12345, 4), "1.2345");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(-123_456_789, 4), "-12345.6789");
        assert_eq!(decimal_text(7, 0), "7");
        assert_eq!(crate::common::Val::Dec(10001, 4).text(), "1.0001");
    }
}
