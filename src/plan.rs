//! What a run does with each input file, decided in one walk of the input:
//! read it again (new, changed, or every file on a full run) or reuse the
//! rows stored for it. The decisions go to a file of records in input order,
//! not to memory, and the run reads them back a chunk at a time, so what a
//! run holds does not grow with the number of input files.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::ingest::{self, InputFile};
use crate::spill::{self, Codec, DecodeError, Decoder, Encoder, RecordReader};
use crate::state::{FileState, Files};

/// One input file and what the run does with it.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub file: InputFile,
    /// Read again, or its stored rows reused.
    pub read: bool,
    /// Its facts for the next state: the file's size and time (written once
    /// in a plan), its hash and rules key. The hash of a new file is not
    /// known until the worker that reads it has its bytes.
    pub state: FileState,
}

impl Codec for PlannedFile {
    fn encode(&self, e: &mut Encoder) {
        // The state's size and time are the file's: written once.
        self.file.encode(e);
        e.u64(u64::from(self.read));
        e.bytes(self.state.content_sha256.as_ref().map_or(&[][..], |h| &h[..]));
        e.u64(self.state.rules_key);
    }

    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
        let file = InputFile::decode(d)?;
        let read = d.u64()? != 0;
        let (size, mtime_ns) = (file.size, file.mtime_ns);
        let content_sha256 = match d.bytes()? {
            [] => None,
            h => Some(h.try_into().map_err(|_| DecodeError)?),
        };
        let rules_key = d.u64()?;
        Ok(PlannedFile {
            file,
            read,
            state: FileState {
                size,
                mtime_ns,
                content_sha256,
                rules_key,
            },
        })
    }
}

/// The counts of a plan, and where its decisions are.
#[derive(Debug)]
pub struct Plan {
    path: PathBuf,
    /// Input files found.
    pub files: usize,
    /// How many are read again.
    pub to_read: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Whether every file's facts are those the previous state has (same
    /// files, sizes, times and hashes): else a run with nothing to read
    /// still records the new times.
    pub same_as_previous: bool,
}

/// Decides, for each file of `walk`, whether it is read again, against the
/// files of the previous run; the decisions are written to `path`.
pub fn plan(
    walk: impl Iterator<Item = InputFile>,
    previous: Option<&Files>,
    key_of: &dyn Fn(&str) -> u64,
    full: bool,
    verify: bool,
    path: &Path,
) -> Result<Plan> {
    let mut p = Plan {
        path: path.to_path_buf(),
        files: 0,
        to_read: 0,
        new: 0,
        changed: 0,
        unchanged: 0,
        removed: 0,
        same_as_previous: previous.is_some(),
    };
    let mut found_before = 0;
    let mut walk = walk;
    spill::write_run_from(path, || {
        let Some(f) = walk.next() else { return Ok(None) };
        p.files += 1;
        let key = key_of(&f.source);
        let before = previous.and_then(|prev| prev.get(&f.source));
        found_before += usize::from(before.is_some());
        let same_stat =
            before.is_some_and(|b| b.size == f.size && b.mtime_ns == f.mtime_ns && f.mtime_ns != 0);
        // Size and modification time tell most unchanged files without reading
        // them; the others (or all, with --verify) are hashed. A new file is
        // hashed by the worker that reads it, which has its bytes anyway.
        let hash = match (same_stat && !verify, before) {
            (true, Some(b)) => b.content_sha256,
            (_, None) => None,
            _ => ingest::sha256_of_file(f.path()).ok(),
        };
        let state = FileState {
            size: f.size,
            mtime_ns: f.mtime_ns,
            content_sha256: hash,
            rules_key: key,
        };
        p.same_as_previous &= before == Some(&state);
        let read = match before {
            None => {
                p.new += 1;
                true
            }
            Some(b) => {
                let same = b.content_sha256 == state.content_sha256 && b.rules_key == state.rules_key;
                p.changed += usize::from(!same);
                p.unchanged += usize::from(same);
                !same || full
            }
        };
        p.to_read += usize::from(read);
        Ok(Some(PlannedFile { file: f, read, state }))
    })?;
    if let Some(prev) = previous {
        // Sources are unique: the previous files not found again are gone.
        p.removed = prev.len() - found_before;
        p.same_as_previous &= prev.len() == p.files;
    }
    Ok(p)
}

/// Files per chunk, and input bytes per chunk, whichever comes first.
const CHUNK_FILES: usize = 512;
const CHUNK_BYTES: u64 = 32 << 20;

/// A plan's files read back in input order.
pub struct PlanReader {
    records: RecordReader<PlannedFile>,
}

impl PlanReader {
    pub fn open(plan: &Plan) -> Result<PlanReader> {
        Ok(PlanReader {
            records: RecordReader::open(&plan.path)?,
        })
    }

    /// The next file; `None` after the last.
    pub fn next_file(&mut self) -> Result<Option<PlannedFile>> {
        self.records.next_record()
    }

