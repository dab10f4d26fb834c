//! The two legacy 8-bit Vietnamese font encodings that older pages and office
//! files arrive in: TCVN3 (ABC, the `.VnTime` / `.VnArial` fonts) and VNI
//! (VNI-Windows, the `VNI-Times` / `VNI-Helve` fonts). Text typed in those fonts
//! stores font codes, not Unicode: Windows shows the bytes as Latin-1 (`Héi
//! nghÞ` is TCVN3 for "Hội nghị", `Hoäi nghò` is VNI for it) and only the font
//! draws them as Vietnamese. Decoding reads the bytes through the font's table
//! and returns NFC text.
//!
//! # Sources of the tables
//!
//! * TCVN3 is the VN3 level of TCVN 5712:1993, "Công nghệ thông tin — Bộ mã
//!   chuẩn 8-bit kí tự Việt dùng trong trao đổi thông tin" (Vietnamese 8-bit
//!   standard coded character set for information interchange), issued by the
//!   Vietnamese standards body (Tổng cục Tiêu chuẩn Đo lường Chất lượng). The
//!   standard has three levels: VN1 gives all 134 letters a code (putting
//!   capitals in the C0 and C1 control ranges), VN3 (the ".Vn" fonts' "ABC"
//!   layout) keeps ASCII and the C0/C1 ranges free and has codes only for the
//!   60 lowercase toned letters and for Ă Â Ê Ô Ơ Ư Đ in both cases.
//!   `TCVN3_HIGH` is written out here from that layout and checked entry by
//!   entry against the public mappings listed in the next section.
//! * VNI is the font encoding of VNI Software Company (the VNI-Windows / "VNI
//!   Tân Kỳ" fonts). It is a vendor layout with no standard number: a toned or
//!   hatted vowel is an ASCII base letter followed by one mark byte, and nine
//!   letters (đ ơ ư ì í ỉ ĩ ị ỵ and their capitals) are single bytes.
//!   [`VNI_LETTERS`] and `VNI_MARKS` reproduce the layout as Unikey's charset
//!   converter (vnconv, by Phạm Kim Long, the de facto reference converter for
//!   Vietnamese legacy encodings) implements it.
//! * Bytes 0x80–0x9F, which neither layout assigns (VN1 puts capitals there,
//!   VN3 and VNI do not), are read as Windows-1252 punctuation (`CP1252_C1`,
//!   from the Unicode Consortium's cp1252 mapping as WHATWG's Encoding Standard
//!   uses it): both were ANSI fonts on Windows, so curly quotes, dashes and "…"
//!   typed in them are stored as Windows-1252 bytes. Unikey's tables do the
//!   same (except that Unikey puts U+20A1 at 0x82, where Windows-1252 has U+201A).
//!
//! # What was cross-verified, and against what
//!
//! * TCVN3, bytes 0xA0–0xFF: all 96 entries equal glibc 2.36's charmap
//!   `/usr/share/i18n/charmaps/TCVN5712-1.gz` (aliases TCVN, TCVN-5712,
//!   TCVN5712-1:1993; it is the VN1 level) and what `iconv -f TCVN5712-1`
//!   gives byte by byte. VN1 differs from VN3 in three places: it puts 12
//!   toned capitals at 0x01–0x17 (we keep ASCII there), 32 capitals at
//!   0x80–0x9F (we read Windows-1252 there), and 16 capitals plus five
//!   combining tone marks at 0xAF, 0xB0–0xB4, 0xBA, 0xBF, 0xC0–0xC5, 0xCD,
//!   0xD9–0xDB, 0xE0, 0xF0, 0xFF, which VN3 does not assign (Unikey's TCVN3
//!   table uses 74 codes above 0x9F, none of these): we still decode them as
//!   VN1 does (`TCVN3_VN1_ONLY`), and never encode to them.
//! * TCVN3, all 134 letters: equal to Unikey's TCVN3 table as compiled into
//!   Debian bookworm's `ibus-unikey` 0.7.0~beta1-1 (read out of the binary),
//!   including its rule that a toned capital takes its lowercase letter's code.
//!   The 67 lowercase letters also equal the corpus-observed table of the PyPI
//!   package viparse 0.1.31 (`viparse/normalize/tcvn3.py`).
//! * VNI, all 134 letters: byte sequences equal Unikey's VNI-Windows table in
//!   the same `ibus-unikey` binary. viparse 0.1.31's corpus-derived VNI table
//!   agrees on each sequence it lists; it lacks ẳ/Ẳ and ỵ/Ỵ's single bytes
//!   (unobserved in its corpus) and adds "yï", "iø", "iù" (derived, not
//!   observed), which [`decode_vni`] reads too (see its documentation).
//! * The Windows-1252 table is tested against `encoding_rs::WINDOWS_1252`.
//!
//! # Case in TCVN3
//!
//! VN3 has codes for Ă Â Ê Ô Ơ Ư Đ but for no toned capital: headings were set
//! in the capitals-only fonts (`.VnTimeH`, `.VnArialH`), which draw the
//! lowercase codes as capitals. The bytes do not say which font was used, so
//! [`decode_tcvn3`] returns toned capitals as lowercase: "HỘI NGHỊ" typed in
//! `.VnTimeH` comes back as "HộI NGHị". [`encode_tcvn3`] does what the real
//! encoding did and writes a toned capital with its lowercase letter's code.
//!
//! # Telling the encodings apart
//!
//! Every byte means something under every table, so decoding never fails and
//! the caller must pick the table under which the text reads as Vietnamese.
//! [`syllable_score`] measures that (share of words that are well-formed toned
//! syllables). `decode::vietnamese_score` is not enough on its own: VNI, and
//! Windows-1258, bytes read as TCVN3 score as high as the right reading, since
//! every byte from 0xB5 up is a TCVN3 letter.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::tone::TONE_MARKS;

