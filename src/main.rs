//! The `hoinghi` command line: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use hoinghi::config::Pipeline;
use hoinghi::lexicon::Lexicon;
use hoinghi::model::Normalized;
use hoinghi::pipeline::{run, RunOptions};
use hoinghi::{explain, extract, ingest, normalize, Error};

const DEFAULT_PIPELINE: &str = "pipelines/ward-meetings.toml";

/// Turns saved Vietnamese ward / commune meeting reports into Parquet tables.
///
/// Point it at the folder your crawler saves pages into; it writes a snapshot of
/// tables (documents, meetings, person_mentions, people, metrics, awards,
/// unit_year_metrics, co_attendance) under OUT/snapshots/<run_id> and points
/// OUT/current at it once complete.
///
/// Exit codes: 0 done (quarantined pages are reported, not failures),
/// 1 the run failed, 2 bad usage or configuration.
#[derive(Parser)]
#[command(name = "hoinghi", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline and publish a snapshot.
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
    },
    /// Print what was extracted from one page, each fact beside its evidence.
    Explain {
        /// A page file (.txt).
        page: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
    /// Stage 1 alone: list the files found under a folder, with format, size and hash.
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
    /// Stage 3 alone: print one page's extracted rows as JSON lines.
    Extract {
        page: PathBuf,
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
    /// Check a pipeline file and its lexicons, and say what they hold.
    Check {
        #[arg(long, default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
    },
}

fn load(pipeline: &Path) -> Result<(Pipeline, Lexicon), Error> {
    let p = Pipeline::load(pipeline)?;
    let lx = Lexicon::load(&p.lexicon_dir)?;
    Ok((p, lx))
}

fn one_file(page: &Path) -> anyhow::Result<ingest::InputFile> {
    let meta = std::fs::metadata(page).with_context(|| format!("cannot read {}", page.display()))?;
    Ok(ingest::InputFile {
        path: page.to_path_buf(),
        source: page
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        size: meta.len(),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOINGHI_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hoinghi: {e:#}");
            let config = e
                .downcast_ref::<Error>()
                .is_some_and(|e| matches!(e, Error::Config { .. } | Error::NoInput(_)));
            ExitCode::from(if config { 2 } else { 1 })
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
        } => {
            let s = run(&RunOptions {
                pipeline,
                input,
                out,
                threads,
            })?;
            let c = &s.counts;
            println!(
                "hoinghi: {} documents ({} new, {} changed, {} unchanged, {} removed), {} quarantined, in {:.2}s",
                c.total, c.new, c.changed, c.unchanged, c.removed, c.quarantined, s.seconds
            );
            let rows: Vec<String> = s.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!("rows: {}", rows.join(", "));
            for (source, why) in &s.quarantined {
                println!("quarantined: {source}: {why}");
            }
            println!("snapshot {} published at {}", s.run_id, s.snapshot.display());
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
        Command::Normalize { page, pipeline } => {
            let (p, lx) = load(&pipeline)?;
            for src in ingest::read(&one_file(&page)?, &p.read_settings()) {
                match normalize::normalize(&src, &lx) {
                    Normalized::Quarantined(row) => {
                        println!("{}: quarantined: {}", row.source, row.error.unwrap_or_default())
                    }
                    Normalized::Ok(doc) => {
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
                    }
                }
            }
            Ok(())
        }
        Command::Extract { page, pipeline } => {
            let (p, lx) = load(&pipeline)?;
            for src in ingest::read(&one_file(&page)?, &p.read_settings()) {
                match normalize::normalize(&src, &lx) {
                    Normalized::Quarantined(row) => {
                        println!("{}: quarantined: {}", row.source, row.error.unwrap_or_default())
                    }
                    Normalized::Ok(doc) => {
                        let x = extract::extract(&doc, &lx);
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
                    }
                }
            }
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
