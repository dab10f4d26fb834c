//! The typed hand-offs between stages, and the rows CONTRACT.md publishes.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};

/// Enumerated strings are `&'static str` in the rows; reading stored rows
/// back maps them onto one copy of each value. Only the small enumerations of
/// CONTRACT.md pass here, so the interned set stays bounded.
fn intern(s: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static SEEN: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(|| Mutex::new(HashSet::new()));
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = seen.get(s.as_str()) {
        return v;
    }
    let v: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(v);
    v
}

/// A value from one of CONTRACT.md's enumerations. An alias, so that serde's
/// derive does not take the field for data borrowed from its input.
pub type Tag = &'static str;

fn interned<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    String::deserialize(d).map(intern)
}

fn interned_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(intern))
}

/// A page format, as `documents.format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Html,
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Jsonl => "jsonl",
        }
    }
}

/// ingest → normalize: one input document with its raw bytes, or the reason
/// they could not be taken.
#[derive(Debug, Clone)]
pub struct SourceDocument {
    pub doc_id: String,
    /// Path under the input root, with `/` separators.
    pub source: String,
    pub format: Format,
    pub content_sha256: String,
    pub bytes: Vec<u8>,
    /// Set when ingest already knows the page cannot be read.
    pub rejected: Option<String>,
    /// For a record of a `.jsonl` dump: its fields besides the body.
    pub record: Option<RecordMeta>,
}

/// The fields of a crawl-dump record besides its body (now in `bytes`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMeta {
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub body_is_html: bool,
}

/// One row of `documents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRow {
    pub doc_id: String,
    pub source: String,
    pub content_sha256: String,
    #[serde(deserialize_with = "interned")]
    pub format: Tag,
    #[serde(deserialize_with = "interned")]
    pub encoding: Tag,
    pub title: Option<String>,
    /// Milliseconds since the epoch, UTC.
    pub published_at: Option<i64>,
    pub author: Option<String>,
    pub n_chars: i64,
    #[serde(deserialize_with = "interned")]
    pub status: Tag,
    pub error: Option<String>,
}

/// A sentence of the normalized body: byte span and the paragraph it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub paragraph: usize,
}

/// normalize → extract: a readable page.
#[derive(Debug, Clone)]
pub struct NormalizedDocument {
    pub row: DocumentRow,
    /// NFC, one tone placement, single spaces, clutter removed; paragraphs on lines.
    pub body: String,
    /// `body` lowercased with byte offsets unchanged, for matching.
    pub folded: String,
    pub sentences: Vec<Sentence>,
    /// Site footer lines taken out of the body, kept for place hints.
    pub footer: String,
    /// Byte span of the byline line in `body`.
    pub byline: Option<(usize, usize)>,
    /// Byte spans of "Chịu trách nhiệm nội dung: ..." lines in `body`.
    pub editor_lines: Vec<(usize, usize)>,
    pub published_local: Option<NaiveDateTime>,
    /// The page's URL, when its container gives one (a dump record, a canonical link).
    pub url: Option<String>,
}

/// normalize's result: a page to extract from, or a quarantined row.
#[derive(Debug, Clone)]
pub enum Normalized {
    Ok(Box<NormalizedDocument>),
    Quarantined(Box<DocumentRow>),
}

/// One row of `meetings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingRow {
    pub meeting_id: String,
    pub doc_id: String,
    pub meeting_date: Option<NaiveDate>,
    pub date_text: Option<String>,
    pub year_inferred: bool,
    #[serde(deserialize_with = "interned_opt")]
    pub time_of_day: Option<Tag>,
    pub meeting_type: String,
    pub period_year: Option<i32>,
    pub period_half: Option<i8>,
    pub organizer: Option<String>,
    pub unit_type: Option<String>,
    pub unit_name: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub admin_code: Option<String>,
    /// Added beyond CONTRACT.md: the unit that took this one over in the July
    /// 2025 reorganisation (for a post-2025 unit, itself), from the gazetteer.
    #[serde(default)]
    pub successor_code: Option<String>,
    #[serde(default)]
    pub successor_name: Option<String>,
}

/// One row of `person_mentions` (person_id is set by aggregate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonMention {
    pub mention_id: String,
    pub meeting_id: String,
    pub doc_id: String,
    pub person_id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub titles: Vec<String>,
    pub titles_raw: Vec<String>,
    pub evidence: String,
    pub char_start: i64,
    pub char_end: i64,
}

/// One row of `metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub metric_id: String,
    pub meeting_id: String,
    pub doc_id: String,
    pub indicator: String,
    pub label: Option<String>,
    pub value: f64,
    pub unit: String,
    pub value_high: Option<f64>,
    pub denominator: Option<f64>,
    #[serde(deserialize_with = "interned")]
    pub qualifier: Tag,
    #[serde(deserialize_with = "interned")]
    pub kind: Tag,
    pub period_year: Option<i32>,
    pub value_text: String,
    pub evidence: String,
    pub char_start: i64,
    pub char_end: i64,
}

/// One row of `awards` (person_id is set by aggregate from `person_name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Award {
    pub award_id: String,
    pub meeting_id: String,
    pub doc_id: String,
    pub giver: Option<String>,
    pub award: String,
    #[serde(deserialize_with = "interned")]
    pub recipient_type: Tag,
    pub count: Option<i32>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub evidence: String,
}

/// extract → aggregate: everything read from one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub document: DocumentRow,
    pub meeting: Option<MeetingRow>,
    pub mentions: Vec<PersonMention>,
    pub figures: Vec<Figure>,
    pub awards: Vec<Award>,
    /// How facts that are not in the text were settled (`hoinghi explain`).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Extraction {
    pub fn quarantined(document: DocumentRow) -> Self {
        Extraction {
            document,
            meeting: None,
            mentions: Vec::new(),
            figures: Vec::new(),
            awards: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// A stable lowercase hex id from the parts that identify a row.
pub fn stable_id(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex(&h.finalize()[..8])
}

/// Lowercase hex digits of bytes, two a byte. Ids and hashes are written this
/// way everywhere; one `format!` a byte was a visible share of extraction.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_writes_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff, 0x90]), "000fabff90");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn stable_id_is_the_first_eight_bytes_of_sha256_of_the_parts() {
        // `printf 'a\x1fb\x1f' | sha256sum` starts 023b8059a924f728.
        assert_eq!(stable_id(&["a", "b"]), "023b8059a924f728");
    }
}