/// Windows-1252 for bytes 0x80–0x9F (Unicode Consortium's `CP1252.TXT`, with
/// its five undefined bytes passed through as C1 controls, as WHATWG does).
#[rustfmt::skip]
const CP1252_C1: [char; 32] = [
    // 0x80..=0x8F
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    // 0x90..=0x9F
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// TCVN 5712:1993 (TCVN3 / VN3, the ABC layout), bytes 0xA0–0xFF. Source and
/// verification: see the module documentation. Entries marked "VN1" are
/// capitals and combining marks that only the VN1 level has ([`TCVN3_VN1_ONLY`]).
#[rustfmt::skip]
const TCVN3_HIGH: [char; 96] = [
    // 0xA0: NBSP; Ă Â Ê Ô Ơ Ư Đ; ă â ê ô ơ ư đ; Ằ (VN1)
    '\u{A0}', 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ', 'Ằ',
    // 0xB0: combining grave, hook, tilde, acute, dot below (VN1); a; Ẳ (VN1); ă; Ẵ (VN1)
    '\u{300}', '\u{309}', '\u{303}', '\u{301}', '\u{323}', 'à', 'ả', 'ã', 'á', 'ạ', 'Ẳ', 'ằ', 'ẳ', 'ẵ', 'ắ', 'Ẵ',
    // 0xC0: Ắ Ầ Ẩ Ẫ Ấ Ề (VN1); ặ; â; è; Ể (VN1); ẻ ẽ
    'Ắ', 'Ầ', 'Ẩ', 'Ẫ', 'Ấ', 'Ề', 'ặ', 'ầ', 'ẩ', 'ẫ', 'ấ', 'ậ', 'è', 'Ể', 'ẻ', 'ẽ',
    // 0xD0: é ẹ; ê; ì ỉ; Ễ Ế Ồ (VN1); ĩ í ị; ò
    'é', 'ẹ', 'ề', 'ể', 'ễ', 'ế', 'ệ', 'ì', 'ỉ', 'Ễ', 'Ế', 'Ồ', 'ĩ', 'í', 'ị', 'ò',
    // 0xE0: Ổ (VN1); o; ô; ơ; ù
    'Ổ', 'ỏ', 'õ', 'ó', 'ọ', 'ồ', 'ổ', 'ỗ', 'ố', 'ộ', 'ờ', 'ở', 'ỡ', 'ớ', 'ợ', 'ù',
    // 0xF0: Ỗ (VN1); u; ư; y; Ố (VN1)
    'Ỗ', 'ủ', 'ũ', 'ú', 'ụ', 'ừ', 'ử', 'ữ', 'ứ', 'ự', 'ỳ', 'ỷ', 'ỹ', 'ý', 'ỵ', 'Ố',
];

/// Bytes of [`TCVN3_HIGH`] that only TCVN 5712:1993's VN1 level assigns: 16
/// toned capitals and the five combining tone marks. VN3 does not assign them;
/// they decode as VN1 says, and encoding never produces them.
const TCVN3_VN1_ONLY: [u8; 21] = [
    0xAF, 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xBA, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xCD, 0xD9, 0xDA,
    0xDB, 0xE0, 0xF0, 0xFF,
];

/// VNI-Windows: every one of the 134 Vietnamese letters (67 lowercase, 67
/// capitals) and its bytes, as VNI Software Company's fonts lay them out and
/// Unikey's converter writes them (see the module documentation). The comment
/// on each line shows the bytes as Windows (Latin-1) displays them.
#[rustfmt::skip]
pub const VNI_LETTERS: [(char, &[u8]); 134] = [
    ('à', b"a\xF8"), ('À', b"A\xD8"), // aø AØ
    ('á', b"a\xF9"), ('Á', b"A\xD9"), // aù AÙ
    ('ả', b"a\xFB"), ('Ả', b"A\xDB"), // aû AÛ
    ('ã', b"a\xF5"), ('Ã', b"A\xD5"), // aõ AÕ
    ('ạ', b"a\xEF"), ('Ạ', b"A\xCF"), // aï AÏ
    ('ă', b"a\xEA"), ('Ă', b"A\xCA"), // aê AÊ
    ('ằ', b"a\xE8"), ('Ằ', b"A\xC8"), // aè AÈ
    ('ắ', b"a\xE9"), ('Ắ', b"A\xC9"), // aé AÉ
    ('ẳ', b"a\xFA"), ('Ẳ', b"A\xDA"), // aú AÚ
    ('ẵ', b"a\xFC"), ('Ẵ', b"A\xDC"), // aü AÜ
    ('ặ', b"a\xEB"), ('Ặ', b"A\xCB"), // aë AË
    ('â', b"a\xE2"), ('Â', b"A\xC2"), // aâ AÂ
    ('ầ', b"a\xE0"), ('Ầ', b"A\xC0"), // aà AÀ
    ('ấ', b"a\xE1"), ('Ấ', b"A\xC1"), // aá AÁ
    ('ẩ', b"a\xE5"), ('Ẩ', b"A\xC5"), // aå AÅ
    ('ẫ', b"a\xE3"), ('Ẫ', b"A\xC3"), // aã AÃ
    ('ậ', b"a\xE4"), ('Ậ', b"A\xC4"), // aä AÄ
    ('è', b"e\xF8"), ('È', b"E\xD8"), // eø EØ
    ('é', b"e\xF9"), ('É', b"E\xD9"), // eù EÙ
    ('ẻ', b"e\xFB"), ('Ẻ', b"E\xDB"), // eû EÛ
    ('ẽ', b"e\xF5"), ('Ẽ', b"E\xD5"), // eõ EÕ
    ('ẹ', b"e\xEF"), ('Ẹ', b"E\xCF"), // eï EÏ
    ('ê', b"e\xE2"), ('Ê', b"E\xC2"), // eâ EÂ
    ('ề', b"e\xE0"), ('Ề', b"E\xC0"), // eà EÀ
    ('ế', b"e\xE1"), ('Ế', b"E\xC1"), // eá EÁ
    ('ể', b"e\xE5"), ('Ể', b"E\xC5"), // eå EÅ
    ('ễ', b"e\xE3"), ('Ễ', b"E\xC3"), // eã EÃ
    ('ệ', b"e\xE4"), ('Ệ', b"E\xC4"), // eä EÄ
    ('ì', b"\xEC"), ('Ì', b"\xCC"),   // ì Ì
    ('í', b"\xED"), ('Í', b"\xCD"),   // í Í
    ('ỉ', b"\xE6"), ('Ỉ', b"\xC6"),   // æ Æ
    ('ĩ', b"\xF3"), ('Ĩ', b"\xD3"),   // ó Ó
    ('ị', b"\xF2"), ('Ị', b"\xD2"),   // ò Ò
    ('ò', b"o\xF8"), ('Ò', b"O\xD8"), // oø OØ
    ('ó', b"o\xF9"), ('Ó', b"O\xD9"), // où OÙ
    ('ỏ', b"o\xFB"), ('Ỏ', b"O\xDB"), // oû OÛ
    ('õ', b"o\xF5"), ('Õ', b"O\xD5"), // oõ OÕ
    ('ọ', b"o\xEF"), ('Ọ', b"O\xCF"), // oï OÏ
    ('ô', b"o\xE2"), ('Ô', b"O\xC2"), // oâ OÂ
    ('ồ', b"o\xE0"), ('Ồ', b"O\xC0"), // oà OÀ
    ('ố', b"o\xE1"), ('Ố', b"O\xC1"), // oá OÁ
    ('ổ', b"o\xE5"), ('Ổ', b"O\xC5"), // oå OÅ
    ('ỗ', b"o\xE3"), ('Ỗ', b"O\xC3"), // oã OÃ
    ('ộ', b"o\xE4"), ('Ộ', b"O\xC4"), // oä OÄ
    ('ơ', b"\xF4"), ('Ơ', b"\xD4"),         // ô Ô
    ('ờ', b"\xF4\xF8"), ('Ờ', b"\xD4\xD8"), // ôø ÔØ
    ('ớ', b"\xF4\xF9"), ('Ớ', b"\xD4\xD9"), // ôù ÔÙ
    ('ở', b"\xF4\xFB"), ('Ở', b"\xD4\xDB"), // ôû ÔÛ
    ('ỡ', b"\xF4\xF5"), ('Ỡ', b"\xD4\xD5"), // ôõ ÔÕ
    ('ợ', b"\xF4\xEF"), ('Ợ', b"\xD4\xCF"), // ôï ÔÏ
    ('ù', b"u\xF8"), ('Ù', b"U\xD8"), // uø UØ
    ('ú', b"u\xF9"), ('Ú', b"U\xD9"), // uù UÙ
    ('ủ', b"u\xFB"), ('Ủ', b"U\xDB"), // uû UÛ
    ('ũ', b"u\xF5"), ('Ũ', b"U\xD5"), // uõ UÕ
    ('ụ', b"u\xEF"), ('Ụ', b"U\xCF"), // uï UÏ
    ('ư', b"\xF6"), ('Ư', b"\xD6"),         // ö Ö
    ('ừ', b"\xF6\xF8"), ('Ừ', b"\xD6\xD8"), // öø ÖØ
    ('ứ', b"\xF6\xF9"), ('Ứ', b"\xD6\xD9"), // öù ÖÙ
    ('ử', b"\xF6\xFB"), ('Ử', b"\xD6\xDB"), // öû ÖÛ
    ('ữ', b"\xF6\xF5"), ('Ữ', b"\xD6\xD5"), // öõ ÖÕ
    ('ự', b"\xF6\xEF"), ('Ự', b"\xD6\xCF"), // öï ÖÏ
    ('ỳ', b"y\xF8"), ('Ỳ', b"Y\xD8"), // yø YØ
    ('ý', b"y\xF9"), ('Ý', b"Y\xD9"), // yù YÙ
    ('ỷ', b"y\xFB"), ('Ỷ', b"Y\xDB"), // yû YÛ
    ('ỹ', b"y\xF5"), ('Ỹ', b"Y\xD5"), // yõ YÕ
    ('ỵ', b"\xEE"), ('Ỵ', b"\xCE"),   // î Î
    ('đ', b"\xF1"), ('Đ', b"\xD1"),   // ñ Ñ
];

/// VNI mark bytes, lowercase form then capital form (the capital form sits
/// higher, above a capital letter), and the combining marks each one adds to
/// the letter before it. Same source as [`VNI_LETTERS`], which a test checks
/// against this table.
#[rustfmt::skip]
const VNI_MARKS: [(u8, u8, &str); 17] = [
    (0xF8, 0xD8, "\u{300}"),         // ø Ø  huyền (grave)
    (0xF9, 0xD9, "\u{301}"),         // ù Ù  sắc (acute)
    (0xFB, 0xDB, "\u{309}"),         // û Û  hỏi (hook above)
    (0xF5, 0xD5, "\u{303}"),         // õ Õ  ngã (tilde)
    (0xEF, 0xCF, "\u{323}"),         // ï Ï  nặng (dot below)
    (0xE2, 0xC2, "\u{302}"),         // â Â  circumflex: â ê ô
    (0xE0, 0xC0, "\u{302}\u{300}"),  // à À  circumflex + grave
    (0xE1, 0xC1, "\u{302}\u{301}"),  // á Á  circumflex + acute
    (0xE5, 0xC5, "\u{302}\u{309}"),  // å Å  circumflex + hook
    (0xE3, 0xC3, "\u{302}\u{303}"),  // ã Ã  circumflex + tilde
    (0xE4, 0xC4, "\u{302}\u{323}"),  // ä Ä  circumflex + dot below
    (0xEA, 0xCA, "\u{306}"),         // ê Ê  breve: ă
    (0xE8, 0xC8, "\u{306}\u{300}"),  // è È  breve + grave
    (0xE9, 0xC9, "\u{306}\u{301}"),  // é É  breve + acute
    (0xFA, 0xDA, "\u{306}\u{309}"),  // ú Ú  breve + hook
    (0xFC, 0xDC, "\u{306}\u{303}"),  // ü Ü  breve + tilde
    (0xEB, 0xCB, "\u{306}\u{323}"),  // ë Ë  breve + dot below
];

/// Decodes TCVN3 (ABC, `.VnTime` fonts) bytes to NFC text. ASCII passes through
/// unchanged, 0x80–0x9F read as Windows-1252 punctuation. Toned capitals come
/// back lowercase (module documentation, "Case in TCVN3"). Never fails: every
/// byte has a meaning.
pub fn decode_tcvn3(bytes: &[u8]) -> String {
    let raw: String = bytes.iter().map(|&b| tcvn3_char(b)).collect();
    super::tone::nfc(&raw)
}

/// Encodes text as TCVN3. A toned capital gets its lowercase letter's code, as
/// the real encoding did, so decoding gives it back lowercase. Punctuation of
/// Windows-1252 gets its 0x80–0x9F byte. None when a char has no TCVN3 code
/// (e.g. "ü", "ñ", or a tone mark left over on a consonant after NFC).
pub fn encode_tcvn3(s: &str) -> Option<Vec<u8>> {
    let codes = tcvn3_codes();
    let mut out = Vec::with_capacity(s.len());
    for c in s.nfc() {
        let code = if c.is_ascii() {
            Some(c as u8)
        } else if let Some(&b) = codes.get(&c) {
            Some(b)
        } else {
            // A toned capital: its lowercase letter's code (0xB5 and up are
            // the toned letters; the hatted capitals have codes of their own).
            super::single_char(c.to_lowercase())
                .filter(|&l| l != c)
                .and_then(|l| codes.get(&l).copied())
                .filter(|&b| b >= 0xB5)
        };
        out.push(code?);
    }
    Some(out)
}

/// Decodes VNI (VNI-Windows, `VNI-Times` fonts) bytes to NFC text.
///
/// Lenient: a mark byte combines with whatever letter it follows when Unicode
/// composes the two into one of the 134 Vietnamese letters, so besides the
/// sequences of [`VNI_LETTERS`] it reads mixed case ("Aø" as "À"), a hat and a
/// tone given as two marks ("aâø" as "ầ") and the variants some converters
/// write ("yï" for ỵ, "iø" for ì). A mark byte that combines with nothing is
/// read as its Latin-1 char; 0x80–0x9F as Windows-1252. Never fails.
pub fn decode_vni(bytes: &[u8]) -> String {
    let t = vni_tables();
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for &b in bytes {
        if let Some(marks) = t.marks[usize::from(b)] {
            if let Some(c) = out.chars().next_back().and_then(|prev| t.combine(prev, marks)) {
                out.pop();
                out.push(c);
                continue;
            }
        }
        out.push(t.single[usize::from(b)].unwrap_or_else(|| ansi_char(b)));
    }
    super::tone::nfc(&out)
}

/// Encodes text as VNI. None when a char has no VNI form: a letter outside
/// Vietnamese and Latin-1 (e.g. "ş"), or a Latin-1 char whose byte VNI uses for
/// a mark or a letter (e.g. "ö", "ñ").
pub fn encode_vni(s: &str) -> Option<Vec<u8>> {
    let t = vni_tables();
    let mut out = Vec::with_capacity(s.len() + s.len() / 2);
    for c in s.nfc() {
        if let Some(seq) = t.encode.get(&c) {
            out.extend_from_slice(seq);
            continue;
        }
        let b = ansi_byte(c)?;
        let taken = t.single[usize::from(b)].is_some() || t.marks[usize::from(b)].is_some();
        if b >= 0x80 && taken {
            return None;
        }
        out.push(b);
    }
    Some(out)
}

fn tcvn3_char(b: u8) -> char {
    match b {
        0x00..=0x7F => char::from(b),
        0x80..=0x9F => CP1252_C1[usize::from(b - 0x80)],
        _ => TCVN3_HIGH[usize::from(b - 0xA0)],
    }
}

/// Char → TCVN3 byte for everything but ASCII and the toned capitals: the
/// Windows-1252 range and the VN3 part of [`TCVN3_HIGH`].
fn tcvn3_codes() -> &'static HashMap<char, u8> {
    static CODES: OnceLock<HashMap<char, u8>> = OnceLock::new();
    CODES.get_or_init(|| {
        let c1 = (0x80u8..=0x9F).map(|b| (CP1252_C1[usize::from(b - 0x80)], b));
        let high = (0xA0u8..=0xFF)
            .filter(|b| !TCVN3_VN1_ONLY.contains(b))
            .map(|b| (TCVN3_HIGH[usize::from(b - 0xA0)], b));
        c1.chain(high).collect()
    })
}

