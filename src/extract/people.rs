//! People: names after cues or before titles, their titles one by one, their
//! roles from the clause, the byline (author) and the footer editor.

use std::collections::BTreeSet;

use super::{MeetingFacts, Page, Separators, SEMICOLON_CLAUSE};
use crate::model::{stable_id, PersonMention};
use crate::vntext::{canonical_key, name, normalize_text};

/// One appearance of a person in the page.
#[derive(Debug, Clone)]
pub struct PersonOccurrence {
    pub key: String,
    pub name: String,
    pub start: usize,
    pub end: usize,
    pub sentence: usize,
    pub titles_raw: Vec<String>,
    pub roles: BTreeSet<Role>,
}

/// CONTRACT.md person_mentions.roles, in the order they are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Chair,
    Attendee,
    Speaker,
    Awardee,
    Author,
    Editor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Chair => "chair",
            Role::Attendee => "attendee",
            Role::Speaker => "speaker",
            Role::Awardee => "awardee",
            Role::Author => "author",
            Role::Editor => "editor",
        }
    }
}

/// Alphanumeric runs of `text[start..end]`, as absolute byte spans.
fn tokens(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    // A Vietnamese word is a syllable of four or five bytes and a space:
    // room for one per six bytes spares most regrowing.
    let mut out = Vec::with_capacity((end - start) / 6 + 1);
    let mut cur: Option<usize> = None;
    let mut i = start;
    while i < end {
        // Classed by its first bytes: most chars need no decoding.
        let (word, len) = crate::vntext::letter_or_digit_at(text, i);
        if word {
            if cur.is_none() {
                cur = Some(i);
            }
        } else if let Some(s) = cur.take() {
            out.push((s, i));
        }
        i += len;
    }
    if let Some(s) = cur {
        out.push((s, end));
    }
    out
}

/// A name's segment of a sentence (its semicolon clause is [`SEMICOLON_CLAUSE`]).
const SEGMENT: Separators = Separators::new(b",;:.");

const TITLE_SEPARATORS: [char; 4] = [',', '–', '-', '—'];

/// Titles written after a name, one per comma-separated segment, each starting
/// with a title head. Returns the raw titles and where they end.
fn titles_after(page: &Page, pos: usize, limit: usize) -> (Vec<String>, usize) {
    let body = page.body();
    let folded = page.folded();
    let mut titles = Vec::new();
    let mut p = pos;
    let mut end_of_titles = pos;
    let mut first = true;
    loop {
        let mut q = p;
        while q < limit && body[q..].starts_with(' ') {
            q += 1;
        }
        let rest = &body[q..limit];
        let sep = rest
            .chars()
            .next()
            .filter(|c| TITLE_SEPARATORS.contains(c) || *c == ':');
        if let Some(c) = sep {
            q += c.len_utf8();
            while q < limit && body[q..].starts_with(' ') {
                q += 1;
            }
        } else if !first {
            break;
        }
        if q >= limit {
            break;
        }
        let Some(head) = page.lx.title_heads.at(&folded[..limit], q) else {
            break;
        };
        // The segment runs to the next separator or a lowercase stop word.
        let mut seg_end = limit;
        for (i, c) in body[head.end..limit].char_indices() {
            if matches!(c, ',' | ';' | '(' | ')' | ':' | '“' | '"') {
                seg_end = head.end + i;
                break;
            }
            // A dash separates titles ("... Thành ủy – Trưởng Ban ..."), but not the
            // halves of a body's name ("Ban Kinh tế - Xã hội").
            if matches!(c, '–' | '—') || (c == '-' && body[head.end + i..].starts_with("- ")) {
                let after = head.end + i + c.len_utf8();
                let next = after + body[after..limit].len() - body[after..limit].trim_start().len();
                if page.lx.title_heads.at(&folded[..limit], next).is_some() || next >= limit {
                    seg_end = head.end + i;
                    break;
                }
            }
        }
        let stops = page.hits_in(&page.lx.title_stops, head.end, seg_end);
        let conjunctions = page.hits_in(&page.lx.title_conjunctions, head.end, seg_end);
        for h in stops.iter().chain(conjunctions.iter().filter(|h| {
            // "và" ends the title only before a lowercase word.
            body[h.end..]
                .trim_start()
                .chars()
                .next()
                .is_some_and(char::is_lowercase)
        })) {
            let lower = body[h.start..].chars().next().is_some_and(char::is_lowercase);
            if lower && h.start < seg_end {
                seg_end = h.start;
            }
        }
        let raw = body[q..seg_end].trim().trim_end_matches(['.', ' ']).trim();
        if raw.is_empty() || raw.split(' ').count() > 16 {
            break;
        }
        titles.push(raw.to_string());
        end_of_titles = q + body[q..seg_end].trim_end().len();
        p = seg_end;
        first = false;
    }
    (titles, end_of_titles)
}

