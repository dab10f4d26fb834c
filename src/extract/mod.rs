//! Stage 3, extract: the meeting, the people with titles and roles, the
//! figures and the awards of one normalized page, each with its evidence.

mod awards;
mod figures;
mod meeting;
mod people;

use crate::lexicon::{Hit, Lexicon, PhraseSet};
use crate::model::{Extraction, NormalizedDocument, Sentence};
use crate::vntext::CharIndex;

pub use meeting::MeetingFacts;
pub use people::PersonOccurrence;

/// One page and the lexicon, with lookups every extractor needs.
pub struct Page<'a> {
    pub doc: &'a NormalizedDocument,
    pub lx: &'a Lexicon,
    chars: CharIndex,
}

impl<'a> Page<'a> {
    pub fn new(doc: &'a NormalizedDocument, lx: &'a Lexicon) -> Self {
        Page {
            doc,
            lx,
            chars: CharIndex::new(&doc.body),
        }
    }

    pub fn body(&self) -> &str {
        &self.doc.body
    }

    pub fn folded(&self) -> &str {
        &self.doc.folded
    }

    /// Char offset (CONTRACT.md) of a byte offset in the body.
    pub fn char_at(&self, byte: usize) -> i64 {
        self.chars.char_at(byte) as i64
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

    /// The part of sentence `i` between the separators around `byte`.
    pub fn clause(&self, i: usize, byte: usize, separators: &[char]) -> (usize, usize) {
        let s = self.doc.sentences[i];
        let text = &self.doc.body[s.start..s.end];
        let mut rel = byte.saturating_sub(s.start).min(text.len());
        while !text.is_char_boundary(rel) {
            rel -= 1;
        }
        let start = text[..rel].rfind(separators).map(|p| p + 1).unwrap_or(0);
        let end = text[rel..]
            .find(separators)
            .map(|p| rel + p)
            .unwrap_or(text.len());
        (s.start + start, s.start + end)
    }

    /// Matches of a phrase set inside a byte range, with offsets in the body.
    pub fn hits_in(&self, set: &PhraseSet, start: usize, end: usize) -> Vec<Hit> {
        set.all(&self.doc.folded[start..end])
            .into_iter()
            .map(|h| Hit {
                id: h.id,
                start: h.start + start,
                end: h.end + start,
            })
            .collect()
    }

    /// Whether a phrase of `set` ends exactly at `end`, looking back to `start`.
    pub fn phrase_ends_at(&self, set: &PhraseSet, start: usize, end: usize) -> bool {
        self.hits_in(set, start, end).iter().any(|h| h.end == end)
    }

    pub fn has_in(&self, set: &PhraseSet, start: usize, end: usize) -> bool {
        set.any(&self.doc.folded[start..end])
    }
}

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
