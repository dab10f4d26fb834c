//! Personal names: family name first, 2 to 4 capitalised syllables.

/// A syllable that starts with an uppercase letter followed by lowercase ones.
pub fn is_capitalized_syllable(w: &str) -> bool {
    let mut cs = w.chars();
    match cs.next() {
        Some(c) if c.is_uppercase() => cs.all(|c| c.is_lowercase()),
        _ => false,
    }
}

/// A syllable in capitals ("TUẤN"), as some bylines and footers write names.
pub fn is_upper_syllable(w: &str) -> bool {
    w.chars().count() >= 1 && w.chars().all(|c| c.is_uppercase())
}

/// "VŨ ĐÌNH CHIẾN" or "vũ đình chiến" to "Vũ Đình Chiến": each word's first
/// letter in capitals, the rest in lowercase, words joined by one space.
/// Written into one String: this runs at every capitalised word of a page.
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for w in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            super::push_lowercase(&mut out, cs.as_str());
        }
    }
    out
}

/// Whether a line could be a byline: 2 to 4 capitalised syllables, nothing else.
pub fn looks_like_name(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && (words.iter().all(|w| is_capitalized_syllable(w)) || words.iter().all(|w| is_upper_syllable(w)))
        && words.iter().all(|w| w.chars().count() <= 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables() {
        assert!(is_capitalized_syllable("Đặng"));
        assert!(!is_capitalized_syllable("đặng"));
        assert!(!is_capitalized_syllable("UBND"));
        assert!(is_upper_syllable("UBND"));
    }

    #[test]
    fn casing() {
        assert_eq!(title_case("VŨ ĐÌNH CHIẾN"), "Vũ Đình Chiến");
        assert_eq!(title_case("đặng  tuyết"), "Đặng Tuyết");
        // Letters whose case changes their length: İ lowercases to two chars.
        assert_eq!(title_case(" İSTANBUL ǆUNGLA\t"), "İstanbul Ǆungla");
        assert_eq!(title_case(""), "");
    }

    /// The word-by-word title case this one replaced, kept as the reference.
    fn reference_title_case(name: &str) -> String {
        name.split_whitespace()
            .map(|w| {
                let mut cs = w.chars();
                match cs.next() {
                    Some(f) => f.to_uppercase().chain(cs.flat_map(char::to_lowercase)).collect(),
                    None => String::new(),
                }
            })
            .collect::<Vec<String>>()
            .join(" ")
    }

    proptest::proptest! {
        #[test]
        fn title_case_matches_the_reference(s in "[a-zA-ZđĐàÀảẢẫẪươƯƠİǆǄßΣΟ \t\n\u{300}1.,-]{0,40}") {
            proptest::prop_assert_eq!(title_case(&s), reference_title_case(&s));
        }
    }

    #[test]
    fn bylines() {
        assert!(looks_like_name("Đặng Tuyết"));
        assert!(looks_like_name("Thương Thương"));
        assert!(!looks_like_name("Toàn cảnh hội nghị"));
        assert!(!looks_like_name("Hôm nay: 1204"));
        assert!(!looks_like_name("Nguyễn"));
    }
}