/// Whether a cue phrase ends right before `pos` (allowing spaces and a colon).
fn ends_with_phrase(page: &Page, set: &crate::lexicon::PhraseSet, from: usize, pos: usize) -> bool {
    let before = page.folded()[from..pos].trim_end_matches([' ', ':']);
    let end = from + before.len();
    page.phrase_ends_at(set, from, end)
}

/// Finds every person in the page, with titles and roles per appearance.
pub fn find_people(page: &Page, facts: &MeetingFacts) -> Vec<PersonOccurrence> {
    let lx = page.lx;
    let body = page.body();
    let mut out: Vec<PersonOccurrence> = Vec::new();
    let byline_line = page.doc.byline;
    for (si, s) in page.doc.sentences.iter().enumerate() {
        if byline_line.is_some_and(|(b, e)| s.start >= b && s.end <= e) {
            continue;
        }
        if page
            .doc
            .editor_lines
            .iter()
            .any(|(b, e)| s.start >= *b && s.end <= *e)
        {
            continue;
        }
        let toks = tokens(body, s.start, s.end);
        let list_from = page
            .lx
            .list_cue
            .find(&page.folded().as_bytes()[s.start..s.end])
            .map(|p| s.start + p);
        let mut j = 0;
        while j < toks.len() {
            let (ts, _) = toks[j];
            let word = &body[toks[j].0..toks[j].1];
            // "Đồng chí LỘC VĂN THẮNG - Thành ủy viên": a name in capitals after a cue.
            if name::is_upper_syllable(word) && !lx.abbreviations.long_of.contains_key(word) {
                if let Some((occ, next)) = upper_name(page, &toks, j, si) {
                    out.push(occ);
                    j = next;
                    continue;
                }
            }
            // "Bà Triệu Thị Hồng Nhung": a capitalised cue word starts no name.
            // The phrase lookups run only for a capitalised word (most are not).
            if !name::is_capitalized_syllable(word)
                || lx
                    .person_cues
                    .at(&page.folded()[..s.end], ts)
                    .is_some_and(|h| h.end == toks[j].1)
                || lx.title_heads.at(&page.folded()[..s.end], ts).is_some()
            {
                j += 1;
                continue;
            }
            let mut k = j;
            while k + 1 < toks.len()
                && &body[toks[k].1..toks[k + 1].0] == " "
                && name::is_capitalized_syllable(&body[toks[k + 1].0..toks[k + 1].1])
                && lx
                    .title_heads
                    .at(&page.folded()[..s.end], toks[k + 1].0)
                    .is_none()
                && k - j < 4
            {
                k += 1;
            }
            let (start, end) = (toks[j].0, toks[k].1);
            let first_tok = j;
            let len = k + 1 - j;
            j = k + 1;
            if !(2..=4).contains(&len) {
                continue;
            }
            let written = &body[start..end];
            let key = canonical_key(written);
            if lx.not_people.contains(&key) {
                continue;
            }
            let cue = ends_with_phrase(page, &lx.person_cues, s.start, start);
            let place = ends_with_phrase(page, &lx.place_words, s.start, start);
            let first_word = normalize_text(&body[toks[first_tok].0..toks[first_tok].1]);
            let surname = lx.surnames.contains(&first_word);
            let (mut titles, titles_end) = titles_after(page, end, s.end);
            let in_list = list_from.is_some_and(|l| l < start);
            let mut accepted = !place && (cue || (surname && (!titles.is_empty() || in_list)));
            // A place ends many titles ("Thành ủy Thái Bình"): a name after a title
            // must have 3 or 4 syllables and be no place the page or the gazetteer names.
            let is_place = [&facts.row.unit_name, &facts.row.city, &facts.row.province]
                .iter()
                .any(|p| p.as_deref() == Some(written))
                || lx.province_list.iter().any(|p| p == written);
            if !accepted && surname && len >= 3 && titles.is_empty() && !is_place {
                // The title first: "Chủ tịch HĐND thị trấn Phan Văn Thịnh".
                let before = titles_before(page, si, start);
                if !before.is_empty() {
                    titles = before;
                    accepted = true;
                }
            }
            if !accepted {
                continue;
            }
            let roles = roles_of(page, si, start, end.max(titles_end));
            out.push(PersonOccurrence {
                key,
                name: name::title_case(written),
                start,
                end,
                sentence: si,
                titles_raw: titles,
                roles,
            });
        }
    }
    out.extend(byline_person(page));
    out.extend(editor_people(page));
    out
}

