//! A whole run: decide what changed since the snapshot `current` names,
//! re-read only new and changed files (ingest → normalize → extract in
//! parallel), reuse the stored rows of the rest, aggregate, publish, then point
//! `current` at the new snapshot. The published rows are the same whatever the
//! thread count, and the same as a full run over the same inputs.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::aggregate::{Aggregator, SpillTo, Tables};
use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::extract::extract;
use crate::ingest::{self, InputFile, ReadSettings};
use crate::lexicon::{Fingerprints, Lexicon};
use crate::lock;
use crate::model::{Extraction, Format, Normalized, SourceDocument};
use crate::normalize::{normalize, quarantine};
use crate::plan::{self, PlanReader, PlannedFile};
use crate::publish::{self, SnapshotWriter};
use crate::staging::StagingDir;
use crate::state::{self, FileState, StateWriter, StoredRows};

/// What `hoinghi run` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub pipeline: PathBuf,
    pub input: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    /// Re-extract every file, whatever the state says.
    pub full: bool,
    /// Hash every file instead of trusting size and modification time.
    pub verify: bool,
    /// Wait for a running run to finish instead of exiting at once.
    pub wait: bool,
    /// Draw a progress bar (the CLI sets it when stderr is a terminal).
    pub progress: bool,
}

/// How the inputs compare with the previous run's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputCounts {
    /// Documents published (a dump file gives one per record).
    pub total: usize,
    /// Input files by what happened to them.
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Documents quarantined.
    pub quarantined: usize,
}

/// What a run did, for the summary line and the manifest.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run_id: String,
    pub snapshot: PathBuf,
    pub counts: InputCounts,
    pub rows: BTreeMap<&'static str, usize>,
    pub seconds: f64,
    pub quarantined: Vec<(String, String)>,
    /// Set when the lock of a run that died was taken over.
    pub took_over_lock: Option<String>,
}

/// A run either publishes a snapshot or finds nothing to do.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    Published(Box<RunSummary>),
    NothingChanged {
        snapshot: String,
        files: usize,
        seconds: f64,
    },
}

/// Summed per-document time of each per-document stage, in nanoseconds.
#[derive(Default)]
struct StageClock {
    ingest: AtomicU64,
    normalize: AtomicU64,
    extract: AtomicU64,
}

fn timed<T>(acc: &AtomicU64, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    acc.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
    v
}

/// Reads, normalizes and extracts one file (one document, or one per record
/// of a dump). Never panics: a failure inside the rules quarantines the page.
pub fn process_file(file: &InputFile, lx: &Lexicon, settings: &ReadSettings) -> Vec<Extraction> {
    process_timed(file, lx, settings, &StageClock::default())
}

fn process_timed(
    file: &InputFile,
    lx: &Lexicon,
    settings: &ReadSettings,
    clock: &StageClock,
) -> Vec<Extraction> {
    process_hashed(file, lx, settings, clock).0
}

/// [`process_timed`], with the hash of the file's bytes.
fn process_hashed(
    file: &InputFile,
    lx: &Lexicon,
    settings: &ReadSettings,
    clock: &StageClock,
) -> (Vec<Extraction>, String) {
    let (sources, hash) = timed(&clock.ingest, || ingest::read_hashed(file, settings));
    let rows = sources
        .into_iter()
        .map(|src| process_document(src, lx, clock))
        .collect();
    (rows, hash)
}

fn process_document(src: SourceDocument, lx: &Lexicon, clock: &StageClock) -> Extraction {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let normalized = timed(&clock.normalize, || normalize(&src, lx));
        match normalized {
            Normalized::Quarantined(row) => Extraction::quarantined(*row),
            Normalized::Ok(doc) => timed(&clock.extract, || extract(&doc, lx)),
        }
    }));
    result.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Extraction::quarantined(quarantine(
            &src,
            format!("hoinghi hit an internal error reading this page ({what}); the page was set aside, please report it"),
        ))
    })
}

