//! Stage 2, normalize: decode, NFC and one tone placement, spaces, glued
//! abbreviations, page clutter out (its facts kept aside), sentences split.

use chrono::{NaiveDateTime, TimeZone, Utc};

use crate::html;
use crate::lexicon::Lexicon;
use crate::model::{DocumentRow, Format, Normalized, NormalizedDocument, Sentence, SourceDocument};
use crate::vntext::decode::{decode_declared, vietnamese_at_least};
use crate::vntext::{date, fold_case_same_len, legacy, name, normalize_text};

/// Below this share of Vietnamese words a page is not Vietnamese.
const MIN_VIETNAMESE_SCORE: f64 = 0.12;

fn base_row(src: &SourceDocument) -> DocumentRow {
    DocumentRow {
        doc_id: src.doc_id.clone(),
        source: src.source.clone(),
        content_sha256: src.content_sha256.clone(),
        format: src.format.as_str(),
        encoding: "utf-8",
        title: None,
        published_at: None,
        author: None,
        n_chars: 0,
        status: "quarantined",
        error: None,
    }
}

/// A quarantined row with a reason a person understands.
pub fn quarantine(src: &SourceDocument, reason: impl Into<String>) -> DocumentRow {
    let mut row = base_row(src);
    row.error = Some(reason.into());
    row
}

/// Every kind of space as one plain space, runs collapsed, ends trimmed.
pub fn clean_spaces(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut last_space = true;
    // Runs of ordinary chars are copied whole: most of a line is one. The
    // line is walked by bytes: an ASCII byte is classed by itself, and a
    // char past ASCII is decoded only when its lead byte is one that a
    // space, control or dropped char starts with.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let c = if b < 0x80 {
            if starts_ordinary_char(b) {
                i += 1;
                continue;
            }
            // A single space between ordinary chars stays as it is: it is
            // part of the run (most spaces of a line are such).
            if b == b' ' && run < i && bytes.get(i + 1).is_some_and(|&n| starts_ordinary_char(n)) {
                i += 1;
                continue;
            }
            char::from(b)
        } else if SPECIAL_LEAD_BYTES.contains(&b) {
            match line[i..].chars().next() {
                Some(c) if is_space_or_dropped(c) => c,
                Some(c) => {
                    i += c.len_utf8();
                    continue;
                }
                None => break,
            }
        } else {
            // Another lead byte, or a continuation byte: an ordinary char.
            i += 1;
            continue;
        };
        if run < i {
            out.push_str(&line[run..i]);
            last_space = false;
        }
        if c.is_ascii() || !is_dropped(c) {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        }
        i += c.len_utf8();
        run = i;
    }
    if run < line.len() {
        out.push_str(&line[run..]);
    }
    out.truncate(out.trim_end().len());
    out
}

/// The UTF-8 lead bytes of the chars past ASCII that [`is_space_or_dropped`]
/// holds: C1 controls, no-break space and soft hyphen (C2), the Ogham space
/// (E1), the spaces and zero-widths of U+2000 to U+205F (E2), the
/// ideographic space (E3) and the byte order mark (EF). A test checks every
/// char against this list.
const SPECIAL_LEAD_BYTES: [u8; 5] = [0xC2, 0xE1, 0xE2, 0xE3, 0xEF];

/// Whether a char that starts with byte `b` is copied as it is for sure:
/// an ASCII char other than a space or control, or a char past ASCII whose
/// lead byte no special char has. (A continuation byte never comes here.)
fn starts_ordinary_char(b: u8) -> bool {
    if b < 0x80 {
        b != b' ' && !b.is_ascii_control()
    } else {
        !SPECIAL_LEAD_BYTES.contains(&b)
    }
}

/// Invisible chars taken out of a line: zero-width spaces and joiners, the
/// byte order mark, the soft hyphen.
fn is_dropped(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}')
}

/// A char [`clean_spaces`] does not copy as it is: a space of any width, a
/// control char (read as a space) or a dropped one.
fn is_space_or_dropped(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    ) || c.is_control()
        || is_dropped(c)
}

