//! A synthetic corpus: N meeting pages in every form the pipeline reads, with
//! the rows a reader should take from each, so that it doubles as a large test
//! (`hoinghi generate`).
//!
//! Layout of the output folder:
//!
//! ```text
//! DIR/pages/000/000000-xa-tan-hoi-tong-ket-....txt     the documents, at most 1000 files a folder
//! DIR/expected.jsonl      one object per good document, in the format of
//!                         sample-data/expected.json (`source` is the
//!                         documents.source the pipeline publishes)
//! DIR/expected.json       the same as one JSON list, for shared/eval/score.py (--expected-json)
//! DIR/quarantined.jsonl   the bad inputs: source, kind, part of the expected error
//! DIR/corpus.json         seed, counts per storage form
//! ```
//!
//! Pages are composed from hand-written template fragments
//! (`pipelines/corpus/*.toml`, compiled in), each carrying its own expected
//! rows, at real units of the bundled gazetteer. The same seed and page count
//! give the same bytes; memory does not grow with the page count (every page is
//! written as soon as it is made).

mod data;
mod formats;
mod numbers;
mod page;
pub mod rng;
mod units;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use formats::{Bad, Form, BAD_KINDS, MIX};
pub use page::Expected;

use data::Templates;
use page::Shape;
use rng::Rng;
use units::Units;

/// What can go wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus templates: {0}")]
    Data(String),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{} already exists: remove it or pass --force", .0.display())]
    Exists(PathBuf),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    /// Documents to write (a dump holds several; bad inputs count too).
    pub documents: u64,
    pub seed: u64,
    /// Bad inputs per thousand documents.
    pub bad_per_mille: u32,
    /// Also write `expected.json` (a JSON list).
    pub expected_json: bool,
    /// Replace an existing corpus in `out`.
    pub force: bool,
    /// Also draw units whose names the pipeline's rules cannot read yet (units.rs).
    pub all_units: bool,
}

/// What was written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub documents: u64,
    pub good: u64,
    pub bad: u64,
    pub files: u64,
    /// Documents per storage form (see `formats::Form::name`).
    pub forms: BTreeMap<String, u64>,
    /// Bad inputs per kind.
    pub bad_kinds: BTreeMap<String, u64>,
    /// Gazetteer units pages are drawn from (before and after July 2025), and
    /// those left out because the rules cannot read their names (units.rs).
    pub units_old: usize,
    pub units_new: usize,
    pub units_left_out: usize,
}

#[derive(Serialize)]
struct QuarantineRow<'a> {
    source: &'a str,
    kind: &'a str,
    error_contains: &'a str,
}

// Streams of the generator: one per purpose, so that a change in one (say, the
// order of formats) leaves the others as they were.
const STREAM_PAGE: u64 = 1;
const STREAM_FORM: u64 = 2;
const STREAM_CYCLE: u64 = 3;
const STREAM_BAD: u64 = 4;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CorpusError + '_ {
    move |source| CorpusError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The number of bad inputs for a document count and rate, rounded.
pub fn bad_count(documents: u64, per_mille: u32) -> u64 {
    ((documents * u64::from(per_mille) + 500) / 1000).min(documents)
}

/// Document positions of the bad inputs, spread evenly.
fn bad_positions(documents: u64, bad: u64) -> Vec<u64> {
    (0..bad).map(|k| (2 * k + 1) * documents / (2 * bad)).collect()
}

struct Writer<'a> {
    opts: &'a Options,
    t: Templates,
    units: Units,
    pages_dir: PathBuf,
    files: u64,
    folder: Option<u64>,
    expected: BufWriter<File>,
    expected_list: Option<(BufWriter<File>, bool)>,
    quarantine: BufWriter<File>,
    summary: Summary,
}

