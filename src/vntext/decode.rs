//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, and the legacy
//! tables Windows-1258, TCVN3 and VNI, the last three chosen by which reading
//! gives the most well-formed Vietnamese syllables.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1258};

/// Why bytes could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file looks binary (it contains {0} NUL or control bytes), not a text page")]
    Binary(usize),
    #[error("no supported encoding (UTF-8, UTF-16, Windows-1258, TCVN3, VNI) decodes these bytes into Vietnamese text")]
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
        | '\u{1EA0}'..='\u{1EF9}')
        || super::tone::is_tone_mark(c)
}

/// Share of words (of 2+ letters) that carry a Vietnamese letter. Vietnamese
/// prose scores around 0.5; English or mis-decoded text near 0.
pub fn vietnamese_score(text: &str) -> f64 {
    let mut count = WordCount::default();
    count.read(text, |_, _| false);
    count.score()
}

/// Whether `vietnamese_score(text) >= min`, exactly, usually known before the
/// end of the text: once the marked words so far reach `min` of every word
/// the text could still hold, no remainder can bring the share below it.
/// `Err` carries the score of a text that falls short (for its message).
pub fn vietnamese_at_least(text: &str, min: f64) -> Result<(), f64> {
    let mut count = WordCount::default();
    if count.read(text, |c, rest| c.settled_at_least(rest, min)) {
        return Ok(());
    }
    let score = count.score();
    if score >= min {
        Ok(())
    } else {
        Err(score)
    }
}

/// Words of 2+ letters, and how many carry a Vietnamese letter.
#[derive(Default)]
struct WordCount {
    words: usize,
    viet: usize,
}

impl WordCount {
    /// Counts the words of `text`, in one pass over its bytes: an ASCII byte
    /// (most of a page) is classed by itself, as an ASCII letter is never a
    /// Vietnamese one; only other chars are decoded. Every 256 bytes, asks
    /// `stop` (given the bytes left) whether to stop; true when it did.
    fn read(&mut self, text: &str, stop: impl Fn(&WordCount, usize) -> bool) -> bool {
        let bytes = text.as_bytes();
        // The chars of the current word, and whether one is Vietnamese.
        let (mut len, mut marked) = (0usize, false);
        let mut i = 0;
        let mut check_at = 256;
        while i < bytes.len() {
            let b = bytes[i];
            let (letter, vietnamese, width) = if b.is_ascii() {
                (b.is_ascii_alphabetic(), false, 1)
            } else {
                let Some(c) = text[i..].chars().next() else { break };
                (super::is_letter_or_mark(c), is_vietnamese_letter(c), c.len_utf8())
            };
            i += width;
            if letter {
                len += 1;
                marked |= vietnamese;
            } else {
                self.end_word(len, marked);
                (len, marked) = (0, false);
                if i >= check_at {
                    if stop(self, bytes.len() - i) {
                        return true;
                    }
                    check_at = i + 256;
                }
            }
        }
        self.end_word(len, marked);
        false
    }

    /// Whether the share is at least `min` however the `rest` bytes read,
    /// asked between words. k more words take at least 3k − 1 bytes (2
    /// letters each, a separator between), so k ≤ (rest + 1) / 3; the
    /// extra word is slack.
    fn settled_at_least(&self, rest: usize, min: f64) -> bool {
        let most_words = self.words + 1 + (rest + 1) / 3;
        self.viet as f64 / most_words as f64 >= min
    }

    fn end_word(&mut self, len: usize, marked: bool) {
        if len >= 2 {
            self.words += 1;
            self.viet += usize::from(marked);
        }
    }

    fn score(&self) -> f64 {
        if self.words == 0 {
            0.0
        } else {
            self.viet as f64 / self.words as f64
        }
    }
}

pub use super::legacy::{is_vietnamese_syllable, syllable_score};

fn control_bytes(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
        .count()
}

