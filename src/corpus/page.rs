//! One synthetic page: a meeting at a real unit, its people and figures,
//! composed from the template fragments, with the rows a reader should take
//! from it (the format of `sample-data/expected.json`).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::data::{Fragment, MetricDef, Seg, Templates, ROLES};
use super::numbers::{draw, group, roman, Figure};
use super::rng::Rng;
use super::units::{has_toned_capital, Unit, Units};
use super::CorpusError;

/// A paragraph of the article; a caption is written under a photo in HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Para {
    pub text: String,
    pub caption: bool,
}

/// A generated page, before it is stored in some format.
#[derive(Debug, Clone)]
pub struct Page {
    pub headline: String,
    pub paras: Vec<Para>,
    /// The byline as written ("Minh Châu", "Tin, ảnh: Minh Châu").
    pub byline: String,
    pub published: NaiveDateTime,
    /// The publication stamp a text page may carry under its headline.
    pub stamp_line: Option<String>,
    /// Site furniture: visitor counters, the site's name, address, contact, editor, copyright.
    pub counters: Vec<String>,
    pub site_name: String,
    pub org_caps: String,
    pub address: String,
    pub contact: String,
    pub editor: Option<String>,
    pub copyright: String,
    /// Lines of a text page's footer, in order (the first one starts the footer).
    pub footer_lines: Vec<String>,
    pub host: String,
    pub slug: String,
    pub related: Vec<String>,
}

