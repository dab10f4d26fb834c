//! The `hoinghi` command line: a thin layer over the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use hoinghi::config::Pipeline;
use hoinghi::lexicon::Lexicon;
use hoinghi::model::Normalized;
use hoinghi::pipeline::{run, RunOptions, RunOutcome};
use hoinghi::{explain, extract, ingest, normalize, Error};

const DEFAULT_PIPELINE: &str = "pipelines/ward-meetings.toml";

/// Turns saved Vietnamese ward / commune meeting reports into Parquet tables.
///
/// Point it at the folder your crawler saves pages into (.txt, .html, .jsonl
/// dumps, optionally .gz / .zst); it writes a snapshot of tables (documents,
/// meetings, person_mentions, people, metrics, awards, unit_year_metrics,
/// co_attendance) under OUT/snapshots/<run_id> and points OUT/current at it
/// once complete.
///
/// Runs are incremental: only new and changed files are read again, and a run
/// that finds nothing changed publishes nothing and prints one line.
///
/// Exit codes: 0 done or nothing to do (quarantined pages are reported, not
/// failures), 1 the run failed (the last snapshot is left as it was), 2 bad
/// usage or configuration, 75 another run holds the output folder.
#[derive(Parser)]
#[command(name = "hoinghi", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline and publish a snapshot (only what changed is read again).
    Run {
        /// Pipeline file (settings and lexicons).
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Folder of pages; default: the pipeline's input.root.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Output folder; default: the pipeline's output.root.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads; default: all cores.
        #[arg(long)]
        threads: Option<usize>,
        /// Re-extract every file, not only new and changed ones.
        #[arg(long)]
        full: bool,
        /// Hash every file to find changes, instead of trusting size and modification time.
        #[arg(long)]
        verify: bool,
        /// If another run holds the output folder, wait for it instead of exiting with code 75.
        #[arg(long)]
        wait: bool,
        /// Log lines as text (default) or as JSON objects for log shippers.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Print what was extracted from one page, each fact beside its evidence.
    Explain {
        /// A page file (.txt, .html, .jsonl, optionally compressed).
        page: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
    /// Stage 1 alone: list the documents found under a folder, with format, size and hash.
    Ingest {
        /// Folder of pages.
        input: PathBuf,
    },
    /// Stage 2 alone: print one page's normalized body, one sentence per line.
    Normalize {
        page: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
    /// Stage 3 alone: print one page's extracted rows.
    Extract {
        page: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
    /// Stages 1 to 4 without publishing: read a folder, aggregate, and print
    /// the row counts and the first rows of people, unit_year_metrics and co_attendance.
    Aggregate {
        /// Folder of pages.
        input: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Rows to print of each aggregated table.
        #[arg(long, default_value_t = 10)]
        rows: usize,
    },
    /// Write a synthetic corpus of meeting pages with the rows expected from
    /// each, a large test: DIR/pages/ (txt, html, jsonl dumps, some compressed,
    /// some in legacy encodings, a few bad inputs), DIR/expected.jsonl,
    /// DIR/quarantined.jsonl and DIR/corpus.json. The same seed and count give
    /// the same bytes.
    Generate {
        /// Output folder (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Documents to write (a .jsonl dump holds several; bad inputs count too).
        #[arg(long, default_value_t = 1000)]
        pages: u64,
        /// Seed of the pseudo-random generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Bad inputs per thousand documents (empty, binary, corrupt gzip, HTML
        /// without article, English, bad dump line, in turn).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1000))]
        bad: u32,
        /// Also write DIR/expected.json: the expected rows as one JSON list, the
        /// format shared/eval/score.py reads.
        #[arg(long)]
        expected_json: bool,
        /// Replace a corpus already in DIR.
        #[arg(long)]
        force: bool,
        /// Also draw units whose names the rules cannot read yet ("xã Tân
        /// Thành", "tỉnh Lâm Đồng", "Phường 5"; see pipelines/corpus/README.md).
        #[arg(long)]
        all_units: bool,
    },
    /// Check a pipeline file and its lexicons, and say what they hold.
    Check {
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
}

fn load(pipeline: &Path) -> Result<(Pipeline, Lexicon), Error> {
    let p = Pipeline::load(pipeline)?;
    let lx = p.rules()?;
    Ok((p, lx))
}

fn one_file(page: &Path) -> anyhow::Result<ingest::InputFile> {
    let meta = std::fs::metadata(page).with_context(|| format!("cannot read {}", page.display()))?;
    let source = page
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(ingest::InputFile::new(page.to_path_buf(), source, meta.len(), 0))
}

/// Reads one page file (a dump gives several documents) and hands each
/// readable document to `show`; quarantined ones are reported.
fn each_document(
    page: &Path,
    pipeline: &Path,
    show: impl Fn(&hoinghi::model::NormalizedDocument, &Lexicon),
) -> anyhow::Result<()> {
    let (p, lx) = load(pipeline)?;
    for src in ingest::read(&one_file(page)?, &p.read_settings()) {
        match normalize::normalize(&src, &lx) {
            Normalized::Quarantined(row) => {
                println!("{}: quarantined: {}", row.source, row.error.unwrap_or_default())
            }
            Normalized::Ok(doc) => show(&doc, &lx),
        }
    }
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOINGHI_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

// mimalloc: the pipeline makes many small, short-lived allocations per page
// (spans, names, rows); glibc malloc spent ~13% of a run in them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Run { log_format, .. } => *log_format,
        _ => LogFormat::Text,
    };
    init_logging(format);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hoinghi: {e:#}");
            let code = match e.downcast_ref::<Error>() {
                Some(Error::Config { .. } | Error::NoInput(_)) => 2,
                // EX_TEMPFAIL: cron may simply try again at the next tick.
                Some(Error::Locked { .. }) => 75,
                _ => 1,
            };
            ExitCode::from(code)
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run {
            pipeline,
            input,
            out,
            threads,
            full,
            verify,
            wait,
            log_format: _,
        } => {
            let progress = std::io::stderr().is_terminal();
            let opts = RunOptions {
                pipeline,
                input,
                out,
                threads,
                full,
                verify,
                wait,
                progress,
            };
            match run(&opts)? {
                RunOutcome::NothingChanged {
                    snapshot,
                    files,
                    seconds,
                } => {
                    println!(
                        "hoinghi: nothing changed in {files} input files since snapshot {snapshot}; no new snapshot ({seconds:.2}s)"
                    );
                }
                RunOutcome::Published(s) => {
                    let c = &s.counts;
                    println!(
                        "hoinghi: {} documents; files {} new, {} changed, {} unchanged, {} removed; {} quarantined, in {:.2}s",
                        c.total, c.new, c.changed, c.unchanged, c.removed, c.quarantined, s.seconds
                    );
                    let rows: Vec<String> = s.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
                    println!("rows: {}", rows.join(", "));
                    for (source, why) in &s.quarantined {
                        println!("quarantined: {source}: {why}");
                    }
                    println!("snapshot {} published at {}", s.run_id, s.snapshot.display());
                }
            }
            Ok(())
        }
        Command::Explain { page, pipeline } => {
            let (p, lx) = load(&pipeline)?;
            for x in hoinghi::pipeline::process_file(&one_file(&page)?, &lx, &p.read_settings()) {
                print!("{}", explain::report(&x));
            }
            Ok(())
        }
        Command::Ingest { input } => {
            let settings = ingest::ReadSettings {
                max_file_bytes: u64::MAX,
                ..Default::default()
            };
            for f in ingest::discover(&input)? {
                for d in ingest::read(&f, &settings) {
                    let note = d.rejected.map(|r| format!("  ({r})")).unwrap_or_default();
                    println!(
                        "{}\t{}\t{} bytes\t{}{}",
                        d.source,
                        d.format.as_str(),
                        d.bytes.len(),
                        d.content_sha256,
                        note
                    );
                }
            }
            Ok(())
        }
        Command::Normalize { page, pipeline } => each_document(&page, &pipeline, |doc, _| {
            println!(
                "# {}: encoding {}, {} chars, {} sentences",
                doc.row.source,
                doc.row.encoding,
                doc.row.n_chars,
                doc.sentences.len()
            );
            for s in &doc.sentences {
                println!("[{}] {}", s.paragraph, &doc.body[s.start..s.end]);
            }
            if !doc.footer.is_empty() {
                println!("# footer (kept aside)\n{}", doc.footer.trim_end());
            }
        }),
        Command::Extract { page, pipeline } => each_document(&page, &pipeline, |doc, lx| {
            let x = extract::extract(doc, lx);
            println!("{:#?}", x.meeting);
            for m in &x.mentions {
                println!("{m:?}");
            }
            for f in &x.figures {
                println!("{f:?}");
            }
            for a in &x.awards {
                println!("{a:?}");
            }
        }),
        Command::Aggregate {
            input,
            pipeline,
            rows,
        } => {
            let (p, lx) = load(&pipeline)?;
            let files = ingest::discover(&input)?;
            let refs: Vec<&ingest::InputFile> = files.iter().collect();
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let (per_file, _) =
                hoinghi::pipeline::extract_all(&refs, &lx, &p.read_settings(), threads, None)?;
            let t = hoinghi::aggregate::aggregate(per_file.into_iter().flatten().collect())?;
            let counts: Vec<String> = hoinghi::publish::TABLES
                .iter()
                .map(|&name| format!("{name} {}", t.rows(name)))
                .collect();
            println!("{}", counts.join(", "));
            println!("\npeople (most meetings first):");
            let mut people = t.people.clone();
            people.sort_by(|a, b| b.n_meetings.cmp(&a.n_meetings).then(a.name.cmp(&b.name)));
            for r in people.iter().take(rows) {
                println!(
                    "  {} ({} meetings, {:?} .. {:?}) {:?} {:?}",
                    r.name, r.n_meetings, r.first_seen, r.last_seen, r.latest_titles, r.units
                );
            }
            println!("\nunit_year_metrics:");
            for r in t.unit_year_metrics.iter().take(rows) {
                println!(
                    "  {} {} {} {} {} {} = {} ({} sources)",
                    r.unit_type.as_deref().unwrap_or("-"),
                    r.unit_name.as_deref().unwrap_or("-"),
                    r.year,
                    r.indicator,
                    r.kind,
                    r.unit,
                    r.value,
                    r.n_sources
                );
            }
            println!("\nco_attendance (most meetings first):");
            let names: std::collections::HashMap<&str, &str> = t
                .people
                .iter()
                .map(|p| (p.person_id.as_str(), p.name.as_str()))
                .collect();
            let mut pairs = t.co_attendance.clone();
            pairs.sort_by_key(|p| std::cmp::Reverse(p.n_meetings));
            for r in pairs.iter().take(rows) {
                let name = |id: &str| names.get(id).copied().unwrap_or("?").to_string();
                println!(
                    "  {} + {}: {} meetings",
                    name(&r.person_a),
                    name(&r.person_b),
                    r.n_meetings
                );
            }
            Ok(())
        }
        Command::Generate {
            out,
            pages,
            seed,
            bad,
            expected_json,
            force,
            all_units,
        } => {
            let started = std::time::Instant::now();
            let s = hoinghi::corpus::generate(&hoinghi::corpus::Options {
                out: out.clone(),
                documents: pages,
                seed,
                bad_per_mille: bad,
                expected_json,
                force,
                all_units,
            })?;
            let forms: Vec<String> = s.forms.iter().map(|(f, n)| format!("{f} {n}")).collect();
            println!(
                "hoinghi: generated {} documents ({} good, {} bad) in {} files under {}, seed {}, in {:.2}s",
                s.documents,
                s.good,
                s.bad,
                s.files,
                out.join("pages").display(),
                s.seed,
                started.elapsed().as_secs_f64()
            );
            println!("forms: {}", forms.join(", "));
            println!(
                "expected rows in {}, bad inputs in {}",
                out.join("expected.jsonl").display(),
                out.join("quarantined.jsonl").display()
            );
            Ok(())
        }
        Command::Check { pipeline } => {
            let (p, lx) = load(&pipeline)?;
            println!(
                "{}: pipeline \"{}\" rules {}, lexicons in {} (fingerprint {}), input {}, output {}",
                pipeline.display(),
                p.file.name,
                p.file.rules_version,
                p.lexicon_dir.display(),
                lx.fingerprint,
                p.input_root.display(),
                p.output_root.display()
            );
            Ok(())
        }
    }
}