/// Per-document stage times summed over all documents, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageSeconds {
    pub ingest: f64,
    pub normalize: f64,
    pub extract: f64,
}

fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Aggregate(format!("cannot start {threads} worker threads: {e}")))
}

/// Reads and extracts files on `threads` workers; results in input order.
pub fn extract_all(
    files: &[&InputFile],
    lx: &Lexicon,
    settings: &ReadSettings,
    threads: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(Vec<Vec<Extraction>>, StageSeconds)> {
    let clock = StageClock::default();
    let pool = worker_pool(threads)?;
    let per_file: Vec<Vec<Extraction>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let x = process_timed(f, lx, settings, &clock);
                if let Some(p) = progress {
                    p.inc(1);
                }
                x
            })
            .collect()
    });
    Ok((per_file, StageSeconds::from(&clock)))
}

impl From<&StageClock> for StageSeconds {
    fn from(clock: &StageClock) -> Self {
        let secs = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / 1e9;
        StageSeconds {
            ingest: secs(&clock.ingest),
            normalize: secs(&clock.normalize),
            extract: secs(&clock.extract),
        }
    }
}

/// The key of the rules that read a file: the rules version, the settings of
/// ingest, and the lexicons that apply to its format (html.toml only matters
/// to HTML pages and dumps, which may hold HTML bodies).
fn rules_key(pipeline: &Pipeline, prints: &Fingerprints, source: &str) -> u64 {
    let html_too = matches!(ingest::format_of(source), Some(Format::Html | Format::Jsonl));
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(&pipeline.file.rules_version);
    h.update(pipeline.file.input.max_file_bytes.to_le_bytes());
    h.update(format!("{:?}", pipeline.file.input.jsonl));
    h.update(&prints.text);
    if html_too {
        h.update(&prints.html);
    }
    let digest = h.finalize();
    u64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ])
}

