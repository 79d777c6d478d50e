//! Cell values as bureaus write them: numbers as text with thousands separators, full-width
//! digits, `—` for nothing, `△` or parentheses for negatives, `%` suffixes; dates in half a dozen
//! spellings. Amounts are scaled exactly (decimal digits, never through f64).

use std::borrow::Cow;

use chrono::NaiveDate;

/// Full-width ASCII (U+FF01..U+FF5E) → half-width, ideographic space → space. Borrowed when
/// there is nothing to convert, which is almost every cell: ingest calls this per cell.
pub fn to_half_width(s: &str) -> Cow<'_, str> {
    let converts = |c: char| {
        matches!(
            c,
            '\u{FF01}'..='\u{FF5E}' | '\u{3000}' | '\u{00A0}' | '\u{2212}'
        )
    };
    if s.is_ascii() || !s.chars().any(converts) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' | '\u{00A0}' => ' ',
                '\u{2212}' => '-',
                _ => c,
            })
            .collect(),
    )
}

/// [`str::trim`], answering at once for the usual cell, which starts and ends with a visible
/// ASCII character (ingest trims every cell of every row).
#[inline]
pub fn trim(s: &str) -> &str {
    // A character can be white space only if its first byte is one of these: ASCII up to the
    // space, or the lead byte of U+0085/U+00A0 (C2), U+1680 (E1), U+2000–U+205F (E2), U+3000
    // (E3). Anything else at both ends (a digit, a letter, a CJK character) needs no trim.
    let may_be_space = |lead: u8| lead <= b' ' || matches!(lead, 0xC2 | 0xE1..=0xE3);
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return s;
    };
    let mut last = b.len() - 1;
    while last > 0 && b[last] & 0xC0 == 0x80 {
        last -= 1;
    }
    if !may_be_space(first) && !may_be_space(b[last]) {
        return s;
    }
    s.trim()
}

/// Cells that mean "nothing here" rather than zero or an error.
pub fn is_blank(s: &str) -> bool {
    // U+3000 (the ideographic space) is white space to `trim`.
    let t = trim(s);
    // No blank spelling is longer than 6 bytes ("——", "……").
    if t.len() > 6 {
        return false;
    }
    matches!(
        t,
        "" | "-"
            | "--"
            | "—"
            | "——"
            | "－"
            | "–"
            | "/"
            | "\\"
            | "…"
            | "……"
            | "null"
            | "NULL"
            | "N/A"
            | "n/a"
            | "NA"
            | "#N/A"
    )
}

/// A decimal number read from text: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    pub mantissa: i128,
    pub scale: u32,
    pub percent: bool,
}

/// Parses `1,234.56`, `１２３４．５６`, `(12.5)`, `△3`, `-0.5%`, `1.2e3`. `None` for blanks;
/// `Err(reason)` for text that is not a number.
pub fn parse_decimal(raw: &str) -> Result<Option<Dec>, &'static str> {
    if is_blank(raw) {
        return Ok(None);
    }
    if let Some(d) = plain_decimal(raw) {
        return Ok(Some(d));
    }
    parse_decimal_in_full(raw)
}

