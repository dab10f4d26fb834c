//! One page, stored every way a crawler may have saved it, gives the same
//! meeting, people and figures; a folder of good pages mixed with every kind of
//! bad input completes, with one quarantined row per bad input.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use hoinghi::config::Pipeline;
use hoinghi::ingest::InputFile;
use hoinghi::lexicon::Lexicon;
use hoinghi::model::Extraction;
use hoinghi::vntext::decode::encode_windows_1258;
use hoinghi::vntext::legacy::{encode_tcvn3, encode_vni};
use unicode_normalization::UnicodeNormalization;

const PAGE: &str = "05_tran_hung_dao_tong_ket_2021.txt";

/// What must not change with the storage form: the facts, not the ids or offsets.
#[derive(Debug, PartialEq)]
struct Facts {
    meeting: String,
    people: Vec<String>,
    figures: Vec<String>,
    awards: Vec<String>,
}

fn facts(x: &Extraction) -> Facts {
    let m = x.meeting.as_ref().expect("a meeting");
    Facts {
        meeting: format!(
            "{:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?}",
            m.meeting_date,
            m.time_of_day,
            m.date_text,
            m.meeting_type,
            m.period_year,
            m.unit_type,
            m.unit_name,
            m.city,
            m.province
        ),
        people: x
            .mentions
            .iter()
            .map(|p| format!("{} {:?} {:?} {:?}", p.name, p.roles, p.titles, p.titles_raw))
            .collect(),
        figures: x
            .figures
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {} {} {} {:?}",
                    f.value_text, f.value, f.unit, f.kind, f.qualifier, f.indicator, f.period_year
                )
            })
            .collect(),
        awards: x
            .awards
            .iter()
            .map(|a| format!("{:?} {} {} {:?}", a.giver, a.award, a.recipient_type, a.count))
            .collect(),
    }
}

fn read_one(dir: &Path, name: &str, bytes: &[u8]) -> Vec<Extraction> {
    let p = Pipeline::load(&root().join("pipelines/ward-meetings.toml")).unwrap();
    let lx = Lexicon::load(&p.lexicon_dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let file = InputFile::new(path, name.to_string(), bytes.len() as u64, 0);
    hoinghi::pipeline::process_file(&file, &lx, &p.read_settings())
}

/// The page as a government portal would serve it: menus, a sidebar with a
/// counter, the article in a CMS container, a footer.
fn cms_page(text: &str, charset: &str) -> String {
    let mut lines = text.lines();
    let title = lines.next().unwrap();
    let body: String = lines.map(|l| format!("<p>{l}</p>\n")).collect();
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="{charset}"><title>{title} - Cổng thông tin điện tử</title>
<meta property="og:title" content="{title}"><script>var menu = ["Trang chủ", "Tin tức"];</script></head>
<body><div id="header"><div class="menu"><ul><li>Trang chủ</li><li>Giới thiệu</li><li>Tin tức - Sự kiện</li></ul></div></div>
<div class="breadcrumb">Trang chủ / Tin tức</div>
<div class="main"><div class="news-detail"><h1 class="title">{title}</h1>
<div class="share">Chia sẻ: Facebook Zalo</div>
{body}</div>
<div class="related"><h3>Tin liên quan</h3><ul><li>Hội nghị khác năm 2020</li></ul></div></div>
<div class="sidebar"><div class="thongke">Đang truy cập: 12<br>Tổng truy cập: 123.456</div></div>
<footer><p>Địa chỉ: số 2 đường Lê Lợi, TP. Thái Bình</p><p>Điện thoại: 0227.3831.234</p></footer>
</body></html>"#
    )
}

