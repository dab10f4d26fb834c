//! Stage 4, aggregate: person ids across pages, then the roll-ups `people`,
//! `co_attendance` and `unit_year_metrics`. Documents arrive one at a time in
//! source order and feed running accumulators, so memory grows with the
//! people, pairs and unit-years published, not with the number of pages.
//!
//! Ties between rows of the same meeting date are broken by where the row is
//! (the document's position in the run, then its character offset), so the
//! results never depend on the thread count.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::error::Result;
use crate::model::{stable_id, Award, DocumentRow, Extraction, Figure, MeetingRow, PersonMention};
use crate::vntext::canonical_key;

/// One row of `people`.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub person_id: String,
    pub name: String,
    pub n_meetings: i64,
    pub first_seen: Option<NaiveDate>,
    pub last_seen: Option<NaiveDate>,
    pub latest_titles: Vec<String>,
    pub units: Vec<String>,
}

/// One row of `unit_year_metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitYearRow {
    pub province: Option<String>,
    pub city: Option<String>,
    pub unit_type: Option<String>,
    pub unit_name: Option<String>,
    pub year: i32,
    pub indicator: String,
    pub kind: String,
    pub unit: String,
    pub value: f64,
    pub n_sources: i64,
}

/// One row of `co_attendance`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoAttendanceRow {
    pub person_a: String,
    pub person_b: String,
    pub n_meetings: i64,
    pub first_met: Option<NaiveDate>,
    pub last_met: Option<NaiveDate>,
}

/// Every published table, rows in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub documents: Vec<DocumentRow>,
    pub meetings: Vec<MeetingRow>,
    pub person_mentions: Vec<PersonMention>,
    pub people: Vec<PersonRow>,
    pub metrics: Vec<Figure>,
    pub awards: Vec<Award>,
    pub unit_year_metrics: Vec<UnitYearRow>,
    pub co_attendance: Vec<CoAttendanceRow>,
}

impl Tables {
    /// The number of rows of a table, by its CONTRACT.md name.
    pub fn rows(&self, table: &str) -> usize {
        match table {
            "documents" => self.documents.len(),
            "meetings" => self.meetings.len(),
            "person_mentions" => self.person_mentions.len(),
            "people" => self.people.len(),
            "metrics" => self.metrics.len(),
            "awards" => self.awards.len(),
            "unit_year_metrics" => self.unit_year_metrics.len(),
            "co_attendance" => self.co_attendance.len(),
            _ => 0,
        }
    }
}

impl Tables {
    /// Adds the per-page rows of one document (documents, meetings,
    /// person_mentions, metrics, awards).
    pub fn push_page(&mut self, x: Extraction) {
        self.documents.push(x.document);
        if let Some(m) = x.meeting {
            self.meetings.push(m);
        }
        self.person_mentions.extend(x.mentions);
        self.metrics.extend(x.figures);
        self.awards.extend(x.awards);
    }

    /// Adds every row of `other` after this one's.
    pub fn append(&mut self, other: Tables) {
        self.documents.extend(other.documents);
        self.meetings.extend(other.meetings);
        self.person_mentions.extend(other.person_mentions);
        self.people.extend(other.people);
        self.metrics.extend(other.metrics);
        self.awards.extend(other.awards);
        self.unit_year_metrics.extend(other.unit_year_metrics);
        self.co_attendance.extend(other.co_attendance);
    }
}

/// Gives mentions and named award recipients their `person_id`. Two mentions
/// are one person when their names match and their provinces agree (the same,
/// or one unknown); namesakes in different provinces stay apart. A page whose
/// meeting names a province gets its ids at once; a page without one waits
/// until every page has been seen, because its names join the single province
/// they are known in, if there is exactly one.
#[derive(Debug, Default)]
pub struct PersonIds {
    /// Canonical name → the canonical provinces it was seen in (usually one).
    provinces_of: HashMap<String, Vec<String>>,
}

fn province_of(x: &Extraction) -> Option<&str> {
    x.meeting.as_ref().and_then(|m| m.province.as_deref())
}

impl PersonIds {
    /// True when the page's ids can only be given once every page is seen.
    pub fn must_wait(x: &Extraction) -> bool {
        province_of(x).is_none()
            && (!x.mentions.is_empty() || x.awards.iter().any(|a| a.person_name.is_some()))
    }

    /// Learns the provinces of a page's names (pages with a province only).
    pub fn learn(&mut self, x: &Extraction) {
        let Some(p) = province_of(x) else { return };
        if x.mentions.is_empty() {
            return;
        }
        let p = canonical_key(p);
        for m in &x.mentions {
            let known = self.provinces_of.entry(canonical_key(&m.name)).or_default();
            if !known.contains(&p) {
                known.push(p.clone());
            }
        }
    }

    fn id_for(&self, name: &str, province: Option<&str>) -> String {
        let key = canonical_key(name);
        let p = match province {
            Some(p) => p.to_string(),
            None => match self.provinces_of.get(&key) {
                Some(set) if set.len() == 1 => set[0].clone(),
                _ => String::new(),
            },
        };
        stable_id(&["person", &key, &p])
    }