    /// The next files: at most [`CHUNK_FILES`], and at most about
    /// [`CHUNK_BYTES`] to read. Empty after the last.
    pub fn next_chunk(&mut self) -> Result<Vec<PlannedFile>> {
        let (mut chunk, mut bytes) = (Vec::new(), 0u64);
        while let Some(f) = self.next_file()? {
            bytes += if f.read { f.file.size } else { 0 };
            chunk.push(f);
            if chunk.len() >= CHUNK_FILES || bytes >= CHUNK_BYTES {
                break;
            }
        }
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(size: u64, hash: Option<u8>) -> FileState {
        FileState {
            size,
            mtime_ns: 5,
            content_sha256: hash.map(|b| [b; 32]),
            rules_key: 9,
        }
    }

    #[test]
    fn planned_files_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan");
        let mut name = dir.path().join("a.txt").into_os_string();
        #[cfg(unix)]
        name.push(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(
            b"\xff",
        ));
        let files = vec![
            PlannedFile {
                file: InputFile::new(dir.path().join("x/b.txt"), "x/b.txt".into(), 12, 34),
                read: true,
                // A planned file's state has its file's size and time.
                state: FileState {
                    mtime_ns: 34,
                    ..state(12, None)
                },
            },
            PlannedFile {
                file: InputFile::new(PathBuf::from(&name), "a.txt?".into(), 1, -2),
                read: false,
                state: FileState {
                    mtime_ns: -2,
                    ..state(1, Some(0xab))
                },
            },
        ];
        spill::write_run_from(&path, {
            let mut it = files.clone().into_iter();
            move || Ok(it.next())
        })
        .unwrap();
        let mut r = RecordReader::<PlannedFile>::open(&path).unwrap();
        for want in &files {
            let got = r.next_record().unwrap().unwrap();
            assert_eq!(got.file.path(), want.file.path());
            assert_eq!(
                (
                    &got.file.source,
                    got.file.size,
                    got.file.mtime_ns,
                    got.read,
                    got.state
                ),
                (
                    &want.file.source,
                    want.file.size,
                    want.file.mtime_ns,
                    want.read,
                    want.state
                )
            );
        }
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn plans_against_the_previous_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        std::fs::create_dir_all(&root).unwrap();
        for (name, text) in [("a.txt", "aaa"), ("b.txt", "bbbb"), ("d.txt", "dd")] {
            std::fs::write(root.join(name), text).unwrap();
        }
        let walked: Vec<InputFile> = ingest::discover(&root).unwrap();
        let a = &walked[0];
        let mut previous = Files::new();
        // a: same size and time, so its stored hash is trusted; b: another
        // size, so it is hashed and differs; c: gone; d: new.
        let a_state = FileState {
            size: a.size,
            mtime_ns: a.mtime_ns,
            content_sha256: Some([1; 32]),
            rules_key: 9,
        };
        previous.insert("a.txt".into(), a_state);
        previous.insert("b.txt".into(), state(99, Some(2)));
        previous.insert("c.txt".into(), state(1, Some(3)));
        let path = dir.path().join("plan");
        // A plan of the walked files against `previous`, under rules `key`.
        let plan_of = |previous: &Files, key: u64, full: bool| {
            plan(
                walked.clone().into_iter(),
                Some(previous),
                &move |_| key,
                full,
                false,
                &path,
            )
            .unwrap()
        };
        let p = plan_of(&previous, 9, false);
        assert_eq!(
            (
                p.files,
                p.to_read,
                p.new,
                p.changed,
                p.unchanged,
                p.removed,
                p.same_as_previous
            ),
            (3, 2, 1, 1, 1, 1, false)
        );
        let mut r = PlanReader::open(&p).unwrap();
        let chunk = r.next_chunk().unwrap();
        let reads: Vec<(&str, bool)> = chunk.iter().map(|f| (f.file.source.as_str(), f.read)).collect();
        assert_eq!(reads, [("a.txt", false), ("b.txt", true), ("d.txt", true)]);
        assert_eq!(chunk[0].state, a_state);
        // b was hashed by the plan; d waits for the worker that reads it.
        let b_hash = ingest::hash_file(&root.join("b.txt")).unwrap();
        assert_eq!(
            chunk[1].state.content_sha256,
            crate::state::sha256_from_hex(&b_hash)
        );
        assert_eq!(chunk[2].state.content_sha256, None);
        assert!(r.next_chunk().unwrap().is_empty());

        // The same files with the facts now known: nothing to read, and the
        // facts are those of the previous state.
        let same: Files = chunk
            .iter()
            .map(|f| {
                let mut st = f.state;
                st.content_sha256.get_or_insert([7; 32]);
                (f.file.source.clone(), st)
            })
            .collect();
        let p = plan_of(&same, 9, false);
        assert_eq!(
            (p.to_read, p.unchanged, p.removed, p.same_as_previous),
            (0, 3, 0, true)
        );
        // A full run reads them all; other rules read them all as changed.
        let p = plan_of(&same, 9, true);
        assert_eq!((p.to_read, p.unchanged, p.changed), (3, 3, 0));
        let p = plan_of(&same, 10, false);
        assert_eq!((p.to_read, p.changed, p.same_as_previous), (3, 3, false));
    }

    #[test]
    fn chunks_hold_at_most_their_share_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        std::fs::create_dir_all(&root).unwrap();
        for i in 0..(CHUNK_FILES + 3) {
            std::fs::write(root.join(format!("{i:04}.txt")), "x").unwrap();
        }
        let path = dir.path().join("plan");
        let p = plan(ingest::walk(&root).unwrap(), None, &|_| 0, false, false, &path).unwrap();
        assert_eq!(
            (p.files, p.new, p.to_read, p.same_as_previous),
            (CHUNK_FILES + 3, CHUNK_FILES + 3, CHUNK_FILES + 3, false)
        );
        let mut r = PlanReader::open(&p).unwrap();
        assert_eq!(r.next_chunk().unwrap().len(), CHUNK_FILES);
        let last = r.next_chunk().unwrap();
        assert_eq!(
            last.iter().map(|f| f.file.source.as_str()).collect::<Vec<_>>(),
            ["0512.txt", "0513.txt", "0514.txt"]
        );
        assert!(r.next_chunk().unwrap().is_empty());
    }
}
