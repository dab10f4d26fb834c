//! Writing a snapshot: one Parquet file per table (zstd, statistics,
//! dictionary pages), `_manifest.json`, then `current` swapped atomically.
//! A reader never sees a half-written snapshot.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, Int8Array, RecordBatch,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::aggregate::Tables;
use crate::error::{Error, Result};
use crate::staging::StagingDir;

/// The tables of CONTRACT.md, in its order.
pub const TABLES: [&str; 8] = [
    "documents",
    "meetings",
    "person_mentions",
    "people",
    "metrics",
    "awards",
    "unit_year_metrics",
    "co_attendance",
];

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn list_utf8(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        false,
    )
}

fn date32(name: &str) -> Field {
    Field::new(name, DataType::Date32, true)
}

/// The Arrow schema of a table, exactly as CONTRACT.md lists it.
pub fn schema(table: &str) -> SchemaRef {
    use DataType::*;
    let fields = match table {
        "documents" => vec![
            utf8("doc_id", false),
            utf8("source", false),
            utf8("content_sha256", false),
            utf8("format", false),
            utf8("encoding", false),
            utf8("title", true),
            Field::new(
                "published_at",
                Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                true,
            ),
            utf8("author", true),
            Field::new("n_chars", Int64, false),
            utf8("status", false),
            utf8("error", true),
        ],
        "meetings" => vec![
            utf8("meeting_id", false),
            utf8("doc_id", false),
            date32("meeting_date"),
            utf8("date_text", true),
            Field::new("year_inferred", Boolean, false),
            utf8("time_of_day", true),
            utf8("meeting_type", false),
            Field::new("period_year", Int32, true),
            Field::new("period_half", Int8, true),
            utf8("organizer", true),
            utf8("unit_type", true),
            utf8("unit_name", true),
            utf8("city", true),
            utf8("province", true),
            utf8("admin_code", true),
            // Beyond CONTRACT.md (see CHANGELOG.md): the July 2025 successor unit.
            utf8("successor_code", true),
            utf8("successor_name", true),
        ],
        "person_mentions" => vec![
            utf8("mention_id", false),
            utf8("meeting_id", false),
            utf8("doc_id", false),
            utf8("person_id", false),
            utf8("name", false),
            list_utf8("roles"),
            list_utf8("titles"),
            list_utf8("titles_raw"),
            utf8("evidence", false),
            Field::new("char_start", Int64, false),
            Field::new("char_end", Int64, false),
        ],
        "people" => vec![
            utf8("person_id", false),
            utf8("name", false),
            Field::new("n_meetings", Int64, false),
            date32("first_seen"),
            date32("last_seen"),
            list_utf8("latest_titles"),
            list_utf8("units"),
        ],
        "metrics" => vec![
            utf8("metric_id", false),
            utf8("meeting_id", false),
            utf8("doc_id", false),
            utf8("indicator", false),
            utf8("label", true),
            Field::new("value", Float64, false),
            utf8("unit", false),
            Field::new("value_high", Float64, true),
            Field::new("denominator", Float64, true),
            utf8("qualifier", false),
            utf8("kind", false),
            Field::new("period_year", Int32, true),
            utf8("value_text", false),
            utf8("evidence", false),
            Field::new("char_start", Int64, false),
            Field::new("char_end", Int64, false),
        ],
        "awards" => vec![
            utf8("award_id", false),
            utf8("meeting_id", false),
            utf8("doc_id", false),
            utf8("giver", true),
            utf8("award", false),
            utf8("recipient_type", false),
            Field::new("count", Int32, true),
            utf8("person_id", true),
            utf8("evidence", false),
        ],
        "unit_year_metrics" => vec![
            utf8("province", true),
            utf8("city", true),
            utf8("unit_type", true),
            utf8("unit_name", true),
            Field::new("year", Int32, false),
            utf8("indicator", false),
            utf8("kind", false),
            utf8("unit", false),
            Field::new("value", Float64, false),
            Field::new("n_sources", Int64, false),
        ],
        "co_attendance" => vec![
            utf8("person_a", false),
            utf8("person_b", false),
            Field::new("n_meetings", Int64, false),
            date32("first_met"),
            date32("last_met"),
        ],
        other => unreachable!("no table named {other}"),
    };
    Arc::new(Schema::new(fields))
}

