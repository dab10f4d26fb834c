//! Stage 4, aggregate: person ids across pages, then the roll-ups `people`,
//! `co_attendance` and `unit_year_metrics`. Documents arrive one at a time in
//! source order and feed running accumulators; past a memory budget those are
//! spilled to disk as sorted runs and merged at the end ([`crate::spill`]), so
//! memory does not grow with the number of pages.
//!
//! Ties between rows of the same meeting date are broken by where the row is
//! (the document's position in the run, then its character offset), so the
//! results never depend on the thread count.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::model::{stable_id, Award, DocumentRow, Extraction, Figure, MeetingRow, PersonMention};
use crate::spill::{Codec, DecodeError, Decoder, Encoder, Merge, Record};
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
///
/// What is learned is a list of (name hash, province) pairs, not a map: a
/// name is needed again only if a waiting page carries it, so the pairs are
/// sorted and folded a bounded batch at a time, and with a spill folder the
/// batches go to disk as sorted runs. Only when the first waiting page asks
/// are the runs merged into one file of fixed-size records, searched through
/// a sparse index; a run with no waiting page never merges them. With a spill
/// folder, memory stays the same whatever the number of names (the batch, up
/// to twice its size as a Vec grows, and an 8-byte index entry per 512 names);
/// without one (`hoinghi aggregate`, tests) the folded names stay in memory.
#[derive(Debug)]
pub struct PersonIds {
    /// Names learned since the last fold, unsorted after `folded` of them.
    learned: Vec<NameProvince>,
    /// How many of `learned`, from the start, are sorted and folded.
    folded: usize,
    /// Names `learned` may hold before it is folded (and, with a spill folder,
    /// written out as a run).
    batch: usize,
    /// The spill folder and the sorted runs written to it so far.
    spill: Option<NameRuns>,
    /// Everything learned, sorted, once the first waiting page asks.
    sealed: Option<NameTable>,
    /// Canonical provinces, by their number in a [`NameProvince`].
    provinces: Vec<String>,
    province_index: HashMap<String, u16>,
}

impl Default for PersonIds {
    fn default() -> Self {
        PersonIds::new(None, NAMES_IN_MEMORY)
    }
}

/// Names learned before a fold when nothing spills (the batch then doubles as
/// the folded names grow).
const NAMES_IN_MEMORY: usize = 1 << 16;

/// A name seen in more than one province.
const MANY_PROVINCES: u16 = u16::MAX;

/// A name (a 64-bit hash of its canonical form) and the province it was seen
/// in, or [`MANY_PROVINCES`]. Sixteen bytes in memory (16 in a run, 10 in the
/// merged table) where the name would take a hundred. Two names share a hash with a chance of about n²/2⁶⁵ (10⁻⁷ at three
/// million names), and the only effect would be a province-less page's name
/// left without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameProvince {
    name: u64,
    province: u16,
}

impl Codec for NameProvince {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.name);
        e.i32(i32::from(self.province));
    }
    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
        let name = d.u64()?;
        let province = u16::try_from(d.i32()?).map_err(|_| DecodeError)?;
        Ok(NameProvince { name, province })
    }
}

impl Record for NameProvince {
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.name.cmp(&other.name)
    }
    fn merge(&mut self, later: Self) {
        if later.province != self.province {
            self.province = MANY_PROVINCES;
        }
    }
}

/// Sorts names and folds the repeats of each into one.
fn fold_names(names: &mut Vec<NameProvince>) {
    names.sort_unstable_by_key(|n| n.name);
    names.dedup_by(|later, kept| {
        if later.name != kept.name {
            return false;
        }
        kept.merge(*later);
        true
    });
}

#[derive(Debug)]
struct NameRuns {
    dir: PathBuf,
    runs: Vec<PathBuf>,
    written: usize,
}

/// Every learned name, sorted and folded: in memory, or in a file of
/// [`NAME_RECORD`]-byte records with the first name of each block of
/// [`NAME_BLOCK`] records kept in memory.
#[derive(Debug)]
enum NameTable {
    Memory(Vec<NameProvince>),
    File {
        path: PathBuf,
        file: File,
        records: usize,
        block_starts: Vec<u64>,
        /// Blocks read so far, by number, up to [`CACHED_BLOCKS`]: a page's
        /// names fall in blocks far apart (they are sorted by hash), but the
        /// pages of one unit repeat names.
        cached: HashMap<usize, Vec<NameProvince>>,
    },
}

const NAME_RECORD: usize = 10;
const NAME_BLOCK: usize = 512;
/// Blocks of the name table kept in memory (8 KB each), at most.
const CACHED_BLOCKS: usize = 64;

impl NameTable {
    fn province(&mut self, name: u64) -> Result<Option<u16>> {
        let find = |names: &[NameProvince]| {
            names
                .binary_search_by_key(&name, |n| n.name)
                .ok()
                .map(|i| names[i].province)
        };
        match self {
            NameTable::Memory(names) => Ok(find(names)),
            NameTable::File {
                path,
                file,
                records,
                block_starts,
                cached,
            } => {
                let block = match block_starts.partition_point(|&first| first <= name) {
                    0 => return Ok(None),
                    i => i - 1,
                };
                if !cached.contains_key(&block) {
                    if cached.len() >= CACHED_BLOCKS {
                        cached.clear();
                    }
                    let start = block * NAME_BLOCK;
                    let n = NAME_BLOCK.min(*records - start);
                    let mut bytes = vec![0u8; n * NAME_RECORD];
                    file.seek(SeekFrom::Start((start * NAME_RECORD) as u64))
                        .and_then(|_| file.read_exact(&mut bytes))
                        .map_err(Error::reading(path))?;
                    let names = bytes
                        .chunks_exact(NAME_RECORD)
                        .map(|r| NameProvince {
                            name: u64::from_le_bytes(r[..8].try_into().expect("8 bytes")),
                            province: u16::from_le_bytes(r[8..].try_into().expect("2 bytes")),
                        })
                        .collect();
                    cached.insert(block, names);
                }
                Ok(cached.get(&block).and_then(|names| find(names)))
            }
        }
    }
}

fn province_of(x: &Extraction) -> Option<&str> {
    x.meeting.as_ref().and_then(|m| m.province.as_deref())
}

