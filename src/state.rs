//! Incremental state under `OUT/state/runs/<run_id>/`: for each input file its
//! size, modification time, content hash and the key of the rules that read
//! it (`files.json`), and the rows extracted from it (`rows.bin.zst`). A
//! run's state is complete before `current` names its snapshot, so the state
//! read next time always matches `current`.
//!
//! `rows.bin.zst` is zstd over a header ([`ROWS_MAGIC`]) and then one record
//! per input file, framed by [`crate::frame`] (its length first): the source
//! and its rows in postcard (serde's fields in order, integers as varints). The
//! state is private to hoinghi and rewritten on every run, so it is built to
//! be written fast; JSON took a tenth of a run's CPU to write and compress.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Extraction;
use crate::staging::StagingDir;

/// What a run knew of one input file. The next run loads one per file of
/// this run to compare against, so the hashes are kept as bytes (written as
/// hex digits in `files.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: i64,
    /// SHA-256 of the file's bytes as stored; `None` until the file is read
    /// (or when it could not be), `""` in `files.json`.
    #[serde(with = "sha256_hex")]
    pub content_sha256: Option<[u8; 32]>,
    /// The rules that read it (rules version and the lexicons that apply),
    /// 16 hex digits in `files.json`.
    #[serde(with = "rules_key_hex")]
    pub rules_key: u64,
}

/// Parses 64 hex digits; `None` for anything else (the empty "not known").
pub fn sha256_from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

mod sha256_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.as_ref().map_or_else(String::new, |h| crate::model::hex(h)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let hex = <std::borrow::Cow<str>>::deserialize(d)?;
        match super::sha256_from_hex(&hex) {
            Some(h) => Ok(Some(h)),
            None if hex.is_empty() => Ok(None),
            None => Err(serde::de::Error::custom("content_sha256 is not 64 hex digits")),
        }
    }
}

mod rules_key_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let hex = <std::borrow::Cow<str>>::deserialize(d)?;
        u64::from_str_radix(&hex, 16).map_err(|_| serde::de::Error::custom("rules_key is not 16 hex digits"))
    }
}

/// The files of one run, by source (path under the input root).
pub type Files = BTreeMap<String, FileState>;

#[derive(Deserialize)]
struct RowsRecord {
    source: String,
    extractions: Vec<Extraction>,
}

/// The first bytes of `rows.bin.zst` (after zstd): what the file is, and the
/// version of its layout.
pub const ROWS_MAGIC: &[u8; 16] = b"hoinghi rows v2\n";

const ROWS_FILE: &str = "rows.bin.zst";

fn runs_dir(out: &Path) -> PathBuf {
    out.join("state").join("runs")
}

/// The files of a run, if its state is there and readable. Parsed as it is
/// read: at a million files the text is ten times the map. A run whose rows
/// are not in this version's layout (an older hoinghi kept them as JSON) has
/// no usable state: every file is read again, as on a first run.
pub fn load_files(out: &Path, run_id: &str) -> Option<Files> {
    let dir = runs_dir(out).join(run_id);
    if !dir.join(ROWS_FILE).is_file() {
        if dir.join("files.json").is_file() {
            tracing::info!("the state of run {run_id} is in an older layout; every file is read again");
        }
        return None;
    }
    let p = dir.join("files.json");
    let file = fs::File::open(p).ok()?;
    serde_json::from_reader(BufReader::with_capacity(1 << 16, file)).ok()
}

/// `files.json` being written one file at a time, in the run's order: the
/// JSON object serde would write for the whole map, without the map.
pub struct FilesWriter {
    path: PathBuf,
    w: std::io::BufWriter<fs::File>,
    empty: bool,
}

impl FilesWriter {
    pub fn create(path: &Path) -> Result<FilesWriter> {
        let file = fs::File::create(path).map_err(Error::writing(path))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        w.write_all(b"{").map_err(Error::writing(path))?;
        Ok(FilesWriter {
            path: path.to_path_buf(),
            w,
            empty: true,
        })
    }

