//! Stage 3, extract: the meeting, the people with titles and roles, the
//! figures and the awards of one normalized page, each with its evidence.

mod awards;
mod figures;
mod meeting;
mod people;

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::lexicon::{Hit, Lexicon, PhraseSet, RawHit};
use crate::model::{Extraction, NormalizedDocument, Sentence};
use crate::vntext::CharIndex;

pub use meeting::MeetingFacts;
pub use people::PersonOccurrence;

/// One page and the lexicon, with lookups every extractor needs.
pub struct Page<'a> {
    pub doc: &'a NormalizedDocument,
    pub lx: &'a Lexicon,
    chars: CharIndex,
    /// Every indexed phrase set's occurrences in the whole page, by slot,
    /// from one scan of the page, then filtered for every range asked about.
    indexed_hits: OnceCell<Vec<Vec<RawHit>>>,
    /// Each sentence's years ("năm 2023"), found the first time one is asked for.
    years: Vec<OnceCell<Vec<(usize, i32)>>>,
}

impl<'a> Page<'a> {
    pub fn new(doc: &'a NormalizedDocument, lx: &'a Lexicon) -> Self {
        Page {
            doc,
            lx,
            chars: CharIndex::new(&doc.body),
            indexed_hits: OnceCell::new(),
            years: vec![OnceCell::new(); doc.sentences.len()],
        }
    }

    /// The years sentence `i` names after "năm", with where each starts in
    /// the sentence, in order.
    pub fn sentence_years(&self, i: usize) -> &[(usize, i32)] {
        self.years[i].get_or_init(|| {
            crate::vntext::date::YEAR
                .captures_iter(self.sentence_folded(i))
                .filter_map(|c| {
                    let m = c.get(1)?;
                    Some((m.start(), m.as_str().parse().ok()?))
                })
                .collect()
        })
    }

    pub fn body(&self) -> &str {
        &self.doc.body
    }

    pub fn folded(&self) -> &str {
        &self.doc.folded
    }

    /// Char offset (CONTRACT.md) of a byte offset in the body.
    pub fn char_at(&self, byte: usize) -> i64 {
        self.chars.char_at(&self.doc.body, byte) as i64
    }

    /// Index of the sentence that holds a byte offset.
    pub fn sentence_index(&self, byte: usize) -> Option<usize> {
        let s = &self.doc.sentences;
        let i = s.partition_point(|x| x.end <= byte);
        (i < s.len() && s[i].start <= byte).then_some(i)
    }

    pub fn sentence(&self, i: usize) -> Sentence {
        self.doc.sentences[i]
    }

    pub fn sentence_text(&self, i: usize) -> &str {
        let s = self.doc.sentences[i];
        &self.doc.body[s.start..s.end]
    }

    pub fn sentence_folded(&self, i: usize) -> &str {
        let s = self.doc.sentences[i];
        &self.doc.folded[s.start..s.end]
    }

    /// The part of sentence `i` between the separators around `byte`. The
    /// separators are ASCII punctuation, searched as bytes: no byte of a
    /// longer UTF-8 char is ASCII, and a char search decodes every char.
    pub fn clause(&self, i: usize, byte: usize, separators: &Separators) -> (usize, usize) {
        let s = self.doc.sentences[i];
        let text = &self.doc.body[s.start..s.end];
        let mut rel = byte.saturating_sub(s.start).min(text.len());
        while !text.is_char_boundary(rel) {
            rel -= 1;
        }
        let bytes = text.as_bytes();
        let is_separator = |&b: &u8| separators.0[usize::from(b)];
        let start = bytes[..rel].iter().rposition(is_separator).map_or(0, |p| p + 1);
        let end = bytes[rel..]
            .iter()
            .position(is_separator)
            .map_or(text.len(), |p| rel + p);
        (s.start + start, s.start + end)
    }

