//! Incremental state under `OUT/state/runs/<run_id>/`: for each input file its
//! size, modification time, content hash and the key of the rules that read
//! it (`files.json`), and the rows extracted from it (`rows.jsonl.zst`). A
//! run's state is complete before `current` names its snapshot, so the state
//! read next time always matches `current`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
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

#[derive(Serialize, Deserialize)]
struct RowsLine {
    source: String,
    extractions: Vec<Extraction>,
}

fn runs_dir(out: &Path) -> PathBuf {
    out.join("state").join("runs")
}

/// The files of a run, if its state is there and readable. Parsed as it is
/// read: at a million files the text is ten times the map.
pub fn load_files(out: &Path, run_id: &str) -> Option<Files> {
    let p = runs_dir(out).join(run_id).join("files.json");
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
    lines: std::io::Lines<BufReader<zstd::stream::read::Decoder<'static, BufReader<fs::File>>>>,
}

impl StoredRows {
    pub fn open(out: &Path, run_id: &str) -> Result<StoredRows> {
        let path = runs_dir(out).join(run_id).join("rows.jsonl.zst");
        let file = fs::File::open(&path).map_err(Error::reading(&path))?;
        let reader = zstd::stream::read::Decoder::new(file).map_err(Error::reading(&path))?;
        Ok(StoredRows {
            lines: BufReader::with_capacity(1 << 16, reader).lines(),
            path,
        })
    }

    fn next_line(&mut self) -> Result<Option<RowsLine>> {
        let Some(line) = self.lines.next() else {
            return Ok(None);
        };
        let line = line.map_err(Error::reading(&self.path))?;
        serde_json::from_str(&line).map(Some).map_err(|e| Error::Read {
            path: self.path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
    }

    /// The rows of `source`, skipping those of files before it. Sources must
    /// be asked for in the order the state was written (the run's file
    /// order); `None` when the state has no rows for it.
    pub fn take(&mut self, source: &str) -> Result<Option<Vec<Extraction>>> {
        while let Some(line) = self.next_line()? {
            if line.source == source {
                return Ok(Some(line.extractions));
            }
        }
        Ok(None)
    }
}

/// A run's state being written, one input file at a time, into a hidden
/// folder that [`StateWriter::finish`] renames into place. Dropped
/// unfinished, it deletes the hidden folder.
pub struct StateWriter {
    dir: StagingDir,
    rows_path: PathBuf,
    rows: zstd::stream::write::Encoder<'static, std::io::BufWriter<fs::File>>,
    line: Vec<u8>,
    files: FilesWriter,
}

impl StateWriter {
    pub fn create(out: &Path, run_id: &str) -> Result<StateWriter> {
        let dir = StagingDir::create(&runs_dir(out), run_id)?;
        let rows_path = dir.path().join("rows.jsonl.zst");
        let f = fs::File::create(&rows_path).map_err(Error::writing(&rows_path))?;
        // Level 1: the state is rewritten on every run, so speed beats size.
        let enc = zstd::stream::write::Encoder::new(std::io::BufWriter::with_capacity(1 << 16, f), 1)
            .map_err(Error::writing(&rows_path))?;
        let files = FilesWriter::create(&dir.path().join("files.json"))?;
        Ok(StateWriter {
            dir,
            rows_path,
            rows: enc,
            line: Vec::new(),
            files,
        })
    }

    /// Stores the facts of one input file and the rows read from it, files
    /// in the run's order.
    pub fn add(&mut self, source: &str, state: &FileState, extractions: &[Extraction]) -> Result<()> {
        self.files.add(source, state)?;
        #[derive(Serialize)]
        struct Line<'a> {
            source: &'a str,
            extractions: &'a [Extraction],
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, &Line { source, extractions }).map_err(|e| Error::Write {
            path: self.rows_path.clone(),
            source: std::io::Error::other(e),
        })?;
        self.line.push(b'\n');
        self.rows
            .write_all(&self.line)
            .map_err(Error::writing(&self.rows_path))
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
}