/// A run of 2 to 4 syllables in capitals right after a person cue (the cue is
/// evidence enough, as for capitalised names): the occurrence and the token after it.
fn upper_name(
    page: &Page,
    toks: &[(usize, usize)],
    j: usize,
    si: usize,
) -> Option<(PersonOccurrence, usize)> {
    let lx = page.lx;
    let body = page.body();
    let s = page.sentence(si);
    let upper = |k: usize| {
        let w = &body[toks[k].0..toks[k].1];
        name::is_upper_syllable(w) && w.chars().all(crate::vntext::is_letter) && w.chars().count() <= 7
    };
    let mut k = j;
    while k + 1 < toks.len() && k - j < 3 && &body[toks[k].1..toks[k + 1].0] == " " && upper(k + 1) {
        k += 1;
    }
    let len = k + 1 - j;
    if !(2..=4).contains(&len) || !upper(j) || !ends_with_phrase(page, &lx.person_cues, s.start, toks[j].0) {
        return None;
    }
    let (start, end) = (toks[j].0, toks[k].1);
    let written = name::title_case(&body[start..end]);
    let (titles, titles_end) = titles_after(page, end, s.end);
    let roles = roles_of(page, si, start, end.max(titles_end));
    let occ = PersonOccurrence {
        key: canonical_key(&written),
        name: written,
        start,
        end,
        sentence: si,
        titles_raw: titles,
        roles,
    };
    Some((occ, k + 1))
}

/// Titles written before a name: "Bí thư Đảng ủy, Chủ tịch HĐND phường Phạm
/// Văn Khiêm". The segment right before the name (after the last comma,
/// semicolon or colon) starts with a title head, possibly after a cue, and so
/// may the comma segments before it.
fn titles_before(page: &Page, si: usize, name_start: usize) -> Vec<String> {
    let s = page.sentence(si);
    let body = page.body();
    let folded = &page.folded()[..name_start];
    let title_at = |from: usize, to: usize| -> Option<String> {
        let mut p = from + body[from..to].len() - body[from..to].trim_start().len();
        if let Some(cue) = page.lx.person_cues.at(folded, p) {
            p = cue.end + body[cue.end..to].len() - body[cue.end..to].trim_start().len();
        }
        let head = page.lx.title_heads.at(&page.folded()[..to], p)?;
        let title = body[p..to].trim().trim_end_matches(',').trim();
        (head.end <= to && !title.is_empty() && title.split(' ').count() <= 12).then(|| title.to_string())
    };
    let (seg_start, _) = page.clause(si, name_start, &SEGMENT);
    let seg_start = seg_start.max(s.start);
    let Some(last) = title_at(seg_start, name_start) else {
        return Vec::new();
    };
    let mut titles = vec![last];
    // Earlier comma segments that are titles too.
    let mut seg_end = seg_start;
    while seg_end > s.start + 1 && body[..seg_end].ends_with(',') {
        let comma = seg_end - 1;
        let prev_start = body[s.start..comma]
            .rfind([',', ';', ':', '.'])
            .map_or(s.start, |p| s.start + p + 1);
        match title_at(prev_start, comma) {
            Some(t) => titles.insert(0, t),
            None => break,
        }
        seg_end = prev_start;
    }
    titles
}

