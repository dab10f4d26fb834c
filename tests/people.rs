//! People across pages: one person seen on several pages is one `people` row;
//! namesakes in different provinces stay apart.

mod common;

use arrow_array::{Array, Int64Array, StringArray};
use common::*;

fn people(out: &std::path::Path) -> Vec<(String, i64)> {
    let mut v = Vec::new();
    for b in read_table(out, "people") {
        let name = b
            .column_by_name("name")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone();
        let n = b
            .column_by_name("n_meetings")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .clone();
        for i in 0..b.num_rows() {
            v.push((name.value(i).to_string(), n.value(i)));
        }
    }
    v
}

#[test]
fn the_same_person_on_two_pages_is_one_row() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&root().join("sample-data/pages"), &input);
    // The shared seed pages, read in place when they are there (they are in CI).
    let seeds = root().join("../shared/seeds");
    let with_seeds = seeds.is_dir();
    if with_seeds {
        copy_dir(&seeds, &input.join("seeds"));
    } else {
        eprintln!("../shared/seeds absent: checking the sample pages only");
    }
    let out = tmp.path().join("out");
    run_ok(&input, &out, &[]);
    let rows = people(&out);
    let count = |n: &str| {
        rows.iter()
            .filter(|(name, _)| name == n)
            .map(|(_, k)| *k)
            .collect::<Vec<_>>()
    };
    // The same district official and reporter on pages 01 and 02 (Hà Nội).
    assert_eq!(count("Đỗ Minh Khuê"), [2]);
    assert_eq!(count("Minh Châu"), [2]);
    // The same official on pages 03 and 06 (Nghệ An).
    assert_eq!(count("Trương Công Bình"), [2]);
    // Namesakes in Hà Nội and Nghệ An.
    assert_eq!(count("Nguyễn Quang Huy"), [1, 1]);
    if with_seeds {
        // The byline of seeds 002 and 003, both from Bắc Kạn.
        assert_eq!(count("Đặng Tuyết"), [2]);
    }
}
