//! The bundled gazetteer of grassroots administrative units (phường, xã, thị trấn,
//! đặc khu) before and after the 1 July 2025 reorganisation, and the resolution of
//! a meeting's unit to its official code.
//!
//! The data file, `pipelines/gazetteer/units.csv.zst`, is rebuilt by
//! `scripts/build_gazetteer.py` from the PyPI package `vietnamadminunits`
//! (`pipelines/gazetteer/SOURCE.md` says which version and when). It is a
//! zstd-compressed, tab-separated text with a header line; no field holds a tab or
//! a line break.
//!
//! [`Gazetteer::resolve`] never guesses: it gives an `admin_code` only when exactly
//! one unit fits everything the page offers, and otherwise says in `why` which
//! units are left and what would tell them apart.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::vntext::canonical_key;

/// Where the bundled file sits, relative to the repository root.
pub const BUNDLED_PATH: &str = "pipelines/gazetteer/units.csv.zst";

/// The first day of the post-2025 units.
pub fn reorganisation_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("valid date")
}

/// Which list a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// Before 1 July 2025: province → district → unit.
    Old,
    /// Since 1 July 2025: province → unit.
    New,
}

impl Era {
    pub fn as_str(self) -> &'static str {
        match self {
            Era::Old => "old",
            Era::New => "new",
        }
    }
}

/// One row of the gazetteer.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub code: String,
    pub era: Era,
    /// `phường`, `xã`, `thị trấn`, `đặc khu`.
    pub unit_type: String,
    /// Without the type word: `Phúc La`.
    pub unit_name: String,
    /// Old era: `quận`, `huyện`, `thị xã`, `thành phố`; empty for new units.
    pub district_type: String,
    /// Old era, without the type word; empty for new units.
    pub district_name: String,
    /// Without `Tỉnh` / `Thành phố`: `Hà Nội`.
    pub province_name: String,
    pub province_code: String,
    /// `tỉnh`, or `thành phố` for a centrally run city.
    pub province_type: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Old era: the post-2025 unit it went into (the package's default one when it was split).
    pub new_code: Option<String>,
    /// Old era: that unit's name with its type word: `phường Hà Đông`.
    pub new_name: Option<String>,
    /// Old era, split units: the codes of the other new units that took a part of it.
    pub new_also: Vec<String>,
}

impl Unit {
    /// `phường Phúc La (quận Hà Đông, Hà Nội)`, `phường Đức Xuân (Thái Nguyên)`.
    pub fn label(&self) -> String {
        format!("{} {} ({})", self.unit_type, self.unit_name, self.place())
    }

    /// `quận Hà Đông, Hà Nội`, or the province alone for a new unit.
    pub fn place(&self) -> String {
        if self.district_name.is_empty() {
            self.province_name.clone()
        } else {
            format!(
                "{} {}, {}",
                self.district_type, self.district_name, self.province_name
            )
        }
    }
}

/// What a page says about the unit a meeting belongs to. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitHints {
    /// `phường`, `xã`, `thị trấn` (also `P.`, `TT`).
    pub unit_type: Option<String>,
    /// `Tân Lập`; a leading type word (`phường Tân Lập`) is understood too.
    pub unit_name: Option<String>,
    /// The city / town / district named on the page: `Bắc Kạn`, `TP. Bắc Kạn`, `thị xã An Khê`.
    pub city: Option<String>,
    /// `Thái Nguyên`, `Tỉnh Thái Nguyên`, `TP.HCM`.
    pub province: Option<String>,
    /// `thành ủy` | `huyện ủy` | `quận ủy` | `thị ủy` | `tỉnh ủy`: the party committee above the unit.
    pub party_committee_level: Option<String>,
    /// The page's host: `phucla.hadong.hanoi.gov.vn`.
    pub url_host: Option<String>,
    /// The meeting (or publication) date: it picks the pre- or post-2025 list.
    pub date: Option<NaiveDate>,
}

/// The outcome of [`Gazetteer::resolve`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// The unit's code when exactly one unit fits; `None` otherwise.
    pub admin_code: Option<String>,
    /// The gazetteer's spelling of the name (without type word).
    pub unit_name: Option<String>,
    /// The district above an old-era unit (without type word); `None` for a new unit.
    pub city: Option<String>,
    pub province: Option<String>,
    /// For an old-era unit: the post-2025 unit it went into.
    pub successor_code: Option<String>,
    pub successor_name: Option<String>,
    /// How many units are left: 1 when resolved, 0 when none fits, more when ambiguous.
    pub candidates: usize,
    /// The era of the resolved unit.
    pub era: Option<Era>,
    /// A sentence saying how the unit was resolved, or why not.
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    District,
    Province,
}

/// A district or province (one entry for all of the same level, type and name).
#[derive(Debug, Clone)]
struct Place {
    level: Level,
    /// `quận`, `thành phố`, `tỉnh`, ...
    kind: String,
    /// [`name_key`] of the name.
    key: String,
    /// [`fold_ascii`] of the name.
    ascii: String,
    /// Host-label forms: `hadong`, `quanhadong`; `hochiminh`, `hcm`.
    host_forms: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct UnitKeys {
    name: String,
    /// Indexes into `Gazetteer::places`: the unit's district and province; for a new
    /// unit also those of the old units it took.
    places: Vec<u32>,
    /// Host-label forms of the unit's own name: `phucla`, `phuongphucla`.
    ascii_unit: Vec<String>,
}

/// The units, with indexes for resolution.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    units: Vec<Unit>,
    keys: Vec<UnitKeys>,
    places: Vec<Place>,
    by_code: HashMap<(Era, String), usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_ascii_name: HashMap<String, Vec<usize>>,
    by_ascii_label: HashMap<String, Vec<usize>>,
    /// Distinct name keys per era, for the one-letter repair.
    name_keys: [Vec<(String, Vec<char>)>; 2],
    /// Keys (and ASCII folds) of every district and province name, to tell a place the
    /// gazetteer knows (and so can contradict) from text it does not.
    known_places: HashSet<String>,
}

const GENERIC_HOST_LABELS: &[&str] = &[
    "www", "gov", "vn", "com", "net", "org", "edu", "info", "biz", "portal", "web", "egov", "cong",
];

fn era_index(era: Era) -> usize {
    match era {
        Era::Old => 0,
        Era::New => 1,
    }
}