fn name_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same hash in every run.
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl PersonIds {
    /// Ids that fold `batch` learned names at a time, and write them as runs
    /// to `spill_dir` when there is one (it must exist; the caller removes it).
    fn new(spill_dir: Option<PathBuf>, batch: usize) -> PersonIds {
        PersonIds {
            learned: Vec::new(),
            folded: 0,
            batch: batch.max(1),
            spill: spill_dir.map(|dir| NameRuns {
                dir,
                runs: Vec::new(),
                written: 0,
            }),
            sealed: None,
            provinces: Vec::new(),
            province_index: HashMap::new(),
        }
    }

    /// True when the page's ids can only be given once every page is seen.
    pub fn must_wait(x: &Extraction) -> bool {
        province_of(x).is_none()
            && (!x.mentions.is_empty() || x.awards.iter().any(|a| a.person_name.is_some()))
    }

    /// Learns the provinces of a page's names (pages with a province only).
    /// Every page must be learned before the first waiting page's ids are
    /// asked for.
    pub fn learn(&mut self, x: &Extraction) -> Result<()> {
        match province_of(x) {
            Some(p) if !x.mentions.is_empty() => {
                self.learn_names(p, x.mentions.iter().map(|m| m.name.as_str()))
            }
            _ => Ok(()),
        }
    }

    fn learn_names<'a>(&mut self, province: &str, names: impl Iterator<Item = &'a str>) -> Result<()> {
        debug_assert!(self.sealed.is_none(), "a page learned after ids were asked");
        let p = canonical_key(province);
        let province = match self.province_index.get(&p) {
            Some(&i) => i,
            // Past u16's room (there are 63 provinces; this is text gone
            // wrong), a name counts as seen in many: it gets no province.
            None if self.provinces.len() >= MANY_PROVINCES as usize => MANY_PROVINCES,
            None => {
                let i = self.provinces.len() as u16;
                self.provinces.push(p.clone());
                self.province_index.insert(p, i);
                i
            }
        };
        for name in names {
            self.learned.push(NameProvince {
                name: name_hash(&canonical_key(name)),
                province,
            });
        }
        if self.learned.len() - self.folded >= self.batch {
            self.fold()?;
        }
        Ok(())
    }

    /// Folds what was learned since the last fold: onto the names in memory,
    /// or, with a spill folder, into a new run on disk.
    fn fold(&mut self) -> Result<()> {
        fold_names(&mut self.learned);
        match &mut self.spill {
            Some(s) => {
                spill_table(
                    &s.dir,
                    "names",
                    &mut s.runs,
                    &mut s.written,
                    self.learned.drain(..),
                )?;
                self.folded = 0;
            }
            None => {
                self.folded = self.learned.len();
                // Amortized: fold again once as many new names have come.
                self.batch = self.batch.max(self.folded);
            }
        }
        Ok(())
    }

    /// Everything learned, sorted, made the first time a waiting page asks.
    fn table(&mut self) -> Result<&mut NameTable> {
        if self.sealed.is_none() {
            let table = match &mut self.spill {
                Some(s) if !s.runs.is_empty() => {
                    let mut rest = std::mem::take(&mut self.learned);
                    fold_names(&mut rest);
                    let path = s.dir.join("names.sorted");
                    let mut merge = Merge::new(&s.runs, rest)?;
                    let (records, block_starts) = write_name_table(&path, || merge.next_record())?;
                    for old in s.runs.drain(..) {
                        std::fs::remove_file(&old).map_err(Error::writing(&old))?;
                    }
                    NameTable::File {
                        file: File::open(&path).map_err(Error::reading(&path))?,
                        path,
                        records,
                        block_starts,
                        cached: HashMap::new(),
                    }
                }
                _ => {
                    let mut names = std::mem::take(&mut self.learned);
                    fold_names(&mut names);
                    NameTable::Memory(names)
                }
            };
            self.sealed = Some(table);
        }
        Ok(self.sealed.as_mut().expect("sealed above"))
    }

    /// The single province a canonical name was seen in, if there is one.
    fn province_known(&mut self, key: &str) -> Result<Option<&str>> {
        Ok(match self.table()?.province(name_hash(key))? {
            Some(i) if i != MANY_PROVINCES => Some(&self.provinces[i as usize]),
            _ => None,
        })
    }

    fn id_for(&mut self, name: &str, province: Option<&str>) -> Result<String> {
        let key = canonical_key(name);
        let p = match province {
            Some(p) => p,
            None => self.province_known(&key)?.unwrap_or(""),
        };
        Ok(stable_id(&["person", &key, p]))
    }

    /// Sets the ids of a page's mentions and named award recipients.
    pub fn assign(&mut self, x: &mut Extraction) -> Result<()> {
        let province = province_of(x).map(canonical_key);
        let province = province.as_deref();
        for m in &mut x.mentions {
            m.person_id = self.id_for(&m.name, province)?;
        }
        for a in &mut x.awards {
            if let Some(n) = &a.person_name {
                a.person_id = Some(self.id_for(n, province)?);
            }
        }
        Ok(())
    }
}

/// Writes merged names as fixed-size records (name, then province, little
/// endian); returns how many, and the first name of each block.
fn write_name_table(
    path: &Path,
    mut next: impl FnMut() -> Result<Option<NameProvince>>,
) -> Result<(usize, Vec<u64>)> {
    let file = File::create(path).map_err(Error::writing(path))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let (mut records, mut block_starts) = (0, Vec::new());
    while let Some(n) = next()? {
        if records % NAME_BLOCK == 0 {
            block_starts.push(n.name);
        }
        records += 1;
        w.write_all(&n.name.to_le_bytes())
            .and_then(|_| w.write_all(&n.province.to_le_bytes()))
            .map_err(Error::writing(path))?;
    }
    w.flush().map_err(Error::writing(path))?;
    Ok((records, block_starts))
}

/// Sort key of a row: meeting date (unknown first), then its place in the run.
type TimeKey = (Option<NaiveDate>, u64, i64);

fn put_time(e: &mut Encoder, k: &TimeKey) {
    e.opt_date(k.0);
    e.u64(k.1);
    e.i64(k.2);
}

fn get_time(d: &mut Decoder) -> std::result::Result<TimeKey, DecodeError> {
    Ok((d.opt_date()?, d.u64()?, d.i64()?))
}

/// What the pages seen so far say of one person.
#[derive(Debug)]
struct PersonAcc {
    person_id: String,
    first: TimeKey,
    name: String,
    last: TimeKey,
    latest_titles: Vec<String>,
    n_meetings: i64,
    /// The last document counted in `n_meetings` (a page is one meeting, and
    /// all of a page's mentions are added together, so a page never counts
    /// in two runs).
    last_doc: u64,
    first_seen: Option<NaiveDate>,
    last_seen: Option<NaiveDate>,
    /// Each unit with the earliest key it was seen at.
    units: Vec<(TimeKey, String)>,
}

impl PersonAcc {
    fn into_row(mut self) -> PersonRow {
        self.units.sort_by_key(|u| u.0);
        PersonRow {
            person_id: self.person_id,
            name: self.name,
            n_meetings: self.n_meetings,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            latest_titles: self.latest_titles,
            units: self.units.into_iter().map(|(_, u)| u).collect(),
        }
    }

    fn add_unit(&mut self, key: TimeKey, unit: &str) {
        match self.units.iter_mut().find(|(_, v)| v == unit) {
            Some(seen) => seen.0 = seen.0.min(key),
            None => self.units.push((key, unit.to_string())),
        }
    }
}

