//! NFC and one tone placement. CONTRACT.md asks for the placement most of the
//! press uses: in an open syllable ending in "oa", "oe" or "uy" the tone mark
//! sits on the first vowel (`hòa`, `khỏe`, `thủy`, `ủy`), not the second
//! (`hoà`, `khoẻ`, `thuỷ`, `uỷ`).

use unicode_normalization::char::{compose, decompose_canonical};
use unicode_normalization::UnicodeNormalization;

/// The five tone marks as combining chars (Unicode's combining diacritical
/// marks block): huyền, sắc, ngã, hỏi, nặng. The level tone has none.
pub const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// Whether `c` is one of the [`TONE_MARKS`].
pub fn is_tone_mark(c: char) -> bool {
    TONE_MARKS.contains(&c)
}

fn with_tone(base: char, tone: char) -> char {
    compose(base, tone).unwrap_or(base)
}

/// NFC, then the contract's tone placement, on any text.
pub fn normalize_text(s: &str) -> String {
    // Most pages are NFC already: the quick check spares building a copy.
    if is_nfc(s) {
        fix_tone_placement(s)
    } else {
        fix_tone_placement(&nfc(s))
    }
}

/// Chars below this are answered from [`nfc_starters`]: the Latin blocks,
/// the combining marks, Greek to Armenian, the Vietnamese block and general
/// punctuation; the rest go through the full quick check.
const NFC_TABLE_LIMIT: u32 = 0x2070;

/// One bit per char below [`NFC_TABLE_LIMIT`]: set when the char is a
/// starter (combining class 0) that the NFC quick check answers "yes" for.
/// A text made only of such chars (and ASCII) is NFC, as the quick check
/// itself would find, without its two hash lookups per char.
fn nfc_starters() -> &'static [u64] {
    use unicode_normalization::char::canonical_combining_class;
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut bits = vec![0u64; NFC_TABLE_LIMIT.div_ceil(64) as usize];
        for c in (0..NFC_TABLE_LIMIT).filter_map(char::from_u32) {
            if canonical_combining_class(c) == 0 && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes {
                bits[c as usize / 64] |= 1 << (c as usize % 64);
            }
        }
        bits
    })
}

/// Whether the NFC table answers `c` (ASCII, or below [`NFC_TABLE_LIMIT`])
/// as a starter that NFC leaves alone and never composes with what precedes.
#[inline]
fn is_stable_starter(table: &[u64], c: char) -> bool {
    let u = c as u32;
    u < 0x80 || (u < NFC_TABLE_LIMIT && table[u as usize / 64] & (1 << (u % 64)) != 0)
}

/// `s` in NFC, as `unicode_normalization`'s `nfc()` gives it, at the cost of
/// a copy where little needs composing (a Windows-1258 page writes each tone
/// as a mark after its vowel, a legacy table gives mostly whole letters).
///
/// A starter that the quick check answers "yes" for is a composition
/// boundary (UAX #15, "Detecting Normalization Forms"): nothing before it
/// changes NFC from it onwards. So the text is read as stretches that begin
/// at such chars; a stretch of that one char is copied as it is, and only
/// the others go through the full algorithm, each on its own.
pub fn nfc(s: &str) -> String {
    let table = nfc_starters();
    let mut out = String::with_capacity(s.len());
    // s[..copied] is in `out`; the stretch being read starts at `stretch`, and
    // is `plain` while it holds only the starter.
    let (mut copied, mut stretch, mut plain) = (0, 0, true);
    for (i, c) in s.char_indices() {
        if is_stable_starter(table, c) {
            if !plain {
                out.push_str(&s[copied..stretch]);
                out.extend(s[stretch..i].nfc());
                copied = i;
                plain = true;
            }
            stretch = i;
        } else {
            plain = false;
        }
    }
    if plain {
        out.push_str(&s[copied..]);
    } else {
        out.push_str(&s[copied..stretch]);
        out.extend(s[stretch..].nfc());
    }
    out
}