// The string columns are built from borrowed values into buffers sized by
// a first pass over them: grown by doubling, a batch's buffer was copied
// over and over, and the optional columns cloned every value first.

fn s<'a, I>(v: I) -> ArrayRef
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    // No value is null: the builder keeps no null buffer.
    so(v.into_iter().map(Some))
}

fn so<'a, I>(v: I) -> ArrayRef
where
    I: IntoIterator<Item = Option<&'a str>>,
    I::IntoIter: Clone,
{
    let v = v.into_iter();
    let (n, bytes) = v
        .clone()
        .fold((0, 0), |(n, b), x| (n + 1, b + x.map_or(0, str::len)));
    let mut b = StringBuilder::with_capacity(n, bytes);
    for x in v {
        b.append_option(x);
    }
    Arc::new(b.finish())
}

fn lists<'a, I>(v: I) -> ArrayRef
where
    I: IntoIterator<Item = &'a Vec<String>>,
    I::IntoIter: Clone,
{
    let v = v.into_iter();
    let (n, bytes) = v.clone().flatten().fold((0, 0), |(n, b), x| (n + 1, b + x.len()));
    let mut b = ListBuilder::new(StringBuilder::with_capacity(n, bytes));
    for l in v {
        for x in l {
            b.values().append_value(x);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn d32<I: IntoIterator<Item = Option<NaiveDate>>>(v: I) -> ArrayRef {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Arc::new(Date32Array::from_iter(
        v.into_iter().map(|d| d.map(|d| (d - epoch).num_days() as i32)),
    ))
}

/// The rows of one table as an Arrow batch.
pub fn batch(tables: &Tables, table: &str) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = match table {
        "documents" => {
            let r = &tables.documents;
            vec![
                s(r.iter().map(|x| x.doc_id.as_str())),
                s(r.iter().map(|x| x.source.as_str())),
                s(r.iter().map(|x| x.content_sha256.as_str())),
                s(r.iter().map(|x| x.format)),
                s(r.iter().map(|x| x.encoding)),
                so(r.iter().map(|x| x.title.as_deref())),
                Arc::new(
                    TimestampMillisecondArray::from_iter(r.iter().map(|x| x.published_at))
                        .with_timezone("UTC"),
                ),
                so(r.iter().map(|x| x.author.as_deref())),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.n_chars))),
                s(r.iter().map(|x| x.status)),
                so(r.iter().map(|x| x.error.as_deref())),
            ]
        }
        "meetings" => {
            let r = &tables.meetings;
            vec![
                s(r.iter().map(|x| x.meeting_id.as_str())),
                s(r.iter().map(|x| x.doc_id.as_str())),
                d32(r.iter().map(|x| x.meeting_date)),
                so(r.iter().map(|x| x.date_text.as_deref())),
                Arc::new(BooleanArray::from_iter(r.iter().map(|x| Some(x.year_inferred)))),
                so(r.iter().map(|x| x.time_of_day)),
                s(r.iter().map(|x| x.meeting_type.as_str())),
                Arc::new(Int32Array::from_iter(r.iter().map(|x| x.period_year))),
                Arc::new(Int8Array::from_iter(r.iter().map(|x| x.period_half))),
                so(r.iter().map(|x| x.organizer.as_deref())),
                so(r.iter().map(|x| x.unit_type.as_deref())),
                so(r.iter().map(|x| x.unit_name.as_deref())),
                so(r.iter().map(|x| x.city.as_deref())),
                so(r.iter().map(|x| x.province.as_deref())),
                so(r.iter().map(|x| x.admin_code.as_deref())),
                so(r.iter().map(|x| x.successor_code.as_deref())),
                so(r.iter().map(|x| x.successor_name.as_deref())),
            ]
        }
        "person_mentions" => {
            let r = &tables.person_mentions;
            vec![
                s(r.iter().map(|x| x.mention_id.as_str())),
                s(r.iter().map(|x| x.meeting_id.as_str())),
                s(r.iter().map(|x| x.doc_id.as_str())),
                s(r.iter().map(|x| x.person_id.as_str())),
                s(r.iter().map(|x| x.name.as_str())),
                lists(r.iter().map(|x| &x.roles)),
                lists(r.iter().map(|x| &x.titles)),
                lists(r.iter().map(|x| &x.titles_raw)),
                s(r.iter().map(|x| x.evidence.as_str())),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.char_start))),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.char_end))),
            ]
        }
        "people" => {
            let r = &tables.people;
            vec![
                s(r.iter().map(|x| x.person_id.as_str())),
                s(r.iter().map(|x| x.name.as_str())),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.n_meetings))),
                d32(r.iter().map(|x| x.first_seen)),
                d32(r.iter().map(|x| x.last_seen)),
                lists(r.iter().map(|x| &x.latest_titles)),
                lists(r.iter().map(|x| &x.units)),
            ]
        }
        "metrics" => {
            let r = &tables.metrics;
            vec![
                s(r.iter().map(|x| x.metric_id.as_str())),
                s(r.iter().map(|x| x.meeting_id.as_str())),
                s(r.iter().map(|x| x.doc_id.as_str())),
                s(r.iter().map(|x| x.indicator.as_str())),
                so(r.iter().map(|x| x.label.as_deref())),
                Arc::new(Float64Array::from_iter_values(r.iter().map(|x| x.value))),
                s(r.iter().map(|x| x.unit.as_str())),
                Arc::new(Float64Array::from_iter(r.iter().map(|x| x.value_high))),
                Arc::new(Float64Array::from_iter(r.iter().map(|x| x.denominator))),
                s(r.iter().map(|x| x.qualifier)),
                s(r.iter().map(|x| x.kind)),
                Arc::new(Int32Array::from_iter(r.iter().map(|x| x.period_year))),
                s(r.iter().map(|x| x.value_text.as_str())),
                s(r.iter().map(|x| x.evidence.as_str())),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.char_start))),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.char_end))),
            ]
        }
        "awards" => {
            let r = &tables.awards;
            vec![
                s(r.iter().map(|x| x.award_id.as_str())),
                s(r.iter().map(|x| x.meeting_id.as_str())),
                s(r.iter().map(|x| x.doc_id.as_str())),
                so(r.iter().map(|x| x.giver.as_deref())),
                s(r.iter().map(|x| x.award.as_str())),
                s(r.iter().map(|x| x.recipient_type)),
                Arc::new(Int32Array::from_iter(r.iter().map(|x| x.count))),
                so(r.iter().map(|x| x.person_id.as_deref())),
                s(r.iter().map(|x| x.evidence.as_str())),
            ]
        }
        "unit_year_metrics" => {
            let r = &tables.unit_year_metrics;
            vec![
                so(r.iter().map(|x| x.province.as_deref())),
                so(r.iter().map(|x| x.city.as_deref())),
                so(r.iter().map(|x| x.unit_type.as_deref())),
                so(r.iter().map(|x| x.unit_name.as_deref())),
                Arc::new(Int32Array::from_iter_values(r.iter().map(|x| x.year))),
                s(r.iter().map(|x| x.indicator.as_str())),
                s(r.iter().map(|x| x.kind.as_str())),
                s(r.iter().map(|x| x.unit.as_str())),
                Arc::new(Float64Array::from_iter_values(r.iter().map(|x| x.value))),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.n_sources))),
            ]
        }
        "co_attendance" => {
            let r = &tables.co_attendance;
            vec![
                s(r.iter().map(|x| x.person_a.as_str())),
                s(r.iter().map(|x| x.person_b.as_str())),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.n_meetings))),
                d32(r.iter().map(|x| x.first_met)),
                d32(r.iter().map(|x| x.last_met)),
            ]
        }
        other => {
            return Err(Error::Table {
                table: other.into(),
                message: "no such table".into(),
            })
        }
    };
    RecordBatch::try_new(schema(table), cols).map_err(|e| Error::Table {
        table: table.into(),
        message: e.to_string(),
    })
}

