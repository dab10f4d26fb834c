//! Lexicons and patterns from `pipelines/<dir>/*.toml`, compiled once per run
//! into Aho-Corasick automata and regexes shared by every worker thread.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::memmem;
use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::read_toml;
use crate::error::{Error, Result};
use crate::vntext::{fold_case_same_len, no_word_after, no_word_before, normalize_text};

/// The units CONTRACT.md allows in `metrics.unit`.
pub const METRIC_UNITS: &[&str] = &[
    "vnd",
    "percent",
    "pct_of_plan",
    "person",
    "party_member",
    "household",
    "organization",
    "party_cell",
    "goal",
    "project",
    "ha",
    "km2",
    "km",
    "m",
    "vnd_per_ha",
    "vnd_per_person_year",
    "tonne",
    "permille",
    "count",
    "other",
];

/// Folds a lexicon phrase the way text is folded before matching.
pub fn fold_phrase(p: &str) -> String {
    fold_case_same_len(&normalize_text(p.trim()))
}

/// A match of a phrase: which entry, and its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub id: usize,
    pub start: usize,
    pub end: usize,
}

/// A set of phrases matched as whole words in case-folded text. Each phrase
/// carries the index of the entry it came from.
pub struct PhraseSet {
    ac: Option<AhoCorasick>,
    /// The same phrases, searched only at one position: longest first.
    anchored: Option<AhoCorasick>,
    entry_of: Vec<usize>,
    pattern_len: Vec<usize>,
    /// Whether a pattern starts / ends with a word character, and so needs a
    /// word boundary on that side ("/người/năm" needs none before it).
    word_edges: Vec<(bool, bool)>,
    /// The folded patterns, for the lexicon's combined [`PhraseIndex`].
    patterns: Vec<String>,
    /// This set's place in the lexicon's [`PhraseIndex`], once indexed.
    slot: Option<usize>,
    /// The bytes some pattern starts with: [`PhraseSet::at`] is asked about
    /// many places where no phrase can start, and answers those without a search.
    first_bytes: [bool; 256],
}

/// The order of raw hits everywhere: by start, longer first, then by pattern.
fn sort_hits(hits: &mut [RawHit]) {
    hits.sort_unstable_by_key(|h| (h.start, std::cmp::Reverse(h.end), h.pattern));
}

/// Every phrase set of a lexicon in one automaton, so that a page is scanned
/// once for all of them instead of once per set (32 in the shipped lexicon).
pub struct PhraseIndex {
    /// Walked byte by byte in [`PhraseIndex::scan`]: the iterator over
    /// overlapping matches pays a call per match, and a page has hundreds.
    /// A contiguous NFA rather than a DFA: for these ~480 phrases it takes
    /// about 100 KB against 2.1 MB, so it stays in cache beside the rest of
    /// a page's work. It runs more instructions per byte, and is still the
    /// faster of the two in a whole run (BENCHMARKS.md, fifth pass).
    automaton: aho_corasick::nfa::contiguous::NFA,
    /// For each distinct pattern: the (set slot, pattern in that set) it is.
    owners: Vec<Vec<(u32, u32)>>,
    sets: usize,
}

impl PhraseIndex {
    /// Indexes the sets, giving each its slot.
    fn build(sets: Vec<&mut PhraseSet>) -> PhraseIndex {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<(u32, u32)>> = Vec::new();
        let n = sets.len();
        for (slot, set) in sets.into_iter().enumerate() {
            set.slot = Some(slot);
            for (k, p) in set.patterns.iter().enumerate() {
                let id = *ids.entry(p.clone()).or_insert_with(|| {
                    patterns.push(p.clone());
                    owners.push(Vec::new());
                    patterns.len() - 1
                });
                owners[id].push((slot as u32, k as u32));
            }
        }
        let automaton = aho_corasick::nfa::contiguous::Builder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("phrase automaton builds from plain strings");
        PhraseIndex {
            automaton,
            owners,
            sets: n,
        }
    }

    /// Every set's raw hits in `text`, by slot, each list ordered as
    /// [`PhraseSet::raw_hits`] orders its own.
    pub fn scan(&self, text: &str) -> Vec<Vec<RawHit>> {
        use aho_corasick::automaton::Automaton;
        let mut out: Vec<Vec<RawHit>> = vec![Vec::new(); self.sets];
        let nfa = &self.automaton;
        // An unanchored automaton of standard (all-matches) semantics never dies,
        // and each state knows every pattern that ends where it is entered.
        let mut sid = nfa
            .start_state(aho_corasick::Anchored::No)
            .expect("an unanchored start state exists for an unanchored automaton");
        for (i, &byte) in text.as_bytes().iter().enumerate() {
            sid = nfa.next_state(aho_corasick::Anchored::No, sid, byte);
            if !nfa.is_special(sid) || !nfa.is_match(sid) {
                continue;
            }
            let end = i + 1;
            for k in 0..nfa.match_len(sid) {
                let id = nfa.match_pattern(sid, k);
                let start = end - nfa.pattern_len(id);
                for &(slot, pattern) in &self.owners[id.as_usize()] {
                    out[slot as usize].push(RawHit { pattern, start, end });
                }
            }
        }
        for hits in &mut out {
            sort_hits(hits);
        }
        out
    }
}

/// An occurrence of a pattern before word boundaries are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHit {
    pub pattern: u32,
    pub start: usize,
    pub end: usize,
}

