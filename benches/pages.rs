//! Per-page cost of the two per-document stages, on single pages:
//! `cargo bench --bench pages`. The whole-run numbers come from `make bench`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hoinghi::config::Pipeline;
use hoinghi::ingest::{self, InputFile};
use hoinghi::model::{Normalized, SourceDocument};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages benchmarked: a year-end review with many figures, a page
/// stored decomposed (NFD, the normalizer's slow path), and an award ceremony.
const PAGES: [&str; 3] = [
    "sample-data/pages/01_phuc_la_tong_ket_2023.txt",
    "sample-data/pages/10_hoa_tien_tong_ket_2024_nfd.txt",
    "sample-data/pages/09_hung_dung_trao_huy_hieu_dang_2024.txt",
];

fn source(path: &Path, settings: &ingest::ReadSettings) -> SourceDocument {
    let meta = std::fs::metadata(path).expect("benchmark page exists");
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let file = InputFile::new(path.to_path_buf(), name, meta.len(), 0);
    ingest::read(&file, settings).remove(0)
}

fn pages(c: &mut Criterion) {
    let pipeline = Pipeline::load(&root().join("pipelines/ward-meetings.toml")).expect("pipeline loads");
    let lx = pipeline.rules().expect("rules compile");
    let settings = pipeline.read_settings();
    for page in PAGES {
        let path = root().join(page);
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let src = source(&path, &settings);
        let Normalized::Ok(doc) = hoinghi::normalize::normalize(&src, &lx) else {
            panic!("{page} should be readable");
        };
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(src.bytes.len() as u64));
        group.bench_function("normalize", |b| {
            b.iter(|| hoinghi::normalize::normalize(black_box(&src), &lx))
        });
        if let Some(index) = &lx.phrase_index {
            group.bench_function("phrase_scan", |b| b.iter(|| index.scan(black_box(&doc.folded))));
        }
        group.bench_function("extract", |b| {
            b.iter(|| hoinghi::extract::extract(black_box(&doc), &lx))
        });
        group.finish();
    }
}

criterion_group!(benches, pages);
criterion_main!(benches);
