//! How a page is stored: plain text (NFC, NFD, with a BOM, UTF-16, legacy
//! 8-bit encodings), an HTML page as a ward's CMS serves it, a record of a
//! crawl dump; gzip or zstd on top. And the bad inputs a crawl also holds.

use std::io::Write;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::page::Page;
use super::rng::Rng;
use crate::vntext::decode::encode_windows_1258;
use crate::vntext::legacy::{encode_tcvn3, encode_vni};

/// The storage forms, in the fixed mix of `MIX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Form {
    Txt,
    TxtNfd,
    TxtBom,
    TxtUtf16,
    TxtCp1258,
    TxtVni,
    TxtTcvn3,
    TxtGz,
    TxtZst,
    Html,
    HtmlGz,
    HtmlZst,
    HtmlCp1258,
    Jsonl,
    JsonlGz,
    JsonlZst,
}

/// Records per crawl dump.
pub const DUMP_RECORDS: u64 = 4;

/// Documents of each form in every run of 100 documents (a dump counts its records).
pub const MIX: [(Form, u64); 16] = [
    (Form::Txt, 43),
    (Form::TxtNfd, 4),
    (Form::TxtBom, 3),
    (Form::TxtUtf16, 2),
    (Form::TxtCp1258, 3),
    (Form::TxtVni, 3),
    (Form::TxtTcvn3, 3),
    (Form::TxtGz, 4),
    (Form::TxtZst, 3),
    (Form::Html, 14),
    (Form::HtmlGz, 2),
    (Form::HtmlZst, 2),
    (Form::HtmlCp1258, 2),
    (Form::Jsonl, DUMP_RECORDS),
    (Form::JsonlGz, DUMP_RECORDS),
    (Form::JsonlZst, DUMP_RECORDS),
];

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::Txt => "txt",
            Form::TxtNfd => "txt-nfd",
            Form::TxtBom => "txt-bom",
            Form::TxtUtf16 => "txt-utf16le",
            Form::TxtCp1258 => "txt-windows-1258",
            Form::TxtVni => "txt-vni",
            Form::TxtTcvn3 => "txt-tcvn3",
            Form::TxtGz => "txt.gz",
            Form::TxtZst => "txt.zst",
            Form::Html => "html",
            Form::HtmlGz => "html.gz",
            Form::HtmlZst => "html.zst",
            Form::HtmlCp1258 => "html-windows-1258",
            Form::Jsonl => "jsonl",
            Form::JsonlGz => "jsonl.gz",
            Form::JsonlZst => "jsonl.zst",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Form::TxtGz => "txt.gz",
            Form::TxtZst => "txt.zst",
            Form::Html | Form::HtmlCp1258 => "html",
            Form::HtmlGz => "html.gz",
            Form::HtmlZst => "html.zst",
            Form::Jsonl => "jsonl",
            Form::JsonlGz => "jsonl.gz",
            Form::JsonlZst => "jsonl.zst",
            _ => "txt",
        }
    }

    pub fn is_dump(self) -> bool {
        matches!(self, Form::Jsonl | Form::JsonlGz | Form::JsonlZst)
    }

    pub fn is_html(self) -> bool {
        matches!(self, Form::Html | Form::HtmlGz | Form::HtmlZst | Form::HtmlCp1258)
    }
}

/// The file slots of one run of 100 documents, in a shuffled order.
pub fn cycle(rng: &mut Rng) -> Vec<Form> {
    let mut slots = Vec::with_capacity(100);
    for (form, n) in MIX {
        let files = if form.is_dump() { 1 } else { n };
        slots.extend(std::iter::repeat_n(form, files as usize));
    }
    rng.shuffle(&mut slots);
    slots
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    // GzBuilder writes no file name and a zero time: the same bytes every run.
    let mut enc = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(bytes, 3).expect("zstd compresses in memory")
}