/// The usual amount, `-?[0-9]*(\.[0-9]*)?` with one to 18 digits, read in `u64` without the
/// general path's steps (full-width forms, brackets, signs, separators, exponents, overflow
/// checks): the same value [`parse_decimal_in_full`] gives it, at a fifth of the cost.
fn plain_decimal(s: &str) -> Option<Dec> {
    let b = s.as_bytes();
    let (negative, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if b.len() > 19 {
        return None;
    }
    let (mut m, mut scale, mut dot, mut digits) = (0u64, 0u32, false, 0);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
                scale += u32::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if digits == 0 || digits > 18 {
        return None;
    }
    // Zeros at the end of the fraction are not significant (`64.30` is 643 × 10⁻¹).
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    let m = i128::from(m);
    Some(Dec {
        mantissa: if negative { -m } else { m },
        scale,
        percent: false,
    })
}

/// [`parse_decimal`] of anything a cell may hold.
fn parse_decimal_in_full(raw: &str) -> Result<Option<Dec>, &'static str> {
    let s = to_half_width(raw);
    let mut t: &str = s.trim();
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        t = inner.trim();
    }
    if let Some(rest) = t.strip_prefix('△').or_else(|| t.strip_prefix('▲')) {
        negative = !negative;
        t = rest.trim();
    }
    let mut percent = false;
    if let Some(rest) = t.strip_suffix('%') {
        percent = true;
        t = rest.trim();
    }
    if let Some(rest) = t.strip_prefix('-') {
        negative = !negative;
        t = rest.trim();
    } else if let Some(rest) = t.strip_prefix('+') {
        t = rest.trim();
    }
    // Scientific notation, as spreadsheets export large numbers.
    let (body, exp) = match t.split_once(['e', 'E']) {
        Some((body, e)) => {
            let e: i32 = e.parse().map_err(|_| "not a number")?;
            // Amounts have at most 18 digits; an exponent past ±40 is no amount.
            if !(-40..=40).contains(&e) {
                return Err("exponent out of range");
            }
            (body, e)
        }
        None => (t, 0),
    };
    let mut mantissa: i128 = 0;
    let mut scale: i32 = 0;
    let mut seen_dot = false;
    let mut digits = 0;
    // Zeros after the point wait here until a digit follows: trailing ones are not significant
    // and must not overflow (`1.000…0` is 1).
    let mut zeros_after_dot: i32 = 0;
    for c in body.chars() {
        match c {
            '0' if seen_dot => {
                digits += 1;
                zeros_after_dot += 1;
            }
            // Leading zeros never overflow either.
            '0' if mantissa == 0 => digits += 1,
            '0'..='9' => {
                let shift = if seen_dot { zeros_after_dot + 1 } else { 1 };
                let digit = (c as u8 - b'0') as i128;
                mantissa = if mantissa == 0 {
                    digit
                } else {
                    10i128
                        .checked_pow(shift as u32)
                        .and_then(|p| mantissa.checked_mul(p))
                        .and_then(|m| m.checked_add(digit))
                        .ok_or("number too large")?
                };
                digits += 1;
                if seen_dot {
                    scale += shift;
                    zeros_after_dot = 0;
                }
            }
            '.' if !seen_dot => seen_dot = true,
            ',' | ' ' | '_' | '\'' if !seen_dot => {}
            _ => return Err("not a number"),
        }
    }
    if digits == 0 {
        return Err("not a number");
    }
    if scale > 60 {
        return Err("too many decimal places");
    }
    scale -= exp;
    if scale < 0 {
        mantissa = 10i128
            .checked_pow((-scale) as u32)
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or("number too large")?;
        scale = 0;
    }
    Ok(Some(Dec {
        mantissa: if negative { -mantissa } else { mantissa },
        scale: scale as u32,
        percent,
    }))
}

impl Dec {
    /// The value as an integer at `target_scale` after multiplying by `10^unit_pow`
    /// (万元 = 4, 亿元 = 8), rounding half away from zero. Exact in every step; `None` only when
    /// the result does not fit.
    pub fn rescale(self, target_scale: u32, unit_pow: u32) -> Option<i128> {
        let shift = i64::from(target_scale) + i64::from(unit_pow) - i64::from(self.scale);
        if shift >= 0 {
            let p = 10i128.checked_pow(u32::try_from(shift).ok()?)?;
            self.mantissa.checked_mul(p)
        } else {
            // |mantissa| < 10^39: dividing by more than that leaves nothing to round up.
            let Some(div) = u32::try_from(-shift)
                .ok()
                .and_then(|s| 10i128.checked_pow(s))
            else {
                return Some(0);
            };
            let q = self.mantissa / div;
            let r = (self.mantissa % div).abs();
            // r ≥ div − r is r·2 ≥ div without overflowing.
            Some(if r >= div - r {
                q + self.mantissa.signum()
            } else {
                q
            })
        }
    }
}