/// Decodes a page whose container names a charset (an HTML `meta charset`).
/// A charset of ours is honoured; valid UTF-8 stays UTF-8 whatever the label
/// says (a page re-saved by a crawler keeps its old tag), and an unknown or
/// absent label falls back to [`decode`].
pub fn decode_declared(bytes: &[u8], declared: Option<&str>) -> Result<Decoded, DecodeError> {
    let label = declared.map(|d| d.trim().to_lowercase().replace('_', "-"));
    type Reader = fn(&[u8]) -> Option<String>;
    let table: Option<(&'static str, Reader)> = match label.as_deref() {
        Some("windows-1258" | "cp1258" | "x-cp1258") => Some(("windows-1258", |b| {
            let (text, _, errors) = WINDOWS_1258.decode(b);
            (!errors).then(|| text.into_owned())
        })),
        Some("tcvn3" | "tcvn" | "tcvn-5712" | "tcvn5712-3" | "vn3" | "x-viet-tcvn" | "abc") => {
            Some(("tcvn3", |b| Some(super::legacy::decode_tcvn3(b))))
        }
        Some("vni" | "x-viet-vni" | "vni-windows") => Some(("vni", |b| Some(super::legacy::decode_vni(b)))),
        _ => None,
    };
    match table {
        Some((encoding, read))
            if simdutf8::basic::from_utf8(bytes).is_err() && !bytes.starts_with(b"\xEF\xBB\xBF") =>
        {
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                return Err(DecodeError::Empty);
            }
            let controls = control_bytes(bytes);
            if controls > 0 && controls * 100 >= bytes.len().max(1) {
                return Err(DecodeError::Binary(controls));
            }
            read(bytes)
                .map(|text| Decoded { text, encoding })
                .ok_or(DecodeError::Undecodable)
        }
        _ => decode(bytes),
    }
}

/// Decodes a page with no declared charset: UTF-16 by its BOM, UTF-8 when
/// valid, else the legacy table that reads best. UTF-8 is checked with
/// simdutf8, which reads Vietnamese text (a byte past ASCII every few bytes)
/// several times as fast as `std::str::from_utf8`.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DecodeError::Empty);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        if let Ok(s) = simdutf8::basic::from_utf8(rest) {
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
    if let Ok(s) = simdutf8::basic::from_utf8(bytes) {
        return Ok(Decoded {
            text: s.to_string(),
            encoding: "utf-8",
        });
    }
    // The legacy 8-bit tables: every byte means something under each of them,
    // so read the bytes every way and keep the reading with the most
    // well-formed Vietnamese syllables. A few hundred words, from the first
    // word with a byte above ASCII (not the markup or the ASCII preamble
    // before it), tell the table as well as the whole page does, at a
    // fraction of the cost; the whole page is then read with the table chosen.
    let sample = legacy_sample(bytes);
    let best = legacy_readings(bytes)
        .into_iter()
        .map(|(encoding, read)| (syllable_score(&read(sample)), encoding, read))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, encoding, read)) if score > 0.3 => Ok(Decoded {
            text: read(bytes),
            encoding,
        }),
        _ => Err(DecodeError::Undecodable),
    }
}

/// Up to [`LEGACY_SAMPLE_BYTES`] from the start of the first word that has a
/// byte above ASCII: where a legacy table shows.
fn legacy_sample(bytes: &[u8]) -> &[u8] {
    let first_high = bytes.iter().position(|b| *b >= 0x80).unwrap_or(0);
    let from = bytes[..first_high]
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || *b == b'>')
        .map_or(0, |i| i + 1);
    &bytes[from..bytes.len().min(from + LEGACY_SAMPLE_BYTES)]
}

/// Reads bytes with one legacy table.
type LegacyReader = fn(&[u8]) -> String;

/// Bytes of a legacy page scored to choose its table (about 300 words).
const LEGACY_SAMPLE_BYTES: usize = 1536;