impl Writer<'_> {
    /// Path and source of the next file, creating its folder when it is new.
    fn next_file(&mut self, pos: u64, stem: &str, ext: &str) -> Result<(PathBuf, String), CorpusError> {
        let folder = self.files / 1000;
        let dir = self.pages_dir.join(format!("{folder:03}"));
        if self.folder != Some(folder) {
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            self.folder = Some(folder);
        }
        self.files += 1;
        let name = format!("{pos:06}-{stem}.{ext}");
        let source = format!("{folder:03}/{name}");
        Ok((dir.join(name), source))
    }

    fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), CorpusError> {
        std::fs::write(path, bytes).map_err(io(path))
    }

    fn expect(&mut self, e: &Expected) -> Result<(), CorpusError> {
        let line = serde_json::to_string(e).expect("expected rows serialise");
        let path = self.opts.out.join("expected.jsonl");
        self.expected.write_all(line.as_bytes()).map_err(io(&path))?;
        self.expected.write_all(b"\n").map_err(io(&path))?;
        if let Some((w, first)) = &mut self.expected_list {
            let path = self.opts.out.join("expected.json");
            w.write_all(if *first { b"[\n" } else { b",\n" })
                .map_err(io(&path))?;
            w.write_all(line.as_bytes()).map_err(io(&path))?;
            *first = false;
        }
        self.summary.good += 1;
        Ok(())
    }

    fn quarantined(&mut self, source: &str, kind: Bad) -> Result<(), CorpusError> {
        let row = QuarantineRow {
            source,
            kind: kind.name(),
            error_contains: kind.error(),
        };
        let line = serde_json::to_string(&row).expect("rows serialise");
        let path = self.opts.out.join("quarantined.jsonl");
        self.quarantine.write_all(line.as_bytes()).map_err(io(&path))?;
        self.quarantine.write_all(b"\n").map_err(io(&path))?;
        self.summary.bad += 1;
        *self.summary.bad_kinds.entry(kind.name().to_string()).or_default() += 1;
        Ok(())
    }

    fn count_form(&mut self, form: Form, n: u64) {
        *self.summary.forms.entry(form.name().to_string()).or_default() += n;
    }

    fn page(&self, pos: u64, shape: Shape) -> Result<(page::Page, Expected), CorpusError> {
        page::build(
            &self.t,
            &self.units,
            Rng::for_item(self.opts.seed, STREAM_PAGE, pos),
            shape,
        )
    }

    /// One page in a single-document form.
    fn single(&mut self, pos: u64, form: Form) -> Result<(), CorpusError> {
        let shape = Shape {
            no_footer: false,
            tcvn3: form == Form::TxtTcvn3,
        };
        let (page, mut exp) = self.page(pos, shape)?;
        let (path, source) = self.next_file(pos, &page.slug, form.extension())?;
        exp.source = source;
        let mut rng = Rng::for_item(self.opts.seed, STREAM_FORM, pos);
        let (bytes, written) = if form.is_html() {
            formats::html_bytes(&page, form, &mut rng)
        } else {
            formats::text_bytes(&page, form, &mut rng)
        };
        self.write_file(&path, &bytes)?;
        self.count_form(written, 1);
        self.expect(&exp)
    }

    /// A crawl dump of `records` pages, and any bad lines waiting for one.
    fn dump(&mut self, pos: u64, form: Form, records: u64, bad_lines: u64) -> Result<(), CorpusError> {
        let stem = "crawl-dump";
        let (path, source) = self.next_file(pos, stem, form.extension())?;
        let mut rng = Rng::for_item(self.opts.seed, STREAM_FORM, pos);
        let mut text = String::with_capacity(8000 * records as usize);
        let mut expected = Vec::new();
        let mut line = 0u64;
        let mut last_record = String::new();
        for i in 0..records {
            line += 1;
            let shape = Shape {
                no_footer: true,
                tcvn3: false,
            };
            let (page, mut exp) = self.page(pos + i, shape)?;
            exp.source = format!("{source}#{line}");
            let rec = formats::record(&page, &mut rng);
            text.push_str(&rec);
            text.push('\n');
            last_record = rec;
            expected.push(exp);
        }
        let mut bad_sources = Vec::new();
        for b in 0..bad_lines {
            line += 1;
            if last_record.is_empty() {
                let mut r = Rng::for_item(self.opts.seed, STREAM_BAD, pos + b);
                let (page, _) = self.page(pos + b, Shape::default())?;
                last_record = formats::record(&page, &mut r);
            }
            let cut = formats::truncated_record(&last_record, &mut rng);
            text.push_str(&cut);
            text.push('\n');
            bad_sources.push(format!("{source}#{line}"));
        }
        let bytes = match form {
            Form::JsonlGz => formats::gzip(text.as_bytes()),
            Form::JsonlZst => formats::zstd(text.as_bytes()),
            _ => text.into_bytes(),
        };
        self.write_file(&path, &bytes)?;
        self.count_form(form, records);
        for e in &expected {
            self.expect(e)?;
        }
        for s in bad_sources {
            self.quarantined(&s, Bad::BadDumpLine)?;
        }
        Ok(())
    }

    /// A bad file (a bad dump line is written with the next dump instead).
    fn bad_file(&mut self, pos: u64, kind: Bad) -> Result<(), CorpusError> {
        let mut rng = Rng::for_item(self.opts.seed, STREAM_BAD, pos);
        let sample = if kind == Bad::CorruptGzip {
            let (page, _) = self.page(pos, Shape::default())?;
            formats::text(&page)
        } else {
            String::new()
        };
        let bytes = formats::bad_bytes(kind, &mut rng, &sample);
        let (path, source) = self.next_file(pos, kind.name(), kind.extension())?;
        self.write_file(&path, &bytes)?;
        self.quarantined(&source, kind)
    }
}