    /// Sets the ids of a page's mentions and named award recipients.
    pub fn assign(&self, x: &mut Extraction) {
        let province = province_of(x).map(canonical_key);
        let province = province.as_deref();
        for m in &mut x.mentions {
            m.person_id = self.id_for(&m.name, province);
        }
        for a in &mut x.awards {
            if let Some(n) = &a.person_name {
                a.person_id = Some(self.id_for(n, province));
            }
        }
    }
}

/// Sort key of a row: meeting date (unknown first), then its place in the run.
type TimeKey = (Option<NaiveDate>, u64, i64);

#[derive(Debug)]
struct PersonAcc {
    person_id: String,
    first: TimeKey,
    name: String,
    last: TimeKey,
    latest_titles: Vec<String>,
    n_meetings: i64,
    /// The last document counted in `n_meetings` (a page is one meeting).
    last_doc: u64,
    first_seen: Option<NaiveDate>,
    last_seen: Option<NaiveDate>,
    /// Each unit with the earliest key it was seen at.
    units: Vec<(TimeKey, String)>,
}

#[derive(Debug)]
struct PairAcc {
    n_meetings: i64,
    first_met: Option<NaiveDate>,
    last_met: Option<NaiveDate>,
}

#[derive(Debug)]
struct UnitYearAcc {
    row: UnitYearRow,
    latest: TimeKey,
    last_doc: u64,
}