/// The Windows ANSI reading of a byte that neither layout uses for a letter:
/// ASCII, Windows-1252 at 0x80–0x9F, Latin-1 above.
fn ansi_char(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_C1[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn ansi_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        n @ (0..=0x7F | 0xA0..=0xFF) => u8::try_from(n).ok(),
        _ => CP1252_C1
            .iter()
            .position(|&x| x == c)
            .and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

/// Share of words (runs of 2+ letters, or any run with a non-ASCII letter) that
/// carry a Vietnamese letter *and* are a well-formed Vietnamese syllable: an
/// onset, a Vietnamese rhyme and at most one tone, a checked rhyme (ending in
/// p, t, c, ch) taking only sắc or nặng. The right legacy table
/// scores about as [`vietnamese_score`](crate::vntext::decode::vietnamese_score)
/// does (0.9 on prose); a wrong one much lower. `vietnamese_score` alone cannot
/// choose between TCVN3 and VNI: every VNI mark byte is a letter in TCVN3, so
/// VNI bytes read as TCVN3 are full of Vietnamese letters
/// ("Vieät" becomes "Vieọt"), in syllables no one writes.
pub fn syllable_score(text: &str) -> f64 {
    let mut words = 0usize;
    let mut good = 0usize;
    for w in text.split(|c: char| !crate::vntext::is_letter_or_mark(c)) {
        if w.chars().count() < 2 && w.is_ascii() {
            continue;
        }
        words += 1;
        if w.chars().any(crate::vntext::decode::is_vietnamese_letter) && is_vietnamese_syllable(w) {
            good += 1;
        }
    }
    if words == 0 {
        0.0
    } else {
        good as f64 / words as f64
    }
}

/// Onsets, longest first; "" for a syllable that starts with its vowel.
const ONSETS: [&str; 28] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu", "b", "c", "d", "đ", "g", "h", "k",
    "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
];

/// Vietnamese rhymes without their tone (the glide of "qu" belongs to the onset,
/// so "quyết" is "qu" + "yêt"). Generous rather than exact: it is a
/// plausibility test, not a spelling checker.
#[rustfmt::skip]
const RHYMES: [&str; 165] = [
    "a", "ai", "ao", "au", "ay", "am", "an", "ang", "anh", "ap", "at", "ac", "ach",
    "ăm", "ăn", "ăng", "ăp", "ăt", "ăc",
    "âm", "ân", "âng", "âp", "ât", "âc", "âu", "ây",
    "e", "em", "en", "eng", "ep", "et", "ec", "eo",
    "ê", "êm", "ên", "ênh", "êp", "êt", "êch", "êu",
    "i", "ia", "im", "in", "inh", "ip", "it", "ich", "iu",
    "iêm", "iên", "iêng", "iêp", "iêt", "iêc", "iêu",
    "y", "ya", "yêm", "yên", "yêng", "yêt", "yêu", "ynh", "ych", "yt", "yu",
    "o", "oi", "om", "on", "ong", "op", "ot", "oc", "oong", "ooc",
    "ô", "ôi", "ôm", "ôn", "ông", "ôp", "ôt", "ôc",
    "ơ", "ơi", "ơm", "ơn", "ơp", "ơt",
    "u", "ua", "ui", "um", "un", "ung", "up", "ut", "uc",
    "uôi", "uôm", "uôn", "uông", "uôt", "uôc",
    "ư", "ưa", "ưi", "ưu", "ưm", "ưn", "ưng", "ưt", "ưc",
    "ươi", "ươu", "ươm", "ươn", "ương", "ươp", "ươt", "ươc",
    "oa", "oai", "oay", "oam", "oan", "oang", "oanh", "oap", "oat", "oac", "oach",
    "oăm", "oăn", "oăng", "oăt", "oăc", "oe", "oem", "oen", "oet", "oeo",
    "uân", "uâng", "uât", "uây", "uê", "uên", "uênh", "uêt", "uêch", "uơ",
    "uy", "uya", "uyên", "uyêt", "uynh", "uych", "uyt", "uyu",
];

/// Whether a word (any case, NFC or NFD, tone on either vowel) is one
/// well-formed Vietnamese syllable.
pub fn is_vietnamese_syllable(word: &str) -> bool {
    // The common case, every char a precomposed letter: each is looked up in
    // a table of its toneless lowercase form and tone instead of decomposing
    // and recomposing the word (this runs on every word of a legacy page's
    // sample, for each table tried).
    let letters = syllable_letters();
    let mut tone = None;
    let mut bare = String::with_capacity(word.len());
    for c in word.chars() {
        match super::latin_index(c).and_then(|i| letters[i]) {
            Some((base, mark)) => {
                if let Some(mark) = mark {
                    if tone.replace(mark).is_some() {
                        return false;
                    }
                }
                bare.push(base);
            }
            None => return syllable_by_decomposing(word),
        }
    }
    well_formed(&bare, tone)
}

/// A letter's toneless lowercase form and its tone mark.
type SyllableLetter = (char, Option<char>);

/// For each char of the Latin blocks (by [`latin_index`](super::latin_index)):
/// its toneless lowercase form and its tone mark, where the toneless form is
/// one char. Built once by decomposing each, as [`syllable_by_decomposing`]
/// does for a whole word.
fn syllable_letters() -> &'static [Option<SyllableLetter>] {
    static LETTERS: OnceLock<Vec<Option<SyllableLetter>>> = OnceLock::new();
    LETTERS.get_or_init(|| {
        super::latin_chars()
            .map(|c| {
                let (bare, tone) = toneless(c.encode_utf8(&mut [0; 4]))?;
                Some((super::single_char(bare.chars())?, tone))
            })
            .collect()
    })
}