/// Comparison key for names: lowercase, NFC, the contract's tone placement, single
/// spaces, and no leading zeros in numbers (`Phường 05` is `Phường 5`).
pub fn name_key(s: &str) -> String {
    let k = canonical_key(s);
    k.split(' ')
        .map(|w| {
            if w.len() > 1 && w.bytes().all(|b| b.is_ascii_digit()) {
                let t = w.trim_start_matches('0');
                if t.is_empty() {
                    "0"
                } else {
                    t
                }
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`name_key`] of a name already in the data file's form (NFC, the contract's tone
/// placement, single spaces: the build script writes them so, a test checks it).
fn data_key(s: &str) -> String {
    if s.bytes().any(|b| b.is_ascii_digit()) {
        name_key(s)
    } else {
        crate::vntext::lowercase(s)
    }
}

/// Tone-less, space-less ASCII: `Phúc La` → `phucla`, `Đà Nẵng` → `danang`.
pub fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            }
            continue;
        }
        if matches!(c, 'đ' | 'Đ') {
            out.push('d');
            continue;
        }
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) && d.is_ascii_alphanumeric() {
                out.push(d.to_ascii_lowercase());
            }
        });
    }
    out
}

fn type_prefixes_ascii(unit_type: &str) -> &'static [&'static str] {
    match unit_type {
        "phường" => &["phuong", "p"],
        "xã" => &["xa"],
        "thị trấn" => &["thitran", "tt"],
        "đặc khu" => &["dackhu"],
        "quận" => &["quan", "q"],
        "huyện" => &["huyen"],
        "thị xã" => &["thixa", "tx"],
        "thành phố" => &["thanhpho", "tp"],
        _ => &[],
    }
}

fn province_aliases_ascii(name_ascii: &str) -> &'static [&'static str] {
    match name_ascii {
        "hochiminh" => &["hcm", "tphcm", "hochiminhcity"],
        "hue" => &["thuathienhue"],
        _ => &[],
    }
}

fn unit_type_of(s: &str) -> Option<&'static str> {
    match name_key(s).trim_end_matches('.') {
        "phường" | "p" => Some("phường"),
        "xã" | "x" => Some("xã"),
        "thị trấn" | "tt" => Some("thị trấn"),
        "đặc khu" => Some("đặc khu"),
        _ => None,
    }
}

/// Splits a leading unit type word off a name: `phường Tân Lập` → (`phường`, `Tân Lập`).
fn split_unit_type(name: &str) -> (Option<&'static str>, String) {
    let text = crate::vntext::normalize_text(name);
    let text = crate::vntext::collapse_spaces(&text);
    let low = crate::vntext::lowercase(&text);
    for (prefix, t) in [
        ("thị trấn ", "thị trấn"),
        ("phường ", "phường"),
        ("xã ", "xã"),
        ("đặc khu ", "đặc khu"),
        ("p. ", "phường"),
        ("tt. ", "thị trấn"),
    ] {
        // Lowercasing keeps the byte length of these prefixes; `get` guards the rest.
        if let (true, Some(rest)) = (low.starts_with(prefix), text.get(prefix.len()..)) {
            return (Some(t), rest.trim().to_string());
        }
    }
    (None, text)
}

#[derive(Debug, Clone)]
struct PlaceHint {
    text: String,
    key: String,
    /// The folded key when the page wrote the place without any diacritics.
    ascii: Option<String>,
    /// A type word the page gave with it: `thành phố`, `thị xã`, `quận`, `huyện`, `tỉnh`.
    kind: Option<&'static str>,
}