#[test]
fn one_page_in_every_form_gives_the_same_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("sample-data/pages").join(PAGE)).unwrap();
    let reference = read_one(tmp.path(), "page.txt", text.as_bytes());
    assert_eq!(reference.len(), 1);
    let want = facts(&reference[0]);
    assert!(want.figures.len() > 15 && want.people.len() >= 4, "{want:#?}");

    let nfd: String = text.nfd().collect();
    assert_ne!(nfd, text);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let html = cms_page(&text, "utf-8");
    let (title, rest) = text.split_once('\n').unwrap();
    let record_text =
        serde_json::json!({"url": "https://thaibinh.gov.vn/tin/1", "title": title, "body": rest});
    let record_html = serde_json::json!({
        "url": "https://thaibinh.gov.vn/tin/2", "title": title,
        "body": rest.lines().map(|l| format!("<p>{l}</p>")).collect::<String>(),
    });
    let dump = format!("{record_text}\n{record_html}\n");
    let mut html_zst = Vec::new();
    zstd::stream::copy_encode(html.as_bytes(), &mut html_zst, 3).unwrap();

    let forms: Vec<(&str, Vec<u8>, &str)> = vec![
        ("nfd.txt", nfd.into_bytes(), "utf-8"),
        (
            "bom.txt",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            "utf-8",
        ),
        ("cp1258.txt", encode_windows_1258(&text).unwrap(), "windows-1258"),
        ("page.txt.gz", gz.finish().unwrap(), "utf-8"),
        ("page.html", html.into_bytes(), "utf-8"),
        ("page.html.zst", html_zst, "utf-8"),
        ("dump.jsonl", dump.into_bytes(), "utf-8"),
    ];
    for (name, bytes, encoding) in forms {
        let got = read_one(tmp.path(), name, &bytes);
        assert!(!got.is_empty(), "{name}");
        for x in &got {
            assert_eq!(x.document.status, "ok", "{name}: {:?}", x.document.error);
            assert_eq!(x.document.encoding, encoding, "{name}");
            assert_eq!(facts(x), want, "{name} gives other rows");
        }
    }

    // VNI keeps every letter; TCVN3 has no codes for toned capitals, so those
    // come back in lowercase ("Ủy viên" as "ủy viên"): the rows are the same
    // up to that case.
    let vni = read_one(tmp.path(), "vni.txt", &encode_vni(&text).unwrap());
    assert_eq!(vni[0].document.encoding, "vni");
    assert_eq!(facts(&vni[0]), want, "VNI gives other rows");
    // An HTML page in VNI that says so in its meta tag.
    let vni_html = encode_vni(&cms_page(&text, "VNI")).unwrap();
    let x = &read_one(tmp.path(), "vni.html", &vni_html)[0];
    assert_eq!((x.document.format, x.document.encoding), ("html", "vni"));
    assert_eq!(facts(x), want, "VNI HTML gives other rows");
    let tcvn3 = read_one(tmp.path(), "tcvn3.txt", &encode_tcvn3(&text).unwrap());
    assert_eq!(tcvn3[0].document.encoding, "tcvn3");
    let lower = |f: Facts| format!("{f:?}").to_lowercase();
    assert_eq!(lower(facts(&tcvn3[0])), lower(want), "TCVN3 gives other rows");
}

#[test]
fn html_page_keeps_its_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("sample-data/pages").join(PAGE)).unwrap();
    let html = cms_page(&text, "utf-8").replace(
        "</title>",
        "</title><meta property=\"article:published_time\" content=\"2021-12-29T08:15:00+07:00\">",
    );
    let x = &read_one(tmp.path(), "p.html", html.as_bytes())[0];
    assert_eq!(x.document.format, "html");
    assert_eq!(x.document.title.as_deref(), Some(text.lines().next().unwrap()));
    // 08:15 in Vietnam is 01:15 UTC.
    let want = chrono::NaiveDate::from_ymd_opt(2021, 12, 29)
        .unwrap()
        .and_hms_opt(1, 15, 0)
        .unwrap()
        .and_utc();
    assert_eq!(x.document.published_at, Some(want.timestamp_millis()));
    assert_eq!(x.document.author.as_deref(), Some("Thanh Tâm"));
}

