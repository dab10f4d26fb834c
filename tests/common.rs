//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn hoinghi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoinghi"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("the hoinghi binary runs")
}

pub fn run_ok(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = hoinghi(&args);
    assert!(
        o.status.success(),
        "hoinghi run failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// All batches of a table of the snapshot `current` names.
pub fn read_table(out: &Path, table: &str) -> Vec<RecordBatch> {
    let dir = out.join("current").join(table);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut batches = Vec::new();
    for f in files {
        let file = std::fs::File::open(&f).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        batches.extend(reader.map(|b| b.unwrap()));
    }
    batches
}

/// Copies the files of a folder (not its sub-folders).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of `pipelines/` (the pipeline file, lexicons and gazetteer) that a
/// test may edit; returns the pipeline file.
pub fn copy_pipelines(dir: &Path) -> PathBuf {
    let pipes = dir.join("pipelines");
    for sub in ["", "lexicon", "gazetteer"] {
        copy_dir(&root().join("pipelines").join(sub), &pipes.join(sub));
    }
    pipes.join("ward-meetings.toml")
}

/// The `documents` table of the current snapshot as source -> (status, error).
pub fn documents_by_source(out: &Path) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    use arrow_array::{Array, StringArray};
    let mut seen = std::collections::BTreeMap::new();
    for d in read_table(out, "documents") {
        let col = |n: &str| {
            d.column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (source, status, error) = (col("source"), col("status"), col("error"));
        for i in 0..d.num_rows() {
            let err = error.is_valid(i).then(|| error.value(i).to_string());
            seen.insert(source.value(i).to_string(), (status.value(i).to_string(), err));
        }
    }
    seen
}