    /// A set's occurrences in the whole page. Every set of the lexicon is in
    /// its index; one that is not (a set added to the lexicon but not to
    /// `Lexicon::indexed`) is still found, by a search of its own each time.
    fn page_hits(&self, set: &PhraseSet) -> Cow<'_, [RawHit]> {
        if let (Some(slot), Some(index)) = (set.slot(), &self.lx.phrase_index) {
            let all = self.indexed_hits.get_or_init(|| index.scan(&self.doc.folded));
            if let Some(hits) = all.get(slot) {
                return Cow::Borrowed(hits);
            }
        }
        Cow::Owned(set.raw_hits(&self.doc.folded))
    }

    /// Matches of a phrase set inside a byte range, with offsets in the body,
    /// as a search of that range alone would find them.
    pub fn hits_in(&self, set: &PhraseSet, start: usize, end: usize) -> Vec<Hit> {
        let mut out = Vec::new();
        self.each_hit_in(set, start, end, |h| {
            out.push(h);
            false
        });
        out
    }

    /// Calls `f` with each match of [`Page::hits_in`], in order, until it
    /// returns true; returns whether it did. The questions "is there one"
    /// and "does one end here" need no list.
    fn each_hit_in(&self, set: &PhraseSet, start: usize, end: usize, mut f: impl FnMut(Hit) -> bool) -> bool {
        let all = self.page_hits(set);
        let folded = self.folded();
        let from = all.partition_point(|h| h.start < start);
        all[from..]
            .iter()
            .take_while(|h| h.start < end)
            .filter(|h| h.end <= end && set.is_whole_words(folded, h, start, end))
            .any(|h| f(set.hit(h)))
    }

    /// Matches of a phrase set in `folded`, with offsets in `folded`: from the
    /// page's one scan when `folded` is a part of the page's folded text,
    /// else by searching it.
    pub fn hits_of(&self, set: &PhraseSet, folded: &str) -> Vec<Hit> {
        let page = self.folded();
        let (base, at) = (page.as_ptr() as usize, folded.as_ptr() as usize);
        if at >= base && at + folded.len() <= base + page.len() {
            let off = at - base;
            return self
                .hits_in(set, off, off + folded.len())
                .into_iter()
                .map(|h| Hit {
                    start: h.start - off,
                    end: h.end - off,
                    ..h
                })
                .collect();
        }
        set.all(folded)
    }

    /// Whether a phrase of `set` ends exactly at `end`, looking back to `start`.
    pub fn phrase_ends_at(&self, set: &PhraseSet, start: usize, end: usize) -> bool {
        self.each_hit_in(set, start, end, |h| h.end == end)
    }

    pub fn has_in(&self, set: &PhraseSet, start: usize, end: usize) -> bool {
        self.each_hit_in(set, start, end, |_| true)
    }
}

/// The ASCII bytes that end a clause, as a table by byte: a clause can be a
/// whole sentence long, and a lookup is one load per byte where a search of
/// a list is a loop. Built at compile time, once per set of separators.
pub struct Separators([bool; 256]);

impl Separators {
    /// The table of `bytes`; a byte past ASCII is left out (it would match
    /// inside a longer char).
    pub const fn new(bytes: &[u8]) -> Separators {
        let mut table = [false; 256];
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii() {
                table[bytes[i] as usize] = true;
            }
            i += 1;
        }
        Separators(table)
    }
}

/// A semicolon clause: the wider part of a sentence an item belongs to.
pub const SEMICOLON_CLAUSE: Separators = Separators::new(b";");

/// Extracts everything from one page. `meeting_id` is derived from the doc id.
pub fn extract(doc: &NormalizedDocument, lx: &Lexicon) -> Extraction {
    let page = Page::new(doc, lx);
    let facts = meeting::extract_meeting(&page);
    let meeting_id = facts.row.meeting_id.clone();
    let occurrences = people::find_people(&page, &facts);
    let (awards, masked) = awards::extract_awards(&page, &occurrences, &meeting_id);
    let figures = figures::extract_figures(&page, &facts, &masked, &meeting_id);
    let mentions = people::merge_mentions(&page, &occurrences, &meeting_id);
    Extraction {
        document: doc.row.clone(),
        meeting: Some(facts.row),
        mentions,
        figures,
        awards,
        notes: facts.notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_ends_at_its_separators_within_the_sentence() {
        let lx = crate::lexicon::Lexicon::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon"),
        )
        .unwrap();
        let text = "Thu ngân sách đạt 12 tỷ đồng, tăng 5%; thu nhập (bình quân) 60 triệu đồng.\n";
        let doc = crate::normalize::tests::normalized_txt(text, &lx);
        let page = Page::new(&doc, &lx);
        let body = page.body();
        let at = |s: &str| body.find(s).unwrap();
        let clause = |byte: usize, seps: &Separators| {
            let (a, b) = page.clause(0, byte, seps);
            &body[a..b]
        };
        assert_eq!(
            clause(at("12"), &Separators::new(b",;")),
            "Thu ngân sách đạt 12 tỷ đồng"
        );
        assert_eq!(clause(at("5%"), &Separators::new(b",;")), " tăng 5%");
        assert_eq!(
            clause(at("60"), &Separators::new(b";(")),
            "bình quân) 60 triệu đồng."
        );
        assert_eq!(
            clause(at("60"), &Separators::new(b";")),
            " thu nhập (bình quân) 60 triệu đồng."
        );
        // A byte past ASCII is never a separator: it would cut a char.
        let no_ascii = Separators::new("đ".as_bytes());
        assert_eq!(clause(at("12"), &no_ascii), body);
        assert!(no_ascii.0.iter().all(|&b| !b));
    }
}
