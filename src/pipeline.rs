//! A whole run: ingest → normalize → extract in parallel per document, then
//! aggregate and publish. Rows come out the same whatever the thread count.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::json;

use crate::aggregate::{aggregate, Tables};
use crate::config::Pipeline;
use crate::error::{Error, Result};
use crate::extract::extract;
use crate::ingest::{self, InputFile, ReadSettings};
use crate::lexicon::Lexicon;
use crate::model::{Extraction, Normalized, SourceDocument};
use crate::normalize::{normalize, quarantine};
use crate::publish;

/// What `hoinghi run` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub pipeline: PathBuf,
    pub input: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
}

/// How the inputs compare with the previous run's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputCounts {
    pub total: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
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

/// Reads, normalizes and extracts one file. Never panics: a failure inside
/// the rules quarantines the page with the reason.
pub fn process_file(file: &InputFile, lx: &Lexicon, settings: &ReadSettings) -> Vec<Extraction> {
    let clock = StageClock::default();
    process_timed(file, lx, settings, &clock)
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

/// The previous run's view of the inputs: source → content hash.
fn load_state(out: &Path) -> BTreeMap<String, String> {
    let p = out.join("state").join("documents.json");
    std::fs::read_to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn save_state(out: &Path, tables: &Tables) -> Result<()> {
    let dir = out.join("state");
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let map: BTreeMap<&str, &str> = tables
        .documents
        .iter()
        .map(|d| (d.source.as_str(), d.content_sha256.as_str()))
        .collect();
    let tmp = dir.join(".documents.json.tmp");
    let text = serde_json::to_string_pretty(&map).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(|source| Error::Write {
        path: tmp.clone(),
        source,
    })?;
    let dst = dir.join("documents.json");
    std::fs::rename(&tmp, &dst).map_err(|source| Error::Write { path: dst, source })
}

fn compare(previous: &BTreeMap<String, String>, tables: &Tables) -> InputCounts {
    let mut c = InputCounts {
        total: tables.documents.len(),
        ..Default::default()
    };
    for d in &tables.documents {
        match previous.get(&d.source) {
            None => c.new += 1,
            Some(h) if *h == d.content_sha256 => c.unchanged += 1,
            Some(_) => c.changed += 1,
        }
        if d.status == "quarantined" {
            c.quarantined += 1;
        }
    }
    let now: std::collections::HashSet<&str> = tables.documents.iter().map(|d| d.source.as_str()).collect();
    c.removed = previous.keys().filter(|k| !now.contains(k.as_str())).count();
    c
}

fn new_run_id(out: &Path) -> String {
    let base = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();
    let mut id = base.clone();
    let mut n = 1;
    while out.join("snapshots").join(&id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Per-document stage times summed over all documents, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageSeconds {
    pub ingest: f64,
    pub normalize: f64,
    pub extract: f64,
}

/// Reads and extracts every input on `threads` workers; results in input order.
pub fn extract_all(
    files: &[InputFile],
    lx: &Lexicon,
    settings: &ReadSettings,
    threads: usize,
) -> Result<(Vec<Extraction>, StageSeconds)> {
    let clock = StageClock::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Aggregate(format!("cannot start {threads} worker threads: {e}")))?;
    // Collected per file in input order, then flattened: a dump gives many documents.
    let per_file: Vec<Vec<Extraction>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| process_timed(f, lx, settings, &clock))
            .collect()
    });
    let out: Vec<Extraction> = per_file.into_iter().flatten().collect();
    let secs = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / 1e9;
    Ok((
        out,
        StageSeconds {
            ingest: secs(&clock.ingest),
            normalize: secs(&clock.normalize),
            extract: secs(&clock.extract),
        },
    ))
}

/// Runs the pipeline end to end and publishes a snapshot.
pub fn run(opts: &RunOptions) -> Result<RunSummary> {
    let started = chrono::Utc::now();
    let t0 = Instant::now();
    let pipeline = Pipeline::load(&opts.pipeline)?;
    let lx = Lexicon::load(&pipeline.lexicon_dir)?;
    let input = opts.input.clone().unwrap_or_else(|| pipeline.input_root.clone());
    let out = opts.out.clone().unwrap_or_else(|| pipeline.output_root.clone());
    let threads = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let t_setup = t0.elapsed();

    let t = Instant::now();
    let files = ingest::discover(&input)?;
    let t_discover = t.elapsed();

    let t = Instant::now();
    let settings = pipeline.read_settings();
    let (extractions, stage) = extract_all(&files, &lx, &settings, threads)?;
    let t_docs = t.elapsed();

    let t = Instant::now();
    let tables = aggregate(extractions)?;
    let t_aggregate = t.elapsed();

    std::fs::create_dir_all(&out).map_err(|source| Error::Write {
        path: out.clone(),
        source,
    })?;
    let previous = load_state(&out);
    let counts = compare(&previous, &tables);
    let run_id = new_run_id(&out);
    let rows: BTreeMap<&'static str, usize> = publish::TABLES
        .iter()
        .map(|&t| {
            let n = match t {
                "documents" => tables.documents.len(),
                "meetings" => tables.meetings.len(),
                "person_mentions" => tables.person_mentions.len(),
                "people" => tables.people.len(),
                "metrics" => tables.metrics.len(),
                "awards" => tables.awards.len(),
                "unit_year_metrics" => tables.unit_year_metrics.len(),
                _ => tables.co_attendance.len(),
            };
            (t, n)
        })
        .collect();
    let manifest = json!({
        "run_id": run_id,
        "started_at": started.to_rfc3339(),
        "finished_at": null,
        "hoinghi_version": env!("CARGO_PKG_VERSION"),
        "pipeline": {
            "name": pipeline.file.name,
            "file": pipeline.path.display().to_string(),
            "rules_version": pipeline.file.rules_version,
            "lexicon_fingerprint": lx.fingerprint,
        },
        "input_root": input.display().to_string(),
        "threads": threads,
        "input_counts": {
            "total": counts.total,
            "new": counts.new,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "removed": counts.removed,
            "quarantined": counts.quarantined,
        },
        "row_counts": rows,
        "stage_seconds": {
            "setup": t_setup.as_secs_f64(),
            "discover": t_discover.as_secs_f64(),
            "documents_wall": t_docs.as_secs_f64(),
            "ingest_cpu": stage.ingest,
            "normalize_cpu": stage.normalize,
            "extract_cpu": stage.extract,
            "aggregate": t_aggregate.as_secs_f64(),
            "publish": null,
        },
    });
    let snapshot = publish::publish(&out, &run_id, &tables, manifest)?;
    save_state(&out, &tables)?;
    publish::prune(&out, pipeline.file.output.snapshots_kept)?;

    let quarantined = tables
        .documents
        .iter()
        .filter(|d| d.status == "quarantined")
        .map(|d| (d.source.clone(), d.error.clone().unwrap_or_default()))
        .collect();
    Ok(RunSummary {
        run_id,
        snapshot,
        counts,
        rows,
        seconds: t0.elapsed().as_secs_f64(),
        quarantined,
    })
}