/// [`is_vietnamese_syllable`] for any word: decomposed, tone marks taken
/// out, lowercased and recomposed.
fn syllable_by_decomposing(word: &str) -> bool {
    toneless(word).is_some_and(|(bare, tone)| well_formed(&bare, tone))
}

/// Text decomposed, its tone mark taken out, lowercased and recomposed, with
/// the tone mark; None when it has two.
fn toneless(text: &str) -> Option<(String, Option<char>)> {
    let mut tone = None;
    let mut bare = String::with_capacity(text.len());
    for c in text.nfd() {
        if TONE_MARKS.contains(&c) {
            if tone.replace(c).is_some() {
                return None;
            }
        } else {
            bare.extend(c.to_lowercase());
        }
    }
    Some((bare.nfc().collect(), tone))
}

/// Whether a toneless lowercase syllable is an onset and a rhyme, and its
/// tone fits the rhyme (a rhyme ending in p, t, c, ch takes sắc or nặng).
fn well_formed(bare: &str, tone: Option<char>) -> bool {
    // Every onset + rhyme, so that a word is one lookup rather than a
    // prefix test per onset and a lookup per onset that fits (no rhyme is
    // empty, so a syllable ends in p, t, c or ch exactly when its rhyme does).
    // aHash: SipHash's cost per lookup was a tenth of scoring a legacy page.
    static SYLLABLES: OnceLock<std::collections::HashSet<String, ahash::RandomState>> = OnceLock::new();
    let syllables = SYLLABLES.get_or_init(|| {
        ONSETS
            .iter()
            .flat_map(|o| RHYMES.iter().map(move |r| format!("{o}{r}")))
            .collect()
    });
    let checked = ["p", "t", "c", "ch"].iter().any(|end| bare.ends_with(end));
    syllables.contains(bare) && (!checked || matches!(tone, Some('\u{301}' | '\u{323}')))
}

