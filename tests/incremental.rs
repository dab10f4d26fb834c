//! Incremental, cron-safe runs: only what changed is read again, the tables
//! after any sequence of runs equal one full run, a second run is refused or
//! waits, a killed run leaves `current` complete, a failed write leaves the
//! last snapshot intact.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

use hoinghi::publish::TABLES;

fn pages() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("sample-data/pages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("current/_manifest.json")).unwrap()).unwrap()
}

fn assert_same_tables(a: &Path, b: &Path) {
    for t in TABLES {
        assert_eq!(read_table(a, t), read_table(b, t), "table {t} differs");
    }
}

/// A pipeline copy whose lexicons a test may edit.
fn own_pipeline(dir: &Path) -> std::path::PathBuf {
    copy_pipelines(dir)
}

#[test]
fn runs_after_adds_edits_and_deletes_equal_one_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    let all = pages();
    for p in &all[..6] {
        std::fs::copy(p, input.join(p.file_name().unwrap())).unwrap();
    }
    run_ok(&input, &out, &[]);
    let c = &manifest(&out)["input_counts"];
    assert_eq!((c["new"].as_i64(), c["unchanged"].as_i64()), (Some(6), Some(0)));

    // Add two, edit one, delete one.
    for p in &all[6..8] {
        std::fs::copy(p, input.join(p.file_name().unwrap())).unwrap();
    }
    let edited = input.join(all[1].file_name().unwrap());
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replacen("đạt", "đạt được", 1)).unwrap();
    std::fs::remove_file(input.join(all[2].file_name().unwrap())).unwrap();
    run_ok(&input, &out, &[]);
    let c = &manifest(&out)["input_counts"];
    assert_eq!(
        [&c["new"], &c["changed"], &c["unchanged"], &c["removed"]].map(|v| v.as_i64().unwrap()),
        [2, 1, 4, 1]
    );
    assert!(manifest(&out)["stage_seconds"]["reuse"].is_number());

    // Delete another and add a dump, in a third run.
    std::fs::remove_file(input.join(all[0].file_name().unwrap())).unwrap();
    let body = std::fs::read_to_string(&all[9]).unwrap();
    std::fs::write(
        input.join("dump.jsonl"),
        format!("{}\n", serde_json::json!({"url": "u", "body": body})),
    )
    .unwrap();
    run_ok(&input, &out, &[]);

    // One full run over the same final inputs gives the same tables.
    let fresh = tmp.path().join("fresh");
    run_ok(&input, &fresh, &["--threads", "1"]);
    assert_same_tables(&out, &fresh);
    // And so does --full over the incremental output.
    run_ok(&input, &out, &["--full"]);
    assert_same_tables(&out, &fresh);
}

#[test]
fn nothing_new_publishes_nothing_and_says_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    copy_dir(&root().join("sample-data/pages"), &input);
    run_ok(&input, &out, &[]);
    let first = std::fs::read_link(out.join("current")).unwrap();
    // Touching files changes nothing: the content hash decides.
    for e in std::fs::read_dir(&input).unwrap() {
        let f = std::fs::File::options()
            .append(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
            .unwrap();
    }
    for _ in 0..2 {
        let o = run_ok(&input, &out, &[]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(
            stdout.starts_with("hoinghi: nothing changed in 15 input files"),
            "{stdout}"
        );
        assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(std::fs::read_link(out.join("current")).unwrap(), first);
    }
    assert_eq!(std::fs::read_dir(out.join("snapshots")).unwrap().count(), 1);
}

#[test]
fn same_size_edit_with_old_mtime_needs_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    let page = input.join("a.txt");
    std::fs::copy(&pages()[4], &page).unwrap();
    run_ok(&input, &out, &[]);
    let mtime = std::fs::metadata(&page).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&page).unwrap();
    // Same length, same modification time, other content.
    std::fs::write(&page, text.replacen("21.460", "21.461", 1)).unwrap();
    std::fs::File::options()
        .append(true)
        .open(&page)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let o = run_ok(&input, &out, &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing changed"));
    run_ok(&input, &out, &["--verify"]);
    assert_eq!(manifest(&out)["input_counts"]["changed"], 1);
}

