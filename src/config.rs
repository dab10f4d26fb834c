//! The pipeline file (`pipelines/*.toml`) and its lexicons, read and checked
//! once at start. Any problem stops the run before work starts.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub name: String,
    pub rules_version: String,
    pub input: InputSection,
    pub output: OutputSection,
    pub lexicons: LexiconSection,
    #[serde(default)]
    pub gazetteer: Option<GazetteerSection>,
}

/// The bundled administrative units (`pipelines/gazetteer/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GazetteerSection {
    /// Relative to the pipeline file.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    pub root: PathBuf,
    #[serde(default = "default_max_bytes")]
    pub max_file_bytes: u64,
    #[serde(default)]
    pub jsonl: JsonlFields,
}

/// Field names of a `.jsonl` crawl dump, one page per line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsonlFields {
    pub url: String,
    pub title: String,
    pub body: String,
    pub published: String,
    /// `auto` (HTML when the body has tags), `html` or `text`.
    pub body_format: BodyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Auto,
    Html,
    Text,
}

impl Default for JsonlFields {
    fn default() -> Self {
        JsonlFields {
            url: "url".into(),
            title: "title".into(),
            body: "body".into(),
            published: "published_at".into(),
            body_format: BodyFormat::Auto,
        }
    }
}

fn default_max_bytes() -> u64 {
    5_000_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    pub root: PathBuf,
    #[serde(default = "default_kept")]
    pub snapshots_kept: usize,
    /// Megabytes the roll-ups (people, co_attendance, unit_year_metrics) may
    /// hold in memory before they spill to disk as sorted runs; 0 spills after
    /// every page (slow: for tests of the spill path).
    #[serde(default = "default_rollup_memory_mb")]
    pub rollup_memory_mb: usize,
}

fn default_kept() -> usize {
    5
}

fn default_rollup_memory_mb() -> usize {
    64
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconSection {
    pub dir: PathBuf,
}

/// A loaded pipeline: its settings with paths resolved, and where it came from.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub path: PathBuf,
    pub file: PipelineFile,
    pub input_root: PathBuf,
    pub output_root: PathBuf,
    pub lexicon_dir: PathBuf,
    pub gazetteer_file: Option<PathBuf>,
}

/// Parses a TOML file into `T`, turning any error into one with file and line.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<(T, String)> {
    let text = std::fs::read_to_string(path).map_err(Error::reading(path))?;
    let value = toml::from_str::<T>(&text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        Error::config_at(path, &text, offset, e.message().to_string())
    })?;
    Ok((value, text))
}

impl Pipeline {
    /// Fingerprints of every rules file (lexicons and gazetteer), read but not
    /// compiled: enough to tell whether the rules changed since the last run.
    pub fn fingerprints(&self) -> Result<crate::lexicon::Fingerprints> {
        let prints = crate::lexicon::fingerprints(&self.lexicon_dir)?;
        Ok(match &self.gazetteer_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(Error::reading(path))?;
                prints.with(&bytes)
            }
            None => prints,
        })
    }

    /// The lexicons, with the gazetteer when the pipeline names one; a file
    /// that cannot be read stops the run with its name.
    pub fn rules(&self) -> Result<crate::lexicon::Lexicon> {
        let mut lx = crate::lexicon::Lexicon::load(&self.lexicon_dir)?;
        if let Some(path) = &self.gazetteer_file {
            let g = crate::gazetteer::Gazetteer::load(path).map_err(|message| Error::Config {
                path: path.clone(),
                line: 1,
                message,
            })?;
            lx.set_gazetteer(std::sync::Arc::new(g), self.fingerprints()?);
        }
        Ok(lx)
    }

    /// How ingest reads files under this pipeline.
    pub fn read_settings(&self) -> crate::ingest::ReadSettings {
        crate::ingest::ReadSettings {
            max_file_bytes: self.file.input.max_file_bytes,
            jsonl: self.file.input.jsonl.clone(),
        }
    }

    pub fn load(path: &Path) -> Result<Pipeline> {
        let (file, text): (PipelineFile, String) = read_toml(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        // Input and output roots are relative to the project root: the folder
        // above `pipelines/`, so `make run` and a cron line read the same way.
        let project = if base.file_name().is_some_and(|n| n == "pipelines") {
            base.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            base.to_path_buf()
        };
        let resolve = |p: &Path, root: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                root.join(p)
            }
        };
        if file.output.snapshots_kept == 0 {
            let offset = text.find("snapshots_kept").unwrap_or(0);
            return Err(Error::config_at(
                path,
                &text,
                offset,
                "snapshots_kept must be at least 1",
            ));
        }
        Ok(Pipeline {
            path: path.to_path_buf(),
            input_root: resolve(&file.input.root, &project),
            output_root: resolve(&file.output.root, &project),
            lexicon_dir: resolve(&file.lexicons.dir, base),
            gazetteer_file: file.gazetteer.as_ref().map(|g| resolve(&g.file, base)),
            file,
        })
    }
}