/// Roles from the clause of the sentence around a name.
fn roles_of(page: &Page, si: usize, name_start: usize, after_titles: usize) -> BTreeSet<Role> {
    let lx = page.lx;
    let s = page.sentence(si);
    let (cs, ce) = page.clause(si, name_start, &SEMICOLON_CLAUSE);
    let mut roles = BTreeSet::new();
    if page.has_in(&lx.chair, cs, ce) || page.has_in(&lx.chair_list, s.start, name_start) {
        roles.insert(Role::Chair);
    }
    let after = after_titles.min(ce);
    let speaker_after = page.hits_in(&lx.speaker, after, ce).iter().any(|h| {
        page.body()[h.start..]
            .chars()
            .next()
            .is_some_and(char::is_lowercase)
    });
    let sentence_head = page
        .hits_in(&lx.speaker, s.start, name_start)
        .iter()
        .any(|h| h.start == s.start);
    if speaker_after || sentence_head {
        roles.insert(Role::Speaker);
    }
    let has_award_noun = page.has_in(&lx.award_nouns, s.start, s.end);
    if has_award_noun {
        let given_to = ends_with_phrase_skipping_cue(page, cs, name_start);
        let received = page
            .hits_in(&lx.award_received, after, ce)
            .first()
            .is_some_and(|h| {
                // Right after the titles, before anyone else is named.
                page.body()[after..h.start].trim().is_empty() || page.body()[after..h.start].trim() == ","
            });
        // "X vinh dự được Chủ tịch UBND tỉnh tặng Bằng khen": a passive with the giver inside.
        let gap = page.folded()[after..ce].trim_start_matches([' ', ',']);
        let passive = lx.awardee_passive.iter().any(|w| gap.starts_with(w.as_str()))
            && page.has_in(&lx.award_verbs, after, ce);
        if given_to || received || passive {
            roles.insert(Role::Awardee);
        }
    }
    // Present at the meeting: named in an attendance sentence, or handing out
    // an award there ("ông X, Chủ tịch UBND thị trấn trao giấy khen ...").
    let hands_out = has_award_noun
        && page.hits_in(&lx.award_to, after, ce).first().is_some_and(|h| {
            let gap = page.body()[after..h.start].trim();
            gap.is_empty() || gap == "," || lx.award_giver_gap.iter().any(|w| gap == w)
        });
    let (intro_attendee, intro_chair) = list_intro(page, si);
    let attends = attendance_cue(page, s.start, s.end);
    if intro_chair {
        roles.insert(Role::Chair);
    }
    if !roles.contains(&Role::Chair) && (attends || hands_out || intro_attendee) {
        roles.insert(Role::Attendee);
    }
    roles
}