fn place_hint(raw: &str) -> Option<PlaceHint> {
    let text = crate::vntext::normalize_text(raw);
    let text =
        crate::vntext::collapse_spaces(text.trim_matches(|c: char| !crate::vntext::is_letter_or_digit(c)));
    if text.is_empty() {
        return None;
    }
    let mut key = name_key(&text);
    let mut kind = None;
    for (prefix, k) in [
        ("thành phố ", "thành phố"),
        ("tp. ", "thành phố"),
        ("tp.", "thành phố"),
        ("tp ", "thành phố"),
        ("thị xã ", "thị xã"),
        ("tx. ", "thị xã"),
        ("tx.", "thị xã"),
        ("tx ", "thị xã"),
        ("quận ", "quận"),
        ("huyện ", "huyện"),
        ("tỉnh ", "tỉnh"),
    ] {
        if let Some(rest) = key.strip_prefix(prefix) {
            key = rest.trim().to_string();
            kind = Some(k);
            break;
        }
    }
    let key = match key.as_str() {
        "hcm" | "hồ chí minh city" | "sài gòn" => "hồ chí minh".to_string(),
        "thừa thiên huế" | "thừa thiên - huế" => "huế".to_string(),
        _ => key,
    };
    let ascii = Some(fold_ascii(&key)).filter(|a| text.is_ascii() && !a.is_empty());
    Some(PlaceHint {
        text,
        key,
        ascii,
        kind,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Committee {
    City,
    Town,
    RuralDistrict,
    UrbanDistrict,
    Province,
}

impl Committee {
    fn parse(s: &str) -> Option<Committee> {
        let k = name_key(s);
        if k.contains("thành ủy") {
            Some(Committee::City)
        } else if k.contains("thị ủy") {
            Some(Committee::Town)
        } else if k.contains("huyện ủy") {
            Some(Committee::RuralDistrict)
        } else if k.contains("quận ủy") {
            Some(Committee::UrbanDistrict)
        } else if k.contains("tỉnh ủy") {
            Some(Committee::Province)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Committee::City => "\"Thành ủy\" (a city's committee)",
            Committee::Town => "\"Thị ủy\" (a town's committee)",
            Committee::RuralDistrict => "\"Huyện ủy\" (a rural district's committee)",
            Committee::UrbanDistrict => "\"Quận ủy\" (an urban district's committee)",
            Committee::Province => "\"Tỉnh ủy\" (a province's committee)",
        }
    }

    /// Whether the unit can sit under such a committee; `None` when the hint says
    /// nothing about units of that era (no district committees after 2025).
    fn fits(self, u: &Unit) -> Option<bool> {
        let city_province = u.province_type == "thành phố";
        match (u.era, self) {
            (Era::Old, Committee::City) => Some(u.district_type == "thành phố" || city_province),
            (Era::Old, Committee::Town) => Some(u.district_type == "thị xã"),
            (Era::Old, Committee::RuralDistrict) => Some(u.district_type == "huyện"),
            (Era::Old, Committee::UrbanDistrict) => Some(u.district_type == "quận"),
            (_, Committee::Province) => Some(!city_province),
            (Era::New, Committee::City) => Some(city_province),
            (Era::New, _) => None,
        }
    }
}

/// The hints, normalized once.
#[derive(Debug, Default)]
struct Query {
    name: Option<String>,
    name_key: Option<String>,
    /// The folded name when the page wrote it without any diacritics.
    name_ascii: Option<String>,
    unit_type: Option<&'static str>,
    province: Option<PlaceHint>,
    city: Option<PlaceHint>,
    committee: Option<Committee>,
    host: Option<String>,
    host_labels: Vec<String>,
    date: Option<NaiveDate>,
    /// Hints that were given but could not be read.
    ignored: Vec<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn host_labels(host: &str) -> Vec<String> {
    let h = host.trim().to_lowercase();
    let h = h.split("://").last().unwrap_or("");
    let h = h.split(['/', '?', '#']).next().unwrap_or("");
    let h = h.split(':').next().unwrap_or("");
    h.split('.')
        .map(|l| {
            l.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        })
        .filter(|l| !l.is_empty() && !GENERIC_HOST_LABELS.contains(&l.as_str()))
        .collect()
}

impl Query {
    fn new(h: &UnitHints) -> Query {
        let mut q = Query {
            date: h.date,
            ..Query::default()
        };
        if let Some(t) = non_empty(&h.unit_type) {
            match unit_type_of(t) {
                Some(t) => q.unit_type = Some(t),
                None => q
                    .ignored
                    .push(format!("the unit type \"{t}\" is not phường, xã or thị trấn")),
            }
        }
        if let Some(n) = non_empty(&h.unit_name) {
            let (t, name) = split_unit_type(n);
            if q.unit_type.is_none() {
                q.unit_type = t;
            }
            if !name.is_empty() {
                q.name_key = Some(name_key(&name));
                if name.is_ascii() {
                    q.name_ascii = Some(fold_ascii(&name)).filter(|a| !a.is_empty());
                }
                q.name = Some(name);
            }
        }
        q.province = non_empty(&h.province).and_then(place_hint);
        q.city = non_empty(&h.city).and_then(place_hint);
        if let Some(c) = non_empty(&h.party_committee_level) {
            q.committee = Committee::parse(c);
            if q.committee.is_none() {
                q.ignored.push(format!(
                    "the committee \"{c}\" is not a Thành/Thị/Huyện/Quận/Tỉnh ủy"
                ));
            }
        }
        if let Some(host) = non_empty(&h.url_host) {
            q.host_labels = host_labels(host);
            q.host = Some(host.to_string());
        }
        q
    }
}

/// True when `a` and `b` differ by exactly one inserted, deleted or replaced char.
fn one_edit_apart(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => a.iter().zip(b).filter(|(x, y)| x != y).count() == 1,
        1 => {
            let i = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[i..] == long[i + 1..]
        }
        _ => false,
    }
}

/// How the name matched.
#[derive(Debug, Clone, PartialEq)]
enum NameHow {
    Exact,
    /// Written without diacritics.
    Ascii,
    /// One letter off.
    Repaired,
    /// No name given: taken from the host's first label.
    Host(String),
}

struct Step {
    /// `the province Thái Nguyên`
    what: String,
    left: usize,
}

fn list_places(units: &[&Unit], with_names: bool) -> String {
    const SHOWN: usize = 6;
    let mut seen = Vec::new();
    for u in units {
        let s = if with_names { u.label() } else { u.place() };
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    let n = seen.len();
    let mut out = seen.into_iter().take(SHOWN).collect::<Vec<_>>().join("; ");
    if n > SHOWN {
        let _ = write!(out, "; and {} more", n - SHOWN);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Gazetteer {
    /// Reads the bundled file (or any file in its format) and builds the indexes.
    pub fn load(path: impl AsRef<Path>) -> Result<Gazetteer, String> {
        let path = path.as_ref();
        let packed =
            std::fs::read(path).map_err(|e| format!("cannot read the gazetteer {}: {e}", path.display()))?;
        let raw = zstd::stream::decode_all(packed.as_slice())
            .map_err(|e| format!("the gazetteer {} is not valid zstd: {e}", path.display()))?;
        let text = String::from_utf8(raw)
            .map_err(|e| format!("the gazetteer {} is not UTF-8: {e}", path.display()))?;
        Gazetteer::from_tsv(&text).map_err(|e| format!("the gazetteer {}: {e}", path.display()))
    }

    /// Builds a gazetteer from the decompressed text.
    pub fn from_tsv(text: &str) -> Result<Gazetteer, String> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().ok_or("it is empty")?.split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let need = |name: &str| col(name).ok_or_else(|| format!("it has no column {name}"));
        let c_code = need("code")?;
        let c_era = need("era")?;
        let c_type = need("unit_type")?;
        let c_name = need("unit_name")?;
        let c_dtype = need("district_type")?;
        let c_dname = need("district_name")?;
        let c_pname = need("province_name")?;
        let c_pcode = need("province_code")?;
        let c_ptype = col("province_type");
        let c_lat = col("lat");
        let c_lon = col("lon");
        let c_new_code = col("new_code");
        let c_new_name = col("new_name");
        let c_new_also = col("new_also");

        let mut units = Vec::with_capacity(14_000);
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != header.len() {
                return Err(format!(
                    "line {} has {} fields, not {}",
                    i + 2,
                    f.len(),
                    header.len()
                ));
            }
            let get = |c: Option<usize>| c.map(|c| f[c]).unwrap_or("");
            let opt = |c: Option<usize>| Some(get(c)).filter(|s| !s.is_empty()).map(str::to_string);
            let num = |c: Option<usize>| get(c).parse::<f64>().ok();
            let era = match f[c_era] {
                "old" => Era::Old,
                "new" => Era::New,
                other => return Err(format!("line {}: era \"{other}\"", i + 2)),
            };
            units.push(Unit {
                code: f[c_code].to_string(),
                era,
                unit_type: f[c_type].to_string(),
                unit_name: f[c_name].to_string(),
                district_type: f[c_dtype].to_string(),
                district_name: f[c_dname].to_string(),
                province_name: f[c_pname].to_string(),
                province_code: f[c_pcode].to_string(),
                province_type: get(c_ptype).to_string(),
                lat: num(c_lat),
                lon: num(c_lon),
                new_code: opt(c_new_code),
                new_name: opt(c_new_name),
                new_also: get(c_new_also)
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
        Ok(Gazetteer::index(units))
    }

    fn index(units: Vec<Unit>) -> Gazetteer {
        let mut by_code = HashMap::with_capacity(units.len());
        for (i, u) in units.iter().enumerate() {
            by_code.insert((u.era, u.code.clone()), i);
        }

        // Districts and provinces, interned: the rows of one district are adjacent, so the
        // last one found is tried before the table.
        let mut places: Vec<Place> = Vec::new();
        let mut place_ids: HashMap<(Level, String, String), u32> = HashMap::new();
        let mut intern = |level: Level, kind: &str, name: &str, last: &mut Option<(u32, usize)>, i: usize| {
            if let Some((id, j)) = *last {
                let p: &Unit = &units[j];
                let same = match level {
                    Level::District => p.district_type == kind && p.district_name == name,
                    Level::Province => p.province_type == kind && p.province_name == name,
                };
                if same {
                    *last = Some((id, i));
                    return id;
                }
            }
            let id =
                *place_ids
                    .entry((level, kind.to_string(), name.to_string()))
                    .or_insert_with(|| {
                        let ascii = fold_ascii(name);
                        let mut host_forms = vec![ascii.clone()];
                        match level {
                            Level::District => host_forms
                                .extend(type_prefixes_ascii(kind).iter().map(|p| format!("{p}{ascii}"))),
                            Level::Province => host_forms
                                .extend(province_aliases_ascii(&ascii).iter().map(|s| s.to_string())),
                        }
                        places.push(Place {
                            level,
                            kind: kind.to_string(),
                            key: data_key(name),
                            ascii,
                            host_forms,
                        });
                        (places.len() - 1) as u32
                    });
            *last = Some((id, i));
            id
        };
        let mut keys: Vec<UnitKeys> = Vec::with_capacity(units.len());
        let (mut last_district, mut last_province) = (None, None);
        for (i, u) in units.iter().enumerate() {
            let mut unit_places = Vec::with_capacity(2);
            if !u.district_name.is_empty() {
                unit_places.push(intern(
                    Level::District,
                    &u.district_type,
                    &u.district_name,
                    &mut last_district,
                    i,
                ));
            }
            unit_places.push(intern(
                Level::Province,
                &u.province_type,
                &u.province_name,
                &mut last_province,
                i,
            ));
            let ascii = fold_ascii(&u.unit_name);
            let mut ascii_unit = Vec::with_capacity(3);
            for p in type_prefixes_ascii(&u.unit_type) {
                ascii_unit.push(format!("{p}{ascii}"));
            }
            ascii_unit.push(ascii);
            keys.push(UnitKeys {
                name: data_key(&u.unit_name),
                places: unit_places,
                ascii_unit,
            });
        }
        let known_places: HashSet<String> = places
            .iter()
            .flat_map(|p| [p.key.clone(), p.ascii.clone()])
            .collect();

        // A new unit also lies in the districts and provinces of the old units it took.
        for (i, u) in units.iter().enumerate() {
            if u.era != Era::Old {
                continue;
            }
            for code in u.new_code.iter().chain(&u.new_also) {
                if let Some(&j) = by_code.get(&(Era::New, code.clone())) {
                    for k in 0..keys[i].places.len() {
                        let p = keys[i].places[k];
                        if !keys[j].places.contains(&p) {
                            keys[j].places.push(p);
                        }
                    }
                }
            }
        }

        let mut by_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(units.len());
        let mut by_ascii_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(units.len());
        let mut by_ascii_label: HashMap<String, Vec<usize>> = HashMap::with_capacity(3 * units.len());
        let mut name_keys: [Vec<(String, Vec<char>)>; 2] = [Vec::new(), Vec::new()];
        for (i, (u, k)) in units.iter().zip(&keys).enumerate() {
            let entry = by_name.entry(k.name.clone()).or_default();
            if !entry.iter().any(|&j| units[j].era == u.era) {
                name_keys[era_index(u.era)].push((k.name.clone(), k.name.chars().collect()));
            }
            entry.push(i);
            for (n, form) in k.ascii_unit.iter().enumerate() {
                by_ascii_label.entry(form.clone()).or_default().push(i);
                if n + 1 == k.ascii_unit.len() {
                    by_ascii_name.entry(form.clone()).or_default().push(i);
                }
            }
        }
        Gazetteer {
            units,
            keys,
            places,
            by_code,
            by_name,
            by_ascii_name,
            by_ascii_label,
            name_keys,
            known_places,
        }
    }

    /// Every unit, old era first, by code.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit with that code in that era.
    pub fn unit(&self, era: Era, code: &str) -> Option<&Unit> {
        self.by_code
            .get(&(era, code.to_string()))
            .map(|&i| &self.units[i])
    }

    /// The post-2025 unit an old unit went into.
    pub fn successor(&self, unit: &Unit) -> Option<&Unit> {
        unit.new_code.as_deref().and_then(|c| self.unit(Era::New, c))
    }

    /// Resolves a meeting's unit from what the page offers; see the module docs.
    pub fn resolve(&self, hints: &UnitHints) -> Resolution {
        let q = Query::new(hints);
        if q.name_key.is_none() && q.host_labels.is_empty() {
            return Resolution {
                why: "The page names no unit and has no URL host to read one from.".to_string(),
                ..Resolution::default()
            };
        }
        let reorg = reorganisation_date();
        let eras: &[Era] = match q.date {
            Some(d) if d < reorg => &[Era::Old],
            Some(_) => &[Era::New, Era::Old],
            None => &[Era::Old, Era::New],
        };
        let mut failure: Option<Resolution> = None;
        for repair in [false, true] {
            let mut any = false;
            for (n, &era) in eras.iter().enumerate() {
                let Some((ids, how)) = self.name_matches(&q, era, repair) else {
                    continue;
                };
                any = true;
                let out = self.narrow(&q, era, n > 0, ids, how);
                if out.candidates > 0 {
                    return out;
                }
                failure.get_or_insert(out);
            }
            if any {
                break;
            }
        }
        failure.unwrap_or_else(|| self.not_found(&q, eras))
    }

    fn not_found(&self, q: &Query, eras: &[Era]) -> Resolution {
        let lists = if eras.len() == 1 {
            "in the pre-2025 list (the date is before 2025-07-01)".to_string()
        } else {
            "in either list, before or after 2025-07-01".to_string()
        };
        let what = match (&q.name, &q.host) {
            (Some(n), _) => format!(
                "No unit named {n}{} {lists}, nor one a single letter away.",
                q.unit_type.map(|t| format!(" ({t})")).unwrap_or_default()
            ),
            (None, Some(h)) => match q.host_labels.first() {
                Some(l) if self.known_places.contains(l) => format!(
                    "The page names no unit, and its URL host {h} begins with the name of a district or \
                     province (\"{l}\"), not of a unit."
                ),
                _ => format!("The page names no unit, and its URL host {h} names none {lists}."),
            },
            (None, None) => "The page names no unit.".to_string(),
        };
        Resolution {
            why: what,
            ..Resolution::default()
        }
    }

    fn name_matches(&self, q: &Query, era: Era, repair: bool) -> Option<(Vec<usize>, NameHow)> {
        let in_era = |ids: &[usize]| -> Vec<usize> {
            ids.iter()
                .copied()
                .filter(|&i| self.units[i].era == era)
                .collect()
        };
        let found = |ids: Vec<usize>, how| Some((ids, how)).filter(|(ids, _)| !ids.is_empty());
        if let Some(key) = &q.name_key {
            if !repair {
                if let Some(ids) = self.by_name.get(key) {
                    return found(in_era(ids), NameHow::Exact);
                }
                if let Some(a) = &q.name_ascii {
                    return found(
                        in_era(self.by_ascii_name.get(a).map_or(&[][..], |v| v)),
                        NameHow::Ascii,
                    );
                }
                return None;
            }
            let chars: Vec<char> = key.chars().collect();
            let letters = chars.iter().filter(|c| crate::vntext::is_letter(**c)).count();
            if letters < 4 || chars.iter().any(|c| c.is_ascii_digit()) {
                return None;
            }
            let mut ids = Vec::new();
            for (k, kc) in &self.name_keys[era_index(era)] {
                if one_edit_apart(&chars, kc) {
                    ids.extend(in_era(&self.by_name[k]));
                }
            }
            return found(ids, NameHow::Repaired);
        }
        if repair {
            return None;
        }
        // No name: the host's first label names the unit (`phucla` of phucla.hadong.hanoi.gov.vn),
        // unless it is a district's or province's name (`backan.gov.vn` is the province's portal).
        let label = q.host_labels.first()?;
        if self.known_places.contains(label) {
            return None;
        }
        let ids = self.by_ascii_label.get(label).map_or(Vec::new(), |v| in_era(v));
        found(ids, NameHow::Host(label.clone()))
    }

    /// Whether the unit lies in the place. With `strict_kind`, a type word given with the
    /// place (`thị xã An Khê`) must be the place's own.
    fn place_fits(&self, i: usize, hint: &PlaceHint, as_city: bool, strict_kind: bool) -> bool {
        self.keys[i].places.iter().any(|&p| {
            let p = &self.places[p as usize];
            let same = p.key == hint.key || hint.ascii.as_ref().is_some_and(|a| *a == p.ascii);
            if !same {
                return false;
            }
            match (p.level, hint.kind) {
                // A province named as such is no district.
                (Level::District, Some("tỉnh")) => false,
                (Level::District, Some(k)) => as_city && (!strict_kind || p.kind == k),
                (Level::District, None) => as_city,
                // "Thành phố Hà Nội" and "tỉnh Thừa Thiên Huế" (a city since 2025) are the province;
                // "thị xã Hà Nội" is not.
                (Level::Province, Some(k)) => !strict_kind || k == "tỉnh" || k == "thành phố",
                (Level::Province, None) => true,
            }
        })
    }

    fn host_score(&self, i: usize, labels: &[String]) -> usize {
        let k = &self.keys[i];
        labels
            .iter()
            .filter(|l| {
                k.ascii_unit.contains(l)
                    || k.places
                        .iter()
                        .any(|&p| self.places[p as usize].host_forms.contains(l))
            })
            .count()
    }

    fn narrow(&self, q: &Query, era: Era, fallback: bool, ids: Vec<usize>, how: NameHow) -> Resolution {
        let mut cands = ids;
        cands.sort_unstable();
        cands.dedup();
        let units = |c: &[usize]| -> Vec<&Unit> { c.iter().map(|&i| &self.units[i]).collect() };
        let distinct_names = |c: &[usize]| -> usize {
            let mut v: Vec<&str> = c.iter().map(|&i| self.keys[i].name.as_str()).collect();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        let era_text = match (era, q.date, fallback) {
            (Era::Old, Some(d), false) => format!("a pre-2025 unit (the date {d} is before 2025-07-01)"),
            (Era::Old, Some(d), true) => format!(
                "a pre-2025 unit (the date {d} is after 2025-07-01, but no post-2025 unit fits, so the \
                 old list was used)"
            ),
            (Era::Old, None, _) => "a pre-2025 unit (no date: the old list is tried first)".to_string(),
            (Era::New, Some(d), _) => format!("a post-2025 unit (the date {d} is from 2025-07-01 on)"),
            (Era::New, None, _) => "a post-2025 unit (no date, and no pre-2025 unit fits)".to_string(),
        };
        let list_name = match era {
            Era::Old => "pre-2025",
            Era::New => "post-2025",
        };
        let type_text = q.unit_type.map(|t| format!(" ({t})")).unwrap_or_default();
        let name_text = match &how {
            NameHow::Exact => format!("named {}{type_text}", q.name.as_deref().unwrap_or("")),
            NameHow::Ascii => {
                format!(
                    "named {}{type_text} (written without diacritics)",
                    q.name.as_deref().unwrap_or("")
                )
            }
            NameHow::Repaired => {
                format!(
                    "a letter away from \"{}\"{type_text}",
                    q.name.as_deref().unwrap_or("")
                )
            }
            NameHow::Host(label) => format!(
                "named \"{label}\" by the URL host {}{type_text}",
                q.host.as_deref().unwrap_or("")
            ),
        };
        let mut steps: Vec<Step> = Vec::new();
        let mut notes: Vec<String> = q.ignored.clone();
        let fail = |why: String| Resolution {
            why,
            ..Resolution::default()
        };

        // Unit type: a hard filter.
        if let Some(t) = q.unit_type {
            let kept: Vec<usize> = cands
                .iter()
                .copied()
                .filter(|&i| self.units[i].unit_type == t)
                .collect();
            if kept.is_empty() {
                let others = units(&cands);
                return fail(format!(
                    "No {list_name} {t} {}; there is {}.",
                    name_text.trim_end_matches(&type_text),
                    list_places(&others, true)
                ));
            }
            cands = kept;
        }
        let before_hints = cands.len();
        let intro = format!(
            "{} {}",
            plural(
                cands.len(),
                &format!("{list_name} unit"),
                &format!("{list_name} units")
            ),
            name_text
        );

        // Province, then city: hard filters when the gazetteer knows the place.
        for (hint, as_city, what) in [(&q.province, false, "province"), (&q.city, true, "city")] {
            let Some(hint) = hint else { continue };
            let known = self.known_places.contains(&hint.key)
                || hint.ascii.as_ref().is_some_and(|a| self.known_places.contains(a));
            if !known {
                notes.push(format!(
                    "the {what} \"{}\" is no district or province the gazetteer knows",
                    hint.text
                ));
                continue;
            }
            let fits = |strict: bool| -> Vec<usize> {
                cands
                    .iter()
                    .copied()
                    .filter(|&i| self.place_fits(i, hint, as_city, strict))
                    .collect()
            };
            let mut kept = fits(true);
            if kept.is_empty() {
                // The name fits but not the type word given with it: the name decides.
                kept = fits(false);
                if !kept.is_empty() {
                    notes.push(format!(
                        "the {what} {} was matched by its name, not its type word",
                        hint.text
                    ));
                }
            }
            if kept.is_empty() {
                return fail(format!(
                    "{intro}, but none in the {what} {}: {} {}.",
                    hint.text,
                    if cands.len() == 1 {
                        "it is in"
                    } else {
                        "they are in"
                    },
                    list_places(&units(&cands), distinct_names(&cands) > 1)
                ));
            }
            if kept.len() < cands.len() {
                steps.push(Step {
                    what: format!("the {what} {}", hint.text),
                    left: kept.len(),
                });
            }
            cands = kept;
        }

        // Committee level: a soft filter (a page may name other committees too).
        if let Some(c) = q.committee {
            if cands.len() > 1 {
                let applies: Vec<Option<bool>> = cands.iter().map(|&i| c.fits(&self.units[i])).collect();
                if applies.iter().all(Option::is_some) {
                    let kept: Vec<usize> = cands
                        .iter()
                        .zip(&applies)
                        .filter(|(_, a)| **a == Some(true))
                        .map(|(&i, _)| i)
                        .collect();
                    if kept.is_empty() {
                        notes.push(format!("{} fits none of them and was not used", c.label()));
                    } else if kept.len() < cands.len() {
                        steps.push(Step {
                            what: c.label().to_string(),
                            left: kept.len(),
                        });
                        cands = kept;
                    }
                }
            }
        }

        // URL host: keep the units whose names, district and province explain the most labels.
        if cands.len() > 1 && !q.host_labels.is_empty() {
            let scores: Vec<usize> = cands
                .iter()
                .map(|&i| self.host_score(i, &q.host_labels))
                .collect();
            let best = scores.iter().copied().max().unwrap_or(0);
            if best > 0 {
                let kept: Vec<usize> = cands
                    .iter()
                    .zip(&scores)
                    .filter(|(_, s)| **s == best)
                    .map(|(&i, _)| i)
                    .collect();
                if kept.len() < cands.len() {
                    steps.push(Step {
                        what: format!("the URL host {}", q.host.as_deref().unwrap_or("")),
                        left: kept.len(),
                    });
                    cands = kept;
                }
            }
        }

        let mut why = intro.clone();
        if !steps.is_empty() {
            why.push_str("; ");
            why.push_str(
                &steps
                    .iter()
                    .map(|s| format!("{} leaves {}", s.what, s.left))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        let notes_text = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };

        if cands.len() == 1 {
            let i = cands[0];
            let u = &self.units[i];
            let mut why = format!(
                "Resolved to {}, code {}, {era_text}: {why}{notes_text}.",
                u.label(),
                u.code
            );
            if how == NameHow::Repaired {
                let _ = write!(
                    why,
                    " The name was read as {} (the page has \"{}\").",
                    u.unit_name,
                    q.name.as_deref().unwrap_or("")
                );
            }
            if let (Some(code), Some(name)) = (&u.new_code, &u.new_name) {
                let _ = write!(why, " Since 2025-07-01 it is part of {name} ({code})");
                if !u.new_also.is_empty() {
                    let _ = write!(why, "; parts went to {}", self.describe_codes(&u.new_also));
                }
                why.push('.');
            }
            return Resolution {
                admin_code: Some(u.code.clone()),
                unit_name: Some(u.unit_name.clone()),
                city: Some(u.district_name.clone()).filter(|s| !s.is_empty()),
                province: Some(u.province_name.clone()),
                successor_code: u.new_code.clone(),
                successor_name: u.new_name.clone(),
                candidates: 1,
                era: Some(u.era),
                why,
            };
        }

        let left = units(&cands);
        let several_names = distinct_names(&cands) > 1;
        let mut why = format!(
            "{why}: {}{}",
            if several_names { "" } else { "in " },
            list_places(&left, several_names)
        );
        let given: Vec<&str> = [
            q.city.as_ref().map(|_| "city"),
            q.province.as_ref().map(|_| "province"),
            q.committee.map(|_| "committee"),
            q.host.as_ref().map(|_| "URL host"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if several_names && how == NameHow::Repaired {
            why.push_str("; the name is a letter away from several units, so none is taken");
        }
        if given.is_empty() {
            why.push_str("; the page names no city or province to tell them apart");
        } else if cands.len() == before_hints {
            let _ = write!(
                why,
                "; the page's hints ({}) do not tell them apart",
                given.join(", ")
            );
        } else {
            why.push_str("; nothing else on the page tells them apart");
        }
        let _ = write!(why, "{notes_text}.");
        Resolution {
            candidates: cands.len(),
            why,
            ..Resolution::default()
        }
    }

    fn describe_codes(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| match self.unit(Era::New, c) {
                Some(u) => format!("{} {} ({c})", u.unit_type, u.unit_name),
                None => c.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;
    use unicode_normalization::UnicodeNormalization;

    fn gaz() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BUNDLED_PATH);
            Gazetteer::load(&path).expect("the bundled gazetteer loads")
        })
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn loads_both_eras() {
        let g = gaz();
        let old = g.units().iter().filter(|u| u.era == Era::Old).count();
        let new = g.units().iter().filter(|u| u.era == Era::New).count();
        assert!(old > 10_000, "{old} old units");
        assert_eq!(new, 3321);
        let u = g.unit(Era::Old, "09553").expect("Phúc La");
        assert_eq!(
            (u.unit_type.as_str(), u.unit_name.as_str()),
            ("phường", "Phúc La")
        );
        assert_eq!(
            (u.district_type.as_str(), u.district_name.as_str()),
            ("quận", "Hà Đông")
        );
        assert_eq!(u.province_name, "Hà Nội");
        assert!(u.lat.is_some() && u.lon.is_some());
        assert_eq!(g.successor(u).map(|s| s.unit_name.as_str()), Some("Hà Đông"));
        // NFC with the contract's tone placement: "Hòa", not "Hoà".
        for u in g.units() {
            for name in [&u.unit_name, &u.district_name, &u.province_name] {
                assert_eq!(&crate::vntext::normalize_text(name), name);
            }
        }
        assert!(g.units().iter().any(|u| u.unit_name == "Nhất Hòa"));
    }

    #[test]
    fn host_alone_resolves_phuc_la() {
        let r = gaz().resolve(&UnitHints {
            url_host: s("phucla.hadong.hanoi.gov.vn"),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09553"), "{}", r.why);
        assert_eq!(r.unit_name.as_deref(), Some("Phúc La"));
        assert_eq!(r.city.as_deref(), Some("Hà Đông"));
        assert_eq!(r.province.as_deref(), Some("Hà Nội"));
        assert_eq!(r.successor_code.as_deref(), Some("09556"));
        assert_eq!(r.successor_name.as_deref(), Some("phường Hà Đông"));
        assert_eq!(r.candidates, 1);
        assert!(r.why.contains("phucla.hadong.hanoi.gov.vn"), "{}", r.why);
        // A post-2025 date: no new unit is named Phúc La, so the old one is still found.
        let r = gaz().resolve(&UnitHints {
            url_host: s("https://phucla.hadong.hanoi.gov.vn/tin-tuc"),
            date: date(2025, 9, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09553"), "{}", r.why);
    }

    #[test]
    fn common_name_needs_a_province() {
        let g = gaz();
        let bare = UnitHints {
            unit_type: s("phường"),
            unit_name: s("Tân Lập"),
            date: date(2022, 1, 11),
            ..Default::default()
        };
        let r = g.resolve(&bare);
        assert_eq!(r.admin_code, None);
        assert_eq!(r.candidates, 2, "{}", r.why);
        assert!(
            r.why.contains("Thái Nguyên") && r.why.contains("Đắk Lắk"),
            "{}",
            r.why
        );
        assert!(r.why.contains("names no city or province"), "{}", r.why);

        let r = g.resolve(&UnitHints {
            province: s("Tỉnh Thái Nguyên"),
            ..bare.clone()
        });
        assert_eq!(r.admin_code.as_deref(), Some("05464"), "{}", r.why);
        assert_eq!(r.city.as_deref(), Some("Thái Nguyên"));
        assert_eq!(r.province.as_deref(), Some("Thái Nguyên"));

        let r = g.resolve(&UnitHints {
            city: s("Thành phố Thái Nguyên"),
            ..bare.clone()
        });
        assert_eq!(r.admin_code.as_deref(), Some("05464"), "{}", r.why);

        // Without the type, xã Tân Lập in many provinces join in.
        let r = g.resolve(&UnitHints {
            unit_type: None,
            ..bare
        });
        assert!(r.candidates > 20, "{}", r.why);
        assert!(r.why.contains("and ") && r.why.contains("more"), "{}", r.why);
    }

    #[test]
    fn one_letter_typo_resolves() {
        // Seed 004: "phường Tân Lậ", THÀNH PHỐ THÁI NGUYÊN in the footer.
        let r = gaz().resolve(&UnitHints {
            unit_type: s("phường"),
            unit_name: s("Tân Lậ"),
            city: s("Thành phố Thái Nguyên"),
            date: date(2022, 1, 11),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("05464"), "{}", r.why);
        assert_eq!(r.unit_name.as_deref(), Some("Tân Lập"));
        assert!(r.why.contains("Tân Lậ\""), "{}", r.why);
        // A wrong letter, with the district alone.
        let r = gaz().resolve(&UnitHints {
            unit_name: s("phường Phùng Chí Kiêm"),
            city: s("TP.Bắc Kạn"),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("01843"), "{}", r.why);
        // Numbers are never repaired: "Phường 55" is not "Phường 5".
        let r = gaz().resolve(&UnitHints {
            unit_name: s("Phường 55"),
            city: s("Phú Nhuận"),
            ..Default::default()
        });
        assert_eq!(r.admin_code, None, "{}", r.why);
    }

    #[test]
    fn successor_of_an_old_unit() {
        let r = gaz().resolve(&UnitHints {
            unit_type: s("phường"),
            unit_name: s("Phùng Chí Kiên"),
            city: s("TP. Bắc Kạn"),
            party_committee_level: s("Thành ủy"),
            date: date(2021, 7, 7),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("01843"), "{}", r.why);
        assert_eq!(r.province.as_deref(), Some("Bắc Kạn"));
        assert_eq!(r.successor_code.as_deref(), Some("01843"));
        assert_eq!(r.successor_name.as_deref(), Some("phường Bắc Kạn"));
        assert_eq!(r.era, Some(Era::Old));
        // A split unit names the other parts.
        let r = gaz().resolve(&UnitHints {
            unit_name: s("phường Kiến Hưng"),
            city: s("quận Hà Đông"),
            date: date(2023, 1, 5),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09565"), "{}", r.why);
        assert_eq!(r.successor_code.as_deref(), Some("09552"));
        assert!(r.why.contains("parts went to"), "{}", r.why);
    }

    #[test]
    fn the_date_picks_the_era() {
        let g = gaz();
        let hints = UnitHints {
            unit_type: s("phường"),
            unit_name: s("Đức Xuân"),
            ..Default::default()
        };
        // Before: the ward of Bắc Kạn city; after: the ward of the new Thái Nguyên.
        let r = g.resolve(&UnitHints {
            date: date(2021, 1, 22),
            ..hints.clone()
        });
        assert_eq!(r.admin_code.as_deref(), Some("01840"), "{}", r.why);
        assert_eq!(r.era, Some(Era::Old));
        assert_eq!(r.province.as_deref(), Some("Bắc Kạn"));
        let r = g.resolve(&UnitHints {
            date: date(2025, 8, 1),
            ..hints.clone()
        });
        assert_eq!(r.era, Some(Era::New), "{}", r.why);
        assert_eq!(r.province.as_deref(), Some("Thái Nguyên"));
        assert_eq!(r.city, None);
        assert_eq!(r.successor_code, None);
        // No date and a post-2025 province: the old list has it elsewhere, the new one fits.
        let r = g.resolve(&UnitHints {
            province: s("Thái Nguyên"),
            ..hints.clone()
        });
        assert_eq!(r.era, Some(Era::New), "{}", r.why);
        assert_eq!(r.admin_code.as_deref(), Some("01840"));
        // A new unit is also found by a district it took wards from.
        let r = g.resolve(&UnitHints {
            unit_name: s("phường Hà Đông"),
            city: s("Hà Đông"),
            date: date(2025, 10, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09556"), "{}", r.why);
    }

    #[test]
    fn committee_level_narrows() {
        let g = gaz();
        let hints = UnitHints {
            unit_type: s("phường"),
            unit_name: s("Tây Sơn"),
            date: date(2024, 1, 8),
            ..Default::default()
        };
        let r = g.resolve(&UnitHints {
            party_committee_level: s("Thị ủy"),
            ..hints.clone()
        });
        assert_eq!(r.admin_code.as_deref(), Some("23617"), "{}", r.why);
        assert_eq!(r.city.as_deref(), Some("An Khê"));
        let r = g.resolve(&UnitHints {
            party_committee_level: s("Thành uỷ"),
            ..hints.clone()
        });
        assert_eq!(r.admin_code, None);
        assert_eq!(r.candidates, 2, "{}", r.why);
        assert!(
            r.why.contains("Tam Điệp") && r.why.contains("Pleiku"),
            "{}",
            r.why
        );
        // A committee that fits none is not used to throw every unit away.
        let r = g.resolve(&UnitHints {
            party_committee_level: s("Quận ủy"),
            ..hints
        });
        assert_eq!(r.candidates, 3, "{}", r.why);
    }

    #[test]
    fn contradictions_are_not_resolved() {
        let r = gaz().resolve(&UnitHints {
            unit_name: s("Phúc La"),
            province: s("Đà Nẵng"),
            date: date(2022, 3, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code, None);
        assert_eq!(r.candidates, 0);
        assert!(
            r.why.contains("none in the province Đà Nẵng") && r.why.contains("Hà Đông"),
            "{}",
            r.why
        );
        // An unknown place is noted, not held against the unit.
        let r = gaz().resolve(&UnitHints {
            unit_name: s("Phúc La"),
            city: s("Atlantis"),
            date: date(2022, 3, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09553"), "{}", r.why);
        assert!(r.why.contains("Atlantis"), "{}", r.why);
        // The wrong type.
        let r = gaz().resolve(&UnitHints {
            unit_type: s("xã"),
            unit_name: s("Phúc La"),
            date: date(2022, 3, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code, None);
        assert!(r.why.contains("phường Phúc La"), "{}", r.why);
    }

    #[test]
    fn host_narrows_a_named_unit() {
        let r = gaz().resolve(&UnitHints {
            unit_type: s("phường"),
            unit_name: s("Tân Lập"),
            url_host: s("tanlap.thainguyen.gov.vn"),
            date: date(2022, 1, 11),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("05464"), "{}", r.why);
        // A host that names nothing changes nothing.
        let r = gaz().resolve(&UnitHints {
            unit_type: s("phường"),
            unit_name: s("Tân Lập"),
            url_host: s("baomoi.com"),
            date: date(2022, 1, 11),
            ..Default::default()
        });
        assert_eq!(r.candidates, 2, "{}", r.why);
        assert!(r.why.contains("do not tell them apart"), "{}", r.why);
    }

    #[test]
    fn spelling_variants_match() {
        let g = gaz();
        // Tone placement, case, NFD, leading zeros.
        let nfd: String = "Nhất Hoà".nfd().collect();
        let r = g.resolve(&UnitHints {
            unit_name: Some(nfd),
            province: s("Lạng Sơn"),
            ..Default::default()
        });
        assert_eq!(r.unit_name.as_deref(), Some("Nhất Hòa"), "{}", r.why);
        let r = g.resolve(&UnitHints {
            unit_name: s("PHƯỜNG 05"),
            city: s("quận Phú Nhuận"),
            date: date(2023, 5, 1),
            ..Default::default()
        });
        assert_eq!(r.unit_name.as_deref(), Some("5"), "{}", r.why);
        assert_eq!(r.city.as_deref(), Some("Phú Nhuận"));
        // Written without diacritics.
        let r = g.resolve(&UnitHints {
            unit_name: s("Phuc La"),
            province: s("Ha Noi"),
            date: date(2022, 3, 1),
            ..Default::default()
        });
        assert_eq!(r.admin_code.as_deref(), Some("09553"), "{}", r.why);
        assert_eq!(r.unit_name.as_deref(), Some("Phúc La"));
    }

    #[test]
    fn nothing_to_go_on() {
        let r = gaz().resolve(&UnitHints::default());
        assert_eq!(r.admin_code, None);
        assert!(r.why.contains("names no unit"), "{}", r.why);
        let r = gaz().resolve(&UnitHints {
            unit_name: s("Xyzabc"),
            ..Default::default()
        });
        assert_eq!(r.candidates, 0);
        assert!(r.why.starts_with("No unit named Xyzabc"), "{}", r.why);
        // A province's portal names no unit, though a post-2025 ward is called Bắc Kạn.
        let r = gaz().resolve(&UnitHints {
            url_host: s("backan.gov.vn"),
            ..Default::default()
        });
        assert_eq!(r.admin_code, None, "{}", r.why);
        assert!(r.why.contains("district or province"), "{}", r.why);
    }

    #[test]
    fn helpers() {
        assert_eq!(fold_ascii("Phúc La"), "phucla");
        assert_eq!(fold_ascii("Đà Nẵng"), "danang");
        assert_eq!(fold_ascii("Bà Rịa - Vũng Tàu"), "bariavungtau");
        assert_eq!(name_key("Phường  05"), "phường 5");
        assert_eq!(name_key("Thuỷ"), "thủy");
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert!(one_edit_apart(&c("tân lậ"), &c("tân lập")));
        assert!(one_edit_apart(&c("tân lập"), &c("tân lạp")));
        assert!(!one_edit_apart(&c("tân lập"), &c("tân lập")));
        assert!(!one_edit_apart(&c("tân l"), &c("tân lập")));
        assert_eq!(
            host_labels("https://www.PhucLa.hadong.hanoi.gov.vn:443/a"),
            ["phucla", "hadong", "hanoi"]
        );
        let p = place_hint("TP.HCM").unwrap();
        assert_eq!((p.key.as_str(), p.kind), ("hồ chí minh", Some("thành phố")));
    }
}
