//! The meeting a page reports: date, time of day, type, period, organizer,
//! and the unit with the city and province above it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::Page;
use crate::gazetteer::UnitHints;
use crate::model::{stable_id, MeetingRow};
use crate::vntext::{date, name, normalize_text};

/// The meeting row plus what the other extractors need to know of it.
pub struct MeetingFacts {
    pub row: MeetingRow,
    /// How the unit was or was not placed in the gazetteer.
    pub notes: Vec<String>,
}

/// How many sentences after the title can hold the lead.
const LEAD_SENTENCES: usize = 4;

/// Bytes of the title paragraph, and of the lead sentences.
fn lead_sentences(page: &Page) -> Vec<usize> {
    let n = page.doc.sentences.len();
    (0..n.min(LEAD_SENTENCES + 2)).collect()
}

pub fn extract_meeting(page: &Page) -> MeetingFacts {
    let lx = page.lx;
    let doc = page.doc;
    let meeting_id = stable_id(&["meeting", &doc.row.doc_id, "0"]);
    let lead = lead_sentences(page);
    let title_paragraph_end = doc.sentences.iter().take_while(|s| s.paragraph == 0).count();

    // Date and time of day: the first dated lead sentence.
    let mut date_text = None;
    let mut day_month = None;
    let mut time_of_day = None;
    let mut dated_sentence = None;
    for &i in &lead {
        let text = page.sentence_text(i);
        if let Some(c) = date::LEAD_DATE.captures(text) {
            let written = if c[2].contains("tháng") {
                c[2].to_string()
            } else {
                c[2].replace(' ', "")
            };
            if let Some(dm) = date::parse_day_month(&written) {
                let whole = c.get(0).map(|m| m.as_str()).unwrap_or("");
                let trimmed = whole.trim_start_matches(|ch: char| !crate::vntext::is_letter_or_digit(ch));
                date_text = Some(trimmed.trim().to_string());
                day_month = Some(dm);
                time_of_day = c.get(1).and_then(|m| date::time_of_day(m.as_str()));
                dated_sentence = Some(i);
                break;
            }
        }
    }

    // The lead zone: the title and the sentences up to the one after the date.
    let zone_end = dated_sentence
        .map(|i| i + 2)
        .unwrap_or(title_paragraph_end + 2)
        .min(doc.sentences.len());
    let zone: Vec<usize> = (0..zone_end).collect();

    let meeting_type = meeting_type(page, &zone);
    let period_year = period_year(page, &zone);
    let zone_folded: String = zone
        .iter()
        .map(|&i| page.sentence_folded(i))
        .collect::<Vec<_>>()
        .join(" ");
    let period_half = if lx.first_half.any(&zone_folded) {
        Some(1)
    } else if lx.second_half.any(&zone_folded) {
        Some(2)
    } else if meeting_type == "midyear_review"
        && lx
            .midyear_first_half
            .iter()
            .any(|m| zone_folded.contains(m.as_str()))
    {
        Some(1)
    } else {
        None
    };

    // Date with the year inferred when it is not written.
    let published = doc.published_local.map(|t| t.date());
    let mut year_inferred = false;
    let meeting_date = day_month.and_then(|dm| match dm.year {
        Some(y) => dm.with_year(y),
        None => {
            year_inferred = true;
            infer_year(dm, &meeting_type, period_year, published)
        }
    });
    if meeting_date.is_none() {
        year_inferred = false;
    }

    let (unit_type, unit_name) = unit(page, &zone);
    let (mut city, mut province) = places(page);
    // Since July 2025 there is no district level: no city above a unit.
    if meeting_date.is_some_and(|d| d >= page.lx.districts_abolished) {
        city = None;
    }
    // "thành phố Bắc Giang" is the capital of the province of the same name.
    if province.is_none() {
        province = city.clone().filter(|c| page.lx.province_list.contains(c));
    }
    let organizer = organizer(page, &zone, unit_name.as_deref());
    let mut notes = Vec::new();
    let mut unit_name = unit_name;
    let (mut admin_code, mut successor_code, mut successor_name) = (None, None, None);
    if let Some(g) = &page.lx.gazetteer {
        let hints = UnitHints {
            unit_type: unit_type.clone(),
            unit_name: unit_name.clone(),
            city: city.clone(),
            province: province.clone(),
            party_committee_level: committee_level(page),
            url_host: page.doc.url.as_deref().and_then(url_host),
            date: meeting_date.or(published),
        };
        let r = g.resolve(&hints);
        notes.push(format!("gazetteer: {}", r.why));
        if r.admin_code.is_some() {
            admin_code = r.admin_code;
            // The gazetteer's spelling, and the places above the unit it names.
            unit_name = r.unit_name.or(unit_name);
            city = if meeting_date.is_some_and(|d| d >= page.lx.districts_abolished) {
                None
            } else {
                r.city.or(city)
            };
            province = r.province.or(province);
            // A unit of the new map is its own successor: grouping by successor
            // spans the reorganisation.
            if r.era == Some(crate::gazetteer::Era::New) {
                successor_code = admin_code.clone();
                successor_name = unit_type
                    .as_ref()
                    .zip(unit_name.as_ref())
                    .map(|(t, n)| format!("{t} {n}"));
            } else {
                successor_code = r.successor_code;
                successor_name = r.successor_name;
            }
        }
    }

    MeetingFacts {
        row: MeetingRow {
            meeting_id,
            doc_id: doc.row.doc_id.clone(),
            meeting_date,
            date_text,
            year_inferred,
            time_of_day,
            meeting_type,
            period_year,
            period_half,
            organizer,
            unit_type,
            unit_name,
            city,
            province,
            admin_code,
            successor_code,
            successor_name,
        },
        notes,
    }
}