fn min_date(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_date(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    a.max(b)
}

/// The running roll-ups of a run.
#[derive(Debug, Default)]
pub struct Rollups {
    person_index: HashMap<String, u32>,
    persons: Vec<PersonAcc>,
    pairs: HashMap<(u32, u32), PairAcc>,
    unit_years: HashMap<String, UnitYearAcc>,
}

impl Rollups {
    /// Adds one page, whose person ids are set; `seq` is its place in the run.
    pub fn add(&mut self, seq: u64, x: &Extraction) {
        let meeting = x.meeting.as_ref();
        let date = meeting.and_then(|m| m.meeting_date);
        let unit = meeting.and_then(|m| match (&m.unit_type, &m.unit_name) {
            (Some(ty), Some(nm)) => Some(format!("{ty} {nm}")),
            _ => None,
        });
        let mut present: Vec<u32> = Vec::with_capacity(x.mentions.len());
        for m in &x.mentions {
            let i = self.person(m, seq, date);
            let key = (date, seq, m.char_start);
            let p = &mut self.persons[i as usize];
            if key < p.first {
                p.first = key;
                p.name.clone_from(&m.name);
            }
            if key > p.last {
                p.last = key;
                p.latest_titles.clone_from(&m.titles);
            }
            if p.last_doc != seq {
                p.last_doc = seq;
                p.n_meetings += 1;
            }
            p.first_seen = min_date(p.first_seen, date);
            p.last_seen = max_date(p.last_seen, date);
            if let Some(u) = &unit {
                match p.units.iter_mut().find(|(_, v)| v == u) {
                    Some(seen) => seen.0 = seen.0.min(key),
                    None => p.units.push((key, u.clone())),
                }
            }
            if !present.contains(&i) {
                present.push(i);
            }
        }
        // Pairs by person_id order, each meeting counted once per pair.
        present.sort_by(|a, b| {
            self.persons[*a as usize]
                .person_id
                .cmp(&self.persons[*b as usize].person_id)
        });
        for (k, &a) in present.iter().enumerate() {
            for &b in &present[k + 1..] {
                let e = self.pairs.entry((a, b)).or_insert(PairAcc {
                    n_meetings: 0,
                    first_met: None,
                    last_met: None,
                });
                e.n_meetings += 1;
                e.first_met = min_date(e.first_met, date);
                e.last_met = max_date(e.last_met, date);
            }
        }
        if let Some(m) = meeting {
            self.add_figures(seq, m, &x.figures);
        }
    }

    fn person(&mut self, m: &PersonMention, seq: u64, date: Option<NaiveDate>) -> u32 {
        if let Some(&i) = self.person_index.get(&m.person_id) {
            return i;
        }
        let i = self.persons.len() as u32;
        let key = (date, seq, m.char_start);
        self.persons.push(PersonAcc {
            person_id: m.person_id.clone(),
            first: key,
            name: m.name.clone(),
            last: key,
            latest_titles: m.titles.clone(),
            n_meetings: 0,
            last_doc: u64::MAX,
            first_seen: None,
            last_seen: None,
            units: Vec::new(),
        });
        self.person_index.insert(m.person_id.clone(), i);
        i
    }

    fn add_figures(&mut self, seq: u64, m: &MeetingRow, figures: &[Figure]) {
        if m.unit_name.is_none() {
            return;
        }
        for f in figures {
            if f.meeting_id != m.meeting_id {
                continue;
            }
            let Some(year) = f.period_year.or(m.period_year) else {
                continue;
            };
            let opt = |s: &Option<String>| s.as_deref().unwrap_or("\u{0}").to_string();
            let key = [
                opt(&m.province),
                opt(&m.city),
                opt(&m.unit_type),
                opt(&m.unit_name),
                year.to_string(),
                f.indicator.clone(),
                f.kind.to_string(),
                f.unit.clone(),
            ]
            .join("\u{1f}");
            let at = (m.meeting_date, seq, f.char_start);
            let acc = self.unit_years.entry(key).or_insert_with(|| UnitYearAcc {
                row: UnitYearRow {
                    province: m.province.clone(),
                    city: m.city.clone(),
                    unit_type: m.unit_type.clone(),
                    unit_name: m.unit_name.clone(),
                    year,
                    indicator: f.indicator.clone(),
                    kind: f.kind.to_string(),
                    unit: f.unit.clone(),
                    value: f.value,
                    n_sources: 0,
                },
                latest: at,
                last_doc: u64::MAX,
            });
            if at >= acc.latest {
                acc.latest = at;
                acc.row.value = f.value;
            }
            if acc.last_doc != seq {
                acc.last_doc = seq;
                acc.row.n_sources += 1;
            }
        }
    }

    /// The three roll-up tables, each in its published order.
    pub fn finish(self) -> (Vec<PersonRow>, Vec<CoAttendanceRow>, Vec<UnitYearRow>) {
        let mut co: Vec<CoAttendanceRow> = self
            .pairs
            .into_iter()
            .map(|((a, b), acc)| CoAttendanceRow {
                person_a: self.persons[a as usize].person_id.clone(),
                person_b: self.persons[b as usize].person_id.clone(),
                n_meetings: acc.n_meetings,
                first_met: acc.first_met,
                last_met: acc.last_met,
            })
            .collect();
        co.sort_unstable_by(|x, y| (&x.person_a, &x.person_b).cmp(&(&y.person_a, &y.person_b)));
        let mut people: Vec<PersonRow> = self
            .persons
            .into_iter()
            .map(|mut p| {
                p.units.sort_by_key(|u| u.0);
                PersonRow {
                    person_id: p.person_id,
                    name: p.name,
                    n_meetings: p.n_meetings,
                    first_seen: p.first_seen,
                    last_seen: p.last_seen,
                    latest_titles: p.latest_titles,
                    units: p.units.into_iter().map(|(_, u)| u).collect(),
                }
            })
            .collect();
        people.sort_unstable_by(|a, b| a.person_id.cmp(&b.person_id));
        let mut uy: Vec<UnitYearRow> = self.unit_years.into_values().map(|a| a.row).collect();
        // Unknown places sort last, as nulls do in the published order.
        let place = |s: &Option<String>| (s.is_none(), s.clone());
        uy.sort_by(|a, b| {
            (
                place(&a.province),
                place(&a.city),
                place(&a.unit_type),
                place(&a.unit_name),
            )
                .cmp(&(
                    place(&b.province),
                    place(&b.city),
                    place(&b.unit_type),
                    place(&b.unit_name),
                ))
                .then(a.year.cmp(&b.year))
                .then_with(|| (&a.indicator, &a.kind, &a.unit).cmp(&(&b.indicator, &b.kind, &b.unit)))
        });
        (people, co, uy)
    }
}

/// The aggregate stage over a stream of pages, in the run's order: each page
/// gets its person ids and feeds the roll-ups. A page whose ids can be given
/// at once comes back from [`Aggregator::add`] ready to publish; a page
/// without a province waits, and its rows come with the roll-ups from
/// [`Aggregator::finish`].
#[derive(Debug, Default)]
pub struct Aggregator {
    ids: PersonIds,
    rollups: Rollups,
    /// Pages waiting for their person ids, with their place in the run.
    waiting: Vec<(u64, Extraction)>,
    /// Pages seen so far: the next page's place in the run.
    seen: u64,
}

impl Aggregator {
    pub fn add(&mut self, mut x: Extraction) -> Option<Extraction> {
        let seq = self.seen;
        self.seen += 1;
        self.ids.learn(&x);
        if PersonIds::must_wait(&x) {
            self.waiting.push((seq, x));
            return None;
        }
        self.ids.assign(&mut x);
        self.rollups.add(seq, &x);
        Some(x)
    }

    /// Pages seen so far.
    pub fn pages(&self) -> u64 {
        self.seen
    }

    /// The rows of the pages that waited, and the three roll-up tables.
    pub fn finish(mut self) -> Tables {
        let mut t = Tables::default();
        for (seq, mut x) in std::mem::take(&mut self.waiting) {
            self.ids.assign(&mut x);
            self.rollups.add(seq, &x);
            t.push_page(x);
        }
        (t.people, t.co_attendance, t.unit_year_metrics) = self.rollups.finish();
        t
    }
}

/// Builds every table from a run's extractions in memory (for `hoinghi
/// aggregate` and tests; a run streams its pages through an [`Aggregator`]).
pub fn aggregate(mut extractions: Vec<Extraction>) -> Result<Tables> {
    extractions.sort_by(|a, b| a.document.source.cmp(&b.document.source));
    let mut agg = Aggregator::default();
    let mut t = Tables::default();
    for x in extractions {
        if let Some(x) = agg.add(x) {
            t.push_page(x);
        }
    }
    t.append(agg.finish());
    Ok(t)
}