/// Splits "UBNDphường" into "UBND phường".
fn unglue(lx: &Lexicon, line: String) -> String {
    let Some(re) = &lx.abbreviations.glued else {
        return line;
    };
    // Most lines have nothing glued: they are handed back, not copied.
    let split = match re.replace_all(&line, "$1 $2") {
        std::borrow::Cow::Owned(split) => Some(split),
        std::borrow::Cow::Borrowed(_) => None,
    };
    split.unwrap_or(line)
}

/// The lines of a text, split at "\n", "\r" and the Unicode line and
/// paragraph separators, as `str::split` with those four chars splits it.
/// The separators are found as bytes: "\n" and "\r" are ASCII, and U+2028,
/// U+2029 are the only chars whose UTF-8 starts E2 80 A8 or E2 80 A9.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        // memchr3 finds the candidates with vector compares: this runs over
        // every byte of every page.
        let mut i = from;
        while let Some(p) = memchr::memchr3(b'\n', b'\r', 0xE2, &bytes[i..]) {
            let at = i + p;
            let width = match bytes[at] {
                b'\n' | b'\r' => 1,
                _ if bytes.get(at + 1) == Some(&0x80) && matches!(bytes.get(at + 2), Some(0xA8 | 0xA9)) => 3,
                _ => {
                    // Another char of the E2 block ("…", "–"): no separator.
                    i = at + 1;
                    continue;
                }
            };
            let line = &text[from..at];
            from = at + width;
            return Some(line);
        }
        done = true;
        Some(&text[from..])
    })
}

fn is_editor_line(lx: &Lexicon, line: &str) -> bool {
    // The labels are lowercase already: the line is folded only as far as a
    // label needs, without a copy.
    lx.editor_labels.iter().any(|label| {
        let mut folded = line.chars().flat_map(char::to_lowercase);
        label.chars().all(|c| folded.next() == Some(c))
    })
}

