//! Figures: every number form of DOMAIN.md with its unit, qualifier, kind
//! (result or target), indicator and period; nothing that is a date, a
//! document number, a term, an address or a counter.

use std::sync::LazyLock;

use regex::Regex;

use super::{MeetingFacts, Page, Separators, SEMICOLON_CLAUSE};
use crate::model::{stable_id, Figure};
use crate::vntext::{date, number};

/// The length of the number as written at the start of `s`: digits with "."
/// thousands groups and "," decimals (`\d+(?:[.,]\d+)*` over ASCII digits, the
/// only digits `number::parse_number` reads); 0 where no digit starts it.
fn number_len(s: &[u8]) -> usize {
    let digits = |from: usize| from + s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = digits(0);
    if end == 0 {
        return 0;
    }
    // A mark counts only with a digit after it: "12,5." ends before the dot.
    while end + 1 < s.len() && matches!(s[end], b'.' | b',') && s[end + 1].is_ascii_digit() {
        end = digits(end + 1);
    }
    end
}

/// The next number that starts in `body[from..to]`, as `(start, end)`, read in
/// full even where it runs past `to`. The search stops at `to`: a sentence
/// with no number left does not scan the rest of the page.
fn next_number(body: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    // The last number read may have run past `to`: none starts after it.
    if from >= to {
        return None;
    }
    let start = from
        + body
            .as_bytes()
            .get(from..to)?
            .iter()
            .position(u8::is_ascii_digit)?;
    Some((start, start + number_len(&body.as_bytes()[start..])))
}

/// Document numbers and codes: "22-NQ/TW", "số 10-CT/TW", "QĐ-UBND".
static DOC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)\d+[-/][A-ZĐ][A-ZĐa-zđ]*(?:[-/][A-ZĐ][A-ZĐa-zđ]*)*")
        .expect("valid document-number pattern")
});

/// A figure before its indicator and kind are known.
struct Reading {
    start: usize,
    end: usize,
    value: f64,
    unit: String,
    value_high: Option<f64>,
    denominator: Option<f64>,
}

fn skip_spaces(s: &str, mut p: usize) -> usize {
    while p < s.len() && s[p..].starts_with(' ') {
        p += 1;
    }
    p
}

/// The number that starts at `p` in `body`, if any: its value and end.
fn number_at(body: &str, p: usize) -> Option<(f64, usize)> {
    let len = number_len(body.as_bytes().get(p..)?);
    let text = body.get(p..p + len).filter(|t| !t.is_empty())?;
    Some((number::parse_number(text)?, p + text.len()))
}

