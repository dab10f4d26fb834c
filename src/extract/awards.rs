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
                if !before.ends_with("được") && !after.starts_with("cho") {
                    continue;
                }
            }
            // The statement reaches to the next giving verb that precedes another noun.
            let next_noun = kept.get(n + 1).map_or(s.end, |k| k.start);
            let region_end = verbs
                .iter()
                .filter(|v| v.start > noun.end && v.start < next_noun)
                .filter(|v| body[noun.end..v.start].contains(','))
                .map(|v| v.start)
                .next()
                .map(|v| {
                    // Back up to the giver of that next statement.
                    let seg = &body[noun.end..v];
                    noun.end + seg.rfind(',').unwrap_or(seg.len())
                })
                .unwrap_or(next_noun);
            let mut counted = Vec::new();
            let mut uncounted = None;
            let mut p = noun.end;
            let region = &body[noun.end..region_end];
            let mut offset = 0;
            while let Some(m) = region[offset..].find(|c: char| c.is_ascii_digit()) {
                let ns = noun.end + offset + m;
                let ne = ns
                    + body[ns..region_end]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .unwrap_or(region_end - ns);
                offset = ne - noun.end;
                let q = ns + (ne - ns) + body[ne..region_end].len() - body[ne..region_end].trim_start().len();
                let Some(r) = lx.recipients.at(&page.folded()[..region_end], q) else {
                    continue;
                };
                let Some(v) = number::parse_number(body[ns..ne].trim_end_matches('.')) else {
                    continue;
                };
                counted.push((recipient_type(page, r.id), v as i32));
                masks.push((ns, r.end));
                p = r.end;
            }
            let _ = p;
            if counted.is_empty() {
                if let Some(r) = page.hits_in(&lx.recipients, s.start, region_end).first() {
                    uncounted = Some(recipient_type(page, r.id));
                }
            }
            let persons: Vec<String> = people
                .iter()
                .filter(|o| o.sentence == si && o.roles.contains(&Role::Awardee))
                .map(|o| o.key.clone())
                .collect();
            // "Bằng khen của UBND tỉnh ..." names the giver after the award.
            let after_noun = page.folded()[noun.end..region_end].trim_start();
            let giver = match after_noun.strip_prefix("của ") {
                Some(rest) => {
                    let at = region_end - rest.len();
                    giver_before(page, at, (at + rest.len().min(60)).min(region_end))
                        .filter(|_| lx.givers.at(&page.folded()[..region_end], at).is_some())
                }
                None => None,
            }
            .or_else(|| giver_before(page, prev_end, noun.start));
            let passive_unit = page.folded()[s.start..noun.start].contains("được")
                && persons.is_empty()
                && uncounted.is_none();
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
            push(t, None, None, 0);
        } else if st.passive_unit {
            push("unit", None, None, 0);
        }
    }
    (rows, masks)
}