/// String columns with a value of their own on (nearly) every row: a row's
/// id, a hash, a page's path or title, a quoted sentence. CONTRACT.md asks
/// for dictionary encoding of low-cardinality strings; on these a dictionary
/// only costs time (it is built until it outgrows its page, then dropped).
fn unique_text_column(table: &str, column: &str) -> bool {
    matches!(
        (table, column),
        ("documents", "doc_id" | "source" | "content_sha256" | "title")
            | ("meetings", "meeting_id" | "doc_id")
            | ("person_mentions", "mention_id" | "evidence")
            | ("people", "person_id")
            | ("metrics", "metric_id" | "evidence")
            | ("awards", "award_id" | "evidence")
    )
}

/// Parquet settings of CONTRACT.md: zstd, statistics, dictionary pages for
/// every string column but the [unique ones](unique_text_column). zstd level
/// 1: on these tables it writes files as small as level 3 does (12.42 against
/// 12.45 MB for 10,000 pages) at two thirds of the CPU.
fn writer_properties(table: &str) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("hoinghi {}", env!("CARGO_PKG_VERSION")));
    for field in schema(table).fields() {
        if unique_text_column(table, field.name()) {
            props = props.set_column_dictionary_enabled(
                parquet::schema::types::ColumnPath::from(field.name().as_str()),
                false,
            );
        }
    }
    props.build()
}

