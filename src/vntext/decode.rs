//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, and the legacy
//! Windows-1258 code page, chosen by how Vietnamese the decoded text reads.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1258};

/// Why bytes could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file looks binary (it contains {0} NUL or control bytes), not a text page")]
    Binary(usize),
    #[error("no supported encoding (UTF-8, UTF-16, Windows-1258) decodes these bytes into Vietnamese text")]
    Undecodable,
}

/// Decoded text and the name of the encoding it was read in (CONTRACT.md's list).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Letters that only Vietnamese (among the languages these sites publish in)
/// uses: vowels with tone marks or hats, and đ.
pub fn is_vietnamese_letter(c: char) -> bool {
    matches!(c,
        'à'..='ã' | 'è'..='ê' | 'ì' | 'í' | 'ò'..='õ' | 'ù' | 'ú' | 'ý'
        | 'À'..='Ã' | 'È'..='Ê' | 'Ì' | 'Í' | 'Ò'..='Õ' | 'Ù' | 'Ú' | 'Ý'
        | 'ă' | 'Ă' | 'đ' | 'Đ' | 'ĩ' | 'Ĩ' | 'ũ' | 'Ũ' | 'ơ' | 'Ơ' | 'ư' | 'Ư'
        | '\u{1EA0}'..='\u{1EF9}'
        | '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

/// Share of words (of 2+ letters) that carry a Vietnamese letter. Vietnamese
/// prose scores around 0.5; English or mis-decoded text near 0.
pub fn vietnamese_score(text: &str) -> f64 {
    let mut words = 0usize;
    let mut viet = 0usize;
    for w in text.split(|c: char| !c.is_alphabetic() && !('\u{300}'..='\u{323}').contains(&c)) {
        if w.chars().count() < 2 {
            continue;
        }
        words += 1;
        if w.chars().any(is_vietnamese_letter) {
            viet += 1;
        }
    }
    if words == 0 {
        0.0
    } else {
        viet as f64 / words as f64
    }
}

/// Whether a word is a well-formed Vietnamese syllable: an optional initial
/// consonant, a nucleus of one to three vowels, an optional final consonant,
/// and at most one tone mark. Used to judge which legacy table reads bytes
/// best: mis-decoded text fails it, real text passes it word after word.
pub fn is_vietnamese_syllable(word: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let lower = word.to_lowercase();
    let decomposed: String = lower.nfd().collect();
    if decomposed.chars().filter(|c| TONES.contains(c)).count() > 1 {
        return false;
    }
    let base: String = decomposed
        .chars()
        .filter(|c| !TONES.contains(c))
        .collect::<String>()
        .nfc()
        .collect();
    static SYLLABLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            "^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[aăâeêioôơuưy]{1,3}(ch|ng|nh|[cmnpt])?$",
        )
        .expect("valid syllable pattern")
    });
    SYLLABLE.is_match(&base)
}

/// Share of words that are well-formed Vietnamese syllables.
pub fn syllable_score(text: &str) -> f64 {
    let mut words = 0usize;
    let mut good = 0usize;
    for w in text.split(|c: char| !c.is_alphabetic() && !('\u{300}'..='\u{323}').contains(&c)) {
        if w.is_empty() {
            continue;
        }
        words += 1;
        good += usize::from(is_vietnamese_syllable(w));
    }
    if words == 0 {
        0.0
    } else {
        good as f64 / words as f64
    }
}

fn control_bytes(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
        .count()
}

/// Decodes a page. `declared` is a charset the container named (an HTML meta
/// tag), tried first when it is one of ours.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DecodeError::Empty);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        if let Ok(s) = std::str::from_utf8(rest) {
            return Ok(Decoded {
                text: s.to_string(),
                encoding: "utf-8",
            });
        }
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (enc, name) = if bytes[0] == 0xFF {
            (UTF_16LE, "utf-16le")
        } else {
            (UTF_16BE, "utf-16be")
        };
        let (text, _, had_errors) = enc.decode(bytes);
        if !had_errors {
            return Ok(Decoded {
                text: text.into_owned(),
                encoding: name,
            });
        }
        return Err(DecodeError::Undecodable);
    }
    let controls = control_bytes(bytes);
    if controls > 0 && controls * 100 >= bytes.len().max(1) {
        return Err(DecodeError::Binary(controls));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: s.to_string(),
            encoding: "utf-8",
        });
    }
    let (text, _, had_errors) = WINDOWS_1258.decode(bytes);
    if !had_errors && vietnamese_score(&text) > 0.15 && syllable_score(&text) > 0.6 {
        return Ok(Decoded {
            text: text.into_owned(),
            encoding: "windows-1258",
        });
    }
    Err(DecodeError::Undecodable)
}

/// Encodes text the way Windows-1258 stores it: letters with hats precomposed,
/// tones as separate combining marks. None when a char has no code.
pub fn encode_windows_1258(s: &str) -> Option<Vec<u8>> {
    use unicode_normalization::UnicodeNormalization;
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut stored = String::with_capacity(s.len());
    for c in s.nfc() {
        let d: String = c.nfd().collect();
        let base: String = d
            .chars()
            .filter(|c| !TONES.contains(c))
            .collect::<String>()
            .nfc()
            .collect();
        stored.push_str(&base);
        stored.extend(d.chars().filter(|c| TONES.contains(c)));
    }
    let (bytes, _, unmappable) = WINDOWS_1258.encode(&stored);
    (!unmappable).then(|| bytes.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode("Đảng ủy phường".as_bytes()).unwrap();
        assert_eq!(d.encoding, "utf-8");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("Hội nghị".as_bytes());
        assert_eq!(decode(&b).unwrap().text, "Hội nghị");
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "Hội nghị".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&b).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("Hội nghị", "utf-16le"));
    }

    #[test]
    fn windows_1258_base_plus_tone_bytes() {
        let bytes = encode_windows_1258("Hội nghị tổng kết năm của Đảng ủy phường").unwrap();
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, "windows-1258");
        // Windows-1258 stores tones as combining marks: NFC recomposes them.
        assert_eq!(
            crate::vntext::normalize_text(&d.text),
            "Hội nghị tổng kết năm của Đảng ủy phường"
        );
    }

    #[test]
    fn bad_bytes() {
        assert_eq!(decode(b""), Err(DecodeError::Empty));
        assert_eq!(decode(b"  \n"), Err(DecodeError::Empty));
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0"),
            Err(DecodeError::Binary(_))
        ));
    }

    #[test]
    fn syllables() {
        for w in [
            "nghiêng",
            "Đảng",
            "ủy",
            "khuya",
            "thường",
            "quý",
            "gì",
            "Nguyễn",
            "xã",
            "hội",
            "tổng",
            "kết",
        ] {
            assert!(is_vietnamese_syllable(w), "{w}");
        }
        for w in ["committee", "strength", "Àå", "ñ", "ảá", "xyz", "phường1"] {
            assert!(!is_vietnamese_syllable(w), "{w}");
        }
        assert!(syllable_score("Đảng ủy phường tổ chức hội nghị tổng kết năm") > 0.99);
        assert!(syllable_score("The committee held its annual review meeting") < 0.4);
    }

    #[test]
    fn scores() {
        assert!(vietnamese_score("Đảng ủy phường tổ chức hội nghị tổng kết") > 0.5);
        assert!(vietnamese_score("The committee held its annual review meeting") < 0.05);
    }
}