/// For each pair of a UTF-8 lead byte (C0 to EF) and the byte after it:
/// whether every char those two bytes begin is a stable starter, so that
/// [`is_nfc`] can step over such a char without decoding it. Almost every
/// Vietnamese letter qualifies: a toned vowel of U+1EA0 to U+1EF9 is E1 BA
/// or E1 BB and two more bytes.
fn stable_prefixes() -> &'static [u64; 48] {
    static TABLE: std::sync::OnceLock<[u64; 48]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let starters = nfc_starters();
        let mut bits = [0u64; 48];
        for b0 in 0xC0u32..0xF0 {
            for b1 in 0x80u32..0xC0 {
                let (first, last) = if b0 < 0xE0 {
                    let c = (b0 & 0x1F) << 6 | (b1 & 0x3F);
                    (c, c)
                } else {
                    let c = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6;
                    (c, c + 0x3F)
                };
                let stable =
                    (first..=last).all(|u| char::from_u32(u).is_some_and(|c| is_stable_starter(starters, c)));
                if stable {
                    bits[(b0 - 0xC0) as usize] |= 1 << (b1 - 0x80);
                }
            }
        }
        bits
    })
}

/// Whether `s` is NFC by Unicode's quick check ("maybe" counts as no).
pub fn is_nfc(s: &str) -> bool {
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    let table = nfc_starters();
    let prefixes = stable_prefixes();
    let bytes = s.as_bytes();
    // Walked by bytes: ASCII and chars whose first two bytes say they are
    // stable starters are stepped over; any other char is decoded and looked
    // up. Everything before the first char the table cannot answer is such
    // a starter, after which the quick check starts afresh: it need only
    // read on from there.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        if (0xC0..0xF0).contains(&b) && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            if prefixes[usize::from(b - 0xC0)] >> (next & 0x3F) & 1 == 1 {
                i += if b < 0xE0 { 2 } else { 3 };
                continue;
            }
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        if !is_stable_starter(table, c) {
            return is_nfc_quick(s[i..].chars()) == IsNormalized::Yes;
        }
        i += c.len_utf8();
    }
    true
}

/// The tone mark a word-final "oa", "oe" or "uy" would move, given the
/// first vowel (plain `o`/`u`, either case) and the toned second one.
fn moving_tone(first: char, second: char) -> Option<(char, char)> {
    // `split_tone` without its String: this runs at every "o"/"u" before a
    // letter past ASCII at a word's end ("của", "mua").
    let (mut b2, mut bases, mut tone) = (second, 0, None);
    decompose_canonical(second, |d| {
        if TONE_MARKS.contains(&d) {
            tone = Some(d);
        } else {
            if bases == 0 {
                b2 = d;
            }
            bases += 1;
        }
    });
    let tone = tone?;
    if bases != 1 {
        return None;
    }
    match (first.to_ascii_lowercase(), b2.to_ascii_lowercase()) {
        ('o', 'a') | ('o', 'e') | ('u', 'y') => Some((with_tone(first, tone), b2)),
        _ => None,
    }
}