#[test]
fn a_lexicon_change_rereads_what_it_affects() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    for p in &pages()[..3] {
        std::fs::copy(p, input.join(p.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(&pages()[3]).unwrap();
    let html = format!(
        "<html><body><div class='news-detail'>{}</div></body></html>",
        text.lines().map(|l| format!("<p>{l}</p>")).collect::<String>()
    );
    std::fs::write(input.join("page.html"), html).unwrap();
    let pipeline = own_pipeline(tmp.path());
    let p = pipeline.to_str().unwrap();
    run_ok(&input, &out, &["--pipeline", p]);

    // html.toml concerns the HTML page only.
    let html_rules = pipeline.parent().unwrap().join("lexicon/html.toml");
    let t = std::fs::read_to_string(&html_rules).unwrap();
    std::fs::write(
        &html_rules,
        t.replace("min_article_chars = 200", "min_article_chars = 150"),
    )
    .unwrap();
    run_ok(&input, &out, &["--pipeline", p]);
    let c = &manifest(&out)["input_counts"];
    assert_eq!(
        (c["changed"].as_i64(), c["unchanged"].as_i64()),
        (Some(1), Some(3))
    );

    // A lexicon every page goes through: everything is read again.
    let titles = pipeline.parent().unwrap().join("lexicon/titles.toml");
    let t = std::fs::read_to_string(&titles).unwrap();
    std::fs::write(&titles, t.replace("\"Thư ký\",", "\"Thư ký\", \"Phó Thư ký\",")).unwrap();
    run_ok(&input, &out, &["--pipeline", p]);
    assert_eq!(manifest(&out)["input_counts"]["changed"], 4);
}

#[test]
fn a_second_run_is_refused_or_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(&pages()[0], input.join("a.txt")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let held = hoinghi::lock::acquire(&out, false, Duration::ZERO).unwrap();
    let o = hoinghi(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(75));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("another hoinghi run is using this output folder") && err.contains("--wait"),
        "{err}"
    );

    let waiting = Command::new(env!("CARGO_BIN_EXE_hoinghi"))
        .current_dir(root())
        .args([
            "run",
            "--wait",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    drop(held);
    let o = waiting.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("current/_manifest.json").exists());
}

#[test]
fn a_lock_left_by_a_dead_run_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(&pages()[0], input.join("a.txt")).unwrap();
    std::fs::create_dir_all(out.join("state")).unwrap();
    // What a killed run leaves: its note, with no process holding the lock.
    std::fs::write(out.join("state/lock"), "pid 999999 since 2026-01-01 00:00:00 UTC").unwrap();
    let o = run_ok(&input, &out, &[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("took over the lock"));
}

#[test]
fn kill_9_at_any_moment_leaves_a_complete_current_and_the_next_run_catches_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    // Enough pages for a run to take a while.
    for (i, p) in pages().iter().cycle().take(240).enumerate() {
        std::fs::copy(p, input.join(format!("{i:03}.txt"))).unwrap();
    }
    let args = [
        "run",
        "--threads",
        "2",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let full_time = {
        let t = std::time::Instant::now();
        let o = hoinghi(&args);
        assert!(o.status.success());
        t.elapsed()
    };
    std::fs::remove_dir_all(&out).unwrap();
    let mut published_before = None;
    for step in 1..=6 {
        // Change a few files so every run has work, then kill it part way.
        let f = input.join(format!("{:03}.txt", step * 7));
        let mut t = std::fs::read_to_string(&f).unwrap();
        t.push_str(&format!("\nThêm {step}."));
        std::fs::write(&f, t).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hoinghi"))
            .current_dir(root())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full_time.mul_f64(step as f64 / 6.0 * 0.9));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever happened, `current` (if any) names a complete snapshot.
        if let Ok(target) = std::fs::read_link(out.join("current")) {
            let snap = out.join(&target);
            assert!(
                snap.join("_manifest.json").exists(),
                "step {step}: {target:?} incomplete"
            );
            for t in TABLES {
                assert!(
                    snap.join(t).join("part-00000.parquet").exists(),
                    "step {step}: {t} missing"
                );
            }
            published_before = Some(target);
        }
    }
    let _ = published_before;
    // The next run completes and equals an uninterrupted full run.
    run_ok(&input, &out, &[]);
    let fresh = tmp.path().join("fresh");
    run_ok(&input, &fresh, &[]);
    assert_same_tables(&out, &fresh);
    // No half-written leftovers remain.
    for dir in ["snapshots", "state/runs"] {
        for e in std::fs::read_dir(out.join(dir)).unwrap() {
            assert!(!e.unwrap().file_name().to_string_lossy().starts_with(".tmp-"));
        }
    }
}

#[test]
fn a_failed_write_fails_the_run_and_keeps_the_last_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    copy_dir(&root().join("sample-data/pages"), &input);
    run_ok(&input, &out, &[]);
    let before = std::fs::read_link(out.join("current")).unwrap();
    std::fs::write(input.join("new.txt"), std::fs::read(&pages()[0]).unwrap()).unwrap();
    // A file size limit of 8 KB stands in for a full disk: writes past it fail
    // with EFBIG (the signal that would kill the process is ignored).
    let bin = env!("CARGO_BIN_EXE_hoinghi");
    let script = format!(
        "trap '' XFSZ; ulimit -f 8; exec '{bin}' run --input '{}' --out '{}'",
        input.display(),
        out.display()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot write") || err.contains("File too large"),
        "{err}"
    );
    assert_eq!(std::fs::read_link(out.join("current")).unwrap(), before);
    assert!(out.join("current/_manifest.json").exists());
    // An output folder that cannot be a folder fails the same way.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let o = hoinghi(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--out",
        file.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write"));
}

#[test]
fn json_logs_for_log_shippers() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(&pages()[0], input.join("a.txt")).unwrap();
    let o = run_ok(&input, &out, &["--log-format", "json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.trim().is_empty());
    for line in err.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
    }
}
