//! Dates as the pages write them: day before month, the year often left out.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use regex::Regex;

/// A day and month, with the year when it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayMonth {
    pub day: u32,
    pub month: u32,
    pub year: Option<i32>,
}

impl DayMonth {
    pub fn with_year(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

/// Parses "11/1/2022", "8/1", "07/7", "22/01", "11-01-2022", "11.1.2022",
/// "06 tháng 01 năm 2023".
pub fn parse_day_month(text: &str) -> Option<DayMonth> {
    let lower = text.to_lowercase();
    let spelled = lower.replace("tháng", "/").replace("năm", "/");
    let text = if lower.contains("tháng") {
        spelled.as_str()
    } else {
        text
    };
    let parts: Vec<&str> = text.split(['/', '-', '.']).map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let day: u32 = parts[0].parse().ok()?;
    let month: u32 = parts[1].parse().ok()?;
    let year = match parts.get(2) {
        Some(y) => {
            let y: i32 = y.parse().ok()?;
            Some(if y < 100 { 2000 + y } else { y })
        }
        None => None,
    };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    if let Some(y) = year {
        NaiveDate::from_ymd_opt(y, month, day)?;
    } else {
        // 29/2 is valid in some year; check against a leap year.
        NaiveDate::from_ymd_opt(2024, month, day)?;
    }
    Some(DayMonth { day, month, year })
}

/// Parses a page stamp "12-01-2022 10:16", "12/01/2022 10:16:05" (local time).
pub fn parse_stamp(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    let (date_part, time_part) = t.split_once(' ').unwrap_or((t, "00:00"));
    let dm = parse_day_month(date_part)?;
    let date = dm.with_year(dm.year?)?;
    let mut hm = time_part.trim().split(':');
    let h: u32 = hm.next()?.trim().parse().ok()?;
    let m: u32 = hm.next().unwrap_or("0").trim().parse().ok()?;
    let s: u32 = hm.next().unwrap_or("0").trim().parse().ok()?;
    date.and_hms_opt(h, m, s)
}

/// `morning`, `afternoon`, `evening` for "sáng", "chiều", "tối" (any case).
pub fn time_of_day(word: &str) -> Option<&'static str> {
    match word.to_lowercase().as_str() {
        "sáng" => Some("morning"),
        "chiều" => Some("afternoon"),
        "tối" => Some("evening"),
        _ => None,
    }
}

/// A meeting date as leads write it: "Sáng ngày 11/1/2022", "Chiều 8/1",
/// "Ngày 22/01", "Tối 30-12-2023". Group 1: time of day, 2: the date.
pub static LEAD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\p{L}])(?:(sáng|chiều|tối|trưa)\s+(?:ngày\s+|hôm\s+|nay\s+)?|ngày\s+)(\d{1,2}\s*[/\-.]\s*\d{1,2}(?:\s*[/\-.]\s*\d{4})?|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)")
        .expect("valid date pattern")
});

/// Any written date or month: "11/1/2022", "ngày 8/1", "tháng 6/2021",
/// "08/12/2023", "12-01-2022": spans that are never figures.
pub static ANY_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)\d{1,2}\s*[/\-.]\s*\d{1,2}\s*[/\-.]\s*\d{4}(?-u:\b)|(?:ngày|sáng|chiều|tối|hôm|đến|từ|tháng)\s+\d{1,2}\s*/\s*\d{1,4}(?-u:\b)|(?-u:\b)\d{1,2}/\d{4}(?-u:\b)")
        .expect("valid date pattern")
});

/// "năm 2023": group 1 is the year.
pub static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)năm\s+(\d{4})(?-u:\b)").expect("valid year pattern"));

/// A four-digit year on its own ("2021- 2026", "Giáp Thìn 2024").
pub static BARE_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(19[5-9]\d|20\d\d)(?-u:\b)").expect("valid year pattern"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_before_month() {
        assert_eq!(
            parse_day_month("11/1/2022"),
            Some(DayMonth {
                day: 11,
                month: 1,
                year: Some(2022)
            })
        );
        assert_eq!(
            parse_day_month("8/1"),
            Some(DayMonth {
                day: 8,
                month: 1,
                year: None
            })
        );
        assert_eq!(parse_day_month("07/7").unwrap().month, 7);
        assert_eq!(
            parse_day_month("06 tháng 01 năm 2023"),
            Some(DayMonth {
                day: 6,
                month: 1,
                year: Some(2023)
            })
        );
        assert_eq!(parse_day_month("32/1"), None);
        assert_eq!(parse_day_month("1/13"), None);
        assert_eq!(parse_day_month("31/2/2023"), None);
    }

    #[test]
    fn stamps() {
        let s = parse_stamp("12-01-2022 10:16").unwrap();
        assert_eq!(s.to_string(), "2022-01-12 10:16:00");
        assert!(parse_stamp("hello").is_none());
    }

    #[test]
    fn times_of_day() {
        assert_eq!(time_of_day("Chiều"), Some("afternoon"));
        assert_eq!(time_of_day("ngày"), None);
    }
}