impl Record for PersonAcc {
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.person_id.cmp(&other.person_id)
    }

    fn merge(&mut self, later: Self) {
        if later.first < self.first {
            self.first = later.first;
            self.name = later.name;
        }
        if later.last > self.last {
            self.last = later.last;
            self.latest_titles = later.latest_titles;
        }
        self.n_meetings += later.n_meetings;
        self.first_seen = min_date(self.first_seen, later.first_seen);
        self.last_seen = max_date(self.last_seen, later.last_seen);
        for (key, unit) in later.units {
            self.add_unit(key, &unit);
        }
    }
}

impl Codec for PersonAcc {
    fn encode(&self, e: &mut Encoder) {
        e.str(&self.person_id);
        put_time(e, &self.first);
        e.str(&self.name);
        put_time(e, &self.last);
        e.strs(&self.latest_titles);
        e.i64(self.n_meetings);
        e.opt_date(self.first_seen);
        e.opt_date(self.last_seen);
        e.u64(self.units.len() as u64);
        for (key, unit) in &self.units {
            put_time(e, key);
            e.str(unit);
        }
    }

    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
        let person_id = d.str()?;
        let first = get_time(d)?;
        let name = d.str()?;
        let last = get_time(d)?;
        let latest_titles = d.strs()?;
        let n_meetings = d.i64()?;
        let first_seen = d.opt_date()?;
        let last_seen = d.opt_date()?;
        let n = d.u64()?;
        let units = (0..n)
            .map(|_| Ok((get_time(d)?, d.str()?)))
            .collect::<std::result::Result<_, _>>()?;
        Ok(PersonAcc {
            person_id,
            first,
            name,
            last,
            latest_titles,
            n_meetings,
            last_doc: u64::MAX,
            first_seen,
            last_seen,
            units,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct PairAcc {
    n_meetings: i64,
    first_met: Option<NaiveDate>,
    last_met: Option<NaiveDate>,
}

impl Record for CoAttendanceRow {
    fn key_cmp(&self, other: &Self) -> Ordering {
        (&self.person_a, &self.person_b).cmp(&(&other.person_a, &other.person_b))
    }

    fn merge(&mut self, later: Self) {
        self.n_meetings += later.n_meetings;
        self.first_met = min_date(self.first_met, later.first_met);
        self.last_met = max_date(self.last_met, later.last_met);
    }
}

impl Codec for CoAttendanceRow {
    fn encode(&self, e: &mut Encoder) {
        e.str(&self.person_a);
        e.str(&self.person_b);
        e.i64(self.n_meetings);
        e.opt_date(self.first_met);
        e.opt_date(self.last_met);
    }

    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
        Ok(CoAttendanceRow {
            person_a: d.str()?,
            person_b: d.str()?,
            n_meetings: d.i64()?,
            first_met: d.opt_date()?,
            last_met: d.opt_date()?,
        })
    }
}

#[derive(Debug)]
struct UnitYearAcc {
    row: UnitYearRow,
    latest: TimeKey,
    last_doc: u64,
}

/// Each key's place in the sorted order of `keys`, which are distinct: the
/// roll-up sorts compare these small numbers instead of their keys.
fn ranks<K: Ord>(keys: &[K]) -> Vec<u32> {
    let mut sorted: Vec<u32> = (0..keys.len() as u32).collect();
    sorted.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut rank = vec![0u32; keys.len()];
    for (r, k) in sorted.into_iter().enumerate() {
        rank[k as usize] = r as u32;
    }
    rank
}

/// Sorts pairs of persons (by their index in `ids`) by the persons' ids, the
/// first's then the second's, comparing the ids' [`ranks`]. Ids are
/// distinct (one person per id), so the order is that of the ids.
fn sort_pairs_by_ids<T>(pairs: &mut [(u32, u32, T)], ids: &[&str]) {
    let rank = ranks(ids);
    pairs.sort_unstable_by_key(|&(a, b, _)| (rank[a as usize], rank[b as usize]));
}

/// A unit-year row's place, as it sorts: unknown parts last, as nulls do.
type PlaceKey<'a> = [(bool, Option<&'a str>); 4];

fn place_key(r: &UnitYearRow) -> PlaceKey<'_> {
    fn part(s: &Option<String>) -> (bool, Option<&str>) {
        (s.is_none(), s.as_deref())
    }
    [
        part(&r.province),
        part(&r.city),
        part(&r.unit_type),
        part(&r.unit_name),
    ]
}

/// The order of rows of the same place: by year, indicator, kind and unit.
fn unit_year_order_within_place(a: &UnitYearRow, b: &UnitYearRow) -> Ordering {
    a.year
        .cmp(&b.year)
        .then_with(|| (&a.indicator, &a.kind, &a.unit).cmp(&(&b.indicator, &b.kind, &b.unit)))
}

/// The published order of `unit_year_metrics`: by place (unknown parts
/// last, as nulls do), then within the place.
fn unit_year_order(a: &UnitYearRow, b: &UnitYearRow) -> Ordering {
    place_key(a)
        .cmp(&place_key(b))
        .then_with(|| unit_year_order_within_place(a, b))
}

/// Sorts unit-year rows in [`unit_year_order`], in place. Rows of one place
/// share its four names, and a plain sort compared them on every
/// comparison; here each distinct place is ranked once, and rows compare by
/// rank. No two rows compare equal (there is one per key of the roll-up's
/// index), so the order is the plain sort's.
fn sort_unit_years(unit_years: &mut [UnitYearAcc]) {
    // Each distinct place numbered as first seen, then ranked.
    let mut seen: FastMap<PlaceKey<'_>, u32> = FastMap::default();
    let mut places: Vec<PlaceKey<'_>> = Vec::new();
    let firsts: Vec<u32> = unit_years
        .iter()
        .map(|u| {
            *seen.entry(place_key(&u.row)).or_insert_with_key(|key| {
                places.push(*key);
                places.len() as u32 - 1
            })
        })
        .collect();
    let place_rank = ranks(&places);
    let row_rank: Vec<u32> = firsts.into_iter().map(|f| place_rank[f as usize]).collect();
    let mut order: Vec<usize> = (0..unit_years.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        row_rank[a]
            .cmp(&row_rank[b])
            .then_with(|| unit_year_order_within_place(&unit_years[a].row, &unit_years[b].row))
    });
    // The rows move to their places by swaps, not into a second list: a
    // spill sorts to free memory, and must not hold the rows twice.
    let mut place_of = vec![0usize; order.len()];
    for (to, from) in order.into_iter().enumerate() {
        place_of[from] = to;
    }
    for i in 0..place_of.len() {
        while place_of[i] != i {
            let j = place_of[i];
            unit_years.swap(i, j);
            place_of.swap(i, j);
        }
    }
}

impl Record for UnitYearAcc {
    fn key_cmp(&self, other: &Self) -> Ordering {
        unit_year_order(&self.row, &other.row)
    }

