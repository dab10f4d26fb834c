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

/// What a run knew of one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: i64,
    /// Hash of the file's bytes as stored.
    pub content_sha256: String,
    /// The rules that read it (rules version and the lexicons that apply).
    pub rules_key: String,
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

/// The files of a run, if its state is there and readable.
pub fn load_files(out: &Path, run_id: &str) -> Option<Files> {
    let p = runs_dir(out).join(run_id).join("files.json");
    serde_json::from_slice(&fs::read(p).ok()?).ok()
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
}

impl StateWriter {
    pub fn create(out: &Path, run_id: &str) -> Result<StateWriter> {
        let dir = StagingDir::create(&runs_dir(out), run_id)?;
        let rows_path = dir.path().join("rows.jsonl.zst");
        let f = fs::File::create(&rows_path).map_err(Error::writing(&rows_path))?;
        // Level 1: the state is rewritten on every run, so speed beats size.
        let enc = zstd::stream::write::Encoder::new(std::io::BufWriter::with_capacity(1 << 16, f), 1)
            .map_err(Error::writing(&rows_path))?;
        Ok(StateWriter {
            dir,
            rows_path,
            rows: enc,
            line: Vec::new(),
        })
    }

    /// Stores the rows read from one input file.
    pub fn add(&mut self, source: &str, extractions: &[Extraction]) -> Result<()> {
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

    /// Writes `files.json`, closes the rows and renames the folder into place.
    pub fn finish(self, files: &Files) -> Result<()> {
        let files_path = self.dir.path().join("files.json");
        fs::write(&files_path, serde_json::to_vec(files).unwrap_or_default())
            .map_err(Error::writing(&files_path))?;
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
pub fn refresh_files(out: &Path, run_id: &str, files: &Files) -> Result<()> {
    let dir = runs_dir(out).join(run_id);
    let tmp = dir.join(".files.json.tmp");
    fs::write(&tmp, serde_json::to_vec(files).unwrap_or_default()).map_err(Error::writing(&tmp))?;
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
                content_sha256: "ab".into(),
                rules_key: "r1".into(),
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
        let mut w = StateWriter::create(dir.path(), "run1").unwrap();
        w.add("a.txt", &rows_a).unwrap();
        w.add("b.txt", &rows_b).unwrap();
        w.finish(&files).unwrap();
        assert_eq!(load_files(dir.path(), "run1"), Some(files));
        // Read forward in the order written; a source skipped over is not seen again.
        let mut stored = StoredRows::open(dir.path(), "run1").unwrap();
        assert_eq!(stored.take("a.txt").unwrap(), Some(rows_a));
        assert_eq!(stored.take("b.txt").unwrap(), Some(rows_b));
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