impl PhraseSet {
    pub fn new<S: AsRef<str>>(entries: &[Vec<S>]) -> PhraseSet {
        let mut patterns = Vec::new();
        let mut entry_of = Vec::new();
        for (i, phrases) in entries.iter().enumerate() {
            for p in phrases {
                let f = fold_phrase(p.as_ref());
                if !f.is_empty() {
                    patterns.push(f);
                    entry_of.push(i);
                }
            }
        }
        let pattern_len = patterns.iter().map(|p| p.len()).collect();
        let word_edges = patterns
            .iter()
            .map(|p| {
                (
                    p.chars().next().is_some_and(char::is_alphanumeric),
                    p.chars().next_back().is_some_and(char::is_alphanumeric),
                )
            })
            .collect();
        let ac = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    // A DFA: one table lookup per byte, the fastest scan
                    // for the small sets of a lexicon.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .expect("phrase automaton builds from plain strings"),
            )
        };
        let anchored = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(aho_corasick::StartKind::Anchored)
                    .build(&patterns)
                    .expect("phrase automaton builds from plain strings"),
            )
        };
        let mut first_bytes = [false; 256];
        for p in &patterns {
            first_bytes[usize::from(p.as_bytes()[0])] = true;
        }
        PhraseSet {
            ac,
            anchored,
            entry_of,
            pattern_len,
            word_edges,
            patterns,
            slot: None,
            first_bytes,
        }
    }

    /// This set's slot in the lexicon's [`PhraseIndex`], if it has one.
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// A set with each phrase as its own entry: a hit's id is the phrase's
    /// place in `phrases`.
    pub fn each<S: AsRef<str>>(phrases: &[S]) -> PhraseSet {
        let v: Vec<Vec<&str>> = phrases.iter().map(|s| vec![s.as_ref()]).collect();
        PhraseSet::new(&v)
    }

    /// A set with all the phrases as one entry (every hit's id is 0).
    pub fn flat<S: AsRef<str>>(phrases: &[S]) -> PhraseSet {
        let v: Vec<Vec<&str>> = vec![phrases.iter().map(|s| s.as_ref()).collect()];
        PhraseSet::new(&v)
    }

    /// Every occurrence of every phrase in `text`, word boundaries not yet
    /// checked, by start. A search of a part of `text` finds exactly those
    /// that lie inside it, so one search can serve many parts.
    pub fn raw_hits(&self, text: &str) -> Vec<RawHit> {
        let Some(ac) = &self.ac else { return Vec::new() };
        let mut hits: Vec<RawHit> = ac
            .find_overlapping_iter(text)
            .map(|m| RawHit {
                pattern: m.pattern().as_u32(),
                start: m.start(),
                end: m.end(),
            })
            .collect();
        sort_hits(&mut hits);
        hits
    }

    /// Whether a raw hit stands as whole words within `text[lo..hi]` (the
    /// ends of that range count as boundaries).
    pub fn is_whole_words(&self, text: &str, h: &RawHit, lo: usize, hi: usize) -> bool {
        let (first_word, last_word) = self.word_edges[h.pattern as usize];
        (!first_word || h.start == lo || no_word_before(text, h.start))
            && (!last_word || h.end == hi || no_word_after(text, h.end))
    }

    /// The hit of a raw hit.
    pub fn hit(&self, h: &RawHit) -> Hit {
        Hit {
            id: self.entry_of[h.pattern as usize],
            start: h.start,
            end: h.end,
        }
    }

    /// Every whole-word match in `folded`, overlapping ones included, by start.
    pub fn all(&self, folded: &str) -> Vec<Hit> {
        self.raw_hits(folded)
            .iter()
            .filter(|h| self.is_whole_words(folded, h, 0, folded.len()))
            .map(|h| self.hit(h))
            .collect()
    }

    /// Longest matches, left to right, not overlapping.
    pub fn longest(&self, folded: &str) -> Vec<Hit> {
        let mut out: Vec<Hit> = Vec::new();
        for h in self.all(folded) {
            if out.last().is_some_and(|l| h.start < l.end) {
                continue;
            }
            out.push(h);
        }
        out
    }

    /// Whether any phrase occurs in `folded`.
    pub fn any(&self, folded: &str) -> bool {
        !self.all(folded).is_empty()
    }

    /// The longest phrase that starts exactly at `at` and stands as whole words.
    pub fn at(&self, folded: &str, at: usize) -> Option<Hit> {
        let bounded = |e: usize| {
            let pat = &folded[at..e];
            let first_word = pat.chars().next().is_some_and(crate::vntext::is_letter_or_digit);
            let last_word = pat
                .chars()
                .next_back()
                .is_some_and(crate::vntext::is_letter_or_digit);
            (!last_word || no_word_after(folded, e)) && (!first_word || no_word_before(folded, at))
        };
        if !folded
            .as_bytes()
            .get(at)
            .is_some_and(|b| self.first_bytes[usize::from(*b)])
        {
            return None;
        }
        // Fast path: the longest phrase there, found without scanning the rest.
        let anchored = self.anchored.as_ref()?;
        let input = aho_corasick::Input::new(&folded[at..]).anchored(aho_corasick::Anchored::Yes);
        let m = anchored.find(input)?;
        if bounded(at + m.end()) {
            return Some(Hit {
                id: self.entry_of[m.pattern().as_usize()],
                start: at,
                end: at + m.end(),
            });
        }
        // The longest one breaks a word ("thu" in "thuế"): try the shorter ones.
        let ac = self.ac.as_ref()?;
        let tail = &folded[at..(at + m.end())];
        ac.find_overlapping_iter(tail)
            .filter(|m| m.start() == 0 && bounded(at + m.end()))
            .max_by_key(|m| m.end())
            .map(|m| Hit {
                id: self.entry_of[m.pattern().as_usize()],
                start: at,
                end: at + m.end(),
            })
    }

    pub fn len(&self) -> usize {
        self.pattern_len.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pattern_len.is_empty()
    }
}

/// The lexicon files, read in this order.
pub const LEXICON_FILES: [&str; 11] = [
    "abbreviations.toml",
    "titles.toml",
    "people.toml",
    "roles.toml",
    "units.toml",
    "indicators.toml",
    "figures.toml",
    "awards.toml",
    "meetings.toml",
    "clutter.toml",
    "html.toml",
];

/// Hashes of the rules' files: all of them, those every page goes through, and
/// html.toml, which only HTML pages and bodies go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints {
    pub all: String,
    pub text: String,
    pub html: String,
}

impl Fingerprints {
    /// The same fingerprints with more bytes that every page depends on (the gazetteer).
    pub fn with(self, bytes: &[u8]) -> Fingerprints {
        let mix = |fp: &str| -> String {
            let mut h = Sha256::new();
            h.update(fp.as_bytes());
            h.update(bytes);
            crate::model::hex(&h.finalize()[..8])
        };
        Fingerprints {
            all: mix(&self.all),
            text: mix(&self.text),
            html: self.html,
        }
    }
}

