//! Awards: who gave which award to how many collectives, individuals, party
//! cells and members, or to which named person. The recipient counts are
//! returned as spans that the figure reader must not take for figures.

use std::collections::HashSet;

use super::people::{PersonOccurrence, Role};
use super::Page;
use crate::lexicon::Hit;
use crate::model::{stable_id, Award};
use crate::vntext::number;

/// One award statement before it becomes rows.
struct Statement {
    giver: Option<String>,
    award: String,
    generic: bool,
    counted: Vec<(&'static str, i32)>,
    uncounted: Option<&'static str>,
    persons: Vec<String>,
    passive_unit: bool,
    sentence: usize,
}

fn recipient_type(page: &Page, id: usize) -> &'static str {
    match page.lx.recipient_types[id].as_str() {
        "collective" => "collective",
        "individual" => "individual",
        "party_cell" => "party_cell",
        "party_member" => "party_member",
        "unit" => "unit",
        _ => "person",
    }
}

/// The giver before an award: "Đảng ủy phường", "UBND tỉnh".
fn giver_before(page: &Page, from: usize, to: usize) -> Option<String> {
    let lx = page.lx;
    let hits = page.hits_in(&lx.givers, from, to);
    let h = hits
        .iter()
        .rev()
        .find(|h| !hits.iter().any(|o| o.start < h.start && o.end >= h.end))?;
    let mut giver = lx.giver_list[h.id].clone();
    let body = page.body();
    let p = h.end + body[h.end..to].len() - body[h.end..to].trim_start().len();
    if let Some(l) = lx.levels.at(&page.folded()[..to], p) {
        giver.push(' ');
        giver.push_str(&lx.level_list[l.id]);
    }
    Some(giver)
}

/// Digit runs (with "." groups) in `body[from..to]` that start a number.
fn numbers(body: &str, from: usize, to: usize) -> Vec<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        let starts = bytes[i].is_ascii_digit()
            && !body[..i]
                .chars()
                .next_back()
                .is_some_and(crate::vntext::is_letter_or_digit);
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < to
            && (bytes[j].is_ascii_digit()
                || (bytes[j] == b'.' && j + 1 < to && bytes[j + 1].is_ascii_digit()))
        {
            j += 1;
        }
        out.push((i, j));
        i = j;
    }
    out
}

fn skip_spaces(body: &str, mut p: usize, limit: usize) -> usize {
    while p < limit && body.as_bytes()[p] == b' ' {
        p += 1;
    }
    p
}

