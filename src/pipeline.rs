//! A whole run: decide what changed since the snapshot `current` names,
//! re-read only new and changed files (ingest → normalize → extract in
//! parallel), reuse the stored rows of the rest, aggregate, publish, then point
//! `current` at the new snapshot. The published rows are the same whatever the
//! thread count, and the same as a full run over the same inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::aggregate::{aggregate, Tables};
use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::extract::extract;
use crate::ingest::{self, InputFile, ReadSettings};
use crate::lexicon::{Fingerprints, Lexicon};
use crate::lock;
use crate::model::{Extraction, Format, Normalized, SourceDocument};
use crate::normalize::{normalize, quarantine};
use crate::publish;
use crate::state::{self, FileState, Files};

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
    let sources = timed(&clock.ingest, || ingest::read(file, settings));
    sources
        .into_iter()
        .map(|src| process_document(src, lx, clock))
        .collect()
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

/// Reads and extracts files on `threads` workers; results in input order.
pub fn extract_all(
    files: &[&InputFile],
    lx: &Lexicon,
    settings: &ReadSettings,
    threads: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(Vec<Vec<Extraction>>, StageSeconds)> {
    let clock = StageClock::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Aggregate(format!("cannot start {threads} worker threads: {e}")))?;
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
    let secs = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / 1e9;
    Ok((
        per_file,
        StageSeconds {
            ingest: secs(&clock.ingest),
            normalize: secs(&clock.normalize),
            extract: secs(&clock.extract),
        },
    ))
}

/// The key of the rules that read a file: the rules version, the settings of
/// ingest, and the lexicons that apply to its format (html.toml only matters
/// to HTML pages and dumps, which may hold HTML bodies).
fn rules_key(pipeline: &Pipeline, prints: &Fingerprints, source: &str) -> String {
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
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What to do with each input file.
struct Plan<'a> {
    /// Read again: new or changed files (all of them on a full run).
    read: Vec<&'a InputFile>,
    /// Rows reused from the previous state.
    reuse: BTreeSet<String>,
    new: usize,
    changed: usize,
    unchanged: usize,
    removed: usize,
    /// The facts of every present file, for the next state.
    files: Files,
}

fn plan<'a>(
    found: &'a [InputFile],
    previous: Option<&Files>,
    key_of: &dyn Fn(&str) -> String,
    full: bool,
    verify: bool,
) -> Plan<'a> {
    let mut p = Plan {
        read: Vec::new(),
        reuse: BTreeSet::new(),
        new: 0,
        changed: 0,
        unchanged: 0,
        removed: 0,
        files: Files::new(),
    };
    for f in found {
        let key = key_of(&f.source);
        let before = previous.and_then(|prev| prev.get(&f.source));
        let same_stat =
            before.is_some_and(|b| b.size == f.size && b.mtime_ns == f.mtime_ns && f.mtime_ns != 0);
        // Size and modification time tell most unchanged files without reading
        // them; the others (or all, with --verify) are hashed.
        let hash = match (same_stat && !verify, before) {
            (true, Some(b)) => b.content_sha256.clone(),
            _ => ingest::hash_file(&f.path).unwrap_or_default(),
        };
        let state = FileState {
            size: f.size,
            mtime_ns: f.mtime_ns,
            content_sha256: hash,
            rules_key: key,
        };
        match before {
            None => {
                p.new += 1;
                p.read.push(f);
            }
            Some(b) if b.content_sha256 != state.content_sha256 || b.rules_key != state.rules_key || full => {
                p.changed +=
                    usize::from(b.content_sha256 != state.content_sha256 || b.rules_key != state.rules_key);
                p.unchanged +=
                    usize::from(b.content_sha256 == state.content_sha256 && b.rules_key == state.rules_key);
                p.read.push(f);
            }
            Some(_) => {
                p.unchanged += 1;
                p.reuse.insert(f.source.clone());
            }
        }
        p.files.insert(f.source.clone(), state);
    }
    if let Some(prev) = previous {
        p.removed = prev.keys().filter(|k| !p.files.contains_key(*k)).count();
    }
    p
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
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                let p = e.path();
                std::fs::remove_dir_all(&p).map_err(|source| Error::Write {
                    path: p.clone(),
                    source,
                })?;
            }
        }
    }
    Ok(())
}