/// Reads the figure starting with the number at `start..num_end`.
fn read_figure(page: &Page, start: usize, value: f64, num_end: usize, limit: usize) -> Option<Reading> {
    let lx = page.lx;
    let body = page.body();
    let folded = &page.folded()[..limit];
    let after = skip_spaces(body, num_end).min(limit);

    // Ratio "11/11 chỉ tiêu", and "83 đảng viên/622 đảng viên".
    let (noun_first, after_noun) = match lx.count_nouns.at(folded, after) {
        Some(h) => (Some(h), h.end),
        None => (None, num_end),
    };
    if body[after_noun..limit].starts_with('/') {
        let p2 = skip_spaces(body, after_noun + 1);
        if let Some((den, den_end)) = number_at(body, p2) {
            // A third part makes it a date ("08/12/2023").
            if body[den_end..limit].starts_with(['/', '-']) {
                return None;
            }
            let p3 = skip_spaces(body, den_end).min(limit);
            let noun = lx.count_nouns.at(folded, p3).or(noun_first)?;
            let end = if noun.start >= p3 { noun.end } else { den_end };
            return Some(Reading {
                start,
                end,
                value,
                unit: lx.count_units[noun.id].clone(),
                value_high: None,
                denominator: Some(den),
            });
        }
        return None;
    }

    // Range "12 - 13%", "76 - 78 triệu đồng/người/năm": the second number
    // carries the unit and the multiplier for both.
    let rest = &body[after..limit];
    if rest.starts_with(['-', '–']) {
        let p2 = skip_spaces(body, after + rest.chars().next().map_or(1, char::len_utf8));
        if let Some((high, high_end)) = number_at(body, p2) {
            if let Some(r2) = read_figure(page, p2, high, high_end, limit) {
                if high > value && r2.denominator.is_none() && r2.value_high.is_none() {
                    let multiplier = if high != 0.0 { r2.value / high } else { 1.0 };
                    return Some(Reading {
                        start,
                        end: r2.end,
                        value: number::tidy(value * multiplier),
                        unit: r2.unit,
                        value_high: Some(r2.value),
                        denominator: None,
                    });
                }
            }
        }
        return None;
    }

    // Money: "124.857 triệu đồng", "09 tỷ 130 triệu đồng", "460 triệu".
    if let Some(mag) = lx.magnitudes.at(folded, after) {
        let mut total = value * number::money_magnitude(&folded[mag.start..mag.end]).unwrap_or(1.0);
        let mut end = mag.end;
        loop {
            let p = skip_spaces(body, end);
            let Some((v, ve)) = number_at(body, p) else { break };
            let q = skip_spaces(body, ve).min(limit);
            let Some(m2) = lx.magnitudes.at(folded, q) else {
                break;
            };
            total += v * number::money_magnitude(&folded[m2.start..m2.end]).unwrap_or(1.0);
            end = m2.end;
        }
        let q = skip_spaces(body, end).min(limit);
        if let Some(c) = lx.currency.at(folded, q) {
            end = c.end;
        } else if let Some(noun) = lx.count_nouns.at(folded, q) {
            // "1,3 triệu lượt khách": a count in millions, not money.
            return Some(Reading {
                start,
                end: noun.end,
                value: number::tidy(total),
                unit: lx.count_units[noun.id].clone(),
                value_high: None,
                denominator: None,
            });
        }
        return Some(money_rate(page, start, number::tidy(total), end, limit));
    }
    if let Some(c) = lx.currency.at(folded, after) {
        // "500.000 đồng" with no magnitude word; "1.020 đồng chí" is a count.
        let longer_noun = noun_first.is_some_and(|n| n.end > c.end);
        let from_thousand = lx
            .currency_from_thousand
            .iter()
            .any(|w| &folded[c.start..c.end] == w);
        if !longer_noun && (!from_thousand || value >= 1000.0) {
            return Some(money_rate(page, start, value, c.end, limit));
        }
    }

    // Percent: "109% kế hoạch", "68,7%KH", "90 %".
    if body[after..limit].starts_with('%') {
        let (unit, end) = percent_unit(page, after + 1, limit);
        return Some(Reading {
            start,
            end,
            value,
            unit,
            value_high: None,
            denominator: None,
        });
    }

    // Measures, written apart or glued: "14,11ha", "1.250 tấn".
    if let Some(h) = lx
        .measures
        .at(folded, num_end)
        .or_else(|| lx.measures.at(folded, after))
    {
        return Some(Reading {
            start,
            end: h.end,
            value,
            unit: lx.measure_units[h.id].clone(),
            value_high: None,
            denominator: None,
        });
    }

    // Counts: "8 đảng viên", "07 công trình", "21 đại biểu".
    if let Some(h) = noun_first {
        return Some(Reading {
            start,
            end: h.end,
            value,
            unit: lx.count_units[h.id].clone(),
            value_high: None,
            denominator: None,
        });
    }
    None
}

/// `pct_of_plan` when "kế hoạch", "KH", "dự toán" follows the percent sign.
fn percent_unit(page: &Page, after_pct: usize, limit: usize) -> (String, usize) {
    let folded = &page.folded()[..limit];
    let p = skip_spaces(page.body(), after_pct).min(limit);
    if let Some(h) = page
        .lx
        .of_plan
        .at(folded, after_pct)
        .or_else(|| page.lx.of_plan.at(folded, p))
    {
        return ("pct_of_plan".to_string(), h.end);
    }
    ("percent".to_string(), after_pct)
}

/// Money with an optional rate: "/người/năm", "/ha".
fn money_rate(page: &Page, start: usize, value: f64, end: usize, limit: usize) -> Reading {
    let folded = &page.folded()[..limit];
    let lx = page.lx;
    let (unit, end) = if let Some(h) = lx.per_person_year.at(folded, end) {
        ("vnd_per_person_year", h.end)
    } else if let Some(h) = lx.per_ha.at(folded, end) {
        ("vnd_per_ha", h.end)
    } else {
        ("vnd", end)
    };
    Reading {
        start,
        end,
        value,
        unit: unit.to_string(),
        value_high: None,
        denominator: None,
    }
}

/// Where an indicator is looked for around a figure first: its comma clause
/// (which a bracket or colon also opens); then its [`SEMICOLON_CLAUSE`].
const COMMA_CLAUSE: Separators = Separators::new(b",;(:");
/// A figure's list item: to the next comma or semicolon.
const LIST_CLAUSE: Separators = Separators::new(b";,");

