//! Stage 4, aggregate: person ids across pages, then `people`,
//! `unit_year_metrics` and `co_attendance` computed with polars' lazy API from
//! the extracted rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::{Error, Result};
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

fn pe(e: PolarsError) -> Error {
    Error::Aggregate(e.to_string())
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

fn days(d: Option<NaiveDate>) -> Option<i32> {
    d.map(|d| (d - EPOCH).num_days() as i32)
}

fn from_days(v: Option<i32>) -> Option<NaiveDate> {
    v.map(|v| EPOCH + chrono::Duration::days(v as i64))
}

fn date_series(name: &str, v: Vec<Option<i32>>) -> Result<Column> {
    Series::new(name.into(), v)
        .cast(&DataType::Date)
        .map(Column::from)
        .map_err(pe)
}

fn list_series(name: &str, v: &[Vec<String>]) -> Column {
    let items: Vec<Series> = v.iter().map(|l| Series::new("".into(), l.as_slice())).collect();
    let mut s = Series::new(name.into(), items);
    if v.is_empty() {
        s = Series::new_empty(name.into(), &DataType::List(Box::new(DataType::String)));
    }
    s.into()
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let c = df.column(name).map_err(pe)?;
    let ca = c.str().map_err(pe)?;
    Ok(ca.iter().map(|o| o.map(str::to_string)).collect())
}

fn i64s(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(name).map_err(pe)?.cast(&DataType::Int64).map_err(pe)?;
    Ok(c.i64().map_err(pe)?.iter().collect())
}

fn dates(df: &DataFrame, name: &str) -> Result<Vec<Option<NaiveDate>>> {
    let c = df.column(name).map_err(pe)?.cast(&DataType::Int32).map_err(pe)?;
    Ok(c.i32().map_err(pe)?.iter().map(from_days).collect())
}

fn string_lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<String>>> {
    let c = df.column(name).map_err(pe)?;
    let ca = c.list().map_err(pe)?;
    let mut out = Vec::with_capacity(ca.len());
    for i in 0..ca.len() {
        let v = match ca.get_as_series(i) {
            Some(s) => s
                .str()
                .map_err(pe)?
                .iter()
                .flatten()
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        };
        out.push(v);
    }
    Ok(out)
}

/// Gives every mention and named award recipient its `person_id`. Two
/// mentions are one person when their names match and their provinces agree
/// (the same, or one unknown); namesakes in different provinces stay apart.
fn resolve_person_ids(extractions: &mut [Extraction]) {
    let mut provinces_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for x in extractions.iter() {
        let province = x.meeting.as_ref().and_then(|m| m.province.clone());
        for m in &x.mentions {
            if let Some(p) = &province {
                provinces_of
                    .entry(canonical_key(&m.name))
                    .or_default()
                    .insert(canonical_key(p));
            }
        }
    }
    let id_for = |name: &str, province: Option<&str>| {
        let key = canonical_key(name);
        let known = provinces_of.get(&key);
        let p = match province {
            Some(p) => canonical_key(p),
            // Unknown province: the single known one, if there is exactly one.
            None => match known {
                Some(set) if set.len() == 1 => set.iter().next().cloned().unwrap_or_default(),
                _ => String::new(),
            },
        };
        stable_id(&["person", &key, &p])
    };
    for x in extractions.iter_mut() {
        let province = x.meeting.as_ref().and_then(|m| m.province.clone());
        for m in &mut x.mentions {
            m.person_id = id_for(&m.name, province.as_deref());
        }
        for a in &mut x.awards {
            if let Some(n) = &a.person_name {
                a.person_id = Some(id_for(n, province.as_deref()));
            }
        }
    }
}

/// Builds every table from the per-document extractions.
pub fn aggregate(mut extractions: Vec<Extraction>) -> Result<Tables> {
    extractions.sort_by(|a, b| a.document.source.cmp(&b.document.source));
    resolve_person_ids(&mut extractions);
    let mut t = Tables::default();
    for x in extractions {
        t.documents.push(x.document);
        if let Some(m) = x.meeting {
            t.meetings.push(m);
        }
        t.person_mentions.extend(x.mentions);
        t.metrics.extend(x.figures);
        t.awards.extend(x.awards);
    }
    // One frame of mentions serves both roll-ups of people.
    let mentions = mentions_frame(&t)?;
    t.people = people(mentions.clone())?;
    t.co_attendance = co_attendance(mentions)?;
    t.unit_year_metrics = unit_year_metrics(&t)?;
    Ok(t)
}

/// One row per mention with its meeting's date and unit.
fn mentions_frame(t: &Tables) -> Result<DataFrame> {
    let meeting: BTreeMap<&str, &MeetingRow> =
        t.meetings.iter().map(|m| (m.meeting_id.as_str(), m)).collect();
    let source: BTreeMap<&str, &str> = t
        .documents
        .iter()
        .map(|d| (d.doc_id.as_str(), d.source.as_str()))
        .collect();
    let n = t.person_mentions.len();
    let mut person_id = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut meeting_id = Vec::with_capacity(n);
    let mut date = Vec::with_capacity(n);
    let mut unit: Vec<Option<String>> = Vec::with_capacity(n);
    let mut order = Vec::with_capacity(n);
    let mut titles = Vec::with_capacity(n);
    for m in &t.person_mentions {
        let mt = meeting.get(m.meeting_id.as_str());
        person_id.push(m.person_id.as_str());
        name.push(m.name.as_str());
        meeting_id.push(m.meeting_id.as_str());
        date.push(days(mt.and_then(|x| x.meeting_date)));
        unit.push(mt.and_then(|x| match (&x.unit_type, &x.unit_name) {
            (Some(ty), Some(nm)) => Some(format!("{ty} {nm}")),
            _ => None,
        }));
        // Ties on date are broken by where the mention is, so ids never depend on threads.
        order.push(format!(
            "{}#{:012}",
            source.get(m.doc_id.as_str()).copied().unwrap_or(""),
            m.char_start
        ));
        titles.push(m.titles.clone());
    }
    DataFrame::new_infer_height(vec![
        Series::new("person_id".into(), person_id).into(),
        Series::new("name".into(), name).into(),
        Series::new("meeting_id".into(), meeting_id).into(),
        date_series("meeting_date", date)?,
        Series::new("unit".into(), unit).into(),
        Series::new("order".into(), order).into(),
        list_series("titles", &titles),
    ])
    .map_err(pe)
}

fn people(df: DataFrame) -> Result<Vec<PersonRow>> {
    let by_time = || SortMultipleOptions::default().with_nulls_last(false);
    let out = df
        .lazy()
        .sort_by_exprs(
            [col("meeting_date"), col("order")],
            by_time().with_order_descending_multi([false, false]),
        )
        .group_by([col("person_id")])
        .agg([
            col("name").first().alias("name"),
            col("meeting_id").n_unique().alias("n_meetings"),
            col("meeting_date").min().alias("first_seen"),
            col("meeting_date").max().alias("last_seen"),
            col("titles").last().alias("latest_titles"),
            col("unit").drop_nulls().unique_stable().alias("units"),
        ])
        .sort(["person_id"], SortMultipleOptions::default())
        .collect()
        .map_err(pe)?;
    let ids = strings(&out, "person_id")?;
    let names = strings(&out, "name")?;
    let n = i64s(&out, "n_meetings")?;
    let first = dates(&out, "first_seen")?;
    let last = dates(&out, "last_seen")?;
    let latest = string_lists(&out, "latest_titles")?;
    let units = string_lists(&out, "units")?;
    Ok((0..out.height())
        .map(|i| PersonRow {
            person_id: ids[i].clone().unwrap_or_default(),
            name: names[i].clone().unwrap_or_default(),
            n_meetings: n[i].unwrap_or(0),
            first_seen: first[i],
            last_seen: last[i],
            latest_titles: latest[i].clone(),
            units: units[i].clone(),
        })
        .collect())
}

fn co_attendance(df: DataFrame) -> Result<Vec<CoAttendanceRow>> {
    let base = df
        .lazy()
        .select([col("person_id"), col("meeting_id"), col("meeting_date")])
        .unique(None, UniqueKeepStrategy::First);
    let left = base.clone().select([
        col("person_id").alias("person_a"),
        col("meeting_id"),
        col("meeting_date"),
    ]);
    let right = base.select([col("person_id").alias("person_b"), col("meeting_id")]);
    let out = left
        .join(
            right,
            [col("meeting_id")],
            [col("meeting_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("person_a").lt(col("person_b")))
        .group_by([col("person_a"), col("person_b")])
        .agg([
            col("meeting_id").n_unique().alias("n_meetings"),
            col("meeting_date").min().alias("first_met"),
            col("meeting_date").max().alias("last_met"),
        ])
        .sort(["person_a", "person_b"], SortMultipleOptions::default())
        .collect()
        .map_err(pe)?;
    let a = strings(&out, "person_a")?;
    let b = strings(&out, "person_b")?;
    let n = i64s(&out, "n_meetings")?;
    let first = dates(&out, "first_met")?;
    let last = dates(&out, "last_met")?;
    Ok((0..out.height())
        .map(|i| CoAttendanceRow {
            person_a: a[i].clone().unwrap_or_default(),
            person_b: b[i].clone().unwrap_or_default(),
            n_meetings: n[i].unwrap_or(0),
            first_met: first[i],
            last_met: last[i],
        })
        .collect())
}

fn unit_year_metrics(t: &Tables) -> Result<Vec<UnitYearRow>> {
    let meeting: BTreeMap<&str, &MeetingRow> =
        t.meetings.iter().map(|m| (m.meeting_id.as_str(), m)).collect();
    let source: BTreeMap<&str, &str> = t
        .documents
        .iter()
        .map(|d| (d.doc_id.as_str(), d.source.as_str()))
        .collect();
    let mut cols: [Vec<Option<String>>; 4] = Default::default();
    let (mut year, mut indicator, mut kind, mut unit, mut value, mut doc, mut date, mut order) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for f in &t.metrics {
        let Some(m) = meeting.get(f.meeting_id.as_str()) else {
            continue;
        };
        let Some(y) = f.period_year.or(m.period_year) else {
            continue;
        };
        if m.unit_name.is_none() {
            continue;
        }
        cols[0].push(m.province.clone());
        cols[1].push(m.city.clone());
        cols[2].push(m.unit_type.clone());
        cols[3].push(m.unit_name.clone());
        year.push(y);
        indicator.push(f.indicator.as_str());
        kind.push(f.kind);
        unit.push(f.unit.as_str());
        value.push(f.value);
        doc.push(f.doc_id.as_str());
        date.push(days(m.meeting_date));
        order.push(format!(
            "{}#{:012}",
            source.get(f.doc_id.as_str()).copied().unwrap_or(""),
            f.char_start
        ));
    }
    let [province, city, unit_type, unit_name] = cols;
    let df = DataFrame::new_infer_height(vec![
        Series::new("province".into(), province).into(),
        Series::new("city".into(), city).into(),
        Series::new("unit_type".into(), unit_type).into(),
        Series::new("unit_name".into(), unit_name).into(),
        Series::new("year".into(), year).into(),
        Series::new("indicator".into(), indicator).into(),
        Series::new("kind".into(), kind).into(),
        Series::new("unit".into(), unit).into(),
        Series::new("value".into(), value).into(),
        Series::new("doc_id".into(), doc).into(),
        date_series("meeting_date", date)?,
        Series::new("order".into(), order).into(),
    ])
    .map_err(pe)?;
    let keys = [
        "province",
        "city",
        "unit_type",
        "unit_name",
        "year",
        "indicator",
        "kind",
        "unit",
    ];
    let out = df
        .lazy()
        .sort_by_exprs(
            [col("meeting_date"), col("order")],
            SortMultipleOptions::default().with_nulls_last(false),
        )
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([
            col("value").last().alias("value"),
            col("doc_id").n_unique().alias("n_sources"),
        ])
        .sort(keys, SortMultipleOptions::default().with_nulls_last(true))
        .collect()
        .map_err(pe)?;
    let province = strings(&out, "province")?;
    let city = strings(&out, "city")?;
    let unit_type = strings(&out, "unit_type")?;
    let unit_name = strings(&out, "unit_name")?;
    let year = i64s(&out, "year")?;
    let indicator = strings(&out, "indicator")?;
    let kind = strings(&out, "kind")?;
    let unit = strings(&out, "unit")?;
    let value: Vec<Option<f64>> = out
        .column("value")
        .map_err(pe)?
        .f64()
        .map_err(pe)?
        .iter()
        .collect();
    let n = i64s(&out, "n_sources")?;
    Ok((0..out.height())
        .map(|i| UnitYearRow {
            province: province[i].clone(),
            city: city[i].clone(),
            unit_type: unit_type[i].clone(),
            unit_name: unit_name[i].clone(),
            year: year[i].unwrap_or(0) as i32,
            indicator: indicator[i].clone().unwrap_or_default(),
            kind: kind[i].clone().unwrap_or_default(),
            unit: unit[i].clone().unwrap_or_default(),
            value: value[i].unwrap_or(f64::NAN),
            n_sources: n[i].unwrap_or(0),
        })
        .collect())
}