fn new_run_id(out: &Path) -> String {
    let base = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();
    let mut id = base.clone();
    let mut n = 1;
    while out.join("snapshots").join(&id).exists() || out.join("state/runs").join(&id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Removes what a run killed half-way left behind: hidden work folders.
fn clean_leftovers(out: &Path) -> Result<()> {
    for dir in [out.join("snapshots"), out.join("state").join("runs")] {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            if crate::staging::is_leftover(&e.file_name().to_string_lossy()) {
                let p = e.path();
                std::fs::remove_dir_all(&p).map_err(Error::writing(&p))?;
            }
        }
    }
    Ok(())
}

/// Runs the pipeline and publishes a snapshot, unless nothing changed.
pub fn run(opts: &RunOptions) -> Result<RunOutcome> {
    let started = chrono::Utc::now();
    let t0 = Instant::now();
    let pipeline = Pipeline::load(&opts.pipeline)?;
    // Only the rules' fingerprints until it is clear there is work: a run that
    // finds nothing changed compiles no lexicon and loads no gazetteer. When the
    // rules did change (or there is no previous run), they are compiled now, so
    // a malformed lexicon stops the run before anything is written.
    let prints = pipeline.fingerprints()?;
    let input = opts.input.clone().unwrap_or_else(|| pipeline.input_root.clone());
    let out = opts.out.clone().unwrap_or_else(|| pipeline.output_root.clone());
    let threads = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let settings = pipeline.read_settings();
    let key_of = |source: &str| rules_key(&pipeline, &prints, source);
    let current_before = publish::current_snapshot(&out);
    let state_before = current_before
        .as_deref()
        .and_then(|id| state::load_files(&out, id));
    let rules_unchanged = state_before
        .as_ref()
        .is_some_and(|prev| !prev.is_empty() && prev.iter().all(|(src, st)| st.rules_key == key_of(src)));
    let mut rules = if rules_unchanged {
        None
    } else {
        Some(pipeline.rules()?)
    };
    // The walk checks the input folder now, before the lock is taken; it
    // lists files only as the plan reads them.
    let found = ingest::walk(&input)?;
    std::fs::create_dir_all(&out).map_err(Error::writing(&out))?;
    let run_lock = lock::acquire(&out, opts.wait, Duration::from_secs(6 * 3600))?;
    let took_over_lock = run_lock.took_over.clone();
    if let Some(note) = &took_over_lock {
        tracing::warn!("took over the lock of a run that ended without releasing it ({note})");
    }
    clean_leftovers(&out)?;
    let t_setup = t0.elapsed();

    // What changed since the snapshot `current` names.
    let t = Instant::now();
    // Under the lock, `current` may have moved on since it was first read.
    let current = publish::current_snapshot(&out);
    let previous = if current == current_before {
        state_before
    } else {
        current.as_deref().and_then(|id| state::load_files(&out, id))
    };
    let run_id = new_run_id(&out);
    // The plan is written beside the snapshot being made, hidden, so a killed
    // run's plan goes with its other leftovers.
    let plan_dir = StagingDir::create(&out.join("snapshots"), &format!("plan-{run_id}"))?;
    let plan = plan::plan(
        found,
        previous.as_ref(),
        &key_of,
        opts.full,
        opts.verify,
        &plan_dir.path().join("files.bin"),
    )?;
    let t_plan = t.elapsed();
    if let Some(id) = &current {
        if previous.is_some() && plan.to_read == 0 && plan.removed == 0 && !opts.full {
            // Files touched without a change: remember their new times, so the
            // next run need not hash them again.
            if !plan.same_as_previous {
                let mut planned = PlanReader::open(&plan)?;
                state::refresh_files(&out, id, || {
                    Ok(planned.next_file()?.map(|p| (p.file.source, p.state)))
                })?;
            }
            return Ok(RunOutcome::NothingChanged {
                snapshot: id.clone(),
                files: plan.files,
                seconds: t0.elapsed().as_secs_f64(),
            });
        }
    }
    tracing::info!(
        new = plan.new,
        changed = plan.changed,
        unchanged = plan.unchanged,
        removed = plan.removed,
        "{} input files, {} to read",
        plan.files,
        plan.to_read
    );

    let lx = match rules.take() {
        Some(lx) => lx,
        None => pipeline.rules()?,
    };
    let pool = worker_pool(threads)?;
    let t = Instant::now();
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(plan.files as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut stored = match (&current, plan.to_read < plan.files) {
        (Some(id), true) => Some(StoredRows::open(&out, id)?),
        _ => None,
    };
    let mut sink = Sink::create(&out, &run_id, pipeline.file.output.rollup_memory_mb)?;
    let clock = StageClock::default();
    // Chunks of files stream through: while the workers extract chunk k, the
    // rows of chunk k-1 are published (Parquet, state, roll-ups) on a worker
    // too, so memory holds about two chunks whatever the corpus size.
    let mut pending: Vec<(String, FileState, Vec<Extraction>)> = Vec::new();
    let mut planned = PlanReader::open(&plan)?;
    loop {
        let chunk = planned.next_chunk()?;
        if chunk.is_empty() {
            break;
        }
        let (published, fresh) = pool.install(|| {
            rayon::join(
                || -> Result<Vec<Option<Vec<Extraction>>>> {
                    sink.take(std::mem::take(&mut pending))?;
                    let t = Instant::now();
                    let reused = reuse_rows(stored.as_mut(), &chunk, current.as_deref());
                    sink.seconds.reuse += t.elapsed().as_secs_f64();
                    reused
                },
                || {
                    chunk
                        .par_iter()
                        .map(|w| {
                            let x = if w.read {
                                process_hashed(&w.file, &lx, &settings, &clock)
                            } else {
                                (Vec::new(), String::new())
                            };
                            if let Some(b) = &bar {
                                b.inc(1);
                            }
                            x
                        })
                        .collect::<Vec<_>>()
                },
            )
        });
        let reused = published?;
        pending = chunk
            .into_iter()
            .zip(fresh.into_iter().zip(reused))
            .map(|(mut p, ((fresh, hash), reused))| {
                if p.state.content_sha256.is_none() {
                    p.state.content_sha256 = state::sha256_from_hex(&hash);
                }
                (p.file.source, p.state, reused.unwrap_or(fresh))
            })
            .collect();
    }
    drop(planned);
    drop(plan_dir);
    pool.install(|| sink.take(pending))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t_docs = t.elapsed();
    let stage = StageSeconds::from(&clock);

    let t = Instant::now();
    let counts = InputCounts {
        total: sink.aggregator.pages() as usize,
        new: plan.new,
        changed: plan.changed,
        unchanged: plan.unchanged,
        removed: plan.removed,
        quarantined: sink.quarantined.len(),
    };
    let rollup_spills = sink.aggregator.spills();
    let finished = pool.install(|| sink.finish_tables())?;
    let t_finish = t.elapsed();
    let row_counts: BTreeMap<&'static str, usize> = finished.snapshot.rows().into_iter().collect();
    let manifest = json!({
        "run_id": run_id,
        "started_at": started.to_rfc3339(),
        "finished_at": null,
        "hoinghi_version": env!("CARGO_PKG_VERSION"),
        "pipeline": {
            "name": pipeline.file.name,
            "file": pipeline.path.display().to_string(),
            "rules_version": pipeline.file.rules_version,
            "rules_fingerprint": prints.all,
        },
        "input_root": input.display().to_string(),
        "threads": threads,
        "full": opts.full,
        "previous_snapshot": current,
        "input_counts": {
            "documents": counts.total,
            "files": plan.files,
            "new": counts.new,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "removed": counts.removed,
            "quarantined": counts.quarantined,
        },
        "row_counts": row_counts,
        // Times the roll-ups passed `rollup_memory_mb` and went to disk.
        "rollup_spills": rollup_spills,
        // Wall times of the run's phases, and CPU seconds summed over the
        // workers for the work that streams alongside extraction.
        "stage_seconds": {
            "setup": t_setup.as_secs_f64(),
            "plan": t_plan.as_secs_f64(),
            "documents_wall": t_docs.as_secs_f64(),
            "ingest_cpu": stage.ingest,
            "normalize_cpu": stage.normalize,
            "extract_cpu": stage.extract,
            "reuse": finished.seconds.reuse,
            "aggregate_cpu": finished.seconds.aggregate,
            "parquet_cpu": finished.seconds.parquet,
            "state_cpu": finished.seconds.state,
            "finish_wall": t_finish.as_secs_f64(),
        },
    });
    // Snapshot, then its state, then `current`: a kill at any point leaves
    // `current` on a complete snapshot whose state is complete too.
    let Finished {
        snapshot: writer,
        state: state_writer,
        quarantined,
        ..
    } = finished;
    let snapshot = writer.finish(manifest)?;
    state_writer.finish()?;
    publish::swap_current(&out, &run_id)?;
    let kept = publish::prune(&out, pipeline.file.output.snapshots_kept)?;
    state::prune(&out, &kept)?;
    drop(run_lock);

    Ok(RunOutcome::Published(Box::new(RunSummary {
        run_id,
        snapshot,
        counts,
        rows: row_counts,
        seconds: t0.elapsed().as_secs_f64(),
        quarantined,
        took_over_lock,
    })))
}

/// The stored rows of the chunk's unchanged files, read forward from the
/// previous state (`None` for files read again).
fn reuse_rows(
    stored: Option<&mut StoredRows>,
    chunk: &[PlannedFile],
    snapshot: Option<&str>,
) -> Result<Vec<Option<Vec<Extraction>>>> {
    let Some(stored) = stored else {
        return Ok(vec![None; chunk.len()]);
    };
    chunk
        .iter()
        .map(|w| {
            if w.read {
                return Ok(None);
            }
            match stored.take(&w.file.source)? {
                Some(rows) => Ok(Some(rows)),
                None => Err(Error::Aggregate(format!(
                    "the state of snapshot {} lacks the rows of the unchanged file {}; run again with --full",
                    snapshot.unwrap_or_default(),
                    w.file.source
                ))),
            }
        })
        .collect()
}

/// CPU seconds of the work that publishes rows.
#[derive(Debug, Default, Clone, Copy)]
struct SinkSeconds {
    reuse: f64,
    aggregate: f64,
    parquet: f64,
    state: f64,
}

/// Where the rows of a run go as they come: the snapshot's Parquet files, the
/// run's state, and the aggregate stage.
struct Sink {
    snapshot: SnapshotWriter,
    state: StateWriter,
    aggregator: Aggregator,
    /// Where the aggregator spills; removed when the sink is done with it.
    spill: StagingDir,
    quarantined: Vec<(String, String)>,
    seconds: SinkSeconds,
}

/// A sink with every row written, before its files are closed.
struct Finished {
    snapshot: SnapshotWriter,
    state: StateWriter,
    quarantined: Vec<(String, String)>,
    seconds: SinkSeconds,
}

impl Sink {
    fn create(out: &Path, run_id: &str, rollup_memory_mb: usize) -> Result<Sink> {
        // Beside the snapshot being written, hidden, so a killed run's spill
        // is removed with its other leftovers.
        let spill = StagingDir::create(&out.join("snapshots"), &format!("spill-{run_id}"))?;
        Ok(Sink {
            snapshot: SnapshotWriter::create(out, run_id)?,
            state: StateWriter::create(out, run_id)?,
            aggregator: Aggregator::spilling(SpillTo {
                dir: spill.path().to_path_buf(),
                budget_bytes: rollup_memory_mb << 20,
            })?,
            spill,
            quarantined: Vec::new(),
            seconds: SinkSeconds::default(),
        })
    }

    /// Stores, aggregates and writes the rows of a chunk of files.
    fn take(&mut self, chunk: Vec<(String, FileState, Vec<Extraction>)>) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let t = Instant::now();
        for (source, file, xs) in &chunk {
            self.state.add(source, file, xs)?;
        }
        self.seconds.state += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut rows = Tables::default();
        for x in chunk.into_iter().flat_map(|(_, _, xs)| xs) {
            if x.document.status == "quarantined" {
                self.quarantined.push((
                    x.document.source.clone(),
                    x.document.error.clone().unwrap_or_default(),
                ));
            }
            if let Some(x) = self.aggregator.add(x)? {
                rows.push_page(x);
            }
        }
        self.seconds.aggregate += t.elapsed().as_secs_f64();
        let t = Instant::now();
        self.snapshot.write(&rows)?;
        self.seconds.parquet += t.elapsed().as_secs_f64();
        Ok(())
    }

    /// Publishes the pages that waited for their person ids, then the roll-ups
    /// (merged in parallel on the pool).
    fn finish_tables(self) -> Result<Finished> {
        // Nanoseconds in Parquet writing, summed over the merges' threads.
        let parquet = AtomicU64::new(0);
        let snapshot = &self.snapshot;
        let busy = self.aggregator.finish(|rows| {
            let t = Instant::now();
            snapshot.write(&rows)?;
            parquet.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
            Ok(())
        })?;
        let parquet = parquet.into_inner() as f64 / 1e9;
        let mut seconds = self.seconds;
        seconds.aggregate += (busy - parquet).max(0.0);
        seconds.parquet += parquet;
        drop(self.spill);
        Ok(Finished {
            snapshot: self.snapshot,
            state: self.state,
            quarantined: self.quarantined,
            seconds,
        })
    }
}
