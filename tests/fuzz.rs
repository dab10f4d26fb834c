//! Fuzzing the read path: any bytes, and any mix of real page fragments with
//! awkward punctuation and spaces, go through decode → normalize → extract
//! without a panic, and every offset a row reports lies inside the body.
//! The pipeline also catches panics per page, but these tests call the stages
//! directly, so a panic fails them. Longer runs: PROPTEST_CASES=20000.

mod common;

use hoinghi::config::Pipeline;
use hoinghi::extract::extract;
use hoinghi::lexicon::Lexicon;
use hoinghi::model::{Format, Normalized, RecordMeta, SourceDocument};
use hoinghi::normalize::normalize;
use proptest::prelude::*;
use std::sync::OnceLock;

fn lexicon() -> &'static Lexicon {
    static LX: OnceLock<Lexicon> = OnceLock::new();
    LX.get_or_init(|| {
        let p = Pipeline::load(&common::root().join("pipelines/ward-meetings.toml")).unwrap();
        Lexicon::load(&p.lexicon_dir).unwrap()
    })
}

/// Words, numbers and marks the rules look at, to reach deep into them.
fn fragments() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for page in std::fs::read_dir(common::root().join("sample-data/pages")).unwrap() {
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        v.extend(text.split_whitespace().take(400).map(str::to_string));
    }
    for s in [
        "–",
        "—",
        "-",
        "…",
        "....",
        "%",
        "%KH",
        "/",
        ":",
        ";",
        ",",
        ".",
        "“",
        "”",
        "\"",
        "(",
        ")",
        "\n",
        "\n\n",
        "\u{a0}",
        "\u{200b}",
        "\u{301}",
        "\u{323}",
        "\u{309}",
        "đồng chí",
        "Đ/c",
        "tỷ",
        "triệu",
        "đồng",
        "/người/năm",
        "/ha",
        "trở lên",
        "trên",
        "gần",
        "12 - 13%",
        "1.020",
        "68,5",
        "07",
        "11/11",
        "8/1",
        "Chiều",
        "ngày",
        "tháng",
        "năm",
        "2024",
        "UBNDphường",
        "TP.",
        "Trực tuyến: 131",
        "Địa chỉ:",
        "Chịu trách nhiệm nội dung:",
        "VŨ ĐÌNH CHIẾN",
        "Ủy viên",
        "Bí thư",
        "chủ trì",
        "phát biểu",
        "trao",
        "giấy khen",
        "cho",
        "tập thể",
        "cá nhân",
        "được",
        "phấn đấu",
        "kế hoạch",
        "xã",
        "phường",
        "Tân Lậ",
        "Hồ Chí Minh",
        "2021- 2026",
        "Km 12",
        "<p>",
        "</p>",
        "&nbsp;",
        "\u{feff}",
        "�",
    ] {
        v.push(s.to_string());
    }
    v
}

fn source(bytes: Vec<u8>, format: Format, record: Option<RecordMeta>) -> SourceDocument {
    SourceDocument {
        doc_id: "00".into(),
        source: "fuzz.txt".into(),
        format,
        content_sha256: String::new(),
        bytes,
        rejected: None,
        record,
    }
}

/// Runs the stages and checks every offset against the body.
fn read_all(src: SourceDocument) {
    let lx = lexicon();
    if let Normalized::Ok(doc) = normalize(&src, lx) {
        let n = doc.body.chars().count() as i64;
        assert_eq!(doc.row.n_chars, n);
        for s in &doc.sentences {
            assert!(s.start <= s.end && s.end <= doc.body.len());
            assert!(doc.body.is_char_boundary(s.start) && doc.body.is_char_boundary(s.end));
        }
        let x = extract(&doc, lx);
        for m in &x.mentions {
            assert!(0 <= m.char_start && m.char_start <= m.char_end && m.char_end <= n);
        }
        for f in &x.figures {
            assert!(0 <= f.char_start && f.char_start <= f.char_end && f.char_end <= n);
            assert!(f.value.is_finite());
        }
    }
}

proptest! {
    #[test]
    fn any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        read_all(source(bytes.clone(), Format::Txt, None));
        read_all(source(bytes, Format::Html, None));
    }

    #[test]
    fn any_mix_of_page_fragments(picks in proptest::collection::vec((0usize..10_000, 0u8..4), 0..600)) {
        let frags = fragments();
        let mut text = String::new();
        for (i, sep) in picks {
            text.push_str(&frags[i % frags.len()]);
            text.push_str(["", " ", "  ", "\n"][sep as usize]);
        }
        read_all(source(text.clone().into_bytes(), Format::Txt, None));
        let record = RecordMeta { title: Some("Hội nghị".into()), body_is_html: true, ..Default::default() };
        read_all(source(format!("<html><body><div class='news-detail'><p>{text}</p></div></body></html>").into_bytes(), Format::Html, None));
        read_all(source(text.into_bytes(), Format::Jsonl, Some(record)));
    }
}