pub fn parse_int(raw: &str) -> Result<Option<i32>, &'static str> {
    match parse_decimal(raw)? {
        None => Ok(None),
        Some(d) => {
            if d.percent {
                return Err("a percentage where a whole number belongs");
            }
            let whole = match 10i128.checked_pow(d.scale) {
                Some(p) => d.mantissa % p == 0,
                None => d.mantissa == 0,
            };
            if !whole {
                return Err("not a whole number");
            }
            let v = d.rescale(0, 0).ok_or("number too large")?;
            i32::try_from(v).map(Some).map_err(|_| "number too large")
        }
    }
}

/// Dates: 2025-10-03, 2025/10/3, 2025.10.03, 20251003, 2025年10月3日, 2025-10 (first of
/// month), with an optional time part that is ignored.
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, &'static str> {
    if is_blank(raw) {
        return Ok(None);
    }
    // The usual spelling, 2025-10-03, read straight from its bytes.
    let b = raw.trim().as_bytes();
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        let n = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        let (y, m, d) = (n(0..4), n(5..7), n(8..10));
        return if (1900..=2200).contains(&y) {
            NaiveDate::from_ymd_opt(y as i32, m, d)
                .map(Some)
                .ok_or("no such calendar date")
        } else {
            Err("not a date")
        };
    }
    let s = to_half_width(raw);
    let s = s.trim();
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    let s = s.trim_end_matches('日');
    let unified: String = s
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = unified.split('-').collect();
    let num = |p: &str| p.parse::<u32>().ok();
    let (y, m, d) = match parts.as_slice() {
        // 20251003: eight ASCII digits (checked before slicing: a cell such as `Q3完成` is also
        // eight bytes long).
        [one] if one.len() == 8 && one.bytes().all(|b| b.is_ascii_digit()) => {
            (num(&one[..4]), num(&one[4..6]), num(&one[6..]))
        }
        // Year last is never Chinese practice; foreign exports write M/D/YY or M/D/YYYY.
        [m, d, y]
            if raw.contains('/')
                && (y.len() == 2 || y.len() == 4)
                && m.len() <= 2
                && d.len() <= 2 =>
        {
            let y = num(y).map(|y| {
                if y < 100 {
                    if y < 70 { 2000 + y } else { 1900 + y }
                } else {
                    y
                }
            });
            (y, num(m), num(d))
        }
        [y, m, d] => (num(y), num(m), num(d)),
        [y, m] => (num(y), num(m), Some(1)),
        _ => return Err("not a date"),
    };
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) if (1900..=2200).contains(&y) => {
            NaiveDate::from_ymd_opt(y as i32, m, d)
                .map(Some)
                .ok_or("no such calendar date")
        }
        _ => Err("not a date"),
    }
}

pub fn parse_bool(raw: &str) -> Result<Option<bool>, &'static str> {
    if is_blank(raw) {
        return Ok(None);
    }
    // The usual spellings as they are, before folding width and case.
    match trim(raw) {
        "是" => return Ok(Some(true)),
        "否" => return Ok(Some(false)),
        _ => {}
    }
    let s = to_half_width(raw).trim().to_lowercase();
    match s.as_str() {
        "是" | "y" | "yes" | "true" | "1" | "√" | "t" => Ok(Some(true)),
        "否" | "n" | "no" | "false" | "0" | "×" | "f" => Ok(Some(false)),
        _ => Err("not a yes/no value (是/否, Y/N, 1/0, true/false)"),
    }
}

