//! Stage 2, normalize: decode, NFC and one tone placement, spaces, glued
//! abbreviations, page clutter out (its facts kept aside), sentences split.

use chrono::{NaiveDateTime, TimeZone, Utc};

use crate::lexicon::Lexicon;
use crate::model::{DocumentRow, Normalized, NormalizedDocument, Sentence, SourceDocument};
use crate::vntext::decode::{decode, vietnamese_score};
use crate::vntext::{date, fold_case_same_len, name, normalize_text};

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

/// Splits "UBNDphường" into "UBND phường".
fn unglue(lx: &Lexicon, line: &str) -> String {
    match &lx.abbreviations.glued {
        Some(re) => re.replace_all(line, "$1 $2").into_owned(),
        None => line.to_string(),
    }
}

fn is_editor_line(lx: &Lexicon, line: &str) -> bool {
    let lower = line.to_lowercase();
    lx.editor_labels
        .iter()
        .any(|l| lower.starts_with(&l.to_lowercase()))
}

/// Reads a page. Never panics; anything unreadable becomes a quarantined row.
pub fn normalize(src: &SourceDocument, lx: &Lexicon) -> Normalized {
    if let Some(reason) = &src.rejected {
        return Normalized::Quarantined(Box::new(quarantine(src, reason.clone())));
    }
    let decoded = match decode(&src.bytes) {
        Ok(d) => d,
        Err(e) => return Normalized::Quarantined(Box::new(quarantine(src, e.to_string()))),
    };
    let text = normalize_text(&decoded.text);

    let mut lines: Vec<String> = Vec::new();
    for raw in text.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        let line = unglue(lx, &clean_spaces(raw));
        let line = line.trim().to_string();
        if !line.is_empty() {
            lines.push(line);
        }
    }

    // The page's own stamp, anywhere in the first lines.
    let mut published_local: Option<NaiveDateTime> = None;
    let mut kept: Vec<String> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if published_local.is_none() && i < 12 {
            if let Some(c) = lx.stamp.captures(line) {
                if let Some(ts) = date::parse_stamp(
                    c[1].replace(['|', ','], " ")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .as_str(),
                ) {
                    published_local = Some(ts);
                    continue;
                }
            }
        }
        kept.push(line.clone());
    }

    // The site footer: from the first footer marker in the last part of the page.
    let n = kept.len();
    let footer_from = kept
        .iter()
        .enumerate()
        .skip(n / 3)
        .find(|(_, l)| lx.footer_start.iter().any(|re| re.is_match(l)))
        .map(|(i, _)| i)
        .unwrap_or(n);
    let mut footer = String::new();
    let mut body_lines: Vec<String> = Vec::new();
    let mut editor_flags: Vec<bool> = Vec::new();
    for (i, line) in kept.into_iter().enumerate() {
        let editor = is_editor_line(lx, &line);
        if i >= footer_from && !editor {
            footer.push_str(&line);
            footer.push('\n');
            continue;
        }
        if !editor && lx.clutter_remove.iter().any(|re| re.is_match(&line)) {
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
    row.title = body_lines.first().cloned();
    row.author = byline.map(|(s, e)| byline_name(lx, &body[s..e]).unwrap_or_default());
    row.published_at = published_local.map(local_to_utc_ms);
    row.n_chars = body.chars().count() as i64;

    if body.trim().is_empty() {
        row.error = Some("no article text is left once page furniture (counters, footers) is removed".into());
        return Normalized::Quarantined(Box::new(row));
    }
    let score = vietnamese_score(&body);
    if score < MIN_VIETNAMESE_SCORE {
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
    }))
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
pub fn split_sentences(line: &str) -> Vec<(usize, usize)> {
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
            let boundary = match next {
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
            };
            if boundary {
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
mod tests {
    use super::*;

    fn spans(line: &str) -> Vec<&str> {
        split_sentences(line)
            .into_iter()
            .map(|(s, e)| &line[s..e])
            .collect()
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

    #[test]
    fn spaces() {
        assert_eq!(clean_spaces("a\u{00A0}\u{00A0}b\tc  "), "a b c");
        assert_eq!(clean_spaces("x\u{200B}y"), "xy");
    }
}