/// Spans that are never figures: dates, months, document numbers.
fn masked_spans(page: &Page) -> Vec<(usize, usize)> {
    let body = page.body();
    let mut spans: Vec<(usize, usize)> = date::ANY_DATE
        .find_iter(body)
        .map(|m| (m.start(), m.end()))
        .collect();
    spans.extend(DOC_NUMBER.find_iter(body).map(|m| (m.start(), m.end())));
    spans
}

fn inside(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| s < b && e > a)
}

/// The qualifier written right before the number, or "trở lên" after it.
fn qualifier(
    page: &Page,
    sentence_start: usize,
    r: &Reading,
    clause_end: usize,
    next_start: usize,
) -> &'static str {
    let lx = page.lx;
    let before = page.folded()[sentence_start..r.start].trim_end();
    let end = sentence_start + before.len();
    if let Some(h) = page
        .hits_in(&lx.qualifiers, sentence_start, end)
        .iter()
        .filter(|h| h.end == end)
        .max_by_key(|h| h.end - h.start)
    {
        return ["over", "under", "approx"][h.id];
    }
    if page.has_in(&lx.at_least_after, r.end, clause_end.min(next_start).max(r.end)) {
        return "at_least";
    }
    "exact"
}

/// Whether a figure at `pos` of sentence `si` states a target.
fn is_target(page: &Page, si: usize, pos: usize, carried: bool) -> bool {
    let lx = page.lx;
    let s = page.sentence(si);
    let strong = page.hits_in(&lx.target_paragraph, s.start, pos);
    if !strong.is_empty() {
        return true;
    }
    for cue in page.hits_in(&lx.target, s.start, pos) {
        // "vượt kế hoạch chỉ tiêu giao": a result measured against the plan.
        let before = page.folded()[s.start..cue.start].trim_end();
        let cancelled_before = page
            .hits_in(&lx.cancel_target, s.start, s.start + before.len())
            .iter()
            .any(|h| s.start + before.len() - h.end <= 12);
        let cancelled_between = page.has_in(&lx.cancel_target, cue.end, pos);
        if !cancelled_before && !cancelled_between {
            return true;
        }
    }
    carried && !page.has_in(&lx.actual, s.start, s.end)
}

/// The year ("năm 2023") named in sentence `si` nearest to byte `pos`.
fn nearest_year(page: &Page, si: usize, pos: usize) -> Option<i32> {
    let rel = pos - page.sentence(si).start;
    page.sentence_years(si)
        .iter()
        .map(|&(at, year)| (at.abs_diff(rel), year))
        .min()
        .map(|(_, y)| y)
}

/// A figure for a year after the one the meeting reviews is a target ("Năm
/// 2024, phường ..." at a review of 2023); at a launch, so is one for the
/// current year ("đến hết năm 2025" at a launch in September 2025).
fn names_later_year(page: &Page, si: usize, pos: usize, facts: &MeetingFacts) -> bool {
    let Some(year) = nearest_year(page, si, pos) else {
        return false;
    };
    match (facts.row.period_year, facts.row.meeting_date) {
        (Some(p), _) if facts.row.meeting_type != "launch" => year > p,
        (_, Some(d)) => year >= chrono::Datelike::year(&d),
        (Some(p), None) => year > p,
        (None, None) => false,
    }
}

/// Whether sentence `si` starts a target passage that carries to the next sentences.
fn starts_target_passage(page: &Page, si: usize) -> bool {
    let s = page.sentence(si);
    page.has_in(&page.lx.target_paragraph, s.start, s.end) && !page.has_in(&page.lx.actual, s.start, s.end)
}