/// The party committee level the page names most: "Thành ủy" puts the unit
/// under a city, "Huyện ủy" under a rural district. Every occurrence counts,
/// from the page's one phrase scan; a tie goes to the greater spelling.
fn committee_level(page: &Page) -> Option<String> {
    let lx = page.lx;
    let mut counts = vec![0usize; lx.committee_level_list.len()];
    for h in page.page_hits(&lx.committee_levels).iter() {
        counts[lx.committee_levels.hit(h).id] += 1;
    }
    counts
        .iter()
        .zip(&lx.committee_level_list)
        .filter(|(n, _)| **n > 0)
        .max()
        .map(|(_, c)| c.clone())
}

/// The host of a URL: "https://phucla.hadong.hanoi.gov.vn/tin/1" -> "phucla.hadong.hanoi.gov.vn".
fn url_host(url: &str) -> Option<String> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', '?', '#', ':']).next()?.trim().to_lowercase();
    (!host.is_empty() && host.contains('.')).then_some(host)
}

/// A year-end review of year Y sits in December of Y or early in Y+1; a
/// mid-year review of Y in June or July of Y. The page's stamp bounds it.
fn infer_year(
    dm: date::DayMonth,
    kind: &str,
    period: Option<i32>,
    published: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let year = match (kind, period) {
        ("annual_review", Some(y)) => {
            if dm.month >= 10 {
                y
            } else {
                y + 1
            }
        }
        (_, Some(y)) => y,
        (_, None) => published?.year(),
    };
    let mut d = dm.with_year(year)?;
    if let Some(p) = published {
        if d > p {
            d = dm.with_year(year - 1).unwrap_or(d);
        }
    }
    Some(d)
}

fn meeting_type(page: &Page, zone: &[usize]) -> String {
    let lx = page.lx;
    let mut best: Option<usize> = None;
    for &i in zone {
        let s = page.sentence(i);
        for h in page.hits_in(&lx.meeting_types, s.start, s.end) {
            // "Nghị quyết Đại hội ..." cites a congress, it is not one.
            let before = page.folded()[s.start..h.start].trim_end();
            if lx.cue_ignore_after.iter().any(|c| before.ends_with(c.as_str())) {
                continue;
            }
            best = Some(best.map_or(h.id, |b| b.min(h.id)));
        }
    }
    best.map(|i| lx.meeting_type_keys[i].clone())
        .unwrap_or_else(|| "other".to_string())
}

/// The year after the first review cue ("tổng kết ... năm 2020"), else the
/// first year the lead names.
fn period_year(page: &Page, zone: &[usize]) -> Option<i32> {
    for &i in zone {
        let f = page.sentence_folded(i);
        if let Some(pos) = page
            .lx
            .review_cues
            .iter()
            .filter_map(|c| c.find(f.as_bytes()))
            .min()
        {
            if let Some(c) = date::YEAR.captures(&f[pos..]) {
                return c[1].parse().ok();
            }
        }
    }
    for &i in zone {
        if let Some(c) = date::YEAR.captures(page.sentence_folded(i)) {
            return c[1].parse().ok();
        }
    }
    None
}