/// One table's Parquet file being written.
struct TableWriter {
    table: &'static str,
    path: PathBuf,
    writer: ArrowWriter<fs::File>,
    rows: usize,
}

impl TableWriter {
    fn error(&self, e: parquet::errors::ParquetError) -> Error {
        Error::Table {
            table: self.table.into(),
            message: e.to_string(),
        }
    }
}

/// A snapshot being written: one Parquet file per table
/// (`<table>/part-00000.parquet`), fed batch by batch as a run goes, in a
/// hidden folder that [`SnapshotWriter::finish`] moves into
/// `snapshots/<run_id>`. Row groups are flushed at [`ROW_GROUP_ROWS`] rows, so
/// memory stays bounded however many pages there are. Dropped unfinished (an
/// error, a full disk), it deletes the hidden folder: no half snapshot stays.
pub struct SnapshotWriter {
    /// Each table's writer behind its own lock, with the table's name outside
    /// it: callers on several threads, each with other tables' rows (the
    /// roll-up merges at the end of a run), never wait for one another.
    tables: Vec<(&'static str, Mutex<TableWriter>)>,
    dir: StagingDir,
}

/// Rows per Parquet row group: big enough for good compression and
/// statistics, small enough that a row group in the making stays a few MB.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

impl SnapshotWriter {
    /// Opens a writer for every table of the snapshot `run_id`.
    pub fn create(out: &Path, run_id: &str) -> Result<SnapshotWriter> {
        let mut w = SnapshotWriter {
            tables: Vec::new(),
            dir: StagingDir::create(&out.join("snapshots"), run_id)?,
        };
        for table in TABLES {
            let folder = w.dir.path().join(table);
            fs::create_dir_all(&folder).map_err(Error::writing(&folder))?;
            let path = folder.join("part-00000.parquet");
            let file = fs::File::create(&path).map_err(Error::writing(&path))?;
            let writer =
                ArrowWriter::try_new(file, schema(table), Some(writer_properties(table))).map_err(|e| {
                    Error::Table {
                        table: table.into(),
                        message: e.to_string(),
                    }
                })?;
            w.tables.push((
                table,
                Mutex::new(TableWriter {
                    table,
                    path,
                    writer,
                    rows: 0,
                }),
            ));
        }
        Ok(w)
    }

    /// Appends rows to every table that has some, the tables in parallel.
    pub fn write(&self, rows: &Tables) -> Result<()> {
        use rayon::prelude::*;
        self.tables.par_iter().try_for_each(|(table, t)| {
            let n = rows.rows(table);
            if n == 0 {
                return Ok(());
            }
            let mut t = lock(table, t)?;
            let b = batch(rows, table)?;
            t.writer.write(&b).map_err(|e| t.error(e))?;
            t.rows += n;
            Ok(())
        })
    }

    /// Rows written so far, by table.
    pub fn rows(&self) -> Vec<(&'static str, usize)> {
        self.tables
            .iter()
            // A writer that panicked has failed the run already; its count still reads.
            .map(|(table, t)| (*table, t.lock().unwrap_or_else(|e| e.into_inner()).rows))
            .collect()
    }

