//! Numbers as Vietnamese pages write them: "." groups thousands, "," is the
//! decimal mark, leading zeros are common, and money words compose.

/// Parses "1.020", "68,5", "07", "124.857", "398,44". Returns None for text
/// that is not a number in this style.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (int_part, frac_part) = match t.rsplit_once(',') {
        Some((i, f)) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => (i, Some(f)),
        Some(_) => return None,
        None => (t, None),
    };
    let groups: Vec<&str> = int_part.split('.').collect();
    let int_digits: String = if groups.len() > 1 {
        // Thousands grouping: every group after the first has exactly 3 digits.
        if groups[1..].iter().all(|g| g.len() == 3) && !groups[0].is_empty() && groups[0].len() <= 3 {
            groups.concat()
        } else if groups.len() == 2 && frac_part.is_none() {
            // "1.5": a decimal point written the English way.
            let v: f64 = format!("{}.{}", groups[0], groups[1]).parse().ok()?;
            return Some(v);
        } else {
            return None;
        }
    } else {
        int_part.to_string()
    };
    if int_digits.is_empty() || !int_digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let s = match frac_part {
        Some(f) => format!("{int_digits}.{f}"),
        None => int_digits,
    };
    s.parse().ok()
}

/// The multiplier of a money magnitude word: nghìn / ngàn, triệu, tỷ / tỉ.
pub fn money_magnitude(word: &str) -> Option<f64> {
    match word.to_lowercase().as_str() {
        "nghìn" | "ngàn" => Some(1e3),
        "triệu" => Some(1e6),
        "tỷ" | "tỉ" => Some(1e9),
        _ => None,
    }
}

/// Rounds away the binary noise of decimal arithmetic ("68,5" × 10^6).
pub fn tidy(v: f64) -> f64 {
    if v.abs() >= 1.0 {
        let r = (v * 1e4).round() / 1e4;
        if (r - v).abs() < 1e-6 * v.abs().max(1.0) {
            return r;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_and_decimals() {
        assert_eq!(parse_number("1.020"), Some(1020.0));
        assert_eq!(parse_number("124.857"), Some(124857.0));
        assert_eq!(parse_number("68,5"), Some(68.5));
        assert_eq!(parse_number("398,44"), Some(398.44));
        assert_eq!(parse_number("07"), Some(7.0));
        assert_eq!(parse_number("1.234.567,8"), Some(1234567.8));
        assert_eq!(parse_number("0,07"), Some(0.07));
    }

    #[test]
    fn rejects_non_numbers() {
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("1.2.3"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("12,"), None);
    }

    #[test]
    fn money_words() {
        assert_eq!(money_magnitude("tỷ"), Some(1e9));
        assert_eq!(money_magnitude("Triệu"), Some(1e6));
        assert_eq!(money_magnitude("đồng"), None);
        assert_eq!(tidy(68.5 * 1e6), 68_500_000.0);
    }
}
