//! Vietnamese text handling, usable without the pipeline: Unicode and tone
//! placement, case folding that keeps byte offsets, numbers, dates and names.

pub mod date;
pub mod decode;
pub mod legacy;
pub mod name;
pub mod number;
pub mod tone;

pub use tone::{canonical_key, normalize_text};

/// The Latin blocks every Vietnamese letter is in: U+0000 to U+024F, then
/// Latin Extended Additional (U+1E00 to U+1EFF, the letters with a tone).
const LATIN_LOW: u32 = 0x250;
const LATIN_EXTENDED_ADDITIONAL: std::ops::Range<u32> = 0x1E00..0x1F00;

/// The one-char lowercase of each char of the Latin blocks, taken from the
/// standard library once (`char::to_lowercase` searches the table of every
/// script for each char). `None` where the lowercase is two chars (`İ`).
static LATIN_LOWERCASE: std::sync::LazyLock<Vec<Option<char>>> =
    std::sync::LazyLock::new(|| latin_chars().map(single_lowercase).collect());

/// Every char of the Latin blocks, in order (tables of per-char facts are
/// built over these).
pub(crate) fn latin_chars() -> impl Iterator<Item = char> {
    (0..LATIN_LOW)
        .chain(LATIN_EXTENDED_ADDITIONAL)
        .filter_map(char::from_u32)
}

fn single_lowercase(c: char) -> Option<char> {
    single_char(c.to_lowercase())
}