/// For a list item on its own line ("- Đồng chí A - ...;") under a line that
/// introduces it ("Tham dự hội nghị có:"): whether that line names attendees
/// or chairs.
fn list_intro(page: &Page, si: usize) -> (bool, bool) {
    let is_item = |i: usize| page.sentence_text(i).starts_with(['-', '–', '•', '+', '*']);
    if !is_item(si) {
        return (false, false);
    }
    let mut i = si;
    while i > 0 && (is_item(i) || page.sentence(i).paragraph == page.sentence(si).paragraph) {
        i -= 1;
    }
    let intro = page.sentence(i);
    if !page.sentence_text(i).trim_end().ends_with(':') {
        return (false, false);
    }
    (
        attendance_cue(page, intro.start, intro.end),
        page.has_in(&page.lx.chair_list, intro.start, intro.end),
    )
}

/// An attendance cue in `start..end` that is not the start of another word
/// ("về dự toán").
fn attendance_cue(page: &Page, start: usize, end: usize) -> bool {
    page.hits_in(&page.lx.attendee, start, end).iter().any(|h| {
        let next = h.end + page.folded()[h.end..end].len() - page.folded()[h.end..end].trim_start().len();
        page.lx
            .attendee_not_before
            .at(&page.folded()[..end], next)
            .is_none()
    })
}

/// "trao ... cho đồng chí X": a giving cue, then only a person cue, before X.
fn ends_with_phrase_skipping_cue(page: &Page, from: usize, pos: usize) -> bool {
    let lx = page.lx;
    let before = page.folded()[from..pos].trim_end();
    let mut end = from + before.len();
    if let Some(h) = page
        .hits_in(&lx.person_cues, from, end)
        .into_iter()
        .rfind(|h| h.end == end)
    {
        end = from + page.folded()[from..h.start].trim_end().len();
    }
    page.phrase_ends_at(&lx.award_to, from, end)
}

fn byline_person(page: &Page) -> Option<PersonOccurrence> {
    let (b, e) = page.doc.byline?;
    let author = page.doc.row.author.clone()?;
    let line = &page.folded()[b..e];
    let key = canonical_key(&author);
    let rel = line
        .find(&crate::vntext::fold_case_same_len(&normalize_text(&author)))
        .unwrap_or(0);
    let start = b + rel;
    let end = (start + author.len()).min(e);
    let sentence = page.sentence_index(b)?;
    Some(PersonOccurrence {
        key,
        name: author,
        start,
        end,
        sentence,
        titles_raw: Vec::new(),
        roles: BTreeSet::from([Role::Author]),
    })
}

fn editor_people(page: &Page) -> Vec<PersonOccurrence> {
    let body = page.body();
    let mut out = Vec::new();
    for &(b, e) in &page.doc.editor_lines {
        let Some(colon) = body[b..e].find(':') else {
            continue;
        };
        let toks = tokens(body, b + colon + 1, e);
        let mut k = 0;
        while k < toks.len() && k < 4 {
            let w = &body[toks[k].0..toks[k].1];
            let cap = name::is_capitalized_syllable(w) || name::is_upper_syllable(w);
            if !cap || page.lx.title_heads.at(&page.folded()[..e], toks[k].0).is_some() {
                break;
            }
            if k > 0 && &body[toks[k - 1].1..toks[k].0] != " " {
                break;
            }
            k += 1;
        }
        if !(2..=4).contains(&k) {
            continue;
        }
        let (start, end) = (toks[0].0, toks[k - 1].1);
        let Some(sentence) = page.sentence_index(start) else {
            continue;
        };
        let (titles, _) = titles_after(page, end, e);
        let written = &body[start..end];
        out.push(PersonOccurrence {
            key: canonical_key(written),
            name: name::title_case(written),
            start,
            end,
            sentence,
            titles_raw: titles,
            roles: BTreeSet::from([Role::Editor]),
        });
    }
    out
}

