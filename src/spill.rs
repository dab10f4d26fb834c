//! Sorted runs on disk, for roll-ups larger than the memory a run may use (an
//! external merge). A run is a file of records in key order, written when the
//! in-memory accumulators grow past their budget; [`Merge`] reads every run
//! back, with the accumulators still in memory, in key order, folding records
//! of the same key into one. Records are written in a small binary form
//! (length-prefixed), not JSON: a run at 1,000,000 pages spills tens of
//! millions of them.
//!
//! A run's plan (`plan.rs`) is a file of records in the same form, read
//! forward with [`RecordReader`]: only [`Record`]s (with a key order) merge.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// How a record is written to a file of records and read back.
pub trait Codec: Sized {
    fn encode(&self, e: &mut Encoder);
    fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError>;
}

/// A record of a sorted run.
pub trait Record: Codec {
    /// The order of the run, which is also the order of the published table.
    fn key_cmp(&self, other: &Self) -> Ordering;
    /// Folds `later`, a record of the same key from a later run, into `self`.
    fn merge(&mut self, later: Self);
}

/// A run file that does not hold what was written to it.
#[derive(Debug)]
pub struct DecodeError;

/// Writes the fields of a record.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.buf.push(1);
                self.str(s);
            }
            None => self.buf.push(0),
        }
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(b);
    }
    pub fn strs(&mut self, v: &[String]) {
        self.buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
        for s in v {
            self.str(s);
        }
    }
    /// A date as its day number from the Common Era; `i32::MIN` for none.
    pub fn opt_date(&mut self, d: Option<NaiveDate>) {
        use chrono::Datelike;
        self.i32(d.map_or(i32::MIN, |d| d.num_days_from_ce()));
    }
}

/// Reads the fields of a record, in the order they were written.
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], DecodeError> {
        self.take(N)?.try_into().map_err(|_| DecodeError)
    }
    pub fn u64(&mut self) -> std::result::Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> std::result::Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> std::result::Result<i32, DecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> std::result::Result<f64, DecodeError> {
        Ok(f64::from_bits(u64::from_le_bytes(self.array()?)))
    }
    fn len(&mut self) -> std::result::Result<usize, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }
    pub fn str(&mut self) -> std::result::Result<String, DecodeError> {
        let n = self.len()?;
        simdutf8::basic::from_utf8(self.take(n)?)
            .map(str::to_owned)
            .map_err(|_| DecodeError)
    }
    pub fn bytes(&mut self) -> std::result::Result<&'a [u8], DecodeError> {
        let n = self.len()?;
        self.take(n)
    }
    pub fn opt_str(&mut self) -> std::result::Result<Option<String>, DecodeError> {
        match self.take(1)?[0] {
            0 => Ok(None),
            _ => self.str().map(Some),
        }
    }
    pub fn strs(&mut self) -> std::result::Result<Vec<String>, DecodeError> {
        let n = self.len()?;
        (0..n).map(|_| self.str()).collect()
    }
    pub fn opt_date(&mut self) -> std::result::Result<Option<NaiveDate>, DecodeError> {
        let d = self.i32()?;
        if d == i32::MIN {
            return Ok(None);
        }
        NaiveDate::from_num_days_from_ce_opt(d)
            .map(Some)
            .ok_or(DecodeError)
    }
}

/// Writes `records`, already in key order, as the run file `path`.
pub fn write_run<R: Record>(path: &Path, records: impl IntoIterator<Item = R>) -> Result<()> {
    let mut records = records.into_iter();
    write_run_from(path, || Ok(records.next()))
}

/// Writes the records `next` gives, in the order given, as the file `path`
/// (for a run, in key order); [`RecordReader`] reads them back.
pub fn write_run_from<R: Codec>(path: &Path, mut next: impl FnMut() -> Result<Option<R>>) -> Result<()> {
    let file = File::create(path).map_err(Error::writing(path))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let mut e = Encoder::default();
    while let Some(r) = next()? {
        e.buf.clear();
        r.encode(&mut e);
        crate::frame::write_frame(&mut w, &e.buf).map_err(Error::writing(path))?;
    }
    w.flush().map_err(Error::writing(path))
}

/// The records of a file [`write_run_from`] wrote, read forward.
pub struct RecordReader<R> {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    record: std::marker::PhantomData<R>,
}

impl<R: Codec> RecordReader<R> {
    pub fn open(path: &Path) -> Result<RecordReader<R>> {
        let file = File::open(path).map_err(Error::reading(path))?;
        Ok(RecordReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            buf: Vec::new(),
            record: std::marker::PhantomData,
        })
    }

    /// The next record; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        if !crate::frame::read_frame(&mut self.reader, &mut self.buf).map_err(Error::reading(&self.path))? {
            return Ok(None);
        }
        R::decode(&mut Decoder { buf: &self.buf })
            .map(Some)
            .map_err(|_| Error::Read {
                path: self.path.clone(),
                source: io::Error::new(io::ErrorKind::InvalidData, "a spilled record is damaged"),
            })
    }
}

