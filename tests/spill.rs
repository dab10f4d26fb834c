//! Roll-ups larger than their memory budget spill to disk as sorted runs and
//! are merged at the end: the published tables must be the same as when
//! everything fits in memory.

mod common;

use std::path::Path;

use arrow_array::RecordBatch;
use common::*;

/// Every table of the current snapshot, minus the columns that name the run.
fn tables(out: &Path) -> Vec<(&'static str, Vec<RecordBatch>)> {
    hoinghi::publish::TABLES
        .into_iter()
        .map(|t| {
            let batches = read_table(out, t)
                .into_iter()
                .map(|b| {
                    let keep: Vec<usize> = (0..b.num_columns())
                        .filter(|&i| {
                            !["ingested_at", "run_id"].contains(&b.schema().field(i).name().as_str())
                        })
                        .collect();
                    b.project(&keep).unwrap()
                })
                .collect();
            (t, batches)
        })
        .collect()
}

fn manifest(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("current/_manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn spilled_rollups_publish_the_same_tables_as_rollups_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    // Generated pages: many people, pairs and unit-years, and pages without a
    // province, whose person ids wait for the end of the run.
    let o = hoinghi(&[
        "generate",
        "--out",
        corpus.to_str().unwrap(),
        "--pages",
        "400",
        "--seed",
        "11",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let input = corpus.join("pages");
    copy_dir(&root().join("sample-data/pages"), &input.join("sample"));

    let in_memory = tmp.path().join("in-memory");
    run_ok(&input, &in_memory, &[]);
    assert_eq!(manifest(&in_memory)["rollup_spills"], 0);

    // Budget 0: the roll-ups spill after every page, and the 64-run limit
    // merges runs several times before the end.
    let file = copy_pipelines(tmp.path());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("rollup_memory_mb = 64"));
    std::fs::write(
        &file,
        text.replace("rollup_memory_mb = 64", "rollup_memory_mb = 0"),
    )
    .unwrap();
    // The roll-ups are merged at the end on the pool's threads, each table by
    // one of them: four threads and one must publish the same rows.
    let spilled = tmp.path().join("spilled");
    run_ok(
        &input,
        &spilled,
        &["--pipeline", file.to_str().unwrap(), "--threads", "4"],
    );
    let one_thread = tmp.path().join("one-thread");
    run_ok(
        &input,
        &one_thread,
        &["--pipeline", file.to_str().unwrap(), "--threads", "1"],
    );
    let m = manifest(&spilled);
    let spills = m["rollup_spills"].as_u64().unwrap();
    assert!(spills > 300, "{spills} spills for 400+ pages");

    let (a, b, c) = (tables(&in_memory), tables(&spilled), tables(&one_thread));
    for (((name, x), (_, y)), (_, z)) in a.iter().zip(&b).zip(&c) {
        let rows: usize = x.iter().map(|b| b.num_rows()).sum();
        assert!(rows > 0, "{name} is empty");
        assert_eq!(x, y, "table {name} differs once the roll-ups spill");
        assert_eq!(y, z, "table {name} differs between 4 threads and 1");
    }
    // The people seen on more than one page are there, so runs were merged.
    let people = read_table(&spilled, "people");
    let n = arrow_array::cast::AsArray::as_primitive::<arrow_array::types::Int64Type>(
        people[0].column_by_name("n_meetings").unwrap(),
    );
    assert!(n.iter().flatten().any(|k| k > 1));
    // The spill folder is gone.
    let left: Vec<_> = std::fs::read_dir(spilled.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