/// The legacy tables that can read `bytes`, each with its reader.
fn legacy_readings(bytes: &[u8]) -> Vec<(&'static str, LegacyReader)> {
    let mut readings: Vec<(&'static str, LegacyReader)> = Vec::with_capacity(3);
    if windows_1258_reads_cleanly(bytes) {
        readings.push(("windows-1258", |b| WINDOWS_1258.decode(b).0.into_owned()));
    }
    readings.push(("tcvn3", super::legacy::decode_tcvn3));
    readings.push(("vni", super::legacy::decode_vni));
    readings
}

/// Whether encoding_rs reads `bytes` as Windows-1258 without an error. Its
/// table (WHATWG's) gives every byte a meaning, so only a byte order mark can
/// spoil it: `decode` then reads UTF-8 or UTF-16 instead, and that reading is
/// checked. Without one, the page is not decoded just to learn that.
fn windows_1258_reads_cleanly(bytes: &[u8]) -> bool {
    encoding_rs::Encoding::for_bom(bytes).is_none() || !WINDOWS_1258.decode(bytes).2
}

/// Encodes text the way Windows-1258 stores it: letters with hats precomposed,
/// tones as separate combining marks. None when a char has no code.
pub fn encode_windows_1258(s: &str) -> Option<Vec<u8>> {
    use super::tone::is_tone_mark;
    use unicode_normalization::UnicodeNormalization;
    let mut stored = String::with_capacity(s.len());
    for c in s.nfc() {
        let d: String = c.nfd().collect();
        let base: String = d
            .chars()
            .filter(|&c| !is_tone_mark(c))
            .collect::<String>()
            .nfc()
            .collect();
        stored.push_str(&base);
        stored.extend(d.chars().filter(|&c| is_tone_mark(c)));
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
    fn a_declared_charset_is_honoured() {
        use crate::vntext::legacy::{decode_tcvn3, encode_vni};
        let text = "Đảng ủy phường tổ chức hội nghị";
        let vni = encode_vni(text).unwrap();
        // Told VNI, it reads VNI; told TCVN3, it reads the same bytes as TCVN3.
        assert_eq!(decode_declared(&vni, Some("VNI")).unwrap().text, text);
        let as_tcvn3 = decode_declared(&vni, Some("tcvn3")).unwrap();
        assert_eq!((as_tcvn3.encoding, as_tcvn3.text), ("tcvn3", decode_tcvn3(&vni)));
        // Valid UTF-8 wins over a stale label; no label falls back to detection.
        assert_eq!(
            decode_declared(text.as_bytes(), Some("windows-1258"))
                .unwrap()
                .encoding,
            "utf-8"
        );
        assert_eq!(decode_declared(&vni, None).unwrap().encoding, "vni");
        assert_eq!(decode_declared(&vni, Some("koi8-r")).unwrap().encoding, "vni");
    }

    #[test]
    fn legacy_tables_chosen_by_syllables() {
        use crate::vntext::legacy::{encode_tcvn3, encode_vni};
        let text = "Đảng ủy phường Tân Lập tổ chức Hội nghị tổng kết công tác năm 2023";
        let d = decode(&encode_tcvn3(text).unwrap()).unwrap();
        assert_eq!((d.encoding, d.text.as_str()), ("tcvn3", text));
        let d = decode(&encode_vni(text).unwrap()).unwrap();
        assert_eq!((d.encoding, d.text.as_str()), ("vni", text));
        let d = decode(&encode_windows_1258(text).unwrap()).unwrap();
        assert_eq!(d.encoding, "windows-1258");
        // High bytes that spell nothing under any table.
        let noise: Vec<u8> = (0..600u32).map(|i| (0x80 + (i * 37) % 0x7f) as u8).collect();
        assert_eq!(decode(&noise), Err(DecodeError::Undecodable));
    }

    #[test]
    fn a_legacy_page_is_told_by_its_text_not_by_the_markup_before_it() {
        use crate::vntext::legacy::{encode_tcvn3, encode_vni};
        // An HTML page with no charset whose head (scripts, styles) fills the
        // first kilobytes with ASCII: the table is chosen where the letters are.
        let head = format!(
            "<html><head><style>{}</style><script>{}</script></head><body><p>",
            "body { margin: 0; padding: 0 } .menu a { color: #036 } ".repeat(40),
            "var counter = 0; function tick() { counter += 1; } ".repeat(40)
        );
        let text = "Đảng ủy phường Tân Lập tổ chức Hội nghị tổng kết công tác năm 2023. \
                    Đồng chí Bí thư Đảng ủy phát biểu chỉ đạo hội nghị.";
        assert!(head.len() > 2 * LEGACY_SAMPLE_BYTES);
        for (name, body) in [
            ("tcvn3", encode_tcvn3(text).unwrap()),
            ("vni", encode_vni(text).unwrap()),
        ] {
            let mut page = head.clone().into_bytes();
            page.extend_from_slice(&body);
            page.extend_from_slice(b"</p></body></html>");
            let d = decode(&page).unwrap();
            assert_eq!(d.encoding, name);
            assert!(d.text.contains(text), "{name}: {}", &d.text[d.text.len() - 200..]);
        }
    }

    #[test]
    fn windows_1258_is_clean_unless_a_bom_switches_the_reading() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        assert!(!WINDOWS_1258.decode(&every_byte).2);
        assert!(windows_1258_reads_cleanly(&every_byte));
        // A UTF-8 byte order mark, then bytes that are not UTF-8.
        let bom_then_legacy = b"\xEF\xBB\xBFTh\xF4n \xB6\xC3ng";
        assert!(WINDOWS_1258.decode(bom_then_legacy).2);
        assert!(!windows_1258_reads_cleanly(bom_then_legacy));
    }

    #[test]
    fn scores() {
        assert!(vietnamese_score("Đảng ủy phường tổ chức hội nghị tổng kết") > 0.5);
        assert!(vietnamese_score("The committee held its annual review meeting") < 0.05);
        // 4 words of 2+ letters ("xã" "đạt" "Ok" "ủy" with a combining tone), 3 marked.
        assert_eq!(vietnamese_score("xã, đạt 9 a Ok u\u{309}y!"), 0.75);
        assert_eq!(vietnamese_score("1 2 a"), 0.0);
    }

    #[test]
    fn a_long_vietnamese_text_is_settled_early_and_a_short_share_still_fails() {
        let prose = "Đảng ủy phường tổ chức hội nghị tổng kết công tác năm. ".repeat(200);
        assert_eq!(vietnamese_at_least(&prose, 0.12), Ok(()));
        // It stopped before the end: well before, on prose like this.
        let mut count = WordCount::default();
        let stopped_with = std::cell::Cell::new(usize::MAX);
        assert!(count.read(&prose, |c, rest| {
            stopped_with.set(rest);
            c.settled_at_least(rest, 0.12)
        }));
        assert!(
            stopped_with.get() > prose.len() / 2,
            "{} of {}",
            stopped_with.get(),
            prose.len()
        );
        // Marked words only in the first half: the share is 0.5 overall,
        // and it still falls short of 0.6 whatever the first half showed.
        let half = format!(
            "{}{}",
            "Đảng ủy phường ".repeat(300),
            "the committee met ".repeat(300)
        );
        assert_eq!(vietnamese_score(&half), 0.5);
        assert_eq!(vietnamese_at_least(&half, 0.6), Err(0.5));
        assert_eq!(vietnamese_at_least(&half, 0.5), Ok(()));
        assert_eq!(vietnamese_at_least("", 0.12), Err(0.0));
        // The tightest rest: two-letter words, three bytes each. 600 marked
        // words then 2,000 unmarked: 600 / 2,600 falls just short of 0.231.
        // The true bound never settles early here (600 / 2,601 < 0.231); one
        // that undercounts the rest by three words or more would.
        let dense = format!("{}{}", "Đảng ủy ".repeat(300), "ok ".repeat(2000));
        assert_eq!(vietnamese_at_least(&dense, 0.231), Err(600.0 / 2600.0));
    }

    proptest::proptest! {
        /// Stopping early never changes the answer.
        #[test]
        fn at_least_agrees_with_the_score(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["Đảng ", "ủy ", "xã ", "the ", "ok ", "a ", "meeting ", "9, ", "u\u{309}y "]),
                0..400,
            ),
            min in proptest::sample::select(vec![0.0, 0.05, 0.12, 0.3, 0.5, 0.75, 1.0]),
        ) {
            let text = parts.concat();
            let score = vietnamese_score(&text);
            let expected = if score >= min { Ok(()) } else { Err(score) };
            proptest::prop_assert_eq!(vietnamese_at_least(&text, min), expected);
        }

        /// The one-pass count gives what splitting into words gives.
        #[test]
        fn score_matches_a_split_into_words(s in "[a-zA-Zàáạảãđươ\u{300}\u{301}\u{323} .,19-]{0,40}") {
            let words: Vec<&str> = s
                .split(|c: char| !c.is_alphabetic() && !('\u{300}'..='\u{323}').contains(&c))
                .filter(|w| w.chars().count() >= 2)
                .collect();
            let marked = words.iter().filter(|w| w.chars().any(is_vietnamese_letter)).count();
            let expected = if words.is_empty() { 0.0 } else { marked as f64 / words.len() as f64 };
            proptest::prop_assert_eq!(vietnamese_score(&s), expected);
        }
    }
}