/// One mention per person per meeting: roles united, titles from the first
/// titled appearance plus any later title with a new head.
pub fn merge_mentions(page: &Page, occurrences: &[PersonOccurrence], meeting_id: &str) -> Vec<PersonMention> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: std::collections::HashMap<String, Vec<&PersonOccurrence>> =
        std::collections::HashMap::new();
    let mut sorted: Vec<&PersonOccurrence> = occurrences.iter().collect();
    sorted.sort_by_key(|o| o.start);
    for o in sorted {
        if !groups.contains_key(&o.key) {
            order.push(o.key.clone());
        }
        groups.entry(o.key.clone()).or_default().push(o);
    }
    let doc_id = &page.doc.row.doc_id;
    order
        .iter()
        .map(|key| {
            let occ = &groups[key];
            let first = occ[0];
            let mut roles: BTreeSet<Role> = BTreeSet::new();
            let mut titles_raw: Vec<String> = Vec::new();
            // The same titles with their abbreviations expanded.
            let mut titles: Vec<String> = Vec::new();
            let mut heads: Vec<String> = Vec::new();
            let mut seen: Vec<String> = Vec::new();
            for o in occ {
                roles.extend(o.roles.iter().copied());
                let fresh = titles_raw.is_empty();
                let mut new_heads = Vec::new();
                for t in &o.titles_raw {
                    let forms = page.lx.title_forms(t);
                    if seen.contains(&forms.expanded_key) {
                        continue;
                    }
                    if !fresh && heads.contains(&forms.head) {
                        continue;
                    }
                    seen.push(forms.expanded_key);
                    new_heads.push(forms.head);
                    titles_raw.push(t.clone());
                    titles.push(forms.expanded);
                }
                heads.extend(new_heads);
            }
            // A chair is there by definition; the seeds' answers list chairs as chairs only.
            if roles.contains(&Role::Chair) {
                roles.remove(&Role::Attendee);
            }
            let mut role_names: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
            if role_names.is_empty() {
                role_names.push("mentioned".to_string());
            }
            PersonMention {
                mention_id: stable_id(&["mention", meeting_id, key]),
                meeting_id: meeting_id.to_string(),
                doc_id: doc_id.clone(),
                person_id: String::new(),
                name: first.name.clone(),
                roles: role_names,
                titles,
                titles_raw,
                evidence: page.sentence_text(first.sentence).to_string(),
                char_start: page.char_at(first.start),
                char_end: page.char_at(first.end),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-by-char reading of [`tokens`], kept as its reference.
    fn reference_tokens(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut cur: Option<usize> = None;
        for (i, c) in text[start..end].char_indices() {
            if c.is_alphanumeric() {
                cur.get_or_insert(start + i);
            } else if let Some(s) = cur.take() {
                out.push((s, start + i));
            }
        }
        if let Some(s) = cur {
            out.push((s, end));
        }
        out
    }

    #[test]
    fn tokens_are_letter_and_digit_runs() {
        let s = "Đ/c Lò Văn Khải, UVBTV-Bí thư; 12,5% (x2)";
        let words: Vec<&str> = tokens(s, 0, s.len()).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(
            words,
            ["Đ", "c", "Lò", "Văn", "Khải", "UVBTV", "Bí", "thư", "12", "5", "x2"]
        );
        // Spans are absolute, and a run cut by the range ends with it.
        let from = s.find("Văn").unwrap();
        assert_eq!(tokens(s, from, from + 5), [(from, from + 4)]);
        assert_eq!(tokens(s, from, from + 3), [(from, from + 3)]);
        assert_eq!(tokens(s, from + 1, from + 3), [(from + 1, from + 3)]);
    }

    proptest::proptest! {
        #[test]
        fn tokens_match_the_char_by_char_reading(
            s in "[a-zA-Z0-9 ,.;/%()\\-–đĐảẢưỮ٣²\\u{300}\\u{a0}]{0,40}",
            a in 0usize..48,
            b in 0usize..48,
        ) {
            let (mut a, mut b) = (a.min(s.len()), b.min(s.len()));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            while !s.is_char_boundary(a) {
                a -= 1;
            }
            while !s.is_char_boundary(b) {
                b += 1;
            }
            proptest::prop_assert_eq!(tokens(&s, a, b), reference_tokens(&s, a, b));
        }
    }
}