/// Reads a page. Never panics; anything unreadable becomes a quarantined row.
pub fn normalize(src: &SourceDocument, lx: &Lexicon) -> Normalized {
    if let Some(reason) = &src.rejected {
        return Normalized::Quarantined(Box::new(quarantine(src, reason.clone())));
    }
    // An HTML page may say which charset it is in.
    let declared = if src.format == Format::Html {
        html::declared_charset(&src.bytes)
    } else {
        None
    };
    let decoded = match decode_declared(&src.bytes, declared.as_deref()) {
        Ok(d) => d,
        Err(e) => return Normalized::Quarantined(Box::new(quarantine(src, e.to_string()))),
    };
    let page = match page_text(src, &decoded.text, lx) {
        Ok(p) => p,
        Err(reason) => {
            let mut row = quarantine(src, reason);
            row.encoding = decoded.encoding;
            return Normalized::Quarantined(Box::new(row));
        }
    };
    let text = normalize_text(&page.text);
    let text = if decoded.encoding == "tcvn3" {
        legacy::restore_tcvn3_capitals(&text)
    } else {
        text
    };

    let mut lines: Vec<String> = Vec::new();
    for raw in split_lines(&text) {
        let line = unglue(lx, clean_spaces(raw));
        let trimmed = line.trim();
        let line = if trimmed.len() == line.len() {
            line
        } else {
            trimmed.to_string()
        };
        if !line.is_empty() {
            lines.push(line);
        }
    }

    // The page's own stamp, anywhere in the first lines.
    let mut published_local: Option<NaiveDateTime> = None;
    let mut kept: Vec<String> = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        if published_local.is_none() && i < 12 {
            if let Some(c) = lx.stamp.captures(&line) {
                if let Some(ts) =
                    date::parse_stamp(crate::vntext::collapse_spaces(&c[1].replace(['|', ','], " ")).as_str())
                {
                    published_local = Some(ts);
                    continue;
                }
            }
        }
        kept.push(line);
    }

    // The site footer: from the first footer marker in the last part of the page.
    let n = kept.len();
    let footer_from = kept
        .iter()
        .enumerate()
        .skip(n / 3)
        .find(|(_, l)| lx.footer_start.is_match(l))
        .map(|(i, _)| i)
        .unwrap_or(n);
    let mut footer = String::new();
    let mut body_lines: Vec<String> = Vec::new();
    // An HTML page's footer element: editor lines join the body, the rest is kept aside.

    for line in normalize_text(&page.footer).lines() {
        let line = unglue(lx, clean_spaces(line));
        if is_editor_line(lx, &line) {
            kept.push(line);
        } else if !line.is_empty() {
            footer.push_str(&line);
            footer.push('\n');
        }
    }

    let mut editor_flags: Vec<bool> = Vec::new();
    for (i, line) in kept.into_iter().enumerate() {
        let editor = is_editor_line(lx, &line);
        if i >= footer_from && !editor {
            footer.push_str(&line);
            footer.push('\n');
            continue;
        }
        if !editor && lx.clutter_remove.is_match(&line) {
            continue;
        }
        editor_flags.push(editor);
        body_lines.push(line);
    }

    // The byline: the last line that is only a name (or "Tin, ảnh: name").
    let byline_idx = body_lines
        .iter()
        .enumerate()
        .rev()
        .find(|(i, _)| !editor_flags[*i])
        .filter(|(i, l)| *i > 0 && byline_name(lx, l).is_some())
        .map(|(i, _)| i);

    let mut body = String::new();
    let mut sentences = Vec::new();
    let mut byline = None;
    let mut editor_lines = Vec::new();
    for (p, line) in body_lines.iter().enumerate() {
        if !body.is_empty() {
            body.push('\n');
        }
        let start = body.len();
        body.push_str(line);
        let end = body.len();
        if Some(p) == byline_idx {
            byline = Some((start, end));
        }
        if editor_flags[p] {
            editor_lines.push((start, end));
        }
        for (s, e) in split_sentences(line) {
            sentences.push(Sentence {
                start: start + s,
                end: start + e,
                paragraph: p,
            });
        }
    }

    let mut row = base_row(src);
    row.encoding = decoded.encoding;
    row.title = page
        .title
        .map(|t| normalize_text(&t))
        .or_else(|| body_lines.first().cloned());
    row.author = byline.map(|(s, e)| byline_name(lx, &body[s..e]).unwrap_or_default());
    let meta_published = page.published.as_deref().and_then(parse_published);
    row.published_at = meta_published.or(published_local.map(local_to_utc_ms));
    let published_local = published_local.or_else(|| {
        meta_published
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| (t + chrono::Duration::hours(7)).naive_utc())
    });
    row.n_chars = body.chars().count() as i64;

    if body.trim().is_empty() {
        row.error = Some("no article text is left once page furniture (counters, footers) is removed".into());
        return Normalized::Quarantined(Box::new(row));
    }
    if let Err(score) = vietnamese_at_least(&body, MIN_VIETNAMESE_SCORE) {
        row.error = Some(format!(
            "the text is not Vietnamese (only {:.0}% of its words carry Vietnamese letters)",
            score * 100.0
        ));
        return Normalized::Quarantined(Box::new(row));
    }
    row.status = "ok";
    let folded = fold_case_same_len(&body);
    Normalized::Ok(Box::new(NormalizedDocument {
        row,
        body,
        folded,
        sentences,
        footer,
        byline,
        editor_lines,
        published_local,
        url: page.url,
    }))
}

/// A page's text before line cleaning, with what its container says of it.
struct PageText {
    text: String,
    title: Option<String>,
    published: Option<String>,
    footer: String,
    url: Option<String>,
}