/// The page as a text file, lines as a crawler's text export gives them.
pub fn text(page: &Page) -> String {
    let mut out = String::with_capacity(6000);
    out.push_str(&page.headline);
    out.push('\n');
    if let Some(s) = &page.stamp_line {
        out.push_str(s);
        out.push('\n');
    }
    for p in &page.paras {
        out.push_str(&p.text);
        out.push('\n');
    }
    out.push_str(&page.byline);
    out.push('\n');
    for l in &page.footer_lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Text as some editors leave it: the other tone placement ("uỷ", "hoá") and
/// non-breaking spaces on some lines. The pipeline normalises all of it.
pub fn messy(text: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        if rng.chance(0.5) {
            let l = line
                .replace("ủy", "uỷ")
                .replace("Ủy", "Uỷ")
                .replace("hóa", "hoá")
                .replace("hòa", "hoà")
                .replace("Hòa", "Hoà")
                .replace("thủy", "thuỷ")
                .replace("Thủy", "Thuỷ")
                .replace("khỏe", "khoẻ")
                .replace(" đồng", "\u{a0}đồng")
                .replace(", ", ",  ");
            out.push_str(&l);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Characters the 8-bit fonts did not have, as a typist would have written them.
fn legacy_safe(text: &str) -> String {
    text.replace('©', "(c)")
        .replace(['“', '”'], "\"")
        .replace('–', "-")
        .replace('\u{a0}', " ")
}

/// Encodes text in a legacy encoding; None when some char has no code.
pub fn legacy(text: &str, form: Form) -> Option<Vec<u8>> {
    let t = legacy_safe(text);
    match form {
        Form::TxtCp1258 | Form::HtmlCp1258 => encode_windows_1258(&t),
        Form::TxtVni => encode_vni(&t),
        Form::TxtTcvn3 => encode_tcvn3(&t),
        _ => Some(t.into_bytes()),
    }
}

/// A text page's bytes in a plain-text form.
pub fn text_bytes(page: &Page, form: Form, rng: &mut Rng) -> (Vec<u8>, Form) {
    let t = text(page);
    match form {
        Form::Txt => {
            let t = if rng.chance(0.25) { messy(&t, rng) } else { t };
            (t.into_bytes(), form)
        }
        Form::TxtNfd => (t.nfd().collect::<String>().into_bytes(), form),
        Form::TxtBom => {
            let mut b = vec![0xEF, 0xBB, 0xBF];
            b.extend_from_slice(t.as_bytes());
            (b, form)
        }
        Form::TxtUtf16 => {
            let mut b = vec![0xFF, 0xFE];
            for u in t.encode_utf16() {
                b.extend_from_slice(&u.to_le_bytes());
            }
            (b, form)
        }
        Form::TxtCp1258 | Form::TxtVni | Form::TxtTcvn3 => match legacy(&t, form) {
            Some(b) => (b, form),
            None => (t.into_bytes(), Form::Txt),
        },
        Form::TxtGz => (gzip(t.as_bytes()), form),
        Form::TxtZst => (zstd(t.as_bytes()), form),
        _ => unreachable!("not a text form"),
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Containers of the article as the CMS of ward portals write them; the last
/// is one the pipeline does not know (it finds the densest block instead).
const CONTAINERS: [(&str, &str); 7] = [
    ("<div class=\"news-detail\">", "</div>"),
    ("<div class=\"journal-content-article\">", "</div>"),
    ("<article class=\"post\">", "</article>"),
    ("<div class=\"entry-content\">", "</div>"),
    ("<div itemprop=\"articleBody\">", "</div>"),
    ("<div id=\"newsContent\">", "</div>"),
    ("<div class=\"khung-noi-dung\">", "</div>"),
];

const MENU: &str = "<nav class=\"main-menu\"><ul><li><a href=\"/\">Trang chủ</a></li><li><a href=\"/gioi-thieu\">Giới thiệu</a></li><li><a href=\"/tin-tuc\">Tin tức - Sự kiện</a></li><li><a href=\"/van-ban\">Văn bản chỉ đạo điều hành</a></li><li><a href=\"/thu-tuc\">Thủ tục hành chính</a></li><li><a href=\"/lien-he\">Liên hệ</a></li></ul></nav>";

/// The page as its site serves it: head, menu, breadcrumb, article, sidebar, footer, scripts.
pub fn html(page: &Page, rng: &mut Rng, charset: &str) -> String {
    let mut h = String::with_capacity(12_000);
    let title = escape(&page.headline);
    let site = escape(&page.site_name);
    let url = format!(
        "https://{}/tin-tuc/{}-{}.html",
        page.host,
        page.slug,
        rng.range(1000, 99_999)
    );
    let iso = page.published.format("%Y-%m-%dT%H:%M:%S+07:00");
    h.push_str("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n");
    if charset == "utf-8" {
        h.push_str("<meta charset=\"utf-8\">\n");
    } else {
        h.push_str(&format!(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\n"
        ));
    }
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!("<title>{title} - {site}</title>\n"));
    h.push_str(&format!("<meta property=\"og:title\" content=\"{title}\">\n"));
    h.push_str(&format!("<meta property=\"og:url\" content=\"{url}\">\n"));
    if rng.chance(0.85) {
        h.push_str(&format!(
            "<meta property=\"article:published_time\" content=\"{iso}\">\n"
        ));
    }
    h.push_str(&format!("<link rel=\"canonical\" href=\"{url}\">\n"));
    h.push_str("<link rel=\"stylesheet\" href=\"/Portals/_default/skins/portal/css/style.css\">\n");
    h.push_str("<script src=\"/Portals/_default/skins/portal/js/jquery.min.js\"></script>\n");
    h.push_str("<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('js', new Date()); gtag('config', 'G-8X2K4PQ1');</script>\n");
    h.push_str("<style>.news-detail p{text-align:justify}.sidebar{float:right}</style>\n</head>\n<body>\n");
    h.push_str(&format!(
        "<header class=\"site-header\"><div class=\"logo\"><a href=\"/\">{}</a></div><div class=\"search\"><form action=\"/tim-kiem\"><input type=\"text\" name=\"q\" placeholder=\"Tìm kiếm...\"><button>Tìm</button></form></div></header>\n",
        escape(&page.org_caps)
    ));
    h.push_str(MENU);
    h.push('\n');
    h.push_str("<div class=\"breadcrumb\"><a href=\"/\">Trang chủ</a> / <a href=\"/tin-tuc\">Tin tức</a> / <span>Hoạt động của Đảng ủy</span></div>\n");
    h.push_str("<div class=\"container\"><div class=\"col-main\">\n");
    let (open, close) = CONTAINERS[rng.index(CONTAINERS.len())];
    let h1_inside = rng.chance(0.7);
    if !h1_inside {
        h.push_str(&format!("<h1 class=\"title\">{title}</h1>\n"));
    }
    h.push_str(&format!(
        "<div class=\"post-date\">{}</div>\n",
        page.published.format("%d/%m/%Y %H:%M")
    ));
    h.push_str(open);
    h.push('\n');
    if h1_inside {
        h.push_str(&format!("<h1>{title}</h1>\n"));
    }
    for (i, p) in page.paras.iter().enumerate() {
        let t = escape(&p.text);
        if p.caption {
            if rng.chance(0.6) {
                h.push_str(&format!(
                    "<figure class=\"image\"><img src=\"/uploads/news/{}-{}.jpg\" alt=\"\"><figcaption>{t}</figcaption></figure>\n",
                    page.slug, i
                ));
            } else {
                h.push_str(&format!("<p style=\"text-align:center\"><em>{t}</em></p>\n"));
            }
        } else {
            h.push_str(&format!("<p>{t}</p>\n"));
        }
    }
    if rng.chance(0.5) {
        h.push_str(&format!("<p class=\"author\">{}</p>\n", escape(&page.byline)));
    } else {
        h.push_str(&format!(
            "<p style=\"text-align:right\"><strong>{}</strong></p>\n",
            escape(&page.byline)
        ));
    }
    h.push_str("<div class=\"share-tools\"><a href=\"#\">Chia sẻ Facebook</a> <a href=\"#\">Zalo</a> <a href=\"javascript:window.print()\">In bài</a></div>\n");
    h.push_str("<div class=\"related-news\"><h3>Tin liên quan</h3><ul>\n");
    for r in &page.related {
        h.push_str(&format!(
            "<li><a href=\"/tin-tuc/{}.html\">{}</a></li>\n",
            super::page::ascii_fold(r),
            escape(r)
        ));
    }
    h.push_str("</ul></div>\n");
    h.push_str(close);
    h.push_str("\n</div>\n<aside class=\"sidebar\">\n<div class=\"box-links\"><h3>Liên kết website</h3><ul><li><a href=\"https://chinhphu.vn\">Cổng TTĐT Chính phủ</a></li><li><a href=\"https://dichvucong.gov.vn\">Dịch vụ công quốc gia</a></li></ul></div>\n");
    if !page.counters.is_empty() {
        h.push_str("<div class=\"thongke\">");
        for c in &page.counters {
            h.push_str(&format!("<div>{}</div>", escape(c)));
        }
        h.push_str("</div>\n");
    }
    h.push_str("</aside></div>\n<footer class=\"footer\">\n");
    h.push_str(&format!("<p><strong>{}</strong></p>\n", escape(&page.org_caps)));
    h.push_str(&format!("<p>{}</p>\n", escape(&page.address)));
    h.push_str(&format!("<p>{}</p>\n", escape(&page.contact)));
    if let Some(e) = &page.editor {
        h.push_str(&format!("<p>{}</p>\n", escape(e)));
    }
    h.push_str(&format!("<p>{}</p>\n</footer>\n", escape(&page.copyright)));
    h.push_str("<script>$(function(){ $('.main-menu li').hover(function(){ $(this).toggleClass('open'); }); });</script>\n");
    h.push_str("</body>\n</html>\n");
    h
}

/// An HTML page's bytes in an HTML form.
pub fn html_bytes(page: &Page, form: Form, rng: &mut Rng) -> (Vec<u8>, Form) {
    if form == Form::HtmlCp1258 {
        let h = html(page, rng, "windows-1258");
        return match legacy(&h, form) {
            Some(b) => (b, form),
            None => (h.into_bytes(), Form::Html),
        };
    }
    let h = html(page, rng, "utf-8");
    match form {
        Form::HtmlGz => (gzip(h.as_bytes()), form),
        Form::HtmlZst => (zstd(h.as_bytes()), form),
        _ => (h.into_bytes(), Form::Html),
    }
}

#[derive(Serialize)]
struct Record<'a> {
    url: String,
    title: &'a str,
    published_at: String,
    body: String,
    crawled_at: String,
}

/// One line of a crawl dump: the article's body as text or as HTML.
pub fn record(page: &Page, rng: &mut Rng) -> String {
    let as_html = rng.chance(0.5);
    let mut body = String::with_capacity(5000);
    if as_html {
        for p in &page.paras {
            if p.caption {
                body.push_str(&format!("<p><em>{}</em></p>", escape(&p.text)));
            } else {
                body.push_str(&format!("<p>{}</p>", escape(&p.text)));
            }
        }
        body.push_str(&format!("<p><strong>{}</strong></p>", escape(&page.byline)));
    } else {
        if rng.chance(0.3) {
            body.push_str(&page.headline);
            body.push('\n');
        }
        for p in &page.paras {
            body.push_str(&p.text);
            body.push('\n');
        }
        body.push_str(&page.byline);
    }
    let crawled = page.published + chrono::Duration::hours(rng.range(2, 240));
    let r = Record {
        url: format!(
            "https://{}/tin-tuc/{}-{}.html",
            page.host,
            page.slug,
            rng.range(1000, 99_999)
        ),
        title: &page.headline,
        published_at: page.published.format("%Y-%m-%dT%H:%M:%S+07:00").to_string(),
        body,
        crawled_at: crawled.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    serde_json::to_string(&r).expect("a record serialises")
}

/// The bad inputs, one of each kind in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    Empty,
    Binary,
    CorruptGzip,
    NoArticle,
    English,
    BadDumpLine,
}

pub const BAD_KINDS: [Bad; 6] = [
    Bad::Empty,
    Bad::Binary,
    Bad::CorruptGzip,
    Bad::NoArticle,
    Bad::English,
    Bad::BadDumpLine,
];

impl Bad {
    pub fn name(self) -> &'static str {
        match self {
            Bad::Empty => "empty",
            Bad::Binary => "binary",
            Bad::CorruptGzip => "corrupt-gzip",
            Bad::NoArticle => "html-without-article",
            Bad::English => "english",
            Bad::BadDumpLine => "bad-dump-line",
        }
    }

    /// Part of the `documents.error` the pipeline gives it.
    pub fn error(self) -> &'static str {
        match self {
            Bad::Empty => "the file is empty",
            Bad::Binary => "looks binary",
            Bad::CorruptGzip => "does not decompress",
            Bad::NoArticle => "holds no article",
            Bad::English => "not Vietnamese",
            Bad::BadDumpLine => "not a valid JSON record",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Bad::CorruptGzip => "txt.gz",
            Bad::NoArticle => "html",
            Bad::BadDumpLine => "jsonl",
            _ => "txt",
        }
    }
}

const ENGLISH: [&str; 3] = [
    "City council approves new budget for road repairs\nThe city council voted on Tuesday to approve a budget of 4.2 million dollars for road repairs across the northern districts. The mayor said the work would begin in the spring and last about eight months. Residents have complained for years about potholes and poor drainage on the main avenues.\nCouncil members also discussed plans for a new public library and a community sports center. A final decision on those projects is expected next month.\nBy Staff Reporter",
    "Annual report shows growth in local tourism\nVisitor numbers rose by twelve percent last year, according to the annual report released by the tourism office. Hotels in the old town reported high occupancy during the summer festival, and several new restaurants opened near the river.\nOfficials plan to improve signs for walking routes and to extend the opening hours of the museum. The report recommends more training for tour guides and better public transport links to the beaches.\nNews Desk",
    "Page not found\nThe page you requested could not be found. It may have been moved, renamed or deleted. Please check the address and try again, or return to the home page to browse our latest news and announcements.\nContact the webmaster if you believe this is an error.",
];

/// The bytes of a bad file (not of a bad dump line, which goes into a dump).
pub fn bad_bytes(kind: Bad, rng: &mut Rng, sample_text: &str) -> Vec<u8> {
    match kind {
        Bad::Empty => Vec::new(),
        Bad::Binary => {
            // A PNG header and chunks, then a ZIP local-file header: an image and
            // an archive saved under a page's name.
            let mut b: Vec<u8> =
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x80\0\0\x01\xe0\x08\x06\0\0\0".to_vec();
            let n = rng.range(600, 2400) as usize;
            for i in 0..n {
                let x = rng.next_u64() as u8;
                b.push(if i % 7 == 0 { 0 } else { x });
            }
            b.extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0");
            b.extend(std::iter::repeat_n(0u8, 64));
            b
        }
        Bad::CorruptGzip => {
            // A download cut short: the first part of a gzip stream.
            let full = gzip(sample_text.as_bytes());
            let keep = full.len() * rng.range(30, 70) as usize / 100;
            full[..keep.max(12)].to_vec()
        }
        Bad::NoArticle => {
            let mut h = String::new();
            h.push_str("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Không tìm thấy trang</title>\n<script src=\"/js/jquery.min.js\"></script></head>\n<body>\n");
            h.push_str(MENU);
            h.push_str("\n<div class=\"breadcrumb\"><a href=\"/\">Trang chủ</a> / Lỗi</div>\n<div class=\"error-page\"><h2>Lỗi 404</h2><p>Trang bạn tìm không tồn tại hoặc đã bị xóa.</p><p><a href=\"/\">Quay lại trang chủ</a></p></div>\n");
            h.push_str("<aside class=\"sidebar\"><ul><li><a href=\"/tin-tuc\">Tin mới</a></li><li><a href=\"/van-ban\">Văn bản mới</a></li></ul></aside>\n");
            h.push_str("<footer><p>Bản quyền © Ủy ban nhân dân</p></footer>\n</body></html>\n");
            h.into_bytes()
        }
        Bad::English => ENGLISH[rng.index(ENGLISH.len())].as_bytes().to_vec(),
        Bad::BadDumpLine => Vec::new(),
    }
}

/// A dump line cut short, as a crawler killed while writing leaves it.
pub fn truncated_record(record: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = record.chars().collect();
    let keep = chars.len() * rng.range(20, 80) as usize / 100;
    chars[..keep.max(10)].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_one_hundred_documents() {
        assert_eq!(MIX.iter().map(|(_, n)| n).sum::<u64>(), 100);
        let mut rng = Rng::new(1);
        let c = cycle(&mut rng);
        let docs: u64 = c.iter().map(|f| if f.is_dump() { DUMP_RECORDS } else { 1 }).sum();
        assert_eq!(docs, 100);
    }

    #[test]
    fn gzip_is_the_same_every_time() {
        assert_eq!(gzip(b"abc"), gzip(b"abc"));
        let cut = bad_bytes(Bad::CorruptGzip, &mut Rng::new(2), &"Đảng ủy ".repeat(200));
        assert_eq!(&cut[..2], &[0x1f, 0x8b]);
    }

    #[test]
    fn truncated_records_are_not_json() {
        let mut rng = Rng::new(4);
        let rec = r#"{"url": "https://x.gov.vn/a", "title": "Hội nghị", "body": "Đảng ủy xã họp tổng kết"}"#;
        for _ in 0..50 {
            let t = truncated_record(rec, &mut rng);
            assert!(serde_json::from_str::<serde_json::Value>(&t).is_err(), "{t}");
        }
    }
}
