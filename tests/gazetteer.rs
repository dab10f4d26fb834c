//! Meetings placed in the bundled gazetteer: every sample page whose unit can
//! be told apart gets its code, the successor after July 2025, and the seeds
//! that cannot be told apart stay unresolved rather than guessed.

mod common;

use std::collections::BTreeMap;

use arrow_array::{Array, StringArray};
use common::*;

/// unit name -> (admin_code, successor_code, city, province) per meeting.
fn meetings(out: &std::path::Path) -> BTreeMap<String, [Option<String>; 4]> {
    let mut m = BTreeMap::new();
    for b in read_table(out, "meetings") {
        let col = |n: &str| {
            b.column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (ty, name, code, succ, city, prov) = (
            col("unit_type"),
            col("unit_name"),
            col("admin_code"),
            col("successor_code"),
            col("city"),
            col("province"),
        );
        let get = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
        for i in 0..b.num_rows() {
            let key = format!("{} {}", ty.value(i), name.value(i));
            m.insert(key, [get(&code, i), get(&succ, i), get(&city, i), get(&prov, i)]);
        }
    }
    m
}

#[test]
fn sample_units_resolve_with_their_successors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&root().join("sample-data/pages"), &out, &[]);
    let m = meetings(&out);
    assert_eq!(m.len(), 15);
    for (unit, [code, _, _, _]) in &m {
        assert!(code.is_some(), "{unit} was not resolved");
    }
    let s = |v: &str| Some(v.to_string());
    // Codes of the General Statistics Office list, as bundled.
    assert_eq!(
        m["phường Phúc La"],
        [s("09553"), s("09556"), s("Hà Đông"), s("Hà Nội")]
    );
    assert_eq!(
        m["phường Trần Hưng Đạo"],
        [s("12452"), s("12452"), s("Thái Bình"), s("Thái Bình")]
    );
    // After July 2025: no district above the unit, and the unit is its own successor.
    assert_eq!(m["xã Xuân Mai"][0], m["xã Xuân Mai"][1]);
    assert_eq!(m["xã Xuân Mai"][2], None);
    // The old town of Xuân Mai went into the new commune of that name.
    assert_eq!(m["thị trấn Xuân Mai"][1], m["xã Xuân Mai"][0]);
}

#[test]
fn seeds_that_cannot_be_told_apart_stay_unresolved() {
    let seeds = root().join("../shared/seeds");
    if !seeds.is_dir() {
        eprintln!("../shared/seeds absent: nothing to check");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&seeds, &out, &[]);
    let m = meetings(&out);
    // "Tân Lậ" repaired, and Thái Nguyên named in the footer: one unit.
    assert_eq!(m["phường Tân Lập"][0].as_deref(), Some("05464"));
    // Bắc Sơn under some "Thành ủy": five cities have one; no guess.
    assert_eq!(m["phường Bắc Sơn"][0], None);
    let o = hoinghi(&[
        "explain",
        seeds.join("000_1810d2ba011e0f20.txt").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("named Bắc Sơn (phường)") && text.contains("nothing else on the page tells them apart"),
        "{text}"
    );
}
