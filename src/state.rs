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

fn werr(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The files of a run, if its state is there and readable.
pub fn load_files(out: &Path, run_id: &str) -> Option<Files> {
    let p = runs_dir(out).join(run_id).join("files.json");
    serde_json::from_slice(&fs::read(p).ok()?).ok()
}

/// The stored rows of the given sources, from a run's state.
pub fn load_rows(
    out: &Path,
    run_id: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Vec<Extraction>>> {
    let p = runs_dir(out).join(run_id).join("rows.jsonl.zst");
    let file = fs::File::open(&p).map_err(|source| Error::Read {
        path: p.clone(),
        source,
    })?;
    let reader = zstd::stream::read::Decoder::new(file).map_err(|source| Error::Read {
        path: p.clone(),
        source,
    })?;
    let mut rows = BTreeMap::new();
    for line in BufReader::new(reader).lines() {
        let line = line.map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let parsed: RowsLine = serde_json::from_str(&line).map_err(|e| Error::Read {
            path: p.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        if wanted(&parsed.source) {
            rows.insert(parsed.source, parsed.extractions);
        }
    }
    Ok(rows)
}

/// Writes a run's state into a hidden folder, then renames it into place.
pub fn write(
    out: &Path,
    run_id: &str,
    files: &Files,
    rows: &BTreeMap<String, Vec<Extraction>>,
) -> Result<()> {
    let runs = runs_dir(out);
    fs::create_dir_all(&runs).map_err(werr(&runs))?;
    let tmp = runs.join(format!(".tmp-{run_id}"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(werr(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(werr(&tmp))?;
    let files_path = tmp.join("files.json");
    fs::write(&files_path, serde_json::to_vec(files).unwrap_or_default()).map_err(werr(&files_path))?;
    let rows_path = tmp.join("rows.jsonl.zst");
    let f = fs::File::create(&rows_path).map_err(werr(&rows_path))?;
    let mut enc = zstd::stream::write::Encoder::new(f, 3).map_err(werr(&rows_path))?;
    for (source, extractions) in rows {
        let line = RowsLine {
            source: source.clone(),
            extractions: extractions.clone(),
        };
        let text = serde_json::to_string(&line).unwrap_or_default();
        enc.write_all(text.as_bytes()).map_err(werr(&rows_path))?;
        enc.write_all(b"\n").map_err(werr(&rows_path))?;
    }
    let f = enc.finish().map_err(werr(&rows_path))?;
    f.sync_all().map_err(werr(&rows_path))?;
    let dst = runs.join(run_id);
    fs::rename(&tmp, &dst).map_err(werr(&dst))
}

/// Rewrites only `files.json` of an existing run (new modification times of
/// files whose content did not change), atomically.
pub fn refresh_files(out: &Path, run_id: &str, files: &Files) -> Result<()> {
    let dir = runs_dir(out).join(run_id);
    let tmp = dir.join(".files.json.tmp");
    fs::write(&tmp, serde_json::to_vec(files).unwrap_or_default()).map_err(werr(&tmp))?;
    let dst = dir.join("files.json");
    fs::rename(&tmp, &dst).map_err(werr(&dst))
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
            fs::remove_dir_all(&p).map_err(werr(&p))?;
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
        let mut rows = BTreeMap::new();
        rows.insert("a.txt".to_string(), vec![Extraction::quarantined(doc)]);
        write(dir.path(), "run1", &files, &rows).unwrap();
        assert_eq!(load_files(dir.path(), "run1"), Some(files));
        assert_eq!(load_rows(dir.path(), "run1", &|_| true).unwrap(), rows);
        assert!(load_rows(dir.path(), "run1", &|s| s != "a.txt")
            .unwrap()
            .is_empty());
        prune(dir.path(), &[]).unwrap();
        assert_eq!(load_files(dir.path(), "run1"), None);
    }
}
