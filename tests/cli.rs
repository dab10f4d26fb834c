//! The binary end to end: determinism across thread counts, exit codes,
//! quarantine, snapshots and the `current` link.

mod common;

use common::*;

use hoinghi::publish::TABLES;

#[test]
fn same_rows_with_one_thread_and_four() {
    let tmp = tempfile::tempdir().unwrap();
    let input = root().join("sample-data/pages");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&input, &a, &["--threads", "1"]);
    run_ok(&input, &b, &["--threads", "4"]);
    for table in TABLES {
        let (ta, tb) = (read_table(&a, table), read_table(&b, table));
        assert_eq!(ta, tb, "table {table} differs between 1 and 4 threads");
    }
    // And something was actually extracted.
    let rows: usize = read_table(&a, "metrics").iter().map(|b| b.num_rows()).sum();
    assert!(rows > 200, "only {rows} metrics from the sample pages");
}

#[test]
fn bad_inputs_are_quarantined_and_the_run_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&root().join("sample-data/bad"), &input);
    std::fs::copy(
        root().join("sample-data/pages/05_tran_hung_dao_tong_ket_2021.txt"),
        input.join("good.txt"),
    )
    .unwrap();
    std::fs::write(input.join("photo.png"), [0x89, b'P', b'N', b'G', 0, 0, 0, 13]).unwrap();
    let out = tmp.path().join("out");
    let o = run_ok(&input, &out, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("4 quarantined"), "{stdout}");

    let seen = documents_by_source(&out);
    assert_eq!(seen["good.txt"], ("ok".to_string(), None));
    assert_eq!(seen["empty.txt"].0, "quarantined");
    assert_eq!(seen["empty.txt"].1.as_deref(), Some("the file is empty"));
    assert!(seen["binary.txt"].1.as_deref().unwrap().contains("looks binary"));
    assert!(seen["english.txt"]
        .1
        .as_deref()
        .unwrap()
        .contains("not Vietnamese"));
    assert!(seen["photo.png"]
        .1
        .as_deref()
        .unwrap()
        .contains(".png is not a page format"));
    // Quarantined pages have no meetings.
    let meetings: usize = read_table(&out, "meetings").iter().map(|b| b.num_rows()).sum();
    assert_eq!(meetings, 1);
}

#[test]
fn malformed_pipeline_file_exits_2_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = copy_pipelines(tmp.path());
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("snapshots_kept = 5", "snapshots_kept = \"five\""),
    )
    .unwrap();
    let o = hoinghi(&[
        "run",
        "--pipeline",
        file.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = text
        .lines()
        .position(|l| l.starts_with("snapshots_kept"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("ward-meetings.toml:{line}:")), "{err}");
    // Nothing was written.
    assert!(!tmp.path().join("o").exists());
}

#[test]
fn broken_lexicon_exits_2_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let file = copy_pipelines(tmp.path());
    let pipes = file.parent().unwrap().to_path_buf();
    std::fs::write(
        pipes.join("lexicon/titles.toml"),
        "heads = [\"Bí thư\",\n  \"\"]\n",
    )
    .unwrap();
    let out = tmp.path().join("o");
    let o = hoinghi(&[
        "run",
        "--pipeline",
        pipes.join("ward-meetings.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("titles.toml:1:") && err.contains("empty phrase"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn missing_input_folder_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = hoinghi(&[
        "run",
        "--input",
        "/no/such/folder",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such/folder does not exist"));
}

#[test]
fn a_missing_pipeline_file_is_named_with_its_cause_once() {
    let o = hoinghi(&["run", "--pipeline", "/no/such/pipeline.toml"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read /no/such/pipeline.toml: "), "{err}");
    // The I/O error is the error's cause and is printed once.
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let o = hoinghi(&["run", "--threads", "many"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn current_moves_and_old_snapshots_are_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let file = copy_pipelines(tmp.path());
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("snapshots_kept = 5", "snapshots_kept = 2")).unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(
        root().join("sample-data/pages/05_tran_hung_dao_tong_ket_2021.txt"),
        input.join("a.txt"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let pipeline = file.to_str().unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        // Each run has something new to publish.
        std::fs::write(
            input.join(format!("extra{i}.txt")),
            "Đảng ủy xã Tân Hội họp tổng kết năm 2020.",
        )
        .unwrap();
        run_ok(&input, &out, &["--pipeline", pipeline]);
        ids.push(std::fs::read_link(out.join("current")).unwrap());
    }
    // `current` is relative and names the newest snapshot.
    assert!(ids[2].is_relative());
    assert_ne!(ids[1], ids[2]);
    let mut left: Vec<String> = std::fs::read_dir(out.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let newest: Vec<String> = ids[1..]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, newest);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("current/_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["input_counts"]["unchanged"], 3);
    assert_eq!(manifest["input_counts"]["new"], 1);
    assert_eq!(manifest["row_counts"]["documents"], 4);
    // The state of pruned snapshots goes with them.
    let mut states: Vec<String> = std::fs::read_dir(out.join("state/runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    states.sort();
    assert_eq!(states, newest);
}

#[test]
fn explain_shows_facts_beside_evidence() {
    let o = hoinghi(&["explain", "sample-data/pages/05_tran_hung_dao_tong_ket_2021.txt"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("unit        phường Trần Hưng Đạo"), "{s}");
    assert!(s.contains("« "), "{s}");
    assert!(s.contains("21460000000"), "{s}");
}

#[test]
fn stage_subcommands_print_what_they_make() {
    let o = hoinghi(&["ingest", "sample-data/pages"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 15);
    let o = hoinghi(&[
        "normalize",
        "sample-data/pages/05_tran_hung_dao_tong_ket_2021.txt",
    ]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.starts_with("# 05_tran_hung_dao_tong_ket_2021.txt: encoding utf-8"),
        "{s}"
    );
    let o = hoinghi(&["extract", "sample-data/pages/05_tran_hung_dao_tong_ket_2021.txt"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Hoàng Minh Sơn"));
    let o = hoinghi(&["aggregate", "sample-data/pages", "--rows", "3"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with("documents 15, meetings 15,"), "{s}");
    assert!(
        s.contains("Minh Châu + Đỗ Minh Khuê: 2 meetings")
            || s.contains("Đỗ Minh Khuê + Minh Châu: 2 meetings"),
        "{s}"
    );
}