/// The power of ten a unit word scales 元 by: 元 → 0, 千元 → 3, 万元 → 4, 亿元 → 8.
pub fn unit_pow(unit: &str) -> Option<u32> {
    let u = to_half_width(unit).to_lowercase().replace(' ', "");
    match u.as_str() {
        "元" | "yuan" | "rmb" | "人民币元" => Some(0),
        "千元" => Some(3),
        "万元" | "10000yuan" | "tenthousandyuan" => Some(4),
        "百万元" => Some(6),
        "亿元" | "100millionyuan" | "rmb100million" | "hundredmillionyuan" => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(s: &str, unit: u32) -> Option<i128> {
        parse_decimal(s).unwrap().and_then(|d| d.rescale(2, unit))
    }

    #[test]
    fn plain_amounts_read_as_in_full() {
        let d = |m: i128, scale: u32| {
            Some(Dec {
                mantissa: m,
                scale,
                percent: false,
            })
        };
        assert_eq!(plain_decimal("64.30"), d(643, 1));
        assert_eq!(plain_decimal("64.00"), d(64, 0));
        assert_eq!(plain_decimal("0.05"), d(5, 2));
        assert_eq!(plain_decimal("-0.0"), d(0, 0));
        assert_eq!(plain_decimal("100"), d(100, 0));
        assert_eq!(plain_decimal(".5"), d(5, 1));
        assert_eq!(
            plain_decimal("999999999999999999"),
            d(999_999_999_999_999_999, 0)
        );
        // Past 18 digits, or anything but digits and a point: the general path's.
        for s in [
            "9999999999999999999",
            "1,234",
            "1.2.3",
            "-",
            ".",
            "",
            "1e3",
            "５",
            "+1",
            " 1",
        ] {
            assert_eq!(plain_decimal(s), None, "{s}");
        }
        assert_eq!(
            money("9999999999999999999", 0),
            Some(999_999_999_999_999_999_900)
        );
        assert_eq!(parse_decimal("1.2.3"), Err("not a number"));
    }

    proptest::proptest! {
        /// Whatever the fast path reads, the general path reads the same.
        #[test]
        fn the_fast_path_agrees_with_the_general(s in "-?[0-9]{0,12}(\\.[0-9]{0,9})?") {
            if let Some(fast) = plain_decimal(&s) {
                proptest::prop_assert_eq!(Ok(Some(fast)), parse_decimal_in_full(&s));
            }
        }
    }

    #[test]
    fn numbers_as_bureaus_write_them() {
        assert_eq!(money("1,234.56", 0), Some(123456));
        assert_eq!(money("１２３４．５", 0), Some(123450));
        assert_eq!(money("12.3456", 4), Some(12345600)); // 12.3456 万元 = 123456.00 元
        assert_eq!(money("0.01", 8), Some(100000000)); // 0.01 亿元 = 1,000,000 元
        assert_eq!(money("(5)", 0), Some(-500));
        assert_eq!(money("△5", 0), Some(-500));
        assert_eq!(money("-0.005", 0), Some(-1)); // half away from zero
        assert_eq!(money("1.5E3", 0), Some(150000));
        assert_eq!(money("—", 0), None);
        assert_eq!(money("", 0), None);
        assert!(parse_decimal("12a").is_err());
        assert!(parse_decimal("1.2.3").is_err());
        let p = parse_decimal("5.2%").unwrap().unwrap();
        assert!(p.percent);
        assert_eq!(p.rescale(4, 0), Some(52000));
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 3);
        for s in [
            "2025-10-03",
            "2025/10/3",
            "2025.10.03",
            "20251003",
            "2025年10月3日",
            "2025-10-03 08:00:00",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(
            parse_date("2025-10").unwrap(),
            NaiveDate::from_ymd_opt(2025, 10, 1)
        );
        assert!(parse_date("2025-02-30").is_err());
        assert!(parse_date("next week").is_err());
    }

    #[test]
    fn ints_and_bools() {
        assert_eq!(parse_int("2025").unwrap(), Some(2025));
        assert!(parse_int("3.5").is_err());
        assert_eq!(parse_bool("是").unwrap(), Some(true));
        assert_eq!(parse_bool("N").unwrap(), Some(false));
        assert!(parse_bool("maybe").is_err());
    }
}