/// The first six space-separated words of `rest`, or fewer when its
/// paragraph ("\n") ends sooner. Found in one byte scan: this runs at every
/// "xã", "phường"… of a page.
fn leading_words(rest: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::with_capacity(6);
    let bytes = rest.as_bytes();
    let mut from = 0;
    while parts.len() < 6 {
        match bytes[from..].iter().position(|&b| b == b' ' || b == b'\n') {
            Some(p) => {
                parts.push(&rest[from..from + p]);
                if bytes[from + p] == b'\n' {
                    break;
                }
                from += p + 1;
            }
            None => {
                parts.push(&rest[from..]);
                break;
            }
        }
    }
    parts
}

/// Capitalised syllables after a position: a unit or city name.
fn name_after(page: &Page, text: &str, at: usize) -> Option<String> {
    // A name is at most four words, and the two after it are looked at: the
    // rest of the paragraph is not split (this runs at every "xã", "phường"…).
    // The dot of "TP. Bắc Kạn" is skipped; after a type word written out a
    // dot ends the sentence, and what follows is no name ("UBND huyện. Ông …").
    // The word is looked at only when a dot follows it.
    let rest = text[at..].trim_start_matches(' ');
    let written = || text[..at].rsplit(char::is_whitespace).next().unwrap_or("");
    let rest = if rest.starts_with('.') && crate::vntext::is_abbreviation(written()) {
        rest.trim_start_matches([' ', '.'])
    } else {
        rest
    };
    let parts = leading_words(rest);
    let mut words: Vec<String> = Vec::new();
    for (i, w) in parts.iter().enumerate() {
        let w_clean = w.trim_end_matches([',', '.', ';', ':', ')', '(', '"', '”', '“', '!', '?']);
        let cap = name::is_capitalized_syllable(w_clean)
            || (name::is_upper_syllable(w_clean)
                && w_clean.chars().count() > 1
                && !w_clean.chars().any(|c| c.is_ascii_digit()));
        if w_clean.is_empty() || !cap {
            break;
        }
        let word = name::title_case(w_clean);
        // "Hội nghị" ends a name, "Tân Hội" does not: stop phrases are checked
        // with the next word, for a word that starts one.
        let stop = page.lx.name_stop_words.contains(&word)
            || (page.lx.name_stop_pair_heads.contains(&word)
                && parts.get(i + 1).is_some_and(|n| {
                    let pair = format!("{word} {}", n.trim_end_matches([',', '.', ';', ':']));
                    page.lx.name_stop_words.contains(&normalize_text(&pair))
                }));
        if stop {
            break;
        }
        words.push(word);
        if w_clean.len() != w.len() || words.len() == 4 {
            break;
        }
    }
    // A number closing a name: "xã Hố Nai 3", but not "phường X 2 đồng chí".
    let ended_by_punctuation = words
        .len()
        .checked_sub(1)
        .and_then(|i| parts.get(i))
        .is_some_and(|w| w.ends_with([',', '.', ';', ':', ')', '(', '"', '”', '“', '!', '?']));
    if let (false, false, Some(next)) = (words.is_empty(), ended_by_punctuation, parts.get(words.len())) {
        let digits = next.trim_end_matches([',', '.', ';', ':', ')']);
        let after = parts.get(words.len() + 1).copied().unwrap_or("");
        let counted = page
            .lx
            .count_nouns
            .at(&crate::vntext::fold_case_same_len(after), 0)
            .is_some();
        if (1..=2).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !counted
            && words.len() < 4
        {
            words.push(digits.to_string());
        }
    }
    // Abbreviations in capitals ("UBND") are not names.
    if words.is_empty() || words.iter().any(|w| w.chars().count() > 7) {
        return None;
    }
    Some(words.join(" "))
}