    /// Closes every file, writes `_manifest.json` (with `finished_at` set) and
    /// moves the snapshot into place. `current` is swapped separately
    /// ([`swap_current`]) once the run's state is written too.
    pub fn finish(self, mut manifest: serde_json::Value) -> Result<PathBuf> {
        use rayon::prelude::*;
        self.tables
            .into_par_iter()
            .try_for_each(|(table, t)| -> Result<()> {
                let TableWriter { path, writer, .. } = t.into_inner().map_err(|_| poisoned(table))?;
                let file = writer.into_inner().map_err(|e| Error::Table {
                    table: table.into(),
                    message: e.to_string(),
                })?;
                file.sync_all().map_err(Error::writing(&path))
            })?;
        manifest["finished_at"] = serde_json::json!(chrono::Utc::now().to_rfc3339());
        let manifest_path = self.dir.path().join("_manifest.json");
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        fs::write(&manifest_path, text).map_err(Error::writing(&manifest_path))?;
        self.dir.commit()
    }
}

/// The error for a table whose writer panicked while another thread wrote.
fn poisoned(table: &str) -> Error {
    Error::Table {
        table: table.into(),
        message: "its writer failed while writing a batch".into(),
    }
}

fn lock<'a>(table: &str, t: &'a Mutex<TableWriter>) -> Result<MutexGuard<'a, TableWriter>> {
    t.lock().map_err(|_| poisoned(table))
}

/// Points `OUT/current` at `snapshots/<run_id>` (a relative link) atomically.
pub fn swap_current(out: &Path, run_id: &str) -> Result<()> {
    let link_tmp = out.join(format!(".current-{}", std::process::id()));
    let _ = fs::remove_file(&link_tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(Path::new("snapshots").join(run_id), &link_tmp)
        .map_err(Error::writing(&link_tmp))?;
    let current = out.join("current");
    fs::rename(&link_tmp, &current).map_err(Error::writing(&current))?;
    Ok(())
}

/// The snapshot `current` names, if any.
pub fn current_snapshot(out: &Path) -> Option<String> {
    let target = fs::read_link(out.join("current")).ok()?;
    target.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Deletes the oldest snapshots beyond `keep`, never the one `current` names.
/// Returns the snapshots left.
pub fn prune(out: &Path, keep: usize) -> Result<Vec<String>> {
    let snapshots = out.join("snapshots");
    let current = current_snapshot(out);
    let mut names: Vec<String> = match fs::read_dir(&snapshots) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => return Ok(Vec::new()),
    };
    names.retain(|n| !n.starts_with('.'));
    names.sort();
    let excess = names.len().saturating_sub(keep);
    let mut left = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        if i < excess && Some(&name) != current.as_ref() {
            let p = snapshots.join(&name);
            fs::remove_dir_all(&p).map_err(Error::writing(&p))?;
        } else {
            left.push(name);
        }
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::schema::types::ColumnPath;

    #[test]
    fn dictionaries_only_where_values_repeat() {
        let metrics = writer_properties("metrics");
        for unique in ["metric_id", "evidence"] {
            assert!(!metrics.dictionary_enabled(&ColumnPath::from(unique)), "{unique}");
        }
        for repeated in ["meeting_id", "doc_id", "indicator", "unit", "kind", "qualifier"] {
            assert!(
                metrics.dictionary_enabled(&ColumnPath::from(repeated)),
                "{repeated}"
            );
        }
        // A page's id is unique among meetings but repeats in its metrics.
        assert!(!writer_properties("meetings").dictionary_enabled(&ColumnPath::from("doc_id")));
        assert!(writer_properties("awards").dictionary_enabled(&ColumnPath::from("award")));
        // Every listed column exists, so a renamed column cannot slip out of the list.
        for table in TABLES {
            let names: Vec<String> = schema(table).fields().iter().map(|f| f.name().clone()).collect();
            for column in [
                "doc_id",
                "source",
                "content_sha256",
                "title",
                "meeting_id",
                "mention_id",
                "evidence",
                "person_id",
                "metric_id",
                "award_id",
            ] {
                if unique_text_column(table, column) {
                    assert!(names.iter().any(|n| n == column), "{table}.{column}");
                }
            }
        }
    }
}