/// The char `chars` holds, when it holds exactly one.
pub(crate) fn single_char(mut chars: impl Iterator<Item = char>) -> Option<char> {
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Where `c` is in [`latin_chars`], when it is one of them: the index of a
/// per-char table built over them.
#[inline]
pub(crate) fn latin_index(c: char) -> Option<usize> {
    let cp = c as u32;
    if cp < LATIN_LOW {
        Some(cp as usize)
    } else if LATIN_EXTENDED_ADDITIONAL.contains(&cp) {
        Some((LATIN_LOW + cp - LATIN_EXTENDED_ADDITIONAL.start) as usize)
    } else {
        None
    }
}

/// The lowercase of `c` when it is one char, as `char::to_lowercase` gives it.
#[inline]
fn lowercase_char(c: char) -> Option<char> {
    match latin_index(c) {
        Some(i) => LATIN_LOWERCASE[i],
        None => single_lowercase(c),
    }
}

/// `str::to_lowercase`, with a table for the Latin blocks.
pub fn lowercase(s: &str) -> String {
    // Greek capital sigma lowercases by its place in the word: leave it to std.
    if s.is_ascii() || s.contains('Σ') {
        return s.to_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    push_lowercase(&mut out, s);
    out
}

/// Appends `s` lowercased char by char, each as `char::to_lowercase` gives
/// it. That is `str::to_lowercase` except for a Greek capital sigma, whose
/// lowercase there depends on the word around it.
fn push_lowercase(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(l) = lowercase_char(c) {
            out.push(l);
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// [`lowercase`] and [`collapse_spaces`] in one pass: the words of `s`,
/// lowercased, joined by single spaces.
pub fn lowercase_words(s: &str) -> String {
    if s.contains('Σ') {
        return collapse_spaces(&lowercase(s));
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        push_lowercase(&mut out, word);
    }
    out
}

/// The words of `s` (split at Unicode white space) joined by single spaces,
/// without the leading and trailing space.
pub fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_collapsed_spaces(&mut out, s);
    out
}

/// Appends to `out` what [`collapse_spaces`] returns for `s`, for a caller
/// that builds one string from many pieces.
pub fn push_collapsed_spaces(out: &mut String, s: &str) {
    for (i, word) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Lowercase every char whose lowercase form has the same UTF-8 length, so that
/// byte offsets found in the folded text are valid in the original.
pub fn fold_case_same_len(s: &str) -> String {
    // One pass over the bytes: ASCII runs are copied and lowered in bulk;
    // only a char past ASCII is decoded (at its lead byte, never at a
    // continuation byte), and the few that change (capitals: "Đ", "Ủ") are
    // written as their lowercase, of the same length.
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i += 1;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        if let Some(l) = lowercase_char(c).filter(|&l| l != c && l.len_utf8() == len) {
            push_ascii_lowercase(&mut out, &s[copied..i]);
            out.push(l);
            copied = i + len;
        }
        i += len;
    }
    push_ascii_lowercase(&mut out, &s[copied..]);
    out
}

/// Appends `s` with its ASCII letters lowered.
fn push_ascii_lowercase(out: &mut String, s: &str) {
    let from = out.len();
    out.push_str(s);
    out[from..].make_ascii_lowercase();
}

/// `char::is_alphabetic`, answered without the Unicode table lookup for the
/// Latin blocks every Vietnamese letter is in (all letters but × and ÷).
#[inline]
pub fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' => true,
        '\0'..='\u{7f}' => false,
        '\u{c0}'..='\u{24f}' => c != '\u{d7}' && c != '\u{f7}',
        '\u{1e00}'..='\u{1eff}' => true,
        _ => c.is_alphabetic(),
    }
}

/// A char of a word when words are counted to judge a text: a letter, or a
/// combining mark of U+0300 to U+0323 (the tones and hats of decomposed
/// text, which stay inside their word).
pub fn is_letter_or_mark(c: char) -> bool {
    is_letter(c) || ('\u{300}'..='\u{323}').contains(&c)
}

/// `char::is_alphanumeric`, with [`is_letter`]'s fast path.
#[inline]
pub fn is_letter_or_digit(c: char) -> bool {
    c.is_ascii_digit() || is_letter(c) || (!c.is_ascii() && c.is_numeric())
}

/// Whether the char that starts at byte `i` of `s` is a letter or digit (as
/// [`is_letter_or_digit`] says), and its length in bytes. The chars of
/// Vietnamese text are told by their first bytes without decoding: ASCII,
/// U+00C0 to U+023F (lead bytes C3 to C8: letters but × and ÷) and the Latin
/// Extended Additional block U+1E00 to U+1EFF (E1 B8 to E1 BB: all letters).
/// `i` must be a char boundary.
#[inline]
pub fn letter_or_digit_at(s: &str, i: usize) -> (bool, usize) {
    let bytes = s.as_bytes();
    let b = bytes[i];
    if b < 0x80 {
        return (b.is_ascii_alphanumeric(), 1);
    }
    match (b, bytes.get(i + 1)) {
        (0xC3, Some(&b2)) => (b2 != 0x97 && b2 != 0xB7, 2),
        (0xC4..=0xC8, Some(_)) => (true, 2),
        (0xE1, Some(0xB8..=0xBB)) => (true, 3),
        _ => s[i..]
            .chars()
            .next()
            .map_or((false, 1), |c| (is_letter_or_digit(c), c.len_utf8())),
    }
}

/// Whether a word is written as an abbreviation: it has letters but no
/// vowel ("TP", "Tp", "TX", "Đ/c"). Every Vietnamese syllable has a vowel,
/// so a dot after such a word belongs to it ("TP. Huế"), while a dot after a
/// word written out ends a sentence ("… UBND huyện. Ông …").
pub fn is_abbreviation(word: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    word.chars().any(is_letter)
        && !word
            .nfd()
            .any(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
}

/// True for letters that can appear inside a Vietnamese word.
pub fn is_word_char(c: char) -> bool {
    is_letter_or_digit(c)
}

/// Whether `s[start..end]` stands as whole words: no word character touches it.
pub fn is_word_bounded(s: &str, start: usize, end: usize) -> bool {
    no_word_before(s, start) && no_word_after(s, end)
}

/// No word character ends right before `pos`.
pub fn no_word_before(s: &str, pos: usize) -> bool {
    !s[..pos].chars().next_back().is_some_and(is_word_char)
}

/// No word character starts right at `pos`.
pub fn no_word_after(s: &str, pos: usize) -> bool {
    !s[pos..].chars().next().is_some_and(is_word_char)
}

/// Maps byte offsets of one string to char (Unicode scalar) offsets: the
/// char count at the start of every [`CHAR_BLOCK`] bytes, and a count of the
/// chars started within the last block at each question. A page asks a few
/// dozen times; a table of every char's offset cost 8 bytes a char to build.
pub struct CharIndex {
    /// Chars before byte `i * CHAR_BLOCK`, for each block (usize: a body
    /// past 4 GiB must not wrap).
    before_block: Vec<usize>,
}

const CHAR_BLOCK: usize = 256;

/// Chars that start within `bytes` (UTF-8): the bytes that do not continue one.
fn chars_started(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl CharIndex {
    pub fn new(s: &str) -> Self {
        let mut before_block = Vec::with_capacity(s.len() / CHAR_BLOCK + 1);
        let mut n = 0;
        for block in s.as_bytes().chunks(CHAR_BLOCK) {
            before_block.push(n);
            n += chars_started(block);
        }
        CharIndex { before_block }
    }

    /// Char offset in `s` (the string the index was made from) of a byte
    /// offset; inside a char, the offset of the char after it; past the end,
    /// the number of chars.
    pub fn char_at(&self, s: &str, byte: usize) -> usize {
        let byte = byte.min(s.len());
        let block = byte / CHAR_BLOCK;
        let Some(&before) = self.before_block.get(block) else {
            // The end of a string whose length is a whole number of blocks.
            return chars_started(s.as_bytes());
        };
        before + chars_started(&s.as_bytes()[block * CHAR_BLOCK..byte])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_have_no_vowel() {
        for w in ["TP", "Tp", "TX", "Đ/c", "TP."] {
            assert!(is_abbreviation(w), "{w}");
        }
        // Written out, with or without marks; "y" is a vowel ("Mỹ"); a
        // number or a dash alone is no word.
        for w in ["huyện", "tỉnh", "Thành", "phố", "Mỹ", "ƯU", "12", "-", ""] {
            assert!(!is_abbreviation(w), "{w}");
        }
    }

    /// Every char, read by its bytes, as by decoding it.
    #[test]
    fn letter_or_digit_at_agrees_with_the_char_test_on_every_char() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert_eq!(
                letter_or_digit_at(&s, 1),
                (c.is_alphanumeric(), c.len_utf8()),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn fast_letter_checks_agree_with_the_standard_ones() {
        for c in (0u32..0x2_0000).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_letter_or_digit(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn lowercase_agrees_with_the_standard_one() {
        for c in (0u32..0x2_0000).filter_map(char::from_u32) {
            let s = format!("{c}x{c}");
            assert_eq!(lowercase(&s), s.to_lowercase(), "{c:?}");
            let mut std_lower = c.to_lowercase();
            let same_len = match (std_lower.next(), std_lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            };
            assert_eq!(fold_case_same_len(&s), format!("{same_len}x{same_len}"), "{c:?}");
        }
        assert_eq!(lowercase("ĐẢNG ỦY ΟΔΟΣ İ"), "đảng ủy οδος i\u{307}");
    }

    #[test]
    fn collapsing_spaces_keeps_single_spaces_between_words() {
        assert_eq!(collapse_spaces("  Nguyễn \t Văn\u{a0}\n An  "), "Nguyễn Văn An");
        assert_eq!(collapse_spaces(" \n "), "");
        assert_eq!(collapse_spaces("xã"), "xã");
    }

    /// The char-by-char fold the byte walk replaced, kept as the reference.
    fn reference_fold(s: &str) -> String {
        s.chars()
            .map(|c| match lowercase_char(c) {
                Some(l) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn folding_matches_the_char_by_char_fold(s in "[a-zA-Z0-9 .,\n\u{300}đĐẢảỦủÀàİΣΟẞßǅ\u{10400}\u{1e9e}]{0,60}") {
            proptest::prop_assert_eq!(fold_case_same_len(&s), reference_fold(&s));
        }
    }

    proptest::proptest! {
        #[test]
        fn lowercase_words_is_lowercase_then_collapse(s in "[a-zA-Z .\t\n\u{a0}\u{2003}đĐẢảỦủÀàİΣΟẞßǅ\u{300}]{0,40}") {
            proptest::prop_assert_eq!(lowercase_words(&s), collapse_spaces(&lowercase(&s)));
        }
    }

    #[test]
    fn folding_keeps_lengths() {
        let s = "Đảng Ủy PHƯỜNG Tân Lập";
        let f = fold_case_same_len(s);
        assert_eq!(f, "đảng ủy phường tân lập");
        assert_eq!(f.len(), s.len());
    }

    #[test]
    fn char_index_counts_scalars() {
        let s = "Đảng ủy";
        let idx = CharIndex::new(s);
        let b = s.find("ủy").unwrap();
        assert_eq!(idx.char_at(s, b), 5);
        assert_eq!(idx.char_at(s, s.len()), 7);
        // Long strings, every offset, against counting from the start; inside
        // a char, the char after it.
        for s in ["ấ".repeat(300), format!("{}đ", "a".repeat(511)), "ạb".repeat(256)] {
            let idx = CharIndex::new(&s);
            for byte in 0..=s.len() {
                let expected = s.char_indices().filter(|(b, _)| *b < byte).count();
                assert_eq!(idx.char_at(&s, byte), expected, "{byte} in {} bytes", s.len());
            }
        }
    }

    #[test]
    fn word_bounds() {
        let s = "thu nhập và thu ngân sách";
        assert!(is_word_bounded(s, 0, 3));
        assert!(!is_word_bounded(s, 0, 2));
    }
}