/// Lookup tables built once from [`VNI_LETTERS`] and [`VNI_MARKS`].
struct VniTables {
    /// Byte → the letter it is on its own (đ ơ ư ì í ỉ ĩ ị ỵ, both cases).
    single: [Option<char>; 256],
    /// Byte → the combining marks it adds to the letter before it.
    marks: [Option<&'static str>; 256],
    /// Letter → its VNI bytes.
    encode: HashMap<char, &'static [u8]>,
}

impl VniTables {
    /// `prev` with `marks` added, when that makes one Vietnamese letter.
    fn combine(&self, prev: char, marks: &str) -> Option<char> {
        super::single_char(std::iter::once(prev).chain(marks.chars()).nfc())
            .filter(|c| self.encode.contains_key(c))
    }
}

fn vni_tables() -> &'static VniTables {
    static TABLES: OnceLock<VniTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut single = [None; 256];
        let mut marks = [None; 256];
        for &(c, seq) in &VNI_LETTERS {
            if let [b] = seq {
                single[usize::from(*b)] = Some(c);
            }
        }
        for &(lower, upper, m) in &VNI_MARKS {
            marks[usize::from(lower)] = Some(m);
            marks[usize::from(upper)] = Some(m);
        }
        let encode = VNI_LETTERS.iter().copied().collect();
        VniTables {
            single,
            marks,
            encode,
        }
    })
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The table of letters gives what decomposing the word gives.
        #[test]
        fn the_letter_table_reads_syllables_as_decomposing_does(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "ngh", "ng", "nh", "tr", "qu", "gi", "Th", "Đ", "đ", "b", "c", "x", "K",
                "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "A", "Ơ", "Ư",
                "ế", "Ế", "ộ", "Ộ", "ị", "ữ", "ờ", "ả", "ẵ", "ỷ", "Ỹ", "ch", "p", "t", "m", "n",
                "\u{301}", "\u{323}", "\u{300}", "\u{302}", "ø", "ß", "İ", "1",
            ]), 1..6)
        ) {
            let word: String = parts.concat();
            proptest::prop_assert_eq!(
                super::is_vietnamese_syllable(&word),
                super::syllable_by_decomposing(&word),
                "{}", word
            );
        }
    }

    /// The first `well_formed`: a prefix test per onset, then the rhyme looked up.
    fn reference_well_formed(bare: &str, tone: Option<char>) -> bool {
        let rhymes: std::collections::HashSet<&str> = super::RHYMES.into_iter().collect();
        super::ONSETS
            .iter()
            .filter_map(|o| bare.strip_prefix(o))
            .any(|rhyme| {
                let checked = ["p", "t", "c", "ch"].iter().any(|end| rhyme.ends_with(end));
                rhymes.contains(rhyme) && (!checked || matches!(tone, Some('\u{301}' | '\u{323}')))
            })
    }

    /// Every onset with every rhyme, and with a letter more, under each tone.
    #[test]
    fn one_lookup_of_onset_and_rhyme_matches_the_reference_on_all_syllables() {
        let tones = [
            None,
            Some('\u{300}'),
            Some('\u{301}'),
            Some('\u{303}'),
            Some('\u{309}'),
            Some('\u{323}'),
        ];
        let mut good = 0;
        for o in super::ONSETS {
            for r in super::RHYMES {
                for extra in ["", "h", "c", "g"] {
                    let bare = format!("{o}{r}{extra}");
                    for tone in tones {
                        let new = super::well_formed(&bare, tone);
                        assert_eq!(new, reference_well_formed(&bare, tone), "{bare} {tone:?}");
                        good += usize::from(new);
                    }
                }
            }
        }
        assert!(good > 10_000, "{good}");
        assert!(!super::well_formed("ac", None));
        assert!(super::well_formed("ac", Some('\u{301}')));
        assert!(!super::well_formed("bach", Some('\u{300}')));
    }

    proptest::proptest! {
        #[test]
        fn one_lookup_of_onset_and_rhyme_matches_the_reference(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "qu", "tr", "b", "đ", "h", "k", "x",
                "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "iê", "uô", "ươ", "yê",
                "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u", "y",
            ]), 1..5),
            tone in proptest::sample::select(vec![None, Some('\u{300}'), Some('\u{301}'), Some('\u{323}')]),
        ) {
            let bare: String = parts.concat();
            proptest::prop_assert_eq!(super::well_formed(&bare, tone), reference_well_formed(&bare, tone), "{}", bare);
        }
    }

    use super::*;
    use crate::vntext::decode::vietnamese_score;
    use encoding_rs::{WINDOWS_1252, WINDOWS_1258};

    /// A year-end review report that uses all 67 lowercase Vietnamese letters.
    const REPORT: &str = "Sáng 8/1/2024, Đảng ủy phường Tân Lập tổ chức Hội nghị tổng kết công tác \
        xây dựng Đảng năm 2023, triển khai nhiệm vụ năm 2024. Đồng chí Nguyễn Văn Hùng, Ủy viên \
        Ban Thường vụ Thành ủy, Phó Chủ tịch HĐND thành phố dự và phát biểu chỉ đạo. Năm vừa qua, \
        Đảng bộ đã lãnh đạo hoàn thành 11/11 chỉ tiêu; thu ngân sách đạt 109% kế hoạch; kết nạp \
        07 đảng viên mới; tỷ lệ hộ nghèo giảm còn 0,5%. Công tác giải phóng mặt bằng được đẩy \
        mạnh, an ninh trật tự được giữ vững, khu vực trũng thấp ven sông được kè chắc chắn, không \
        để xảy ra sự cố. Hội nghị khẳng định những kết quả đặc sắc, đồng thời chỉ rõ hạn chế: \
        việc sẵn sàng ứng phó thiên tai ở huyện lỵ cũ còn chậm, một số chi bộ sinh hoạt chưa \
        chặt chẽ, nhiều hộ kinh doanh nhỏ lẻ gặp khó khăn. Đồng chí Bí thư nhấn mạnh kỷ cương, \
        kỹ năng, ý thức trách nhiệm của người đứng đầu; yêu cầu tiếp tục chú trọng đào tạo cán \
        bộ trẻ, hướng dẫn nhân dân phát triển kinh tế phù hợp, giúp đỡ gia đình chính sách, đổi \
        mới phương thức lãnh đạo, duy trì nền nếp sinh hoạt và lựa chọn nhân sự bầu cử kỳ tới. \
        Dịp này, 15 tập thể và 23 cá nhân được xét khen thưởng; mỗi chi bộ đăng ký một việc làm \
        cụ thể, gắn với học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh. Ngân sách \
        xã hội hóa gần 1,2 tỷ đồng; nghĩa tình đồng đội được giữ gìn, lĩnh vực văn hóa có nhiều \
        điểm sáng, lễ hội diễn ra an toàn, tiết kiệm; chè xanh, bưởi, nhãn, vải là những sản \
        phẩm chủ lực; phấn đấu năm 2024 thu nhập bình quân đạt 68,5 triệu đồng/người/năm, không \
        để lẫn lộn, trì trệ, lãng phí, nhũng nhiễu; mở rộng hẻm, cải tạo hồ Vĩ Dạ, thăm hỏi Mẹ \
        Việt Nam Anh hùng, thực hiện tốt chế độ ẩn danh, một ý kiến nhỏ cũng được ghi nhận, \
        lắng nghe thẳng thắn, cởi mở.";

    /// The report, then the same in capitals as a heading would be: every one
    /// of the 134 letters.
    fn report_both_cases() -> String {
        format!("{REPORT}\n{}\n", REPORT.to_uppercase())
    }

    fn vietnamese_letters() -> Vec<char> {
        VNI_LETTERS.iter().map(|&(c, _)| c).collect()
    }

    /// What TCVN3 keeps of a text: toned capitals become lowercase.
    fn lower_toned_capitals(s: &str) -> String {
        s.chars()
            .map(|c| {
                if c.is_uppercase() && c.nfd().any(|m| TONE_MARKS.contains(&m)) {
                    c.to_lowercase().next().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect()
    }

    #[test]
    fn report_uses_every_letter() {
        let text = report_both_cases();
        let letters = vietnamese_letters();
        assert_eq!(letters.len(), 134);
        let mut distinct = letters.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 134);
        let missing: Vec<char> = letters.into_iter().filter(|&c| !text.contains(c)).collect();
        assert!(missing.is_empty(), "missing {missing:?}");
    }

    #[test]
    fn tcvn3_round_trip() {
        let text = report_both_cases();
        let bytes = encode_tcvn3(&text).expect("every Vietnamese letter has a TCVN3 code");
        assert_eq!(decode_tcvn3(&bytes), lower_toned_capitals(&text));
        // Lowercase text comes back exactly.
        let lower = REPORT.to_lowercase();
        assert_eq!(decode_tcvn3(&encode_tcvn3(&lower).unwrap()), lower);
        // Each of the 134 letters on its own, and decomposed input too.
        for c in vietnamese_letters() {
            let s = c.to_string();
            assert_eq!(
                decode_tcvn3(&encode_tcvn3(&s).unwrap()),
                lower_toned_capitals(&s),
                "{c}"
            );
            let nfd: String = s.nfd().collect();
            assert_eq!(encode_tcvn3(&nfd), encode_tcvn3(&s), "{c}");
        }
    }

    #[test]
    fn vni_round_trip() {
        let text = report_both_cases();
        let bytes = encode_vni(&text).expect("every Vietnamese letter has a VNI form");
        assert_eq!(decode_vni(&bytes), text);
        for c in vietnamese_letters() {
            let s = c.to_string();
            assert_eq!(decode_vni(&encode_vni(&s).unwrap()), s, "{c}");
            let nfd: String = s.nfd().collect();
            assert_eq!(encode_vni(&nfd), encode_vni(&s), "{c}");
        }
    }

    #[test]
    fn tcvn3_known_bytes() {
        assert_eq!(encode_tcvn3("Hội nghị").unwrap(), b"H\xE9i ngh\xDE");
        assert_eq!(decode_tcvn3(b"H\xE9i ngh\xDE"), "Hội nghị");
        assert_eq!(decode_tcvn3(b"\xA7\xB6ng \xF1y ph\xAD\xEAng"), "Đảng ủy phường");
        let known = [
            ('à', 0xB5),
            ('ả', 0xB6),
            ('ã', 0xB7),
            ('á', 0xB8),
            ('ạ', 0xB9),
            ('Ă', 0xA1),
            ('Đ', 0xA7),
            ('ă', 0xA8),
            ('đ', 0xAE),
            ('ư', 0xAD),
            ('ộ', 0xE9),
            ('ị', 0xDE),
            ('ứ', 0xF8),
            ('ỵ', 0xFE),
        ];
        for (c, b) in known {
            assert_eq!(encode_tcvn3(&c.to_string()).unwrap(), [b], "{c}");
            assert_eq!(decode_tcvn3(&[b]), c.to_string());
        }
        // Toned capitals share the lowercase codes; hatted ones have their own.
        assert_eq!(encode_tcvn3("HỘI NGHỊ").unwrap(), b"H\xE9I NGH\xDE");
        assert_eq!(decode_tcvn3(b"H\xE9I NGH\xDE"), "HộI NGHị");
        assert_eq!(encode_tcvn3("ĐƠN VỊ").unwrap(), b"\xA7\xA5N V\xDE");
        // Bytes only VN1 assigns still decode as VN1 does; encoding avoids them.
        assert_eq!(decode_tcvn3(b"\xC0\xFF"), "ẮỐ");
        assert_eq!(encode_tcvn3("Ắ").unwrap(), [0xBE]);
        assert_eq!(decode_tcvn3(b"a\xB3"), "á");
        assert_eq!(encode_tcvn3("q\u{301}"), None);
        // Windows-1252 punctuation at 0x80–0x9F.
        assert_eq!(
            decode_tcvn3(b"\x93Ch\xAD\xACng tr\xD7nh\x94 \x96 \x85"),
            "“Chương trình” – …"
        );
        assert_eq!(encode_tcvn3("“tư” — …").unwrap(), b"\x93t\xAD\x94 \x97 \x85");
        assert_eq!(encode_tcvn3("Müller"), None);
        assert_eq!(encode_tcvn3("µ"), None);
    }

    #[test]
    fn vni_known_bytes() {
        assert_eq!(encode_vni("Việt Nam").unwrap(), b"Vie\xE4t Nam");
        assert_eq!(decode_vni(b"Vie\xE4t Nam"), "Việt Nam");
        assert_eq!(encode_vni("người").unwrap(), b"ng\xF6\xF4\xF8i");
        assert_eq!(
            decode_vni(b"\xD1a\xFBng u\xFBy ph\xF6\xF4\xF8ng"),
            "Đảng ủy phường"
        );
        assert_eq!(encode_vni("HỘI NGHỊ").unwrap(), b"HO\xC4I NGH\xD2");
        assert_eq!(decode_vni(b"HO\xC4I NGH\xD2"), "HỘI NGHỊ");
        let known: [(char, &[u8]); 10] = [
            ('đ', b"\xF1"),
            ('Đ', b"\xD1"),
            ('ơ', b"\xF4"),
            ('ư', b"\xF6"),
            ('ị', b"\xF2"),
            ('ĩ', b"\xF3"),
            ('ỵ', b"\xEE"),
            ('ẳ', b"a\xFA"),
            ('Ẵ', b"A\xDC"),
            ('ữ', b"\xF6\xF5"),
        ];
        for (c, seq) in known {
            assert_eq!(encode_vni(&c.to_string()).unwrap(), seq, "{c}");
            assert_eq!(decode_vni(seq), c.to_string());
        }
        assert_eq!(encode_vni("Müller"), None);
        assert_eq!(encode_vni("España"), None);
        assert_eq!(encode_vni("“x” – 5°").unwrap(), b"\x93x\x94 \x96 5\xB0");
    }

    #[test]
    fn vni_lenient_forms() {
        // Mixed case, a hat and a tone as two marks, variants other converters write.
        assert_eq!(decode_vni(b"A\xF8"), "À");
        assert_eq!(decode_vni(b"a\xD8"), "à");
        assert_eq!(decode_vni(b"a\xE2\xF8"), "ầ");
        assert_eq!(decode_vni(b"\xF4\xF8"), "ờ");
        assert_eq!(decode_vni(b"y\xEF"), "ỵ");
        assert_eq!(decode_vni(b"i\xF8 i\xF9"), "ì í");
        // A mark after something it cannot go on stays its Latin-1 char.
        assert_eq!(decode_vni(b"n\xF8 5\xF9 a\xF9\xF8"), "nø 5ù áø");
        assert_eq!(decode_vni(b"\xF8"), "ø");
    }

    #[test]
    fn vni_letters_agree_with_marks() {
        // Each two-byte entry is its base letter plus what the mark byte adds,
        // and the mark byte is the capital form exactly when the letter is.
        let t = vni_tables();
        for &(c, seq) in &VNI_LETTERS {
            match seq {
                [b] => assert!(t.marks[usize::from(*b)].is_none(), "{c}"),
                [base, mark] => {
                    let base_char = t.single[usize::from(*base)].unwrap_or(char::from(*base));
                    let marks = t.marks[usize::from(*mark)].expect("a mark byte");
                    let composed: String = std::iter::once(base_char).chain(marks.chars()).nfc().collect();
                    assert_eq!(composed, c.to_string());
                    let capital_mark = VNI_MARKS.iter().any(|&(_, upper, _)| upper == *mark);
                    assert_eq!(capital_mark, c.is_uppercase(), "{c}");
                }
                _ => panic!("{c}: VNI letters are one or two bytes"),
            }
        }
    }

    #[test]
    fn ascii_passes_through() {
        let ascii: Vec<u8> = (0u8..0x80).collect();
        let expected: String = ascii.iter().map(|&b| char::from(b)).collect();
        assert_eq!(decode_tcvn3(&ascii), expected);
        assert_eq!(decode_vni(&ascii), expected);
        assert_eq!(encode_tcvn3(&expected).unwrap(), ascii);
        assert_eq!(encode_vni(&expected).unwrap(), ascii);
        let plain = "UBND phuong Tan Lap: 1.020 ho, dat 109% KH (nam 2023).";
        assert_eq!(decode_tcvn3(plain.as_bytes()), plain);
        assert_eq!(decode_vni(plain.as_bytes()), plain);
    }

    #[test]
    fn cp1252_range_matches_encoding_rs() {
        for b in 0x80u8..=0x9F {
            let byte = [b];
            let (s, _, _) = WINDOWS_1252.decode(&byte);
            assert_eq!(
                s.chars().collect::<Vec<_>>(),
                [CP1252_C1[usize::from(b - 0x80)]],
                "{b:#x}"
            );
            assert_eq!(decode_tcvn3(&[b]), s, "{b:#x}");
            assert_eq!(decode_vni(&[b]), s, "{b:#x}");
        }
    }

    #[test]
    fn tcvn3_table_shape() {
        // VN3 proper: 7 hatted capitals, 7 hatted lowercase letters and the 60
        // lowercase toned letters, each once; the rest is NBSP and VN1's extras.
        let codes = tcvn3_codes();
        let letters: Vec<char> = vietnamese_letters()
            .into_iter()
            .filter(|c| codes.contains_key(c))
            .collect();
        assert_eq!(letters.len(), 74);
        assert!(letters
            .iter()
            .all(|c| c.is_lowercase() || !c.nfd().any(|m| TONE_MARKS.contains(&m))));
        for &b in &TCVN3_VN1_ONLY {
            let c = TCVN3_HIGH[usize::from(b - 0xA0)];
            assert!(c.is_uppercase() || TONE_MARKS.contains(&c), "{b:#x}");
        }
    }

    /// Text as Windows-1258 stores it: hatted letters precomposed, the tone a
    /// separate combining mark (as in decode.rs's tests).
    fn cp1258_bytes(s: &str) -> Vec<u8> {
        let mut stored = String::new();
        for c in s.chars() {
            let d: String = c.nfd().collect();
            stored.extend(
                d.chars()
                    .filter(|m| !TONE_MARKS.contains(m))
                    .collect::<String>()
                    .nfc(),
            );
            stored.extend(d.chars().filter(|m| TONE_MARKS.contains(m)));
        }
        let (bytes, _, unmappable) = WINDOWS_1258.encode(&stored);
        assert!(!unmappable);
        bytes.into_owned()
    }

    type Reader = fn(&[u8]) -> String;

    fn as_1258(bytes: &[u8]) -> String {
        WINDOWS_1258.decode(bytes).0.nfc().collect()
    }

    #[test]
    fn vietnamese_score_separates_most_wrong_readings() {
        let tcvn3 = encode_tcvn3(REPORT).unwrap();
        let vni = encode_vni(REPORT).unwrap();
        let right_tcvn3 = vietnamese_score(&decode_tcvn3(&tcvn3));
        let right_vni = vietnamese_score(&decode_vni(&vni));
        assert!(right_tcvn3 > 0.8 && right_vni > 0.8, "{right_tcvn3} {right_vni}");
        for (what, wrong) in [
            ("TCVN3 read as VNI", vietnamese_score(&decode_vni(&tcvn3))),
            ("TCVN3 read as Windows-1258", vietnamese_score(&as_1258(&tcvn3))),
            ("VNI read as Windows-1258", vietnamese_score(&as_1258(&vni))),
        ] {
            assert!(wrong < right_tcvn3 - 0.3, "{what}: {wrong} against {right_tcvn3}");
        }
        // But not VNI read as TCVN3: every VNI mark byte is a TCVN3 letter, so
        // each toned word still has one ("Vieät" reads "Vieọt"). The detector
        // needs syllable_score for that choice (next test).
        let vni_as_tcvn3 = vietnamese_score(&decode_tcvn3(&vni));
        assert!(vni_as_tcvn3 > 0.8, "{vni_as_tcvn3}");
    }

    #[test]
    fn syllable_score_picks_the_right_table() {
        let encoded: [(&str, Vec<u8>); 3] = [
            ("tcvn3", encode_tcvn3(REPORT).unwrap()),
            ("vni", encode_vni(REPORT).unwrap()),
            ("windows-1258", cp1258_bytes(REPORT)),
        ];
        let readers: [(&str, Reader); 3] = [
            ("tcvn3", decode_tcvn3),
            ("vni", decode_vni),
            ("windows-1258", as_1258),
        ];
        for (truth, bytes) in &encoded {
            for (name, read) in readers {
                let score = syllable_score(&read(bytes));
                if name == *truth {
                    assert!(score > 0.8, "{truth} read right: {score}");
                } else {
                    assert!(score < 0.3, "{truth} read as {name}: {score}");
                }
            }
        }
        // All capitals (a TCVN3 heading comes back "HộI NGHị") still score.
        let heading = REPORT.to_uppercase();
        assert!(syllable_score(&decode_tcvn3(&encode_tcvn3(&heading).unwrap())) > 0.8);
        assert!(syllable_score(&decode_vni(&encode_vni(&heading).unwrap())) > 0.8);
    }

    #[test]
    fn syllables() {
        for w in [
            "nghị",
            "Đảng",
            "ủy",
            "uỷ",
            "phường",
            "quyết",
            "Quỳnh",
            "giữ",
            "gì",
            "khuya",
            "thuở",
            "xoong",
            "HỘI",
            "hoà",
            "hòa",
            "khoẻ",
        ] {
            assert!(is_vietnamese_syllable(w), "{w}");
        }
        for w in [
            "Vieọt",
            "Héi",
            "nghÞ",
            "phửụứng",
            "aá",
            "mát́",
            "đàt",
            "Müller",
            "ngàý",
        ] {
            assert!(!is_vietnamese_syllable(w), "{w}");
        }
        assert_eq!(syllable_score("UBND 1.020 ha"), 0.0);
    }
}

/// TCVN3 has no codes for toned capitals, so "Ngô Thị Ánh" decodes as "Ngô
/// Thị ánh". Restores the capital where the context leaves no doubt: the first
/// letter of a line or sentence, and a syllable inside a run of capitalised
/// words (the word before is capitalised, the one after is capitalised or
/// punctuation); and a word in capitals ("NGọC" is "NGỌC"). A name's last syllable before a lowercase word ("Lê Văn út
/// phát biểu") stays lowercase: restoring it there would also capitalise
/// "ở" in "Trần Văn Mười ở thôn 3". "Đảng ủy phường" stays as it is; "Đảng ủy," becomes "Đảng Ủy,",
/// a difference of case only.
pub fn restore_tcvn3_capitals(text: &str) -> String {
    let starts_lower = |w: &str| w.chars().next().is_some_and(char::is_lowercase);
    let capitalised = |w: &str| {
        let mut cs = w.chars();
        cs.next().is_some_and(char::is_uppercase) && cs.all(|c| !c.is_uppercase())
    };
    let capitalise = |w: &str| {
        let mut cs = w.chars();
        cs.next()
            .map(|c| c.to_uppercase().chain(cs).collect::<String>())
            .unwrap_or_default()
    };
    let mut out = String::with_capacity(text.len());
    for (li, line) in text.split('\n').enumerate() {
        if li > 0 {
            out.push('\n');
        }
        let words: Vec<&str> = line.split(' ').collect();
        let mut sentence_start = true;
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let letters = w.trim_start_matches(|c: char| !crate::vntext::is_letter(c));
            let lead = &w[..w.len() - letters.len()];
            let core = letters.trim_end_matches(|c: char| !crate::vntext::is_letter(c));
            let prev_cap =
                i > 0 && capitalised(words[i - 1].trim_matches(|c: char| !crate::vntext::is_letter(c)));
            let prev_ends_clause = i > 0 && words[i - 1].ends_with([',', ';', ':']);
            let next = words.get(i + 1).copied().unwrap_or("");
            let next_ok = next.is_empty() || capitalised(next) || !next.starts_with(crate::vntext::is_letter);
            let restore = starts_lower(core)
                && core.chars().next().is_some_and(|c| !c.is_ascii())
                && (sentence_start
                    || (prev_cap && !prev_ends_clause && (next_ok || core.len() != letters.len())));
            // "NGọC áNH": a word in capitals whose toned letters came back lowercase.
            let upper_count = core.chars().filter(|c| c.is_uppercase()).count();
            let in_capitals =
                upper_count >= 2 && core.chars().filter(|c| c.is_lowercase()).all(|c| !c.is_ascii());
            if in_capitals {
                out.push_str(&w.to_uppercase());
            } else if restore {
                out.push_str(lead);
                out.push_str(&capitalise(letters));
            } else {
                out.push_str(w);
            }
            if !w.is_empty() {
                sentence_start = w.ends_with(['.', '!', '?', '…']);
            }
        }
    }
    out
}