#[test]
fn good_pages_and_every_kind_of_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for page in ["01_phuc_la_tong_ket_2023.txt", PAGE] {
        std::fs::copy(root().join("sample-data/pages").join(page), input.join(page)).unwrap();
    }
    let bad: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.txt", Vec::new(), "the file is empty"),
        (
            "binary.txt",
            std::fs::read(root().join("sample-data/bad/binary.txt")).unwrap(),
            "looks binary",
        ),
        (
            "big.txt",
            "Đảng ủy xã họp. ".repeat(2_000).into_bytes(),
            "above the limit of 20000 bytes",
        ),
        (
            "undecodable.txt",
            (0..600u32).map(|i| (0x80 + (i * 37) % 0x7f) as u8).collect(),
            "no supported encoding",
        ),
        (
            "menu.html",
            b"<html><body><div class='menu'>Trang ch\xe1\xbb\xa7</div></body></html>".to_vec(),
            "holds no article",
        ),
        (
            "english.txt",
            std::fs::read(root().join("sample-data/bad/english.txt")).unwrap(),
            "not Vietnamese",
        ),
        (
            "broken.txt.gz",
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4],
            "does not decompress",
        ),
        (
            "notes.docx",
            b"PK\x03\x04 word document".to_vec(),
            "is not a page format",
        ),
    ];
    for (name, bytes, _) in &bad {
        std::fs::write(input.join(name), bytes).unwrap();
    }
    // A dump with one good record and one bad line.
    let good = serde_json::json!({"url": "https://x.gov.vn/1", "title": "Hội nghị",
        "body": std::fs::read_to_string(root().join("sample-data/pages").join(PAGE)).unwrap()});
    std::fs::write(
        input.join("dump.jsonl"),
        format!("{good}\n{{\"url\": \"https://x.gov.vn/2\", \"body\": \n"),
    )
    .unwrap();

    let file = copy_pipelines(tmp.path());
    let cfg = std::fs::read_to_string(&file)
        .unwrap()
        .replace("max_file_bytes = 5_000_000", "max_file_bytes = 20_000");
    std::fs::write(&file, cfg).unwrap();

    let out = tmp.path().join("out");
    let o = run_ok(&input, &out, &["--pipeline", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!("{} quarantined", bad.len() + 1)),
        "{stdout}"
    );

    let seen = documents_by_source(&out);
    let row = |s: &str| seen.get(s).unwrap_or_else(|| panic!("no row for {s}"));
    for (name, _, why) in &bad {
        let (status, error) = row(name);
        assert_eq!(status, "quarantined", "{name}");
        assert!(error.as_deref().unwrap_or("").contains(why), "{name}: {error:?}");
    }
    assert_eq!(row("dump.jsonl#1").0, "ok");
    assert!(row("dump.jsonl#2")
        .1
        .as_deref()
        .unwrap_or("")
        .contains("not a valid JSON record"));
    for page in ["01_phuc_la_tong_ket_2023.txt", PAGE] {
        assert_eq!(row(page).0, "ok");
    }
    assert_eq!(seen.len(), bad.len() + 4);
}

#[test]
fn every_sample_page_reads_the_same_in_tcvn3_and_vni() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for dir in ["sample-data/pages", "sample-data/holdout"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "txt") {
                continue;
            }
            let text: String = std::fs::read_to_string(&path).unwrap().nfc().collect();
            let want = facts(&read_one(tmp.path(), "u.txt", text.as_bytes())[0]);
            // A page with a sign the old tables cannot hold (©, ², •) is skipped.
            let (Some(vni_bytes), Some(tcvn3_bytes)) = (encode_vni(&text), encode_tcvn3(&text)) else {
                continue;
            };
            let vni = read_one(tmp.path(), "v.txt", &vni_bytes);
            assert_eq!(vni[0].document.encoding, "vni", "{path:?}");
            assert_eq!(facts(&vni[0]), want, "{path:?} in VNI");
            let tcvn3 = read_one(tmp.path(), "t.txt", &tcvn3_bytes);
            assert_eq!(tcvn3[0].document.encoding, "tcvn3", "{path:?}");
            let lower = |f: Facts| format!("{f:?}").to_lowercase();
            assert_eq!(lower(facts(&tcvn3[0])), lower(want), "{path:?} in TCVN3");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} pages could be encoded");
}