/// The text of a page: a text file as it is; an HTML page's article, with the
/// headline as first line and the byline as last; a dump record's body.
fn page_text(src: &SourceDocument, decoded: &str, lx: &Lexicon) -> Result<PageText, String> {
    let html_body = match (&src.format, &src.record) {
        (Format::Html, _) => true,
        (_, Some(r)) => r.body_is_html,
        _ => false,
    };
    let record = src.record.clone().unwrap_or_default();
    let mut url = record.url.clone();
    let (mut text, title, published, author, footer) = if !html_body {
        (
            decoded.to_string(),
            record.title.clone(),
            record.published.clone(),
            None,
            String::new(),
        )
    } else if src.format == Format::Html || decoded.contains("<body") || decoded.contains("<html") {
        let a = html::extract(decoded, &lx.html).ok_or_else(|| {
            "the HTML page holds no article: no element with enough text outside menus, sidebars and footers"
                .to_string()
        })?;
        let title = record.title.clone().or(a.title);
        url = url.or(a.url);
        (
            a.text,
            title,
            record.published.clone().or(a.published),
            a.author,
            a.footer,
        )
    } else {
        (
            html::fragment_text(decoded, &lx.html),
            record.title.clone(),
            record.published.clone(),
            None,
            String::new(),
        )
    };
    // The headline leads the body, as in a text page.
    if let Some(t) = &title {
        let first = text.lines().next().unwrap_or("").trim();
        if !t.trim().is_empty() && first != t.trim() {
            text = format!("{}\n{text}", t.trim());
        }
    }
    // The byline closes it, where the byline finder looks.
    if let Some(a) = author.filter(|a| !a.trim().is_empty()) {
        let last = text.lines().last().unwrap_or("").trim();
        if !last.contains(a.trim()) {
            text = format!("{text}\n{}", a.trim());
        }
    }
    Ok(PageText {
        text,
        title,
        published,
        footer,
        url,
    })
}

/// A publication time from a meta tag (ISO 8601, with or without offset) or a
/// Vietnamese stamp (local time), as milliseconds UTC.
fn parse_published(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(local_to_utc_ms(t));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(local_to_utc_ms);
    }
    // "Thứ Hai, 15/01/2024 - 09:12", "15/01/2024 09:12".
    let digits: String = s.chars().skip_while(|c| !c.is_ascii_digit()).collect();
    let cleaned = digits.replace(['-', '|', ','], " ");
    let mut parts = cleaned.split_whitespace();
    let date_part = parts.next()?;
    let time_part = parts.next().unwrap_or("00:00");
    date::parse_stamp(&format!("{date_part} {time_part}")).map(local_to_utc_ms)
}

/// Vietnamese local time is UTC+7.
fn local_to_utc_ms(t: NaiveDateTime) -> i64 {
    let utc = t - chrono::Duration::hours(7);
    Utc.from_utc_datetime(&utc).timestamp_millis()
}

/// The name in a byline line, if the line is one.
pub fn byline_name(lx: &Lexicon, line: &str) -> Option<String> {
    let mut l = line.trim().trim_end_matches(['.', ',']).trim();
    for label in &lx.byline_labels {
        if let Some(rest) = l.strip_prefix(label.as_str()) {
            if let Some(rest) = rest.trim_start().strip_prefix(':') {
                l = rest.trim();
                break;
            }
        }
    }
    // "Minh Đức (Văn phòng Đảng ủy)": the name before the bracket.
    let l = l.split(" (").next().unwrap_or(l);
    let l = l.trim_start_matches(['-', '–', '(']).trim_end_matches(')').trim();
    if name::looks_like_name(l) {
        Some(name::title_case(l))
    } else {
        None
    }
}

/// Abbreviations whose final dot does not end a sentence.
const DOT_ABBREVIATIONS: &[&str] = &[
    "TP", "Tp", "tp", "TS", "ThS", "PGS", "GS", "BS", "KS", "Th.S", "St", "Q", "P", "X", "TT", "H",
];