    fn merge(&mut self, later: Self) {
        if later.latest >= self.latest {
            self.latest = later.latest;
            self.row.value = later.row.value;
        }
        self.row.n_sources += later.row.n_sources;
    }
}

impl Codec for UnitYearAcc {
    fn encode(&self, e: &mut Encoder) {
        let r = &self.row;
        e.opt_str(r.province.as_deref());
        e.opt_str(r.city.as_deref());
        e.opt_str(r.unit_type.as_deref());
        e.opt_str(r.unit_name.as_deref());
        e.i32(r.year);
        e.str(&r.indicator);
        e.str(&r.kind);
        e.str(&r.unit);
        e.f64(r.value);
        e.i64(r.n_sources);
        put_time(e, &self.latest);
    }

    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
        Ok(UnitYearAcc {
            row: UnitYearRow {
                province: d.opt_str()?,
                city: d.opt_str()?,
                unit_type: d.opt_str()?,
                unit_name: d.opt_str()?,
                year: d.i32()?,
                indicator: d.str()?,
                kind: d.str()?,
                unit: d.str()?,
                value: d.f64()?,
                n_sources: d.i64()?,
            },
            latest: get_time(d)?,
            last_doc: u64::MAX,
        })
    }
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

/// Bytes of an accumulator entry beyond its strings' text: the entry, its
/// share of the hash table (which grows by doubling), allocator rounding.
/// Only used to decide when to spill. With the first guesses (240, 64, 280),
/// peak RSS over the 100,000 generated pages rose about 1.8 MB per MB of
/// budget; these are counted from the structs' sizes instead.
const PERSON_BYTES: usize = 400;
const PAIR_BYTES: usize = 64;
const UNIT_YEAR_BYTES: usize = 520;
/// A string's share beyond its text: its header and allocator rounding.
const STRING_BYTES: usize = 40;

/// The maps of the roll-ups, looked up for every person and figure of every
/// page: hashed with aHash, several times faster than the standard SipHash
/// on short keys. Arrow already builds it.
type FastMap<K, V> = HashMap<K, V, ahash::RandomState>;

/// The fields that tell unit-year rows apart: place, year, indicator, kind
/// and unit.
type UnitYearKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    i32,
    &'a str,
    &'a str,
    &'a str,
);

fn unit_year_key(r: &UnitYearRow) -> UnitYearKey<'_> {
    (
        r.province.as_deref(),
        r.city.as_deref(),
        r.unit_type.as_deref(),
        r.unit_name.as_deref(),
        r.year,
        &r.indicator,
        &r.kind,
        &r.unit,
    )
}

/// The unit-year accumulators by their [`UnitYearKey`], hashed from the
/// figure's fields when looked up and from the row's when the table grows:
/// no key string is built for each figure, nor kept for each row.
#[derive(Default)]
struct UnitYearIndex {
    table: hashbrown::HashTable<u32>,
    hasher: ahash::RandomState,
}

impl std::fmt::Debug for UnitYearIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitYearIndex")
            .field("len", &self.table.len())
            .finish()
    }
}

/// The running roll-ups of a run.
#[derive(Debug, Default)]
pub struct Rollups {
    person_index: FastMap<String, u32>,
    persons: Vec<PersonAcc>,
    pairs: FastMap<(u32, u32), PairAcc>,
    /// Each unit-year's place in `unit_years`: the accumulators sit in a
    /// Vec, so a spill sorts them in place instead of copying them out.
    unit_year_index: UnitYearIndex,
    unit_years: Vec<UnitYearAcc>,
    /// Estimated bytes held by the accumulators.
    held: usize,
}

/// The roll-ups taken out of memory: pairs and unit-years in their published
/// order; people still in the order they came, since pairs point into them.
struct SortedRollups {
    persons: Vec<PersonAcc>,
    pairs: Vec<(u32, u32, PairAcc)>,
    unit_years: Vec<UnitYearAcc>,
}