#[cfg(test)]
mod capital_tests {
    use super::*;

    #[test]
    fn capitals_come_back_where_the_context_is_clear() {
        let decoded = decode_tcvn3(
            &encode_tcvn3("Đồng chí Ngô Thị Ánh, Ủy viên Ban Thường vụ. Ông Lê Văn Út phát biểu.").unwrap(),
        );
        assert_eq!(
            decoded,
            "Đồng chí Ngô Thị ánh, ủy viên Ban Thường vụ. Ông Lê Văn út phát biểu."
        );
        assert_eq!(
            restore_tcvn3_capitals(&decoded),
            "Đồng chí Ngô Thị Ánh, ủy viên Ban Thường vụ. Ông Lê Văn út phát biểu."
        );
        assert_eq!(
            restore_tcvn3_capitals("ông Trần Văn Mười ở thôn 3"),
            "Ông Trần Văn Mười ở thôn 3"
        );
        // A word in capitals is all capitals again; "Đảng", "Bộ" are left alone.
        assert_eq!(
            restore_tcvn3_capitals("NGọC áNH\nĐảng bộ Bộ ĐộI"),
            "NGỌC ÁNH\nĐảng bộ Bộ ĐỘI"
        );
        assert_eq!(restore_tcvn3_capitals("Đảng ủy phường họp"), "Đảng ủy phường họp");
        assert_eq!(restore_tcvn3_capitals("ủy ban nhân dân"), "Ủy ban nhân dân");
    }
}