    pub fn add(&mut self, source: &str, state: &FileState) -> Result<()> {
        let path = &self.path;
        if !self.empty {
            self.w.write_all(b",").map_err(Error::writing(path))?;
        }
        self.empty = false;
        serde_json::to_writer(&mut self.w, source).map_err(|e| Error::writing(path)(e.into()))?;
        self.w.write_all(b":").map_err(Error::writing(path))?;
        serde_json::to_writer(&mut self.w, state).map_err(|e| Error::writing(path)(e.into()))
    }

    /// Closes the object and flushes it to disk.
    pub fn finish(mut self) -> Result<()> {
        let path = &self.path;
        self.w.write_all(b"}").map_err(Error::writing(path))?;
        let f = self
            .w
            .into_inner()
            .map_err(|e| Error::writing(path)(e.into_error()))?;
        f.sync_all().map_err(Error::writing(path))
    }
}

/// The rows of a run's state, read forward one input file at a time.
pub struct StoredRows {
    path: PathBuf,
    reader: BufReader<zstd::stream::read::Decoder<'static, BufReader<fs::File>>>,
    record: Vec<u8>,
}

impl StoredRows {
    pub fn open(out: &Path, run_id: &str) -> Result<StoredRows> {
        let path = runs_dir(out).join(run_id).join(ROWS_FILE);
        let file = fs::File::open(&path).map_err(Error::reading(&path))?;
        let decoder = zstd::stream::read::Decoder::new(file).map_err(Error::reading(&path))?;
        let mut reader = BufReader::with_capacity(1 << 16, decoder);
        let mut magic = [0u8; ROWS_MAGIC.len()];
        reader.read_exact(&mut magic).map_err(Error::reading(&path))?;
        if &magic != ROWS_MAGIC {
            return Err(invalid(
                &path,
                "it does not start as hoinghi's rows of this version".into(),
            ));
        }
        Ok(StoredRows {
            path,
            reader,
            record: Vec::new(),
        })
    }

    fn next_record(&mut self) -> Result<Option<RowsRecord>> {
        if !crate::frame::read_frame(&mut self.reader, &mut self.record)
            .map_err(Error::reading(&self.path))?
        {
            return Ok(None);
        }
        postcard::from_bytes(&self.record)
            .map(Some)
            .map_err(|e| invalid(&self.path, format!("a record does not decode: {e}")))
    }

    /// The rows of `source`, skipping those of files before it. Sources must
    /// be asked for in the order the state was written (the run's file
    /// order); `None` when the state has no rows for it.
    pub fn take(&mut self, source: &str) -> Result<Option<Vec<Extraction>>> {
        while let Some(record) = self.next_record()? {
            if record.source == source {
                return Ok(Some(record.extractions));
            }
        }
        Ok(None)
    }
}

fn invalid(path: &Path, why: String) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
    }
}

/// A run's state being written, one input file at a time, into a hidden
/// folder that [`StateWriter::finish`] renames into place. Dropped
/// unfinished, it deletes the hidden folder.
pub struct StateWriter {
    dir: StagingDir,
    rows_path: PathBuf,
    rows: zstd::stream::write::Encoder<'static, std::io::BufWriter<fs::File>>,
    record: Vec<u8>,
    files: FilesWriter,
}

impl StateWriter {
    pub fn create(out: &Path, run_id: &str) -> Result<StateWriter> {
        let dir = StagingDir::create(&runs_dir(out), run_id)?;
        let rows_path = dir.path().join(ROWS_FILE);
        let f = fs::File::create(&rows_path).map_err(Error::writing(&rows_path))?;
        // Level 1: the state is rewritten on every run, so speed beats size.
        let mut enc = zstd::stream::write::Encoder::new(std::io::BufWriter::with_capacity(1 << 16, f), 1)
            .map_err(Error::writing(&rows_path))?;
        enc.write_all(ROWS_MAGIC).map_err(Error::writing(&rows_path))?;
        let files = FilesWriter::create(&dir.path().join("files.json"))?;
        Ok(StateWriter {
            dir,
            rows_path,
            rows: enc,
            record: Vec::new(),
            files,
        })
    }