/// Moves the tone mark of a word-final "oa", "oe", "uy" to the first vowel.
/// Expects NFC input.
pub fn fix_tone_placement(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    // Candidates are an ASCII o/u followed by a non-ASCII (toned) letter;
    // everything else is copied as it is. The o's and u's are found by
    // vector search, lowercase and capital apart, taken in text order.
    let mut lower = memchr::memchr2_iter(b'o', b'u', bytes).peekable();
    let mut upper = memchr::memchr2_iter(b'O', b'U', bytes).peekable();
    loop {
        let i = match (lower.peek(), upper.peek()) {
            (Some(&a), Some(&b)) if b < a => upper.next(),
            (Some(_), _) => lower.next(),
            (None, _) => upper.next(),
        };
        let Some(i) = i else { break };
        if i + 1 >= bytes.len() {
            break;
        }
        if bytes[i + 1] < 0x80 {
            continue;
        }
        let first = bytes[i] as char;
        let rest = &s[i + 1..];
        let mut cs = rest.chars();
        let Some(second) = cs.next() else { break };
        let after = cs.next();
        // Only a word-final pair moves: "hoàn", "thuyết" keep their placement,
        // and in "quý", "quỳ" the u belongs to "qu", so the y keeps the tone.
        let word_final = !after.is_some_and(super::is_letter);
        let after_q = i >= 1 && matches!(bytes[i - 1], b'q' | b'Q');
        if word_final && !(matches!(first, 'u' | 'U') && after_q) {
            if let Some((f, b2)) = moving_tone(first, second) {
                out.push_str(&s[copied..i]);
                out.push(f);
                out.push(b2);
                copied = i + 1 + second.len_utf8();
            }
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// A comparison key: lowercase, tone placement fixed, single spaces.
pub fn canonical_key(s: &str) -> String {
    super::lowercase_words(&normalize_text(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Splits a char into its base letter (with non-tone marks kept) and its
    /// tone mark, for the reference walk.
    fn split_tone(c: char) -> (String, Option<char>) {
        let mut base = String::new();
        let mut tone = None;
        decompose_canonical(c, |d| {
            if TONE_MARKS.contains(&d) {
                tone = Some(d);
            } else {
                base.push(d);
            }
        });
        (base, tone)
    }

    /// The first, char-by-char version, kept to check the fast one against.
    fn reference_fix(s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let mut out: Vec<char> = chars.clone();
        for i in 1..chars.len() {
            if chars.get(i + 1).is_some_and(|c| c.is_alphabetic()) {
                continue;
            }
            let (base2, tone) = split_tone(chars[i]);
            let Some(tone) = tone else { continue };
            let (base1, tone1) = split_tone(chars[i - 1]);
            if tone1.is_some() || base1.chars().count() != 1 || base2.chars().count() != 1 {
                continue;
            }
            let b1 = base1.chars().next().unwrap_or(chars[i - 1]);
            let b2 = base2.chars().next().unwrap_or(chars[i]);
            let moves = match (b1.to_ascii_lowercase(), b2.to_ascii_lowercase()) {
                ('o', 'a') | ('o', 'e') => true,
                ('u', 'y') => !(i >= 2 && matches!(chars[i - 2], 'q' | 'Q')),
                _ => false,
            };
            if moves {
                out[i - 1] = with_tone(b1, tone);
                out[i] = b2;
            }
        }
        out.into_iter().collect()
    }

    proptest! {
        #[test]
        fn fast_placement_matches_the_reference(
            s in proptest::collection::vec(
                proptest::sample::select(vec![
                    "o", "O", "u", "U", "q", "Q", "h", "th", "k", " ", ",", "\n", "à", "á", "ả", "ã", "ạ",
                    "è", "é", "ẻ", "ẽ", "ẹ", "ỳ", "ý", "ỷ", "ỹ", "ỵ", "Ỳ", "Ý", "À", "Ẹ", "a", "e", "y",
                    "ô", "ơ", "ư", "ò", "ù", "n", "ng", "ế", "ệ", "Đ",
                ]),
                0..24,
            )
        ) {
            let text: String = s.concat();
            prop_assert_eq!(fix_tone_placement(&text), reference_fix(&text));
        }
    }

    proptest! {
        #[test]
        fn nfc_check_matches_the_quick_check(
            s in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        'a', 'o', ' ', 'Đ', 'đ', 'ă', 'ơ', 'ư', 'ế', 'ỷ', 'Ỹ', 'ò', '\u{300}', '\u{301}',
                        '\u{303}', '\u{309}', '\u{323}', '\u{302}', '\u{340}', '\u{344}', '\u{374}',
                        '\u{387}', '\u{1F71}', '\u{2000}', '\u{2126}', '\u{212B}', '\u{2013}', '“',
                    ]),
                    (0x80u32..0x2200).prop_filter_map("a char", char::from_u32),
                    // Past the table: 3- and 4-byte chars it does not answer.
                    (0x2200u32..0x2_0000).prop_filter_map("a char", char::from_u32),
                ],
                0..16,
            )
        ) {
            use unicode_normalization::{is_nfc_quick, IsNormalized};
            let text: String = s.into_iter().collect();
            prop_assert_eq!(is_nfc(&text), is_nfc_quick(text.chars()) == IsNormalized::Yes);
        }
    }

    proptest! {
        #[test]
        fn nfc_matches_the_full_algorithm(
            s in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        'a', 'o', 'u', 'y', 'A', ' ', '.', 'Đ', 'â', 'ê', 'ô', 'ă', 'ơ', 'ư', 'Ư', 'ế',
                        'ỷ', 'ò', '\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}', '\u{302}',
                        '\u{306}', '\u{31B}', '\u{308}', '\u{316}', '\u{305}', '\u{340}', '\u{344}',
                        '\u{374}', '\u{387}', '\u{1F71}', '\u{2126}', '\u{212B}', '\u{1100}',
                        '\u{1161}', '\u{11A8}', '\u{AC00}', '\u{0B47}', '\u{0B3E}', '\u{0F73}',
                    ]),
                    (0x80u32..0x2200).prop_filter_map("a char", char::from_u32),
                    // Past the table: 3- and 4-byte chars it does not answer.
                    (0x2200u32..0x2_0000).prop_filter_map("a char", char::from_u32),
                ],
                0..24,
            )
        ) {
            let text: String = s.into_iter().collect();
            prop_assert_eq!(nfc(&text), text.nfc().collect::<String>());
        }
    }

    #[test]
    fn nfc_composes_what_needs_it_and_copies_the_rest() {
        // Windows-1258 writes the tone as a mark after the vowel, hatted or not;
        // a dot below goes under a hat ("ậ" is "ạ" with a hat).
        assert_eq!(nfc("Đa\u{309}ng u\u{309}y"), "Đảng ủy");
        assert_eq!(nfc("nâ\u{323}ng ho\u{31B}\u{300}a"), "nậng hờa");
        // Two marks in either order; a mark with nothing before it; a mark
        // that composes with nothing stays as it is.
        assert_eq!(nfc("a\u{323}\u{302}"), "ậ");
        assert_eq!(nfc("a\u{302}\u{323}"), "ậ");
        assert_eq!(nfc("\u{301}a"), "\u{301}a");
        assert_eq!(nfc("x\u{305}"), "x\u{305}");
        // Singletons are replaced; Hangul jamo compose into a syllable.
        assert_eq!(nfc("\u{2126}\u{212B}"), "\u{3A9}\u{C5}");
        assert_eq!(nfc("\u{1100}\u{1161}\u{11A8}"), "\u{AC01}");
        assert_eq!(nfc(""), "");
    }

    #[test]
    fn nfc_check_agrees_with_the_quick_check_on_every_char() {
        use unicode_normalization::{is_nfc_quick, IsNormalized};
        for c in (0u32..0x3_0000).filter_map(char::from_u32) {
            // Alone, before a mark it may compose with, and after a letter.
            for text in [format!("{c}"), format!("{c}\u{301}"), format!("a{c}b")] {
                let quick = is_nfc_quick(text.chars()) == IsNormalized::Yes;
                assert_eq!(is_nfc(&text), quick, "{text:?}");
            }
        }
    }

    #[test]
    fn nfc_check_knows_vietnamese_and_marks() {
        assert!(is_nfc("Đảng ủy phường Hòa Bình – “Nghị quyết”"));
        assert!(!is_nfc("ủy\u{301}"));
        assert!(!is_nfc("Đa\u{309}ng"));
        // Singletons: NFC replaces them, so they are never NFC.
        assert!(!is_nfc("\u{340}"));
        assert!(!is_nfc("\u{2126}"));
        // Marks that compose with nothing (overline 230, grave below 220)
        // are "yes" one by one but out of canonical order here.
        assert!(is_nfc("a\u{316}\u{305}"));
        assert!(!is_nfc("a\u{305}\u{316}"));
    }

    #[test]
    fn moves_tone_in_open_syllables() {
        assert_eq!(normalize_text("Đảng uỷ"), "Đảng ủy");
        assert_eq!(normalize_text("văn hoá"), "văn hóa");
        assert_eq!(normalize_text("khoá XV"), "khóa XV");
        assert_eq!(normalize_text("sức khoẻ"), "sức khỏe");
        assert_eq!(normalize_text("thuỷ lợi"), "thủy lợi");
        assert_eq!(normalize_text("UỶ BAN"), "ỦY BAN");
        assert_eq!(normalize_text("Uỷ ban"), "Ủy ban");
    }

    #[test]
    fn leaves_closed_syllables_and_qu() {
        assert_eq!(normalize_text("hoàn thành"), "hoàn thành");
        assert_eq!(normalize_text("Huỳnh"), "Huỳnh");
        assert_eq!(normalize_text("quý"), "quý");
        assert_eq!(normalize_text("thuyết"), "thuyết");
        assert_eq!(normalize_text("hòa"), "hòa");
    }

    #[test]
    fn nfd_input_becomes_nfc() {
        let nfd: String = "Đảng ủy phường".nfd().collect();
        assert_ne!(nfd, "Đảng ủy phường");
        assert_eq!(normalize_text(&nfd), "Đảng ủy phường");
        let nfd_old: String = "hoà".nfd().collect();
        assert_eq!(normalize_text(&nfd_old), "hòa");
    }

    #[test]
    fn keys_ignore_case_and_spacing() {
        assert_eq!(canonical_key("Đảng  Uỷ"), canonical_key("đảng ủy"));
    }
}