/// The grassroots unit: the one the lead names, its spelling repaired from the
/// page's other mentions ("Tân Lậ" where the title and footer say "Tân Lập").
fn unit(page: &Page, zone: &[usize]) -> (Option<String>, Option<String>) {
    let lx = page.lx;
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut lead_unit: Option<(String, String)> = None;
    let mut scan = |text: &str, folded: &str, in_lead: bool| {
        for h in page.hits_of(&lx.unit_types, folded) {
            if let Some(n) = name_after(page, text, h.end) {
                let key = (lx.unit_type_list[h.id].clone(), n);
                *counts.entry(key.clone()).or_default() += 1;
                if in_lead && lead_unit.is_none() {
                    lead_unit = Some(key);
                }
            }
        }
    };
    for &i in zone {
        scan(page.sentence_text(i), page.sentence_folded(i), true);
    }
    let lead_end = zone.last().map(|i| page.sentence(*i).end).unwrap_or(0);
    let rest = &page.body()[lead_end..];
    scan(rest, &page.folded()[lead_end..], false);
    let footer = &page.doc.footer;
    scan(footer, &crate::vntext::fold_case_same_len(footer), false);

    let chosen = lead_unit.or_else(|| counts.iter().max_by_key(|(_, c)| **c).map(|(k, _)| k.clone()));
    let Some((ty, nm)) = chosen else {
        return (None, None);
    };
    let own = counts.get(&(ty.clone(), nm.clone())).copied().unwrap_or(0);
    // Repair: a more frequent spelling one letter away, or one that extends it.
    let repaired = counts
        .iter()
        .filter(|((t, n), c)| {
            *t == ty && *n != nm && **c > own && (n.starts_with(&nm) || edit_distance(n, &nm) <= 1)
        })
        .max_by_key(|(_, c)| **c)
        .map(|((_, n), _)| n.clone())
        .unwrap_or(nm);
    (Some(ty), Some(repaired))
}

/// Levenshtein distance over chars, for short names.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// City (district level) and province, from "TP. Bắc Kạn", "thành phố Thái
/// Nguyên", "huyện ...", "tỉnh ...", or a province named on its own after a
/// comma ("quận Hà Đông, Hà Nội"), in the body and the footer.
fn places(page: &Page) -> (Option<String>, Option<String>) {
    let lx = page.lx;
    let mut cities: BTreeMap<String, usize> = BTreeMap::new();
    let mut provinces: BTreeMap<String, usize> = BTreeMap::new();
    let footer_folded = crate::vntext::fold_case_same_len(&page.doc.footer);
    let sources = [
        (page.body(), page.folded()),
        (page.doc.footer.as_str(), footer_folded.as_str()),
    ];
    for (text, folded) in sources {
        for h in page.hits_of(&lx.city_types, folded) {
            if let Some(n) = name_after(page, text, h.end) {
                if lx.province_level_cities.contains(&n) {
                    *provinces.entry(n).or_default() += 1;
                } else {
                    *cities.entry(n).or_default() += 1;
                }
            }
        }
        for h in page.hits_of(&lx.province_types, folded) {
            if let Some(n) = name_after(page, text, h.end) {
                *provinces.entry(n).or_default() += 1;
            }
        }
        // A known province name standing alone after a comma or a bracket.
        for h in page.hits_of(&lx.provinces, folded) {
            let before = folded[..h.start].trim_end_matches(' ');
            if before.ends_with(',') || before.ends_with('(') || before.ends_with('-') {
                *provinces.entry(lx.province_list[h.id].clone()).or_default() += 1;
            }
        }
    }
    let top = |m: &BTreeMap<String, usize>| m.iter().max_by_key(|(_, c)| **c).map(|(k, _)| normalize_text(k));
    (top(&cities), top(&provinces))
}