    /// Stores the facts of one input file and the rows read from it, files
    /// in the run's order.
    pub fn add(&mut self, source: &str, state: &FileState, extractions: &[Extraction]) -> Result<()> {
        self.files.add(source, state)?;
        // The fields of `RowsRecord`, borrowed.
        #[derive(Serialize)]
        struct Record<'a> {
            source: &'a str,
            extractions: &'a [Extraction],
        }
        crate::frame::encode_postcard(&Record { source, extractions }, &mut self.record).map_err(|e| {
            Error::Write {
                path: self.rows_path.clone(),
                source: std::io::Error::other(e),
            }
        })?;
        crate::frame::write_frame(&mut self.rows, &self.record).map_err(|e| Error::Write {
            path: self.rows_path.clone(),
            source: std::io::Error::new(e.kind(), format!("the rows of {source}: {e}")),
        })
    }

    /// Closes `files.json` and the rows and renames the folder into place.
    pub fn finish(self) -> Result<()> {
        self.files.finish()?;
        let w = self.rows.finish().map_err(Error::writing(&self.rows_path))?;
        let f = w
            .into_inner()
            .map_err(|e| Error::writing(&self.rows_path)(e.into_error()))?;
        f.sync_all().map_err(Error::writing(&self.rows_path))?;
        self.dir.commit()?;
        Ok(())
    }
}

/// Rewrites only `files.json` of an existing run (new modification times of
/// files whose content did not change), atomically.
pub fn refresh_files(
    out: &Path,
    run_id: &str,
    mut next: impl FnMut() -> Result<Option<(String, FileState)>>,
) -> Result<()> {
    let dir = runs_dir(out).join(run_id);
    let tmp = dir.join(".files.json.tmp");
    let mut w = FilesWriter::create(&tmp)?;
    while let Some((source, state)) = next()? {
        w.add(&source, &state)?;
    }
    w.finish()?;
    let dst = dir.join("files.json");
    fs::rename(&tmp, &dst).map_err(Error::writing(&dst))
}