/// The indicator of a figure: the nearest phrase before it in its comma
/// clause, else in its semicolon clause, when the figure's unit fits.
fn indicator(
    page: &Page,
    si: usize,
    r: &Reading,
    next_start: usize,
    previous: Option<&Figure>,
) -> (String, Option<String>) {
    let lx = page.lx;
    let fits = |id: usize| {
        let ind = &lx.indicator_list[id];
        ind.units.is_empty() || ind.units.contains(&r.unit)
    };
    for seps in [&COMMA_CLAUSE, &SEMICOLON_CLAUSE] {
        let (cs, ce) = page.clause(si, r.start, seps);
        let hits = page.hits_in(&lx.indicators, cs, r.start);
        // The nearest, longest phrase first.
        let mut sorted = hits.clone();
        sorted.sort_by_key(|h| (std::cmp::Reverse(h.end), std::cmp::Reverse(h.end - h.start)));
        if let Some(h) = sorted.first() {
            if lx.indicator_list[h.id].key.is_empty() {
                return ("other".to_string(), None);
            }
        }
        if let Some(h) = sorted
            .iter()
            .find(|h| fits(h.id) && !lx.indicator_list[h.id].key.is_empty())
        {
            let label = page.body()[h.start..h.end].to_string();
            return (lx.indicator_list[h.id].key.clone(), Some(capitalize(&label)));
        }
        // "14/14 tổ dân phố giữ vững danh hiệu tổ dân phố văn hóa", "100% chỉ tiêu
        // tuyển quân": the indicator after the figure, before the next figure.
        let upto = next_start.min(ce).max(r.end);
        let after = page.hits_in(&lx.indicators, r.end, upto);
        if let Some(h) = after
            .iter()
            .find(|h| !lx.indicator_list[h.id].key.is_empty() && fits(h.id))
        {
            let blocked = after
                .iter()
                .any(|b| b.start <= h.start && lx.indicator_list[b.id].key.is_empty());
            if !blocked {
                let label = page.body()[h.start..h.end].to_string();
                return (lx.indicator_list[h.id].key.clone(), Some(capitalize(&label)));
            }
        }
        // "... 6 tỷ đồng, đạt 68,7%KH": the plan share of the sum just stated.
        if r.unit == "pct_of_plan" {
            if let Some(p) = previous.filter(|p| p.unit == "vnd" && p.indicator != "other") {
                return (p.indicator.clone(), p.label.clone());
            }
        }
    }
    ("other".to_string(), None)
}