pub fn extract_awards(
    page: &Page,
    people: &[PersonOccurrence],
    meeting_id: &str,
) -> (Vec<Award>, Vec<(usize, usize)>) {
    let lx = page.lx;
    let body = page.body();
    let mut statements: Vec<Statement> = Vec::new();
    let mut masks: Vec<(usize, usize)> = Vec::new();
    for (si, s) in page.doc.sentences.iter().enumerate() {
        let nouns: Vec<Hit> = page.hits_in(&lx.award_nouns, s.start, s.end);
        if nouns.is_empty() || !page.has_in(&lx.award_verbs, s.start, s.end) {
            continue;
        }
        // Longest nouns, no overlaps ("huy hiệu" inside a longer one).
        let mut kept: Vec<Hit> = Vec::new();
        for h in nouns {
            if kept.last().is_some_and(|k| h.start < k.end) {
                continue;
            }
            kept.push(h);
        }
        let verbs = page.hits_in(&lx.award_verbs, s.start, s.end);
        let mut prev_end = s.start;
        for (n, noun) in kept.iter().enumerate() {
            let award = lx.award_noun_list[noun.id].clone();
            let generic = lx.generic_awards.contains(&award);
            if generic {
                // "khen thưởng" counts only as "được khen thưởng" / "khen thưởng cho".
                let before = page.folded()[s.start..noun.start].trim_end();
                let after = page.folded()[noun.end..s.end].trim_start();
                let verb_before = lx
                    .generic_award_before
                    .iter()
                    .any(|w| before.ends_with(w.as_str()));
                let verb_after = lx
                    .generic_award_after
                    .iter()
                    .any(|w| after.starts_with(w.as_str()));
                if !verb_before && !verb_after {
                    continue;
                }
            }
            // The statement reaches to the next giving verb that precedes another
            // noun, backed up to the separator before that statement's giver.
            let next_noun = kept.get(n + 1).map_or(s.end, |k| k.start);
            let region_end = verbs
                .iter()
                .filter(|v| v.start > noun.end && v.start < next_noun)
                .find(|v| body[noun.end..v.start].contains([',', ';']))
                .map(|v| {
                    let seg = &body[noun.end..v.start];
                    noun.end + seg.rfind(';').or_else(|| seg.rfind(',')).unwrap_or(seg.len())
                })
                .unwrap_or(next_noun);
            let mut counted = Vec::new();
            // "cho 7 chi bộ, 16 đảng viên": counts after the award.
            for (ns, ne) in numbers(body, noun.end, region_end) {
                let q = skip_spaces(body, ne, region_end);
                let Some(r) = lx.recipients.at(&page.folded()[..region_end], q) else {
                    continue;
                };
                let Some(v) = number::parse_number(&body[ns..ne]) else {
                    continue;
                };
                counted.push((recipient_type(page, r.id), v as i32));
                masks.push((ns, r.end));
            }
            // "18 đảng viên khác được trao Huy hiệu": counts before it, in a passive.
            if counted.is_empty() {
                for (ns, ne) in numbers(body, prev_end, noun.start) {
                    let q = skip_spaces(body, ne, noun.start);
                    let Some(r) = lx.recipients.at(&page.folded()[..noun.start], q) else {
                        continue;
                    };
                    if !page.has_in(&lx.award_passive, r.end, noun.start) {
                        continue;
                    }
                    let Some(v) = number::parse_number(&body[ns..ne]) else {
                        continue;
                    };
                    counted.push((recipient_type(page, r.id), v as i32));
                    masks.push((ns, r.end));
                }
            }
            // "cho các tập thể, cá nhân": recipients without a count.
            let uncounted = if counted.is_empty() {
                page.hits_in(&lx.recipients, prev_end, region_end)
                    .into_iter()
                    .find(|r| {
                        let before = page.folded()[prev_end..r.start].trim_end();
                        let end = prev_end + before.len();
                        page.phrase_ends_at(&lx.plural_markers, prev_end, end)
                    })
                    .map(|r| recipient_type(page, r.id))
            } else {
                None
            };
            let persons: Vec<String> = people
                .iter()
                .filter(|o| o.sentence == si && o.roles.contains(&Role::Awardee))
                .filter(|o| o.start >= prev_end && o.start < region_end)
                .map(|o| o.key.clone())
                .collect();
            // "Bằng khen của UBND tỉnh ..." names the giver after the award.
            let after_noun = page.folded()[noun.end..region_end].trim_start();
            let giver = match after_noun.strip_prefix(lx.giver_after_award.as_str()) {
                Some(rest) => {
                    let at = region_end - rest.len();
                    // Look at most 60 bytes on, cut back to a char boundary.
                    let mut to = (at + rest.len().min(60)).min(region_end);
                    while !page.folded().is_char_boundary(to) {
                        to -= 1;
                    }
                    lx.givers
                        .at(&page.folded()[..region_end], at)
                        .and_then(|_| giver_before(page, at, to))
                }
                None => None,
            }
            .or_else(|| giver_before(page, prev_end, noun.start));
            // "xã X vinh dự đón nhận Bằng khen", "được UBND tỉnh tặng bằng khen",
            // "trao Cờ thi đua cho xã X": the unit.
            let to_unit = page
                .hits_in(&lx.unit_types, noun.end, region_end)
                .iter()
                .any(|u| page.folded()[noun.end..u.start].trim_end().ends_with(" cho"));
            let passive_unit = (page.has_in(&lx.award_passive, prev_end, noun.start) || to_unit)
                && persons.is_empty()
                && uncounted.is_none()
                && counted.is_empty();
            statements.push(Statement {
                giver,
                award,
                generic,
                counted,
                uncounted,
                persons,
                passive_unit,
                sentence: si,
            });
            prev_end = region_end;
        }
    }

    // A caption or summary without counts restates a counted statement of the
    // same award (or any, for the generic "khen thưởng"): keep the counted one.
    let counted_awards: HashSet<String> = statements
        .iter()
        .filter(|s| !s.counted.is_empty())
        .map(|s| s.award.clone())
        .collect();
    let mut rows = Vec::new();
    let mut seen_person: HashSet<(String, String)> = HashSet::new();
    // A count-less statement told twice (a caption and the text) is one award.
    let mut seen_uncounted: HashSet<(String, &'static str)> = HashSet::new();
    let names: std::collections::HashMap<&str, &str> =
        people.iter().map(|o| (o.key.as_str(), o.name.as_str())).collect();
    for (k, st) in statements.iter().enumerate() {
        let evidence = page.sentence_text(st.sentence).to_string();
        let mut push =
            |recipient_type: &'static str, count: Option<i32>, person: Option<String>, idx: usize| {
                rows.push(Award {
                    award_id: stable_id(&["award", meeting_id, &k.to_string(), &idx.to_string()]),
                    meeting_id: meeting_id.to_string(),
                    doc_id: page.doc.row.doc_id.clone(),
                    giver: st.giver.clone(),
                    award: st.award.clone(),
                    recipient_type,
                    count,
                    person_id: None,
                    person_name: person,
                    evidence: evidence.clone(),
                });
            };
        if !st.counted.is_empty() {
            for (i, (t, c)) in st.counted.iter().enumerate() {
                push(t, Some(*c), None, i);
            }
        } else if !st.persons.is_empty() {
            for (i, p) in st.persons.iter().enumerate() {
                if seen_person.insert((st.award.clone(), p.clone())) {
                    push("person", Some(1), names.get(p.as_str()).map(|n| n.to_string()), i);
                }
            }
        } else if counted_awards.contains(&st.award) || (st.generic && !counted_awards.is_empty()) {
            continue;
        } else if let Some(t) = st.uncounted {
            if seen_uncounted.insert((st.award.clone(), t)) {
                push(t, None, None, 0);
            }
        } else if st.passive_unit && seen_uncounted.insert((st.award.clone(), "unit")) {
            push("unit", None, None, 0);
        }
    }
    (rows, masks)
}