fn table_rows(tables: &Tables) -> BTreeMap<&'static str, usize> {
    publish::TABLES.iter().map(|&t| (t, tables.rows(t))).collect()
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
    let files = ingest::discover(&input)?;
    std::fs::create_dir_all(&out).map_err(|source| Error::Write {
        path: out.clone(),
        source,
    })?;
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
    let plan = plan(&files, previous.as_ref(), &key_of, opts.full, opts.verify);
    let t_plan = t.elapsed();
    if let (Some(id), Some(prev)) = (&current, &previous) {
        if plan.read.is_empty() && plan.removed == 0 && !opts.full {
            // Files touched without a change: remember their new times, so the
            // next run need not hash them again.
            if *prev != plan.files {
                state::refresh_files(&out, id, &plan.files)?;
            }
            return Ok(RunOutcome::NothingChanged {
                snapshot: id.clone(),
                files: files.len(),
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
        files.len(),
        plan.read.len()
    );

    let lx = match rules.take() {
        Some(lx) => lx,
        None => pipeline.rules()?,
    };
    let t = Instant::now();
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(plan.read.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let (fresh, stage) = extract_all(&plan.read, &lx, &settings, threads, bar.as_ref())?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t_docs = t.elapsed();

    // Rows by input file: fresh ones, and the stored ones of unchanged files.
    let t = Instant::now();
    let mut rows: BTreeMap<String, Vec<Extraction>> =
        plan.read.iter().map(|f| f.source.clone()).zip(fresh).collect();
    if !plan.reuse.is_empty() {
        let id = current.as_deref().unwrap_or_default();
        let stored = state::load_rows(&out, id, &|s| plan.reuse.contains(s))?;
        if stored.len() != plan.reuse.len() {
            return Err(Error::Aggregate(format!(
                "the state of snapshot {id} lacks the rows of {} unchanged files; run again with --full",
                plan.reuse.len() - stored.len()
            )));
        }
        rows.extend(stored);
    }
    let t_reuse = t.elapsed();

    let t = Instant::now();
    let tables = aggregate(rows.values().flatten().cloned().collect())?;
    let t_aggregate = t.elapsed();

    let quarantined_docs = tables
        .documents
        .iter()
        .filter(|d| d.status == "quarantined")
        .count();
    let counts = InputCounts {
        total: tables.documents.len(),
        new: plan.new,
        changed: plan.changed,
        unchanged: plan.unchanged,
        removed: plan.removed,
        quarantined: quarantined_docs,
    };
    let run_id = new_run_id(&out);
    let row_counts = table_rows(&tables);
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
            "files": files.len(),
            "new": counts.new,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "removed": counts.removed,
            "quarantined": counts.quarantined,
        },
        "row_counts": row_counts,
        "stage_seconds": {
            "setup": t_setup.as_secs_f64(),
            "plan": t_plan.as_secs_f64(),
            "documents_wall": t_docs.as_secs_f64(),
            "ingest_cpu": stage.ingest,
            "normalize_cpu": stage.normalize,
            "extract_cpu": stage.extract,
            "reuse": t_reuse.as_secs_f64(),
            "aggregate": t_aggregate.as_secs_f64(),
            "publish": null,
        },
    });
    // Snapshot, then its state, then `current`: a kill at any point leaves
    // `current` on a complete snapshot whose state is complete too.
    let snapshot = publish::write_snapshot(&out, &run_id, &tables, manifest)?;
    state::write(&out, &run_id, &plan.files, &rows)?;
    publish::swap_current(&out, &run_id)?;
    let kept = publish::prune(&out, pipeline.file.output.snapshots_kept)?;
    state::prune(&out, &kept)?;
    drop(run_lock);

    let quarantined = tables
        .documents
        .iter()
        .filter(|d| d.status == "quarantined")
        .map(|d| (d.source.clone(), d.error.clone().unwrap_or_default()))
        .collect();
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