/// Sentence spans (byte offsets) within one line.
///
/// A sentence ends at a run of end marks (". ! ? …", with closing quotes and
/// brackets) followed by the end of the line, or by a space and a capital, a
/// digit or an opening quote, or directly by a capital and a lowercase letter
/// ("hiệu quả.Công tác", a missing space). A lone dot after an abbreviation
/// ("TP.") ends nothing. The line is searched for end marks, not walked a char
/// at a time: this runs on every line of every page.
pub fn split_sentences(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut pos = 0usize;
    while let Some(off) = find_end_mark(&line[pos..]) {
        let b = pos + off;
        let before = &line[..b];
        let mut rest = line[b..].chars();
        let c = rest.next().unwrap_or('.');
        let mut end = b + c.len_utf8();
        // Take the whole run of end marks ("…." "?!").
        let mut single = true;
        for n in rest.by_ref() {
            if !matches!(n, '.' | '!' | '?' | '…' | '"' | '”' | '’' | ')') {
                break;
            }
            end += n.len_utf8();
            single = false;
        }
        let mut after = line[end..].chars();
        let (next, after_next) = (after.next(), after.next());
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| crate::vntext::is_letter_or_digit(*c))
            .last()
            .map_or(b, |(i, _)| i);
        let is_abbrev = c == '.' && single && DOT_ABBREVIATIONS.contains(&&before[word_start..]);
        let prev = before.chars().next_back();
        if ends_sentence(prev, next, after_next, is_abbrev) {
            push_trimmed(line, start, end, &mut out);
            start = end;
        }
        pos = end;
    }
    push_trimmed(line, start, line.len(), &mut out);
    out
}

/// Where the first end mark (". ! ? …") of `s` starts, found by bytes: the
/// first three are ASCII, and "…" (U+2026) is the only char whose UTF-8 is
/// E2 80 A6.
fn find_end_mark(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    // Vector searches: the ASCII marks, then an E2 lead byte before the
    // first of them that starts "…".
    let ascii = memchr::memchr3(b'.', b'!', b'?', b);
    let upto = ascii.unwrap_or(b.len());
    let mut i = 0;
    while let Some(p) = memchr::memchr(0xE2, &b[i..upto]) {
        let at = i + p;
        if b.get(at + 1) == Some(&0x80) && b.get(at + 2) == Some(&0xA6) {
            return Some(at);
        }
        i = at + 1;
    }
    ascii
}

/// Whether a run of end marks ends a sentence, given the char before the
/// run, the two after it, and whether the run is the dot of an abbreviation.
fn ends_sentence(prev: Option<char>, next: Option<char>, after_next: Option<char>, is_abbrev: bool) -> bool {
    match next {
        None => true,
        Some(' ') => {
            !is_abbrev
                && after_next.is_some_and(|a| {
                    a.is_uppercase()
                        || a.is_ascii_digit()
                        || matches!(a, '"' | '“' | '‘' | '(' | '-' | '–' | '/')
                })
        }
        // "hiệu quả.Công tác": a missing space after a full stop.
        Some(n) if n.is_uppercase() => {
            !is_abbrev
                && (prev == Some(' ') || prev.is_some_and(char::is_lowercase))
                && after_next.is_some_and(char::is_lowercase)
        }
        _ => false,
    }
}