/// A number in JSON: an integer when it is one (as the hand-made answers write them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpMeeting {
    pub meeting_date: String,
    pub time_of_day: Option<&'static str>,
    pub meeting_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_year: Option<i32>,
    pub unit_type: String,
    pub unit_name: String,
    pub city: Option<String>,
    /// None when the page names no province and the unit's name does not
    /// tell which (see `Builder::unplaced`).
    pub province: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpPerson {
    pub name: String,
    pub roles: Vec<&'static str>,
    pub titles: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpMetric {
    pub text: String,
    pub value: Num,
    pub unit: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_high: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpAward {
    pub giver: Option<String>,
    pub award: String,
    pub recipient_type: String,
    pub count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// The expected rows of one document (one element of `expected.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub source: String,
    pub meeting: ExpMeeting,
    pub people: Vec<ExpPerson>,
    pub metrics: Vec<ExpMetric>,
    pub awards: Vec<ExpAward>,
}

/// How the page will be stored, where it changes what is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    /// A crawl dump's record holds the article only, no site footer: the lead
    /// then always names the district and province, unless the page names
    /// no place at all (`Builder::unplaced`).
    pub no_footer: bool,
    /// TCVN3 cannot write toned capitals: no name, unit or place with one.
    pub tcvn3: bool,
}

#[derive(Debug)]
struct Person {
    name: String,
    female: bool,
    titles: Vec<String>,
    /// Order of first appearance on the page, once it appears.
    seen: Option<usize>,
    titles_written: bool,
    roles: BTreeSet<usize>,
}

/// Everything one page is built from.
struct Builder<'a> {
    t: &'a Templates,
    rng: Rng,
    plan_id: String,
    /// The page names no place above its unit: no district or province in
    /// the lead, the titles, the footer or the URL ("UBND tỉnh", "UBND
    /// huyện" alone), as many real pages do. Only for a unit whose name
    /// another tỉnh also has, so the unit is not resolved and the city and
    /// province stay unknown.
    unplaced: bool,
    meeting: HashMap<&'static str, String>,
    page_vars: HashMap<String, Figure>,
    people: HashMap<String, Person>,
    order: usize,
    metrics: Vec<ExpMetric>,
    awards: Vec<ExpAward>,
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|c| c.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

/// ASCII form of a name for host names and slugs: "Phúc La" -> "phucla".
pub fn ascii_fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn slugify(s: &str) -> String {
    s.split_whitespace()
        .map(ascii_fold)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A date uniformly in `from..=to`.
fn date_between(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days();
    from + Duration::days(rng.range(0, days))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The meeting's date and the year it reviews (or its own year), by plan.
fn meeting_date(rng: &mut Rng, plan: &str) -> (NaiveDate, i32) {
    match plan {
        "annual" => {
            let y = rng.range(2019, 2025) as i32;
            let d = if rng.chance(0.45) {
                date_between(rng, ymd(y, 12, 15), ymd(y, 12, 31))
            } else {
                date_between(rng, ymd(y + 1, 1, 3), ymd(y + 1, 1, 20))
            };
            (d, y)
        }
        "midyear" => {
            let y = rng.range(2019, 2026) as i32;
            (date_between(rng, ymd(y, 6, 20), ymd(y, 7, 25)), y)
        }
        "council" => {
            let y = rng.range(2019, 2025) as i32;
            (date_between(rng, ymd(y, 12, 8), ymd(y, 12, 30)), y)
        }
        "council_mid" => {
            let y = rng.range(2019, 2026) as i32;
            (date_between(rng, ymd(y, 7, 3), ymd(y, 7, 25)), y)
        }
        "congress" => {
            if rng.chance(0.6) {
                (date_between(rng, ymd(2020, 4, 10), ymd(2020, 8, 31)), 2020)
            } else {
                (date_between(rng, ymd(2025, 8, 1), ymd(2025, 9, 30)), 2025)
            }
        }
        "ceremony" => {
            let y = rng.range(2020, 2026) as i32;
            (date_between(rng, ymd(y, 1, 25), ymd(y, 2, 3)), y)
        }
        _ => {
            let d = date_between(rng, ymd(2019, 3, 1), ymd(2026, 6, 30));
            (d, d.year())
        }
    }
}

/// How the lead writes the date, and the time of day it names.
fn when_text(rng: &mut Rng, d: NaiveDate, year_optional: bool) -> (String, Option<&'static str>) {
    let (tod, key) = match rng.weighted(&[0.55, 0.38, 0.07]) {
        0 => ("Sáng", Some("morning")),
        1 => ("Chiều", Some("afternoon")),
        _ => ("", None),
    };
    let (day, month, year) = (d.day(), d.month(), d.year());
    let no_year = year_optional && rng.chance(0.35);
    let date = if no_year {
        if rng.chance(0.7) {
            format!("{day}/{month}")
        } else {
            format!("{day:02}/{month:02}")
        }
    } else {
        match rng.weighted(&[0.55, 0.3, 0.15]) {
            0 => format!("{day}/{month}/{year}"),
            1 => format!("{day:02}/{month:02}/{year}"),
            _ => format!("{day} tháng {month} năm {year}"),
        }
    };
    let text = match (tod, no_year) {
        ("", _) => format!("Ngày {date}"),
        (t, true) if rng.chance(0.6) => format!("{t} {date}"),
        (t, _) => format!("{t} ngày {date}"),
    };
    (text, key)
}

/// A generated page and its expected rows (`source` is left for the caller).
pub fn build(t: &Templates, units: &Units, rng: Rng, shape: Shape) -> Result<(Page, Expected), CorpusError> {
    let mut b = Builder {
        t,
        rng,
        plan_id: String::new(),
        unplaced: false,
        meeting: HashMap::new(),
        page_vars: HashMap::new(),
        people: HashMap::new(),
        order: 0,
        metrics: Vec::new(),
        awards: Vec::new(),
    };
    let weights: Vec<f64> = t.plans.iter().map(|p| p.weight).collect();
    let plan = &t.plans[b.rng.weighted(&weights)];
    b.plan_id = plan.id.clone();
    let (date, year) = meeting_date(&mut b.rng, &plan.id);
    let reformed = date >= ymd(2025, 7, 1);
    let pool = if reformed { &units.new } else { &units.old };
    let unit = loop {
        let u = b.rng.pick(pool);
        if !shape.tcvn3 || u.tcvn3_safe {
            break u.clone();
        }
    };
    b.unplaced = unit.namesake_in_other_province && b.rng.chance(0.5);
    let year_optional = ["annual", "midyear", "council", "council_mid"].contains(&plan.id.as_str());
    let (when, tod) = when_text(&mut b.rng, date, year_optional);
    b.set_meeting(&unit, reformed, date, year, &when, &plan.event, shape);

    // Page variables, then the cast.
    for (name, spec) in &t.page_vars {
        let base = spec
            .depends_on()
            .and_then(|d| b.page_vars.get(d))
            .map(|f| f.value);
        let f = draw(spec, &mut b.rng, base);
        b.page_vars.insert(name.clone(), f);
    }
    b.cast(&unit, shape)?;

    // The article.
    let mut headline = String::new();
    let mut paras: Vec<Para> = Vec::new();
    let mut fillers_used: Vec<&str> = Vec::new();
    for slot in &plan.slots {
        let optional = slot.ends_with('?');
        let slot = slot.trim_end_matches('?');
        if optional && !b.rng.chance(0.65) {
            continue;
        }
        let cands = t.candidates(slot, &plan.id, &unit.unit_type);
        if cands.is_empty() {
            continue;
        }
        let frag = *b.rng.pick(&cands);
        let mut text = b.fragment(frag)?;
        if slot == "headline" {
            headline = text;
            continue;
        }
        let filler = match slot {
            "economy" | "economy2" | "report" => Some(&t.filler_economy),
            "social" | "social2" => Some(&t.filler_social),
            "party" | "party2" | "history" | "tasks" => Some(&t.filler_party),
            "speech" => Some(&t.filler_speech),
            _ => None,
        };
        if let Some(pool) = filler {
            let n = b.rng.weighted(&[0.15, 0.35, 0.3, 0.2]);
            for _ in 0..n {
                let sentence = b.rng.pick(pool);
                // A page says a thing once.
                if !fillers_used.contains(&sentence.as_str()) {
                    fillers_used.push(sentence);
                    text.push(' ');
                    text.push_str(sentence);
                }
            }
        }
        paras.push(Para {
            text,
            caption: frag.caption,
        });
    }

    // Byline and site furniture.
    let author = b.pen_name(shape);
    let byline = match b.rng.weighted(&[0.6, 0.2, 0.1, 0.1]) {
        0 => author.clone(),
        1 => format!("Tin, ảnh: {author}"),
        2 => format!("Bài, ảnh: {author}"),
        _ => format!("{author} (Văn phòng Đảng ủy)"),
    };
    let published = date.and_hms_opt(0, 0, 0).expect("midnight")
        + Duration::days(b.rng.range(0, 2))
        + Duration::minutes(b.rng.range(7 * 60, 21 * 60 + 59));
    let stamp_line = b
        .rng
        .chance(0.25)
        .then(|| published.format("%d-%m-%Y %H:%M").to_string());
    let editor = if shape.no_footer { None } else { b.editor_line() };
    let page = b.furniture(
        &unit, reformed, headline, paras, byline, published, stamp_line, editor,
    );

    // Expected rows.
    let mut people: Vec<(&Person, String)> = b
        .people
        .iter()
        .filter(|(_, p)| p.seen.is_some())
        .map(|(k, p)| (p, k.clone()))
        .collect();
    people.sort_by_key(|(p, _)| p.seen);
    let mut exp_people: Vec<ExpPerson> = people
        .into_iter()
        .map(|(p, _)| {
            let mut roles: Vec<&'static str> = p.roles.iter().map(|&r| ROLES[r]).collect();
            // A chair is there by definition (sample-data/README.md).
            if roles.contains(&"chair") {
                roles.retain(|r| *r != "attendee");
            }
            if roles.is_empty() {
                roles.push("mentioned");
            }
            ExpPerson {
                name: p.name.clone(),
                roles,
                titles: if p.titles_written {
                    p.titles.clone()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    exp_people.push(ExpPerson {
        name: author,
        roles: vec!["author"],
        titles: Vec::new(),
    });
    let expected = Expected {
        source: String::new(),
        meeting: ExpMeeting {
            meeting_date: date.format("%Y-%m-%d").to_string(),
            time_of_day: tod,
            meeting_type: plan.meeting_type.clone(),
            period_year: year_optional.then_some(year),
            unit_type: unit.unit_type.clone(),
            unit_name: unit.unit_name.clone(),
            city: (!reformed && !b.unplaced).then(|| unit.district_name.clone()),
            province: (!b.unplaced).then(|| unit.province_name.clone()),
        },
        people: exp_people,
        metrics: b.metrics,
        awards: b.awards,
    };
    Ok((page, expected))
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn set_meeting(
        &mut self,
        u: &Unit,
        reformed: bool,
        date: NaiveDate,
        year: i32,
        when: &str,
        event: &str,
        shape: Shape,
    ) {
        let rng = &mut self.rng;
        let m = &mut self.meeting;
        let unit = format!("{} {}", u.unit_type, u.unit_name);
        // An unplaced page writes the level alone: "UBND tỉnh".
        let province_full = if self.unplaced {
            u.province_type.clone()
        } else {
            format!("{} {}", u.province_type, u.province_name)
        };
        let (upper, upper_full, committee, member);
        if reformed {
            upper = u.province_type.clone();
            upper_full = province_full.clone();
            committee = if u.province_type == "tỉnh" {
                "Tỉnh ủy"
            } else {
                "Thành ủy"
            }
            .to_string();
            member = match (u.province_type.as_str(), rng.chance(0.5)) {
                ("tỉnh", true) => "TUV",
                ("tỉnh", false) => "Tỉnh ủy viên",
                _ => "Thành ủy viên",
            }
            .to_string();
        } else {
            upper = u.district_type.clone();
            upper_full = if self.unplaced {
                u.district_type.clone()
            } else {
                format!("{} {}", u.district_type, u.district_name)
            };
            let (c, mem) = match u.district_type.as_str() {
                "huyện" => (
                    "Huyện ủy",
                    if rng.chance(0.5) {
                        "HUV"
                    } else {
                        "Huyện ủy viên"
                    },
                ),
                "quận" => ("Quận ủy", "Quận ủy viên"),
                "thị xã" => ("Thị ủy", "Thị ủy viên"),
                _ => ("Thành ủy", "Thành ủy viên"),
            };
            committee = c.to_string();
            member = mem.to_string();
        }
        // Where the lead places the unit. A dump record has no footer to do it.
        let district_written = if u.district_type == "thành phố" && rng.chance(0.3) {
            format!("TP. {}", u.district_name)
        } else {
            upper_full.clone()
        };
        let province_written = if u.province_type == "thành phố" {
            match rng.index(3) {
                0 => format!("thành phố {}", u.province_name),
                1 => format!("TP. {}", u.province_name),
                _ => u.province_name.clone(),
            }
        } else if rng.chance(0.8) {
            province_full.clone()
        } else {
            u.province_name.clone()
        };
        let (place, placec) = if self.unplaced {
            (String::new(), String::new())
        } else if reformed {
            let p = if shape.no_footer || rng.chance(0.7) {
                format!(" ({province_full})")
            } else {
                String::new()
            };
            let c = if shape.no_footer || rng.chance(0.7) {
                format!(", {province_full}")
            } else {
                String::new()
            };
            (p, c)
        } else {
            let p = match (shape.no_footer, rng.weighted(&[0.5, 0.2, 0.3])) {
                (true, _) | (false, 0) => format!(" ({district_written}, {province_written})"),
                (false, 1) => format!(" ({district_written})"),
                _ => String::new(),
            };
            let c = match (shape.no_footer, rng.weighted(&[0.6, 0.15, 0.25])) {
                (true, _) | (false, 0) => format!(", {district_written}, {province_written}"),
                (false, 1) => format!(", {district_written}"),
                _ => String::new(),
            };
            (p, c)
        };
        let hamlet = match u.unit_type.as_str() {
            "xã" => "thôn",
            "phường" if rng.chance(0.4) => "khối",
            _ => "tổ dân phố",
        };
        let (term, course, sn) = if reformed {
            ("2021-2026".to_string(), "I".to_string(), rng.range(2, 8))
        } else if date < ymd(2021, 7, 1) {
            (
                "2016-2021".to_string(),
                roman(rng.range(10, 22) as u32),
                rng.range(8, 20),
            )
        } else {
            (
                "2021-2026".to_string(),
                roman(rng.range(11, 23) as u32),
                rng.range(2, 20),
            )
        };
        let (cno, cterm, prevterm, cend) = if reformed {
            ("I".to_string(), "2025-2030", "2020-2025", "2030")
        } else {
            (roman(rng.range(18, 27) as u32), "2020-2025", "2015-2020", "2025")
        };
        let theme_i = rng.index(self.t.themes.len());
        let pairs: [(&'static str, String); 29] = [
            ("when", when.to_string()),
            ("unit", unit.clone()),
            ("Unit", capitalise(&unit)),
            ("UNIT", unit.to_uppercase()),
            ("ut", u.unit_type.clone()),
            ("Ut", capitalise(&u.unit_type)),
            ("un", u.unit_name.clone()),
            ("place", place),
            ("placec", placec),
            ("upper", upper),
            ("upper_full", upper_full),
            ("committee", committee),
            ("member", member),
            ("province_full", province_full),
            ("province_level", u.province_type.clone()),
            ("year", year.to_string()),
            ("next", (year + 1).to_string()),
            ("prev", (year - 1).to_string()),
            ("event", event.to_string()),
            ("Event", capitalise(event)),
            ("term", term),
            ("course", course),
            ("sn", sn.to_string()),
            ("cno", cno),
            ("cterm", cterm.to_string()),
            ("prevterm", prevterm.to_string()),
            ("cend", cend.to_string()),
            ("anniv", (year - 1930).to_string()),
            ("hamlet", hamlet.to_string()),
        ];
        m.extend(pairs);
        let theme = self.t.themes[theme_i].clone();
        let theme = self.render_plain(&theme);
        self.meeting.insert("theme", theme);
    }

    /// Renders text that holds only page placeholders (titles, themes).
    fn render_plain(&mut self, segs: &[Seg]) -> String {
        let vars = HashMap::new();
        self.render(segs, &vars).unwrap_or_default()
    }

    /// A full name no one else on the page has. Names are written in the
    /// contract's form (NFC, "hòa"), so lowercase is their comparison key.
    fn person_name(&mut self, female: bool, used: &HashSet<String>, shape: Shape) -> String {
        let t = self.t;
        loop {
            let surname = &t.names.surnames[self.rng.weighted(&t.surname_weights)].0;
            let (middle, given) = if female {
                (
                    self.rng.pick(&t.names.middle_female),
                    self.rng.pick(&t.names.given_female),
                )
            } else {
                (
                    self.rng.pick(&t.names.middle_male),
                    self.rng.pick(&t.names.given_male),
                )
            };
            if middle.ends_with(given.as_str()) {
                continue;
            }
            let name = format!("{surname} {middle} {given}");
            let key = name.to_lowercase();
            if used.contains(&key) || (shape.tcvn3 && has_toned_capital(&name)) {
                continue;
            }
            return name;
        }
    }

    /// One person per cast slot, with a title list.
    fn cast(&mut self, u: &Unit, shape: Shape) -> Result<(), CorpusError> {
        // Names taken: the page's places and the names that are never people.
        let mut used: HashSet<String> = [&u.unit_name, &u.district_name, &u.province_name]
            .iter()
            .map(|s| s.to_lowercase())
            .chain(self.t.not_people.iter().map(|s| s.to_lowercase()))
            .collect();
        let slots: Vec<String> = self.t.cast.keys().cloned().collect();
        for slot in slots {
            let female = self.rng.chance(0.4);
            let name = self.person_name(female, &used, shape);
            used.insert(name.to_lowercase());
            let lists = &self.t.cast[&slot];
            let list = lists[self.rng.index(lists.len())].clone();
            let mut titles = Vec::new();
            for segs in &list {
                let vars = self.page_vars.clone();
                titles.push(self.render(segs, &vars)?);
            }
            self.people.insert(
                slot,
                Person {
                    name,
                    female,
                    titles,
                    seen: None,
                    titles_written: false,
                    roles: BTreeSet::new(),
                },
            );
        }
        Ok(())
    }

    /// A reporter's byline name: two syllables.
    fn pen_name(&mut self, shape: Shape) -> String {
        let t = self.t;
        loop {
            let first = if self.rng.chance(0.6) {
                self.rng.pick(&t.names.pen_first).clone()
            } else {
                t.names.surnames[self.rng.weighted(&t.surname_weights)].0.clone()
            };
            let given = if self.rng.chance(0.5) {
                self.rng.pick(&t.names.given_female)
            } else {
                self.rng.pick(&t.names.given_male)
            };
            if *given == first || (shape.tcvn3 && has_toned_capital(given)) || has_toned_capital(&first) {
                continue;
            }
            return format!("{first} {given}");
        }
    }

    fn see(&mut self, slot: &str) {
        let order = self.order;
        if let Some(p) = self.people.get_mut(slot) {
            if p.seen.is_none() {
                p.seen = Some(order);
                self.order += 1;
            }
        }
    }

    fn render(&mut self, segs: &[Seg], vars: &HashMap<String, Figure>) -> Result<String, CorpusError> {
        let mut out = String::new();
        for seg in segs {
            match seg {
                Seg::Lit(s) => out.push_str(s),
                Seg::Alt(alts) => {
                    let i = self.rng.index(alts.len());
                    out.push_str(&alts[i]);
                }
                Seg::Ph(name) => {
                    if let Some(f) = vars.get(name).or_else(|| self.page_vars.get(name)) {
                        out.push_str(&f.text);
                    } else if let Some(v) = self.meeting.get(name.as_str()) {
                        out.push_str(v);
                    } else if self.people.contains_key(name) {
                        self.see(name);
                        out.push_str(&self.people[name].name);
                    } else if let Some((slot, what)) = name
                        .rsplit_once('_')
                        .filter(|(s, _)| self.people.contains_key(*s))
                    {
                        self.see(slot);
                        let p = self.people.get_mut(slot).expect("known slot");
                        match what {
                            "t" => {
                                p.titles_written = true;
                                out.push_str(&p.titles.join(", "));
                            }
                            "ob" => out.push_str(if p.female { "bà" } else { "ông" }),
                            "Ob" => out.push_str(if p.female { "Bà" } else { "Ông" }),
                            _ => return Err(CorpusError::Data(format!("unknown placeholder {{{name}}}"))),
                        }
                    } else {
                        return Err(CorpusError::Data(format!("unknown placeholder {{{name}}}")));
                    }
                }
            }
        }
        Ok(out)
    }

    fn value_of(&self, r: &str, vars: &HashMap<String, Figure>) -> Result<f64, CorpusError> {
        if let Ok(v) = r.parse::<f64>() {
            return Ok(v);
        }
        let (name, hi) = match r.strip_suffix(".hi") {
            Some(n) => (n, true),
            None => (r, false),
        };
        let f = vars
            .get(name)
            .or_else(|| self.page_vars.get(name))
            .ok_or_else(|| CorpusError::Data(format!("a row refers to unknown variable {r}")))?;
        if hi {
            f.hi.ok_or_else(|| CorpusError::Data(format!("{name} is not a range")))
        } else {
            Ok(f.value)
        }
    }

    fn metric(
        &mut self,
        m: &MetricDef,
        text: &[Seg],
        vars: &HashMap<String, Figure>,
    ) -> Result<(), CorpusError> {
        let text = self.render(text, vars)?;
        let value = self.value_of(&m.value, vars)?;
        let denominator = m
            .denominator
            .as_deref()
            .map(|d| self.value_of(d, vars))
            .transpose()?;
        let value_high = m
            .value_high
            .as_deref()
            .map(|d| self.value_of(d, vars))
            .transpose()?;
        self.metrics.push(ExpMetric {
            text,
            value: Num(value),
            unit: m.unit.clone(),
            kind: m.kind.clone(),
            qualifier: m.qualifier.clone(),
            denominator: denominator.map(Num),
            value_high: value_high.map(Num),
            indicator: m.indicator.clone(),
            optional: m.optional,
        });
        Ok(())
    }

    /// Renders a fragment and records its rows.
    fn fragment(&mut self, f: &Fragment) -> Result<String, CorpusError> {
        let mut vars: HashMap<String, Figure> = HashMap::new();
        for (name, spec) in &f.vars {
            let base = spec
                .depends_on()
                .and_then(|d| vars.get(d).or_else(|| self.page_vars.get(d)))
                .map(|x| x.value);
            let fig = draw(spec, &mut self.rng, base);
            vars.insert(name.clone(), fig);
        }
        let text = self.render(&f.text, &vars)?;
        for (m, segs) in &f.metrics {
            self.metric(m, segs, &vars)?;
        }
        for (a, giver) in &f.awards {
            let giver = giver.as_ref().map(|g| self.render(g, &vars)).transpose()?;
            let count = match a.count.as_deref() {
                None => None,
                Some(c) => Some(self.value_of(c, &vars)? as i64),
            };
            let person = match a.person.as_deref() {
                None => None,
                Some(slot) => Some(
                    self.people
                        .get(slot)
                        .ok_or_else(|| CorpusError::Data(format!("an award names unknown person {slot}")))?
                        .name
                        .clone(),
                ),
            };
            self.awards.push(ExpAward {
                giver,
                award: a.award.clone(),
                recipient_type: a.recipient_type.clone(),
                count,
                person,
                optional: a.optional,
            });
        }
        for (slot, roles) in &f.roles {
            let p = self.people.get_mut(slot).expect("checked at load");
            if p.seen.is_none() {
                return Err(CorpusError::Data(format!(
                    "a fragment gives roles to {slot}, whom its text does not name"
                )));
            }
            for r in roles {
                p.roles
                    .insert(ROLES.iter().position(|x| x == r).expect("checked at load"));
            }
        }
        Ok(text)
    }

    /// The footer's editor line: the chairman when the page named him or her
    /// with titles, else the site's own editor, or none.
    fn editor_line(&mut self) -> Option<String> {
        let chm_ok = self
            .people
            .get("chm")
            .is_some_and(|p| p.seen.is_some() && p.titles_written);
        let ut = self.meeting["ut"].clone();
        if chm_ok && self.rng.chance(0.5) {
            let p = self.people.get_mut("chm").expect("cast");
            p.roles.insert(5);
            return Some(format!(
                "Chịu trách nhiệm nội dung: {} - Chủ tịch UBND {ut}",
                p.name
            ));
        }
        if self.rng.chance(0.5) {
            self.see("editor");
            let p = self.people.get_mut("editor").expect("cast");
            p.roles.insert(5);
            p.titles_written = true;
            return Some(format!(
                "Chịu trách nhiệm nội dung: {} - {}",
                p.name,
                p.titles.join(", ")
            ));
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn furniture(
        &mut self,
        u: &Unit,
        reformed: bool,
        headline: String,
        paras: Vec<Para>,
        byline: String,
        published: NaiveDateTime,
        stamp_line: Option<String>,
        editor: Option<String>,
    ) -> Page {
        let rng = &mut self.rng;
        let unit = self.meeting["unit"].clone();
        let upper_full = self.meeting["upper_full"].clone();
        let province_full = self.meeting["province_full"].clone();
        let mut counters = Vec::new();
        if rng.chance(0.75) {
            if rng.chance(0.3) {
                counters.push("Thống kê truy cập".to_string());
            }
            counters.push(format!("Trực tuyến: {}", rng.range(3, 140)));
            counters.push(format!("Hôm nay: {}", group(rng.range(150, 3000) as u64)));
            if rng.chance(0.7) {
                counters.push(format!(
                    "Tổng truy cập: {}",
                    group(rng.range(100_000, 4_000_000) as u64)
                ));
            }
        }
        let site_name = format!(
            "{} {unit}",
            if rng.chance(0.5) {
                "Cổng thông tin điện tử"
            } else {
                "Trang thông tin điện tử"
            }
        );
        let org_caps = if reformed || self.unplaced {
            format!("ỦY BAN NHÂN DÂN {}", unit.to_uppercase())
        } else {
            format!(
                "ỦY BAN NHÂN DÂN {} - {}",
                unit.to_uppercase(),
                upper_full.to_uppercase()
            )
        };
        let street = self.t.streets[rng.index(self.t.streets.len())].clone();
        let address = if self.unplaced {
            format!("Địa chỉ: Số {} đường {street}, {unit}", rng.range(1, 250))
        } else if reformed {
            format!(
                "Địa chỉ: Số {} đường {street}, {unit}, {province_full}",
                rng.range(1, 250)
            )
        } else {
            format!(
                "Địa chỉ: Số {} đường {street}, {unit}, {upper_full}, {province_full}",
                rng.range(1, 250)
            )
        };
        let uslug = ascii_fold(&u.unit_name);
        let pslug = ascii_fold(&u.province_name);
        let host = if self.unplaced {
            format!("{uslug}.gov.vn")
        } else if reformed || u.district_name.is_empty() {
            format!("{uslug}.{pslug}.gov.vn")
        } else {
            format!("{uslug}.{}.{pslug}.gov.vn", ascii_fold(&u.district_name))
        };
        let contact = format!(
            "Điện thoại: 02{}.{}.{} - Email: ubnd.{uslug}@{}",
            rng.range(10, 99),
            rng.range(3000, 3999),
            rng.range(100, 999),
            if self.unplaced {
                "gmail.com".to_string()
            } else {
                format!("{pslug}.gov.vn")
            }
        );
        let copyright = format!("Bản quyền © {} Ủy ban nhân dân {unit}", rng.range(2012, 2021));
        let mut footer_lines = counters.clone();
        if footer_lines.is_empty() || rng.chance(0.5) {
            footer_lines.push(if footer_lines.is_empty() {
                site_name.clone()
            } else {
                org_caps.clone()
            });
        }
        footer_lines.push(address.clone());
        if rng.chance(0.7) {
            footer_lines.push(contact.clone());
        }
        if let Some(e) = &editor {
            footer_lines.push(e.clone());
        }
        if rng.chance(0.4) {
            footer_lines.push(copyright.clone());
        }
        let slug = slugify(&headline).chars().take(60).collect::<String>();
        let related = [
            "Hội nghị Ban Chấp hành Đảng bộ mở rộng",
            "Ra quân tổng vệ sinh môi trường",
            "Tập huấn nghiệp vụ công tác chuyển đổi số",
            "Trao quà cho gia đình chính sách dịp Tết",
            "Tiếp xúc cử tri trước kỳ họp",
            "Ngày hội Đại đoàn kết toàn dân tộc",
            "Hội nghị triển khai công tác phòng, chống thiên tai",
        ];
        let mut related: Vec<String> = related.iter().map(|s| s.to_string()).collect();
        rng.shuffle(&mut related);
        related.truncate(rng.range(3, 6) as usize);
        Page {
            headline,
            paras,
            byline,
            published,
            stamp_line,
            counters,
            site_name,
            org_caps,
            address,
            contact,
            editor,
            copyright,
            footer_lines,
            host,
            slug,
            related,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_names() {
        assert_eq!(ascii_fold("Phúc La"), "phucla");
        assert_eq!(ascii_fold("Đan Phượng"), "danphuong");
        assert_eq!(slugify("Xã Tân Hội tổng kết"), "xa-tan-hoi-tong-ket");
    }

    #[test]
    fn pages_carry_their_rows() {
        let t = Templates::load().unwrap();
        let u = Units::load(&t, false).unwrap();
        let mut units_by_name: HashMap<&str, Vec<&Unit>> = HashMap::new();
        for x in u.old.iter().chain(&u.new) {
            units_by_name.entry(x.unit_name.as_str()).or_default().push(x);
        }
        let mut unplaced = 0;
        for i in 0..300 {
            let rng = Rng::for_item(9, 1, i);
            let shape = Shape {
                no_footer: i % 3 == 0,
                tcvn3: i % 5 == 0,
            };
            let (page, exp) = build(&t, &u, rng, shape).unwrap();
            assert!(!page.headline.is_empty());
            assert!(page.paras.len() >= 3, "{:?}", page.paras);
            let body: String = page
                .paras
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            assert!(!body.contains('{') && !body.contains("[["), "{body}");
            for p in &exp.people {
                assert!(
                    body.contains(&p.name)
                        || page.byline.contains(&p.name)
                        || page.editor.iter().any(|e| e.contains(&p.name)),
                    "{} is not on the page",
                    p.name
                );
                if shape.tcvn3 {
                    assert!(!has_toned_capital(&p.name), "{}", p.name);
                }
            }
            for m in &exp.metrics {
                assert!(body.contains(&m.text), "figure {:?} not in {body}", m.text);
            }
            assert!(exp.meeting.unit_name.len() > 1);
            match &exp.meeting.province {
                Some(p) => {
                    if exp.meeting.meeting_date.as_str() >= "2025-07-01" {
                        assert_eq!(exp.meeting.city, None);
                    } else {
                        assert!(exp.meeting.city.is_some());
                    }
                    assert!(page.address.contains(p.as_str()), "{}", page.address);
                }
                // A page without places: no district or province anywhere
                // a reader (or the pipeline) could take one from.
                None => {
                    unplaced += 1;
                    assert_eq!(exp.meeting.city, None);
                    let unit = units_by_name
                        .get(exp.meeting.unit_name.as_str())
                        .expect("the unit comes from the gazetteer");
                    let everything = format!(
                        "{body}\n{}\n{}\n{}\n{}",
                        page.headline,
                        page.address,
                        page.host,
                        page.footer_lines.join("\n")
                    );
                    for u in unit.iter().filter(|u| u.province_type == "tỉnh") {
                        assert!(
                            !everything.contains(u.province_name.as_str()),
                            "{} named on a page without places",
                            u.province_name
                        );
                    }
                }
            }
        }
        // About one page in ten (a unit whose name a second tỉnh has, half
        // of the time): some, and not most.
        assert!((10..100).contains(&unplaced), "{unplaced} pages without places");
    }
}