/// Fingerprints of a lexicon folder's files, without compiling them: what an
/// incremental run needs to tell whether the rules changed.
pub fn fingerprints(dir: &Path) -> Result<Fingerprints> {
    let (mut all, mut text, mut html) = (Sha256::new(), Sha256::new(), Sha256::new());
    for name in LEXICON_FILES {
        let p = dir.join(name);
        let bytes = std::fs::read(&p).map_err(Error::reading(&p))?;
        all.update(name.as_bytes());
        all.update(&bytes);
        let part = if name == "html.toml" { &mut html } else { &mut text };
        part.update(name.as_bytes());
        part.update(&bytes);
    }
    let hex = |h: Sha256| -> String { crate::model::hex(&h.finalize()[..8]) };
    Ok(Fingerprints {
        all: hex(all),
        text: hex(text),
        html: hex(html),
    })
}

// ---- The files, as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AbbrFile {
    abbr: Vec<AbbrEntry>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AbbrEntry {
    short: String,
    long: String,
    #[serde(default)]
    glued: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TitlesFile {
    heads: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeopleFile {
    cues: Vec<String>,
    place_words: Vec<String>,
    not_people: Vec<String>,
    editor_labels: Vec<String>,
    byline_labels: Vec<String>,
    surnames: Vec<String>,
    list_cue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    chair: Vec<String>,
    chair_list: Vec<String>,
    attendee_not_before: Vec<String>,
    title_conjunctions: Vec<String>,
    speaker: Vec<String>,
    attendee: Vec<String>,
    award_to: Vec<String>,
    award_received: Vec<String>,
    awardee_passive: Vec<String>,
    award_giver_gap: Vec<String>,
    title_stops: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitsFile {
    count: Vec<CountEntry>,
    measure: Vec<MeasureEntry>,
    money: MoneyEntry,
    percent: PercentEntry,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountEntry {
    unit: String,
    nouns: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureEntry {
    unit: String,
    words: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyEntry {
    magnitudes: Vec<String>,
    currency: Vec<String>,
    currency_from_thousand: Vec<String>,
    per_person_year: Vec<String>,
    per_ha: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PercentEntry {
    of_plan: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsFile {
    indicator: Vec<IndicatorEntry>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorEntry {
    key: String,
    phrases: Vec<String>,
    units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresFile {
    figure_before: Vec<String>,
    qualifiers: QualifierEntry,
    kind: KindEntry,
    not_figure_before: Vec<String>,
    not_figure_after: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QualifierEntry {
    over: Vec<String>,
    under: Vec<String>,
    approx: Vec<String>,
    at_least_after: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindEntry {
    target: Vec<String>,
    target_paragraph: Vec<String>,
    cancel_target: Vec<String>,
    actual: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwardsFile {
    nouns: Vec<String>,
    passive: Vec<String>,
    plural_markers: Vec<String>,
    generic: Vec<String>,
    generic_before: Vec<String>,
    generic_after: Vec<String>,
    giver_after: String,
    verbs: Vec<String>,
    recipient: Vec<RecipientEntry>,
    givers: Vec<String>,
    levels: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientEntry {
    #[serde(rename = "type")]
    kind: String,
    nouns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingsFile {
    #[serde(rename = "type")]
    types: Vec<TypeEntry>,
    first_half: Vec<String>,
    second_half: Vec<String>,
    midyear_first_half: Vec<String>,
    review_cues: Vec<String>,
    unit_types: Vec<String>,
    city_types: Vec<String>,
    province_types: Vec<String>,
    province_level_cities: Vec<String>,
    provinces: Vec<String>,
    cue_ignore_after: Vec<String>,
    districts_abolished: String,
    name_stop_words: Vec<String>,
    committee_levels: Vec<String>,
    organizer_verb: String,
    organizer_trailing: Vec<String>,
    organizer_heads: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeEntry {
    key: String,
    cues: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClutterFile {
    remove: Vec<String>,
    footer_start: Vec<String>,
    stamp: String,
}

// ---- Compiled ----

pub struct Abbreviations {
    /// Case-sensitive, longest first, on word boundaries.
    pub expand: Regex,
    pub long_of: HashMap<String, String, ahash::RandomState>,
    /// "UBNDphường" -> "UBND phường".
    pub glued: Option<Regex>,
    /// "TP.Bắc Kạn" -> "TP. Bắc Kạn": a dotted abbreviation stuck to a word.
    pub dotted: Option<Regex>,
    /// Any abbreviation at all, as a plain substring: most titles have none,
    /// and then neither regex has anything to do.
    pub any: AhoCorasick,
}

pub struct Indicator {
    pub key: String,
    pub units: Vec<String>,
}

pub struct Lexicon {
    /// Hash of every lexicon file's bytes: part of the rules version.
    pub fingerprint: String,
    /// Hash of the lexicons every page goes through (all but html.toml).
    pub fingerprint_text: String,
    /// Hash of html.toml, which only HTML pages and bodies go through.
    pub fingerprint_html: String,
    pub abbreviations: Abbreviations,
    pub title_heads: PhraseSet,
    pub person_cues: PhraseSet,
    pub place_words: PhraseSet,
    pub not_people: WordSet,
    pub editor_labels: Vec<String>,
    pub byline_labels: Vec<String>,
    pub surnames: WordSet,
    /// "các đồng chí:", folded: a list of people follows. Prebuilt: it is
    /// searched in every sentence.
    pub list_cue: memmem::Finder<'static>,
    pub chair: PhraseSet,
    pub chair_list: PhraseSet,
    pub attendee_not_before: PhraseSet,
    pub title_conjunctions: PhraseSet,
    pub speaker: PhraseSet,
    pub attendee: PhraseSet,
    pub award_to: PhraseSet,
    pub award_received: PhraseSet,
    /// "được ", "vinh dự được ", folded, each with the space after it.
    pub awardee_passive: Vec<String>,
    /// Words allowed between a giver's titles and the award verb ("đã").
    pub award_giver_gap: Vec<String>,
    /// Ends a title: role cues and `title_stops`, lowercase in the text.
    pub title_stops: PhraseSet,
    pub count_nouns: PhraseSet,
    pub count_units: Vec<String>,
    pub measures: PhraseSet,
    pub measure_units: Vec<String>,
    pub magnitudes: PhraseSet,
    pub currency: PhraseSet,
    /// Currency words that alone make money only from 1,000 up, folded.
    pub currency_from_thousand: Vec<String>,
    pub per_person_year: PhraseSet,
    pub per_ha: PhraseSet,
    pub of_plan: PhraseSet,
    pub indicators: PhraseSet,
    pub indicator_list: Vec<Indicator>,
    /// 0 over, 1 under, 2 approx.
    pub qualifiers: PhraseSet,
    pub at_least_after: PhraseSet,
    pub target: PhraseSet,
    pub target_paragraph: PhraseSet,
    pub cancel_target: PhraseSet,
    pub actual: PhraseSet,
    pub not_figure_before: PhraseSet,
    pub figure_before: PhraseSet,
    pub not_figure_after: PhraseSet,
    pub award_nouns: PhraseSet,
    pub award_noun_list: Vec<String>,
    pub generic_awards: WordSet,
    /// A generic award counts only after a word ending so, or before one
    /// starting so (folded).
    pub generic_award_before: Vec<String>,
    pub generic_award_after: Vec<String>,
    /// "của ", folded, with its space: the giver named after the award.
    pub giver_after_award: String,
    pub award_verbs: PhraseSet,
    pub award_passive: PhraseSet,
    pub plural_markers: PhraseSet,
    pub recipients: PhraseSet,
    pub recipient_types: Vec<String>,
    pub givers: PhraseSet,
    pub giver_list: Vec<String>,
    pub levels: PhraseSet,
    pub level_list: Vec<String>,
    pub meeting_types: PhraseSet,
    pub meeting_type_keys: Vec<String>,
    pub first_half: PhraseSet,
    pub second_half: PhraseSet,
    /// Folded; searched as plain substrings of the lead.
    pub midyear_first_half: Vec<String>,
    /// Prebuilt searches for the folded review cues: they run on every lead
    /// sentence.
    pub review_cues: Vec<memmem::Finder<'static>>,
    pub unit_types: PhraseSet,
    pub unit_type_list: Vec<String>,
    pub city_types: PhraseSet,
    pub province_types: PhraseSet,
    pub province_level_cities: Vec<String>,
    pub provinces: PhraseSet,
    /// Meeting-type cues right after these name another event.
    pub cue_ignore_after: Vec<String>,
    /// From this date no unit has a district-level city above it.
    pub districts_abolished: chrono::NaiveDate,
    pub province_list: Vec<String>,
    pub name_stop_words: WordSet,
    /// First words of the stop phrases of two words or more ("Hội" of "Hội
    /// nghị"): only a word among these needs the one after it looked at.
    pub name_stop_pair_heads: WordSet,
    /// Party committees above a unit (`committee_levels`), and their folded
    /// spellings by entry.
    pub committee_levels: PhraseSet,
    pub committee_level_list: Vec<String>,
    pub organizer_heads: PhraseSet,
    /// " tổ chức ", folded, with a space on each side: prebuilt, as it is
    /// searched in every lead sentence.
    pub organizer_verb: memmem::Finder<'static>,
    /// " đã", " long trọng": trimmed off the end of an organizer's name, as
    /// written (not folded), each with the space before it.
    pub organizer_trailing: Vec<String>,
    /// Lines of page furniture (clutter.toml `remove`).
    pub clutter_remove: regex::RegexSet,
    /// Lines that start the site footer (clutter.toml `footer_start`).
    pub footer_start: regex::RegexSet,
    pub stamp: Regex,
    pub html: crate::html::HtmlRules,
    /// The administrative units, when the pipeline names a gazetteer.
    pub gazetteer: Option<std::sync::Arc<crate::gazetteer::Gazetteer>>,
    /// All the phrase sets above in one automaton.
    pub phrase_index: Option<PhraseIndex>,
    /// [`Lexicon::title_forms`] of the titles seen so far.
    title_memo: Memo<TitleForms>,
}

/// A title's forms in the people table: its abbreviations expanded, the key
/// of that (to tell a title from its restatement) and its head word (to tell
/// a new title from a restated one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleForms {
    pub expanded: String,
    pub expanded_key: String,
    pub head: String,
}

/// A set of words or phrases looked up by every candidate name and award
/// of a page: on aHash, which hashes a short string in a fraction of the
/// time of the standard library's SipHash (flooding is not a risk here: the
/// keys are the lexicon's own).
pub type WordSet = HashSet<String, ahash::RandomState>;

/// Values a lexicon computes from a string and nothing else, kept by that
/// string: the same titles come back page after page, and computing one
/// takes regex searches and copies. Bounded: past [`Memo::CAPACITY`]
/// strings, new ones are computed and not kept.
struct Memo<V> {
    map: std::sync::RwLock<HashMap<Box<str>, V>>,
}

impl<V: Clone> Memo<V> {
    const CAPACITY: usize = 16 * 1024;

    fn new() -> Self {
        Memo {
            map: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// The value kept for `key`, else `make()`, kept if there is room. A
    /// lock poisoned by a panic elsewhere still holds whole values: each is
    /// inserted at once.
    fn get_or(&self, key: &str, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.map.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            return v.clone();
        }
        let v = make();
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() < Self::CAPACITY {
            map.insert(key.into(), v.clone());
        }
        v
    }

    /// How many values are kept: for the tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

const RECIPIENT_TYPES: &[&str] = &[
    "collective",
    "individual",
    "party_cell",
    "party_member",
    "unit",
    "person",
];
const MEETING_TYPES: &[&str] = &[
    "annual_review",
    "midyear_review",
    "congress",
    "council_session",
    "launch",
    "ceremony",
    "other",
];

fn where_is(text: &str, needle: &str) -> usize {
    text.find(needle).unwrap_or(0)
}

fn compile_regex(path: &Path, text: &str, pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| {
        // The pattern as it stands in the file, to point at its line.
        let probe = pattern.chars().take(20).collect::<String>();
        Error::config_at(
            path,
            text,
            where_is(text, &probe),
            format!("bad regular expression: {e}"),
        )
    })
}

fn check_in(path: &Path, text: &str, value: &str, allowed: &[&str], what: &str) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::config_at(
            path,
            text,
            where_is(text, &format!("\"{value}\"")),
            format!(
                "unknown {what} \"{value}\"; expected one of: {}",
                allowed.join(", ")
            ),
        ))
    }
}

fn nonempty(path: &Path, text: &str, list: &[String], key: &str) -> Result<()> {
    if let Some(i) = list.iter().position(|s| s.trim().is_empty()) {
        let _ = i;
        return Err(Error::config_at(
            path,
            text,
            where_is(text, key),
            format!("`{key}` holds an empty phrase"),
        ));
    }
    Ok(())
}

impl Lexicon {
    /// Adds the gazetteer, and the fingerprints that cover it too.
    pub fn set_gazetteer(&mut self, g: std::sync::Arc<crate::gazetteer::Gazetteer>, prints: Fingerprints) {
        self.fingerprint = prints.all;
        self.fingerprint_text = prints.text;
        self.fingerprint_html = prints.html;
        self.gazetteer = Some(g);
    }

    pub fn load(dir: &Path) -> Result<Lexicon> {
        let prints = fingerprints(dir)?;
        let load = |name: &str| -> Result<(std::path::PathBuf, String)> {
            let p = dir.join(name);
            let bytes = std::fs::read(&p).map_err(Error::reading(&p))?;
            Ok((p, String::from_utf8_lossy(&bytes).into_owned()))
        };

        let (p, _) = load("abbreviations.toml")?;
        let (abbr, abbr_text): (AbbrFile, String) = read_toml(&p)?;
        let (tp, _) = load("titles.toml")?;
        let (titles, titles_text): (TitlesFile, String) = read_toml(&tp)?;
        nonempty(&tp, &titles_text, &titles.heads, "heads")?;
        let (pp, _) = load("people.toml")?;
        let (people, _): (PeopleFile, String) = read_toml(&pp)?;
        let (rp, _) = load("roles.toml")?;
        let (roles, _): (RolesFile, String) = read_toml(&rp)?;
        let (up, _) = load("units.toml")?;
        let (units, units_text): (UnitsFile, String) = read_toml(&up)?;
        let (ip, _) = load("indicators.toml")?;
        let (inds, inds_text): (IndicatorsFile, String) = read_toml(&ip)?;
        let (fp, _) = load("figures.toml")?;
        let (figs, _): (FiguresFile, String) = read_toml(&fp)?;
        let (ap, _) = load("awards.toml")?;
        let (awards, awards_text): (AwardsFile, String) = read_toml(&ap)?;
        let (mp, _) = load("meetings.toml")?;
        let (meetings, meetings_text): (MeetingsFile, String) = read_toml(&mp)?;
        let districts_abolished =
            chrono::NaiveDate::parse_from_str(&meetings.districts_abolished, "%Y-%m-%d").map_err(|e| {
                Error::config_at(
                    &mp,
                    &meetings_text,
                    where_is(&meetings_text, "districts_abolished"),
                    format!("districts_abolished is not a YYYY-MM-DD date: {e}"),
                )
            })?;
        let (cp, _) = load("clutter.toml")?;
        let (clutter, clutter_text): (ClutterFile, String) = read_toml(&cp)?;
        let (hp, _) = load("html.toml")?;
        let (html_file, html_text): (crate::html::HtmlRulesFile, String) = read_toml(&hp)?;
        let html = crate::html::HtmlRules::compile(&html_file).map_err(|message| {
            let probe = message
                .split('"')
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(20)
                .collect::<String>();
            Error::config_at(&hp, &html_text, where_is(&html_text, &probe), message)
        })?;
        let Fingerprints {
            all: fingerprint,
            text: fingerprint_text,
            html: fingerprint_html,
        } = prints;

        for c in &units.count {
            check_in(&up, &units_text, &c.unit, METRIC_UNITS, "unit")?;
        }
        for m in &units.measure {
            check_in(&up, &units_text, &m.unit, METRIC_UNITS, "unit")?;
        }
        for i in &inds.indicator {
            for u in &i.units {
                check_in(&ip, &inds_text, u, METRIC_UNITS, "unit")?;
            }
        }
        for r in &awards.recipient {
            check_in(&ap, &awards_text, &r.kind, RECIPIENT_TYPES, "recipient type")?;
        }
        for t in &meetings.types {
            check_in(&mp, &meetings_text, &t.key, MEETING_TYPES, "meeting type")?;
        }

        // Abbreviations: a case-sensitive alternation, longest first.
        let mut shorts: Vec<&AbbrEntry> = abbr.abbr.iter().collect();
        shorts.sort_by_key(|a| std::cmp::Reverse(a.short.chars().count()));
        for a in &shorts {
            if a.short.trim().is_empty() || a.long.trim().is_empty() {
                return Err(Error::config_at(
                    &p,
                    &abbr_text,
                    where_is(&abbr_text, &a.short),
                    "empty abbreviation",
                ));
            }
        }
        let alternation = shorts
            .iter()
            .map(|a| regex::escape(&a.short))
            .collect::<Vec<_>>()
            .join("|");
        let expand = Regex::new(&format!(
            r"(^|[^\p{{L}}\p{{N}}])({alternation})($|[^\p{{L}}\p{{N}}])"
        ))
        .map_err(|e| Error::config_at(&p, &abbr_text, 0, format!("abbreviations do not compile: {e}")))?;
        let glued_list: Vec<String> = shorts
            .iter()
            .filter(|a| a.glued)
            .map(|a| regex::escape(&a.short))
            .collect();
        let glued = if glued_list.is_empty() {
            None
        } else {
            Some(
                Regex::new(&format!(r"(?-u:\b)({})(\p{{Ll}})", glued_list.join("|"))).map_err(|e| {
                    Error::config_at(
                        &p,
                        &abbr_text,
                        0,
                        format!("glued abbreviations do not compile: {e}"),
                    )
                })?,
            )
        };
        let any = AhoCorasick::new(shorts.iter().map(|a| a.short.as_str()))
            .map_err(|e| Error::config_at(&p, &abbr_text, 0, format!("abbreviations do not compile: {e}")))?;
        let dotted_list: Vec<String> = shorts
            .iter()
            .filter(|a| a.short.ends_with('.'))
            .map(|a| regex::escape(&a.short))
            .collect();
        let dotted = if dotted_list.is_empty() {
            None
        } else {
            Some(
                Regex::new(&format!(r"({})(\p{{L}})", dotted_list.join("|"))).map_err(|e| {
                    Error::config_at(
                        &p,
                        &abbr_text,
                        0,
                        format!("dotted abbreviations do not compile: {e}"),
                    )
                })?,
            )
        };
        let long_of = abbr
            .abbr
            .iter()
            .map(|a| (a.short.clone(), normalize_text(&a.long)))
            .collect();

        let one = |v: &Vec<String>| PhraseSet::flat(v);
        let count_entries: Vec<Vec<String>> = units.count.iter().map(|c| c.nouns.clone()).collect();
        let measure_entries: Vec<Vec<String>> = units.measure.iter().map(|c| c.words.clone()).collect();
        let ind_entries: Vec<Vec<String>> = inds.indicator.iter().map(|c| c.phrases.clone()).collect();
        let rec_entries: Vec<Vec<String>> = awards.recipient.iter().map(|c| c.nouns.clone()).collect();
        let type_entries: Vec<Vec<String>> = meetings.types.iter().map(|c| c.cues.clone()).collect();
        let noun_entries: Vec<Vec<String>> = awards.nouns.iter().map(|n| vec![n.clone()]).collect();
        let giver_entries: Vec<Vec<String>> = awards.givers.iter().map(|n| vec![n.clone()]).collect();
        let level_entries: Vec<Vec<String>> = awards.levels.iter().map(|n| vec![n.clone()]).collect();
        let unit_type_entries: Vec<Vec<String>> =
            meetings.unit_types.iter().map(|n| vec![n.clone()]).collect();
        let qualifier_entries = vec![
            figs.qualifiers.over.clone(),
            figs.qualifiers.under.clone(),
            figs.qualifiers.approx.clone(),
        ];

        // Each pattern compiled alone first, so an error points at its line;
        // then all of a list as one set, which reads a line once for all.
        let set = |patterns: &[String]| -> Result<regex::RegexSet> {
            for r in patterns {
                compile_regex(&cp, &clutter_text, r)?;
            }
            regex::RegexSet::new(patterns)
                .map_err(|e| Error::config_at(&cp, &clutter_text, 0, format!("bad regular expression: {e}")))
        };
        let clutter_remove = set(&clutter.remove)?;
        let footer_start = set(&clutter.footer_start)?;
        let stamp = compile_regex(&cp, &clutter_text, &clutter.stamp)?;

        Ok(Lexicon {
            fingerprint,
            fingerprint_text,
            fingerprint_html,
            abbreviations: Abbreviations {
                expand,
                long_of,
                glued,
                dotted,
                any,
            },
            title_heads: one(&titles.heads),
            person_cues: one(&people.cues),
            place_words: one(&people.place_words),
            not_people: people.not_people.iter().map(|n| fold_phrase(n)).collect(),
            // Lowercase once here: every line of every page is compared with them.
            editor_labels: people
                .editor_labels
                .iter()
                .map(|s| normalize_text(s).to_lowercase())
                .collect(),
            byline_labels: people.byline_labels.iter().map(|s| normalize_text(s)).collect(),
            surnames: people.surnames.iter().map(|s| normalize_text(s)).collect(),
            list_cue: memmem::Finder::new(&fold_phrase(&people.list_cue)).into_owned(),
            chair: one(&roles.chair),
            chair_list: one(&roles.chair_list),
            attendee_not_before: one(&roles.attendee_not_before),
            title_conjunctions: one(&roles.title_conjunctions),
            speaker: one(&roles.speaker),
            attendee: one(&roles.attendee),
            award_to: one(&roles.award_to),
            award_received: one(&roles.award_received),
            awardee_passive: roles
                .awardee_passive
                .iter()
                .map(|w| format!("{} ", fold_phrase(w)))
                .collect(),
            award_giver_gap: roles
                .award_giver_gap
                .iter()
                .map(|w| normalize_text(w.trim()))
                .collect(),
            title_stops: {
                let mut all = roles.title_stops.clone();
                all.extend(roles.chair.iter().cloned());
                all.extend(roles.speaker.iter().cloned());
                all.extend(roles.award_received.iter().cloned());
                PhraseSet::flat(&all)
            },
            count_nouns: PhraseSet::new(&count_entries),
            count_units: units.count.iter().map(|c| c.unit.clone()).collect(),
            measures: PhraseSet::new(&measure_entries),
            measure_units: units.measure.iter().map(|c| c.unit.clone()).collect(),
            magnitudes: one(&units.money.magnitudes),
            currency: one(&units.money.currency),
            currency_from_thousand: units
                .money
                .currency_from_thousand
                .iter()
                .map(|w| fold_phrase(w))
                .collect(),
            per_person_year: one(&units.money.per_person_year),
            per_ha: one(&units.money.per_ha),
            of_plan: one(&units.percent.of_plan),
            indicators: PhraseSet::new(&ind_entries),
            indicator_list: inds
                .indicator
                .iter()
                .map(|i| Indicator {
                    key: i.key.clone(),
                    units: i.units.clone(),
                })
                .collect(),
            qualifiers: PhraseSet::new(&qualifier_entries),
            at_least_after: one(&figs.qualifiers.at_least_after),
            target: one(&figs.kind.target),
            target_paragraph: one(&figs.kind.target_paragraph),
            cancel_target: one(&figs.kind.cancel_target),
            actual: one(&figs.kind.actual),
            not_figure_before: one(&figs.not_figure_before),
            figure_before: one(&figs.figure_before),
            not_figure_after: one(&figs.not_figure_after),
            award_nouns: PhraseSet::new(&noun_entries),
            award_noun_list: awards.nouns.iter().map(|n| fold_phrase(n)).collect(),
            generic_awards: awards.generic.iter().map(|n| fold_phrase(n)).collect(),
            generic_award_before: awards.generic_before.iter().map(|w| fold_phrase(w)).collect(),
            generic_award_after: awards.generic_after.iter().map(|w| fold_phrase(w)).collect(),
            giver_after_award: format!("{} ", fold_phrase(&awards.giver_after)),
            award_verbs: one(&awards.verbs),
            award_passive: one(&awards.passive),
            plural_markers: one(&awards.plural_markers),
            recipients: PhraseSet::new(&rec_entries),
            recipient_types: awards.recipient.iter().map(|r| r.kind.clone()).collect(),
            givers: PhraseSet::new(&giver_entries),
            giver_list: awards.givers.iter().map(|g| normalize_text(g)).collect(),
            levels: PhraseSet::new(&level_entries),
            level_list: awards
                .levels
                .iter()
                .map(|g| normalize_text(g).to_lowercase())
                .collect(),
            meeting_types: PhraseSet::new(&type_entries),
            meeting_type_keys: meetings.types.iter().map(|t| t.key.clone()).collect(),
            first_half: one(&meetings.first_half),
            second_half: one(&meetings.second_half),
            midyear_first_half: meetings
                .midyear_first_half
                .iter()
                .map(|w| fold_phrase(w))
                .collect(),
            review_cues: meetings
                .review_cues
                .iter()
                .map(|c| memmem::Finder::new(&fold_phrase(c)).into_owned())
                .collect(),
            unit_types: PhraseSet::new(&unit_type_entries),
            unit_type_list: meetings.unit_types.iter().map(|s| normalize_text(s)).collect(),
            city_types: one(&meetings.city_types),
            province_types: one(&meetings.province_types),
            province_level_cities: meetings
                .province_level_cities
                .iter()
                .map(|s| normalize_text(s))
                .collect(),
            provinces: PhraseSet::each(&meetings.provinces),
            districts_abolished,
            cue_ignore_after: meetings.cue_ignore_after.iter().map(|s| fold_phrase(s)).collect(),
            province_list: meetings.provinces.iter().map(|s| normalize_text(s)).collect(),
            name_stop_words: meetings
                .name_stop_words
                .iter()
                .map(|s| normalize_text(s))
                .collect(),
            name_stop_pair_heads: meetings
                .name_stop_words
                .iter()
                .map(|s| normalize_text(s))
                .filter_map(|s| s.split_once(' ').map(|(head, _)| head.to_string()))
                .collect(),
            committee_levels: PhraseSet::each(&meetings.committee_levels),
            committee_level_list: meetings.committee_levels.iter().map(|s| fold_phrase(s)).collect(),
            organizer_heads: one(&meetings.organizer_heads),
            organizer_verb: memmem::Finder::new(&format!(" {} ", fold_phrase(&meetings.organizer_verb)))
                .into_owned(),
            organizer_trailing: meetings
                .organizer_trailing
                .iter()
                .map(|w| format!(" {}", normalize_text(w.trim())))
                .collect(),
            clutter_remove,
            footer_start,
            stamp,
            html,
            gazetteer: None,
            phrase_index: None,
            title_memo: Memo::new(),
        }
        .indexed())
    }

    /// Builds the combined index of the phrase sets that pages are searched
    /// with. A set left out here still works, searched on its own. Left out
    /// on purpose: the sets only ever asked for the phrase at one place
    /// ([`PhraseSet::at`]) or about a short string ([`PhraseSet::any`]):
    /// title heads, count nouns, measures, magnitudes, currencies, the
    /// per-person and per-hectare units, "of plan", the words that unmake a
    /// figure after it or an attendee before it, award levels and the two
    /// halves of the year. In the index they only made the page scan longer
    /// (with them, about 280 more patterns and a third more hits).
    fn indexed(mut self) -> Lexicon {
        let sets = vec![
            &mut self.person_cues,
            &mut self.place_words,
            &mut self.chair,
            &mut self.chair_list,
            &mut self.title_conjunctions,
            &mut self.speaker,
            &mut self.attendee,
            &mut self.award_to,
            &mut self.award_received,
            &mut self.title_stops,
            &mut self.indicators,
            &mut self.qualifiers,
            &mut self.at_least_after,
            &mut self.target,
            &mut self.target_paragraph,
            &mut self.cancel_target,
            &mut self.actual,
            &mut self.not_figure_before,
            &mut self.figure_before,
            &mut self.award_nouns,
            &mut self.award_verbs,
            &mut self.award_passive,
            &mut self.plural_markers,
            &mut self.recipients,
            &mut self.givers,
            &mut self.meeting_types,
            &mut self.unit_types,
            &mut self.city_types,
            &mut self.province_types,
            &mut self.provinces,
            &mut self.organizer_heads,
            &mut self.committee_levels,
        ];
        self.phrase_index = Some(PhraseIndex::build(sets));
        self
    }

    /// A title's forms, from the memo when the title was seen before.
    pub fn title_forms(&self, raw: &str) -> TitleForms {
        self.title_memo.get_or(raw, || {
            let expanded = self.expand_abbreviations(raw);
            TitleForms {
                expanded_key: crate::vntext::canonical_key(&expanded),
                head: self.title_head(raw),
                expanded,
            }
        })
    }

    /// The word a title starts with, to tell a restated title from a new one.
    fn title_head(&self, raw: &str) -> String {
        let f = fold_case_same_len(&normalize_text(raw));
        match self.title_heads.at(&f, 0) {
            Some(h) => self
                .expand_abbreviations(&raw[..h.end.min(raw.len())])
                .to_lowercase(),
            None => f,
        }
    }

    /// Expands the abbreviations in a title: "UVBTV Thành ủy" to
    /// "Ủy viên Ban Thường vụ Thành ủy".
    pub fn expand_abbreviations(&self, s: &str) -> String {
        let a = &self.abbreviations;
        let mut out = s.to_string();
        // The regexes can only match where an abbreviation occurs; most
        // titles have none.
        if a.any.is_match(s) {
            if let Some(re) = &a.dotted {
                out = re.replace_all(&out, "$1 $2").into_owned();
            }
            // Twice, because adjacent abbreviations share the separator
            // between them; a first pass that changed nothing needs no second.
            for _ in 0..2 {
                let expanded = a.expand.replace_all(&out, |c: &regex::Captures| {
                    let long = a.long_of.get(&c[2]).cloned().unwrap_or_else(|| c[2].to_string());
                    format!("{}{}{}", &c[1], long, &c[3])
                });
                match expanded {
                    std::borrow::Cow::Borrowed(_) => break,
                    std::borrow::Cow::Owned(changed) => out = changed,
                }
            }
        }
        crate::vntext::collapse_spaces(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon")).unwrap()
    }

    #[test]
    fn expands_titles() {
        let lx = lexicon();
        assert_eq!(
            lx.expand_abbreviations("UVBTV Thành ủy"),
            "Ủy viên Ban Thường vụ Thành ủy"
        );
        assert_eq!(
            lx.expand_abbreviations("Phó Chủ tịch HĐND thành phố"),
            "Phó Chủ tịch Hội đồng nhân dân thành phố"
        );
        assert_eq!(
            lx.expand_abbreviations("Chủ tịch UB.MTTQ thành phố"),
            "Chủ tịch Ủy ban Mặt trận Tổ quốc thành phố"
        );
        assert_eq!(
            lx.expand_abbreviations("PCT UBND TP.Bắc Kạn"),
            "Phó Chủ tịch Ủy ban nhân dân thành phố Bắc Kạn"
        );
        assert_eq!(lx.expand_abbreviations("Bí thư Chi bộ"), "Bí thư Chi bộ");
    }

    #[test]
    fn title_forms_by_value_each_title_kept_once() {
        let lx = lexicon();
        assert_eq!(lx.title_memo.len(), 0);
        let forms = TitleForms {
            expanded: "Ủy viên Ban Thường vụ Thành ủy".into(),
            expanded_key: "ủy viên ban thường vụ thành ủy".into(),
            // The head "UVBTV", expanded and lowercased.
            head: "ủy viên ban thường vụ".into(),
        };
        assert_eq!(lx.title_forms("UVBTV Thành ủy"), forms);
        assert_eq!(lx.title_forms("UVBTV Thành ủy"), forms);
        assert_eq!(lx.title_memo.len(), 1);
        // A title with no head word: the head is the whole title, folded.
        assert_eq!(lx.title_forms("Thành ủy").head, "thành ủy");
        assert_eq!(lx.title_memo.len(), 2);
    }

    #[test]
    fn a_full_memo_computes_without_keeping() {
        let memo: Memo<usize> = Memo::new();
        for i in 0..Memo::<usize>::CAPACITY + 10 {
            assert_eq!(memo.get_or(&i.to_string(), || i * 2), i * 2);
        }
        assert_eq!(memo.len(), Memo::<usize>::CAPACITY);
        // A kept value is returned, not made again.
        assert_eq!(memo.get_or("7", || 0), 14);
        assert_eq!(memo.get_or("no such", || 3), 3);
    }

    /// The page scan walks the combined automaton by hand; each set's slot
    /// must hold exactly what that set's own search finds, in its order.
    #[test]
    fn page_scan_finds_what_each_set_finds() {
        let mut a = PhraseSet::flat(&["thu", "thu nhập", "nhập"]);
        let mut b = PhraseSet::flat(&["nhập", "u n", "bình quân"]);
        let index = PhraseIndex::build(vec![&mut a, &mut b]);
        let text = fold_case_same_len("Thu nhập bình quân; thu nhập thuế");
        let scan = index.scan(&text);
        assert_eq!(scan.len(), 2);
        // By hand, in bytes ("ậ" and "ế" take three, "ì" and "â" two): "thu"
        // at 0, 24 and 35 ("thuế"), "thu nhập" at 0 and 24, "nhập" at 4 and
        // 28 in both sets, "u n" at 2 and 26, "bình quân" at 11.
        let a_hits: Vec<(usize, usize)> = scan[0].iter().map(|h| (h.start, h.end)).collect();
        assert_eq!(
            a_hits,
            vec![(0, 10), (0, 3), (4, 10), (24, 34), (24, 27), (28, 34), (35, 38)]
        );
        let b_hits: Vec<(u32, usize)> = scan[1].iter().map(|h| (h.pattern, h.start)).collect();
        assert_eq!(b_hits, vec![(1, 2), (0, 4), (2, 11), (1, 26), (0, 28)]);
        assert_eq!(scan[0], a.raw_hits(&text));
        assert_eq!(scan[1], b.raw_hits(&text));

        // The whole lexicon on every sample page.
        let lx = lexicon();
        let index = lx.phrase_index.as_ref().unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/pages");
        let mut checked = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let folded = fold_case_same_len(&text);
            let scan = index.scan(&folded);
            for set in [
                &lx.indicators,
                &lx.provinces,
                &lx.unit_types,
                &lx.meeting_types,
                &lx.chair,
            ] {
                let slot = set.slot().unwrap();
                assert_eq!(scan[slot], set.raw_hits(&folded), "{}", path.display());
                checked += scan[slot].len();
            }
        }
        assert!(checked > 100, "only {checked} hits checked");
    }

    #[test]
    fn phrases_match_whole_words() {
        let set = PhraseSet::flat(&["thu", "thu nhập"]);
        let text = fold_case_same_len("Thu nhập bình quân; thuế; thu ngân sách");
        let hits = set.longest(&text);
        assert_eq!(hits.len(), 2);
        assert_eq!(&text[hits[0].start..hits[0].end], "thu nhập");
        assert_eq!(&text[hits[1].start..hits[1].end], "thu");
    }

    #[test]
    fn bad_regex_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon");
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        let bad = "remove = ['^(unclosed']\nfooter_start = []\nstamp = 'x'\n";
        std::fs::write(dir.path().join("clutter.toml"), format!("# comment\n{bad}")).unwrap();
        let err = Lexicon::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("clutter.toml:2:"), "{err}");
        assert!(err.contains("bad regular expression"), "{err}");
    }

    #[test]
    fn unknown_unit_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon");
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        let text = std::fs::read_to_string(dir.path().join("units.toml")).unwrap();
        std::fs::write(
            dir.path().join("units.toml"),
            text.replacen("unit = \"household\"", "unit = \"houses\"", 1),
        )
        .unwrap();
        let err = Lexicon::load(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("units.toml:") && err.contains("unknown unit \"houses\""),
            "{err}"
        );
    }
}