fn capitalize(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|c| c.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

/// The year a figure speaks of: one named in its sentence, else the period
/// reviewed (results) or the next one (targets of a year-end review).
fn period_of(page: &Page, si: usize, pos: usize, kind: &str, facts: &MeetingFacts) -> Option<i32> {
    if let Some(year) = nearest_year(page, si, pos) {
        return Some(year);
    }
    let p = facts.row.period_year?;
    Some(if kind == "target" && facts.row.meeting_type == "annual_review" {
        p + 1
    } else {
        p
    })
}

pub fn extract_figures(
    page: &Page,
    facts: &MeetingFacts,
    award_masks: &[(usize, usize)],
    meeting_id: &str,
) -> Vec<Figure> {
    let lx = page.lx;
    let body = page.body();
    let mut masks = masked_spans(page);
    masks.extend_from_slice(award_masks);
    let mut out: Vec<Figure> = Vec::new();
    let mut carried = false;
    let mut last_paragraph = usize::MAX;
    for (si, s) in page.doc.sentences.iter().enumerate() {
        if s.paragraph != last_paragraph {
            carried = false;
            last_paragraph = s.paragraph;
        }
        // The title restates the lead; figures are read from the article.
        if s.paragraph == 0 || page.doc.byline.is_some_and(|(b, _)| s.start >= b) {
            continue;
        }
        let mut readings: Vec<Reading> = Vec::new();
        let mut pos = s.start;
        while let Some((ms, me)) = next_number(body, pos, s.end) {
            pos = me;
            let (ns, ne) = (ms, ms + body[ms..me].trim_end_matches(['.', ',']).len());
            if inside(&masks, ns, ne) || readings.last().is_some_and(|r| ns < r.end) {
                continue;
            }
            let prev = body[..ns].chars().next_back();
            // Glued to a word or a code: "COVID-19", "A1", "số/2021".
            if prev.is_some_and(|c| crate::vntext::is_letter_or_digit(c) || c == '/')
                || (prev == Some('-')
                    && body[..ns]
                        .chars()
                        .rev()
                        .nth(1)
                        .is_some_and(crate::vntext::is_letter_or_digit))
            {
                continue;
            }
            let before = page.folded()[s.start..ns].trim_end();
            let bend = s.start + before.len();
            if page.phrase_ends_at(&lx.not_figure_before, s.start, bend)
                && !page.phrase_ends_at(&lx.figure_before, s.start, bend)
            {
                continue;
            }
            // The second number of a range ("2021 - 2026") belongs to the first,
            // which was read or rejected with it.
            if before.ends_with(['-', '–'])
                && before
                    .trim_end_matches(['-', '–'])
                    .trim_end()
                    .ends_with(|c: char| c.is_ascii_digit())
            {
                continue;
            }
            let Some(value) = number::parse_number(&body[ns..ne]) else {
                continue;
            };
            let after = skip_spaces(body, ne);
            if lx.not_figure_after.at(&page.folded()[..s.end], after).is_some() {
                continue;
            }
            if let Some(r) = read_figure(page, ns, value, ne, s.end) {
                pos = pos.max(r.end);
                readings.push(r);
            }
        }
        // Figures at or after this char were read from this sentence.
        let sentence_char = page.char_at(s.start);
        for (idx, r) in readings.iter().enumerate() {
            let (qs, _) = page.clause(si, r.start, &SEMICOLON_CLAUSE);
            let (_, ce) = page.clause(si, r.start, &LIST_CLAUSE);
            let next_start = readings.get(idx + 1).map_or(s.end, |n| n.start);
            let q = qualifier(page, qs.max(s.start), r, ce, next_start);
            let kind = if is_target(page, si, r.start, carried) || names_later_year(page, si, r.start, facts)
            {
                "target"
            } else {
                "actual"
            };
            let previous = out.last().filter(|f| f.char_start >= sentence_char);
            let (mut ind, label) = indicator(page, si, r, next_start, previous);
            let mut unit = r.unit.clone();
            // A per-capita income in đồng is per person and year even unwritten.
            if ind == "per_capita_income" && unit == "vnd" {
                unit = "vnd_per_person_year".to_string();
            }
            if ind.is_empty() {
                ind = "other".to_string();
            }
            let value_text = body[r.start..r.end].trim_end().to_string();
            let start_char = page.char_at(r.start);
            out.push(Figure {
                metric_id: stable_id(&["metric", meeting_id, &start_char.to_string(), &unit]),
                meeting_id: meeting_id.to_string(),
                doc_id: page.doc.row.doc_id.clone(),
                indicator: ind,
                label,
                value: r.value,
                unit,
                value_high: r.value_high,
                denominator: r.denominator,
                qualifier: q,
                kind,
                period_year: period_of(page, si, r.start, kind, facts),
                value_text: value_text.clone(),
                evidence: page.sentence_text(si).to_string(),
                char_start: start_char,
                char_end: page.char_at(r.start + value_text.len()),
            });
        }
        // A list of targets goes on into the next sentences; a cue in a
        // sentence with no target figure ("nỗ lực phấn đấu ...") does not.
        let stated_target = out
            .iter()
            .rev()
            .take_while(|f| f.char_start >= sentence_char)
            .any(|f| f.kind == "target");
        if starts_target_passage(page, si) && stated_target {
            carried = true;
        } else if page.has_in(&lx.actual, s.start, s.end) {
            carried = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_number_starts_before_the_limit_and_is_read_whole() {
        let s = "đạt 12.500 người, 3 xã";
        let at = s.find("12").unwrap();
        assert_eq!(next_number(s, 0, s.len()), Some((at, at + 6)));
        // A number that starts before the limit runs past it in full.
        assert_eq!(next_number(s, 0, at + 1), Some((at, at + 6)));
        // One starting at the limit is not found, nor any after a start past it.
        assert_eq!(next_number(s, 0, at), None);
        assert_eq!(next_number(s, at + 6, at + 1), None);
        let three = s.find('3').unwrap();
        assert_eq!(next_number(s, at + 6, s.len()), Some((three, three + 1)));
        assert_eq!(number_at(s, at), Some((12500.0, at + 6)));
        assert_eq!(number_at(s, at - 1), None);
    }

    #[test]
    fn a_number_ends_at_its_last_digit() {
        assert_eq!(number_len(b"12,5."), 4);
        assert_eq!(number_len(b"1.000.000 \xc4\x91"), 9);
        assert_eq!(number_len(b"07/2023"), 2);
        assert_eq!(number_len(b"3,,4"), 1);
        assert_eq!(number_len(b".5"), 0);
        // "năm" is four bytes: the digit is byte 6.
        assert_eq!(next_number("năm .5 lần", 0, 12), Some((6, 7)));
        assert_eq!(number_at("12,5.", 0), Some((12.5, 4)));
    }

    proptest::proptest! {
        /// The scanner finds what the pattern it replaced found, wherever the
        /// digits are ASCII (the only ones `parse_number` reads).
        #[test]
        fn number_scan_matches_the_pattern(s in "[0-9.,a đ/-]{0,24}", from in 0usize..30, to in 0usize..30) {
            let number = Regex::new(r"\d+(?:[.,]\d+)*").unwrap();
            let here = Regex::new(r"^(?:\d+(?:[.,]\d+)*)").unwrap();
            let reference = |body: &str, from: usize, to: usize| -> Option<(usize, usize)> {
                if from >= to {
                    return None;
                }
                let start = number.find_at(body.get(..to)?, from)?.start();
                let len = here.find(body.get(start..)?)?.end();
                Some((start, start + len))
            };
            let boundary = |mut i: usize| {
                i = i.min(s.len());
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let (from, to) = (boundary(from), boundary(to));
            proptest::prop_assert_eq!(next_number(&s, from, to), reference(&s, from, to));
        }
    }
}