fn create(path: PathBuf) -> Result<BufWriter<File>, CorpusError> {
    File::create(&path)
        .map(|f| BufWriter::with_capacity(1 << 16, f))
        .map_err(|source| CorpusError::Write { path, source })
}

/// Writes the corpus. Deterministic: the same options give the same bytes.
pub fn generate(opts: &Options) -> Result<Summary, CorpusError> {
    let t = Templates::load()?;
    let units = Units::load(&t, opts.all_units)?;
    let out = &opts.out;
    let pages_dir = out.join("pages");
    let outputs = [
        "expected.jsonl",
        "expected.json",
        "quarantined.jsonl",
        "corpus.json",
    ];
    if pages_dir.exists() || outputs.iter().any(|o| out.join(o).exists()) {
        if !opts.force {
            return Err(CorpusError::Exists(pages_dir));
        }
        if pages_dir.exists() {
            std::fs::remove_dir_all(&pages_dir).map_err(io(&pages_dir))?;
        }
        for o in outputs {
            let p = out.join(o);
            if p.exists() {
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
        }
    }
    std::fs::create_dir_all(&pages_dir).map_err(io(&pages_dir))?;
    let expected_list = if opts.expected_json {
        Some((create(out.join("expected.json"))?, true))
    } else {
        None
    };
    let mut w = Writer {
        opts,
        t,
        units,
        pages_dir,
        files: 0,
        folder: None,
        expected: create(out.join("expected.jsonl"))?,
        expected_list,
        quarantine: create(out.join("quarantined.jsonl"))?,
        summary: Summary {
            seed: opts.seed,
            documents: opts.documents,
            ..Default::default()
        },
    };
    w.summary.units_old = w.units.old.len();
    w.summary.units_new = w.units.new.len();
    w.summary.units_left_out = w.units.skipped;

    let n = opts.documents;
    let bad = bad_count(n, opts.bad_per_mille);
    let bad_at = bad_positions(n, bad);
    let good_total = n - bad;
    let (mut pos, mut good, mut next_bad, mut pending_lines) = (0u64, 0u64, 0usize, 0u64);
    let mut schedule: Vec<Form> = Vec::new();
    let (mut cycle_no, mut slot) = (0u64, 0usize);
    loop {
        // The bad inputs due here; once every good page is written, all the rest.
        let done = good >= good_total;
        while next_bad < bad_at.len() && (done || bad_at[next_bad] <= pos) {
            let kind = BAD_KINDS[next_bad % BAD_KINDS.len()];
            if kind == Bad::BadDumpLine {
                pending_lines += 1;
            } else {
                w.bad_file(pos, kind)?;
            }
            next_bad += 1;
            pos += 1;
        }
        if done {
            break;
        }
        if slot == schedule.len() {
            schedule = formats::cycle(&mut Rng::for_item(opts.seed, STREAM_CYCLE, cycle_no));
            cycle_no += 1;
            slot = 0;
        }
        let form = schedule[slot];
        slot += 1;
        if form.is_dump() {
            let records = formats::DUMP_RECORDS.min(good_total - good);
            w.dump(pos, form, records, pending_lines)?;
            pending_lines = 0;
            good += records;
            pos += records;
        } else {
            w.single(pos, form)?;
            good += 1;
            pos += 1;
        }
    }
    if pending_lines > 0 {
        // No dump came after them: a dump of bad lines only.
        w.dump(pos, Form::Jsonl, 0, pending_lines)?;
    }

    let path = out.join("expected.jsonl");
    w.expected.flush().map_err(io(&path))?;
    if let Some((mut list, first)) = w.expected_list.take() {
        let path = out.join("expected.json");
        list.write_all(if first { b"[]\n" } else { b"\n]\n" })
            .map_err(io(&path))?;
        list.flush().map_err(io(&path))?;
    }
    let path = out.join("quarantined.jsonl");
    w.quarantine.flush().map_err(io(&path))?;
    w.summary.files = w.files;
    let manifest = serde_json::to_string_pretty(&w.summary).expect("summary serialises");
    let path = out.join("corpus.json");
    std::fs::write(&path, manifest + "\n").map_err(io(&path))?;
    Ok(w.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
        out
    }

    fn run(dir: &Path, documents: u64, seed: u64, bad: u32) -> Summary {
        generate(&Options {
            out: dir.to_path_buf(),
            documents,
            seed,
            bad_per_mille: bad,
            expected_json: true,
            force: false,
            all_units: false,
        })
        .unwrap()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        run(a.path(), 150, 42, 20);
        run(b.path(), 150, 42, 20);
        run(c.path(), 150, 43, 20);
        let (fa, fb, fc) = (
            files_under(a.path()),
            files_under(b.path()),
            files_under(c.path()),
        );
        assert!(fa.len() > 100);
        assert_eq!(fa, fb);
        assert_ne!(fa, fc);
    }

    #[test]
    fn bad_rate_and_every_form() {
        let dir = tempfile::tempdir().unwrap();
        let s = run(dir.path(), 1000, 7, 12);
        assert_eq!(s.bad, 12);
        assert_eq!(s.good + s.bad, 1000);
        for kind in BAD_KINDS {
            assert_eq!(s.bad_kinds.get(kind.name()), Some(&2), "{kind:?}");
        }
        let expected = std::fs::read_to_string(dir.path().join("expected.jsonl")).unwrap();
        assert_eq!(expected.lines().count() as u64, s.good);
        let q = std::fs::read_to_string(dir.path().join("quarantined.jsonl")).unwrap();
        assert_eq!(q.lines().count(), 12);
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap())
                .unwrap();
        assert_eq!(list.len() as u64, s.good);

        let small = tempfile::tempdir().unwrap();
        let s = run(small.path(), 200, 3, 5);
        assert_eq!(s.bad, 1);
        for (form, _) in MIX {
            assert!(
                s.forms.get(form.name()).copied().unwrap_or(0) > 0,
                "no {form:?} in {s:?}"
            );
        }
    }

    #[test]
    fn an_existing_corpus_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), 20, 1, 0);
        let again = generate(&Options {
            out: dir.path().to_path_buf(),
            documents: 20,
            seed: 1,
            bad_per_mille: 0,
            expected_json: false,
            force: false,
            all_units: false,
        });
        assert!(matches!(again, Err(CorpusError::Exists(_))));
        let forced = generate(&Options {
            out: dir.path().to_path_buf(),
            documents: 10,
            seed: 1,
            bad_per_mille: 0,
            expected_json: false,
            force: true,
            all_units: false,
        })
        .unwrap();
        assert_eq!(forced.good, 10);
        assert!(!dir.path().join("expected.json").exists());
    }

    #[test]
    fn bad_positions_spread() {
        assert_eq!(bad_count(1000, 5), 5);
        assert_eq!(bad_count(300, 5), 2);
        assert_eq!(bad_count(10, 0), 0);
        assert_eq!(bad_positions(100, 4), vec![12, 37, 62, 87]);
    }
}