/// Deletes the state of runs not in `keep`, and any half-written leftovers.
pub fn prune(out: &Path, keep: &[String]) -> Result<()> {
    let runs = runs_dir(out);
    let Ok(rd) = fs::read_dir(&runs) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !keep.contains(&name) {
            let p = e.path();
            fs::remove_dir_all(&p).map_err(Error::writing(&p))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DocumentRow;

    #[test]
    fn state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Files::new();
        files.insert(
            "a.txt".into(),
            FileState {
                size: 3,
                mtime_ns: 7,
                content_sha256: Some([0xab; 32]),
                rules_key: 0x00c0_ffee_0000_0001,
            },
        );
        let doc = DocumentRow {
            doc_id: "d".into(),
            source: "a.txt".into(),
            content_sha256: "ab".into(),
            format: "txt",
            encoding: "utf-8",
            title: Some("Hội nghị".into()),
            published_at: None,
            author: None,
            n_chars: 8,
            status: "ok",
            error: None,
        };
        let mut b = doc.clone();
        b.source = "b.txt".into();
        let (rows_a, rows_b) = (
            vec![Extraction::quarantined(doc)],
            vec![Extraction::quarantined(b)],
        );
        let b_state = FileState {
            size: 5,
            mtime_ns: 9,
            content_sha256: None,
            rules_key: 2,
        };
        files.insert("b.txt \"x\"".into(), b_state);
        let mut w = StateWriter::create(dir.path(), "run1").unwrap();
        w.add("a.txt", &files["a.txt"], &rows_a).unwrap();
        w.add("b.txt \"x\"", &b_state, &rows_b).unwrap();
        w.finish().unwrap();
        assert_eq!(load_files(dir.path(), "run1"), Some(files.clone()));
        // Written a file at a time, it is the object serde writes for the map.
        let text = std::fs::read_to_string(dir.path().join("state/runs/run1/files.json")).unwrap();
        assert_eq!(text, serde_json::to_string(&files).unwrap());
        assert!(text.contains(
            r#""b.txt \"x\"":{"size":5,"mtime_ns":9,"content_sha256":"","rules_key":"0000000000000002"}"#
        ));
        // Hashes are hex digits on disk, as before they were kept as bytes.
        assert!(
            text.contains(&format!("\"content_sha256\":\"{}\"", "ab".repeat(32))),
            "{text}"
        );
        assert!(text.contains("\"rules_key\":\"00c0ffee00000001\""), "{text}");
        // Refreshed from a list of files, the same text again; none gives "{}".
        let mut left = files.clone().into_iter();
        refresh_files(dir.path(), "run1", || Ok(left.next())).unwrap();
        let again = std::fs::read_to_string(dir.path().join("state/runs/run1/files.json")).unwrap();
        assert_eq!(again, text);
        refresh_files(dir.path(), "run1", || Ok(None)).unwrap();
        assert_eq!(load_files(dir.path(), "run1"), Some(Files::new()));
        let mut left = files.clone().into_iter();
        refresh_files(dir.path(), "run1", || Ok(left.next())).unwrap();
        // Read forward in the order written; a source skipped over is not seen again.
        let mut stored = StoredRows::open(dir.path(), "run1").unwrap();
        assert_eq!(stored.take("a.txt").unwrap(), Some(rows_a));
        assert_eq!(stored.take("b.txt \"x\"").unwrap(), Some(rows_b));
        let mut stored = StoredRows::open(dir.path(), "run1").unwrap();
        assert_eq!(stored.take("c.txt").unwrap(), None);
        // An unfinished writer leaves nothing behind.
        let w = StateWriter::create(dir.path(), "run2").unwrap();
        drop(w);
        assert!(!dir.path().join("state/runs/.tmp-run2").exists());
        prune(dir.path(), &[]).unwrap();
        assert_eq!(load_files(dir.path(), "run1"), None);
    }

    /// An extraction with every kind of row and field filled in: dates,
    /// floats, negative numbers, absent and present options, Vietnamese text.
    fn full_extraction() -> Extraction {
        use crate::model::{Award, Figure, MeetingRow, PersonMention};
        let document = DocumentRow {
            doc_id: "d1".into(),
            source: "x/tin-1.html".into(),
            content_sha256: "cd".repeat(32),
            format: "html",
            encoding: "windows-1258",
            title: Some("Đảng ủy xã Tân Hòa tổng kết năm 2023".into()),
            published_at: Some(-86_400_000),
            author: None,
            n_chars: 5123,
            status: "ok",
            error: None,
        };
        Extraction {
            document,
            meeting: Some(MeetingRow {
                meeting_id: "m1".into(),
                doc_id: "d1".into(),
                meeting_date: chrono::NaiveDate::from_ymd_opt(2024, 1, 9),
                date_text: Some("Sáng 9/1".into()),
                year_inferred: true,
                time_of_day: Some("morning"),
                meeting_type: "annual_review".into(),
                period_year: Some(2023),
                period_half: None,
                organizer: Some("Đảng ủy xã Tân Hòa".into()),
                unit_type: Some("xã".into()),
                unit_name: Some("Tân Hòa".into()),
                city: None,
                province: Some("Thái Nguyên".into()),
                admin_code: Some("05467".into()),
                successor_code: Some("05467".into()),
                successor_name: Some("xã Tân Hòa".into()),
            }),
            mentions: vec![PersonMention {
                mention_id: "p1".into(),
                meeting_id: "m1".into(),
                doc_id: "d1".into(),
                person_id: String::new(),
                name: "Lò Văn Khải".into(),
                roles: vec!["chair".into(), "speaker".into()],
                titles: vec!["Bí thư Đảng ủy xã".into()],
                titles_raw: vec!["Bí thư Đảng ủy xã".into()],
                evidence: "đồng chí Lò Văn Khải, Bí thư Đảng ủy xã chủ trì".into(),
                char_start: 120,
                char_end: 131,
            }],
            figures: vec![Figure {
                metric_id: "f1".into(),
                meeting_id: "m1".into(),
                doc_id: "d1".into(),
                indicator: "poverty_rate".into(),
                label: None,
                value: 2.35,
                unit: "percent".into(),
                value_high: Some(1e-7),
                denominator: Some(f64::MAX),
                qualifier: "down_to",
                kind: "achieved",
                period_year: Some(-1),
                value_text: "2,35%".into(),
                evidence: "tỷ lệ hộ nghèo giảm còn 2,35%".into(),
                char_start: 0,
                char_end: i64::MAX,
            }],
            awards: vec![Award {
                award_id: "a1".into(),
                meeting_id: "m1".into(),
                doc_id: "d1".into(),
                giver: Some("UBND tỉnh".into()),
                award: "Bằng khen".into(),
                recipient_type: "person",
                count: Some(3),
                person_id: None,
                person_name: Some("Lò Văn Khải".into()),
                evidence: "tặng Bằng khen cho 3 cá nhân".into(),
            }],
            notes: vec!["gazetteer: matched".into()],
        }
    }

    fn some_file() -> FileState {
        FileState {
            size: 1,
            mtime_ns: 2,
            content_sha256: None,
            rules_key: 3,
        }
    }

    #[test]
    fn rows_of_every_kind_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            full_extraction(),
            Extraction::quarantined(full_extraction().document),
        ];
        let mut w = StateWriter::create(dir.path(), "r").unwrap();
        w.add("x/tin-1.html", &some_file(), &rows).unwrap();
        w.add("x/empty.txt", &some_file(), &[]).unwrap();
        w.finish().unwrap();
        let mut stored = StoredRows::open(dir.path(), "r").unwrap();
        assert_eq!(stored.take("x/tin-1.html").unwrap(), Some(rows));
        assert_eq!(stored.take("x/empty.txt").unwrap(), Some(Vec::new()));
        assert_eq!(stored.take("x/other.txt").unwrap(), None);
    }

    #[test]
    fn damaged_rows_are_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = StateWriter::create(dir.path(), "r").unwrap();
        w.add("a.txt", &some_file(), &[full_extraction()]).unwrap();
        w.finish().unwrap();
        let path = dir.path().join("state/runs/r").join(ROWS_FILE);
        let whole = zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap();
        let message = |bytes: &[u8]| {
            std::fs::write(&path, zstd::encode_all(bytes, 1).unwrap()).unwrap();
            let err = StoredRows::open(dir.path(), "r")
                .and_then(|mut s| s.take("a.txt"))
                .unwrap_err();
            let source = std::error::Error::source(&err)
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.to_string().contains("rows.bin.zst"), "{err}");
            source
        };
        // Cut inside the record, inside its length, and a record's bytes spoilt.
        assert!(!message(&whole[..whole.len() - 3]).is_empty());
        assert!(!message(&whole[..ROWS_MAGIC.len() + 2]).is_empty());
        let mut spoilt = whole.clone();
        spoilt.truncate(ROWS_MAGIC.len() + 4);
        spoilt.extend_from_slice(&[0xff; 8]);
        let len = (spoilt.len() - ROWS_MAGIC.len() - 4) as u32;
        spoilt[ROWS_MAGIC.len()..ROWS_MAGIC.len() + 4].copy_from_slice(&len.to_le_bytes());
        assert!(message(&spoilt).contains("does not decode"));
        // Rows in an older layout under this name.
        let json = br#"{"source":"a.txt","extractions":[]}"#;
        assert!(message(json).contains("does not start as hoinghi's rows"));
    }

    #[test]
    fn a_run_kept_in_the_older_layout_has_no_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = StateWriter::create(dir.path(), "r").unwrap();
        w.add("a.txt", &some_file(), &[]).unwrap();
        w.finish().unwrap();
        assert!(load_files(dir.path(), "r").is_some());
        let run = dir.path().join("state/runs/r");
        std::fs::rename(run.join(ROWS_FILE), run.join("rows.jsonl.zst")).unwrap();
        assert_eq!(load_files(dir.path(), "r"), None);
    }
}