/// The subject of "tổ chức" in the lead: "Đảng ủy phường Tây Sơn".
fn organizer(page: &Page, zone: &[usize], unit_name: Option<&str>) -> Option<String> {
    let lx = page.lx;
    for &i in zone.iter().skip(1) {
        let s = page.sentence(i);
        let f = page.sentence_folded(i);
        let Some(pos) = lx.organizer_verb.find(f.as_bytes()) else {
            continue;
        };
        let heads = page.hits_in(&lx.organizer_heads, s.start, s.start + pos);
        let Some(first) = heads.first() else { continue };
        let text = page.body()[first.start..s.start + pos].trim();
        // "(huyện Quỳnh Lưu, tỉnh Nghệ An)" places the organizer; it is not part of its name.
        let text = text.split(" (").next().unwrap_or(text).trim();
        // Every trailing word, in any order: "đã long trọng" is both.
        let mut text = text;
        while let Some(t) = lx
            .organizer_trailing
            .iter()
            .find_map(|w| text.strip_suffix(w.as_str()))
        {
            text = t;
        }
        let text = text.trim();
        let mut org = text.to_string();
        // Repair a misspelt unit name in the organizer the same way.
        if let Some(u) = unit_name {
            if let Some(last_space) = org.rfind(' ') {
                let tail_start = org[..last_space].rfind(' ').map(|p| p + 1).unwrap_or(0);
                let two_words = &org[tail_start..];
                if two_words != u && edit_distance(two_words, u) <= 1 {
                    org = format!("{}{}", &org[..tail_start], u);
                }
            }
        }
        let mut chars = org.chars();
        return chars.next().map(|c| c.to_uppercase().chain(chars).collect());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_words_stop_at_six_or_at_the_paragraph() {
        assert_eq!(
            leading_words("Tân Hội, huyện Đan Phượng tổ chức hội nghị"),
            ["Tân", "Hội,", "huyện", "Đan", "Phượng", "tổ"]
        );
        assert_eq!(leading_words("Phúc La tổ\nchức"), ["Phúc", "La", "tổ"]);
        assert_eq!(leading_words("An  Bình"), ["An", "", "Bình"]);
        assert_eq!(leading_words(""), [""]);
        assert_eq!(leading_words("\nX"), [""]);
    }

    /// The split of words before [`leading_words`], kept as its reference.
    fn reference_leading_words(rest: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        for part in rest.split(' ') {
            if parts.len() == 6 {
                break;
            }
            if let Some(nl) = part.find('\n') {
                parts.push(&part[..nl]);
                break;
            }
            parts.push(part);
        }
        parts
    }

    proptest::proptest! {
        #[test]
        fn leading_words_split_as_the_reference(s in "[aĐ ,\n\u{a0}]{0,24}") {
            proptest::prop_assert_eq!(leading_words(&s), reference_leading_words(&s));
        }
    }

    #[test]
    fn year_of_a_january_review() {
        let dm = date::parse_day_month("8/1").unwrap();
        assert_eq!(
            infer_year(dm, "annual_review", Some(2023), None),
            NaiveDate::from_ymd_opt(2024, 1, 8)
        );
        let dm = date::parse_day_month("28/12").unwrap();
        assert_eq!(
            infer_year(dm, "annual_review", Some(2023), None),
            NaiveDate::from_ymd_opt(2023, 12, 28)
        );
        let dm = date::parse_day_month("07/7").unwrap();
        assert_eq!(
            infer_year(dm, "midyear_review", Some(2021), None),
            NaiveDate::from_ymd_opt(2021, 7, 7)
        );
    }

    #[test]
    fn stamp_bounds_the_year() {
        let dm = date::parse_day_month("20/12").unwrap();
        let published = NaiveDate::from_ymd_opt(2022, 1, 5);
        assert_eq!(
            infer_year(dm, "other", None, published),
            NaiveDate::from_ymd_opt(2021, 12, 20)
        );
    }

    fn committee_level_of(text: &str) -> Option<String> {
        let lx = crate::lexicon::Lexicon::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon"),
        )
        .unwrap();
        let doc = crate::normalize::tests::normalized_txt(text, &lx);
        committee_level(&Page::new(&doc, &lx))
    }

    #[test]
    fn the_committee_named_most_wins() {
        let lead = "Chiều 10/1, Đảng ủy xã Tân Hội tổ chức hội nghị tổng kết công tác năm 2024.\n";
        assert_eq!(committee_level_of(lead), None);
        // Counted in any case and with the old tone placement ("uỷ"), which
        // normalizing moves; "Huyện ủy" twice beats "Thành ủy" once.
        let text = format!(
            "{lead}Dự có đồng chí Lê Văn An, Ủy viên Ban Thường vụ Huyện ủy.\n\
             Đồng chí Trần Thị Bình, Phó Chủ tịch UBND huyện, thay mặt HUYỆN UỶ trao cờ.\n\
             Thành ủy viên Phạm Văn Cường dự.\n"
        );
        assert_eq!(committee_level_of(&text).as_deref(), Some("huyện ủy"));
        // A tie goes to the greater spelling, as a comparison of the texts says.
        let tie = format!("{lead}Quận ủy và Thị ủy cùng dự.\n");
        assert_eq!(committee_level_of(&tie).as_deref(), Some("thị ủy"));
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("Tân Lậ", "Tân Lập"), 1);
        assert_eq!(edit_distance("Bắc Sơn", "Tây Sơn"), 3);
    }
}