fn push_trimmed(line: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let seg = &line[start..end];
    let lead = seg.len() - seg.trim_start().len();
    let trail = seg.len() - seg.trim_end().len();
    let (s, e) = (start + lead, end - trail);
    if s < e {
        out.push((s, e));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn spans(line: &str) -> Vec<&str> {
        split_sentences(line)
            .into_iter()
            .map(|(s, e)| &line[s..e])
            .collect()
    }

    /// The first, char-by-char walk of [`split_sentences`], kept as the
    /// reference for the fast walk. Both ask [`ends_sentence`] whether a run
    /// ends a sentence; the span tests check that rule by value.
    fn reference_split(line: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut out = Vec::new();
        let mut start = 0usize;
        let mut i = 0usize;
        while i < chars.len() {
            let (b, c) = chars[i];
            if matches!(c, '.' | '!' | '?' | '…') {
                // Take the whole run of end marks ("…." "?!").
                let mut j = i;
                while j + 1 < chars.len()
                    && matches!(chars[j + 1].1, '.' | '!' | '?' | '…' | '"' | '”' | '’' | ')')
                {
                    j += 1;
                }
                let end = chars[j].0 + chars[j].1.len_utf8();
                let next = chars.get(j + 1).map(|x| x.1);
                let after_next = chars.get(j + 2).map(|x| x.1);
                let word_before: String = line[..b]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let is_abbrev = c == '.' && i == j && DOT_ABBREVIATIONS.contains(&word_before.as_str());
                let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
                if ends_sentence(prev, next, after_next, is_abbrev) {
                    push_trimmed(line, start, end, &mut out);
                    start = end;
                }
                i = j + 1;
                continue;
            }
            i += 1;
        }
        push_trimmed(line, start, line.len(), &mut out);
        out
    }

    /// The first, char-by-char reading of [`clean_spaces`], kept as its
    /// reference.
    fn reference_clean_spaces(line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut last_space = true;
        for c in line.chars() {
            let c = match c {
                '\u{00A0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200A}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\t' => ' ',
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => continue,
                c if c.is_control() => ' ',
                c => c,
            };
            if c == ' ' {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
        out.trim_end().to_string()
    }

    #[test]
    fn every_special_char_starts_with_a_listed_lead_byte() {
        for c in (0x80u32..=0x10_FFFF).filter_map(char::from_u32) {
            if is_space_or_dropped(c) {
                let lead = c.encode_utf8(&mut [0; 4]).as_bytes()[0];
                assert!(SPECIAL_LEAD_BYTES.contains(&lead), "{c:?} starts with {lead:#x}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn runs_are_copied_as_the_char_walk_did(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "a", "Công", "đ", " ", "  ", "\t", "\n", "\u{00A0}", "\u{2003}", "\u{3000}", "\u{200B}",
                "\u{FEFF}", "\u{00AD}", "\u{2028}", "\u{1}", "\u{7F}", "\u{85}", "ạ", "1", ".",
                // Near misses of the lead-byte test: the same lead bytes, ordinary chars.
                "\u{1680}", "\u{202F}", "\u{205F}", "ự", "…", "€", "\u{3001}", "\u{FEFE}", "©", "\u{A1}",
            ]), 0..30)
        ) {
            let line: String = parts.concat();
            proptest::prop_assert_eq!(clean_spaces(&line), reference_clean_spaces(&line));
        }

        #[test]
        fn the_mark_search_splits_as_the_char_walk_did(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "a", "b", "Công", "đ", "Ư", "1", "0", " ", " ", ".", ".", "!", "?", "…", "\"", "”", "’",
                ")", "(", "“", "‘", "-", "–", "/", "TP", "Th.S", "ThS", "X", "ạ", "É",
                "TP.", " TP.", "..", ".)", ". C", ".C", ". ", " Hà", "ế", "?!",
                // The bytes of "…" (E2 80 A6) in part: other chars after E2 80.
                "\u{2025}", "\u{2027}", "\u{20A6}",
            ]), 0..40)
        ) {
            let line: String = parts.concat();
            proptest::prop_assert_eq!(split_sentences(&line), reference_split(&line));
        }
    }

    #[test]
    fn sentences() {
        assert_eq!(spans("Một câu. Câu hai! Ba?"), ["Một câu.", "Câu hai!", "Ba?"]);
        assert_eq!(
            spans("Phường (TP. Bắc Kạn) họp. Xong"),
            ["Phường (TP. Bắc Kạn) họp.", "Xong"]
        );
        assert_eq!(spans("UB.MTTQ thành phố họp"), ["UB.MTTQ thành phố họp"]);
        assert_eq!(
            spans("có hiệu quả.Công tác an sinh"),
            ["có hiệu quả.", "Công tác an sinh"]
        );
        assert_eq!(spans("vững mạnh…. Trong đó"), ["vững mạnh….", "Trong đó"]);
        assert_eq!(spans("ngày 1.020 đồng chí"), ["ngày 1.020 đồng chí"]);
        assert_eq!(spans("đã đặt ra .Chỉ đạo các"), ["đã đặt ra .", "Chỉ đạo các"]);
    }

    proptest::proptest! {
        #[test]
        fn lines_split_as_str_split_does(s in "[a-zđ \n\r\u{2028}\u{2029}\u{2027}\u{202A}\u{20AC}\u{E2}]{0,30}") {
            let expected: Vec<&str> = s.split(['\n', '\r', '\u{2028}', '\u{2029}']).collect();
            proptest::prop_assert_eq!(split_lines(&s).collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn lines_split_at_all_four_separators() {
        let lines: Vec<&str> = split_lines("a\r\nb\u{2028}c\u{2029}\u{2027}d\n").collect();
        assert_eq!(lines, ["a", "", "b", "c", "\u{2027}d", ""]);
        assert_eq!(split_lines("").collect::<Vec<_>>(), [""]);
    }

    fn lexicon() -> Lexicon {
        Lexicon::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon")).unwrap()
    }

    fn page(text: &str) -> NormalizedDocument {
        normalized_txt(text, &lexicon())
    }

    /// A .txt page of `text`, normalized; a test that needs it quarantined
    /// calls `normalize` itself.
    pub(crate) fn normalized_txt(text: &str, lx: &Lexicon) -> NormalizedDocument {
        let src = SourceDocument {
            doc_id: "d".into(),
            source: "p.txt".into(),
            format: Format::Txt,
            content_sha256: String::new(),
            bytes: text.as_bytes().to_vec(),
            rejected: None,
            record: None,
        };
        match normalize(&src, lx) {
            Normalized::Ok(d) => *d,
            Normalized::Quarantined(r) => panic!("{:?}", r.error),
        }
    }

    #[test]
    fn crawler_lines_and_clutter_leave_the_body_but_their_facts_stay() {
        let d = page(concat!(
            "\" date 2025-12-19 \"\n",
            "Đảng ủy xã Tân Hội tổng kết năm 2024\n",
            "12-01-2025 10:16\n",
            "Chiều 10/1, Đảng ủy xã Tân Hội tổ chức hội nghị tổng kết.\n",
            "anh-hoi-nghi-01.jpg\n",
            "Quang cảnh hội nghị\n",
            "Hoàng Bình\n",
            "Trực tuyến: 131\n",
            "Hôm nay: 1.204\n",
            "Địa chỉ: thôn 3, xã Tân Hội\n",
            "Chịu trách nhiệm nội dung: Lê Văn Tám - Chủ tịch UBND xã\n",
            "Điện thoại: 0243.3636.123\n",
        ));
        assert_eq!(
            d.body,
            "Đảng ủy xã Tân Hội tổng kết năm 2024\nChiều 10/1, Đảng ủy xã Tân Hội tổ chức hội nghị tổng kết.\nHoàng Bình\nChịu trách nhiệm nội dung: Lê Văn Tám - Chủ tịch UBND xã"
        );
        assert_eq!(d.row.author.as_deref(), Some("Hoàng Bình"));
        assert_eq!(d.editor_lines.len(), 1);
        assert!(d.footer.contains("Địa chỉ: thôn 3, xã Tân Hội"));
        // 10:16 in Vietnam is 03:16 UTC.
        let utc = chrono::NaiveDate::from_ymd_opt(2025, 1, 12)
            .unwrap()
            .and_hms_opt(3, 16, 0)
            .unwrap()
            .and_utc();
        assert_eq!(d.row.published_at, Some(utc.timestamp_millis()));
        assert_eq!(d.row.n_chars, d.body.chars().count() as i64);
    }

    #[test]
    fn spaces() {
        assert_eq!(clean_spaces("a\u{00A0}\u{00A0}b\tc  "), "a b c");
        assert_eq!(clean_spaces("x\u{200B}y"), "xy");
    }
}