impl SortedRollups {
    /// The pairs as rows, in order, made one at a time (a spill writes them
    /// without holding a second copy of every pair with its two ids).
    fn pair_rows(&self) -> impl Iterator<Item = CoAttendanceRow> + '_ {
        self.pairs.iter().map(|(a, b, acc)| CoAttendanceRow {
            person_a: self.persons[*a as usize].person_id.clone(),
            person_b: self.persons[*b as usize].person_id.clone(),
            n_meetings: acc.n_meetings,
            first_met: acc.first_met,
            last_met: acc.last_met,
        })
    }

    /// The people in their published order.
    fn people(mut persons: Vec<PersonAcc>) -> Vec<PersonAcc> {
        persons.sort_unstable_by(|a, b| a.key_cmp(b));
        persons
    }
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
                if !p.units.iter().any(|(_, v)| v == u) {
                    self.held += u.len() + STRING_BYTES + 24;
                }
                p.add_unit(key, u);
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
                let e = self.pairs.entry((a, b)).or_insert_with(|| {
                    self.held += PAIR_BYTES;
                    PairAcc {
                        n_meetings: 0,
                        first_met: None,
                        last_met: None,
                    }
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
        self.held += PERSON_BYTES
            + 2 * m.person_id.len()
            + m.name.len()
            + m.titles.iter().map(|t| t.len() + STRING_BYTES).sum::<usize>();
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
            let key: UnitYearKey = (
                m.province.as_deref(),
                m.city.as_deref(),
                m.unit_type.as_deref(),
                m.unit_name.as_deref(),
                year,
                &f.indicator,
                f.kind,
                &f.unit,
            );
            let at = (m.meeting_date, seq, f.char_start);
            let UnitYearIndex { table, hasher } = &mut self.unit_year_index;
            let hash = hasher.hash_one(key);
            let years = &self.unit_years;
            let found = table.find(hash, |&i| unit_year_key(&years[i as usize].row) == key);
            let i = match found {
                Some(&i) => i as usize,
                None => {
                    let text: usize = [key.0, key.1, key.2, key.3]
                        .iter()
                        .flatten()
                        .map(|p| p.len())
                        .sum::<usize>()
                        + key.5.len()
                        + key.6.len()
                        + key.7.len();
                    self.held += UNIT_YEAR_BYTES + text;
                    table.insert_unique(hash, years.len() as u32, |&j| {
                        hasher.hash_one(unit_year_key(&years[j as usize].row))
                    });
                    self.unit_years.push(UnitYearAcc {
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
                    self.unit_years.len() - 1
                }
            };
            let acc = &mut self.unit_years[i];
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

    /// Estimated bytes held.
    fn held(&self) -> usize {
        self.held
    }

    /// Empties the accumulators into records, each table's in its published
    /// order.
    fn take_sorted(&mut self) -> SortedRollups {
        let Rollups {
            person_index,
            persons,
            pairs,
            unit_year_index,
            mut unit_years,
            ..
        } = std::mem::take(self);
        // The indexes go first, so what they held is free for the sorts.
        drop((person_index, unit_year_index));
        let mut pairs: Vec<(u32, u32, PairAcc)> =
            pairs.into_iter().map(|((a, b), acc)| (a, b, acc)).collect();
        sort_pairs_by_ids(
            &mut pairs,
            &persons.iter().map(|p| p.person_id.as_str()).collect::<Vec<_>>(),
        );
        sort_unit_years(&mut unit_years);
        SortedRollups {
            persons,
            pairs,
            unit_years,
        }
    }
}

/// Where an aggregator spills: a folder of its own, and the memory the
/// roll-ups may hold before they go there.
#[derive(Debug)]
pub struct SpillTo {
    pub dir: PathBuf,
    pub budget_bytes: usize,
}

/// The sorted runs spilled so far, one file per roll-up table each.
#[derive(Debug, Default)]
struct Runs {
    people: Vec<PathBuf>,
    pairs: Vec<PathBuf>,
    unit_years: Vec<PathBuf>,
    /// Run files written so far (names them).
    written: usize,
    /// Times the roll-ups were spilled.
    spills: usize,
}

/// Runs of a table merged at once, at most.
const MAX_RUNS: usize = 64;

/// Writes a table's sorted records as a new run; merges the table's runs into
/// one when there are [`MAX_RUNS`] of them.
fn spill_table<R: Record>(
    dir: &std::path::Path,
    table: &str,
    runs: &mut Vec<PathBuf>,
    written: &mut usize,
    records: impl IntoIterator<Item = R>,
) -> Result<()> {
    let mut next_path = || {
        *written += 1;
        dir.join(format!("{table}-{written:06}.run"))
    };
    let path = next_path();
    crate::spill::write_run(&path, records)?;
    runs.push(path);
    if runs.len() >= MAX_RUNS {
        let path = next_path();
        let mut merge = Merge::<R>::new(runs, Vec::new())?;
        crate::spill::write_run_from(&path, || merge.next_record())?;
        for old in runs.drain(..) {
            std::fs::remove_file(&old).map_err(Error::writing(&old))?;
        }
        runs.push(path);
    }
    Ok(())
}

/// Pages waiting for their person ids: in memory, or in a file of the spill
/// folder (`[seq, extraction]` JSON lines, as the state stores them).
#[derive(Debug)]
enum Waiting {
    Memory(Vec<(u64, Extraction)>),
    /// Framed postcard records of `(seq, page)`: JSON took a few per cent of
    /// a run whose pages mostly name no province, to write and read again.
    File {
        path: PathBuf,
        writer: BufWriter<File>,
        record: Vec<u8>,
    },
}

/// Rows per batch handed to `emit` by [`Aggregator::finish`]: one Parquet row
/// group.
pub const BATCH_ROWS: usize = crate::publish::ROW_GROUP_ROWS;

/// The aggregate stage over a stream of pages, in the run's order: each page
/// gets its person ids and feeds the roll-ups. A page whose ids can be given
/// at once comes back from [`Aggregator::add`] ready to publish; a page
/// without a province waits, and its rows come with the roll-ups from
/// [`Aggregator::finish`].
///
/// With a spill folder ([`Aggregator::spilling`]), memory stays bounded
/// whatever the number of pages: waiting pages go to a file, and when the
/// roll-ups' accumulators pass the budget they are written out as sorted runs,
/// merged at the end as the tables are written.
#[derive(Debug)]
pub struct Aggregator {
    ids: PersonIds,
    rollups: Rollups,
    waiting: Waiting,
    /// Pages seen so far: the next page's place in the run.
    seen: u64,
    spill: Option<SpillTo>,
    runs: Runs,
}

impl Default for Aggregator {
    fn default() -> Self {
        Aggregator {
            ids: PersonIds::default(),
            rollups: Rollups::default(),
            waiting: Waiting::Memory(Vec::new()),
            seen: 0,
            spill: None,
            runs: Runs::default(),
        }
    }
}

impl Aggregator {
    /// An aggregator that holds at most about `budget_bytes` of roll-ups in
    /// memory and spills the rest, and waiting pages, to `dir` (which it
    /// creates; the caller removes it).
    pub fn spilling(spill: SpillTo) -> Result<Aggregator> {
        std::fs::create_dir_all(&spill.dir).map_err(Error::writing(&spill.dir))?;
        let path = spill.dir.join("waiting.bin");
        let file = File::create(&path).map_err(Error::writing(&path))?;
        Ok(Aggregator {
            // The names' batch takes a 64th of the roll-ups' budget.
            ids: PersonIds::new(
                Some(spill.dir.clone()),
                spill.budget_bytes / 64 / std::mem::size_of::<NameProvince>(),
            ),
            waiting: Waiting::File {
                writer: BufWriter::with_capacity(1 << 16, file),
                path,
                record: Vec::new(),
            },
            spill: Some(spill),
            ..Aggregator::default()
        })
    }

    pub fn add(&mut self, mut x: Extraction) -> Result<Option<Extraction>> {
        let seq = self.seen;
        self.seen += 1;
        self.ids.learn(&x)?;
        if PersonIds::must_wait(&x) {
            match &mut self.waiting {
                Waiting::Memory(v) => v.push((seq, x)),
                Waiting::File { path, writer, record } => {
                    crate::frame::encode_postcard(&(seq, &x), record)
                        .map_err(|e| Error::writing(&*path)(std::io::Error::other(e)))?;
                    crate::frame::write_frame(writer, record).map_err(Error::writing(&*path))?;
                }
            }
            return Ok(None);
        }
        self.ids.assign(&mut x)?;
        self.add_to_rollups(seq, &x)?;
        Ok(Some(x))
    }

    fn add_to_rollups(&mut self, seq: u64, x: &Extraction) -> Result<()> {
        self.rollups.add(seq, x);
        match &self.spill {
            Some(s) if self.rollups.held() > s.budget_bytes => self.spill_run(),
            _ => Ok(()),
        }
    }

    /// Writes the accumulators out as one sorted run per table. Past
    /// [`MAX_RUNS`] runs, they are merged into one first, so the final merge
    /// never holds more files open than that.
    fn spill_run(&mut self) -> Result<()> {
        let Some(spill) = &self.spill else { return Ok(()) };
        let sorted = self.rollups.take_sorted();
        let runs = &mut self.runs;
        runs.spills += 1;
        let dir = &spill.dir;
        spill_table(
            dir,
            "co_attendance",
            &mut runs.pairs,
            &mut runs.written,
            sorted.pair_rows(),
        )?;
        let people = SortedRollups::people(sorted.persons);
        spill_table(dir, "people", &mut runs.people, &mut runs.written, people)?;
        spill_table(
            dir,
            "unit_year_metrics",
            &mut runs.unit_years,
            &mut runs.written,
            sorted.unit_years,
        )
    }

    /// Pages seen so far.
    pub fn pages(&self) -> u64 {
        self.seen
    }

    /// Times the roll-ups were spilled to disk so far.
    pub fn spills(&self) -> usize {
        self.runs.spills
    }

    /// Hands `emit` the rows of the pages that waited, then the three roll-up
    /// tables, in batches of at most [`BATCH_ROWS`] rows of a table. The
    /// roll-ups are merged at the same time on the pool's threads (each of
    /// their batches holds one table's rows, in that table's order), so the end of a run
    /// does not leave all but one core idle. Returns the seconds this took
    /// summed over those threads, `emit` included.
    pub fn finish(mut self, emit: impl Fn(Tables) -> Result<()> + Sync) -> Result<f64> {
        let t = Instant::now();
        let mut batch = Tables::default();
        let waiting = std::mem::replace(&mut self.waiting, Waiting::Memory(Vec::new()));
        let mut take_page = |agg: &mut Aggregator, seq: u64, mut x: Extraction| -> Result<()> {
            agg.ids.assign(&mut x)?;
            agg.add_to_rollups(seq, &x)?;
            batch.push_page(x);
            if batch.documents.len() >= 512 {
                emit(std::mem::take(&mut batch))?;
            }
            Ok(())
        };
        match waiting {
            Waiting::Memory(v) => {
                for (seq, x) in v {
                    take_page(&mut self, seq, x)?;
                }
            }
            Waiting::File {
                path,
                mut writer,
                mut record,
            } => {
                writer.flush().map_err(Error::writing(&path))?;
                drop(writer);
                let file = File::open(&path).map_err(Error::reading(&path))?;
                let mut reader = BufReader::with_capacity(1 << 16, file);
                while crate::frame::read_frame(&mut reader, &mut record).map_err(Error::reading(&path))? {
                    let (seq, x): (u64, Extraction) = postcard::from_bytes(&record).map_err(|e| {
                        Error::reading(&path)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
                    })?;
                    take_page(&mut self, seq, x)?;
                }
            }
        }
        if !batch.documents.is_empty() {
            emit(std::mem::take(&mut batch))?;
        }
        let sorted = self.rollups.take_sorted();
        let runs = std::mem::take(&mut self.runs);
        // The pairs name their people by id: made before the people move.
        let pairs: Vec<CoAttendanceRow> = sorted.pair_rows().collect();
        let (persons, unit_years) = (sorted.persons, sorted.unit_years);
        let serial = t.elapsed().as_secs_f64();
        let runs = &runs;
        let emit = &emit;
        // Three jobs on the pool: this thread takes the unit-years (the
        // longest in the benchmarks) while another takes the other two.
        let (years, (people, pairs)) = rayon::join(
            || {
                timed(|| {
                    merge_into(&runs.unit_years, unit_years, emit, |t, a| {
                        t.unit_year_metrics.push(a.row);
                        t.unit_year_metrics.len()
                    })
                })
            },
            || {
                rayon::join(
                    || {
                        timed(|| {
                            merge_into(&runs.people, SortedRollups::people(persons), emit, |t, p| {
                                t.people.push(p.into_row());
                                t.people.len()
                            })
                        })
                    },
                    || {
                        timed(|| {
                            merge_into(&runs.pairs, pairs, emit, |t, r| {
                                t.co_attendance.push(r);
                                t.co_attendance.len()
                            })
                        })
                    },
                )
            },
        );
        Ok(serial + people? + pairs? + years?)
    }
}

/// Runs `work`; its seconds if it succeeds.
fn timed(work: impl FnOnce() -> Result<()>) -> Result<f64> {
    let t = Instant::now();
    work().map(|()| t.elapsed().as_secs_f64())
}

/// Merges a roll-up's runs with its records still in memory and hands the rows
/// to `emit` in batches.
fn merge_into<R: Record>(
    runs: &[PathBuf],
    memory: Vec<R>,
    emit: &impl Fn(Tables) -> Result<()>,
    mut push: impl FnMut(&mut Tables, R) -> usize,
) -> Result<()> {
    let mut merge = Merge::new(runs, memory)?;
    let mut batch = Tables::default();
    let mut n = 0;
    while let Some(r) = merge.next_record()? {
        n = push(&mut batch, r);
        if n >= BATCH_ROWS {
            emit(std::mem::take(&mut batch))?;
            n = 0;
        }
    }
    if n > 0 {
        emit(batch)?;
    }
    Ok(())
}

/// Builds every table from a run's extractions in memory (for `hoinghi
/// aggregate` and tests; a run streams its pages through an [`Aggregator`]).
pub fn aggregate(mut extractions: Vec<Extraction>) -> Result<Tables> {
    extractions.sort_by(|a, b| a.document.source.cmp(&b.document.source));
    let mut agg = Aggregator::default();
    let mut t = Tables::default();
    for x in extractions {
        if let Some(x) = agg.add(x)? {
            t.push_page(x);
        }
    }
    // Each batch holds one table's rows, so the order the batches arrive in
    // from the parallel merges does not change any table's order.
    let t = std::sync::Mutex::new(t);
    agg.finish(|rows| {
        t.lock()
            .map_err(|_| Error::Aggregate("a roll-up merge panicked".into()))?
            .append(rows);
        Ok(())
    })?;
    t.into_inner()
        .map_err(|_| Error::Aggregate("a roll-up merge panicked".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// Pairs sorted by their persons' id ranks come in the order of the
        /// ids themselves, whatever order the persons were met in.
        #[test]
        fn pairs_sorted_by_id_ranks_as_by_the_ids(
            ids in proptest::collection::btree_set("[0-9a-f]{1,4}", 1..12)
                .prop_map(|s| s.into_iter().collect::<Vec<String>>())
                .prop_shuffle(),
            picks in proptest::collection::btree_set((0usize..12, 0usize..12), 0..40),
        ) {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let n = ids.len();
            let mut pairs: Vec<(u32, u32, usize)> = picks
                .iter()
                .filter(|(a, b)| a < &n && b < &n && a != b)
                .enumerate()
                .map(|(k, &(a, b))| (a as u32, b as u32, k))
                .collect();
            let mut expected = pairs.clone();
            expected.sort_by(|x, y| (ids[x.0 as usize], ids[x.1 as usize]).cmp(&(ids[y.0 as usize], ids[y.1 as usize])));
            sort_pairs_by_ids(&mut pairs, &ids);
            proptest::prop_assert_eq!(pairs, expected);
        }

        /// Ranking the places first gives the plain sort's order, unknown
        /// parts last. Rows are made distinct, as the roll-up's keys are.
        #[test]
        fn unit_years_sorted_by_place_rank_as_by_the_plain_order(
            rows in proptest::collection::btree_set(
                (
                    proptest::option::of(proptest::sample::select(vec!["Hà Nội", "Hải Phòng", "Nghệ An"])),
                    proptest::option::of(proptest::sample::select(vec!["Diễn Châu", "Vinh", ""])),
                    proptest::option::of(proptest::sample::select(vec!["phường", "xã"])),
                    proptest::option::of(proptest::sample::select(vec!["Diễn Cát", "Tân Lập", "Tân Lập A"])),
                    2019..2026i32,
                    proptest::sample::select(vec!["budget_revenue", "poverty_rate"]),
                    proptest::sample::select(vec!["actual", "target"]),
                ),
                0..60,
            )
        ) {
            let accs = || -> Vec<UnitYearAcc> {
                rows.iter()
                    .rev()
                    .map(|(province, city, unit_type, unit_name, year, indicator, kind)| UnitYearAcc {
                        row: UnitYearRow {
                            province: province.map(str::to_string),
                            city: city.map(str::to_string),
                            unit_type: unit_type.map(str::to_string),
                            unit_name: unit_name.map(str::to_string),
                            year: *year,
                            indicator: indicator.to_string(),
                            kind: kind.to_string(),
                            unit: "%".into(),
                            value: 1.0,
                            n_sources: 1,
                        },
                        latest: (None, 0, 0),
                        last_doc: 0,
                    })
                    .collect()
            };
            let mut plain = accs();
            plain.sort_unstable_by(|a, b| unit_year_order(&a.row, &b.row));
            let mut ranked = accs();
            sort_unit_years(&mut ranked);
            let rows = |v: &[UnitYearAcc]| v.iter().map(|u| u.row.clone()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(rows(&ranked), rows(&plain));
            // Unknown parts last: a row with no province follows every row with one.
            if let Some(first_unknown) = ranked.iter().position(|u| u.row.province.is_none()) {
                proptest::prop_assert!(ranked[first_unknown..].iter().all(|u| u.row.province.is_none()));
            }
        }
    }

    /// A page's province and the names on it.
    type Page = (&'static str, Vec<String>);

    /// Learns pages of (province, names), then asks for each name's province.
    fn provinces(ids: &mut PersonIds, pages: &[Page], ask: &[String]) -> Vec<Option<String>> {
        for (p, names) in pages {
            ids.learn_names(p, names.iter().map(String::as_str)).unwrap();
        }
        ask.iter()
            .map(|n| ids.province_known(&canonical_key(n)).unwrap().map(str::to_string))
            .collect()
    }

    /// Three thousand people in Hà Nội, the first hundred of them also seen in
    /// Nghệ An; the name of someone never learned.
    fn pages() -> (Vec<Page>, Vec<String>, Vec<Option<String>>) {
        let name = |i: usize| format!("Nguyễn Văn {i}");
        let mut pages = Vec::new();
        for chunk in (0..3000).collect::<Vec<_>>().chunks(7) {
            pages.push(("Hà Nội", chunk.iter().map(|&i| name(i)).collect()));
            // Every name comes twice from the same province: no fold to "many".
            pages.push(("Hà Nội", chunk.iter().map(|&i| name(i)).collect()));
        }
        pages.push(("Nghệ An", (0..100).map(name).collect()));
        let mut ask: Vec<String> = (0..3000).step_by(37).map(name).collect();
        ask.push("Trần Thị Chưa Thấy".to_string());
        let expected = ask
            .iter()
            .map(|n| {
                let i: Option<usize> = n.strip_prefix("Nguyễn Văn ").and_then(|i| i.parse().ok());
                match i {
                    Some(i) if i >= 100 => Some(canonical_key("Hà Nội")),
                    _ => None,
                }
            })
            .collect();
        (pages, ask, expected)
    }

    #[test]
    fn unit_years_are_told_apart_by_every_field_of_their_key() {
        let meeting = |id: &str, city: Option<&str>| MeetingRow {
            meeting_id: id.into(),
            doc_id: format!("d-{id}"),
            meeting_date: NaiveDate::from_ymd_opt(2024, 1, 9),
            date_text: None,
            year_inferred: false,
            time_of_day: None,
            meeting_type: "annual_review".into(),
            period_year: Some(2023),
            period_half: None,
            organizer: None,
            unit_type: Some("xã".into()),
            unit_name: Some("Tân Hòa".into()),
            city: city.map(Into::into),
            province: Some("Thái Nguyên".into()),
            admin_code: None,
            successor_code: None,
            successor_name: None,
        };
        let figure = |m: &str, indicator: &str, kind: &'static str, unit: &str, value: f64, at: i64| Figure {
            metric_id: format!("{m}-{at}"),
            meeting_id: m.into(),
            doc_id: format!("d-{m}"),
            indicator: indicator.into(),
            label: None,
            value,
            unit: unit.into(),
            value_high: None,
            denominator: None,
            qualifier: "exact",
            kind,
            period_year: None,
            value_text: String::new(),
            evidence: String::new(),
            char_start: at,
            char_end: at + 2,
        };
        let mut r = Rollups::default();
        r.add_figures(
            0,
            &meeting("m1", None),
            &[
                figure("m1", "budget_revenue", "actual", "vnd", 10.0, 1),
                // The same key later in the page: its value is the row's.
                figure("m1", "budget_revenue", "actual", "vnd", 11.0, 5),
                figure("m1", "budget_revenue", "target", "vnd", 12.0, 9),
                figure("m1", "budget_revenue", "actual", "percent", 3.0, 12),
                figure("m1", "poverty_rate", "actual", "percent", 2.0, 15),
            ],
        );
        // A city where the first page named none: another place.
        r.add_figures(
            1,
            &meeting("m2", Some("Phổ Yên")),
            &[figure("m2", "budget_revenue", "actual", "vnd", 20.0, 1)],
        );
        // The first key again, from a later page: a second source, the latest value.
        r.add_figures(
            2,
            &meeting("m3", None),
            &[figure("m3", "budget_revenue", "actual", "vnd", 30.0, 1)],
        );
        let mut got: Vec<(Option<String>, String, String, String, f64, i64)> = r
            .take_sorted()
            .unit_years
            .into_iter()
            .map(|a| {
                (
                    a.row.city,
                    a.row.indicator,
                    a.row.kind,
                    a.row.unit,
                    a.row.value,
                    a.row.n_sources,
                )
            })
            .collect();
        got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let row = |city: Option<&str>, ind: &str, kind: &str, unit: &str, value: f64, n: i64| {
            (
                city.map(String::from),
                ind.to_string(),
                kind.to_string(),
                unit.to_string(),
                value,
                n,
            )
        };
        assert_eq!(
            got,
            [
                row(None, "budget_revenue", "actual", "percent", 3.0, 1),
                row(None, "budget_revenue", "actual", "vnd", 30.0, 2),
                row(None, "budget_revenue", "target", "vnd", 12.0, 1),
                row(None, "poverty_rate", "actual", "percent", 2.0, 1),
                row(Some("Phổ Yên"), "budget_revenue", "actual", "vnd", 20.0, 1),
            ]
        );
    }

    /// The sample pages' extractions, in the order a run reads them.
    fn sample_extractions() -> Vec<Extraction> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pipeline = crate::config::Pipeline::load(&root.join("pipelines/ward-meetings.toml")).unwrap();
        let lx = pipeline.rules().unwrap();
        let settings = pipeline.read_settings();
        crate::ingest::discover(&root.join("sample-data/pages"))
            .unwrap()
            .iter()
            .flat_map(|f| crate::pipeline::process_file(f, &lx, &settings))
            .collect()
    }

    /// Pages with no province wait for the end of the run; spilling, they
    /// wait on disk. They must come back from there as they went in.
    #[test]
    fn pages_waiting_on_disk_come_back_as_pages_waiting_in_memory() {
        let mut pages = sample_extractions();
        // Every sample page names its province: every other one loses it,
        // as a ward's page often does not name one.
        for x in pages.iter_mut().step_by(2) {
            if let Some(m) = &mut x.meeting {
                m.province = None;
            }
        }
        let waiting = pages.iter().filter(|x| PersonIds::must_wait(x)).count();
        assert!(waiting >= 4, "half the sample pages should wait, got {waiting}");
        let dir = tempfile::tempdir().unwrap();
        let run = |mut agg: Aggregator| {
            let mut t = Tables::default();
            for x in pages.clone() {
                if let Some(x) = agg.add(x).unwrap() {
                    t.push_page(x);
                }
            }
            let t = std::sync::Mutex::new(t);
            agg.finish(|rows| {
                t.lock().unwrap().append(rows);
                Ok(())
            })
            .unwrap();
            t.into_inner().unwrap()
        };
        let in_memory = run(Aggregator::default());
        let on_disk = run(Aggregator::spilling(SpillTo {
            dir: dir.path().join("spill"),
            budget_bytes: 64 << 20,
        })
        .unwrap());
        assert!(
            std::fs::metadata(dir.path().join("spill/waiting.bin"))
                .unwrap()
                .len()
                > 0,
            "the waiting pages should have been written to disk"
        );
        assert_eq!(on_disk.documents.len(), pages.len());
        assert_eq!(format!("{on_disk:?}"), format!("{in_memory:?}"));
        // Every mention of a waiting page came back with its person id.
        assert!(on_disk.person_mentions.iter().all(|m| !m.person_id.is_empty()));
    }

    #[test]
    fn names_in_memory_join_their_single_province() {
        let (pages, ask, expected) = pages();
        // A small batch: folded many times over.
        let mut ids = PersonIds::new(None, 50);
        let got = provinces(&mut ids, &pages, &ask);
        assert_eq!(got, expected);
        assert!(matches!(ids.sealed, Some(NameTable::Memory(ref v)) if v.len() == 3000));
    }

    #[test]
    fn names_spilled_to_runs_give_the_same_provinces() {
        let (pages, ask, expected) = pages();
        let dir = tempfile::tempdir().unwrap();
        // About 50 names a run: over 100 runs, so the 64-run merge happens on
        // the way.
        let mut ids = PersonIds::new(Some(dir.path().to_path_buf()), 50);
        let got = provinces(&mut ids, &pages, &ask);
        assert_eq!(got, expected);
        match &ids.sealed {
            Some(NameTable::File {
                records,
                block_starts,
                ..
            }) => {
                assert_eq!(*records, 3000);
                assert_eq!(block_starts.len(), 3000_usize.div_ceil(NAME_BLOCK));
            }
            other => panic!("expected a file table, got {other:?}"),
        }
        // The runs are gone once merged; the table is all that is left.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["names.sorted"]);
        // 3000 names, 10 bytes each.
        assert_eq!(
            std::fs::metadata(dir.path().join("names.sorted")).unwrap().len(),
            30_000
        );
    }

    #[test]
    fn names_left_in_the_batch_and_at_block_edges_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = PersonIds::new(Some(dir.path().to_path_buf()), 40);
        let name = |i: usize| format!("Phạm Thị {i}");
        // 2000 names in Thái Bình, 10 a page: 50 runs of 40; names 0-9 also
        // in Nam Định, in the first run.
        for page in 0..200 {
            let names: Vec<String> = (page * 10..page * 10 + 10).map(name).collect();
            ids.learn_names("Thái Bình", names.iter().map(String::as_str))
                .unwrap();
            if page == 3 {
                let names: Vec<String> = (0..10).map(name).collect();
                ids.learn_names("Nam Định", names.iter().map(String::as_str))
                    .unwrap();
            }
        }
        // The last names stay in the batch (fewer than 40 since the last run):
        // one known only there, and one that folds with a run to "many".
        ids.learn_names("Hà Nam", ["Vũ Văn Cuối"].into_iter()).unwrap();
        ids.learn_names("Hà Nam", [name(1999).as_str()].into_iter())
            .unwrap();
        assert!(!ids.learned.is_empty() && ids.spill.as_ref().unwrap().runs.len() > 1);
        let hanam = Some(canonical_key("Hà Nam"));
        let thaibinh = Some(canonical_key("Thái Bình"));
        let ask =
            |ids: &mut PersonIds, n: &str| ids.province_known(&canonical_key(n)).unwrap().map(str::to_string);
        assert_eq!(ask(&mut ids, "Vũ Văn Cuối"), hanam);
        assert_eq!(ask(&mut ids, &name(1999)), None);
        assert_eq!(ask(&mut ids, &name(5)), None);
        assert_eq!(ask(&mut ids, &name(500)), thaibinh);
        // Straight at the table: every block's first name, one below the
        // first, one above the last.
        let table = ids.table().unwrap();
        let NameTable::File {
            block_starts,
            records,
            ..
        } = table
        else {
            panic!("expected a file table");
        };
        assert_eq!(*records, 2001);
        let starts = block_starts.clone();
        assert_eq!(starts.len(), 4);
        for first in &starts {
            assert!(table.province(*first).unwrap().is_some(), "block start {first:x}");
        }
        let all: Vec<u64> = (0..2000)
            .map(|i| name_hash(&canonical_key(&name(i))))
            .chain([name_hash(&canonical_key("Vũ Văn Cuối"))])
            .collect();
        let (lo, hi) = (*all.iter().min().unwrap(), *all.iter().max().unwrap());
        assert_eq!(starts[0], lo);
        assert!(table.province(hi).unwrap().is_some());
        if lo > 0 {
            assert_eq!(table.province(lo - 1).unwrap(), None);
        }
        if hi < u64::MAX {
            assert_eq!(table.province(hi + 1).unwrap(), None);
        }
    }

    #[test]
    fn a_name_in_two_provinces_folds_to_many_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = PersonIds::new(Some(dir.path().to_path_buf()), 1);
        let one = |n: &str| vec![n.to_string()];
        let got = provinces(
            &mut ids,
            &[
                ("Hà Nội", one("Lê Văn A")),
                ("Hà Nội", one("Lê Thị B")),
                ("Nghệ An", one("Lê Văn A")),
            ],
            &[
                "Lê Văn A".to_string(),
                "Lê Thị B".to_string(),
                "Lê Văn C".to_string(),
            ],
        );
        assert_eq!(got, [None, Some(canonical_key("Hà Nội")), None]);
    }
}