/// Where a merge reads records from.
enum Source<R> {
    Run(RecordReader<R>),
    Memory(std::vec::IntoIter<R>),
}

impl<R: Record> Source<R> {
    fn next(&mut self) -> Result<Option<R>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::Run(run) => run.next_record(),
        }
    }
}

/// The smallest record of one source, ordered for a min-heap; ties go to the
/// earlier source, so records fold in the order their runs were written.
struct Head<R> {
    record: R,
    source: usize,
}

impl<R: Record> Ord for Head<R> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .record
            .key_cmp(&self.record)
            .then(other.source.cmp(&self.source))
    }
}

impl<R: Record> PartialOrd for Head<R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R: Record> PartialEq for Head<R> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<R: Record> Eq for Head<R> {}

/// The records of several sorted runs in key order, one per key.
pub struct Merge<R> {
    sources: Vec<Source<R>>,
    heap: BinaryHeap<Head<R>>,
}

impl<R: Record> Merge<R> {
    /// Opens the run files (in the order they were written), then the sorted
    /// records still in memory, which come last.
    pub fn new(runs: &[PathBuf], memory: Vec<R>) -> Result<Merge<R>> {
        let mut sources = Vec::with_capacity(runs.len() + 1);
        for path in runs {
            sources.push(Source::Run(RecordReader::open(path)?));
        }
        sources.push(Source::Memory(memory.into_iter()));
        let mut m = Merge {
            sources,
            heap: BinaryHeap::new(),
        };
        for i in 0..m.sources.len() {
            m.refill(i)?;
        }
        Ok(m)
    }

    fn refill(&mut self, source: usize) -> Result<()> {
        if let Some(record) = self.sources[source].next()? {
            self.heap.push(Head { record, source });
        }
        Ok(())
    }

    /// The next key's record, folded from every run that has it.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        let Some(Head { mut record, source }) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(source)?;
        while self
            .heap
            .peek()
            .is_some_and(|h| h.record.key_cmp(&record) == Ordering::Equal)
        {
            if let Some(h) = self.heap.pop() {
                record.merge(h.record);
                self.refill(h.source)?;
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count per word.
    #[derive(Debug, PartialEq)]
    struct Count(String, i64, Option<NaiveDate>);

    impl Record for Count {
        fn key_cmp(&self, other: &Self) -> Ordering {
            self.0.cmp(&other.0)
        }
        fn merge(&mut self, later: Self) {
            self.1 += later.1;
            self.2 = self.2.max(later.2);
        }
    }

    impl Codec for Count {
        fn encode(&self, e: &mut Encoder) {
            e.str(&self.0);
            e.i64(self.1);
            e.opt_date(self.2);
        }
        fn decode(d: &mut Decoder) -> std::result::Result<Self, DecodeError> {
            Ok(Count(d.str()?, d.i64()?, d.opt_date()?))
        }
    }

    fn c(w: &str, n: i64, day: Option<u32>) -> Count {
        Count(w.into(), n, day.and_then(|d| NaiveDate::from_ymd_opt(2024, 1, d)))
    }

    #[test]
    fn merges_runs_and_memory_in_key_order_folding_equal_keys() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        write_run(&a, [c("bình", 1, Some(3)), c("hà", 2, None), c("xã", 1, Some(1))]).unwrap();
        write_run(&b, [c("an", 4, None), c("hà", 5, Some(9))]).unwrap();
        let mut m = Merge::new(&[a, b], vec![c("hà", 1, Some(2)), c("phường", 7, None)]).unwrap();
        let mut got = Vec::new();
        while let Some(r) = m.next_record().unwrap() {
            got.push(r);
        }
        assert_eq!(
            got,
            vec![
                c("an", 4, None),
                c("bình", 1, Some(3)),
                c("hà", 8, Some(9)),
                c("phường", 7, None),
                c("xã", 1, Some(1)),
            ]
        );
    }

    #[test]
    fn a_damaged_run_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        write_run(&a, [c("hà", 2, None)]).unwrap();
        let mut bytes = std::fs::read(&a).unwrap();
        bytes.truncate(bytes.len() - 3);
        // A length that promises more than the file holds.
        std::fs::write(&a, &bytes).unwrap();
        let e = Merge::<Count>::new(std::slice::from_ref(&a), Vec::new())
            .err()
            .expect("a truncated run must not read");
        assert!(e.to_string().contains(&a.display().to_string()), "{e}");
    }
}
